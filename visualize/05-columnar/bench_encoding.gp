# bench_encoding.gp -- lab 05 part A: what each lineitem-shaped column takes encoded, as a share
# of its plain bytes. harness/bench runs it as:
#   gnuplot -e "resultsdir='...'; outbase='...'" bench_encoding.gp
# Input: resultsdir/bench_encoding.csv, a '# keel' comment line, the header, then one row per
# column and a last row "all". Output: outbase.svg and outbase.png: a bar per column, labelled
# with the encoding the chooser picked most.

if (!exists("resultsdir")) resultsdir = 'out/results/05-columnar'
if (!exists("outbase")) outbase = 'out/plots/05-columnar/bench_encoding'
datafile = resultsdir.'/bench_encoding.csv'

set datafile separator comma
set datafile commentschars "#"

colour(e) = (e eq "plain") ? 0x999999 : (e eq "bitpack") ? 0x1f77b4 : \
            (e eq "rle") ? 0x2ca02c : (e eq "dict") ? 0xff7f0e : 0x444444
stats datafile using "ratio" nooutput
set xrange [-0.7 : STATS_records - 0.3]
set yrange [0 : 1.3]
set style fill solid 0.85 border -1
set boxwidth 0.7
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror rotate by -30 scale 0 noenhanced
set ytics nomirror
set ylabel "encoded bytes / plain bytes (lower is better)"
set title "Part A: lineitem-shaped columns in the encoding the chooser picks"
set key top center horizontal box opaque Left reverse spacing 1.3

do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 800,450 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 800,450 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    plot datafile using 0:"ratio":(colour(strcol("encoding"))):xtic(strcol("column")) \
             with boxes lc rgb variable notitle, \
         "" using 0:"ratio":(strcol("encoding") eq "-" ? sprintf("%.2f", column("ratio")) : \
                                sprintf("%s %.2f", strcol("encoding"), column("ratio"))) \
             with labels offset 0,0.8 font ",9" noenhanced notitle, \
         NaN with boxes lc rgb "#1f77b4" title "bitpack", \
         NaN with boxes lc rgb "#ff7f0e" title "dict", \
         NaN with boxes lc rgb "#999999" title "plain", \
         NaN with boxes lc rgb "#444444" title "all columns"
    set output
}

# bench_resp.gp -- lab 01 part A: RESP parse throughput (MB/s) by variant and feeding chunk size.
# harness/bench runs it as: gnuplot -e "resultsdir='...'; outbase='...'" bench_resp.gp
# Input: resultsdir/bench_resp.csv, a '# keel' comment line, the header, then one row per
# (variant, chunk_bytes); chunk_bytes 0 means the whole buffer in one call.
# Output: outbase.svg and outbase.png, one bar per row in the CSV's order, coloured by variant.

if (!exists("resultsdir")) resultsdir = 'out/results/01-servers'
if (!exists("outbase")) outbase = 'out/plots/01-servers/bench_resp'
datafile = resultsdir.'/bench_resp.csv'

set datafile separator comma
set datafile commentschars "#"
set key autotitle columnhead          # the header line names the columns

# Columns by name, so a reordered CSV still plots right.
chunk_label(c) = (c == 0) ? "whole buffer" : (c == 1) ? "1 byte" : sprintf("%d bytes", c)
bar_label(v, c) = v."\n".chunk_label(c)
colour(v) = (v eq "parser") ? 0x1f77b4 : (v eq "linescan") ? 0xff7f0e : 0x2ca02c
value_label(y) = (y >= 100) ? sprintf("%.0f", y) : \
                 (y >= 10) ? sprintf("%.1f", y) : sprintf("%.2f", y)

# Throughputs span orders of magnitude (a memchr scan against byte-at-a-time feeding), so the
# y axis is logarithmic: on a linear axis the slow bars would vanish.
set logscale y 10
set format y "%.0s%c"
set yrange [*:*]
set style fill solid 0.85 border -1
set boxwidth 0.6
set grid ytics mytics lc rgb "#dddddd"
set border 3
set xtics nomirror scale 0
set ytics nomirror
set ylabel "parse throughput (MB/s, log scale)"
set xlabel "variant, and the size of the chunks the input is fed in" offset 0,-0.6
set bmargin 5
set title "RESP parsing: throughput by variant and chunk size (higher is better)"
set key top left box opaque Left reverse

set style line 1 lc rgb "#1f77b4"
set style line 2 lc rgb "#ff7f0e"

# On a log axis the bars start at the graph's bottom, which must lie below the smallest value;
# stats finds it (and the row count, for the x range). The top leaves room for the key.
stats datafile using 'mb_per_s' nooutput
set yrange [STATS_min / 3 : STATS_max * 8]
set xrange [-0.6 : STATS_records - 0.4]

# The same plot twice: SVG for the page's link, PNG for the page itself.
do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 800,500 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 800,500 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    plot datafile using 0:"mb_per_s":(colour(strcol("variant"))): \
             xtic(bar_label(strcol("variant"), column("chunk_bytes"))) \
             with boxes lc rgb variable notitle, \
         "" using 0:"mb_per_s":(value_label(column("mb_per_s"))) \
             with labels offset 0,0.8 font ",10" notitle, \
         NaN with boxes ls 2 title "linescan: memchr for each CR, no parsing (the floor)", \
         NaN with boxes ls 1 title "parser: the lab's incremental RESP parser"
    set output
}

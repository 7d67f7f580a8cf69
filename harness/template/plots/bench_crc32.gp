# bench_crc32.gp -- lab @LAB@ part A: CRC-32 throughput (MB/s), table against bitwise.
# harness/bench runs it as: gnuplot -e "resultsdir='...'; outbase='...'" bench_crc32.gp
# Input: resultsdir/bench_crc32.csv, a '# keel' comment line, the header, then one row per
# (variant, size_bytes): bitwise then table for each call size (the pairs below rely on it).
# Output: outbase.svg and outbase.png: a pair of bars per call size, coloured by variant.

if (!exists("resultsdir")) resultsdir = 'out/results/@LAB@'
if (!exists("outbase")) outbase = 'out/plots/@LAB@/bench_crc32'
datafile = resultsdir.'/bench_crc32.csv'

set datafile separator comma
set datafile commentschars "#"

# Columns by name, so a reordered CSV still plots right.
size_label(b) = (b >= 1048576) ? sprintf("%d MiB", b / 1048576) : \
                (b >= 1024) ? sprintf("%d KiB", b / 1024) : sprintf("%d B", b)
colour(v) = (v eq "table") ? 0x1f77b4 : 0xff7f0e
value_label(y) = (y >= 100) ? sprintf("%.0f", y) : sprintf("%.1f", y)
# Rows come in pairs, one per variant at each call size: a pair's bars stand together, a gap
# between pairs, and the call size is written once under each pair's middle.
GAP = 0.8
bar_x(row) = row + int(row / 2) * GAP
pair_middle(row) = 2 * int(row / 2) * 1.0 + int(row / 2) * GAP + 0.5

# The variants differ several-fold, so the y axis is logarithmic; stats finds the range.
set logscale y 10
stats datafile using 'mb_per_s' nooutput
set yrange [STATS_min / 2 : STATS_max * 4]
set xrange [-0.6 : bar_x(STATS_records - 1) + 0.6]
set style fill solid 0.85 border -1
set boxwidth 0.85
set grid ytics mytics lc rgb "#dddddd"
set border 3
set xtics nomirror scale 0
set ytics nomirror
set ylabel "throughput (MB/s, log scale)"
set xlabel "bytes per call"
set title "CRC-32: a table lookup per byte against a bit per step (higher is better)"
set key top left box opaque Left reverse spacing 1.3
set style line 1 lc rgb "#1f77b4"
set style line 2 lc rgb "#ff7f0e"

# The same plot twice: SVG for the page's link, PNG for the page itself.
do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 800,450 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 800,450 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    plot datafile using (bar_x(column(0))):"mb_per_s":(colour(strcol("variant"))) \
             with boxes lc rgb variable notitle, \
         "" using (bar_x(column(0))):"mb_per_s":(value_label(column("mb_per_s"))) \
             with labels offset 0,0.8 font ",10" notitle, \
         "" using (pair_middle(column(0))):(NaN):xtic(size_label(column("size_bytes"))) \
             notitle, \
         NaN with boxes ls 2 title "bitwise: the definition, one bit per step (the baseline)", \
         NaN with boxes ls 1 title "table: crc32_update, one lookup per byte" noenhanced
    set output
}

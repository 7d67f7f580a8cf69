# bench_queries.gp -- lab 05: TPC-H queries on keel (one thread, two threads) and on SQLite, the
# medians of one run. harness/bench runs it as:
#   gnuplot -e "resultsdir='...'; outbase='...'" bench_queries.gp
# Input: resultsdir/bench_queries.csv, a '# keel' comment line, the header, then one row per
# query. Output: outbase.svg and outbase.png: three bars a query, milliseconds on a log scale,
# SQLite's time over keel's printed above each group.

if (!exists("resultsdir")) resultsdir = 'out/results/05-columnar'
if (!exists("outbase")) outbase = 'out/plots/05-columnar/bench_queries'
datafile = resultsdir.'/bench_queries.csv'

set datafile separator comma
set datafile commentschars "#"

stats datafile using "sqlite_ms" nooutput
set xrange [-0.7 : STATS_records - 0.3]
set logscale y
set yrange [STATS_min / 100.0 : STATS_max * 8]
set style fill solid 0.85 border -1
set boxwidth 0.25
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror scale 0 noenhanced
set ytics nomirror
set ylabel "milliseconds, median of the turns (log scale, lower is better)"
set title "TPC-H on the lab's data: keel against SQLite, the same rows, warm"
set key top left horizontal box opaque Left reverse spacing 1.3

do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 800,450 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 800,450 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    plot datafile using ($0 - 0.27):"keel_ms" with boxes lc rgb "#1f77b4" title "keel, 1 thread", \
         "" using ($0):"keel_2t_ms":xtic(strcol("query")) with boxes lc rgb "#6baed6" \
             title "keel, 2 threads", \
         "" using ($0 + 0.27):"sqlite_ms" with boxes lc rgb "#999999" title "SQLite", \
         "" using ($0):(column("sqlite_ms") * 2.5):(sprintf("%.1fx", column("vs_sqlite"))) \
             with labels font ",9" notitle
    set output
}

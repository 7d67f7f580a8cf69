# bench_duckdb.gp -- lab 05: TPC-H queries on keel and on DuckDB, one thread each, the medians
# of one run (PEERS=1). harness/bench runs it as:
#   gnuplot -e "resultsdir='...'; outbase='...'" bench_duckdb.gp
# Input: resultsdir/bench_duckdb.csv, a '# keel' comment line, the header, then one row per
# query. Output: outbase.svg and outbase.png: two bars a query, milliseconds on a log scale,
# DuckDB's time over keel's printed above each pair.

if (!exists("resultsdir")) resultsdir = 'out/results/05-columnar'
if (!exists("outbase")) outbase = 'out/plots/05-columnar/bench_duckdb'
datafile = resultsdir.'/bench_duckdb.csv'

set datafile separator comma
set datafile commentschars "#"

stats datafile using "duckdb_ms" nooutput
set xrange [-0.7 : STATS_records - 0.3]
set logscale y
set yrange [STATS_min / 20.0 : STATS_max * 20]
set style fill solid 0.85 border -1
set boxwidth 0.35
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror scale 0 noenhanced
set ytics nomirror
set ylabel "milliseconds, median of the turns (log scale, lower is better)"
set title "TPC-H on the lab's data: keel against DuckDB, one thread each, warm"
set key top left horizontal box opaque Left reverse spacing 1.3

do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 800,450 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 800,450 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    plot datafile using ($0 - 0.19):"keel_ms":xtic(strcol("query")) with boxes \
             lc rgb "#1f77b4" title "keel", \
         "" using ($0 + 0.19):"duckdb_ms" with boxes lc rgb "#e6a117" title "DuckDB", \
         "" using ($0):(column("keel_ms") > column("duckdb_ms") ? column("keel_ms") * 2.5 : \
                        column("duckdb_ms") * 2.5):(sprintf("%.2fx", column("vs_duckdb"))) \
             with labels font ",9" notitle
    set output
}

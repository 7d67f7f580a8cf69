# bench_db.gp -- lab 03: db_bench-style throughput (operations/s) of each engine and workload,
# 100-byte values, sync off. harness/bench runs it as:
#   gnuplot -e "resultsdir='...'; outbase='...'" bench_db.gp
# Input: resultsdir/bench_db.csv (engine, workload, value_bytes, threads, ..., ops_per_s).
# Output: outbase.svg and outbase.png, one bar per row in the CSV's order, coloured by engine.
if (!exists("resultsdir")) resultsdir = 'out/results/03-bitcask'
if (!exists("outbase")) outbase = 'out/plots/03-bitcask/bench_db'
datafile = resultsdir.'/bench_db.csv'
set datafile separator comma
set datafile commentschars "#"
colour(e) = (e eq "bitcask") ? 0x1f77b4 : (e eq "leveldb") ? 0xff7f0e : \
            (e eq "rocksdb") ? 0x2ca02c : (e eq "lmdb") ? 0x9467bd : 0x8c564b
is_shown(v, w) = (v == 100 && w ne "fillsync")
set logscale y 10
set format y "%.0s%c"
set style fill solid 0.85 border -1
set boxwidth 0.7
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror rotate by -60 scale 0 font ",8"
set ytics nomirror
set ylabel "operations per second (log scale)"
set title "db_bench workloads, 16-byte keys, 100-byte values, sync off (higher is better)"
set bmargin 9
do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 1000,520 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 1000,520 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    plot datafile using 0:(is_shown(column("value_bytes"), strcol("workload")) ? \
             column("ops_per_s") : 1/0):(colour(strcol("engine"))): \
             xtic(is_shown(column("value_bytes"), strcol("workload")) ? \
                  strcol("engine")." ".strcol("workload") : "") \
             with boxes lc rgb variable notitle
}

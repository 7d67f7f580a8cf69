# bench_db.gp -- lab 03: db_bench-style throughput (operations/s) of each engine and workload,
# 100-byte values, sync off. harness/bench runs it as:
#   gnuplot -e "resultsdir='...'; outbase='...'" bench_db.gp
# Input: resultsdir/bench_db.csv (engine, workload, value_bytes, threads, ..., ops_per_s).
# Output: outbase.svg and outbase.png: bars clustered by workload, one colour per engine.
if (!exists("resultsdir")) resultsdir = 'out/results/03-bitcask'
if (!exists("outbase")) outbase = 'out/plots/03-bitcask/bench_db'
datafile = resultsdir.'/bench_db.csv'
set datafile separator comma
set datafile commentschars "#"
colour(e) = (e eq "bitcask") ? 0x1f77b4 : (e eq "leveldb") ? 0xff7f0e : \
            (e eq "rocksdb") ? 0x2ca02c : (e eq "lmdb") ? 0x9467bd : 0x8c564b
engines = "bitcask leveldb rocksdb lmdb sqlite"
workloads = "fillseq fillrandom overwrite readrandom readseq deleterandom"
# Bars clustered by workload, one per engine; a cluster is 6 wide (5 engines and a gap).
engine_index(e) = (e eq "bitcask") ? 0 : (e eq "leveldb") ? 1 : (e eq "rocksdb") ? 2 : \
                  (e eq "lmdb") ? 3 : 4
workload_index(w) = (w eq "fillseq") ? 0 : (w eq "fillrandom") ? 1 : (w eq "overwrite") ? 2 : \
                    (w eq "readrandom") ? 3 : (w eq "readseq") ? 4 : (w eq "deleterandom") ? 5 : -1
bar_x(e, w) = 6 * workload_index(w) + engine_index(e)
is_shown(v, w) = (v == 100 && workload_index(w) >= 0)
set logscale y 10
set format y "%.0s%c"
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics lc rgb "#dddddd"
set border 3
set xrange [-1:35]
set xtics nomirror scale 0
set xtics (word(workloads, 1) 2, word(workloads, 2) 8, word(workloads, 3) 14, \
           word(workloads, 4) 20, word(workloads, 5) 26, word(workloads, 6) 32)
set ytics nomirror
set ylabel "operations per second (log scale)"
set title 'db\_bench workloads, 16-byte keys, 100-byte values, sync off (higher is better)'
set key top center horizontal
do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 1000,480 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 1000,480 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    plot for [e in engines] datafile \
         using (bar_x(strcol("engine"), strcol("workload"))): \
               ((strcol("engine") eq e && is_shown(column("value_bytes"), strcol("workload"))) ? \
                column("ops_per_s") : 1/0) \
         with boxes lc rgb colour(e) title e
}

# bench_raftkv.gp -- lab 04: keel-raftkv's synced writes on a real loopback cluster against the
# cluster's size and against batching (connections, each with one write in flight).
# harness/bench runs it as: gnuplot -e "resultsdir='...'; outbase='...'" bench_raftkv.gp
# Input: resultsdir/bench_raftkv.csv: nodes,connections,ops_per_s,p50_us,p99_us.
# Output: outbase.svg and outbase.png: writes a second (left) and p99 latency (right) against
# connections, one line a cluster size.
if (!exists("resultsdir")) resultsdir = 'out/results/04-raft'
if (!exists("outbase")) outbase = 'out/plots/04-raft/bench_raftkv'
datafile = resultsdir.'/bench_raftkv.csv'
set datafile separator comma
set datafile commentschars "#"
set datafile missing NaN

of(n, col) = column(1) == n ? column(col) : NaN
set logscale x 2
set xtics (1, 4, 16, 64)
set xrange [0.8 : 80]
set grid ytics lc rgb "#dddddd"
set yrange [0 : *]
set xlabel "connections (one synced write in flight each)"
set key top left box opaque

do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 960,420 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 960,420 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    set multiplot layout 1,2 title "keel-raftkv on loopback: synced writes, 100-byte values (group commit: one fsync a round)"
    set ylabel "writes a second"
    set title "throughput"
    plot datafile using 2:(of(3, 3)) with linespoints lw 2 pt 7 lc rgb "#1f77b4" title "3 nodes", \
         "" using 2:(of(5, 3)) with linespoints lw 2 pt 5 lc rgb "#ff7f0e" title "5 nodes"
    set ylabel "p99 latency (ms)"
    set title "tail latency"
    plot datafile using 2:(of(3, 5) / 1000) with linespoints lw 2 pt 7 lc rgb "#1f77b4" \
             title "3 nodes", \
         "" using 2:(of(5, 5) / 1000) with linespoints lw 2 pt 5 lc rgb "#ff7f0e" title "5 nodes"
    unset multiplot
    set output
}

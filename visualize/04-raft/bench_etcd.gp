# bench_etcd.gp -- lab 04: keel-raftkv against etcd, three nodes each on loopback, closed-loop
# synced writes from 64 connections, the two taking turns in one run.
# harness/bench runs it as: gnuplot -e "resultsdir='...'; outbase='...'" bench_etcd.gp
# Input: resultsdir/bench_etcd.csv, a '# keel' comment line, the header, then one row per system
# and round (writes a second, p50 and p99 latency), then each system's medians (round "median").
# Output: outbase.svg and outbase.png: writes a second per round (left) and p99 latency (right).
if (!exists("resultsdir")) resultsdir = 'out/results/04-raft'
if (!exists("outbase")) outbase = 'out/plots/04-raft/bench_etcd'
datafile = resultsdir.'/bench_etcd.csv'
set datafile separator comma
set datafile commentschars "#"
set datafile missing NaN

# Column 1 is the system, 2 the round (a number, or "median": not plotted), 5 writes a second,
# 7 the p99 in microseconds.
of(sys, col) = (strcol(1) eq sys && strcol(2) ne "median") ? column(col) : NaN
set grid ytics lc rgb "#dddddd"
set xtics 1 nomirror
set ytics nomirror
set yrange [0 : *]
set xlabel "round (the two systems alternate within each)"
set key bottom right box opaque

do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 960,420 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 960,420 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    set multiplot layout 1,2 title "3-node clusters on loopback: synced writes, 64 connections, 100-byte values"
    set ylabel "writes a second"
    set title "throughput"
    plot datafile using 2:(of("keel-raftkv", 5)) with linespoints lw 2 pt 7 lc rgb "#1f77b4" \
             title "keel-raftkv", \
         "" using 2:(of("etcd", 5)) with linespoints lw 2 pt 5 lc rgb "#7f7f7f" title "etcd"
    set ylabel "p99 latency (ms)"
    set title "tail latency"
    plot datafile using 2:(of("keel-raftkv", 7) / 1000) with linespoints lw 2 pt 7 \
             lc rgb "#1f77b4" title "keel-raftkv", \
         "" using 2:(of("etcd", 7) / 1000) with linespoints lw 2 pt 5 lc rgb "#7f7f7f" \
             title "etcd"
    unset multiplot
    set output
}

# bench_transfer.gp -- lab 02 part E: items per second from one producer to one consumer, for
# the SPSC ring, the MPMC ring, the MS queue and a mutex+condvar ring, and (when the run had
# libck-dev) ck_ring's SPSC and MPMC rings: one bar each.
# harness/bench runs it as: gnuplot -e "resultsdir='...'; outbase='...'" bench_transfer.gp
# Input: resultsdir/bench_queues.csv and, if present, bench_ck.csv. Output: outbase.svg, .png.

if (!exists("resultsdir")) resultsdir = 'out/results/02-lockfree'
if (!exists("outbase")) outbase = 'out/plots/02-lockfree/bench_transfer'
datafile = resultsdir.'/bench_queues.csv'
has_ck = system("test -f '".resultsdir."/bench_ck.csv' && echo 1 || echo 0") + 0

set datafile separator comma
set datafile commentschars "#"
rate(s) = (strcol("structure") eq s && strcol("workload") eq "transfer") \
           ? column("items_per_s") / 1e6 : NaN

set style fill solid 0.85 border -1
set boxwidth 0.6
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror scale 0
set ytics nomirror
set yrange [0:*]
set xrange [-0.6:5.6]
set ylabel "million items per second"
set title "One producer, one consumer (higher is better; dashed bars: ConcurrencyKit)"
set key off

names = "ring_spsc ring_mpmc ms_queue mutex_condvar_ring ck_ring_spsc ck_ring_mpmc"
set xtics ("SPSC ring" 0, "MPMC ring" 1, "MS queue" 2, "mutex+condvar" 3, \
           "ck_ring SPSC" 4, "ck_ring MPMC" 5) noenhanced

do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 800,480 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 800,480 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    if (has_ck) {
        plot for [i=1:4] datafile using (i - 1):(rate(word(names, i))) with boxes lc rgb "#1f77b4", \
             for [i=5:6] resultsdir.'/bench_ck.csv' using (i - 1):(rate(word(names, i))) \
                 with boxes lc rgb "#9ecae1" fs pattern 2
    } else {
        plot for [i=1:4] datafile using (i - 1):(rate(word(names, i))) with boxes lc rgb "#1f77b4"
    }
    set output
}

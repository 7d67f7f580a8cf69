# bench_latency.gp -- lab 02 parts C-E: how long an item spends in a structure. Left and middle:
# the pairs workload with timestamps for values (each thread pushes the time, then pops; the
# sample is the time from just before a push to just after the pop that returned that value),
# median and 99th percentile against threads, for the Treiber stack, the MS queue, the MPMC
# ring, a mutex ring and (when the run had libck-dev) ck_stack and ck_fifo_mpmc. Right: one
# producer pushing a timestamp every 2 us to one polling consumer (sleeping, for the
# mutex+condvar ring): the one-way handoff at a light load, median and 99th percentile.
# harness/bench runs it as: gnuplot -e "resultsdir='...'; outbase='...'" bench_latency.gp
# Input: resultsdir/bench_queues.csv and, if present, bench_ck.csv (workloads pairs_latency and
# transfer_latency; columns latency_ns_p50, latency_ns_p99). Output: outbase.svg and .png.

if (!exists("resultsdir")) resultsdir = 'out/results/02-lockfree'
if (!exists("outbase")) outbase = 'out/plots/02-lockfree/bench_latency'
datafile = resultsdir.'/bench_queues.csv'
has_ck = system("test -f '".resultsdir."/bench_ck.csv' && echo 1 || echo 0") + 0
ckfile = has_ck ? resultsdir.'/bench_ck.csv' : datafile  # without ck its series are empty

set datafile separator comma
set datafile commentschars "#"

pick(s, w, col) = (strcol("structure") eq s && strcol("workload") eq w \
                   && column("items") > 0) ? column(col) / 1000.0 : NaN

set style line 1 lc rgb "#d62728" lw 2 pt 7 ps 0.8         # treiber
set style line 2 lc rgb "#2ca02c" lw 2 pt 5 ps 0.8         # ms queue
set style line 3 lc rgb "#1f77b4" lw 2 pt 9 ps 0.9         # mpmc ring
set style line 4 lc rgb "#7f7f7f" lw 2 pt 11 ps 0.9        # mutex ring
set style line 5 lc rgb "#d62728" lw 1 dt 2 pt 6 ps 0.8    # ck_stack
set style line 6 lc rgb "#2ca02c" lw 1 dt 2 pt 4 ps 0.8    # ck_fifo_mpmc

# The transfer panel: one column per structure, the median as a filled dot, p99 as an open one.
names = "ring_spsc ring_mpmc ms_queue mutex_condvar_ring ck_ring_spsc ck_ring_mpmc"

do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 1300,500 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 1300,500 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    set multiplot layout 1,3 title "Time from push to pop (lower is better; dashed: ConcurrencyKit)"
    set logscale y 10
    set format y "%g"
    set ytics nomirror
    set grid xtics ytics mytics lc rgb "#dddddd"
    set border 3
    set logscale x 2
    set xrange [0.8:10]
    set xtics ("1" 1, "2" 2, "4" 4, "8" 8) nomirror norotate
    set xlabel "threads, each pushing then popping"
    do for [panel=1:2] {
        col = panel == 1 ? "latency_ns_p50" : "latency_ns_p99"
        set title (panel == 1 ? "pairs: median" : "pairs: 99th percentile")
        set ylabel "push to pop, us (log scale)"
        if (panel == 1) { set key top left box font ",8" noenhanced } else { set key off }
        plot datafile using "threads":(pick("treiber_stack", "pairs_latency", col)) smooth unique with linespoints ls 1 title "Treiber stack + EBR", \
             "" using "threads":(pick("ms_queue", "pairs_latency", col)) smooth unique with linespoints ls 2 title "MS queue + EBR", \
             "" using "threads":(pick("ring_mpmc", "pairs_latency", col)) smooth unique with linespoints ls 3 title "MPMC ring", \
             "" using "threads":(pick("mutex_ring", "pairs_latency", col)) smooth unique with linespoints ls 4 title "mutex ring", \
             ckfile using "threads":(pick("ck_stack", "pairs_latency", col)) smooth unique with linespoints ls 5 title "ck_stack (peer)", \
             "" using "threads":(pick("ck_fifo_mpmc", "pairs_latency", col)) smooth unique with linespoints ls 6 title "ck_fifo_mpmc (peer)"
    }
    unset logscale x
    set xrange [-0.6:5.6]
    set xtics ("SPSC" 0, "MPMC" 1, "MS queue" 2, "mutex+cv" 3, "ck SPSC" 4, "ck MPMC" 5) \
        nomirror rotate by -30 noenhanced
    set xlabel "1 producer (an item per 2 us), 1 consumer"
    set title "transfer: median (filled), p99 (open)"
    set key off
    plot for [i=1:4] datafile using (i - 1):(pick(word(names, i), "transfer_latency", "latency_ns_p50")) with points pt 7 ps 1.2 lc rgb "#1f77b4", \
         for [i=1:4] datafile using (i - 1):(pick(word(names, i), "transfer_latency", "latency_ns_p99")) with points pt 6 ps 1.2 lc rgb "#1f77b4", \
         for [i=5:6] ckfile using (i - 1):(pick(word(names, i), "transfer_latency", "latency_ns_p50")) with points pt 7 ps 1.2 lc rgb "#9ecae1", \
         for [i=5:6] ckfile using (i - 1):(pick(word(names, i), "transfer_latency", "latency_ns_p99")) with points pt 6 ps 1.2 lc rgb "#9ecae1"
    unset multiplot
    set output
}

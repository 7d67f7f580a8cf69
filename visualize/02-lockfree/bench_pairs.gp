# bench_pairs.gp -- lab 02 parts C-E: push+pop pairs per second against threads (each thread
# pushes, then pops), for the Treiber stack, the MS queue, the MPMC ring and a mutex ring, and
# (when the run had libck-dev) ck_stack and ck_fifo_mpmc.
# harness/bench runs it as: gnuplot -e "resultsdir='...'; outbase='...'" bench_pairs.gp
# Input: resultsdir/bench_queues.csv and, if present, bench_ck.csv. Output: outbase.svg, .png.

if (!exists("resultsdir")) resultsdir = 'out/results/02-lockfree'
if (!exists("outbase")) outbase = 'out/plots/02-lockfree/bench_pairs'
datafile = resultsdir.'/bench_queues.csv'
has_ck = system("test -f '".resultsdir."/bench_ck.csv' && echo 1 || echo 0") + 0
ckfile = has_ck ? resultsdir.'/bench_ck.csv' : datafile

set datafile separator comma
set datafile commentschars "#"
pick(s) = (strcol("structure") eq s && strcol("workload") eq "pairs") ? column("items_per_s") : NaN

set logscale x 2
set logscale y 10
set xrange [0.8:10]
set xtics ("1" 1, "2" 2, "4" 4, "8" 8) nomirror
set ytics nomirror
set format y "%.0s%c"
set grid xtics ytics mytics lc rgb "#dddddd"
set border 3
set xlabel "threads, each pushing then popping"
set ylabel "push+pop pairs per second (log scale)"
set key outside right top box font ",9"
set title "Stack, queue and ring under contention (higher is better)"

set style line 1 lc rgb "#d62728" lw 2 pt 7 ps 0.8         # treiber
set style line 2 lc rgb "#2ca02c" lw 2 pt 5 ps 0.8         # ms queue
set style line 3 lc rgb "#1f77b4" lw 2 pt 9 ps 0.9         # mpmc ring
set style line 4 lc rgb "#7f7f7f" lw 2 pt 11 ps 0.9        # mutex ring
set style line 5 lc rgb "#d62728" lw 1 dt 2 pt 6 ps 0.8    # ck_stack
set style line 6 lc rgb "#2ca02c" lw 1 dt 2 pt 4 ps 0.8    # ck_fifo_mpmc

do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 900,520 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 900,520 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    plot datafile using "threads":(pick("treiber_stack")) smooth unique with linespoints ls 1 title "Treiber stack + EBR", \
         "" using "threads":(pick("ms_queue")) smooth unique with linespoints ls 2 title "Michael-Scott queue + EBR", \
         "" using "threads":(pick("ring_mpmc")) smooth unique with linespoints ls 3 title "MPMC ring", \
         "" using "threads":(pick("mutex_ring")) smooth unique with linespoints ls 4 title "ring under a pthread mutex", \
         ckfile using "threads":(pick("ck_stack")) smooth unique with linespoints ls 5 title "ck_stack (peer)", \
         "" using "threads":(pick("ck_fifo_mpmc")) smooth unique with linespoints ls 6 title "ck_fifo_mpmc (peer)"
    set output
}

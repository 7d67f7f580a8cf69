# bench_handoff.gp -- lab 02 part A: lock handoff latency against threads: the time from one
# thread's unlock to the next acquire by a different thread, median (left) and 99th percentile
# (right), for the four spinlocks, pthread's mutex and spinlock and (when the run had libck-dev)
# ck_spinlock's FAS, ticket and MCS locks. With one thread there is no handoff, so the axis
# starts at 2; past the core count, a FIFO lock waits for a waiter that is not running.
# harness/bench runs it as: gnuplot -e "resultsdir='...'; outbase='...'" bench_handoff.gp
# Input: resultsdir/bench_locks.csv and, if present, bench_ck.csv (rows with workload
# lock_handoff; columns latency_ns_p50 and latency_ns_p99). Output: outbase.svg and outbase.png.

if (!exists("resultsdir")) resultsdir = 'out/results/02-lockfree'
if (!exists("outbase")) outbase = 'out/plots/02-lockfree/bench_handoff'
datafile = resultsdir.'/bench_locks.csv'
has_ck = system("test -f '".resultsdir."/bench_ck.csv' && echo 1 || echo 0") + 0
ckfile = has_ck ? resultsdir.'/bench_ck.csv' : datafile  # without ck its series are empty

set datafile separator comma
set datafile commentschars "#"

# One series per structure; rows of other structures (and zero samples) become NaN.
pick(s, col) = (strcol("structure") eq s && strcol("workload") eq "lock_handoff" \
                && column("items") > 0) ? column(col) / 1000.0 : NaN

set logscale x 2
set logscale y 10
set xrange [1.6:10]
set xtics ("2" 2, "4" 4, "8" 8) nomirror
set ytics nomirror
set format y "%g"
set grid xtics ytics mytics lc rgb "#dddddd"
set border 3
set xlabel "threads"

set style line 1 lc rgb "#7f7f7f" lw 2 pt 7 ps 0.8        # pthread mutex
set style line 2 lc rgb "#bcbd22" lw 2 pt 5 ps 0.8        # pthread spin
set style line 3 lc rgb "#d62728" lw 2 pt 9 ps 0.9        # tas
set style line 4 lc rgb "#ff7f0e" lw 2 pt 11 ps 0.9       # ttas
set style line 5 lc rgb "#2ca02c" lw 2 pt 13 ps 0.9       # ticket
set style line 6 lc rgb "#1f77b4" lw 2 pt 15 ps 0.9       # mcs
set style line 7 lc rgb "#d62728" lw 1 dt 2 pt 8 ps 0.8   # ck fas
set style line 8 lc rgb "#2ca02c" lw 1 dt 2 pt 12 ps 0.8  # ck ticket
set style line 9 lc rgb "#1f77b4" lw 1 dt 2 pt 14 ps 0.8  # ck mcs

do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 1100,480 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 1100,480 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    set multiplot layout 1,2 title "Lock handoff latency: unlock to the next acquire by another thread (lower is better)"
    do for [panel=1:2] {
        col = panel == 1 ? "latency_ns_p50" : "latency_ns_p99"
        set ylabel (panel == 1 ? "median handoff, us (log scale)" : "99th percentile handoff, us (log scale)")
        if (panel == 1) { set key off } else { set key outside right top box font ",9" noenhanced }
        plot datafile using "threads":(pick("pthread_mutex", col)) smooth unique with linespoints ls 1 title "pthread mutex", \
             "" using "threads":(pick("pthread_spin", col)) smooth unique with linespoints ls 2 title "pthread spinlock", \
             "" using "threads":(pick("tas", col)) smooth unique with linespoints ls 3 title "TAS", \
             "" using "threads":(pick("ttas", col)) smooth unique with linespoints ls 4 title "TTAS + backoff", \
             "" using "threads":(pick("ticket", col)) smooth unique with linespoints ls 5 title "ticket", \
             "" using "threads":(pick("mcs", col)) smooth unique with linespoints ls 6 title "MCS", \
             ckfile using "threads":(pick("ck_fas", col)) smooth unique with linespoints ls 7 title "ck FAS (peer)", \
             "" using "threads":(pick("ck_ticket", col)) smooth unique with linespoints ls 8 title "ck ticket (peer)", \
             "" using "threads":(pick("ck_mcs", col)) smooth unique with linespoints ls 9 title "ck MCS (peer)"
    }
    unset multiplot
    set output
}

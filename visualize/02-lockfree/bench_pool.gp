# bench_pool.gp -- lab 02 part F: lab 01's thread pool under redis-benchmark (-c 50), with its
# own mutex+condvar queue and with the MPMC ring as its queue: requests per second for SET and
# GET at each worker count the run measured (4 in quick mode; 2, 4 and 8 in full mode).
# harness/bench runs it as: gnuplot -e "resultsdir='...'; outbase='...'" bench_pool.gp
# Input: resultsdir/bench_pool.csv (queue,workers,test,connections,requests,ops_per_s,p50_us,
# p99_us,server_cpu_us_per_request,status), each row a queue's median run. Output: outbase.svg and outbase.png.

if (!exists("resultsdir")) resultsdir = 'out/results/02-lockfree'
if (!exists("outbase")) outbase = 'out/plots/02-lockfree/bench_pool'
datafile = resultsdir.'/bench_pool.csv'

set datafile separator comma
set datafile commentschars "#"

# Rows in file order: per worker count, mutex's set, get, all, then ring's set, get, all.
# The x position of a row: its worker-count group, then set/get side by side, the queue's bar
# within the pair. "all" rows are left out (they are the targets' summary).
group(w) = (w == 2 ? 0 : (w == 4 ? 1 : 2))
xpos(q, w, t) = group(w) * 3 + (t eq "set" ? 0 : 1) + (q eq "ring" ? 0.35 : 0)
pick(q) = (strcol("queue") eq q && strcol("test") ne "all") ? column("ops_per_s") : NaN

set style fill solid 0.85 border -1
set boxwidth 0.33
set yrange [0:*]
set format y "%.0s%c"
set ytics nomirror
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror ("SET\n2 workers" 0.17, "GET\n2 workers" 1.17, "SET\n4 workers" 3.17, "GET\n4 workers" 4.17, \
                    "SET\n8 workers" 6.17, "GET\n8 workers" 7.17) font ",9"
set xrange [-0.6:8]
set ylabel "requests per second"
set xlabel "bars: each queue's median run of 7, alternating; quick mode measures 4 workers only, --full adds 2 and 8" offset 0,-0.6 font ",9"
set key outside right top box font ",9"
set title "Lab 01's pool: its mutex queue against the MPMC ring (redis-benchmark -c 50, higher is better)"

do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 900,500 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 900,500 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    plot datafile using (xpos(strcol("queue"), column("workers"), strcol("test"))):(pick("mutex")) with boxes lc rgb "#7f7f7f" title "mutex + condvar queue", \
         "" using (xpos(strcol("queue"), column("workers"), strcol("test"))):(pick("ring")) with boxes lc rgb "#1f77b4" title "MPMC ring"
    set output
}

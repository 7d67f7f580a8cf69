# bench_servers_throughput.gp -- lab 01: throughput of the four server models against the number
# of connections, without pipelining (left) and with 16 requests in flight per connection (right).
# harness/bench runs it as: gnuplot -e "resultsdir='...'; outbase='...'" bench_servers_throughput.gp
# Input: resultsdir/bench_servers.csv (server,model,connections,pipeline,...,ops_per_s,...).
# Output: outbase.svg and outbase.png. redis-server (same generator) is drawn when the run had --peers.

if (!exists("resultsdir")) resultsdir = 'out/results/01-servers'
if (!exists("outbase")) outbase = 'out/plots/01-servers/bench_servers_throughput'
datafile = resultsdir.'/bench_servers.csv'

set datafile separator comma
set datafile commentschars "#"
set datafile missing ""

# `smooth unique` sorts each series by connections, whatever the CSV's row order. One series = one (server, model) at one pipeline depth; rows of other series become NaN, and
# a point with no throughput (the server refused every connection) is left out of a log axis.
pick(server, model, p) = (strcol("server") eq server && strcol("model") eq model && \
                          column("pipeline") == p && column("ops_per_s") > 0) \
                         ? column("ops_per_s") : NaN

# A point whose status is not "ok" (a starved, refused or failing connection) gets a ring: its
# number covers only the connections that were answered.
flagged(p) = (column("pipeline") == p && strcol("status") ne "ok" && column("ops_per_s") > 0) \
             ? column("ops_per_s") : NaN

set logscale x 2
set logscale y 10
set xrange [0.7:800]
set xtics ("1" 1, "8" 8, "64" 64, "512" 512) nomirror
set xtics add ("" 50 1)  # 50 (the targets' point, epoll and redis-server only): a minor tic
set ytics nomirror
set format y "%.0s%c"
set grid xtics ytics mytics lc rgb "#dddddd"
set border 3
unset xlabel  # the key sits below; the title names the x axis
set ylabel "requests per second (log scale)"
set key below box font ",9" maxrows 3
set bmargin 10

set style line 1 lc rgb "#d62728" lw 2 pt 7 ps 0.8   # sequential
set style line 2 lc rgb "#ff7f0e" lw 2 pt 5 ps 0.8   # threads
set style line 3 lc rgb "#2ca02c" lw 2 pt 9 ps 0.9   # pool
set style line 4 lc rgb "#1f77b4" lw 2 pt 13 ps 0.9  # epoll
set style line 5 lc rgb "#555555" lw 2 dt 2 pt 6 ps 0.8 # redis-server
set style line 6 lc rgb "#000000" lw 1 pt 6 ps 2.2    # a ring around a point not "ok"

stats datafile using (column("ops_per_s") > 0 ? column("ops_per_s") : NaN) nooutput
set yrange [STATS_min / 2 : STATS_max * 2]

panel(p) = sprintf("pipeline %d: %s", p, p == 1 ? "one request in flight per connection" \
                                                 : "16 requests in flight per connection")
do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 1100,540 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 1100,540 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    set multiplot layout 1,2 title "Server models: throughput against client connections (log x; higher is better)"
    do for [p in "1 16"] {
        set title panel(p + 0)
        plot datafile using "connections":(pick("keel-server", "sequential", p + 0)) \
                 smooth unique with linespoints ls 1 title "sequential", \
             "" using "connections":(pick("keel-server", "threads", p + 0)) \
                 smooth unique with linespoints ls 2 title "thread per connection", \
             "" using "connections":(pick("keel-server", "pool", p + 0)) \
                 smooth unique with linespoints ls 3 title "thread pool", \
             "" using "connections":(pick("keel-server", "epoll", p + 0)) \
                 smooth unique with linespoints ls 4 title "epoll event loop", \
             "" using "connections":(pick("redis-server", "redis", p + 0)) \
                 smooth unique with linespoints ls 5 title "redis-server (with --peers)", \
             "" using "connections":(flagged(p + 0)) with points ls 6 \
                 title "ringed: some connections got no reply (status column)"
    }
    unset multiplot
    set output
}

# bench_servers_vs_redis.gp -- lab 01: the epoll model beside redis-server at 50 connections (the
# targets' point), one request in flight and 16: throughput (left) and p99 latency (right).
# harness/bench runs it as: gnuplot -e "resultsdir='...'; outbase='...'" bench_servers_vs_redis.gp
# Input: resultsdir/bench_servers.csv. redis-server rows exist only in a run with --peers:
# "same generator" is keel-load's workload on redis-server, "redis-benchmark" is Redis's own client
# (its SET and GET runs, 50/50 rather than 90% GET). Output: outbase.svg and outbase.png.

if (!exists("resultsdir")) resultsdir = 'out/results/01-servers'
if (!exists("outbase")) outbase = 'out/plots/01-servers/bench_servers_vs_redis'
datafile = resultsdir.'/bench_servers.csv'

set datafile separator comma
set datafile commentschars "#"

# Series s (0..3) at pipeline p: bar s of group 0 (P=1) or 1 (P=16).
is_series(s) = (s == 0) ? (strcol("server") eq "keel-server" && strcol("model") eq "epoll") : \
               (s == 1) ? (strcol("server") eq "redis-server") : \
               (s == 2) ? (strcol("server") eq "redis-benchmark" && strcol("model") eq "get") : \
                          (strcol("server") eq "redis-benchmark" && strcol("model") eq "set")
xpos(s) = (column("pipeline") == 1 ? 0 : 1) + (s - 1.5) * 0.2
# Throughput is drawn in thousands (ops_per_s / 1000) so the axis reads in plain numbers.
scale(col) = (col eq "ops_per_s") ? 1e-3 : 1
cell(s, col) = (column("connections") == 50 && is_series(s) && column(col) > 0) ? \
               column(col) * scale(col) : NaN
value_label(y) = sprintf("%.0f", y)

stats datafile using (strcol("server") eq "redis-server" ? 1 : 0) nooutput
has_peers = (STATS_sum > 0)

set style fill solid 0.85 border -1
set boxwidth 0.18
set border 3
set xrange [-0.55:1.55]
set xtics ("pipeline 1" 0, "pipeline 16" 1) nomirror scale 0
set ytics nomirror
set grid ytics lc rgb "#dddddd"
set key below box font ",9" maxrows 2
set yrange [0:*]
set format y "%.0f"

colour_epoll = "#1f77b4"; colour_redis = "#555555"; colour_get = "#999999"; colour_set = "#cccccc"

do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 1100,520 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 1100,520 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    set multiplot layout 1,2 title "epoll model beside redis-server, 50 connections" . \
        (has_peers ? "" : " (redis-server not measured: run with --peers)")
    do for [panel = 1:2] {
        col = (panel == 1) ? "ops_per_s" : "p99_us"
        set title (panel == 1) ? "throughput, thousand requests/s (higher is better)" \
                               : "p99 latency, microseconds (lower is better)"
        set offsets 0, 0, graph 0.12, 0
        plot datafile using (xpos(0)):(cell(0, col)) with boxes lc rgb colour_epoll \
                 title "keel-server --model epoll (keel-load)", \
             "" using (xpos(0)):(cell(0, col)):(value_label(cell(0, col))) \
                 with labels offset 0,0.7 font ",8" notitle, \
             "" using (xpos(1)):(cell(1, col)) with boxes lc rgb colour_redis \
                 title "redis-server (keel-load, same workload)", \
             "" using (xpos(1)):(cell(1, col)):(value_label(cell(1, col))) \
                 with labels offset 0,0.7 font ",8" notitle, \
             "" using (xpos(2)):(cell(2, col)) with boxes lc rgb colour_get \
                 title "redis-server (redis-benchmark GET)", \
             "" using (xpos(3)):(cell(3, col)) with boxes lc rgb colour_set \
                 title "redis-server (redis-benchmark SET)"
    }
    unset multiplot
    set output
}

# bench_sim.gp -- lab 04: how fast a cluster replaces a crashed leader (simulated), as a CDF.
# harness/bench runs it as: gnuplot -e "resultsdir='...'; outbase='...'" bench_sim.gp
# Input: resultsdir/bench_sim.csv, a '# keel' comment line, the header, then one row per
# (nodes, ticks): the fraction of trials with a new leader within that many ticks of the crash.
# Output: outbase.svg and outbase.png: one curve per cluster size, the timeout range shaded.
if (!exists("resultsdir")) resultsdir = 'out/results/04-raft'
if (!exists("outbase")) outbase = 'out/plots/04-raft/bench_sim'
datafile = resultsdir.'/bench_sim.csv'
set datafile separator comma
set datafile commentschars "#"

# The election timeout range, [election_ticks, 2 election_ticks), from the first row.
stats datafile using "election_ticks" nooutput
ET = STATS_min
set object 1 rect from ET, graph 0 to 2 * ET, graph 1 fc rgb "#eeeeee" fs solid 1.0 noborder behind
set label 1 "one timeout" at 1.5 * ET, graph 0.06 center font ",9" tc rgb "#666666"
set arrow 1 from 4 * ET, graph 0 to 4 * ET, graph 1 nohead dt 2 lc rgb "#888888"
set label 2 "two of the longest" at 4 * ET, graph 0.06 left offset 0.5,0 font ",9" tc rgb "#666666"

set xrange [0 : 8 * ET]
set yrange [0 : 1.02]
set grid xtics ytics lc rgb "#dddddd"
set border 3
set xtics nomirror
set ytics nomirror
set xlabel "ticks from the leader's crash to a new leader (a message takes 1 tick)"
set ylabel "fraction of trials elected"
set title "Leader failover in simulation: cumulative distribution (left and steep is better)"
set key bottom right box opaque

do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 800,450 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 800,450 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    plot datafile using "ticks":(column("nodes") == 3 ? column("cdf") : NaN) \
             with steps lw 2 lc rgb "#ff7f0e" title "3 nodes", \
         "" using "ticks":(column("nodes") == 5 ? column("cdf") : NaN) \
             with steps lw 2 lc rgb "#1f77b4" title "5 nodes"
    set output
}

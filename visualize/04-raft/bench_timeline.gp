# bench_timeline.gp -- lab 04: the timeline of a failing run (bench_timeline's: a disk that
# loses a node's vote when it crashes), drawn as the grader draws a failed test's
# (harness/py/timeline.gp): one lane a node, its role over virtual time (gray follower, orange
# candidate, blue leader, labelled with its term), red dashes while it is down, dots where it
# applied entries, and a red line at the tick where the check broke, with why.
# harness/bench runs it as: gnuplot -e "resultsdir='...'; outbase='...'" bench_timeline.gp
# Input: resultsdir/bench_timeline.csv: piece,tick,node,length,role,text (one row a piece).
if (!exists("resultsdir")) resultsdir = 'out/results/04-raft'
if (!exists("outbase")) outbase = 'out/plots/04-raft/bench_timeline'
datafile = resultsdir.'/bench_timeline.csv'
set datafile separator comma
set datafile commentschars "#"
set datafile missing NaN

is(kind) = strcol(1) eq kind
stats datafile using (is("role") ? column(3) : NaN) nooutput
nodes = int(STATS_max)
stats datafile using (is("broken") ? column(2) : NaN) nooutput
broke_at = STATS_max
set yrange [nodes + 0.8 : 0.3]
set ytics 1
set format y "node %g"
set xrange [0 : broke_at * 1.04 + 1]
set xlabel "tick (virtual time)"
set grid xtics lc rgb "#eeeeee"
set key off
set palette defined (1 "#bbbbbb", 2 "#ee9900", 3 "#1f5fbf")
set cbrange [1 : 3]
unset colorbox
set bmargin 6
set title "A failing run: a disk that loses a node's vote when it crashes (3 nodes, messages 1-8 ticks late)"
set label 2 "gray: follower   orange: candidate   blue: leader (its term)   red dashes: down   dots: applied   red line: where the check broke" at screen 0.01, screen 0.04 left font ",8" tc rgb "#555555"

do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 1000, 120 + 60 * nodes dynamic enhanced font "sans,10" background rgb "white"
    } else {
        set terminal pngcairo size 1000, 120 + 60 * nodes enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    plot datafile using (is("role") ? $2 : NaN):3:4:(0):5 with vectors nohead lw 9 lc palette, \
         "" using (is("down") ? $2 : NaN):3:4:(0) with vectors nohead lw 2 dt 2 lc rgb "#cc0000", \
         "" using (is("leader") ? $2 : NaN):($3 - 0.3):6 with labels left font ",8" tc rgb "#1f5fbf", \
         "" using (is("applied") ? $2 : NaN):3 with points pt 7 ps 0.35 lc rgb "#222222", \
         "" using (is("broken") ? $2 : NaN):(0.3):(0):(nodes + 0.5) with vectors nohead lw 2 lc rgb "#cc0000", \
         "" using (is("broken") ? $2 : NaN):(0.42):6 with labels right offset -0.5,0 noenhanced font ",8" tc rgb "#cc0000"
    set output
}

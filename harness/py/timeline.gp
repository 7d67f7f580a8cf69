# timeline.gp -- the drawing of a failed simulated run (harness/py/timeline.py writes the data
# and runs it): one lane a node, its role over virtual time (gray follower, orange candidate,
# blue leader, labelled with its term), a red dashed line while it is down, a gray bar above
# the lane while it is cut off, dots where it applied entries (green squares: a snapshot
# restored), and a red line at the tick where the run broke, with why.
# Variables (gnuplot -e): datafile, outbase, nodes, starttick, endtick, why, plottitle.
set datafile separator whitespace
set yrange [nodes + 0.8 : 0.3]
set ytics 1
set format y "node %g"
set xlabel "tick (virtual time)"
set grid xtics lc rgb "#eeeeee"
set key off
set title plottitle noenhanced font ",11"
set arrow 1 from endtick, graph 0 to endtick, graph 1 nohead lw 2 lc rgb "#cc0000"
set label 1 why at screen 0.01, screen 0.04 left noenhanced font ",9" tc rgb "#cc0000"
set bmargin 6
set label 2 "gray: follower   orange: candidate   blue: leader (its term)   red dashes: down   gray bar: cut off   dots: applied   green squares: snapshot restored   red line: where the run broke" at screen 0.01, screen 0.09 left font ",8" tc rgb "#555555"
set xrange [starttick : endtick + (endtick - starttick) * 0.02 + 1]
set palette defined (1 "#bbbbbb", 2 "#ee9900", 3 "#1f5fbf")
set cbrange [1 : 3]
unset colorbox

plot datafile index 0 using 1:2:3:(0):4 with vectors nohead lw 9 lc palette, \
     datafile index 1 using 1:2:3:(0) with vectors nohead lw 2 dt 2 lc rgb "#cc0000", \
     datafile index 2 using 1:($2 - 0.3):3:(0) with vectors nohead lw 4 lc rgb "#777777", \
     datafile index 3 using 1:($2 + 0.3):3 with labels left font ",8" tc rgb "#1f5fbf", \
     datafile index 4 using 1:2 with points pt 7 ps 0.35 lc rgb "#222222", \
     datafile index 5 using 1:2 with points pt 5 ps 0.9 lc rgb "#2a9d2a"

set terminal svg size 1100, 120 + 60 * nodes dynamic font "sans,10" background rgb "white"
set output outbase.'.svg'
replot
set terminal pngcairo size 1100, 120 + 60 * nodes font "sans,10"
set output outbase.'.png'
replot
set output

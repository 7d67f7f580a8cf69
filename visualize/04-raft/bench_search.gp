# bench_search.gp -- lab 04: the bounded exhaustive search, how many states each depth bound
# holds and how fast they are explored.
# harness/bench runs it as: gnuplot -e "resultsdir='...'; outbase='...'" bench_search.gp
# Input: resultsdir/bench_search.csv, a '# keel' comment line, the header, then one row per
# bound: states explored, time, states a second, exhausted, violations; the rows of world
# every_order (one per depth bound) are plotted.
# Output: outbase.svg and outbase.png: states per depth (bars, log scale) and states a second.
if (!exists("resultsdir")) resultsdir = 'out/results/04-raft'
if (!exists("outbase")) outbase = 'out/plots/04-raft/bench_search'
datafile = resultsdir.'/bench_search.csv'
set datafile separator comma
set datafile commentschars "#"
# The rows of the search over every order of delivery (the figure_8 rows are in the notes).
every_order(v) = strcol("world") eq "every_order" ? v : NaN

set logscale y 10
set format y "10^{%L}"
set y2range [0 : *]
set y2tics nomirror
set ytics nomirror
set grid ytics lc rgb "#dddddd"
set border 11
set xtics 1 nomirror
set xlabel "depth bound: actions from a new cluster of 3 (deliver, lose, time out, propose)"
set ylabel "distinct states explored"
set y2label "states explored a second"
set title "Exhaustive search of 3 nodes: every history to each depth (elections to term 2, one command)"
set key top left box opaque
set style fill solid 0.6 noborder
set boxwidth 0.6

do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 800,450 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 800,450 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    plot datafile using (every_order(column("depth"))):(column("states")) with boxes lc rgb "#1f77b4" \
             title "states (left)", \
         "" using (every_order(column("depth"))):(column("states_per_s")) axes x1y2 with linespoints \
             lw 2 pt 7 lc rgb "#ff7f0e" title "states a second (right)"
    set output
}

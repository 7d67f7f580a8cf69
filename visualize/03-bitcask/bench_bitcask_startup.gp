# bench_bitcask_startup.gp -- lab 03: time to open a store (rebuild the keydir) with and without
# hint files, by key count and value size. harness/bench runs it as:
#   gnuplot -e "resultsdir='...'; outbase='...'" bench_bitcask_startup.gp
# Input: resultsdir/bench_bitcask.csv, rows with bench "startup".
# Output: outbase.svg and outbase.png, one bar per row, blue with hints, orange without.
if (!exists("resultsdir")) resultsdir = 'out/results/03-bitcask'
if (!exists("outbase")) outbase = 'out/plots/03-bitcask/bench_bitcask_startup'
datafile = resultsdir.'/bench_bitcask.csv'
set datafile separator comma
set datafile commentschars "#"
is_startup(b) = (b eq "startup")
label(k, v, h) = sprintf("%dk keys\n%d B\nhints %s", k / 1000, v, h)
# The start-up rows come first in the file (bench_bitcask prints them first): the x range
# covers just those, so the space rows after them leave no empty slots.
stats datafile using (is_startup(strcol("bench")) ? 1 : 0) nooutput
set xrange [-0.6:STATS_sum - 0.4]
set logscale y 10
set style fill solid 0.85 border -1
set boxwidth 0.7
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror scale 0 font ",9"
set ytics nomirror
set ylabel "open time (ms, log scale; best of 3)"
set title "Start-up: rebuilding the keydir with and without hint files (lower is better)"
set bmargin 5
do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 800,450 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 800,450 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    plot datafile using 0:(is_startup(strcol("bench")) ? column("ms") : 1/0): \
             ((strcol("hints") eq "yes") ? 0x1f77b4 : 0xff7f0e): \
             xtic(is_startup(strcol("bench")) ? \
                  label(column("keys"), column("value_bytes"), strcol("hints")) : "") \
             with boxes lc rgb variable notitle
}

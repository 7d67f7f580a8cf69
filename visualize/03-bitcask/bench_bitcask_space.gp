# bench_bitcask_space.gp -- lab 03: space amplification (bytes in data files / bytes of live
# records) over an overwrite run that merges after every other phase. harness/bench runs it as:
#   gnuplot -e "resultsdir='...'; outbase='...'" bench_bitcask_space.gp
# Input: resultsdir/bench_bitcask.csv, rows with bench "space" and "space_final".
# Output: outbase.svg and outbase.png.
if (!exists("resultsdir")) resultsdir = 'out/results/03-bitcask'
if (!exists("outbase")) outbase = 'out/plots/03-bitcask/bench_bitcask_space'
datafile = resultsdir.'/bench_bitcask.csv'
set datafile separator comma
set datafile commentschars "#"
is_space(b) = (b eq "space" || b eq "space_final")
set grid lc rgb "#dddddd"
set border 3
set xtics nomirror
set ytics nomirror
set yrange [0:*]
set xlabel "phase (each overwrites as many random keys as there are keys; merge after odd phases)"
set ylabel "space amplification (disk bytes / live bytes)"
set title "Disk usage over an overwrite-heavy run with merges (lower is better)"
do for [ext in "svg png"] {
    if (ext eq "svg") {
        set terminal svg size 800,450 dynamic enhanced font "sans,12" background rgb "white"
    } else {
        set terminal pngcairo size 800,450 enhanced font "sans,10" background rgb "white"
    }
    set output outbase.'.'.ext
    plot datafile using (is_space(strcol("bench")) ? column("phase") : 1/0):"space_amp" \
         with linespoints lw 2 pt 7 lc rgb "#1f77b4" title "space amplification"
}

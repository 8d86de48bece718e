# SPDX-License-Identifier: GPL-2.0
#
# The chart of bench/results.png; bench/report.py runs it with
#   targets  data file: index "label" ratio min max limit met (min, max:
#            of the ratios within each round)
#   w1       data file: one block per series of "KiB ratio" lines
#   out      the PNG to write
#   heading  the title
#   nseries, sname0..: the W1 series and their names
#   phases   data file: one block per peer and phase of "KiB microseconds"
#            lines (W1's median mmap + touch, and munmap + release)
#   nphases, pname0.., pdash0..: their names and dash types (1 map, 2 unmap)
# Ratios are iobmd's median time over the peer's: lower is better.

set terminal pngcairo noenhanced size 1900,1500 font "DejaVu Sans,11"
set output out
set multiplot layout 3,1 title heading font ",13"

# Top: every target, its ratio (bar), the range of the ratios within
# each round (whisker) and its limit (black line across the bar).
set title "Targets: bar = ratio of medians (green met, red missed), whisker = range of the per-round ratios, black line = limit"
set logscale y 2
set yrange [0.125:32]
set ytics ("1/8" 0.125, "1/4" 0.25, "1/2" 0.5, "1" 1, "2" 2, "4" 4, "8" 8, "16" 16, "32" 32)
set grid ytics
set ylabel "iobmd / peer"
set style fill solid 0.6 border -1
set boxwidth 0.6
set xrange [-0.6:*]
set xtics rotate by 0 font ",8"
unset key
plot targets using 1:3:($7 > 0.5 ? 0x33aa33 : 0xcc3333):xticlabels(2) with boxes lc rgb variable, \
     targets using 1:3:4:5 with yerrorbars lc rgb "#333333" pt 7 ps 0.4, \
     targets using ($1 - 0.4):6:(0.8):(0) with vectors nohead lw 3 lc rgb "black", \
     1 with lines dt 2 lc rgb "#666666"

# Bottom: W1 (allocate + map + touch + release) by size.
set title "W1 allocate + mmap + touch every page + release, by size"
set logscale x 2
set xrange [2:1048576]
set xtics ("4 KiB" 4, "64 KiB" 64, "2 MiB" 2048, "64 MiB" 65536, "512 MiB" 524288) font ",10"
set xlabel "buffer size"
set yrange [0.125:8]
set key top left
plot for [i=0:nseries-1] w1 index i using 1:2 with linespoints lw 2 pt 7 \
         title value(sprintf("sname%d", i)), \
     1 with lines dt 2 lc rgb "#666666" notitle

# Last: where W1's time goes in mapping and unmapping (absolute medians;
# mapping is mmap and the first touch of every page, since anonymous
# memory maps at the touch's faults, and unmapping is munmap and the
# release, since anonymous memory's munmap is its release): iobmd maps
# 4 KiB pages where anonymous memory maps huge pages.
set title "W1 mmap + first touch of every page (solid), munmap + release (dashed): sums of the phase medians, by size"
unset logscale y
set logscale y 10
set yrange [*:*]
set ytics auto
set format y "%g"
set ylabel "microseconds"
set key top left
plot for [i=0:nphases-1] phases index i using 1:2 with linespoints lw 2 pt 7 \
         lc (i / 2 + 1) dt value(sprintf("pdash%d", i)) \
         title value(sprintf("pname%d", i))
unset multiplot

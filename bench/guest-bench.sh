#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The program `make bench` runs in the guest (scripts/bench.sh hands it to
# scripts/vm-run.sh, with /bench/ added to the initramfs).  /bench/bench.conf
# sets:
#   BENCH_MODE   "run": iobmd_bench once, its JSON between the
#                "@@BENCH@@ json-begin" and "json-end" lines;
#                "perf": each workload (one peer at a time, iobmd and its
#                main peer) under `perf record` with --quick, then the
#                hottest symbols of the process (user and kernel) and their
#                callers between "@@BENCH@@ profile-begin NAME" and
#                "profile-end" lines, and `perf stat` software counters
#   BENCH_ARGS   more iobmd_bench options ("run")
#   BENCH_PROFILES  "perf": the profiles to take (names as below,
#                space-separated); empty for all
set -u
# shellcheck disable=SC1091 # written by scripts/bench.sh
. /bench/bench.conf

if [ "$BENCH_MODE" = run ]; then
	# shellcheck disable=SC2086 # one word per option
	exec /bench/iobmd_bench $BENCH_ARGS
fi

PERF=/usr/bin/perf
if ! "$PERF" version >/dev/null 2>&1; then
	echo "perf does not run in this guest"
	exit 1
fi
# Kernel symbols for perf report.
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid

status=0
profile() { # NAME iobmd_bench-options...
	name=$1
	shift
	case " ${BENCH_PROFILES:-$name} " in
	*" $name "*) ;;
	*) return 0 ;;
	esac
	data=/tmp/perf-$name.data
	echo "@@BENCH@@ profile-begin $name"
	echo "iobmd_bench --quick --no-print $*"
	# The process and its kernel time only: the idle CPU stays out.
	if "$PERF" record -q -g -e cpu-clock -F 2000 -N -B -o "$data" -- \
		/bench/iobmd_bench --quick --no-print "$@" >/tmp/bench.log 2>&1; then
		grep -E '^w[0-9]' /tmp/bench.log
		"$PERF" report -i "$data" --stdio --no-children --sort sym -g none \
			--percent-limit 0.4 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 45
		echo "-- callers of the symbols above 2%"
		"$PERF" report -i "$data" --stdio --no-children --sort sym \
			-g caller,1,callee,function,percent --percent-limit 2 \
			--max-stack 10 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 150
	else
		cat /tmp/bench.log
		status=1
	fi
	rm -f "$data"
	echo "@@BENCH@@ profile-end $name"
}

mib=$((1 << 20))
for peer in iobmd iobmd-mask32 dma-heap; do
	profile "w1-512M-$peer" --only w1 --size $((512 * mib)) --peer "$peer"
done
for peer in iobmd dma-heap; do
	profile "w1-64M-$peer" --only w1 --size $((64 * mib)) --peer "$peer"
	profile "w2-$peer" --only w2 --peer "$peer"
	profile "w5-$peer" --only w5 --peer "$peer"
done
profile w3 --only w3
# NAME:BYTES:SAMPLES, enough samples that the rounds outweigh starting up.
for case in 4K:4096:3000 2M:$((2 * mib)):300 64M:$((64 * mib)):20; do
	bytes=${case#*:}
	for peer in iobmd dma-heap; do
		profile "w6-${case%%:*}-$peer" --only w6 --size "${bytes%%:*}" \
			--peer "$peer" --samples "${bytes#*:}"
	done
done
# Many samples, so that pinning outweighs writing the memory once.
for peer in iobmd io_uring; do
	profile "w4-$peer" --only w4 --peer "$peer" --samples 100
	profile "w4-thp-$peer" --only w4 --op pin --peer "$peer" --samples 400
	profile "w4-4k-$peer" --only w4 --op pin-4k --peer "$peer" --samples 40
done

[ -z "${BENCH_PROFILES:-}" ] || exit "$status"
echo "@@BENCH@@ stat-begin"
for peer in iobmd dma-heap; do
	echo "-- w1 64 MiB $peer"
	"$PERF" stat -e task-clock,page-faults,context-switches,cpu-migrations -- \
		/bench/iobmd_bench --quick --no-print --only w1 --size $((64 * mib)) \
		--peer "$peer" 2>&1 | grep -E '^ +[0-9]|elapsed|^w1'
done
echo "@@BENCH@@ stat-end"
exit "$status"

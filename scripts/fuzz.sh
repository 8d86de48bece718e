#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz.sh [options]: what `make fuzz` runs (not part of `make check`).
#
# Runs selftests/iobmd_fuzz_test.c for a long time on the debug kernel
# (scripts/build-debug-kernel.sh: KASAN, lockdep, kmemleak, soft-lockup and
# hung-task detectors), with its whole repertoire: composed graphs
# (IOBMD_FUZZ_SHAPES), huge ones walked by a child that is then killed
# (IOBMD_FUZZ_HUGE), and 32-bit callers: the fuzzer is also built with
# `gcc -m32 -static` (Debian's gcc-12-multilib) and runs beside the 64-bit one,
# through the kernel's compat entry points.
#
# The calls are cut into chunks of --chunk operations, each a process of its
# own with a seed of its own, printed before the run; the chunks go to
# --lanes processes running at once (lane 1 64-bit, lane 2 32-bit, and so
# on).  One chunk is reproduced on its own with
#   IOBMD_FUZZ_SEED=<seed> IOBMD_FUZZ_OPS=<ops> IOBMD_FUZZ_SHAPES=1 \
#   IOBMD_FUZZ_HUGE=1 iobmd_fuzz_test       (or iobmd_fuzz_test32)
# in the guest (scripts/vm-run.sh --env ...).
#
# Bounded time: the guest stops the run at --time seconds (the run then
# fails), a chunk that runs longer than its own limit fails, and QEMU is
# killed --time plus 15 minutes after it started.  A kernel report (soft
# lockup, hung task, WARNING, BUG, KASAN, lockdep, ...) stops every lane at
# once; so does a walk still running IOBMD_FUZZ_KILL_SECONDS (20) after its
# SIGKILL.  A wedged guest is thus a failure within the bound, not a hang.
#
# Prints the plan (seeds), then every chunk's result, then the calls made,
# the errnos seen (all chunks added up), the kernel reports seen (there must
# be none) and the time taken.  Exits non-zero on any failure.
#
# Options:
#   --calls N      at least N calls in all (default 1000000)
#   --chunk N      operations per chunk (default 10000)
#   --lanes N      processes at once (default 2: one 64-bit, one 32-bit)
#   --seed S       the first chunk's seed (default: random, printed)
#   --time SECS    the guest's time limit (default 14400)
#   --no-huge      leave the huge shapes out (today's module on main wedges
#                  on them: its walks are neither preemptible nor killable)
#   --no-shapes    leave every composed shape out
#   --no-32        64-bit lanes only
#   --krel KREL    a Debian kernel (/boot/vmlinuz-KREL) instead of the debug
#                  kernel, for a quick try
#   --out DIR      where it all goes (default build/fuzz)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

calls=1000000 chunk=10000 lanes=2 seed='' time_limit=14400 huge=1 shapes=1
bits32=1 krel='' out=$BUILD/fuzz
while [ $# -gt 0 ]; do
	case $1 in
	--calls) calls=$2; shift 2 ;;
	--chunk) chunk=$2; shift 2 ;;
	--lanes) lanes=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--time) time_limit=$2; shift 2 ;;
	--no-huge) huge=0; shift ;;
	--no-shapes) shapes=0 huge=0; shift ;;
	--no-32) bits32=0; shift ;;
	--krel) krel=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) die "unknown option $1 (see the top of $0)" ;;
	esac
done
for v in calls chunk lanes time_limit; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--${v/_limit/} wants a positive number"
done
[ -n "$seed" ] || seed=$(printf '%#x' "$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')")
[[ $seed =~ ^(0x[0-9a-fA-F]{1,16}|[0-9]+)$ ]] || die "--seed wants a number"

t0=$(date +%s)
mkdir -p "$out"
out=$(cd "$out" && pwd)

echo "=== dependencies"
load_deps
if [ -z "$krel" ]; then
	if ! bash "$ROOT/scripts/build-debug-kernel.sh" >"$out/kernel.env"; then
		die "the debug kernel did not build"
	fi
	eval "$(grep -E '^DEBUG_(KDIR|KREL|IMAGE)=' "$out/kernel.env")"
	krel=$DEBUG_KREL kdir=$DEBUG_KDIR image=$DEBUG_IMAGE
else
	kdir=/lib/modules/$krel/build image=/boot/vmlinuz-$krel
fi
echo "kernel: $krel ($image)"

echo "=== build"
IOBMD_KDIR=$kdir bash "$ROOT/scripts/build-module.sh" "$krel" "$out/module"
# The fuzzers go into the guest's /progs beside the runner, which runs
# them; built as scripts/build-selftests.sh builds the selftests.
tree=$out/tree
rm -rf "$tree"
mkdir -p "$tree/progs"
# shellcheck disable=SC2153 # KSRC comes from load_deps
cflags=(-O2 -g -static -Wall -Wextra -Werror -D_GNU_SOURCE
	-isystem "$KSRC/tools/testing/selftests" -I"$ROOT/uapi" -I"$ROOT/selftests")
gcc "${cflags[@]}" -o "$tree/progs/iobmd_fuzz_test" "$ROOT/selftests/iobmd_fuzz_test.c" ||
	die "the fuzzer did not build"
# The same fuzzer as a static i386 program (Debian's gcc-12-multilib).
if [ "$bits32" = 1 ] && ! gcc -m32 "${cflags[@]}" -o "$tree/progs/iobmd_fuzz_test32" \
	"$ROOT/selftests/iobmd_fuzz_test.c" >"$out/build32.log" 2>&1; then
	cat "$out/build32.log" >&2
	die "the 32-bit fuzzer did not build: gcc -m32 -static needs Debian's gcc-12-multilib"
fi

# --- the plan: chunks, seeds and lanes -------------------------------------
nchunks=$(( (calls + chunk - 1) / chunk ))
[ "$nchunks" -ge "$lanes" ] || lanes=$nchunks
# A chunk may take at most this long: 3 times its share of the time, and
# below the harness's own 900 s.
chunk_limit=$(( time_limit * lanes * 3 / nchunks ))
[ "$chunk_limit" -le 880 ] || chunk_limit=880
[ "$chunk_limit" -ge 120 ] || chunk_limit=120
plan=$out/plan
: >"$plan"
echo "=== plan: $nchunks chunk(s) of $chunk operations on $lanes lane(s), first seed $seed"
echo "    shapes=$shapes huge=$huge 32-bit=$bits32; at most ${time_limit}s in all, ${chunk_limit}s a chunk"
for ((j = 0; j < nchunks; j++)); do
	lane=$(( j % lanes + 1 ))
	prog=iobmd_fuzz_test
	[ "$bits32" = 1 ] && [ $((lane % 2)) = 0 ] && prog=iobmd_fuzz_test32
	# Seeds a golden ratio apart (64-bit wrap-around).
	s=$(printf '%#x' $(( seed + j * 0x9E3779B97F4A7C15 )))
	echo "$lane $((j + 1)) $prog $s $chunk" >>"$plan"
	printf '    chunk %3d lane %d %-18s seed %s\n' $((j + 1)) "$lane" "$prog" "$s"
done

# --- the guest's side: lanes, limits, stop on the first failure ------------
runner=$out/iobmd_fuzz_lanes
{
	cat <<EOF
#!/bin/sh
# Generated by scripts/fuzz.sh: runs the chunks of $plan.
LANES=$lanes TIME_LIMIT=$time_limit CHUNK_LIMIT=$chunk_limit
SHAPES=$shapes HUGE=$huge NCHUNKS=$nchunks
PLAN='$(cat "$plan")'
EOF
	cat <<'EOF'
D=/tmp/fuzz
mkdir -p $D
: >$D/results $D/groups
now() { cut -d. -f1 /proc/uptime; }
start=$(now)

# run_lane N: the lane's chunks in order, each in a session of its own.
run_lane() {
	echo "$PLAN" | while read -r lane j prog seed ops; do
		[ "$lane" = "$1" ] || continue
		[ -e $D/stop ] && break
		now >$D/lane$1.start
		IOBMD_FUZZ_SEED=$seed IOBMD_FUZZ_OPS=$ops IOBMD_FUZZ_SHAPES=$SHAPES \
			IOBMD_FUZZ_HUGE=$HUGE IOBMD_FUZZ_SHARED=1 IOBMD_FUZZ_HUGE_LOCK=$D/huge.lock \
			setsid /progs/$prog >$D/chunk$j.out 2>&1 </dev/null &
		echo $! >$D/lane$1.pid
		echo $! >>$D/groups
		wait $!
		rc=$?
		rm -f $D/lane$1.pid $D/lane$1.start
		echo "$j $rc" >>$D/results
		[ "$rc" = 0 ] || { echo "chunk $j failed (exit $rc)" >>$D/stop; break; }
	done
	echo finished >$D/lane$1.done
}

stop_all() {
	echo "$1" >>$D/stop
	for p in $D/lane*.pid; do
		[ -e "$p" ] && kill -KILL -"$(cat "$p")" 2>/dev/null
	done
}

i=1
while [ $i -le "$LANES" ]; do
	run_lane $i >$D/lane$i.log 2>&1 &
	i=$((i + 1))
done

reported=0 stopped_at=
splat='(WARNING:|BUG:|Oops|KASAN:|UBSAN:|possible circular|inconsistent lock state|sleeping function called|possible recursive locking|Call Trace|Kernel panic|general protection fault|blocked for more than|self-detected stall|soft lockup|hard LOCKUP)'
while :; do
	sleep 5
	n=$(ls $D/lane*.done 2>/dev/null | wc -l)
	[ "$n" -ge "$LANES" ] && break
	t=$(now)
	# Progress, a line a chunk, as chunks end.
	while [ "$reported" -lt "$(wc -l <$D/results)" ]; do
		reported=$((reported + 1))
		set -- $(sed -n "${reported}p" $D/results)
		echo "# chunk $1 ended (exit $2) at $((t - start))s: $(grep -o 'fuzz-summary.*' $D/chunk$1.out | sed 's/ errnos=.*//')"
	done
	if [ -z "$stopped_at" ]; then
		if [ -e $D/stop ]; then
			stop_all "stopping every lane"
		elif [ $((t - start)) -ge "$TIME_LIMIT" ]; then
			stop_all "the time limit (${TIME_LIMIT}s) ran out"
		elif dmesg | grep -qE "$splat"; then
			stop_all "the kernel reported a problem: $(dmesg | grep -m1 -E "$splat")"
		else
			for s in $D/lane*.start; do
				# A chunk may end, and its file go, meanwhile.
				st=$(cat "$s" 2>/dev/null) || continue
				[ -n "$st" ] || continue
				if [ $((t - st)) -ge "$CHUNK_LIMIT" ]; then
					stop_all "a chunk of ${s#$D/} ran longer than ${CHUNK_LIMIT}s"
				fi
			done
		fi
		[ -e $D/stop ] && stopped_at=$t
	elif [ $((t - stopped_at)) -ge 60 ]; then
		break
	fi
done
# Every process of every chunk must be gone (the module's counters are
# read next), killed ones included: 60 s for those.
waited=0
while :; do
	# Processes (not zombies) whose group is a chunk's.
	alive=$(cat /proc/[0-9]*/stat 2>/dev/null | awk -v gs=" $(tr '\n' ' ' <$D/groups) " \
		'$3 != "Z" && index(gs, " " $5 " ") { printf " %s", $1 }')
	[ -z "$alive" ] && break
	if [ "$waited" -ge 60 ]; then
		echo "process(es)$alive of the chunks still there 60s after SIGKILL: the kernel does not let them die" >>$D/stop
		break
	fi
	sleep 1
	waited=$((waited + 1))
done

# TAP: a result a chunk, in order.
echo "1..$NCHUNKS"
bad=0
echo "$PLAN" | while read -r lane j prog seed ops; do
	rc=$(sed -n "s/^$j //p" $D/results)
	sum=$(grep -o 'fuzz-summary.*' $D/chunk$j.out 2>/dev/null)
	if [ "$rc" = 0 ]; then
		echo "ok $j chunk $j lane $lane $prog seed $seed"
		echo "# $sum"
	elif [ -z "$rc" ] && [ ! -e $D/chunk$j.out ]; then
		echo "not ok $j chunk $j lane $lane $prog seed $seed: not run"
	else
		echo "not ok $j chunk $j lane $lane $prog seed $seed (exit ${rc:-none: still running})"
		sed 's/^/#   /' $D/chunk$j.out | tail -n 60
	fi
done
if [ -e $D/stop ]; then
	sed 's/^/# stopped: /' $D/stop
	bad=1
fi
echo "# $(($(now) - start))s"
exit $bad
EOF
} >"$runner"
chmod 755 "$runner"

# --- run ---------------------------------------------------------------------
echo "=== run on $krel"
vmdir=$out/vm
rc=0
bash "$ROOT/scripts/vm-run.sh" --tap --kernel "$image" --out "$vmdir" \
	--timeout $((time_limit + 900)) --prog-timeout $((time_limit + 300)) \
	--add-tree "$tree" "$krel" "$out/module/iobmd.ko" "$runner" >"$out/vm-run.log" 2>&1 &
vmpid=$!
# A guest whose every CPU is stuck in the kernel cannot stop by itself:
# once its console shows a lockup, it has 300 s to finish, and then QEMU is
# stopped through vm-run.sh's own `timeout` (by process id), which vm-run.sh
# reports as a failure.
lockup=
while kill -0 "$vmpid" 2>/dev/null; do
	sleep 10
	if [ -z "$lockup" ] && grep -qE 'soft lockup|hard LOCKUP|blocked for more than|self-detected stall' \
		"$vmdir/console.log" 2>/dev/null; then
		lockup=$(date +%s)
		echo "watchdog: the guest reports a lockup: $(grep -m1 -aoE '(soft lockup|hard LOCKUP|blocked for more than|self-detected stall).*' "$vmdir/console.log" | tr -d '\r')"
	fi
	if [ -n "$lockup" ] && [ "$lockup" != stopped ] && [ $(( $(date +%s) - lockup )) -ge 300 ]; then
		echo "watchdog: the guest did not finish 300 s after its lockup report: stopping QEMU"
		for p in $(pgrep -P "$vmpid" -x timeout || true); do
			kill "$p" 2>/dev/null || true
		done
		lockup=stopped
	fi
done
wait "$vmpid" || rc=$?
grep -vE '^# (chunk [0-9]+ ended|fuzz-summary)' "$out/vm-run.log" || true

# --- the figures ---------------------------------------------------------------
prog_out=$vmdir/progs/iobmd_fuzz_lanes.out
echo
echo "=== fuzz: seeds $(awk '{ print $4 }' "$plan" | head -n 1) .. $(awk '{ print $4 }' "$plan" | tail -n 1) ($plan)"
rm -f "$out/calls" "$out/walks"
awk -v callsfile="$out/calls" -v walksfile="$out/walks" '
	/^# fuzz-summary / {
		chunks++
		for (i = 3; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "calls") calls += kv[2]
			else if (kv[1] == "ops") ops += kv[2]
			else if (kv[1] == "failed") failed += kv[2]
			else if (kv[1] == "huge_walks") walks += kv[2]
			else if (kv[1] == "huge_finished") finished += kv[2]
			else if (kv[1] == "max_death_ms" && kv[2] + 0 > death) death = kv[2] + 0
			else if (kv[1] == "huge_visits" && kv[2] + 0 > visits) visits = kv[2] + 0
			else if (kv[1] == "huge_len" && kv[2] + 0 > hlen) hlen = kv[2] + 0
			else if (kv[1] == "bits") bits[kv[2]] += 1
			else if (kv[1] == "errnos") {
				n = split(kv[2], es, ",")
				for (k = 1; k <= n; k++)
					if (es[k] != "") { split(es[k], ev, ":"); hist[ev[1]] += ev[2] }
			}
		}
	}
	END {
		printf "chunks passed: %d (%d 64-bit, %d 32-bit)\n", chunks, bits[64], bits[32]
		printf "operations: %d; calls: %d, %d failed with a documented errno\n", ops, calls, failed
		printf "huge shapes walked: %d (%d walks ended before the SIGKILL); the longest a killed walker took to go: %d ms\n", walks, finished, death
		printf "the largest huge shapes: %.0f visits; %.0f bytes\n", visits, hlen
		printf "errnos:"
		for (e in hist) printf " %s %d", e, hist[e]
		printf "\n"
		print calls + 0 > callsfile
		print walks + 0 > walksfile
	}' "$prog_out" || true
reports=0
if [ -s "$vmdir/splats.log" ] || [ -s "$vmdir/kmemleak.log" ]; then
	reports=$(cat "$vmdir/splats.log" "$vmdir/kmemleak.log" 2>/dev/null | wc -l) || true
	echo "kernel reports: $reports line(s):"
	{ cat "$vmdir/splats.log" "$vmdir/kmemleak.log" 2>/dev/null || true; } | head -n 20 | sed 's/^/    /'
else
	echo "kernel reports: none"
fi
[ ! -s "$vmdir/problems" ] || { echo "problems:"; sed 's/^/    /' "$vmdir/problems"; }
made=$(cat "$out/calls" 2>/dev/null || true)
[[ $made =~ ^[0-9]+$ ]] || made=0
echo "time: $(elapsed "$t0") (guest $(sed -n 's/.*seconds=//p' "$vmdir/summary" 2>/dev/null)s)"
walks=$(cat "$out/walks" 2>/dev/null || true)
[[ $walks =~ ^[0-9]+$ ]] || walks=0
# Huge shapes asked for and none walked: that part of the run never ran.
if [ "$huge" = 1 ] && [ "$walks" = 0 ]; then
	echo "fuzz: FAIL (no huge shape was walked)"
	exit 1
fi
if [ "$rc" = 0 ] && [ "${made:-0}" -ge "$calls" ] && [ "$reports" = 0 ]; then
	echo "fuzz: PASS, ${made} calls"
	exit 0
fi
echo "fuzz: FAIL (${made:-0} of $calls calls; see $vmdir)"
exit 1

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh [--quick] [--perf[=NAME,...]] [--cpu MODEL] [--icount]
#          [--kernel NAME|KREL] [--module KO] [--args OPTIONS]: what `make bench`
# runs.  As root on Debian 12:
#   1. scripts/install-deps.sh, plus gnuplot-nox for the chart (and
#      linux-perf with --perf);
#   2. iobmd.ko for the 6.12 kernel (build/<krel>/module) and
#      bench/iobmd_bench (C++20, static, with the C and C++ libraries' .a;
#      build/bench/iobmd_bench);
#   3. scripts/vm-run.sh boots 6.12 in QEMU, loads the module and runs
#      bench/guest-bench.sh, which runs iobmd_bench once: every workload,
#      every allocator, in one guest;
#   3b. unless --perf, or --args names another workload than W1, a second
#      guest booted with init_on_alloc=0 runs W1 again (anonymous
#      memory's fair floor; its names carry "[init_on_alloc=0]");
#   4. bench/report.py takes the JSON the guest printed on the results
#      port, adds the host's details, writes bench/results.json and
#      bench/results.png (the iobmd/peer ratios against their targets) and
#      prints the table.
#
# --quick runs a fifth of the repetitions and leaves its results under
# build/bench/ only.  --perf profiles each workload with perf inside the
# guest instead (build/bench/profile.txt; --perf=w4-iobmd,w4-io_uring takes
# only the profiles named in bench/guest-bench.sh); bench/results.* stay as
# they are.  --cpu gives QEMU's -cpu, default "max,-erms": TCG runs the
# string instructions the kernel zeroes and copies with on CPUs with ERMS
# (rep stosb, rep movsb) one byte per step, about five and a half times
# slower than the eight bytes per step it uses without ERMS, where on
# hardware ERMS marks the byte forms as the fast ones.  With ERMS the
# kernel's zeroing hides most of what W1 measures and W3 times TCG's
# rep movsb (see bench/README.md for both runs' figures).  Another
# model ("--cpu max" keeps ERMS) writes to build/bench/.
# --kernel boots another kernel than 6.12: an amd64 name of the matrix
# (scripts/lib.sh's FETCHED_KERNELS, e.g. 7.3, where buffers are mapped by
# PMD; fetched if need be) or the release of a kernel already there.  A
# full run on a named kernel writes bench/results-NAME.json and .png
# (`make bench` runs 6.12, then 7.3).  --module runs the module KO (built
# for that kernel) instead of the tree's, to compare two builds: it
# writes to build/bench/ only.
# --icount boots the guests with QEMU counting instructions
# (scripts/vm-run.sh --icount): every time is then a count of the
# instructions the guest ran, one per nanosecond, which no other load on
# the host changes; it leaves out what TCG makes of them (an instruction
# that needs a helper or a page walk costs more than one that does not).
# Its results go to build/bench/ only.
# --args passes more options to iobmd_bench ("--only w4 --op pin"); such a
# partial run also writes to build/bench/ only.
# Exits non-zero when a step fails, the VM run reports a problem (kernel
# warning, leak, timeout) or an iobmd case could not run; a missed target
# is a result, not a failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

default_cpu=max,-erms
quick='' perf='' profiles='' cpu=$default_cpu args='' krel='' module='' icount=''
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--perf) perf=perf ;;
	--perf=*) perf=perf profiles=${1#--perf=} ;;
	--cpu) cpu=${2:?--cpu needs a model}; shift ;;
	--icount) icount=--icount ;;
	--kernel) krel=${2:?--kernel needs a kernel name or release}; shift ;;
	--module) module=${2:?--module needs a .ko}; shift ;;
	--args) args=${2:?--args needs options}; shift ;;
	*) die "usage: $0 [--quick] [--perf[=NAME,...]] [--cpu MODEL] [--icount] [--kernel NAME|KREL] [--module KO] [--args OPTIONS]" ;;
	esac
	shift
done

t0=$(date +%s)
echo "=== dependencies"
load_deps
# A matrix name: the kernel fetched (once) and its release.
kname=''
if [ -n "$krel" ] && [ -n "${FETCHED_KERNELS[$krel]:-}" ]; then
	kname=$krel
	# shellcheck disable=SC2086 # NAME ARCH SUITE
	krel=$(bash "$ROOT/scripts/fetch-kernel.sh" ${FETCHED_KERNELS[$kname]} |
		sed -n 's/^KREL=//p')
	[ -n "$krel" ] || die "--kernel $kname: not fetched"
	case $krel in *-amd64) ;; *) die "--kernel $kname: amd64 kernels only" ;; esac
fi
other=${kname:+x}$krel$module
krel=${krel:-$KREL_612}
# A kernel neither of the matrix nor already there fails here, before
# anything is built.
kernel_tree "$krel"
if [ ! -e "$KT_IMAGE" ]; then
	names=$(printf '%s\n' "${!FETCHED_KERNELS[@]}" | grep -v -- '-arm64$' | sort -V | xargs)
	die "--kernel $krel: neither a name of the matrix ($names) nor a kernel on this machine; without --kernel, $KREL_612"
fi
[ -z "$module" ] || module=$(readlink -f "$module")
bench_pkgs=()
command -v gnuplot >/dev/null || bench_pkgs+=(gnuplot-nox)
if [ -n "$perf" ] && ! perf version >/dev/null 2>&1; then
	bench_pkgs+=(linux-perf)
fi
if [ ${#bench_pkgs[@]} -gt 0 ]; then
	msg "installing ${bench_pkgs[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-t bookworm-backports "${bench_pkgs[@]}" >"$BUILD/bench-deps.log" 2>&1 ||
		{ cat "$BUILD/bench-deps.log" >&2; die "cannot install ${bench_pkgs[*]}"; }
fi

echo "=== build (kernel $krel)"
moddir=$BUILD/$krel/module
if [ -n "$module" ]; then
	[ -f "$module" ] || die "--module: no $module"
	moddir=$BUILD/bench/module
	rm -rf "$moddir"
	mkdir -p "$moddir"
	cp "$module" "$moddir/iobmd.ko"
else
	bash "$ROOT/scripts/build-module.sh" "$krel" "$moddir"
fi
out=$BUILD/bench
mkdir -p "$out"
log=$out/iobmd_bench.log
# The libraries the "libiobmd" and "iokit" peers call, as their .a.
lib=$out/userlib
if ! make -C "$ROOT" -f userlib/userlib.mk O="$lib" WERROR= -j2 \
	"$lib/libiobmd.a" "$lib/libiobmd++.a" >"$log" 2>&1; then
	cat "$log" >&2
	die "iobmd_bench: the libraries do not build"
fi
# Compiled, then linked apart: static libnl's link notes (getprotobyname,
# which W8's dump never calls) are no compiler warnings.
objs=$out/obj
rm -rf "$objs"
mkdir -p "$objs"
if ! (cd "$objs" && "${CXX:-g++}" -std=c++20 -O2 -g -Wall -Wextra -I"$ROOT/uapi" \
	-I"$ROOT/userlib/c/include" -I"$lib/include" -I"$ROOT/userlib/include" \
	-c "$ROOT"/bench/*.cpp) >>"$log" 2>&1; then
	cat "$log" >&2
	die "iobmd_bench: compile failed"
fi
if grep -q 'warning:' "$log"; then
	cat "$log" >&2
	die "iobmd_bench: compiler warnings"
fi
# shellcheck disable=SC2046 # pkg-config's words are separate options
if ! "${CXX:-g++}" -static -o "$out/iobmd_bench" "$objs"/*.o "$lib/libiobmd++.a" \
	"$lib/libiobmd.a" $(pkg-config --static --libs libnl-genl-3.0) >>"$log" 2>&1; then
	cat "$log" >&2
	die "iobmd_bench: link failed"
fi
msg "built $out/iobmd_bench"

# What the guest gets besides the module: /bench/ and, for --perf, perf
# with the libraries it loads.
tree=$out/tree
rm -rf "$tree"
mkdir -p "$tree/bench"
cp "$out/iobmd_bench" "$tree/bench/"
{
	echo "BENCH_MODE=${perf:-run}"
	echo "BENCH_ARGS='${quick:+--quick}${args:+ $args}'"
	echo "BENCH_PROFILES='${profiles//,/ }'"
} >"$tree/bench/bench.conf"
if [ -n "$perf" ]; then
	perfbin=$(readlink -f "$(command -v perf)")
	mkdir -p "$tree/usr/bin"
	cp "$perfbin" "$tree/usr/bin/perf"
	ldd "$perfbin" | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
	while read -r lib; do
		mkdir -p "$tree$(dirname "$lib")"
		cp -L "$lib" "$tree$lib"
	done
fi

echo "=== QEMU: boot $krel, insmod iobmd.ko, run the benchmark${perf:+ under perf}"
vmdir=$out/vm
rc=0
# Only this run's guest output may be read (vm-run.sh empties its --out
# first, even when it stops before booting).
rm -f "$out/guest.json" "$out/guest-init0.json" "$out/profile.txt"
IOBMD_QEMU_CPU=$cpu bash "$ROOT/scripts/vm-run.sh" $icount --out "$vmdir" --timeout 1500 --prog-timeout 1200 \
	--add-tree "$tree" "$krel" "$moddir/iobmd.ko" "$ROOT/bench/guest-bench.sh" \
	>"$out/vm-run.log" 2>&1 || rc=$?
progout=$vmdir/progs/guest-bench.sh.out
if [ -n "$perf" ]; then
	cp "$progout" "$out/profile.txt" 2>/dev/null || true
	cat "$out/vm-run.log"
	echo "profile: $out/profile.txt ($(elapsed "$t0"))"
	exit "$rc"
fi
if [ ! -f "$progout" ] || ! grep -q '^@@BENCH@@ json-end' "$progout"; then
	cat "$out/vm-run.log"
	die "the guest printed no results (status $rc; logs in $vmdir)"
fi
sed -n '/^@@BENCH@@ json-begin$/,/^@@BENCH@@ json-end$/p' "$progout" |
	sed '1d;$d' >"$out/guest.json"
# The VM run's problems (kernel reports, leaks), if any.
if [ "$rc" != 0 ]; then
	sed -n '/^## problems/,$p' "$out/vm-run.log"
fi
guests=(--guest "$out/guest.json")

# W1 again in a guest booted with init_on_alloc=0: anonymous memory's
# transparent huge pages are then cleared once, as iobmd's pages are, and
# W1's floor is fair (its ratios are named "[init_on_alloc=0]").  Not when
# --args picks another workload.
run_init0() {
	local vtree=$out/tree-init0 vout=$vmdir-init0/progs/guest-bench.sh.out
	local vargs="${quick:+--quick}${args:+ $args}" vrc=0

	[[ " $args " == *" --only "* ]] || vargs="$vargs --only w1"
	rm -rf "$vtree"
	mkdir -p "$vtree/bench"
	cp "$out/iobmd_bench" "$vtree/bench/"
	{
		echo "BENCH_MODE=run"
		echo "BENCH_ARGS='$vargs --variant init_on_alloc=0'"
		echo "BENCH_PROFILES=''"
	} >"$vtree/bench/bench.conf"
	IOBMD_QEMU_CPU=$cpu bash "$ROOT/scripts/vm-run.sh" $icount --out "$vmdir-init0" \
		--timeout 1500 --prog-timeout 1200 --cmdline init_on_alloc=0 \
		--add-tree "$vtree" "$krel" "$moddir/iobmd.ko" "$ROOT/bench/guest-bench.sh" \
		>"$out/vm-run-init0.log" 2>&1 || vrc=$?
	if [ -f "$vout" ] && grep -q '^@@BENCH@@ json-end' "$vout"; then
		sed -n '/^@@BENCH@@ json-begin$/,/^@@BENCH@@ json-end$/p' "$vout" |
			sed '1d;$d' >"$out/guest-init0.json"
		guests+=(--guest "$out/guest-init0.json")
	else
		cat "$out/vm-run-init0.log"
		msg "the init_on_alloc=0 guest printed no results (status $vrc)"
		[ "$vrc" != 0 ] || vrc=1
	fi
	[ "$vrc" = 0 ] || rc=$vrc
}
if [[ " $args " != *" --only "* || " $args " == *" --only w1 "* ]]; then
	echo "=== QEMU: boot $krel with init_on_alloc=0, W1 again"
	run_init0
fi

echo "=== results"
dest=$ROOT/bench name=results
if [ -n "$kname" ] && [ -z "$quick$args$module$icount" ] && [ "$cpu" = "$default_cpu" ]; then
	name=results-$kname
elif [ -n "$quick$args$other$icount" ] || [ "$cpu" != "$default_cpu" ]; then
	dest=$out
fi
[ -z "$icount" ] || echo "(--icount: every time below is a count of instructions, one per nanosecond)"
python3 "$ROOT/bench/report.py" "${guests[@]}" --out "$dest" --name "$name" \
	--vm-seconds "$(sed -n 's/.*seconds=\([0-9]*\).*/\1/p' "$vmdir/summary")" \
	--qemu "$(qemu-system-x86_64 --version | head -n 1)" \
	--accel "${IOBMD_QEMU_ACCEL:-tcg,thread=single}${icount:+ -icount shift=0,sleep=off}" --cpu "$cpu"
echo "bench: $(elapsed "$t0") (results: $dest/$name.json, $dest/$name.png)"
exit "$rc"

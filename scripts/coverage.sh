#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# coverage.sh [TEST...]: what `make coverage` runs.  As root on Debian 12:
#   1. the debug kernel (scripts/build-debug-kernel.sh; it has
#      CONFIG_GCOV_KERNEL) and iobmd.ko built for it with GCOV_PROFILE=y
#      (IOBMD_GCOV=1 scripts/build-module.sh: the module only, never the
#      default build) in build/coverage/module;
#   2. the whole suite as `make check-debug` runs it (every selftest, the
#      iobmd_debug_*_test programs last, the C++ library's tests, iobmdctl),
#      or only the TESTs named (e.g. iobmd_fuzz_test);
#   3. scripts/vm-run.sh --gcov: before rmmod the guest copies the .gcda
#      files out of /sys/kernel/debug/gcov over the marker channel;
#   4. lcov and genhtml (Debian's lcov, installed here when missing): line,
#      function and branch coverage of driver/, a table a file with totals,
#      the functions never called and the line ranges never run
#      (build/coverage/unreached.txt), and an HTML report in
#      build/coverage/html/index.html.
# The module's exit path (rmmod) runs after the copy and is not counted.
# Exits non-zero when there is no coverage to show, or when the suite's run
# failed (the figures are printed all the same).
#
# Environment: IOBMD_VM_TIMEOUT (seconds, default 3600) bounds the VM run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
cov=$BUILD/coverage
mkdir -p "$cov"
cov=$(cd "$cov" && pwd)

echo "=== dependencies"
load_deps
if ! command -v lcov >/dev/null || ! command -v genhtml >/dev/null; then
	echo "installing lcov"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q lcov >"$cov/apt.log" 2>&1 ||
		{ cat "$cov/apt.log" >&2; die "cannot install lcov"; }
fi

echo "=== debug kernel"
bash "$ROOT/scripts/build-debug-kernel.sh" >"$cov/kernel.env" || die "the debug kernel did not build"
eval "$(grep -E '^DEBUG_(KDIR|KREL|IMAGE)=' "$cov/kernel.env")"
grep -q '^CONFIG_GCOV_KERNEL=y' "$DEBUG_KDIR/.config" ||
	die "$DEBUG_KDIR has no CONFIG_GCOV_KERNEL (selftests/config.debug)"
echo "kernel: $DEBUG_KREL"

echo "=== build"
moddir=$cov/module
IOBMD_GCOV=1 IOBMD_KDIR=$DEBUG_KDIR bash "$ROOT/scripts/build-module.sh" "$DEBUG_KREL" "$moddir"
ls "$moddir"/driver/*.gcno >/dev/null 2>&1 || die "the module was built without gcov (no .gcno files)"
bash "$ROOT/scripts/build-selftests.sh" "$cov/selftests"
bins=() tests=() last=()
if [ $# -gt 0 ]; then
	for t in "$@"; do
		[ -x "$cov/selftests/$t" ] || die "no selftest $t"
		tests+=("$cov/selftests/$t")
	done
else
	if [ -f "$ROOT/scripts/build-userlib.sh" ]; then
		bash "$ROOT/scripts/build-userlib.sh" tests "$cov/selftests"
	fi
	bash "$ROOT/scripts/build-tools.sh" "$cov/tools" && bins=(--bin "$cov/tools/iobmdctl")
	shopt -s nullglob
	# Lockdown closes debugfs, where the coverage data is read: the
	# programs that raise it are left out.
	for t in "$cov"/selftests/iobmd_*_test; do
		case ${t##*/} in
		*lockdown*) ;;
		iobmd_debug_*) last+=("$t") ;;
		*) tests+=("$t") ;;
		esac
	done
	shopt -u nullglob
	tests+=("${last[@]}")
fi
guest_tree=$cov/guest-tree
rm -rf "$guest_tree"
install -D -m 644 "$ROOT/scripts/60-iobmd.rules" "$guest_tree/etc/udev/rules.d/60-iobmd.rules"
prog_timeout=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$cov/selftests/settings" 2>/dev/null || true)

echo "=== the suite on $DEBUG_KREL (${#tests[@]} program(s))"
vmdir=$cov/vm
rc=0
bash "$ROOT/scripts/vm-run.sh" --gcov --kernel "$DEBUG_IMAGE" --tap --out "$vmdir" "${bins[@]}" \
	--insmod-args unsafe_phys_ram=1 "${DMABUF_PARAMS[@]}" --add-tree "$guest_tree" --timeout "${IOBMD_VM_TIMEOUT:-3600}" \
	--prog-timeout "${prog_timeout:-300}" "$DEBUG_KREL" "$moddir/iobmd.ko" "${tests[@]}" \
	>"$cov/vm-run.log" 2>&1 || rc=$?
grep -E '^(ok|not ok) |^## ' "$cov/vm-run.log" || true
echo "suite: $(cat "$vmdir/summary" 2>/dev/null || echo 'no summary')"

# --- the counters ----------------------------------------------------------
# The guest's tree mirrors the build's absolute path: each .gcda goes next
# to its .gcno.
n=0
while IFS= read -r -d '' f; do
	cp "$f" "$moddir/driver/$(basename "$f")"
	n=$((n + 1))
done < <(find "$vmdir/gcov" -path '*/driver/*.gcda' -print0 2>/dev/null)
[ "$n" -gt 0 ] || die "no .gcda files came back (see $vmdir)"

info=$cov/driver.info
lcov -q --capture --directory "$moddir/driver" --base-directory "$moddir" \
	--rc lcov_branch_coverage=1 -o "$cov/all.info" >"$cov/lcov.log" 2>&1 ||
	{ cat "$cov/lcov.log" >&2; die "lcov failed"; }
lcov -q --extract "$cov/all.info" "$moddir/driver/*" --rc lcov_branch_coverage=1 \
	-o "$info" >>"$cov/lcov.log" 2>&1 || { cat "$cov/lcov.log" >&2; die "lcov failed"; }
rm -rf "$cov/html"
genhtml -q --branch-coverage --legend --title "iobmd driver/ under the suite" \
	--prefix "$moddir" -o "$cov/html" "$info" >"$cov/genhtml.log" 2>&1 ||
	{ cat "$cov/genhtml.log" >&2; die "genhtml failed"; }

echo
echo "=== coverage of driver/ ($n .gcda files)"
: >"$cov/unreached.txt"
awk -v unreached="$cov/unreached.txt" '
	function pct(h, t) { return t ? sprintf("%5.1f%%", 100 * h / t) : "    -" }
	function flush_range() {
		if (from) {
			printf "%s:%d-%d (%s)\n", file, from, to, fn_at(from) > unreached
			from = 0
		}
	}
	# The function a line lies in: the last one starting at or before it.
	function fn_at(l,   i, best, bl) {
		best = "?"; bl = 0
		for (i = 1; i <= nfn; i++)
			if (fnl[i] <= l && fnl[i] >= bl) { bl = fnl[i]; best = fnn[i] }
		return best
	}
	/^SF:/ { file = substr($0, 4); sub(/.*\/driver\//, "driver/", file)
		lf = lh = bf = bh = ff = fh = 0; nfn = 0; from = 0; delete fnl; delete fnn }
	/^FN:/ { split(substr($0, 4), a, ","); nfn++; fnl[nfn] = a[1]; fnn[nfn] = a[2] }
	/^FNDA:0,/ { never[file] = never[file] " " substr($0, 8) }
	/^DA:/ { split(substr($0, 4), a, ",")
		if (a[2] == 0) { if (from && a[1] <= to + 3) to = a[1]; else { flush_range(); from = to = a[1] } } }
	/^LF:/ { lf = substr($0, 4) } /^LH:/ { lh = substr($0, 4) }
	/^BRF:/ { bf = substr($0, 5) } /^BRH:/ { bh = substr($0, 5) }
	/^FNF:/ { ff = substr($0, 5) } /^FNH:/ { fh = substr($0, 5) }
	/^end_of_record/ { flush_range()
		rows[++nrows] = sprintf("%-22s %6d/%-6d %s  %5d/%-5d %s  %4d/%-4d %s",
			file, lh, lf, pct(lh, lf), bh, bf, pct(bh, bf), fh, ff, pct(fh, ff))
		LF += lf; LH += lh; BF += bf; BH += bh; FF += ff; FH += fh }
	END {
		printf "%-22s %-20s %-19s %s\n", "file", "lines", "branches", "functions"
		for (i = 1; i <= nrows; i++) print rows[i]
		printf "%-22s %6d/%-6d %s  %5d/%-5d %s  %4d/%-4d %s\n", "total",
			LH, LF, pct(LH, LF), BH, BF, pct(BH, BF), FH, FF, pct(FH, FF)
		print ""
		print "functions never called:"
		for (f in never) printf "  %s:%s\n", f, never[f]
	}' "$info"
echo
echo "line ranges never run: $cov/unreached.txt ($(wc -l <"$cov/unreached.txt") ranges)"
echo "HTML report: $cov/html/index.html"
echo "time: $(elapsed "$t0")"
if [ "$rc" != 0 ]; then
	echo "coverage: the suite's run failed (status $rc; see $cov/vm-run.log): figures of a partial run"
	exit 1
fi

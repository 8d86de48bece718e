#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# early-failure-test.sh
#
# Runs that cannot start fail at once and report nothing, on this host:
#   1. `make bench` asked for a kernel that is neither a name of the
#      matrix nor installed here (scripts/bench.sh --kernel) fails naming
#      the kernel, before it builds or boots anything and without a
#      table of results (an earlier run's would be the only ones it
#      could show);
#   2. scripts/vm-run.sh with such a kernel fails and leaves nothing of an
#      earlier run in its --out directory, whose summary `make check`
#      would otherwise count;
#   3. make check's count of a VM run (count_vm_run, scripts/lib.sh) takes
#      a summary older than the run's start for no summary: the run did
#      not complete, and none of the old summary's passes count.
# Prints TAP; exits 0 when all passed.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
kernel=iobmd-no-such-kernel
status=0
echo "1..3"

what="make bench with an unknown kernel"
rc=0
out=$(bash "$ROOT/scripts/bench.sh" --kernel "$kernel" --args "--only w6" 2>&1) || rc=$?
if [ "$rc" != 0 ] && [[ $out == *"--kernel $kernel: neither a name of the matrix"* ]] &&
	[[ $out != *"=== build"* ]] && [[ $out != *"Targets"* ]]; then
	echo "ok 1 $what: exit $rc before the build"
else
	echo "not ok 1 $what: exit $rc, expected a failure before the build naming $kernel; output:"
	printf '%s\n' "$out" | sed 's/^/# /'
	status=1
fi

what="vm-run.sh with an unknown kernel"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/vm"
echo "pass=1 fail=0 skip=0 problems=0 seconds=1" >"$dir/vm/summary"
rc=0
out=$(bash "$ROOT/scripts/vm-run.sh" --out "$dir/vm" "$kernel" "$dir/iobmd.ko" 2>&1) || rc=$?
if [ "$rc" != 0 ] && [ ! -e "$dir/vm" ] && [[ $out == *"no kernel image"* ]]; then
	echo "ok 2 $what: exit $rc, nothing left in --out"
else
	echo "not ok 2 $what: exit $rc, --out $([ -e "$dir/vm" ] && echo kept || echo gone); output:"
	printf '%s\n' "$out" | sed 's/^/# /'
	status=1
fi

what="a VM run's summary from before the run"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
passed=0 failed=0 skipped=0 failures=()
mkdir "$dir/old"
echo "pass=7 fail=0 skip=0 problems=0 seconds=1" >"$dir/old/summary"
touch -d '1 hour ago' "$dir/old/summary"
rc=0
count_vm_run old "$dir/old" 0 "$(date +%s)" >/dev/null || rc=$?
if [ "$rc" = 1 ] && [ "$passed" = 0 ] && [ "$failed" = 1 ]; then
	echo "ok 3 $what: not counted, the run did not complete"
else
	echo "not ok 3 $what: returned $rc, counted $passed passed"
	status=1
fi
exit "$status"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: what `make demo` runs.  As root on Debian 12: installs what is
# missing (scripts/install-deps.sh), builds iobmd.ko for the 6.12 kernel
# and tools/demo/iobmd_demo, boots 6.12 in QEMU, loads the module, runs
# the demo as root and shows its output.  Fails when any step does.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
echo "=== dependencies"
load_deps
krel=$KREL_612

echo "=== build (kernel $krel)"
moddir=$BUILD/$krel/module
bash "$ROOT/scripts/build-module.sh" "$krel" "$moddir"
bash "$ROOT/scripts/build-demo.sh" "$BUILD/tools"

echo "=== QEMU: boot $krel, insmod iobmd.ko, run iobmd_demo"
rc=0
bash "$ROOT/scripts/vm-run.sh" --out "$BUILD/$krel/demo" --prog-timeout 120 \
	"$krel" "$moddir/iobmd.ko" "$BUILD/tools/iobmd_demo" || rc=$?
echo
if [ "$rc" = 0 ]; then
	echo "demo passed ($(elapsed "$t0"))"
else
	echo "demo FAILED ($(elapsed "$t0")); logs in $BUILD/$krel/demo/"
fi
exit "$rc"

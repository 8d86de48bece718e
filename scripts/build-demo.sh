#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-demo.sh [OUTDIR]
#
# Builds tools/demo/iobmd_demo.cpp (C++20, static) into OUTDIR/iobmd_demo
# (default build/tools).  Fails on any compiler warning.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

outdir=${1:-$BUILD/tools}
CXX=${CXX:-g++}
mkdir -p "$outdir"
log=$outdir/iobmd_demo.log
if ! "$CXX" -std=c++20 -O2 -g -static -Wall -Wextra -I"$ROOT/uapi" \
	-o "$outdir/iobmd_demo" "$ROOT/tools/demo/iobmd_demo.cpp" >"$log" 2>&1; then
	cat "$log" >&2
	die "iobmd_demo: compile failed"
fi
if grep -q 'warning:' "$log"; then
	cat "$log" >&2
	die "iobmd_demo: compiler warnings"
fi
rm -f "$log"
msg "built $outdir/iobmd_demo"

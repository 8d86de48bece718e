#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-tools.sh [--optional] [--arch ARCH] [OUTDIR]
#
# Builds the programs of tools/ into OUTDIR (default build/tools), static so
# that they run in the test VM's initramfs:
#   iobmd_demo  tools/demo (scripts/build-demo.sh)
#   iobmdctl    tools/iobmdctl with userlib's control class, linked against
#               libnl-genl-3 (libnl-3-dev, libnl-genl-3-dev)
# --arch arm64 cross-builds iobmdctl only (aarch64-linux-gnu-g++, libnl
# from Debian's :arm64 packages), for the arm64 guest.
# Fails on any compiler warning.  With --optional, missing libnl headers are
# a note, not an error (plain `make` on a machine without them).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

optional=
if [ "${1:-}" = --optional ]; then
	optional=1
	shift
fi
arch=$(host_arch)
if [ "${1:-}" = --arch ]; then
	arch=$2
	shift 2
fi
outdir=${1:-$BUILD/tools}
cross=$(cross_prefix "$arch")
CXX=${CXX:-${cross}g++}

if [ -n "$cross" ]; then
	export PKG_CONFIG_LIBDIR=/usr/lib/${cross%-}/pkgconfig:/usr/share/pkgconfig
else
	bash "$ROOT/scripts/build-demo.sh" "$outdir"
fi

if ! nl=$(pkg-config --static --cflags --libs libnl-genl-3.0 2>/dev/null); then
	if [ -n "$optional" ]; then
		msg "iobmdctl not built: no libnl-genl-3.0 (apt-get install libnl-3-dev libnl-genl-3-dev, or run scripts/install-deps.sh as root)"
		exit 0
	fi
	die "no libnl-genl-3.0 for iobmdctl (apt-get install libnl-3-dev libnl-genl-3-dev, or run scripts/install-deps.sh as root)"
fi
mkdir -p "$outdir"
log=$outdir/iobmdctl.log
# shellcheck disable=SC2086 # pkg-config prints one word per flag
if ! "$CXX" -std=c++20 -O2 -g -static -Wall -Wextra \
	-DIOBMD_PKG_VERSION="\"$(cat "$ROOT/VERSION")\"" \
	-I"$ROOT/userlib/include" -I"$ROOT/uapi" \
	-o "$outdir/iobmdctl" "$ROOT/tools/iobmdctl/iobmdctl.cpp" \
	"$ROOT"/userlib/src/control*.cpp $nl >"$log" 2>&1; then
	cat "$log" >&2
	die "iobmdctl: compile failed"
fi
if static_link_warnings "$log" | grep -q 'warning:'; then
	cat "$log" >&2
	die "iobmdctl: compiler warnings"
fi
rm -f "$log"
msg "built $outdir/iobmdctl"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-selftests.sh [--optional] [--arch ARCH] [OUTDIR]
#
# Builds every selftests/iobmd_*_test.c into a static binary of the same
# name in OUTDIR (default build/selftests), with selftests/config and
# selftests/settings beside them, as kselftests ship.  A test whose source
# holds the line "iobmd-selftest-build: i386" is a static i386 binary
# (gcc -m32, 64-bit off_t), which runs through the kernel's compat entry
# points (gcc-multilib; the kernel needs CONFIG_IA32_EMULATION).  The kselftest
# harness comes from the kernel source tree in $KSRC (default: the one
# scripts/install-deps.sh unpacked).
#
# --arch arm64 cross-builds for arm64 (aarch64-linux-gnu-gcc, libnl from
# Debian's multiarch :arm64 packages); there the 32-bit callers' tests are
# static arm32 binaries (arm-linux-gnueabihf-gcc, 64-bit off_t), for the
# kernel's AArch32 compat entry points (CONFIG_COMPAT).  The default is the
# host's architecture.
#
# Fails when a test does not compile or the compiler warns.  With
# --optional, a missing kselftest harness is a note, not an error (plain
# `make` on a machine without the kernel source still builds the module).
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
outdir=${1:-$BUILD/selftests}

if [ -z "${KSRC:-}" ]; then
	try_deps
fi
harness=${KSRC:-}/tools/testing/selftests/kselftest_harness.h
if [ -z "${KSRC:-}" ] || [ ! -f "$harness" ]; then
	if [ -n "$optional" ]; then
		msg "selftests not built: no kselftest_harness.h (run scripts/install-deps.sh as root, or pass KSRC=<kernel source>)"
		exit 0
	fi
	die "no kselftest harness at '$harness' (run scripts/install-deps.sh as root, or pass KSRC=<kernel source>)"
fi

cross=$(cross_prefix "$arch")
CC=${CC:-${cross}gcc}
# The 32-bit callers' compiler and flags (the marker line below).
case $arch in
amd64) CC32=$CC arch32=(-m32 -D_FILE_OFFSET_BITS=64) ;;
arm64) CC32=arm-linux-gnueabihf-gcc arch32=(-D_FILE_OFFSET_BITS=64) ;;
*) die "no selftest build for $arch" ;;
esac
# pkg-config for the target: Debian's multiarch directory of its .pc files.
if [ -n "$cross" ]; then
	export PKG_CONFIG_LIBDIR=/usr/lib/${cross%-}/pkgconfig:/usr/share/pkgconfig
fi
# The harness is a system header so that -Wextra judges only our code.
CFLAGS=(-O2 -g -static -Wall -Wextra -D_GNU_SOURCE
	-isystem "$KSRC/tools/testing/selftests" -Iuapi -Iselftests)

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
# Relative paths keep the file names in assertion messages short.
cd "$ROOT"
shopt -s nullglob
srcs=(selftests/iobmd_*_test.c)
[ ${#srcs[@]} -gt 0 ] || die "no selftests/iobmd_*_test.c"

# Drop binaries of tests that no longer exist (iobmd_userlib_test is
# scripts/build-userlib.sh's).
for bin in "$outdir"/iobmd_*_test; do
	[ "$(basename "$bin")" = iobmd_userlib_test ] ||
		[ -f "selftests/$(basename "$bin").c" ] || rm -f "$bin"
done

failed=
for src in "${srcs[@]}"; do
	name=$(basename "$src" .c)
	log=$outdir/$name.log
	rm -f "$outdir/$name"
	# Tests that speak generic netlink link libnl-genl-3 statically.
	libs=()
	if grep -q '^#include <netlink/' "$src"; then
		read -ra libs < <(pkg-config --static --cflags --libs libnl-genl-3.0) ||
			die "$name needs libnl-genl-3.0 (run scripts/install-deps.sh as root)"
	fi
	# Tests of the C library (userlib/c) build its sources in; it takes
	# the kernel ABI as <iobmd/uapi.h>, as installed.
	if grep -q 'iobmd-selftest-build: libiobmd' "$src"; then
		install -D -m 644 uapi/iobmd.h "$outdir/include/iobmd/uapi.h"
		libs+=(-Iuserlib/c/include -I"$outdir/include" userlib/c/src/*.c)
	fi
	cc=$CC flags=()
	if grep -q 'iobmd-selftest-build: i386' "$src"; then
		cc=$CC32 flags=("${arch32[@]}")
	fi
	if ! "$cc" "${CFLAGS[@]}" "${flags[@]}" -o "$outdir/$name" "$src" "${libs[@]}" >"$log" 2>&1; then
		cat "$log" >&2
		msg "$name: compile failed"
		failed=1
	elif static_link_warnings "$log" | grep -q 'warning:'; then
		cat "$log" >&2
		msg "$name: compiler warnings"
		failed=1
	fi
	[ -s "$log" ] || rm -f "$log"
done
for f in config settings; do
	if [ -f "selftests/$f" ]; then cp "selftests/$f" "$outdir/"; fi
done
[ -z "$failed" ] || exit 1
msg "built ${#srcs[@]} selftest(s) for $arch in $outdir"

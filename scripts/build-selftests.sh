#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-selftests.sh [--optional] [--arch ARCH] [--install DIR]
#                    [--kernel-tree DIR] [OUTDIR]
#
# Builds every selftests/iobmd_*_test.c into a static binary of the same
# name in OUTDIR (default build/selftests), with selftests/config and
# selftests/settings beside them, as kselftests ship, through
# selftests/Makefile (the kernel's tools/testing/selftests/lib.mk; read
# its header for the tests' build markers: the i386 compat callers, the C
# library built in, libnl).  The kernel's selftests come from the kernel
# source tree in $KSRC (default: the one scripts/install-deps.sh unpacked).
#
# --arch arm64 cross-builds for arm64 (CROSS_COMPILE=aarch64-linux-gnu-,
# libnl from Debian's multiarch :arm64 packages; the 32-bit callers' tests
# with arm-linux-gnueabihf-gcc).  The default is the host's architecture.
#
# --install DIR also installs the suite as a kselftest tree in DIR
# (make install: DIR/run_kselftest.sh, DIR/kselftest-list.txt, the tests in
# DIR/drivers/iobmd/).
#
# --kernel-tree DIR builds the kernel's way instead: DIR becomes a copy of
# the kernel's tools/testing/selftests framework (its Makefile, lib.mk,
# harness and runner; no other targets) with selftests/ copied to
# tools/testing/selftests/drivers/iobmd/, built there with
# `make -C DIR/tools/testing/selftests TARGETS=drivers/iobmd` (the kernel
# source tree itself is shared, so it stays untouched); with --install,
# installed from there (KSFT_INSTALL_PATH).  The binaries are copied to
# OUTDIR all the same.
#
# Fails when a test does not compile or the compiler warns (glibc's
# notes on libnl's name-service calls in a static link aside).  With
# --optional, a missing kselftest harness is a note, not an error (plain
# `make` on a machine without the kernel source still builds the module).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

optional='' install='' ktree=''
arch=$(host_arch)
while [ $# -gt 0 ]; do
	case $1 in
	--optional) optional=1; shift ;;
	--arch) arch=$2; shift 2 ;;
	--install) install=$2; shift 2 ;;
	--kernel-tree) ktree=$2; shift 2 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
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
case $arch in
amd64 | arm64) ;;
*) die "no selftest build for $arch" ;;
esac
cross=$(cross_prefix "$arch")

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
[ -z "$install" ] || { mkdir -p "$install" && install=$(cd "$install" && pwd); }
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

makeargs=(-j"$(nproc)" KSRC="$KSRC" CROSS_COMPILE="$cross")
log=$outdir/build.log
rc=0
if [ -n "$ktree" ]; then
	# The kernel's selftests framework without its other targets, and
	# what its Makefile includes from the top of the tree; times kept,
	# and what an earlier run built, so that make rebuilds what changed.
	ksft=$ktree/tools/testing/selftests
	mkdir -p "$ksft/drivers/iobmd" "$ktree/scripts"
	cp -p "$KSRC/scripts/subarch.include" "$ktree/scripts/"
	find "$KSRC/tools/testing/selftests" -maxdepth 1 -type f -exec cp -p {} "$ksft/" \;
	rsync -a --delete "$KSRC/tools/testing/selftests/kselftest/" "$ksft/kselftest/"
	rsync -a --delete --exclude='/iobmd_*_test' --exclude=/include/ \
		selftests/ "$ksft/drivers/iobmd/"
	goal=all
	[ -z "$install" ] || goal="install KSFT_INSTALL_PATH=$install"
	# shellcheck disable=SC2086 # goal and its variable
	make -C "$ksft" TARGETS=drivers/iobmd IOBMD_SRC="$ROOT" "${makeargs[@]}" \
		$goal >"$log" 2>&1 || rc=$?
	for src in "${srcs[@]}"; do
		name=$(basename "$src" .c)
		[ ! -f "$ksft/drivers/iobmd/$name" ] || cp "$ksft/drivers/iobmd/$name" "$outdir/"
	done
else
	goal=(all)
	[ -z "$install" ] || goal=(install INSTALL_PATH="$install")
	make -C selftests O="$outdir" "${makeargs[@]}" "${goal[@]}" >"$log" 2>&1 || rc=$?
fi
if [ "$rc" != 0 ]; then
	static_link_warnings "$log" >&2
	die "selftests build failed ($log)"
fi
if static_link_warnings "$log" | grep -q 'warning:'; then
	static_link_warnings "$log" >&2
	die "compiler warnings ($log)"
fi
for src in "${srcs[@]}"; do
	[ -x "$outdir/$(basename "$src" .c)" ] || die "$(basename "$src" .c) was not built ($log)"
done
for f in config settings; do
	if [ -f "selftests/$f" ]; then cp "selftests/$f" "$outdir/"; fi
done
msg "built ${#srcs[@]} selftest(s) for $arch in $outdir${ktree:+ (in a kernel tree, $ktree)}${install:+, installed in $install}"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh [--sparse] KREL [DIR]
#
# Builds iobmd.ko for kernel release KREL against /lib/modules/KREL/build,
# with W=1, from a fresh copy of the module's sources (Kbuild, driver/,
# include/, uapi/) in DIR (default build/KREL/module).  The module ends up
# at DIR/iobmd.ko and the build's output in DIR/build.log.
#
# Fails when the build fails or prints any warning.  With --sparse it also
# runs sparse on every file (C=2) and fails on any sparse or W=1 warning
# about the module's own files (the kernel's headers are not ours to fix).
#
# IOBMD_KDIR=<kernel build tree> builds against that tree instead (the
# debug kernel of scripts/build-debug-kernel.sh); KREL then only names it.
# A kernel not installed on this host is looked up where
# scripts/fetch-arm64-kernel.sh unpacks it (lib.sh kernel_tree).  The
# target architecture is the one the headers' .config names; when it is
# not the host's, the build is a cross-build (ARCH=, CROSS_COMPILE=; the
# headers' kbuild tools are the host's, Debian's linux-kbuild package).
# IOBMD_GCOV=1 builds iobmd.ko (only) with GCOV_PROFILE=y, for a kernel
# with CONFIG_GCOV_KERNEL (scripts/coverage.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

sparse=
if [ "${1:-}" = --sparse ]; then
	sparse=1
	shift
fi
[ $# -ge 1 ] || die "usage: $0 [--sparse] KREL [DIR]"
krel=$1
dir=${2:-$BUILD/$krel/module}
kernel_tree "$krel"
kdir=${IOBMD_KDIR:-$KT_KDIR}
[ -d "$kdir" ] || die "no kernel headers for $krel at $kdir"
arch=$(kdir_arch "$kdir")
cross=()
if [ -n "$arch" ] && [ "$arch" != "$(host_arch)" ]; then
	cross=(ARCH="${arch/amd64/x86}" CROSS_COMPILE="$(cross_prefix "$arch")")
fi

copy_module_sources "$dir"
dir=$(cd "$dir" && pwd)
log=$dir/build.log
args=(-C "$kdir" M="$dir" W=1 -j"$(nproc)" "${cross[@]}")
[ -n "$sparse" ] && args+=(C=2)
[ -n "${IOBMD_GCOV:-}" ] && args+=(GCOV_PROFILE=y)

if ! make "${args[@]}" modules >"$log" 2>&1; then
	cat "$log" >&2
	die "module build for $krel failed (log: $log)"
fi

if [ -n "$sparse" ]; then
	# Sparse also complains about kernel headers; only our files count.
	warnings=$(build_warnings "$log" | grep -F -e "$dir/" -e "warning: the compiler" || true)
else
	warnings=$(build_warnings "$log")
fi
if [ -n "$warnings" ]; then
	echo "$warnings" >&2
	die "module build for $krel printed warnings (log: $log)"
fi
[ -f "$dir/iobmd.ko" ] || die "module build for $krel made no iobmd.ko (log: $log)"
msg "built $dir/iobmd.ko for $krel${arch:+ ($arch)}${sparse:+ (sparse, W=1)}"

# The in-kernel API's test module, built against this iobmd's symbols.
kapi=$dir/kapi
rm -rf "$kapi"
cp -r "$ROOT/selftests/kapi" "$kapi"
if ! make -C "$kdir" M="$kapi" W=1 "${cross[@]}" KBUILD_EXTRA_SYMBOLS="$dir/Module.symvers" \
	modules >"$kapi/build.log" 2>&1; then
	cat "$kapi/build.log" >&2
	die "in-kernel API test module build for $krel failed"
fi
warnings=$(build_warnings "$kapi/build.log")
[ -z "$warnings" ] || { echo "$warnings" >&2; die "iobmd_kapi.ko for $krel printed warnings"; }
msg "built $kapi/iobmd_kapi.ko for $krel"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh [--sparse] KREL [DIR]
#
# Builds iobmd.ko for kernel release KREL against /lib/modules/KREL/build,
# with W=1, from a fresh copy of the module's sources (Makefile, Kbuild, VERSION,
# driver/, include/, uapi/) in DIR (default build/KREL/module), by the
# project's own `make KDIR=<tree> modules`.  The module ends up
# at DIR/iobmd.ko and the build's output in DIR/build.log.
#
# Fails when the build fails or prints any warning.  With --sparse it also
# runs sparse on every file (C=2) and fails on any sparse or W=1 warning
# about the module's own files (the kernel's headers are not ours to fix).
#
# IOBMD_KDIR=<kernel build tree> builds against that tree instead (the
# debug kernel of scripts/build-debug-kernel.sh, or the headers of a
# kernel scripts/fetch-kernel.sh unpacked); KREL then only names it.
# A kernel not installed on this host is looked up where
# scripts/fetch-kernel.sh unpacks it (lib.sh kernel_tree).  The
# target architecture is the one the headers' .config names; when it is
# not the host's, the build is a cross-build (ARCH=, CROSS_COMPILE=; the
# headers' kbuild tools are the host's, Debian's linux-kbuild package).
#
# The build runs with the compiler the kernel was built with, the first
# word of CONFIG_CC_VERSION_TEXT in the tree's .config.  When this machine
# has no such compiler (Debian 12 and a 7.x kernel's gcc-14), the build
# runs in the Debian chroot of scripts/debian-chroot.sh instead, with that
# compiler's package installed there (and sparse, with --sparse); the
# kernel's tree and DIR appear there at the same paths (bind mounts in a
# mount namespace of the build's own).
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

# The kernel's compiler: "x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0".
cc=$(sed -nE 's/^CONFIG_CC_VERSION_TEXT="([^ "]+).*/\1/p' "$kdir/.config" 2>/dev/null || true)
chroot_dir=
CACHE_DIR=${IOBMD_CACHE:-/var/cache/iobmd}
if [ -n "$cc" ] && ! command -v "$cc" >/dev/null; then
	# Its Debian package: gcc-N, or gcc-N-<triplet> for a cross compiler.
	[[ $cc =~ ^(([a-z0-9_]+-linux-gnu[a-z]*)-)?gcc-([0-9]+)$ ]] ||
		die "$krel was built with $cc, which this machine lacks and no Debian package is known for"
	ccpkg=gcc-${BASH_REMATCH[3]}
	triplet=${BASH_REMATCH[2]}
	if [ -n "$triplet" ] && [ "$triplet" != "$(gcc -dumpmachine)" ]; then
		ccpkg+=-${triplet//_/-}
	fi
	# The kernel tree's root (Debian's headers reach ../../lib/linux-kbuild-*).
	kroot=$(cd "$(readlink -f "$kdir")/../../.." && pwd)
	chroot_pkgs=("$ccpkg")
	[ -n "$sparse" ] && chroot_pkgs+=(sparse)
	# What the headers and kbuild link against (scripts/fetch-kernel.sh).
	if [ -f "$kroot/../build-depends" ]; then
		mapfile -t -O ${#chroot_pkgs[@]} chroot_pkgs <"$kroot/../build-depends"
	fi
	# Debian 13 when it has that compiler, else unstable; a chroot that
	# already has it first (asking the mirror costs time).
	suites=()
	for suite in trixie sid; do
		if [ -x "$CACHE_DIR/chroot-$suite-$(dpkg --print-architecture)/usr/bin/$cc" ]; then
			suites=("$suite" "${suites[@]}")
		else
			suites+=("$suite")
		fi
	done
	for suite in "${suites[@]}"; do
		rc=0
		chroot_dir=$(bash "$ROOT/scripts/debian-chroot.sh" --suite "$suite" "${chroot_pkgs[@]}" |
			sed -n 's/^CHROOT=//p') || rc=$?
		[ "$rc" = 3 ] || break
	done
	[ "$rc" = 0 ] && [ -n "$chroot_dir" ] || die "no build chroot for $krel's $cc"
	msg "$krel was built with $cc: building in $chroot_dir"
fi

# make ARGS...: kbuild here, or in the chroot.
kmake() {
	if [ -z "$chroot_dir" ]; then
		make "$@"
		return
	fi
	unshare --mount --propagation private -- bash -c '
		set -e
		ch=$1 kroot=$2 dir=$3
		shift 3
		for p in "$kroot" "$dir"; do
			mkdir -p "$ch$p"
			mount --bind "$p" "$ch$p"
		done
		mount -t proc proc "$ch/proc"
		exec chroot "$ch" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 make "$@"
	' _ "$chroot_dir" "$kroot" "$dir" "$@"
}
# Through the project's Makefile, as a user (or DKMS) builds against a
# kernel's headers: make KDIR=<tree> modules.
args=(-C "$dir" KDIR="$kdir" W=1 -j"$(nproc)" "${cross[@]}")
[ -n "$sparse" ] && args+=(C=2)
[ -n "${IOBMD_GCOV:-}" ] && args+=(GCOV_PROFILE=y)

if ! kmake "${args[@]}" modules >"$log" 2>&1; then
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
if ! kmake -C "$kdir" M="$kapi" W=1 "${cross[@]}" KBUILD_EXTRA_SYMBOLS="$dir/Module.symvers" \
	modules >"$kapi/build.log" 2>&1; then
	cat "$kapi/build.log" >&2
	die "in-kernel API test module build for $krel failed"
fi
warnings=$(build_warnings "$kapi/build.log")
[ -z "$warnings" ] || { echo "$warnings" >&2; die "iobmd_kapi.ko for $krel printed warnings"; }
msg "built $kapi/iobmd_kapi.ko for $krel"

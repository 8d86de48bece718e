#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-userlib.sh [--arch ARCH] [MODE [OUTDIR]]
#
# The C core (userlib/c) and the C++ library over it (userlib/), through the
# Makefile fragment userlib/userlib.mk, into build/userlib:
#   all      (default) libiobmd.so (C), libiobmd++.so (C++), their .a and
#            the examples
#            (build/userlib/examples/iobmd_*)
#   tests    the GoogleTest suite as the static program
#            OUTDIR/iobmd_userlib_test (default build/selftests), which the
#            selftest runner picks up, and beside it iobmd_vfio_test (the
#            edu device driven through VFIO), iobmd_vfio_edu_examples_test
#            (the edu example drivers) and iobmd_vfio_nvme_test (the
#            NVMe example), which check.sh runs behind the IOMMU
#   install  headers, libraries, iobmd.pc, iobmd++.pc and the CMake package
#            under $DESTDIR$PREFIX (default /usr/local; LIBDIR, INCLUDEDIR)
#   uninstall  what install put there
#   package  installs into a scratch prefix and builds (and runs) a small
#            program against it through pkg-config and through CMake
#   ctypes   the library guide's Python example (userlib/examples/ctypes_example.py,
#            Documentation/userspace-api/iobmd-library.rst)
#            on this host, against build/userlib's libiobmd.so.1: without
#            /dev/iobmd it must exit 2 saying "iobmd: /dev/iobmd: No such
#            file or directory", with it 0
#   check    all, tests, package and ctypes: what `make check` runs
#
# --arch arm64 cross-builds (aarch64-linux-gnu-g++, GoogleTest and libnl
# from Debian's :arm64 packages) into build/userlib-arm64; there `check`
# is all and tests (the package check runs what it built, on this host).
# The default is the host's architecture, into build/userlib.
#
# Any compiler warning fails the build (-Werror).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

arch=$(host_arch)
if [ "${1:-}" = --arch ]; then
	arch=$2
	shift 2
fi
mode=${1:-all}
outdir=${2:-$BUILD/selftests}
O=$BUILD/userlib
MAKE=${MAKE:-make}
cross=$(cross_prefix "$arch")
xvars=()
if [ -n "$cross" ]; then
	O=$BUILD/userlib-$arch
	export PKG_CONFIG_LIBDIR=/usr/lib/${cross%-}/pkgconfig:/usr/share/pkgconfig
	# The cross toolchain's kernel headers (linux-libc-dev-arm64-cross) are
	# bookworm's 6.1, without <linux/iommufd.h>: the uapi headers of
	# bookworm-backports' linux-libc-dev (every architecture's asm/ under
	# /usr/include/<triplet>), which the host build uses, go first.
	uapi=$O/uapi-include
	mkdir -p "$uapi"
	ln -sfn /usr/include/linux "$uapi/linux"
	ln -sfn /usr/include/asm-generic "$uapi/asm-generic"
	ln -sfn "/usr/include/${cross%-}/asm" "$uapi/asm"
	xvars=(CXX="${cross}g++ -isystem $uapi" CC="${cross}gcc -isystem $uapi" AR="${cross}ar")
fi
mk=(-C "$ROOT" -f userlib/userlib.mk O="$O" "${xvars[@]}" --no-print-directory -s -j"$(nproc)")

build_all() {
	"$MAKE" "${mk[@]}" all
	msg "built $O/libiobmd.so, $O/libiobmd++.so and the examples in $O/examples"
}

build_tests() {
	local gtest='/usr/lib/*/libgtest.a'
	[ -z "$cross" ] || gtest=/usr/lib/${cross%-}/libgtest.a
	if [ ! -f /usr/include/gtest/gtest.h ] || ! compgen -G "$gtest" >/dev/null; then
		die "no GoogleTest (install libgtest-dev, or run scripts/install-deps.sh as root)"
	fi
	mkdir -p "$outdir"
	outdir=$(cd "$outdir" && pwd)
	# Static glibc warns that GoogleTest's (unused) streaming listener
	# calls getaddrinfo(), and that libnl-3.a's (unused) address and
	# protocol helpers call it and getprotoby*(); those are not ours.
	"$MAKE" "${mk[@]}" TEST_BIN="$outdir/iobmd_userlib_test" tests 2>&1 |
		{ grep -v -e "in function .testing::internal::StreamingListener::" \
			-e "libnl-3.a(.*): in function" \
			-e "warning: Using '\(getaddrinfo\|getprotobyname\|getprotobynumber\)' in statically linked" ||
			true; }
	msg "built $outdir/iobmd_userlib_test, iobmd_vfio_test, iobmd_vfio_edu_examples_test and iobmd_vfio_nvme_test"
}

install_lib() {
	"$MAKE" "${mk[@]}" PREFIX="${PREFIX:-/usr/local}" \
		${LIBDIR:+LIBDIR="$LIBDIR"} ${INCLUDEDIR:+INCLUDEDIR="$INCLUDEDIR"} \
		DESTDIR="${DESTDIR:-}" install
	# A new library in a system directory: refresh the loader's cache.
	if [ -z "${DESTDIR:-}" ] && [ "$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then
		ldconfig
	fi
}

# The installed package, used the two ways the library guide shows
# (Documentation/userspace-api/iobmd-library.rst; a subshell,
# for the scratch directory's cleanup).
check_package() (
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/iobmd-package.XXXXXX")
	trap 'rm -rf "$scratch"' EXIT
	prefix=$scratch/prefix
	"$MAKE" "${mk[@]}" PREFIX="$prefix" install >/dev/null

	command -v pkg-config >/dev/null || die "no pkg-config (install pkg-config)"
	pc_flags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs iobmd++) ||
		die "pkg-config does not find the installed iobmd++.pc"
	# shellcheck disable=SC2086 # pkg-config's output is a list of words
	# C++17: what the headers ask of a consumer; a consumer's strict
	# warnings (-Wshadow, -Wconversion) find nothing in them either.
	"${CXX:-g++}" -std=c++17 -Wall -Wextra -Wpedantic -Wshadow -Wconversion \
		-Wsign-conversion -Werror \
		-o "$scratch/consumer-pc" "$ROOT/userlib/tests/package/consumer.cpp" $pc_flags ||
		die "the pkg-config consumer does not build"
	LD_LIBRARY_PATH=$prefix/lib "$scratch/consumer-pc" ||
		die "the pkg-config consumer failed"

	command -v cmake >/dev/null || die "no cmake (install cmake)"
	if ! cmake -S "$ROOT/userlib/tests/package" -B "$scratch/cmake" \
		-DCMAKE_PREFIX_PATH="$prefix" >"$scratch/cmake.log" 2>&1 ||
	   ! cmake --build "$scratch/cmake" >>"$scratch/cmake.log" 2>&1; then
		cat "$scratch/cmake.log" >&2
		die "the CMake consumer does not build"
	fi
	"$scratch/cmake/consumer" || die "the CMake consumer failed"

	# The C core alone, through iobmd.pc.
	pc_flags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs iobmd) ||
		die "pkg-config does not find the installed iobmd.pc"
	# shellcheck disable=SC2086 # pkg-config's output is a list of words
	"${CC:-gcc}" -std=c11 -Wall -Wextra -Wpedantic -Werror \
		-o "$scratch/consumer-c" "$ROOT/userlib/tests/package/consumer.c" $pc_flags ||
		die "the C consumer does not build"
	LD_LIBRARY_PATH=$prefix/lib "$scratch/consumer-c" ||
		die "the C consumer failed"

	# uninstall leaves nothing of the package behind.
	"$MAKE" "${mk[@]}" PREFIX="$prefix" uninstall >/dev/null
	left=$(find "$prefix" -type f -o -type l)
	[ -z "$left" ] || die "uninstall left: $left"
	msg "the installed package works through pkg-config (iobmd, iobmd++) and CMake; uninstall removes it"
)

# The ctypes example, here where the module is not loaded (a subshell, for
# its scratch file).
check_ctypes() (
	command -v python3 >/dev/null || die "no python3 (install python3)"
	err=$(mktemp "${TMPDIR:-/tmp}/iobmd-ctypes.XXXXXX")
	trap 'rm -f "$err"' EXIT
	rc=0
	LD_LIBRARY_PATH=$O python3 "$ROOT/userlib/examples/ctypes_example.py" 2>"$err" || rc=$?
	if [ -e /dev/iobmd ]; then
		[ "$rc" = 0 ] || { cat "$err" >&2; die "ctypes example: exit $rc with /dev/iobmd present"; }
	else
		if [ "$rc" != 2 ] || [ "$(cat "$err")" != "iobmd: /dev/iobmd: No such file or directory" ]; then
			cat "$err" >&2
			die "ctypes example: exit $rc, not 2 and the C API's ENOENT, without /dev/iobmd"
		fi
	fi
	msg "the ctypes example works (exit $rc: $(cat "$err"))"
)

case $mode in
all) build_all ;;
tests) build_tests ;;
install) install_lib ;;
uninstall)
	"$MAKE" "${mk[@]}" PREFIX="${PREFIX:-/usr/local}" \
		${LIBDIR:+LIBDIR="$LIBDIR"} ${INCLUDEDIR:+INCLUDEDIR="$INCLUDEDIR"} \
		DESTDIR="${DESTDIR:-}" uninstall
	# The loader's cache forgets the removed library.
	if [ -z "${DESTDIR:-}" ] && [ "$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then
		ldconfig
	fi
	;;
package) check_package ;;
ctypes) check_ctypes ;;
check)
	# The project's own check: any warning is an error.
	mk+=(WERROR=-Werror)
	build_all
	build_tests
	[ -n "$cross" ] || check_package
	[ -n "$cross" ] || check_ctypes
	;;
*) die "unknown mode '$mode' (all, tests, install, uninstall, package, ctypes, check)" ;;
esac

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deb-test.sh [--no-vm] [DEBS]
#
# The Debian packages tested as a user installs them (make check runs it):
#   1. the packages of scripts/build-deb.sh (built unless DEBS names a
#      directory holding them);
#   2. a clean Debian 12 chroot (scripts/debian-chroot.sh --suite bookworm,
#      cached under /var/cache/iobmd/chroot-bookworm-<arch> with
#      bookworm-backports from the host's mirror, and holding dkms, g++,
#      cmake, pkgconf and the headers of the 6.1 and 6.12 kernels of the
#      matrix), used through an overlay so that the cache stays clean;
#   3. dpkg -i of the four packages; the kernel-headers hook DKMS installs
#      (/etc/kernel/header_postinst.d/dkms) run for each kernel, as a
#      kernel upgrade runs it, and iobmd.ko (compressed like the kernel's
#      modules) checked to be in /lib/modules/<krel>/updates/dkms with
#      VERSION as its version;
#      iobmdctl --version; the udev rule, man pages, bash completion and
#      the "iobmd" group there;
#   4. a consumer (userlib/tests/package) built against the installed
#      libiobmd-dev through pkg-config (C and C++) and CMake, and run;
#   5. dpkg --purge of the four: nothing of them left (files, DKMS tree,
#      modules, group);
#   5a. from a copy of the source tree in a fresh overlay of that chroot:
#      `make install` (the module through DKMS for KREL_612, library,
#      headers, .pc, CMake package, tools, udev rule, group, modules-load.d
#      example), the consumer built against it, `make uninstall`, and the
#      list of paths on the file system compared with the one before;
#   5b. for the matrix's other kernels (7.x amd64, 6.12 and 7.3 arm64;
#      KERNELS picks by name as for check.sh, default ALL_KERNELS),
#      fetched by scripts/fetch-kernel.sh: iobmd-dkms installed into an
#      overlay of the bookworm, trixie or sid chroot that has their
#      compiler (a cross compiler for arm64; dkms added), the module built
#      by DKMS (cross-built for arm64), checked (version, ELF machine) and
#      purged;
#   6. unless --no-vm: the 6.12 guest booted with the DKMS-built iobmd.ko
#      (scripts/vm-run.sh), checking that /sys/module/iobmd/version is
#      VERSION and running the demo (static, as scripts/demo.sh builds it:
#      the guest has no shared libraries).
# Needs root.  Exits non-zero on any failure.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

vm=1
if [ "${1:-}" = --no-vm ]; then
	vm=
	shift
fi
debs=${1:-}
[ "$(id -u)" = 0 ] || die "must run as root (chroot, mount)"
t0=$(date +%s)
load_deps
version=$(cat "$ROOT/VERSION")
krels=("$KREL_61" "$KREL_612")

if [ -z "$debs" ]; then
	# (No -dbgsym packages: nothing here installs them.)
	debs=$(DEB_BUILD_OPTIONS="noautodbgsym ${DEB_BUILD_OPTIONS:-}" \
		bash "$ROOT/scripts/build-deb.sh" | sed -n 's/^DEBS=//p')
fi
pkgs=(iobmd-dkms libiobmd1 libiobmd-dev iobmd-tools)
files=()
for p in "${pkgs[@]}"; do
	f=$(compgen -G "$debs/${p}_${version}_*.deb") || die "no $p $version in $debs"
	files+=("$f")
done

# The chroot: made once, then given bookworm-backports (the 6.12 headers
# are there) and the packages the test needs.
ch=$(bash "$ROOT/scripts/debian-chroot.sh" --suite bookworm | sed -n 's/^CHROOT=//p')
list=$ch/etc/apt/sources.list.d/iobmd-backports.list
if [ ! -f "$list" ]; then
	mirror=$(debian_mirror) || die "cannot find the Debian mirror in apt's sources"
	echo "deb $mirror bookworm-backports main" >"$list.new"
	mv "$list.new" "$list"
fi
headers=()
for k in "${krels[@]}"; do
	headers+=("linux-headers-$k")
done
ch=$(bash "$ROOT/scripts/debian-chroot.sh" --suite bookworm dkms g++ cmake pkgconf \
	adduser libnl-3-dev libnl-genl-3-dev "${headers[@]}" | sed -n 's/^CHROOT=//p')
[ -n "$ch" ] || die "no bookworm chroot"
# Building the library from source (make install below) needs the uapi
# headers of Linux 6.2 or later (<linux/iommufd.h>): Debian 12's are 6.1,
# bookworm-backports' linux-libc-dev has them, as the README says.
# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
llc=$(chroot "$ch" dpkg-query -W -f='${Version}' linux-libc-dev)
if dpkg --compare-versions "$llc" lt 6.2; then
	chroot "$ch" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		-t bookworm-backports linux-libc-dev >"$BUILD/deb-test-llc.log" 2>&1 ||
		{ cat "$BUILD/deb-test-llc.log" >&2; die "linux-libc-dev from bookworm-backports"; }
fi
msg "chroot ready ($(elapsed "$t0"))"

out=$BUILD/deb-test
rm -rf "$out"
mkdir -p "$out/debs"
cp "${files[@]}" "$out/debs/"
cp -a "$ROOT/userlib/tests/package" "$out/debs/consumer"

# consumers.sh [--static], in the chroot: the consumer built against the
# installed library through pkg-config (C and C++; with --static linked
# statically too) and CMake, and run (without /dev/iobmd it says so).
cat >"$out/debs/consumers.sh" <<'INSIDE'
set -euo pipefail
fail() { echo "deb-test: FAIL: $*" >&2; exit 1; }
rm -rf /tmp/c && mkdir -p /tmp/c && cd /tmp/c
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Werror -o consumer-c /debs/consumer/consumer.c $(pkg-config --cflags --libs iobmd)
./consumer-c
# shellcheck disable=SC2046
g++ -std=c++17 -Wall -Werror -o consumer-pc /debs/consumer/consumer.cpp $(pkg-config --cflags --libs iobmd++)
./consumer-pc
how="C, C++"
if [ "${1:-}" = --static ]; then
	# shellcheck disable=SC2046
	g++ -std=c++17 -static -o consumer-static /debs/consumer/consumer.cpp \
		$(pkg-config --static --cflags --libs iobmd++) >/tmp/c/static.log 2>&1 ||
		{ cat /tmp/c/static.log; fail "static link through pkg-config --static"; }
	./consumer-static
	# shellcheck disable=SC2046
	gcc -std=c11 -static -o consumer-c-static /debs/consumer/consumer.c \
		$(pkg-config --static --cflags --libs iobmd) || fail "static C link through pkg-config --static"
	./consumer-c-static
	how+=", both static too"
fi
cmake -S /debs/consumer -B /tmp/c/cmake >/tmp/c/cmake.log 2>&1 &&
	cmake --build /tmp/c/cmake >>/tmp/c/cmake.log 2>&1 || { cat /tmp/c/cmake.log; fail "CMake consumer"; }
/tmp/c/cmake/consumer
echo "consumers: pkg-config ($how) and CMake built and ran"
INSIDE

# Inside the chroot (an overlay over the cached one, in a mount namespace
# of its own): install, build for each kernel, use, purge.
cat >"$out/debs/inside.sh" <<'INSIDE'
set -euo pipefail
version=$1
shift
fail() { echo "deb-test: FAIL: $*" >&2; exit 1; }
cd /debs
dpkg -i iobmd-dkms_*.deb libiobmd1_*.deb libiobmd-dev_*.deb iobmd-tools_*.deb \
	>/debs/dpkg-install.log 2>&1 || { cat /debs/dpkg-install.log; fail "dpkg -i"; }
for k in "$@"; do
	/etc/kernel/header_postinst.d/dkms "$k" >/debs/dkms-$k.log 2>&1 ||
		{ cat /debs/dkms-$k.log; fail "DKMS for $k"; }
	# Compressed as the kernel's own modules are (6.12: xz).
	ko=$(compgen -G "/lib/modules/$k/updates/dkms/iobmd.ko*") ||
		{ cat /debs/dkms-$k.log; fail "no /lib/modules/$k/updates/dkms/iobmd.ko*"; }
	v=$(modinfo -F version "$ko")
	[ "$v" = "$version" ] || fail "$ko: version '$v', not $version"
	echo "dkms: $k: $ko $v"
done
dkms status iobmd 2>/dev/null
ko=$(compgen -G "/lib/modules/$KREL_612/updates/dkms/iobmd.ko*")
case $ko in
*.xz) xz -dc "$ko" >/debs/iobmd-dkms.ko ;;
*.zst) zstd -qdc "$ko" >/debs/iobmd-dkms.ko ;;
*) cp "$ko" /debs/iobmd-dkms.ko ;;
esac
v=$(iobmdctl --version | head -1)
[ "$v" = "iobmdctl $version" ] || fail "iobmdctl --version: '$v'"
for f in /lib/udev/rules.d/60-iobmd.rules /usr/share/man/man8/iobmdctl.8.gz \
	/usr/share/man/man4/iobmd.4.gz /usr/share/bash-completion/completions/iobmdctl \
	/usr/bin/iobmd-demo; do
	[ -e "$f" ] || fail "no $f"
done
getent group iobmd >/dev/null || fail "no group iobmd"

# The library from a consumer, through pkg-config and through CMake.
bash /debs/consumers.sh --static

dpkg --purge iobmd-tools libiobmd-dev libiobmd1 iobmd-dkms >/debs/dpkg-purge.log 2>&1 ||
	{ cat /debs/dpkg-purge.log; fail "dpkg --purge"; }
left=$(find /usr/src /var/lib/dkms /lib/modules /usr/lib /usr/include /usr/share/doc \
	/usr/share/man /usr/bin /usr/sbin /usr/share/bash-completion \
	\( -name '*iobmd*' -o -name 'libiobmd*' \) 2>/dev/null || true)
[ -z "$left" ] || fail "purge left: $left"
! getent group iobmd >/dev/null || fail "purge left the group iobmd"
echo "purge: nothing left"
INSIDE

# in_overlay CHROOT DIR BIND SCRIPT ARGS...: runs /debs/SCRIPT with ARGS
# as root of an overlay over CHROOT (its changes in DIR, dropped after),
# in a mount namespace of its own, with $out/debs at /debs and BIND (a
# directory, or "-") at its own path.
in_overlay() {
	local ch=$1 dir=$2 bind=$3 rc=0
	shift 3
	mkdir -p "$dir/upper" "$dir/work" "$dir/root"
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare --mount --propagation private -- bash -c '
		set -e
		ch=$1 dir=$2 debs=$3 bind=$4 script=$5
		shift 5
		r=$dir/root
		mount -t overlay overlay -o "lowerdir=$ch,upperdir=$dir/upper,workdir=$dir/work" "$r"
		mkdir -p "$r/debs"
		mount --bind "$debs" "$r/debs"
		if [ "$bind" != - ]; then
			mkdir -p "$r$bind"
			mount --bind "$bind" "$r$bind"
		fi
		mount -t proc proc "$r/proc"
		mount --bind /dev "$r/dev"
		mount -t tmpfs tmpfs "$r/tmp"
		exec chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
			LANG=C.UTF-8 KREL_612="$KREL_612" bash "/debs/$script" "$@"
	' _ "$ch" "$dir" "$out/debs" "$bind" "$@" || rc=$?
	rm -rf "$dir/upper" "$dir/work"
	return "$rc"
}

in_overlay "$ch" "$out" - inside.sh "$version" "${krels[@]}" ||
	die "the packages' test in the chroot failed"
msg "packages: installed, DKMS-built for ${krels[*]}, used, purged ($(elapsed "$t0"))"

# `make install` and `make uninstall` as a user without the packages runs
# them, from a copy of the source tree, in a fresh overlay of the same
# chroot (dkms there): the module registered with DKMS and built for
# KREL_612, the library, headers, .pc, CMake package, tools, man pages,
# udev rule, group and modules-load.d example installed under /usr/local
# and /etc; the consumer built against them; then uninstall, and the
# file system's list of files, links and directories (outside /tmp, /proc,
# /dev) the same as before install.
copy_source_tree "$out/debs/src"
cat >"$out/debs/install-test.sh" <<'INSIDE'
set -euo pipefail
version=$1 krel=$2
fail() { echo "deb-test: FAIL: make install: $*" >&2; exit 1; }
snapshot() {
	find / -xdev \( -type f -o -type l -o -type d \) -print | sort
}
snapshot >/tmp/before
cd /debs/src
make install KVER="$krel" >/debs/make-install.log 2>&1 ||
	{ tail -n 30 /debs/make-install.log; fail "make install"; }
snapshot >/tmp/installed
comm -13 /tmp/before /tmp/installed >/debs/make-install.files
ko=$(compgen -G "/lib/modules/$krel/updates/dkms/iobmd.ko*") ||
	{ tail -n 30 /debs/make-install.log; fail "DKMS built no iobmd.ko for $krel"; }
v=$(modinfo -F version "$ko")
[ "$v" = "$version" ] || fail "$ko: version '$v', not $version"
dkms status -m iobmd -v "$version" -k "$krel" | grep -q ': installed' ||
	fail "dkms status: $(dkms status -m iobmd)"
v=$(/usr/local/sbin/iobmdctl --version | head -1)
[ "$v" = "iobmdctl $version" ] || fail "iobmdctl --version: '$v'"
for f in /usr/local/lib/libiobmd.so.1 /usr/local/lib/libiobmd++.so.1 \
	/usr/local/lib/libiobmd.a /usr/local/lib/libiobmd++.a \
	/usr/local/include/iobmd/iobmd.h /usr/local/include/iobmd/uapi.h \
	/usr/local/lib/pkgconfig/iobmd.pc /usr/local/lib/pkgconfig/iobmd++.pc \
	/usr/local/lib/cmake/iobmd/iobmdConfig.cmake /usr/local/bin/iobmd-demo \
	/usr/local/share/man/man8/iobmdctl.8 /usr/local/share/man/man4/iobmd.4 \
	/usr/local/share/bash-completion/completions/iobmdctl \
	/usr/local/share/doc/iobmd/iobmd.conf /etc/udev/rules.d/60-iobmd.rules \
	"/usr/src/iobmd-$version/dkms.conf"; do
	[ -e "$f" ] || fail "no $f"
done
getent group iobmd >/dev/null || fail "no group iobmd"
bash /debs/consumers.sh
echo "make install: $(wc -l </debs/make-install.files) new paths; DKMS built iobmd $version for $krel"
cd /debs/src
make uninstall KVER="$krel" >/debs/make-uninstall.log 2>&1 ||
	{ tail -n 30 /debs/make-uninstall.log; fail "make uninstall"; }
snapshot >/tmp/after
if ! diff /tmp/before /tmp/after >/debs/make-uninstall.diff; then
	cat /debs/make-uninstall.diff
	fail "make uninstall left the file system different (above: < gone, > left)"
fi
! getent group iobmd >/dev/null || fail "uninstall left the group iobmd"
echo "make uninstall: the file system's list of paths is as before install"
INSIDE
in_overlay "$ch" "$out/install" - install-test.sh "$version" "$KREL_612" ||
	die "make install / make uninstall in the chroot failed"
msg "make install (DKMS for $KREL_612) and make uninstall from a source tree ($(elapsed "$t0"))"

# The matrix's other kernels (7.x, and the arm64 ones; fetched by
# scripts/fetch-kernel.sh): Debian 12 lacks the 7.x kernels' compiler, so
# iobmd-dkms goes into an overlay of the chroot (bookworm, trixie or sid,
# scripts/debian-chroot.sh, with dkms added) that has the kernel's
# compiler, a cross compiler for arm64 (Debian's arm64 headers carry
# ARCH= and CROSS_COMPILE= in their .kernelvariables, which kbuild
# includes, so DKMS cross-builds with nothing of ours changed; their
# kbuild programs are this machine's, linux-kbuild from fetch-kernel.sh).
# The headers are bound in at the same path, and DKMS builds, installs
# and (on purge) removes the module there.  The module's ELF machine is
# checked to be the kernel's.  (DKMS files an arm64 build under this
# machine's architecture, x86_64, unless told -a aarch64, and warns that
# its strip cannot read the AArch64 module, which stays unstripped.)
# dkms_fetched KREL: 0 when that worked.
dkms_fetched() {
	local krel=$1 kdir cc ccpkg kroot pk ch suite rc karch machine dir=$out/dkms-$1
	local suites=()
	kernel_tree "$krel"
	kdir=$KT_KDIR
	karch=$(kdir_arch "$kdir")
	case $karch in
	arm64) machine=aarch64 ;;
	amd64) machine=x86_64 ;;
	*) msg "$krel: unknown architecture"; return 1 ;;
	esac
	# "gcc-14" or, for a cross compiler, "aarch64-linux-gnu-gcc-12".
	cc=$(sed -nE 's/^CONFIG_CC_VERSION_TEXT="([^ "]+).*/\1/p' "$kdir/.config")
	[[ $cc =~ ^(([a-z0-9_]+-linux-gnu)-)?gcc-([0-9]+)$ ]] ||
		{ msg "$krel: unknown compiler '$cc'"; return 1; }
	ccpkg=gcc-${BASH_REMATCH[3]}
	if [ -n "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[2]}" != "$(gcc -dumpmachine)" ]; then
		ccpkg+=-${BASH_REMATCH[2]//_/-}
	fi
	kroot=$(cd "$(readlink -f "$kdir")/../../.." && pwd)
	pk=(dkms "$ccpkg")
	[ ! -f "$kroot/../build-depends" ] ||
		mapfile -t -O ${#pk[@]} pk <"$kroot/../build-depends"
	# A chroot that has the compiler already first (asking the mirror
	# costs time); bookworm only for bookworm's compiler.
	for suite in bookworm trixie sid; do
		[ "$suite" != bookworm ] || [ "${BASH_REMATCH[3]}" = 12 ] || continue
		if [ -x "${IOBMD_CACHE:-/var/cache/iobmd}/chroot-$suite-$(dpkg --print-architecture)/usr/bin/$cc" ]; then
			suites=("$suite" "${suites[@]}")
		else
			suites+=("$suite")
		fi
	done
	for suite in "${suites[@]}"; do
		rc=0
		ch=$(bash "$ROOT/scripts/debian-chroot.sh" --suite "$suite" "${pk[@]}" |
			sed -n 's/^CHROOT=//p') || rc=$?
		[ "$rc" = 3 ] || break
	done
	[ "$rc" = 0 ] && [ -n "$ch" ] || { msg "$krel: no chroot with $cc"; return 1; }
	in_overlay "$ch" "$dir" "$kroot" dkms-only.sh "$krel" "$kdir" "$version" "$machine"
}
cat >"$out/debs/dkms-only.sh" <<'INSIDE'
set -euo pipefail
krel=$1 kdir=$2 version=$3 machine=$4
fail() { echo "deb-test: FAIL: $krel: $*" >&2; exit 1; }
mkdir -p "/lib/modules/$krel"
ln -sfn "$kdir" "/lib/modules/$krel/build"
log=/tmp/dkms.log
dpkg -i /debs/iobmd-dkms_*.deb >$log 2>&1 || { cat $log; fail "dpkg -i iobmd-dkms"; }
# (iobmd-dkms's postinst has built it already for every kernel with
# headers; this says so, or builds it.)
dkms install -m iobmd -v "$version" -k "$krel" >>$log 2>&1 || { cat $log; fail "DKMS"; }
ko=$(compgen -G "/lib/modules/$krel/updates/dkms/iobmd.ko*") || { cat $log; fail "no iobmd.ko"; }
v=$(modinfo -F version "$ko")
[ "$v" = "$version" ] || fail "$ko: version '$v', not $version"
case $ko in
*.xz) xz -dc "$ko" >/tmp/iobmd.ko ;;
*.zst) zstd -qdc "$ko" >/tmp/iobmd.ko ;;
*) cp "$ko" /tmp/iobmd.ko ;;
esac
# The ELF header's e_machine (little-endian u16 at byte 18).
case $machine in
aarch64) want=183 ;;
x86_64) want=62 ;;
esac
em=$(od -An -tu2 -j18 -N2 /tmp/iobmd.ko | tr -d ' ')
[ "$em" = "$want" ] || fail "$ko: ELF machine $em, not $machine's $want"
echo "dkms: $krel ($machine): $ko $v, ELF machine $em"
dkms status -m iobmd -v "$version" -k "$krel"
dpkg --purge iobmd-dkms >>$log 2>&1 || { cat $log; fail "dpkg --purge"; }
left=$(find /usr/src /var/lib/dkms /lib/modules -name '*iobmd*' 2>/dev/null || true)
[ -z "$left" ] || fail "purge left: $left"
INSIDE
for name in ${KERNELS:-$ALL_KERNELS}; do
	spec=${FETCHED_KERNELS[$name]:-}
	[ -n "$spec" ] || continue
	# The one check.sh fetched moments ago, else from the mirror.
	# shellcheck disable=SC2086 # "SERIES ARCH SUITE"
	fetched=$(IOBMD_OFFLINE=1 bash "$ROOT/scripts/fetch-kernel.sh" $spec 2>/dev/null) ||
		fetched=$(bash "$ROOT/scripts/fetch-kernel.sh" $spec) || die "$name: fetching the kernel"
	krel=$(sed -n 's/^KREL=//p' <<<"$fetched")
	dkms_fetched "$krel" || die "$name ($krel): DKMS in the chroot failed"
	krels+=("$krel")
done
msg "DKMS: iobmd $version built and purged for ${krels[*]} ($(elapsed "$t0"))"

if [ -n "$vm" ]; then
	# The guest runs static programs only: the demo as scripts/demo.sh
	# builds it, and a check that the loaded module is this release.
	bash "$ROOT/scripts/build-demo.sh" "$out/tools"
	cat >"$out/tools/iobmd_release_check" <<-CHECK
		#!/bin/sh
		v=\$(cat /sys/module/iobmd/version)
		echo "module version: \$v"
		[ "\$v" = "$version" ]
	CHECK
	chmod +x "$out/tools/iobmd_release_check"
	bash "$ROOT/scripts/vm-run.sh" --out "$out/vm" --prog-timeout 120 \
		"$KREL_612" "$out/debs/iobmd-dkms.ko" "$out/tools/iobmd_release_check" \
		"$out/tools/iobmd_demo" ||
		die "the DKMS-built module with the demo failed in the $KREL_612 guest (logs: $out/vm)"
	msg "the DKMS-built module ran the demo on $KREL_612 ($(elapsed "$t0"))"
fi
msg "deb-test passed in $(elapsed "$t0")"

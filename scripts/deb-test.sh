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
#   5b. for the matrix's other kernels of this architecture (7.x; KERNELS
#      picks by name as for check.sh, default ALL_KERNELS), fetched by
#      scripts/fetch-kernel.sh: iobmd-dkms installed into an overlay of
#      the trixie or sid chroot that has their compiler (with dkms added),
#      the module built by DKMS and checked, and purged;
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
msg "chroot ready ($(elapsed "$t0"))"

out=$BUILD/deb-test
rm -rf "$out"
mkdir -p "$out/debs"
cp "${files[@]}" "$out/debs/"
cp -a "$ROOT/userlib/tests/package" "$out/debs/consumer"

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
mkdir -p /tmp/c && cd /tmp/c
# shellcheck disable=SC2046
gcc -std=c11 -Wall -Werror -o consumer-c /debs/consumer/consumer.c $(pkg-config --cflags --libs iobmd)
./consumer-c
# shellcheck disable=SC2046
g++ -std=c++17 -Wall -Werror -o consumer-pc /debs/consumer/consumer.cpp $(pkg-config --cflags --libs iobmd++)
./consumer-pc
# shellcheck disable=SC2046
g++ -std=c++17 -static -o consumer-static /debs/consumer/consumer.cpp \
	$(pkg-config --static --cflags --libs iobmd++) >/tmp/c/static.log 2>&1 ||
	{ cat /tmp/c/static.log; fail "static link through pkg-config --static"; }
./consumer-static
# shellcheck disable=SC2046
gcc -std=c11 -static -o consumer-c-static /debs/consumer/consumer.c \
	$(pkg-config --static --cflags --libs iobmd) || fail "static C link through pkg-config --static"
./consumer-c-static
cmake -S /debs/consumer -B /tmp/c/cmake >/tmp/c/cmake.log 2>&1 &&
	cmake --build /tmp/c/cmake >>/tmp/c/cmake.log 2>&1 || { cat /tmp/c/cmake.log; fail "CMake consumer"; }
/tmp/c/cmake/consumer
echo "consumers: pkg-config (C, C++, both static too) and CMake built and ran"

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

# The matrix's other amd64 kernels (7.x, fetched by scripts/fetch-kernel.sh):
# Debian 12 lacks their compiler, so iobmd-dkms goes into an overlay of the
# trixie or sid chroot that builds their modules (scripts/debian-chroot.sh,
# with dkms added), their headers bound in at the same path, and DKMS
# builds, installs and (on purge) removes the module there.
# dkms_fetched KREL: 0 when that worked.
dkms_fetched() {
	local krel=$1 kdir cc kroot pk ch suite rc dir=$out/dkms-$1
	kernel_tree "$krel"
	kdir=$KT_KDIR
	cc=$(sed -nE 's/^CONFIG_CC_VERSION_TEXT="([^ "]+).*/\1/p' "$kdir/.config")
	[[ $cc =~ -gcc-([0-9]+)$ ]] || { msg "$krel: unknown compiler '$cc'"; return 1; }
	kroot=$(cd "$(readlink -f "$kdir")/../../.." && pwd)
	pk=(dkms "gcc-${BASH_REMATCH[1]}")
	[ ! -f "$kroot/../build-depends" ] ||
		mapfile -t -O ${#pk[@]} pk <"$kroot/../build-depends"
	for suite in trixie sid; do
		rc=0
		ch=$(bash "$ROOT/scripts/debian-chroot.sh" --suite "$suite" "${pk[@]}" |
			sed -n 's/^CHROOT=//p') || rc=$?
		[ "$rc" = 3 ] || break
	done
	[ "$rc" = 0 ] && [ -n "$ch" ] || { msg "$krel: no chroot with $cc"; return 1; }
	in_overlay "$ch" "$dir" "$kroot" dkms-only.sh "$krel" "$kdir" "$version"
}
cat >"$out/debs/dkms-only.sh" <<'INSIDE'
set -euo pipefail
krel=$1 kdir=$2 version=$3
fail() { echo "deb-test: FAIL: $krel: $*" >&2; exit 1; }
mkdir -p "/lib/modules/$krel"
ln -sfn "$kdir" "/lib/modules/$krel/build"
log=/tmp/dkms.log
dpkg -i /debs/iobmd-dkms_*.deb >$log 2>&1 || { cat $log; fail "dpkg -i iobmd-dkms"; }
dkms install -m iobmd -v "$version" -k "$krel" >>$log 2>&1 || { cat $log; fail "DKMS"; }
ko=$(compgen -G "/lib/modules/$krel/updates/dkms/iobmd.ko*") || { cat $log; fail "no iobmd.ko"; }
v=$(modinfo -F version "$ko")
[ "$v" = "$version" ] || fail "$ko: version '$v', not $version"
echo "dkms: $krel: $ko $v"
dpkg --purge iobmd-dkms >>$log 2>&1 || { cat $log; fail "dpkg --purge"; }
left=$(find /usr/src /var/lib/dkms /lib/modules -name '*iobmd*' 2>/dev/null || true)
[ -z "$left" ] || fail "purge left: $left"
INSIDE
for name in ${KERNELS:-$ALL_KERNELS}; do
	spec=${FETCHED_KERNELS[$name]:-}
	# shellcheck disable=SC2086 # "SERIES ARCH SUITE"
	set -- $spec
	[ "${2:-}" = "$(host_arch)" ] || continue
	# The one check.sh fetched moments ago, else from the mirror.
	# shellcheck disable=SC2086
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

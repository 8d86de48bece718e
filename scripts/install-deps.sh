#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs everything iobmd's build, tests and demo need on Debian 12, as
# root: the toolchain (with gcc-12-multilib, for the static i386 programs
# that test 32-bit callers), QEMU, busybox, GoogleTest, CMake and pkg-config (the
# C++ library's tests and package check), debootstrap (the Debian 13 and
# unstable chroots that build for 7.x kernels, scripts/debian-chroot.sh),
# the newest 6.1 kernel from bookworm,
# the newest 6.12 kernel from bookworm-backports (image and headers), and
# linux-source-6.12 (for the kselftest harness and checkpatch.pl), which is
# unpacked once into the cache directory.
# debhelper, dh-dkms and lintian build and check the Debian packages
# (scripts/build-deb.sh).
# python3-sphinx and python3-sphinx-rtd-theme build the HTML documentation
# (make docs, scripts/build-docs.sh).
#
# For arm64 (cross-built, run in qemu-system-aarch64): dpkg's arm64
# architecture (Debian multiarch), qemu-system-arm, the aarch64 and armhf
# cross compilers (armhf: the static 32-bit callers' tests), libnl and
# GoogleTest as :arm64 packages (static libraries the cross-built tests
# link), and busybox-static:arm64 unpacked under the cache for the guest.
# The kernels not installed here (7.x, and arm64's) are fetched by
# scripts/fetch-kernel.sh when scripts/check.sh first needs them.
#
# Idempotent: a second run installs nothing and returns quickly.  The
# -m32 support is gcc-12-multilib, not the gcc-multilib metapackage, which
# Debian makes conflict with the cross compilers: with it, each run removed
# the aarch64 and armhf compilers and installed them again (and a build
# running beside it lost its compiler).  Both toolchains are checked at
# the end.
# Prints, as its last lines, the resolved kernel releases:
#   KREL_61=<release>  KREL_612=<release>  KSRC=<unpacked source dir>
set -euo pipefail

CACHE=${IOBMD_CACHE:-/var/cache/iobmd}
STAMP=$CACHE/deps.env
export DEBIAN_FRONTEND=noninteractive

log() { echo "install-deps: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
	log "must run as root (it installs Debian packages)"
	exit 1
fi
mkdir -p "$CACHE"

# Re-use what an earlier run resolved when it is all still there.
if [ -f "$STAMP" ] && [ -z "${IOBMD_REFRESH:-}" ]; then
	# shellcheck disable=SC1090
	. "$STAMP"
	if [ -e "/boot/vmlinuz-$KREL_61" ] && [ -e "/boot/vmlinuz-$KREL_612" ] &&
	   [ -d "/lib/modules/$KREL_61/build" ] && [ -d "/lib/modules/$KREL_612/build" ] &&
	   [ -f "$KSRC/scripts/checkpatch.pl" ] && command -v qemu-system-x86_64 >/dev/null &&
	   [ -x /bin/busybox ] && command -v sparse >/dev/null &&
	   command -v g++ >/dev/null && command -v cpio >/dev/null && command -v openssl >/dev/null &&
	   [ -f /usr/lib32/libc.a ] &&
	   [ -f /usr/include/gtest/gtest.h ] && compgen -G '/usr/lib/*/libgtest.a' >/dev/null &&
	   command -v cmake >/dev/null && command -v pkg-config >/dev/null &&
	   command -v debootstrap >/dev/null && command -v abidiff >/dev/null &&
	   command -v dh >/dev/null && command -v dh_dkms >/dev/null && command -v lintian >/dev/null &&
	   command -v sphinx-build >/dev/null && /usr/bin/python3 -c 'import sphinx_rtd_theme' 2>/dev/null &&
	   pkg-config --exists libnl-genl-3.0 &&
	   /usr/bin/python3 -c 'import jsonschema, yaml' 2>/dev/null &&
	   [ -x "$CACHE/arm64-guest/bin/busybox" ] && command -v qemu-system-aarch64 >/dev/null &&
	   command -v aarch64-linux-gnu-g++ >/dev/null && command -v arm-linux-gnueabihf-gcc >/dev/null &&
	   [ -f /usr/lib/aarch64-linux-gnu/libgtest.a ] &&
	   [ -f /usr/lib/aarch64-linux-gnu/libnl-genl-3.a ]; then
		cat "$STAMP"
		exit 0
	fi
fi

# bookworm-backports, on the same mirror the machine already uses for bookworm.
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	uri=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
	      awk '/^URIs:/ && !/security/ {print $2; exit} /^deb / && !/security/ {for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) {print $i; exit}}' || true)
	[ -n "$uri" ] || { log "cannot find the Debian mirror in apt's sources"; exit 1; }
	log "adding bookworm-backports from $uri"
	echo "deb $uri bookworm-backports main" > /etc/apt/sources.list.d/iobmd-backports.list
fi

# arm64 packages (cross-build libraries, the guest's busybox and kernel).
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	log "adding the arm64 architecture to dpkg"
	dpkg --add-architecture arm64
fi

log "apt-get update"
apt-get update -qq

# Newest version of a metapackage in one suite -> the versioned package it pulls.
resolve() { # $1 meta package, $2 suite
	local ver dep
	ver=$(apt-cache madison "$1" | awk -v s="$2" '$0 ~ " "s"/" {print $3; exit}')
	[ -n "$ver" ] || { log "no $1 in $2"; return 1; }
	dep=$(apt-cache show "$1=$ver" | sed -n 's/^Depends: //p' | head -n1 |
	      tr ',' '\n' | sed -E 's/^ *//; s/ .*//' | grep -E '^linux-(image|headers)-[0-9]' | head -n1)
	[ -n "$dep" ] || { log "cannot resolve $1=$ver"; return 1; }
	echo "$dep"
}

img61=$(resolve linux-image-amd64 bookworm)
img612=$(resolve linux-image-amd64 bookworm-backports)
KREL_61=${img61#linux-image-}
KREL_612=${img612#linux-image-}
# Debian names the unsigned image package "-unsigned"; the release has no suffix.
KREL_61=${KREL_61%-unsigned}
KREL_612=${KREL_612%-unsigned}
log "kernels: $KREL_61 (bookworm), $KREL_612 (bookworm-backports)"

src612=$(apt-cache madison linux-source | awk '/bookworm-backports/ {print $3; exit}')
srcpkg=linux-source-$(echo "$src612" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')

apt-get install -y -qq --no-install-recommends \
	build-essential g++ gcc-12-multilib make bc bison flex libelf-dev libssl-dev cpio kmod \
	xz-utils zstd sparse perl python3 openssl qemu-system-x86 busybox-static \
	libgtest-dev cmake pkg-config libnl-3-dev libnl-genl-3-dev debootstrap \
	abigail-tools debhelper dh-dkms lintian rsync python3-jsonschema python3-yaml \
	python3-sphinx python3-sphinx-rtd-theme \
	"linux-image-$KREL_61" "linux-headers-$KREL_61" >/dev/null
# linux-libc-dev from there too: the C++ library's IOMMU mapper needs
# <linux/iommufd.h>, which bookworm's 6.1 headers do not have.
apt-get install -y -qq --no-install-recommends -t bookworm-backports \
	"linux-image-$KREL_612" "linux-headers-$KREL_612" "$srcpkg" linux-libc-dev >/dev/null

# arm64: cross toolchains, QEMU, and the target's static libraries.
apt-get install -y -qq --no-install-recommends \
	qemu-system-arm gcc-aarch64-linux-gnu g++-aarch64-linux-gnu \
	gcc-arm-linux-gnueabihf libc6-dev-armhf-cross \
	libnl-3-dev:arm64 libnl-genl-3-dev:arm64 libgtest-dev:arm64 >/dev/null
# The arm64 guest's busybox: unpacked, not installed (it would replace the
# host's busybox-static, they are the same file).
bbver=$(apt-cache show busybox-static:arm64 | sed -n 's/^Version: //p' | head -n1)
if [ "$(cat "$CACHE/arm64-guest/.version" 2>/dev/null)" != "$bbver" ]; then
	log "unpacking busybox-static:arm64 $bbver"
	rm -rf "$CACHE/arm64-guest"
	mkdir -p "$CACHE/arm64-guest/deb"
	chown _apt "$CACHE/arm64-guest/deb" 2>/dev/null || true
	(cd "$CACHE/arm64-guest/deb" && apt-get download -q "busybox-static:arm64=$bbver" >/dev/null)
	dpkg-deb -x "$CACHE"/arm64-guest/deb/*.deb "$CACHE/arm64-guest"
	rm -rf "$CACHE/arm64-guest/deb"
	echo "$bbver" >"$CACHE/arm64-guest/.version"
fi

# Unpack the kernel source once (harness headers, checkpatch.pl, debug kernel).
tarball=$(ls /usr/src/"$srcpkg".tar.* | head -n1)
KSRC=$CACHE/$srcpkg
if [ ! -f "$KSRC/scripts/checkpatch.pl" ] || [ "$tarball" -nt "$KSRC/.unpacked" ]; then
	log "unpacking $tarball"
	rm -rf "$KSRC"
	tar -C "$CACHE" -xf "$tarball"
	touch "$KSRC/.unpacked"
fi

# The 32-bit and the arm64 toolchains both work (one did not survive the
# other's installation before).
probe=$(mktemp -d)
printf 'int main(void) { return 0; }\n' >"$probe/t.c"
gcc -m32 -static -o "$probe/t32" "$probe/t.c" ||
	{ rm -rf "$probe"; die "gcc -m32 -static does not build (gcc-12-multilib)"; }
aarch64-linux-gnu-gcc -static -o "$probe/ta64" "$probe/t.c" ||
	{ rm -rf "$probe"; die "aarch64-linux-gnu-gcc does not build"; }
rm -rf "$probe"

printf 'KREL_61=%s\nKREL_612=%s\nKSRC=%s\n' "$KREL_61" "$KREL_612" "$KSRC" > "$STAMP"
cat "$STAMP"

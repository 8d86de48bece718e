#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-arm64-kernel.sh [SERIES [SUITE]]
#
# Makes Debian's newest arm64 kernel of SERIES (default 6.12) in SUITE
# (default bookworm-backports) available on this amd64 host for cross-builds
# and QEMU, without installing it: the image, its headers, the common
# headers and the kbuild tools are downloaded with apt-get and unpacked with
# dpkg-deb -x into one tree under ${IOBMD_CACHE:-/var/cache/iobmd}:
#   arm64-kernel/<release>/root/   the packages' files (boot/vmlinuz-<release>,
#                                  lib/modules/<release>, usr/src/linux-headers-*)
#   arm64-kernel/<release>/kernel.env
# The kbuild tools (fixdep, modpost, ...) are the host's own architecture's
# linux-kbuild package of the same version: Debian's arm64 headers link
# scripts/ and tools/ to that package (it is Multi-Arch: foreign), so the
# amd64 build of it is what a cross-build from amd64 runs.
#
# apt must know the arm64 architecture (dpkg --add-architecture arm64,
# which scripts/install-deps.sh does) and SUITE must be in apt's sources.
# The version is resolved at run time (apt-cache madison of the
# linux-image-arm64 metapackage); nothing pins one.  Idempotent and
# locked: a second run, or one racing it, reuses the unpacked tree.
#
# Prints, as its last lines:
#   KREL=<release> IMAGE=<kernel image> KDIR=<headers build tree>
#   MODDIR=<the root for modprobe -d / depmod -b>
set -euo pipefail

series=${1:-6.12}
suite=${2:-bookworm-backports}
CACHE=${IOBMD_CACHE:-/var/cache/iobmd}
log() { echo "fetch-arm64-kernel: $*" >&2; }
[ "$(id -u)" = 0 ] || { log "must run as root (apt-get download, the cache)"; exit 1; }

# The metapackage's newest version in SUITE that belongs to SERIES, and the
# versioned image package it depends on.
ver=$(apt-cache madison linux-image-arm64:arm64 |
	awk -v s="$suite" -v r="$series" '$0 ~ " "s"/" && index($3, r".") == 1 {print $3; exit}')
[ -n "$ver" ] || { log "no linux-image-arm64 $series.x in $suite (is arm64 added to dpkg and $suite in apt's sources?)"; exit 1; }
img=$(apt-cache show "linux-image-arm64:arm64=$ver" | sed -n 's/^Depends: //p' | head -n1 |
	tr ',' '\n' | sed -E 's/^ *//; s/ .*//' | grep -E '^linux-image-[0-9]' | head -n1)
[ -n "$img" ] || { log "cannot resolve linux-image-arm64=$ver"; exit 1; }
krel=${img#linux-image-}
krel=${krel%-unsigned}
pkgver=$(apt-cache show "$img:arm64" | sed -n 's/^Version: //p' | head -n1)
hdr=linux-headers-$krel
# The headers' dependencies name the common headers and the kbuild tools.
deps=$(apt-cache show "$hdr:arm64=$pkgver" | sed -n 's/^Depends: //p' | head -n1 | tr ',|' '\n\n' |
	sed -E 's/^ *//; s/ .*//')
common=$(grep -E '^linux-headers-.*-common$' <<<"$deps" | head -n1)
kbuild=$(grep -E '^linux-kbuild-' <<<"$deps" | head -n1)
[ -n "$common" ] && [ -n "$kbuild" ] || { log "cannot resolve $hdr's common headers and kbuild"; exit 1; }

dir=$CACHE/arm64-kernel/$krel
env=$dir/kernel.env
print_env() { cat "$env"; }
if [ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$pkgver" ]; then
	print_env
	exit 0
fi
mkdir -p "$CACHE/arm64-kernel"
exec 9>"$CACHE/arm64-kernel.lock"
flock 9
if [ -f "$dir/.complete" ] && [ "$(cat "$dir/.complete")" = "$pkgver" ]; then
	print_env
	exit 0
fi

log "fetching $img $pkgver ($suite), $hdr, $common, $kbuild"
tmp=$CACHE/arm64-kernel/.fetch.$$
rm -rf "$tmp"
mkdir -p "$tmp/debs" "$tmp/root"
trap 'rm -rf "$tmp"' EXIT
# apt-get download writes as the _apt user when it can.
chown _apt "$tmp/debs" 2>/dev/null || true
(cd "$tmp/debs" && apt-get download -q "$img:arm64=$pkgver" "$hdr:arm64=$pkgver" \
	"$common=$pkgver" "$kbuild=$pkgver" >&2)
for deb in "$tmp"/debs/*.deb; do
	dpkg-deb -x "$deb" "$tmp/root"
done
rm -rf "$tmp/debs"
image=$tmp/root/boot/vmlinuz-$krel
[ -f "$image" ] || { log "no boot/vmlinuz-$krel in $img"; exit 1; }
# The headers' build link is absolute (/usr/src/...): point it into the tree.
ln -sfn "../../../usr/src/$hdr" "$tmp/root/lib/modules/$krel/build"
# So does the include of the common headers' Makefile: the tree's final place.
sed -i "s|^include /usr/src/|include $dir/root/usr/src/|" "$tmp/root/usr/src/$hdr/Makefile"
depmod -b "$tmp/root" "$krel"

rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
printf 'KREL=%s\nIMAGE=%s\nKDIR=%s\nMODDIR=%s\n' "$krel" "$dir/root/boot/vmlinuz-$krel" \
	"$dir/root/usr/src/$hdr" "$dir/root" >"$env"
echo "$pkgver" >"$dir/.complete"
print_env

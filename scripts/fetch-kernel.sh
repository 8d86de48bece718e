#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-kernel.sh SERIES ARCH SUITE
#
# Fetches the newest Debian kernel of SERIES (e.g. 7.3) for ARCH (a Debian
# architecture: amd64, arm64) from SUITE (e.g. trixie-backports, sid)
# without installing it: the image, its modules, and its headers with what
# they need to build modules (linux-headers-*-common, and linux-kbuild for
# the machine that builds: its programs run here, so a cross build takes
# this machine's architecture of it).  The packages come from the mirror in
# apt's sources, through an apt configuration of this script's own (its
# own sources list and state under the cache): the system's apt sources
# are neither read for anything else nor changed.  Nothing is pinned: the
# version is whichever is newest in SUITE today.
#
# Each kernel is unpacked (dpkg-deb -x) once into
#   ${IOBMD_CACHE:-/var/cache/iobmd}/kernels/<arch>-<release>/root/
# with modules.dep made by depmod, and the headers' Makefile pointed at
# the unpacked common headers (Debian's names /usr/src).  A second call
# with the same answer from the mirror costs one `apt-get update`;
# IOBMD_OFFLINE=1 skips that and reuses the newest kernel of SERIES/ARCH
# fetched before.  Runs are serialised by a lock.  A newer kernel of the
# series replaces the one fetched before.
#
# Prints, as its last lines:
#   KREL=<kernel release>
#   IMAGE=<the kernel image to boot>
#   KDIR=<headers build directory, for make -C KDIR M=...>
#   MODDIR=<lib/modules/KREL of the unpacked modules>
# and leaves in the kernel's directory "packages" (those unpacked) and
# "build-depends" (the other packages the headers and kbuild depend on,
# the compiler aside).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# = 3 ] || die "usage: $0 SERIES ARCH SUITE   (e.g. 7.3 amd64 trixie-backports)"
series=$1 arch=$2 suite=$3
[[ $series =~ ^[0-9]+\.[0-9]+$ ]] || die "SERIES is MAJOR.MINOR, not '$series'"
[[ $arch =~ ^[a-z0-9]+$ ]] || die "bad ARCH '$arch'"
[[ $suite =~ ^[a-z0-9-]+$ ]] || die "bad SUITE '$suite'"
CACHE=${IOBMD_CACHE:-/var/cache/iobmd}
host_arch=$(dpkg --print-architecture)
# Debian's generic flavour of each architecture is named after it.
flavour=$arch

# DIR KREL: the lines described above.  Where the image and the modules
# are (/boot or /usr/lib, /lib/modules or /usr/lib/modules) changed
# with merged /usr; the unpacked tree says.
report() {
	echo "KREL=$2"
	echo "IMAGE=$1/root/$(cat "$1/image")"
	echo "KDIR=$1/root/usr/src/linux-headers-$2"
	echo "MODDIR=$1/root/$(cat "$1/moddir")"
}

complete() { [ -f "$1/.iobmd-complete" ]; }

# $krel is the newest of the series now: the one it replaces (the suite
# moved on) is of no further use.
record_last() {
	local old
	old=$(cat "$last" 2>/dev/null || true)
	if [ -n "$old" ] && [ "$old" != "$krel" ] && [[ $old =~ ^[A-Za-z0-9.+~-]+$ ]]; then
		msg "removing $CACHE/kernels/$arch-$old (replaced by $krel)"
		rm -rf "${CACHE:?}/kernels/$arch-$old"
	fi
	echo "$krel" >"$last"
}

# The release of the kernel a run fetched last for SERIES/ARCH.
last=$CACHE/kernels/last-$series-$arch-$suite

# offline WHY: the kernel fetched before, when the mirror cannot give one
# (IOBMD_OFFLINE, no network, or SUITE has moved past SERIES: sid drops a
# series when the next one arrives); else fail with WHY.
offline() {
	local old
	old=$(cat "$last" 2>/dev/null || true)
	[ -n "$old" ] && complete "$CACHE/kernels/$arch-$old" ||
		die "$1, and no $series $arch kernel from $suite was fetched before"
	msg "$1: using $old, fetched before"
	report "$CACHE/kernels/$arch-$old" "$old"
	exit 0
}
[ -z "${IOBMD_OFFLINE:-}" ] || offline "IOBMD_OFFLINE"

[ "$(id -u)" = 0 ] || die "must run as root (it writes to $CACHE)"
mkdir -p "$CACHE/kernels"
exec 9>"$CACHE/kernels/fetch.lock"
flock 9

# --- a private apt: SUITE only, for ARCH and this machine's architecture ---
mirror=$(debian_mirror) || die "cannot find the Debian mirror in apt's sources"
adir=$CACHE/kernels/apt-$suite-$arch
# etc/none: an empty directory, for the parts directories apt reads.
mkdir -p "$adir/state/lists/partial" "$adir/cache/archives/partial" "$adir/etc/none"
: >"$adir/state/status"
archs=$arch
[ "$arch" = "$host_arch" ] || archs="$arch,$host_arch"
echo "deb [arch=$archs signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" \
	>"$adir/etc/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$adir/etc/sources.list" -o "Dir::Etc::SourceParts=$adir/etc/none"
	-o "Dir::Etc::Preferences=$adir/etc/none" -o "Dir::Etc::PreferencesParts=$adir/etc/none"
	-o "Dir::State=$adir/state" -o "Dir::State::status=$adir/state/status"
	-o "Dir::Cache=$adir/cache" -o "APT::Architecture=$host_arch"
	-o "APT::Architectures::=$arch" -o "APT::Architectures::=$host_arch"
	-o "APT::Sandbox::User=root" -o "Acquire::Languages=none")
log=$adir/apt.log
if ! apt-get "${apt_opts[@]}" update >"$log" 2>&1; then
	tail -n 5 "$log" >&2
	offline "apt-get update for $suite ($arch) failed"
fi
acache() { apt-cache "${apt_opts[@]}" "$@"; }

# Newest image of the series: linux-image-<release>-<flavour>, the signed
# package when there is one, else the -unsigned one.
ver_re="${series//./\\.}\\.[0-9]+(-[0-9]+)?(\\+[a-z0-9.~]+)?"
krel=$(acache pkgnames linux-image- |
	sed -nE "s/^linux-image-($ver_re-$flavour)(-unsigned)?$/\\1/p" | sort -uV | tail -n 1)
[ -n "$krel" ] || offline "no $series kernel for $arch in $suite any more"
image_pkg=linux-image-$krel
acache show "$image_pkg:$arch" >/dev/null 2>&1 || image_pkg=linux-image-$krel-unsigned
dir=$CACHE/kernels/$arch-$krel
if complete "$dir"; then
	record_last
	msg "$krel ($arch, $suite) already fetched"
	report "$dir" "$krel"
	exit 0
fi

# Depends of one package, names only.
depends() { # PKG:ARCH
	acache show "$1" | sed -n '0,/^$/s/^\(Pre-\)\?Depends: //p' | tr ',|' '\n\n' |
		sed -E 's/^ *//; s/[ :].*//' | sed '/^$/d'
}

# The image, any linux-modules-* and linux-binary-* (the image itself, from
# 7.x on) it depends on, the headers and, through
# their dependencies, the common headers and kbuild.
pkgs=("$image_pkg:$arch")
while read -r p; do pkgs+=("$p:$arch"); done < <(depends "$image_pkg:$arch" | grep -E '^linux-(modules|binary)-' || true)
headers=linux-headers-$krel
pkgs+=("$headers:$arch")
queue=("$headers:$arch")
while [ ${#queue[@]} -gt 0 ]; do
	p=${queue[0]}
	queue=("${queue[@]:1}")
	while read -r d; do
		case $d in
		linux-kbuild-*) q="$d:$host_arch" ;;
		linux-headers-*) q="$d:$arch" ;;
		*) continue ;;
		esac
		# Architecture-independent packages (the common headers) take no qualifier.
		if ! acache show "$q" 2>/dev/null | grep -q "^Architecture: ${q#*:}$"; then
			q=${q%:*}
		fi
		case " ${pkgs[*]} " in *" $q "*) continue ;; esac
		pkgs+=("$q")
		queue+=("$q")
	done < <(depends "$p")
done

tmp=$dir.partial
rm -rf "$tmp" "$dir"
mkdir -p "$tmp/debs" "$tmp/root"
msg "fetching $krel ($arch, $suite): ${pkgs[*]}"
if ! (cd "$tmp/debs" && apt-get "${apt_opts[@]}" download "${pkgs[@]}") >>"$log" 2>&1; then
	tail -n 20 "$log" >&2
	die "downloading ${pkgs[*]} failed"
fi
for deb in "$tmp"/debs/*.deb; do
	dpkg-deb -x "$deb" "$tmp/root"
done
root=$tmp/root
moddir='' image=''
for d in lib/modules/$krel usr/lib/modules/$krel; do
	[ -d "$root/$d/kernel" ] && moddir=$d
done
[ -n "$moddir" ] || die "no modules for $krel in ${pkgs[*]}"
for f in boot/vmlinuz-$krel "$moddir/vmlinuz"; do
	[ -f "$root/$f" ] && image=$f
done
[ -n "$image" ] || die "no kernel image for $krel in ${pkgs[*]}"
kdir=$root/usr/src/linux-headers-$krel
[ -f "$kdir/Makefile" ] || die "no headers for $krel in ${pkgs[*]}"
echo "$image" >"$tmp/image"
echo "$moddir" >"$tmp/moddir"
# Debian's headers name the common part (and themselves) by their
# installed path: point them at the unpacked ones, where they will be
# once this directory is final.
sed -i -E "s|^(include\|KBUILD_OUTPUT *=) */usr/src/|\1 $dir/root/usr/src/|" "$kdir/Makefile"
ln -sfn "$dir/root/usr/src/linux-headers-$krel" "$root/$moddir/build"
# depmod -b wants BASE/lib/modules/KREL.  Debian's packages carry no
# modules.order or modules.builtin, which depmod notes and does without.
mkdir -p "$tmp/depmod/lib/modules"
ln -s "$root/$moddir" "$tmp/depmod/lib/modules/$krel"
depmod -b "$tmp/depmod" "$krel" 2> >(grep -v 'could not open modules\.\(order\|builtin\)' >&2) ||
	die "depmod for $krel failed"
rm -rf "$tmp/depmod"
rm -rf "$tmp/debs"
printf '%s\n' "${pkgs[@]}" >"$tmp/packages"
# What the headers and kbuild need from the system to build a module, the
# compiler aside (scripts/build-module.sh takes the one the kernel was
# built with): for the build chroot of scripts/debian-chroot.sh.
for p in "${pkgs[@]}"; do
	case $p in linux-headers-* | linux-kbuild-*) depends "$p" ;; esac
done | grep -vE '^(linux-|gcc-)' | sort -u >"$tmp/build-depends"
mv "$tmp" "$dir"
touch "$dir/.iobmd-complete"
record_last
msg "fetched $krel ($arch, $suite) into $dir"
report "$dir" "$krel"

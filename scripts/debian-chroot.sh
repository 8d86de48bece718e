#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# debian-chroot.sh [--suite SUITE] [PACKAGE...]
#
# Makes, once, a Debian chroot of SUITE (default trixie, Debian 13) for
# building the module against kernels whose headers Debian 12 cannot use:
# their kbuild tools are linked against a newer libc, and their flags need
# a newer gcc than bookworm's (trixie's 7.x kernels are built with gcc-14,
# sid's with what sid has).  debootstrap takes the packages from the mirror
# apt's sources already name.  PACKAGEs are installed into it too (the
# kernel's compiler, a cross compiler, what its kbuild links against);
# once there, asking again costs nothing.
#
# The chroot lives in ${IOBMD_CACHE:-/var/cache/iobmd}/chroot-<suite>-<arch>
# (the host's architecture); it is complete once it holds .iobmd-complete,
# and a run interrupted before that starts over.  Runs are serialised by a
# lock, like scripts/build-debug-kernel.sh.  Needs root (debootstrap,
# chroot).  Prints, as its last line:
#   CHROOT=<directory>
# Exits 3, installing nothing, when SUITE has no package of that name.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SUITE=trixie
if [ "${1:-}" = --suite ]; then
	SUITE=$2
	shift 2
fi
[[ $SUITE =~ ^[a-z0-9-]+$ ]] || die "bad suite '$SUITE'"
# What kbuild needs to build an external module against a Debian kernel's
# linux-headers (and linux-kbuild) packages: the compiler and make, and
# the libraries their host programs (modpost, objtool, gendwarfksyms,
# sign-file) link against.
BASE_PACKAGES=(make libc6-dev bc kmod xz-utils zstd)
CACHE=${IOBMD_CACHE:-/var/cache/iobmd}
arch=$(dpkg --print-architecture)
dir=$CACHE/chroot-$SUITE-$arch
wanted=("${BASE_PACKAGES[@]}" "$@")

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot)"

# Packages of the list that the chroot does not hold yet.
missing_packages() {
	local p
	for p in "${wanted[@]}"; do
		chroot "$dir" dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q 'install ok installed' || echo "$p"
	done
}

ready() {
	[ -f "$dir/.iobmd-complete" ] && [ -z "$(missing_packages)" ]
}

if ready; then
	echo "CHROOT=$dir"
	exit 0
fi
mkdir -p "$CACHE"
exec 9>"$CACHE/chroot-$SUITE-$arch.lock"
flock 9
if ready; then
	echo "CHROOT=$dir"
	exit 0
fi

command -v debootstrap >/dev/null || die "no debootstrap (run scripts/install-deps.sh as root)"
mirror=$(debian_mirror) || die "cannot find the Debian mirror in apt's sources"
t0=$(date +%s)
log=$CACHE/chroot-$SUITE-$arch.log
if [ ! -f "$dir/.iobmd-complete" ]; then
	rm -rf "$dir"
	msg "debootstrap $SUITE from $mirror into $dir (a few minutes; log: $log)"
	if ! debootstrap --variant=minbase --arch="$arch" \
		--include="$(IFS=,; echo "${BASE_PACKAGES[*]}")" \
		"$SUITE" "$dir" "$mirror" >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		die "debootstrap of $SUITE failed (log: $log)"
	fi
	echo "built in $(elapsed "$t0") from $mirror" >"$dir/.iobmd-complete"
fi
mapfile -t missing < <(missing_packages)
if [ ${#missing[@]} -gt 0 ]; then
	# The mirror is the host's, and so is its view of the Release files'
	# dates (a snapshot mirror's expire: the host then says not to check).
	if apt-config dump | grep -x 'Acquire::Check-Valid-Until "false";' >/dev/null; then
		echo 'Acquire::Check-Valid-Until "false";' >"$dir/etc/apt/apt.conf.d/99iobmd-valid-until"
	fi
	chroot "$dir" apt-get update -qq >>"$log" 2>&1 || die "apt-get update in $dir failed (log: $log)"
	for p in "${missing[@]}"; do
		if ! chroot "$dir" apt-get install -s -qq "$p" >/dev/null 2>&1; then
			msg "$SUITE has no package $p"
			exit 3
		fi
	done
	msg "installing ${missing[*]} into $dir"
	if ! chroot "$dir" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1; then
		tail -n 20 "$log" >&2
		die "installing ${missing[*]} into $dir failed (log: $log)"
	fi
fi
msg "chroot ready in $(elapsed "$t0")"
echo "CHROOT=$dir"

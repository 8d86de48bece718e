#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-debug-kernel.sh
#
# Builds, once, the debug kernel `make check-debug` boots: Debian's
# linux-source-6.12 (unpacked by scripts/install-deps.sh at $KSRC),
# configured with `make tinyconfig`, then selftests/config and
# selftests/config.debug merged in, then `make olddefconfig`.  Every option
# the two fragments set must hold in the final .config; the build stops and
# lists those that do not.
#
# The build lives outside the tree, under ${IOBMD_CACHE:-/var/cache/iobmd}:
#   debug-kernel-<source version>-<hash of the resulting .config>/
# and debug-kernel-index/<source version>-<hash of both fragments and this
# recipe> names the build a fragment pair gave.  So an unchanged fragment
# reuses its kernel at once, a changed one costs a configuration (under a
# minute) and builds only when the resulting .config differs.  Once a new
# build is complete, builds of other source versions are removed, and of
# this version the three completed last are kept.  Modules
# are built against the directory like against any kernel build tree
# (make -C DIR M=...).
#
# Prints, as its last lines:
#   DEBUG_KDIR=<build directory>
#   DEBUG_KREL=<kernel release>
#   DEBUG_IMAGE=<bzImage>
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Bump when the steps below change what gets built.
RECIPE=1
CACHE=${IOBMD_CACHE:-/var/cache/iobmd}
FRAGMENTS=("$ROOT/selftests/config" "$ROOT/selftests/config.debug")

[ -n "${KSRC:-}" ] || try_deps
[ -n "${KSRC:-}" ] && [ -f "$KSRC/Makefile" ] ||
	die "no kernel source at '${KSRC:-}' (run scripts/install-deps.sh as root)"
for f in "${FRAGMENTS[@]}"; do
	[ -f "$f" ] || die "no config fragment $f"
done

# <kernel version>[-<Debian package version>] and the fragments' hash.
kver=$(make -s -C "$KSRC" kernelversion 2>/dev/null) || die "cannot read the kernel version of $KSRC"
pkgver=$(dpkg-query -W -f='${Version}' "$(basename "$KSRC")" 2>/dev/null || true)
version=$(echo "${pkgver:-$kver}" | tr -c 'A-Za-z0-9._\n-' '_')
fraghash=$( { echo "recipe $RECIPE"; cat "${FRAGMENTS[@]}"; } | sha256sum | cut -c1-12)
index=$CACHE/debug-kernel-index/$version-$fraghash

complete() { [ -f "$1/.iobmd-complete" ] && [ -f "$1/arch/x86/boot/bzImage" ]; }

report() {
	echo "DEBUG_KDIR=$1"
	echo "DEBUG_KREL=$(cat "$1/include/config/kernel.release")"
	echo "DEBUG_IMAGE=$1/arch/x86/boot/bzImage"
}

# The build an earlier run made from these very fragments.
reuse_indexed() {
	local dir
	[ -f "$index" ] || return 1
	dir=$CACHE/$(cat "$index")
	complete "$dir" || return 1
	msg "reusing $dir"
	report "$dir"
	exit 0
}

reuse_indexed || true
mkdir -p "$CACHE/debug-kernel-index"
exec 9>"$CACHE/debug-kernel.lock"
flock 9
# Another run may have built it while this one waited.
reuse_indexed || true

# Options the fragments set: "CONFIG_X=value", "# CONFIG_X is not set" (=n).
wanted_options() {
	sed -nE 's/^(CONFIG_[A-Za-z0-9_]+)=(.*)$/\1 \2/p
		s/^# (CONFIG_[A-Za-z0-9_]+) is not set$/\1 n/p' "${FRAGMENTS[@]}"
}

# Prints "CONFIG_X: wanted V, got W" for each option .config does not hold.
missing_options() {
	local config=$1 opt want got
	while read -r opt want; do
		got=$(sed -nE "s/^$opt=(.*)$/\1/p" "$config" | tail -n 1)
		[ -n "$got" ] || got=n
		[ "$got" = "$want" ] || echo "$opt: wanted $want, got $got"
	done < <(wanted_options)
}

# --- configure, in a directory of its own --------------------------------
t0=$(date +%s)
tmp=$CACHE/debug-kernel-config.$$
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
log=$tmp/build.log
kmake() { make -C "$KSRC" O="$1" "${@:2}" >>"$1/build.log" 2>&1; }
if ! kmake "$tmp" tinyconfig; then
	tail -n 30 "$log" >&2
	die "make tinyconfig failed"
fi
# merge_config.sh writes its temporary files into the current directory.
if ! (cd "$tmp" && bash "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$tmp" \
	"$tmp/.config" "${FRAGMENTS[@]}") >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "merging the config fragments failed"
fi
if ! kmake "$tmp" olddefconfig; then
	tail -n 30 "$log" >&2
	die "make olddefconfig failed"
fi
missing=$(missing_options "$tmp/.config")
if [ -n "$missing" ]; then
	echo "$missing" | sed 's/^/    /' >&2
	die "$(echo "$missing" | wc -l) option(s) of selftests/config{,.debug} did not take effect (see above)"
fi
confighash=$(grep '^CONFIG_' "$tmp/.config" | sha256sum | cut -c1-12)
name=debug-kernel-$version-$confighash
dir=$CACHE/$name
msg "config: $(wanted_options | wc -l) fragment options hold (.config $confighash)"

# Any complete build with this very .config will do.
for d in "$dir" "$CACHE/debug-kernel-$version-"*/; do
	d=${d%/}
	if complete "$d" &&
	   [ "$(grep '^CONFIG_' "$d/.config" | sha256sum | cut -c1-12)" = "$confighash" ]; then
		echo "${d##*/}" >"$index"
		msg "reusing $d (the same .config)"
		report "$d"
		exit 0
	fi
done

# --- build ------------------------------------------------------------------
# An interrupted build of the same .config: carry on with it.
for d in "$CACHE/debug-kernel-$version-"*/; do
	d=${d%/}
	if [ ! -d "$dir" ] && [ -f "$d/.config" ] &&
	   [ "$(grep '^CONFIG_' "$d/.config" | sha256sum | cut -c1-12)" = "$confighash" ]; then
		dir=$d
		name=${d##*/}
	fi
done
if [ -d "$dir" ]; then
	cat "$log" >>"$dir/build.log"
else
	mv "$tmp" "$dir"
fi
log=$dir/build.log
msg "building the debug kernel in $dir (about 10 minutes on 2 idle cores; log: $log)"
if ! kmake "$dir" -j"$(nproc)" all; then
	grep -E 'error|Error' "$log" | head -n 20 >&2 || true
	tail -n 20 "$log" >&2
	die "debug kernel build failed (log: $log)"
fi
for f in arch/x86/boot/bzImage Module.symvers include/config/kernel.release; do
	[ -f "$dir/$f" ] || die "the debug kernel build made no $f (log: $log)"
done
echo "built in $(elapsed "$t0") from $KSRC ($version)" >"$dir/.iobmd-complete"
echo "$name" >"$index"
msg "debug kernel $(cat "$dir/include/config/kernel.release") built in $(elapsed "$t0")"

# Builds from another source version are of no further use.
for old in "$CACHE"/debug-kernel-*/; do
	old=${old%/}
	case ${old##*/} in
	debug-kernel-index | "debug-kernel-$version-"*) ;;
	debug-kernel-config.*) ;;
	*) msg "removing the outdated $old"; rm -rf "$old" ;;
	esac
done
grep -lv "^debug-kernel-$version-" "$CACHE"/debug-kernel-index/* 2>/dev/null |
	xargs -r rm -f || true
# Of this version, the three builds completed last stay (switching between
# branches reuses them); older ones go, with the index entries naming them.
ls -1dt "$CACHE/debug-kernel-$version-"*/.iobmd-complete 2>/dev/null | tail -n +4 |
while read -r stamp; do
	old=$(dirname "$stamp")
	msg "removing the older $old"
	rm -rf "$old"
	grep -lx "${old##*/}" "$CACHE"/debug-kernel-index/* 2>/dev/null |
		xargs -r rm -f || true
done
report "$dir"

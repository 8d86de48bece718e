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
# The build lives outside the tree, in
#   ${IOBMD_CACHE:-/var/cache/iobmd}/debug-kernel-<source version>-<hash>/
# where <hash> covers both fragments and this recipe, so a changed fragment
# or a new source package builds a new kernel and an unchanged one is
# reused at once.  Other debug-kernel-* builds are removed once a new one
# is complete.  Modules are built against the directory like against any
# kernel build tree (make -C DIR M=...).
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
version=${pkgver:-$kver}
hash=$( { echo "recipe $RECIPE"; cat "${FRAGMENTS[@]}"; } | sha256sum | cut -c1-12)
name=debug-kernel-$(echo "$version" | tr -c 'A-Za-z0-9._\n-' '_')-$hash
dir=$CACHE/$name
stamp=$dir/.iobmd-complete

report() {
	echo "DEBUG_KDIR=$dir"
	echo "DEBUG_KREL=$(cat "$dir/include/config/kernel.release")"
	echo "DEBUG_IMAGE=$dir/arch/x86/boot/bzImage"
}

if [ -f "$stamp" ] && [ -f "$dir/arch/x86/boot/bzImage" ]; then
	msg "reusing $dir"
	report
	exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/debug-kernel.lock"
flock 9
# Another run may have built it while this one waited.
if [ -f "$stamp" ] && [ -f "$dir/arch/x86/boot/bzImage" ]; then
	msg "reusing $dir"
	report
	exit 0
fi

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

mkdir -p "$dir"
log=$dir/build.log
t0=$(date +%s)
msg "building the debug kernel in $dir (about 6 minutes on 2 cores; log: $log)"
kmake() { make -C "$KSRC" O="$dir" "$@" >>"$log" 2>&1; }
: >"$log"
if ! kmake tinyconfig; then
	tail -n 30 "$log" >&2
	die "make tinyconfig failed (log: $log)"
fi
# merge_config.sh writes its temporary files into the current directory.
if ! (cd "$dir" && bash "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$dir" \
	"$dir/.config" "${FRAGMENTS[@]}") >>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	die "merging the config fragments failed (log: $log)"
fi
if ! kmake olddefconfig; then
	tail -n 30 "$log" >&2
	die "make olddefconfig failed (log: $log)"
fi
missing=$(missing_options "$dir/.config")
if [ -n "$missing" ]; then
	echo "$missing" | sed 's/^/    /' >&2
	die "$(echo "$missing" | wc -l) option(s) of selftests/config{,.debug} did not take effect (see above; $dir/.config)"
fi
msg "config: $(wanted_options | wc -l) fragment options hold"

if ! kmake -j"$(nproc)" all; then
	grep -E 'error|Error' "$log" | head -n 20 >&2 || true
	tail -n 20 "$log" >&2
	die "debug kernel build failed (log: $log)"
fi
for f in arch/x86/boot/bzImage Module.symvers include/config/kernel.release; do
	[ -f "$dir/$f" ] || die "the debug kernel build made no $f (log: $log)"
done
echo "built in $(elapsed "$t0") from $KSRC ($version), fragments $hash" >"$stamp"
msg "debug kernel $(cat "$dir/include/config/kernel.release") built in $(elapsed "$t0")"

# Older builds (another source version or fragment) are of no further use.
for old in "$CACHE"/debug-kernel-*/; do
	old=${old%/}
	[ "$old" = "$dir" ] || { msg "removing the outdated $old"; rm -rf "$old"; }
done
report

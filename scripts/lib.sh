# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers shared by iobmd's build and test scripts.  Source it; it sets
# ROOT (the repository) and BUILD (the build output directory, build/).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${IOBMD_BUILD:-$ROOT/build}
DEPS_ENV=${IOBMD_CACHE:-/var/cache/iobmd}/deps.env

# The files that make up the module's source, with the Makefile that builds
# it as a user does (make KDIR=<tree> modules): copied into each per-kernel
# build directory.
MODULE_SOURCES=(Makefile Kbuild VERSION driver include uapi)

# The dma-buf tests' importers (selftests/iobmd_dmabuf.h): vgem, and vivid
# as two instances with a video capture node only, the first allocating
# with vmalloc, the second dma-contig.  vm-run.sh options: DMABUF_KMODS
# loads them on Debian's kernels; the debug kernel has them built in and
# takes DMABUF_PARAMS alone, on its command line.
# shellcheck disable=SC2034 # for the scripts that source this file
DMABUF_PARAMS=(--module-param vivid.n_devs=2 --module-param 'vivid.node_types=0x1,0x1'
	--module-param 'vivid.allocators=0,1')
# shellcheck disable=SC2034
DMABUF_KMODS=(--kmod vgem --kmod vivid "${DMABUF_PARAMS[@]}")

# The kernels scripts/check.sh fetches rather than installs
# (scripts/fetch-kernel.sh; those built with a compiler Debian 12 lacks are
# built for in scripts/debian-chroot.sh's chroot): name -> "SERIES ARCH
# SUITE".  6.1 and 6.12 (amd64) are installed by scripts/install-deps.sh.
# shellcheck disable=SC2034
declare -A FETCHED_KERNELS=([7.2]="7.2 amd64 sid" [7.3]="7.3 amd64 trixie-backports"
	[6.12-arm64]="6.12 arm64 bookworm-backports" [7.3-arm64]="7.3 arm64 trixie-backports")
# What `make check` tests when KERNELS does not say: every kernel of the
# matrix, oldest first.
# shellcheck disable=SC2034
ALL_KERNELS="6.1 6.12 7.2 7.3 6.12-arm64 7.3-arm64"

msg() { echo "$(basename "$0"): $*" >&2; }
die() { msg "$*"; exit 1; }

# Runs scripts/install-deps.sh (quiet and quick when all is installed) and
# loads the kernel releases and source directory it resolved.
load_deps() {
	local log=$BUILD/install-deps.log
	mkdir -p "$BUILD"
	if ! bash "$ROOT/scripts/install-deps.sh" >"$log" 2>&1; then
		cat "$log" >&2
		die "scripts/install-deps.sh failed"
	fi
	# shellcheck disable=SC1090
	. "$DEPS_ENV"
	export KREL_61 KREL_612 KSRC
}

# Reads deps.env when an earlier install-deps run left one; never installs.
try_deps() {
	if [ -f "$DEPS_ENV" ]; then
		# shellcheck disable=SC1090
		. "$DEPS_ENV"
	fi
}

# Prints the Debian mirror apt's sources name (the first that is not a
# security archive), as scripts/install-deps.sh finds it; fails without one.
debian_mirror() {
	local uri
	uri=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
	      awk '/^URIs:/ && !/security/ {print $2; exit} /^deb / && !/security/ {for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) {print $i; exit}}' || true)
	[ -n "$uri" ] && echo "$uri"
}

# copy_module_sources DIR: a fresh copy of the module's sources in DIR.
copy_module_sources() {
	local dir=$1 f
	rm -rf "$dir"
	mkdir -p "$dir"
	for f in "${MODULE_SOURCES[@]}"; do
		[ -e "$ROOT/$f" ] && cp -a "$ROOT/$f" "$dir/"
	done
	[ -f "$dir/Kbuild" ] || die "no Kbuild in $ROOT"
	# Leave behind what an in-tree `make` built for another kernel.
	find "$dir" \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '*.a' -o -name 'modules.order' \) -delete
}

# copy_source_tree DIR: the repository's files as they are in the worktree
# now, tracked ones and new ones not ignored (so that build/ and anything
# untracked stays out; a tracked file deleted there stays out too), into
# DIR (made; it must not hold anything of them yet).
copy_source_tree() {
	local dir=$1
	mkdir -p "$dir"
	(
		cd "$ROOT"
		git ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do
				if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
			done | xargs -0 cp -a --parents -t "$dir"
	)
}

# Prints the lines of a kbuild log that are warnings or errors (compiler,
# sparse, modpost), or nothing.
build_warnings() {
	grep -E '(warning|error|WARNING|ERROR)[: ]' "$1" || true
}

# Prints a static link's log without glibc's notes on the name-service
# functions that libnl-3.a's address and protocol helpers call (nothing
# here uses those helpers, and the guest has no NSS anyway).
static_link_warnings() {
	grep -vE "warning: Using '(getaddrinfo|getprotobyname|getprotobynumber)' in statically linked applications" "$1" || true
}

# elapsed SECONDS_SINCE: "1m23s"
elapsed() {
	local s=$(( $(date +%s) - $1 ))
	printf '%dm%02ds' $((s / 60)) $((s % 60))
}

# The host's check of the file behind QEMU's NVMe (vm-run.sh --nvme) after
# a run of iobmd_vfio_nvme_test: NAME (the kernel) and the file.  Adds one
# to the caller's passed, or a failure to failed and failures.
count_nvme_file() {
	if python3 "$ROOT/scripts/nvme-pattern.py" check "$2"; then
		passed=$((passed + 1))
	else
		failures+=("$1: the NVMe file does not hold what the example wrote")
		failed=$((failed + 1))
	fi
}

# Adds a vm-run.sh --tap run to the caller's counts: NAME (the kernel),
# VMDIR, the runner's exit status RC and the time the run started; a
# fifth word says the run was vm-run.sh --bare, whose skips (each giving
# its reason) are no failure.  Uses
# and updates the caller's passed, failed, skipped and failures.  Returns 1
# when the run left no summary of its own (it did not complete; one older
# than the run's start is an earlier run's).
count_vm_run() {
	local name=$1 vmdir=$2 rc=$3 t=$4 allow_skip=${5:-} s_pass s_fail s_skip s_problems s_seconds
	if [ ! -f "$vmdir/summary" ] || [ "$(stat -c %Y "$vmdir/summary")" -lt "$t" ]; then
		failures+=("$name: VM run did not complete (status $rc)")
		failed=$((failed + 1))
		return 1
	fi
	# summary: pass=N fail=N skip=N problems=N seconds=N
	read -r s_pass s_fail s_skip s_problems s_seconds \
		< <(sed -E 's/[a-z]+=//g' "$vmdir/summary")
	passed=$((passed + s_pass)) failed=$((failed + s_fail))
	[ "$s_fail" = 0 ] || failures+=("$name: $s_fail test(s) not ok")
	if [ -n "$allow_skip" ]; then
		# vm-run.sh --bare: a skip that says why is no failure there.
		s_skip="$s_skip (allowed: each says why)"
	else
		skipped=$((skipped + s_skip))
		[ "$s_skip" = 0 ] || failures+=("$name: $s_skip test(s) skipped")
		# Each by name and reason: the end of the log, where the
		# summary is, may be all of it that a reader (CI) gets.
		local line
		while IFS= read -r line; do
			failures+=("$name: skipped $line")
		done < <([ "$s_skip" = 0 ] || cat "$vmdir/skips" 2>/dev/null)
	fi
	[ "$s_problems" = 0 ] || {
		failed=$((failed + s_problems))
		failures+=("$name: $s_problems problem(s) in the VM run (see above)")
	}
	if [ "$rc" != 0 ] && [ "$s_fail" = 0 ] && { [ "$s_skip" = 0 ] || [ -n "$allow_skip" ]; } &&
	   [ "$s_problems" = 0 ]; then
		failures+=("$name: VM run failed (status $rc)")
		failed=$((failed + 1))
	fi
	echo "--- $name: $s_pass passed, $s_fail failed, $s_skip skipped," \
		"$s_problems problem(s); module+VM $(elapsed "$t") (guest ${s_seconds}s)"
}

# kernel_tree KREL: where the kernel KREL lives.  Sets KT_IMAGE (its image),
# KT_KDIR (its headers' build tree) and KT_MODDIR (the root its
# lib/modules/KREL is under, for modprobe -d): the host's /boot and
# /lib/modules, or, for a kernel not installed here, the tree
# scripts/fetch-kernel.sh unpacked under the cache.
# shellcheck disable=SC2034 # for the scripts that source this file
kernel_tree() {
	local dir moddir
	KT_IMAGE=/boot/vmlinuz-$1 KT_KDIR=/lib/modules/$1/build KT_MODDIR=/
	[ -e "$KT_IMAGE" ] && return 0
	for dir in "${IOBMD_CACHE:-/var/cache/iobmd}"/kernels/*-"$1"; do
		[ -f "$dir/.iobmd-complete" ] || continue
		KT_IMAGE=$dir/root/$(cat "$dir/image")
		KT_KDIR=$dir/root/usr/src/linux-headers-$1
		# lib/modules/KREL or, with merged /usr, usr/lib/modules/KREL.
		moddir=$(cat "$dir/moddir")
		KT_MODDIR=$dir/root/${moddir%lib/modules/"$1"}
		return 0
	done
}

# host_arch: this machine's Debian architecture name (amd64, arm64).
host_arch() {
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	*) uname -m ;;
	esac
}

# kdir_arch KDIR: the architecture (amd64, arm64) a kernel build tree was
# configured for, from its .config; nothing when it says neither.
kdir_arch() {
	if grep -qs '^CONFIG_ARM64=y' "$1/.config"; then
		echo arm64
	elif grep -qs '^CONFIG_X86_64=y' "$1/.config"; then
		echo amd64
	fi
}

# image_arch IMAGE: arm64 for an arm64 boot Image (its "ARM\x64" magic at
# byte 56), amd64 for anything else (a bzImage).
image_arch() {
	if [ "$(od -An -c -j 56 -N 4 "$1" 2>/dev/null | tr -d ' ')" = ARMd ]; then
		echo arm64
	else
		echo amd64
	fi
}

# cross_prefix ARCH: the GNU toolchain prefix that builds for ARCH on this
# host (empty when ARCH is the host's).
cross_prefix() {
	if [ "$1" = "$(host_arch)" ]; then
		return 0
	fi
	case $1 in
	arm64) echo aarch64-linux-gnu- ;;
	amd64) echo x86_64-linux-gnu- ;;
	*) die "no cross toolchain known for $1" ;;
	esac
}

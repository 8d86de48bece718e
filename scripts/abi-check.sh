#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# abi-check.sh [--update]
#
# The ABI of the shared libraries, libiobmd.so.1 (the C core) and
# libiobmd++.so.1 (the IOKit C++ layer), against the release's dumps
# committed under userlib/abi/ (abidw and abidiff, Debian's abigail-tools).
# Builds the libraries (build/userlib) first, dumps each the way its
# committed dump was made (only the types of its installed headers), and
# compares:
#   - nothing changed, or only symbols were added (a new function under a
#     new version node of userlib/c/libiobmd.map, a new C++ function):
#     passes, naming what was added;
#   - anything else (a symbol removed, a function's type changed, a struct
#     or class that grew, moved or lost a member, a virtual added): fails,
#     with abidiff's report, unless the library's soname changed (a new
#     major version, which may break what it likes);
#   - a private member marked IOBMD_LOCAL that is exported all the same
#     fails.
# --update rewrites the dumps from what is built: at a release, or after a
# soname change, and commit userlib/abi/ with it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

update=
if [ "${1:-}" = --update ]; then
	update=1
	shift
fi
[ $# -eq 0 ] || die "usage: abi-check.sh [--update]"
if ! command -v abidw >/dev/null || ! command -v abidiff >/dev/null; then
	die "no abidw/abidiff (apt-get install abigail-tools, or run scripts/install-deps.sh as root)"
fi

O=$BUILD/userlib
out=$BUILD/abi
rm -rf "$out"
mkdir -p "$out"
bash "$ROOT/scripts/build-userlib.sh" all >"$out/build.log" 2>&1 ||
	{ cat "$out/build.log" >&2; die "the libraries do not build"; }

# The link name (whichever soname it leads to now), then the directories
# of the library's installed headers (its public types).
libs=(
	"libiobmd.so $ROOT/userlib/c/include/iobmd $O/include/iobmd"
	"libiobmd++.so $ROOT/userlib/include/iobmd"
)

# Dumps library $1 into $2 with the header directories that follow.
dump() {
	local lib=$1 file=$2 hd args=()
	shift 2
	for hd in "$@"; do
		args+=(--headers-dir "$hd")
	done
	# Paths left out, so that a dump made elsewhere compares the same.
	abidw --no-corpus-path --no-comp-dir-path --no-show-locs \
		--drop-private-types --drop-undefined-syms --type-id-style hash \
		"${args[@]}" --out-file "$file" "$lib"
}

# Members the library alone calls (IOBMD_LOCAL): never exported.
local_members=(
	"iobmd::IOBufferMemoryDescriptor::create("
	"iobmd::IOMemoryMap::set("
	"iobmd::IOMemoryDescriptor::setHandle("
	"iobmd::IOMemoryDescriptor::retained("
	"iobmd::IODMACommand::segmentOptions("
	"iobmd::IODMACommand::makeSegments("
	"iobmd::IODMACommand::mapSegments("
	"iobmd::IODMACommand::physicalSegments("
	"iobmd::IODMACommand::checkSegments("
	"iobmd::IODMACommand::undo("
	"iobmd::IOVFIOMapper::adopt("
	"iobmd::IOVFIOMapper::mapRange("
	"iobmd::IOVFIOMapper::unmapRange("
)

soname() {
	sed -n "s/.*<abi-corpus [^>]*soname='\([^']*\)'.*/\1/p" "$1" | head -n1
}

failed=
for entry in "${libs[@]}"; do
	read -r name headers <<<"$entry"
	base=${name%.so}
	committed=$ROOT/userlib/abi/$base.abi
	# shellcheck disable=SC2086 # the header directories are words
	dump "$(readlink -f "$O/$name")" "$out/$base.abi" $headers
	if [ -n "$update" ]; then
		mkdir -p "$ROOT/userlib/abi"
		cp "$out/$base.abi" "$committed"
		msg "$name: wrote userlib/abi/$base.abi"
		continue
	fi
	[ -f "$committed" ] || die "$name: no userlib/abi/$base.abi (make one with --update)"
	was=$(soname "$committed") now=$(soname "$out/$base.abi")
	if [ "$was" != "$now" ]; then
		msg "$name: soname $was -> $now: a new major version, its ABI is new (refresh the dump with --update)"
		continue
	fi
	# What was there must be unchanged; what is new is reported.
	rc=0
	abidiff --no-added-syms "$committed" "$out/$base.abi" >"$out/$base.diff" || rc=$?
	if [ "$rc" -ne 0 ]; then
		cat "$out/$base.diff" >&2
		msg "$name: the ABI changed incompatibly (abidiff rc $rc) and the soname is still $now"
		failed=1
		continue
	fi
	rc=0
	abidiff "$committed" "$out/$base.abi" >"$out/$base.added" || rc=$?
	if [ "$rc" -ne 0 ]; then
		grep -E "^  \[A\]|Added" "$out/$base.added" >&2 || true
		msg "$name: compatible: symbols added (abidiff rc $rc); the dump is refreshed at the next release (--update)"
	else
		msg "$name: ABI unchanged"
	fi
done
exported=$(nm -D --defined-only "$(readlink -f "$O/libiobmd++.so")" | c++filt)
for m in "${local_members[@]}"; do
	if grep -qF "$m" <<<"$exported"; then
		msg "libiobmd++.so exports $m, which is the library's own"
		failed=1
	fi
done
[ -z "$failed" ] || exit 1

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh [--checkpatch-only]
#
# 1. checkpatch.pl --strict --no-tree -f on driver/*.[ch], include/*.h and
#    uapi/*.h, ignoring only the SPDX_LICENSE_TAG, FILE_PATH_CHANGES and
#    LINUX_VERSION_CODE types; any error, warning or check fails.
# 2. sparse and W=1: the module built with `make C=2 W=1` against the 6.12
#    headers (in build/lint); any sparse or W=1 warning about our files
#    fails.  Skipped with --checkpatch-only.
#
# checkpatch.pl comes from the kernel source scripts/install-deps.sh
# unpacked ($KSRC); this runs install-deps first.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

checkpatch_only=
[ "${1:-}" = --checkpatch-only ] && checkpatch_only=1

load_deps
checkpatch=$KSRC/scripts/checkpatch.pl
[ -x "$checkpatch" ] || [ -f "$checkpatch" ] || die "no checkpatch.pl at $checkpatch"

cd "$ROOT"
shopt -s nullglob
# Headers the kernel's ynl-gen-c.py generates (scripts/ynl-check.sh) keep
# its layout: checkpatch without --strict's checks for them.
files=() ynl_files=()
for f in driver/*.[ch] include/*.h uapi/*.h; do
	if grep -q '^/\* YNL-GEN ' "$f"; then ynl_files+=("$f"); else files+=("$f"); fi
done
failed=

if [ ${#files[@]} -eq 0 ]; then
	msg "checkpatch: no files to check"
else
	log=$BUILD/checkpatch.log
	mkdir -p "$BUILD"
	rc=0
	perl "$checkpatch" --strict --no-tree --terse --show-types --color=never \
		--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES,LINUX_VERSION_CODE \
		-f "${files[@]}" >"$log" 2>&1 || rc=$?
	if [ ${#ynl_files[@]} -gt 0 ]; then
		perl "$checkpatch" --no-tree --terse --show-types --color=never \
			--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES,LINUX_VERSION_CODE \
			-f "${ynl_files[@]}" >>"$log" 2>&1 || rc=$?
	fi
	# --terse prints one line per finding and a "total:" line per file.
	findings=$(grep -vE '^[^:]+: total: 0 errors, 0 warnings, 0 checks' "$log" |
		grep -vE '^(NOTE|$)' || true)
	if [ "$rc" != 0 ] || [ -n "$findings" ]; then
		echo "$findings"
		msg "checkpatch: findings in ${#files[@]} file(s) (log: $log)"
		failed=1
	else
		msg "checkpatch: ${#files[@]} file(s) clean"
	fi
fi

if [ -z "$checkpatch_only" ]; then
	if bash "$ROOT/scripts/build-module.sh" --sparse "$KREL_612" "$BUILD/lint"; then
		msg "sparse and W=1 clean on $KREL_612"
	else
		failed=1
	fi
fi

[ -z "$failed" ]

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-deb.sh [OUTDIR]
#
# The Debian packages, from debian/ by `dpkg-buildpackage -us -uc` in a
# clean copy of the committed-or-not sources (git ls-files, so that build/
# and anything untracked stays out), into OUTDIR (default build/deb):
#   iobmd-dkms     the module's source under /usr/src/iobmd-<VERSION>/,
#                  built by DKMS for each kernel with headers
#   libiobmd1      libiobmd.so.1 and libiobmd++.so.1
#   libiobmd-dev   headers, .a, .so links, iobmd.pc, iobmd++.pc, CMake
#   iobmd-tools    iobmdctl, iobmd-demo, man pages, bash completion, the
#                  udev rule and the "iobmd" group
# with the source package (3.0 (native)) beside them, the libraries'
# exports checked against debian/libiobmd1.symbols (any difference fails).
# Then lintian on the .changes, source and binaries (any tag down to
# pedantic fails; IOBMD_LINTIAN=0 skips it).  Prints, as its last line:
#   DEBS=<directory>
set -euo pipefail
. "$(dirname "$0")/lib.sh"

outdir=${1:-$BUILD/deb}
for t in dpkg-buildpackage dh dh_dkms; do
	command -v "$t" >/dev/null ||
		die "no $t (apt-get install dpkg-dev debhelper dh-dkms, or run scripts/install-deps.sh as root)"
done
version=$(cat "$ROOT/VERSION")
t0=$(date +%s)
rm -rf "$outdir"
src=$outdir/iobmd-$version
mkdir -p "$src"
outdir=$(cd "$outdir" && pwd)
src=$outdir/iobmd-$version
copy_source_tree "$src"
[ -f "$src/debian/rules" ] || die "no debian/ copied into $src"
log=$outdir/build.log
# The source package too (lintian checks it), and the libraries' symbols
# exactly as debian/libiobmd1.symbols lists them: a symbol added or gone
# fails the build (scripts/update-symbols.sh rewrites the file).
if ! (cd "$src" && DPKG_GENSYMBOLS_CHECK_LEVEL=4 dpkg-buildpackage -us -uc -j"$(nproc)") \
	>"$log" 2>&1; then
	tail -n 40 "$log" >&2
	die "dpkg-buildpackage failed (log: $log)"
fi
rm -rf "$src"
changes=$(ls "$outdir"/iobmd_*.changes)
if [ "${IOBMD_LINTIAN:-1}" != 0 ]; then
	command -v lintian >/dev/null || die "no lintian (apt-get install lintian)"
	# Every tag down to pedantic, as sponsors and mentors.debian.net ask
	# of a new package (overrides, with their reasons, in debian/).
	if ! lintian --info --pedantic --fail-on error,warning,info,pedantic \
		"$changes" >"$outdir/lintian.log" 2>&1; then
		cat "$outdir/lintian.log" >&2
		die "lintian: tags (log: $outdir/lintian.log)"
	fi
fi
msg "built $(cd "$outdir" && echo *.deb) in $(elapsed "$t0")"
echo "DEBS=$outdir"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-docs.sh [OUTDIR]
#
# The HTML documentation from Documentation/ (reStructuredText, the
# kernel's formats) with Sphinx, into OUTDIR (default build/docs/html).
# The structs, ioctls and exported functions come from the kernel-doc
# comments of uapi/, include/ and driver/ through the kernel's own
# kernel-doc Sphinx extension and scripts/kernel-doc, taken from the
# kernel source scripts/install-deps.sh unpacked (KSRC in its deps.env;
# IOBMD_KSRC overrides).  Any Sphinx or kernel-doc warning fails the build
# (sphinx-build -W; kernel-doc with KDOC_WERROR, Documentation/conf.py).
# Needs python3-sphinx (and python3-sphinx-rtd-theme for the theme); never
# installs anything.  Not part of make check.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

outdir=${1:-$BUILD/docs/html}
command -v sphinx-build >/dev/null ||
	die "no sphinx-build (apt-get install python3-sphinx python3-sphinx-rtd-theme, or run scripts/install-deps.sh as root)"
if [ -z "${IOBMD_KSRC:-}" ]; then
	try_deps
	IOBMD_KSRC=${KSRC:-}
fi
if [ -z "$IOBMD_KSRC" ] || [ ! -f "$IOBMD_KSRC/Documentation/sphinx/kerneldoc.py" ] ||
   [ ! -x "$IOBMD_KSRC/scripts/kernel-doc" ]; then
	die "no kernel source with Documentation/sphinx/kerneldoc.py (run scripts/install-deps.sh as root, or set IOBMD_KSRC)"
fi
export IOBMD_KSRC
t0=$(date +%s)
rm -rf "$outdir"
# A fresh doctree each time, so that warnings of unchanged pages are seen
# again (-E) and the build fails on them every time, not only the first.
sphinx-build -q -W --keep-going -E -b html -d "$BUILD/docs/doctrees" \
	"$ROOT/Documentation" "$outdir"
msg "HTML in $outdir ($(($(date +%s) - t0)) s)"

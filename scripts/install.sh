#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# install.sh install|uninstall
#
# What `make install` adds to the libraries' install (build-userlib.sh
# install), for machines without the packages, under $DESTDIR$PREFIX
# (default /usr/local; SYSCONFDIR default /etc, UDEVDIR default
# /etc/udev/rules.d):
#   - the module: with DKMS (when `dkms` is there and DESTDIR is empty) its
#     source into /usr/src/iobmd-<VERSION>/ and `dkms install` for the
#     running kernel, so that kernel upgrades rebuild it; else, when the
#     running kernel's headers are there, `make modules_install`; else a
#     note;
#   - iobmdctl and iobmd-demo into $PREFIX/sbin and $PREFIX/bin (from
#     build/tools, built first), the man pages into $PREFIX/share/man, the
#     bash completion, the udev rule (60-iobmd.rules) and the system group
#     "iobmd" it names (groupadd, when DESTDIR is empty), and the
#     modules-load.d example as $PREFIX/share/doc/iobmd/iobmd.conf.
# uninstall removes what install put there (the group stays: files may be
# owned by it).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-}
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
UDEVDIR=${UDEVDIR:-/etc/udev/rules.d}
version=$(cat "$ROOT/VERSION")
d=$DESTDIR$PREFIX
srcdir=/usr/src/iobmd-$version
krel=$(uname -r)
files=("sbin/iobmdctl" "bin/iobmd-demo" "share/man/man8/iobmdctl.8"
	"share/man/man4/iobmd.4" "share/man/man1/iobmd-demo.1"
	"share/bash-completion/completions/iobmdctl" "share/doc/iobmd/iobmd.conf")

case $mode in
install)
	bash "$ROOT/scripts/build-tools.sh" "$BUILD/tools"
	install -D -m 755 "$BUILD/tools/iobmdctl" "$d/sbin/iobmdctl"
	install -D -m 755 "$BUILD/tools/iobmd_demo" "$d/bin/iobmd-demo"
	install -D -m 644 "$ROOT/man/iobmdctl.8" "$d/share/man/man8/iobmdctl.8"
	install -D -m 644 "$ROOT/man/iobmd.4" "$d/share/man/man4/iobmd.4"
	install -D -m 644 "$ROOT/man/iobmd-demo.1" "$d/share/man/man1/iobmd-demo.1"
	install -D -m 644 "$ROOT/tools/iobmdctl/iobmdctl.bash-completion" \
		"$d/share/bash-completion/completions/iobmdctl"
	install -D -m 644 "$ROOT/debian/modules-load.d/iobmd.conf" "$d/share/doc/iobmd/iobmd.conf"
	install -D -m 644 "$ROOT/scripts/60-iobmd.rules" "$DESTDIR$UDEVDIR/60-iobmd.rules"
	[ -n "$DESTDIR" ] || getent group iobmd >/dev/null || groupadd --system iobmd
	if [ -z "$DESTDIR" ] && command -v dkms >/dev/null; then
		rm -rf "$srcdir"
		mkdir -p "$srcdir"
		(cd "$ROOT" && cp -a "${MODULE_SOURCES[@]}" "$srcdir/")
		sed "s/#MODULE_VERSION#/$version/" "$ROOT/dkms.conf" >"$srcdir/dkms.conf"
		dkms install -m iobmd -v "$version" -k "$krel" ||
			msg "DKMS has iobmd $version; it did not build for $krel (no headers?)"
	elif [ -d "/lib/modules/$krel/build" ]; then
		make -C "$ROOT" modules modules_install ${DESTDIR:+INSTALL_MOD_PATH="$DESTDIR"}
	else
		msg "module not installed: no DKMS (or DESTDIR set) and no headers for $krel"
	fi
	;;
uninstall)
	for f in "${files[@]}"; do
		rm -f "$d/$f"
	done
	rmdir "$d/share/doc/iobmd" 2>/dev/null || true
	rm -f "$DESTDIR$UDEVDIR/60-iobmd.rules"
	if [ -z "$DESTDIR" ] && command -v dkms >/dev/null && [ -d "$srcdir" ]; then
		dkms remove -m iobmd -v "$version" --all || true
		rm -rf "$srcdir"
	fi
	;;
*) die "usage: install.sh install|uninstall" ;;
esac

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
#     source into /usr/src/iobmd-<VERSION>/, `dkms add`, and `dkms install`
#     for each kernel release of KVER (default the running kernel's), so
#     that kernel upgrades rebuild it; else, for each of KVER with headers,
#     `make modules_install` (into /lib/modules/<release>/updates); else a
#     note;
#   - iobmdctl and iobmd-demo into $PREFIX/sbin and $PREFIX/bin (from
#     build/tools, built first), the man pages into $PREFIX/share/man, the
#     bash completion, the udev rule (60-iobmd.rules) and the system group
#     "iobmd" it names (groupadd, when DESTDIR is empty), and the
#     modules-load.d example as $PREFIX/share/doc/iobmd/iobmd.conf.
# uninstall removes what install put there: the module from DKMS (every
# kernel) or from /lib/modules/<release>/updates for each of KVER, and the
# group when nobody is in it (as the Debian package's purge does).
# KVER is a space-separated list of kernel releases; with DKMS and KVER set,
# a build that fails is an error (without KVER, a note: the running kernel
# may have no headers).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-}
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
UDEVDIR=${UDEVDIR:-/etc/udev/rules.d}
version=$(cat "$ROOT/VERSION")
d=$DESTDIR$PREFIX
srcdir=/usr/src/iobmd-$version
kvers=${KVER:-$(uname -r)}
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
		if dkms status -m iobmd -v "$version" 2>/dev/null | grep -q .; then
			dkms remove -m iobmd -v "$version" --all >/dev/null
		fi
		rm -rf "$srcdir"
		mkdir -p "$srcdir"
		(cd "$ROOT" && cp -a "${MODULE_SOURCES[@]}" "$srcdir/")
		sed "s/#MODULE_VERSION#/$version/" "$ROOT/dkms.conf" >"$srcdir/dkms.conf"
		dkms add -m iobmd -v "$version"
		for krel in $kvers; do
			if dkms install -m iobmd -v "$version" -k "$krel"; then
				continue
			fi
			[ -z "${KVER:-}" ] || die "DKMS could not build iobmd $version for $krel"
			msg "DKMS has iobmd $version; it did not build for $krel (no headers?)"
		done
	else
		for krel in $kvers; do
			if [ -d "/lib/modules/$krel/build" ]; then
				make -C "$ROOT" KDIR="/lib/modules/$krel/build" INSTALL_MOD_DIR=updates \
					modules modules_install ${DESTDIR:+INSTALL_MOD_PATH="$DESTDIR"}
			else
				msg "module not installed for $krel: no DKMS (or DESTDIR set) and no headers"
			fi
		done
	fi
	;;
uninstall)
	for f in "${files[@]}"; do
		rm -f "$d/$f"
	done
	# The directories install made when they are empty now (those of a
	# fresh /usr/local, share/man and the rest, stay).
	for f in share/doc/iobmd share/doc share/man/man1 share/man/man4 share/man/man8 \
		share/bash-completion/completions share/bash-completion; do
		rmdir "$d/$f" 2>/dev/null || true
	done
	rm -f "$DESTDIR$UDEVDIR/60-iobmd.rules"
	if [ -z "$DESTDIR" ] && command -v dkms >/dev/null && [ -d "$srcdir" ]; then
		if dkms status -m iobmd -v "$version" 2>/dev/null | grep -q .; then
			dkms remove -m iobmd -v "$version" --all
		fi
		rm -rf "$srcdir"
	else
		for krel in $kvers; do
			m=$DESTDIR/lib/modules/$krel/updates
			if compgen -G "$m/iobmd.ko*" >/dev/null; then
				rm -f "$m"/iobmd.ko*
				rmdir "$m" 2>/dev/null || true
				[ -n "$DESTDIR" ] || depmod "$krel"
			fi
		done
	fi
	# The group, unless someone was put in it.
	if [ -z "$DESTDIR" ] && g=$(getent group iobmd) && [ -z "${g##*:}" ]; then
		groupdel iobmd
	fi
	;;
*) die "usage: install.sh install|uninstall" ;;
esac

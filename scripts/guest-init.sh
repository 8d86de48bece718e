#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the iobmd test VM.  scripts/vm-run.sh copies this file into the
# initramfs beside busybox, iobmd.ko, the programs to run and
# /etc/iobmd-run.conf, which sets:
#   IOBMD_PROGS         programs to run, in order (paths in the initramfs)
#   IOBMD_INSMOD_ARGS   module parameters for insmod
#   IOBMD_KMODS         the kernel's own modules to load first, in order
#                       (a module's parameters, if any, in NAME.params
#                       beside its NAME.ko)
#   IOBMD_PROG_TIMEOUT  seconds each program may run before it is killed
#   IOBMD_GCOV          non-empty: copy the module's gcov counters out
#                       before rmmod (vm-run.sh --gcov, for make coverage)
#
# Everything the host parses goes to the second serial port (ttyS1; on
# arm64 the virtio console the kernel command line names as
# iobmd_results=/dev/hvc0, which reaches /init as an environment variable) as
# lines starting with "@@IOBMD@@"; the console (ttyS0) gets the kernel's
# messages and a live copy of the programs' output.  Markers, in order:
#   begin <kernel release>
#   kmod <path> rc=N   (one per IOBMD_KMODS entry)
#   insmod rc=N
#   devnode mode=<ls-style mode>|missing
#   run-begin NAME ... (the program's output) ... run-end NAME rc=N
#   dma-api NAME disabled=Y|N errors=N   (after each program, on kernels
#                             with DMA-API debugging)
#   held <what the module still holds: "name value" pairs from debugfs>
#   gcov-begin ... gcov-end   (with IOBMD_GCOV: base64 of a .tar.gz of
#                             every .gcda under /sys/kernel/debug/gcov)
#   rmmod rc=N
#   dmesg-begin ... dmesg-end
#   kmemleak-begin ... kmemleak-end   (only on kernels with kmemleak)
#   done

export PATH=/bin
/bin/busybox --install -s /bin

mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp

. /etc/iobmd-run.conf

RESULTS=${iobmd_results:-/dev/ttyS1}
[ -c "$RESULTS" ] || RESULTS=/dev/console
# Open once, for the whole run, as fd 3: each close of a serial port waits
# at most its closing_wait (30 s) for what is still queued and then throws
# the rest away, which a loaded emulator can take long enough to do.  With
# the port open, a write waits for room instead; only the last close waits.
exec 3>"$RESULTS"

mark() {
	echo "@@IOBMD@@ $*"
	echo "@@IOBMD@@ $*" >&3
}

finish() {
	sync
	if [ -d /sys/firmware/acpi ]; then
		poweroff -f
	fi
	# Kernels without ACPI cannot power off; QEMU runs with -no-reboot.
	reboot -f
}

# Copies the .gcda files out of debugfs (whose sizes read as 0, so cat
# rather than tar them there) and sends them as base64 on the marker channel.
gcov_copy() {
	src=/sys/kernel/debug/gcov
	rm -rf /tmp/gcov
	mkdir -p /tmp/gcov
	find "$src" -name '*.gcda' | while read -r f; do
		d=/tmp/gcov/${f#"$src"/}
		mkdir -p "${d%/*}"
		cat "$f" >"$d"
	done
	mark "gcov-begin"
	tar -C /tmp/gcov -cf - . | gzip | base64 >&3
	mark "gcov-end"
}

mark "begin $(uname -r)"

for m in $IOBMD_KMODS; do
	# shellcheck disable=SC2046 # one word per module parameter
	insmod "$m" $(cat "${m%.ko}.params" 2>/dev/null)
	mark "kmod $m rc=$?"
done

# shellcheck disable=SC2086 # one word per module parameter
insmod /lib/modules/iobmd.ko $IOBMD_INSMOD_ARGS
rc=$?
mark "insmod rc=$rc"

if [ "$rc" = 0 ]; then
	if [ -c /dev/iobmd ]; then
		mark "devnode mode=$(stat -c %A /dev/iobmd)"
	else
		mark "devnode mode=missing"
	fi

	for prog in $IOBMD_PROGS; do
		name=${prog##*/}
		mark "run-begin $name"
		cd /tmp || exit 1
		{
			timeout -s KILL "$IOBMD_PROG_TIMEOUT" "$prog" </dev/null 3>&-
			echo $? >/tmp/rc
		} 2>&1 | tee /tmp/out
		cat /tmp/out >&3
		# A last line without a newline would swallow the next marker.
		[ -n "$(tail -c 1 /tmp/out)" ] && echo >&3
		mark "run-end $name rc=$(cat /tmp/rc)"
		# DMA-API debugging turns itself off when it runs out of memory.
		dma=/sys/kernel/debug/dma-api
		[ ! -r "$dma/disabled" ] ||
			mark "dma-api $name disabled=$(cat "$dma/disabled") errors=$(cat "$dma/error_count")"
	done

	# Every program has exited: the module must hold nothing any more.
	stats=/sys/kernel/debug/iobmd/stats
	if [ -r "$stats" ]; then
		mark "held $(grep -v '^alloc_failures ' "$stats" | tr '\n' ' ')"
	else
		mark "held unreadable"
	fi

	# The counters exist only while the module is loaded.
	[ -n "${IOBMD_GCOV:-}" ] && gcov_copy

	rmmod iobmd
	mark "rmmod rc=$?"
fi

mark "dmesg-begin"
dmesg >&3
mark "dmesg-end"

if [ -e /sys/kernel/debug/kmemleak ]; then
	# kmemleak reports only objects older than 5 s, after two scans.
	echo scan >/sys/kernel/debug/kmemleak
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	mark "kmemleak-begin"
	cat /sys/kernel/debug/kmemleak >&3
	mark "kmemleak-end"
fi

mark "done"
# The last close: it waits for what is queued (a page at most).
exec 3>&-
finish

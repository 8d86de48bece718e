#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-run.sh [options] KREL MODULE [PROGRAM...]
#
# Boots /boot/vmlinuz-KREL in QEMU (TCG) from an initramfs holding busybox,
# MODULE (installed as iobmd.ko), the PROGRAMs and scripts/guest-init.sh
# as /init.  The guest loads the module, checks /dev/iobmd, runs each
# program as root in order, unloads the module, dumps dmesg and powers off.
#
# Options:
#   --out DIR            where the logs go (default build/KREL/vm)
#   --tap                the programs are kselftests: each must print a TAP
#                        plan, and its results are counted
#   --kselftest DIR      DIR is an installed kselftest tree (make install:
#                        run_kselftest.sh, kselftest-list.txt), copied to the
#                        guest's /kselftest; a PROGRAM named COLLECTION:TEST,
#                        as kselftest-list.txt names it, runs there through
#                        the kernel's runner (run_kselftest.sh -t
#                        COLLECTION:TEST), whose result line must say "ok"
#                        (with --tap, the program's own TAP, which the
#                        runner indents by "# ", is counted as above);
#                        a PROGRAM named COLLECTION (no test) runs the
#                        whole collection (run_kselftest.sh -c COLLECTION,
#                        what `make -C selftests run_tests` runs), each of
#                        whose result lines must say "ok"
#   --bare               a machine as a user's: none of the test VM's extra
#                        devices (edu, ivshmem, NVMe), no in-kernel API test
#                        modules, no IOBMD_TEST_LOCKDOWN; a skipped test is
#                        then no failure if it says why (a TAP "# SKIP"
#                        with a reason), and the skips are listed
#   --timeout SECS       QEMU's time limit (default $IOBMD_VM_TIMEOUT or 900)
#   --prog-timeout SECS  each program's time limit (default 300)
#   --insmod-args ARGS   module parameters
#   --expect-mode MODE   /dev/iobmd's mode as ls shows it (default crw-------)
#   --bin FILE           also install FILE as /bin/NAME (repeatable), for
#                        programs the tests run (iobmdctl)
#   --add-tree DIR       copy DIR's contents into the initramfs root (files
#                        the programs use: the benchmark and perf)
#   --kernel IMAGE       boot IMAGE rather than /boot/vmlinuz-KREL (the debug
#                        kernel); KREL then only names the run
#   --env NAME=VALUE     export NAME=VALUE to the programs (repeatable), e.g.
#                        IOBMD_STRESS_SECONDS=30
#   --kmod NAME          load the kernel's module NAME and what it depends on
#                        (repeatable; from /lib/modules/KREL, as modprobe
#                        resolves it) before iobmd.ko, e.g. vfio-pci
#   --moddir DIR         the kernel's modules for --kmod are in DIR (its
#                        lib/modules/KREL, with modules.dep) rather than
#                        /lib/modules/KREL: a kernel scripts/fetch-kernel.sh
#                        unpacked (MODDIR=), booted with --kernel
#   --module-param MOD.NAME=VALUE
#                        a parameter of the kernel's module MOD (repeatable):
#                        given to insmod when --kmod loads MOD, else put on
#                        the kernel command line (for MOD built in), e.g.
#                        vivid.allocators=0,1
#   --cmdline ARG        add ARG to the kernel command line (repeatable),
#                        e.g. cma=64M@0-4G
#   --icount             QEMU counts instructions (-icount shift=0,sleep=off):
#                        the guest's clocks then advance one nanosecond per
#                        instruction it runs, so a time the guest measures
#                        is an instruction count, which the host's load
#                        does not change (two vCPUs and the devices still
#                        vary it by a few instructions); the programs'
#                        time limits then count instructions too
#                        (single-threaded TCG only)
#   --iommu              a q35 machine with QEMU's intel-iommu, on in strict
#                        mode in the guest (intel_iommu=on iommu.strict=1):
#                        devices' DMA addresses are then IOVAs
#   --nvme FILE          add QEMU's NVMe controller (1b36:0010, serial
#                        iobmd-nvme) whose namespace 1 is FILE, a raw image
#                        written in place; no guest driver binds it unless
#                        a program does (the debug kernel has no NVMe driver)
#   --gcov               copy the module's gcov counters out before rmmod
#                        (a module built with GCOV_PROFILE on a kernel with
#                        CONFIG_GCOV_KERNEL): into DIR/gcov/, as the guest's
#                        /sys/kernel/debug/gcov tree holds them
#
# The programs get IOBMD_TEST_LOCKDOWN=1 (not with --bare):
# iobmd_security_lockdown_test raises lockdown (only a reboot lowers it)
# only when told.
#
# Prints each program's output under a "## NAME (exit N)" line, then any
# problem found.  Writes DIR/console.log (the guest console), DIR/results.log
# (the marker channel), DIR/dmesg.log, DIR/progs/NAME.{out,rc},
# DIR/problems (one a line) and DIR/summary ("pass=N fail=N skip=N
# problems=N seconds=N": TAP results with --tap, problems found, seconds
# the guest ran).
#
# The guest has an ivshmem-plain PCI device (1af4:1110) whose 1 MiB BAR2 is
# the host file DIR/ivshmem.bin, zeroed before boot: a program that writes
# a pattern into it prints "@@IOBMD@@ ivshmem offset=N pattern=P", and the
# run fails unless the file holds P at N once the guest is gone.
#
# A KREL not installed on this host is the tree that scripts/fetch-kernel.sh
# unpacked under the cache (image, modules for --kmod).  An arm64 image (or --kernel IMAGE) boots in qemu-system-aarch64
# -machine virt,gic-version=3 -cpu max (pauth-impdef=on: the same
# architecture, with a pointer-authentication hash TCG computes quickly),
# multi-threaded TCG, 6 GiB of RAM from 1 GiB to 7 GiB physical (below and
# above 4 GiB, as on amd64), busybox from busybox-static:arm64 (unpacked by
# install-deps.sh), the console on the PL011 (ttyAMA0) and the marker
# channel on a virtio console (hvc0).  The same edu, ivshmem and NVMe PCI
# devices; --iommu there is QEMU's SMMUv3 (-machine virt,iommu=smmuv3,
# iommu.strict=1 iommu.passthrough=0 in the guest).
#
# Exits 0 only when the guest ran to the end, insmod and rmmod succeeded,
# the device node had the expected mode, every program exited 0 (and with
# --tap printed a plan that its results match, none "not ok" or skipped),
# and the kernel logged no WARNING, BUG, Oops, KASAN, lockdep, kmemleak or
# Call Trace.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out='' kernel='' tap='' gcov='' vm_timeout=${IOBMD_VM_TIMEOUT:-900} prog_timeout=300 insmod_args=''
expect_mode=crw-------
bins=() add_tree= envs=() kmods=() modparams=() extra_cmdline=() icount=()
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--tap) tap=1; shift ;;
	--kselftest) ksft=$2; shift 2 ;;
	--timeout) vm_timeout=$2; shift 2 ;;
	--prog-timeout) prog_timeout=$2; shift 2 ;;
	--insmod-args) insmod_args=$2; shift 2 ;;
	--expect-mode) expect_mode=$2; shift 2 ;;
	--bin) bins+=("$2"); shift 2 ;;
	--add-tree) add_tree=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--gcov) gcov=1; shift ;;
	--bare) bare=1; shift ;;
	--iommu) iommu=1; shift ;;
	--icount) icount=(-icount shift=0,sleep=off); shift ;;
	--cmdline)
		[[ $2 =~ ^[A-Za-z0-9_.-]+(=[A-Za-z0-9_.,@:-]*)?$ ]] || die "--cmdline wants NAME[=VALUE], not '$2'"
		extra_cmdline+=("$2"); shift 2 ;;
	--kmod) kmods+=("$2"); shift 2 ;;
	--moddir) moddir=$2; shift 2 ;;
	--module-param)
		[[ $2 =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_]+= ]] || die "--module-param wants MOD.NAME=VALUE, not '$2'"
		modparams+=("$2"); shift 2 ;;
	--nvme) nvme=$2; shift 2 ;;
	--env)
		[[ $2 =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--env wants NAME=VALUE, not '$2'"
		envs+=("$2"); shift 2 ;;
	--) shift; break ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || die "usage: $0 [options] KREL MODULE [PROGRAM...]"
krel=$1 module=$2
shift 2
[[ -n $krel && $krel != */* ]] || die "KREL '$krel' is no kernel release"
out=${out:-$BUILD/$krel/vm}
# An earlier run's logs go first: a run that stops below leaves no summary
# or results for a caller to take for its own.
rm -rf -- "$out"
kernel_tree "$krel"
kernel=${kernel:-$KT_IMAGE}
[ -r "$kernel" ] || die "no kernel image $kernel"
varch=$(image_arch "$kernel")
busybox=/bin/busybox
modprobe_root=()
[ "$KT_MODDIR" = / ] || modprobe_root=(-d "$KT_MODDIR")
if [ "$varch" = arm64 ]; then
	busybox=${IOBMD_CACHE:-/var/cache/iobmd}/arm64-guest/bin/busybox
	[ -x "$busybox" ] || die "no arm64 busybox at $busybox (run scripts/install-deps.sh as root)"
fi
[ -f "$module" ] || die "no module $module"

mkdir -p "$out/progs"
out=$(cd "$out" && pwd)

# --- initramfs ---------------------------------------------------------
stage=$out/initramfs
mkdir -p "$stage"/{bin,dev,etc,lib/modules,proc,sys,tmp,progs}
cp "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
cp "$ROOT/scripts/guest-init.sh" "$stage/init"
chmod 755 "$stage/init"
cp "$module" "$stage/lib/modules/iobmd.ko"
[ -z "$add_tree" ] || cp -a "$add_tree/." "$stage/"
for b in "${bins[@]}"; do
	[ -x "$b" ] || die "not an executable: $b"
	cp "$b" "$stage/bin/"
done
# The kernel's own modules --kmod asked for, with their dependencies, in
# the order modprobe loads them, decompressed (busybox insmod reads
# plain .ko files).
kmod_list=()
modprobe_base=()
if [ -n "${moddir:-}" ] && [ ${#kmods[@]} -gt 0 ]; then
	[ -f "$moddir/modules.dep" ] || die "--moddir $moddir: no modules.dep there"
	# modprobe -d wants BASE/lib/modules/KREL.
	mkdir -p "$out/modbase/lib/modules"
	ln -s "$(cd "$moddir" && pwd)" "$out/modbase/lib/modules/$krel"
	modprobe_base=(-d "$out/modbase")
fi
# Else the kernel's own tree (an arm64 kernel's is under the cache).
[ ${#modprobe_base[@]} -gt 0 ] || modprobe_base=("${modprobe_root[@]}")
for m in "${kmods[@]}"; do
	deps=$(modprobe "${modprobe_base[@]}" --show-depends -S "$krel" "$m" 2>/dev/null) ||
		die "--kmod $m: modprobe cannot resolve it for $krel"
	while read -r word path _; do
		[ "$word" = insmod ] || continue
		name=$(basename "$path")
		name=${name%.xz}
		name=${name%.zst}
		[ -e "$stage/lib/modules/kmod/$name" ] && continue
		mkdir -p "$stage/lib/modules/kmod"
		case $path in
		*.xz) xz -dc "$path" >"$stage/lib/modules/kmod/$name" ;;
		*.zst) zstd -qdc "$path" >"$stage/lib/modules/kmod/$name" ;;
		*) cp "$path" "$stage/lib/modules/kmod/$name" ;;
		esac
		kmod_list+=("/lib/modules/kmod/$name")
	done <<<"$deps"
done
# --module-param: MOD's parameters beside MOD.ko as MOD.params when --kmod
# loads it (guest-init.sh hands them to insmod), else on the command line.
cmdline_params=()
for p in "${modparams[@]}"; do
	mod=${p%%.*} ko=
	for k in "${kmod_list[@]}"; do
		n=$(basename "$k" .ko)
		[ "${n//-/_}" = "${mod//-/_}" ] && ko=$k
	done
	if [ -n "$ko" ]; then
		printf '%s ' "${p#*.}" >>"$stage${ko%.ko}.params"
	else
		cmdline_params+=("$p")
	fi
done

# The in-kernel API's test modules (iobmd_kapi.ko, the edu driver), built
# beside iobmd.ko (build-module.sh).
for k in "$(dirname "$module")"/kapi/*.ko; do
	[ -f "$k" ] && [ -z "${bare:-}" ] && cp "$k" "$stage/lib/modules/"
done
progs=()
if [ -n "${ksft:-}" ]; then
	if [ ! -x "$ksft/run_kselftest.sh" ] || [ ! -f "$ksft/kselftest-list.txt" ]; then
		die "--kselftest $ksft: no run_kselftest.sh and kselftest-list.txt there"
	fi
	mkdir -p "$stage/kselftest"
	cp -a "$ksft/." "$stage/kselftest/"
	# Of the tests, only those asked for (the list still names all).
	while read -r t; do
		case " $* " in
		*" $t "* | *" ${t%%:*} "*) ;;
		*) rm -f "$stage/kselftest/${t%%:*}/${t#*:}" ;;
		esac
	done <"$ksft/kselftest-list.txt"
fi
for p in "$@"; do
	if [ -n "${ksft:-}" ] && [[ $p == *:* ]]; then
		grep -qxF "$p" "$ksft/kselftest-list.txt" || die "$p: not in $ksft/kselftest-list.txt"
		# The program is the runner, asked for this one test.  It
		# writes to /dev/stdout, which udev would have made.
		printf '#!/bin/sh\n[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout\nexec /kselftest/run_kselftest.sh -t %s\n' \
			"$p" >"$stage/progs/${p##*:}"
		chmod 755 "$stage/progs/${p##*:}"
		progs+=("/progs/${p##*:}")
		continue
	fi
	if [ -n "${ksft:-}" ] && [ ! -e "$p" ] && grep -q "^$p:" "$ksft/kselftest-list.txt"; then
		# A collection: the runner runs each of its tests in turn.
		printf '#!/bin/sh\n[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout\nexec /kselftest/run_kselftest.sh -c %s\n' \
			"$p" >"$stage/progs/${p##*/}"
		chmod 755 "$stage/progs/${p##*/}"
		progs+=("/progs/${p##*/}")
		continue
	fi
	[ -x "$p" ] || die "not an executable: $p"
	cp "$p" "$stage/progs/"
	progs+=("/progs/$(basename "$p")")
done
{
	printf 'IOBMD_PROGS=%q\n' "${progs[*]}"
	printf 'IOBMD_INSMOD_ARGS=%q\n' "$insmod_args"
	printf 'IOBMD_KMODS=%q\n' "${kmod_list[*]}"
	printf 'IOBMD_PROG_TIMEOUT=%q\n' "$prog_timeout"
	printf 'IOBMD_GCOV=%q\n' "$gcov"
	# The guest is thrown away: iobmd_security_lockdown_test may raise
	# lockdown, which only a reboot lowers.
	[ -n "${bare:-}" ] || printf 'export IOBMD_TEST_LOCKDOWN=1\n'
	# guest-init.sh sources this file: exported names reach the programs.
	for e in "${envs[@]}"; do
		printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"
	done
} >"$stage/etc/iobmd-run.conf"
# The kernel opens /dev/console for /init before devtmpfs is mounted.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$out/initramfs.cpio.gz"
rm -rf "$stage" "$out/modbase"

# --- boot ----------------------------------------------------------------
# TCG, because KVM is not available everywhere this runs.  Single-threaded
# TCG by default: with one host thread per vCPU, QEMU 7.2 now and then lets
# a vCPU run code another vCPU is patching (an "Oops: int3" at boot, about
# one boot in 50); IOBMD_QEMU_ACCEL=tcg turns multi-threading back on.
# IOBMD_QEMU_CPU replaces -cpu max (the benchmark's --cpu).
#
# A guest that dies before it starts /init has not run anything of iobmd:
# QEMU 7.2's TCG now and then corrupts early boot (a double fault in the
# slab allocator, seen in about one 6.12 boot in 200 here).  That boot is kept as
# console.boot1.log and the guest boots once more; a second such death
# is reported like any other.
ivshmem=$out/ivshmem.bin
# QEMU's edu device (a DMA engine, 1234:11e8) is always there; with
# --iommu, behind the Intel IOMMU, which must come before the devices.
#
# On the default (pc) machine, PCI interrupts are routed from the PIRQ
# table (acpi=noirq): ACPI's _PRT is interpreted AML, which on the debug
# kernel (KASAN, kmemleak, TCG) holds a CPU for over 20 s when a driver
# enables a device, and the soft-lockup detector says so.
machine=(-device edu)
[ -z "${bare:-}" ] || machine=()
# no_timer_check: the kernel's early check that the timer interrupt
# arrives through the IO-APIC counts loop iterations, which an emulated
# CPU on a loaded host can run too fast for; with interrupt remapping on
# a failed check panics ("timer doesn't work through Interrupt-remapped
# IO-APIC", seen once on 6.1 with the host's two cores shared four ways).
# nokaslr: the kernel's image at its fixed physical place, in the first
# GiB.  A guest running the suite keeps one 1 GiB-aligned GiB of RAM free
# of unmovable pages, 1-2 GiB (the kernel's own allocations spread through
# the RAM above 4 GiB); placed at random, the image lands in it in about
# one boot in eight (3 of 24 seen), and the tests that need such a GiB
# (iobmd_pfnmap_huge_test) then find none.
append="console=ttyS0 panic=-1 printk.time=1 loglevel=7 rdinit=/init no_timer_check nokaslr"
# 6.1 has memfd_secret() off unless told, and a test needs a secret page
# (later kernels, arm64's among them, have it on).
append="$append secretmem.enable=1"
# Interrupt remapping on: VFIO's Type1 backend (and iommufd) refuse a
# device whose MSIs the IOMMU does not isolate (VFIO_SET_IOMMU: EPERM,
# "No interrupt remapping support").
if [ "${iommu:-0}" = 1 ]; then
	machine=(-machine q35 -device intel-iommu,intremap=on)
	[ -n "${bare:-}" ] || machine+=(-device edu)
	append="$append intel_iommu=on iommu.strict=1"
else
	append="$append acpi=noirq"
fi
qemu=qemu-system-x86_64 accel=tcg,thread=single cpu=max
serial=(-serial "file:$out/console.log" -serial "file:$out/results.log")
if [ "$varch" = arm64 ]; then
	# virt has one PL011: the marker channel is a virtio console.  The
	# edu's MSIs go through the GICv3's ITS, which isolates them (VFIO
	# needs that behind the SMMU).
	qemu=qemu-system-aarch64 accel=tcg cpu=max,pauth-impdef=on
	serial=(-serial "file:$out/console.log" -device virtio-serial-pci
		-chardev "file,id=iobmdres,path=$out/results.log"
		-device virtconsole,chardev=iobmdres)
	mach=virt,gic-version=3
	append="console=ttyAMA0 panic=-1 printk.time=1 loglevel=7 rdinit=/init iobmd_results=/dev/hvc0"
	if [ "${iommu:-0}" = 1 ]; then
		mach=$mach,iommu=smmuv3
		append="$append iommu.strict=1 iommu.passthrough=0"
	fi
	# No RAM below 1 GiB on virt: the edu reaches 32 bits, not 28.
	machine=(-machine "$mach")
	[ -n "${bare:-}" ] || machine+=(-device edu,dma_mask=0xffffffff)
fi
[ -z "${bare:-}" ] || [ -z "${nvme:-}" ] || die "--bare has no NVMe controller"
if [ -n "${nvme:-}" ]; then
	[ -f "$nvme" ] && [[ $nvme != *,* ]] || die "--nvme: no such file, or a comma in its name: $nvme"
	machine+=(-drive "file=$nvme,if=none,id=iobmdnvme,format=raw"
		-device nvme,serial=iobmd-nvme,drive=iobmdnvme)
fi
[ ${#cmdline_params[@]} -eq 0 ] || append="$append ${cmdline_params[*]}"
[ ${#extra_cmdline[@]} -eq 0 ] || append="$append ${extra_cmdline[*]}"
shm=(-object "memory-backend-file,id=iobmdshm,size=1M,share=on,mem-path=$ivshmem"
	-device ivshmem-plain,memdev=iobmdshm)
[ -z "${bare:-}" ] || shm=()
start=$(date +%s)
for boot in 1 2; do
	head -c 1M /dev/zero >"$ivshmem"
	qrc=0
	timeout -k 10 "$vm_timeout" "$qemu" \
		-accel "${IOBMD_QEMU_ACCEL:-$accel}" "${icount[@]}" -cpu "${IOBMD_QEMU_CPU:-$cpu}" -m 6G -smp 2 \
		-nographic -no-reboot -monitor none \
		"${serial[@]}" \
		"${machine[@]}" \
		"${shm[@]}" \
		-kernel "$kernel" -initrd "$out/initramfs.cpio.gz" \
		-append "$append" \
		</dev/null >"$out/qemu.log" 2>&1 || qrc=$?
	if [ "$boot" = 1 ] && ! grep -q '^@@IOBMD@@ begin' "$out/results.log" 2>/dev/null &&
	   grep -qE 'Kernel panic|double fault' "$out/console.log" 2>/dev/null; then
		mv "$out/console.log" "$out/console.boot1.log"
		msg "the guest died before /init, before iobmd was loaded ($(grep -m1 -oE 'Kernel panic.*|Oops.*' "$out/console.boot1.log" | tr -d '\r'); $out/console.boot1.log): booting again"
		continue
	fi
	break
done
secs=$(( $(date +%s) - start ))

# --- parse -------------------------------------------------------------
problems=$out/problems
: >"$problems"
problem() { echo "$*" >>"$problems"; }

[ "$qrc" = 0 ] || {
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		problem "QEMU timed out after ${vm_timeout}s"
	else
		problem "QEMU exited with status $qrc: $(tail -n 3 "$out/qemu.log" | tr '\n' ' ')"
	fi
}

tr -d '\r' <"$out/results.log" >"$out/results.txt" 2>/dev/null || : >"$out/results.txt"
tr -d '\r' <"$out/console.log" >"$out/console.txt" 2>/dev/null || : >"$out/console.txt"

# Splits the marker channel: program output into progs/NAME.out and .rc,
# dmesg and kmemleak into their files, the rest into markers.txt (with
# --kselftest, also the programs' markers the runner indented by "# ").
awk -v dir="$out" -v ksft="${ksft:+1}" '
	/^@@IOBMD@@ run-begin / { name = $3; file = dir "/progs/" name ".out";
		printf "" > file; print > (dir "/markers.txt"); next }
	/^@@IOBMD@@ run-end / { close(file); file = "";
		rc = $4; sub(/^rc=/, "", rc); print rc > (dir "/progs/" $3 ".rc");
		print > (dir "/markers.txt"); next }
	/^@@IOBMD@@ dmesg-begin/ { file = dir "/dmesg.log"; printf "" > file; next }
	/^@@IOBMD@@ kmemleak-begin/ { file = dir "/kmemleak.log"; printf "" > file; next }
	/^@@IOBMD@@ gcov-begin/ { file = dir "/gcov.b64"; printf "" > file; next }
	/^@@IOBMD@@ (dmesg|kmemleak|gcov)-end/ { close(file); file = ""; next }
	/^@@IOBMD@@ / { print > (dir "/markers.txt"); next }
	/^# @@IOBMD@@ / && ksft { sub(/^# /, ""); print > (dir "/markers.txt"); next }
	file != "" { print > file }
' "$out/results.txt"
touch "$out/markers.txt" "$out/dmesg.log"

marker() { sed -n "s/^@@IOBMD@@ $1 //p" "$out/markers.txt" | tail -n 1; }

if ! grep -q '^@@IOBMD@@ begin' "$out/markers.txt"; then
	problem "the guest never started /init (see $out/console.log)"
fi
{ grep -E '^@@IOBMD@@ kmod .* rc=[1-9]' "$out/markers.txt" 2>/dev/null || true; } |
	while read -r _ _ line; do problem "insmod $line failed"; done
insmod=$(marker insmod)
if [ -z "$insmod" ]; then
	problem "insmod never reported"
elif [ "$insmod" != rc=0 ]; then
	problem "insmod iobmd.ko failed ($insmod)"
else
	mode=$(marker devnode)
	[ "$mode" = "mode=$expect_mode" ] ||
		problem "/dev/iobmd: expected mode $expect_mode, got ${mode#mode=}"
	held=$(marker held)
	# "name value" pairs; every value must be 0 once the programs are gone.
	if [ -z "$held" ] || [ "$held" = unreadable ]; then
		problem "the module's counters could not be read (${held:-no report})"
	elif echo "$held" | awk '{ for (i = 2; i <= NF; i += 2) if ($i != 0) bad = 1 } END { exit !bad }'; then
		problem "the module still holds memory after every program exited: $held"
	fi
	# DMA-API debugging (kernels with it) on and without errors after each
	# program, up to those that fail allocations on purpose (which can
	# turn it off: iobmd_debug_*, run last); each change is reported once,
	# against the program it ended.
	{ grep '^@@IOBMD@@ dma-api ' "$out/markers.txt" || true; } |
		awk '$3 ~ /iobmd_debug_/ { exit }
		{
			split($4, d, "="); split($5, e, "=")
			if (d[2] != "N" && !off) {
				print "DMA-API debugging turned itself off by the end of " $3
				off = 1
			}
			if (e[2] + 0 > errs)
				print "DMA-API debugging counted " e[2] - errs " error(s) by the end of " $3
			errs = e[2] + 0
		}' | while read -r line; do problem "$line"; done
	rmmod=$(marker rmmod)
	if [ -z "$rmmod" ]; then
		problem "rmmod never reported"
	elif [ "$rmmod" != rc=0 ]; then
		problem "rmmod iobmd failed ($rmmod)"
	fi
fi
if [ -n "$gcov" ] && [ "$insmod" = rc=0 ]; then
	mkdir -p "$out/gcov"
	if [ ! -s "$out/gcov.b64" ] || ! base64 -d "$out/gcov.b64" | tar -xzf - -C "$out/gcov"; then
		problem "no gcov counters came out of the guest"
	elif [ -z "$(find "$out/gcov" -name '*.gcda' -print -quit)" ]; then
		problem "no .gcda files under the guest's /sys/kernel/debug/gcov (module built without GCOV_PROFILE, or kernel without CONFIG_GCOV_KERNEL?)"
	fi
fi
grep -q '^@@IOBMD@@ done' "$out/markers.txt" ||
	problem "the guest did not finish (timeout, panic or hang; see $out/console.log)"

# What the guest wrote into the ivshmem BAR must be in the host's file.
while read -r off pat; do
	cmp -s <(printf %s "$pat") <(tail -c +$((off + 1)) "$ivshmem" | head -c ${#pat}) ||
		problem "ivshmem: $ivshmem lacks \"$pat\" at offset $off"
done < <(sed -n 's/^@@IOBMD@@ ivshmem offset=\([0-9][0-9]*\) pattern=\([!-~]*\)$/\1 \2/p' "$out/markers.txt")

# A program that provokes a kernel warning on purpose (checking that a
# misuse of the in-kernel API is refused) announces it first with a line
# "@@IOBMD@@ expect-warning FUNCTION": per announcement, one WARNING block
# ("cut here" to "end trace") raised in FUNCTION is left out of the
# reports below, and an announced warning that never came is a problem.
expect_warn=$(sed -n 's/^@@IOBMD@@ expect-warning \([A-Za-z0-9_]*\)$/\1/p' "$out/markers.txt" | tr '\n' ' ')
drop_expected() {
	awk -v expect="$expect_warn" -v seen="$1.expected" '
		BEGIN { n = split(expect, e, " "); for (i = 1; i <= n; i++) left[e[i]]++ }
		function flush(drop) { if (!drop) for (i = 1; i <= nb; i++) print b[i]; nb = 0 }
		/-+\[ cut here \]-+/ { flush(0); inblk = 1 }
		inblk { b[++nb] = $0
			if (/---\[ end trace/) {
				drop = 0
				for (f in left)
					if (left[f] > 0 && blk ~ ("WARNING: .* " f "\\+0x")) {
						left[f]--; drop = 1; print f > seen; break
					}
				flush(drop); inblk = 0; blk = ""
			} else { blk = blk "\n" $0 }
			next }
		{ print }
		END { flush(0) }
	' "$1"
}
: >"$out/console.txt.expected"
if [ -n "$expect_warn" ]; then
	drop_expected "$out/console.txt" >"$out/console.checked"
	drop_expected "$out/dmesg.log" >"$out/dmesg.checked"
	for f in $expect_warn; do
		grep -qx "$f" "$out/console.txt.expected" ||
			problem "a program announced a warning in $f, and the kernel gave none"
	done
else
	cp "$out/console.txt" "$out/console.checked"
	cp "$out/dmesg.log" "$out/dmesg.checked"
fi

# Kernel reports: only lines printk wrote (they carry a timestamp), so that
# programs printing these words do not count.
splat='(WARNING:|BUG:|Oops|KASAN:|UBSAN:|possible circular|inconsistent lock state|sleeping function called|possible recursive locking|Call Trace|Kernel panic|general protection fault|suspected memory leak|unreferenced object|blocked for more than|self-detected stall|soft lockup|hard LOCKUP)'
# What the kernel reported before it started /init cannot be iobmd's,
# which is not loaded yet: QEMU 7.2's TCG now and then upsets early boot
# (once a KASAN report in an interrupt taken inside identify_cpu(), in a
# debug boot that then ran every test cleanly).  Such reports go to
# DIR/boot-splats.log and are printed as a note; where the kernel never
# reached /init, everything counts (and the missing /init fails the run).
: >"$out/boot-splats.log"
for f in "$out/console.checked" "$out/dmesg.checked"; do
	grep -q 'Run /init as init process' "$f" || continue
	awk -v boot="$f.boot" 'started { print; next }
		/Run \/init as init process/ { started = 1; print; next }
		{ print > boot }' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
	grep -hE "\[ *[0-9]+\.[0-9]+\].*$splat" "$f.boot" 2>/dev/null |
		sed -E 's/^.*(\[ *[0-9]+\.[0-9]+\])/\1/' >>"$out/boot-splats.log" || true
done
if [ -s "$out/boot-splats.log" ]; then
	sort -u -o "$out/boot-splats.log" "$out/boot-splats.log"
	echo "## note: the kernel reported problems before /init, before iobmd was loaded (not counted; $out/boot-splats.log):"
	head -n 5 "$out/boot-splats.log" | sed 's/^/    /'
fi
grep -hE "\[ *[0-9]+\.[0-9]+\].*$splat" "$out/console.checked" "$out/dmesg.checked" |
	sed -E 's/^.*(\[ *[0-9]+\.[0-9]+\])/\1/' | sort -u >"$out/splats.log" || true
if [ -s "$out/splats.log" ]; then
	problem "the kernel reported problems:"
	head -n 20 "$out/splats.log" | sed 's/^/    /' >>"$problems"
fi
if [ -s "$out/kmemleak.log" ]; then
	problem "kmemleak found leaks:"
	head -n 20 "$out/kmemleak.log" | sed 's/^/    /' >>"$problems"
fi

# --- programs ---------------------------------------------------------
# collection_results COLLECTION FILE: the runner's output for a whole
# collection.  Each of its result lines must be "ok" (a "# SKIP" one is a
# program that skipped everything); the programs' own TAP (indented by
# "# ") is counted, and each skip must give a reason.  Every skip goes
# into DIR/skips as "PROGRAM: TEST: REASON".
collection_results() {
	local coll=$1 f=$2 plan nres
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$f" | head -n 1)
	nres=$(grep -cE '^(not )?ok [0-9]+ selftests: ' "$f" || true)
	[ -n "$plan" ] && [ "$plan" = "$nres" ] ||
		problem "$coll: the runner planned ${plan:-no} tests and reported $nres"
	{ grep -E '^not ok [0-9]+ ' "$f" || true; } | while read -r line; do
		problem "$coll: the kselftest runner reported: $line"
	done
	read -r p_ok p_notok p_skip < <(awk -v skips="$out/skips" '
		/^# selftests: / { prog = $NF; next }
		/^# (not )?ok / { line = substr($0, 3)
			if (line ~ /^not ok /) { notok++; next }
			if (toupper(line) !~ /# *SKIP/) { ok++; next }
			skip++; why = line; sub(/^.*# *[Ss][Kk][Ii][Pp] */, "", why)
			test = line; sub(/^ok [0-9]+ /, "", test); sub(/ *#.*$/, "", test)
			print prog ": " test ": " why >> skips; next }
		/^# 1\.\.0/ && toupper($0) ~ /# *SKIP/ { skip++; why = $0
			sub(/^.*# *[Ss][Kk][Ii][Pp] */, "", why)
			print prog ": (all): " why >> skips }
		END { printf "%d %d %d\n", ok, notok, skip }
	' "$f")
	pass=$((pass + p_ok)) fail=$((fail + p_notok)) skip=$((skip + p_skip))
	if grep -qE ': *$' "$out/skips"; then
		problem "$coll: a test skipped without saying why:"
		grep -E ': *$' "$out/skips" | sed 's/^/    /' >>"$problems"
	fi
}

pass=0 fail=0 skip=0
: >"$out/skips"
for p in "$@"; do
	name=$(basename "${p##*:}")
	f=$out/progs/$name.out
	if [ ! -f "$out/progs/$name.rc" ]; then
		# insmod failed (already reported) or the guest stopped before it.
		[ "$insmod" = rc=0 ] || continue
		problem "$name: did not run to the end"
		if grep -q "^@@IOBMD@@ run-begin $name\$" "$out/console.txt"; then
			echo "## $name (did not finish; the end of the console from its start)"
			sed -n "/^@@IOBMD@@ run-begin $name\$/,\$p" "$out/console.txt" | tail -n 40
		fi
		continue
	fi
	rc=$(cat "$out/progs/$name.rc")
	echo "## $name (exit $rc)"
	cat "$f"
	if [ "$rc" = 137 ]; then
		problem "$name: killed after ${prog_timeout}s (timeout)"
		continue
	fi
	if [ -n "${ksft:-}" ] && [[ $p != *:* ]] && [ ! -e "$p" ]; then
		collection_results "$p" "$f"
		continue
	fi
	tapf=$f
	if [ -n "${ksft:-}" ] && [[ $p == *:* ]]; then
		# The runner's one result line says how the program exited
		# (exit=N, SKIP for 4); the program's TAP is indented by "# ".
		sed -n 's/^# //p' "$f" >"$f.tap"
		tapf=$f.tap
		coll=${p%:*}
		result=$(grep -E '^(not )?ok [0-9]+ ' "$f" || true)
		case $result in
		"ok 1 selftests: $coll: $name") ;;
		"ok 1 selftests: $coll: $name # SKIP") rc=4 ;;
		"not ok 1 selftests: $coll: $name # exit="[0-9]*) rc=${result##*=} ;;
		*)
			problem "$name: the kselftest runner reported ${result:-no result}" ;;
		esac
	fi
	if [ -n "$tap" ]; then
		# Top-level TAP lines only; indented ones are subtests.
		# "1..0 # SKIP reason" skips the whole program.
		read -r plan p_ok p_notok p_skip p_skipall < <(awk '
			/^1\.\.[0-9]+/ && plan == "" { plan = substr($1, 4)
				if (toupper($0) ~ /# *SKIP/) skipall = 1 }
			/^not ok / { notok++; next }
			/^ok / { if (toupper($0) ~ /# *SKIP/) skip++; else ok++ }
			END { printf "%s %d %d %d %d\n", plan == "" ? "-" : plan,
				ok, notok, skip, skipall }
		' "$tapf")
		pass=$((pass + p_ok)) fail=$((fail + p_notok))
		skip=$((skip + p_skip + p_skipall))
		if [ "$plan" = - ]; then
			problem "$name: printed no TAP plan"
		elif [ "$plan" != $((p_ok + p_notok + p_skip)) ]; then
			problem "$name: planned $plan tests, reported $((p_ok + p_notok + p_skip))"
		fi
		# The harness exits 1 after a failure and 4 when all skipped.
		if [ "$rc" != 0 ] && ! { [ "$rc" = 1 ] && [ "$p_notok" -gt 0 ]; } &&
		   ! { [ "$rc" = 4 ] && [ $((p_skip + p_skipall)) -gt 0 ]; }; then
			problem "$name: exited with status $rc"
		fi
	elif [ "$rc" != 0 ]; then
		problem "$name: exited with status $rc"
	fi
done

nprob=$(grep -c '^[^ ]' "$problems" || true)
echo "pass=$pass fail=$fail skip=$skip problems=$nprob seconds=$secs" >"$out/summary"
if [ "$nprob" -gt 0 ]; then
	echo "## problems on $krel"
	sed 's/^/  /' "$problems"
	echo "  (console: $out/console.log)"
fi
if [ -s "$out/skips" ]; then
	echo "## skipped on $krel${bare:+ (--bare: allowed, with a reason)}"
	sed 's/^/  /' "$out/skips"
fi
echo "## $krel: guest ran ${secs}s"
[ "$nprob" = 0 ] && [ "$fail" = 0 ] && { [ "$skip" = 0 ] || [ -n "${bare:-}" ]; }

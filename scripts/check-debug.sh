#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-debug.sh: what `make check-debug` runs.  As root on Debian 12:
#   1. scripts/install-deps.sh (quick when everything is installed);
#   2. scripts/build-debug-kernel.sh: the debug kernel (KASAN, kmemleak,
#      lockdep, DEBUG_VM, fault injection; selftests/config.debug), built
#      once and kept under /var/cache/iobmd;
#   3. the selftests, once (build/debug/selftests): every iobmd_*_test,
#      including the iobmd_debug_*_test programs `make check` leaves out
#      because they need this kernel, and the C++ library's test suite;
#   4. the checkers, checked: selftests/canary/ is a module that inverts a
#      lock order, trips DEBUG_VM, leaks and reads out of bounds on purpose;
#      the run fails unless lockdep, DEBUG_VM, KASAN and kmemleak (scanned
#      after rmmod) each report it;
#   5. iobmd.ko built with W=1 against the debug kernel, then
#      scripts/vm-run.sh boots the kernel, loads the module and runs every
#      selftest; any kernel report fails the run as in `make check`;
#      then the device programs behind the IOMMU, the cache-maintenance
#      tests, imports' physical addresses and exports' device mappings
#      with swiotlb=force, and the C++ and C libraries' tests built
#      with ASan+UBSan (scripts/sanitize-userlib.sh).
# Prints the TAP results and ends with one line "N passed, N failed"
# (", N skipped" when any were), counted as check.sh counts.  Exits
# non-zero on any failure or skip.
#
# Environment: IOBMD_VM_TIMEOUT (seconds) bounds each VM run: by default
# 900 for the canary's, 2400 for the suite's.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
passed=0 failed=0 skipped=0
failures=()
fail() { failures+=("$*"); failed=$((failed + 1)); }
dbg=$BUILD/debug

finish() {
	echo
	echo "=== summary ($(elapsed "$t0"))"
	for f in "${failures[@]}"; do
		echo "FAILED: $f"
	done
	line="$passed passed, $failed failed"
	[ "$skipped" = 0 ] || line+=", $skipped skipped"
	echo "$line"
	[ "$failed" = 0 ] && [ "$skipped" = 0 ] && [ "${#failures[@]}" = 0 ]
	exit
}

echo "=== dependencies"
load_deps

echo "=== debug kernel"
tk=$(date +%s)
mkdir -p "$dbg"
if ! bash "$ROOT/scripts/build-debug-kernel.sh" >"$dbg/kernel.env"; then
	fail "debug kernel build"
	finish
fi
eval "$(grep -E '^DEBUG_(KDIR|KREL|IMAGE)=' "$dbg/kernel.env")"
echo "kernel: $DEBUG_KREL ($DEBUG_KDIR; $(elapsed "$tk"))"

echo "=== selftests build"
bash "$ROOT/scripts/build-selftests.sh" "$dbg/selftests" || fail "selftests build"
# The C++ library's test suite joins them, as in `make check`.
if [ -f "$ROOT/scripts/build-userlib.sh" ]; then
	bash "$ROOT/scripts/build-userlib.sh" tests "$dbg/selftests" || fail "userlib tests build"
fi
# iobmdctl, for iobmd_ctl_test, in the VM's /bin as in `make check`.
bins=()
if bash "$ROOT/scripts/build-tools.sh" "$dbg/tools"; then
	bins=(--bin "$dbg/tools/iobmdctl")
else
	fail "tools build"
fi
# The shipped udev rule where udev would read it (iobmd_security_access_test).
guest_tree=$dbg/guest-tree
rm -rf "$guest_tree"
install -D -m 644 "$ROOT/scripts/60-iobmd.rules" "$guest_tree/etc/udev/rules.d/60-iobmd.rules"
# The iobmd_debug_*_test programs last: failing allocations on purpose,
# they can make the kernel's own debugging give up (DMA-API debugging
# turns itself off when its bookkeeping cannot allocate).  After them,
# programs with "lockdown" in their name: lockdown cannot be undone and
# closes debugfs's fault injection to everything after it.  First,
# iobmd_pfnmap_huge_test: it needs a physically contiguous, aligned GiB
# (see check.sh).
shopt -s nullglob
tests=() first=() last=() final=() devices=()
for t in "$dbg"/selftests/iobmd_*_test; do
	case ${t##*/} in
	iobmd_debug_*) last+=("$t") ;;
	iobmd_vfio_*) ;;
	*lockdown*) final+=("$t") ;;
	*pfnmap_huge*) first+=("$t") ;;
	*) tests+=("$t") ;;
	esac
	# iobmd_vfio_* (VFIO wants an IOMMU) run only behind the IOMMU.
	case ${t##*/} in
	iobmd_edu_* | iobmd_vfio_*) devices+=("$t") ;;
	esac
done
tests=("${first[@]}" "${tests[@]}" "${last[@]}" "${final[@]}")
shopt -u nullglob
prog_timeout=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$dbg/selftests/settings" 2>/dev/null || true)
prog_timeout=${prog_timeout:-300}

# --- the checkers, checked --------------------------------------------
echo
echo "=== checkers: a module with mistakes on purpose (selftests/canary)"
tc=$(date +%s)
canary=$dbg/canary
rm -rf "$canary"
mkdir -p "$canary"
cp "$ROOT"/selftests/canary/* "$canary/"
if ! make -C "$DEBUG_KDIR" M="$canary" modules >"$canary/build.log" 2>&1; then
	cat "$canary/build.log" >&2
	fail "canary module build"
else
	# Its own problems (no /dev/iobmd, no counters, the reports) are
	# expected: only whether each report is there counts.
	bash "$ROOT/scripts/vm-run.sh" --kernel "$DEBUG_IMAGE" --out "$canary/vm" \
		"$DEBUG_KREL" "$canary/iobmd.ko" >"$canary/vm-run.log" 2>&1 || true
	splats=$canary/vm/splats.log
	leaks=$canary/vm/kmemleak.log
	seen=()
	check_report() { # NAME FILE PATTERN
		if [ -f "$2" ] && grep -qE "$3" "$2"; then
			seen+=("$1")
		else
			fail "the debug kernel did not report the canary's $1 (see $canary/vm)"
		fi
	}
	check_report lockdep "$splats" 'possible circular locking dependency'
	check_report DEBUG_VM "$splats" 'WARNING: .*iobmd_canary'
	check_report KASAN "$splats" 'BUG: KASAN: slab-out-of-bounds'
	# The hex dump of the object's first bytes shows what it holds.
	check_report kmemleak "$leaks" 'iobmd-canary-lea'
	echo "reported: ${seen[*]:-nothing} ($(elapsed "$tc"))"
	[ ${#seen[@]} = 4 ] && passed=$((passed + 1))
fi

# --- the suite -----------------------------------------------------------
echo
echo "=== kernel $DEBUG_KREL"
tm=$(date +%s)
moddir=$dbg/module
if ! IOBMD_KDIR=$DEBUG_KDIR bash "$ROOT/scripts/build-module.sh" "$DEBUG_KREL" "$moddir"; then
	fail "$DEBUG_KREL: module build"
	finish
fi
if [ ${#tests[@]} -eq 0 ]; then
	fail "$DEBUG_KREL: no selftests to run"
	finish
fi
vmdir=$dbg/vm
rc=0
# The whole suite under KASAN and TCG takes 10 to 15 minutes.
# unsafe_phys_ram: as in check.sh.  vgem and vivid are built in: vivid
# takes its parameters from the command line (DMABUF_PARAMS, lib.sh).
# The CMA area the CMA heap's tests use lies below 4 GiB: left where the
# kernel puts it (at 4 GiB, the start of ZONE_NORMAL) it keeps the page
# allocator from falling back below 4 GiB as the placement tests expect.
bash "$ROOT/scripts/vm-run.sh" --kernel "$DEBUG_IMAGE" --tap --out "$vmdir" "${bins[@]}" \
	--insmod-args unsafe_phys_ram=1 "${DMABUF_PARAMS[@]}" --cmdline cma=64M@0-4G --add-tree "$guest_tree" --timeout "${IOBMD_VM_TIMEOUT:-2400}" --prog-timeout "$prog_timeout" "$DEBUG_KREL" "$moddir/iobmd.ko" "${tests[@]}" || rc=$?
count_vm_run "$DEBUG_KREL" "$vmdir" "$rc" "$tm" || true
# The devices again behind QEMU's Intel IOMMU (as in check.sh).  No
# --kmod: this kernel has VFIO, vfio-pci and the Type1 backend built in.
tm=$(date +%s)
vmdir=$dbg/vm-iommu
rc=0
# With QEMU's NVMe, as in check.sh.
nvme_img=$dbg/nvme.img
python3 "$ROOT/scripts/nvme-pattern.py" fill "$nvme_img" 16M || fail "NVMe file"
bash "$ROOT/scripts/vm-run.sh" --kernel "$DEBUG_IMAGE" --tap --iommu \
	--env IOBMD_EDU_IOMMU=1 --out "$vmdir" --insmod-args unsafe_phys_ram=1 \
	--prog-timeout "$prog_timeout" --nvme "$nvme_img" "$DEBUG_KREL" "$moddir/iobmd.ko" "${devices[@]}" || rc=$?
count_nvme_file "$DEBUG_KREL, IOMMU" "$nvme_img"
count_vm_run "$DEBUG_KREL, IOMMU" "$vmdir" "$rc" "$tm" || true

# Every DMA mapping bounced (as in check.sh), with the DMA API's checking.
tm=$(date +%s)
vmdir=$dbg/vm-swiotlb
rc=0
bash "$ROOT/scripts/vm-run.sh" --kernel "$DEBUG_IMAGE" --tap --cmdline swiotlb=force \
	--out "$vmdir" --insmod-args unsafe_phys_ram=1 --prog-timeout "$prog_timeout" \
	"$DEBUG_KREL" "$moddir/iobmd.ko" "$dbg/selftests/iobmd_noncoherent_test" \
	"$dbg/selftests/iobmd_bounce_import_test" "$dbg/selftests/iobmd_bounce_export_test" || rc=$?
count_vm_run "$DEBUG_KREL, swiotlb=force" "$vmdir" "$rc" "$tm" || true

# The userspace library's tests built with ASan+UBSan (LeakSanitizer on)
# on this kernel: any sanitizer report fails the run.
tm=$(date +%s)
rc=0
bash "$ROOT/scripts/sanitize-userlib.sh" --kernel "$DEBUG_IMAGE" --out "$dbg/sanitize" \
	"$DEBUG_KREL" "$moddir/iobmd.ko" || rc=$?
count_vm_run "$DEBUG_KREL, ASan+UBSan" "$dbg/sanitize/vm" "$rc" "$tm" || true
finish

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh: what `make check` runs.  As root on Debian 12:
#   1. scripts/install-deps.sh (quick when everything is installed);
#   2. checkpatch on the module's sources (scripts/lint.sh --checkpatch-only);
#   3. the selftests, built once the kernel's way: selftests/ copied into
#      a copy of the kernel's tools/testing/selftests as drivers/iobmd,
#      built and installed there (make -C tools/testing/selftests
#      TARGETS=drivers/iobmd install; scripts/build-selftests.sh
#      --kernel-tree) as the kselftest tree build/kselftest, whose
#      run_kselftest.sh runs each test in the VM (vm-run.sh --kselftest);
#      the C++ library with its
#      test suite (scripts/build-userlib.sh check), its ABI against
#      userlib/abi/ (scripts/abi-check.sh); make bench and the VM runner
#      failing at once on a kernel they cannot boot, with nothing of an
#      earlier run to report (scripts/early-failure-test.sh); the Debian
#      packages, installed,
#      DKMS-built (cross-built for the arm64 kernels), used and purged in a
#      chroot, make install / make uninstall there, and the DKMS-built
#      module running the demo on 6.12 (scripts/deb-test.sh); the tools (build/tools),
#      and iobmdctl run on this host, where iobmd is not loaded
#      (scripts/ctl-host-test.sh);
#   4. for each kernel of the matrix (below): the module, built with W=1
#      through the project's Makefile as a user builds it (make KDIR=<the
#      kernel's headers> modules) in build/<krel>/module, then
#      scripts/vm-run.sh boots that kernel in QEMU,
#      loads the module and runs every selftest but the iobmd_debug_*_test
#      programs, which need the debug kernel (scripts/check-debug.sh), and
#      the iobmd_vfio_* ones; then once more behind QEMU's IOMMU (Intel's
#      on amd64, the SMMUv3 on arm64; vfio-pci loaded), the programs that
#      drive a device: iobmd_edu_*
#      and iobmd_vfio_*; and once more with swiotlb=force (every DMA
#      mapping bounced), iobmd_noncoherent_* and iobmd_bounce_*; on 6.12 (amd64), once more
#      as on a user's machine (vm-run.sh --bare: no parameter, devices
#      or test modules): the whole collection through run_kselftest.sh
#      -c drivers/iobmd, as `make -C selftests run_tests` runs it, where
#      a test may skip if it says why.
# Prints each kernel's TAP results under a header naming the kernel and
# ends with one line "N passed, N failed" (", N skipped" when any were):
# "failed" counts failed tests plus every other failure (build, checkpatch,
# insmod, rmmod, device node, kernel report, timeout, a test binary's exit
# status or missing TAP plan).  Exits non-zero on any failure or skip.
#
# Environment: KERNELS picks kernels by name; the default is every kernel
# of the matrix, ALL_KERNELS in lib.sh: "6.1 6.12 7.2 7.3 6.12-arm64
# 7.3-arm64".  6.1 and 6.12 are the amd64 kernels install-deps.sh
# installed; the others are Debian's newest of their series
# (FETCHED_KERNELS in lib.sh), fetched and unpacked by
# scripts/fetch-kernel.sh, the module built for the 7.x ones in the chroot
# of scripts/debian-chroot.sh (Debian 12 lacks their compiler), each booted
# with vm-run.sh --kernel and --moddir.  KERNELS="6.12 7.3-arm64" tests
# two.
# For an arm64 kernel the selftests, the C++ library's tests and iobmdctl
# are cross-built into build/arm64/ and the same runs boot it in
# qemu-system-aarch64 (vm-run.sh), the IOMMU one behind QEMU's SMMUv3.
# IOBMD_KERNELS="<krel> ..." tests only those kernels by release (installed,
# or fetched before);
# IOBMD_VM_TIMEOUT (seconds, default 900) bounds each VM run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(date +%s)
passed=0 failed=0 skipped=0
failures=()
fail() { failures+=("$*"); failed=$((failed + 1)); }

echo "=== dependencies"
load_deps
kernels=${IOBMD_KERNELS:-}
# Kernels by name; a fetched one's build tree, image and modules by release.
declare -A k_kdir=() k_image=() k_moddir=()
if [ -z "$kernels" ]; then
	for name in ${KERNELS:-$ALL_KERNELS}; do
		case $name in
		6.1) kernels+=" $KREL_61" ;;
		6.12) kernels+=" $KREL_612" ;;
		*)
			[ -n "${FETCHED_KERNELS[$name]:-}" ] ||
				die "KERNELS: no kernel named '$name' ($ALL_KERNELS)"
			# shellcheck disable=SC2086 # "SERIES ARCH SUITE"
			if ! fetched=$(bash "$ROOT/scripts/fetch-kernel.sh" ${FETCHED_KERNELS[$name]}); then
				fail "$name: fetching the kernel"
				continue
			fi
			krel=$(sed -n 's/^KREL=//p' <<<"$fetched")
			k_kdir[$krel]=$(sed -n 's/^KDIR=//p' <<<"$fetched")
			k_image[$krel]=$(sed -n 's/^IMAGE=//p' <<<"$fetched")
			k_moddir[$krel]=$(sed -n 's/^MODDIR=//p' <<<"$fetched")
			kernels+=" $krel"
			;;
		esac
	done
fi
echo "kernels:$kernels"

echo "=== checkpatch"
bash "$ROOT/scripts/lint.sh" --checkpatch-only || fail "checkpatch"

echo "=== selftests build"
ksft=$BUILD/kselftest
rm -rf "$ksft"
bash "$ROOT/scripts/build-selftests.sh" --kernel-tree "$BUILD/ksft-tree" --install "$ksft" \
	"$BUILD/selftests" || fail "selftests build"

echo "=== userlib build"
# The C++ library, its examples and its installed package; its GoogleTest
# suite joins the selftests as iobmd_userlib_test.
bash "$ROOT/scripts/build-userlib.sh" check "$BUILD/selftests" || fail "userlib build"

echo "=== ABI"
# libiobmd.so.1 and libiobmd++.so.1 against userlib/abi/ (abidiff): an
# incompatible change fails unless the soname changed.
if bash "$ROOT/scripts/abi-check.sh"; then
	passed=$((passed + 1))
else
	fail "ABI (scripts/abi-check.sh)"
fi

echo "=== netlink spec"
# Documentation/netlink/specs/iobmd.yaml valid against the kernel's schema
# and generating uapi/iobmd_netlink.h exactly (scripts/ynl-check.sh).
if bash "$ROOT/scripts/ynl-check.sh"; then
	passed=$((passed + 1))
else
	fail "netlink spec (scripts/ynl-check.sh)"
fi

echo "=== runs that cannot start"
# make bench and vm-run.sh fail at once on a kernel they cannot boot and
# leave no earlier run's results, and a VM run's summary from before the
# run is not counted (scripts/early-failure-test.sh).
if bash "$ROOT/scripts/early-failure-test.sh"; then
	passed=$((passed + 1))
else
	fail "runs that cannot start (scripts/early-failure-test.sh)"
fi

echo "=== Debian packages"
# make deb's packages (lintian-clean, symbols checked) installed into a
# clean Debian 12 chroot: DKMS builds the module for 6.1 and 6.12 (and, in
# the bookworm/trixie/sid build chroots, for the matrix's 7.x kernels and,
# cross-built, its arm64 ones), a consumer links through pkg-config and
# CMake, purge leaves nothing; make install / make uninstall from a source
# tree leave the file system as it was; then the DKMS-built module runs the
# demo in the 6.12 guest (scripts/deb-test.sh).
if bash "$ROOT/scripts/deb-test.sh"; then
	passed=$((passed + 1))
else
	fail "Debian packages (scripts/deb-test.sh)"
fi

echo "=== tools build"
# iobmdctl, installed in the VM's /bin for iobmd_ctl_test, and checked
# here first on this host, where iobmd is not loaded.
bins=()
if bash "$ROOT/scripts/build-tools.sh" "$BUILD/tools"; then
	bins=(--bin "$BUILD/tools/iobmdctl")
	if bash "$ROOT/scripts/ctl-host-test.sh" "$BUILD/tools/iobmdctl"; then
		passed=$((passed + 1))
	else
		fail "iobmdctl on the host"
	fi
else
	fail "tools build"
fi
# The guest has no udev: the shipped rule goes where udev would read it,
# for iobmd_security_access_test to apply.
guest_tree=$BUILD/guest-tree
rm -rf "$guest_tree"
install -D -m 644 "$ROOT/scripts/60-iobmd.rules" "$guest_tree/etc/udev/rules.d/60-iobmd.rules"

# Those that did build still run; iobmd_debug_*_test need the debug
# kernel and run in `make check-debug` only.  Programs with "lockdown" in
# their name raise lockdown, which cannot be undone: they run last.
# iobmd_pfnmap_huge_test runs first: it needs a physically contiguous,
# 1 GiB-aligned GiB, which a guest that has run everything else may no
# longer have free of unmovable pages (7.3 had none, late in a run).
shopt -s nullglob
tests=() first=() last=() devices=() bounce=()
# The kselftests by their name in the installed tree's list
# (drivers/iobmd:NAME), the C++ library's test programs by path.
ksft_list=()
[ ! -f "$ksft/kselftest-list.txt" ] || mapfile -t ksft_list <"$ksft/kselftest-list.txt"
for t in "${ksft_list[@]}" "$BUILD"/selftests/iobmd_*_test; do
	[[ $t == *:* ]] || [ ! -f "$ROOT/selftests/${t##*/}.c" ] || continue
	case ${t##*[/:]} in
	iobmd_debug_*) ;;
	iobmd_vfio_*) ;;
	*lockdown*) last+=("$t") ;;
	*pfnmap_huge*) first+=("$t") ;;
	*) tests+=("$t") ;;
	esac
	# Programs that drive a real (emulated) device run again behind the
	# IOMMU; iobmd_vfio_* (a userspace driver through VFIO) only there.
	case ${t##*[/:]} in
	iobmd_edu_* | iobmd_vfio_*) devices+=("$t") ;;
	esac
	# And those about cache maintenance and physical addresses with
	# every DMA mapping bounced.
	case ${t##*[/:]} in
	iobmd_noncoherent_* | iobmd_bounce_*) bounce+=("$t") ;;
	esac
done
tests=("${first[@]}" "${tests[@]}" "${last[@]}")
shopt -u nullglob
prog_timeout=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$ksft/drivers/iobmd/settings" 2>/dev/null || true)
prog_timeout=${prog_timeout:-300}

# cross_programs ARCH: the programs built for ARCH into build/ARCH (once
# per check), in ktests, kdevices, kbounce and kbins; 1 when they do not build.
declare -A cross_built=()
# A kselftest (COLLECTION:NAME) is the same in every tree; a program by
# path is in $dir/selftests.
cross_program() {
	case $1 in
	*:*) echo "$1" ;;
	*) echo "$dir/selftests/${1##*/}" ;;
	esac
}
cross_programs() {
	local a=$1 dir=$BUILD/$1 t
	if [ -z "${cross_built[$a]:-}" ]; then
		cross_built[$a]=ok
		rm -rf "$dir/kselftest"
		bash "$ROOT/scripts/build-selftests.sh" --arch "$a" --install "$dir/kselftest" "$dir/selftests" &&
			bash "$ROOT/scripts/build-userlib.sh" --arch "$a" tests "$dir/selftests" &&
			bash "$ROOT/scripts/build-tools.sh" --arch "$a" "$dir/tools" ||
			cross_built[$a]=failed
	fi
	[ "${cross_built[$a]}" = ok ] || return 1
	ktests=() kdevices=() kbounce=() kbins=(--bin "$dir/tools/iobmdctl")
	kksft=(--kselftest "$dir/kselftest")
	for t in "${tests[@]}"; do ktests+=("$(cross_program "$t")"); done
	for t in "${devices[@]}"; do kdevices+=("$(cross_program "$t")"); done
	for t in "${bounce[@]}"; do kbounce+=("$(cross_program "$t")"); done
}

for krel in $kernels; do
	echo
	echo "=== kernel $krel"
	tk=$(date +%s)
	moddir=$BUILD/$krel/module
	kdir_env=() vm_kernel=()
	if [ -n "${k_kdir[$krel]:-}" ]; then
		kdir_env=("IOBMD_KDIR=${k_kdir[$krel]}")
		vm_kernel=(--kernel "${k_image[$krel]}" --moddir "${k_moddir[$krel]}")
	fi
	if ! env "${kdir_env[@]}" bash "$ROOT/scripts/build-module.sh" "$krel" "$moddir"; then
		fail "$krel: module build"
		continue
	fi
	# The programs for the kernel's architecture.
	ktests=("${tests[@]}") kdevices=("${devices[@]}") kbounce=("${bounce[@]}")
	kbins=("${bins[@]}") kksft=(--kselftest "$ksft")
	kernel_tree "$krel"
	karch=$(kdir_arch "${k_kdir[$krel]:-$KT_KDIR}")
	if [ -n "$karch" ] && [ "$karch" != "$(host_arch)" ] && ! cross_programs "$karch"; then
		fail "$krel: $karch programs build"
		continue
	fi
	if [ ${#tests[@]} -eq 0 ]; then
		fail "$krel: no selftests to run"
		continue
	fi
	vmdir=$BUILD/$krel/vm
	rc=0
	# unsafe_phys_ram: the suite describes its own RAM by physical address
	# (a device's view of bounce buffers, say); see "Security model" in
	# Documentation/userspace-api/iobmd.rst.
	# vgem and vivid (Debian builds them as modules): the importers of
	# iobmd_dmabuf_export_test and the exporters iobmd_dmabuf_import_test
	# imports from (DMABUF_KMODS, lib.sh).
	bash "$ROOT/scripts/vm-run.sh" --tap "${kksft[@]}" --out "$vmdir" "${kbins[@]}" \
		--insmod-args unsafe_phys_ram=1 "${DMABUF_KMODS[@]}" \
		--add-tree "$guest_tree" --prog-timeout "$prog_timeout" "${vm_kernel[@]}" \
		"$krel" "$moddir/iobmd.ko" "${ktests[@]}" || rc=$?
	count_vm_run "$krel" "$vmdir" "$rc" "$tk" || continue
	# The devices again behind QEMU's Intel IOMMU, strict: DMA addresses
	# are IOVAs there, not physical addresses.  vfio-pci and its Type1
	# IOMMU backend for the iobmd_vfio_* programs (the guest has no modprobe).
	tk=$(date +%s)
	vmdir=$BUILD/$krel/vm-iommu
	rc=0
	# QEMU's NVMe there too, its namespace a file holding the pattern
	# iobmd_vfio_nvme_test reads; what it wrote is checked afterwards.
	nvme_img=$BUILD/$krel/nvme.img
	python3 "$ROOT/scripts/nvme-pattern.py" fill "$nvme_img" 16M || fail "$krel: NVMe file"
	bash "$ROOT/scripts/vm-run.sh" --tap "${kksft[@]}" --iommu --env IOBMD_EDU_IOMMU=1 \
		--kmod vfio-pci --kmod vfio_iommu_type1 \
		--out "$vmdir" --insmod-args unsafe_phys_ram=1 \
		--prog-timeout "$prog_timeout" --nvme "$nvme_img" "${vm_kernel[@]}" \
		"$krel" "$moddir/iobmd.ko" "${kdevices[@]}" || rc=$?
	count_nvme_file "$krel, IOMMU" "$nvme_img"
	count_vm_run "$krel, IOMMU" "$vmdir" "$rc" "$tk" || continue
	# Every DMA mapping bounced (swiotlb=force): what a device wrote is
	# in the bounce slot until a sync copies it, a stale copy TCG can
	# show where it models no cache; and what cannot be kept is refused.
	tk=$(date +%s)
	vmdir=$BUILD/$krel/vm-swiotlb
	rc=0
	# vgem: the importer of iobmd_bounce_export_test.
	bash "$ROOT/scripts/vm-run.sh" --tap "${kksft[@]}" --cmdline swiotlb=force --out "$vmdir" \
		--insmod-args unsafe_phys_ram=1 --kmod vgem --prog-timeout "$prog_timeout" \
		"${vm_kernel[@]}" \
		"$krel" "$moddir/iobmd.ko" "${kbounce[@]}" || rc=$?
	count_vm_run "$krel, swiotlb=force" "$vmdir" "$rc" "$tk" || continue
	# A user's machine, once (the 6.12 amd64 kernel): iobmd.ko loaded
	# with no parameter, none of the test VM's devices, modules or
	# udev tree, and the whole collection run as `make -C selftests
	# run_tests` runs it (run_kselftest.sh -c drivers/iobmd): nothing may
	# fail, and each test that skips must say what it lacks.
	case $krel in
	6.12.*-amd64) ;;
	*) continue ;;
	esac
	tk=$(date +%s)
	vmdir=$BUILD/$krel/vm-bare
	rc=0
	bash "$ROOT/scripts/vm-run.sh" --tap --bare "${kksft[@]}" --out "$vmdir" \
		--prog-timeout "$prog_timeout" "${vm_kernel[@]}" \
		"$krel" "$moddir/iobmd.ko" drivers/iobmd || rc=$?
	count_vm_run "$krel, a user's machine (run_tests)" "$vmdir" "$rc" "$tk" bare || continue
done

echo
echo "=== summary ($(elapsed "$t0"))"
for f in "${failures[@]}"; do
	echo "FAILED: $f"
done
line="$passed passed, $failed failed"
[ "$skipped" = 0 ] || line+=", $skipped skipped"
echo "$line"
[ "$failed" = 0 ] && [ "$skipped" = 0 ] && [ "${#failures[@]}" = 0 ]

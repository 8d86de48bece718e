#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# sanitize-userlib.sh [--kernel IMAGE] [--out DIR] [--timeout SECS]
#                     [--env NAME=VALUE]... KREL MODULE
#
# The userspace library's tests built with AddressSanitizer (LeakSanitizer
# included) and UndefinedBehaviorSanitizer, and run in the guest against
# MODULE on kernel KREL (booted from IMAGE when given, as vm-run.sh does):
#   iobmd_userlib_test  the C++ GoogleTest suite (userlib/tests, with the
#                       modern face's modern_*_test.cpp), linked
#                       dynamically as ASan needs (userlib.mk TEST_STATIC=)
#   iobmd_libc_test     the C core's kselftest (selftests/iobmd_libc_test.c)
#                       with the core's sources built in
# into DIR/bin (default build/sanitize/bin; objects in build/userlib-san).
# Any sanitizer report stops the program (halt_on_error=1,
# -fno-sanitize-recover=all) with a non-zero status, which fails its TAP
# run; the script also fails when a report shows in a program's output
# (say, from a child process whose status nobody checked).
#
# The guest has no shared libraries of its own: the programs' (the
# sanitizer runtimes libasan and libubsan, libstdc++, libnl, glibc and its
# loader), as ldd lists them on this host, go into the initramfs at the
# same paths (vm-run.sh --add-tree).  --env passes NAME=VALUE on to the
# programs (vm-run.sh --env), e.g. GTEST_FILTER=modern*.
#
# Prints the run's output and ends with one line "sanitize-userlib: "
# followed by vm-run.sh's summary, the number of sanitizer reports and
# vm-run.sh's status; DIR/vm is the vm-run.sh directory (summary, logs),
# DIR/reports the report lines found.
# Exits 0 only when both programs built, every test passed, the VM run
# found no problem and no sanitizer reported anything.  amd64 only.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel_args=() env_args=() out=$BUILD/sanitize timeout=${IOBMD_VM_TIMEOUT:-1500}
# Each program's limit: under ASan on the debug kernel (KASAN, TCG) the
# C++ suite takes about 270 s, against the 300 s vm-run.sh allows by default.
prog_timeout=1200
while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel_args=(--kernel "$2"); shift 2 ;;
	--out) out=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--env) env_args+=(--env "$2"); shift 2 ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# = 2 ] || die "usage: $0 [--kernel IMAGE] [--out DIR] [--timeout SECS] [--env NAME=VALUE]... KREL MODULE"
krel=$1 module=$2
[ "$(host_arch)" = amd64 ] || die "amd64 only"

t0=$(date +%s)
mkdir -p "$out/bin"
out=$(cd "$out" && pwd)
# No summary of an earlier run may stand for this one's.
rm -rf "$out/vm" "$out/reports"
bin=$out/bin
O=$BUILD/userlib-san
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

# --- build ---------------------------------------------------------------
# -O1 -g: ASan's advice (readable stacks, not too slow).  No -Werror here:
# the project's warnings are judged in the ordinary build, and GCC warns
# differently with the sanitizers' instrumentation.
rm -f "$bin/iobmd_userlib_test" "$bin/iobmd_libc_test"
make -C "$ROOT" -f userlib/userlib.mk O="$O" --no-print-directory -s -j"$(nproc)" \
	CXXFLAGS="-O1 -g $san" CFLAGS="-O1 -g $san" LDFLAGS="$san" \
	TEST_STATIC= TEST_BIN="$bin/iobmd_userlib_test" "$bin/iobmd_userlib_test" ||
	die "the sanitized C++ test suite does not build"

# The C core's test, as build-selftests.sh builds it, but dynamic (the
# C++ build above installed <iobmd/uapi.h> under $O/include).
try_deps
if [ -z "${KSRC:-}" ] || [ ! -f "$KSRC/tools/testing/selftests/kselftest_harness.h" ]; then
	die "no kselftest harness (run scripts/install-deps.sh as root, or pass KSRC=)"
fi
# shellcheck disable=SC2086 # $san is a list of words
(cd "$ROOT" && "${CC:-gcc}" -O1 -g $san -Wall -Wextra -D_GNU_SOURCE \
	-isystem "$KSRC/tools/testing/selftests" -Iuapi -Iselftests \
	-Iuserlib/c/include -I"$O/include" -o "$bin/iobmd_libc_test" \
	selftests/iobmd_libc_test.c userlib/c/src/*.c) ||
	die "the sanitized C core test does not build"
msg "built $bin/iobmd_userlib_test and $bin/iobmd_libc_test ($(elapsed "$t0"))"

# --- the guest's shared libraries ---------------------------------------
tree=$out/guest-tree
rm -rf "$tree"
libs=()
for b in "$bin"/iobmd_*_test; do
	# "name => /path (addr)", "/path/ld-linux... (addr)", "linux-vdso (addr)"
	while read -r path; do
		libs+=("$path")
	done < <(ldd "$b" | sed -n -e 's/^.*=> \(\/[^ ]*\) (0x.*$/\1/p' \
		-e 's/^[[:space:]]*\(\/[^ ]*\) (0x.*$/\1/p')
	ldd "$b" | grep -q 'not found' && die "$b: a shared library is missing: $(ldd "$b" | grep 'not found')"
done
for l in $(printf '%s\n' "${libs[@]}" | sort -u); do
	install -D -m 755 "$(readlink -f "$l")" "$tree$l"
done
printf '%s\n' "${libs[@]}" | grep -q '/libasan\.so' || die "the programs do not link libasan"
printf '%s\n' "${libs[@]}" | grep -q '/libubsan\.so' || die "the programs do not link libubsan"

# --- run -----------------------------------------------------------------
# detect_leaks: LeakSanitizer stops the process's threads with ptrace from
# a helper thread and reads /proc/self/maps, both of which the guest has.
asan=halt_on_error=1:detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1
ubsan=halt_on_error=1:print_stacktrace=1
libpath=$(printf '%s\n' "${libs[@]}" | xargs -n1 dirname | sort -u | paste -sd:)
vmdir=$out/vm
rc=0
bash "$ROOT/scripts/vm-run.sh" "${kernel_args[@]}" --tap --out "$vmdir" \
	--insmod-args unsafe_phys_ram=1 --add-tree "$tree" --timeout "$timeout" \
	--prog-timeout "$prog_timeout" \
	--env "ASAN_OPTIONS=$asan" --env "UBSAN_OPTIONS=$ubsan" \
	--env "LSAN_OPTIONS=report_objects=1" --env "LD_LIBRARY_PATH=$libpath" \
	"${env_args[@]}" \
	"$krel" "$module" "$bin/iobmd_userlib_test" "$bin/iobmd_libc_test" || rc=$?

reports=$out/reports
: >"$reports"
for f in "$vmdir"/progs/*.out; do
	[ -f "$f" ] || continue
	grep -HE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer)' \
		"$f" >>"$reports" || true
done
summary=$(cat "$vmdir/summary" 2>/dev/null || echo "no summary")
failed=0
if [ -s "$reports" ]; then
	msg "sanitizer reports:"
	cat "$reports" >&2
	failed=1
fi
[ "$rc" = 0 ] || failed=1
echo "sanitize-userlib: $summary, sanitizer reports $(wc -l <"$reports"), vm-run status $rc ($(elapsed "$t0"))"
exit "$failed"

# SPDX-License-Identifier: GPL-2.0
#
# iobmd: IOKit memory descriptors for Linux.
#
#   make                    the module (iobmd.ko) against the running kernel,
#                           the selftests (build/selftests/) and the C++
#                           library with its examples (build/userlib/)
#   make KDIR=<tree>        the module against another kernel build tree
#   make modules_install    install iobmd.ko into /lib/modules/<release>/
#   make -C selftests [run_tests|install INSTALL_PATH=DIR]
#                           the selftests on the kernel's kselftest lib.mk
#                           (KSRC=<kernel source>; run_tests as root with
#                           the module loaded; see selftests/Makefile)
#   make tools              the demo and iobmdctl (build/tools/)
#   make userlib            the C core (libiobmd.so), the C++ library over it
#                           (libiobmd++.so) and the examples
#   make install            the libraries' headers, libraries (.so, .a),
#                           iobmd.pc, iobmd++.pc and CMake package, the
#                           tools, man pages, udev rule, and the module
#                           (through DKMS when present, for the running
#                           kernel or each release of KVER="...") under
#                           $(DESTDIR)$(PREFIX) (scripts/install.sh);
#                           make uninstall removes them
#   make abi-check          libiobmd.so.1 and libiobmd++.so.1 against their
#                           ABI dumps in userlib/abi/ (abidiff; part of check)
#   make check              everything tested in QEMU on every kernel of the
#                           matrix: 6.1, 6.12, 7.2, 7.3 (amd64), 6.12, 7.3
#                           (arm64) (root; KERNELS="6.12 7.3-arm64" picks
#                           some, see scripts/check.sh)
#   make check-debug        the same on a KASAN/kmemleak/lockdep kernel, with
#                           fault injection and fuzzing (root)
#   make fuzz               at least 1,000,000 fuzzer calls, 64- and 32-bit,
#                           composed shapes included, on the debug kernel
#                           (root; not in check; FUZZ_OPTS="--no-huge ..."
#                           see scripts/fuzz.sh)
#   make coverage           the suite on the debug kernel with a gcov build
#                           of the module: line and branch coverage of
#                           driver/ a file, HTML in build/coverage/ (root)
#   make demo               the demo run in QEMU on 6.12 (root)
#   make bench              iobmd against dma-heap, udmabuf, anonymous memory
#                           and io_uring in QEMU on 6.12 (bench/results.json,
#                           bench/results.png), then on 7.3, where buffers
#                           map by PMD (bench/results-7.3.*) (root;
#                           BENCH_OPTS="--perf" to profile 6.12 instead, see
#                           scripts/bench.sh)
#   make lint               checkpatch, sparse and W=1
#   make deb                the Debian packages (iobmd-dkms, libiobmd1,
#                           libiobmd-dev, iobmd-tools) into build/deb/,
#                           checked by lintian (scripts/build-deb.sh)
#   make docs               the HTML documentation from Documentation/ into
#                           build/docs/html/ (Sphinx with the kernel's
#                           kernel-doc; any warning fails; scripts/build-docs.sh)
#   make clean
#
# The work is done by the scripts in scripts/; Kbuild lists the objects.

KDIR ?= /lib/modules/$(shell uname -r)/build
KSRC ?=
PREFIX ?= /usr/local

all: $(if $(wildcard $(KDIR)),modules,no-kdir) selftests userlib tools

# Part of `all` without a kernel build tree: the rest still builds.
no-kdir:
	@echo "iobmd.ko not built: no kernel build tree at $(KDIR) (install the" \
		"headers of the running kernel, or pass KDIR=<tree>)" >&2

modules modules_install: kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR) $@

kdir:
	@test -d "$(KDIR)" || { echo "no kernel build tree at $(KDIR):" \
		"install the headers of the running kernel or pass KDIR=<tree>" >&2; exit 1; }

# Part of `all`: skipped with a note when no kernel source provides the
# kselftest harness; `make selftests` on its own insists.
selftests:
	KSRC="$(KSRC)" bash scripts/build-selftests.sh $(if $(filter selftests,$(MAKECMDGOALS)),,--optional)

# Part of `all`: iobmdctl is skipped with a note without libnl's headers.
tools:
	bash scripts/build-tools.sh $(if $(filter tools,$(MAKECMDGOALS)),,--optional)

userlib:
	bash scripts/build-userlib.sh

install:
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" LIBDIR="$(LIBDIR)" \
		INCLUDEDIR="$(INCLUDEDIR)" bash scripts/build-userlib.sh install
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" KVER="$(KVER)" bash scripts/install.sh install

uninstall:
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" LIBDIR="$(LIBDIR)" \
		INCLUDEDIR="$(INCLUDEDIR)" bash scripts/build-userlib.sh uninstall
	PREFIX="$(PREFIX)" DESTDIR="$(DESTDIR)" KVER="$(KVER)" bash scripts/install.sh uninstall

check:
	@bash scripts/check.sh

abi-check:
	@bash scripts/abi-check.sh

check-debug:
	@bash scripts/check-debug.sh

fuzz:
	@bash scripts/fuzz.sh $(FUZZ_OPTS)

coverage:
	@bash scripts/coverage.sh

demo:
	@bash scripts/demo.sh

bench:
	@bash scripts/bench.sh $(BENCH_OPTS)
	@[ -n "$(BENCH_OPTS)" ] || bash scripts/bench.sh --kernel 7.3

lint:
	@bash scripts/lint.sh

deb:
	@bash scripts/build-deb.sh

docs:
	@bash scripts/build-docs.sh

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf build selftests/include selftests/kselftest_install
	rm -f selftests/iobmd_*_test
	rm -f iobmd.ko *.o *.mod *.mod.c Module.symvers modules.order .*.cmd \
		driver/*.o driver/.*.cmd

.PHONY: all no-kdir kdir modules modules_install selftests tools userlib install uninstall check abi-check check-debug fuzz coverage demo bench lint deb docs clean

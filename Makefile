# SPDX-License-Identifier: GPL-2.0
#
# iobmd: IOKit memory descriptors for Linux.
#
#   make                    the module (iobmd.ko) against the running kernel,
#                           and the selftests (build/selftests/)
#   make KDIR=<tree>        the module against another kernel build tree
#   make modules_install    install iobmd.ko into /lib/modules/<release>/
#   make tools              the demo program (build/tools/iobmd_demo)
#   make check              everything tested in QEMU on 6.1 and 6.12 (root)
#   make demo               the demo run in QEMU on 6.12 (root)
#   make lint               checkpatch, sparse and W=1
#   make clean
#
# The work is done by the scripts in scripts/; Kbuild lists the objects.

KDIR ?= /lib/modules/$(shell uname -r)/build
KSRC ?=

all: modules selftests

modules modules_install: kdir
	$(MAKE) -C $(KDIR) M=$(CURDIR) $@

kdir:
	@test -d "$(KDIR)" || { echo "no kernel build tree at $(KDIR):" \
		"install the headers of the running kernel or pass KDIR=<tree>" >&2; exit 1; }

# Part of `all`: skipped with a note when no kernel source provides the
# kselftest harness; `make selftests` on its own insists.
selftests:
	KSRC="$(KSRC)" bash scripts/build-selftests.sh $(if $(filter selftests,$(MAKECMDGOALS)),,--optional)

tools:
	bash scripts/build-demo.sh

check:
	@bash scripts/check.sh

demo:
	@bash scripts/demo.sh

lint:
	@bash scripts/lint.sh

clean:
	@if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf build
	rm -f iobmd.ko *.o *.mod *.mod.c Module.symvers modules.order .*.cmd \
		driver/*.o driver/.*.cmd

.PHONY: all kdir modules modules_install selftests tools check demo lint clean

# SPDX-License-Identifier: GPL-2.0
#
# make                      build the modules against the project kernel (built and cached first)
# make KDIR=/path/to/build  build the modules against your own kernel build (7.3 + patches/, Rust on);
#                           pass LLVM=... as that kernel was built (e.g. LLVM=1)
# make check                the whole suite: set-up, both kernels, lint, VM tests (what CI runs)
# make demo [KERNEL=reference]  boot the project kernel in QEMU and walk through a region
# make lint                 rustfmt and CLIPPY=1 over our Rust, host unit tests
# make soak [WRITES=N] [SEED=S] [KERNEL=reference|project|debug]  the sysfs fuzzer at length
# make soak FAULTS=1        fault injection at every N (debug kernel)
# make ndctl [KERNEL=reference|project] [TESTS="cxl-labels ..."]  ndctl's CXL tests on cxl_test
# make soak PROPS=N [SEED=S]  the host property tests, N cases per property
# make soak RACES=N         the race test, N rounds of each race
# make clean

ifeq ($(origin KDIR),undefined)
KDIR = $(shell $(CURDIR)/scripts/build-kernel project)
LLVM ?= -19
endif

KBUILD_ARGS = -C $(KDIR) M=$(CURDIR) $(if $(LLVM),LLVM=$(LLVM))

.PHONY: all modules clean check demo lint soak ndctl

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no kernel build: run scripts/setup, or pass KDIR="; exit 1; }
	$(MAKE) $(KBUILD_ARGS) modules

clean:
	$(MAKE) $(KBUILD_ARGS) clean
	$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/modules $(if $(LLVM),LLVM=$(LLVM)) clean
	rm -rf out/build

check:
	scripts/check

demo:
	scripts/demo $(if $(KERNEL),--kernel $(KERNEL))

lint:
	scripts/lint

soak:
	scripts/soak $(if $(KERNEL),--kernel $(KERNEL)) $(if $(WRITES),--writes $(WRITES)) $(if $(SEED),--seed $(SEED)) \
		$(if $(FAULTS),--faults) $(if $(PROPS),--props $(PROPS)) $(if $(RACES),--races $(RACES))

ndctl:
	scripts/ndctl $(if $(KERNEL),--kernel $(KERNEL)) $(TESTS)

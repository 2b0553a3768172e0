# SPDX-License-Identifier: GPL-2.0
#
# scx-kick-pseqs: the out-of-tree Rust module and its QEMU test rig.
#
#   make run     boot a lean kernel at 8192 possible CPUs and demo the module
#   make check   KUnit suites in QEMU at 8192 / 4097 / 4 possible CPUs, and
#                Debian's stock kernel at 8192
#   make         build the module (KDIR=/path/to/kernel/build for your own)
#
# Run 'make help' for every target.

include $(CURDIR)/scripts/lib/toolchain.env
# Our kernels are built with the pinned rustc; a module for them must be too.
# Your own kernel (KDIR) gets whatever rustc you have on PATH.
ifeq ($(KDIR),)
export RUSTUP_TOOLCHAIN ?= $(RUST_TOOLCHAIN)
endif
# Debug kernel for make check and plain module builds; lean for make run.
FLAVOUR ?= debug

TOP := $(CURDIR)
export PATH := $(HOME)/.cargo/bin:$(PATH)

# The kernel build tree: yours when KDIR is given, otherwise ours from the
# cache (built on first use). Modules built against different trees go to
# different output directories.
kdir_of = $(if $(KDIR),$(KDIR),$(shell $(TOP)/scripts/kernel --print-dir --flavour $(1) || echo /nonexistent-kernel-build))
# BUILD_NAME names the output directory of a KDIR build (scripts/check).
modout_of = $(TOP)/build/$(or $(BUILD_NAME),$(if $(KDIR),custom,$(1)))
# scripts/kbuild-args picks that kernel's C compiler (LLVM=-19, CC=gcc-14, ...)
# and fails before compiling when rustc is not the kernel's.
kbuild = args=$$($(TOP)/scripts/kbuild-args $(call kdir_of,$(1))) && \
	$(MAKE) -C $(call kdir_of,$(1)) M=$(TOP) MO=$(call modout_of,$(1)) $$args

.PHONY: all module setup kernel run check matrix stock canaries check-4096 kunit boottest mutants bench rust-analyzer rustfmt rustfmtcheck clippy clean help

all: module

help:
	@sed -n 's/^#\( \|$$\)//p' Makefile | sed -n '3,8p'
	@echo "Targets:"
	@echo "  setup          install the toolchain, QEMU and bindgen (idempotent)"
	@echo "  kernel         build (or reuse) the $(FLAVOUR) test kernel"
	@echo "  module         build scx_kick_pseqs.ko against KDIR or the $(FLAVOUR) kernel"
	@echo "  run            the 8192-CPU demo on the lean kernel"
	@echo "  check          KUnit suites in three QEMU scenarios and Debian's stock kernel; prints 'N passed, N failed'"
	@echo "  matrix         the module on GCC/clang 7.3.4, Debian's 7.2.13 and Debian's stock 7.3.4 binaries at 8192 CPUs"
	@echo "  stock          build the module for Debian's stock linux-image-7.3.4+deb13-amd64 (scripts/stock)"
	@echo "  canaries       make each detector of the debug kernel fire once; prints 'caught K of N'"
	@echo "  mutants        a control run, then the suites against each historical bug; prints 'killed K of N'"
	@echo "  bench          Rust vs a C twin of upstream at 64/4097/5000/8192 CPUs"
	@echo "  boottest       Debian's 6.12 and our 7.3 with sched_ext at 4096/4097/8192 CPUs, Debian's stock 7.3.4 by memory"
	@echo "  check-4096     the suites with 1024/2048/4096 vCPUs online (hours on 2 cores)"
	@echo "  kunit          the suites at 8192 CPUs through kunit.py exec"
	@echo "  rustfmtcheck   the kernel's rustfmt check on rust/"
	@echo "  clippy         build with CLIPPY=1"
	@echo "  rust-analyzer  write rust-project.json"
	@echo "  clean          remove module build output and results/"
	@echo "Variables: KDIR=<kernel build tree>  FLAVOUR=debug|rt|lean"
	@echo "  The compiler is the one KDIR/.config names (scripts/kbuild-args --help)."

setup:
	@$(TOP)/scripts/setup

kernel: setup
	@$(TOP)/scripts/kernel --flavour $(FLAVOUR)

module:
	$(call kbuild,$(FLAVOUR))

rust-analyzer:
	$(call kbuild,$(FLAVOUR)) rust-analyzer
	@[ ! -f $(call modout_of,$(FLAVOUR))/rust-project.json ] || cp $(call modout_of,$(FLAVOUR))/rust-project.json $(TOP)/

# The kernel's rustfmt targets only cover its own tree: run the same rustfmt,
# with the kernel's configuration, on our crate root (it follows the mods).
ksrc_of = $(firstword $(wildcard $(call kdir_of,$(1))/source) $(call kdir_of,$(1)))
rustfmt_run = rustfmt --config-path $(call ksrc_of,$(FLAVOUR))/.rustfmt.toml $(1) $(TOP)/rust/scx_kick_pseqs_main.rs

rustfmt:
	$(call rustfmt_run,)

rustfmtcheck:
	$(call rustfmt_run,--check)

clippy:
	$(call kbuild,$(FLAVOUR)) CLIPPY=1 W=1

run: setup
	@$(TOP)/scripts/run

check: setup
	@$(TOP)/scripts/check

matrix: setup
	@$(TOP)/scripts/matrix

stock: setup
	@$(TOP)/scripts/stock

canaries: setup
	@$(TOP)/scripts/canaries

mutants: setup
	@$(TOP)/scripts/mutants

bench: setup
	@$(TOP)/scripts/bench

boottest: setup
	@$(TOP)/scripts/boottest

check-4096: setup
	@$(TOP)/scripts/check-4096

kunit: setup
	@$(TOP)/scripts/kunit

clean:
	rm -rf $(TOP)/build $(TOP)/results $(TOP)/rust-project.json

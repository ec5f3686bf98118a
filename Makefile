# SPDX-License-Identifier: GPL-2.0-or-later
#
# gmrk top-level Makefile.
#
#   make            library, CLI and kernel module
#   make check      lint, host tests, VM tests; ends with "N passed, N failed, N skipped"
#   make demo       the VM demo (see README)
#   make bench      benchmarks against OpenSSL, libgcrypt and the kernel
#   make install    PREFIX=/usr/local DESTDIR=
#
# Each part of the tree brings its own fragment (lib/lib.mk, tools/gmrk/gmrk.mk,
# tests/host/host.mk, ...); this file only wires them together.

# When kbuild reads this directory (make -C $KDIR M=$PWD) it uses Kbuild,
# never this file; guard anyway so an accidental include is harmless.
ifeq ($(KERNELRELEASE),)

SHELL := /bin/bash
TOP := $(CURDIR)
BUILD ?= $(TOP)/build
GMRK_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/gmrk
# KDIR: kernel headers to build the module against; empty means the Debian
# kernel the VM boots (linux-headers-amd64), resolved once deps are in.
KDIR ?=
V ?= 0
export BUILD GMRK_CACHE TOP

CC ?= cc
USER_CFLAGS := -std=c11 -D_DEFAULT_SOURCE -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
	-fstack-protector-strong -D_FORTIFY_SOURCE=2 -I$(TOP)/uapi
SAN_CFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -O1 -g
PREFIX ?= /usr/local
DESTDIR ?=

# Results of every test stage are TAP files in $(RESULTS); tools/tap-summary.sh
# adds them up into the final line.
RESULTS := $(BUILD)/results

.PHONY: all deps module check check-lint lint summary clean install headers

# Fragments add their build targets to ALL_TARGETS (lib, gmrk, ...).
.DEFAULT_GOAL := all
ALL_TARGETS :=

deps:
	@tools/deps.sh

# Resolve KDIR at recipe time: on a new machine the headers only exist
# after deps has run.
kdir = $${KDIR:-/usr/src/linux-headers-$$(tools/kver.sh)}

module: deps
	@kd=$(kdir); echo "  KBUILD  gmrk.ko ($$kd)"; \
	$(MAKE) -C $$kd M=$(TOP) V=$(V) W=1 modules

# kselftest_harness.h, checkpatch.pl & co. from Debian's linux-source.
headers: deps
	@tools/ksrc.sh >/dev/null

# Test stages, in the order make check runs them. Each fragment appends
# its own (CHECK_STAGES += name) and defines check-<name>, which writes
# $(RESULTS)/<name>.tap.
CHECK_STAGES := lint

-include lib/lib.mk
-include tools/gmrk/gmrk.mk
-include tools/bench/bench.mk
-include tools/qemu/qemu.mk
-include tools/demo/demo.mk
-include tests/host/host.mk
-include tests/host/db/db.mk
-include tests/host/envelop/envelop.mk
-include tests/host/reencrypt/reencrypt.mk
-include tests/host/sm4/sm4test.mk
-include tests/host/keys/keys.mk
-include tests/selftests/gmrk/selftests.mk
-include tests/vmlib/vmlib.mk
-include tests/vm/vm.mk
-include tests/qmp/qmp.mk
-include tests/vminfo/vminfo.mk

all: deps module lib gmrk $(ALL_TARGETS)

# make lint prints the report; as a check stage it is saved as TAP.
lint: deps headers
	@mkdir -p $(BUILD); tools/lint.sh | tee $(BUILD)/lint.tap; ! grep -q '^not ok' $(BUILD)/lint.tap

check-lint: deps headers
	@mkdir -p $(RESULTS)
	@tools/lint.sh >$(RESULTS)/lint.tap; grep -E '^(not )?ok' $(RESULTS)/lint.tap; \
	! grep -q '^not ok' $(RESULTS)/lint.tap

# Every stage runs even when an earlier one failed, so one failure does not
# hide the others; the summary (and a missing stage's absent TAP file)
# decides the exit status.
check: deps
	@rm -rf $(RESULTS); mkdir -p $(RESULTS)
	@for s in $(CHECK_STAGES); do \
		echo "== $$s"; \
		$(MAKE) --no-print-directory check-$$s || echo "== $$s: failed"; \
	done
	@echo "== summary"
	@CHECK_STAGES="$(CHECK_STAGES)" RESULTS=$(RESULTS) tools/tap-summary.sh $(RESULTS)/*.tap

summary:
	@CHECK_STAGES="$(CHECK_STAGES)" RESULTS=$(RESULTS) tools/tap-summary.sh $(RESULTS)/*.tap

clean:
	rm -rf $(BUILD)
	@kd=$(kdir); [ -d $$kd ] && $(MAKE) -C $$kd M=$(TOP) clean >/dev/null || true

endif

# SPDX-License-Identifier: GPL-2.0-or-later
#
# make demo: the README's main job. Boots the VM with the gmrk module and a
# card, runs a message-store workload through libgmrk with a card failure
# injected half-way, then a smaller store under a master key held in the
# card's key slot 0, then runs the same workload on the host in software.
# DEMO_MODE=pci (the default) uses the gm-rk card emulated in QEMU
# (tools/qemu/build.sh, built once and cached); DEMO_MODE=sim uses the
# module's emulation device instead.

DEMO_BIN := $(BUILD)/demo/extra/bin/gmrk-demo
# the gmrk CLI for the card-held master key part, with its shared library
# in the guest's /extra/lib (the CLI finds it through $ORIGIN/../lib)
DEMO_CLI := $(BUILD)/demo/extra/bin/gmrk $(BUILD)/demo/extra/lib/libgmrk.so.$(GMRK_SOVERSION)
DEMO_MODE ?= pci

$(BUILD)/demo/extra/bin/gmrk: $(GMRK_CLI)
	@mkdir -p $(dir $@)
	@install -m 0755 $< $@
$(BUILD)/demo/extra/lib/libgmrk.so.$(GMRK_SOVERSION): $(LIB_SO)
	@mkdir -p $(dir $@)
	@install -m 0755 $< $@

$(DEMO_BIN): tools/demo/gmrk-demo.c $(LIB_A) lib/include/gmrk/gmrk.h
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(USER_CFLAGS) -I$(TOP)/lib/include -o $@ $< $(LIB_A) $(LIB_LIBS)

.PHONY: demo demo-bin
demo-bin: $(DEMO_BIN)

demo: deps module $(DEMO_BIN) $(DEMO_CLI)
	@echo "== gmrk demo, part 1: in the VM, with the card ($(DEMO_MODE))"
	@tools/demo/run-vm.sh $(DEMO_MODE) $(BUILD)/demo/extra $(BUILD)/demo
	@echo
	@echo "== gmrk demo, part 2: on the host, in software (no card, no AF_ALG here)"
	@rm -rf $(BUILD)/demo/host-store
	@GMRK_KEY=$$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n') GMRK_BACKEND=auto \
		$(DEMO_BIN) --dir $(BUILD)/demo/host-store --streams 4 --blocks 64 \
		--label "host store"

# SPDX-License-Identifier: GPL-2.0-or-later
#
# make demo: the README's main job. Boots the VM with the gmrk module and a
# card, runs a message-store workload through libgmrk with a card failure
# injected half-way, then runs the same workload on the host in software.
# DEMO_MODE=pci uses the gm-rk card emulated in QEMU (tools/qemu/build.sh);
# the default, sim, uses the module's emulation device.

DEMO_BIN := $(BUILD)/demo/extra/bin/gmrk-demo
DEMO_MODE ?= sim

$(DEMO_BIN): tools/demo/gmrk-demo.c $(LIB_A) lib/include/gmrk/gmrk.h
	@mkdir -p $(dir $@)
	@echo "  CCLD    $@"
	@$(CC) $(USER_CFLAGS) -I$(TOP)/lib/include -o $@ $< $(LIB_A) $(LIB_LIBS)

.PHONY: demo demo-bin
demo-bin: $(DEMO_BIN)

demo: deps module $(DEMO_BIN)
	@echo "== gmrk demo, part 1: in the VM, with the card ($(DEMO_MODE))"
	@if [ "$(DEMO_MODE)" = pci ]; then \
		q=$$(tools/qemu/build.sh | tail -1) || exit 1; \
		qa="--qemu $$q --host-hook tools/demo/host-hook.sh"; \
	fi; \
	tests/vm/run.sh --mode $(DEMO_MODE) --name demo $$qa \
		--guest-script tools/demo/guest.sh --extra $(BUILD)/demo/extra \
		--tap $(BUILD)/demo/vm.tap --log $(BUILD)/demo/vm.log >/dev/null 2>&1; \
	rc=$$?; sed -n '/^GMRK-TEST-BEGIN/,/^GMRK-TEST-END/p' $(BUILD)/demo/vm.log | \
		grep -v '^GMRK-TEST-\|^$$'; \
	[ $$rc = 0 ] || { echo "demo: the VM run failed, see build/vm/demo/"; exit 1; }
	@echo
	@echo "== gmrk demo, part 2: on the host, in software (no card, no AF_ALG here)"
	@rm -rf $(BUILD)/demo/host-store
	@GMRK_KEY=$$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n') GMRK_BACKEND=auto \
		$(DEMO_BIN) --dir $(BUILD)/demo/host-store --streams 4 --blocks 64 \
		--label "host store"

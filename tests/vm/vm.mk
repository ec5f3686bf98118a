# SPDX-License-Identifier: GPL-2.0-or-later
#
# VM test stages: the kselftests of tests/selftests/gmrk/ inside Debian's
# kernel, against the emulation device (vm-sim) and against the gm-rk card
# emulated in QEMU (vm-pci). See tests/vm/run.sh.

VM_TIMEOUT ?= 1200
VM_RUN := $(TOP)/tests/vm/run.sh

CHECK_STAGES += vm-sim
check-vm-sim: module selftests
	@mkdir -p $(RESULTS)
	@$(VM_RUN) --mode sim --name check-sim --tests $(BUILD)/selftests/gmrk \
		--timeout $(VM_TIMEOUT) --tap $(RESULTS)/vm-sim.tap >/dev/null

ifneq ($(wildcard $(TOP)/tools/qemu/build.sh),)
CHECK_STAGES += vm-pci
check-vm-pci: module selftests
	@mkdir -p $(RESULTS)
	@q=$$($(TOP)/tools/qemu/build.sh | tail -1) && \
	$(VM_RUN) --mode pci --name check-pci --qemu $$q --tests $(BUILD)/selftests/gmrk \
		--timeout $(VM_TIMEOUT) --tap $(RESULTS)/vm-pci.tap >/dev/null
endif

# All VM stages, for running them without the rest of make check.
check-vm: $(foreach s,$(filter vm-%,$(CHECK_STAGES)),check-$(s))
	@CHECK_STAGES="$(filter vm-%,$(CHECK_STAGES))" RESULTS=$(RESULTS) \
		$(TOP)/tools/tap-summary.sh $(addprefix $(RESULTS)/,$(addsuffix .tap,$(filter vm-%,$(CHECK_STAGES))))

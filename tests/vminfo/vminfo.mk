# SPDX-License-Identifier: GPL-2.0-or-later
#
# vm-info: tests of `gmrk info` without FILE arguments (the device status,
# tools/gmrk/cmd_devinfo.c) on the host, in the VM against emulation
# devices and against the gm-rk card emulated in QEMU. Included by the
# top-level Makefile.
#
#   make vminfo-tests   build what the VM runs into $(BUILD)/vminfo/
#   make check-vm-info  run it all, TAP in $(RESULTS)/vm-info.tap
#
# gmrk-devinfo is cmd_devinfo.c linked with a three-line main
# (devinfo_main.c) instead of the whole CLI, so the VM needs neither
# libgmrk nor OpenSSL for it. Both programs build under ASan+UBSan.

VMINFO_SRC := $(TOP)/tests/vminfo
VMINFO_OUT := $(BUILD)/vminfo
VMINFO_CFLAGS := $(USER_CFLAGS) $(SAN_CFLAGS) -I$(TOP)/tools/gmrk \
	-I$(TOP)/tests/selftests/gmrk

VMINFO_BINS := $(VMINFO_OUT)/extra/gmrk-devinfo $(VMINFO_OUT)/extra/vminfo-helper
# The harness runs every executable in a tests directory: the guest
# scripts only, under names that order them; guest_lib.sh is sourced.
VMINFO_GUEST := $(VMINFO_OUT)/sim-tests/vminfo_10_sim $(VMINFO_OUT)/sim-tests/guest_lib.sh \
	$(VMINFO_OUT)/pci-tests/vminfo_10_pci $(VMINFO_OUT)/pci-tests/guest_lib.sh

.PHONY: vminfo-tests check-vm-info

vminfo-tests: $(VMINFO_BINS) $(VMINFO_GUEST)

$(VMINFO_OUT)/extra/gmrk-devinfo: $(VMINFO_SRC)/devinfo_main.c $(TOP)/tools/gmrk/cmd_devinfo.c \
		$(TOP)/tools/gmrk/devinfo.h $(TOP)/uapi/linux/gmrk.h $(TOP)/driver/gmrk_hw.h | deps
	@mkdir -p $(@D)
	@echo "  CCLD    vminfo/gmrk-devinfo"
	@$(CC) $(VMINFO_CFLAGS) -o $@ $(VMINFO_SRC)/devinfo_main.c $(TOP)/tools/gmrk/cmd_devinfo.c -lpci

$(VMINFO_OUT)/extra/vminfo-helper: $(VMINFO_SRC)/vminfo_helper.c \
		$(TOP)/tests/selftests/gmrk/af_alg.c $(TOP)/tests/selftests/gmrk/af_alg.h | deps
	@mkdir -p $(@D)
	@echo "  CCLD    vminfo/vminfo-helper"
	@$(CC) $(VMINFO_CFLAGS) -o $@ $(VMINFO_SRC)/vminfo_helper.c \
		$(TOP)/tests/selftests/gmrk/af_alg.c

$(VMINFO_OUT)/sim-tests/vminfo_10_sim: $(VMINFO_SRC)/guest_sim.sh
	@mkdir -p $(@D)
	@install -m 0755 $< $@
$(VMINFO_OUT)/pci-tests/vminfo_10_pci: $(VMINFO_SRC)/guest_pci.sh
	@mkdir -p $(@D)
	@install -m 0755 $< $@
$(VMINFO_OUT)/%-tests/guest_lib.sh: $(VMINFO_SRC)/guest_lib.sh
	@mkdir -p $(@D)
	@install -m 0644 $< $@

CHECK_STAGES += vm-info

check-vm-info: module vminfo-tests
	@mkdir -p $(RESULTS)
	@$(VMINFO_SRC)/check.sh $(VMINFO_OUT) >$(RESULTS)/vm-info.tap.tmp; \
		rc=$$?; mv $(RESULTS)/vm-info.tap.tmp $(RESULTS)/vm-info.tap; \
		grep -E '^(not )?ok' $(RESULTS)/vm-info.tap; exit $$rc

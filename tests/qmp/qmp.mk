# SPDX-License-Identifier: GPL-2.0-or-later
#
# VM tests of the gm-rk card emulated in QEMU that need the host's hand:
# fault knobs set over QMP, hot-unplug, two cards, key slots kept in a
# keystore file across boots. Included by the top-level Makefile.
#
#   make qmp-tests            guest programs into $(BUILD)/qmp-tests/<scenario>/
#   make check-vm-pci-faults  run every scenario, TAP in $(RESULTS)/vm-pci-faults.tap
#
# Each scenario is one VM boot (tests/vm/run.sh) with its own QEMU
# arguments; tests/qmp/check.sh runs them with tests/qmp/qmp.py as the
# host hook and merges their TAP. The guest programs print KTAP through
# the kernel's kselftest_harness.h and reuse the selftests' OpenSSL
# reference AEADs and SM2 encryption and AF_ALG helpers
# (tests/selftests/gmrk/).

QMP_SRC := $(TOP)/tests/qmp
QMP_OUT := $(BUILD)/qmp-tests
# Objects outside the scenario directories: the harness runs all there is.
QMP_OBJ := $(QMP_OUT)/obj
QMP_ST := $(TOP)/tests/selftests/gmrk

# scenario/program: the program runs in that scenario's VM.
QMP_PROGS := model/qmp_10_model faults/qmp_20_faults unplug/qmp_30_unplug \
	twocards/qmp_40_two_cards keys/qmp_50_keyslots keys2/qmp_51_keystore

# kselftest_harness.h: tools/ksrc.sh is asked once per make run, when needed.
QMP_KSFT_DIR = $(eval QMP_KSFT_DIR := $(shell $(TOP)/tools/ksrc.sh)/tools/testing/selftests)$(QMP_KSFT_DIR)
QMP_CFLAGS = $(USER_CFLAGS) $(SAN_CFLAGS) -Wno-unused-parameter \
	-I$(QMP_SRC) -I$(QMP_ST) -I$(TOP)/driver -I$(QMP_KSFT_DIR)
QMP_LDLIBS := -lcrypto -lpthread

# Shared pieces: ours (card_access.o has hook(), which every program uses),
# and the selftests' helpers built into our own objects.
QMP_LIB_OBJS := $(QMP_OBJ)/card_access.o
QMP_ST_LIB := af_alg aead_case gmrk_ctl load_worker ref_aead test_algs
QMP_ST_OBJS := $(addprefix $(QMP_OBJ)/st_,$(addsuffix .o,$(QMP_ST_LIB)))

QMP_BINS := $(addprefix $(QMP_OUT)/,$(QMP_PROGS))

.PHONY: qmp-tests check-vm-pci-faults

qmp-tests: $(QMP_BINS)

$(QMP_OBJ)/%.o: $(QMP_SRC)/%.c | headers
	@mkdir -p $(@D)
	@echo "  CC      qmp/$*.o"
	@$(CC) $(QMP_CFLAGS) -MMD -MP -c -o $@ $<

$(QMP_OBJ)/st_%.o: $(QMP_ST)/%.c | headers
	@mkdir -p $(@D)
	@echo "  CC      qmp/st_$*.o"
	@$(CC) $(QMP_CFLAGS) -MMD -MP -c -o $@ $<

# Each program links only what it uses; the model test needs no AF_ALG.
$(QMP_OUT)/model/qmp_10_model: $(QMP_OBJ)/qmp_10_model.o $(QMP_LIB_OBJS) \
		$(QMP_OBJ)/st_ref_aead.o
$(QMP_OUT)/faults/qmp_20_faults $(QMP_OUT)/unplug/qmp_30_unplug \
$(QMP_OUT)/twocards/qmp_40_two_cards: $(QMP_OBJ)/qmp_common.o $(QMP_LIB_OBJS) \
		$(QMP_ST_OBJS)
$(QMP_OUT)/faults/qmp_20_faults: $(QMP_OBJ)/qmp_20_faults.o
$(QMP_OUT)/unplug/qmp_30_unplug: $(QMP_OBJ)/qmp_30_unplug.o
$(QMP_OUT)/twocards/qmp_40_two_cards: $(QMP_OBJ)/qmp_40_two_cards.o
# The key-slot boots: no driver, the selftests' SM2 references with OpenSSL.
QMP_KEY_OBJS := $(QMP_LIB_OBJS) $(QMP_OBJ)/card_keys.o $(QMP_OBJ)/st_sm2_ref.o
$(QMP_OUT)/keys/qmp_50_keyslots: $(QMP_OBJ)/qmp_50_keyslots.o $(QMP_KEY_OBJS)
$(QMP_OUT)/keys2/qmp_51_keystore: $(QMP_OBJ)/qmp_51_keystore.o $(QMP_KEY_OBJS)

$(QMP_BINS):
	@mkdir -p $(@D)
	@echo "  LD      qmp-tests/$(notdir $(@D))/$(@F)"
	@$(CC) $(SAN_CFLAGS) -o $@ $^ $(QMP_LDLIBS)

CHECK_STAGES += vm-pci-faults

# The card stage runs whatever it can: the model scenario needs no driver,
# the others report "not ok" themselves when gmrk.ko is missing.
check-vm-pci-faults: qmp-tests
	@mkdir -p $(RESULTS)
	-@$(MAKE) --no-print-directory module >/dev/null
	@$(QMP_SRC)/check.sh $(QMP_OUT) >$(RESULTS)/vm-pci-faults.tap.tmp; \
		rc=$$?; mv $(RESULTS)/vm-pci-faults.tap.tmp $(RESULTS)/vm-pci-faults.tap; \
		exit $$rc

-include $(wildcard $(QMP_OBJ)/*.d)

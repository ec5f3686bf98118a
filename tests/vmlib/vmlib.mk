# SPDX-License-Identifier: GPL-2.0-or-later
#
# In-VM tests of libgmrk's AF_ALG paths (card and kernel backends), of
# the software fallback under the emulation device's fault injection, and
# of the card master key (the device's key slots, gmrk cardkey, gmrk
# envelop --to-card-key), against the emulation device and against the
# QEMU card. Programs link the shared libgmrk (absolute
# RUNPATH: the VM harness copies libraries at their host paths) and cmocka
# (TAP output); the gmrk CLI goes to the guest's /extra/bin with its
# library in /extra/lib ($ORIGIN/../lib).
#
#   make check-vm-lib   $(RESULTS)/vm-lib.tap

CHECK_STAGES += vm-lib

VMLIB_OUT := $(BUILD)/vmlib
VMLIB_TESTS := $(VMLIB_OUT)/tests/gmrk_lib_10_paths $(VMLIB_OUT)/tests/gmrk_lib_20_fallback \
	$(VMLIB_OUT)/tests/gmrk_lib_30_cardkey
VMLIB_EXTRA := $(VMLIB_OUT)/extra/bin/gmrk $(VMLIB_OUT)/extra/lib/libgmrk.so.$(GMRK_SOVERSION)
VMLIB_CFLAGS := $(USER_CFLAGS) -I$(TOP)/lib/include -I$(TOP)/tests/host -I$(TOP)/tests/host/keys \
	-I$(TOP)/tests/vmlib
# the host tests' helpers: common.c, and th_keys.c's file helpers
VMLIB_COMMON := $(VMLIB_OUT)/obj/common.o $(VMLIB_OUT)/obj/th_keys.o $(VMLIB_OUT)/obj/vmlib.o

.PHONY: check-vm-lib vmlib-tests
vmlib-tests: $(VMLIB_TESTS) $(VMLIB_EXTRA)

$(VMLIB_OUT)/extra/bin/gmrk: $(GMRK_CLI)
	@mkdir -p $(dir $@)
	@install -m 0755 $< $@
$(VMLIB_OUT)/extra/lib/libgmrk.so.$(GMRK_SOVERSION): $(LIB_SO)
	@mkdir -p $(dir $@)
	@install -m 0755 $< $@

$(VMLIB_OUT)/obj/common.o: tests/host/common.c tests/host/common.h $(LIB_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(VMLIB_CFLAGS) -c -o $@ $<

$(VMLIB_OUT)/obj/th_keys.o: tests/host/keys/th_keys.c tests/host/keys/th_keys.h $(LIB_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(VMLIB_CFLAGS) $(KEYS_CFLAGS) -c -o $@ $<

$(VMLIB_OUT)/obj/%.o: tests/vmlib/%.c tests/vmlib/vmlib.h tests/host/common.h \
		tests/host/keys/th_keys.h tests/host/vectors.h $(LIB_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(VMLIB_CFLAGS) -c -o $@ $<

$(VMLIB_OUT)/tests/gmrk_lib_%: $(VMLIB_OUT)/obj/vmlib_%.o $(VMLIB_COMMON) $(LIB_OUT)/libgmrk.so
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) -o $@ $< $(VMLIB_COMMON) -L$(LIB_OUT) -lgmrk -lcmocka -lcrypto -lpthread \
		$(KEYS_LIBS) -Wl,-rpath,$(LIB_OUT)

.SECONDARY: $(VMLIB_COMMON) $(VMLIB_OUT)/obj/vmlib_10_paths.o $(VMLIB_OUT)/obj/vmlib_20_fallback.o \
	$(VMLIB_OUT)/obj/vmlib_30_cardkey.o

# Two boots (tests/vmlib/check.sh): every program against the emulation
# device, then again against the QEMU card (two of them, for the card-key
# test's second device); what needs the emulation device's knobs skips
# there, with the reason. One TAP document, results named sim: and pci:.
check-vm-lib: module vmlib-tests
	@mkdir -p $(RESULTS)
	@$(TOP)/tests/vmlib/check.sh $(VMLIB_OUT) >$(RESULTS)/vm-lib.tap.tmp; \
		rc=$$?; mv $(RESULTS)/vm-lib.tap.tmp $(RESULTS)/vm-lib.tap; exit $$rc

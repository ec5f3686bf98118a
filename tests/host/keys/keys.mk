# SPDX-License-Identifier: GPL-2.0-or-later
#
# Tests of lib/keys (SM2 and TPM master keys) and gmrk genkeypair:
# cmocka programs built with ASan+UBSan against lib/keys' sources, TAP.
# The TPM tests start their own swtpm on 127.0.0.1 and skip, with the
# reason, when it cannot start.
#
#   make check-host-keys    $(RESULTS)/host-keys.tap

include $(TOP)/lib/keys/keys.mk

CHECK_STAGES += host-keys

HK_OUT := $(BUILD)/host-keys
HK_TESTS := sm2 pincode genkeypair tpm
HK_BINS := $(addprefix $(HK_OUT)/test_,$(HK_TESTS))
HK_CLI := $(HK_OUT)/gmrk-genkeypair
HK_CFLAGS := $(USER_CFLAGS) $(SAN_CFLAGS) -I$(TOP)/lib/include $(KEYS_CFLAGS) \
	-I$(TOP)/tests/host/keys -I$(TOP)/tools/gmrk
HK_LIBS := -lcmocka $(KEYS_LIBS) -lutil
# lib/keys sanitized, as its own archive for these tests
HK_KEYS_OBJS := $(patsubst %.c,$(HK_OUT)/obj/%.o,$(KEYS_SRCS))
HK_KEYS_A := $(HK_OUT)/libgmrk-keys-san.a
HK_COMMON := $(HK_OUT)/obj/tests/host/keys/th_keys.o
HK_HDRS := $(KEYS_HDRS) lib/include/gmrk/gmrk.h tests/host/keys/th_keys.h \
	tests/host/common.h tools/gmrk/cli.h

.PHONY: check-host-keys host-keys-tests
host-keys-tests: $(HK_BINS) $(HK_CLI)

$(HK_OUT)/obj/%.o: %.c $(HK_HDRS) tests/host/keys/keys.mk lib/keys/keys.mk
	@mkdir -p $(dir $@)
	@echo "  CC [san] $<"
	@$(CC) $(HK_CFLAGS) -c -o $@ $<

$(HK_KEYS_A): $(HK_KEYS_OBJS)
	@rm -f $@
	@ar rcs $@ $^

$(HK_OUT)/test_%: $(HK_OUT)/obj/tests/host/keys/test_%.o $(HK_COMMON) $(HK_KEYS_A)
	@echo "  LD [san] $@"
	@$(CC) $(SAN_CFLAGS) -o $@ $^ $(HK_LIBS)

# gmrk genkeypair on its own until the CLI dispatches to it
$(HK_CLI): $(HK_OUT)/obj/tests/host/keys/genkeypair_main.o \
		$(HK_OUT)/obj/tools/gmrk/cmd_genkeypair.o $(HK_KEYS_A)
	@echo "  LD [san] $@"
	@$(CC) $(SAN_CFLAGS) -o $@ $^ $(KEYS_LIBS)

# libgmrk with its providers, end to end through gmrk_key_open: linked
# against the sanitized library objects of tests/host/host.mk (which
# contain lib/keys), so not against $(HK_KEYS_A) as well, and with the
# host tests' common.c (th_key_ok)
HK_PROVIDERS := $(HK_OUT)/test_providers
HK_BINS += $(HK_PROVIDERS)
host-keys-tests: $(HK_PROVIDERS)

$(HK_PROVIDERS): $(HK_OUT)/obj/tests/host/keys/test_providers.o $(HK_COMMON) \
		$(HK_OUT)/obj/tests/host/common.o $(HOST_LIB_OBJS)
	@echo "  LD [san] $@"
	@$(CC) $(SAN_CFLAGS) -o $@ $^ -lcmocka $(HOST_LIBS)

# the card master-key provider without a card: its key-file codec and the
# DER -> raw conversion (lib internals), GMRK_CARD_KEY with no /dev/gmrk*
HK_CARDKEY := $(HK_OUT)/test_cardkey
HK_BINS += $(HK_CARDKEY)
host-keys-tests: $(HK_CARDKEY)
$(HK_OUT)/obj/tests/host/keys/test_cardkey.o: HK_CFLAGS += -I$(TOP)/lib
$(HK_OUT)/obj/tests/host/keys/test_cardkey.o: lib/internal.h lib/cardkey.h

$(HK_CARDKEY): $(HK_OUT)/obj/tests/host/keys/test_cardkey.o $(HK_COMMON) $(HOST_LIB_OBJS)
	@echo "  LD [san] $@"
	@$(CC) $(SAN_CFLAGS) -o $@ $^ -lcmocka $(HOST_LIBS)

check-host-keys: deps host-keys-tests keys
	@mkdir -p $(RESULTS)
	@GMRK_TEST_GENKEYPAIR=$(HK_CLI) tests/host/run.sh $(RESULTS)/host-keys.tap $(HK_BINS)

.SECONDARY: $(HK_COMMON) $(HK_OUT)/obj/tests/host/common.o \
	$(patsubst %,$(HK_OUT)/obj/tests/host/keys/test_%.o,$(HK_TESTS) providers \
	cardkey)

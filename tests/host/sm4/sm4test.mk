# SPDX-License-Identifier: GPL-2.0-or-later
#
# Host tests of lib/sm4 (SM4-GCM), under ASan/UBSan: `make check-host-sm4`
# writes $(RESULTS)/host-sm4.tap.

include $(TOP)/lib/sm4/sm4.mk

SM4TEST_BIN := $(BUILD)/tests/host/sm4/sm4gcm_test
SM4TEST_SRCS := tests/host/sm4/sm4gcm_test.c $(SM4_SRCS)

CHECK_STAGES += host-sm4
.PHONY: check-host-sm4

$(SM4TEST_BIN): $(addprefix $(TOP)/,$(SM4TEST_SRCS)) $(wildcard $(TOP)/lib/sm4/*.h) \
		$(TOP)/lib/sm4/sm4.mk $(TOP)/tests/host/sm4/sm4test.mk
	@mkdir -p $(@D)
	@echo "  CC      $(@F)"
	@$(CC) $(USER_CFLAGS) $(SAN_CFLAGS) $(SM4_CFLAGS) -o $@ \
		$(addprefix $(TOP)/,$(SM4TEST_SRCS)) -lcmocka -lgcrypt $(SM4_LIBS) -lpthread

# The test binary exits non-zero on a failure; the TAP file is kept anyway.
check-host-sm4: $(SM4TEST_BIN)
	@mkdir -p $(RESULTS)
	@$(SM4TEST_BIN) > $(RESULTS)/host-sm4.tap; rc=$$?; \
		grep -E '^(not )?ok ' $(RESULTS)/host-sm4.tap | sed 's/^/  host-sm4: /'; exit $$rc

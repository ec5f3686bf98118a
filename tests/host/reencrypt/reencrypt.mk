# SPDX-License-Identifier: GPL-2.0-or-later
#
# Tests of gmrk reencrypt (tools/gmrk/cmd_reencrypt.c): cmocka built with
# ASan+UBSan against the library's sources, TAP output. Files are sealed
# and opened with the real gmrk (build/bin/gmrk); the command under test
# is a sanitized gmrk-reencrypt, which the kill test SIGKILLs 100 times.
#
#   make check-host-reencrypt    $(RESULTS)/host-reencrypt.tap

CHECK_STAGES += host-reencrypt

HREENC_OUT := $(BUILD)/host-reencrypt
HREENC_BIN := $(HREENC_OUT)/test_reencrypt
HREENC_CFLAGS := $(USER_CFLAGS) $(SAN_CFLAGS) -I$(TOP)/lib/include -I$(TOP)/lib \
	-I$(TOP)/tests/host -I$(TOP)/tools/gmrk \
	$(if $(filter y,$(SM4_READY)),$(SM4_CFLAGS) -DGMRK_HAVE_SM4GCM)
HREENC_LIB_OBJS := $(patsubst %.c,$(HREENC_OUT)/obj/%.o,$(sort $(LIB_SRCS)))
HREENC_HDRS := $(LIB_HDRS) lib/internal.h tests/host/common.h tools/gmrk/cli.h \
	tests/host/keys/th_keys.h
HREENC_CLI := $(HREENC_OUT)/gmrk-reencrypt
HREENC_CLI_OBJS := $(addprefix $(HREENC_OUT)/obj/,tests/host/reencrypt/reencrypt_main.o \
	tools/gmrk/cmd_reencrypt.o tools/gmrk/cli.o tools/gmrk/progress.o)

.PHONY: check-host-reencrypt host-reencrypt-tests
host-reencrypt-tests: $(HREENC_BIN) $(HREENC_CLI) $(GMRK_CLI)

$(HREENC_OUT)/obj/%.o: %.c $(HREENC_HDRS) tests/host/reencrypt/reencrypt.mk
	@mkdir -p $(dir $@)
	@echo "  CC [san] $<"
	@$(CC) $(HREENC_CFLAGS) -c -o $@ $<

$(HREENC_BIN): $(HREENC_OUT)/obj/tests/host/reencrypt/test_reencrypt.o \
		$(HREENC_OUT)/obj/tests/host/common.o \
		$(HREENC_OUT)/obj/tests/host/keys/th_keys.o $(HREENC_LIB_OBJS)
	@echo "  LD [san] $@"
	@$(CC) $(SAN_CFLAGS) -o $@ $^ -lcmocka $(LIB_LIBS)

$(HREENC_CLI): $(HREENC_CLI_OBJS) $(HREENC_LIB_OBJS)
	@echo "  LD [san] $@"
	@$(CC) $(SAN_CFLAGS) -o $@ $^ $(LIB_LIBS)

check-host-reencrypt: deps host-reencrypt-tests
	@mkdir -p $(RESULTS)
	@GMRK_TEST_REENCRYPT_CLI=$(HREENC_CLI) GMRK_TEST_GMRK=$(GMRK_CLI) \
		tests/host/run.sh $(RESULTS)/host-reencrypt.tap $(HREENC_BIN)

.SECONDARY: $(HREENC_CLI_OBJS) $(HREENC_OUT)/obj/tests/host/reencrypt/test_reencrypt.o \
	$(HREENC_OUT)/obj/tests/host/common.o $(HREENC_OUT)/obj/tests/host/keys/th_keys.o

# SPDX-License-Identifier: GPL-2.0-or-later
#
# Tests of master-key rotation: gmrk_key_rewrap (lib/key.c) and gmrk
# envelop (tools/gmrk/cmd_envelop.c), cmocka built with ASan+UBSan against
# the library's sources, TAP output. The kill test runs a sanitized
# gmrk-envelop and SIGKILLs it 100 times.
#
#   make check-host-envelop    $(RESULTS)/host-envelop.tap

CHECK_STAGES += host-envelop

HENV_OUT := $(BUILD)/host-envelop
HENV_BIN := $(HENV_OUT)/test_envelop
HENV_CFLAGS := $(USER_CFLAGS) $(SAN_CFLAGS) -I$(TOP)/lib/include -I$(TOP)/lib \
	-I$(TOP)/tests/host -I$(TOP)/tools/gmrk \
	$(if $(filter y,$(SM4_READY)),$(SM4_CFLAGS) -DGMRK_HAVE_SM4GCM)
HENV_LIB_OBJS := $(patsubst %.c,$(HENV_OUT)/obj/%.o,$(sort $(LIB_SRCS)))
HENV_HDRS := $(LIB_HDRS) lib/internal.h tests/host/common.h tools/gmrk/cli.h \
	tests/host/keys/th_keys.h
HENV_CLI := $(HENV_OUT)/gmrk-envelop
HENV_CLI_OBJS := $(addprefix $(HENV_OUT)/obj/,tests/host/envelop/envelop_main.o \
	tools/gmrk/cmd_envelop.o tools/gmrk/cli.o)

.PHONY: check-host-envelop host-envelop-tests
host-envelop-tests: $(HENV_BIN) $(HENV_CLI)

$(HENV_OUT)/obj/%.o: %.c $(HENV_HDRS) tests/host/envelop/envelop.mk
	@mkdir -p $(dir $@)
	@echo "  CC [san] $<"
	@$(CC) $(HENV_CFLAGS) -c -o $@ $<

$(HENV_BIN): $(HENV_OUT)/obj/tests/host/envelop/test_envelop.o \
		$(HENV_OUT)/obj/tests/host/common.o \
		$(HENV_OUT)/obj/tests/host/keys/th_keys.o $(HENV_LIB_OBJS)
	@echo "  LD [san] $@"
	@$(CC) $(SAN_CFLAGS) -o $@ $^ -lcmocka $(LIB_LIBS)

$(HENV_CLI): $(HENV_CLI_OBJS) $(HENV_LIB_OBJS)
	@echo "  LD [san] $@"
	@$(CC) $(SAN_CFLAGS) -o $@ $^ $(LIB_LIBS)

check-host-envelop: deps host-envelop-tests
	@mkdir -p $(RESULTS)
	@GMRK_TEST_ENVELOP_CLI=$(HENV_CLI) tests/host/run.sh $(RESULTS)/host-envelop.tap $(HENV_BIN)

.SECONDARY: $(HENV_CLI_OBJS) $(HENV_OUT)/obj/tests/host/envelop/test_envelop.o \
	$(HENV_OUT)/obj/tests/host/common.o $(HENV_OUT)/obj/tests/host/keys/th_keys.o

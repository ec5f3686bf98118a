# SPDX-License-Identifier: GPL-2.0-or-later
#
# Tests of the keystore (lib/db.c) and gmrk db (tools/gmrk/cmd_db.c):
# cmocka programs built with ASan+UBSan against the library's sources and
# lib/db.c (listed here until lib/lib.mk lists it; $(sort) keeps it once
# when it does), TAP output.
#
#   make check-host-db    $(RESULTS)/host-db.tap

CHECK_STAGES += host-db

HDB_OUT := $(BUILD)/host-db
HDB_TESTS := db db_cli
HDB_BINS := $(addprefix $(HDB_OUT)/test_,$(HDB_TESTS))
HDB_CFLAGS := $(USER_CFLAGS) $(SAN_CFLAGS) -I$(TOP)/lib/include -I$(TOP)/lib \
	-I$(TOP)/tests/host -I$(TOP)/tools/gmrk \
	$(if $(filter y,$(SM4_READY)),$(SM4_CFLAGS) -DGMRK_HAVE_SM4GCM)
HDB_LIBS := -lcmocka $(LIB_LIBS)
HDB_LIB_OBJS := $(patsubst %.c,$(HDB_OUT)/obj/%.o,$(sort $(LIB_SRCS) lib/db.c))
HDB_COMMON := $(HDB_OUT)/obj/tests/host/common.o
HDB_HDRS := $(LIB_HDRS) lib/include/gmrk/db.h lib/internal.h tests/host/common.h \
	tools/gmrk/cli.h tools/gmrk/cmd_db.h
# gmrk db on its own, sanitized, until the CLI dispatches to it
HDB_CLI := $(HDB_OUT)/gmrk-db
HDB_CLI_OBJS := $(addprefix $(HDB_OUT)/obj/,tests/host/db/db_main.o \
	tools/gmrk/cmd_db.o tools/gmrk/cli.o)

.PHONY: check-host-db host-db-tests
host-db-tests: $(HDB_BINS) $(HDB_CLI)

$(HDB_OUT)/obj/%.o: %.c $(HDB_HDRS) tests/host/db/db.mk
	@mkdir -p $(dir $@)
	@echo "  CC [san] $<"
	@$(CC) $(HDB_CFLAGS) -c -o $@ $<

$(HDB_OUT)/test_%: $(HDB_OUT)/obj/tests/host/db/test_%.o $(HDB_COMMON) $(HDB_LIB_OBJS)
	@echo "  LD [san] $@"
	@$(CC) $(SAN_CFLAGS) -o $@ $^ $(HDB_LIBS)

$(HDB_CLI): $(HDB_CLI_OBJS) $(HDB_LIB_OBJS)
	@echo "  LD [san] $@"
	@$(CC) $(SAN_CFLAGS) -o $@ $^ $(LIB_LIBS)

check-host-db: deps host-db-tests
	@mkdir -p $(RESULTS)
	@GMRK_TEST_DB_CLI=$(HDB_CLI) tests/host/run.sh $(RESULTS)/host-db.tap $(HDB_BINS)

.SECONDARY: $(HDB_COMMON) $(HDB_CLI_OBJS) \
	$(patsubst %,$(HDB_OUT)/obj/tests/host/db/test_%.o,$(HDB_TESTS))

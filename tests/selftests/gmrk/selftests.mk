# SPDX-License-Identifier: GPL-2.0-or-later
#
# gmrk kselftests: programs that run inside the VM against gmrk.ko and
# print KTAP. Included by the top-level Makefile.
#
#   make selftests      build every test into $(BUILD)/selftests/gmrk/
#
# Run them with tests/vm/run.sh --tests $(BUILD)/selftests/gmrk; the
# harness runs every executable there in name order, so the names carry
# their order (gmrk_NN_*, and gmrk_zz_rmmod last since it unloads the
# module). They use the kernel's own kselftest_harness.h from Debian's
# linux-source (tools/ksrc.sh), link OpenSSL's libcrypto for reference
# results, and build under ASan+UBSan like every test.

SELFTESTS_SRC := $(TOP)/tests/selftests/gmrk
SELFTESTS_OUT := $(BUILD)/selftests/gmrk
# Objects live outside SELFTESTS_OUT: the harness runs whatever is there.
SELFTESTS_OBJ := $(BUILD)/selftests/obj

SELFTESTS_PROGS := gmrk_10_kat gmrk_20_forged gmrk_30_diff gmrk_35_edge \
	gmrk_40_concurrency gmrk_50_faults gmrk_60_lifecycle gmrk_70_keyslots \
	gmrk_zz_rmmod
SELFTESTS_LIB := af_alg aio_batch aio_raw aead_case gmrk_ctl load_worker ref_aead \
	sm2_ref test_algs

SELFTESTS_BINS := $(addprefix $(SELFTESTS_OUT)/,$(SELFTESTS_PROGS))
SELFTESTS_LIB_OBJS := $(addprefix $(SELFTESTS_OBJ)/,$(addsuffix .o,$(SELFTESTS_LIB)))
SELFTESTS_OBJS := $(SELFTESTS_LIB_OBJS) \
	$(addprefix $(SELFTESTS_OBJ)/,$(addsuffix .o,$(SELFTESTS_PROGS)))

# Where kselftest_harness.h is; tools/ksrc.sh unpacks it on first use and
# is asked once per make run.
KSFT_DIR ?= $(eval KSFT_DIR := $(shell $(TOP)/tools/ksrc.sh)/tools/testing/selftests)$(KSFT_DIR)

# The 6.1 harness's TEST() wrapper never uses its variant argument.
SELFTESTS_CFLAGS = $(USER_CFLAGS) $(SAN_CFLAGS) -Wno-unused-parameter \
	-I$(SELFTESTS_SRC) -I$(KSFT_DIR)
SELFTESTS_LDFLAGS = $(SAN_CFLAGS)
SELFTESTS_LDLIBS := -lcrypto -lpthread

.PHONY: selftests

selftests: $(SELFTESTS_BINS)

$(SELFTESTS_OBJ)/%.o: $(SELFTESTS_SRC)/%.c | headers
	@mkdir -p $(@D)
	@echo "  CC      selftests/$*.o"
	@$(CC) $(SELFTESTS_CFLAGS) -MMD -MP -c -o $@ $<

$(SELFTESTS_BINS): $(SELFTESTS_OUT)/%: $(SELFTESTS_OBJ)/%.o $(SELFTESTS_LIB_OBJS)
	@mkdir -p $(@D)
	@echo "  LD      selftests/gmrk/$*"
	@$(CC) $(SELFTESTS_LDFLAGS) -o $@ $^ $(SELFTESTS_LDLIBS)

-include $(SELFTESTS_OBJS:.o=.d)

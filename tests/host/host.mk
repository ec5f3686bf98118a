# SPDX-License-Identifier: GPL-2.0-or-later
#
# Host tests of libgmrk and the gmrk CLI: cmocka programs built with
# ASan+UBSan against the library's sources (so internal functions are
# reachable too), TAP output.
#
#   make check-host     build and run them all; $(RESULTS)/host.tap

CHECK_STAGES += host

HOST_OUT := $(BUILD)/host
HOST_TESTS := kat diff format keys forge batch route cli
HOST_BINS := $(addprefix $(HOST_OUT)/test_,$(HOST_TESTS))
HOST_CFLAGS := $(USER_CFLAGS) $(SAN_CFLAGS) -I$(TOP)/lib/include -I$(TOP)/lib \
	$(if $(filter y,$(SM4_READY)),$(SM4_CFLAGS) -DGMRK_HAVE_SM4GCM) $(KEYS_CFLAGS)
HOST_LIBS := -lcmocka -lgcrypt -lkcapi -lcrypto -lpthread $(KEYS_LIBS)
HOST_LIB_OBJS := $(patsubst %.c,$(HOST_OUT)/obj/%.o,$(LIB_SRCS))
HOST_COMMON := $(HOST_OUT)/obj/tests/host/common.o
# The CLI under test, sanitized as well
HOST_CLI := $(HOST_OUT)/gmrk
# (lib/keys, which gmrk genkeypair calls, is in $(LIB_SRCS): linked once)
HOST_CLI_OBJS := $(patsubst %.c,$(HOST_OUT)/obj/%.o,$(GMRK_CLI_SRCS))

.PHONY: check-host host-tests
host-tests: $(HOST_BINS) $(HOST_CLI)

$(HOST_OUT)/obj/%.o: %.c $(LIB_HDRS) lib/internal.h lib/hex.h tests/host/common.h tests/host/vectors.h \
		tests/host/keys/th_keys.h tools/gmrk/cli.h
	@mkdir -p $(dir $@)
	@echo "  CC [san] $<"
	@$(CC) $(HOST_CFLAGS) -I$(TOP)/tests/host -c -o $@ $<

$(HOST_OUT)/test_%: $(HOST_OUT)/obj/tests/host/test_%.o $(HOST_COMMON) $(HOST_LIB_OBJS)
	@echo "  LD [san] $@"
	@$(CC) $(SAN_CFLAGS) -o $@ $^ $(HOST_LIBS)
# the key-file tests use th_keys.c's file helpers too
HOST_TK := $(HOST_OUT)/obj/tests/host/keys/th_keys.o
$(HOST_OUT)/test_keys: $(HOST_TK)

$(HOST_CLI): $(HOST_CLI_OBJS) $(HOST_LIB_OBJS)
	@echo "  LD [san] $@"
	@$(CC) $(SAN_CFLAGS) -o $@ $^ $(LIB_LIBS) $(KEYS_LIBS) -lpci

# The software path picks libgcrypt or OpenSSL per cipher and size by
# timing them (lib/soft.c), so a given machine may never run one of them at
# some sizes: the known-answer, differential and forged-input tests run
# again with each library forced.
HOST_IMPL_BINS := $(addprefix $(HOST_OUT)/test_,kat diff forge)

check-host: deps host-tests
	@mkdir -p $(RESULTS)
	@s=0; GMRK_TEST_CLI=$(HOST_CLI) tests/host/run.sh $(RESULTS)/host.tap $(HOST_BINS) || s=1; \
	for impl in libgcrypt openssl; do \
		echo "  GMRK_SOFT_IMPL=$$impl:" >&2; \
		GMRK_SOFT_IMPL=$$impl tests/host/run.sh $(RESULTS)/host-$$impl.part \
			$(HOST_IMPL_BINS) || s=1; \
		cat $(RESULTS)/host-$$impl.part >>$(RESULTS)/host.tap; \
		rm -f $(RESULTS)/host-$$impl.part; \
	done; exit $$s

# keep the objects make would otherwise delete as intermediates
.SECONDARY: $(HOST_COMMON) $(HOST_TK) $(patsubst %,$(HOST_OUT)/obj/tests/host/test_%.o,$(HOST_TESTS))

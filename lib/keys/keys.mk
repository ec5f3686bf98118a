# SPDX-License-Identifier: LGPL-2.1-or-later
#
# lib/keys: master-key providers for libgmrk (SM2 + pincode, TPM-sealed),
# and keyio.c, the error reporting and crash-safe key-file I/O that
# libgmrk's own key files and errors use too (lib/keyfile.c, lib/error.c):
# lib/keys depends on nothing of lib/, so it also builds on its own.
# For the library build:
#   KEYS_SRCS    sources to add to LIB_SRCS
#   KEYS_CFLAGS  flags they need on top of LIB_CFLAGS
#   KEYS_LIBS    libraries to add to LIB_LIBS
# On its own:
#   make keys    $(BUILD)/keys/libgmrk-keys.a (what tests/host/keys links)

ifndef KEYS_MK_INCLUDED
KEYS_MK_INCLUDED := 1

KEYS_SRCS := $(addprefix lib/keys/,keyio.c pincode.c sm2.c tpm_file.c tpm.c)
KEYS_HDRS := $(addprefix lib/keys/,keyio.h pincode.h sm2.h tpm_file.h tpm.h)
KEYS_CFLAGS := -I$(TOP)/lib/keys $(shell pkg-config --cflags tss2-esys 2>/dev/null)
KEYS_LIBS := -ltss2-esys -ltss2-mu -ltss2-tctildr -ltss2-rc -lcrypto

KEYS_OUT := $(BUILD)/keys
KEYS_A := $(KEYS_OUT)/libgmrk-keys.a
KEYS_OBJS := $(patsubst %.c,$(KEYS_OUT)/obj/%.o,$(KEYS_SRCS))

.PHONY: keys
keys: $(KEYS_A)

$(KEYS_OUT)/obj/%.o: %.c $(KEYS_HDRS) lib/include/gmrk/gmrk.h lib/keys/keys.mk
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(USER_CFLAGS) -I$(TOP)/lib/include $(KEYS_CFLAGS) -fPIC -c -o $@ $<

$(KEYS_A): $(KEYS_OBJS)
	@echo "  AR      $@"
	@rm -f $@
	@ar rcs $@ $(KEYS_OBJS)

endif

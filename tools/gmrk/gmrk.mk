# SPDX-License-Identifier: GPL-2.0-or-later
#
# gmrk CLI: $(BUILD)/bin/gmrk, linked against $(BUILD)/lib/libgmrk.so
# (RUNPATH $ORIGIN/../lib, which also holds once installed under PREFIX).
#
#   make gmrk            build it
#   make install-gmrk    install it and gmrk(1)

GMRK_CLI := $(BUILD)/bin/gmrk
GMRK_CLI_SRCS := $(addprefix tools/gmrk/,main.c cli.c progress.c cmd_aead.c \
	cmd_file.c cmd_info.c cmd_bench.c)
# genkeypair calls lib/keys (SM2 + pincode) directly. libgmrk.so contains
# lib/keys too but exports only the gmrk_* API (lib/libgmrk.map keeps
# gmrk_sm2_*/gmrk_pincode_* local), so the CLI links its own static copy:
# one copy per link, no duplicate symbols.
-include lib/keys/keys.mk
GMRK_CLI_SRCS += tools/gmrk/cmd_genkeypair.c tools/gmrk/cmd_devinfo.c tools/gmrk/cmd_db.c \
	tools/gmrk/cmd_envelop.c tools/gmrk/cmd_reencrypt.c tools/gmrk/cmd_cardkey.c
GMRK_CLI_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(GMRK_CLI_SRCS))
GMRK_CLI_CFLAGS := $(USER_CFLAGS) -I$(TOP)/lib/include $(KEYS_CFLAGS) -I$(TOP)/lib
# gmrk cardkey calls lib/cardkey.c (the card's key-slot ioctls) directly:
# its own copy, as for lib/keys (libgmrk.so keeps gmrk_card_* local).
GMRK_CLI_CARDKEY := $(BUILD)/obj/lib/cardkey.o

.PHONY: gmrk install-gmrk
gmrk: $(GMRK_CLI)
tools: gmrk

$(BUILD)/obj/tools/gmrk/%.o: tools/gmrk/%.c tools/gmrk/cli.h tools/gmrk/cmd_db.h $(LIB_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(GMRK_CLI_CFLAGS) -c -o $@ $<

$(BUILD)/obj/tools/gmrk/cmd_devinfo.o: tools/gmrk/devinfo.h uapi/linux/gmrk.h driver/gmrk_hw.h
$(BUILD)/obj/tools/gmrk/cmd_cardkey.o: lib/cardkey.h uapi/linux/gmrk.h
$(BUILD)/obj/tools/gmrk/cmd_db.o: lib/hex.h

$(GMRK_CLI_CARDKEY): lib/cardkey.c lib/cardkey.h lib/hex.h uapi/linux/gmrk.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(GMRK_CLI_CFLAGS) -c -o $@ $<

$(GMRK_CLI): $(GMRK_CLI_OBJS) $(GMRK_CLI_CARDKEY) $(LIB_OUT)/libgmrk.so $(KEYS_A)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) -o $@ $(GMRK_CLI_OBJS) $(GMRK_CLI_CARDKEY) $(KEYS_A) -L$(BUILD)/lib -lgmrk $(KEYS_LIBS) -lcrypto -lpci \
		-Wl,-rpath,'$$ORIGIN/../lib' -Wl,-z,relro,-z,now

BINDIR ?= $(PREFIX)/bin

install-gmrk: gmrk
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(GMRK_CLI) $(DESTDIR)$(BINDIR)/
	install -m 0644 Documentation/man/gmrk.1 $(DESTDIR)$(MANDIR)/man1/

install: install-gmrk

# SPDX-License-Identifier: LGPL-2.1-or-later
#
# libgmrk: $(BUILD)/lib/libgmrk.so.1 (SONAME libgmrk.so.1, exports gmrk_*
# only, lib/libgmrk.map), $(BUILD)/lib/libgmrk.a, $(BUILD)/lib/gmrk.pc.
#
#   make lib            build them
#   make install-lib    install library, headers, pkg-config file, libgmrk(3)

GMRK_SOVERSION := 1
GMRK_VERSION := 1.0.0

LIB_OUT := $(BUILD)/lib
LIB_SRCS := $(addprefix lib/,error.c util.c cipher.c soft.c afalg.c probe.c \
	route.c calibrate.c ctx.c masterkey.c keyfile.c key.c format.c block.c \
	batch.c aead.c db.c cardkey.c)
LIB_HDRS := lib/include/gmrk/gmrk.h lib/include/gmrk/db.h
LIB_CFLAGS := $(USER_CFLAGS) -I$(TOP)/lib/include -I$(TOP)/lib -fPIC
LIB_LIBS := -lkcapi -lgcrypt -lcrypto -lpthread

# libgmrk's SM4-GCM comes from lib/sm4 (its own fragment). Only use it
# once every file it lists exists, so the tree builds while it lands;
# without it SM4-GCM runs only through AF_ALG (card or kernel).
-include lib/sm4/sm4.mk
SM4_READY := $(if $(SM4_SRCS),$(if $(filter-out $(wildcard $(SM4_SRCS)),$(SM4_SRCS)),,y),)
ifeq ($(SM4_READY),y)
LIB_SRCS += $(SM4_SRCS)
LIB_CFLAGS += $(SM4_CFLAGS) -DGMRK_HAVE_SM4GCM
LIB_LIBS += $(SM4_LIBS)
endif

# The master-key providers of lib/keys (SM2 + pincode, TPM-sealed through
# tpm2-tss) are part of the library: key files can name them
# (lib/masterkey.c). Their gmrk_sm2_*/gmrk_tpm_* names stay local to the
# shared library (lib/libgmrk.map).
-include lib/keys/keys.mk
LIB_SRCS += $(KEYS_SRCS)
LIB_CFLAGS += $(KEYS_CFLAGS)
LIB_LIBS += $(KEYS_LIBS)

LIB_OBJS := $(patsubst %.c,$(LIB_OUT)/obj/%.o,$(LIB_SRCS))
LIB_SO := $(LIB_OUT)/libgmrk.so.$(GMRK_VERSION)
LIB_A := $(LIB_OUT)/libgmrk.a
LIB_PC := $(LIB_OUT)/gmrk.pc

lib: $(LIB_SO) $(LIB_OUT)/libgmrk.so.$(GMRK_SOVERSION) $(LIB_OUT)/libgmrk.so $(LIB_A) $(LIB_PC)

# lib/cardkey.h: the card's key-slot ioctls (the card master key, gmrk cardkey)
$(LIB_OUT)/obj/%.o: %.c $(LIB_HDRS) $(KEYS_HDRS) lib/internal.h lib/cardkey.h lib/hex.h lib/lib.mk
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(LIB_SO): $(LIB_OBJS) lib/libgmrk.map
	@echo "  LD      $@"
	@$(CC) -shared -Wl,-soname,libgmrk.so.$(GMRK_SOVERSION) \
		-Wl,--version-script=lib/libgmrk.map -Wl,-z,relro,-z,now \
		-Wl,--no-undefined -o $@ $(LIB_OBJS) $(LIB_LIBS)

$(LIB_OUT)/libgmrk.so.$(GMRK_SOVERSION): $(LIB_SO)
	@ln -sf $(notdir $<) $@

$(LIB_OUT)/libgmrk.so: $(LIB_OUT)/libgmrk.so.$(GMRK_SOVERSION)
	@ln -sf $(notdir $<) $@

$(LIB_A): $(LIB_OBJS)
	@echo "  AR      $@"
	@rm -f $@
	@ar rcs $@ $(LIB_OBJS)

LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man

# The pc file names PREFIX, so it is rewritten whenever PREFIX changes.
GMRK_PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	-e 's|@VERSION@|$(GMRK_VERSION)|' lib/gmrk.pc.in

$(LIB_PC): lib/gmrk.pc.in lib/lib.mk FORCE
	@mkdir -p $(dir $@)
	@$(GMRK_PC_SED) > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

.PHONY: FORCE
FORCE:

.PHONY: install-lib
install-lib: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/gmrk $(DESTDIR)$(MANDIR)/man3
	install -m 0755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libgmrk.so.$(GMRK_VERSION) $(DESTDIR)$(LIBDIR)/libgmrk.so.$(GMRK_SOVERSION)
	ln -sf libgmrk.so.$(GMRK_SOVERSION) $(DESTDIR)$(LIBDIR)/libgmrk.so
	install -m 0644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 0644 $(LIB_HDRS) $(DESTDIR)$(INCLUDEDIR)/gmrk/
	install -m 0644 $(LIB_PC) $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 0644 Documentation/man/libgmrk.3 $(DESTDIR)$(MANDIR)/man3/

install: install-lib

# SPDX-License-Identifier: LGPL-2.1-or-later
#
# SM4-GCM sources for libgmrk (and for tests/host/sm4, tools/bench).
#   SM4_SRCS    sources, relative to $(TOP)
#   SM4_CFLAGS  flags to compile them with (on top of $(USER_CFLAGS))
#   SM4_LIBS    what they link against (OpenSSL: CRYPTO_memcmp, OPENSSL_cleanse)
# The x86-64 paths carry their ISA in __attribute__((target)) per function
# and are chosen at run time (CPUID, cpu_x86.c), so no -m flags are needed.

SM4_SRCS := lib/sm4/sm4gcm.c lib/sm4/sm4_generic.c
SM4_CFLAGS := -I$(TOP)/lib/sm4
SM4_LIBS := -lcrypto

ifeq ($(shell $(CC) -dumpmachine | cut -d- -f1),x86_64)
SM4_SRCS += lib/sm4/sm4_aesni_avx2.c lib/sm4/sm4_vaes_avx2.c lib/sm4/ghash_clmul.c \
	lib/sm4/cpu_x86.c
SM4_CFLAGS += -DSM4GCM_HAVE_X86
endif

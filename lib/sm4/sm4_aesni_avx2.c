// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SM4-GCM with AES-NI, PCLMULQDQ and AVX2 ("aesni-avx2"), for CPUs without
 * VAES (Intel Haswell to Skylake, AMD Zen 1 and 2): SM4 counter mode of
 * sm4_avx2_core.h in 256-bit registers, except AESENCLAST, which runs on
 * the two 128-bit halves; GHASH with PCLMULQDQ, 8 blocks per reduction
 * (ghash_clmul.c).
 */
#include "ghash_clmul.h"

#define TARGET __attribute__((target("aes,pclmul,avx2")))
#define SM4_AESENCLAST(x) _mm256_set_m128i(					\
	_mm_aesenclast_si128(_mm256_extracti128_si256((x), 1), _mm_setzero_si128()), \
	_mm_aesenclast_si128(_mm256_castsi256_si128(x), _mm_setzero_si128()))

#include "sm4_avx2_core.h"

static bool aesni_usable(void)
{
	return sm4_cpu_has(SM4_CPU_AES | SM4_CPU_PCLMUL | SM4_CPU_AVX2);
}

const struct sm4gcm_impl sm4gcm_impl_aesni_avx2 = {
	.name = "aesni-avx2",
	.usable = aesni_usable,
	.expand_key = sm4_x86_expand_key,
	.ghash_init = ghash_clmul_init,
	.ghash = ghash_clmul,
	.ctr = sm4_x86_ctr,
};

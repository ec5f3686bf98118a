// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SM4-GCM with VAES and VPCLMULQDQ ("vaes-avx2"): SM4 counter mode of
 * sm4_avx2_core.h with one VAES AESENCLAST for both lanes of a register,
 * GHASH with VPCLMULQDQ, 16 blocks per reduction (ghash_clmul.c).
 */
#include "ghash_clmul.h"

#define TARGET __attribute__((target("vaes,vpclmulqdq,aes,pclmul,avx2")))
#define SM4_AESENCLAST(x) _mm256_aesenclast_epi128((x), _mm256_setzero_si256())

#include "sm4_avx2_core.h"

static bool vaes_usable(void)
{
	return sm4_cpu_has(SM4_CPU_VAES | SM4_CPU_VPCLMULQDQ | SM4_CPU_AES |
			   SM4_CPU_PCLMUL | SM4_CPU_AVX2);
}

const struct sm4gcm_impl sm4gcm_impl_vaes_avx2 = {
	.name = "vaes-avx2",
	.usable = vaes_usable,
	.expand_key = sm4_x86_expand_key,
	.ghash_init = ghash_clmul_init,
	.ghash = ghash_vpclmul,
	.ctr = sm4_x86_ctr,
};

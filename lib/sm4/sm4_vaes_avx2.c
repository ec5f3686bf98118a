// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SM4-GCM with VAES and VPCLMULQDQ in 256-bit registers ("vaes-avx2").
 *
 * The same method as sm4_aesni_avx2.c (S-box through AESENCLAST between two
 * affine maps, blocks transposed four by four) with twice the width: each
 * 128-bit lane of a register holds one group of four blocks, so one
 * register is eight blocks and VAES runs SubBytes on both lanes at once.
 * Up to four registers are interleaved to hide latency. GHASH is the
 * VPCLMULQDQ code of ghash_clmul.c (16 blocks per reduction).
 */
#include <immintrin.h>
#include <string.h>

#include "ghash_clmul.h"
#include "sm4_tables.h"
#include "sm4gcm_impl.h"

#define TARGET __attribute__((target("vaes,vpclmulqdq,aes,pclmul,avx2")))

/*
 * Up to four registers (32 blocks) interleaved: one SM4 round is a chain of
 * some twenty dependent instructions, so fewer leave the vector units idle.
 */
#define NG_MAX 4
#define KS_MAX (NG_MAX * 8)

struct consts {
	__m256i in_lo, in_hi, out_lo, out_hi, m0f, inv_sr, r8, r16, r24;
};

TARGET static inline __m256i bcast(__m128i v)
{
	return _mm256_broadcastsi128_si256(v);
}

TARGET static inline void load_consts(struct consts *k)
{
	k->in_lo = bcast(_mm_loadu_si128((const __m128i *)sm4_aesni_in));
	k->in_hi = bcast(_mm_loadu_si128((const __m128i *)(sm4_aesni_in + 16)));
	k->out_lo = bcast(_mm_loadu_si128((const __m128i *)sm4_aesni_out));
	k->out_hi = bcast(_mm_loadu_si128((const __m128i *)(sm4_aesni_out + 16)));
	k->m0f = _mm256_set1_epi8(0x0f);
	k->inv_sr = bcast(_mm_setr_epi8(0, 13, 10, 7, 4, 1, 14, 11, 8, 5, 2,
					15, 12, 9, 6, 3));
	k->r8 = bcast(_mm_setr_epi8(7, 0, 13, 10, 11, 4, 1, 14, 15, 8, 5, 2, 3, 12, 9, 6));
	k->r16 = bcast(_mm_setr_epi8(10, 7, 0, 13, 14, 11, 4, 1, 2, 15, 8, 5, 6, 3, 12, 9));
	k->r24 = bcast(_mm_setr_epi8(13, 10, 7, 0, 1, 14, 11, 4, 5, 2, 15, 8, 9, 6, 3, 12));
}

/*
 * L(S(t)) on eight words. AESENCLAST's ShiftRows is left in place and undone
 * by the four shuffles that L needs anyway (each composed with InvShiftRows),
 * which keeps it off the critical path.
 */
TARGET static inline __m256i sm4_t(__m256i t, const struct consts *k)
{
	__m256i lo = _mm256_and_si256(t, k->m0f);
	__m256i hi = _mm256_and_si256(_mm256_srli_epi32(t, 4), k->m0f);
	__m256i s, a;

	t = _mm256_xor_si256(_mm256_shuffle_epi8(k->in_lo, lo),
			  _mm256_shuffle_epi8(k->in_hi, hi));
	t = _mm256_aesenclast_epi128(t, _mm256_setzero_si256());
	lo = _mm256_and_si256(t, k->m0f);
	hi = _mm256_and_si256(_mm256_srli_epi32(t, 4), k->m0f);
	t = _mm256_xor_si256(_mm256_shuffle_epi8(k->out_lo, lo),
			  _mm256_shuffle_epi8(k->out_hi, hi));
	/* L(s) = s ^ s<<<24 ^ (s ^ s<<<8 ^ s<<<16)<<<2, s = InvShiftRows(t) */
	s = _mm256_shuffle_epi8(t, k->inv_sr);
	a = _mm256_xor_si256(_mm256_xor_si256(_mm256_shuffle_epi8(t, k->r8),
				      _mm256_shuffle_epi8(t, k->r16)), s);
	s = _mm256_xor_si256(s, _mm256_shuffle_epi8(t, k->r24));
	a = _mm256_xor_si256(_mm256_slli_epi32(a, 2), _mm256_srli_epi32(a, 30));
	return _mm256_xor_si256(s, a);
}

/* Keystream for 8 * ng blocks from counter value @ctr, in order. */
TARGET static inline __attribute__((always_inline)) void
keystream(const gmrk_sm4gcm *c, const uint32_t w[3], uint32_t ctr,
	  __m256i *out, const int ng)
{
	struct consts kc, *k = &kc;
	const __m256i bswap = bcast(_mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11,
						  10, 9, 8, 15, 14, 13, 12));
	__m256i x0[NG_MAX], x1[NG_MAX], x2[NG_MAX], x3[NG_MAX];
	int g, i;

	load_consts(k);
#pragma GCC unroll 4
	for (g = 0; g < ng; g++) {
		x0[g] = _mm256_set1_epi32((int)w[0]);
		x1[g] = _mm256_set1_epi32((int)w[1]);
		x2[g] = _mm256_set1_epi32((int)w[2]);
		/* lane 0: blocks 0-3 of the register, lane 1: blocks 4-7 */
		x3[g] = _mm256_add_epi32(_mm256_set1_epi32((int)ctr),
					 _mm256_setr_epi32(8 * g, 8 * g + 1,
							   8 * g + 2, 8 * g + 3,
							   8 * g + 4, 8 * g + 5,
							   8 * g + 6, 8 * g + 7));
	}
	for (i = 0; i < SM4_ROUNDS; i += 4) {
		__m256i r0 = _mm256_set1_epi32((int)c->rk[i]);
		__m256i r1 = _mm256_set1_epi32((int)c->rk[i + 1]);
		__m256i r2 = _mm256_set1_epi32((int)c->rk[i + 2]);
		__m256i r3 = _mm256_set1_epi32((int)c->rk[i + 3]);

#pragma GCC unroll 4
		for (g = 0; g < ng; g++)
			x0[g] = _mm256_xor_si256(x0[g], sm4_t(_mm256_xor_si256(
				_mm256_xor_si256(_mm256_xor_si256(x1[g], r0), x2[g]),
				x3[g]), k));
#pragma GCC unroll 4
		for (g = 0; g < ng; g++)
			x1[g] = _mm256_xor_si256(x1[g], sm4_t(_mm256_xor_si256(
				_mm256_xor_si256(_mm256_xor_si256(x2[g], r1), x3[g]),
				x0[g]), k));
#pragma GCC unroll 4
		for (g = 0; g < ng; g++)
			x2[g] = _mm256_xor_si256(x2[g], sm4_t(_mm256_xor_si256(
				_mm256_xor_si256(_mm256_xor_si256(x3[g], r2), x0[g]),
				x1[g]), k));
#pragma GCC unroll 4
		for (g = 0; g < ng; g++)
			x3[g] = _mm256_xor_si256(x3[g], sm4_t(_mm256_xor_si256(
				_mm256_xor_si256(_mm256_xor_si256(x0[g], r3), x1[g]),
				x2[g]), k));
	}
	/*
	 * Output words are x3, x2, x1, x0. After the per-lane transpose,
	 * b[j] holds block j in lane 0 and block j + 4 in lane 1.
	 */
#pragma GCC unroll 4
	for (g = 0; g < ng; g++) {
		__m256i t0 = _mm256_unpacklo_epi32(x3[g], x2[g]);
		__m256i t1 = _mm256_unpackhi_epi32(x3[g], x2[g]);
		__m256i t2 = _mm256_unpacklo_epi32(x1[g], x0[g]);
		__m256i t3 = _mm256_unpackhi_epi32(x1[g], x0[g]);
		__m256i b0 = _mm256_shuffle_epi8(_mm256_unpacklo_epi64(t0, t2), bswap);
		__m256i b1 = _mm256_shuffle_epi8(_mm256_unpackhi_epi64(t0, t2), bswap);
		__m256i b2 = _mm256_shuffle_epi8(_mm256_unpacklo_epi64(t1, t3), bswap);
		__m256i b3 = _mm256_shuffle_epi8(_mm256_unpackhi_epi64(t1, t3), bswap);

		out[4 * g] = _mm256_permute2x128_si256(b0, b1, 0x20);
		out[4 * g + 1] = _mm256_permute2x128_si256(b2, b3, 0x20);
		out[4 * g + 2] = _mm256_permute2x128_si256(b0, b1, 0x31);
		out[4 * g + 3] = _mm256_permute2x128_si256(b2, b3, 0x31);
	}
}

TARGET static void ks_blocks(const gmrk_sm4gcm *c, const uint32_t w[3],
			     uint32_t ctr, uint8_t *ks, size_t nb)
{
	if (nb > 16)
		keystream(c, w, ctr, (__m256i *)ks, 4);
	else if (nb > 8)
		keystream(c, w, ctr, (__m256i *)ks, 2);
	else
		keystream(c, w, ctr, (__m256i *)ks, 1);
}

#include "sm4_ctr_x86.h"

static bool vaes_usable(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("vaes") &&
	       __builtin_cpu_supports("vpclmulqdq") &&
	       __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul") &&
	       __builtin_cpu_supports("avx2");
}

const struct sm4gcm_impl sm4gcm_impl_vaes_avx2 = {
	.name = "vaes-avx2",
	.usable = vaes_usable,
	.ghash_init = ghash_clmul_init,
	.ghash = ghash_vpclmul,
	.ctr = sm4_x86_ctr,
};

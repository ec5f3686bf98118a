// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SM4-GCM with AES-NI in 128-bit registers ("aesni-avx2").
 *
 * SM4's S-box and AES's are both inversion in GF(2^8) between affine maps,
 * in different representations of the field. So
 *   S(x) = Lout(AES_SubBytes(Lin(x)))
 * with Lin, Lout affine over GF(2) (derived in gen_tables.py, applied as two
 * 16-entry PSHUFB lookups, one per nibble), and AESENCLAST with a zero round
 * key provides SubBytes on 16 bytes at once, in constant time. Its ShiftRows
 * is undone by the byte shuffles the linear layer needs anyway.
 *
 * Blocks are processed in groups of four, transposed so that register k
 * holds word k of all four blocks: the round function then works on whole
 * registers, and in counter mode the first three words are the same in
 * every block, so no transposition is needed on the way in. Up to eight
 * groups (32 blocks) are interleaved to hide latency.
 *
 * GHASH is the PCLMULQDQ code of ghash_clmul.c.
 */
#include <immintrin.h>

#include "ghash_clmul.h"
#include "sm4_tables.h"
#include "sm4gcm_impl.h"

#define TARGET __attribute__((target("aes,pclmul,avx2")))

/*
 * Up to eight groups of four blocks (32 blocks) interleaved: one SM4 round
 * is a chain of some twenty dependent instructions, so fewer leave the
 * vector units idle.
 */
#define NG_MAX 8
#define KS_MAX (NG_MAX * 4)

struct consts {
	__m128i in_lo, in_hi, out_lo, out_hi, m0f, inv_sr, r8, r16, r24;
};

TARGET static inline void load_consts(struct consts *k)
{
	k->in_lo = _mm_loadu_si128((const __m128i *)sm4_aesni_in);
	k->in_hi = _mm_loadu_si128((const __m128i *)(sm4_aesni_in + 16));
	k->out_lo = _mm_loadu_si128((const __m128i *)sm4_aesni_out);
	k->out_hi = _mm_loadu_si128((const __m128i *)(sm4_aesni_out + 16));
	k->m0f = _mm_set1_epi8(0x0f);
	k->inv_sr = _mm_setr_epi8(0, 13, 10, 7, 4, 1, 14, 11, 8, 5, 2, 15, 12,
				  9, 6, 3);
	k->r8 = _mm_setr_epi8(7, 0, 13, 10, 11, 4, 1, 14, 15, 8, 5, 2, 3, 12, 9, 6);
	k->r16 = _mm_setr_epi8(10, 7, 0, 13, 14, 11, 4, 1, 2, 15, 8, 5, 6, 3, 12, 9);
	k->r24 = _mm_setr_epi8(13, 10, 7, 0, 1, 14, 11, 4, 5, 2, 15, 8, 9, 6, 3, 12);
}

/*
 * L(S(t)) on four words. AESENCLAST's ShiftRows is left in place and undone
 * by the four shuffles that L needs anyway (each composed with InvShiftRows),
 * which keeps it off the critical path.
 */
TARGET static inline __m128i sm4_t(__m128i t, const struct consts *k)
{
	__m128i lo = _mm_and_si128(t, k->m0f);
	__m128i hi = _mm_and_si128(_mm_srli_epi32(t, 4), k->m0f);
	__m128i s, a;

	t = _mm_xor_si128(_mm_shuffle_epi8(k->in_lo, lo),
			  _mm_shuffle_epi8(k->in_hi, hi));
	t = _mm_aesenclast_si128(t, _mm_setzero_si128());
	lo = _mm_and_si128(t, k->m0f);
	hi = _mm_and_si128(_mm_srli_epi32(t, 4), k->m0f);
	t = _mm_xor_si128(_mm_shuffle_epi8(k->out_lo, lo),
			  _mm_shuffle_epi8(k->out_hi, hi));
	/* L(s) = s ^ s<<<24 ^ (s ^ s<<<8 ^ s<<<16)<<<2, s = InvShiftRows(t) */
	s = _mm_shuffle_epi8(t, k->inv_sr);
	a = _mm_xor_si128(_mm_xor_si128(_mm_shuffle_epi8(t, k->r8),
				      _mm_shuffle_epi8(t, k->r16)), s);
	s = _mm_xor_si128(s, _mm_shuffle_epi8(t, k->r24));
	a = _mm_xor_si128(_mm_slli_epi32(a, 2), _mm_srli_epi32(a, 30));
	return _mm_xor_si128(s, a);
}

/* Keystream for 4 * ng blocks from counter value @ctr, in order. */
TARGET static inline __attribute__((always_inline)) void
keystream(const gmrk_sm4gcm *c, const uint32_t w[3], uint32_t ctr,
	  __m128i *out, const int ng)
{
	struct consts kc, *k = &kc;
	const __m128i bswap = _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9,
					    8, 15, 14, 13, 12);
	__m128i x0[NG_MAX], x1[NG_MAX], x2[NG_MAX], x3[NG_MAX];
	int g, i;

	load_consts(k);
#pragma GCC unroll 8
	for (g = 0; g < ng; g++) {
		x0[g] = _mm_set1_epi32((int)w[0]);
		x1[g] = _mm_set1_epi32((int)w[1]);
		x2[g] = _mm_set1_epi32((int)w[2]);
		x3[g] = _mm_add_epi32(_mm_set1_epi32((int)ctr),
				      _mm_setr_epi32(4 * g, 4 * g + 1,
						     4 * g + 2, 4 * g + 3));
	}
	for (i = 0; i < SM4_ROUNDS; i += 4) {
		__m128i r0 = _mm_set1_epi32((int)c->rk[i]);
		__m128i r1 = _mm_set1_epi32((int)c->rk[i + 1]);
		__m128i r2 = _mm_set1_epi32((int)c->rk[i + 2]);
		__m128i r3 = _mm_set1_epi32((int)c->rk[i + 3]);

#pragma GCC unroll 8
		for (g = 0; g < ng; g++)
			x0[g] = _mm_xor_si128(x0[g], sm4_t(_mm_xor_si128(
				_mm_xor_si128(_mm_xor_si128(x1[g], r0), x2[g]),
				x3[g]), k));
#pragma GCC unroll 8
		for (g = 0; g < ng; g++)
			x1[g] = _mm_xor_si128(x1[g], sm4_t(_mm_xor_si128(
				_mm_xor_si128(_mm_xor_si128(x2[g], r1), x3[g]),
				x0[g]), k));
#pragma GCC unroll 8
		for (g = 0; g < ng; g++)
			x2[g] = _mm_xor_si128(x2[g], sm4_t(_mm_xor_si128(
				_mm_xor_si128(_mm_xor_si128(x3[g], r2), x0[g]),
				x1[g]), k));
#pragma GCC unroll 8
		for (g = 0; g < ng; g++)
			x3[g] = _mm_xor_si128(x3[g], sm4_t(_mm_xor_si128(
				_mm_xor_si128(_mm_xor_si128(x0[g], r3), x1[g]),
				x2[g]), k));
	}
	/* Output words are x3, x2, x1, x0: transpose back, big-endian. */
#pragma GCC unroll 8
	for (g = 0; g < ng; g++) {
		__m128i t0 = _mm_unpacklo_epi32(x3[g], x2[g]);
		__m128i t1 = _mm_unpackhi_epi32(x3[g], x2[g]);
		__m128i t2 = _mm_unpacklo_epi32(x1[g], x0[g]);
		__m128i t3 = _mm_unpackhi_epi32(x1[g], x0[g]);

		out[4 * g] = _mm_shuffle_epi8(_mm_unpacklo_epi64(t0, t2), bswap);
		out[4 * g + 1] = _mm_shuffle_epi8(_mm_unpackhi_epi64(t0, t2), bswap);
		out[4 * g + 2] = _mm_shuffle_epi8(_mm_unpacklo_epi64(t1, t3), bswap);
		out[4 * g + 3] = _mm_shuffle_epi8(_mm_unpackhi_epi64(t1, t3), bswap);
	}
}

TARGET static void ks_blocks(const gmrk_sm4gcm *c, const uint32_t w[3],
			     uint32_t ctr, uint8_t *ks, size_t nb)
{
	if (nb > 16)
		keystream(c, w, ctr, (__m128i *)ks, 8);
	else if (nb > 8)
		keystream(c, w, ctr, (__m128i *)ks, 4);
	else if (nb > 4)
		keystream(c, w, ctr, (__m128i *)ks, 2);
	else
		keystream(c, w, ctr, (__m128i *)ks, 1);
}

#include "sm4_ctr_x86.h"

static bool aesni_usable(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul") &&
	       __builtin_cpu_supports("avx2");
}

const struct sm4gcm_impl sm4gcm_impl_aesni_avx2 = {
	.name = "aesni-avx2",
	.usable = aesni_usable,
	.ghash_init = ghash_clmul_init,
	.ghash = ghash_clmul,
	.ctr = sm4_x86_ctr,
};

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SM4 in counter mode on AVX2, eight blocks per 256-bit register; included
 * by sm4_vaes_avx2.c and sm4_aesni_avx2.c, which define TARGET (their
 * __attribute__((target))) and SM4_AESENCLAST(x) (AESENCLAST with a zero
 * round key on both 128-bit lanes of x: one VAES instruction, or two
 * AES-NI ones on the halves).
 *
 * SM4's S-box and AES's are both inversion in GF(2^8) between affine maps,
 * in different representations of the field. So
 *   S(x) = Lout(AES_SubBytes(Lin(x)))
 * with Lin, Lout affine over GF(2) (derived in gen_tables.py, applied as two
 * 16-entry PSHUFB lookups, one per nibble), and AESENCLAST provides SubBytes
 * on 16 bytes at once, in constant time.
 *
 * Each 128-bit lane holds a group of four blocks, transposed so that
 * register k holds word k of each block: the round function then works on
 * whole registers, and in counter mode the first three words are the same
 * in every block, so no transposition is needed on the way in.
 */
#ifndef GMRK_SM4_AVX2_CORE_H
#define GMRK_SM4_AVX2_CORE_H

#include <immintrin.h>

#include "sm4_tables.h"
#include "sm4gcm_impl.h"

/*
 * Four registers (32 blocks) interleaved per step: one SM4 round is a chain
 * of some twenty dependent instructions, so fewer leave the vector units
 * idle. The last group of a message may have up to five.
 */
#define NG_MAX 5
#define KS_STEP 32
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
	t = SM4_AESENCLAST(t);
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
#pragma GCC unroll 5
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

#pragma GCC unroll 5
		for (g = 0; g < ng; g++)
			x0[g] = _mm256_xor_si256(x0[g], sm4_t(_mm256_xor_si256(
				_mm256_xor_si256(_mm256_xor_si256(x1[g], r0), x2[g]),
				x3[g]), k));
#pragma GCC unroll 5
		for (g = 0; g < ng; g++)
			x1[g] = _mm256_xor_si256(x1[g], sm4_t(_mm256_xor_si256(
				_mm256_xor_si256(_mm256_xor_si256(x2[g], r1), x3[g]),
				x0[g]), k));
#pragma GCC unroll 5
		for (g = 0; g < ng; g++)
			x2[g] = _mm256_xor_si256(x2[g], sm4_t(_mm256_xor_si256(
				_mm256_xor_si256(_mm256_xor_si256(x3[g], r2), x0[g]),
				x1[g]), k));
#pragma GCC unroll 5
		for (g = 0; g < ng; g++)
			x3[g] = _mm256_xor_si256(x3[g], sm4_t(_mm256_xor_si256(
				_mm256_xor_si256(_mm256_xor_si256(x0[g], r3), x1[g]),
				x2[g]), k));
	}
	/*
	 * Output words are x3, x2, x1, x0. After the per-lane transpose,
	 * b[j] holds block j in lane 0 and block j + 4 in lane 1.
	 */
#pragma GCC unroll 5
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
	switch ((nb + 7) / 8) {
	case 5:
		keystream(c, w, ctr, (__m256i *)ks, 5);
		break;
	case 4:
		keystream(c, w, ctr, (__m256i *)ks, 4);
		break;
	case 3:
		keystream(c, w, ctr, (__m256i *)ks, 3);
		break;
	case 2:
		keystream(c, w, ctr, (__m256i *)ks, 2);
		break;
	default:
		keystream(c, w, ctr, (__m256i *)ks, 1);
	}
}

#include "sm4_ctr_x86.h"

/*
 * The key schedule with the same AESENCLAST S-box, one word at a time, so
 * that no table lookup depends on the key. The word sits in column 0 of
 * the AES state; InvShiftRows brings its bytes back from the diagonal.
 */
TARGET static void sm4_x86_expand_key(uint32_t rk[SM4_ROUNDS],
				      const uint8_t key[16])
{
	const __m128i in_lo = _mm_loadu_si128((const __m128i *)sm4_aesni_in);
	const __m128i in_hi = _mm_loadu_si128((const __m128i *)(sm4_aesni_in + 16));
	const __m128i out_lo = _mm_loadu_si128((const __m128i *)sm4_aesni_out);
	const __m128i out_hi = _mm_loadu_si128((const __m128i *)(sm4_aesni_out + 16));
	const __m128i m0f = _mm_set1_epi8(0x0f);
	const __m128i inv_sr = _mm_setr_epi8(0, 13, 10, 7, 4, 1, 14, 11, 8, 5,
					     2, 15, 12, 9, 6, 3);
	uint32_t k[4], b;
	__m128i t;
	int i;

	for (i = 0; i < 4; i++)
		k[i] = sm4_be32(key + 4 * i) ^ sm4_fk[i];
	for (i = 0; i < SM4_ROUNDS; i++) {
		t = _mm_cvtsi32_si128((int)(k[(i + 1) & 3] ^ k[(i + 2) & 3] ^
					    k[(i + 3) & 3] ^ sm4_ck(i)));
		t = _mm_xor_si128(_mm_shuffle_epi8(in_lo, _mm_and_si128(t, m0f)),
				  _mm_shuffle_epi8(in_hi, _mm_and_si128(
					  _mm_srli_epi32(t, 4), m0f)));
		t = _mm_aesenclast_si128(t, _mm_setzero_si128());
		t = _mm_xor_si128(_mm_shuffle_epi8(out_lo, _mm_and_si128(t, m0f)),
				  _mm_shuffle_epi8(out_hi, _mm_and_si128(
					  _mm_srli_epi32(t, 4), m0f)));
		b = (uint32_t)_mm_cvtsi128_si32(_mm_shuffle_epi8(t, inv_sr));
		k[i & 3] ^= b ^ (b << 13 | b >> 19) ^ (b << 23 | b >> 9);
		rk[i] = k[i & 3];
	}
	explicit_bzero(k, sizeof(k));
}

#endif

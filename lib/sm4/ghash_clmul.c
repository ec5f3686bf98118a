// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * GHASH with carry-less multiply; see ghash_clmul.h for the representation.
 *
 * A product of n blocks is summed unreduced (Karatsuba, three multiplies per
 * block) and reduced once per group: y' = (y ^ X0) H^n ^ X1 H^(n-1) ^ ...
 * Reduction of the 256-bit V = Z1:Z0 (Z0 the high-degree half) by
 * x^128 = x^7 + x^2 + x + 1, where multiplying by x is a right shift:
 *   D = Z0 ^ (Z0 << 127) ^ (Z0 << 126) ^ (Z0 << 121)
 *   r = Z1 ^ D ^ (D >> 1) ^ (D >> 2) ^ (D >> 7)
 * (the second term folds the few bits the shifts push below bit 0 again).
 */
#include <immintrin.h>
#include <string.h>

#include "ghash_clmul.h"

#define CLMUL_TARGET __attribute__((target("pclmul,avx2")))
#define VPCLMUL_TARGET __attribute__((target("vpclmulqdq,pclmul,avx2")))

#define HT(c) ((__m128i *)(c)->htab)
#define HK(c) ((__m128i *)(c)->htab + 16)

CLMUL_TARGET static inline __m128i bswap128(__m128i v)
{
	return _mm_shuffle_epi8(v, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
						10, 11, 12, 13, 14, 15));
}

CLMUL_TARGET static inline __m128i reduce(__m128i hi, __m128i lo)
{
	/* lo is Z0 (degrees 128..255), hi is Z1 */
	__m128i t = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi64(lo, 63),
						_mm_slli_epi64(lo, 62)),
				  _mm_slli_epi64(lo, 57));
	__m128i d = _mm_xor_si128(lo, _mm_slli_si128(t, 8));
	__m128i a = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi64(d, 1),
						_mm_srli_epi64(d, 2)),
				  _mm_srli_epi64(d, 7));
	__m128i b = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi64(d, 63),
						_mm_slli_epi64(d, 62)),
				  _mm_slli_epi64(d, 57));

	return _mm_xor_si128(_mm_xor_si128(hi, d),
			     _mm_xor_si128(a, _mm_srli_si128(b, 8)));
}

/* Z1:Z0 from Karatsuba's lo (a.lo b.lo), hi (a.hi b.hi), mid products. */
CLMUL_TARGET static inline __m128i combine(__m128i lo, __m128i hi, __m128i mid)
{
	mid = _mm_xor_si128(mid, _mm_xor_si128(lo, hi));
	hi = _mm_xor_si128(hi, _mm_srli_si128(mid, 8));
	lo = _mm_xor_si128(lo, _mm_slli_si128(mid, 8));
	return reduce(hi, lo);
}

/* a * b' where b' = B x^-1 is a table entry; returns a*B. */
CLMUL_TARGET static __m128i mul1(__m128i a, __m128i b)
{
	__m128i lo = _mm_clmulepi64_si128(a, b, 0x00);
	__m128i hi = _mm_clmulepi64_si128(a, b, 0x11);
	__m128i mid = _mm_clmulepi64_si128(
		_mm_xor_si128(a, _mm_shuffle_epi32(a, 0x4e)),
		_mm_xor_si128(b, _mm_shuffle_epi32(b, 0x4e)), 0x00);

	return combine(lo, hi, mid);
}

/* v * x^-1: a left shift, folding x^0 back as x^127 + x^6 + x + 1. */
CLMUL_TARGET static __m128i div_x(__m128i v)
{
	__m128i carry = _mm_srli_epi64(v, 63);
	__m128i msb = _mm_shuffle_epi32(_mm_srai_epi32(v, 31), 0xff);
	__m128i r = _mm_or_si128(_mm_slli_epi64(v, 1), _mm_slli_si128(carry, 8));

	return _mm_xor_si128(r, _mm_and_si128(msb,
			     _mm_set_epi64x((long long)0xc200000000000000ULL, 1)));
}

CLMUL_TARGET void ghash_clmul_init(gmrk_sm4gcm *c, const uint8_t h[SM4_BLOCK])
{
	__m128i hv = bswap128(_mm_loadu_si128((const __m128i *)h));
	__m128i hx = div_x(hv), p = hv, e;
	int i;

	for (i = 15; i >= 0; i--) {
		e = div_x(p);
		_mm_store_si128(&HT(c)[i], e);
		_mm_store_si128(&HK(c)[i],
				_mm_xor_si128(_mm_unpacklo_epi64(e, e),
					      _mm_unpackhi_epi64(e, e)));
		p = mul1(p, hx);
	}
}

/* One group of n <= 16 blocks with 128-bit operations. */
CLMUL_TARGET static __m128i group_x(const gmrk_sm4gcm *c, __m128i y,
				    const uint8_t *in, size_t n)
{
	const __m128i *t = HT(c) + 16 - n, *k = HK(c) + 16 - n;
	__m128i lo = _mm_setzero_si128(), hi = lo, mid = lo;
	size_t j;

	for (j = 0; j < n; j++) {
		__m128i x = bswap128(_mm_loadu_si128((const __m128i *)in + j));

		if (j == 0)
			x = _mm_xor_si128(x, y);
		lo = _mm_xor_si128(lo, _mm_clmulepi64_si128(x, t[j], 0x00));
		hi = _mm_xor_si128(hi, _mm_clmulepi64_si128(x, t[j], 0x11));
		mid = _mm_xor_si128(mid, _mm_clmulepi64_si128(
			_mm_xor_si128(x, _mm_shuffle_epi32(x, 0x4e)), k[j], 0x00));
	}
	return combine(lo, hi, mid);
}

CLMUL_TARGET void ghash_clmul(const gmrk_sm4gcm *c, uint8_t y[SM4_BLOCK],
			      const uint8_t *in, size_t nblocks)
{
	__m128i acc = bswap128(_mm_loadu_si128((const __m128i *)y));

	for (; nblocks >= 8; nblocks -= 8, in += 8 * SM4_BLOCK)
		acc = group_x(c, acc, in, 8);
	if (nblocks)
		acc = group_x(c, acc, in, nblocks);
	_mm_storeu_si128((__m128i *)y, bswap128(acc));
}

VPCLMUL_TARGET void ghash_vpclmul(const gmrk_sm4gcm *c, uint8_t y[SM4_BLOCK],
				  const uint8_t *in, size_t nblocks)
{
	const __m256i rev = _mm256_broadcastsi128_si256(_mm_set_epi8(
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
	__m128i acc = bswap128(_mm_loadu_si128((const __m128i *)y));

	for (; nblocks >= 16; nblocks -= 16, in += 16 * SM4_BLOCK) {
		__m256i lo = _mm256_setzero_si256(), hi = lo, mid = lo;
		int j;

		for (j = 0; j < 8; j++) {
			__m256i x = _mm256_shuffle_epi8(_mm256_loadu_si256(
				(const __m256i *)in + j), rev);
			__m256i t = _mm256_load_si256((const __m256i *)HT(c) + j);
			__m256i k = _mm256_load_si256((const __m256i *)HK(c) + j);

			if (j == 0)
				x = _mm256_xor_si256(x, _mm256_zextsi128_si256(acc));
			lo = _mm256_xor_si256(lo, _mm256_clmulepi64_epi128(x, t, 0x00));
			hi = _mm256_xor_si256(hi, _mm256_clmulepi64_epi128(x, t, 0x11));
			mid = _mm256_xor_si256(mid, _mm256_clmulepi64_epi128(
				_mm256_xor_si256(x, _mm256_shuffle_epi32(x, 0x4e)),
				k, 0x00));
		}
		acc = combine(_mm_xor_si128(_mm256_castsi256_si128(lo),
					    _mm256_extracti128_si256(lo, 1)),
			      _mm_xor_si128(_mm256_castsi256_si128(hi),
					    _mm256_extracti128_si256(hi, 1)),
			      _mm_xor_si128(_mm256_castsi256_si128(mid),
					    _mm256_extracti128_si256(mid, 1)));
	}
	if (nblocks)
		acc = group_x(c, acc, in, nblocks);
	_mm_storeu_si128((__m128i *)y, bswap128(acc));
}

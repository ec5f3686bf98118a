// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Portable SM4-GCM: the reference every faster path is tested against, and
 * the path on CPUs without AES-NI/AVX2.
 *
 * SM4 uses one 1 KiB table (S-box and linear layer together); its lookups
 * depend on data, so this path is exposed to cache-timing attacks on shared
 * hardware, as every table-driven block cipher is. GHASH here does not use
 * tables: carry-less products come from ordinary integer multiplies on
 * operands with holes (every fourth bit), so no carry crosses into a bit
 * that is kept and the time does not depend on H or the data.
 */
#include <string.h>

#include "sm4_tables.h"
#include "sm4gcm_impl.h"

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static inline uint64_t load_be64(const uint8_t *p)
{
	return (uint64_t)load_be32(p) << 32 | load_be32(p + 4);
}

static inline void store_be64(uint8_t *p, uint64_t v)
{
	store_be32(p, v >> 32);
	store_be32(p + 4, (uint32_t)v);
}

static inline uint32_t rol32(uint32_t v, unsigned int n)
{
	return v << n | v >> (32 - n);
}

static inline uint32_t sm4_tau(uint32_t a)
{
	return (uint32_t)sm4_sbox[a >> 24] << 24 |
	       (uint32_t)sm4_sbox[(a >> 16) & 0xff] << 16 |
	       (uint32_t)sm4_sbox[(a >> 8) & 0xff] << 8 |
	       sm4_sbox[a & 0xff];
}

/* T(a) = L(tau(a)); L commutes with rotations, so one table serves 4 bytes. */
static inline uint32_t sm4_t(uint32_t a)
{
	return sm4_t0[a >> 24] ^ rol32(sm4_t0[(a >> 16) & 0xff], 24) ^
	       rol32(sm4_t0[(a >> 8) & 0xff], 16) ^
	       rol32(sm4_t0[a & 0xff], 8);
}

void sm4_expand_key(uint32_t rk[SM4_ROUNDS], const uint8_t key[16])
{
	uint32_t k[4];
	int i;

	for (i = 0; i < 4; i++)
		k[i] = load_be32(key + 4 * i) ^ sm4_fk[i];
	for (i = 0; i < SM4_ROUNDS; i++) {
		uint32_t b = sm4_tau(k[(i + 1) & 3] ^ k[(i + 2) & 3] ^
				     k[(i + 3) & 3] ^ sm4_ck(i));

		k[i & 3] ^= b ^ rol32(b, 13) ^ rol32(b, 23);
		rk[i] = k[i & 3];
	}
	explicit_bzero(k, sizeof(k));
}

void sm4_encrypt_block(const uint32_t rk[SM4_ROUNDS], uint8_t out[16],
		       const uint8_t in[16])
{
	uint32_t x0 = load_be32(in), x1 = load_be32(in + 4);
	uint32_t x2 = load_be32(in + 8), x3 = load_be32(in + 12);
	int i;

	for (i = 0; i < SM4_ROUNDS; i += 4) {
		x0 ^= sm4_t(x1 ^ x2 ^ x3 ^ rk[i]);
		x1 ^= sm4_t(x2 ^ x3 ^ x0 ^ rk[i + 1]);
		x2 ^= sm4_t(x3 ^ x0 ^ x1 ^ rk[i + 2]);
		x3 ^= sm4_t(x0 ^ x1 ^ x2 ^ rk[i + 3]);
	}
	store_be32(out, x3);
	store_be32(out + 4, x2);
	store_be32(out + 8, x1);
	store_be32(out + 12, x0);
}

static void generic_ctr(const gmrk_sm4gcm *c, uint8_t ctr[SM4_BLOCK],
			const uint8_t *in, uint8_t *out, size_t len,
			uint8_t ek0[SM4_BLOCK])
{
	uint8_t ks[SM4_BLOCK];
	size_t i, n;

	if (ek0) {
		sm4_encrypt_block(c->rk, ek0, ctr);
		sm4gcm_inc32(ctr);
	}
	while (len) {
		sm4_encrypt_block(c->rk, ks, ctr);
		sm4gcm_inc32(ctr);
		n = len < SM4_BLOCK ? len : SM4_BLOCK;
		for (i = 0; i < n; i++)
			out[i] = in[i] ^ ks[i];
		in += n;
		out += n;
		len -= n;
	}
	explicit_bzero(ks, sizeof(ks));
}

/* Carry-less 32x32 -> 64 bit product in constant time (see top). */
static inline uint64_t clmul32(uint32_t a, uint32_t b)
{
	const uint32_t m = 0x11111111;
	uint64_t a0 = a & m, a1 = a & (m << 1), a2 = a & (m << 2),
		 a3 = a & (m << 3);
	uint64_t b0 = b & m, b1 = b & (m << 1), b2 = b & (m << 2),
		 b3 = b & (m << 3);
	uint64_t z0 = (a0 * b0) ^ (a1 * b3) ^ (a2 * b2) ^ (a3 * b1);
	uint64_t z1 = (a0 * b1) ^ (a1 * b0) ^ (a2 * b3) ^ (a3 * b2);
	uint64_t z2 = (a0 * b2) ^ (a1 * b1) ^ (a2 * b0) ^ (a3 * b3);
	uint64_t z3 = (a0 * b3) ^ (a1 * b2) ^ (a2 * b1) ^ (a3 * b0);
	const uint64_t m64 = 0x1111111111111111ULL;

	return (z0 & m64) | (z1 & (m64 << 1)) | (z2 & (m64 << 2)) |
	       (z3 & (m64 << 3));
}

/* 64x64 -> 128 (Karatsuba over 32-bit halves): *hi:*lo. */
static inline void clmul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
	uint32_t ah = a >> 32, al = (uint32_t)a;
	uint32_t bh = b >> 32, bl = (uint32_t)b;
	uint64_t h = clmul32(ah, bh), l = clmul32(al, bl);
	uint64_t m = clmul32(ah ^ al, bh ^ bl) ^ h ^ l;

	*hi = h ^ (m >> 32);
	*lo = l ^ (m << 32);
}

/*
 * y = y * h in GF(2^128), both as the big-endian 128-bit integers of the
 * GCM spec's byte strings (bit-reflected polynomials). The carry-less
 * product of reflected operands is the reflected product shifted right by
 * one; after shifting back, the high 128 bits hold the low-degree half and
 * the low 128 bits the high-degree half, which x^128 = x^7 + x^2 + x + 1
 * folds in (multiplying by x is a right shift in this representation).
 */
static void gf128_mul(uint64_t y[2], const uint64_t h[2])
{
	uint64_t hh, hl, lh, ll, mh, ml;
	uint64_t r3, r2, r1, r0, d1, d0, s1, s0;

	clmul64(y[0], h[0], &hh, &hl);
	clmul64(y[1], h[1], &lh, &ll);
	clmul64(y[0] ^ y[1], h[0] ^ h[1], &mh, &ml);
	mh ^= hh ^ lh;
	ml ^= hl ^ ll;
	r3 = hh;
	r2 = hl ^ mh;
	r1 = lh ^ ml;
	r0 = ll;
	/* << 1 over 256 bits */
	r3 = r3 << 1 | r2 >> 63;
	r2 = r2 << 1 | r1 >> 63;
	r1 = r1 << 1 | r0 >> 63;
	r0 <<= 1;
	/* D = r1:r0 is the high-degree half. S: bits pushed below by the fold. */
	d1 = r1;
	d0 = r0;
	s1 = d0 << 63 ^ d0 << 62 ^ d0 << 57;
	s0 = 0;
	d1 ^= s1;
	d0 ^= s0;
	/* result = r3:r2 ^ D ^ D>>1 ^ D>>2 ^ D>>7 */
	y[0] = r3 ^ d1 ^ (d1 >> 1) ^ (d1 >> 2) ^ (d1 >> 7);
	y[1] = r2 ^ d0 ^ (d0 >> 1 | d1 << 63) ^ (d0 >> 2 | d1 << 62) ^
	       (d0 >> 7 | d1 << 57);
}

static void generic_ghash_init(gmrk_sm4gcm *c, const uint8_t h[SM4_BLOCK])
{
	uint64_t hv[2] = { load_be64(h), load_be64(h + 8) };

	memcpy(c->htab, hv, sizeof(hv));
	explicit_bzero(hv, sizeof(hv));
}

static void generic_ghash(const gmrk_sm4gcm *c, uint8_t y[SM4_BLOCK],
			  const uint8_t *in, size_t nblocks)
{
	uint64_t h[2], acc[2];

	memcpy(h, c->htab, sizeof(h));
	acc[0] = load_be64(y);
	acc[1] = load_be64(y + 8);
	while (nblocks--) {
		acc[0] ^= load_be64(in);
		acc[1] ^= load_be64(in + 8);
		gf128_mul(acc, h);
		in += SM4_BLOCK;
	}
	store_be64(y, acc[0]);
	store_be64(y + 8, acc[1]);
	explicit_bzero(h, sizeof(h));
	explicit_bzero(acc, sizeof(acc));
}

static bool generic_usable(void)
{
	return true;
}

const struct sm4gcm_impl sm4gcm_impl_generic = {
	.name = "generic",
	.usable = generic_usable,
	.ghash_init = generic_ghash_init,
	.ghash = generic_ghash,
	.ctr = generic_ctr,
};

// SPDX-License-Identifier: GPL-2.0-only
/*
 * gmrk: SM3 cryptographic hash, GB/T 32905-2016.
 *
 * The emulation device's key slots (gmrk_sim_keys.c) need SM3 for SM2
 * decryption: the key derivation function and the C3 check of GB/T
 * 32918.4 are both built on it. Debian's 6.1 kernel is configured without
 * CONFIG_CRYPTO_SM3_GENERIC (and without the library behind it), so there is
 * no "sm3" shash to allocate and no exported sm3_update(); this file is a
 * small, straightforward implementation written from the standard. It is
 * used only on short inputs (at most 128 bytes per call) inside the
 * emulation device; gmrk_sm3_selftest() checks it against the standard's
 * two examples before any device offers key slots.
 */

#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/unaligned.h>

#include "gmrk_sm3.h"

static const u32 gmrk_sm3_iv[8] = {
	0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600,
	0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e,
};

#define GMRK_SM3_T0	0x79cc4519	/* rounds 0..15 */
#define GMRK_SM3_T1	0x7a879d8a	/* rounds 16..63 */

static inline u32 gmrk_sm3_p0(u32 x)
{
	return x ^ rol32(x, 9) ^ rol32(x, 17);
}

static inline u32 gmrk_sm3_p1(u32 x)
{
	return x ^ rol32(x, 15) ^ rol32(x, 23);
}

static inline u32 gmrk_sm3_ff(unsigned int j, u32 x, u32 y, u32 z)
{
	return j < 16 ? x ^ y ^ z : (x & y) | (x & z) | (y & z);
}

static inline u32 gmrk_sm3_gg(unsigned int j, u32 x, u32 y, u32 z)
{
	return j < 16 ? x ^ y ^ z : (x & y) | (~x & z);
}

/* The compression function CF on one 64-byte block. */
static void gmrk_sm3_block(u32 h[8], const u8 *block)
{
	u32 w[68], a, b, c, d, e, f, g, hh, ss1, ss2, tt1, tt2, t;
	unsigned int j;

	for (j = 0; j < 16; j++)
		w[j] = get_unaligned_be32(block + 4 * j);
	for (j = 16; j < 68; j++)
		w[j] = gmrk_sm3_p1(w[j - 16] ^ w[j - 9] ^ rol32(w[j - 3], 15)) ^
		       rol32(w[j - 13], 7) ^ w[j - 6];

	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	f = h[5];
	g = h[6];
	hh = h[7];
	for (j = 0; j < 64; j++) {
		t = j < 16 ? GMRK_SM3_T0 : GMRK_SM3_T1;
		ss1 = rol32(rol32(a, 12) + e + rol32(t, j % 32), 7);
		ss2 = ss1 ^ rol32(a, 12);
		/* W'[j] = W[j] ^ W[j + 4] */
		tt1 = gmrk_sm3_ff(j, a, b, c) + d + ss2 + (w[j] ^ w[j + 4]);
		tt2 = gmrk_sm3_gg(j, e, f, g) + hh + ss1 + w[j];
		d = c;
		c = rol32(b, 9);
		b = a;
		a = tt1;
		hh = g;
		g = rol32(f, 19);
		f = e;
		e = gmrk_sm3_p0(tt2);
	}
	h[0] ^= a;
	h[1] ^= b;
	h[2] ^= c;
	h[3] ^= d;
	h[4] ^= e;
	h[5] ^= f;
	h[6] ^= g;
	h[7] ^= hh;
	/* The expanded message is derived from the (secret) input. */
	memzero_explicit(w, sizeof(w));
}

void gmrk_sm3_init(struct gmrk_sm3_ctx *ctx)
{
	memcpy(ctx->h, gmrk_sm3_iv, sizeof(ctx->h));
	ctx->bytes = 0;
	ctx->fill = 0;
}

void gmrk_sm3_update(struct gmrk_sm3_ctx *ctx, const void *data, size_t len)
{
	const u8 *p = data;

	ctx->bytes += len;
	if (ctx->fill) {
		size_t n = min_t(size_t, len, GMRK_SM3_BLOCK_SIZE - ctx->fill);

		memcpy(ctx->buf + ctx->fill, p, n);
		ctx->fill += n;
		p += n;
		len -= n;
		if (ctx->fill < GMRK_SM3_BLOCK_SIZE)
			return;
		gmrk_sm3_block(ctx->h, ctx->buf);
		ctx->fill = 0;
	}
	for (; len >= GMRK_SM3_BLOCK_SIZE; len -= GMRK_SM3_BLOCK_SIZE) {
		gmrk_sm3_block(ctx->h, p);
		p += GMRK_SM3_BLOCK_SIZE;
	}
	memcpy(ctx->buf, p, len);
	ctx->fill = len;
}

void gmrk_sm3_final(struct gmrk_sm3_ctx *ctx, u8 out[GMRK_SM3_DIGEST_SIZE])
{
	__be64 bits = cpu_to_be64(ctx->bytes * 8);
	unsigned int i;

	/* Padding: a 1 bit, zeros, the message length in bits (64-bit BE). */
	ctx->buf[ctx->fill++] = 0x80;
	if (ctx->fill > GMRK_SM3_BLOCK_SIZE - sizeof(bits)) {
		memset(ctx->buf + ctx->fill, 0, GMRK_SM3_BLOCK_SIZE - ctx->fill);
		gmrk_sm3_block(ctx->h, ctx->buf);
		ctx->fill = 0;
	}
	memset(ctx->buf + ctx->fill, 0,
	       GMRK_SM3_BLOCK_SIZE - sizeof(bits) - ctx->fill);
	memcpy(ctx->buf + GMRK_SM3_BLOCK_SIZE - sizeof(bits), &bits,
	       sizeof(bits));
	gmrk_sm3_block(ctx->h, ctx->buf);

	for (i = 0; i < 8; i++)
		put_unaligned_be32(ctx->h[i], out + 4 * i);
	memzero_explicit(ctx, sizeof(*ctx));
}

void gmrk_sm3(const void *data, size_t len, u8 out[GMRK_SM3_DIGEST_SIZE])
{
	struct gmrk_sm3_ctx ctx;

	gmrk_sm3_init(&ctx);
	gmrk_sm3_update(&ctx, data, len);
	gmrk_sm3_final(&ctx, out);
}

/* GB/T 32905-2016 appendix A: "abc", and "abcd" repeated 16 times. */
static const u8 gmrk_sm3_kat_abc[GMRK_SM3_DIGEST_SIZE] = {
	0x66, 0xc7, 0xf0, 0xf4, 0x62, 0xee, 0xed, 0xd9,
	0xd1, 0xf2, 0xd4, 0x6b, 0xdc, 0x10, 0xe4, 0xe2,
	0x41, 0x67, 0xc4, 0x87, 0x5c, 0xf2, 0xf7, 0xa2,
	0x29, 0x7d, 0xa0, 0x2b, 0x8f, 0x4b, 0xa8, 0xe0,
};

static const u8 gmrk_sm3_kat_abcd16[GMRK_SM3_DIGEST_SIZE] = {
	0xde, 0xbe, 0x9f, 0xf9, 0x22, 0x75, 0xb8, 0xa1,
	0x38, 0x60, 0x48, 0x89, 0xc1, 0x8e, 0x5a, 0x4d,
	0x6f, 0xdb, 0x70, 0xe5, 0x38, 0x7e, 0x57, 0x65,
	0x29, 0x3d, 0xcb, 0xa3, 0x9c, 0x0c, 0x57, 0x32,
};

int gmrk_sm3_selftest(void)
{
	struct gmrk_sm3_ctx ctx;
	u8 out[GMRK_SM3_DIGEST_SIZE];
	unsigned int i;

	gmrk_sm3("abc", 3, out);
	if (memcmp(out, gmrk_sm3_kat_abc, sizeof(out)))
		return -EIO;

	/* In uneven pieces, so the buffering is exercised too. */
	gmrk_sm3_init(&ctx);
	for (i = 0; i < 16; i++)
		gmrk_sm3_update(&ctx, "abcd", 4);
	gmrk_sm3_final(&ctx, out);
	if (memcmp(out, gmrk_sm3_kat_abcd16, sizeof(out)))
		return -EIO;
	gmrk_sm3_init(&ctx);
	gmrk_sm3_update(&ctx, "abcdabc", 7);
	for (i = 0; i < 2; i++)
		gmrk_sm3_update(&ctx, "dabcdabcdabcdabcdabc", 20);
	gmrk_sm3_update(&ctx, "dabcdabcdabcdabcd", 17);
	gmrk_sm3_final(&ctx, out);
	if (memcmp(out, gmrk_sm3_kat_abcd16, sizeof(out)))
		return -EIO;
	return 0;
}

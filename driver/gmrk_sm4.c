// SPDX-License-Identifier: GPL-2.0-only
/*
 * gmrk: SM4 block cipher, written from GB/T 32907-2016 (also published as
 * GM/T 0002-2012 and draft-ribose-cfrg-sm4).
 *
 * Debian's 6.1 kernel has no SM4 at all, yet gcm(sm4) needs one: for the
 * software fallback of gcm-sm4-gmrk (the kernel's gcm template over this
 * cipher) and for the emulation device. This is a plain table
 * implementation; it is not constant-time against cache-timing attacks,
 * like the kernel's own generic SM4.
 */

#include <crypto/algapi.h>
#include <linux/bitops.h>
#include <linux/crypto.h>
#include <linux/errno.h>
#include <linux/module.h>
#include <linux/string.h>
#include <asm/unaligned.h>

#include "gmrk_sm4.h"

/* System parameter FK (spec 7.3). */
static const u32 gmrk_sm4_fk[4] = {
	0xa3b1bac6, 0x56aa3350, 0x677d9197, 0xb27022dc,
};

/* The S-box of spec 6.2 (Sbox[x] for x = 0x00 .. 0xff). */
static const u8 gmrk_sm4_sbox[256] = {
	0xd6, 0x90, 0xe9, 0xfe, 0xcc, 0xe1, 0x3d, 0xb7,
	0x16, 0xb6, 0x14, 0xc2, 0x28, 0xfb, 0x2c, 0x05,
	0x2b, 0x67, 0x9a, 0x76, 0x2a, 0xbe, 0x04, 0xc3,
	0xaa, 0x44, 0x13, 0x26, 0x49, 0x86, 0x06, 0x99,
	0x9c, 0x42, 0x50, 0xf4, 0x91, 0xef, 0x98, 0x7a,
	0x33, 0x54, 0x0b, 0x43, 0xed, 0xcf, 0xac, 0x62,
	0xe4, 0xb3, 0x1c, 0xa9, 0xc9, 0x08, 0xe8, 0x95,
	0x80, 0xdf, 0x94, 0xfa, 0x75, 0x8f, 0x3f, 0xa6,
	0x47, 0x07, 0xa7, 0xfc, 0xf3, 0x73, 0x17, 0xba,
	0x83, 0x59, 0x3c, 0x19, 0xe6, 0x85, 0x4f, 0xa8,
	0x68, 0x6b, 0x81, 0xb2, 0x71, 0x64, 0xda, 0x8b,
	0xf8, 0xeb, 0x0f, 0x4b, 0x70, 0x56, 0x9d, 0x35,
	0x1e, 0x24, 0x0e, 0x5e, 0x63, 0x58, 0xd1, 0xa2,
	0x25, 0x22, 0x7c, 0x3b, 0x01, 0x21, 0x78, 0x87,
	0xd4, 0x00, 0x46, 0x57, 0x9f, 0xd3, 0x27, 0x52,
	0x4c, 0x36, 0x02, 0xe7, 0xa0, 0xc4, 0xc8, 0x9e,
	0xea, 0xbf, 0x8a, 0xd2, 0x40, 0xc7, 0x38, 0xb5,
	0xa3, 0xf7, 0xf2, 0xce, 0xf9, 0x61, 0x15, 0xa1,
	0xe0, 0xae, 0x5d, 0xa4, 0x9b, 0x34, 0x1a, 0x55,
	0xad, 0x93, 0x32, 0x30, 0xf5, 0x8c, 0xb1, 0xe3,
	0x1d, 0xf6, 0xe2, 0x2e, 0x82, 0x66, 0xca, 0x60,
	0xc0, 0x29, 0x23, 0xab, 0x0d, 0x53, 0x4e, 0x6f,
	0xd5, 0xdb, 0x37, 0x45, 0xde, 0xfd, 0x8e, 0x2f,
	0x03, 0xff, 0x6a, 0x72, 0x6d, 0x6c, 0x5b, 0x51,
	0x8d, 0x1b, 0xaf, 0x92, 0xbb, 0xdd, 0xbc, 0x7f,
	0x11, 0xd9, 0x5c, 0x41, 0x1f, 0x10, 0x5a, 0xd8,
	0x0a, 0xc1, 0x31, 0x88, 0xa5, 0xcd, 0x7b, 0xbd,
	0x2d, 0x74, 0xd0, 0x12, 0xb8, 0xe5, 0xb4, 0xb0,
	0x89, 0x69, 0x97, 0x4a, 0x0c, 0x96, 0x77, 0x7e,
	0x65, 0xb9, 0xf1, 0x09, 0xc5, 0x6e, 0xc6, 0x84,
	0x18, 0xf0, 0x7d, 0xec, 0x3a, 0xdc, 0x4d, 0x20,
	0x79, 0xee, 0x5f, 0x3e, 0xd7, 0xcb, 0x39, 0x48,
};

/* Non-linear transformation tau: the S-box applied to each byte. */
static u32 gmrk_sm4_tau(u32 a)
{
	return (u32)gmrk_sm4_sbox[a >> 24] << 24 |
	       (u32)gmrk_sm4_sbox[(a >> 16) & 0xff] << 16 |
	       (u32)gmrk_sm4_sbox[(a >> 8) & 0xff] << 8 |
	       (u32)gmrk_sm4_sbox[a & 0xff];
}

/* Round function's mixer T = L(tau(.)), spec 6.2. */
static u32 gmrk_sm4_t(u32 a)
{
	u32 b = gmrk_sm4_tau(a);

	return b ^ rol32(b, 2) ^ rol32(b, 10) ^ rol32(b, 18) ^ rol32(b, 24);
}

/* Key schedule's mixer T' = L'(tau(.)), spec 7.3. */
static u32 gmrk_sm4_t_key(u32 a)
{
	u32 b = gmrk_sm4_tau(a);

	return b ^ rol32(b, 13) ^ rol32(b, 23);
}

/*
 * Fixed parameter CK_i (spec 7.3): byte j of CK_i is (4i + j) * 7 mod 256,
 * computed here rather than tabulated.
 */
static u32 gmrk_sm4_ck(unsigned int i)
{
	u32 ck = 0;
	unsigned int j;

	for (j = 0; j < 4; j++)
		ck = ck << 8 | (((4 * i + j) * 7) & 0xff);
	return ck;
}

int gmrk_sm4_expand_key(struct gmrk_sm4_key *k, const u8 *key,
			unsigned int key_len)
{
	u32 kw[4];
	unsigned int i;

	if (key_len != GMRK_SM4_KEY_SIZE)
		return -EINVAL;

	for (i = 0; i < 4; i++)
		kw[i] = get_unaligned_be32(key + 4 * i) ^ gmrk_sm4_fk[i];

	for (i = 0; i < GMRK_SM4_ROUNDS; i++) {
		u32 rk = kw[0] ^ gmrk_sm4_t_key(kw[1] ^ kw[2] ^ kw[3] ^
						gmrk_sm4_ck(i));

		kw[0] = kw[1];
		kw[1] = kw[2];
		kw[2] = kw[3];
		kw[3] = rk;
		k->rk_enc[i] = rk;
		k->rk_dec[GMRK_SM4_ROUNDS - 1 - i] = rk;
	}
	memzero_explicit(kw, sizeof(kw));
	return 0;
}

/* 32 rounds and the reverse transformation R (spec 7.1). */
static void gmrk_sm4_crypt(const u32 *rk, u8 *out, const u8 *in)
{
	u32 x[4];
	unsigned int i;

	for (i = 0; i < 4; i++)
		x[i] = get_unaligned_be32(in + 4 * i);

	for (i = 0; i < GMRK_SM4_ROUNDS; i++) {
		u32 n = x[0] ^ gmrk_sm4_t(x[1] ^ x[2] ^ x[3] ^ rk[i]);

		x[0] = x[1];
		x[1] = x[2];
		x[2] = x[3];
		x[3] = n;
	}

	for (i = 0; i < 4; i++)
		put_unaligned_be32(x[3 - i], out + 4 * i);
	memzero_explicit(x, sizeof(x));
}

void gmrk_sm4_encrypt_block(const struct gmrk_sm4_key *k, u8 *out,
			    const u8 *in)
{
	gmrk_sm4_crypt(k->rk_enc, out, in);
}

void gmrk_sm4_decrypt_block(const struct gmrk_sm4_key *k, u8 *out,
			    const u8 *in)
{
	gmrk_sm4_crypt(k->rk_dec, out, in);
}

static int gmrk_sm4_setkey(struct crypto_tfm *tfm, const u8 *key,
			   unsigned int key_len)
{
	struct gmrk_sm4_key *k = crypto_tfm_ctx(tfm);

	return gmrk_sm4_expand_key(k, key, key_len);
}

static void gmrk_sm4_cra_encrypt(struct crypto_tfm *tfm, u8 *out,
				 const u8 *in)
{
	gmrk_sm4_encrypt_block(crypto_tfm_ctx(tfm), out, in);
}

static void gmrk_sm4_cra_decrypt(struct crypto_tfm *tfm, u8 *out,
				 const u8 *in)
{
	gmrk_sm4_decrypt_block(crypto_tfm_ctx(tfm), out, in);
}

/*
 * The crypto API zeroes a tfm's context when it frees it
 * (kfree_sensitive() in crypto_destroy_tfm), so no cra_exit is needed to
 * wipe the round keys.
 */
static struct crypto_alg gmrk_sm4_alg = {
	.cra_name		= "sm4",
	.cra_driver_name	= "sm4-gmrk",
	.cra_priority		= 100,
	.cra_flags		= CRYPTO_ALG_TYPE_CIPHER,
	.cra_blocksize		= GMRK_SM4_BLOCK_SIZE,
	.cra_ctxsize		= sizeof(struct gmrk_sm4_key),
	.cra_module		= THIS_MODULE,
	.cra_u			= {
		.cipher = {
			.cia_min_keysize	= GMRK_SM4_KEY_SIZE,
			.cia_max_keysize	= GMRK_SM4_KEY_SIZE,
			.cia_setkey		= gmrk_sm4_setkey,
			.cia_encrypt		= gmrk_sm4_cra_encrypt,
			.cia_decrypt		= gmrk_sm4_cra_decrypt,
		},
	},
};

int gmrk_sm4_register(void)
{
	return crypto_register_alg(&gmrk_sm4_alg);
}

void gmrk_sm4_unregister(void)
{
	crypto_unregister_alg(&gmrk_sm4_alg);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reference AEADs for differential testing.
 *
 * AES-GCM and ChaCha20-Poly1305 come from OpenSSL's EVP interface as they
 * are. SM4-GCM does not: OpenSSL 3.0 (Debian 12) offers SM4 only in
 * ECB/CBC/CFB/OFB/CTR, and Debian's kernel has no SM4 at all, so no
 * packaged library can compute SM4-GCM for us. The GCM construction
 * (NIST SP 800-38D) is therefore written out below over OpenSSL's SM4
 * block function: GCTR with a 32-bit counter and a bit-serial GHASH. It is
 * deliberately the plainest form of the algorithm (Algorithm 1 of the
 * spec for the multiplication), sharing no code or table with the driver
 * or the kernel, and is itself checked against RFC 8998's vector by the
 * KAT program before the differential test trusts it.
 */
#include "ref_aead.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#define GCM_BLOCK	16
#define GCM_IV_LEN	12

static bool taglen_ok(enum ref_alg alg, size_t taglen)
{
	if (alg == REF_CHACHAPOLY)
		return taglen == 16;
	return taglen == 4 || taglen == 8 || (taglen >= 12 && taglen <= 16);
}

static const EVP_CIPHER *evp_aead(enum ref_alg alg, size_t keylen)
{
	if (alg == REF_CHACHAPOLY)
		return keylen == 32 ? EVP_chacha20_poly1305() : NULL;
	switch (keylen) {
	case 16:
		return EVP_aes_128_gcm();
	case 24:
		return EVP_aes_192_gcm();
	case 32:
		return EVP_aes_256_gcm();
	}
	return NULL;
}

static int evp_crypt(enum ref_alg alg, bool enc, const uint8_t *key,
		     size_t keylen, const uint8_t *iv, const uint8_t *aad,
		     size_t aadlen, const uint8_t *in, size_t len, uint8_t *out,
		     uint8_t *tag, size_t taglen)
{
	const EVP_CIPHER *cipher = evp_aead(alg, keylen);
	EVP_CIPHER_CTX *ctx;
	uint8_t fin[GCM_BLOCK];	/* AEAD finals emit nothing; never NULL */
	int n, ret = -EIO;

	if (!cipher)
		return -EINVAL;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, enc) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, GCM_IV_LEN,
				NULL) <= 0 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc) <= 0)
		goto out;
	if (aadlen && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) <= 0)
		goto out;
	if (len && EVP_CipherUpdate(ctx, out, &n, in, (int)len) <= 0)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
					(int)taglen, tag) <= 0)
		goto out;
	if (EVP_CipherFinal_ex(ctx, fin, &n) <= 0) {
		ret = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
				       (int)taglen, tag) <= 0)
		goto out;
	ret = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

/* ---- SM4-GCM over SM4-ECB ---- */

struct gf128 {
	uint64_t hi, lo;	/* big-endian halves: bit 0 of GCM is hi's MSB */
};

static struct gf128 gf_load(const uint8_t b[GCM_BLOCK])
{
	struct gf128 x = { 0, 0 };

	for (int i = 0; i < 8; i++) {
		x.hi = (x.hi << 8) | b[i];
		x.lo = (x.lo << 8) | b[8 + i];
	}
	return x;
}

static void gf_store(struct gf128 x, uint8_t b[GCM_BLOCK])
{
	for (int i = 7; i >= 0; i--) {
		b[i] = (uint8_t)x.hi;
		b[8 + i] = (uint8_t)x.lo;
		x.hi >>= 8;
		x.lo >>= 8;
	}
}

/* X * Y in GF(2^128) with GCM's bit order (SP 800-38D, Algorithm 1). */
static struct gf128 gf_mul(struct gf128 x, struct gf128 y)
{
	struct gf128 z = { 0, 0 }, v = y;

	for (int i = 0; i < 128; i++) {
		uint64_t bit = i < 64 ? (x.hi >> (63 - i)) & 1 :
					(x.lo >> (127 - i)) & 1;
		uint64_t lsb = v.lo & 1;

		if (bit) {
			z.hi ^= v.hi;
			z.lo ^= v.lo;
		}
		v.lo = (v.lo >> 1) | (v.hi << 63);
		v.hi >>= 1;
		if (lsb)
			v.hi ^= 0xe100000000000000ull;
	}
	return z;
}

/* Absorb len bytes, zero-padding the last block. */
static struct gf128 ghash_update(struct gf128 acc, struct gf128 h,
				 const uint8_t *p, size_t len)
{
	while (len) {
		uint8_t blk[GCM_BLOCK] = { 0 };
		size_t n = len < GCM_BLOCK ? len : GCM_BLOCK;
		struct gf128 b;

		memcpy(blk, p, n);
		b = gf_load(blk);
		acc.hi ^= b.hi;
		acc.lo ^= b.lo;
		acc = gf_mul(acc, h);
		p += n;
		len -= n;
	}
	return acc;
}

static int sm4_ecb(const uint8_t key[16], const uint8_t *in, uint8_t *out,
		   size_t len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, ret = -EIO;

	if (!ctx)
		return -ENOMEM;
	if (EVP_EncryptInit_ex(ctx, EVP_sm4_ecb(), NULL, key, NULL) > 0 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) > 0 &&
	    EVP_EncryptUpdate(ctx, out, &n, in, (int)len) > 0 &&
	    (size_t)n == len)
		ret = 0;
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}

int ref_sm4_encrypt_block(const uint8_t key[16], const uint8_t in[16],
			  uint8_t out[16])
{
	return sm4_ecb(key, in, out, 16);
}

/*
 * GCTR keystream for len bytes starting at counter block inc32(J0), XORed
 * into out; then the tag over (aad, ct). ct is in when decrypting, out
 * when encrypting.
 */
static int sm4_gcm(bool enc, const uint8_t *key, const uint8_t *iv,
		   const uint8_t *aad, size_t aadlen, const uint8_t *in,
		   size_t len, uint8_t *out, uint8_t full_tag[GCM_BLOCK])
{
	size_t nblk = (len + GCM_BLOCK - 1) / GCM_BLOCK;
	uint8_t zero[GCM_BLOCK] = { 0 }, hb[GCM_BLOCK], j0[GCM_BLOCK];
	uint8_t ej0[GCM_BLOCK], lens[GCM_BLOCK], s[GCM_BLOCK];
	uint8_t *ks = NULL;
	struct gf128 h, acc = { 0, 0 };
	uint64_t abits = (uint64_t)aadlen * 8, cbits = (uint64_t)len * 8;
	int err;

	err = sm4_ecb(key, zero, hb, GCM_BLOCK);
	if (err)
		return err;
	h = gf_load(hb);

	memcpy(j0, iv, GCM_IV_LEN);
	j0[12] = 0;
	j0[13] = 0;
	j0[14] = 0;
	j0[15] = 1;
	err = sm4_ecb(key, j0, ej0, GCM_BLOCK);
	if (err)
		return err;

	if (nblk) {
		uint32_t ctr = 1;

		ks = malloc(nblk * GCM_BLOCK);
		if (!ks)
			return -ENOMEM;
		for (size_t i = 0; i < nblk; i++) {
			uint8_t *cb = ks + i * GCM_BLOCK;

			ctr++;	/* inc32: wraps within the low 32 bits */
			memcpy(cb, iv, GCM_IV_LEN);
			cb[12] = (uint8_t)(ctr >> 24);
			cb[13] = (uint8_t)(ctr >> 16);
			cb[14] = (uint8_t)(ctr >> 8);
			cb[15] = (uint8_t)ctr;
		}
		err = sm4_ecb(key, ks, ks, nblk * GCM_BLOCK);
		if (err)
			goto out;
	}

	acc = ghash_update(acc, h, aad, aadlen);
	if (!enc)
		acc = ghash_update(acc, h, in, len);
	for (size_t i = 0; i < len; i++)
		out[i] = in[i] ^ ks[i];
	if (enc)
		acc = ghash_update(acc, h, out, len);
	for (int i = 0; i < 8; i++) {
		lens[i] = (uint8_t)(abits >> (56 - 8 * i));
		lens[8 + i] = (uint8_t)(cbits >> (56 - 8 * i));
	}
	acc = ghash_update(acc, h, lens, GCM_BLOCK);
	gf_store(acc, s);
	for (int i = 0; i < GCM_BLOCK; i++)
		full_tag[i] = s[i] ^ ej0[i];
out:
	free(ks);
	return err;
}

int ref_aead_seal(enum ref_alg alg, const uint8_t *key, size_t keylen,
		  const uint8_t *iv, const uint8_t *aad, size_t aadlen,
		  const uint8_t *pt, size_t ptlen, uint8_t *ct,
		  uint8_t *tag, size_t taglen)
{
	uint8_t full[GCM_BLOCK];
	int err;

	if (!taglen_ok(alg, taglen))
		return -EINVAL;
	if (alg != REF_SM4_GCM)
		return evp_crypt(alg, true, key, keylen, iv, aad, aadlen, pt,
				 ptlen, ct, tag, taglen);
	if (keylen != 16)
		return -EINVAL;
	err = sm4_gcm(true, key, iv, aad, aadlen, pt, ptlen, ct, full);
	if (!err)
		memcpy(tag, full, taglen);
	OPENSSL_cleanse(full, sizeof(full));
	return err;
}

int ref_aead_open(enum ref_alg alg, const uint8_t *key, size_t keylen,
		  const uint8_t *iv, const uint8_t *aad, size_t aadlen,
		  const uint8_t *ct, size_t ctlen, const uint8_t *tag,
		  size_t taglen, uint8_t *pt)
{
	uint8_t full[GCM_BLOCK];
	int err;

	if (!taglen_ok(alg, taglen))
		return -EINVAL;
	if (alg != REF_SM4_GCM)
		return evp_crypt(alg, false, key, keylen, iv, aad, aadlen, ct,
				 ctlen, pt, (uint8_t *)tag, taglen);
	if (keylen != 16)
		return -EINVAL;
	err = sm4_gcm(false, key, iv, aad, aadlen, ct, ctlen, pt, full);
	if (!err && CRYPTO_memcmp(full, tag, taglen) != 0) {
		OPENSSL_cleanse(pt, ctlen);
		err = -EBADMSG;
	}
	OPENSSL_cleanse(full, sizeof(full));
	return err;
}

int ref_aead_seal_afalg(enum ref_alg alg, const uint8_t *key, size_t keylen,
			const uint8_t *iv, size_t assoclen, const uint8_t *in,
			size_t inlen, uint8_t *out, size_t taglen)
{
	size_t ptlen;

	if (assoclen > inlen)
		return -EINVAL;
	ptlen = inlen - assoclen;
	memmove(out, in, assoclen);
	return ref_aead_seal(alg, key, keylen, iv, out, assoclen,
			     in + assoclen, ptlen, out + assoclen,
			     out + assoclen + ptlen, taglen);
}

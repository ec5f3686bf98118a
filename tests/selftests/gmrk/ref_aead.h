/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reference AEADs for differential testing, computed in the test process
 * with OpenSSL: AES-GCM and ChaCha20-Poly1305 straight from EVP, SM4-GCM
 * assembled from OpenSSL's SM4 block function (see ref_aead.c for why).
 */
#ifndef GMRK_SELFTEST_REF_AEAD_H
#define GMRK_SELFTEST_REF_AEAD_H

#include <stddef.h>
#include <stdint.h>

enum ref_alg {
	REF_AES_GCM,
	REF_SM4_GCM,
	REF_CHACHAPOLY,
};

/*
 * Seal: ct gets ptlen bytes, tag gets taglen bytes. IV is 12 bytes.
 * Returns 0 or -EINVAL (bad sizes) / -EIO (library failure).
 */
int ref_aead_seal(enum ref_alg alg, const uint8_t *key, size_t keylen,
		  const uint8_t *iv, const uint8_t *aad, size_t aadlen,
		  const uint8_t *pt, size_t ptlen, uint8_t *ct,
		  uint8_t *tag, size_t taglen);

/* Open: pt gets ctlen bytes. Returns 0, -EBADMSG, -EINVAL or -EIO. */
int ref_aead_open(enum ref_alg alg, const uint8_t *key, size_t keylen,
		  const uint8_t *iv, const uint8_t *aad, size_t aadlen,
		  const uint8_t *ct, size_t ctlen, const uint8_t *tag,
		  size_t taglen, uint8_t *pt);

/*
 * Convenience in AF_ALG layout: in = AAD || PT, out = AAD || CT || TAG
 * (outlen = inlen + taglen).
 */
int ref_aead_seal_afalg(enum ref_alg alg, const uint8_t *key, size_t keylen,
			const uint8_t *iv, size_t assoclen, const uint8_t *in,
			size_t inlen, uint8_t *out, size_t taglen);

/* SM4 single-block encryption (GB/T 32907) through OpenSSL's SM4-ECB. */
int ref_sm4_encrypt_block(const uint8_t key[16], const uint8_t in[16],
			  uint8_t out[16]);

#endif /* GMRK_SELFTEST_REF_AEAD_H */

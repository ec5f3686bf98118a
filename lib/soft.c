// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Userspace software AEAD: OpenSSL EVP for AES-GCM and ChaCha20-Poly1305
 * (AES-NI/AVX paths, the fastest on this class of CPU), libgmrk's own
 * SM4-GCM (lib/sm4/) because OpenSSL 3.0 has none.
 *
 * Each gmrk_aead keeps one encrypt and one decrypt EVP context with the key
 * schedule already done; a request only sets the nonce.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"
#ifdef GMRK_HAVE_SM4GCM
#include "sm4gcm.h"
#endif

bool gmrk__soft_has(enum gmrk_cipher c)
{
#ifndef GMRK_HAVE_SM4GCM
	if (c == GMRK_CIPHER_SM4_GCM)
		return false;
#endif
	return gmrk__cipher_valid(c);
}

static const EVP_CIPHER *gmrk_evp(enum gmrk_cipher c, size_t keylen)
{
	if (c == GMRK_CIPHER_CHACHA20_POLY1305)
		return EVP_chacha20_poly1305();
	switch (keylen) {
	case 16:
		return EVP_aes_128_gcm();
	case 24:
		return EVP_aes_192_gcm();
	default:
		return EVP_aes_256_gcm();
	}
}

static int gmrk_soft_setup(struct gmrk_aead *a)
{
	const EVP_CIPHER *ec;

	if (a->cipher == GMRK_CIPHER_SM4_GCM) {
#ifdef GMRK_HAVE_SM4GCM
		a->sm4 = gmrk_sm4gcm_new(a->key);
		return a->sm4 ? 0 : -GMRK_E_NOMEM;
#else
		return -GMRK_E_UNSUPPORTED;
#endif
	}
	ec = gmrk_evp(a->cipher, a->keylen);
	a->enc = EVP_CIPHER_CTX_new();
	a->dec = EVP_CIPHER_CTX_new();
	if (!a->enc || !a->dec)
		return -GMRK_E_NOMEM;
	if (EVP_EncryptInit_ex(a->enc, ec, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->enc, EVP_CTRL_AEAD_SET_IVLEN, GMRK_NONCE_LEN, NULL) != 1 ||
	    EVP_EncryptInit_ex(a->enc, NULL, NULL, a->key, NULL) != 1 ||
	    EVP_DecryptInit_ex(a->dec, ec, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->dec, EVP_CTRL_AEAD_SET_IVLEN, GMRK_NONCE_LEN, NULL) != 1 ||
	    EVP_DecryptInit_ex(a->dec, NULL, NULL, a->key, NULL) != 1)
		return -GMRK_E_UNSUPPORTED;
	return 0;
}

int gmrk__aead_init(struct gmrk_aead *a, enum gmrk_cipher c,
		    const uint8_t *key, size_t keylen, gmrk_error *err)
{
	int rc;

	memset(a, 0, sizeof(*a));
	if (!gmrk__cipher_valid(c))
		return gmrk__err(err, GMRK_E_UNSUPPORTED, "unknown cipher %d", (int)c);
	if (!gmrk__keylen_ok(c, keylen))
		return gmrk__err(err, GMRK_E_INVAL, "%s: invalid key length %zu",
				 gmrk_cipher_name(c), keylen);
	a->cipher = c;
	a->keylen = keylen;
	memcpy(a->key, key, keylen);
	if (!gmrk__soft_has(c))
		return 0;	/* AF_ALG may still have it */
	rc = gmrk_soft_setup(a);
	if (rc) {
		gmrk__aead_clear(a);
		return gmrk__err(err, -rc, "%s: cannot set up software cipher",
				 gmrk_cipher_name(c));
	}
	return 0;
}

void gmrk__aead_clear(struct gmrk_aead *a)
{
	int i;

	if (!a)
		return;
	EVP_CIPHER_CTX_free(a->enc);	/* cleanses the key schedule */
	EVP_CIPHER_CTX_free(a->dec);
#ifdef GMRK_HAVE_SM4GCM
	gmrk_sm4gcm_free(a->sm4);
#endif
	for (i = 0; i < GMRK_AF_COUNT; i++)
		gmrk__af_free(a->af[i].h);
	gmrk__memzero(a, sizeof(*a));
}

/* EVP takes int lengths: feed big buffers in pieces. */
static int gmrk_evp_update(EVP_CIPHER_CTX *c, uint8_t *out, const uint8_t *in,
			   size_t len)
{
	const size_t step = (size_t)1 << 30;
	int n;

	while (len) {
		size_t chunk = len < step ? len : step;

		if (EVP_CipherUpdate(c, out, &n, in, (int)chunk) != 1)
			return -1;
		if (out)
			out += chunk;
		in += chunk;
		len -= chunk;
	}
	return 0;
}

static int gmrk_evp_run(struct gmrk_aead *a, const struct gmrk_req *r)
{
	EVP_CIPHER_CTX *c = r->enc ? a->enc : a->dec;
	uint8_t dummy[16];
	int n;

	if (EVP_CipherInit_ex(c, NULL, NULL, NULL, r->nonce, r->enc) != 1)
		return -GMRK_E_UNSUPPORTED;
	if (r->aadlen && gmrk_evp_update(c, NULL, r->aad, r->aadlen))
		return -GMRK_E_UNSUPPORTED;
	if (r->len && gmrk_evp_update(c, r->out, r->in, r->len))
		return -GMRK_E_UNSUPPORTED;
	if (r->enc) {
		if (EVP_CipherFinal_ex(c, dummy, &n) != 1 ||
		    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, GMRK_TAG_LEN, r->tag) != 1)
			return -GMRK_E_UNSUPPORTED;
		return 0;
	}
	/* OpenSSL compares the tag in constant time (CRYPTO_memcmp). */
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, GMRK_TAG_LEN, r->tag) != 1)
		return -GMRK_E_UNSUPPORTED;
	if (EVP_CipherFinal_ex(c, dummy, &n) != 1) {
		gmrk__memzero(r->out, r->len);
		return -GMRK_E_AUTH;
	}
	return 0;
}

int gmrk__soft_run(struct gmrk_aead *a, const struct gmrk_req *r)
{
	if (!gmrk__soft_has(a->cipher))
		return -GMRK_E_UNSUPPORTED;
#ifdef GMRK_HAVE_SM4GCM
	if (a->cipher == GMRK_CIPHER_SM4_GCM) {
		int rc;

		if (r->enc)
			rc = gmrk_sm4gcm_seal(a->sm4, r->nonce, GMRK_NONCE_LEN,
					      r->aad, r->aadlen, r->in, r->len,
					      r->out, r->tag, GMRK_TAG_LEN);
		else
			rc = gmrk_sm4gcm_open(a->sm4, r->nonce, GMRK_NONCE_LEN,
					      r->aad, r->aadlen, r->in, r->len,
					      r->tag, GMRK_TAG_LEN, r->out);
		if (rc == -EBADMSG) {
			/* in place, sm4gcm leaves the ciphertext: clear it too */
			gmrk__memzero(r->out, r->len);
			return -GMRK_E_AUTH;
		}
		return rc ? -GMRK_E_INVAL : 0;
	}
#endif
	return gmrk_evp_run(a, r);
}

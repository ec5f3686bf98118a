// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Userspace software AEAD.
 *
 * AES-GCM and ChaCha20-Poly1305: libgcrypt by default, OpenSSL's EVP with
 * GMRK_CFG_SOFT_OPENSSL or GMRK_SOFT_IMPL=openssl in the environment. Both are well kept and give the same bytes
 * (tests/host/test_diff.c); libgcrypt 1.10 is the faster one on the
 * machines gmrk targets, at every size: its GCM uses VAES/VPCLMULQDQ, and
 * a request costs it far less than OpenSSL 3.0's provider dispatch (an
 * EVP_CIPHER_CTX_ctrl for the tag walks OSSL_PARAM lists by strcmp), which
 * dominates at 256-byte blocks: ~1.5 GB/s against ~0.7 GB/s for AES-256-GCM
 * with a block header's AAD, and 4.2 against 3.0 GB/s at 4 KiB.
 *
 * SM4-GCM: libgmrk's own (lib/sm4/), since OpenSSL 3.0 has none and
 * libgcrypt's is slower.
 *
 * Each gmrk_aead keeps its cipher handles with the key schedule done; a
 * request only sets the nonce.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
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

static bool gmrk_use_openssl;
static pthread_once_t gmrk_soft_once = PTHREAD_ONCE_INIT;

/*
 * libgcrypt wants to be initialized once per process; an application that
 * already did it keeps its settings.
 */
static void gmrk_soft_init(void)
{
	const char *impl = getenv("GMRK_SOFT_IMPL");

	gmrk_use_openssl = impl && !strcmp(impl, "openssl");
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		gcry_check_version(NULL);
		gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	}
}

static int gmrk_gcry_setup(struct gmrk_aead *a)
{
	int algo, mode = GCRY_CIPHER_MODE_GCM;
	gcry_cipher_hd_t h;

	if (a->cipher == GMRK_CIPHER_CHACHA20_POLY1305) {
		algo = GCRY_CIPHER_CHACHA20;
		mode = GCRY_CIPHER_MODE_POLY1305;
	} else {
		algo = a->keylen == 16 ? GCRY_CIPHER_AES128 :
		       a->keylen == 24 ? GCRY_CIPHER_AES192 : GCRY_CIPHER_AES256;
	}
	if (gcry_cipher_open(&h, algo, mode, 0))
		return -GMRK_E_UNSUPPORTED;
	if (gcry_cipher_setkey(h, a->key, a->keylen)) {
		gcry_cipher_close(h);
		return -GMRK_E_UNSUPPORTED;
	}
	a->gcry = h;
	return 0;
}

static int gmrk_soft_setup(struct gmrk_aead *a, unsigned int flags)
{
	const EVP_CIPHER *ec;

	pthread_once(&gmrk_soft_once, gmrk_soft_init);

	if (a->cipher == GMRK_CIPHER_SM4_GCM) {
#ifdef GMRK_HAVE_SM4GCM
		a->sm4 = gmrk_sm4gcm_new(a->key);
		return a->sm4 ? 0 : -GMRK_E_NOMEM;
#else
		return -GMRK_E_UNSUPPORTED;
#endif
	}
	if (!gmrk_use_openssl && !(flags & GMRK_CFG_SOFT_OPENSSL))
		return gmrk_gcry_setup(a);
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
		    const uint8_t *key, size_t keylen, unsigned int flags,
		    gmrk_error *err)
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
	rc = gmrk_soft_setup(a, flags);
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
	if (a->gcry)
		gcry_cipher_close(a->gcry);	/* wipes it too */
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

static int gmrk_gcry_run(struct gmrk_aead *a, const struct gmrk_req *r)
{
	gcry_cipher_hd_t h = a->gcry;
	bool inplace = r->in == r->out;
	gcry_error_t e;

	if (gcry_cipher_setiv(h, r->nonce, GMRK_NONCE_LEN) ||
	    (r->aadlen && gcry_cipher_authenticate(h, r->aad, r->aadlen)))
		return -GMRK_E_UNSUPPORTED;
	gcry_cipher_final(h);
	if (r->enc) {
		if (r->len && gcry_cipher_encrypt(h, r->out, r->len, inplace ? NULL : r->in,
						  inplace ? 0 : r->len))
			return -GMRK_E_UNSUPPORTED;
		return gcry_cipher_gettag(h, r->tag, GMRK_TAG_LEN) ? -GMRK_E_UNSUPPORTED : 0;
	}
	if (r->len && gcry_cipher_decrypt(h, r->out, r->len, inplace ? NULL : r->in,
					  inplace ? 0 : r->len))
		return -GMRK_E_UNSUPPORTED;
	/* constant-time comparison inside libgcrypt */
	e = gcry_cipher_checktag(h, r->tag, GMRK_TAG_LEN);
	if (e) {
		gmrk__memzero(r->out, r->len);
		return gcry_err_code(e) == GPG_ERR_CHECKSUM ? -GMRK_E_AUTH : -GMRK_E_UNSUPPORTED;
	}
	return 0;
}

int gmrk__soft_run(struct gmrk_aead *a, const struct gmrk_req *r)
{
	/* the common case first: a->gcry exists only when software has it */
	if (a->gcry)
		return gmrk_gcry_run(a, r);
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

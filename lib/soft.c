// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Userspace software AEAD.
 *
 * AES-GCM and ChaCha20-Poly1305: libgcrypt or OpenSSL's EVP, whichever
 * runs a request of that size faster on this machine. Both are well kept
 * and give the same bytes (tests/host/test_diff.c), but neither wins
 * everywhere: OpenSSL 3.0's provider dispatch costs some 100 ns a request
 * more than libgcrypt (an EVP_CIPHER_CTX_ctrl for the tag walks OSSL_PARAM
 * lists by strcmp), which dominates at 256-byte blocks, while for large
 * requests the faster bulk code depends on the CPU (on an AVX-512 machine
 * OpenSSL's ChaCha20-Poly1305 is ~12% faster than libgcrypt 1.10's at
 * 64 KiB, on AVX2-only ones libgcrypt's is faster; libgcrypt's AES-GCM
 * wins on both). So once per process and cipher, at the first key set up
 * for it, gmrk_pick() times both on a throw-away key at the sizes of
 * lib/calibrate.c's classes, from the largest down, and requests from the
 * smallest class on which OpenSSL won by 1% or more (and on every larger
 * class) go to EVP, smaller ones to libgcrypt. That costs well under a
 * millisecond (it stops at the first class libgcrypt wins: for AES-GCM
 * here the first, 64 KiB), 2.5 ms at most.
 * GMRK_SOFT_IMPL=openssl or GMRK_CFG_SOFT_OPENSSL: EVP only;
 * GMRK_SOFT_IMPL=libgcrypt: libgcrypt only; neither is measured then.
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

enum { GMRK_IMPL_AUTO, GMRK_IMPL_GCRYPT, GMRK_IMPL_OPENSSL };

static int gmrk_impl_env;
static pthread_once_t gmrk_soft_once = PTHREAD_ONCE_INIT;

static void gmrk_pick_prepare(void);
static void gmrk_pick_release(void);

/*
 * libgcrypt wants to be initialized once per process; an application that
 * already did it keeps its settings.
 */
static void gmrk_soft_init(void)
{
	const char *impl = getenv("GMRK_SOFT_IMPL");

	/*
	 * The per-size measurement holds gmrk_pick_lock for up to a few
	 * milliseconds; a fork() from another thread meanwhile must not
	 * leave the child a lock nobody there will release.
	 */
	pthread_atfork(gmrk_pick_prepare, gmrk_pick_release, gmrk_pick_release);

	if (impl && !strcmp(impl, "openssl"))
		gmrk_impl_env = GMRK_IMPL_OPENSSL;
	else if (impl && (!strcmp(impl, "libgcrypt") || !strcmp(impl, "gcrypt")))
		gmrk_impl_env = GMRK_IMPL_GCRYPT;
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

static int gmrk_evp_setup(struct gmrk_aead *a)
{
	const EVP_CIPHER *ec = gmrk_evp(a->cipher, a->keylen);

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

/* inlined into gmrk__soft_run(): the per-block path */
static inline __attribute__((always_inline)) int
gmrk_gcry_run(struct gmrk_aead *a, const struct gmrk_req *r)
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

/* the measured size classes: 64 B .. 64 KiB, as lib/calibrate.c's */
#define GMRK_PICK_CLASSES	6
#define GMRK_PICK_ROUNDS	6	/* timed samples per library and class */
#define GMRK_PICK_BYTES		16384	/* a sample is at least this much work */

/* per cipher: measured yet, and from which request size EVP runs it */
static pthread_mutex_t gmrk_pick_lock = PTHREAD_MUTEX_INITIALIZER;
static bool gmrk_pick_done[GMRK_CIPHER_COUNT];
static size_t gmrk_pick_from[GMRK_CIPHER_COUNT];

/* fork(): held across it (pthread_atfork in gmrk_soft_init) */
static void gmrk_pick_prepare(void)
{
	pthread_mutex_lock(&gmrk_pick_lock);
}

static void gmrk_pick_release(void)
{
	pthread_mutex_unlock(&gmrk_pick_lock);
}

/* ns for @n requests @r on one library of @a (0: it failed) */
static uint64_t gmrk_pick_time(struct gmrk_aead *a, bool evp,
			       const struct gmrk_req *r, unsigned int n)
{
	uint64_t t0 = gmrk__now_ns(), dt;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (evp ? gmrk_evp_run(a, r) : gmrk_gcry_run(a, r))
			return 0;
	dt = gmrk__now_ns() - t0;
	return dt ? dt : 1;
}

/*
 * From which request size OpenSSL runs @c faster than libgcrypt here
 * (SIZE_MAX: at no size measured). Requests as gmrk_seal makes them: a
 * block's 56 bytes of AAD, the ciphertext 40 bytes into the output. The
 * two libraries take turns, so a disturbance hits both; each keeps its
 * best sample. Anything failing keeps libgcrypt.
 */
static size_t gmrk_pick_measure(enum gmrk_cipher c)
{
	const size_t max = (size_t)64 << (2 * (GMRK_PICK_CLASSES - 1));
	uint8_t nonce[GMRK_NONCE_LEN] = { 0 }, aad[56], tag[GMRK_TAG_LEN];
	size_t from = SIZE_MAX;
	uint8_t *buf = NULL;
	struct gmrk_aead a;
	int k, i;

	memset(&a, 0, sizeof(a));
	a.cipher = c;
	a.keylen = 32;
	/* a throw-away key: nonces may repeat */
	if (gmrk__getrandom(a.key, a.keylen) || gmrk_gcry_setup(&a) || gmrk_evp_setup(&a))
		goto out;
	buf = malloc(2 * max + GMRK_OVERHEAD);
	if (!buf)
		goto out;
	/* fault the pages in now, not in the first timing */
	memset(buf, 0x5a, 2 * max + GMRK_OVERHEAD);
	memset(aad, 0xa5, sizeof(aad));
	for (k = GMRK_PICK_CLASSES - 1; k >= 0; k--) {
		size_t len = (size_t)64 << (2 * k);
		unsigned int n = len < GMRK_PICK_BYTES ? GMRK_PICK_BYTES / len : 1;
		struct gmrk_req r = {
			.enc = true, .nonce = nonce, .aad = aad, .aadlen = sizeof(aad),
			.in = buf, .len = len, .out = buf + max + GMRK_HEADER_LEN,
			.tag = tag,
		};
		uint64_t best[2] = { UINT64_MAX, UINT64_MAX };

		/* one warm-up round, then the timed ones */
		for (i = 0; i <= 2 * GMRK_PICK_ROUNDS + 1; i++) {
			bool evp = (i ^ (i >> 1)) & 1;	/* g e e g g e e g ... */
			uint64_t t = gmrk_pick_time(&a, evp, &r, n);

			if (!t) {
				from = SIZE_MAX;
				goto out;
			}
			if (i > 1 && t < best[evp])
				best[evp] = t;
		}
		if (best[1] >= best[0] - best[0] / 100)
			break;		/* libgcrypt holds this class and below */
		from = k ? (size_t)32 << (2 * k) : 0;
	}
out:
	free(buf);
	gmrk__aead_clear(&a);
	return from;
}

static size_t gmrk_pick(enum gmrk_cipher c)
{
	size_t from;

	pthread_mutex_lock(&gmrk_pick_lock);
	if (!gmrk_pick_done[c]) {
		gmrk_pick_from[c] = gmrk_pick_measure(c);
		gmrk_pick_done[c] = true;
	}
	from = gmrk_pick_from[c];
	pthread_mutex_unlock(&gmrk_pick_lock);
	return from;
}

static int gmrk_soft_setup(struct gmrk_aead *a, unsigned int flags)
{
	int rc;

	pthread_once(&gmrk_soft_once, gmrk_soft_init);

	if (a->cipher == GMRK_CIPHER_SM4_GCM) {
#ifdef GMRK_HAVE_SM4GCM
		a->sm4 = gmrk_sm4gcm_new(a->key);
		return a->sm4 ? 0 : -GMRK_E_NOMEM;
#else
		return -GMRK_E_UNSUPPORTED;
#endif
	}
	a->evp_from = SIZE_MAX;
	if (gmrk_impl_env == GMRK_IMPL_OPENSSL || (flags & GMRK_CFG_SOFT_OPENSSL))
		return gmrk_evp_setup(a);
	rc = gmrk_gcry_setup(a);
	if (rc || gmrk_impl_env == GMRK_IMPL_GCRYPT)
		return rc;
	a->evp_from = gmrk_pick(a->cipher);
	return a->evp_from == SIZE_MAX ? 0 : gmrk_evp_setup(a);
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

int gmrk__soft_run(struct gmrk_aead *a, const struct gmrk_req *r)
{
	/* the common case first: a->gcry exists only when software has it */
	if (a->gcry && r->len < a->evp_from)
		return gmrk_gcry_run(a, r);
	if (a->enc)
		return gmrk_evp_run(a, r);
#ifdef GMRK_HAVE_SM4GCM
	if (a->sm4) {
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
	return -GMRK_E_UNSUPPORTED;	/* no software implementation of it */
}

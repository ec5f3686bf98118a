// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Raw AEAD with a caller-supplied key and nonce, routed like blocks. The
 * last key used with each cipher stays set up in the context (key
 * schedule, bound AF_ALG sockets), so a caller doing many operations
 * under one key pays for it once.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "internal.h"

static int gmrk_raw_aead(gmrk_ctx *ctx, enum gmrk_cipher c, const uint8_t *key,
			 size_t keylen, struct gmrk_aead **out, gmrk_error *err)
{
	struct gmrk_aead *a = ctx->raw[c];
	int rc;

	if (a && a->keylen == keylen && !CRYPTO_memcmp(a->key, key, keylen)) {
		*out = a;
		return 0;
	}
	if (a)
		gmrk__aead_clear(a);
	else
		a = malloc(sizeof(*a));
	ctx->raw[c] = NULL;
	if (!a)
		return gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
	rc = gmrk__aead_init(a, c, key, keylen, ctx->flags, err);
	if (rc) {
		free(a);
		return rc;
	}
	ctx->raw[c] = a;
	*out = a;
	return 0;
}

void gmrk__raw_free(gmrk_ctx *ctx)
{
	for (int c = 0; c < GMRK_CIPHER_COUNT; c++) {
		if (ctx->raw[c]) {
			gmrk__aead_clear(ctx->raw[c]);
			free(ctx->raw[c]);
			ctx->raw[c] = NULL;
		}
	}
}

static int gmrk_raw(gmrk_ctx *ctx, enum gmrk_cipher c, const uint8_t *key,
		    size_t keylen, const uint8_t *nonce, size_t noncelen,
		    const void *aad, size_t aadlen, const void *in, size_t len,
		    void *out, uint8_t *tag, bool enc, gmrk_error *err)
{
	struct gmrk_aead *a = NULL;
	struct gmrk_req r = {
		.enc = enc, .nonce = nonce, .aad = aad, .aadlen = aadlen,
		.in = in, .len = len, .out = out, .tag = tag,
	};
	int rc;

	gmrk__err_clear(err);
	if (!ctx)
		return gmrk__err(err, GMRK_E_INVAL, "no context");
	if (!gmrk__cipher_valid(c))
		rc = gmrk__err(err, GMRK_E_UNSUPPORTED, "unknown cipher %d", (int)c);
	else if (!key || !gmrk__keylen_ok(c, keylen))
		rc = gmrk__err(err, GMRK_E_UNSUPPORTED, "%s: unsupported key length %zu",
			       gmrk_cipher_name(c), keylen);
	else if (!nonce || noncelen != GMRK_NONCE_LEN)
		rc = gmrk__err(err, GMRK_E_UNSUPPORTED, "%s: nonce must be %d bytes, not %zu",
			       gmrk_cipher_name(c), GMRK_NONCE_LEN, noncelen);
	else if (!tag || (aadlen && !aad) || (len && (!in || !out)))
		rc = gmrk__err(err, GMRK_E_INVAL, "%s: missing buffer", gmrk_cipher_name(c));
	else if (in != out && gmrk__overlap(in, len, out, len))
		rc = gmrk__err(err, GMRK_E_INVAL, "%s: input and output overlap",
			       gmrk_cipher_name(c));
	else
		rc = 0;
	if (rc) {
		GMRK_STAT_ADD(ctx, errors, 1);
		return rc;
	}
	rc = gmrk_raw_aead(ctx, c, key, keylen, &a, err);
	if (!rc)
		rc = gmrk__run(ctx, a, &r, NULL, NULL, err);
	if (rc)
		GMRK_STAT_ADD(ctx, errors, 1);	/* on EBADMSG @out is zeroed */
	return rc;
}

int gmrk_aead_encrypt(gmrk_ctx *ctx, enum gmrk_cipher c,
		      const uint8_t *key, size_t keylen,
		      const uint8_t *nonce, size_t noncelen,
		      const void *aad, size_t aadlen,
		      const void *in, size_t len, void *out,
		      uint8_t tag[GMRK_TAG_LEN], gmrk_error *err)
{
	return gmrk_raw(ctx, c, key, keylen, nonce, noncelen, aad, aadlen, in,
			len, out, tag, true, err);
}

int gmrk_aead_decrypt(gmrk_ctx *ctx, enum gmrk_cipher c,
		      const uint8_t *key, size_t keylen,
		      const uint8_t *nonce, size_t noncelen,
		      const void *aad, size_t aadlen,
		      const void *in, size_t len,
		      const uint8_t tag[GMRK_TAG_LEN], void *out,
		      gmrk_error *err)
{
	return gmrk_raw(ctx, c, key, keylen, nonce, noncelen, aad, aadlen, in,
			len, out, (uint8_t *)tag, false, err);
}

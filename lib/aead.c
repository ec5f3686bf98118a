// SPDX-License-Identifier: LGPL-2.1-or-later
/* Raw AEAD with a caller-supplied key and nonce, routed like blocks. */
#include <string.h>

#include "internal.h"

static int gmrk_raw(gmrk_ctx *ctx, enum gmrk_cipher c, const uint8_t *key,
		    size_t keylen, const uint8_t *nonce, size_t noncelen,
		    const void *aad, size_t aadlen, const void *in, size_t len,
		    void *out, uint8_t *tag, bool enc, gmrk_error *err)
{
	struct gmrk_aead a;
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
	rc = gmrk__aead_init(&a, c, key, keylen, ctx->flags, err);
	if (!rc)
		rc = gmrk__run(ctx, &a, &r, NULL, NULL, err);
	gmrk__aead_clear(&a);
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

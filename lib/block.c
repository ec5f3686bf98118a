// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gmrk_seal / gmrk_open: one block in the on-disk format. The work is split
 * in prepare (parse, check, build header and AAD), run (any path) and
 * finish, so that batches can run many prepared blocks concurrently.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void gmrk_hex_id(char out[2 * GMRK_KEY_ID_LEN + 1], const uint8_t *id)
{
	int i;

	for (i = 0; i < GMRK_KEY_ID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

static int gmrk_build_aad(struct gmrk_prep *p, const struct gmrk_block *b,
			  gmrk_error *err)
{
	size_t need = GMRK_HEADER_LEN + 8 + b->adlen;
	uint8_t *buf = p->stack;

	if (b->adlen > SIZE_MAX - GMRK_HEADER_LEN - 8 || (b->adlen && !b->ad))
		return gmrk__err(err, GMRK_E_INVAL, "invalid associated data");
	if (need > sizeof(p->stack)) {
		buf = malloc(need);
		if (!buf)
			return gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
		p->aadbuf = buf;
	}
	p->req.aad = buf;
	p->req.aadlen = gmrk__block_aad(buf, p->hdr, b->position, b->ad, b->adlen);
	return 0;
}

void gmrk__prep_free(struct gmrk_prep *p)
{
	free(p->aadbuf);
	p->aadbuf = NULL;
}

int gmrk__seal_prep(gmrk_ctx *ctx, gmrk_key *key, struct gmrk_block *b,
		    struct gmrk_prep *p, gmrk_error *err)
{
	enum gmrk_cipher c = ctx->cipher;
	struct gmrk_keyver *kv;
	struct gmrk_hdr h;
	uint8_t *out = b->out;
	int rc;

	memset(p, 0, offsetof(struct gmrk_prep, stack));
	if (!key)
		return gmrk__err(err, GMRK_E_NOKEY, "seal: no key given");
	if ((!b->in && b->inlen) || !b->out)
		return gmrk__err(err, GMRK_E_INVAL, "seal: no buffer");
	if (b->inlen > GMRK_MAX_PAYLOAD)
		return gmrk__err(err, GMRK_E_INVAL, "seal: %zu bytes, a block holds at most %u",
				 b->inlen, GMRK_MAX_PAYLOAD);
	/* inlen is bounded now: no overflow */
	if (b->outcap < b->inlen + GMRK_OVERHEAD)
		return gmrk__err(err, GMRK_E_SPACE, "seal: output needs %zu bytes, has %zu",
				 b->inlen + GMRK_OVERHEAD, b->outcap);
	if (gmrk__overlap(b->in, b->inlen, b->out, b->inlen + GMRK_OVERHEAD))
		return gmrk__err(err, GMRK_E_INVAL, "seal: input and output overlap");
	kv = &key->ver[key->nver - 1];
	if (kv->used[c] >= ctx->nonce_limit) {
		char id[2 * GMRK_KEY_ID_LEN + 1];

		gmrk_hex_id(id, key->id);
		return gmrk__err(err, GMRK_E_EXHAUSTED,
				 "key %s version %u sealed %llu blocks with %s, its limit: rotate the key",
				 id, kv->version, (unsigned long long)kv->used[c],
				 gmrk_cipher_name(c));
	}
	p->aead = kv->aead[c];	/* built on first use */
	if (!p->aead) {
		rc = gmrk__key_aead(key, kv, c, &p->aead, err);
		if (rc)
			return rc;
	}
	/* every field gmrk__hdr_encode reads is set below */
	h.cipher = c;
	h.key_version = kv->version;
	memcpy(h.key_id, key->id, GMRK_KEY_ID_LEN);
	h.payload_len = (uint32_t)b->inlen;
	rc = gmrk__nonce(ctx, h.nonce);
	if (rc)
		return gmrk__err_sys(err, -rc, "getrandom");
	kv->used[c]++;		/* drawn: counts even if the seal fails later */
	gmrk__hdr_encode(&h, p->hdr);
	memcpy(out, p->hdr, GMRK_HEADER_LEN);
	rc = gmrk_build_aad(p, b, err);
	if (rc)
		return rc;
	p->req.enc = true;
	p->req.nonce = out + 24;
	p->req.in = b->in;
	p->req.len = b->inlen;
	p->req.out = out + GMRK_HEADER_LEN;
	p->req.tag = out + GMRK_HEADER_LEN + b->inlen;
	return 0;
}

int gmrk__open_prep(gmrk_ctx *ctx, gmrk_key *key, struct gmrk_block *b,
		    struct gmrk_prep *p, gmrk_error *err)
{
	const uint8_t *in = b->in;
	struct gmrk_keyver *kv;
	struct gmrk_hdr h;
	char id[2 * GMRK_KEY_ID_LEN + 1], id2[2 * GMRK_KEY_ID_LEN + 1];
	int rc;

	memset(p, 0, offsetof(struct gmrk_prep, stack));
	if ((!in && b->inlen) || (!b->out && b->outcap))
		return gmrk__err(err, GMRK_E_INVAL, "open: no buffer");
	rc = gmrk__hdr_decode(in, b->inlen, &h, err);
	if (rc == -GMRK_E_PLAINTEXT) {
		if (!(ctx->flags & GMRK_CFG_ALLOW_PLAINTEXT) && !b->inlen)
			return gmrk__err(err, GMRK_E_TRUNCATED, "empty block at position %llu",
					 (unsigned long long)b->position);
		if (!(ctx->flags & GMRK_CFG_ALLOW_PLAINTEXT))
			return gmrk__err(err, GMRK_E_PLAINTEXT,
					 "block at position %llu has no gmrk header (unencrypted data) and plaintext is not allowed",
					 (unsigned long long)b->position);
		if (b->outcap < b->inlen)
			return gmrk__err(err, GMRK_E_SPACE, "open: output needs %zu bytes, has %zu",
					 b->inlen, b->outcap);
		if (gmrk__overlap(in, b->inlen, b->out, b->inlen))
			return gmrk__err(err, GMRK_E_INVAL, "open: input and output overlap");
		p->plaintext = true;
		return 0;
	}
	if (rc)
		return rc;
	if (b->inlen < (size_t)h.payload_len + GMRK_OVERHEAD)
		return gmrk__err(err, GMRK_E_TRUNCATED,
				 "block truncated: %zu bytes, its header says %zu",
				 b->inlen, (size_t)h.payload_len + GMRK_OVERHEAD);
	if (b->inlen > (size_t)h.payload_len + GMRK_OVERHEAD)
		return gmrk__err(err, GMRK_E_CORRUPT,
				 "block corrupt: %zu bytes, its header says %zu",
				 b->inlen, (size_t)h.payload_len + GMRK_OVERHEAD);
	gmrk_hex_id(id, h.key_id);
	if (!key)
		return gmrk__err(err, GMRK_E_NOKEY,
				 "block is encrypted (key %s) but no key was given", id);
	if (memcmp(h.key_id, key->id, GMRK_KEY_ID_LEN)) {
		gmrk_hex_id(id2, key->id);
		return gmrk__err(err, GMRK_E_WRONG_KEY,
				 "block was sealed with key %s, not with key %s", id, id2);
	}
	kv = gmrk__key_version(key, h.key_version);
	if (!kv)
		return gmrk__err(err, GMRK_E_WRONG_KEY,
				 "block was sealed with version %u of key %s, which this key file lacks",
				 h.key_version, id);
	if (b->outcap < h.payload_len)
		return gmrk__err(err, GMRK_E_SPACE, "open: output needs %u bytes, has %zu",
				 h.payload_len, b->outcap);
	if (gmrk__overlap(in, b->inlen, b->out, h.payload_len))
		return gmrk__err(err, GMRK_E_INVAL, "open: input and output overlap");
	rc = gmrk__key_aead(key, kv, h.cipher, &p->aead, err);
	if (rc)
		return rc;
	memcpy(p->hdr, in, GMRK_HEADER_LEN);
	rc = gmrk_build_aad(p, b, err);
	if (rc)
		return rc;
	p->req.enc = false;
	p->req.nonce = in + 24;
	p->req.in = in + GMRK_HEADER_LEN;
	p->req.len = h.payload_len;
	p->req.out = b->out;
	p->req.tag = (uint8_t *)in + GMRK_HEADER_LEN + h.payload_len;
	return 0;
}

int gmrk__block_finish(gmrk_ctx *ctx, struct gmrk_block *b,
		       struct gmrk_prep *p, int rc, gmrk_error *err)
{
	if (!rc && p->plaintext) {
		if (b->inlen)
			memcpy(b->out, b->in, b->inlen);
		b->outlen = b->inlen;
		b->flags |= GMRK_BLOCK_PLAINTEXT;
		b->backend = GMRK_BACKEND_SOFT;
		GMRK_STAT_ADD(ctx, plaintext_blocks, 1);
	} else if (!rc) {
		b->outlen = p->req.enc ? p->req.len + GMRK_OVERHEAD : p->req.len;
	} else {
		/* nothing half-done is left behind */
		size_t z = b->outcap < gmrk_sealed_len(b->inlen) ?
			   b->outcap : gmrk_sealed_len(b->inlen);

		if (b->out && z && !gmrk__overlap(b->in, b->inlen, b->out, z))
			gmrk__memzero(b->out, z);
		b->outlen = 0;
		if (rc == -GMRK_E_AUTH && err && !p->req.enc) {
			char msg[GMRK_ERRMSG_LEN];

			snprintf(msg, sizeof(msg), "%s", err->message);
			gmrk__err(err, GMRK_E_AUTH, "block at position %llu: %s",
				  (unsigned long long)b->position, msg);
		}
		GMRK_STAT_ADD(ctx, errors, 1);
	}
	b->status = rc;
	if (p->aadbuf)
		gmrk__prep_free(p);
	return rc;
}

/*
 * gmrk_seal() and gmrk_open(): one block through the batch machinery.
 * Bad arguments return before anything is written to @outlen or @flags.
 */
static int gmrk_one(gmrk_ctx *ctx, gmrk_key *key, struct gmrk_block *b,
		    bool seal, size_t *outlen, unsigned int *flags, gmrk_error *err)
{
	struct gmrk_prep p;
	int rc;

	gmrk__err_clear(err);
	if (!ctx)
		return gmrk__err(err, GMRK_E_INVAL, "no context");
	if (key && key->ctx != ctx)
		return gmrk__err(err, GMRK_E_INVAL, "key belongs to another context");
	b->flags = 0;
	b->outlen = 0;
	b->backend = GMRK_BACKEND_AUTO;
	rc = seal ? gmrk__seal_prep(ctx, key, b, &p, err) :
		    gmrk__open_prep(ctx, key, b, &p, err);
	if (!rc && !p.plaintext)
		rc = gmrk__run(ctx, p.aead, &p.req, &b->backend, &b->flags, err);
	rc = gmrk__block_finish(ctx, b, &p, rc, err);
	if (outlen)
		*outlen = b->outlen;
	if (flags)
		*flags = b->flags;
	return rc;
}

int gmrk_seal(gmrk_ctx *ctx, gmrk_key *key, uint64_t position,
	      const void *ad, size_t adlen, const void *in, size_t len,
	      void *out, size_t outcap, size_t *outlen, gmrk_error *err)
{
	struct gmrk_block b = {
		.position = position, .ad = ad, .adlen = adlen, .in = in,
		.inlen = len, .out = out, .outcap = outcap,
	};

	return gmrk_one(ctx, key, &b, true, outlen, NULL, err);
}

int gmrk_open(gmrk_ctx *ctx, gmrk_key *key, uint64_t position,
	      const void *ad, size_t adlen, const void *in, size_t len,
	      void *out, size_t outcap, size_t *outlen, unsigned int *flags,
	      gmrk_error *err)
{
	struct gmrk_block b = {
		.position = position, .ad = ad, .adlen = adlen, .in = in,
		.inlen = len, .out = out, .outcap = outcap,
	};

	return gmrk_one(ctx, key, &b, false, outlen, flags, err);
}

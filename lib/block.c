// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gmrk_seal / gmrk_open: one block in the on-disk format (lib/format.c has
 * the layout). The work is split in prepare (parse, check, build header
 * and AAD), run (any path) and finish, so that batches can run many
 * prepared blocks concurrently; the single-block calls use the same
 * steps, inlined.
 *
 * For a small block, what happens around the AEAD is a good part of the
 * cost (Documentation/gmrk/performance.rst, "What a block costs"), so the
 * seal path does only what it must: no clearing of the prepared state, the
 * header written field by field into the block and into the AAD at once
 * (copying a header just stored with narrow stores out again with wide
 * loads stalls on store forwarding), the nonce taken straight from the
 * context's random buffer, and message formatting only on errors.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "internal.h"

static void gmrk_hex_id(char out[2 * GMRK_KEY_ID_LEN + 1], const uint8_t *id)
{
	gmrk_hex(id, GMRK_KEY_ID_LEN, out);
}

void gmrk__prep_free(struct gmrk_prep *p)
{
	free(p->aadbuf);
	p->aadbuf = NULL;
}

/*
 * Checks the caller's AD; the AAD (header || position || caller's AD) is
 * built in p->stack, or in p->aadbuf from the heap when it does not fit.
 */
static inline int gmrk_aad_space(struct gmrk_prep *p, const void *ad,
				 size_t adlen, gmrk_error *err)
{
	if (adlen && !ad)
		return gmrk__err(err, GMRK_E_INVAL, "invalid associated data");
	if (adlen <= sizeof(p->stack) - GMRK_HEADER_LEN - 8)
		return 0;
	if (adlen > SIZE_MAX - GMRK_HEADER_LEN - 8)
		return gmrk__err(err, GMRK_E_INVAL, "invalid associated data");
	p->aadbuf = malloc(GMRK_HEADER_LEN + 8 + adlen);
	if (!p->aadbuf)
		return gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
	return 0;
}

/* the AAD after the header: position (8 bytes, big endian), caller's AD */
static inline void gmrk_aad_tail(uint8_t *aad, uint64_t position,
				 const void *ad, size_t adlen)
{
	uint64_t pos = htobe64(position);

	memcpy(aad + GMRK_HEADER_LEN, &pos, 8);
	if (adlen)
		memcpy(aad + GMRK_HEADER_LEN + 8, ad, adlen);
}

/* as gmrk__overlap(), here where every block pays for it */
static inline bool gmrk_overlap(const void *a, size_t alen, const void *b,
				size_t blen)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;

	return alen && blen && x < y + blen && y < x + alen;
}

/* one header field, into the block and into the AAD */
static inline void gmrk_put2(uint8_t *out, uint8_t *aad, size_t off,
			     const void *src, size_t n)
{
	memcpy(out + off, src, n);
	memcpy(aad + off, src, n);
}

static int gmrk_exhausted(const gmrk_key *key, const struct gmrk_keyver *kv,
			  enum gmrk_cipher c, gmrk_error *err)
{
	char id[2 * GMRK_KEY_ID_LEN + 1];

	gmrk_hex_id(id, key->id);
	return gmrk__err(err, GMRK_E_EXHAUSTED,
			 "key %s version %u sealed %llu blocks with %s, its limit: rotate the key",
			 id, kv->version, (unsigned long long)kv->used[c],
			 gmrk_cipher_name(c));
}

/*
 * Checks a block to seal, draws its nonce and writes its header into @out
 * and the AAD; p->req is then ready to run. Sets p->aead, p->aadbuf,
 * p->plaintext and p->req.enc first, which is all gmrk__block_finish()
 * reads on error. (The block's fields one by one: gmrk_seal() builds a
 * struct gmrk_block only on an error.)
 */
static inline __attribute__((always_inline)) int
gmrk_seal_setup(gmrk_ctx *ctx, gmrk_key *key, uint64_t position,
		const void *ad, size_t adlen, const uint8_t *in, size_t inlen,
		uint8_t *out, size_t outcap, struct gmrk_prep *p, gmrk_error *err)
{
	enum gmrk_cipher c = ctx->cipher;
	const uint8_t fixed[4] = { GMRK_FMT_VERSION, (uint8_t)c, GMRK_HEADER_LEN, 0 };
	struct gmrk_keyver *kv;
	const uint8_t *nonce;
	uint32_t kver, plen;
	uint8_t *aad;
	int rc;

	p->aead = NULL;
	p->aadbuf = NULL;
	p->plaintext = false;
	p->req.enc = true;
	if (!key)
		return gmrk__err(err, GMRK_E_NOKEY, "seal: no key given");
	if ((!in && inlen) || !out)
		return gmrk__err(err, GMRK_E_INVAL, "seal: no buffer");
	if (inlen > GMRK_MAX_PAYLOAD)
		return gmrk__err(err, GMRK_E_INVAL, "seal: %zu bytes, a block holds at most %u",
				 inlen, GMRK_MAX_PAYLOAD);
	/* inlen is bounded now: no overflow */
	if (outcap < inlen + GMRK_OVERHEAD)
		return gmrk__err(err, GMRK_E_SPACE, "seal: output needs %zu bytes, has %zu",
				 inlen + GMRK_OVERHEAD, outcap);
	if (gmrk_overlap(in, inlen, out, inlen + GMRK_OVERHEAD))
		return gmrk__err(err, GMRK_E_INVAL, "seal: input and output overlap");
	kv = &key->ver[key->nver - 1];
	if (kv->used[c] >= ctx->nonce_limit)
		return gmrk_exhausted(key, kv, c, err);
	p->aead = kv->aead[c];	/* built on first use */
	if (!p->aead) {
		rc = gmrk__key_aead(key, kv, c, &p->aead, err);
		if (rc)
			return rc;
	}
	rc = gmrk_aad_space(p, ad, adlen, err);
	if (rc)
		return rc;
	aad = p->aadbuf ? p->aadbuf : p->stack;
	rc = gmrk__nonce_draw(ctx, &nonce);
	if (rc)
		return gmrk__err_sys(err, -rc, "getrandom");
	kv->used[c]++;		/* drawn: counts even if the seal fails later */
	kver = htobe32(kv->version);
	plen = htobe32((uint32_t)inlen);
	gmrk_put2(out, aad, 0, gmrk__magic, sizeof(gmrk__magic));
	gmrk_put2(out, aad, 8, fixed, sizeof(fixed));
	gmrk_put2(out, aad, 12, &kver, 4);
	gmrk_put2(out, aad, 16, key->id, GMRK_KEY_ID_LEN);
	gmrk_put2(out, aad, 24, nonce, GMRK_NONCE_LEN);
	gmrk_put2(out, aad, 36, &plen, 4);
	gmrk_aad_tail(aad, position, ad, adlen);
	p->req.nonce = out + 24;
	p->req.aad = aad;
	p->req.aadlen = GMRK_HEADER_LEN + 8 + adlen;
	p->req.in = in;
	p->req.len = inlen;
	p->req.out = out + GMRK_HEADER_LEN;
	p->req.tag = out + GMRK_HEADER_LEN + inlen;
	return 0;
}

int gmrk__seal_prep(gmrk_ctx *ctx, gmrk_key *key, struct gmrk_block *b,
		    struct gmrk_prep *p, gmrk_error *err)
{
	return gmrk_seal_setup(ctx, key, b->position, b->ad, b->adlen, b->in,
			       b->inlen, b->out, b->outcap, p, err);
}

/* the errors of a block that has a header; only formatted when they happen */
static int gmrk_open_check(const gmrk_key *key, const struct gmrk_block *b,
			   const struct gmrk_hdr *h, const struct gmrk_keyver *kv,
			   gmrk_error *err)
{
	char id[2 * GMRK_KEY_ID_LEN + 1], id2[2 * GMRK_KEY_ID_LEN + 1];

	if (b->inlen < (size_t)h->payload_len + GMRK_OVERHEAD)
		return gmrk__err(err, GMRK_E_TRUNCATED,
				 "block truncated: %zu bytes, its header says %zu",
				 b->inlen, (size_t)h->payload_len + GMRK_OVERHEAD);
	if (b->inlen > (size_t)h->payload_len + GMRK_OVERHEAD)
		return gmrk__err(err, GMRK_E_CORRUPT,
				 "block corrupt: %zu bytes, its header says %zu",
				 b->inlen, (size_t)h->payload_len + GMRK_OVERHEAD);
	gmrk_hex_id(id, h->key_id);
	if (!key)
		return gmrk__err(err, GMRK_E_NOKEY,
				 "block is encrypted (key %s) but no key was given", id);
	if (memcmp(h->key_id, key->id, GMRK_KEY_ID_LEN)) {
		gmrk_hex_id(id2, key->id);
		return gmrk__err(err, GMRK_E_WRONG_KEY,
				 "block was sealed with key %s, not with key %s", id, id2);
	}
	if (!kv)
		return gmrk__err(err, GMRK_E_WRONG_KEY,
				 "block was sealed with version %u of key %s, which this key file lacks",
				 h->key_version, id);
	if (b->outcap < h->payload_len)
		return gmrk__err(err, GMRK_E_SPACE, "open: output needs %u bytes, has %zu",
				 h->payload_len, b->outcap);
	return gmrk__err(err, GMRK_E_INVAL, "open: input and output overlap");
}

static inline __attribute__((always_inline)) int
gmrk_open_setup(gmrk_ctx *ctx, gmrk_key *key, const struct gmrk_block *b,
		struct gmrk_prep *p, gmrk_error *err)
{
	const uint8_t *in = b->in;
	struct gmrk_keyver *kv = NULL;
	struct gmrk_hdr h;
	uint8_t *aad;
	int rc;

	p->aead = NULL;
	p->aadbuf = NULL;
	p->plaintext = false;
	p->req.enc = false;
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
	if (key && !memcmp(h.key_id, key->id, GMRK_KEY_ID_LEN))
		kv = gmrk__key_version(key, h.key_version);
	if (b->inlen != (size_t)h.payload_len + GMRK_OVERHEAD || !kv ||
	    b->outcap < h.payload_len || gmrk_overlap(in, b->inlen, b->out, h.payload_len))
		return gmrk_open_check(key, b, &h, kv, err);
	p->aead = kv->aead[h.cipher];	/* built on first use */
	if (!p->aead) {
		rc = gmrk__key_aead(key, kv, h.cipher, &p->aead, err);
		if (rc)
			return rc;
	}
	rc = gmrk_aad_space(p, b->ad, b->adlen, err);
	if (rc)
		return rc;
	aad = p->aadbuf ? p->aadbuf : p->stack;
	memcpy(aad, in, GMRK_HEADER_LEN);
	gmrk_aad_tail(aad, b->position, b->ad, b->adlen);
	p->req.nonce = in + 24;
	p->req.aad = aad;
	p->req.aadlen = GMRK_HEADER_LEN + 8 + b->adlen;
	p->req.in = in + GMRK_HEADER_LEN;
	p->req.len = h.payload_len;
	p->req.out = b->out;
	p->req.tag = (uint8_t *)in + GMRK_HEADER_LEN + h.payload_len;
	return 0;
}

int gmrk__open_prep(gmrk_ctx *ctx, gmrk_key *key, struct gmrk_block *b,
		    struct gmrk_prep *p, gmrk_error *err)
{
	return gmrk_open_setup(ctx, key, b, p, err);
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
 * gmrk_seal() and gmrk_open(): one block, the batch machinery's steps
 * inlined. Bad arguments return before anything is written to @outlen or
 * @flags.
 */
static __attribute__((noinline)) int
gmrk_seal_failed(gmrk_ctx *ctx, uint64_t position, const void *ad, size_t adlen,
		 const void *in, size_t len, void *out, size_t outcap,
		 struct gmrk_prep *p, int rc, size_t *outlen, gmrk_error *err)
{
	struct gmrk_block b = {
		.position = position, .ad = ad, .adlen = adlen, .in = in,
		.inlen = len, .out = out, .outcap = outcap,
	};

	gmrk__block_finish(ctx, &b, p, rc, err);
	if (outlen)
		*outlen = 0;
	return rc;
}

int gmrk_seal(gmrk_ctx *ctx, gmrk_key *key, uint64_t position,
	      const void *ad, size_t adlen, const void *in, size_t len,
	      void *out, size_t outcap, size_t *outlen, gmrk_error *err)
{
	struct gmrk_prep p;
	int rc;

	if (err) {	/* gmrk__err_clear(), inlined */
		err->code = 0;
		err->sys_errno = 0;
		err->message[0] = '\0';
	}
	if (!ctx)
		return gmrk__err(err, GMRK_E_INVAL, "no context");
	if (key && key->ctx != ctx)
		return gmrk__err(err, GMRK_E_INVAL, "key belongs to another context");
	rc = gmrk_seal_setup(ctx, key, position, ad, adlen, in, len, out, outcap,
			     &p, err);
	if (!rc)
		rc = gmrk__run(ctx, p.aead, &p.req, NULL, NULL, err);
	if (rc)
		return gmrk_seal_failed(ctx, position, ad, adlen, in, len, out,
					outcap, &p, rc, outlen, err);
	if (p.aadbuf)
		gmrk__prep_free(&p);
	if (outlen)
		*outlen = len + GMRK_OVERHEAD;
	return 0;
}

int gmrk_open(gmrk_ctx *ctx, gmrk_key *key, uint64_t position,
	      const void *ad, size_t adlen, const void *in, size_t len,
	      void *out, size_t outcap, size_t *outlen, unsigned int *flags,
	      gmrk_error *err)
{
	struct gmrk_block b = {
		.position = position, .ad = ad, .adlen = adlen, .in = in,
		.inlen = len, .out = out, .outcap = outcap,
		.backend = GMRK_BACKEND_AUTO,
	};
	struct gmrk_prep p;
	int rc;

	gmrk__err_clear(err);
	if (!ctx)
		return gmrk__err(err, GMRK_E_INVAL, "no context");
	if (key && key->ctx != ctx)
		return gmrk__err(err, GMRK_E_INVAL, "key belongs to another context");
	rc = gmrk_open_setup(ctx, key, &b, &p, err);
	if (!rc && !p.plaintext)
		rc = gmrk__run(ctx, p.aead, &p.req, &b.backend, &b.flags, err);
	rc = gmrk__block_finish(ctx, &b, &p, rc, err);
	if (outlen)
		*outlen = b.outlen;
	if (flags)
		*flags = b.flags;
	return rc;
}

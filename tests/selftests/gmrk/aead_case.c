// SPDX-License-Identifier: GPL-2.0-or-later
/* Random AEAD requests with reference outcomes (aead_case.h). */
#include "aead_case.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int aead_case_make(struct aead_case *c, const struct aead_alg *alg,
		   const uint8_t *key, unsigned int authsize, struct prng *p,
		   size_t max_aad, size_t max_pt, bool enc, bool forged)
{
	size_t aadlen = prng_len(p, max_aad), ptlen = prng_len(p, max_pt);

	return aead_case_make_sized(c, alg, key, authsize, p, aadlen, ptlen,
				    enc, forged);
}

int aead_case_make_sized(struct aead_case *c, const struct aead_alg *alg,
			 const uint8_t *key, unsigned int authsize,
			 struct prng *p, size_t aadlen, size_t ptlen, bool enc,
			 bool forged)
{
	size_t sealed = aadlen + ptlen + authsize;
	uint8_t *plain, *seal;
	int err;

	memset(c, 0, sizeof(*c));
	c->alg = alg;
	memcpy(c->key, key, alg->keylen);
	prng_fill(p, c->iv, sizeof(c->iv));
	c->authsize = authsize;
	c->enc = enc;
	c->forged = !enc && forged;
	c->assoclen = aadlen;

	plain = malloc(aadlen + ptlen + 1);
	seal = malloc(sealed);
	if (!plain || !seal) {
		free(plain);
		free(seal);
		return -ENOMEM;
	}
	prng_fill(p, plain, aadlen + ptlen);
	err = ref_aead_seal_afalg(alg->ref, key, alg->keylen, c->iv, aadlen,
				  plain, aadlen + ptlen, seal, authsize);
	if (err) {
		free(plain);
		free(seal);
		return err;
	}
	if (enc) {
		c->in = plain;
		c->inlen = aadlen + ptlen;
		c->expect = seal;
		c->outlen = sealed;
	} else {
		c->in = seal;
		c->inlen = sealed;
		c->expect = plain;
		c->outlen = aadlen + ptlen;
		if (c->forged) {
			size_t bit = prng_below(p, sealed * 8);

			seal[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
	c->out = malloc(alg_read_len(c->outlen));
	if (!c->out) {
		aead_case_free(c);
		return -ENOMEM;
	}
	memset(c->out, 0xa5, alg_read_len(c->outlen));
	return 0;
}

void aead_case_free(struct aead_case *c)
{
	free(c->in);
	free(c->expect);
	free(c->out);
	memset(c, 0, sizeof(*c));
}

void aead_case_op(struct aead_case *c, struct aead_op *op, enum alg_io io,
		  uint64_t frag_seed)
{
	*op = (struct aead_op) {
		.enc = c->enc,
		.iv = c->iv,
		.assoclen = c->assoclen,
		.in = c->in,
		.inlen = c->inlen,
		.out = c->out,
		.outlen = c->outlen,
		.io = io == ALG_IO_SAME_BUF ? ALG_IO_PLAIN : io,
		.frag_seed = frag_seed,
	};
}

enum case_verdict aead_case_check(const struct aead_case *c, ssize_t n,
				  char *msg, size_t msglen)
{
	long d;

	if (c->forged) {
		if (n == -EBADMSG)
			return CASE_OK;
		snprintf(msg, msglen,
			 "%s: forged decrypt (aad %zu, in %zu, tag %u) gave %zd, want -EBADMSG",
			 c->alg->label, c->assoclen, c->inlen, c->authsize, n);
		return n >= 0 ? CASE_WRONG : CASE_ERROR;
	}
	if (n < 0) {
		snprintf(msg, msglen, "%s: %s (aad %zu, in %zu, tag %u) failed: %s",
			 c->alg->label, c->enc ? "encrypt" : "decrypt",
			 c->assoclen, c->inlen, c->authsize, strerror((int)-n));
		return CASE_ERROR;
	}
	if ((size_t)n != c->outlen) {
		snprintf(msg, msglen, "%s: %s (aad %zu, in %zu) returned %zd bytes, want %zu",
			 c->alg->label, c->enc ? "encrypt" : "decrypt",
			 c->assoclen, c->inlen, n, c->outlen);
		return CASE_WRONG;
	}
	d = first_diff(c->out, c->expect, c->outlen);
	if (d >= 0) {
		snprintf(msg, msglen,
			 "%s: %s (aad %zu, in %zu, tag %u) differs from reference at byte %ld",
			 c->alg->label, c->enc ? "encrypt" : "decrypt",
			 c->assoclen, c->inlen, c->authsize, d);
		return CASE_WRONG;
	}
	return CASE_OK;
}

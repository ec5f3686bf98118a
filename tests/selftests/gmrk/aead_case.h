/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A random AEAD request together with its expected outcome, computed by
 * the reference implementation (ref_aead.h), in AF_ALG layout. Shared by
 * the programs that push many requests through the driver and must verify
 * every one of them.
 */
#ifndef GMRK_SELFTEST_AEAD_CASE_H
#define GMRK_SELFTEST_AEAD_CASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "af_alg.h"
#include "test_algs.h"

struct aead_case {
	const struct aead_alg *alg;
	uint8_t key[32];
	uint8_t iv[AEAD_IV_LEN];
	unsigned int authsize;
	bool enc;
	bool forged;		/* decrypt of tampered input: expect EBADMSG */
	size_t assoclen;
	uint8_t *in;		/* AF_ALG input */
	size_t inlen;
	uint8_t *expect;	/* expected AF_ALG output */
	uint8_t *out;		/* result buffer, alg_read_len(outlen) bytes */
	size_t outlen;
};

enum case_verdict {
	CASE_OK,		/* the expected result */
	CASE_ERROR,		/* an error where a result was expected */
	CASE_WRONG,		/* a result that is not the right one */
};

/*
 * Fill c with a random request under key (alg->keylen bytes).
 * Returns 0 or -errno.
 */
int aead_case_make(struct aead_case *c, const struct aead_alg *alg,
		   const uint8_t *key, unsigned int authsize, struct prng *p,
		   size_t max_aad, size_t max_pt, bool enc, bool forged);
/* The same with given AAD and plaintext sizes. */
int aead_case_make_sized(struct aead_case *c, const struct aead_alg *alg,
			 const uint8_t *key, unsigned int authsize,
			 struct prng *p, size_t aadlen, size_t ptlen, bool enc,
			 bool forged);
void aead_case_free(struct aead_case *c);

/* The AF_ALG operation that runs c. */
void aead_case_op(struct aead_case *c, struct aead_op *op, enum alg_io io,
		  uint64_t frag_seed);

/*
 * Judge the outcome n (bytes or -errno) of running c; describes any
 * problem in msg.
 */
enum case_verdict aead_case_check(const struct aead_case *c, ssize_t n,
				  char *msg, size_t msglen);

#endif /* GMRK_SELFTEST_AEAD_CASE_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * AF_ALG spoken raw, for the gmrk selftests.
 *
 * The selftests test the kernel interface itself, so they talk to it with
 * plain socket calls rather than through libkcapi: every byte that crosses
 * the boundary is the test's own, and each AF_ALG trap is handled (and
 * documented) here, once:
 *
 *  - recvmsg()/read() on an AEAD op socket keeps running operations until
 *    the user buffer is full, so a buffer larger than the result blocks.
 *    The helpers read exactly the result size.
 *  - a zero-length read never reaches the operation (sock_read_iter()
 *    returns 0 for an empty iovec). When the result is empty (decrypting
 *    a bare tag) the helpers read with a 1-byte buffer: algif_aead then
 *    runs the operation once and returns 0 or its error.
 *  - after a failed operation an op socket may keep unconsumed input
 *    (e.g. EINVAL for input shorter than the tag leaves it queued), so
 *    struct alg_aead drops its op socket on any error and accepts a new one.
 *  - setsockopt() on the transform socket (key, authsize) fails with EBUSY
 *    while any op socket accepted from it is open, so alg_aead_setkey()
 *    and alg_aead_setauthsize() close a's op socket first.
 */
#ifndef GMRK_SELFTEST_AF_ALG_H
#define GMRK_SELFTEST_AF_ALG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AEAD_IV_LEN	12

/* How the request bytes travel through the socket. */
enum alg_io {
	ALG_IO_PLAIN,		/* one sendmsg(), one read() */
	ALG_IO_FRAG,		/* many sendmsg(MSG_MORE) and a readv() of many pieces */
	ALG_IO_SAME_BUF,	/* output read back over the input buffer */
	ALG_IO_SPLICE,		/* vmsplice() + splice() in, read() out */
};

struct alg_aead {
	int tfm;		/* bound socket: holds the transform and key */
	int op;			/* accepted op socket, -1 until needed */
	unsigned int authsize;
};

/* One AEAD operation in AF_ALG layout. */
struct aead_op {
	bool enc;
	const uint8_t *iv;	/* AEAD_IV_LEN bytes */
	size_t assoclen;
	const uint8_t *in;	/* enc: AAD || PT; dec: AAD || CT || TAG */
	size_t inlen;
	uint8_t *out;		/* enc: AAD || CT || TAG; dec: AAD || PT */
	size_t outlen;		/* must be aead_out_len() */
	enum alg_io io;
	uint64_t frag_seed;	/* split points for ALG_IO_FRAG */
};

/* Size of the result AF_ALG produces for inlen input bytes. */
static inline size_t aead_out_len(bool enc, size_t inlen, unsigned int authsize)
{
	if (enc)
		return inlen + authsize;
	return inlen >= authsize ? inlen - authsize : 0;
}

/* All return 0 (or a byte count) on success, -errno on failure. */
int alg_bind(const char *type, const char *name);
int alg_aead_open(struct alg_aead *a, const char *driver);
int alg_aead_setkey(struct alg_aead *a, const void *key, size_t keylen);
int alg_aead_setauthsize(struct alg_aead *a, unsigned int authsize);
void alg_aead_close(struct alg_aead *a);

/* Accept a fresh op socket on a (possibly shared) transform socket. */
int alg_accept(int tfm);

/*
 * Run one operation on a's op socket (accepting one if needed).
 * Returns the number of result bytes (op->outlen) or -errno.
 */
ssize_t alg_aead_run(struct alg_aead *a, const struct aead_op *op);

/* The two halves of alg_aead_run() on an explicit op socket (AIO users). */
int alg_aead_send(int opfd, const struct aead_op *op);
ssize_t alg_aead_recv(int opfd, const struct aead_op *op);

/* Size of the buffer to read for a result of outlen bytes (see above). */
static inline size_t alg_read_len(size_t outlen)
{
	return outlen ? outlen : 1;
}

/* skcipher (for the module's plain "sm4" through ecb()): in -> out, len bytes. */
int alg_skcipher_ecb(const char *name, const void *key, size_t keylen,
		     bool enc, const void *in, void *out, size_t len);

#endif /* GMRK_SELFTEST_AF_ALG_H */

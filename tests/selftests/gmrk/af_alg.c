// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * AF_ALG spoken raw, for the gmrk selftests (see af_alg.h for why raw and
 * for the traps handled here).
 */
#include "af_alg.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_alg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef SOL_ALG
#define SOL_ALG 279
#endif

#define AEAD_DEFAULT_AUTHSIZE	16	/* maxauthsize of every gmrk AEAD */
#define FRAG_MAX_PIECES		8

int alg_bind(const char *type, const char *name)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	int fd;

	if (strlen(type) >= sizeof(sa.salg_type) ||
	    strlen(name) >= sizeof(sa.salg_name))
		return -ENAMETOOLONG;
	memcpy(sa.salg_type, type, strlen(type));
	memcpy(sa.salg_name, name, strlen(name));

	fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int alg_aead_open(struct alg_aead *a, const char *driver)
{
	int fd = alg_bind("aead", driver);

	a->op = -1;
	a->tfm = -1;
	a->authsize = AEAD_DEFAULT_AUTHSIZE;
	if (fd < 0)
		return fd;
	a->tfm = fd;
	return 0;
}

/* The transform takes options only while no op socket is open on it. */
static void drop_op(struct alg_aead *a)
{
	if (a->op >= 0)
		close(a->op);
	a->op = -1;
}

int alg_aead_setkey(struct alg_aead *a, const void *key, size_t keylen)
{
	drop_op(a);
	if (setsockopt(a->tfm, SOL_ALG, ALG_SET_KEY, key, keylen) < 0)
		return -errno;
	return 0;
}

int alg_aead_setauthsize(struct alg_aead *a, unsigned int authsize)
{
	/* The authsize travels in optlen; optval must be NULL. */
	drop_op(a);
	if (setsockopt(a->tfm, SOL_ALG, ALG_SET_AEAD_AUTHSIZE, NULL, authsize) < 0)
		return -errno;
	a->authsize = authsize;
	return 0;
}

void alg_aead_close(struct alg_aead *a)
{
	if (a->op >= 0)
		close(a->op);
	if (a->tfm >= 0)
		close(a->tfm);
	a->op = -1;
	a->tfm = -1;
}

int alg_accept(int tfm)
{
	int fd = accept4(tfm, NULL, NULL, SOCK_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Deterministic splitter for ALG_IO_FRAG (splitmix64 step). */
static uint64_t frag_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Cut len bytes at buf into 1..max iovecs of random sizes. */
static int frag_split(uint8_t *buf, size_t len, uint64_t *seed,
		      struct iovec *iov, int max)
{
	int n = 0;

	while (len && n < max - 1) {
		size_t piece = 1 + frag_next(seed) % len;

		iov[n].iov_base = buf;
		iov[n].iov_len = piece;
		buf += piece;
		len -= piece;
		n++;
	}
	if (len || !n) {
		iov[n].iov_base = buf;
		iov[n].iov_len = len;
		n++;
	}
	return n;
}

/* Control message buffer: op, IV and assoclen. */
struct aead_cmsg_buf {
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t)) +
			 CMSG_SPACE(sizeof(struct af_alg_iv) + AEAD_IV_LEN) +
			 CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	};
};

static void aead_fill_cmsg(struct msghdr *msg, struct aead_cmsg_buf *cb,
			   const struct aead_op *op)
{
	struct cmsghdr *c;
	struct af_alg_iv *iv;
	uint32_t v;

	memset(cb, 0, sizeof(*cb));
	msg->msg_control = cb->buf;
	msg->msg_controllen = sizeof(cb->buf);

	c = CMSG_FIRSTHDR(msg);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_OP;
	c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	v = op->enc ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
	memcpy(CMSG_DATA(c), &v, sizeof(v));

	c = CMSG_NXTHDR(msg, c);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_IV;
	c->cmsg_len = CMSG_LEN(sizeof(struct af_alg_iv) + AEAD_IV_LEN);
	iv = (struct af_alg_iv *)CMSG_DATA(c);
	iv->ivlen = AEAD_IV_LEN;
	memcpy(iv->iv, op->iv, AEAD_IV_LEN);

	c = CMSG_NXTHDR(msg, c);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_AEAD_ASSOCLEN;
	c->cmsg_len = CMSG_LEN(sizeof(uint32_t));
	v = (uint32_t)op->assoclen;
	memcpy(CMSG_DATA(c), &v, sizeof(v));
}

static int send_all(int fd, struct msghdr *msg, size_t len, int flags)
{
	ssize_t n = sendmsg(fd, msg, flags);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int aead_send_splice(int opfd, const struct aead_op *op)
{
	struct aead_cmsg_buf cb;
	struct msghdr msg = { 0 };
	size_t off = 0;
	int pfd[2], err = 0;

	aead_fill_cmsg(&msg, &cb, op);
	err = send_all(opfd, &msg, 0, op->inlen ? MSG_MORE : 0);
	if (err || !op->inlen)
		return err;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	while (off < op->inlen) {
		struct iovec iov = {
			.iov_base = (void *)(op->in + off),
			.iov_len = op->inlen - off,
		};
		ssize_t in = vmsplice(pfd[1], &iov, 1, 0);
		ssize_t moved = 0;

		if (in <= 0) {
			err = in < 0 ? -errno : -EIO;
			break;
		}
		while (moved < in) {
			bool last = off + in == op->inlen;
			ssize_t n = splice(pfd[0], NULL, opfd, NULL, in - moved,
					   last ? 0 : SPLICE_F_MORE);

			if (n <= 0) {
				err = n < 0 ? -errno : -EIO;
				goto out;
			}
			moved += n;
		}
		off += in;
	}
out:
	close(pfd[0]);
	close(pfd[1]);
	return err;
}

int alg_aead_send(int opfd, const struct aead_op *op)
{
	struct iovec iov[FRAG_MAX_PIECES];
	struct aead_cmsg_buf cb;
	struct msghdr msg = { 0 };
	uint64_t seed = op->frag_seed;
	size_t off = 0;
	int err;

	if (op->io == ALG_IO_SPLICE)
		return aead_send_splice(opfd, op);

	aead_fill_cmsg(&msg, &cb, op);
	if (op->io != ALG_IO_FRAG || op->inlen < 2) {
		iov[0].iov_base = (void *)op->in;
		iov[0].iov_len = op->inlen;
		msg.msg_iov = iov;
		msg.msg_iovlen = 1;
		return send_all(opfd, &msg, op->inlen, 0);
	}

	/* Several sendmsg() calls with MSG_MORE, each of several iovecs. */
	while (off < op->inlen) {
		size_t left = op->inlen - off;
		size_t chunk = 1 + frag_next(&seed) % left;
		bool last = chunk == left;

		msg.msg_iov = iov;
		msg.msg_iovlen = frag_split((uint8_t *)op->in + off, chunk,
					    &seed, iov, 3);
		err = send_all(opfd, &msg, chunk, last ? 0 : MSG_MORE);
		if (err)
			return err;
		off += chunk;
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
	}
	return 0;
}

ssize_t alg_aead_recv(int opfd, const struct aead_op *op)
{
	struct iovec iov[FRAG_MAX_PIECES];
	struct msghdr msg = { 0 };
	uint64_t seed = op->frag_seed ^ 0x5a5a5a5a5a5a5a5aull;
	uint8_t empty;
	ssize_t n;

	if (!op->outlen) {
		/* Force the operation to run: see af_alg.h. */
		iov[0].iov_base = &empty;
		iov[0].iov_len = 1;
		msg.msg_iovlen = 1;
	} else if (op->io == ALG_IO_FRAG) {
		msg.msg_iovlen = frag_split(op->out, op->outlen, &seed, iov,
					    FRAG_MAX_PIECES);
	} else {
		iov[0].iov_base = op->out;
		iov[0].iov_len = op->outlen;
		msg.msg_iovlen = 1;
	}
	msg.msg_iov = iov;
	n = recvmsg(opfd, &msg, 0);
	return n < 0 ? -errno : n;
}

ssize_t alg_aead_run(struct alg_aead *a, const struct aead_op *op)
{
	ssize_t n;
	int err;

	if (a->op < 0) {
		a->op = alg_accept(a->tfm);
		if (a->op < 0) {
			err = a->op;
			a->op = -1;
			return err;
		}
	}
	err = alg_aead_send(a->op, op);
	n = err ? err : alg_aead_recv(a->op, op);
	if (n < 0) {
		close(a->op);
		a->op = -1;
	}
	return n;
}

int alg_skcipher_ecb(const char *name, const void *key, size_t keylen,
		     bool enc, const void *in, void *out, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} cb;
	struct iovec iov = { .iov_base = (void *)in, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cb.buf, .msg_controllen = sizeof(cb.buf),
	};
	struct cmsghdr *c;
	uint32_t v = enc ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
	int tfm, opfd, err = 0;
	ssize_t n;

	tfm = alg_bind("skcipher", name);
	if (tfm < 0)
		return tfm;
	if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, keylen) < 0) {
		err = -errno;
		goto out_tfm;
	}
	opfd = alg_accept(tfm);
	if (opfd < 0) {
		err = opfd;
		goto out_tfm;
	}
	memset(&cb, 0, sizeof(cb));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_OP;
	c->cmsg_len = CMSG_LEN(sizeof(v));
	memcpy(CMSG_DATA(c), &v, sizeof(v));
	err = send_all(opfd, &msg, len, 0);
	if (!err) {
		n = read(opfd, out, len);
		if (n < 0)
			err = -errno;
		else if ((size_t)n != len)
			err = -EIO;
	}
	close(opfd);
out_tfm:
	close(tfm);
	return err;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * AF_ALG through libkcapi: the card (gmrk driver names) and the kernel's
 * own software algorithms, one bound socket per key, cipher and path.
 *
 * Traps handled here (see MISSION.md):
 * - recvmsg() keeps processing requests until the user buffer is full, so
 *   the output iovec is exactly the result size: AAD + ciphertext + tag on
 *   encrypt, AAD + plaintext on decrypt.
 * - A zero-length read never runs the operation: decrypting an empty
 *   message with no AAD "succeeds" whatever the tag. gmrk__route() never
 *   sends such a request here; gmrk__af_run() refuses it as well.
 * - The kernel decrypts into the output before it checks the tag, so on
 *   EBADMSG the output is wiped.
 * Any failure other than EBADMSG leaves the op socket in an unknown state
 * (data half sent, a request half read): the caller drops the handle.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <kcapi.h>

#include "internal.h"

static pthread_once_t gmrk_kcapi_once = PTHREAD_ONCE_INIT;

/* libkcapi logs failed binds to stderr; probing for a card must be quiet. */
static void gmrk_kcapi_quiet(void)
{
	kcapi_set_verbosity(KCAPI_LOG_NONE);
}

static int gmrk_af_open(const char *name, const uint8_t *key, size_t keylen,
			struct kcapi_handle **out)
{
	struct kcapi_handle *h = NULL;
	int rc;

	pthread_once(&gmrk_kcapi_once, gmrk_kcapi_quiet);
	rc = kcapi_aead_init(&h, name, 0);
	if (rc)
		return rc < 0 ? rc : -ENOENT;
	rc = kcapi_aead_setkey(h, key, (uint32_t)keylen);
	if (!rc)
		rc = kcapi_aead_settaglen(h, GMRK_TAG_LEN);
	if (!rc && kcapi_aead_ivsize(h) != GMRK_NONCE_LEN)
		rc = -EINVAL;
	if (rc) {
		kcapi_aead_destroy(h);
		return rc < 0 ? rc : -EINVAL;
	}
	*out = h;
	return 0;
}

/*
 * Binds slot @which of @a if needed. Returns 0 when a->af[which].h is ready,
 * else -errno (the path is unavailable for now).
 */
int gmrk__af_bind(struct gmrk_ctx *ctx, struct gmrk_aead *a, int which)
{
	struct gmrk_afslot *s = &a->af[which];
	struct gmrk_probe *p = &ctx->probe;
	int c = a->cipher, rc = -ENOENT, i;

	if (s->state == 1 && s->gen == gmrk__fork_gen())
		return 0;
	if (s->state == 1) {
		/*
		 * Inherited across fork(): the parent uses the same op socket,
		 * and two processes on one AEAD socket mix their requests. Close
		 * our copy (the parent's stays open) and bind our own.
		 */
		gmrk__af_free(s->h);
		s->h = NULL;
		s->state = 0;
	}
	if (s->state < 0 && gmrk__now_ns() < s->retry_at)
		return s->state;
	gmrk__probe(ctx);
	if (!p->afalg) {
		rc = -EAFNOSUPPORT;
	} else if (which == GMRK_AF_CARD) {
		if (p->card[c][0])
			rc = gmrk_af_open(p->card[c], a->key, a->keylen, &s->h);
	} else {
		for (i = 0; i < p->nkernel[c]; i++) {
			rc = gmrk_af_open(p->kernel[c][i], a->key, a->keylen, &s->h);
			if (!rc)
				break;
		}
	}
	if (rc) {
		s->h = NULL;
		s->state = rc;
		s->retry_at = gmrk__now_ns() + GMRK_REPROBE_NS;
		return rc;
	}
	s->state = 1;
	s->gen = gmrk__fork_gen();
	ctx->af_seen[which][c] = true;
	return 0;
}

/* Forget a failed handle; the next request binds a fresh socket. */
void gmrk__af_drop(struct gmrk_afslot *s, int error)
{
	gmrk__af_free(s->h);
	s->h = NULL;
	if (error == -EBUSY || error == -EAGAIN || error == -EINTR) {
		s->state = 0;	/* transient: rebind at once */
	} else {
		s->state = error < 0 ? error : -EIO;
		s->retry_at = gmrk__now_ns() + GMRK_REPROBE_NS;
	}
}

void gmrk__af_free(struct kcapi_handle *h)
{
	if (h)
		kcapi_aead_destroy(h);
}

int gmrk__af_clone(struct kcapi_handle *h, struct kcapi_handle **out)
{
	int rc = kcapi_handle_reinit(out, h, 0);

	return rc ? (rc < 0 ? rc : -EIO) : 0;
}

int gmrk__af_run(struct kcapi_handle *h, const struct gmrk_req *r)
{
	uint8_t stack[GMRK_AAD_STACK], *scratch = stack;
	struct iovec in[3], out[3];
	size_t nin = 0, nout = 0, want_in, want_out;
	ssize_t n;
	int rc = 0;

	if (!r->aadlen && !r->len)
		return -EINVAL;	/* never trusted to the kernel, see above */
	if (r->aadlen > sizeof(stack)) {
		scratch = malloc(r->aadlen);
		if (!scratch)
			return -ENOMEM;
	}
	if (r->aadlen) {
		in[nin++] = (struct iovec){ (void *)r->aad, r->aadlen };
		out[nout++] = (struct iovec){ scratch, r->aadlen };
	}
	if (r->len) {
		in[nin++] = (struct iovec){ (void *)r->in, r->len };
		out[nout++] = (struct iovec){ r->out, r->len };
	}
	if (r->enc)
		out[nout++] = (struct iovec){ r->tag, GMRK_TAG_LEN };
	else
		in[nin++] = (struct iovec){ r->tag, GMRK_TAG_LEN };
	want_in = r->aadlen + r->len + (r->enc ? 0 : GMRK_TAG_LEN);
	want_out = r->aadlen + r->len + (r->enc ? GMRK_TAG_LEN : 0);

	kcapi_aead_setassoclen(h, (uint32_t)r->aadlen);
	n = r->enc ? kcapi_aead_stream_init_enc(h, r->nonce, NULL, 0) :
		     kcapi_aead_stream_init_dec(h, r->nonce, NULL, 0);
	if (n < 0) {
		rc = (int)n;
		goto out;
	}
	n = kcapi_aead_stream_update_last(h, in, (uint32_t)nin);
	if (n < 0 || (size_t)n != want_in) {
		rc = n < 0 ? (int)n : -EIO;
		goto out;
	}
	n = kcapi_aead_stream_op(h, out, (uint32_t)nout);
	if (n < 0 || (size_t)n != want_out)
		rc = n < 0 ? (int)n : -EIO;
out:
	if (rc == -EBADMSG && !r->enc)
		gmrk__memzero(r->out, r->len);
	if (scratch != stack)
		free(scratch);
	return rc;
}

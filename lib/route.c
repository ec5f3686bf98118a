// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Routing and fallback: which path runs a request, and what happens when
 * that path fails.
 *
 * auto: with a threshold set (or GMRK_CFG_NO_CALIBRATE), the card when it
 *       has the cipher and the request (AAD + payload) is at least the
 *       cipher's threshold, else userspace software; otherwise whichever
 *       of software, card and kernel lib/calibrate.c measured fastest for
 *       requests of that size.
 * card, kernel: that AF_ALG path for everything it can take; requests it
 *       never gets (empty with no AAD, larger than GMRK_AFALG_MAX) run in
 *       software.
 * soft: userspace software only.
 *
 * A request an AF_ALG path fails for any reason but EBADMSG (EBUSY twice,
 * ENODEV, EIO, a short read, ...) is redone in software from the caller's
 * untouched input with the same nonce: the result is the one the card
 * would have produced, so nothing is lost and no nonce ever covers two
 * different messages. EBADMSG is an authentication failure, reported as
 * such: a second opinion would only double the work for forged data.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool gmrk_afalg_can_take(const struct gmrk_req *r)
{
	if (!r->aadlen && !r->len)
		return false;	/* the zero-length read trap: software only */
	return r->aadlen + r->len + GMRK_TAG_LEN <= GMRK_AFALG_MAX &&
	       r->aadlen + r->len >= r->len;
}

static bool gmrk_card_listed(struct gmrk_ctx *ctx, enum gmrk_cipher c)
{
	gmrk__probe(ctx);
	return ctx->probe.card[c][0] != '\0';
}

/* no AF_ALG in this kernel: known after the first probe, never re-probed */
static bool gmrk_no_afalg(const struct gmrk_ctx *ctx)
{
	return ctx->probe.done && !ctx->probe.afalg;
}

enum gmrk_backend gmrk__route(struct gmrk_ctx *ctx, struct gmrk_aead *a,
			      const struct gmrk_req *r)
{
	enum gmrk_cipher c = a->cipher;
	bool fits = gmrk_afalg_can_take(r);

	switch (ctx->backend) {
	case GMRK_BACKEND_SOFT:
		return GMRK_BACKEND_SOFT;
	case GMRK_BACKEND_CARD:
	case GMRK_BACKEND_KERNEL:
		return fits ? ctx->backend : GMRK_BACKEND_SOFT;
	case GMRK_BACKEND_AUTO:
	default:
		break;
	}
	if (fits && !gmrk_no_afalg(ctx) && gmrk__soft_has(c)) {
		if (ctx->threshold_set[c] || (ctx->flags & GMRK_CFG_NO_CALIBRATE)) {
			if (r->aadlen + r->len >= ctx->threshold[c] &&
			    gmrk_card_listed(ctx, c) &&
			    !gmrk__af_bind(ctx, a, GMRK_AF_CARD))
				return GMRK_BACKEND_CARD;
		} else {
			/* no probe per request: a clock read, a system call in some VMs */
			enum gmrk_backend b = gmrk__calibrated(ctx, a, r->aadlen + r->len);

			if (b != GMRK_BACKEND_SOFT &&
			    !gmrk__af_bind(ctx, a, b == GMRK_BACKEND_CARD ?
					   GMRK_AF_CARD : GMRK_AF_KERNEL))
				return b;
		}
	}
	if (gmrk__soft_has(c))
		return GMRK_BACKEND_SOFT;
	/* no software implementation (SM4 without lib/sm4): any AF_ALG path */
	if (fits && !gmrk__af_bind(ctx, a, GMRK_AF_CARD))
		return GMRK_BACKEND_CARD;
	if (fits && !gmrk__af_bind(ctx, a, GMRK_AF_KERNEL))
		return GMRK_BACKEND_KERNEL;
	return GMRK_BACKEND_SOFT;
}

static inline void gmrk_account(struct gmrk_ctx *ctx, enum gmrk_backend b,
				size_t bytes, bool enc)
{
	GMRK_STAT_ADD(ctx, ops[b], 1);
	GMRK_STAT_ADD(ctx, bytes[b], bytes);
	if (enc)
		GMRK_STAT_ADD(ctx, seals, 1);
	else
		GMRK_STAT_ADD(ctx, opens, 1);
}

void gmrk__account(struct gmrk_ctx *ctx, enum gmrk_backend b, size_t bytes,
		   bool enc)
{
	gmrk_account(ctx, b, bytes, enc);
}

/*
 * One attempt on AF_ALG handle @h. When output and input overlap (in
 * place), the kernel writes into a bounce buffer so that the input survives
 * for a software redo.
 */
int gmrk__run_on(struct kcapi_handle *h, const struct gmrk_req *r)
{
	struct gmrk_req b = *r;
	uint8_t *tmp = NULL;
	int rc;

	if (gmrk__overlap(r->in, r->len, r->out, r->len)) {
		tmp = malloc(r->len);
		if (!tmp)
			return -ENOMEM;
		b.out = tmp;
	}
	rc = gmrk__af_run(h, &b);
	if (tmp) {
		if (!rc)
			memcpy(r->out, tmp, r->len);
		else if (rc == -EBADMSG)
			gmrk__memzero(r->out, r->len);
		gmrk__memzero(tmp, r->len);
		free(tmp);
	}
	return rc;
}

/* AF_ALG with one retry on a busy device; 0, -EBADMSG or -errno. */
static int gmrk_af_try(struct gmrk_ctx *ctx, struct gmrk_aead *a, int which,
		       const struct gmrk_req *r)
{
	struct gmrk_afslot *s = &a->af[which];
	int rc, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		rc = gmrk__af_bind(ctx, a, which);
		if (rc)
			return rc;
		rc = gmrk__run_on(s->h, r);
		if (!rc || rc == -EBADMSG)
			return rc;
		gmrk__af_drop(s, rc);
		if (rc != -EBUSY && rc != -EAGAIN && rc != -EINTR)
			return rc;
		GMRK_STAT_ADD(ctx, busy_retries, 1);
	}
	return rc;
}

static int gmrk_soft_failed(struct gmrk_ctx *ctx, struct gmrk_aead *a, int rc,
			    gmrk_error *err);

static int gmrk_auth_failed(struct gmrk_ctx *ctx, struct gmrk_aead *a,
			    gmrk_error *err)
{
	GMRK_STAT_ADD(ctx, auth_failures, 1);
	return gmrk__err(err, GMRK_E_AUTH, "%s: %s", gmrk_cipher_name(a->cipher),
			 gmrk_strerror(GMRK_E_AUTH));
}

/* gmrk__run() for a request that may leave userspace software */
static __attribute__((noinline)) int
gmrk_run_routed(struct gmrk_ctx *ctx, struct gmrk_aead *a,
		const struct gmrk_req *r, enum gmrk_backend *used,
		unsigned int *flags, gmrk_error *err)
{
	enum gmrk_backend b = gmrk__route(ctx, a, r);
	int rc;

	if (b == GMRK_BACKEND_CARD || b == GMRK_BACKEND_KERNEL) {
		int which = b == GMRK_BACKEND_CARD ? GMRK_AF_CARD : GMRK_AF_KERNEL;

		rc = gmrk_af_try(ctx, a, which, r);
		if (!rc)
			goto done;
		if (rc == -EBADMSG)
			return gmrk_auth_failed(ctx, a, err);
		if (ctx->backend == b && !ctx->af_seen[which][a->cipher])
			/* forced onto a path this context never had */
			return gmrk__err(err, GMRK_E_UNSUPPORTED,
					 "%s: %s backend not available (%s)",
					 gmrk_cipher_name(a->cipher),
					 gmrk_backend_name(b),
					 !ctx->probe.afalg ? "no AF_ALG in this kernel" :
					 which == GMRK_AF_CARD ? "no gmrk driver for it in /proc/crypto" :
					 "no kernel implementation binds");
		/* the path failed this request: software redoes it */
		GMRK_STAT_ADD(ctx, fallbacks, 1);
		if (flags)
			*flags |= GMRK_BLOCK_FALLBACK;
		b = GMRK_BACKEND_SOFT;
		if (!gmrk__soft_has(a->cipher) && which == GMRK_AF_CARD &&
		    gmrk_afalg_can_take(r)) {
			rc = gmrk_af_try(ctx, a, GMRK_AF_KERNEL, r);
			b = GMRK_BACKEND_KERNEL;
			if (!rc)
				goto done;
			if (rc == -EBADMSG)
				return gmrk_auth_failed(ctx, a, err);
			b = GMRK_BACKEND_SOFT;
		}
	}
	rc = gmrk__run_soft(ctx, a, r, err);
	if (rc)
		return rc;
done:
	if (used)
		*used = b;
	if (b != GMRK_BACKEND_SOFT)
		gmrk__account(ctx, b, r->len, r->enc);
	return 0;
}

/*
 * The per-block hot path is software with nothing to decide: backend
 * soft, or auto in a kernel without AF_ALG (known after the first probe;
 * gmrk__route() would say software for every request). That case takes
 * no more than the AEAD, the statistics and one branch; everything else
 * goes through gmrk__route().
 */
int gmrk__run(struct gmrk_ctx *ctx, struct gmrk_aead *a,
	      const struct gmrk_req *r, enum gmrk_backend *used,
	      unsigned int *flags, gmrk_error *err)
{
	int rc;

	if (ctx->backend != GMRK_BACKEND_SOFT &&
	    (ctx->backend != GMRK_BACKEND_AUTO || !gmrk_no_afalg(ctx)))
		return gmrk_run_routed(ctx, a, r, used, flags, err);
	rc = gmrk__soft_run(a, r);
	if (rc)
		return gmrk_soft_failed(ctx, a, rc, err);
	gmrk_account(ctx, GMRK_BACKEND_SOFT, r->len, r->enc);
	if (used)
		*used = GMRK_BACKEND_SOFT;
	return 0;
}

int gmrk__run_soft(struct gmrk_ctx *ctx, struct gmrk_aead *a,
		   const struct gmrk_req *r, gmrk_error *err)
{
	int rc = gmrk__soft_run(a, r);

	if (rc)
		return gmrk_soft_failed(ctx, a, rc, err);
	gmrk_account(ctx, GMRK_BACKEND_SOFT, r->len, r->enc);
	return 0;
}

/* gmrk__soft_run() failed with @rc: the caller's error */
static int gmrk_soft_failed(struct gmrk_ctx *ctx, struct gmrk_aead *a, int rc,
			    gmrk_error *err)
{
	if (rc == -GMRK_E_AUTH)
		return gmrk_auth_failed(ctx, a, err);
	if (rc == -GMRK_E_UNSUPPORTED)
		return gmrk__err(err, GMRK_E_UNSUPPORTED, "%s: no %s implementation available",
				 gmrk_cipher_name(a->cipher),
				 ctx->backend == GMRK_BACKEND_SOFT ? "software" : "usable");
	return gmrk__err(err, -rc, "%s: %s", gmrk_cipher_name(a->cipher),
			 gmrk_strerror(rc));
}

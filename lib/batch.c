// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Batches: gmrk_seal_many / gmrk_open_many.
 *
 * An AF_ALG AEAD socket runs one request at a time, and libkcapi's AIO
 * call takes a single IV for all its buffers, which blocks cannot share.
 * So the blocks routed to AF_ALG are spread over up to max_inflight worker
 * threads, each with its own op socket cloned from the key's bound one
 * (kcapi_handle_reinit: same tfm and key, new socket) and each blocked in
 * its own recvmsg(): that many requests are in flight to the card at once.
 * Meanwhile the calling thread runs the blocks routed to software.
 *
 * Every block has its own slot, so results are in order whatever finishes
 * first. A block a worker could not get through AF_ALG (any error but
 * EBADMSG) is redone in software by the calling thread after the workers
 * are joined, from its untouched input and with its nonce: done once,
 * never lost.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define GMRK_CLONES 8

struct gmrk_batch {
	struct gmrk_prep *prep;
	int *rc;			/* per block AF_ALG result */
	size_t *queue;			/* indexes of AF_ALG-routed blocks */
	struct kcapi_handle **parent;	/* per block: handle to clone */
	size_t nq;
	size_t next;			/* atomic */
};

static void *gmrk_worker(void *arg)
{
	struct gmrk_batch *bt = arg;
	struct kcapi_handle *from[GMRK_CLONES] = { 0 }, *to[GMRK_CLONES] = { 0 };
	int nclones = 0, k;

	for (;;) {
		size_t q = __atomic_fetch_add(&bt->next, 1, __ATOMIC_RELAXED);
		struct kcapi_handle *h = NULL, *tmp = NULL;
		size_t i;

		if (q >= bt->nq)
			break;
		i = bt->queue[q];
		for (k = 0; k < nclones; k++)
			if (from[k] == bt->parent[i])
				h = to[k];
		if (!h) {
			int rc = gmrk__af_clone(bt->parent[i], &tmp);

			if (rc) {
				bt->rc[i] = rc;
				continue;
			}
			h = tmp;
			if (nclones < GMRK_CLONES) {
				from[nclones] = bt->parent[i];
				to[nclones++] = tmp;
				tmp = NULL;
			}
		}
		bt->rc[i] = gmrk__run_on(h, &bt->prep[i].req);
		if (bt->rc[i] && bt->rc[i] != -EBADMSG) {
			/* socket state unknown: do not reuse it */
			for (k = 0; k < nclones; k++)
				if (to[k] == h) {
					gmrk__af_free(h);
					from[k] = from[--nclones];
					to[k] = to[nclones];
					h = NULL;
					break;
				}
		}
		if (tmp)
			gmrk__af_free(tmp);
	}
	for (k = 0; k < nclones; k++)
		gmrk__af_free(to[k]);
	return NULL;
}

static int gmrk_many(gmrk_ctx *ctx, gmrk_key *key, struct gmrk_block *blocks,
		     size_t n, bool seal, gmrk_error *err)
{
	enum gmrk_backend *route = NULL;
	struct gmrk_batch bt = { 0 };
	pthread_t tid[64];
	int nthreads = 0, first_rc = 0, t;
	size_t first = 0, i;
	gmrk_error e1;

	gmrk__err_clear(err);
	if (!ctx || (n && !blocks))
		return gmrk__err(err, GMRK_E_INVAL, "batch: no context or blocks");
	if (key && key->ctx != ctx)
		return gmrk__err(err, GMRK_E_INVAL, "key belongs to another context");
	GMRK_STAT_ADD(ctx, batches, 1);
	if (!n)
		return 0;
	bt.prep = calloc(n, sizeof(*bt.prep));
	bt.rc = calloc(n, sizeof(*bt.rc));
	bt.queue = calloc(n, sizeof(*bt.queue));
	bt.parent = calloc(n, sizeof(*bt.parent));
	route = calloc(n, sizeof(*route));
	if (!bt.prep || !bt.rc || !bt.queue || !bt.parent || !route) {
		first_rc = gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
		goto out;
	}

	/* 1. prepare every block (nonces are drawn here, in order) and route it */
	for (i = 0; i < n; i++) {
		struct gmrk_block *b = &blocks[i];
		struct gmrk_prep *p = &bt.prep[i];
		int rc;

		b->flags = 0;
		b->outlen = 0;
		b->backend = GMRK_BACKEND_AUTO;
		b->status = 1;	/* not finished yet */
		rc = seal ? gmrk__seal_prep(ctx, key, b, p, &e1) :
			    gmrk__open_prep(ctx, key, b, p, &e1);
		if (rc || p->plaintext) {
			gmrk__block_finish(ctx, b, p, rc, &e1);
			if (rc && (!first_rc || i < first)) {
				first_rc = rc;
				first = i;
				if (err)
					*err = e1;
			}
			continue;
		}
		route[i] = gmrk__route(ctx, p->aead, &p->req);
		if (route[i] == GMRK_BACKEND_CARD || route[i] == GMRK_BACKEND_KERNEL) {
			int which = route[i] == GMRK_BACKEND_CARD ? GMRK_AF_CARD : GMRK_AF_KERNEL;

			if (!gmrk__af_bind(ctx, p->aead, which)) {
				bt.parent[i] = p->aead->af[which].h;
				bt.queue[bt.nq++] = i;
			}
		}
	}

	/* 2. AF_ALG blocks to the workers, software blocks on this thread */
	if (bt.nq > 1 && ctx->max_inflight > 1) {
		int want = (int)(bt.nq < ctx->max_inflight ? bt.nq : ctx->max_inflight);

		for (t = 0; t < want; t++) {
			if (pthread_create(&tid[t], NULL, gmrk_worker, &bt))
				break;
			nthreads++;
		}
	}
	for (i = 0; i < n; i++) {
		struct gmrk_prep *p = &bt.prep[i];
		int rc;

		if (blocks[i].status != 1 || route[i] != GMRK_BACKEND_SOFT)
			continue;
		/* software only here: AF_ALG handles belong to the workers now */
		rc = gmrk__run_soft(ctx, p->aead, &p->req, &e1);
		blocks[i].backend = GMRK_BACKEND_SOFT;
		gmrk__block_finish(ctx, &blocks[i], p, rc, &e1);
		if (rc && (!first_rc || i < first)) {
			first_rc = rc;
			first = i;
			if (err)
				*err = e1;
		}
	}
	if (nthreads)
		for (t = 0; t < nthreads; t++)
			pthread_join(tid[t], NULL);
	else
		gmrk_worker(&bt);	/* one block, or no threads: do it here */

	/* AF_ALG-routed blocks whose socket would not bind: the full path */
	for (i = 0; i < n; i++) {
		struct gmrk_prep *p = &bt.prep[i];
		int rc;

		if (blocks[i].status != 1 || route[i] == GMRK_BACKEND_SOFT || bt.parent[i])
			continue;
		rc = gmrk__run(ctx, p->aead, &p->req, &blocks[i].backend,
			       &blocks[i].flags, &e1);
		gmrk__block_finish(ctx, &blocks[i], p, rc, &e1);
		if (rc && (!first_rc || i < first)) {
			first_rc = rc;
			first = i;
			if (err)
				*err = e1;
		}
	}

	/* 3. collect AF_ALG results; redo failures in software */
	for (size_t q = 0; q < bt.nq; q++) {
		struct gmrk_prep *p;
		int rc;

		i = bt.queue[q];
		p = &bt.prep[i];
		rc = bt.rc[i];
		blocks[i].backend = route[i];
		if (!rc) {
			gmrk__account(ctx, route[i], p->req.len, p->req.enc);
		} else if (rc == -EBADMSG) {
			GMRK_STAT_ADD(ctx, auth_failures, 1);
			rc = gmrk__err(&e1, GMRK_E_AUTH, "%s: %s",
				       gmrk_cipher_name(p->aead->cipher),
				       gmrk_strerror(GMRK_E_AUTH));
		} else {
			GMRK_STAT_ADD(ctx, fallbacks, 1);
			blocks[i].flags |= GMRK_BLOCK_FALLBACK;
			if (rc == -ENODEV || rc == -ENOENT)
				gmrk__af_drop(&p->aead->af[route[i] == GMRK_BACKEND_CARD ?
						GMRK_AF_CARD : GMRK_AF_KERNEL], rc);
			rc = gmrk__soft_run(p->aead, &p->req);
			blocks[i].backend = GMRK_BACKEND_SOFT;
			if (rc == -GMRK_E_AUTH)
				GMRK_STAT_ADD(ctx, auth_failures, 1);
			if (rc)
				gmrk__err(&e1, -rc, "%s: %s", gmrk_cipher_name(p->aead->cipher),
					  gmrk_strerror(rc));
			else
				gmrk__account(ctx, GMRK_BACKEND_SOFT, p->req.len, p->req.enc);
		}
		gmrk__block_finish(ctx, &blocks[i], p, rc, &e1);
		if (rc && (!first_rc || i < first)) {
			first_rc = rc;
			first = i;
			if (err)
				*err = e1;
		}
	}
	if (first_rc && err) {
		char msg[GMRK_ERRMSG_LEN];

		snprintf(msg, sizeof(msg), "%s", err->message);
		gmrk__err(err, -first_rc, "block %zu of %zu: %s", first, n, msg);
	}
out:
	if (bt.prep)
		for (i = 0; i < n; i++)
			gmrk__prep_free(&bt.prep[i]);
	free(bt.prep);
	free(bt.rc);
	free(bt.queue);
	free(bt.parent);
	free(route);
	return first_rc;
}

int gmrk_seal_many(gmrk_ctx *ctx, gmrk_key *key, struct gmrk_block *blocks,
		   size_t n, gmrk_error *err)
{
	return gmrk_many(ctx, key, blocks, n, true, err);
}

int gmrk_open_many(gmrk_ctx *ctx, gmrk_key *key, struct gmrk_block *blocks,
		   size_t n, gmrk_error *err)
{
	return gmrk_many(ctx, key, blocks, n, false, err);
}

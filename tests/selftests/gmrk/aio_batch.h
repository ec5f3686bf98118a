/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Many AEAD requests in flight at once through AF_ALG and native AIO:
 * one op socket per request (algif takes one AIO read per socket), all
 * reads submitted in one io_submit(), every completion checked against
 * the reference outcome of its request.
 */
#ifndef GMRK_SELFTEST_AIO_BATCH_H
#define GMRK_SELFTEST_AIO_BATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aead_case.h"
#include "aio_raw.h"

struct aio_batch {
	int n;
	int *tfm;		/* per slot: its transform socket (not owned) */
	int *op;		/* per slot: op socket, accepted on demand */
	struct aead_case *c;	/* per slot: request and expected outcome */
	struct iocb *cbs;
	aio_context_t ctx;
	/* called once every read is submitted, before waiting (optional) */
	void (*after_submit)(struct aio_batch *b, void *arg);
	void *after_submit_arg;
	/* outcome of the last aio_batch_run() */
	unsigned long ok, errors, wrong, lost;
	char problem[256];
};

int aio_batch_init(struct aio_batch *b, int n);
void aio_batch_free(struct aio_batch *b);

/*
 * Send every slot's request, submit all reads, and wait for every
 * completion (at most timeout_s seconds; anything not completed by then
 * counts as lost). Slots whose case has no buffers are skipped.
 * Returns 0 or -errno for a failure of the harness itself.
 */
int aio_batch_run(struct aio_batch *b, int timeout_s);

/* aio_batch_run() on a thread of its own, for tests that act meanwhile. */
struct aio_batch_thread {
	pthread_t th;
	struct aio_batch *b;
	int timeout_s;
	int err;		/* aio_batch_run()'s result, after the join */
};

/* 0 or the pthread_create() error */
int aio_batch_start(struct aio_batch_thread *t, struct aio_batch *b, int timeout_s);
/* waits for the thread; returns aio_batch_run()'s result */
int aio_batch_join(struct aio_batch_thread *t);

#endif /* GMRK_SELFTEST_AIO_BATCH_H */

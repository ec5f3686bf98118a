// SPDX-License-Identifier: GPL-2.0-or-later
/* Many AEAD requests in flight through AF_ALG AIO (aio_batch.h). */
#include "aio_batch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int aio_batch_init(struct aio_batch *b, int n)
{
	int err;

	memset(b, 0, sizeof(*b));
	b->n = n;
	b->tfm = calloc(n, sizeof(*b->tfm));
	b->op = calloc(n, sizeof(*b->op));
	b->c = calloc(n, sizeof(*b->c));
	b->cbs = calloc(n, sizeof(*b->cbs));
	if (!b->tfm || !b->op || !b->c || !b->cbs) {
		aio_batch_free(b);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++)
		b->op[i] = b->tfm[i] = -1;
	err = aio_setup(n, &b->ctx);
	if (err)
		aio_batch_free(b);
	return err;
}

void aio_batch_free(struct aio_batch *b)
{
	if (b->ctx)
		aio_destroy(b->ctx);
	for (int i = 0; b->op && i < b->n; i++) {
		if (b->op[i] >= 0)
			close(b->op[i]);
		if (b->c)
			aead_case_free(&b->c[i]);
	}
	free(b->tfm);
	free(b->op);
	free(b->c);
	free(b->cbs);
	memset(b, 0, sizeof(*b));
}

static void batch_note(struct aio_batch *b, enum case_verdict v, const char *msg)
{
	if ((v == CASE_WRONG && !b->wrong) || !b->problem[0])
		snprintf(b->problem, sizeof(b->problem), "%s", msg);
	if (v == CASE_WRONG)
		b->wrong++;
	else
		b->errors++;
}

static void drop_op(struct aio_batch *b, int i)
{
	/* An op socket that failed may hold unconsumed input. */
	if (b->op[i] >= 0)
		close(b->op[i]);
	b->op[i] = -1;
}

int aio_batch_run(struct aio_batch *b, int timeout_s)
{
	struct iocb **list = calloc(b->n, sizeof(*list));
	struct io_event *ev = calloc(b->n, sizeof(*ev));
	struct timespec start, now;
	int queued = 0, done = 0, err = 0;
	char msg[256];

	b->ok = b->errors = b->wrong = b->lost = 0;
	b->problem[0] = 0;
	if (!list || !ev) {
		err = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < b->n; i++) {
		struct aead_case *c = &b->c[i];
		struct aead_op op;
		int e;

		if (!c->in && !c->expect)
			continue;
		if (b->op[i] < 0) {
			b->op[i] = alg_accept(b->tfm[i]);
			if (b->op[i] < 0) {
				snprintf(msg, sizeof(msg), "%s: accept: %s",
					 c->alg->label, strerror(-b->op[i]));
				b->op[i] = -1;
				batch_note(b, CASE_ERROR, msg);
				continue;
			}
		}
		aead_case_op(c, &op, ALG_IO_PLAIN, 0);
		e = alg_aead_send(b->op[i], &op);
		if (e) {
			snprintf(msg, sizeof(msg), "%s: sendmsg: %s",
				 c->alg->label, strerror(-e));
			batch_note(b, CASE_ERROR, msg);
			drop_op(b, i);
			continue;
		}
		aio_prep_read(&b->cbs[i], b->op[i], c->out, alg_read_len(c->outlen),
			      (uint64_t)i);
		list[queued++] = &b->cbs[i];
	}

	for (int sub = 0; sub < queued;) {
		int n = aio_submit(b->ctx, queued - sub, list + sub);

		if (n <= 0) {
			/* io_submit refused the rest: each is an error */
			snprintf(msg, sizeof(msg), "io_submit: %s",
				 n < 0 ? strerror(-n) : "queued nothing");
			for (int k = sub; k < queued; k++) {
				batch_note(b, CASE_ERROR, msg);
				drop_op(b, (int)list[k]->aio_data);
			}
			queued = sub;
			break;
		}
		sub += n;
	}

	if (b->after_submit)
		b->after_submit(b, b->after_submit_arg);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (done < queued) {
		struct timespec tmo = { 1, 0 };
		int n = aio_getevents(b->ctx, 1, queued - done, ev, &tmo);

		if (n < 0) {
			err = n;
			goto out;
		}
		for (int k = 0; k < n; k++) {
			int i = (int)ev[k].data;
			enum case_verdict v;

			v = aead_case_check(&b->c[i], (ssize_t)ev[k].res, msg,
					    sizeof(msg));
			if (v == CASE_OK)
				b->ok++;
			else
				batch_note(b, v, msg);
			if (ev[k].res < 0 && !b->c[i].forged)
				drop_op(b, i);
		}
		done += n;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (done < queued && now.tv_sec - start.tv_sec > timeout_s) {
			b->lost = queued - done;
			snprintf(b->problem, sizeof(b->problem),
				 "%lu AIO requests not completed after %d s",
				 b->lost, timeout_s);
			break;
		}
	}
out:
	free(list);
	free(ev);
	return err;
}

static void *aio_batch_thread_main(void *arg)
{
	struct aio_batch_thread *t = arg;

	t->err = aio_batch_run(t->b, t->timeout_s);
	return NULL;
}

int aio_batch_start(struct aio_batch_thread *t, struct aio_batch *b, int timeout_s)
{
	t->b = b;
	t->timeout_s = timeout_s;
	t->err = 0;
	return pthread_create(&t->th, NULL, aio_batch_thread_main, t);
}

int aio_batch_join(struct aio_batch_thread *t)
{
	pthread_join(t->th, NULL);
	return t->err;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* Verified request load from a thread (load_worker.h). */
#include "load_worker.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aead_case.h"

#define REKEY_EVERY	16
#define REBIND_EVERY	48

struct worker_alg {
	struct alg_aead sock;
	uint8_t key[32];
	bool open;
};

static int worker_alg_open(struct worker_alg *wa, const struct aead_alg *alg,
			   struct prng *p)
{
	const unsigned int *sizes;
	size_t n = aead_authsizes(alg, &sizes);
	int err;

	err = alg_aead_open(&wa->sock, aead_driver_name(alg));
	if (err)
		return err;
	prng_fill(p, wa->key, alg->keylen);
	err = alg_aead_setkey(&wa->sock, wa->key, alg->keylen);
	if (!err)
		err = alg_aead_setauthsize(&wa->sock, sizes[prng_below(p, n)]);
	if (err) {
		alg_aead_close(&wa->sock);
		return err;
	}
	wa->open = true;
	return 0;
}

static void note(struct load_worker *w, enum case_verdict v, const char *msg)
{
	/* Keep the first wrong result even when errors came before it. */
	if (v == CASE_WRONG && !w->wrong)
		snprintf(w->problem, sizeof(w->problem), "%s", msg);
	else if (!w->problem[0])
		snprintf(w->problem, sizeof(w->problem), "%s", msg);
}

static void *load_worker_main(void *arg)
{
	struct load_worker *w = arg;
	struct worker_alg wa[NUM_AEAD_ALGS] = { 0 };
	unsigned int mask = w->alg_mask ? w->alg_mask : (1u << NUM_AEAD_ALGS) - 1;
	struct prng p;
	unsigned long i;

	prng_init(&p, w->seed);
	for (i = 0; !w->max_ops || i < w->max_ops; i++) {
		const struct aead_alg *alg;
		struct worker_alg *a;
		struct aead_case c;
		struct aead_op op;
		enum case_verdict v;
		char msg[256];
		unsigned int k;
		ssize_t n;
		int err;

		if (w->stop && atomic_load(w->stop))
			break;
		do {
			k = (unsigned int)prng_below(&p, NUM_AEAD_ALGS);
		} while (!(mask & (1u << k)));
		alg = &aead_algs[k];
		a = &wa[k];

		if (a->open && i % REBIND_EVERY == k) {
			alg_aead_close(&a->sock);
			a->open = false;
		} else if (a->open && i % REKEY_EVERY == k) {
			prng_fill(&p, a->key, alg->keylen);
			err = alg_aead_setkey(&a->sock, a->key, alg->keylen);
			if (err) {
				alg_aead_close(&a->sock);
				a->open = false;
			}
		}
		if (!a->open) {
			err = worker_alg_open(a, alg, &p);
			if (err) {
				/* e.g. the algorithm went away with its device */
				snprintf(msg, sizeof(msg), "%s: bind/setkey: %s",
					 alg->label, strerror(-err));
				note(w, CASE_ERROR, msg);
				w->errors++;
				w->last_errno = -err;
				atomic_fetch_add(&w->progress, 1);
				nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
				continue;
			}
		}

		err = aead_case_make(&c, alg, a->key, a->sock.authsize, &p,
				     w->max_aad, w->max_pt,
				     prng_below(&p, 2), prng_below(&p, 8) == 0);
		if (err) {
			snprintf(msg, sizeof(msg), "%s: building a case: %s",
				 alg->label, strerror(-err));
			note(w, CASE_ERROR, msg);
			w->errors++;
			atomic_fetch_add(&w->progress, 1);
			continue;
		}
		aead_case_op(&c, &op, prng_below(&p, 4) ? ALG_IO_PLAIN : ALG_IO_FRAG,
			     prng_u64(&p));
		n = alg_aead_run(&a->sock, &op);
		v = aead_case_check(&c, n, msg, sizeof(msg));
		if (v == CASE_OK) {
			w->ok++;
		} else {
			note(w, v, msg);
			if (v == CASE_WRONG)
				w->wrong++;
			else
				w->errors++;
			if (n < 0)
				w->last_errno = (int)-n;
		}
		aead_case_free(&c);
		atomic_fetch_add(&w->progress, 1);
	}
	for (int k = 0; k < NUM_AEAD_ALGS; k++)
		if (wa[k].open)
			alg_aead_close(&wa[k].sock);
	return NULL;
}

int load_worker_start(struct load_worker *w)
{
	w->ok = w->errors = w->wrong = 0;
	w->last_errno = 0;
	w->problem[0] = 0;
	atomic_init(&w->progress, 0);
	return -pthread_create(&w->thread, NULL, load_worker_main, w);
}

void load_worker_join(struct load_worker *w)
{
	pthread_join(w->thread, NULL);
}

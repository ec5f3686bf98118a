// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk concurrency tests: many threads with their own sockets, threads
 * sharing one transform (one key) through their own op sockets, and
 * native AIO with many requests in flight at once across every algorithm,
 * alone and while threads hammer. Every result is checked against the
 * reference; a wrong result, an error, or a request that never completes
 * fails the test.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "aead_case.h"
#include "aio_batch.h"
#include "load_worker.h"
#include "test_algs.h"

#define THREADS		8
#define OPS_PER_THREAD	40
#define AIO_PER_ALG	24
#define AIO_ROUNDS	4
#define AIO_TIMEOUT_S	120

struct keyed {
	struct alg_aead a;
	uint8_t key[32];
};

static void keyed_open(struct __test_metadata *_metadata, struct keyed *k,
		       const struct aead_alg *alg, struct prng *p,
		       unsigned int authsize)
{
	int err = alg_aead_open(&k->a, aead_driver_name(alg));

	ASSERT_EQ(0, err) TH_LOG("bind %s: %s", aead_driver_name(alg),
				 strerror(-err));
	prng_fill(p, k->key, alg->keylen);
	ASSERT_EQ(0, alg_aead_setkey(&k->a, k->key, alg->keylen));
	ASSERT_EQ(0, alg_aead_setauthsize(&k->a, authsize));
}

static uint64_t logged_seed(struct __test_metadata *_metadata)
{
	uint64_t seed = test_seed();

	TH_LOG("seed %llu", (unsigned long long)seed);
	return seed;
}

static void check_workers(struct __test_metadata *_metadata,
			  struct load_worker *w, int n)
{
	unsigned long ok = 0, errors = 0, wrong = 0;

	for (int i = 0; i < n; i++) {
		ok += w[i].ok;
		errors += w[i].errors;
		wrong += w[i].wrong;
		if (w[i].problem[0])
			TH_LOG("thread %d: %s", i, w[i].problem);
	}
	TH_LOG("%lu right, %lu errors, %lu wrong", ok, errors, wrong);
	EXPECT_EQ(0UL, wrong);
	EXPECT_EQ(0UL, errors);
	EXPECT_LT(0UL, ok);
}

/* The harness's TEST() has no timeout of its own: use a bare fixture. */
FIXTURE(conc) {
	struct prng p;
};

FIXTURE_SETUP(conc)
{
	prng_init(&self->p, logged_seed(_metadata));
}

FIXTURE_TEARDOWN(conc)
{
}

TEST_F_TIMEOUT(conc, threads_own_sockets, 240)
{
	struct load_worker w[THREADS];

	memset(w, 0, sizeof(w));
	for (int i = 0; i < THREADS; i++) {
		w[i].seed = prng_u64(&self->p);
		w[i].max_aad = 512;
		w[i].max_pt = 16384;
		w[i].max_ops = test_scaled(OPS_PER_THREAD);
		ASSERT_EQ(0, load_worker_start(&w[i]));
	}
	for (int i = 0; i < THREADS; i++)
		load_worker_join(&w[i]);
	check_workers(_metadata, w, THREADS);
}

/* Threads sharing one transform (one key, one tfm context) per algorithm. */
struct shared_thread {
	pthread_t th;
	struct keyed *k;		/* one per algorithm, shared */
	uint64_t seed;
	unsigned long ops, ok, errors, wrong;
	char problem[256];
};

static void *shared_main(void *arg)
{
	struct shared_thread *t = arg;
	int ops[NUM_AEAD_ALGS];
	struct prng p;

	prng_init(&p, t->seed);
	for (int i = 0; i < NUM_AEAD_ALGS; i++)
		ops[i] = alg_accept(t->k[i].a.tfm);
	for (unsigned long n = 0; n < t->ops; n++) {
		int i = (int)prng_below(&p, NUM_AEAD_ALGS);
		struct keyed *k = &t->k[i];
		struct aead_case c;
		struct aead_op op;
		enum case_verdict v;
		char msg[256];
		ssize_t r;

		if (ops[i] < 0)
			ops[i] = alg_accept(k->a.tfm);
		if (aead_case_make(&c, &aead_algs[i], k->key, k->a.authsize, &p,
				   256, 8192, prng_below(&p, 2),
				   prng_below(&p, 6) == 0)) {
			t->errors++;
			continue;
		}
		aead_case_op(&c, &op, ALG_IO_PLAIN, 0);
		r = ops[i] < 0 ? ops[i] : alg_aead_send(ops[i], &op);
		if (!r)
			r = alg_aead_recv(ops[i], &op);
		v = aead_case_check(&c, r, msg, sizeof(msg));
		if (v == CASE_OK) {
			t->ok++;
		} else {
			if (!t->problem[0] || (v == CASE_WRONG && !t->wrong))
				memcpy(t->problem, msg, sizeof(msg));
			if (v == CASE_WRONG)
				t->wrong++;
			else
				t->errors++;
			if (r < 0 && !c.forged && ops[i] >= 0) {
				close(ops[i]);
				ops[i] = -1;
			}
		}
		aead_case_free(&c);
	}
	for (int i = 0; i < NUM_AEAD_ALGS; i++)
		if (ops[i] >= 0)
			close(ops[i]);
	return NULL;
}

TEST_F_TIMEOUT(conc, threads_share_one_tfm, 240)
{
	struct keyed k[NUM_AEAD_ALGS];
	struct shared_thread t[THREADS];
	unsigned long ok = 0, errors = 0, wrong = 0;

	for (int i = 0; i < NUM_AEAD_ALGS; i++)
		keyed_open(_metadata, &k[i], &aead_algs[i], &self->p,
			   i == ALG_CHACHAPOLY ? 16 : 12);
	memset(t, 0, sizeof(t));
	for (int i = 0; i < THREADS; i++) {
		t[i].k = k;
		t[i].seed = prng_u64(&self->p);
		t[i].ops = test_scaled(OPS_PER_THREAD);
		ASSERT_EQ(0, pthread_create(&t[i].th, NULL, shared_main, &t[i]));
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i].th, NULL);
		ok += t[i].ok;
		errors += t[i].errors;
		wrong += t[i].wrong;
		if (t[i].problem[0])
			TH_LOG("thread %d: %s", i, t[i].problem);
	}
	TH_LOG("%lu right, %lu errors, %lu wrong", ok, errors, wrong);
	EXPECT_EQ(0UL, wrong);
	EXPECT_EQ(0UL, errors);
	EXPECT_EQ((unsigned long)THREADS * test_scaled(OPS_PER_THREAD), ok);
	for (int i = 0; i < NUM_AEAD_ALGS; i++)
		alg_aead_close(&k[i].a);
}

/*
 * Fill batch slots [first, first + n) with random requests for alg under
 * k's key; a sixth of the decrypts are forged.
 */
static void fill_slots(struct __test_metadata *_metadata, struct aio_batch *b,
		       int first, int n, int algi, struct keyed *k,
		       struct prng *p, size_t max_pt)
{
	for (int i = first; i < first + n; i++) {
		aead_case_free(&b->c[i]);
		b->tfm[i] = k->a.tfm;
		ASSERT_EQ(0, aead_case_make(&b->c[i], &aead_algs[algi], k->key,
					    k->a.authsize, p, 512, max_pt,
					    prng_below(p, 2),
					    prng_below(p, 6) == 0));
	}
}

static void check_batch(struct __test_metadata *_metadata,
			const struct aio_batch *b, const char *what, int round)
{
	if (b->problem[0])
		TH_LOG("%s round %d: %s", what, round, b->problem);
	EXPECT_EQ(0UL, b->wrong);
	EXPECT_EQ(0UL, b->errors);
	EXPECT_EQ(0UL, b->lost);
	EXPECT_EQ((unsigned long)b->n, b->ok);
}

/* One algorithm at a time, AIO_PER_ALG requests in flight. */
TEST_F_TIMEOUT(conc, aio_in_flight_per_alg, 240)
{
	for (int a = 0; a < NUM_AEAD_ALGS; a++) {
		struct aio_batch b;
		struct keyed k;

		keyed_open(_metadata, &k, &aead_algs[a], &self->p, 16);
		ASSERT_EQ(0, aio_batch_init(&b, AIO_PER_ALG));
		for (int r = 0; r < AIO_ROUNDS; r++) {
			fill_slots(_metadata, &b, 0, AIO_PER_ALG, a, &k, &self->p,
				   16384);
			ASSERT_EQ(0, aio_batch_run(&b, AIO_TIMEOUT_S));
			check_batch(_metadata, &b, aead_algs[a].label, r);
		}
		aio_batch_free(&b);
		alg_aead_close(&k.a);
	}
}

/* Every algorithm at once: NUM_AEAD_ALGS * AIO_PER_ALG in flight. */
static void aio_all_algs(struct __test_metadata *_metadata, struct prng *p,
			 int rounds)
{
	struct keyed k[NUM_AEAD_ALGS];
	struct aio_batch b;

	for (int a = 0; a < NUM_AEAD_ALGS; a++)
		keyed_open(_metadata, &k[a], &aead_algs[a], p,
			   a == ALG_CHACHAPOLY ? 16 : 8 + 4 * (a % 3));
	ASSERT_EQ(0, aio_batch_init(&b, NUM_AEAD_ALGS * AIO_PER_ALG));
	for (int r = 0; r < rounds; r++) {
		for (int a = 0; a < NUM_AEAD_ALGS; a++)
			fill_slots(_metadata, &b, a * AIO_PER_ALG, AIO_PER_ALG, a,
				   &k[a], p, 8192);
		ASSERT_EQ(0, aio_batch_run(&b, AIO_TIMEOUT_S));
		check_batch(_metadata, &b, "all algorithms", r);
	}
	aio_batch_free(&b);
	for (int a = 0; a < NUM_AEAD_ALGS; a++)
		alg_aead_close(&k[a].a);
}

TEST_F_TIMEOUT(conc, aio_in_flight_all_algs, 240)
{
	aio_all_algs(_metadata, &self->p, AIO_ROUNDS);
}

struct closer {
	struct keyed *k;
};

/* Close every socket the batch uses while its requests are in flight. */
static void close_all(struct aio_batch *b, void *arg)
{
	struct closer *c = arg;

	for (int i = 0; i < b->n; i++) {
		if (b->op[i] >= 0)
			close(b->op[i]);
		b->op[i] = -1;
	}
	for (int a = 0; a < NUM_AEAD_ALGS; a++)
		alg_aead_close(&c->k[a].a);
}

/*
 * The caller closes its op and transform sockets right after submitting:
 * the requests in flight still complete, each with its right result
 * (AF_ALG keeps the socket, and so the tfm, until they have).
 */
TEST_F_TIMEOUT(conc, aio_sockets_closed_in_flight, 240)
{
	struct keyed k[NUM_AEAD_ALGS];
	struct closer c = { .k = k };
	struct aio_batch b;

	for (int r = 0; r < 3; r++) {
		for (int a = 0; a < NUM_AEAD_ALGS; a++)
			keyed_open(_metadata, &k[a], &aead_algs[a], &self->p, 16);
		ASSERT_EQ(0, aio_batch_init(&b, NUM_AEAD_ALGS * 8));
		for (int a = 0; a < NUM_AEAD_ALGS; a++)
			fill_slots(_metadata, &b, a * 8, 8, a, &k[a], &self->p, 16384);
		b.after_submit = close_all;
		b.after_submit_arg = &c;
		ASSERT_EQ(0, aio_batch_run(&b, AIO_TIMEOUT_S));
		check_batch(_metadata, &b, "closed in flight", r);
		aio_batch_free(&b);
	}
}

/* AIO batches while threads run synchronous requests alongside. */
TEST_F_TIMEOUT(conc, aio_with_threads, 240)
{
	struct load_worker w[4];
	atomic_bool stop;

	atomic_init(&stop, false);
	memset(w, 0, sizeof(w));
	for (int i = 0; i < 4; i++) {
		w[i].seed = prng_u64(&self->p);
		w[i].max_aad = 256;
		w[i].max_pt = 8192;
		w[i].stop = &stop;
		ASSERT_EQ(0, load_worker_start(&w[i]));
	}
	aio_all_algs(_metadata, &self->p, 2);
	atomic_store(&stop, true);
	for (int i = 0; i < 4; i++)
		load_worker_join(&w[i]);
	check_workers(_metadata, w, 4);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Batches to the card and failures under fault injection (the emulation
 * device's debugfs knobs): many blocks in flight, results in order; jobs
 * the device fails mid-batch, a stalled device, a corrupting device, and
 * the device removed mid-batch. Every result must be intact (checked by
 * opening in software), no block lost or doubled, and the failures must
 * show in the statistics (the driver's and libgmrk's).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "vmlib.h"

#define NB 64
#define BLK 16384

struct batch {
	uint8_t *pt[NB], *ct[NB], *back[NB];
	struct gmrk_block b[NB];
	int rc;
	gmrk_ctx *ctx;
	gmrk_key *key;
	int n;
};

static void batch_init(struct batch *t, gmrk_ctx *ctx, int n)
{
	memset(t, 0, sizeof(*t));
	t->ctx = ctx;
	t->key = th_key(ctx, 1);
	t->n = n;
	for (int i = 0; i < n; i++) {
		t->pt[i] = malloc(BLK);
		t->ct[i] = malloc(BLK + GMRK_OVERHEAD);
		t->back[i] = malloc(BLK);
		th_fill(t->pt[i], BLK);
		t->b[i] = (struct gmrk_block){
			.position = (uint64_t)i, .ad = "vm", .adlen = 2, .in = t->pt[i],
			.inlen = BLK, .out = t->ct[i], .outcap = BLK + GMRK_OVERHEAD,
		};
	}
}

static void batch_free(struct batch *t)
{
	for (int i = 0; i < t->n; i++) {
		free(t->pt[i]);
		free(t->ct[i]);
		free(t->back[i]);
	}
	gmrk_key_free(t->key);
}

static void *batch_run(void *arg)
{
	struct batch *t = arg;
	gmrk_error err;

	t->rc = gmrk_seal_many(t->ctx, t->key, t->b, (size_t)t->n, &err);
	if (t->rc)
		fprintf(stderr, "# seal_many: %s\n", err.message);
	return NULL;
}

/* every sealed block opens in software, in its slot, with its own data */
static void batch_verify(struct batch *t)
{
	gmrk_ctx *soft = th_ctx(GMRK_BACKEND_SOFT, 0, 0);
	gmrk_key *k = th_key(soft, 1);

	for (int i = 0; i < t->n; i++) {
		size_t outlen;
		gmrk_error err;

		assert_int_equal(t->b[i].status, 0);
		assert_int_equal(t->b[i].outlen, BLK + GMRK_OVERHEAD);
		if (gmrk_open(soft, k, (uint64_t)i, "vm", 2, t->ct[i], t->b[i].outlen, t->back[i],
			      BLK, &outlen, NULL, &err))
			fail_msg("block %d: %s", i, err.message);
		assert_memory_equal(t->back[i], t->pt[i], BLK);
	}
	gmrk_key_free(k);
	gmrk_ctx_free(soft);
}

static gmrk_ctx *card_ctx(unsigned int inflight)
{
	struct gmrk_config cfg;
	gmrk_ctx *ctx;

	gmrk_config_init(&cfg);
	cfg.backend = GMRK_BACKEND_CARD;
	cfg.flags = GMRK_CFG_IGNORE_ENV | GMRK_CFG_NO_MASTER_KEY;
	cfg.max_inflight = inflight;
	ctx = gmrk_ctx_new(&cfg, NULL);
	assert_non_null(ctx);
	return ctx;
}

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void test_batch_in_flight(void **s)
{
	gmrk_ctx *ctx = card_ctx(8);
	struct gmrk_stats st;
	struct batch t;

	(void)s;
	batch_init(&t, ctx, NB);
	batch_run(&t);
	assert_int_equal(t.rc, 0);
	for (int i = 0; i < NB; i++)
		assert_int_equal(t.b[i].backend, GMRK_BACKEND_CARD);
	batch_verify(&t);
	/* and open_many through the card gives the plaintexts back in order */
	for (int i = 0; i < NB; i++) {
		memset(t.back[i], 0, BLK);
		t.b[i] = (struct gmrk_block){
			.position = (uint64_t)i, .ad = "vm", .adlen = 2, .in = t.ct[i],
			.inlen = BLK + GMRK_OVERHEAD, .out = t.back[i], .outcap = BLK,
		};
	}
	assert_int_equal(gmrk_open_many(ctx, t.key, t.b, NB, NULL), 0);
	for (int i = 0; i < NB; i++) {
		assert_int_equal(t.b[i].backend, GMRK_BACKEND_CARD);
		assert_memory_equal(t.back[i], t.pt[i], BLK);
	}
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	assert_int_equal(st.ops[GMRK_BACKEND_CARD], 2 * NB);
	assert_int_equal(st.fallbacks, 0);
	batch_free(&t);
	gmrk_ctx_free(ctx);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * How much in-flight depth buys against a device that takes 1 ms a job:
 * reported, not asserted (timings never decide a test); results checked.
 */
static void test_batch_depth_report(void **s)
{
	static const unsigned int depths[] = { 1, 4, 8, 16 };

	(void)s;
	VM_NEED_SIM("the emulation device's latency knob");
	assert_int_equal(vm_write(SIM_DBG "/latency_us", "1000"), 0);
	for (int i = 0; i < 4; i++) {
		gmrk_ctx *ctx = card_ctx(depths[i]);
		struct batch t;
		double t0;

		batch_init(&t, ctx, 32);
		t0 = now_ms();
		batch_run(&t);
		printf("# 32 blocks of 16 KiB, 1 ms per job, %2u in flight: %.1f ms\n",
		       depths[i], now_ms() - t0);
		assert_int_equal(t.rc, 0);
		batch_verify(&t);
		batch_free(&t);
		gmrk_ctx_free(ctx);
	}
	assert_int_equal(vm_write(SIM_DBG "/latency_us", "0"), 0);
}

static void test_fail_next_mid_batch(void **s)
{
	gmrk_ctx *ctx = card_ctx(8);
	long long fb0, err0, fb1, err1;
	struct gmrk_stats st;
	struct batch t;
	pthread_t th;

	(void)s;
	VM_NEED_SIM("the emulation device's fail_next knob and error count");
	fb0 = vm_read_num(CORE_DBG, "fallbacks");
	err0 = vm_read_num(SIM_DBG "/errors", NULL);
	batch_init(&t, ctx, NB);
	assert_int_equal(vm_write(SIM_DBG "/latency_us", "2000"), 0);
	assert_int_equal(pthread_create(&th, NULL, batch_run, &t), 0);
	msleep(30);
	assert_int_equal(vm_write(SIM_DBG "/fail_next", "10"), 0);
	pthread_join(th, NULL);
	assert_int_equal(vm_write(SIM_DBG "/latency_us", "0"), 0);
	assert_int_equal(vm_write(SIM_DBG "/fail_next", "0"), 0);
	assert_int_equal(t.rc, 0);
	batch_verify(&t);
	fb1 = vm_read_num(CORE_DBG, "fallbacks");
	err1 = vm_read_num(SIM_DBG "/errors", NULL);
	printf("# device errors %lld -> %lld, driver fallbacks %lld -> %lld\n", err0, err1, fb0, fb1);
	assert_true(err1 >= err0 + 10);
	assert_true(fb1 >= fb0 + 10);
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	/* every block done exactly once, by the card path or by libgmrk's redo */
	assert_int_equal(st.ops[GMRK_BACKEND_CARD] + st.ops[GMRK_BACKEND_SOFT], NB);
	assert_int_equal(st.seals, NB);
	batch_free(&t);
	gmrk_ctx_free(ctx);
}

static void test_stalled_device(void **s)
{
	gmrk_ctx *ctx = card_ctx(4);
	long long to0, to1;
	struct batch t;

	(void)s;
	VM_NEED_SIM("the emulation device's stall knob");
	to0 = vm_read_num(CORE_DBG, "timeouts");
	assert_int_equal(vm_write(MOD_PARAM "/job_timeout_ms", "300"), 0);
	assert_int_equal(vm_write(SIM_DBG "/stall", "1"), 0);
	batch_init(&t, ctx, 8);
	batch_run(&t);
	assert_int_equal(vm_write(SIM_DBG "/stall", "0"), 0);
	assert_int_equal(vm_write(MOD_PARAM "/job_timeout_ms", "5000"), 0);
	assert_int_equal(t.rc, 0);
	batch_verify(&t);
	to1 = vm_read_num(CORE_DBG, "timeouts");
	printf("# driver timeouts %lld -> %lld\n", to0, to1);
	assert_true(to1 > to0);
	/* the device serves again */
	batch_free(&t);
	batch_init(&t, ctx, 8);
	batch_run(&t);
	assert_int_equal(t.rc, 0);
	batch_verify(&t);
	batch_free(&t);
	gmrk_ctx_free(ctx);
}

/* a device that flips an output byte: the AEAD catches it on open */
static void test_corrupting_device(void **s)
{
	gmrk_ctx *ctx = card_ctx(1), *soft = th_ctx(GMRK_BACKEND_SOFT, 0, 0);
	gmrk_key *k = th_key(ctx, 1), *ks = th_key(soft, 1);
	uint8_t pt[4096], ct[4096 + GMRK_OVERHEAD], back[4096];
	struct gmrk_stats st;
	size_t outlen;
	gmrk_error err;

	(void)s;
	VM_NEED_SIM("the emulation device's corrupt_next knob");
	th_fill(pt, sizeof(pt));
	assert_int_equal(vm_write(SIM_DBG "/corrupt_next", "1"), 0);
	assert_int_equal(gmrk_seal(ctx, k, 0, NULL, 0, pt, sizeof(pt), ct, sizeof(ct), &outlen,
				   &err), 0);
	assert_int_equal(gmrk_open(soft, ks, 0, NULL, 0, ct, outlen, back, sizeof(back), &outlen,
				   NULL, &err), -GMRK_E_AUTH);
	/* an authentication failure from the card itself is reported, not redone */
	assert_int_equal(gmrk_seal(ctx, k, 0, NULL, 0, pt, sizeof(pt), ct, sizeof(ct), &outlen,
				   &err), 0);
	ct[100] ^= 1;
	assert_int_equal(gmrk_open(ctx, k, 0, NULL, 0, ct, outlen, back, sizeof(back), &outlen,
				   NULL, &err), -GMRK_E_AUTH);
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	assert_int_equal(st.auth_failures, 1);
	assert_int_equal(st.fallbacks, 0);
	gmrk_key_free(k);
	gmrk_key_free(ks);
	gmrk_ctx_free(ctx);
	gmrk_ctx_free(soft);
}

static bool card_listed(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/crypto", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "gcm-aes-gmrk"))
			found = true;
	fclose(f);
	return found;
}

static void recreate_device(void)
{
	assert_int_equal(vm_write(SIM_NEW, "0 4"), 0);
	msleep(100);
}

/* the device goes away under a batch, then a new one comes */
static void test_device_removed_mid_batch(void **s)
{
	gmrk_ctx *ctx = card_ctx(8);
	struct gmrk_stats st;
	struct batch t;
	pthread_t th;
	int i, back_on_card = 0;

	(void)s;
	VM_NEED_SIM("the emulation device deleted and created again");
	batch_init(&t, ctx, NB);
	assert_int_equal(vm_write(SIM_DBG "/latency_us", "3000"), 0);
	assert_int_equal(pthread_create(&th, NULL, batch_run, &t), 0);
	msleep(40);
	assert_int_equal(vm_write(SIM_DEL, "0"), 0);
	pthread_join(th, NULL);
	assert_int_equal(t.rc, 0);
	batch_verify(&t);
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	printf("# card %llu, software %llu, fallbacks %llu\n",
	       (unsigned long long)st.ops[GMRK_BACKEND_CARD],
	       (unsigned long long)st.ops[GMRK_BACKEND_SOFT], (unsigned long long)st.fallbacks);
	assert_int_equal(st.ops[GMRK_BACKEND_CARD] + st.ops[GMRK_BACKEND_SOFT], NB);
	assert_true(st.ops[GMRK_BACKEND_SOFT] >= st.fallbacks);
	/*
	 * No card now. Once the driver has unregistered the card's algorithms
	 * (after the last socket on them closed), a forced-card context still
	 * seals everything: in software, flagged and counted as fallbacks.
	 */
	batch_free(&t);
	for (i = 0; i < 50 && card_listed(); i++)
		msleep(100);
	assert_false(card_listed());
	msleep(1100);	/* libgmrk re-reads /proc/crypto at most once a second */
	gmrk_stats_reset(ctx);
	batch_init(&t, ctx, 4);
	batch_run(&t);
	assert_int_equal(t.rc, 0);
	batch_verify(&t);
	for (i = 0; i < 4; i++) {
		assert_int_equal(t.b[i].backend, GMRK_BACKEND_SOFT);
		assert_int_equal(t.b[i].flags, GMRK_BLOCK_FALLBACK);
	}
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	assert_int_equal(st.fallbacks, 4);
	assert_int_equal(st.ops[GMRK_BACKEND_SOFT], 4);
	/* a device again: after the re-probe interval the card is used again */
	recreate_device();
	for (i = 0; i < 30 && !back_on_card; i++) {
		msleep(200);
		batch_free(&t);
		batch_init(&t, ctx, 2);
		batch_run(&t);
		assert_int_equal(t.rc, 0);
		batch_verify(&t);
		back_on_card = t.b[0].backend == GMRK_BACKEND_CARD;
	}
	assert_true(back_on_card);
	batch_free(&t);
	gmrk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_in_flight),
		cmocka_unit_test(test_batch_depth_report),
		cmocka_unit_test(test_fail_next_mid_batch),
		cmocka_unit_test(test_stalled_device),
		cmocka_unit_test(test_corrupting_device),
		cmocka_unit_test(test_device_removed_mid_batch),
	};

	return TH_RUN("libgmrk fallback", tests);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk fault-injection tests (emulation device only): every debugfs knob
 * of an emulation device, with the outcome .work/DRIVER_IFACE.md
 * documents for it.
 *
 * Targeting: the knobs act on one device, but requests may go to any
 * device. So each test creates its own device (FAULT_ID, 2 queues of 4
 * entries: small enough that the rings fill) and then deletes every other
 * emulation device, the harness's device 0 included, so that all
 * requests are served by the device under test; the teardown brings the
 * harness's device back (sim_restore_baseline(), which also heals after a
 * test killed before its teardown). Device 0 is deleted only after the
 * test's device is up, so the algorithms never lose their last device.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "aead_case.h"
#include "aio_batch.h"
#include "gmrk_ctl.h"
#include "test_algs.h"

#define FAULT_ID	42
#define FAULT_QUEUES	2
#define FAULT_DEPTH	4
#define STALL_TIMEOUT_MS 300

FIXTURE(faults) {
	struct prng p;
	char node[16];
	int fd;
	uint64_t saved_timeout, saved_threshold;
	bool params_saved;
	bool skip;
};

#define SKIP_REASON "fault knobs exist on emulation devices only (GMRK_TEST_MODE=pci)"

/*
 * The 6.1 harness runs the test body even after SKIP() in the setup, so
 * every test checks again.
 */
#define SKIP_IF_PCI() do {						\
	if (self->skip)							\
		SKIP(return, SKIP_REASON);				\
} while (0)

FIXTURE_SETUP(faults)
{
	unsigned int ids[SIM_MAX_DEVICES];
	uint64_t seed;
	int n, err;

	self->fd = -1;
	if (test_mode_is_pci()) {
		self->skip = true;
		SKIP(return, SKIP_REASON);
	}
	ASSERT_TRUE(sim_bus_present()) TH_LOG("no " SIM_BUS);
	ASSERT_EQ(0, debugfs_ensure());
	seed = test_seed();
	TH_LOG("seed %llu", (unsigned long long)seed);
	prng_init(&self->p, seed);

	ASSERT_EQ(0, sim_restore_baseline());
	ASSERT_EQ(0, modparam_read("job_timeout_ms", &self->saved_timeout));
	ASSERT_EQ(0, modparam_read("sw_threshold", &self->saved_threshold));
	self->params_saved = true;
	/* everything to the device */
	ASSERT_EQ(0, modparam_write("sw_threshold", 0));

	err = sim_new_device(FAULT_ID, FAULT_QUEUES, FAULT_DEPTH);
	ASSERT_EQ(0, err) TH_LOG("new_device %d: %s", FAULT_ID, strerror(-err));
	n = sim_list(ids, SIM_MAX_DEVICES);
	ASSERT_LT(0, n);
	for (int i = 0; i < n; i++) {
		if (ids[i] != FAULT_ID) {
			ASSERT_EQ(0, sim_del_device(ids[i]));
		}
	}
	ASSERT_EQ(0, sim_node_name(FAULT_ID, self->node, sizeof(self->node)));
	self->fd = gmrk_node_open(self->node);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", self->node, strerror(-self->fd));
}

FIXTURE_TEARDOWN(faults)
{
	static const char *const knobs[] = {
		"stall", "queue_full", "fail_next", "corrupt_next", "latency_us",
	};

	if (self->fd >= 0)
		close(self->fd);
	if (sim_device_exists(FAULT_ID))
		for (size_t i = 0; i < ARRAY_SIZE(knobs); i++)
			sim_knob_write(FAULT_ID, knobs[i], 0);
	if (self->params_saved) {
		modparam_write("job_timeout_ms", self->saved_timeout);
		modparam_write("sw_threshold", self->saved_threshold);
	}
	if (!test_mode_is_pci())
		EXPECT_EQ(0, sim_restore_baseline());
}

static void get_stats(struct __test_metadata *_metadata,
		      FIXTURE_DATA(faults) *self, struct gmrk_stats *st)
{
	int err = gmrk_get_stats(self->fd, st);

	ASSERT_EQ(0, err) TH_LOG("GMRK_IOC_STATS: %s", strerror(-err));
}

static uint64_t knob(struct __test_metadata *_metadata, const char *name)
{
	uint64_t v = 0;
	int err = sim_knob_read(FAULT_ID, name, &v);

	EXPECT_EQ(0, err) TH_LOG("read %s: %s", name, strerror(-err));
	return v;
}

static void set_knob(struct __test_metadata *_metadata, const char *name,
		     uint64_t v)
{
	int err = sim_knob_write(FAULT_ID, name, v);

	ASSERT_EQ(0, err) TH_LOG("write %s=%llu: %s", name,
				 (unsigned long long)v, strerror(-err));
}

struct keyed {
	struct alg_aead a;
	uint8_t key[32];
};

static void keyed_open(struct __test_metadata *_metadata, struct keyed *k,
		       int algi, struct prng *p)
{
	const struct aead_alg *alg = &aead_algs[algi];
	int err = alg_aead_open(&k->a, aead_driver_name(alg));

	ASSERT_EQ(0, err) TH_LOG("bind %s: %s", aead_driver_name(alg), strerror(-err));
	prng_fill(p, k->key, alg->keylen);
	ASSERT_EQ(0, alg_aead_setkey(&k->a, k->key, alg->keylen));
}

/* n verified requests (alternating directions) on k; all must be right. */
static void run_verified(struct __test_metadata *_metadata, struct keyed *k,
			 int algi, struct prng *p, int n, size_t min_pt)
{
	for (int i = 0; i < n; i++) {
		struct aead_case c;
		struct aead_op op;
		char msg[256];
		ssize_t r;

		ASSERT_EQ(0, aead_case_make(&c, &aead_algs[algi], k->key,
					    k->a.authsize, p, 64, 2048, i % 2,
					    false));
		if (c.outlen < min_pt) {
			aead_case_free(&c);
			i--;
			continue;
		}
		aead_case_op(&c, &op, ALG_IO_PLAIN, 0);
		r = alg_aead_run(&k->a, &op);
		EXPECT_EQ((int)CASE_OK, (int)aead_case_check(&c, r, msg, sizeof(msg)))
			TH_LOG("request %d: %s", i, msg);
		aead_case_free(&c);
	}
}

/* fail_next: the driver redoes failed jobs in software; callers never notice. */
TEST_F(faults, fail_next)
{
	SKIP_IF_PCI();
	for (int a = 0; a < NUM_AEAD_ALGS; a++) {
		struct gmrk_stats before, after;
		uint64_t dev_errors;
		struct keyed k;

		keyed_open(_metadata, &k, a, &self->p);
		get_stats(_metadata, self, &before);
		dev_errors = knob(_metadata, "errors");
		set_knob(_metadata, "fail_next", 2);
		run_verified(_metadata, &k, a, &self->p, 4, 0);
		get_stats(_metadata, self, &after);

		EXPECT_EQ(0ULL, (unsigned long long)knob(_metadata, "fail_next"))
			TH_LOG("%s: fail_next not consumed", aead_algs[a].label);
		EXPECT_LE(dev_errors + 2, knob(_metadata, "errors"));
		EXPECT_LE(before.errors + 2, after.errors)
			TH_LOG("%s: stats errors %llu -> %llu", aead_algs[a].label,
			       (unsigned long long)before.errors,
			       (unsigned long long)after.errors);
		EXPECT_LE(before.fallbacks + 2, after.fallbacks)
			TH_LOG("%s: stats fallbacks %llu -> %llu", aead_algs[a].label,
			       (unsigned long long)before.fallbacks,
			       (unsigned long long)after.fallbacks);
		alg_aead_close(&k.a);
	}
}

/*
 * corrupt_next: an encrypt comes back wrong (one byte flipped), and that
 * ciphertext no longer opens, through the driver or the reference.
 */
TEST_F(faults, corrupt_next)
{
	SKIP_IF_PCI();
	for (int a = 0; a < NUM_AEAD_ALGS; a++) {
		const struct aead_alg *alg = &aead_algs[a];
		struct gmrk_stats before, after;
		struct aead_case c;
		struct aead_op op;
		struct keyed k;
		uint8_t *pt;
		ssize_t r;
		long d;

		keyed_open(_metadata, &k, a, &self->p);
		do {
			ASSERT_EQ(0, aead_case_make(&c, alg, k.key, k.a.authsize,
						    &self->p, 64, 2048, true,
						    false));
			if (c.inlen - c.assoclen >= 16)
				break;
			aead_case_free(&c);
		} while (1);

		get_stats(_metadata, self, &before);
		set_knob(_metadata, "corrupt_next", 1);
		aead_case_op(&c, &op, ALG_IO_PLAIN, 0);
		r = alg_aead_run(&k.a, &op);
		ASSERT_EQ((ssize_t)c.outlen, r) TH_LOG("%s: encrypt: %zd", alg->label, r);
		EXPECT_EQ(0ULL, (unsigned long long)knob(_metadata, "corrupt_next"));
		d = first_diff(c.out, c.expect, c.outlen);
		EXPECT_LE((long)c.assoclen, d)
			TH_LOG("%s: corrupted encrypt matches the reference (diff at %ld)",
			       alg->label, d);

		/* the corrupted ciphertext opens nowhere */
		pt = malloc(c.inlen + 1);
		ASSERT_NE(NULL, pt);
		op = (struct aead_op) {
			.enc = false, .iv = c.iv, .assoclen = c.assoclen,
			.in = c.out, .inlen = c.outlen, .out = pt,
			.outlen = c.inlen,
		};
		r = alg_aead_run(&k.a, &op);
		EXPECT_EQ(-EBADMSG, r) TH_LOG("%s: driver opened it: %zd", alg->label, r);
		EXPECT_EQ(-EBADMSG,
			  ref_aead_open(alg->ref, k.key, alg->keylen, c.iv, c.out,
					c.assoclen, c.out + c.assoclen,
					c.inlen - c.assoclen,
					c.out + c.inlen, k.a.authsize, pt));
		/* and the device is fine afterwards */
		op.in = c.expect;
		r = alg_aead_run(&k.a, &op);
		EXPECT_EQ((ssize_t)c.inlen, r);
		if (r == (ssize_t)c.inlen)
			EXPECT_EQ(0, memcmp(pt, c.in, c.inlen));
		get_stats(_metadata, self, &after);
		EXPECT_LE(before.auth_failures + 1, after.auth_failures);
		free(pt);
		aead_case_free(&c);
		alg_aead_close(&k.a);
	}
}

/* Fill an AIO batch with n random requests over every algorithm. */
static void fill_batch(struct __test_metadata *_metadata, struct aio_batch *b,
		       struct keyed *k, struct prng *p)
{
	for (int i = 0; i < b->n; i++) {
		int a = i % NUM_AEAD_ALGS;

		aead_case_free(&b->c[i]);
		b->tfm[i] = k[a].a.tfm;
		ASSERT_EQ(0, aead_case_make(&b->c[i], &aead_algs[a], k[a].key,
					    k[a].a.authsize, p, 64, 4096,
					    prng_below(p, 2), false));
	}
}

static void expect_batch_ok(struct __test_metadata *_metadata,
			    const struct aio_batch *b, const char *what)
{
	if (b->problem[0])
		TH_LOG("%s: %s", what, b->problem);
	EXPECT_EQ(0UL, b->wrong);
	EXPECT_EQ(0UL, b->errors);
	EXPECT_EQ(0UL, b->lost);
	EXPECT_EQ((unsigned long)b->n, b->ok);
}

/*
 * stall: jobs time out after job_timeout_ms, are redone in software
 * (right results), the device is reset; once stall is cleared it serves
 * again.
 */
TEST_F_TIMEOUT(faults, stall_timeout_and_recovery, 120)
{
	struct keyed k[NUM_AEAD_ALGS];
	struct gmrk_stats before, mid, after;
	struct gmrk_info info;
	struct aio_batch b;
	uint64_t dev_jobs;

	SKIP_IF_PCI();
	for (int a = 0; a < NUM_AEAD_ALGS; a++)
		keyed_open(_metadata, &k[a], a, &self->p);
	ASSERT_EQ(0, modparam_write("job_timeout_ms", STALL_TIMEOUT_MS));

	get_stats(_metadata, self, &before);
	set_knob(_metadata, "stall", 1);
	EXPECT_EQ(1ULL, (unsigned long long)knob(_metadata, "stall"));
	/* synchronous requests, one at a time... */
	run_verified(_metadata, &k[ALG_AES128], ALG_AES128, &self->p, 2, 0);
	/* ...and many in flight */
	ASSERT_EQ(0, aio_batch_init(&b, 10));
	fill_batch(_metadata, &b, k, &self->p);
	ASSERT_EQ(0, aio_batch_run(&b, 60));
	expect_batch_ok(_metadata, &b, "AIO while stalled");
	get_stats(_metadata, self, &mid);
	EXPECT_LT(before.timeouts, mid.timeouts)
		TH_LOG("timeouts %llu -> %llu", (unsigned long long)before.timeouts,
		       (unsigned long long)mid.timeouts);
	EXPECT_LT(before.resets, mid.resets)
		TH_LOG("resets %llu -> %llu", (unsigned long long)before.resets,
		       (unsigned long long)mid.resets);

	/* recovery */
	set_knob(_metadata, "stall", 0);
	dev_jobs = knob(_metadata, "jobs");
	run_verified(_metadata, &k[ALG_SM4], ALG_SM4, &self->p, 4, 0);
	fill_batch(_metadata, &b, k, &self->p);
	ASSERT_EQ(0, aio_batch_run(&b, 60));
	expect_batch_ok(_metadata, &b, "AIO after stall");
	get_stats(_metadata, self, &after);
	EXPECT_LT(mid.jobs, after.jobs)
		TH_LOG("device jobs %llu -> %llu after stall=0",
		       (unsigned long long)mid.jobs, (unsigned long long)after.jobs);
	EXPECT_LT(dev_jobs, knob(_metadata, "jobs"));
	ASSERT_EQ(0, gmrk_get_info(self->fd, &info));
	EXPECT_TRUE((info.flags & GMRK_INFO_F_ONLINE) != 0);
	EXPECT_TRUE((info.flags & GMRK_INFO_F_FATAL) == 0);
	aio_batch_free(&b);
	for (int a = 0; a < NUM_AEAD_ALGS; a++)
		alg_aead_close(&k[a].a);
}

/* Synchronous requests from threads (AF_ALG sets MAY_BACKLOG on these). */
struct sync_thread {
	pthread_t th;
	struct keyed *k;
	uint64_t seed;
	int n;
	unsigned long ok, bad;
	char problem[256];
};

static void *sync_main(void *arg)
{
	struct sync_thread *t = arg;
	struct prng p;

	prng_init(&p, t->seed);
	for (int i = 0; i < t->n; i++) {
		int a = (int)prng_below(&p, NUM_AEAD_ALGS);
		struct aead_case c;
		struct aead_op op;
		char msg[256];
		ssize_t r;
		struct alg_aead s;

		/* own op socket on the shared transform */
		s = t->k[a].a;
		s.op = -1;
		if (aead_case_make(&c, &aead_algs[a], t->k[a].key, s.authsize,
				   &p, 64, 4096, i % 2, false)) {
			t->bad++;
			continue;
		}
		aead_case_op(&c, &op, ALG_IO_PLAIN, 0);
		r = alg_aead_run(&s, &op);
		if (aead_case_check(&c, r, msg, sizeof(msg)) == CASE_OK) {
			t->ok++;
		} else {
			if (!t->problem[0])
				memcpy(t->problem, msg, sizeof(msg));
			t->bad++;
		}
		if (s.op >= 0)
			close(s.op);
		aead_case_free(&c);
	}
	return NULL;
}

enum release {
	RELEASE_KNOB,		/* write the knob back to 0 */
	RELEASE_DELETE,		/* delete the device under test */
};

struct hold_plan {
	const char *knob;	/* "queue_full" or "stall" */
	enum release how;
	int aio;		/* AIO requests (never backlogged) */
	int threads;		/* threads of synchronous (MAY_BACKLOG) requests */
	int per_thread;
	/*
	 * Hold until the driver has sent a request to software, not merely
	 * backlogged one: a test of the overflow path must not release the
	 * device before any request overflowed.
	 */
	bool until_fallback;
};

/*
 * Hold the device with knob until at least one ring is full and further
 * requests had to go elsewhere (software or the backlog), then release
 * it; every request must end with the right result, none lost. Returns
 * the stats from before, and (RELEASE_KNOB) after.
 */
static void hold_and_release(struct __test_metadata *_metadata,
			     FIXTURE_DATA(faults) *self,
			     const struct hold_plan *plan,
			     struct gmrk_stats *before, struct gmrk_stats *after)
{
	struct keyed k[NUM_AEAD_ALGS];
	struct sync_thread st[16];
	struct aio_batch_thread bt;
	struct gmrk_stats now;
	struct aio_batch b;
	bool full = false;

	ASSERT_GE(16, plan->threads);
	for (int a = 0; a < NUM_AEAD_ALGS; a++)
		keyed_open(_metadata, &k[a], a, &self->p);
	/* far beyond the time this takes: no job times out meanwhile */
	ASSERT_EQ(0, modparam_write("job_timeout_ms", 30000));
	if (plan->aio) {
		ASSERT_EQ(0, aio_batch_init(&b, plan->aio));
		fill_batch(_metadata, &b, k, &self->p);
	}

	get_stats(_metadata, self, before);
	set_knob(_metadata, plan->knob, 1);
	if (plan->aio) {
		ASSERT_EQ(0, aio_batch_start(&bt, &b, 60));
	}
	memset(st, 0, sizeof(st));
	for (int i = 0; i < plan->threads; i++) {
		st[i].k = k;
		st[i].seed = prng_u64(&self->p);
		st[i].n = plan->per_thread;
		ASSERT_EQ(0, pthread_create(&st[i].th, NULL, sync_main, &st[i]));
	}

	/* a condition, not a time: poll until it holds (bounded) */
	for (int i = 0; i < 300 && !full; i++) {
		uint32_t inflight = 0;

		get_stats(_metadata, self, &now);
		for (uint32_t q = 0; q < now.num_queues; q++)
			inflight += now.queue[q].inflight;
		/* at least one ring full (queue choice is the driver's) */
		full = inflight >= FAULT_DEPTH &&
		       (now.fallbacks > before->fallbacks ||
			(!plan->until_fallback &&
			 stats_queue_busy(&now) > stats_queue_busy(before)));
		if (!full)
			usleep(50000);
	}
	EXPECT_TRUE(full) TH_LOG("rings never filled while %s=1", plan->knob);

	if (plan->how == RELEASE_KNOB) {
		set_knob(_metadata, plan->knob, 0);
	} else {
		struct gmrk_info info;

		/* device 0 first, so the algorithms keep a device */
		ASSERT_EQ(0, sim_new_device(0, 4, 0));
		ASSERT_EQ(0, sim_del_device(FAULT_ID));
		/* an fd still open answers -ENODEV (Documentation/gmrk/driver.rst) */
		EXPECT_EQ(-ENODEV, gmrk_get_info(self->fd, &info));
		EXPECT_EQ(-ENODEV, gmrk_get_stats(self->fd, &now));
	}

	if (plan->aio) {
		ASSERT_EQ(0, aio_batch_join(&bt));
		expect_batch_ok(_metadata, &b, plan->knob);
		aio_batch_free(&b);
	}
	for (int i = 0; i < plan->threads; i++) {
		pthread_join(st[i].th, NULL);
		EXPECT_EQ(0UL, st[i].bad) TH_LOG("thread %d: %s", i, st[i].problem);
		EXPECT_EQ((unsigned long)plan->per_thread, st[i].ok);
	}
	if (plan->how == RELEASE_KNOB) {
		get_stats(_metadata, self, after);
		for (uint32_t q = 0; q < after->num_queues; q++) {
			EXPECT_EQ(0U, after->queue[q].inflight) TH_LOG("queue %u", q);
		}
	}
	for (int a = 0; a < NUM_AEAD_ALGS; a++)
		alg_aead_close(&k[a].a);
}

/*
 * queue_full: the device fetches nothing, rings fill. Requests that may
 * be backlogged wait and complete later, the others go to software; no
 * request is lost.
 */
TEST_F_TIMEOUT(faults, queue_full_nothing_lost, 120)
{
	const struct hold_plan plan = {
		.knob = "queue_full", .how = RELEASE_KNOB,
		.aio = 4 * FAULT_QUEUES * FAULT_DEPTH, .threads = 4, .per_thread = 3,
	};
	struct gmrk_stats before, after;

	SKIP_IF_PCI();
	hold_and_release(_metadata, self, &plan, &before, &after);
	EXPECT_LT(before.fallbacks, after.fallbacks)
		TH_LOG("no request went to software while the rings were full");
	EXPECT_LT(stats_queue_busy(&before), stats_queue_busy(&after))
		TH_LOG("no busy submission counted while the rings were full");
}

/*
 * With the backlog capped at one request, backloggable requests beyond it
 * are computed in software at once (driver.rst, "Backlog"). Only
 * synchronous requests here, so any fallback is that overflow.
 */
TEST_F_TIMEOUT(faults, backlog_overflow_to_software, 120)
{
	const struct hold_plan plan = {
		.knob = "queue_full", .how = RELEASE_KNOB,
		.threads = 16, .per_thread = 2, .until_fallback = true,
	};
	struct gmrk_stats before, after;
	uint64_t saved;

	SKIP_IF_PCI();
	ASSERT_EQ(0, modparam_read("max_backlog", &saved));
	ASSERT_EQ(0, modparam_write("max_backlog", 1));
	hold_and_release(_metadata, self, &plan, &before, &after);
	EXPECT_EQ(0, modparam_write("max_backlog", saved));
	EXPECT_LT(before.fallbacks, after.fallbacks)
		TH_LOG("backlog overflow did not go to software");
}

/* Requests held by a full device when it is deleted are redone in software. */
TEST_F_TIMEOUT(faults, queue_full_then_device_deleted, 120)
{
	const struct hold_plan plan = {
		.knob = "queue_full", .how = RELEASE_DELETE,
		.aio = 3 * FAULT_QUEUES * FAULT_DEPTH, .threads = 6, .per_thread = 2,
	};
	struct gmrk_stats before, after;

	SKIP_IF_PCI();
	hold_and_release(_metadata, self, &plan, &before, &after);
}

/*
 * Jobs the device fetched but never completes when it is deleted: removal
 * waits for them a bounded time, then redoes them in software.
 */
TEST_F_TIMEOUT(faults, stall_then_device_deleted, 120)
{
	const struct hold_plan plan = {
		.knob = "stall", .how = RELEASE_DELETE,
		.aio = 3 * FAULT_QUEUES * FAULT_DEPTH, .threads = 4, .per_thread = 2,
	};
	struct gmrk_stats before, after;

	SKIP_IF_PCI();
	hold_and_release(_metadata, self, &plan, &before, &after);
}

/*
 * The device is deleted while the driver is timing out its stalled jobs
 * and resetting it: everything still ends right.
 */
TEST_F_TIMEOUT(faults, delete_during_timeout_recovery, 120)
{
	struct keyed k[NUM_AEAD_ALGS];
	struct sync_thread st[4];
	struct gmrk_stats before, now;
	struct aio_batch_thread bt;
	struct aio_batch b;
	bool timed_out = false;

	SKIP_IF_PCI();
	for (int a = 0; a < NUM_AEAD_ALGS; a++)
		keyed_open(_metadata, &k[a], a, &self->p);
	ASSERT_EQ(0, aio_batch_init(&b, 3 * FAULT_QUEUES * FAULT_DEPTH));
	fill_batch(_metadata, &b, k, &self->p);
	ASSERT_EQ(0, modparam_write("job_timeout_ms", 200));
	get_stats(_metadata, self, &before);
	set_knob(_metadata, "stall", 1);
	ASSERT_EQ(0, aio_batch_start(&bt, &b, 60));
	memset(st, 0, sizeof(st));
	for (int i = 0; i < 4; i++) {
		st[i].k = k;
		st[i].seed = prng_u64(&self->p);
		st[i].n = 4;
		ASSERT_EQ(0, pthread_create(&st[i].th, NULL, sync_main, &st[i]));
	}
	for (int i = 0; i < 300 && !timed_out; i++) {
		get_stats(_metadata, self, &now);
		timed_out = now.timeouts > before.timeouts;
		if (!timed_out)
			usleep(10000);
	}
	EXPECT_TRUE(timed_out) TH_LOG("no job timed out while stalled");
	ASSERT_EQ(0, sim_new_device(0, 4, 0));
	ASSERT_EQ(0, sim_del_device(FAULT_ID));

	ASSERT_EQ(0, aio_batch_join(&bt));
	expect_batch_ok(_metadata, &b, "AIO across timeout and removal");
	for (int i = 0; i < 4; i++) {
		pthread_join(st[i].th, NULL);
		EXPECT_EQ(0UL, st[i].bad) TH_LOG("thread %d: %s", i, st[i].problem);
		EXPECT_EQ(4UL, st[i].ok);
	}
	aio_batch_free(&b);
	for (int a = 0; a < NUM_AEAD_ALGS; a++)
		alg_aead_close(&k[a].a);
}

/* sw_threshold: requests below it never reach the device. */
TEST_F(faults, sw_threshold_routes_small_requests)
{
	struct gmrk_stats before, mid, after;
	struct aead_case c;
	struct aead_op op;
	struct keyed k;
	uint64_t jobs;
	char msg[256];
	ssize_t r;

	SKIP_IF_PCI();
	keyed_open(_metadata, &k, ALG_AES128, &self->p);
	ASSERT_EQ(0, modparam_write("sw_threshold", 1024));

	jobs = knob(_metadata, "jobs");
	get_stats(_metadata, self, &before);
	ASSERT_EQ(0, aead_case_make_sized(&c, &aead_algs[ALG_AES128], k.key,
					  16, &self->p, 23, 1000, true, false));
	aead_case_op(&c, &op, ALG_IO_PLAIN, 0);
	r = alg_aead_run(&k.a, &op);
	EXPECT_EQ((int)CASE_OK, (int)aead_case_check(&c, r, msg, sizeof(msg)))
		TH_LOG("%s", msg);
	aead_case_free(&c);
	get_stats(_metadata, self, &mid);
	EXPECT_EQ(jobs, knob(_metadata, "jobs")) TH_LOG("1023 bytes reached the device");
	EXPECT_EQ(before.jobs, mid.jobs);
	EXPECT_EQ(before.fallbacks + 1, mid.fallbacks);

	ASSERT_EQ(0, aead_case_make_sized(&c, &aead_algs[ALG_AES128], k.key,
					  16, &self->p, 24, 1000, true, false));
	aead_case_op(&c, &op, ALG_IO_PLAIN, 0);
	r = alg_aead_run(&k.a, &op);
	EXPECT_EQ((int)CASE_OK, (int)aead_case_check(&c, r, msg, sizeof(msg)))
		TH_LOG("%s", msg);
	aead_case_free(&c);
	get_stats(_metadata, self, &after);
	EXPECT_EQ(jobs + 1, knob(_metadata, "jobs")) TH_LOG("1024 bytes did not reach the device");
	EXPECT_EQ(mid.jobs + 1, after.jobs);
	EXPECT_EQ(mid.fallbacks, after.fallbacks);
	alg_aead_close(&k.a);
}

/* jobs and bytes (AAD + data, tag excluded) per request, in total and per queue. */
TEST_F(faults, stats_accounting)
{
	static const struct { size_t aad, pt; bool enc; } reqs[] = {
		{ 40, 1000, true }, { 40, 1000, false }, { 0, 0, true },
		{ 0, 0, false }, { 1024, 4096, true }, { 7, 65536, false },
	};
	struct gmrk_stats before, after;
	uint64_t qjobs = 0, qbytes = 0, bytes = 0;
	struct keyed k;

	SKIP_IF_PCI();
	keyed_open(_metadata, &k, ALG_CHACHAPOLY, &self->p);
	get_stats(_metadata, self, &before);
	for (uint32_t q = 0; q < before.num_queues; q++) {
		qjobs -= before.queue[q].jobs;
		qbytes -= before.queue[q].bytes;
	}
	for (size_t i = 0; i < ARRAY_SIZE(reqs); i++) {
		struct aead_case c;
		struct aead_op op;
		char msg[256];
		ssize_t r;

		ASSERT_EQ(0, aead_case_make_sized(&c, &aead_algs[ALG_CHACHAPOLY],
						  k.key, 16, &self->p, reqs[i].aad,
						  reqs[i].pt, reqs[i].enc, false));
		aead_case_op(&c, &op, ALG_IO_PLAIN, 0);
		r = alg_aead_run(&k.a, &op);
		EXPECT_EQ((int)CASE_OK, (int)aead_case_check(&c, r, msg, sizeof(msg)))
			TH_LOG("%s", msg);
		aead_case_free(&c);
		bytes += reqs[i].aad + reqs[i].pt;
	}
	get_stats(_metadata, self, &after);
	for (uint32_t q = 0; q < after.num_queues; q++) {
		qjobs += after.queue[q].jobs;
		qbytes += after.queue[q].bytes;
	}
	EXPECT_EQ(before.jobs + 6, after.jobs);
	EXPECT_EQ(before.bytes + bytes, after.bytes)
		TH_LOG("bytes rose by %llu for %llu bytes of AAD and data",
		       (unsigned long long)(after.bytes - before.bytes),
		       (unsigned long long)bytes);
	EXPECT_EQ(6ULL, (unsigned long long)qjobs);
	EXPECT_EQ(bytes, qbytes);
	EXPECT_EQ(before.fallbacks, after.fallbacks);
	EXPECT_EQ(before.errors, after.errors);
	alg_aead_close(&k.a);
}

/* Failed jobs of asynchronous requests, and of forged decrypts. */
TEST_F_TIMEOUT(faults, fail_next_aio_and_forged, 120)
{
	struct keyed k[NUM_AEAD_ALGS];
	struct gmrk_stats before, after;
	struct aio_batch b;

	SKIP_IF_PCI();
	for (int a = 0; a < NUM_AEAD_ALGS; a++)
		keyed_open(_metadata, &k[a], a, &self->p);
	ASSERT_EQ(0, aio_batch_init(&b, 12));
	fill_batch(_metadata, &b, k, &self->p);
	get_stats(_metadata, self, &before);
	set_knob(_metadata, "fail_next", 12);
	ASSERT_EQ(0, aio_batch_run(&b, 60));
	expect_batch_ok(_metadata, &b, "AIO with fail_next");
	set_knob(_metadata, "fail_next", 0);
	get_stats(_metadata, self, &after);
	EXPECT_LE(before.fallbacks + 1, after.fallbacks);

	/* a forged decrypt whose job fails is still refused after the redo */
	for (int a = 0; a < NUM_AEAD_ALGS; a++) {
		struct aead_case c;
		struct aead_op op;
		char msg[256];
		ssize_t r;

		ASSERT_EQ(0, aead_case_make_sized(&c, &aead_algs[a], k[a].key,
						  k[a].a.authsize, &self->p, 16,
						  300, false, true));
		set_knob(_metadata, "fail_next", 1);
		aead_case_op(&c, &op, ALG_IO_PLAIN, 0);
		r = alg_aead_run(&k[a].a, &op);
		EXPECT_EQ((int)CASE_OK, (int)aead_case_check(&c, r, msg, sizeof(msg)))
			TH_LOG("%s", msg);
		EXPECT_EQ(0ULL, (unsigned long long)knob(_metadata, "fail_next"));
		aead_case_free(&c);
	}
	aio_batch_free(&b);
	for (int a = 0; a < NUM_AEAD_ALGS; a++)
		alg_aead_close(&k[a].a);
}

/*
 * Far more requests than ring entries (2 queues of 4): the free-running
 * ring indices wrap many times, alone and with bursts in flight.
 */
TEST_F_TIMEOUT(faults, tiny_rings_wrap_around, 120)
{
	struct keyed k[NUM_AEAD_ALGS];
	struct gmrk_stats before, after;
	struct aio_batch b;

	SKIP_IF_PCI();
	for (int a = 0; a < NUM_AEAD_ALGS; a++)
		keyed_open(_metadata, &k[a], a, &self->p);
	get_stats(_metadata, self, &before);
	run_verified(_metadata, &k[ALG_AES192], ALG_AES192, &self->p, 40, 0);
	ASSERT_EQ(0, aio_batch_init(&b, 5 * FAULT_QUEUES * FAULT_DEPTH));
	for (int r = 0; r < 5; r++) {
		fill_batch(_metadata, &b, k, &self->p);
		ASSERT_EQ(0, aio_batch_run(&b, 60));
		expect_batch_ok(_metadata, &b, "burst");
	}
	get_stats(_metadata, self, &after);
	/* most of them went through the rings (the rest overflowed to software) */
	EXPECT_LE(before.jobs + 40 + 5 * FAULT_QUEUES * FAULT_DEPTH,
		  after.jobs + (after.fallbacks - before.fallbacks));
	EXPECT_EQ(before.errors, after.errors);
	aio_batch_free(&b);
	for (int a = 0; a < NUM_AEAD_ALGS; a++)
		alg_aead_close(&k[a].a);
}

/* latency_us delays every job; results stay right (no timing asserted). */
TEST_F(faults, latency)
{
	struct keyed k;

	SKIP_IF_PCI();
	keyed_open(_metadata, &k, ALG_CHACHAPOLY, &self->p);
	set_knob(_metadata, "latency_us", 20000);
	EXPECT_EQ(20000ULL, (unsigned long long)knob(_metadata, "latency_us"));
	run_verified(_metadata, &k, ALG_CHACHAPOLY, &self->p, 4, 0);
	set_knob(_metadata, "latency_us", 0);
	alg_aead_close(&k.a);
}

TEST_F(faults, knobs_reject_garbage)
{
	static const char *const numeric[] = { "fail_next", "corrupt_next",
					       "latency_us" };
	static const char *const boolean[] = { "stall", "queue_full" };

	SKIP_IF_PCI();
	for (size_t i = 0; i < 3; i++) {
		EXPECT_EQ(-EINVAL, sim_knob_write_str(FAULT_ID, numeric[i], "abc"))
			TH_LOG("%s", numeric[i]);
		EXPECT_EQ(0ULL, (unsigned long long)knob(_metadata, numeric[i]));
	}
	for (size_t i = 0; i < 2; i++) {
		EXPECT_EQ(-EINVAL, sim_knob_write_str(FAULT_ID, boolean[i], "maybe"))
			TH_LOG("%s", boolean[i]);
		EXPECT_EQ(0ULL, (unsigned long long)knob(_metadata, boolean[i]));
	}
	/* read-only counters */
	EXPECT_NE(0, sim_knob_write(FAULT_ID, "jobs", 0));
	EXPECT_NE(0, sim_knob_write(FAULT_ID, "errors", 0));
}

/* Parse "key value" lines of a debugfs text file into v (by key). */
static int text_value(const char *text, const char *key, uint64_t *v)
{
	size_t klen = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!strncmp(l, key, klen) && l[klen] == ' ') {
			*v = strtoull(l + klen + 1, NULL, 0);
			return 0;
		}
	}
	return -ENOENT;
}

/* The core debugfs files agree with the ioctls (no traffic in between). */
TEST_F(faults, debugfs_matches_ioctls)
{
	static const char *const keys[] = { "jobs", "bytes", "errors", "fallbacks",
					    "timeouts", "resets", "auth_failures" };
	struct gmrk_stats st;
	struct gmrk_info info;
	struct keyed k;
	char path[128], text[4096];
	uint64_t v, vals[7];

	SKIP_IF_PCI();
	keyed_open(_metadata, &k, ALG_AES256, &self->p);
	run_verified(_metadata, &k, ALG_AES256, &self->p, 3, 0);
	alg_aead_close(&k.a);

	get_stats(_metadata, self, &st);
	vals[0] = st.jobs;
	vals[1] = st.bytes;
	vals[2] = st.errors;
	vals[3] = st.fallbacks;
	vals[4] = st.timeouts;
	vals[5] = st.resets;
	vals[6] = st.auth_failures;
	snprintf(path, sizeof(path), CORE_DEBUGFS "/%s/stats", self->node);
	ASSERT_LT(0, file_read_str(path, text, sizeof(text))) TH_LOG("%s", path);
	for (int i = 0; i < 7; i++) {
		EXPECT_EQ(0, text_value(text, keys[i], &v)) TH_LOG("%s: no %s", path, keys[i]);
		EXPECT_EQ(vals[i], v) TH_LOG("%s: %s", path, keys[i]);
	}
	EXPECT_LT(0ULL, (unsigned long long)st.jobs);
	EXPECT_EQ((uint32_t)FAULT_QUEUES, st.num_queues);

	ASSERT_EQ(0, gmrk_get_info(self->fd, &info));
	snprintf(path, sizeof(path), CORE_DEBUGFS "/%s/info", self->node);
	ASSERT_LT(0, file_read_str(path, text, sizeof(text))) TH_LOG("%s", path);
	EXPECT_EQ(0, text_value(text, "queues", &v));
	EXPECT_EQ((uint64_t)info.num_queues, v);
	EXPECT_EQ(0, text_value(text, "depth", &v));
	EXPECT_EQ((uint64_t)info.queue_depth, v);
	EXPECT_EQ(0, text_value(text, "max_data", &v));
	EXPECT_EQ((uint64_t)info.max_data, v);
	EXPECT_NE(NULL, strstr(text, "bus_id sim42"));
	EXPECT_NE(NULL, strstr(text, "state online"));
	EXPECT_STREQ("sim42", info.bus_id);
	EXPECT_EQ((uint32_t)FAULT_DEPTH, info.queue_depth);
}

/* The device's own job counter counts every request it served. */
TEST_F(faults, device_counts_jobs)
{
	struct gmrk_stats before, after;
	uint64_t jobs, errors;
	struct keyed k;

	SKIP_IF_PCI();
	jobs = knob(_metadata, "jobs");
	errors = knob(_metadata, "errors");
	get_stats(_metadata, self, &before);
	keyed_open(_metadata, &k, ALG_SM4, &self->p);
	run_verified(_metadata, &k, ALG_SM4, &self->p, 6, 0);
	alg_aead_close(&k.a);
	get_stats(_metadata, self, &after);
	EXPECT_LE(jobs + 6, knob(_metadata, "jobs"));
	EXPECT_EQ(errors, knob(_metadata, "errors"));
	EXPECT_LE(before.jobs + 6, after.jobs);
	EXPECT_EQ(before.errors, after.errors);
	EXPECT_EQ(before.fallbacks, after.fallbacks);
}

TEST_HARNESS_MAIN

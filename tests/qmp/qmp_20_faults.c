// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Device faults injected into the QEMU gm-rk card over QMP while gmrk.ko
 * drives it: jobs failing with a device error, a card that stalls, a card
 * that goes FATAL, a card whose rings stay full, and a silently corrupted
 * output. After each the driver must have reset the card where needed and
 * keep serving, and no caller may ever see a wrong result except the one
 * the corruption knob forces, which the AEAD tag then rejects.
 *
 * VM: --mode pci with -device gmrk,id=card0 and "tests/qmp/qmp.py hook" as
 * --host-hook. Each test asks the hook for a knob, then does requests
 * until the driver's statistics show the effect (bounded waits; no timing
 * decides a result).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "load_worker.h"
#include "qmp_common.h"
#include "ref_aead.h"

#define CARD_ID		"card0"
#define WAIT_MS		120000u		/* TCG, and driver timeouts inside */
#define TIMEOUT_MS	1000		/* job_timeout_ms during the tests */
#define BG_WORKERS	2
/*
 * A reset after a fault is worth a warning line from the driver; errors
 * and worse are not.
 */
#define KMSG_LEVEL	3

FIXTURE(faults) {
	char node[16];
	uint64_t old_timeout;
	struct gmrk_stats base;
	struct vclient v;
	atomic_bool stop;
	struct load_worker bg[BG_WORKERS];
	int nbg;
	int kmsg;
};

FIXTURE_SETUP(faults)
{
	self->kmsg = kmsg_open();
	if (gmrk_pci_node(self->node, sizeof(self->node))) {
		/* In the card's own VM (GMRK_TEST_MODE=pci) that is a failure. */
		ASSERT_FALSE(test_mode_is_pci()) TH_LOG("no gm-rk card bound to gmrk.ko");
		SKIP(return, "no gm-rk PCI card bound to gmrk.ko");
	}
	ASSERT_EQ(0, modparam_read("job_timeout_ms", &self->old_timeout));
	ASSERT_EQ(0, modparam_write("job_timeout_ms", TIMEOUT_MS));
	ASSERT_EQ(0, gmrk_stats_by_name(self->node, &self->base));
	vclient_init(&self->v, ALG_AES128, test_seed());
	atomic_init(&self->stop, false);
	self->nbg = 0;
}

FIXTURE_TEARDOWN(faults)
{
	atomic_store(&self->stop, true);
	for (int i = 0; i < self->nbg; i++)
		load_worker_join(&self->bg[i]);
	vclient_close(&self->v);
	if (self->old_timeout)
		modparam_write("job_timeout_ms", self->old_timeout);
}

/* Verified load from threads while a fault is on: it must never notice. */
static void start_background(FIXTURE_DATA(faults) *self, struct __test_metadata *_metadata)
{
	for (int i = 0; i < BG_WORKERS; i++) {
		struct load_worker *w = &self->bg[i];

		memset(w, 0, sizeof(*w));
		w->seed = test_seed() + 1000 + i;
		w->max_aad = 64;
		w->max_pt = 4096;
		w->stop = &self->stop;
		ASSERT_EQ(0, load_worker_start(w));
		self->nbg++;
	}
}

static void check_background(FIXTURE_DATA(faults) *self, struct __test_metadata *_metadata)
{
	atomic_store(&self->stop, true);
	for (int i = 0; i < self->nbg; i++) {
		struct load_worker *w = &self->bg[i];

		load_worker_join(w);
		EXPECT_EQ(0UL, w->wrong) TH_LOG("worker %d: %s", i, w->problem);
		EXPECT_EQ(0UL, w->errors) TH_LOG("worker %d: %s", i, w->problem);
		EXPECT_LT(0UL, w->ok);
	}
	self->nbg = 0;
}

static struct gmrk_stats stats_now(FIXTURE_DATA(faults) *self)
{
	struct gmrk_stats st;

	if (gmrk_stats_by_name(self->node, &st))
		memset(&st, 0, sizeof(st));
	return st;
}

/* Do verified requests until cond(stats) holds or WAIT_MS passes. */
#define RUN_UNTIL(cond) ({							\
	uint64_t t0_ = now_ms();						\
	struct gmrk_stats st;							\
	bool met_ = false;							\
	while (now_ms() - t0_ < WAIT_MS) {					\
		st = stats_now(self);						\
		if (cond) {							\
			met_ = true;						\
			break;							\
		}								\
		vclient_run(&self->v, 2048);					\
	}									\
	met_;									\
})

/* After a fault: the card does jobs again. */
#define EXPECT_SERVING() do {							\
	uint64_t jobs0_ = stats_now(self).jobs;					\
	EXPECT_TRUE(RUN_UNTIL(st.jobs >= jobs0_ + 20))				\
		TH_LOG("the card does not serve again");			\
} while (0)

#define EXPECT_CLIENT_CLEAN() do {						\
	EXPECT_EQ(0UL, self->v.wrong) TH_LOG("%s", self->v.problem);		\
	EXPECT_EQ(0UL, self->v.errors) TH_LOG("%s", self->v.problem);		\
} while (0)

TEST_F_TIMEOUT(faults, device_errors_redone_in_software, 300)
{
	start_background(self, _metadata);
	hook("qom-set " CARD_ID " fail-next 5");
	ASSERT_TRUE(RUN_UNTIL(st.errors >= self->base.errors + 5))
		TH_LOG("the driver never saw the injected device errors");
	EXPECT_LE(self->base.fallbacks + 5, stats_now(self).fallbacks);
	EXPECT_SERVING();
	check_background(self, _metadata);
	EXPECT_CLIENT_CLEAN();
	EXPECT_EQ(0, kmsg_complaints(self->kmsg, KMSG_LEVEL));
}

TEST_F_TIMEOUT(faults, stall_times_out_resets_and_recovers, 300)
{
	struct gmrk_stats mid;

	start_background(self, _metadata);
	hook("qom-set " CARD_ID " stall true");
	ASSERT_TRUE(RUN_UNTIL(st.timeouts > self->base.timeouts &&
			      st.resets > self->base.resets))
		TH_LOG("no timeout and reset while the card stalled");
	hook("qom-set " CARD_ID " stall false");
	EXPECT_SERVING();
	mid = stats_now(self);
	/* Served by the card again, not by timeouts. */
	vclient_run(&self->v, 512);
	EXPECT_EQ(mid.timeouts, stats_now(self).timeouts);
	check_background(self, _metadata);
	EXPECT_CLIENT_CLEAN();
	EXPECT_EQ(0, kmsg_complaints(self->kmsg, KMSG_LEVEL));
}

TEST_F_TIMEOUT(faults, fatal_card_is_reset, 300)
{
	start_background(self, _metadata);
	hook("qom-set " CARD_ID " fatal true");
	ASSERT_TRUE(RUN_UNTIL(st.resets > self->base.resets))
		TH_LOG("the driver never reset the FATAL card");
	EXPECT_SERVING();
	check_background(self, _metadata);
	EXPECT_CLIENT_CLEAN();
	EXPECT_EQ(0, kmsg_complaints(self->kmsg, KMSG_LEVEL));
}

TEST_F_TIMEOUT(faults, full_rings_lose_nothing, 300)
{
	uint64_t t0;

	start_background(self, _metadata);
	hook("qom-set " CARD_ID " queue-full true");
	/* Requests keep completing (in software) while nothing is fetched. */
	t0 = now_ms();
	while (now_ms() - t0 < 5000)
		vclient_run(&self->v, 1024);
	hook("qom-set " CARD_ID " queue-full false");
	EXPECT_SERVING();
	check_background(self, _metadata);
	EXPECT_CLIENT_CLEAN();
	EXPECT_LT(0UL, self->v.ok);
	EXPECT_EQ(0, kmsg_complaints(self->kmsg, KMSG_LEVEL));
}

/*
 * A card that flips an output byte is undetectable by the driver; the tag
 * is what catches it. Encrypt only, no other load, so the one corrupted
 * job is ours.
 */
TEST_F_TIMEOUT(faults, corrupted_output_fails_to_open, 300)
{
	const struct aead_alg *alg = &aead_algs[ALG_AES256];
	struct alg_aead s;
	uint8_t key[32];
	struct prng p;
	unsigned long wrong = 0, after = 0;
	uint64_t t0 = now_ms();

	prng_init(&p, test_seed());
	prng_fill(&p, key, alg->keylen);
	ASSERT_EQ(0, alg_aead_open(&s, aead_driver_name(alg)));
	ASSERT_EQ(0, alg_aead_setkey(&s, key, alg->keylen));
	hook("qom-set " CARD_ID " corrupt-next 1");
	while (now_ms() - t0 < WAIT_MS && after < 20) {
		struct aead_case c;
		struct aead_op op;
		char msg[256];
		ssize_t n;

		ASSERT_EQ(0, aead_case_make(&c, alg, key, 16, &p, 32, 1024, true, false));
		aead_case_op(&c, &op, ALG_IO_PLAIN, 0);
		n = alg_aead_run(&s, &op);
		if (aead_case_check(&c, n, msg, sizeof(msg)) == CASE_WRONG) {
			size_t ptlen = c.inlen - c.assoclen;
			uint8_t *pt = malloc(ptlen + 1);

			wrong++;
			/* The corrupted ciphertext does not open. */
			ASSERT_NE(NULL, pt);
			EXPECT_EQ(-EBADMSG,
				  ref_aead_open(alg->ref, key, alg->keylen, c.iv,
						c.out, c.assoclen, c.out + c.assoclen,
						ptlen, c.out + c.assoclen + ptlen,
						16, pt));
			free(pt);
		} else if (wrong) {
			after++;
		}
		ASSERT_LT(0, n) TH_LOG("%s", msg);
		aead_case_free(&c);
	}
	alg_aead_close(&s);
	EXPECT_EQ(1UL, wrong) TH_LOG("exactly the one corrupted job");
	EXPECT_EQ(20UL, after);
	EXPECT_EQ(0, kmsg_complaints(self->kmsg, KMSG_LEVEL));
}

TEST_HARNESS_MAIN

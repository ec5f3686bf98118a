// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Two gm-rk cards at once, the second without MSI-X (its interrupts come
 * over the shared INTx line): both bound, each its own /dev/gmrkN, and a
 * verified multi-threaded load spread over both (each card's own job
 * counter, GMRK_IOC_STATS, rises; the host checks the cards' QOM "jobs"
 * counters too). Then one card is pushed into a device-error fault and the
 * load must stay correct.
 *
 * VM: --mode pci with -device gmrk,id=card0 -device gmrk,id=card1,msix=off and
 * "tests/qmp/qmp.py hook" as --host-hook.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"

#include "load_worker.h"
#include "qmp_common.h"

#define WORKERS		4
#define OPS		60	/* per worker */

FIXTURE(two) {
	char names[4][16];
	int n;
};

FIXTURE_SETUP(two)
{
	self->n = gmrk_list_nodes(self->names, 4);
	if (self->n < 2) {
		ASSERT_FALSE(test_mode_is_pci()) TH_LOG("%d gmrk device(s) bound, want 2", self->n);
		SKIP(return, "%d gmrk device(s), need two cards", self->n);
	}
}

FIXTURE_TEARDOWN(two)
{
}

static void run_load(struct __test_metadata *_metadata, uint64_t seed)
{
	static struct load_worker w[WORKERS];

	for (int i = 0; i < WORKERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].seed = seed + i;
		w[i].max_aad = 64;
		w[i].max_pt = 8192;
		w[i].max_ops = OPS;
		ASSERT_EQ(0, load_worker_start(&w[i]));
	}
	for (int i = 0; i < WORKERS; i++) {
		load_worker_join(&w[i]);
		EXPECT_EQ(0UL, w[i].wrong) TH_LOG("worker %d: %s", i, w[i].problem);
		EXPECT_EQ(0UL, w[i].errors) TH_LOG("worker %d: %s", i, w[i].problem);
		EXPECT_EQ((unsigned long)OPS, w[i].ok);
	}
}

TEST_F(two, both_cards_bound)
{
	struct gmrk_info a, b;
	int fa, fb;

	ASSERT_EQ(2, self->n);
	fa = gmrk_node_open(self->names[0]);
	fb = gmrk_node_open(self->names[1]);
	ASSERT_LE(0, fa);
	ASSERT_LE(0, fb);
	ASSERT_EQ(0, gmrk_get_info(fa, &a));
	ASSERT_EQ(0, gmrk_get_info(fb, &b));
	EXPECT_EQ((uint32_t)GMRK_KIND_PCI, a.kind);
	EXPECT_EQ((uint32_t)GMRK_KIND_PCI, b.kind);
	EXPECT_NE(0, strcmp(a.bus_id, b.bus_id));
	EXPECT_NE(0, strcmp(a.name, b.name));
	printf("# %s on %s, %s on %s\n", a.name, a.bus_id, b.name, b.bus_id);
	close(fa);
	close(fb);
}

TEST_F_TIMEOUT(two, load_spreads_over_both, 300)
{
	struct gmrk_stats before[2], after[2];

	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, gmrk_stats_by_name(self->names[i], &before[i]));
	run_load(_metadata, test_seed());
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, gmrk_stats_by_name(self->names[i], &after[i]));
		printf("# %s: %llu jobs\n", self->names[i],
		       (unsigned long long)(after[i].jobs - before[i].jobs));
		EXPECT_LT(before[i].jobs, after[i].jobs)
			TH_LOG("%s did no jobs", self->names[i]);
		EXPECT_EQ(before[i].errors, after[i].errors);
	}
	/* What the cards themselves counted, seen from the host. */
	hook("expect card0 jobs > 0");
	hook("expect card1 jobs > 0");
}

TEST_F_TIMEOUT(two, one_card_failing_load_stays_correct, 300)
{
	hook("qom-set card1 fail-next 20");
	run_load(_metadata, test_seed() + 100);
}

TEST_HARNESS_MAIN

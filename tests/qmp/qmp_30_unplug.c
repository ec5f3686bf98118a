// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hot-unplug of the gm-rk card under load: threads hammer gcm-aes-gmrk
 * through AF_ALG with verified requests, the guest asks the host to
 * device_del the card (QMP, through the hook), and the card goes while
 * requests are in flight. Every request must complete, with the right
 * result or an error, never a wrong result or a hang; the driver's
 * algorithms and /dev node go with the last device; the kernel log has
 * nothing worse than info.
 *
 * VM: --mode pci with the card behind a hot-pluggable PCIe root port
 * (-device pcie-root-port,id=rp0,... -device gmrk,id=card0,bus=rp0) and
 * "tests/qmp/qmp.py hook" as --host-hook.
 */
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"

#include "load_worker.h"
#include "qmp_common.h"

#define CARD_ID		"card0"
#define WORKERS		4
#define GONE_WAIT_MS	180000u	/* pciehp's 5 s button delay, TCG, drain */
#define LOAD_OPS	20	/* per worker, before the unplug */
#define AES_MASK	((1u << ALG_AES128) | (1u << ALG_AES192) | (1u << ALG_AES256))

/* Is any gm-rk card still on the PCI bus? */
static bool card_present(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		char path[300], v[16] = "", id[16] = "";

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		file_read_str(path, v, sizeof(v));
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", e->d_name);
		file_read_str(path, id, sizeof(id));
		found = !strcmp(v, "0x1b36") && !strcmp(id, "0x10f0");
	}
	closedir(d);
	return found;
}

/* Is cra_driver_name listed in /proc/crypto? */
static bool alg_registered(const char *driver)
{
	char line[256], want[160];
	bool found = false;
	FILE *f = fopen("/proc/crypto", "r");

	if (!f)
		return false;
	snprintf(want, sizeof(want), "driver       : %s\n", driver);
	while (!found && fgets(line, sizeof(line), f))
		found = !strcmp(line, want);
	fclose(f);
	return found;
}

static unsigned long total_progress(struct load_worker *w, int n)
{
	unsigned long sum = 0;

	for (int i = 0; i < n; i++)
		sum += atomic_load(&w[i].progress);
	return sum;
}

FIXTURE(unplug) {
	int unused;
};

FIXTURE_SETUP(unplug)
{
}

FIXTURE_TEARDOWN(unplug)
{
}

TEST_F_TIMEOUT(unplug, under_load, 400)
{
	static struct load_worker w[WORKERS];
	char names[4][16];
	atomic_bool stop;
	unsigned long ok = 0, errors = 0, wrong = 0, before;
	uint64_t t0;
	int kmsg = kmsg_open();

	if (!card_present()) {
		ASSERT_FALSE(test_mode_is_pci()) TH_LOG("no gm-rk card in the card's VM");
		SKIP(return, "no gm-rk card");
	}
	ASSERT_EQ(1, gmrk_list_nodes(names, 4)) TH_LOG("the card is not bound to gmrk.ko");
	ASSERT_TRUE(alg_registered("gcm-aes-gmrk"));

	atomic_init(&stop, false);
	for (int i = 0; i < WORKERS; i++) {
		w[i].alg_mask = AES_MASK;
		w[i].seed = test_seed() + i;
		w[i].max_aad = 64;
		w[i].max_pt = 16384;
		w[i].stop = &stop;
		ASSERT_EQ(0, load_worker_start(&w[i]));
	}
	/* Load is established: every worker has done some requests. */
	t0 = now_ms();
	while (total_progress(w, WORKERS) < WORKERS * LOAD_OPS && now_ms() - t0 < 60000)
		sleep_ms(10);
	ASSERT_LE((unsigned long)WORKERS * LOAD_OPS, total_progress(w, WORKERS));

	hook("unplug " CARD_ID);
	t0 = now_ms();
	while (card_present() && now_ms() - t0 < GONE_WAIT_MS)
		sleep_ms(50);
	EXPECT_FALSE(card_present()) TH_LOG("the card did not go away");

	/* Keep the load on a little past the removal, then stop. */
	before = total_progress(w, WORKERS);
	t0 = now_ms();
	while (total_progress(w, WORKERS) < before + WORKERS * 5 && now_ms() - t0 < 30000)
		sleep_ms(10);
	atomic_store(&stop, true);
	for (int i = 0; i < WORKERS; i++) {
		/* Returns only once every request of the worker completed. */
		load_worker_join(&w[i]);
		ok += w[i].ok;
		errors += w[i].errors;
		wrong += w[i].wrong;
		if (w[i].problem[0])
			TH_LOG("worker %d: ok %lu errors %lu wrong %lu, first: %s", i,
			       w[i].ok, w[i].errors, w[i].wrong, w[i].problem);
	}
	printf("# requests: %lu correct, %lu failed with an error, %lu wrong\n",
	       ok, errors, wrong);
	EXPECT_EQ(0UL, wrong);
	EXPECT_LT(0UL, ok);

	/*
	 * The algorithms and the node went with the last device; the driver
	 * unregisters the algorithms once the last transform is freed, which
	 * may come a little after the sockets closed.
	 */
	EXPECT_EQ(0, gmrk_list_nodes(names, 4));
	t0 = now_ms();
	while (alg_registered("gcm-aes-gmrk") && now_ms() - t0 < 30000)
		sleep_ms(100);
	EXPECT_FALSE(alg_registered("gcm-aes-gmrk"));
	EXPECT_FALSE(alg_registered("gcm-sm4-gmrk"));
	EXPECT_FALSE(alg_registered("rfc7539-chacha20-poly1305-gmrk"));
	/* Nothing in the kernel log beyond info lines. */
	EXPECT_EQ(0, kmsg_complaints(kmsg, 4));
}

TEST_HARNESS_MAIN

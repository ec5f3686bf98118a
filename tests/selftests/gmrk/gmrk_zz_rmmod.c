// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk removal tests that take the whole driver away; this program runs
 * last (the harness runs programs in name order) and leaves the module
 * loaded with its baseline device, as it found it.
 *
 *  - rmmod while AF_ALG sockets are bound: each bound socket holds a tfm,
 *    and each tfm a reference on gmrk.ko, so delete_module() fails. With
 *    O_NONBLOCK (what kmod's rmmod passes) Linux 6.1 reports EWOULDBLOCK
 *    (== EAGAIN) for a module in use, not EBUSY; that is what is
 *    asserted. Requests in flight meanwhile complete right.
 *  - the last emulation device deleted under load: requests end right or
 *    with an error, never wrong; once the sockets are gone the AEADs are
 *    unregistered (DRIVER_IFACE: "unregistered with the last" device),
 *    sm4-gmrk stays (registered at module load), and a new device brings
 *    the AEADs back.
 *  - rmmod with no users succeeds, everything the module made goes away,
 *    and modprobe brings it back (with the parameters it had).
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "aead_case.h"
#include "aio_batch.h"
#include "gmrk_ctl.h"
#include "load_worker.h"
#include "test_algs.h"

#define LOAD_THREADS	4
#define MAX_PARAMS	16

static int delete_module_nonblock(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) < 0 ? -errno : 0;
}

static bool module_loaded(void)
{
	return path_exists("/sys/module/gmrk/initstate") ||
	       path_exists("/sys/module/gmrk/refcnt");
}

/* Is a driver of this name in /proc/crypto? */
static bool proc_crypto_has(const char *driver, bool *passed)
{
	FILE *f = fopen("/proc/crypto", "r");
	char line[256];
	bool found = false, in = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char key[32], val[128];

		if (sscanf(line, "%31s : %127[^\n]", key, val) != 2)
			continue;
		if (!strcmp(key, "name"))
			in = false;
		if (!strcmp(key, "driver")) {
			in = !strcmp(val, driver);
			found |= in;
		}
		if (in && !strcmp(key, "selftest") && passed)
			*passed = !strcmp(val, "passed");
	}
	fclose(f);
	return found;
}

static bool proc_crypto_has_module(const char *module)
{
	FILE *f = fopen("/proc/crypto", "r");
	char line[256];
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char key[32], val[128];

		if (sscanf(line, "%31s : %127[^\n]", key, val) == 2 &&
		    !strcmp(key, "module") && !strcmp(val, module))
			found = true;
	}
	fclose(f);
	return found;
}

/* The module's current parameters as "name=value" modprobe arguments. */
static int save_params(char args[][96], int max)
{
	DIR *d = opendir(MODPARAMS);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < max) {
		char path[128 + 256], val[64];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), MODPARAMS "/%s", e->d_name);
		if (file_read_str(path, val, sizeof(val)) < 0)
			continue;
		size_t kl = strlen(e->d_name), vl = strlen(val);

		if (kl + vl + 2 > sizeof(args[0]))
			continue;
		memcpy(args[n], e->d_name, kl);
		args[n][kl] = '=';
		memcpy(args[n] + kl + 1, val, vl + 1);
		n++;
	}
	closedir(d);
	return n;
}

static int run_modprobe(char args[][96], int nargs)
{
	char *argv[MAX_PARAMS + 3];
	int status, argc = 0;
	pid_t pid;

	argv[argc++] = "modprobe";
	argv[argc++] = "gmrk";
	for (int i = 0; i < nargs && i < MAX_PARAMS; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		execv("/sbin/modprobe", argv);
		execvp("modprobe", argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
}

/* Poll (up to ~10 s) for cond to become true. */
#define WAIT_FOR(cond) ({						\
	bool __ok = false;						\
	for (int __i = 0; __i < 200 && !(__ok = (cond)); __i++)		\
		usleep(50000);						\
	__ok;								\
})

FIXTURE(rm) {
	struct prng p;
};

FIXTURE_SETUP(rm)
{
	uint64_t seed = test_seed();

	TH_LOG("seed %llu", (unsigned long long)seed);
	prng_init(&self->p, seed);
	ASSERT_TRUE(module_loaded()) TH_LOG("gmrk is not loaded");
	if (sim_bus_present())
		ASSERT_EQ(0, sim_restore_baseline());
}

FIXTURE_TEARDOWN(rm)
{
	if (sim_bus_present())
		EXPECT_EQ(0, sim_restore_baseline());
}

static void start_workers(struct __test_metadata *_metadata,
			  struct load_worker *w, int n, atomic_bool *stop,
			  struct prng *p)
{
	atomic_init(stop, false);
	memset(w, 0, sizeof(*w) * n);
	for (int i = 0; i < n; i++) {
		w[i].seed = prng_u64(p);
		w[i].max_aad = 256;
		w[i].max_pt = 8192;
		w[i].stop = stop;
		ASSERT_EQ(0, load_worker_start(&w[i]));
	}
}

static unsigned long progress(struct load_worker *w, int n)
{
	unsigned long t = 0;

	for (int i = 0; i < n; i++)
		t += atomic_load(&w[i].progress);
	return t;
}

static void wait_progress(struct load_worker *w, int n, unsigned long more)
{
	unsigned long start = progress(w, n);

	WAIT_FOR(progress(w, n) >= start + more);
}

static void stop_workers(struct __test_metadata *_metadata,
			 struct load_worker *w, int n, atomic_bool *stop,
			 bool errors_ok)
{
	unsigned long ok = 0, errors = 0, wrong = 0;

	atomic_store(stop, true);
	for (int i = 0; i < n; i++) {
		load_worker_join(&w[i]);
		ok += w[i].ok;
		errors += w[i].errors;
		wrong += w[i].wrong;
		if (w[i].problem[0])
			TH_LOG("thread %d (last errno %d): %s", i, w[i].last_errno,
			       w[i].problem);
	}
	TH_LOG("%lu right, %lu errors, %lu wrong", ok, errors, wrong);
	EXPECT_EQ(0UL, wrong);
	if (!errors_ok)
		EXPECT_EQ(0UL, errors);
	EXPECT_LT(0UL, ok);
}

static void traffic(struct __test_metadata *_metadata, struct prng *p, int n)
{
	struct load_worker w = {
		.seed = prng_u64(p), .max_aad = 64, .max_pt = 2048,
		.max_ops = (unsigned long)n,
	};

	ASSERT_EQ(0, load_worker_start(&w));
	load_worker_join(&w);
	EXPECT_EQ(0UL, w.wrong) TH_LOG("%s", w.problem);
	EXPECT_EQ(0UL, w.errors) TH_LOG("%s", w.problem);
	EXPECT_EQ((unsigned long)n, w.ok);
}

TEST_F_TIMEOUT(rm, rmmod_refused_while_bound, 240)
{
	struct load_worker w[LOAD_THREADS];
	struct alg_aead a[NUM_AEAD_ALGS];
	uint8_t keys[NUM_AEAD_ALGS][32];
	struct aio_batch_thread bt;
	struct aio_batch b;
	atomic_bool stop;
	int err;

	for (int k = 0; k < NUM_AEAD_ALGS; k++) {
		ASSERT_EQ(0, alg_aead_open(&a[k], aead_driver_name(&aead_algs[k])));
		prng_fill(&self->p, keys[k], sizeof(keys[k]));
		ASSERT_EQ(0, alg_aead_setkey(&a[k], keys[k], aead_algs[k].keylen));
	}
	ASSERT_EQ(0, aio_batch_init(&b, 40));
	for (int i = 0; i < b.n; i++) {
		int k = i % NUM_AEAD_ALGS;

		b.tfm[i] = a[k].tfm;
		ASSERT_EQ(0, aead_case_make(&b.c[i], &aead_algs[k], keys[k], 16,
					    &self->p, 128, 32768, i % 2, false));
	}
	start_workers(_metadata, w, LOAD_THREADS, &stop, &self->p);
	wait_progress(w, LOAD_THREADS, 20);
	ASSERT_EQ(0, aio_batch_start(&bt, &b, 120));

	err = delete_module_nonblock("gmrk");
	EXPECT_EQ(-EWOULDBLOCK, err)
		TH_LOG("delete_module(gmrk) with bound sockets: %s",
		       err ? strerror(-err) : "succeeded");
	EXPECT_TRUE(module_loaded());

	ASSERT_EQ(0, aio_batch_join(&bt));
	if (b.problem[0])
		TH_LOG("AIO: %s", b.problem);
	EXPECT_EQ((unsigned long)b.n, b.ok);
	EXPECT_EQ(0UL, b.lost);
	wait_progress(w, LOAD_THREADS, 20);
	stop_workers(_metadata, w, LOAD_THREADS, &stop, false);
	aio_batch_free(&b);
	for (int k = 0; k < NUM_AEAD_ALGS; k++)
		alg_aead_close(&a[k]);
}

/* Verified requests on already-bound, keyed sockets; all must be right. */
static void held_requests(struct __test_metadata *_metadata,
			  struct alg_aead *a, uint8_t (*keys)[32],
			  struct prng *p, int n, const char *when)
{
	for (int i = 0; i < n; i++) {
		int k = i % NUM_AEAD_ALGS;
		struct aead_case c;
		struct aead_op op;
		char msg[256];
		ssize_t r;

		ASSERT_EQ(0, aead_case_make(&c, &aead_algs[k], keys[k], 16, p,
					    64, 4096, i % 2, i % 5 == 4));
		aead_case_op(&c, &op, ALG_IO_PLAIN, 0);
		r = alg_aead_run(&a[k], &op);
		EXPECT_EQ((int)CASE_OK, (int)aead_case_check(&c, r, msg, sizeof(msg)))
			TH_LOG("%s: %s", when, msg);
		aead_case_free(&c);
	}
}

TEST_F_TIMEOUT(rm, last_device_deleted_under_load, 240)
{
	struct load_worker w[LOAD_THREADS];
	unsigned int ids[SIM_MAX_DEVICES];
	struct alg_aead a, held[NUM_AEAD_ALGS];
	uint8_t keys[NUM_AEAD_ALGS][32];
	atomic_bool stop;
	bool passed = false;
	int n, err;

	if (test_mode_is_pci())
		SKIP(return, "the PCI card is the last device here; not removable by the test");
	ASSERT_TRUE(sim_bus_present());

	for (int k = 0; k < NUM_AEAD_ALGS; k++) {
		ASSERT_EQ(0, alg_aead_open(&held[k], aead_algs[k].driver));
		prng_fill(&self->p, keys[k], sizeof(keys[k]));
		ASSERT_EQ(0, alg_aead_setkey(&held[k], keys[k], aead_algs[k].keylen));
	}
	start_workers(_metadata, w, LOAD_THREADS, &stop, &self->p);
	wait_progress(w, LOAD_THREADS, 30);
	n = sim_list(ids, SIM_MAX_DEVICES);
	ASSERT_LT(0, n);
	for (int i = 0; i < n; i++) {
		EXPECT_EQ(0, sim_del_device(ids[i])) TH_LOG("del_device %u", ids[i]);
	}
	/* threads carry on: right results, or errors (binds may fail now) */
	wait_progress(w, LOAD_THREADS, 40);
	stop_workers(_metadata, w, LOAD_THREADS, &stop, true);

	/* sockets bound before compute in software, right (driver.rst) */
	held_requests(_metadata, held, keys, &self->p, 20, "no device, bound socket");
	/* asking by algorithm name finds a software implementation */
	for (int k = 0; k < NUM_AEAD_ALGS; k++) {
		err = alg_aead_open(&a, aead_algs[k].cra_name);
		EXPECT_EQ(0, err) TH_LOG("bind %s without devices: %d",
					 aead_algs[k].cra_name, err);
		if (!err)
			alg_aead_close(&a);
	}
	/* by gmrk's driver name: gone for new users, or still right */
	err = alg_aead_open(&a, "gcm-aes-gmrk");
	TH_LOG("bind gcm-aes-gmrk with sockets held, no device: %s",
	       err ? strerror(-err) : "bound");
	EXPECT_TRUE(err == 0 || err == -ENOENT) TH_LOG("%d", err);
	if (!err)
		alg_aead_close(&a);

	/* no device, no users: the AEADs go, the plain sm4 stays */
	for (int k = 0; k < NUM_AEAD_ALGS; k++)
		alg_aead_close(&held[k]);
	EXPECT_TRUE(WAIT_FOR(!proc_crypto_has("gcm-aes-gmrk", NULL)))
		TH_LOG("gcm-aes-gmrk still registered without devices or users");
	EXPECT_FALSE(proc_crypto_has("gcm-sm4-gmrk", NULL));
	EXPECT_FALSE(proc_crypto_has("rfc7539-chacha20-poly1305-gmrk", NULL));
	EXPECT_TRUE(proc_crypto_has("sm4-gmrk", NULL));
	err = alg_aead_open(&a, "gcm-aes-gmrk");
	EXPECT_EQ(-ENOENT, err) TH_LOG("bind without devices: %d", err);
	if (!err)
		alg_aead_close(&a);

	/* a device brings them back, self-tested */
	ASSERT_EQ(0, sim_restore_baseline());
	EXPECT_TRUE(proc_crypto_has("gcm-aes-gmrk", &passed));
	EXPECT_TRUE(passed);
	traffic(_metadata, &self->p, 15);
}

/*
 * A device coming back while the algorithms are still held (no device in
 * between, sockets bound throughout) takes them over again.
 */
TEST_F_TIMEOUT(rm, device_returns_while_held, 240)
{
	struct alg_aead held[NUM_AEAD_ALGS], a;
	uint8_t keys[NUM_AEAD_ALGS][32];
	char node[16];
	struct gmrk_stats before, after;
	int err;

	if (test_mode_is_pci())
		SKIP(return, "needs emulation devices");
	ASSERT_TRUE(sim_bus_present());
	for (int k = 0; k < NUM_AEAD_ALGS; k++) {
		ASSERT_EQ(0, alg_aead_open(&held[k], aead_algs[k].driver));
		prng_fill(&self->p, keys[k], sizeof(keys[k]));
		ASSERT_EQ(0, alg_aead_setkey(&held[k], keys[k], aead_algs[k].keylen));
	}
	for (int round = 0; round < 3; round++) {
		ASSERT_EQ(0, sim_del_device(0));
		held_requests(_metadata, held, keys, &self->p, 10, "device gone");
		ASSERT_EQ(0, sim_new_device(0, 4, 0));
		ASSERT_EQ(0, sim_node_name(0, node, sizeof(node)));
		ASSERT_EQ(0, gmrk_stats_by_name(node, &before));
		held_requests(_metadata, held, keys, &self->p, 10, "device back");
		ASSERT_EQ(0, gmrk_stats_by_name(node, &after));
		/* the device serves the old sockets again */
		EXPECT_LE(before.jobs + 10, after.jobs) TH_LOG("round %d", round);
		err = alg_aead_open(&a, "gcm-sm4-gmrk");
		EXPECT_EQ(0, err) TH_LOG("bind after the device came back: %d", err);
		if (!err)
			alg_aead_close(&a);
	}
	for (int k = 0; k < NUM_AEAD_ALGS; k++)
		alg_aead_close(&held[k]);
	traffic(_metadata, &self->p, 10);
}

TEST_F_TIMEOUT(rm, rmmod_and_reload, 240)
{
	char params[MAX_PARAMS][96];
	char refcnt[32] = "";
	int nparams, err, rc;

	nparams = save_params(params, MAX_PARAMS);
	ASSERT_LE(0, nparams);
	for (int i = 0; i < nparams; i++)
		TH_LOG("parameter %s", params[i]);
	/* the tfms of earlier tests are freed by now; give stragglers a moment */
	WAIT_FOR(file_read_str("/sys/module/gmrk/refcnt", refcnt, sizeof(refcnt)) > 0 &&
		 !strcmp(refcnt, "0"));

	err = delete_module_nonblock("gmrk");
	ASSERT_EQ(0, err) TH_LOG("delete_module(gmrk), refcnt %s: %s", refcnt,
				 strerror(-err));
	EXPECT_FALSE(module_loaded());
	EXPECT_FALSE(proc_crypto_has_module("gmrk"))
		TH_LOG("/proc/crypto still lists gmrk algorithms");
	EXPECT_FALSE(path_exists(SIM_BUS)) TH_LOG(SIM_BUS " left behind");
	EXPECT_FALSE(path_exists(CORE_DEBUGFS "/gmrk0"));
	EXPECT_FALSE(path_exists("/dev/gmrk0"));

	rc = run_modprobe(params, nparams);
	ASSERT_EQ(0, rc) TH_LOG("modprobe gmrk exited %d", rc);
	ASSERT_TRUE(module_loaded());
	if (test_mode_is_pci()) {
		EXPECT_TRUE(WAIT_FOR(path_exists(GMRK_CLASS "/gmrk0")))
			TH_LOG("PCI card not bound again after modprobe");
	} else {
		ASSERT_EQ(0, sim_restore_baseline());
	}
	EXPECT_TRUE(proc_crypto_has("sm4-gmrk", NULL));
	for (int k = 0; k < NUM_AEAD_ALGS; k++) {
		bool passed = false;

		EXPECT_TRUE(proc_crypto_has(aead_algs[k].driver, &passed))
			TH_LOG("%s after reload", aead_algs[k].driver);
		EXPECT_TRUE(passed) TH_LOG("%s selftest after reload",
					   aead_algs[k].driver);
	}
	traffic(_metadata, &self->p, 20);
}

TEST_HARNESS_MAIN

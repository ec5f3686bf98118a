// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk lifecycle tests: creating and deleting emulation devices (and the
 * errors for bad requests), the /dev/gmrkN ioctls, the registration seen
 * in /proc/crypto, and deleting a device while requests are in flight:
 * every request must end with the right result or an error, never a
 * wrong result, never a hang (the harness timeout catches hangs).
 *
 * Devices these tests create use IDs 200..255; every test that changes
 * the set of devices restores the harness's baseline at the end
 * (sim_restore_baseline()). Removal of the last device and rmmod are in
 * gmrk_zz_rmmod, which runs last.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "aead_case.h"
#include "aio_batch.h"
#include "gmrk_ctl.h"
#include "load_worker.h"
#include "test_algs.h"

#define ID_A	210
#define ID_B	211
#define ID_LOAD	220

FIXTURE(life) {
	struct prng p;
};

FIXTURE_SETUP(life)
{
	uint64_t seed = test_seed();

	TH_LOG("seed %llu", (unsigned long long)seed);
	prng_init(&self->p, seed);
	if (sim_bus_present())
		ASSERT_EQ(0, sim_restore_baseline());
}

FIXTURE_TEARDOWN(life)
{
	if (sim_bus_present())
		EXPECT_EQ(0, sim_restore_baseline());
}

#define NEED_SIM_BUS() do {						\
	if (!sim_bus_present())						\
		SKIP(return, "no emulation-device bus (" SIM_BUS ")");	\
} while (0)

TEST_F(life, new_device_errors)
{
	static const char *const bad[] = {
		"256", "-1", "abc", "\n", "211 0", "211 17", "211 4 3",
		"211 4 2", "211 4 8192", "211 4 256 9", "211 x", "211 4 0",
		"99999999999", "211,4",
	};
	int err;

	NEED_SIM_BUS();
	err = sim_new_device(ID_A, 2, 8);
	ASSERT_EQ(0, err) TH_LOG("new_device %d: %s", ID_A, strerror(-err));
	EXPECT_EQ(-EEXIST, sim_new_device(ID_A, 2, 8));
	EXPECT_EQ(-EEXIST, sim_new_device_str("210"));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err = sim_new_device_str(bad[i]);
		EXPECT_EQ(-EINVAL, err) TH_LOG("new_device \"%s\" gave %d", bad[i], err);
		EXPECT_FALSE(sim_device_exists(ID_B)) TH_LOG("after \"%s\"", bad[i]);
	}
	EXPECT_TRUE(sim_device_exists(ID_A));
}

TEST_F(life, del_device_errors)
{
	static const char *const bad[] = { "abc", "256", "-1", "\n", "1 2" };
	int err;

	NEED_SIM_BUS();
	EXPECT_EQ(-ENOENT, sim_del_device(ID_B));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err = file_write_str(SIM_BUS "/del_device", bad[i]);
		EXPECT_EQ(-EINVAL, err) TH_LOG("del_device \"%s\" gave %d", bad[i], err);
	}
	ASSERT_EQ(0, sim_new_device(ID_A, 1, 4));
	EXPECT_EQ(0, sim_del_device(ID_A));
	EXPECT_FALSE(sim_device_exists(ID_A));
	EXPECT_EQ(-ENOENT, sim_del_device(ID_A));
}

static void expect_info(struct __test_metadata *_metadata, const char *node,
			struct gmrk_info *info)
{
	int fd = gmrk_node_open(node);

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", node, strerror(-fd));
	ASSERT_EQ(0, gmrk_get_info(fd, info));
	close(fd);
	EXPECT_EQ((uint32_t)sizeof(*info), info->size);
	EXPECT_EQ(1U, info->hw_version >> 16) TH_LOG("hw_version %#x", info->hw_version);
	EXPECT_EQ((uint32_t)(GMRK_INFO_CAP_AES_GCM | GMRK_INFO_CAP_SM4_GCM |
			     GMRK_INFO_CAP_CHACHAPOLY),
		  info->caps & (GMRK_INFO_CAP_AES_GCM | GMRK_INFO_CAP_SM4_GCM |
				GMRK_INFO_CAP_CHACHAPOLY));
	EXPECT_LE(1U, info->num_queues);
	EXPECT_GE((uint32_t)GMRK_MAX_QUEUES_UAPI, info->num_queues);
	EXPECT_LE(4U, info->queue_depth);
	EXPECT_GE(4096U, info->queue_depth);
	EXPECT_EQ(0U, info->queue_depth & (info->queue_depth - 1));
	EXPECT_LE(65536U + 1024U, info->max_data)
		TH_LOG("%s: max_data %u below a 64 KiB block + 1 KiB AAD", node,
		       info->max_data);
	EXPECT_TRUE((info->flags & GMRK_INFO_F_ONLINE) != 0);
	EXPECT_TRUE((info->flags & GMRK_INFO_F_FATAL) == 0);
	EXPECT_STREQ(node, info->name);
	EXPECT_NE(0, info->bus_id[0]);
}

TEST_F(life, info_of_every_device)
{
	char names[32][16];
	int n = gmrk_list_nodes(names, 32), pci = 0;

	ASSERT_LT(0, n) TH_LOG("no devices in " GMRK_CLASS);
	for (int i = 0; i < n; i++) {
		struct gmrk_info info;

		expect_info(_metadata, names[i], &info);
		if (info.kind == GMRK_KIND_PCI)
			pci++;
		else
			EXPECT_EQ((uint32_t)GMRK_KIND_SIM, info.kind);
		if (info.kind == GMRK_KIND_SIM)
			EXPECT_EQ(0, strncmp(info.bus_id, "sim", 3));
	}
	if (test_mode_is_pci())
		EXPECT_LT(0, pci) TH_LOG("GMRK_TEST_MODE=pci but no PCI device");
}

TEST_F(life, new_device_parameters_reported)
{
	static const struct { unsigned int id, queues, depth; } devs[] = {
		{ 255, 2, 4096 }, { 254, 16, 4 }, { ID_A, 3, 64 },
	};

	NEED_SIM_BUS();
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		char node[16], want[16], path[128];
		struct gmrk_info info;
		struct stat sb;
		int err;

		err = sim_new_device(devs[i].id, devs[i].queues, devs[i].depth);
		ASSERT_EQ(0, err) TH_LOG("new_device %u %u %u: %s", devs[i].id,
					 devs[i].queues, devs[i].depth, strerror(-err));
		ASSERT_EQ(0, sim_node_name(devs[i].id, node, sizeof(node)));
		expect_info(_metadata, node, &info);
		EXPECT_EQ((uint32_t)GMRK_KIND_SIM, info.kind);
		EXPECT_EQ(devs[i].queues, info.num_queues);
		EXPECT_EQ(devs[i].depth, info.queue_depth);
		snprintf(want, sizeof(want), "sim%u", devs[i].id);
		EXPECT_STREQ(want, info.bus_id);
		/* where it shows up */
		snprintf(path, sizeof(path), GMRK_CLASS "/%s", node);
		EXPECT_TRUE(path_exists(path)) TH_LOG("%s", path);
		snprintf(path, sizeof(path), "/dev/%s", node);
		EXPECT_EQ(0, stat(path, &sb)) TH_LOG("%s", path);
		EXPECT_TRUE(S_ISCHR(sb.st_mode));
		snprintf(path, sizeof(path), SIM_DEBUGFS "/sim%u/stall", devs[i].id);
		EXPECT_EQ(0, debugfs_ensure());
		EXPECT_TRUE(path_exists(path)) TH_LOG("%s", path);
		snprintf(path, sizeof(path), CORE_DEBUGFS "/%s/stats", node);
		EXPECT_TRUE(path_exists(path)) TH_LOG("%s", path);

		/* and goes away with it */
		ASSERT_EQ(0, sim_del_device(devs[i].id));
		snprintf(path, sizeof(path), GMRK_CLASS "/%s", node);
		EXPECT_FALSE(path_exists(path)) TH_LOG("%s still there", path);
		snprintf(path, sizeof(path), SIM_DEBUGFS "/sim%u", devs[i].id);
		EXPECT_FALSE(path_exists(path)) TH_LOG("%s still there", path);
		snprintf(path, sizeof(path), CORE_DEBUGFS "/%s", node);
		EXPECT_FALSE(path_exists(path)) TH_LOG("%s still there", path);
	}
}

static int first_node_fd(struct __test_metadata *_metadata, char *name)
{
	char names[32][16];
	int n = gmrk_list_nodes(names, 32), fd;

	if (n <= 0)
		return -ENODEV;
	strcpy(name, names[0]);
	fd = gmrk_node_open(names[0]);
	return fd;
}

/* GMRK_IOC_INFO/STATS take the caller's size: at least 8, at most 64 KiB. */
TEST_F(life, ioctl_sizes)
{
	static const uint32_t bad[] = { 0, 4, 7, 64 * 1024 + 1, 0xffffffffu };
	union {
		struct gmrk_info info;
		struct gmrk_stats st;
		uint8_t raw[sizeof(struct gmrk_stats) + 64];
	} u;
	char name[16];
	int fd = first_node_fd(_metadata, name);

	ASSERT_LE(0, fd) TH_LOG("no gmrk device to open: %s", strerror(-fd));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(&u, 0, sizeof(u));
		u.info.size = bad[i];
		EXPECT_EQ(-1, ioctl(fd, GMRK_IOC_INFO, &u.info));
		EXPECT_EQ(EINVAL, errno) TH_LOG("INFO size %u", bad[i]);
		memset(&u, 0, sizeof(u));
		u.st.size = bad[i];
		EXPECT_EQ(-1, ioctl(fd, GMRK_IOC_STATS, &u.st));
		EXPECT_EQ(EINVAL, errno) TH_LOG("STATS size %u", bad[i]);
	}

	/* An older, smaller struct: filled that far and no further. */
	memset(&u, 0xee, sizeof(u));
	u.info.size = 8;
	ASSERT_EQ(0, ioctl(fd, GMRK_IOC_INFO, &u.info));
	EXPECT_EQ(8U, u.info.size);
	EXPECT_NE(0xeeeeeeeeU, u.info.kind);
	EXPECT_EQ(0xeeeeeeeeU, u.info.hw_version);

	/* A newer, larger struct: the kernel fills what it knows. */
	memset(&u, 0xee, sizeof(u));
	u.info.size = sizeof(u.info) + 32;
	ASSERT_EQ(0, ioctl(fd, GMRK_IOC_INFO, &u.info));
	EXPECT_EQ((uint32_t)sizeof(u.info), u.info.size);
	EXPECT_EQ(0xee, u.raw[sizeof(u.info)]);

	memset(&u, 0xee, sizeof(u));
	u.st.size = sizeof(u.st) + 32;
	ASSERT_EQ(0, ioctl(fd, GMRK_IOC_STATS, &u.st));
	EXPECT_EQ((uint32_t)sizeof(u.st), u.st.size);
	EXPECT_LE(1U, u.st.num_queues);
	EXPECT_EQ(0xee, u.raw[sizeof(u.st)]);

	/* Stats cut before the queue array report no queues. */
	memset(&u, 0xee, sizeof(u));
	u.st.size = offsetof(struct gmrk_stats, queue);
	ASSERT_EQ(0, ioctl(fd, GMRK_IOC_STATS, &u.st));
	EXPECT_EQ(0U, u.st.num_queues);
	EXPECT_EQ(0xee, u.raw[offsetof(struct gmrk_stats, queue)]);
	close(fd);
}

TEST_F(life, unknown_ioctls)
{
	const unsigned long cmds[] = {
		_IO(GMRK_IOC_MAGIC, 0x7f),
		_IOR(GMRK_IOC_MAGIC, 0x03, __u32),
		/* INFO's number with a different size is a different command */
		_IOWR(GMRK_IOC_MAGIC, 0x00, __u64),
		_IOWR('x', 0x00, struct gmrk_info),
	};
	char name[16], buf[512] = { 0 };
	int fd = first_node_fd(_metadata, name);

	ASSERT_LE(0, fd) TH_LOG("no gmrk device to open: %s", strerror(-fd));
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(-1, ioctl(fd, cmds[i], buf));
		EXPECT_EQ(ENOTTY, errno) TH_LOG("ioctl 0x%lx", cmds[i]);
	}
	close(fd);
}

/* An fd left open on a deleted device answers -ENODEV, and nothing else. */
TEST_F(life, open_fd_outlives_device)
{
	struct gmrk_stats st;
	struct gmrk_info info;
	char node[16];
	int fd;

	NEED_SIM_BUS();
	ASSERT_EQ(0, sim_new_device(ID_A, 2, 16));
	ASSERT_EQ(0, sim_node_name(ID_A, node, sizeof(node)));
	fd = gmrk_node_open(node);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gmrk_get_info(fd, &info));
	ASSERT_EQ(0, sim_del_device(ID_A));
	EXPECT_EQ(-ENODEV, gmrk_get_info(fd, &info));
	EXPECT_EQ(-ENODEV, gmrk_get_stats(fd, &st));
	EXPECT_EQ(-ENODEV, gmrk_reset_stats(fd));
	/* a new device may reuse the number; the old fd stays dead */
	ASSERT_EQ(0, sim_new_device(ID_A, 1, 8));
	EXPECT_EQ(-ENODEV, gmrk_get_info(fd, &info));
	EXPECT_EQ(0, close(fd));
}

/* RESET_STATS needs CAP_SYS_ADMIN; reading does not. */
TEST_F(life, reset_stats_needs_cap_sys_admin)
{
	char name[16];
	int fd = first_node_fd(_metadata, name), status;
	pid_t pid;

	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct gmrk_stats st;
		struct gmrk_info info;

		/* an unprivileged user with the fd root opened */
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		if (gmrk_reset_stats(fd) != -EPERM)
			_exit(11);
		if (gmrk_get_info(fd, &info) || gmrk_get_stats(fd, &st))
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("10: could not drop privileges, 11: reset allowed, 12: read refused");
	close(fd);
}

/* Many transforms at once (each holds a software fallback too). */
TEST_F_TIMEOUT(life, many_transforms, 120)
{
	enum { NTFM = 200 };
	struct alg_aead *a = calloc(NTFM, sizeof(*a));
	uint8_t (*keys)[32] = calloc(NTFM, 32);
	unsigned long wrong = 0, errors = 0;

	ASSERT_TRUE(a && keys);
	for (int i = 0; i < NTFM; i++) {
		const struct aead_alg *alg = &aead_algs[i % NUM_AEAD_ALGS];
		int err = alg_aead_open(&a[i], aead_driver_name(alg));

		ASSERT_EQ(0, err) TH_LOG("tfm %d: %s", i, strerror(-err));
		prng_fill(&self->p, keys[i], 32);
		ASSERT_EQ(0, alg_aead_setkey(&a[i], keys[i], alg->keylen));
	}
	/* every key is still its own: interleave requests over all of them */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < NTFM; i++) {
			const struct aead_alg *alg = &aead_algs[i % NUM_AEAD_ALGS];
			struct aead_case c;
			struct aead_op op;
			char msg[256];
			enum case_verdict v;

			ASSERT_EQ(0, aead_case_make(&c, alg, keys[i], 16, &self->p,
						    32, 512, (i + round) % 2, false));
			aead_case_op(&c, &op, ALG_IO_PLAIN, 0);
			v = aead_case_check(&c, alg_aead_run(&a[i], &op), msg,
					    sizeof(msg));
			if (v != CASE_OK && !wrong && !errors)
				TH_LOG("tfm %d: %s", i, msg);
			wrong += v == CASE_WRONG;
			errors += v == CASE_ERROR;
			aead_case_free(&c);
		}
	}
	EXPECT_EQ(0UL, wrong);
	EXPECT_EQ(0UL, errors);
	for (int i = 0; i < NTFM; i++)
		alg_aead_close(&a[i]);
	free(a);
	free(keys);
}

/* Run n verified requests on every algorithm. */
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

TEST_F(life, reset_stats)
{
	char names[32][16];
	uint64_t jobs = 0;
	int n = gmrk_list_nodes(names, 32);

	ASSERT_LT(0, n);
	traffic(_metadata, &self->p, 20);
	for (int i = 0; i < n; i++) {
		struct gmrk_stats st;

		ASSERT_EQ(0, gmrk_stats_by_name(names[i], &st));
		jobs += st.jobs;
	}
	EXPECT_LE(20ULL, (unsigned long long)jobs);
	for (int i = 0; i < n; i++) {
		struct gmrk_stats st;
		int fd = gmrk_node_open(names[i]);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, gmrk_reset_stats(fd));
		ASSERT_EQ(0, gmrk_get_stats(fd, &st));
		close(fd);
		EXPECT_EQ(0ULL, (unsigned long long)(st.jobs | st.bytes | st.errors |
						     st.fallbacks | st.timeouts |
						     st.resets | st.auth_failures))
			TH_LOG("%s: counters not zero after reset", names[i]);
		for (uint32_t q = 0; q < st.num_queues; q++) {
			EXPECT_EQ(0ULL, (unsigned long long)(st.queue[q].jobs |
							     st.queue[q].bytes |
							     st.queue[q].errors |
							     st.queue[q].busy))
				TH_LOG("%s q%u", names[i], q);
		}
	}
	/* and the devices keep working */
	traffic(_metadata, &self->p, 10);
}

#define PROC_VAL 128

struct crypto_entry {
	char name[PROC_VAL], driver[PROC_VAL], module[PROC_VAL];
	char type[PROC_VAL], selftest[PROC_VAL], async[PROC_VAL];
	int priority, ivsize, maxauthsize;
};

static int read_proc_crypto(struct crypto_entry *e, int max)
{
	FILE *f = fopen("/proc/crypto", "r");
	char line[256];
	int n = -1;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char key[32], val[PROC_VAL];

		if (sscanf(line, "%31s : %127[^\n]", key, val) != 2)
			continue;
		if (!strcmp(key, "name")) {
			if (n + 1 >= max)
				break;
			memset(&e[++n], 0, sizeof(e[0]));
			snprintf(e[n].name, sizeof(e[n].name), "%s", val);
		} else if (n < 0) {
			continue;
		} else if (!strcmp(key, "driver")) {
			snprintf(e[n].driver, sizeof(e[n].driver), "%s", val);
		} else if (!strcmp(key, "module")) {
			snprintf(e[n].module, sizeof(e[n].module), "%s", val);
		} else if (!strcmp(key, "type")) {
			snprintf(e[n].type, sizeof(e[n].type), "%s", val);
		} else if (!strcmp(key, "selftest")) {
			snprintf(e[n].selftest, sizeof(e[n].selftest), "%s", val);
		} else if (!strcmp(key, "async")) {
			snprintf(e[n].async, sizeof(e[n].async), "%s", val);
		} else if (!strcmp(key, "priority")) {
			e[n].priority = atoi(val);
		} else if (!strcmp(key, "ivsize")) {
			e[n].ivsize = atoi(val);
		} else if (!strcmp(key, "maxauthsize")) {
			e[n].maxauthsize = atoi(val);
		}
	}
	fclose(f);
	return n + 1;
}

TEST_F(life, proc_crypto_registration)
{
	static const struct {
		const char *name, *driver, *type;
		int priority;
	} want[] = {
		{ "gcm(aes)", "gcm-aes-gmrk", "aead", 500 },
		{ "gcm(sm4)", "gcm-sm4-gmrk", "aead", 500 },
		{ "rfc7539(chacha20,poly1305)", "rfc7539-chacha20-poly1305-gmrk",
		  "aead", 500 },
		{ "sm4", "sm4-gmrk", "cipher", 100 },
	};
	struct crypto_entry *e = calloc(1024, sizeof(*e));
	int n;

	ASSERT_NE(NULL, e);
	n = read_proc_crypto(e, 1024);
	ASSERT_LT(0, n);
	for (size_t w = 0; w < ARRAY_SIZE(want); w++) {
		int found = 0, best = 0;

		for (int i = 0; i < n; i++) {
			if (!strcmp(e[i].name, want[w].name) && e[i].priority > best &&
			    strcmp(e[i].driver, want[w].driver))
				best = e[i].priority;
			if (strcmp(e[i].driver, want[w].driver))
				continue;
			found++;
			EXPECT_STREQ(want[w].name, e[i].name);
			EXPECT_STREQ("gmrk", e[i].module);
			EXPECT_STREQ(want[w].type, e[i].type);
			EXPECT_STREQ("passed", e[i].selftest)
				TH_LOG("%s selftest: %s", e[i].driver, e[i].selftest);
			EXPECT_EQ(want[w].priority, e[i].priority);
			if (!strcmp(want[w].type, "aead")) {
				EXPECT_EQ(12, e[i].ivsize);
				EXPECT_EQ(16, e[i].maxauthsize);
				EXPECT_STREQ("yes", e[i].async);
			}
		}
		EXPECT_EQ(1, found) TH_LOG("%s in /proc/crypto %d times",
					   want[w].driver, found);
		/* AEAD users asking by name get the card */
		if (!strcmp(want[w].type, "aead"))
			EXPECT_GT(want[w].priority, best)
				TH_LOG("%s outranked (%d) for %s", want[w].driver,
				       best, want[w].name);
	}
	free(e);
}

/* Algorithms stay usable while extra devices come and go. */
TEST_F_TIMEOUT(life, device_churn_keeps_algorithms, 120)
{
	NEED_SIM_BUS();
	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(0, sim_new_device(ID_A + (i % 2), 1 + i % 4, 4 << (i % 4)));
		traffic(_metadata, &self->p, 5);
		ASSERT_EQ(0, sim_del_device(ID_A + (i % 2)));
	}
	traffic(_metadata, &self->p, 5);
}

static unsigned long total_progress(struct load_worker *w, int n)
{
	unsigned long t = 0;

	for (int i = 0; i < n; i++)
		t += atomic_load(&w[i].progress);
	return t;
}

/* Wait until the workers have done `more` further operations. */
static void wait_progress(struct load_worker *w, int n, unsigned long more)
{
	unsigned long start = total_progress(w, n);

	for (int i = 0; i < 2000 && total_progress(w, n) < start + more; i++)
		usleep(10000);
}

#define LOAD_THREADS	6

/*
 * Delete a device while threads hammer every algorithm: the requests it
 * held end right or with an error; the remaining device serves the rest.
 */
TEST_F_TIMEOUT(life, del_device_under_load, 240)
{
	struct load_worker w[LOAD_THREADS];
	unsigned long ok = 0, errors = 0, wrong = 0;
	atomic_bool stop;

	NEED_SIM_BUS();
	atomic_init(&stop, false);
	memset(w, 0, sizeof(w));
	for (int i = 0; i < LOAD_THREADS; i++) {
		w[i].seed = prng_u64(&self->p);
		w[i].max_aad = 256;
		w[i].max_pt = 16384;
		w[i].stop = &stop;
	}
	ASSERT_EQ(0, sim_new_device(ID_LOAD, 2, 8));
	for (int i = 0; i < LOAD_THREADS; i++)
		ASSERT_EQ(0, load_worker_start(&w[i]));

	for (int cycle = 0; cycle < 4; cycle++) {
		wait_progress(w, LOAD_THREADS, 30);
		EXPECT_EQ(0, sim_del_device(ID_LOAD)) TH_LOG("cycle %d", cycle);
		wait_progress(w, LOAD_THREADS, 30);
		EXPECT_EQ(0, sim_new_device(ID_LOAD, 2, 8)) TH_LOG("cycle %d", cycle);
	}
	wait_progress(w, LOAD_THREADS, 30);
	EXPECT_EQ(0, sim_del_device(ID_LOAD));
	wait_progress(w, LOAD_THREADS, 30);
	atomic_store(&stop, true);
	for (int i = 0; i < LOAD_THREADS; i++) {
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
	EXPECT_LT(0UL, ok);
	/* afterwards everything works on the remaining device(s) */
	traffic(_metadata, &self->p, 10);
}

/* Many AIO requests in flight when their device goes away. */
TEST_F_TIMEOUT(life, del_device_with_aio_in_flight, 240)
{
	struct alg_aead a[NUM_AEAD_ALGS];
	uint8_t keys[NUM_AEAD_ALGS][32];
	struct aio_batch_thread bt;
	struct aio_batch b;

	NEED_SIM_BUS();
	for (int k = 0; k < NUM_AEAD_ALGS; k++) {
		ASSERT_EQ(0, alg_aead_open(&a[k], aead_driver_name(&aead_algs[k])));
		prng_fill(&self->p, keys[k], sizeof(keys[k]));
		ASSERT_EQ(0, alg_aead_setkey(&a[k], keys[k], aead_algs[k].keylen));
	}
	ASSERT_EQ(0, aio_batch_init(&b, 60));
	for (int round = 0; round < 3; round++) {
		ASSERT_EQ(0, sim_new_device(ID_LOAD, 4, 4));
		for (int i = 0; i < b.n; i++) {
			int k = i % NUM_AEAD_ALGS;

			aead_case_free(&b.c[i]);
			b.tfm[i] = a[k].tfm;
			ASSERT_EQ(0, aead_case_make(&b.c[i], &aead_algs[k], keys[k],
						    16, &self->p, 128, 32768,
						    i % 2, i % 7 == 0));
		}
		ASSERT_EQ(0, aio_batch_start(&bt, &b, 120));
		EXPECT_EQ(0, sim_del_device(ID_LOAD));
		ASSERT_EQ(0, aio_batch_join(&bt));
		if (b.problem[0])
			TH_LOG("round %d: %s", round, b.problem);
		TH_LOG("round %d: %lu right, %lu errors", round, b.ok, b.errors);
		EXPECT_EQ(0UL, b.wrong);
		EXPECT_EQ(0UL, b.lost);
		EXPECT_EQ((unsigned long)b.n, b.ok + b.errors);
	}
	aio_batch_free(&b);
	for (int k = 0; k < NUM_AEAD_ALGS; k++)
		alg_aead_close(&a[k]);
}

struct churn_thread {
	pthread_t th;
	unsigned int first_id;
	int rounds;
	int bad;		/* returns other than 0/EEXIST/ENOENT */
	int last_bad;
};

static void *churn_main(void *arg)
{
	struct churn_thread *t = arg;

	for (int i = 0; i < t->rounds; i++) {
		unsigned int id = t->first_id + i % 4;
		int e1 = sim_new_device(id, 1, 4), e2 = sim_del_device(id);

		if (e1 && e1 != -EEXIST) {
			t->bad++;
			t->last_bad = e1;
		}
		if (e2 && e2 != -ENOENT) {
			t->bad++;
			t->last_bad = e2;
		}
	}
	return NULL;
}

/* Two writers creating and deleting the same IDs at once. */
TEST_F_TIMEOUT(life, concurrent_new_and_del, 120)
{
	struct churn_thread t[2] = {
		{ .first_id = 230, .rounds = 40 }, { .first_id = 230, .rounds = 40 },
	};

	NEED_SIM_BUS();
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i].th, NULL, churn_main, &t[i]));
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i].th, NULL);
		EXPECT_EQ(0, t[i].bad) TH_LOG("thread %d: last error %d", i, t[i].last_bad);
	}
	for (unsigned int id = 230; id < 234; id++)
		sim_del_device(id);
	traffic(_metadata, &self->p, 5);
}

struct reader_thread {
	pthread_t th;
	atomic_bool *stop;
	unsigned int id;
	unsigned long reads;
};

/* Read every file of device id, whatever exists at the moment. */
static void *reader_main(void *arg)
{
	struct reader_thread *t = arg;
	char path[160], buf[4096], node[16];

	while (!atomic_load(t->stop)) {
		static const char *const knobs[] = { "jobs", "errors", "stall",
						     "latency_us" };
		struct gmrk_stats st;
		struct gmrk_info info;
		int fd;

		if (sim_node_name(t->id, node, sizeof(node))) {
			usleep(100);
			continue;
		}
		snprintf(path, sizeof(path), CORE_DEBUGFS "/%s/stats", node);
		file_read_str(path, buf, sizeof(buf));
		snprintf(path, sizeof(path), CORE_DEBUGFS "/%s/info", node);
		file_read_str(path, buf, sizeof(buf));
		for (size_t k = 0; k < ARRAY_SIZE(knobs); k++) {
			uint64_t v;

			sim_knob_read(t->id, knobs[k], &v);
		}
		fd = gmrk_node_open(node);
		if (fd >= 0) {
			gmrk_get_info(fd, &info);
			gmrk_get_stats(fd, &st);
			close(fd);
		}
		t->reads++;
	}
	return NULL;
}

/*
 * Readers of a device's debugfs files and ioctls while it is deleted and
 * created again: no crash, no hang, nothing in the kernel log (the
 * harness checks dmesg).
 */
TEST_F_TIMEOUT(life, readers_while_deleting, 120)
{
	struct reader_thread r[2];
	atomic_bool stop;

	NEED_SIM_BUS();
	ASSERT_EQ(0, debugfs_ensure());
	atomic_init(&stop, false);
	for (int i = 0; i < 2; i++) {
		r[i] = (struct reader_thread) { .stop = &stop, .id = ID_B };
		ASSERT_EQ(0, pthread_create(&r[i].th, NULL, reader_main, &r[i]));
	}
	for (int i = 0; i < 30; i++) {
		ASSERT_EQ(0, sim_new_device(ID_B, 2, 8));
		usleep(2000);
		ASSERT_EQ(0, sim_del_device(ID_B));
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(r[i].th, NULL);
	TH_LOG("%lu + %lu read passes", r[0].reads, r[1].reads);
	traffic(_metadata, &self->p, 5);
}

/* The gm-rk card's PCI address, if there is one. */
static int find_card(char *addr, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	int err = -ENODEV;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[300];
		uint64_t vendor, device;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		if (file_read_u64(path, &vendor))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", e->d_name);
		if (file_read_u64(path, &device))
			continue;
		if (vendor == 0x1b36 && device == 0x10f0) {
			snprintf(addr, len, "%s", e->d_name);
			err = 0;
			break;
		}
	}
	closedir(d);
	return err;
}

static bool card_bound(void)
{
	char node[16];

	return !gmrk_pci_node(node, sizeof(node));
}

/*
 * PCI mode: the card removed (sysfs remove: an orderly PCI removal) while
 * threads hammer it, then found again by a bus rescan.
 */
TEST_F_TIMEOUT(life, pci_remove_and_rescan_under_load, 240)
{
	struct load_worker w[LOAD_THREADS];
	unsigned long ok = 0, wrong = 0, errors = 0;
	char addr[64], path[160];
	atomic_bool stop;
	bool back = false;

	if (!test_mode_is_pci())
		SKIP(return, "no gm-rk PCI card outside GMRK_TEST_MODE=pci");
	ASSERT_EQ(0, find_card(addr, sizeof(addr))) TH_LOG("no 1b36:10f0 device");
	atomic_init(&stop, false);
	memset(w, 0, sizeof(w));
	for (int i = 0; i < LOAD_THREADS; i++) {
		w[i].seed = prng_u64(&self->p);
		w[i].max_aad = 256;
		w[i].max_pt = 16384;
		w[i].stop = &stop;
		ASSERT_EQ(0, load_worker_start(&w[i]));
	}
	for (int cycle = 0; cycle < 2; cycle++) {
		wait_progress(w, LOAD_THREADS, 30);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", addr);
		EXPECT_EQ(0, file_write_str(path, "1")) TH_LOG("remove %s", addr);
		EXPECT_FALSE(path_exists(path));
		wait_progress(w, LOAD_THREADS, 30);
		EXPECT_EQ(0, file_write_str("/sys/bus/pci/rescan", "1"));
		for (int i = 0; i < 200 && !(back = card_bound()); i++)
			usleep(50000);
		EXPECT_TRUE(back) TH_LOG("card not bound again after rescan");
		ASSERT_EQ(0, find_card(addr, sizeof(addr)));
	}
	wait_progress(w, LOAD_THREADS, 30);
	atomic_store(&stop, true);
	for (int i = 0; i < LOAD_THREADS; i++) {
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
	EXPECT_LT(0UL, ok);
	traffic(_metadata, &self->p, 10);
}

TEST_HARNESS_MAIN

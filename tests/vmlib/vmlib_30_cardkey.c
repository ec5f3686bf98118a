// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The card master-key provider against a device's key slots, end to end,
 * in both VM modes: the emulation device (sim) and the gm-rk card QEMU
 * emulates (pci, with a second card for the second-device case): libgmrk (gmrk_config.card_key, GMRK_CARD_KEY) and the gmrk
 * CLI (gmrk cardkey, gmrk info, gmrk envelop --to-card-key), which the
 * harness puts at /extra/bin/gmrk.
 *
 *   - gmrk cardkey generate/show/destroy, as root and not, and what
 *     gmrk info (text and --json) says about the slots;
 *   - a key file created with the card provider records the slot and its
 *     public key; blocks sealed under it open, also in a new context from
 *     GMRK_CARD_KEY; another slot is refused before the card is asked;
 *   - gmrk envelop ek-hkdf -> card -> ek-hkdf on a store, every block
 *     opening at each step, a second run reporting "already";
 *   - a second device with a different key in the same slot number: files
 *     of either device open through the one that holds their key, whatever
 *     device the configuration names; creating needs the device named;
 *   - a destroyed slot, and a new key in it: the clear error, and the key
 *     file left byte for byte;
 *   - /dev/gmrkN unreadable (not root), no device at all, the device
 *     removed in the middle of an unwrap (ENODEV), each with its message.
 *
 * The slots used are destroyed at the end, the second device removed.
 *
 * Device 0 is the one the harness made (sim: gmrk_sim0; pci: the first
 * gm-rk card in PCI slot order). Device 1 is what the second-device case
 * adds and takes away again: in sim mode an emulation device created and
 * deleted on the gmrk_sim bus, in pci mode the second card QEMU was given
 * (-device gmrk,id=card1), unbound from gmrk at the start and bound again
 * for that case. The removal in the middle of an unwrap needs the
 * emulation device's latency knob and skips, with the reason, in pci mode.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * The uapi's struct gmrk_stats (GMRK_IOC_STATS) and libgmrk's share a
 * name; this file uses only the key-slot ioctls, so the uapi one is
 * renamed here.
 */
#define gmrk_stats gmrk_uapi_stats
#include <linux/gmrk.h>
#undef gmrk_stats

#include "common.h"
#include "th_keys.h"
#include "vmlib.h"

#define EK_OLD	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define EK_NEW	"f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f"
#define NOBODY	65534
#define NBLK	6

extern char **environ;

/* the device of sim0, the slots used, its public key in slot S */
static char dev0[16], node0[32];
static unsigned int nslots, S, T;
static uint8_t pub0[GMRK_KEY_PUB_LEN];
static char *k1;	/* a card key file of sim0's slot S (test_keyfile) */

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ------------------------------------------------- the ioctls, directly */

static int dev_fd(const char *node)
{
	int fd = open(node, O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static void k_info(const char *node, struct gmrk_info *in)
{
	int fd = dev_fd(node);

	memset(in, 0, sizeof(*in));
	in->size = sizeof(*in);
	assert_int_equal(ioctl(fd, GMRK_IOC_INFO, in), 0);
	close(fd);
}

/* GMRK_IOC_KEY_GEN or GMRK_IOC_KEY_PUB: 0 or -errno */
static int k_pubop(const char *node, unsigned long req, unsigned int slot, uint8_t *pub)
{
	struct gmrk_key_pub kp = { .size = sizeof(kp), .slot = slot };
	int fd = dev_fd(node), rc;

	rc = ioctl(fd, req, &kp) ? -errno : 0;
	close(fd);
	if (!rc && pub)
		memcpy(pub, kp.pub, GMRK_KEY_PUB_LEN);
	return rc;
}

static int k_destroy(const char *node, unsigned int slot)
{
	struct gmrk_key_slot ks = { .size = sizeof(ks), .slot = slot };
	int fd = dev_fd(node), rc;

	rc = ioctl(fd, GMRK_IOC_KEY_DESTROY, &ks) ? -errno : 0;
	close(fd);
	return rc;
}

/* ------------------------------------------------ the devices, by mode */

/*
 * The mode is GMRK_TEST_MODE's (vm_pci()), not vm_sim(): that one also
 * wants sim0's debugfs directory, which is gone while sim0 is deleted.
 */

#define PCI_DEVS	"/sys/bus/pci/devices"
#define PCI_DRV		"/sys/bus/pci/drivers/gmrk"
#define MAX_CARDS	8

/* pci mode: the gm-rk cards' PCI slots, in order */
static char cards[MAX_CARDS][32];
static unsigned int ncards;

static int slot_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool file_is(const char *dir, const char *file, const char *want)
{
	char path[300], v[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", PCI_DEVS, dir, file);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(v, sizeof(v), f))
		v[0] = '\0';
	fclose(f);
	v[strcspn(v, "\n")] = '\0';
	return !strcmp(v, want);
}

/* the gm-rk cards on the PCI bus (vendor/device in sysfs), in slot order */
static void pci_scan(void)
{
	DIR *d = opendir(PCI_DEVS);
	struct dirent *de;

	assert_non_null(d);
	ncards = 0;
	while ((de = readdir(d)) && ncards < MAX_CARDS)
		if (de->d_name[0] != '.' && file_is(de->d_name, "vendor", "0x1b36") &&
		    file_is(de->d_name, "device", "0x10f0"))
			snprintf(cards[ncards++], sizeof(cards[0]), "%.31s", de->d_name);
	closedir(d);
	qsort(cards, ncards, sizeof(cards[0]), slot_cmp);
}

/* device @id added (sim: created on the gmrk_sim bus; pci: bound to gmrk) */
static int dev_add(unsigned int id)
{
	char arg[16];

	if (!vm_pci()) {
		snprintf(arg, sizeof(arg), "%u %u", id, id ? 2 : 4);
		return vm_write(SIM_NEW, arg);
	}
	return id < ncards ? vm_write(PCI_DRV "/bind", cards[id]) : -ENODEV;
}

/* device @id taken away (sim: deleted; pci: unbound from gmrk) */
static int dev_del(unsigned int id)
{
	char arg[16];

	if (!vm_pci()) {
		snprintf(arg, sizeof(arg), "%u", id);
		return vm_write(SIM_DEL, arg);
	}
	return id < ncards ? vm_write(PCI_DRV "/unbind", cards[id]) : -ENODEV;
}

/* the gmrkN of device @id into @name (and /dev/gmrkN into @node) */
static void dev_node(unsigned int id, char name[16], char node[32])
{
	char dir[96];
	struct dirent *de;
	DIR *d;
	int tries;

	if (!vm_pci())
		snprintf(dir, sizeof(dir), "/sys/bus/gmrk_sim/devices/gmrk_sim%u/gmrk", id);
	else if (id < ncards)
		snprintf(dir, sizeof(dir), PCI_DEVS "/%s/gmrk", cards[id]);
	else
		fail_msg("no gm-rk card %u (%u on the PCI bus)", id, ncards);
	for (tries = 0; tries < 50; tries++) {
		d = opendir(dir);
		name[0] = '\0';
		while (d && (de = readdir(d)))
			if (!strncmp(de->d_name, "gmrk", 4))
				snprintf(name, 16, "%.15s", de->d_name);
		if (d)
			closedir(d);
		snprintf(node, 32, "/dev/%s", name);
		if (name[0] && !access(node, F_OK))
			return;
		msleep(100);
	}
	fail_msg("no gmrk node for device %u (%s)", id, dir);
}

/* ------------------------------------------------------------ the CLI */

struct run {
	int status;
	char *out, *err;
};

static const char *cli(void)
{
	const char *p = getenv("GMRK_TEST_CLI");

	return p && *p ? p : "/extra/bin/gmrk";
}

/*
 * gmrk @argv (NULL-terminated, without "gmrk") with no GMRK_* variable
 * but those of @env ("NAME=value", NULL-terminated), as @uid (0: as is).
 */
static struct run run(const char *const *env, uid_t uid, const char *const *argv)
{
	int out[2], err[2];
	struct run r = { 0 };
	size_t cap[2] = { 4096, 4096 }, len[2] = { 0, 0 };
	char *buf[2];
	pid_t pid;
	int st;

	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		const char *args[32];
		int n = 0;

		dup2(out[1], 1);
		dup2(err[1], 2);
		for (char **e = environ; *e;)
			if (!strncmp(*e, "GMRK_", 5) && strncmp(*e, "GMRK_TEST_", 10)) {
				char name[128];
				size_t l = strcspn(*e, "=");

				snprintf(name, sizeof(name), "%.*s", (int)l, *e);
				unsetenv(name);
			} else {
				e++;
			}
		for (; env && *env; env++)
			putenv((char *)*env);
		if (uid && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			_exit(126);
		args[n++] = "gmrk";
		for (; *argv && n < 31; argv++)
			args[n++] = *argv;
		args[n] = NULL;
		execv(cli(), (char *const *)args);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	buf[0] = malloc(cap[0] + 1);
	buf[1] = malloc(cap[1] + 1);
	{
		struct pollfd pf[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };
		int open_fds = 2;

		while (open_fds) {
			assert_true(poll(pf, 2, -1) > 0);
			for (int i = 0; i < 2; i++) {
				ssize_t n;

				if (pf[i].fd < 0 || !pf[i].revents)
					continue;
				if (len[i] == cap[i])
					buf[i] = realloc(buf[i], (cap[i] *= 2) + 1);
				n = read(pf[i].fd, buf[i] + len[i], cap[i] - len[i]);
				if (n <= 0) {
					close(pf[i].fd);
					pf[i].fd = -1;
					open_fds--;
				} else {
					len[i] += (size_t)n;
				}
			}
		}
	}
	buf[0][len[0]] = '\0';
	buf[1][len[1]] = '\0';
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = buf[0];
	r.err = buf[1];
	return r;
}

#define ENV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NOENV NULL

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* @text has a line exactly @line */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, line, n) && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/* -------------------------------------------------------- libgmrk side */

static gmrk_ctx *card_ctx(const char *spec)
{
	struct gmrk_config cfg;
	gmrk_error err;
	gmrk_ctx *ctx;

	gmrk_config_init(&cfg);
	cfg.flags = GMRK_CFG_IGNORE_ENV;
	cfg.card_key = spec;
	ctx = gmrk_ctx_new(&cfg, &err);
	if (!ctx)
		fail_msg("card context '%s': %s", spec, err.message);
	return ctx;
}

/* blocks of a key: sealed once, opened again under any context */
struct blocks {
	uint8_t pt[NBLK][3000], ct[NBLK][3000 + GMRK_OVERHEAD];
	size_t len[NBLK], clen[NBLK];
};

static void seal_blocks(gmrk_ctx *ctx, gmrk_key *k, struct blocks *b)
{
	gmrk_error err;

	for (int i = 0; i < NBLK; i++) {
		b->len[i] = 1 + (size_t)i * 550;
		th_fill(b->pt[i], b->len[i]);
		if (gmrk_seal(ctx, k, (uint64_t)i, "card", 4, b->pt[i], b->len[i], b->ct[i],
			      sizeof(b->ct[i]), &b->clen[i], &err))
			fail_msg("seal %d: %s", i, err.message);
	}
}

static void open_blocks(gmrk_ctx *ctx, gmrk_key *k, const struct blocks *b)
{
	uint8_t back[3000];
	gmrk_error err;
	size_t n;

	for (int i = 0; i < NBLK; i++) {
		if (gmrk_open(ctx, k, (uint64_t)i, "card", 4, b->ct[i], b->clen[i], back,
			      sizeof(back), &n, NULL, &err))
			fail_msg("open %d: %s", i, err.message);
		assert_int_equal(n, b->len[i]);
		assert_memory_equal(back, b->pt[i], n);
	}
}

/* the card parameters of the first entry of key file @path */
static void card_params(const char *path, unsigned int *slot, uint8_t pub[65], size_t *w)
{
	size_t len, A;
	uint8_t *b = tk_slurp(path, &len);

	assert_true(len > 28);
	assert_int_equal(b[9], GMRK_PROVIDER_CARD);
	A = b[11];
	assert_int_equal((b[24] << 8 | b[25]), 101 + (b[28 + A + 99] << 8 | b[28 + A + 100]));
	*slot = (unsigned int)(b[28 + A + 32] << 8 | b[28 + A + 33]);
	memcpy(pub, b + 28 + A + 34, 65);
	*w = (size_t)(b[28 + A + 99] << 8 | b[28 + A + 100]);
	free(b);
}

static int provider_of(const char *path)
{
	size_t len;
	uint8_t *b = tk_slurp(path, &len);
	int p = len > 9 ? b[9] : -1;

	free(b);
	return p;
}

/* gmrk_key_open must fail with @code and exactly the message @fmt */
static void open_fails(gmrk_ctx *ctx, const char *path, unsigned int flags, int code,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void open_fails(gmrk_ctx *ctx, const char *path, unsigned int flags, int code,
		       const char *fmt, ...)
{
	char want[GMRK_ERRMSG_LEN];
	gmrk_error err;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	assert_null(gmrk_key_open(ctx, path, NULL, flags, &err));
	assert_string_equal(err.message, want);
	assert_int_equal(err.code, code);
}

/* ---------------------------------------------------------------- tests */

static void test_slots_reported(void **s)
{
	struct gmrk_info in;
	char line[96];
	struct run r;

	(void)s;
	if (vm_pci()) {
		/* the first card alone, as in sim mode; the others wait for test_second_device */
		pci_scan();
		assert_true(ncards >= 1);
		for (unsigned int i = 1; i < ncards; i++)
			assert_int_equal(dev_del(i), 0);
	} else {
		assert_true(vm_sim());
	}
	dev_node(0, dev0, node0);
	k_info(node0, &in);
	assert_true(in.caps & GMRK_INFO_CAP_KEYSLOTS);
	assert_true(in.key_slots >= 2 && in.key_slots <= 32);
	assert_int_equal(in.key_slot_map, 0);	/* a fresh device: no key yet */
	nslots = in.key_slots;
	S = nslots > 2 ? 2 : nslots - 1;
	T = S - 1;
	r = run(NOENV, 0, ARGV("info"));
	assert_int_equal(r.status, 0);
	snprintf(line, sizeof(line), "    key slots  %u, 0 in use", nslots);
	assert_true(has_line(r.out, line));
	run_free(&r);
}

static void test_cli_cardkey(void **s)
{
	char h[2 * GMRK_KEY_PUB_LEN + 1], line[256], want[256], slot[8], slot2[8];
	uint8_t pub[GMRK_KEY_PUB_LEN];
	struct run r;

	(void)s;
	snprintf(slot, sizeof(slot), "%u", S);
	snprintf(slot2, sizeof(slot2), "%u", T);
	r = run(NOENV, 0, ARGV("cardkey", "generate", "--slot", slot));
	assert_int_equal(r.status, 0);
	assert_int_equal(k_pubop(node0, GMRK_IOC_KEY_PUB, S, pub0), 0);
	assert_int_equal(pub0[0], 0x04);
	hex(pub0, sizeof(pub0), h);
	snprintf(line, sizeof(line), "card key generated: %s slot %u", dev0, S);
	assert_true(has_line(r.out, line));
	snprintf(line, sizeof(line), "public key: %s", h);
	assert_true(has_line(r.out, line));
	snprintf(line, sizeof(line), "  export GMRK_CARD_KEY=%u", S);
	assert_true(has_line(r.out, line));
	snprintf(line, sizeof(line), "  gmrk envelop --to-card-key %u --store DIR", S);
	assert_true(has_line(r.out, line));
	run_free(&r);

	/* the slot is taken now */
	r = run(NOENV, 0, ARGV("cardkey", "generate", "--device", dev0, "--slot", slot));
	assert_int_equal(r.status, 2);
	snprintf(want, sizeof(want),
		 "gmrk cardkey: slot %u of %s already holds a key (%.16s...); pick an empty slot (gmrk cardkey show)\n",
		 S, dev0, h);
	assert_string_equal(r.err, want);
	run_free(&r);
	assert_int_equal(k_pubop(node0, GMRK_IOC_KEY_PUB, S, pub), 0);
	assert_memory_equal(pub, pub0, sizeof(pub));

	/* show: every device, the slot's public key; one slot on request */
	r = run(NOENV, 0, ARGV("cardkey", "show"));
	assert_int_equal(r.status, 0);
	snprintf(line, sizeof(line), "  slot %-3u %s", S, h);
	assert_true(has_line(r.out, line));
	run_free(&r);
	r = run(NOENV, 0, ARGV("cardkey", "show", "--slot", slot2));
	assert_int_equal(r.status, 0);
	snprintf(line, sizeof(line), "  slot %-3u empty", T);
	assert_true(has_line(r.out, line));
	snprintf(line, sizeof(line), "  slot %-3u %s", S, h);
	assert_false(has_line(r.out, line));
	run_free(&r);

	/* gmrk info, text and JSON */
	r = run(NOENV, 0, ARGV("info"));
	assert_int_equal(r.status, 0);
	snprintf(line, sizeof(line), "    key slots  %u, 1 in use: %u", nslots, S);
	assert_true(has_line(r.out, line));
	run_free(&r);
	r = run(NOENV, 0, ARGV("info", "--json"));
	assert_int_equal(r.status, 0);
	{
		char *c = r.out, *w = r.out;

		for (; *c; c++)	/* no whitespace: the layout does not matter */
			if (*c != ' ' && *c != '\n')
				*w++ = *c;
		*w = '\0';
		snprintf(want, sizeof(want), "\"key_slots\":%u,\"key_slots_in_use\":[%u]", nslots, S);
		assert_non_null(strstr(r.out, want));
	}
	run_free(&r);

	/* destroy without --yes: refused, with the reason, slot kept */
	r = run(NOENV, 0, ARGV("cardkey", "destroy", "--slot", slot));
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "not destroyed: "));
	assert_non_null(strstr(r.err, "every key file wrapped to it becomes unreadable for good"));
	run_free(&r);
	assert_int_equal(k_pubop(node0, GMRK_IOC_KEY_PUB, S, pub), 0);
	assert_memory_equal(pub, pub0, sizeof(pub));
	/* destroying an empty slot, a slot that does not exist */
	r = run(NOENV, 0, ARGV("cardkey", "destroy", "--slot", slot2, "--yes"));
	assert_int_equal(r.status, 2);
	snprintf(want, sizeof(want), "gmrk cardkey: slot %u of %s is empty\n", T, dev0);
	assert_string_equal(r.err, want);
	run_free(&r);
	if (nslots < 32) {
		char big[8];

		snprintf(big, sizeof(big), "%u", nslots);
		r = run(NOENV, 0, ARGV("cardkey", "generate", "--slot", big));
		assert_int_equal(r.status, 2);
		snprintf(want, sizeof(want), "gmrk cardkey: %s has no slot %u\n", dev0, nslots);
		assert_string_equal(r.err, want);
		run_free(&r);
	}
	/* not root: /dev/gmrkN is root's (mode 0600) */
	r = run(NOENV, NOBODY, ARGV("cardkey", "generate", "--slot", slot2));
	assert_int_equal(r.status, 2);
	snprintf(want, sizeof(want), "gmrk cardkey: permission denied on %s\n", node0);
	assert_string_equal(r.err, want);
	run_free(&r);
	assert_int_equal(k_pubop(node0, GMRK_IOC_KEY_PUB, T, NULL), -ENOKEY);
}

static void test_keyfile(void **s)
{
	char spec[8], other[32], env[32];
	uint8_t pub[65];
	unsigned int slot;
	size_t w;
	struct gmrk_key_info info;
	struct blocks *b = calloc(1, sizeof(*b));
	gmrk_ctx *ctx;
	gmrk_key *k;
	char *k9;

	(void)s;
	snprintf(spec, sizeof(spec), "%u", S);
	snprintf(other, sizeof(other), "%s:%u", dev0, T);
	k1 = th_path("k1.key");
	ctx = card_ctx(spec);
	k = th_key_ok(ctx, k1, GMRK_KEY_CREATE | GMRK_KEY_EXCL);
	assert_int_equal(gmrk_key_info(k, &info), 0);
	assert_int_equal(info.provider, GMRK_PROVIDER_CARD);
	seal_blocks(ctx, k, b);
	open_blocks(ctx, k, b);
	gmrk_key_free(k);
	gmrk_ctx_free(ctx);
	/* the file records the slot and its public key, the raw ciphertext */
	card_params(k1, &slot, pub, &w);
	assert_int_equal(slot, S);
	assert_memory_equal(pub, pub0, sizeof(pub));
	assert_int_equal(w, 97 + 32);

	/* a new context from the environment: blocks open */
	snprintf(env, sizeof(env), "%u", S);
	unsetenv("GMRK_KEY");
	setenv("GMRK_CARD_KEY", env, 1);
	ctx = gmrk_ctx_new(NULL, NULL);
	assert_non_null(ctx);
	unsetenv("GMRK_CARD_KEY");
	k = th_key_ok(ctx, k1, 0);
	assert_int_equal(gmrk_key_info(k, &info), 0);
	assert_int_equal(info.provider, GMRK_PROVIDER_CARD);
	open_blocks(ctx, k, b);
	gmrk_key_free(k);
	gmrk_ctx_free(ctx);

	/* another slot: refused before the card is asked; creating in an empty one */
	ctx = card_ctx(other);
	open_fails(ctx, k1, 0, GMRK_E_WRONG_KEY,
		   "key file '%s' of asset 'k1': card key: wrapped to slot %u, but gmrk_config.card_key names slot %u",
		   k1, S, T);
	k9 = th_path("k9.key");
	open_fails(ctx, k9, GMRK_KEY_CREATE, GMRK_E_NOKEY,
		   "key file '%s' of asset 'k9': card key: slot %u of %s is empty (gmrk cardkey generate --device %s --slot %u)",
		   k9, T, dev0, dev0, T);
	gmrk_ctx_free(ctx);
	snprintf(other, sizeof(other), "%u", T);
	ctx = card_ctx(other);
	open_fails(ctx, k9, GMRK_KEY_CREATE, GMRK_E_NOKEY,
		   "key file '%s' of asset 'k9': card key: no gm-rk device holds a key in slot %u (%s: slot %u empty); gmrk cardkey generate --slot %u",
		   k9, T, dev0, T, T);
	gmrk_ctx_free(ctx);
	assert_int_equal(access(k9, F_OK), -1);
	free(k9);
	free(b);
}

static void test_envelop(void **s)
{
	static const char *const names[] = { "orders", "users", "logs" };
	struct blocks *b = calloc(3, sizeof(*b));
	char *store = th_path("store"), spec[8], line[128], *paths[3];
	uint8_t ids[3][GMRK_KEY_ID_LEN];
	gmrk_ctx *ek = th_ctx_ek(EK_OLD, 0, 0), *card, *ek2;
	struct gmrk_key_info info;
	struct run r;
	int i;

	(void)s;
	snprintf(spec, sizeof(spec), "%u", S);
	assert_int_equal(mkdir(store, 0700), 0);
	for (i = 0; i < 3; i++) {
		gmrk_key *k;

		assert_true(asprintf(&paths[i], "%s/%s.key", store, names[i]) > 0);
		k = th_key_ok(ek, paths[i], GMRK_KEY_CREATE);
		seal_blocks(ek, k, &b[i]);
		assert_int_equal(gmrk_key_info(k, &info), 0);
		memcpy(ids[i], info.id, sizeof(ids[i]));
		gmrk_key_free(k);
	}
	/* ek-hkdf -> card */
	r = run(ENV("GMRK_KEY=" EK_OLD), 0, ARGV("envelop", "--to-card-key", spec, "--store", store));
	if (r.status)
		fail_msg("envelop to the card: %s%s", r.out, r.err);
	assert_true(has_line(r.out, "3 key files: 3 rewrapped, 0 already under the new key, 0 failed"));
	snprintf(line, sizeof(line), "  export GMRK_CARD_KEY=%u", S);
	assert_true(has_line(r.out, line));
	run_free(&r);
	card = card_ctx(spec);
	for (i = 0; i < 3; i++) {
		gmrk_key *k = th_key_ok(card, paths[i], 0);

		assert_int_equal(provider_of(paths[i]), GMRK_PROVIDER_CARD);
		assert_int_equal(gmrk_key_info(k, &info), 0);
		assert_memory_equal(info.id, ids[i], GMRK_KEY_ID_LEN);
		open_blocks(card, k, &b[i]);
		gmrk_key_free(k);
	}
	/* again: nothing to do */
	r = run(ENV("GMRK_KEY=" EK_OLD), 0, ARGV("envelop", "--to-card-key", spec, "--store", store));
	assert_int_equal(r.status, 0);
	assert_true(has_line(r.out, "3 key files: 0 rewrapped, 3 already under the new key, 0 failed"));
	run_free(&r);
	/* card -> ek-hkdf (a new one), the card as the current master key */
	snprintf(line, sizeof(line), "GMRK_CARD_KEY=%u", S);
	r = run(ENV(line, "NEW_KEY=" EK_NEW), 0,
		ARGV("envelop", "--to-key-env", "NEW_KEY", "--store", store));
	if (r.status)
		fail_msg("envelop from the card: %s%s", r.out, r.err);
	assert_true(has_line(r.out, "3 key files: 3 rewrapped, 0 already under the new key, 0 failed"));
	assert_true(has_line(r.out, "  unset GMRK_SM2_PUBLIC_KEY GMRK_SM2_PRIVATE_KEY_FILE GMRK_TPM_KEYS_FILE GMRK_CARD_KEY"));
	run_free(&r);
	ek2 = th_ctx_ek(EK_NEW, 0, 0);
	for (i = 0; i < 3; i++) {
		gmrk_key *k = th_key_ok(ek2, paths[i], 0);

		assert_int_equal(provider_of(paths[i]), GMRK_PROVIDER_EK_HKDF);
		assert_int_equal(gmrk_key_info(k, &info), 0);
		assert_memory_equal(info.id, ids[i], GMRK_KEY_ID_LEN);
		open_blocks(ek2, k, &b[i]);
		gmrk_key_free(k);
		/* and no longer under the card */
		open_fails(card, paths[i], 0, GMRK_E_WRONG_KEY,
			   "key file '%s' needs a 32-byte hex key as master key, but the configured card key is a card-held SM2 key",
			   paths[i]);
	}
	gmrk_ctx_free(ek);
	gmrk_ctx_free(ek2);
	gmrk_ctx_free(card);
	for (i = 0; i < 3; i++)
		free(paths[i]);
	free(store);
	free(b);
}

static void test_second_device(void **s)
{
	char dev1[16], node1[32], spec[8], named[24], *k2 = th_path("k2.key"), *dir;
	uint8_t pub1[65], pub[65], *before;
	size_t blen, w;
	unsigned int slot;
	struct gmrk_info in;
	struct blocks *b = calloc(1, sizeof(*b));
	gmrk_ctx *ctx;
	gmrk_key *k;
	int n;

	(void)s;
	if (vm_pci() && ncards < 2) {
		printf("# pci mode with one gm-rk card: the second-device case needs a second card (-device gmrk,id=card1)\n");
		free(k2);
		free(b);
		skip();
	}
	snprintf(spec, sizeof(spec), "%u", S);
	assert_int_equal(dev_add(1), 0);
	dev_node(1, dev1, node1);
	k_info(node1, &in);
	assert_int_equal(in.key_slot_map, 0);
	assert_int_equal(k_pubop(node1, GMRK_IOC_KEY_GEN, S, pub1), 0);
	assert_memory_not_equal(pub1, pub0, sizeof(pub1));

	/* k1 (sim0's key) opens through sim0, whichever device is named */
	ctx = card_ctx(spec);
	gmrk_key_free(th_key_ok(ctx, k1, 0));
	gmrk_ctx_free(ctx);
	snprintf(named, sizeof(named), "%s:%u", dev1, S);
	ctx = card_ctx(named);
	gmrk_key_free(th_key_ok(ctx, k1, 0));

	/* a key file wrapped to the second device's key */
	k = th_key_ok(ctx, k2, GMRK_KEY_CREATE | GMRK_KEY_EXCL);
	seal_blocks(ctx, k, b);
	gmrk_key_free(k);
	gmrk_ctx_free(ctx);
	card_params(k2, &slot, pub, &w);
	assert_int_equal(slot, S);
	assert_memory_equal(pub, pub1, sizeof(pub));
	/* opened by slot number only: sim0 comes first but has another key there */
	ctx = card_ctx(spec);
	k = th_key_ok(ctx, k2, 0);
	open_blocks(ctx, k, b);
	gmrk_key_free(k);
	gmrk_key_free(th_key_ok(ctx, k1, 0));	/* and back to sim0 for k1 */
	/* creating with the slot alone is ambiguous now */
	{
		char *k3 = th_path("k3.key");

		open_fails(ctx, k3, GMRK_KEY_CREATE, GMRK_E_INVAL,
			   "key file '%s' of asset 'k3': card key: %s and %s both hold a key in slot %u: name the device (gmrk_config.card_key=%s:%u)",
			   k3, dev0, dev1, S, dev0, S);
		assert_int_equal(access(k3, F_OK), -1);
		free(k3);
	}
	gmrk_ctx_free(ctx);

	/* the second device's slot destroyed: k2 opens nowhere, and says why */
	dir = th_path("");
	n = tk_count(dir);
	before = tk_slurp(k2, &blen);
	assert_int_equal(k_destroy(node1, S), 0);
	ctx = card_ctx(spec);
	open_fails(ctx, k2, 0, GMRK_E_WRONG_KEY,
		   "key file '%s' of asset 'k2': card key: no gm-rk device holds the public key of slot %u recorded in the key file (%s: slot %u holds another key; %s: slot %u empty)",
		   k2, S, dev0, S, dev1, S);
	/* a new key in that slot is not the old one */
	assert_int_equal(k_pubop(node1, GMRK_IOC_KEY_GEN, S, NULL), 0);
	open_fails(ctx, k2, GMRK_KEY_CREATE, GMRK_E_WRONG_KEY,
		   "key file '%s' of asset 'k2': card key: no gm-rk device holds the public key of slot %u recorded in the key file (%s: slot %u holds another key; %s: slot %u holds another key)",
		   k2, S, dev0, S, dev1, S);
	gmrk_ctx_free(ctx);
	tk_holds(k2, before, blen);
	assert_int_equal(tk_count(dir), n);
	assert_int_equal(k_destroy(node1, S), 0);
	assert_int_equal(dev_del(1), 0);
	free(before);
	free(dir);
	free(k2);
	free(b);
}

/* what gmrk_key_open of @path under card key @spec says, as uid @uid */
static void open_as(uid_t uid, const char *spec, const char *path, gmrk_error *out)
{
	int p[2];
	pid_t pid;
	int st;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct gmrk_config cfg;
		gmrk_error err = { 0 };
		gmrk_ctx *ctx;
		gmrk_key *k;

		close(p[0]);
		if (setgroups(0, NULL) || setgid(uid) || setuid(uid))
			_exit(1);
		gmrk_config_init(&cfg);
		cfg.flags = GMRK_CFG_IGNORE_ENV;
		cfg.card_key = spec;
		ctx = gmrk_ctx_new(&cfg, &err);
		k = ctx ? gmrk_key_open(ctx, path, NULL, 0, &err) : NULL;
		if (k)
			err.code = 0;
		gmrk_key_free(k);
		gmrk_ctx_free(ctx);
		_exit(write(p[1], &err, sizeof(err)) == (ssize_t)sizeof(err) ? 0 : 1);
	}
	close(p[1]);
	assert_int_equal(read(p[0], out, sizeof(*out)), (ssize_t)sizeof(*out));
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && !WEXITSTATUS(st));
}

static void test_destroyed_slot_and_access(void **s)
{
	char spec[8], slot[8], line[256], h[131], *dir = th_path("nobody"), *k4;
	uint8_t *before;
	size_t blen;
	gmrk_error err;
	gmrk_ctx *ctx;
	struct run r;

	(void)s;
	snprintf(spec, sizeof(spec), "%u", S);
	snprintf(slot, sizeof(slot), "%u", S);
	/* /dev/gmrkN is root's: an engine running as another user is told so */
	assert_int_equal(chmod(th_tmpdir(), 0711), 0);	/* nobody may pass through */
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chown(dir, NOBODY, NOBODY), 0);
	assert_true(asprintf(&k4, "%s/k4.key", dir) > 0);
	ctx = card_ctx(spec);
	gmrk_key_free(th_key_ok(ctx, k4, GMRK_KEY_CREATE));
	gmrk_ctx_free(ctx);
	assert_int_equal(chown(k4, NOBODY, NOBODY), 0);
	open_as(NOBODY, spec, k4, &err);
	assert_int_equal(err.code, GMRK_E_PERM);
	snprintf(line, sizeof(line),
		 "key file '%s' of asset 'k4': card key: permission denied on %s (%s: permission denied)",
		 k4, node0, dev0);
	assert_string_equal(err.message, line);

	/* the CLI destroys the slot */
	hex(pub0, sizeof(pub0), h);
	before = tk_slurp(k1, &blen);
	r = run(NOENV, 0, ARGV("cardkey", "destroy", "--slot", slot, "--yes"));
	assert_int_equal(r.status, 0);
	snprintf(line, sizeof(line), "destroyed: %s slot %u", dev0, S);
	assert_true(has_line(r.out, line));
	snprintf(line, sizeof(line), "public key was: %s", h);
	assert_true(has_line(r.out, line));
	assert_true(has_line(r.out, "warning: key files wrapped to this key can no longer be opened"));
	run_free(&r);
	assert_int_equal(k_pubop(node0, GMRK_IOC_KEY_PUB, S, NULL), -ENOKEY);
	ctx = card_ctx(spec);
	open_fails(ctx, k1, 0, GMRK_E_WRONG_KEY,
		   "key file '%s' of asset 'k1': card key: no gm-rk device holds the public key of slot %u recorded in the key file (%s: slot %u empty)",
		   k1, S, dev0, S);
	gmrk_ctx_free(ctx);
	tk_holds(k1, before, blen);
	r = run(NOENV, 0, ARGV("cardkey", "show", "--slot", slot));
	assert_int_equal(r.status, 0);
	snprintf(line, sizeof(line), "  slot %-3u empty", S);
	assert_true(has_line(r.out, line));
	run_free(&r);
	free(before);
	free(k4);
	free(dir);
}

struct opener {
	gmrk_ctx *ctx;
	const char *path;
	gmrk_error err;
	gmrk_key *key;
};

static void *opener_run(void *arg)
{
	struct opener *o = arg;

	o->key = gmrk_key_open(o->ctx, o->path, NULL, 0, &o->err);
	return NULL;
}

static void test_device_gone(void **s)
{
	char spec[8], *k5;
	uint8_t *before;
	size_t blen;
	struct opener o = { 0 };
	pthread_t th;
	gmrk_ctx *ctx;

	(void)s;
	VM_NEED_SIM("the emulation device's latency knob, to remove it in the middle of an unwrap");
	k5 = th_path("k5.key");
	snprintf(spec, sizeof(spec), "%u", S);
	assert_int_equal(k_pubop(node0, GMRK_IOC_KEY_GEN, S, NULL), 0);
	ctx = card_ctx(spec);
	gmrk_key_free(th_key_ok(ctx, k5, GMRK_KEY_CREATE));
	before = tk_slurp(k5, &blen);

	/* removed while the card works on the unwrap */
	assert_int_equal(vm_write(SIM_DBG "/latency_us", "1500000"), 0);
	o.ctx = ctx;
	o.path = k5;
	assert_int_equal(pthread_create(&th, NULL, opener_run, &o), 0);
	msleep(300);
	assert_int_equal(dev_del(0), 0);
	pthread_join(th, NULL);
	assert_null(o.key);
	{
		char want[GMRK_ERRMSG_LEN];

		snprintf(want, sizeof(want),
			 "key file '%s' of asset 'k5': card key: %s went away (No such device); a card-held key has no software fallback",
			 k5, dev0);
		assert_string_equal(o.err.message, want);
		assert_int_equal(o.err.code, GMRK_E_IO);
		assert_int_equal(o.err.sys_errno, ENODEV);
	}
	/* and with no device at all */
	open_fails(ctx, k5, 0, GMRK_E_UNSUPPORTED,
		   "key file '%s' of asset 'k5': card key: no gm-rk device (/dev/gmrk*) found; only the card can unwrap (no software fallback)",
		   k5);
	gmrk_ctx_free(ctx);
	tk_holds(k5, before, blen);
	free(before);
	free(k5);
	/* the device back as the harness made it, every slot empty */
	assert_int_equal(dev_add(0), 0);
	dev_node(0, dev0, node0);
	{
		struct gmrk_info in;

		k_info(node0, &in);
		for (unsigned int i = 0; i < in.key_slots; i++)
			if (in.key_slot_map & (1u << i))
				assert_int_equal(k_destroy(node0, i), 0);
		k_info(node0, &in);
		assert_int_equal(in.key_slot_map, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots_reported),
		cmocka_unit_test(test_cli_cardkey),
		cmocka_unit_test(test_keyfile),
		cmocka_unit_test(test_envelop),
		cmocka_unit_test(test_second_device),
		cmocka_unit_test(test_destroyed_slot_and_access),
		cmocka_unit_test(test_device_gone),
	};

	return TH_RUN("libgmrk card key", tests);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Master-key rotation: gmrk_key_rewrap and gmrk envelop.
 *
 * EK hex -> new EK hex and EK -> passphrase, blocks sealed before open
 * after; EK -> SM2 key pair -> EK; EK -> TPM (swtpm) -> EK; multi-version key files (built here from the documented layout)
 * keep every version; a second run reports "already"; a file under
 * neither key, or corrupt, is refused and left byte for byte; and the
 * crash test: the sanitized gmrk envelop on 20 key files SIGKILLed at
 * random points 100 times, alternating the direction of the rotation so
 * every run has work, with every key file opening under the old or the
 * new master key with its original asset keys after each kill, and a
 * final complete run converting everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "internal.h"
#include "keys/sm2.h"
#include "../keys/th_keys.h"

#define EK_OLD	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define EK_NEW	"f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f"
#define EK_PASS	"correct horse battery staple"
#define NFILES	20
#define NKILLS	100

static const char ad[] = "asset";
static const char payload[] = "a block sealed before the rotation";

static void same_keys(const gmrk_key *a, const gmrk_key *b)
{
	assert_int_equal(a->nver, b->nver);
	assert_memory_equal(a->id, b->id, GMRK_KEY_ID_LEN);
	for (int i = 0; i < a->nver; i++) {
		assert_int_equal(a->ver[i].version, b->ver[i].version);
		assert_memory_equal(a->ver[i].aek, b->ver[i].aek, GMRK_KEY_LEN);
	}
}

/* a block sealed under @k, opened after the rotation under @k2 */
static void rotate_and_open(const char *old_ek, const char *new_ek, const char *name,
			    unsigned int want_provider)
{
	gmrk_ctx *from = th_ctx_ek(old_ek, GMRK_CIPHER_AES_GCM, 0);
	gmrk_ctx *to = th_ctx_ek(new_ek, GMRK_CIPHER_CHACHA20_POLY1305, 0);
	char *path = th_path(name);
	uint8_t sealed[sizeof(payload) + GMRK_OVERHEAD], out[sizeof(payload)];
	struct gmrk_key_info info;
	size_t n, m;
	gmrk_error err;
	gmrk_key *k = th_key_ok(from, path, GMRK_KEY_CREATE | GMRK_KEY_EXCL), *k2;
	struct stat st;

	assert_int_equal(gmrk_seal(from, k, 3, ad, sizeof(ad), payload, sizeof(payload),
				   sealed, sizeof(sealed), &n, &err), 0);
	assert_int_equal(gmrk_key_rewrap(from, to, path, NULL, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* the old master key no longer opens it, the new one does */
	assert_null(gmrk_key_open(from, path, NULL, 0, &err));
	assert_int_equal(err.code, GMRK_E_WRONG_KEY);
	k2 = th_key_ok(to, path, 0);
	same_keys(k, k2);
	assert_int_equal(gmrk_key_info(k2, &info), 0);
	assert_int_equal(info.provider, want_provider);
	assert_int_equal(info.wrap_cipher, GMRK_CIPHER_CHACHA20_POLY1305);
	assert_int_equal(gmrk_open(to, k2, 3, ad, sizeof(ad), sealed, n, out, sizeof(out),
				   &m, NULL, &err), 0);
	assert_int_equal(m, sizeof(payload));
	assert_memory_equal(out, payload, m);
	/* a second run: already done, nothing written */
	assert_int_equal(gmrk_key_rewrap(from, to, path, NULL, &err), 1);
	gmrk_key_free(k);
	gmrk_key_free(k2);
	gmrk_ctx_free(from);
	gmrk_ctx_free(to);
	free(path);
}

static void test_hex_to_hex(void **state)
{
	(void)state;
	rotate_and_open(EK_OLD, EK_NEW, "hex.key", GMRK_PROVIDER_EK_HKDF);
}

static void test_hex_to_passphrase(void **state)
{
	(void)state;
	rotate_and_open(EK_OLD, EK_PASS, "pass.key", GMRK_PROVIDER_EK_SCRYPT);
}

/* EK hex -> an SM2 key pair -> EK hex again: the provider changes both ways */
static void test_sm2_both_ways(void **state)
{
	char *pem = th_path("master-sm2.pem"), *path = th_path("sm2.key"), hex[131];
	gmrk_ctx *ek = th_ctx_ek(EK_OLD, 0, 0), *sm2;
	struct gmrk_key_info info;
	struct gmrk_config cfg;
	gmrk_sm2 *pair;
	gmrk_error err;
	gmrk_key *k, *k2;

	(void)state;
	pair = gmrk_sm2_generate(&err);
	assert_non_null(pair);
	assert_int_equal(gmrk_sm2_public_hex(pair, hex), 0);
	assert_int_equal(gmrk_sm2_write_private(pair, pem, "2468", 4, 10, &err), 0);
	gmrk_sm2_free(pair);
	gmrk_config_init(&cfg);
	cfg.backend = GMRK_BACKEND_SOFT;
	cfg.flags = GMRK_CFG_IGNORE_ENV;
	cfg.sm2_public_key = hex;
	cfg.sm2_private_key_file = pem;
	cfg.sm2_pincode = "2468";
	sm2 = gmrk_ctx_new(&cfg, &err);
	if (!sm2)
		fail_msg("gmrk_ctx_new: %s", err.message);
	k = th_key_ok(ek, path, GMRK_KEY_CREATE | GMRK_KEY_EXCL);
	assert_int_equal(gmrk_key_rewrap(ek, sm2, path, NULL, &err), 0);
	k2 = th_key_ok(sm2, path, 0);
	same_keys(k, k2);
	assert_int_equal(gmrk_key_info(k2, &info), 0);
	assert_int_equal(info.provider, GMRK_PROVIDER_SM2);
	gmrk_key_free(k2);
	assert_int_equal(gmrk_key_rewrap(ek, sm2, path, NULL, &err), 1);
	assert_int_equal(gmrk_key_rewrap(sm2, ek, path, NULL, &err), 0);
	k2 = th_key_ok(ek, path, 0);
	same_keys(k, k2);
	gmrk_key_free(k);
	gmrk_key_free(k2);
	gmrk_ctx_free(ek);
	gmrk_ctx_free(sm2);
	free(pem);
	free(path);
}

static struct tk_swtpm tpm;
static bool have_tpm;
static char tpm_why[256];

static gmrk_ctx *tpm_ctx(const char *keys_file)
{
	struct gmrk_config cfg;
	gmrk_error err;
	gmrk_ctx *ctx;

	gmrk_config_init(&cfg);
	cfg.backend = GMRK_BACKEND_SOFT;
	cfg.flags = GMRK_CFG_IGNORE_ENV;
	cfg.tpm_keys_file = keys_file;
	cfg.tpm_encryption_password = "tpm-password";
	cfg.tpm_tcti = tpm.tcti;
	ctx = gmrk_ctx_new(&cfg, &err);
	if (!ctx)
		fail_msg("gmrk_ctx_new: %s", err.message);
	return ctx;
}

/* EK hex -> a TPM-sealed key (swtpm) -> EK hex again */
static void test_tpm_both_ways(void **state)
{
	char *keys = th_path("tpm.keys"), *path = th_path("tpm.key");
	gmrk_ctx *ek, *t;
	struct gmrk_key_info info;
	gmrk_error err;
	gmrk_key *k, *k2;

	(void)state;
	if (!have_tpm) {
		print_message("# swtpm cannot start: %s\n", tpm_why);
		skip();
	}
	ek = th_ctx_ek(EK_OLD, 0, 0);
	t = tpm_ctx(keys);
	k = th_key_ok(ek, path, GMRK_KEY_CREATE | GMRK_KEY_EXCL);
	assert_int_equal(gmrk_key_rewrap(ek, t, path, NULL, &err), 0);
	gmrk_ctx_free(t);
	t = tpm_ctx(keys);	/* a new context unseals the stored key again */
	k2 = th_key_ok(t, path, 0);
	same_keys(k, k2);
	assert_int_equal(gmrk_key_info(k2, &info), 0);
	assert_int_equal(info.provider, GMRK_PROVIDER_TPM);
	gmrk_key_free(k2);
	assert_int_equal(gmrk_key_rewrap(ek, t, path, NULL, &err), 1);
	assert_int_equal(gmrk_key_rewrap(t, ek, path, NULL, &err), 0);
	k2 = th_key_ok(ek, path, 0);
	same_keys(k, k2);
	gmrk_key_free(k);
	gmrk_key_free(k2);
	gmrk_ctx_free(ek);
	gmrk_ctx_free(t);
	free(keys);
	free(path);
}

/*
 * A key file with versions 1, 2 and 5 of one key, built from the
 * documented layout (block-format.rst, "Key files"): ek-hkdf, AES-GCM,
 * KEK = HKDF-SHA256(EK, salt, "gmrk-kek-v1" 0 asset).
 */
static void write_versions(gmrk_ctx *ctx, const char *path, const char *asset,
			   const uint8_t aeks[3][GMRK_KEY_LEN])
{
	static const uint32_t versions[3] = { 1, 2, 5 };
	uint8_t ek[32], buf[3 * 200], kek[32], info[64];
	size_t off = 0, n, ilen;
	gmrk_error err;
	FILE *f;

	assert_int_equal(gmrk__hex_decode(EK_OLD, 64, ek, sizeof(ek), &n), 0);
	memcpy(info, "gmrk-kek-v1", 12);
	memcpy(info + 12, asset, strlen(asset));
	ilen = 12 + strlen(asset);
	for (int i = 0; i < 3; i++) {
		struct gmrk_kf_entry e;
		size_t head;

		memset(&e, 0, sizeof(e));
		e.provider = GMRK_PROVIDER_EK_HKDF;
		e.wrap = GMRK_CIPHER_AES_GCM;
		e.version = versions[i];
		memcpy(e.id, "multikey", GMRK_KEY_ID_LEN);
		snprintf(e.asset, sizeof(e.asset), "%s", asset);
		th_fill(e.salt, sizeof(e.salt));
		th_fill(e.nonce, sizeof(e.nonce));
		head = gmrk__kf_encode_head(&e, buf + off, sizeof(buf) - off);
		assert_true(head > 0);
		assert_int_equal(gmrk__hkdf(ek, 32, e.salt, GMRK_KF_SALT, info, ilen,
					    kek, sizeof(kek)), 0);
		memcpy(buf + off + head, e.nonce, GMRK_NONCE_LEN);
		assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_AES_GCM, kek, 32, e.nonce,
						   GMRK_NONCE_LEN, buf + off, head, aeks[i],
						   GMRK_KEY_LEN,
						   buf + off + head + GMRK_NONCE_LEN,
						   buf + off + head + GMRK_NONCE_LEN + GMRK_KEY_LEN,
						   &err), 0);
		off += head + GMRK_NONCE_LEN + GMRK_KF_SEALED;
	}
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, off, f), off);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, 0600), 0);
}

static void test_multi_version(void **state)
{
	gmrk_ctx *from = th_ctx_ek(EK_OLD, 0, 0), *to = th_ctx_ek(EK_NEW, 0, 0);
	uint8_t aeks[3][GMRK_KEY_LEN];
	char *path = th_path("multi.key");
	gmrk_error err;
	gmrk_key *k, *k2;

	(void)state;
	th_fill(aeks, sizeof(aeks));
	write_versions(from, path, "multi", aeks);
	k = th_key_ok(from, path, 0);
	assert_int_equal(k->nver, 3);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(k->ver[i].aek, aeks[i], GMRK_KEY_LEN);
	assert_int_equal(gmrk_key_rewrap(from, to, path, NULL, &err), 0);
	k2 = th_key_ok(to, path, 0);
	same_keys(k, k2);
	assert_int_equal(k2->ver[2].version, 5);
	gmrk_key_free(k);
	gmrk_key_free(k2);
	gmrk_ctx_free(from);
	gmrk_ctx_free(to);
	free(path);
}

/* under a third key, or corrupt: refused with the reason, file unchanged */
static void test_refused_unchanged(void **state)
{
	gmrk_ctx *other = th_ctx_ek(EK_PASS, 0, 0);
	gmrk_ctx *from = th_ctx_ek(EK_OLD, 0, 0), *to = th_ctx_ek(EK_NEW, 0, 0);
	char *path = th_path("other.key"), *bad = th_path("bad.key");
	uint8_t *before, *after;
	size_t blen, alen;
	gmrk_error err;
	FILE *f;

	(void)state;
	gmrk_key_free(th_key_ok(other, path, GMRK_KEY_CREATE));
	before = tk_slurp(path, &blen);
	assert_true(gmrk_key_rewrap(from, to, path, NULL, &err) < 0);
	assert_int_equal(err.code, GMRK_E_WRONG_KEY);
	assert_non_null(strstr(err.message, "opens under neither master key"));
	after = tk_slurp(path, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(before, after, blen);
	free(after);
	/* truncated by one byte */
	f = fopen(bad, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(before, 1, blen - 1, f), blen - 1);
	fclose(f);
	assert_int_equal(chmod(bad, 0600), 0);
	assert_true(gmrk_key_rewrap(from, to, bad, NULL, &err) < 0);
	assert_int_equal(err.code, GMRK_E_TRUNCATED);
	after = tk_slurp(bad, &alen);
	assert_int_equal(alen, blen - 1);
	assert_memory_equal(before, after, alen);
	free(after);
	free(before);
	gmrk_ctx_free(other);
	gmrk_ctx_free(from);
	gmrk_ctx_free(to);
	free(path);
	free(bad);
}

/* ------------------------------------------------------------ kill test */

static char *kill_dir;
static char *kill_path[NFILES];
static uint8_t kill_aek[NFILES][GMRK_KEY_LEN];

/* runs the sanitized gmrk envelop from @from_ek to @to_ek on kill_dir */
static pid_t start_cli(const char *from_ek, const char *to_ek)
{
	const char *cli = getenv("GMRK_TEST_ENVELOP_CLI");
	pid_t pid;

	assert_non_null(cli);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		setenv("GMRK_KEY", from_ek, 1);
		setenv("GMRK_TEST_NEW_KEY", to_ek, 1);
		setenv("GMRK_BACKEND", "soft", 1);
		execl(cli, "envelop", "--to-key-env", "GMRK_TEST_NEW_KEY", "--store", kill_dir,
		      (char *)NULL);
		_exit(127);	/* not exit(): the parent's atexit removes the tmpdir */
	}
	return pid;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* every file opens under one of the two keys with its original AEK; returns how many under @ctx_new */
static int check_all(gmrk_ctx *ctx_old, gmrk_ctx *ctx_new)
{
	int under_new = 0;

	for (int i = 0; i < NFILES; i++) {
		gmrk_error e1, e2;
		gmrk_key *k = gmrk_key_open(ctx_old, kill_path[i], NULL, 0, &e1);

		if (!k) {
			k = gmrk_key_open(ctx_new, kill_path[i], NULL, 0, &e2);
			if (!k)
				fail_msg("'%s' opens under neither key: %s / %s", kill_path[i],
					 e1.message, e2.message);
			under_new++;
		}
		assert_int_equal(k->nver, 1);
		assert_memory_equal(k->ver[0].aek, kill_aek[i], GMRK_KEY_LEN);
		gmrk_key_free(k);
	}
	return under_new;
}

static int wait_status(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void test_kill(void **state)
{
	const char *ek[2] = { EK_OLD, EK_NEW };
	gmrk_ctx *ctx[2] = { th_ctx_ek(EK_OLD, 0, 0), th_ctx_ek(EK_NEW, 0, 0) };
	uint64_t t0, full;
	char *sub;
	int st, killed = 0, finished = 0, mixed = 0, n;

	(void)state;
	kill_dir = th_path("store");
	assert_int_equal(mkdir(kill_dir, 0700), 0);
	sub = th_path("store/db");
	assert_int_equal(mkdir(sub, 0700), 0);
	free(sub);
	for (int i = 0; i < NFILES; i++) {
		char name[64];
		gmrk_key *k;

		/* half in a database-like subdirectory, as gmrk db lays them out */
		snprintf(name, sizeof(name), i < NFILES / 2 ? "store/asset%02d.key" :
			 "store/db/asset%02d.key", i);
		kill_path[i] = th_path(name);
		k = th_key_ok(ctx[0], kill_path[i], GMRK_KEY_CREATE | GMRK_KEY_EXCL);
		memcpy(kill_aek[i], k->ver[0].aek, GMRK_KEY_LEN);
		gmrk_key_free(k);
	}
	/* one complete run, to time it: every file moves to the new key */
	t0 = now_us();
	st = wait_status(start_cli(ek[0], ek[1]));
	full = now_us() - t0;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(check_all(ctx[0], ctx[1]), NFILES);
	if (full < 2000)
		full = 2000;
	for (int round = 0; round < NKILLS; round++) {
		/* odd rounds go back to the old key: there is always work */
		int dir = (round + 1) % 2;
		uint64_t delay = th_rand() % full;
		pid_t pid = start_cli(ek[dir], ek[!dir]);

		usleep((useconds_t)delay);
		if (kill(pid, SIGKILL))
			assert_int_equal(errno, ESRCH);
		st = wait_status(pid);
		if (WIFSIGNALED(st))
			killed++;
		else
			finished++;
		n = check_all(ctx[0], ctx[1]);
		mixed += n > 0 && n < NFILES;
	}
	print_message("# %d runs killed (%d left old and new key files side by side), %d finished first (one full run %.1f ms)\n",
		      killed, mixed, finished, (double)full / 1000);
	assert_true(killed > 0);
	/* a final complete run converts everything to the new key */
	st = wait_status(start_cli(ek[0], ek[1]));
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(check_all(ctx[0], ctx[1]), NFILES);
	gmrk_ctx_free(ctx[0]);
	gmrk_ctx_free(ctx[1]);
	for (int i = 0; i < NFILES; i++)
		free(kill_path[i]);
	free(kill_dir);
}

/* gmrk envelop: usage errors exit 2; a file under neither key exits 1, named */
static void test_cli_status(void **state)
{
	const char *cli = getenv("GMRK_TEST_ENVELOP_CLI");
	char cmd[2048], *good = th_path("cli-good.key"), *bad = th_path("cli-bad.key");
	gmrk_ctx *from = th_ctx_ek(EK_OLD, 0, 0), *other = th_ctx_ek(EK_PASS, 0, 0);
	FILE *p;
	char line[512];
	bool named = false;
	int st;

	(void)state;
	assert_non_null(cli);
	gmrk_key_free(th_key_ok(from, good, GMRK_KEY_CREATE));
	gmrk_key_free(th_key_ok(other, bad, GMRK_KEY_CREATE));
	snprintf(cmd, sizeof(cmd), "%s %s", cli, good);
	st = system(cmd);
	assert_int_equal(WEXITSTATUS(st), 2);	/* no --to-* */
	snprintf(cmd, sizeof(cmd),
		 "GMRK_KEY=%s NEWK=%s %s --to-key-env NEWK %s %s 2>/dev/null",
		 EK_OLD, EK_NEW, cli, good, bad);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		assert_null(strstr(line, EK_NEW));	/* never a secret */
		if (!strncmp(line, "FAILED", 6) && strstr(line, bad))
			named = true;
	}
	st = pclose(p);
	assert_int_equal(WEXITSTATUS(st), 1);
	assert_true(named);
	gmrk_ctx_free(from);
	gmrk_ctx_free(other);
	free(good);
	free(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_to_hex),
		cmocka_unit_test(test_hex_to_passphrase),
		cmocka_unit_test(test_sm2_both_ways),
		cmocka_unit_test(test_tpm_both_ways),
		cmocka_unit_test(test_multi_version),
		cmocka_unit_test(test_refused_unchanged),
		cmocka_unit_test(test_cli_status),
		cmocka_unit_test(test_kill),
	};

	int rc;

	setenv("TSS2_LOG", "all+none", 0);
	have_tpm = !tk_swtpm_start(&tpm, tpm_why, sizeof(tpm_why));
	rc = TH_RUN("envelop", tests);
	if (have_tpm)
		tk_swtpm_stop(&tpm);
	return rc;
}

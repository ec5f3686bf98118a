// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Master key and key files: creation (mode 0600, no temporary file left),
 * reopening, wrong master key (the precise message, nothing deleted or
 * changed), passphrases (scrypt), provider mismatch, every bit flip and
 * every truncation of a key file, missing and existing files, file modes,
 * no master key, the master key from a file and from the environment.
 * Key versions: gmrk_key_add_version (round trip, old blocks open, new
 * blocks name the new version, the version limit, damaged files left
 * byte for byte, processes adding at once, SIGKILL at random points) and
 * gmrk_key_drop_versions.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "keys/th_keys.h"

#define EK1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define EK2 "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static char *fresh_dir(const char *name)
{
	char *p = th_path(name);

	assert_int_equal(mkdir(p, 0700), 0);
	return p;
}

static void test_create_and_reopen(void **s)
{
	char *dir = fresh_dir("create"), path[600];
	uint8_t pt[50], ct[50 + GMRK_OVERHEAD], out[50];
	struct gmrk_key_info i1, i2;
	struct stat st;
	gmrk_error err;
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0);
	gmrk_key *k1, *k2;
	size_t outlen;

	(void)s;
	snprintf(path, sizeof(path), "%s/stream1.key", dir);
	k1 = gmrk_key_open(ctx, path, NULL, 0, &err);
	assert_null(k1);
	assert_int_equal(err.code, GMRK_E_NOENT);
	k1 = gmrk_key_open(ctx, path, NULL, GMRK_KEY_CREATE, &err);
	if (!k1)
		fail_msg("%s", err.message);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 28 + 7 + 32 + 12 + 48);	/* asset "stream1" */
	assert_int_equal(tk_count(dir), 1);		/* no temporary left */
	k2 = gmrk_key_open(ctx, path, "stream1", GMRK_KEY_CREATE, &err);
	assert_non_null(k2);
	assert_int_equal(gmrk_key_info(k1, &i1), 0);
	assert_int_equal(gmrk_key_info(k2, &i2), 0);
	assert_memory_equal(i1.id, i2.id, GMRK_KEY_ID_LEN);
	assert_int_equal(i1.version, 1);
	assert_int_equal(i1.provider, GMRK_PROVIDER_EK_HKDF);
	assert_int_equal(i1.wrap_cipher, GMRK_CIPHER_AES_GCM);
	assert_string_equal(i2.asset, "stream1");
	th_fill(pt, sizeof(pt));
	assert_int_equal(gmrk_seal(ctx, k1, 3, NULL, 0, pt, sizeof(pt), ct, sizeof(ct), &outlen,
				   &err), 0);
	assert_int_equal(gmrk_open(ctx, k2, 3, NULL, 0, ct, outlen, out, sizeof(out), &outlen,
				   NULL, &err), 0);
	assert_memory_equal(out, pt, sizeof(pt));
	assert_int_equal(gmrk_key_info(k1, &i1), 0);
	assert_int_equal(i1.sealed, 0);
	/* CREATE|EXCL refuses an existing file, and leaves it alone */
	assert_null(gmrk_key_open(ctx, path, NULL, GMRK_KEY_CREATE | GMRK_KEY_EXCL, &err));
	assert_int_equal(err.code, GMRK_E_EXISTS);
	assert_int_equal(stat(path, &st), 0);
	gmrk_key_free(k1);
	gmrk_key_free(k2);
	gmrk_ctx_free(ctx);
	free(dir);
}

static void wrong_ek(enum gmrk_cipher wrap, const char *want_cipher)
{
	char *dir = fresh_dir(want_cipher), path[600], want[800];
	size_t len1, len2;
	uint8_t *before, *after;
	gmrk_error err;
	gmrk_ctx *good = th_ctx_ek(EK1, wrap, 0), *bad = th_ctx_ek(EK2, wrap, 0);
	gmrk_key *k;

	snprintf(path, sizeof(path), "%s/stream1.key", dir);
	k = gmrk_key_open(good, path, NULL, GMRK_KEY_CREATE, &err);
	assert_non_null(k);
	gmrk_key_free(k);
	before = tk_slurp(path, &len1);
	/* even with CREATE, a wrong key never leads to a new file */
	assert_null(gmrk_key_open(bad, path, NULL, GMRK_KEY_CREATE, &err));
	assert_int_equal(err.code, GMRK_E_WRONG_KEY);
	snprintf(want, sizeof(want), "error decrypting key file '%s': %s: message authentication failed",
		 path, want_cipher);
	assert_string_equal(err.message, want);
	after = tk_slurp(path, &len2);
	assert_int_equal(len1, len2);
	assert_memory_equal(before, after, len1);
	assert_int_equal(tk_count(dir), 1);
	/* and the right key still opens it */
	k = gmrk_key_open(good, path, NULL, 0, &err);
	assert_non_null(k);
	gmrk_key_free(k);
	free(before);
	free(after);
	gmrk_ctx_free(good);
	gmrk_ctx_free(bad);
	free(dir);
}

static void test_wrong_ek_sm4(void **s) { (void)s; wrong_ek(GMRK_CIPHER_SM4_GCM, "sm4-gcm"); }
static void test_wrong_ek_aes(void **s) { (void)s; wrong_ek(GMRK_CIPHER_AES_GCM, "aes-gcm"); }
static void test_wrong_ek_chacha(void **s)
{
	(void)s;
	wrong_ek(GMRK_CIPHER_CHACHA20_POLY1305, "chacha20-poly1305");
}

static void test_passphrase(void **s)
{
	char *path = th_path("pass.key");
	gmrk_ctx *ctx = th_ctx_ek("correct horse battery staple", 0, 0);
	gmrk_ctx *other = th_ctx_ek("correct horse battery stapler", 0, 0);
	gmrk_ctx *hex = th_ctx_ek(EK1, 0, 0);
	struct gmrk_key_info info;
	uint8_t id[GMRK_KEY_ID_LEN];
	gmrk_error err;
	gmrk_key *k;

	(void)s;
	k = gmrk_key_open(ctx, path, "db", GMRK_KEY_CREATE, &err);
	if (!k)
		fail_msg("%s", err.message);
	assert_int_equal(gmrk_key_info(k, &info), 0);
	assert_int_equal(info.provider, GMRK_PROVIDER_EK_SCRYPT);
	memcpy(id, info.id, sizeof(id));
	gmrk_key_free(k);
	k = gmrk_key_open(ctx, path, "db", 0, &err);
	assert_non_null(k);
	assert_int_equal(gmrk_key_info(k, &info), 0);
	assert_memory_equal(info.id, id, sizeof(id));
	gmrk_key_free(k);
	assert_null(gmrk_key_open(other, path, "db", 0, &err));
	assert_int_equal(err.code, GMRK_E_WRONG_KEY);
	assert_non_null(strstr(err.message, "message authentication failed"));
	/* a 32-byte hex key cannot open a passphrase key file, and says why */
	assert_null(gmrk_key_open(hex, path, "db", 0, &err));
	assert_int_equal(err.code, GMRK_E_WRONG_KEY);
	assert_non_null(strstr(err.message, "needs a passphrase"));
	/* nor the other way round */
	k = gmrk_key_open(hex, path, "db2", GMRK_KEY_CREATE, &err);
	assert_null(k);	/* the file exists and belongs to asset db */
	assert_non_null(strstr(err.message, "belongs to asset 'db'"));
	gmrk_ctx_free(ctx);
	gmrk_ctx_free(other);
	gmrk_ctx_free(hex);
	free(path);
}

static void test_every_bit_flip(void **s)
{
	char *path = th_path("flip.key"), *copy = th_path("flip-copy.key");
	gmrk_ctx *ctx = th_ctx_ek(EK1, GMRK_CIPHER_CHACHA20_POLY1305, 0);
	uint8_t *orig, *now;
	size_t len, len2, bit;
	gmrk_error err;
	gmrk_key *k;

	(void)s;
	k = gmrk_key_open(ctx, path, "asset-x", GMRK_KEY_CREATE, &err);
	assert_non_null(k);
	gmrk_key_free(k);
	orig = tk_slurp(path, &len);
	for (bit = 0; bit < 8 * len; bit++) {
		uint8_t *bad = malloc(len);

		memcpy(bad, orig, len);
		bad[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		tk_spit(copy, bad, len, 0600);
		k = gmrk_key_open(ctx, copy, "asset-x", 0, &err);
		if (k)
			fail_msg("bit %zu: a corrupt key file opened", bit);
		assert_true(err.code == GMRK_E_CORRUPT || err.code == GMRK_E_UNSUPPORTED ||
			    err.code == GMRK_E_WRONG_KEY || err.code == GMRK_E_TRUNCATED);
		/* nothing was changed or removed */
		now = tk_slurp(copy, &len2);
		assert_int_equal(len2, len);
		assert_memory_equal(now, bad, len);
		free(now);
		free(bad);
	}
	free(orig);
	gmrk_ctx_free(ctx);
	free(path);
	free(copy);
}

static void test_every_truncation(void **s)
{
	char *path = th_path("trunc.key"), *copy = th_path("trunc-copy.key");
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0);
	uint8_t *orig, *longer;
	size_t len, n;
	gmrk_error err;
	gmrk_key *k;

	(void)s;
	k = gmrk_key_open(ctx, path, "t", GMRK_KEY_CREATE, &err);
	assert_non_null(k);
	gmrk_key_free(k);
	orig = tk_slurp(path, &len);
	for (n = 0; n < len; n++) {
		tk_spit(copy, orig, n, 0600);
		assert_null(gmrk_key_open(ctx, copy, "t", GMRK_KEY_CREATE, &err));
		assert_int_equal(err.code, GMRK_E_TRUNCATED);
	}
	/* trailing bytes that are no entry */
	longer = malloc(len + 3);
	memcpy(longer, orig, len);
	memcpy(longer + len, "xyz", 3);
	tk_spit(copy, longer, len + 3, 0600);
	assert_null(gmrk_key_open(ctx, copy, "t", 0, &err));
	assert_int_equal(err.code, GMRK_E_CORRUPT);
	/* two entries with different key ids */
	{
		char *p2 = th_path("trunc2.key");
		uint8_t *o2, *both;
		size_t l2;

		k = gmrk_key_open(ctx, p2, "t", GMRK_KEY_CREATE, &err);
		assert_non_null(k);
		gmrk_key_free(k);
		o2 = tk_slurp(p2, &l2);
		both = malloc(len + l2);
		memcpy(both, orig, len);
		memcpy(both + len, o2, l2);
		tk_spit(copy, both, len + l2, 0600);
		assert_null(gmrk_key_open(ctx, copy, "t", 0, &err));
		assert_int_equal(err.code, GMRK_E_CORRUPT);
		assert_non_null(strstr(err.message, "inconsistent"));
		free(o2);
		free(both);
		free(p2);
	}
	free(longer);
	free(orig);
	gmrk_ctx_free(ctx);
	free(path);
	free(copy);
}

static void test_modes_and_paths(void **s)
{
	char *path = th_path("mode.key");
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0), *nokey = th_ctx(GMRK_BACKEND_SOFT, 0, 0);
	gmrk_error err;
	gmrk_key *k;

	(void)s;
	k = gmrk_key_open(ctx, path, NULL, GMRK_KEY_CREATE, &err);
	assert_non_null(k);
	gmrk_key_free(k);
	assert_int_equal(chmod(path, 0644), 0);
	assert_null(gmrk_key_open(ctx, path, NULL, 0, &err));
	assert_int_equal(err.code, GMRK_E_PERM);
	assert_non_null(strstr(err.message, "0644"));
	assert_int_equal(chmod(path, 0640), 0);
	assert_null(gmrk_key_open(ctx, path, NULL, 0, &err));
	assert_int_equal(err.code, GMRK_E_PERM);
	assert_int_equal(chmod(path, 0400), 0);
	k = gmrk_key_open(ctx, path, NULL, 0, &err);
	assert_non_null(k);
	gmrk_key_free(k);
	/* no master key configured */
	assert_null(gmrk_key_open(nokey, path, NULL, 0, &err));
	assert_int_equal(err.code, GMRK_E_NOKEY);
	assert_non_null(strstr(err.message, "GMRK_KEY"));
	/* a directory that does not exist: an I/O error, nothing created */
	assert_null(gmrk_key_open(ctx, "/nonexistent-gmrk-dir/x.key", NULL, GMRK_KEY_CREATE, &err));
	assert_int_equal(err.code, GMRK_E_IO);
	assert_int_equal(err.sys_errno, ENOENT);
	/* not a key file at all */
	{
		char *junk = th_path("junk.key");

		tk_spit(junk, (const uint8_t *)"hello, world, this is no key file at all", 40, 0600);
		assert_null(gmrk_key_open(ctx, junk, NULL, 0, &err));
		assert_int_equal(err.code, GMRK_E_CORRUPT);
		assert_non_null(strstr(err.message, "not a gmrk key file"));
		free(junk);
	}
	/* bad arguments */
	assert_null(gmrk_key_open(ctx, NULL, NULL, 0, &err));
	assert_int_equal(err.code, GMRK_E_INVAL);
	assert_null(gmrk_key_open(ctx, "x.key", "", 0, &err));
	assert_int_equal(err.code, GMRK_E_INVAL);
	assert_null(gmrk_key_from_bytes(ctx, (const uint8_t *)"short", 5,
					(const uint8_t *)"12345678", 1, &err));
	assert_int_equal(err.code, GMRK_E_INVAL);
	gmrk_ctx_free(ctx);
	gmrk_ctx_free(nokey);
	free(path);
}

static void test_master_key_sources(void **s)
{
	char *ekf = th_path("master.hex"), *kf = th_path("src.key");
	struct gmrk_config cfg;
	gmrk_error err;
	gmrk_ctx *ctx, *ctx2;
	gmrk_key *k;

	(void)s;
	tk_spit(ekf, (const uint8_t *)EK1 "\n", 65, 0600);
	gmrk_config_init(&cfg);
	cfg.flags = GMRK_CFG_IGNORE_ENV;
	cfg.master_key_file = ekf;
	ctx = gmrk_ctx_new(&cfg, &err);
	if (!ctx)
		fail_msg("%s", err.message);
	k = gmrk_key_open(ctx, kf, NULL, GMRK_KEY_CREATE, &err);
	assert_non_null(k);
	gmrk_key_free(k);
	/* the same key from the environment opens it (trailing newline was not key) */
	setenv("GMRK_TEST_EK", EK1, 1);
	gmrk_config_init(&cfg);
	cfg.master_key_env = "GMRK_TEST_EK";
	ctx2 = gmrk_ctx_new(&cfg, &err);
	assert_non_null(ctx2);
	k = gmrk_key_open(ctx2, kf, NULL, 0, &err);
	if (!k)
		fail_msg("%s", err.message);
	gmrk_key_free(k);
	gmrk_ctx_free(ctx2);
	unsetenv("GMRK_TEST_EK");
	gmrk_ctx_free(ctx);
	/* a master key file others can read is refused at context creation */
	assert_int_equal(chmod(ekf, 0644), 0);
	gmrk_config_init(&cfg);
	cfg.flags = GMRK_CFG_IGNORE_ENV;
	cfg.master_key_file = ekf;
	assert_null(gmrk_ctx_new(&cfg, &err));
	assert_int_equal(err.code, GMRK_E_PERM);
	/* empty and missing master key files */
	tk_spit(ekf, (const uint8_t *)"\n", 1, 0600);
	assert_null(gmrk_ctx_new(&cfg, &err));
	assert_int_equal(err.code, GMRK_E_INVAL);
	cfg.master_key_file = "/nonexistent-gmrk/master";
	assert_null(gmrk_ctx_new(&cfg, &err));
	assert_int_equal(err.code, GMRK_E_NOENT);
	free(ekf);
	free(kf);
}

/* Environment: GMRK_BACKEND and GMRK_THRESHOLD_* are parsed and checked. */
static void test_environment(void **s)
{
	struct gmrk_config cfg;
	struct gmrk_stats st;
	gmrk_error err;
	gmrk_ctx *ctx;

	(void)s;
	gmrk_config_init(&cfg);
	cfg.flags = GMRK_CFG_NO_MASTER_KEY;
	setenv("GMRK_BACKEND", "gpu", 1);
	assert_null(gmrk_ctx_new(&cfg, &err));
	assert_int_equal(err.code, GMRK_E_INVAL);
	assert_non_null(strstr(err.message, "GMRK_BACKEND"));
	setenv("GMRK_BACKEND", "soft", 1);
	setenv("GMRK_THRESHOLD_SM4", "16k", 1);
	setenv("GMRK_THRESHOLD", "never", 1);
	ctx = gmrk_ctx_new(&cfg, &err);
	assert_non_null(ctx);
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	assert_int_equal(st.threshold[GMRK_CIPHER_SM4_GCM], 16384);
	assert_int_equal(st.threshold[GMRK_CIPHER_AES_GCM], SIZE_MAX);
	gmrk_ctx_free(ctx);
	setenv("GMRK_THRESHOLD_AES", "12q", 1);
	assert_null(gmrk_ctx_new(&cfg, &err));
	assert_non_null(strstr(err.message, "GMRK_THRESHOLD_AES"));
	unsetenv("GMRK_BACKEND");
	unsetenv("GMRK_THRESHOLD_SM4");
	unsetenv("GMRK_THRESHOLD");
	unsetenv("GMRK_THRESHOLD_AES");
	/* bad configurations */
	gmrk_config_init(&cfg);
	cfg.flags = GMRK_CFG_NO_MASTER_KEY;
	cfg.cipher = 9;
	assert_null(gmrk_ctx_new(&cfg, &err));
	assert_int_equal(err.code, GMRK_E_UNSUPPORTED);
	cfg.cipher = GMRK_CIPHER_AES_GCM;
	cfg.backend = 7;
	assert_null(gmrk_ctx_new(&cfg, &err));
	assert_int_equal(err.code, GMRK_E_INVAL);
	cfg.backend = GMRK_BACKEND_AUTO;
	cfg.size = 3;
	assert_null(gmrk_ctx_new(&cfg, &err));
	assert_int_equal(err.code, GMRK_E_INVAL);
	ctx = gmrk_ctx_new(NULL, &err);
	assert_non_null(ctx);
	gmrk_ctx_free(ctx);
}

/* Processes racing to create one asset's key file end up sharing one key. */
static void test_create_race(void **s)
{
	enum { NPROC = 6 };
	char *dir = fresh_dir("race"), path[600];
	uint8_t ids[NPROC][GMRK_KEY_ID_LEN];
	int pipes[NPROC][2], i;
	pid_t pid[NPROC];

	(void)s;
	snprintf(path, sizeof(path), "%s/shared.key", dir);
	for (i = 0; i < NPROC; i++) {
		assert_int_equal(pipe(pipes[i]), 0);
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (!pid[i]) {
			gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0);
			gmrk_key *k = gmrk_key_open(ctx, path, NULL, GMRK_KEY_CREATE, NULL);
			struct gmrk_key_info info;

			if (!k || gmrk_key_info(k, &info))
				_exit(1);
			_exit(write(pipes[i][1], info.id, GMRK_KEY_ID_LEN) == GMRK_KEY_ID_LEN ? 0 : 1);
		}
		close(pipes[i][1]);
	}
	for (i = 0; i < NPROC; i++) {
		int status;

		assert_int_equal(read(pipes[i][0], ids[i], GMRK_KEY_ID_LEN), GMRK_KEY_ID_LEN);
		close(pipes[i][0]);
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		assert_memory_equal(ids[i], ids[0], GMRK_KEY_ID_LEN);
	}
	assert_int_equal(tk_count(dir), 1);	/* the key file, no temporaries */
	free(dir);
}

/* the default scrypt cost (2^15) works end to end */
static void test_default_scrypt_cost(void **s)
{
	char *path = th_path("cost.key");
	struct gmrk_config cfg;
	gmrk_error err;
	gmrk_ctx *ctx;
	gmrk_key *k;

	(void)s;
	gmrk_config_init(&cfg);
	cfg.flags = GMRK_CFG_IGNORE_ENV;
	cfg.master_key = "a passphrase of the usual kind";
	cfg.master_key_len = strlen(cfg.master_key);
	ctx = gmrk_ctx_new(&cfg, &err);
	assert_non_null(ctx);
	k = gmrk_key_open(ctx, path, NULL, GMRK_KEY_CREATE, &err);
	if (!k)
		fail_msg("%s", err.message);
	gmrk_key_free(k);
	k = gmrk_key_open(ctx, path, NULL, 0, &err);
	assert_non_null(k);
	gmrk_key_free(k);
	{
		size_t len;
		uint8_t *b = tk_slurp(path, &len);

		/* ek-scrypt, log2 N = 15, r = 8, p = 1 after the 32-byte salt */
		assert_int_equal(b[9], GMRK_PROVIDER_EK_SCRYPT);
		assert_int_equal(b[28 + 4 + 32], 15);
		assert_memory_equal(b + 28 + 4 + 33, "\0\0\0\x08\0\0\0\x01", 8);
		free(b);
	}
	gmrk_ctx_free(ctx);
	free(path);
}

/* ------------------------------------------------------------ key versions */

#define VPT_LEN 64

/* seals a VPT_LEN-byte block at @pos under @k; returns the version its header names */
static uint32_t seal_block(gmrk_ctx *ctx, gmrk_key *k, uint64_t pos,
			   uint8_t out[VPT_LEN + GMRK_OVERHEAD])
{
	uint8_t pt[VPT_LEN];
	struct gmrk_block_info bi;
	gmrk_error err;
	size_t outlen;

	memset(pt, (int)(pos & 0xff), sizeof(pt));
	if (gmrk_seal(ctx, k, pos, NULL, 0, pt, sizeof(pt), out, VPT_LEN + GMRK_OVERHEAD,
		      &outlen, &err))
		fail_msg("seal: %s", err.message);
	assert_int_equal(outlen, VPT_LEN + GMRK_OVERHEAD);
	assert_int_equal(gmrk_block_info(out, outlen, &bi, &err), 0);
	return bi.key_version;
}

/* whether block @b (sealed at @pos by seal_block) opens with @k; @err says why not */
static bool opens(gmrk_ctx *ctx, gmrk_key *k, uint64_t pos,
		  const uint8_t b[VPT_LEN + GMRK_OVERHEAD], gmrk_error *err)
{
	uint8_t out[VPT_LEN], want[VPT_LEN];
	size_t outlen;

	if (gmrk_open(ctx, k, pos, NULL, 0, b, VPT_LEN + GMRK_OVERHEAD, out, sizeof(out),
		      &outlen, NULL, err))
		return false;
	memset(want, (int)(pos & 0xff), sizeof(want));
	assert_int_equal(outlen, VPT_LEN);
	assert_memory_equal(out, want, VPT_LEN);
	return true;
}

static uint32_t newest_version(const gmrk_key *k)
{
	struct gmrk_key_info info;

	assert_int_equal(gmrk_key_info(k, &info), 0);
	return info.version;
}

static void test_add_version(void **s)
{
	char *dir = fresh_dir("addver"), path[600], want[800];
	uint8_t b1[VPT_LEN + GMRK_OVERHEAD], b2[sizeof(b1)], b3[sizeof(b1)];
	uint8_t *v1, *v2;
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0), *bad = th_ctx_ek(EK2, 0, 0);
	struct gmrk_key_info i1, i2;
	size_t l1, l2;
	struct stat st;
	gmrk_error err;
	gmrk_key *k1, *k2, *k3;

	(void)s;
	snprintf(path, sizeof(path), "%s/stream1.key", dir);
	k1 = gmrk_key_open(ctx, path, NULL, GMRK_KEY_CREATE, &err);
	assert_non_null(k1);
	assert_int_equal(seal_block(ctx, k1, 1, b1), 1);
	v1 = tk_slurp(path, &l1);
	k2 = gmrk_key_add_version(ctx, path, NULL, &err);
	if (!k2)
		fail_msg("%s", err.message);
	assert_int_equal(gmrk_key_info(k1, &i1), 0);
	assert_int_equal(gmrk_key_info(k2, &i2), 0);
	assert_int_equal(i2.version, 2);
	assert_memory_equal(i2.id, i1.id, GMRK_KEY_ID_LEN);	/* the key id stays */
	assert_string_equal(i2.asset, "stream1");
	assert_int_equal(i2.provider, GMRK_PROVIDER_EK_HKDF);
	/* version 1 stays byte for byte, version 2 follows: mode 0600, no temporary */
	v2 = tk_slurp(path, &l2);
	assert_int_equal(l2, 2 * l1);
	assert_memory_equal(v2, v1, l1);
	/* the new entry's key version field (offset 12, big endian) */
	assert_memory_equal(v2 + l1 + 12, "\0\0\0\x02", 4);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(tk_count(dir), 1);
	/* new blocks name version 2; the old one still opens */
	assert_int_equal(seal_block(ctx, k2, 2, b2), 2);
	assert_true(opens(ctx, k2, 1, b1, &err));
	assert_true(opens(ctx, k2, 2, b2, &err));
	/* a handle from before keeps sealing version 1, and lacks version 2 */
	assert_int_equal(seal_block(ctx, k1, 3, b3), 1);
	assert_false(opens(ctx, k1, 2, b2, &err));
	assert_int_equal(err.code, GMRK_E_WRONG_KEY);
	assert_non_null(strstr(err.message, "version 2"));
	/* reopened, the file seals version 2 and opens every block */
	k3 = gmrk_key_open(ctx, path, NULL, 0, &err);
	assert_non_null(k3);
	assert_int_equal(newest_version(k3), 2);
	assert_true(opens(ctx, k3, 1, b1, &err));
	assert_true(opens(ctx, k3, 2, b2, &err));
	assert_true(opens(ctx, k3, 3, b3, &err));
	gmrk_key_free(k3);
	/* a wrong master key: refused precisely, nothing written */
	assert_null(gmrk_key_add_version(bad, path, NULL, &err));
	assert_int_equal(err.code, GMRK_E_WRONG_KEY);
	snprintf(want, sizeof(want),
		 "error decrypting key file '%s': aes-gcm: message authentication failed", path);
	assert_string_equal(err.message, want);
	tk_holds(path, v2, l2);
	assert_int_equal(tk_count(dir), 1);
	/* a file of group or others: refused, untouched */
	assert_int_equal(chmod(path, 0640), 0);
	assert_null(gmrk_key_add_version(ctx, path, NULL, &err));
	assert_int_equal(err.code, GMRK_E_PERM);
	assert_int_equal(chmod(path, 0600), 0);
	tk_holds(path, v2, l2);
	/* another asset's file, a missing file (nothing created), bad arguments */
	assert_null(gmrk_key_add_version(ctx, path, "stream2", &err));
	assert_int_equal(err.code, GMRK_E_WRONG_KEY);
	assert_non_null(strstr(err.message, "belongs to asset 'stream1'"));
	snprintf(want, sizeof(want), "%s/missing.key", dir);
	assert_null(gmrk_key_add_version(ctx, want, NULL, &err));
	assert_int_equal(err.code, GMRK_E_NOENT);
	assert_int_equal(tk_count(dir), 1);
	assert_null(gmrk_key_add_version(NULL, path, NULL, &err));
	assert_int_equal(err.code, GMRK_E_INVAL);
	assert_null(gmrk_key_add_version(ctx, path, "", &err));
	assert_int_equal(err.code, GMRK_E_INVAL);
	tk_holds(path, v2, l2);
	free(v1);
	free(v2);
	gmrk_key_free(k1);
	gmrk_key_free(k2);
	gmrk_ctx_free(ctx);
	gmrk_ctx_free(bad);
	/* a passphrase key file: each version gets its own salt and scrypt */
	ctx = th_ctx_ek("correct horse battery staple", 0, 0);
	snprintf(path, sizeof(path), "%s/pass.key", dir);
	k1 = gmrk_key_open(ctx, path, NULL, GMRK_KEY_CREATE, &err);
	assert_non_null(k1);
	assert_int_equal(seal_block(ctx, k1, 1, b1), 1);
	k2 = gmrk_key_add_version(ctx, path, NULL, &err);
	if (!k2)
		fail_msg("%s", err.message);
	assert_int_equal(gmrk_key_info(k2, &i2), 0);
	assert_int_equal(i2.provider, GMRK_PROVIDER_EK_SCRYPT);
	assert_int_equal(i2.version, 2);
	assert_int_equal(seal_block(ctx, k2, 2, b2), 2);
	k3 = gmrk_key_open(ctx, path, NULL, 0, &err);
	assert_non_null(k3);
	assert_true(opens(ctx, k3, 1, b1, &err));
	assert_true(opens(ctx, k3, 2, b2, &err));
	gmrk_key_free(k1);
	gmrk_key_free(k2);
	gmrk_key_free(k3);
	gmrk_ctx_free(ctx);
	free(dir);
}

static void test_version_limit(void **s)
{
	char *dir = fresh_dir("limit"), path[600], want[800];
	uint8_t b1[VPT_LEN + GMRK_OVERHEAD], b16[sizeof(b1)], *full, *now;
	gmrk_ctx *ctx = th_ctx_ek(EK1, GMRK_CIPHER_SM4_GCM, 0);
	size_t lfull, l1, len;
	gmrk_error err;
	gmrk_key *k;
	uint32_t v;

	(void)s;
	snprintf(path, sizeof(path), "%s/full.key", dir);
	k = gmrk_key_open(ctx, path, "full", GMRK_KEY_CREATE, &err);
	assert_non_null(k);
	assert_int_equal(seal_block(ctx, k, 1, b1), 1);
	gmrk_key_free(k);
	now = tk_slurp(path, &l1);
	free(now);
	for (v = 2; v <= GMRK_KEY_MAX_VERSIONS; v++) {
		k = gmrk_key_add_version(ctx, path, "full", &err);
		if (!k)
			fail_msg("version %u: %s", v, err.message);
		assert_int_equal(newest_version(k), v);
		if (v == GMRK_KEY_MAX_VERSIONS)
			assert_int_equal(seal_block(ctx, k, 16, b16), 16);
		gmrk_key_free(k);
	}
	full = tk_slurp(path, &lfull);
	assert_int_equal(lfull, GMRK_KEY_MAX_VERSIONS * l1);
	/* one more: refused, said why, the file as it was */
	assert_null(gmrk_key_add_version(ctx, path, "full", &err));
	assert_int_equal(err.code, GMRK_E_EXHAUSTED);
	snprintf(want, sizeof(want),
		 "key file '%s' holds 16 key versions, the most it can: drop the old ones first",
		 path);
	assert_string_equal(err.message, want);
	tk_holds(path, full, lfull);
	assert_int_equal(tk_count(dir), 1);
	/* all 16 open */
	k = gmrk_key_open(ctx, path, "full", 0, &err);
	assert_non_null(k);
	assert_true(opens(ctx, k, 1, b1, &err));
	assert_true(opens(ctx, k, 16, b16, &err));
	gmrk_key_free(k);
	/* dropping: never the newest; nothing older than 1; below 16 drops 15 */
	assert_int_equal(gmrk_key_drop_versions(ctx, path, "full", 17, &err), -GMRK_E_INVAL);
	snprintf(want, sizeof(want),
		 "key file '%s': dropping the versions below 17 would drop its newest, 16", path);
	assert_string_equal(err.message, want);
	assert_int_equal(gmrk_key_drop_versions(ctx, path, "full", 1, &err), 0);
	tk_holds(path, full, lfull);
	assert_int_equal(gmrk_key_drop_versions(ctx, path, "full", 16, &err), 15);
	now = tk_slurp(path, &len);
	assert_int_equal(len, l1);
	assert_memory_equal(now, full + 15 * l1, l1);	/* version 16, byte for byte */
	free(now);
	assert_int_equal(tk_count(dir), 1);
	k = gmrk_key_open(ctx, path, "full", 0, &err);
	assert_non_null(k);
	assert_int_equal(newest_version(k), 16);
	assert_true(opens(ctx, k, 16, b16, &err));
	assert_false(opens(ctx, k, 1, b1, &err));
	assert_int_equal(err.code, GMRK_E_WRONG_KEY);
	assert_non_null(strstr(err.message, "version 1 of key"));
	gmrk_key_free(k);
	/* and there is room again */
	k = gmrk_key_add_version(ctx, path, "full", &err);
	assert_non_null(k);
	assert_int_equal(newest_version(k), 17);
	gmrk_key_free(k);
	free(full);
	gmrk_ctx_free(ctx);
	free(dir);
}

/* every truncation and bit flip of a two-version file: refused, left byte for byte */
static void test_add_version_damaged(void **s)
{
	char *dir = fresh_dir("damaged"), path[600], copy[600];
	gmrk_ctx *ctx = th_ctx_ek(EK1, GMRK_CIPHER_CHACHA20_POLY1305, 0);
	uint8_t *orig, *bad;
	size_t len, n, bit;
	gmrk_error err;
	gmrk_key *k;

	(void)s;
	snprintf(path, sizeof(path), "%s/d.key", dir);
	snprintf(copy, sizeof(copy), "%s/copy.key", dir);
	k = gmrk_key_open(ctx, path, "d", GMRK_KEY_CREATE, &err);
	assert_non_null(k);
	gmrk_key_free(k);
	k = gmrk_key_add_version(ctx, path, "d", &err);
	assert_non_null(k);
	gmrk_key_free(k);
	orig = tk_slurp(path, &len);
	bad = malloc(len);
	assert_non_null(bad);
	for (n = 0; n < len; n++) {
		if (n == len / 2)
			continue;	/* version 1 alone: a valid file */
		tk_spit(copy, orig, n, 0600);
		assert_null(gmrk_key_add_version(ctx, copy, "d", &err));
		assert_int_equal(err.code, GMRK_E_TRUNCATED);
		assert_true(gmrk_key_drop_versions(ctx, copy, "d", 2, &err) == -GMRK_E_TRUNCATED);
		tk_holds(copy, orig, n);
		assert_int_equal(tk_count(dir), 2);	/* no temporary */
	}
	for (bit = 0; bit < 8 * len; bit++) {
		memcpy(bad, orig, len);
		bad[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		tk_spit(copy, bad, len, 0600);
		k = gmrk_key_add_version(ctx, copy, "d", &err);
		if (k)
			fail_msg("bit %zu: a version was added to a corrupt key file", bit);
		assert_true(err.code == GMRK_E_CORRUPT || err.code == GMRK_E_UNSUPPORTED ||
			    err.code == GMRK_E_WRONG_KEY || err.code == GMRK_E_TRUNCATED);
		assert_true(gmrk_key_drop_versions(ctx, copy, "d", 2, &err) < 0);
		tk_holds(copy, bad, len);
	}
	assert_int_equal(tk_count(dir), 2);
	free(bad);
	free(orig);
	gmrk_ctx_free(ctx);
	free(dir);
}

/* processes adding versions to one file at once: none is lost */
static void test_add_version_race(void **s)
{
	enum { NPROC = 6 };
	char *dir = fresh_dir("vrace"), path[600];
	uint8_t blk[NPROC][VPT_LEN + GMRK_OVERHEAD];
	uint32_t ver[NPROC], seen = 0;
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0);
	int pipes[NPROC][2], i;
	pid_t pid[NPROC];
	gmrk_error err;
	gmrk_key *k;

	(void)s;
	snprintf(path, sizeof(path), "%s/shared.key", dir);
	k = gmrk_key_open(ctx, path, NULL, GMRK_KEY_CREATE, &err);
	assert_non_null(k);
	gmrk_key_free(k);
	for (i = 0; i < NPROC; i++) {
		assert_int_equal(pipe(pipes[i]), 0);
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (!pid[i]) {
			gmrk_ctx *c = th_ctx_ek(EK1, 0, 0);
			gmrk_key *mine = gmrk_key_add_version(c, path, NULL, NULL);
			uint8_t b[VPT_LEN + GMRK_OVERHEAD];
			uint32_t v;

			if (!mine)
				_exit(1);
			v = seal_block(c, mine, (uint64_t)i, b);
			_exit(write(pipes[i][1], &v, sizeof(v)) == sizeof(v) &&
			      write(pipes[i][1], b, sizeof(b)) == sizeof(b) ? 0 : 1);
		}
		close(pipes[i][1]);
	}
	for (i = 0; i < NPROC; i++) {
		int status;

		assert_int_equal(read(pipes[i][0], &ver[i], sizeof(ver[i])), sizeof(ver[i]));
		assert_int_equal(read(pipes[i][0], blk[i], sizeof(blk[i])), sizeof(blk[i]));
		close(pipes[i][0]);
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		assert_true(ver[i] >= 2 && ver[i] <= NPROC + 1);
		assert_int_equal(seen & (1u << ver[i]), 0);	/* each got its own */
		seen |= 1u << ver[i];
	}
	/* the file holds all of them: every child's block opens */
	k = gmrk_key_open(ctx, path, NULL, 0, &err);
	assert_non_null(k);
	assert_int_equal(newest_version(k), NPROC + 1);
	for (i = 0; i < NPROC; i++)
		if (!opens(ctx, k, (uint64_t)i, blk[i], &err))
			fail_msg("version %u: %s", ver[i], err.message);
	gmrk_key_free(k);
	assert_int_equal(tk_count(dir), 1);
	gmrk_ctx_free(ctx);
	free(dir);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * A process adding 15 versions one after the other, each reported on @fd
 * (version and a block sealed under it) once gmrk_key_add_version returned.
 */
static void adder(const char *path, int fd)
{
	gmrk_ctx *c = th_ctx_ek(EK1, 0, 0);

	for (uint64_t pos = 2; pos <= GMRK_KEY_MAX_VERSIONS; pos++) {
		uint8_t b[VPT_LEN + GMRK_OVERHEAD];
		gmrk_key *k = gmrk_key_add_version(c, path, NULL, NULL);
		uint32_t v;

		if (!k)
			_exit(1);
		v = seal_block(c, k, pos, b);
		gmrk_key_free(k);
		if (write(fd, &v, sizeof(v)) != sizeof(v) || write(fd, b, sizeof(b)) != sizeof(b))
			_exit(1);
	}
	_exit(0);
}

/* SIGKILL at random points: the file always opens, with every version reported */
static void test_add_version_kill(void **s)
{
	enum { ROUNDS = 40 };
	char *dir = fresh_dir("vkill"), path[600];
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0);
	uint64_t full = 0;
	int killed = 0, mid = 0;

	(void)s;
	snprintf(path, sizeof(path), "%s/k.key", dir);
	for (int round = 0; round <= ROUNDS; round++) {
		uint8_t b[VPT_LEN + GMRK_OVERHEAD];
		uint32_t v, last = 1;
		uint64_t t0 = now_us();
		int fds[2], st, reported = 0;
		gmrk_error err;
		gmrk_key *k;
		pid_t pid;

		unlink(path);
		k = gmrk_key_open(ctx, path, NULL, GMRK_KEY_CREATE, &err);
		assert_non_null(k);
		gmrk_key_free(k);
		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			close(fds[0]);
			adder(path, fds[1]);
		}
		close(fds[1]);
		if (round) {	/* round 0 runs to the end, to time it */
			usleep((useconds_t)(th_rand() % full));
			if (kill(pid, SIGKILL))
				assert_int_equal(errno, ESRCH);
		}
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (!round) {
			assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
			full = now_us() - t0;
			if (full < 2000)
				full = 2000;
		}
		killed += WIFSIGNALED(st);
		/* one that outran the kill: aim earlier from now on */
		if (round && !WIFSIGNALED(st) && full > 2000)
			full = full * 3 / 4;
		k = gmrk_key_open(ctx, path, NULL, 0, &err);
		if (!k)
			fail_msg("round %d: %s", round, err.message);
		/* every version the child was told about is there, and its block opens */
		while (read(fds[0], &v, sizeof(v)) == sizeof(v) &&
		       read(fds[0], b, sizeof(b)) == sizeof(b)) {
			assert_int_equal(v, last + 1);
			last = v;
			reported++;
			if (!opens(ctx, k, v, b, &err))
				fail_msg("round %d, version %u: %s", round, v, err.message);
		}
		close(fds[0]);
		/* at most the one the kill interrupted is there besides */
		v = newest_version(k);
		assert_true(v == last || v == last + 1);
		mid += v == last + 1;
		gmrk_key_free(k);
		assert_true(round || reported == GMRK_KEY_MAX_VERSIONS - 1);
	}
	print_message("# %d of %d adders killed, %d after a version was written but before it was reported\n",
		      killed, ROUNDS, mid);
	assert_true(killed > 0);
	gmrk_ctx_free(ctx);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_and_reopen),
		cmocka_unit_test(test_wrong_ek_sm4),
		cmocka_unit_test(test_wrong_ek_aes),
		cmocka_unit_test(test_wrong_ek_chacha),
		cmocka_unit_test(test_passphrase),
		cmocka_unit_test(test_every_bit_flip),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_modes_and_paths),
		cmocka_unit_test(test_master_key_sources),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_create_race),
		cmocka_unit_test(test_default_scrypt_cost),
		cmocka_unit_test(test_add_version),
		cmocka_unit_test(test_version_limit),
		cmocka_unit_test(test_add_version_damaged),
		cmocka_unit_test(test_add_version_race),
		cmocka_unit_test(test_add_version_kill),
	};

	unsetenv("GMRK_KEY");
	return TH_RUN("keys", tests);
}

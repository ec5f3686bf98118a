// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk reencrypt: cipher changes aes -> sm4 -> chachapoly with the
 * contents unchanged after gmrk open and a second run reporting
 * "already"; a plaintext file encrypted in place; --new-key (a new key
 * version in the same key file, named by every block header, the old
 * version kept so an old copy still opens) and --drop-old (the old
 * versions gone), up to the version limit and past it with --drop-old;
 * one --key-file for several files, its old versions dropped only once
 * every file is done; a corrupt block refused with exit 1 and the file
 * left byte for byte; usage errors; and the crash test: the sanitized
 * command on 10 files (half sealed, half plaintext) SIGKILLed at random
 * points 100 times, cycling ciphers, --new-key and --drop-old so every
 * run has work, with every file opening to its original plaintext with
 * FILE.key after each kill, and a final complete run converting
 * everything to K's newest version.
 *
 * The master key is 64 hex digits, not a passphrase: no scrypt.
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
#include "internal.h"	/* struct gmrk_key: how many versions a key file holds */
#include "../keys/th_keys.h"

#define EK	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define NFILES	10
#define NKILLS	100
#define FILE_AD	"gmrk-file-v1"

static void spit(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* runs a shell command line, returns its exit status */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static const char *gmrk_bin(void)
{
	const char *g = getenv("GMRK_TEST_GMRK");

	assert_non_null(g);
	return g;
}

static const char *re_bin(void)
{
	const char *g = getenv("GMRK_TEST_REENCRYPT_CLI");

	assert_non_null(g);
	return g;
}

static void same_file(const char *a, const char *b)
{
	size_t la, lb;
	uint8_t *x = tk_slurp(a, &la), *y = tk_slurp(b, &lb);

	assert_int_equal(la, lb);
	assert_memory_equal(x, y, la);
	free(x);
	free(y);
}

/* random contents of @len bytes at @name; returns the path */
static char *make_plain(const char *name, size_t len)
{
	char *p = th_path(name);
	uint8_t *buf = malloc(len + 1);

	assert_non_null(buf);
	th_fill(buf, len);
	spit(p, buf, len);
	free(buf);
	return p;
}

/*
 * Every block header of sealed file @path names cipher @c (and, unless 0,
 * key version @version); returns the block count.
 */
static int all_cipher_v(const char *path, enum gmrk_cipher c, uint8_t id[GMRK_KEY_ID_LEN],
			uint32_t version)
{
	size_t len, off = 0;
	uint8_t *buf = tk_slurp(path, &len);
	int n = 0;

	while (off < len) {
		struct gmrk_block_info bi;
		gmrk_error err;

		assert_int_equal(gmrk_block_info(buf + off, len - off, &bi, &err), 0);
		assert_true(bi.encrypted);
		assert_int_equal(bi.cipher, c);
		if (version)
			assert_int_equal(bi.key_version, version);
		if (id)
			memcpy(id, bi.key_id, GMRK_KEY_ID_LEN);
		off += bi.sealed_len;
		n++;
	}
	free(buf);
	return n;
}

static int all_cipher(const char *path, enum gmrk_cipher c, uint8_t id[GMRK_KEY_ID_LEN])
{
	return all_cipher_v(path, c, id, 0);
}

/* gmrk open @sealed (default key file) gives back @orig (NULL: just opens) */
static void opens_to(const char *sealed, const char *orig)
{
	char out[600];

	snprintf(out, sizeof(out), "%s.opened", sealed);
	assert_int_equal(sh("%s open -f %s -o %s", gmrk_bin(), sealed, out), 0);
	if (orig)
		same_file(out, orig);
	unlink(out);
}

static void test_cipher_chain(void **state)
{
	char *orig = make_plain("chain", 300000 + 17), sealed[600], orig2[600];
	static const char *const names[] = { "sm4", "chachapoly", "aes" };
	static const enum gmrk_cipher ciphers[] = {
		GMRK_CIPHER_SM4_GCM, GMRK_CIPHER_CHACHA20_POLY1305, GMRK_CIPHER_AES_GCM
	};
	uint8_t id0[GMRK_KEY_ID_LEN], id[GMRK_KEY_ID_LEN];
	uint8_t *before;
	size_t lb;

	(void)state;
	snprintf(sealed, sizeof(sealed), "%s.gmrk", orig);
	snprintf(orig2, sizeof(orig2), "%s.copy", orig);
	assert_int_equal(sh("cp %s %s && %s seal --block-size 64k %s", orig, orig2, gmrk_bin(),
			    orig), 0);
	assert_int_equal(all_cipher(sealed, GMRK_CIPHER_AES_GCM, id0), 5);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sh("%s --cipher %s %s >/dev/null", re_bin(), names[i],
				    sealed), 0);
		assert_int_equal(all_cipher(sealed, ciphers[i], id), 5);
		assert_memory_equal(id, id0, GMRK_KEY_ID_LEN);	/* same key */
		opens_to(sealed, orig2);
	}
	/* a second run: "already", not a byte rewritten */
	before = tk_slurp(sealed, &lb);
	assert_int_equal(sh("%s --cipher aes %s | grep -q '^already'", re_bin(),
			    sealed), 0);
	tk_holds(sealed, before, lb);
	free(before);
	free(orig);
}

static void test_plaintext(void **state)
{
	char *p = make_plain("old-data.txt", 200000), copy[600], key[600];
	uint8_t *before;
	size_t lb;

	(void)state;
	snprintf(copy, sizeof(copy), "%s.copy", p);
	snprintf(key, sizeof(key), "%s.key", p);
	assert_int_equal(sh("cp %s %s", p, copy), 0);
	before = tk_slurp(p, &lb);
	/* without --allow-plaintext: refused (exit 2), untouched, no key made */
	assert_int_equal(sh("%s %s >/dev/null 2>&1", re_bin(), p), 2);
	tk_holds(p, before, lb);
	assert_int_not_equal(access(key, F_OK), 0);
	assert_int_equal(sh("%s --allow-plaintext --cipher sm4 %s >/dev/null",
			    re_bin(), p), 0);
	assert_int_equal(all_cipher(p, GMRK_CIPHER_SM4_GCM, NULL), 4);
	assert_int_equal(access(key, F_OK), 0);
	opens_to(p, copy);
	/* now sealed: a second run has nothing to do */
	assert_int_equal(sh("%s --allow-plaintext --cipher sm4 %s | grep -q '^already'",
			    re_bin(), p), 0);
	free(before);
	free(p);
}

/*
 * Opens every block of sealed file @buf (@len bytes, as gmrk seal wrote
 * it) with @k into @out: 0, or the code of the first block that fails
 * (@err says why).
 */
static int open_blocks(gmrk_ctx *ctx, gmrk_key *k, const uint8_t *buf, size_t len,
		       uint8_t *out, size_t *outlen, gmrk_error *err)
{
	struct gmrk_block_info bi;
	size_t off = 0;
	uint64_t pos = 0;
	int rc;

	*outlen = 0;
	while (off < len) {
		uint8_t ad[sizeof(FILE_AD)];
		size_t n;

		rc = gmrk_block_info(buf + off, len - off, &bi, err);
		if (rc)
			return rc;
		memcpy(ad, FILE_AD, sizeof(FILE_AD) - 1);
		ad[sizeof(FILE_AD) - 1] = off + bi.sealed_len == len;
		rc = gmrk_open(ctx, k, pos, ad, sizeof(ad), buf + off, bi.sealed_len,
			       out + *outlen, len - *outlen, &n, NULL, err);
		if (rc)
			return rc;
		*outlen += n;
		off += bi.sealed_len;
		pos++;
	}
	return 0;
}

/* sealed bytes @buf open with key file @key (asset @asset) to the contents of @orig */
static int opens_with(gmrk_ctx *ctx, const uint8_t *buf, size_t len, const char *key,
		      const char *asset, const char *orig, gmrk_error *err)
{
	gmrk_key *k = gmrk_key_open(ctx, key, asset, 0, err);
	uint8_t *out = malloc(len + 1);
	size_t outlen;
	int rc;

	assert_non_null(k);
	assert_non_null(out);
	rc = open_blocks(ctx, k, buf, len, out, &outlen, err);
	if (!rc)
		tk_holds(orig, out, outlen);
	gmrk_key_free(k);
	free(out);
	return rc;
}

/* how many versions key file @key holds, and the newest */
static int key_versions(gmrk_ctx *ctx, const char *key, const char *asset, uint32_t *newest)
{
	gmrk_error err;
	gmrk_key *k = gmrk_key_open(ctx, key, asset, 0, &err);
	int n;

	if (!k)
		fail_msg("'%s': %s", key, err.message);
	n = k->nver;
	if (newest)
		*newest = k->ver[n - 1].version;
	gmrk_key_free(k);
	return n;
}

/* runs the command line @cmd; returns its exit status, its stdout in @out */
static int run_out(char *out, size_t cap, const char *cmd)
{
	FILE *p = popen(cmd, "r");
	size_t n;
	int st;

	assert_non_null(p);
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	st = pclose(p);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void test_new_key(void **state)
{
	char *orig = make_plain("rekey", 150000), sealed[600], copy[600], key[600], v1[600];
	char cmd[2000], out[4096], want[1000];
	gmrk_ctx *ctx = th_ctx_ek(EK, 0, 0);
	uint8_t id0[GMRK_KEY_ID_LEN], id[GMRK_KEY_ID_LEN], *k0, *k1, *old;
	size_t l0, l1, lold;
	uint32_t newest;
	gmrk_error err;

	(void)state;
	snprintf(sealed, sizeof(sealed), "%s.gmrk", orig);
	snprintf(copy, sizeof(copy), "%s.copy", orig);
	snprintf(key, sizeof(key), "%s.gmrk.key", orig);
	snprintf(v1, sizeof(v1), "%s.v1", orig);
	assert_int_equal(sh("cp %s %s && %s seal %s", orig, copy, gmrk_bin(), orig), 0);
	all_cipher_v(sealed, GMRK_CIPHER_AES_GCM, id0, 1);
	k0 = tk_slurp(key, &l0);
	old = tk_slurp(sealed, &lold);	/* a backup from before, under version 1 */
	snprintf(cmd, sizeof(cmd), "%s --new-key --cipher chachapoly %s", re_bin(), sealed);
	assert_int_equal(run_out(out, sizeof(out), cmd), 0);
	snprintf(want, sizeof(want), "reencrypted %s (chacha20-poly1305, key version 2)\n", sealed);
	assert_non_null(strstr(out, want));
	/* the same key id, every block under version 2, and FILE opens with FILE.key */
	all_cipher_v(sealed, GMRK_CIPHER_CHACHA20_POLY1305, id, 2);
	assert_memory_equal(id, id0, GMRK_KEY_ID_LEN);
	opens_to(sealed, copy);
	/* K: version 1 byte for byte, then version 2; no other key file */
	k1 = tk_slurp(key, &l1);
	assert_int_equal(l1, 2 * l0);
	assert_memory_equal(k1, k0, l0);
	free(k1);
	assert_int_equal(key_versions(ctx, key, "rekey.gmrk", &newest), 2);
	assert_int_equal(newest, 2);
	assert_int_equal(sh("ls %s.gmrk.* | grep -v -x -e %s -e %s | grep -q .", orig, sealed,
			    key), 1);
	/* the backup still opens with K */
	assert_int_equal(opens_with(ctx, old, lold, key, "rekey.gmrk", copy, &err), 0);
	/* again with --drop-old: version 3, and versions 1 and 2 are gone */
	snprintf(cmd, sizeof(cmd), "%s --new-key --drop-old --cipher chachapoly %s", re_bin(),
		 sealed);
	assert_int_equal(run_out(out, sizeof(out), cmd), 0);
	snprintf(want, sizeof(want),
		 "reencrypted %s (chacha20-poly1305, key version 3, 2 old key versions dropped)\n",
		 sealed);
	assert_non_null(strstr(out, want));
	all_cipher_v(sealed, GMRK_CIPHER_CHACHA20_POLY1305, id, 3);
	opens_to(sealed, copy);
	k1 = tk_slurp(key, &l1);
	assert_int_equal(l1, l0);
	free(k1);
	assert_int_equal(key_versions(ctx, key, "rekey.gmrk", &newest), 1);
	assert_int_equal(newest, 3);
	assert_int_equal(opens_with(ctx, old, lold, key, "rekey.gmrk", copy, &err),
			 -GMRK_E_WRONG_KEY);
	assert_non_null(strstr(err.message, "version 1 of key"));
	/* a run with nothing to do: "already", and nothing to drop either */
	snprintf(cmd, sizeof(cmd), "%s --drop-old --cipher chachapoly %s", re_bin(), sealed);
	assert_int_equal(run_out(out, sizeof(out), cmd), 0);
	snprintf(want, sizeof(want), "already     %s\n", sealed);
	assert_non_null(strstr(out, want));
	free(k0);
	free(old);
	free(orig);
	gmrk_ctx_free(ctx);
}

/* --new-key up to the version limit: refused with the reason; --drop-old makes room */
static void test_new_key_limit(void **state)
{
	char *orig = make_plain("limit", 70000), sealed[600], key[600], cmd[2000], out[4096];
	gmrk_ctx *ctx = th_ctx_ek(EK, 0, 0);
	uint8_t *fb, *kb;
	size_t lfb, lkb;
	uint32_t newest;

	(void)state;
	snprintf(sealed, sizeof(sealed), "%s.gmrk", orig);
	snprintf(key, sizeof(key), "%s.gmrk.key", orig);
	assert_int_equal(sh("%s seal %s", gmrk_bin(), orig), 0);
	for (int v = 2; v <= GMRK_KEY_MAX_VERSIONS; v++)
		assert_int_equal(sh("%s --new-key %s >/dev/null", re_bin(), sealed), 0);
	all_cipher_v(sealed, GMRK_CIPHER_AES_GCM, NULL, GMRK_KEY_MAX_VERSIONS);
	assert_int_equal(key_versions(ctx, key, "limit.gmrk", NULL), GMRK_KEY_MAX_VERSIONS);
	fb = tk_slurp(sealed, &lfb);
	kb = tk_slurp(key, &lkb);
	snprintf(cmd, sizeof(cmd), "%s --new-key %s 2>/dev/null", re_bin(), sealed);
	assert_int_equal(run_out(out, sizeof(out), cmd), 2);
	assert_non_null(strstr(out, "holds 16 key versions, the most it can: "
				    "drop the old ones first (--drop-old)"));
	tk_holds(sealed, fb, lfb);
	tk_holds(key, kb, lkb);
	/* with --drop-old: the 15 older go first, then version 17, then 16 */
	snprintf(cmd, sizeof(cmd), "%s --new-key --drop-old %s", re_bin(), sealed);
	assert_int_equal(run_out(out, sizeof(out), cmd), 0);
	assert_non_null(strstr(out, "(aes-gcm, key version 17, 16 old key versions dropped)"));
	all_cipher_v(sealed, GMRK_CIPHER_AES_GCM, NULL, 17);
	assert_int_equal(key_versions(ctx, key, "limit.gmrk", &newest), 1);
	assert_int_equal(newest, 17);
	opens_to(sealed, orig);
	free(fb);
	free(kb);
	free(orig);
	gmrk_ctx_free(ctx);
}

/*
 * One --key-file for several files: one new version for all of them, the
 * old ones dropped once every file is under it, and kept when one fails.
 */
static void test_shared_key_file(void **state)
{
	char *a = make_plain("shared-a", 90000), *b = make_plain("shared-b", 120000);
	char *key = th_path("shared.key"), sa[600], sb[600], cmd[3000], out[4096];
	gmrk_ctx *ctx = th_ctx_ek(EK, 0, 0);
	uint8_t *buf;
	size_t len;
	uint32_t newest;

	(void)state;
	snprintf(sa, sizeof(sa), "%s.gmrk", a);
	snprintf(sb, sizeof(sb), "%s.gmrk", b);
	assert_int_equal(sh("%s seal --key-file %s %s && %s seal --key-file %s %s", gmrk_bin(),
			    key, a, gmrk_bin(), key, b), 0);
	snprintf(cmd, sizeof(cmd), "%s --new-key --drop-old --key-file %s %s %s", re_bin(), key,
		 sa, sb);
	assert_int_equal(run_out(out, sizeof(out), cmd), 0);
	assert_non_null(strstr(out, "1 old key version dropped"));
	/* the first file added version 2, the second was under 1 and went to it */
	all_cipher_v(sa, GMRK_CIPHER_AES_GCM, NULL, 2);
	all_cipher_v(sb, GMRK_CIPHER_AES_GCM, NULL, 2);
	assert_int_equal(key_versions(ctx, key, "shared", &newest), 1);
	assert_int_equal(newest, 2);
	assert_int_equal(sh("%s open --key-file %s -f %s -o %s.out && cmp -s %s %s.out", gmrk_bin(),
			    key, sa, a, a, a), 0);
	assert_int_equal(sh("%s open --key-file %s -f %s -o %s.out && cmp -s %s %s.out", gmrk_bin(),
			    key, sb, b, b, b), 0);
	/* a damaged second file: the first goes to version 3, version 2 stays for the second */
	buf = tk_slurp(sb, &len);
	buf[len - 5] ^= 1;
	spit(sb, buf, len);
	free(buf);
	snprintf(cmd, sizeof(cmd), "%s --new-key --drop-old --key-file %s %s %s 2>/dev/null",
		 re_bin(), key, sa, sb);
	assert_int_equal(run_out(out, sizeof(out), cmd), 1);
	all_cipher_v(sa, GMRK_CIPHER_AES_GCM, NULL, 3);
	all_cipher_v(sb, GMRK_CIPHER_AES_GCM, NULL, 2);
	assert_int_equal(key_versions(ctx, key, "shared", &newest), 2);
	assert_int_equal(newest, 3);
	assert_null(strstr(out, "dropped"));
	free(a);
	free(b);
	free(key);
	gmrk_ctx_free(ctx);
}

static void test_corrupt_block(void **state)
{
	char *orig = make_plain("corrupt", 200000), sealed[600], tmps[700];
	char cmd[1400], out[4096], want[800];
	uint8_t *before;
	size_t lb;

	(void)state;
	snprintf(sealed, sizeof(sealed), "%s.gmrk", orig);
	assert_int_equal(sh("%s seal %s", gmrk_bin(), orig), 0);
	before = tk_slurp(sealed, &lb);
	before[70000] ^= 1;	/* inside block 1's ciphertext */
	spit(sealed, before, lb);
	snprintf(cmd, sizeof(cmd), "%s --cipher sm4 %s 2>/dev/null", re_bin(), sealed);
	assert_int_equal(run_out(out, sizeof(out), cmd), 1);
	snprintf(want, sizeof(want), "FAILED      %s: ", sealed);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(strstr(out, want), "authentication failed"));
	tk_holds(sealed, before, lb);
	/* and no temporary left behind */
	snprintf(tmps, sizeof(tmps), "ls %s.tmp.* >/dev/null 2>&1", sealed);
	assert_int_not_equal(sh("%s", tmps), 0);
	/* the same cipher (headers already say so): still verified, still refused */
	assert_int_equal(sh("%s --cipher aes %s >/dev/null 2>&1", re_bin(), sealed), 1);
	free(before);
	free(orig);
}

static void test_usage(void **state)
{
	(void)state;
	assert_int_equal(sh("%s >/dev/null 2>&1", re_bin()), 2);
	assert_int_equal(sh("%s --cipher rot13 x >/dev/null 2>&1", re_bin()), 2);
	assert_int_equal(sh("%s --bogus x >/dev/null 2>&1", re_bin()), 2);
	assert_int_equal(sh("%s %s/does-not-exist >/dev/null 2>&1", re_bin(), th_tmpdir()), 2);
}

/* ------------------------------------------------------------ kill test */

static char *kill_path[NFILES];
static uint8_t *kill_orig[NFILES];
static size_t kill_len[NFILES];
static int kill_ahead;	/* files found under an older version than K's newest */
static int kill_multi;	/* key files found holding several versions */

/* file @i holds its original plaintext: as it was, or sealed; 1 if sealed */
static int check_one(gmrk_ctx *ctx, int i)
{
	size_t len, outlen = 0;
	uint8_t *buf = tk_slurp(kill_path[i], &len), *out = malloc(len + 1);
	char key[600], asset[600];
	struct gmrk_block_info bi;
	gmrk_error err;
	gmrk_key *k;

	assert_non_null(out);
	if (!len || gmrk_block_info(buf, len, &bi, &err) || !bi.encrypted) {
		assert_int_equal(len, kill_len[i]);
		assert_memory_equal(buf, kill_orig[i], len);
		free(buf);
		free(out);
		return 0;
	}
	/* FILE.key, and nothing else, opens it at every instant */
	snprintf(key, sizeof(key), "%s.key", kill_path[i]);
	snprintf(asset, sizeof(asset), "%s", strrchr(kill_path[i], '/') + 1);
	k = gmrk_key_open(ctx, key, asset, 0, &err);
	if (!k)
		fail_msg("'%s': %s", key, err.message);
	assert_memory_equal(k->id, bi.key_id, GMRK_KEY_ID_LEN);
	kill_ahead += k->ver[k->nver - 1].version > bi.key_version;
	kill_multi += k->nver > 1;
	if (open_blocks(ctx, k, buf, len, out, &outlen, &err))
		fail_msg("'%s': %s", kill_path[i], err.message);
	assert_int_equal(outlen, kill_len[i]);
	assert_memory_equal(out, kill_orig[i], outlen);
	gmrk_key_free(k);
	free(buf);
	free(out);
	return 1;
}

static int check_all(gmrk_ctx *ctx)
{
	int sealed = 0;

	for (int i = 0; i < NFILES; i++)
		sealed += check_one(ctx, i);
	return sealed;
}

static const char *const kill_cipher[3] = { "sm4", "chachapoly", "aes" };
static bool argv_drop_old;	/* the last run: --drop-old on round 0 too */

static pid_t start_cli(int round)
{
	char *argv[8 + NFILES];
	int argc = 0;
	pid_t pid;

	argv[argc++] = "reencrypt";
	argv[argc++] = "--allow-plaintext";
	argv[argc++] = "--cipher";
	argv[argc++] = (char *)kill_cipher[round % 3];
	/* by round: cipher only, --new-key, --drop-old, --new-key --drop-old */
	if (round % 2)
		argv[argc++] = "--new-key";
	if (round % 4 >= 2 || argv_drop_old)
		argv[argc++] = "--drop-old";
	for (int i = 0; i < NFILES; i++)
		argv[argc++] = kill_path[i];
	argv[argc] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv(re_bin(), argv);
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

static int wait_status(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void test_kill(void **state)
{
	gmrk_ctx *ctx = th_ctx_ek(EK, 0, 0);
	uint64_t t0, full;
	int st, killed = 0, finished = 0, mixed = 0, n;

	(void)state;
	for (int i = 0; i < NFILES; i++) {
		char name[64];

		snprintf(name, sizeof(name), "kill%02d%s", i, i % 2 ? ".src" : "");
		kill_len[i] = 100000 + (size_t)(th_rand() % 300000);
		kill_path[i] = make_plain(name, kill_len[i]);
		kill_orig[i] = tk_slurp(kill_path[i], &kill_len[i]);
		/* half sealed with gmrk seal, half plaintext from before encryption */
		if (i % 2) {
			char *src = kill_path[i];

			snprintf(name, sizeof(name), "kill%02d", i);
			kill_path[i] = th_path(name);
			assert_int_equal(sh("%s seal %s -o %s", gmrk_bin(), src, kill_path[i]), 0);
			unlink(src);
			free(src);
		}
	}
	assert_int_equal(check_all(ctx), NFILES / 2);
	/* one complete run, to time it: everything sealed with sm4 */
	t0 = now_us();
	st = wait_status(start_cli(0));
	full = now_us() - t0;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(check_all(ctx), NFILES);
	for (int i = 0; i < NFILES; i++)
		all_cipher(kill_path[i], GMRK_CIPHER_SM4_GCM, NULL);
	/* the kills start from half plaintext again, for the plaintext path */
	for (int i = 0; i < NFILES; i += 2) {
		char key[600];

		spit(kill_path[i], kill_orig[i], kill_len[i]);
		snprintf(key, sizeof(key), "%s.key", kill_path[i]);
		unlink(key);
	}
	if (full < 2000)
		full = 2000;
	for (int round = 1; round <= NKILLS; round++) {
		uint64_t delay = th_rand() % full;
		pid_t pid = start_cli(round);

		usleep((useconds_t)delay);
		if (kill(pid, SIGKILL))
			assert_int_equal(errno, ESRCH);
		st = wait_status(pid);
		if (WIFSIGNALED(st))
			killed++;
		else
			finished++;
		n = check_all(ctx);
		mixed += n > NFILES / 2 && n < NFILES;
	}
	print_message("# %d runs killed (%d with plaintext and sealed files side by side; files found %d times under an older version than their key file's newest, key files %d times with several versions), %d finished first (one full run %.1f ms)\n",
		      killed, mixed, kill_ahead, kill_multi, finished, (double)full / 1000);
	assert_true(killed > 0);
	/* a final complete run converts everything */
	st = wait_status(start_cli(0));
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(check_all(ctx), NFILES);
	for (int i = 0; i < NFILES; i++) {
		char key[600];
		uint32_t newest;

		/* every block under the key file's newest version, as gmrk open reads it */
		snprintf(key, sizeof(key), "%s.key", kill_path[i]);
		key_versions(ctx, key, strrchr(kill_path[i], '/') + 1, &newest);
		all_cipher_v(kill_path[i], GMRK_CIPHER_SM4_GCM, NULL, newest);
		opens_to(kill_path[i], NULL);
	}
	/* and --drop-old leaves each key file its newest version alone */
	argv_drop_old = true;
	st = wait_status(start_cli(0));
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(check_all(ctx), NFILES);
	for (int i = 0; i < NFILES; i++) {
		char key[600];

		snprintf(key, sizeof(key), "%s.key", kill_path[i]);
		assert_int_equal(key_versions(ctx, key, strrchr(kill_path[i], '/') + 1, NULL), 1);
		free(kill_path[i]);
		free(kill_orig[i]);
	}
	gmrk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cipher_chain),
		cmocka_unit_test(test_plaintext),
		cmocka_unit_test(test_new_key),
		cmocka_unit_test(test_new_key_limit),
		cmocka_unit_test(test_shared_key_file),
		cmocka_unit_test(test_corrupt_block),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_kill),
	};

	setenv("GMRK_KEY", EK, 1);
	setenv("GMRK_BACKEND", "soft", 1);
	return TH_RUN("reencrypt", tests);
}

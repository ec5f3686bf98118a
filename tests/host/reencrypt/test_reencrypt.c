// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk reencrypt: cipher changes aes -> sm4 -> chachapoly with the
 * contents unchanged after gmrk open and a second run reporting
 * "already"; a plaintext file encrypted in place; --new-key (new key id,
 * the old key kept); a corrupt block refused with exit 1 and the file left
 * byte for byte; usage errors; and the crash test: the sanitized command
 * on 10 files (half sealed, half plaintext) SIGKILLed at random points 100
 * times, cycling ciphers and --new-key so every run has work, with every
 * file opening to its original plaintext after each kill (with FILE.key,
 * or the pending FILE.new.key of an interrupted --new-key), and a final
 * complete run converting everything.
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

#define EK	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define NFILES	10
#define NKILLS	100
#define FILE_AD	"gmrk-file-v1"

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		fail_msg("'%s': %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

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
	uint8_t *x = slurp(a, &la), *y = slurp(b, &lb);

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

/* every block header of sealed file @path names cipher @c; returns the block count */
static int all_cipher(const char *path, enum gmrk_cipher c, uint8_t id[GMRK_KEY_ID_LEN])
{
	size_t len, off = 0;
	uint8_t *buf = slurp(path, &len);
	int n = 0;

	while (off < len) {
		struct gmrk_block_info bi;
		gmrk_error err;

		assert_int_equal(gmrk_block_info(buf + off, len - off, &bi, &err), 0);
		assert_true(bi.encrypted);
		assert_int_equal(bi.cipher, c);
		if (id)
			memcpy(id, bi.key_id, GMRK_KEY_ID_LEN);
		off += bi.sealed_len;
		n++;
	}
	free(buf);
	return n;
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
	uint8_t *before, *after;
	size_t lb, la;

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
	before = slurp(sealed, &lb);
	assert_int_equal(sh("%s --cipher aes %s | grep -q '^already'", re_bin(),
			    sealed), 0);
	after = slurp(sealed, &la);
	assert_int_equal(la, lb);
	assert_memory_equal(before, after, la);
	free(before);
	free(after);
	free(orig);
}

static void test_plaintext(void **state)
{
	char *p = make_plain("old-data.txt", 200000), copy[600], key[600];
	uint8_t *before, *after;
	size_t lb, la;

	(void)state;
	snprintf(copy, sizeof(copy), "%s.copy", p);
	snprintf(key, sizeof(key), "%s.key", p);
	assert_int_equal(sh("cp %s %s", p, copy), 0);
	before = slurp(p, &lb);
	/* without --allow-plaintext: refused (exit 2), untouched, no key made */
	assert_int_equal(sh("%s %s >/dev/null 2>&1", re_bin(), p), 2);
	after = slurp(p, &la);
	assert_int_equal(la, lb);
	assert_memory_equal(before, after, la);
	assert_int_not_equal(access(key, F_OK), 0);
	free(after);
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

static void test_new_key(void **state)
{
	char *orig = make_plain("rekey", 150000), sealed[600], copy[600], key[600], old[700];
	uint8_t id0[GMRK_KEY_ID_LEN], id[GMRK_KEY_ID_LEN], *k0, *k1;
	size_t l0, l1;

	(void)state;
	snprintf(sealed, sizeof(sealed), "%s.gmrk", orig);
	snprintf(copy, sizeof(copy), "%s.copy", orig);
	snprintf(key, sizeof(key), "%s.gmrk.key", orig);
	assert_int_equal(sh("cp %s %s && %s seal %s", orig, copy, gmrk_bin(), orig), 0);
	all_cipher(sealed, GMRK_CIPHER_AES_GCM, id0);
	k0 = slurp(key, &l0);
	assert_int_equal(sh("%s --new-key --cipher chachapoly %s >/dev/null", re_bin(),
			    sealed), 0);
	all_cipher(sealed, GMRK_CIPHER_CHACHA20_POLY1305, id);
	assert_memory_not_equal(id, id0, GMRK_KEY_ID_LEN);
	opens_to(sealed, copy);
	/* the old key is kept, byte for byte, named by its id */
	snprintf(old, sizeof(old), "%s.gmrk.old-%02x%02x%02x%02x%02x%02x%02x%02x.key", orig,
		 id0[0], id0[1], id0[2], id0[3], id0[4], id0[5], id0[6], id0[7]);
	k1 = slurp(old, &l1);
	assert_int_equal(l0, l1);
	assert_memory_equal(k0, k1, l0);
	free(k0);
	free(k1);
	free(orig);
}

static void test_corrupt_block(void **state)
{
	char *orig = make_plain("corrupt", 200000), sealed[600], tmps[700];
	uint8_t *before, *after;
	size_t lb, la;
	FILE *p;
	char line[1024], cmd[1400];
	bool named = false;
	int st;

	(void)state;
	snprintf(sealed, sizeof(sealed), "%s.gmrk", orig);
	assert_int_equal(sh("%s seal %s", gmrk_bin(), orig), 0);
	before = slurp(sealed, &lb);
	before[70000] ^= 1;	/* inside block 1's ciphertext */
	spit(sealed, before, lb);
	snprintf(cmd, sizeof(cmd), "%s --cipher sm4 %s 2>/dev/null", re_bin(), sealed);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		if (!strncmp(line, "FAILED", 6) && strstr(line, sealed) &&
		    strstr(line, "authentication failed"))
			named = true;
	st = pclose(p);
	assert_int_equal(WEXITSTATUS(st), 1);
	assert_true(named);
	after = slurp(sealed, &la);
	assert_int_equal(la, lb);
	assert_memory_equal(before, after, la);
	/* and no temporary left behind */
	snprintf(tmps, sizeof(tmps), "ls %s.tmp.* >/dev/null 2>&1", sealed);
	assert_int_not_equal(sh("%s", tmps), 0);
	/* the same cipher (headers already say so): still verified, still refused */
	assert_int_equal(sh("%s --cipher aes %s >/dev/null 2>&1", re_bin(), sealed), 1);
	free(before);
	free(after);
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
static int kill_pending;	/* files found under a pending FILE.new.key */

static gmrk_key *key_for(gmrk_ctx *ctx, const char *path, const uint8_t id[GMRK_KEY_ID_LEN])
{
	char key[600], nkey[600], asset[600];
	const char *candidates[2] = { key, nkey };
	const char *base = strrchr(path, '/') + 1;

	snprintf(key, sizeof(key), "%s.key", path);
	snprintf(nkey, sizeof(nkey), "%s.new.key", path);
	snprintf(asset, sizeof(asset), "%s", base);
	for (int i = 0; i < 2; i++) {
		struct gmrk_key_info info;
		gmrk_key *k = gmrk_key_open(ctx, candidates[i], asset, 0, NULL);

		if (!k)
			continue;
		assert_int_equal(gmrk_key_info(k, &info), 0);
		if (!memcmp(info.id, id, GMRK_KEY_ID_LEN)) {
			kill_pending += i;
			return k;
		}
		gmrk_key_free(k);
	}
	fail_msg("'%s': no key file (.key, .new.key) has its key", path);
	return NULL;
}

/* file @i holds its original plaintext: as it was, or sealed; 1 if sealed */
static int check_one(gmrk_ctx *ctx, int i)
{
	size_t len, off = 0, outlen = 0;
	uint8_t *buf = slurp(kill_path[i], &len), *out = malloc(len + 1);
	struct gmrk_block_info bi;
	gmrk_key *k;
	uint64_t pos = 0;
	gmrk_error err;

	assert_non_null(out);
	if (!len || gmrk_block_info(buf, len, &bi, &err) || !bi.encrypted) {
		assert_int_equal(len, kill_len[i]);
		assert_memory_equal(buf, kill_orig[i], len);
		free(buf);
		free(out);
		return 0;
	}
	k = key_for(ctx, kill_path[i], bi.key_id);
	while (off < len) {
		uint8_t ad[sizeof(FILE_AD)];
		size_t n;

		assert_int_equal(gmrk_block_info(buf + off, len - off, &bi, &err), 0);
		memcpy(ad, FILE_AD, sizeof(FILE_AD) - 1);
		ad[sizeof(FILE_AD) - 1] = off + bi.sealed_len == len;
		if (gmrk_open(ctx, k, pos, ad, sizeof(ad), buf + off, bi.sealed_len,
			      out + outlen, len - outlen, &n, NULL, &err))
			fail_msg("'%s' block %llu: %s", kill_path[i], (unsigned long long)pos,
				 err.message);
		outlen += n;
		off += bi.sealed_len;
		pos++;
	}
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

static pid_t start_cli(int round)
{
	char *argv[8 + NFILES];
	int argc = 0;
	pid_t pid;

	argv[argc++] = "reencrypt";
	argv[argc++] = "--allow-plaintext";
	argv[argc++] = "--cipher";
	argv[argc++] = (char *)kill_cipher[round % 3];
	if (round % 2)
		argv[argc++] = "--new-key";
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
		kill_orig[i] = slurp(kill_path[i], &kill_len[i]);
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
	print_message("# %d runs killed (%d with plaintext and sealed files side by side, %d files found under a pending new key), %d finished first (one full run %.1f ms)\n",
		      killed, mixed, kill_pending, finished, (double)full / 1000);
	assert_true(killed > 0);
	/* a final complete run converts everything */
	st = wait_status(start_cli(0));
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(check_all(ctx), NFILES);
	for (int i = 0; i < NFILES; i++) {
		/*
		 * gmrk open with the default FILE.key (check_all also accepted a
		 * pending FILE.new.key); a FILE.new.key left by a run killed before
		 * it replaced FILE is not needed by it (the next --new-key reuses it)
		 */
		all_cipher(kill_path[i], GMRK_CIPHER_SM4_GCM, NULL);
		opens_to(kill_path[i], NULL);
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
		cmocka_unit_test(test_corrupt_block),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_kill),
	};

	setenv("GMRK_KEY", EK, 1);
	setenv("GMRK_BACKEND", "soft", 1);
	return TH_RUN("reencrypt", tests);
}

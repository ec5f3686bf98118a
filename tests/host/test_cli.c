// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The gmrk CLI end to end (the sanitized build, path in $GMRK_TEST_CLI):
 * gmrk aead against known answers, its exit statuses (0, 1 with nothing
 * on stdout, 2 with one line on stderr), gmrk seal/open round trips and
 * their failures (wrong master key, tampering, truncation: nothing left
 * behind), gmrk inspect (and gmrk info refusing files), keygen, version,
 * help.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

extern char **environ;

struct run {
	int status;
	char *out, *err;
	size_t outlen, errlen;
};

static char *drain(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	ssize_t r;

	while ((r = read(fd, b + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap)
			b = realloc(b, (cap *= 2) + 1);
	}
	b[n] = '\0';
	*len = n;
	return b;
}

/* runs the CLI with @argv (NULL-terminated, argv[0] ignored) and @in on stdin */
static struct run cli(const char *in, size_t inlen, const char *const *argv)
{
	const char *path = getenv("GMRK_TEST_CLI");
	char infile[] = "/tmp/gmrk-cli-in.XXXXXX";
	int fin, pout[2], perr[2];
	posix_spawn_file_actions_t fa;
	struct run r;
	pid_t pid;
	char *args[32];
	int i;

	assert_non_null(path);
	fin = mkstemp(infile);
	assert_true(fin >= 0);
	assert_int_equal(write(fin, in, inlen), (ssize_t)inlen);
	lseek(fin, 0, SEEK_SET);
	unlink(infile);
	assert_int_equal(pipe(pout), 0);
	assert_int_equal(pipe(perr), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fin, 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
	posix_spawn_file_actions_addclose(&fa, pout[0]);
	posix_spawn_file_actions_addclose(&fa, perr[0]);
	args[0] = (char *)path;
	for (i = 1; argv[i] && i < 31; i++)
		args[i] = (char *)argv[i];
	args[i] = NULL;
	assert_int_equal(posix_spawn(&pid, path, &fa, NULL, args, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fin);
	close(pout[1]);
	close(perr[1]);
	/* stderr is small; read stdout first, then stderr */
	r.out = drain(pout[0], &r.outlen);
	r.err = drain(perr[0], &r.errlen);
	close(pout[0]);
	close(perr[0]);
	assert_int_equal(waitpid(pid, &i, 0), pid);
	r.status = WIFEXITED(i) ? WEXITSTATUS(i) : 128 + WTERMSIG(i);
	return r;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static int one_line(const char *s)
{
	size_t n = strlen(s);

	return n > 1 && s[n - 1] == '\n' && !memchr(s, '\n', n - 1);
}

#define ARGS(...) ((const char *const[]){ "gmrk", __VA_ARGS__, NULL })

static void test_aead_kat_and_exit_codes(void **s)
{
	/* RFC 8998 SM4-GCM */
	static const char k[] = "0123456789abcdeffedcba9876543210";
	static const char n[] = "00001234567800000000abcd";
	static const char a[] = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
	size_t ptlen, ctlen;
	uint8_t *pt = th_hex("aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"
			     "eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa", &ptlen);
	uint8_t *ct = th_hex("17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
			     "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d"
			     "83de3541e4c2b58177e065a9bf7b62ec", &ctlen);
	struct run r;

	(void)s;
	r = cli((char *)pt, ptlen, ARGS("aead", "-e", "--cipher", "sm4-gcm", "--key", k,
					"--nonce", n, "--aad", a, "--backend", "soft"));
	assert_int_equal(r.status, 0);
	assert_int_equal(r.outlen, ctlen);
	assert_memory_equal(r.out, ct, ctlen);
	assert_int_equal(r.errlen, 0);
	run_free(&r);
	r = cli((char *)ct, ctlen, ARGS("aead", "-d", "--cipher", "sm4-gcm", "--key", k,
					"--nonce", n, "--aad", a));
	assert_int_equal(r.status, 0);
	assert_int_equal(r.outlen, ptlen);
	assert_memory_equal(r.out, pt, ptlen);
	run_free(&r);
	/* forged: exit 1, nothing on stdout, one line on stderr */
	ct[3] ^= 1;
	r = cli((char *)ct, ctlen, ARGS("aead", "-d", "--cipher", "sm4-gcm", "--key", k,
					"--nonce", n, "--aad", a));
	assert_int_equal(r.status, 1);
	assert_int_equal(r.outlen, 0);
	assert_true(one_line(r.err));
	assert_non_null(strstr(r.err, "sm4-gcm: message authentication failed"));
	run_free(&r);
	/* wrong AAD, and input shorter than a tag */
	ct[3] ^= 1;
	r = cli((char *)ct, ctlen, ARGS("aead", "-d", "--cipher", "sm4", "--key", k, "--nonce", n));
	assert_int_equal(r.status, 1);
	assert_int_equal(r.outlen, 0);
	run_free(&r);
	r = cli("abc", 3, ARGS("aead", "-d", "--cipher", "aes-gcm", "--key", k, "--nonce", n));
	assert_int_equal(r.status, 1);
	assert_int_equal(r.outlen, 0);
	run_free(&r);
	free(pt);
	free(ct);
}

static void expect_usage(const char *const *argv, const char *needle)
{
	struct run r = cli("x", 1, argv);

	if (r.status != 2)
		fail_msg("%s %s: exit %d, stderr '%s'", argv[1], argv[2] ? argv[2] : "", r.status, r.err);
	assert_int_equal(r.outlen, 0);
	assert_true(one_line(r.err));
	if (needle && !strstr(r.err, needle))
		fail_msg("stderr '%s' lacks '%s'", r.err, needle);
	run_free(&r);
}

static void test_aead_usage_errors(void **s)
{
	static const char k16[] = "00000000000000000000000000000000";
	static const char n12[] = "000000000000000000000000";

	(void)s;
	expect_usage(ARGS("aead"), "usage");
	expect_usage(ARGS("aead", "-e", "--cipher", "des", "--key", k16, "--nonce", n12), "des");
	expect_usage(ARGS("aead", "-e", "-d", "--cipher", "aes-gcm", "--key", k16, "--nonce", n12),
		     "exclude");
	expect_usage(ARGS("aead", "-e", "--cipher", "aes-gcm", "--key", "abc", "--nonce", n12),
		     "--key");
	expect_usage(ARGS("aead", "-e", "--cipher", "aes-gcm", "--key", "zz", "--nonce", n12),
		     "hexadecimal");
	expect_usage(ARGS("aead", "-e", "--cipher", "aes-gcm", "--key", "0011", "--nonce", n12),
		     "key length 2");
	expect_usage(ARGS("aead", "-e", "--cipher", "sm4-gcm", "--key", k16, "--nonce", "0011"),
		     "nonce must be 12 bytes");
	expect_usage(ARGS("aead", "-e", "--cipher", "aes-gcm", "--key", k16, "--nonce", n12,
			  "--backend", "gpu"), "gpu");
	expect_usage(ARGS("aead", "-e", "--cipher", "aes-gcm", "--key", k16, "--nonce", n12,
			  "--bogus"), "--bogus");
	expect_usage(ARGS("frobnicate"), "unknown command");
}

/* --backend card/kernel: works where the path exists, else a clean exit 2 */
static void test_aead_backends(void **s)
{
	static const char k16[] = "00000000000000000000000000000000";
	static const char n12[] = "000000000000000000000000";
	static const char *const backends[] = { "auto", "soft", "card", "kernel" };
	struct run ref = cli("hello", 5, ARGS("aead", "-e", "--cipher", "aes-gcm", "--key", k16,
					      "--nonce", n12, "--backend", "soft"));

	(void)s;
	assert_int_equal(ref.status, 0);
	for (int i = 0; i < 4; i++) {
		struct run r = cli("hello", 5, ARGS("aead", "-e", "--cipher", "aes-gcm", "--key",
						    k16, "--nonce", n12, "--backend", backends[i]));

		if (r.status == 0) {
			assert_int_equal(r.outlen, ref.outlen);
			assert_memory_equal(r.out, ref.out, ref.outlen);
		} else {
			assert_int_equal(r.status, 2);
			assert_int_equal(r.outlen, 0);
			assert_non_null(strstr(r.err, "backend not available"));
		}
		run_free(&r);
	}
	run_free(&ref);
}

static char *dpath(const char *dir, const char *name)
{
	char *p = malloc(600);

	snprintf(p, 600, "%s/%s", dir, name);
	return p;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	uint8_t *b;

	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	b = malloc((size_t)st.st_size + 1);
	*len = fread(b, 1, (size_t)st.st_size, f);
	fclose(f);
	return b;
}

static void test_seal_open_files(void **s)
{
	const char *dir = th_tmpdir();
	char *plain = dpath(dir, "data.bin"), *sealed = dpath(dir, "data.bin.gmrk");
	char *keyf = dpath(dir, "data.bin.gmrk.key"), *back = dpath(dir, "back.bin");
	char *cut = dpath(dir, "cut.gmrk"), *cutk = dpath(dir, "cut.gmrk.key");
	size_t len = 300000, slen, blen;
	uint8_t *data = malloc(len), *sd, *bd;
	struct stat st;
	struct run r;

	(void)s;
	th_fill(data, len);
	write_file(plain, data, len);
	setenv("GMRK_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 1);
	r = cli("", 0, ARGS("seal", "--cipher", "chachapoly", plain));
	assert_int_equal(r.status, 0);
	run_free(&r);
	assert_int_equal(stat(keyf, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	sd = read_file(sealed, &slen);
	/* 5 blocks of 64 KiB (the last shorter), 56 bytes of overhead each */
	assert_int_equal(slen, len + 5 * GMRK_OVERHEAD);
	r = cli("", 0, ARGS("inspect", sealed));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "5 blocks"));
	assert_non_null(strstr(r.out, "chacha20-poly1305: 5 blocks"));
	run_free(&r);
	/* gmrk info reports devices only: a file is refused, pointing to inspect */
	r = cli("", 0, ARGS("info", sealed));
	assert_int_equal(r.status, 2);
	assert_string_equal(r.out, "");
	assert_true(one_line(r.err));
	assert_non_null(strstr(r.err, "gmrk info takes no files"));
	assert_non_null(strstr(r.err, "gmrk inspect FILE"));
	run_free(&r);
	r = cli("", 0, ARGS("open", sealed, "-o", back));
	assert_int_equal(r.status, 0);
	run_free(&r);
	bd = read_file(back, &blen);
	assert_int_equal(blen, len);
	assert_memory_equal(bd, data, len);
	free(bd);
	/* output exists: refused without -f */
	r = cli("", 0, ARGS("open", sealed, "-o", back));
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "exists"));
	run_free(&r);
	unlink(back);
	/* wrong master key: exit 1, the key file named, nothing written or deleted */
	setenv("GMRK_KEY", "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 1);
	r = cli("", 0, ARGS("open", sealed, "-o", back));
	assert_int_equal(r.status, 1);
	assert_true(one_line(r.err));
	assert_non_null(strstr(r.err, "error decrypting key file"));
	assert_non_null(strstr(r.err, "data.bin.gmrk.key': chacha20-poly1305: message authentication failed"));
	assert_int_equal(stat(back, &st), -1);
	assert_int_equal(stat(keyf, &st), 0);
	assert_int_equal(stat(sealed, &st), 0);
	run_free(&r);
	setenv("GMRK_KEY", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 1);
	/* tampered in the third block */
	sd[2 * (65536 + GMRK_OVERHEAD) + 100] ^= 4;
	write_file(cut, sd, slen);
	{
		size_t kl;
		uint8_t *kd = read_file(keyf, &kl);

		write_file(cutk, kd, kl);
		chmod(cutk, 0600);
		free(kd);
	}
	r = cli("", 0, ARGS("open", "--asset", "data.bin.gmrk", cut, "-o", back));
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "block 2 of"));
	assert_int_equal(stat(back, &st), -1);	/* no partial plaintext left */
	run_free(&r);
	sd[2 * (65536 + GMRK_OVERHEAD) + 100] ^= 4;
	/* cut at a block boundary: blocks missing at the end */
	write_file(cut, sd, 2 * (65536 + GMRK_OVERHEAD));
	r = cli("", 0, ARGS("open", "--asset", "data.bin.gmrk", cut, "-o", back));
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "truncated"));
	run_free(&r);
	/* cut inside a block */
	write_file(cut, sd, 2 * (65536 + GMRK_OVERHEAD) + 77);
	r = cli("", 0, ARGS("open", "--asset", "data.bin.gmrk", cut, "-o", back));
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "truncated"));
	run_free(&r);
	/* blocks reordered */
	{
		uint8_t *sw = malloc(slen);
		size_t bl = 65536 + GMRK_OVERHEAD;

		memcpy(sw, sd, slen);
		memcpy(sw, sd + bl, bl);
		memcpy(sw + bl, sd, bl);
		write_file(cut, sw, slen);
		free(sw);
	}
	r = cli("", 0, ARGS("open", "--asset", "data.bin.gmrk", cut, "-o", back));
	assert_int_equal(r.status, 1);
	run_free(&r);
	/* not a sealed file */
	r = cli("", 0, ARGS("open", "-k", keyf, plain, "-o", back));
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "not a gmrk sealed file"));
	run_free(&r);
	assert_int_equal(stat(back, &st), -1);
	/* an empty file seals to one empty block, and opens to empty */
	{
		char *e = dpath(dir, "empty"), *eo = dpath(dir, "empty.gmrk"), *eb = dpath(dir, "e2");

		write_file(e, "", 0);
		r = cli("", 0, ARGS("seal", e));
		assert_int_equal(r.status, 0);
		run_free(&r);
		assert_int_equal(stat(eo, &st), 0);
		assert_int_equal(st.st_size, GMRK_OVERHEAD);
		r = cli("", 0, ARGS("open", eo, "-o", eb));
		assert_int_equal(r.status, 0);
		run_free(&r);
		assert_int_equal(stat(eb, &st), 0);
		assert_int_equal(st.st_size, 0);
		free(e);
		free(eo);
		free(eb);
	}
	/* no master key at all */
	unsetenv("GMRK_KEY");
	r = cli("", 0, ARGS("open", sealed, "-o", back));
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "no master key configured"));
	run_free(&r);
	/* plaintext inspect */
	r = cli("", 0, ARGS("inspect", plain));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "not encrypted"));
	run_free(&r);
	free(sd);
	free(data);
	free(plain);
	free(sealed);
	free(keyf);
	free(back);
	free(cut);
	free(cutk);
}

static void test_misc_commands(void **s)
{
	struct run r;

	(void)s;
	r = cli("", 0, ARGS("keygen"));
	assert_int_equal(r.status, 0);
	assert_int_equal(r.outlen, 65);
	for (int i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", r.out[i]));
	run_free(&r);
	r = cli("", 0, ARGS("version"));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "gmrk " GMRK_VERSION_STRING));
	run_free(&r);
	r = cli("", 0, ARGS("--help"));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "aead -e|-d"));
	run_free(&r);
	r = cli("", 0, ARGS("bench", "--cipher", "aes", "--size", "4096", "--time", "20"));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "aes-gcm"));
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aead_kat_and_exit_codes),
		cmocka_unit_test(test_aead_usage_errors),
		cmocka_unit_test(test_aead_backends),
		cmocka_unit_test(test_seal_open_files),
		cmocka_unit_test(test_misc_commands),
	};

	unsetenv("GMRK_BACKEND");
	/*
	 * The CLI exits with exit() from wherever it fails, leaving what it
	 * allocated for the kernel to reclaim: no leak checks for it, but any
	 * other sanitizer report exits 99 and fails the test.
	 */
	setenv("ASAN_OPTIONS", "detect_leaks=0:exitcode=99", 1);
	setenv("UBSAN_OPTIONS", "halt_on_error=1:exitcode=99", 1);
	return TH_RUN("cli", tests);
}

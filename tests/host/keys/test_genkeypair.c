// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk genkeypair (tools/gmrk/cmd_genkeypair.c), run as a program: the
 * pincode through a pipe (one line, no confirmation) and through a
 * terminal (a pty: asked twice, never echoed), --out, and the exit
 * statuses and messages of every refusal. $GMRK_TEST_GENKEYPAIR names
 * the binary.
 */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sm2.h"
#include "th_keys.h"

static char *bin;

/* "public key:  04..." from @out into @hex */
static void printed_public(const char *out, char hex[GMRK_SM2_PUBLIC_HEX_LEN + 1])
{
	static const char tag[] = "public key:  ";
	const char *p = strstr(out, tag);
	size_t i;

	assert_non_null(p);
	p += sizeof(tag) - 1;
	memcpy(hex, p, GMRK_SM2_PUBLIC_HEX_LEN);
	hex[GMRK_SM2_PUBLIC_HEX_LEN] = '\0';
	assert_int_equal(p[GMRK_SM2_PUBLIC_HEX_LEN], '\n');
	assert_memory_equal(hex, "04", 2);
	for (i = 0; i < GMRK_SM2_PUBLIC_HEX_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", hex[i]));
}

/* the PEM printed in @out opens with @pin and holds the printed public key */
static void check_printed_pem(const char *out, const char *pin)
{
	char hex[GMRK_SM2_PUBLIC_HEX_LEN + 1];
	const char *b = strstr(out, "-----BEGIN ENCRYPTED PRIVATE KEY-----\n");
	const char *e = strstr(out, "-----END ENCRYPTED PRIVATE KEY-----\n");
	gmrk_error err;
	gmrk_sm2 *k;

	printed_public(out, hex);
	assert_non_null(b);
	assert_non_null(e);
	e += strlen("-----END ENCRYPTED PRIVATE KEY-----\n");
	k = gmrk_sm2_from_private_pem(b, (size_t)(e - b), "stdout", pin, strlen(pin), &err);
	assert_non_null(k);
	assert_int_equal(gmrk_sm2_check_public(k, hex, &err), 0);
	gmrk_sm2_free(k);
	assert_non_null(strstr(out, "note: the private key is encrypted by the pincode"));
}

static void test_pipe(void **s)
{
	char *argv[] = { bin, NULL };
	struct tk_run r;

	(void)s;
	tk_run(argv, "0000-pin\n", &r);
	assert_int_equal(r.status, 0);
	check_printed_pem(r.out, "0000-pin");
	/* a pipe gets no prompts and the pincode is not confirmed */
	assert_string_equal(r.err, "");
	tk_run_free(&r);
	/* no newline at the end of input, CRLF line ending */
	tk_run(argv, "no-newline", &r);
	assert_int_equal(r.status, 0);
	check_printed_pem(r.out, "no-newline");
	tk_run_free(&r);
	tk_run(argv, "crlf\r\nrest ignored\n", &r);
	assert_int_equal(r.status, 0);
	check_printed_pem(r.out, "crlf");
	tk_run_free(&r);
}

static void test_empty_pincode(void **s)
{
	char *argv[] = { bin, NULL };
	static const char *const inputs[] = { "\n", "", "\r\n" };
	struct tk_run r;
	size_t i;

	(void)s;
	for (i = 0; i < 3; i++) {
		tk_run(argv, inputs[i], &r);
		assert_int_equal(r.status, 2);
		assert_string_equal(r.out, "");
		assert_string_equal(r.err, "gmrk genkeypair: empty pincode refused\n");
		tk_run_free(&r);
	}
}

static void test_out_file(void **s)
{
	char *dir = tk_dir("cli-out"), *path = tk_join(dir, "master.pem");
	char *argv[] = { bin, (char *)"--out", path, NULL };
	char hex[GMRK_SM2_PUBLIC_HEX_LEN + 1], want[600];
	uint8_t *before, *after;
	size_t blen, alen;
	struct stat st;
	struct tk_run r;
	gmrk_error err;
	gmrk_sm2 *k;

	(void)s;
	tk_run(argv, "out-pin\n", &r);
	assert_int_equal(r.status, 0);
	printed_public(r.out, hex);
	snprintf(want, sizeof(want),
		 "public key:  %s\nprivate key: %s (mode 0600)\n"
		 "note: the private key is encrypted by the pincode (PKCS#8, scrypt + SM4-CBC)\n",
		 hex, path);
	assert_string_equal(r.out, want);
	tk_run_free(&r);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(tk_count(dir), 1);
	k = gmrk_sm2_load_private(path, "out-pin", 7, &err);
	assert_non_null(k);
	assert_int_equal(gmrk_sm2_check_public(k, hex, &err), 0);
	gmrk_sm2_free(k);
	/* a second run refuses to replace it, before asking for a pincode */
	before = tk_slurp(path, &blen);
	tk_run(argv, "other-pin\n", &r);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.out, "");
	snprintf(want, sizeof(want),
		 "gmrk genkeypair: '%s' already exists: not overwriting a key\n", path);
	assert_string_equal(r.err, want);
	tk_run_free(&r);
	after = tk_slurp(path, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(before, after, blen);
	free(before);
	free(after);
	free(path);
	free(dir);
}

static void test_usage(void **s)
{
	char *bad[] = { bin, (char *)"--bogus", NULL };
	char *extra[] = { bin, (char *)"extra", NULL };
	char *noarg[] = { bin, (char *)"--out", NULL };
	char *help[] = { bin, (char *)"--help", NULL };
	struct tk_run r;

	(void)s;
	tk_run(bad, "pin\n", &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "usage: gmrk genkeypair [--out FILE]"));
	assert_string_equal(r.out, "");
	tk_run_free(&r);
	tk_run(extra, "pin\n", &r);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "usage: gmrk genkeypair [--out FILE]"));
	tk_run_free(&r);
	tk_run(noarg, "pin\n", &r);
	assert_int_equal(r.status, 2);
	tk_run_free(&r);
	tk_run(help, "", &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "usage: gmrk genkeypair [--out FILE]"));
	tk_run_free(&r);
}

/*
 * Runs the binary on a pty, typing @first and @second when asked;
 * everything the terminal showed lands in @screen.
 */
static int run_on_pty(const char *first, const char *second, char *screen, size_t cap)
{
	char *argv[] = { bin, NULL };
	size_t len = 0;
	int fd, st, typed = 0;
	char *r, *w;
	pid_t pid;

	pid = forkpty(&fd, NULL, NULL, NULL);
	assert_true(pid >= 0);
	if (!pid) {
		execv(bin, argv);
		_exit(127);
	}
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 30000) <= 0)
			break;
		n = read(fd, screen + len, cap - 1 - len);
		if (n <= 0)
			break;	/* EIO once the child has closed the terminal */
		len += (size_t)n;
		screen[len] = '\0';
		if (typed == 0 && strstr(screen, "pincode: ")) {
			assert_true(write(fd, first, strlen(first)) > 0);
			typed = 1;
		}
		if (typed == 1 && strstr(screen, "confirm: ")) {
			assert_true(write(fd, second, strlen(second)) > 0);
			typed = 2;
		}
	}
	screen[len] = '\0';
	/* the terminal turns each \n into \r\n: undo it */
	for (r = w = screen; *r; r++)
		if (*r != '\r')
			*w++ = *r;
	*w = '\0';
	close(fd);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_terminal(void **s)
{
	static char screen[8192];

	(void)s;
	assert_int_equal(run_on_pty("tty-secret-1357\n", "tty-secret-1357\n", screen,
				    sizeof(screen)), 0);
	assert_non_null(strstr(screen, "pincode: "));
	assert_non_null(strstr(screen, "confirm: "));
	assert_null(strstr(screen, "tty-secret"));	/* never echoed */
	check_printed_pem(screen, "tty-secret-1357");
	assert_int_equal(run_on_pty("tty-secret-1357\n", "tty-secret-1358\n", screen,
				    sizeof(screen)), 2);
	assert_non_null(strstr(screen, "gmrk genkeypair: pincodes do not match"));
	assert_null(strstr(screen, "BEGIN ENCRYPTED PRIVATE KEY"));
	assert_null(strstr(screen, "tty-secret"));
	assert_int_equal(run_on_pty("\n", "", screen, sizeof(screen)), 2);
	assert_non_null(strstr(screen, "gmrk genkeypair: empty pincode refused"));
	assert_null(strstr(screen, "confirm: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_empty_pincode),
		cmocka_unit_test(test_out_file),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_terminal),
	};

	bin = getenv("GMRK_TEST_GENKEYPAIR");
	if (!bin || access(bin, X_OK)) {
		printf("1..%zu\n", sizeof(tests) / sizeof(tests[0]));
		for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
			printf("not ok %zu - %s: GMRK_TEST_GENKEYPAIR does not name the binary\n",
			       i + 1, tests[i].name);
		return 1;
	}
	return TK_RUN("genkeypair", tests);
}

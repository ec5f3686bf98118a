// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Pincodes (lib/keys/pincode.c): GMRK_PINCODE is read once and removed
 * from the environment; a variable inherited at exec is also wiped from
 * the block /proc/PID/environ shows (checked in a re-executed child).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pincode.h"
#include "th_keys.h"

#define CHILD_PIN "pin-in-the-exec-environment-8642"

static void test_from_env_clears(void **s)
{
	struct gmrk_pincode pin;
	gmrk_error err;

	(void)s;
	assert_int_equal(setenv("GMRK_PINCODE", "135790", 1), 0);
	assert_int_equal(gmrk_pincode_from_env(NULL, &pin, &err), 0);
	assert_int_equal(pin.len, 6);
	assert_string_equal(pin.buf, "135790");
	assert_null(getenv("GMRK_PINCODE"));
	gmrk_pincode_clear(&pin);
	assert_null(pin.buf);
	assert_int_equal(pin.len, 0);
	gmrk_pincode_clear(&pin);	/* twice is harmless */
	/* read once: a second read finds nothing */
	assert_int_equal(gmrk_pincode_from_env(NULL, &pin, &err), -GMRK_E_NOKEY);
	tk_assert_msg(&err, GMRK_E_NOKEY,
		      "no pincode: environment variable GMRK_PINCODE is not set");
	assert_null(pin.buf);
}

static void test_from_env_other_name(void **s)
{
	struct gmrk_pincode pin;
	gmrk_error err;

	(void)s;
	assert_int_equal(setenv("FCTSDB_PINCODE", "abc def", 1), 0);
	assert_int_equal(setenv("GMRK_PINCODE", "untouched", 1), 0);
	assert_int_equal(gmrk_pincode_from_env("FCTSDB_PINCODE", &pin, &err), 0);
	assert_string_equal(pin.buf, "abc def");
	assert_null(getenv("FCTSDB_PINCODE"));
	assert_string_equal(getenv("GMRK_PINCODE"), "untouched");
	gmrk_pincode_clear(&pin);
	unsetenv("GMRK_PINCODE");
}

static void test_from_env_empty_and_long(void **s)
{
	struct gmrk_pincode pin;
	char *big = malloc(GMRK_PINCODE_MAX + 2);
	gmrk_error err;

	(void)s;
	assert_int_equal(setenv("GMRK_PINCODE", "", 1), 0);
	assert_int_equal(gmrk_pincode_from_env(NULL, &pin, &err), -GMRK_E_NOKEY);
	tk_assert_msg(&err, GMRK_E_NOKEY,
		      "no pincode: environment variable GMRK_PINCODE is not set");
	unsetenv("GMRK_PINCODE");
	memset(big, '7', GMRK_PINCODE_MAX + 1);
	big[GMRK_PINCODE_MAX + 1] = '\0';
	assert_int_equal(setenv("GMRK_PINCODE", big, 1), 0);
	assert_int_equal(gmrk_pincode_from_env(NULL, &pin, &err), -GMRK_E_INVAL);
	tk_assert_msg(&err, GMRK_E_INVAL, "GMRK_PINCODE: pincode longer than 1024 bytes");
	assert_null(getenv("GMRK_PINCODE"));	/* cleared even when refused */
	assert_null(pin.buf);
	big[GMRK_PINCODE_MAX] = '\0';
	assert_int_equal(setenv("GMRK_PINCODE", big, 1), 0);
	assert_int_equal(gmrk_pincode_from_env(NULL, &pin, &err), 0);
	assert_int_equal(pin.len, GMRK_PINCODE_MAX);
	gmrk_pincode_clear(&pin);
	assert_int_equal(gmrk_pincode_set(&pin, "x", 0, &err), -GMRK_E_NOKEY);
	free(big);
}

/* does /proc/self/environ hold @needle? */
static int environ_has(const char *needle)
{
	char buf[65536];
	FILE *f = fopen("/proc/self/environ", "r");
	size_t n, i, l = strlen(needle);

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	for (i = 0; i + l <= n; i++)
		if (!memcmp(buf + i, needle, l))
			return 1;
	return 0;
}

/* the re-executed child: exit status says what it saw */
static int pincode_child(void)
{
	struct gmrk_pincode pin;
	gmrk_error err;

	if (environ_has(CHILD_PIN) != 1)
		return 5;	/* the test would prove nothing */
	if (gmrk_pincode_from_env(NULL, &pin, &err) || strcmp(pin.buf, CHILD_PIN))
		return 4;
	gmrk_pincode_clear(&pin);
	if (getenv("GMRK_PINCODE"))
		return 3;
	return environ_has(CHILD_PIN) ? 2 : 0;
}

static void test_exec_environment_wiped(void **s)
{
	char *argv[] = { (char *)"/proc/self/exe", (char *)"--pincode-child", NULL };
	char *envp[] = { (char *)"GMRK_PINCODE=" CHILD_PIN, (char *)"ASAN_OPTIONS=detect_leaks=1",
			 NULL };
	int st;
	pid_t pid;

	(void)s;
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		execve(argv[0], argv, envp);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_env_clears),
		cmocka_unit_test(test_from_env_other_name),
		cmocka_unit_test(test_from_env_empty_and_long),
		cmocka_unit_test(test_exec_environment_wiped),
	};

	if (argc == 2 && !strcmp(argv[1], "--pincode-child"))
		return pincode_child();
	return TK_RUN("pincode", tests);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the lib/keys tests: temporary files, TAP output,
 * running a child process with some stdin, and a private swtpm. Nothing
 * here calls libgmrk, so the tests of lib/keys alone link it too; the
 * file helpers (tk_slurp, tk_spit, tk_count, tk_holds) serve the other
 * host tests and the vmlib tests as well.
 */
#ifndef GMRK_TH_KEYS_H
#define GMRK_TH_KEYS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

#include <gmrk/gmrk.h>

/* a fresh directory under a per-process temporary one (removed at exit) */
char *tk_dir(const char *name);
/* "<dir>/<name>" in a static-free new buffer */
char *tk_join(const char *dir, const char *name);
/* "<directory of path>/<name>" */
char *tk_sibling(const char *path, const char *name);
/* the whole file @path (its length in *len); fails the test if unreadable */
uint8_t *tk_slurp(const char *path, size_t *len);
/* file @path holds exactly the @len bytes @want (e.g. it is unchanged) */
void tk_holds(const char *path, const void *want, size_t len);
void tk_spit(const char *path, const void *buf, size_t len, mode_t mode);
/* entries in @dir, not counting . and .. */
int tk_count(const char *dir);
/* the error message must be exactly @want (printf format) */
void tk_assert_msg(const gmrk_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* runs @argv with @in on stdin; stdout/stderr captured (NUL-terminated) */
struct tk_run {
	int status;	/* exit status, or 128 + signal */
	char *out, *err;
};
void tk_run(char *const argv[], const char *in, struct tk_run *r);
void tk_run_free(struct tk_run *r);

int tk_tap_run(const char *name, const struct CMUnitTest *tests, size_t n);
#define TK_RUN(name, tests) tk_tap_run(name, tests, sizeof(tests) / sizeof(tests[0]))

/* swtpm on 127.0.0.1, its own state directory, stopped by tk_swtpm_stop */
struct tk_swtpm {
	pid_t pid;
	int port;		/* server port; control is port + 1 */
	char dir[256];
	char tcti[96];		/* "swtpm:host=127.0.0.1,port=N" */
};
/* 0, or -1 with the reason in @why */
int tk_swtpm_start(struct tk_swtpm *t, char *why, size_t whylen);
void tk_swtpm_stop(struct tk_swtpm *t);
/*
 * Direct ESAPI acts on the TPM at @tcti, asserting success: extend @pcr's
 * SHA-256 bank, and reset the dictionary-attack counter so the wrong
 * passwords a test tries never reach the lockout.
 */
void tk_tpm_pcr_extend(const char *tcti, int pcr);
void tk_tpm_da_reset(const char *tcti);

#endif /* GMRK_TH_KEYS_H */

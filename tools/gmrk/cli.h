/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gmrk CLI: helpers shared by the subcommands. */
#ifndef GMRK_CLI_H
#define GMRK_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gmrk/gmrk.h>

/* exit statuses of every subcommand */
#define EXIT_OK		0
#define EXIT_AUTH	1	/* authentication failed / wrong key */
#define EXIT_USAGE	2	/* usage, unsupported parameters, other errors */

extern const char *cli_cmd;	/* "gmrk aead", for messages */

void cli_fail(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
void cli_vfail(int status, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0), noreturn));
/* exit status for a libgmrk error code */
int cli_status(int rc);
void cli_fail_gmrk(int rc, const gmrk_error *err) __attribute__((noreturn));

/* the bytes of hex argument @arg of option @what; exits on bad hex */
uint8_t *cli_hex(const char *arg, const char *what, size_t *len);
/* the cipher or backend called @name; exits naming the choices if none */
enum gmrk_cipher cli_cipher(const char *name);
enum gmrk_backend cli_backend(const char *name);
int cli_read_all(int fd, uint8_t **buf, size_t *len);
int cli_write_all(int fd, const void *buf, size_t len);
/* read exactly @len bytes unless EOF: returns bytes read, -errno on error */
long long cli_read_full(int fd, void *buf, size_t len);
int cli_parse_size(const char *s, size_t *out);

int cmd_aead(int argc, char **argv);
int cmd_seal(int argc, char **argv);
int cmd_open(int argc, char **argv);
int cmd_inspect(int argc, char **argv);	/* cmd_info.c: gmrk inspect FILE... */
int cmd_bench(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
/* lib/keys providers, linked into the CLI statically (tools/gmrk/gmrk.mk) */
int gmrk_cmd_genkeypair(int argc, char **argv);
int gmrk_cmd_envelop(int argc, char **argv);	/* cmd_envelop.c */
int gmrk_cmd_reencrypt(int argc, char **argv);	/* cmd_reencrypt.c */
int gmrk_cmd_cardkey(int argc, char **argv);	/* cmd_cardkey.c */

/* progress bar on stderr (only when it is a terminal and @total is large) */
struct cli_progress {
	bool on;
	const char *what;
	uint64_t total, done, start_ns, last_ns;
};
void cli_progress_start(struct cli_progress *p, const char *what, uint64_t total);
void cli_progress_add(struct cli_progress *p, uint64_t n);
void cli_progress_end(struct cli_progress *p);

#endif /* GMRK_CLI_H */

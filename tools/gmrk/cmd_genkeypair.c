// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk genkeypair [--out FILE]: a new SM2 master key pair.
 *
 * Asks for a pincode twice without echo when stdin is a terminal, or
 * reads one line from stdin otherwise (scripts, no confirmation). Prints
 * the public key (04||X||Y, hex) and the private key as a PEM PKCS#8
 * EncryptedPrivateKeyInfo under the pincode; with --out the private key
 * goes to a new file with mode 0600 instead (never over an existing one).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "pincode.h"
#include "sm2.h"

int gmrk_cmd_genkeypair(int argc, char **argv);

static const char gkp_usage[] =
	"usage: gmrk genkeypair [--out FILE]\n"
	"  Generates an SM2 key pair and asks for a pincode (twice on a terminal,\n"
	"  one line from stdin otherwise) that encrypts the private key.\n"
	"  Prints the public key (hex 04||X||Y) and the encrypted private key (PEM).\n"
	"  --out FILE  write the private key to FILE (mode 0600, must not exist)\n";

/* the terminal's settings while echo is off, restored on a signal too */
static struct termios gkp_saved;
static volatile sig_atomic_t gkp_echo_off;

static void gkp_restore(int sig)
{
	if (gkp_echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &gkp_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * One line from stdin into @buf, without the newline; read() one byte at
 * a time so no copy of the secret stays in a stdio buffer. Returns its
 * length, -1 on a read error, -2 when longer than @cap - 1.
 */
static long gkp_read_line(char *buf, size_t cap)
{
	size_t n = 0;
	bool toolong = false;
	char c;

	for (;;) {
		ssize_t r = read(STDIN_FILENO, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (!r || c == '\n')
			break;
		if (n + 1 < cap)
			buf[n++] = c;
		else
			toolong = true;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return toolong ? -2 : (long)n;
}

static long gkp_prompt(const char *prompt, char *buf, size_t cap)
{
	struct sigaction sa, old_int, old_term, old_hup;
	struct termios raw;
	long n;

	if (tcgetattr(STDIN_FILENO, &gkp_saved))
		return -1;
	raw = gkp_saved;
	raw.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	raw.c_lflag |= ICANON;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = gkp_restore;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	/*
	 * Echo off first, then the prompt: TCSAFLUSH drops what was typed
	 * before it, so nothing typed after the prompt can be lost.
	 */
	gkp_echo_off = 1;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw)) {
		gkp_echo_off = 0;
		n = -1;
		goto out;
	}
	fprintf(stderr, "%s", prompt);
	fflush(stderr);
	n = gkp_read_line(buf, cap);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &gkp_saved);
	gkp_echo_off = 0;
	fprintf(stderr, "\n");
out:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	return n;
}

static int gkp_fail(const char *fmt, const char *arg)
{
	fprintf(stderr, "gmrk genkeypair: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	return EXIT_USAGE;
}

/* the pincode into @pin: twice on a terminal, one line otherwise */
static int gkp_get_pincode(struct gmrk_pincode *pin)
{
	char a[GMRK_PINCODE_MAX + 2], b[GMRK_PINCODE_MAX + 2];
	bool tty = isatty(STDIN_FILENO);
	gmrk_error err;
	long n, m = 0;
	int rc = EXIT_USAGE;

	n = tty ? gkp_prompt("pincode: ", a, sizeof(a)) : gkp_read_line(a, sizeof(a));
	if (n >= 0 && tty && n > 0)
		m = gkp_prompt("confirm: ", b, sizeof(b));
	if (n == -1 || m == -1)
		gkp_fail("cannot read the pincode: %s", strerror(errno));
	else if (n == -2 || m == -2)
		gkp_fail("pincode longer than %s bytes", "1024");
	else if (!n)
		gkp_fail("%s", "empty pincode refused");
	else if (tty && (m != n || memcmp(a, b, (size_t)n)))
		gkp_fail("%s", "pincodes do not match");
	else if (gmrk_pincode_set(pin, a, (size_t)n, &err))
		gkp_fail("%s", err.message);
	else
		rc = EXIT_OK;
	OPENSSL_cleanse(a, sizeof(a));
	OPENSSL_cleanse(b, sizeof(b));
	return rc;
}

int gmrk_cmd_genkeypair(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gmrk_pincode pin = { NULL, 0 };
	char hex[GMRK_SM2_PUBLIC_HEX_LEN + 1];
	const char *out = NULL;
	gmrk_sm2 *k = NULL;
	struct stat st;
	gmrk_error err;
	char *pem = NULL;
	size_t pemlen = 0;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			fputs(gkp_usage, stdout);
			return EXIT_OK;
		default:
			fputs(gkp_usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(gkp_usage, stderr);
		return EXIT_USAGE;
	}
	/* fail before asking for a pincode; the write itself never replaces one */
	if (out && !lstat(out, &st))
		return gkp_fail("'%s' already exists: not overwriting a key", out);
	rc = gkp_get_pincode(&pin);
	if (rc)
		return rc;
	k = gmrk_sm2_generate(&err);
	if (!k) {
		rc = gkp_fail("%s", err.message);
		goto out;
	}
	gmrk_sm2_public_hex(k, hex);
	if (out) {
		if (gmrk_sm2_write_private(k, out, pin.buf, pin.len, 0, &err)) {
			rc = gkp_fail("%s", err.message);
			goto out;
		}
		printf("public key:  %s\n", hex);
		printf("private key: %s (mode 0600)\n", out);
	} else {
		if (gmrk_sm2_private_pem(k, pin.buf, pin.len, 0, &pem, &pemlen, &err)) {
			rc = gkp_fail("%s", err.message);
			goto out;
		}
		printf("public key:  %s\n", hex);
		printf("private key:\n%s", pem);
	}
	printf("note: the private key is encrypted by the pincode (PKCS#8, scrypt + SM4-CBC)\n");
	if (fflush(stdout)) {
		rc = gkp_fail("cannot write the output: %s", strerror(errno));
		goto out;
	}
	rc = EXIT_OK;
out:
	gmrk_sm2_pem_free(pem, pemlen);
	gmrk_sm2_free(k);
	gmrk_pincode_clear(&pin);
	return rc;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* gmrk CLI: messages, hex, I/O helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"

const char *cli_cmd = "gmrk";

void cli_vfail(int status, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", cli_cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	exit(status);
}

void cli_fail(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vfail(status, fmt, ap);
}

int cli_status(int rc)
{
	if (rc < 0)
		rc = -rc;
	return rc == GMRK_E_AUTH || rc == GMRK_E_WRONG_KEY ? EXIT_AUTH : EXIT_USAGE;
}

void cli_fail_gmrk(int rc, const gmrk_error *err)
{
	cli_fail(cli_status(rc), "%s", err && err->message[0] ? err->message :
		 gmrk_strerror(rc));
}

/*
 * Hex arguments: OpenSSL (already linked for `gmrk version`) decodes them;
 * a separator of '\0' makes OPENSSL_hexstr2buf_ex() accept digits only.
 * libgmrk's own decoder is internal, and hex decoding is not part of
 * what the library is for, so it exports none.
 */
uint8_t *cli_hex(const char *arg, const char *what, size_t *len)
{
	size_t n = strlen(arg);
	uint8_t *out;

	if (n % 2)
		cli_fail(EXIT_USAGE, "%s: odd number of hex digits", what);
	out = malloc(n / 2 + 1);
	if (!out)
		cli_fail(EXIT_USAGE, "out of memory");
	if (!OPENSSL_hexstr2buf_ex(out, n / 2 + 1, len, arg, '\0'))
		cli_fail(EXIT_USAGE, "%s: not hexadecimal", what);
	return out;
}

enum gmrk_cipher cli_cipher(const char *name)
{
	enum gmrk_cipher c = gmrk_cipher_from_name(name);

	if (c == GMRK_CIPHER_NONE)
		cli_fail(EXIT_USAGE,
			 "unsupported cipher '%s' (aes-gcm, sm4-gcm, chacha20-poly1305)", name);
	return c;
}

enum gmrk_backend cli_backend(const char *name)
{
	int b = gmrk_backend_from_name(name);

	if (b < 0)
		cli_fail(EXIT_USAGE, "unknown backend '%s' (auto, card, kernel, soft)", name);
	return (enum gmrk_backend)b;
}

int cli_read_all(int fd, uint8_t **buf, size_t *len)
{
	size_t cap = 65536, n = 0;
	uint8_t *b = malloc(cap), *nb;
	ssize_t r;

	if (!b)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			cap *= 2;
			nb = realloc(b, cap);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(b);
			return -e;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	return 0;
}

int cli_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t r = write(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

long long cli_read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, p + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			break;
		got += (size_t)r;
	}
	return (long long)got;
}

int cli_parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	if (*end == 'k' || *end == 'K')
		v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		v <<= 20, end++;
	if (*end)
		return -1;
	*out = (size_t)v;
	return 0;
}

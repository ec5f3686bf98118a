// SPDX-License-Identifier: GPL-2.0-or-later
/* gmrk CLI: messages, hex, I/O helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char *cli_cmd = "gmrk";

void cli_fail(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli_cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
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

static int cli_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint8_t *cli_hex(const char *arg, const char *what, size_t *len)
{
	size_t n = strlen(arg), i;
	uint8_t *out;

	if (n % 2)
		cli_fail(EXIT_USAGE, "%s: odd number of hex digits", what);
	out = malloc(n / 2 + 1);
	if (!out)
		cli_fail(EXIT_USAGE, "out of memory");
	for (i = 0; i < n; i += 2) {
		int hi = cli_hexval(arg[i]), lo = cli_hexval(arg[i + 1]);

		if (hi < 0 || lo < 0)
			cli_fail(EXIT_USAGE, "%s: not hexadecimal", what);
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return out;
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

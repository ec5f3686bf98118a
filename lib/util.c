// SPDX-License-Identifier: LGPL-2.1-or-later
/* Small helpers: zeroizing, hex, big-endian fields, randomness, time. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/crypto.h>

#include "internal.h"

void gmrk__memzero(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

/*
 * Strict: an even number of hex digits, nothing else. The input is
 * length-bounded (a configured master key need not be NUL-terminated), so
 * this walks it with OpenSSL's digit decoder rather than calling
 * OPENSSL_hexstr2buf_ex(), which wants a C string and leaves an entry on
 * the caller's OpenSSL error queue for every passphrase that is not hex.
 */
int gmrk__hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t cap,
		     size_t *outlen)
{
	size_t i;

	if (hexlen % 2 || hexlen / 2 > cap)
		return -GMRK_E_INVAL;
	for (i = 0; i < hexlen; i += 2) {
		int hi = OPENSSL_hexchar2int((unsigned char)hex[i]);
		int lo = OPENSSL_hexchar2int((unsigned char)hex[i + 1]);

		if (hi < 0 || lo < 0)
			return -GMRK_E_INVAL;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = hexlen / 2;
	return 0;
}

void gmrk__put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

void gmrk__put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = (uint8_t)v;
}

void gmrk__put_be64(uint8_t *p, uint64_t v)
{
	gmrk__put_be32(p, (uint32_t)(v >> 32));
	gmrk__put_be32(p + 4, (uint32_t)v);
}

uint16_t gmrk__get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t gmrk__get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

uint64_t gmrk__get_be64(const uint8_t *p)
{
	return (uint64_t)gmrk__get_be32(p) << 32 | gmrk__get_be32(p + 4);
}

/* getrandom() until @len bytes arrived (it may return short reads). */
int gmrk__getrandom(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

uint64_t gmrk__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool gmrk__overlap(const void *a, size_t alen, const void *b, size_t blen)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;

	if (!alen || !blen)
		return false;
	return x < y + blen && y < x + alen;
}

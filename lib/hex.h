/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Lower-case hex encoding for key ids, digests and public keys in
 * messages and listings. Header-only because the CLI compiles some
 * library files on their own (lib/cardkey.c) and cannot reach the
 * library's hidden symbols. OpenSSL's OPENSSL_buf2hexstr() writes upper
 * case with separators, which is not the form users paste back.
 */
#ifndef GMRK_HEX_H
#define GMRK_HEX_H

#include <stddef.h>
#include <stdint.h>

/* @out receives 2 * @len digits and a NUL */
static inline void gmrk_hex(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

#endif

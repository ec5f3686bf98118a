/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SM2 public-key encryption (GB/T 32918.4) on curve sm2p256v1, computed in
 * the test process with OpenSSL, to check the card's KEY_UNWRAP against:
 * one encryption written here from OpenSSL's elliptic-curve primitives
 * (EC_POINT_mul, EVP_sm3), and OpenSSL's own SM2 encryption (EVP_PKEY
 * "SM2"), whose DER output is converted to the card's C1 || C3 || C2.
 * Never libgcrypt, which the QEMU model uses.
 *
 * Points are uncompressed: 0x04 || X || Y, 32-byte big-endian coordinates.
 */
#ifndef GMRK_QMP_SM2_REF_H
#define GMRK_QMP_SM2_REF_H

#include <stddef.h>
#include <stdint.h>

#define SM2_POINT_LEN	65
#define SM2_C3_LEN	32
#define SM2_OVERHEAD	(SM2_POINT_LEN + SM2_C3_LEN)

/* 0 if @pt is a point of the curve other than infinity, else -EINVAL. */
int sm2_point_check(const uint8_t pt[SM2_POINT_LEN]);

/*
 * Encrypt @m (@len bytes) to public key @pub with a fresh random k:
 * @out = C1 || C3 || C2, SM2_OVERHEAD + len bytes. 0 or -errno.
 */
int sm2_encrypt(const uint8_t pub[SM2_POINT_LEN], const uint8_t *m,
		size_t len, uint8_t *out);

/* The same through OpenSSL's EVP SM2 encryption. 0 or -errno. */
int sm2_encrypt_evp(const uint8_t pub[SM2_POINT_LEN], const uint8_t *m,
		    size_t len, uint8_t *out);

/* A random point of the curve ([k]G for a random k). 0 or -errno. */
int sm2_random_point(uint8_t out[SM2_POINT_LEN]);

/* -P: the same X, Y replaced by p - Y. 0 or -errno. */
int sm2_point_negate(const uint8_t in[SM2_POINT_LEN], uint8_t out[SM2_POINT_LEN]);

/*
 * A second encoding of a curve point: (x0 + p, y0) for the point (x0, y0)
 * with the smallest x0 >= 0 that has one, so X is not below p. 0 or -errno.
 */
int sm2_point_noncanonical(uint8_t out[SM2_POINT_LEN]);

/* Hex of @len bytes into @hex (2 * len + 1 bytes). */
void sm2_hex(const uint8_t *p, size_t len, char *hex);
/* Parse exactly @len bytes of hex; 0 or -EINVAL. */
int sm2_unhex(const char *hex, uint8_t *p, size_t len);

#endif /* GMRK_QMP_SM2_REF_H */

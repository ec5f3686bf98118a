/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SM2 public-key encryption (GB/T 32918.4) on curve sm2p256v1, computed in
 * the test process with OpenSSL, to check a device's key unwrap against:
 * one encryption written here from OpenSSL's elliptic-curve primitives
 * (EC_POINT_mul, EVP_sm3), and OpenSSL's own SM2 encryption (EVP_PKEY
 * "SM2"), whose DER output is converted to the C1 || C3 || C2 form.
 * Never libgcrypt, which the QEMU model uses, nor the driver's emulation
 * device's arithmetic. Used by the kselftests (gmrk_70_keyslots, against
 * the driver) and the QMP tests of the QEMU card (tests/qmp/qmp_5x_*).
 *
 * Points are uncompressed: 0x04 || X || Y, 32-byte big-endian coordinates.
 * Each call sets up and frees its own OpenSSL objects, so the functions
 * may be called from several threads at once.
 */
#ifndef GMRK_SELFTEST_SM2_REF_H
#define GMRK_SELFTEST_SM2_REF_H

#include <stddef.h>
#include <stdint.h>

#define SM2_POINT_LEN	65
#define SM2_C3_LEN	32
#define SM2_OVERHEAD	(SM2_POINT_LEN + SM2_C3_LEN)

/* 0 if @pt is a point of the curve other than infinity, else -EINVAL. */
int sm2_point_check(const uint8_t pt[SM2_POINT_LEN]);

/*
 * Encrypt @m (1 to 256 bytes) to public key @pub with a fresh random k
 * from OpenSSL's generator: @out = C1 || C3 || C2, SM2_OVERHEAD + len
 * bytes. 0 or -errno.
 */
int sm2_encrypt(const uint8_t pub[SM2_POINT_LEN], const uint8_t *m,
		size_t len, uint8_t *out);

/* Fills @len bytes at @buf; @arg is the caller's (e.g. a seeded PRNG). */
typedef void sm2_rand_fn(void *arg, void *buf, size_t len);

/*
 * sm2_encrypt() with k taken from @rand instead: 32 bytes of it reduced
 * mod n (drawn again while zero), so the same generator state gives the
 * same ciphertext again.
 */
int sm2_encrypt_rand(const uint8_t pub[SM2_POINT_LEN], const uint8_t *m,
		     size_t len, uint8_t *out, sm2_rand_fn *rand, void *arg);

/* sm2_encrypt() through OpenSSL's EVP SM2 encryption. 0 or -errno. */
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

#endif /* GMRK_SELFTEST_SM2_REF_H */

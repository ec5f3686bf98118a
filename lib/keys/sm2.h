/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SM2 master key (the fctsdb "gm-soft" provider).
 *
 * The master key is an SM2 key pair. Asset keys are wrapped by SM2
 * public-key encryption (GM/T 0003.4, ciphertext in the GM/T 0009 DER
 * form OpenSSL produces) to the public key, which is all a writer needs.
 * Unwrapping needs the private key, kept in a PEM file as a PKCS#8
 * EncryptedPrivateKeyInfo: PBES2 with scrypt (RFC 7914) and SM4-CBC,
 * under a pincode. `openssl pkey -in FILE` reads it.
 *
 * Public keys are written as in GM/T 0009: 04 || X || Y, in hex (130
 * digits).
 */
#ifndef GMRK_KEYS_SM2_H
#define GMRK_KEYS_SM2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gmrk/gmrk.h>

#define GMRK_SM2_PUBLIC_LEN	65	/* 04 || X || Y */
#define GMRK_SM2_PUBLIC_HEX_LEN	(2 * GMRK_SM2_PUBLIC_LEN)
#define GMRK_SM2_PLAIN_MAX	64	/* largest key gmrk_sm2_wrap takes */
/* DER SM2Cipher of a GMRK_SM2_PLAIN_MAX key: C1 (2 INTEGERs), C3, C2 */
#define GMRK_SM2_WRAPPED_MAX	(GMRK_SM2_PLAIN_MAX + 128)

/* scrypt cost of new private key files: N = 2^14, r = 8, p = 4 */
#define GMRK_SM2_SCRYPT_LOG2N	14
#define GMRK_SM2_SCRYPT_R	8
#define GMRK_SM2_SCRYPT_P	4

#define GMRK_SM2_FILE_MAX	16384	/* a private key file is ~400 bytes */

typedef struct gmrk_sm2 gmrk_sm2;

/* A fresh key pair. */
gmrk_sm2 *gmrk_sm2_generate(gmrk_error *err);

/* The public key alone (wraps only), from 130 hex digits 04||X||Y. */
gmrk_sm2 *gmrk_sm2_from_public_hex(const char *hex, gmrk_error *err);

/* The same from the 65 bytes 04||X||Y (as a gm-rk card reports them). */
gmrk_sm2 *gmrk_sm2_from_public(const uint8_t pub[GMRK_SM2_PUBLIC_LEN],
			       gmrk_error *err);

/*
 * The key pair from a private key PEM (@name for messages) or file, with
 * @pin (@pinlen bytes). Errors: -GMRK_E_WRONG_KEY "sm2 private key: wrong
 * pincode or corrupt key file"; -GMRK_E_CORRUPT / -GMRK_E_TRUNCATED for a
 * file that is not a PEM encrypted private key; -GMRK_E_UNSUPPORTED for an
 * unencrypted or non-SM2 key; -GMRK_E_PERM for a file group or others can
 * read; -GMRK_E_NOENT; -GMRK_E_NOKEY for an empty pincode. Nothing is ever
 * modified or deleted.
 */
gmrk_sm2 *gmrk_sm2_from_private_pem(const char *pem, size_t len,
				    const char *name, const char *pin,
				    size_t pinlen, gmrk_error *err);
gmrk_sm2 *gmrk_sm2_load_private(const char *path, const char *pin,
				size_t pinlen, gmrk_error *err);

/*
 * The master key as a library configures it (fctsdb's public-key, path
 * and pincode): with @private_path NULL, only the public key @public_hex
 * (enough to wrap). Otherwise the private key file, unlocked by @pin
 * (@pinlen bytes) or, when @pin is NULL, by the pincode in environment
 * variable @pin_env (NULL: GMRK_PINCODE), which is removed from the
 * environment once read; when @public_hex is given too, the private key
 * must match it.
 */
gmrk_sm2 *gmrk_sm2_open_master(const char *public_hex, const char *private_path,
			       const char *pin, size_t pinlen, const char *pin_env,
			       gmrk_error *err);

void gmrk_sm2_free(gmrk_sm2 *k);

bool gmrk_sm2_has_private(const gmrk_sm2 *k);

/* 130 lower-case hex digits and a NUL into @hex. */
int gmrk_sm2_public_hex(const gmrk_sm2 *k, char hex[GMRK_SM2_PUBLIC_HEX_LEN + 1]);

/* -GMRK_E_WRONG_KEY unless @k's public key is @hex (any case). */
int gmrk_sm2_check_public(const gmrk_sm2 *k, const char *hex, gmrk_error *err);

/*
 * The private key as a PEM EncryptedPrivateKeyInfo under @pin, scrypt
 * cost 2^@log2n (0: GMRK_SM2_SCRYPT_LOG2N; 10..14, as OpenSSL's readers
 * refuse scrypt above 32 MiB). *pem is NUL-terminated; free it with
 * gmrk_sm2_pem_free.
 */
int gmrk_sm2_private_pem(const gmrk_sm2 *k, const char *pin, size_t pinlen,
			 unsigned int log2n, char **pem, size_t *pemlen,
			 gmrk_error *err);
void gmrk_sm2_pem_free(char *pem, size_t pemlen);

/*
 * The same, written to a new file @path: mode 0600, crash-safe, never
 * over an existing file (-GMRK_E_EXISTS).
 */
int gmrk_sm2_write_private(const gmrk_sm2 *k, const char *path,
			   const char *pin, size_t pinlen, unsigned int log2n,
			   gmrk_error *err);

/*
 * SM2-encrypts the @keylen byte key (1..GMRK_SM2_PLAIN_MAX) to @k's public
 * key: at most GMRK_SM2_WRAPPED_MAX bytes into @out (@cap), length in
 * *outlen (it varies by a few bytes, DER integers).
 */
int gmrk_sm2_wrap(const gmrk_sm2 *k, const uint8_t *key, size_t keylen,
		  uint8_t *out, size_t cap, size_t *outlen, gmrk_error *err);

/*
 * SM2-decrypts a wrapped key with @k's private key into @key (@cap bytes).
 * -GMRK_E_WRONG_KEY when it was wrapped to another key or is corrupt (the
 * SM3 check value C3 does not match); @key is zeroed on any error.
 */
int gmrk_sm2_unwrap(const gmrk_sm2 *k, const uint8_t *in, size_t len,
		    uint8_t *key, size_t cap, size_t *keylen, gmrk_error *err);

#endif /* GMRK_KEYS_SM2_H */

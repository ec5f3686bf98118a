/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the host tests (cmocka, TAP output). Every test
 * binary links the library's sources built with ASan and UBSan, so the
 * tests can reach internal functions (lib/internal.h) too.
 */
#ifndef GMRK_TEST_COMMON_H
#define GMRK_TEST_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <cmocka.h>

#include <gmrk/gmrk.h>

/* hex string -> new buffer (length in *len); aborts the test on bad hex */
uint8_t *th_hex(const char *hex, size_t *len);
/* a known-answer vector (vectors.h has the published ones): hex fields */
struct th_kat {
	const char *name;
	enum gmrk_cipher c;
	const char *key, *iv, *aad, *pt, *ct, *tag;
};
/* a vector's bytes: th_kat_decode() allocates them, th_kat_free() frees them */
struct th_kat_bytes {
	uint8_t *key, *iv, *aad, *pt, *ct, *tag;
	size_t klen, ivlen, alen, plen, clen, tlen;
};
void th_kat_decode(const struct th_kat *k, struct th_kat_bytes *v);
void th_kat_free(struct th_kat_bytes *v);
/* deterministic pseudo-random bytes (xorshift), for sizes and data */
uint64_t th_rand(void);
void th_fill(void *buf, size_t len);
/* a context with a forced backend and no master key from the environment */
gmrk_ctx *th_ctx(enum gmrk_backend b, enum gmrk_cipher c, unsigned int flags);
/* a context whose master key is @ek (hex or passphrase) */
gmrk_ctx *th_ctx_ek(const char *ek, enum gmrk_cipher c, unsigned int flags);
/* a fixed raw asset key */
gmrk_key *th_key(gmrk_ctx *ctx, uint32_t version);
/* gmrk_key_open(@ctx, @path, NULL, @flags), which must succeed */
gmrk_key *th_key_ok(gmrk_ctx *ctx, const char *path, unsigned int flags);
/* a fresh temporary directory (removed at exit) and paths inside it */
const char *th_tmpdir(void);
char *th_path(const char *name);
/* run the TAP-reporting cmocka group */
int th_run(const char *name, const struct CMUnitTest *tests, size_t n);
#define TH_RUN(name, tests) th_run(name, tests, sizeof(tests) / sizeof(tests[0]))

#endif

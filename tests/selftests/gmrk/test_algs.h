/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the gmrk selftests test: the driver's AEADs (one entry per key
 * size), their software counterparts in the kernel, and small shared
 * utilities (seeded PRNG, hex, environment knobs).
 *
 * Environment:
 *   GMRK_TEST_MODE=sim|pci      set by the VM harness
 *   GMRK_TEST_SEED=N            reproduce a run (every test logs its seed)
 *   GMRK_TEST_SCALE=N           multiply iteration counts (default 1)
 *   GMRK_DRV_GCM_AES, GMRK_DRV_GCM_SM4, GMRK_DRV_CHACHAPOLY
 *                               bind another driver instead of gmrk's,
 *                               e.g. gcm_base(ctr(aes-generic),ghash-generic),
 *                               to check the tests themselves against the
 *                               kernel's own software; gmrk-only checks
 *                               then SKIP.
 */
#ifndef GMRK_SELFTEST_TEST_ALGS_H
#define GMRK_SELFTEST_TEST_ALGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ref_aead.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

struct aead_alg {
	const char *label;	/* for messages: "aes128-gcm" */
	const char *cra_name;	/* "gcm(aes)" */
	const char *driver;	/* gmrk driver name */
	const char *env;	/* override variable for driver */
	const char *soft;	/* the kernel's own software instance */
	enum ref_alg ref;
	unsigned int keylen;
};

enum {
	ALG_AES128,
	ALG_AES192,
	ALG_AES256,
	ALG_SM4,
	ALG_CHACHAPOLY,
	NUM_AEAD_ALGS,
};

extern const struct aead_alg aead_algs[NUM_AEAD_ALGS];

/* Driver name to bind for alg (gmrk's unless overridden). */
const char *aead_driver_name(const struct aead_alg *alg);
/* True unless the driver name was overridden from the environment. */
bool aead_is_gmrk(const struct aead_alg *alg);

/* Tag sizes the algorithm accepts, ascending. */
size_t aead_authsizes(const struct aead_alg *alg, const unsigned int **sizes);
bool aead_authsize_ok(const struct aead_alg *alg, unsigned int authsize);

/* Deterministic PRNG (splitmix64): tests log their seed to be replayable. */
struct prng {
	uint64_t s;
};

uint64_t test_seed(void);
void prng_init(struct prng *p, uint64_t seed);
uint64_t prng_u64(struct prng *p);
uint64_t prng_below(struct prng *p, uint64_t n);	/* [0, n), n > 0 */
void prng_fill(struct prng *p, void *buf, size_t len);
/* A length in [0, max], skewed so that small and edge sizes are common. */
size_t prng_len(struct prng *p, size_t max);

/* Hex to bytes, whitespace ignored. Returns malloc()ed buffer or NULL. */
uint8_t *hex_alloc(const char *hex, size_t *len);

/* Iteration count n scaled by GMRK_TEST_SCALE. */
unsigned int test_scaled(unsigned int n);
/* "sim", "pci" or "" from GMRK_TEST_MODE. */
const char *test_mode(void);
bool test_mode_is_pci(void);

/* Index of the first differing byte, or -1. */
long first_diff(const uint8_t *a, const uint8_t *b, size_t len);

#endif /* GMRK_SELFTEST_TEST_ALGS_H */

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals shared by the SM4-GCM code paths (not installed).
 *
 * sm4gcm.c does the GCM bookkeeping (J0, padding, lengths, tag) once; each
 * code path only provides SM4 in counter mode and GHASH over whole blocks,
 * plus optionally both fused in one pass. GHASH state is always kept as the
 * 16 bytes of the GCM spec, so paths cannot drift apart in representation.
 */
#ifndef GMRK_SM4GCM_IMPL_H
#define GMRK_SM4GCM_IMPL_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sm4gcm.h"

#define SM4_BLOCK 16
#define SM4_ROUNDS 32

/* Room for the GHASH key material of the widest path (16 powers of H). */
#define SM4GCM_HTAB_BYTES 512

struct sm4gcm_impl {
	const char *name;
	bool (*usable)(void);
	/*
	 * Optional: the key schedule with the path's own constant-time
	 * S-box (default: sm4_expand_key(), which uses a table).
	 */
	void (*expand_key)(uint32_t rk[SM4_ROUNDS], const uint8_t key[16]);
	/* Precomputes c->htab from H = E(K, 0^128). */
	void (*ghash_init)(gmrk_sm4gcm *c, const uint8_t h[SM4_BLOCK]);
	/* y = GHASH update of y with @nblocks whole blocks of @in. */
	void (*ghash)(const gmrk_sm4gcm *c, uint8_t y[SM4_BLOCK],
		      const uint8_t *in, size_t nblocks);
	/*
	 * Counter mode over @len bytes (any length): the counter block @ctr
	 * is encrypted and its last 32 bits incremented (GCM's inc32) once
	 * per block; a trailing partial block uses part of one keystream
	 * block. @in == @out allowed. When @ek0 is not NULL, the first
	 * keystream block goes there instead (GCM's E(K, J0), computed with
	 * the data so that short messages cost one pass) and the data starts
	 * at the next counter value; @len may then be 0.
	 */
	void (*ctr)(const gmrk_sm4gcm *c, uint8_t ctr[SM4_BLOCK],
		    const uint8_t *in, uint8_t *out, size_t len,
		    uint8_t ek0[SM4_BLOCK]);
};

struct gmrk_sm4gcm {
	alignas(64) uint8_t htab[SM4GCM_HTAB_BYTES];
	uint32_t rk[SM4_ROUNDS];
	const struct sm4gcm_impl *impl;
};

/* sm4_generic.c */
void sm4_expand_key(uint32_t rk[SM4_ROUNDS], const uint8_t key[16]);
void sm4_encrypt_block(const uint32_t rk[SM4_ROUNDS], uint8_t out[16],
		       const uint8_t in[16]);
extern const struct sm4gcm_impl sm4gcm_impl_generic;

/* cpu_x86.c (x86-64 only): every feature in @want is usable. */
#define SM4_CPU_AES		(1u << 0)
#define SM4_CPU_PCLMUL		(1u << 1)
#define SM4_CPU_AVX2		(1u << 2)
#define SM4_CPU_VAES		(1u << 3)
#define SM4_CPU_VPCLMULQDQ	(1u << 4)
#define SM4_CPU_PROBED		(1u << 31)
bool sm4_cpu_has(unsigned int want);

/* sm4_aesni_avx2.c, sm4_vaes_avx2.c (x86-64 only) */
extern const struct sm4gcm_impl sm4gcm_impl_aesni_avx2;
extern const struct sm4gcm_impl sm4gcm_impl_vaes_avx2;

/* Key schedule constants (GB/T 32907 7.3). */
static const uint32_t sm4_fk[4] = {
	0xa3b1bac6, 0x56aa3350, 0x677d9197, 0xb27022dc
};

/* CK[i] byte j is (4i + j) * 7 mod 256. */
static inline uint32_t sm4_ck(int i)
{
	return (uint32_t)((28 * i) & 0xff) << 24 |
	       (uint32_t)((28 * i + 7) & 0xff) << 16 |
	       (uint32_t)((28 * i + 14) & 0xff) << 8 |
	       (uint32_t)((28 * i + 21) & 0xff);
}

static inline void sm4gcm_inc32(uint8_t ctr[SM4_BLOCK])
{
	uint32_t v = ((uint32_t)ctr[12] << 24 | (uint32_t)ctr[13] << 16 |
		      (uint32_t)ctr[14] << 8 | ctr[15]) + 1;

	ctr[12] = v >> 24;
	ctr[13] = v >> 16;
	ctr[14] = v >> 8;
	ctr[15] = v;
}

/*
 * For tests only: the code paths compiled in, best first, whether this CPU
 * can run each, and forcing one for contexts created afterwards (NULL goes
 * back to automatic choice). Returns 0, or -ENOTSUP for an unknown or
 * unusable path.
 */
size_t gmrk_sm4gcm_test_impl_count(void);
const char *gmrk_sm4gcm_test_impl_name(size_t i);
bool gmrk_sm4gcm_test_impl_usable(size_t i);
int gmrk_sm4gcm_test_force_impl(const char *name);

#endif /* GMRK_SM4GCM_IMPL_H */

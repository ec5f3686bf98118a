/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Counter-mode driver shared by the x86-64 SM4 paths. The including file
 * defines TARGET (its __attribute__((target))), KS_STEP (blocks per step
 * in the steady state), KS_MAX (largest group, taken only for the last
 * one, so that a message of KS_STEP * n + a few blocks does not end with a
 * small group that runs as long as a full one: a group's time is set by
 * SM4's 32-round dependency chain, not by its width) and ks_blocks(),
 * which writes the keystream of at least @nb <= KS_MAX blocks, counters
 * @ctr, @ctr + 1, ... (mod 2^32) after the fixed words @w, to @ks.
 */
#ifndef GMRK_SM4_CTR_X86_H
#define GMRK_SM4_CTR_X86_H

#include <immintrin.h>
#include <string.h>

#include "sm4gcm_impl.h"

static inline uint32_t sm4_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void sm4_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

TARGET static inline void sm4_xor_bytes(uint8_t *out, const uint8_t *in,
					const uint8_t *ks, size_t n)
{
	size_t i = 0;

	for (; i + 32 <= n; i += 32)
		_mm256_storeu_si256((__m256i *)(out + i), _mm256_xor_si256(
			_mm256_loadu_si256((const __m256i *)(in + i)),
			_mm256_loadu_si256((const __m256i *)(ks + i))));
	for (; i < n; i++)
		out[i] = in[i] ^ ks[i];
}

TARGET static void sm4_x86_ctr(const gmrk_sm4gcm *c, uint8_t ctr[SM4_BLOCK],
			       const uint8_t *in, uint8_t *out, size_t len,
			       uint8_t ek0[SM4_BLOCK])
{
	alignas(32) uint8_t ks[KS_MAX * SM4_BLOCK];
	uint32_t w[3] = { sm4_be32(ctr), sm4_be32(ctr + 4), sm4_be32(ctr + 8) };
	uint32_t n = sm4_be32(ctr + 12);
	size_t skip = ek0 ? 1 : 0;

	while (len || skip) {
		size_t want = skip + (len + SM4_BLOCK - 1) / SM4_BLOCK;
		size_t nb = want <= KS_MAX ? want : KS_STEP;
		size_t avail = nb * SM4_BLOCK, m;
		const uint8_t *k = ks;

		ks_blocks(c, w, n, ks, nb);
		n += (uint32_t)nb;
		if (skip) {
			memcpy(ek0, ks, SM4_BLOCK);
			k += SM4_BLOCK;
			avail -= SM4_BLOCK;
			skip = 0;
		}
		m = len < avail ? len : avail;
		sm4_xor_bytes(out, in, k, m);
		in += m;
		out += m;
		len -= m;
	}
	sm4_put_be32(ctr + 12, n);
	explicit_bzero(ks, sizeof(ks));
}

#endif

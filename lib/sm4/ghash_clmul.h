/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GHASH with carry-less multiply (PCLMULQDQ / VPCLMULQDQ), shared by the
 * x86-64 SM4-GCM paths.
 *
 * Field elements are kept as the big-endian 128-bit integers of the GCM
 * spec's byte strings (one PSHUFB from memory). c->htab holds
 *   T[i] = H^(16-i) * x^-1, i = 0..15 (x^-1 folds away the one-bit shift a
 *          carry-less product of bit-reflected operands needs),
 *   K[i] = T[i].hi ^ T[i].lo in both halves (Karatsuba middle operand),
 * so block j of an n-block group is multiplied by T[16 - n + j], and two
 * adjacent entries make one 256-bit operand.
 */
#ifndef GMRK_GHASH_CLMUL_H
#define GMRK_GHASH_CLMUL_H

#include "sm4gcm_impl.h"

void ghash_clmul_init(gmrk_sm4gcm *c, const uint8_t h[SM4_BLOCK]);
/* 8 blocks per reduction, 128-bit registers (PCLMULQDQ). */
void ghash_clmul(const gmrk_sm4gcm *c, uint8_t y[SM4_BLOCK],
		 const uint8_t *in, size_t nblocks);
/* 16 blocks per reduction, 256-bit registers (VPCLMULQDQ). */
void ghash_vpclmul(const gmrk_sm4gcm *c, uint8_t y[SM4_BLOCK],
		   const uint8_t *in, size_t nblocks);

#endif

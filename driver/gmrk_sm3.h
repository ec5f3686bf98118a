/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gmrk: SM3 hash (GB/T 32905-2016) for the emulation device's SM2 key
 * slots. Debian's 6.1 kernel is built without CONFIG_CRYPTO_SM3, so the
 * module carries its own; see gmrk_sm3.c.
 */
#ifndef _GMRK_SM3_H
#define _GMRK_SM3_H

#include <linux/types.h>

#define GMRK_SM3_DIGEST_SIZE	32
#define GMRK_SM3_BLOCK_SIZE	64

struct gmrk_sm3_ctx {
	u32 h[8];
	u64 bytes;			/* message bytes so far */
	u8 buf[GMRK_SM3_BLOCK_SIZE];	/* partial block */
	unsigned int fill;		/* bytes in buf */
};

void gmrk_sm3_init(struct gmrk_sm3_ctx *ctx);
void gmrk_sm3_update(struct gmrk_sm3_ctx *ctx, const void *data, size_t len);
/* Writes the digest and wipes @ctx. */
void gmrk_sm3_final(struct gmrk_sm3_ctx *ctx, u8 out[GMRK_SM3_DIGEST_SIZE]);
void gmrk_sm3(const void *data, size_t len, u8 out[GMRK_SM3_DIGEST_SIZE]);

/* The two examples of GB/T 32905-2016, appendix A. Return: 0 or -EIO. */
int gmrk_sm3_selftest(void);

#endif /* _GMRK_SM3_H */

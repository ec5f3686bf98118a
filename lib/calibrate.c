// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Auto-routing thresholds: from which request size the card beats
 * software for a cipher.
 *
 * Defaults (no measurement): AES-GCM 64 KiB, ChaCha20-Poly1305 32 KiB,
 * SM4-GCM 8 KiB. An AF_ALG request costs a few microseconds of system
 * calls whatever its size; AES-NI does ~4 GB/s, so below ~64 KiB the card
 * cannot win back that cost; ChaCha20 (~2 GB/s) and SM4 (~1 GB/s) in
 * software lose earlier.
 *
 * With GMRK_CFG_CALIBRATE (gmrk_config_init sets it) the first
 * auto-routed request of a cipher that the card has times
 * both paths on this machine (a few requests per size, 1 KiB .. 64 KiB,
 * bounded to ~50 ms) and takes the smallest size from which the card is
 * faster at every larger size tried; never, if it is not. A threshold set
 * by configuration or environment is never recalibrated. Single requests
 * are timed, so for batches (where the card has many in flight) the
 * threshold errs on the side of software. A wrong guess only costs speed:
 * every path gives the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const size_t gmrk__default_threshold[GMRK_CIPHER_COUNT] = {
	[GMRK_CIPHER_AES_GCM] = 64 * 1024,
	[GMRK_CIPHER_SM4_GCM] = 8 * 1024,
	[GMRK_CIPHER_CHACHA20_POLY1305] = 32 * 1024,
};

#define GMRK_CAL_REPS	4
#define GMRK_CAL_BUDGET	(50ull * 1000 * 1000)	/* ns */

/* ns per request of @len bytes on @which (-1: software); 0 on failure */
static uint64_t gmrk_time(struct gmrk_aead *a, int which, uint8_t *buf,
			  size_t len)
{
	uint8_t nonce[GMRK_NONCE_LEN] = { 0 }, tag[GMRK_TAG_LEN];
	struct gmrk_req r = {
		.enc = true, .nonce = nonce, .in = buf, .len = len,
		.out = buf, .tag = tag,
	};
	uint64_t t0 = 0;
	int i, rc;

	/* one warm-up, then the timed ones */
	for (i = 0; i <= GMRK_CAL_REPS; i++) {
		if (i == 1)
			t0 = gmrk__now_ns();
		nonce[0] = (uint8_t)i;	/* throw-away key: nonces may repeat */
		rc = which < 0 ? gmrk__soft_run(a, &r) : gmrk__run_on(a->af[which].h, &r);
		if (rc)
			return 0;
	}
	return (gmrk__now_ns() - t0) / GMRK_CAL_REPS;
}

void gmrk__calibrate(struct gmrk_ctx *ctx, struct gmrk_aead *real)
{
	static const size_t sizes[] = { 1024, 4096, 16384, 65536 };
	enum gmrk_cipher c = real->cipher;
	uint8_t key[GMRK_MAXKEY], *buf;
	struct gmrk_aead a;
	uint64_t start = gmrk__now_ns();
	size_t thr = SIZE_MAX;
	int i;

	if (!(ctx->flags & GMRK_CFG_CALIBRATE) || ctx->threshold_set[c] ||
	    ctx->calibrated[c])
		return;
	ctx->calibrated[c] = true;	/* once, whatever happens below */
	if (!gmrk__soft_has(c))
		return;
	/* a throw-away key, so the real key's nonce budget is not touched */
	if (gmrk__getrandom(key, sizeof(key)) ||
	    gmrk__aead_init(&a, c, key, real->keylen, ctx->flags, NULL))
		return;
	buf = calloc(1, sizes[3]);
	if (!buf || gmrk__af_bind(ctx, &a, GMRK_AF_CARD))
		goto out;
	for (i = 3; i >= 0; i--) {
		uint64_t soft = gmrk_time(&a, -1, buf, sizes[i]);
		uint64_t card = gmrk_time(&a, GMRK_AF_CARD, buf, sizes[i]);

		if (!soft || !card) {
			if (thr == SIZE_MAX)	/* could not measure: keep default */
				thr = ctx->threshold[c];
			break;
		}
		if (card > soft)
			break;
		thr = sizes[i];
		if (gmrk__now_ns() - start > GMRK_CAL_BUDGET)
			break;
	}
	ctx->threshold[c] = thr;
out:
	free(buf);
	gmrk__aead_clear(&a);
	gmrk__memzero(key, sizeof(key));
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Auto routing: which path is fastest for a cipher at a request size.
 *
 * Thresholds by configuration or environment (cfg.threshold,
 * GMRK_THRESHOLD*), or GMRK_CFG_NO_CALIBRATE, keep the simple rule: the
 * card from the threshold on, software below it. Defaults: AES-GCM
 * 64 KiB, ChaCha20-Poly1305 32 KiB, SM4-GCM 8 KiB. An AF_ALG request costs
 * a few microseconds of system calls whatever its size; AES-NI does
 * ~4 GB/s, so below ~64 KiB the card cannot win back that cost; ChaCha20
 * (~2 GB/s) and SM4 (~1 GB/s) in software lose earlier.
 *
 * Otherwise (the default) the paths are measured: for the context's
 * cipher when the context is created (gmrk__calibrate_ctx), for other
 * ciphers at their first auto-routed request in a size class (64 B,
 * 256 B, 1 KiB, 4 KiB, 16 KiB, 64 KiB, each class reaching half-way to
 * its neighbours in log scale). A measurement times software, the card
 * and the kernel's own AF_ALG algorithm at the class's size, with a
 * throw-away key so that no real key's nonce is spent, and the class then
 * goes to the fastest. A path that is not there is not timed, so a
 * machine without AF_ALG never measures anything. A class costs one bind
 * per path, a warm-up and 8 to 16 timed requests per path, the paths
 * taking turns, more than 8 only while a path has used less than
 * GMRK_CAL_PATH_NS (2 ms): about 2 ms for all six classes
 * on real hardware (the 64 KiB class dominates); GMRK_CAL_CTX_NS bounds
 * context creation even under TCG, where the emulated card is some 100
 * times slower. Timing takes the best of the runs, which filters out
 * scheduler hiccups on a shared machine, and a class is measured again
 * after 64 of its requests, then less and less often (gmrk_cal_recheck),
 * so one unlucky measurement does not route a class for the life of the
 * context. Single requests are timed, so
 * for batches (where the card has many in flight) the choice errs on the
 * side of software. A wrong guess only costs speed: every path gives the
 * same bytes.
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

#define GMRK_CAL_REPS		16
#define GMRK_CAL_MIN_RUNS	8	/* timed runs every path gets */
#define GMRK_CAL_PATH_NS	(2ull * 1000 * 1000)	/* per path and class */
#define GMRK_CAL_CTX_NS		(25ull * 1000 * 1000)	/* at context creation */

/* class k is measured at 64 << 2k bytes and holds [32 << 2k, 128 << 2k) */
static size_t gmrk_cal_size(int k)
{
	return (size_t)64 << (2 * k);
}

static int gmrk_cal_class(size_t n)
{
	int bits = n ? 63 - __builtin_clzll((unsigned long long)n) : 0;
	int k = bits < 7 ? 0 : (bits - 5) / 2;

	return k < GMRK_CAL_CLASSES ? k : GMRK_CAL_CLASSES - 1;
}

/* One path being timed: software (which = -1), the card or the kernel. */
struct gmrk_cal_path {
	int which;
	uint64_t best, spent;	/* best ns per request; ns used so far */
};

/* ns for one request of @r on @p, or 0 on failure */
static uint64_t gmrk_time_one(struct gmrk_aead *a, const struct gmrk_cal_path *p,
			      struct gmrk_req *r)
{
	uint64_t t0 = gmrk__now_ns(), dt;
	int rc;

	rc = p->which < 0 ? gmrk__soft_run(a, r) : gmrk__run_on(a->af[p->which].h, r);
	if (rc)
		return 0;
	dt = gmrk__now_ns() - t0;
	return dt ? dt : 1;
}

/*
 * Time @np paths at @len bytes from @buf to @buf + @len, taking turns:
 * round i runs one request on every path still in the race, so a slow
 * spell of a shared (or emulated) machine falls on all of them rather
 * than on whichever path it met. Round 0 warms up; rounds 1 to
 * GMRK_CAL_MIN_RUNS always count, later ones only while a path's budget
 * lasts. A path that fails is dropped (best = 0).
 */
static void gmrk_time_paths(struct gmrk_aead *a, struct gmrk_cal_path *paths,
			    int np, uint8_t *buf, size_t len)
{
	uint8_t nonce[GMRK_NONCE_LEN] = { 0 }, tag[GMRK_TAG_LEN];
	struct gmrk_req r = {
		.enc = true, .nonce = nonce, .in = buf, .len = len,
		.out = buf + len, .tag = tag,	/* out of place, as gmrk_seal */
	};
	bool ran = true;
	int i, j;

	for (i = 0; i <= GMRK_CAL_REPS && ran; i++) {
		ran = false;
		nonce[0] = (uint8_t)i;	/* throw-away key: nonces may repeat */
		for (j = 0; j < np; j++) {
			struct gmrk_cal_path *p = &paths[j];
			uint64_t dt;

			if (!p->best ||
			    (i > GMRK_CAL_MIN_RUNS && p->spent >= GMRK_CAL_PATH_NS))
				continue;
			dt = gmrk_time_one(a, p, &r);
			if (!dt) {
				p->best = 0;
				continue;
			}
			ran = true;
			p->spent += dt;
			if (i && dt < p->best)
				p->best = dt;
		}
	}
}

/* the fastest backend for requests of class @k, measured now */
static enum gmrk_backend gmrk_measure(struct gmrk_ctx *ctx, enum gmrk_cipher c,
				      int k)
{
	enum gmrk_backend best = GMRK_BACKEND_SOFT;
	struct gmrk_cal_path paths[1 + GMRK_AF_COUNT];
	uint8_t key[GMRK_MAXKEY], *buf = NULL;
	size_t len = gmrk_cal_size(k);
	uint64_t best_ns = UINT64_MAX;
	struct gmrk_aead a;
	int which, np = 0, j;

	if (gmrk__getrandom(key, sizeof(key)) ||
	    gmrk__aead_init(&a, c, key, gmrk__block_keylen(c), ctx->flags, NULL))
		goto out_key;
	buf = malloc(2 * len);
	if (!buf)
		goto out;
	/* fault the pages in now, not in the first path's timing */
	memset(buf, 0x5a, 2 * len);
	if (gmrk__soft_has(c))
		paths[np++] = (struct gmrk_cal_path){ -1, UINT64_MAX, 0 };
	for (which = 0; which < GMRK_AF_COUNT; which++) {
		if (which == GMRK_AF_CARD && !ctx->probe.card[c][0])
			continue;
		if (gmrk__af_bind(ctx, &a, which))
			continue;
		paths[np++] = (struct gmrk_cal_path){ which, UINT64_MAX, 0 };
	}
	gmrk_time_paths(&a, paths, np, buf, len);
	for (j = 0; j < np; j++) {
		uint64_t t = paths[j].best;

		if (paths[j].which < 0) {
			if (!t)		/* software must work: keep to it */
				goto out;
			/*
			 * An AF_ALG path must win by 5%: near a tie, software
			 * (no system calls, no device to fail or be shared)
			 * is the safer pick, and either is within 5% of the
			 * best.
			 */
			best_ns = t - t / 20;
		} else if (t && t < best_ns) {
			best_ns = t;
			best = paths[j].which == GMRK_AF_CARD ? GMRK_BACKEND_CARD :
								GMRK_BACKEND_KERNEL;
		}
	}
out:
	free(buf);
	gmrk__aead_clear(&a);
out_key:
	gmrk__memzero(key, sizeof(key));
	return best;
}

/*
 * Routed requests in a class after its @runs-th measurement before it is
 * measured again: 64, 1 Ki, 16 Ki, 256 Ki, then every 1 Mi. A first
 * measurement can meet a passing slow spell of one path (under emulation
 * it picked a path at 0.73 of the best), and the card's share of a
 * machine changes as other processes use it. The geometric steps keep
 * the cost small: on real hardware a measurement takes well under 1 ms
 * for the classes up to 4 KiB and ~2 ms at 64 KiB, against ~4 s and
 * ~70 s for 1 Mi SM4-GCM requests of those sizes (2 to 3 parts in
 * 10^4 at most); only the first step, after 64 requests, costs about
 * as much as the requests themselves, once.
 */
static uint32_t gmrk_cal_recheck(unsigned int runs)
{
	return runs >= 5 ? (uint32_t)1 << 20 : (uint32_t)64 << (4 * (runs ? runs - 1 : 0));
}

/*
 * Auto routing's path for @n bytes (AAD + payload) of @a's cipher, for a
 * request the caller has checked AF_ALG could take.
 * ctx->threshold[] follows for gmrk_stats(): the lower bound of the
 * smallest class the card won, SIZE_MAX while it won none.
 */
static void gmrk_cal_class_now(struct gmrk_ctx *ctx, enum gmrk_cipher c, int k)
{
	int j;

	ctx->cal_best[c][k] = (uint8_t)(gmrk_measure(ctx, c, k) + 1);
	ctx->cal_reqs[c][k] = 0;
	GMRK_STAT_ADD(ctx, calibrations, 1);
	if (ctx->cal_runs[c][k] < UINT8_MAX)
		ctx->cal_runs[c][k]++;
	ctx->threshold[c] = SIZE_MAX;
	for (j = GMRK_CAL_CLASSES - 1; j >= 0; j--)
		if (ctx->cal_best[c][j] == GMRK_BACKEND_CARD + 1)
			ctx->threshold[c] = j ? (size_t)32 << (2 * j) : 1;
}

enum gmrk_backend gmrk__calibrated(struct gmrk_ctx *ctx, struct gmrk_aead *a,
				   size_t n)
{
	enum gmrk_cipher c = a->cipher;
	int k = gmrk_cal_class(n);

	if (!ctx->cal_best[c][k]) {
		gmrk__probe(ctx);
		if (!ctx->probe.afalg)
			return GMRK_BACKEND_SOFT;	/* nothing to measure (and not again) */
		gmrk_cal_class_now(ctx, c, k);
	} else if (++ctx->cal_reqs[c][k] >= gmrk_cal_recheck(ctx->cal_runs[c][k])) {
		gmrk_cal_class_now(ctx, c, k);
	}
	return (enum gmrk_backend)(ctx->cal_best[c][k] - 1);
}

/*
 * At context creation, for the context's cipher: every class now, small
 * to large, so that the measuring pause falls at open time rather than on
 * some later request (a storage engine's latency-sensitive write). A
 * class not reached within GMRK_CAL_CTX_NS (only under emulation) is
 * measured at its first request instead.
 */
void gmrk__calibrate_ctx(struct gmrk_ctx *ctx)
{
	enum gmrk_cipher c = ctx->cipher;
	uint64_t start;
	int k;

	if (ctx->backend != GMRK_BACKEND_AUTO || ctx->threshold_set[c] ||
	    (ctx->flags & GMRK_CFG_NO_CALIBRATE) || !gmrk__soft_has(c))
		return;
	gmrk__probe(ctx);
	if (!ctx->probe.afalg)
		return;
	start = gmrk__now_ns();
	for (k = 0; k < GMRK_CAL_CLASSES && gmrk__now_ns() - start < GMRK_CAL_CTX_NS; k++)
		gmrk_cal_class_now(ctx, c, k);
}

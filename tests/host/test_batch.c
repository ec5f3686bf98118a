// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk_seal_many / gmrk_open_many: results in order in each block's slot,
 * identical to one-by-one calls, per-block errors that do not stop the
 * other blocks, the first failure named in the error, statistics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define N 64

struct set {
	uint8_t *pt[N], *ct[N], *back[N];
	size_t len[N];
	struct gmrk_block b[N];
	uint8_t ad[N][8];
};

static void make_set(struct set *s)
{
	int i;

	for (i = 0; i < N; i++) {
		s->len[i] = i % 9 == 0 ? 0 : (size_t)(th_rand() % 20000);
		s->pt[i] = malloc(s->len[i] + 1);
		s->ct[i] = malloc(s->len[i] + GMRK_OVERHEAD);
		s->back[i] = malloc(s->len[i] + 1);
		th_fill(s->pt[i], s->len[i]);
		memcpy(s->ad[i], "stream-X", 8);
		s->ad[i][7] = (uint8_t)i;
	}
}

static void free_set(struct set *s)
{
	for (int i = 0; i < N; i++) {
		free(s->pt[i]);
		free(s->ct[i]);
		free(s->back[i]);
	}
}

static void seal_blocks(struct set *s)
{
	for (int i = 0; i < N; i++)
		s->b[i] = (struct gmrk_block){
			.position = 1000 + (uint64_t)i, .ad = s->ad[i], .adlen = 8,
			.in = s->pt[i], .inlen = s->len[i],
			.out = s->ct[i], .outcap = s->len[i] + GMRK_OVERHEAD,
		};
}

static void open_blocks(struct set *s)
{
	for (int i = 0; i < N; i++)
		s->b[i] = (struct gmrk_block){
			.position = 1000 + (uint64_t)i, .ad = s->ad[i], .adlen = 8,
			.in = s->ct[i], .inlen = s->len[i] + GMRK_OVERHEAD,
			.out = s->back[i], .outcap = s->len[i],
		};
}

static void test_batch_roundtrip(void **st)
{
	static const enum gmrk_cipher ciphers[] = {
		GMRK_CIPHER_AES_GCM, GMRK_CIPHER_SM4_GCM, GMRK_CIPHER_CHACHA20_POLY1305,
	};

	(void)st;
	for (int c = 0; c < 3; c++) {
		gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_AUTO, ciphers[c], 0);
		gmrk_key *k = th_key(ctx, 1);
		struct gmrk_stats stats;
		struct set s;
		gmrk_error err;
		int i;

		make_set(&s);
		seal_blocks(&s);
		assert_int_equal(gmrk_seal_many(ctx, k, s.b, N, &err), 0);
		for (i = 0; i < N; i++) {
			size_t outlen;

			assert_int_equal(s.b[i].status, 0);
			assert_int_equal(s.b[i].outlen, s.len[i] + GMRK_OVERHEAD);
			assert_int_equal(s.b[i].backend, GMRK_BACKEND_SOFT);
			/* each opens on its own, at its position only */
			assert_int_equal(gmrk_open(ctx, k, 1000 + (uint64_t)i, s.ad[i], 8, s.ct[i],
						   s.b[i].outlen, s.back[i], s.len[i], &outlen,
						   NULL, NULL), 0);
			if (s.len[i])
				assert_memory_equal(s.back[i], s.pt[i], s.len[i]);
			memset(s.back[i], 0, s.len[i]);
		}
		open_blocks(&s);
		assert_int_equal(gmrk_open_many(ctx, k, s.b, N, &err), 0);
		for (i = 0; i < N; i++) {
			assert_int_equal(s.b[i].status, 0);
			assert_int_equal(s.b[i].outlen, s.len[i]);
			if (s.len[i])
				assert_memory_equal(s.back[i], s.pt[i], s.len[i]);
		}
		assert_int_equal(gmrk_stats(ctx, &stats), 0);
		assert_int_equal(stats.batches, 2);
		assert_int_equal(stats.seals, N);
		assert_int_equal(stats.opens, 2 * N);
		assert_int_equal(stats.ops[GMRK_BACKEND_SOFT], 3 * N);
		assert_int_equal(stats.fallbacks, 0);
		gmrk_stats_reset(ctx);
		assert_int_equal(gmrk_stats(ctx, &stats), 0);
		assert_int_equal(stats.seals, 0);
		free_set(&s);
		gmrk_key_free(k);
		gmrk_ctx_free(ctx);
	}
}

static void test_batch_partial_failures(void **st)
{
	gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_SOFT, 0, GMRK_CFG_ALLOW_PLAINTEXT);
	gmrk_key *k = th_key(ctx, 1);
	struct gmrk_stats stats;
	struct set s;
	gmrk_error err;
	int i;

	(void)st;
	make_set(&s);
	seal_blocks(&s);
	s.b[5].outcap = 3;	/* too small */
	s.b[9].outcap = 1;
	assert_int_equal(gmrk_seal_many(ctx, k, s.b, N, &err), -GMRK_E_SPACE);
	assert_non_null(strstr(err.message, "block 5 of 64"));
	for (i = 0; i < N; i++)
		assert_int_equal(s.b[i].status, i == 5 || i == 9 ? -GMRK_E_SPACE : 0);
	/* reseal those two properly, then forge block 7 and make block 11 plaintext */
	s.b[5].outcap = s.b[9].outcap = 1 << 20;
	assert_int_equal(gmrk_seal(ctx, k, 1005, s.ad[5], 8, s.pt[5], s.len[5], s.ct[5],
				   s.len[5] + GMRK_OVERHEAD, NULL, NULL), 0);
	assert_int_equal(gmrk_seal(ctx, k, 1009, s.ad[9], 8, s.pt[9], s.len[9], s.ct[9],
				   s.len[9] + GMRK_OVERHEAD, NULL, NULL), 0);
	open_blocks(&s);
	s.ct[7][GMRK_HEADER_LEN + s.len[7]] ^= 1;	/* first tag byte */
	s.b[11].in = "legacy";
	s.b[11].inlen = 6;
	s.b[11].outcap = 6;
	s.b[13].position = 1;	/* moved */
	assert_int_equal(gmrk_open_many(ctx, k, s.b, N, &err), -GMRK_E_AUTH);
	assert_non_null(strstr(err.message, "block 7 of 64"));
	for (i = 0; i < N; i++) {
		if (i == 7 || i == 13) {
			assert_int_equal(s.b[i].status, -GMRK_E_AUTH);
			assert_int_equal(s.b[i].outlen, 0);
		} else if (i == 11) {
			assert_int_equal(s.b[i].status, 0);
			assert_int_equal(s.b[i].flags, GMRK_BLOCK_PLAINTEXT);
			assert_memory_equal(s.back[i], "legacy", 6);
		} else {
			assert_int_equal(s.b[i].status, 0);
			if (s.len[i])
				assert_memory_equal(s.back[i], s.pt[i], s.len[i]);
		}
	}
	assert_int_equal(gmrk_stats(ctx, &stats), 0);
	assert_int_equal(stats.auth_failures, 2);
	assert_int_equal(stats.plaintext_blocks, 1);
	/* degenerate calls */
	assert_int_equal(gmrk_seal_many(ctx, k, NULL, 0, &err), 0);
	assert_int_equal(gmrk_seal_many(ctx, k, NULL, 3, &err), -GMRK_E_INVAL);
	assert_int_equal(gmrk_open_many(NULL, k, s.b, 3, &err), -GMRK_E_INVAL);
	free_set(&s);
	gmrk_key_free(k);
	gmrk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_roundtrip),
		cmocka_unit_test(test_batch_partial_failures),
	};

	return TH_RUN("batch", tests);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libgmrk's AF_ALG paths inside the VM: the card (gmrk driver names) and
 * the kernel's own implementations are found; known answers through every
 * backend; every path gives the same bytes for the same key and nonce;
 * blocks sealed on one path open on any other; authentication failures
 * from the card are reported, not retried; the kernel backend never
 * touches the card; auto routing follows the threshold.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "vectors.h"
#include "vmlib.h"

static const enum gmrk_cipher ciphers[] = {
	GMRK_CIPHER_AES_GCM, GMRK_CIPHER_SM4_GCM, GMRK_CIPHER_CHACHA20_POLY1305,
};
static const enum gmrk_backend afpaths[] = { GMRK_BACKEND_CARD, GMRK_BACKEND_KERNEL };

static size_t klen_of(enum gmrk_cipher c)
{
	return c == GMRK_CIPHER_SM4_GCM ? 16 : 32;
}

static void test_paths_found(void **s)
{
	gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_AUTO, 0, 0);
	struct gmrk_stats st;

	(void)s;
	for (int i = 0; i < 3; i++) {
		enum gmrk_cipher c = ciphers[i];

		assert_true(gmrk_backend_available(ctx, GMRK_BACKEND_SOFT, c));
		assert_true(gmrk_backend_available(ctx, GMRK_BACKEND_CARD, c));
		/* Debian's 6.1 has no SM4: its kernel path is gcm over gmrk's sm4 */
		assert_true(gmrk_backend_available(ctx, GMRK_BACKEND_KERNEL, c));
	}
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	assert_int_equal(st.card_ciphers, 0xe);
	assert_int_equal(st.kernel_ciphers, 0xe);
	gmrk_ctx_free(ctx);
}

/*
 * Known answers through each AF_ALG path: the shared vectors but the
 * empty messages, which libgmrk answers without a trip to the kernel (see
 * test_empty_forged_never_passes), so they would not count as ops here.
 */
static void test_kat_every_backend(void **s)
{
	(void)s;
	for (size_t i = 0; i < TH_NKATS; i++)
		for (int b = 0; b < 2 && *th_kats[i].pt; b++) {
			const struct th_kat *k = &th_kats[i];
			struct th_kat_bytes v;
			uint8_t *out, t[16];
			gmrk_ctx *ctx = th_ctx(afpaths[b], k->c, 0);
			struct gmrk_stats st;
			gmrk_error err;

			th_kat_decode(k, &v);
			out = malloc(v.plen);
			if (gmrk_aead_encrypt(ctx, k->c, v.key, v.klen, v.iv, v.ivlen, v.aad,
					      v.alen, v.pt, v.plen, out, t, &err))
				fail_msg("%s via %s: %s", gmrk_cipher_name(k->c),
					 gmrk_backend_name(afpaths[b]), err.message);
			assert_memory_equal(out, v.ct, v.clen);
			assert_memory_equal(t, v.tag, 16);
			assert_int_equal(gmrk_aead_decrypt(ctx, k->c, v.key, v.klen, v.iv, v.ivlen,
							   v.aad, v.alen, v.ct, v.clen, v.tag, out,
							   &err), 0);
			assert_memory_equal(out, v.pt, v.plen);
			v.tag[0] ^= 0x80;
			assert_int_equal(gmrk_aead_decrypt(ctx, k->c, v.key, v.klen, v.iv, v.ivlen,
							   v.aad, v.alen, v.ct, v.clen, v.tag, out,
							   &err), -GMRK_E_AUTH);
			for (size_t j = 0; j < v.plen; j++)
				assert_int_equal(out[j], 0);
			assert_int_equal(gmrk_stats(ctx, &st), 0);
			/* all three ran on the forced path; the forgery was not redone */
			assert_int_equal(st.ops[afpaths[b]], 2);
			assert_int_equal(st.fallbacks, 0);
			assert_int_equal(st.auth_failures, 1);
			gmrk_ctx_free(ctx);
			th_kat_free(&v);
			free(out);
		}
}

/* soft, card and kernel: the same bytes for the same key, nonce, AAD, data */
static void test_same_bytes_every_path(void **s)
{
	static const size_t edges[] = { 0, 1, 15, 16, 17, 255, 4096, 4097, 65536, 100000,
					131072, 200000 };
	gmrk_ctx *ctx[3] = {
		th_ctx(GMRK_BACKEND_SOFT, 0, 0), th_ctx(GMRK_BACKEND_CARD, 0, 0),
		th_ctx(GMRK_BACKEND_KERNEL, 0, 0),
	};

	(void)s;
	for (int ci = 0; ci < 3; ci++)
		for (int it = 0; it < 40; it++) {
			enum gmrk_cipher c = ciphers[ci];
			size_t len = it < 12 ? edges[it] : (size_t)(th_rand() % 70000);
			size_t alen = it % 5 == 0 ? 0 : (size_t)(th_rand() % 300);
			uint8_t key[32], iv[12], aad[300], tags[3][16];
			uint8_t *pt = malloc(len + 1), *ct[3], *back = malloc(len + 1);
			int p;

			th_fill(key, sizeof(key));
			th_fill(iv, sizeof(iv));
			th_fill(aad, alen);
			th_fill(pt, len);
			for (p = 0; p < 3; p++) {
				gmrk_error err;

				ct[p] = malloc(len + 1);
				if (gmrk_aead_encrypt(ctx[p], c, key, klen_of(c), iv, 12, aad, alen, pt,
						      len, ct[p], tags[p], &err))
					fail_msg("%s len %zu: %s", gmrk_cipher_name(c), len, err.message);
			}
			for (p = 1; p < 3; p++) {
				if (len)
					assert_memory_equal(ct[p], ct[0], len);
				assert_memory_equal(tags[p], tags[0], 16);
			}
			/* each path opens each other path's output */
			for (p = 0; p < 3; p++) {
				assert_int_equal(gmrk_aead_decrypt(ctx[p], c, key, klen_of(c), iv, 12,
								   aad, alen, ct[(p + 1) % 3], len,
								   tags[(p + 1) % 3], back, NULL), 0);
				if (len)
					assert_memory_equal(back, pt, len);
			}
			for (p = 0; p < 3; p++)
				free(ct[p]);
			free(pt);
			free(back);
		}
	for (int p = 0; p < 3; p++) {
		struct gmrk_stats st;

		assert_int_equal(gmrk_stats(ctx[p], &st), 0);
		assert_int_equal(st.fallbacks, 0);
		if (p)	/* the forced path did the work it can take */
			assert_true(st.ops[p == 1 ? GMRK_BACKEND_CARD : GMRK_BACKEND_KERNEL] > 200);
		gmrk_ctx_free(ctx[p]);
	}
}

/* in place through the card gives the software result */
static void test_in_place(void **s)
{
	gmrk_ctx *card = th_ctx(GMRK_BACKEND_CARD, 0, 0), *soft = th_ctx(GMRK_BACKEND_SOFT, 0, 0);
	uint8_t key[32] = { 9 }, iv[12] = { 8 }, a[5000], b[5000], ta[16], tb[16];

	(void)s;
	th_fill(a, sizeof(a));
	memcpy(b, a, sizeof(a));
	assert_int_equal(gmrk_aead_encrypt(card, GMRK_CIPHER_AES_GCM, key, 32, iv, 12, "x", 1, a,
					   sizeof(a), a, ta, NULL), 0);
	assert_int_equal(gmrk_aead_encrypt(soft, GMRK_CIPHER_AES_GCM, key, 32, iv, 12, "x", 1, b,
					   sizeof(b), b, tb, NULL), 0);
	assert_memory_equal(a, b, sizeof(a));
	assert_memory_equal(ta, tb, 16);
	assert_int_equal(gmrk_aead_decrypt(card, GMRK_CIPHER_AES_GCM, key, 32, iv, 12, "x", 1, a,
					   sizeof(a), ta, a, NULL), 0);
	gmrk_ctx_free(card);
	gmrk_ctx_free(soft);
}

/* blocks: sealed on any path, opened on any other, byte for byte */
static void test_blocks_cross_path(void **s)
{
	enum { NB = 24 };
	static const enum gmrk_backend paths[] = {
		GMRK_BACKEND_SOFT, GMRK_BACKEND_CARD, GMRK_BACKEND_KERNEL,
	};

	(void)s;
	for (int ci = 0; ci < 3; ci++)
		for (int from = 0; from < 3; from++)
			for (int to = 0; to < 3; to++) {
				gmrk_ctx *a = th_ctx(paths[from], ciphers[ci], 0);
				gmrk_ctx *b = th_ctx(paths[to], ciphers[ci], 0);
				gmrk_key *ka = th_key(a, 1), *kb = th_key(b, 1);
				struct gmrk_stats st;

				for (int i = 0; i < NB; i++) {
					size_t len = (size_t)(th_rand() % 66000), outlen, backlen;
					uint8_t *pt = malloc(len + 1), *ct = malloc(len + GMRK_OVERHEAD);
					uint8_t *back = malloc(len + 1);
					gmrk_error err;
					unsigned int flags;

					th_fill(pt, len);
					if (gmrk_seal(a, ka, (uint64_t)i, "asset", 5, pt, len, ct,
						      len + GMRK_OVERHEAD, &outlen, &err))
						fail_msg("seal: %s", err.message);
					if (gmrk_open(b, kb, (uint64_t)i, "asset", 5, ct, outlen, back,
						      len, &backlen, &flags, &err))
						fail_msg("open: %s", err.message);
					assert_int_equal(backlen, len);
					assert_int_equal(flags, 0);
					if (len)
						assert_memory_equal(back, pt, len);
					free(pt);
					free(ct);
					free(back);
				}
				assert_int_equal(gmrk_stats(a, &st), 0);
				assert_int_equal(st.ops[paths[from]], NB);
				assert_int_equal(gmrk_stats(b, &st), 0);
				assert_int_equal(st.ops[paths[to]], NB);
				gmrk_key_free(ka);
				gmrk_key_free(kb);
				gmrk_ctx_free(a);
				gmrk_ctx_free(b);
			}
}

/* the zero-length read trap: an empty message, no AAD, forged tag */
static void test_empty_forged_never_passes(void **s)
{
	(void)s;
	for (int ci = 0; ci < 3; ci++)
		for (int b = 0; b < 2; b++) {
			gmrk_ctx *ctx = th_ctx(afpaths[b], ciphers[ci], 0);
			uint8_t key[32] = { 1 }, iv[12] = { 2 }, tag[16] = { 0 };
			struct gmrk_stats st;

			assert_int_equal(gmrk_aead_decrypt(ctx, ciphers[ci], key, klen_of(ciphers[ci]),
							   iv, 12, NULL, 0, NULL, 0, tag, NULL, NULL),
					 -GMRK_E_AUTH);
			assert_int_equal(gmrk_stats(ctx, &st), 0);
			assert_int_equal(st.ops[afpaths[b]], 0);
			gmrk_ctx_free(ctx);
		}
}

/* the kernel backend is the kernel's own code, never the card */
static void test_kernel_is_not_card(void **s)
{
	gmrk_ctx *kern = th_ctx(GMRK_BACKEND_KERNEL, 0, 0), *card = th_ctx(GMRK_BACKEND_CARD, 0, 0);
	uint8_t key[32] = { 1 }, iv[12] = { 2 }, buf[4096] = { 0 }, tag[16];
	long long j0, j1, j2;

	(void)s;
	VM_NEED_SIM("the emulation device's job count (debugfs)");
	j0 = vm_read_num(SIM_DBG "/jobs", NULL);
	assert_true(j0 >= 0);
	for (int ci = 0; ci < 3; ci++)
		for (int i = 0; i < 10; i++)
			assert_int_equal(gmrk_aead_encrypt(kern, ciphers[ci], key, klen_of(ciphers[ci]),
							   iv, 12, NULL, 0, buf, sizeof(buf), buf,
							   tag, NULL), 0);
	j1 = vm_read_num(SIM_DBG "/jobs", NULL);
	assert_int_equal(j1, j0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(gmrk_aead_encrypt(card, GMRK_CIPHER_AES_GCM, key, 32, iv, 12, NULL, 0,
						   buf, sizeof(buf), buf, tag, NULL), 0);
	j2 = vm_read_num(SIM_DBG "/jobs", NULL);
	assert_true(j2 >= j1 + 5);
	gmrk_ctx_free(kern);
	gmrk_ctx_free(card);
}

/* after fork(), parent and child each get their own AF_ALG sockets */
static int fork_work(gmrk_ctx *card, gmrk_ctx *soft, uint8_t seed)
{
	uint8_t key[32], iv[12] = { seed }, a[3000], b[3000], ta[16], tb[16];
	int bad = 0;

	memset(key, seed, sizeof(key));
	for (int i = 0; i < 200; i++) {
		iv[1] = (uint8_t)i;
		memset(a, seed + i, sizeof(a));
		memcpy(b, a, sizeof(b));
		if (gmrk_aead_encrypt(card, GMRK_CIPHER_AES_GCM, key, 32, iv, 12, NULL, 0, a,
				      sizeof(a), a, ta, NULL) ||
		    gmrk_aead_encrypt(soft, GMRK_CIPHER_AES_GCM, key, 32, iv, 12, NULL, 0, b,
				      sizeof(b), b, tb, NULL) ||
		    memcmp(a, b, sizeof(a)) || memcmp(ta, tb, 16))
			bad++;
	}
	return bad;
}

static void test_fork(void **s)
{
	gmrk_ctx *card = th_ctx(GMRK_BACKEND_CARD, 0, 0), *soft = th_ctx(GMRK_BACKEND_SOFT, 0, 0);
	struct gmrk_stats st;
	int status;
	pid_t pid;

	(void)s;
	assert_int_equal(fork_work(card, soft, 1), 0);	/* sockets bound before the fork */
	/* slow jobs widen the window in which two processes would collide */
	if (vm_sim())
		assert_int_equal(vm_write(SIM_DBG "/latency_us", "300"), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		/* right results, and no collision on a shared socket to recover from */
		int bad = fork_work(card, soft, 2);

		gmrk_stats(card, &st);
		_exit(bad ? 1 : st.fallbacks || st.busy_retries ? 2 : 0);
	}
	assert_int_equal(fork_work(card, soft, 3), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (vm_sim())
		assert_int_equal(vm_write(SIM_DBG "/latency_us", "0"), 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(gmrk_stats(card, &st), 0);
	assert_int_equal(st.ops[GMRK_BACKEND_CARD], 400);
	assert_int_equal(st.fallbacks, 0);
	assert_int_equal(st.busy_retries, 0);
	gmrk_ctx_free(card);
	gmrk_ctx_free(soft);
}

static void test_auto_threshold(void **s)
{
	struct gmrk_config cfg;
	struct gmrk_stats st;
	uint8_t key[32] = { 1 }, iv[12] = { 2 }, buf[20000] = { 0 }, tag[16];
	gmrk_ctx *ctx;

	(void)s;
	gmrk_config_init(&cfg);
	cfg.flags = GMRK_CFG_IGNORE_ENV | GMRK_CFG_NO_MASTER_KEY;
	cfg.threshold[GMRK_CIPHER_AES_GCM] = 8192;
	ctx = gmrk_ctx_new(&cfg, NULL);
	assert_non_null(ctx);
	assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_AES_GCM, key, 32, iv, 12, NULL, 0,
					   buf, 8191, buf, tag, NULL), 0);
	assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_AES_GCM, key, 32, iv, 12, "a", 1,
					   buf, 8191, buf, tag, NULL), 0);	/* AAD counts */
	assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_AES_GCM, key, 32, iv, 12, NULL, 0,
					   buf, 20000, buf, tag, NULL), 0);
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	assert_int_equal(st.ops[GMRK_BACKEND_SOFT], 1);
	assert_int_equal(st.ops[GMRK_BACKEND_CARD], 2);
	gmrk_ctx_free(ctx);
	/* calibration picks a threshold and routing still gives right answers */
	cfg.threshold[GMRK_CIPHER_AES_GCM] = 0;
	cfg.flags |= GMRK_CFG_CALIBRATE;
	ctx = gmrk_ctx_new(&cfg, NULL);
	assert_non_null(ctx);
	assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_AES_GCM, key, 32, iv, 12, NULL, 0,
					   buf, 20000, buf, tag, NULL), 0);
	assert_int_equal(gmrk_aead_decrypt(ctx, GMRK_CIPHER_AES_GCM, key, 32, iv, 12, NULL, 0,
					   buf, 20000, tag, buf, NULL), 0);
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	printf("# calibrated aes-gcm threshold: %zu\n", st.threshold[GMRK_CIPHER_AES_GCM]);
	assert_true(st.threshold[GMRK_CIPHER_AES_GCM] >= 1024);
	gmrk_ctx_free(ctx);
}

/*
 * Auto routing measures a size class again after 64 of its requests,
 * then not before 1 Ki more; every request still gives the right bytes.
 */
static void test_auto_recalibrates(void **s)
{
	uint8_t key[16] = { 3 }, iv[12] = { 4 }, pt[200], ct[200], back[200], tag[16];
	struct gmrk_config cfg;
	struct gmrk_stats st;
	uint64_t first;
	gmrk_ctx *ctx;
	int i;

	(void)s;
	memset(pt, 0x6b, sizeof(pt));
	gmrk_config_init(&cfg);
	cfg.cipher = GMRK_CIPHER_SM4_GCM;
	cfg.flags = GMRK_CFG_IGNORE_ENV | GMRK_CFG_NO_MASTER_KEY;
	ctx = gmrk_ctx_new(&cfg, NULL);
	assert_non_null(ctx);
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	assert_true(st.calibrations >= 1);	/* at creation */
	/* 200 bytes: the 256-byte class, measured by now or at this request */
	assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_SM4_GCM, key, 16, iv, 12, NULL, 0,
					   pt, sizeof(pt), ct, tag, NULL), 0);
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	first = st.calibrations;
	for (i = 0; i < 64; i++)
		assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_SM4_GCM, key, 16, iv, 12,
						   NULL, 0, pt, sizeof(pt), ct, tag, NULL), 0);
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	assert_int_equal(st.calibrations, first + 1);
	for (i = 0; i < 500; i++)
		assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_SM4_GCM, key, 16, iv, 12,
						   NULL, 0, pt, sizeof(pt), ct, tag, NULL), 0);
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	assert_int_equal(st.calibrations, first + 1);
	printf("# calibrations: %llu; sm4 at 200 B on card %llu, kernel %llu, soft %llu\n",
	       (unsigned long long)st.calibrations,
	       (unsigned long long)st.ops[GMRK_BACKEND_CARD],
	       (unsigned long long)st.ops[GMRK_BACKEND_KERNEL],
	       (unsigned long long)st.ops[GMRK_BACKEND_SOFT]);
	assert_int_equal(gmrk_aead_decrypt(ctx, GMRK_CIPHER_SM4_GCM, key, 16, iv, 12, NULL, 0,
					   ct, sizeof(ct), tag, back, NULL), 0);
	assert_memory_equal(back, pt, sizeof(pt));
	gmrk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths_found),
		cmocka_unit_test(test_kat_every_backend),
		cmocka_unit_test(test_same_bytes_every_path),
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_blocks_cross_path),
		cmocka_unit_test(test_empty_forged_never_passes),
		cmocka_unit_test(test_kernel_is_not_card),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_auto_threshold),
		cmocka_unit_test(test_auto_recalibrates),
	};

	return TH_RUN("libgmrk AF_ALG paths", tests);
}

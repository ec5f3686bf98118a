// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Finding the AF_ALG implementations in /proc/crypto, and routing: which
 * path a request takes under each policy, what a forced path that does
 * not exist gives, and that the requests AF_ALG must never see (empty
 * with no AAD, larger than its socket buffer) run in software even when
 * a path is forced.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "internal.h"

static const char proc_crypto[] =
	"name         : gcm(aes)\n"
	"driver       : gcm-aes-gmrk\n"
	"module       : gmrk\n"
	"priority     : 500\n"
	"refcnt       : 1\n"
	"selftest     : passed\n"
	"internal     : no\n"
	"type         : aead\n"
	"async        : yes\n"
	"blocksize    : 1\n"
	"ivsize       : 12\n"
	"maxauthsize  : 16\n"
	"geniv        : <none>\n"
	"\n"
	"name         : gcm(aes)\n"
	"driver       : generic-gcm-aesni\n"
	"module       : aesni_intel\n"
	"priority     : 400\n"
	"internal     : no\n"
	"type         : aead\n"
	"\n"
	"name         : __gcm(aes)\n"
	"driver       : __generic-gcm-aesni\n"
	"priority     : 400\n"
	"internal     : yes\n"
	"type         : aead\n"
	"\n"
	"name         : gcm(aes)\n"
	"driver       : gcm_base(ctr(aes-generic),ghash-generic)\n"
	"priority     : 100\n"
	"internal     : no\n"
	"type         : aead\n"
	"\n"
	"name         : gcm(aes)\n"
	"driver       : gcm_base(ctr-aes-aesni,ghash-clmulni)\n"
	"priority     : 300\n"
	"internal     : no\n"
	"type         : aead\n"
	"\n"
	"name         : gcm(sm4)\n"
	"driver       : gcm-sm4-gmrk\n"
	"priority     : 500\n"
	"type         : aead\n"
	"\n"
	"name         : sm4\n"
	"driver       : sm4-gmrk\n"
	"priority     : 100\n"
	"type         : cipher\n"
	"\n"
	"name         : rfc7539(chacha20,poly1305)\n"
	"driver       : rfc7539-chacha20-poly1305-other-gmrk\n"
	"priority     : 450\n"
	"type         : aead\n";

static void test_probe_parse(void **s)
{
	struct gmrk_probe p;

	(void)s;
	memset(&p, 0, sizeof(p));
	assert_int_equal(gmrk__probe_parse(proc_crypto, &p), 0);
	assert_string_equal(p.card[GMRK_CIPHER_AES_GCM], "gcm-aes-gmrk");
	assert_string_equal(p.card[GMRK_CIPHER_SM4_GCM], "gcm-sm4-gmrk");
	/* a *-gmrk driver that is not the card's name is neither card nor kernel */
	assert_string_equal(p.card[GMRK_CIPHER_CHACHA20_POLY1305], "");
	/* kernel: listed non-gmrk, non-internal, best priority first, then fallbacks */
	assert_true(p.nkernel[GMRK_CIPHER_AES_GCM] >= 4);
	assert_string_equal(p.kernel[GMRK_CIPHER_AES_GCM][0], "generic-gcm-aesni");
	assert_string_equal(p.kernel[GMRK_CIPHER_AES_GCM][1], "gcm_base(ctr-aes-aesni,ghash-clmulni)");
	assert_string_equal(p.kernel[GMRK_CIPHER_AES_GCM][2],
			    "gcm_base(ctr(aes-generic),ghash-generic)");
	for (int c = 1; c < GMRK_CIPHER_COUNT; c++)
		for (int i = 0; i < p.nkernel[c]; i++) {
			size_t n = strlen(p.kernel[c][i]);

			assert_false(n > 5 && !strcmp(p.kernel[c][i] + n - 5, "-gmrk"));
			assert_false(p.kernel[c][i][0] == '_');
		}
	/* SM4's kernel candidates are the gcm template over gmrk's block cipher */
	assert_string_equal(p.kernel[GMRK_CIPHER_SM4_GCM][0],
			    "gcm_base(ctr(sm4-gmrk),ghash-generic)");
	/* nothing listed: no card, the template fallbacks only */
	memset(&p, 0, sizeof(p));
	assert_int_equal(gmrk__probe_parse("", &p), 0);
	assert_string_equal(p.card[GMRK_CIPHER_AES_GCM], "");
	assert_string_equal(p.kernel[GMRK_CIPHER_CHACHA20_POLY1305][0],
			    "rfc7539(chacha20-simd,poly1305-simd)");
	/* garbage does not crash it */
	assert_int_equal(gmrk__probe_parse("::::\n\n\nname\n: :\ndriver : x\n", &p), 0);
}

/* on this host the AF_ALG paths either work or give a clear error */
static void test_forced_paths(void **s)
{
	static const enum gmrk_backend forced[] = { GMRK_BACKEND_CARD, GMRK_BACKEND_KERNEL };
	uint8_t key[32] = { 1 }, iv[12] = { 2 }, buf[64] = { 3 }, tag[16];
	int i, c;

	(void)s;
	for (i = 0; i < 2; i++)
		for (c = 1; c < GMRK_CIPHER_COUNT; c++) {
			gmrk_ctx *ctx = th_ctx(forced[i], (enum gmrk_cipher)c, 0);
			size_t kl = c == GMRK_CIPHER_SM4_GCM ? 16 : 32;
			struct gmrk_stats st;
			gmrk_error err;
			int rc, avail = gmrk_backend_available(ctx, forced[i], (enum gmrk_cipher)c);

			rc = gmrk_aead_encrypt(ctx, (enum gmrk_cipher)c, key, kl, iv, 12, NULL, 0,
					       buf, sizeof(buf), buf, tag, &err);
			if (avail) {
				assert_int_equal(rc, 0);
				assert_int_equal(gmrk_stats(ctx, &st), 0);
				assert_int_equal(st.ops[forced[i]], 1);
			} else {
				assert_int_equal(rc, -GMRK_E_UNSUPPORTED);
				assert_non_null(strstr(err.message, "backend not available"));
				assert_non_null(strstr(err.message, gmrk_backend_name(forced[i])));
			}
			gmrk_ctx_free(ctx);
		}
}

/* what AF_ALG must never get goes to software, even under a forced path */
static void test_never_afalg(void **s)
{
	uint8_t key[32] = { 1 }, iv[12] = { 2 }, tag[16], *big;
	gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_CARD, 0, 0);
	struct gmrk_stats st;
	struct gmrk_aead a;
	struct gmrk_req r = { .enc = false, .nonce = iv, .tag = tag };
	size_t n = GMRK_AFALG_MAX;

	(void)s;
	big = calloc(1, n);
	assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_AES_GCM, key, 32, iv, 12, NULL, 0,
					   NULL, 0, NULL, tag, NULL), 0);
	assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_AES_GCM, key, 32, iv, 12, NULL, 0,
					   big, n, big, tag, NULL), 0);
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	assert_int_equal(st.ops[GMRK_BACKEND_SOFT], 2);
	assert_int_equal(st.ops[GMRK_BACKEND_CARD], 0);
	/* and the AF_ALG runner itself refuses the empty request */
	assert_int_equal(gmrk__af_run(NULL, &r), -EINVAL);
	/* the router agrees */
	assert_int_equal(gmrk__aead_init(&a, GMRK_CIPHER_AES_GCM, key, 32, 0, NULL), 0);
	assert_int_equal(gmrk__route(ctx, &a, &r), GMRK_BACKEND_SOFT);
	r.len = n;
	r.in = r.out = big;
	assert_int_equal(gmrk__route(ctx, &a, &r), GMRK_BACKEND_SOFT);
	r.len = 100;
	assert_int_equal(gmrk__route(ctx, &a, &r), GMRK_BACKEND_CARD);
	gmrk__aead_clear(&a);
	free(big);
	gmrk_ctx_free(ctx);
}

/* auto: small requests and absent cards go to software */
static void test_auto_routing(void **s)
{
	uint8_t key[32] = { 1 }, iv[12] = { 2 }, tag[16], buf[100000];
	struct gmrk_config cfg;
	struct gmrk_stats st;
	struct gmrk_aead a;
	struct gmrk_req r = { .enc = true, .nonce = iv, .tag = tag, .in = buf, .out = buf };
	gmrk_ctx *ctx;

	(void)s;
	gmrk_config_init(&cfg);
	cfg.flags = GMRK_CFG_IGNORE_ENV | GMRK_CFG_NO_MASTER_KEY;
	cfg.threshold[GMRK_CIPHER_AES_GCM] = 4096;
	ctx = gmrk_ctx_new(&cfg, NULL);
	assert_non_null(ctx);
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	assert_int_equal(st.threshold[GMRK_CIPHER_AES_GCM], 4096);
	assert_int_equal(st.threshold[GMRK_CIPHER_SM4_GCM], 8192);
	assert_int_equal(st.threshold[GMRK_CIPHER_CHACHA20_POLY1305], 32768);
	assert_int_equal(gmrk__aead_init(&a, GMRK_CIPHER_AES_GCM, key, 32, 0, NULL), 0);
	r.len = 100;
	assert_int_equal(gmrk__route(ctx, &a, &r), GMRK_BACKEND_SOFT);
	r.len = 8192;
	/* a card only if this machine has one that binds */
	assert_int_equal(gmrk__route(ctx, &a, &r),
			 gmrk_backend_available(ctx, GMRK_BACKEND_CARD, GMRK_CIPHER_AES_GCM) ?
			 GMRK_BACKEND_CARD : GMRK_BACKEND_SOFT);
	/* a card listed in /proc/crypto that does not bind: software, quietly */
	ctx->probe.done = true;
	ctx->probe.probed_at = gmrk__now_ns();
	ctx->probe.afalg = false;
	snprintf(ctx->probe.card[GMRK_CIPHER_AES_GCM], sizeof(ctx->probe.card[0]), "gcm-aes-gmrk");
	assert_int_equal(gmrk__route(ctx, &a, &r), GMRK_BACKEND_SOFT);
	assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_AES_GCM, key, 32, iv, 12, NULL, 0,
					   buf, sizeof(buf), buf, tag, NULL), 0);
	assert_int_equal(gmrk_stats(ctx, &st), 0);
	assert_int_equal(st.ops[GMRK_BACKEND_SOFT], 1);
	gmrk__aead_clear(&a);
	gmrk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_parse),
		cmocka_unit_test(test_forced_paths),
		cmocka_unit_test(test_never_afalg),
		cmocka_unit_test(test_auto_routing),
	};

	return TH_RUN("route", tests);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Known answers through libgmrk's raw AEAD (the published vectors of
 * vectors.h). Each vector: encrypt gives the ciphertext and tag, decrypt
 * gives the plaintext back, and a flipped tag bit fails with nothing
 * written out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "vectors.h"

static void run_kat(const struct th_kat *k, enum gmrk_backend b, unsigned int flags)
{
	struct th_kat_bytes v;
	uint8_t *out, *back, t[GMRK_TAG_LEN];
	gmrk_ctx *ctx = th_ctx(b, k->c, flags);
	gmrk_error err;
	int rc;

	th_kat_decode(k, &v);
	out = calloc(1, v.plen + 1);
	back = calloc(1, v.plen + 1);
	rc = gmrk_aead_encrypt(ctx, k->c, v.key, v.klen, v.iv, v.ivlen, v.aad, v.alen, v.pt,
			       v.plen, out, t, &err);
	assert_int_equal(rc, 0);
	if (v.clen)
		assert_memory_equal(out, v.ct, v.clen);
	assert_memory_equal(t, v.tag, GMRK_TAG_LEN);
	rc = gmrk_aead_decrypt(ctx, k->c, v.key, v.klen, v.iv, v.ivlen, v.aad, v.alen, v.ct,
			       v.clen, v.tag, back, &err);
	assert_int_equal(rc, 0);
	if (v.plen)
		assert_memory_equal(back, v.pt, v.plen);
	/* in place gives the same bytes */
	memcpy(back, v.pt, v.plen);
	assert_int_equal(gmrk_aead_encrypt(ctx, k->c, v.key, v.klen, v.iv, v.ivlen, v.aad, v.alen,
					   back, v.plen, back, t, &err), 0);
	if (v.plen)
		assert_memory_equal(back, v.ct, v.plen);
	/* a forged tag fails, and nothing decrypted is left */
	v.tag[GMRK_TAG_LEN - 1] ^= 0x01;
	memset(back, 0x55, v.plen);
	rc = gmrk_aead_decrypt(ctx, k->c, v.key, v.klen, v.iv, v.ivlen, v.aad, v.alen, v.ct,
			       v.clen, v.tag, back, &err);
	assert_int_equal(rc, -GMRK_E_AUTH);
	assert_int_equal(err.code, GMRK_E_AUTH);
	assert_non_null(strstr(err.message, "message authentication failed"));
	for (size_t i = 0; i < v.plen; i++)
		assert_int_equal(back[i], 0);
	gmrk_ctx_free(ctx);
	th_kat_free(&v);
	free(out);
	free(back);
}

static void test_kat_soft(void **state)
{
	const struct th_kat *k = *state;

	run_kat(k, GMRK_BACKEND_SOFT, 0);
}

static void test_kat_openssl(void **state)
{
	const struct th_kat *k = *state;

	run_kat(k, GMRK_BACKEND_SOFT, GMRK_CFG_SOFT_OPENSSL);
}

static void test_kat_auto(void **state)
{
	const struct th_kat *k = *state;

	run_kat(k, GMRK_BACKEND_AUTO, 0);
}

/* The error message of a wrong-key decrypt names the cipher, as the mission asks. */
static void test_auth_message_names_cipher(void **state)
{
	uint8_t key[16] = { 0 }, iv[12] = { 0 }, tag[16] = { 0 }, ct[4] = { 0 }, out[4];
	gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_SOFT, 0, 0);
	gmrk_error err;

	(void)state;
	assert_int_equal(gmrk_aead_decrypt(ctx, GMRK_CIPHER_SM4_GCM, key, 16, iv, 12, NULL, 0,
					   ct, 4, tag, out, &err), -GMRK_E_AUTH);
	assert_string_equal(err.message, "sm4-gcm: message authentication failed");
	gmrk_ctx_free(ctx);
}

/* test @fn of vector @k, named "kat NAME HOW" (the name in @names[*n]) */
static void add_kat(struct CMUnitTest *tests, char (*names)[64], size_t *n,
		    CMUnitTestFunction fn, const struct th_kat *k, const char *how)
{
	snprintf(names[*n], sizeof(names[*n]), "kat %s %s", k->name, how);
	tests[*n] = (struct CMUnitTest)cmocka_unit_test_prestate(fn, (void *)k);
	tests[*n].name = names[*n];
	(*n)++;
}

int main(void)
{
	struct CMUnitTest tests[3 * TH_NKATS + 1];
	size_t i, n = 0;
	static char names[3 * TH_NKATS][64];

	for (i = 0; i < TH_NKATS; i++) {
		add_kat(tests, names, &n, test_kat_soft, &th_kats[i], "soft");
		if (th_kats[i].c != GMRK_CIPHER_SM4_GCM)
			add_kat(tests, names, &n, test_kat_openssl, &th_kats[i], "soft-openssl");
		add_kat(tests, names, &n, test_kat_auto, &th_kats[i], "auto");
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_auth_message_names_cipher);
	return th_run("kat", tests, n);
}

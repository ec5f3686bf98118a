// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Known answers through libgmrk's raw AEAD: RFC 8998 (SM4-GCM), RFC 8439
 * section 2.8.2 (ChaCha20-Poly1305), the GCM specification's test cases
 * for AES-128/192/256 (McGrew & Viega, as used by NIST's CAVP). Each
 * vector: encrypt gives the ciphertext and tag, decrypt gives the
 * plaintext back, and a flipped tag bit fails with nothing written out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct kat {
	const char *name;
	enum gmrk_cipher c;
	const char *key, *iv, *aad, *pt, *ct, *tag;
};

#define GCM_P "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define GCM_A "feedfacedeadbeeffeedfacedeadbeefabaddad2"

static const struct kat kats[] = {
	{ "rfc8998-sm4-gcm", GMRK_CIPHER_SM4_GCM,
	  "0123456789abcdeffedcba9876543210", "00001234567800000000abcd",
	  "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	  "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"
	  "eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa",
	  "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
	  "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d",
	  "83de3541e4c2b58177e065a9bf7b62ec" },
	{ "rfc8439-chacha20-poly1305", GMRK_CIPHER_CHACHA20_POLY1305,
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
	  "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
	  "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
	  "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
	  "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
	  "637265656e20776f756c642062652069742e",
	  "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	  "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	  "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	  "3ff4def08e4b7a9de576d26586cec64b6116",
	  "1ae10b594f09e26a7e902ecbd0600691" },
	{ "gcm-tc1-aes128-empty", GMRK_CIPHER_AES_GCM,
	  "00000000000000000000000000000000", "000000000000000000000000", "", "", "",
	  "58e2fccefa7e3061367f1d57a4e7455a" },
	{ "gcm-tc2-aes128", GMRK_CIPHER_AES_GCM,
	  "00000000000000000000000000000000", "000000000000000000000000", "",
	  "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
	  "ab6e47d42cec13bdf53a67b21257bddf" },
	{ "gcm-tc4-aes128", GMRK_CIPHER_AES_GCM,
	  "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", GCM_A, GCM_P,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	{ "gcm-tc10-aes192", GMRK_CIPHER_AES_GCM,
	  "feffe9928665731c6d6a8f9467308308feffe9928665731c", "cafebabefacedbaddecaf888",
	  GCM_A, GCM_P,
	  "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c"
	  "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710",
	  "2519498e80f1478f37ba55bd6d27618c" },
	{ "gcm-tc13-aes256-empty", GMRK_CIPHER_AES_GCM,
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b" },
	{ "gcm-tc14-aes256", GMRK_CIPHER_AES_GCM,
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  "000000000000000000000000", "", "00000000000000000000000000000000",
	  "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919" },
	{ "gcm-tc16-aes256", GMRK_CIPHER_AES_GCM,
	  "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	  "cafebabefacedbaddecaf888", GCM_A, GCM_P,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
};

static void run_kat(const struct kat *k, enum gmrk_backend b, unsigned int flags)
{
	size_t klen, ivlen, alen, plen, clen, tlen;
	uint8_t *key = th_hex(k->key, &klen), *iv = th_hex(k->iv, &ivlen);
	uint8_t *aad = th_hex(k->aad, &alen), *pt = th_hex(k->pt, &plen);
	uint8_t *ct = th_hex(k->ct, &clen), *tag = th_hex(k->tag, &tlen);
	uint8_t *out = calloc(1, plen + 1), *back = calloc(1, plen + 1);
	uint8_t t[GMRK_TAG_LEN];
	gmrk_ctx *ctx = th_ctx(b, k->c, flags);
	gmrk_error err;
	int rc;

	assert_int_equal(clen, plen);
	rc = gmrk_aead_encrypt(ctx, k->c, key, klen, iv, ivlen, aad, alen, pt, plen,
			       out, t, &err);
	assert_int_equal(rc, 0);
	if (clen)
		assert_memory_equal(out, ct, clen);
	assert_memory_equal(t, tag, GMRK_TAG_LEN);
	rc = gmrk_aead_decrypt(ctx, k->c, key, klen, iv, ivlen, aad, alen, ct, clen,
			       tag, back, &err);
	assert_int_equal(rc, 0);
	if (plen)
		assert_memory_equal(back, pt, plen);
	/* in place gives the same bytes */
	memcpy(back, pt, plen);
	assert_int_equal(gmrk_aead_encrypt(ctx, k->c, key, klen, iv, ivlen, aad, alen,
					   back, plen, back, t, &err), 0);
	if (plen)
		assert_memory_equal(back, ct, plen);
	/* a forged tag fails, and nothing decrypted is left */
	tag[GMRK_TAG_LEN - 1] ^= 0x01;
	memset(back, 0x55, plen);
	rc = gmrk_aead_decrypt(ctx, k->c, key, klen, iv, ivlen, aad, alen, ct, clen,
			       tag, back, &err);
	assert_int_equal(rc, -GMRK_E_AUTH);
	assert_int_equal(err.code, GMRK_E_AUTH);
	assert_non_null(strstr(err.message, "message authentication failed"));
	for (size_t i = 0; i < plen; i++)
		assert_int_equal(back[i], 0);
	gmrk_ctx_free(ctx);
	free(key);
	free(iv);
	free(aad);
	free(pt);
	free(ct);
	free(tag);
	free(out);
	free(back);
}

static void test_kat_soft(void **state)
{
	const struct kat *k = *state;

	run_kat(k, GMRK_BACKEND_SOFT, 0);
}

static void test_kat_openssl(void **state)
{
	const struct kat *k = *state;

	run_kat(k, GMRK_BACKEND_SOFT, GMRK_CFG_SOFT_OPENSSL);
}

static void test_kat_auto(void **state)
{
	const struct kat *k = *state;

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

int main(void)
{
	struct CMUnitTest tests[3 * sizeof(kats) / sizeof(kats[0]) + 1];
	size_t i, n = 0;
	static char names[3 * sizeof(kats) / sizeof(kats[0])][64];

	for (i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		snprintf(names[n], sizeof(names[n]), "kat %s soft", kats[i].name);
		tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_kat_soft, (void *)&kats[i]);
		tests[n].name = names[n];
		n++;
		if (kats[i].c != GMRK_CIPHER_SM4_GCM) {
			snprintf(names[n], sizeof(names[n]), "kat %s soft-openssl", kats[i].name);
			tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_kat_openssl,
										  (void *)&kats[i]);
			tests[n].name = names[n];
			n++;
		}
		snprintf(names[n], sizeof(names[n]), "kat %s auto", kats[i].name);
		tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_kat_auto, (void *)&kats[i]);
		tests[n].name = names[n];
		n++;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_auth_message_names_cipher);
	return th_run("kat", tests, n);
}

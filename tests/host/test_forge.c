// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Forgeries per cipher: every byte of ciphertext, tag, AAD and nonce
 * altered in turn, a wrong key, blocks with swapped headers (cut and
 * paste), and the empty message with no AAD whose forged tag an AF_ALG
 * zero-length read would accept. Also the raw API's parameter checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static const enum gmrk_cipher ciphers[] = {
	GMRK_CIPHER_AES_GCM, GMRK_CIPHER_SM4_GCM, GMRK_CIPHER_CHACHA20_POLY1305,
};

static size_t klen_of(enum gmrk_cipher c)
{
	return c == GMRK_CIPHER_SM4_GCM ? 16 : 32;
}

static void expect_auth(gmrk_ctx *ctx, enum gmrk_cipher c, const uint8_t *key,
			const uint8_t *iv, const uint8_t *aad, size_t alen,
			const uint8_t *ct, size_t len, const uint8_t *tag)
{
	uint8_t *out = malloc(len + 1);
	gmrk_error err;
	size_t i;

	memset(out, 0x5a, len + 1);
	assert_int_equal(gmrk_aead_decrypt(ctx, c, key, klen_of(c), iv, 12, aad, alen, ct, len,
					   tag, out, &err), -GMRK_E_AUTH);
	for (i = 0; i < len; i++)
		assert_int_equal(out[i], 0);
	free(out);
}

static void test_forge_raw(void **s)
{
	size_t ci, fi, i;

	(void)s;
	for (ci = 0; ci < 3; ci++) {
		enum gmrk_cipher c = ciphers[ci];
		gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_AUTO, c, 0);
		uint8_t key[32], iv[12], aad[24], pt[70], ct[70], tag[16];
		/* every byte of each of these is flipped in turn (f: which bit) */
		struct { uint8_t *p; size_t n; uint8_t f; } field[] = {
			{ ct, sizeof(ct), 0x80 }, { tag, sizeof(tag), 0x01 },
			{ aad, sizeof(aad), 0x10 }, { iv, sizeof(iv), 0x04 },
		};

		th_fill(key, sizeof(key));
		th_fill(iv, sizeof(iv));
		th_fill(aad, sizeof(aad));
		th_fill(pt, sizeof(pt));
		assert_int_equal(gmrk_aead_encrypt(ctx, c, key, klen_of(c), iv, 12, aad, sizeof(aad),
						   pt, sizeof(pt), ct, tag, NULL), 0);
		for (fi = 0; fi < sizeof(field) / sizeof(field[0]); fi++)
			for (i = 0; i < field[fi].n; i++) {
				field[fi].p[i] ^= field[fi].f;
				expect_auth(ctx, c, key, iv, aad, sizeof(aad), ct, sizeof(ct), tag);
				field[fi].p[i] ^= field[fi].f;
			}
		/* shorter AAD, truncated ciphertext, wrong key */
		expect_auth(ctx, c, key, iv, aad, sizeof(aad) - 1, ct, sizeof(ct), tag);
		expect_auth(ctx, c, key, iv, aad, sizeof(aad), ct, sizeof(ct) - 1, tag);
		key[0] ^= 1;
		expect_auth(ctx, c, key, iv, aad, sizeof(aad), ct, sizeof(ct), tag);
		key[0] ^= 1;
		{
			uint8_t back[70];

			assert_int_equal(gmrk_aead_decrypt(ctx, c, key, klen_of(c), iv, 12, aad,
							   sizeof(aad), ct, sizeof(ct), tag, back,
							   NULL), 0);
			assert_memory_equal(back, pt, sizeof(pt));
		}
		gmrk_ctx_free(ctx);
	}
}

/*
 * An empty message with no AAD: the only check is the tag. Through an
 * AF_ALG zero-length read any tag would "pass"; libgmrk must reject a
 * forged one whatever backend is asked for.
 */
static void test_empty_message_forged_tag(void **s)
{
	static const enum gmrk_backend backends[] = {
		GMRK_BACKEND_AUTO, GMRK_BACKEND_SOFT, GMRK_BACKEND_CARD, GMRK_BACKEND_KERNEL,
	};
	size_t ci, bi;

	(void)s;
	for (ci = 0; ci < 3; ci++)
		for (bi = 0; bi < 4; bi++) {
			enum gmrk_cipher c = ciphers[ci];
			gmrk_ctx *ctx = th_ctx(backends[bi], c, 0);
			uint8_t key[32] = { 3 }, iv[12] = { 4 }, tag[16], forged[16] = { 0 };
			gmrk_error err;

			assert_int_equal(gmrk_aead_encrypt(ctx, c, key, klen_of(c), iv, 12, NULL, 0,
							   NULL, 0, NULL, tag, &err), 0);
			assert_int_equal(gmrk_aead_decrypt(ctx, c, key, klen_of(c), iv, 12, NULL, 0,
							   NULL, 0, tag, NULL, &err), 0);
			assert_int_equal(gmrk_aead_decrypt(ctx, c, key, klen_of(c), iv, 12, NULL, 0,
							   NULL, 0, forged, NULL, &err), -GMRK_E_AUTH);
			gmrk_ctx_free(ctx);
		}
}

/* Cut and paste: the header of one block on the body of another. */
static void test_swapped_headers(void **s)
{
	size_t ci, outlen;

	(void)s;
	for (ci = 0; ci < 3; ci++) {
		gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_SOFT, ciphers[ci], 0);
		gmrk_key *k = th_key(ctx, 1);
		uint8_t a[32 + GMRK_OVERHEAD], b[32 + GMRK_OVERHEAD], pt[32], out[32];

		memset(pt, 'a', 32);
		assert_int_equal(gmrk_seal(ctx, k, 0, NULL, 0, pt, 32, a, sizeof(a), NULL, NULL), 0);
		memset(pt, 'b', 32);
		assert_int_equal(gmrk_seal(ctx, k, 0, NULL, 0, pt, 32, b, sizeof(b), NULL, NULL), 0);
		memcpy(a, b, GMRK_HEADER_LEN);
		assert_int_equal(gmrk_open(ctx, k, 0, NULL, 0, a, sizeof(a), out, sizeof(out),
					   &outlen, NULL, NULL), -GMRK_E_AUTH);
		/* tag of b on body of a */
		memcpy(a + sizeof(a) - 16, b + sizeof(b) - 16, 16);
		assert_int_equal(gmrk_open(ctx, k, 0, NULL, 0, a, sizeof(a), out, sizeof(out),
					   &outlen, NULL, NULL), -GMRK_E_AUTH);
		gmrk_key_free(k);
		gmrk_ctx_free(ctx);
	}
}

static void test_raw_parameter_errors(void **s)
{
	gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_SOFT, 0, 0);
	uint8_t key[32] = { 0 }, iv[16] = { 0 }, buf[16] = { 0 }, tag[16];
	gmrk_error err;

	(void)s;
	assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_AES_GCM, key, 20, iv, 12, NULL, 0,
					   buf, 16, buf, tag, &err), -GMRK_E_UNSUPPORTED);
	assert_non_null(strstr(err.message, "key length 20"));
	assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_SM4_GCM, key, 32, iv, 12, NULL, 0,
					   buf, 16, buf, tag, &err), -GMRK_E_UNSUPPORTED);
	assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_CHACHA20_POLY1305, key, 16, iv, 12,
					   NULL, 0, buf, 16, buf, tag, &err), -GMRK_E_UNSUPPORTED);
	assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_AES_GCM, key, 16, iv, 8, NULL, 0,
					   buf, 16, buf, tag, &err), -GMRK_E_UNSUPPORTED);
	assert_non_null(strstr(err.message, "nonce must be 12 bytes"));
	assert_int_equal(gmrk_aead_encrypt(ctx, 0, key, 16, iv, 12, NULL, 0, buf, 16, buf, tag,
					   &err), -GMRK_E_UNSUPPORTED);
	assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_AES_GCM, key, 16, iv, 12, NULL, 3,
					   buf, 16, buf, tag, &err), -GMRK_E_INVAL);
	assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_AES_GCM, key, 16, iv, 12, NULL, 0,
					   buf, 16, buf + 1, tag, &err), -GMRK_E_INVAL);
	assert_int_equal(gmrk_aead_encrypt(NULL, GMRK_CIPHER_AES_GCM, key, 16, iv, 12, NULL, 0,
					   buf, 16, buf, tag, &err), -GMRK_E_INVAL);
	assert_int_equal(gmrk_aead_encrypt(ctx, GMRK_CIPHER_AES_GCM, key, 16, iv, 12, NULL, 0,
					   buf, 16, buf, NULL, &err), -GMRK_E_INVAL);
	gmrk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forge_raw),
		cmocka_unit_test(test_empty_message_forged_tag),
		cmocka_unit_test(test_swapped_headers),
		cmocka_unit_test(test_raw_parameter_errors),
	};

	return TH_RUN("forge", tests);
}

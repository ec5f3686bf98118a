// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Differential tests: libgmrk's software AEADs against libgcrypt (all three
 * ciphers) and OpenSSL's EVP called directly (AES-GCM, ChaCha20-Poly1305;
 * OpenSSL 3.0 has no SM4-GCM), over random keys, nonces, AAD and payload
 * sizes, including the sizes around the implementations' block and stride
 * boundaries. Ciphertexts and tags must be identical, and each side must
 * open the other's output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "common.h"

#define ITER 150

static void gcry_seal(enum gmrk_cipher c, const uint8_t *key, size_t klen,
		      const uint8_t *iv, const uint8_t *aad, size_t alen,
		      const uint8_t *pt, size_t len, uint8_t *ct, uint8_t *tag)
{
	int algo = c == GMRK_CIPHER_SM4_GCM ? GCRY_CIPHER_SM4 :
		   c == GMRK_CIPHER_CHACHA20_POLY1305 ? GCRY_CIPHER_CHACHA20 :
		   klen == 16 ? GCRY_CIPHER_AES128 : klen == 24 ? GCRY_CIPHER_AES192 :
		   GCRY_CIPHER_AES256;
	int mode = c == GMRK_CIPHER_CHACHA20_POLY1305 ? GCRY_CIPHER_MODE_POLY1305 :
		   GCRY_CIPHER_MODE_GCM;
	gcry_cipher_hd_t h;

	assert_int_equal(gcry_cipher_open(&h, algo, mode, 0), 0);
	assert_int_equal(gcry_cipher_setkey(h, key, klen), 0);
	assert_int_equal(gcry_cipher_setiv(h, iv, 12), 0);
	assert_int_equal(gcry_cipher_authenticate(h, aad, alen), 0);
	gcry_cipher_final(h);
	if (len)	/* gcrypt: a NULL input means in place, so skip the call */
		assert_int_equal(gcry_cipher_encrypt(h, ct, len, pt, len), 0);
	assert_int_equal(gcry_cipher_gettag(h, tag, 16), 0);
	gcry_cipher_close(h);
}

static void ossl_seal(enum gmrk_cipher c, const uint8_t *key, size_t klen,
		      const uint8_t *iv, const uint8_t *aad, size_t alen,
		      const uint8_t *pt, size_t len, uint8_t *ct, uint8_t *tag)
{
	const EVP_CIPHER *e = c == GMRK_CIPHER_CHACHA20_POLY1305 ? EVP_chacha20_poly1305() :
			      klen == 16 ? EVP_aes_128_gcm() : klen == 24 ? EVP_aes_192_gcm() :
			      EVP_aes_256_gcm();
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int n;

	assert_int_equal(EVP_EncryptInit_ex(x, e, NULL, key, iv), 1);
	if (alen)
		assert_int_equal(EVP_EncryptUpdate(x, NULL, &n, aad, (int)alen), 1);
	if (len)
		assert_int_equal(EVP_EncryptUpdate(x, ct, &n, pt, (int)len), 1);
	assert_int_equal(EVP_EncryptFinal_ex(x, ct + len, &n), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_AEAD_GET_TAG, 16, tag), 1);
	EVP_CIPHER_CTX_free(x);
}

static size_t pick_len(int i)
{
	static const size_t edges[] = { 0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127,
					128, 129, 255, 256, 257, 511, 512, 513, 1023,
					1024, 4095, 4096, 4097, 65536, 65537 };

	if (i < (int)(sizeof(edges) / sizeof(edges[0])))
		return edges[i];
	return (size_t)(th_rand() % (i % 10 == 0 ? 70000 : 3000));
}

static void diff_cipher(enum gmrk_cipher c, size_t klen, bool with_openssl,
			unsigned int flags)
{
	gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_SOFT, c, flags);
	uint8_t key[32], iv[12], aad[300], t1[16], t2[16], t3[16];
	gmrk_error err;
	int i;

	for (i = 0; i < ITER; i++) {
		size_t len = pick_len(i), alen = (size_t)(th_rand() % (i % 7 ? 40 : 300));
		uint8_t *pt = malloc(len + 1), *c1 = malloc(len + 1);
		uint8_t *c2 = malloc(len + 1), *c3 = malloc(len + 17), *back = malloc(len + 1);

		th_fill(key, sizeof(key));
		th_fill(iv, sizeof(iv));
		th_fill(aad, alen);
		th_fill(pt, len);
		assert_int_equal(gmrk_aead_encrypt(ctx, c, key, klen, iv, 12, aad, alen, pt, len,
						   c1, t1, &err), 0);
		gcry_seal(c, key, klen, iv, aad, alen, pt, len, c2, t2);
		if (len)
			assert_memory_equal(c1, c2, len);
		assert_memory_equal(t1, t2, 16);
		if (with_openssl) {
			ossl_seal(c, key, klen, iv, aad, alen, pt, len, c3, t3);
			if (len)
				assert_memory_equal(c1, c3, len);
			assert_memory_equal(t1, t3, 16);
		}
		/* libgmrk opens libgcrypt's output */
		assert_int_equal(gmrk_aead_decrypt(ctx, c, key, klen, iv, 12, aad, alen, c2, len,
						   t2, back, &err), 0);
		if (len)
			assert_memory_equal(back, pt, len);
		free(pt);
		free(c1);
		free(c2);
		free(c3);
		free(back);
	}
	gmrk_ctx_free(ctx);
}

/* libgmrk's default software path (libgcrypt for AES and ChaCha, lib/sm4) */
static void test_diff_aes128(void **s) { (void)s; diff_cipher(GMRK_CIPHER_AES_GCM, 16, true, 0); }
static void test_diff_aes192(void **s) { (void)s; diff_cipher(GMRK_CIPHER_AES_GCM, 24, true, 0); }
static void test_diff_aes256(void **s) { (void)s; diff_cipher(GMRK_CIPHER_AES_GCM, 32, true, 0); }
static void test_diff_sm4(void **s) { (void)s; diff_cipher(GMRK_CIPHER_SM4_GCM, 16, false, 0); }
static void test_diff_chachapoly(void **s)
{
	(void)s;
	diff_cipher(GMRK_CIPHER_CHACHA20_POLY1305, 32, true, 0);
}

/* its OpenSSL EVP alternative (GMRK_CFG_SOFT_OPENSSL) */
#define OSSL GMRK_CFG_SOFT_OPENSSL
static void test_diff_evp_aes128(void **s) { (void)s; diff_cipher(GMRK_CIPHER_AES_GCM, 16, true, OSSL); }
static void test_diff_evp_aes192(void **s) { (void)s; diff_cipher(GMRK_CIPHER_AES_GCM, 24, true, OSSL); }
static void test_diff_evp_aes256(void **s) { (void)s; diff_cipher(GMRK_CIPHER_AES_GCM, 32, true, OSSL); }
static void test_diff_evp_chachapoly(void **s)
{
	(void)s;
	diff_cipher(GMRK_CIPHER_CHACHA20_POLY1305, 32, true, OSSL);
}

/*
 * Blocks sealed by libgmrk open with libgcrypt given the documented
 * layout: subkey = HKDF(AEK, key id, "gmrk-block-v1\0" cipher), AAD =
 * header || position || AD. This pins the format to its specification.
 */
static void test_block_layout_matches_spec(void **s)
{
	static const char info[] = "gmrk-block-v1";
	uint8_t aek[32], sub[32], pt[100], out[100 + GMRK_OVERHEAD], aad[40 + 8 + 3], tag[16];
	uint8_t dec[100];
	gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_SOFT, GMRK_CIPHER_SM4_GCM, 0);
	gmrk_key *k = th_key(ctx, 7);
	uint8_t inf[sizeof(info) + 1];
	size_t outlen;
	gcry_cipher_hd_t h;
	EVP_PKEY_CTX *pk;
	size_t sublen = 16;
	int i;

	(void)s;
	for (i = 0; i < 32; i++)
		aek[i] = (uint8_t)(0xa0 + i);	/* th_key's AEK */
	th_fill(pt, sizeof(pt));
	assert_int_equal(gmrk_seal(ctx, k, 0x0102030405060708ull, "ad!", 3, pt, sizeof(pt),
				   out, sizeof(out), &outlen, NULL), 0);
	assert_int_equal(outlen, sizeof(out));
	/* header fields at their documented offsets */
	assert_memory_equal(out, "\x89GMRK\r\n\x1a", 8);
	assert_int_equal(out[8], 1);
	assert_int_equal(out[9], GMRK_CIPHER_SM4_GCM);
	assert_int_equal(out[10], 40);
	assert_int_equal(out[11], 0);
	assert_memory_equal(out + 12, "\0\0\0\x07", 4);
	assert_memory_equal(out + 16, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_memory_equal(out + 36, "\0\0\0\x64", 4);
	/* derive the subkey with OpenSSL's HKDF, independently of libgmrk */
	memcpy(inf, info, sizeof(info));
	inf[sizeof(info)] = GMRK_CIPHER_SM4_GCM;
	pk = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	assert_int_equal(EVP_PKEY_derive_init(pk), 1);
	assert_int_equal(EVP_PKEY_CTX_set_hkdf_md(pk, EVP_sha256()), 1);
	assert_int_equal(EVP_PKEY_CTX_set1_hkdf_key(pk, aek, 32), 1);
	assert_int_equal(EVP_PKEY_CTX_set1_hkdf_salt(pk, out + 16, 8), 1);
	assert_int_equal(EVP_PKEY_CTX_add1_hkdf_info(pk, inf, sizeof(inf)), 1);
	assert_int_equal(EVP_PKEY_derive(pk, sub, &sublen), 1);
	EVP_PKEY_CTX_free(pk);
	memcpy(aad, out, 40);
	memcpy(aad + 40, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	memcpy(aad + 48, "ad!", 3);
	assert_int_equal(gcry_cipher_open(&h, GCRY_CIPHER_SM4, GCRY_CIPHER_MODE_GCM, 0), 0);
	assert_int_equal(gcry_cipher_setkey(h, sub, 16), 0);
	assert_int_equal(gcry_cipher_setiv(h, out + 24, 12), 0);
	assert_int_equal(gcry_cipher_authenticate(h, aad, sizeof(aad)), 0);
	gcry_cipher_final(h);
	assert_int_equal(gcry_cipher_decrypt(h, dec, sizeof(dec), out + 40, 100), 0);
	assert_int_equal(gcry_cipher_gettag(h, tag, 16), 0);
	gcry_cipher_close(h);
	assert_memory_equal(dec, pt, sizeof(pt));
	assert_memory_equal(tag, out + 140, 16);
	gmrk_key_free(k);
	gmrk_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_aes128),
		cmocka_unit_test(test_diff_aes192),
		cmocka_unit_test(test_diff_aes256),
		cmocka_unit_test(test_diff_sm4),
		cmocka_unit_test(test_diff_chachapoly),
		cmocka_unit_test(test_diff_evp_aes128),
		cmocka_unit_test(test_diff_evp_aes192),
		cmocka_unit_test(test_diff_evp_aes256),
		cmocka_unit_test(test_diff_evp_chachapoly),
		cmocka_unit_test(test_block_layout_matches_spec),
	};

	if (!gcry_check_version(GCRYPT_VERSION))
		return 1;
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return TH_RUN("differential", tests);
}

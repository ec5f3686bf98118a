// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The lib/keys providers as libgmrk's master key, end to end through
 * gmrk_ctx_new and gmrk_key_open: SM2 key files created with the public
 * key alone and reopened with the private key and GMRK_PINCODE (which is
 * gone from the environment afterwards), a wrong pincode, a missing
 * private key file, a key file wrapped to another SM2 key, every bit flip
 * and truncation of an SM2 key file; TPM key files
 * against swtpm (started here on a free 127.0.0.1 port pair), reopened
 * by a new context, a wrong encryption_password and an extended PCR.
 * Every error is checked word for word and leaves every file as it was.
 * And an ek-hkdf key file built here byte by byte from the documented
 * layout (the format before these providers existed) still opens.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "../common.h"
#include "sm2.h"
#include "th_keys.h"

#define PIN	"864209"
#define POS	7

static const char block_ad[] = "asset-ad";
static const char payload[] = "a block of the asset, sealed under its key";

static struct tk_swtpm tpm;
static bool have_tpm;

/* a context with @cfg (gmrk_config_init'ed by the caller); must succeed */
static gmrk_ctx *ctx_ok(const struct gmrk_config *cfg)
{
	gmrk_error err;
	gmrk_ctx *ctx = gmrk_ctx_new(cfg, &err);

	if (!ctx)
		fail_msg("gmrk_ctx_new: %s", err.message);
	return ctx;
}

/* seals the test payload; returns the block (@len) */
static uint8_t *seal(gmrk_ctx *ctx, gmrk_key *k, size_t *len)
{
	size_t cap = gmrk_sealed_len(sizeof(payload));
	uint8_t *out = malloc(cap);
	gmrk_error err;

	assert_non_null(out);
	if (gmrk_seal(ctx, k, POS, block_ad, sizeof(block_ad), payload, sizeof(payload),
		      out, cap, len, &err))
		fail_msg("gmrk_seal: %s", err.message);
	return out;
}

static void opens(gmrk_ctx *ctx, gmrk_key *k, const uint8_t *blk, size_t len)
{
	uint8_t out[sizeof(payload)];
	gmrk_error err;
	size_t n = 0;

	if (gmrk_open(ctx, k, POS, block_ad, sizeof(block_ad), blk, len, out, sizeof(out),
		      &n, NULL, &err))
		fail_msg("gmrk_open: %s", err.message);
	assert_int_equal(n, sizeof(payload));
	assert_memory_equal(out, payload, sizeof(payload));
}

static unsigned int provider_of(const gmrk_key *k)
{
	struct gmrk_key_info info;

	assert_int_equal(gmrk_key_info(k, &info), 0);
	return info.provider;
}

/* gmrk_key_open(@path) must fail with exactly @code and @msg, @path unchanged */
static void open_fails(gmrk_ctx *ctx, const char *path, int code, const char *msg)
{
	size_t blen, alen;
	uint8_t *before = tk_slurp(path, &blen), *after;
	gmrk_error err;

	assert_null(gmrk_key_open(ctx, path, NULL, GMRK_KEY_CREATE, &err));
	tk_assert_msg(&err, code, "%s", msg);
	after = tk_slurp(path, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(before, after, blen);
	free(before);
	free(after);
}

/* ------------------------------------------------------------------ SM2 */

struct sm2_setup {
	char *dir, *priv;
	char pub[GMRK_SM2_PUBLIC_HEX_LEN + 1];
};

/* a fresh key pair: the private key file under PIN, the public key in hex */
static void sm2_setup(struct sm2_setup *s, const char *name)
{
	gmrk_error err;
	gmrk_sm2 *k = gmrk_sm2_generate(&err);

	assert_non_null(k);
	s->dir = tk_dir(name);
	s->priv = tk_join(s->dir, "master.pem");
	/* scrypt 2^10: the cost is tested in test_sm2.c, not here */
	assert_int_equal(gmrk_sm2_write_private(k, s->priv, PIN, strlen(PIN), 10, &err), 0);
	assert_int_equal(gmrk_sm2_public_hex(k, s->pub), 0);
	gmrk_sm2_free(k);
}

static void sm2_teardown(struct sm2_setup *s)
{
	free(s->dir);
	free(s->priv);
}

/* writer: the public key alone, from the environment */
static gmrk_ctx *sm2_writer(const struct sm2_setup *s)
{
	struct gmrk_config cfg;
	gmrk_ctx *ctx;

	gmrk_config_init(&cfg);
	assert_int_equal(setenv("GMRK_SM2_PUBLIC_KEY", s->pub, 1), 0);
	ctx = ctx_ok(&cfg);
	unsetenv("GMRK_SM2_PUBLIC_KEY");
	return ctx;
}

/* reader: both keys in the configuration, the pincode @pin in GMRK_PINCODE */
static gmrk_ctx *sm2_reader(const struct sm2_setup *s, const char *pin)
{
	struct gmrk_config cfg;
	gmrk_ctx *ctx;

	gmrk_config_init(&cfg);
	cfg.sm2_public_key = s->pub;
	cfg.sm2_private_key_file = s->priv;
	assert_int_equal(setenv("GMRK_PINCODE", pin, 1), 0);
	ctx = ctx_ok(&cfg);
	assert_null(getenv("GMRK_PINCODE"));	/* read once, then removed */
	return ctx;
}

static void test_sm2_create_reopen(void **state)
{
	struct sm2_setup s;
	gmrk_ctx *w, *r;
	gmrk_key *k;
	char *path;
	uint8_t *blk, *file;
	size_t len, flen;
	struct stat st;

	(void)state;
	sm2_setup(&s, "sm2-create");
	path = tk_join(s.dir, "stream1.key");
	w = sm2_writer(&s);
	k = th_key_ok(w, path, GMRK_KEY_CREATE);
	assert_int_equal(provider_of(k), GMRK_PROVIDER_SM2);
	blk = seal(w, k, &len);
	gmrk_key_free(k);
	gmrk_ctx_free(w);

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	file = tk_slurp(path, &flen);
	assert_int_equal(file[9], GMRK_PROVIDER_SM2);
	/* P = salt + 2 + W, W = the DER SM2Cipher of a 32-byte secret */
	{
		size_t A = file[11], P = ((size_t)file[24] << 8) | file[25];
		size_t W = ((size_t)file[28 + A + 32] << 8) | file[28 + A + 33];

		assert_int_equal(P, 32 + 2 + W);
		assert_true(W > 96 && W <= GMRK_SM2_WRAPPED_MAX);
		assert_int_equal(flen, 28 + A + P + 12 + 48);
	}
	free(file);

	/* a reader with the private key opens the key file and the block */
	r = sm2_reader(&s, PIN);
	k = th_key_ok(r, path, 0);
	assert_int_equal(provider_of(k), GMRK_PROVIDER_SM2);
	opens(r, k, blk, len);
	gmrk_key_free(k);
	/* the unlocked private key is kept: a second key file needs no pincode */
	k = th_key_ok(r, path, 0);
	opens(r, k, blk, len);
	gmrk_key_free(k);
	/* and it creates key files too (wrapping to its own public key) */
	{
		char *p2 = tk_join(s.dir, "stream2.key");

		k = th_key_ok(r, p2, GMRK_KEY_CREATE);
		gmrk_key_free(k);
		k = th_key_ok(r, p2, 0);
		gmrk_key_free(k);
		free(p2);
	}
	gmrk_ctx_free(r);
	free(blk);
	free(path);
	sm2_teardown(&s);
}

static void test_sm2_errors(void **state)
{
	struct sm2_setup s, other;
	struct gmrk_config cfg;
	char *path, *foreign, *missing, msg[GMRK_ERRMSG_LEN];
	gmrk_ctx *ctx;
	gmrk_key *k;

	(void)state;
	sm2_setup(&s, "sm2-errors");
	sm2_setup(&other, "sm2-other");
	path = tk_join(s.dir, "orders.key");
	ctx = sm2_writer(&s);
	gmrk_key_free(th_key_ok(ctx, path, GMRK_KEY_CREATE));

	/* the public key alone cannot open what it created */
	snprintf(msg, sizeof(msg),
		 "key file '%s' of asset 'orders': needs the sm2 private key (set GMRK_SM2_PRIVATE_KEY_FILE); the public key alone only creates key files",
		 path);
	open_fails(ctx, path, GMRK_E_NOKEY, msg);
	gmrk_ctx_free(ctx);

	/* a wrong pincode, every time it is tried */
	ctx = sm2_reader(&s, "000000");
	snprintf(msg, sizeof(msg),
		 "key file '%s' of asset 'orders': sm2 private key: wrong pincode or corrupt key file",
		 path);
	open_fails(ctx, path, GMRK_E_WRONG_KEY, msg);
	open_fails(ctx, path, GMRK_E_WRONG_KEY, msg);
	gmrk_ctx_free(ctx);

	/* no pincode at all */
	gmrk_config_init(&cfg);
	cfg.sm2_private_key_file = s.priv;
	unsetenv("GMRK_PINCODE");
	ctx = ctx_ok(&cfg);
	snprintf(msg, sizeof(msg),
		 "key file '%s' of asset 'orders': sm2 private key: no pincode (set GMRK_PINCODE)",
		 path);
	open_fails(ctx, path, GMRK_E_NOKEY, msg);
	gmrk_ctx_free(ctx);

	/* the private key file is missing */
	missing = tk_join(s.dir, "gone.pem");
	gmrk_config_init(&cfg);
	cfg.sm2_private_key_file = missing;
	cfg.sm2_pincode = PIN;
	ctx = ctx_ok(&cfg);
	snprintf(msg, sizeof(msg),
		 "key file '%s' of asset 'orders': sm2 private key file '%s' does not exist",
		 path, missing);
	open_fails(ctx, path, GMRK_E_NOENT, msg);
	gmrk_ctx_free(ctx);

	/* another key pair: its private key does not match the public key ... */
	gmrk_config_init(&cfg);
	cfg.sm2_public_key = s.pub;
	cfg.sm2_private_key_file = other.priv;
	cfg.sm2_pincode = PIN;
	ctx = ctx_ok(&cfg);
	snprintf(msg, sizeof(msg),
		 "key file '%s' of asset 'orders': sm2 private key does not match the configured public key",
		 path);
	open_fails(ctx, path, GMRK_E_WRONG_KEY, msg);
	gmrk_ctx_free(ctx);
	/* ... and alone it cannot unwrap this key file's secret */
	foreign = path;
	gmrk_config_init(&cfg);
	cfg.sm2_private_key_file = other.priv;
	cfg.sm2_pincode = PIN;
	ctx = ctx_ok(&cfg);
	snprintf(msg, sizeof(msg),
		 "key file '%s' of asset 'orders': sm2 unwrap: wrapped for another key, or corrupt",
		 foreign);
	open_fails(ctx, foreign, GMRK_E_WRONG_KEY, msg);
	gmrk_ctx_free(ctx);

	/* the right pincode still opens it: nothing was changed */
	ctx = sm2_reader(&s, PIN);
	k = th_key_ok(ctx, path, 0);
	gmrk_key_free(k);
	gmrk_ctx_free(ctx);

	/* an SM2 key file under a GMRK_KEY context names both */
	assert_int_equal(setenv("GMRK_KEY", "000102030405060708090a0b0c0d0e0f"
				"101112131415161718191a1b1c1d1e1f", 1), 0);
	ctx = ctx_ok(NULL);
	unsetenv("GMRK_KEY");
	snprintf(msg, sizeof(msg),
		 "key file '%s' needs an SM2 key pair as master key, but environment variable GMRK_KEY is a 32-byte hex key",
		 path);
	open_fails(ctx, path, GMRK_E_WRONG_KEY, msg);
	gmrk_ctx_free(ctx);

	/* a public key that is not one is bad configuration */
	{
		gmrk_error err;

		gmrk_config_init(&cfg);
		cfg.sm2_public_key = "04abcd";
		assert_null(gmrk_ctx_new(&cfg, &err));
		assert_int_equal(err.code, GMRK_E_INVAL);
	}
	free(missing);
	free(path);
	sm2_teardown(&s);
	sm2_teardown(&other);
}

/* every bit flip and every truncation of an sm2 key file fails, cleanly */
static void test_sm2_damage(void **state)
{
	struct sm2_setup s;
	char *path, *bad;
	uint8_t *file, *copy;
	size_t len, i;
	gmrk_ctx *ctx;
	gmrk_error err;
	gmrk_key *k;
	int bit;

	(void)state;
	sm2_setup(&s, "sm2-damage");
	path = tk_join(s.dir, "orig.key");
	bad = tk_join(s.dir, "bad.key");
	ctx = sm2_reader(&s, PIN);
	gmrk_key_free(th_key_ok(ctx, path, GMRK_KEY_CREATE));
	gmrk_key_free(th_key_ok(ctx, path, 0));
	file = tk_slurp(path, &len);
	copy = malloc(len);
	assert_non_null(copy);
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(copy, file, len);
			copy[i] ^= (uint8_t)(1u << bit);
			unlink(bad);
			tk_spit(bad, copy, len, 0600);
			k = gmrk_key_open(ctx, bad, "orig", 0, &err);
			if (k)
				fail_msg("bit %d of byte %zu flipped: the key file still opens", bit, i);
			assert_true(err.code == GMRK_E_WRONG_KEY || err.code == GMRK_E_CORRUPT ||
				    err.code == GMRK_E_UNSUPPORTED || err.code == GMRK_E_TRUNCATED);
			assert_non_null(strstr(err.message, bad));
		}
	for (i = 1; i < len; i++) {
		unlink(bad);
		tk_spit(bad, file, i, 0600);
		assert_null(gmrk_key_open(ctx, bad, "orig", 0, &err));
		assert_true(err.code == GMRK_E_TRUNCATED || err.code == GMRK_E_CORRUPT);
	}
	unlink(bad);
	/* the original still opens */
	gmrk_key_free(th_key_ok(ctx, path, 0));
	gmrk_ctx_free(ctx);
	free(file);
	free(copy);
	free(bad);
	free(path);
	sm2_teardown(&s);
}

/* ---------------------------------------------------- ek-hkdf, old format */

static void hkdf(const uint8_t *ikm, const uint8_t *salt, const uint8_t *info,
		 size_t infolen, uint8_t *out)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *k = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[] = {
		OSSL_PARAM_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, 32),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, 32),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, infolen),
		OSSL_PARAM_END,
	};

	assert_int_equal(EVP_KDF_derive(k, out, 32, p), 1);
	EVP_KDF_CTX_free(k);
	EVP_KDF_free(kdf);
}

/*
 * A version 1 ek-hkdf key file made from block-format.rst's layout with
 * OpenSSL alone, as libgmrk wrote them before SM2 and the TPM: it opens,
 * and its key is the AEK that was sealed in it.
 */
static void test_old_ek_format(void **state)
{
	static const char hexkey[] =
		"00112233445566778899aabbccddeeff0f1e2d3c4b5a69788796a5b4c3d2e1f0";
	static const char asset[] = "legacy";
	uint8_t ek[32], aek[32], kek[32], salt[32], id[8], nonce[12], tag[16];
	uint8_t file[28 + sizeof(asset) - 1 + 32 + 12 + 48], info[64];
	size_t A = sizeof(asset) - 1, head = 28 + A + 32, i, len;
	EVP_CIPHER_CTX *c;
	char *dir = tk_dir("legacy"), *path = tk_join(dir, "legacy.key");
	struct gmrk_config cfg;
	gmrk_ctx *ctx;
	gmrk_key *k, *ref;
	uint8_t *blk;
	int n;

	(void)state;
	for (i = 0; i < 32; i++) {
		unsigned int v;

		sscanf(hexkey + 2 * i, "%2x", &v);
		ek[i] = (uint8_t)v;
		aek[i] = (uint8_t)(0xa0 + i);
		salt[i] = (uint8_t)(3 * i + 1);
	}
	memcpy(id, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	memcpy(nonce, "legacynonce!", 12);
	memcpy(file, "\x89GMRKKEY", 8);
	file[8] = 1;		/* format version */
	file[9] = 1;		/* ek-hkdf */
	file[10] = GMRK_CIPHER_AES_GCM;
	file[11] = (uint8_t)A;
	memcpy(file + 12, "\0\0\0\x01", 4);	/* key version 1 */
	memcpy(file + 16, id, 8);
	memcpy(file + 24, "\0\x20\0\x30", 4);	/* P = 32, S = 48 */
	memcpy(file + 28, asset, A);
	memcpy(file + 28 + A, salt, 32);
	memcpy(file + head, nonce, 12);
	/* KEK = HKDF-SHA256(EK, salt, "gmrk-kek-v1" 0 asset) */
	memcpy(info, "gmrk-kek-v1", 12);
	memcpy(info + 12, asset, A);
	hkdf(ek, salt, info, 12 + A, kek);
	c = EVP_CIPHER_CTX_new();
	assert_int_equal(EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, kek, nonce), 1);
	assert_int_equal(EVP_EncryptUpdate(c, NULL, &n, file, (int)head), 1);
	assert_int_equal(EVP_EncryptUpdate(c, file + head + 12, &n, aek, 32), 1);
	assert_int_equal(EVP_EncryptFinal_ex(c, file + head + 12 + n, &n), 1);
	assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag), 1);
	EVP_CIPHER_CTX_free(c);
	memcpy(file + head + 12 + 32, tag, 16);
	tk_spit(path, file, sizeof(file), 0600);

	gmrk_config_init(&cfg);
	cfg.flags = GMRK_CFG_IGNORE_ENV;
	cfg.master_key = hexkey;
	cfg.master_key_len = strlen(hexkey);
	ctx = ctx_ok(&cfg);
	k = th_key_ok(ctx, path, 0);
	assert_int_equal(provider_of(k), GMRK_PROVIDER_EK_HKDF);
	/* the same AEK and id as a key handed over directly */
	ref = gmrk_key_from_bytes(ctx, aek, 32, id, 1, NULL);
	assert_non_null(ref);
	blk = seal(ctx, ref, &len);
	opens(ctx, k, blk, len);
	free(blk);
	gmrk_key_free(ref);
	gmrk_key_free(k);
	gmrk_ctx_free(ctx);
	free(path);
	free(dir);
}

/* ------------------------------------------------------------------ TPM */

static void tpm_cfg(struct gmrk_config *cfg, const char *keys, const char *pw, int pcr)
{
	gmrk_config_init(cfg);
	cfg->flags = GMRK_CFG_IGNORE_ENV;
	cfg->tpm_keys_file = keys;
	cfg->tpm_encryption_password = pw;
	cfg->tpm_tcti = tpm.tcti;
	cfg->tpm_pcr = pcr;
}

static void test_tpm_create_reopen(void **state)
{
	char *dir = tk_dir("tpm-create"), *keys = tk_join(dir, "tpm.keys");
	char *path = tk_join(dir, "shard7.key");
	struct gmrk_config cfg;
	gmrk_ctx *ctx;
	gmrk_key *k;
	uint8_t *blk, *file;
	size_t len, flen;

	(void)state;
	if (!have_tpm)
		skip();
	/* first context: the environment names everything; keys_file is created */
	gmrk_config_init(&cfg);
	assert_int_equal(setenv("GMRK_TPM_KEYS_FILE", keys, 1), 0);
	assert_int_equal(setenv("GMRK_TPM_PASSWORD", "s3cret", 1), 0);
	assert_int_equal(setenv("GMRK_TPM_TCTI", tpm.tcti, 1), 0);
	ctx = ctx_ok(&cfg);
	assert_null(getenv("GMRK_TPM_PASSWORD"));	/* read once, then removed */
	unsetenv("GMRK_TPM_KEYS_FILE");
	unsetenv("GMRK_TPM_TCTI");
	assert_int_equal(access(keys, F_OK), -1);	/* not before a key is opened */
	k = th_key_ok(ctx, path, GMRK_KEY_CREATE);
	assert_int_equal(access(keys, F_OK), 0);
	assert_int_equal(provider_of(k), GMRK_PROVIDER_TPM);
	blk = seal(ctx, k, &len);
	gmrk_key_free(k);
	gmrk_ctx_free(ctx);
	file = tk_slurp(path, &flen);
	assert_int_equal(file[9], GMRK_PROVIDER_TPM);
	free(file);

	/* a new context unseals the same key from keys_file */
	tpm_cfg(&cfg, keys, "s3cret", 0);
	ctx = ctx_ok(&cfg);
	k = th_key_ok(ctx, path, 0);
	opens(ctx, k, blk, len);
	gmrk_key_free(k);
	gmrk_ctx_free(ctx);

	free(blk);
	free(path);
	free(keys);
	free(dir);
}

static void test_tpm_errors(void **state)
{
	char *dir = tk_dir("tpm-errors"), *keys = tk_join(dir, "tpm.keys");
	char *path = tk_join(dir, "metrics.key"), msg[GMRK_ERRMSG_LEN];
	struct gmrk_config cfg;
	size_t klen, klen2;
	uint8_t *kbefore, *kafter;
	gmrk_ctx *ctx;
	gmrk_error err;

	(void)state;
	if (!have_tpm)
		skip();
	tpm_cfg(&cfg, keys, "right", 23);
	ctx = ctx_ok(&cfg);
	gmrk_key_free(th_key_ok(ctx, path, GMRK_KEY_CREATE));
	gmrk_ctx_free(ctx);
	kbefore = tk_slurp(keys, &klen);

	/* a wrong encryption_password */
	tpm_cfg(&cfg, keys, "wrong", 0);
	ctx = ctx_ok(&cfg);
	snprintf(msg, sizeof(msg),
		 "key file '%s' of asset 'metrics': tpm: wrong encryption_password", path);
	open_fails(ctx, path, GMRK_E_WRONG_KEY, msg);
	/* remembered: not retried against the TPM's lockout counter */
	open_fails(ctx, path, GMRK_E_WRONG_KEY, msg);
	gmrk_ctx_free(ctx);
	tk_tpm_da_reset(tpm.tcti);

	/* PCR 23 moves: the key is not given back */
	tk_tpm_pcr_extend(tpm.tcti, 23);
	tpm_cfg(&cfg, keys, "right", 0);
	ctx = ctx_ok(&cfg);
	snprintf(msg, sizeof(msg),
		 "key file '%s' of asset 'metrics': tpm: policy check failed: PCR 23 changed since the key was sealed",
		 path);
	open_fails(ctx, path, GMRK_E_WRONG_KEY, msg);
	gmrk_ctx_free(ctx);
	kafter = tk_slurp(keys, &klen2);
	assert_int_equal(klen2, klen);
	assert_memory_equal(kbefore, kafter, klen);

	/* configuration errors fail the context */
	tpm_cfg(&cfg, keys, "right", 16);
	assert_null(gmrk_ctx_new(&cfg, &err));
	tk_assert_msg(&err, GMRK_E_INVAL,
		      "tpm: pcr must be 17 to 23 (0 to 16 are reserved), not 16");
	tpm_cfg(&cfg, keys, NULL, 0);
	assert_null(gmrk_ctx_new(&cfg, &err));
	tk_assert_msg(&err, GMRK_E_NOKEY,
		      "tpm: encryption_password is required (set GMRK_TPM_PASSWORD)");

	free(kbefore);
	free(kafter);
	free(path);
	free(keys);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sm2_create_reopen),
		cmocka_unit_test(test_sm2_errors),
		cmocka_unit_test(test_sm2_damage),
		cmocka_unit_test(test_old_ek_format),
		cmocka_unit_test(test_tpm_create_reopen),
		cmocka_unit_test(test_tpm_errors),
	};
	char why[256];
	int rc;

	/* tpm2-tss logs every TPM error on stderr; the tests check them */
	setenv("TSS2_LOG", "all+none", 0);
	have_tpm = !tk_swtpm_start(&tpm, why, sizeof(why));
	if (!have_tpm)
		printf("# swtpm cannot start: %s\n", why);
	rc = TK_RUN("providers", tests);
	if (have_tpm)
		tk_swtpm_stop(&tpm);
	return rc;
}

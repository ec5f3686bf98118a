// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The block format: round trips per cipher and size, every truncation and
 * every single-bit flip of a small block (each must fail, with the right
 * class of error, and leave nothing in the output), binding to position
 * and associated data, plaintext pass-through, cipher changes under one
 * key, nonce freshness (also across fork()), the nonce budget, and the
 * argument errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static const enum gmrk_cipher ciphers[] = {
	GMRK_CIPHER_AES_GCM, GMRK_CIPHER_SM4_GCM, GMRK_CIPHER_CHACHA20_POLY1305,
};

static void test_roundtrip_sizes(void **s)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 100, 4096, 65536, 200000 };
	size_t i, j, outlen, backlen;
	unsigned int flags;

	(void)s;
	for (i = 0; i < 3; i++) {
		gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_AUTO, ciphers[i], 0);
		gmrk_key *k = th_key(ctx, 1);

		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			size_t n = sizes[j];
			uint8_t *pt = malloc(n + 1), *ct = malloc(n + GMRK_OVERHEAD);
			uint8_t *back = malloc(n + 1);
			gmrk_error err;

			th_fill(pt, n);
			assert_int_equal(gmrk_seal(ctx, k, j, "asset", 5, pt, n, ct,
						   gmrk_sealed_len(n), &outlen, &err), 0);
			assert_int_equal(outlen, n + GMRK_OVERHEAD);
			assert_int_equal(ct[9], ciphers[i]);
			assert_int_equal(gmrk_open(ctx, k, j, "asset", 5, ct, outlen, back, n,
						   &backlen, &flags, &err), 0);
			assert_int_equal(backlen, n);
			assert_int_equal(flags, 0);
			if (n)
				assert_memory_equal(back, pt, n);
			free(pt);
			free(ct);
			free(back);
		}
		gmrk_key_free(k);
		gmrk_ctx_free(ctx);
	}
}

#define SMALL 20

static void seal_small(gmrk_ctx *ctx, gmrk_key *k, uint8_t *ct)
{
	uint8_t pt[SMALL];
	size_t outlen;

	memset(pt, 'p', sizeof(pt));
	assert_int_equal(gmrk_seal(ctx, k, 9, "ad", 2, pt, SMALL, ct, SMALL + GMRK_OVERHEAD,
				   &outlen, NULL), 0);
	assert_int_equal(outlen, SMALL + GMRK_OVERHEAD);
}

static void test_every_truncation(void **s)
{
	uint8_t ct[SMALL + GMRK_OVERHEAD], out[SMALL + GMRK_OVERHEAD];
	size_t i, len, outlen;

	(void)s;
	for (i = 0; i < 3; i++) {
		gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_SOFT, ciphers[i], 0);
		gmrk_key *k = th_key(ctx, 1);

		seal_small(ctx, k, ct);
		for (len = 0; len < sizeof(ct); len++) {
			gmrk_error err;
			int rc;

			memset(out, 0x77, sizeof(out));
			rc = gmrk_open(ctx, k, 9, "ad", 2, ct, len, out, sizeof(out), &outlen,
				       NULL, &err);
			assert_int_equal(rc, -GMRK_E_TRUNCATED);
			assert_int_equal(err.code, GMRK_E_TRUNCATED);
			assert_int_equal(outlen, 0);
			/* gmrk_block_info agrees for headers that are cut */
			if (len < GMRK_HEADER_LEN && len) {
				struct gmrk_block_info bi;

				assert_int_equal(gmrk_block_info(ct, len, &bi, NULL),
						 len < 8 ? -GMRK_E_TRUNCATED : -GMRK_E_TRUNCATED);
			}
		}
		/* and one byte too many is corrupt, not accepted */
		{
			uint8_t longer[sizeof(ct) + 1];

			memcpy(longer, ct, sizeof(ct));
			longer[sizeof(ct)] = 0;
			assert_int_equal(gmrk_open(ctx, k, 9, "ad", 2, longer, sizeof(longer), out,
						   sizeof(out), &outlen, NULL, NULL), -GMRK_E_CORRUPT);
		}
		gmrk_key_free(k);
		gmrk_ctx_free(ctx);
	}
}

/* what a flip of bit @bit (of the whole block) must give */
static int expected_flip(size_t bit, uint8_t orig_byte, enum gmrk_cipher c)
{
	size_t byte = bit / 8;

	if (byte < 8)
		return -GMRK_E_PLAINTEXT;	/* no magic: unencrypted data */
	if (byte == 8)
		return -GMRK_E_UNSUPPORTED;	/* another format version */
	if (byte == 9) {
		int nc = orig_byte ^ (1 << (bit % 8));

		(void)c;
		/* another valid cipher: its subkey differs, the tag fails */
		return nc >= 1 && nc <= 3 ? -GMRK_E_AUTH : -GMRK_E_UNSUPPORTED;
	}
	if (byte == 10 || byte == 11)
		return -GMRK_E_CORRUPT;
	if (byte < 24)
		return -GMRK_E_WRONG_KEY;	/* key version or key id */
	if (byte < 36)
		return -GMRK_E_AUTH;		/* nonce */
	if (byte < 40) {
		/* the payload length: bigger -> truncated, smaller -> corrupt */
		return (orig_byte >> (bit % 8)) & 1 ? -GMRK_E_CORRUPT : -GMRK_E_TRUNCATED;
	}
	return -GMRK_E_AUTH;			/* ciphertext or tag */
}

static void test_every_bit_flip(void **s)
{
	uint8_t ct[SMALL + GMRK_OVERHEAD], bad[SMALL + GMRK_OVERHEAD], out[SMALL + GMRK_OVERHEAD];
	size_t i, bit, outlen;

	(void)s;
	for (i = 0; i < 3; i++) {
		gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_SOFT, ciphers[i], 0);
		gmrk_key *k = th_key(ctx, 1);
		struct gmrk_stats st;

		seal_small(ctx, k, ct);
		for (bit = 0; bit < 8 * sizeof(ct); bit++) {
			gmrk_error err;
			size_t j;
			int rc;

			memcpy(bad, ct, sizeof(ct));
			bad[bit / 8] ^= (uint8_t)(1 << (bit % 8));
			memset(out, 0x77, sizeof(out));
			rc = gmrk_open(ctx, k, 9, "ad", 2, bad, sizeof(bad), out, sizeof(out),
				       &outlen, NULL, &err);
			if (rc != expected_flip(bit, ct[bit / 8], ciphers[i]))
				fail_msg("%s: bit %zu: rc %d (%s), expected %d", gmrk_cipher_name(ciphers[i]),
					 bit, rc, err.message, expected_flip(bit, ct[bit / 8], ciphers[i]));
			assert_int_equal(err.code, -rc);
			assert_true(err.message[0]);
			assert_int_equal(outlen, 0);
			for (j = 0; j < sizeof(out); j++)
				assert_true(out[j] == 0 || out[j] == 0x77);
			for (j = 0; j < SMALL; j++)
				assert_int_not_equal(out[j], 'p');
		}
		assert_int_equal(gmrk_stats(ctx, &st), 0);
		assert_true(st.auth_failures > 8 * (SMALL + GMRK_TAG_LEN + GMRK_NONCE_LEN) - 1);
		gmrk_key_free(k);
		gmrk_ctx_free(ctx);
	}
}

static void test_binding(void **s)
{
	uint8_t ct[SMALL + GMRK_OVERHEAD], out[SMALL];
	size_t outlen;
	gmrk_error err;
	gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_SOFT, GMRK_CIPHER_CHACHA20_POLY1305, 0);
	gmrk_key *k = th_key(ctx, 1), *other;
	static const uint8_t id2[GMRK_KEY_ID_LEN] = "otherkey";
	uint8_t aek[32] = { 0 };

	(void)s;
	seal_small(ctx, k, ct);
	assert_int_equal(gmrk_open(ctx, k, 9, "ad", 2, ct, sizeof(ct), out, sizeof(out),
				   &outlen, NULL, &err), 0);
	/* moved to another position */
	assert_int_equal(gmrk_open(ctx, k, 10, "ad", 2, ct, sizeof(ct), out, sizeof(out),
				   &outlen, NULL, &err), -GMRK_E_AUTH);
	assert_non_null(strstr(err.message, "position 10"));
	assert_non_null(strstr(err.message, "chacha20-poly1305: message authentication failed"));
	/* moved to another asset */
	assert_int_equal(gmrk_open(ctx, k, 9, "AD", 2, ct, sizeof(ct), out, sizeof(out),
				   &outlen, NULL, &err), -GMRK_E_AUTH);
	assert_int_equal(gmrk_open(ctx, k, 9, "ad\0", 3, ct, sizeof(ct), out, sizeof(out),
				   &outlen, NULL, &err), -GMRK_E_AUTH);
	assert_int_equal(gmrk_open(ctx, k, 9, NULL, 0, ct, sizeof(ct), out, sizeof(out),
				   &outlen, NULL, &err), -GMRK_E_AUTH);
	/* another key */
	other = gmrk_key_from_bytes(ctx, aek, sizeof(aek), id2, 1, &err);
	assert_non_null(other);
	assert_int_equal(gmrk_open(ctx, other, 9, "ad", 2, ct, sizeof(ct), out, sizeof(out),
				   &outlen, NULL, &err), -GMRK_E_WRONG_KEY);
	assert_non_null(strstr(err.message, "0102030405060708"));
	/* same id, another version */
	gmrk_key_free(other);
	other = th_key(ctx, 2);
	assert_int_equal(gmrk_open(ctx, other, 9, "ad", 2, ct, sizeof(ct), out, sizeof(out),
				   &outlen, NULL, &err), -GMRK_E_WRONG_KEY);
	assert_non_null(strstr(err.message, "version 1"));
	/* no key at all */
	assert_int_equal(gmrk_open(ctx, NULL, 9, "ad", 2, ct, sizeof(ct), out, sizeof(out),
				   &outlen, NULL, &err), -GMRK_E_NOKEY);
	gmrk_key_free(other);
	gmrk_key_free(k);
	gmrk_ctx_free(ctx);
}

static void test_plaintext_policy(void **s)
{
	static const char old[] = "a block written before encryption was enabled";
	uint8_t out[sizeof(old)];
	size_t outlen;
	unsigned int flags;
	gmrk_error err;
	gmrk_ctx *strict = th_ctx(GMRK_BACKEND_SOFT, 0, 0);
	gmrk_ctx *lax = th_ctx(GMRK_BACKEND_SOFT, 0, GMRK_CFG_ALLOW_PLAINTEXT);
	struct gmrk_block_info bi;
	struct gmrk_stats st;

	(void)s;
	assert_int_equal(gmrk_open(strict, NULL, 0, NULL, 0, old, sizeof(old), out, sizeof(out),
				   &outlen, &flags, &err), -GMRK_E_PLAINTEXT);
	assert_non_null(strstr(err.message, "plaintext is not allowed"));
	assert_int_equal(gmrk_open(lax, NULL, 0, NULL, 0, old, sizeof(old), out, sizeof(out),
				   &outlen, &flags, &err), 0);
	assert_int_equal(flags, GMRK_BLOCK_PLAINTEXT);
	assert_int_equal(outlen, sizeof(old));
	assert_memory_equal(out, old, sizeof(old));
	/* empty: plaintext when allowed, truncated when not */
	assert_int_equal(gmrk_open(lax, NULL, 0, NULL, 0, old, 0, out, sizeof(out), &outlen,
				   &flags, &err), 0);
	assert_int_equal(outlen, 0);
	assert_int_equal(gmrk_open(strict, NULL, 0, NULL, 0, old, 0, out, sizeof(out), &outlen,
				   &flags, &err), -GMRK_E_TRUNCATED);
	/* too small an output buffer */
	assert_int_equal(gmrk_open(lax, NULL, 0, NULL, 0, old, sizeof(old), out, 3, &outlen,
				   &flags, &err), -GMRK_E_SPACE);
	assert_int_equal(gmrk_block_info(old, sizeof(old), &bi, &err), 0);
	assert_int_equal(bi.encrypted, 0);
	assert_int_equal(gmrk_stats(lax, &st), 0);
	assert_int_equal(st.plaintext_blocks, 2);
	gmrk_ctx_free(strict);
	gmrk_ctx_free(lax);
}

static void test_cipher_change_same_key(void **s)
{
	uint8_t pt[64], ct[3][64 + GMRK_OVERHEAD], out[64];
	gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_SOFT, GMRK_CIPHER_AES_GCM, 0);
	gmrk_key *k = th_key(ctx, 1);
	size_t i, outlen;

	(void)s;
	th_fill(pt, sizeof(pt));
	for (i = 0; i < 3; i++) {
		assert_int_equal(gmrk_ctx_set_cipher(ctx, ciphers[i], NULL), 0);
		assert_int_equal(gmrk_ctx_cipher(ctx), ciphers[i]);
		assert_int_equal(gmrk_seal(ctx, k, i, NULL, 0, pt, sizeof(pt), ct[i],
					   sizeof(ct[i]), &outlen, NULL), 0);
	}
	assert_int_equal(gmrk_ctx_set_cipher(ctx, GMRK_CIPHER_NONE, NULL), -GMRK_E_UNSUPPORTED);
	/* every block opens with its own cipher, whatever the context's is now */
	for (i = 0; i < 3; i++) {
		struct gmrk_block_info bi;

		assert_int_equal(gmrk_block_info(ct[i], sizeof(ct[i]), &bi, NULL), 0);
		assert_int_equal(bi.cipher, ciphers[i]);
		assert_int_equal(bi.encrypted, 1);
		assert_int_equal(bi.payload_len, 64);
		assert_int_equal(gmrk_open(ctx, k, i, NULL, 0, ct[i], sizeof(ct[i]), out,
					   sizeof(out), &outlen, NULL, NULL), 0);
		assert_memory_equal(out, pt, sizeof(pt));
	}
	/* the same payload under two ciphers gives unrelated ciphertexts */
	assert_memory_not_equal(ct[0] + 40, ct[2] + 40, 64);
	gmrk_key_free(k);
	gmrk_ctx_free(ctx);
}

static int cmp_nonce(const void *a, const void *b)
{
	return memcmp(a, b, GMRK_NONCE_LEN);
}

static void collect(gmrk_ctx *ctx, gmrk_key *k, uint8_t *nonces, size_t n)
{
	uint8_t ct[GMRK_OVERHEAD];
	size_t i;

	for (i = 0; i < n; i++) {
		/* a rewrite: same block, same position, same data */
		assert_int_equal(gmrk_seal(ctx, k, 0, NULL, 0, NULL, 0, ct, sizeof(ct), NULL,
					   NULL), 0);
		memcpy(nonces + i * GMRK_NONCE_LEN, ct + 24, GMRK_NONCE_LEN);
	}
}

static void test_nonces_fresh(void **s)
{
	enum { N = 20000 };
	uint8_t *nonces = malloc(2 * N * GMRK_NONCE_LEN);
	gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_SOFT, 0, 0);
	gmrk_key *k = th_key(ctx, 1);
	int pipefd[2], status;
	size_t i;
	pid_t pid;

	(void)s;
	assert_non_null(nonces);
	/* prime the buffered randomness, then fork: parent and child must differ */
	collect(ctx, k, nonces, 1);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		uint8_t mine[N * GMRK_NONCE_LEN];

		collect(ctx, k, mine, N);
		_exit(write(pipefd[1], mine, sizeof(mine)) == (ssize_t)sizeof(mine) ? 0 : 1);
	}
	close(pipefd[1]);
	collect(ctx, k, nonces, N);
	{
		size_t got = 0;
		ssize_t r;

		while (got < (size_t)N * GMRK_NONCE_LEN &&
		       (r = read(pipefd[0], nonces + N * GMRK_NONCE_LEN + got,
				 (size_t)N * GMRK_NONCE_LEN - got)) > 0)
			got += (size_t)r;
		assert_int_equal(got, (size_t)N * GMRK_NONCE_LEN);
	}
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	qsort(nonces, 2 * N, GMRK_NONCE_LEN, cmp_nonce);
	for (i = 1; i < 2 * N; i++)
		assert_int_not_equal(memcmp(nonces + (i - 1) * GMRK_NONCE_LEN,
					    nonces + i * GMRK_NONCE_LEN, GMRK_NONCE_LEN), 0);
	free(nonces);
	gmrk_key_free(k);
	gmrk_ctx_free(ctx);
}

static void test_nonce_limit(void **s)
{
	struct gmrk_config cfg;
	uint8_t ct[GMRK_OVERHEAD];
	gmrk_error err;
	gmrk_ctx *ctx;
	gmrk_key *k;
	int i;

	(void)s;
	gmrk_config_init(&cfg);
	cfg.flags = GMRK_CFG_IGNORE_ENV | GMRK_CFG_NO_MASTER_KEY;
	cfg.backend = GMRK_BACKEND_SOFT;
	cfg.nonce_limit = 3;
	ctx = gmrk_ctx_new(&cfg, &err);
	assert_non_null(ctx);
	k = th_key(ctx, 1);
	for (i = 0; i < 3; i++)
		assert_int_equal(gmrk_seal(ctx, k, 0, NULL, 0, NULL, 0, ct, sizeof(ct), NULL,
					   &err), 0);
	assert_int_equal(gmrk_seal(ctx, k, 0, NULL, 0, NULL, 0, ct, sizeof(ct), NULL, &err),
			 -GMRK_E_EXHAUSTED);
	assert_non_null(strstr(err.message, "rotate the key"));
	/* another cipher has its own subkey and budget */
	gmrk_ctx_set_cipher(ctx, GMRK_CIPHER_SM4_GCM, NULL);
	assert_int_equal(gmrk_seal(ctx, k, 0, NULL, 0, NULL, 0, ct, sizeof(ct), NULL, &err), 0);
	gmrk_key_free(k);
	gmrk_ctx_free(ctx);
}

static void test_argument_errors(void **s)
{
	uint8_t buf[200], out[200];
	size_t outlen = 99;
	gmrk_error err;
	gmrk_ctx *ctx = th_ctx(GMRK_BACKEND_SOFT, 0, 0), *ctx2 = th_ctx(GMRK_BACKEND_SOFT, 0, 0);
	gmrk_key *k = th_key(ctx, 1);

	(void)s;
	memset(buf, 1, sizeof(buf));
	assert_int_equal(gmrk_seal(ctx, k, 0, NULL, 0, buf, 100, out, 100 + GMRK_OVERHEAD - 1,
				   &outlen, &err), -GMRK_E_SPACE);
	assert_int_equal(outlen, 0);
	assert_int_equal(gmrk_seal(ctx, k, 0, NULL, 0, buf, 60, buf + 50, 150, &outlen, &err),
			 -GMRK_E_INVAL);
	assert_non_null(strstr(err.message, "overlap"));
	/* the input survived the refused call */
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf[i], 1);
	assert_int_equal(gmrk_seal(ctx, NULL, 0, NULL, 0, buf, 10, out, sizeof(out), &outlen,
				   &err), -GMRK_E_NOKEY);
	assert_int_equal(gmrk_seal(NULL, k, 0, NULL, 0, buf, 10, out, sizeof(out), &outlen,
				   &err), -GMRK_E_INVAL);
	assert_int_equal(gmrk_seal(ctx2, k, 0, NULL, 0, buf, 10, out, sizeof(out), &outlen,
				   &err), -GMRK_E_INVAL);
	assert_int_equal(gmrk_seal(ctx, k, 0, NULL, 5, buf, 10, out, sizeof(out), &outlen,
				   &err), -GMRK_E_INVAL);
	assert_int_equal(gmrk_seal(ctx, k, 0, NULL, 0, buf, 10, out, sizeof(out), &outlen,
				   &err), 0);
	assert_int_equal(gmrk_open(ctx, k, 0, NULL, 0, out, outlen, buf, 9, &outlen, NULL,
				   &err), -GMRK_E_SPACE);
	assert_int_equal(gmrk_sealed_len(10), 10 + GMRK_OVERHEAD);
	assert_int_equal(gmrk_sealed_len(SIZE_MAX), SIZE_MAX);
	assert_int_equal(gmrk_block_info(NULL, 5, NULL, &err), -GMRK_E_INVAL);
	/* unsupported format version and cipher id */
	memcpy(buf, out, 10 + GMRK_OVERHEAD);
	buf[8] = 2;
	assert_int_equal(gmrk_open(ctx, k, 0, NULL, 0, buf, 10 + GMRK_OVERHEAD, out, 10,
				   &outlen, NULL, &err), -GMRK_E_UNSUPPORTED);
	assert_non_null(strstr(err.message, "version 2"));
	gmrk_key_free(k);
	gmrk_ctx_free(ctx);
	gmrk_ctx_free(ctx2);
}

static void test_names(void **s)
{
	(void)s;
	assert_int_equal(gmrk_cipher_from_name("sm4"), GMRK_CIPHER_SM4_GCM);
	assert_int_equal(gmrk_cipher_from_name("SM4-GCM"), GMRK_CIPHER_SM4_GCM);
	assert_int_equal(gmrk_cipher_from_name("aes"), GMRK_CIPHER_AES_GCM);
	assert_int_equal(gmrk_cipher_from_name("aes-256-gcm"), GMRK_CIPHER_AES_GCM);
	assert_int_equal(gmrk_cipher_from_name("chachapoly"), GMRK_CIPHER_CHACHA20_POLY1305);
	assert_int_equal(gmrk_cipher_from_name("chacha20-poly1305"), GMRK_CIPHER_CHACHA20_POLY1305);
	assert_int_equal(gmrk_cipher_from_name("des"), GMRK_CIPHER_NONE);
	assert_int_equal(gmrk_cipher_from_name(NULL), GMRK_CIPHER_NONE);
	assert_null(gmrk_cipher_name(GMRK_CIPHER_NONE));
	assert_int_equal(gmrk_backend_from_name("soft"), GMRK_BACKEND_SOFT);
	assert_int_equal(gmrk_backend_from_name("card"), GMRK_BACKEND_CARD);
	assert_int_equal(gmrk_backend_from_name("KERNEL"), GMRK_BACKEND_KERNEL);
	assert_int_equal(gmrk_backend_from_name("auto"), GMRK_BACKEND_AUTO);
	assert_int_equal(gmrk_backend_from_name("gpu"), -1);
	assert_string_equal(gmrk_strerror(-GMRK_E_AUTH), "message authentication failed");
	assert_string_equal(gmrk_strerror(GMRK_E_NOKEY), "no key configured");
	assert_string_equal(gmrk_strerror(9999), "unknown error");
	for (int i = 0; i < GMRK_E_MAX; i++)
		assert_non_null(gmrk_strerror(i));
	assert_string_equal(gmrk_version(), GMRK_VERSION_STRING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_sizes),
		cmocka_unit_test(test_every_truncation),
		cmocka_unit_test(test_every_bit_flip),
		cmocka_unit_test(test_binding),
		cmocka_unit_test(test_plaintext_policy),
		cmocka_unit_test(test_cipher_change_same_key),
		cmocka_unit_test(test_nonces_fresh),
		cmocka_unit_test(test_nonce_limit),
		cmocka_unit_test(test_argument_errors),
		cmocka_unit_test(test_names),
	};

	return TH_RUN("format", tests);
}

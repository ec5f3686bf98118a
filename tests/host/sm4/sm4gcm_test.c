// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host tests of lib/sm4 (SM4-GCM): known answers, a differential test
 * against libgcrypt's SM4-GCM on every code path this CPU can run, and every
 * error path. TAP output (cmocka).
 *
 * SM4TEST_SEED=N in the environment repeats a run of the randomized tests.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gcrypt.h>

#include "sm4gcm.h"
#include "sm4gcm_impl.h"

static uint64_t rng_state = 0x5eed5eed5eedULL;

/* splitmix64: reproducible test data, not for keys. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)rnd();
}

static size_t hex2bin(uint8_t *out, const char *hex)
{
	size_t n = 0;

	while (hex[0] && hex[1]) {
		unsigned int v;

		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
		hex += 2;
	}
	return n;
}

/* Each per-path test gets the index of its code path as state. */
static size_t path_of(void **state)
{
	return (size_t)(uintptr_t)*state;
}

static int force_path(void **state)
{
	size_t i = path_of(state);

	if (!gmrk_sm4gcm_test_impl_usable(i)) {
		print_message("# %s: not supported by this CPU\n",
			      gmrk_sm4gcm_test_impl_name(i));
		return -1;
	}
	return gmrk_sm4gcm_test_force_impl(gmrk_sm4gcm_test_impl_name(i));
}

static int unforce_path(void **state)
{
	(void)state;
	return gmrk_sm4gcm_test_force_impl(NULL);
}

/* GB/T 32907-2016 appendix A, example 1. */
static const char *const kat_key = "0123456789abcdeffedcba9876543210";
static const char *const kat_ct = "681edf34d206965e86b3e94f536e4246";

static void test_sm4_block_kat(void **state)
{
	uint8_t key[16], ct[16], out[16];
	uint32_t rk[SM4_ROUNDS];

	(void)state;
	hex2bin(key, kat_key);
	hex2bin(ct, kat_ct);
	sm4_expand_key(rk, key);
	sm4_encrypt_block(rk, out, key);
	assert_memory_equal(out, ct, 16);
}

/*
 * GB/T 32907-2016 appendix A, example 2: the same block encrypted 10^6
 * times over, through the path's own SM4 (its E(J0) output).
 */
static void test_sm4_million_path(void **state)
{
	uint8_t key[16], ct[16], blk[16];
	gmrk_sm4gcm *c;
	long i;

	(void)state;
	hex2bin(key, kat_key);
	hex2bin(ct, "595298c7c6fd271f0402f804c33d3f66");
	memcpy(blk, key, 16);
	c = gmrk_sm4gcm_new(key);
	assert_non_null(c);
	for (i = 0; i < 1000000; i++) {
		uint8_t ctr[16];

		memcpy(ctr, blk, 16);
		c->impl->ctr(c, ctr, NULL, NULL, 0, blk);
	}
	assert_memory_equal(blk, ct, 16);
	gmrk_sm4gcm_free(c);
}

/* The same block through the path's own counter mode: E(ctr) ^ 0. */
static void test_sm4_block_kat_path(void **state)
{
	uint8_t key[16], ct[16], ctr[16], zero[16] = { 0 }, out[16];
	gmrk_sm4gcm *c;

	(void)state;
	hex2bin(key, kat_key);
	hex2bin(ct, kat_ct);
	memcpy(ctr, key, 16);
	c = gmrk_sm4gcm_new(key);
	assert_non_null(c);
	assert_string_equal(c->impl->name, gmrk_sm4gcm_test_impl_name(path_of(state)));
	c->impl->ctr(c, ctr, zero, out, 16, NULL);
	assert_memory_equal(out, ct, 16);
	gmrk_sm4gcm_free(c);
}

/* The path's key schedule equals the generic one, for random keys. */
static void test_key_schedule(void **state)
{
	uint32_t rk[SM4_ROUNDS];
	uint8_t key[16];
	gmrk_sm4gcm *c;
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		rnd_bytes(key, 16);
		c = gmrk_sm4gcm_new(key);
		assert_non_null(c);
		sm4_expand_key(rk, key);
		assert_memory_equal(c->rk, rk, sizeof(rk));
		gmrk_sm4gcm_free(c);
	}
}

/* RFC 8998 appendix A.1 (SM4-GCM). */
static void test_rfc8998_vector(void **state)
{
	uint8_t key[16], iv[12], aad[20], pt[64], ct[64], tag[16];
	uint8_t out[64], otag[16];
	gmrk_sm4gcm *c;

	(void)state;
	hex2bin(key, "0123456789abcdeffedcba9876543210");
	hex2bin(iv, "00001234567800000000abcd");
	hex2bin(aad, "feedfacedeadbeeffeedfacedeadbeefabaddad2");
	hex2bin(pt, "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"
		    "eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa");
	hex2bin(ct, "17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
		    "d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d");
	hex2bin(tag, "83de3541e4c2b58177e065a9bf7b62ec");
	c = gmrk_sm4gcm_new(key);
	assert_non_null(c);
	assert_int_equal(gmrk_sm4gcm_seal(c, iv, 12, aad, 20, pt, 64, out,
					  otag, 16), 0);
	assert_memory_equal(out, ct, 64);
	assert_memory_equal(otag, tag, 16);
	assert_int_equal(gmrk_sm4gcm_open(c, iv, 12, aad, 20, ct, 64, tag, 16,
					  out), 0);
	assert_memory_equal(out, pt, 64);
	gmrk_sm4gcm_free(c);
}

/* Counter mode across the 32-bit counter wrap, against the generic path. */
static void test_ctr_wrap(void **state)
{
	static uint8_t in[40 * 16 + 7], out[sizeof(in)], ref[sizeof(in)];
	uint8_t key[16], ctr[16], ctr_ref[16];
	gmrk_sm4gcm *c;

	(void)state;
	rnd_bytes(key, 16);
	rnd_bytes(in, sizeof(in));
	rnd_bytes(ctr, 12);
	memset(ctr + 12, 0xff, 4);
	ctr[15] = 0xf0;
	memcpy(ctr_ref, ctr, 16);
	c = gmrk_sm4gcm_new(key);
	assert_non_null(c);
	c->impl->ctr(c, ctr, in, out, sizeof(in), NULL);
	sm4gcm_impl_generic.ctr(c, ctr_ref, in, ref, sizeof(in), NULL);
	assert_memory_equal(out, ref, sizeof(in));
	assert_memory_equal(ctr, ctr_ref, 16);
	gmrk_sm4gcm_free(c);
}

/*
 * Every block count up to a few groups past the widest step, partial
 * blocks and E(J0) in front or not: the path's counter mode equals the
 * generic one byte for byte (group boundaries are where wide paths err).
 */
static void test_ctr_all_lengths(void **state)
{
	enum { MAXB = 100 };
	static uint8_t in[MAXB * 16], out[MAXB * 16], ref[MAXB * 16];
	uint8_t key[16], ctr0[16], ctr[16], ctr_ref[16], ek[16], ek_ref[16];
	size_t nb, part;
	int with_ek;
	gmrk_sm4gcm *c;

	(void)state;
	rnd_bytes(key, 16);
	rnd_bytes(ctr0, 16);
	rnd_bytes(in, sizeof(in));
	c = gmrk_sm4gcm_new(key);
	assert_non_null(c);
	for (nb = 0; nb < MAXB; nb++) {
		for (part = 0; part < 16; part += 15) {
			size_t len = nb * 16 + part;

			if (len > sizeof(in))
				continue;
			for (with_ek = 0; with_ek < 2; with_ek++) {
				memcpy(ctr, ctr0, 16);
				memcpy(ctr_ref, ctr0, 16);
				memset(out, 0, sizeof(out));
				c->impl->ctr(c, ctr, in, out, len, with_ek ? ek : NULL);
				sm4gcm_impl_generic.ctr(c, ctr_ref, in, ref, len,
							with_ek ? ek_ref : NULL);
				assert_memory_equal(out, ref, len);
				assert_memory_equal(ctr, ctr_ref, 16);
				if (with_ek)
					assert_memory_equal(ek, ek_ref, 16);
			}
		}
	}
	gmrk_sm4gcm_free(c);
}

static const size_t tag_lens[] = { 4, 8, 12, 13, 14, 15, 16 };

static void gcry_sm4gcm(const uint8_t *key, const uint8_t *iv, size_t ivlen,
			const uint8_t *aad, size_t aadlen, const uint8_t *in,
			size_t len, uint8_t *out, uint8_t tag[16])
{
	gcry_cipher_hd_t h;

	assert_int_equal(gcry_cipher_open(&h, GCRY_CIPHER_SM4,
					  GCRY_CIPHER_MODE_GCM, 0), 0);
	assert_int_equal(gcry_cipher_setkey(h, key, 16), 0);
	assert_int_equal(gcry_cipher_setiv(h, iv, ivlen), 0);
	assert_int_equal(gcry_cipher_authenticate(h, aad, aadlen), 0);
	assert_int_equal(gcry_cipher_encrypt(h, out, len ? len : 0, in, len), 0);
	assert_int_equal(gcry_cipher_gettag(h, tag, 16), 0);
	gcry_cipher_close(h);
}

/*
 * Random key, IV (mostly 12 bytes), AAD, length 0..6 KiB, unaligned
 * buffers, in place or not, every tag length: ciphertext and tag equal
 * libgcrypt's, and open gives the plaintext back.
 */
static void test_differential_libgcrypt(void **state)
{
	enum { MAXLEN = 40000, MAXAAD = 600, ROUNDS = 400 };
	/* around seal()'s 8 KiB chunks (the first one is 16 bytes shorter) */
	static const size_t long_lens[] = {
		8175, 8176, 8177, 8192, 16367, 16368, 16369, 24560, 24561,
		32768, 40000,
	};
	static uint8_t pt[MAXLEN + 32], orig[MAXLEN], buf[MAXLEN + 32];
	static uint8_t ref[MAXLEN], dec[MAXLEN + 32], aad[MAXAAD + 32];
	int r;

	(void)state;
	for (r = 0; r < ROUNDS; r++) {
		uint8_t key[16], iv[80], tag[16], reftag[16];
		size_t ivlen = rnd() % 4 ? 12 : 1 + rnd() % 80;
		size_t aadlen = rnd() % 3 ? rnd() % 64 : rnd() % (MAXAAD + 1);
		size_t nlong = sizeof(long_lens) / sizeof(long_lens[0]);
		size_t len = rnd() % 6145, taglen = tag_lens[rnd() % 7];
		size_t po = rnd() % 32, bo = rnd() % 32, ao = rnd() % 32;
		size_t dof = rnd() % 32;
		int inplace = rnd() & 1;
		uint8_t *p = pt + po, *b = inplace ? p : buf + bo;
		uint8_t *d = inplace ? b : dec + dof;
		gmrk_sm4gcm *c;

		/* first every length 0..39, then the long ones, then random */
		if (r < 40)
			len = (size_t)r;
		else if ((size_t)r < 40 + nlong)
			len = long_lens[r - 40];
		rnd_bytes(key, 16);
		rnd_bytes(iv, ivlen);
		rnd_bytes(aad + ao, aadlen);
		rnd_bytes(p, len);
		memcpy(orig, p, len);
		gcry_sm4gcm(key, iv, ivlen, aad + ao, aadlen, p, len, ref,
			    reftag);
		c = gmrk_sm4gcm_new(key);
		assert_non_null(c);
		assert_int_equal(gmrk_sm4gcm_seal(c, iv, ivlen, aad + ao,
						  aadlen, p, len, b, tag,
						  taglen), 0);
		assert_memory_equal(b, ref, len);
		assert_memory_equal(tag, reftag, taglen);
		assert_int_equal(gmrk_sm4gcm_open(c, iv, ivlen, aad + ao,
						  aadlen, b, len, tag, taglen,
						  d), 0);
		assert_memory_equal(d, orig, len);
		gmrk_sm4gcm_free(c);
	}
}

static void expect_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(p[i], 0);
}

/* Any change to tag, ciphertext, AAD or IV: -EBADMSG and out zeroed. */
static void test_forgery_rejected(void **state)
{
	uint8_t key[16], iv[12], aad[33], pt[300], ct[300], tag[16];
	uint8_t out[300], copy[300];
	size_t lens[] = { 0, 1, 16, 300 };
	size_t k, taglen;
	gmrk_sm4gcm *c;

	(void)state;
	rnd_bytes(key, 16);
	rnd_bytes(iv, 12);
	rnd_bytes(aad, sizeof(aad));
	rnd_bytes(pt, sizeof(pt));
	c = gmrk_sm4gcm_new(key);
	assert_non_null(c);
	for (k = 0; k < 4; k++) {
		size_t len = lens[k];

		for (taglen = 4; taglen <= 16; taglen += 12) {
			assert_int_equal(gmrk_sm4gcm_seal(c, iv, 12, aad, 33, pt,
							  len, ct, tag, taglen), 0);
			/* forged tag, every byte position */
			for (size_t i = 0; i < taglen; i++) {
				tag[i] ^= 0x01 << (i % 8);
				memset(out, 0xaa, sizeof(out));
				assert_int_equal(gmrk_sm4gcm_open(c, iv, 12, aad, 33, ct,
								  len, tag, taglen, out),
						 -EBADMSG);
				expect_zero(out, len);
				assert_int_equal(out[len < sizeof(out) ? len : 0],
						 len < sizeof(out) ? 0xaa : 0);
				tag[i] ^= 0x01 << (i % 8);
			}
			/* forged ciphertext */
			if (len) {
				ct[len / 2] ^= 0x80;
				memset(out, 0xaa, sizeof(out));
				assert_int_equal(gmrk_sm4gcm_open(c, iv, 12, aad, 33, ct,
								  len, tag, taglen, out),
						 -EBADMSG);
				expect_zero(out, len);
				/* in place: the ciphertext stays as it was */
				memcpy(copy, ct, len);
				assert_int_equal(gmrk_sm4gcm_open(c, iv, 12, aad, 33, ct,
								  len, tag, taglen, ct),
						 -EBADMSG);
				assert_memory_equal(ct, copy, len);
				ct[len / 2] ^= 0x80;
			}
			/* forged AAD, dropped AAD, other IV */
			aad[32] ^= 1;
			assert_int_equal(gmrk_sm4gcm_open(c, iv, 12, aad, 33, ct, len,
							  tag, taglen, out), -EBADMSG);
			aad[32] ^= 1;
			assert_int_equal(gmrk_sm4gcm_open(c, iv, 12, NULL, 0, ct, len,
							  tag, taglen, out), -EBADMSG);
			iv[0] ^= 1;
			assert_int_equal(gmrk_sm4gcm_open(c, iv, 12, aad, 33, ct, len,
							  tag, taglen, out), -EBADMSG);
			iv[0] ^= 1;
			/* truncated ciphertext */
			if (len)
				assert_int_equal(gmrk_sm4gcm_open(c, iv, 12, aad, 33, ct,
								  len - 1, tag, taglen,
								  out), -EBADMSG);
			/* and the genuine one still opens */
			assert_int_equal(gmrk_sm4gcm_open(c, iv, 12, aad, 33, ct, len,
							  tag, taglen, out), 0);
			assert_memory_equal(out, pt, len);
		}
	}
	gmrk_sm4gcm_free(c);
}

/* Bad arguments: -EINVAL and nothing written. */
static void test_bad_args(void **state)
{
	uint8_t key[16] = { 1 }, iv[12] = { 2 }, buf[64] = { 3 }, tag[16];
	uint8_t out[64], t2[16];
	size_t bad_tags[] = { 0, 1, 3, 5, 7, 9, 10, 11, 17, 32 };
	size_t i;
	gmrk_sm4gcm *c;

	(void)state;
	c = gmrk_sm4gcm_new(key);
	assert_non_null(c);
	assert_int_equal(gmrk_sm4gcm_seal(c, iv, 12, NULL, 0, buf, 64, out, tag,
					  16), 0);
	for (i = 0; i < sizeof(bad_tags) / sizeof(bad_tags[0]); i++) {
		memset(t2, 0x55, sizeof(t2));
		memset(out, 0x55, sizeof(out));
		assert_int_equal(gmrk_sm4gcm_seal(c, iv, 12, NULL, 0, buf, 64, out,
						  t2, bad_tags[i]), -EINVAL);
		assert_int_equal(t2[0], 0x55);
		assert_int_equal(out[0], 0x55);
		assert_int_equal(gmrk_sm4gcm_open(c, iv, 12, NULL, 0, buf, 64, tag,
						  bad_tags[i], out), -EINVAL);
		assert_int_equal(out[0], 0x55);
	}
	/* no IV, NULL IV, NULL key/context/tag, NULL data with a length */
	assert_int_equal(gmrk_sm4gcm_seal(c, iv, 0, NULL, 0, buf, 64, out, tag, 16),
			 -EINVAL);
	assert_int_equal(gmrk_sm4gcm_seal(c, NULL, 12, NULL, 0, buf, 64, out, tag,
					  16), -EINVAL);
	assert_int_equal(gmrk_sm4gcm_open(c, iv, 0, NULL, 0, buf, 64, tag, 16, out),
			 -EINVAL);
	assert_int_equal(gmrk_sm4gcm_seal(NULL, iv, 12, NULL, 0, buf, 64, out, tag,
					  16), -EINVAL);
	assert_int_equal(gmrk_sm4gcm_seal(c, iv, 12, NULL, 0, buf, 64, out, NULL,
					  16), -EINVAL);
	assert_int_equal(gmrk_sm4gcm_seal(c, iv, 12, NULL, 5, buf, 64, out, tag,
					  16), -EINVAL);
	assert_int_equal(gmrk_sm4gcm_seal(c, iv, 12, NULL, 0, NULL, 64, out, tag,
					  16), -EINVAL);
	assert_int_equal(gmrk_sm4gcm_open(c, iv, 12, NULL, 0, buf, 64, tag, 16,
					  NULL), -EINVAL);
	/* partially overlapping buffers */
	assert_int_equal(gmrk_sm4gcm_seal(c, iv, 12, NULL, 0, buf, 32, buf + 1,
					  tag, 16), -EINVAL);
	assert_int_equal(gmrk_sm4gcm_open(c, iv, 12, NULL, 0, buf + 1, 32, tag, 16,
					  buf), -EINVAL);
	/* too long for GCM (the length is checked before anything is read) */
	if (sizeof(size_t) > 4)
		assert_int_equal(gmrk_sm4gcm_seal(c, iv, 12, NULL, 0, buf,
						  (size_t)1 << 37, out, tag, 16),
				 -EINVAL);
	/* empty message, no AAD: still authenticated */
	assert_int_equal(gmrk_sm4gcm_seal(c, iv, 12, NULL, 0, NULL, 0, NULL, tag,
					  16), 0);
	assert_int_equal(gmrk_sm4gcm_open(c, iv, 12, NULL, 0, NULL, 0, tag, 16,
					  NULL), 0);
	tag[3] ^= 1;
	assert_int_equal(gmrk_sm4gcm_open(c, iv, 12, NULL, 0, NULL, 0, tag, 16,
					  NULL), -EBADMSG);
	gmrk_sm4gcm_free(c);
	gmrk_sm4gcm_free(NULL);
	errno = 0;
	assert_null(gmrk_sm4gcm_new(NULL));
	assert_int_equal(errno, EINVAL);
}

/*
 * One context, several threads sealing at once (the header promises that
 * contexts are immutable): every thread gets libgcrypt's bytes.
 */
enum { MT_THREADS = 4, MT_MSGS = 24, MT_LEN = 1500 };

struct mt_job {
	gmrk_sm4gcm *c;
	const uint8_t *pt, *ref, *reftag;
	int bad;
};

static void *mt_worker(void *arg)
{
	struct mt_job *j = arg;
	uint8_t out[MT_LEN], tag[16], iv[12] = { 0 };
	int round, m;

	for (round = 0; round < 20; round++) {
		for (m = 0; m < MT_MSGS; m++) {
			iv[0] = (uint8_t)m;
			if (gmrk_sm4gcm_seal(j->c, iv, 12, NULL, 0, j->pt,
					     (size_t)m * 61, out, tag, 16) ||
			    memcmp(out, j->ref + m * MT_LEN, (size_t)m * 61) ||
			    memcmp(tag, j->reftag + m * 16, 16))
				j->bad++;
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	static uint8_t pt[MT_LEN], ref[MT_MSGS * MT_LEN], reftag[MT_MSGS * 16];
	struct mt_job jobs[MT_THREADS];
	pthread_t th[MT_THREADS];
	uint8_t key[16], iv[12] = { 0 };
	gmrk_sm4gcm *c;
	int i;

	(void)state;
	rnd_bytes(key, 16);
	rnd_bytes(pt, sizeof(pt));
	for (i = 0; i < MT_MSGS; i++) {
		iv[0] = (uint8_t)i;
		gcry_sm4gcm(key, iv, 12, NULL, 0, pt, (size_t)i * 61,
			    ref + i * MT_LEN, reftag + i * 16);
	}
	c = gmrk_sm4gcm_new(key);
	assert_non_null(c);
	for (i = 0; i < MT_THREADS; i++) {
		jobs[i] = (struct mt_job){ c, pt, ref, reftag, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, mt_worker, &jobs[i]), 0);
	}
	for (i = 0; i < MT_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(jobs[i].bad, 0);
	}
	gmrk_sm4gcm_free(c);
}

/* The automatic choice is the best path this CPU can run, and is named. */
static void test_impl_choice(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < gmrk_sm4gcm_test_impl_count(); i++)
		if (gmrk_sm4gcm_test_impl_usable(i))
			break;
	assert_true(i < gmrk_sm4gcm_test_impl_count());
	assert_string_equal(gmrk_sm4gcm_impl(), gmrk_sm4gcm_test_impl_name(i));
	print_message("# automatic SM4-GCM path: %s\n", gmrk_sm4gcm_impl());
	assert_int_equal(gmrk_sm4gcm_test_force_impl("no-such-path"), -ENOTSUP);
}

struct per_path {
	const char *name;
	CMUnitTestFunction fn;
};

static const struct per_path per_path_tests[] = {
	{ "sm4_block_kat", test_sm4_block_kat_path },
	{ "sm4_million_kat", test_sm4_million_path },
	{ "key_schedule", test_key_schedule },
	{ "rfc8998_vector", test_rfc8998_vector },
	{ "ctr_counter_wrap", test_ctr_wrap },
	{ "ctr_all_lengths", test_ctr_all_lengths },
	{ "differential_libgcrypt", test_differential_libgcrypt },
	{ "forgery_rejected", test_forgery_rejected },
	{ "bad_args", test_bad_args },
	{ "threads_share_context", test_threads },
};

int main(void)
{
	const size_t npp = sizeof(per_path_tests) / sizeof(per_path_tests[0]);
	size_t npaths = gmrk_sm4gcm_test_impl_count(), n = 0, p, t;
	struct CMUnitTest *tests;
	const char *seed = getenv("SM4TEST_SEED");
	int ret;

	if (seed)
		rng_state = strtoull(seed, NULL, 0);
	if (!gcry_check_version("1.9.0"))
		return 1;
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	tests = calloc(2 + npaths * npp, sizeof(*tests));
	if (!tests)
		return 1;
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_sm4_block_kat);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_impl_choice);
	for (p = 0; p < npaths; p++) {
		for (t = 0; t < npp; t++) {
			char *name;

			if (asprintf(&name, "%s/%s", per_path_tests[t].name,
				     gmrk_sm4gcm_test_impl_name(p)) < 0)
				return 1;
			tests[n++] = (struct CMUnitTest){
				.name = name,
				.test_func = per_path_tests[t].fn,
				.setup_func = force_path,
				.teardown_func = unforce_path,
				.initial_state = (void *)(uintptr_t)p,
			};
		}
	}
	cmocka_set_message_output(CM_OUTPUT_TAP);
	ret = _cmocka_run_group_tests("sm4gcm", tests, n, NULL, NULL);
	for (t = 2; t < n; t++)
		free((char *)tests[t].name);
	free(tests);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk known-answer tests: published vectors through the gmrk drivers,
 * by driver name, in both directions, plus the parameter checks each
 * algorithm must make (key sizes, tag sizes).
 *
 * Vectors, typed from the documents:
 *   AES-GCM: McGrew & Viega, "The Galois/Counter Mode of Operation",
 *            test cases 1-4, 7-10, 13-16 (the 96-bit-IV ones; 5/6, 11/12,
 *            17/18 use 64- and 480-bit IVs, which gcm(aes) does not take).
 *   SM4-GCM: RFC 8998 appendix A.1.
 *   ChaCha20-Poly1305: RFC 8439 section 2.8.2 and appendix A.5.
 *   SM4 block: GB/T 32907-2016 appendix A example 1.
 * Truncated GCM tags are the leading bytes of the full tag (SP 800-38D
 * MSB_t), so the same vectors give the answers for tags of 4..15 bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "af_alg.h"
#include "ref_aead.h"
#include "test_algs.h"

struct kat_vec {
	const char *name;
	int alg;		/* index into aead_algs[] */
	const char *key, *iv, *aad, *pt, *ct, *tag;
};

#define GCM_K3	"feffe9928665731c6d6a8f9467308308"
#define GCM_IV	"cafebabefacedbaddecaf888"
#define GCM_A	"feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define GCM_P60	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d" \
		"8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657" \
		"ba637b39"
#define GCM_P64	GCM_P60 "1aafd255"
#define Z12	"000000000000000000000000"
#define Z16	"00000000000000000000000000000000"

static const struct kat_vec gcm_vecs[] = {
	{ "gcm-tc1", ALG_AES128, Z16, Z12, "", "", "",
	  "58e2fccefa7e3061367f1d57a4e7455a" },
	{ "gcm-tc2", ALG_AES128, Z16, Z12, "", Z16,
	  "0388dace60b6a392f328c2b971b2fe78",
	  "ab6e47d42cec13bdf53a67b21257bddf" },
	{ "gcm-tc3", ALG_AES128, GCM_K3, GCM_IV, "", GCM_P64,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
	  "4d5c2af327cd64a62cf35abd2ba6fab4" },
	{ "gcm-tc4", ALG_AES128, GCM_K3, GCM_IV, GCM_A, GCM_P60,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	{ "gcm-tc7", ALG_AES192, Z16 "0000000000000000", Z12, "", "", "",
	  "cd33b28ac773f74ba00ed1f312572435" },
	{ "gcm-tc8", ALG_AES192, Z16 "0000000000000000", Z12, "", Z16,
	  "98e7247c07f0fe411c267e4384b0f600",
	  "2ff58d80033927ab8ef4d4587514f0fb" },
	{ "gcm-tc9", ALG_AES192, GCM_K3 "feffe9928665731c", GCM_IV, "", GCM_P64,
	  "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c"
	  "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710acade256",
	  "9924a7c8587336bfb118024db8674a14" },
	{ "gcm-tc10", ALG_AES192, GCM_K3 "feffe9928665731c", GCM_IV, GCM_A,
	  GCM_P60,
	  "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c"
	  "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710",
	  "2519498e80f1478f37ba55bd6d27618c" },
	{ "gcm-tc13", ALG_AES256, Z16 Z16, Z12, "", "", "",
	  "530f8afbc74536b9a963b4f1c4cb738b" },
	{ "gcm-tc14", ALG_AES256, Z16 Z16, Z12, "", Z16,
	  "cea7403d4d606b6e074ec5d3baf39d18",
	  "d0d1c8a799996bf0265b98b5d48ab919" },
	{ "gcm-tc15", ALG_AES256, GCM_K3 GCM_K3, GCM_IV, "", GCM_P64,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
	  "b094dac5d93471bdec1a502270e3cc6c" },
	{ "gcm-tc16", ALG_AES256, GCM_K3 GCM_K3, GCM_IV, GCM_A, GCM_P60,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
};

static const struct kat_vec sm4_vec = {
	"rfc8998-a1", ALG_SM4,
	"0123456789abcdeffedcba9876543210",
	"00001234567800000000abcd",
	"feedfacedeadbeeffeedfacedeadbeefabaddad2",
	"aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd"
	"eeeeeeeeeeeeeeeeffffffffffffffffeeeeeeeeeeeeeeeeaaaaaaaaaaaaaaaa",
	"17f399f08c67d5ee19d0dc9969c4bb7d5fd46fd3756489069157b282bb200735"
	"d82710ca5c22f0ccfa7cbf93d496ac15a56834cbcf98c397b4024a2691233b8d",
	"83de3541e4c2b58177e065a9bf7b62ec",
};

static const struct kat_vec chacha_vecs[] = {
	{ "rfc8439-2.8.2", ALG_CHACHAPOLY,
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
	  "070000004041424344454647",
	  "50515253c0c1c2c3c4c5c6c7",
	  /* "Ladies and Gentlemen of the class of '99: If I could ..." */
	  "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
	  "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
	  "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
	  "637265656e20776f756c642062652069742e",
	  "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	  "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	  "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	  "3ff4def08e4b7a9de576d26586cec64b6116",
	  "1ae10b594f09e26a7e902ecbd0600691" },
	{ "rfc8439-a.5", ALG_CHACHAPOLY,
	  "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0",
	  "000000000102030405060708",
	  "f33388860000000000004e91",
	  /* "Internet-Drafts are draft documents valid for ..." */
	  "496e7465726e65742d4472616674732061726520647261667420646f63756d65"
	  "6e74732076616c696420666f722061206d6178696d756d206f6620736978206d"
	  "6f6e74687320616e64206d617920626520757064617465642c207265706c6163"
	  "65642c206f72206f62736f6c65746564206279206f7468657220646f63756d65"
	  "6e747320617420616e792074696d652e20497420697320696e617070726f7072"
	  "6961746520746f2075736520496e7465726e65742d4472616674732061732072"
	  "65666572656e6365206d6174657269616c206f7220746f206369746520746865"
	  "6d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67"
	  "726573732e2fe2809d",
	  "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
	  "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
	  "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
	  "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
	  "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
	  "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
	  "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
	  "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
	  "a6ad5cb4022b02709b",
	  "eead9d67890cbb22392336fea1851f38" },
};

/* A vector decoded into bytes. */
struct kat_bytes {
	uint8_t *key, *iv, *aad, *pt, *ct, *tag;
	size_t keylen, ivlen, aadlen, ptlen, ctlen, taglen;
};

static void kat_decode(struct __test_metadata *_metadata,
		       const struct kat_vec *v, struct kat_bytes *b)
{
	b->key = hex_alloc(v->key, &b->keylen);
	b->iv = hex_alloc(v->iv, &b->ivlen);
	b->aad = hex_alloc(v->aad, &b->aadlen);
	b->pt = hex_alloc(v->pt, &b->ptlen);
	b->ct = hex_alloc(v->ct, &b->ctlen);
	b->tag = hex_alloc(v->tag, &b->taglen);
	ASSERT_TRUE(b->key && b->iv && b->aad && b->pt && b->ct && b->tag);
	ASSERT_EQ((size_t)aead_algs[v->alg].keylen, b->keylen);
	ASSERT_EQ((size_t)AEAD_IV_LEN, b->ivlen);
	ASSERT_EQ(b->ptlen, b->ctlen);
	ASSERT_EQ((size_t)16, b->taglen);
}

static void kat_free(struct kat_bytes *b)
{
	free(b->key);
	free(b->iv);
	free(b->aad);
	free(b->pt);
	free(b->ct);
	free(b->tag);
}

static int open_keyed(struct alg_aead *a, const struct aead_alg *alg,
		      const uint8_t *key, size_t keylen, unsigned int authsize)
{
	int err = alg_aead_open(a, aead_driver_name(alg));

	if (!err)
		err = alg_aead_setkey(a, key, keylen);
	if (!err)
		err = alg_aead_setauthsize(a, authsize);
	return err;
}

/*
 * Run vector v through its driver with the tag cut to authsize, in the
 * given direction and I/O style, and compare with the published answer.
 */
static void kat_run(struct __test_metadata *_metadata, const struct kat_vec *v,
		    unsigned int authsize, bool enc, enum alg_io io)
{
	const struct aead_alg *alg = &aead_algs[v->alg];
	struct kat_bytes b;
	struct alg_aead a;
	size_t sealed, plain;
	uint8_t *sbuf, *pbuf, *out;
	struct aead_op op;
	ssize_t n;
	int err;

	kat_decode(_metadata, v, &b);
	plain = b.aadlen + b.ptlen;
	sealed = plain + authsize;
	sbuf = malloc(sealed);
	pbuf = malloc(plain + 1);
	out = malloc(sealed + 1);
	ASSERT_TRUE(sbuf && pbuf && out);
	memcpy(pbuf, b.aad, b.aadlen);
	memcpy(pbuf + b.aadlen, b.pt, b.ptlen);
	memcpy(sbuf, b.aad, b.aadlen);
	memcpy(sbuf + b.aadlen, b.ct, b.ctlen);
	memcpy(sbuf + b.aadlen + b.ctlen, b.tag, authsize);

	err = open_keyed(&a, alg, b.key, b.keylen, authsize);
	ASSERT_EQ(0, err) {
		TH_LOG("%s: %s, authsize %u: %s", v->name,
		       aead_driver_name(alg), authsize, strerror(-err));
	}
	op = (struct aead_op) {
		.enc = enc, .iv = b.iv, .assoclen = b.aadlen,
		.in = enc ? pbuf : sbuf, .inlen = enc ? plain : sealed,
		.out = out, .outlen = enc ? sealed : plain,
		.io = io, .frag_seed = 0x1234 + authsize,
	};
	n = alg_aead_run(&a, &op);
	EXPECT_EQ((ssize_t)op.outlen, n) {
		TH_LOG("%s %s (tag %u): %s", v->name, enc ? "encrypt" : "decrypt",
		       authsize, n < 0 ? strerror((int)-n) : "short result");
	}
	if (n == (ssize_t)op.outlen) {
		long d = first_diff(out, enc ? sbuf : pbuf, op.outlen);

		EXPECT_EQ(-1, d) {
			TH_LOG("%s %s (tag %u): differs from the published answer at byte %ld",
			       v->name, enc ? "encrypt" : "decrypt", authsize, d);
		}
	}
	alg_aead_close(&a);
	free(sbuf);
	free(pbuf);
	free(out);
	kat_free(&b);
}

static void kat_all_ways(struct __test_metadata *_metadata,
			 const struct kat_vec *v)
{
	kat_run(_metadata, v, 16, true, ALG_IO_PLAIN);
	kat_run(_metadata, v, 16, false, ALG_IO_PLAIN);
	kat_run(_metadata, v, 16, true, ALG_IO_FRAG);
	kat_run(_metadata, v, 16, false, ALG_IO_FRAG);
}

TEST(gcm_aes_spec_vectors)
{
	for (size_t i = 0; i < ARRAY_SIZE(gcm_vecs); i++)
		kat_all_ways(_metadata, &gcm_vecs[i]);
}

TEST(gcm_aes_truncated_tags)
{
	static const unsigned int tags[] = { 4, 8, 12, 13, 14, 15 };
	/* one vector with AAD per key size */
	static const int with_aad[] = { 3, 7, 11 };

	for (size_t i = 0; i < 3; i++) {
		for (size_t t = 0; t < ARRAY_SIZE(tags); t++) {
			kat_run(_metadata, &gcm_vecs[with_aad[i]], tags[t], true,
				ALG_IO_PLAIN);
			kat_run(_metadata, &gcm_vecs[with_aad[i]], tags[t], false,
				ALG_IO_PLAIN);
		}
	}
}

TEST(gcm_sm4_rfc8998)
{
	kat_all_ways(_metadata, &sm4_vec);
}

TEST(gcm_sm4_truncated_tags)
{
	static const unsigned int tags[] = { 4, 8, 12, 13, 14, 15 };

	for (size_t t = 0; t < ARRAY_SIZE(tags); t++) {
		kat_run(_metadata, &sm4_vec, tags[t], true, ALG_IO_PLAIN);
		kat_run(_metadata, &sm4_vec, tags[t], false, ALG_IO_PLAIN);
	}
}

TEST(chachapoly_rfc8439)
{
	for (size_t i = 0; i < ARRAY_SIZE(chacha_vecs); i++)
		kat_all_ways(_metadata, &chacha_vecs[i]);
}

/* Several vectors, one after another, on one op socket and one tfm. */
TEST(gcm_aes_rekey_between_key_sizes)
{
	static const int order[] = { 3, 11, 7, 2, 9, 1, 3 };
	struct alg_aead a;
	int err;

	err = alg_aead_open(&a, aead_driver_name(&aead_algs[ALG_AES128]));
	ASSERT_EQ(0, err) TH_LOG("bind: %s", strerror(-err));
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		const struct kat_vec *v = &gcm_vecs[order[i]];
		size_t plain, sealed;
		struct kat_bytes b;
		uint8_t *in, *out;
		struct aead_op op;
		ssize_t n;

		kat_decode(_metadata, v, &b);
		plain = b.aadlen + b.ptlen;
		sealed = plain + b.taglen;
		in = malloc(plain + 1);
		out = malloc(sealed);
		ASSERT_TRUE(in && out);
		memcpy(in, b.aad, b.aadlen);
		memcpy(in + b.aadlen, b.pt, b.ptlen);
		ASSERT_EQ(0, alg_aead_setkey(&a, b.key, b.keylen));
		op = (struct aead_op) {
			.enc = true, .iv = b.iv, .assoclen = b.aadlen,
			.in = in, .inlen = plain, .out = out, .outlen = sealed,
		};
		n = alg_aead_run(&a, &op);
		EXPECT_EQ((ssize_t)sealed, n) TH_LOG("%s after rekey", v->name);
		if (n == (ssize_t)sealed) {
			EXPECT_EQ(0, memcmp(out + b.aadlen, b.ct, b.ctlen))
				TH_LOG("%s: ciphertext after rekey", v->name);
			EXPECT_EQ(0, memcmp(out + plain, b.tag, b.taglen))
				TH_LOG("%s: tag after rekey", v->name);
		}
		free(in);
		free(out);
		kat_free(&b);
	}
	alg_aead_close(&a);
}

static void expect_bad_keys(struct __test_metadata *_metadata, int algi,
			    const size_t *lens, size_t n)
{
	const struct aead_alg *alg = &aead_algs[algi];
	uint8_t key[80] = { 0 };
	struct alg_aead a;
	int err;

	err = alg_aead_open(&a, aead_driver_name(alg));
	ASSERT_EQ(0, err) TH_LOG("bind %s: %s", aead_driver_name(alg), strerror(-err));
	for (size_t i = 0; i < n; i++) {
		err = alg_aead_setkey(&a, key, lens[i]);
		EXPECT_EQ(-EINVAL, err)
			TH_LOG("%s: key of %zu bytes gave %d", alg->label, lens[i], err);
	}
	/* and the good size still works afterwards */
	EXPECT_EQ(0, alg_aead_setkey(&a, key, alg->keylen));
	alg_aead_close(&a);
}

static void expect_authsizes(struct __test_metadata *_metadata, int algi)
{
	const struct aead_alg *alg = &aead_algs[algi];
	struct alg_aead a;
	int err;

	err = alg_aead_open(&a, aead_driver_name(alg));
	ASSERT_EQ(0, err) TH_LOG("bind %s: %s", aead_driver_name(alg), strerror(-err));
	for (unsigned int t = 0; t <= 17; t++) {
		int want;

		err = alg_aead_setauthsize(&a, t);
		want = aead_authsize_ok(alg, t) ? 0 : -EINVAL;
		EXPECT_EQ(want, err) TH_LOG("%s: authsize %u gave %d, want %d",
					    alg->label, t, err, want);
	}
	alg_aead_close(&a);
}

TEST(gcm_aes_rejects_bad_key_sizes)
{
	static const size_t lens[] = { 0, 1, 8, 15, 17, 20, 23, 25, 31, 33, 64 };

	expect_bad_keys(_metadata, ALG_AES128, lens, ARRAY_SIZE(lens));
}

TEST(gcm_sm4_rejects_bad_key_sizes)
{
	static const size_t lens[] = { 0, 8, 15, 17, 24, 32 };

	expect_bad_keys(_metadata, ALG_SM4, lens, ARRAY_SIZE(lens));
}

TEST(chachapoly_rejects_bad_key_sizes)
{
	static const size_t lens[] = { 0, 16, 24, 31, 33, 64 };

	expect_bad_keys(_metadata, ALG_CHACHAPOLY, lens,
			ARRAY_SIZE(lens));
}

TEST(gcm_aes_authsizes)
{
	expect_authsizes(_metadata, ALG_AES128);
}

TEST(gcm_sm4_authsizes)
{
	expect_authsizes(_metadata, ALG_SM4);
}

TEST(chachapoly_authsize_only_16)
{
	expect_authsizes(_metadata, ALG_CHACHAPOLY);
}

/* The IV must be exactly 12 bytes: AF_ALG checks it against ivsize. */
TEST(ivsize_is_12)
{
	for (int i = 0; i < NUM_AEAD_ALGS; i += 2) {
		const struct aead_alg *alg = &aead_algs[i];
		uint8_t key[32] = { 0 }, in[16] = { 0 }, out[32], iv[12] = { 0 };
		struct alg_aead a;
		struct aead_op op = {
			.enc = true, .iv = iv, .in = in, .inlen = sizeof(in),
			.out = out, .outlen = sizeof(in) + 16,
		};

		ASSERT_EQ(0, alg_aead_open(&a, aead_driver_name(alg)));
		ASSERT_EQ(0, alg_aead_setkey(&a, key, alg->keylen));
		EXPECT_EQ((ssize_t)(sizeof(in) + 16), alg_aead_run(&a, &op))
			TH_LOG("%s: 12-byte IV refused", alg->label);
		alg_aead_close(&a);
	}
}

/* The module's plain SM4 cipher, the block under its gcm(sm4). */
TEST(sm4_block_gbt32907)
{
	uint8_t *key, *pt, *ct, out[16], back[16];
	size_t kl, pl, cl;
	int err;

	key = hex_alloc("0123456789abcdeffedcba9876543210", &kl);
	pt = hex_alloc("0123456789abcdeffedcba9876543210", &pl);
	ct = hex_alloc("681edf34d206965e86b3e94f536e4246", &cl);
	ASSERT_TRUE(key && pt && ct);

	if (!aead_is_gmrk(&aead_algs[ALG_SM4]))
		SKIP(return, "driver names overridden: no sm4-gmrk to test");
	err = alg_skcipher_ecb("ecb(sm4-gmrk)", key, kl, true, pt, out, 16);
	ASSERT_EQ(0, err) TH_LOG("ecb(sm4-gmrk) encrypt: %s", strerror(-err));
	EXPECT_EQ(0, memcmp(out, ct, 16));
	err = alg_skcipher_ecb("ecb(sm4-gmrk)", key, kl, false, ct, back, 16);
	ASSERT_EQ(0, err) TH_LOG("ecb(sm4-gmrk) decrypt: %s", strerror(-err));
	EXPECT_EQ(0, memcmp(back, pt, 16));
	free(key);
	free(pt);
	free(ct);
}

/*
 * The differential tests trust the test-side SM4-GCM (ref_aead.c) and
 * OpenSSL; check them against the same published answers first.
 */
TEST(reference_matches_vectors)
{
	const struct kat_vec *all[16];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(gcm_vecs); i++)
		all[n++] = &gcm_vecs[i];
	all[n++] = &sm4_vec;
	all[n++] = &chacha_vecs[0];
	all[n++] = &chacha_vecs[1];

	for (size_t i = 0; i < n; i++) {
		const struct aead_alg *alg = &aead_algs[all[i]->alg];
		struct kat_bytes b;
		uint8_t ct[512], tag[16], pt[512];

		kat_decode(_metadata, all[i], &b);
		ASSERT_LE(b.ptlen, sizeof(ct));
		EXPECT_EQ(0, ref_aead_seal(alg->ref, b.key, b.keylen, b.iv, b.aad,
					   b.aadlen, b.pt, b.ptlen, ct, tag, 16));
		EXPECT_EQ(0, memcmp(ct, b.ct, b.ctlen)) TH_LOG("%s", all[i]->name);
		EXPECT_EQ(0, memcmp(tag, b.tag, 16)) TH_LOG("%s", all[i]->name);
		EXPECT_EQ(0, ref_aead_open(alg->ref, b.key, b.keylen, b.iv, b.aad,
					   b.aadlen, b.ct, b.ctlen, b.tag, 16, pt));
		EXPECT_EQ(0, memcmp(pt, b.pt, b.ptlen)) TH_LOG("%s", all[i]->name);
		tag[0] = b.tag[0] ^ 1;
		EXPECT_EQ(-EBADMSG, ref_aead_open(alg->ref, b.key, b.keylen, b.iv,
						  b.aad, b.aadlen, b.ct, b.ctlen,
						  tag, 16, pt));
		kat_free(&b);
	}
}

TEST_HARNESS_MAIN

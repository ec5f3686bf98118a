// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk forgery tests: every tampered input is refused with EBADMSG, for
 * every algorithm, including the corner AF_ALG makes easy to get wrong
 * (an empty message with no AAD, whose decrypt result is zero bytes; the
 * helper forces the operation to run, see af_alg.h), and input shorter
 * than the tag is refused with EINVAL.
 *
 * Note on EINVAL: for AF_ALG callers algif_aead itself refuses input
 * shorter than assoclen + authsize before the driver sees it; the test
 * pins the user-visible behaviour either way.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "af_alg.h"
#include "gmrk_ctl.h"
#include "ref_aead.h"
#include "test_algs.h"

#define MSG_AAD		20
#define MSG_PT		100

FIXTURE(forged) {
	struct alg_aead a;
	const struct aead_alg *alg;
	struct prng p;
	uint8_t key[32];
	uint8_t iv[AEAD_IV_LEN];
};

FIXTURE_VARIANT(forged) {
	int alg;
};

FIXTURE_VARIANT_ADD(forged, aes128) { .alg = ALG_AES128 };
FIXTURE_VARIANT_ADD(forged, aes192) { .alg = ALG_AES192 };
FIXTURE_VARIANT_ADD(forged, aes256) { .alg = ALG_AES256 };
FIXTURE_VARIANT_ADD(forged, sm4) { .alg = ALG_SM4 };
FIXTURE_VARIANT_ADD(forged, chachapoly) { .alg = ALG_CHACHAPOLY };

FIXTURE_SETUP(forged)
{
	uint64_t seed = test_seed();
	int err;

	TH_LOG("seed %llu", (unsigned long long)seed);
	prng_init(&self->p, seed);
	self->alg = &aead_algs[variant->alg];
	prng_fill(&self->p, self->key, sizeof(self->key));
	prng_fill(&self->p, self->iv, sizeof(self->iv));
	err = alg_aead_open(&self->a, aead_driver_name(self->alg));
	ASSERT_EQ(0, err) TH_LOG("bind %s: %s", aead_driver_name(self->alg),
				 strerror(-err));
	ASSERT_EQ(0, alg_aead_setkey(&self->a, self->key, self->alg->keylen));
}

FIXTURE_TEARDOWN(forged)
{
	alg_aead_close(&self->a);
}

/* A sealed message in AF_ALG layout, from the reference. */
struct sealed {
	size_t aadlen, ptlen, len;
	uint8_t *plain;		/* AAD || PT */
	uint8_t *buf;		/* AAD || CT || TAG */
};

static void seal_msg(struct __test_metadata *_metadata,
		     FIXTURE_DATA(forged) *self, size_t aadlen, size_t ptlen,
		     struct sealed *s)
{
	unsigned int tag = self->a.authsize;
	uint8_t *out;
	struct aead_op op;
	ssize_t n;

	s->aadlen = aadlen;
	s->ptlen = ptlen;
	s->len = aadlen + ptlen + tag;
	s->plain = malloc(aadlen + ptlen + 1);
	s->buf = malloc(s->len);
	out = malloc(s->len);
	ASSERT_TRUE(s->plain && s->buf && out);
	prng_fill(&self->p, s->plain, aadlen + ptlen);
	ASSERT_EQ(0, ref_aead_seal_afalg(self->alg->ref, self->key,
					 self->alg->keylen, self->iv, aadlen,
					 s->plain, aadlen + ptlen, s->buf, tag));

	/* The driver must produce the same sealed message. */
	op = (struct aead_op) {
		.enc = true, .iv = self->iv, .assoclen = aadlen,
		.in = s->plain, .inlen = aadlen + ptlen,
		.out = out, .outlen = s->len,
	};
	n = alg_aead_run(&self->a, &op);
	ASSERT_EQ((ssize_t)s->len, n) TH_LOG("%s seal: %zd", self->alg->label, n);
	ASSERT_EQ(-1, first_diff(out, s->buf, s->len));
	free(out);
}

static void sealed_free(struct sealed *s)
{
	free(s->plain);
	free(s->buf);
}

/* Decrypt in (inlen bytes, assoclen of AAD); returns bytes or -errno. */
static ssize_t open_buf(FIXTURE_DATA(forged) *self, const uint8_t *iv,
			const uint8_t *in, size_t inlen, size_t assoclen,
			uint8_t *out)
{
	struct aead_op op = {
		.enc = false, .iv = iv, .assoclen = assoclen,
		.in = in, .inlen = inlen, .out = out,
		.outlen = aead_out_len(false, inlen, self->a.authsize),
	};

	return alg_aead_run(&self->a, &op);
}

/* The untampered message opens to its plaintext. */
static void expect_opens(struct __test_metadata *_metadata,
			 FIXTURE_DATA(forged) *self, const struct sealed *s)
{
	uint8_t *out = malloc(s->aadlen + s->ptlen + 1);
	ssize_t n;

	ASSERT_NE(NULL, out);
	n = open_buf(self, self->iv, s->buf, s->len, s->aadlen, out);
	EXPECT_EQ((ssize_t)(s->aadlen + s->ptlen), n)
		TH_LOG("%s: genuine message (aad %zu, pt %zu) gave %zd",
		       self->alg->label, s->aadlen, s->ptlen, n);
	if (n == (ssize_t)(s->aadlen + s->ptlen))
		EXPECT_EQ(0, memcmp(out, s->plain, n));
	free(out);
}

/* Flip bit `bit` of the sealed message; decrypt must give EBADMSG. */
static void expect_flip_refused(struct __test_metadata *_metadata,
				FIXTURE_DATA(forged) *self,
				const struct sealed *s, size_t bit,
				const char *what)
{
	uint8_t *in = malloc(s->len), *out = malloc(s->aadlen + s->ptlen + 1);
	ssize_t n;

	ASSERT_TRUE(in && out);
	memcpy(in, s->buf, s->len);
	in[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	n = open_buf(self, self->iv, in, s->len, s->aadlen, out);
	EXPECT_EQ(-EBADMSG, n)
		TH_LOG("%s: %s bit %zu flipped (aad %zu, pt %zu): got %zd",
		       self->alg->label, what, bit, s->aadlen, s->ptlen, n);
	free(in);
	free(out);
}

TEST_F(forged, tag_bit_flips)
{
	struct sealed s;
	size_t tagbits = self->a.authsize * 8;
	size_t base = (MSG_AAD + MSG_PT) * 8;

	seal_msg(_metadata, self, MSG_AAD, MSG_PT, &s);
	expect_opens(_metadata, self, &s);
	for (size_t b = 0; b < tagbits; b++)
		expect_flip_refused(_metadata, self, &s, base + b, "tag");
	expect_opens(_metadata, self, &s);
	sealed_free(&s);
}

TEST_F(forged, ciphertext_bit_flips)
{
	struct sealed s;
	size_t base = MSG_AAD * 8, bits = MSG_PT * 8;

	seal_msg(_metadata, self, MSG_AAD, MSG_PT, &s);
	expect_flip_refused(_metadata, self, &s, base, "ciphertext");
	expect_flip_refused(_metadata, self, &s, base + bits - 1, "ciphertext");
	for (int i = 0; i < 64; i++)
		expect_flip_refused(_metadata, self, &s,
				    base + prng_below(&self->p, bits), "ciphertext");
	expect_opens(_metadata, self, &s);
	sealed_free(&s);
}

TEST_F(forged, aad_bit_flips)
{
	struct sealed s;

	seal_msg(_metadata, self, MSG_AAD, MSG_PT, &s);
	for (size_t b = 0; b < 16; b++)
		expect_flip_refused(_metadata, self, &s, b, "aad");
	expect_flip_refused(_metadata, self, &s, MSG_AAD * 8 - 1, "aad");
	for (int i = 0; i < 32; i++)
		expect_flip_refused(_metadata, self, &s,
				    prng_below(&self->p, MSG_AAD * 8), "aad");
	expect_opens(_metadata, self, &s);
	sealed_free(&s);
}

/* Moving the AAD/ciphertext boundary changes what is authenticated. */
TEST_F(forged, assoclen_moved)
{
	uint8_t out[MSG_AAD + MSG_PT + 1];
	struct sealed s;
	ssize_t n;

	seal_msg(_metadata, self, MSG_AAD, MSG_PT, &s);
	n = open_buf(self, self->iv, s.buf, s.len, MSG_AAD - 1, out);
	EXPECT_EQ(-EBADMSG, n);
	n = open_buf(self, self->iv, s.buf, s.len, MSG_AAD + 1, out);
	EXPECT_EQ(-EBADMSG, n);
	n = open_buf(self, self->iv, s.buf, s.len, 0, out);
	EXPECT_EQ(-EBADMSG, n);
	sealed_free(&s);
}

TEST_F(forged, wrong_key_or_iv)
{
	uint8_t out[MSG_AAD + MSG_PT + 1], iv[AEAD_IV_LEN], key[32];
	struct sealed s;
	ssize_t n;

	seal_msg(_metadata, self, MSG_AAD, MSG_PT, &s);
	memcpy(iv, self->iv, sizeof(iv));
	iv[AEAD_IV_LEN - 1] ^= 1;
	n = open_buf(self, iv, s.buf, s.len, MSG_AAD, out);
	EXPECT_EQ(-EBADMSG, n) TH_LOG("wrong IV: %zd", n);

	memcpy(key, self->key, sizeof(key));
	key[0] ^= 0x80;
	ASSERT_EQ(0, alg_aead_setkey(&self->a, key, self->alg->keylen));
	n = open_buf(self, self->iv, s.buf, s.len, MSG_AAD, out);
	EXPECT_EQ(-EBADMSG, n) TH_LOG("wrong key: %zd", n);
	ASSERT_EQ(0, alg_aead_setkey(&self->a, self->key, self->alg->keylen));
	expect_opens(_metadata, self, &s);
	sealed_free(&s);
}

/*
 * Empty message, no AAD: the input is the bare tag and the result is zero
 * bytes. A genuine tag must open (return 0), any flipped bit must not.
 */
TEST_F(forged, empty_message_no_aad)
{
	struct sealed s;

	seal_msg(_metadata, self, 0, 0, &s);
	expect_opens(_metadata, self, &s);
	for (size_t b = 0; b < s.len * 8; b++)
		expect_flip_refused(_metadata, self, &s, b, "tag of empty message");
	expect_opens(_metadata, self, &s);
	sealed_free(&s);
}

TEST_F(forged, empty_plaintext_with_aad)
{
	struct sealed s;

	seal_msg(_metadata, self, MSG_AAD, 0, &s);
	expect_opens(_metadata, self, &s);
	for (size_t b = 0; b < s.len * 8; b += 7)
		expect_flip_refused(_metadata, self, &s, b, "aad or tag");
	sealed_free(&s);
}

TEST_F(forged, one_block_boundaries)
{
	static const size_t lens[] = { 1, 15, 16, 17, 31, 32, 33, 64, 4096 };

	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		struct sealed s;
		size_t bits = lens[i] * 8;

		seal_msg(_metadata, self, 0, lens[i], &s);
		expect_opens(_metadata, self, &s);
		expect_flip_refused(_metadata, self, &s, bits - 1, "last ct");
		expect_flip_refused(_metadata, self, &s, s.len * 8 - 1, "last tag");
		sealed_free(&s);
	}
}

/* Decrypt input shorter than the tag (after the AAD): EINVAL. */
TEST_F(forged, truncated_input)
{
	const unsigned int *sizes;
	size_t nsizes = aead_authsizes(self->alg, &sizes);
	uint8_t in[64] = { 0 }, out[64];

	for (size_t t = 0; t < nsizes; t++) {
		unsigned int tag = sizes[t];

		ASSERT_EQ(0, alg_aead_setauthsize(&self->a, tag));
		for (size_t len = 0; len < tag; len++) {
			struct aead_op op = {
				.enc = false, .iv = self->iv, .assoclen = 0,
				.in = in, .inlen = len, .out = out, .outlen = 0,
			};
			ssize_t n = alg_aead_run(&self->a, &op);

			EXPECT_EQ(-EINVAL, n)
				TH_LOG("%s: tag %u, input %zu: %zd",
				       self->alg->label, tag, len, n);
			/* the same with 8 bytes of AAD in front */
			op.assoclen = 8;
			op.inlen = 8 + len;
			op.outlen = 8;
			n = alg_aead_run(&self->a, &op);
			EXPECT_EQ(-EINVAL, n)
				TH_LOG("%s: tag %u, aad 8, input %zu: %zd",
				       self->alg->label, tag, 8 + len, n);
		}
	}
	/* assoclen beyond the input */
	{
		struct aead_op op = {
			.enc = true, .iv = self->iv, .assoclen = 32,
			.in = in, .inlen = 16, .out = out, .outlen = 32,
		};

		EXPECT_EQ(-EINVAL, alg_aead_run(&self->a, &op));
	}
}

/* A GCM tag cut short by one byte is a different (wrong) tag. */
TEST_F(forged, tag_one_byte_short)
{
	uint8_t out[MSG_AAD + MSG_PT + 1];
	struct sealed s;
	ssize_t n;

	seal_msg(_metadata, self, MSG_AAD, MSG_PT, &s);
	n = open_buf(self, self->iv, s.buf, s.len - 1, MSG_AAD, out);
	EXPECT_EQ(-EBADMSG, n);
	if (self->alg->ref != REF_CHACHAPOLY) {
		/* ...but GCM's truncated tags are its leading bytes */
		ASSERT_EQ(0, alg_aead_setauthsize(&self->a, 8));
		n = open_buf(self, self->iv, s.buf, s.len - 8, MSG_AAD, out);
		EXPECT_EQ(MSG_AAD + MSG_PT, n);
	}
	sealed_free(&s);
}

/*
 * gmrk_hw.h: on a failed decrypt "the driver zeroes" the destination, so
 * nothing resembling plaintext reaches the caller's buffer (the kernel's
 * software gcm does leave it there, hence gmrk-only).
 */
TEST_F(forged, no_plaintext_after_ebadmsg)
{
	size_t ptlen = 4096;
	uint8_t *in, *out;
	struct sealed s;
	ssize_t n;

	if (!aead_is_gmrk(self->alg))
		SKIP(return, "driver name overridden: property is gmrk's own");
	seal_msg(_metadata, self, MSG_AAD, ptlen, &s);
	in = malloc(s.len);
	out = malloc(MSG_AAD + ptlen);
	ASSERT_TRUE(in && out);
	memcpy(in, s.buf, s.len);
	in[s.len - 1] ^= 1;
	memset(out, 0xa5, MSG_AAD + ptlen);
	n = open_buf(self, self->iv, in, s.len, MSG_AAD, out);
	ASSERT_EQ(-EBADMSG, n);
	for (size_t off = 0; off + 16 <= ptlen; off += 16) {
		EXPECT_NE(0, memcmp(out + MSG_AAD + off, s.plain + MSG_AAD + off, 16))
			TH_LOG("%s: plaintext block at %zu visible after EBADMSG",
			       self->alg->label, off);
		if (!memcmp(out + MSG_AAD + off, s.plain + MSG_AAD + off, 16))
			break;
	}
	free(in);
	free(out);
	sealed_free(&s);
}

/* Every rejected decrypt is counted (GMRK_IOC_STATS auth_failures). */
TEST_F(forged, auth_failures_counted)
{
	char names[16][16];
	uint64_t before = 0, after = 0;
	struct gmrk_stats st;
	struct sealed s;
	int nodes, forged = 8;

	if (!aead_is_gmrk(self->alg))
		SKIP(return, "driver name overridden: no gmrk counters");
	nodes = gmrk_list_nodes(names, 16);
	ASSERT_LT(0, nodes) TH_LOG("no gmrk devices in " GMRK_CLASS);
	for (int i = 0; i < nodes; i++) {
		ASSERT_EQ(0, gmrk_stats_by_name(names[i], &st));
		before += st.auth_failures;
	}
	seal_msg(_metadata, self, MSG_AAD, MSG_PT, &s);
	for (int i = 0; i < forged; i++)
		expect_flip_refused(_metadata, self, &s, (MSG_AAD + i) * 8,
				    "ciphertext");
	for (int i = 0; i < nodes; i++) {
		ASSERT_EQ(0, gmrk_stats_by_name(names[i], &st));
		after += st.auth_failures;
	}
	EXPECT_LE(before + forged, after)
		TH_LOG("auth_failures went %llu -> %llu over %d forged decrypts",
		       (unsigned long long)before, (unsigned long long)after,
		       forged);
	sealed_free(&s);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk differential tests: random keys, IVs, tag sizes, AAD of 0..1 KiB
 * and payloads of 0..64 KiB through the gmrk drivers, compared byte for
 * byte with
 *   - OpenSSL in the test process (EVP aes-*-gcm, chacha20-poly1305; for
 *     SM4-GCM, which OpenSSL 3.0 lacks, the GCM of ref_aead.c over
 *     OpenSSL's SM4 block cipher), and
 *   - the kernel's own software instance of the same algorithm, through
 *     AF_ALG (for gcm(sm4) the kernel's gcm template over the module's
 *     sm4-gmrk cipher, "gcm_base(ctr(sm4-gmrk),ghash-generic)", since
 *     Debian's kernel has no SM4).
 * Each variant moves the bytes differently through AF_ALG: one
 * sendmsg/read, many sendmsg(MSG_MORE) and a scattered readv (many SG
 * entries at odd offsets for the driver), the output read back over the
 * input buffer, and vmsplice/splice input.
 *
 * Note: Debian's 6.1 algif_aead copies TX data into its own pages, so the
 * driver always sees src != dst from AF_ALG; in-place requests are
 * exercised by the kernel's self-tests at registration (checked in the
 * lifecycle program via /proc/crypto).
 *
 * Iterations are bounded so the program finishes well within a minute
 * under TCG; GMRK_TEST_SCALE multiplies them, GMRK_TEST_SEED replays.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "af_alg.h"
#include "ref_aead.h"
#include "test_algs.h"

#define MAX_AAD		1024
#define MAX_PT		65536
#define REF_ITERS	20
#define SOFT_ITERS	10
#define REKEY_EVERY	4

FIXTURE(diff) {
	struct alg_aead gmrk;
	struct alg_aead soft;
	const struct aead_alg *alg;
	struct prng p;
	uint8_t key[32];
	uint8_t *plain, *sealed, *out, *buf;
};

FIXTURE_VARIANT(diff) {
	int alg;
	enum alg_io io;
};

#define DIFF_VARIANTS(name, a)						\
	FIXTURE_VARIANT_ADD(diff, name##_plain) { a, ALG_IO_PLAIN };	\
	FIXTURE_VARIANT_ADD(diff, name##_frag) { a, ALG_IO_FRAG };	\
	FIXTURE_VARIANT_ADD(diff, name##_samebuf) { a, ALG_IO_SAME_BUF }; \
	FIXTURE_VARIANT_ADD(diff, name##_splice) { a, ALG_IO_SPLICE }

DIFF_VARIANTS(aes128, ALG_AES128);
DIFF_VARIANTS(aes192, ALG_AES192);
DIFF_VARIANTS(aes256, ALG_AES256);
DIFF_VARIANTS(sm4, ALG_SM4);
DIFF_VARIANTS(chachapoly, ALG_CHACHAPOLY);

#define BUF_MAX	(MAX_AAD + MAX_PT + 16)

FIXTURE_SETUP(diff)
{
	uint64_t seed = test_seed();
	int err;

	TH_LOG("seed %llu", (unsigned long long)seed);
	prng_init(&self->p, seed);
	self->alg = &aead_algs[variant->alg];
	self->soft.tfm = self->soft.op = -1;
	self->plain = malloc(BUF_MAX);
	self->sealed = malloc(BUF_MAX);
	self->out = malloc(BUF_MAX);
	self->buf = malloc(BUF_MAX);
	ASSERT_TRUE(self->plain && self->sealed && self->out && self->buf);
	err = alg_aead_open(&self->gmrk, aead_driver_name(self->alg));
	ASSERT_EQ(0, err) TH_LOG("bind %s: %s", aead_driver_name(self->alg),
				 strerror(-err));
}

FIXTURE_TEARDOWN(diff)
{
	alg_aead_close(&self->gmrk);
	alg_aead_close(&self->soft);
	free(self->plain);
	free(self->sealed);
	free(self->out);
	free(self->buf);
}

/* New random key and tag size on both transforms. */
static void rekey(struct __test_metadata *_metadata, FIXTURE_DATA(diff) *self)
{
	const unsigned int *sizes;
	size_t n = aead_authsizes(self->alg, &sizes);
	unsigned int tag = sizes[prng_below(&self->p, n)];

	prng_fill(&self->p, self->key, self->alg->keylen);
	ASSERT_EQ(0, alg_aead_setkey(&self->gmrk, self->key, self->alg->keylen));
	ASSERT_EQ(0, alg_aead_setauthsize(&self->gmrk, tag));
	if (self->soft.tfm >= 0) {
		ASSERT_EQ(0, alg_aead_setkey(&self->soft, self->key,
					     self->alg->keylen));
		ASSERT_EQ(0, alg_aead_setauthsize(&self->soft, tag));
	}
}

/*
 * Run one operation through a in the variant's I/O style. With
 * ALG_IO_SAME_BUF the input is copied into self->buf and the result read
 * back over it; the result is always left in *res.
 */
static ssize_t run_io(FIXTURE_DATA(diff) *self, struct alg_aead *a,
		      enum alg_io io, bool enc, const uint8_t *iv,
		      size_t assoclen, const uint8_t *in, size_t inlen,
		      uint8_t **res)
{
	struct aead_op op = {
		.enc = enc, .iv = iv, .assoclen = assoclen,
		.in = in, .inlen = inlen, .out = self->out,
		.outlen = aead_out_len(enc, inlen, a->authsize),
		.io = io, .frag_seed = prng_u64(&self->p),
	};

	if (io == ALG_IO_SAME_BUF) {
		memcpy(self->buf, in, inlen);
		op.in = self->buf;
		op.out = self->buf;
		op.io = ALG_IO_PLAIN;
	}
	*res = op.out;
	return alg_aead_run(a, &op);
}

struct msg {
	uint8_t iv[AEAD_IV_LEN];
	size_t aadlen, ptlen;
};

static void new_msg(FIXTURE_DATA(diff) *self, struct msg *m)
{
	prng_fill(&self->p, m->iv, sizeof(m->iv));
	m->aadlen = prng_len(&self->p, MAX_AAD);
	m->ptlen = prng_len(&self->p, MAX_PT);
	prng_fill(&self->p, self->plain, m->aadlen + m->ptlen);
}

/*
 * Check that implementation a turns self->plain into `expect` and back:
 * encrypt must equal `expect`, decrypting `expect` must give the plaintext.
 */
static void check_both_ways(struct __test_metadata *_metadata,
			    FIXTURE_DATA(diff) *self, struct alg_aead *a,
			    enum alg_io io, const struct msg *m,
			    const uint8_t *expect, const char *who, int iter)
{
	size_t plain = m->aadlen + m->ptlen, sealed = plain + a->authsize;
	uint8_t *res;
	ssize_t n;
	long d;

	n = run_io(self, a, io, true, m->iv, m->aadlen, self->plain, plain, &res);
	ASSERT_EQ((ssize_t)sealed, n)
		TH_LOG("#%d %s encrypt aad %zu pt %zu tag %u: %s", iter, who,
		       m->aadlen, m->ptlen, a->authsize,
		       n < 0 ? strerror((int)-n) : "short");
	d = first_diff(res, expect, sealed);
	EXPECT_EQ(-1, d)
		TH_LOG("#%d %s encrypt aad %zu pt %zu tag %u: differs at byte %ld (%s)",
		       iter, who, m->aadlen, m->ptlen, a->authsize, d,
		       d < (long)m->aadlen ? "aad" :
		       d < (long)plain ? "ciphertext" : "tag");

	n = run_io(self, a, io, false, m->iv, m->aadlen, expect, sealed, &res);
	ASSERT_EQ((ssize_t)plain, n)
		TH_LOG("#%d %s decrypt aad %zu pt %zu tag %u: %s", iter, who,
		       m->aadlen, m->ptlen, a->authsize,
		       n < 0 ? strerror((int)-n) : "short");
	d = first_diff(res, self->plain, plain);
	EXPECT_EQ(-1, d)
		TH_LOG("#%d %s decrypt aad %zu pt %zu: differs at byte %ld",
		       iter, who, m->aadlen, m->ptlen, d);
}

TEST_F_TIMEOUT(diff, random_vs_openssl, 240)
{
	unsigned int iters = test_scaled(REF_ITERS);

	for (unsigned int i = 0; i < iters; i++) {
		struct msg m;

		if (i % REKEY_EVERY == 0)
			rekey(_metadata, self);
		new_msg(self, &m);
		ASSERT_EQ(0, ref_aead_seal_afalg(self->alg->ref, self->key,
						 self->alg->keylen, m.iv,
						 m.aadlen, self->plain,
						 m.aadlen + m.ptlen, self->sealed,
						 self->gmrk.authsize));
		check_both_ways(_metadata, self, &self->gmrk, variant->io, &m,
				self->sealed, aead_driver_name(self->alg), (int)i);
	}
}

TEST_F_TIMEOUT(diff, random_vs_kernel_software, 240)
{
	unsigned int iters = test_scaled(SOFT_ITERS);
	int err;

	err = alg_aead_open(&self->soft, self->alg->soft);
	ASSERT_EQ(0, err) TH_LOG("bind %s: %s", self->alg->soft, strerror(-err));

	for (unsigned int i = 0; i < iters; i++) {
		size_t plain, sealed;
		uint8_t *res;
		struct msg m;
		ssize_t n;

		if (i % REKEY_EVERY == 0)
			rekey(_metadata, self);
		new_msg(self, &m);
		plain = m.aadlen + m.ptlen;
		sealed = plain + self->soft.authsize;

		/* the kernel's software seals (plainly)... */
		n = run_io(self, &self->soft, ALG_IO_PLAIN, true, m.iv, m.aadlen,
			   self->plain, plain, &res);
		ASSERT_EQ((ssize_t)sealed, n)
			TH_LOG("%s encrypt: %zd", self->alg->soft, n);
		memcpy(self->sealed, res, sealed);
		/* ...and gmrk must agree both ways, in the variant's style */
		check_both_ways(_metadata, self, &self->gmrk, variant->io, &m,
				self->sealed, aead_driver_name(self->alg), (int)i);
	}
}

TEST_HARNESS_MAIN

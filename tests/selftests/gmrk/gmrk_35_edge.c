// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk edge-of-range tests, compared with OpenSSL like gmrk_30_diff.
 *
 * Edges of the request space, one variant per algorithm: output scattered
 * over hundreds of iovecs (hundreds of SG entries for the driver, more
 * than a descriptor's 256), requests at and just over the device's
 * MAX_DATA, and AAD far larger than the payload. Each such request must
 * still be right; the driver documents that it takes the oversized ones
 * to software (Documentation/gmrk/driver.rst), so gmrk's fallbacks must
 * rise for them.
 *
 * AF_ALG meters its kernel memory per socket: the op socket gets large
 * SO_SNDBUF/SO_RCVBUF (else big requests block or are cut into pieces),
 * and net.core.optmem_max is raised for the test (each iovec and each TX
 * page list is an option-memory allocation) and restored after.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "af_alg.h"
#include "gmrk_ctl.h"
#include "ref_aead.h"
#include "test_algs.h"

#define OPTMEM		"/proc/sys/net/core/optmem_max"
#define BIG_SOCKBUF	(8 << 20)

FIXTURE(edge) {
	struct alg_aead a;
	const struct aead_alg *alg;
	struct prng p;
	uint8_t key[32];
	uint64_t optmem;
	uint32_t max_data;
};

FIXTURE_VARIANT(edge) {
	int alg;
};

FIXTURE_VARIANT_ADD(edge, aes128) { ALG_AES128 };
FIXTURE_VARIANT_ADD(edge, aes256) { ALG_AES256 };
FIXTURE_VARIANT_ADD(edge, sm4) { ALG_SM4 };
FIXTURE_VARIANT_ADD(edge, chachapoly) { ALG_CHACHAPOLY };

/* Smallest MAX_DATA over the gmrk devices (1 MiB if none can be asked). */
static uint32_t devices_max_data(void)
{
	char names[32][16];
	int n = gmrk_list_nodes(names, 32);
	uint32_t m = 0;

	for (int i = 0; i < n; i++) {
		struct gmrk_info info;
		int fd = gmrk_node_open(names[i]);

		if (fd < 0)
			continue;
		if (!gmrk_get_info(fd, &info) && (!m || info.max_data < m))
			m = info.max_data;
		close(fd);
	}
	return m ? m : 1u << 20;
}

static uint64_t devices_fallbacks(void)
{
	char names[32][16];
	int n = gmrk_list_nodes(names, 32);
	uint64_t f = 0;

	for (int i = 0; i < n; i++) {
		struct gmrk_stats st;

		if (!gmrk_stats_by_name(names[i], &st))
			f += st.fallbacks;
	}
	return f;
}

FIXTURE_SETUP(edge)
{
	uint64_t seed = test_seed();
	int err;

	self->optmem = 0;
	TH_LOG("seed %llu", (unsigned long long)seed);
	prng_init(&self->p, seed);
	self->alg = &aead_algs[variant->alg];
	self->max_data = devices_max_data();
	ASSERT_EQ(0, file_read_u64(OPTMEM, &self->optmem));
	ASSERT_EQ(0, file_write_str(OPTMEM, "8388608"));
	err = alg_aead_open(&self->a, aead_driver_name(self->alg));
	ASSERT_EQ(0, err) TH_LOG("bind %s: %s", aead_driver_name(self->alg),
				 strerror(-err));
	prng_fill(&self->p, self->key, sizeof(self->key));
	ASSERT_EQ(0, alg_aead_setkey(&self->a, self->key, self->alg->keylen));
}

FIXTURE_TEARDOWN(edge)
{
	char v[32];

	alg_aead_close(&self->a);
	if (self->optmem) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)self->optmem);
		EXPECT_EQ(0, file_write_str(OPTMEM, v));
	}
}

/* Accept an op socket with room for big requests. */
static int big_op(struct __test_metadata *_metadata, FIXTURE_DATA(edge) *self)
{
	int sz = BIG_SOCKBUF;

	if (self->a.op < 0) {
		self->a.op = alg_accept(self->a.tfm);
		ASSERT_LE(0, self->a.op);
	}
	ASSERT_EQ(0, setsockopt(self->a.op, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)));
	ASSERT_EQ(0, setsockopt(self->a.op, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)));
	return self->a.op;
}

/*
 * Read a result of len bytes into npieces separately allocated buffers
 * (each at an odd address), then gather it into out.
 */
static ssize_t recv_scattered(int fd, uint8_t *out, size_t len, int npieces,
			      struct prng *p)
{
	struct iovec *iov = calloc(npieces, sizeof(*iov));
	uint8_t **mem = calloc(npieces, sizeof(*mem));
	struct msghdr msg = { .msg_iov = iov };
	size_t left = len, off = 0;
	ssize_t n = -ENOMEM;
	int k = 0;

	if (!iov || !mem)
		goto out;
	for (; k < npieces && left; k++) {
		size_t piece = k == npieces - 1 ? left :
			1 + prng_below(p, 2 * (left / (npieces - k)) + 1);

		piece = piece > left ? left : piece;
		mem[k] = malloc(piece + 1);
		if (!mem[k])
			goto out;
		iov[k].iov_base = mem[k] + 1;
		iov[k].iov_len = piece;
		left -= piece;
	}
	msg.msg_iovlen = k;
	n = recvmsg(fd, &msg, 0);
	if (n < 0) {
		n = -errno;
		goto out;
	}
	for (int i = 0; i < k; i++) {
		memcpy(out + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
out:
	for (int i = 0; mem && i < k; i++)
		free(mem[i]);
	free(mem);
	free(iov);
	return n;
}

/* Encrypt and decrypt one message (aadlen, ptlen) and compare with OpenSSL. */
static void edge_roundtrip(struct __test_metadata *_metadata,
			   FIXTURE_DATA(edge) *self, size_t aadlen, size_t ptlen,
			   int pieces)
{
	size_t plain = aadlen + ptlen, sealed = plain + self->a.authsize;
	uint8_t *pbuf = malloc(plain + 1), *sbuf = malloc(sealed);
	uint8_t *out = malloc(sealed), iv[AEAD_IV_LEN];
	struct aead_op op;
	ssize_t n;
	int fd;

	ASSERT_TRUE(pbuf && sbuf && out);
	prng_fill(&self->p, iv, sizeof(iv));
	prng_fill(&self->p, pbuf, plain);
	ASSERT_EQ(0, ref_aead_seal_afalg(self->alg->ref, self->key,
					 self->alg->keylen, iv, aadlen, pbuf,
					 plain, sbuf, self->a.authsize));
	for (int dir = 0; dir < 2; dir++) {
		bool enc = dir == 0;
		size_t outlen = enc ? sealed : plain;

		op = (struct aead_op) {
			.enc = enc, .iv = iv, .assoclen = aadlen,
			.in = enc ? pbuf : sbuf, .inlen = enc ? plain : sealed,
			.out = out, .outlen = outlen,
		};
		fd = big_op(_metadata, self);
		ASSERT_EQ(0, alg_aead_send(fd, &op));
		if (pieces > 1 && outlen)
			n = recv_scattered(fd, out, outlen, pieces, &self->p);
		else
			n = alg_aead_recv(fd, &op);
		EXPECT_EQ((ssize_t)outlen, n)
			TH_LOG("%s %s aad %zu pt %zu in %d pieces: %s",
			       self->alg->label, enc ? "encrypt" : "decrypt",
			       aadlen, ptlen, pieces,
			       n < 0 ? strerror((int)-n) : "short");
		if (n == (ssize_t)outlen) {
			long d = first_diff(out, enc ? sbuf : pbuf, outlen);

			EXPECT_EQ(-1, d)
				TH_LOG("%s %s aad %zu pt %zu in %d pieces: differs at %ld",
				       self->alg->label, enc ? "encrypt" : "decrypt",
				       aadlen, ptlen, pieces, d);
		} else {
			close(self->a.op);
			self->a.op = -1;
		}
	}
	free(pbuf);
	free(sbuf);
	free(out);
}

TEST_F_TIMEOUT(edge, output_in_hundreds_of_pieces, 120)
{
	static const int pieces[] = { 2, 17, 255, 256, 257, 300, 600, 1024 };
	uint64_t before = devices_fallbacks();

	for (size_t i = 0; i < ARRAY_SIZE(pieces); i++)
		edge_roundtrip(_metadata, self, 32, 8192, pieces[i]);
	if (aead_is_gmrk(self->alg))
		EXPECT_LT(before, devices_fallbacks())
			TH_LOG("no fallback for SG lists beyond 256 entries");
}

TEST_F_TIMEOUT(edge, at_and_over_max_data, 240)
{
	uint64_t before;

	TH_LOG("MAX_DATA %u", self->max_data);
	edge_roundtrip(_metadata, self, 16, self->max_data - 16, 1);
	edge_roundtrip(_metadata, self, 0, self->max_data, 1);
	before = devices_fallbacks();
	edge_roundtrip(_metadata, self, 16, self->max_data - 15, 1);
	if (aead_is_gmrk(self->alg))
		EXPECT_LE(before + 2, devices_fallbacks())
			TH_LOG("requests over MAX_DATA did not go to software");
}

TEST_F_TIMEOUT(edge, large_aad_small_payload, 120)
{
	static const size_t pts[] = { 0, 1, 16, 100 };

	for (size_t i = 0; i < ARRAY_SIZE(pts); i++)
		edge_roundtrip(_metadata, self, 60000, pts[i], 1);
	edge_roundtrip(_metadata, self, 65535, 65536, 1);
}

TEST_HARNESS_MAIN

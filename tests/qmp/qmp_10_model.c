// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Conformance of the QEMU gm-rk model (tools/qemu/gmrk.c) to the contract
 * in driver/gmrk_hw.h, checked register by register from guest userspace
 * with no driver loaded (card_access.c): identification, rings and their
 * index arithmetic, the CQ-room rule, every completion status, SG lists,
 * in-place jobs, queue errors, reset, and the fault knobs set over QMP.
 *
 * Results are compared with OpenSSL-based references (ref_aead.c of the
 * selftests), never with libgcrypt, which the model itself uses.
 *
 * Run in a VM booted with --module none, -device gmrk,id=card0 and
 * "tests/qmp/qmp.py hook" as --host-hook: tests that need a knob print
 * "GMRK-HOOK: qom-set card0 ..." and wait until the card shows the effect.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "card_access.h"
#include "ref_aead.h"

#define CARD_ID		"card0"		/* -device gmrk,id=card0 */
#define RING_SIZE	16
#define WAIT_MS		20000
#define HOOK_WAIT_MS	60000
#define BUF_PAGES	8
#define BUF_MAX		(BUF_PAGES * CARD_PAGE)

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void rnd_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/*
 * A buffer of up to BUF_PAGES pages, not physically contiguous: offsets are
 * logical, the card sees it through an SG list (or, within one page, as a
 * contiguous buffer).
 */
struct sgbuf {
	struct dma_page pg[BUF_PAGES];
};

static int sgbuf_alloc(struct card *c, struct sgbuf *b)
{
	memset(b, 0, sizeof(*b));
	for (int i = 0; i < BUF_PAGES; i++) {
		int err = dma_page_alloc(c, &b->pg[i]);

		if (err)
			return err;
	}
	return 0;
}

static void sgbuf_free(struct sgbuf *b)
{
	for (int i = 0; i < BUF_PAGES; i++)
		dma_page_free(&b->pg[i]);
}

static void sgbuf_copy(struct sgbuf *b, size_t off, void *data, size_t len, bool in)
{
	uint8_t *p = data;

	while (len) {
		size_t pg = off / CARD_PAGE, po = off % CARD_PAGE;
		size_t n = CARD_PAGE - po < len ? CARD_PAGE - po : len;

		if (in)
			memcpy(b->pg[pg].va + po, p, n);
		else
			memcpy(p, b->pg[pg].va + po, n);
		p += n;
		off += n;
		len -= n;
	}
}

static void sgbuf_fill(struct sgbuf *b, uint8_t v)
{
	for (int i = 0; i < BUF_PAGES; i++)
		memset(b->pg[i].va, v, CARD_PAGE);
}

/*
 * Describe [off, off + len) of @b as SG entries in @list (a page), split at
 * page boundaries and additionally every @chunk bytes (0: pages only).
 * Returns the number of entries.
 */
static uint32_t sgbuf_sgl(struct sgbuf *b, struct dma_page *list, size_t off,
			  size_t len, size_t chunk)
{
	struct gmrk_sge *e = (struct gmrk_sge *)list->va;
	uint32_t n = 0;

	while (len) {
		size_t pg = off / CARD_PAGE, po = off % CARD_PAGE;
		size_t k = CARD_PAGE - po < len ? CARD_PAGE - po : len;

		if (chunk && k > chunk)
			k = chunk;
		e[n].addr = htole64(b->pg[pg].pa + po);
		e[n].len = htole32((uint32_t)k);
		e[n].rsvd = 0;
		n++;
		off += k;
		len -= k;
	}
	return n;
}

struct alg_case {
	const char *name;
	uint8_t alg;
	enum ref_alg ref;
	uint8_t key_len;
	uint8_t tag_len;
};

static const struct alg_case algs[] = {
	{ "aes128-gcm", GMRK_ALG_AES_GCM, REF_AES_GCM, 16, 16 },
	{ "aes192-gcm", GMRK_ALG_AES_GCM, REF_AES_GCM, 24, 16 },
	{ "aes256-gcm", GMRK_ALG_AES_GCM, REF_AES_GCM, 32, 16 },
	{ "sm4-gcm", GMRK_ALG_SM4_GCM, REF_SM4_GCM, 16, 16 },
	{ "chacha20-poly1305", GMRK_ALG_CHACHAPOLY, REF_CHACHAPOLY, 32, 16 },
};

#define NALGS (sizeof(algs) / sizeof(algs[0]))

static uint64_t next_cookie = 1;

static struct gmrk_desc desc_new(uint8_t op, const struct alg_case *a,
				 const uint8_t *key, const uint8_t *iv,
				 uint32_t aad_len, uint32_t data_len)
{
	struct gmrk_desc d;

	memset(&d, 0, sizeof(d));
	d.opcode = op;
	d.alg = a ? a->alg : 0;
	d.key_len = a ? a->key_len : 0;
	d.tag_len = a ? a->tag_len : 0;
	d.iv_len = GMRK_IV_LEN;
	d.aad_len = htole32(aad_len);
	d.data_len = htole32(data_len);
	d.cookie = htole64(next_cookie++);
	if (key)
		memcpy(d.key, key, d.key_len);
	if (iv)
		memcpy(d.iv, iv, GMRK_IV_LEN);
	return d;
}

/* Point @d at one contiguous region per direction. */
static void desc_flat(struct gmrk_desc *d, uint64_t src, uint32_t src_len,
		      uint64_t dst, uint32_t dst_len)
{
	d->flags &= ~GMRK_DF_SGL;
	d->src_addr = htole64(src);
	d->src_len = htole32(src_len);
	d->dst_addr = htole64(dst);
	d->dst_len = htole32(dst_len);
}

FIXTURE(card) {
	struct card c;
	struct card_ring r;
	struct sgbuf src, dst;
	struct dma_page sgl_src, sgl_dst;
};

FIXTURE_SETUP(card)
{
	int err = card_open(&self->c, 0);

	if (err == -ENODEV)
		SKIP(return, "no gm-rk card in this VM");
	ASSERT_EQ(0, err) TH_LOG("card_open: %s", strerror(-err));
	ASSERT_EQ(0, card_reset(&self->c));
	ASSERT_EQ(0, ring_setup(&self->c, &self->r, 0, RING_SIZE));
	ASSERT_EQ(0, sgbuf_alloc(&self->c, &self->src));
	ASSERT_EQ(0, sgbuf_alloc(&self->c, &self->dst));
	ASSERT_EQ(0, dma_page_alloc(&self->c, &self->sgl_src));
	ASSERT_EQ(0, dma_page_alloc(&self->c, &self->sgl_dst));
}

FIXTURE_TEARDOWN(card)
{
	if (!self->c.bar)
		return;
	card_reset(&self->c);
	ring_free(&self->r);
	sgbuf_free(&self->src);
	sgbuf_free(&self->dst);
	dma_page_free(&self->sgl_src);
	dma_page_free(&self->sgl_dst);
	card_close(&self->c);
}

/* Wait for the host to act on earlier hook requests (card_host_sync()). */
#define HOST_SYNC() \
	ASSERT_EQ(0, card_host_sync(&self->c, &self->r, CARD_ID, HOOK_WAIT_MS)) \
		TH_LOG("the host hook did not act (run with --host-hook 'tests/qmp/qmp.py hook')")

/* Run one AEAD job on the card in flat buffers; returns the status. */
struct job_io {
	const struct alg_case *a;
	uint8_t key[32], iv[12];
	uint32_t aad_len, data_len;
	uint8_t in[CARD_PAGE];		/* aad || data [|| tag] */
	uint8_t out[CARD_PAGE];		/* data [|| tag] */
};

static void job_random(struct job_io *j, const struct alg_case *a,
		       uint32_t aad_len, uint32_t data_len)
{
	j->a = a;
	rnd_fill(j->key, sizeof(j->key));
	rnd_fill(j->iv, sizeof(j->iv));
	j->aad_len = aad_len;
	j->data_len = data_len;
	rnd_fill(j->in, aad_len + data_len);
}

static int job_flat(FIXTURE_DATA(card) *self, struct job_io *j, bool enc)
{
	uint32_t in_len = j->aad_len + j->data_len + (enc ? 0 : j->a->tag_len);
	uint32_t out_len = j->data_len + (enc ? j->a->tag_len : 0);
	struct gmrk_desc d = desc_new(enc ? GMRK_OP_ENCRYPT : GMRK_OP_DECRYPT,
				      j->a, j->key, j->iv, j->aad_len,
				      j->data_len);
	int st;

	memcpy(self->src.pg[0].va, j->in, in_len);
	memset(self->dst.pg[0].va, 0x5a, CARD_PAGE);
	desc_flat(&d, self->src.pg[0].pa, in_len, self->dst.pg[0].pa, out_len);
	st = ring_run(&self->c, &self->r, &d);
	memcpy(j->out, self->dst.pg[0].va, out_len);
	return st;
}

/* The reference result of j->in: out = ct || tag. */
static int job_ref(const struct job_io *j, uint8_t *out)
{
	return ref_aead_seal(j->a->ref, j->key, j->a->key_len, j->iv, j->in,
			     j->aad_len, j->in + j->aad_len, j->data_len, out,
			     out + j->data_len, j->a->tag_len);
}

TEST_F(card, identification)
{
	struct card *c = &self->c;
	uint32_t caps = card_rd(c, GMRK_REG_CAPS);

	EXPECT_EQ((uint32_t)GMRK_ID_MAGIC, card_rd(c, GMRK_REG_ID));
	EXPECT_EQ((uint32_t)GMRK_VERSION, card_rd(c, GMRK_REG_VERSION));
	/* The default card has key slots (qmp_50_keyslots tests them). */
	EXPECT_EQ(GMRK_CAP_AES_GCM | GMRK_CAP_SM4_GCM | GMRK_CAP_CHACHAPOLY |
		  GMRK_CAP_SG | GMRK_CAP_KEYSLOTS, caps);
	EXPECT_EQ(8u, card_rd(c, GMRK_REG_KEY_SLOTS));
	EXPECT_EQ(4u, card_rd(c, GMRK_REG_NUM_QUEUES));
	EXPECT_EQ(1024u, card_rd(c, GMRK_REG_MAX_DEPTH));
	EXPECT_EQ(1u << 20, card_rd(c, GMRK_REG_MAX_DATA));
	EXPECT_EQ(GMRK_STATUS_READY, card_rd(c, GMRK_REG_STATUS));
	EXPECT_EQ(0u, card_rd(c, GMRK_REG_ERR_COUNT));
	/* Registers of absent queues read as zero. */
	EXPECT_EQ(0u, card_qrd(c, 4, GMRK_Q_STATUS));
	EXPECT_EQ(0u, card_qrd(c, 15, GMRK_Q_SIZE));
}

TEST_F(card, nop_and_interrupt_status)
{
	struct gmrk_desc d = desc_new(GMRK_OP_NOP, NULL, NULL, NULL, 0, 0);
	struct gmrk_cpl cpl;

	EXPECT_EQ(0u, card_rd(&self->c, GMRK_REG_INTR_STATUS));
	ring_put(&self->r, &d);
	ring_doorbell(&self->c, &self->r);
	ASSERT_EQ(1u, ring_wait(&self->c, &self->r, 1, WAIT_MS));
	cpl = ring_cpl(&self->r, 0);
	EXPECT_EQ(le64toh(d.cookie), cpl.cookie);
	EXPECT_EQ(GMRK_ST_OK, cpl.status);
	EXPECT_EQ(1u, cpl.sq_head);
	EXPECT_EQ(1u, card_qrd(&self->c, 0, GMRK_Q_SQ_HEAD));
	EXPECT_EQ(1u, card_qrd(&self->c, 0, GMRK_Q_CQ_TAIL));
	/* Every completion sets the queue's bit; W1C clears it. */
	EXPECT_EQ(1u, card_rd(&self->c, GMRK_REG_INTR_STATUS));
	card_wr(&self->c, GMRK_REG_INTR_STATUS, 1);
	EXPECT_EQ(0u, card_rd(&self->c, GMRK_REG_INTR_STATUS));
	ring_consume(&self->c, &self->r, 1);
	EXPECT_EQ(1u, card_qrd(&self->c, 0, GMRK_Q_CQ_HEAD));
	EXPECT_EQ(GMRK_QSTATUS_ENABLED, card_qrd(&self->c, 0, GMRK_Q_STATUS));
}

TEST_F(card, aead_matches_reference)
{
	static const uint32_t sizes[][2] = {
		{ 0, 0 }, { 0, 1 }, { 13, 0 }, { 16, 16 }, { 20, 60 },
		{ 1, 255 }, { 64, 1000 }, { 0, 4096 - 16 }, { 100, 3000 },
	};
	static struct job_io j;
	uint8_t ref[CARD_PAGE + 16];

	for (size_t ai = 0; ai < NALGS; ai++) {
		for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
			const struct alg_case *a = &algs[ai];
			uint32_t n = sizes[si][1];

			job_random(&j, a, sizes[si][0], n);
			ASSERT_EQ(0, job_ref(&j, ref));
			ASSERT_EQ(GMRK_ST_OK, job_flat(self, &j, true))
				TH_LOG("%s aad %u data %u", a->name, j.aad_len, n);
			ASSERT_EQ(0, memcmp(ref, j.out, n + a->tag_len))
				TH_LOG("%s aad %u data %u: wrong ciphertext",
				       a->name, j.aad_len, n);
			/* Decrypt what the card produced. */
			memcpy(j.in + j.aad_len, j.out, n + a->tag_len);
			ASSERT_EQ(GMRK_ST_OK, job_flat(self, &j, false));
			ASSERT_EQ(0, ref_aead_open(a->ref, j.key, a->key_len, j.iv,
						   j.in, j.aad_len, j.in + j.aad_len,
						   n, j.in + j.aad_len + n,
						   a->tag_len, ref));
			ASSERT_EQ(0, memcmp(ref, j.out, n));
		}
	}
	EXPECT_EQ(0u, card_rd(&self->c, GMRK_REG_ERR_COUNT));
}

TEST_F(card, tag_lengths)
{
	static struct job_io j;
	uint8_t ref[256];

	for (unsigned int t = 0; t <= 17; t++) {
		struct alg_case a = algs[3];	/* sm4-gcm */
		bool valid = t == 4 || t == 8 || (t >= 12 && t <= 16);

		a.tag_len = t;
		job_random(&j, &a, 8, 40);
		if (!valid) {
			EXPECT_EQ(GMRK_ST_ENOTSUPP, job_flat(self, &j, true))
				TH_LOG("gcm tag %u", t);
			continue;
		}
		ASSERT_EQ(0, job_ref(&j, ref));
		ASSERT_EQ(GMRK_ST_OK, job_flat(self, &j, true));
		EXPECT_EQ(0, memcmp(ref, j.out, 40 + t)) TH_LOG("gcm tag %u", t);
	}
	for (unsigned int t = 4; t < 16; t += 4) {
		struct alg_case a = algs[4];	/* chacha20-poly1305: 16 only */

		a.tag_len = t;
		job_random(&j, &a, 0, 16);
		EXPECT_EQ(GMRK_ST_ENOTSUPP, job_flat(self, &j, true));
	}
}

TEST_F(card, forged_tag_writes_nothing)
{
	static struct job_io j;

	for (size_t ai = 0; ai < NALGS; ai++) {
		const struct alg_case *a = &algs[ai];
		uint32_t n = 200;

		job_random(&j, a, 16, n);
		ASSERT_EQ(GMRK_ST_OK, job_flat(self, &j, true));
		memcpy(j.in + 16, j.out, n + a->tag_len);
		j.in[16 + n + a->tag_len - 1] ^= 0x80;	/* last tag byte */
		EXPECT_EQ(GMRK_ST_EBADMSG, job_flat(self, &j, false)) TH_LOG("%s", a->name);
		/* dst still holds its poison: no plaintext left the card. */
		for (uint32_t i = 0; i < n; i++) {
			ASSERT_EQ(0x5a, j.out[i]) TH_LOG("%s: dst byte %u written", a->name, i);
		}
		/* The AAD is authenticated too. */
		j.in[16 + n + a->tag_len - 1] ^= 0x80;
		j.in[3] ^= 1;
		EXPECT_EQ(GMRK_ST_EBADMSG, job_flat(self, &j, false));
	}
	/* Authentication failures are results, not device errors. */
	EXPECT_EQ(0u, card_rd(&self->c, GMRK_REG_ERR_COUNT));
}

/* Large jobs across pages, odd SG splits, AAD and tag in their own entries. */
TEST_F(card, scatter_gather)
{
	static uint8_t pt[BUF_MAX], ref[BUF_MAX + 16], got[BUF_MAX + 16];
	static const size_t chunks[] = { 0, 1000, 333, 4095 };
	uint8_t key[32], iv[12], aad[40];

	for (size_t ai = 0; ai < NALGS; ai++) {
		const struct alg_case *a = &algs[ai];
		size_t n = 5 * CARD_PAGE + 123, chunk = chunks[ai % 4];
		struct gmrk_desc d;
		uint32_t ns, nd;

		rnd_fill(key, sizeof(key));
		rnd_fill(iv, sizeof(iv));
		rnd_fill(aad, sizeof(aad));
		rnd_fill(pt, n);
		ASSERT_EQ(0, ref_aead_seal(a->ref, key, a->key_len, iv, aad,
					   sizeof(aad), pt, n, ref, ref + n,
					   a->tag_len));
		/* src: aad at offset 7 (unaligned), data right behind it */
		sgbuf_copy(&self->src, 7, aad, sizeof(aad), true);
		sgbuf_copy(&self->src, 7 + sizeof(aad), pt, n, true);
		sgbuf_fill(&self->dst, 0);
		d = desc_new(GMRK_OP_ENCRYPT, a, key, iv, sizeof(aad), n);
		ns = sgbuf_sgl(&self->src, &self->sgl_src, 7, sizeof(aad) + n, chunk);
		nd = sgbuf_sgl(&self->dst, &self->sgl_dst, 100, n + a->tag_len, chunk);
		d.flags = GMRK_DF_SGL;
		d.src_addr = htole64(self->sgl_src.pa);
		d.src_len = htole32(ns);
		d.dst_addr = htole64(self->sgl_dst.pa);
		d.dst_len = htole32(nd);
		ASSERT_EQ(GMRK_ST_OK, ring_run(&self->c, &self->r, &d)) TH_LOG("%s", a->name);
		sgbuf_copy(&self->dst, 100, got, n + a->tag_len, false);
		ASSERT_EQ(0, memcmp(ref, got, n + a->tag_len)) TH_LOG("%s chunk %zu", a->name, chunk);

		/* Decrypt in place, with an empty SG entry in the list. */
		sgbuf_copy(&self->src, 0, aad, sizeof(aad), true);
		sgbuf_copy(&self->src, sizeof(aad), ref, n + a->tag_len, true);
		d = desc_new(GMRK_OP_DECRYPT, a, key, iv, sizeof(aad), n);
		ns = sgbuf_sgl(&self->src, &self->sgl_src, 0, sizeof(aad) + n + a->tag_len, chunk);
		memmove((struct gmrk_sge *)self->sgl_src.va + 2,
			(struct gmrk_sge *)self->sgl_src.va + 1,
			(ns - 1) * sizeof(struct gmrk_sge));
		((struct gmrk_sge *)self->sgl_src.va)[1].len = 0;
		ns++;
		nd = sgbuf_sgl(&self->src, &self->sgl_dst, sizeof(aad), n, chunk);
		d.flags = GMRK_DF_SGL;
		d.src_addr = htole64(self->sgl_src.pa);
		d.src_len = htole32(ns);
		d.dst_addr = htole64(self->sgl_dst.pa);
		d.dst_len = htole32(nd);
		ASSERT_EQ(GMRK_ST_OK, ring_run(&self->c, &self->r, &d));
		sgbuf_copy(&self->src, sizeof(aad), got, n, false);
		ASSERT_EQ(0, memcmp(pt, got, n)) TH_LOG("%s in-place decrypt", a->name);
	}
}

TEST_F(card, in_place_flat)
{
	static struct job_io j;
	uint8_t ref[CARD_PAGE];
	const struct alg_case *a = &algs[0];
	struct gmrk_desc d;
	uint8_t *buf = self->src.pg[0].va;

	job_random(&j, a, 12, 1000);
	ASSERT_EQ(0, job_ref(&j, ref));
	/* dst is the data right after the AAD in the very same buffer. */
	memcpy(buf, j.in, 1012);
	d = desc_new(GMRK_OP_ENCRYPT, a, j.key, j.iv, 12, 1000);
	desc_flat(&d, self->src.pg[0].pa, 1012, self->src.pg[0].pa + 12, 1016);
	ASSERT_EQ(GMRK_ST_OK, ring_run(&self->c, &self->r, &d));
	EXPECT_EQ(0, memcmp(ref, buf + 12, 1016));
}

TEST_F(card, descriptor_errors)
{
	static struct job_io j;
	struct gmrk_desc d;
	uint32_t errs = 0;
	const uint64_t nowhere = 1ull << 46;	/* no RAM, no device there */
	uint64_t src = self->src.pg[0].pa, dst = self->dst.pg[0].pa;

	job_random(&j, &algs[0], 16, 64);
	memcpy(self->src.pg[0].va, j.in, 80);

#define EXPECT_STATUS(st, desc, what) do {					\
		EXPECT_EQ(st, ring_run(&self->c, &self->r, &(desc))) TH_LOG(what); \
		errs += (st) != GMRK_ST_OK && (st) != GMRK_ST_EBADMSG;		\
	} while (0)
#define FRESH() (d = desc_new(GMRK_OP_ENCRYPT, &algs[0], j.key, j.iv, 16, 64), \
		 desc_flat(&d, src, 80, dst, 80))

	FRESH();
	EXPECT_STATUS(GMRK_ST_OK, d, "baseline");
	FRESH(); d.opcode = 7;
	EXPECT_STATUS(GMRK_ST_EINVAL, d, "unknown opcode");
	FRESH(); d.flags = 0x80;
	EXPECT_STATUS(GMRK_ST_EINVAL, d, "reserved flag");
	FRESH(); d.alg = 9;
	EXPECT_STATUS(GMRK_ST_ENOTSUPP, d, "unknown alg");
	FRESH(); d.key_len = 20;
	EXPECT_STATUS(GMRK_ST_ENOTSUPP, d, "aes key 20");
	FRESH(); d.alg = GMRK_ALG_SM4_GCM; d.key_len = 32;
	EXPECT_STATUS(GMRK_ST_ENOTSUPP, d, "sm4 key 32");
	FRESH(); d.iv_len = 16;
	EXPECT_STATUS(GMRK_ST_ENOTSUPP, d, "iv 16");
	FRESH(); d.aad_len = htole32(1u << 19); d.data_len = htole32((1u << 19) + 1);
	EXPECT_STATUS(GMRK_ST_E2BIG, d, "aad + data > MAX_DATA");
	FRESH(); d.data_len = htole32(0xffffffffu);
	EXPECT_STATUS(GMRK_ST_E2BIG, d, "huge data_len");
	FRESH(); d.src_len = htole32(79);
	EXPECT_STATUS(GMRK_ST_EINVAL, d, "src shorter than aad + data");
	FRESH(); d.dst_len = htole32(64 + 15);
	EXPECT_STATUS(GMRK_ST_EINVAL, d, "dst without room for the tag");
	FRESH(); d.src_addr = htole64(nowhere);
	EXPECT_STATUS(GMRK_ST_EDMA, d, "src not backed");
	FRESH(); d.dst_addr = htole64(nowhere);
	EXPECT_STATUS(GMRK_ST_EDMA, d, "dst not backed");
	FRESH(); d.src_addr = htole64(~0ull - 8);
	EXPECT_STATUS(GMRK_ST_EINVAL, d, "src wraps the address space");
	/* SG lists */
	FRESH(); d.flags = GMRK_DF_SGL;
	d.src_addr = htole64(self->sgl_src.pa); d.src_len = htole32(0);
	EXPECT_STATUS(GMRK_ST_EINVAL, d, "empty src list");
	FRESH(); d.flags = GMRK_DF_SGL;
	d.src_addr = htole64(self->sgl_src.pa); d.src_len = htole32(GMRK_SGL_MAX + 1);
	EXPECT_STATUS(GMRK_ST_EINVAL, d, "257-entry list");
	FRESH(); d.flags = GMRK_DF_SGL;
	d.src_addr = htole64(nowhere); d.src_len = htole32(1);
	EXPECT_STATUS(GMRK_ST_EDMA, d, "list not backed");
	FRESH(); d.flags = GMRK_DF_SGL;
	d.src_addr = htole64(self->sgl_src.pa);
	d.src_len = htole32(sgbuf_sgl(&self->src, &self->sgl_src, 0, 79, 0));
	d.dst_addr = htole64(self->sgl_dst.pa);
	d.dst_len = htole32(sgbuf_sgl(&self->dst, &self->sgl_dst, 0, 80, 0));
	EXPECT_STATUS(GMRK_ST_EINVAL, d, "list shorter than the job");
	FRESH(); d.flags = GMRK_DF_SGL;
	d.src_addr = htole64(self->sgl_src.pa);
	d.src_len = htole32(sgbuf_sgl(&self->src, &self->sgl_src, 0, 80, 0));
	((struct gmrk_sge *)self->sgl_src.va)[0].addr = htole64(nowhere);
	d.dst_addr = htole64(self->sgl_dst.pa);
	d.dst_len = htole32(sgbuf_sgl(&self->dst, &self->sgl_dst, 0, 80, 0));
	EXPECT_STATUS(GMRK_ST_EDMA, d, "list entry not backed");
	/* The queue survives all of it. */
	FRESH();
	EXPECT_STATUS(GMRK_ST_OK, d, "after the errors");
	EXPECT_EQ(GMRK_QSTATUS_ENABLED, card_qrd(&self->c, 0, GMRK_Q_STATUS));
	EXPECT_EQ(errs, card_rd(&self->c, GMRK_REG_ERR_COUNT));
#undef FRESH
#undef EXPECT_STATUS
}

/* Many laps around the rings in uneven batches: indices run mod 2 * size. */
TEST_F(card, ring_wraparound)
{
	uint64_t first = next_cookie;
	uint32_t done = 0, total = 7 * RING_SIZE + 3;

	while (done < total) {
		uint32_t batch = 1 + rnd() % RING_SIZE, got;

		if (batch > total - done)
			batch = total - done;
		for (uint32_t i = 0; i < batch; i++) {
			struct gmrk_desc d = desc_new(GMRK_OP_NOP, NULL, NULL, NULL, 0, 0);

			ring_put(&self->r, &d);
		}
		ring_doorbell(&self->c, &self->r);
		got = ring_wait(&self->c, &self->r, batch, WAIT_MS);
		ASSERT_EQ(batch, got);
		for (uint32_t i = 0; i < batch; i++) {
			struct gmrk_cpl cpl = ring_cpl(&self->r, i);

			ASSERT_EQ(first + done + i, cpl.cookie);
			ASSERT_EQ(GMRK_ST_OK, cpl.status);
			ASSERT_EQ((done + i + 1) % (2 * RING_SIZE), cpl.sq_head);
		}
		ring_consume(&self->c, &self->r, batch);
		done += batch;
		ASSERT_EQ(done % (2 * RING_SIZE), card_qrd(&self->c, 0, GMRK_Q_SQ_HEAD));
		ASSERT_EQ(done % (2 * RING_SIZE), card_qrd(&self->c, 0, GMRK_Q_CQ_TAIL));
	}
}

/* The device fetches only while the CQ has room for the completion. */
TEST_F(card, fetch_needs_cq_room)
{
	struct card *c = &self->c;
	struct card_ring *r = &self->r;

	for (int i = 0; i < RING_SIZE; i++) {
		struct gmrk_desc d = desc_new(GMRK_OP_NOP, NULL, NULL, NULL, 0, 0);

		ring_put(r, &d);
	}
	ring_doorbell(c, r);
	ASSERT_EQ((uint32_t)RING_SIZE, ring_wait(c, r, RING_SIZE, WAIT_MS));
	/* CQ full, nothing consumed: a full SQ more must stay unfetched. */
	for (int i = 0; i < RING_SIZE; i++) {
		struct gmrk_desc d = desc_new(GMRK_OP_NOP, NULL, NULL, NULL, 0, 0);

		ring_put(r, &d);
	}
	ring_doorbell(c, r);
	card_sleep_ms(300);
	EXPECT_EQ((uint32_t)RING_SIZE, card_qrd(c, 0, GMRK_Q_SQ_HEAD));
	EXPECT_EQ((uint32_t)RING_SIZE, card_qrd(c, 0, GMRK_Q_CQ_TAIL));
	/* Free three CQ slots: exactly three more jobs run. */
	r->cq_head = 0;
	card_qwr(c, 0, GMRK_Q_CQ_HEAD, 3);
	card_sleep_ms(300);
	EXPECT_EQ((uint32_t)RING_SIZE + 3, card_qrd(c, 0, GMRK_Q_SQ_HEAD));
	EXPECT_EQ((uint32_t)RING_SIZE + 3, card_qrd(c, 0, GMRK_Q_CQ_TAIL));
	/* Consume everything: the rest completes, in order. */
	r->cq_head = 3;
	ring_consume(c, r, RING_SIZE);
	ASSERT_EQ((uint32_t)RING_SIZE - 3, ring_wait(c, r, RING_SIZE - 3, WAIT_MS));
	EXPECT_EQ(GMRK_QSTATUS_ENABLED, card_qrd(c, 0, GMRK_Q_STATUS));
	EXPECT_EQ(0u, card_rd(c, GMRK_REG_ERR_COUNT));
}

/* Program queue 1 with @size / @sq / @cq and enable it; returns Q_STATUS. */
static uint32_t try_setup(struct card *c, uint32_t size, uint64_t sq, uint64_t cq)
{
	card_qwr(c, 1, GMRK_Q_CTRL, 0);
	card_qwr(c, 1, GMRK_Q_SQ_BASE_LO, (uint32_t)sq);
	card_qwr(c, 1, GMRK_Q_SQ_BASE_HI, (uint32_t)(sq >> 32));
	card_qwr(c, 1, GMRK_Q_CQ_BASE_LO, (uint32_t)cq);
	card_qwr(c, 1, GMRK_Q_CQ_BASE_HI, (uint32_t)(cq >> 32));
	card_qwr(c, 1, GMRK_Q_SIZE, size);
	card_qwr(c, 1, GMRK_Q_CTRL, GMRK_QCTRL_ENABLE);
	return card_qrd(c, 1, GMRK_Q_STATUS);
}

TEST_F(card, queue_setup_errors)
{
	struct card *c = &self->c;
	uint64_t sq = self->src.pg[0].pa, cq = self->dst.pg[0].pa;
	uint32_t errs = 0;

	EXPECT_EQ(GMRK_QSTATUS_ENABLED, try_setup(c, 16, sq, cq));
	EXPECT_EQ(GMRK_QSTATUS_ERROR, try_setup(c, 3, sq, cq));
	errs++;
	EXPECT_EQ(GMRK_QSTATUS_ERROR, try_setup(c, 24, sq, cq));
	errs++;
	EXPECT_EQ(GMRK_QSTATUS_ERROR, try_setup(c, 0, sq, cq));
	errs++;
	EXPECT_EQ(GMRK_QSTATUS_ERROR, try_setup(c, 2048, sq, cq));
	errs++;
	EXPECT_EQ(GMRK_QSTATUS_ERROR, try_setup(c, 16, 0, cq));
	errs++;
	EXPECT_EQ(GMRK_QSTATUS_ERROR, try_setup(c, 16, sq + 8, cq));
	errs++;
	EXPECT_EQ(GMRK_QSTATUS_ERROR, try_setup(c, 16, sq + 64, cq));
	errs++;
	EXPECT_EQ(GMRK_QSTATUS_ERROR, try_setup(c, 16, 1ull << 46, cq));
	errs++;
	EXPECT_EQ(GMRK_QSTATUS_ERROR, try_setup(c, 16, sq, 1ull << 46));
	errs++;
	EXPECT_EQ(errs, card_rd(c, GMRK_REG_ERR_COUNT));
	/* Disabling clears the error; a good setup works again. */
	card_qwr(c, 1, GMRK_Q_CTRL, 0);
	EXPECT_EQ(0u, card_qrd(c, 1, GMRK_Q_STATUS));
	EXPECT_EQ(GMRK_QSTATUS_ENABLED, try_setup(c, 16, sq, cq));
	/* Ring setup cannot change under a live queue. */
	card_qwr(c, 1, GMRK_Q_SIZE, 32);
	EXPECT_EQ(16u, card_qrd(c, 1, GMRK_Q_SIZE));

	/* Doorbells and CQ_HEAD that break the index rules stop the queue. */
	card_qwr(c, 1, GMRK_Q_SQ_TAIL, 32);		/* >= 2 * size */
	EXPECT_EQ(GMRK_QSTATUS_ERROR, card_qrd(c, 1, GMRK_Q_STATUS));
	errs++;
	EXPECT_EQ(GMRK_QSTATUS_ENABLED, try_setup(c, 16, sq, cq));
	card_qwr(c, 1, GMRK_Q_SQ_TAIL, 17);		/* more than size ahead */
	EXPECT_EQ(GMRK_QSTATUS_ERROR, card_qrd(c, 1, GMRK_Q_STATUS));
	errs++;
	EXPECT_EQ(GMRK_QSTATUS_ENABLED, try_setup(c, 16, sq, cq));
	card_qwr(c, 1, GMRK_Q_CQ_HEAD, 1);		/* past CQ_TAIL */
	EXPECT_EQ(GMRK_QSTATUS_ERROR, card_qrd(c, 1, GMRK_Q_STATUS));
	errs++;
	EXPECT_EQ(errs, card_rd(c, GMRK_REG_ERR_COUNT));
	/* Queue 0 never noticed. */
	EXPECT_EQ(GMRK_QSTATUS_ENABLED, card_qrd(c, 0, GMRK_Q_STATUS));
}

TEST_F(card, reset_clears_everything)
{
	struct card *c = &self->c;
	struct gmrk_desc d = desc_new(GMRK_OP_NOP, NULL, NULL, NULL, 0, 0);

	ASSERT_EQ(GMRK_ST_OK, ring_run(c, &self->r, &d));
	card_qwr(c, 1, GMRK_Q_SIZE, 3);
	card_qwr(c, 1, GMRK_Q_CTRL, GMRK_QCTRL_ENABLE);	/* an error */
	card_wr(c, GMRK_REG_INTR_MASK, 0x5);
	ASSERT_NE(0u, card_rd(c, GMRK_REG_ERR_COUNT));
	ASSERT_NE(0u, card_rd(c, GMRK_REG_INTR_STATUS));

	ASSERT_EQ(0, card_reset(c));
	EXPECT_EQ(0u, card_rd(c, GMRK_REG_CTRL));
	EXPECT_EQ(GMRK_STATUS_READY, card_rd(c, GMRK_REG_STATUS));
	EXPECT_EQ(0u, card_rd(c, GMRK_REG_INTR_STATUS));
	EXPECT_EQ(0u, card_rd(c, GMRK_REG_INTR_MASK));
	EXPECT_EQ(0u, card_rd(c, GMRK_REG_ERR_COUNT));
	for (unsigned int q = 0; q < 4; q++) {
		for (uint32_t reg = 0; reg < GMRK_QREG_STRIDE; reg += 4) {
			EXPECT_EQ(0u, card_qrd(c, q, reg)) TH_LOG("queue %u reg 0x%x", q, reg);
		}
	}
	/* Identification is untouched. */
	EXPECT_EQ((uint32_t)GMRK_ID_MAGIC, card_rd(c, GMRK_REG_ID));
}

/* The interrupt mask does not hold back INTR_STATUS, only the interrupt. */
TEST_F(card, masked_queue_still_completes)
{
	struct gmrk_desc d = desc_new(GMRK_OP_NOP, NULL, NULL, NULL, 0, 0);

	card_wr(&self->c, GMRK_REG_INTR_MASK, 1);
	d.flags = GMRK_DF_IRQ;
	ASSERT_EQ(GMRK_ST_OK, ring_run(&self->c, &self->r, &d));
	EXPECT_EQ(1u, card_rd(&self->c, GMRK_REG_INTR_STATUS));
	EXPECT_EQ(1u, card_rd(&self->c, GMRK_REG_INTR_MASK));
	card_wr(&self->c, GMRK_REG_INTR_STATUS, 0xffffffff);
	EXPECT_EQ(0u, card_rd(&self->c, GMRK_REG_INTR_STATUS));
	/* Bits of absent queues do not stick. */
	card_wr(&self->c, GMRK_REG_INTR_MASK, 0xffffffff);
	EXPECT_EQ(0xfu, card_rd(&self->c, GMRK_REG_INTR_MASK));
}

/* ---- Fault knobs over QMP ---- */

TEST_F_TIMEOUT(card, fault_fail_next, 120)
{
	static struct job_io j;
	uint8_t ref[CARD_PAGE];

	hook("qom-set " CARD_ID " fail-next 2");
	HOST_SYNC();
	job_random(&j, &algs[3], 8, 100);
	ASSERT_EQ(0, job_ref(&j, ref));
	EXPECT_EQ(GMRK_ST_EDEV, job_flat(self, &j, true));
	EXPECT_EQ(GMRK_ST_EDEV, job_flat(self, &j, true));
	ASSERT_EQ(GMRK_ST_OK, job_flat(self, &j, true));
	EXPECT_EQ(0, memcmp(ref, j.out, 100 + 16));
	EXPECT_EQ(2u, card_rd(&self->c, GMRK_REG_ERR_COUNT));
}

TEST_F_TIMEOUT(card, fault_corrupt_next, 120)
{
	static struct job_io j;
	uint8_t ref[CARD_PAGE];
	int diff = 0;

	hook("qom-set " CARD_ID " corrupt-next 1");
	HOST_SYNC();
	job_random(&j, &algs[2], 8, 100);
	ASSERT_EQ(0, job_ref(&j, ref));
	ASSERT_EQ(GMRK_ST_OK, job_flat(self, &j, true));
	for (int i = 0; i < 100 + 16; i++)
		diff += ref[i] != j.out[i];
	EXPECT_EQ(1, diff) TH_LOG("exactly one output byte flipped");
	/* Once only. */
	ASSERT_EQ(GMRK_ST_OK, job_flat(self, &j, true));
	EXPECT_EQ(0, memcmp(ref, j.out, 100 + 16));
	/* Not a device error: the card does not know. */
	EXPECT_EQ(0u, card_rd(&self->c, GMRK_REG_ERR_COUNT));
}

TEST_F_TIMEOUT(card, fault_stall_then_release, 120)
{
	struct card *c = &self->c;
	struct gmrk_desc d = desc_new(GMRK_OP_NOP, NULL, NULL, NULL, 0, 0);
	int i;

	hook("qom-set " CARD_ID " stall true");
	HOST_SYNC();
	ring_put(&self->r, &d);
	ring_doorbell(c, &self->r);
	/* Fetched ... */
	for (i = 0; i < WAIT_MS && card_qrd(c, 0, GMRK_Q_SQ_HEAD) != 1; i++)
		card_sleep_ms(1);
	ASSERT_EQ(1u, card_qrd(c, 0, GMRK_Q_SQ_HEAD));
	/* ... but not completed while stalled. */
	card_sleep_ms(300);
	EXPECT_EQ(0u, card_qrd(c, 0, GMRK_Q_CQ_TAIL));
	/* Released: it completes. */
	hook("qom-set " CARD_ID " stall false");
	ASSERT_EQ(1u, ring_wait(c, &self->r, 1, HOOK_WAIT_MS));
	EXPECT_EQ(le64toh(d.cookie), ring_cpl(&self->r, 0).cookie);
}

TEST_F_TIMEOUT(card, fault_stall_reset_drops_jobs, 120)
{
	struct card *c = &self->c;
	struct gmrk_desc d = desc_new(GMRK_OP_NOP, NULL, NULL, NULL, 0, 0);
	struct gmrk_cpl cpl;
	int i;

	hook("qom-set " CARD_ID " stall true");
	HOST_SYNC();
	ring_put(&self->r, &d);
	ring_doorbell(c, &self->r);
	for (i = 0; i < WAIT_MS && card_qrd(c, 0, GMRK_Q_SQ_HEAD) != 1; i++)
		card_sleep_ms(1);
	ASSERT_EQ(1u, card_qrd(c, 0, GMRK_Q_SQ_HEAD));
	/* Reset with the job in flight; the stall knob stays set. */
	ASSERT_EQ(0, card_reset(c));
	ring_free(&self->r);
	ASSERT_EQ(0, ring_setup(c, &self->r, 0, RING_SIZE));
	d = desc_new(GMRK_OP_NOP, NULL, NULL, NULL, 0, 0);
	ring_put(&self->r, &d);
	ring_doorbell(c, &self->r);
	hook("qom-set " CARD_ID " stall false");
	ASSERT_EQ(1u, ring_wait(c, &self->r, 1, HOOK_WAIT_MS));
	/* Only the new job completes; the dropped one never shows up. */
	card_sleep_ms(200);
	EXPECT_EQ(1u, card_qrd(c, 0, GMRK_Q_CQ_TAIL));
	cpl = ring_cpl(&self->r, 0);
	EXPECT_EQ(le64toh(d.cookie), cpl.cookie);
	EXPECT_EQ(0xeeeeeeeeeeeeeeeeull, ring_cpl(&self->r, 1).cookie);
}

TEST_F_TIMEOUT(card, fault_fatal, 120)
{
	struct card *c = &self->c;
	struct gmrk_desc d = desc_new(GMRK_OP_NOP, NULL, NULL, NULL, 0, 0);

	/* Raise FATAL and wait for it, without card_host_sync()'s reset. */
	card_hook_fatal(c, CARD_ID, HOOK_WAIT_MS);
	ASSERT_EQ(GMRK_STATUS_READY | GMRK_STATUS_FATAL, card_rd(c, GMRK_REG_STATUS));
	ring_put(&self->r, &d);
	ring_doorbell(c, &self->r);
	card_sleep_ms(300);
	EXPECT_EQ(0u, card_qrd(c, 0, GMRK_Q_SQ_HEAD)) TH_LOG("a fatal card fetches nothing");
	/* CTRL.RESET recovers it. */
	ASSERT_EQ(0, card_reset(c));
	EXPECT_EQ(GMRK_STATUS_READY, card_rd(c, GMRK_REG_STATUS));
	ring_free(&self->r);
	ASSERT_EQ(0, ring_setup(c, &self->r, 0, RING_SIZE));
	EXPECT_EQ(GMRK_ST_OK, ring_run(c, &self->r, &d));
}

TEST_F_TIMEOUT(card, fault_queue_full, 120)
{
	struct card *c = &self->c;
	struct gmrk_desc d = desc_new(GMRK_OP_NOP, NULL, NULL, NULL, 0, 0);

	hook("qom-set " CARD_ID " queue-full true");
	HOST_SYNC();
	ring_put(&self->r, &d);
	ring_doorbell(c, &self->r);
	card_sleep_ms(300);
	EXPECT_EQ(0u, card_qrd(c, 0, GMRK_Q_SQ_HEAD));
	hook("qom-set " CARD_ID " queue-full false");
	ASSERT_EQ(1u, ring_wait(c, &self->r, 1, HOOK_WAIT_MS));
	EXPECT_EQ(GMRK_ST_OK, ring_cpl(&self->r, 0).status);
}

TEST_F_TIMEOUT(card, latency_keeps_order, 120)
{
	struct card *c = &self->c;
	uint64_t first = next_cookie;

	hook("qom-set " CARD_ID " latency-us 20000");
	HOST_SYNC();
	for (int i = 0; i < 8; i++) {
		struct gmrk_desc d = desc_new(GMRK_OP_NOP, NULL, NULL, NULL, 0, 0);

		ring_put(&self->r, &d);
	}
	ring_doorbell(c, &self->r);
	ASSERT_EQ(8u, ring_wait(c, &self->r, 8, HOOK_WAIT_MS));
	for (uint32_t i = 0; i < 8; i++) {
		EXPECT_EQ(first + i, ring_cpl(&self->r, i).cookie);
	}
	hook("qom-set " CARD_ID " latency-us 0");
	/* The host's own view of the card agrees that work was done. */
	hook("expect " CARD_ID " jobs > 100");
}

TEST_HARNESS_MAIN

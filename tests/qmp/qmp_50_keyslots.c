// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The key slots of the QEMU gm-rk model (GMRK_CAP_KEYSLOTS, GMRK_OP_KEY_*
 * of driver/gmrk_hw.h), driven from guest userspace with no driver loaded
 * (card_access.c): KEY_GEN/PUB/UNWRAP/DESTROY and every status they have,
 * SM2 ciphertexts made here with OpenSSL (the selftests' sm2_ref.c, two
 * independent encryptions) and forged ones, slots surviving reset and
 * FATAL, jobs dropped by a reset never generating a key, the fault knobs,
 * a card with key-slots=0 and one with the most slots.
 *
 * The first boot of the "keys" scenario of tests/qmp/check.sh:
 *   -device gmrk,id=card0,keystore=FILE        (fresh file, 8 slots)
 *   -device gmrk,id=card1,key-slots=0
 *   -device gmrk,id=card2,key-slots=32
 * with --module none and "tests/qmp/qmp.py hook" as --host-hook. The last
 * test leaves keys in card0 and prints them as "GMRK-KEYSTORE: ..." lines,
 * which check.sh hands to the second boot (qmp_51_keystore) on the same
 * keystore file.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "card_access.h"
#include "card_keys.h"
#include "sm2_ref.h"

#define CARD_ID		"card0"
#define MAIN_SLOTS	8
#define MAX_SLOTS	GMRK_MAX_KEY_SLOTS
#define RING_SIZE	16
#define WAIT_MS		20000
#define HOOK_WAIT_MS	60000
#define PUB_LEN		GMRK_SM2_PUB_LEN
#define CT_MAX		(GMRK_SM2_OVERHEAD + GMRK_UNWRAP_MAX)
#define NOWHERE		(1ull << 46)	/* no RAM, no device there */

static uint64_t rng_state = 0x5eed5eed12345678ull;

static void rnd_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 7;
		rng_state ^= rng_state << 17;
		p[i] = (uint8_t)rng_state;
	}
}

static int bytes_differ(const uint8_t *a, const uint8_t *b, size_t n)
{
	int diff = 0;

	for (size_t i = 0; i < n; i++)
		diff += a[i] != b[i];
	return diff;
}

FIXTURE(keys) {
	struct card c;
	struct card_ring r;
	struct key_io io;
};

/* card0: the card with MAIN_SLOTS slots, ready; the test skips without one. */
#define OPEN_MAIN_CARD() do {							\
	int err = card_keys_open(&self->c, &self->r, &self->io, MAIN_SLOTS, RING_SIZE); \
										\
	if (err == -ENODEV)							\
		SKIP(return, "no gm-rk card with %u key slots in this VM", MAIN_SLOTS); \
	ASSERT_EQ(0, err) TH_LOG("card: %s", strerror(-err));			\
} while (0)

FIXTURE_SETUP(keys)
{
	OPEN_MAIN_CARD();
}

FIXTURE_TEARDOWN(keys)
{
	if (!self->c.bar)
		return;
	/* Leave the slots empty for the next test, whatever happened. */
	card_reset(&self->c);
	ring_free(&self->r);
	if (!ring_setup(&self->c, &self->r, 0, RING_SIZE))
		key_destroy_all(&self->c, &self->r);
	card_keys_close(&self->c, &self->r, &self->io);
}

/* Wait for the host to act on earlier hook requests (card_host_sync()). */
#define HOST_SYNC() \
	ASSERT_EQ(0, card_host_sync(&self->c, &self->r, CARD_ID, HOOK_WAIT_MS)) \
		TH_LOG("the host hook did not act (run with --host-hook 'tests/qmp/qmp.py hook')")

#define GEN(slot, pub) key_gen(&self->c, &self->r, &self->io, (slot), (pub))
#define PUB(slot, pub) key_pub(&self->c, &self->r, &self->io, (slot), (pub))
#define UNWRAP(slot, ct, n, m) key_unwrap(&self->c, &self->r, &self->io, (slot), (ct), (n), (m))
#define DESTROY(slot) key_destroy(&self->c, &self->r, (slot))

TEST_F(keys, identification)
{
	struct card *c = &self->c;

	EXPECT_EQ((uint32_t)GMRK_ID_MAGIC, card_rd(c, GMRK_REG_ID));
	EXPECT_EQ((1u << 16) | 1u, card_rd(c, GMRK_REG_VERSION));
	EXPECT_EQ(GMRK_CAP_AES_GCM | GMRK_CAP_SM4_GCM | GMRK_CAP_CHACHAPOLY |
		  GMRK_CAP_SG | GMRK_CAP_KEYSLOTS, card_rd(c, GMRK_REG_CAPS));
	EXPECT_EQ((uint32_t)MAIN_SLOTS, card_rd(c, GMRK_REG_KEY_SLOTS));
	/* A fresh keystore: nothing in it. */
	EXPECT_EQ(0u, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
	/* Past the key registers, the global block reads zero. */
	for (uint32_t off = GMRK_REG_KEY_SLOT_MAP + 4; off < GMRK_QREG_BASE; off += 4) {
		EXPECT_EQ(0u, card_rd(c, off)) TH_LOG("register 0x%x", off);
	}
	/* The key registers are read-only. */
	card_wr(c, GMRK_REG_KEY_SLOTS, 0);
	card_wr(c, GMRK_REG_KEY_SLOT_MAP, 0xff);
	EXPECT_EQ((uint32_t)MAIN_SLOTS, card_rd(c, GMRK_REG_KEY_SLOTS));
	EXPECT_EQ(0u, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
}

/* Every register of BAR0, except the ones a job legitimately moves. */
static void bar_snapshot(struct card *c, uint32_t *regs)
{
	for (uint32_t off = 0; off < GMRK_BAR_SIZE; off += 4) {
		uint32_t qoff = (off - GMRK_QREG_BASE) % GMRK_QREG_STRIDE;
		bool moving = off == GMRK_REG_INTR_STATUS || off == GMRK_REG_KEY_SLOT_MAP ||
			(off >= GMRK_QREG_BASE && (qoff == GMRK_Q_SQ_TAIL ||
			 qoff == GMRK_Q_SQ_HEAD || qoff == GMRK_Q_CQ_HEAD ||
			 qoff == GMRK_Q_CQ_TAIL));

		regs[off / 4] = moving ? 0 : card_rd(c, off);
	}
}

TEST_F(keys, gen_pub_destroy)
{
	static uint32_t before[GMRK_BAR_SIZE / 4], after[GMRK_BAR_SIZE / 4];
	uint8_t pub[PUB_LEN], pub2[PUB_LEN], again[PUB_LEN];
	struct card *c = &self->c;
	uint8_t m[16];

	bar_snapshot(c, before);
	ASSERT_EQ(GMRK_ST_OK, GEN(0, pub));
	EXPECT_EQ(0, sm2_point_check(pub)) TH_LOG("KEY_GEN returned no curve point");
	EXPECT_TRUE(key_out_poisoned(&self->io, PUB_LEN, CARD_PAGE - PUB_LEN))
		TH_LOG("KEY_GEN wrote past the public key");
	EXPECT_EQ(1u, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
	/* No register changed but the slot map: the key is not in BAR0. */
	bar_snapshot(c, after);
	EXPECT_EQ(0, memcmp(before, after, sizeof(before)));

	ASSERT_EQ(GMRK_ST_OK, PUB(0, again));
	EXPECT_EQ(0, memcmp(pub, again, PUB_LEN));
	/* Occupied: KEY_GEN refuses and writes nothing. */
	EXPECT_EQ(GMRK_ST_EEXIST, GEN(0, again));
	EXPECT_TRUE(key_out_poisoned(&self->io, 0, CARD_PAGE));
	ASSERT_EQ(GMRK_ST_OK, PUB(0, again));
	EXPECT_EQ(0, memcmp(pub, again, PUB_LEN)) TH_LOG("EEXIST changed the key");

	/* A second slot gets a different key. */
	ASSERT_EQ(GMRK_ST_OK, GEN(7, pub2));
	EXPECT_NE(0, memcmp(pub, pub2, PUB_LEN));
	EXPECT_EQ(0x81u, card_rd(c, GMRK_REG_KEY_SLOT_MAP));

	ASSERT_EQ(GMRK_ST_OK, DESTROY(0));
	EXPECT_EQ(0x80u, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
	/* Empty: every command but KEY_GEN says ENOKEY and writes nothing. */
	EXPECT_EQ(GMRK_ST_ENOKEY, PUB(0, again));
	EXPECT_TRUE(key_out_poisoned(&self->io, 0, CARD_PAGE));
	EXPECT_EQ(GMRK_ST_ENOKEY, DESTROY(0));
	memset(self->io.in.va, 0, CARD_PAGE);
	EXPECT_EQ(GMRK_ST_ENOKEY, UNWRAP(0, self->io.in.va, sizeof(m), m));
	EXPECT_TRUE(key_out_poisoned(&self->io, 0, CARD_PAGE));
	/* Regenerated: a new key, not the old one back. */
	ASSERT_EQ(GMRK_ST_OK, GEN(0, again));
	EXPECT_NE(0, memcmp(pub, again, PUB_LEN));
	EXPECT_EQ(0x81u, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
	/* Slot 7 never noticed. */
	ASSERT_EQ(GMRK_ST_OK, PUB(7, again));
	EXPECT_EQ(0, memcmp(pub2, again, PUB_LEN));
	/* ENOKEY and EEXIST count as errors, like every status but OK/EBADMSG. */
	EXPECT_EQ(4u, card_rd(c, GMRK_REG_ERR_COUNT));
}

TEST_F_TIMEOUT(keys, unwrap_round_trip, 120)
{
	static const uint32_t lens[] = { 1, 2, 15, 16, 31, 32, 33, 48, 63, 64 };
	uint8_t pub[PUB_LEN], ct[CT_MAX], m[GMRK_UNWRAP_MAX], got[GMRK_UNWRAP_MAX];

	ASSERT_EQ(GMRK_ST_OK, GEN(3, pub));
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint32_t n = lens[i];

		for (int evp = 0; evp < 2; evp++) {
			rnd_fill(m, n);
			ASSERT_EQ(0, evp ? sm2_encrypt_evp(pub, m, n, ct) : sm2_encrypt(pub, m, n, ct));
			ASSERT_EQ(GMRK_ST_OK, UNWRAP(3, ct, n, got))
				TH_LOG("%s ciphertext, %u bytes", evp ? "EVP" : "EC", n);
			EXPECT_EQ(0, memcmp(m, got, n))
				TH_LOG("%s ciphertext, %u bytes: wrong message", evp ? "EVP" : "EC", n);
			/* Exactly data_len bytes written, though dst_len is a page. */
			EXPECT_TRUE(key_out_poisoned(&self->io, n, CARD_PAGE - n));
		}
	}
	EXPECT_EQ(0u, card_rd(&self->c, GMRK_REG_ERR_COUNT));
}

/* src and dst the same memory: the device reads all input first. */
TEST_F(keys, unwrap_in_place)
{
	uint8_t pub[PUB_LEN], ct[CT_MAX], m[40];
	struct gmrk_desc d = key_desc(GMRK_OP_KEY_UNWRAP, 1, sizeof(m));

	ASSERT_EQ(GMRK_ST_OK, GEN(1, pub));
	rnd_fill(m, sizeof(m));
	ASSERT_EQ(0, sm2_encrypt(pub, m, sizeof(m), ct));
	memcpy(self->io.in.va, ct, GMRK_SM2_OVERHEAD + sizeof(m));
	key_desc_io(&d, self->io.in.pa, GMRK_SM2_OVERHEAD + sizeof(m), self->io.in.pa,
		    GMRK_SM2_OVERHEAD + sizeof(m));
	ASSERT_EQ(GMRK_ST_OK, ring_run(&self->c, &self->r, &d));
	EXPECT_EQ(0, memcmp(m, self->io.in.va, sizeof(m)));
	/* Beyond the message the ciphertext is untouched. */
	EXPECT_EQ(0, memcmp(ct + sizeof(m), self->io.in.va + sizeof(m), GMRK_SM2_OVERHEAD));
}

/* One forgery: EBADMSG, and not one byte of dst written. */
#define EXPECT_FORGED(ct, n, what) do {						\
		EXPECT_EQ(GMRK_ST_EBADMSG, UNWRAP(2, (ct), (n), got)) TH_LOG(what);	\
		EXPECT_TRUE(key_out_poisoned(&self->io, 0, CARD_PAGE)) TH_LOG(what ": dst written"); \
	} while (0)

TEST_F_TIMEOUT(keys, unwrap_forged, 120)
{
	uint8_t pub[PUB_LEN], pub5[PUB_LEN], ct[CT_MAX], bad[CT_MAX], m[32], got[64];
	uint8_t pt[PUB_LEN];
	const uint32_t n = sizeof(m), len = GMRK_SM2_OVERHEAD + n;

	ASSERT_EQ(GMRK_ST_OK, GEN(2, pub));
	ASSERT_EQ(GMRK_ST_OK, GEN(5, pub5));
	rnd_fill(m, n);
	ASSERT_EQ(0, sm2_encrypt(pub, m, n, ct));
	ASSERT_EQ(GMRK_ST_OK, UNWRAP(2, ct, n, got));
	ASSERT_EQ(0, memcmp(m, got, n));

	/* Any flipped bit of C3 or C2 */
	for (uint32_t i = GMRK_SM2_PUB_LEN; i < len; i += 7) {
		memcpy(bad, ct, len);
		bad[i] ^= 1u << (i % 8);
		EXPECT_FORGED(bad, n, "flipped C3/C2 bit");
	}
	/* C1 with another prefix: compressed forms, infinity, junk */
	for (unsigned int p = 0; p < 8; p++) {
		if (p == 4)
			continue;
		memcpy(bad, ct, len);
		bad[0] = (uint8_t)p;
		EXPECT_FORGED(bad, n, "C1 prefix not 0x04");
	}
	/* C1 off the curve: Y + 1, X flipped */
	memcpy(bad, ct, len);
	bad[GMRK_SM2_PUB_LEN - 1] ^= 1;
	ASSERT_NE(0, sm2_point_check(bad));
	EXPECT_FORGED(bad, n, "C1 with Y off the curve");
	memcpy(bad, ct, len);
	bad[5] ^= 0x10;
	EXPECT_FORGED(bad, n, "C1 with X changed");
	/* C1 all zero after the prefix (no encoding of infinity here) */
	memcpy(bad, ct, len);
	memset(bad + 1, 0, GMRK_SM2_PUB_LEN - 1);
	EXPECT_FORGED(bad, n, "C1 = (0, 0)");
	memset(bad, 0, GMRK_SM2_PUB_LEN);
	EXPECT_FORGED(bad, n, "C1 all zero");
	/* C1 a different curve point: -C1, a random one, X not below p */
	memcpy(bad, ct, len);
	ASSERT_EQ(0, sm2_point_negate(ct, bad));
	EXPECT_FORGED(bad, n, "C1 negated");
	ASSERT_EQ(0, sm2_random_point(pt));
	memcpy(bad, pt, GMRK_SM2_PUB_LEN);
	EXPECT_FORGED(bad, n, "C1 another point");
	ASSERT_EQ(0, sm2_point_noncanonical(pt));
	memcpy(bad, pt, GMRK_SM2_PUB_LEN);
	EXPECT_FORGED(bad, n, "C1 with X >= p");
	/* C1 || C2 || C3, the older order */
	memcpy(bad, ct, GMRK_SM2_PUB_LEN);
	memcpy(bad + GMRK_SM2_PUB_LEN, ct + GMRK_SM2_OVERHEAD, n);
	memcpy(bad + GMRK_SM2_PUB_LEN + n, ct + GMRK_SM2_PUB_LEN, GMRK_SM2_C3_LEN);
	EXPECT_FORGED(bad, n, "C1 || C2 || C3 order");
	/* Made for slot 5's key */
	ASSERT_EQ(0, sm2_encrypt(pub5, m, n, bad));
	EXPECT_FORGED(bad, n, "ciphertext for another slot");
	ASSERT_EQ(GMRK_ST_OK, UNWRAP(5, bad, n, got));
	EXPECT_EQ(0, memcmp(m, got, n));
	/* A shorter message: C2 cut, C3 no longer matches */
	EXPECT_FORGED(ct, n - 1, "C2 truncated");
	/* The original still opens: the slot is unharmed by all that. */
	ASSERT_EQ(GMRK_ST_OK, UNWRAP(2, ct, n, got));
	EXPECT_EQ(0, memcmp(m, got, n));
	/* Rejected ciphertexts are results, not device errors. */
	EXPECT_EQ(0u, card_rd(&self->c, GMRK_REG_ERR_COUNT));
}

TEST_F(keys, descriptor_errors)
{
	struct key_io *io = &self->io;
	uint8_t pub[PUB_LEN], ct[CT_MAX], m[20], got[20];
	struct gmrk_desc d;
	uint32_t errs = 0;

	ASSERT_EQ(GMRK_ST_OK, GEN(4, pub));
	rnd_fill(m, sizeof(m));
	ASSERT_EQ(0, sm2_encrypt(pub, m, sizeof(m), ct));
	memcpy(io->in.va, ct, GMRK_SM2_OVERHEAD + sizeof(m));

#define EXPECT_STATUS(st, what) do {						\
		memset(io->out.va, KEY_POISON, CARD_PAGE);			\
		EXPECT_EQ(st, ring_run(&self->c, &self->r, &d)) TH_LOG(what);	\
		EXPECT_TRUE(key_out_poisoned(io, 0, CARD_PAGE)) TH_LOG(what ": dst written"); \
		errs++;								\
	} while (0)
#define PUBD(s) (d = key_desc(GMRK_OP_KEY_PUB, (s), PUB_LEN),			\
		 key_desc_io(&d, 0, 0, io->out.pa, PUB_LEN))
#define GEND(s) (d = key_desc(GMRK_OP_KEY_GEN, (s), PUB_LEN),			\
		 key_desc_io(&d, 0, 0, io->out.pa, PUB_LEN))
#define UNWD(s) (d = key_desc(GMRK_OP_KEY_UNWRAP, (s), sizeof(m)),		\
		 key_desc_io(&d, io->in.pa, GMRK_SM2_OVERHEAD + sizeof(m), io->out.pa, sizeof(m)))
#define DESD(s) (d = key_desc(GMRK_OP_KEY_DESTROY, (s), 0))

	/* Slot numbers */
	PUBD(MAIN_SLOTS);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_PUB slot == KEY_SLOTS");
	PUBD(0xffff);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_PUB slot 0xffff");
	GEND(MAIN_SLOTS);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_GEN slot == KEY_SLOTS");
	UNWD(MAIN_SLOTS);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_UNWRAP slot == KEY_SLOTS");
	DESD(MAIN_SLOTS);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_DESTROY slot == KEY_SLOTS");
	/* Fields that must be zero or fixed */
	PUBD(4); d.alg = 0;
	EXPECT_STATUS(GMRK_ST_EINVAL, "alg 0");
	PUBD(4); d.alg = GMRK_ALG_SM4_GCM;
	EXPECT_STATUS(GMRK_ST_EINVAL, "alg SM4-GCM");
	PUBD(4); d.key_len = 16;
	EXPECT_STATUS(GMRK_ST_EINVAL, "key_len 16");
	PUBD(4); d.tag_len = 16;
	EXPECT_STATUS(GMRK_ST_EINVAL, "tag_len 16");
	PUBD(4); d.iv_len = GMRK_IV_LEN;
	EXPECT_STATUS(GMRK_ST_EINVAL, "iv_len 12");
	UNWD(4); d.aad_len = htole32(1);
	EXPECT_STATUS(GMRK_ST_EINVAL, "aad_len 1");
	PUBD(4); d.flags = GMRK_DF_SGL;
	EXPECT_STATUS(GMRK_ST_EINVAL, "SG list");
	PUBD(4); d.flags = 0x80;
	EXPECT_STATUS(GMRK_ST_EINVAL, "reserved flag");
	/* KEY_GEN / KEY_PUB lengths */
	PUBD(4); d.data_len = htole32(64);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_PUB data_len 64");
	PUBD(4); d.data_len = htole32(66); d.dst_len = htole32(66);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_PUB data_len 66");
	PUBD(4); d.dst_len = htole32(PUB_LEN - 1);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_PUB dst_len 64");
	PUBD(4); d.src_len = htole32(1); d.src_addr = htole64(io->in.pa);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_PUB src_len 1");
	GEND(5); d.dst_len = htole32(PUB_LEN - 1);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_GEN dst_len 64");
	GEND(5); d.src_len = htole32(PUB_LEN); d.src_addr = htole64(io->in.pa);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_GEN src_len 65");
	PUBD(4); d.dst_addr = htole64(~0ull - 8);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_PUB dst wraps the address space");
	/* KEY_UNWRAP lengths */
	UNWD(4); d.data_len = 0; d.src_len = htole32(GMRK_SM2_OVERHEAD);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_UNWRAP data_len 0");
	UNWD(4); d.data_len = htole32(GMRK_UNWRAP_MAX + 1);
	d.src_len = htole32(GMRK_SM2_OVERHEAD + GMRK_UNWRAP_MAX + 1);
	d.dst_len = htole32(CARD_PAGE);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_UNWRAP data_len 65");
	UNWD(4); d.src_len = htole32(GMRK_SM2_OVERHEAD + sizeof(m) + 1);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_UNWRAP src_len one too many");
	UNWD(4); d.src_len = htole32(GMRK_SM2_OVERHEAD + sizeof(m) - 1);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_UNWRAP src_len one short");
	UNWD(4); d.dst_len = htole32(sizeof(m) - 1);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_UNWRAP dst_len below data_len");
	UNWD(4); d.src_addr = htole64(~0ull - 64);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_UNWRAP src wraps the address space");
	/* KEY_DESTROY lengths: the key must survive all of these */
	DESD(4); d.src_len = htole32(1);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_DESTROY src_len 1");
	DESD(4); d.dst_len = htole32(1);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_DESTROY dst_len 1");
	DESD(4); d.data_len = htole32(1);
	EXPECT_STATUS(GMRK_ST_EINVAL, "KEY_DESTROY data_len 1");
	/* A key opcode on an AEAD algorithm, an AEAD opcode on SM2 */
	d = key_desc(GMRK_OP_ENCRYPT, 0, 16);
	d.iv_len = GMRK_IV_LEN;
	d.tag_len = 16;
	key_desc_io(&d, io->in.pa, 16, io->out.pa, 32);
	EXPECT_STATUS(GMRK_ST_ENOTSUPP, "ENCRYPT with alg SM2");
	/* DMA the bus refuses */
	PUBD(4); d.dst_addr = htole64(NOWHERE);
	EXPECT_STATUS(GMRK_ST_EDMA, "KEY_PUB dst not backed");
	UNWD(4); d.src_addr = htole64(NOWHERE);
	EXPECT_STATUS(GMRK_ST_EDMA, "KEY_UNWRAP src not backed");
	UNWD(4); d.dst_addr = htole64(NOWHERE);
	EXPECT_STATUS(GMRK_ST_EDMA, "KEY_UNWRAP dst not backed");
	/* KEY_GEN with nowhere to put the public key generates nothing. */
	GEND(6); d.dst_addr = htole64(NOWHERE);
	EXPECT_STATUS(GMRK_ST_EDMA, "KEY_GEN dst not backed");
	EXPECT_EQ(0x10u, card_rd(&self->c, GMRK_REG_KEY_SLOT_MAP));

	/* The slot and the queue survive all of it. */
	ASSERT_EQ(GMRK_ST_OK, PUB(4, ct));
	EXPECT_EQ(0, memcmp(pub, ct, PUB_LEN));
	ASSERT_EQ(0, sm2_encrypt(pub, m, sizeof(m), ct));
	ASSERT_EQ(GMRK_ST_OK, UNWRAP(4, ct, sizeof(m), got));
	EXPECT_EQ(0, memcmp(m, got, sizeof(m)));
	EXPECT_EQ(GMRK_QSTATUS_ENABLED, card_qrd(&self->c, 0, GMRK_Q_STATUS));
	EXPECT_EQ(errs, card_rd(&self->c, GMRK_REG_ERR_COUNT));
#undef EXPECT_STATUS
#undef PUBD
#undef GEND
#undef UNWD
#undef DESD
}

/* Several key jobs in one submission, on two queues at once. */
TEST_F(keys, batches_and_queues)
{
	uint8_t pub[PUB_LEN], ct[6][CT_MAX], m[6][GMRK_UNWRAP_MAX];
	struct card *c = &self->c;
	struct card_ring r1;
	struct key_io io1;
	struct gmrk_desc d;
	uint32_t base;
	int ok = 0, exist = 0;

	ASSERT_EQ(GMRK_ST_OK, GEN(0, pub));
	/* Six unwraps of different lengths and a NOP, one doorbell */
	for (int i = 0; i < 6; i++) {
		uint32_t n = 10 * (uint32_t)i + 4;

		rnd_fill(m[i], n);
		ASSERT_EQ(0, sm2_encrypt(pub, m[i], n, ct[i]));
		memcpy(self->io.in.va + i * 256, ct[i], GMRK_SM2_OVERHEAD + n);
		d = key_desc(GMRK_OP_KEY_UNWRAP, 0, n);
		d.cookie = htole64(100 + i);
		key_desc_io(&d, self->io.in.pa + i * 256, GMRK_SM2_OVERHEAD + n,
			    self->io.out.pa + i * 256, n);
		ring_put(&self->r, &d);
	}
	memset(&d, 0, sizeof(d));
	d.cookie = htole64(106);
	ring_put(&self->r, &d);
	memset(self->io.out.va, KEY_POISON, CARD_PAGE);
	ring_doorbell(c, &self->r);
	ASSERT_EQ(7u, ring_wait(c, &self->r, 7, WAIT_MS));
	for (uint32_t i = 0; i < 7; i++) {
		struct gmrk_cpl cpl = ring_cpl(&self->r, i);

		EXPECT_EQ(GMRK_ST_OK, cpl.status) TH_LOG("job %llu", (unsigned long long)cpl.cookie);
		ASSERT_TRUE(cpl.cookie >= 100 && cpl.cookie <= 106);
		if (cpl.cookie == 106)
			continue;
		base = (uint32_t)(cpl.cookie - 100);
		EXPECT_EQ(0, memcmp(m[base], self->io.out.va + base * 256, 10 * base + 4));
	}
	ring_consume(c, &self->r, 7);

	/* The same empty slot generated from queues 0 and 1 at once: one wins. */
	ASSERT_EQ(0, ring_setup(c, &r1, 1, RING_SIZE));
	ASSERT_EQ(0, key_io_alloc(c, &io1));
	d = key_desc(GMRK_OP_KEY_GEN, 6, PUB_LEN);
	key_desc_io(&d, 0, 0, self->io.out.pa, PUB_LEN);
	ring_put(&self->r, &d);
	d = key_desc(GMRK_OP_KEY_GEN, 6, PUB_LEN);
	key_desc_io(&d, 0, 0, io1.out.pa, PUB_LEN);
	ring_put(&r1, &d);
	memset(self->io.out.va, KEY_POISON, CARD_PAGE);
	memset(io1.out.va, KEY_POISON, CARD_PAGE);
	ring_doorbell(c, &self->r);
	ring_doorbell(c, &r1);
	ASSERT_EQ(1u, ring_wait(c, &self->r, 1, WAIT_MS));
	ASSERT_EQ(1u, ring_wait(c, &r1, 1, WAIT_MS));
	for (int q = 0; q < 2; q++) {
		struct card_ring *r = q ? &r1 : &self->r;
		uint16_t st = ring_cpl(r, 0).status;

		ok += st == GMRK_ST_OK;
		exist += st == GMRK_ST_EEXIST;
		if (st == GMRK_ST_OK)
			memcpy(ct[0], (q ? &io1 : &self->io)->out.va, PUB_LEN);
	}
	ring_consume(c, &self->r, 1);
	ring_consume(c, &r1, 1);
	EXPECT_EQ(1, ok);
	EXPECT_EQ(1, exist);
	ASSERT_EQ(GMRK_ST_OK, PUB(6, pub));
	EXPECT_EQ(0, memcmp(ct[0], pub, PUB_LEN)) TH_LOG("the winner's key is the slot's");
	card_qwr(c, 1, GMRK_Q_CTRL, 0);
	ring_free(&r1);
	key_io_free(&io1);
}

/* Slots are non-volatile: CTRL.RESET and FATAL leave them be. */
TEST_F_TIMEOUT(keys, reset_and_fatal_keep_keys, 120)
{
	uint8_t pub[PUB_LEN], again[PUB_LEN], ct[CT_MAX], m[24], got[24];
	struct card *c = &self->c;
	struct gmrk_desc d;
	uint32_t head;

	ASSERT_EQ(GMRK_ST_OK, GEN(1, pub));
	rnd_fill(m, sizeof(m));
	ASSERT_EQ(0, sm2_encrypt(pub, m, sizeof(m), ct));
	ASSERT_EQ(0, card_reset(c));
	EXPECT_EQ(2u, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
	ring_free(&self->r);
	ASSERT_EQ(0, ring_setup(c, &self->r, 0, RING_SIZE));
	ASSERT_EQ(GMRK_ST_OK, PUB(1, again));
	EXPECT_EQ(0, memcmp(pub, again, PUB_LEN));

	/* FATAL: no key command runs, the slot is still there after reset. */
	card_hook_fatal(c, CARD_ID, HOOK_WAIT_MS);
	ASSERT_NE(0u, card_rd(c, GMRK_REG_STATUS) & GMRK_STATUS_FATAL);
	EXPECT_EQ(2u, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
	d = key_desc(GMRK_OP_KEY_DESTROY, 1, 0);
	head = card_qrd(c, 0, GMRK_Q_SQ_HEAD);
	ring_put(&self->r, &d);
	ring_doorbell(c, &self->r);
	card_sleep_ms(300);
	EXPECT_EQ(head, card_qrd(c, 0, GMRK_Q_SQ_HEAD)) TH_LOG("a fatal card fetches nothing");
	ASSERT_EQ(0, card_reset(c));
	EXPECT_EQ(GMRK_STATUS_READY, card_rd(c, GMRK_REG_STATUS));
	EXPECT_EQ(2u, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
	ring_free(&self->r);
	ASSERT_EQ(0, ring_setup(c, &self->r, 0, RING_SIZE));
	ASSERT_EQ(GMRK_ST_OK, UNWRAP(1, ct, sizeof(m), got));
	EXPECT_EQ(0, memcmp(m, got, sizeof(m)));
}

/* A fetched KEY_GEN/KEY_DESTROY dropped by a reset never happens. */
TEST_F_TIMEOUT(keys, reset_drops_key_jobs, 120)
{
	uint8_t pub[PUB_LEN], again[PUB_LEN];
	struct card *c = &self->c;
	struct gmrk_desc d;
	int i;

	ASSERT_EQ(GMRK_ST_OK, GEN(2, pub));
	hook("qom-set " CARD_ID " stall true");
	HOST_SYNC();
	d = key_desc(GMRK_OP_KEY_GEN, 5, PUB_LEN);
	key_desc_io(&d, 0, 0, self->io.out.pa, PUB_LEN);
	ring_put(&self->r, &d);
	d = key_desc(GMRK_OP_KEY_DESTROY, 2, 0);
	ring_put(&self->r, &d);
	ring_doorbell(c, &self->r);
	for (i = 0; i < WAIT_MS && card_qrd(c, 0, GMRK_Q_SQ_HEAD) != 2; i++)
		card_sleep_ms(1);
	ASSERT_EQ(2u, card_qrd(c, 0, GMRK_Q_SQ_HEAD));
	card_sleep_ms(200);
	EXPECT_EQ(0x4u, card_rd(c, GMRK_REG_KEY_SLOT_MAP)) TH_LOG("a stalled job ran");
	ASSERT_EQ(0, card_reset(c));
	hook("qom-set " CARD_ID " stall false");
	ring_free(&self->r);
	ASSERT_EQ(0, ring_setup(c, &self->r, 0, RING_SIZE));
	/* Wait until the host released the stall: a NOP completes. */
	memset(&d, 0, sizeof(d));
	d.cookie = htole64(42);
	ring_put(&self->r, &d);
	ring_doorbell(c, &self->r);
	ASSERT_EQ(1u, ring_wait(c, &self->r, 1, HOOK_WAIT_MS));
	ring_consume(c, &self->r, 1);
	EXPECT_EQ(0x4u, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
	ASSERT_EQ(GMRK_ST_OK, PUB(2, again));
	EXPECT_EQ(0, memcmp(pub, again, PUB_LEN));
	EXPECT_EQ(GMRK_ST_ENOKEY, PUB(5, again));
}

TEST_F_TIMEOUT(keys, fault_fail_next, 120)
{
	uint8_t pub[PUB_LEN], ct[CT_MAX], m[8], got[8];

	ASSERT_EQ(GMRK_ST_OK, GEN(0, pub));
	rnd_fill(m, sizeof(m));
	ASSERT_EQ(0, sm2_encrypt(pub, m, sizeof(m), ct));
	hook("qom-set " CARD_ID " fail-next 4");
	HOST_SYNC();
	/* Each failed command has no effect and writes nothing. */
	EXPECT_EQ(GMRK_ST_EDEV, GEN(3, pub));
	EXPECT_TRUE(key_out_poisoned(&self->io, 0, CARD_PAGE));
	EXPECT_EQ(1u, card_rd(&self->c, GMRK_REG_KEY_SLOT_MAP));
	EXPECT_EQ(GMRK_ST_EDEV, DESTROY(0));
	EXPECT_EQ(1u, card_rd(&self->c, GMRK_REG_KEY_SLOT_MAP));
	EXPECT_EQ(GMRK_ST_EDEV, UNWRAP(0, ct, sizeof(m), got));
	EXPECT_TRUE(key_out_poisoned(&self->io, 0, CARD_PAGE));
	EXPECT_EQ(GMRK_ST_EDEV, PUB(0, pub));
	EXPECT_EQ(4u, card_rd(&self->c, GMRK_REG_ERR_COUNT));
	/* Then everything works again. */
	ASSERT_EQ(GMRK_ST_OK, UNWRAP(0, ct, sizeof(m), got));
	EXPECT_EQ(0, memcmp(m, got, sizeof(m)));
	EXPECT_EQ(GMRK_ST_OK, GEN(3, pub));
	EXPECT_EQ(9u, card_rd(&self->c, GMRK_REG_KEY_SLOT_MAP));
}

TEST_F_TIMEOUT(keys, fault_corrupt_next, 120)
{
	uint8_t pub[PUB_LEN], got[PUB_LEN], ct[CT_MAX], m[33], mgot[33];

	ASSERT_EQ(GMRK_ST_OK, GEN(6, pub));
	rnd_fill(m, sizeof(m));
	ASSERT_EQ(0, sm2_encrypt(pub, m, sizeof(m), ct));
	hook("qom-set " CARD_ID " corrupt-next 2");
	HOST_SYNC();
	/* The card does not know: OK, with exactly one byte flipped. */
	ASSERT_EQ(GMRK_ST_OK, PUB(6, got));
	EXPECT_EQ(1, bytes_differ(pub, got, PUB_LEN));
	ASSERT_EQ(GMRK_ST_OK, UNWRAP(6, ct, sizeof(m), mgot));
	EXPECT_EQ(1, bytes_differ(m, mgot, sizeof(m)));
	/* Twice only; the stored key was never touched. */
	ASSERT_EQ(GMRK_ST_OK, PUB(6, got));
	EXPECT_EQ(0, memcmp(pub, got, PUB_LEN));
	ASSERT_EQ(GMRK_ST_OK, UNWRAP(6, ct, sizeof(m), mgot));
	EXPECT_EQ(0, memcmp(m, mgot, sizeof(m)));
	EXPECT_EQ(0u, card_rd(&self->c, GMRK_REG_ERR_COUNT));
}

/* ---- The other two cards ---- */

FIXTURE(other) {
	struct card c;
	struct card_ring r;
	struct key_io io;
};

FIXTURE_SETUP(other)
{
}

FIXTURE_TEARDOWN(other)
{
	card_keys_close(&self->c, &self->r, &self->io);
}

static int other_open(FIXTURE_DATA(other) *self, uint32_t slots)
{
	return card_keys_open(&self->c, &self->r, &self->io, slots, RING_SIZE);
}

TEST_F(other, no_key_slots)
{
	uint8_t pub[PUB_LEN], m[8];
	struct card *c = &self->c;
	struct gmrk_desc d;

	ASSERT_EQ(0, other_open(self, 0)) TH_LOG("no card with key-slots=0");
	EXPECT_EQ((1u << 16) | 1u, card_rd(c, GMRK_REG_VERSION));
	EXPECT_EQ(GMRK_CAP_AES_GCM | GMRK_CAP_SM4_GCM | GMRK_CAP_CHACHAPOLY |
		  GMRK_CAP_SG, card_rd(c, GMRK_REG_CAPS));
	EXPECT_EQ(0u, card_rd(c, GMRK_REG_KEY_SLOTS));
	EXPECT_EQ(0u, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
	/* Without CAP_KEYSLOTS every key command is malformed. */
	EXPECT_EQ(GMRK_ST_EINVAL, key_gen(c, &self->r, &self->io, 0, pub));
	EXPECT_TRUE(key_out_poisoned(&self->io, 0, CARD_PAGE));
	EXPECT_EQ(GMRK_ST_EINVAL, key_pub(c, &self->r, &self->io, 0, pub));
	memset(self->io.in.va, 0, CARD_PAGE);
	EXPECT_EQ(GMRK_ST_EINVAL, key_unwrap(c, &self->r, &self->io, 0, self->io.in.va,
					     sizeof(m), m));
	EXPECT_EQ(GMRK_ST_EINVAL, key_destroy(c, &self->r, 0));
	EXPECT_EQ(0u, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
	/* The card works otherwise. */
	memset(&d, 0, sizeof(d));
	d.cookie = htole64(7);
	EXPECT_EQ(GMRK_ST_OK, ring_run(c, &self->r, &d));
}

TEST_F_TIMEOUT(other, all_slots, 120)
{
	static uint8_t pubs[MAX_SLOTS][PUB_LEN];
	uint8_t pub[PUB_LEN], ct[CT_MAX], m[GMRK_UNWRAP_MAX], got[GMRK_UNWRAP_MAX];
	struct card *c = &self->c;
	uint32_t map = 0;

	ASSERT_EQ(0, other_open(self, MAX_SLOTS)) TH_LOG("no card with key-slots=%d", MAX_SLOTS);
	EXPECT_NE(0u, card_rd(c, GMRK_REG_CAPS) & GMRK_CAP_KEYSLOTS);
	ASSERT_EQ(0u, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
	for (unsigned int s = 0; s < MAX_SLOTS; s++) {
		ASSERT_EQ(GMRK_ST_OK, key_gen(c, &self->r, &self->io, s, pubs[s])) TH_LOG("slot %u", s);
		ASSERT_EQ(0, sm2_point_check(pubs[s]));
		for (unsigned int t = 0; t < s; t++) {
			ASSERT_NE(0, memcmp(pubs[s], pubs[t], PUB_LEN)) TH_LOG("slots %u and %u", s, t);
		}
		map |= 1u << s;
		EXPECT_EQ(map, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
	}
	EXPECT_EQ(0xffffffffu, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
	EXPECT_EQ(GMRK_ST_EINVAL, key_gen(c, &self->r, &self->io, MAX_SLOTS, pub));
	/* Each slot opens its own ciphertexts only. */
	for (unsigned int s = 0; s < MAX_SLOTS; s += 31) {
		rnd_fill(m, sizeof(m));
		ASSERT_EQ(0, sm2_encrypt_evp(pubs[s], m, sizeof(m), ct));
		ASSERT_EQ(GMRK_ST_OK, key_unwrap(c, &self->r, &self->io, s, ct, sizeof(m), got));
		EXPECT_EQ(0, memcmp(m, got, sizeof(m)));
		EXPECT_EQ(GMRK_ST_EBADMSG, key_unwrap(c, &self->r, &self->io, s ^ 1, ct,
						      sizeof(m), got));
	}
	for (unsigned int s = 0; s < MAX_SLOTS; s++) {
		ASSERT_EQ(GMRK_ST_OK, key_destroy(c, &self->r, s));
	}
	EXPECT_EQ(0u, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
}

/* ---- Last: leave keys in the keystore for the second boot ---- */

FIXTURE(keystore) {
	struct card c;
	struct card_ring r;
	struct key_io io;
};

FIXTURE_SETUP(keystore)
{
	OPEN_MAIN_CARD();
}

/* Keys stay: the second boot checks them. */
FIXTURE_TEARDOWN(keystore)
{
	card_keys_close(&self->c, &self->r, &self->io);
}

/*
 * Slots 2 and 7 get keys and each a ciphertext; printed as
 *   GMRK-KEYSTORE: map 0x84
 *   GMRK-KEYSTORE: pub SLOT HEX
 *   GMRK-KEYSTORE: ct SLOT CIPHERTEXT-HEX MESSAGE-HEX
 */
TEST_F(keystore, first_boot)
{
	static const unsigned int slots[] = { 2, 7 };
	static const uint32_t lens[] = { 1, GMRK_UNWRAP_MAX };
	char hex[2 * CT_MAX + 1], mhex[2 * GMRK_UNWRAP_MAX + 1];
	uint8_t pub[PUB_LEN], ct[CT_MAX], m[GMRK_UNWRAP_MAX], got[GMRK_UNWRAP_MAX];
	struct card *c = &self->c;

	ASSERT_EQ(0u, card_rd(c, GMRK_REG_KEY_SLOT_MAP)) TH_LOG("earlier tests left keys");
	for (int i = 0; i < 2; i++) {
		unsigned int s = slots[i];
		uint32_t n = lens[i];

		ASSERT_EQ(GMRK_ST_OK, key_gen(c, &self->r, &self->io, s, pub));
		rnd_fill(m, n);
		ASSERT_EQ(0, sm2_encrypt(pub, m, n, ct));
		ASSERT_EQ(GMRK_ST_OK, key_unwrap(c, &self->r, &self->io, s, ct, n, got));
		ASSERT_EQ(0, memcmp(m, got, n));
		sm2_hex(pub, PUB_LEN, hex);
		printf("GMRK-KEYSTORE: pub %u %s\n", s, hex);
		sm2_hex(ct, GMRK_SM2_OVERHEAD + n, hex);
		sm2_hex(m, n, mhex);
		printf("GMRK-KEYSTORE: ct %u %s %s\n", s, hex, mhex);
	}
	ASSERT_EQ(0x84u, card_rd(c, GMRK_REG_KEY_SLOT_MAP));
	printf("GMRK-KEYSTORE: map 0x%x\n", card_rd(c, GMRK_REG_KEY_SLOT_MAP));
	fflush(stdout);
	/* The host sees the same slots. */
	hook("expect " CARD_ID " key-slot-map == 132");
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The second boot of the "keys" scenario of tests/qmp/check.sh: a new QEMU
 * process whose card0 uses the keystore file the first boot
 * (qmp_50_keyslots) left keys in. What that boot printed as
 * "GMRK-KEYSTORE: ..." lines arrives here as /extra/keystore-boot1.txt
 * (without the prefix). Checks that the same slots hold the same public
 * keys and that ciphertexts made in the first boot unwrap here, then
 * changes the slots once more (destroy one, generate one) and prints the
 * new map as "GMRK-KEYSTORE: map ..." for check.sh to verify on the file
 * from the host.
 */
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
#define RING_SIZE	16
#define BOOT1		"/extra/keystore-boot1.txt"
#define PUB_LEN		GMRK_SM2_PUB_LEN
#define CT_MAX		(GMRK_SM2_OVERHEAD + GMRK_UNWRAP_MAX)

/* What the first boot left. */
struct boot1 {
	uint32_t map;
	bool have_map;
	bool have_pub[MAIN_SLOTS];
	uint8_t pub[MAIN_SLOTS][PUB_LEN];
	unsigned int nct;
	struct {
		unsigned int slot;
		uint32_t len;
		uint8_t ct[CT_MAX];
		uint8_t m[GMRK_UNWRAP_MAX];
	} ct[MAIN_SLOTS];
};

/* Parse BOOT1; 0 or -errno (-EINVAL: a line that does not parse). */
static int boot1_read(struct boot1 *b)
{
	static char line[1024];
	FILE *f = fopen(BOOT1, "r");
	int err = 0;

	memset(b, 0, sizeof(*b));
	if (!f)
		return -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		char what[8], h1[2 * CT_MAX + 2], h2[2 * GMRK_UNWRAP_MAX + 2];
		unsigned int slot;
		int n;

		line[strcspn(line, "\r\n")] = 0;
		if (!line[0])
			continue;
		if (!strncmp(line, "map ", 4)) {
			b->have_map = sscanf(line, "map %x", &b->map) == 1;
			err = b->have_map ? 0 : -EINVAL;
			continue;
		}
		n = sscanf(line, "%7s %u %323s %129s", what, &slot, h1, h2);
		if (n == 3 && !strcmp(what, "pub") && slot < MAIN_SLOTS) {
			err = sm2_unhex(h1, b->pub[slot], PUB_LEN);
			b->have_pub[slot] = !err;
		} else if (n == 4 && !strcmp(what, "ct") && slot < MAIN_SLOTS &&
			   b->nct < MAIN_SLOTS) {
			uint32_t len = (uint32_t)strlen(h2) / 2;

			if (len < 1 || len > GMRK_UNWRAP_MAX ||
			    sm2_unhex(h1, b->ct[b->nct].ct, GMRK_SM2_OVERHEAD + len) ||
			    sm2_unhex(h2, b->ct[b->nct].m, len)) {
				err = -EINVAL;
				break;
			}
			b->ct[b->nct].slot = slot;
			b->ct[b->nct].len = len;
			b->nct++;
		} else {
			err = -EINVAL;
		}
	}
	fclose(f);
	if (!err && (!b->have_map || !b->nct))
		err = -ENODATA;
	return err;
}

FIXTURE(boot2) {
	struct card c;
	struct card_ring r;
	struct key_io io;
	struct boot1 b;
};

FIXTURE_SETUP(boot2)
{
	int err = boot1_read(&self->b);

	ASSERT_EQ(0, err) TH_LOG(BOOT1 ": %s (did the first boot run?)", strerror(-err));
	err = card_keys_open(&self->c, &self->r, &self->io, MAIN_SLOTS, RING_SIZE);
	ASSERT_EQ(0, err) TH_LOG("the card with %u key slots: %s", MAIN_SLOTS, strerror(-err));
}

FIXTURE_TEARDOWN(boot2)
{
	card_keys_close(&self->c, &self->r, &self->io);
}

TEST_F(boot2, same_slots_same_keys)
{
	uint8_t pub[PUB_LEN];
	unsigned int npub = 0;

	EXPECT_EQ(self->b.map, card_rd(&self->c, GMRK_REG_KEY_SLOT_MAP));
	for (unsigned int s = 0; s < MAIN_SLOTS; s++) {
		int st = key_pub(&self->c, &self->r, &self->io, s, pub);

		if (!(self->b.map & (1u << s))) {
			EXPECT_EQ(GMRK_ST_ENOKEY, st) TH_LOG("slot %u", s);
			continue;
		}
		ASSERT_EQ(GMRK_ST_OK, st) TH_LOG("slot %u", s);
		ASSERT_TRUE(self->b.have_pub[s]) TH_LOG("boot 1 printed no key for slot %u", s);
		EXPECT_EQ(0, memcmp(self->b.pub[s], pub, PUB_LEN)) TH_LOG("slot %u", s);
		npub++;
	}
	EXPECT_NE(0u, npub);
}

TEST_F(boot2, first_boot_ciphertexts_unwrap)
{
	uint8_t got[GMRK_UNWRAP_MAX];

	for (unsigned int i = 0; i < self->b.nct; i++) {
		unsigned int s = self->b.ct[i].slot;
		uint32_t n = self->b.ct[i].len;

		ASSERT_EQ(GMRK_ST_OK, key_unwrap(&self->c, &self->r, &self->io, s,
						 self->b.ct[i].ct, n, got)) TH_LOG("slot %u", s);
		EXPECT_EQ(0, memcmp(self->b.ct[i].m, got, n)) TH_LOG("slot %u", s);
	}
}

/* Change the keystore again, for the host to check the file after this boot. */
TEST_F(boot2, change_slots)
{
	uint8_t pub[PUB_LEN], ct[CT_MAX], m[17], got[17];
	unsigned int gone = self->b.ct[0].slot, fresh = MAIN_SLOTS;
	char hex[2 * PUB_LEN + 1];
	uint32_t map;

	for (unsigned int s = 0; s < MAIN_SLOTS && fresh == MAIN_SLOTS; s++) {
		if (!(self->b.map & (1u << s)))
			fresh = s;
	}
	ASSERT_NE((unsigned int)MAIN_SLOTS, fresh) TH_LOG("no free slot");
	ASSERT_EQ(GMRK_ST_OK, key_destroy(&self->c, &self->r, gone));
	ASSERT_EQ(GMRK_ST_OK, key_gen(&self->c, &self->r, &self->io, fresh, pub));
	memset(m, 0x3c, sizeof(m));
	ASSERT_EQ(0, sm2_encrypt(pub, m, sizeof(m), ct));
	ASSERT_EQ(GMRK_ST_OK, key_unwrap(&self->c, &self->r, &self->io, fresh, ct,
					 sizeof(m), got));
	EXPECT_EQ(0, memcmp(m, got, sizeof(m)));
	/* The destroyed key is gone for good: its ciphertext has no key. */
	EXPECT_EQ(GMRK_ST_ENOKEY, key_unwrap(&self->c, &self->r, &self->io, gone,
					     self->b.ct[0].ct, self->b.ct[0].len, got));
	map = (self->b.map & ~(1u << gone)) | (1u << fresh);
	ASSERT_EQ(map, card_rd(&self->c, GMRK_REG_KEY_SLOT_MAP));
	sm2_hex(pub, PUB_LEN, hex);
	printf("GMRK-KEYSTORE: pub %u %s\n", fresh, hex);
	printf("GMRK-KEYSTORE: map 0x%x\n", map);
	fflush(stdout);
	hook("expect " CARD_ID " key-slot-map == %u", map);
}

TEST_HARNESS_MAIN

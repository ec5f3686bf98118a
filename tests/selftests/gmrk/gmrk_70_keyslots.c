// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk key-slot tests: SM2 key pairs generated and held inside the device
 * (GMRK_IOC_KEY_GEN, _PUB, _UNWRAP, _DESTROY of uapi/linux/gmrk.h).
 *
 * The device's SM2 is checked against an independent one: every
 * ciphertext the device unwraps is made by sm2_ref.c with OpenSSL's
 * elliptic-curve arithmetic on its own SM2 group and OpenSSL's SM3 (the
 * ephemeral keys from the test's seeded PRNG), in the C1 || C3 || C2
 * form of GB/T 32918.4, and every public key the device reports must be a
 * point of OpenSSL's curve.
 *
 * Device under test: the harness's emulation device 0 in sim mode, the
 * card in pci mode (the tests skip there if the card reports no key
 * slots). Tests of the emulation device's fault knobs skip on the card.
 * Each test starts with every slot of the device empty and leaves it so;
 * devices the tests create themselves use IDs 70..79.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "gmrk_ctl.h"
#include "sm2_ref.h"
#include "test_algs.h"

#define PUB_LEN		GMRK_KEY_PUB_LEN
#define OVERHEAD	GMRK_KEY_OVERHEAD
#define MSG_MAX		GMRK_KEY_UNWRAP_MAX
#define CT_MAX		(OVERHEAD + MSG_MAX)
#define C3_OFF		PUB_LEN
#define C2_OFF		OVERHEAD

_Static_assert(PUB_LEN == SM2_POINT_LEN && OVERHEAD == SM2_OVERHEAD,
	       "the uapi's SM2 sizes are sm2_ref.h's");

#define NOKEY_ID	70	/* an emulation device without key slots */
#define FEW_ID		71	/* one with a few */
#define GONE_ID		72	/* one deleted under a command */
#define FEW_SLOTS	3
#define RESET_TIMEOUT_MS 300	/* key_timeout_ms while testing a timeout */
#define PATTERN		0xa5

/* ---- The reference: sm2_ref.c (OpenSSL) ---- */

/* The ephemeral keys of the ciphertexts come from the test's seeded PRNG. */
static void prng_rand(void *p, void *buf, size_t len)
{
	prng_fill(p, buf, len);
}

/* ---- The ioctls ---- */

static int key_gen(int fd, uint32_t slot, uint8_t *pub)
{
	struct gmrk_key_pub kp = { .size = sizeof(kp), .slot = slot };

	if (ioctl(fd, GMRK_IOC_KEY_GEN, &kp) < 0)
		return -errno;
	if (pub)
		memcpy(pub, kp.pub, PUB_LEN);
	return 0;
}

static int key_pub(int fd, uint32_t slot, uint8_t *pub)
{
	struct gmrk_key_pub kp = { .size = sizeof(kp), .slot = slot };

	if (ioctl(fd, GMRK_IOC_KEY_PUB, &kp) < 0)
		return -errno;
	if (pub)
		memcpy(pub, kp.pub, PUB_LEN);
	return 0;
}

/* *out_len: in, the room at out; out, the message length. */
static int key_unwrap(int fd, uint32_t slot, const void *in, uint32_t in_len,
		      void *out, uint32_t *out_len)
{
	struct gmrk_key_unwrap ku = {
		.size = sizeof(ku), .slot = slot,
		.in = (uintptr_t)in, .in_len = in_len,
		.out = (uintptr_t)out, .out_len = *out_len,
	};

	if (ioctl(fd, GMRK_IOC_KEY_UNWRAP, &ku) < 0)
		return -errno;
	*out_len = ku.out_len;
	return 0;
}

static int key_destroy(int fd, uint32_t slot)
{
	struct gmrk_key_slot ks = { .size = sizeof(ks), .slot = slot };

	return ioctl(fd, GMRK_IOC_KEY_DESTROY, &ks) < 0 ? -errno : 0;
}

/* Empty every slot of the device; returns the map left (0 if all went). */
static uint32_t clear_slots(int fd)
{
	struct gmrk_info info;

	if (gmrk_get_info(fd, &info))
		return UINT32_MAX;
	for (uint32_t s = 0; s < info.key_slots && s < 32; s++)
		if (info.key_slot_map & (1u << s))
			key_destroy(fd, s);
	if (gmrk_get_info(fd, &info))
		return UINT32_MAX;
	return info.key_slot_map;
}

/* Value of "key N" in a debugfs key-value file. */
static int debugfs_value(const char *node, const char *file, const char *key,
			 unsigned long long *v)
{
	char path[128], text[1024], *line;
	size_t klen = strlen(key);
	int n;

	snprintf(path, sizeof(path), CORE_DEBUGFS "/%s/%s", node, file);
	n = file_read_str(path, text, sizeof(text));
	if (n < 0)
		return n;
	for (line = text; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return sscanf(line + klen, "%lli", v) == 1 ? 0 : -EINVAL;
	}
	return -ENOENT;
}

/* ---- Fixture: the device under test, all slots empty ---- */

FIXTURE(keys) {
	struct prng p;
	char node[16];
	int fd;
	struct gmrk_info info;
	bool skip;		/* the card has no key slots */
	bool sim;		/* the emulation device: fault knobs exist */
	uint64_t saved_key_timeout;
	bool timeout_saved;
};

static const char *const sim_knobs[] = {
	"stall", "queue_full", "fail_next", "corrupt_next", "latency_us",
};

/* The card in pci mode, the harness's emulation device 0 in sim mode. */
static int find_device(char *node, size_t len)
{
	if (!test_mode_is_pci())
		return sim_node_name(0, node, len);
	return gmrk_pci_node(node, len);
}

#define SKIP_REASON_NO_SLOTS "the card reports no key slots (no GMRK_INFO_CAP_KEYSLOTS)"
#define SKIP_REASON_SIM "needs the emulation device's fault knobs (GMRK_TEST_MODE=pci)"

/* The 6.1 harness runs the body even after SKIP() in the setup. */
#define NEED_SLOTS() do {						\
	if (self->skip)							\
		SKIP(return, SKIP_REASON_NO_SLOTS);			\
} while (0)

#define NEED_SIM() do {							\
	NEED_SLOTS();							\
	if (!self->sim)							\
		SKIP(return, SKIP_REASON_SIM);				\
} while (0)

FIXTURE_SETUP(keys)
{
	uint64_t seed = test_seed();
	int err;

	self->fd = -1;
	TH_LOG("seed %llu", (unsigned long long)seed);
	prng_init(&self->p, seed);
	if (sim_bus_present())
		ASSERT_EQ(0, sim_restore_baseline());
	ASSERT_EQ(0, debugfs_ensure());
	ASSERT_EQ(0, find_device(self->node, sizeof(self->node)))
		TH_LOG("no device to test (mode %s)", test_mode());
	self->fd = gmrk_node_open(self->node);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", self->node,
				      strerror(-self->fd));
	ASSERT_EQ(0, gmrk_get_info(self->fd, &self->info));
	self->sim = self->info.kind == GMRK_KIND_SIM;
	if (!(self->info.caps & GMRK_INFO_CAP_KEYSLOTS)) {
		/* every emulation device has key slots by default */
		ASSERT_FALSE(self->sim) TH_LOG("%s: no key slots", self->node);
		self->skip = true;
		SKIP(return, SKIP_REASON_NO_SLOTS);
	}
	if (self->sim)
		for (size_t i = 0; i < ARRAY_SIZE(sim_knobs); i++)
			ASSERT_EQ(0, sim_knob_write(0, sim_knobs[i], 0));
	err = (int)clear_slots(self->fd);
	ASSERT_EQ(0, err) TH_LOG("%s: slots left in use: %#x", self->node, err);
	ASSERT_EQ(0, gmrk_get_info(self->fd, &self->info));
}

FIXTURE_TEARDOWN(keys)
{
	if (self->sim)
		for (size_t i = 0; i < ARRAY_SIZE(sim_knobs); i++)
			sim_knob_write(0, sim_knobs[i], 0);
	if (self->timeout_saved)
		EXPECT_EQ(0, modparam_write("key_timeout_ms",
					    self->saved_key_timeout));
	if (self->fd >= 0) {
		/* later tests find a clean device */
		if (!self->skip)
			EXPECT_EQ(0U, clear_slots(self->fd));
		close(self->fd);
	}
	if (sim_bus_present())
		EXPECT_EQ(0, sim_restore_baseline());
}

/* A fresh ciphertext of a random n-byte message m to pub. */
static void make_ct(struct __test_metadata *_metadata,
		    FIXTURE_DATA(keys) *self, const uint8_t *pub, size_t n,
		    uint8_t *m, uint8_t *ct)
{
	prng_fill(&self->p, m, n);
	ASSERT_EQ(0, sm2_encrypt_rand(pub, m, n, ct, prng_rand, &self->p));
}

/* Unwrap ct in slot and expect m back, nothing written past it. */
static void expect_unwrap(struct __test_metadata *_metadata, int fd,
			  uint32_t slot, const uint8_t *ct, size_t n,
			  const uint8_t *m)
{
	uint8_t out[MSG_MAX + 16];
	uint32_t out_len = sizeof(out);
	int err;

	memset(out, PATTERN, sizeof(out));
	err = key_unwrap(fd, slot, ct, OVERHEAD + n, out, &out_len);
	ASSERT_EQ(0, err) TH_LOG("slot %u, %zu bytes: %s", slot, n, strerror(-err));
	EXPECT_EQ((uint32_t)n, out_len);
	EXPECT_EQ(-1L, first_diff(out, m, n)) TH_LOG("slot %u, %zu bytes", slot, n);
	for (size_t i = n; i < sizeof(out); i++)
		if (out[i] != PATTERN) {
			EXPECT_EQ(PATTERN, out[i]) TH_LOG("byte %zu past the message", i);
			break;
		}
}

/*
 * An unwrap that must fail with want: the caller's output and the
 * structure's out_len stay as they were.
 */
static void expect_unwrap_fails(struct __test_metadata *_metadata, int fd,
				uint32_t slot, const uint8_t *ct,
				uint32_t in_len, uint32_t out_len, int want,
				const char *what)
{
	uint8_t out[256];	/* room for any out_len the tests pass */
	struct gmrk_key_unwrap ku = {
		.size = sizeof(ku), .slot = slot,
		.in = (uintptr_t)ct, .in_len = in_len,
		.out = (uintptr_t)out, .out_len = out_len,
	};
	int err;

	ASSERT_GE(sizeof(out), (size_t)out_len);
	memset(out, PATTERN, sizeof(out));
	err = ioctl(fd, GMRK_IOC_KEY_UNWRAP, &ku) < 0 ? -errno : 0;
	EXPECT_EQ(want, err) TH_LOG("%s: %s, want %s", what, strerror(-err),
				    strerror(-want));
	EXPECT_EQ(out_len, ku.out_len) TH_LOG("%s: out_len written", what);
	for (size_t i = 0; i < sizeof(out); i++)
		if (out[i] != PATTERN) {
			EXPECT_EQ(PATTERN, out[i]) TH_LOG("%s: output byte %zu written",
							  what, i);
			break;
		}
}

static void get_info(struct __test_metadata *_metadata,
		     FIXTURE_DATA(keys) *self, struct gmrk_info *info)
{
	int err = gmrk_get_info(self->fd, info);

	ASSERT_EQ(0, err) TH_LOG("GMRK_IOC_INFO: %s", strerror(-err));
}

static void get_stats(struct __test_metadata *_metadata,
		      FIXTURE_DATA(keys) *self, struct gmrk_stats *st)
{
	int err = gmrk_get_stats(self->fd, st);

	ASSERT_EQ(0, err) TH_LOG("GMRK_IOC_STATS: %s", strerror(-err));
}

static void gen(struct __test_metadata *_metadata, FIXTURE_DATA(keys) *self,
		uint32_t slot, uint8_t *pub)
{
	int err = key_gen(self->fd, slot, pub);

	ASSERT_EQ(0, err) TH_LOG("KEY_GEN slot %u: %s", slot, strerror(-err));
	ASSERT_EQ(0, sm2_point_check(pub))
		TH_LOG("slot %u: public key not on the SM2 curve", slot);
}

/* ---- Tests ---- */

/* INFO and debugfs report the slots, and the map follows GEN and DESTROY. */
TEST_F(keys, info_reports_slots)
{
	union {
		struct gmrk_info info;
		uint8_t raw[sizeof(struct gmrk_info) + 16];
	} u;
	unsigned long long v;
	struct gmrk_info info;
	uint8_t pub[PUB_LEN];
	uint32_t last;

	NEED_SLOTS();
	EXPECT_LE(1U, self->info.key_slots);
	EXPECT_GE(32U, self->info.key_slots);
	EXPECT_EQ(0U, self->info.key_slot_map);
	if (self->sim) {
		uint64_t param;

		ASSERT_EQ(0, modparam_read("sim_key_slots", &param));
		EXPECT_EQ(8ULL, (unsigned long long)param) TH_LOG("default");
		EXPECT_EQ(8U, self->info.key_slots);
	}
	ASSERT_EQ(0, debugfs_value(self->node, "info", "key_slots", &v));
	EXPECT_EQ((unsigned long long)self->info.key_slots, v);

	last = self->info.key_slots - 1;
	gen(_metadata, self, last, pub);
	if (last)
		gen(_metadata, self, 0, pub);
	get_info(_metadata, self, &info);
	EXPECT_EQ(1u | (1u << last), info.key_slot_map);
	ASSERT_EQ(0, debugfs_value(self->node, "info", "key_slot_map", &v));
	EXPECT_EQ((unsigned long long)info.key_slot_map, v);

	EXPECT_EQ(0, key_destroy(self->fd, last));
	get_info(_metadata, self, &info);
	EXPECT_EQ(last ? 1U : 0U, info.key_slot_map);

	/* An older caller's smaller structure is filled that far only. */
	memset(&u, 0xee, sizeof(u));
	u.info.size = offsetof(struct gmrk_info, key_slots);
	ASSERT_EQ(0, ioctl(self->fd, GMRK_IOC_INFO, &u.info));
	EXPECT_EQ((uint32_t)offsetof(struct gmrk_info, key_slots), u.info.size);
	EXPECT_EQ(0xeeeeeeeeU, u.info.key_slots);
	EXPECT_TRUE((u.info.caps & GMRK_INFO_CAP_KEYSLOTS) != 0);
}

/* GEN on an empty slot gives a point of the curve; PUB reports the same. */
TEST_F(keys, gen_gives_public_key_on_curve)
{
	uint8_t pub[PUB_LEN], again[PUB_LEN], other[PUB_LEN];
	uint32_t last = self->info.key_slots - 1;

	NEED_SLOTS();
	gen(_metadata, self, 0, pub);
	EXPECT_EQ(0x04, pub[0]);
	ASSERT_EQ(0, key_pub(self->fd, 0, again));
	EXPECT_EQ(0, memcmp(pub, again, PUB_LEN));
	if (last) {
		gen(_metadata, self, last, other);
		EXPECT_NE(0, memcmp(pub, other, PUB_LEN));
		ASSERT_EQ(0, key_pub(self->fd, last, again));
		EXPECT_EQ(0, memcmp(other, again, PUB_LEN));
	}
	/* and still the same key in slot 0 */
	ASSERT_EQ(0, key_pub(self->fd, 0, again));
	EXPECT_EQ(0, memcmp(pub, again, PUB_LEN));
}

/* GEN on an occupied slot: EEXIST, and the key stays. */
TEST_F(keys, gen_on_occupied_slot_eexist)
{
	uint8_t pub[PUB_LEN], again[PUB_LEN] = { 0 }, m[16], ct[OVERHEAD + 16];

	NEED_SLOTS();
	gen(_metadata, self, 0, pub);
	EXPECT_EQ(-EEXIST, key_gen(self->fd, 0, again));
	ASSERT_EQ(0, key_pub(self->fd, 0, again));
	EXPECT_EQ(0, memcmp(pub, again, PUB_LEN));
	make_ct(_metadata, self, pub, sizeof(m), m, ct);
	expect_unwrap(_metadata, self->fd, 0, ct, sizeof(m), m);
}


/* Messages of 1, 16, 32 and 64 bytes, and some lengths in between. */
TEST_F(keys, unwrap_round_trip)
{
	static const size_t lens[] = { 1, 16, 32, 64 };
	uint8_t pub[PUB_LEN], m[MSG_MAX], ct[CT_MAX];
	struct gmrk_stats before, after;
	size_t n = 0;

	NEED_SLOTS();
	gen(_metadata, self, 0, pub);
	get_stats(_metadata, self, &before);
	for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
		n = lens[i];
		make_ct(_metadata, self, pub, n, m, ct);
		expect_unwrap(_metadata, self->fd, 0, ct, n, m);
	}
	for (int i = 0; i < 4; i++) {
		n = 1 + prng_below(&self->p, MSG_MAX);
		make_ct(_metadata, self, pub, n, m, ct);
		expect_unwrap(_metadata, self->fd, 0, ct, n, m);
	}
	/* the same ciphertext again: nothing is used up */
	expect_unwrap(_metadata, self->fd, 0, ct, n, m);
	get_stats(_metadata, self, &after);
	EXPECT_LE(before.jobs + 9, after.jobs);
	EXPECT_EQ(before.fallbacks, after.fallbacks)
		TH_LOG("a key command went to software");
}

/*
 * Ciphertexts the device must reject (EBADMSG) and requests it must not
 * even get (EINVAL): the right errno, nothing written.
 */
TEST_F(keys, unwrap_rejects_bad_input)
{
	/* the field prime of sm2p256v1: a coordinate out of range */
	static const uint8_t p256[32] = {
		0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	static const uint8_t prefixes[] = { 0x00, 0x02, 0x03, 0x05, 0x06, 0xff };
	uint8_t pub[PUB_LEN], m[32], ct[CT_MAX + 8], bad[sizeof(ct)];
	const uint32_t n = sizeof(m), len = OVERHEAD + n;
	struct gmrk_stats before, after;
	unsigned int badmsgs = 0;
	char what[64];

	NEED_SLOTS();
	gen(_metadata, self, 0, pub);
	memset(ct, 0, sizeof(ct));
	make_ct(_metadata, self, pub, n, m, ct);
	expect_unwrap(_metadata, self->fd, 0, ct, n, m);
	get_stats(_metadata, self, &before);

#define BAD(mutation, err, fmt, ...) do {				\
	memcpy(bad, ct, sizeof(bad));					\
	mutation;							\
	snprintf(what, sizeof(what), fmt, ##__VA_ARGS__);		\
	expect_unwrap_fails(_metadata, self->fd, 0, bad, in_len, out_len, \
			    err, what);					\
	badmsgs += (err) == -EBADMSG;					\
} while (0)
	{
		uint32_t in_len = len, out_len = n;

		for (uint32_t i = 0; i < 32; i += 7)
			BAD(bad[C3_OFF + i] ^= 0x01, -EBADMSG, "C3 byte %u flipped", i);
		BAD(bad[C2_OFF] ^= 0x80, -EBADMSG, "first C2 byte flipped");
		BAD(bad[C2_OFF + n - 1] ^= 0x01, -EBADMSG, "last C2 byte flipped");
		for (size_t i = 0; i < sizeof(prefixes); i++)
			BAD(bad[0] = prefixes[i], -EBADMSG, "C1 prefix %#x", prefixes[i]);
		BAD(bad[64] ^= 0x01; ASSERT_EQ(-EINVAL, sm2_point_check(bad)),
		    -EBADMSG, "C1 y changed: not on the curve");
		BAD(bad[32] ^= 0x01; ASSERT_EQ(-EINVAL, sm2_point_check(bad)),
		    -EBADMSG, "C1 x changed: not on the curve");
		BAD(memcpy(bad + 1, p256, 32), -EBADMSG, "C1 x = p");
		BAD(memcpy(bad + 33, p256, 32), -EBADMSG, "C1 y = p");
		BAD(memset(bad + 1, 0, 64), -EBADMSG, "C1 = (0, 0)");
		/* a point of the curve, but not the sender's */
		BAD(memcpy(bad, pub, PUB_LEN), -EBADMSG, "C1 = the public key");
	}
	{
		/* one byte short: a shorter message whose C3 does not match */
		uint32_t in_len = len - 1, out_len = n - 1;

		BAD((void)0, -EBADMSG, "last byte cut off");
	}
	{
		/* one byte too many */
		uint32_t in_len = len + 1, out_len = n + 1;

		BAD((void)0, -EBADMSG, "one byte appended");
	}
	{
		static const uint32_t lens[] = {
			0, 1, 64, OVERHEAD - 1, OVERHEAD, OVERHEAD + MSG_MAX + 1,
			OVERHEAD + MSG_MAX + 8, 0xffffffffu,
		};

		for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
			uint32_t in_len = lens[i], out_len = MSG_MAX;

			BAD((void)0, -EINVAL, "in_len %u", in_len);
		}
	}
	{
		uint32_t in_len = len, out_len;

		for (out_len = 0; out_len < n; out_len += 31)
			BAD((void)0, -EINVAL, "out_len %u for %u bytes", out_len, n);
		out_len = n - 1;
		BAD((void)0, -EINVAL, "out_len %u for %u bytes", out_len, n);
	}
#undef BAD
	get_stats(_metadata, self, &after);
	EXPECT_LE(before.auth_failures + badmsgs, after.auth_failures)
		TH_LOG("auth_failures %llu -> %llu for %u rejected ciphertexts",
		       (unsigned long long)before.auth_failures,
		       (unsigned long long)after.auth_failures, badmsgs);
	/* and the good one still opens */
	expect_unwrap(_metadata, self->fd, 0, ct, n, m);
}

/* Bad pointers and sizes in the argument structures. */
TEST_F(keys, bad_arguments)
{
	static const uint32_t bad_sizes[] = { 0, 4, 7, 64 * 1024 + 1, 0xffffffffu };
	union {
		struct gmrk_key_pub kp;
		struct gmrk_key_unwrap ku;
		struct gmrk_key_slot ks;
		uint8_t raw[sizeof(struct gmrk_key_pub) + 32];
	} u;
	uint8_t pub[PUB_LEN], m[8], ct[OVERHEAD + 8], out[8];
	uint32_t out_len = sizeof(out);

	NEED_SLOTS();
	gen(_metadata, self, 0, pub);
	make_ct(_metadata, self, pub, sizeof(m), m, ct);

	for (size_t i = 0; i < ARRAY_SIZE(bad_sizes); i++) {
		memset(&u, 0, sizeof(u));
		u.kp.size = bad_sizes[i];
		EXPECT_EQ(-1, ioctl(self->fd, GMRK_IOC_KEY_PUB, &u.kp));
		EXPECT_EQ(EINVAL, errno) TH_LOG("KEY_PUB size %u", bad_sizes[i]);
		memset(&u, 0, sizeof(u));
		u.ks.size = bad_sizes[i];
		EXPECT_EQ(-1, ioctl(self->fd, GMRK_IOC_KEY_DESTROY, &u.ks));
		EXPECT_EQ(EINVAL, errno) TH_LOG("KEY_DESTROY size %u", bad_sizes[i]);
	}
	/* smaller than the structure: refused, the key stays */
	memset(&u, 0, sizeof(u));
	u.ks.size = sizeof(u.ks) - 1;
	EXPECT_EQ(-1, ioctl(self->fd, GMRK_IOC_KEY_DESTROY, &u.ks));
	EXPECT_EQ(EINVAL, errno);
	memset(&u, 0, sizeof(u));
	u.kp.size = offsetof(struct gmrk_key_pub, pub);
	EXPECT_EQ(-1, ioctl(self->fd, GMRK_IOC_KEY_PUB, &u.kp));
	EXPECT_EQ(EINVAL, errno);

	/* larger, zero beyond: accepted, and the kernel's size written back */
	memset(&u, 0, sizeof(u));
	u.kp.size = sizeof(u.kp) + 16;
	ASSERT_EQ(0, ioctl(self->fd, GMRK_IOC_KEY_PUB, &u.kp));
	EXPECT_EQ((uint32_t)sizeof(u.kp), u.kp.size);
	EXPECT_EQ(0, memcmp(pub, u.kp.pub, PUB_LEN));
	EXPECT_EQ(0, u.raw[sizeof(u.kp)]);
	/* larger, not zero beyond: a field this kernel does not know */
	memset(&u, 0, sizeof(u));
	u.ks.size = sizeof(u.ks) + 8;
	u.raw[sizeof(u.ks) + 3] = 1;
	EXPECT_EQ(-1, ioctl(self->fd, GMRK_IOC_KEY_DESTROY, &u.ks));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, key_pub(self->fd, 0, NULL)) TH_LOG("the key went");

	/* pointers */
	EXPECT_EQ(-1, ioctl(self->fd, GMRK_IOC_KEY_PUB, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, GMRK_IOC_KEY_UNWRAP, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-EFAULT, key_unwrap(self->fd, 0, NULL, sizeof(ct), out, &out_len));
	EXPECT_EQ(-EFAULT, key_unwrap(self->fd, 0, ct, sizeof(ct), NULL, &out_len));
	EXPECT_EQ(-EFAULT, key_unwrap(self->fd, 0, ct, sizeof(ct),
				      (void *)(uintptr_t)8, &out_len));
	/* and it still works */
	expect_unwrap(_metadata, self->fd, 0, ct, sizeof(m), m);
}

/* A slot number at or past KEY_SLOTS is EINVAL for every command. */
TEST_F(keys, slot_out_of_range_einval)
{
	const uint32_t slots[] = {
		self->info.key_slots, self->info.key_slots + 1, 31, 32, 0xffff,
		0x10000, 0xffffffffu,
	};
	uint8_t pub[PUB_LEN], m[8], ct[OVERHEAD + 8], out[8];
	struct gmrk_info info;

	NEED_SLOTS();
	gen(_metadata, self, 0, pub);
	make_ct(_metadata, self, pub, sizeof(m), m, ct);
	for (size_t i = 0; i < ARRAY_SIZE(slots); i++) {
		uint32_t out_len = sizeof(out);

		if (slots[i] < self->info.key_slots)
			continue;	/* a card with 32 slots */
		EXPECT_EQ(-EINVAL, key_gen(self->fd, slots[i], pub)) TH_LOG("slot %u", slots[i]);
		EXPECT_EQ(-EINVAL, key_pub(self->fd, slots[i], pub)) TH_LOG("slot %u", slots[i]);
		EXPECT_EQ(-EINVAL, key_unwrap(self->fd, slots[i], ct, sizeof(ct),
					      out, &out_len)) TH_LOG("slot %u", slots[i]);
		EXPECT_EQ(-EINVAL, key_destroy(self->fd, slots[i])) TH_LOG("slot %u", slots[i]);
	}
	get_info(_metadata, self, &info);
	EXPECT_EQ(1U, info.key_slot_map);
}

/* An empty slot: ENOKEY for PUB, UNWRAP and DESTROY. */
TEST_F(keys, empty_slot_enokey)
{
	uint8_t pub[PUB_LEN], m[8], ct[OVERHEAD + 8];
	uint32_t slot = self->info.key_slots - 1;

	NEED_SLOTS();
	gen(_metadata, self, 0, pub);
	make_ct(_metadata, self, pub, sizeof(m), m, ct);
	if (!slot)
		SKIP(return, "one slot only");
	EXPECT_EQ(-ENOKEY, key_pub(self->fd, slot, pub));
	expect_unwrap_fails(_metadata, self->fd, slot, ct, sizeof(ct), sizeof(m),
			    -ENOKEY, "empty slot");
	EXPECT_EQ(-ENOKEY, key_destroy(self->fd, slot));
}

/* DESTROY empties the slot for good; a new GEN there is a new key. */
TEST_F(keys, destroy_then_enokey)
{
	uint8_t pub[PUB_LEN], pub2[PUB_LEN], m[24], ct[OVERHEAD + 24];
	struct gmrk_info info;

	NEED_SLOTS();
	gen(_metadata, self, 0, pub);
	make_ct(_metadata, self, pub, sizeof(m), m, ct);
	expect_unwrap(_metadata, self->fd, 0, ct, sizeof(m), m);

	ASSERT_EQ(0, key_destroy(self->fd, 0));
	get_info(_metadata, self, &info);
	EXPECT_EQ(0U, info.key_slot_map);
	EXPECT_EQ(-ENOKEY, key_pub(self->fd, 0, pub2));
	expect_unwrap_fails(_metadata, self->fd, 0, ct, sizeof(ct), sizeof(m),
			    -ENOKEY, "destroyed slot");
	EXPECT_EQ(-ENOKEY, key_destroy(self->fd, 0));

	gen(_metadata, self, 0, pub2);
	EXPECT_NE(0, memcmp(pub, pub2, PUB_LEN));
	/* the old ciphertext is for a key that no longer exists */
	expect_unwrap_fails(_metadata, self->fd, 0, ct, sizeof(ct), sizeof(m),
			    -EBADMSG, "ciphertext for the destroyed key");
}

/* Two slots hold two keys: a ciphertext opens in its own slot only. */
TEST_F(keys, slots_hold_different_keys)
{
	uint8_t pub0[PUB_LEN], pub1[PUB_LEN], m0[40], m1[40];
	uint8_t ct0[OVERHEAD + 40], ct1[OVERHEAD + 40];

	NEED_SLOTS();
	if (self->info.key_slots < 2)
		SKIP(return, "one slot only");
	gen(_metadata, self, 0, pub0);
	gen(_metadata, self, 1, pub1);
	EXPECT_NE(0, memcmp(pub0, pub1, PUB_LEN));
	make_ct(_metadata, self, pub0, sizeof(m0), m0, ct0);
	make_ct(_metadata, self, pub1, sizeof(m1), m1, ct1);
	expect_unwrap_fails(_metadata, self->fd, 1, ct0, sizeof(ct0), sizeof(m0),
			    -EBADMSG, "slot 0's ciphertext in slot 1");
	expect_unwrap_fails(_metadata, self->fd, 0, ct1, sizeof(ct1), sizeof(m1),
			    -EBADMSG, "slot 1's ciphertext in slot 0");
	expect_unwrap(_metadata, self->fd, 0, ct0, sizeof(m0), m0);
	expect_unwrap(_metadata, self->fd, 1, ct1, sizeof(m1), m1);
	/* destroying one leaves the other */
	ASSERT_EQ(0, key_destroy(self->fd, 0));
	expect_unwrap(_metadata, self->fd, 1, ct1, sizeof(m1), m1);
}

/* GEN and DESTROY need CAP_SYS_ADMIN; PUB and UNWRAP need the fd only. */
TEST_F(keys, gen_and_destroy_need_cap_sys_admin)
{
	uint8_t pub[PUB_LEN], m[16], ct[OVERHEAD + 16];
	struct gmrk_info info;
	int status;
	pid_t pid;

	NEED_SLOTS();
	gen(_metadata, self, 0, pub);
	make_ct(_metadata, self, pub, sizeof(m), m, ct);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint8_t got[PUB_LEN], out[16];
		uint32_t out_len = sizeof(out);
		uint32_t other = self->info.key_slots > 1 ? 1 : 0;

		/* an unprivileged user with the fd root opened */
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(10);
		if (key_gen(self->fd, other, got) != -EPERM)
			_exit(11);
		if (key_destroy(self->fd, 0) != -EPERM)
			_exit(12);
		if (key_pub(self->fd, 0, got) || memcmp(got, pub, PUB_LEN))
			_exit(13);
		if (key_unwrap(self->fd, 0, ct, sizeof(ct), out, &out_len) ||
		    out_len != sizeof(m) || memcmp(out, m, sizeof(m)))
			_exit(14);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("10: could not drop privileges, 11: GEN allowed, 12: DESTROY allowed, 13: PUB refused, 14: UNWRAP refused");
	get_info(_metadata, self, &info);
	EXPECT_EQ(1U, info.key_slot_map);
}

struct unwrap_thread {
	pthread_t th;
	int fd;
	uint32_t slots;
	const uint8_t *pub[2];
	uint64_t seed;
	int n;
	int ok, bad;
	char problem[160];
};

static void *unwrap_main(void *arg)
{
	struct unwrap_thread *t = arg;
	struct prng p;

	prng_init(&p, t->seed);
	for (int i = 0; i < t->n; i++) {
		uint8_t m[MSG_MAX], ct[CT_MAX], out[MSG_MAX];
		uint32_t slot = i % t->slots, out_len = sizeof(out);
		size_t n = 1 + prng_below(&p, MSG_MAX);
		int err;

		prng_fill(&p, m, n);
		if (sm2_encrypt_rand(t->pub[slot], m, n, ct, prng_rand, &p)) {
			t->bad++;
			continue;
		}
		err = key_unwrap(t->fd, slot, ct, OVERHEAD + n, out, &out_len);
		if (!err && out_len == n && !memcmp(out, m, n)) {
			t->ok++;
			continue;
		}
		if (!t->problem[0])
			snprintf(t->problem, sizeof(t->problem),
				 "slot %u, %zu bytes: %s", slot, n,
				 err ? strerror(-err) : "wrong message");
		t->bad++;
	}
	return NULL;
}

/* Unwraps from four threads at once, over two slots, all right. */
TEST_F_TIMEOUT(keys, concurrent_unwraps, 240)
{
	struct unwrap_thread t[4];
	uint8_t pub[2][PUB_LEN];
	const int n = (int)test_scaled(6);

	NEED_SLOTS();
	gen(_metadata, self, 0, pub[0]);
	if (self->info.key_slots > 1)
		gen(_metadata, self, 1, pub[1]);
	memset(t, 0, sizeof(t));
	for (int i = 0; i < 4; i++) {
		t[i].fd = self->fd;
		t[i].slots = self->info.key_slots > 1 ? 2 : 1;
		t[i].pub[0] = pub[0];
		t[i].pub[1] = pub[1];
		t[i].seed = prng_u64(&self->p);
		t[i].n = n;
		ASSERT_EQ(0, pthread_create(&t[i].th, NULL, unwrap_main, &t[i]));
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i].th, NULL);
		EXPECT_EQ(0, t[i].bad) TH_LOG("thread %d: %s", i, t[i].problem);
		EXPECT_EQ(n, t[i].ok) TH_LOG("thread %d", i);
	}
}

/*
 * A key command the device does not complete times out (ETIMEDOUT), the
 * driver resets the device, and the keys are still there afterwards:
 * slots are non-volatile.
 */
TEST_F_TIMEOUT(keys, key_survives_device_reset, 60)
{
	uint8_t pub[PUB_LEN], again[PUB_LEN], m[32], ct[OVERHEAD + 32];
	struct gmrk_stats before, after;
	struct gmrk_info info;
	int err;

	NEED_SIM();
	gen(_metadata, self, 0, pub);
	make_ct(_metadata, self, pub, sizeof(m), m, ct);
	ASSERT_EQ(0, modparam_read("key_timeout_ms", &self->saved_key_timeout));
	self->timeout_saved = true;
	ASSERT_EQ(0, modparam_write("key_timeout_ms", RESET_TIMEOUT_MS));
	get_stats(_metadata, self, &before);

	ASSERT_EQ(0, sim_knob_write(0, "stall", 1));
	memset(again, PATTERN, sizeof(again));
	err = key_pub(self->fd, 0, again);
	EXPECT_EQ(-ETIMEDOUT, err) TH_LOG("KEY_PUB on a stalled device: %s",
					  strerror(-err));
	EXPECT_EQ(PATTERN, again[0]);
	ASSERT_EQ(0, sim_knob_write(0, "stall", 0));
	get_stats(_metadata, self, &after);
	EXPECT_LT(before.timeouts, after.timeouts);
	EXPECT_LT(before.resets, after.resets);
	EXPECT_EQ(before.fallbacks, after.fallbacks);

	get_info(_metadata, self, &info);
	EXPECT_TRUE((info.flags & GMRK_INFO_F_ONLINE) != 0);
	EXPECT_EQ(1U, info.key_slot_map) TH_LOG("slot map after the reset");
	ASSERT_EQ(0, key_pub(self->fd, 0, again));
	EXPECT_EQ(0, memcmp(pub, again, PUB_LEN));
	/* the private key survived too */
	expect_unwrap(_metadata, self->fd, 0, ct, sizeof(m), m);
}

/* fail_next: a key command fails with EIO, before the device acts. */
TEST_F(keys, fail_next_eio)
{
	uint8_t pub[PUB_LEN], again[PUB_LEN], m[16], ct[OVERHEAD + 16];
	struct gmrk_stats before, after;
	struct gmrk_info info;
	uint64_t left = 1;

	NEED_SIM();
	gen(_metadata, self, 0, pub);
	make_ct(_metadata, self, pub, sizeof(m), m, ct);
	get_stats(_metadata, self, &before);

	ASSERT_EQ(0, sim_knob_write(0, "fail_next", 1));
	EXPECT_EQ(-EIO, key_pub(self->fd, 0, again));
	ASSERT_EQ(0, sim_knob_read(0, "fail_next", &left));
	EXPECT_EQ(0ULL, (unsigned long long)left);
	ASSERT_EQ(0, sim_knob_write(0, "fail_next", 1));
	expect_unwrap_fails(_metadata, self->fd, 0, ct, sizeof(ct), sizeof(m),
			    -EIO, "unwrap with fail_next");
	if (self->info.key_slots > 1) {
		/* a failed GEN generated nothing */
		ASSERT_EQ(0, sim_knob_write(0, "fail_next", 1));
		EXPECT_EQ(-EIO, key_gen(self->fd, 1, again));
		get_info(_metadata, self, &info);
		EXPECT_EQ(1U, info.key_slot_map);
	}
	get_stats(_metadata, self, &after);
	EXPECT_LE(before.errors + 2, after.errors);
	EXPECT_EQ(before.fallbacks, after.fallbacks);

	ASSERT_EQ(0, key_pub(self->fd, 0, again));
	EXPECT_EQ(0, memcmp(pub, again, PUB_LEN));
	expect_unwrap(_metadata, self->fd, 0, ct, sizeof(m), m);
}

/* corrupt_next: the first output byte of the next key command flipped. */
TEST_F(keys, corrupt_next_flips_output)
{
	uint8_t pub[PUB_LEN], again[PUB_LEN];

	NEED_SIM();
	gen(_metadata, self, 0, pub);
	ASSERT_EQ(0, sim_knob_write(0, "corrupt_next", 1));
	ASSERT_EQ(0, key_pub(self->fd, 0, again));
	EXPECT_EQ(pub[0] ^ 0x01, again[0]);
	EXPECT_EQ(0, memcmp(pub + 1, again + 1, PUB_LEN - 1));
	EXPECT_EQ(-EINVAL, sm2_point_check(again));
	ASSERT_EQ(0, key_pub(self->fd, 0, again));
	EXPECT_EQ(0, memcmp(pub, again, PUB_LEN));
}

struct pub_thread {
	pthread_t th;
	int fd;
	int err;
};

static void *pub_main(void *arg)
{
	struct pub_thread *t = arg;
	uint8_t pub[PUB_LEN];

	t->err = key_pub(t->fd, 0, pub);
	return NULL;
}

/*
 * An emulation device deleted while a key command waits on it: the
 * command ends with ENODEV, and a new device of the same ID starts with
 * empty slots (the keys died with the old one).
 */
TEST_F_TIMEOUT(keys, device_removed_mid_command, 60)
{
	struct pub_thread t = { .err = 1 };
	uint8_t pub[PUB_LEN];
	struct gmrk_info info;
	struct gmrk_stats st;
	char node[16];
	bool waiting = false;
	int fd;

	NEED_SIM();
	ASSERT_EQ(0, sim_new_device(GONE_ID, 1, 0));
	ASSERT_EQ(0, sim_node_name(GONE_ID, node, sizeof(node)));
	fd = gmrk_node_open(node);
	ASSERT_LE(0, fd);
	gen(_metadata, self, 0, pub);	/* the harness's device keeps its own */
	ASSERT_EQ(0, key_gen(fd, 0, pub));
	ASSERT_EQ(0, sim_knob_write(GONE_ID, "stall", 1));
	t.fd = fd;
	ASSERT_EQ(0, pthread_create(&t.th, NULL, pub_main, &t));
	for (int i = 0; i < 200 && !waiting; i++) {
		ASSERT_EQ(0, gmrk_get_stats(fd, &st));
		waiting = st.queue[0].inflight > 0;
		if (!waiting)
			usleep(10000);
	}
	EXPECT_TRUE(waiting) TH_LOG("the command never reached the device");
	ASSERT_EQ(0, sim_del_device(GONE_ID));
	pthread_join(t.th, NULL);
	EXPECT_EQ(-ENODEV, t.err) TH_LOG("KEY_PUB: %s", strerror(-t.err));
	EXPECT_EQ(-ENODEV, key_pub(fd, 0, pub));
	EXPECT_EQ(-ENODEV, key_gen(fd, 1, pub));
	close(fd);

	ASSERT_EQ(0, sim_new_device(GONE_ID, 1, 0));
	ASSERT_EQ(0, sim_node_name(GONE_ID, node, sizeof(node)));
	fd = gmrk_node_open(node);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gmrk_get_info(fd, &info));
	EXPECT_EQ(0U, info.key_slot_map);
	EXPECT_EQ(-ENOKEY, key_pub(fd, 0, pub));
	close(fd);
	ASSERT_EQ(0, sim_del_device(GONE_ID));
	/* the harness's device is untouched */
	ASSERT_EQ(0, key_pub(self->fd, 0, NULL));
}

/* ---- Devices without key slots, and the slot-count knob ---- */

static void expect_no_slots(struct __test_metadata *_metadata, int fd,
			    const char *node)
{
	uint8_t pub[PUB_LEN], ct[OVERHEAD + 8] = { 0x04 }, out[8];
	uint32_t out_len = sizeof(out);
	struct gmrk_info info;
	unsigned long long v;

	ASSERT_EQ(0, gmrk_get_info(fd, &info));
	EXPECT_EQ(0U, info.caps & GMRK_INFO_CAP_KEYSLOTS);
	EXPECT_EQ(0U, info.key_slots);
	EXPECT_EQ(0U, info.key_slot_map);
	EXPECT_EQ(0, debugfs_value(node, "info", "key_slots", &v));
	EXPECT_EQ(0ULL, v);
	for (uint32_t slot = 0; slot < 2; slot++) {
		EXPECT_EQ(-EOPNOTSUPP, key_gen(fd, slot, pub));
		EXPECT_EQ(-EOPNOTSUPP, key_pub(fd, slot, pub));
		EXPECT_EQ(-EOPNOTSUPP, key_unwrap(fd, slot, ct, sizeof(ct), out,
						  &out_len));
		EXPECT_EQ(-EOPNOTSUPP, key_destroy(fd, slot));
	}
}

/*
 * A device without key slots answers EOPNOTSUPP: an emulation device
 * created with sim_key_slots=0 (in either mode, the bus is always there),
 * and in pci mode also the card if it reports none.
 */
TEST(no_key_slots_eopnotsupp)
{
	uint64_t saved;
	char node[16];
	bool tested = false;
	int fd, err;

	ASSERT_EQ(0, debugfs_ensure());
	if (test_mode_is_pci() && !find_device(node, sizeof(node))) {
		struct gmrk_info info;

		fd = gmrk_node_open(node);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, gmrk_get_info(fd, &info));
		if (!(info.caps & GMRK_INFO_CAP_KEYSLOTS)) {
			expect_no_slots(_metadata, fd, node);
			tested = true;
		}
		close(fd);
	}
	if (sim_bus_present()) {
		ASSERT_EQ(0, sim_restore_baseline());
		ASSERT_EQ(0, modparam_read("sim_key_slots", &saved));
		ASSERT_EQ(0, modparam_write("sim_key_slots", 0));
		err = sim_new_device(NOKEY_ID, 1, 0);
		EXPECT_EQ(0, modparam_write("sim_key_slots", saved));
		ASSERT_EQ(0, err) TH_LOG("new_device %d: %s", NOKEY_ID, strerror(-err));
		ASSERT_EQ(0, sim_node_name(NOKEY_ID, node, sizeof(node)));
		fd = gmrk_node_open(node);
		ASSERT_LE(0, fd);
		expect_no_slots(_metadata, fd, node);
		close(fd);
		EXPECT_EQ(0, sim_del_device(NOKEY_ID));
		EXPECT_EQ(0, sim_restore_baseline());
		tested = true;
	}
	if (!tested)
		SKIP(return, "no device without key slots to test");
}

/* sim_key_slots sets the slot count of emulation devices created later. */
TEST(sim_key_slots_knob)
{
	uint8_t pub[PUB_LEN];
	struct gmrk_info info;
	uint64_t saved;
	char node[16];
	int fd, err;

	if (!sim_bus_present())
		SKIP(return, "no emulation-device bus (" SIM_BUS ")");
	ASSERT_EQ(0, sim_restore_baseline());
	ASSERT_EQ(0, modparam_read("sim_key_slots", &saved));
	/* more than GMRK_MAX_KEY_SLOTS: new_device refuses */
	ASSERT_EQ(0, modparam_write("sim_key_slots", 33));
	EXPECT_EQ(-EINVAL, sim_new_device(FEW_ID, 1, 0));
	EXPECT_FALSE(sim_device_exists(FEW_ID));
	ASSERT_EQ(0, modparam_write("sim_key_slots", FEW_SLOTS));
	err = sim_new_device(FEW_ID, 1, 0);
	EXPECT_EQ(0, modparam_write("sim_key_slots", saved));
	ASSERT_EQ(0, err) TH_LOG("new_device %d: %s", FEW_ID, strerror(-err));

	ASSERT_EQ(0, sim_node_name(FEW_ID, node, sizeof(node)));
	fd = gmrk_node_open(node);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, gmrk_get_info(fd, &info));
	EXPECT_NE(0U, info.caps & GMRK_INFO_CAP_KEYSLOTS);
	EXPECT_EQ((uint32_t)FEW_SLOTS, info.key_slots);
	EXPECT_EQ(-EINVAL, key_gen(fd, FEW_SLOTS, pub));
	ASSERT_EQ(0, key_gen(fd, FEW_SLOTS - 1, pub));
	EXPECT_EQ(0, sm2_point_check(pub));
	ASSERT_EQ(0, gmrk_get_info(fd, &info));
	EXPECT_EQ(1U << (FEW_SLOTS - 1), info.key_slot_map);
	EXPECT_EQ(0, key_destroy(fd, FEW_SLOTS - 1));
	close(fd);
	EXPECT_EQ(0, sim_del_device(FEW_ID));
	EXPECT_EQ(0, sim_restore_baseline());
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0-only
/*
 * gmrk emulation device: SM2 key slots (GMRK_CAP_KEYSLOTS).
 *
 * Each slot is empty or holds one SM2 key pair on the curve sm2p256v1
 * (GB/T 32918.5-2017). KEY_GEN draws the private key inside the device,
 * KEY_UNWRAP decrypts an SM2 ciphertext C1 || C3 || C2 with it (GB/T
 * 32918.4-2016, section 7), and no command returns it. The curve arithmetic
 * is the kernel's MPI elliptic-curve library (lib/mpi/ec.c, exported by
 * Debian's vmlinux), the hash the module's own SM3 (gmrk_sm3.c; the kernel
 * has none). The job executor (gmrk_sim_exec.c) validates the descriptor,
 * moves the data and calls in here, in the queue's work item like every
 * other job, so key commands complete asynchronously as on the card.
 *
 * The slots outlive CTRL.RESET (they are the card's non-volatile store)
 * and die with the device: gmrk_sim_keys_free() zeroes them. A fresh
 * mpi_ec_ctx is set up for every command, since the library keeps scratch
 * values in it and the queues run in parallel; that costs little next to
 * the scalar multiplication. The library's scalar multiplication is not
 * constant-time: this is a test vehicle, not a place to keep real keys.
 */

#include <crypto/algapi.h>
#include <linux/bits.h>
#include <linux/mpi.h>
#include <linux/mutex.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/unaligned.h>

#include "gmrk_sim.h"
#include "gmrk_sm3.h"

#define GMRK_SM2_BYTES		32	/* field elements and scalars */
#define GMRK_SM2_GEN_TRIES	64	/* rejection sampling; one is almost always enough */

/* sm2p256v1, GB/T 32918.5-2017: y^2 = x^3 + ax + b over GF(p), order n, h = 1 */
static const u8 gmrk_sm2_p[GMRK_SM2_BYTES] = {
	0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

static const u8 gmrk_sm2_a[GMRK_SM2_BYTES] = {
	0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc,
};

static const u8 gmrk_sm2_b[GMRK_SM2_BYTES] = {
	0x28, 0xe9, 0xfa, 0x9e, 0x9d, 0x9f, 0x5e, 0x34,
	0x4d, 0x5a, 0x9e, 0x4b, 0xcf, 0x65, 0x09, 0xa7,
	0xf3, 0x97, 0x89, 0xf5, 0x15, 0xab, 0x8f, 0x92,
	0xdd, 0xbc, 0xbd, 0x41, 0x4d, 0x94, 0x0e, 0x93,
};

static const u8 gmrk_sm2_n[GMRK_SM2_BYTES] = {
	0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x72, 0x03, 0xdf, 0x6b, 0x21, 0xc6, 0x05, 0x2b,
	0x53, 0xbb, 0xf4, 0x09, 0x39, 0xd5, 0x41, 0x23,
};

/* n - 2: the largest private key (GB/T 32918.1, 6.1: d in [1, n - 2]) */
static const u8 gmrk_sm2_n_minus_2[GMRK_SM2_BYTES] = {
	0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x72, 0x03, 0xdf, 0x6b, 0x21, 0xc6, 0x05, 0x2b,
	0x53, 0xbb, 0xf4, 0x09, 0x39, 0xd5, 0x41, 0x21,
};

static const u8 gmrk_sm2_gx[GMRK_SM2_BYTES] = {
	0x32, 0xc4, 0xae, 0x2c, 0x1f, 0x19, 0x81, 0x19,
	0x5f, 0x99, 0x04, 0x46, 0x6a, 0x39, 0xc9, 0x94,
	0x8f, 0xe3, 0x0b, 0xbf, 0xf2, 0x66, 0x0b, 0xe1,
	0x71, 0x5a, 0x45, 0x89, 0x33, 0x4c, 0x74, 0xc7,
};

static const u8 gmrk_sm2_gy[GMRK_SM2_BYTES] = {
	0xbc, 0x37, 0x36, 0xa2, 0xf4, 0xf6, 0x77, 0x9c,
	0x59, 0xbd, 0xce, 0xe3, 0x6b, 0x69, 0x21, 0x53,
	0xd0, 0xa9, 0x87, 0x7c, 0xc6, 0x2a, 0x47, 0x40,
	0x02, 0xdf, 0x32, 0xe5, 0x21, 0x39, 0xf0, 0xa0,
};

struct gmrk_sim_slot {
	bool used;
	u8 d[GMRK_SM2_BYTES];		/* private key, big endian */
	u8 pub[GMRK_SM2_PUB_LEN];	/* 0x04 || X || Y */
};

struct gmrk_sim_keys {
	struct mutex lock;		/* the slots */
	unsigned int nslots;
	struct gmrk_sim_slot slot[];
};

/* ---- Curve arithmetic on the MPI library ---- */

/* A fresh context for sm2p256v1, with G and n. */
static int gmrk_sm2_ec_init(struct mpi_ec_ctx *ec)
{
	MPI p, a, b;
	int ret = -ENOMEM;

	memset(ec, 0, sizeof(*ec));
	p = mpi_read_raw_data(gmrk_sm2_p, GMRK_SM2_BYTES);
	a = mpi_read_raw_data(gmrk_sm2_a, GMRK_SM2_BYTES);
	b = mpi_read_raw_data(gmrk_sm2_b, GMRK_SM2_BYTES);
	if (p && a && b) {
		/* Copies p, a and b; mpi_ec_deinit() frees them, G and n. */
		mpi_ec_init(ec, MPI_EC_WEIERSTRASS, ECC_DIALECT_STANDARD, 0,
			    p, a, b);
		ec->n = mpi_read_raw_data(gmrk_sm2_n, GMRK_SM2_BYTES);
		ec->G = mpi_point_new(0);
		ret = 0;
	}
	mpi_free(p);
	mpi_free(a);
	mpi_free(b);
	if (ret)
		return ret;
	if (!ec->p || !ec->a || !ec->b || !ec->n || !ec->G) {
		mpi_ec_deinit(ec);
		return -ENOMEM;
	}
	mpi_free(ec->G->x);
	mpi_free(ec->G->y);
	ec->G->x = mpi_read_raw_data(gmrk_sm2_gx, GMRK_SM2_BYTES);
	ec->G->y = mpi_read_raw_data(gmrk_sm2_gy, GMRK_SM2_BYTES);
	if (!ec->G->x || !ec->G->y || !ec->G->z) {
		mpi_ec_deinit(ec);
		return -ENOMEM;
	}
	mpi_set_ui(ec->G->z, 1);
	return 0;
}

/* The affine point (x, y), from 32-byte big-endian coordinates. */
static MPI_POINT gmrk_sm2_point(const u8 *x, const u8 *y)
{
	MPI_POINT pt = mpi_point_new(0);

	if (!pt)
		return NULL;
	mpi_free(pt->x);
	mpi_free(pt->y);
	pt->x = mpi_read_raw_data(x, GMRK_SM2_BYTES);
	pt->y = mpi_read_raw_data(y, GMRK_SM2_BYTES);
	if (!pt->x || !pt->y || !pt->z) {
		mpi_point_release(pt);
		return NULL;
	}
	mpi_set_ui(pt->z, 1);
	return pt;
}

/* @a (below 2^256) as 32 big-endian bytes. */
static int gmrk_sm2_to_bytes(MPI a, u8 out[GMRK_SM2_BYTES])
{
	unsigned int n;
	int ret;

	ret = mpi_read_buffer(a, out, GMRK_SM2_BYTES, &n, NULL);
	if (ret)
		return ret;
	memmove(out + GMRK_SM2_BYTES - n, out, n);
	memset(out, 0, GMRK_SM2_BYTES - n);
	return 0;
}

/*
 * [@k]@pt in affine coordinates, as x || y (64 bytes).
 * Return: 0, -EINVAL for the point at infinity, -ENOMEM.
 */
static int gmrk_sm2_mul(struct mpi_ec_ctx *ec, const u8 k[GMRK_SM2_BYTES],
			MPI_POINT pt, u8 xy[2 * GMRK_SM2_BYTES])
{
	MPI_POINT r = mpi_point_new(0);
	MPI s = mpi_read_raw_data(k, GMRK_SM2_BYTES);
	MPI x = mpi_new(0), y = mpi_new(0);
	int ret = -ENOMEM;

	if (r && r->x && r->y && r->z && s && x && y) {
		mpi_ec_mul_point(r, s, pt, ec);
		ret = -EINVAL;
		if (!mpi_ec_get_affine(x, y, r, ec))
			ret = gmrk_sm2_to_bytes(x, xy) ?:
			      gmrk_sm2_to_bytes(y, xy + GMRK_SM2_BYTES);
	}
	/* mpi_free() zeroes the limbs (kfree_sensitive()). */
	mpi_free(s);
	mpi_free(x);
	mpi_free(y);
	mpi_point_release(r);
	return ret;
}

/* A private key: uniform in [1, n - 2] by rejection sampling. */
static int gmrk_sm2_random_key(u8 d[GMRK_SM2_BYTES])
{
	unsigned int i;

	for (i = 0; i < GMRK_SM2_GEN_TRIES; i++) {
		get_random_bytes(d, GMRK_SM2_BYTES);
		/* Equal-length big-endian strings compare as numbers. */
		if (memchr_inv(d, 0, GMRK_SM2_BYTES) &&
		    memcmp(d, gmrk_sm2_n_minus_2, GMRK_SM2_BYTES) <= 0)
			return 0;
	}
	return -EIO;
}

/* P = [d]G as 0x04 || X || Y. */
static int gmrk_sm2_public(const u8 d[GMRK_SM2_BYTES],
			   u8 pub[GMRK_SM2_PUB_LEN])
{
	struct mpi_ec_ctx ec;
	int ret;

	ret = gmrk_sm2_ec_init(&ec);
	if (ret)
		return ret;
	ret = gmrk_sm2_mul(&ec, d, ec.G, pub + 1);
	pub[0] = 0x04;
	mpi_ec_deinit(&ec);
	return ret;
}

/* KDF(Z, klen) of GB/T 32918.4, 5.4.3: SM3(Z || ct) for ct = 1, 2, ... */
static void gmrk_sm2_kdf(const u8 *z, size_t zlen, u8 *out, size_t klen)
{
	struct gmrk_sm3_ctx ctx;
	u8 h[GMRK_SM3_DIGEST_SIZE], ct[4];
	u32 i;

	for (i = 1; klen; i++) {
		size_t n = min_t(size_t, klen, sizeof(h));

		put_unaligned_be32(i, ct);
		gmrk_sm3_init(&ctx);
		gmrk_sm3_update(&ctx, z, zlen);
		gmrk_sm3_update(&ctx, ct, sizeof(ct));
		gmrk_sm3_final(&ctx, h);
		memcpy(out, h, n);
		out += n;
		klen -= n;
	}
	memzero_explicit(h, sizeof(h));
}

/*
 * SM2 decryption, GB/T 32918.4-2016 section 7.1, of @in = C1 || C3 || C2
 * (@in_len bytes) with private key @d; the message goes to @out only if
 * the ciphertext is authentic.
 */
static u16 gmrk_sm2_decrypt(const u8 d[GMRK_SM2_BYTES], const u8 *in,
			    u32 in_len, u8 *out)
{
	const u32 mlen = in_len - GMRK_SM2_OVERHEAD;
	const u8 *c1 = in, *c3 = in + GMRK_SM2_PUB_LEN;
	const u8 *c2 = in + GMRK_SM2_OVERHEAD;
	u8 xy[2 * GMRK_SM2_BYTES], t[GMRK_UNWRAP_MAX], m[GMRK_UNWRAP_MAX];
	u8 u[GMRK_SM3_DIGEST_SIZE];
	struct gmrk_sm3_ctx ctx;
	struct mpi_ec_ctx ec;
	MPI_POINT pt = NULL;
	u16 st = GMRK_ST_EBADMSG;
	u32 i;
	int ret;

	/* C1 in the uncompressed form, the only one the contract allows. */
	if (c1[0] != 0x04)
		return GMRK_ST_EBADMSG;
	if (gmrk_sm2_ec_init(&ec))
		return GMRK_ST_EDEV;
	pt = gmrk_sm2_point(c1 + 1, c1 + 1 + GMRK_SM2_BYTES);
	if (!pt) {
		st = GMRK_ST_EDEV;
		goto out;
	}
	/*
	 * B1: C1 must be a point of the curve (coordinates below p). B2: with
	 * cofactor h = 1, [h]C1 is C1, and an affine point is never the point
	 * at infinity.
	 */
	if (!mpi_ec_curve_point(pt, &ec))
		goto out;
	/* B3: (x2, y2) = [d]C1 */
	ret = gmrk_sm2_mul(&ec, d, pt, xy);
	if (ret) {
		st = ret == -ENOMEM ? GMRK_ST_EDEV : GMRK_ST_EBADMSG;
		goto out;
	}
	/* B4: t = KDF(x2 || y2, klen), not all zero */
	gmrk_sm2_kdf(xy, sizeof(xy), t, mlen);
	if (!memchr_inv(t, 0, mlen))
		goto out;
	/* B5: M' = C2 xor t; B6: u = SM3(x2 || M' || y2) must equal C3 */
	for (i = 0; i < mlen; i++)
		m[i] = c2[i] ^ t[i];
	gmrk_sm3_init(&ctx);
	gmrk_sm3_update(&ctx, xy, GMRK_SM2_BYTES);
	gmrk_sm3_update(&ctx, m, mlen);
	gmrk_sm3_update(&ctx, xy + GMRK_SM2_BYTES, GMRK_SM2_BYTES);
	gmrk_sm3_final(&ctx, u);
	if (crypto_memneq(u, c3, sizeof(u)))
		goto out;
	memcpy(out, m, mlen);
	st = GMRK_ST_OK;
out:
	memzero_explicit(xy, sizeof(xy));
	memzero_explicit(t, sizeof(t));
	memzero_explicit(m, sizeof(m));
	memzero_explicit(u, sizeof(u));
	mpi_point_release(pt);
	mpi_ec_deinit(&ec);
	return st;
}

/* ---- Self-test: GB/T 32918.5-2017, appendix C (encryption example) ---- */

static const u8 gmrk_sm2_kat_d[GMRK_SM2_BYTES] = {
	0x39, 0x45, 0x20, 0x8f, 0x7b, 0x21, 0x44, 0xb1,
	0x3f, 0x36, 0xe3, 0x8a, 0xc6, 0xd3, 0x9f, 0x95,
	0x88, 0x93, 0x93, 0x69, 0x28, 0x60, 0xb5, 0x1a,
	0x42, 0xfb, 0x81, 0xef, 0x4d, 0xf7, 0xc5, 0xb8,
};

static const u8 gmrk_sm2_kat_pub[GMRK_SM2_PUB_LEN] = {
	0x04,
	0x09, 0xf9, 0xdf, 0x31, 0x1e, 0x54, 0x21, 0xa1,
	0x50, 0xdd, 0x7d, 0x16, 0x1e, 0x4b, 0xc5, 0xc6,
	0x72, 0x17, 0x9f, 0xad, 0x18, 0x33, 0xfc, 0x07,
	0x6b, 0xb0, 0x8f, 0xf3, 0x56, 0xf3, 0x50, 0x20,
	0xcc, 0xea, 0x49, 0x0c, 0xe2, 0x67, 0x75, 0xa5,
	0x2d, 0xc6, 0xea, 0x71, 0x8c, 0xc1, 0xaa, 0x60,
	0x0a, 0xed, 0x05, 0xfb, 0xf3, 0x5e, 0x08, 0x4a,
	0x66, 0x32, 0xf6, 0x07, 0x2d, 0xa9, 0xad, 0x13,
};

static const char gmrk_sm2_kat_msg[] = "encryption standard";

/* C1 || C3 || C2 of the message under the key above (k of the example) */
static const u8 gmrk_sm2_kat_ct[GMRK_SM2_OVERHEAD +
				sizeof(gmrk_sm2_kat_msg) - 1] = {
	0x04,
	0x04, 0xeb, 0xfc, 0x71, 0x8e, 0x8d, 0x17, 0x98,
	0x62, 0x04, 0x32, 0x26, 0x8e, 0x77, 0xfe, 0xb6,
	0x41, 0x5e, 0x2e, 0xde, 0x0e, 0x07, 0x3c, 0x0f,
	0x4f, 0x64, 0x0e, 0xcd, 0x2e, 0x14, 0x9a, 0x73,
	0xe8, 0x58, 0xf9, 0xd8, 0x1e, 0x54, 0x30, 0xa5,
	0x7b, 0x36, 0xda, 0xab, 0x8f, 0x95, 0x0a, 0x3c,
	0x64, 0xe6, 0xee, 0x6a, 0x63, 0x09, 0x4d, 0x99,
	0x28, 0x3a, 0xff, 0x76, 0x7e, 0x12, 0x4d, 0xf0,
	/* C3 */
	0x59, 0x98, 0x3c, 0x18, 0xf8, 0x09, 0xe2, 0x62,
	0x92, 0x3c, 0x53, 0xae, 0xc2, 0x95, 0xd3, 0x03,
	0x83, 0xb5, 0x4e, 0x39, 0xd6, 0x09, 0xd1, 0x60,
	0xaf, 0xcb, 0x19, 0x08, 0xd0, 0xbd, 0x87, 0x66,
	/* C2 */
	0x21, 0x88, 0x6c, 0xa9, 0x89, 0xca, 0x9c, 0x7d,
	0x58, 0x08, 0x73, 0x07, 0xca, 0x93, 0x09, 0x2d,
	0x65, 0x1e, 0xfa,
};

/*
 * Run once at module load: SM3, the curve (G on it, [n]G the point at
 * infinity), key derivation and decryption against the standard's example,
 * and a decryption that must fail. Devices offer key slots only if it
 * passed.
 */
int gmrk_sim_keys_selftest(void)
{
	u8 pub[GMRK_SM2_PUB_LEN], ct[sizeof(gmrk_sm2_kat_ct)];
	u8 msg[sizeof(gmrk_sm2_kat_msg) - 1], xy[2 * GMRK_SM2_BYTES];
	struct mpi_ec_ctx ec;
	int ret;

	ret = gmrk_sm3_selftest();
	if (ret)
		return ret;

	ret = gmrk_sm2_ec_init(&ec);
	if (ret)
		return ret;
	ret = -EIO;
	if (mpi_ec_curve_point(ec.G, &ec) &&
	    gmrk_sm2_mul(&ec, gmrk_sm2_n, ec.G, xy) == -EINVAL)
		ret = 0;
	mpi_ec_deinit(&ec);
	if (ret)
		return ret;

	ret = gmrk_sm2_public(gmrk_sm2_kat_d, pub);
	if (ret)
		return ret;
	if (memcmp(pub, gmrk_sm2_kat_pub, sizeof(pub)))
		return -EIO;
	if (gmrk_sm2_decrypt(gmrk_sm2_kat_d, gmrk_sm2_kat_ct, sizeof(ct),
			     msg) != GMRK_ST_OK ||
	    memcmp(msg, gmrk_sm2_kat_msg, sizeof(msg)))
		return -EIO;
	memcpy(ct, gmrk_sm2_kat_ct, sizeof(ct));
	ct[sizeof(ct) - 1] ^= 0x01;
	if (gmrk_sm2_decrypt(gmrk_sm2_kat_d, ct, sizeof(ct), msg) !=
	    GMRK_ST_EBADMSG)
		return -EIO;
	return 0;
}

/* ---- The slots ---- */

int gmrk_sim_keys_init(struct gmrk_sim_dev *sim, unsigned int slots)
{
	struct gmrk_sim_keys *keys;

	sim->key_slots = 0;
	sim->key_map = 0;
	if (!slots)
		return 0;
	keys = kzalloc(struct_size(keys, slot, slots), GFP_KERNEL);
	if (!keys)
		return -ENOMEM;
	mutex_init(&keys->lock);
	keys->nslots = slots;
	sim->keys = keys;
	sim->key_slots = slots;
	return 0;
}

/* The device is going away: its keys with it. No job runs any more. */
void gmrk_sim_keys_free(struct gmrk_sim_dev *sim)
{
	struct gmrk_sim_keys *keys = sim->keys;

	if (!keys)
		return;
	sim->keys = NULL;
	mutex_destroy(&keys->lock);
	kfree_sensitive(keys);
}

/* Under keys->lock: publish a slot's state in KEY_SLOT_MAP. */
static void gmrk_sim_keys_publish(struct gmrk_sim_dev *sim, unsigned int slot,
				  bool used)
{
	unsigned long flags;

	spin_lock_irqsave(&sim->lock, flags);
	if (used)
		sim->key_map |= BIT(slot);
	else
		sim->key_map &= ~BIT(slot);
	gmrk_sim_set_reg(sim, GMRK_REG_KEY_SLOT_MAP, sim->key_map);
	spin_unlock_irqrestore(&sim->lock, flags);
}

u16 gmrk_sim_key_gen(struct gmrk_sim_dev *sim, unsigned int slot,
		     u8 pub[GMRK_SM2_PUB_LEN])
{
	struct gmrk_sim_keys *keys = sim->keys;
	struct gmrk_sim_slot *s = &keys->slot[slot];
	u8 d[GMRK_SM2_BYTES];
	u16 st = GMRK_ST_EEXIST;

	mutex_lock(&keys->lock);
	if (s->used)
		goto out;
	st = GMRK_ST_EDEV;
	if (gmrk_sm2_random_key(d) || gmrk_sm2_public(d, pub))
		goto out;
	memcpy(s->d, d, sizeof(d));
	memcpy(s->pub, pub, GMRK_SM2_PUB_LEN);
	s->used = true;
	gmrk_sim_keys_publish(sim, slot, true);
	st = GMRK_ST_OK;
out:
	mutex_unlock(&keys->lock);
	memzero_explicit(d, sizeof(d));
	return st;
}

u16 gmrk_sim_key_pub(struct gmrk_sim_dev *sim, unsigned int slot,
		     u8 pub[GMRK_SM2_PUB_LEN])
{
	struct gmrk_sim_keys *keys = sim->keys;
	u16 st = GMRK_ST_ENOKEY;

	mutex_lock(&keys->lock);
	if (keys->slot[slot].used) {
		memcpy(pub, keys->slot[slot].pub, GMRK_SM2_PUB_LEN);
		st = GMRK_ST_OK;
	}
	mutex_unlock(&keys->lock);
	return st;
}

u16 gmrk_sim_key_unwrap(struct gmrk_sim_dev *sim, unsigned int slot,
			const u8 *in, u32 in_len, u8 *out)
{
	struct gmrk_sim_keys *keys = sim->keys;
	u8 d[GMRK_SM2_BYTES];
	u16 st;

	/* A copy of the key, so unwraps in several queues run in parallel. */
	mutex_lock(&keys->lock);
	if (!keys->slot[slot].used) {
		mutex_unlock(&keys->lock);
		return GMRK_ST_ENOKEY;
	}
	memcpy(d, keys->slot[slot].d, sizeof(d));
	mutex_unlock(&keys->lock);

	st = gmrk_sm2_decrypt(d, in, in_len, out);
	memzero_explicit(d, sizeof(d));
	return st;
}

u16 gmrk_sim_key_destroy(struct gmrk_sim_dev *sim, unsigned int slot)
{
	struct gmrk_sim_keys *keys = sim->keys;
	struct gmrk_sim_slot *s = &keys->slot[slot];
	u16 st = GMRK_ST_ENOKEY;

	mutex_lock(&keys->lock);
	if (s->used) {
		memzero_explicit(s, sizeof(*s));
		gmrk_sim_keys_publish(sim, slot, false);
		st = GMRK_ST_OK;
	}
	mutex_unlock(&keys->lock);
	return st;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The card master-key provider (GMRK_PROVIDER_CARD) where there is no
 * card: the host.
 *
 *   - the key-file entry codec of provider 5: round trips at the bounds
 *     (slot 0 and 31, raw ciphertexts of 98 and 161 bytes), every
 *     truncation, corrupt parameters (W out of range or disagreeing with
 *     P, a public key that is not 04||X||Y), slots the hardware contract
 *     cannot have, and an encoder that refuses the same;
 *   - the DER SM2Cipher -> raw C1 || C3 || C2 conversion: OpenSSL's
 *     ciphertext of libgmrk's own wrap, converted, decrypted by a GB/T
 *     32918.4 decryption written here from the standard (EC point
 *     multiplication, SM3 KDF and check value) with a private key the
 *     test generated; a DER sequence built here byte by byte converted to
 *     exactly the components it was built from (a coordinate with a
 *     leading 0x00, a short one); and every malformed input refused;
 *   - the configuration (SLOT, gmrkN:SLOT) and its errors;
 *   - GMRK_CARD_KEY set with no /dev/gmrk* present: creating, opening
 *     and rewrapping fail with the message naming the key file, the asset
 *     and the cause, word for word, and no file is created, changed or
 *     deleted. Another kind of master key and another slot are refused
 *     before any device is looked for.
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>

#include "cardkey.h"
#include "internal.h"
#include "sm2.h"
#include "th_keys.h"

#define EK_HEX	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static bool have_card_nodes;

static void rnd(void *p, size_t n)
{
	assert_int_equal(RAND_bytes(p, (int)n), 1);
}

/* a card entry with @slot and a @wlen-byte raw ciphertext, fields random */
static void card_entry(struct gmrk_kf_entry *e, unsigned int slot, size_t wlen)
{
	memset(e, 0, sizeof(*e));
	e->provider = GMRK_PROVIDER_CARD;
	e->wrap = GMRK_CIPHER_AES_GCM;
	e->version = 7;
	rnd(e->id, sizeof(e->id));
	snprintf(e->asset, sizeof(e->asset), "stream-%u", slot);
	rnd(e->salt, sizeof(e->salt));
	e->card_slot = slot;
	rnd(e->card_pub, sizeof(e->card_pub));
	e->card_pub[0] = 0x04;
	e->wrappedlen = wlen;
	rnd(e->wrapped, wlen);
	rnd(e->nonce, sizeof(e->nonce));
	rnd(e->sealed, sizeof(e->sealed));
}

/* the whole entry: header, nonce, sealed key; returns its length */
static size_t card_encode(const struct gmrk_kf_entry *e, uint8_t *buf, size_t cap)
{
	size_t head = gmrk__kf_encode_head(e, buf, cap);

	assert_true(head > 0);
	assert_true(head + GMRK_NONCE_LEN + GMRK_KF_SEALED <= cap);
	memcpy(buf + head, e->nonce, GMRK_NONCE_LEN);
	memcpy(buf + head + GMRK_NONCE_LEN, e->sealed, GMRK_KF_SEALED);
	return head + GMRK_NONCE_LEN + GMRK_KF_SEALED;
}

static void test_codec_roundtrip(void **s)
{
	static const unsigned int slots[] = { 0, 1, 17, GMRK_CARD_SLOTS_MAX - 1 };
	static const size_t wlens[] = { GMRK_CARD_OVERHEAD + 1, GMRK_CARD_OVERHEAD + 32,
					GMRK_CARD_RAW_MAX };
	uint8_t buf[1024];

	(void)s;
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		for (size_t j = 0; j < sizeof(wlens) / sizeof(wlens[0]); j++) {
			struct gmrk_kf_entry e, d;
			size_t len = 0, used = 0, A;
			gmrk_error err;

			card_entry(&e, slots[i], wlens[j]);
			len = card_encode(&e, buf, sizeof(buf));
			A = strlen(e.asset);
			/* the documented layout: P = 101 + W, the slot big endian after the salt */
			assert_int_equal(gmrk__get_be16(buf + 24), 101 + wlens[j]);
			assert_int_equal(buf[9], GMRK_PROVIDER_CARD);
			assert_int_equal(gmrk__get_be16(buf + GMRK_KF_FIXED + A + 32), slots[i]);
			assert_memory_equal(buf + GMRK_KF_FIXED + A + 34, e.card_pub, 65);
			assert_int_equal(gmrk__get_be16(buf + GMRK_KF_FIXED + A + 99), wlens[j]);
			assert_memory_equal(buf + GMRK_KF_FIXED + A + 101, e.wrapped, wlens[j]);
			assert_int_equal(len, GMRK_KF_FIXED + A + 101 + wlens[j] + 12 + 48);

			assert_int_equal(gmrk__kf_parse(buf, len, &d, &used, "x.key", &err), 0);
			assert_int_equal(used, len);
			assert_int_equal(d.provider, GMRK_PROVIDER_CARD);
			assert_int_equal(d.wrap, e.wrap);
			assert_int_equal(d.version, e.version);
			assert_memory_equal(d.id, e.id, sizeof(e.id));
			assert_string_equal(d.asset, e.asset);
			assert_memory_equal(d.salt, e.salt, sizeof(e.salt));
			assert_int_equal(d.card_slot, slots[i]);
			assert_memory_equal(d.card_pub, e.card_pub, sizeof(e.card_pub));
			assert_int_equal(d.wrappedlen, wlens[j]);
			assert_memory_equal(d.wrapped, e.wrapped, wlens[j]);
			assert_memory_equal(d.nonce, e.nonce, sizeof(e.nonce));
			assert_memory_equal(d.sealed, e.sealed, sizeof(e.sealed));
			assert_int_equal(d.aadlen, GMRK_KF_FIXED + A + 101 + wlens[j]);
		}
	}
}

static void test_codec_truncated(void **s)
{
	struct gmrk_kf_entry e, d;
	uint8_t buf[1024];
	size_t len, cut, used;

	(void)s;
	card_entry(&e, 3, GMRK_CARD_OVERHEAD + 32);
	len = card_encode(&e, buf, sizeof(buf));
	for (cut = 1; cut < len; cut++) {
		gmrk_error err;

		assert_int_equal(gmrk__kf_parse(buf, cut, &d, &used, "t.key", &err),
				 -GMRK_E_TRUNCATED);
		tk_assert_msg(&err, GMRK_E_TRUNCATED, "key file 't.key': truncated");
	}
}

/* parse must refuse @buf (@len) with @code and @msg */
static void refused(const uint8_t *buf, size_t len, int code, const char *msg)
{
	struct gmrk_kf_entry d;
	gmrk_error err;
	size_t used;

	assert_int_equal(gmrk__kf_parse(buf, len, &d, &used, "c.key", &err), -code);
	tk_assert_msg(&err, code, "%s", msg);
}

static void test_codec_corrupt(void **s)
{
	struct gmrk_kf_entry e;
	uint8_t buf[1024], bad[1024];
	size_t len, A, off;

	(void)s;
	card_entry(&e, 4, GMRK_CARD_OVERHEAD + 32);
	len = card_encode(&e, buf, sizeof(buf));
	A = strlen(e.asset);
	off = GMRK_KF_FIXED + A;	/* the provider parameters */

	/* W disagreeing with P, both ways, and W out of 98..161 */
	static const uint16_t ws[] = { 0, 1, 97, GMRK_CARD_OVERHEAD + 31, GMRK_CARD_OVERHEAD + 33,
				       162, 0xffff };
	for (size_t i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
		memcpy(bad, buf, len);
		gmrk__put_be16(bad + off + 99, ws[i]);
		refused(bad, len, GMRK_E_CORRUPT, "key file 'c.key': corrupt card parameters");
	}
	/* P too small for any card entry, or too large */
	memcpy(bad, buf, len);
	gmrk__put_be16(bad + 24, 101);
	refused(bad, len, GMRK_E_CORRUPT, "key file 'c.key': corrupt header");
	memcpy(bad, buf, len);
	gmrk__put_be16(bad + 24, 101 + 162);
	refused(bad, len, GMRK_E_CORRUPT, "key file 'c.key': corrupt header");
	/* P consistent with a W that is out of range: the W check says so */
	memcpy(bad, buf, len);
	gmrk__put_be16(bad + 24, 101 + 97);
	gmrk__put_be16(bad + off + 99, 97);
	refused(bad, len, GMRK_E_CORRUPT, "key file 'c.key': corrupt card parameters");
	/* a public key that is not an uncompressed point */
	static const uint8_t lead[] = { 0x00, 0x02, 0x03, 0x05, 0xff };
	for (size_t i = 0; i < sizeof(lead); i++) {
		memcpy(bad, buf, len);
		bad[off + 34] = lead[i];
		refused(bad, len, GMRK_E_CORRUPT, "key file 'c.key': corrupt card parameters");
	}
	/* an unknown provider next to it is still "not supported", not corrupt */
	memcpy(bad, buf, len);
	bad[9] = 6;
	refused(bad, len, GMRK_E_UNSUPPORTED,
		"key file 'c.key': key provider 6 not supported by this libgmrk");
}

static void test_codec_unknown_slot(void **s)
{
	static const uint16_t slots[] = { GMRK_CARD_SLOTS_MAX, GMRK_CARD_SLOTS_MAX + 1, 255, 256,
					  0x8000, 0xffff };
	struct gmrk_kf_entry e;
	uint8_t buf[1024], bad[1024];
	size_t len, off;

	(void)s;
	card_entry(&e, GMRK_CARD_SLOTS_MAX - 1, GMRK_CARD_OVERHEAD + 32);
	len = card_encode(&e, buf, sizeof(buf));
	off = GMRK_KF_FIXED + strlen(e.asset) + 32;
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		memcpy(bad, buf, len);
		gmrk__put_be16(bad + off, slots[i]);
		refused(bad, len, GMRK_E_CORRUPT, "key file 'c.key': corrupt card parameters");
		/* and the encoder never writes one */
		e.card_slot = slots[i];
		assert_int_equal(gmrk__kf_encode_head(&e, bad, sizeof(bad)), 0);
	}
	/* nor a raw ciphertext out of range */
	e.card_slot = 0;
	e.wrappedlen = GMRK_CARD_OVERHEAD;
	assert_int_equal(gmrk__kf_encode_head(&e, bad, sizeof(bad)), 0);
	e.wrappedlen = GMRK_CARD_RAW_MAX + 1;
	assert_int_equal(gmrk__kf_encode_head(&e, bad, sizeof(bad)), 0);
}

/* ------------------------------------------------ DER -> raw C1||C3||C2 */

static void sm3(const void *a, size_t alen, const void *b, size_t blen, const void *c,
		size_t clen, uint8_t out[32])
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	unsigned int n = 0;

	assert_non_null(m);
	assert_int_equal(EVP_DigestInit_ex(m, EVP_sm3(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(m, a, alen), 1);
	if (blen)
		assert_int_equal(EVP_DigestUpdate(m, b, blen), 1);
	if (clen)
		assert_int_equal(EVP_DigestUpdate(m, c, clen), 1);
	assert_int_equal(EVP_DigestFinal_ex(m, out, &n), 1);
	assert_int_equal(n, 32);
	EVP_MD_CTX_free(m);
}

/*
 * GB/T 32918.4 decryption of raw C1 || C3 || C2 with private key @pkey,
 * as the card does it: (x2, y2) = d * C1, t = KDF(x2 || y2, |C2|) with
 * KDF(Z, k) = SM3(Z || 1) || SM3(Z || 2) || ... (32-bit big-endian
 * counters), M = C2 xor t; true when SM3(x2 || M || y2) = C3.
 */
static bool sm2_decrypt_raw(EVP_PKEY *pkey, const uint8_t *raw, size_t len, uint8_t *m)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_sm2);
	EC_POINT *c1 = g ? EC_POINT_new(g) : NULL, *p = g ? EC_POINT_new(g) : NULL;
	BIGNUM *d = NULL, *x = BN_new(), *y = BN_new();
	uint8_t xy[64], t[96], c3[32];
	size_t n = len - GMRK_CARD_OVERHEAD, i;
	uint32_t ct;

	assert_true(len > GMRK_CARD_OVERHEAD && n <= 64);
	assert_non_null(c1);
	assert_non_null(p);
	assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d), 1);
	assert_int_equal(EC_POINT_oct2point(g, c1, raw, GMRK_CARD_PUB_LEN, NULL), 1);
	assert_int_equal(EC_POINT_mul(g, p, NULL, c1, d, NULL), 1);
	assert_int_equal(EC_POINT_get_affine_coordinates(g, p, x, y, NULL), 1);
	assert_int_equal(BN_bn2binpad(x, xy, 32), 32);
	assert_int_equal(BN_bn2binpad(y, xy + 32, 32), 32);
	for (ct = 1; (ct - 1) * 32 < n; ct++) {
		uint8_t be[4] = { (uint8_t)(ct >> 24), (uint8_t)(ct >> 16), (uint8_t)(ct >> 8),
				  (uint8_t)ct };

		sm3(xy, sizeof(xy), be, sizeof(be), NULL, 0, t + (ct - 1) * 32);
	}
	for (i = 0; i < n; i++)
		m[i] = raw[GMRK_CARD_OVERHEAD + i] ^ t[i];
	sm3(xy, 32, m, n, xy + 32, 32, c3);
	BN_clear_free(d);
	BN_free(x);
	BN_free(y);
	EC_POINT_free(c1);
	EC_POINT_free(p);
	EC_GROUP_free(g);
	return !memcmp(c3, raw + GMRK_CARD_PUB_LEN, 32);
}

static void test_der_to_raw_decrypts(void **s)
{
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
	uint8_t pub[GMRK_CARD_PUB_LEN], der[GMRK_SM2_WRAPPED_MAX], raw[GMRK_CARD_RAW_MAX];
	char hex[2 * GMRK_CARD_PUB_LEN + 1];
	EVP_PKEY *pkey = NULL;
	size_t publen = 0;
	gmrk_sm2 *k;
	gmrk_error err;

	(void)s;
	assert_non_null(kc);
	assert_int_equal(EVP_PKEY_keygen_init(kc), 1);
	assert_int_equal(EVP_PKEY_generate(kc, &pkey), 1);
	EVP_PKEY_CTX_free(kc);
	assert_int_equal(EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
							 pub, sizeof(pub), &publen), 1);
	assert_int_equal(publen, sizeof(pub));
	gmrk_card_pub_hex(pub, hex);
	/* the public key as the card reports it, into libgmrk's SM2 wrap */
	k = gmrk_sm2_from_public_hex(hex, &err);
	assert_non_null(k);
	for (int round = 0; round < 40; round++) {
		size_t mlen = round < 20 ? 32 : (size_t)(round - 19) * 3;	/* 3..63 bytes */
		uint8_t msg[64], back[64];
		size_t derlen = 0, rawlen = 0;

		rnd(msg, mlen);
		assert_int_equal(gmrk_sm2_wrap(k, msg, mlen, der, sizeof(der), &derlen, &err), 0);
		assert_int_equal(gmrk_card_der_to_raw(der, derlen, raw, sizeof(raw), &rawlen), 0);
		assert_int_equal(rawlen, GMRK_CARD_OVERHEAD + mlen);
		assert_int_equal(raw[0], 0x04);
		assert_true(sm2_decrypt_raw(pkey, raw, rawlen, back));
		assert_memory_equal(back, msg, mlen);
		/* the check can fail: a changed C2 byte breaks C3, a changed C3 too */
		raw[GMRK_CARD_OVERHEAD + (size_t)round % mlen] ^= 0x20;
		assert_false(sm2_decrypt_raw(pkey, raw, rawlen, back));
		raw[GMRK_CARD_OVERHEAD + (size_t)round % mlen] ^= 0x20;
		raw[GMRK_CARD_PUB_LEN + (size_t)round % 32] ^= 0x01;
		assert_false(sm2_decrypt_raw(pkey, raw, rawlen, back));
		/* too small a buffer */
		assert_int_equal(gmrk_card_der_to_raw(der, derlen, raw, GMRK_CARD_OVERHEAD + mlen - 1,
						      &rawlen), -ENOSPC);
	}
	gmrk_sm2_free(k);
	EVP_PKEY_free(pkey);
}

/* one DER TLV (short or one-byte long form) at @out; its length */
static size_t tlv(uint8_t *out, uint8_t tag, const uint8_t *v, size_t n)
{
	size_t h = 2;

	assert_true(n < 256);
	out[0] = tag;
	if (n < 128) {
		out[1] = (uint8_t)n;
	} else {
		out[1] = 0x81;
		out[2] = (uint8_t)n;
		h = 3;
	}
	memcpy(out + h, v, n);
	return h + n;
}

/* SEQUENCE { INTEGER x (xn bytes), INTEGER y, OCTET STRING c3, OCTET STRING c2 } */
static size_t der_cipher(uint8_t *out, const uint8_t *x, size_t xn, const uint8_t *y, size_t yn,
			 const uint8_t *c3, size_t c3n, const uint8_t *c2, size_t c2n)
{
	uint8_t body[400];
	size_t n = 0;

	n += tlv(body + n, 0x02, x, xn);
	n += tlv(body + n, 0x02, y, yn);
	n += tlv(body + n, 0x04, c3, c3n);
	n += tlv(body + n, 0x04, c2, c2n);
	return tlv(out, 0x30, body, n);
}

static void test_der_to_raw_built(void **s)
{
	uint8_t x[33], y[32], c3[33], c2[65], der[512], raw[GMRK_CARD_RAW_MAX], want[GMRK_CARD_RAW_MAX];
	size_t n, rawlen;

	(void)s;
	/* x with its top bit set (DER prefixes 0x00), y one byte short (leading zero dropped) */
	rnd(x, sizeof(x));
	x[0] = 0x00;
	x[1] |= 0x80;
	rnd(y, sizeof(y));
	y[0] = 0x00;
	y[1] = (uint8_t)((y[1] & 0x7f) | 0x01);
	rnd(c3, sizeof(c3));
	rnd(c2, sizeof(c2));
	for (size_t c2n = 1; c2n <= GMRK_CARD_UNWRAP_MAX; c2n++) {
		n = der_cipher(der, x, 33, y + 1, 31, c3, 32, c2, c2n);
		assert_int_equal(gmrk_card_der_to_raw(der, n, raw, sizeof(raw), &rawlen), 0);
		want[0] = 0x04;
		memcpy(want + 1, x + 1, 32);
		memcpy(want + 33, y, 32);	/* padded back to 32 bytes */
		memcpy(want + 65, c3, 32);
		memcpy(want + 97, c2, c2n);
		assert_int_equal(rawlen, 97 + c2n);
		assert_memory_equal(raw, want, rawlen);
	}

	/* every malformed sequence is refused */
	uint8_t neg[32], big[33];
	size_t base;

	memcpy(neg, x + 1, 32);	/* top bit set, no 0x00: a negative INTEGER */
	rnd(big, sizeof(big));
	big[0] = 0x01;		/* 33 significant bytes: not a coordinate */
	n = der_cipher(der, neg, 32, y + 1, 31, c3, 32, c2, 32);
	assert_int_equal(gmrk_card_der_to_raw(der, n, raw, sizeof(raw), &rawlen), -EBADMSG);
	n = der_cipher(der, x, 33, big, 33, c3, 32, c2, 32);
	assert_int_equal(gmrk_card_der_to_raw(der, n, raw, sizeof(raw), &rawlen), -EBADMSG);
	n = der_cipher(der, x, 33, y + 1, 31, c3, 31, c2, 32);
	assert_int_equal(gmrk_card_der_to_raw(der, n, raw, sizeof(raw), &rawlen), -EBADMSG);
	n = der_cipher(der, x, 33, y + 1, 31, c3, 33, c2, 32);
	assert_int_equal(gmrk_card_der_to_raw(der, n, raw, sizeof(raw), &rawlen), -EBADMSG);
	n = der_cipher(der, x, 33, y + 1, 31, c3, 32, c2, 0);
	assert_int_equal(gmrk_card_der_to_raw(der, n, raw, sizeof(raw), &rawlen), -EBADMSG);
	n = der_cipher(der, x, 33, y + 1, 31, c3, 32, c2, 65);
	assert_int_equal(gmrk_card_der_to_raw(der, n, raw, sizeof(raw), &rawlen), -EBADMSG);
	/*
	 * x, y, C3, C2 (and one more C2) with other tags or counts: an OCTET
	 * STRING where x belongs, an INTEGER where C3 belongs, three
	 * elements, five elements
	 */
	{
		static const struct { uint8_t tag[5]; size_t count; } seqs[] = {
			{ { 0x04, 0x02, 0x04, 0x04 }, 4 }, { { 0x02, 0x02, 0x02, 0x04 }, 4 },
			{ { 0x02, 0x02, 0x04 }, 3 }, { { 0x02, 0x02, 0x04, 0x04, 0x04 }, 5 },
		};
		const uint8_t *v[5] = { x, y + 1, c3, c2, c2 };
		static const size_t vn[5] = { 33, 31, 32, 32, 1 };

		for (size_t t = 0; t < sizeof(seqs) / sizeof(seqs[0]); t++) {
			uint8_t body[400];
			size_t m = 0;
			int rc;

			for (size_t e = 0; e < seqs[t].count; e++)
				m += tlv(body + m, seqs[t].tag[e], v[e], vn[e]);
			n = tlv(der, 0x30, body, m);
			rc = gmrk_card_der_to_raw(der, n, raw, sizeof(raw), &rawlen);
			if (rc != -EBADMSG)
				fail_msg("malformed sequence %zu: %d, not -EBADMSG", t, rc);
		}
	}
	/* a good one with trailing bytes, cut at every length, or wrapped in a SET */
	base = der_cipher(der, x, 33, y + 1, 31, c3, 32, c2, 32);
	der[base] = 0x00;
	assert_int_equal(gmrk_card_der_to_raw(der, base + 1, raw, sizeof(raw), &rawlen), -EBADMSG);
	for (size_t cut = 0; cut < base; cut++)
		assert_int_equal(gmrk_card_der_to_raw(der, cut, raw, sizeof(raw), &rawlen),
				 -EBADMSG);
	der[0] = 0x31;
	assert_int_equal(gmrk_card_der_to_raw(der, base, raw, sizeof(raw), &rawlen), -EBADMSG);
	der[0] = 0x30;
	assert_int_equal(gmrk_card_der_to_raw(der, base, raw, sizeof(raw), &rawlen), 0);
}

static void test_spec(void **s)
{
	char dev[16];
	unsigned int slot = 99;

	(void)s;
	assert_int_equal(gmrk_card_parse_spec("2", dev, &slot), 0);
	assert_string_equal(dev, "");
	assert_int_equal(slot, 2);
	assert_int_equal(gmrk_card_parse_spec("gmrk0:31", dev, &slot), 0);
	assert_string_equal(dev, "gmrk0");
	assert_int_equal(slot, 31);
	assert_int_equal(gmrk_card_parse_spec("/dev/gmrk12:0", dev, &slot), 0);
	assert_string_equal(dev, "gmrk12");
	assert_int_equal(slot, 0);
	static const char *const bad[] = { "", "32", "-1", "+1", " 1", "1 ", "2x", "0x2",
					   "gmrk0:", ":2", "gmrk:2", "gmrkx:1", "gmrk01:1",
					   "gmrk0:32", "sda:1", "gmrk0:1:2", "/dev/:1",
					   "gmrk99999999999:1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(gmrk_card_parse_spec(bad[i], dev, &slot), -EINVAL);
		assert_string_equal(dev, "");
	}
}

/* ------------------------------------------- GMRK_CARD_KEY without a card */

static void clean_env(void)
{
	unsetenv("GMRK_KEY");
	unsetenv("GMRK_CARD_KEY");
	unsetenv("GMRK_SM2_PUBLIC_KEY");
	unsetenv("GMRK_SM2_PRIVATE_KEY_FILE");
	unsetenv("GMRK_TPM_KEYS_FILE");
}

static gmrk_ctx *ctx_env(const char *card)
{
	gmrk_error err;
	gmrk_ctx *ctx;

	clean_env();
	if (card)
		setenv("GMRK_CARD_KEY", card, 1);
	ctx = gmrk_ctx_new(NULL, &err);
	if (!ctx)
		fail_msg("gmrk_ctx_new: %s", err.message);
	return ctx;
}

/* a card key file for @asset, slot @slot, at @path */
static void write_card_file(const char *path, const char *asset, unsigned int slot)
{
	struct gmrk_kf_entry e;
	uint8_t buf[1024];
	size_t len;

	card_entry(&e, slot, GMRK_CARD_OVERHEAD + 32);
	snprintf(e.asset, sizeof(e.asset), "%s", asset);
	len = card_encode(&e, buf, sizeof(buf));
	tk_spit(path, buf, len, 0600);
}

static void test_no_card_create(void **s)
{
	char *dir = tk_dir("create"), *path = tk_join(dir, "stream1.key");
	gmrk_error err;
	gmrk_ctx *ctx;

	(void)s;
	if (have_card_nodes)
		skip();
	ctx = ctx_env("2");
	assert_null(gmrk_key_open(ctx, path, NULL, GMRK_KEY_CREATE, &err));
	tk_assert_msg(&err, GMRK_E_UNSUPPORTED,
		      "key file '%s' of asset 'stream1': card key: no gm-rk device (/dev/gmrk*) found; a card-held key needs its card",
		      path);
	assert_int_equal(tk_count(dir), 0);	/* no key file, no temporary */
	gmrk_ctx_free(ctx);

	/* a named device that is not there */
	ctx = ctx_env("gmrk3:2");
	assert_null(gmrk_key_open(ctx, path, NULL, GMRK_KEY_CREATE | GMRK_KEY_EXCL, &err));
	tk_assert_msg(&err, GMRK_E_UNSUPPORTED,
		      "key file '%s' of asset 'stream1': card key: no device /dev/gmrk3 (GMRK_CARD_KEY=gmrk3:2); a card-held key needs its card",
		      path);
	assert_int_equal(tk_count(dir), 0);
	gmrk_ctx_free(ctx);

	/* the card key comes before GMRK_KEY: it is the one that fails */
	clean_env();
	setenv("GMRK_CARD_KEY", "5", 1);
	setenv("GMRK_KEY", EK_HEX, 1);
	{
		gmrk_ctx *both = gmrk_ctx_new(NULL, &err);

		assert_non_null(both);
		assert_null(gmrk_key_open(both, path, "a1", GMRK_KEY_CREATE, &err));
		tk_assert_msg(&err, GMRK_E_UNSUPPORTED,
			      "key file '%s' of asset 'a1': card key: no gm-rk device (/dev/gmrk*) found; a card-held key needs its card",
			      path);
		gmrk_ctx_free(both);
	}
	/* and GMRK_CFG_IGNORE_ENV ignores it */
	{
		struct gmrk_config cfg;
		gmrk_ctx *ign;
		gmrk_key *k;

		gmrk_config_init(&cfg);
		cfg.flags = GMRK_CFG_IGNORE_ENV;
		cfg.master_key = EK_HEX;
		cfg.master_key_len = strlen(EK_HEX);
		ign = gmrk_ctx_new(&cfg, &err);
		assert_non_null(ign);
		k = gmrk_key_open(ign, path, NULL, GMRK_KEY_CREATE, &err);
		if (!k)
			fail_msg("ignore env: %s", err.message);
		gmrk_key_free(k);
		gmrk_ctx_free(ign);
		assert_int_equal(tk_count(dir), 1);
	}
	clean_env();
	free(path);
	free(dir);
}

static void test_no_card_open(void **s)
{
	char *dir = tk_dir("open"), *path = tk_join(dir, "orders.key");
	uint8_t *before;
	size_t blen;
	gmrk_error err;
	gmrk_ctx *ctx;

	(void)s;
	if (have_card_nodes)
		skip();
	write_card_file(path, "orders", 2);
	before = tk_slurp(path, &blen);
	ctx = ctx_env("2");
	for (int i = 0; i < 2; i++) {	/* with and without GMRK_KEY_CREATE */
		assert_null(gmrk_key_open(ctx, path, NULL, i ? GMRK_KEY_CREATE : 0, &err));
		tk_assert_msg(&err, GMRK_E_UNSUPPORTED,
			      "key file '%s' of asset 'orders': card key: no gm-rk device (/dev/gmrk*) found; only the card can unwrap (no software fallback)",
			      path);
	}
	gmrk_ctx_free(ctx);
	/* a file of another slot: refused before any device is looked for */
	ctx = ctx_env("gmrk0:3");
	assert_null(gmrk_key_open(ctx, path, NULL, 0, &err));
	tk_assert_msg(&err, GMRK_E_WRONG_KEY,
		      "key file '%s' of asset 'orders': card key: wrapped to slot 2, but GMRK_CARD_KEY names slot 3",
		      path);
	gmrk_ctx_free(ctx);
	/* under another kind of master key */
	clean_env();
	setenv("GMRK_KEY", EK_HEX, 1);
	ctx = gmrk_ctx_new(NULL, &err);
	assert_non_null(ctx);
	assert_null(gmrk_key_open(ctx, path, NULL, 0, &err));
	tk_assert_msg(&err, GMRK_E_WRONG_KEY,
		      "key file '%s' needs a card-held SM2 key as master key, but environment variable GMRK_KEY is a 32-byte hex key",
		      path);
	gmrk_ctx_free(ctx);
	/* through the configuration field */
	{
		struct gmrk_config cfg;
		gmrk_ctx *c;

		clean_env();
		gmrk_config_init(&cfg);
		cfg.card_key = "2";
		c = gmrk_ctx_new(&cfg, &err);
		assert_non_null(c);
		assert_null(gmrk_key_open(c, path, "orders", 0, &err));
		tk_assert_msg(&err, GMRK_E_UNSUPPORTED,
			      "key file '%s' of asset 'orders': card key: no gm-rk device (/dev/gmrk*) found; only the card can unwrap (no software fallback)",
			      path);
		gmrk_ctx_free(c);
	}
	tk_holds(path, before, blen);
	assert_int_equal(tk_count(dir), 1);
	free(before);
	clean_env();
	free(path);
	free(dir);
}

static void test_no_card_rewrap(void **s)
{
	char *dir = tk_dir("rewrap"), *path = tk_join(dir, "users.key"),
	     *cpath = tk_join(dir, "cards.key");
	uint8_t *before, *cbefore;
	size_t blen, cblen;
	struct gmrk_config cfg;
	gmrk_ctx *ek, *card;
	gmrk_error err;
	gmrk_key *k;

	(void)s;
	if (have_card_nodes)
		skip();
	clean_env();
	gmrk_config_init(&cfg);
	cfg.flags = GMRK_CFG_IGNORE_ENV;
	cfg.master_key = EK_HEX;
	cfg.master_key_len = strlen(EK_HEX);
	ek = gmrk_ctx_new(&cfg, &err);
	assert_non_null(ek);
	k = gmrk_key_open(ek, path, NULL, GMRK_KEY_CREATE, &err);
	assert_non_null(k);
	gmrk_key_free(k);
	gmrk_config_init(&cfg);
	cfg.flags = GMRK_CFG_IGNORE_ENV;
	cfg.card_key = "1";
	card = gmrk_ctx_new(&cfg, &err);
	assert_non_null(card);
	before = tk_slurp(path, &blen);
	/* ek-hkdf -> card: wrapping needs the card's public key, so it fails */
	assert_int_equal(gmrk_key_rewrap(ek, card, path, NULL, &err), -GMRK_E_UNSUPPORTED);
	tk_assert_msg(&err, GMRK_E_UNSUPPORTED,
		      "key file '%s' of asset 'users': card key: no gm-rk device (/dev/gmrk*) found; a card-held key needs its card",
		      path);
	/* card -> ek-hkdf: unwrapping needs the card */
	write_card_file(cpath, "cards", 1);
	cbefore = tk_slurp(cpath, &cblen);
	assert_int_equal(gmrk_key_rewrap(card, ek, cpath, NULL, &err), -GMRK_E_UNSUPPORTED);
	assert_int_equal(err.code, GMRK_E_UNSUPPORTED);
	assert_non_null(strstr(err.message, "opens under neither master key: old: key file '"));
	tk_holds(path, before, blen);
	tk_holds(cpath, cbefore, cblen);
	assert_int_equal(tk_count(dir), 2);
	free(before);
	free(cbefore);
	gmrk_ctx_free(ek);
	gmrk_ctx_free(card);
	free(path);
	free(cpath);
	free(dir);
}

static void test_bad_config(void **s)
{
	static const char *const bad[] = { "abc", "32", "gmrk0", "gmrk0:", "gmrkA:1", "-3" };
	struct gmrk_config cfg;
	gmrk_error err;

	(void)s;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		clean_env();
		setenv("GMRK_CARD_KEY", bad[i], 1);
		assert_null(gmrk_ctx_new(NULL, &err));
		tk_assert_msg(&err, GMRK_E_INVAL,
			      "GMRK_CARD_KEY='%s': expected SLOT or gmrkN:SLOT (a key slot 0 to 31)",
			      bad[i]);
		clean_env();
		gmrk_config_init(&cfg);
		cfg.card_key = bad[i];
		assert_null(gmrk_ctx_new(&cfg, &err));
		tk_assert_msg(&err, GMRK_E_INVAL,
			      "gmrk_config.card_key='%s': expected SLOT or gmrkN:SLOT (a key slot 0 to 31)",
			      bad[i]);
	}
	clean_env();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec_roundtrip),
		cmocka_unit_test(test_codec_truncated),
		cmocka_unit_test(test_codec_corrupt),
		cmocka_unit_test(test_codec_unknown_slot),
		cmocka_unit_test(test_der_to_raw_decrypts),
		cmocka_unit_test(test_der_to_raw_built),
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_no_card_create),
		cmocka_unit_test(test_no_card_open),
		cmocka_unit_test(test_no_card_rewrap),
	};
	glob_t g;

	have_card_nodes = !glob("/dev/gmrk*", 0, NULL, &g);
	if (have_card_nodes)
		printf("# /dev/gmrk* exists here: the no-card tests are skipped (the VM tests cover a card)\n");
	globfree(&g);
	return TK_RUN("cardkey", tests);
}

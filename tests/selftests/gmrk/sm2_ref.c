// SPDX-License-Identifier: GPL-2.0-or-later
/* SM2 encryption references with OpenSSL (see sm2_ref.h). */
#include "sm2_ref.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#define COORD	32

/* The curve and scratch for one call. */
struct sm2_ctx {
	EC_GROUP *grp;
	BN_CTX *bn;
};

static int ctx_open(struct sm2_ctx *c)
{
	c->grp = EC_GROUP_new_by_curve_name(NID_sm2);
	c->bn = BN_CTX_new();
	if (!c->grp || !c->bn) {
		EC_GROUP_free(c->grp);
		BN_CTX_free(c->bn);
		return -EIO;
	}
	return 0;
}

static void ctx_close(struct sm2_ctx *c)
{
	EC_GROUP_free(c->grp);
	BN_CTX_free(c->bn);
}

/* Decode @enc into a new point; NULL unless it is on the curve. */
static EC_POINT *point_in(struct sm2_ctx *c, const uint8_t *enc)
{
	EC_POINT *p = EC_POINT_new(c->grp);

	if (!p || enc[0] != 0x04 ||
	    !EC_POINT_oct2point(c->grp, p, enc, SM2_POINT_LEN, c->bn) ||
	    EC_POINT_is_at_infinity(c->grp, p) ||
	    EC_POINT_is_on_curve(c->grp, p, c->bn) != 1) {
		EC_POINT_free(p);
		return NULL;
	}
	return p;
}

static int point_out(struct sm2_ctx *c, const EC_POINT *p, uint8_t *out)
{
	return EC_POINT_point2oct(c->grp, p, POINT_CONVERSION_UNCOMPRESSED, out,
				  SM2_POINT_LEN, c->bn) == SM2_POINT_LEN ? 0 : -EIO;
}

int sm2_point_check(const uint8_t pt[SM2_POINT_LEN])
{
	struct sm2_ctx c;
	EC_POINT *p;

	if (ctx_open(&c))
		return -EIO;
	p = point_in(&c, pt);
	EC_POINT_free(p);
	ctx_close(&c);
	return p ? 0 : -EINVAL;
}

/* KDF of GB/T 32918.4 with SM3: SM3(z || ct) for ct = 1, 2, ... */
static int kdf(const uint8_t *z, size_t zlen, uint8_t *out, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t h[32];
	int err = 0;

	if (!md)
		return -ENOMEM;
	for (uint32_t ct = 1; len && !err; ct++) {
		uint8_t be[4] = { ct >> 24, ct >> 16, ct >> 8, ct };
		size_t n = len < sizeof(h) ? len : sizeof(h);

		if (!EVP_DigestInit_ex(md, EVP_sm3(), NULL) ||
		    !EVP_DigestUpdate(md, z, zlen) ||
		    !EVP_DigestUpdate(md, be, sizeof(be)) ||
		    !EVP_DigestFinal_ex(md, h, NULL)) {
			err = -EIO;
			break;
		}
		memcpy(out, h, n);
		out += n;
		len -= n;
	}
	OPENSSL_cleanse(h, sizeof(h));
	EVP_MD_CTX_free(md);
	return err;
}

static int sm3_3(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
		 const uint8_t *c, size_t clen, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestInit_ex(md, EVP_sm3(), NULL) &&
		 EVP_DigestUpdate(md, a, alen) && EVP_DigestUpdate(md, b, blen) &&
		 EVP_DigestUpdate(md, c, clen) && EVP_DigestFinal_ex(md, out, NULL);

	EVP_MD_CTX_free(md);
	return ok ? 0 : -EIO;
}

/* A1: k in [1, n - 1], from OpenSSL's generator or from @rand. */
static int pick_k(struct sm2_ctx *c, BIGNUM *k, sm2_rand_fn *rand, void *arg)
{
	const BIGNUM *order = EC_GROUP_get0_order(c->grp);
	uint8_t kb[COORD];
	int err = 0;

	do {
		if (rand) {
			rand(arg, kb, sizeof(kb));
			if (!BN_bin2bn(kb, sizeof(kb), k) || !BN_nnmod(k, k, order, c->bn))
				err = -EIO;
		} else if (!BN_priv_rand_range(k, order)) {
			err = -EIO;
		}
	} while (!err && BN_is_zero(k));
	OPENSSL_cleanse(kb, sizeof(kb));
	return err;
}

int sm2_encrypt(const uint8_t pub[SM2_POINT_LEN], const uint8_t *m,
		size_t len, uint8_t *out)
{
	return sm2_encrypt_rand(pub, m, len, out, NULL, NULL);
}

int sm2_encrypt_rand(const uint8_t pub[SM2_POINT_LEN], const uint8_t *m,
		     size_t len, uint8_t *out, sm2_rand_fn *rand, void *arg)
{
	uint8_t z[2 * COORD], t[256];
	EC_POINT *pb = NULL, *c1 = NULL, *s = NULL;
	BIGNUM *k = NULL, *x2 = NULL, *y2 = NULL;
	struct sm2_ctx c;
	int err = -EIO;
	bool zero;

	if (len < 1 || len > sizeof(t))
		return -EINVAL;
	if (ctx_open(&c))
		return -EIO;
	pb = point_in(&c, pub);
	c1 = EC_POINT_new(c.grp);
	s = EC_POINT_new(c.grp);
	k = BN_secure_new();
	x2 = BN_secure_new();
	y2 = BN_secure_new();
	if (!pb) {
		err = -EINVAL;
		goto out;
	}
	if (!c1 || !s || !k || !x2 || !y2)
		goto out;
	do {
		/* A1: k; A2: C1 = [k]G; A4: [k]PB = (x2, y2) */
		if (pick_k(&c, k, rand, arg) ||
		    !EC_POINT_mul(c.grp, c1, k, NULL, NULL, c.bn) ||
		    point_out(&c, c1, out) ||
		    !EC_POINT_mul(c.grp, s, NULL, pb, k, c.bn) ||
		    !EC_POINT_get_affine_coordinates(c.grp, s, x2, y2, c.bn) ||
		    BN_bn2binpad(x2, z, COORD) != COORD ||
		    BN_bn2binpad(y2, z + COORD, COORD) != COORD)
			goto out;
		/* A5: t = KDF(x2 || y2, klen), retried while all zero */
		if (kdf(z, sizeof(z), t, len))
			goto out;
		zero = true;
		for (size_t i = 0; i < len; i++)
			zero &= !t[i];
	} while (zero);
	/* A6: C2 = M xor t; A7: C3 = SM3(x2 || M || y2) */
	for (size_t i = 0; i < len; i++)
		out[SM2_OVERHEAD + i] = m[i] ^ t[i];
	err = sm3_3(z, COORD, m, len, z + COORD, COORD, out + SM2_POINT_LEN);
out:
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(t, sizeof(t));
	BN_clear_free(k);
	BN_clear_free(x2);
	BN_clear_free(y2);
	EC_POINT_clear_free(s);
	EC_POINT_free(c1);
	EC_POINT_free(pb);
	ctx_close(&c);
	return err;
}

/* One DER element at *p (of *left bytes): its tag, content and length. */
static int der_next(const uint8_t **p, size_t *left, uint8_t tag,
		    const uint8_t **val, size_t *vlen)
{
	const uint8_t *q = *p;
	size_t n = *left, len;

	if (n < 2 || q[0] != tag)
		return -EINVAL;
	len = q[1];
	q += 2;
	n -= 2;
	if (len & 0x80) {
		size_t nb = len & 0x7f;

		if (nb < 1 || nb > 2 || n < nb)
			return -EINVAL;
		len = 0;
		for (size_t i = 0; i < nb; i++)
			len = len << 8 | q[i];
		q += nb;
		n -= nb;
	}
	if (len > n)
		return -EINVAL;
	*val = q;
	*vlen = len;
	*p = q + len;
	*left = n - len;
	return 0;
}

/* A DER INTEGER (non-negative, < 2^256) as 32 big-endian bytes. */
static int der_coord(const uint8_t *v, size_t len, uint8_t *out)
{
	while (len > COORD && !*v) {
		v++;
		len--;
	}
	if (len > COORD)
		return -EINVAL;
	memset(out, 0, COORD - len);
	memcpy(out + COORD - len, v, len);
	return 0;
}

/*
 * OpenSSL's SM2 ciphertext is DER: SEQUENCE { INTEGER x1, INTEGER y1,
 * OCTET STRING C3, OCTET STRING C2 }. Turn it into C1 || C3 || C2.
 */
static int der_to_raw(const uint8_t *der, size_t der_len, size_t mlen, uint8_t *out)
{
	const uint8_t *seq, *x, *y, *c3, *c2, *p = der;
	size_t left = der_len, seq_len, xl, yl, c3l, c2l;

	if (der_next(&p, &left, 0x30, &seq, &seq_len) || left)
		return -EINVAL;
	p = seq;
	left = seq_len;
	if (der_next(&p, &left, 0x02, &x, &xl) || der_next(&p, &left, 0x02, &y, &yl) ||
	    der_next(&p, &left, 0x04, &c3, &c3l) || der_next(&p, &left, 0x04, &c2, &c2l) ||
	    left || c3l != SM2_C3_LEN || c2l != mlen)
		return -EINVAL;
	out[0] = 0x04;
	if (der_coord(x, xl, out + 1) || der_coord(y, yl, out + 1 + COORD))
		return -EINVAL;
	memcpy(out + SM2_POINT_LEN, c3, SM2_C3_LEN);
	memcpy(out + SM2_OVERHEAD, c2, mlen);
	return 0;
}

int sm2_encrypt_evp(const uint8_t pub[SM2_POINT_LEN], const uint8_t *m,
		    size_t len, uint8_t *out)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *kctx = NULL, *ectx = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;
	uint8_t der[512];
	size_t der_len = sizeof(der);
	int err = -EIO;

	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
					      SM2_POINT_LEN))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	kctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
	if (!params || !kctx || EVP_PKEY_fromdata_init(kctx) <= 0 ||
	    EVP_PKEY_fromdata(kctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		goto out;
	ectx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (!ectx || EVP_PKEY_encrypt_init(ectx) <= 0 ||
	    EVP_PKEY_encrypt(ectx, der, &der_len, m, len) <= 0)
		goto out;
	err = der_to_raw(der, der_len, len, out);
out:
	EVP_PKEY_CTX_free(ectx);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(kctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return err;
}

int sm2_random_point(uint8_t out[SM2_POINT_LEN])
{
	struct sm2_ctx c;
	EC_POINT *p;
	BIGNUM *k;
	int err = -EIO;

	if (ctx_open(&c))
		return -EIO;
	p = EC_POINT_new(c.grp);
	k = BN_new();
	if (p && k && BN_rand_range(k, EC_GROUP_get0_order(c.grp)) && !BN_is_zero(k) &&
	    EC_POINT_mul(c.grp, p, k, NULL, NULL, c.bn))
		err = point_out(&c, p, out);
	BN_free(k);
	EC_POINT_free(p);
	ctx_close(&c);
	return err;
}

int sm2_point_negate(const uint8_t in[SM2_POINT_LEN], uint8_t out[SM2_POINT_LEN])
{
	struct sm2_ctx c;
	EC_POINT *p;
	int err = -EIO;

	if (ctx_open(&c))
		return -EIO;
	p = point_in(&c, in);
	if (!p)
		err = -EINVAL;
	else if (EC_POINT_invert(c.grp, p, c.bn))
		err = point_out(&c, p, out);
	EC_POINT_free(p);
	ctx_close(&c);
	return err;
}

int sm2_point_noncanonical(uint8_t out[SM2_POINT_LEN])
{
	BIGNUM *p = BN_new(), *a = BN_new(), *b = BN_new();
	BIGNUM *x = BN_new(), *rhs = BN_new(), *y = BN_new(), *t = BN_new();
	struct sm2_ctx c;
	int err = -EIO;

	if (ctx_open(&c))
		goto free;
	if (!p || !a || !b || !x || !rhs || !y || !t ||
	    !EC_GROUP_get_curve(c.grp, p, a, b, c.bn))
		goto out;
	/* y^2 = x^3 + ax + b: try x = 0, 1, 2, ... until rhs is a square. */
	for (unsigned long x0 = 0; x0 < 1000; x0++) {
		if (!BN_set_word(x, x0) || !BN_mod_sqr(t, x, p, c.bn) ||
		    !BN_mod_add(t, t, a, p, c.bn) || !BN_mod_mul(rhs, t, x, p, c.bn) ||
		    !BN_mod_add(rhs, rhs, b, p, c.bn))
			goto out;
		if (BN_kronecker(rhs, p, c.bn) != 1)
			continue;
		if (!BN_mod_sqrt(y, rhs, p, c.bn) || !BN_add(x, x, p))
			goto out;
		out[0] = 0x04;
		if (BN_bn2binpad(x, out + 1, COORD) != COORD ||
		    BN_bn2binpad(y, out + 1 + COORD, COORD) != COORD)
			goto out;
		err = 0;
		break;
	}
out:
	ctx_close(&c);
free:
	BN_free(p);
	BN_free(a);
	BN_free(b);
	BN_free(x);
	BN_free(rhs);
	BN_free(y);
	BN_free(t);
	return err;
}

void sm2_hex(const uint8_t *p, size_t len, char *hex)
{
	for (size_t i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", p[i]);
	hex[2 * len] = 0;
}

int sm2_unhex(const char *hex, uint8_t *p, size_t len)
{
	if (strlen(hex) != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned int v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		p[i] = (uint8_t)v;
	}
	return 0;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The gm-rk card's key slots: a thin wrapper over the /dev/gmrkN ioctls
 * (uapi/linux/gmrk.h) and the DER-to-raw conversion of SM2 ciphertexts.
 * See lib/cardkey.h; the provider built on it is in lib/masterkey.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/gmrk.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "cardkey.h"
#include "hex.h"

_Static_assert(GMRK_CARD_PUB_LEN == GMRK_KEY_PUB_LEN, "uapi public key length");
_Static_assert(GMRK_CARD_OVERHEAD == GMRK_KEY_OVERHEAD, "uapi SM2 overhead");
_Static_assert(GMRK_CARD_UNWRAP_MAX == GMRK_KEY_UNWRAP_MAX, "uapi unwrap maximum");

#define GMRK_CARD_COORD	32	/* bytes of an sm2p256v1 coordinate */
#define GMRK_CARD_C3	32	/* SM3 check value */

/* N of "gmrkN" (digits only, no leading zero unless "gmrk0"); -1 otherwise */
static long gmrk_card_num(const char *name)
{
	const char *p;
	char *end;
	long v;

	if (strncmp(name, "gmrk", 4))
		return -1;
	p = name + 4;
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1]))
		return -1;
	errno = 0;
	v = strtol(p, &end, 10);
	if (errno || *end || v < 0 || v > INT_MAX)
		return -1;
	return v;
}

int gmrk_card_dev_from_name(const char *name, struct gmrk_card_dev *d)
{
	long n = gmrk_card_num(name);

	if (n < 0)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->num = (unsigned int)n;
	snprintf(d->name, sizeof(d->name), "gmrk%u", d->num);
	snprintf(d->path, sizeof(d->path), "/dev/gmrk%u", d->num);
	return 0;
}

static int gmrk_card_cmp(const void *a, const void *b)
{
	unsigned int x = ((const struct gmrk_card_dev *)a)->num;
	unsigned int y = ((const struct gmrk_card_dev *)b)->num;

	return (x > y) - (x < y);
}

int gmrk_card_list(struct gmrk_card_dev *devs, int max)
{
	struct dirent *de;
	DIR *d = opendir("/dev");
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		if (de->d_type != DT_CHR && de->d_type != DT_UNKNOWN)
			continue;
		if (gmrk_card_dev_from_name(de->d_name, &devs[n]))
			continue;
		n++;
	}
	closedir(d);
	qsort(devs, (size_t)n, sizeof(*devs), gmrk_card_cmp);
	return n;
}

int gmrk_card_open(const struct gmrk_card_dev *d)
{
	int fd = open(d->path, O_RDWR | O_CLOEXEC | O_NOCTTY);

	/* a node only readable by this user still answers the ioctls it allows */
	if (fd < 0 && (errno == EACCES || errno == EPERM || errno == EROFS))
		fd = open(d->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

/* a driver without the key ioctls says ENOTTY: it has no key slots */
static int gmrk_card_ioctl(int fd, unsigned long req, void *arg)
{
	int rc;

	do
		rc = ioctl(fd, req, arg);
	while (rc < 0 && errno == EINTR);
	if (rc >= 0)
		return 0;
	return errno == ENOTTY ? -EOPNOTSUPP : -errno;
}

int gmrk_card_info(int fd, struct gmrk_card_info *ci)
{
	struct gmrk_info in;
	int rc;

	memset(ci, 0, sizeof(*ci));
	memset(&in, 0, sizeof(in));
	in.size = sizeof(in);
	rc = gmrk_card_ioctl(fd, GMRK_IOC_INFO, &in);
	if (rc)
		return rc;
	memcpy(ci->bus_id, in.bus_id, sizeof(ci->bus_id) - 1);
	/* a kernel that fills less than key_slot_map has no key slots */
	if (in.size >= offsetof(struct gmrk_info, key_slot_map) + sizeof(in.key_slot_map) &&
	    (in.caps & GMRK_INFO_CAP_KEYSLOTS)) {
		ci->key_slots = in.key_slots > GMRK_CARD_SLOTS_MAX ? GMRK_CARD_SLOTS_MAX :
				in.key_slots;
		ci->slot_map = in.key_slot_map;
		if (ci->key_slots < 32)
			ci->slot_map &= (1u << ci->key_slots) - 1;
	}
	return 0;
}

static int gmrk_card_pubop(int fd, unsigned long req, unsigned int slot,
			   uint8_t pub[GMRK_CARD_PUB_LEN])
{
	struct gmrk_key_pub kp;
	int rc;

	memset(&kp, 0, sizeof(kp));
	kp.size = sizeof(kp);
	kp.slot = slot;
	rc = gmrk_card_ioctl(fd, req, &kp);
	if (rc)
		return rc;
	if (kp.pub[0] != 0x04)
		return -EIO;	/* not an uncompressed point: the device is wrong */
	memcpy(pub, kp.pub, GMRK_CARD_PUB_LEN);
	return 0;
}

int gmrk_card_pub(int fd, unsigned int slot, uint8_t pub[GMRK_CARD_PUB_LEN])
{
	return gmrk_card_pubop(fd, GMRK_IOC_KEY_PUB, slot, pub);
}

int gmrk_card_gen(int fd, unsigned int slot, uint8_t pub[GMRK_CARD_PUB_LEN])
{
	return gmrk_card_pubop(fd, GMRK_IOC_KEY_GEN, slot, pub);
}

int gmrk_card_destroy(int fd, unsigned int slot)
{
	struct gmrk_key_slot ks = { .size = sizeof(ks), .slot = slot };

	return gmrk_card_ioctl(fd, GMRK_IOC_KEY_DESTROY, &ks);
}

int gmrk_card_unwrap(int fd, unsigned int slot, const uint8_t *in, size_t len,
		     uint8_t *out, size_t cap, size_t *outlen)
{
	struct gmrk_key_unwrap ku;
	int rc;

	*outlen = 0;
	if (cap)
		OPENSSL_cleanse(out, cap);
	if (len <= GMRK_CARD_OVERHEAD || len > GMRK_CARD_RAW_MAX || cap > UINT32_MAX)
		return -EINVAL;
	memset(&ku, 0, sizeof(ku));
	ku.size = sizeof(ku);
	ku.slot = slot;
	ku.in = (uint64_t)(uintptr_t)in;
	ku.in_len = (uint32_t)len;
	ku.out = (uint64_t)(uintptr_t)out;
	ku.out_len = (uint32_t)cap;
	rc = gmrk_card_ioctl(fd, GMRK_IOC_KEY_UNWRAP, &ku);
	if (!rc && ku.out_len > cap)
		rc = -EIO;
	if (rc) {
		if (cap)
			OPENSSL_cleanse(out, cap);
		return rc;
	}
	*outlen = ku.out_len;
	return 0;
}

/* INTEGER @t as a 32-byte big-endian coordinate */
static int gmrk_card_coord(const ASN1_TYPE *t, uint8_t *out)
{
	BIGNUM *bn;
	int rc = -EBADMSG;

	if (!t || ASN1_TYPE_get(t) != V_ASN1_INTEGER)
		return -EBADMSG;	/* V_ASN1_NEG_INTEGER too: no negative coordinates */
	bn = ASN1_INTEGER_to_BN(t->value.integer, NULL);
	if (bn && !BN_is_negative(bn) && BN_num_bytes(bn) <= GMRK_CARD_COORD &&
	    BN_bn2binpad(bn, out, GMRK_CARD_COORD) == GMRK_CARD_COORD)
		rc = 0;
	BN_free(bn);
	return rc;
}

int gmrk_card_der_to_raw(const uint8_t *der, size_t len, uint8_t *raw,
			 size_t cap, size_t *rawlen)
{
	const unsigned char *p = der;
	ASN1_SEQUENCE_ANY *seq;
	const ASN1_TYPE *c3, *c2;
	int rc = -EBADMSG, n3, n2;

	*rawlen = 0;
	if (!der || !len || len > LONG_MAX)
		return -EBADMSG;
	seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, (long)len);
	if (!seq || p != der + len || sk_ASN1_TYPE_num(seq) != 4)
		goto out;
	c3 = sk_ASN1_TYPE_value(seq, 2);
	c2 = sk_ASN1_TYPE_value(seq, 3);
	if (ASN1_TYPE_get(c3) != V_ASN1_OCTET_STRING || ASN1_TYPE_get(c2) != V_ASN1_OCTET_STRING)
		goto out;
	n3 = ASN1_STRING_length(c3->value.octet_string);
	n2 = ASN1_STRING_length(c2->value.octet_string);
	if (n3 != GMRK_CARD_C3 || n2 < 1 || n2 > GMRK_CARD_UNWRAP_MAX)
		goto out;
	if (cap < (size_t)GMRK_CARD_OVERHEAD + (size_t)n2) {
		rc = -ENOSPC;
		goto out;
	}
	raw[0] = 0x04;
	if (gmrk_card_coord(sk_ASN1_TYPE_value(seq, 0), raw + 1) ||
	    gmrk_card_coord(sk_ASN1_TYPE_value(seq, 1), raw + 1 + GMRK_CARD_COORD)) {
		OPENSSL_cleanse(raw, 1 + 2 * GMRK_CARD_COORD);
		goto out;
	}
	memcpy(raw + GMRK_CARD_PUB_LEN, ASN1_STRING_get0_data(c3->value.octet_string), GMRK_CARD_C3);
	memcpy(raw + GMRK_CARD_OVERHEAD, ASN1_STRING_get0_data(c2->value.octet_string), (size_t)n2);
	*rawlen = (size_t)GMRK_CARD_OVERHEAD + (size_t)n2;
	rc = 0;
out:
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	ERR_clear_error();
	return rc;
}

int gmrk_card_parse_spec(const char *spec, char dev[16], unsigned int *slot)
{
	struct gmrk_card_dev d;
	const char *colon, *s;
	char *end;
	long v;

	dev[0] = '\0';
	if (!spec || !*spec)
		return -EINVAL;
	colon = strrchr(spec, ':');
	s = colon ? colon + 1 : spec;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v >= GMRK_CARD_SLOTS_MAX)
		return -EINVAL;
	if (colon) {
		const char *n = spec;
		char name[24];
		size_t len;

		if (!strncmp(n, "/dev/", 5))
			n += 5;
		len = (size_t)(colon - n);
		if (!len || len >= sizeof(name))
			return -EINVAL;
		memcpy(name, n, len);
		name[len] = '\0';
		if (gmrk_card_dev_from_name(name, &d))
			return -EINVAL;
		snprintf(dev, 16, "%s", d.name);
	}
	*slot = (unsigned int)v;
	return 0;
}

void gmrk_card_pub_hex(const uint8_t pub[GMRK_CARD_PUB_LEN], char hex[2 * GMRK_CARD_PUB_LEN + 1])
{
	gmrk_hex(pub, GMRK_CARD_PUB_LEN, hex);
}

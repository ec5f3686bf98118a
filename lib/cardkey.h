/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The gm-rk card's key slots from userspace: the /dev/gmrkN ioctls of
 * uapi/linux/gmrk.h (GMRK_IOC_INFO, GMRK_IOC_KEY_GEN, GMRK_IOC_KEY_PUB,
 * GMRK_IOC_KEY_UNWRAP, GMRK_IOC_KEY_DESTROY) and the conversion of
 * OpenSSL's DER SM2 ciphertext to the raw C1 || C3 || C2 form the card
 * takes.
 *
 * Used by libgmrk's card master-key provider (lib/masterkey.c) and by the
 * gmrk CLI (gmrk cardkey, which links its own copy, as with lib/keys).
 * Nothing here knows libgmrk's internals: every function returns 0 (or a
 * count) or a negative errno, and the callers phrase the messages. The
 * gmrk_card_* names stay local to libgmrk.so (lib/libgmrk.map).
 */
#ifndef GMRK_CARDKEY_H
#define GMRK_CARDKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GMRK_CARD_PUB_LEN	65	/* 0x04 || X || Y, GMRK_KEY_PUB_LEN */
#define GMRK_CARD_OVERHEAD	97	/* C1 (65) + C3 (32), GMRK_KEY_OVERHEAD */
#define GMRK_CARD_UNWRAP_MAX	64	/* GMRK_KEY_UNWRAP_MAX */
#define GMRK_CARD_RAW_MAX	(GMRK_CARD_OVERHEAD + GMRK_CARD_UNWRAP_MAX)
/* the hardware contract's GMRK_MAX_KEY_SLOTS (driver/gmrk_hw.h) */
#define GMRK_CARD_SLOTS_MAX	32
#define GMRK_CARD_DEVS_MAX	64	/* /dev/gmrkN nodes looked at */

struct gmrk_card_dev {
	unsigned int num;	/* N of gmrkN */
	char name[16];		/* "gmrkN" */
	char path[32];		/* "/dev/gmrkN" */
};

struct gmrk_card_info {
	unsigned int key_slots;	/* 0: no key slots (or a driver without them) */
	uint32_t slot_map;	/* bit s: slot s holds a key pair */
	char bus_id[32];
};

/*
 * The /dev/gmrkN character devices present, ascending N, at most @max:
 * their number, or -errno when /dev cannot be read.
 */
int gmrk_card_list(struct gmrk_card_dev *devs, int max);

/* "gmrkN" into @d; -EINVAL when @name is not of that form */
int gmrk_card_dev_from_name(const char *name, struct gmrk_card_dev *d);

/* an fd for /dev/gmrkN (O_RDWR, else O_RDONLY), or -errno */
int gmrk_card_open(const struct gmrk_card_dev *d);

/* GMRK_IOC_INFO's key-slot part; 0 or -errno */
int gmrk_card_info(int fd, struct gmrk_card_info *ci);

/*
 * GMRK_IOC_KEY_PUB / GMRK_IOC_KEY_GEN / GMRK_IOC_KEY_DESTROY of @slot:
 * 0 or -errno (ENOKEY empty, EEXIST in use, EINVAL out of range,
 * EOPNOTSUPP no key slots, including drivers without the ioctls, EPERM
 * without CAP_SYS_ADMIN, ENODEV gone).
 */
int gmrk_card_pub(int fd, unsigned int slot, uint8_t pub[GMRK_CARD_PUB_LEN]);
int gmrk_card_gen(int fd, unsigned int slot, uint8_t pub[GMRK_CARD_PUB_LEN]);
int gmrk_card_destroy(int fd, unsigned int slot);

/*
 * GMRK_IOC_KEY_UNWRAP: SM2-decrypts @in (C1 || C3 || C2, @len bytes) with
 * the private key of @slot into @out (@cap bytes), *outlen its length.
 * 0 or -errno (EBADMSG: the card rejected the ciphertext); @out is
 * zeroed on any error.
 */
int gmrk_card_unwrap(int fd, unsigned int slot, const uint8_t *in, size_t len,
		     uint8_t *out, size_t cap, size_t *outlen);

/*
 * OpenSSL's SM2 ciphertext, DER SEQUENCE { INTEGER x, INTEGER y, OCTET
 * STRING C3, OCTET STRING C2 } (GM/T 0009), as the card takes it:
 * 04 || x || y (32-byte big-endian coordinates) || C3 || C2. 0, -EBADMSG
 * when @der is not such a sequence (C3 of 32 bytes, C2 of 1 to
 * GMRK_CARD_UNWRAP_MAX), -ENOSPC when @cap is too small.
 */
int gmrk_card_der_to_raw(const uint8_t *der, size_t len, uint8_t *raw,
			 size_t cap, size_t *rawlen);

/*
 * A card key as configured: "SLOT" or "gmrkN:SLOT" (also "/dev/gmrkN:SLOT"),
 * SLOT a decimal 0 .. GMRK_CARD_SLOTS_MAX - 1. @dev gets "gmrkN" or "".
 * 0 or -EINVAL.
 */
int gmrk_card_parse_spec(const char *spec, char dev[16], unsigned int *slot);

/* 130 lower-case hex digits and a NUL */
void gmrk_card_pub_hex(const uint8_t pub[GMRK_CARD_PUB_LEN], char hex[2 * GMRK_CARD_PUB_LEN + 1]);

#endif /* GMRK_CARDKEY_H */

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Key files: the codec of one entry, and their file I/O (lib/keys/keyio.c).
 *
 * Byte layout (Documentation/gmrk/block-format.rst, "Key files"):
 *
 *   0   8  magic 89 47 4D 52 4B 4B 45 59 ("\x89GMRKKEY")
 *   8   1  format version (1)
 *   9   1  provider (1 ek-hkdf, 2 ek-scrypt, 3 sm2, 4 tpm, 5 card)
 *  10   1  wrap cipher (block format cipher ids)
 *  11   1  asset name length A (1..255)
 *  12   4  key version, big endian
 *  16   8  key id
 *  24   2  provider parameter length P, big endian
 *  26   2  sealed key length S, big endian (48)
 *  28   A  asset name
 *  28+A P  provider parameters
 *  ..  12  nonce
 *  ..   S  sealed asset key: 32 bytes ciphertext, 16 bytes tag
 *
 * Bytes 0 .. 28+A+P are the AAD of the sealed key. A file is one or more
 * entries with the same key id and asset and increasing versions.
 *
 * Provider parameters (P bytes):
 *   ek-hkdf, tpm  32  salt
 *   ek-scrypt     41  salt, log2(N) (1), r (4), p (4)
 *   sm2       34 + W  salt, W (2), W bytes: the SM2-wrapped 32-byte secret
 *                     (DER SM2Cipher, 1 <= W <= 192)
 *   card     101 + W  salt, slot (2), the slot's public key 04||X||Y (65),
 *                     W (2), W bytes: the secret SM2-wrapped to that key,
 *                     raw C1 || C3 || C2 as the card takes it (98..161)
 * P was always a field of its own, so the variable sm2 length needs no
 * new format version: files of providers 1 and 2 are unchanged, and an
 * older libgmrk reports providers 3, 4 and 5 as not supported.
 */
#include <string.h>

#include "cardkey.h"
#include "internal.h"
#include "keys/keyio.h"

static const uint8_t gmrk_kf_magic[GMRK_KF_MAGIC_LEN] = {
	0x89, 'G', 'M', 'R', 'K', 'K', 'E', 'Y'
};

#define GMRK_KF_MAX	(64 * 1024)

/* parameter length of @provider's entries (sm2: with @wrappedlen); 0: unknown */
static size_t gmrk_kf_params_len(unsigned int provider, size_t wrappedlen)
{
	switch (provider) {
	case GMRK_PROVIDER_EK_HKDF:
	case GMRK_PROVIDER_TPM:
		return GMRK_KF_SALT;
	case GMRK_PROVIDER_EK_SCRYPT:
		return GMRK_KF_SALT + 1 + 4 + 4;
	case GMRK_PROVIDER_SM2:
		return GMRK_KF_SALT + 2 + wrappedlen;
	case GMRK_PROVIDER_CARD:
		return GMRK_KF_CARD_FIXED + wrappedlen;
	default:
		return 0;
	}
}

int gmrk__kf_parse(const uint8_t *buf, size_t len, struct gmrk_kf_entry *e,
		   size_t *used, const char *name, gmrk_error *err)
{
	size_t A, P, S, total;
	const uint8_t *q;

	memset(e, 0, sizeof(*e));
	if (len < GMRK_KF_MAGIC_LEN) {
		if (memcmp(buf, gmrk_kf_magic, len))
			goto notkey;
		goto truncated;
	}
	if (memcmp(buf, gmrk_kf_magic, GMRK_KF_MAGIC_LEN))
		goto notkey;
	if (len < GMRK_KF_FIXED)
		goto truncated;
	if (buf[8] != 1)
		return gmrk__err(err, GMRK_E_UNSUPPORTED,
				 "key file '%s': format version %u not supported", name, buf[8]);
	e->provider = buf[9];
	e->wrap = (enum gmrk_cipher)buf[10];
	A = buf[11];
	e->version = gmrk__get_be32(buf + 12);
	memcpy(e->id, buf + 16, GMRK_KEY_ID_LEN);
	P = gmrk__get_be16(buf + 24);
	S = gmrk__get_be16(buf + 26);
	if (!gmrk_kf_params_len(e->provider, 0))
		return gmrk__err(err, GMRK_E_UNSUPPORTED,
				 "key file '%s': key provider %u not supported by this libgmrk",
				 name, e->provider);
	if (!gmrk__cipher_valid(e->wrap))
		return gmrk__err(err, GMRK_E_UNSUPPORTED,
				 "key file '%s': unknown wrap cipher %u", name, buf[10]);
	/* sm2's and card's exact length is checked below, once W is readable */
	if (!A || S != GMRK_KF_SEALED ||
	    (e->provider == GMRK_PROVIDER_SM2 || e->provider == GMRK_PROVIDER_CARD ?
	     P < gmrk_kf_params_len(e->provider, 1) || P > GMRK_KF_PARAMS_MAX :
	     P != gmrk_kf_params_len(e->provider, 0)))
		return gmrk__err(err, GMRK_E_CORRUPT, "key file '%s': corrupt header", name);
	total = GMRK_KF_FIXED + A + P + GMRK_NONCE_LEN + S;
	if (len < total)
		goto truncated;
	memcpy(e->asset, buf + GMRK_KF_FIXED, A);
	e->asset[A] = '\0';
	if (memchr(e->asset, '\0', A))
		return gmrk__err(err, GMRK_E_CORRUPT, "key file '%s': corrupt asset name", name);
	q = buf + GMRK_KF_FIXED + A;
	memcpy(e->salt, q, GMRK_KF_SALT);
	if (e->provider == GMRK_PROVIDER_EK_SCRYPT) {
		e->log2n = q[GMRK_KF_SALT];
		e->r = gmrk__get_be32(q + GMRK_KF_SALT + 1);
		e->p = gmrk__get_be32(q + GMRK_KF_SALT + 5);
		/* bounded so a corrupt file cannot ask for gigabytes */
		if (e->log2n < 10 || e->log2n > 20 || !e->r || e->r > 32 ||
		    !e->p || e->p > 16)
			return gmrk__err(err, GMRK_E_CORRUPT,
					 "key file '%s': scrypt parameters out of range", name);
	}
	if (e->provider == GMRK_PROVIDER_SM2) {
		e->wrappedlen = gmrk__get_be16(q + GMRK_KF_SALT);
		if (!e->wrappedlen || e->wrappedlen > GMRK_KF_WRAPPED_MAX ||
		    P != gmrk_kf_params_len(e->provider, e->wrappedlen))
			return gmrk__err(err, GMRK_E_CORRUPT,
					 "key file '%s': corrupt sm2 parameters", name);
		memcpy(e->wrapped, q + GMRK_KF_SALT + 2, e->wrappedlen);
	}
	if (e->provider == GMRK_PROVIDER_CARD) {
		const uint8_t *c = q + GMRK_KF_SALT;

		e->card_slot = gmrk__get_be16(c);
		memcpy(e->card_pub, c + 2, GMRK_KF_CARD_PUB);
		e->wrappedlen = gmrk__get_be16(c + 2 + GMRK_KF_CARD_PUB);
		/* a slot the hardware contract cannot have, a point not 04||X||Y */
		if (e->card_slot >= GMRK_CARD_SLOTS_MAX || e->card_pub[0] != 0x04 ||
		    e->wrappedlen < GMRK_KF_CARD_RAW_MIN || e->wrappedlen > GMRK_KF_CARD_RAW_MAX ||
		    P != gmrk_kf_params_len(e->provider, e->wrappedlen))
			return gmrk__err(err, GMRK_E_CORRUPT,
					 "key file '%s': corrupt card parameters", name);
		memcpy(e->wrapped, c + 4 + GMRK_KF_CARD_PUB, e->wrappedlen);
	}
	q += P;
	memcpy(e->nonce, q, GMRK_NONCE_LEN);
	memcpy(e->sealed, q + GMRK_NONCE_LEN, GMRK_KF_SEALED);
	e->aad = buf;
	e->aadlen = GMRK_KF_FIXED + A + P;
	*used = total;
	return 0;
notkey:
	return gmrk__err(err, GMRK_E_CORRUPT, "key file '%s': not a gmrk key file", name);
truncated:
	return gmrk__err(err, GMRK_E_TRUNCATED, "key file '%s': truncated", name);
}

size_t gmrk__kf_encode_head(const struct gmrk_kf_entry *e, uint8_t *buf,
			    size_t cap)
{
	size_t A = strlen(e->asset), P = gmrk_kf_params_len(e->provider, e->wrappedlen);
	uint8_t *q;

	if (!A || A > 255 || !P || cap < GMRK_KF_FIXED + A + P)
		return 0;
	if (e->provider == GMRK_PROVIDER_SM2 &&
	    (!e->wrappedlen || e->wrappedlen > GMRK_KF_WRAPPED_MAX))
		return 0;
	if (e->provider == GMRK_PROVIDER_CARD &&
	    (e->wrappedlen < GMRK_KF_CARD_RAW_MIN || e->wrappedlen > GMRK_KF_CARD_RAW_MAX ||
	     e->card_slot >= GMRK_CARD_SLOTS_MAX))
		return 0;
	memcpy(buf, gmrk_kf_magic, GMRK_KF_MAGIC_LEN);
	buf[8] = 1;
	buf[9] = (uint8_t)e->provider;
	buf[10] = (uint8_t)e->wrap;
	buf[11] = (uint8_t)A;
	gmrk__put_be32(buf + 12, e->version);
	memcpy(buf + 16, e->id, GMRK_KEY_ID_LEN);
	gmrk__put_be16(buf + 24, (uint16_t)P);
	gmrk__put_be16(buf + 26, GMRK_KF_SEALED);
	memcpy(buf + GMRK_KF_FIXED, e->asset, A);
	q = buf + GMRK_KF_FIXED + A;
	memcpy(q, e->salt, GMRK_KF_SALT);
	if (e->provider == GMRK_PROVIDER_EK_SCRYPT) {
		q[GMRK_KF_SALT] = (uint8_t)e->log2n;
		gmrk__put_be32(q + GMRK_KF_SALT + 1, e->r);
		gmrk__put_be32(q + GMRK_KF_SALT + 5, e->p);
	}
	if (e->provider == GMRK_PROVIDER_SM2) {
		gmrk__put_be16(q + GMRK_KF_SALT, (uint16_t)e->wrappedlen);
		memcpy(q + GMRK_KF_SALT + 2, e->wrapped, e->wrappedlen);
	}
	if (e->provider == GMRK_PROVIDER_CARD) {
		uint8_t *c = q + GMRK_KF_SALT;

		gmrk__put_be16(c, (uint16_t)e->card_slot);
		memcpy(c + 2, e->card_pub, GMRK_KF_CARD_PUB);
		gmrk__put_be16(c + 2 + GMRK_KF_CARD_PUB, (uint16_t)e->wrappedlen);
		memcpy(c + 4 + GMRK_KF_CARD_PUB, e->wrapped, e->wrappedlen);
	}
	return GMRK_KF_FIXED + A + P;
}

/*
 * The file I/O is lib/keys' (keyio.c), which the providers' own files use
 * too: one implementation of the private-file read and of the crash-safe
 * writes, here with the key file's size limit and name.
 */
int gmrk__kf_read(const char *path, uint8_t **out, size_t *outlen,
		  gmrk_error *err)
{
	return gmrk_keys__read_file(path, GMRK_KF_MAX, "key file", out, outlen, err);
}

int gmrk__kf_write_new(const char *path, const uint8_t *buf, size_t len,
		       gmrk_error *err)
{
	return gmrk_keys__write_new(path, buf, len, "key file", err);
}

int gmrk__kf_replace(const char *path, const uint8_t *buf, size_t len,
		     gmrk_error *err)
{
	return gmrk_keys__replace(path, buf, len, "key file", err);
}

int gmrk__kf_lock(const char *path, gmrk_error *err)
{
	return gmrk_keys__lock(path, "key file", err);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The master key (EK) and the key derivations built on it.
 *
 * Sources, first match wins: gmrk_config.master_key (bytes the caller
 * fetched), the environment variable gmrk_config.master_key_env (default
 * GMRK_KEY), the file gmrk_config.master_key_file, which must be a regular
 * file that group and others cannot access. The library only ever reads
 * the EK; it keeps it in memory it zeroizes at gmrk_ctx_free().
 *
 * Exactly 64 hex digits are a 32-byte high-entropy key: KEKs come from
 * HKDF-SHA256. Anything else is a passphrase: scrypt stretches it first.
 * Both through OpenSSL's EVP_KDF.
 *
 * Two more providers come from lib/keys, checked before the environment
 * variable and the file: an SM2 key pair (each key file stores a random
 * secret SM2-wrapped to the public key; the private key, unlocked by a
 * pincode, unwraps it) and a TPM-sealed 32-byte key (used like a raw EK).
 * Both are only configured here; the private key is unlocked and the TPM
 * key unsealed at the first gmrk_key_open that needs them
 * (gmrk__ek_ready), so their errors name the key file and asset it was
 * for, and a context that never opens a key never touches the TPM.
 *
 * The card provider (gmrk_config.card_key, GMRK_CARD_KEY: "SLOT" or
 * "gmrkN:SLOT") works like SM2 with the private key inside a gm-rk card's
 * key slot: each key file's random secret is SM2-encrypted (lib/keys/sm2.c)
 * to the slot's public key, read from the card, and stored in the raw
 * C1 || C3 || C2 form the card takes, with the slot and its public key.
 * Opening finds the /dev/gmrkN whose slot holds that public key (so
 * renumbered devices do not matter) and has it unwrap the secret
 * (GMRK_IOC_KEY_UNWRAP, lib/cardkey.c). There is no software fallback.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "cardkey.h"
#include "internal.h"
#include "keys/pincode.h"
#include "keys/sm2.h"
#include "keys/tpm.h"

#define GMRK_EK_FILE_MAX 4096

_Static_assert(GMRK_KF_WRAPPED_MAX == GMRK_SM2_WRAPPED_MAX,
	       "key file sm2 parameters must hold any wrapped secret");
_Static_assert(GMRK_TPM_KEY_LEN == 32, "the TPM key is used as a 32-byte EK");
_Static_assert(GMRK_KF_CARD_PUB == GMRK_CARD_PUB_LEN, "card public key length");
_Static_assert(GMRK_CARD_PUB_LEN == GMRK_SM2_PUBLIC_LEN, "SM2 public key length");
_Static_assert(GMRK_KF_CARD_RAW_MIN == GMRK_CARD_OVERHEAD + 1 &&
	       GMRK_KF_CARD_RAW_MAX == GMRK_CARD_RAW_MAX &&
	       GMRK_KF_CARD_RAW_MAX <= GMRK_KF_WRAPPED_MAX,
	       "key file card parameters must hold any raw SM2 ciphertext");

struct gmrk_ek_sm2 {
	char *public_hex;	/* as configured, or NULL */
	char *private_path;	/* as configured, or NULL */
	gmrk_sm2 *pub;		/* from public_hex: wraps without a pincode */
	gmrk_sm2 *priv;		/* unlocked at first need */
	struct gmrk_pincode pin;	/* until priv is unlocked */
	gmrk_error failed;	/* a remembered GMRK_E_WRONG_KEY */
};

struct gmrk_ek_tpm {
	char *keys_file, *cipher, *tcti;
	struct gmrk_pincode password, srk_password;
	int pcr;
	gmrk_error failed;	/* a remembered GMRK_E_WRONG_KEY */
};

struct gmrk_ek_card {
	const char *where;	/* "GMRK_CARD_KEY" or "gmrk_config.card_key" */
	char spec[40];		/* as configured */
	char dev[16];		/* "gmrkN" the configuration names, or "" */
	unsigned int slot;
	char last[16];		/* the device that last did the work: tried first */
};

int gmrk__ek_classify(const char *s, size_t len, struct gmrk_ek *ek)
{
	uint8_t raw[32];
	size_t n;

	if (!len)
		return -GMRK_E_INVAL;
	if (len == 64 && !gmrk__hex_decode(s, len, raw, sizeof(raw), &n)) {
		ek->bytes = malloc(32);
		if (!ek->bytes)
			return -GMRK_E_NOMEM;
		memcpy(ek->bytes, raw, 32);
		gmrk__memzero(raw, sizeof(raw));
		ek->len = 32;
		ek->kind = GMRK_EK_RAW;
		return 0;
	}
	ek->bytes = malloc(len);
	if (!ek->bytes)
		return -GMRK_E_NOMEM;
	memcpy(ek->bytes, s, len);
	ek->len = len;
	ek->kind = GMRK_EK_PASSPHRASE;
	return 0;
}

void gmrk__ek_clear(struct gmrk_ek *ek)
{
	if (ek->bytes) {
		gmrk__memzero(ek->bytes, ek->len);
		free(ek->bytes);
	}
	if (ek->sm2) {
		gmrk_sm2_free(ek->sm2->pub);
		gmrk_sm2_free(ek->sm2->priv);
		gmrk_pincode_clear(&ek->sm2->pin);
		free(ek->sm2->public_hex);
		free(ek->sm2->private_path);
		gmrk__memzero(ek->sm2, sizeof(*ek->sm2));
		free(ek->sm2);
	}
	if (ek->card) {
		gmrk__memzero(ek->card, sizeof(*ek->card));
		free(ek->card);
	}
	if (ek->tpm) {
		gmrk_pincode_clear(&ek->tpm->password);
		gmrk_pincode_clear(&ek->tpm->srk_password);
		free(ek->tpm->keys_file);
		free(ek->tpm->cipher);
		free(ek->tpm->tcti);
		gmrk__memzero(ek->tpm, sizeof(*ek->tpm));
		free(ek->tpm);
	}
	memset(ek, 0, sizeof(*ek));
}

/* @v when set, else environment variable @env (unless GMRK_CFG_IGNORE_ENV) */
static const char *gmrk_cfg_env(const char *v, const struct gmrk_config *cfg,
				const char *env)
{
	if (v && *v)
		return v;
	if (cfg->flags & GMRK_CFG_IGNORE_ENV)
		return NULL;
	v = getenv(env);
	return v && *v ? v : NULL;
}

/* strdup that keeps NULL; -GMRK_E_NOMEM */
static int gmrk_dup(const char *s, char **out)
{
	*out = NULL;
	if (!s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -GMRK_E_NOMEM;
}

/*
 * A secret from @v (@len bytes, 0: strlen) or else from environment
 * variable @env, which is then removed from the environment (and wiped
 * where the kernel placed it): see lib/keys/pincode.h. Unset is fine.
 */
static int gmrk_secret(struct gmrk_pincode *out, const char *v, size_t len,
		       const struct gmrk_config *cfg, const char *env,
		       gmrk_error *err)
{
	const char *e;

	if (v && (len || *v))
		return gmrk_pincode_set(out, v, len ? len : strlen(v), err);
	if (cfg->flags & GMRK_CFG_IGNORE_ENV)
		return 0;
	e = getenv(env);
	if (!e || !*e)
		return 0;
	return gmrk_pincode_from_env(env, out, err);
}

static int gmrk_ek_sm2_load(struct gmrk_ek *ek, const struct gmrk_config *cfg,
			    const char *pub, const char *priv, gmrk_error *err)
{
	struct gmrk_ek_sm2 *s = calloc(1, sizeof(*s));
	gmrk_error e2;
	int rc;

	if (!s)
		return gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
	ek->sm2 = s;
	ek->kind = GMRK_EK_SM2;
	snprintf(ek->source, sizeof(ek->source), "the configured master key");
	if (gmrk_dup(pub, &s->public_hex) || gmrk_dup(priv, &s->private_path))
		return gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
	if (pub) {
		/* a bad public key is bad configuration: refuse the context */
		gmrk__err_clear(&e2);
		s->pub = gmrk_sm2_from_public_hex(pub, &e2);
		if (!s->pub)
			return gmrk__err(err, e2.code ? e2.code : GMRK_E_INVAL, "%s",
					 e2.message);
	}
	/* the pincode only matters with a private key; leave it alone otherwise */
	if (priv) {
		rc = gmrk_secret(&s->pin, cfg->sm2_pincode, cfg->sm2_pincode_len,
				 cfg, GMRK_PINCODE_ENV, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int gmrk_ek_tpm_load(struct gmrk_ek *ek, const struct gmrk_config *cfg,
			    const char *keys_file, gmrk_error *err)
{
	struct gmrk_ek_tpm *t = calloc(1, sizeof(*t));
	const char *pcr, *cipher;
	int rc;

	if (!t)
		return gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
	ek->tpm = t;
	ek->kind = GMRK_EK_TPM;
	snprintf(ek->source, sizeof(ek->source), "the configured master key");
	cipher = gmrk_cfg_env(cfg->tpm_cipher, cfg, "GMRK_TPM_CIPHER");
	if (gmrk_dup(keys_file, &t->keys_file) || gmrk_dup(cipher, &t->cipher) ||
	    gmrk_dup(gmrk_cfg_env(cfg->tpm_tcti, cfg, "GMRK_TPM_TCTI"), &t->tcti))
		return gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
	if (cipher && gmrk_tpm_cipher_from_name(cipher) == GMRK_CIPHER_NONE)
		return gmrk__err(err, GMRK_E_INVAL,
				 "tpm: cipher '%s': expected chachapoly, aes or sm4", cipher);
	t->pcr = cfg->tpm_pcr;
	pcr = t->pcr ? NULL : gmrk_cfg_env(NULL, cfg, "GMRK_TPM_PCR");
	if (pcr) {
		char *end;
		long v;

		errno = 0;
		v = strtol(pcr, &end, 10);
		if (errno || *end || v < 0 || v > 1000)
			return gmrk__err(err, GMRK_E_INVAL,
					 "GMRK_TPM_PCR='%s': expected a PCR number, 17 to 23", pcr);
		t->pcr = (int)v;
	}
	if (t->pcr && (t->pcr < GMRK_TPM_PCR_MIN || t->pcr > GMRK_TPM_PCR_MAX))
		return gmrk__err(err, GMRK_E_INVAL,
				 "tpm: pcr must be %d to %d (0 to 16 are reserved), not %d",
				 GMRK_TPM_PCR_MIN, GMRK_TPM_PCR_MAX, t->pcr);
	rc = gmrk_secret(&t->password, cfg->tpm_encryption_password, 0, cfg,
			 "GMRK_TPM_PASSWORD", err);
	if (!rc)
		rc = gmrk_secret(&t->srk_password, cfg->tpm_srk_password, 0, cfg,
				 "GMRK_TPM_SRK_PASSWORD", err);
	if (rc)
		return rc;
	if (!t->password.buf)
		return gmrk__err(err, GMRK_E_NOKEY,
				 "tpm: encryption_password is required (set GMRK_TPM_PASSWORD)");
	return 0;
}

/* "key file 'P' of asset 'A': <what lib/keys said>" */
static int gmrk_ek_fail(gmrk_error *err, const gmrk_error *why, const char *path,
			const char *asset)
{
	return gmrk__err(err, why->code ? why->code : GMRK_E_INVAL,
			 "key file '%s' of asset '%s': %s", path, asset, why->message);
}

static int gmrk_ek_sm2_private(struct gmrk_ek_sm2 *s, const char *path,
			       const char *asset, gmrk_error *err)
{
	gmrk_error e2;

	if (s->priv)
		return 0;
	if (s->failed.code)
		return gmrk_ek_fail(err, &s->failed, path, asset);
	if (!s->private_path)
		return gmrk__err(err, GMRK_E_NOKEY,
				 "key file '%s' of asset '%s': needs the sm2 private key (set GMRK_SM2_PRIVATE_KEY_FILE); the public key alone only creates key files",
				 path, asset);
	if (!s->pin.buf)
		return gmrk__err(err, GMRK_E_NOKEY,
				 "key file '%s' of asset '%s': sm2 private key: no pincode (set GMRK_PINCODE)",
				 path, asset);
	gmrk__err_clear(&e2);
	s->priv = gmrk_sm2_open_master(s->public_hex, s->private_path, s->pin.buf,
				       s->pin.len, NULL, &e2);
	if (!s->priv) {
		if (e2.code == GMRK_E_WRONG_KEY)
			s->failed = e2;
		return gmrk_ek_fail(err, &e2, path, asset);
	}
	gmrk_pincode_clear(&s->pin);	/* the unlocked key is all we need now */
	return 0;
}

static int gmrk_ek_tpm_unseal(struct gmrk_ek *ek, const char *path,
			      const char *asset, gmrk_error *err)
{
	struct gmrk_ek_tpm *t = ek->tpm;
	struct gmrk_tpm_config c;
	struct gmrk_tpm_key k;
	gmrk_error e2;
	int rc;

	if (ek->bytes)
		return 0;
	if (t->failed.code)
		return gmrk_ek_fail(err, &t->failed, path, asset);
	gmrk_tpm_config_init(&c);
	c.keys_file = t->keys_file;
	c.encryption_password = t->password.buf;
	c.srk_password = t->srk_password.buf;
	c.pcr = t->pcr;
	if (t->cipher)
		c.cipher = t->cipher;
	c.tcti = t->tcti;
	gmrk__err_clear(&e2);
	rc = gmrk_tpm_load_or_create(&c, &k, &e2);
	if (rc) {
		if (e2.code == GMRK_E_WRONG_KEY)
			t->failed = e2;	/* retrying would count against the lockout */
		return gmrk_ek_fail(err, &e2, path, asset);
	}
	ek->bytes = malloc(GMRK_TPM_KEY_LEN);
	if (!ek->bytes) {
		gmrk_tpm_key_clear(&k);
		return gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
	}
	memcpy(ek->bytes, k.key, GMRK_TPM_KEY_LEN);
	ek->len = GMRK_TPM_KEY_LEN;
	gmrk_tpm_key_clear(&k);
	/* unsealed: the passwords are not needed any more */
	gmrk_pincode_clear(&t->password);
	gmrk_pincode_clear(&t->srk_password);
	return 0;
}

int gmrk__ek_ready(struct gmrk_ek *ek, bool need_private, const char *path,
		   const char *asset, gmrk_error *err)
{
	switch (ek->kind) {
	case GMRK_EK_TPM:
		return gmrk_ek_tpm_unseal(ek, path, asset, err);
	case GMRK_EK_SM2:
		if (!need_private && ek->sm2->pub)
			return 0;
		return gmrk_ek_sm2_private(ek->sm2, path, asset, err);
	default:
		return 0;
	}
}

int gmrk__ek_sm2_wrap(struct gmrk_ek *ek, const uint8_t *secret, uint8_t *out,
		      size_t cap, size_t *outlen, const char *path,
		      const char *asset, gmrk_error *err)
{
	gmrk_error e2;
	int rc;

	rc = gmrk__ek_ready(ek, false, path, asset, err);
	if (rc)
		return rc;
	gmrk__err_clear(&e2);
	rc = gmrk_sm2_wrap(ek->sm2->pub ? ek->sm2->pub : ek->sm2->priv, secret,
			   GMRK_KF_SECRET, out, cap, outlen, &e2);
	return rc ? gmrk_ek_fail(err, &e2, path, asset) : 0;
}

int gmrk__ek_sm2_unwrap(struct gmrk_ek *ek, const uint8_t *in, size_t len,
			uint8_t *secret, const char *path, const char *asset,
			gmrk_error *err)
{
	gmrk_error e2;
	size_t n = 0;
	int rc;

	rc = gmrk__ek_ready(ek, true, path, asset, err);
	if (rc)
		return rc;
	gmrk__err_clear(&e2);
	rc = gmrk_sm2_unwrap(ek->sm2->priv, in, len, secret, GMRK_KF_SECRET, &n, &e2);
	if (!rc && n != GMRK_KF_SECRET) {
		gmrk__memzero(secret, GMRK_KF_SECRET);
		return gmrk__err(err, GMRK_E_CORRUPT,
				 "key file '%s' of asset '%s': sm2 wrapped secret has %zu bytes, not %d",
				 path, asset, n, GMRK_KF_SECRET);
	}
	return rc ? gmrk_ek_fail(err, &e2, path, asset) : 0;
}

/* ------------------------------------------------------------- card key */

static int gmrk_ek_card_load(struct gmrk_ek *ek, const char *spec, bool from_env,
			     gmrk_error *err)
{
	struct gmrk_ek_card *c = calloc(1, sizeof(*c));

	if (!c)
		return gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
	ek->card = c;
	ek->kind = GMRK_EK_CARD;
	c->where = from_env ? "GMRK_CARD_KEY" : "gmrk_config.card_key";
	snprintf(ek->source, sizeof(ek->source), "%s",
		 from_env ? "environment variable GMRK_CARD_KEY" : "the configured card key");
	if (gmrk_card_parse_spec(spec, c->dev, &c->slot) || strlen(spec) >= sizeof(c->spec))
		return gmrk__err(err, GMRK_E_INVAL,
				 "%s='%.40s': expected SLOT or gmrkN:SLOT (a key slot 0 to %d)",
				 c->where, spec, GMRK_CARD_SLOTS_MAX - 1);
	snprintf(c->spec, sizeof(c->spec), "%s", spec);
	return 0;
}

/*
 * "key file 'P' of asset 'A': card key: <what>" for errno @e of an
 * operation on slot @slot of device @dev; the code says what happened.
 */
static int gmrk_card_errno(gmrk_error *err, int e, const char *dev, unsigned int slot,
			   const char *path, const char *asset)
{
	int rc;

	switch (e) {
	case ENODEV:
	case ENXIO:
	case ENOENT:
		rc = gmrk__err(err, GMRK_E_IO,
			       "key file '%s' of asset '%s': card key: %s went away (%s); a card-held key has no software fallback",
			       path, asset, dev, strerror(ENODEV));
		if (err)
			err->sys_errno = ENODEV;
		return rc;
	case EACCES:
	case EPERM:
		return gmrk__err(err, GMRK_E_PERM,
				 "key file '%s' of asset '%s': card key: permission denied on /dev/%s",
				 path, asset, dev);
	case ENOKEY:
		return gmrk__err(err, GMRK_E_NOKEY,
				 "key file '%s' of asset '%s': card key: slot %u of %s is empty",
				 path, asset, slot, dev);
	case EBADMSG:
		return gmrk__err(err, GMRK_E_WRONG_KEY,
				 "key file '%s' of asset '%s': card key: %s slot %u rejected the wrapped secret (another key, or the key file is corrupt)",
				 path, asset, dev, slot);
	case EOPNOTSUPP:
		return gmrk__err(err, GMRK_E_UNSUPPORTED,
				 "key file '%s' of asset '%s': card key: %s has no key slots",
				 path, asset, dev);
	case EINVAL:
		return gmrk__err(err, GMRK_E_INVAL,
				 "key file '%s' of asset '%s': card key: %s has no slot %u",
				 path, asset, dev, slot);
	default:
		return gmrk__err_sys(err, e, "key file '%s' of asset '%s': card key: %s slot %u",
				     path, asset, dev, slot);
	}
}

static void gmrk_note(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void gmrk_note(char *buf, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 3 >= cap)
		return;
	if (n) {
		memcpy(buf + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
}

/* what slot @slot of the open device @fd holds: 0 and @pub, or -errno */
static int gmrk_card_slot_pub(int fd, unsigned int slot, uint8_t pub[GMRK_CARD_PUB_LEN])
{
	struct gmrk_card_info ci;
	int rc = gmrk_card_info(fd, &ci);

	if (rc)
		return rc;
	if (!ci.key_slots)
		return -EOPNOTSUPP;
	if (slot >= ci.key_slots)
		return -EINVAL;
	if (!(ci.slot_map & (1u << slot)))
		return -ENOKEY;
	return gmrk_card_pub(fd, slot, pub);
}

static const char *gmrk_card_what(int e, char *buf, size_t cap, unsigned int slot)
{
	switch (e) {
	case ENOKEY:
		snprintf(buf, cap, "slot %u empty", slot);
		break;
	case EOPNOTSUPP:
		snprintf(buf, cap, "no key slots");
		break;
	case EINVAL:
		snprintf(buf, cap, "no slot %u", slot);
		break;
	case EACCES:
	case EPERM:
		snprintf(buf, cap, "permission denied");
		break;
	default:
		snprintf(buf, cap, "%s", strerror(e));
	}
	return buf;
}

/*
 * The device new key files are wrapped to and its slot's public key: the
 * configured gmrkN, else the one device with a key in the slot. On success
 * *@fd is open on it.
 */
static int gmrk_card_target(struct gmrk_ek_card *c, struct gmrk_card_dev *dev, int *fd,
			    uint8_t pub[GMRK_CARD_PUB_LEN], const char *path,
			    const char *asset, gmrk_error *err)
{
	struct gmrk_card_dev devs[GMRK_CARD_DEVS_MAX];
	char notes[160] = "", what[48], first[16] = "";
	int n, i, rc, found = 0, denied = -1;

	*fd = -1;
	if (c->dev[0]) {
		gmrk_card_dev_from_name(c->dev, dev);
		rc = gmrk_card_open(dev);
		if (rc == -ENOENT || rc == -ENXIO || rc == -ENODEV)
			return gmrk__err(err, GMRK_E_UNSUPPORTED,
					 "key file '%s' of asset '%s': card key: no device %s (%s=%s); a card-held key needs its card",
					 path, asset, dev->path, c->where, c->spec);
		if (rc < 0)
			return gmrk_card_errno(err, -rc, dev->name, c->slot, path, asset);
		*fd = rc;
		rc = gmrk_card_slot_pub(*fd, c->slot, pub);
		if (rc) {
			close(*fd);
			*fd = -1;
			if (rc == -ENOKEY)
				return gmrk__err(err, GMRK_E_NOKEY,
						 "key file '%s' of asset '%s': card key: slot %u of %s is empty (gmrk cardkey generate --device %s --slot %u)",
						 path, asset, c->slot, dev->name, dev->name, c->slot);
			return gmrk_card_errno(err, -rc, dev->name, c->slot, path, asset);
		}
		return 0;
	}
	n = gmrk_card_list(devs, GMRK_CARD_DEVS_MAX);
	if (n < 0)
		return gmrk__err_sys(err, -n, "key file '%s' of asset '%s': card key: /dev", path,
				     asset);
	if (!n)
		return gmrk__err(err, GMRK_E_UNSUPPORTED,
				 "key file '%s' of asset '%s': card key: no gm-rk device (/dev/gmrk*) found; a card-held key needs its card",
				 path, asset);
	for (i = 0; i < n; i++) {
		uint8_t p[GMRK_CARD_PUB_LEN];
		int f = gmrk_card_open(&devs[i]);

		rc = f < 0 ? f : gmrk_card_slot_pub(f, c->slot, p);
		if (rc) {
			if (f >= 0)
				close(f);
			if ((rc == -EACCES || rc == -EPERM) && denied < 0)
				denied = i;
			gmrk_note(notes, sizeof(notes), "%s: %s", devs[i].name,
				  gmrk_card_what(-rc, what, sizeof(what), c->slot));
			continue;
		}
		if (found++) {
			close(f);
			close(*fd);
			*fd = -1;
			return gmrk__err(err, GMRK_E_INVAL,
					 "key file '%s' of asset '%s': card key: %s and %s both hold a key in slot %u: name the device (%s=%s:%u)",
					 path, asset, first, devs[i].name, c->slot, c->where, first,
					 c->slot);
		}
		*dev = devs[i];
		*fd = f;
		snprintf(first, sizeof(first), "%s", devs[i].name);
		memcpy(pub, p, sizeof(p));
	}
	if (found)
		return 0;
	if (denied >= 0)
		return gmrk__err(err, GMRK_E_PERM,
				 "key file '%s' of asset '%s': card key: permission denied on %s (%s)",
				 path, asset, devs[denied].path, notes);
	return gmrk__err(err, GMRK_E_NOKEY,
			 "key file '%s' of asset '%s': card key: no gm-rk device holds a key in slot %u (%s); gmrk cardkey generate --slot %u",
			 path, asset, c->slot, notes, c->slot);
}

int gmrk__ek_card_wrap(struct gmrk_ek *ek, struct gmrk_kf_entry *e, bool verify,
		       const char *path, const char *asset, gmrk_error *err)
{
	struct gmrk_ek_card *c = ek->card;
	uint8_t pub[GMRK_CARD_PUB_LEN], der[GMRK_SM2_WRAPPED_MAX], back[GMRK_KF_SECRET];
	struct gmrk_card_dev dev;
	size_t derlen = 0, n = 0;
	gmrk_sm2 *k;
	gmrk_error e2;
	int fd, rc;

	rc = gmrk_card_target(c, &dev, &fd, pub, path, asset, err);
	if (rc)
		return rc;
	/* the SM2 encryption is lib/keys/sm2.c's, to the key the card reported */
	k = gmrk_sm2_from_public(pub, &e2);
	rc = k ? gmrk_sm2_wrap(k, e->secret, GMRK_KF_SECRET, der, sizeof(der), &derlen, &e2) :
		 -GMRK_E_INVAL;
	gmrk_sm2_free(k);
	if (rc) {
		rc = gmrk__err(err, e2.code ? e2.code : GMRK_E_INVAL,
			       "key file '%s' of asset '%s': card key: %s slot %u: %s", path, asset,
			       dev.name, c->slot, e2.message);
		goto out;
	}
	if (gmrk_card_der_to_raw(der, derlen, e->wrapped, sizeof(e->wrapped), &e->wrappedlen)) {
		rc = gmrk__err(err, GMRK_E_UNSUPPORTED,
			       "key file '%s' of asset '%s': card key: OpenSSL's SM2 ciphertext is not the expected DER SM2Cipher",
			       path, asset);
		goto out;
	}
	e->card_slot = c->slot;
	memcpy(e->card_pub, pub, sizeof(pub));
	if (verify) {
		/* the card gives the secret back before any file depends on it */
		rc = gmrk_card_unwrap(fd, c->slot, e->wrapped, e->wrappedlen, back, sizeof(back), &n);
		if (rc) {
			rc = gmrk_card_errno(err, -rc, dev.name, c->slot, path, asset);
			goto out;
		}
		if (n != GMRK_KF_SECRET || CRYPTO_memcmp(back, e->secret, GMRK_KF_SECRET)) {
			rc = gmrk__err(err, GMRK_E_CORRUPT,
				       "key file '%s' of asset '%s': card key: %s slot %u did not give the wrapped secret back",
				       path, asset, dev.name, c->slot);
			goto out;
		}
	}
	snprintf(c->last, sizeof(c->last), "%s", dev.name);
out:
	OPENSSL_cleanse(der, sizeof(der));
	OPENSSL_cleanse(back, sizeof(back));
	close(fd);
	return rc;
}

int gmrk__ek_card_unwrap(struct gmrk_ek *ek, struct gmrk_kf_entry *e,
			 const char *path, const char *asset, gmrk_error *err)
{
	struct gmrk_ek_card *c = ek->card;
	struct gmrk_card_dev devs[GMRK_CARD_DEVS_MAX], tmp;
	char notes[144] = "", what[48];
	int n, i, j, rc, denied = -1;
	size_t len = 0;

	OPENSSL_cleanse(e->secret, sizeof(e->secret));
	/*
	 * The codec takes any length the card could unwrap; a key file's
	 * secret has exactly one. Anything else is damage, not a card fault.
	 */
	if (e->wrappedlen != GMRK_CARD_OVERHEAD + GMRK_KF_SECRET)
		return gmrk__err(err, GMRK_E_CORRUPT,
				 "key file '%s' of asset '%s': card key: the wrapped secret is %zu bytes, not %d: the key file is corrupt",
				 path, asset, e->wrappedlen, GMRK_CARD_OVERHEAD + GMRK_KF_SECRET);
	if (e->card_slot != c->slot)
		return gmrk__err(err, GMRK_E_WRONG_KEY,
				 "key file '%s' of asset '%s': card key: wrapped to slot %u, but %s names slot %u",
				 path, asset, e->card_slot, c->where, c->slot);
	n = gmrk_card_list(devs, GMRK_CARD_DEVS_MAX);
	if (n < 0)
		return gmrk__err_sys(err, -n, "key file '%s' of asset '%s': card key: /dev", path,
				     asset);
	if (!n)
		return gmrk__err(err, GMRK_E_UNSUPPORTED,
				 "key file '%s' of asset '%s': card key: no gm-rk device (/dev/gmrk*) found; only the card can unwrap (no software fallback)",
				 path, asset);
	/* the device that worked last, then the configured one, then the others */
	for (j = 0; j < 2; j++) {
		const char *want = j ? c->last : c->dev;

		for (i = 1; want[0] && i < n; i++)
			if (!strcmp(devs[i].name, want)) {
				tmp = devs[i];
				memmove(devs + 1, devs, (size_t)i * sizeof(devs[0]));
				devs[0] = tmp;
				break;
			}
	}
	for (i = 0; i < n; i++) {
		uint8_t p[GMRK_CARD_PUB_LEN];
		int f = gmrk_card_open(&devs[i]);

		rc = f < 0 ? f : gmrk_card_slot_pub(f, c->slot, p);
		if (!rc && CRYPTO_memcmp(p, e->card_pub, sizeof(p)))
			rc = 1;
		if (rc) {
			if (f >= 0)
				close(f);
			if ((rc == -EACCES || rc == -EPERM) && denied < 0)
				denied = i;
			if (rc == 1)
				gmrk_note(notes, sizeof(notes), "%s: slot %u holds another key",
					  devs[i].name, c->slot);
			else
				gmrk_note(notes, sizeof(notes), "%s: %s", devs[i].name,
					  gmrk_card_what(-rc, what, sizeof(what), c->slot));
			continue;
		}
		rc = gmrk_card_unwrap(f, c->slot, e->wrapped, e->wrappedlen, e->secret,
				      sizeof(e->secret), &len);
		close(f);
		if (rc)
			return gmrk_card_errno(err, -rc, devs[i].name, c->slot, path, asset);
		if (len != GMRK_KF_SECRET) {
			OPENSSL_cleanse(e->secret, sizeof(e->secret));
			return gmrk__err(err, GMRK_E_CORRUPT,
					 "key file '%s' of asset '%s': card key: the wrapped secret has %zu bytes, not %d",
					 path, asset, len, GMRK_KF_SECRET);
		}
		snprintf(c->last, sizeof(c->last), "%s", devs[i].name);
		return 0;
	}
	if (denied >= 0)
		return gmrk__err(err, GMRK_E_PERM,
				 "key file '%s' of asset '%s': card key: permission denied on %s (%s)",
				 path, asset, devs[denied].path, notes);
	return gmrk__err(err, GMRK_E_WRONG_KEY,
			 "key file '%s' of asset '%s': card key: no gm-rk device holds the public key of slot %u recorded in the key file (%s)",
			 path, asset, c->slot, notes);
}

static int gmrk_ek_file(struct gmrk_ek *ek, const char *path, gmrk_error *err)
{
	uint8_t *buf;
	size_t len, all;
	int rc;

	rc = gmrk_keys__read_file(path, GMRK_EK_FILE_MAX, "master key file",
				  &buf, &len, err);
	if (rc)
		return rc;
	all = len;
	/* one trailing newline is not part of the key */
	if (len && buf[len - 1] == '\n')
		len--;
	if (len && buf[len - 1] == '\r')
		len--;
	rc = gmrk__ek_classify((const char *)buf, len, ek);
	if (rc == -GMRK_E_INVAL)
		rc = gmrk__err(err, GMRK_E_INVAL, "master key file '%s' is empty", path);
	else if (rc)
		rc = gmrk__err(err, -rc, "%s", gmrk_strerror(rc));
	else
		snprintf(ek->source, sizeof(ek->source), "file '%.80s'", path);
	gmrk__memzero(buf, all);
	free(buf);
	return rc;
}

int gmrk__ek_load(struct gmrk_ek *ek, const struct gmrk_config *cfg,
		  gmrk_error *err)
{
	const char *env;
	int rc;

	memset(ek, 0, sizeof(*ek));
	if (cfg->master_key && cfg->master_key_len) {
		rc = gmrk__ek_classify(cfg->master_key, cfg->master_key_len, ek);
		if (rc)
			return gmrk__err(err, -rc, "master key: %s", gmrk_strerror(rc));
		snprintf(ek->source, sizeof(ek->source), "configuration");
		return 0;
	}
	{
		const char *pub = gmrk_cfg_env(cfg->sm2_public_key, cfg, "GMRK_SM2_PUBLIC_KEY");
		const char *priv = gmrk_cfg_env(cfg->sm2_private_key_file, cfg,
						"GMRK_SM2_PRIVATE_KEY_FILE");
		const char *tpm = gmrk_cfg_env(cfg->tpm_keys_file, cfg, "GMRK_TPM_KEYS_FILE");
		const char *card = gmrk_cfg_env(cfg->card_key, cfg, "GMRK_CARD_KEY");

		if (pub || priv)
			return gmrk_ek_sm2_load(ek, cfg, pub, priv, err);
		if (tpm)
			return gmrk_ek_tpm_load(ek, cfg, tpm, err);
		if (card)
			return gmrk_ek_card_load(ek, card, !(cfg->card_key && *cfg->card_key), err);
	}
	env = (cfg->flags & GMRK_CFG_IGNORE_ENV) ? NULL : getenv(cfg->master_key_env);
	if (env && *env) {
		rc = gmrk__ek_classify(env, strlen(env), ek);
		if (rc)
			return gmrk__err(err, -rc, "master key: %s", gmrk_strerror(rc));
		snprintf(ek->source, sizeof(ek->source), "environment variable %.60s",
			 cfg->master_key_env);
		return 0;
	}
	if (cfg->master_key_file)
		return gmrk_ek_file(ek, cfg->master_key_file, err);
	return 0;	/* none: keys cannot be opened, raw AEAD still works */
}

/* Runs OpenSSL's KDF @name with @params (OSSL_PARAM_END-terminated). */
static int gmrk_kdf_derive(const char *name, const OSSL_PARAM *params,
			   uint8_t *out, size_t outlen)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, name, NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	int rc = -GMRK_E_UNSUPPORTED;

	if (kctx && EVP_KDF_derive(kctx, out, outlen, params) == 1)
		rc = 0;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc;
}

int gmrk__hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
	       size_t saltlen, const uint8_t *info, size_t infolen,
	       uint8_t *out, size_t outlen)
{
	OSSL_PARAM params[5], *p = params;

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, infolen);
	*p = OSSL_PARAM_construct_end();
	return gmrk_kdf_derive(OSSL_KDF_NAME_HKDF, params, out, outlen);
}

int gmrk__scrypt(const uint8_t *pass, size_t passlen, const uint8_t *salt,
		 size_t saltlen, unsigned int log2n, uint32_t r, uint32_t p,
		 uint8_t *out, size_t outlen)
{
	OSSL_PARAM params[7], *pp = params;
	uint64_t n = (uint64_t)1 << log2n;
	/* scrypt needs 128 * r * (N + p) bytes; allow twice that */
	uint64_t maxmem = 256ull * r * (n + p) + (1u << 20);

	*pp++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pass, passlen);
	*pp++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
	*pp++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	*pp++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	*pp++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	*pp++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
	*pp = OSSL_PARAM_construct_end();
	return gmrk_kdf_derive(OSSL_KDF_NAME_SCRYPT, params, out, outlen);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Asset keys (AEK): random per asset, sealed under a KEK in a key file
 * next to the asset.
 *
 *   KEK = HKDF-SHA256(ikm = EK, salt = file salt,
 *                     info = "gmrk-kek-v1" 0x00 asset-name)      (ek-hkdf)
 *   KEK = HKDF-SHA256(ikm = scrypt(EK, salt, N, r, p), salt, info) (ek-scrypt)
 *   KEK = HKDF-SHA256(ikm = secret, salt, info)                   (sm2)
 *   KEK = HKDF-SHA256(ikm = TPM-unsealed key, salt, info)          (tpm)
 *   KEK = HKDF-SHA256(ikm = secret, salt, info)                   (card)
 *
 * sm2: the secret is 32 random bytes per key file, stored SM2-encrypted
 * to the master public key in the file's provider parameters; only the
 * private key gives it back. card: the same, wrapped to the public key of
 * a gm-rk card's key slot and given back only by that card.
 *
 * Blocks are not sealed with the AEK itself but with one subkey per cipher,
 *
 *   K(cipher) = HKDF-SHA256(ikm = AEK, salt = key id,
 *                           info = "gmrk-block-v1" 0x00 cipher-id)
 *
 * so that changing the cipher under the same key never uses one key with
 * two algorithms, and each subkey has its own nonce budget.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static const char gmrk_kek_info[] = "gmrk-kek-v1";
static const char gmrk_subkey_info[] = "gmrk-block-v1";

static int gmrk_kek(const struct gmrk_ek *ek, const struct gmrk_kf_entry *e,
		    uint8_t *kek, size_t keklen)
{
	uint8_t info[sizeof(gmrk_kek_info) + 256], prk[32];
	size_t alen = strlen(e->asset), ilen;
	int rc;

	memcpy(info, gmrk_kek_info, sizeof(gmrk_kek_info));	/* with its NUL */
	memcpy(info + sizeof(gmrk_kek_info), e->asset, alen);
	ilen = sizeof(gmrk_kek_info) + alen;
	if (e->provider == GMRK_PROVIDER_EK_SCRYPT) {
		rc = gmrk__scrypt(ek->bytes, ek->len, e->salt, GMRK_KF_SALT,
				  e->log2n, e->r, e->p, prk, sizeof(prk));
		if (!rc)
			rc = gmrk__hkdf(prk, sizeof(prk), e->salt, GMRK_KF_SALT,
					info, ilen, kek, keklen);
		gmrk__memzero(prk, sizeof(prk));
		return rc;
	}
	if (e->provider == GMRK_PROVIDER_SM2 || e->provider == GMRK_PROVIDER_CARD)
		return gmrk__hkdf(e->secret, GMRK_KF_SECRET, e->salt, GMRK_KF_SALT,
				  info, ilen, kek, keklen);
	if (!ek->bytes)
		return -GMRK_E_NOKEY;
	return gmrk__hkdf(ek->bytes, ek->len, e->salt, GMRK_KF_SALT, info, ilen,
			  kek, keklen);
}

static unsigned int gmrk_provider_for(const struct gmrk_ek *ek)
{
	switch (ek->kind) {
	case GMRK_EK_RAW:
		return GMRK_PROVIDER_EK_HKDF;
	case GMRK_EK_SM2:
		return GMRK_PROVIDER_SM2;
	case GMRK_EK_TPM:
		return GMRK_PROVIDER_TPM;
	case GMRK_EK_CARD:
		return GMRK_PROVIDER_CARD;
	default:
		return GMRK_PROVIDER_EK_SCRYPT;
	}
}

static const char *gmrk_provider_what(unsigned int provider)
{
	switch (provider) {
	case GMRK_PROVIDER_EK_HKDF:
		return "a 32-byte hex key";
	case GMRK_PROVIDER_SM2:
		return "an SM2 key pair";
	case GMRK_PROVIDER_TPM:
		return "a TPM-sealed key";
	case GMRK_PROVIDER_CARD:
		return "a card-held SM2 key";
	default:
		return "a passphrase";
	}
}

/* seal (enc) or open the 32-byte asset key of @e under its KEK */
static int gmrk_wrap(gmrk_ctx *ctx, struct gmrk_kf_entry *e, uint8_t *aek,
		     bool enc, const char *path, gmrk_error *err)
{
	uint8_t kek[GMRK_MAXKEY];
	size_t keklen = gmrk__block_keylen(e->wrap);
	struct gmrk_aead a;
	struct gmrk_req r = {
		.enc = enc, .nonce = e->nonce, .aad = e->aad, .aadlen = e->aadlen,
		.in = enc ? aek : e->sealed, .len = GMRK_KEY_LEN,
		.out = enc ? e->sealed : aek, .tag = e->sealed + GMRK_KEY_LEN,
	};
	gmrk_error e2;
	int rc;

	if (gmrk_kek(&ctx->ek, e, kek, keklen))
		return gmrk__err(err, GMRK_E_UNSUPPORTED,
				 "key file '%s': key derivation failed", path);
	rc = gmrk__aead_init(&a, e->wrap, kek, keklen, ctx->flags, err);
	gmrk__memzero(kek, sizeof(kek));
	if (rc)
		return rc;
	rc = gmrk__run(ctx, &a, &r, NULL, NULL, &e2);
	gmrk__aead_clear(&a);
	if (rc == -GMRK_E_AUTH)
		return gmrk__err(err, GMRK_E_WRONG_KEY, "error decrypting key file '%s': %s",
				 path, e2.message);
	if (rc)
		return gmrk__err(err, -rc, "%s key file '%s': %s",
				 enc ? "error encrypting" : "error decrypting", path, e2.message);
	return 0;
}

#define GMRK_KF_ENTRY_MAX \
	(GMRK_KF_FIXED + 255 + GMRK_KF_PARAMS_MAX + GMRK_NONCE_LEN + GMRK_KF_SEALED)

/*
 * Fresh wrapping for entry @e under @ctx's master key: a new salt and
 * nonce, and the provider's per-entry secret (sm2: 32 random bytes,
 * SM2-wrapped to the public key into @e->wrapped).
 */
static int gmrk_entry_fresh(gmrk_ctx *ctx, struct gmrk_kf_entry *e,
			    const char *path, gmrk_error *err)
{
	if (gmrk__getrandom(e->salt, sizeof(e->salt)) ||
	    gmrk__getrandom(e->nonce, sizeof(e->nonce)) ||
	    ((e->provider == GMRK_PROVIDER_SM2 || e->provider == GMRK_PROVIDER_CARD) &&
	     gmrk__getrandom(e->secret, sizeof(e->secret))))
		return gmrk__err_sys(err, errno, "getrandom");
	if (e->provider == GMRK_PROVIDER_SM2)
		return gmrk__ek_sm2_wrap(&ctx->ek, e->secret, e->wrapped, sizeof(e->wrapped),
					 &e->wrappedlen, path, e->asset, err);
	/* card: the card unwraps it once before anything depends on it */
	if (e->provider == GMRK_PROVIDER_CARD)
		return gmrk__ek_card_wrap(&ctx->ek, e, true, path, e->asset, err);
	return 0;
}

/*
 * Appends to @buf (at *@off) the entry of version @kv of @key wrapped
 * under @ctx's master key and cipher, with a fresh salt, nonce (and sm2
 * secret): the one encoder of entries, for new key files, rewrapped ones
 * and added versions.
 */
static int gmrk_entry_wrap(gmrk_ctx *ctx, const gmrk_key *key,
			   const struct gmrk_keyver *kv, uint8_t *buf,
			   size_t cap, size_t *off, const char *path,
			   gmrk_error *err)
{
	struct gmrk_kf_entry e;
	uint8_t aek[GMRK_KEY_LEN];
	size_t head;
	int rc;

	if (cap - *off < GMRK_KF_ENTRY_MAX)
		return gmrk__err(err, GMRK_E_SPACE, "key file '%s': too many entries", path);
	memset(&e, 0, sizeof(e));
	e.provider = gmrk_provider_for(&ctx->ek);
	e.wrap = ctx->cipher;
	e.version = kv->version;
	memcpy(e.id, key->id, sizeof(e.id));
	snprintf(e.asset, sizeof(e.asset), "%s", key->asset);
	e.log2n = ctx->scrypt_log2n;
	e.r = 8;
	e.p = 1;
	rc = gmrk_entry_fresh(ctx, &e, path, err);
	if (rc)
		goto out;
	head = gmrk__kf_encode_head(&e, buf + *off, cap - *off);
	if (!head) {
		rc = gmrk__err(err, GMRK_E_INVAL, "asset name '%s': 1 to 255 bytes", key->asset);
		goto out;
	}
	e.aad = buf + *off;
	e.aadlen = head;
	memcpy(aek, kv->aek, sizeof(aek));
	rc = gmrk_wrap(ctx, &e, aek, true, path, err);
	gmrk__memzero(aek, sizeof(aek));
	if (rc)
		goto out;
	memcpy(buf + *off + head, e.nonce, GMRK_NONCE_LEN);
	memcpy(buf + *off + head + GMRK_NONCE_LEN, e.sealed, GMRK_KF_SEALED);
	*off += head + GMRK_NONCE_LEN + GMRK_KF_SEALED;
out:
	gmrk__memzero(&e, sizeof(e));
	return rc;
}

static int gmrk_key_create(gmrk_ctx *ctx, gmrk_key *key, const char *path,
			   gmrk_error *err)
{
	uint8_t buf[GMRK_KF_ENTRY_MAX];
	struct gmrk_keyver *kv = &key->ver[0];
	size_t len = 0;
	int rc;

	/* tpm: unseal (once per context) before anything is written */
	rc = gmrk__ek_ready(&ctx->ek, false, path, key->asset, err);
	if (rc)
		return rc;
	kv->version = 1;
	if (gmrk__getrandom(key->id, sizeof(key->id)) ||
	    gmrk__getrandom(kv->aek, sizeof(kv->aek)))
		rc = gmrk__err_sys(err, errno, "getrandom");
	if (!rc)
		rc = gmrk_entry_wrap(ctx, key, kv, buf, sizeof(buf), &len, path, err);
	if (!rc)
		rc = gmrk__kf_write_new(path, buf, len, err);
	gmrk__memzero(buf, sizeof(buf));
	if (rc) {
		/* nothing of it stays: a lost race loads the winner's file */
		gmrk__memzero(key->id, sizeof(key->id));
		gmrk__memzero(kv, sizeof(*kv));
		return rc;
	}
	key->provider = gmrk_provider_for(&ctx->ek);
	key->wrap_cipher = ctx->cipher;
	key->nver = 1;
	return 0;
}

static int gmrk_key_load(gmrk_ctx *ctx, gmrk_key *key, const char *path,
			 const uint8_t *buf, size_t len, gmrk_error *err)
{
	size_t off = 0, used;
	int rc;

	if (!len)
		return gmrk__err(err, GMRK_E_TRUNCATED, "key file '%s' is empty", path);
	while (off < len) {
		struct gmrk_kf_entry e;
		struct gmrk_keyver *kv;

		rc = gmrk__kf_parse(buf + off, len - off, &e, &used, path, err);
		if (rc)
			return rc;
		if (key->nver == GMRK_KEY_MAX_VERSIONS)
			return gmrk__err(err, GMRK_E_UNSUPPORTED,
					 "key file '%s': more than %d key versions",
					 path, GMRK_KEY_MAX_VERSIONS);
		if (key->nver && (memcmp(e.id, key->id, sizeof(e.id)) ||
				  e.version <= key->ver[key->nver - 1].version ||
				  strcmp(e.asset, key->asset)))
			return gmrk__err(err, GMRK_E_CORRUPT,
					 "key file '%s': inconsistent key entries", path);
		if (!key->nver && strcmp(e.asset, key->asset))
			return gmrk__err(err, GMRK_E_WRONG_KEY,
					 "key file '%s' belongs to asset '%s', not '%s'",
					 path, e.asset, key->asset);
		if (e.provider != gmrk_provider_for(&ctx->ek))
			return gmrk__err(err, GMRK_E_WRONG_KEY,
					 "key file '%s' needs %s as master key, but %s is %s",
					 path, gmrk_provider_what(e.provider), ctx->ek.source,
					 gmrk_provider_what(gmrk_provider_for(&ctx->ek)));
		kv = &key->ver[key->nver];
		if (e.provider == GMRK_PROVIDER_SM2)
			rc = gmrk__ek_sm2_unwrap(&ctx->ek, e.wrapped, e.wrappedlen, e.secret,
						 path, key->asset, err);
		else if (e.provider == GMRK_PROVIDER_CARD)
			rc = gmrk__ek_card_unwrap(&ctx->ek, &e, path, key->asset, err);
		else
			rc = gmrk__ek_ready(&ctx->ek, true, path, key->asset, err);
		if (!rc)
			rc = gmrk_wrap(ctx, &e, kv->aek, false, path, err);
		gmrk__memzero(e.secret, sizeof(e.secret));
		if (rc)
			return rc;
		kv->version = e.version;
		if (!key->nver) {
			memcpy(key->id, e.id, sizeof(key->id));
			key->provider = e.provider;
			key->wrap_cipher = e.wrap;
		}
		key->nver++;
		off += used;
	}
	return 0;
}

static void gmrk_default_asset(char *out, size_t cap, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && !strcmp(base + n - 4, ".key"))
		n -= 4;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, base, n);
	out[n] = '\0';
}

/* An empty key of @ctx; NULL (and @err says why) when out of memory. */
static gmrk_key *gmrk_key_alloc(gmrk_ctx *ctx, gmrk_error *err)
{
	gmrk_key *key = calloc(1, sizeof(*key));

	if (!key) {
		gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
		return NULL;
	}
	key->ctx = ctx;
	return key;
}

gmrk_key *gmrk_key_open(gmrk_ctx *ctx, const char *path, const char *asset,
			unsigned int flags, gmrk_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	gmrk_key *key;
	int rc;

	gmrk__err_clear(err);
	if (!ctx || !path || !*path) {
		gmrk__err(err, GMRK_E_INVAL, "gmrk_key_open: no context or path");
		return NULL;
	}
	if (ctx->ek.kind == GMRK_EK_NONE) {
		gmrk__err(err, GMRK_E_NOKEY,
			  "key file '%s': no master key configured (set GMRK_KEY or a master key file)",
			  path);
		return NULL;
	}
	key = gmrk_key_alloc(ctx, err);
	if (!key)
		return NULL;
	if (asset)
		snprintf(key->asset, sizeof(key->asset), "%s", asset);
	else
		gmrk_default_asset(key->asset, sizeof(key->asset), path);
	if (!key->asset[0] || (asset && strlen(asset) > 255)) {
		rc = gmrk__err(err, GMRK_E_INVAL,
			       "key file '%s': asset name must be 1 to 255 bytes", path);
		goto out;
	}
	rc = gmrk__kf_read(path, &buf, &len, err);
	if (rc == -GMRK_E_NOENT && (flags & GMRK_KEY_CREATE)) {
		rc = gmrk_key_create(ctx, key, path, err);
		if (rc == -GMRK_E_EXISTS && !(flags & GMRK_KEY_EXCL))
			rc = gmrk__kf_read(path, &buf, &len, err);	/* lost a race */
		else if (!rc)
			goto out;	/* created: nothing to load */
	} else if (!rc && (flags & GMRK_KEY_CREATE) && (flags & GMRK_KEY_EXCL)) {
		rc = gmrk__err(err, GMRK_E_EXISTS, "key file '%s' already exists", path);
		goto out;
	}
	if (!rc)
		rc = gmrk_key_load(ctx, key, path, buf, len, err);
out:
	if (buf) {
		gmrk__memzero(buf, len);
		free(buf);
	}
	if (rc) {
		gmrk_key_free(key);
		return NULL;
	}
	return key;
}

gmrk_key *gmrk_key_from_bytes(gmrk_ctx *ctx, const uint8_t *aek, size_t len,
			      const uint8_t id[GMRK_KEY_ID_LEN], uint32_t version,
			      gmrk_error *err)
{
	gmrk_key *key;

	gmrk__err_clear(err);
	if (!ctx || !aek || !id || len != GMRK_KEY_LEN) {
		gmrk__err(err, GMRK_E_INVAL, "gmrk_key_from_bytes: need a %d-byte key and an id",
			  GMRK_KEY_LEN);
		return NULL;
	}
	key = gmrk_key_alloc(ctx, err);
	if (!key)
		return NULL;
	memcpy(key->id, id, GMRK_KEY_ID_LEN);
	key->nver = 1;
	key->ver[0].version = version;
	memcpy(key->ver[0].aek, aek, GMRK_KEY_LEN);
	return key;
}

void gmrk_key_free(gmrk_key *key)
{
	int i, c;

	if (!key)
		return;
	for (i = 0; i < key->nver; i++)
		for (c = 0; c < GMRK_CIPHER_COUNT; c++) {
			if (key->ver[i].aead[c]) {
				gmrk__aead_clear(key->ver[i].aead[c]);
				free(key->ver[i].aead[c]);
			}
		}
	gmrk__memzero(key, sizeof(*key));
	free(key);
}

int gmrk_key_info(const gmrk_key *key, struct gmrk_key_info *info)
{
	if (!key || !info)
		return -GMRK_E_INVAL;
	memset(info, 0, sizeof(*info));
	memcpy(info->id, key->id, sizeof(info->id));
	info->version = key->ver[key->nver - 1].version;
	info->provider = key->provider;
	info->wrap_cipher = key->wrap_cipher;
	info->sealed = key->sealed;
	snprintf(info->asset, sizeof(info->asset), "%s", key->asset);
	return 0;
}

struct gmrk_keyver *gmrk__key_version(gmrk_key *key, uint32_t version)
{
	int i;

	for (i = 0; i < key->nver; i++)
		if (key->ver[i].version == version)
			return &key->ver[i];
	return NULL;
}

int gmrk__key_aead(gmrk_key *key, struct gmrk_keyver *kv, enum gmrk_cipher c,
		   struct gmrk_aead **out, gmrk_error *err)
{
	uint8_t info[sizeof(gmrk_subkey_info) + 1], sub[GMRK_MAXKEY];
	size_t sublen = gmrk__block_keylen(c);
	struct gmrk_aead *a;
	int rc;

	if (kv->aead[c]) {
		*out = kv->aead[c];
		return 0;
	}
	memcpy(info, gmrk_subkey_info, sizeof(gmrk_subkey_info));
	info[sizeof(gmrk_subkey_info)] = (uint8_t)c;
	if (gmrk__hkdf(kv->aek, GMRK_KEY_LEN, key->id, GMRK_KEY_ID_LEN, info,
		       sizeof(info), sub, sublen))
		return gmrk__err(err, GMRK_E_UNSUPPORTED, "block key derivation failed");
	a = malloc(sizeof(*a));
	if (!a) {
		gmrk__memzero(sub, sizeof(sub));
		return gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
	}
	rc = gmrk__aead_init(a, c, sub, sublen, key->ctx->flags, err);
	gmrk__memzero(sub, sizeof(sub));
	if (rc) {
		free(a);
		return rc;
	}
	kv->aead[c] = a;
	*out = a;
	return 0;
}

/* the key file @buf loaded under @ctx into a new key; NULL and @err on failure */
static gmrk_key *gmrk_key_load_buf(gmrk_ctx *ctx, const char *path,
				   const char *asset, const uint8_t *buf,
				   size_t len, gmrk_error *err)
{
	gmrk_key *key;

	if (ctx->ek.kind == GMRK_EK_NONE) {
		gmrk__err(err, GMRK_E_NOKEY, "key file '%s': no master key configured", path);
		return NULL;
	}
	key = gmrk_key_alloc(ctx, err);
	if (!key)
		return NULL;
	snprintf(key->asset, sizeof(key->asset), "%s", asset);
	if (gmrk_key_load(ctx, key, path, buf, len, err)) {
		gmrk_key_free(key);
		return NULL;
	}
	return key;
}

/* the same version number with the same AEK (constant time) */
static bool gmrk_ver_same(const struct gmrk_keyver *a, const struct gmrk_keyver *b)
{
	uint8_t diff = 0;
	int j;

	for (j = 0; j < GMRK_KEY_LEN; j++)
		diff |= a->aek[j] ^ b->aek[j];
	return a->version == b->version && !diff;
}

/*
 * The same key id and asset, and @n versions @a->ver[@ai..] and
 * @b->ver[@bi..] the same (constant time).
 */
static bool gmrk_vers_same(const gmrk_key *a, int ai, const gmrk_key *b, int bi,
			   int n)
{
	bool same = true;
	int i;

	if (ai + n > a->nver || bi + n > b->nver || memcmp(a->id, b->id, sizeof(a->id)) ||
	    strcmp(a->asset, b->asset))
		return false;
	for (i = 0; i < n; i++)
		same &= gmrk_ver_same(&a->ver[ai + i], &b->ver[bi + i]);
	return same;
}

/* the same key id, asset and versions with the same AEKs (constant time) */
static bool gmrk_key_same(const gmrk_key *a, const gmrk_key *b)
{
	return a->nver == b->nver && gmrk_vers_same(a, 0, b, 0, a->nver);
}

int gmrk_key_rewrap(gmrk_ctx *from, gmrk_ctx *to, const char *path,
		    const char *asset, gmrk_error *err)
{
	char name[256];
	uint8_t *buf = NULL, *out = NULL;
	size_t len = 0, cap, off = 0;
	gmrk_key *old = NULL, *check = NULL;
	gmrk_error e_from, e_to;
	int rc, i, lock;

	gmrk__err_clear(err);
	if (!from || !to || !path || !*path)
		return gmrk__err(err, GMRK_E_INVAL, "gmrk_key_rewrap: no context or path");
	if (to->ek.kind == GMRK_EK_NONE)
		return gmrk__err(err, GMRK_E_NOKEY, "gmrk_key_rewrap: no new master key configured");
	if (asset && (!*asset || strlen(asset) > 255))
		return gmrk__err(err, GMRK_E_INVAL,
				 "key file '%s': asset name must be 1 to 255 bytes", path);
	/* no other rewrite (an added version) may land between read and replace */
	lock = gmrk__kf_lock(path, err);
	if (lock < 0)
		return lock;
	rc = gmrk__kf_read(path, &buf, &len, err);
	if (rc)
		goto out;
	if (asset) {
		snprintf(name, sizeof(name), "%s", asset);
	} else {
		/*
		 * The asset the file names (it is authenticated: in the AAD and
		 * the KEK), so keys of "gmrk seal --asset" rotate too; a file
		 * that does not parse fails below with the reason.
		 */
		struct gmrk_kf_entry e;
		size_t used;

		if (len && !gmrk__kf_parse(buf, len, &e, &used, path, NULL))
			snprintf(name, sizeof(name), "%s", e.asset);
		else
			gmrk_default_asset(name, sizeof(name), path);
		gmrk__memzero(&e, sizeof(e));
	}
	gmrk__err_clear(&e_from);
	old = gmrk_key_load_buf(from, path, name, buf, len, &e_from);
	if (!old) {
		/* an earlier, interrupted run may have done this one already */
		gmrk__err_clear(&e_to);
		check = gmrk_key_load_buf(to, path, name, buf, len, &e_to);
		if (check) {
			rc = 1;
			goto out;
		}
		/* a damaged file says so once; else the reasons of both keys */
		if (e_from.code == GMRK_E_CORRUPT || e_from.code == GMRK_E_TRUNCATED)
			rc = gmrk__err(err, e_from.code, "%s", e_from.message);
		else if (!strcmp(e_from.message, e_to.message))
			rc = gmrk__err(err, e_from.code, "opens under neither master key: %.200s",
				       e_from.message);
		else
			rc = gmrk__err(err, e_from.code,
				       "opens under neither master key: old: %.100s; new: %.100s",
				       e_from.message, e_to.message);
		goto out;
	}
	/* tpm: unseal once before anything is written */
	rc = gmrk__ek_ready(&to->ek, false, path, name, err);
	if (rc)
		goto out;
	cap = (size_t)old->nver * GMRK_KF_ENTRY_MAX;
	out = malloc(cap);
	if (!out) {
		rc = gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
		goto out;
	}
	for (i = 0; i < old->nver && !rc; i++)
		rc = gmrk_entry_wrap(to, old, &old->ver[i], out, cap, &off, path, err);
	if (rc)
		goto out;
	/* never lose a key: the new bytes must give back every AEK first */
	gmrk__err_clear(&e_to);
	check = gmrk_key_load_buf(to, path, name, out, off, &e_to);
	if (!check) {
		rc = gmrk__err(err, e_to.code ? e_to.code : GMRK_E_CORRUPT,
			       "key file '%s': the rewrapped key does not open under the new master key, old file kept: %.120s",
			       path, e_to.message);
		goto out;
	}
	if (!gmrk_key_same(old, check)) {
		rc = gmrk__err(err, GMRK_E_CORRUPT,
			       "key file '%s': the rewrapped key differs, old file kept", path);
		goto out;
	}
	rc = gmrk__kf_replace(path, out, off, err);
out:
	gmrk_key_free(old);
	gmrk_key_free(check);
	if (out) {
		gmrk__memzero(out, cap);
		free(out);
	}
	if (buf) {
		gmrk__memzero(buf, len);
		free(buf);
	}
	close(lock);
	return rc;
}

/*
 * A key file being changed in place (gmrk_key_add_version,
 * gmrk_key_drop_versions): locked from before the read until after the
 * replace, so two changes never overwrite each other.
 */
struct gmrk_kf_edit {
	int lock;
	char asset[256];
	uint8_t *buf;		/* the file as read */
	size_t len;
	gmrk_key *old;		/* and opened under the context */
	uint8_t *out;		/* the new file */
	size_t cap, off;
};

static int gmrk_edit_begin(gmrk_ctx *ctx, const char *path, const char *asset,
			   const char *fn, struct gmrk_kf_edit *ed, gmrk_error *err)
{
	gmrk_error e;

	memset(ed, 0, sizeof(*ed));
	ed->lock = -1;
	if (!ctx || !path || !*path)
		return gmrk__err(err, GMRK_E_INVAL, "%s: no context or path", fn);
	if (asset)
		snprintf(ed->asset, sizeof(ed->asset), "%s", asset);
	else
		gmrk_default_asset(ed->asset, sizeof(ed->asset), path);
	if (!ed->asset[0] || (asset && strlen(asset) > 255))
		return gmrk__err(err, GMRK_E_INVAL,
				 "key file '%s': asset name must be 1 to 255 bytes", path);
	ed->lock = gmrk__kf_lock(path, err);
	if (ed->lock < 0)
		return ed->lock;
	if (gmrk__kf_read(path, &ed->buf, &ed->len, &e) == 0) {
		ed->old = gmrk_key_load_buf(ctx, path, ed->asset, ed->buf, ed->len, &e);
		if (ed->old)
			return 0;
	}
	return gmrk__err(err, e.code, "%s", e.message);
}

/*
 * Replaces the file by ed->out once it opens under @ctx and gives back
 * versions @oi.. of the old file as versions 0.. (@n of them), and @add
 * as the one after them; returns that key in *@key.
 */
static int gmrk_edit_commit(gmrk_ctx *ctx, const char *path, struct gmrk_kf_edit *ed,
			    int oi, int n, const struct gmrk_keyver *add,
			    gmrk_key **key, gmrk_error *err)
{
	gmrk_key *check;
	gmrk_error e;
	bool same;
	int rc;

	check = gmrk_key_load_buf(ctx, path, ed->asset, ed->out, ed->off, &e);
	if (!check)
		return gmrk__err(err, e.code ? e.code : GMRK_E_CORRUPT,
				 "key file '%s': the new file does not open, old file kept: %.120s",
				 path, e.message);
	same = check->nver == n + !!add && gmrk_vers_same(ed->old, oi, check, 0, n) &&
	       (!add || gmrk_ver_same(add, &check->ver[n]));
	rc = same ? gmrk__kf_replace(path, ed->out, ed->off, err) :
		    gmrk__err(err, GMRK_E_CORRUPT,
			      "key file '%s': the new file gives back other keys, old file kept",
			      path);
	if (rc || !key)
		gmrk_key_free(check);
	else
		*key = check;
	return rc;
}

static void gmrk_edit_end(struct gmrk_kf_edit *ed)
{
	gmrk_key_free(ed->old);
	if (ed->buf) {
		gmrk__memzero(ed->buf, ed->len);
		free(ed->buf);
	}
	if (ed->out) {
		gmrk__memzero(ed->out, ed->cap);
		free(ed->out);
	}
	if (ed->lock >= 0)
		close(ed->lock);
}

static int gmrk_edit_alloc(struct gmrk_kf_edit *ed, size_t cap, gmrk_error *err)
{
	ed->out = malloc(cap);
	if (!ed->out)
		return gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
	ed->cap = cap;
	return 0;
}

gmrk_key *gmrk_key_add_version(gmrk_ctx *ctx, const char *path, const char *asset,
			       gmrk_error *err)
{
	struct gmrk_kf_edit ed;
	struct gmrk_keyver kv;
	gmrk_key *key = NULL;
	const gmrk_key *old;
	int rc;

	gmrk__err_clear(err);
	memset(&kv, 0, sizeof(kv));
	rc = gmrk_edit_begin(ctx, path, asset, "gmrk_key_add_version", &ed, err);
	if (rc)
		goto out;
	old = ed.old;
	if (old->nver == GMRK_KEY_MAX_VERSIONS) {
		rc = gmrk__err(err, GMRK_E_EXHAUSTED,
			       "key file '%s' holds %d key versions, the most it can: drop the old ones first",
			       path, GMRK_KEY_MAX_VERSIONS);
		goto out;
	}
	kv.version = old->ver[old->nver - 1].version + 1;
	if (!kv.version) {
		rc = gmrk__err(err, GMRK_E_EXHAUSTED,
			       "key file '%s': its newest key version is the last there can be",
			       path);
		goto out;
	}
	if (gmrk__getrandom(kv.aek, sizeof(kv.aek))) {
		rc = gmrk__err_sys(err, errno, "getrandom");
		goto out;
	}
	rc = gmrk_edit_alloc(&ed, ed.len + GMRK_KF_ENTRY_MAX, err);
	if (rc)
		goto out;
	/* the versions there are stay byte for byte; the new one follows */
	memcpy(ed.out, ed.buf, ed.len);
	ed.off = ed.len;
	rc = gmrk_entry_wrap(ctx, old, &kv, ed.out, ed.cap, &ed.off, path, err);
	if (!rc)
		rc = gmrk_edit_commit(ctx, path, &ed, 0, old->nver, &kv, &key, err);
out:
	gmrk__memzero(&kv, sizeof(kv));
	gmrk_edit_end(&ed);
	return rc ? NULL : key;
}

int gmrk_key_drop_versions(gmrk_ctx *ctx, const char *path, const char *asset,
			   uint32_t below, gmrk_error *err)
{
	struct gmrk_kf_edit ed;
	const gmrk_key *old;
	size_t pos = 0;
	int rc, k, i;

	gmrk__err_clear(err);
	rc = gmrk_edit_begin(ctx, path, asset, "gmrk_key_drop_versions", &ed, err);
	if (rc)
		goto out;
	old = ed.old;
	/* versions increase through the file: the ones to drop come first */
	for (k = 0; k < old->nver && old->ver[k].version < below; k++)
		;
	if (k == old->nver) {
		rc = gmrk__err(err, GMRK_E_INVAL,
			       "key file '%s': dropping the versions below %u would drop its newest, %u",
			       path, below, old->ver[old->nver - 1].version);
		goto out;
	}
	if (!k)
		goto out;	/* nothing older: the file stays as it is */
	rc = gmrk_edit_alloc(&ed, ed.len, err);
	for (i = 0; !rc && pos < ed.len; i++) {
		struct gmrk_kf_entry e;
		size_t used;

		/* the entries parsed in gmrk_edit_begin: this only finds their ends */
		rc = gmrk__kf_parse(ed.buf + pos, ed.len - pos, &e, &used, path, err);
		gmrk__memzero(&e, sizeof(e));
		if (rc)
			break;
		if (i >= k) {
			memcpy(ed.out + ed.off, ed.buf + pos, used);
			ed.off += used;
		}
		pos += used;
	}
	if (!rc)
		rc = gmrk_edit_commit(ctx, path, &ed, k, old->nver - k, NULL, NULL, err);
	if (!rc)
		rc = k;
out:
	gmrk_edit_end(&ed);
	return rc;
}

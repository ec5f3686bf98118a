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
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "internal.h"
#include "keys/pincode.h"
#include "keys/sm2.h"
#include "keys/tpm.h"

#define GMRK_EK_FILE_MAX 4096

_Static_assert(GMRK_KF_WRAPPED_MAX == GMRK_SM2_WRAPPED_MAX,
	       "key file sm2 parameters must hold any wrapped secret");
_Static_assert(GMRK_TPM_KEY_LEN == 32, "the TPM key is used as a 32-byte EK");

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

static int gmrk_ek_file(struct gmrk_ek *ek, const char *path, gmrk_error *err)
{
	char *buf;
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return gmrk__err_sys(err, errno, "master key file '%s'", path);
	if (fstat(fd, &st)) {
		rc = gmrk__err_sys(err, errno, "master key file '%s'", path);
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return gmrk__err(err, GMRK_E_INVAL, "master key file '%s': not a regular file", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return gmrk__err(err, GMRK_E_PERM,
				 "master key file '%s' is accessible by group or others (mode %04o): chmod 600 it",
				 path, (unsigned int)(st.st_mode & 07777));
	}
	buf = malloc(GMRK_EK_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		return gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
	}
	while (len <= GMRK_EK_FILE_MAX) {
		n = read(fd, buf + len, GMRK_EK_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = gmrk__err_sys(err, errno, "master key file '%s'", path);
			goto out;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	if (len > GMRK_EK_FILE_MAX) {
		rc = gmrk__err(err, GMRK_E_INVAL, "master key file '%s': larger than %d bytes",
			       path, GMRK_EK_FILE_MAX);
		goto out;
	}
	/* one trailing newline is not part of the key */
	if (len && buf[len - 1] == '\n')
		len--;
	if (len && buf[len - 1] == '\r')
		len--;
	rc = gmrk__ek_classify(buf, len, ek);
	if (rc == -GMRK_E_INVAL)
		rc = gmrk__err(err, GMRK_E_INVAL, "master key file '%s' is empty", path);
	else if (rc)
		rc = gmrk__err(err, -rc, "%s", gmrk_strerror(rc));
	else
		snprintf(ek->source, sizeof(ek->source), "file '%.80s'", path);
out:
	gmrk__memzero(buf, GMRK_EK_FILE_MAX + 1);
	free(buf);
	close(fd);
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

		if (pub || priv)
			return gmrk_ek_sm2_load(ek, cfg, pub, priv, err);
		if (tpm)
			return gmrk_ek_tpm_load(ek, cfg, tpm, err);
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

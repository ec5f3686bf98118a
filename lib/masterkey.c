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

#define GMRK_EK_FILE_MAX 4096

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
	memset(ek, 0, sizeof(*ek));
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

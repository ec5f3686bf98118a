// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SM2 master key: key pairs, the pincode-encrypted private key file, and
 * wrapping asset keys. Everything cryptographic is OpenSSL 3 (EVP and its
 * PKCS#8/PBES2 code); this file only chooses parameters, checks inputs
 * and turns OpenSSL's failures into precise messages.
 *
 * Why PBES2 with scrypt and SM4-CBC: OpenSSL 3.0 has SM4-CBC as a PBES2
 * cipher, but no hmacWithSM3 PRF for PBKDF2, and scrypt is the stronger
 * password KDF of the two anyway (memory-hard). OpenSSL's PKCS#8 readers
 * cap scrypt at 32 MiB, so N = 2^14, r = 8; p = 4 makes a guess cost four
 * times more without more memory.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "keyio.h"
#include "pincode.h"
#include "sm2.h"

struct gmrk_sm2 {
	EVP_PKEY *pkey;
	bool priv;
	uint8_t pub[GMRK_SM2_PUBLIC_LEN];
};

static const char gmrk_sm2_wrong_pin[] =
	"sm2 private key: wrong pincode or corrupt key file";

static gmrk_sm2 *gmrk_sm2_wrap_pkey(EVP_PKEY *pkey, bool priv, gmrk_error *err)
{
	gmrk_sm2 *k;
	size_t len = 0;

	if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
					    NULL, 0, &len) != 1 ||
	    len != GMRK_SM2_PUBLIC_LEN) {
		gmrk_keys__err(err, GMRK_E_UNSUPPORTED, "sm2: cannot encode the public key");
		EVP_PKEY_free(pkey);
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		gmrk_keys__err(err, GMRK_E_NOMEM, "out of memory");
		EVP_PKEY_free(pkey);
		return NULL;
	}
	if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
					    k->pub, sizeof(k->pub), &len) != 1 ||
	    k->pub[0] != 0x04) {
		gmrk_keys__err(err, GMRK_E_UNSUPPORTED, "sm2: cannot encode the public key");
		EVP_PKEY_free(pkey);
		free(k);
		return NULL;
	}
	k->pkey = pkey;
	k->priv = priv;
	return k;
}

gmrk_sm2 *gmrk_sm2_generate(gmrk_error *err)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
	EVP_PKEY *pkey = NULL;

	gmrk_keys__err_clear(err);
	if (!c || EVP_PKEY_keygen_init(c) != 1 || EVP_PKEY_generate(c, &pkey) != 1) {
		EVP_PKEY_CTX_free(c);
		ERR_clear_error();
		gmrk_keys__err(err, GMRK_E_UNSUPPORTED,
			       "sm2: key generation failed (OpenSSL without SM2?)");
		return NULL;
	}
	EVP_PKEY_CTX_free(c);
	return gmrk_sm2_wrap_pkey(pkey, true, err);
}

static int gmrk_unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int gmrk_sm2_parse_hex(const char *hex, uint8_t pub[GMRK_SM2_PUBLIC_LEN],
			      gmrk_error *err)
{
	size_t i, n = hex ? strlen(hex) : 0;

	if (n != GMRK_SM2_PUBLIC_HEX_LEN)
		return gmrk_keys__err(err, GMRK_E_INVAL,
				      "sm2 public key: need %d hex digits (04||X||Y), got %zu",
				      GMRK_SM2_PUBLIC_HEX_LEN, n);
	for (i = 0; i < GMRK_SM2_PUBLIC_LEN; i++) {
		int hi = gmrk_unhex((unsigned char)hex[2 * i]);
		int lo = gmrk_unhex((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return gmrk_keys__err(err, GMRK_E_INVAL,
					      "sm2 public key: not a hex string");
		pub[i] = (uint8_t)(hi << 4 | lo);
	}
	if (pub[0] != 0x04)
		return gmrk_keys__err(err, GMRK_E_INVAL,
				      "sm2 public key: must start with 04 (uncompressed point)");
	return 0;
}

gmrk_sm2 *gmrk_sm2_from_public_hex(const char *hex, gmrk_error *err)
{
	uint8_t pub[GMRK_SM2_PUBLIC_LEN];

	gmrk_keys__err_clear(err);
	if (gmrk_sm2_parse_hex(hex, pub, err))
		return NULL;
	return gmrk_sm2_from_public(pub, err);
}

gmrk_sm2 *gmrk_sm2_from_public(const uint8_t pub[GMRK_SM2_PUBLIC_LEN],
			       gmrk_error *err)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *c = NULL, *check = NULL;
	EVP_PKEY *pkey = NULL;
	int ok;

	gmrk_keys__err_clear(err);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)"SM2", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub,
						      GMRK_SM2_PUBLIC_LEN);
	params[2] = OSSL_PARAM_construct_end();
	c = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
	ok = c && EVP_PKEY_fromdata_init(c) == 1 &&
	     EVP_PKEY_fromdata(c, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
	/* fromdata does not insist the point is on the curve; this does */
	if (ok) {
		check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		ok = check && EVP_PKEY_public_check(check) == 1;
	}
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(c);
	ERR_clear_error();
	if (!ok) {
		EVP_PKEY_free(pkey);
		gmrk_keys__err(err, GMRK_E_INVAL, "sm2 public key: not a point on the SM2 curve");
		return NULL;
	}
	return gmrk_sm2_wrap_pkey(pkey, false, err);
}

/* Refuse anything that is not PBES2: the old PBES1 schemes are weak. */
static bool gmrk_sm2_is_pbes2(const X509_SIG *sig)
{
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;

	X509_SIG_get0(sig, &alg, NULL);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	return OBJ_obj2nid(obj) == NID_pbes2;
}

gmrk_sm2 *gmrk_sm2_from_private_pem(const char *pem, size_t len,
				    const char *name, const char *pin,
				    size_t pinlen, gmrk_error *err)
{
	char *pemname = NULL, *header = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	long derlen = 0;
	X509_SIG *sig = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *pkey = NULL;
	gmrk_sm2 *k = NULL;
	BIO *bio;

	gmrk_keys__err_clear(err);
	if (!pin || !pinlen) {
		gmrk_keys__err(err, GMRK_E_NOKEY, "sm2 private key: no pincode (set %s)",
			       "GMRK_PINCODE");
		return NULL;
	}
	if (pinlen > 1024) {
		gmrk_keys__err(err, GMRK_E_INVAL, "sm2 private key: pincode too long");
		return NULL;
	}
	if (!len) {
		gmrk_keys__err(err, GMRK_E_TRUNCATED, "sm2 private key file '%s' is empty", name);
		return NULL;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio || len > GMRK_SM2_FILE_MAX ||
	    PEM_read_bio(bio, &pemname, &header, &der, &derlen) != 1) {
		gmrk_keys__err(err, GMRK_E_CORRUPT,
			       "sm2 private key file '%s': truncated or not a PEM private key",
			       name);
		goto out;
	}
	if (!strcmp(pemname, PEM_STRING_PKCS8INF) || !strcmp(pemname, "EC PRIVATE KEY")) {
		gmrk_keys__err(err, GMRK_E_UNSUPPORTED,
			       "sm2 private key file '%s': the key is not encrypted (gmrk needs a pincode-encrypted key)",
			       name);
		goto out;
	}
	if (strcmp(pemname, PEM_STRING_PKCS8)) {
		gmrk_keys__err(err, GMRK_E_CORRUPT,
			       "sm2 private key file '%s': a PEM '%.40s', not an ENCRYPTED PRIVATE KEY",
			       name, pemname);
		goto out;
	}
	p = der;
	sig = d2i_X509_SIG(NULL, &p, derlen);
	if (!sig || p != der + derlen) {
		gmrk_keys__err(err, GMRK_E_CORRUPT,
			       "sm2 private key file '%s': corrupt (not a PKCS#8 EncryptedPrivateKeyInfo)",
			       name);
		goto out;
	}
	if (!gmrk_sm2_is_pbes2(sig)) {
		gmrk_keys__err(err, GMRK_E_UNSUPPORTED,
			       "sm2 private key file '%s': encrypted with a legacy scheme (PBES2 required)",
			       name);
		goto out;
	}
	/*
	 * A wrong pincode and a damaged ciphertext look the same here: the
	 * CBC padding or the DER inside is wrong. Say both.
	 */
	p8 = PKCS8_decrypt(sig, pin, (int)pinlen);
	if (!p8) {
		gmrk_keys__err(err, GMRK_E_WRONG_KEY, "%s", gmrk_sm2_wrong_pin);
		goto out;
	}
	pkey = EVP_PKCS82PKEY(p8);
	if (!pkey) {
		gmrk_keys__err(err, GMRK_E_WRONG_KEY, "%s", gmrk_sm2_wrong_pin);
		goto out;
	}
	if (!EVP_PKEY_is_a(pkey, "SM2")) {
		gmrk_keys__err(err, GMRK_E_UNSUPPORTED,
			       "sm2 private key file '%s': not an SM2 key (%s)", name,
			       EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "?");
		EVP_PKEY_free(pkey);
		goto out;
	}
	k = gmrk_sm2_wrap_pkey(pkey, true, err);
out:
	ERR_clear_error();
	PKCS8_PRIV_KEY_INFO_free(p8);
	X509_SIG_free(sig);
	if (der) {
		gmrk_keys__memzero(der, (size_t)derlen);
		OPENSSL_free(der);
	}
	OPENSSL_free(pemname);
	OPENSSL_free(header);
	BIO_free(bio);
	return k;
}

gmrk_sm2 *gmrk_sm2_load_private(const char *path, const char *pin,
				size_t pinlen, gmrk_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	gmrk_sm2 *k;

	gmrk_keys__err_clear(err);
	if (gmrk_keys__read_file(path, GMRK_SM2_FILE_MAX, "sm2 private key file",
				 &buf, &len, err))
		return NULL;
	k = gmrk_sm2_from_private_pem((const char *)buf, len, path, pin, pinlen, err);
	gmrk_keys__memzero(buf, len);
	free(buf);
	return k;
}

gmrk_sm2 *gmrk_sm2_open_master(const char *public_hex, const char *private_path,
			       const char *pin, size_t pinlen, const char *pin_env,
			       gmrk_error *err)
{
	struct gmrk_pincode envpin = { NULL, 0 };
	gmrk_sm2 *k;

	gmrk_keys__err_clear(err);
	if (!private_path) {
		if (!public_hex) {
			gmrk_keys__err(err, GMRK_E_NOKEY,
				       "sm2 master key: neither a public key nor a private key file configured");
			return NULL;
		}
		return gmrk_sm2_from_public_hex(public_hex, err);
	}
	if (!pin) {
		if (gmrk_pincode_from_env(pin_env, &envpin, err))
			return NULL;
		pin = envpin.buf;
		pinlen = envpin.len;
	}
	k = gmrk_sm2_load_private(private_path, pin, pinlen, err);
	gmrk_pincode_clear(&envpin);
	if (k && public_hex && gmrk_sm2_check_public(k, public_hex, err)) {
		gmrk_sm2_free(k);
		return NULL;
	}
	return k;
}

void gmrk_sm2_free(gmrk_sm2 *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);	/* OpenSSL clears the private scalar */
	gmrk_keys__memzero(k, sizeof(*k));
	free(k);
}

bool gmrk_sm2_has_private(const gmrk_sm2 *k)
{
	return k && k->priv;
}

int gmrk_sm2_public_hex(const gmrk_sm2 *k, char hex[GMRK_SM2_PUBLIC_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (!k || !hex)
		return -GMRK_E_INVAL;
	for (i = 0; i < GMRK_SM2_PUBLIC_LEN; i++) {
		hex[2 * i] = digits[k->pub[i] >> 4];
		hex[2 * i + 1] = digits[k->pub[i] & 15];
	}
	hex[GMRK_SM2_PUBLIC_HEX_LEN] = '\0';
	return 0;
}

int gmrk_sm2_check_public(const gmrk_sm2 *k, const char *hex, gmrk_error *err)
{
	uint8_t pub[GMRK_SM2_PUBLIC_LEN];
	int rc;

	gmrk_keys__err_clear(err);
	if (!k)
		return gmrk_keys__err(err, GMRK_E_INVAL, "sm2: no key");
	rc = gmrk_sm2_parse_hex(hex, pub, err);
	if (rc)
		return rc;
	if (memcmp(pub, k->pub, sizeof(pub)))
		return gmrk_keys__err(err, GMRK_E_WRONG_KEY,
				      "sm2 private key does not match the configured public key");
	return 0;
}

int gmrk_sm2_private_pem(const gmrk_sm2 *k, const char *pin, size_t pinlen,
			 unsigned int log2n, char **pem, size_t *pemlen,
			 gmrk_error *err)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	X509_ALGOR *alg = NULL;
	X509_SIG *sig = NULL;
	BIO *bio = NULL;
	char *data;
	long n;
	int rc;

	gmrk_keys__err_clear(err);
	*pem = NULL;
	*pemlen = 0;
	if (!k || !k->priv)
		return gmrk_keys__err(err, GMRK_E_INVAL, "sm2: no private key to export");
	if (!pin || !pinlen)
		return gmrk_keys__err(err, GMRK_E_INVAL, "sm2: empty pincode");
	if (pinlen > 1024)
		return gmrk_keys__err(err, GMRK_E_INVAL, "sm2: pincode too long");
	if (!log2n)
		log2n = GMRK_SM2_SCRYPT_LOG2N;
	if (log2n < 10 || log2n > 14)
		return gmrk_keys__err(err, GMRK_E_INVAL,
				      "sm2: scrypt cost 2^%u out of range (2^10..2^14)", log2n);
	p8 = EVP_PKEY2PKCS8(k->pkey);
	/* NULL salt and IV: OpenSSL draws 16 random bytes of each */
	alg = p8 ? PKCS5_pbe2_set_scrypt(EVP_sm4_cbc(), NULL, 16, NULL,
					 (uint64_t)1 << log2n, GMRK_SM2_SCRYPT_R,
					 GMRK_SM2_SCRYPT_P) : NULL;
	sig = alg ? PKCS8_set0_pbe(pin, (int)pinlen, p8, alg) : NULL;
	if (!sig) {
		X509_ALGOR_free(alg);
		rc = gmrk_keys__err(err, GMRK_E_UNSUPPORTED,
				    "sm2: cannot encrypt the private key (PBES2 scrypt SM4-CBC)");
		goto out;
	}
	bio = BIO_new(BIO_s_secmem());
	if (!bio || PEM_write_bio_PKCS8(bio, sig) != 1) {
		rc = gmrk_keys__err(err, GMRK_E_NOMEM, "sm2: cannot encode the private key");
		goto out;
	}
	n = BIO_get_mem_data(bio, &data);
	*pem = malloc((size_t)n + 1);
	if (!*pem) {
		rc = gmrk_keys__err(err, GMRK_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*pem, data, (size_t)n);
	(*pem)[n] = '\0';
	*pemlen = (size_t)n;
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(bio);
	X509_SIG_free(sig);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return rc;
}

void gmrk_sm2_pem_free(char *pem, size_t pemlen)
{
	if (pem) {
		gmrk_keys__memzero(pem, pemlen);
		free(pem);
	}
}

int gmrk_sm2_write_private(const gmrk_sm2 *k, const char *path,
			   const char *pin, size_t pinlen, unsigned int log2n,
			   gmrk_error *err)
{
	char *pem;
	size_t len;
	int rc;

	rc = gmrk_sm2_private_pem(k, pin, pinlen, log2n, &pem, &len, err);
	if (rc)
		return rc;
	rc = gmrk_keys__write_new(path, pem, len, "sm2 private key file", err);
	gmrk_sm2_pem_free(pem, len);
	return rc;
}

int gmrk_sm2_wrap(const gmrk_sm2 *k, const uint8_t *key, size_t keylen,
		  uint8_t *out, size_t cap, size_t *outlen, gmrk_error *err)
{
	EVP_PKEY_CTX *c;
	size_t need = 0;
	int rc = 0;

	gmrk_keys__err_clear(err);
	*outlen = 0;
	if (!k || !key || !keylen || keylen > GMRK_SM2_PLAIN_MAX)
		return gmrk_keys__err(err, GMRK_E_INVAL, "sm2 wrap: need a 1 to %d byte key",
				      GMRK_SM2_PLAIN_MAX);
	c = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (!c || EVP_PKEY_encrypt_init(c) != 1 ||
	    EVP_PKEY_encrypt(c, NULL, &need, key, keylen) != 1) {
		rc = gmrk_keys__err(err, GMRK_E_UNSUPPORTED, "sm2 wrap: SM2 encryption unavailable");
		goto out;
	}
	if (cap < need) {
		rc = gmrk_keys__err(err, GMRK_E_SPACE, "sm2 wrap: output buffer too small");
		goto out;
	}
	*outlen = cap;
	if (EVP_PKEY_encrypt(c, out, outlen, key, keylen) != 1) {
		*outlen = 0;
		rc = gmrk_keys__err(err, GMRK_E_UNSUPPORTED, "sm2 wrap: SM2 encryption failed");
	}
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(c);
	return rc;
}

int gmrk_sm2_unwrap(const gmrk_sm2 *k, const uint8_t *in, size_t len,
		    uint8_t *key, size_t cap, size_t *keylen, gmrk_error *err)
{
	uint8_t buf[GMRK_SM2_WRAPPED_MAX];
	size_t n = sizeof(buf);
	EVP_PKEY_CTX *c;
	int rc = 0;

	gmrk_keys__err_clear(err);
	*keylen = 0;
	if (key && cap)
		memset(key, 0, cap);
	if (!k || !in || !key)
		return gmrk_keys__err(err, GMRK_E_INVAL, "sm2 unwrap: invalid argument");
	if (!k->priv)
		return gmrk_keys__err(err, GMRK_E_NOKEY,
				      "sm2 unwrap: no private key (only the public key is loaded)");
	if (!len || len > GMRK_SM2_WRAPPED_MAX)
		return gmrk_keys__err(err, GMRK_E_CORRUPT,
				      "sm2 unwrap: a wrapped key is 1 to %d bytes, not %zu",
				      GMRK_SM2_WRAPPED_MAX, len);
	c = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (!c || EVP_PKEY_decrypt_init(c) != 1) {
		rc = gmrk_keys__err(err, GMRK_E_UNSUPPORTED, "sm2 unwrap: SM2 decryption unavailable");
		goto out;
	}
	/* C3 = SM3(x2 || M || y2) is checked inside: wrong key or damage fail here */
	if (EVP_PKEY_decrypt(c, buf, &n, in, len) != 1) {
		rc = gmrk_keys__err(err, GMRK_E_WRONG_KEY,
				    "sm2 unwrap: wrapped for another key, or corrupt");
		goto out;
	}
	if (n > cap) {
		rc = gmrk_keys__err(err, GMRK_E_SPACE, "sm2 unwrap: output buffer too small");
		goto out;
	}
	memcpy(key, buf, n);
	*keylen = n;
out:
	gmrk_keys__memzero(buf, sizeof(buf));
	ERR_clear_error();
	EVP_PKEY_CTX_free(c);
	return rc;
}

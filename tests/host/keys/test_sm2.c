// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SM2 master key (lib/keys/sm2.c): key pairs and the 04||X||Y hex form,
 * the pincode-encrypted private key file (mode 0600, never overwritten,
 * readable by OpenSSL's own PKCS#8 reader), wrapping and unwrapping asset
 * keys, wrong pincodes, and every truncation and many corruptions of a
 * key file, each with its precise message and the file left as it was.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "sm2.h"
#include "th_keys.h"

#define PIN	"246810"
#define FAST	10	/* scrypt 2^10 where the cost is not what is tested */

static const char wrong_pin[] = "sm2 private key: wrong pincode or corrupt key file";

static gmrk_sm2 *gen(void)
{
	gmrk_error err;
	gmrk_sm2 *k = gmrk_sm2_generate(&err);

	assert_non_null(k);
	return k;
}

/* a private key file with PIN in a fresh directory; its path */
static char *keyfile(const char *dirname, gmrk_sm2 *k, unsigned int log2n)
{
	char *dir = tk_dir(dirname), *path = tk_join(dir, "master.pem");
	gmrk_error err;

	assert_int_equal(gmrk_sm2_write_private(k, path, PIN, strlen(PIN), log2n, &err), 0);
	free(dir);
	return path;
}

static void test_generate_public_hex(void **s)
{
	char h1[GMRK_SM2_PUBLIC_HEX_LEN + 1], h2[GMRK_SM2_PUBLIC_HEX_LEN + 1];
	gmrk_sm2 *a = gen(), *b = gen(), *pub;
	gmrk_error err;
	size_t i;

	(void)s;
	assert_int_equal(gmrk_sm2_public_hex(a, h1), 0);
	assert_int_equal(strlen(h1), 130);
	assert_memory_equal(h1, "04", 2);
	for (i = 0; i < 130; i++)
		assert_true(isxdigit((unsigned char)h1[i]) && !isupper((unsigned char)h1[i]));
	assert_true(gmrk_sm2_has_private(a));
	gmrk_sm2_public_hex(b, h2);
	assert_string_not_equal(h1, h2);
	/* the hex form is the key: reading it back gives the same point */
	pub = gmrk_sm2_from_public_hex(h1, &err);
	assert_non_null(pub);
	assert_false(gmrk_sm2_has_private(pub));
	gmrk_sm2_public_hex(pub, h2);
	assert_string_equal(h1, h2);
	for (i = 0; i < 130; i++)
		h1[i] = (char)toupper((unsigned char)h1[i]);
	assert_int_equal(gmrk_sm2_check_public(a, h1, &err), 0);
	gmrk_sm2_free(pub);
	gmrk_sm2_free(a);
	gmrk_sm2_free(b);
}

static void test_public_hex_invalid(void **s)
{
	char h[GMRK_SM2_PUBLIC_HEX_LEN + 1], bad[GMRK_SM2_PUBLIC_HEX_LEN + 1];
	gmrk_sm2 *k = gen();
	gmrk_error err;

	(void)s;
	gmrk_sm2_public_hex(k, h);
	assert_null(gmrk_sm2_from_public_hex(h + 2, &err));
	tk_assert_msg(&err, GMRK_E_INVAL,
		      "sm2 public key: need 130 hex digits (04||X||Y), got 128");
	memcpy(bad, h, sizeof(bad));
	bad[77] = 'g';
	assert_null(gmrk_sm2_from_public_hex(bad, &err));
	tk_assert_msg(&err, GMRK_E_INVAL, "sm2 public key: not a hex string");
	memcpy(bad, h, sizeof(bad));
	bad[1] = '2';
	assert_null(gmrk_sm2_from_public_hex(bad, &err));
	tk_assert_msg(&err, GMRK_E_INVAL,
		      "sm2 public key: must start with 04 (uncompressed point)");
	/* Y changed: no longer on the curve */
	memcpy(bad, h, sizeof(bad));
	bad[129] = bad[129] == '0' ? '1' : '0';
	assert_null(gmrk_sm2_from_public_hex(bad, &err));
	tk_assert_msg(&err, GMRK_E_INVAL, "sm2 public key: not a point on the SM2 curve");
	assert_null(gmrk_sm2_from_public_hex(NULL, &err));
	assert_int_equal(err.code, GMRK_E_INVAL);
	/* a key whose public part is not the configured one */
	memcpy(bad, h, sizeof(bad));
	gmrk_sm2_free(k);
	k = gen();
	assert_int_equal(gmrk_sm2_check_public(k, bad, &err), -GMRK_E_WRONG_KEY);
	tk_assert_msg(&err, GMRK_E_WRONG_KEY,
		      "sm2 private key does not match the configured public key");
	gmrk_sm2_free(k);
}

static void test_private_file(void **s)
{
	char h1[GMRK_SM2_PUBLIC_HEX_LEN + 1], h2[GMRK_SM2_PUBLIC_HEX_LEN + 1];
	gmrk_sm2 *k = gen(), *other = gen(), *back;
	char *path = keyfile("private", k, FAST), *dir;
	static const char head[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n";
	uint8_t *before, *after;
	size_t blen, alen;
	gmrk_error err;
	struct stat st;

	(void)s;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	dir = strdup(path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(tk_count(dir), 1);	/* no temporary file left */
	before = tk_slurp(path, &blen);
	assert_true(blen > sizeof(head));
	assert_memory_equal(before, head, sizeof(head) - 1);
	/* never overwritten, not even by a valid key */
	assert_int_equal(gmrk_sm2_write_private(other, path, PIN, strlen(PIN), FAST, &err),
			 -GMRK_E_EXISTS);
	tk_assert_msg(&err, GMRK_E_EXISTS, "sm2 private key file '%s' already exists", path);
	after = tk_slurp(path, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	assert_int_equal(tk_count(dir), 1);
	back = gmrk_sm2_load_private(path, PIN, strlen(PIN), &err);
	assert_non_null(back);
	assert_true(gmrk_sm2_has_private(back));
	gmrk_sm2_public_hex(k, h1);
	gmrk_sm2_public_hex(back, h2);
	assert_string_equal(h1, h2);
	assert_int_equal(gmrk_sm2_check_public(back, h1, &err), 0);
	gmrk_sm2_free(back);
	free(before);
	free(after);
	free(dir);
	free(path);
	gmrk_sm2_free(k);
	gmrk_sm2_free(other);
}

/* the file is a standard PKCS#8 PBES2 (scrypt, SM4-CBC) key at the default cost */
static void test_private_file_standard(void **s)
{
	gmrk_sm2 *k = gen(), *back;
	char *path = keyfile("standard", k, 0);
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;
	EVP_PKEY *pkey;
	X509_SIG *sig;
	gmrk_error err;
	FILE *f;

	(void)s;
	f = fopen(path, "r");
	assert_non_null(f);
	sig = PEM_read_PKCS8(f, NULL, NULL, NULL);
	assert_non_null(sig);
	X509_SIG_get0(sig, &alg, NULL);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	assert_int_equal(OBJ_obj2nid(obj), NID_pbes2);
	X509_SIG_free(sig);
	rewind(f);
	/* OpenSSL's generic reader, passphrase through its callback argument */
	pkey = PEM_read_PrivateKey(f, NULL, NULL, (void *)PIN);
	fclose(f);
	assert_non_null(pkey);
	assert_true(EVP_PKEY_is_a(pkey, "SM2"));
	EVP_PKEY_free(pkey);
	back = gmrk_sm2_load_private(path, PIN, strlen(PIN), &err);
	assert_non_null(back);
	gmrk_sm2_free(back);
	assert_int_equal(gmrk_sm2_private_pem(k, PIN, strlen(PIN), 15, &(char *){ NULL },
					      &(size_t){ 0 }, &err), -GMRK_E_INVAL);
	tk_assert_msg(&err, GMRK_E_INVAL, "sm2: scrypt cost 2^15 out of range (2^10..2^14)");
	assert_int_equal(gmrk_sm2_private_pem(k, "", 0, 0, &(char *){ NULL },
					      &(size_t){ 0 }, &err), -GMRK_E_INVAL);
	tk_assert_msg(&err, GMRK_E_INVAL, "sm2: empty pincode");
	free(path);
	gmrk_sm2_free(k);
}

static void test_wrap_unwrap(void **s)
{
	uint8_t aek[32], w1[GMRK_SM2_WRAPPED_MAX], w2[GMRK_SM2_WRAPPED_MAX], out[64];
	char hex[GMRK_SM2_PUBLIC_HEX_LEN + 1];
	gmrk_sm2 *k = gen(), *pub, *priv, *other = gen();
	char *path = keyfile("wrap", k, FAST);
	size_t l1, l2, n;
	gmrk_error err;
	int i;

	(void)s;
	for (i = 0; i < 32; i++)
		aek[i] = (uint8_t)(i * 7 + 1);
	/* writers need only the public key from the configuration */
	gmrk_sm2_public_hex(k, hex);
	pub = gmrk_sm2_from_public_hex(hex, &err);
	assert_non_null(pub);
	assert_int_equal(gmrk_sm2_wrap(pub, aek, sizeof(aek), w1, sizeof(w1), &l1, &err), 0);
	assert_int_equal(gmrk_sm2_wrap(pub, aek, sizeof(aek), w2, sizeof(w2), &l2, &err), 0);
	assert_true(l1 > 32 + 64 + 32 && l1 <= GMRK_SM2_WRAPPED_MAX);
	/* randomized: the same key never wraps to the same bytes */
	assert_true(l1 != l2 || memcmp(w1, w2, l1));
	assert_int_equal(gmrk_sm2_unwrap(pub, w1, l1, out, sizeof(out), &n, &err),
			 -GMRK_E_NOKEY);
	tk_assert_msg(&err, GMRK_E_NOKEY,
		      "sm2 unwrap: no private key (only the public key is loaded)");
	priv = gmrk_sm2_load_private(path, PIN, strlen(PIN), &err);
	assert_non_null(priv);
	assert_int_equal(gmrk_sm2_unwrap(priv, w1, l1, out, sizeof(out), &n, &err), 0);
	assert_int_equal(n, 32);
	assert_memory_equal(out, aek, 32);
	assert_int_equal(gmrk_sm2_unwrap(priv, w2, l2, out, sizeof(out), &n, &err), 0);
	assert_memory_equal(out, aek, 32);
	/* another private key: refused, nothing left in the output */
	assert_int_equal(gmrk_sm2_unwrap(other, w1, l1, out, sizeof(out), &n, &err),
			 -GMRK_E_WRONG_KEY);
	tk_assert_msg(&err, GMRK_E_WRONG_KEY, "sm2 unwrap: wrapped for another key, or corrupt");
	assert_int_equal(n, 0);
	for (i = 0; i < 32; i++)
		assert_int_equal(out[i], 0);
	/* every single-bit flip of the wrapped key is caught */
	for (i = 0; i < (int)l1 * 8; i += 3) {
		w1[i / 8] ^= (uint8_t)(1u << (i % 8));
		assert_int_equal(gmrk_sm2_unwrap(priv, w1, l1, out, sizeof(out), &n, &err),
				 -GMRK_E_WRONG_KEY);
		w1[i / 8] ^= (uint8_t)(1u << (i % 8));
	}
	/* and every truncation */
	for (i = 1; i < (int)l1; i++)
		assert_int_equal(gmrk_sm2_unwrap(priv, w1, (size_t)i, out, sizeof(out), &n, &err),
				 -GMRK_E_WRONG_KEY);
	assert_int_equal(gmrk_sm2_unwrap(priv, w1, 0, out, sizeof(out), &n, &err),
			 -GMRK_E_CORRUPT);
	/* sizes */
	assert_int_equal(gmrk_sm2_unwrap(priv, w1, l1, out, 16, &n, &err), -GMRK_E_SPACE);
	assert_int_equal(gmrk_sm2_wrap(pub, aek, 0, w1, sizeof(w1), &l1, &err), -GMRK_E_INVAL);
	assert_int_equal(gmrk_sm2_wrap(pub, aek, sizeof(aek), w1, 40, &l1, &err),
			 -GMRK_E_SPACE);
	gmrk_sm2_free(pub);
	gmrk_sm2_free(priv);
	gmrk_sm2_free(other);
	gmrk_sm2_free(k);
	free(path);
}

static void test_wrong_pincode(void **s)
{
	gmrk_sm2 *k = gen(), *k2;
	char *path = keyfile("wrongpin", k, FAST);
	static const char *const pins[] = { "246811", "24681", "2468100", "x" };
	uint8_t *before, *after;
	size_t blen, alen, i;
	gmrk_error err;

	(void)s;
	before = tk_slurp(path, &blen);
	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		assert_null(gmrk_sm2_load_private(path, pins[i], strlen(pins[i]), &err));
		tk_assert_msg(&err, GMRK_E_WRONG_KEY, "%s", wrong_pin);
	}
	assert_null(gmrk_sm2_load_private(path, "", 0, &err));
	tk_assert_msg(&err, GMRK_E_NOKEY, "sm2 private key: no pincode (set GMRK_PINCODE)");
	after = tk_slurp(path, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	/* the right one still works afterwards */
	k2 = gmrk_sm2_load_private(path, PIN, strlen(PIN), &err);
	assert_non_null(k2);
	gmrk_sm2_free(k2);
	free(before);
	free(after);
	free(path);
	gmrk_sm2_free(k);
}

static void test_truncated(void **s)
{
	gmrk_sm2 *k = gen(), *back;
	char *path = keyfile("truncated", k, FAST), *cut;
	uint8_t *buf;
	size_t len, n;
	gmrk_error err;

	(void)s;
	buf = tk_slurp(path, &len);
	cut = tk_sibling(path, "cut.pem");
	/* every length short of the END line's final newline */
	for (n = 0; n + 1 < len; n++) {
		unlink(cut);
		tk_spit(cut, buf, n, 0600);
		assert_null(gmrk_sm2_load_private(cut, PIN, strlen(PIN), &err));
		if (!n)
			tk_assert_msg(&err, GMRK_E_TRUNCATED, "sm2 private key file '%s' is empty", cut);
		else
			tk_assert_msg(&err, GMRK_E_CORRUPT,
				      "sm2 private key file '%s': truncated or not a PEM private key",
				      cut);
	}
	/* the original was never touched */
	back = gmrk_sm2_load_private(path, PIN, strlen(PIN), &err);
	assert_non_null(back);
	gmrk_sm2_free(back);
	free(buf);
	free(cut);
	free(path);
	gmrk_sm2_free(k);
}

static bool is_b64(int c)
{
	return isalnum(c) || c == '+' || c == '/';
}

/*
 * A replaced base64 digit anywhere in the body: refused with one of the
 * documented messages, or (a change OpenSSL's DER reader tolerates, e.g.
 * in the PKCS#8 version) the very same key. Never another key.
 */
static void test_corrupt(void **s)
{
	char h1[GMRK_SM2_PUBLIC_HEX_LEN + 1], h2[GMRK_SM2_PUBLIC_HEX_LEN + 1], m[300];
	gmrk_sm2 *k = gen(), *back;
	char *path = keyfile("corrupt", k, FAST), *bad;
	size_t len, i, body, tried = 0, refused = 0;
	uint8_t *buf;
	gmrk_error err;

	(void)s;
	gmrk_sm2_public_hex(k, h1);
	buf = tk_slurp(path, &len);
	bad = tk_sibling(path, "bad.pem");
	body = strlen("-----BEGIN ENCRYPTED PRIVATE KEY-----\n");
	for (i = body; i < len && buf[i] != '-'; i++) {
		uint8_t c = buf[i];

		if (!is_b64(c))
			continue;
		buf[i] = c == 'A' ? 'B' : 'A';
		unlink(bad);
		tk_spit(bad, buf, len, 0600);
		buf[i] = c;
		tried++;
		back = gmrk_sm2_load_private(bad, PIN, strlen(PIN), &err);
		if (back) {
			gmrk_sm2_public_hex(back, h2);
			assert_string_equal(h1, h2);
			gmrk_sm2_free(back);
			continue;
		}
		refused++;
		snprintf(m, sizeof(m), "sm2 private key file '%s': ", bad);
		if (!strcmp(err.message, wrong_pin))
			assert_int_equal(err.code, GMRK_E_WRONG_KEY);
		else if (strncmp(err.message, m, strlen(m)))
			fail_msg("unexpected message: %s", err.message);
		else
			assert_true(err.code == GMRK_E_CORRUPT || err.code == GMRK_E_UNSUPPORTED);
	}
	assert_true(tried > 200);
	assert_true(refused * 10 > tried * 9);
	free(buf);
	free(bad);
	free(path);
	gmrk_sm2_free(k);
}

static void test_wrong_files(void **s)
{
	char *dir = tk_dir("wrongfiles"), *path;
	gmrk_sm2 *k = gen();
	EVP_PKEY_CTX *c;
	EVP_PKEY *ec = NULL;
	gmrk_error err;
	char *pem;
	size_t len;
	FILE *f;

	(void)s;
	path = tk_join(dir, "missing.pem");
	assert_null(gmrk_sm2_load_private(path, PIN, strlen(PIN), &err));
	tk_assert_msg(&err, GMRK_E_NOENT, "sm2 private key file '%s' does not exist", path);
	free(path);
	/* readable by others: refused before reading it */
	path = tk_join(dir, "open.pem");
	assert_int_equal(gmrk_sm2_private_pem(k, PIN, strlen(PIN), FAST, &pem, &len, &err), 0);
	tk_spit(path, pem, len, 0644);
	assert_null(gmrk_sm2_load_private(path, PIN, strlen(PIN), &err));
	tk_assert_msg(&err, GMRK_E_PERM,
		      "sm2 private key file '%s' is accessible by group or others (mode 0644): chmod 600 it",
		      path);
	gmrk_sm2_pem_free(pem, len);
	free(path);
	/* not PEM at all */
	path = tk_join(dir, "garbage.pem");
	tk_spit(path, "hello world\n", 12, 0600);
	assert_null(gmrk_sm2_load_private(path, PIN, strlen(PIN), &err));
	tk_assert_msg(&err, GMRK_E_CORRUPT,
		      "sm2 private key file '%s': truncated or not a PEM private key", path);
	free(path);
	/* unencrypted PKCS#8 */
	c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	assert_non_null(c);
	assert_int_equal(EVP_PKEY_keygen_init(c), 1);
	assert_int_equal(EVP_PKEY_CTX_set_group_name(c, "P-256"), 1);
	assert_int_equal(EVP_PKEY_generate(c, &ec), 1);
	EVP_PKEY_CTX_free(c);
	path = tk_join(dir, "plain.pem");
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PKCS8PrivateKey(f, ec, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	chmod(path, 0600);
	assert_null(gmrk_sm2_load_private(path, PIN, strlen(PIN), &err));
	tk_assert_msg(&err, GMRK_E_UNSUPPORTED,
		      "sm2 private key file '%s': the key is not encrypted (gmrk needs a pincode-encrypted key)",
		      path);
	free(path);
	/* encrypted, but a P-256 key */
	path = tk_join(dir, "p256.pem");
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PKCS8PrivateKey(f, ec, EVP_aes_256_cbc(), NULL, 0, NULL,
						   (void *)PIN), 1);
	fclose(f);
	chmod(path, 0600);
	assert_null(gmrk_sm2_load_private(path, PIN, strlen(PIN), &err));
	tk_assert_msg(&err, GMRK_E_UNSUPPORTED, "sm2 private key file '%s': not an SM2 key (EC)",
		      path);
	free(path);
	/* PBES1 (PKCS#12 3DES): legacy, refused */
	path = tk_join(dir, "pbes1.pem");
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PKCS8PrivateKey_nid(f, ec, NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
						       NULL, 0, NULL, (void *)PIN), 1);
	fclose(f);
	chmod(path, 0600);
	assert_null(gmrk_sm2_load_private(path, PIN, strlen(PIN), &err));
	tk_assert_msg(&err, GMRK_E_UNSUPPORTED,
		      "sm2 private key file '%s': encrypted with a legacy scheme (PBES2 required)",
		      path);
	free(path);
	EVP_PKEY_free(ec);
	gmrk_sm2_free(k);
	free(dir);
}

static void test_open_master(void **s)
{
	char hex[GMRK_SM2_PUBLIC_HEX_LEN + 1], other[GMRK_SM2_PUBLIC_HEX_LEN + 1];
	gmrk_sm2 *k = gen(), *o = gen(), *m;
	char *path = keyfile("master", k, FAST);
	gmrk_error err;

	(void)s;
	gmrk_sm2_public_hex(k, hex);
	gmrk_sm2_public_hex(o, other);
	/* writers: the public key alone */
	m = gmrk_sm2_open_master(hex, NULL, NULL, 0, NULL, &err);
	assert_non_null(m);
	assert_false(gmrk_sm2_has_private(m));
	gmrk_sm2_free(m);
	/* readers: the pincode from GMRK_PINCODE, which is gone afterwards */
	assert_int_equal(setenv("GMRK_PINCODE", PIN, 1), 0);
	m = gmrk_sm2_open_master(hex, path, NULL, 0, NULL, &err);
	assert_non_null(m);
	assert_true(gmrk_sm2_has_private(m));
	assert_null(getenv("GMRK_PINCODE"));
	gmrk_sm2_free(m);
	assert_null(gmrk_sm2_open_master(hex, path, NULL, 0, NULL, &err));
	tk_assert_msg(&err, GMRK_E_NOKEY,
		      "no pincode: environment variable GMRK_PINCODE is not set");
	/* a wrong pincode in the environment is cleared too */
	assert_int_equal(setenv("FCTSDB_PINCODE", "nope", 1), 0);
	assert_null(gmrk_sm2_open_master(hex, path, NULL, 0, "FCTSDB_PINCODE", &err));
	tk_assert_msg(&err, GMRK_E_WRONG_KEY, "%s", wrong_pin);
	assert_null(getenv("FCTSDB_PINCODE"));
	/* the private key file must belong to the configured public key */
	assert_null(gmrk_sm2_open_master(other, path, PIN, strlen(PIN), NULL, &err));
	tk_assert_msg(&err, GMRK_E_WRONG_KEY,
		      "sm2 private key does not match the configured public key");
	m = gmrk_sm2_open_master(NULL, path, PIN, strlen(PIN), NULL, &err);
	assert_non_null(m);
	gmrk_sm2_free(m);
	assert_null(gmrk_sm2_open_master(NULL, NULL, NULL, 0, NULL, &err));
	tk_assert_msg(&err, GMRK_E_NOKEY,
		      "sm2 master key: neither a public key nor a private key file configured");
	free(path);
	gmrk_sm2_free(k);
	gmrk_sm2_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_public_hex),
		cmocka_unit_test(test_public_hex_invalid),
		cmocka_unit_test(test_private_file),
		cmocka_unit_test(test_private_file_standard),
		cmocka_unit_test(test_wrap_unwrap),
		cmocka_unit_test(test_wrong_pincode),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_wrong_files),
		cmocka_unit_test(test_open_master),
	};

	return TK_RUN("sm2", tests);
}

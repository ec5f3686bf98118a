// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * TPM-sealed master key (lib/keys/tpm.c) against a real TPM 2.0
 * implementation: swtpm, started here on a free 127.0.0.1 port pair and
 * stopped at the end. keys_file created and sealed when missing,
 * unsealed again from the file, a wrong encryption_password or
 * srk_password, dictionary-attack lockout, an extended PCR, every
 * truncation and byte flip of keys_file and forged blobs, each with its
 * precise message and keys_file left as it was. Without swtpm the TPM
 * tests are skipped with the reason; the configuration tests still run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "th_keys.h"
#include "tpm.h"

static struct tk_swtpm tpm;

static void cfg_for(struct gmrk_tpm_config *c, const char *path, const char *pw)
{
	gmrk_tpm_config_init(c);
	c->keys_file = path;
	c->encryption_password = pw;
	c->tcti = tpm.tcti;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

/* a new keys_file in a fresh directory; its path and its key in @k */
static char *sealed(const char *name, const char *pw, struct gmrk_tpm_key *k)
{
	char *dir = tk_dir(name), *path = tk_join(dir, "keys");
	struct gmrk_tpm_config c;
	gmrk_error err;

	cfg_for(&c, path, pw);
	assert_int_equal(gmrk_tpm_load_or_create(&c, k, &err), 0);
	assert_int_equal(k->created, 1);
	free(dir);
	return path;
}

static void test_create_when_missing(void **s)
{
	char *dir = tk_dir("create"), *path = tk_join(dir, "keys");
	struct gmrk_tpm_config c;
	struct gmrk_tpm_key k;
	gmrk_error err;
	struct stat st;
	uint8_t *buf;
	size_t len;

	(void)s;
	cfg_for(&c, path, "pwd");
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k, &err), 0);
	assert_int_equal(k.created, 1);
	assert_int_equal(k.pcr, 22);
	assert_int_equal(k.cipher, GMRK_CIPHER_CHACHA20_POLY1305);
	assert_int_equal(k.sealed_cipher, GMRK_CIPHER_CHACHA20_POLY1305);
	assert_false(all_zero(k.key, sizeof(k.key)));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(tk_count(dir), 1);	/* no temporary file left */
	buf = tk_slurp(path, &len);
	assert_memory_equal(buf, "\x89GMRKTPM\x01\x16\x00\x0b", 12);
	assert_int_equal(buf[12], strlen("chacha20-poly1305"));
	assert_memory_equal(buf + 13, "chacha20-poly1305", buf[12]);
	/* the key itself is nowhere in the file */
	for (size_t i = 0; i + sizeof(k.key) <= len; i++)
		assert_memory_not_equal(buf + i, k.key, sizeof(k.key));
	free(buf);
	gmrk_tpm_key_clear(&k);
	assert_true(all_zero((uint8_t *)&k, sizeof(k)));
	free(path);
	free(dir);
}

static void test_unseal_again(void **s)
{
	struct gmrk_tpm_key k1, k2, k3;
	char *p1 = sealed("again", "pwd", &k1), *p2 = sealed("again2", "pwd", &k3);
	struct gmrk_tpm_config c;
	gmrk_error err;
	uint8_t *before, *after;
	size_t blen, alen;

	(void)s;
	before = tk_slurp(p1, &blen);
	cfg_for(&c, p1, "pwd");
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), 0);
	assert_int_equal(k2.created, 0);
	assert_memory_equal(k1.key, k2.key, sizeof(k1.key));
	/* unsealing does not rewrite the file */
	after = tk_slurp(p1, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(before, after, blen);
	/* two keys files, two keys */
	assert_memory_not_equal(k1.key, k3.key, sizeof(k1.key));
	free(before);
	free(after);
	free(p1);
	free(p2);
}

static void test_wrong_password(void **s)
{
	struct gmrk_tpm_key k1, k2;
	char *path = sealed("wrongpw", "right password", &k1);
	struct gmrk_tpm_config c;
	gmrk_error err;
	uint8_t *before, *after;
	size_t blen, alen;

	(void)s;
	before = tk_slurp(path, &blen);
	cfg_for(&c, path, "wrong password");
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), -GMRK_E_WRONG_KEY);
	tk_assert_msg(&err, GMRK_E_WRONG_KEY, "tpm: wrong encryption_password");
	assert_true(all_zero(k2.key, sizeof(k2.key)));
	after = tk_slurp(path, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(before, after, blen);
	cfg_for(&c, path, "right password");
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), 0);
	assert_memory_equal(k1.key, k2.key, sizeof(k1.key));
	tk_tpm_da_reset(tpm.tcti);
	free(before);
	free(after);
	free(path);
}

/* the TPM locks out after repeated wrong passwords: said so, not "wrong password" */
static void test_lockout(void **s)
{
	struct gmrk_tpm_key k1, k2;
	char *path = sealed("lockout", "pwd", &k1);
	struct gmrk_tpm_config c;
	gmrk_error err;
	int i;

	(void)s;
	cfg_for(&c, path, "guess");
	for (i = 0; i < 10; i++) {
		assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), -GMRK_E_WRONG_KEY);
		if (strcmp(err.message, "tpm: wrong encryption_password"))
			break;
	}
	tk_assert_msg(&err, GMRK_E_WRONG_KEY,
		      "tpm: the TPM is in dictionary-attack lockout after wrong passwords; wait for it to recover or reset it with the lockout authorization");
	/* even the right password waits until the lockout is reset */
	cfg_for(&c, path, "pwd");
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), -GMRK_E_WRONG_KEY);
	tk_tpm_da_reset(tpm.tcti);
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), 0);
	assert_memory_equal(k1.key, k2.key, sizeof(k1.key));
	free(path);
}

static void test_srk_password(void **s)
{
	char *dir = tk_dir("srk"), *path = tk_join(dir, "keys");
	struct gmrk_tpm_config c;
	struct gmrk_tpm_key k1, k2;
	gmrk_error err;
	char want[GMRK_ERRMSG_LEN];

	(void)s;
	cfg_for(&c, path, "pwd");
	c.srk_password = "srk secret";
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k1, &err), 0);
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), 0);
	assert_memory_equal(k1.key, k2.key, sizeof(k1.key));
	snprintf(want, sizeof(want),
		 "tpm: keys_file '%s': the TPM refuses the sealed key (", path);
	c.srk_password = "other srk";
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), -GMRK_E_WRONG_KEY);
	assert_memory_equal(err.message, want, strlen(want));
	assert_non_null(strstr(err.message,
			       "): sealed by another TPM or under another srk_password"));
	c.srk_password = NULL;
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), -GMRK_E_WRONG_KEY);
	assert_memory_equal(err.message, want, strlen(want));
	c.srk_password = "srk secret";
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), 0);
	assert_memory_equal(k1.key, k2.key, sizeof(k1.key));
	free(path);
	free(dir);
}

static void test_pcr_extended(void **s)
{
	struct gmrk_tpm_key k22, k23, k;
	char *p22 = sealed("pcr22", "pwd", &k22), *dir = tk_dir("pcr23");
	char *p23 = tk_join(dir, "keys");
	struct gmrk_tpm_config c;
	uint8_t *before, *after;
	size_t blen, alen;
	gmrk_error err;

	(void)s;
	cfg_for(&c, p23, "pwd");
	c.pcr = 23;
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k23, &err), 0);
	assert_int_equal(k23.pcr, 23);
	before = tk_slurp(p22, &blen);
	tk_tpm_pcr_extend(tpm.tcti, 22);
	cfg_for(&c, p22, "pwd");
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k, &err), -GMRK_E_WRONG_KEY);
	tk_assert_msg(&err, GMRK_E_WRONG_KEY,
		      "tpm: policy check failed: PCR 22 changed since the key was sealed");
	assert_true(all_zero(k.key, sizeof(k.key)));
	after = tk_slurp(p22, &alen);
	assert_int_equal(alen, blen);
	assert_memory_equal(before, after, blen);
	/* a key sealed to PCR 23 does not care */
	cfg_for(&c, p23, "pwd");
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k, &err), 0);
	assert_memory_equal(k.key, k23.key, sizeof(k.key));
	/* it does once PCR 23 moves too */
	tk_tpm_pcr_extend(tpm.tcti, 23);
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k, &err), -GMRK_E_WRONG_KEY);
	tk_assert_msg(&err, GMRK_E_WRONG_KEY,
		      "tpm: policy check failed: PCR 23 changed since the key was sealed");
	/* a keys file made now is sealed to the new value and opens */
	free(p22);
	p22 = sealed("pcr22-after", "pwd", &k22);
	cfg_for(&c, p22, "pwd");
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k, &err), 0);
	assert_memory_equal(k.key, k22.key, sizeof(k.key));
	free(before);
	free(after);
	free(p22);
	free(p23);
	free(dir);
}

static void test_cipher_and_pcr_config(void **s)
{
	char *dir = tk_dir("cipher"), *path = tk_join(dir, "keys");
	struct gmrk_tpm_config c;
	struct gmrk_tpm_key k1, k2;
	gmrk_error err;

	(void)s;
	cfg_for(&c, path, "pwd");
	c.cipher = "aes";
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k1, &err), 0);
	assert_int_equal(k1.cipher, GMRK_CIPHER_AES_GCM);
	assert_int_equal(k1.sealed_cipher, GMRK_CIPHER_AES_GCM);
	/* no cipher configured: the recorded one */
	c.cipher = NULL;
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), 0);
	assert_int_equal(k2.cipher, GMRK_CIPHER_AES_GCM);
	/* another cipher, same key: new blocks use it, old ones keep theirs */
	c.cipher = "SM4";
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), 0);
	assert_int_equal(k2.cipher, GMRK_CIPHER_SM4_GCM);
	assert_int_equal(k2.sealed_cipher, GMRK_CIPHER_AES_GCM);
	assert_memory_equal(k1.key, k2.key, sizeof(k1.key));
	/* the file says PCR 22, the configuration another */
	c.pcr = 23;
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), -GMRK_E_INVAL);
	tk_assert_msg(&err, GMRK_E_INVAL, "tpm: keys_file '%s' is sealed to PCR 22, but pcr is 23",
		      path);
	free(path);
	free(dir);
}

static void sha256(const uint8_t *buf, size_t len, uint8_t *out)
{
	unsigned int n;

	assert_int_equal(EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL), 1);
}

static void test_corrupt_keys_file(void **s)
{
	struct gmrk_tpm_key k, k2;
	char *path = sealed("corrupt", "pwd", &k), *bad = tk_sibling(path, "bad");
	struct gmrk_tpm_config c;
	size_t len, i, C, U, V, off;
	char want[GMRK_ERRMSG_LEN];
	gmrk_error err;
	uint8_t *buf;

	(void)s;
	buf = tk_slurp(path, &len);
	C = buf[12];
	U = (size_t)buf[13 + C] << 8 | buf[14 + C];
	V = (size_t)buf[15 + C + U] << 8 | buf[16 + C + U];
	assert_int_equal(len, 13 + C + 2 + U + 2 + V + 32);
	cfg_for(&c, bad, "pwd");
	/* every truncation */
	for (i = 0; i < len; i++) {
		unlink(bad);
		tk_spit(bad, buf, i, 0600);
		assert_int_not_equal(gmrk_tpm_load_or_create(&c, &k2, &err), 0);
		if (!i)
			tk_assert_msg(&err, GMRK_E_TRUNCATED, "tpm: keys_file '%s' is empty", bad);
		else
			tk_assert_msg(&err, GMRK_E_TRUNCATED, "tpm: keys_file '%s' is truncated", bad);
	}
	/* every byte flipped */
	for (i = 0; i < len; i++) {
		bool lenfield = i == 12 || i == 13 + C || i == 14 + C ||
				i == 15 + C + U || i == 16 + C + U;

		buf[i] ^= 0x01;
		unlink(bad);
		tk_spit(bad, buf, len, 0600);
		buf[i] ^= 0x01;
		assert_int_not_equal(gmrk_tpm_load_or_create(&c, &k2, &err), 0);
		if (i < 8) {
			tk_assert_msg(&err, GMRK_E_CORRUPT,
				      "tpm: keys_file '%s' is not a gmrk TPM keys file", bad);
		} else if (i == 8) {
			tk_assert_msg(&err, GMRK_E_UNSUPPORTED,
				      "tpm: keys_file '%s': format version 0 not supported", bad);
		} else if (lenfield) {
			snprintf(want, sizeof(want), "tpm: keys_file '%s' is ", bad);
			assert_memory_equal(err.message, want, strlen(want));
			assert_true(!strcmp(err.message + strlen(want), "truncated") ||
				    !strcmp(err.message + strlen(want), "corrupt (trailing bytes)") ||
				    !strcmp(err.message + strlen(want), "corrupt (checksum mismatch)"));
		} else {
			tk_assert_msg(&err, GMRK_E_CORRUPT,
				      "tpm: keys_file '%s' is corrupt (checksum mismatch)", bad);
		}
	}
	/* a trailing byte */
	unlink(bad);
	buf[len] = 0;
	tk_spit(bad, buf, len + 1, 0600);
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), -GMRK_E_CORRUPT);
	tk_assert_msg(&err, GMRK_E_CORRUPT, "tpm: keys_file '%s' is corrupt (trailing bytes)", bad);
	/* forged blobs with a matching checksum: the TPM itself refuses them */
	snprintf(want, sizeof(want), "tpm: keys_file '%s': the TPM refuses the sealed key (", bad);
	/* the last byte of the public blob (its unique digest), then of the private one */
	for (i = 0; i < 2; i++) {
		off = i ? 13 + C + 2 + U + 2 + V - 1 : 13 + C + 2 + U - 1;
		buf[off] ^= 0x80;
		sha256(buf, len - 32, buf + len - 32);
		unlink(bad);
		tk_spit(bad, buf, len, 0600);
		buf[off] ^= 0x80;
		assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), -GMRK_E_WRONG_KEY);
		assert_memory_equal(err.message, want, strlen(want));
	}
	/* a keys_file readable by others is refused before use */
	unlink(bad);
	sha256(buf, len - 32, buf + len - 32);
	tk_spit(bad, buf, len, 0640);
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), -GMRK_E_PERM);
	tk_assert_msg(&err, GMRK_E_PERM,
		      "tpm: keys_file '%s' is accessible by group or others (mode 0640): chmod 600 it",
		      bad);
	/* the original never changed and still opens */
	cfg_for(&c, path, "pwd");
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k2, &err), 0);
	assert_memory_equal(k.key, k2.key, sizeof(k.key));
	free(buf);
	free(bad);
	free(path);
}

struct race_result {
	int rc, created;
	uint8_t key[GMRK_TPM_KEY_LEN];
};

/*
 * Processes that find keys_file missing at the same moment: one creates
 * it, the others lose the link() race and use its key. (swtpm serves one
 * connection at a time, so the TPM work itself is serialized.)
 */
static void test_create_race(void **s)
{
	enum { N = 3 };
	char *dir = tk_dir("race"), *path = tk_join(dir, "keys");
	struct race_result res[N];
	struct gmrk_tpm_config c;
	int go[2], back[2], i, st, created = 0;
	pid_t pid[N];

	(void)s;
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(back), 0);
	cfg_for(&c, path, "pwd");
	for (i = 0; i < N; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (!pid[i]) {
			struct race_result r = { 0 };
			struct gmrk_tpm_key k;
			gmrk_error err;
			char b;

			close(go[1]);
			if (read(go[0], &b, 1) != 1)
				_exit(2);
			r.rc = gmrk_tpm_load_or_create(&c, &k, &err);
			if (r.rc)
				fprintf(stderr, "# race: %s\n", err.message);
			r.created = k.created;
			memcpy(r.key, k.key, sizeof(r.key));
			_exit(write(back[1], &r, sizeof(r)) == sizeof(r) ? 0 : 3);
		}
	}
	close(go[0]);
	close(back[1]);
	assert_int_equal(write(go[1], "xxx", N), N);
	close(go[1]);
	for (i = 0; i < N; i++)
		assert_int_equal(read(back[0], &res[i], sizeof(res[i])), sizeof(res[i]));
	close(back[0]);
	for (i = 0; i < N; i++) {
		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st) && !WEXITSTATUS(st));
		assert_int_equal(res[i].rc, 0);
		created += res[i].created;
		assert_memory_equal(res[i].key, res[0].key, sizeof(res[0].key));
	}
	assert_int_equal(created, 1);
	assert_int_equal(tk_count(dir), 1);
	free(path);
	free(dir);
}

/* configuration errors need no TPM */
static void test_config_errors(void **s)
{
	char *dir = tk_dir("config"), *path = tk_join(dir, "keys");
	struct gmrk_tpm_config c;
	struct gmrk_tpm_key k;
	gmrk_error err;
	int pcr;

	(void)s;
	gmrk_tpm_config_init(&c);
	assert_int_equal(c.pcr, 0);
	assert_string_equal(c.cipher, "chachapoly");
	c.encryption_password = "pwd";
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k, &err), -GMRK_E_INVAL);
	tk_assert_msg(&err, GMRK_E_INVAL, "tpm: keys_file is required");
	c.keys_file = path;
	c.encryption_password = "";
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k, &err), -GMRK_E_INVAL);
	tk_assert_msg(&err, GMRK_E_INVAL, "tpm: encryption_password is required");
	c.encryption_password = "pwd";
	for (pcr = -1; pcr <= 24; pcr++) {
		if (pcr == 0 || (pcr >= 17 && pcr <= 23))
			continue;
		c.pcr = pcr;
		assert_int_equal(gmrk_tpm_load_or_create(&c, &k, &err), -GMRK_E_INVAL);
		tk_assert_msg(&err, GMRK_E_INVAL,
			      "tpm: pcr must be 17 to 23 (0 to 16 are reserved), not %d", pcr);
	}
	c.pcr = 22;
	c.cipher = "des";
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k, &err), -GMRK_E_INVAL);
	tk_assert_msg(&err, GMRK_E_INVAL, "tpm: unknown cipher 'des' (chachapoly, aes or sm4)");
	assert_int_equal(tk_count(dir), 0);	/* nothing created */
	assert_int_equal(gmrk_tpm_cipher_from_name("chacha"), GMRK_CIPHER_CHACHA20_POLY1305);
	assert_int_equal(gmrk_tpm_cipher_from_name("AES-GCM"), GMRK_CIPHER_AES_GCM);
	assert_int_equal(gmrk_tpm_cipher_from_name("sm4-gcm"), GMRK_CIPHER_SM4_GCM);
	assert_int_equal(gmrk_tpm_cipher_from_name(NULL), GMRK_CIPHER_NONE);
	free(path);
	free(dir);
}

/* no TPM behind the TCTI: a clear error, and no keys_file appears */
static void test_no_tpm(void **s)
{
	char *dir = tk_dir("notpm"), *path = tk_join(dir, "keys");
	struct gmrk_tpm_config c;
	struct gmrk_tpm_key k;
	gmrk_error err;

	(void)s;
	gmrk_tpm_config_init(&c);
	c.keys_file = path;
	c.encryption_password = "pwd";
	/* port 1 on loopback: nothing listens there without root services */
	c.tcti = "swtpm:host=127.0.0.1,port=1";
	assert_int_equal(gmrk_tpm_load_or_create(&c, &k, &err), -GMRK_E_UNSUPPORTED);
	assert_memory_equal(err.message, "tpm: ", 5);
	assert_int_equal(tk_count(dir), 0);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_no_tpm),
	};
	const struct CMUnitTest withtpm[] = {
		cmocka_unit_test(test_create_when_missing),
		cmocka_unit_test(test_unseal_again),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_lockout),
		cmocka_unit_test(test_srk_password),
		cmocka_unit_test(test_pcr_extended),
		cmocka_unit_test(test_cipher_and_pcr_config),
		cmocka_unit_test(test_corrupt_keys_file),
		cmocka_unit_test(test_create_race),
	};
	size_t n = sizeof(withtpm) / sizeof(withtpm[0]), i;
	char why[256];
	int rc;

	/* tpm2-tss logs every TPM error on stderr; the tests check them */
	setenv("TSS2_LOG", "all+none", 0);
	rc = TK_RUN("tpm-config", plain);
	if (tk_swtpm_start(&tpm, why, sizeof(why))) {
		printf("1..%zu\n", n);
		for (i = 0; i < n; i++)
			printf("ok %zu - %s # SKIP swtpm cannot start: %s\n", i + 1,
			       withtpm[i].name, why);
		return rc;
	}
	rc |= TK_RUN("tpm", withtpm);
	tk_swtpm_stop(&tpm);
	return rc;
}

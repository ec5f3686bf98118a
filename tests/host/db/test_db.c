// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The keystore (lib/db.c): encrypted and unencrypted databases side by
 * side and which is which, the manifest line for line, opening without a
 * master key (the exact message) and with a wrong one (the key file's
 * error, naming the database), blocks sealed under a database's key
 * opening again after a reopen, duplicates, bad names, every bit flip and
 * every truncation of a manifest, swapped key files, interrupted creates
 * and encrypts completed by running them again, and after every failure
 * the keystore byte for byte as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <gmrk/db.h>

#include "common.h"
#include "internal.h"

#define EK1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define EK2 "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define NOKEY_MSG(n) \
	"database '" n "' is encrypted but no master key is configured (set GMRK_KEY or master_key_file)"

/* ------------------------------------------------------------- helpers */

static char *fresh_store(const char *name)
{
	return th_path(name);	/* not created: gmrk_db_create makes it */
}

static char *db_file(const char *store, const char *name, const char *file)
{
	char *p = malloc(1024);

	assert_non_null(p);
	snprintf(p, 1024, "%s/%s/%s", store, name, file);
	return p;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(65536);

	assert_non_null(f);
	*len = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

static void spit(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/*
 * Snapshot of a directory tree: every entry's relative path, mode and
 * contents, sorted, in one string. Two equal snapshots: nothing was
 * created, deleted, changed or chmodded.
 */
static char **snap_lines;
static size_t snap_n, snap_root;

static int snap_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	size_t len = 0, i, cap;
	uint8_t *data = NULL;
	char *line;

	(void)f;
	if (type == FTW_F) {
		data = slurp(path, &len);
	}
	cap = strlen(path) + 32 + 2 * len;
	line = malloc(cap);
	assert_non_null(line);
	i = (size_t)snprintf(line, cap, "%s %o ", path + snap_root, (unsigned int)st->st_mode);
	for (size_t k = 0; k < len; k++)
		i += (size_t)snprintf(line + i, cap - i, "%02x", data[k]);
	free(data);
	snap_lines = realloc(snap_lines, (snap_n + 1) * sizeof(*snap_lines));
	snap_lines[snap_n++] = line;
	return 0;
}

static int snap_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *snapshot(const char *dir)
{
	size_t total = 1, i;
	char *out;

	snap_lines = NULL;
	snap_n = 0;
	snap_root = strlen(dir);
	assert_int_equal(nftw(dir, snap_one, 16, FTW_PHYS), 0);
	qsort(snap_lines, snap_n, sizeof(*snap_lines), snap_cmp);
	for (i = 0; i < snap_n; i++)
		total += strlen(snap_lines[i]) + 1;
	out = malloc(total);
	out[0] = '\0';
	for (i = 0; i < snap_n; i++) {
		strcat(out, snap_lines[i]);
		strcat(out, "\n");
		free(snap_lines[i]);
	}
	free(snap_lines);
	return out;
}

static void assert_unchanged(const char *dir, char *before)
{
	char *after = snapshot(dir);

	assert_string_equal(after, before);
	free(after);
	free(before);
}

static void must(int rc, const gmrk_error *err)
{
	if (rc)
		fail_msg("%d: %s", rc, err->message);
}

static gmrk_ctx *nokey_ctx(void)
{
	return th_ctx(GMRK_BACKEND_SOFT, 0, 0);	/* GMRK_CFG_NO_MASTER_KEY */
}

static void seal_open(gmrk_ctx *ctx, gmrk_key *k1, gmrk_key *k2)
{
	uint8_t pt[100], ct[100 + GMRK_OVERHEAD], out[100];
	size_t outlen, ctlen;
	gmrk_error err;

	th_fill(pt, sizeof(pt));
	must(gmrk_seal(ctx, k1, 7, "db", 2, pt, sizeof(pt), ct, sizeof(ct), &ctlen, &err), &err);
	must(gmrk_open(ctx, k2, 7, "db", 2, ct, ctlen, out, sizeof(out), &outlen, NULL, &err),
	     &err);
	assert_int_equal(outlen, sizeof(pt));
	assert_memory_equal(out, pt, sizeof(pt));
}

/* --------------------------------------------------------------- tests */

static void test_create_both_kinds(void **s)
{
	char *store = fresh_store("both"), *man, *key, *pman, *pkey;
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0);
	struct gmrk_db_info i;
	struct gmrk_key_info ki;
	struct stat st;
	gmrk_error err;
	gmrk_db *db;
	uint8_t *m;
	size_t len;
	char want[512], id[17];

	(void)s;
	must(gmrk_db_create(ctx, store, "orders", GMRK_DB_ENCRYPTED,
			    GMRK_CIPHER_CHACHA20_POLY1305, &err), &err);
	must(gmrk_db_create(NULL, store, "logs", 0, GMRK_CIPHER_NONE, &err), &err);
	assert_int_equal(stat(store, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	man = db_file(store, "orders", "manifest");
	key = db_file(store, "orders", "orders.key");
	pman = db_file(store, "logs", "manifest");
	pkey = db_file(store, "logs", "logs.key");
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(man, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(pman, &st), 0);
	assert_int_not_equal(stat(pkey, &st), 0);	/* plaintext: no key */

	/* the encrypted one: its key wraps with its cipher, the context's is kept */
	must(gmrk_db_open(ctx, store, "orders", &db, &err), &err);
	assert_int_equal(gmrk_db_encrypted(db), 1);
	assert_int_equal(gmrk_db_cipher(db), GMRK_CIPHER_CHACHA20_POLY1305);
	assert_non_null(gmrk_db_key(db));
	assert_int_equal(gmrk_key_info(gmrk_db_key(db), &ki), 0);
	assert_string_equal(ki.asset, "orders");
	assert_int_equal(ki.wrap_cipher, GMRK_CIPHER_CHACHA20_POLY1305);
	assert_int_equal(gmrk_ctx_cipher(ctx), GMRK_CIPHER_AES_GCM);
	assert_int_equal(gmrk_db_info(db, &i), 0);
	assert_memory_equal(i.key_id, ki.id, GMRK_KEY_ID_LEN);
	assert_int_equal(i.plaintext_blocks, 0);
	assert_string_equal(i.key_file, "orders.key");
	gmrk_db_close(db);

	/* the manifest, line for line */
	m = slurp(man, &len);
	for (int k = 0; k < GMRK_KEY_ID_LEN; k++)
		snprintf(id + 2 * k, 3, "%02x", ki.id[k]);
	snprintf(want, sizeof(want),
		 "gmrk-db-manifest 1\nname orders\nencrypted yes\ncipher chacha20-poly1305\n"
		 "plaintext-blocks no\ncreated ");
	assert_memory_equal(m, want, strlen(want));
	snprintf(want, sizeof(want), "Z\nkey-file orders.key\nkey-id %s\nsha256 ", id);
	assert_non_null(memmem(m, len, want, strlen(want)));
	assert_int_equal(m[len - 1], '\n');
	assert_int_equal(len, strlen("gmrk-db-manifest 1\nname orders\nencrypted yes\n"
				     "cipher chacha20-poly1305\nplaintext-blocks no\n"
				     "created 2026-12-03T09:45:29Z\nkey-file orders.key\n"
				     "key-id 0011223344556677\nsha256 \n") + 64);
	free(m);

	/* the plaintext one: no key, no master key needed */
	must(gmrk_db_open(NULL, store, "logs", &db, &err), &err);
	assert_int_equal(gmrk_db_encrypted(db), 0);
	assert_null(gmrk_db_key(db));
	assert_int_equal(gmrk_db_cipher(db), GMRK_CIPHER_NONE);
	gmrk_db_close(db);
	m = slurp(pman, &len);
	assert_non_null(memmem(m, len, "\nencrypted no\ncipher none\nplaintext-blocks yes\n", 46));
	assert_non_null(memmem(m, len, "\nkey-file -\nkey-id -\nsha256 ", 28));
	free(m);

	/* no temporary file left anywhere */
	m = (uint8_t *)snapshot(store);
	assert_null(strstr((char *)m, "tmp"));
	free(m);
	free(man);
	free(key);
	free(pman);
	free(pkey);
	free(store);
	gmrk_ctx_free(ctx);
}

struct seen {
	int n;
	char names[8][GMRK_DB_NAME_MAX + 1];
	int enc[8];
	enum gmrk_cipher cipher[8];
	int problems;
	char problem[GMRK_ERRMSG_LEN];
};

static int collect(const struct gmrk_db_info *i, const gmrk_error *problem, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 8);
	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", i->name);
	s->enc[s->n] = i->encrypted;
	s->cipher[s->n] = i->cipher;
	if (problem) {
		s->problems++;
		snprintf(s->problem, sizeof(s->problem), "%s", problem->message);
	}
	s->n++;
	return 0;
}

static void test_list(void **st)
{
	char *store = fresh_store("list"), *junk;
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0);
	struct seen s;
	gmrk_error err;

	(void)st;
	memset(&s, 0, sizeof(s));
	assert_int_equal(gmrk_db_list(store, collect, &s, &err), -GMRK_E_NOENT);
	assert_int_equal(err.code, GMRK_E_NOENT);
	must(gmrk_db_create(ctx, store, "zeta", GMRK_DB_ENCRYPTED, 0, &err), &err);
	must(gmrk_db_create(NULL, store, "alpha", 0, 0, &err), &err);
	must(gmrk_db_create(ctx, store, "mid", GMRK_DB_ENCRYPTED, GMRK_CIPHER_AES_GCM, &err),
	     &err);
	/* not databases: skipped */
	junk = th_path("list/README");
	spit(junk, "x", 1);
	free(junk);
	junk = th_path("list/.hidden");
	assert_int_equal(mkdir(junk, 0700), 0);
	free(junk);
	assert_int_equal(gmrk_db_list(store, collect, &s, &err), 3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.problems, 0);
	assert_string_equal(s.names[0], "alpha");
	assert_string_equal(s.names[1], "mid");
	assert_string_equal(s.names[2], "zeta");
	assert_int_equal(s.enc[0], 0);
	assert_int_equal(s.enc[1], 1);
	assert_int_equal(s.enc[2], 1);
	assert_int_equal(s.cipher[0], GMRK_CIPHER_NONE);
	assert_int_equal(s.cipher[2], GMRK_CIPHER_AES_GCM);
	/* a damaged one is still listed, with its problem */
	junk = th_path("list/broken");
	assert_int_equal(mkdir(junk, 0700), 0);
	free(junk);
	memset(&s, 0, sizeof(s));
	assert_int_equal(gmrk_db_list(store, collect, &s, &err), 4);
	assert_int_equal(s.problems, 1);
	assert_string_equal(s.names[0], "alpha");
	assert_string_equal(s.names[1], "broken");
	assert_non_null(strstr(s.problem, "database 'broken' is incomplete"));
	free(store);
	gmrk_ctx_free(ctx);
}

static void test_no_master_key(void **s)
{
	char *store = fresh_store("nokey"), *before;
	gmrk_ctx *ek = th_ctx_ek(EK1, 0, 0), *none = nokey_ctx();
	struct stat st;
	gmrk_error err;
	gmrk_db *db = (gmrk_db *)&err;

	(void)s;
	/* creating: refused before anything is written */
	assert_int_equal(gmrk_db_create(none, store, "orders", GMRK_DB_ENCRYPTED, 0, &err),
			 -GMRK_E_NOKEY);
	assert_int_equal(err.code, GMRK_E_NOKEY);
	assert_string_equal(err.message,
			    "cannot create encrypted database 'orders': no master key is configured (set GMRK_KEY or master_key_file)");
	assert_int_not_equal(stat(store, &st), 0);
	assert_int_equal(gmrk_db_create(NULL, store, "orders", GMRK_DB_ENCRYPTED, 0, &err),
			 -GMRK_E_NOKEY);
	/* opening */
	must(gmrk_db_create(ek, store, "orders", GMRK_DB_ENCRYPTED, 0, &err), &err);
	must(gmrk_db_create(none, store, "logs", 0, 0, &err), &err);
	before = snapshot(store);
	assert_int_equal(gmrk_db_open(none, store, "orders", &db, &err), -GMRK_E_NOKEY);
	assert_null(db);
	assert_int_equal(err.code, GMRK_E_NOKEY);
	assert_string_equal(err.message, NOKEY_MSG("orders"));
	assert_int_equal(gmrk_db_open(NULL, store, "orders", &db, &err), -GMRK_E_NOKEY);
	assert_string_equal(err.message, NOKEY_MSG("orders"));
	/* plaintext databases keep working without any key */
	must(gmrk_db_open(none, store, "logs", &db, &err), &err);
	gmrk_db_close(db);
	assert_unchanged(store, before);
	free(store);
	gmrk_ctx_free(ek);
	gmrk_ctx_free(none);
}

static void test_wrong_master_key(void **s)
{
	char *store = fresh_store("wrong"), *before, *key, want[1200];
	gmrk_ctx *c1 = th_ctx_ek(EK1, 0, 0), *c2 = th_ctx_ek(EK2, 0, 0);
	gmrk_ctx *pass = th_ctx_ek("correct horse battery staple", 0, 0);
	gmrk_error err;
	gmrk_db *db;

	(void)s;
	must(gmrk_db_create(c1, store, "orders", GMRK_DB_ENCRYPTED, GMRK_CIPHER_AES_GCM, &err),
	     &err);
	key = db_file(store, "orders", "orders.key");
	before = snapshot(store);
	assert_int_equal(gmrk_db_open(c2, store, "orders", &db, &err), -GMRK_E_WRONG_KEY);
	assert_null(db);
	assert_int_equal(err.code, GMRK_E_WRONG_KEY);
	snprintf(want, sizeof(want),
		 "database 'orders': error decrypting key file '%s': aes-gcm: message authentication failed",
		 key);
	assert_string_equal(err.message, want);
	/* a passphrase where the key file wants a raw key: also named */
	assert_int_equal(gmrk_db_open(pass, store, "orders", &db, &err), -GMRK_E_WRONG_KEY);
	assert_true(!strncmp(err.message, "database 'orders': key file '", 29));
	assert_unchanged(store, before);
	/* and the right one still opens it */
	must(gmrk_db_open(c1, store, "orders", &db, &err), &err);
	gmrk_db_close(db);
	free(key);
	free(store);
	gmrk_ctx_free(c1);
	gmrk_ctx_free(c2);
	gmrk_ctx_free(pass);
}

static void test_blocks_after_reopen(void **s)
{
	char *store = fresh_store("reopen");
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0);
	gmrk_ctx *pass = th_ctx_ek("a passphrase, stretched by scrypt", 0, 0);
	uint8_t pt[64], ct[64 + GMRK_OVERHEAD], out[64];
	size_t ctlen, outlen;
	gmrk_db *db, *db2;
	gmrk_error err;

	(void)s;
	must(gmrk_db_create(ctx, store, "orders", GMRK_DB_ENCRYPTED, 0, &err), &err);
	must(gmrk_db_open(ctx, store, "orders", &db, &err), &err);
	th_fill(pt, sizeof(pt));
	must(gmrk_seal(ctx, gmrk_db_key(db), 42, "orders", 6, pt, sizeof(pt), ct, sizeof(ct),
		       &ctlen, &err), &err);
	gmrk_db_close(db);
	gmrk_ctx_free(ctx);
	/* a new context and a new handle: the block still opens */
	ctx = th_ctx_ek(EK1, 0, 0);
	must(gmrk_db_open(ctx, store, "orders", &db, &err), &err);
	must(gmrk_open(ctx, gmrk_db_key(db), 42, "orders", 6, ct, ctlen, out, sizeof(out),
		       &outlen, NULL, &err), &err);
	assert_memory_equal(out, pt, sizeof(pt));
	/* two handles on one database share its key */
	must(gmrk_db_open(ctx, store, "orders", &db2, &err), &err);
	seal_open(ctx, gmrk_db_key(db), gmrk_db_key(db2));
	gmrk_db_close(db);
	gmrk_db_close(db2);
	/* a passphrase master key (scrypt) works the same way */
	must(gmrk_db_create(pass, store, "p", GMRK_DB_ENCRYPTED, 0, &err), &err);
	must(gmrk_db_open(pass, store, "p", &db, &err), &err);
	must(gmrk_db_open(pass, store, "p", &db2, &err), &err);
	seal_open(pass, gmrk_db_key(db), gmrk_db_key(db2));
	gmrk_db_close(db);
	gmrk_db_close(db2);
	free(store);
	gmrk_ctx_free(ctx);
	gmrk_ctx_free(pass);
}

static void test_sm4(void **s)
{
	char *store = fresh_store("sm4");
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0);
	struct gmrk_key_info ki;
	gmrk_error err;
	gmrk_db *db;

	(void)s;
	if (!gmrk__soft_has(GMRK_CIPHER_SM4_GCM)) {
		gmrk_ctx_free(ctx);
		free(store);
		skip();
	}
	must(gmrk_db_create(ctx, store, "gm", GMRK_DB_ENCRYPTED, GMRK_CIPHER_SM4_GCM, &err), &err);
	must(gmrk_db_open(ctx, store, "gm", &db, &err), &err);
	assert_int_equal(gmrk_db_cipher(db), GMRK_CIPHER_SM4_GCM);
	gmrk_key_info(gmrk_db_key(db), &ki);
	assert_int_equal(ki.wrap_cipher, GMRK_CIPHER_SM4_GCM);
	assert_int_equal(gmrk_ctx_set_cipher(ctx, gmrk_db_cipher(db), &err), 0);
	seal_open(ctx, gmrk_db_key(db), gmrk_db_key(db));
	gmrk_db_close(db);
	free(store);
	gmrk_ctx_free(ctx);
}

static void test_duplicate(void **s)
{
	char *store = fresh_store("dup"), *before;
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0);
	gmrk_error err;

	(void)s;
	must(gmrk_db_create(ctx, store, "orders", GMRK_DB_ENCRYPTED, 0, &err), &err);
	must(gmrk_db_create(ctx, store, "logs", 0, 0, &err), &err);
	before = snapshot(store);
	assert_int_equal(gmrk_db_create(ctx, store, "orders", GMRK_DB_ENCRYPTED, 0, &err),
			 -GMRK_E_EXISTS);
	assert_int_equal(err.code, GMRK_E_EXISTS);
	assert_non_null(strstr(err.message, "database 'orders' already exists"));
	assert_int_equal(gmrk_db_create(ctx, store, "orders", 0, 0, &err), -GMRK_E_EXISTS);
	assert_int_equal(gmrk_db_create(ctx, store, "logs", GMRK_DB_ENCRYPTED, 0, &err),
			 -GMRK_E_EXISTS);
	assert_int_equal(gmrk_db_create(NULL, store, "logs", 0, 0, &err), -GMRK_E_EXISTS);
	assert_unchanged(store, before);
	free(store);
	gmrk_ctx_free(ctx);
}

static void test_bad_names(void **s)
{
	static const char *const bad[] = {
		"", ".", "..", "a/b", "../x", "/abs", ".hidden", "-rf", "a b", "tab\t",
		"caf\xc3\xa9", "x\n", "name:colon",
		"0123456789012345678901234567890123456789012345678901234567890123x",
	};
	char *store = fresh_store("names"), *before;
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0);
	struct gmrk_db_info info;
	gmrk_error err;
	gmrk_db *db;
	size_t k;

	(void)s;
	must(gmrk_db_create(ctx, store, "0123456789012345678901234567890123456789012345678901234567890123",
			    GMRK_DB_ENCRYPTED, 0, &err), &err);	/* 64: the longest */
	must(gmrk_db_create(ctx, store, "a.b-c_D9", 0, 0, &err), &err);
	before = snapshot(store);
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		assert_int_equal(gmrk_db_name_valid(bad[k]), 0);
		assert_int_equal(gmrk_db_create(ctx, store, bad[k], GMRK_DB_ENCRYPTED, 0, &err),
				 -GMRK_E_INVAL);
		assert_int_equal(err.code, GMRK_E_INVAL);
		assert_non_null(strstr(err.message, "invalid database name"));
		assert_int_equal(gmrk_db_create(NULL, store, bad[k], 0, 0, &err), -GMRK_E_INVAL);
		assert_int_equal(gmrk_db_open(ctx, store, bad[k], &db, &err), -GMRK_E_INVAL);
		assert_int_equal(gmrk_db_stat(store, bad[k], &info, &err), -GMRK_E_INVAL);
		assert_int_equal(gmrk_db_encrypt(ctx, store, bad[k], 0, &err), -GMRK_E_INVAL);
	}
	assert_int_equal(gmrk_db_create(ctx, store, NULL, 0, 0, &err), -GMRK_E_INVAL);
	assert_int_equal(gmrk_db_create(ctx, NULL, "x", 0, 0, &err), -GMRK_E_INVAL);
	assert_int_equal(gmrk_db_create(ctx, "", "x", 0, 0, &err), -GMRK_E_INVAL);
	/* other bad arguments */
	assert_int_equal(gmrk_db_create(ctx, store, "x", 0, GMRK_CIPHER_AES_GCM, &err),
			 -GMRK_E_INVAL);
	assert_int_equal(gmrk_db_create(ctx, store, "x", 0x80, 0, &err), -GMRK_E_INVAL);
	assert_int_equal(gmrk_db_create(ctx, store, "x", GMRK_DB_ENCRYPTED, 9, &err),
			 -GMRK_E_UNSUPPORTED);
	assert_int_equal(gmrk_db_open(ctx, store, "x", NULL, &err), -GMRK_E_INVAL);
	assert_unchanged(store, before);
	free(store);
	gmrk_ctx_free(ctx);
}

static void test_unknown(void **s)
{
	char *store = fresh_store("unknown"), *dir;
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0);
	struct gmrk_db_info info;
	gmrk_error err;
	gmrk_db *db;

	(void)s;
	assert_int_equal(gmrk_db_open(ctx, store, "orders", &db, &err), -GMRK_E_NOENT);
	must(gmrk_db_create(ctx, store, "logs", 0, 0, &err), &err);
	assert_int_equal(gmrk_db_open(ctx, store, "orders", &db, &err), -GMRK_E_NOENT);
	assert_int_equal(err.code, GMRK_E_NOENT);
	assert_non_null(strstr(err.message, "no database 'orders' in keystore '"));
	assert_int_equal(gmrk_db_stat(store, "orders", &info, &err), -GMRK_E_NOENT);
	assert_int_equal(gmrk_db_encrypt(ctx, store, "orders", 0, &err), -GMRK_E_NOENT);
	/* a plain file where a database directory would be */
	dir = th_path("unknown/file");
	spit(dir, "x", 1);
	assert_int_equal(gmrk_db_open(ctx, store, "file", &db, &err), -GMRK_E_CORRUPT);
	free(dir);
	free(store);
	gmrk_ctx_free(ctx);
}

/* re-seals a manifest body (everything before its "sha256" line) */
static void write_manifest(const char *path, const char *body)
{
	char buf[2048], sha[65];
	uint8_t md[32];
	unsigned int mdlen;
	int k;

	assert_int_equal(EVP_Digest(body, strlen(body), md, &mdlen, EVP_sha256(), NULL), 1);
	for (k = 0; k < 32; k++)
		snprintf(sha + 2 * k, 3, "%02x", md[k]);
	snprintf(buf, sizeof(buf), "%ssha256 %s\n", body, sha);
	spit(path, buf, strlen(buf));
}

static void corrupt_one(gmrk_ctx *ctx, const char *store, const char *name,
			const char *man, const uint8_t *good, size_t len)
{
	char *before;
	gmrk_error err;
	gmrk_db *db;
	size_t k;

	uint8_t *buf = malloc(len);

	/* every bit flip (one bit per byte, each bit position in turn) */
	for (k = 0; k < len; k++) {
		int rc;

		memcpy(buf, good, len);
		buf[k] ^= (uint8_t)(1u << (k % 8));
		spit(man, buf, len);
		before = snapshot(store);
		rc = gmrk_db_open(ctx, store, name, &db, &err);
		if (rc != -GMRK_E_CORRUPT)
			fail_msg("flip at %zu: %d (%s)", k, rc, err.message);
		assert_null(db);
		assert_non_null(strstr(err.message, "manifest '"));
		assert_int_equal(gmrk_db_encrypt(ctx, store, name, 0, &err), -GMRK_E_CORRUPT);
		assert_unchanged(store, before);
	}
	/* every truncation */
	for (k = 0; k < len; k++) {
		spit(man, good, k);
		before = snapshot(store);
		if (gmrk_db_open(ctx, store, name, &db, &err) != -GMRK_E_CORRUPT)
			fail_msg("truncated to %zu: %s", k, err.message);
		assert_unchanged(store, before);
	}
	/* trailing garbage */
	memcpy(buf, good, len);
	spit(man, buf, len);
	{
		FILE *f = fopen(man, "ab");

		fputs("extra 1\n", f);
		fclose(f);
	}
	assert_int_equal(gmrk_db_open(ctx, store, name, &db, &err), -GMRK_E_CORRUPT);
	spit(man, good, len);
	must(gmrk_db_open(ctx, store, name, &db, &err), &err);
	gmrk_db_close(db);
	free(buf);
}

static void test_corrupt_manifest(void **s)
{
	char *store = fresh_store("corrupt"), *man, *pman, *body, *before;
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0);
	uint8_t *good, *pgood;
	size_t len, plen;
	gmrk_error err;
	gmrk_db *db;
	char *p;

	(void)s;
	must(gmrk_db_create(ctx, store, "orders", GMRK_DB_ENCRYPTED, 0, &err), &err);
	must(gmrk_db_create(ctx, store, "logs", 0, 0, &err), &err);
	man = db_file(store, "orders", "manifest");
	pman = db_file(store, "logs", "manifest");
	good = slurp(man, &len);
	pgood = slurp(pman, &plen);
	corrupt_one(ctx, store, "orders", man, good, len);
	corrupt_one(ctx, store, "logs", pman, pgood, plen);

	/* a later format: unsupported, not corrupt */
	body = malloc(len + 1);
	memcpy(body, good, len);
	body[len] = '\0';
	*strstr(body, "sha256 ") = '\0';
	body[17] = '2';
	write_manifest(man, body);
	assert_int_equal(gmrk_db_open(ctx, store, "orders", &db, &err), -GMRK_E_UNSUPPORTED);
	assert_non_null(strstr(err.message, "format version 2 not supported"));
	body[17] = '1';

	/* well-formed and checksummed, but lying */
	p = strstr(body, "name orders");
	memcpy(p, "name ordxrs", 11);
	write_manifest(man, body);
	assert_int_equal(gmrk_db_open(ctx, store, "orders", &db, &err), -GMRK_E_CORRUPT);
	assert_non_null(strstr(err.message, "is for database 'ordxrs', not 'orders'"));
	memcpy(p, "name orders", 11);
	p = strstr(body, "cipher aes-gcm");
	memcpy(p, "cipher AES-gcm", 14);	/* only the canonical name */
	write_manifest(man, body);
	assert_int_equal(gmrk_db_open(ctx, store, "orders", &db, &err), -GMRK_E_CORRUPT);
	memcpy(p, "cipher aes-gcm", 14);
	free(body);
	/* "encrypted no" (checksummed) next to the key: never plaintext */
	write_manifest(man, "gmrk-db-manifest 1\nname orders\nencrypted no\ncipher none\n"
		       "plaintext-blocks yes\ncreated 2026-01-01T00:00:00Z\nkey-file -\nkey-id -\n");
	before = snapshot(store);
	assert_int_equal(gmrk_db_open(ctx, store, "orders", &db, &err), -GMRK_E_CORRUPT);
	assert_non_null(strstr(err.message, "its manifest says unencrypted but key file '"));
	assert_unchanged(store, before);
	spit(man, good, len);
	must(gmrk_db_open(ctx, store, "orders", &db, &err), &err);
	gmrk_db_close(db);
	free(good);
	free(pgood);
	free(man);
	free(pman);
	free(store);
	gmrk_ctx_free(ctx);
}

static void test_swapped_key_file(void **s)
{
	char *a = fresh_store("swap-a"), *b = fresh_store("swap-b"), *ka, *kb, *kl, *before;
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0);
	uint8_t *kbuf;
	size_t klen;
	gmrk_error err;
	gmrk_db *db;

	(void)s;
	must(gmrk_db_create(ctx, a, "orders", GMRK_DB_ENCRYPTED, 0, &err), &err);
	must(gmrk_db_create(ctx, a, "users", GMRK_DB_ENCRYPTED, 0, &err), &err);
	must(gmrk_db_create(ctx, b, "orders", GMRK_DB_ENCRYPTED, 0, &err), &err);
	ka = db_file(a, "orders", "orders.key");
	kb = db_file(b, "orders", "orders.key");
	kl = db_file(a, "users", "users.key");
	/* same asset name, another key: the manifest's key id catches it */
	kbuf = slurp(kb, &klen);
	spit(ka, kbuf, klen);
	free(kbuf);
	before = snapshot(a);
	assert_int_equal(gmrk_db_open(ctx, a, "orders", &db, &err), -GMRK_E_WRONG_KEY);
	assert_non_null(strstr(err.message, "but the manifest says"));
	assert_unchanged(a, before);
	/* another database's key: its asset name catches it */
	kbuf = slurp(kl, &klen);
	spit(ka, kbuf, klen);
	free(kbuf);
	assert_int_equal(gmrk_db_open(ctx, a, "orders", &db, &err), -GMRK_E_WRONG_KEY);
	assert_non_null(strstr(err.message, "belongs to asset 'users', not 'orders'"));
	/* a key file others can read */
	assert_int_equal(chmod(ka, 0644), 0);
	assert_int_equal(gmrk_db_open(ctx, a, "orders", &db, &err), -GMRK_E_PERM);
	assert_true(!strncmp(err.message, "database 'orders': key file", 27));
	/* a missing key file */
	assert_int_equal(unlink(ka), 0);
	assert_int_equal(gmrk_db_open(ctx, a, "orders", &db, &err), -GMRK_E_NOENT);
	assert_true(!strncmp(err.message, "database 'orders': key file", 27));
	free(ka);
	free(kb);
	free(kl);
	free(a);
	free(b);
	gmrk_ctx_free(ctx);
}

static void test_interrupted_create(void **s)
{
	char *store = fresh_store("interrupted"), *dir, *key, *before;
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0), *other = th_ctx_ek(EK2, 0, 0);
	struct gmrk_key_info ki;
	struct gmrk_db_info info;
	gmrk_error err;
	gmrk_key *k;
	gmrk_db *db;

	(void)s;
	must(gmrk_db_create(NULL, store, "logs", 0, 0, &err), &err);
	/* crashed after mkdir: open says so, create completes it */
	dir = th_path("interrupted/a");
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(gmrk_db_open(ctx, store, "a", &db, &err), -GMRK_E_NOENT);
	assert_non_null(strstr(err.message, "is incomplete: no manifest"));
	must(gmrk_db_create(NULL, store, "a", 0, 0, &err), &err);
	must(gmrk_db_open(ctx, store, "a", &db, &err), &err);
	gmrk_db_close(db);
	free(dir);
	/* crashed after the key file: the same key is taken, not replaced */
	dir = th_path("interrupted/b");
	assert_int_equal(mkdir(dir, 0700), 0);
	key = db_file(store, "b", "b.key");
	k = gmrk_key_open(ctx, key, "b", GMRK_KEY_CREATE | GMRK_KEY_EXCL, &err);
	assert_non_null(k);
	gmrk_key_info(k, &ki);
	gmrk_key_free(k);
	/* not as plaintext, and not under another master key */
	before = snapshot(store);
	assert_int_equal(gmrk_db_create(NULL, store, "b", 0, 0, &err), -GMRK_E_EXISTS);
	assert_non_null(strstr(err.message, "was being created encrypted"));
	assert_int_equal(gmrk_db_create(other, store, "b", GMRK_DB_ENCRYPTED, 0, &err),
			 -GMRK_E_WRONG_KEY);
	assert_true(!strncmp(err.message, "database 'b': error decrypting key file", 39));
	assert_unchanged(store, before);
	must(gmrk_db_create(ctx, store, "b", GMRK_DB_ENCRYPTED, 0, &err), &err);
	must(gmrk_db_stat(store, "b", &info, &err), &err);
	assert_memory_equal(info.key_id, ki.id, GMRK_KEY_ID_LEN);
	must(gmrk_db_open(ctx, store, "b", &db, &err), &err);
	gmrk_db_close(db);
	free(dir);
	free(key);
	free(store);
	gmrk_ctx_free(ctx);
	gmrk_ctx_free(other);
}

static void test_encrypt_existing(void **s)
{
	char *store = fresh_store("enc"), *before, *key;
	gmrk_ctx *ctx = th_ctx_ek(EK1, 0, 0), *none = nokey_ctx();
	uint8_t pt[32], out[32];
	struct gmrk_db_info info;
	struct gmrk_key_info ki;
	unsigned int flags;
	size_t outlen;
	gmrk_error err;
	gmrk_ctx *allow;
	gmrk_key *k;
	gmrk_db *db;

	(void)s;
	must(gmrk_db_create(NULL, store, "logs", 0, 0, &err), &err);
	/* no master key: refused, nothing changed */
	before = snapshot(store);
	assert_int_equal(gmrk_db_encrypt(none, store, "logs", 0, &err), -GMRK_E_NOKEY);
	assert_string_equal(err.message,
			    "cannot encrypt database 'logs': no master key is configured (set GMRK_KEY or master_key_file)");
	assert_unchanged(store, before);
	/* interrupted after the key file was written: open refuses plaintext */
	key = db_file(store, "logs", "logs.key");
	k = gmrk_key_open(ctx, key, "logs", GMRK_KEY_CREATE | GMRK_KEY_EXCL, &err);
	assert_non_null(k);
	gmrk_key_info(k, &ki);
	gmrk_key_free(k);
	assert_int_equal(gmrk_db_open(NULL, store, "logs", &db, &err), -GMRK_E_CORRUPT);
	assert_non_null(strstr(err.message, "an interrupted encrypt? run it again"));
	/* running it again completes it, with that key */
	must(gmrk_db_encrypt(ctx, store, "logs", GMRK_CIPHER_CHACHA20_POLY1305, &err), &err);
	must(gmrk_db_stat(store, "logs", &info, &err), &err);
	assert_int_equal(info.encrypted, 1);
	assert_int_equal(info.plaintext_blocks, 1);
	assert_int_equal(info.cipher, GMRK_CIPHER_CHACHA20_POLY1305);
	assert_memory_equal(info.key_id, ki.id, GMRK_KEY_ID_LEN);
	assert_int_equal(gmrk_db_open(none, store, "logs", &db, &err), -GMRK_E_NOKEY);
	assert_string_equal(err.message, NOKEY_MSG("logs"));
	must(gmrk_db_open(ctx, store, "logs", &db, &err), &err);
	seal_open(ctx, gmrk_db_key(db), gmrk_db_key(db));
	/* an old plaintext block stays readable where the engine allows it */
	gmrk_db_close(db);
	allow = th_ctx_ek(EK1, 0, GMRK_CFG_ALLOW_PLAINTEXT);
	must(gmrk_db_open(allow, store, "logs", &db, &err), &err);
	th_fill(pt, sizeof(pt));
	must(gmrk_open(allow, gmrk_db_key(db), 0, NULL, 0, pt, sizeof(pt), out, sizeof(out),
		       &outlen, &flags, &err), &err);
	assert_true(flags & GMRK_BLOCK_PLAINTEXT);
	assert_memory_equal(out, pt, sizeof(pt));
	seal_open(allow, gmrk_db_key(db), gmrk_db_key(db));
	gmrk_db_close(db);
	gmrk_ctx_free(allow);
	/* again: already encrypted, nothing changed */
	before = snapshot(store);
	assert_int_equal(gmrk_db_encrypt(ctx, store, "logs", 0, &err), -GMRK_E_EXISTS);
	assert_non_null(strstr(err.message, "already encrypted (chacha20-poly1305)"));
	assert_unchanged(store, before);
	/* a plain one converted in one go */
	must(gmrk_db_create(NULL, store, "events", 0, 0, &err), &err);
	must(gmrk_db_encrypt(ctx, store, "events", 0, &err), &err);
	must(gmrk_db_open(ctx, store, "events", &db, &err), &err);
	assert_int_equal(gmrk_db_cipher(db), GMRK_CIPHER_AES_GCM);
	gmrk_db_close(db);
	before = snapshot(store);
	assert_null(strstr(before, "tmp"));
	free(before);
	free(key);
	free(store);
	gmrk_ctx_free(ctx);
	gmrk_ctx_free(none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_both_kinds),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_no_master_key),
		cmocka_unit_test(test_wrong_master_key),
		cmocka_unit_test(test_blocks_after_reopen),
		cmocka_unit_test(test_sm4),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_corrupt_manifest),
		cmocka_unit_test(test_swapped_key_file),
		cmocka_unit_test(test_interrupted_create),
		cmocka_unit_test(test_encrypt_existing),
	};

	return TH_RUN("db", tests);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk db end to end (the sanitized build, path in $GMRK_TEST_DB_CLI):
 * create, encrypt, list (text and JSON: which database is encrypted, its
 * cipher and key id), show and show --verify, the keystore from --store,
 * $GMRK_STORE or ./gmrk-store, the master key from $GMRK_KEY or
 * --master-key-file, and the exit statuses: 0, 1 for key errors (the
 * exact messages), 2 for usage and everything else, with nothing created
 * or changed by a failed command.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define EK1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define EK2 "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

extern char **environ;

struct run {
	int status;
	char *out, *err;
};

static char *drain(int fd)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	ssize_t r;

	while ((r = read(fd, b + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap)
			b = realloc(b, (cap *= 2) + 1);
	}
	b[n] = '\0';
	return b;
}

/*
 * Runs gmrk db with @argv (NULL-terminated, argv[0] is "db") in @cwd
 * (NULL: ours), environment ours without GMRK_KEY and GMRK_STORE, plus
 * @key and @store when not NULL. stderr goes to a file so a full pipe
 * cannot block it while stdout is read.
 */
static struct run db_run(const char *cwd, const char *key, const char *store,
			 const char *const *argv)
{
	const char *path = getenv("GMRK_TEST_DB_CLI");
	char errfile[] = "/tmp/gmrk-db-cli-err.XXXXXX", *env[256], kv[200], sv[700];
	posix_spawn_file_actions_t fa;
	int pout[2], ferr, st, n = 0, i;
	struct run r;
	pid_t pid;

	assert_non_null(path);
	for (i = 0; environ[i] && n < 250; i++)
		if (strncmp(environ[i], "GMRK_KEY=", 9) && strncmp(environ[i], "GMRK_STORE=", 11))
			env[n++] = environ[i];
	if (key) {
		snprintf(kv, sizeof(kv), "GMRK_KEY=%s", key);
		env[n++] = kv;
	}
	if (store) {
		snprintf(sv, sizeof(sv), "GMRK_STORE=%s", store);
		env[n++] = sv;
	}
	env[n] = NULL;
	ferr = mkstemp(errfile);
	assert_true(ferr >= 0);
	unlink(errfile);
	assert_int_equal(pipe(pout), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ferr, 2);
	posix_spawn_file_actions_addclose(&fa, pout[0]);
	if (cwd)
		posix_spawn_file_actions_addchdir_np(&fa, cwd);
	assert_int_equal(posix_spawn(&pid, path, &fa, NULL, (char *const *)argv, env), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(pout[1]);
	r.out = drain(pout[0]);
	close(pout[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	r.status = WEXITSTATUS(st);
	lseek(ferr, 0, SEEK_SET);
	r.err = drain(ferr);
	close(ferr);
	return r;
}

#define DB(...) ((const char *const[]){ "db", __VA_ARGS__, NULL })

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* runs and expects @status; returns the result for more checks */
static struct run expect(int status, const char *cwd, const char *key, const char *store,
			 const char *const *argv)
{
	struct run r = db_run(cwd, key, store, argv);

	if (r.status != status)
		fail_msg("gmrk %s %s: exit %d, wanted %d; stdout: %s; stderr: %s", argv[1],
			 argv[2] ? argv[2] : "", r.status, status, r.out, r.err);
	return r;
}

static void ok(const char *key, const char *const *argv)
{
	struct run r = expect(0, NULL, key, NULL, argv);

	assert_string_equal(r.err, "");
	run_free(&r);
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

static void test_create_list_show(void **s)
{
	char *store = th_path("cli"), id[17], want[300];
	struct run r;
	char *p;

	(void)s;
	ok(EK1, DB("create", "orders", "--encrypted", "--store", store));
	ok(NULL, DB("create", "--store", store, "logs"));
	ok(EK1, DB("create", "users", "--encrypted", "--cipher", "chachapoly", "--store", store));
	r = expect(0, NULL, NULL, NULL, DB("show", "orders", "--store", store, "--json"));
	p = strstr(r.out, "\"key_id\": \"");
	assert_non_null(p);
	memcpy(id, p + 11, 16);
	id[16] = '\0';
	assert_non_null(strstr(r.out, "{\"name\": \"orders\", \"encrypted\": true, "
				      "\"cipher\": \"aes-gcm\", \"key_id\": \""));
	assert_non_null(strstr(r.out, "\"key_file\": \"orders.key\", \"plaintext_blocks\": false"));
	run_free(&r);

	/* text: a header, then one row per database, in name order */
	r = expect(0, NULL, NULL, NULL, DB("list", "--store", store));
	assert_string_equal(r.err, "");
	assert_true(!strncmp(r.out, "NAME                     ENCRYPTED  CIPHER             "
				    "KEY-ID            CREATED\n", 75));
	assert_non_null(strstr(r.out, "\nlogs                     no         -                  "
				      "-                 20"));
	snprintf(want, sizeof(want), "\norders                   yes        aes-gcm            %s  20",
		 id);
	assert_non_null(strstr(r.out, want));
	assert_non_null(strstr(r.out, "\nusers                    yes        chacha20-poly1305  "));
	assert_true(strstr(r.out, "\nlogs") < strstr(r.out, "\norders"));
	assert_true(strstr(r.out, "\norders") < strstr(r.out, "\nusers"));
	run_free(&r);

	/* JSON: the same, machine-readable */
	r = expect(0, NULL, NULL, NULL, DB("list", "--json", "--store", store));
	assert_true(r.out[0] == '[');
	assert_non_null(strstr(r.out, "{\"name\": \"logs\", \"encrypted\": false, \"cipher\": null, "
				      "\"key_id\": null, \"key_file\": null, \"plaintext_blocks\": true"));
	snprintf(want, sizeof(want),
		 "{\"name\": \"orders\", \"encrypted\": true, \"cipher\": \"aes-gcm\", \"key_id\": \"%s\"",
		 id);
	assert_non_null(strstr(r.out, want));
	assert_non_null(strstr(r.out, "\"name\": \"users\", \"encrypted\": true, "
				      "\"cipher\": \"chacha20-poly1305\""));
	assert_non_null(strstr(r.out, "}\n]\n"));
	run_free(&r);

	/* show: text, then --verify with and without the right key */
	r = expect(0, NULL, NULL, NULL, DB("show", "orders", "--store", store));
	assert_non_null(strstr(r.out, "name:             orders\nencrypted:        yes\n"
				      "cipher:           aes-gcm\n"));
	snprintf(want, sizeof(want), "key id:           %s\n", id);
	assert_non_null(strstr(r.out, want));
	run_free(&r);
	r = expect(0, NULL, EK1, NULL, DB("show", "orders", "--verify", "--store", store));
	assert_non_null(strstr(r.out, "key:              opens with the configured master key\n"));
	run_free(&r);
	r = expect(1, NULL, NULL, NULL, DB("show", "orders", "--verify", "--store", store));
	assert_string_equal(r.err, "gmrk db: database 'orders' is encrypted but no master key "
				   "is configured (set GMRK_KEY or master_key_file)\n");
	assert_string_equal(r.out, "");
	run_free(&r);
	r = expect(1, NULL, EK2, NULL, DB("show", "orders", "--verify", "--store", store));
	snprintf(want, sizeof(want),
		 "gmrk db: database 'orders': error decrypting key file '%s/orders/orders.key': "
		 "aes-gcm: message authentication failed\n", store);
	assert_string_equal(r.err, want);
	run_free(&r);
	/* plaintext needs no key */
	r = expect(0, NULL, NULL, NULL, DB("show", "logs", "--verify", "--store", store));
	assert_non_null(strstr(r.out, "encrypted:        no\n"));
	run_free(&r);
	free(store);
}

static void test_key_errors(void **s)
{
	char *store = th_path("cli-keys"), *dir, *mk, want[400];
	struct run r;
	int fd;

	(void)s;
	r = expect(1, NULL, NULL, NULL, DB("create", "secret", "--encrypted", "--store", store));
	assert_string_equal(r.err, "gmrk db: cannot create encrypted database 'secret': no master "
				   "key is configured (set GMRK_KEY or master_key_file)\n");
	assert_string_equal(r.out, "");
	run_free(&r);
	assert_false(exists(store));	/* nothing created */
	/* the master key from a file */
	mk = th_path("cli-keys.ek");
	fd = open(mk, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_int_equal(write(fd, EK1 "\n", 65), 65);
	close(fd);
	ok(NULL, DB("create", "secret", "--encrypted", "--master-key-file", mk, "--store", store));
	ok(EK1, DB("show", "secret", "--verify", "--store", store));
	ok(NULL, DB("show", "secret", "--verify", "--master-key-file", mk, "--store", store));
	/* encrypting a plaintext one */
	ok(NULL, DB("create", "plain", "--store", store));
	r = expect(1, NULL, NULL, NULL, DB("encrypt", "plain", "--store", store));
	assert_non_null(strstr(r.err, "cannot encrypt database 'plain': no master key"));
	run_free(&r);
	dir = th_path("cli-keys/plain/plain.key");
	assert_false(exists(dir));
	r = expect(0, NULL, EK1, NULL, DB("encrypt", "plain", "--cipher", "chachapoly",
					  "--store", store));
	assert_non_null(strstr(r.out, "plain: encryption enabled"));
	assert_non_null(strstr(r.out, "encrypted with chacha20-poly1305, key id "));
	run_free(&r);
	assert_true(exists(dir));
	r = expect(0, NULL, NULL, NULL, DB("show", "plain", "--store", store));
	assert_non_null(strstr(r.out, "plaintext blocks: may exist (written before encryption "
				      "was enabled)\n"));
	run_free(&r);
	r = expect(2, NULL, EK1, NULL, DB("encrypt", "plain", "--store", store));
	assert_string_equal(r.err, "gmrk db: database 'plain' is already encrypted "
				   "(chacha20-poly1305)\n");
	run_free(&r);
	r = expect(1, NULL, EK2, NULL, DB("show", "plain", "--verify", "--store", store));
	snprintf(want, sizeof(want), "gmrk db: database 'plain': error decrypting key file '%s'",
		 dir);
	assert_true(!strncmp(r.err, want, strlen(want)));
	run_free(&r);
	free(dir);
	free(mk);
	free(store);
}

static void test_store_choice(void **s)
{
	char *work = th_path("cli-cwd"), *env = th_path("cli-env"), *path;
	struct run r;

	(void)s;
	assert_int_equal(mkdir(work, 0700), 0);
	/* default: ./gmrk-store */
	r = expect(0, work, NULL, NULL, DB("create", "here"));
	assert_non_null(strstr(r.out, "here: created, not encrypted, in ./gmrk-store\n"));
	run_free(&r);
	path = th_path("cli-cwd/gmrk-store/here/manifest");
	assert_true(exists(path));
	free(path);
	/* $GMRK_STORE */
	r = expect(0, work, NULL, env, DB("create", "there"));
	run_free(&r);
	path = th_path("cli-env/there/manifest");
	assert_true(exists(path));
	free(path);
	r = expect(0, work, NULL, env, DB("list"));
	assert_non_null(strstr(r.out, "\nthere "));
	assert_null(strstr(r.out, "\nhere "));
	run_free(&r);
	/* --store wins over $GMRK_STORE */
	r = expect(0, work, NULL, env, DB("list", "--store", "gmrk-store"));
	assert_non_null(strstr(r.out, "\nhere "));
	assert_null(strstr(r.out, "\nthere "));
	run_free(&r);
	/* a keystore nobody created yet is empty */
	r = expect(0, work, NULL, NULL, DB("list", "--store", "nowhere", "--json"));
	assert_string_equal(r.out, "[]\n");
	assert_non_null(strstr(r.err, "keystore 'nowhere' does not exist"));
	run_free(&r);
	free(work);
	free(env);
}

static void test_usage_and_errors(void **s)
{
	char *store = th_path("cli-err"), *man, want[400];
	struct run r;
	int fd;

	(void)s;
	ok(EK1, DB("create", "good", "--encrypted", "--store", store));
	ok(EK1, DB("create", "bad", "--store", store));
	r = expect(2, NULL, NULL, NULL, ((const char *const[]){ "db", NULL }));
	assert_non_null(strstr(r.err, "usage: gmrk db create NAME"));
	run_free(&r);
	r = expect(0, NULL, NULL, NULL, DB("--help"));
	assert_non_null(strstr(r.out, "usage: gmrk db create NAME"));
	run_free(&r);
	run_free((r = expect(2, NULL, NULL, NULL, DB("frobnicate")), &r));
	run_free((r = expect(2, NULL, NULL, NULL, DB("create", "--store", store)), &r));
	run_free((r = expect(2, NULL, NULL, NULL, DB("create", "a", "b", "--store", store)), &r));
	run_free((r = expect(2, NULL, NULL, NULL, DB("create", "a", "--bogus")), &r));
	run_free((r = expect(2, NULL, NULL, NULL, DB("list", "extra", "--store", store)), &r));
	run_free((r = expect(2, NULL, NULL, NULL, DB("list", "--encrypted", "--store", store)), &r));
	r = expect(2, NULL, EK1, NULL, DB("create", "x", "--cipher", "sm4", "--store", store));
	assert_string_equal(r.err, "gmrk db: --cipher needs --encrypted\n");
	run_free(&r);
	r = expect(2, NULL, EK1, NULL, DB("create", "x", "--encrypted", "--cipher", "rot13",
					  "--store", store));
	assert_non_null(strstr(r.err, "unsupported cipher 'rot13'"));
	run_free(&r);
	r = expect(2, NULL, EK1, NULL, DB("create", "../evil", "--store", store));
	assert_non_null(strstr(r.err, "gmrk db: invalid database name '../evil'"));
	run_free(&r);
	r = expect(2, NULL, EK1, NULL, DB("create", "good", "--store", store));
	snprintf(want, sizeof(want), "gmrk db: database 'good' already exists in keystore '%s'\n",
		 store);
	assert_string_equal(r.err, want);
	run_free(&r);
	r = expect(2, NULL, NULL, NULL, DB("show", "missing", "--store", store));
	assert_non_null(strstr(r.err, "no database 'missing' in keystore"));
	run_free(&r);
	/* a damaged manifest: still listed, marked, and the exit status says so */
	man = th_path("cli-err/bad/manifest");
	fd = open(man, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "gmrk-db-manifest 1\nname bad\n", 28), 28);
	close(fd);
	r = expect(2, NULL, NULL, NULL, DB("list", "--store", store));
	assert_non_null(strstr(r.out, "\nbad                      ?          -"));
	assert_non_null(strstr(r.out, "\ngood                     yes        aes-gcm"));
	assert_non_null(strstr(r.err, "is truncated: no checksum line"));
	run_free(&r);
	r = expect(2, NULL, NULL, NULL, DB("list", "--json", "--store", store));
	assert_non_null(strstr(r.out, "{\"name\": \"bad\", \"error\": \"manifest '"));
	assert_non_null(strstr(r.out, "{\"name\": \"good\", \"encrypted\": true"));
	run_free(&r);
	r = expect(2, NULL, EK1, NULL, DB("show", "bad", "--verify", "--store", store));
	assert_non_null(strstr(r.err, "manifest '"));
	run_free(&r);
	assert_true(exists(man));	/* nothing deleted */
	free(man);
	free(store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_list_show),
		cmocka_unit_test(test_key_errors),
		cmocka_unit_test(test_store_choice),
		cmocka_unit_test(test_usage_and_errors),
	};

	return TH_RUN("db_cli", tests);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk db: the databases of a keystore (lib/db.c), which of them are
 * encrypted, and their keys.
 *
 *   gmrk db create NAME [--encrypted] [--cipher C] [--store DIR] [--master-key-file F]
 *   gmrk db encrypt NAME [--cipher C] [--store DIR] [--master-key-file F]
 *   gmrk db list [--store DIR] [--json]
 *   gmrk db show NAME [--store DIR] [--json] [--verify [--master-key-file F]]
 *
 * The keystore is --store, else $GMRK_STORE, else ./gmrk-store. Exit
 * status: 0 ok, 1 a key error (no master key for an encrypted database,
 * wrong master key, a key file that fails authentication), 2 usage and
 * every other error. Messages go to stderr, one line each.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gmrk/db.h>

#include "cli.h"
#include "cmd_db.h"
#include "hex.h"

#define DB_DEFAULT_STORE "./gmrk-store"

struct db_opts {
	const char *store, *name, *cipher, *master_key_file;
	bool encrypted, json, verify;
};

static const char db_usage_text[] =
	"usage: gmrk db create NAME [--encrypted] [--cipher C] [--store DIR] [--master-key-file F]\n"
	"       gmrk db encrypt NAME [--cipher C] [--store DIR] [--master-key-file F]\n"
	"       gmrk db list [--store DIR] [--json]\n"
	"       gmrk db show NAME [--store DIR] [--json] [--verify] [--master-key-file F]\n"
	"keystore: --store, else $GMRK_STORE, else " DB_DEFAULT_STORE "\n"
	"master key: $GMRK_KEY (64 hex digits or a passphrase) or --master-key-file\n";

static void __attribute__((noreturn)) db_usage(void)
{
	fputs(db_usage_text, stderr);
	exit(EXIT_USAGE);
}

/* key errors are 1, as for authentication failures elsewhere in gmrk */
static int db_status(int rc)
{
	if (rc < 0)
		rc = -rc;
	if (rc == GMRK_E_NOKEY || rc == GMRK_E_WRONG_KEY || rc == GMRK_E_AUTH)
		return EXIT_AUTH;
	return EXIT_USAGE;
}

static void __attribute__((noreturn)) db_fail(int rc, const gmrk_error *err)
{
	cli_fail(db_status(rc), "%s", err->message[0] ? err->message : gmrk_strerror(rc));
}

/* @argv[0] is the subcommand; @need_name: exactly one NAME operand */
static void db_parse(int argc, char **argv, bool need_name, struct db_opts *o)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "encrypted", no_argument, NULL, 'e' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "master-key-file", required_argument, NULL, 'M' },
		{ "json", no_argument, NULL, 'j' },
		{ "verify", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "s:c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			o->store = optarg;
			break;
		case 'e':
			o->encrypted = true;
			break;
		case 'c':
			o->cipher = optarg;
			break;
		case 'M':
			o->master_key_file = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'v':
			o->verify = true;
			break;
		case 'h':
			fputs(db_usage_text, stdout);
			exit(EXIT_OK);
		default:
			db_usage();
		}
	}
	if (need_name) {
		if (argc - optind != 1)
			db_usage();
		o->name = argv[optind];
	} else if (argc != optind) {
		db_usage();
	}
	if (!o->store) {
		const char *env = getenv("GMRK_STORE");

		o->store = env && *env ? env : DB_DEFAULT_STORE;
	}
}

static gmrk_ctx *db_ctx(const struct db_opts *o)
{
	struct gmrk_config cfg;
	gmrk_error err;
	gmrk_ctx *ctx;

	gmrk_config_init(&cfg);
	cfg.master_key_file = o->master_key_file;
	ctx = gmrk_ctx_new(&cfg, &err);
	if (!ctx)
		db_fail(-err.code, &err);
	return ctx;
}

static void db_when(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "%lld", (long long)t);
}

/* a JSON string literal of @s */
static void db_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void db_json_info(const struct gmrk_db_info *i)
{
	char id[2 * GMRK_KEY_ID_LEN + 1], when[32];

	gmrk_hex(i->key_id, GMRK_KEY_ID_LEN, id);
	db_when(i->created, when);
	printf("{\"name\": ");
	db_json_str(i->name);
	printf(", \"encrypted\": %s, \"cipher\": ", i->encrypted ? "true" : "false");
	if (i->encrypted)
		db_json_str(gmrk_cipher_name(i->cipher));
	else
		printf("null");
	printf(", \"key_id\": ");
	if (i->encrypted)
		db_json_str(id);
	else
		printf("null");
	printf(", \"key_file\": ");
	if (i->encrypted)
		db_json_str(i->key_file);
	else
		printf("null");
	printf(", \"plaintext_blocks\": %s, \"created\": \"%s\", \"format\": %u}",
	       i->plaintext_blocks ? "true" : "false", when, i->format);
}

static void db_text_row(const char *name, const char *enc, const char *cipher,
			const char *id, const char *when)
{
	printf("%-24s %-9s  %-17s  %-16s  %s\n", name, enc, cipher, id, when);
}

struct db_list_state {
	const struct db_opts *o;
	int n, bad;
};

static int db_list_one(const struct gmrk_db_info *i, const gmrk_error *problem, void *arg)
{
	struct db_list_state *st = arg;
	char id[2 * GMRK_KEY_ID_LEN + 1], when[32];

	if (st->o->json) {
		printf("%s\n  ", st->n ? "," : "");
		if (problem) {
			printf("{\"name\": ");
			db_json_str(i->name);
			printf(", \"error\": ");
			db_json_str(problem->message);
			printf("}");
		} else {
			db_json_info(i);
		}
	} else if (problem) {
		db_text_row(i->name, "?", "-", "-", "-");
	} else {
		gmrk_hex(i->key_id, GMRK_KEY_ID_LEN, id);
		db_when(i->created, when);
		db_text_row(i->name, i->encrypted ? "yes" : "no",
			    i->encrypted ? gmrk_cipher_name(i->cipher) : "-",
			    i->encrypted ? id : "-", when);
	}
	if (problem) {
		fprintf(stderr, "%s: %s\n", cli_cmd, problem->message);
		st->bad++;
	}
	st->n++;
	return 0;
}

static int db_list(int argc, char **argv)
{
	struct db_list_state st = { 0 };
	struct db_opts o;
	gmrk_error err;
	int rc;

	db_parse(argc, argv, false, &o);
	st.o = &o;
	if (o.encrypted || o.cipher || o.verify || o.master_key_file)
		db_usage();
	if (o.json)
		printf("[");
	else
		db_text_row("NAME", "ENCRYPTED", "CIPHER", "KEY-ID", "CREATED");
	rc = gmrk_db_list(o.store, db_list_one, &st, &err);
	if (o.json)
		printf("%s]\n", st.n ? "\n" : "");
	fflush(stdout);
	if (rc == -GMRK_E_NOENT) {
		/* an empty keystore is one nobody created yet */
		fprintf(stderr, "%s: %s (no databases)\n", cli_cmd, err.message);
		return EXIT_OK;
	}
	if (rc < 0)
		db_fail(rc, &err);
	return st.bad ? EXIT_USAGE : EXIT_OK;
}

static enum gmrk_cipher db_cipher_opt(const struct db_opts *o)
{
	return o->cipher ? cli_cipher(o->cipher) : GMRK_CIPHER_NONE;
}

static void db_print_created(const char *what, const char *store, const char *name)
{
	struct gmrk_db_info i;
	char id[2 * GMRK_KEY_ID_LEN + 1];
	gmrk_error err;
	int rc = gmrk_db_stat(store, name, &i, &err);

	if (rc)
		db_fail(rc, &err);
	gmrk_hex(i.key_id, GMRK_KEY_ID_LEN, id);
	if (i.encrypted)
		printf("%s: %s, encrypted with %s, key id %s, in %s\n", name, what,
		       gmrk_cipher_name(i.cipher), id, store);
	else
		printf("%s: %s, not encrypted, in %s\n", name, what, store);
}

static int db_create(int argc, char **argv)
{
	gmrk_ctx *ctx = NULL;
	struct db_opts o;
	gmrk_error err;
	int rc;

	db_parse(argc, argv, true, &o);
	if (o.json || o.verify)
		db_usage();
	if (o.cipher && !o.encrypted)
		cli_fail(EXIT_USAGE, "--cipher needs --encrypted");
	if (o.encrypted)
		ctx = db_ctx(&o);
	rc = gmrk_db_create(ctx, o.store, o.name, o.encrypted ? GMRK_DB_ENCRYPTED : 0,
			    db_cipher_opt(&o), &err);
	gmrk_ctx_free(ctx);
	if (rc)
		db_fail(rc, &err);
	db_print_created("created", o.store, o.name);
	return EXIT_OK;
}

static int db_encrypt(int argc, char **argv)
{
	struct db_opts o;
	gmrk_error err;
	gmrk_ctx *ctx;
	int rc;

	db_parse(argc, argv, true, &o);
	if (o.json || o.verify || o.encrypted)
		db_usage();
	ctx = db_ctx(&o);
	rc = gmrk_db_encrypt(ctx, o.store, o.name, db_cipher_opt(&o), &err);
	gmrk_ctx_free(ctx);
	if (rc)
		db_fail(rc, &err);
	db_print_created("encryption enabled (blocks written before stay readable)",
			 o.store, o.name);
	return EXIT_OK;
}

static int db_show(int argc, char **argv)
{
	char id[2 * GMRK_KEY_ID_LEN + 1], when[32];
	struct gmrk_db_info i;
	struct db_opts o;
	gmrk_error err;
	int rc;

	db_parse(argc, argv, true, &o);
	if (o.encrypted || o.cipher)
		db_usage();
	rc = gmrk_db_stat(o.store, o.name, &i, &err);
	if (rc)
		db_fail(rc, &err);
	if (o.verify) {
		gmrk_ctx *ctx = db_ctx(&o);
		gmrk_db *db;

		rc = gmrk_db_open(ctx, o.store, o.name, &db, &err);
		gmrk_db_close(db);
		gmrk_ctx_free(ctx);
		if (rc)
			db_fail(rc, &err);
	}
	if (o.json) {
		db_json_info(&i);
		putchar('\n');
		return EXIT_OK;
	}
	gmrk_hex(i.key_id, GMRK_KEY_ID_LEN, id);
	db_when(i.created, when);
	printf("name:             %s\n", i.name);
	printf("encrypted:        %s\n", i.encrypted ? "yes" : "no");
	printf("cipher:           %s\n", i.encrypted ? gmrk_cipher_name(i.cipher) : "-");
	printf("plaintext blocks: %s\n", i.plaintext_blocks ?
	       (i.encrypted ? "may exist (written before encryption was enabled)" : "yes") :
	       "no");
	if (i.encrypted) {
		printf("key file:         %s/%s/%s\n", o.store, i.name, i.key_file);
		printf("key id:           %s\n", id);
	}
	printf("created:          %s\n", when);
	printf("manifest format:  %u\n", i.format);
	if (o.verify)
		printf("key:              %s\n", i.encrypted ?
		       "opens with the configured master key" : "none needed");
	return EXIT_OK;
}

int gmrk_cmd_db(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	cli_cmd = "gmrk db";
	if (!sub)
		db_usage();
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		fputs(db_usage_text, stdout);
		return EXIT_OK;
	}
	if (!strcmp(sub, "create"))
		return db_create(argc - 1, argv + 1);
	if (!strcmp(sub, "encrypt"))
		return db_encrypt(argc - 1, argv + 1);
	if (!strcmp(sub, "list"))
		return db_list(argc - 1, argv + 1);
	if (!strcmp(sub, "show"))
		return db_show(argc - 1, argv + 1);
	cli_fail(EXIT_USAGE, "unknown subcommand '%s' (create, encrypt, list, show)", sub);
}

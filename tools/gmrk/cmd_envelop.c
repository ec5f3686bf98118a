// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk envelop: master-key rotation. Rewraps every asset key (all its
 * versions) from the current master key, configured as usual ($GMRK_KEY,
 * GMRK_SM2_*, GMRK_TPM_*, GMRK_CARD_KEY, --master-key-file), to the new one named by a
 * --to-* option, through gmrk_key_rewrap(): each key file is replaced
 * crash-safe only after the new one is checked to give back the same
 * keys, and a file that already opens under the new key is left alone,
 * so an interrupted run is finished by running it again.
 *
 * Secrets never reach the command line or the output: the new key comes
 * from an environment variable or a file, pincodes and TPM passwords from
 * GMRK_TO_PINCODE / GMRK_TO_TPM_PASSWORD (removed once read), and the
 * configuration printed at the end names where the key is, not the key.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"


static const char usage_text[] =
	"usage: gmrk envelop NEW-KEY [--master-key-file F] [--cipher C] KEYFILE...\n"
	"       gmrk envelop NEW-KEY [--master-key-file F] [--cipher C] --store DIR\n"
	"NEW-KEY, one of:\n"
	"  --to-key-env VAR          the new key is in environment variable VAR\n"
	"                            (64 hex digits or a passphrase)\n"
	"  --to-key-file F           the new key is in file F (mode 0600)\n"
	"  --to-sm2-public-key HEX --to-sm2-private-key-file F\n"
	"                            a new SM2 key pair; its pincode in $GMRK_TO_PINCODE\n"
	"  --to-tpm-keys-file F [--to-tpm-pcr N] [--to-tpm-tcti T]\n"
	"                            a TPM-sealed key (created when F does not exist);\n"
	"                            its password in $GMRK_TO_TPM_PASSWORD\n"
	"  --to-card-key SLOT|gmrkN:SLOT\n"
	"                            a gm-rk card's key slot (gmrk cardkey generate)\n"
	"the current master key: $GMRK_KEY, GMRK_SM2_*, GMRK_TPM_*, GMRK_CARD_KEY or\n"
	"--master-key-file\n"
	"--store DIR: every *.key under DIR (recursively), e.g. a gmrk db keystore\n"
	"exit status: 0 every key file is under the new key, 1 some could not be\n"
	"rewrapped (named), 2 usage or configuration errors\n";

struct env_opts {
	const char *to_env, *to_file, *to_sm2_pub, *to_sm2_priv;
	const char *to_tpm_file, *to_tpm_tcti;
	const char *to_card;
	int to_tpm_pcr;
	const char *master_key_file, *cipher, *store;
};

/* the files to rotate */
struct env_list {
	char **path;
	size_t n, cap;
};

static void usage(void)
{
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

static void list_add(struct env_list *l, const char *path)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		char **p = realloc(l->path, cap * sizeof(*p));

		if (!p)
			cli_fail(EXIT_USAGE, "out of memory");
		l->path = p;
		l->cap = cap;
	}
	l->path[l->n] = strdup(path);
	if (!l->path[l->n])
		cli_fail(EXIT_USAGE, "out of memory");
	l->n++;
}

static bool is_key_name(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && !strcmp(name + n - 4, ".key");
}

/* every regular *.key under @dir; symbolic links are not followed */
static void scan(struct env_list *l, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		cli_fail(EXIT_USAGE, "--store '%s': %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		struct stat st;
		char *p;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
			cli_fail(EXIT_USAGE, "out of memory");
		if (lstat(p, &st)) {
			free(p);
			continue;
		}
		if (S_ISDIR(st.st_mode))
			scan(l, p);
		else if (S_ISREG(st.st_mode) && is_key_name(de->d_name))
			list_add(l, p);
		free(p);
	}
	closedir(d);
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static gmrk_ctx *ctx_or_fail(const struct gmrk_config *cfg, const char *what)
{
	gmrk_error err;
	gmrk_ctx *ctx = gmrk_ctx_new(cfg, &err);

	if (!ctx)
		cli_fail(EXIT_USAGE, "%s: %s", what, err.message);
	return ctx;
}

/* the secret in environment variable @name, removed from the environment */
static char *take_env(const char *name)
{
	const char *v = getenv(name);
	char *copy;

	if (!v || !*v)
		return NULL;
	copy = strdup(v);
	if (!copy)
		cli_fail(EXIT_USAGE, "out of memory");
	unsetenv(name);
	return copy;
}

static void wipe(char *s)
{
	if (!s)
		return;
	for (volatile char *p = s; *p; p++)
		*p = 0;
	free(s);
}

static gmrk_ctx *new_ctx(const struct env_opts *o, enum gmrk_cipher c)
{
	struct gmrk_config cfg;
	char *pin = NULL, *tpm_pw = NULL, *key = NULL;
	gmrk_ctx *ctx;

	gmrk_config_init(&cfg);
	/* only what the --to-* options say: never the current key's variables */
	cfg.flags |= GMRK_CFG_IGNORE_ENV;
	if (c)
		cfg.cipher = c;
	if (o->to_env) {
		const char *v = getenv(o->to_env);

		if (!v || !*v)
			cli_fail(EXIT_USAGE, "--to-key-env: environment variable %s is not set",
				 o->to_env);
		key = strdup(v);
		if (!key)
			cli_fail(EXIT_USAGE, "out of memory");
		cfg.master_key = key;
		cfg.master_key_len = strlen(key);
	} else if (o->to_file) {
		cfg.master_key_file = o->to_file;
	} else if (o->to_sm2_pub || o->to_sm2_priv) {
		if (!o->to_sm2_pub || !o->to_sm2_priv)
			cli_fail(EXIT_USAGE,
				 "an SM2 master key needs --to-sm2-public-key and --to-sm2-private-key-file (every rewrapped file is verified with it)");
		pin = take_env("GMRK_TO_PINCODE");
		if (!pin)
			cli_fail(EXIT_USAGE, "the new SM2 key's pincode: set GMRK_TO_PINCODE");
		cfg.sm2_public_key = o->to_sm2_pub;
		cfg.sm2_private_key_file = o->to_sm2_priv;
		cfg.sm2_pincode = pin;
	} else if (o->to_card) {
		cfg.card_key = o->to_card;
	} else {
		tpm_pw = take_env("GMRK_TO_TPM_PASSWORD");
		if (!tpm_pw)
			cli_fail(EXIT_USAGE, "the new TPM key's password: set GMRK_TO_TPM_PASSWORD");
		cfg.tpm_keys_file = o->to_tpm_file;
		cfg.tpm_encryption_password = tpm_pw;
		cfg.tpm_pcr = o->to_tpm_pcr;
		cfg.tpm_tcti = o->to_tpm_tcti;
	}
	ctx = ctx_or_fail(&cfg, "the new master key");
	wipe(key);
	wipe(pin);
	wipe(tpm_pw);
	return ctx;
}

/* the configuration to use from now on; names sources, never secrets */
static void print_config(const struct env_opts *o)
{
	printf("\nfrom now on use the new master key, e.g.:\n");
	if (o->to_env) {
		printf("  unset GMRK_SM2_PUBLIC_KEY GMRK_SM2_PRIVATE_KEY_FILE GMRK_TPM_KEYS_FILE GMRK_CARD_KEY\n");
		printf("  export GMRK_KEY=\"$%s\"\n", o->to_env);
	} else if (o->to_file) {
		printf("  unset GMRK_KEY GMRK_SM2_PUBLIC_KEY GMRK_SM2_PRIVATE_KEY_FILE GMRK_TPM_KEYS_FILE GMRK_CARD_KEY\n");
		printf("  master key file: %s (gmrk --master-key-file %s, gmrk_config.master_key_file)\n",
		       o->to_file, o->to_file);
	} else if (o->to_sm2_pub) {
		printf("  unset GMRK_KEY GMRK_TPM_KEYS_FILE GMRK_CARD_KEY\n");
		printf("  export GMRK_SM2_PUBLIC_KEY=%s\n", o->to_sm2_pub);
		printf("  export GMRK_SM2_PRIVATE_KEY_FILE=%s\n", o->to_sm2_priv);
		printf("  GMRK_PINCODE=<the new key's pincode>, for the reading process only\n");
	} else if (o->to_card) {
		printf("  unset GMRK_KEY GMRK_SM2_PUBLIC_KEY GMRK_SM2_PRIVATE_KEY_FILE GMRK_TPM_KEYS_FILE\n");
		printf("  export GMRK_CARD_KEY=%s\n", o->to_card);
		printf("  (the key files now open only where the card holding that key is)\n");
	} else {
		printf("  unset GMRK_KEY GMRK_SM2_PUBLIC_KEY GMRK_SM2_PRIVATE_KEY_FILE GMRK_CARD_KEY\n");
		printf("  export GMRK_TPM_KEYS_FILE=%s\n", o->to_tpm_file);
		if (o->to_tpm_pcr)
			printf("  export GMRK_TPM_PCR=%d\n", o->to_tpm_pcr);
		if (o->to_tpm_tcti)
			printf("  export GMRK_TPM_TCTI=%s\n", o->to_tpm_tcti);
		printf("  GMRK_TPM_PASSWORD=<the new key's password>, for the reading process only\n");
	}
	printf("keep the old master key until the engines run with the new one and a\n"
	       "second run of this command reports every key file \"already\"\n");
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* "envelop [#####.....]  12/20" on a terminal's stderr */
static void bar(bool on, size_t done, size_t total)
{
	char b[31];
	size_t fill = total ? done * 30 / total : 30, i;

	if (!on)
		return;
	for (i = 0; i < 30; i++)
		b[i] = i < fill ? '#' : '.';
	b[30] = '\0';
	fprintf(stderr, "\renvelop [%s] %zu/%zu ", b, done, total);
}

static void parse(int argc, char **argv, struct env_opts *o, struct env_list *l)
{
	static const struct option opts[] = {
		{ "to-key-env", required_argument, NULL, 'E' },
		{ "to-key-file", required_argument, NULL, 'F' },
		{ "to-sm2-public-key", required_argument, NULL, 'P' },
		{ "to-sm2-private-key-file", required_argument, NULL, 'S' },
		{ "to-tpm-keys-file", required_argument, NULL, 'T' },
		{ "to-tpm-pcr", required_argument, NULL, 'R' },
		{ "to-tpm-tcti", required_argument, NULL, 'I' },
		{ "to-card-key", required_argument, NULL, 'C' },
		{ "master-key-file", required_argument, NULL, 'M' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt, kinds;
	char *end;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'E':
			o->to_env = optarg;
			break;
		case 'F':
			o->to_file = optarg;
			break;
		case 'P':
			o->to_sm2_pub = optarg;
			break;
		case 'S':
			o->to_sm2_priv = optarg;
			break;
		case 'T':
			o->to_tpm_file = optarg;
			break;
		case 'I':
			o->to_tpm_tcti = optarg;
			break;
		case 'C':
			o->to_card = optarg;
			break;
		case 'M':
			o->master_key_file = optarg;
			break;
		case 'c':
			o->cipher = optarg;
			break;
		case 's':
			o->store = optarg;
			break;
		case 'R':
			errno = 0;
			o->to_tpm_pcr = (int)strtol(optarg, &end, 10);
			if (errno || *end || !*optarg)
				cli_fail(EXIT_USAGE, "--to-tpm-pcr '%s': expected 17 to 23", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		default:
			usage();
		}
	}
	kinds = !!o->to_env + !!o->to_file + !!(o->to_sm2_pub || o->to_sm2_priv) +
		!!o->to_tpm_file + !!o->to_card;
	if (kinds != 1)
		cli_fail(EXIT_USAGE, "name the new master key with exactly one of --to-key-env, --to-key-file, --to-sm2-*, --to-tpm-keys-file, --to-card-key");
	if ((o->to_tpm_pcr || o->to_tpm_tcti) && !o->to_tpm_file)
		cli_fail(EXIT_USAGE, "--to-tpm-pcr and --to-tpm-tcti go with --to-tpm-keys-file");
	if (!!o->store == (optind < argc))
		cli_fail(EXIT_USAGE, "give key files or --store DIR (one of the two)");
	if (o->store)
		scan(l, o->store);
	for (; optind < argc; optind++)
		list_add(l, argv[optind]);
	qsort(l->path, l->n, sizeof(*l->path), cmp_path);
}

int gmrk_cmd_envelop(int argc, char **argv)
{
	struct env_opts o;
	struct env_list l = { 0 };
	struct gmrk_config cfg;
	gmrk_ctx *from, *to;
	size_t i, rewrapped = 0, already = 0, failed = 0;
	bool tty = isatty(STDERR_FILENO);
	uint64_t last = 0;

	cli_cmd = "gmrk envelop";
	parse(argc, argv, &o, &l);
	gmrk_config_init(&cfg);
	cfg.master_key_file = o.master_key_file;
	from = ctx_or_fail(&cfg, "the current master key");
	to = new_ctx(&o, o.cipher ? cli_cipher(o.cipher) : GMRK_CIPHER_NONE);
	if (!l.n)
		fprintf(stderr, "%s: no key files under '%s'\n", cli_cmd, o.store);
	for (i = 0; i < l.n; i++) {
		gmrk_error err;
		int rc = gmrk_key_rewrap(from, to, l.path[i], NULL, &err);

		if (tty)
			fputs("\r\033[K", stderr);
		if (rc == 0) {
			rewrapped++;
			printf("rewrapped  %s\n", l.path[i]);
		} else if (rc == 1) {
			already++;
			printf("already    %s\n", l.path[i]);
		} else {
			failed++;
			printf("FAILED     %s: %s\n", l.path[i], err.message);
		}
		fflush(stdout);
		if (tty && (now_ms() - last >= 100 || i + 1 == l.n)) {
			last = now_ms();
			bar(tty, i + 1, l.n);
		}
	}
	if (tty && l.n)
		fputc('\n', stderr);
	printf("%zu key files: %zu rewrapped, %zu already under the new key, %zu failed\n",
	       l.n, rewrapped, already, failed);
	gmrk_ctx_free(from);
	gmrk_ctx_free(to);
	for (i = 0; i < l.n; i++)
		free(l.path[i]);
	free(l.path);
	if (failed) {
		fprintf(stderr, "%s: %zu key file%s could not be rewrapped (listed above); they are unchanged, run again once fixed\n",
			cli_cmd, failed, failed == 1 ? "" : "s");
		return EXIT_AUTH;
	}
	print_config(&o);
	return EXIT_OK;
}

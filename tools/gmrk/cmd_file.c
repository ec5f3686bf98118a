// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk seal / gmrk open: files of any size in the block format.
 *
 * A sealed file is a sequence of blocks (Documentation/gmrk/block-format.rst)
 * of --block-size payload bytes (64 KiB by default; the last one shorter,
 * possibly empty). Block i is sealed at position i with associated data
 * "gmrk-file-v1" followed by one byte, 1 for the last block and 0 for the
 * others: blocks cannot be reordered, dropped from the end or from the
 * middle without gmrk open noticing. Blocks go to libgmrk 16 at a time
 * (gmrk_seal_many/gmrk_open_many) so the card sees many in flight.
 *
 * Output goes to a temporary file next to the destination, fsynced and
 * renamed when everything succeeded; on failure it is removed. The input
 * is never modified. The asset key lives in a key file, by default the
 * sealed file's name plus ".key", created by gmrk seal if missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define FILE_AD		"gmrk-file-v1"
#define FILE_ADLEN	(sizeof(FILE_AD) - 1 + 1)
#define BATCH		16
#define DEFAULT_BLOCK	(64u * 1024)
#define MAX_BLOCK	(64u << 20)

struct file_opts {
	const char *in, *out, *key_file, *asset, *master_key_file;
	const char *cipher, *backend;
	size_t block;
	bool force;
};

struct out_file {
	const char *path;	/* NULL: stdout */
	char *tmp;
	int fd;
};

static void file_usage(bool seal)
{
	if (seal)
		cli_fail(EXIT_USAGE,
			 "usage: gmrk seal [--cipher C] [--key-file K] [--asset NAME] [--master-key-file F] [--block-size N] [--backend B] [-f] INPUT [-o OUTPUT]");
	cli_fail(EXIT_USAGE,
		 "usage: gmrk open [--key-file K] [--asset NAME] [--master-key-file F] [--backend B] [-f] INPUT [-o OUTPUT]");
}

static void parse_opts(int argc, char **argv, bool seal, struct file_opts *o)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "asset", required_argument, NULL, 'A' },
		{ "master-key-file", required_argument, NULL, 'M' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "backend", required_argument, NULL, 'b' },
		{ "block-size", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	memset(o, 0, sizeof(*o));
	o->block = DEFAULT_BLOCK;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "o:k:c:b:s:fh", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			o->out = optarg;
			break;
		case 'k':
			o->key_file = optarg;
			break;
		case 'A':
			o->asset = optarg;
			break;
		case 'M':
			o->master_key_file = optarg;
			break;
		case 'c':
			if (!seal)
				cli_fail(EXIT_USAGE, "--cipher: blocks record their cipher; only seal takes it");
			o->cipher = optarg;
			break;
		case 'b':
			o->backend = optarg;
			break;
		case 's':
			if (!seal || cli_parse_size(optarg, &o->block) || !o->block ||
			    o->block > MAX_BLOCK)
				cli_fail(EXIT_USAGE, "--block-size: 1 byte to 64 MiB (seal only)");
			break;
		case 'f':
			o->force = true;
			break;
		case 'h':
			file_usage(seal);
			break;
		default:
			cli_fail(EXIT_USAGE, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		file_usage(seal);
	o->in = argv[optind];
}

static char *path_plus(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	char *s = malloc(n + m + 1);

	if (!s)
		cli_fail(EXIT_USAGE, "out of memory");
	memcpy(s, a, n);
	memcpy(s + n, b, m + 1);
	return s;
}

static int open_input(const char *path, uint64_t *size)
{
	struct stat st;
	int fd;

	*size = 0;
	if (!strcmp(path, "-"))
		return STDIN_FILENO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		cli_fail(EXIT_USAGE, "'%s': %s", path, strerror(errno));
	if (!fstat(fd, &st) && S_ISREG(st.st_mode))
		*size = (uint64_t)st.st_size;
	return fd;
}

static void out_begin(struct out_file *o, const char *path, bool force, mode_t mode)
{
	memset(o, 0, sizeof(*o));
	if (!strcmp(path, "-")) {
		o->fd = STDOUT_FILENO;
		return;
	}
	if (!force && !access(path, F_OK))
		cli_fail(EXIT_USAGE, "'%s' exists (use -f to replace it)", path);
	o->path = path;
	o->tmp = path_plus(path, ".tmp.XXXXXX");
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0)
		cli_fail(EXIT_USAGE, "cannot create '%s': %s", o->tmp, strerror(errno));
	if (fchmod(o->fd, mode)) {
		unlink(o->tmp);
		cli_fail(EXIT_USAGE, "'%s': %s", o->tmp, strerror(errno));
	}
}

static void out_abort(struct out_file *o)
{
	if (o->tmp) {
		close(o->fd);
		unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
	}
}

static void out_write(struct out_file *o, const void *buf, size_t len)
{
	int rc = cli_write_all(o->fd, buf, len);

	if (rc) {
		out_abort(o);
		cli_fail(EXIT_USAGE, "writing '%s': %s", o->path ? o->path : "stdout",
			 strerror(-rc));
	}
}

static void out_commit(struct out_file *o)
{
	if (!o->tmp)
		return;
	if (fsync(o->fd) || close(o->fd) || rename(o->tmp, o->path)) {
		int e = errno;

		unlink(o->tmp);
		cli_fail(EXIT_USAGE, "writing '%s': %s", o->path, strerror(e));
	}
	free(o->tmp);
	o->tmp = NULL;
}

static gmrk_ctx *file_ctx(const struct file_opts *o)
{
	struct gmrk_config cfg;
	gmrk_error err;
	gmrk_ctx *ctx;

	gmrk_config_init(&cfg);
	if (o->cipher)
		cfg.cipher = cli_cipher(o->cipher);
	if (o->backend)
		cfg.backend = cli_backend(o->backend);
	cfg.master_key_file = o->master_key_file;
	ctx = gmrk_ctx_new(&cfg, &err);
	if (!ctx)
		cli_fail_gmrk(-err.code, &err);
	return ctx;
}

static void file_ad(uint8_t ad[FILE_ADLEN], bool final)
{
	memcpy(ad, FILE_AD, FILE_ADLEN - 1);
	ad[FILE_ADLEN - 1] = final;
}

int cmd_seal(int argc, char **argv)
{
	uint8_t *in[BATCH + 1], *out[BATCH], ad[BATCH][FILE_ADLEN];
	struct gmrk_block blk[BATCH];
	long long got[BATCH + 1];
	struct cli_progress prog;
	struct file_opts o;
	struct out_file of;
	uint64_t size, pos = 0;
	gmrk_error err;
	gmrk_ctx *ctx;
	gmrk_key *key;
	char *out_path, *key_path;
	int fd, i, n = 0, rc;
	bool final = false;

	cli_cmd = "gmrk seal";
	parse_opts(argc, argv, true, &o);
	out_path = o.out ? strdup(o.out) : !strcmp(o.in, "-") ? strdup("-") :
		   path_plus(o.in, ".gmrk");
	if (!o.key_file && !strcmp(out_path, "-"))
		cli_fail(EXIT_USAGE, "sealing to stdout needs --key-file");
	key_path = o.key_file ? strdup(o.key_file) : path_plus(out_path, ".key");
	ctx = file_ctx(&o);
	key = gmrk_key_open(ctx, key_path, o.asset, GMRK_KEY_CREATE, &err);
	if (!key)
		cli_fail_gmrk(-err.code, &err);
	fd = open_input(o.in, &size);
	for (i = 0; i <= BATCH; i++) {
		in[i] = malloc(o.block);
		if (i < BATCH)
			out[i] = malloc(gmrk_sealed_len(o.block));
		if (!in[i] || (i < BATCH && !out[i]))
			cli_fail(EXIT_USAGE, "out of memory");
	}
	out_begin(&of, out_path, o.force, 0644);
	cli_progress_start(&prog, "sealing", size);
	got[0] = cli_read_full(fd, in[0], o.block);
	while (!final) {
		if (got[n] < 0) {
			out_abort(&of);
			cli_fail(EXIT_USAGE, "reading '%s': %s", o.in, strerror((int)-got[n]));
		}
		/* a block is the last one when nothing follows it */
		if ((size_t)got[n] < o.block) {
			final = true;
		} else {
			got[n + 1] = cli_read_full(fd, in[n + 1], o.block);
			final = got[n + 1] == 0;
		}
		file_ad(ad[n], final);
		blk[n] = (struct gmrk_block){
			.position = pos + (uint64_t)n, .ad = ad[n], .adlen = FILE_ADLEN,
			.in = in[n], .inlen = (size_t)got[n],
			.out = out[n], .outcap = gmrk_sealed_len(o.block),
		};
		n++;
		if (n < BATCH && !final)
			continue;
		rc = gmrk_seal_many(ctx, key, blk, (size_t)n, &err);
		if (rc) {
			out_abort(&of);
			cli_fail_gmrk(rc, &err);
		}
		for (i = 0; i < n; i++) {
			out_write(&of, out[i], blk[i].outlen);
			cli_progress_add(&prog, blk[i].inlen);
		}
		pos += (uint64_t)n;
		if (!final) {
			/* the block read ahead becomes the first of the next batch */
			uint8_t *t = in[0];

			in[0] = in[n];
			in[n] = t;
			got[0] = got[n];
		}
		n = 0;
	}
	out_commit(&of);
	cli_progress_end(&prog);
	for (i = 0; i <= BATCH; i++) {
		free(in[i]);
		if (i < BATCH)
			free(out[i]);
	}
	gmrk_key_free(key);
	gmrk_ctx_free(ctx);
	free(out_path);
	free(key_path);
	return EXIT_OK;
}

/* Reads one sealed block: 1, or 0 at a clean end of file. */
static int read_block(int fd, uint8_t **buf, size_t *cap, size_t *len,
		      uint64_t index, struct out_file *of)
{
	struct gmrk_block_info bi;
	gmrk_error err;
	long long n;
	size_t need;

	n = cli_read_full(fd, *buf, GMRK_HEADER_LEN);
	if (n == 0)
		return 0;
	if (n < 0) {
		out_abort(of);
		cli_fail(EXIT_USAGE, "reading input: %s", strerror((int)-n));
	}
	if (gmrk_block_info(*buf, (size_t)n, &bi, &err)) {
		out_abort(of);
		cli_fail(err.code == GMRK_E_UNSUPPORTED ? EXIT_USAGE : EXIT_AUTH,
			 "block %llu: %s", (unsigned long long)index, err.message);
	}
	if (!bi.encrypted) {
		out_abort(of);
		cli_fail(EXIT_USAGE, "block %llu: not a gmrk sealed file (no gmrk header)",
			 (unsigned long long)index);
	}
	if (bi.payload_len > MAX_BLOCK) {
		out_abort(of);
		cli_fail(EXIT_AUTH, "block %llu: corrupt: %zu-byte block is larger than gmrk seal writes",
			 (unsigned long long)index, bi.payload_len);
	}
	need = bi.sealed_len;
	if (need > *cap) {
		uint8_t *nb = realloc(*buf, need);

		if (!nb)
			cli_fail(EXIT_USAGE, "out of memory");
		*buf = nb;
		*cap = need;
	}
	n = cli_read_full(fd, *buf + GMRK_HEADER_LEN, need - GMRK_HEADER_LEN);
	if (n < 0) {
		out_abort(of);
		cli_fail(EXIT_USAGE, "reading input: %s", strerror((int)-n));
	}
	if ((size_t)n != need - GMRK_HEADER_LEN) {
		out_abort(of);
		cli_fail(EXIT_AUTH, "block %llu: truncated: the file ends inside it",
			 (unsigned long long)index);
	}
	*len = need;
	return 1;
}

static char *default_open_out(const char *in)
{
	size_t n = strlen(in);
	char *s;

	if (n <= 5 || strcmp(in + n - 5, ".gmrk"))
		cli_fail(EXIT_USAGE, "'%s' does not end in .gmrk: name the output with -o", in);
	s = strdup(in);
	if (!s)
		cli_fail(EXIT_USAGE, "out of memory");
	s[n - 5] = '\0';
	return s;
}

int cmd_open(int argc, char **argv)
{
	uint8_t *in[BATCH + 1], *out[BATCH], ad[BATCH][FILE_ADLEN];
	size_t cap[BATCH + 1], len[BATCH + 1];
	struct gmrk_block blk[BATCH];
	struct cli_progress prog;
	struct file_opts o;
	struct out_file of;
	uint64_t size, pos = 0;
	gmrk_error err;
	gmrk_ctx *ctx;
	gmrk_key *key;
	char *out_path, *key_path;
	int fd, i, n = 0, rc, more;
	bool final = false;

	cli_cmd = "gmrk open";
	parse_opts(argc, argv, false, &o);
	if (!strcmp(o.in, "-") && (!o.key_file || !o.out))
		cli_fail(EXIT_USAGE, "opening stdin needs --key-file and -o");
	out_path = o.out ? strdup(o.out) : default_open_out(o.in);
	key_path = o.key_file ? strdup(o.key_file) : path_plus(o.in, ".key");
	ctx = file_ctx(&o);
	key = gmrk_key_open(ctx, key_path, o.asset, 0, &err);
	if (!key)
		cli_fail_gmrk(-err.code, &err);
	fd = open_input(o.in, &size);
	for (i = 0; i <= BATCH; i++) {
		cap[i] = DEFAULT_BLOCK + GMRK_OVERHEAD;
		in[i] = malloc(cap[i]);
		if (i < BATCH)
			out[i] = NULL;
		if (!in[i])
			cli_fail(EXIT_USAGE, "out of memory");
	}
	out_begin(&of, out_path, o.force, 0600);
	cli_progress_start(&prog, "opening", size);
	more = read_block(fd, &in[0], &cap[0], &len[0], 0, &of);
	if (!more) {
		out_abort(&of);
		cli_fail(EXIT_AUTH, "'%s' is empty: not a gmrk sealed file (or truncated)", o.in);
	}
	while (!final) {
		more = read_block(fd, &in[n + 1], &cap[n + 1], &len[n + 1],
				  pos + (uint64_t)n + 1, &of);
		final = !more;
		file_ad(ad[n], final);
		free(out[n]);
		out[n] = malloc(len[n]);
		if (!out[n])
			cli_fail(EXIT_USAGE, "out of memory");
		blk[n] = (struct gmrk_block){
			.position = pos + (uint64_t)n, .ad = ad[n], .adlen = FILE_ADLEN,
			.in = in[n], .inlen = len[n], .out = out[n], .outcap = len[n],
		};
		n++;
		if (n < BATCH && !final)
			continue;
		rc = gmrk_open_many(ctx, key, blk, (size_t)n, &err);
		if (rc && final && blk[n - 1].status == -GMRK_E_AUTH) {
			/* does the last block open as a middle one? then blocks were cut off */
			struct gmrk_block t = blk[n - 1];

			file_ad(ad[n - 1], false);
			if (!gmrk_open_many(ctx, key, &t, 1, NULL)) {
				out_abort(&of);
				cli_fail(EXIT_AUTH,
					 "truncated: '%s' ends after block %llu, but more blocks were sealed",
					 o.in, (unsigned long long)(pos + (uint64_t)n - 1));
			}
		}
		if (rc) {
			out_abort(&of);
			fprintf(stderr, "%s: %s\n", cli_cmd, err.message);
			exit(cli_status(rc) == EXIT_AUTH || rc == -GMRK_E_TRUNCATED ||
			     rc == -GMRK_E_CORRUPT ? EXIT_AUTH : EXIT_USAGE);
		}
		for (i = 0; i < n; i++) {
			out_write(&of, out[i], blk[i].outlen);
			cli_progress_add(&prog, len[i]);
		}
		pos += (uint64_t)n;
		if (!final) {
			uint8_t *t = in[0];
			size_t c = cap[0];

			in[0] = in[n];
			cap[0] = cap[n];
			len[0] = len[n];
			in[n] = t;
			cap[n] = c;
		}
		n = 0;
	}
	out_commit(&of);
	cli_progress_end(&prog);
	for (i = 0; i <= BATCH; i++) {
		free(in[i]);
		if (i < BATCH)
			free(out[i]);
	}
	gmrk_key_free(key);
	gmrk_ctx_free(ctx);
	free(out_path);
	free(key_path);
	return EXIT_OK;
}

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
#include <stdarg.h>
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

/* Fails the command, first removing the half-written output. */
static void out_fail(struct out_file *o, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
static void out_fail(struct out_file *o, int status, const char *fmt, ...)
{
	va_list ap;

	out_abort(o);
	va_start(ap, fmt);
	cli_vfail(status, fmt, ap);
}

static void out_write(struct out_file *o, const void *buf, size_t len)
{
	int rc = cli_write_all(o->fd, buf, len);

	if (rc)
		out_fail(o, EXIT_USAGE, "writing '%s': %s", o->path ? o->path : "stdout",
			 strerror(-rc));
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

/*
 * What gmrk seal and gmrk open share: the key, the input, the output and
 * the blocks of one batch. Slot BATCH of in[] holds the block read ahead:
 * whether a block is the last one (its AD says so) depends on whether
 * another follows it.
 */
struct file_job {
	struct file_opts o;
	char *out_path, *key_path;
	gmrk_ctx *ctx;
	gmrk_key *key;
	int fd;
	struct out_file of;
	struct cli_progress prog;
	uint64_t pos;			/* position of blk[0] */
	uint8_t *in[BATCH + 1], *out[BATCH], ad[BATCH][FILE_ADLEN];
	size_t cap[BATCH + 1];		/* bytes in[i] can hold */
	long long len[BATCH + 1];	/* bytes read into in[i]; seal: <0 is -errno */
	struct gmrk_block blk[BATCH];
};

/*
 * Opens the key (with @key_flags), the input and the output (@mode). Each
 * in[i] gets @in_cap bytes, each out[i] @out_cap (0: left NULL).
 */
static void job_begin(struct file_job *j, unsigned int key_flags, size_t in_cap,
		      size_t out_cap, mode_t mode, const char *what)
{
	gmrk_error err;
	uint64_t size;
	int i;

	j->pos = 0;
	j->ctx = file_ctx(&j->o);
	j->key = gmrk_key_open(j->ctx, j->key_path, j->o.asset, key_flags, &err);
	if (!j->key)
		cli_fail_gmrk(-err.code, &err);
	j->fd = open_input(j->o.in, &size);
	for (i = 0; i <= BATCH; i++) {
		j->cap[i] = in_cap;
		j->in[i] = malloc(in_cap);
		if (i < BATCH)
			j->out[i] = out_cap ? malloc(out_cap) : NULL;
		if (!j->in[i] || (i < BATCH && out_cap && !j->out[i]))
			cli_fail(EXIT_USAGE, "out of memory");
	}
	out_begin(&j->of, j->out_path, j->o.force, mode);
	cli_progress_start(&j->prog, what, size);
}

/*
 * The @n blocks of a batch ran: their outputs go out in order and, unless
 * it was the last batch, the block read ahead becomes the first of the next.
 */
static void job_flush(struct file_job *j, int n, bool final)
{
	int i;

	for (i = 0; i < n; i++) {
		out_write(&j->of, j->out[i], j->blk[i].outlen);
		cli_progress_add(&j->prog, j->blk[i].inlen);
	}
	j->pos += (uint64_t)n;
	if (!final) {
		uint8_t *t = j->in[0];
		size_t c = j->cap[0];

		j->in[0] = j->in[n];
		j->cap[0] = j->cap[n];
		j->len[0] = j->len[n];
		j->in[n] = t;
		j->cap[n] = c;
	}
}

/* Everything succeeded: the output replaces the destination. */
static void job_end(struct file_job *j)
{
	int i;

	out_commit(&j->of);
	cli_progress_end(&j->prog);
	for (i = 0; i <= BATCH; i++) {
		free(j->in[i]);
		if (i < BATCH)
			free(j->out[i]);
	}
	gmrk_key_free(j->key);
	gmrk_ctx_free(j->ctx);
	free(j->out_path);
	free(j->key_path);
}

int cmd_seal(int argc, char **argv)
{
	struct file_job j;
	gmrk_error err;
	int n = 0, rc;
	bool final = false;

	cli_cmd = "gmrk seal";
	parse_opts(argc, argv, true, &j.o);
	j.out_path = j.o.out ? strdup(j.o.out) : !strcmp(j.o.in, "-") ? strdup("-") :
		     path_plus(j.o.in, ".gmrk");
	if (!j.o.key_file && !strcmp(j.out_path, "-"))
		cli_fail(EXIT_USAGE, "sealing to stdout needs --key-file");
	j.key_path = j.o.key_file ? strdup(j.o.key_file) : path_plus(j.out_path, ".key");
	job_begin(&j, GMRK_KEY_CREATE, j.o.block, gmrk_sealed_len(j.o.block), 0644, "sealing");
	j.len[0] = cli_read_full(j.fd, j.in[0], j.o.block);
	while (!final) {
		if (j.len[n] < 0)
			out_fail(&j.of, EXIT_USAGE, "reading '%s': %s", j.o.in,
				 strerror((int)-j.len[n]));
		/* a block is the last one when nothing follows it */
		if ((size_t)j.len[n] < j.o.block) {
			final = true;
		} else {
			j.len[n + 1] = cli_read_full(j.fd, j.in[n + 1], j.o.block);
			final = j.len[n + 1] == 0;
		}
		file_ad(j.ad[n], final);
		j.blk[n] = (struct gmrk_block){
			.position = j.pos + (uint64_t)n, .ad = j.ad[n], .adlen = FILE_ADLEN,
			.in = j.in[n], .inlen = (size_t)j.len[n],
			.out = j.out[n], .outcap = gmrk_sealed_len(j.o.block),
		};
		n++;
		if (n < BATCH && !final)
			continue;
		rc = gmrk_seal_many(j.ctx, j.key, j.blk, (size_t)n, &err);
		if (rc) {
			out_abort(&j.of);
			cli_fail_gmrk(rc, &err);
		}
		job_flush(&j, n, final);
		n = 0;
	}
	job_end(&j);
	return EXIT_OK;
}

/* Reads sealed block @index into in[@slot]: its length, or 0 at a clean end of file. */
static size_t read_block(struct file_job *j, int slot, uint64_t index)
{
	struct out_file *of = &j->of;
	struct gmrk_block_info bi;
	gmrk_error err;
	long long n;
	size_t need;

	n = cli_read_full(j->fd, j->in[slot], GMRK_HEADER_LEN);
	if (n == 0)
		return 0;
	if (n < 0)
		out_fail(of, EXIT_USAGE, "reading input: %s", strerror((int)-n));
	if (gmrk_block_info(j->in[slot], (size_t)n, &bi, &err))
		out_fail(of, err.code == GMRK_E_UNSUPPORTED ? EXIT_USAGE : EXIT_AUTH,
			 "block %llu: %s", (unsigned long long)index, err.message);
	if (!bi.encrypted)
		out_fail(of, EXIT_USAGE, "block %llu: not a gmrk sealed file (no gmrk header)",
			 (unsigned long long)index);
	if (bi.payload_len > MAX_BLOCK)
		out_fail(of, EXIT_AUTH, "block %llu: corrupt: %zu-byte block is larger than gmrk seal writes",
			 (unsigned long long)index, bi.payload_len);
	need = bi.sealed_len;
	if (need > j->cap[slot]) {
		uint8_t *nb = realloc(j->in[slot], need);

		if (!nb)
			cli_fail(EXIT_USAGE, "out of memory");
		j->in[slot] = nb;
		j->cap[slot] = need;
	}
	n = cli_read_full(j->fd, j->in[slot] + GMRK_HEADER_LEN, need - GMRK_HEADER_LEN);
	if (n < 0)
		out_fail(of, EXIT_USAGE, "reading input: %s", strerror((int)-n));
	if ((size_t)n != need - GMRK_HEADER_LEN)
		out_fail(of, EXIT_AUTH, "block %llu: truncated: the file ends inside it",
			 (unsigned long long)index);
	return need;
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
	struct file_job j;
	gmrk_error err;
	int n = 0, rc;
	bool final = false;

	cli_cmd = "gmrk open";
	parse_opts(argc, argv, false, &j.o);
	if (!strcmp(j.o.in, "-") && (!j.o.key_file || !j.o.out))
		cli_fail(EXIT_USAGE, "opening stdin needs --key-file and -o");
	j.out_path = j.o.out ? strdup(j.o.out) : default_open_out(j.o.in);
	j.key_path = j.o.key_file ? strdup(j.o.key_file) : path_plus(j.o.in, ".key");
	job_begin(&j, 0, DEFAULT_BLOCK + GMRK_OVERHEAD, 0, 0600, "opening");
	j.len[0] = (long long)read_block(&j, 0, 0);
	if (!j.len[0])
		out_fail(&j.of, EXIT_AUTH, "'%s' is empty: not a gmrk sealed file (or truncated)",
			 j.o.in);
	while (!final) {
		j.len[n + 1] = (long long)read_block(&j, n + 1, j.pos + (uint64_t)n + 1);
		final = !j.len[n + 1];
		file_ad(j.ad[n], final);
		free(j.out[n]);
		j.out[n] = malloc((size_t)j.len[n]);
		if (!j.out[n])
			cli_fail(EXIT_USAGE, "out of memory");
		j.blk[n] = (struct gmrk_block){
			.position = j.pos + (uint64_t)n, .ad = j.ad[n], .adlen = FILE_ADLEN,
			.in = j.in[n], .inlen = (size_t)j.len[n], .out = j.out[n],
			.outcap = (size_t)j.len[n],
		};
		n++;
		if (n < BATCH && !final)
			continue;
		rc = gmrk_open_many(j.ctx, j.key, j.blk, (size_t)n, &err);
		if (rc && final && j.blk[n - 1].status == -GMRK_E_AUTH) {
			/* does the last block open as a middle one? then blocks were cut off */
			struct gmrk_block t = j.blk[n - 1];

			file_ad(j.ad[n - 1], false);
			if (!gmrk_open_many(j.ctx, j.key, &t, 1, NULL))
				out_fail(&j.of, EXIT_AUTH,
					 "truncated: '%s' ends after block %llu, but more blocks were sealed",
					 j.o.in, (unsigned long long)(j.pos + (uint64_t)n - 1));
		}
		if (rc) {
			out_abort(&j.of);
			fprintf(stderr, "%s: %s\n", cli_cmd, err.message);
			exit(cli_status(rc) == EXIT_AUTH || rc == -GMRK_E_TRUNCATED ||
			     rc == -GMRK_E_CORRUPT ? EXIT_AUTH : EXIT_USAGE);
		}
		job_flush(&j, n, final);
		n = 0;
	}
	job_end(&j);
	return EXIT_OK;
}

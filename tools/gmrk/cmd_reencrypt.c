// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk reencrypt: re-seals files written by gmrk seal (or, with
 * --allow-plaintext, plaintext files from before encryption was enabled)
 * with a new cipher and/or a new asset key, in place and crash-safe.
 *
 * Every block is opened and verified with the key that sealed it and
 * sealed again with the same boundaries, position and associated data as
 * gmrk seal uses (cmd_file.c), into FILE.tmp.XXXXXX, fsynced and renamed
 * over FILE (then the directory is fsynced): FILE is always entirely old
 * or entirely new.
 *
 * --new-key adds a key version to FILE's key file K
 * (gmrk_key_add_version: a new random asset key, version N+1, the older
 * versions kept; K replaced crash-safe) before FILE is re-sealed under
 * it, so K opens FILE at every instant: the old FILE with version N, the
 * new one with N+1. A version is added only when every block of FILE is
 * under K's newest version; otherwise the newest one is new to FILE (a
 * run killed after adding it, or an engine's own rotation) and is used.
 * --drop-old then removes the versions older than the one FILE is under
 * from K (gmrk_key_drop_versions), once FILE is complete under it; with
 * --key-file (one K for every FILE) only at the end, when every FILE is.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"

#define FILE_AD		"gmrk-file-v1"
#define FILE_ADLEN	(sizeof(FILE_AD) - 1 + 1)
#define BATCH		16
#define DEFAULT_BLOCK	(64u * 1024)
#define MAX_BLOCK	(64u << 20)

/* results of one file */
#define RE_DONE		0
#define RE_ALREADY	1
#define RE_FAIL_AUTH	(-1)	/* authentication, corrupt, wrong key: exit 1 */
#define RE_FAIL		(-2)	/* anything else: exit 2 */

static const char usage_text[] =
	"usage: gmrk reencrypt [--cipher C] [--new-key] [--drop-old] [--key-file K]\n"
	"                      [--asset NAME] [--master-key-file F] [--allow-plaintext]\n"
	"                      [--block-size N] [--backend B] FILE...\n"
	"re-seals each FILE (a gmrk sealed file; with --allow-plaintext also a\n"
	"plaintext file) in place with cipher C (default: aes-gcm or the\n"
	"configured one) under the newest key version of its key file (default\n"
	"FILE.key); --new-key adds a fresh one first, --drop-old then removes the\n"
	"older versions; crash-safe, run again to finish an interrupted run\n"
	"exit status: 0 all done, 1 a file failed authentication (named, left\n"
	"untouched), 2 usage or other errors\n";

struct re_opts {
	const char *cipher, *key_file, *asset, *master_key_file, *backend;
	size_t block;
	bool new_key, drop_old, allow_plain;
};

/* one file's job */
struct re_job {
	const struct re_opts *o;
	gmrk_ctx *ctx;
	const char *path;
	char *key_path, *asset;
	char msg[512];
	int fd;
	uint64_t size;
	bool plain;
	gmrk_key *cur;		/* the key file K as it was */
	gmrk_key *tgt;		/* the key FILE goes to: cur, or cur + a new version */
	uint32_t version;	/* the version FILE is under once done */
	int dropped;		/* old versions removed from K */
	struct cli_progress prog;
};

static void usage(void)
{
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

static int job_err(struct re_job *j, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int job_err(struct re_job *j, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->msg, sizeof(j->msg), fmt, ap);
	va_end(ap);
	return status;
}

static int gmrk_status(int rc)
{
	if (rc < 0)
		rc = -rc;
	return rc == GMRK_E_AUTH || rc == GMRK_E_WRONG_KEY || rc == GMRK_E_TRUNCATED ||
	       rc == GMRK_E_CORRUPT ? RE_FAIL_AUTH : RE_FAIL;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		cli_fail(EXIT_USAGE, "out of memory");
	return s;
}

/* the asset gmrk seal bound into key file @key: its file name without .key */
static char *default_asset(const char *key)
{
	const char *base = strrchr(key, '/');
	size_t n;

	base = base ? base + 1 : key;
	n = strlen(base);
	if (n > 4 && !strcmp(base + n - 4, ".key"))
		n -= 4;
	return xasprintf("%.*s", (int)n, base);
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = -1;

	if (!copy)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

static bool key_id(const gmrk_key *k, uint8_t id[GMRK_KEY_ID_LEN], uint32_t *version)
{
	struct gmrk_key_info info;

	if (!k || gmrk_key_info(k, &info))
		return false;
	memcpy(id, info.id, GMRK_KEY_ID_LEN);
	if (version)
		*version = info.version;
	return true;
}

static bool key_is(const gmrk_key *k, const uint8_t id[GMRK_KEY_ID_LEN])
{
	uint8_t kid[GMRK_KEY_ID_LEN];

	return key_id(k, kid, NULL) && !memcmp(kid, id, GMRK_KEY_ID_LEN);
}

/* key file @path of the job's asset, or NULL (@err says why) */
static gmrk_key *open_key(struct re_job *j, const char *path, unsigned int flags,
			  gmrk_error *err)
{
	return gmrk_key_open(j->ctx, path, j->asset, flags, err);
}

/*
 * Reads sealed block header at the current offset into @buf (grown as
 * needed) and the rest of the block: its length, 0 at the end of the file.
 */
static long long read_block(struct re_job *j, uint64_t index, uint8_t **buf, size_t *cap,
			    struct gmrk_block_info *bi, bool header_only)
{
	gmrk_error err;
	long long n;

	n = cli_read_full(j->fd, *buf, GMRK_HEADER_LEN);
	if (n == 0)
		return 0;
	if (n < 0)
		return job_err(j, RE_FAIL, "reading: %s", strerror((int)-n));
	if (gmrk_block_info(*buf, (size_t)n, bi, &err))
		return job_err(j, err.code == GMRK_E_UNSUPPORTED ? RE_FAIL : RE_FAIL_AUTH,
			       "block %llu: %s", (unsigned long long)index, err.message);
	if (!bi->encrypted)
		return job_err(j, RE_FAIL_AUTH, "block %llu: corrupt: no gmrk header",
			       (unsigned long long)index);
	if (bi->payload_len > MAX_BLOCK)
		return job_err(j, RE_FAIL_AUTH,
			       "block %llu: corrupt: %zu-byte block is larger than gmrk seal writes",
			       (unsigned long long)index, bi->payload_len);
	if (header_only) {
		off_t skip = (off_t)(bi->sealed_len - GMRK_HEADER_LEN);
		off_t at = lseek(j->fd, skip, SEEK_CUR);

		if (at < 0 || (uint64_t)at > j->size)
			return job_err(j, RE_FAIL_AUTH, "block %llu: truncated: the file ends inside it",
				       (unsigned long long)index);
		return (long long)bi->sealed_len;
	}
	if (bi->sealed_len > *cap) {
		uint8_t *nb = realloc(*buf, bi->sealed_len);

		if (!nb)
			cli_fail(EXIT_USAGE, "out of memory");
		*buf = nb;
		*cap = bi->sealed_len;
	}
	n = cli_read_full(j->fd, *buf + GMRK_HEADER_LEN, bi->sealed_len - GMRK_HEADER_LEN);
	if (n < 0)
		return job_err(j, RE_FAIL, "reading: %s", strerror((int)-n));
	if ((size_t)n != bi->sealed_len - GMRK_HEADER_LEN)
		return job_err(j, RE_FAIL_AUTH, "block %llu: truncated: the file ends inside it",
			       (unsigned long long)index);
	return (long long)bi->sealed_len;
}

/* what FILE's block headers say (headers only; the rewrite verifies every tag) */
struct re_scan {
	bool same;		/* every block names cipher C and K's key id */
	uint32_t vmin, vmax;	/* the key versions they name */
};

static int scan_headers(struct re_job *j, enum gmrk_cipher c, struct re_scan *sc)
{
	uint8_t id[GMRK_KEY_ID_LEN], *buf = malloc(GMRK_HEADER_LEN);
	size_t cap = GMRK_HEADER_LEN;
	struct gmrk_block_info bi;
	uint64_t i;
	long long n;

	if (!buf)
		cli_fail(EXIT_USAGE, "out of memory");
	sc->same = key_id(j->cur, id, NULL);
	sc->vmin = UINT32_MAX;
	sc->vmax = 0;
	lseek(j->fd, 0, SEEK_SET);
	for (i = 0;; i++) {
		n = read_block(j, i, &buf, &cap, &bi, true);
		if (n <= 0)
			break;
		if (bi.cipher != c || memcmp(bi.key_id, id, GMRK_KEY_ID_LEN))
			sc->same = false;
		if (bi.key_version < sc->vmin)
			sc->vmin = bi.key_version;
		if (bi.key_version > sc->vmax)
			sc->vmax = bi.key_version;
	}
	free(buf);
	lseek(j->fd, 0, SEEK_SET);
	return n < 0 ? (int)n : 0;
}

/*
 * The key file K: it must hold FILE's key (found by the key id of its
 * first block); a plaintext FILE's K is created when missing.
 */
static int find_keys(struct re_job *j, const uint8_t *id0)
{
	gmrk_error err;

	j->cur = open_key(j, j->key_path, 0, &err);
	if (!j->cur && j->plain && err.code == GMRK_E_NOENT)
		j->cur = open_key(j, j->key_path, GMRK_KEY_CREATE, &err);
	if (!j->cur)
		return job_err(j, gmrk_status(err.code), "%s", err.message);
	if (!j->plain && !key_is(j->cur, id0))
		return job_err(j, RE_FAIL_AUTH, "its blocks are not under key file '%s'",
			       j->key_path);
	j->tgt = j->cur;
	return 0;
}

/* --new-key: K gets version N+1, FILE goes to it */
static int add_version(struct re_job *j, uint32_t newest)
{
	gmrk_error err;
	int n;

	j->tgt = gmrk_key_add_version(j->ctx, j->key_path, j->asset, &err);
	if (!j->tgt && err.code == GMRK_E_EXHAUSTED && j->o->drop_old && !j->o->key_file) {
		/* K is full, and FILE, K's only user, needs only its newest */
		n = gmrk_key_drop_versions(j->ctx, j->key_path, j->asset, newest, &err);
		if (n >= 0) {
			j->dropped += n;
			j->tgt = gmrk_key_add_version(j->ctx, j->key_path, j->asset, &err);
		}
	}
	if (!j->tgt) {
		j->tgt = j->cur;
		return job_err(j, gmrk_status(err.code), "%s%s", err.message,
			       err.code == GMRK_E_EXHAUSTED ? " (--drop-old)" : "");
	}
	return 0;
}

/* --drop-old: K keeps the versions from @below on */
static int drop_old(gmrk_ctx *ctx, const char *key_path, const char *asset,
		    uint32_t below, int *dropped, gmrk_error *err)
{
	int n = gmrk_key_drop_versions(ctx, key_path, asset, below, err);

	if (n < 0)
		return n;
	*dropped += n;
	return 0;
}

static void ad_of(uint8_t ad[FILE_ADLEN], bool final)
{
	memcpy(ad, FILE_AD, FILE_ADLEN - 1);
	ad[FILE_ADLEN - 1] = final;
}

struct re_batch {
	uint8_t *in[BATCH], *plain[BATCH], *out[BATCH], ad[BATCH][FILE_ADLEN];
	size_t incap[BATCH], plaincap[BATCH], outcap[BATCH];
	struct gmrk_block ob[BATCH], sb[BATCH];
};

static void grow(uint8_t **p, size_t *cap, size_t need)
{
	uint8_t *nb;

	if (need <= *cap && *p)
		return;
	nb = realloc(*p, need ? need : 1);
	if (!nb)
		cli_fail(EXIT_USAGE, "out of memory");
	*p = nb;
	*cap = need ? need : 1;
}

/* reads up to BATCH blocks starting at @index: how many, <0 on error */
static int read_batch(struct re_job *j, struct re_batch *b, uint64_t index, bool *final)
{
	struct gmrk_block_info bi;
	int n;

	for (n = 0; n < BATCH && !*final; n++) {
		uint64_t at = (uint64_t)lseek(j->fd, 0, SEEK_CUR);
		size_t len;

		if (j->plain) {
			len = j->size - at < j->o->block ? (size_t)(j->size - at) : j->o->block;
			grow(&b->in[n], &b->incap[n], len);
			if (cli_read_full(j->fd, b->in[n], len) != (long long)len)
				return job_err(j, RE_FAIL, "reading: short read");
			grow(&b->plain[n], &b->plaincap[n], len);
			memcpy(b->plain[n], b->in[n], len);
		} else {
			long long r;

			grow(&b->in[n], &b->incap[n], GMRK_HEADER_LEN);
			r = read_block(j, index + (uint64_t)n, &b->in[n], &b->incap[n], &bi, false);

			if (r < 0)
				return (int)r;
			len = (size_t)r;
			grow(&b->plain[n], &b->plaincap[n], bi.payload_len);
		}
		*final = (uint64_t)lseek(j->fd, 0, SEEK_CUR) >= j->size;
		ad_of(b->ad[n], *final);
		b->ob[n] = (struct gmrk_block){
			.position = index + (uint64_t)n, .ad = b->ad[n], .adlen = FILE_ADLEN,
			.in = b->in[n], .inlen = len, .out = b->plain[n],
			.outcap = b->plaincap[n], .outlen = j->plain ? len : 0,
		};
	}
	return n;
}

/* writes FILE's new contents to @tfd; with @tfd < 0 only opens every block */
static int rewrite(struct re_job *j, int tfd)
{
	struct re_batch b;
	gmrk_error err;
	uint64_t index = 0;
	bool final = false;
	int n, i, rc = 0;

	memset(&b, 0, sizeof(b));
	lseek(j->fd, 0, SEEK_SET);
	cli_progress_start(&j->prog, tfd < 0 ? "verifying" : "reencrypting", j->size);
	while (!final) {
		n = read_batch(j, &b, index, &final);
		if (n < 0) {
			rc = n;
			break;
		}
		if (!j->plain) {
			rc = gmrk_open_many(j->ctx, j->cur, b.ob, (size_t)n, &err);
			if (rc) {
				rc = job_err(j, gmrk_status(rc), "%s", err.message);
				break;
			}
		}
		if (tfd < 0) {
			index += (uint64_t)n;
			continue;
		}
		for (i = 0; i < n; i++) {
			grow(&b.out[i], &b.outcap[i], gmrk_sealed_len(b.ob[i].outlen));
			b.sb[i] = (struct gmrk_block){
				.position = b.ob[i].position, .ad = b.ad[i], .adlen = FILE_ADLEN,
				.in = b.plain[i], .inlen = b.ob[i].outlen, .out = b.out[i],
				.outcap = b.outcap[i],
			};
		}
		rc = gmrk_seal_many(j->ctx, j->tgt, b.sb, (size_t)n, &err);
		if (rc) {
			rc = job_err(j, RE_FAIL, "%s", err.message);
			break;
		}
		for (i = 0; i < n && !rc; i++) {
			int w = cli_write_all(tfd, b.out[i], b.sb[i].outlen);

			if (w)
				rc = job_err(j, RE_FAIL, "writing: %s", strerror(-w));
			cli_progress_add(&j->prog, b.ob[i].outlen);
		}
		if (rc)
			break;
		index += (uint64_t)n;
	}
	cli_progress_end(&j->prog);
	for (i = 0; i < BATCH; i++) {
		if (b.in[i] && j->plain)	/* plaintext input: wipe it as well */
			OPENSSL_cleanse(b.in[i], b.incap[i]);
		free(b.in[i]);
		if (b.plain[i])
			OPENSSL_cleanse(b.plain[i], b.plaincap[i]);
		free(b.plain[i]);
		free(b.out[i]);
	}
	return rc;
}

static int replace_file(struct re_job *j)
{
	char *tmp = xasprintf("%s.tmp.XXXXXX", j->path);
	struct stat st;
	int tfd, rc;

	tfd = mkostemp(tmp, O_CLOEXEC);
	if (tfd < 0) {
		rc = job_err(j, RE_FAIL, "cannot create '%s': %s", tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	if (!fstat(j->fd, &st))
		(void)fchmod(tfd, st.st_mode & 07777);
	rc = rewrite(j, tfd);
	if (!rc && (fsync(tfd) || close(tfd)))
		rc = job_err(j, RE_FAIL, "writing '%s': %s", tmp, strerror(errno));
	else if (rc)
		close(tfd);
	/* a new key file or version was made durable before we got here */
	if (!rc && (rename(tmp, j->path) || fsync_dir_of(j->path)))
		rc = job_err(j, RE_FAIL, "renaming '%s': %s", tmp, strerror(errno));
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int reencrypt_one(struct re_job *j, enum gmrk_cipher c)
{
	uint8_t head[GMRK_HEADER_LEN], id[GMRK_KEY_ID_LEN];
	struct gmrk_block_info bi;
	struct re_scan sc;
	gmrk_error err;
	struct stat st;
	bool done = false;
	uint32_t newest = 0;
	long long n;
	int rc;

	j->fd = open(j->path, O_RDONLY | O_CLOEXEC);
	if (j->fd < 0)
		return job_err(j, RE_FAIL, "%s", strerror(errno));
	if (fstat(j->fd, &st) || !S_ISREG(st.st_mode))
		return job_err(j, RE_FAIL, "not a regular file");
	j->size = (uint64_t)st.st_size;
	n = cli_read_full(j->fd, head, sizeof(head));
	if (n < 0)
		return job_err(j, RE_FAIL, "reading: %s", strerror((int)-n));
	if (n == 0) {
		bi.encrypted = 0;
	} else if (gmrk_block_info(head, (size_t)n, &bi, &err)) {
		return job_err(j, gmrk_status(err.code), "block 0: %s", err.message);
	}
	j->plain = !bi.encrypted;
	if (j->plain && !j->o->allow_plain)
		return job_err(j, RE_FAIL,
			       "not a gmrk sealed file (no gmrk header; --allow-plaintext encrypts it)");
	rc = find_keys(j, j->plain ? NULL : bi.key_id);
	if (rc)
		return rc;
	key_id(j->cur, id, &newest);
	/* a plaintext FILE was under no key: K's newest is new to it */
	if (!j->plain) {
		rc = scan_headers(j, c, &sc);
		if (!rc && j->o->new_key && sc.vmin == newest)
			rc = add_version(j, newest);
		else if (!rc && sc.same && sc.vmin == newest && sc.vmax == newest)
			done = true;
		if (!rc && done)
			rc = rewrite(j, -1);	/* "already" only when every block opens */
		if (rc)
			return rc;
	}
	key_id(j->tgt, id, &j->version);
	if (!done) {
		rc = replace_file(j);
		if (rc)
			return rc;
	}
	/* FILE is complete under j->version: with its own K, drop what is older */
	if (j->o->drop_old && !j->o->key_file &&
	    drop_old(j->ctx, j->key_path, j->asset, j->version, &j->dropped, &err))
		return job_err(j, gmrk_status(err.code), "%s", err.message);
	return done ? RE_ALREADY : RE_DONE;
}

static void job_free(struct re_job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->tgt != j->cur)
		gmrk_key_free(j->tgt);
	gmrk_key_free(j->cur);
	free(j->key_path);
	free(j->asset);
}

static void parse(int argc, char **argv, struct re_opts *o)
{
	static const struct option opts[] = {
		{ "cipher", required_argument, NULL, 'c' },
		{ "new-key", no_argument, NULL, 'n' },
		{ "drop-old", no_argument, NULL, 'D' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "asset", required_argument, NULL, 'A' },
		{ "master-key-file", required_argument, NULL, 'M' },
		{ "allow-plaintext", no_argument, NULL, 'p' },
		{ "block-size", required_argument, NULL, 's' },
		{ "backend", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	memset(o, 0, sizeof(*o));
	o->block = DEFAULT_BLOCK;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:k:b:s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o->cipher = optarg;
			break;
		case 'n':
			o->new_key = true;
			break;
		case 'D':
			o->drop_old = true;
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
		case 'p':
			o->allow_plain = true;
			break;
		case 's':
			if (cli_parse_size(optarg, &o->block) || !o->block || o->block > MAX_BLOCK)
				cli_fail(EXIT_USAGE, "--block-size: 1 byte to 64 MiB");
			break;
		case 'b':
			o->backend = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
}

static void print_done(const struct re_job *j, int rc, enum gmrk_cipher c)
{
	char ver[32] = "", drops[48] = "";

	if (j->dropped)
		snprintf(drops, sizeof(drops), "%d old key version%s dropped", j->dropped,
			 j->dropped == 1 ? "" : "s");
	if (rc == RE_ALREADY) {
		printf("already     %s%s%s%s\n", j->path, *drops ? " (" : "", drops,
		       *drops ? ")" : "");
		return;
	}
	if (j->o->new_key)
		snprintf(ver, sizeof(ver), ", key version %u", j->version);
	printf("reencrypted %s (%s%s%s%s)\n", j->path, gmrk_cipher_name(c), ver,
	       *drops ? ", " : "", drops);
}

int gmrk_cmd_reencrypt(int argc, char **argv)
{
	struct re_opts o;
	struct gmrk_config cfg;
	gmrk_error err;
	gmrk_ctx *ctx;
	enum gmrk_cipher c;
	size_t done = 0, already = 0, failed = 0;
	uint32_t keep = UINT32_MAX;	/* --key-file: the oldest version a FILE is under */
	int status = EXIT_OK;

	cli_cmd = "gmrk reencrypt";
	parse(argc, argv, &o);
	gmrk_config_init(&cfg);
	if (o.cipher)
		cfg.cipher = cli_cipher(o.cipher);
	if (o.backend)
		cfg.backend = cli_backend(o.backend);
	cfg.master_key_file = o.master_key_file;
	ctx = gmrk_ctx_new(&cfg, &err);
	if (!ctx)
		cli_fail(EXIT_USAGE, "%s", err.message);
	c = gmrk_ctx_cipher(ctx);
	for (int i = optind; i < argc; i++) {
		struct re_job j;
		int rc;

		memset(&j, 0, sizeof(j));
		j.o = &o;
		j.ctx = ctx;
		j.fd = -1;
		j.path = argv[i];
		j.key_path = o.key_file ? xasprintf("%s", o.key_file) :
			     xasprintf("%s.key", argv[i]);
		j.asset = o.asset ? xasprintf("%s", o.asset) : default_asset(j.key_path);
		rc = reencrypt_one(&j, c);
		if (rc == RE_DONE || rc == RE_ALREADY) {
			if (rc == RE_DONE)
				done++;
			else
				already++;
			if (j.version < keep)
				keep = j.version;
			print_done(&j, rc, c);
		} else {
			failed++;
			printf("FAILED      %s: %s\n", j.path, j.msg);
			fprintf(stderr, "%s: '%s': %s\n", cli_cmd, j.path, j.msg);
			if (rc == RE_FAIL_AUTH && status == EXIT_OK)
				status = EXIT_AUTH;
			else if (rc == RE_FAIL)
				status = EXIT_USAGE;
		}
		fflush(stdout);
		job_free(&j);
	}
	printf("%zu files: %zu reencrypted, %zu already done, %zu failed\n",
	       done + already + failed, done, already, failed);
	/* one K for every FILE: its old versions go once every FILE is done */
	if (o.drop_old && o.key_file && failed) {
		fprintf(stderr, "%s: old key versions kept in '%s': not every FILE is done\n",
			cli_cmd, o.key_file);
	} else if (o.drop_old && o.key_file) {
		char *asset = o.asset ? xasprintf("%s", o.asset) : default_asset(o.key_file);
		int dropped = 0;

		if (drop_old(ctx, o.key_file, asset, keep, &dropped, &err)) {
			fprintf(stderr, "%s: '%s': %s\n", cli_cmd, o.key_file, err.message);
			status = cli_status(err.code);
		} else {
			printf("%s: %d old key version%s dropped\n", o.key_file, dropped,
			       dropped == 1 ? "" : "s");
		}
		free(asset);
	}
	gmrk_ctx_free(ctx);
	return status;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk-demo: a small encrypted message store driven through libgmrk.
 *
 * It plays the storage engine of the mission: a few streams, each with its
 * own asset key in a key file wrapped under the master key ($GMRK_KEY),
 * encrypted stream metadata, and message blocks of mixed sizes appended to
 * a segment file. It writes everything, optionally runs a fault command
 * half-way through (the card failing under load), reads everything back,
 * checks every byte, and reports which path sealed and opened each share of
 * the blocks. Finally it shows what a wrong master key does: a precise
 * error, and nothing deleted.
 *
 * Usage: gmrk-demo [--dir DIR] [--streams N] [--blocks N] [--cipher NAME]
 *                  [--fault CMD [--fault-desc TEXT]] [--label TEXT]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmrk/gmrk.h>

#define BATCH 16

static const size_t sizes[] = { 256, 4096, 4096, 16384, 65536 };

struct opts {
	const char *dir;
	const char *fault;
	const char *fault_desc;
	const char *label;
	unsigned int streams;
	unsigned int blocks;
	enum gmrk_cipher cipher;
};

static void die(const char *what, const gmrk_error *err)
{
	fprintf(stderr, "gmrk-demo: %s: %s\n", what, err ? err->message : strerror(errno));
	exit(1);
}

/* Deterministic payload so the reader can check every byte. */
static void fill(uint8_t *p, size_t len, unsigned int stream, unsigned int blk)
{
	uint32_t x = 0x9e3779b9u * (stream + 1) ^ (blk * 0x85ebca6bu);

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static void write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write", NULL);
		}
		p += n;
		len -= (size_t)n;
	}
}

static int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void path_of(char *buf, size_t cap, const char *dir, unsigned int s, const char *ext)
{
	snprintf(buf, cap, "%s/stream%u.%s", dir, s, ext);
}

/* Stream metadata: a small encrypted file, position 0, bound to "meta". */
static void write_meta(gmrk_ctx *ctx, gmrk_key *key, const struct opts *o, unsigned int s)
{
	char path[512], meta[256];
	uint8_t sealed[256 + GMRK_OVERHEAD];
	size_t mlen, slen;
	gmrk_error err;
	int fd;

	mlen = (size_t)snprintf(meta, sizeof(meta),
				"{\"name\":\"stream%u\",\"subjects\":[\"orders.%u.>\"],"
				"\"retention\":\"limits\",\"max_msgs\":%u}", s, s, o->blocks);
	if (gmrk_seal(ctx, key, 0, "meta", 4, meta, mlen, sealed, sizeof(sealed), &slen, &err))
		die("sealing stream metadata", &err);
	path_of(path, sizeof(path), o->dir, s, "meta");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die(path, NULL);
	write_all(fd, sealed, slen);
	close(fd);
}

static void read_meta(gmrk_ctx *ctx, gmrk_key *key, const struct opts *o, unsigned int s)
{
	char path[512], meta[256 + 1];
	uint8_t sealed[256 + GMRK_OVERHEAD];
	size_t mlen;
	gmrk_error err;
	ssize_t n;
	int fd;

	path_of(path, sizeof(path), o->dir, s, "meta");
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path, NULL);
	n = read(fd, sealed, sizeof(sealed));
	close(fd);
	if (n < 0)
		die(path, NULL);
	if (gmrk_open(ctx, key, 0, "meta", 4, sealed, (size_t)n, meta, sizeof(meta) - 1,
		      &mlen, NULL, &err)) {
		fprintf(stderr, "error decrypting stream metadata: %s\n", err.message);
		exit(1);
	}
}

static gmrk_key *stream_key(gmrk_ctx *ctx, const struct opts *o, unsigned int s,
			    unsigned int flags, gmrk_error *err)
{
	char path[512], asset[64];

	path_of(path, sizeof(path), o->dir, s, "key");
	snprintf(asset, sizeof(asset), "stream%u", s);
	return gmrk_key_open(ctx, path, asset, flags, err);
}

/* Append o->blocks message blocks to the stream's segment, BATCH at a time. */
static void write_stream(gmrk_ctx *ctx, gmrk_key *key, const struct opts *o, unsigned int s)
{
	struct gmrk_block blk[BATCH];
	uint8_t *in[BATCH], *out[BATCH];
	char path[512], ad[32];
	gmrk_error err;
	int fd, adlen;

	path_of(path, sizeof(path), o->dir, s, "seg");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die(path, NULL);
	adlen = snprintf(ad, sizeof(ad), "stream%u", s);
	for (unsigned int b0 = 0; b0 < o->blocks; b0 += BATCH) {
		unsigned int n = o->blocks - b0 < BATCH ? o->blocks - b0 : BATCH;

		for (unsigned int i = 0; i < n; i++) {
			unsigned int b = b0 + i;
			size_t len = sizes[(s + b) % (sizeof(sizes) / sizeof(sizes[0]))];

			in[i] = malloc(len);
			out[i] = malloc(gmrk_sealed_len(len));
			if (!in[i] || !out[i])
				die("malloc", NULL);
			fill(in[i], len, s, b);
			blk[i] = (struct gmrk_block){
				.position = b + 1, .ad = ad, .adlen = (size_t)adlen,
				.in = in[i], .inlen = len,
				.out = out[i], .outcap = gmrk_sealed_len(len),
			};
		}
		if (gmrk_seal_many(ctx, key, blk, n, &err))
			die("sealing a batch of blocks", &err);
		for (unsigned int i = 0; i < n; i++) {
			uint32_t len = (uint32_t)blk[i].outlen;

			write_all(fd, &len, sizeof(len));
			write_all(fd, out[i], blk[i].outlen);
			free(in[i]);
			free(out[i]);
		}
	}
	if (fsync(fd) || close(fd))
		die(path, NULL);
}

/* Read the segment back, open every block, compare with what was written. */
static unsigned long read_stream(gmrk_ctx *ctx, gmrk_key *key, const struct opts *o,
				 unsigned int s)
{
	struct gmrk_block blk[BATCH];
	uint8_t *in[BATCH], *out[BATCH], *want;
	unsigned long bad = 0;
	char path[512], ad[32];
	gmrk_error err;
	int fd, adlen;

	path_of(path, sizeof(path), o->dir, s, "seg");
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path, NULL);
	adlen = snprintf(ad, sizeof(ad), "stream%u", s);
	want = malloc(65536);
	if (!want)
		die("malloc", NULL);
	for (unsigned int b0 = 0; b0 < o->blocks; b0 += BATCH) {
		unsigned int n = o->blocks - b0 < BATCH ? o->blocks - b0 : BATCH;

		for (unsigned int i = 0; i < n; i++) {
			uint32_t len;

			if (read_all(fd, &len, sizeof(len)) || len > 65536 + GMRK_OVERHEAD)
				die("segment truncated or corrupt", NULL);
			in[i] = malloc(len);
			out[i] = malloc(len);
			if (!in[i] || !out[i] || read_all(fd, in[i], len))
				die("segment truncated", NULL);
			blk[i] = (struct gmrk_block){
				.position = b0 + i + 1, .ad = ad, .adlen = (size_t)adlen,
				.in = in[i], .inlen = len, .out = out[i], .outcap = len,
			};
		}
		if (gmrk_open_many(ctx, key, blk, n, &err))
			die("opening a batch of blocks", &err);
		for (unsigned int i = 0; i < n; i++) {
			fill(want, blk[i].outlen, s, b0 + i);
			if (memcmp(want, out[i], blk[i].outlen))
				bad++;
			free(in[i]);
			free(out[i]);
		}
	}
	free(want);
	close(fd);
	return bad;
}

static void print_stats(gmrk_ctx *ctx, const char *phase)
{
	struct gmrk_stats st;
	uint64_t total = 0;

	gmrk_stats(ctx, &st);
	for (int b = 0; b < GMRK_BACKEND_COUNT; b++)
		total += st.ops[b];
	printf("  %-8s %6" PRIu64 " blocks:", phase, total);
	for (int b = GMRK_BACKEND_CARD; b < GMRK_BACKEND_COUNT; b++)
		printf("  %s %" PRIu64 " (%.0f%%)", gmrk_backend_name((enum gmrk_backend)b),
		       st.ops[b], total ? 100.0 * (double)st.ops[b] / (double)total : 0.0);
	printf("  | fallbacks %" PRIu64 "\n", st.fallbacks);
	gmrk_stats_reset(ctx);
}

static void wrong_key(const struct opts *o)
{
	struct gmrk_config cfg;
	gmrk_error err;
	gmrk_ctx *ctx;
	gmrk_key *key;
	char path[512];
	struct stat sb;
	/* Another well-formed master key: 32 bytes, 64 hex digits. */
	static const char other[] =
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

	gmrk_config_init(&cfg);
	cfg.master_key = other;
	cfg.master_key_len = strlen(other);
	ctx = gmrk_ctx_new(&cfg, &err);
	if (!ctx)
		die("context", &err);
	key = stream_key(ctx, o, 0, 0, &err);
	if (key) {
		printf("  wrong master key: unexpectedly opened the key file\n");
		exit(1);
	}
	printf("  wrong master key -> %s\n", err.message);
	path_of(path, sizeof(path), o->dir, 0, "key");
	printf("  key file still there: %s\n", stat(path, &sb) == 0 ? "yes" : "NO");
	gmrk_ctx_free(ctx);
}

int main(int argc, char **argv)
{
	struct opts o = { .dir = "/tmp/gmrk-demo", .streams = 4, .blocks = 64,
			  .cipher = GMRK_CIPHER_SM4_GCM, .label = "" };
	static const struct option lo[] = {
		{ "dir", 1, 0, 'd' }, { "streams", 1, 0, 's' }, { "blocks", 1, 0, 'b' },
		{ "cipher", 1, 0, 'c' }, { "fault", 1, 0, 'f' }, { "label", 1, 0, 'l' },
		{ "fault-desc", 1, 0, 'F' },
		{ 0, 0, 0, 0 }
	};
	unsigned long bad = 0;
	struct gmrk_config cfg;
	gmrk_error err;
	gmrk_ctx *ctx;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o.dir = optarg; break;
		case 's': o.streams = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'b': o.blocks = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'c':
			o.cipher = gmrk_cipher_from_name(optarg);
			if (o.cipher == GMRK_CIPHER_NONE) {
				fprintf(stderr, "gmrk-demo: unknown cipher %s\n", optarg);
				return 2;
			}
			break;
		case 'f': o.fault = optarg; break;
		case 'F': o.fault_desc = optarg; break;
		case 'l': o.label = optarg; break;
		default:
			fprintf(stderr, "usage: gmrk-demo [--dir D] [--streams N] [--blocks N] "
				"[--cipher C] [--fault CMD]\n");
			return 2;
		}
	}
	if (!o.streams || !o.blocks) {
		fprintf(stderr, "gmrk-demo: --streams and --blocks must be positive\n");
		return 2;
	}
	if (mkdir(o.dir, 0700) && errno != EEXIST)
		die(o.dir, NULL);

	gmrk_config_init(&cfg);
	cfg.cipher = o.cipher;
	ctx = gmrk_ctx_new(&cfg, &err);
	if (!ctx)
		die("context", &err);
	printf("%s%s: %u streams x %u blocks (256 B..64 KiB), %s, backend %s, card %s\n",
	       o.label, *o.label ? "" : "store", o.streams, o.blocks,
	       gmrk_cipher_name(o.cipher), gmrk_backend_name(cfg.backend),
	       gmrk_backend_available(ctx, GMRK_BACKEND_CARD, o.cipher) > 0 ?
	       "present" : "absent");

	for (unsigned int s = 0; s < o.streams; s++) {
		gmrk_key *key = stream_key(ctx, &o, s, GMRK_KEY_CREATE, &err);

		if (!key)
			die("stream key", &err);
		if (o.fault && s == o.streams / 2) {
			printf("  -- injecting a card failure: %s\n",
			       o.fault_desc ? o.fault_desc : o.fault);
			fflush(stdout);
			if (system(o.fault) != 0)
				fprintf(stderr, "gmrk-demo: fault command failed\n");
		}
		write_meta(ctx, key, &o, s);
		write_stream(ctx, key, &o, s);
		gmrk_key_free(key);
	}
	print_stats(ctx, "sealed");

	for (unsigned int s = 0; s < o.streams; s++) {
		gmrk_key *key = stream_key(ctx, &o, s, 0, &err);

		if (!key)
			die("stream key", &err);
		read_meta(ctx, key, &o, s);
		bad += read_stream(ctx, key, &o, s);
		gmrk_key_free(key);
	}
	print_stats(ctx, "opened");
	printf("  verified: %lu of %lu blocks intact\n",
	       (unsigned long)o.streams * o.blocks - bad, (unsigned long)o.streams * o.blocks);
	gmrk_ctx_free(ctx);

	wrong_key(&o);
	return bad ? 1 : 0;
}

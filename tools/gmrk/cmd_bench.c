// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk bench: sealing throughput of each backend for each cipher, through
 * libgmrk's block API (gmrk_seal, and gmrk_seal_many in batches of 16 for
 * the AF_ALG paths, which is how the card is meant to be fed). A quick
 * look; tools/bench (make bench) is the side-by-side comparison with
 * OpenSSL, libgcrypt and the kernel.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define BENCH_BATCH 16

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* MB/s sealing @size-byte blocks for @ms milliseconds; <0 when unavailable */
static double bench_one(enum gmrk_cipher c, enum gmrk_backend b, size_t size,
			unsigned int ms)
{
	static const uint8_t id[GMRK_KEY_ID_LEN] = "benchkey";
	uint8_t aek[GMRK_KEY_LEN] = { 1 }, *in, *out;
	struct gmrk_block blk[BENCH_BATCH];
	struct gmrk_config cfg;
	uint64_t t0, t, bytes = 0;
	gmrk_ctx *ctx;
	gmrk_key *key;
	double mbs = -1;
	int i;

	gmrk_config_init(&cfg);
	cfg.cipher = c;
	cfg.backend = b;
	cfg.flags |= GMRK_CFG_IGNORE_ENV | GMRK_CFG_NO_MASTER_KEY;
	ctx = gmrk_ctx_new(&cfg, NULL);
	if (!ctx)
		return -1;
	if (!gmrk_backend_available(ctx, b, c)) {
		gmrk_ctx_free(ctx);
		return -1;
	}
	key = gmrk_key_from_bytes(ctx, aek, sizeof(aek), id, 1, NULL);
	in = calloc(BENCH_BATCH, size ? size : 1);
	out = calloc(BENCH_BATCH, gmrk_sealed_len(size));
	if (!key || !in || !out)
		goto out;
	for (i = 0; i < BENCH_BATCH; i++)
		blk[i] = (struct gmrk_block){
			.position = (uint64_t)i, .in = in + (size_t)i * size, .inlen = size,
			.out = out + (size_t)i * gmrk_sealed_len(size),
			.outcap = gmrk_sealed_len(size),
		};
	t0 = now_ns();
	do {
		if (b == GMRK_BACKEND_SOFT) {
			for (i = 0; i < BENCH_BATCH; i++)
				if (gmrk_seal(ctx, key, 0, NULL, 0, in, size, out,
					      gmrk_sealed_len(size), NULL, NULL))
					goto out;
		} else if (gmrk_seal_many(ctx, key, blk, BENCH_BATCH, NULL)) {
			goto out;
		}
		bytes += (uint64_t)BENCH_BATCH * size;
		t = now_ns();
	} while (t - t0 < (uint64_t)ms * 1000000ull);
	mbs = (double)bytes / ((double)(t - t0) / 1e9) / 1e6;
out:
	free(in);
	free(out);
	gmrk_key_free(key);
	gmrk_ctx_free(ctx);
	return mbs;
}

int cmd_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cipher", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "time", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const enum gmrk_backend backends[] = {
		GMRK_BACKEND_SOFT, GMRK_BACKEND_KERNEL, GMRK_BACKEND_CARD, GMRK_BACKEND_AUTO,
	};
	size_t sizes[16] = { 256, 4096, 65536 };
	int nsizes = 3, user_sizes = 0, opt, c, s, b;
	enum gmrk_cipher only = GMRK_CIPHER_NONE;
	unsigned int ms = 200;

	cli_cmd = "gmrk bench";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:s:t:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			only = gmrk_cipher_from_name(optarg);
			if (only == GMRK_CIPHER_NONE)
				cli_fail(EXIT_USAGE, "unsupported cipher '%s'", optarg);
			break;
		case 's':
			if (user_sizes == 16 || cli_parse_size(optarg, &sizes[user_sizes]) ||
			    sizes[user_sizes] > (64u << 20))
				cli_fail(EXIT_USAGE, "--size: up to 16 sizes of at most 64 MiB");
			nsizes = ++user_sizes;
			break;
		case 't':
			ms = (unsigned int)atoi(optarg);
			if (!ms || ms > 60000)
				cli_fail(EXIT_USAGE, "--time: 1..60000 ms");
			break;
		case 'h':
		default:
			cli_fail(EXIT_USAGE, "usage: gmrk bench [--cipher C] [--size N]... [--time MS]");
		}
	}
	printf("%-18s %9s %12s %12s %12s %12s\n", "cipher", "size", "soft MB/s",
	       "kernel MB/s", "card MB/s", "auto MB/s");
	for (c = 1; c < GMRK_CIPHER_COUNT; c++) {
		if (only && c != (int)only)
			continue;
		for (s = 0; s < nsizes; s++) {
			printf("%-18s %9zu", gmrk_cipher_name((enum gmrk_cipher)c), sizes[s]);
			for (b = 0; b < 4; b++) {
				double v = bench_one((enum gmrk_cipher)c, backends[b], sizes[s], ms);

				if (v < 0)
					printf(" %12s", "-");
				else
					printf(" %12.1f", v);
				fflush(stdout);
			}
			printf("\n");
		}
	}
	return EXIT_OK;
}

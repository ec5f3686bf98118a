// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Timing helpers shared by the gmrk benchmarks: each figure is the best of
 * several runs, each long enough (>= 100 ms by default) that timer
 * resolution and a context switch on this shared machine do not matter,
 * and the best (not the mean) filters out time stolen by other processes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "benchutil.h"

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk ? clk : CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--runs N] [--min-ms MS] [--sizes BYTES,...] [--cipher NAME]\n"
		"       [--peers-block]\n"
		"  NAME: aes-256-gcm, chacha20-poly1305 or sm4-gcm\n", prog);
	exit(2);
}

void bench_parse(struct bench_opts *o, int argc, char **argv, size_t max_size,
		 const char *prog)
{
	static const struct option opts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "min-ms", required_argument, NULL, 'm' },
		{ "sizes", required_argument, NULL, 's' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "peers-block", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			o->runs = atoi(optarg);
			if (o->runs < 1)
				usage(prog);
			break;
		case 'm':
			o->min_s = atof(optarg) / 1000;
			if (o->min_s <= 0)
				usage(prog);
			break;
		case 's': {
			char *p = optarg, *end;

			for (o->nsizes = 0; *p; o->nsizes++) {
				if (o->nsizes == BENCH_MAX_SIZES)
					usage(prog);
				o->sizes[o->nsizes] = strtoul(p, &end, 0);
				if (end == p || !o->sizes[o->nsizes] ||
				    o->sizes[o->nsizes] > max_size ||
				    (*end && *end != ','))
					usage(prog);
				p = *end ? end + 1 : end;
			}
			if (!o->nsizes)
				usage(prog);
			break;
		}
		case 'c':
			o->cipher = optarg;
			break;
		case 'b':
			o->peers_block = 1;
			break;
		default:
			usage(prog);
		}
	}
	if (optind != argc)
		usage(prog);
}

unsigned long bench_warm(const struct bench_opts *o, void (*op)(void *), void *arg)
{
	unsigned long batch = 1, k;

	/* Warm up (caches, lazy init) and size a batch to ~1/20 of a run. */
	for (;;) {
		double t0 = now(o->clock);

		for (k = 0; k < batch; k++)
			op(arg);
		if (now(o->clock) - t0 > o->min_s / 20)
			return batch;
		batch *= 2;
	}
}

double bench_run(const struct bench_opts *o, void (*op)(void *), void *arg,
		 unsigned long batch)
{
	double t0 = now(o->clock), dt;
	unsigned long k, n = 0;

	do {
		for (k = 0; k < batch; k++)
			op(arg);
		n += batch;
		dt = now(o->clock) - t0;
	} while (dt < o->min_s);
	return dt / n;
}

double bench_measure(const struct bench_opts *o, void (*op)(void *), void *arg)
{
	unsigned long batch = bench_warm(o, op, arg);
	double best = 1e30, t;
	int i;

	for (i = 0; i < o->runs; i++) {
		t = bench_run(o, op, arg, batch);
		if (t < best)
			best = t;
	}
	return best;
}

const char *bench_size_str(size_t len, char *buf, size_t bufsz)
{
	if (len >= (1u << 20) && len % (1u << 20) == 0)
		snprintf(buf, bufsz, "%zu MiB", len >> 20);
	else if (len >= 1024 && len % 1024 == 0)
		snprintf(buf, bufsz, "%zu KiB", len >> 10);
	else
		snprintf(buf, bufsz, "%zu B", len);
	return buf;
}

const char *bench_now_str(char *buf, size_t bufsz)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, bufsz, "%Y-%m-%d %H:%M UTC", &tm);
	return buf;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Timing helpers shared by the gmrk benchmarks. */
#ifndef GMRK_BENCHUTIL_H
#define GMRK_BENCHUTIL_H

#include <stddef.h>
#include <time.h>

#define BENCH_MAX_SIZES 16

struct bench_opts {
	int runs;		/* best of this many runs ... */
	double min_s;		/* ... of at least this long each */
	size_t sizes[BENCH_MAX_SIZES];
	size_t nsizes;
	const char *cipher;	/* only this cipher, or NULL */
	/*
	 * --peers-block (gmrk-bench-host only): the raw peers lay out their
	 * output as a libgmrk block (nonce before the ciphertext, ciphertext
	 * 40 bytes in, tag after it) instead of writing the ciphertext to the
	 * start of the output buffer and keeping nonce and tag apart
	 */
	int peers_block;
	/*
	 * What a run's length is measured in: CLOCK_MONOTONIC (wall time,
	 * the default) or CLOCK_THREAD_CPUTIME_ID (only the time this thread
	 * ran: on a shared machine, time other processes take is not
	 * charged; right only when all the work runs on this thread).
	 */
	clockid_t clock;
};

/*
 * Parses --runs N, --min-ms MS, --sizes a,b,... (bytes, at most @max_size),
 * --cipher NAME, --peers-block into @o (defaults set by the caller).
 * Exits 2 on bad usage.
 */
void bench_parse(struct bench_opts *o, int argc, char **argv, size_t max_size,
		 const char *prog);

/* Seconds per call of op(arg): best of o->runs runs of >= o->min_s. */
double bench_measure(const struct bench_opts *o, void (*op)(void *), void *arg);

/*
 * The two halves of bench_measure(), for contenders that take turns:
 * bench_warm() warms op up and returns how many calls to make between
 * clock readings (~1/20 of a run); bench_run() is one run of >= o->min_s
 * and returns seconds per call.
 */
unsigned long bench_warm(const struct bench_opts *o, void (*op)(void *), void *arg);
double bench_run(const struct bench_opts *o, void (*op)(void *), void *arg,
		 unsigned long batch);

/* "64 B", "4 KiB", "1 MiB" */
const char *bench_size_str(size_t len, char *buf, size_t bufsz);

/* "2026-12-03 08:41 UTC" */
const char *bench_now_str(char *buf, size_t bufsz);

#endif

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A thread that keeps pushing random, verified AEAD requests through its
 * own AF_ALG sockets, rebinding and rekeying as it goes, and counts what
 * came back: right results, errors, and wrong results (which no test ever
 * tolerates). Used for concurrency and for removal under load.
 */
#ifndef GMRK_SELFTEST_LOAD_WORKER_H
#define GMRK_SELFTEST_LOAD_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct load_worker {
	/* set by the caller */
	unsigned int alg_mask;		/* bit i: aead_algs[i]; 0: all */
	uint64_t seed;
	size_t max_aad, max_pt;
	unsigned long max_ops;		/* 0: run until *stop */
	const atomic_bool *stop;
	/* results */
	pthread_t thread;
	atomic_ulong progress;		/* operations finished so far */
	unsigned long ok, errors, wrong;
	int last_errno;
	char problem[256];		/* the first wrong result, else first error */
};

int load_worker_start(struct load_worker *w);
void load_worker_join(struct load_worker *w);

#endif /* GMRK_SELFTEST_LOAD_WORKER_H */

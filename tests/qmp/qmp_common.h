/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared pieces of the guest programs of the QMP scenarios (faults,
 * hot-unplug, two cards): verified requests through the driver over
 * AF_ALG, and reading the guest kernel's log for complaints. Asking the
 * host hook for an action is hook() of card_access.h, which every QMP
 * program links.
 */
#ifndef GMRK_QMP_COMMON_H
#define GMRK_QMP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aead_case.h"
#include "af_alg.h"
#include "card_access.h"
#include "gmrk_ctl.h"
#include "test_algs.h"

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t now_ms(void);
void sleep_ms(unsigned int ms);

/*
 * A client doing one verified request at a time on gmrk's driver for one
 * algorithm, (re)binding its socket as needed.
 */
struct vclient {
	const struct aead_alg *alg;
	struct alg_aead sock;
	bool open;
	uint8_t key[32];
	struct prng prng;
	unsigned long ok, errors, wrong;
	char problem[256];	/* first wrong result, else first error */
};

void vclient_init(struct vclient *v, unsigned int alg, uint64_t seed);
/* One random request (encrypt or decrypt, up to max_pt bytes); returns its verdict. */
enum case_verdict vclient_run(struct vclient *v, size_t max_pt);
void vclient_close(struct vclient *v);

/*
 * The kernel log: kmsg_open() remembers where it stands; kmsg_complaints()
 * prints (as KTAP comments) and counts the records logged since at
 * @max_level or more severe (4: warning, 3: error), and any record with
 * "WARNING"/"BUG"/"Call Trace" in it.
 */
int kmsg_open(void);
int kmsg_complaints(int fd, unsigned int max_level);

#endif /* GMRK_QMP_COMMON_H */

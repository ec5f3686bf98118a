/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Linux native AIO through the raw syscalls.
 *
 * libaio would only wrap these four syscalls; calling them directly keeps
 * the selftests free of a library the guest would have to carry. AF_ALG
 * op sockets take IOCB_CMD_PREAD reads (offset 0) and complete them when
 * the crypto request completes, which is how many requests are put in
 * flight at once: one op socket per outstanding request (algif allows one
 * AIO request per socket).
 */
#ifndef GMRK_SELFTEST_AIO_RAW_H
#define GMRK_SELFTEST_AIO_RAW_H

#include <linux/aio_abi.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

int aio_setup(unsigned int nr, aio_context_t *ctx);
int aio_destroy(aio_context_t ctx);
/* Returns the number of iocbs queued or -errno. */
int aio_submit(aio_context_t ctx, long nr, struct iocb **cbs);
/* Returns the number of events or -errno; timeout NULL waits forever. */
int aio_getevents(aio_context_t ctx, long min_nr, long nr,
		  struct io_event *events, struct timespec *timeout);

/* Fill cb as a read of len bytes from fd into buf, tagged with data. */
void aio_prep_read(struct iocb *cb, int fd, void *buf, size_t len,
		   uint64_t data);

#endif /* GMRK_SELFTEST_AIO_RAW_H */

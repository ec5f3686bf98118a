// SPDX-License-Identifier: GPL-2.0-or-later
/* Linux native AIO through the raw syscalls (see aio_raw.h). */
#include "aio_raw.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int aio_setup(unsigned int nr, aio_context_t *ctx)
{
	*ctx = 0;
	return syscall(SYS_io_setup, nr, ctx) < 0 ? -errno : 0;
}

int aio_destroy(aio_context_t ctx)
{
	return syscall(SYS_io_destroy, ctx) < 0 ? -errno : 0;
}

int aio_submit(aio_context_t ctx, long nr, struct iocb **cbs)
{
	long n = syscall(SYS_io_submit, ctx, nr, cbs);

	return n < 0 ? -errno : (int)n;
}

int aio_getevents(aio_context_t ctx, long min_nr, long nr,
		  struct io_event *events, struct timespec *timeout)
{
	long n;

	do {
		n = syscall(SYS_io_getevents, ctx, min_nr, nr, events, timeout);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : (int)n;
}

void aio_prep_read(struct iocb *cb, int fd, void *buf, size_t len,
		   uint64_t data)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_fildes = fd;
	cb->aio_lio_opcode = IOCB_CMD_PREAD;
	cb->aio_buf = (uint64_t)(uintptr_t)buf;
	cb->aio_nbytes = len;
	cb->aio_offset = 0;	/* sockets take only offset 0 */
	cb->aio_data = data;
}

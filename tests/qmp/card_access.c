// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest-userspace access to a gm-rk card for testing the QEMU model; see
 * card_access.h for what this is and is not.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "card_access.h"

#define SYS_PCI		"/sys/bus/pci/devices"
#define PCI_CMD_OFF	4
#define PCI_CMD_MEM	0x2
#define PCI_CMD_MASTER	0x4

void card_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static unsigned long read_hex(const char *dir, const char *name)
{
	char path[512], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strtoul(buf, NULL, 16);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* BDFs of gm-rk cards, sorted. Returns how many (at most max). */
static int find_cards(char names[][32], int max)
{
	char *list[64];
	struct dirent *e;
	int n = 0, out = 0;
	DIR *d = opendir(SYS_PCI);

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < 64) {
		char dir[512];

		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), SYS_PCI "/%s", e->d_name);
		if (read_hex(dir, "vendor") == GMRK_PCI_VENDOR_ID &&
		    read_hex(dir, "device") == GMRK_PCI_DEVICE_ID)
			list[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(list, n, sizeof(list[0]), cmp_str);
	for (int i = 0; i < n; i++) {
		if (out < max && list[i])
			snprintf(names[out++], 32, "%s", list[i]);
		free(list[i]);
	}
	return out;
}

static int enable_device(const char *bdf)
{
	char path[512];
	uint16_t cmd;
	int fd, err = 0;

	snprintf(path, sizeof(path), SYS_PCI "/%s/config", bdf);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	if (pread(fd, &cmd, 2, PCI_CMD_OFF) != 2) {
		err = -EIO;
	} else {
		cmd |= PCI_CMD_MEM | PCI_CMD_MASTER;
		if (pwrite(fd, &cmd, 2, PCI_CMD_OFF) != 2)
			err = -EIO;
	}
	close(fd);
	return err;
}

int card_open(struct card *c, unsigned int index)
{
	char names[16][32], path[512];
	void *bar;
	int n, fd, err;

	memset(c, 0, sizeof(*c));
	c->pagemap = -1;
	n = find_cards(names, 16);
	if ((int)index >= n)
		return -ENODEV;
	snprintf(c->bdf, sizeof(c->bdf), "%s", names[index]);
	err = enable_device(c->bdf);
	if (err)
		return err;
	snprintf(path, sizeof(path), SYS_PCI "/%s/resource0", c->bdf);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		return -errno;
	bar = mmap(NULL, GMRK_BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = errno;
	close(fd);
	if (bar == MAP_FAILED)
		return -err;
	c->bar = bar;
	c->pagemap = open("/proc/self/pagemap", O_RDONLY);
	if (c->pagemap < 0) {
		err = -errno;
		card_close(c);
		return err;
	}
	return 0;
}

void card_close(struct card *c)
{
	if (c->bar)
		munmap((void *)c->bar, GMRK_BAR_SIZE);
	if (c->pagemap >= 0)
		close(c->pagemap);
	c->bar = NULL;
	c->pagemap = -1;
}

int card_reset(struct card *c)
{
	card_wr(c, GMRK_REG_CTRL, GMRK_CTRL_RESET);
	for (int i = 0; i < 1000; i++) {
		if (!(card_rd(c, GMRK_REG_CTRL) & GMRK_CTRL_RESET))
			return 0;
		card_sleep_ms(1);
	}
	return -ETIMEDOUT;
}

int dma_page_alloc(struct card *c, struct dma_page *p)
{
	uint64_t ent;
	void *va;

	va = mmap(NULL, CARD_PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED, -1, 0);
	if (va == MAP_FAILED)
		return -errno;
	memset(va, 0, CARD_PAGE);
	if (pread(c->pagemap, &ent, sizeof(ent),
		  (off_t)((uintptr_t)va / CARD_PAGE) * sizeof(ent)) != sizeof(ent) ||
	    !(ent & (1ull << 63)) || !(ent & ((1ull << 55) - 1))) {
		munmap(va, CARD_PAGE);
		return -EFAULT;	/* not present, or PFNs hidden (not root) */
	}
	p->va = va;
	p->pa = (ent & ((1ull << 55) - 1)) * CARD_PAGE;
	return 0;
}

void dma_page_free(struct dma_page *p)
{
	if (p->va)
		munmap(p->va, CARD_PAGE);
	p->va = NULL;
	p->pa = 0;
}

int ring_setup(struct card *c, struct card_ring *r, unsigned int qid, uint32_t size)
{
	int err;

	memset(r, 0, sizeof(*r));
	r->qid = qid;
	r->size = size;
	if (size * sizeof(struct gmrk_desc) > CARD_PAGE)
		return -EINVAL;
	err = dma_page_alloc(c, &r->sq);
	if (!err)
		err = dma_page_alloc(c, &r->cq);
	if (err) {
		ring_free(r);
		return err;
	}
	memset(r->sq.va, 0xee, CARD_PAGE);
	memset(r->cq.va, 0xee, CARD_PAGE);
	card_qwr(c, qid, GMRK_Q_SQ_BASE_LO, (uint32_t)r->sq.pa);
	card_qwr(c, qid, GMRK_Q_SQ_BASE_HI, (uint32_t)(r->sq.pa >> 32));
	card_qwr(c, qid, GMRK_Q_CQ_BASE_LO, (uint32_t)r->cq.pa);
	card_qwr(c, qid, GMRK_Q_CQ_BASE_HI, (uint32_t)(r->cq.pa >> 32));
	card_qwr(c, qid, GMRK_Q_SIZE, size);
	card_qwr(c, qid, GMRK_Q_MSIX_VEC, qid);
	card_qwr(c, qid, GMRK_Q_CTRL, GMRK_QCTRL_ENABLE);
	card_wr(c, GMRK_REG_CTRL, GMRK_CTRL_ENABLE);
	if (card_qrd(c, qid, GMRK_Q_STATUS) != GMRK_QSTATUS_ENABLED)
		return -EIO;
	return 0;
}

void ring_free(struct card_ring *r)
{
	dma_page_free(&r->sq);
	dma_page_free(&r->cq);
}

void ring_put(struct card_ring *r, const struct gmrk_desc *d)
{
	memcpy(r->sq.va + (r->sq_tail % r->size) * sizeof(*d), d, sizeof(*d));
	r->sq_tail = (r->sq_tail + 1) % (2 * r->size);
}

void ring_doorbell(struct card *c, struct card_ring *r)
{
	card_qwr(c, r->qid, GMRK_Q_SQ_TAIL, r->sq_tail);
}

static uint32_t ring_ready(struct card *c, struct card_ring *r)
{
	uint32_t tail = card_qrd(c, r->qid, GMRK_Q_CQ_TAIL);

	return (tail - r->cq_head) % (2 * r->size);
}

uint32_t ring_wait(struct card *c, struct card_ring *r, uint32_t n, unsigned int ms)
{
	uint32_t got = ring_ready(c, r);

	/* Poll: the VM runs under TCG, where a job can take milliseconds. */
	for (unsigned int waited = 0; got < n && waited < ms; waited++) {
		card_sleep_ms(1);
		got = ring_ready(c, r);
	}
	__sync_synchronize();
	return got;
}

struct gmrk_cpl ring_cpl(const struct card_ring *r, uint32_t i)
{
	struct gmrk_cpl cpl;
	uint32_t slot = (r->cq_head + i) % r->size;

	memcpy(&cpl, r->cq.va + slot * sizeof(cpl), sizeof(cpl));
	cpl.cookie = le64toh(cpl.cookie);
	cpl.status = le16toh(cpl.status);
	cpl.sq_head = le16toh(cpl.sq_head);
	return cpl;
}

void ring_consume(struct card *c, struct card_ring *r, uint32_t n)
{
	r->cq_head = (r->cq_head + n) % (2 * r->size);
	card_qwr(c, r->qid, GMRK_Q_CQ_HEAD, r->cq_head);
}

int ring_run(struct card *c, struct card_ring *r, const struct gmrk_desc *d)
{
	struct gmrk_cpl cpl;

	ring_put(r, d);
	ring_doorbell(c, r);
	if (ring_wait(c, r, 1, 20000) < 1)
		return -ETIMEDOUT;
	cpl = ring_cpl(r, 0);
	ring_consume(c, r, 1);
	if (cpl.cookie != le64toh(d->cookie))
		return -EPROTO;
	return cpl.status;
}

void hook(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	printf("GMRK-HOOK: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int card_hook_fatal(struct card *c, const char *id, unsigned int ms)
{
	hook("qom-set %s fatal true", id);
	for (unsigned int i = 0; i < ms; i++) {
		if (card_rd(c, GMRK_REG_STATUS) & GMRK_STATUS_FATAL)
			return 0;
		card_sleep_ms(1);
	}
	return -ETIMEDOUT;
}

int card_host_sync(struct card *c, struct card_ring *r, const char *id, unsigned int ms)
{
	if (card_hook_fatal(c, id, ms))
		return -ETIMEDOUT;
	if (card_reset(c) || card_rd(c, GMRK_REG_STATUS) != GMRK_STATUS_READY)
		return -EIO;
	ring_free(r);
	return ring_setup(c, r, r->qid, r->size);
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Drive a gm-rk card from guest userspace, without gmrk.ko: BAR0 through
 * /sys/bus/pci/devices/X/resource0, DMA memory from locked anonymous pages
 * whose bus addresses come from /proc/self/pagemap (the test VM has no
 * IOMMU, so bus address == physical address).
 *
 * Only for testing the QEMU model (tools/qemu/gmrk.c) against the
 * contract of driver/gmrk_hw.h, register by register; the real driver is
 * driver/gmrk_pci.c. Nothing here is fit for production: pages are pinned
 * only by mlock and the device is used with no kernel driver bound.
 */
#ifndef GMRK_QMP_CARD_ACCESS_H
#define GMRK_QMP_CARD_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gmrk_hw.h"

#define CARD_PAGE	4096u

/* One page of DMA-able memory. */
struct dma_page {
	uint8_t *va;
	uint64_t pa;
};

struct card {
	char bdf[32];			/* "0000:00:03.0" */
	volatile uint32_t *bar;		/* BAR0, GMRK_BAR_SIZE bytes */
	int pagemap;
};

/* One queue's rings, each in its own page. */
struct card_ring {
	unsigned int qid;
	uint32_t size;
	struct dma_page sq, cq;
	uint32_t sq_tail;		/* next free SQ slot (driver's copy) */
	uint32_t cq_head;		/* next CQ slot to read */
};

/* Find the @index-th gm-rk card (PCI order), enable MEM + bus master, map BAR0. */
int card_open(struct card *c, unsigned int index);
void card_close(struct card *c);

static inline uint32_t card_rd(const struct card *c, uint32_t off)
{
	return c->bar[off / 4];
}

static inline void card_wr(struct card *c, uint32_t off, uint32_t val)
{
	__sync_synchronize();	/* descriptors in memory before the doorbell */
	c->bar[off / 4] = val;
}

static inline uint32_t card_qrd(const struct card *c, unsigned int q, uint32_t reg)
{
	return card_rd(c, GMRK_QREG(q, reg));
}

static inline void card_qwr(struct card *c, unsigned int q, uint32_t reg, uint32_t val)
{
	card_wr(c, GMRK_QREG(q, reg), val);
}

/* CTRL.RESET, then wait for it to self-clear; 0 or -ETIMEDOUT. */
int card_reset(struct card *c);

/* A zeroed, locked page and its bus address; 0 or -errno. */
int dma_page_alloc(struct card *c, struct dma_page *p);
void dma_page_free(struct dma_page *p);

/*
 * Program queue @qid with fresh rings of @size entries (rings poisoned with
 * 0xee so stale slots are recognisable), enable it and the device.
 * Returns 0, -errno, or -EIO if the device flagged the setup (Q_STATUS).
 */
int ring_setup(struct card *c, struct card_ring *r, unsigned int qid, uint32_t size);
void ring_free(struct card_ring *r);

/* Copy @d into the next SQ slot (does not ring the doorbell). */
void ring_put(struct card_ring *r, const struct gmrk_desc *d);
/* Write SQ_TAIL. */
void ring_doorbell(struct card *c, struct card_ring *r);

/*
 * Wait until CQ_TAIL is @n entries past cq_head (or @ms elapsed); returns
 * how many completions are there.
 */
uint32_t ring_wait(struct card *c, struct card_ring *r, uint32_t n, unsigned int ms);
/* Read the completion at cq_head + @i (no register access). */
struct gmrk_cpl ring_cpl(const struct card_ring *r, uint32_t i);
/* Consume @n completions: advance cq_head and write CQ_HEAD. */
void ring_consume(struct card *c, struct card_ring *r, uint32_t n);

/* Submit one descriptor and wait for its completion; returns the status or -ETIMEDOUT. */
int ring_run(struct card *c, struct card_ring *r, const struct gmrk_desc *d);

/* Sleep @ms milliseconds. */
void card_sleep_ms(unsigned int ms);

/*
 * Print "GMRK-HOOK: ..." for the host hook (tests/qmp/qmp.py hook) to act
 * on, e.g. "qom-set card0 fail-next 2"; the host handles them in order.
 */
void hook(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Ask the host to raise STATUS.FATAL of the card QEMU calls @id and wait up
 * to @ms for the bit: once it is set, every earlier hook request has been
 * acted on. 0 or -ETIMEDOUT.
 */
int card_hook_fatal(struct card *c, const char *id, unsigned int ms);

/*
 * Wait for the host to act on earlier hook requests: card_hook_fatal(),
 * then reset the card (which clears FATAL but keeps the other knobs) and
 * set up @r's queue again with its size. 0 or -errno.
 */
int card_host_sync(struct card *c, struct card_ring *r, const char *id, unsigned int ms);

#endif /* GMRK_QMP_CARD_ACCESS_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The key-slot commands of a gm-rk card (GMRK_OP_KEY_*, driver/gmrk_hw.h)
 * issued from guest userspace through card_access.h, for the QMP tests of
 * the QEMU model. Each call runs one descriptor on @r and returns its
 * completion status (GMRK_ST_*) or -ETIMEDOUT / -EPROTO.
 */
#ifndef GMRK_QMP_CARD_KEYS_H
#define GMRK_QMP_CARD_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card_access.h"

#define KEY_POISON	0x5a

/* Two DMA pages for a command's input and output. */
struct key_io {
	struct dma_page in, out;
};

int key_io_alloc(struct card *c, struct key_io *io);
void key_io_free(struct key_io *io);

/*
 * A key descriptor with alg GMRK_ALG_SM2, @slot and @data_len set, every
 * other field zero, and a fresh cookie.
 */
struct gmrk_desc key_desc(uint8_t op, unsigned int slot, uint32_t data_len);
/* Point @d's src and dst at flat buffers. */
void key_desc_io(struct gmrk_desc *d, uint64_t src, uint32_t src_len,
		 uint64_t dst, uint32_t dst_len);

/*
 * KEY_GEN / KEY_PUB: io->out is poisoned with KEY_POISON first, the
 * public key is copied to @pub whatever the status.
 */
int key_gen(struct card *c, struct card_ring *r, struct key_io *io,
	    unsigned int slot, uint8_t pub[GMRK_SM2_PUB_LEN]);
int key_pub(struct card *c, struct card_ring *r, struct key_io *io,
	    unsigned int slot, uint8_t pub[GMRK_SM2_PUB_LEN]);

/*
 * KEY_UNWRAP of @ct (GMRK_SM2_OVERHEAD + @mlen bytes) with dst_len a whole
 * page: io->out is poisoned first and its first @mlen bytes copied to @m
 * whatever the status.
 */
int key_unwrap(struct card *c, struct card_ring *r, struct key_io *io,
	       unsigned int slot, const uint8_t *ct, uint32_t mlen, uint8_t *m);

int key_destroy(struct card *c, struct card_ring *r, unsigned int slot);

/* True if @len bytes of io->out from @off still hold KEY_POISON. */
bool key_out_poisoned(const struct key_io *io, size_t off, size_t len);

/* KEY_DESTROY every slot KEY_SLOT_MAP shows; returns how many failed. */
int key_destroy_all(struct card *c, struct card_ring *r);

/*
 * Open the gm-rk card whose KEY_SLOTS reads @slots (cards are tried in PCI
 * order). 0, or -ENODEV if there is none.
 */
int card_open_slots(struct card *c, uint32_t slots);

/*
 * card_open_slots(), then CTRL.RESET, queue 0 with rings of @ring_size
 * entries in @r, and @io. 0; -ENODEV only if there is no such card; else
 * another -errno, card_keys_close() releasing what was set up.
 */
int card_keys_open(struct card *c, struct card_ring *r, struct key_io *io,
		   uint32_t slots, uint32_t ring_size);
/* If @c is open: reset it, free @r and @io, close it. */
void card_keys_close(struct card *c, struct card_ring *r, struct key_io *io);

#endif /* GMRK_QMP_CARD_KEYS_H */

// SPDX-License-Identifier: GPL-2.0-or-later
/* Key-slot commands on a gm-rk card from guest userspace (card_keys.h). */
#include "card_keys.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

static uint64_t key_cookie = 0x6b65790000000000ull;	/* "key" */

int key_io_alloc(struct card *c, struct key_io *io)
{
	int err;

	memset(io, 0, sizeof(*io));
	err = dma_page_alloc(c, &io->in);
	if (!err)
		err = dma_page_alloc(c, &io->out);
	if (err)
		key_io_free(io);
	return err;
}

void key_io_free(struct key_io *io)
{
	dma_page_free(&io->in);
	dma_page_free(&io->out);
}

struct gmrk_desc key_desc(uint8_t op, unsigned int slot, uint32_t data_len)
{
	struct gmrk_desc d;

	memset(&d, 0, sizeof(d));
	d.opcode = op;
	d.alg = GMRK_ALG_SM2;
	d.slot = htole16((uint16_t)slot);
	d.data_len = htole32(data_len);
	d.cookie = htole64(key_cookie++);
	return d;
}

void key_desc_io(struct gmrk_desc *d, uint64_t src, uint32_t src_len,
		 uint64_t dst, uint32_t dst_len)
{
	d->src_addr = htole64(src);
	d->src_len = htole32(src_len);
	d->dst_addr = htole64(dst);
	d->dst_len = htole32(dst_len);
}

static int key_pubop(struct card *c, struct card_ring *r, struct key_io *io,
		     uint8_t op, unsigned int slot, uint8_t *pub)
{
	struct gmrk_desc d = key_desc(op, slot, GMRK_SM2_PUB_LEN);
	int st;

	memset(io->out.va, KEY_POISON, CARD_PAGE);
	key_desc_io(&d, 0, 0, io->out.pa, GMRK_SM2_PUB_LEN);
	st = ring_run(c, r, &d);
	memcpy(pub, io->out.va, GMRK_SM2_PUB_LEN);
	return st;
}

int key_gen(struct card *c, struct card_ring *r, struct key_io *io,
	    unsigned int slot, uint8_t pub[GMRK_SM2_PUB_LEN])
{
	return key_pubop(c, r, io, GMRK_OP_KEY_GEN, slot, pub);
}

int key_pub(struct card *c, struct card_ring *r, struct key_io *io,
	    unsigned int slot, uint8_t pub[GMRK_SM2_PUB_LEN])
{
	return key_pubop(c, r, io, GMRK_OP_KEY_PUB, slot, pub);
}

int key_unwrap(struct card *c, struct card_ring *r, struct key_io *io,
	       unsigned int slot, const uint8_t *ct, uint32_t mlen, uint8_t *m)
{
	struct gmrk_desc d = key_desc(GMRK_OP_KEY_UNWRAP, slot, mlen);
	int st;

	memcpy(io->in.va, ct, GMRK_SM2_OVERHEAD + mlen);
	memset(io->out.va, KEY_POISON, CARD_PAGE);
	key_desc_io(&d, io->in.pa, GMRK_SM2_OVERHEAD + mlen, io->out.pa, CARD_PAGE);
	st = ring_run(c, r, &d);
	memcpy(m, io->out.va, mlen);
	return st;
}

int key_destroy(struct card *c, struct card_ring *r, unsigned int slot)
{
	struct gmrk_desc d = key_desc(GMRK_OP_KEY_DESTROY, slot, 0);

	return ring_run(c, r, &d);
}

bool key_out_poisoned(const struct key_io *io, size_t off, size_t len)
{
	for (size_t i = off; i < off + len; i++) {
		if (io->out.va[i] != KEY_POISON)
			return false;
	}
	return true;
}

int key_destroy_all(struct card *c, struct card_ring *r)
{
	uint32_t map = card_rd(c, GMRK_REG_KEY_SLOT_MAP);
	int failed = 0;

	for (unsigned int s = 0; s < 32; s++) {
		if ((map & (1u << s)) && key_destroy(c, r, s) != GMRK_ST_OK)
			failed++;
	}
	return failed;
}

int card_open_slots(struct card *c, uint32_t slots)
{
	for (unsigned int i = 0; i < 16; i++) {
		int err = card_open(c, i);

		if (err)
			return err;
		if (card_rd(c, GMRK_REG_KEY_SLOTS) == slots)
			return 0;
		card_close(c);
	}
	return -ENODEV;
}

int card_keys_open(struct card *c, struct card_ring *r, struct key_io *io,
		   uint32_t slots, uint32_t ring_size)
{
	int err = card_open_slots(c, slots);

	if (err)
		return err;
	err = card_reset(c);
	if (!err)
		err = ring_setup(c, r, 0, ring_size);
	if (!err)
		err = key_io_alloc(c, io);
	/* The card is there: -ENODEV would read as "no such card". */
	return err == -ENODEV ? -EIO : err;
}

void card_keys_close(struct card *c, struct card_ring *r, struct key_io *io)
{
	if (!c->bar)
		return;
	card_reset(c);
	ring_free(r);
	key_io_free(io);
	card_close(c);
}

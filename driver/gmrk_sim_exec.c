// SPDX-License-Identifier: GPL-2.0-only
/*
 * gmrk emulation device: the job executor.
 *
 * Each queue has a work item on the device's unbound workqueue. A doorbell
 * (or anything else that may let the queue make progress) queues it; it
 * fetches descriptors from the submission ring while the completion ring
 * has room, executes them one by one with the kernel's synchronous software
 * AEADs (key-slot commands with gmrk_sim_keys.c), writes the completions
 * and raises the queue interrupt by calling gmrk_dev_queue_irq(). A work
 * item never runs concurrently with itself, so everything marked "executor
 * private" in gmrk_sim.h needs no lock.
 *
 * Memory is reached the way a device would reach it: from the bus address
 * in the descriptor. The emulation device only works with dma-direct
 * (gmrk_sim.c checks at probe that bus addresses are physical addresses),
 * so an address is turned into a page frame and each page is mapped with
 * kmap_local_page() while it is copied. Addresses outside System RAM make
 * the job fail with GMRK_ST_EDMA instead of touching them.
 */

#include <crypto/aead.h>
#include <linux/crypto.h>
#include <linux/highmem.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "gmrk_sim.h"
#include "gmrk_transport.h"

#define GMRK_SIM_BOUNCE_LEN	(GMRK_SIM_MAX_DATA + GMRK_TAG_MAX)
#define GMRK_SIM_FETCH_BATCH	16

/*
 * Never pick an asynchronous implementation or one that needs a fallback:
 * that excludes gmrk's own algorithms (no recursion into the device) and
 * lets every job complete synchronously in the work item.
 */
#define GMRK_SIM_CRYPTO_MASK	(CRYPTO_ALG_ASYNC | CRYPTO_ALG_NEED_FALLBACK)

static const struct {
	const char *name;
	u32 cap;
} gmrk_sim_algs[GMRK_SIM_NUM_ALGS] = {
	[GMRK_ALG_AES_GCM - 1] = { "gcm(aes)", GMRK_CAP_AES_GCM },
	[GMRK_ALG_SM4_GCM - 1] = { "gcm(sm4)", GMRK_CAP_SM4_GCM },
	[GMRK_ALG_CHACHAPOLY - 1] = { "rfc7539(chacha20,poly1305)",
				      GMRK_CAP_CHACHAPOLY },
};

/*
 * The software SM4 is gmrk's own "sm4-gmrk" cipher, so a gcm(sm4) transform
 * holds a reference on this very module. Holding one for the device's
 * lifetime would make rmmod impossible while a device exists; the executor
 * therefore allocates it when an SM4 job arrives and frees it again when the
 * queue runs idle.
 */
static bool gmrk_sim_alg_is_lazy(unsigned int idx)
{
	return idx == GMRK_ALG_SM4_GCM - 1;
}

/* ---- Device-side memory access ---- */

/* Whether [addr, addr + len) lies in System RAM, which a device may DMA to. */
static bool gmrk_sim_is_ram(u64 addr, u64 len)
{
	if (!len)
		return true;
	if (addr + len < addr)
		return false;
	return region_intersects(addr, len, IORESOURCE_SYSTEM_RAM,
				 IORES_DESC_NONE) == REGION_INTERSECTS;
}

bool gmrk_sim_ring_ok(u64 addr, u64 len)
{
	return gmrk_sim_is_ram(addr, len);
}

/*
 * Copy between @buf and bus address @addr, one page at a time. Callable in
 * atomic context (the rings are accessed under sim->lock).
 */
static bool gmrk_sim_dma(u64 addr, void *buf, size_t len, bool to_dev)
{
	u8 *p = buf;

	while (len) {
		unsigned long pfn = PHYS_PFN(addr);
		size_t off = offset_in_page(addr);
		size_t n = min_t(size_t, len, PAGE_SIZE - off);
		u8 *va;

		if (!pfn_valid(pfn))
			return false;
		va = kmap_local_page(pfn_to_page(pfn));
		if (to_dev)
			memcpy(va + off, p, n);
		else
			memcpy(p, va + off, n);
		kunmap_local(va);
		addr += n;
		p += n;
		len -= n;
	}
	return true;
}

/* ---- Descriptor validation ---- */

struct gmrk_sim_op {
	bool encrypt;
	unsigned int alg;	/* index into gmrk_sim_algs[] */
	u32 key_len;
	u32 tag_len;
	u32 aad_len;
	u32 data_len;
	u32 src_need;		/* bytes read from src */
	u32 dst_need;		/* bytes written to dst */
	unsigned int nsrc;
	unsigned int ndst;
};

static bool gmrk_sim_tag_ok(unsigned int alg, u32 tag_len)
{
	if (alg == GMRK_ALG_CHACHAPOLY - 1)
		return tag_len == 16;
	/* What the kernel's gcm implementation accepts (see gcm's authsize). */
	switch (tag_len) {
	case 4:
	case 8:
	case 12 ... 16:
		return true;
	default:
		return false;
	}
}

static bool gmrk_sim_key_ok(unsigned int alg, u32 key_len)
{
	switch (alg) {
	case GMRK_ALG_AES_GCM - 1:
		return key_len == 16 || key_len == 24 || key_len == 32;
	case GMRK_ALG_SM4_GCM - 1:
		return key_len == 16;
	default:
		return key_len == 32;
	}
}

/*
 * Turn a job's source or destination into at most GMRK_SGL_MAX segments
 * covering exactly @need bytes, checking every byte is RAM.
 */
static u16 gmrk_sim_resolve(struct gmrk_sim_queue *q, bool sgl, u64 addr,
			    u32 len, u32 need, struct gmrk_sim_seg *seg,
			    unsigned int *nseg)
{
	unsigned int i, n = 0;
	u64 total = 0;

	*nseg = 0;
	if (sgl && len > GMRK_SGL_MAX)
		return GMRK_ST_EINVAL;
	if (!need)
		return GMRK_ST_OK;

	if (!sgl) {
		if (len < need)
			return GMRK_ST_EINVAL;
		seg[0].addr = addr;
		seg[0].len = need;
		n = 1;
	} else {
		if (!len)
			return GMRK_ST_EINVAL;
		if (!gmrk_sim_is_ram(addr, (u64)len * sizeof(struct gmrk_sge)) ||
		    !gmrk_sim_dma(addr, q->sgl, len * sizeof(struct gmrk_sge),
				  false))
			return GMRK_ST_EDMA;
		for (i = 0; i < len && total < need; i++) {
			u32 l = le32_to_cpu(q->sgl[i].len);

			if (!l)
				continue;
			seg[n].addr = le64_to_cpu(q->sgl[i].addr);
			seg[n].len = min_t(u64, l, need - total);
			total += seg[n].len;
			n++;
		}
		if (total < need)
			return GMRK_ST_EINVAL;
	}

	for (i = 0; i < n; i++)
		if (!gmrk_sim_is_ram(seg[i].addr, seg[i].len))
			return GMRK_ST_EDMA;
	*nseg = n;
	return GMRK_ST_OK;
}

static u16 gmrk_sim_check(struct gmrk_sim_queue *q, const struct gmrk_desc *d,
			  struct gmrk_sim_op *op)
{
	bool sgl = d->flags & GMRK_DF_SGL;
	u16 st;

	op->encrypt = d->opcode == GMRK_OP_ENCRYPT;
	if (d->flags & ~(GMRK_DF_SGL | GMRK_DF_IRQ))
		return GMRK_ST_EINVAL;
	if (sgl && !(q->sim->caps & GMRK_CAP_SG))
		return GMRK_ST_ENOTSUPP;
	if (d->alg < GMRK_ALG_AES_GCM || d->alg > GMRK_ALG_CHACHAPOLY)
		return GMRK_ST_ENOTSUPP;
	op->alg = d->alg - 1;
	if (!(q->sim->caps & gmrk_sim_algs[op->alg].cap))
		return GMRK_ST_ENOTSUPP;
	op->key_len = d->key_len;
	op->tag_len = d->tag_len;
	if (!gmrk_sim_key_ok(op->alg, op->key_len) ||
	    !gmrk_sim_tag_ok(op->alg, op->tag_len) || d->iv_len != GMRK_IV_LEN)
		return GMRK_ST_ENOTSUPP;

	op->aad_len = le32_to_cpu(d->aad_len);
	op->data_len = le32_to_cpu(d->data_len);
	if ((u64)op->aad_len + op->data_len > GMRK_SIM_MAX_DATA)
		return GMRK_ST_E2BIG;
	op->src_need = op->aad_len + op->data_len;
	op->dst_need = op->data_len;
	if (op->encrypt)
		op->dst_need += op->tag_len;
	else
		op->src_need += op->tag_len;

	st = gmrk_sim_resolve(q, sgl, le64_to_cpu(d->src_addr),
			      le32_to_cpu(d->src_len), op->src_need,
			      q->src_seg, &op->nsrc);
	if (st)
		return st;
	return gmrk_sim_resolve(q, sgl, le64_to_cpu(d->dst_addr),
				le32_to_cpu(d->dst_len), op->dst_need,
				q->dst_seg, &op->ndst);
}

/* ---- Execution ---- */

static int gmrk_sim_alloc_alg(struct gmrk_sim_queue *q, unsigned int idx)
{
	struct crypto_aead *tfm;
	struct aead_request *req;

	tfm = crypto_alloc_aead(gmrk_sim_algs[idx].name, 0,
				GMRK_SIM_CRYPTO_MASK);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	req = aead_request_alloc(tfm, GFP_KERNEL);
	if (!req) {
		crypto_free_aead(tfm);
		return -ENOMEM;
	}
	q->alg[idx].tfm = tfm;
	q->alg[idx].req = req;
	return 0;
}

static void gmrk_sim_free_alg(struct gmrk_sim_queue *q, unsigned int idx)
{
	/* aead_request_free() zeroizes the request, crypto_free_aead() the key. */
	aead_request_free(q->alg[idx].req);
	crypto_free_aead(q->alg[idx].tfm);
	q->alg[idx].req = NULL;
	q->alg[idx].tfm = NULL;
}

static u16 gmrk_sim_compute(struct gmrk_sim_queue *q, const struct gmrk_desc *d,
			    const struct gmrk_sim_op *op)
{
	struct crypto_aead *tfm;
	struct aead_request *req;
	DECLARE_CRYPTO_WAIT(wait);
	u8 iv[GMRK_IV_LEN];
	int err;

	if (!q->alg[op->alg].tfm && gmrk_sim_alloc_alg(q, op->alg))
		return GMRK_ST_EDEV;
	tfm = q->alg[op->alg].tfm;
	req = q->alg[op->alg].req;

	if (crypto_aead_setkey(tfm, d->key, op->key_len) ||
	    crypto_aead_setauthsize(tfm, op->tag_len))
		return GMRK_ST_ENOTSUPP;

	memcpy(iv, d->iv, sizeof(iv));
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_SLEEP,
				  crypto_req_done, &wait);
	aead_request_set_ad(req, op->aad_len);
	aead_request_set_crypt(req, q->bounce_sgt.sgl, q->bounce_sgt.sgl,
			       op->encrypt ? op->data_len :
			       op->data_len + op->tag_len, iv);
	if (op->encrypt)
		err = crypto_wait_req(crypto_aead_encrypt(req), &wait);
	else
		err = crypto_wait_req(crypto_aead_decrypt(req), &wait);
	memzero_explicit(iv, sizeof(iv));

	if (err == -EBADMSG)
		return GMRK_ST_EBADMSG;
	return err ? GMRK_ST_EDEV : GMRK_ST_OK;
}

static bool gmrk_sim_copy_segs(const struct gmrk_sim_seg *seg, unsigned int n,
			       u8 *buf, bool to_dev)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!gmrk_sim_dma(seg[i].addr, buf, seg[i].len, to_dev))
			return false;
		buf += seg[i].len;
	}
	return true;
}

static u16 gmrk_sim_crypt(struct gmrk_sim_queue *q, const struct gmrk_desc *d)
{
	struct gmrk_sim_dev *sim = q->sim;
	struct gmrk_sim_op op;
	u16 st;

	/* An injected internal error: the device gives up before any DMA. */
	if (atomic_dec_if_positive(&sim->fail_next) >= 0)
		return GMRK_ST_EDEV;

	st = gmrk_sim_check(q, d, &op);
	if (st)
		return st;

	/* All input is read before any output is written: src may be dst. */
	if (!gmrk_sim_copy_segs(q->src_seg, op.nsrc, q->bounce, false)) {
		st = GMRK_ST_EDMA;
		goto out;
	}
	st = gmrk_sim_compute(q, d, &op);
	if (st)
		goto out;

	if (op.dst_need && atomic_dec_if_positive(&sim->corrupt_next) >= 0)
		q->bounce[op.aad_len] ^= 0x01;

	if (!gmrk_sim_copy_segs(q->dst_seg, op.ndst, q->bounce + op.aad_len,
				true))
		st = GMRK_ST_EDMA;
out:
	memzero_explicit(q->bounce, op.aad_len + op.data_len + op.tag_len);
	return st;
}

/*
 * A key-slot command (GMRK_OP_KEY_*): contiguous buffers only, every field
 * as gmrk_hw.h lays down, checked before any data moves. The fault knobs
 * act on these jobs as on any other.
 */
static u16 gmrk_sim_key_job(struct gmrk_sim_queue *q, const struct gmrk_desc *d)
{
	struct gmrk_sim_dev *sim = q->sim;
	u32 data_len = le32_to_cpu(d->data_len);
	u32 src_len = le32_to_cpu(d->src_len);
	u32 dst_len = le32_to_cpu(d->dst_len);
	u64 src = le64_to_cpu(d->src_addr);
	u64 dst = le64_to_cpu(d->dst_addr);
	unsigned int slot = le16_to_cpu(d->slot);
	u8 in[GMRK_SM2_OVERHEAD + GMRK_UNWRAP_MAX];
	u8 out[GMRK_SM2_PUB_LEN];	/* a public key or a message */
	u32 in_len = 0, out_len = 0;
	u16 st;

	static_assert(GMRK_UNWRAP_MAX <= GMRK_SM2_PUB_LEN);

	/* A device without key slots does not know these opcodes. */
	if (!(sim->caps & GMRK_CAP_KEYSLOTS))
		return GMRK_ST_EINVAL;
	if (atomic_dec_if_positive(&sim->fail_next) >= 0)
		return GMRK_ST_EDEV;

	if (d->alg != GMRK_ALG_SM2 || (d->flags & ~GMRK_DF_IRQ) ||
	    d->key_len || d->tag_len || d->iv_len || d->aad_len ||
	    slot >= sim->key_slots)
		return GMRK_ST_EINVAL;
	switch (d->opcode) {
	case GMRK_OP_KEY_GEN:
	case GMRK_OP_KEY_PUB:
		if (src_len || data_len != GMRK_SM2_PUB_LEN ||
		    dst_len < GMRK_SM2_PUB_LEN)
			return GMRK_ST_EINVAL;
		out_len = GMRK_SM2_PUB_LEN;
		break;
	case GMRK_OP_KEY_UNWRAP:
		if (!data_len || data_len > GMRK_UNWRAP_MAX ||
		    src_len != GMRK_SM2_OVERHEAD + data_len || dst_len < data_len)
			return GMRK_ST_EINVAL;
		in_len = src_len;
		out_len = data_len;
		break;
	default:	/* GMRK_OP_KEY_DESTROY */
		if (src_len || dst_len || data_len)
			return GMRK_ST_EINVAL;
		break;
	}
	if (!gmrk_sim_is_ram(src, in_len) || !gmrk_sim_is_ram(dst, out_len))
		return GMRK_ST_EDMA;
	if (in_len && !gmrk_sim_dma(src, in, in_len, false))
		return GMRK_ST_EDMA;

	switch (d->opcode) {
	case GMRK_OP_KEY_GEN:
		st = gmrk_sim_key_gen(sim, slot, out);
		break;
	case GMRK_OP_KEY_PUB:
		st = gmrk_sim_key_pub(sim, slot, out);
		break;
	case GMRK_OP_KEY_UNWRAP:
		st = gmrk_sim_key_unwrap(sim, slot, in, in_len, out);
		break;
	default:
		st = gmrk_sim_key_destroy(sim, slot);
		break;
	}

	if (st == GMRK_ST_OK && out_len) {
		if (atomic_dec_if_positive(&sim->corrupt_next) >= 0)
			out[0] ^= 0x01;
		if (!gmrk_sim_dma(dst, out, out_len, true))
			st = GMRK_ST_EDMA;
	}
	memzero_explicit(in, sizeof(in));
	memzero_explicit(out, sizeof(out));
	return st;
}

/* Sleep for the injected latency, ending early if the job is being dropped. */
static void gmrk_sim_delay(struct gmrk_sim_queue *q, u32 gen)
{
	struct gmrk_sim_dev *sim = q->sim;
	u32 us = READ_ONCE(sim->latency_us);

	if (!us)
		return;
	/* Interruptible: a kworker gets no signals, and the hung task check
	 * must not fire for long injected latencies.
	 */
	wait_event_interruptible_hrtimeout(sim->waitq,
					   READ_ONCE(q->gen) != gen ||
					   test_bit(GMRK_SIM_F_DYING, &sim->flags),
					   ns_to_ktime((u64)us * NSEC_PER_USEC));
}

/* ---- Rings ---- */

static void gmrk_sim_queue_error(struct gmrk_sim_queue *q)
{
	lockdep_assert_held(&q->sim->lock);
	gmrk_sim_set_qreg(q, GMRK_Q_STATUS, GMRK_QSTATUS_ERROR);
	dev_warn_ratelimited(&q->sim->dev, "queue %u: bad ring state, queue stopped\n",
			     q->qid);
}

static bool gmrk_sim_can_fetch(struct gmrk_sim_queue *q)
{
	struct gmrk_sim_dev *sim = q->sim;

	return !test_bit(GMRK_SIM_F_DYING, &sim->flags) &&
	       (gmrk_sim_reg(sim, GMRK_REG_CTRL) & GMRK_CTRL_ENABLE) &&
	       (gmrk_sim_qreg(q, GMRK_Q_CTRL) & GMRK_QCTRL_ENABLE) &&
	       (gmrk_sim_qreg(q, GMRK_Q_STATUS) & GMRK_QSTATUS_ENABLED) &&
	       !test_bit(GMRK_SIM_F_QFULL, &sim->flags);
}

/* Fetch up to @max descriptors into the fifo; returns how many. */
static unsigned int gmrk_sim_fetch(struct gmrk_sim_queue *q, unsigned int max)
{
	struct gmrk_sim_dev *sim = q->sim;
	unsigned int fetched = 0;
	unsigned long flags;

	while (fetched < max) {
		u32 size, wrap, head, tail, cq_used, slot;
		struct gmrk_sim_job *job;
		u64 base;

		spin_lock_irqsave(&sim->lock, flags);
		if (q->gen != q->seen_gen || !gmrk_sim_can_fetch(q)) {
			spin_unlock_irqrestore(&sim->lock, flags);
			break;
		}
		size = gmrk_sim_qreg(q, GMRK_Q_SIZE);
		wrap = 2 * size - 1;
		head = gmrk_sim_qreg(q, GMRK_Q_SQ_HEAD);
		tail = gmrk_sim_qreg(q, GMRK_Q_SQ_TAIL);
		cq_used = (gmrk_sim_qreg(q, GMRK_Q_CQ_TAIL) -
			   gmrk_sim_qreg(q, GMRK_Q_CQ_HEAD)) & wrap;
		if (((tail - head) & wrap) > size || cq_used > size) {
			/* The driver rang past the ring: a bug, stop. */
			gmrk_sim_queue_error(q);
			spin_unlock_irqrestore(&sim->lock, flags);
			break;
		}
		if (head == tail || q->fifo_count + cq_used >= size) {
			q->cq_blocked = head != tail;
			spin_unlock_irqrestore(&sim->lock, flags);
			break;
		}
		base = gmrk_sim_qreg(q, GMRK_Q_SQ_BASE_LO) |
		       (u64)gmrk_sim_qreg(q, GMRK_Q_SQ_BASE_HI) << 32;
		slot = (q->fifo_head + q->fifo_count) % sim->max_depth;
		job = &q->fifo[slot];
		if (!gmrk_sim_dma(base + (u64)(head % size) * sizeof(job->desc),
				  &job->desc, sizeof(job->desc), false)) {
			gmrk_sim_queue_error(q);
			spin_unlock_irqrestore(&sim->lock, flags);
			break;
		}
		head = (head + 1) & wrap;
		gmrk_sim_set_qreg(q, GMRK_Q_SQ_HEAD, head);
		job->sq_head = head;
		q->fifo_count++;
		spin_unlock_irqrestore(&sim->lock, flags);
		fetched++;
	}
	return fetched;
}

/*
 * Write the completion of @job unless the jobs of generation @gen have been
 * dropped meanwhile. Returns whether the queue interrupt must be raised.
 */
static bool gmrk_sim_complete(struct gmrk_sim_queue *q,
			      const struct gmrk_sim_job *job, u16 status,
			      u32 gen)
{
	struct gmrk_sim_dev *sim = q->sim;
	struct gmrk_cpl cpl = {
		.cookie = job->desc.cookie,
		.status = cpu_to_le16(status),
		.sq_head = cpu_to_le16(job->sq_head),
	};
	bool error = status != GMRK_ST_OK && status != GMRK_ST_EBADMSG;
	bool irq = false;
	u32 size, tail;
	unsigned long flags;
	u64 base;

	spin_lock_irqsave(&sim->lock, flags);
	if (q->gen != gen || test_bit(GMRK_SIM_F_DYING, &sim->flags)) {
		spin_unlock_irqrestore(&sim->lock, flags);
		return false;
	}
	size = gmrk_sim_qreg(q, GMRK_Q_SIZE);
	tail = gmrk_sim_qreg(q, GMRK_Q_CQ_TAIL);
	base = gmrk_sim_qreg(q, GMRK_Q_CQ_BASE_LO) |
	       (u64)gmrk_sim_qreg(q, GMRK_Q_CQ_BASE_HI) << 32;
	if (!gmrk_sim_dma(base + (u64)(tail % size) * sizeof(cpl), &cpl,
			  sizeof(cpl), true)) {
		gmrk_sim_queue_error(q);
		spin_unlock_irqrestore(&sim->lock, flags);
		return false;
	}
	/* The entry is visible before the tail that publishes it. */
	smp_store_release(&sim->regs[GMRK_QREG(q->qid, GMRK_Q_CQ_TAIL) / 4],
			  (tail + 1) & (2 * size - 1));
	gmrk_sim_set_reg(sim, GMRK_REG_INTR_STATUS,
			 gmrk_sim_reg(sim, GMRK_REG_INTR_STATUS) | BIT(q->qid));
	if (error)
		gmrk_sim_set_reg(sim, GMRK_REG_ERR_COUNT,
				 gmrk_sim_reg(sim, GMRK_REG_ERR_COUNT) + 1);
	if (job->desc.flags & GMRK_DF_IRQ) {
		if (!sim->gd ||
		    (gmrk_sim_reg(sim, GMRK_REG_INTR_MASK) & BIT(q->qid)))
			q->irq_latched = true;
		else
			irq = true;
	}
	spin_unlock_irqrestore(&sim->lock, flags);

	atomic64_inc(&sim->jobs);
	if (error)
		atomic64_inc(&sim->errors);
	return irq;
}

static u16 gmrk_sim_exec(struct gmrk_sim_queue *q, const struct gmrk_desc *d)
{
	switch (d->opcode) {
	case GMRK_OP_NOP:
		return GMRK_ST_OK;
	case GMRK_OP_ENCRYPT:
	case GMRK_OP_DECRYPT:
		return gmrk_sim_crypt(q, d);
	case GMRK_OP_KEY_GEN:
	case GMRK_OP_KEY_PUB:
	case GMRK_OP_KEY_UNWRAP:
	case GMRK_OP_KEY_DESTROY:
		return gmrk_sim_key_job(q, d);
	default:
		return GMRK_ST_EINVAL;
	}
}

/* Drop what the device holds if its generation has moved on. */
static void gmrk_sim_sync_gen(struct gmrk_sim_queue *q)
{
	struct gmrk_sim_dev *sim = q->sim;
	unsigned long flags;
	u32 gen;

	spin_lock_irqsave(&sim->lock, flags);
	gen = q->gen;
	if (!(gmrk_sim_qreg(q, GMRK_Q_CTRL) & GMRK_QCTRL_ENABLE))
		/* Disabled: from now on the queue's memory is not touched. */
		gmrk_sim_set_qreg(q, GMRK_Q_STATUS, 0);
	spin_unlock_irqrestore(&sim->lock, flags);

	if (gen == q->seen_gen)
		return;
	memzero_explicit(q->fifo, sizeof(*q->fifo) * sim->max_depth);
	q->fifo_head = 0;
	q->fifo_count = 0;
	q->seen_gen = gen;
}

static void gmrk_sim_run_one(struct gmrk_sim_queue *q)
{
	struct gmrk_sim_job *job = &q->fifo[q->fifo_head];
	struct gmrk_sim_dev *sim = q->sim;
	u32 gen = q->seen_gen;
	struct gmrk_dev *gd;
	unsigned long flags;
	u16 status;

	status = gmrk_sim_exec(q, &job->desc);
	gmrk_sim_delay(q, gen);
	if (gmrk_sim_complete(q, job, status, gen)) {
		spin_lock_irqsave(&sim->lock, flags);
		gd = sim->gd;
		spin_unlock_irqrestore(&sim->lock, flags);
		/*
		 * gd stays valid: the core's removal resets the device, and
		 * the reset waits for this work item before it completes.
		 */
		if (gd)
			gmrk_dev_queue_irq(gd, q->qid);
	}
	/* The copy holds the job's key. */
	memzero_explicit(job, sizeof(*job));
	q->fifo_head = (q->fifo_head + 1) % sim->max_depth;
	q->fifo_count--;
}

/* Raise an interrupt that was held back while masked or before bring-up. */
static void gmrk_sim_deliver_latched(struct gmrk_sim_queue *q)
{
	struct gmrk_sim_dev *sim = q->sim;
	struct gmrk_dev *gd = NULL;
	unsigned long flags;

	spin_lock_irqsave(&sim->lock, flags);
	if (q->irq_kick && q->irq_latched && sim->gd &&
	    !test_bit(GMRK_SIM_F_DYING, &sim->flags) &&
	    !(gmrk_sim_reg(sim, GMRK_REG_INTR_MASK) & BIT(q->qid))) {
		q->irq_latched = false;
		gd = sim->gd;
	}
	q->irq_kick = false;
	spin_unlock_irqrestore(&sim->lock, flags);
	if (gd)
		gmrk_dev_queue_irq(gd, q->qid);
}

void gmrk_sim_queue_work(struct work_struct *work)
{
	struct gmrk_sim_queue *q = container_of(work, struct gmrk_sim_queue,
						work);
	unsigned int i;

	for (;;) {
		unsigned int fetched;

		gmrk_sim_sync_gen(q);
		fetched = gmrk_sim_fetch(q, GMRK_SIM_FETCH_BATCH);
		if (q->fifo_count && !test_bit(GMRK_SIM_F_STALL, &q->sim->flags))
			gmrk_sim_run_one(q);
		else if (!fetched)
			break;	/* idle, or stalled with nothing more to fetch */
		cond_resched();
	}
	gmrk_sim_deliver_latched(q);

	if (!q->fifo_count)
		for (i = 0; i < GMRK_SIM_NUM_ALGS; i++)
			if (gmrk_sim_alg_is_lazy(i) && q->alg[i].tfm)
				gmrk_sim_free_alg(q, i);
}

/* ---- Setup ---- */

/*
 * The capabilities the device offers: the algorithms the kernel can
 * compute, and key slots if it has any. The lazily allocated algorithms are
 * instantiated once here, which also runs the kernel's self-test of the
 * software instance before the driver core starts using the device.
 */
u32 gmrk_sim_exec_caps(struct gmrk_sim_dev *sim)
{
	u32 caps = GMRK_CAP_SG;
	unsigned int i, qid;

	if (sim->key_slots)
		caps |= GMRK_CAP_KEYSLOTS;

	for (i = 0; i < GMRK_SIM_NUM_ALGS; i++) {
		bool ok = true;

		if (gmrk_sim_alg_is_lazy(i)) {
			ok = !gmrk_sim_alloc_alg(&sim->queues[0], i);
			if (ok)
				gmrk_sim_free_alg(&sim->queues[0], i);
		}
		for (qid = 0; ok && qid < sim->num_queues; qid++)
			if (!gmrk_sim_alg_is_lazy(i) && !sim->queues[qid].alg[i].tfm)
				ok = false;
		if (ok)
			caps |= gmrk_sim_algs[i].cap;
		else
			dev_warn(&sim->dev, "%s unavailable, not offered\n",
				 gmrk_sim_algs[i].name);
	}
	return caps;
}

int gmrk_sim_exec_init(struct gmrk_sim_queue *q)
{
	unsigned int i, npages = DIV_ROUND_UP(GMRK_SIM_BOUNCE_LEN, PAGE_SIZE);
	struct scatterlist *sg;

	q->fifo = kvcalloc(q->sim->max_depth, sizeof(*q->fifo), GFP_KERNEL);
	q->sgl = kcalloc(GMRK_SGL_MAX, sizeof(*q->sgl), GFP_KERNEL);
	q->src_seg = kcalloc(GMRK_SGL_MAX, sizeof(*q->src_seg), GFP_KERNEL);
	q->dst_seg = kcalloc(GMRK_SGL_MAX, sizeof(*q->dst_seg), GFP_KERNEL);
	q->bounce = vzalloc(npages * PAGE_SIZE);
	if (!q->fifo || !q->sgl || !q->src_seg || !q->dst_seg || !q->bounce)
		goto nomem;

	/* The crypto API walks the bounce buffer as a list of its pages. */
	if (sg_alloc_table(&q->bounce_sgt, npages, GFP_KERNEL))
		goto nomem;
	for_each_sgtable_sg(&q->bounce_sgt, sg, i)
		sg_set_page(sg, vmalloc_to_page(q->bounce + i * PAGE_SIZE),
			    PAGE_SIZE, 0);

	for (i = 0; i < GMRK_SIM_NUM_ALGS; i++) {
		if (gmrk_sim_alg_is_lazy(i))
			continue;
		/* A missing algorithm is left out of CAPS, not fatal. */
		gmrk_sim_alloc_alg(q, i);
	}
	return 0;

nomem:
	gmrk_sim_exec_free(q);
	return -ENOMEM;
}

void gmrk_sim_exec_free(struct gmrk_sim_queue *q)
{
	unsigned int i;

	for (i = 0; i < GMRK_SIM_NUM_ALGS; i++)
		if (q->alg[i].tfm)
			gmrk_sim_free_alg(q, i);
	sg_free_table(&q->bounce_sgt);
	vfree(q->bounce);
	kfree(q->dst_seg);
	kfree(q->src_seg);
	kfree(q->sgl);
	if (q->fifo)
		memzero_explicit(q->fifo, sizeof(*q->fifo) * q->sim->max_depth);
	kvfree(q->fifo);
	q->bounce = NULL;
	q->dst_seg = NULL;
	q->src_seg = NULL;
	q->sgl = NULL;
	q->fifo = NULL;
}

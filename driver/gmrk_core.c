// SPDX-License-Identifier: GPL-2.0-only
/*
 * gmrk: the bus-agnostic driver core.
 *
 * It owns the devices the transports hand it (gmrk_dev_add()), their
 * queues and rings, request submission with a per-device backlog,
 * completion, job timeouts with device reset and recovery, and removal.
 * Every request given to a device is completed exactly once: with the
 * device's result, or, whenever the device cannot deliver one (error
 * status, timeout, reset, removal), by redoing it in software.
 *
 * Key-slot commands (GMRK_OP_KEY_*, gmrk_core_key_op()) travel the same
 * rings, timeouts, resets and removals as requests, but have a waiting
 * caller instead of a callback and are never redone in software: the
 * private key exists only in the device, so a command the device does not
 * answer ends with an error.
 *
 * Job ownership: a request is in exactly one of these places at a time,
 * and moving it between them happens under the lock of the place it
 * leaves: a queue's job table (q->lock), the device backlog (gd->lock), or
 * a private list of the context that is finishing it.
 */

#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/idr.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/rculist.h>
#include <linux/refcount.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/srcu.h>
#include <linux/string.h>
#include <crypto/internal/aead.h>
#include <crypto/scatterwalk.h>
#include <linux/gmrk.h>

#include "gmrk_core.h"

/* Devices, newest last; readers (submitters) under gmrk_srcu. */
static LIST_HEAD(gmrk_devices);
static DEFINE_MUTEX(gmrk_devices_lock);
static struct srcu_struct gmrk_srcu;
static DEFINE_IDA(gmrk_minor_ida);

/* Algorithm registration follows the number of devices. */
static DEFINE_MUTEX(gmrk_alg_lock);
static unsigned int gmrk_nr_devices;
static bool gmrk_algs_registered;
static void gmrk_unreg_work_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(gmrk_unreg_work, gmrk_unreg_work_fn);
#define GMRK_UNREG_RETRY_MS	200

struct workqueue_struct *gmrk_wq;

static void gmrk_backlog_run(struct gmrk_dev *gd);

const char *gmrk_state_name(enum gmrk_dev_state state)
{
	switch (state) {
	case GMRK_DS_INIT:
		return "init";
	case GMRK_DS_ONLINE:
		return "online";
	case GMRK_DS_RESETTING:
		return "resetting";
	case GMRK_DS_FAILED:
		return "failed";
	case GMRK_DS_REMOVING:
		return "removing";
	}
	return "unknown";
}

/* How long @job may take, in jiffies; 0: no limit. */
static unsigned long gmrk_job_tmo(const struct gmrk_job *job)
{
	unsigned int ms = job->rctx->req ? READ_ONCE(gmrk_job_timeout_ms) :
					   READ_ONCE(gmrk_key_timeout_ms);

	return ms ? msecs_to_jiffies(ms) : 0;
}

static bool gmrk_job_expired(const struct gmrk_job *job)
{
	unsigned long tmo = gmrk_job_tmo(job);

	return tmo && time_after(jiffies, job->submitted + tmo);
}

/* ---- Request DMA mapping ---- */

/*
 * Walk the first @nents DMA segments of @sgl, skip @skip bytes and describe
 * the next @len bytes. Fills @out (if not NULL) with at most GMRK_SGL_MAX
 * entries and returns how many entries @len needs.
 */
static u32 gmrk_sge_walk(struct scatterlist *sgl, int nents, u32 skip,
			 u32 len, struct gmrk_sge *out, dma_addr_t *first)
{
	struct scatterlist *sg;
	u32 cnt = 0;
	int i;

	for_each_sg(sgl, sg, nents, i) {
		dma_addr_t addr = sg_dma_address(sg);
		u32 seg = sg_dma_len(sg);

		if (!len)
			break;
		if (skip >= seg) {
			skip -= seg;
			continue;
		}
		addr += skip;
		seg = min(seg - skip, len);
		skip = 0;
		if (out && cnt < GMRK_SGL_MAX) {
			out[cnt].addr = cpu_to_le64(addr);
			out[cnt].len = cpu_to_le32(seg);
			out[cnt].rsvd = 0;
		}
		if (cnt == 0 && first)
			*first = addr;
		cnt++;
		len -= seg;
	}
	return len ? U32_MAX : cnt;
}

static void gmrk_unmap(struct gmrk_dev *gd, struct gmrk_rctx *rctx)
{
	struct device *dev = gd->dma_dev;

	if (rctx->sgl) {
		dma_pool_free(rctx->sgl_pool, rctx->sgl, rctx->sgl_dma);
		rctx->sgl = NULL;
	}
	if (rctx->src_nents)
		dma_unmap_sg(dev, rctx->src_sg, rctx->src_nents,
			     rctx->inplace ? DMA_BIDIRECTIONAL : DMA_TO_DEVICE);
	if (rctx->dst_nents)
		dma_unmap_sg(dev, rctx->dst_sg, rctx->dst_nents,
			     DMA_FROM_DEVICE);
	rctx->src_nents = 0;
	rctx->dst_nents = 0;
}

/*
 * The AEAD API expects dst to carry the AAD in front of the output; the
 * device never writes the AAD, so copy it for an out-of-place request.
 */
static void gmrk_copy_aad(struct aead_request *req)
{
	u8 buf[128];
	unsigned int off, n;

	for (off = 0; off < req->assoclen; off += n) {
		n = min_t(unsigned int, sizeof(buf), req->assoclen - off);
		scatterwalk_map_and_copy(buf, req->src, off, n, 0);
		scatterwalk_map_and_copy(buf, req->dst, off, n, 1);
	}
	memzero_explicit(buf, sizeof(buf));
}

/*
 * Map @req for @gd and build what the descriptor points at.
 * Return: 0, or an errno meaning "not on this device, do it in software".
 */
static int gmrk_map(struct gmrk_dev *gd, struct aead_request *req,
		    struct gmrk_rctx *rctx, gfp_t gfp)
{
	struct device *dev = gd->dma_dev;
	u32 src_len, cap;
	int mapped_src = 0, mapped_dst = 0, nents;
	struct scatterlist *dst_walk;
	u32 dst_skip;

	rctx->inplace = req->src == req->dst;
	rctx->src_sg = req->src;
	rctx->dst_sg = NULL;

	/* In place, one mapping covers AAD, input and output. */
	src_len = rctx->src_bytes;
	if (rctx->inplace)
		src_len = max(rctx->src_bytes, rctx->aad_len + rctx->dst_bytes);
	else if (rctx->aad_len)
		gmrk_copy_aad(req);

	if (src_len) {
		nents = sg_nents_for_len(req->src, src_len);
		if (nents <= 0)
			return -EINVAL;
		mapped_src = dma_map_sg(dev, req->src, nents,
					rctx->inplace ? DMA_BIDIRECTIONAL :
							DMA_TO_DEVICE);
		if (!mapped_src)
			return -ENOMEM;
		rctx->src_nents = nents;
	}

	if (rctx->inplace) {
		dst_walk = req->src;
		mapped_dst = mapped_src;
		dst_skip = rctx->aad_len;
	} else {
		dst_walk = NULL;
		dst_skip = 0;
		if (rctx->dst_bytes) {
			rctx->dst_sg = scatterwalk_ffwd(rctx->dst_ffwd, req->dst,
							rctx->aad_len);
			nents = sg_nents_for_len(rctx->dst_sg, rctx->dst_bytes);
			if (nents <= 0)
				goto err;
			mapped_dst = dma_map_sg(dev, rctx->dst_sg, nents,
						DMA_FROM_DEVICE);
			if (!mapped_dst)
				goto err;
			rctx->dst_nents = nents;
			dst_walk = rctx->dst_sg;
		}
	}

	rctx->src_addr = 0;
	rctx->dst_addr = 0;
	rctx->src_cnt = gmrk_sge_walk(req->src, mapped_src, 0,
				      rctx->src_bytes, NULL, &rctx->src_addr);
	rctx->dst_cnt = gmrk_sge_walk(dst_walk, mapped_dst, dst_skip,
				      rctx->dst_bytes, NULL, &rctx->dst_addr);
	if (rctx->src_cnt > GMRK_SGL_MAX || rctx->dst_cnt > GMRK_SGL_MAX)
		goto err;

	rctx->use_sgl = rctx->src_cnt > 1 || rctx->dst_cnt > 1;
	if (!rctx->use_sgl)
		return 0;
	if (!(gd->caps & GMRK_CAP_SG))
		goto err;

	if (rctx->src_cnt <= GMRK_SGL_SMALL && rctx->dst_cnt <= GMRK_SGL_SMALL) {
		rctx->sgl_pool = gd->pool_small;
		cap = GMRK_SGL_SMALL;
	} else {
		rctx->sgl_pool = gd->pool_large;
		cap = GMRK_SGL_MAX;
	}
	rctx->sgl = dma_pool_alloc(rctx->sgl_pool, gfp, &rctx->sgl_dma);
	if (!rctx->sgl)
		goto err;
	gmrk_sge_walk(req->src, mapped_src, 0, rctx->src_bytes, rctx->sgl,
		      NULL);
	gmrk_sge_walk(dst_walk, mapped_dst, dst_skip, rctx->dst_bytes,
		      rctx->sgl + cap, NULL);
	rctx->src_addr = rctx->sgl_dma;
	rctx->dst_addr = rctx->sgl_dma + cap * sizeof(struct gmrk_sge);
	return 0;

err:
	gmrk_unmap(gd, rctx);
	return -EINVAL;
}

/* ---- Posting to a ring ---- */

static u32 gmrk_ring_mask(const struct gmrk_queue *q)
{
	return 2 * q->size - 1;
}

static void gmrk_fill_desc(struct gmrk_desc *d, struct gmrk_rctx *rctx,
			   u64 cookie)
{
	memset(d, 0, sizeof(*d));
	d->opcode = rctx->p.opcode;
	d->alg = rctx->p.alg;
	d->flags = GMRK_DF_IRQ | (rctx->use_sgl ? GMRK_DF_SGL : 0);
	d->aad_len = cpu_to_le32(rctx->aad_len);
	d->data_len = cpu_to_le32(rctx->data_len);
	d->src_len = cpu_to_le32(rctx->use_sgl ? rctx->src_cnt :
				 rctx->src_bytes);
	d->dst_len = cpu_to_le32(rctx->use_sgl ? rctx->dst_cnt :
				 rctx->dst_bytes);
	d->src_addr = cpu_to_le64(rctx->src_addr);
	d->dst_addr = cpu_to_le64(rctx->dst_addr);
	d->cookie = cpu_to_le64(cookie);
	if (!rctx->req) {
		/* A key command: a slot instead of key, tag and IV. */
		d->slot = cpu_to_le16(rctx->p.slot);
		return;
	}
	d->key_len = rctx->p.key_len;
	d->tag_len = rctx->p.tag_len;
	d->iv_len = GMRK_IV_LEN;
	memcpy(d->iv, rctx->req->iv, GMRK_IV_LEN);
	memcpy(d->key, rctx->p.key, rctx->p.key_len);
}

/* Under q->lock: put @rctx on the ring if the queue takes jobs and has room. */
static bool gmrk_post_locked(struct gmrk_queue *q, struct gmrk_rctx *rctx)
{
	struct gmrk_dev *gd = q->gd;
	struct gmrk_job *job;
	unsigned int slot;
	u32 mask = gmrk_ring_mask(q);

	if (q->stopped || !gmrk_dev_online(gd) || q->inflight >= q->size)
		return false;
	slot = find_first_zero_bit(q->job_map, q->size);
	if (WARN_ON_ONCE(slot >= q->size))
		return false;

	__set_bit(slot, q->job_map);
	job = &q->jobs[slot];
	job->rctx = rctx;
	job->cookie = (++q->seq << GMRK_COOKIE_SLOT_BITS) | slot;
	job->submitted = jiffies;

	/* The slot about to be reused has been fetched; forget its wipe. */
	if (((q->sq_tail - q->sq_clean) & mask) >= q->size)
		q->sq_clean = (q->sq_clean + 1) & mask;
	gmrk_fill_desc(&q->sq[q->sq_tail & (q->size - 1)], rctx, job->cookie);
	q->sq_tail = (q->sq_tail + 1) & mask;
	q->inflight++;
	atomic_inc(&gd->inflight);

	/* The descriptor must be in memory before the doorbell. */
	wmb();
	gmrk_wr(gd, GMRK_QREG(q->qid, GMRK_Q_SQ_TAIL), q->sq_tail);
	return true;
}

/* Try every queue, starting with this CPU's. */
static bool gmrk_post_any(struct gmrk_dev *gd, struct gmrk_rctx *rctx,
			  bool count_busy)
{
	unsigned int start = raw_smp_processor_id() % gd->num_queues;
	unsigned int i;
	bool ok = false;

	for (i = 0; i < gd->num_queues && !ok; i++) {
		struct gmrk_queue *q = &gd->queues[(start + i) % gd->num_queues];

		spin_lock_bh(&q->lock);
		ok = gmrk_post_locked(q, rctx);
		spin_unlock_bh(&q->lock);
	}
	if (!ok && count_busy) {
		struct gmrk_queue *q = &gd->queues[start];

		spin_lock_bh(&q->lock);
		q->c.busy++;
		spin_unlock_bh(&q->lock);
	}
	return ok;
}

/* ---- Finishing jobs ---- */

static void gmrk_redo_sw(struct gmrk_dev *gd, struct aead_request *req)
{
	int err;

	atomic64_inc(&gd->fallbacks);
	err = gmrk_aead_sw(req);
	if (err == -EBADMSG)
		atomic64_inc(&gd->auth_failures);
	gmrk_aead_complete(req, err);
}

static void gmrk_key_finish(struct gmrk_dev *gd, struct gmrk_rctx *rctx);
static void gmrk_key_end(struct gmrk_dev *gd, struct gmrk_rctx *rctx,
			 int err);

/* A job the device completed with @status (outside all locks). */
static void gmrk_finish(struct gmrk_dev *gd, struct gmrk_rctx *rctx)
{
	struct aead_request *req = rctx->req;

	if (!req) {
		gmrk_key_finish(gd, rctx);
		return;
	}
	gmrk_unmap(gd, rctx);
	switch (rctx->status) {
	case GMRK_ST_OK:
		atomic64_inc(&gd->jobs);
		atomic64_add(rctx->aad_len + rctx->data_len, &gd->bytes);
		gmrk_aead_complete(req, 0);
		break;
	case GMRK_ST_EBADMSG:
		atomic64_inc(&gd->jobs);
		atomic64_add(rctx->aad_len + rctx->data_len, &gd->bytes);
		atomic64_inc(&gd->auth_failures);
		/* Leave nothing that could pass for plaintext. */
		sg_zero_buffer(req->dst, sg_nents(req->dst), rctx->data_len,
			       rctx->aad_len);
		gmrk_aead_complete(req, -EBADMSG);
		break;
	default:
		/* The device could not do it: the caller still gets a result. */
		atomic64_inc(&gd->errors);
		gmrk_redo_sw(gd, req);
		break;
	}
}

/*
 * Requests taken off the device without a result: redo in software. Key
 * commands cannot be redone anywhere: they end with @key_err (-ETIMEDOUT
 * instead of -EIO for one that was past its timeout).
 */
static void gmrk_redo_list(struct gmrk_dev *gd, struct list_head *list,
			   int key_err)
{
	struct gmrk_rctx *rctx, *tmp;

	list_for_each_entry_safe(rctx, tmp, list, node) {
		list_del(&rctx->node);
		if (!rctx->req) {
			gmrk_key_end(gd, rctx, key_err == -EIO && rctx->expired ?
					       -ETIMEDOUT : key_err);
			continue;
		}
		gmrk_unmap(gd, rctx);
		gmrk_redo_sw(gd, rctx->req);
	}
}

/* Under q->lock: wipe key and IV of descriptors the device has fetched. */
static void gmrk_wipe_fetched(struct gmrk_queue *q, u32 sq_head)
{
	u32 mask = gmrk_ring_mask(q);

	sq_head &= mask;
	if (((sq_head - q->sq_clean) & mask) >
	    ((q->sq_tail - q->sq_clean) & mask))
		return;		/* not a position we posted: ignore */
	while (q->sq_clean != sq_head) {
		struct gmrk_desc *d = &q->sq[q->sq_clean & (q->size - 1)];

		memzero_explicit(d->key, sizeof(d->key));
		memzero_explicit(d->iv, sizeof(d->iv));
		q->sq_clean = (q->sq_clean + 1) & mask;
	}
}

/* Is @status the device's answer to the job (not a device failure)? */
static bool gmrk_status_answer(const struct gmrk_rctx *rctx, u16 status)
{
	if (status == GMRK_ST_OK || status == GMRK_ST_EBADMSG)
		return true;
	/* For a key command, an empty or an occupied slot is an answer. */
	return !rctx->req &&
	       (status == GMRK_ST_ENOKEY || status == GMRK_ST_EEXIST);
}

/* Under q->lock: job @slot completed with @status; move it to @done. */
static void gmrk_job_done(struct gmrk_queue *q, u32 slot, u16 status,
			  struct list_head *done)
{
	struct gmrk_job *job = &q->jobs[slot];
	struct gmrk_rctx *rctx = job->rctx;

	rctx->status = status;
	list_add_tail(&rctx->node, done);
	job->rctx = NULL;
	__clear_bit(slot, q->job_map);
	q->inflight--;
	atomic_dec(&q->gd->inflight);

	if (gmrk_status_answer(rctx, status)) {
		q->c.jobs++;
		q->c.bytes += rctx->aad_len + rctx->data_len;
	} else {
		q->c.errors++;
	}
}

/* Finish jobs the device completed (outside all locks). */
static void gmrk_finish_list(struct gmrk_dev *gd, struct list_head *list)
{
	struct gmrk_rctx *rctx, *tmp;

	list_for_each_entry_safe(rctx, tmp, list, node) {
		list_del(&rctx->node);
		gmrk_finish(gd, rctx);
	}
}

/* Collect completions of @q; finish them outside the lock. */
static void gmrk_queue_reap(struct gmrk_queue *q)
{
	struct gmrk_dev *gd = q->gd;
	u32 mask = gmrk_ring_mask(q);
	LIST_HEAD(done);
	u32 tail;

	spin_lock_bh(&q->lock);
	if (q->stopped || READ_ONCE(gd->surprise)) {
		spin_unlock_bh(&q->lock);
		return;
	}
	/* Acknowledge first, so a completion after the read re-raises it. */
	gmrk_wr(gd, GMRK_REG_INTR_STATUS, BIT(q->qid));
	tail = gmrk_rd(gd, GMRK_QREG(q->qid, GMRK_Q_CQ_TAIL)) & mask;
	dma_rmb();

	while (q->cq_head != tail) {
		struct gmrk_cpl *cpl = &q->cq[q->cq_head & (q->size - 1)];
		u64 cookie = le64_to_cpu(cpl->cookie);
		u32 slot = cookie & GMRK_COOKIE_SLOT_MASK;

		q->cq_head = (q->cq_head + 1) & mask;
		gmrk_wipe_fetched(q, le16_to_cpu(cpl->sq_head));
		if (slot >= q->size || !test_bit(slot, q->job_map) ||
		    q->jobs[slot].cookie != cookie)
			continue;	/* stale: from before a reset */

		gmrk_job_done(q, slot, le16_to_cpu(cpl->status), &done);
	}
	gmrk_wr(gd, GMRK_QREG(q->qid, GMRK_Q_CQ_HEAD), q->cq_head);
	spin_unlock_bh(&q->lock);

	gmrk_finish_list(gd, &done);
	if (!atomic_read(&gd->inflight))
		wake_up(&gd->drain_wq);
	if (READ_ONCE(gd->backlog_len))
		gmrk_backlog_run(gd);
}

static void gmrk_queue_done_work(struct work_struct *work)
{
	gmrk_queue_reap(container_of(work, struct gmrk_queue, done_work));
}

void gmrk_dev_queue_irq(struct gmrk_dev *gd, unsigned int qid)
{
	rcu_read_lock();
	if (!READ_ONCE(gd->irq_off) && qid < gd->num_queues)
		queue_work(gmrk_wq, &gd->queues[qid].done_work);
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(gmrk_dev_queue_irq);

/* ---- Backlog ---- */

/* Move backlogged requests onto rings while there is room. */
static void gmrk_backlog_run(struct gmrk_dev *gd)
{
	LIST_HEAD(sw);

	for (;;) {
		struct gmrk_rctx *rctx;
		enum gmrk_dev_state state;

		spin_lock_bh(&gd->lock);
		state = gd->state;
		if (state == GMRK_DS_FAILED || state == GMRK_DS_REMOVING) {
			/* Nobody will serve them here: software. */
			list_splice_tail_init(&gd->backlog, &sw);
			gd->backlog_len = 0;
			spin_unlock_bh(&gd->lock);
			break;
		}
		rctx = list_first_entry_or_null(&gd->backlog, struct gmrk_rctx,
						node);
		if (!rctx || state != GMRK_DS_ONLINE) {
			spin_unlock_bh(&gd->lock);
			break;
		}
		list_del(&rctx->node);
		gd->backlog_len--;
		spin_unlock_bh(&gd->lock);

		/*
		 * Tell the submitter its request left the backlog before it
		 * can possibly complete (and be freed by the submitter).
		 */
		if (rctx->backlogged) {
			rctx->backlogged = false;
			aead_request_complete(rctx->req, -EINPROGRESS);
		}
		if (gmrk_post_any(gd, rctx, false))
			continue;

		spin_lock_bh(&gd->lock);
		list_add(&rctx->node, &gd->backlog);
		gd->backlog_len++;
		spin_unlock_bh(&gd->lock);
		/* A reap may have run before we put it back: look again. */
		if (!atomic_read(&gd->inflight))
			queue_work(gmrk_wq, &gd->backlog_work);
		break;
	}
	gmrk_redo_list(gd, &sw, -ENODEV);	/* requests only, no key commands */
}

static void gmrk_backlog_work_fn(struct work_struct *work)
{
	gmrk_backlog_run(container_of(work, struct gmrk_dev, backlog_work));
}

/* ---- Submission ---- */

/* Least loaded online device offering @cap, under gmrk_srcu. */
static struct gmrk_dev *gmrk_pick_dev(u32 cap)
{
	struct gmrk_dev *gd, *best = NULL;
	int load, best_load = INT_MAX;

	list_for_each_entry_srcu(gd, &gmrk_devices, node,
				 srcu_read_lock_held(&gmrk_srcu)) {
		if (!gmrk_dev_online(gd) || !(gd->caps & cap))
			continue;
		load = atomic_read(&gd->inflight) + READ_ONCE(gd->backlog_len);
		if (load < best_load) {
			best = gd;
			best_load = load;
		}
	}
	return best;
}

static int gmrk_submit_dev(struct gmrk_dev *gd, struct aead_request *req)
{
	struct gmrk_rctx *rctx = gmrk_rctx(req);
	u32 flags = req->base.flags;
	u64 total = (u64)rctx->aad_len + rctx->data_len;
	bool queued = false;

	if (total > gd->max_data ||
	    rctx->src_bytes < READ_ONCE(gmrk_sw_threshold))
		return 1;
	if (gmrk_map(gd, req, rctx, flags & CRYPTO_TFM_REQ_MAY_SLEEP ?
		     GFP_KERNEL : GFP_ATOMIC))
		return 1;

	if (gmrk_post_any(gd, rctx, true))
		return -EINPROGRESS;

	if (flags & CRYPTO_TFM_REQ_MAY_BACKLOG) {
		spin_lock_bh(&gd->lock);
		if ((gd->state == GMRK_DS_ONLINE ||
		     gd->state == GMRK_DS_RESETTING) &&
		    gd->backlog_len < READ_ONCE(gmrk_max_backlog)) {
			rctx->backlogged = true;
			list_add_tail(&rctx->node, &gd->backlog);
			gd->backlog_len++;
			queued = true;
		}
		spin_unlock_bh(&gd->lock);
	}
	if (queued) {
		/* Room may have appeared since the rings were full. */
		queue_work(gmrk_wq, &gd->backlog_work);
		return -EBUSY;
	}
	gmrk_unmap(gd, rctx);
	return 1;
}

int gmrk_core_submit(struct aead_request *req)
{
	struct gmrk_rctx *rctx = gmrk_rctx(req);
	struct gmrk_dev *gd;
	int idx, ret = 1;

	rctx->req = req;
	rctx->gd = NULL;
	rctx->backlogged = false;
	rctx->sgl = NULL;
	rctx->src_nents = 0;
	rctx->dst_nents = 0;
	rctx->aad_len = req->assoclen;
	if (rctx->p.opcode == GMRK_OP_ENCRYPT) {
		rctx->data_len = req->cryptlen;
		rctx->src_bytes = req->assoclen + req->cryptlen;
		rctx->dst_bytes = req->cryptlen + rctx->p.tag_len;
	} else {
		/* Malformed: let the software implementation report it. */
		if (req->cryptlen < rctx->p.tag_len)
			return 1;
		rctx->data_len = req->cryptlen - rctx->p.tag_len;
		rctx->src_bytes = req->assoclen + req->cryptlen;
		rctx->dst_bytes = rctx->data_len;
	}

	idx = srcu_read_lock(&gmrk_srcu);
	gd = gmrk_pick_dev(rctx->p.cap);
	if (gd) {
		rctx->gd = gd;
		ret = gmrk_submit_dev(gd, req);
		if (ret == 1)
			atomic64_inc(&gd->fallbacks);
	}
	srcu_read_unlock(&gmrk_srcu, idx);
	return ret;
}

/* ---- Key-slot commands ---- */

/* While a device is resetting or its rings are full, look again this often. */
#define GMRK_KEY_RETRY_MS	5
/* The watchdog ends a key command at its timeout; the caller waits longer. */
#define GMRK_KEY_WAIT_SLACK_MS	10000
/* ...in steps, so that a long wait does not look like a hung task. */
#define GMRK_KEY_WAIT_STEP_MS	10000

/*
 * One key command. Two references while it is on a ring: the caller's,
 * and the job's, dropped when the job ends (gmrk_key_end()). A caller
 * killed while waiting drops its own, and the buffers live on until the
 * device is done with them.
 */
struct gmrk_key_cmd {
	refcount_t ref;
	struct completion done;
	int err;
	void *src;			/* kmalloc()ed: DMA-safe */
	void *dst;
	dma_addr_t src_dma;
	dma_addr_t dst_dma;
	bool mapped;
	struct gmrk_rctx rctx;		/* last: it ends in an aead_request */
};

static struct gmrk_key_cmd *gmrk_key_cmd(struct gmrk_rctx *rctx)
{
	return container_of(rctx, struct gmrk_key_cmd, rctx);
}

static void gmrk_key_cmd_put(struct gmrk_key_cmd *kc)
{
	if (!refcount_dec_and_test(&kc->ref))
		return;
	/* The message of an unwrap, and nothing else to keep either. */
	kfree_sensitive(kc->dst);
	kfree_sensitive(kc->src);
	kfree(kc);
}

static int gmrk_key_map(struct gmrk_dev *gd, struct gmrk_key_cmd *kc)
{
	struct gmrk_rctx *rctx = &kc->rctx;
	struct device *dev = gd->dma_dev;

	rctx->src_addr = 0;
	rctx->dst_addr = 0;
	if (rctx->src_bytes) {
		kc->src_dma = dma_map_single(dev, kc->src, rctx->src_bytes,
					     DMA_TO_DEVICE);
		if (dma_mapping_error(dev, kc->src_dma))
			return -ENOMEM;
		rctx->src_addr = kc->src_dma;
	}
	if (rctx->dst_bytes) {
		kc->dst_dma = dma_map_single(dev, kc->dst, rctx->dst_bytes,
					     DMA_FROM_DEVICE);
		if (dma_mapping_error(dev, kc->dst_dma)) {
			if (rctx->src_bytes)
				dma_unmap_single(dev, kc->src_dma,
						 rctx->src_bytes, DMA_TO_DEVICE);
			return -ENOMEM;
		}
		rctx->dst_addr = kc->dst_dma;
	}
	kc->mapped = true;
	return 0;
}

static void gmrk_key_unmap(struct gmrk_dev *gd, struct gmrk_key_cmd *kc)
{
	struct gmrk_rctx *rctx = &kc->rctx;

	if (!kc->mapped)
		return;
	if (rctx->src_bytes)
		dma_unmap_single(gd->dma_dev, kc->src_dma, rctx->src_bytes,
				 DMA_TO_DEVICE);
	if (rctx->dst_bytes)
		dma_unmap_single(gd->dma_dev, kc->dst_dma, rctx->dst_bytes,
				 DMA_FROM_DEVICE);
	kc->mapped = false;
}

/* The job of a key command ended with @err: wake the caller. */
static void gmrk_key_end(struct gmrk_dev *gd, struct gmrk_rctx *rctx, int err)
{
	struct gmrk_key_cmd *kc = gmrk_key_cmd(rctx);

	gmrk_key_unmap(gd, kc);
	/* Nothing of a failed command may pass for a result. */
	if (err && rctx->dst_bytes)
		memzero_explicit(kc->dst, rctx->dst_bytes);
	kc->err = err;
	complete(&kc->done);
	gmrk_key_cmd_put(kc);
}

/* The device answered a key command (outside all locks). */
static void gmrk_key_finish(struct gmrk_dev *gd, struct gmrk_rctx *rctx)
{
	int err;

	switch (rctx->status) {
	case GMRK_ST_OK:
		err = 0;
		break;
	case GMRK_ST_EBADMSG:
		atomic64_inc(&gd->auth_failures);
		err = -EBADMSG;
		break;
	case GMRK_ST_ENOKEY:
		err = -ENOKEY;
		break;
	case GMRK_ST_EEXIST:
		err = -EEXIST;
		break;
	case GMRK_ST_EINVAL:
		err = -EINVAL;
		break;
	default:
		/* EDMA, EDEV, ...: the device failed; nothing to fall back on. */
		err = -EIO;
		break;
	}
	if (gmrk_status_answer(rctx, rctx->status)) {
		atomic64_inc(&gd->jobs);
		atomic64_add(rctx->data_len, &gd->bytes);
	} else {
		atomic64_inc(&gd->errors);
	}
	gmrk_key_end(gd, rctx, err);
}

/* What a key command carries, checked against the contract of gmrk_hw.h. */
static int gmrk_key_lengths(u8 opcode, u32 src_len, u32 dst_len,
			    u32 *data_len)
{
	switch (opcode) {
	case GMRK_OP_KEY_GEN:
	case GMRK_OP_KEY_PUB:
		*data_len = GMRK_SM2_PUB_LEN;
		return src_len || dst_len != GMRK_SM2_PUB_LEN ? -EINVAL : 0;
	case GMRK_OP_KEY_UNWRAP:
		if (src_len <= GMRK_SM2_OVERHEAD ||
		    src_len > GMRK_SM2_OVERHEAD + GMRK_UNWRAP_MAX ||
		    dst_len != src_len - GMRK_SM2_OVERHEAD)
			return -EINVAL;
		*data_len = dst_len;
		return 0;
	case GMRK_OP_KEY_DESTROY:
		*data_len = 0;
		return src_len || dst_len ? -EINVAL : 0;
	}
	return -EINVAL;
}

/*
 * Put @kc on a ring of @gd. Mapping and posting happen in one SRCU read
 * section: removal waits for it (synchronize_srcu()) before it takes the
 * jobs back, so a posted command is always found, and nothing is mapped
 * on a device that is going away.
 * Return: 0 (posted), -EAGAIN (resetting or rings full: try again), or
 * the final error.
 */
static int gmrk_key_post(struct gmrk_dev *gd, struct gmrk_key_cmd *kc)
{
	int idx, ret;

	idx = srcu_read_lock(&gmrk_srcu);
	switch (READ_ONCE(gd->state)) {
	case GMRK_DS_ONLINE:
		ret = gmrk_key_map(gd, kc);
		if (ret)
			break;
		/* The job's reference: it may end before gmrk_post_any() returns. */
		refcount_inc(&kc->ref);
		if (!gmrk_post_any(gd, &kc->rctx, true)) {
			refcount_dec(&kc->ref);
			gmrk_key_unmap(gd, kc);
			ret = -EAGAIN;
		}
		break;
	case GMRK_DS_REMOVING:
		ret = -ENODEV;
		break;
	case GMRK_DS_FAILED:
		ret = -EIO;
		break;
	default:		/* being brought up or reset */
		ret = -EAGAIN;
		break;
	}
	srcu_read_unlock(&gmrk_srcu, idx);
	return ret;
}

int gmrk_core_key_op(struct gmrk_dev *gd, u8 opcode, u16 slot,
		     const void *src, u32 src_len, void *dst, u32 dst_len)
{
	unsigned int tmo_ms = READ_ONCE(gmrk_key_timeout_ms);
	struct gmrk_key_cmd *kc;
	struct gmrk_rctx *rctx;
	unsigned long deadline, step;
	u32 data_len;
	long left;
	int ret;

	if (!gd->key_slots)
		return -EOPNOTSUPP;
	if (slot >= gd->key_slots ||
	    gmrk_key_lengths(opcode, src_len, dst_len, &data_len))
		return -EINVAL;

	kc = kzalloc(sizeof(*kc), GFP_KERNEL);
	if (!kc)
		return -ENOMEM;
	refcount_set(&kc->ref, 1);
	init_completion(&kc->done);
	if (src_len)
		kc->src = kmemdup(src, src_len, GFP_KERNEL);
	if (dst_len)
		kc->dst = kzalloc(dst_len, GFP_KERNEL);
	if ((src_len && !kc->src) || (dst_len && !kc->dst)) {
		ret = -ENOMEM;
		goto out;
	}
	rctx = &kc->rctx;
	rctx->p.opcode = opcode;
	rctx->p.alg = GMRK_ALG_SM2;
	rctx->p.slot = slot;
	rctx->p.cap = GMRK_CAP_KEYSLOTS;
	rctx->gd = gd;
	rctx->data_len = data_len;
	rctx->src_bytes = src_len;
	rctx->dst_bytes = dst_len;

	/* A resetting device, or full rings, are waited out up to the timeout. */
	deadline = jiffies + msecs_to_jiffies(tmo_ms);
	for (;;) {
		ret = gmrk_key_post(gd, kc);
		if (ret != -EAGAIN)
			break;
		if (tmo_ms && time_after(jiffies, deadline)) {
			ret = -ETIMEDOUT;
			break;
		}
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		msleep(GMRK_KEY_RETRY_MS);
	}
	if (ret)
		goto out;

	/*
	 * The job always ends: with the device's answer, or taken back by a
	 * reset (the watchdog's, at the latest at the timeout) or by removal.
	 * Past the timeout and some slack the caller stops waiting anyway;
	 * the buffers stay with the job (its reference) until it ends.
	 */
	deadline = jiffies + msecs_to_jiffies(tmo_ms) +
		   msecs_to_jiffies(GMRK_KEY_WAIT_SLACK_MS);
	step = msecs_to_jiffies(GMRK_KEY_WAIT_STEP_MS);
	for (;;) {
		left = wait_for_completion_killable_timeout(&kc->done, step);
		if (left > 0)
			break;
		if (left < 0) {
			ret = -EINTR;
			goto out;
		}
		if (tmo_ms && time_after(jiffies, deadline)) {
			ret = -ETIMEDOUT;
			goto out;
		}
	}
	ret = kc->err;
	if (!ret && dst_len)
		memcpy(dst, kc->dst, dst_len);
out:
	gmrk_key_cmd_put(kc);
	return ret;
}

u32 gmrk_dev_key_slot_map(struct gmrk_dev *gd)
{
	u32 map = 0;
	int idx;

	if (!gd->key_slots)
		return 0;
	/* Removal waits for this before the transport lets go of registers. */
	idx = srcu_read_lock(&gmrk_srcu);
	if (READ_ONCE(gd->state) != GMRK_DS_REMOVING)
		map = gmrk_rd(gd, GMRK_REG_KEY_SLOT_MAP) &
		      GENMASK(gd->key_slots - 1, 0);
	srcu_read_unlock(&gmrk_srcu, idx);
	return map;
}

/* ---- Device bring-up, reset, recovery ---- */

static int gmrk_hw_reset(struct gmrk_dev *gd)
{
	unsigned long deadline;
	u32 ctrl, status;

	gmrk_wr(gd, GMRK_REG_CTRL, GMRK_CTRL_RESET);
	deadline = jiffies + msecs_to_jiffies(GMRK_RESET_TIMEOUT_MS);
	for (;;) {
		ctrl = gmrk_rd(gd, GMRK_REG_CTRL);
		status = gmrk_rd(gd, GMRK_REG_STATUS);
		if (ctrl != U32_MAX && !(ctrl & GMRK_CTRL_RESET) &&
		    (status & GMRK_STATUS_READY))
			break;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(100, 500);
	}
	if (gmrk_rd(gd, GMRK_REG_ID) != GMRK_ID_MAGIC)
		return -ENODEV;
	return 0;
}

/* Program every queue from scratch and enable the device. */
static int gmrk_hw_start(struct gmrk_dev *gd)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < gd->num_queues; i++) {
		struct gmrk_queue *q = &gd->queues[i];

		spin_lock_bh(&q->lock);
		memzero_explicit(q->sq, q->size * sizeof(*q->sq));
		memset(q->cq, 0, q->size * sizeof(*q->cq));
		q->sq_tail = 0;
		q->sq_clean = 0;
		q->cq_head = 0;
		gmrk_wr(gd, GMRK_QREG(i, GMRK_Q_SQ_BASE_LO),
			lower_32_bits(q->sq_dma));
		gmrk_wr(gd, GMRK_QREG(i, GMRK_Q_SQ_BASE_HI),
			upper_32_bits(q->sq_dma));
		gmrk_wr(gd, GMRK_QREG(i, GMRK_Q_CQ_BASE_LO),
			lower_32_bits(q->cq_dma));
		gmrk_wr(gd, GMRK_QREG(i, GMRK_Q_CQ_BASE_HI),
			upper_32_bits(q->cq_dma));
		gmrk_wr(gd, GMRK_QREG(i, GMRK_Q_SIZE), q->size);
		gmrk_wr(gd, GMRK_QREG(i, GMRK_Q_MSIX_VEC), i);
		gmrk_wr(gd, GMRK_QREG(i, GMRK_Q_CQ_HEAD), 0);
		gmrk_wr(gd, GMRK_QREG(i, GMRK_Q_CTRL), GMRK_QCTRL_ENABLE);
		spin_unlock_bh(&q->lock);
	}
	for (i = 0; i < gd->num_queues; i++) {
		u32 st = gmrk_rd(gd, GMRK_QREG(i, GMRK_Q_STATUS));

		if ((st & GMRK_QSTATUS_ERROR) || !(st & GMRK_QSTATUS_ENABLED)) {
			dev_err(gd->dma_dev, "%s: queue %u did not start (status %#x)\n",
				gd->name, i, st);
			ret = -EIO;
		}
	}
	if (ret)
		return ret;
	gmrk_wr(gd, GMRK_REG_INTR_MASK, 0);
	gmrk_wr(gd, GMRK_REG_CTRL, GMRK_CTRL_ENABLE);

	for (i = 0; i < gd->num_queues; i++) {
		spin_lock_bh(&gd->queues[i].lock);
		gd->queues[i].stopped = false;
		spin_unlock_bh(&gd->queues[i].lock);
	}
	return 0;
}

/* Stop posting to every queue and stop reaping them. */
static void gmrk_queues_stop(struct gmrk_dev *gd)
{
	unsigned int i;

	for (i = 0; i < gd->num_queues; i++) {
		spin_lock_bh(&gd->queues[i].lock);
		gd->queues[i].stopped = true;
		spin_unlock_bh(&gd->queues[i].lock);
	}
}

/*
 * Take every job back from a stopped queue once the device can no longer
 * write to memory (reset, or gone). A job whose completion the device
 * wrote before that is finished with its result (onto @done): its output
 * is already in place, and redoing an in-place request from its
 * overwritten input would be wrong. Any cookie in the ring that matches a
 * job in flight is such a completion: cookies are never reused, and the
 * ring was zeroed when the queue was programmed. The rest go to @redo.
 * Returns how many of those had passed the job timeout.
 */
static unsigned int gmrk_queue_take_back(struct gmrk_queue *q,
					 struct list_head *done,
					 struct list_head *redo)
{
	unsigned int slot, i, expired = 0;

	if (!q->cq || !q->jobs || !q->job_map)
		return 0;	/* bring-up failed before the queue existed */
	spin_lock_bh(&q->lock);
	for (i = 0; i < q->size && q->inflight; i++) {
		u64 cookie = le64_to_cpu(q->cq[i].cookie);

		slot = cookie & GMRK_COOKIE_SLOT_MASK;
		if (slot < q->size && test_bit(slot, q->job_map) &&
		    q->jobs[slot].cookie == cookie)
			gmrk_job_done(q, slot, le16_to_cpu(q->cq[i].status),
				      done);
	}
	for_each_set_bit(slot, q->job_map, q->size) {
		struct gmrk_job *job = &q->jobs[slot];

		job->rctx->expired = gmrk_job_expired(job);
		if (job->rctx->expired)
			expired++;
		list_add_tail(&job->rctx->node, redo);
		job->rctx = NULL;
	}
	bitmap_zero(q->job_map, q->size);
	atomic_sub(q->inflight, &q->gd->inflight);
	q->inflight = 0;
	spin_unlock_bh(&q->lock);
	return expired;
}

static void gmrk_reset_work_fn(struct work_struct *work)
{
	struct gmrk_dev *gd = container_of(work, struct gmrk_dev, reset_work);
	unsigned int i, expired = 0;
	LIST_HEAD(done);
	LIST_HEAD(redo);
	bool retry;
	int ret;

	mutex_lock(&gd->reset_lock);
	spin_lock_bh(&gd->lock);
	retry = gd->state == GMRK_DS_FAILED;
	if (gd->state != GMRK_DS_ONLINE && !retry) {
		spin_unlock_bh(&gd->lock);
		mutex_unlock(&gd->reset_lock);
		return;
	}
	WRITE_ONCE(gd->state, GMRK_DS_RESETTING);
	spin_unlock_bh(&gd->lock);
	gd->last_reset = jiffies;

	/* The reset drops the jobs in flight; then take them all back. */
	gmrk_queues_stop(gd);
	ret = gmrk_hw_reset(gd);
	for (i = 0; i < gd->num_queues; i++)
		expired += gmrk_queue_take_back(&gd->queues[i], &done, &redo);
	atomic64_add(expired, &gd->timeouts);
	atomic64_inc(&gd->resets);
	if (!retry)
		dev_warn(gd->dma_dev, "%s: device reset (%u job(s) timed out)\n",
			 gd->name, expired);

	if (!ret && gd->ops->reset_done)
		ret = gd->ops->reset_done(gd->priv);
	if (!ret)
		ret = gmrk_hw_start(gd);

	spin_lock_bh(&gd->lock);
	if (gd->state == GMRK_DS_RESETTING)
		WRITE_ONCE(gd->state, ret ? GMRK_DS_FAILED : GMRK_DS_ONLINE);
	spin_unlock_bh(&gd->lock);
	if (ret && !retry)
		dev_err(gd->dma_dev, "%s: reset failed (%d), device offline; retrying every %u s\n",
			gd->name, ret, GMRK_RETRY_RESET_S);
	else if (!ret && retry)
		dev_info(gd->dma_dev, "%s: device back online\n", gd->name);
	mutex_unlock(&gd->reset_lock);

	gmrk_finish_list(gd, &done);
	gmrk_redo_list(gd, &redo, -EIO);
	if (!atomic_read(&gd->inflight))
		wake_up(&gd->drain_wq);
	gmrk_backlog_run(gd);
}

static unsigned long gmrk_watchdog_period(struct gmrk_dev *gd)
{
	unsigned int ms = READ_ONCE(gmrk_job_timeout_ms) / 4;

	/*
	 * While gmrk_dev_add() runs, the transport does not know the device
	 * yet and cannot signal completions, but the algorithms' self-tests
	 * already wait for them: poll every tick until it returns.
	 */
	if (READ_ONCE(gd->polling))
		return 1;
	return msecs_to_jiffies(clamp(ms, 10u, 1000u));
}

/* Is a job on @q older than its timeout? */
static bool gmrk_queue_expired(struct gmrk_queue *q)
{
	unsigned int slot;
	bool expired = false;

	spin_lock_bh(&q->lock);
	for_each_set_bit(slot, q->job_map, q->size) {
		if (gmrk_job_expired(&q->jobs[slot])) {
			expired = true;
			break;
		}
	}
	spin_unlock_bh(&q->lock);
	return expired;
}

static void gmrk_watchdog_fn(struct work_struct *work)
{
	struct gmrk_dev *gd = container_of(to_delayed_work(work),
					   struct gmrk_dev, watchdog);
	bool reset = false;
	unsigned int i;

	if (gmrk_dev_online(gd)) {
		if (gmrk_rd(gd, GMRK_REG_STATUS) & GMRK_STATUS_FATAL)
			reset = true;
		for (i = 0; i < gd->num_queues && !reset; i++) {
			/* A lost interrupt is not a timeout: look first. */
			gmrk_queue_reap(&gd->queues[i]);
			if (gmrk_queue_expired(&gd->queues[i]))
				reset = true;
		}
		if (reset)
			queue_work(gmrk_wq, &gd->reset_work);
	} else if (READ_ONCE(gd->state) == GMRK_DS_FAILED &&
		   time_after(jiffies, gd->last_reset +
				       GMRK_RETRY_RESET_S * HZ)) {
		/* A failed reset may succeed later (the card is still there). */
		queue_work(gmrk_wq, &gd->reset_work);
	}
	if (READ_ONCE(gd->backlog_len))
		gmrk_backlog_run(gd);
	if (READ_ONCE(gd->state) != GMRK_DS_REMOVING)
		queue_delayed_work(gmrk_wq, &gd->watchdog,
				   gmrk_watchdog_period(gd));
}

/* ---- Queues ---- */

static void gmrk_queues_free(struct gmrk_dev *gd)
{
	unsigned int i;

	if (!gd->queues)
		return;
	for (i = 0; i < gd->num_queues; i++) {
		struct gmrk_queue *q = &gd->queues[i];

		if (q->sq) {
			memzero_explicit(q->sq, q->size * sizeof(*q->sq));
			dma_free_coherent(gd->dma_dev, q->size * sizeof(*q->sq),
					  q->sq, q->sq_dma);
		}
		if (q->cq)
			dma_free_coherent(gd->dma_dev, q->size * sizeof(*q->cq),
					  q->cq, q->cq_dma);
		q->sq = NULL;
		q->cq = NULL;
		kfree(q->jobs);
		q->jobs = NULL;
		bitmap_free(q->job_map);
		q->job_map = NULL;
	}
}

static int gmrk_queues_alloc(struct gmrk_dev *gd)
{
	unsigned int i;

	gd->queues = kcalloc(gd->num_queues, sizeof(*gd->queues), GFP_KERNEL);
	if (!gd->queues)
		return -ENOMEM;
	/* Every queue is valid for teardown before any allocation fails. */
	for (i = 0; i < gd->num_queues; i++) {
		struct gmrk_queue *q = &gd->queues[i];

		q->gd = gd;
		q->qid = i;
		q->size = gd->depth;
		q->stopped = true;
		spin_lock_init(&q->lock);
		INIT_WORK(&q->done_work, gmrk_queue_done_work);
	}
	for (i = 0; i < gd->num_queues; i++) {
		struct gmrk_queue *q = &gd->queues[i];

		q->sq = dma_alloc_coherent(gd->dma_dev, q->size * sizeof(*q->sq),
					   &q->sq_dma, GFP_KERNEL);
		q->cq = dma_alloc_coherent(gd->dma_dev, q->size * sizeof(*q->cq),
					   &q->cq_dma, GFP_KERNEL);
		q->jobs = kcalloc(q->size, sizeof(*q->jobs), GFP_KERNEL);
		q->job_map = bitmap_zalloc(q->size, GFP_KERNEL);
		if (!q->sq || !q->cq || !q->jobs || !q->job_map)
			return -ENOMEM;
	}
	return 0;
}

/* Read what the device offers after its first reset. */
static int gmrk_dev_probe_regs(struct gmrk_dev *gd)
{
	u32 nq, depth;

	gd->hw_version = gmrk_rd(gd, GMRK_REG_VERSION);
	if (gd->hw_version >> 16 != GMRK_VERSION_MAJOR) {
		dev_err(gd->dma_dev, "unsupported gm-rk version %#x\n",
			gd->hw_version);
		return -ENODEV;
	}
	gd->caps = gmrk_rd(gd, GMRK_REG_CAPS);
	nq = gmrk_rd(gd, GMRK_REG_NUM_QUEUES);
	depth = gmrk_rd(gd, GMRK_REG_MAX_DEPTH);
	gd->max_data = gmrk_rd(gd, GMRK_REG_MAX_DATA);
	if (!nq || nq > GMRK_MAX_QUEUES || depth < GMRK_MIN_DEPTH ||
	    !is_power_of_2(depth) || !gd->max_data) {
		dev_err(gd->dma_dev, "bad device geometry: %u queues, depth %u, max data %u\n",
			nq, depth, gd->max_data);
		return -ENODEV;
	}
	gd->num_queues = nq;
	gd->depth = min_t(u32, depth, GMRK_MAX_DEPTH);

	gd->key_slots = 0;
	if (gd->caps & GMRK_CAP_KEYSLOTS) {
		u32 slots = gmrk_rd(gd, GMRK_REG_KEY_SLOTS);

		if (slots && slots <= GMRK_MAX_KEY_SLOTS) {
			gd->key_slots = slots;
		} else {
			dev_warn(gd->dma_dev, "device reports %u key slots; key slots not used\n",
				 slots);
			gd->caps &= ~GMRK_CAP_KEYSLOTS;
		}
	}
	return 0;
}

/* ---- Registry and algorithm registration ---- */

static void gmrk_dev_release(struct kref *ref)
{
	struct gmrk_dev *gd = container_of(ref, struct gmrk_dev, ref);

	kfree(gd->queues);
	kfree(gd);
}

void gmrk_dev_put(struct gmrk_dev *gd)
{
	kref_put(&gd->ref, gmrk_dev_release);
}

struct gmrk_dev *gmrk_dev_get_by_minor(int minor)
{
	struct gmrk_dev *gd, *found = NULL;

	mutex_lock(&gmrk_devices_lock);
	list_for_each_entry(gd, &gmrk_devices, node) {
		if (gd->minor == minor) {
			kref_get(&gd->ref);
			found = gd;
			break;
		}
	}
	mutex_unlock(&gmrk_devices_lock);
	return found;
}

void gmrk_dev_reset_stats(struct gmrk_dev *gd)
{
	unsigned int i;

	atomic64_set(&gd->jobs, 0);
	atomic64_set(&gd->bytes, 0);
	atomic64_set(&gd->errors, 0);
	atomic64_set(&gd->fallbacks, 0);
	atomic64_set(&gd->timeouts, 0);
	atomic64_set(&gd->resets, 0);
	atomic64_set(&gd->auth_failures, 0);
	for (i = 0; i < gd->num_queues; i++) {
		spin_lock_bh(&gd->queues[i].lock);
		memset(&gd->queues[i].c, 0, sizeof(gd->queues[i].c));
		spin_unlock_bh(&gd->queues[i].lock);
	}
}

/*
 * Unregistering an algorithm that still has a user makes the crypto API
 * warn and leaves the algorithm half removed, so the algorithms first get
 * "shot" (new lookups pass them by and find the software implementations)
 * and are unregistered once nothing holds them: no tfm, no reference from
 * a lookup that was under way when they were shot.
 */
static bool gmrk_algs_try_unregister(bool just_shot)
{
	if (!gmrk_aead_unregister_ready())
		return false;
	if (just_shot) {
		/* A lookup that passed the DYING check holds its ref by now. */
		msleep(20);
		if (!gmrk_aead_unregister_ready())
			return false;
	}
	gmrk_aead_unregister();
	gmrk_algs_registered = false;
	return true;
}

static void gmrk_unreg_work_fn(struct work_struct *work)
{
	mutex_lock(&gmrk_alg_lock);
	if (gmrk_algs_registered && !gmrk_nr_devices &&
	    !gmrk_algs_try_unregister(false))
		queue_delayed_work(gmrk_wq, &gmrk_unreg_work,
				   msecs_to_jiffies(GMRK_UNREG_RETRY_MS));
	mutex_unlock(&gmrk_alg_lock);
}

/* A device came up: the first one brings the algorithms. */
static int gmrk_algs_get(void)
{
	int ret = 0;

	mutex_lock(&gmrk_alg_lock);
	if (gmrk_algs_registered) {
		/* Back before the last users of the old registration left. */
		gmrk_aead_unshoot();
	} else {
		/* The self-tests this runs go through the device just added. */
		ret = gmrk_aead_register();
		if (!ret)
			gmrk_algs_registered = true;
	}
	if (!ret)
		gmrk_nr_devices++;
	mutex_unlock(&gmrk_alg_lock);
	return ret;
}

/*
 * The last device went: unregister the algorithms. A tfm still bound to
 * them (an open AF_ALG socket, say) keeps them registered, computing in
 * software, until it is freed.
 */
static void gmrk_algs_put(void)
{
	mutex_lock(&gmrk_alg_lock);
	if (!--gmrk_nr_devices && gmrk_algs_registered) {
		gmrk_aead_shoot();
		if (!gmrk_algs_try_unregister(true))
			queue_delayed_work(gmrk_wq, &gmrk_unreg_work,
					   msecs_to_jiffies(GMRK_UNREG_RETRY_MS));
	}
	mutex_unlock(&gmrk_alg_lock);
}

/* ---- gmrk_dev_add / gmrk_dev_remove ---- */

static void gmrk_dev_teardown(struct gmrk_dev *gd, bool surprise)
{
	LIST_HEAD(done);
	LIST_HEAD(left);
	unsigned int i;

	spin_lock_bh(&gd->lock);
	WRITE_ONCE(gd->state, GMRK_DS_REMOVING);
	WRITE_ONCE(gd->surprise, surprise);
	spin_unlock_bh(&gd->lock);

	/* No submitter can hold this device any more. */
	synchronize_srcu(&gmrk_srcu);
	cancel_delayed_work_sync(&gd->watchdog);
	cancel_work_sync(&gd->reset_work);
	mutex_lock(&gd->reset_lock);	/* a reset that was running is done */
	mutex_unlock(&gd->reset_lock);

	/* Give jobs in flight the chance to complete with their result. */
	if (!surprise && gd->queues)
		wait_event_timeout(gd->drain_wq, !atomic_read(&gd->inflight),
				   msecs_to_jiffies(GMRK_DRAIN_TIMEOUT_MS));

	if (gd->queues) {
		/* Stop the device touching memory before it is unmapped. */
		gmrk_queues_stop(gd);
		if (!surprise && gmrk_hw_reset(gd))
			dev_warn(gd->dma_dev, "%s: reset at removal failed\n",
				 gd->name);
		for (i = 0; i < gd->num_queues; i++)
			gmrk_queue_take_back(&gd->queues[i], &done, &left);
		WRITE_ONCE(gd->irq_off, true);
		synchronize_rcu();
		for (i = 0; i < gd->num_queues; i++)
			cancel_work_sync(&gd->queues[i].done_work);
	}
	cancel_work_sync(&gd->backlog_work);

	gmrk_finish_list(gd, &done);
	gmrk_redo_list(gd, &left, -ENODEV);
	gmrk_backlog_run(gd);		/* state REMOVING: all to software */

	gmrk_debugfs_remove(gd);
	gmrk_cdev_remove(gd);
	gmrk_queues_free(gd);
	dma_pool_destroy(gd->pool_small);
	dma_pool_destroy(gd->pool_large);
	gd->pool_small = NULL;
	gd->pool_large = NULL;
	ida_free(&gmrk_minor_ida, gd->minor);
}

struct gmrk_dev *gmrk_dev_add(struct device *dma_dev,
			      const struct gmrk_transport_ops *ops, void *priv,
			      u32 kind, const char *bus_id)
{
	struct gmrk_dev *gd;
	int ret;

	if (!dma_dev || !ops || !ops->read32 || !ops->write32)
		return ERR_PTR(-EINVAL);
	gd = kzalloc(sizeof(*gd), GFP_KERNEL);
	if (!gd)
		return ERR_PTR(-ENOMEM);
	kref_init(&gd->ref);
	INIT_LIST_HEAD(&gd->node);
	gd->dma_dev = dma_dev;
	gd->ops = ops;
	gd->priv = priv;
	gd->kind = kind;
	strscpy(gd->bus_id, bus_id ? bus_id : "", sizeof(gd->bus_id));
	spin_lock_init(&gd->lock);
	gd->state = GMRK_DS_INIT;
	INIT_LIST_HEAD(&gd->backlog);
	mutex_init(&gd->reset_lock);
	INIT_DELAYED_WORK(&gd->watchdog, gmrk_watchdog_fn);
	INIT_WORK(&gd->reset_work, gmrk_reset_work_fn);
	INIT_WORK(&gd->backlog_work, gmrk_backlog_work_fn);
	init_waitqueue_head(&gd->drain_wq);

	ret = ida_alloc_max(&gmrk_minor_ida, GMRK_MAX_DEVICES - 1, GFP_KERNEL);
	if (ret < 0) {
		kfree(gd);
		return ERR_PTR(ret);
	}
	gd->minor = ret;
	snprintf(gd->name, sizeof(gd->name), "gmrk%d", gd->minor);

	ret = gmrk_hw_reset(gd);
	if (ret) {
		dev_err(dma_dev, "device did not come out of reset (%d)\n", ret);
		goto err;
	}
	ret = gmrk_dev_probe_regs(gd);
	if (ret)
		goto err;

	ret = -ENOMEM;
	gd->pool_small = dma_pool_create("gmrk_sgl_small", dma_dev,
					 2 * GMRK_SGL_SMALL *
					 sizeof(struct gmrk_sge),
					 sizeof(struct gmrk_sge), 0);
	gd->pool_large = dma_pool_create("gmrk_sgl", dma_dev,
					 2 * GMRK_SGL_MAX *
					 sizeof(struct gmrk_sge),
					 sizeof(struct gmrk_sge), 0);
	if (!gd->pool_small || !gd->pool_large)
		goto err;
	ret = gmrk_queues_alloc(gd);
	if (ret)
		goto err;
	ret = gmrk_hw_start(gd);
	if (ret)
		goto err;

	ret = gmrk_cdev_add(gd);
	if (ret)
		goto err;
	gmrk_debugfs_add(gd);

	spin_lock_bh(&gd->lock);
	WRITE_ONCE(gd->state, GMRK_DS_ONLINE);
	spin_unlock_bh(&gd->lock);
	mutex_lock(&gmrk_devices_lock);
	list_add_tail_rcu(&gd->node, &gmrk_devices);
	mutex_unlock(&gmrk_devices_lock);
	WRITE_ONCE(gd->polling, true);
	queue_delayed_work(gmrk_wq, &gd->watchdog, gmrk_watchdog_period(gd));

	ret = gmrk_algs_get();
	WRITE_ONCE(gd->polling, false);
	if (ret) {
		dev_err(dma_dev, "registering algorithms failed (%d)\n", ret);
		goto err_listed;
	}
	dev_info(dma_dev, "%s: gm-rk %u.%u on %s, %u queues of %u, caps %#x\n",
		 gd->name, gd->hw_version >> 16, gd->hw_version & 0xffff,
		 gd->bus_id, gd->num_queues, gd->depth, gd->caps);
	return gd;

err_listed:
	mutex_lock(&gmrk_devices_lock);
	list_del_rcu(&gd->node);
	mutex_unlock(&gmrk_devices_lock);
err:
	gmrk_dev_teardown(gd, false);
	gmrk_dev_put(gd);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(gmrk_dev_add);

void gmrk_dev_remove(struct gmrk_dev *gd, bool surprise)
{
	if (IS_ERR_OR_NULL(gd))
		return;
	mutex_lock(&gmrk_devices_lock);
	list_del_rcu(&gd->node);
	mutex_unlock(&gmrk_devices_lock);

	gmrk_dev_teardown(gd, surprise);
	dev_info(gd->dma_dev, "%s: removed%s\n", gd->name,
		 surprise ? " (surprise)" : "");
	gmrk_algs_put();
	gmrk_dev_put(gd);
}
EXPORT_SYMBOL_GPL(gmrk_dev_remove);

/* ---- Module ---- */

int gmrk_core_init(void)
{
	int ret;

	ret = init_srcu_struct(&gmrk_srcu);
	if (ret)
		return ret;
	gmrk_wq = alloc_workqueue("gmrk", WQ_HIGHPRI | WQ_MEM_RECLAIM, 0);
	if (!gmrk_wq) {
		cleanup_srcu_struct(&gmrk_srcu);
		return -ENOMEM;
	}
	return 0;
}

/* After every transport is gone: no device, no tfm (module refcount). */
void gmrk_core_exit(void)
{
	cancel_delayed_work_sync(&gmrk_unreg_work);
	mutex_lock(&gmrk_alg_lock);
	if (gmrk_algs_registered) {
		gmrk_aead_unregister();
		gmrk_algs_registered = false;
	}
	mutex_unlock(&gmrk_alg_lock);
	destroy_workqueue(gmrk_wq);
	cleanup_srcu_struct(&gmrk_srcu);
	ida_destroy(&gmrk_minor_ida);
}

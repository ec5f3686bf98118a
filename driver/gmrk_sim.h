/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gmrk emulation device: private definitions shared by the device model
 * (gmrk_sim.c: bus, register file, debugfs) and its job executor
 * (gmrk_sim_exec.c).
 *
 * The emulation device behaves like the gm-rk card of gmrk_hw.h: the driver
 * core sees a register file and rings in DMA memory, the device fetches
 * descriptors by bus address, computes with the kernel's software AEADs and
 * writes completions. Documentation/gmrk/emulation-device.rst describes it.
 */
#ifndef _GMRK_SIM_H
#define _GMRK_SIM_H

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "gmrk_hw.h"

#define GMRK_SIM_MAX_ID		255
#define GMRK_SIM_DEF_QUEUES	4
#define GMRK_SIM_DEF_DEPTH	256
#define GMRK_SIM_MAX_DATA	SZ_1M	/* MAX_DATA register */
#define GMRK_SIM_NUM_REGS	(GMRK_BAR_SIZE / 4)
#define GMRK_SIM_NUM_ALGS	3	/* GMRK_ALG_AES_GCM .. GMRK_ALG_CHACHAPOLY */
#define GMRK_SIM_DEF_KEY_SLOTS	8

/* sim->flags */
enum {
	GMRK_SIM_F_DYING,	/* being deleted: drop everything, fetch nothing */
	GMRK_SIM_F_STALL,	/* debugfs stall: fetch, complete nothing */
	GMRK_SIM_F_QFULL,	/* debugfs queue_full: fetch nothing */
};

struct crypto_aead;
struct aead_request;
struct dentry;
struct gmrk_dev;
struct gmrk_sim_dev;
struct gmrk_sim_keys;

/* A descriptor the device has fetched and not yet completed. */
struct gmrk_sim_job {
	struct gmrk_desc desc;
	u16 sq_head;		/* SQ_HEAD right after this job was fetched */
};

/* One segment of a job's source or destination, after SG list resolution. */
struct gmrk_sim_seg {
	u64 addr;
	u32 len;
};

struct gmrk_sim_queue {
	struct gmrk_sim_dev *sim;
	unsigned int qid;
	struct work_struct work;

	/*
	 * Under sim->lock. @gen is bumped whenever the jobs the device holds
	 * must be dropped (device reset, queue disabled); the executor only
	 * writes a completion whose generation is still current.
	 */
	u32 gen;
	bool irq_latched;	/* interrupt raised while masked */
	bool irq_kick;		/* deliver a latched interrupt now */
	bool cq_blocked;	/* fetch waits for CQ room: kick on CQ_HEAD */

	/* Executor private: only the queue's work item touches these. */
	u32 seen_gen;
	struct gmrk_sim_job *fifo;	/* fetched jobs, capacity sim->max_depth */
	u32 fifo_head;
	u32 fifo_count;
	struct {
		struct crypto_aead *tfm;
		struct aead_request *req;
	} alg[GMRK_SIM_NUM_ALGS];
	u8 *bounce;			/* GMRK_SIM_MAX_DATA + GMRK_TAG_MAX */
	struct sg_table bounce_sgt;
	struct gmrk_sge *sgl;		/* SG list fetch buffer, GMRK_SGL_MAX */
	struct gmrk_sim_seg *src_seg;	/* resolved lists, GMRK_SGL_MAX each */
	struct gmrk_sim_seg *dst_seg;
};

struct gmrk_sim_dev {
	struct device dev;
	unsigned int id;
	unsigned int num_queues;
	unsigned int max_depth;
	u32 caps;
	char name[16];		/* "simID": the bus_id the core shows */

	/* The register file; writes and device-side updates under @lock. */
	spinlock_t lock;
	u32 regs[GMRK_SIM_NUM_REGS];
	unsigned long flags;	/* GMRK_SIM_F_*, atomic bitops */

	struct workqueue_struct *wq;
	struct work_struct reset_work;
	wait_queue_head_t waitq;	/* latency waits end early on reset */

	/* Fault injection and counters (debugfs). */
	struct dentry *ddir;
	u32 latency_us;
	atomic_t fail_next;
	atomic_t corrupt_next;
	atomic64_t jobs;
	atomic64_t errors;

	/*
	 * Key slots (gmrk_sim_keys.c). Non-volatile: a reset leaves them, the
	 * device's deletion zeroes them. @key_map mirrors KEY_SLOT_MAP for
	 * the register file's reset, under @lock.
	 */
	unsigned int key_slots;		/* 0: no GMRK_CAP_KEYSLOTS */
	u32 key_map;
	struct gmrk_sim_keys *keys;

	/* The driver side: set once gmrk_dev_add() returned, under @lock. */
	struct gmrk_dev *gd;
	int probe_err;		/* why the driver did not bind */

	struct device_dma_parameters dma_parms;
	struct gmrk_sim_queue *queues;	/* num_queues */
};

static inline u32 gmrk_sim_reg(struct gmrk_sim_dev *sim, u32 off)
{
	return sim->regs[off / 4];
}

static inline void gmrk_sim_set_reg(struct gmrk_sim_dev *sim, u32 off, u32 val)
{
	WRITE_ONCE(sim->regs[off / 4], val);
}

static inline u32 gmrk_sim_qreg(struct gmrk_sim_queue *q, u32 reg)
{
	return gmrk_sim_reg(q->sim, GMRK_QREG(q->qid, reg));
}

static inline void gmrk_sim_set_qreg(struct gmrk_sim_queue *q, u32 reg, u32 val)
{
	gmrk_sim_set_reg(q->sim, GMRK_QREG(q->qid, reg), val);
}

/* gmrk_sim_exec.c */
int gmrk_sim_exec_init(struct gmrk_sim_queue *q);
void gmrk_sim_exec_free(struct gmrk_sim_queue *q);
u32 gmrk_sim_exec_caps(struct gmrk_sim_dev *sim);
bool gmrk_sim_ring_ok(u64 addr, u64 len);
void gmrk_sim_queue_work(struct work_struct *work);

/* gmrk_sim_keys.c: the slots and SM2 (GB/T 32918) on sm2p256v1 */
int gmrk_sim_keys_selftest(void);
int gmrk_sim_keys_init(struct gmrk_sim_dev *sim, unsigned int slots);
void gmrk_sim_keys_free(struct gmrk_sim_dev *sim);
/* GMRK_ST_* of the command; @slot is below sim->key_slots. */
u16 gmrk_sim_key_gen(struct gmrk_sim_dev *sim, unsigned int slot,
		     u8 pub[GMRK_SM2_PUB_LEN]);
u16 gmrk_sim_key_pub(struct gmrk_sim_dev *sim, unsigned int slot,
		     u8 pub[GMRK_SM2_PUB_LEN]);
/* @in: C1 || C3 || C2 of @in_len bytes; @out: in_len - GMRK_SM2_OVERHEAD. */
u16 gmrk_sim_key_unwrap(struct gmrk_sim_dev *sim, unsigned int slot,
			const u8 *in, u32 in_len, u8 *out);
u16 gmrk_sim_key_destroy(struct gmrk_sim_dev *sim, unsigned int slot);

static inline void gmrk_sim_kick(struct gmrk_sim_queue *q)
{
	queue_work(q->sim->wq, &q->work);
}

#endif /* _GMRK_SIM_H */

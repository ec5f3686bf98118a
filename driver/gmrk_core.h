/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gmrk: driver core internals shared by the core, the AEAD glue, the
 * character device and debugfs. Transports see only gmrk_transport.h.
 */
#ifndef _GMRK_CORE_H
#define _GMRK_CORE_H

#include <linux/atomic.h>
#include <linux/device.h>
#include <linux/dmapool.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <crypto/aead.h>
#include <crypto/internal/aead.h>

#include "gmrk_hw.h"
#include "gmrk_transport.h"

#define GMRK_NAME		"gmrk"
#define GMRK_MAX_DEVICES	256		/* minors of /dev/gmrkN */
#define GMRK_RESET_TIMEOUT_MS	1000		/* CTRL.RESET to STATUS.READY */
#define GMRK_DRAIN_TIMEOUT_MS	2000		/* orderly removal waits this */
#define GMRK_RETRY_RESET_S	10		/* a failed device is retried */

/*
 * Cookie layout: low 16 bits the job slot, the rest a per-queue sequence
 * number, so a completion carrying a cookie from before a reset (or any
 * stale one) never matches a job that took its slot since.
 */
#define GMRK_COOKIE_SLOT_BITS	16
#define GMRK_COOKIE_SLOT_MASK	((1u << GMRK_COOKIE_SLOT_BITS) - 1)

/* Small SG lists come from one pool, long ones from another. */
#define GMRK_SGL_SMALL		16		/* entries per direction */

/* Module parameters (gmrk_main.c). */
extern unsigned int gmrk_job_timeout_ms;
extern unsigned int gmrk_sw_threshold;
extern unsigned int gmrk_max_backlog;
extern unsigned int gmrk_key_timeout_ms;

extern struct workqueue_struct *gmrk_wq;

enum gmrk_dev_state {
	GMRK_DS_INIT,		/* being brought up */
	GMRK_DS_ONLINE,		/* accepting jobs */
	GMRK_DS_RESETTING,	/* recovery in progress */
	GMRK_DS_FAILED,		/* reset did not bring it back */
	GMRK_DS_REMOVING,	/* gmrk_dev_remove() running */
};

/* What the AEAD glue (or a key command) hands the core for one job. */
struct gmrk_job_params {
	u8 opcode;		/* GMRK_OP_ENCRYPT / GMRK_OP_DECRYPT / GMRK_OP_KEY_* */
	u8 alg;			/* enum gmrk_alg */
	u8 key_len;
	u8 tag_len;
	u16 slot;		/* key slot of a GMRK_OP_KEY_* command */
	u32 cap;		/* GMRK_CAP_* the device must offer */
	const u8 *key;		/* tfm context; copied into the descriptor */
};

/*
 * Per-job context: an aead_request's __ctx, or part of a key command
 * (gmrk_core.c, struct gmrk_key_cmd; @req is NULL then). The fallback
 * request must stay last: the software implementation's own context
 * follows it.
 */
struct gmrk_rctx {
	struct gmrk_job_params p;
	struct aead_request *req;	/* NULL: a key command */
	struct gmrk_dev *gd;		/* device the request was given to */
	struct list_head node;		/* gd->backlog, or a list of finished jobs */
	u16 status;			/* GMRK_ST_* of the completion */
	bool expired;			/* taken back after its timeout */
	bool backlogged;		/* told -EBUSY: owes -EINPROGRESS */
	bool inplace;
	bool use_sgl;
	u32 aad_len;
	u32 data_len;
	u32 src_bytes;
	u32 dst_bytes;
	/* DMA state: the mapped lists and what dma_map_sg() was given */
	struct scatterlist *src_sg;
	struct scatterlist *dst_sg;
	struct scatterlist dst_ffwd[2];
	int src_nents;			/* passed to dma_map_sg(), 0: none */
	int dst_nents;
	u32 src_cnt;			/* SG entries (or 0 for a direct buffer) */
	u32 dst_cnt;
	dma_addr_t src_addr;		/* buffer or SG list bus address */
	dma_addr_t dst_addr;
	struct gmrk_sge *sgl;		/* src entries, then dst entries */
	dma_addr_t sgl_dma;
	struct dma_pool *sgl_pool;
	struct aead_request fallback_req;
};

struct gmrk_job {
	struct gmrk_rctx *rctx;		/* NULL: slot free */
	u64 cookie;
	unsigned long submitted;	/* jiffies */
};

struct gmrk_queue_counters {
	u64 jobs;
	u64 bytes;
	u64 errors;
	u64 busy;
};

struct gmrk_queue {
	struct gmrk_dev *gd;
	unsigned int qid;
	spinlock_t lock;		/* everything below */
	bool stopped;			/* no posting; rings being rebuilt */
	u32 size;
	struct gmrk_desc *sq;
	dma_addr_t sq_dma;
	struct gmrk_cpl *cq;
	dma_addr_t cq_dma;
	u32 sq_tail;			/* free running, mod 2 * size */
	u32 sq_clean;			/* slots before this were wiped */
	u32 cq_head;
	u32 inflight;
	u64 seq;
	struct gmrk_job *jobs;		/* size entries */
	unsigned long *job_map;		/* bit set: jobs[i] in use */
	struct gmrk_queue_counters c;
	struct work_struct done_work;
};

struct gmrk_dev {
	struct kref ref;
	struct list_head node;		/* gmrk_devices, RCU */
	struct device *dma_dev;
	const struct gmrk_transport_ops *ops;
	void *priv;
	u32 kind;
	int minor;
	char name[16];
	char bus_id[32];

	/* What the device reported at bring-up. */
	u32 hw_version;
	u32 caps;
	u32 num_queues;
	u32 depth;
	u32 max_data;
	u32 key_slots;		/* 0 without GMRK_CAP_KEYSLOTS */

	spinlock_t lock;		/* state, backlog */
	enum gmrk_dev_state state;
	bool surprise;			/* hardware gone: no register access */
	bool irq_off;			/* removal: ignore gmrk_dev_queue_irq() */
	bool polling;			/* bring-up: reap without interrupts */
	struct list_head backlog;
	unsigned int backlog_len;
	atomic_t inflight;		/* all queues, for device choice */
	atomic_t next_queue;

	struct dma_pool *pool_small;
	struct dma_pool *pool_large;
	struct gmrk_queue *queues;

	struct mutex reset_lock;	/* serialises reset and removal */
	unsigned long last_reset;	/* jiffies, under reset_lock */
	struct delayed_work watchdog;
	struct work_struct reset_work;
	struct work_struct backlog_work;
	wait_queue_head_t drain_wq;

	atomic64_t jobs;
	atomic64_t bytes;
	atomic64_t errors;
	atomic64_t fallbacks;
	atomic64_t timeouts;
	atomic64_t resets;
	atomic64_t auth_failures;

	struct device *chr_dev;		/* /dev/gmrkN */
	struct dentry *dbg_dir;
};

static inline bool gmrk_dev_online(struct gmrk_dev *gd)
{
	return READ_ONCE(gd->state) == GMRK_DS_ONLINE;
}

static inline u32 gmrk_rd(struct gmrk_dev *gd, u32 off)
{
	return gd->ops->read32(gd->priv, off);
}

static inline void gmrk_wr(struct gmrk_dev *gd, u32 off, u32 val)
{
	gd->ops->write32(gd->priv, off, val);
}

static inline struct gmrk_rctx *gmrk_rctx(struct aead_request *req)
{
	return aead_request_ctx(req);
}

const char *gmrk_state_name(enum gmrk_dev_state state);

/* gmrk_core.c */
int gmrk_core_init(void);
void gmrk_core_exit(void);
/*
 * gmrk_core_submit() - give a request to a device
 * Return: -EINPROGRESS or -EBUSY (the device owns the request and will
 * complete it), or 1 when the request must be done in software now.
 */
int gmrk_core_submit(struct aead_request *req);
void gmrk_dev_put(struct gmrk_dev *gd);
struct gmrk_dev *gmrk_dev_get_by_minor(int minor);
void gmrk_dev_reset_stats(struct gmrk_dev *gd);
/*
 * gmrk_core_key_op() - run one key-slot command on @gd and wait for it
 * @opcode: GMRK_OP_KEY_GEN, _PUB, _UNWRAP or _DESTROY
 * @slot: key slot, below gd->key_slots
 * @src: UNWRAP: the ciphertext (C1 || C3 || C2), else NULL
 * @src_len: UNWRAP: GMRK_SM2_OVERHEAD + 1 .. GMRK_UNWRAP_MAX bytes, else 0
 * @dst: GEN, PUB: GMRK_SM2_PUB_LEN bytes; UNWRAP: the message; else NULL
 * @dst_len: GEN, PUB: GMRK_SM2_PUB_LEN; UNWRAP: @src_len - GMRK_SM2_OVERHEAD
 *
 * Never done in software: the private key exists only in the device.
 * May sleep. @dst is written only on success.
 * Return: 0, -EOPNOTSUPP (no key slots), -EINVAL, -ENOKEY, -EEXIST,
 * -EBADMSG, -ETIMEDOUT, -EIO (device error, or dropped by a reset),
 * -ENODEV (device removed), -EINTR (fatal signal), -ENOMEM.
 */
int gmrk_core_key_op(struct gmrk_dev *gd, u8 opcode, u16 slot,
		     const void *src, u32 src_len, void *dst, u32 dst_len);
/* GMRK_REG_KEY_SLOT_MAP as the device reports it now (0 when removed). */
u32 gmrk_dev_key_slot_map(struct gmrk_dev *gd);

/* gmrk_aead.c */
int gmrk_aead_register(void);
void gmrk_aead_unregister(void);
bool gmrk_aead_unregister_ready(void);
void gmrk_aead_shoot(void);
void gmrk_aead_unshoot(void);
/* Compute @req with the tfm's software implementation; returns its result. */
int gmrk_aead_sw(struct aead_request *req);
/* Tell the submitter the outcome of @req (after -EINPROGRESS if owed). */
void gmrk_aead_complete(struct aead_request *req, int err);

/* gmrk_cdev.c */
int gmrk_cdev_init(void);
void gmrk_cdev_exit(void);
int gmrk_cdev_add(struct gmrk_dev *gd);
void gmrk_cdev_remove(struct gmrk_dev *gd);

/* gmrk_debugfs.c */
void gmrk_debugfs_init(void);
void gmrk_debugfs_exit(void);
void gmrk_debugfs_add(struct gmrk_dev *gd);
void gmrk_debugfs_remove(struct gmrk_dev *gd);

#endif /* _GMRK_CORE_H */

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gm-rk crypto card: hardware interface.
 *
 * This header is the single definition of the card's programming model.
 * The driver core, the in-kernel emulation device (gmrk_sim) and the QEMU
 * device model (tools/qemu/) all implement or consume exactly this.
 * Documentation/gmrk/hardware.rst is the prose version of the same contract.
 *
 * All multi-byte fields, in registers and in memory, are little endian.
 * Only fixed-width types from <linux/types.h> are used so the header also
 * compiles in userspace (the QEMU model includes it).
 */
#ifndef _GMRK_HW_H
#define _GMRK_HW_H

#include <linux/const.h>
#include <linux/types.h>

#define GMRK_PCI_VENDOR_ID	0x1b36	/* Red Hat, Inc. (QEMU virtual devices) */
#define GMRK_PCI_DEVICE_ID	0x10f0	/* gm-rk crypto card (project-local) */
#define GMRK_PCI_CLASS		0x108000 /* encryption controller, other */

#define GMRK_BAR_REGS		0
#define GMRK_BAR_SIZE		0x1000

/* ---- Global registers (BAR0, 32-bit access only) ---- */
#define GMRK_REG_ID		0x000	/* RO: GMRK_ID_MAGIC */
#define GMRK_REG_VERSION	0x004	/* RO: major << 16 | minor */
#define GMRK_REG_CAPS		0x008	/* RO: GMRK_CAP_* */
#define GMRK_REG_NUM_QUEUES	0x00c	/* RO: number of queues, 1..GMRK_MAX_QUEUES */
#define GMRK_REG_MAX_DEPTH	0x010	/* RO: largest ring size, power of two */
#define GMRK_REG_MAX_DATA	0x014	/* RO: largest aad_len + data_len of a job */
#define GMRK_REG_CTRL		0x018	/* RW: GMRK_CTRL_* */
#define GMRK_REG_STATUS		0x01c	/* RO: GMRK_STATUS_* */
#define GMRK_REG_INTR_STATUS	0x020	/* RW1C: bit q = queue q has completions */
#define GMRK_REG_INTR_MASK	0x024	/* RW: bit q set = queue q interrupt masked */
#define GMRK_REG_ERR_COUNT	0x028	/* RO: device errors since reset */

#define GMRK_ID_MAGIC		0x4b524d47	/* "GMRK" in memory order */
#define GMRK_VERSION_MAJOR	1
#define GMRK_VERSION_MINOR	0
#define GMRK_VERSION		((GMRK_VERSION_MAJOR << 16) | GMRK_VERSION_MINOR)

#define GMRK_CAP_AES_GCM	_BITUL(0)
#define GMRK_CAP_SM4_GCM	_BITUL(1)
#define GMRK_CAP_CHACHAPOLY	_BITUL(2)
#define GMRK_CAP_SG		_BITUL(8)	/* scatter-gather lists */
#define GMRK_CAP_KEYSLOTS	_BITUL(9)	/* reserved: card-held keys */

/*
 * CTRL.ENABLE: the device fetches descriptors only while set.
 * CTRL.RESET: writing 1 aborts all queues (jobs in flight are dropped
 * without completion), clears every queue register and CTRL.ENABLE,
 * clears STATUS.FATAL, and self-clears once the reset has finished; the
 * driver polls until it reads 0.
 */
#define GMRK_CTRL_ENABLE	_BITUL(0)
#define GMRK_CTRL_RESET		_BITUL(1)

#define GMRK_STATUS_READY	_BITUL(0)	/* reset finished, registers valid */
#define GMRK_STATUS_FATAL	_BITUL(1)	/* device needs a reset */

#define GMRK_MAX_QUEUES		16
#define GMRK_MIN_DEPTH		4
#define GMRK_MAX_DEPTH		4096

/* ---- Per-queue registers: GMRK_QREG(q, reg) ---- */
#define GMRK_QREG_BASE		0x100
#define GMRK_QREG_STRIDE	0x40
#define GMRK_QREG(q, reg)	(GMRK_QREG_BASE + (q) * GMRK_QREG_STRIDE + (reg))

#define GMRK_Q_SQ_BASE_LO	0x00	/* RW: submission ring DMA address */
#define GMRK_Q_SQ_BASE_HI	0x04
#define GMRK_Q_CQ_BASE_LO	0x08	/* RW: completion ring DMA address */
#define GMRK_Q_CQ_BASE_HI	0x0c
#define GMRK_Q_SIZE		0x10	/* RW: entries in both rings, power of 2 */
#define GMRK_Q_CTRL		0x14	/* RW: GMRK_QCTRL_* */
#define GMRK_Q_SQ_TAIL		0x18	/* WO doorbell: index of next free SQ slot */
#define GMRK_Q_SQ_HEAD		0x1c	/* RO: index of next SQ slot to fetch */
#define GMRK_Q_CQ_HEAD		0x20	/* RW: driver's consumer index into CQ */
#define GMRK_Q_CQ_TAIL		0x24	/* RO: index of next CQ slot to write */
#define GMRK_Q_MSIX_VEC		0x28	/* RW: MSI-X vector for this queue */
#define GMRK_Q_STATUS		0x2c	/* RO: GMRK_QSTATUS_* */

#define GMRK_QCTRL_ENABLE	_BITUL(0)

#define GMRK_QSTATUS_ENABLED	_BITUL(0)
#define GMRK_QSTATUS_ERROR	_BITUL(1)	/* bad ring setup; queue stopped */

/*
 * Ring indices are free-running modulo 2 * size: the slot is index % size,
 * and a ring is full when tail - head == size (mod 2 * size). This keeps
 * full and empty apart without wasting a slot.
 *
 * The device fetches a descriptor only when the CQ has room for its
 * completion, so a completion is never lost: at most `size` jobs are
 * outstanding per queue, counted from submission to CQ_HEAD moving past
 * their completion.
 */

/* ---- Descriptors ---- */
enum gmrk_opcode {
	GMRK_OP_NOP		= 0,	/* completes with GMRK_ST_OK, no DMA */
	GMRK_OP_ENCRYPT		= 1,
	GMRK_OP_DECRYPT		= 2,
};

enum gmrk_alg {
	GMRK_ALG_AES_GCM	= 1,	/* key 16/24/32, iv 12, tag 4, 8, 12..16 */
	GMRK_ALG_SM4_GCM	= 2,	/* key 16, iv 12, tag 4, 8, 12..16 */
	GMRK_ALG_CHACHAPOLY	= 3,	/* key 32, iv 12, tag 16 (RFC 8439) */
};

#define GMRK_KEY_MAX		32
#define GMRK_IV_LEN		12
#define GMRK_TAG_MAX		16

/* One entry of a scatter-gather list, in DMA memory. */
struct gmrk_sge {
	__le64 addr;
	__le32 len;
	__le32 rsvd;
};

#define GMRK_SGL_MAX		256	/* entries per list */

/*
 * A job: 128 bytes in the submission ring.
 *
 * src lists aad_len bytes of associated data followed by data_len bytes of
 * input; on decrypt the tag_len-byte tag follows the input in the same
 * list. dst lists data_len bytes of output, followed on encrypt by the
 * tag. The AAD is never written to dst. src and dst may describe the same
 * memory (in-place operation); the device reads each input byte before it
 * writes the output byte at the same offset.
 *
 * When GMRK_DF_SGL is clear, src_addr/dst_addr point directly at one
 * contiguous buffer of src_len/dst_len bytes. When it is set, they point at
 * arrays of src_len/dst_len struct gmrk_sge entries.
 *
 * On decrypt, if authentication fails the device writes nothing to dst
 * that could be mistaken for plaintext: it completes with GMRK_ST_EBADMSG
 * and the contents of dst are unspecified (the driver zeroes them).
 */
struct gmrk_desc {
	__u8	opcode;		/* enum gmrk_opcode */
	__u8	alg;		/* enum gmrk_alg */
	__u8	key_len;
	__u8	tag_len;
	__u8	iv_len;		/* GMRK_IV_LEN */
	__u8	flags;		/* GMRK_DF_* */
	__le16	rsvd0;
	__le32	aad_len;
	__le32	data_len;	/* bytes of plaintext/ciphertext, tag excluded */
	__le32	src_len;	/* bytes, or SG entries with GMRK_DF_SGL */
	__le32	dst_len;	/* bytes, or SG entries with GMRK_DF_SGL */
	__le64	src_addr;
	__le64	dst_addr;
	__le64	cookie;		/* opaque, echoed in the completion */
	__u8	iv[16];		/* first iv_len bytes used */
	__u8	key[GMRK_KEY_MAX]; /* first key_len bytes used */
	__u8	rsvd1[32];
};

#define GMRK_DF_SGL		_BITUL(0)
#define GMRK_DF_IRQ		_BITUL(1)	/* raise the queue interrupt */

/* A completion: 16 bytes in the completion ring. */
struct gmrk_cpl {
	__le64	cookie;
	__le16	status;		/* enum gmrk_status */
	__le16	sq_head;	/* SQ_HEAD after this job was fetched */
	__le32	rsvd;
};

enum gmrk_status {
	GMRK_ST_OK		= 0,
	GMRK_ST_EBADMSG		= 1,	/* tag mismatch on decrypt */
	GMRK_ST_EINVAL		= 2,	/* malformed descriptor */
	GMRK_ST_ENOTSUPP	= 3,	/* alg/key/tag/iv size not offered */
	GMRK_ST_EDMA		= 4,	/* DMA read or write failed */
	GMRK_ST_EDEV		= 5,	/* internal device error */
	GMRK_ST_E2BIG		= 6,	/* aad_len + data_len > MAX_DATA */
};

#ifdef __KERNEL__
#include <linux/build_bug.h>
static_assert(sizeof(struct gmrk_sge) == 16);
static_assert(sizeof(struct gmrk_desc) == 128);
static_assert(sizeof(struct gmrk_cpl) == 16);
#endif

#endif /* _GMRK_HW_H */

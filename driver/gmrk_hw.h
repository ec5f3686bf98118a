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
#define GMRK_REG_KEY_SLOTS	0x02c	/* RO: number of key slots, 0 without CAP_KEYSLOTS */
#define GMRK_REG_KEY_SLOT_MAP	0x030	/* RO: bit s set = slot s holds a key pair */

#define GMRK_ID_MAGIC		0x4b524d47	/* "GMRK" in memory order */
#define GMRK_VERSION_MAJOR	1
#define GMRK_VERSION_MINOR	1	/* 1.1: key slots */
#define GMRK_VERSION		((GMRK_VERSION_MAJOR << 16) | GMRK_VERSION_MINOR)

#define GMRK_CAP_AES_GCM	_BITUL(0)
#define GMRK_CAP_SM4_GCM	_BITUL(1)
#define GMRK_CAP_CHACHAPOLY	_BITUL(2)
#define GMRK_CAP_SG		_BITUL(8)	/* scatter-gather lists */
#define GMRK_CAP_KEYSLOTS	_BITUL(9)	/* SM2 key slots: GMRK_OP_KEY_* */

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
	GMRK_OP_KEY_GEN		= 3,	/* new SM2 key pair in slot; dst = public key */
	GMRK_OP_KEY_PUB		= 4,	/* dst = public key of slot */
	GMRK_OP_KEY_UNWRAP	= 5,	/* SM2-decrypt src with slot's private key */
	GMRK_OP_KEY_DESTROY	= 6,	/* erase slot */
};

enum gmrk_alg {
	GMRK_ALG_AES_GCM	= 1,	/* key 16/24/32, iv 12, tag 4, 8, 12..16 */
	GMRK_ALG_SM4_GCM	= 2,	/* key 16, iv 12, tag 4, 8, 12..16 */
	GMRK_ALG_CHACHAPOLY	= 3,	/* key 32, iv 12, tag 16 (RFC 8439) */
	GMRK_ALG_SM2		= 4,	/* GMRK_OP_KEY_* only */
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
 * Key slots (GMRK_CAP_KEYSLOTS): GMRK_REG_KEY_SLOTS slots, at most
 * GMRK_MAX_KEY_SLOTS, each empty or holding one SM2 key pair (curve
 * sm2p256v1, GB/T 32918). The private key is generated inside the device
 * and no command returns it. Slots are non-volatile: CTRL.RESET and
 * STATUS.FATAL leave them as they are.
 *
 * Key commands are descriptors like any other, on any queue, with
 * alg = GMRK_ALG_SM2, the slot number in desc.slot, aad_len = 0, key_len =
 * tag_len = iv_len = 0, and contiguous buffers only (GMRK_DF_SGL clear):
 *
 *   KEY_GEN      src_len 0; dst_len >= GMRK_SM2_PUB_LEN, receives the new
 *                public key 0x04 || X || Y (32-byte big-endian coordinates);
 *                data_len = GMRK_SM2_PUB_LEN. GMRK_ST_EEXIST if the slot
 *                already holds a key.
 *   KEY_PUB      as KEY_GEN without generating; GMRK_ST_ENOKEY if empty.
 *   KEY_UNWRAP   src = C1 || C3 || C2 (GB/T 32918.4 order): C1 the
 *                65-byte uncompressed point, C3 = SM3(x2 || M || y2),
 *                C2 = M xor KDF(x2 || y2, data_len);
 *                src_len = GMRK_SM2_OVERHEAD + data_len, 1 <= data_len <=
 *                GMRK_UNWRAP_MAX; dst_len >= data_len receives M.
 *                GMRK_ST_EBADMSG if C1 is not a point of the curve, the KDF
 *                output is all zero, or C3 does not match (dst is then
 *                unspecified; the driver zeroes it).
 *   KEY_DESTROY  src_len = dst_len = data_len = 0; the slot is zeroed and empty.
 *                GMRK_ST_ENOKEY if it was empty.
 *
 * A slot number >= KEY_SLOTS, or any other field out of line, completes
 * with GMRK_ST_EINVAL. KEY_GEN and KEY_UNWRAP take an elliptic-curve
 * scalar multiplication each, far longer than a block; drivers allow
 * GMRK_KEY_OP_TIMEOUT_MS for them.
 */
#define GMRK_MAX_KEY_SLOTS	32
#define GMRK_SM2_PUB_LEN	65	/* 0x04 || X || Y */
#define GMRK_SM2_C3_LEN		32
#define GMRK_SM2_OVERHEAD	(GMRK_SM2_PUB_LEN + GMRK_SM2_C3_LEN)
#define GMRK_UNWRAP_MAX		64
#define GMRK_KEY_OP_TIMEOUT_MS	30000

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
	__le16	slot;		/* key slot, GMRK_OP_KEY_* only; else 0 */
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
	GMRK_ST_ENOKEY		= 7,	/* key slot is empty */
	GMRK_ST_EEXIST		= 8,	/* KEY_GEN: key slot already holds a key */
};

#ifdef __KERNEL__
#include <linux/build_bug.h>
static_assert(sizeof(struct gmrk_sge) == 16);
static_assert(sizeof(struct gmrk_desc) == 128);
static_assert(sizeof(struct gmrk_cpl) == 16);
#endif

#endif /* _GMRK_HW_H */

/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * gmrk: userspace interface of the gm-rk crypto card driver.
 *
 * Each device the driver binds (a gm-rk PCI card or an emulation device)
 * gets a character device /dev/gmrkN. AF_ALG remains the data path; this
 * interface reports what the device is and how it is doing, and drives the
 * card's key slots: SM2 key pairs generated and held inside the device,
 * whose private keys no call returns. The structures below only ever grow
 * at the end, sized by their size field.
 */
#ifndef _UAPI_LINUX_GMRK_H
#define _UAPI_LINUX_GMRK_H

#include <linux/const.h>
#include <linux/types.h>
#include <linux/ioctl.h>

#define GMRK_UAPI_VERSION	1

/* Device kinds reported in gmrk_info.kind */
#define GMRK_KIND_SIM		1	/* in-kernel emulation device */
#define GMRK_KIND_PCI		2	/* gm-rk PCI card */

/* Capability bits reported in gmrk_info.caps (same values as the card) */
#define GMRK_INFO_CAP_AES_GCM		_BITUL(0)
#define GMRK_INFO_CAP_SM4_GCM		_BITUL(1)
#define GMRK_INFO_CAP_CHACHAPOLY	_BITUL(2)
#define GMRK_INFO_CAP_KEYSLOTS		_BITUL(9)

#define GMRK_MAX_QUEUES_UAPI	16

/*
 * GMRK_IOC_INFO: what the device is.
 * Userspace sets size to sizeof(struct gmrk_info) before the call; the
 * kernel fills at most that many bytes and writes back how many it filled.
 */
struct gmrk_info {
	__u32 size;
	__u32 kind;		/* GMRK_KIND_* */
	__u32 hw_version;	/* major << 16 | minor */
	__u32 caps;		/* GMRK_INFO_CAP_* */
	__u32 num_queues;
	__u32 queue_depth;
	__u32 max_data;		/* largest aad + data the device takes */
	__u32 flags;		/* GMRK_INFO_F_* */
	char name[32];		/* "gmrk0" */
	char bus_id[32];	/* "0000:00:04.0" or "sim3" */
	__u32 key_slots;	/* number of key slots; 0 without KEYSLOTS */
	__u32 key_slot_map;	/* bit s set = slot s holds a key pair */
};

#define GMRK_INFO_F_ONLINE	_BITUL(0)	/* accepting jobs */
#define GMRK_INFO_F_FATAL	_BITUL(1)	/* in error, awaiting reset */

struct gmrk_queue_stats {
	__u64 jobs;		/* completed by the device */
	__u64 bytes;		/* aad + data bytes of those jobs */
	__u64 errors;		/* completed with a device error status */
	__u64 busy;		/* submissions refused: ring full */
	__u32 inflight;		/* jobs submitted, not yet completed */
	__u32 rsvd;
};

/*
 * GMRK_IOC_STATS: counters since the device was bound.
 * fallbacks counts requests this device's algorithms handed to software
 * (too large, unsupported parameters, device unavailable or failed).
 */
struct gmrk_stats {
	__u32 size;		/* in: sizeof(struct gmrk_stats) */
	__u32 num_queues;	/* out: entries of queue[] filled */
	__u64 jobs;
	__u64 bytes;
	__u64 errors;
	__u64 fallbacks;
	__u64 timeouts;		/* jobs the driver gave up waiting for */
	__u64 resets;		/* device resets performed */
	__u64 auth_failures;	/* decrypts rejected with EBADMSG */
	struct gmrk_queue_stats queue[GMRK_MAX_QUEUES_UAPI];
};

/*
 * Key slots. A public key is 0x04 || X || Y on curve sm2p256v1. An unwrap
 * input is an SM2 ciphertext in C1 || C3 || C2 order (GB/T 32918.4), of
 * GMRK_KEY_OVERHEAD + n bytes for an n-byte message, 1 <= n <=
 * GMRK_KEY_UNWRAP_MAX.
 *
 * Errors: EINVAL slot out of range or malformed lengths, EOPNOTSUPP the
 * device has no key slots, ENOKEY slot empty, EEXIST (KEY_GEN) slot in use,
 * EBADMSG ciphertext rejected, EPERM KEY_GEN/KEY_DESTROY without
 * CAP_SYS_ADMIN, ENODEV device gone, ETIMEDOUT or EIO device failure.
 * No key operation is ever redone in software: the private key exists
 * only in the device.
 */
#define GMRK_KEY_PUB_LEN	65
#define GMRK_KEY_OVERHEAD	97	/* C1 (65) + C3 (32) */
#define GMRK_KEY_UNWRAP_MAX	64

/* GMRK_IOC_KEY_GEN (generate, then report) and GMRK_IOC_KEY_PUB */
struct gmrk_key_pub {
	__u32 size;		/* in: sizeof(struct gmrk_key_pub) */
	__u32 slot;		/* in */
	__u8 pub[GMRK_KEY_PUB_LEN];	/* out */
	__u8 rsvd[7];
};

/* GMRK_IOC_KEY_UNWRAP */
struct gmrk_key_unwrap {
	__u32 size;		/* in: sizeof(struct gmrk_key_unwrap) */
	__u32 slot;		/* in */
	__u64 in;		/* in: user pointer to C1 || C3 || C2 */
	__u32 in_len;		/* in: GMRK_KEY_OVERHEAD + n */
	__u32 out_len;		/* in: capacity of out (>= n); out: n */
	__u64 out;		/* in: user pointer receiving the message */
};

/* GMRK_IOC_KEY_DESTROY */
struct gmrk_key_slot {
	__u32 size;		/* in: sizeof(struct gmrk_key_slot) */
	__u32 slot;		/* in */
};

#define GMRK_IOC_MAGIC		0xb7
#define GMRK_IOC_INFO		_IOWR(GMRK_IOC_MAGIC, 0x00, struct gmrk_info)
#define GMRK_IOC_STATS		_IOWR(GMRK_IOC_MAGIC, 0x01, struct gmrk_stats)
#define GMRK_IOC_RESET_STATS	_IO(GMRK_IOC_MAGIC, 0x02)
#define GMRK_IOC_KEY_GEN	_IOWR(GMRK_IOC_MAGIC, 0x10, struct gmrk_key_pub)
#define GMRK_IOC_KEY_PUB	_IOWR(GMRK_IOC_MAGIC, 0x11, struct gmrk_key_pub)
#define GMRK_IOC_KEY_UNWRAP	_IOWR(GMRK_IOC_MAGIC, 0x12, struct gmrk_key_unwrap)
#define GMRK_IOC_KEY_DESTROY	_IOW(GMRK_IOC_MAGIC, 0x13, struct gmrk_key_slot)

#endif /* _UAPI_LINUX_GMRK_H */

// SPDX-License-Identifier: GPL-2.0-only
/*
 * gmrk: /dev/gmrkN, what a device is and how it is doing, and its key
 * slots (uapi/linux/gmrk.h).
 *
 * The structures are extensible: userspace states in their size field how
 * much it knows, the kernel fills at most that and says how much it filled.
 * The key-slot structures are inputs too: a caller's structure must hold at
 * least the kernel's, and anything it has beyond must be zero.
 */

#include <linux/capability.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/gmrk.h>

#include "gmrk_core.h"

/* Smallest size a caller may state: the size field and one more. */
#define GMRK_IOC_MIN_SIZE	(2 * sizeof(__u32))
/* Largest: generous room for future growth, rejects garbage. */
#define GMRK_IOC_MAX_SIZE	(64 * 1024)

static dev_t gmrk_devt;
static struct cdev gmrk_cdev;
static struct class *gmrk_class;

static int gmrk_ioc_size(void __user *uarg, u32 *size)
{
	if (get_user(*size, (u32 __user *)uarg))
		return -EFAULT;
	if (*size < GMRK_IOC_MIN_SIZE || *size > GMRK_IOC_MAX_SIZE)
		return -EINVAL;
	return 0;
}

static long gmrk_ioc_info(struct gmrk_dev *gd, void __user *uarg)
{
	struct gmrk_info info = {};
	enum gmrk_dev_state state = READ_ONCE(gd->state);
	u32 size;
	int ret;

	ret = gmrk_ioc_size(uarg, &size);
	if (ret)
		return ret;

	info.size = min_t(u32, size, sizeof(info));
	info.kind = gd->kind;
	info.hw_version = gd->hw_version;
	info.caps = gd->caps & (GMRK_INFO_CAP_AES_GCM | GMRK_INFO_CAP_SM4_GCM |
				GMRK_INFO_CAP_CHACHAPOLY |
				GMRK_INFO_CAP_KEYSLOTS);
	info.num_queues = gd->num_queues;
	info.queue_depth = gd->depth;
	info.max_data = gd->max_data;
	if (state == GMRK_DS_ONLINE)
		info.flags |= GMRK_INFO_F_ONLINE;
	if (state == GMRK_DS_RESETTING || state == GMRK_DS_FAILED)
		info.flags |= GMRK_INFO_F_FATAL;
	strscpy(info.name, gd->name, sizeof(info.name));
	strscpy(info.bus_id, gd->bus_id, sizeof(info.bus_id));
	info.key_slots = gd->key_slots;
	info.key_slot_map = gmrk_dev_key_slot_map(gd);

	if (copy_to_user(uarg, &info, info.size))
		return -EFAULT;
	return 0;
}

static long gmrk_ioc_stats(struct gmrk_dev *gd, void __user *uarg)
{
	struct gmrk_stats *st;
	size_t qoff = offsetof(struct gmrk_stats, queue);
	u32 size, nq = 0, i;
	long ret;

	ret = gmrk_ioc_size(uarg, &size);
	if (ret)
		return ret;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;

	st->size = min_t(u32, size, sizeof(*st));
	if (st->size > qoff)
		nq = min_t(u32, gd->num_queues,
			   (st->size - qoff) / sizeof(st->queue[0]));
	st->num_queues = nq;
	st->jobs = atomic64_read(&gd->jobs);
	st->bytes = atomic64_read(&gd->bytes);
	st->errors = atomic64_read(&gd->errors);
	st->fallbacks = atomic64_read(&gd->fallbacks);
	st->timeouts = atomic64_read(&gd->timeouts);
	st->resets = atomic64_read(&gd->resets);
	st->auth_failures = atomic64_read(&gd->auth_failures);
	for (i = 0; i < nq; i++) {
		struct gmrk_queue *q = &gd->queues[i];

		spin_lock_bh(&q->lock);
		st->queue[i].jobs = q->c.jobs;
		st->queue[i].bytes = q->c.bytes;
		st->queue[i].errors = q->c.errors;
		st->queue[i].busy = q->c.busy;
		st->queue[i].inflight = q->inflight;
		spin_unlock_bh(&q->lock);
	}

	ret = copy_to_user(uarg, st, st->size) ? -EFAULT : 0;
	kfree(st);
	return ret;
}

/*
 * Read a key-slot argument of @ksize bytes. The caller's size must cover
 * the kernel's structure; what it has beyond must be zero (a field this
 * kernel does not know about cannot be ignored).
 */
static int gmrk_ioc_key_arg(void __user *uarg, void *karg, size_t ksize)
{
	u32 size;
	int ret;

	ret = gmrk_ioc_size(uarg, &size);
	if (ret)
		return ret;
	if (size < ksize)
		return -EINVAL;
	ret = copy_struct_from_user(karg, ksize, uarg, size);
	return ret == -E2BIG ? -EINVAL : ret;
}

/* GMRK_IOC_KEY_GEN (@gen) and GMRK_IOC_KEY_PUB. */
static long gmrk_ioc_key_pub(struct gmrk_dev *gd, void __user *uarg, bool gen)
{
	struct gmrk_key_pub kp;
	u8 pub[GMRK_SM2_PUB_LEN];
	long ret;

	BUILD_BUG_ON(sizeof(kp.pub) != GMRK_SM2_PUB_LEN);
	ret = gmrk_ioc_key_arg(uarg, &kp, sizeof(kp));
	if (ret)
		return ret;
	if (!gd->key_slots)
		return -EOPNOTSUPP;
	if (kp.slot >= gd->key_slots)
		return -EINVAL;

	ret = gmrk_core_key_op(gd, gen ? GMRK_OP_KEY_GEN : GMRK_OP_KEY_PUB,
			       kp.slot, NULL, 0, pub, sizeof(pub));
	if (ret)
		return ret;
	kp.size = sizeof(kp);
	memcpy(kp.pub, pub, sizeof(kp.pub));
	memset(kp.rsvd, 0, sizeof(kp.rsvd));
	return copy_to_user(uarg, &kp, sizeof(kp)) ? -EFAULT : 0;
}

static long gmrk_ioc_key_unwrap(struct gmrk_dev *gd, void __user *uarg)
{
	struct gmrk_key_unwrap ku;
	u8 *in = NULL, *msg = NULL;
	u32 n;
	long ret;

	/* The uapi spells the card's sizes out: they must agree. */
	static_assert(GMRK_KEY_OVERHEAD == GMRK_SM2_OVERHEAD);
	static_assert(GMRK_KEY_UNWRAP_MAX == GMRK_UNWRAP_MAX);
	ret = gmrk_ioc_key_arg(uarg, &ku, sizeof(ku));
	if (ret)
		return ret;
	if (!gd->key_slots)
		return -EOPNOTSUPP;
	if (ku.slot >= gd->key_slots || ku.in_len <= GMRK_SM2_OVERHEAD ||
	    ku.in_len > GMRK_SM2_OVERHEAD + GMRK_UNWRAP_MAX)
		return -EINVAL;
	n = ku.in_len - GMRK_SM2_OVERHEAD;
	if (ku.out_len < n)
		return -EINVAL;

	in = kmalloc(ku.in_len, GFP_KERNEL);
	msg = kzalloc(n, GFP_KERNEL);
	if (!in || !msg) {
		ret = -ENOMEM;
		goto out;
	}
	if (copy_from_user(in, u64_to_user_ptr(ku.in), ku.in_len)) {
		ret = -EFAULT;
		goto out;
	}
	ret = gmrk_core_key_op(gd, GMRK_OP_KEY_UNWRAP, ku.slot, in, ku.in_len,
			       msg, n);
	if (ret)
		goto out;
	if (copy_to_user(u64_to_user_ptr(ku.out), msg, n)) {
		ret = -EFAULT;
		goto out;
	}
	ku.size = sizeof(ku);
	ku.out_len = n;
	ret = copy_to_user(uarg, &ku, sizeof(ku)) ? -EFAULT : 0;
out:
	/* The kernel's copy of the message (and, for tidiness, its input). */
	kfree_sensitive(msg);
	kfree_sensitive(in);
	return ret;
}

static long gmrk_ioc_key_destroy(struct gmrk_dev *gd, void __user *uarg)
{
	struct gmrk_key_slot ks;
	long ret;

	ret = gmrk_ioc_key_arg(uarg, &ks, sizeof(ks));
	if (ret)
		return ret;
	if (!gd->key_slots)
		return -EOPNOTSUPP;
	if (ks.slot >= gd->key_slots)
		return -EINVAL;
	return gmrk_core_key_op(gd, GMRK_OP_KEY_DESTROY, ks.slot, NULL, 0,
				NULL, 0);
}

static long gmrk_cdev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct gmrk_dev *gd = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case GMRK_IOC_INFO:
	case GMRK_IOC_STATS:
	case GMRK_IOC_RESET_STATS:
	case GMRK_IOC_KEY_GEN:
	case GMRK_IOC_KEY_PUB:
	case GMRK_IOC_KEY_UNWRAP:
	case GMRK_IOC_KEY_DESTROY:
		break;
	default:
		return -ENOTTY;
	}
	/* The device went away while the file was open. */
	if (READ_ONCE(gd->state) == GMRK_DS_REMOVING)
		return -ENODEV;

	switch (cmd) {
	case GMRK_IOC_INFO:
		return gmrk_ioc_info(gd, uarg);
	case GMRK_IOC_STATS:
		return gmrk_ioc_stats(gd, uarg);
	case GMRK_IOC_KEY_PUB:
		return gmrk_ioc_key_pub(gd, uarg, false);
	case GMRK_IOC_KEY_UNWRAP:
		return gmrk_ioc_key_unwrap(gd, uarg);
	/* Creating and erasing keys changes the device for everyone. */
	case GMRK_IOC_KEY_GEN:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return gmrk_ioc_key_pub(gd, uarg, true);
	case GMRK_IOC_KEY_DESTROY:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return gmrk_ioc_key_destroy(gd, uarg);
	default:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		gmrk_dev_reset_stats(gd);
		return 0;
	}
}

static int gmrk_cdev_open(struct inode *inode, struct file *file)
{
	struct gmrk_dev *gd = gmrk_dev_get_by_minor(iminor(inode));

	if (!gd)
		return -ENODEV;
	file->private_data = gd;
	return nonseekable_open(inode, file);
}

static int gmrk_cdev_release(struct inode *inode, struct file *file)
{
	gmrk_dev_put(file->private_data);
	return 0;
}

static const struct file_operations gmrk_cdev_fops = {
	.owner		= THIS_MODULE,
	.open		= gmrk_cdev_open,
	.release	= gmrk_cdev_release,
	.unlocked_ioctl	= gmrk_cdev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= no_llseek,
};

int gmrk_cdev_add(struct gmrk_dev *gd)
{
	struct device *dev;

	dev = device_create(gmrk_class, gd->dma_dev,
			    MKDEV(MAJOR(gmrk_devt), gd->minor), gd, "%s",
			    gd->name);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	gd->chr_dev = dev;
	return 0;
}

void gmrk_cdev_remove(struct gmrk_dev *gd)
{
	if (!gd->chr_dev)
		return;
	device_destroy(gmrk_class, MKDEV(MAJOR(gmrk_devt), gd->minor));
	gd->chr_dev = NULL;
}

int gmrk_cdev_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&gmrk_devt, 0, GMRK_MAX_DEVICES, GMRK_NAME);
	if (ret)
		return ret;
	cdev_init(&gmrk_cdev, &gmrk_cdev_fops);
	gmrk_cdev.owner = THIS_MODULE;
	ret = cdev_add(&gmrk_cdev, gmrk_devt, GMRK_MAX_DEVICES);
	if (ret)
		goto err_region;
	gmrk_class = class_create(THIS_MODULE, GMRK_NAME);
	if (IS_ERR(gmrk_class)) {
		ret = PTR_ERR(gmrk_class);
		goto err_cdev;
	}
	return 0;

err_cdev:
	cdev_del(&gmrk_cdev);
err_region:
	unregister_chrdev_region(gmrk_devt, GMRK_MAX_DEVICES);
	return ret;
}

void gmrk_cdev_exit(void)
{
	class_destroy(gmrk_class);
	cdev_del(&gmrk_cdev);
	unregister_chrdev_region(gmrk_devt, GMRK_MAX_DEVICES);
}

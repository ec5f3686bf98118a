// SPDX-License-Identifier: GPL-2.0-only
/*
 * gmrk emulation device: a software gm-rk card on its own bus.
 *
 * Devices are created and deleted through the bus attributes
 *	echo "ID [QUEUES [DEPTH]]" > /sys/bus/gmrk_sim/new_device
 *	echo "ID" > /sys/bus/gmrk_sim/del_device
 * (the netdevsim pattern); a new device gets the number of SM2 key slots in
 * the sim_key_slots module parameter. Each device implements the register
 * file of gmrk_hw.h in memory and executes jobs in software
 * (gmrk_sim_exec.c, key slots in gmrk_sim_keys.c); the
 * bus driver binds it to the gmrk core through gmrk_transport.h exactly as
 * the PCI driver binds a card. Fault injection knobs live in debugfs under
 * gmrk_sim/simID/. Documentation/gmrk/emulation-device.rst has the details.
 */

#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <linux/gmrk.h>

#include "gmrk_sim.h"
#include "gmrk_transport.h"

#define GMRK_SIM_NAME	"gmrk_sim"

static unsigned int gmrk_sim_key_slots = GMRK_SIM_DEF_KEY_SLOTS;
module_param_named(sim_key_slots, gmrk_sim_key_slots, uint, 0644);
MODULE_PARM_DESC(sim_key_slots,
		 "SM2 key slots of emulation devices created from now on (0..32, 0: none)");

/* Whether SM2 and SM3 passed their self-test at load: else no key slots. */
static bool gmrk_sim_keys_ok;

static DEFINE_MUTEX(gmrk_sim_lock);	/* the device table, bus enable */
static struct gmrk_sim_dev *gmrk_sim_devs[GMRK_SIM_MAX_ID + 1];
static bool gmrk_sim_enabled;
static struct dentry *gmrk_sim_droot;

static struct gmrk_sim_dev *to_gmrk_sim(struct device *dev)
{
	return container_of(dev, struct gmrk_sim_dev, dev);
}

static void gmrk_sim_kick_all(struct gmrk_sim_dev *sim)
{
	unsigned int i;

	for (i = 0; i < sim->num_queues; i++)
		gmrk_sim_kick(&sim->queues[i]);
}

/* ---- Register file ---- */

/* Power-on and post-reset state. Caller holds sim->lock or owns sim. */
static void gmrk_sim_regs_reset(struct gmrk_sim_dev *sim)
{
	unsigned int i;

	memset(sim->regs, 0, sizeof(sim->regs));
	gmrk_sim_set_reg(sim, GMRK_REG_ID, GMRK_ID_MAGIC);
	gmrk_sim_set_reg(sim, GMRK_REG_VERSION, GMRK_VERSION);
	gmrk_sim_set_reg(sim, GMRK_REG_CAPS, sim->caps);
	gmrk_sim_set_reg(sim, GMRK_REG_NUM_QUEUES, sim->num_queues);
	gmrk_sim_set_reg(sim, GMRK_REG_MAX_DEPTH, sim->max_depth);
	gmrk_sim_set_reg(sim, GMRK_REG_MAX_DATA, GMRK_SIM_MAX_DATA);
	/* The key slots are non-volatile: a reset leaves them as they are. */
	gmrk_sim_set_reg(sim, GMRK_REG_KEY_SLOTS, sim->key_slots);
	gmrk_sim_set_reg(sim, GMRK_REG_KEY_SLOT_MAP, sim->key_map);
	for (i = 0; i < sim->num_queues; i++) {
		struct gmrk_sim_queue *q = &sim->queues[i];

		q->gen++;
		q->irq_latched = false;
		q->irq_kick = false;
		q->cq_blocked = false;
	}
}

/*
 * CTRL.RESET: everything is cleared at once and every job the device holds
 * belongs to a dead generation. The bit reads 1 until each queue's work item
 * has run past the reset, so once the driver reads 0 no DMA of the old jobs
 * can happen any more and it may free their memory.
 */
static void gmrk_sim_start_reset(struct gmrk_sim_dev *sim)
{
	lockdep_assert_held(&sim->lock);
	gmrk_sim_regs_reset(sim);
	gmrk_sim_set_reg(sim, GMRK_REG_CTRL, GMRK_CTRL_RESET);
	wake_up_all(&sim->waitq);
	queue_work(sim->wq, &sim->reset_work);
}

static void gmrk_sim_reset_work(struct work_struct *work)
{
	struct gmrk_sim_dev *sim = container_of(work, struct gmrk_sim_dev,
						reset_work);
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < sim->num_queues; i++) {
		gmrk_sim_kick(&sim->queues[i]);
		flush_work(&sim->queues[i].work);
	}
	spin_lock_irqsave(&sim->lock, flags);
	gmrk_sim_set_reg(sim, GMRK_REG_CTRL, 0);
	gmrk_sim_set_reg(sim, GMRK_REG_STATUS, GMRK_STATUS_READY);
	spin_unlock_irqrestore(&sim->lock, flags);
}

/* Whether the rings programmed into @q may be used. */
static bool gmrk_sim_queue_setup_ok(struct gmrk_sim_queue *q)
{
	u32 size = gmrk_sim_qreg(q, GMRK_Q_SIZE);
	u64 sq = gmrk_sim_qreg(q, GMRK_Q_SQ_BASE_LO) |
		 (u64)gmrk_sim_qreg(q, GMRK_Q_SQ_BASE_HI) << 32;
	u64 cq = gmrk_sim_qreg(q, GMRK_Q_CQ_BASE_LO) |
		 (u64)gmrk_sim_qreg(q, GMRK_Q_CQ_BASE_HI) << 32;

	if (!is_power_of_2(size) || size < GMRK_MIN_DEPTH ||
	    size > q->sim->max_depth)
		return false;
	if (!sq || !cq || !IS_ALIGNED(sq, sizeof(struct gmrk_desc)) ||
	    !IS_ALIGNED(cq, sizeof(struct gmrk_cpl)))
		return false;
	return gmrk_sim_ring_ok(sq, (u64)size * sizeof(struct gmrk_desc)) &&
	       gmrk_sim_ring_ok(cq, (u64)size * sizeof(struct gmrk_cpl));
}

static void gmrk_sim_write_qctrl(struct gmrk_sim_queue *q, u32 val)
{
	bool was = gmrk_sim_qreg(q, GMRK_Q_CTRL) & GMRK_QCTRL_ENABLE;
	bool now = val & GMRK_QCTRL_ENABLE;

	if (now == was)
		return;
	gmrk_sim_set_qreg(q, GMRK_Q_CTRL, val & GMRK_QCTRL_ENABLE);
	if (now) {
		gmrk_sim_set_qreg(q, GMRK_Q_SQ_HEAD, 0);
		gmrk_sim_set_qreg(q, GMRK_Q_SQ_TAIL, 0);
		gmrk_sim_set_qreg(q, GMRK_Q_CQ_HEAD, 0);
		gmrk_sim_set_qreg(q, GMRK_Q_CQ_TAIL, 0);
		q->cq_blocked = false;
		if (gmrk_sim_queue_setup_ok(q)) {
			gmrk_sim_set_qreg(q, GMRK_Q_STATUS, GMRK_QSTATUS_ENABLED);
		} else {
			gmrk_sim_set_qreg(q, GMRK_Q_STATUS, GMRK_QSTATUS_ERROR);
			dev_warn_ratelimited(&q->sim->dev,
					     "queue %u: bad ring setup\n", q->qid);
		}
	} else {
		/*
		 * Disabling aborts the queue: its jobs are dropped and
		 * STATUS.ENABLED clears once the executor let go of them.
		 */
		q->gen++;
		wake_up_all(&q->sim->waitq);
	}
	gmrk_sim_kick(q);
}

/* A driver-owned ring index; a value outside the ring stops the queue. */
static void gmrk_sim_write_index(struct gmrk_sim_queue *q, u32 reg, u32 val)
{
	u32 size = gmrk_sim_qreg(q, GMRK_Q_SIZE);

	if (!(gmrk_sim_qreg(q, GMRK_Q_STATUS) & GMRK_QSTATUS_ENABLED))
		return;
	if (val >= 2 * size) {
		gmrk_sim_set_qreg(q, GMRK_Q_STATUS, GMRK_QSTATUS_ERROR);
		dev_warn_ratelimited(&q->sim->dev,
				     "queue %u: index %u out of range\n",
				     q->qid, val);
		return;
	}
	gmrk_sim_set_qreg(q, reg, val);
	if (reg == GMRK_Q_SQ_TAIL) {
		gmrk_sim_kick(q);
	} else if (q->cq_blocked) {
		q->cq_blocked = false;
		gmrk_sim_kick(q);
	}
}

static void gmrk_sim_write_qreg(struct gmrk_sim_queue *q, u32 reg, u32 val)
{
	bool enabled = gmrk_sim_qreg(q, GMRK_Q_CTRL) & GMRK_QCTRL_ENABLE;

	switch (reg) {
	case GMRK_Q_SQ_BASE_LO:
	case GMRK_Q_SQ_BASE_HI:
	case GMRK_Q_CQ_BASE_LO:
	case GMRK_Q_CQ_BASE_HI:
	case GMRK_Q_SIZE:
		/* Ring geometry is latched while the queue runs. */
		if (!enabled)
			gmrk_sim_set_qreg(q, reg, val);
		break;
	case GMRK_Q_CTRL:
		gmrk_sim_write_qctrl(q, val);
		break;
	case GMRK_Q_SQ_TAIL:
	case GMRK_Q_CQ_HEAD:
		gmrk_sim_write_index(q, reg, val);
		break;
	case GMRK_Q_MSIX_VEC:
		gmrk_sim_set_qreg(q, reg, val);
		break;
	default:
		break;	/* read-only or reserved */
	}
}

static void gmrk_sim_write_intr_mask(struct gmrk_sim_dev *sim, u32 val)
{
	u32 all = GENMASK(sim->num_queues - 1, 0);
	u32 unmasked = gmrk_sim_reg(sim, GMRK_REG_INTR_MASK) & ~val & all;
	unsigned int i;

	gmrk_sim_set_reg(sim, GMRK_REG_INTR_MASK, val & all);
	for (i = 0; i < sim->num_queues; i++) {
		struct gmrk_sim_queue *q = &sim->queues[i];

		if ((unmasked & BIT(i)) && q->irq_latched) {
			q->irq_kick = true;
			gmrk_sim_kick(q);
		}
	}
}

static u32 gmrk_sim_read32(void *priv, u32 off)
{
	struct gmrk_sim_dev *sim = priv;

	if (off >= GMRK_BAR_SIZE || (off & 3))
		return 0;
	/* Pairs with the release of CQ_TAIL: entries below it are visible. */
	return smp_load_acquire(&sim->regs[off / 4]);
}

static void gmrk_sim_write32(void *priv, u32 off, u32 val)
{
	struct gmrk_sim_dev *sim = priv;
	unsigned long flags;
	u32 ctrl;

	if (off >= GMRK_BAR_SIZE || (off & 3))
		return;

	spin_lock_irqsave(&sim->lock, flags);
	ctrl = gmrk_sim_reg(sim, GMRK_REG_CTRL);
	if (test_bit(GMRK_SIM_F_DYING, &sim->flags) || (ctrl & GMRK_CTRL_RESET))
		goto out;	/* a device in reset ignores writes */

	switch (off) {
	case GMRK_REG_CTRL:
		if (val & GMRK_CTRL_RESET) {
			gmrk_sim_start_reset(sim);
			break;
		}
		gmrk_sim_set_reg(sim, off, val & GMRK_CTRL_ENABLE);
		if ((val & GMRK_CTRL_ENABLE) && !(ctrl & GMRK_CTRL_ENABLE))
			gmrk_sim_kick_all(sim);
		break;
	case GMRK_REG_INTR_STATUS:
		gmrk_sim_set_reg(sim, off, gmrk_sim_reg(sim, off) & ~val);
		break;
	case GMRK_REG_INTR_MASK:
		gmrk_sim_write_intr_mask(sim, val);
		break;
	default:
		if (off >= GMRK_QREG_BASE) {
			u32 qid = (off - GMRK_QREG_BASE) / GMRK_QREG_STRIDE;

			if (qid < sim->num_queues)
				gmrk_sim_write_qreg(&sim->queues[qid],
						    (off - GMRK_QREG_BASE) %
						    GMRK_QREG_STRIDE, val);
		}
		break;	/* global read-only registers */
	}
out:
	spin_unlock_irqrestore(&sim->lock, flags);
}

static const struct gmrk_transport_ops gmrk_sim_ops = {
	.read32 = gmrk_sim_read32,
	.write32 = gmrk_sim_write32,
};

/* ---- debugfs ---- */

static ssize_t gmrk_sim_flag_read(struct file *file, char __user *ubuf,
				  size_t count, loff_t *ppos, int bit)
{
	struct gmrk_sim_dev *sim = file->private_data;
	char buf[2] = { test_bit(bit, &sim->flags) ? 'Y' : 'N', '\n' };

	return simple_read_from_buffer(ubuf, count, ppos, buf, sizeof(buf));
}

static ssize_t gmrk_sim_flag_write(struct file *file, const char __user *ubuf,
				   size_t count, int bit)
{
	struct gmrk_sim_dev *sim = file->private_data;
	bool val;
	int err;

	err = kstrtobool_from_user(ubuf, count, &val);
	if (err)
		return err;
	if (val) {
		set_bit(bit, &sim->flags);
	} else {
		clear_bit(bit, &sim->flags);
		/* Queues held back by the knob may go on now. */
		gmrk_sim_kick_all(sim);
	}
	return count;
}

static ssize_t gmrk_sim_stall_read(struct file *file, char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	return gmrk_sim_flag_read(file, ubuf, count, ppos, GMRK_SIM_F_STALL);
}

static ssize_t gmrk_sim_stall_write(struct file *file, const char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	return gmrk_sim_flag_write(file, ubuf, count, GMRK_SIM_F_STALL);
}

static ssize_t gmrk_sim_qfull_read(struct file *file, char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	return gmrk_sim_flag_read(file, ubuf, count, ppos, GMRK_SIM_F_QFULL);
}

static ssize_t gmrk_sim_qfull_write(struct file *file, const char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	return gmrk_sim_flag_write(file, ubuf, count, GMRK_SIM_F_QFULL);
}

static const struct file_operations gmrk_sim_stall_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = gmrk_sim_stall_read,
	.write = gmrk_sim_stall_write,
	.llseek = default_llseek,
};

static const struct file_operations gmrk_sim_qfull_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = gmrk_sim_qfull_read,
	.write = gmrk_sim_qfull_write,
	.llseek = default_llseek,
};

static int gmrk_sim_counter_get(void *data, u64 *val)
{
	*val = atomic64_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(gmrk_sim_counter_fops, gmrk_sim_counter_get, NULL,
			 "%llu\n");

static void gmrk_sim_debugfs_init(struct gmrk_sim_dev *sim)
{
	struct dentry *d = debugfs_create_dir(sim->name, gmrk_sim_droot);

	sim->ddir = d;
	debugfs_create_u32("latency_us", 0600, d, &sim->latency_us);
	debugfs_create_atomic_t("fail_next", 0600, d, &sim->fail_next);
	debugfs_create_atomic_t("corrupt_next", 0600, d, &sim->corrupt_next);
	debugfs_create_file("stall", 0600, d, sim, &gmrk_sim_stall_fops);
	debugfs_create_file("queue_full", 0600, d, sim, &gmrk_sim_qfull_fops);
	debugfs_create_file_unsafe("jobs", 0400, d, &sim->jobs,
				   &gmrk_sim_counter_fops);
	debugfs_create_file_unsafe("errors", 0400, d, &sim->errors,
				   &gmrk_sim_counter_fops);
}

/* ---- The bus driver: binds a device to the gmrk core ---- */

/*
 * The executor reaches memory by bus address as if it were physical, which
 * holds for dma-direct without offsets (no IOMMU translating this device).
 * Check it once instead of corrupting memory later.
 */
static int gmrk_sim_check_dma(struct gmrk_sim_dev *sim)
{
	void *buf = (void *)__get_free_page(GFP_KERNEL);
	dma_addr_t addr;
	bool direct;

	if (!buf)
		return -ENOMEM;
	addr = dma_map_single(&sim->dev, buf, PAGE_SIZE, DMA_TO_DEVICE);
	if (dma_mapping_error(&sim->dev, addr)) {
		free_page((unsigned long)buf);
		return -EIO;
	}
	direct = addr == virt_to_phys(buf);
	dma_unmap_single(&sim->dev, addr, PAGE_SIZE, DMA_TO_DEVICE);
	free_page((unsigned long)buf);
	if (!direct) {
		dev_err(&sim->dev, "bus addresses are not physical addresses; the emulation device needs direct DMA\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int gmrk_sim_probe(struct device *dev)
{
	struct gmrk_sim_dev *sim = to_gmrk_sim(dev);
	struct gmrk_dev *gd;
	unsigned long flags;
	unsigned int i;
	int err;

	err = gmrk_sim_check_dma(sim);
	if (err)
		goto fail;
	gd = gmrk_dev_add(dev, &gmrk_sim_ops, sim, GMRK_KIND_SIM, sim->name);
	if (IS_ERR(gd)) {
		err = PTR_ERR(gd);
		goto fail;
	}

	/*
	 * Completions written while gmrk_dev_add() ran could not be
	 * signalled yet (no gd): raise them now, from each queue's executor.
	 */
	spin_lock_irqsave(&sim->lock, flags);
	sim->gd = gd;
	for (i = 0; i < sim->num_queues; i++)
		sim->queues[i].irq_kick = true;
	spin_unlock_irqrestore(&sim->lock, flags);
	gmrk_sim_kick_all(sim);
	return 0;

fail:
	sim->probe_err = err;
	return err;
}

static void gmrk_sim_remove(struct device *dev)
{
	struct gmrk_sim_dev *sim = to_gmrk_sim(dev);
	unsigned long flags;

	/* The executor keeps serving while the core drains. */
	gmrk_dev_remove(sim->gd, false);
	spin_lock_irqsave(&sim->lock, flags);
	sim->gd = NULL;
	spin_unlock_irqrestore(&sim->lock, flags);
}

static struct bus_type gmrk_sim_bus;

static struct device_driver gmrk_sim_driver = {
	.name = GMRK_SIM_NAME,
	.bus = &gmrk_sim_bus,
	.owner = THIS_MODULE,
	.suppress_bind_attrs = true,
};

/* ---- Devices ---- */

static void gmrk_sim_release(struct device *dev)
{
	struct gmrk_sim_dev *sim = to_gmrk_sim(dev);

	gmrk_sim_keys_free(sim);
	kfree(sim->queues);
	kfree(sim);
}

static const struct device_type gmrk_sim_dev_type = {
	.name = "gmrk_sim",
	.release = gmrk_sim_release,
};

/* Stop the device model: nothing runs or touches memory afterwards. */
static void gmrk_sim_shutdown(struct gmrk_sim_dev *sim)
{
	unsigned long flags;
	unsigned int i;

	debugfs_remove_recursive(sim->ddir);
	sim->ddir = NULL;
	if (sim->wq) {
		spin_lock_irqsave(&sim->lock, flags);
		set_bit(GMRK_SIM_F_DYING, &sim->flags);
		for (i = 0; i < sim->num_queues; i++)
			sim->queues[i].gen++;
		spin_unlock_irqrestore(&sim->lock, flags);
		wake_up_all(&sim->waitq);
		/* Drains the reset work and every queue's work item. */
		destroy_workqueue(sim->wq);
		sim->wq = NULL;
	}
	for (i = 0; i < sim->num_queues; i++)
		gmrk_sim_exec_free(&sim->queues[i]);
	/* No job runs any more: the keys die with the device. */
	gmrk_sim_keys_free(sim);
}

static struct gmrk_sim_dev *gmrk_sim_dev_new(unsigned int id,
					     unsigned int num_queues,
					     unsigned int depth,
					     unsigned int key_slots)
{
	struct gmrk_sim_dev *sim;
	unsigned int i;
	int err;

	sim = kzalloc(sizeof(*sim), GFP_KERNEL);
	if (!sim)
		return ERR_PTR(-ENOMEM);
	sim->queues = kcalloc(num_queues, sizeof(*sim->queues), GFP_KERNEL);
	if (!sim->queues) {
		kfree(sim);
		return ERR_PTR(-ENOMEM);
	}
	sim->id = id;
	sim->num_queues = num_queues;
	sim->max_depth = depth;
	snprintf(sim->name, sizeof(sim->name), "sim%u", id);
	spin_lock_init(&sim->lock);
	init_waitqueue_head(&sim->waitq);
	INIT_WORK(&sim->reset_work, gmrk_sim_reset_work);
	for (i = 0; i < num_queues; i++) {
		sim->queues[i].sim = sim;
		sim->queues[i].qid = i;
		INIT_WORK(&sim->queues[i].work, gmrk_sim_queue_work);
	}

	device_initialize(&sim->dev);
	sim->dev.bus = &gmrk_sim_bus;
	sim->dev.type = &gmrk_sim_dev_type;
	sim->dev.id = id;
	sim->dev.dma_parms = &sim->dma_parms;
	err = dev_set_name(&sim->dev, GMRK_SIM_NAME "%u", id);
	if (err)
		goto err_put;
	err = dma_coerce_mask_and_coherent(&sim->dev, DMA_BIT_MASK(64));
	if (!err)
		err = dma_set_max_seg_size(&sim->dev, UINT_MAX);
	if (err)
		goto err_put;

	err = -ENOMEM;
	sim->wq = alloc_workqueue("gmrk_sim%u", WQ_UNBOUND, 0, id);
	if (!sim->wq)
		goto err_put;
	for (i = 0; i < num_queues; i++) {
		err = gmrk_sim_exec_init(&sim->queues[i]);
		if (err)
			goto err_shutdown;
	}
	err = gmrk_sim_keys_init(sim, key_slots);
	if (err)
		goto err_shutdown;
	sim->caps = gmrk_sim_exec_caps(sim);
	gmrk_sim_regs_reset(sim);
	gmrk_sim_set_reg(sim, GMRK_REG_STATUS, GMRK_STATUS_READY);
	gmrk_sim_debugfs_init(sim);

	/* Binds the driver: probe brings the device up in the core. */
	err = device_add(&sim->dev);
	if (err)
		goto err_shutdown;
	if (!sim->gd) {
		/* The driver core does not pass a probe error on. */
		err = sim->probe_err ? sim->probe_err : -ENODEV;
		dev_err(&sim->dev, "not bound to the gmrk core (%d)\n", err);
		device_del(&sim->dev);
		goto err_shutdown;
	}
	return sim;

err_shutdown:
	gmrk_sim_shutdown(sim);
err_put:
	put_device(&sim->dev);
	return ERR_PTR(err);
}

static void gmrk_sim_dev_del(struct gmrk_sim_dev *sim)
{
	/* Unbinds the driver: the core drains and lets go of the device. */
	device_del(&sim->dev);
	gmrk_sim_shutdown(sim);
	put_device(&sim->dev);
}

/* ---- Bus attributes ---- */

/* Split @buf into at most @max unsigned decimal numbers; returns how many. */
static int gmrk_sim_parse(const char *buf, size_t count, unsigned int *vals,
			  int max)
{
	char *s, *p, *tok;
	int n = 0, err = 0;

	s = kmemdup_nul(buf, count, GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	p = s;
	while ((tok = strsep(&p, " \t\n"))) {
		if (!*tok)
			continue;
		if (n == max || kstrtouint(tok, 10, &vals[n])) {
			err = -EINVAL;
			break;
		}
		n++;
	}
	kfree(s);
	return err ? err : n;
}

static ssize_t new_device_store(struct bus_type *bus, const char *buf,
				size_t count)
{
	unsigned int v[3] = { 0, GMRK_SIM_DEF_QUEUES, GMRK_SIM_DEF_DEPTH };
	unsigned int slots = READ_ONCE(gmrk_sim_key_slots);
	struct gmrk_sim_dev *sim;
	int n, err;

	n = gmrk_sim_parse(buf, count, v, ARRAY_SIZE(v));
	if (n < 0)
		return n;
	if (n < 1 || v[0] > GMRK_SIM_MAX_ID || !v[1] ||
	    v[1] > GMRK_MAX_QUEUES || !is_power_of_2(v[2]) ||
	    v[2] < GMRK_MIN_DEPTH || v[2] > GMRK_MAX_DEPTH) {
		pr_info_ratelimited(GMRK_SIM_NAME ": usage: echo \"ID [QUEUES [DEPTH]]\" > new_device; ID 0..%u, QUEUES 1..%u, DEPTH power of 2 in %u..%u\n",
				    GMRK_SIM_MAX_ID, GMRK_MAX_QUEUES,
				    GMRK_MIN_DEPTH, GMRK_MAX_DEPTH);
		return -EINVAL;
	}
	if (slots > GMRK_MAX_KEY_SLOTS) {
		pr_info_ratelimited(GMRK_SIM_NAME ": sim_key_slots %u: at most %u\n",
				    slots, GMRK_MAX_KEY_SLOTS);
		return -EINVAL;
	}
	if (!gmrk_sim_keys_ok)
		slots = 0;

	mutex_lock(&gmrk_sim_lock);
	if (!gmrk_sim_enabled) {
		err = -ENODEV;
	} else if (gmrk_sim_devs[v[0]]) {
		err = -EEXIST;
	} else {
		sim = gmrk_sim_dev_new(v[0], v[1], v[2], slots);
		err = PTR_ERR_OR_ZERO(sim);
		if (!err)
			gmrk_sim_devs[v[0]] = sim;
	}
	mutex_unlock(&gmrk_sim_lock);
	return err ? err : count;
}
static BUS_ATTR_WO(new_device);

static ssize_t del_device_store(struct bus_type *bus, const char *buf,
				size_t count)
{
	struct gmrk_sim_dev *sim = NULL;
	unsigned int id;
	int n;

	n = gmrk_sim_parse(buf, count, &id, 1);
	if (n < 0)
		return n;
	if (n != 1 || id > GMRK_SIM_MAX_ID)
		return -EINVAL;

	mutex_lock(&gmrk_sim_lock);
	if (gmrk_sim_enabled) {
		sim = gmrk_sim_devs[id];
		gmrk_sim_devs[id] = NULL;
	}
	if (sim)
		gmrk_sim_dev_del(sim);
	mutex_unlock(&gmrk_sim_lock);
	return sim ? count : -ENOENT;
}
static BUS_ATTR_WO(del_device);

static struct attribute *gmrk_sim_bus_attrs[] = {
	&bus_attr_new_device.attr,
	&bus_attr_del_device.attr,
	NULL
};
ATTRIBUTE_GROUPS(gmrk_sim_bus);

static struct bus_type gmrk_sim_bus = {
	.name = GMRK_SIM_NAME,
	.dev_name = GMRK_SIM_NAME,
	.bus_groups = gmrk_sim_bus_groups,
	.probe = gmrk_sim_probe,
	.remove = gmrk_sim_remove,
};

int gmrk_sim_init(void)
{
	int err;

	err = gmrk_sim_keys_selftest();
	gmrk_sim_keys_ok = !err;
	if (err)
		pr_warn(GMRK_SIM_NAME ": SM2/SM3 self-test failed (%d): emulation devices have no key slots\n",
			err);

	err = bus_register(&gmrk_sim_bus);
	if (err)
		return err;
	err = driver_register(&gmrk_sim_driver);
	if (err) {
		bus_unregister(&gmrk_sim_bus);
		return err;
	}
	gmrk_sim_droot = debugfs_create_dir(GMRK_SIM_NAME, NULL);
	mutex_lock(&gmrk_sim_lock);
	gmrk_sim_enabled = true;
	mutex_unlock(&gmrk_sim_lock);
	return 0;
}

void gmrk_sim_exit(void)
{
	unsigned int id;

	mutex_lock(&gmrk_sim_lock);
	gmrk_sim_enabled = false;
	for (id = 0; id <= GMRK_SIM_MAX_ID; id++) {
		if (!gmrk_sim_devs[id])
			continue;
		gmrk_sim_dev_del(gmrk_sim_devs[id]);
		gmrk_sim_devs[id] = NULL;
	}
	mutex_unlock(&gmrk_sim_lock);
	debugfs_remove_recursive(gmrk_sim_droot);
	driver_unregister(&gmrk_sim_driver);
	bus_unregister(&gmrk_sim_bus);
}

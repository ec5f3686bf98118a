// SPDX-License-Identifier: GPL-2.0-only
/*
 * gmrk: core debugfs, /sys/kernel/debug/gmrk/gmrkN/{stats,info}.
 *
 * Plain "key value" lines so that shell tests can read them with awk.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/gmrk.h>

#include "gmrk_core.h"

static struct dentry *gmrk_dbg_root;

static int gmrk_stats_show(struct seq_file *m, void *unused)
{
	struct gmrk_dev *gd = m->private;
	unsigned int i;

	seq_printf(m, "jobs %lld\n", atomic64_read(&gd->jobs));
	seq_printf(m, "bytes %lld\n", atomic64_read(&gd->bytes));
	seq_printf(m, "errors %lld\n", atomic64_read(&gd->errors));
	seq_printf(m, "fallbacks %lld\n", atomic64_read(&gd->fallbacks));
	seq_printf(m, "timeouts %lld\n", atomic64_read(&gd->timeouts));
	seq_printf(m, "resets %lld\n", atomic64_read(&gd->resets));
	seq_printf(m, "auth_failures %lld\n",
		   atomic64_read(&gd->auth_failures));
	for (i = 0; i < gd->num_queues; i++) {
		struct gmrk_queue *q = &gd->queues[i];
		struct gmrk_queue_counters c;
		u32 inflight;

		spin_lock_bh(&q->lock);
		c = q->c;
		inflight = q->inflight;
		spin_unlock_bh(&q->lock);
		seq_printf(m, "q%u jobs=%llu bytes=%llu errors=%llu busy=%llu inflight=%u\n",
			   i, c.jobs, c.bytes, c.errors, c.busy, inflight);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gmrk_stats);

static const char *gmrk_kind_name(u32 kind)
{
	switch (kind) {
	case GMRK_KIND_SIM:
		return "sim";
	case GMRK_KIND_PCI:
		return "pci";
	}
	return "unknown";
}

static int gmrk_info_show(struct seq_file *m, void *unused)
{
	struct gmrk_dev *gd = m->private;

	seq_printf(m, "kind %s\n", gmrk_kind_name(gd->kind));
	seq_printf(m, "bus_id %s\n", gd->bus_id);
	seq_printf(m, "hw_version %u.%u\n", gd->hw_version >> 16,
		   gd->hw_version & 0xffff);
	seq_printf(m, "caps %#x\n", gd->caps);
	seq_printf(m, "queues %u\n", gd->num_queues);
	seq_printf(m, "depth %u\n", gd->depth);
	seq_printf(m, "max_data %u\n", gd->max_data);
	seq_printf(m, "key_slots %u\n", gd->key_slots);
	seq_printf(m, "key_slot_map %#x\n", gmrk_dev_key_slot_map(gd));
	seq_printf(m, "state %s\n", gmrk_state_name(READ_ONCE(gd->state)));
	spin_lock_bh(&gd->lock);
	seq_printf(m, "backlog %u\n", gd->backlog_len);
	spin_unlock_bh(&gd->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(gmrk_info);

void gmrk_debugfs_add(struct gmrk_dev *gd)
{
	gd->dbg_dir = debugfs_create_dir(gd->name, gmrk_dbg_root);
	debugfs_create_file("stats", 0400, gd->dbg_dir, gd, &gmrk_stats_fops);
	debugfs_create_file("info", 0400, gd->dbg_dir, gd, &gmrk_info_fops);
}

/* Waits for readers of the files, which use @gd. */
void gmrk_debugfs_remove(struct gmrk_dev *gd)
{
	debugfs_remove_recursive(gd->dbg_dir);
	gd->dbg_dir = NULL;
}

void gmrk_debugfs_init(void)
{
	gmrk_dbg_root = debugfs_create_dir(GMRK_NAME, NULL);
}

void gmrk_debugfs_exit(void)
{
	debugfs_remove_recursive(gmrk_dbg_root);
	gmrk_dbg_root = NULL;
}

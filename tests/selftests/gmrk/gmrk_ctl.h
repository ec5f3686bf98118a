/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The driver's control surfaces, as the selftests reach them: the
 * emulation-device bus in sysfs, debugfs knobs and counters, module
 * parameters, and the /dev/gmrkN ioctls (uapi/linux/gmrk.h).
 * Every function returns 0 (or a count) on success and -errno on failure,
 * with errno exactly as the kernel reported it, since several tests are
 * about those errors.
 */
#ifndef GMRK_SELFTEST_GMRK_CTL_H
#define GMRK_SELFTEST_GMRK_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/gmrk.h>

#define SIM_BUS		"/sys/bus/gmrk_sim"
#define SIM_DEBUGFS	"/sys/kernel/debug/gmrk_sim"
#define CORE_DEBUGFS	"/sys/kernel/debug/gmrk"
#define MODPARAMS	"/sys/module/gmrk/parameters"
#define GMRK_CLASS	"/sys/class/gmrk"

#define SIM_MAX_DEVICES	256

/* Plain file access; read strips one trailing newline. */
int file_write_str(const char *path, const char *s);
int file_read_str(const char *path, char *buf, size_t len);
int file_read_u64(const char *path, uint64_t *v);
bool path_exists(const char *path);

/* Emulation devices. */
bool sim_bus_present(void);
int sim_new_device_str(const char *line);	/* raw line, e.g. "3 4 256" */
int sim_new_device(unsigned int id, unsigned int queues, unsigned int depth);
int sim_del_device(unsigned int id);
bool sim_device_exists(unsigned int id);
/* IDs of existing emulation devices, ascending; returns how many. */
int sim_list(unsigned int *ids, int max);
/* Name ("gmrkN") of the char device of emulation device id. */
int sim_node_name(unsigned int id, char *name, size_t len);

/*
 * The harness's starting point: in sim mode exactly device 0 with 4
 * queues; in pci mode no emulation devices. Tests that change the set of
 * devices call this in setup (to heal a previous test killed before its
 * teardown) and in teardown.
 */
int sim_restore_baseline(void);

/* debugfs: mounted on demand. */
int debugfs_ensure(void);
int sim_knob_write(unsigned int id, const char *knob, uint64_t v);
int sim_knob_read(unsigned int id, const char *knob, uint64_t *v);
int sim_knob_write_str(unsigned int id, const char *knob, const char *s);

/* Module parameters. */
int modparam_read(const char *name, uint64_t *v);
int modparam_write(const char *name, uint64_t v);

/* /dev/gmrkN, created from sysfs if devtmpfs did not. Returns an fd. */
int gmrk_node_open(const char *name);
/* "gmrkN" names present in /sys/class/gmrk, ascending; returns how many. */
int gmrk_list_nodes(char names[][16], int max);
int gmrk_get_info(int fd, struct gmrk_info *info);
int gmrk_get_stats(int fd, struct gmrk_stats *st);
int gmrk_reset_stats(int fd);
/* Stats of a device by name (open, ioctl, close). */
int gmrk_stats_by_name(const char *name, struct gmrk_stats *st);
/* "gmrkN" of the first PCI card (GMRK_KIND_PCI) into @name; -ENODEV if none. */
int gmrk_pci_node(char *name, size_t len);

/* Total of a per-queue counter. */
uint64_t stats_queue_busy(const struct gmrk_stats *st);

#endif /* GMRK_SELFTEST_GMRK_CTL_H */

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* In-VM tests of libgmrk's AF_ALG paths: helpers for sysfs and debugfs. */
#ifndef GMRK_VMLIB_H
#define GMRK_VMLIB_H

#include <stdbool.h>
#include <stdint.h>

#define SIM_DBG		"/sys/kernel/debug/gmrk_sim/sim0"
#define CORE_DBG	"/sys/kernel/debug/gmrk/gmrk0/stats"
#define SIM_NEW		"/sys/bus/gmrk_sim/new_device"
#define SIM_DEL		"/sys/bus/gmrk_sim/del_device"
#define MOD_PARAM	"/sys/module/gmrk/parameters"

/* true inside the VM with an emulation device (GMRK_TEST_MODE=sim) */
bool vm_sim(void);
/* true inside the VM with the gm-rk card QEMU emulates (GMRK_TEST_MODE=pci) */
bool vm_pci(void);
/*
 * In a cmocka test: skip it, saying why (@why: what it needs), unless the
 * VM has the emulation device (sim mode).
 */
#define VM_NEED_SIM(why)							\
	do {									\
		if (!vm_sim()) {						\
			printf("# sim mode only: needs %s\n", why);		\
			skip();							\
		}								\
	} while (0)
/* write @s to @path; 0 or -errno */
int vm_write(const char *path, const char *s);
/* the number in a "key value" line of @path (or the whole file when key is NULL) */
long long vm_read_num(const char *path, const char *key);

#endif

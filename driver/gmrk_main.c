// SPDX-License-Identifier: GPL-2.0-only
/*
 * gmrk: module init/exit and parameters.
 *
 * One module, gmrk.ko: the SM4 cipher, the driver core with its character
 * devices and debugfs, and the two transports (emulation device, PCI card).
 */

#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "gmrk_core.h"
#include "gmrk_sm4.h"

unsigned int gmrk_job_timeout_ms = 5000;
module_param_named(job_timeout_ms, gmrk_job_timeout_ms, uint, 0644);
MODULE_PARM_DESC(job_timeout_ms,
		 "Fail a job over to software and reset the device after this many ms (0: never)");

unsigned int gmrk_sw_threshold;
module_param_named(sw_threshold, gmrk_sw_threshold, uint, 0644);
MODULE_PARM_DESC(sw_threshold,
		 "Requests with assoclen + data below this many bytes run in software");

unsigned int gmrk_max_backlog = 512;
module_param_named(max_backlog, gmrk_max_backlog, uint, 0644);
MODULE_PARM_DESC(max_backlog,
		 "Requests a device holds back when its rings are full; beyond, software");

unsigned int gmrk_key_timeout_ms = GMRK_KEY_OP_TIMEOUT_MS;
module_param_named(key_timeout_ms, gmrk_key_timeout_ms, uint, 0644);
MODULE_PARM_DESC(key_timeout_ms,
		 "Fail a key-slot command with ETIMEDOUT and reset the device after this many ms (0: never)");

static int __init gmrk_init(void)
{
	int ret;

	ret = gmrk_sm4_register();
	if (ret)
		return ret;
	ret = gmrk_core_init();
	if (ret)
		goto err_sm4;
	ret = gmrk_cdev_init();
	if (ret)
		goto err_core;
	gmrk_debugfs_init();
	ret = gmrk_sim_init();
	if (ret)
		goto err_debugfs;
	ret = gmrk_pci_init();
	if (ret)
		goto err_sim;
	return 0;

err_sim:
	gmrk_sim_exit();
err_debugfs:
	gmrk_debugfs_exit();
	gmrk_cdev_exit();
err_core:
	gmrk_core_exit();
err_sm4:
	gmrk_sm4_unregister();
	return ret;
}

static void __exit gmrk_exit(void)
{
	gmrk_pci_exit();
	gmrk_sim_exit();
	gmrk_debugfs_exit();
	gmrk_cdev_exit();
	gmrk_core_exit();
	gmrk_sm4_unregister();
}

module_init(gmrk_init);
module_exit(gmrk_exit);

MODULE_DESCRIPTION("gm-rk crypto card: AES-GCM, SM4-GCM, ChaCha20-Poly1305 offload");
MODULE_AUTHOR("The gmrk authors");
MODULE_LICENSE("GPL");
MODULE_ALIAS_CRYPTO("sm4");
MODULE_ALIAS_CRYPTO("sm4-gmrk");

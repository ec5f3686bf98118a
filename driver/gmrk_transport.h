/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gmrk: the seam between the driver core and a transport.
 *
 * A transport is whatever carries register accesses and interrupts between
 * the core and a device implementing gmrk_hw.h: the PCI card (gmrk_pci.c,
 * MMIO on BAR0 and MSI-X) or the emulation device (gmrk_sim.c, a register
 * file in kernel memory and a workqueue). The core never knows which.
 *
 * DMA: the core allocates rings with dma_alloc_coherent() and maps request
 * buffers with dma_map_sg() on the struct device passed at registration, so
 * the transport must have set that device's DMA masks.
 */
#ifndef _GMRK_TRANSPORT_H
#define _GMRK_TRANSPORT_H

#include <linux/types.h>

struct device;
struct gmrk_dev;

struct gmrk_transport_ops {
	/* 32-bit register access at a GMRK_REG_* / GMRK_QREG() offset. */
	u32 (*read32)(void *priv, u32 off);
	void (*write32)(void *priv, u32 off, u32 val);
	/*
	 * Optional: the transport's own recovery step run by the core after it
	 * has reset the device (e.g. PCI restores config space). May sleep.
	 */
	int (*reset_done)(void *priv);
};

/* Values for @kind, same as GMRK_KIND_* in uapi/linux/gmrk.h */

/**
 * gmrk_dev_add() - bring up a device and make its algorithms available
 * @dma_dev: device used for DMA mappings and as parent of /dev/gmrkN
 * @ops: register access
 * @priv: transport cookie passed back to @ops
 * @kind: GMRK_KIND_SIM or GMRK_KIND_PCI
 * @bus_id: short name shown to users, e.g. "0000:00:04.0" or "sim1"
 *
 * Resets the device, sets up every queue, and registers the crypto
 * algorithms if this is the first device. May sleep.
 *
 * The algorithms' self-tests run inside this call, before the transport
 * has the returned pointer to pass to gmrk_dev_queue_irq(); the core polls
 * its completion rings until it returns. A transport must therefore raise
 * every queue's interrupt path once after gmrk_dev_add() returns, so that
 * completions signalled in between are not left waiting.
 * Return: the device or an ERR_PTR().
 */
struct gmrk_dev *gmrk_dev_add(struct device *dma_dev,
			      const struct gmrk_transport_ops *ops, void *priv,
			      u32 kind, const char *bus_id);

/**
 * gmrk_dev_remove() - take a device away
 * @gd: device from gmrk_dev_add()
 * @surprise: true when the hardware is already gone (no register access
 *	      will succeed); false for an orderly removal
 *
 * Stops new submissions, completes every job in flight (with its result if
 * the device delivers it within the drain timeout, otherwise by redoing the
 * request in software or failing it with -ENODEV), and unregisters the
 * algorithms if this was the last device. May sleep.
 *
 * Before returning it resets the device, and a reset stops all device
 * activity: after gmrk_dev_remove() the transport's interrupt path must not
 * call gmrk_dev_queue_irq() again (disable or free its interrupts first, or
 * check its own "removed" state), because @gd is freed.
 */
void gmrk_dev_remove(struct gmrk_dev *gd, bool surprise);

/**
 * gmrk_dev_queue_irq() - the device signalled completions on a queue
 * @gd: device
 * @qid: queue index
 *
 * Called from the transport's interrupt handler (hard IRQ context is
 * fine) or, for the emulation device, from its execution context.
 */
void gmrk_dev_queue_irq(struct gmrk_dev *gd, unsigned int qid);

/*
 * Transport drivers, each in its own file, registered by the module's
 * init in this order and unregistered in reverse.
 */
int gmrk_sim_init(void);	/* gmrk_sim.c: the gmrk_sim bus and its devices */
void gmrk_sim_exit(void);
int gmrk_pci_init(void);	/* gmrk_pci.c: the PCI driver */
void gmrk_pci_exit(void);

#endif /* _GMRK_TRANSPORT_H */

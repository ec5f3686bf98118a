// SPDX-License-Identifier: GPL-2.0-only
/*
 * gmrk PCI transport: the gm-rk card (vendor 0x1b36, device 0x10f0).
 *
 * BAR0 holds the registers of gmrk_hw.h; the driver core drives them
 * through read32/write32 and allocates its rings and maps its buffers on
 * the PCI device. Interrupts: one MSI-X vector per queue when the card
 * offers enough (queue q signals vector q, which the core programs into
 * GMRK_Q_MSIX_VEC), otherwise a single MSI or INTx line whose handler
 * demultiplexes GMRK_REG_INTR_STATUS.
 *
 * Removal: an orderly .remove lets the core drain the card; when the card
 * has already gone (a read of GMRK_REG_ID returns all ones, the value a
 * missing PCI function reads as, or anything else but the magic) the core
 * is told so and never touches the registers again.
 */

#include <linux/bitops.h>
#include <linux/dma-mapping.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include <linux/gmrk.h>

#include "gmrk_hw.h"
#include "gmrk_transport.h"

#define GMRK_PCI_NAME	"gmrk"

static bool gmrk_pci_msix = true;
module_param_named(pci_msix, gmrk_pci_msix, bool, 0444);
MODULE_PARM_DESC(pci_msix,
		 "Use one MSI-X vector per queue (default); 0: a single MSI or INTx line");

/* gmrk_pci.flags */
enum {
	GMRK_PCI_F_GONE,	/* the card is gone: no register access */
};

struct gmrk_pci;

struct gmrk_pci_vec {
	struct gmrk_pci *gp;
	unsigned int nr;	/* vector index = queue index with MSI-X */
};

struct gmrk_pci {
	struct pci_dev *pdev;
	void __iomem *regs;
	struct gmrk_dev *gd;	/* set once gmrk_dev_add() returned */
	unsigned long flags;	/* GMRK_PCI_F_GONE: surprise removal */
	bool per_queue;		/* one MSI-X vector per queue */
	unsigned int num_queues;
	unsigned int nvec;
	struct gmrk_pci_vec *vecs;
};

static u32 gmrk_pci_read32(void *priv, u32 off)
{
	struct gmrk_pci *gp = priv;

	if (test_bit(GMRK_PCI_F_GONE, &gp->flags) || off > GMRK_BAR_SIZE - 4)
		return U32_MAX;
	return ioread32(gp->regs + off);
}

static void gmrk_pci_write32(void *priv, u32 off, u32 val)
{
	struct gmrk_pci *gp = priv;

	if (test_bit(GMRK_PCI_F_GONE, &gp->flags) || off > GMRK_BAR_SIZE - 4)
		return;
	iowrite32(val, gp->regs + off);
}

/* After the core reset the card: make sure it is still there and mastering. */
static int gmrk_pci_reset_done(void *priv)
{
	struct gmrk_pci *gp = priv;

	if (gmrk_pci_read32(gp, GMRK_REG_ID) != GMRK_ID_MAGIC)
		return -ENODEV;
	pci_set_master(gp->pdev);
	return 0;
}

static const struct gmrk_transport_ops gmrk_pci_ops = {
	.read32 = gmrk_pci_read32,
	.write32 = gmrk_pci_write32,
	.reset_done = gmrk_pci_reset_done,
};

/* MSI-X, one vector per queue: the vector says which queue. */
static irqreturn_t gmrk_pci_irq_queue(int irq, void *data)
{
	struct gmrk_pci_vec *v = data;
	struct gmrk_dev *gd = READ_ONCE(v->gp->gd);

	if (gd)
		gmrk_dev_queue_irq(gd, v->nr);
	return IRQ_HANDLED;
}

/*
 * One line for every queue (MSI or INTx, maybe shared with other devices):
 * INTR_STATUS says which queues have completions. Acknowledging here
 * deasserts a level-triggered INTx before the core reaps in process
 * context; a completion written after the acknowledgment sets the bit
 * again and raises a new interrupt, so none is lost.
 */
static irqreturn_t gmrk_pci_irq_shared(int irq, void *data)
{
	struct gmrk_pci_vec *v = data;
	struct gmrk_pci *gp = v->gp;
	unsigned long pending;
	struct gmrk_dev *gd;
	unsigned int q;
	u32 status;

	if (test_bit(GMRK_PCI_F_GONE, &gp->flags))
		return IRQ_NONE;
	status = ioread32(gp->regs + GMRK_REG_INTR_STATUS);
	if (!status || status == U32_MAX)
		return IRQ_NONE;	/* not ours, or the card is gone */
	iowrite32(status, gp->regs + GMRK_REG_INTR_STATUS);

	gd = READ_ONCE(gp->gd);
	pending = status;
	if (gd)
		for_each_set_bit(q, &pending, gp->num_queues)
			gmrk_dev_queue_irq(gd, q);
	return IRQ_HANDLED;
}

static void gmrk_pci_free_irqs(struct gmrk_pci *gp, unsigned int n)
{
	while (n--)
		pci_free_irq(gp->pdev, n, &gp->vecs[n]);
	pci_free_irq_vectors(gp->pdev);
}

static int gmrk_pci_setup_irqs(struct gmrk_pci *gp)
{
	struct pci_dev *pdev = gp->pdev;
	irq_handler_t handler;
	unsigned int i;
	int ret;

	ret = -ENOSPC;
	if (gmrk_pci_msix)
		ret = pci_alloc_irq_vectors(pdev, gp->num_queues,
					    gp->num_queues, PCI_IRQ_MSIX);
	gp->per_queue = ret > 0;
	if (ret < 0)
		/*
		 * Not MSI-X with a single vector: the core points queue q at
		 * MSI-X vector q, which would not exist.
		 */
		ret = pci_alloc_irq_vectors(pdev, 1, 1,
					    PCI_IRQ_MSI | PCI_IRQ_LEGACY);
	if (ret < 0)
		return ret;
	gp->nvec = ret;
	handler = gp->per_queue ? gmrk_pci_irq_queue : gmrk_pci_irq_shared;

	gp->vecs = devm_kcalloc(&pdev->dev, gp->nvec, sizeof(*gp->vecs),
				GFP_KERNEL);
	if (!gp->vecs) {
		pci_free_irq_vectors(pdev);
		return -ENOMEM;
	}
	for (i = 0; i < gp->nvec; i++) {
		gp->vecs[i].gp = gp;
		gp->vecs[i].nr = i;
		ret = pci_request_irq(pdev, i, handler, NULL, &gp->vecs[i],
				      "gmrk-%s-%u", pci_name(pdev), i);
		if (ret) {
			gmrk_pci_free_irqs(gp, i);
			return ret;
		}
	}
	pci_info(pdev, "%u queue(s), %u %s interrupt vector(s)\n",
		 gp->num_queues, gp->nvec,
		 pdev->msix_enabled ? "MSI-X" : pdev->msi_enabled ? "MSI" : "INTx");
	return 0;
}

static int gmrk_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct gmrk_dev *gd;
	struct gmrk_pci *gp;
	unsigned int q;
	u32 nq;
	int ret;

	gp = devm_kzalloc(&pdev->dev, sizeof(*gp), GFP_KERNEL);
	if (!gp)
		return -ENOMEM;
	gp->pdev = pdev;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	if (pci_resource_len(pdev, GMRK_BAR_REGS) < GMRK_BAR_SIZE) {
		pci_err(pdev, "BAR%d too small\n", GMRK_BAR_REGS);
		return -ENODEV;
	}
	ret = pcim_iomap_regions(pdev, BIT(GMRK_BAR_REGS), GMRK_PCI_NAME);
	if (ret)
		return ret;
	gp->regs = pcim_iomap_table(pdev)[GMRK_BAR_REGS];

	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(32));
	if (ret) {
		pci_err(pdev, "no usable DMA mask\n");
		return ret;
	}
	/* SG entries carry 32-bit lengths. */
	dma_set_max_seg_size(&pdev->dev, UINT_MAX);
	pci_set_master(pdev);

	if (ioread32(gp->regs + GMRK_REG_ID) != GMRK_ID_MAGIC) {
		pci_err(pdev, "not a gm-rk card (id %#x)\n",
			ioread32(gp->regs + GMRK_REG_ID));
		return -ENODEV;
	}
	nq = ioread32(gp->regs + GMRK_REG_NUM_QUEUES);
	if (!nq || nq > GMRK_MAX_QUEUES) {
		pci_err(pdev, "bad queue count %u\n", nq);
		return -ENODEV;
	}
	gp->num_queues = nq;

	ret = gmrk_pci_setup_irqs(gp);
	if (ret)
		return ret;
	pci_set_drvdata(pdev, gp);

	gd = gmrk_dev_add(&pdev->dev, &gmrk_pci_ops, gp, GMRK_KIND_PCI,
			  pci_name(pdev));
	if (IS_ERR(gd)) {
		gmrk_pci_free_irqs(gp, gp->nvec);
		return PTR_ERR(gd);
	}
	WRITE_ONCE(gp->gd, gd);
	/* Interrupts taken while gmrk_dev_add() ran had no gd to go to. */
	for (q = 0; q < gp->num_queues; q++)
		gmrk_dev_queue_irq(gd, q);
	return 0;
}

static void gmrk_pci_remove(struct pci_dev *pdev)
{
	struct gmrk_pci *gp = pci_get_drvdata(pdev);
	bool surprise;

	/*
	 * A card that went away reads all ones; anything but the magic
	 * means the registers are not the card's any more either (its
	 * memory decoding is off, say). Do not let the core touch them.
	 */
	surprise = pdev->error_state == pci_channel_io_perm_failure ||
		   !pci_device_is_present(pdev) ||
		   ioread32(gp->regs + GMRK_REG_ID) != GMRK_ID_MAGIC;
	if (surprise) {
		set_bit(GMRK_PCI_F_GONE, &gp->flags);
		/* If it is still there after all, it must not DMA any more. */
		pci_clear_master(pdev);
	}
	gmrk_dev_remove(gp->gd, surprise);
	/*
	 * The core reset the card (or it is gone): no more interrupts from
	 * it, and the shared handler looks at INTR_STATUS before at gd.
	 */
	WRITE_ONCE(gp->gd, NULL);
	gmrk_pci_free_irqs(gp, gp->nvec);
	/* pcim_* and devm_* release BAR mapping, regions and the device. */
}

static const struct pci_device_id gmrk_pci_ids[] = {
	{ PCI_DEVICE(GMRK_PCI_VENDOR_ID, GMRK_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, gmrk_pci_ids);

static struct pci_driver gmrk_pci_driver = {
	.name = GMRK_PCI_NAME,
	.id_table = gmrk_pci_ids,
	.probe = gmrk_pci_probe,
	.remove = gmrk_pci_remove,
};

int gmrk_pci_init(void)
{
	return pci_register_driver(&gmrk_pci_driver);
}

void gmrk_pci_exit(void)
{
	pci_unregister_driver(&gmrk_pci_driver);
}

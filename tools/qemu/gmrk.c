/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * QEMU model of the gm-rk crypto card.
 *
 * The programming model is driver/gmrk_hw.h of the gmrk project (copied
 * next to this file by tools/qemu/build.sh); Documentation/gmrk/
 * qemu-card.rst describes this model and its knobs.
 *
 *   BAR0   register file (GMRK_BAR_SIZE, 32-bit accesses only)
 *   BAR1   MSI-X table and PBA, one vector per queue (absent with msix=off)
 *   INTx   pin A, used when the guest does not enable MSI-X
 *
 * Each queue has a submission ring of struct gmrk_desc and a completion
 * ring of struct gmrk_cpl in guest memory. A doorbell write schedules the
 * queue's bottom half, which runs in the main loop with the BQL held (so
 * every piece of device state below is protected by the BQL, and the
 * vCPU thread that rang the doorbell returns at once). The bottom half
 * fetches descriptors while the completion ring has room for them, then
 * executes due jobs: DMA in, AEAD with libgcrypt, DMA out, completion.
 * Execution happens at completion time, so a job dropped by a reset never
 * touches guest memory afterwards. The latency-us knob makes a job due
 * that many microseconds (virtual clock) after its fetch; a per-queue
 * timer wakes the bottom half then.
 *
 * The crypto is libgcrypt's, independent of both the Linux driver's
 * fallback and the userspace library's code paths, so tests that compare
 * them against this card compare independent implementations.
 *
 * Key slots (GMRK_CAP_KEYSLOTS, -device gmrk,key-slots=N,keystore=FILE):
 * SM2 key pairs generated inside the model and used by KEY_UNWRAP; the
 * private scalars live in libgcrypt's secure memory and nothing (register,
 * DMA, QOM property) ever returns them. With a keystore the slots are
 * loaded at realize and written back, atomically, after every KEY_GEN and
 * KEY_DESTROY; without one they last as long as the QEMU process. Resets
 * leave them alone (non-volatile).
 *
 * Fault injection (QOM properties, settable at run time with qom-set):
 *   fail-next N     next N jobs complete with GMRK_ST_EDEV, no output
 *   corrupt-next N  next N jobs with output get one output byte flipped
 *   stall           fetch jobs but complete none while set
 *   queue-full      fetch nothing while set
 *   fatal           STATUS.FATAL: the card stops until CTRL.RESET
 * Read-only: jobs, errors (counted since the device was created),
 * key-slot-map (as the register).
 */

#include "qemu/osdep.h"
#include "qemu/bitops.h"
#include "qemu/error-report.h"
#include "qemu/host-utils.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "hw/pci/pci.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "sysemu/dma.h"
#include "qom/object.h"

#include <sys/file.h>
#include <gcrypt.h>

#include "gmrk_hw.h"

#define TYPE_PCI_GMRK "gmrk"
OBJECT_DECLARE_SIMPLE_TYPE(GmrkState, PCI_GMRK)

#define GMRK_MSIX_BAR           1
#define GMRK_DESC_SIZE          ((uint64_t)sizeof(struct gmrk_desc))
#define GMRK_CPL_SIZE           ((uint64_t)sizeof(struct gmrk_cpl))
#define GMRK_DEF_DEPTH          1024
#define GMRK_DEF_MAX_DATA       (1 * MiB)
#define GMRK_MIN_MAX_DATA       (4 * KiB)
#define GMRK_MAX_MAX_DATA       (16 * MiB)

/*
 * Work one bottom-half run may do before yielding the main loop, so a
 * busy queue cannot starve the rest of the machine.
 */
#define GMRK_BH_MAX_JOBS        64
#define GMRK_BH_MAX_BYTES       (4 * MiB)

#define GMRK_CAPS (GMRK_CAP_AES_GCM | GMRK_CAP_SM4_GCM | GMRK_CAP_CHACHAPOLY | \
                   GMRK_CAP_SG)

/*
 * A key command costs one elliptic-curve scalar multiplication, far more
 * than a block: it counts this much against GMRK_BH_MAX_BYTES, so one
 * bottom-half run does at most 16 of them.
 */
#define GMRK_KEY_OP_COST        (256 * KiB)
#define GMRK_DEF_KEY_SLOTS      8
#define GMRK_SM2_COORD_LEN      32      /* bytes of X, Y and the scalar */
#define GMRK_SM2_CURVE          "sm2p256v1"
#define GMRK_KEYGEN_TRIES       64

/*
 * Keystore file (little endian):
 *   header  magic "GMRKKEYS", u32 version 1, u32 number of slots N
 *   N slot records of GMRK_KS_REC_SIZE bytes:
 *           u32 state (0 empty, 1 SM2 key pair), 28 zero bytes,
 *           32-byte private scalar d (big endian), the 65-byte public
 *           key 0x04 || X || Y, 31 zero bytes; an empty record is all zero
 *   trailer SM3 of everything before it
 */
#define GMRK_KS_MAGIC           "GMRKKEYS"
#define GMRK_KS_VERSION         1
#define GMRK_KS_HDR_SIZE        16
#define GMRK_KS_REC_SIZE        160
#define GMRK_KS_REC_D           32
#define GMRK_KS_REC_PUB         64
#define GMRK_KS_SUM_SIZE        32
#define GMRK_KS_SIZE(n)         (GMRK_KS_HDR_SIZE + GMRK_KS_SUM_SIZE + \
                                 (size_t)(n) * GMRK_KS_REC_SIZE)
#define GMRK_KS_STATE_EMPTY     0
#define GMRK_KS_STATE_SM2       1

QEMU_BUILD_BUG_ON(GMRK_KS_REC_PUB + GMRK_SM2_PUB_LEN > GMRK_KS_REC_SIZE);
QEMU_BUILD_BUG_ON(GMRK_MAX_KEY_SLOTS > 32);     /* KEY_SLOT_MAP is 32 bits */

QEMU_BUILD_BUG_ON(sizeof(struct gmrk_sge) != 16);
QEMU_BUILD_BUG_ON(sizeof(struct gmrk_desc) != 128);
QEMU_BUILD_BUG_ON(sizeof(struct gmrk_cpl) != 16);

/* A descriptor the device has fetched and not completed yet. */
typedef struct GmrkJob {
    struct gmrk_desc desc;      /* holds the key: wiped when done */
    uint16_t sq_head;           /* SQ_HEAD right after the fetch */
    int64_t due_ns;             /* QEMU_CLOCK_VIRTUAL */
} GmrkJob;

/* One key slot; the array lives in libgcrypt's secure memory. */
typedef struct GmrkKeySlot {
    uint32_t used;
    uint8_t d[GMRK_SM2_COORD_LEN];      /* private scalar, big endian */
    uint8_t pub[GMRK_SM2_PUB_LEN];      /* 0x04 || X || Y */
} GmrkKeySlot;

/* One resolved piece of a job's source or destination. */
typedef struct GmrkSeg {
    dma_addr_t addr;
    uint32_t len;
} GmrkSeg;

typedef struct GmrkQueue {
    struct GmrkState *s;
    unsigned int idx;

    /* Registers */
    uint32_t sq_base_lo, sq_base_hi, cq_base_lo, cq_base_hi;
    uint32_t size;
    uint32_t ctrl;
    uint32_t status;
    uint32_t sq_tail, sq_head, cq_head, cq_tail;
    uint32_t msix_vec;

    /* Ring geometry latched when the queue was enabled */
    dma_addr_t sq_base, cq_base;
    uint32_t wrap;              /* 2 * size - 1: index mask */

    /* Fetched jobs, FIFO, capacity s->depth */
    GmrkJob *jobs;
    uint32_t job_first, job_count;

    /* A DF_IRQ completion not yet signalled (masked, or INTx level) */
    bool irq_latched;

    QEMUBH *bh;
    QEMUTimer timer;

    /* Scratch for SG lists: one fetch buffer, two resolved lists */
    struct gmrk_sge *sge;
    GmrkSeg *src_seg, *dst_seg;
} GmrkQueue;

struct GmrkState {
    PCIDevice parent_obj;

    MemoryRegion regs;

    /* Configuration (set with -device, fixed once realized) */
    uint32_t num_queues;
    uint32_t depth;
    uint32_t max_data;
    bool use_msix;
    uint32_t key_slots;
    char *keystore;

    /* Global registers */
    uint32_t ctrl;
    uint32_t status;
    uint32_t intr_status;
    uint32_t intr_mask;
    uint32_t err_count;

    /* Run-time knobs (QOM properties) */
    uint32_t latency_us;
    uint32_t fail_next;
    uint32_t corrupt_next;
    bool stall;
    bool queue_full;

    /* Counters since creation */
    uint64_t jobs_done;
    uint64_t errors;

    /*
     * Key slots: key_slots entries plus one scratch entry, in secure
     * memory; NULL without key slots. slot_map mirrors the used flags.
     */
    GmrkKeySlot *slots;
    uint32_t slot_map;
    int keystore_lock;          /* fd holding flock() on KEYSTORE.lock */
    bool keystore_warned;       /* a failed save was reported */
    gcry_ctx_t ec;              /* sm2p256v1 */
    gcry_mpi_t ec_p, ec_nm2;    /* p, and n - 2: the largest private key */
    gcry_mpi_point_t ec_g;

    GmrkQueue queues[GMRK_MAX_QUEUES];
};

static void gmrk_update_irq(GmrkState *s);

/* ---- Ring helpers ---- */

static inline uint32_t gmrk_dist(const GmrkQueue *q, uint32_t a, uint32_t b)
{
    return (a - b) & q->wrap;
}

static inline bool gmrk_queue_running(const GmrkQueue *q)
{
    return q->status & GMRK_QSTATUS_ENABLED;
}

static void gmrk_count_error(GmrkState *s)
{
    s->err_count++;
    s->errors++;
}

/* Drop every fetched job without completing it; wipe their keys. */
static void gmrk_queue_drop_jobs(GmrkQueue *q)
{
    if (q->jobs) {
        explicit_bzero(q->jobs, sizeof(*q->jobs) * q->s->depth);
    }
    q->job_first = 0;
    q->job_count = 0;
    timer_del(&q->timer);
}

/* Back to the state after reset: stopped, rings forgotten, indices 0. */
static void gmrk_queue_clear(GmrkQueue *q, bool regs_too)
{
    gmrk_queue_drop_jobs(q);
    q->status = 0;
    q->ctrl = 0;
    q->sq_tail = q->sq_head = q->cq_head = q->cq_tail = 0;
    q->irq_latched = false;
    if (regs_too) {
        q->sq_base_lo = q->sq_base_hi = 0;
        q->cq_base_lo = q->cq_base_hi = 0;
        q->size = 0;
        q->msix_vec = 0;
    }
}

/* The guest did something the contract forbids: stop the queue. */
static void gmrk_queue_error(GmrkQueue *q, const char *why)
{
    qemu_log_mask(LOG_GUEST_ERROR, "gmrk: queue %u stopped: %s\n", q->idx,
                  why);
    gmrk_queue_drop_jobs(q);
    q->status = GMRK_QSTATUS_ERROR;
    gmrk_count_error(q->s);
}

static void gmrk_queue_kick(GmrkQueue *q)
{
    if (gmrk_queue_running(q)) {
        qemu_bh_schedule(q->bh);
    }
}

static void gmrk_kick_all(GmrkState *s)
{
    for (unsigned int i = 0; i < s->num_queues; i++) {
        gmrk_queue_kick(&s->queues[i]);
    }
}

/* Rings are aligned to their entry size and must be DMA-reachable. */
static bool gmrk_ring_valid(GmrkState *s, dma_addr_t base, uint64_t entry,
                            uint32_t size, DMADirection dir)
{
    uint64_t len = entry * size;

    if (!base || base % entry || base + len < base) {
        return false;
    }
    return dma_memory_valid(pci_get_address_space(PCI_DEVICE(s)), base, len,
                            dir, MEMTXATTRS_UNSPECIFIED);
}

/* Q_CTRL.ENABLE 0 -> 1: check the ring setup, then start the queue. */
static void gmrk_queue_enable(GmrkQueue *q)
{
    GmrkState *s = q->s;
    uint32_t size = q->size;

    q->sq_base = ((uint64_t)q->sq_base_hi << 32) | q->sq_base_lo;
    q->cq_base = ((uint64_t)q->cq_base_hi << 32) | q->cq_base_lo;

    if (size < GMRK_MIN_DEPTH || size > s->depth || !is_power_of_2(size)) {
        gmrk_queue_error(q, "ring size not a power of two within limits");
        return;
    }
    if (!gmrk_ring_valid(s, q->sq_base, GMRK_DESC_SIZE, size,
                         DMA_DIRECTION_TO_DEVICE)) {
        gmrk_queue_error(q, "bad submission ring address");
        return;
    }
    if (!gmrk_ring_valid(s, q->cq_base, GMRK_CPL_SIZE, size,
                         DMA_DIRECTION_FROM_DEVICE)) {
        gmrk_queue_error(q, "bad completion ring address");
        return;
    }
    q->wrap = 2 * size - 1;
    q->sq_tail = q->sq_head = q->cq_head = q->cq_tail = 0;
    q->status = GMRK_QSTATUS_ENABLED;
    gmrk_queue_kick(q);
}

/* ---- Job execution ---- */

static bool gmrk_alg_params(const struct gmrk_desc *d, int *algo, int *mode)
{
    switch (d->alg) {
    case GMRK_ALG_AES_GCM:
        *mode = GCRY_CIPHER_MODE_GCM;
        switch (d->key_len) {
        case 16:
            *algo = GCRY_CIPHER_AES128;
            break;
        case 24:
            *algo = GCRY_CIPHER_AES192;
            break;
        case 32:
            *algo = GCRY_CIPHER_AES256;
            break;
        default:
            return false;
        }
        break;
    case GMRK_ALG_SM4_GCM:
        *mode = GCRY_CIPHER_MODE_GCM;
        *algo = GCRY_CIPHER_SM4;
        if (d->key_len != 16) {
            return false;
        }
        break;
    case GMRK_ALG_CHACHAPOLY:
        *mode = GCRY_CIPHER_MODE_POLY1305;
        *algo = GCRY_CIPHER_CHACHA20;
        return d->key_len == 32 && d->tag_len == 16 &&
               d->iv_len == GMRK_IV_LEN;
    default:
        return false;
    }
    /* GCM tags the card offers: 4, 8 and 12..16 bytes (as Linux's gcm). */
    if (d->tag_len != 4 && d->tag_len != 8 &&
        (d->tag_len < 12 || d->tag_len > 16)) {
        return false;
    }
    return d->iv_len == GMRK_IV_LEN;
}

/*
 * Turn a descriptor's src or dst (one buffer, or an SG list in guest
 * memory) into segments covering @need bytes.
 */
static uint16_t gmrk_resolve(GmrkQueue *q, bool sgl, uint64_t addr,
                             uint32_t len, uint64_t need, GmrkSeg *seg,
                             unsigned int *nseg)
{
    PCIDevice *pdev = PCI_DEVICE(q->s);
    uint64_t total = 0;
    unsigned int n = 0;

    *nseg = 0;
    if (!need) {
        return GMRK_ST_OK;
    }
    if (!sgl) {
        if (len < need || addr + need < addr) {
            return GMRK_ST_EINVAL;
        }
        seg[0].addr = addr;
        seg[0].len = need;
        *nseg = 1;
        return GMRK_ST_OK;
    }
    if (len == 0 || len > GMRK_SGL_MAX ||
        addr + len * sizeof(*q->sge) < addr) {
        return GMRK_ST_EINVAL;
    }
    if (pci_dma_read(pdev, addr, q->sge, len * sizeof(*q->sge)) != MEMTX_OK) {
        return GMRK_ST_EDMA;
    }
    for (uint32_t i = 0; i < len && total < need; i++) {
        uint64_t a = le64_to_cpu(q->sge[i].addr);
        uint32_t l = le32_to_cpu(q->sge[i].len);

        if (!l) {
            continue;
        }
        if (l > need - total) {
            l = need - total;
        }
        if (a + l < a) {
            return GMRK_ST_EINVAL;
        }
        seg[n].addr = a;
        seg[n].len = l;
        n++;
        total += l;
    }
    if (total < need) {
        return GMRK_ST_EINVAL;
    }
    *nseg = n;
    return GMRK_ST_OK;
}

static uint16_t gmrk_dma_segs(GmrkQueue *q, const GmrkSeg *seg,
                              unsigned int nseg, uint8_t *buf, bool to_guest)
{
    PCIDevice *pdev = PCI_DEVICE(q->s);

    for (unsigned int i = 0; i < nseg; i++) {
        MemTxResult r = to_guest ?
            pci_dma_write(pdev, seg[i].addr, buf, seg[i].len) :
            pci_dma_read(pdev, seg[i].addr, buf, seg[i].len);

        if (r != MEMTX_OK) {
            return GMRK_ST_EDMA;
        }
        buf += seg[i].len;
    }
    return GMRK_ST_OK;
}

/*
 * The AEAD itself, in place: @buf holds aad, then data, then room for
 * (encrypt) or the received (decrypt) tag.
 */
static uint16_t gmrk_aead(const struct gmrk_desc *d, int algo, int mode,
                          uint8_t *buf, uint32_t aad_len, uint32_t data_len)
{
    bool enc = d->opcode == GMRK_OP_ENCRYPT;
    uint8_t *data = buf + aad_len;
    uint8_t *tag = data + data_len;
    gcry_cipher_hd_t h;
    gcry_error_t err;
    uint16_t st = GMRK_ST_OK;

    if (gcry_cipher_open(&h, algo, mode, 0)) {
        return GMRK_ST_EDEV;
    }
    err = gcry_cipher_setkey(h, d->key, d->key_len);
    if (!err) {
        err = gcry_cipher_setiv(h, d->iv, d->iv_len);
    }
    if (!err && aad_len) {
        err = gcry_cipher_authenticate(h, buf, aad_len);
    }
    if (!err && data_len) {
        err = enc ? gcry_cipher_encrypt(h, data, data_len, NULL, 0)
                  : gcry_cipher_decrypt(h, data, data_len, NULL, 0);
    }
    if (!err) {
        if (enc) {
            err = gcry_cipher_gettag(h, tag, d->tag_len);
        } else {
            /* libgcrypt compares in constant time */
            err = gcry_cipher_checktag(h, tag, d->tag_len);
            if (gcry_err_code(err) == GPG_ERR_CHECKSUM) {
                st = GMRK_ST_EBADMSG;
                err = 0;
            }
        }
    }
    if (err) {
        st = GMRK_ST_EDEV;
    }
    /* Closing wipes libgcrypt's key schedule. */
    gcry_cipher_close(h);
    return st;
}

/* ---- Key slots: SM2 (GB/T 32918) on sm2p256v1 with libgcrypt ---- */

/* @m (< 2^256) as 32 big-endian bytes, written straight into @out. */
static bool gmrk_mpi_to_be32(gcry_mpi_t m, uint8_t *out)
{
    size_t n = 0;

    if (gcry_mpi_get_nbits(m) > 8 * GMRK_SM2_COORD_LEN ||
        gcry_mpi_print(GCRYMPI_FMT_USG, out, GMRK_SM2_COORD_LEN, &n, m)) {
        return false;
    }
    memmove(out + GMRK_SM2_COORD_LEN - n, out, n);
    memset(out, 0, GMRK_SM2_COORD_LEN - n);
    return true;
}

/*
 * 32 big-endian bytes as an MPI; kept in secure memory (a copy of a
 * private scalar or shared secret must never be swapped out).
 */
static gcry_mpi_t gmrk_mpi_from_be32(const uint8_t *in, bool secret)
{
    gcry_mpi_t m = NULL;

    if (gcry_mpi_scan(&m, GCRYMPI_FMT_USG, in, GMRK_SM2_COORD_LEN, NULL)) {
        return NULL;
    }
    if (secret) {
        gcry_mpi_set_flag(m, GCRYMPI_FLAG_SECURE);
    }
    return m;
}

/* 1 <= @d <= n - 2, the range of SM2 private keys. */
static bool gmrk_sm2_scalar_ok(GmrkState *s, gcry_mpi_t d)
{
    return gcry_mpi_cmp_ui(d, 0) > 0 && gcry_mpi_cmp(d, s->ec_nm2) <= 0;
}

/* The affine point @pt as 0x04 || X || Y; false for the point at infinity. */
static bool gmrk_sm2_encode(GmrkState *s, gcry_mpi_point_t pt, uint8_t *out,
                            bool secret)
{
    gcry_mpi_t x = secret ? gcry_mpi_snew(0) : gcry_mpi_new(0);
    gcry_mpi_t y = secret ? gcry_mpi_snew(0) : gcry_mpi_new(0);
    bool ok;

    out[0] = 0x04;
    ok = !gcry_mpi_ec_get_affine(x, y, pt, s->ec) &&
         gmrk_mpi_to_be32(x, out + 1) &&
         gmrk_mpi_to_be32(y, out + 1 + GMRK_SM2_COORD_LEN);
    gcry_mpi_release(x);
    gcry_mpi_release(y);
    return ok;
}

/*
 * Decode an uncompressed point 0x04 || X || Y: NULL unless the prefix is
 * 0x04, both coordinates are below p (no second encoding of a point) and
 * the point lies on the curve (which excludes the point at infinity).
 */
static gcry_mpi_point_t gmrk_sm2_decode(GmrkState *s, const uint8_t *enc)
{
    gcry_mpi_point_t pt = NULL;
    gcry_mpi_t x, y;

    if (enc[0] != 0x04) {
        return NULL;
    }
    x = gmrk_mpi_from_be32(enc + 1, false);
    y = gmrk_mpi_from_be32(enc + 1 + GMRK_SM2_COORD_LEN, false);
    if (x && y && gcry_mpi_cmp(x, s->ec_p) < 0 &&
        gcry_mpi_cmp(y, s->ec_p) < 0) {
        pt = gcry_mpi_point_snatch_set(NULL, x, y, gcry_mpi_set_ui(NULL, 1));
        x = y = NULL;
        if (!gcry_mpi_ec_curve_point(pt, s->ec)) {
            gcry_mpi_point_release(pt);
            pt = NULL;
        }
    }
    gcry_mpi_release(x);
    gcry_mpi_release(y);
    return pt;
}

/* @pub = [d]G for the big-endian private scalar @d. */
static bool gmrk_sm2_pub(GmrkState *s, const uint8_t *d, uint8_t *pub)
{
    gcry_mpi_t k = gmrk_mpi_from_be32(d, true);
    gcry_mpi_point_t q = gcry_mpi_point_new(0);
    bool ok = false;

    if (k) {
        gcry_mpi_ec_mul(q, k, s->ec_g, s->ec);
        ok = gmrk_sm2_encode(s, q, pub, false);
    }
    gcry_mpi_point_release(q);
    gcry_mpi_release(k);        /* releasing wipes the limbs */
    return ok;
}

/* A fresh key pair in @slot: d uniform in [1, n - 2] by rejection. */
static bool gmrk_sm2_keygen(GmrkState *s, GmrkKeySlot *slot)
{
    gcry_mpi_t d = gcry_mpi_snew(8 * GMRK_SM2_COORD_LEN);
    bool ok = false;

    for (int i = 0; i < GMRK_KEYGEN_TRIES && !ok; i++) {
        gcry_mpi_randomize(d, 8 * GMRK_SM2_COORD_LEN, GCRY_VERY_STRONG_RANDOM);
        ok = gmrk_sm2_scalar_ok(s, d);
    }
    ok = ok && gmrk_mpi_to_be32(d, slot->d) &&
         gmrk_sm2_pub(s, slot->d, slot->pub);
    gcry_mpi_release(d);
    if (ok) {
        slot->used = 1;
    } else {
        explicit_bzero(slot, sizeof(*slot));
    }
    return ok;
}

/*
 * The key derivation function of GB/T 32918.4 with SM3: the first @len
 * bytes of SM3(z || ct) for ct = 1, 2, ... (32-bit big endian).
 */
static void gmrk_sm2_kdf(gcry_md_hd_t h, const uint8_t *z, size_t zlen,
                         uint8_t *out, size_t len)
{
    for (uint32_t ct = 1; len; ct++) {
        size_t n = MIN(len, (size_t)GMRK_SM2_C3_LEN);
        uint8_t be[4];

        stl_be_p(be, ct);
        gcry_md_reset(h);
        gcry_md_write(h, z, zlen);
        gcry_md_write(h, be, sizeof(be));
        memcpy(out, gcry_md_read(h, GCRY_MD_SM3), n);
        out += n;
        len -= n;
    }
}

/*
 * SM2 decryption (GB/T 32918.4, 7.1) of @in = C1 || C3 || C2 with the
 * private key of @slot; @mlen = |C2|. @m (mlen bytes) receives the message
 * only when the result is GMRK_ST_OK; @work is 2 * GMRK_SM2_PUB_LEN +
 * GMRK_UNWRAP_MAX bytes of secure scratch.
 */
static uint16_t gmrk_sm2_decrypt(GmrkState *s, const GmrkKeySlot *slot,
                                 const uint8_t *in, uint32_t mlen,
                                 uint8_t *m, uint8_t *work)
{
    const uint8_t *c1 = in;
    const uint8_t *c3 = in + GMRK_SM2_PUB_LEN;
    const uint8_t *c2 = c3 + GMRK_SM2_C3_LEN;
    uint8_t *s2 = work;                         /* 0x04 || x2 || y2 */
    uint8_t *t = work + GMRK_SM2_PUB_LEN;       /* KDF output */
    uint8_t *u = t + GMRK_UNWRAP_MAX;           /* SM3(x2 || M || y2) */
    gcry_mpi_point_t c1pt, sp = NULL;
    gcry_md_hd_t h = NULL;
    gcry_mpi_t d = NULL;
    uint16_t st = GMRK_ST_EBADMSG;
    uint8_t acc = 0;

    /* B1: C1 must be a point of the curve; the cofactor is 1 (B2). */
    c1pt = gmrk_sm2_decode(s, c1);
    if (!c1pt) {
        return GMRK_ST_EBADMSG;
    }
    d = gmrk_mpi_from_be32(slot->d, true);
    if (!d || gcry_md_open(&h, GCRY_MD_SM3, GCRY_MD_FLAG_SECURE)) {
        st = GMRK_ST_EDEV;
        goto out;
    }
    /* B3: (x2, y2) = [d]C1 */
    sp = gcry_mpi_point_new(0);
    gcry_mpi_ec_mul(sp, d, c1pt, s->ec);
    if (!gmrk_sm2_encode(s, sp, s2, true)) {
        goto out;
    }
    /* B4: t = KDF(x2 || y2, klen), which must not be all zero */
    gmrk_sm2_kdf(h, s2 + 1, 2 * GMRK_SM2_COORD_LEN, t, mlen);
    for (uint32_t i = 0; i < mlen; i++) {
        acc |= t[i];
    }
    if (!acc) {
        goto out;
    }
    /* B5: M' = C2 xor t */
    for (uint32_t i = 0; i < mlen; i++) {
        m[i] = c2[i] ^ t[i];
    }
    /* B6: u = SM3(x2 || M' || y2) must equal C3; compared in constant time */
    gcry_md_reset(h);
    gcry_md_write(h, s2 + 1, GMRK_SM2_COORD_LEN);
    gcry_md_write(h, m, mlen);
    gcry_md_write(h, s2 + 1 + GMRK_SM2_COORD_LEN, GMRK_SM2_COORD_LEN);
    memcpy(u, gcry_md_read(h, GCRY_MD_SM3), GMRK_SM2_C3_LEN);
    acc = 0;
    for (unsigned int i = 0; i < GMRK_SM2_C3_LEN; i++) {
        acc |= u[i] ^ c3[i];
    }
    if (acc) {
        explicit_bzero(m, mlen);
        goto out;
    }
    st = GMRK_ST_OK;
out:
    explicit_bzero(work, 2 * GMRK_SM2_PUB_LEN + GMRK_UNWRAP_MAX);
    gcry_md_close(h);                   /* wipes the hash state */
    gcry_mpi_point_release(sp);
    gcry_mpi_point_release(c1pt);
    gcry_mpi_release(d);
    return st;
}

/* ---- Keystore: the slots' non-volatile copy in a host file ---- */

/* The keystore file image of the current slots (GMRK_KS_SIZE bytes). */
static void gmrk_keystore_image(GmrkState *s, uint8_t *img, size_t len)
{
    memset(img, 0, len);
    memcpy(img, GMRK_KS_MAGIC, 8);
    stl_le_p(img + 8, GMRK_KS_VERSION);
    stl_le_p(img + 12, s->key_slots);
    for (unsigned int i = 0; i < s->key_slots; i++) {
        uint8_t *rec = img + GMRK_KS_HDR_SIZE + i * GMRK_KS_REC_SIZE;

        if (!s->slots[i].used) {
            continue;
        }
        stl_le_p(rec, GMRK_KS_STATE_SM2);
        memcpy(rec + GMRK_KS_REC_D, s->slots[i].d, GMRK_SM2_COORD_LEN);
        memcpy(rec + GMRK_KS_REC_PUB, s->slots[i].pub, GMRK_SM2_PUB_LEN);
    }
    gcry_md_hash_buffer(GCRY_MD_SM3, img + len - GMRK_KS_SUM_SIZE, img,
                        len - GMRK_KS_SUM_SIZE);
}

/*
 * Replace the keystore file atomically: write a temporary file next to it
 * (mode 0600), fsync it, rename it over the old one, fsync the directory.
 * A crash leaves either the old file or the new one, never a mixture.
 */
static bool gmrk_keystore_save(GmrkState *s, Error **errp)
{
    size_t len = GMRK_KS_SIZE(s->key_slots);
    g_autofree char *tmp = g_strdup_printf("%s.XXXXXX", s->keystore);
    g_autofree char *dir = g_path_get_dirname(s->keystore);
    uint8_t *img = gcry_xmalloc_secure(len);
    bool ok = false, created = false;
    int fd = -1, dfd;

    gmrk_keystore_image(s, img, len);
    fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        error_setg_errno(errp, errno, "gmrk: keystore %s: cannot create %s",
                         s->keystore, tmp);
        goto out;
    }
    created = true;
    if (fchmod(fd, 0600) || qemu_write_full(fd, img, len) != len ||
        fsync(fd)) {
        error_setg_errno(errp, errno, "gmrk: keystore %s: cannot write %s",
                         s->keystore, tmp);
        goto out;
    }
    if (close(fd)) {
        fd = -1;
        error_setg_errno(errp, errno, "gmrk: keystore %s: cannot write %s",
                         s->keystore, tmp);
        goto out;
    }
    fd = -1;
    if (rename(tmp, s->keystore)) {
        error_setg_errno(errp, errno, "gmrk: keystore %s: cannot rename %s",
                         s->keystore, tmp);
        goto out;
    }
    ok = true;
    /* The new contents are in place; make the rename itself durable. */
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd)) {
        warn_report("gmrk: keystore %s: cannot sync directory %s: %s",
                    s->keystore, dir, strerror(errno));
    }
    if (dfd >= 0) {
        close(dfd);
    }
out:
    if (fd >= 0) {
        close(fd);
    }
    if (!ok && created) {
        unlink(tmp);
    }
    explicit_bzero(img, len);
    gcry_free(img);
    return ok;
}

/* Read all of @fd into @buf; false on error or early end of file. */
static bool gmrk_read_full(int fd, uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = read(fd, buf, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        buf += n;
        len -= n;
    }
    return true;
}

/* Check the image @img of @len bytes and load its slots. */
static bool gmrk_keystore_parse(GmrkState *s, const uint8_t *img, size_t len,
                                Error **errp)
{
    const char *ks = s->keystore;
    uint8_t sum[GMRK_KS_SUM_SIZE];
    uint32_t n;

    if (len < GMRK_KS_HDR_SIZE || memcmp(img, GMRK_KS_MAGIC, 8)) {
        error_setg(errp, "gmrk: keystore %s: not a gmrk keystore "
                   "(bad magic or %zu bytes only)", ks, len);
        return false;
    }
    if (ldl_le_p(img + 8) != GMRK_KS_VERSION) {
        error_setg(errp, "gmrk: keystore %s: unsupported version %u",
                   ks, ldl_le_p(img + 8));
        return false;
    }
    n = ldl_le_p(img + 12);
    if (n < 1 || n > GMRK_MAX_KEY_SLOTS) {
        error_setg(errp, "gmrk: keystore %s: bad slot count %u (corrupt)",
                   ks, n);
        return false;
    }
    if (len != GMRK_KS_SIZE(n)) {
        error_setg(errp, "gmrk: keystore %s: wrong size: %zu bytes for %u "
                   "slots, expected %zu (truncated or corrupt)", ks, len, n,
                   GMRK_KS_SIZE(n));
        return false;
    }
    gcry_md_hash_buffer(GCRY_MD_SM3, sum, img, len - GMRK_KS_SUM_SIZE);
    if (memcmp(sum, img + len - GMRK_KS_SUM_SIZE, sizeof(sum))) {
        error_setg(errp, "gmrk: keystore %s: checksum mismatch (corrupt "
                   "file)", ks);
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *rec = img + GMRK_KS_HDR_SIZE + i * GMRK_KS_REC_SIZE;
        uint32_t state = ldl_le_p(rec);
        GmrkKeySlot *slot;
        uint8_t pad = 0;
        gcry_mpi_t d;
        bool ok;

        if (state == GMRK_KS_STATE_EMPTY) {
            for (unsigned int j = 0; j < GMRK_KS_REC_SIZE; j++) {
                pad |= rec[j];
            }
            if (pad) {
                error_setg(errp, "gmrk: keystore %s: slot %u: empty record "
                           "not zero (corrupt)", ks, i);
                return false;
            }
            continue;
        }
        if (state != GMRK_KS_STATE_SM2) {
            error_setg(errp, "gmrk: keystore %s: slot %u: unknown state %u "
                       "(corrupt)", ks, i, state);
            return false;
        }
        for (unsigned int j = 4; j < GMRK_KS_REC_D; j++) {
            pad |= rec[j];
        }
        for (unsigned int j = GMRK_KS_REC_PUB + GMRK_SM2_PUB_LEN;
             j < GMRK_KS_REC_SIZE; j++) {
            pad |= rec[j];
        }
        if (pad) {
            error_setg(errp, "gmrk: keystore %s: slot %u: reserved bytes "
                       "not zero (corrupt)", ks, i);
            return false;
        }
        if (i >= s->key_slots) {
            error_setg(errp, "gmrk: keystore %s: slot %u holds a key but the "
                       "device has key-slots=%u; refusing to drop it", ks, i,
                       s->key_slots);
            return false;
        }
        slot = &s->slots[i];
        memcpy(slot->d, rec + GMRK_KS_REC_D, GMRK_SM2_COORD_LEN);
        d = gmrk_mpi_from_be32(slot->d, true);
        ok = d && gmrk_sm2_scalar_ok(s, d) &&
             gmrk_sm2_pub(s, slot->d, slot->pub) &&
             !memcmp(slot->pub, rec + GMRK_KS_REC_PUB, GMRK_SM2_PUB_LEN);
        gcry_mpi_release(d);
        if (!ok) {
            error_setg(errp, "gmrk: keystore %s: slot %u: private and public "
                       "key do not match (corrupt)", ks, i);
            return false;
        }
        slot->used = 1;
        s->slot_map |= 1u << i;
    }
    return true;
}

/* Load the slots from the keystore; a missing file is created empty. */
static bool gmrk_keystore_load(GmrkState *s, Error **errp)
{
    uint8_t *img = NULL;
    struct stat st;
    bool ok = false;
    size_t len;
    int fd;

    fd = open(s->keystore, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        return gmrk_keystore_save(s, errp);
    }
    if (fd < 0) {
        error_setg_errno(errp, errno, "gmrk: keystore %s: cannot open",
                         s->keystore);
        return false;
    }
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        error_setg(errp, "gmrk: keystore %s: not a regular file",
                   s->keystore);
        goto out;
    }
    if (st.st_size < (off_t)GMRK_KS_SIZE(1) ||
        st.st_size > (off_t)GMRK_KS_SIZE(GMRK_MAX_KEY_SLOTS)) {
        error_setg(errp, "gmrk: keystore %s: wrong size: %lld bytes "
                   "(truncated, corrupt or not a gmrk keystore)",
                   s->keystore, (long long)st.st_size);
        goto out;
    }
    len = st.st_size;
    img = gcry_xmalloc_secure(len);
    if (!gmrk_read_full(fd, img, len)) {
        error_setg_errno(errp, errno, "gmrk: keystore %s: cannot read",
                         s->keystore);
        goto out;
    }
    ok = gmrk_keystore_parse(s, img, len, errp);
out:
    if (img) {
        explicit_bzero(img, len);
        gcry_free(img);
    }
    close(fd);
    return ok;
}

/* One device per keystore: an flock() on KEYSTORE.lock for our lifetime. */
static bool gmrk_keystore_lock(GmrkState *s, Error **errp)
{
    g_autofree char *path = g_strdup_printf("%s.lock", s->keystore);
    struct stat st;
    int fd;

    /* Nothing is created next to a path that cannot be a keystore. */
    if (!stat(s->keystore, &st) && !S_ISREG(st.st_mode)) {
        error_setg(errp, "gmrk: keystore %s: not a regular file",
                   s->keystore);
        return false;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        error_setg_errno(errp, errno, "gmrk: keystore %s: cannot open %s",
                         s->keystore, path);
        return false;
    }
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        if (errno == EWOULDBLOCK) {
            error_setg(errp, "gmrk: keystore %s is in use by another gmrk "
                       "device", s->keystore);
        } else {
            error_setg_errno(errp, errno, "gmrk: keystore %s: cannot lock %s",
                             s->keystore, path);
        }
        close(fd);
        return false;
    }
    s->keystore_lock = fd;
    return true;
}

/* After KEY_GEN/KEY_DESTROY: write the keystore, if there is one. */
static bool gmrk_keystore_commit(GmrkState *s)
{
    Error *err = NULL;

    if (!s->keystore || gmrk_keystore_save(s, &err)) {
        s->keystore_warned = false;
        return true;
    }
    /* Once per run of failures: the guest could otherwise flood the log. */
    if (!s->keystore_warned) {
        error_report_err(err);
        s->keystore_warned = true;
    } else {
        error_free(err);
    }
    return false;
}

static void gmrk_keys_free(GmrkState *s)
{
    if (s->slots) {
        explicit_bzero(s->slots, sizeof(*s->slots) * (s->key_slots + 1));
        gcry_free(s->slots);
        s->slots = NULL;
    }
    s->slot_map = 0;
    if (s->keystore_lock >= 0) {
        close(s->keystore_lock);        /* drops the flock */
        s->keystore_lock = -1;
    }
    gcry_mpi_point_release(s->ec_g);
    gcry_mpi_release(s->ec_p);
    gcry_mpi_release(s->ec_nm2);
    gcry_ctx_release(s->ec);
    s->ec_g = NULL;
    s->ec_p = s->ec_nm2 = NULL;
    s->ec = NULL;
}

/*
 * libgcrypt's secure memory starts as one mlock'ed pool of 32 KiB, made at
 * the first secure allocation; past it libgcrypt adds pools it does not
 * lock and warns "using insecure memory". Eight cards with 32 slots fill
 * 32 KiB, so the first card with key slots asks for a pool that holds
 * GMRK_SECMEM_CARDS such cards (slots, keystore image and a key job's
 * buffers). Nothing else in QEMU uses secure memory, so nobody has made
 * the pool before; a later card (hot-plugged too) leaves it alone.
 */
#define GMRK_SECMEM_CARDS       64
#define GMRK_SECMEM_POOL        (GMRK_SECMEM_CARDS * 4 * KiB)

static void gmrk_secmem_init(void)
{
    static bool done;

    if (!done) {
        done = true;
        gcry_control(GCRYCTL_INIT_SECMEM, (unsigned int)GMRK_SECMEM_POOL, 0);
    }
}

static bool gmrk_keys_init(GmrkState *s, Error **errp)
{
    gcry_mpi_t n;

    if (!s->key_slots) {
        return true;
    }
    gmrk_secmem_init();
    if (gcry_md_test_algo(GCRY_MD_SM3) ||
        gcry_mpi_ec_new(&s->ec, NULL, GMRK_SM2_CURVE)) {
        error_setg(errp, "gmrk: libgcrypt lacks SM3 or curve " GMRK_SM2_CURVE
                   " (need 1.9 or later)");
        return false;
    }
    s->ec_p = gcry_mpi_ec_get_mpi("p", s->ec, 1);
    s->ec_g = gcry_mpi_ec_get_point("g", s->ec, 1);
    n = gcry_mpi_ec_get_mpi("n", s->ec, 1);
    if (!s->ec_p || !s->ec_g || !n) {
        gcry_mpi_release(n);
        error_setg(errp, "gmrk: libgcrypt: incomplete curve " GMRK_SM2_CURVE);
        goto fail;
    }
    s->ec_nm2 = gcry_mpi_new(0);
    gcry_mpi_sub_ui(s->ec_nm2, n, 2);
    gcry_mpi_release(n);

    /*
     * One scratch slot past the last for KEY_DESTROY's undo copy. The
     * x-allocators abort on exhaustion like g_malloc; before that they
     * take further, unlocked pools when the first one is full.
     */
    s->slots = gcry_xcalloc_secure(s->key_slots + 1, sizeof(*s->slots));
    if (s->keystore &&
        (!gmrk_keystore_lock(s, errp) || !gmrk_keystore_load(s, errp))) {
        goto fail;
    }
    return true;
fail:
    gmrk_keys_free(s);
    return false;
}

/* ---- Key commands ---- */

/* Everything of a key descriptor but the slot's state; EINVAL if off. */
static bool gmrk_key_desc_ok(GmrkState *s, const struct gmrk_desc *d)
{
    uint32_t data_len = le32_to_cpu(d->data_len);
    uint32_t src_len = le32_to_cpu(d->src_len);
    uint32_t dst_len = le32_to_cpu(d->dst_len);
    uint64_t src = le64_to_cpu(d->src_addr);
    uint64_t dst = le64_to_cpu(d->dst_addr);

    if (!s->key_slots || d->alg != GMRK_ALG_SM2 ||
        (d->flags & ~GMRK_DF_IRQ) || d->key_len || d->tag_len ||
        d->iv_len || d->aad_len || le16_to_cpu(d->slot) >= s->key_slots) {
        return false;
    }
    switch (d->opcode) {
    case GMRK_OP_KEY_GEN:
    case GMRK_OP_KEY_PUB:
        return !src_len && data_len == GMRK_SM2_PUB_LEN &&
               dst_len >= data_len && dst + data_len > dst;
    case GMRK_OP_KEY_UNWRAP:
        return data_len >= 1 && data_len <= GMRK_UNWRAP_MAX &&
               src_len == GMRK_SM2_OVERHEAD + data_len &&
               src + src_len > src && dst_len >= data_len &&
               dst + data_len > dst;
    case GMRK_OP_KEY_DESTROY:
        return !src_len && !dst_len && !data_len;
    default:
        return false;
    }
}

static uint16_t gmrk_key_gen(GmrkState *s, unsigned int n)
{
    GmrkKeySlot *slot = &s->slots[n];

    if (!gmrk_sm2_keygen(s, slot)) {
        return GMRK_ST_EDEV;
    }
    s->slot_map |= 1u << n;
    if (!gmrk_keystore_commit(s)) {
        /* Not stored, so not generated: the slot stays empty. */
        explicit_bzero(slot, sizeof(*slot));
        s->slot_map &= ~(1u << n);
        return GMRK_ST_EDEV;
    }
    return GMRK_ST_OK;
}

static uint16_t gmrk_key_destroy(GmrkState *s, unsigned int n)
{
    GmrkKeySlot *slot = &s->slots[n], *undo = &s->slots[s->key_slots];
    uint16_t st = GMRK_ST_OK;

    memcpy(undo, slot, sizeof(*slot));
    explicit_bzero(slot, sizeof(*slot));
    s->slot_map &= ~(1u << n);
    if (!gmrk_keystore_commit(s)) {
        /* Still in the keystore, so not destroyed: report it, keep it. */
        memcpy(slot, undo, sizeof(*slot));
        s->slot_map |= 1u << n;
        st = GMRK_ST_EDEV;
    }
    explicit_bzero(undo, sizeof(*undo));
    return st;
}

/* Size of a key command's secure bounce buffer: input, output, scratch. */
#define GMRK_KEY_BUF_IN         (GMRK_SM2_OVERHEAD + GMRK_UNWRAP_MAX)
#define GMRK_KEY_BUF_OUT        MAX(GMRK_SM2_PUB_LEN, GMRK_UNWRAP_MAX)
#define GMRK_KEY_BUF_WORK       (2 * GMRK_SM2_PUB_LEN + GMRK_UNWRAP_MAX)
#define GMRK_KEY_BUF            (GMRK_KEY_BUF_IN + GMRK_KEY_BUF_OUT + \
                                 GMRK_KEY_BUF_WORK)

/* Run one GMRK_OP_KEY_* job; returns its completion status. */
static uint16_t gmrk_key_run(GmrkQueue *q, const struct gmrk_desc *d,
                             uint64_t *cost)
{
    GmrkState *s = q->s;
    PCIDevice *pdev = PCI_DEVICE(s);
    unsigned int n = le16_to_cpu(d->slot);
    uint32_t data_len = le32_to_cpu(d->data_len);
    uint64_t src = le64_to_cpu(d->src_addr);
    uint64_t dst = le64_to_cpu(d->dst_addr);
    uint8_t *buf, *in, *out;
    GmrkKeySlot *slot;
    uint16_t st;

    if (!gmrk_key_desc_ok(s, d)) {
        return GMRK_ST_EINVAL;
    }
    if (s->fail_next) {
        s->fail_next--;
        return GMRK_ST_EDEV;
    }
    slot = &s->slots[n];
    if (d->opcode == GMRK_OP_KEY_GEN ? slot->used : !slot->used) {
        return slot->used ? GMRK_ST_EEXIST : GMRK_ST_ENOKEY;
    }
    *cost = GMRK_KEY_OP_COST;
    if (d->opcode == GMRK_OP_KEY_DESTROY) {
        return gmrk_key_destroy(s, n);
    }

    buf = gcry_xmalloc_secure(GMRK_KEY_BUF);
    in = buf;
    out = in + GMRK_KEY_BUF_IN;
    switch (d->opcode) {
    case GMRK_OP_KEY_GEN:
        /* A key nobody could be told about would be lost in the slot. */
        if (!dma_memory_valid(pci_get_address_space(pdev), dst, data_len,
                              DMA_DIRECTION_FROM_DEVICE,
                              MEMTXATTRS_UNSPECIFIED)) {
            st = GMRK_ST_EDMA;
            break;
        }
        st = gmrk_key_gen(s, n);
        memcpy(out, slot->pub, GMRK_SM2_PUB_LEN);
        break;
    case GMRK_OP_KEY_PUB:
        memcpy(out, slot->pub, GMRK_SM2_PUB_LEN);
        st = GMRK_ST_OK;
        break;
    default:    /* GMRK_OP_KEY_UNWRAP */
        if (pci_dma_read(pdev, src, in, GMRK_SM2_OVERHEAD + data_len)
            != MEMTX_OK) {
            st = GMRK_ST_EDMA;
            break;
        }
        st = gmrk_sm2_decrypt(s, slot, in, data_len, out,
                              out + GMRK_KEY_BUF_OUT);
        break;
    }
    if (st == GMRK_ST_OK) {
        if (s->corrupt_next) {
            s->corrupt_next--;
            out[0] ^= 0x01;
        }
        /* Nothing reaches dst unless the command succeeded. */
        if (pci_dma_write(pdev, dst, out, data_len) != MEMTX_OK) {
            st = GMRK_ST_EDMA;
        }
    }
    explicit_bzero(buf, GMRK_KEY_BUF);
    gcry_free(buf);
    return st;
}

/* Run one job; returns its completion status. @bytes: data it moved. */
static uint16_t gmrk_job_run(GmrkQueue *q, const struct gmrk_desc *d,
                             uint64_t *bytes)
{
    GmrkState *s = q->s;
    uint32_t aad_len = le32_to_cpu(d->aad_len);
    uint32_t data_len = le32_to_cpu(d->data_len);
    bool sgl = d->flags & GMRK_DF_SGL;
    unsigned int nsrc, ndst;
    uint64_t in_len, out_len;
    uint8_t *buf;
    int algo, mode;
    uint16_t st;
    bool enc;

    *bytes = 0;
    switch (d->opcode) {
    case GMRK_OP_NOP:
        return GMRK_ST_OK;
    case GMRK_OP_ENCRYPT:
    case GMRK_OP_DECRYPT:
        break;
    case GMRK_OP_KEY_GEN:
    case GMRK_OP_KEY_PUB:
    case GMRK_OP_KEY_UNWRAP:
    case GMRK_OP_KEY_DESTROY:
        return gmrk_key_run(q, d, bytes);
    default:
        return GMRK_ST_EINVAL;
    }
    if (d->flags & ~(GMRK_DF_SGL | GMRK_DF_IRQ)) {
        return GMRK_ST_EINVAL;
    }
    if (!gmrk_alg_params(d, &algo, &mode)) {
        return GMRK_ST_ENOTSUPP;
    }
    if ((uint64_t)aad_len + data_len > s->max_data) {
        return GMRK_ST_E2BIG;
    }
    if (s->fail_next) {
        s->fail_next--;
        return GMRK_ST_EDEV;
    }

    enc = d->opcode == GMRK_OP_ENCRYPT;
    in_len = (uint64_t)aad_len + data_len + (enc ? 0 : d->tag_len);
    out_len = (uint64_t)data_len + (enc ? d->tag_len : 0);

    st = gmrk_resolve(q, sgl, le64_to_cpu(d->src_addr),
                      le32_to_cpu(d->src_len), in_len, q->src_seg, &nsrc);
    if (st == GMRK_ST_OK) {
        st = gmrk_resolve(q, sgl, le64_to_cpu(d->dst_addr),
                          le32_to_cpu(d->dst_len), out_len, q->dst_seg,
                          &ndst);
    }
    if (st != GMRK_ST_OK) {
        return st;
    }

    /*
     * Room for the tag either way; all input is read before any output
     * is written, which makes in-place (src == dst) jobs work.
     */
    buf = g_malloc((uint64_t)aad_len + data_len + GMRK_TAG_MAX);
    st = gmrk_dma_segs(q, q->src_seg, nsrc, buf, false);
    if (st == GMRK_ST_OK) {
        st = gmrk_aead(d, algo, mode, buf, aad_len, data_len);
    }
    if (st == GMRK_ST_OK) {
        if (s->corrupt_next && out_len) {
            s->corrupt_next--;
            buf[aad_len] ^= 0x01;
        }
        /* Nothing reaches dst unless the tag checked out. */
        st = gmrk_dma_segs(q, q->dst_seg, ndst, buf + aad_len, true);
        *bytes = data_len;
    }
    explicit_bzero(buf, (uint64_t)aad_len + data_len + GMRK_TAG_MAX);
    g_free(buf);
    return st;
}

/* ---- Queue engine (bottom half, BQL held) ---- */

/* Fetch descriptors while the CQ has room for all fetched jobs. */
static void gmrk_queue_fetch(GmrkQueue *q)
{
    GmrkState *s = q->s;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    while (gmrk_queue_running(q) && q->sq_head != q->sq_tail &&
           gmrk_dist(q, q->cq_tail, q->cq_head) + q->job_count < q->size) {
        GmrkJob *job = &q->jobs[(q->job_first + q->job_count) % s->depth];
        dma_addr_t at = q->sq_base + (q->sq_head % q->size) * GMRK_DESC_SIZE;

        if (pci_dma_read(PCI_DEVICE(s), at, &job->desc, sizeof(job->desc))
            != MEMTX_OK) {
            gmrk_queue_error(q, "submission ring read failed");
            return;
        }
        q->sq_head = (q->sq_head + 1) & q->wrap;
        job->sq_head = q->sq_head;
        job->due_ns = now + (int64_t)s->latency_us * SCALE_US;
        q->job_count++;
    }
}

/* Execute the oldest job and post its completion. */
static bool gmrk_queue_complete_one(GmrkQueue *q, uint64_t *bytes)
{
    GmrkState *s = q->s;
    GmrkJob *slot = &q->jobs[q->job_first];
    struct gmrk_cpl cpl = { 0 };
    GmrkJob job = *slot;
    dma_addr_t at;
    uint16_t st;
    bool irq;

    explicit_bzero(slot, sizeof(*slot));
    q->job_first = (q->job_first + 1) % s->depth;
    q->job_count--;

    st = gmrk_job_run(q, &job.desc, bytes);
    if (st != GMRK_ST_OK && st != GMRK_ST_EBADMSG) {
        gmrk_count_error(s);
    }
    cpl.cookie = job.desc.cookie;       /* already little endian */
    cpl.status = cpu_to_le16(st);
    cpl.sq_head = cpu_to_le16(job.sq_head);
    irq = job.desc.flags & GMRK_DF_IRQ;
    explicit_bzero(&job, sizeof(job));

    /*
     * The BH runs under the device's reentrancy guard, so a job's DMA
     * cannot reach our registers; stay defensive all the same.
     */
    if (!gmrk_queue_running(q)) {
        return false;
    }
    at = q->cq_base + (q->cq_tail % q->size) * GMRK_CPL_SIZE;
    if (pci_dma_write(PCI_DEVICE(s), at, &cpl, sizeof(cpl)) != MEMTX_OK) {
        gmrk_queue_error(q, "completion ring write failed");
        return false;
    }
    q->cq_tail = (q->cq_tail + 1) & q->wrap;
    s->jobs_done++;
    s->intr_status |= 1u << q->idx;
    return irq;
}

static bool gmrk_device_runs(GmrkState *s)
{
    return (s->ctrl & GMRK_CTRL_ENABLE) && !(s->status & GMRK_STATUS_FATAL);
}

static void gmrk_queue_bh(void *opaque)
{
    GmrkQueue *q = opaque;
    GmrkState *s = q->s;
    uint64_t bytes = 0;
    unsigned int done = 0;
    bool irq = false;

    if (!gmrk_device_runs(s) || !gmrk_queue_running(q)) {
        return;
    }
    for (;;) {
        int64_t now;
        uint64_t n;

        /* Cheap when there is nothing to fetch or no CQ room. */
        if (!s->queue_full) {
            gmrk_queue_fetch(q);
        }
        if (s->stall || !q->job_count || !gmrk_queue_running(q)) {
            break;
        }
        now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
        if (q->jobs[q->job_first].due_ns > now) {
            timer_mod(&q->timer, q->jobs[q->job_first].due_ns);
            break;
        }
        if (done >= GMRK_BH_MAX_JOBS || bytes >= GMRK_BH_MAX_BYTES) {
            qemu_bh_schedule(q->bh);
            break;
        }
        irq |= gmrk_queue_complete_one(q, &n);
        bytes += n;
        done++;
    }
    if (irq) {
        q->irq_latched = true;
    }
    if (irq || done) {
        gmrk_update_irq(s);
    }
}

static void gmrk_queue_timer(void *opaque)
{
    GmrkQueue *q = opaque;

    /* Work happens in the bottom half, under the reentrancy guard. */
    qemu_bh_schedule(q->bh);
}

/* ---- Interrupts ---- */

/*
 * MSI-X: a latched queue interrupt is sent once its INTR_MASK bit is
 * clear. INTx: the line is high while any queue has a latched, unmasked
 * interrupt; writing its INTR_STATUS bit clears the latch.
 */
static void gmrk_update_irq(GmrkState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    bool level = false;

    for (unsigned int i = 0; i < s->num_queues; i++) {
        GmrkQueue *q = &s->queues[i];

        if (!q->irq_latched || (s->intr_mask & (1u << i))) {
            continue;
        }
        if (msix_enabled(pdev)) {
            q->irq_latched = false;
            msix_notify(pdev, q->msix_vec);
        } else {
            level = true;
        }
    }
    /* INTx stays low while MSI-X is on, even if it was high before. */
    pci_set_irq(pdev, level && !msix_enabled(pdev));
}

/* ---- Reset ---- */

static void gmrk_hw_reset(GmrkState *s)
{
    for (unsigned int i = 0; i < s->num_queues; i++) {
        gmrk_queue_clear(&s->queues[i], true);
    }
    s->ctrl = 0;
    s->status = GMRK_STATUS_READY;
    s->intr_status = 0;
    s->intr_mask = 0;
    s->err_count = 0;
    pci_set_irq(PCI_DEVICE(s), 0);
}

static void gmrk_qdev_reset(DeviceState *dev)
{
    gmrk_hw_reset(PCI_GMRK(dev));
}

/* ---- Register file ---- */

static uint64_t gmrk_queue_read(GmrkQueue *q, hwaddr reg)
{
    switch (reg) {
    case GMRK_Q_SQ_BASE_LO:
        return q->sq_base_lo;
    case GMRK_Q_SQ_BASE_HI:
        return q->sq_base_hi;
    case GMRK_Q_CQ_BASE_LO:
        return q->cq_base_lo;
    case GMRK_Q_CQ_BASE_HI:
        return q->cq_base_hi;
    case GMRK_Q_SIZE:
        return q->size;
    case GMRK_Q_CTRL:
        return q->ctrl;
    case GMRK_Q_SQ_TAIL:
        return q->sq_tail;      /* a doorbell; reads back for debugging */
    case GMRK_Q_SQ_HEAD:
        return q->sq_head;
    case GMRK_Q_CQ_HEAD:
        return q->cq_head;
    case GMRK_Q_CQ_TAIL:
        return q->cq_tail;
    case GMRK_Q_MSIX_VEC:
        return q->msix_vec;
    case GMRK_Q_STATUS:
        return q->status;
    default:
        return 0;
    }
}

static void gmrk_sq_doorbell(GmrkQueue *q, uint32_t val)
{
    if (!gmrk_queue_running(q)) {
        /* Bring-up writes zeroes before enabling; only others are odd. */
        if (val) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "gmrk: queue %u: doorbell while not enabled\n",
                          q->idx);
        }
        return;
    }
    if (val > q->wrap) {
        gmrk_queue_error(q, "SQ_TAIL beyond 2 * size");
        return;
    }
    if (gmrk_dist(q, val, q->sq_head) > q->size) {
        gmrk_queue_error(q, "SQ_TAIL more than size entries ahead");
        return;
    }
    q->sq_tail = val;
    gmrk_queue_kick(q);
}

static void gmrk_cq_head_write(GmrkQueue *q, uint32_t val)
{
    if (!gmrk_queue_running(q)) {
        if (val) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "gmrk: queue %u: CQ_HEAD write while not enabled\n",
                          q->idx);
        }
        return;
    }
    if (val > q->wrap ||
        gmrk_dist(q, val, q->cq_head) > gmrk_dist(q, q->cq_tail, q->cq_head)) {
        gmrk_queue_error(q, "CQ_HEAD moved past CQ_TAIL");
        return;
    }
    q->cq_head = val;
    gmrk_queue_kick(q);        /* room in the CQ: fetch more */
}

static void gmrk_queue_write(GmrkQueue *q, hwaddr reg, uint32_t val)
{
    uint32_t *setup = NULL;

    switch (reg) {
    case GMRK_Q_SQ_BASE_LO:
        setup = &q->sq_base_lo;
        break;
    case GMRK_Q_SQ_BASE_HI:
        setup = &q->sq_base_hi;
        break;
    case GMRK_Q_CQ_BASE_LO:
        setup = &q->cq_base_lo;
        break;
    case GMRK_Q_CQ_BASE_HI:
        setup = &q->cq_base_hi;
        break;
    case GMRK_Q_SIZE:
        setup = &q->size;
        break;
    case GMRK_Q_MSIX_VEC:
        q->msix_vec = val & 0xffff;
        return;
    case GMRK_Q_CTRL:
        val &= GMRK_QCTRL_ENABLE;
        if (val && !q->ctrl) {
            q->ctrl = val;
            gmrk_queue_enable(q);
        } else if (!val && q->ctrl) {
            /* Abort: fetched jobs are dropped, nothing more is touched. */
            gmrk_queue_clear(q, false);
        }
        return;
    case GMRK_Q_SQ_TAIL:
        gmrk_sq_doorbell(q, val);
        return;
    case GMRK_Q_CQ_HEAD:
        gmrk_cq_head_write(q, val);
        return;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "gmrk: queue %u: write to read-only register 0x%x\n",
                      q->idx, (unsigned int)reg);
        return;
    }
    /*
     * Ring setup is latched at enable; changing it under a live queue
     * would let the device and driver disagree about the ring.
     */
    if (q->ctrl) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "gmrk: queue %u: ring setup written while enabled\n",
                      q->idx);
        return;
    }
    *setup = val;
}

static uint64_t gmrk_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    GmrkState *s = opaque;

    if (addr >= GMRK_QREG_BASE) {
        hwaddr q = (addr - GMRK_QREG_BASE) / GMRK_QREG_STRIDE;

        if (q >= s->num_queues) {
            return 0;
        }
        return gmrk_queue_read(&s->queues[q],
                               (addr - GMRK_QREG_BASE) % GMRK_QREG_STRIDE);
    }
    switch (addr) {
    case GMRK_REG_ID:
        return GMRK_ID_MAGIC;
    case GMRK_REG_VERSION:
        return GMRK_VERSION;
    case GMRK_REG_CAPS:
        return GMRK_CAPS | (s->key_slots ? GMRK_CAP_KEYSLOTS : 0);
    case GMRK_REG_NUM_QUEUES:
        return s->num_queues;
    case GMRK_REG_MAX_DEPTH:
        return s->depth;
    case GMRK_REG_MAX_DATA:
        return s->max_data;
    case GMRK_REG_CTRL:
        return s->ctrl;
    case GMRK_REG_STATUS:
        return s->status;
    case GMRK_REG_INTR_STATUS:
        return s->intr_status;
    case GMRK_REG_INTR_MASK:
        return s->intr_mask;
    case GMRK_REG_ERR_COUNT:
        return s->err_count;
    case GMRK_REG_KEY_SLOTS:
        return s->key_slots;
    case GMRK_REG_KEY_SLOT_MAP:
        return s->slot_map;
    default:
        return 0;
    }
}

static void gmrk_mmio_write(void *opaque, hwaddr addr, uint64_t val64,
                            unsigned size)
{
    GmrkState *s = opaque;
    uint32_t qmask = MAKE_64BIT_MASK(0, s->num_queues);
    uint32_t val = val64;

    if (addr >= GMRK_QREG_BASE) {
        hwaddr q = (addr - GMRK_QREG_BASE) / GMRK_QREG_STRIDE;

        if (q >= s->num_queues) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "gmrk: write to absent queue %u\n", (unsigned int)q);
            return;
        }
        gmrk_queue_write(&s->queues[q],
                         (addr - GMRK_QREG_BASE) % GMRK_QREG_STRIDE, val);
        return;
    }
    switch (addr) {
    case GMRK_REG_CTRL:
        if (val & GMRK_CTRL_RESET) {
            /* Synchronous: reads 0 again as soon as this write returns. */
            gmrk_hw_reset(s);
            return;
        }
        s->ctrl = val & GMRK_CTRL_ENABLE;
        gmrk_kick_all(s);
        return;
    case GMRK_REG_INTR_STATUS:
        s->intr_status &= ~(val & qmask);
        for (unsigned int i = 0; i < s->num_queues; i++) {
            if (val & (1u << i)) {
                s->queues[i].irq_latched = false;
            }
        }
        gmrk_update_irq(s);
        return;
    case GMRK_REG_INTR_MASK:
        s->intr_mask = val & qmask;
        gmrk_update_irq(s);
        return;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "gmrk: write to read-only register 0x%x\n",
                      (unsigned int)addr);
        return;
    }
}

static const MemoryRegionOps gmrk_mmio_ops = {
    .read = gmrk_mmio_read,
    .write = gmrk_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

/* ---- Run-time knobs ---- */

/* Class properties; @opaque is the field's offset in GmrkState. */
static void *gmrk_field(Object *obj, void *opaque)
{
    return (char *)PCI_GMRK(obj) + (uintptr_t)opaque;
}

static void gmrk_get_u32(Object *obj, Visitor *v, const char *name,
                         void *opaque, Error **errp)
{
    uint32_t val = *(uint32_t *)gmrk_field(obj, opaque);

    visit_type_uint32(v, name, &val, errp);
}

static void gmrk_set_u32(Object *obj, Visitor *v, const char *name,
                         void *opaque, Error **errp)
{
    uint32_t val;

    if (visit_type_uint32(v, name, &val, errp)) {
        *(uint32_t *)gmrk_field(obj, opaque) = val;
    }
}

static void gmrk_get_u64(Object *obj, Visitor *v, const char *name,
                         void *opaque, Error **errp)
{
    uint64_t val = *(uint64_t *)gmrk_field(obj, opaque);

    visit_type_uint64(v, name, &val, errp);
}

static bool gmrk_get_stall(Object *obj, Error **errp)
{
    return PCI_GMRK(obj)->stall;
}

static void gmrk_set_stall(Object *obj, bool val, Error **errp)
{
    GmrkState *s = PCI_GMRK(obj);

    s->stall = val;
    if (!val) {
        gmrk_kick_all(s);       /* complete what was held back */
    }
}

static bool gmrk_get_queue_full(Object *obj, Error **errp)
{
    return PCI_GMRK(obj)->queue_full;
}

static void gmrk_set_queue_full(Object *obj, bool val, Error **errp)
{
    GmrkState *s = PCI_GMRK(obj);

    s->queue_full = val;
    if (!val) {
        gmrk_kick_all(s);
    }
}

static bool gmrk_get_fatal(Object *obj, Error **errp)
{
    return PCI_GMRK(obj)->status & GMRK_STATUS_FATAL;
}

static void gmrk_set_fatal(Object *obj, bool val, Error **errp)
{
    GmrkState *s = PCI_GMRK(obj);

    if (val) {
        s->status |= GMRK_STATUS_FATAL;
    } else {
        s->status &= ~GMRK_STATUS_FATAL;
        gmrk_kick_all(s);
    }
}

/* ---- Life cycle ---- */

static void gmrk_free_queues(GmrkState *s)
{
    for (unsigned int i = 0; i < GMRK_MAX_QUEUES; i++) {
        GmrkQueue *q = &s->queues[i];

        if (q->bh) {
            qemu_bh_delete(q->bh);
            q->bh = NULL;
            timer_del(&q->timer);
        }
        if (q->jobs) {
            explicit_bzero(q->jobs, sizeof(*q->jobs) * s->depth);
        }
        g_free(q->jobs);
        g_free(q->sge);
        g_free(q->src_seg);
        g_free(q->dst_seg);
        q->jobs = NULL;
        q->sge = NULL;
        q->src_seg = q->dst_seg = NULL;
    }
}

static void gmrk_realize(PCIDevice *pdev, Error **errp)
{
    GmrkState *s = PCI_GMRK(pdev);
    DeviceState *dev = DEVICE(pdev);

    if (s->num_queues < 1 || s->num_queues > GMRK_MAX_QUEUES) {
        error_setg(errp, "gmrk: queues must be 1..%d", GMRK_MAX_QUEUES);
        return;
    }
    if (s->depth < GMRK_MIN_DEPTH || s->depth > GMRK_MAX_DEPTH ||
        !is_power_of_2(s->depth)) {
        error_setg(errp, "gmrk: depth must be a power of two in %d..%d",
                   GMRK_MIN_DEPTH, GMRK_MAX_DEPTH);
        return;
    }
    if (s->max_data < GMRK_MIN_MAX_DATA || s->max_data > GMRK_MAX_MAX_DATA) {
        error_setg(errp, "gmrk: max-data must be in %" PRIu64 "..%" PRIu64,
                   (uint64_t)GMRK_MIN_MAX_DATA, (uint64_t)GMRK_MAX_MAX_DATA);
        return;
    }
    if (s->key_slots > GMRK_MAX_KEY_SLOTS) {
        error_setg(errp, "gmrk: key-slots must be in 0..%d",
                   GMRK_MAX_KEY_SLOTS);
        return;
    }
    if (s->keystore && !*s->keystore) {
        error_setg(errp, "gmrk: keystore must name a file");
        return;
    }
    if (s->keystore && !s->key_slots) {
        error_setg(errp, "gmrk: keystore needs key-slots of 1 or more");
        return;
    }
    if (!gcry_check_version(GCRYPT_VERSION) ||
        gcry_cipher_algo_info(GCRY_CIPHER_SM4, GCRYCTL_TEST_ALGO, NULL, NULL)) {
        error_setg(errp, "gmrk: libgcrypt lacks SM4 (need 1.9 or later)");
        return;
    }
    /* Before anything else is set up: a bad keystore fails realize. */
    if (!gmrk_keys_init(s, errp)) {
        return;
    }

    pci_config_set_interrupt_pin(pdev->config, 1);

    memory_region_init_io(&s->regs, OBJECT(s), &gmrk_mmio_ops, s, "gmrk-regs",
                          GMRK_BAR_SIZE);
    pci_register_bar(pdev, GMRK_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->regs);

    /* msix=off leaves INTx only, to exercise a driver's shared-line path. */
    if (s->use_msix) {
        if (msix_init_exclusive_bar(pdev, s->num_queues, GMRK_MSIX_BAR,
                                    errp)) {
            gmrk_keys_free(s);
            return;
        }
        for (unsigned int i = 0; i < s->num_queues; i++) {
            msix_vector_use(pdev, i);
        }
    }

    for (unsigned int i = 0; i < GMRK_MAX_QUEUES; i++) {
        GmrkQueue *q = &s->queues[i];

        q->s = s;
        q->idx = i;
        if (i >= s->num_queues) {
            continue;
        }
        q->jobs = g_new0(GmrkJob, s->depth);
        q->sge = g_new0(struct gmrk_sge, GMRK_SGL_MAX);
        q->src_seg = g_new0(GmrkSeg, GMRK_SGL_MAX);
        q->dst_seg = g_new0(GmrkSeg, GMRK_SGL_MAX);
        /* Guarded: DMA aimed at our own BAR cannot re-enter the model. */
        q->bh = qemu_bh_new_guarded(gmrk_queue_bh, q,
                                    &dev->mem_reentrancy_guard);
        timer_init_ns(&q->timer, QEMU_CLOCK_VIRTUAL, gmrk_queue_timer, q);
    }
    gmrk_hw_reset(s);
}

static void gmrk_exit(PCIDevice *pdev)
{
    GmrkState *s = PCI_GMRK(pdev);

    /* Jobs still held are dropped, as on reset; their keys are wiped. */
    gmrk_free_queues(s);
    /* The slots' copy in memory goes; a keystore keeps them. */
    gmrk_keys_free(s);
    if (msix_present(pdev)) {
        for (unsigned int i = 0; i < s->num_queues; i++) {
            msix_vector_unuse(pdev, i);
        }
        msix_uninit_exclusive_bar(pdev);
    }
}

static Property gmrk_properties[] = {
    DEFINE_PROP_UINT32("queues", GmrkState, num_queues, 4),
    DEFINE_PROP_UINT32("depth", GmrkState, depth, GMRK_DEF_DEPTH),
    DEFINE_PROP_UINT32("max-data", GmrkState, max_data, GMRK_DEF_MAX_DATA),
    DEFINE_PROP_BOOL("msix", GmrkState, use_msix, true),
    DEFINE_PROP_UINT32("key-slots", GmrkState, key_slots, GMRK_DEF_KEY_SLOTS),
    DEFINE_PROP_STRING("keystore", GmrkState, keystore),
    DEFINE_PROP_END_OF_LIST(),
};

static const VMStateDescription gmrk_vmstate = {
    .name = "gmrk",
    .unmigratable = 1,          /* jobs in flight hold guest pointers */
};

static void gmrk_instance_init(Object *obj)
{
    PCI_GMRK(obj)->keystore_lock = -1;
}

static void gmrk_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = gmrk_realize;
    k->exit = gmrk_exit;
    k->vendor_id = GMRK_PCI_VENDOR_ID;
    k->device_id = GMRK_PCI_DEVICE_ID;
    k->class_id = GMRK_PCI_CLASS >> 8;
    k->revision = GMRK_VERSION_MAJOR;
    dc->desc = "gm-rk crypto card (SM4/AES-GCM, ChaCha20-Poly1305, "
               "SM2 key slots)";
    dc->reset = gmrk_qdev_reset;
    dc->vmsd = &gmrk_vmstate;
    dc->hotpluggable = true;
    device_class_set_props(dc, gmrk_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);

    object_class_property_add(klass, "latency-us", "uint32", gmrk_get_u32,
                              gmrk_set_u32, NULL,
                              (void *)offsetof(GmrkState, latency_us));
    object_class_property_add(klass, "fail-next", "uint32", gmrk_get_u32,
                              gmrk_set_u32, NULL,
                              (void *)offsetof(GmrkState, fail_next));
    object_class_property_add(klass, "corrupt-next", "uint32", gmrk_get_u32,
                              gmrk_set_u32, NULL,
                              (void *)offsetof(GmrkState, corrupt_next));
    object_class_property_add(klass, "jobs", "uint64", gmrk_get_u64, NULL,
                              NULL, (void *)offsetof(GmrkState, jobs_done));
    object_class_property_add(klass, "errors", "uint64", gmrk_get_u64, NULL,
                              NULL, (void *)offsetof(GmrkState, errors));
    object_class_property_add(klass, "key-slot-map", "uint32", gmrk_get_u32,
                              NULL, NULL,
                              (void *)offsetof(GmrkState, slot_map));
    object_class_property_add_bool(klass, "stall", gmrk_get_stall,
                                   gmrk_set_stall);
    object_class_property_add_bool(klass, "queue-full", gmrk_get_queue_full,
                                   gmrk_set_queue_full);
    object_class_property_add_bool(klass, "fatal", gmrk_get_fatal,
                                   gmrk_set_fatal);
}

static const TypeInfo gmrk_info = {
    .name = TYPE_PCI_GMRK,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(GmrkState),
    .instance_init = gmrk_instance_init,
    .class_init = gmrk_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void gmrk_register_types(void)
{
    type_register_static(&gmrk_info);
}

type_init(gmrk_register_types)

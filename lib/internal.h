/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libgmrk internals shared between the library's source files. Nothing
 * here is exported (lib/libgmrk.map exports gmrk_* only, and these names
 * are gmrk__*).
 */
#ifndef GMRK_INTERNAL_H
#define GMRK_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gmrk/gmrk.h>

struct kcapi_handle;
struct evp_cipher_ctx_st;
struct gmrk_sm4gcm;
struct gcry_cipher_handle;

#define GMRK_MAXKEY	32
#define GMRK_AAD_STACK	256	/* AAD up to this size is built on the stack */

/*
 * Largest request (AAD + payload + tag) sent through AF_ALG. The kernel's
 * AEAD socket needs the whole request in its TX buffer before it runs,
 * and that buffer is sk_sndbuf (wmem_default, 208 KiB on Debian) bounded:
 * a bigger request would block in sendmsg forever. 128 KiB keeps well
 * inside it; bigger requests run in software.
 */
#define GMRK_AFALG_MAX	(128u * 1024)

/* auto routing measures 64 B, 256 B, 1 KiB, 4 KiB, 16 KiB, 64 KiB (lib/calibrate.c) */
#define GMRK_CAL_CLASSES	6

/* After a failed bind, an AF_ALG path is tried again this much later. */
#define GMRK_REPROBE_NS	(1000ull * 1000 * 1000)

/* ---------------------------------------------------------------- errors */

/*
 * Fill @err (when not NULL) and return -@code; _sys: GMRK_E_IO with ":
 * strerror(sys_errno)" appended. One implementation for the library and
 * its providers, which build on their own too: lib/keys/keyio.c's.
 */
#include "keys/keyio.h"
#define gmrk__err	gmrk_keys__err
#define gmrk__err_sys	gmrk_keys__err_sys
#define gmrk__err_clear	gmrk_keys__err_clear

/* ---------------------------------------------------------------- util */

void gmrk__memzero(void *p, size_t n);
int gmrk__hex_decode(const char *hex, size_t hexlen, uint8_t *out, size_t cap,
		     size_t *outlen);
void gmrk__put_be16(uint8_t *p, uint16_t v);
void gmrk__put_be32(uint8_t *p, uint32_t v);
void gmrk__put_be64(uint8_t *p, uint64_t v);
uint16_t gmrk__get_be16(const uint8_t *p);
uint32_t gmrk__get_be32(const uint8_t *p);
uint64_t gmrk__get_be64(const uint8_t *p);
int gmrk__getrandom(void *buf, size_t len);
uint64_t gmrk__now_ns(void);
bool gmrk__overlap(const void *a, size_t alen, const void *b, size_t blen);

/* --------------------------------------------------------------- ciphers */

bool gmrk__cipher_valid(enum gmrk_cipher c);
bool gmrk__keylen_ok(enum gmrk_cipher c, size_t keylen);
/* key length blocks and key files use for @c */
size_t gmrk__block_keylen(enum gmrk_cipher c);

/* ------------------------------------------------------------- AEAD path */

/* AF_ALG paths, index into the per-instance handle arrays */
enum { GMRK_AF_CARD = 0, GMRK_AF_KERNEL = 1, GMRK_AF_COUNT = 2 };

struct gmrk_afslot {
	struct kcapi_handle *h;
	int state;		/* 0 untried, 1 ready, <0 -errno of last failure */
	uint64_t retry_at;	/* gmrk__now_ns() after which to try again */
	unsigned int gen;	/* gmrk__fork_gen() when bound */
};

/*
 * One key under one cipher with everything each path needs: OpenSSL
 * contexts with the key schedule done once, libgmrk's SM4-GCM context,
 * and lazily bound AF_ALG sockets (card and kernel).
 */
struct gmrk_aead {
	enum gmrk_cipher cipher;
	size_t keylen;
	uint8_t key[GMRK_MAXKEY];
	struct evp_cipher_ctx_st *enc, *dec;	/* OpenSSL EVP */
	struct gcry_cipher_handle *gcry;	/* libgcrypt */
	/* with both: requests of this many bytes and more go to EVP (lib/soft.c) */
	size_t evp_from;
	struct gmrk_sm4gcm *sm4;
	struct gmrk_afslot af[GMRK_AF_COUNT];
};

/* @flags: the context's GMRK_CFG_* (GMRK_CFG_SOFT_OPENSSL picks EVP) */
int gmrk__aead_init(struct gmrk_aead *a, enum gmrk_cipher c,
		    const uint8_t *key, size_t keylen, unsigned int flags,
		    gmrk_error *err);
void gmrk__aead_clear(struct gmrk_aead *a);

/* one AEAD request, whichever path runs it */
struct gmrk_req {
	bool enc;
	const uint8_t *nonce;	/* GMRK_NONCE_LEN */
	const uint8_t *aad;
	size_t aadlen;
	const uint8_t *in;
	size_t len;
	uint8_t *out;
	uint8_t *tag;		/* GMRK_TAG_LEN; written on encrypt, read on decrypt */
};

/* userspace software (lib/soft.c) */
bool gmrk__soft_has(enum gmrk_cipher c);
int gmrk__soft_run(struct gmrk_aead *a, const struct gmrk_req *r);

/* AF_ALG (lib/afalg.c): return 0, -EBADMSG, or another -errno */
int gmrk__af_bind(struct gmrk_ctx *ctx, struct gmrk_aead *a, int which);
int gmrk__af_run(struct kcapi_handle *h, const struct gmrk_req *r);
int gmrk__af_clone(struct kcapi_handle *h, struct kcapi_handle **out);
void gmrk__af_free(struct kcapi_handle *h);
void gmrk__af_drop(struct gmrk_afslot *s, int error);

/* /proc/crypto (lib/probe.c) */
struct gmrk_probe {
	bool done;
	uint64_t probed_at;
	bool afalg;			/* AF_ALG sockets can be created */
	char card[GMRK_CIPHER_COUNT][128];	/* driver name, "" if none */
	/* kernel candidates in order; first that binds wins */
	char kernel[GMRK_CIPHER_COUNT][6][128];
	int nkernel[GMRK_CIPHER_COUNT];
};
void gmrk__probe(struct gmrk_ctx *ctx);
int gmrk__probe_parse(const char *text, struct gmrk_probe *p);
const char *gmrk__card_driver(enum gmrk_cipher c);

/* routing (lib/route.c) */
enum gmrk_backend gmrk__route(struct gmrk_ctx *ctx, struct gmrk_aead *a,
			      const struct gmrk_req *r);
/* Run @r on the routed path with software fallback; records stats. */
int gmrk__run(struct gmrk_ctx *ctx, struct gmrk_aead *a,
	      const struct gmrk_req *r, enum gmrk_backend *used,
	      unsigned int *flags, gmrk_error *err);
/* Run @r in userspace software; records stats. */
int gmrk__run_soft(struct gmrk_ctx *ctx, struct gmrk_aead *a,
		   const struct gmrk_req *r, gmrk_error *err);
/* Run @r on AF_ALG handle @h (a batch worker's), no fallback. */
int gmrk__run_on(struct kcapi_handle *h, const struct gmrk_req *r);
/* auto routing's measured choice for a request of @n bytes (lib/calibrate.c) */
enum gmrk_backend gmrk__calibrated(struct gmrk_ctx *ctx, struct gmrk_aead *a,
				   size_t n);
/* at gmrk_ctx_new: measure the context's cipher now (auto routing only) */
void gmrk__calibrate_ctx(struct gmrk_ctx *ctx);
void gmrk__account(struct gmrk_ctx *ctx, enum gmrk_backend b, size_t bytes,
		   bool enc);

/* --------------------------------------------------------------- context */

enum gmrk_ek_kind { GMRK_EK_NONE = 0, GMRK_EK_RAW = 1, GMRK_EK_PASSPHRASE = 2,
		   GMRK_EK_SM2 = 3, GMRK_EK_TPM = 4, GMRK_EK_CARD = 5 };

struct gmrk_ek_sm2;	/* SM2 key pair + pincode (lib/masterkey.c) */
struct gmrk_ek_tpm;	/* TPM settings (lib/masterkey.c) */
struct gmrk_ek_card;	/* card key slot (lib/masterkey.c, lib/cardkey.c) */

struct gmrk_ek {
	enum gmrk_ek_kind kind;
	uint8_t *bytes;		/* raw key (32) or passphrase */
	size_t len;
	char source[96];	/* "environment variable GMRK_KEY", "file '...'" */
	/*
	 * GMRK_EK_SM2: the key pair, its private half unlocked at first use.
	 * GMRK_EK_TPM: the settings; bytes/len hold the unsealed key once
	 * gmrk__ek_ready has run.
	 */
	struct gmrk_ek_sm2 *sm2;
	struct gmrk_ek_tpm *tpm;
	/* GMRK_EK_CARD: the configured slot (and device); no secret here */
	struct gmrk_ek_card *card;
};

struct gmrk_counters {
	uint64_t seals, opens;
	uint64_t ops[GMRK_BACKEND_COUNT];
	uint64_t bytes[GMRK_BACKEND_COUNT];
	uint64_t fallbacks, busy_retries, auth_failures, plaintext_blocks;
	uint64_t errors, batches, calibrations;
};

struct gmrk_ctx {
	enum gmrk_cipher cipher;
	enum gmrk_backend backend;
	unsigned int flags;
	size_t threshold[GMRK_CIPHER_COUNT];
	bool threshold_set[GMRK_CIPHER_COUNT];	/* by config or environment */
	/* per request-size class: 0 not measured yet, else the fastest backend + 1 */
	uint8_t cal_best[GMRK_CIPHER_COUNT][GMRK_CAL_CLASSES];
	/* per class: measurements so far, routed requests since the last */
	uint8_t cal_runs[GMRK_CIPHER_COUNT][GMRK_CAL_CLASSES];
	uint32_t cal_reqs[GMRK_CIPHER_COUNT][GMRK_CAL_CLASSES];
	unsigned int max_inflight;
	unsigned int scrypt_log2n;
	uint64_t nonce_limit;
	struct gmrk_ek ek;
	struct gmrk_probe probe;
	bool af_seen[GMRK_AF_COUNT][GMRK_CIPHER_COUNT];	/* a bind ever worked */
	struct gmrk_aead *raw[GMRK_CIPHER_COUNT];	/* last raw-API key per cipher */
	struct gmrk_counters st;
	/* nonce randomness, refilled from OpenSSL's DRBG (lib/ctx.c) */
	uint8_t rnd[4092];	/* a multiple of GMRK_NONCE_LEN */
	size_t rnd_pos;
	unsigned int rnd_gen;
};

/* only the calling thread counts (batch workers do not), so no atomics */
#define GMRK_STAT_ADD(ctx, field, n) ((ctx)->st.field += (n))

void gmrk__raw_free(struct gmrk_ctx *ctx);

/* bumped in the child at every fork() */
unsigned int gmrk__fork_gen(void);

/* gmrk__fork_gen()'s counter; read directly only once a refill registered it */
extern unsigned int gmrk__forks __attribute__((visibility("hidden")));
int gmrk__nonce_refill(struct gmrk_ctx *ctx);

/*
 * A block's nonce: *@nonce points at 12 fresh random bytes in @ctx's
 * buffer (DRBG output, discarded across fork()), valid until the next draw
 * from @ctx. The first draw always refills (rnd_pos starts at the end),
 * and a refill registers the fork handler before it reads the counter.
 */
static inline int gmrk__nonce_draw(struct gmrk_ctx *ctx, const uint8_t **nonce)
{
	if (__builtin_expect(ctx->rnd_pos > sizeof(ctx->rnd) - GMRK_NONCE_LEN ||
			     __atomic_load_n(&gmrk__forks, __ATOMIC_RELAXED) !=
			     ctx->rnd_gen, 0)) {
		int rc = gmrk__nonce_refill(ctx);

		if (rc)
			return rc;
	}
	*nonce = ctx->rnd + ctx->rnd_pos;
	ctx->rnd_pos += GMRK_NONCE_LEN;
	return 0;
}

/* master key (lib/masterkey.c) */
int gmrk__ek_load(struct gmrk_ek *ek, const struct gmrk_config *cfg,
		  gmrk_error *err);
void gmrk__ek_clear(struct gmrk_ek *ek);
int gmrk__ek_classify(const char *s, size_t len, struct gmrk_ek *ek);
int gmrk__hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
	       size_t saltlen, const uint8_t *info, size_t infolen,
	       uint8_t *out, size_t outlen);
int gmrk__scrypt(const uint8_t *pass, size_t passlen, const uint8_t *salt,
		 size_t saltlen, unsigned int log2n, uint32_t r, uint32_t p,
		 uint8_t *out, size_t outlen);
/*
 * Makes the provider usable for key file @path of @asset: TPM: unseals the
 * key (once); SM2 with @need_private: unlocks the private key (once).
 * Errors name the key file and asset; a WRONG_KEY result is remembered, so
 * a wrong password is not retried against the TPM's lockout counter.
 */
int gmrk__ek_ready(struct gmrk_ek *ek, bool need_private, const char *path,
		   const char *asset, gmrk_error *err);
/* SM2: wraps / unwraps a key file's GMRK_KF_SECRET-byte secret */
int gmrk__ek_sm2_wrap(struct gmrk_ek *ek, const uint8_t *secret, uint8_t *out,
		      size_t cap, size_t *outlen, const char *path,
		      const char *asset, gmrk_error *err);
int gmrk__ek_sm2_unwrap(struct gmrk_ek *ek, const uint8_t *in, size_t len,
			uint8_t *secret, const char *path, const char *asset,
			gmrk_error *err);
struct gmrk_kf_entry;
/*
 * Card: wraps @e->secret to the configured slot's public key (read from
 * the card) into @e->wrapped, filling @e->card_slot and @e->card_pub; with
 * @verify the card unwraps it once before it is used. Unwraps @e->wrapped
 * into @e->secret on whichever /dev/gmrkN holds @e->card_pub.
 */
int gmrk__ek_card_wrap(struct gmrk_ek *ek, struct gmrk_kf_entry *e, bool verify,
		       const char *path, const char *asset, gmrk_error *err);
int gmrk__ek_card_unwrap(struct gmrk_ek *ek, struct gmrk_kf_entry *e,
			 const char *path, const char *asset, gmrk_error *err);

/* ------------------------------------------------------------------ keys */

/* GMRK_KEY_MAX_VERSIONS is public (gmrk_key_add_version's limit) */

struct gmrk_keyver {
	uint32_t version;
	uint8_t aek[GMRK_KEY_LEN];
	/* per-cipher block keys derived from aek, built on first use */
	struct gmrk_aead *aead[GMRK_CIPHER_COUNT];
	uint64_t used[GMRK_CIPHER_COUNT];	/* nonces drawn */
};

struct gmrk_key {
	struct gmrk_ctx *ctx;
	uint8_t id[GMRK_KEY_ID_LEN];
	unsigned int provider;
	enum gmrk_cipher wrap_cipher;
	char asset[256];
	int nver;
	struct gmrk_keyver ver[GMRK_KEY_MAX_VERSIONS];	/* ver[nver-1] seals */
	uint64_t sealed;
};

struct gmrk_keyver *gmrk__key_version(gmrk_key *key, uint32_t version);
int gmrk__key_aead(gmrk_key *key, struct gmrk_keyver *kv, enum gmrk_cipher c,
		   struct gmrk_aead **out, gmrk_error *err);

/* key file codec (lib/keyfile.c) */
#define GMRK_KF_MAGIC_LEN	8
#define GMRK_KF_FIXED		28	/* bytes before the asset name */
#define GMRK_KF_SALT		32
#define GMRK_KF_SEALED		(GMRK_KEY_LEN + GMRK_TAG_LEN)
/* provider sm2: salt, 2-byte length W, W bytes of SM2-wrapped secret */
#define GMRK_KF_SECRET		32
#define GMRK_KF_WRAPPED_MAX	192	/* GMRK_SM2_WRAPPED_MAX, checked in key.c */
/*
 * provider card: salt, slot (2), the slot's public key (65), W (2), W
 * bytes of raw C1 || C3 || C2 (98 .. GMRK_CARD_RAW_MAX, lib/cardkey.h)
 */
#define GMRK_KF_CARD_PUB	65
#define GMRK_KF_CARD_FIXED	(GMRK_KF_SALT + 2 + GMRK_KF_CARD_PUB + 2)
#define GMRK_KF_CARD_RAW_MIN	98
#define GMRK_KF_CARD_RAW_MAX	161
#define GMRK_KF_PARAMS_MAX	(GMRK_KF_CARD_FIXED + GMRK_KF_CARD_RAW_MAX)

struct gmrk_kf_entry {
	unsigned int provider;
	enum gmrk_cipher wrap;
	uint32_t version;
	uint8_t id[GMRK_KEY_ID_LEN];
	char asset[256];
	uint8_t salt[GMRK_KF_SALT];
	unsigned int log2n;		/* scrypt only */
	uint32_t r, p;			/* scrypt only */
	uint8_t nonce[GMRK_NONCE_LEN];
	uint8_t sealed[GMRK_KF_SEALED];
	const uint8_t *aad;		/* points into the parsed buffer */
	size_t aadlen;
	uint8_t wrapped[GMRK_KF_WRAPPED_MAX];	/* sm2 (DER), card (raw) */
	size_t wrappedlen;			/* sm2, card */
	uint8_t secret[GMRK_KF_SECRET];		/* sm2, card: unwrapped, never stored */
	unsigned int card_slot;			/* card only */
	uint8_t card_pub[GMRK_KF_CARD_PUB];	/* card only */
};

/* parse one entry at @buf; *used = its length */
int gmrk__kf_parse(const uint8_t *buf, size_t len, struct gmrk_kf_entry *e,
		   size_t *used, const char *name, gmrk_error *err);
/* encode @e's header (the AAD) into @buf; returns its length */
size_t gmrk__kf_encode_head(const struct gmrk_kf_entry *e, uint8_t *buf,
			    size_t cap);
/* key file I/O: lib/keys/keyio.c's, with the key file's size limit and name */
int gmrk__kf_read(const char *path, uint8_t **buf, size_t *len,
		  gmrk_error *err);
/* a new key file, never over an existing one (link()) */
int gmrk__kf_write_new(const char *path, const uint8_t *buf, size_t len,
		       gmrk_error *err);
/*
 * Rewrites an existing key file (gmrk_key_rewrap, gmrk_key_add_version,
 * gmrk_key_drop_versions): temp file, fsync, rename over @path, fsync the
 * directory. Call it holding gmrk__kf_lock(@path) since before the read
 * the new contents come from, so no other rewrite is lost.
 */
int gmrk__kf_replace(const char *path, const uint8_t *buf, size_t len,
		     gmrk_error *err);
/* exclusive lock on key file @path for read-change-replace; close() the fd */
int gmrk__kf_lock(const char *path, gmrk_error *err);

/* ---------------------------------------------------------------- format */

#define GMRK_FMT_VERSION	1
extern const uint8_t gmrk__magic[8];

struct gmrk_hdr {
	unsigned int version;
	enum gmrk_cipher cipher;
	uint32_t key_version;
	uint8_t key_id[GMRK_KEY_ID_LEN];
	uint8_t nonce[GMRK_NONCE_LEN];
	uint32_t payload_len;
};

/* 0, -GMRK_E_PLAINTEXT (no magic), -CORRUPT, -TRUNCATED, -UNSUPPORTED */
int gmrk__hdr_decode(const uint8_t *in, size_t len, struct gmrk_hdr *h,
		     gmrk_error *err);
/*
 * Sealing writes the header, and the AAD = header || position (8, big
 * endian) || caller's AD, in lib/block.c.
 */

/* the block operations on one gmrk_block, shared by single and batch calls */
struct gmrk_prep {
	struct gmrk_aead *aead;
	struct gmrk_req req;
	uint8_t *aadbuf;	/* heap when larger than stack[] */
	bool plaintext;		/* open: pass through, no crypto */
	uint8_t stack[GMRK_AAD_STACK];	/* the AAD when it fits */
};
int gmrk__seal_prep(gmrk_ctx *ctx, gmrk_key *key, struct gmrk_block *b,
		    struct gmrk_prep *p, gmrk_error *err);
int gmrk__open_prep(gmrk_ctx *ctx, gmrk_key *key, struct gmrk_block *b,
		    struct gmrk_prep *p, gmrk_error *err);
/* after the crypto ran: fill b->outlen/status; returns b->status */
int gmrk__block_finish(gmrk_ctx *ctx, struct gmrk_block *b,
		       struct gmrk_prep *p, int rc, gmrk_error *err);
void gmrk__prep_free(struct gmrk_prep *p);

#endif /* GMRK_INTERNAL_H */

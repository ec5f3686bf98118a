/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libgmrk: per-block encryption at rest for storage engines.
 *
 * A storage engine opens one context (gmrk_ctx_new), one key per asset
 * (gmrk_key_open: a stream, a shard, a database), and seals each block on
 * its way to disk (gmrk_seal) and opens it on its way back (gmrk_open).
 * The library sends each request to the fastest correct path: the gm-rk
 * card through AF_ALG, the kernel's own algorithms through AF_ALG, or
 * software (OpenSSL, and libgmrk's own SM4-GCM). Whatever the path, the
 * bytes on disk are the same; a failing card only shows in gmrk_stats().
 *
 * Every function that can fail returns 0 or a negative GMRK_E_* code and,
 * when @err is not NULL, fills it with the code and a one-line message.
 *
 * Threads: a context, and the keys opened in it, are used by one thread at
 * a time (open one context per thread). Batches use worker threads of
 * their own internally.
 *
 * Documentation/gmrk/libgmrk.rst and libgmrk(3) describe the whole API;
 * Documentation/gmrk/block-format.rst the bytes on disk.
 */
#ifndef GMRK_GMRK_H
#define GMRK_GMRK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GMRK_VERSION_MAJOR	1
#define GMRK_VERSION_MINOR	0
#define GMRK_VERSION_PATCH	0
#define GMRK_VERSION_STRING	"1.0.0"

/* Version of the library actually loaded ("1.0.0"). */
const char *gmrk_version(void);

/* ------------------------------------------------------------------ */
/* Errors                                                               */

enum gmrk_errcode {
	GMRK_OK = 0,
	GMRK_E_INVAL = 1,	/* invalid argument */
	GMRK_E_NOMEM,		/* out of memory */
	GMRK_E_AUTH,		/* message authentication failed */
	GMRK_E_WRONG_KEY,	/* the key does not match (wrong master key, other key id) */
	GMRK_E_CORRUPT,		/* malformed block or key file */
	GMRK_E_TRUNCATED,	/* block or file shorter than its header says */
	GMRK_E_UNSUPPORTED,	/* cipher, format version or backend not available */
	GMRK_E_IO,		/* a system call failed (errno in gmrk_error.sys_errno) */
	GMRK_E_NOKEY,		/* no key configured */
	GMRK_E_PERM,		/* key file readable or writable by others */
	GMRK_E_PLAINTEXT,	/* unencrypted block and the policy does not allow it */
	GMRK_E_SPACE,		/* output buffer too small */
	GMRK_E_EXHAUSTED,	/* key reached its usage limit: rotate it */
	GMRK_E_EXISTS,		/* key file already exists */
	GMRK_E_NOENT,		/* key file does not exist */
	GMRK_E_MAX
};

#define GMRK_ERRMSG_LEN 256

typedef struct gmrk_error {
	int code;			/* enum gmrk_errcode, positive; 0 = no error */
	int sys_errno;			/* the errno behind GMRK_E_IO, else 0 */
	char message[GMRK_ERRMSG_LEN];	/* one line, no trailing newline */
} gmrk_error;

/* Short text for a code ("message authentication failed"); either sign. */
const char *gmrk_strerror(int code);

/* ------------------------------------------------------------------ */
/* Ciphers and backends                                                 */

enum gmrk_cipher {
	GMRK_CIPHER_NONE = 0,
	GMRK_CIPHER_AES_GCM = 1,		/* AES-256-GCM in blocks; 128/192/256 raw */
	GMRK_CIPHER_SM4_GCM = 2,		/* SM4-GCM (RFC 8998) */
	GMRK_CIPHER_CHACHA20_POLY1305 = 3,	/* RFC 8439 */
};
#define GMRK_CIPHER_COUNT 4	/* array size for per-cipher tables, [0] unused */

/*
 * "aes", "aes-gcm", "aes-256-gcm", "sm4", "sm4-gcm", "chachapoly", "chacha",
 * "chacha20-poly1305" (any case). GMRK_CIPHER_NONE for anything else.
 */
enum gmrk_cipher gmrk_cipher_from_name(const char *name);
/* "aes-gcm", "sm4-gcm", "chacha20-poly1305"; NULL for an invalid cipher. */
const char *gmrk_cipher_name(enum gmrk_cipher c);

enum gmrk_backend {
	GMRK_BACKEND_AUTO = 0,	/* per request size, the path measured fastest */
	GMRK_BACKEND_CARD = 1,	/* the gm-rk card through AF_ALG (gmrk driver names) */
	GMRK_BACKEND_KERNEL = 2,/* the kernel's own software algorithms through AF_ALG */
	GMRK_BACKEND_SOFT = 3,	/* userspace: OpenSSL, libgmrk's SM4-GCM */
};
#define GMRK_BACKEND_COUNT 4

/* "auto", "card", "kernel", "soft" (also "software"); -1 for anything else. */
int gmrk_backend_from_name(const char *name);
const char *gmrk_backend_name(enum gmrk_backend b);

/* ------------------------------------------------------------------ */
/* Context                                                              */

/* gmrk_config.flags */
#define GMRK_CFG_ALLOW_PLAINTEXT (1u << 0)	/* gmrk_open passes unencrypted blocks through */
#define GMRK_CFG_IGNORE_ENV	(1u << 1)	/* ignore GMRK_BACKEND, GMRK_THRESHOLD*, GMRK_KEY, GMRK_SM2_*, GMRK_PINCODE, GMRK_TPM_*, GMRK_CARD_KEY */
#define GMRK_CFG_CALIBRATE	(1u << 2)	/* the default (kept for source compatibility):
						 * auto routing measures its paths at first use */
#define GMRK_CFG_NO_MASTER_KEY	(1u << 3)	/* do not look for a master key at all */
#define GMRK_CFG_SOFT_OPENSSL	(1u << 4)	/* software AES/ChaCha: OpenSSL, not libgcrypt */
#define GMRK_CFG_NO_CALIBRATE	(1u << 5)	/* auto: documented thresholds, no measuring */

struct gmrk_config {
	size_t size;			/* sizeof(struct gmrk_config); set by gmrk_config_init */
	enum gmrk_cipher cipher;	/* new blocks and key files; default AES-GCM */
	enum gmrk_backend backend;	/* routing policy; AUTO unless GMRK_BACKEND says */
	unsigned int flags;		/* GMRK_CFG_* */
	/*
	 * The master key (EK), first match wins: master_key/master_key_len
	 * (bytes the caller fetched, e.g. from a KMS; 64 hex digits or a
	 * passphrase, as for the environment), the environment variable
	 * master_key_env (default "GMRK_KEY"), the file master_key_file (must
	 * not be accessible by group or others). The library never writes it.
	 */
	const char *master_key;
	size_t master_key_len;
	const char *master_key_env;
	const char *master_key_file;
	/*
	 * Auto routing: requests (associated data + payload) of at least
	 * threshold[cipher] bytes go to the card. 0 = measured (the fastest
	 * path per request size; the documented default with
	 * GMRK_CFG_NO_CALIBRATE); SIZE_MAX = never.
	 */
	size_t threshold[GMRK_CIPHER_COUNT];
	unsigned int max_inflight;	/* batch requests in flight to AF_ALG; default 8 */
	unsigned int scrypt_log2n;	/* cost of new passphrase key files; default 15 */
	uint64_t nonce_limit;		/* blocks per key and cipher; default and max 2^32 */
	/*
	 * Master key providers besides the EK above. Order, first match wins:
	 * master_key, SM2, TPM, card, master_key_env, master_key_file. Each field
	 * left NULL/0 is taken from its environment variable (unless
	 * GMRK_CFG_IGNORE_ENV). Documentation/gmrk/key-management.rst.
	 *
	 * SM2 key pair (fctsdb gm-soft): new key files need only the public
	 * key; opening them needs the private key file and its pincode. The
	 * pincode variable is removed from the environment once read.
	 */
	const char *sm2_public_key;	/* 130 hex digits 04||X||Y; GMRK_SM2_PUBLIC_KEY */
	const char *sm2_private_key_file;	/* PEM, mode 0600; GMRK_SM2_PRIVATE_KEY_FILE */
	const char *sm2_pincode;	/* GMRK_PINCODE (removed once read) */
	size_t sm2_pincode_len;		/* 0: strlen(sm2_pincode) */
	/*
	 * TPM-sealed master key (NATS JetStream's tpm block, same names),
	 * unsealed at the first gmrk_key_open.
	 */
	const char *tpm_keys_file;	/* GMRK_TPM_KEYS_FILE; created when missing */
	const char *tpm_encryption_password;	/* GMRK_TPM_PASSWORD (removed once read) */
	const char *tpm_srk_password;	/* GMRK_TPM_SRK_PASSWORD (removed once read) */
	int tpm_pcr;			/* 17..23, 0: 22 or what keys_file records; GMRK_TPM_PCR */
	const char *tpm_cipher;		/* recorded in a new keys_file; GMRK_TPM_CIPHER */
	const char *tpm_tcti;		/* tpm2-tss TCTI; GMRK_TPM_TCTI */
	/*
	 * Card-held SM2 key (fctsdb gm-rk): "SLOT" or "gmrkN:SLOT", a key
	 * slot of a gm-rk card (gmrk cardkey generate). New key files are
	 * wrapped to the slot's public key, read from the card (of device
	 * gmrkN, else of the one device holding a key in SLOT); opening
	 * unwraps inside whichever /dev/gmrkN holds the public key the key
	 * file records. No software fallback: the private key is only in
	 * the card. GMRK_CARD_KEY.
	 */
	const char *card_key;
};

void gmrk_config_init(struct gmrk_config *cfg);

typedef struct gmrk_ctx gmrk_ctx;

/* @cfg NULL means defaults. Fails only on bad configuration or memory. */
gmrk_ctx *gmrk_ctx_new(const struct gmrk_config *cfg, gmrk_error *err);
void gmrk_ctx_free(gmrk_ctx *ctx);

/* Cipher for blocks sealed from now on; old blocks open with their own. */
int gmrk_ctx_set_cipher(gmrk_ctx *ctx, enum gmrk_cipher c, gmrk_error *err);
enum gmrk_cipher gmrk_ctx_cipher(const gmrk_ctx *ctx);

/* Whether a backend can run a cipher in this process (probes once). */
int gmrk_backend_available(gmrk_ctx *ctx, enum gmrk_backend b, enum gmrk_cipher c);

/* ------------------------------------------------------------------ */
/* Statistics                                                           */

struct gmrk_stats {
	uint64_t seals, opens;			/* requests completed (blocks and raw) */
	uint64_t ops[GMRK_BACKEND_COUNT];	/* by the path that produced the result */
	uint64_t bytes[GMRK_BACKEND_COUNT];	/* payload bytes by path */
	uint64_t fallbacks;		/* AF_ALG failed, software redid it */
	uint64_t busy_retries;		/* AF_ALG said EBUSY/EAGAIN, retried */
	uint64_t auth_failures;		/* opens rejected: tag mismatch */
	uint64_t plaintext_blocks;	/* unencrypted blocks passed through */
	uint64_t errors;		/* calls that returned an error */
	uint64_t batches;		/* gmrk_seal_many/gmrk_open_many calls */
	size_t threshold[GMRK_CIPHER_COUNT];	/* current auto-routing thresholds */
	unsigned int card_ciphers;	/* bit (1 << cipher) when the card has it */
	unsigned int kernel_ciphers;	/* bit (1 << cipher) when the kernel has it */
	uint64_t calibrations;		/* auto routing: size classes measured */
	uint64_t reserved[7];
};

int gmrk_stats(gmrk_ctx *ctx, struct gmrk_stats *st);
void gmrk_stats_reset(gmrk_ctx *ctx);

/* ------------------------------------------------------------------ */
/* Keys                                                                 */

typedef struct gmrk_key gmrk_key;

#define GMRK_KEY_ID_LEN	8
#define GMRK_KEY_LEN	32	/* asset keys (AEK) */

/* gmrk_key_open flags */
#define GMRK_KEY_CREATE	(1u << 0)	/* create the key file when it does not exist */
#define GMRK_KEY_EXCL	(1u << 1)	/* with CREATE: fail with GMRK_E_EXISTS if it exists */

/*
 * Opens (or creates) the key file @path of asset @asset (NULL: the file
 * name without ".key"). The asset key is unwrapped with a KEK derived from
 * the context's master key, the asset name and the file's salt. A new key
 * file is written crash-safe with mode 0600 and never replaces one that
 * exists. Nothing is ever deleted, whatever goes wrong.
 */
gmrk_key *gmrk_key_open(gmrk_ctx *ctx, const char *path, const char *asset,
			unsigned int flags, gmrk_error *err);
/* A key the engine manages itself: 32 bytes, an 8-byte id, a version. */
gmrk_key *gmrk_key_from_bytes(gmrk_ctx *ctx, const uint8_t *aek, size_t len,
			      const uint8_t id[GMRK_KEY_ID_LEN], uint32_t version,
			      gmrk_error *err);
void gmrk_key_free(gmrk_key *key);

struct gmrk_key_info {
	uint8_t id[GMRK_KEY_ID_LEN];
	uint32_t version;	/* version new blocks are sealed with */
	unsigned int provider;	/* GMRK_PROVIDER_*; 0 for gmrk_key_from_bytes */
	enum gmrk_cipher wrap_cipher;
	uint64_t sealed;	/* blocks sealed with this handle */
	char asset[256];
};
#define GMRK_PROVIDER_EK_HKDF	1	/* master key: 32 random bytes, HKDF-SHA256 */
#define GMRK_PROVIDER_EK_SCRYPT	2	/* master key: a passphrase, scrypt + HKDF */
#define GMRK_PROVIDER_SM2	3	/* an SM2-wrapped secret per key file, HKDF */
#define GMRK_PROVIDER_TPM	4	/* master key: 32 bytes sealed by a TPM, HKDF */
#define GMRK_PROVIDER_CARD	5	/* a secret per key file SM2-wrapped to a card key slot, HKDF */

int gmrk_key_info(const gmrk_key *key, struct gmrk_key_info *info);

/*
 * Master-key rotation: rewraps every entry (all key versions) of key file
 * @path of @asset (NULL: the asset the file names), which opens under
 * @from's master key, under @to's master key and @to's cipher, with fresh
 * salts and nonces; the key id, asset, versions and asset keys stay, so
 * every block keeps opening. The new file is checked to open under @to
 * with the same asset keys, then replaces the old one crash-safe (a
 * temporary file, fsync, rename, fsync of the directory): at any point
 * the file opens under the old or the new master key. @to must be able to
 * open key files (SM2: its private key and pincode). Returns 0 when
 * rewrapped, 1 when the file already opens under @to (nothing written:
 * an interrupted rotation runs again), or a negative GMRK_E_* code with
 * the file left as it was.
 */
int gmrk_key_rewrap(gmrk_ctx *from, gmrk_ctx *to, const char *path,
		    const char *asset, gmrk_error *err);

/* Most versions one key file holds (gmrk_key_add_version refuses more). */
#define GMRK_KEY_MAX_VERSIONS	16

/*
 * Asset-key rotation: appends a new random asset key as version N+1 to
 * key file @path of @asset (NULL: the file name without ".key"), whose
 * newest version is N, and returns the key opened: it seals with version
 * N+1 and opens blocks of every version the file holds, as
 * gmrk_key_open() does from now on. The key id stays; the versions there
 * are stay byte for byte. The new file is checked to give back the old
 * versions and the new one, then replaces the old one crash-safe (a
 * temporary file, fsync, rename, fsync of the directory): at any point
 * the file is the complete old one or the complete new one. Concurrent
 * calls (and gmrk_key_rewrap, gmrk_key_drop_versions) on one file are
 * serialized by a lock on it, so none is lost. Keys opened before keep
 * sealing with version N, which stays in the file. Returns NULL with the
 * file left as it was on any error: GMRK_E_EXHAUSTED when it already
 * holds GMRK_KEY_MAX_VERSIONS versions, the errors of gmrk_key_open()
 * (GMRK_E_NOENT: nothing is created).
 */
gmrk_key *gmrk_key_add_version(gmrk_ctx *ctx, const char *path,
			       const char *asset, gmrk_error *err);

/*
 * Removes from key file @path of @asset (NULL as above) every version
 * older than @below, once no block needs them: blocks of those versions
 * no longer open with it. The rest stays byte for byte; crash-safe and
 * locked like gmrk_key_add_version. Returns how many versions were
 * dropped (0: none is older, nothing written), or a negative code with
 * the file left as it was (GMRK_E_INVAL when @below is above the newest
 * version: a key file keeps at least its newest).
 */
int gmrk_key_drop_versions(gmrk_ctx *ctx, const char *path, const char *asset,
			   uint32_t below, gmrk_error *err);

/* ------------------------------------------------------------------ */
/* Blocks                                                               */

#define GMRK_HEADER_LEN		40
#define GMRK_TAG_LEN		16
#define GMRK_NONCE_LEN		12
#define GMRK_OVERHEAD		(GMRK_HEADER_LEN + GMRK_TAG_LEN)
#define GMRK_MAX_PAYLOAD	0xffffffffu	/* one block: 4 GiB - 1 */

/* Result flags (gmrk_open, struct gmrk_block.flags) */
#define GMRK_BLOCK_PLAINTEXT	(1u << 0)	/* unencrypted block passed through */
#define GMRK_BLOCK_FALLBACK	(1u << 1)	/* AF_ALG failed, software redid it */

/* Sealed size of a @len byte payload: @len + GMRK_OVERHEAD. */
size_t gmrk_sealed_len(size_t len);

/*
 * Seals @len bytes of @in into @out (at least gmrk_sealed_len(len) bytes,
 * must not overlap @in) under @key with the context's cipher and a fresh
 * random nonce. @position (e.g. the block's index or offset in the asset)
 * and @ad (any bytes, e.g. the asset's id) are authenticated, not stored:
 * gmrk_open must be given the same to succeed, so a block cannot be moved
 * to another asset or position unnoticed.
 */
int gmrk_seal(gmrk_ctx *ctx, gmrk_key *key, uint64_t position,
	      const void *ad, size_t adlen, const void *in, size_t len,
	      void *out, size_t outcap, size_t *outlen, gmrk_error *err);

/*
 * Opens a block sealed by gmrk_seal. With GMRK_CFG_ALLOW_PLAINTEXT an
 * unencrypted block (no gmrk magic) is copied through and *flags gets
 * GMRK_BLOCK_PLAINTEXT; @key may be NULL then. @flags may be NULL.
 * On any error nothing is left in @out (zeroed).
 */
int gmrk_open(gmrk_ctx *ctx, gmrk_key *key, uint64_t position,
	      const void *ad, size_t adlen, const void *in, size_t len,
	      void *out, size_t outcap, size_t *outlen, unsigned int *flags,
	      gmrk_error *err);

/* What a block's header says, without a key. */
struct gmrk_block_info {
	int encrypted;		/* 0: no gmrk magic (plaintext) */
	unsigned int version;	/* format version */
	enum gmrk_cipher cipher;
	uint8_t key_id[GMRK_KEY_ID_LEN];
	uint32_t key_version;
	uint8_t nonce[GMRK_NONCE_LEN];
	size_t payload_len;	/* plaintext bytes */
	size_t sealed_len;	/* header + payload + tag */
};

int gmrk_block_info(const void *in, size_t len, struct gmrk_block_info *info,
		    gmrk_error *err);

/* ------------------------------------------------------------------ */
/* Batches                                                              */

struct gmrk_block {
	/* in */
	uint64_t position;
	const void *ad;
	size_t adlen;
	const void *in;
	size_t inlen;
	void *out;
	size_t outcap;
	/* out */
	size_t outlen;
	int status;		/* 0 or -GMRK_E_* for this block */
	unsigned int flags;	/* GMRK_BLOCK_* */
	enum gmrk_backend backend;	/* path that produced the result */
};

/*
 * Seal or open @n blocks, many in flight to the card at once; results land
 * in each block's slot. Returns 0 when every block succeeded, else the
 * status of the first failed block (whose index @err names); the other
 * blocks are still done.
 */
int gmrk_seal_many(gmrk_ctx *ctx, gmrk_key *key, struct gmrk_block *blocks,
		   size_t n, gmrk_error *err);
int gmrk_open_many(gmrk_ctx *ctx, gmrk_key *key, struct gmrk_block *blocks,
		   size_t n, gmrk_error *err);

/* ------------------------------------------------------------------ */
/* Raw AEAD (interoperability, debugging, the gmrk aead command)        */

/*
 * One AEAD operation with a caller-supplied key and nonce, routed like
 * blocks. Keys: AES 16/24/32 bytes, SM4 16, ChaCha20-Poly1305 32. Nonce 12
 * bytes, tag 16 bytes. @in and @out may be the same buffer. On decrypt
 * failure @out is zeroed. The caller owns nonce uniqueness here.
 */
int gmrk_aead_encrypt(gmrk_ctx *ctx, enum gmrk_cipher c,
		      const uint8_t *key, size_t keylen,
		      const uint8_t *nonce, size_t noncelen,
		      const void *aad, size_t aadlen,
		      const void *in, size_t len, void *out,
		      uint8_t tag[GMRK_TAG_LEN], gmrk_error *err);
int gmrk_aead_decrypt(gmrk_ctx *ctx, enum gmrk_cipher c,
		      const uint8_t *key, size_t keylen,
		      const uint8_t *nonce, size_t noncelen,
		      const void *aad, size_t aadlen,
		      const void *in, size_t len,
		      const uint8_t tag[GMRK_TAG_LEN], void *out,
		      gmrk_error *err);

#ifdef __cplusplus
}
#endif

#endif /* GMRK_GMRK_H */

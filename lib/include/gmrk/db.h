/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libgmrk keystore: which databases exist, which of them are encrypted,
 * and the asset key of each encrypted one.
 *
 * A keystore is a directory (the caller's choice, e.g. $GMRK_STORE) with
 * one subdirectory per database:
 *
 *   STORE/NAME/manifest     what the database is (text, checksummed)
 *   STORE/NAME/NAME.key     its asset key, sealed under the master key
 *                           (encrypted databases only)
 *
 * Opening an encrypted database unwraps its key with the context's master
 * key; opening an unencrypted one needs no key at all, so plaintext
 * databases keep working whatever happens to the master key. Every file
 * is written crash-safe and nothing is ever deleted, whatever goes wrong.
 * Documentation/gmrk/databases.rst has the layout byte for byte.
 */
#ifndef GMRK_DB_H
#define GMRK_DB_H

#include <stdint.h>

#include <gmrk/gmrk.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Database names: 1 to GMRK_DB_NAME_MAX of [A-Za-z0-9_.-], not starting
 * with '.' or '-' (so never "..", a path or an option). */
#define GMRK_DB_NAME_MAX	64

/* gmrk_db_create flags */
#define GMRK_DB_ENCRYPTED	(1u << 0)	/* a key file, blocks sealed with it */

/* Manifest format version written by this library. */
#define GMRK_DB_FORMAT		1

typedef struct gmrk_db gmrk_db;

/* What a database's manifest says; no key needed to read it. */
struct gmrk_db_info {
	char name[GMRK_DB_NAME_MAX + 1];
	unsigned int format;		/* manifest format version */
	int encrypted;			/* 1: blocks are sealed with the key */
	int plaintext_blocks;		/* 1: may hold unencrypted blocks (it is
					 * unencrypted, or was before
					 * gmrk_db_encrypt) */
	enum gmrk_cipher cipher;	/* for new blocks; NONE when unencrypted */
	int64_t created;		/* seconds since 1970-01-01 UTC */
	char key_file[GMRK_DB_NAME_MAX + 5];	/* "NAME.key"; "" when unencrypted */
	uint8_t key_id[GMRK_KEY_ID_LEN];	/* zero when unencrypted */
};

/* 1 when @name is a valid database name, else 0. */
int gmrk_db_name_valid(const char *name);

/*
 * Creates database @name in keystore @store (created, mode 0700, if
 * missing). With GMRK_DB_ENCRYPTED a new asset key is sealed under the
 * master key of @ctx (GMRK_E_NOKEY when it has none) and @cipher (NONE: the
 * context's cipher) is recorded for its blocks and wraps the key; without
 * it @ctx may be NULL and @cipher must be NONE. GMRK_E_EXISTS if the
 * database exists. An interrupted create (no manifest yet) is completed.
 */
int gmrk_db_create(gmrk_ctx *ctx, const char *store, const char *name,
		   unsigned int flags, enum gmrk_cipher cipher, gmrk_error *err);

/*
 * Opens database @name: reads its manifest and, when it is encrypted,
 * unwraps its key with the master key of @ctx. Errors: GMRK_E_NOENT (no
 * such database), GMRK_E_CORRUPT (damaged manifest), GMRK_E_NOKEY
 * (encrypted, and @ctx has no master key), the key file's own errors
 * (GMRK_E_WRONG_KEY, ...) with the database named. @ctx may be NULL for
 * an unencrypted database.
 */
int gmrk_db_open(gmrk_ctx *ctx, const char *store, const char *name,
		 gmrk_db **db, gmrk_error *err);
void gmrk_db_close(gmrk_db *db);

/* The database's asset key (owned by @db); NULL when unencrypted. */
gmrk_key *gmrk_db_key(const gmrk_db *db);
/* 1 when encrypted, 0 when not (or @db is NULL). */
int gmrk_db_encrypted(const gmrk_db *db);
/* Cipher for the database's new blocks; GMRK_CIPHER_NONE when unencrypted. */
enum gmrk_cipher gmrk_db_cipher(const gmrk_db *db);
int gmrk_db_info(const gmrk_db *db, struct gmrk_db_info *info);

/* Reads database @name's manifest without opening its key. */
int gmrk_db_stat(const char *store, const char *name,
		 struct gmrk_db_info *info, gmrk_error *err);

/*
 * Calls @cb for every database of @store in name order. A database whose
 * manifest cannot be read still gets a call, with @info->name set and
 * @problem saying why (else @problem is NULL). A non-zero return from @cb
 * stops the walk and is returned. Returns the number of databases, or a
 * negative GMRK_E_* code (a missing @store is GMRK_E_NOENT).
 */
typedef int (*gmrk_db_list_cb)(const struct gmrk_db_info *info,
			       const gmrk_error *problem, void *arg);
int gmrk_db_list(const char *store, gmrk_db_list_cb cb, void *arg,
		 gmrk_error *err);

/*
 * Enables encryption on unencrypted database @name: creates its key (as
 * gmrk_db_create does) and rewrites its manifest (new file, fsync, atomic
 * rename). Blocks already written stay readable as plaintext (the
 * manifest keeps plaintext_blocks = 1); new ones are sealed. Running it
 * again after an interruption completes it. GMRK_E_EXISTS if the database
 * is already encrypted.
 */
int gmrk_db_encrypt(gmrk_ctx *ctx, const char *store, const char *name,
		    enum gmrk_cipher cipher, gmrk_error *err);

#ifdef __cplusplus
}
#endif

#endif /* GMRK_DB_H */

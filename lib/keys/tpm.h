/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TPM-sealed master key (as NATS JetStream's "tpm" block).
 *
 * A random 32-byte master key is sealed by a TPM 2.0 under a storage root
 * key (SRK, a primary key of the owner hierarchy) to a policy that needs
 * both the current value of one PCR and the encryption_password. The
 * sealed blobs live in keys_file; only that TPM, with that PCR value and
 * that password, gives the key back. When keys_file does not exist a new
 * key is created, sealed and stored there (mode 0600, crash-safe).
 */
#ifndef GMRK_KEYS_TPM_H
#define GMRK_KEYS_TPM_H

#include <stddef.h>
#include <stdint.h>

#include <gmrk/gmrk.h>

#define GMRK_TPM_KEY_LEN	32
#define GMRK_TPM_PCR_DEFAULT	22
#define GMRK_TPM_PCR_MIN	17	/* 0..16 belong to firmware and the OS */
#define GMRK_TPM_PCR_MAX	23

/* Configuration, with the names of the NATS documentation. */
struct gmrk_tpm_config {
	const char *keys_file;		/* required */
	const char *encryption_password;/* required */
	const char *srk_password;	/* optional; NULL or "" = none */
	/*
	 * 17..23. 0 (gmrk_tpm_config_init): a new keys_file is sealed to
	 * GMRK_TPM_PCR_DEFAULT, an existing one to the PCR it records; any
	 * other value must match the one an existing keys_file records.
	 */
	int pcr;
	const char *cipher;		/* "chachapoly" (default), "aes", "sm4", ... */
	/*
	 * gmrk's own addition: where the TPM is, as a tpm2-tss TCTI string
	 * ("device:/dev/tpmrm0", "swtpm:host=127.0.0.1,port=2321"); NULL =
	 * tpm2-tss's default search (tabrmd, /dev/tpmrm0, /dev/tpm0, ...).
	 */
	const char *tcti;
};

void gmrk_tpm_config_init(struct gmrk_tpm_config *cfg);

struct gmrk_tpm_key {
	uint8_t key[GMRK_TPM_KEY_LEN];	/* the master key */
	int created;			/* 1: keys_file was created by this call */
	int pcr;			/* the PCR keys_file is sealed to */
	enum gmrk_cipher cipher;	/* configured cipher, else the recorded one */
	enum gmrk_cipher sealed_cipher;	/* cipher recorded in keys_file */
};

/*
 * Unseals the master key from cfg->keys_file, or creates, seals and
 * stores a new one when that file does not exist. Errors (all leave
 * keys_file as it was):
 *   -GMRK_E_WRONG_KEY  "tpm: wrong encryption_password",
 *                      "tpm: policy check failed: PCR N changed since the
 *                      key was sealed", a keys_file the TPM rejects
 *                      (another TPM or srk_password), DA lockout
 *   -GMRK_E_CORRUPT / -GMRK_E_TRUNCATED / -GMRK_E_UNSUPPORTED  keys_file
 *   -GMRK_E_INVAL      bad configuration
 *   -GMRK_E_UNSUPPORTED no TPM reachable through the TCTI
 * @out is zeroed on error; clear it with gmrk_tpm_key_clear after use.
 */
int gmrk_tpm_load_or_create(const struct gmrk_tpm_config *cfg,
			    struct gmrk_tpm_key *out, gmrk_error *err);

void gmrk_tpm_key_clear(struct gmrk_tpm_key *k);

/* "chachapoly"/"chacha"/"chacha20-poly1305", "aes"/"aes-gcm", "sm4"/"sm4-gcm" */
enum gmrk_cipher gmrk_tpm_cipher_from_name(const char *name);

#endif /* GMRK_KEYS_TPM_H */

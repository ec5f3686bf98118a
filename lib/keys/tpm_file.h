/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The TPM keys_file codec (lib/keys/tpm_file.c). Byte layout, integers
 * big endian (Documentation/gmrk/key-management.rst, "TPM keys file"):
 *
 *   0   8  magic 89 47 4D 52 4B 54 50 4D ("\x89GMRKTPM")
 *   8   1  format version (1)
 *   9   1  PCR index (17..23)
 *  10   2  PCR bank, a TPM2_ALG_ID (0x000B, SHA-256)
 *  12   1  cipher name length C (1..31)
 *  13   C  cipher name ("chacha20-poly1305", "aes-gcm", "sm4-gcm")
 *  ..   2  length U of the public blob
 *  ..   U  TPM2B_PUBLIC of the sealed object (Tss2_MU_TPM2B_PUBLIC_Marshal)
 *  ..   2  length V of the private blob
 *  ..   V  TPM2B_PRIVATE of the sealed object (Tss2_MU_TPM2B_PRIVATE_Marshal)
 *  ..  32  SHA-256 of every byte before it
 *
 * The checksum only tells damage from a TPM refusal; the TPM protects the
 * private blob's integrity and secrecy itself.
 */
#ifndef GMRK_KEYS_TPM_FILE_H
#define GMRK_KEYS_TPM_FILE_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_tpm2_types.h>

#include <gmrk/gmrk.h>

#define GMRK_TPM_FILE_MAX	8192

struct gmrk_tpm_file {
	int pcr;
	uint16_t bank;
	char cipher[32];
	TPM2B_PUBLIC pub;
	TPM2B_PRIVATE priv;
};

int gmrk_tpm__file_parse(const uint8_t *buf, size_t len, const char *path,
			 struct gmrk_tpm_file *f, gmrk_error *err);
/* encodes @f into @buf (GMRK_TPM_FILE_MAX bytes); returns its length, 0 on error */
size_t gmrk_tpm__file_encode(const struct gmrk_tpm_file *f, uint8_t *buf,
			     size_t cap);

#endif /* GMRK_KEYS_TPM_FILE_H */

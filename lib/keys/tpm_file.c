// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The TPM keys_file codec: gmrk's small header around the sealed
 * object's public and private blobs (marshalled by tpm2-tss), and a
 * SHA-256 checksum so a damaged file is told apart from a TPM that
 * refuses the key. Layout in tpm_file.h.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "keyio.h"
#include "tpm.h"
#include "tpm_file.h"

static const uint8_t gmrk_tpm_magic[8] = { 0x89, 'G', 'M', 'R', 'K', 'T', 'P', 'M' };

#define GMRK_TPM_FILE_VERSION	1
#define GMRK_TPM_SUM		32

static int gmrk_tpm_sha256(const uint8_t *buf, size_t len, uint8_t out[GMRK_TPM_SUM])
{
	unsigned int n = 0;

	return EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL) == 1 &&
	       n == GMRK_TPM_SUM ? 0 : -1;
}

static uint16_t gmrk_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void gmrk_put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int gmrk_tpm__file_parse(const uint8_t *buf, size_t len, const char *path,
			 struct gmrk_tpm_file *f, gmrk_error *err)
{
	uint8_t sum[GMRK_TPM_SUM];
	size_t off, C, U, V;
	size_t mu = 0;

	memset(f, 0, sizeof(*f));
	if (!len)
		return gmrk_keys__err(err, GMRK_E_TRUNCATED, "tpm: keys_file '%s' is empty", path);
	if (memcmp(buf, gmrk_tpm_magic, len < 8 ? len : 8))
		return gmrk_keys__err(err, GMRK_E_CORRUPT,
				      "tpm: keys_file '%s' is not a gmrk TPM keys file", path);
	if (len < 13)
		goto truncated;
	if (buf[8] != GMRK_TPM_FILE_VERSION)
		return gmrk_keys__err(err, GMRK_E_UNSUPPORTED,
				      "tpm: keys_file '%s': format version %u not supported",
				      path, buf[8]);
	C = buf[12];
	off = 13 + C;
	if (len < off + 2)
		goto truncated;
	U = gmrk_get16(buf + off);
	off += 2 + U;
	if (len < off + 2)
		goto truncated;
	V = gmrk_get16(buf + off);
	off += 2 + V;
	if (len < off + GMRK_TPM_SUM)
		goto truncated;
	if (len > off + GMRK_TPM_SUM)
		return gmrk_keys__err(err, GMRK_E_CORRUPT,
				      "tpm: keys_file '%s' is corrupt (trailing bytes)", path);
	if (gmrk_tpm_sha256(buf, off, sum))
		return gmrk_keys__err(err, GMRK_E_UNSUPPORTED, "tpm: SHA-256 unavailable");
	if (CRYPTO_memcmp(sum, buf + off, GMRK_TPM_SUM))
		return gmrk_keys__err(err, GMRK_E_CORRUPT,
				      "tpm: keys_file '%s' is corrupt (checksum mismatch)", path);
	/* from here on the bytes are what was written: a mismatch is a bug or a forgery */
	f->pcr = buf[9];
	f->bank = gmrk_get16(buf + 10);
	if (!C || C >= sizeof(f->cipher))
		goto corrupt;
	memcpy(f->cipher, buf + 13, C);
	f->cipher[C] = '\0';
	if (f->pcr < GMRK_TPM_PCR_MIN || f->pcr > GMRK_TPM_PCR_MAX || f->bank != TPM2_ALG_SHA256)
		return gmrk_keys__err(err, GMRK_E_UNSUPPORTED,
				      "tpm: keys_file '%s': PCR %d of bank 0x%04x not supported",
				      path, f->pcr, f->bank);
	if (gmrk_tpm_cipher_from_name(f->cipher) == GMRK_CIPHER_NONE)
		return gmrk_keys__err(err, GMRK_E_UNSUPPORTED,
				      "tpm: keys_file '%s': unknown cipher '%s'", path, f->cipher);
	off = 13 + C + 2;
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(buf + off, U, &mu, &f->pub) || mu != U)
		goto corrupt;
	off += U + 2;
	mu = 0;
	if (Tss2_MU_TPM2B_PRIVATE_Unmarshal(buf + off, V, &mu, &f->priv) || mu != V)
		goto corrupt;
	return 0;
truncated:
	return gmrk_keys__err(err, GMRK_E_TRUNCATED, "tpm: keys_file '%s' is truncated", path);
corrupt:
	return gmrk_keys__err(err, GMRK_E_CORRUPT, "tpm: keys_file '%s' is corrupt", path);
}

size_t gmrk_tpm__file_encode(const struct gmrk_tpm_file *f, uint8_t *buf,
			     size_t cap)
{
	size_t C = strlen(f->cipher), off, at;

	if (!C || C >= sizeof(f->cipher) || cap < 13 + C + 2)
		return 0;
	memcpy(buf, gmrk_tpm_magic, 8);
	buf[8] = GMRK_TPM_FILE_VERSION;
	buf[9] = (uint8_t)f->pcr;
	gmrk_put16(buf + 10, f->bank);
	buf[12] = (uint8_t)C;
	memcpy(buf + 13, f->cipher, C);
	at = 13 + C;
	off = at + 2;
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(&f->pub, buf, cap, &off))
		return 0;
	gmrk_put16(buf + at, off - at - 2);
	at = off;
	off += 2;
	if (off > cap || Tss2_MU_TPM2B_PRIVATE_Marshal(&f->priv, buf, cap, &off))
		return 0;
	gmrk_put16(buf + at, off - at - 2);
	if (off + GMRK_TPM_SUM > cap || gmrk_tpm_sha256(buf, off, buf + off))
		return 0;
	return off + GMRK_TPM_SUM;
}

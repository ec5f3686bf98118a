// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The block header (Documentation/gmrk/block-format.rst):
 *
 *   0   8  magic 89 47 4D 52 4B 0D 0A 1A ("\x89GMRK\r\n\x1a")
 *   8   1  format version (1)
 *   9   1  cipher: 1 AES-256-GCM, 2 SM4-GCM, 3 ChaCha20-Poly1305
 *  10   1  header length (40)
 *  11   1  flags (0; readers reject anything else)
 *  12   4  key version, big endian
 *  16   8  key id
 *  24  12  nonce
 *  36   4  payload length, big endian
 *  40   n  ciphertext
 *  40+n 16 tag
 *
 * The AEAD's associated data is header || position (8, big endian) ||
 * the caller's associated data. Sealing writes the header and the AAD
 * together in lib/block.c (the per-block path); this file reads them.
 */
#include <string.h>

#include "internal.h"

const uint8_t gmrk__magic[8] = { 0x89, 'G', 'M', 'R', 'K', 0x0d, 0x0a, 0x1a };

int gmrk__hdr_decode(const uint8_t *in, size_t len, struct gmrk_hdr *h,
		     gmrk_error *err)
{
	size_t m = len < sizeof(gmrk__magic) ? len : sizeof(gmrk__magic);

	memset(h, 0, sizeof(*h));
	if (!len || memcmp(in, gmrk__magic, m))
		return gmrk__err(err, GMRK_E_PLAINTEXT, "no gmrk header (unencrypted data)");
	if (len < GMRK_HEADER_LEN)
		return gmrk__err(err, GMRK_E_TRUNCATED,
				 "block truncated: %zu bytes, the header alone is %d", len,
				 GMRK_HEADER_LEN);
	h->version = in[8];
	if (h->version != GMRK_FMT_VERSION)
		return gmrk__err(err, GMRK_E_UNSUPPORTED,
				 "block format version %u not supported (this libgmrk reads %d)",
				 h->version, GMRK_FMT_VERSION);
	if (in[10] != GMRK_HEADER_LEN || in[11] != 0)
		return gmrk__err(err, GMRK_E_CORRUPT, "corrupt block header");
	h->cipher = (enum gmrk_cipher)in[9];
	if (!gmrk__cipher_valid(h->cipher))
		return gmrk__err(err, GMRK_E_UNSUPPORTED, "block cipher id %u not supported",
				 in[9]);
	h->key_version = gmrk__get_be32(in + 12);
	memcpy(h->key_id, in + 16, GMRK_KEY_ID_LEN);
	memcpy(h->nonce, in + 24, GMRK_NONCE_LEN);
	h->payload_len = gmrk__get_be32(in + 36);
	return 0;
}

size_t gmrk_sealed_len(size_t len)
{
	return len > SIZE_MAX - GMRK_OVERHEAD ? SIZE_MAX : len + GMRK_OVERHEAD;
}

int gmrk_block_info(const void *in, size_t len, struct gmrk_block_info *info,
		    gmrk_error *err)
{
	struct gmrk_hdr h;
	int rc;

	gmrk__err_clear(err);
	if (!info || (!in && len))
		return gmrk__err(err, GMRK_E_INVAL, "gmrk_block_info: no buffer");
	memset(info, 0, sizeof(*info));
	rc = gmrk__hdr_decode(in, len, &h, err);
	if (rc == -GMRK_E_PLAINTEXT) {
		gmrk__err_clear(err);
		info->payload_len = len;
		info->sealed_len = len;
		return 0;
	}
	if (rc)
		return rc;
	info->encrypted = 1;
	info->version = h.version;
	info->cipher = h.cipher;
	memcpy(info->key_id, h.key_id, sizeof(info->key_id));
	info->key_version = h.key_version;
	memcpy(info->nonce, h.nonce, sizeof(info->nonce));
	info->payload_len = h.payload_len;
	info->sealed_len = (size_t)h.payload_len + GMRK_OVERHEAD;
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * gmrk: the module's own SM4 block cipher (GB/T 32907-2016).
 *
 * Debian's 6.1 kernel is built without SM4, so gmrk brings one: it is
 * registered as the plain cipher "sm4" (driver "sm4-gmrk") so the kernel's
 * gcm template can build gcm(sm4) in software (the fallback of
 * gcm-sm4-gmrk), and the emulation device computes with the helpers below.
 */
#ifndef _GMRK_SM4_H
#define _GMRK_SM4_H

#include <linux/types.h>

#define GMRK_SM4_KEY_SIZE	16
#define GMRK_SM4_BLOCK_SIZE	16
#define GMRK_SM4_ROUNDS		32

/* Expanded key: round keys for encryption and, reversed, for decryption. */
struct gmrk_sm4_key {
	u32 rk_enc[GMRK_SM4_ROUNDS];
	u32 rk_dec[GMRK_SM4_ROUNDS];
};

/**
 * gmrk_sm4_expand_key() - derive the round keys
 * @k: expanded key to fill (wipe it with memzero_explicit() after use)
 * @key: the key
 * @key_len: must be GMRK_SM4_KEY_SIZE
 *
 * Return: 0, or -EINVAL for a wrong key length.
 */
int gmrk_sm4_expand_key(struct gmrk_sm4_key *k, const u8 *key,
			unsigned int key_len);

/* Encrypt one 16-byte block; @out may equal @in. */
void gmrk_sm4_encrypt_block(const struct gmrk_sm4_key *k, u8 *out,
			    const u8 *in);

/* Decrypt one 16-byte block; @out may equal @in. */
void gmrk_sm4_decrypt_block(const struct gmrk_sm4_key *k, u8 *out,
			    const u8 *in);

/* Cipher "sm4"/"sm4-gmrk" registration, called from module init/exit. */
int gmrk_sm4_register(void);
void gmrk_sm4_unregister(void);

#endif /* _GMRK_SM4_H */

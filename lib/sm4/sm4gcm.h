/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SM4-GCM in userspace software: SM4 (GB/T 32907) in the GCM mode of
 * NIST SP 800-38D, as RFC 8998 uses it for TLS.
 *
 * OpenSSL 3.0 (Debian 12) has no SM4-GCM, so libgmrk brings its own. The
 * code path is chosen once per process from the CPU's features (AES-NI or
 * VAES with AVX2 and carry-less multiply, else portable C); every path gives
 * the same bytes.
 *
 * Contexts are immutable after gmrk_sm4gcm_new(): one context may be used
 * by several threads at once.
 */
#ifndef GMRK_SM4GCM_H
#define GMRK_SM4GCM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GMRK_SM4GCM_KEYLEN 16

typedef struct gmrk_sm4gcm gmrk_sm4gcm;

/*
 * Expands @key (16 bytes) into a new heap context. Returns NULL when out of
 * memory (errno ENOMEM) or when @key is NULL (errno EINVAL).
 */
gmrk_sm4gcm *gmrk_sm4gcm_new(const uint8_t key[GMRK_SM4GCM_KEYLEN]);

/* Zeroizes the round keys and the GHASH key, then frees. NULL is a no-op. */
void gmrk_sm4gcm_free(gmrk_sm4gcm *c);

/*
 * Encrypts @len bytes of @in into @out and writes a @taglen byte tag.
 *
 * @iv: 12 bytes is the normal and fastest case (J0 = IV || 0^31 || 1); any
 *      other length >= 1 is accepted and gives GCM's GHASH-derived J0.
 * @taglen: 4, 8, 12, 13, 14, 15 or 16 (the lengths SP 800-38D and the
 *      kernel's gcm template allow).
 * @in and @out may be the same buffer (in place) or must not overlap.
 * @aad may be NULL when @aadlen is 0, @in/@out when @len is 0.
 * @len is at most 2^36 - 32 bytes (GCM's limit).
 *
 * Returns 0, or -EINVAL for a bad argument (nothing written).
 */
int gmrk_sm4gcm_seal(gmrk_sm4gcm *c, const uint8_t *iv, size_t ivlen,
		     const uint8_t *aad, size_t aadlen,
		     const uint8_t *in, size_t len,
		     uint8_t *out, uint8_t *tag, size_t taglen);

/*
 * Verifies @tag over @aad and the ciphertext @in and, only when it matches,
 * decrypts @len bytes into @out. The tag comparison is constant-time.
 *
 * Returns 0; -EBADMSG when the tag does not match: nothing was decrypted and
 * @out is zeroed, except when @out is @in (in place), which is left holding
 * the ciphertext so that nothing is lost; -EINVAL for a bad argument, as for
 * gmrk_sm4gcm_seal().
 */
int gmrk_sm4gcm_open(gmrk_sm4gcm *c, const uint8_t *iv, size_t ivlen,
		     const uint8_t *aad, size_t aadlen,
		     const uint8_t *in, size_t len,
		     const uint8_t *tag, size_t taglen, uint8_t *out);

/*
 * The code path this process uses: "vaes-avx2" (VAES, VPCLMULQDQ, AVX2:
 * 16 blocks per step in 256-bit registers), "aesni-avx2" (AES-NI,
 * PCLMULQDQ, AVX2 in 128-bit registers) or "generic" (portable C).
 */
const char *gmrk_sm4gcm_impl(void);

#ifdef __cplusplus
}
#endif

#endif /* GMRK_SM4GCM_H */

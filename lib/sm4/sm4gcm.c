// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SM4-GCM: GCM bookkeeping (SP 800-38D) over the per-CPU code paths, and the
 * choice of code path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sm4gcm_impl.h"

/* SP 800-38D: plaintext at most 2^39 - 256 bits. */
#define SM4GCM_MAX_LEN ((UINT64_C(1) << 36) - 32)

static const struct sm4gcm_impl *const impls[] = {
#ifdef SM4GCM_HAVE_X86
	&sm4gcm_impl_vaes_avx2,
	&sm4gcm_impl_aesni_avx2,
#endif
	&sm4gcm_impl_generic,
};

#define NIMPLS (sizeof(impls) / sizeof(impls[0]))

/* Chosen once; racing first callers all store the same pointer. */
static const struct sm4gcm_impl *auto_impl;
static const struct sm4gcm_impl *forced_impl;

static const struct sm4gcm_impl *current_impl(void)
{
	const struct sm4gcm_impl *im;
	size_t i;

	im = __atomic_load_n(&forced_impl, __ATOMIC_ACQUIRE);
	if (im)
		return im;
	im = __atomic_load_n(&auto_impl, __ATOMIC_ACQUIRE);
	if (im)
		return im;
	for (i = 0; i < NIMPLS; i++)
		if (impls[i]->usable())
			break;
	im = impls[i];
	__atomic_store_n(&auto_impl, im, __ATOMIC_RELEASE);
	return im;
}

const char *gmrk_sm4gcm_impl(void)
{
	return current_impl()->name;
}

size_t gmrk_sm4gcm_test_impl_count(void)
{
	return NIMPLS;
}

const char *gmrk_sm4gcm_test_impl_name(size_t i)
{
	return i < NIMPLS ? impls[i]->name : NULL;
}

bool gmrk_sm4gcm_test_impl_usable(size_t i)
{
	return i < NIMPLS && impls[i]->usable();
}

int gmrk_sm4gcm_test_force_impl(const char *name)
{
	size_t i;

	if (!name) {
		__atomic_store_n(&forced_impl, NULL, __ATOMIC_RELEASE);
		return 0;
	}
	for (i = 0; i < NIMPLS; i++) {
		if (strcmp(impls[i]->name, name) == 0 && impls[i]->usable()) {
			__atomic_store_n(&forced_impl, impls[i],
					 __ATOMIC_RELEASE);
			return 0;
		}
	}
	return -ENOTSUP;
}

gmrk_sm4gcm *gmrk_sm4gcm_new(const uint8_t key[GMRK_SM4GCM_KEYLEN])
{
	uint8_t h[SM4_BLOCK], ctr[SM4_BLOCK] = { 0 };
	gmrk_sm4gcm *c;
	void *mem;

	if (!key) {
		errno = EINVAL;
		return NULL;
	}
	/* aligned for the 256-bit loads of the GHASH key table */
	if (posix_memalign(&mem, alignof(gmrk_sm4gcm), sizeof(*c))) {
		errno = ENOMEM;
		return NULL;
	}
	c = mem;
	memset(c, 0, sizeof(*c));
	c->impl = current_impl();
	if (c->impl->expand_key)
		c->impl->expand_key(c->rk, key);
	else
		sm4_expand_key(c->rk, key);
	/* H = E(K, 0^128), through the path's own (constant-time) SM4. */
	c->impl->ctr(c, ctr, NULL, NULL, 0, h);
	c->impl->ghash_init(c, h);
	OPENSSL_cleanse(h, sizeof(h));
	return c;
}

void gmrk_sm4gcm_free(gmrk_sm4gcm *c)
{
	if (!c)
		return;
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

static bool taglen_ok(size_t taglen)
{
	return taglen == 4 || taglen == 8 || (taglen >= 12 && taglen <= 16);
}

static bool args_ok(const gmrk_sm4gcm *c, const uint8_t *iv, size_t ivlen,
		    const uint8_t *aad, size_t aadlen, const uint8_t *in,
		    size_t len, const uint8_t *out, const uint8_t *tag,
		    size_t taglen)
{
	if (!c || !iv || !ivlen || !tag || !taglen_ok(taglen))
		return false;
	if ((aadlen && !aad) || (len && (!in || !out)))
		return false;
	/* 2^61 - 1 bytes is GCM's bound for AAD and IV. */
	if ((uint64_t)len > SM4GCM_MAX_LEN || (uint64_t)aadlen >> 61 ||
	    (uint64_t)ivlen >> 61)
		return false;
	/* In place, or no overlap at all. */
	if (len && in != out) {
		uintptr_t i = (uintptr_t)in, o = (uintptr_t)out;

		if (i < o + len && o < i + len)
			return false;
	}
	return true;
}

static void store_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* GHASH over @len bytes, the last block zero-padded. */
static void ghash_padded(const gmrk_sm4gcm *c, uint8_t y[SM4_BLOCK],
			 const uint8_t *p, size_t len)
{
	uint8_t last[SM4_BLOCK] = { 0 };
	size_t full = len / SM4_BLOCK;

	if (full)
		c->impl->ghash(c, y, p, full);
	if (len % SM4_BLOCK) {
		memcpy(last, p + full * SM4_BLOCK, len % SM4_BLOCK);
		c->impl->ghash(c, y, last, 1);
	}
}

/*
 * GHASH over @len bytes of @p, zero-padded, then the lengths block
 * [alen * 8]64 || [clen * 8]64; the last partial block and the lengths go
 * in one call.
 */
static void ghash_final(const gmrk_sm4gcm *c, uint8_t y[SM4_BLOCK],
			const uint8_t *p, size_t len, uint64_t alen,
			uint64_t clen)
{
	uint8_t last[2 * SM4_BLOCK] = { 0 };
	size_t full = len / SM4_BLOCK, rest = len % SM4_BLOCK;
	uint8_t *lens = last + (rest ? SM4_BLOCK : 0);

	if (full)
		c->impl->ghash(c, y, p, full);
	if (rest)
		memcpy(last, p + full * SM4_BLOCK, rest);
	store_be64(lens, alen * 8);
	store_be64(lens + 8, clen * 8);
	c->impl->ghash(c, y, last, rest ? 2 : 1);
}

/* J0 into @ctr (SP 800-38D 7.1 step 2). */
static void gcm_j0(const gmrk_sm4gcm *c, const uint8_t *iv, size_t ivlen,
		   uint8_t ctr[SM4_BLOCK])
{
	if (ivlen == 12) {
		memcpy(ctr, iv, 12);
		ctr[12] = ctr[13] = ctr[14] = 0;
		ctr[15] = 1;
	} else {
		memset(ctr, 0, SM4_BLOCK);
		ghash_final(c, ctr, iv, ivlen, 0, ivlen);
	}
}

static void gcm_tag(uint8_t y[SM4_BLOCK], const uint8_t ekj0[SM4_BLOCK])
{
	int i;

	for (i = 0; i < SM4_BLOCK; i++)
		y[i] ^= ekj0[i];
}

/*
 * seal() encrypts and hashes in chunks that stay in L1 (input and output
 * 8 KiB each), so that long messages are not read back from L2/L3 for
 * GHASH. A multiple of every path's step (32 blocks).
 */
#define SEAL_CHUNK 8192

int gmrk_sm4gcm_seal(gmrk_sm4gcm *c, const uint8_t *iv, size_t ivlen,
		     const uint8_t *aad, size_t aadlen,
		     const uint8_t *in, size_t len,
		     uint8_t *out, uint8_t *tag, size_t taglen)
{
	uint8_t ctr[SM4_BLOCK], ekj0[SM4_BLOCK], y[SM4_BLOCK] = { 0 };
	/* with E(K, J0) in front, the first chunk is SEAL_CHUNK of keystream */
	size_t n = len < SEAL_CHUNK - SM4_BLOCK ? len : SEAL_CHUNK - SM4_BLOCK;
	size_t done = 0;

	if (!args_ok(c, iv, ivlen, aad, aadlen, in, len, out, tag, taglen))
		return -EINVAL;
	gcm_j0(c, iv, ivlen, ctr);
	ghash_padded(c, y, aad, aadlen);
	/* E(K, J0), then the data from inc32(J0) on */
	c->impl->ctr(c, ctr, in, out, n, ekj0);
	for (;;) {
		done += n;
		if (done == len)
			break;
		/* hash what was just written while it is in L1 */
		c->impl->ghash(c, y, out + done - n, n / SM4_BLOCK);
		n = len - done < SEAL_CHUNK ? len - done : SEAL_CHUNK;
		c->impl->ctr(c, ctr, in + done, out + done, n, NULL);
	}
	/* (no pointer arithmetic on a NULL @out when @len is 0) */
	ghash_final(c, y, n ? out + done - n : out, n, aadlen, len);
	gcm_tag(y, ekj0);
	memcpy(tag, y, taglen);
	OPENSSL_cleanse(ekj0, sizeof(ekj0));
	OPENSSL_cleanse(y, sizeof(y));
	return 0;
}

/*
 * Bytes of keystream open() computes before the tag check, together with
 * E(K, J0): one group of the wide paths (40 blocks with J0), so that short
 * messages cost one SM4 pass and long ones no extra group.
 */
#define OPEN_HEAD (39 * SM4_BLOCK)

static void xor_bytes(uint8_t *out, const uint8_t *in, const uint8_t *ks,
		      size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t a, b;

		memcpy(&a, in + i, 8);
		memcpy(&b, ks + i, 8);
		a ^= b;
		memcpy(out + i, &a, 8);
	}
	for (; i < n; i++)
		out[i] = in[i] ^ ks[i];
}

int gmrk_sm4gcm_open(gmrk_sm4gcm *c, const uint8_t *iv, size_t ivlen,
		     const uint8_t *aad, size_t aadlen,
		     const uint8_t *in, size_t len,
		     const uint8_t *tag, size_t taglen, uint8_t *out)
{
	static const uint8_t zero[OPEN_HEAD];
	uint8_t ctr[SM4_BLOCK], ekj0[SM4_BLOCK], y[SM4_BLOCK] = { 0 };
	uint8_t ks[OPEN_HEAD];
	size_t head = len < OPEN_HEAD ? len : OPEN_HEAD;
	int ret = 0;

	if (!args_ok(c, iv, ivlen, aad, aadlen, in, len, out, tag, taglen))
		return -EINVAL;
	gcm_j0(c, iv, ivlen, ctr);
	/* E(K, J0) and the first keystream bytes, nothing applied yet */
	c->impl->ctr(c, ctr, zero, ks, head, ekj0);
	ghash_padded(c, y, aad, aadlen);
	ghash_final(c, y, in, len, aadlen, len);
	gcm_tag(y, ekj0);
	/* Verify before decrypting: no unauthenticated plaintext, ever. */
	if (CRYPTO_memcmp(y, tag, taglen) != 0) {
		if (len && out != in)
			memset(out, 0, len);
		ret = -EBADMSG;
	} else if (len) {
		xor_bytes(out, in, ks, head);
		if (len > head)
			c->impl->ctr(c, ctr, in + head, out + head, len - head,
				     NULL);
	}
	OPENSSL_cleanse(ks, head);
	OPENSSL_cleanse(ekj0, sizeof(ekj0));
	OPENSSL_cleanse(y, sizeof(y));
	return ret;
}

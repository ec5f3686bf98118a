// SPDX-License-Identifier: GPL-2.0-only
/*
 * gmrk: the AEAD algorithms the card offers, as crypto API algorithms.
 *
 * gcm(aes), gcm(sm4) and rfc7539(chacha20,poly1305). Each tfm carries a
 * software implementation of the same algorithm (the fallback): requests a
 * device cannot take, or that a device failed, are computed with it, so a
 * caller always gets the right answer whatever happens to the hardware.
 */

#include <linux/atomic.h>
#include <linux/crypto.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>
#include <crypto/aes.h>
#include <crypto/chacha.h>
#include <crypto/gcm.h>
#include <crypto/internal/aead.h>

#include "gmrk_core.h"
#include "gmrk_sm4.h"

#define GMRK_AEAD_PRIORITY	500
#define GMRK_AEAD_FLAGS		(CRYPTO_ALG_ASYNC | CRYPTO_ALG_NEED_FALLBACK | \
				 CRYPTO_ALG_KERN_DRIVER_ONLY)

struct gmrk_aead_alg {
	struct aead_alg alg;
	u8 hw_alg;		/* enum gmrk_alg */
	u32 cap;		/* GMRK_CAP_* */
	bool registered;
};

struct gmrk_tfm_ctx {
	const struct gmrk_aead_alg *ga;
	struct crypto_aead *fallback;
	u8 key_len;
	u8 key[GMRK_KEY_MAX];
};

/* Live tfms of our algorithms: they pin the registration. */
static atomic_t gmrk_nr_tfms = ATOMIC_INIT(0);

static const struct gmrk_aead_alg *gmrk_ga(struct crypto_aead *tfm)
{
	return container_of(crypto_aead_alg(tfm), struct gmrk_aead_alg, alg);
}

static bool gmrk_key_len_ok(u8 hw_alg, unsigned int len)
{
	switch (hw_alg) {
	case GMRK_ALG_AES_GCM:
		return len == AES_KEYSIZE_128 || len == AES_KEYSIZE_192 ||
		       len == AES_KEYSIZE_256;
	case GMRK_ALG_SM4_GCM:
		return len == GMRK_SM4_KEY_SIZE;
	case GMRK_ALG_CHACHAPOLY:
		return len == CHACHA_KEY_SIZE;
	}
	return false;
}

static int gmrk_aead_setkey(struct crypto_aead *tfm, const u8 *key,
			    unsigned int len)
{
	struct gmrk_tfm_ctx *ctx = crypto_aead_ctx(tfm);
	int ret;

	if (!gmrk_key_len_ok(ctx->ga->hw_alg, len))
		return -EINVAL;

	crypto_aead_clear_flags(ctx->fallback, CRYPTO_TFM_REQ_MASK);
	crypto_aead_set_flags(ctx->fallback,
			      crypto_aead_get_flags(tfm) & CRYPTO_TFM_REQ_MASK);
	ret = crypto_aead_setkey(ctx->fallback, key, len);
	if (ret)
		return ret;

	memzero_explicit(ctx->key, sizeof(ctx->key));
	memcpy(ctx->key, key, len);
	ctx->key_len = len;
	return 0;
}

/* The software implementation knows which tag sizes the algorithm allows. */
static int gmrk_aead_setauthsize(struct crypto_aead *tfm,
				 unsigned int authsize)
{
	struct gmrk_tfm_ctx *ctx = crypto_aead_ctx(tfm);

	return crypto_aead_setauthsize(ctx->fallback, authsize);
}

int gmrk_aead_sw(struct aead_request *req)
{
	struct gmrk_tfm_ctx *ctx = crypto_aead_ctx(crypto_aead_reqtfm(req));
	struct gmrk_rctx *rctx = gmrk_rctx(req);
	struct aead_request *sub = &rctx->fallback_req;

	/* The fallback is synchronous: it returns the final result. */
	aead_request_set_tfm(sub, ctx->fallback);
	aead_request_set_callback(sub, req->base.flags, NULL, NULL);
	aead_request_set_crypt(sub, req->src, req->dst, req->cryptlen, req->iv);
	aead_request_set_ad(sub, req->assoclen);
	if (rctx->p.opcode == GMRK_OP_ENCRYPT)
		return crypto_aead_encrypt(sub);
	return crypto_aead_decrypt(sub);
}

void gmrk_aead_complete(struct aead_request *req, int err)
{
	struct gmrk_rctx *rctx = gmrk_rctx(req);

	/* A request we answered -EBUSY for hears -EINPROGRESS first. */
	if (rctx->backlogged) {
		rctx->backlogged = false;
		aead_request_complete(req, -EINPROGRESS);
	}
	aead_request_complete(req, err);
}

static int gmrk_aead_crypt(struct aead_request *req, u8 opcode)
{
	struct crypto_aead *tfm = crypto_aead_reqtfm(req);
	struct gmrk_tfm_ctx *ctx = crypto_aead_ctx(tfm);
	struct gmrk_rctx *rctx = gmrk_rctx(req);
	int ret;

	rctx->p.opcode = opcode;
	rctx->p.alg = ctx->ga->hw_alg;
	rctx->p.key_len = ctx->key_len;
	rctx->p.tag_len = crypto_aead_authsize(tfm);
	rctx->p.cap = ctx->ga->cap;
	rctx->p.key = ctx->key;

	ret = gmrk_core_submit(req);
	if (ret != 1)
		return ret;
	return gmrk_aead_sw(req);
}

static int gmrk_aead_encrypt(struct aead_request *req)
{
	return gmrk_aead_crypt(req, GMRK_OP_ENCRYPT);
}

static int gmrk_aead_decrypt(struct aead_request *req)
{
	return gmrk_aead_crypt(req, GMRK_OP_DECRYPT);
}

static int gmrk_aead_init_tfm(struct crypto_aead *tfm)
{
	struct gmrk_tfm_ctx *ctx = crypto_aead_ctx(tfm);
	const char *name = crypto_tfm_alg_name(crypto_aead_tfm(tfm));
	struct crypto_aead *fb;

	/*
	 * Masking ASYNC and NEED_FALLBACK never finds ourselves (or another
	 * offload driver): a synchronous software implementation, which for
	 * gcm(sm4) the gcm template builds over sm4-gmrk.
	 */
	fb = crypto_alloc_aead(name, 0, CRYPTO_ALG_ASYNC |
					CRYPTO_ALG_NEED_FALLBACK);
	if (IS_ERR(fb))
		return PTR_ERR(fb);

	ctx->ga = gmrk_ga(tfm);
	ctx->fallback = fb;
	ctx->key_len = 0;
	crypto_aead_set_reqsize(tfm, sizeof(struct gmrk_rctx) +
				crypto_aead_reqsize(fb));
	atomic_inc(&gmrk_nr_tfms);
	return 0;
}

static void gmrk_aead_exit_tfm(struct crypto_aead *tfm)
{
	struct gmrk_tfm_ctx *ctx = crypto_aead_ctx(tfm);

	crypto_free_aead(ctx->fallback);
	memzero_explicit(ctx->key, sizeof(ctx->key));
	atomic_dec(&gmrk_nr_tfms);
}

#define GMRK_AEAD(_name, _drv, _hw, _cap, _maxauth)			\
	{								\
		.alg = {						\
			.setkey		= gmrk_aead_setkey,		\
			.setauthsize	= gmrk_aead_setauthsize,	\
			.encrypt	= gmrk_aead_encrypt,		\
			.decrypt	= gmrk_aead_decrypt,		\
			.init		= gmrk_aead_init_tfm,		\
			.exit		= gmrk_aead_exit_tfm,		\
			.ivsize		= GMRK_IV_LEN,			\
			.maxauthsize	= _maxauth,			\
			.base = {					\
				.cra_name	 = _name,		\
				.cra_driver_name = _drv,		\
				.cra_priority	 = GMRK_AEAD_PRIORITY,	\
				.cra_flags	 = GMRK_AEAD_FLAGS,	\
				.cra_blocksize	 = 1,			\
				.cra_ctxsize	 =			\
					sizeof(struct gmrk_tfm_ctx),	\
				.cra_module	 = THIS_MODULE,		\
			},						\
		},							\
		.hw_alg = _hw,						\
		.cap = _cap,						\
	}

static struct gmrk_aead_alg gmrk_aead_algs[] = {
	GMRK_AEAD("gcm(aes)", "gcm-aes-gmrk", GMRK_ALG_AES_GCM,
		  GMRK_CAP_AES_GCM, GMRK_TAG_MAX),
	GMRK_AEAD("gcm(sm4)", "gcm-sm4-gmrk", GMRK_ALG_SM4_GCM,
		  GMRK_CAP_SM4_GCM, GMRK_TAG_MAX),
	GMRK_AEAD("rfc7539(chacha20,poly1305)",
		  "rfc7539-chacha20-poly1305-gmrk", GMRK_ALG_CHACHAPOLY,
		  GMRK_CAP_CHACHAPOLY, GMRK_TAG_MAX),
};

void gmrk_aead_unregister(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gmrk_aead_algs); i++) {
		if (!gmrk_aead_algs[i].registered)
			continue;
		crypto_unregister_aead(&gmrk_aead_algs[i].alg);
		gmrk_aead_algs[i].registered = false;
	}
}

/*
 * Register all three; the crypto manager's self-tests run before this
 * returns and go through the device that triggered registration.
 */
int gmrk_aead_register(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(gmrk_aead_algs); i++) {
		struct crypto_alg *base = &gmrk_aead_algs[i].alg.base;

		/* Registration clears DEAD but not DYING from a past life. */
		base->cra_flags &= ~CRYPTO_ALG_DYING;
		ret = crypto_register_aead(&gmrk_aead_algs[i].alg);
		if (ret) {
			pr_err("gmrk: registering %s failed: %d\n",
			       gmrk_aead_algs[i].alg.base.cra_driver_name, ret);
			gmrk_aead_unregister();
			return ret;
		}
		gmrk_aead_algs[i].registered = true;
	}
	return 0;
}

/*
 * Unregistering an algorithm that still has users warns and leaves it
 * half torn down, so wait until no tfm and no lookup holds one.
 */
bool gmrk_aead_unregister_ready(void)
{
	unsigned int i;

	if (atomic_read(&gmrk_nr_tfms))
		return false;
	for (i = 0; i < ARRAY_SIZE(gmrk_aead_algs); i++) {
		const struct crypto_alg *base = &gmrk_aead_algs[i].alg.base;

		if (gmrk_aead_algs[i].registered &&
		    refcount_read(&base->cra_refcnt) != 1)
			return false;
	}
	return true;
}

/*
 * Hide the algorithms from new lookups (they find the software
 * implementations instead) while users they already have drain away.
 */
static void gmrk_aead_set_dying(bool dying)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(gmrk_aead_algs); i++) {
		struct crypto_alg *base = &gmrk_aead_algs[i].alg.base;
		u32 flags = READ_ONCE(base->cra_flags);

		if (!gmrk_aead_algs[i].registered)
			continue;
		flags = dying ? flags | CRYPTO_ALG_DYING :
				flags & ~CRYPTO_ALG_DYING;
		WRITE_ONCE(base->cra_flags, flags);
	}
}

/*
 * The crypto API keeps crypto_shoot_alg() internal, and has no call to
 * undo it, so set and clear the flag here: once an algorithm is
 * registered and tested, nothing else writes its flags until we
 * unregister it (serialised by the core's gmrk_alg_lock).
 */
void gmrk_aead_shoot(void)
{
	gmrk_aead_set_dying(true);
}

/* A device is back before the algorithms could go: offer them again. */
void gmrk_aead_unshoot(void)
{
	gmrk_aead_set_dying(false);
}

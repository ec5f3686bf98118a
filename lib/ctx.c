// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Contexts: configuration, environment, statistics, nonces.
 *
 * Environment (ignored with GMRK_CFG_IGNORE_ENV):
 *   GMRK_BACKEND            auto|card|kernel|soft, when the config says auto
 *   GMRK_THRESHOLD          auto-routing threshold in bytes for every cipher
 *   GMRK_THRESHOLD_AES, GMRK_THRESHOLD_SM4, GMRK_THRESHOLD_CHACHAPOLY
 *                           per cipher (suffix k/K or m/M allowed; "never")
 *   GMRK_KEY                the master key (see lib/masterkey.c)
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "internal.h"

extern const size_t gmrk__default_threshold[GMRK_CIPHER_COUNT];

const char *gmrk_version(void)
{
	return GMRK_VERSION_STRING;
}

void gmrk_config_init(struct gmrk_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = sizeof(*cfg);
	cfg->cipher = GMRK_CIPHER_AES_GCM;
	cfg->backend = GMRK_BACKEND_AUTO;
	cfg->flags = GMRK_CFG_CALIBRATE;
	cfg->master_key_env = "GMRK_KEY";
	cfg->max_inflight = 8;
	cfg->scrypt_log2n = 15;
	cfg->nonce_limit = (uint64_t)1 << 32;
}

/* "65536", "64k", "1M", "never" */
static int gmrk_parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	char *end;

	if (!strcasecmp(s, "never")) {
		*out = SIZE_MAX;
		return 0;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (*end == 'k' || *end == 'K') {
		v *= 1024;
		end++;
	} else if (*end == 'm' || *end == 'M') {
		v *= 1024 * 1024;
		end++;
	}
	if (*end || v > SIZE_MAX)
		return -1;
	*out = (size_t)v;
	return 0;
}

static int gmrk_env_thresholds(gmrk_ctx *ctx, gmrk_error *err)
{
	static const char *const names[GMRK_CIPHER_COUNT] = {
		[GMRK_CIPHER_AES_GCM] = "GMRK_THRESHOLD_AES",
		[GMRK_CIPHER_SM4_GCM] = "GMRK_THRESHOLD_SM4",
		[GMRK_CIPHER_CHACHA20_POLY1305] = "GMRK_THRESHOLD_CHACHAPOLY",
	};
	const char *all = getenv("GMRK_THRESHOLD");
	int c;

	for (c = 1; c < GMRK_CIPHER_COUNT; c++) {
		const char *v = getenv(names[c]);
		const char *name = v ? names[c] : "GMRK_THRESHOLD";
		size_t n;

		if (!v)
			v = all;
		if (!v || !*v)
			continue;
		if (gmrk_parse_size(v, &n))
			return gmrk__err(err, GMRK_E_INVAL,
					 "%s='%s': expected a size in bytes (e.g. 65536, 64k, never)",
					 name, v);
		ctx->threshold[c] = n;
		ctx->threshold_set[c] = true;
	}
	return 0;
}

gmrk_ctx *gmrk_ctx_new(const struct gmrk_config *ucfg, gmrk_error *err)
{
	struct gmrk_config cfg;
	gmrk_ctx *ctx;
	int c;

	gmrk__err_clear(err);
	gmrk_config_init(&cfg);
	if (ucfg) {
		if (ucfg->size < offsetof(struct gmrk_config, nonce_limit) ||
		    ucfg->size > sizeof(cfg)) {
			gmrk__err(err, GMRK_E_INVAL,
				  "gmrk_config: size %zu: call gmrk_config_init() first",
				  ucfg->size);
			return NULL;
		}
		memcpy(&cfg, ucfg, ucfg->size);
	}
	if (!gmrk__cipher_valid(cfg.cipher)) {
		gmrk__err(err, GMRK_E_UNSUPPORTED, "unknown cipher %d", (int)cfg.cipher);
		return NULL;
	}
	if ((unsigned int)cfg.backend >= GMRK_BACKEND_COUNT) {
		gmrk__err(err, GMRK_E_INVAL, "unknown backend %d", (int)cfg.backend);
		return NULL;
	}
	if (!cfg.master_key_env)
		cfg.master_key_env = "GMRK_KEY";
	if (cfg.scrypt_log2n && (cfg.scrypt_log2n < 10 || cfg.scrypt_log2n > 20)) {
		gmrk__err(err, GMRK_E_INVAL, "scrypt_log2n %u: must be 10..20",
			  cfg.scrypt_log2n);
		return NULL;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
		return NULL;
	}
	ctx->cipher = cfg.cipher;
	ctx->backend = cfg.backend;
	ctx->flags = cfg.flags;
	ctx->max_inflight = cfg.max_inflight ? cfg.max_inflight : 8;
	if (ctx->max_inflight > 64)
		ctx->max_inflight = 64;
	ctx->scrypt_log2n = cfg.scrypt_log2n ? cfg.scrypt_log2n : 15;
	ctx->nonce_limit = cfg.nonce_limit && cfg.nonce_limit < ((uint64_t)1 << 32) ?
			   cfg.nonce_limit : (uint64_t)1 << 32;
	ctx->rnd_pos = sizeof(ctx->rnd);
	for (c = 1; c < GMRK_CIPHER_COUNT; c++) {
		ctx->threshold[c] = cfg.threshold[c] ? cfg.threshold[c] :
				    gmrk__default_threshold[c];
		ctx->threshold_set[c] = cfg.threshold[c] != 0;
	}
	if (!(cfg.flags & GMRK_CFG_IGNORE_ENV)) {
		const char *b = getenv("GMRK_BACKEND");

		if (b && *b && cfg.backend == GMRK_BACKEND_AUTO) {
			int v = gmrk_backend_from_name(b);

			if (v < 0) {
				gmrk__err(err, GMRK_E_INVAL,
					  "GMRK_BACKEND='%s': expected auto, card, kernel or soft", b);
				goto fail;
			}
			ctx->backend = (enum gmrk_backend)v;
		}
		if (gmrk_env_thresholds(ctx, err))
			goto fail;
	}
	if (!(cfg.flags & GMRK_CFG_NO_MASTER_KEY) &&
	    gmrk__ek_load(&ctx->ek, &cfg, err))
		goto fail;
	gmrk__calibrate_ctx(ctx);
	return ctx;
fail:
	gmrk_ctx_free(ctx);
	return NULL;
}

void gmrk_ctx_free(gmrk_ctx *ctx)
{
	if (!ctx)
		return;
	gmrk__raw_free(ctx);
	gmrk__ek_clear(&ctx->ek);
	gmrk__memzero(ctx, sizeof(*ctx));
	free(ctx);
}

int gmrk_ctx_set_cipher(gmrk_ctx *ctx, enum gmrk_cipher c, gmrk_error *err)
{
	if (!ctx)
		return gmrk__err(err, GMRK_E_INVAL, "no context");
	if (!gmrk__cipher_valid(c))
		return gmrk__err(err, GMRK_E_UNSUPPORTED, "unknown cipher %d", (int)c);
	ctx->cipher = c;
	return 0;
}

enum gmrk_cipher gmrk_ctx_cipher(const gmrk_ctx *ctx)
{
	return ctx ? ctx->cipher : GMRK_CIPHER_NONE;
}

int gmrk_backend_available(gmrk_ctx *ctx, enum gmrk_backend b, enum gmrk_cipher c)
{
	uint8_t key[GMRK_MAXKEY] = { 0 };
	struct gmrk_aead a;
	int ok;

	if (!ctx || !gmrk__cipher_valid(c))
		return 0;
	if (b == GMRK_BACKEND_SOFT || b == GMRK_BACKEND_AUTO)
		return gmrk__soft_has(c) || (b == GMRK_BACKEND_AUTO &&
		       (gmrk_backend_available(ctx, GMRK_BACKEND_CARD, c) ||
			gmrk_backend_available(ctx, GMRK_BACKEND_KERNEL, c)));
	if (b != GMRK_BACKEND_CARD && b != GMRK_BACKEND_KERNEL)
		return 0;
	gmrk__probe(ctx);
	if (b == GMRK_BACKEND_CARD && !ctx->probe.card[c][0])
		return 0;
	if (gmrk__aead_init(&a, c, key, gmrk__block_keylen(c), ctx->flags, NULL))
		return 0;
	ok = !gmrk__af_bind(ctx, &a, b == GMRK_BACKEND_CARD ? GMRK_AF_CARD : GMRK_AF_KERNEL);
	gmrk__aead_clear(&a);
	return ok;
}

int gmrk_stats(gmrk_ctx *ctx, struct gmrk_stats *st)
{
	int c, b;

	if (!ctx || !st)
		return -GMRK_E_INVAL;
	memset(st, 0, sizeof(*st));
#define LOAD(f) (ctx->st.f)
	st->seals = LOAD(seals);
	st->opens = LOAD(opens);
	for (b = 0; b < GMRK_BACKEND_COUNT; b++) {
		st->ops[b] = LOAD(ops[b]);
		st->bytes[b] = LOAD(bytes[b]);
	}
	st->fallbacks = LOAD(fallbacks);
	st->busy_retries = LOAD(busy_retries);
	st->auth_failures = LOAD(auth_failures);
	st->plaintext_blocks = LOAD(plaintext_blocks);
	st->errors = LOAD(errors);
	st->batches = LOAD(batches);
	st->calibrations = LOAD(calibrations);
#undef LOAD
	gmrk__probe(ctx);
	for (c = 1; c < GMRK_CIPHER_COUNT; c++) {
		st->threshold[c] = ctx->threshold[c];
		if (ctx->probe.card[c][0])
			st->card_ciphers |= 1u << c;
		if (ctx->af_seen[GMRK_AF_KERNEL][c])
			st->kernel_ciphers |= 1u << c;
	}
	return 0;
}

void gmrk_stats_reset(gmrk_ctx *ctx)
{
	if (ctx)
		memset(&ctx->st, 0, sizeof(ctx->st));
}

/*
 * Nonces: 12 random bytes each, from OpenSSL's DRBG (RAND_bytes: AES-256
 * CTR-DRBG, seeded and periodically reseeded from getrandom(), reseeded in
 * a forked child), read 4 KiB at a time. getrandom() itself was the
 * largest single cost of sealing a small block here (about 2.8 ns per byte
 * in the kernel, 35 ns a nonce, against 190 ns for the whole AEAD of a
 * 256-byte block); the DRBG produces the same quality of randomness for a
 * fraction of that, and a RAND_bytes call costs about 1 us whatever its
 * size, hence a buffer of many nonces (4.8 ns a nonce at 4 KiB; 16 KiB,
 * 2.5 ns, made no difference end to end and costs more cache).
 * If OpenSSL cannot produce bytes (no seed), getrandom() is used directly.
 * The same generation also tells AF_ALG handles that they were inherited
 * across fork() (lib/afalg.c). A forked child must not reuse the parent's
 * buffered bytes (the same nonces under the same keys), so a fork bumps a
 * process-wide generation and every context refills when its generation
 * is stale (gmrk__nonce_draw() checks it on every draw).
 */
unsigned int gmrk__forks;
static pthread_once_t gmrk_atfork_once = PTHREAD_ONCE_INIT;

static void gmrk_on_fork_child(void)
{
	__atomic_fetch_add(&gmrk__forks, 1, __ATOMIC_RELAXED);
}

static void gmrk_atfork_register(void)
{
	pthread_atfork(NULL, NULL, gmrk_on_fork_child);
}

unsigned int gmrk__fork_gen(void)
{
	pthread_once(&gmrk_atfork_once, gmrk_atfork_register);
	return __atomic_load_n(&gmrk__forks, __ATOMIC_RELAXED);
}

int gmrk__nonce_refill(struct gmrk_ctx *ctx)
{
	/* registers the fork handler before the buffer is filled */
	unsigned int gen = gmrk__fork_gen();

	if (RAND_bytes(ctx->rnd, (int)sizeof(ctx->rnd)) != 1) {
		int rc = gmrk__getrandom(ctx->rnd, sizeof(ctx->rnd));

		if (rc)
			return rc;
	}
	ctx->rnd_pos = 0;
	ctx->rnd_gen = gen;
	return 0;
}

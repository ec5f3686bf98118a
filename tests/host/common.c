// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers shared by the host tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common.h"

/* OpenSSL decodes (a separator of '\0': digits only), as in the CLI */
uint8_t *th_hex(const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	uint8_t *out = malloc(n / 2 + 1);

	assert_non_null(out);
	assert_int_equal(n % 2, 0);
	assert_int_equal(OPENSSL_hexstr2buf_ex(out, n / 2 + 1, len, hex, '\0'), 1);
	return out;
}

void th_kat_decode(const struct th_kat *k, struct th_kat_bytes *v)
{
	v->key = th_hex(k->key, &v->klen);
	v->iv = th_hex(k->iv, &v->ivlen);
	v->aad = th_hex(k->aad, &v->alen);
	v->pt = th_hex(k->pt, &v->plen);
	v->ct = th_hex(k->ct, &v->clen);
	v->tag = th_hex(k->tag, &v->tlen);
	assert_int_equal(v->clen, v->plen);
	assert_int_equal(v->tlen, GMRK_TAG_LEN);
}

void th_kat_free(struct th_kat_bytes *v)
{
	free(v->key);
	free(v->iv);
	free(v->aad);
	free(v->pt);
	free(v->ct);
	free(v->tag);
}

static uint64_t th_state = 0x9e3779b97f4a7c15ull;

uint64_t th_rand(void)
{
	th_state ^= th_state << 13;
	th_state ^= th_state >> 7;
	th_state ^= th_state << 17;
	return th_state;
}

void th_fill(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)th_rand();
}

static gmrk_ctx *th_ctx_new(const struct gmrk_config *cfg)
{
	gmrk_error err;
	gmrk_ctx *ctx = gmrk_ctx_new(cfg, &err);

	if (!ctx)
		fail_msg("gmrk_ctx_new: %s", err.message);
	return ctx;
}

gmrk_ctx *th_ctx(enum gmrk_backend b, enum gmrk_cipher c, unsigned int flags)
{
	struct gmrk_config cfg;

	gmrk_config_init(&cfg);
	cfg.backend = b;
	cfg.cipher = c ? c : GMRK_CIPHER_AES_GCM;
	cfg.flags = flags | GMRK_CFG_IGNORE_ENV | GMRK_CFG_NO_MASTER_KEY;
	return th_ctx_new(&cfg);
}

gmrk_ctx *th_ctx_ek(const char *ek, enum gmrk_cipher c, unsigned int flags)
{
	struct gmrk_config cfg;

	gmrk_config_init(&cfg);
	cfg.backend = GMRK_BACKEND_SOFT;
	cfg.cipher = c ? c : GMRK_CIPHER_AES_GCM;
	cfg.flags = flags | GMRK_CFG_IGNORE_ENV;
	cfg.master_key = ek;
	cfg.master_key_len = ek ? strlen(ek) : 0;
	cfg.scrypt_log2n = 10;	/* fast: tests only */
	return th_ctx_new(&cfg);
}

gmrk_key *th_key(gmrk_ctx *ctx, uint32_t version)
{
	static const uint8_t id[GMRK_KEY_ID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t aek[GMRK_KEY_LEN];
	gmrk_error err;
	gmrk_key *k;
	int i;

	for (i = 0; i < GMRK_KEY_LEN; i++)
		aek[i] = (uint8_t)(0xa0 + i);
	k = gmrk_key_from_bytes(ctx, aek, sizeof(aek), id, version, &err);
	if (!k)
		fail_msg("gmrk_key_from_bytes: %s", err.message);
	return k;
}

gmrk_key *th_key_ok(gmrk_ctx *ctx, const char *path, unsigned int flags)
{
	gmrk_error err;
	gmrk_key *k = gmrk_key_open(ctx, path, NULL, flags, &err);

	if (!k)
		fail_msg("gmrk_key_open '%s': %s", path, err.message);
	return k;
}

static char th_dir[256];

static void th_rmdir(void)
{
	char cmd[300];

	if (th_dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", th_dir);
		if (system(cmd))
			fprintf(stderr, "# could not remove %s\n", th_dir);
	}
}

const char *th_tmpdir(void)
{
	if (!th_dir[0]) {
		const char *base = getenv("TMPDIR");

		snprintf(th_dir, sizeof(th_dir), "%s/gmrk-test.XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(th_dir))
			abort();
		atexit(th_rmdir);
	}
	return th_dir;
}

char *th_path(const char *name)
{
	char *p = malloc(512);

	assert_non_null(p);
	snprintf(p, 512, "%s/%s", th_tmpdir(), name);
	return p;
}

int th_run(const char *name, const struct CMUnitTest *tests, size_t n)
{
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return _cmocka_run_group_tests(name, tests, n, NULL, NULL);
}

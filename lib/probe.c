// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which AF_ALG implementations exist: /proc/crypto, read once per context.
 *
 * The card's algorithms have fixed driver names (gcm-aes-gmrk, ...). The
 * kernel's own software implementation must be bound by *driver* name,
 * because the generic name (gcm(aes)) resolves to the highest priority
 * implementation, which is the card (priority 500) when gmrk.ko is loaded.
 * Candidates: every listed non-gmrk AEAD of that name, best priority
 * first, then the template instances the kernel can always build.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

#ifndef AF_ALG
#define AF_ALG 38
#endif

static const char *const gmrk_cra_name[GMRK_CIPHER_COUNT] = {
	[GMRK_CIPHER_AES_GCM] = "gcm(aes)",
	[GMRK_CIPHER_SM4_GCM] = "gcm(sm4)",
	[GMRK_CIPHER_CHACHA20_POLY1305] = "rfc7539(chacha20,poly1305)",
};

static const char *const gmrk_card_drv[GMRK_CIPHER_COUNT] = {
	[GMRK_CIPHER_AES_GCM] = "gcm-aes-gmrk",
	[GMRK_CIPHER_SM4_GCM] = "gcm-sm4-gmrk",
	[GMRK_CIPHER_CHACHA20_POLY1305] = "rfc7539-chacha20-poly1305-gmrk",
};

/* Template instances of the kernel's own code, tried after /proc/crypto's. */
static const char *const gmrk_kernel_fallback[GMRK_CIPHER_COUNT][3] = {
	[GMRK_CIPHER_AES_GCM] = {
		"generic-gcm-aesni",
		"gcm_base(ctr-aes-aesni,ghash-generic)",
		"gcm_base(ctr(aes-generic),ghash-generic)",
	},
	[GMRK_CIPHER_SM4_GCM] = {
		/* Debian 6.1 has no SM4; gmrk.ko brings the block cipher */
		"gcm_base(ctr(sm4-gmrk),ghash-generic)",
		"gcm_base(ctr(sm4-generic),ghash-generic)",
	},
	[GMRK_CIPHER_CHACHA20_POLY1305] = {
		"rfc7539(chacha20-simd,poly1305-simd)",
		"rfc7539(chacha20-generic,poly1305-generic)",
	},
};

const char *gmrk__card_driver(enum gmrk_cipher c)
{
	return gmrk__cipher_valid(c) ? gmrk_card_drv[c] : NULL;
}

struct gmrk_alg {
	char name[128], driver[128], type[32];
	int priority;
	bool internal;
};

static bool gmrk_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static void gmrk_add_kernel(struct gmrk_probe *p, int c, const char *drv)
{
	int i;

	for (i = 0; i < p->nkernel[c]; i++)
		if (!strcmp(p->kernel[c][i], drv))
			return;
	if (p->nkernel[c] < 6)
		snprintf(p->kernel[c][p->nkernel[c]++], sizeof(p->kernel[c][0]), "%s", drv);
}

static void gmrk_take(struct gmrk_probe *p, const struct gmrk_alg *a,
		      struct gmrk_alg best[GMRK_CIPHER_COUNT][6], int nbest[])
{
	int c, i;

	if (strcmp(a->type, "aead") || a->internal)
		return;
	for (c = 1; c < GMRK_CIPHER_COUNT; c++) {
		if (strcmp(a->name, gmrk_cra_name[c]))
			continue;
		if (!strcmp(a->driver, gmrk_card_drv[c])) {
			snprintf(p->card[c], sizeof(p->card[c]), "%s", a->driver);
			continue;
		}
		if (gmrk_ends_with(a->driver, "-gmrk") || nbest[c] >= 6)
			continue;
		/* insertion by priority, highest first */
		for (i = nbest[c]; i > 0 && best[c][i - 1].priority < a->priority; i--)
			best[c][i] = best[c][i - 1];
		best[c][i] = *a;
		nbest[c]++;
	}
}

static void gmrk_field(struct gmrk_alg *a, const char *key, const char *val)
{
	if (!strcmp(key, "name"))
		snprintf(a->name, sizeof(a->name), "%s", val);
	else if (!strcmp(key, "driver"))
		snprintf(a->driver, sizeof(a->driver), "%s", val);
	else if (!strcmp(key, "type"))
		snprintf(a->type, sizeof(a->type), "%s", val);
	else if (!strcmp(key, "priority"))
		a->priority = atoi(val);
	else if (!strcmp(key, "internal"))
		a->internal = !strcmp(val, "yes");
}

/* Parses /proc/crypto's text ("key : value" lines, blank line between). */
int gmrk__probe_parse(const char *text, struct gmrk_probe *p)
{
	struct gmrk_alg best[GMRK_CIPHER_COUNT][6];
	int nbest[GMRK_CIPHER_COUNT] = { 0 };
	struct gmrk_alg cur;
	const char *s = text;
	int c, i;

	memset(&cur, 0, sizeof(cur));
	for (c = 0; c < GMRK_CIPHER_COUNT; c++) {
		p->card[c][0] = '\0';
		p->nkernel[c] = 0;
	}
	while (*s) {
		const char *eol = strchr(s, '\n');
		size_t n = eol ? (size_t)(eol - s) : strlen(s);
		char line[256], *colon, *k, *v, *e;

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, s, n);
		line[n] = '\0';
		s = eol ? eol + 1 : s + strlen(s);
		colon = strchr(line, ':');
		if (!colon) {
			if (cur.name[0])
				gmrk_take(p, &cur, best, nbest);
			memset(&cur, 0, sizeof(cur));
			continue;
		}
		*colon = '\0';
		k = line;
		v = colon + 1;
		for (e = colon; e > k && (e[-1] == ' ' || e[-1] == '\t'); e--)
			e[-1] = '\0';
		while (*v == ' ' || *v == '\t')
			v++;
		gmrk_field(&cur, k, v);
	}
	if (cur.name[0])
		gmrk_take(p, &cur, best, nbest);
	for (c = 1; c < GMRK_CIPHER_COUNT; c++) {
		for (i = 0; i < nbest[c]; i++)
			gmrk_add_kernel(p, c, best[c][i].driver);
		for (i = 0; i < 3 && gmrk_kernel_fallback[c][i]; i++)
			gmrk_add_kernel(p, c, gmrk_kernel_fallback[c][i]);
	}
	return 0;
}

static char *gmrk_slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	size_t cap = 65536, len = 0, n;
	char *buf, *nb;

	if (!f)
		return NULL;
	buf = malloc(cap + 1);
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
		}
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/*
 * Called before each AF_ALG routing decision; re-reads /proc/crypto at
 * most every GMRK_REPROBE_NS so that a card that appears (module loaded,
 * device created) or goes away is noticed by long-lived contexts.
 */
void gmrk__probe(struct gmrk_ctx *ctx)
{
	struct gmrk_probe *p = &ctx->probe;
	uint64_t now = gmrk__now_ns();
	char *text;
	int fd;

	if (p->done && (!p->afalg || now - p->probed_at < GMRK_REPROBE_NS))
		return;
	p->done = true;
	p->probed_at = now;
	fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	p->afalg = fd >= 0;
	if (fd >= 0)
		close(fd);
	text = p->afalg ? gmrk_slurp("/proc/crypto") : NULL;
	gmrk__probe_parse(text ? text : "", p);
	free(text);
	if (!p->afalg) {
		int c;

		for (c = 0; c < GMRK_CIPHER_COUNT; c++) {
			p->card[c][0] = '\0';
			p->nkernel[c] = 0;
		}
	}
}

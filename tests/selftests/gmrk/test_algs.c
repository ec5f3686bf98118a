// SPDX-License-Identifier: GPL-2.0-or-later
/* The gmrk selftests' algorithm table and small utilities (test_algs.h). */
#include "test_algs.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* Names as registered by gmrk (see .work/DRIVER_IFACE.md). */
const struct aead_alg aead_algs[NUM_AEAD_ALGS] = {
	[ALG_AES128] = {
		"aes128-gcm", "gcm(aes)", "gcm-aes-gmrk", "GMRK_DRV_GCM_AES",
		"gcm_base(ctr(aes-generic),ghash-generic)", REF_AES_GCM, 16,
	},
	[ALG_AES192] = {
		"aes192-gcm", "gcm(aes)", "gcm-aes-gmrk", "GMRK_DRV_GCM_AES",
		"gcm_base(ctr(aes-generic),ghash-generic)", REF_AES_GCM, 24,
	},
	[ALG_AES256] = {
		"aes256-gcm", "gcm(aes)", "gcm-aes-gmrk", "GMRK_DRV_GCM_AES",
		"gcm_base(ctr(aes-generic),ghash-generic)", REF_AES_GCM, 32,
	},
	[ALG_SM4] = {
		/* The kernel has no SM4 of its own: its gcm template over gmrk's. */
		"sm4-gcm", "gcm(sm4)", "gcm-sm4-gmrk", "GMRK_DRV_GCM_SM4",
		"gcm_base(ctr(sm4-gmrk),ghash-generic)", REF_SM4_GCM, 16,
	},
	[ALG_CHACHAPOLY] = {
		"chacha20-poly1305", "rfc7539(chacha20,poly1305)",
		"rfc7539-chacha20-poly1305-gmrk", "GMRK_DRV_CHACHAPOLY",
		"rfc7539(chacha20-generic,poly1305-generic)", REF_CHACHAPOLY, 32,
	},
};

const char *aead_driver_name(const struct aead_alg *alg)
{
	const char *v = getenv(alg->env);

	return v && *v ? v : alg->driver;
}

bool aead_is_gmrk(const struct aead_alg *alg)
{
	return !strcmp(aead_driver_name(alg), alg->driver);
}

static const unsigned int gcm_tags[] = { 4, 8, 12, 13, 14, 15, 16 };
static const unsigned int poly_tags[] = { 16 };

size_t aead_authsizes(const struct aead_alg *alg, const unsigned int **sizes)
{
	if (alg->ref == REF_CHACHAPOLY) {
		*sizes = poly_tags;
		return ARRAY_SIZE(poly_tags);
	}
	*sizes = gcm_tags;
	return ARRAY_SIZE(gcm_tags);
}

bool aead_authsize_ok(const struct aead_alg *alg, unsigned int authsize)
{
	const unsigned int *s;
	size_t n = aead_authsizes(alg, &s);

	for (size_t i = 0; i < n; i++)
		if (s[i] == authsize)
			return true;
	return false;
}

uint64_t test_seed(void)
{
	const char *v = getenv("GMRK_TEST_SEED");
	uint64_t seed;

	if (v && *v)
		return strtoull(v, NULL, 0);
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)time(NULL);
	return seed;
}

void prng_init(struct prng *p, uint64_t seed)
{
	p->s = seed;
}

uint64_t prng_u64(struct prng *p)
{
	uint64_t z = (p->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t prng_below(struct prng *p, uint64_t n)
{
	return prng_u64(p) % n;
}

void prng_fill(struct prng *p, void *buf, size_t len)
{
	uint8_t *b = buf;

	while (len) {
		uint64_t v = prng_u64(p);
		size_t n = len < 8 ? len : 8;

		memcpy(b, &v, n);
		b += n;
		len -= n;
	}
}

size_t prng_len(struct prng *p, size_t max)
{
	/* Block and page edges are where SG and padding bugs live. */
	static const size_t edges[] = { 0, 1, 15, 16, 17, 31, 32, 33, 63, 64,
					255, 256, 4095, 4096, 4097 };
	size_t n;

	switch (prng_below(p, 8)) {
	case 0:
		n = edges[prng_below(p, ARRAY_SIZE(edges))];
		break;
	case 1:
		n = max;
		break;
	case 2:
	case 3:
		n = prng_below(p, 257);
		break;
	case 4:
	case 5:
		n = prng_below(p, 4097);
		break;
	default:
		n = prng_below(p, max + 1);
	}
	return n > max ? max : n;
}

uint8_t *hex_alloc(const char *hex, size_t *len)
{
	size_t n = 0, cap = strlen(hex) / 2 + 1;
	uint8_t *out = malloc(cap);
	int hi = -1;

	if (!out)
		return NULL;
	for (const char *c = hex; *c; c++) {
		int v;

		if (isspace((unsigned char)*c))
			continue;
		if (!isxdigit((unsigned char)*c)) {
			free(out);
			return NULL;
		}
		v = isdigit((unsigned char)*c) ? *c - '0' :
			tolower((unsigned char)*c) - 'a' + 10;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0) {
		free(out);
		return NULL;
	}
	*len = n;
	return out;
}

unsigned int test_scaled(unsigned int n)
{
	const char *v = getenv("GMRK_TEST_SCALE");
	unsigned long s = v && *v ? strtoul(v, NULL, 0) : 1;

	return (unsigned int)(n * (s ? s : 1));
}

const char *test_mode(void)
{
	const char *v = getenv("GMRK_TEST_MODE");

	return v ? v : "";
}

bool test_mode_is_pci(void)
{
	return !strcmp(test_mode(), "pci");
}

long first_diff(const uint8_t *a, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return (long)i;
	return -1;
}

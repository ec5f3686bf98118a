// SPDX-License-Identifier: LGPL-2.1-or-later
/* Cipher and backend names, key lengths. */
#include <string.h>
#include <strings.h>

#include "internal.h"

static const struct {
	const char *name;
	enum gmrk_cipher c;
} gmrk_cipher_names[] = {
	{ "aes", GMRK_CIPHER_AES_GCM },
	{ "aes-gcm", GMRK_CIPHER_AES_GCM },
	{ "aes-256-gcm", GMRK_CIPHER_AES_GCM },
	{ "aes256-gcm", GMRK_CIPHER_AES_GCM },
	{ "gcm(aes)", GMRK_CIPHER_AES_GCM },
	{ "sm4", GMRK_CIPHER_SM4_GCM },
	{ "sm4-gcm", GMRK_CIPHER_SM4_GCM },
	{ "gcm(sm4)", GMRK_CIPHER_SM4_GCM },
	{ "chachapoly", GMRK_CIPHER_CHACHA20_POLY1305 },
	{ "chacha", GMRK_CIPHER_CHACHA20_POLY1305 },
	{ "chacha20-poly1305", GMRK_CIPHER_CHACHA20_POLY1305 },
	{ "rfc7539(chacha20,poly1305)", GMRK_CIPHER_CHACHA20_POLY1305 },
};

enum gmrk_cipher gmrk_cipher_from_name(const char *name)
{
	size_t i;

	if (!name)
		return GMRK_CIPHER_NONE;
	for (i = 0; i < sizeof(gmrk_cipher_names) / sizeof(gmrk_cipher_names[0]); i++)
		if (!strcasecmp(name, gmrk_cipher_names[i].name))
			return gmrk_cipher_names[i].c;
	return GMRK_CIPHER_NONE;
}

const char *gmrk_cipher_name(enum gmrk_cipher c)
{
	switch (c) {
	case GMRK_CIPHER_AES_GCM:
		return "aes-gcm";
	case GMRK_CIPHER_SM4_GCM:
		return "sm4-gcm";
	case GMRK_CIPHER_CHACHA20_POLY1305:
		return "chacha20-poly1305";
	default:
		return NULL;
	}
}

bool gmrk__cipher_valid(enum gmrk_cipher c)
{
	return c == GMRK_CIPHER_AES_GCM || c == GMRK_CIPHER_SM4_GCM ||
	       c == GMRK_CIPHER_CHACHA20_POLY1305;
}

bool gmrk__keylen_ok(enum gmrk_cipher c, size_t keylen)
{
	switch (c) {
	case GMRK_CIPHER_AES_GCM:
		return keylen == 16 || keylen == 24 || keylen == 32;
	case GMRK_CIPHER_SM4_GCM:
		return keylen == 16;
	case GMRK_CIPHER_CHACHA20_POLY1305:
		return keylen == 32;
	default:
		return false;
	}
}

size_t gmrk__block_keylen(enum gmrk_cipher c)
{
	return c == GMRK_CIPHER_SM4_GCM ? 16 : 32;
}

int gmrk_backend_from_name(const char *name)
{
	if (!name)
		return -1;
	if (!strcasecmp(name, "auto"))
		return GMRK_BACKEND_AUTO;
	if (!strcasecmp(name, "card"))
		return GMRK_BACKEND_CARD;
	if (!strcasecmp(name, "kernel"))
		return GMRK_BACKEND_KERNEL;
	if (!strcasecmp(name, "soft") || !strcasecmp(name, "software"))
		return GMRK_BACKEND_SOFT;
	return -1;
}

const char *gmrk_backend_name(enum gmrk_backend b)
{
	switch (b) {
	case GMRK_BACKEND_AUTO:
		return "auto";
	case GMRK_BACKEND_CARD:
		return "card";
	case GMRK_BACKEND_KERNEL:
		return "kernel";
	case GMRK_BACKEND_SOFT:
		return "soft";
	default:
		return "?";
	}
}

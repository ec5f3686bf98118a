/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pincodes: the secret that unlocks an SM2 private key file. It comes
 * from the caller or from an environment variable (GMRK_PINCODE), which
 * is removed from the environment as soon as it has been read.
 */
#ifndef GMRK_KEYS_PINCODE_H
#define GMRK_KEYS_PINCODE_H

#include <stddef.h>

#include <gmrk/gmrk.h>

#define GMRK_PINCODE_ENV	"GMRK_PINCODE"
#define GMRK_PINCODE_MAX	1024	/* bytes, not counting the NUL */

struct gmrk_pincode {
	char *buf;	/* NUL-terminated copy, zeroized by gmrk_pincode_clear */
	size_t len;
};

/*
 * Copies the value of environment variable @name (NULL: GMRK_PINCODE)
 * into @pin, then removes the variable (unsetenv) and, when the value lies
 * in the environment block the kernel gave the process at exec (what
 * /proc/PID/environ shows), overwrites it there with zeros. Memory that
 * setenv()/putenv() placed elsewhere cannot be wiped safely: it may be
 * read-only or owned by the caller (documented in key-management.rst).
 * -GMRK_E_NOKEY when the variable is unset or empty, -GMRK_E_INVAL when it
 * is longer than GMRK_PINCODE_MAX.
 */
int gmrk_pincode_from_env(const char *name, struct gmrk_pincode *pin,
			  gmrk_error *err);

/* Copies @len bytes of @s (1..GMRK_PINCODE_MAX) into @pin. */
int gmrk_pincode_set(struct gmrk_pincode *pin, const char *s, size_t len,
		     gmrk_error *err);

/* Zeroizes and frees the copy; @pin can be cleared again safely. */
void gmrk_pincode_clear(struct gmrk_pincode *pin);

#endif /* GMRK_KEYS_PINCODE_H */

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Error codes and messages: every failing call returns -GMRK_E_* and, when
 * the caller passed a gmrk_error, says in one line what went wrong and
 * where ("error decrypting key file 'stream1.key': sm4-gcm: message
 * authentication failed"). gmrk__err() and gmrk__err_sys() fill it; they
 * are lib/keys' (lib/internal.h), shared with the key providers.
 */

#include "internal.h"

static const char *const gmrk_errstr[GMRK_E_MAX] = {
	[GMRK_OK] = "success",
	[GMRK_E_INVAL] = "invalid argument",
	[GMRK_E_NOMEM] = "out of memory",
	[GMRK_E_AUTH] = "message authentication failed",
	[GMRK_E_WRONG_KEY] = "wrong key",
	[GMRK_E_CORRUPT] = "corrupt data",
	[GMRK_E_TRUNCATED] = "truncated data",
	[GMRK_E_UNSUPPORTED] = "not supported",
	[GMRK_E_IO] = "input/output error",
	[GMRK_E_NOKEY] = "no key configured",
	[GMRK_E_PERM] = "insecure key file permissions",
	[GMRK_E_PLAINTEXT] = "unencrypted data not allowed",
	[GMRK_E_SPACE] = "output buffer too small",
	[GMRK_E_EXHAUSTED] = "key usage limit reached",
	[GMRK_E_EXISTS] = "key file exists",
	[GMRK_E_NOENT] = "key file not found",
};

const char *gmrk_strerror(int code)
{
	if (code < 0)
		code = -code;
	if (code >= GMRK_E_MAX)
		return "unknown error";
	return gmrk_errstr[code];
}

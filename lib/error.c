// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Error codes and messages: every failing call returns -GMRK_E_* and, when
 * the caller passed a gmrk_error, says in one line what went wrong and
 * where ("error decrypting key file 'stream1.key': sm4-gcm: message
 * authentication failed").
 */
#include <stdio.h>
#include <string.h>

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

static int gmrk_verr(gmrk_error *err, int code, int sys_errno,
		     const char *fmt, va_list ap)
{
	if (err) {
		err->code = code;
		err->sys_errno = sys_errno;
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
	}
	return -code;
}

int gmrk__err(gmrk_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = gmrk_verr(err, code, 0, fmt, ap);
	va_end(ap);
	return rc;
}

int gmrk__err_sys(gmrk_error *err, int sys_errno, const char *fmt, ...)
{
	char head[GMRK_ERRMSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	gmrk__err(err, GMRK_E_IO, "%.200s: %s", head, strerror(sys_errno));
	if (err)
		err->sys_errno = sys_errno;
	return -GMRK_E_IO;
}

void gmrk__err_clear(gmrk_error *err)
{
	if (err) {
		err->code = 0;
		err->sys_errno = 0;
		err->message[0] = '\0';
	}
}

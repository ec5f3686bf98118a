// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Pincodes from the caller or the environment.
 *
 * unsetenv() only drops the pointer from environ; the bytes stay where
 * they were. For a variable inherited at exec they are in the block
 * between the kernel's env_start and env_end, which stays readable
 * through /proc/PID/environ for the life of the process, so we zero them
 * there. That block is the process's own writable stack memory. Anything
 * else (setenv copies, putenv strings) may be read-only or belong to the
 * caller and is left alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keyio.h"
#include "pincode.h"

int gmrk_pincode_set(struct gmrk_pincode *pin, const char *s, size_t len,
		     gmrk_error *err)
{
	memset(pin, 0, sizeof(*pin));
	if (!s || !len)
		return gmrk_keys__err(err, GMRK_E_NOKEY, "no pincode given");
	if (len > GMRK_PINCODE_MAX)
		return gmrk_keys__err(err, GMRK_E_INVAL, "pincode longer than %d bytes",
				      GMRK_PINCODE_MAX);
	pin->buf = malloc(len + 1);
	if (!pin->buf)
		return gmrk_keys__err(err, GMRK_E_NOMEM, "out of memory");
	memcpy(pin->buf, s, len);
	pin->buf[len] = '\0';
	pin->len = len;
	return 0;
}

void gmrk_pincode_clear(struct gmrk_pincode *pin)
{
	if (pin->buf) {
		gmrk_keys__memzero(pin->buf, pin->len + 1);
		free(pin->buf);
	}
	pin->buf = NULL;
	pin->len = 0;
}

/* env_start and env_end, fields 50 and 51 of /proc/self/stat (proc(5)) */
static int gmrk_env_block(uintptr_t *start, uintptr_t *end)
{
	char buf[2048], *p, *save = NULL;
	unsigned long long v[2] = { 0, 0 };
	ssize_t n;
	int fd, field;

	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* field 2 (comm) may hold spaces and parentheses: skip to the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	field = 2;
	for (p = strtok_r(p + 1, " \n", &save); p; p = strtok_r(NULL, " \n", &save)) {
		field++;
		if (field == 50)
			v[0] = strtoull(p, NULL, 10);
		if (field == 51) {
			v[1] = strtoull(p, NULL, 10);
			if (!v[0] || v[1] <= v[0])
				return -1;
			*start = (uintptr_t)v[0];
			*end = (uintptr_t)v[1];
			return 0;
		}
	}
	return -1;
}

int gmrk_pincode_from_env(const char *name, struct gmrk_pincode *pin,
			  gmrk_error *err)
{
	uintptr_t start, end, at;
	char *val;
	size_t len;
	int rc;

	memset(pin, 0, sizeof(*pin));
	if (!name)
		name = GMRK_PINCODE_ENV;
	val = getenv(name);
	if (!val || !*val)
		return gmrk_keys__err(err, GMRK_E_NOKEY,
				      "no pincode: environment variable %s is not set", name);
	len = strlen(val);
	rc = gmrk_pincode_set(pin, val, len, err);
	at = (uintptr_t)val;
	if (!gmrk_env_block(&start, &end) && at >= start && at + len <= end)
		gmrk_keys__memzero(val, len);
	unsetenv(name);
	if (rc == -GMRK_E_INVAL)
		gmrk_keys__err(err, GMRK_E_INVAL, "%s: pincode longer than %d bytes",
			       name, GMRK_PINCODE_MAX);
	return rc;
}

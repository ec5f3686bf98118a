// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * lib/keys: errors, zeroizing and the file I/O every key file needs, shared
 * by the providers and by libgmrk's own key files (lib/keyfile.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "keyio.h"

static int gmrk_keys_verr(gmrk_error *err, int code, int sys_errno, const char *fmt,
			  va_list ap)
{
	char head[GMRK_ERRMSG_LEN];

	if (!err)
		return -code;
	err->code = code;
	err->sys_errno = sys_errno;
	if (!sys_errno) {
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		return -code;
	}
	/* a long message is cut, not the reason after it */
	vsnprintf(head, sizeof(head), fmt, ap);
	snprintf(err->message, sizeof(err->message), "%.200s: %s", head, strerror(sys_errno));
	return -code;
}

int gmrk_keys__err(gmrk_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = gmrk_keys_verr(err, code, 0, fmt, ap);
	va_end(ap);
	return rc;
}

int gmrk_keys__err_sys(gmrk_error *err, int sys_errno, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = gmrk_keys_verr(err, GMRK_E_IO, sys_errno, fmt, ap);
	va_end(ap);
	return rc;
}

void gmrk_keys__err_clear(gmrk_error *err)
{
	if (err) {
		err->code = 0;
		err->sys_errno = 0;
		err->message[0] = '\0';
	}
}

void gmrk_keys__memzero(void *p, size_t len)
{
	if (p && len)
		OPENSSL_cleanse(p, len);
}

/* @path opened for reading: a descriptor, or a negative code (NOENT, IO) */
static int gmrk_keys_open(const char *path, const char *what, gmrk_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return gmrk_keys__err(err, GMRK_E_NOENT, "%s '%s' does not exist", what, path);
	return gmrk_keys__err_sys(err, errno, "%s '%s'", what, path);
}

int gmrk_keys__read_file(const char *path, size_t max, const char *what,
			 uint8_t **out, size_t *outlen, gmrk_error *err)
{
	struct stat st;
	uint8_t *buf;
	size_t len = 0;
	ssize_t n;
	int fd, rc = 0;

	fd = gmrk_keys_open(path, what, err);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		rc = gmrk_keys__err_sys(err, errno, "%s '%s'", what, path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = gmrk_keys__err(err, GMRK_E_CORRUPT, "%s '%s': not a regular file",
				    what, path);
		goto out;
	}
	if (st.st_mode & 077) {
		rc = gmrk_keys__err(err, GMRK_E_PERM,
				    "%s '%s' is accessible by group or others (mode %04o): chmod 600 it",
				    what, path, (unsigned int)(st.st_mode & 07777));
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		rc = gmrk_keys__err(err, GMRK_E_CORRUPT, "%s '%s': larger than %zu bytes",
				    what, path, max);
		goto out;
	}
	/* one byte more than the size: a file growing under us is noticed */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		rc = gmrk_keys__err(err, GMRK_E_NOMEM, "out of memory");
		goto out;
	}
	while (len <= (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = gmrk_keys__err_sys(err, errno, "%s '%s'", what, path);
			gmrk_keys__memzero(buf, len);
			free(buf);
			goto out;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		rc = gmrk_keys__err(err, GMRK_E_CORRUPT, "%s '%s': larger than %zu bytes",
				    what, path, max);
		gmrk_keys__memzero(buf, len);
		free(buf);
		goto out;
	}
	*out = buf;
	*outlen = len;
out:
	close(fd);
	return rc;
}

static int gmrk_keys_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int gmrk_keys_fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd))
		rc = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

/*
 * Writes @buf to a new "<path>.tmp.XXXXXX" in @path's directory, mode
 * 0600 (and @owner's uid and gid when given), fsynced and closed.
 * Returns its name (the caller unlinks and frees it), or NULL with -errno
 * in *@rc and nothing left behind.
 */
static char *gmrk_keys_write_tmp(const char *path, const void *buf, size_t len,
				 const struct stat *owner, int *rc)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + sizeof(".tmp.XXXXXX"));
	int fd;

	if (!tmp) {
		*rc = -ENOMEM;
		return NULL;
	}
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
	/* mkostemp creates the file 0600 already; fchmod makes it explicit */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		*rc = -errno;
		free(tmp);
		return NULL;
	}
	*rc = fchmod(fd, 0600) ? -errno : 0;
	/* keep the owner, so the engine that reads the file still can */
	if (!*rc && owner && (owner->st_uid != geteuid() || owner->st_gid != getegid()) &&
	    fchown(fd, owner->st_uid, owner->st_gid))
		*rc = -errno;
	if (!*rc)
		*rc = gmrk_keys_write_all(fd, buf, len);
	if (!*rc && fsync(fd))
		*rc = -errno;
	if (close(fd) && !*rc)
		*rc = -errno;
	if (*rc) {
		unlink(tmp);
		free(tmp);
		return NULL;
	}
	return tmp;
}

/*
 * @buf as file @path, through a temporary file: link()ed to a new name
 * (rename() would silently replace an existing key), or rename()d over
 * the old file with @replace (atomic: readers see the old file or the new
 * one, never a mix); then the directory is fsynced.
 */
static int gmrk_keys_put(const char *path, const void *buf, size_t len,
			 const char *what, bool replace, gmrk_error *err)
{
	struct stat st;
	char *tmp;
	int rc;

	if (replace && stat(path, &st))
		return gmrk_keys__err_sys(err, errno, "%s '%s'", what, path);
	tmp = gmrk_keys_write_tmp(path, buf, len, replace ? &st : NULL, &rc);
	if (!tmp)
		return gmrk_keys__err_sys(err, -rc, "cannot %s %s '%s'",
					  replace ? "write" : "create", what, path);
	rc = (replace ? rename(tmp, path) : link(tmp, path)) ? -errno : 0;
	if (rc || !replace)
		unlink(tmp);
	free(tmp);
	if (rc == -EEXIST && !replace)
		return gmrk_keys__err(err, GMRK_E_EXISTS, "%s '%s' already exists", what, path);
	if (rc)
		return gmrk_keys__err_sys(err, -rc, "cannot write %s '%s'", what, path);
	rc = gmrk_keys_fsync_dir(path);
	if (rc)
		return gmrk_keys__err_sys(err, -rc, "%s '%s': fsync of its directory", what, path);
	return 0;
}

int gmrk_keys__write_new(const char *path, const void *buf, size_t len,
			 const char *what, gmrk_error *err)
{
	return gmrk_keys_put(path, buf, len, what, false, err);
}

int gmrk_keys__replace(const char *path, const void *buf, size_t len,
		       const char *what, gmrk_error *err)
{
	return gmrk_keys_put(path, buf, len, what, true, err);
}

int gmrk_keys__lock(const char *path, const char *what, gmrk_error *err)
{
	struct stat held, now;
	int fd, rc;

	for (;;) {
		/*
		 * NFS turns flock() into a whole-file fcntl() lock, and an
		 * exclusive one of those needs a descriptor open for writing;
		 * a read-only file (mode 0400, a read-only mount) still locks
		 * locally through a read-only descriptor.
		 */
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
		if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM))
			fd = gmrk_keys_open(path, what, err);
		else if (fd < 0 && errno == ENOENT)
			return gmrk_keys__err(err, GMRK_E_NOENT, "%s '%s' does not exist",
					      what, path);
		else if (fd < 0)
			return gmrk_keys__err_sys(err, errno, "%s '%s'", what, path);
		if (fd < 0)
			return fd;
		while (flock(fd, LOCK_EX))
			if (errno != EINTR)
				goto fail;
		if (fstat(fd, &held))
			goto fail;
		if (!stat(path, &now)) {
			/* the name still holds the file we locked: it is ours */
			if (held.st_dev == now.st_dev && held.st_ino == now.st_ino)
				return fd;
		} else if (errno != ENOENT) {
			goto fail;
		}
		/* replaced (or removed) while we waited: lock what is there now */
		close(fd);
	}
fail:
	rc = gmrk_keys__err_sys(err, errno, "%s '%s': cannot lock it", what, path);
	close(fd);
	return rc;
}

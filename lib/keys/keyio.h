/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/keys internals shared by the providers: error reporting into a
 * gmrk_error, zeroizing, and the file I/O every key file needs (read a
 * private file; write a new one, or replace one, crash-safe with mode
 * 0600; lock one for read-change-replace). libgmrk's key files
 * (lib/keyfile.c) use the same functions.
 *
 * Kept apart from lib/internal.h on purpose: lib/keys builds and is tested
 * on its own (libgmrk-keys.a) and only needs the public <gmrk/gmrk.h>.
 */
#ifndef GMRK_KEYS_KEYIO_H
#define GMRK_KEYS_KEYIO_H

#include <stddef.h>
#include <stdint.h>

#include <gmrk/gmrk.h>

/*
 * Fills @err (when not NULL) and returns -@code; libgmrk's gmrk__err*()
 * are these (lib/internal.h).
 */
int gmrk_keys__err(gmrk_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* GMRK_E_IO with @sys_errno: ": strerror" after the message (cut at 200) */
int gmrk_keys__err_sys(gmrk_error *err, int sys_errno, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void gmrk_keys__err_clear(gmrk_error *err);

void gmrk_keys__memzero(void *p, size_t len);

/*
 * Reads the whole regular file @path (at most @max bytes) into a new
 * buffer. -GMRK_E_NOENT when it does not exist, -GMRK_E_PERM when group
 * or others can access it, -GMRK_E_CORRUPT when it is not a regular file
 * or larger than @max. @what names the file in messages ("sm2 private key
 * file"). The caller zeroizes and frees *buf.
 */
int gmrk_keys__read_file(const char *path, size_t max, const char *what,
			 uint8_t **buf, size_t *len, gmrk_error *err);

/*
 * Writes a new file @path with mode 0600: a temporary file in the same
 * directory, written and fsynced, link()ed to @path (which fails when
 * @path exists: a key file is never replaced), then the directory is
 * fsynced. -GMRK_E_EXISTS when @path exists. A crash leaves no file or
 * the complete one (plus at worst a stray "<path>.tmp.XXXXXX").
 */
int gmrk_keys__write_new(const char *path, const void *buf, size_t len,
			 const char *what, gmrk_error *err);

/*
 * Replaces the file @path by @buf: a temporary file in the same directory
 * (mode 0600, the old file's owner), written and fsynced, rename()d over
 * @path (atomic: a reader sees the old file or the new one, never a mix),
 * then the directory is fsynced. A crash leaves the old file or the new
 * one (plus at worst a stray "<path>.tmp.XXXXXX"). Callers that read,
 * change and replace a file hold gmrk_keys__lock() around all three.
 */
int gmrk_keys__replace(const char *path, const void *buf, size_t len,
		       const char *what, gmrk_error *err);

/*
 * An exclusive flock() on the file @path names, for read-change-replace:
 * the lock is taken on the file's inode, and when another holder renamed a
 * new file over @path meanwhile, on the new one. Returns the locked
 * descriptor (close() unlocks) or a negative code (-GMRK_E_NOENT when
 * @path does not exist). Readers need no lock: the name always holds a
 * complete file.
 */
int gmrk_keys__lock(const char *path, const char *what, gmrk_error *err);

#endif /* GMRK_KEYS_KEYIO_H */

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The keystore: one directory per database, holding a manifest that says
 * whether the database is encrypted and, if it is, the key file with its
 * asset key (lib/key.c, asset name = database name).
 *
 * The manifest is text, fixed lines in a fixed order, closed by a SHA-256
 * of everything before it (Documentation/gmrk/databases.rst):
 *
 *   gmrk-db-manifest 1
 *   name orders
 *   encrypted yes
 *   cipher sm4-gcm
 *   plaintext-blocks no
 *   created 2026-12-03T09:45:29Z
 *   key-file orders.key
 *   key-id 0011223344556677
 *   sha256 <64 hex digits>
 *
 * Text because operators read it (cat, grep) and nothing in it is secret;
 * the checksum because a torn or hand-damaged manifest must read as
 * "corrupt", never as a different truth (say "encrypted no").
 *
 * Nothing here deletes anything but its own temporary files: a failed or
 * interrupted create, encrypt or open leaves every file as it was, and
 * running the create or encrypt again completes it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <gmrk/db.h>

#include "hex.h"
#include "internal.h"

#define DB_MAGIC		"gmrk-db-manifest"
#define DB_MANIFEST		"manifest"
#define DB_MANIFEST_MAX		4096
#define DB_SHA_HEX		64
#define DB_NOKEY_HINT		"(set GMRK_KEY or master_key_file)"

struct gmrk_db {
	struct gmrk_db_info info;
	gmrk_key *key;
};

/* the paths of one database */
struct db_paths {
	char dir[PATH_MAX];		/* STORE/NAME */
	char manifest[PATH_MAX];	/* STORE/NAME/manifest */
	char key[PATH_MAX];		/* STORE/NAME/NAME.key */
};

int gmrk_db_name_valid(const char *name)
{
	size_t i, n;

	if (!name)
		return 0;
	n = strlen(name);
	if (!n || n > GMRK_DB_NAME_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

static int db_check_args(const char *store, const char *name, gmrk_error *err)
{
	if (!store || !*store)
		return gmrk__err(err, GMRK_E_INVAL, "no keystore directory given");
	if (!name)
		return gmrk__err(err, GMRK_E_INVAL, "no database name given");
	if (!gmrk_db_name_valid(name))
		return gmrk__err(err, GMRK_E_INVAL,
				 "invalid database name '%.80s': 1 to %d of A-Z a-z 0-9 _ - ., not starting with '.' or '-'",
				 name, GMRK_DB_NAME_MAX);
	return 0;
}

static int db_paths(struct db_paths *p, const char *store, const char *name,
		    gmrk_error *err)
{
	int a = snprintf(p->dir, sizeof(p->dir), "%s/%s", store, name);
	int b = snprintf(p->manifest, sizeof(p->manifest), "%s/%s/" DB_MANIFEST, store, name);
	int c = snprintf(p->key, sizeof(p->key), "%s/%s/%s.key", store, name, name);

	if (a < 0 || b < 0 || c < 0 || (size_t)a >= sizeof(p->dir) ||
	    (size_t)b >= sizeof(p->manifest) || (size_t)c >= sizeof(p->key))
		return gmrk__err(err, GMRK_E_INVAL, "keystore path '%.80s...' is too long", store);
	return 0;
}

/* whether @ctx can open keys: a master key was found when it was made */
static bool db_have_ek(const gmrk_ctx *ctx)
{
	return ctx && ctx->ek.kind != GMRK_EK_NONE;
}

static int db_sha256_hex(const void *buf, size_t len, char out[DB_SHA_HEX + 1])
{
	uint8_t md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return -GMRK_E_UNSUPPORTED;
	gmrk_hex(md, 32, out);
	return 0;
}

static int db_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		rc = -errno;
	close(fd);
	return rc;
}

/* the directory @path is in ("." for a bare name) */
static void db_parent(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	while (slash && slash > path && slash[1] == '\0') {	/* "dir/" */
		const char *s = slash;

		while (s > path && s[-1] != '/')
			s--;
		slash = s > path ? s - 1 : NULL;
	}
	if (!slash) {
		snprintf(out, cap, ".");
		return;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= cap)
		n = cap - 1;
	memcpy(out, path, n);
	out[n] = '\0';
}

/* mkdir @dir (0700); 1 if it was created, 0 if it was a directory already */
static int db_mkdir(const char *dir, const char *what, gmrk_error *err)
{
	struct stat st;

	if (!mkdir(dir, 0700))
		return 1;
	if (errno != EEXIST)
		return gmrk__err_sys(err, errno, "cannot create %s '%s'", what, dir);
	if (stat(dir, &st))
		return gmrk__err_sys(err, errno, "%s '%s'", what, dir);
	if (!S_ISDIR(st.st_mode))
		return gmrk__err_sys(err, ENOTDIR, "%s '%s'", what, dir);
	return 0;
}

static bool db_exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

static const char *db_yesno(int v)
{
	return v ? "yes" : "no";
}

/* ------------------------------------------------------------ manifest */

static size_t db_encode(const struct gmrk_db_info *i, char *buf, size_t cap)
{
	char when[32], id[2 * GMRK_KEY_ID_LEN + 1], sha[DB_SHA_HEX + 1];
	time_t t = (time_t)i->created;
	struct tm tm;
	int n, m;

	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return 0;
	gmrk_hex(i->key_id, GMRK_KEY_ID_LEN, id);
	n = snprintf(buf, cap,
		     DB_MAGIC " %u\nname %s\nencrypted %s\ncipher %s\nplaintext-blocks %s\n"
		     "created %s\nkey-file %s\nkey-id %s\n",
		     i->format, i->name, db_yesno(i->encrypted),
		     i->encrypted ? gmrk_cipher_name(i->cipher) : "none",
		     db_yesno(i->plaintext_blocks), when,
		     i->encrypted ? i->key_file : "-", i->encrypted ? id : "-");
	if (n < 0 || (size_t)n >= cap || db_sha256_hex(buf, (size_t)n, sha))
		return 0;
	m = snprintf(buf + n, cap - (size_t)n, "sha256 %s\n", sha);
	if (m < 0 || (size_t)m >= cap - (size_t)n)
		return 0;
	return (size_t)n + (size_t)m;
}

/* cursor over the manifest's lines */
struct db_lines {
	const char *p, *end;
	const char *path;
	gmrk_error *err;
};

/*
 * The next line, which must be "@key VALUE"; its value (NUL-terminated
 * copy) in @val. Missing line, other key, empty or overlong value: corrupt.
 */
static int db_field(struct db_lines *l, const char *key, char *val, size_t cap)
{
	size_t klen = strlen(key), vlen;
	const char *nl;

	if (l->p >= l->end)
		return gmrk__err(l->err, GMRK_E_CORRUPT,
				 "manifest '%s' is truncated: no '%s' line", l->path, key);
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	if (!nl)
		return gmrk__err(l->err, GMRK_E_CORRUPT,
				 "manifest '%s' is truncated: '%s' line not terminated", l->path, key);
	if ((size_t)(nl - l->p) <= klen + 1 || memcmp(l->p, key, klen) || l->p[klen] != ' ')
		return gmrk__err(l->err, GMRK_E_CORRUPT,
				 "manifest '%s' is corrupt: expected a '%s' line", l->path, key);
	vlen = (size_t)(nl - l->p) - klen - 1;
	if (vlen >= cap || memchr(l->p + klen + 1, '\0', vlen))
		return gmrk__err(l->err, GMRK_E_CORRUPT,
				 "manifest '%s' is corrupt: bad '%s' value", l->path, key);
	memcpy(val, l->p + klen + 1, vlen);
	val[vlen] = '\0';
	l->p = nl + 1;
	return 0;
}

static int db_bad(struct db_lines *l, const char *key, const char *val)
{
	return gmrk__err(l->err, GMRK_E_CORRUPT, "manifest '%s' is corrupt: %s '%.80s'",
			 l->path, key, val);
}

static int db_parse_yesno(struct db_lines *l, const char *key, int *out)
{
	char v[8];
	int rc = db_field(l, key, v, sizeof(v));

	if (rc)
		return rc;
	if (!strcmp(v, "yes"))
		*out = 1;
	else if (!strcmp(v, "no"))
		*out = 0;
	else
		return db_bad(l, key, v);
	return 0;
}

static int db_parse(const char *buf, size_t len, const char *name, const char *path,
		    struct gmrk_db_info *i, gmrk_error *err)
{
	struct db_lines l = { .p = buf, .end = buf + len, .path = path, .err = err };
	char v[128], sha[DB_SHA_HEX + 1], want[64];
	const char *body_end, *q;
	struct tm tm;
	size_t n;
	int rc;

	memset(i, 0, sizeof(*i));
	/*
	 * Every format starts with the magic line and ends with the checksum
	 * line, so damage reads as "corrupt" even where it hit the version.
	 */
	if (len < sizeof(DB_MAGIC) || memcmp(buf, DB_MAGIC " ", sizeof(DB_MAGIC)))
		return gmrk__err(err, GMRK_E_CORRUPT, "manifest '%s' is not a gmrk database manifest",
				 path);
	if (buf[len - 1] != '\n')
		return gmrk__err(err, GMRK_E_CORRUPT, "manifest '%s' is truncated", path);
	q = buf + len - 1;
	while (q > buf && q[-1] != '\n')
		q--;
	body_end = q;
	if ((size_t)(buf + len - q) != 7 + DB_SHA_HEX + 1 || memcmp(q, "sha256 ", 7))
		return gmrk__err(err, GMRK_E_CORRUPT,
				 "manifest '%s' is truncated: no checksum line", path);
	if (db_sha256_hex(buf, (size_t)(body_end - buf), sha))
		return gmrk__err(err, GMRK_E_UNSUPPORTED, "SHA-256 not available from OpenSSL");
	if (memcmp(q + 7, sha, DB_SHA_HEX))
		return gmrk__err(err, GMRK_E_CORRUPT,
				 "manifest '%s' is corrupt: checksum mismatch", path);
	l.end = body_end;
	rc = db_field(&l, DB_MAGIC, v, sizeof(v));
	if (rc)
		return rc;
	if (strcmp(v, "1")) {
		char *e;
		unsigned long ver = strtoul(v, &e, 10);

		if (*e || !ver || ver > 255)
			return db_bad(&l, "format version", v);
		return gmrk__err(err, GMRK_E_UNSUPPORTED,
				 "manifest '%s': format version %lu not supported by this libgmrk",
				 path, ver);
	}
	i->format = 1;

	rc = db_field(&l, "name", v, sizeof(v));
	if (rc)
		return rc;
	if (strcmp(v, name))
		return gmrk__err(err, GMRK_E_CORRUPT,
				 "manifest '%s' is for database '%.64s', not '%s'", path, v, name);
	snprintf(i->name, sizeof(i->name), "%s", name);
	rc = db_parse_yesno(&l, "encrypted", &i->encrypted);
	if (rc)
		return rc;
	rc = db_field(&l, "cipher", v, sizeof(v));
	if (rc)
		return rc;
	if (i->encrypted) {
		i->cipher = gmrk_cipher_from_name(v);
		/* the canonical name only, as written */
		if (!i->cipher || strcmp(v, gmrk_cipher_name(i->cipher)))
			return db_bad(&l, "cipher", v);
	} else if (strcmp(v, "none")) {
		return db_bad(&l, "cipher of an unencrypted database", v);
	}
	rc = db_parse_yesno(&l, "plaintext-blocks", &i->plaintext_blocks);
	if (rc)
		return rc;
	if (!i->encrypted && !i->plaintext_blocks)
		return db_bad(&l, "plaintext-blocks of an unencrypted database", "no");
	rc = db_field(&l, "created", v, sizeof(v));
	if (rc)
		return rc;
	memset(&tm, 0, sizeof(tm));
	q = strptime(v, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!q || *q)
		return db_bad(&l, "created", v);
	i->created = (int64_t)timegm(&tm);
	rc = db_field(&l, "key-file", v, sizeof(v));
	if (rc)
		return rc;
	snprintf(want, sizeof(want), "%s.key", name);
	if (i->encrypted ? strcmp(v, want) : strcmp(v, "-"))
		return db_bad(&l, "key-file", v);
	if (i->encrypted)
		snprintf(i->key_file, sizeof(i->key_file), "%s", want);
	rc = db_field(&l, "key-id", v, sizeof(v));
	if (rc)
		return rc;
	if (i->encrypted) {
		if (strlen(v) != 2 * GMRK_KEY_ID_LEN ||
		    gmrk__hex_decode(v, strlen(v), i->key_id, GMRK_KEY_ID_LEN, &n) ||
		    n != GMRK_KEY_ID_LEN)
			return db_bad(&l, "key-id", v);
	} else if (strcmp(v, "-")) {
		return db_bad(&l, "key-id", v);
	}
	if (l.p != l.end)
		return gmrk__err(err, GMRK_E_CORRUPT,
				 "manifest '%s' is corrupt: unexpected lines before the checksum", path);
	return 0;
}

static int db_read_manifest(const struct db_paths *p, const char *name,
			    struct gmrk_db_info *i, bool key_ok, gmrk_error *err)
{
	char buf[DB_MANIFEST_MAX + 1];
	struct stat st;
	size_t len = 0;
	ssize_t r;
	int fd, rc;

	fd = open(p->manifest, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return gmrk__err(err, GMRK_E_NOENT,
				 "database '%s' is incomplete: no manifest in '%s' (an interrupted create? run it again)",
				 name, p->dir);
	if (fd < 0)
		return gmrk__err_sys(err, errno, "manifest '%s'", p->manifest);
	if (fstat(fd, &st)) {
		rc = gmrk__err_sys(err, errno, "manifest '%s'", p->manifest);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = gmrk__err(err, GMRK_E_CORRUPT, "manifest '%s' is not a regular file",
			       p->manifest);
		goto out;
	}
	while (len <= DB_MANIFEST_MAX) {
		r = read(fd, buf + len, DB_MANIFEST_MAX + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = gmrk__err_sys(err, errno, "manifest '%s'", p->manifest);
			goto out;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	if (!len)
		rc = gmrk__err(err, GMRK_E_CORRUPT, "manifest '%s' is empty", p->manifest);
	else if (len > DB_MANIFEST_MAX)
		rc = gmrk__err(err, GMRK_E_CORRUPT, "manifest '%s' is too large", p->manifest);
	else
		rc = db_parse(buf, len, name, p->manifest, i, err);
	/*
	 * An unencrypted manifest next to a key file: an interrupted
	 * gmrk_db_encrypt, or a manifest edited to say "no". Either way
	 * the database is not to be used as plaintext.
	 */
	if (!rc && !i->encrypted && !key_ok && db_exists(p->key))
		rc = gmrk__err(err, GMRK_E_CORRUPT,
			       "database '%s': its manifest says unencrypted but key file '%s' exists (an interrupted encrypt? run it again)",
			       name, p->key);
out:
	close(fd);
	return rc;
}

/*
 * Writes @buf as the manifest: a temporary file in the database's
 * directory, fsynced, then link()ed to its name (@replace false: fails if
 * one exists, so two creators cannot both win) or rename()d over it
 * (@replace true), then the directory fsynced. A crash leaves the old
 * manifest or the new one, never a mix, plus at worst a ".manifest.tmp.*".
 */
static int db_write_manifest(const struct db_paths *p, const char *name,
			     const char *buf, size_t len, bool replace,
			     gmrk_error *err)
{
	char tmp[PATH_MAX + 32];
	size_t off = 0;
	int fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.manifest.tmp.XXXXXX", p->dir) >= sizeof(tmp))
		return gmrk__err(err, GMRK_E_INVAL, "path '%s' is too long", p->dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return gmrk__err_sys(err, errno, "cannot write manifest '%s'", p->manifest);
	if (fchmod(fd, 0600))
		rc = -errno;
	while (!rc && off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		else
			off += (size_t)n;
	}
	if (!rc && fsync(fd))
		rc = -errno;
	if (close(fd) && !rc)
		rc = -errno;
	if (!rc && (replace ? rename(tmp, p->manifest) : link(tmp, p->manifest)))
		rc = -errno;
	if (rc || !replace)
		unlink(tmp);	/* ours: the temporary (or its second name) */
	if (rc == -EEXIST)
		return gmrk__err(err, GMRK_E_EXISTS, "database '%s' already exists", name);
	if (rc)
		return gmrk__err_sys(err, -rc, "cannot write manifest '%s'", p->manifest);
	rc = db_fsync_dir(p->dir);
	if (rc)
		return gmrk__err_sys(err, -rc, "manifest '%s': fsync of its directory",
				     p->manifest);
	return 0;
}

/* ------------------------------------------------------------------ keys */

/* @what: "open", "create", "encrypt" */
static int db_nokey(gmrk_error *err, const char *what, const char *name)
{
	if (!strcmp(what, "open"))
		return gmrk__err(err, GMRK_E_NOKEY,
				 "database '%s' is encrypted but no master key is configured "
				 DB_NOKEY_HINT, name);
	return gmrk__err(err, GMRK_E_NOKEY,
			 "cannot %s database '%s': no master key is configured " DB_NOKEY_HINT,
			 strcmp(what, "create") ? what : "create encrypted", name);
}

/*
 * Opens (@flags 0) or creates-or-reopens (GMRK_KEY_CREATE) the key of
 * database @name. A new key file is wrapped with @wrap: the context's
 * cipher is swapped for the call (a context is one thread's, gmrk.h) and
 * always put back.
 */
static int db_key(gmrk_ctx *ctx, const struct db_paths *p, const char *name,
		  unsigned int flags, enum gmrk_cipher wrap, gmrk_key **out,
		  gmrk_error *err)
{
	enum gmrk_cipher saved = ctx->cipher;
	gmrk_error e2;
	int rc;

	if (wrap)
		ctx->cipher = wrap;
	*out = gmrk_key_open(ctx, p->key, name, flags, &e2);
	ctx->cipher = saved;
	if (*out)
		return 0;
	rc = gmrk__err(err, e2.code, "database '%s': %s", name, e2.message);
	if (err)
		err->sys_errno = e2.sys_errno;
	return rc;
}

static void db_fill_key(struct gmrk_db_info *i, const gmrk_key *key, const char *name)
{
	struct gmrk_key_info ki;

	gmrk_key_info(key, &ki);
	memcpy(i->key_id, ki.id, GMRK_KEY_ID_LEN);
	snprintf(i->key_file, sizeof(i->key_file), "%s.key", name);
}

/* ------------------------------------------------------------------- API */

int gmrk_db_create(gmrk_ctx *ctx, const char *store, const char *name,
		   unsigned int flags, enum gmrk_cipher cipher, gmrk_error *err)
{
	bool enc = flags & GMRK_DB_ENCRYPTED;
	char buf[1024], parent[PATH_MAX];
	struct gmrk_db_info i;
	struct db_paths p;
	gmrk_key *key;
	size_t len;
	int rc;

	gmrk__err_clear(err);
	rc = db_check_args(store, name, err);
	if (rc)
		return rc;
	if (flags & ~GMRK_DB_ENCRYPTED)
		return gmrk__err(err, GMRK_E_INVAL, "gmrk_db_create: unknown flags 0x%x", flags);
	if (!enc && cipher != GMRK_CIPHER_NONE)
		return gmrk__err(err, GMRK_E_INVAL,
				 "database '%s': a cipher was given but the database is not encrypted",
				 name);
	if (enc && cipher != GMRK_CIPHER_NONE && !gmrk__cipher_valid(cipher))
		return gmrk__err(err, GMRK_E_UNSUPPORTED, "database '%s': unknown cipher %d",
				 name, (int)cipher);
	if (enc && !db_have_ek(ctx))
		return db_nokey(err, "create", name);
	rc = db_paths(&p, store, name, err);
	if (rc)
		return rc;

	rc = db_mkdir(store, "keystore", err);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		db_parent(store, parent, sizeof(parent));
		if ((rc = db_fsync_dir(parent)))
			return gmrk__err_sys(err, -rc, "keystore '%s': fsync of its directory", store);
	}
	rc = db_mkdir(p.dir, "database directory", err);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		if ((rc = db_fsync_dir(store)))
			return gmrk__err_sys(err, -rc, "keystore '%s': fsync", store);
	} else if (db_exists(p.manifest)) {
		return gmrk__err(err, GMRK_E_EXISTS, "database '%s' already exists in keystore '%s'",
				 name, store);
	} else if (!enc && db_exists(p.key)) {
		/* an interrupted encrypted create: do not turn it into plaintext */
		return gmrk__err(err, GMRK_E_EXISTS,
				 "database '%s' was being created encrypted (key file '%s' exists): create it encrypted",
				 name, p.key);
	}
	/* else an interrupted create: complete it */

	memset(&i, 0, sizeof(i));
	snprintf(i.name, sizeof(i.name), "%s", name);
	i.format = GMRK_DB_FORMAT;
	i.encrypted = enc;
	i.plaintext_blocks = !enc;
	i.created = (int64_t)time(NULL);
	if (enc) {
		i.cipher = cipher ? cipher : ctx->cipher;
		/* reopens the key an interrupted create left, if any */
		rc = db_key(ctx, &p, name, GMRK_KEY_CREATE, i.cipher, &key, err);
		if (rc)
			return rc;
		db_fill_key(&i, key, name);
		gmrk_key_free(key);
	}
	len = db_encode(&i, buf, sizeof(buf));
	if (!len)
		return gmrk__err(err, GMRK_E_UNSUPPORTED, "database '%s': cannot encode its manifest",
				 name);
	return db_write_manifest(&p, name, buf, len, false, err);
}

/*
 * Reads database @name's manifest into @i. @key_ok: an unencrypted
 * manifest next to a key file is not an error (gmrk_db_encrypt resuming).
 */
static int db_load(const char *store, const char *name, struct db_paths *p,
		   struct gmrk_db_info *i, bool key_ok, gmrk_error *err)
{
	struct stat st;
	int rc;

	memset(i, 0, sizeof(*i));
	rc = db_check_args(store, name, err);
	if (!rc)
		rc = db_paths(p, store, name, err);
	if (rc)
		return rc;
	if (stat(p->dir, &st)) {
		if (errno == ENOENT)
			return gmrk__err(err, GMRK_E_NOENT, "no database '%s' in keystore '%s'",
					 name, store);
		return gmrk__err_sys(err, errno, "database '%s'", p->dir);
	}
	if (!S_ISDIR(st.st_mode))
		return gmrk__err(err, GMRK_E_CORRUPT, "'%s' is not a database directory", p->dir);
	rc = db_read_manifest(p, name, i, key_ok, err);
	if (rc) {
		memset(i, 0, sizeof(*i));
		snprintf(i->name, sizeof(i->name), "%s", name);
	}
	return rc;
}

int gmrk_db_stat(const char *store, const char *name, struct gmrk_db_info *info,
		 gmrk_error *err)
{
	struct db_paths p;

	gmrk__err_clear(err);
	if (!info)
		return gmrk__err(err, GMRK_E_INVAL, "gmrk_db_stat: no info");
	return db_load(store, name, &p, info, false, err);
}

int gmrk_db_open(gmrk_ctx *ctx, const char *store, const char *name,
		 gmrk_db **dbp, gmrk_error *err)
{
	struct gmrk_key_info ki;
	struct db_paths p;
	gmrk_db *db;
	int rc;

	if (!dbp)
		return gmrk__err(err, GMRK_E_INVAL, "gmrk_db_open: no result pointer");
	*dbp = NULL;
	db = calloc(1, sizeof(*db));
	if (!db)
		return gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
	gmrk__err_clear(err);
	rc = db_load(store, name, &p, &db->info, false, err);
	if (rc)
		goto fail;
	if (!db->info.encrypted) {
		*dbp = db;
		return 0;
	}
	if (!db_have_ek(ctx)) {
		rc = db_nokey(err, "open", name);
		goto fail;
	}
	rc = db_key(ctx, &p, name, 0, GMRK_CIPHER_NONE, &db->key, err);
	if (rc)
		goto fail;
	/* a key file swapped for another one of the same name */
	gmrk_key_info(db->key, &ki);
	if (memcmp(ki.id, db->info.key_id, GMRK_KEY_ID_LEN)) {
		char have[2 * GMRK_KEY_ID_LEN + 1], want[2 * GMRK_KEY_ID_LEN + 1];

		gmrk_hex(ki.id, GMRK_KEY_ID_LEN, have);
		gmrk_hex(db->info.key_id, GMRK_KEY_ID_LEN, want);
		rc = gmrk__err(err, GMRK_E_WRONG_KEY,
			       "database '%s': key file '%s' holds key %s, but the manifest says %s",
			       name, p.key, have, want);
		goto fail;
	}
	*dbp = db;
	return 0;
fail:
	gmrk_db_close(db);
	return rc;
}

void gmrk_db_close(gmrk_db *db)
{
	if (!db)
		return;
	gmrk_key_free(db->key);
	free(db);
}

gmrk_key *gmrk_db_key(const gmrk_db *db)
{
	return db ? db->key : NULL;
}

int gmrk_db_encrypted(const gmrk_db *db)
{
	return db ? db->info.encrypted : 0;
}

enum gmrk_cipher gmrk_db_cipher(const gmrk_db *db)
{
	return db ? db->info.cipher : GMRK_CIPHER_NONE;
}

int gmrk_db_info(const gmrk_db *db, struct gmrk_db_info *info)
{
	if (!db || !info)
		return -GMRK_E_INVAL;
	*info = db->info;
	return 0;
}

static int db_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

typedef char db_name[GMRK_DB_NAME_MAX + 1];

/* the names of the database directories of @store, sorted */
static int db_names(const char *store, db_name **out, size_t *count, gmrk_error *err)
{
	DIR *d = opendir(store);
	size_t n = 0, cap = 0;
	db_name *names = NULL;
	struct dirent *e;
	int rc = 0;

	if (!d) {
		if (errno == ENOENT)
			return gmrk__err(err, GMRK_E_NOENT, "keystore '%s' does not exist", store);
		return gmrk__err_sys(err, errno, "keystore '%s'", store);
	}
	while ((errno = 0, e = readdir(d))) {
		/* not ours: anything that cannot be a database name */
		if (!gmrk_db_name_valid(e->d_name))
			continue;
		if (e->d_type != DT_DIR) {
			struct stat st;

			if (e->d_type != DT_UNKNOWN && e->d_type != DT_LNK)
				continue;
			if (fstatat(dirfd(d), e->d_name, &st, 0) || !S_ISDIR(st.st_mode))
				continue;
		}
		if (n == cap) {
			db_name *bigger = realloc(names, (cap = cap ? 2 * cap : 16) * sizeof(*names));

			if (!bigger) {
				rc = gmrk__err(err, GMRK_E_NOMEM, "%s", gmrk_strerror(GMRK_E_NOMEM));
				break;
			}
			names = bigger;
		}
		memcpy(names[n++], e->d_name, strlen(e->d_name) + 1);	/* valid: fits */
	}
	if (!rc && errno)
		rc = gmrk__err_sys(err, errno, "keystore '%s'", store);
	closedir(d);
	if (rc) {
		free(names);
		return rc;
	}
	if (n)
		qsort(names, n, sizeof(*names), db_cmp);
	*out = names;
	*count = n;
	return 0;
}

int gmrk_db_list(const char *store, gmrk_db_list_cb cb, void *arg, gmrk_error *err)
{
	db_name *names = NULL;
	size_t n = 0, k;
	int rc;

	gmrk__err_clear(err);
	if (!store || !*store)
		return gmrk__err(err, GMRK_E_INVAL, "no keystore directory given");
	rc = db_names(store, &names, &n, err);
	if (rc)
		return rc;
	for (k = 0; k < n && cb; k++) {
		struct gmrk_db_info info;
		gmrk_error problem;

		rc = gmrk_db_stat(store, names[k], &info, &problem);
		rc = cb(&info, rc ? &problem : NULL, arg);
		if (rc)
			break;
	}
	free(names);
	if (rc)
		return rc;
	return n > INT_MAX ? INT_MAX : (int)n;
}

int gmrk_db_encrypt(gmrk_ctx *ctx, const char *store, const char *name,
		    enum gmrk_cipher cipher, gmrk_error *err)
{
	char buf[1024];
	struct gmrk_db_info i;
	struct db_paths p;
	gmrk_key *key;
	size_t len;
	int rc;

	gmrk__err_clear(err);
	if (cipher != GMRK_CIPHER_NONE && !gmrk__cipher_valid(cipher))
		return gmrk__err(err, GMRK_E_UNSUPPORTED, "database '%s': unknown cipher %d",
				 name ? name : "", (int)cipher);
	/* a key file next to an unencrypted manifest: our own interrupted run */
	rc = db_load(store, name, &p, &i, true, err);
	if (rc)
		return rc;
	if (i.encrypted)
		return gmrk__err(err, GMRK_E_EXISTS, "database '%s' is already encrypted (%s)",
				 name, gmrk_cipher_name(i.cipher));
	if (!db_have_ek(ctx))
		return db_nokey(err, "encrypt", name);
	i.cipher = cipher ? cipher : ctx->cipher;
	rc = db_key(ctx, &p, name, GMRK_KEY_CREATE, i.cipher, &key, err);
	if (rc)
		return rc;
	db_fill_key(&i, key, name);
	gmrk_key_free(key);
	i.encrypted = 1;
	i.plaintext_blocks = 1;		/* what was written so far */
	len = db_encode(&i, buf, sizeof(buf));
	if (!len)
		return gmrk__err(err, GMRK_E_UNSUPPORTED, "database '%s': cannot encode its manifest",
				 name);
	return db_write_manifest(&p, name, buf, len, true, err);
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk info: what gm-rk hardware this machine has and how the driver is
 * doing with it. (What sealed files' block headers say: gmrk inspect.)
 *
 *   - gm-rk PCI cards, found with libpci (vendor/device of driver/gmrk_hw.h),
 *     whether a driver is bound and which /dev/gmrkN each one became;
 *   - emulation devices on the gmrk_sim bus and their /dev/gmrkN;
 *   - per /dev/gmrkN: GMRK_IOC_INFO (with the key slots: how many, which
 *     hold a key pair) and GMRK_IOC_STATS (uapi/linux/gmrk.h);
 *   - the module, its version and parameters (/sys/module/gmrk);
 *   - the gmrk algorithms in /proc/crypto with their selftest results, and
 *     the kernel's own software implementation of each AEAD.
 *
 * Everything is collected first, then printed either for people or as one
 * JSON object (--json). Reading needs no privileges beyond access to
 * /dev/gmrkN; what cannot be read is reported, never guessed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/gmrk.h>
#include <pci/pci.h>

#include "../../driver/gmrk_hw.h"
#include "devinfo.h"

#define MAX_ITEMS	64	/* cards, sim devices, nodes, algorithms each */
#define MAX_PARAMS	16
#define MAX_PROBLEMS	64

/* The three AEADs every bound device brings (Documentation/gmrk/driver.rst). */
static const char *const gmrk_aeads[][2] = {
	{ "gcm(aes)", "gcm-aes-gmrk" },
	{ "gcm(sm4)", "gcm-sm4-gmrk" },
	{ "rfc7539(chacha20,poly1305)", "rfc7539-chacha20-poly1305-gmrk" },
};
#define NUM_AEADS	(sizeof(gmrk_aeads) / sizeof(gmrk_aeads[0]))

/* ---------------------------------------------------------------- model */

struct mod_param {
	char name[64];
	char value[128];
	int err;		/* errno reading it, 0 if value is valid */
};

struct mod_state {
	bool loaded;
	char version[64], srcversion[64], refcnt[16], initstate[16];
	int nparams;
	struct mod_param params[MAX_PARAMS];
};

struct pci_card {
	char slot[32];			/* 0000:00:04.0 */
	unsigned int vendor, device, class_id, revision;
	uint64_t bar0;
	char driver[64];		/* "" when none bound */
	char node[16];			/* gmrkN, "" when none */
};

struct sim_dev {
	unsigned int id;
	char node[16];
};

struct dev_state {
	char name[16];			/* gmrkN */
	char path[PATH_MAX];		/* /dev/gmrkN */
	int err;			/* errno of open/ioctl, 0 if all read */
	const char *err_what;		/* which step failed */
	struct gmrk_info info;
	struct gmrk_stats stats;
	bool have_info, have_stats;
};

struct crypto_alg {
	char name[128], driver[128], module[64], selftest[32], type[32];
	int priority;
	bool internal;
};

struct sw_impl {
	const char *name;
	struct crypto_alg own;		/* the kernel's best own implementation */
	struct crypto_alg on_gmrk;	/* a template instance over gmrk's sm4 */
	bool have_own, have_on_gmrk;
};

enum severity { SEV_WARN, SEV_ERROR };

struct problem {
	enum severity sev;
	char text[256];
};

struct report {
	struct mod_state mod;
	int npci;
	struct pci_card pci[MAX_ITEMS];
	char pci_error[256];		/* libpci could not scan: why */
	int nsim;
	struct sim_dev sim[MAX_ITEMS];
	int ndev;
	struct dev_state dev[MAX_ITEMS];
	int nalg;			/* gmrk algorithms */
	struct crypto_alg alg[MAX_ITEMS];
	bool proc_crypto_read;
	int proc_crypto_err;
	struct sw_impl sw[NUM_AEADS];
	int nprob;
	struct problem prob[MAX_PROBLEMS];
};

/* ------------------------------------------------------------- helpers */

/* GMRK_INFO_ROOT: prefix of every path read, for tests (see devinfo.h). */
static const char *root = "";

static void pathf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(buf, len, "%s", root);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < len)
		vsnprintf(buf + n, len - (size_t)n, fmt, ap);
	va_end(ap);
}

static void problem(struct report *r, enum severity sev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct report *r, enum severity sev, const char *fmt, ...)
{
	va_list ap;

	if (r->nprob >= MAX_PROBLEMS)
		return;
	r->prob[r->nprob].sev = sev;
	va_start(ap, fmt);
	vsnprintf(r->prob[r->nprob].text, sizeof(r->prob[0].text), fmt, ap);
	va_end(ap);
	r->nprob++;
}

/* Read a small sysfs file into buf, one trailing newline dropped; -errno. */
static int read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* Copy src into dst, cut to fit (sysfs and /proc names are short). */
static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The first "gmrkN" entry of directory dir (a device's gmrk/ class dir). */
static bool find_node(const char *dir, char *node, size_t len)
{
	unsigned int n;
	struct dirent *de;
	DIR *d = opendir(dir);
	bool found = false;

	node[0] = '\0';
	if (!d)
		return false;
	while ((de = readdir(d))) {
		char tail;

		if (sscanf(de->d_name, "gmrk%u%c", &n, &tail) == 1) {
			copy_str(node, len, de->d_name);
			found = true;
			break;
		}
	}
	closedir(d);
	return found;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return (x > y) - (x < y);
}

/* Numbers N of the entries PREFIXN of directory dir, ascending. */
static int list_numbered(const char *dir, const char *prefix, unsigned int *out, int max)
{
	size_t plen = strlen(prefix);
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		char *end;
		unsigned long v;

		if (strncmp(de->d_name, prefix, plen) || !de->d_name[plen])
			continue;
		errno = 0;
		v = strtoul(de->d_name + plen, &end, 10);
		if (*end || errno || v > UINT_MAX)
			continue;
		out[n++] = (unsigned int)v;
	}
	closedir(d);
	qsort(out, (size_t)n, sizeof(*out), cmp_uint);
	return n;
}

/* -------------------------------------------------------------- module */

static int cmp_param(const void *a, const void *b)
{
	return strcmp(((const struct mod_param *)a)->name, ((const struct mod_param *)b)->name);
}

static void collect_module(struct report *r)
{
	struct mod_state *m = &r->mod;
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	pathf(path, sizeof(path), "/sys/module/gmrk");
	m->loaded = access(path, F_OK) == 0;
	if (!m->loaded)
		return;
	pathf(path, sizeof(path), "/sys/module/gmrk/version");
	read_small(path, m->version, sizeof(m->version));
	pathf(path, sizeof(path), "/sys/module/gmrk/srcversion");
	read_small(path, m->srcversion, sizeof(m->srcversion));
	pathf(path, sizeof(path), "/sys/module/gmrk/refcnt");
	read_small(path, m->refcnt, sizeof(m->refcnt));
	pathf(path, sizeof(path), "/sys/module/gmrk/initstate");
	read_small(path, m->initstate, sizeof(m->initstate));

	pathf(path, sizeof(path), "/sys/module/gmrk/parameters");
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)) && m->nparams < MAX_PARAMS) {
		struct mod_param *p = &m->params[m->nparams];
		char file[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		copy_str(p->name, sizeof(p->name), de->d_name);
		pathf(file, sizeof(file), "/sys/module/gmrk/parameters/%s", de->d_name);
		p->err = -read_small(file, p->value, sizeof(p->value));
		m->nparams++;
	}
	closedir(d);
	qsort(m->params, (size_t)m->nparams, sizeof(m->params[0]), cmp_param);
}

/* ----------------------------------------------------------------- PCI */

/*
 * libpci reports fatal errors through acc->error and expects it not to
 * return (its default exits the program). gmrk info must still show the
 * rest, so the handler jumps back to collect_pci() with the message.
 */
static jmp_buf pci_jmp;
static char pci_errmsg[200];

static void pci_error_cb(char *msg, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
static void pci_error_cb(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	vsnprintf(pci_errmsg, sizeof(pci_errmsg), msg, ap);
	va_end(ap);
	longjmp(pci_jmp, 1);
}

static void pci_quiet_cb(char *msg, ...) __attribute__((format(printf, 1, 2)));
static void pci_quiet_cb(char *msg, ...)
{
	(void)msg;
}

static void collect_pci(struct report *r)
{
	struct pci_access *volatile acc = NULL;
	volatile bool inited = false, cleaning = false;
	char sysfs[PATH_MAX];
	struct pci_dev *d;

	/* No sysfs PCI tree (a container, a non-PCI machine): nothing to scan. */
	pathf(sysfs, sizeof(sysfs), "/sys/bus/pci/devices");
	if (access(sysfs, R_OK | X_OK)) {
		snprintf(r->pci_error, sizeof(r->pci_error), "cannot read /sys/bus/pci/devices: %s",
			 strerror(errno));
		return;
	}
	acc = pci_alloc();
	if (!acc) {
		copy_str(r->pci_error, sizeof(r->pci_error), "libpci: out of memory");
		return;
	}
	acc->error = pci_error_cb;
	acc->warning = pci_quiet_cb;
	acc->debug = pci_quiet_cb;
	/* Linux: sysfs only. The other methods need root or lie about domains. */
	acc->method = PCI_ACCESS_SYS_BUS_PCI;
	pathf(sysfs, sizeof(sysfs), "/sys/bus/pci");
	if (setjmp(pci_jmp)) {
		snprintf(r->pci_error, sizeof(r->pci_error), "libpci: %s", pci_errmsg);
		/* Free what libpci built unless freeing it is what failed. */
		if (inited && !cleaning) {
			cleaning = true;
			pci_cleanup(acc);
		}
		return;
	}
	pci_set_param(acc, "sysfs.path", sysfs);
	pci_init(acc);
	inited = true;
	pci_scan_bus(acc);
	for (d = acc->devices; d; d = d->next) {
		struct pci_card *c;
		char dir[PATH_MAX];
		const char *drv;

		pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_BASES | PCI_FILL_CLASS |
			      PCI_FILL_CLASS_EXT | PCI_FILL_DRIVER);
		if (d->vendor_id != GMRK_PCI_VENDOR_ID || d->device_id != GMRK_PCI_DEVICE_ID)
			continue;
		if (r->npci >= MAX_ITEMS)
			break;
		c = &r->pci[r->npci++];
		snprintf(c->slot, sizeof(c->slot), "%04x:%02x:%02x.%d",
			 d->domain, d->bus, d->dev, d->func);
		c->vendor = d->vendor_id;
		c->device = d->device_id;
		c->class_id = d->device_class;
		c->revision = d->rev_id;
		c->bar0 = (uint64_t)(d->base_addr[GMRK_BAR_REGS] & PCI_ADDR_MEM_MASK);
		/* libpci reads the sysfs driver link; without it, no driver is bound. */
		drv = (d->known_fields & PCI_FILL_DRIVER) ?
			pci_get_string_property(d, PCI_FILL_DRIVER) : NULL;
		copy_str(c->driver, sizeof(c->driver), drv ? drv : "");
		pathf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/gmrk", c->slot);
		find_node(dir, c->node, sizeof(c->node));
	}
	cleaning = true;
	pci_cleanup(acc);
}

/* ---------------------------------------------------------- sim devices */

static void collect_sim(struct report *r)
{
	unsigned int ids[MAX_ITEMS];
	char dir[PATH_MAX];
	int i, n;

	pathf(dir, sizeof(dir), "/sys/bus/gmrk_sim/devices");
	n = list_numbered(dir, "gmrk_sim", ids, MAX_ITEMS);
	for (i = 0; i < n; i++) {
		struct sim_dev *s = &r->sim[r->nsim++];

		s->id = ids[i];
		pathf(dir, sizeof(dir), "/sys/bus/gmrk_sim/devices/gmrk_sim%u/gmrk", ids[i]);
		find_node(dir, s->node, sizeof(s->node));
	}
}

/* ------------------------------------------------------------- devices */

static void collect_one_dev(struct dev_state *ds)
{
	int fd;

	fd = open(ds->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ds->err = errno;
		ds->err_what = "open";
		return;
	}
	ds->info.size = sizeof(ds->info);
	if (ioctl(fd, GMRK_IOC_INFO, &ds->info) < 0) {
		ds->err = errno;
		ds->err_what = "GMRK_IOC_INFO";
		close(fd);
		return;
	}
	ds->have_info = true;
	/* a kernel that fills less than the key-slot fields has no key slots */
	if (ds->info.size < offsetof(struct gmrk_info, key_slot_map) + sizeof(ds->info.key_slot_map) ||
	    !(ds->info.caps & GMRK_INFO_CAP_KEYSLOTS))
		ds->info.key_slots = ds->info.key_slot_map = 0;
	if (ds->info.key_slots > 32)
		ds->info.key_slots = 32;
	if (ds->info.key_slots < 32)
		ds->info.key_slot_map &= (1u << ds->info.key_slots) - 1;
	ds->info.name[sizeof(ds->info.name) - 1] = '\0';
	ds->info.bus_id[sizeof(ds->info.bus_id) - 1] = '\0';

	ds->stats.size = sizeof(ds->stats);
	if (ioctl(fd, GMRK_IOC_STATS, &ds->stats) < 0) {
		ds->err = errno;
		ds->err_what = "GMRK_IOC_STATS";
		close(fd);
		return;
	}
	ds->have_stats = true;
	/* An older kernel fills less: only the queues it says it filled count. */
	if (ds->stats.num_queues > GMRK_MAX_QUEUES_UAPI)
		ds->stats.num_queues = GMRK_MAX_QUEUES_UAPI;
	close(fd);
}

static void collect_devices(struct report *r)
{
	unsigned int ids[MAX_ITEMS];
	char dir[PATH_MAX];
	int i, n;

	pathf(dir, sizeof(dir), "/sys/class/gmrk");
	n = list_numbered(dir, "gmrk", ids, MAX_ITEMS);
	for (i = 0; i < n; i++) {
		struct dev_state *ds = &r->dev[r->ndev++];

		snprintf(ds->name, sizeof(ds->name), "gmrk%u", ids[i]);
		pathf(ds->path, sizeof(ds->path), "/dev/%s", ds->name);
		collect_one_dev(ds);
	}
}

/* ---------------------------------------------------------- /proc/crypto */

static void trim(char *s)
{
	size_t n = strlen(s);
	char *p = s;

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
		s[--n] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	memmove(s, p, strlen(p) + 1);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static bool is_gmrk_driver(const char *driver)
{
	return ends_with(driver, "-gmrk");
}

/*
 * One finished /proc/crypto entry: keep the gmrk ones; for each gmrk AEAD
 * name remember the best implementation of the kernel's own, and apart
 * from it any template instance built on gmrk's sm4
 * ("gcm_base(ctr(sm4-gmrk),ghash-generic)"), which is gmrk's software
 * fallback, not the kernel's.
 */
static void crypto_entry(struct report *r, const struct crypto_alg *a)
{
	size_t i;

	if (!a->name[0])
		return;
	if (is_gmrk_driver(a->driver)) {
		if (r->nalg < MAX_ITEMS)
			r->alg[r->nalg++] = *a;
		return;
	}
	if (a->internal)
		return;
	for (i = 0; i < NUM_AEADS; i++) {
		struct sw_impl *sw = &r->sw[i];

		if (strcmp(a->name, gmrk_aeads[i][0]))
			continue;
		if (strstr(a->driver, "-gmrk")) {
			if (!sw->have_on_gmrk || a->priority > sw->on_gmrk.priority)
				sw->on_gmrk = *a;
			sw->have_on_gmrk = true;
		} else {
			if (!sw->have_own || a->priority > sw->own.priority)
				sw->own = *a;
			sw->have_own = true;
		}
	}
}

static void collect_crypto(struct report *r)
{
	struct crypto_alg cur = { .priority = 0 };
	char path[PATH_MAX], line[512];
	size_t i;
	FILE *f;

	for (i = 0; i < NUM_AEADS; i++)
		r->sw[i].name = gmrk_aeads[i][0];
	pathf(path, sizeof(path), "/proc/crypto");
	f = fopen(path, "re");
	if (!f) {
		r->proc_crypto_err = errno;
		return;
	}
	r->proc_crypto_read = true;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		char *key = line, *val;

		if (!colon) {
			/* blank line: end of an entry */
			crypto_entry(r, &cur);
			memset(&cur, 0, sizeof(cur));
			continue;
		}
		*colon = '\0';
		val = colon + 1;
		trim(key);
		trim(val);
		if (!strcmp(key, "name"))
			copy_str(cur.name, sizeof(cur.name), val);
		else if (!strcmp(key, "driver"))
			copy_str(cur.driver, sizeof(cur.driver), val);
		else if (!strcmp(key, "module"))
			copy_str(cur.module, sizeof(cur.module), val);
		else if (!strcmp(key, "selftest"))
			copy_str(cur.selftest, sizeof(cur.selftest), val);
		else if (!strcmp(key, "type"))
			copy_str(cur.type, sizeof(cur.type), val);
		else if (!strcmp(key, "priority"))
			cur.priority = atoi(val);
		else if (!strcmp(key, "internal"))
			cur.internal = !strcmp(val, "yes");
	}
	crypto_entry(r, &cur);
	fclose(f);
}

/* ------------------------------------------------------------- health */

static const struct crypto_alg *find_alg(const struct report *r, const char *driver)
{
	int i;

	for (i = 0; i < r->nalg; i++)
		if (!strcmp(r->alg[i].driver, driver))
			return &r->alg[i];
	return NULL;
}

static void judge(struct report *r)
{
	size_t k;
	int i;

	for (i = 0; i < r->nalg; i++)
		if (strcmp(r->alg[i].selftest, "passed"))
			problem(r, SEV_ERROR, "algorithm %s (%s) selftest is '%s', not 'passed'",
				r->alg[i].driver, r->alg[i].name,
				r->alg[i].selftest[0] ? r->alg[i].selftest : "(none)");
	for (i = 0; i < r->ndev; i++) {
		const struct dev_state *ds = &r->dev[i];

		if (ds->err == EACCES || ds->err == EPERM)
			problem(r, SEV_WARN, "%s: %s: permission denied (needs read access to %s)",
				ds->name, ds->err_what, ds->path);
		else if (ds->err == ENOENT && !strcmp(ds->err_what, "open"))
			problem(r, SEV_WARN, "%s: no %s node (devtmpfs or udev did not create it)",
				ds->name, ds->path);
		else if (ds->err)
			problem(r, SEV_WARN, "%s: %s: %s", ds->name, ds->err_what, strerror(ds->err));
		if (!ds->have_info)
			continue;
		if (ds->info.flags & GMRK_INFO_F_FATAL)
			problem(r, SEV_ERROR, "%s (%s) is in FATAL state, awaiting reset",
				ds->name, ds->info.bus_id);
		else if (!(ds->info.flags & GMRK_INFO_F_ONLINE))
			problem(r, SEV_WARN, "%s (%s) is not online", ds->name, ds->info.bus_id);
	}
	for (i = 0; i < r->npci; i++) {
		if (!r->pci[i].driver[0])
			problem(r, SEV_WARN, "card %s has no driver bound (modprobe gmrk?)",
				r->pci[i].slot);
		else if (strcmp(r->pci[i].driver, "gmrk"))
			problem(r, SEV_WARN, "card %s is bound to '%s', not gmrk",
				r->pci[i].slot, r->pci[i].driver);
	}
	if (r->mod.loaded && r->proc_crypto_read && !find_alg(r, "sm4-gmrk"))
		problem(r, SEV_ERROR, "module loaded but sm4-gmrk is not in /proc/crypto");
	/* The AEADs come with the first bound device (any device, all three). */
	if (r->ndev && r->proc_crypto_read)
		for (k = 0; k < NUM_AEADS; k++)
			if (!find_alg(r, gmrk_aeads[k][1]))
				problem(r, SEV_ERROR, "%s device(s) bound but %s is not in /proc/crypto",
					r->ndev == 1 ? "a" : "several", gmrk_aeads[k][1]);
	if (!r->proc_crypto_read)
		problem(r, SEV_WARN, "cannot read /proc/crypto: %s", strerror(r->proc_crypto_err));
	if (r->pci_error[0])
		problem(r, SEV_WARN, "PCI scan failed: %s", r->pci_error);
}

static bool healthy(const struct report *r)
{
	int i;

	for (i = 0; i < r->nprob; i++)
		if (r->prob[i].sev == SEV_ERROR)
			return false;
	return true;
}

static bool nothing_found(const struct report *r)
{
	return !r->npci && !r->nsim && !r->ndev;
}

/* ---------------------------------------------------------- formatting */

static const char *kind_name(uint32_t kind)
{
	switch (kind) {
	case GMRK_KIND_SIM:
		return "sim";
	case GMRK_KIND_PCI:
		return "pci";
	default:
		return "unknown";
	}
}

static const struct {
	uint32_t bit;
	const char *name;
} cap_names[] = {
	{ GMRK_INFO_CAP_AES_GCM, "aes-gcm" },
	{ GMRK_INFO_CAP_SM4_GCM, "sm4-gcm" },
	{ GMRK_INFO_CAP_CHACHAPOLY, "chacha20-poly1305" },
};
#define NUM_CAPS	(sizeof(cap_names) / sizeof(cap_names[0]))

static const char *state_name(const struct gmrk_info *in)
{
	if (in->flags & GMRK_INFO_F_FATAL)
		return "FATAL";
	if (in->flags & GMRK_INFO_F_ONLINE)
		return "online";
	return "offline";
}

/* ---------------------------------------------------------------- JSON */

/*
 * A minimal JSON writer. gmrk info emits one object of strings, integers,
 * booleans and nesting; a library (json-c, jansson) would be a dependency
 * for forty lines, so this writes RFC 8259 output itself: strings are
 * escaped (", \, control characters as \uXXXX; bytes >= 0x80 pass through,
 * sysfs names being ASCII or UTF-8).
 */
struct json {
	FILE *f;
	int depth;
	bool first[16];		/* no member written yet at this depth */
};

static void json_sep(struct json *j, const char *key)
{
	if (j->depth > 0) {
		fputs(j->first[j->depth] ? "\n" : ",\n", j->f);
		j->first[j->depth] = false;
	}
	fprintf(j->f, "%*s", 2 * j->depth, "");
	if (key) {
		fputc('"', j->f);
		fputs(key, j->f);	/* keys are our own literals */
		fputs("\": ", j->f);
	}
}

static void json_string_raw(struct json *j, const char *s)
{
	const unsigned char *p;

	fputc('"', j->f);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(j->f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", j->f);
		else if (*p == '\t')
			fputs("\\t", j->f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(j->f, "\\u%04x", *p);
		else
			fputc(*p, j->f);
	}
	fputc('"', j->f);
}

static void json_open(struct json *j, const char *key, char brace)
{
	json_sep(j, key);
	fputc(brace, j->f);
	j->depth++;
	j->first[j->depth] = true;
}

static void json_close(struct json *j, char brace)
{
	bool empty = j->first[j->depth];

	j->depth--;
	if (!empty)
		fprintf(j->f, "\n%*s", 2 * j->depth, "");
	fputc(brace, j->f);
	if (!j->depth)
		fputc('\n', j->f);
}

static void json_str(struct json *j, const char *key, const char *v)
{
	json_sep(j, key);
	json_string_raw(j, v);
}

/* A string, or null when it is empty (unknown/absent). */
static void json_str_or_null(struct json *j, const char *key, const char *v)
{
	json_sep(j, key);
	if (v && v[0])
		json_string_raw(j, v);
	else
		fputs("null", j->f);
}

static void json_u64(struct json *j, const char *key, uint64_t v)
{
	json_sep(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

static void json_int(struct json *j, const char *key, long long v)
{
	json_sep(j, key);
	fprintf(j->f, "%lld", v);
}

static void json_bool(struct json *j, const char *key, bool v)
{
	json_sep(j, key);
	fputs(v ? "true" : "false", j->f);
}

static void json_null(struct json *j, const char *key)
{
	json_sep(j, key);
	fputs("null", j->f);
}

static void json_device(struct json *j, const struct dev_state *ds)
{
	const struct gmrk_info *in = &ds->info;
	const struct gmrk_stats *st = &ds->stats;
	char ver[32];
	uint32_t q;
	size_t k;

	json_open(j, NULL, '{');
	json_str(j, "name", ds->name);
	json_str(j, "path", ds->path);
	if (ds->err) {
		json_open(j, "error", '{');
		json_str(j, "operation", ds->err_what);
		json_int(j, "errno", ds->err);
		json_str(j, "message", strerror(ds->err));
		json_close(j, '}');
	} else {
		json_null(j, "error");
	}
	if (ds->have_info) {
		json_open(j, "info", '{');
		json_str(j, "kind", kind_name(in->kind));
		json_str(j, "bus_id", in->bus_id);
		snprintf(ver, sizeof(ver), "%u.%u", in->hw_version >> 16, in->hw_version & 0xffff);
		json_str(j, "hw_version", ver);
		json_open(j, "caps", '[');
		for (k = 0; k < NUM_CAPS; k++)
			if (in->caps & cap_names[k].bit)
				json_str(j, NULL, cap_names[k].name);
		json_close(j, ']');
		json_u64(j, "num_queues", in->num_queues);
		json_u64(j, "queue_depth", in->queue_depth);
		json_u64(j, "max_data", in->max_data);
		json_u64(j, "key_slots", in->key_slots);
		json_open(j, "key_slots_in_use", '[');
		for (q = 0; q < in->key_slots; q++)
			if (in->key_slot_map & (1u << q))
				json_u64(j, NULL, q);
		json_close(j, ']');
		json_str(j, "state", state_name(in));
		json_bool(j, "online", in->flags & GMRK_INFO_F_ONLINE);
		json_bool(j, "fatal", in->flags & GMRK_INFO_F_FATAL);
		json_close(j, '}');
	} else {
		json_null(j, "info");
	}
	if (ds->have_stats) {
		json_open(j, "stats", '{');
		json_u64(j, "jobs", st->jobs);
		json_u64(j, "bytes", st->bytes);
		json_u64(j, "errors", st->errors);
		json_u64(j, "fallbacks", st->fallbacks);
		json_u64(j, "timeouts", st->timeouts);
		json_u64(j, "resets", st->resets);
		json_u64(j, "auth_failures", st->auth_failures);
		json_open(j, "queues", '[');
		for (q = 0; q < st->num_queues; q++) {
			json_open(j, NULL, '{');
			json_u64(j, "queue", q);
			json_u64(j, "jobs", st->queue[q].jobs);
			json_u64(j, "bytes", st->queue[q].bytes);
			json_u64(j, "errors", st->queue[q].errors);
			json_u64(j, "busy", st->queue[q].busy);
			json_u64(j, "inflight", st->queue[q].inflight);
			json_close(j, '}');
		}
		json_close(j, ']');
		json_close(j, '}');
	} else {
		json_null(j, "stats");
	}
	json_close(j, '}');
}

static void json_alg(struct json *j, const char *key, const struct crypto_alg *a)
{
	json_open(j, key, '{');
	json_str(j, "name", a->name);
	json_str(j, "driver", a->driver);
	json_str_or_null(j, "module", a->module);
	json_int(j, "priority", a->priority);
	json_str_or_null(j, "selftest", a->selftest);
	json_str_or_null(j, "type", a->type);
	if (is_gmrk_driver(a->driver))
		json_bool(j, "selftest_passed", !strcmp(a->selftest, "passed"));
	json_close(j, '}');
}

static void print_json(const struct report *r, FILE *f)
{
	struct json j = { .f = f };
	int i;
	size_t k;

	json_open(&j, NULL, '{');
	json_bool(&j, "healthy", healthy(r));
	json_bool(&j, "found", !nothing_found(r));
	if (nothing_found(r))
		json_str(&j, "message", "no gm-rk card or emulation device found");

	json_open(&j, "module", '{');
	json_bool(&j, "loaded", r->mod.loaded);
	json_str_or_null(&j, "version", r->mod.version);
	json_str_or_null(&j, "srcversion", r->mod.srcversion);
	json_str_or_null(&j, "refcnt", r->mod.refcnt);
	json_str_or_null(&j, "initstate", r->mod.initstate);
	json_open(&j, "parameters", '{');
	for (i = 0; i < r->mod.nparams; i++) {
		if (r->mod.params[i].err)
			json_null(&j, r->mod.params[i].name);
		else
			json_str(&j, r->mod.params[i].name, r->mod.params[i].value);
	}
	json_close(&j, '}');
	json_close(&j, '}');

	json_open(&j, "pci_cards", '[');
	for (i = 0; i < r->npci; i++) {
		const struct pci_card *c = &r->pci[i];
		char id[16];

		json_open(&j, NULL, '{');
		json_str(&j, "slot", c->slot);
		snprintf(id, sizeof(id), "%04x:%04x", c->vendor, c->device);
		json_str(&j, "id", id);
		snprintf(id, sizeof(id), "%04x", c->class_id);
		json_str(&j, "class", id);
		json_u64(&j, "revision", c->revision);
		json_u64(&j, "bar0", c->bar0);
		json_str_or_null(&j, "driver", c->driver);
		json_str_or_null(&j, "device", c->node);
		json_close(&j, '}');
	}
	json_close(&j, ']');
	if (r->pci_error[0])
		json_str(&j, "pci_error", r->pci_error);

	json_open(&j, "sim_devices", '[');
	for (i = 0; i < r->nsim; i++) {
		char name[32];

		json_open(&j, NULL, '{');
		json_u64(&j, "id", r->sim[i].id);
		snprintf(name, sizeof(name), "gmrk_sim%u", r->sim[i].id);
		json_str(&j, "name", name);
		json_str_or_null(&j, "device", r->sim[i].node);
		json_close(&j, '}');
	}
	json_close(&j, ']');

	json_open(&j, "devices", '[');
	for (i = 0; i < r->ndev; i++)
		json_device(&j, &r->dev[i]);
	json_close(&j, ']');

	json_open(&j, "algorithms", '[');
	for (i = 0; i < r->nalg; i++)
		json_alg(&j, NULL, &r->alg[i]);
	json_close(&j, ']');

	json_open(&j, "kernel_software", '[');
	for (k = 0; k < NUM_AEADS; k++) {
		const struct sw_impl *sw = &r->sw[k];

		json_open(&j, NULL, '{');
		json_str(&j, "name", sw->name);
		if (sw->have_own) {
			json_str(&j, "driver", sw->own.driver);
			json_int(&j, "priority", sw->own.priority);
		} else {
			json_null(&j, "driver");
			json_null(&j, "priority");
		}
		json_str_or_null(&j, "built_on_gmrk", sw->have_on_gmrk ? sw->on_gmrk.driver : "");
		json_close(&j, '}');
	}
	json_close(&j, ']');

	json_open(&j, "problems", '[');
	for (i = 0; i < r->nprob; i++) {
		json_open(&j, NULL, '{');
		json_str(&j, "severity", r->prob[i].sev == SEV_ERROR ? "error" : "warning");
		json_str(&j, "message", r->prob[i].text);
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_close(&j, '}');
}

/* ---------------------------------------------------------------- human */

static void print_device(const struct dev_state *ds, FILE *f)
{
	const struct gmrk_info *in = &ds->info;
	const struct gmrk_stats *st = &ds->stats;
	uint32_t q;
	size_t k;

	if (!ds->have_info) {
		fprintf(f, "  %-8s %s failed: %s\n", ds->name, ds->err_what, strerror(ds->err));
		return;
	}
	fprintf(f, "  %-8s %s %s, %s\n", ds->name, kind_name(in->kind), in->bus_id,
		state_name(in));
	fprintf(f, "    %-10s %u.%u\n", "hardware", in->hw_version >> 16, in->hw_version & 0xffff);
	fprintf(f, "    %-10s", "caps");
	for (k = 0; k < NUM_CAPS; k++)
		if (in->caps & cap_names[k].bit)
			fprintf(f, " %s", cap_names[k].name);
	if (!(in->caps & (GMRK_INFO_CAP_AES_GCM | GMRK_INFO_CAP_SM4_GCM |
			  GMRK_INFO_CAP_CHACHAPOLY)))
		fputs(" (none)", f);
	fputc('\n', f);
	fprintf(f, "    %-10s %u x %u deep, max data %u bytes\n", "queues",
		in->num_queues, in->queue_depth, in->max_data);
	if (!in->key_slots) {
		fprintf(f, "    %-10s none\n", "key slots");
	} else {
		unsigned int used = 0;

		for (q = 0; q < in->key_slots; q++)
			used += !!(in->key_slot_map & (1u << q));
		fprintf(f, "    %-10s %u, %u in use", "key slots", in->key_slots, used);
		for (q = 0, k = 0; q < in->key_slots; q++)
			if (in->key_slot_map & (1u << q))
				fprintf(f, "%s%u", k++ ? " " : ": ", q);
		fputc('\n', f);
	}
	if (!ds->have_stats) {
		fprintf(f, "    %-10s %s failed: %s\n", "stats", ds->err_what, strerror(ds->err));
		return;
	}
	/* __u64 is unsigned long long in the uapi headers, hence %llu. */
	fprintf(f, "    %-10s jobs %llu, bytes %llu, errors %llu, fallbacks %llu\n", "stats",
		st->jobs, st->bytes, st->errors, st->fallbacks);
	fprintf(f, "    %-10s timeouts %llu, resets %llu, auth failures %llu\n", "",
		st->timeouts, st->resets, st->auth_failures);
	fprintf(f, "    %-6s %12s %16s %8s %8s %8s\n", "queue", "jobs", "bytes", "errors",
		"busy", "inflight");
	for (q = 0; q < st->num_queues; q++)
		fprintf(f, "    %-6u %12llu %16llu %8llu %8llu %8u\n", q, st->queue[q].jobs,
			st->queue[q].bytes, st->queue[q].errors, st->queue[q].busy,
			st->queue[q].inflight);
}

static void print_human(const struct report *r, FILE *f)
{
	int i;
	size_t k;

	if (nothing_found(r))
		fputs("no gm-rk card or emulation device found\n\n", f);

	fputs("module gmrk:\n", f);
	if (!r->mod.loaded) {
		fputs("  not loaded\n", f);
	} else {
		fprintf(f, "  %-12s %s\n", "version", r->mod.version[0] ? r->mod.version : "(none)");
		if (r->mod.srcversion[0])
			fprintf(f, "  %-12s %s\n", "srcversion", r->mod.srcversion);
		if (r->mod.refcnt[0])
			fprintf(f, "  %-12s %s\n", "refcnt", r->mod.refcnt);
		for (i = 0; i < r->mod.nparams; i++) {
			const struct mod_param *p = &r->mod.params[i];

			fprintf(f, "  %-12s %s = %s\n", i ? "" : "parameters", p->name,
				p->err ? strerror(p->err) : p->value);
		}
	}

	fprintf(f, "\ngm-rk PCI cards (%04x:%04x):\n", GMRK_PCI_VENDOR_ID, GMRK_PCI_DEVICE_ID);
	if (r->pci_error[0])
		fprintf(f, "  scan failed: %s\n", r->pci_error);
	else if (!r->npci)
		fputs("  none\n", f);
	for (i = 0; i < r->npci; i++) {
		const struct pci_card *c = &r->pci[i];

		fprintf(f, "  %-14s rev %u  driver %-8s device %s\n", c->slot, c->revision,
			c->driver[0] ? c->driver : "(none)", c->node[0] ? c->node : "(none)");
	}

	fputs("\nemulation devices (gmrk_sim):\n", f);
	if (!r->nsim)
		fputs("  none\n", f);
	for (i = 0; i < r->nsim; i++) {
		char name[32];

		snprintf(name, sizeof(name), "gmrk_sim%u", r->sim[i].id);
		fprintf(f, "  %-14s device %s\n", name, r->sim[i].node[0] ? r->sim[i].node : "(none)");
	}

	if (r->ndev) {
		fputs("\ndevices:\n", f);
		for (i = 0; i < r->ndev; i++)
			print_device(&r->dev[i], f);
	}

	fputs("\nalgorithms (/proc/crypto):\n", f);
	if (!r->proc_crypto_read)
		fprintf(f, "  cannot read /proc/crypto: %s\n", strerror(r->proc_crypto_err));
	else if (!r->nalg)
		fputs("  no gmrk algorithms registered\n", f);
	else
		fprintf(f, "  %-28s %-32s %8s  %s\n", "name", "driver", "priority", "selftest");
	for (i = 0; i < r->nalg; i++) {
		const struct crypto_alg *a = &r->alg[i];
		bool ok = !strcmp(a->selftest, "passed");

		fprintf(f, "  %-28s %-32s %8d  %s%s\n", a->name, a->driver, a->priority,
			a->selftest[0] ? a->selftest : "(none)", ok ? "" : "   <-- SELFTEST NOT PASSED");
	}
	if (r->proc_crypto_read) {
		fputs("\nkernel software implementations:\n", f);
		for (k = 0; k < NUM_AEADS; k++) {
			const struct sw_impl *sw = &r->sw[k];

			if (sw->have_own)
				fprintf(f, "  %-28s %-42s %8d\n", sw->name, sw->own.driver,
					sw->own.priority);
			else
				fprintf(f, "  %-28s %s\n", sw->name,
					"none registered (a template builds it on first use)");
			if (sw->have_on_gmrk)
				fprintf(f, "  %-28s %-42s %8d  (gmrk's fallback, not the kernel's)\n",
					"", sw->on_gmrk.driver, sw->on_gmrk.priority);
		}
	}

	if (r->nprob) {
		fputs("\nproblems:\n", f);
		for (i = 0; i < r->nprob; i++)
			fprintf(f, "  %s: %s\n", r->prob[i].sev == SEV_ERROR ? "ERROR" : "warning",
				r->prob[i].text);
	}
	fprintf(f, "\nstatus: %s\n", healthy(r) ? "healthy" : "UNHEALTHY");
}

/* ------------------------------------------------------------- command */

static const char usage[] =
	"usage: gmrk info [--json]\n"
	"\n"
	"The gm-rk PCI cards and emulation devices, each /dev/gmrkN's queues, key\n"
	"slots and statistics, the gmrk module and its parameters, and the gmrk\n"
	"algorithms in /proc/crypto with their selftest results. (What sealed\n"
	"files' block headers say: gmrk inspect FILE...)\n"
	"  --json   one JSON object instead of text\n"
	"exit status: 0 healthy (or no device found), 1 a gmrk algorithm did not\n"
	"pass its selftest, a device is FATAL or an algorithm is missing, 2 usage\n";

int gmrk_cmd_devinfo(int argc, char **argv)
{
	struct report *r;
	bool json = false;
	const char *env;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage, stdout);
			return DEVINFO_EXIT_OK;
		} else if (argv[i][0] != '-') {
			fprintf(stderr,
				"gmrk info: unknown option '%s': gmrk info takes no files (it reports the devices); what a sealed file's block headers say: gmrk inspect FILE...\n",
				argv[i]);
			return DEVINFO_EXIT_USAGE;
		} else {
			fprintf(stderr, "gmrk info: unknown option '%s'\n%s", argv[i], usage);
			return DEVINFO_EXIT_USAGE;
		}
	}
	env = getenv("GMRK_INFO_ROOT");
	if (env && env[0])
		root = env;

	r = calloc(1, sizeof(*r));
	if (!r) {
		fputs("gmrk info: out of memory\n", stderr);
		return DEVINFO_EXIT_USAGE;
	}
	collect_module(r);
	collect_pci(r);
	collect_sim(r);
	collect_devices(r);
	collect_crypto(r);
	judge(r);

	if (json)
		print_json(r, stdout);
	else
		print_human(r, stdout);
	rc = healthy(r) ? DEVINFO_EXIT_OK : DEVINFO_EXIT_UNHEALTHY;
	free(r);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "gmrk info: writing output: %s\n", strerror(errno));
		return DEVINFO_EXIT_USAGE;
	}
	return rc;
}

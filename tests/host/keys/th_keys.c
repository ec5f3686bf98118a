// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Helpers shared by the lib/keys tests, and the file helpers of the other
 * host and vmlib tests (see th_keys.h).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "th_keys.h"

static char tk_root[128];

static void tk_rm_rf(const char *path)
{
	struct dirent *e;
	DIR *d = opendir(path);
	char sub[1024];

	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			tk_rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static pid_t tk_root_owner;

static void tk_cleanup(void)
{
	/* forked children (the pincode child, CLI runs) must not remove it */
	if (tk_root[0] && getpid() == tk_root_owner)
		tk_rm_rf(tk_root);
}

static const char *tk_root_dir(void)
{
	if (!tk_root[0]) {
		const char *base = getenv("TMPDIR");

		snprintf(tk_root, sizeof(tk_root), "%s/gmrk-keys-XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(tk_root)) {
			perror("mkdtemp");
			abort();
		}
		tk_root_owner = getpid();
		atexit(tk_cleanup);
	}
	return tk_root;
}

char *tk_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	assert_non_null(p);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

char *tk_sibling(const char *path, const char *name)
{
	char *dir = strdup(path), *slash, *p;

	assert_non_null(dir);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	p = tk_join(slash ? dir : ".", name);
	free(dir);
	return p;
}

char *tk_dir(const char *name)
{
	char *p = tk_join(tk_root_dir(), name);

	assert_int_equal(mkdir(p, 0700), 0);
	return p;
}

uint8_t *tk_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		fail_msg("'%s': %s", path, strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

void tk_holds(const char *path, const void *want, size_t len)
{
	size_t n;
	uint8_t *now = tk_slurp(path, &n);

	assert_int_equal(n, len);
	assert_memory_equal(now, want, len);
	free(now);
}

void tk_spit(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

int tk_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

void tk_assert_msg(const gmrk_error *err, int code, const char *fmt, ...)
{
	char want[GMRK_ERRMSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	assert_string_equal(err->message, want);
	assert_int_equal(err->code, code);
}

/* drains @fd into a NUL-terminated buffer */
static char *tk_drain(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;

	assert_non_null(buf);
	for (;;) {
		if (len + 1 == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

void tk_run(char *const argv[], const char *in, struct tk_run *r)
{
	int pin[2], pout[2], st;
	char *errpath;
	pid_t pid;
	int efd;

	/* stderr into a file, stdout through a pipe: no deadlock on either */
	errpath = tk_join(tk_root_dir(), "run.stderr");
	assert_int_equal(pipe(pin), 0);
	assert_int_equal(pipe(pout), 0);
	efd = open(errpath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(efd >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(efd, 2);
		close(pin[0]);
		close(pin[1]);
		close(pout[0]);
		close(pout[1]);
		close(efd);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	signal(SIGPIPE, SIG_IGN);
	if (in && *in)
		assert_true(write(pin[1], in, strlen(in)) >= 0);
	close(pin[1]);
	r->out = tk_drain(pout[0]);
	close(pout[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	lseek(efd, 0, SEEK_SET);
	r->err = tk_drain(efd);
	close(efd);
	unlink(errpath);
	free(errpath);
}

void tk_run_free(struct tk_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

int tk_tap_run(const char *name, const struct CMUnitTest *tests, size_t n)
{
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return _cmocka_run_group_tests(name, tests, n, NULL, NULL);
}

/* ------------------------------------------------------------- swtpm */

static int tk_bind(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	socklen_t al = sizeof(a);

	if (s < 0)
		return -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(s, (struct sockaddr *)&a, &al)) {
		close(s);
		return -1;
	}
	return s;
}

/* a port P with P and P + 1 both free on 127.0.0.1 (checked, then released) */
static int tk_free_ports(void)
{
	int i;

	for (i = 0; i < 50; i++) {
		struct sockaddr_in a;
		socklen_t al = sizeof(a);
		int s1 = tk_bind(0), s2, port;

		if (s1 < 0)
			return -1;
		getsockname(s1, (struct sockaddr *)&a, &al);
		port = ntohs(a.sin_port);
		s2 = port < 65535 ? tk_bind(port + 1) : -1;
		close(s1);
		if (s2 >= 0) {
			close(s2);
			return port;
		}
	}
	return -1;
}

static bool tk_connects(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (s < 0)
		return false;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ok = !connect(s, (struct sockaddr *)&a, sizeof(a));
	close(s);
	return ok;
}

static void tk_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void tk_log_tail(const char *dir, char *why, size_t whylen)
{
	char path[300], line[200] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/swtpm.log", dir);
	f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			;
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	snprintf(why + strlen(why), whylen - strlen(why), "%s%s", line[0] ? ": " : "", line);
}

int tk_swtpm_start(struct tk_swtpm *t, char *why, size_t whylen)
{
	char srv[64], ctrl[64], state[300], log[300];
	int attempt, i, st;

	memset(t, 0, sizeof(*t));
	why[0] = '\0';
	snprintf(t->dir, sizeof(t->dir), "%s/swtpm-XXXXXX", tk_root_dir());
	if (!mkdtemp(t->dir)) {
		snprintf(why, whylen, "mkdtemp: %s", strerror(errno));
		return -1;
	}
	/* a port can be taken between our check and swtpm's bind: retry */
	for (attempt = 0; attempt < 3; attempt++) {
		t->port = tk_free_ports();
		if (t->port < 0) {
			snprintf(why, whylen, "no free loopback port pair");
			return -1;
		}
		snprintf(srv, sizeof(srv), "type=tcp,port=%d,bindaddr=127.0.0.1", t->port);
		snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%d,bindaddr=127.0.0.1", t->port + 1);
		snprintf(state, sizeof(state), "dir=%s", t->dir);
		snprintf(log, sizeof(log), "file=%s/swtpm.log", t->dir);
		t->pid = fork();
		if (t->pid < 0) {
			snprintf(why, whylen, "fork: %s", strerror(errno));
			return -1;
		}
		if (!t->pid) {
			int null = open("/dev/null", O_RDWR);

			/* never outlive the test, whatever happens to it */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			dup2(null, 0);
			dup2(null, 1);
			execlp("swtpm", "swtpm", "socket", "--tpm2", "--server", srv,
			       "--ctrl", ctrl, "--tpmstate", state, "--log", log,
			       "--flags", "not-need-init,startup-clear", (char *)NULL);
			fprintf(stderr, "swtpm: %s\n", strerror(errno));
			_exit(127);
		}
		for (i = 0; i < 100; i++) {	/* up to 10 s */
			if (waitpid(t->pid, &st, WNOHANG) == t->pid) {
				t->pid = 0;
				if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
					snprintf(why, whylen, "swtpm not found (Debian package swtpm)");
				else
					snprintf(why, whylen, "swtpm exited at startup");
				tk_log_tail(t->dir, why, whylen);
				break;
			}
			if (tk_connects(t->port) && tk_connects(t->port + 1)) {
				snprintf(t->tcti, sizeof(t->tcti), "swtpm:host=127.0.0.1,port=%d",
					 t->port);
				return 0;
			}
			tk_sleep_ms(100);
		}
		if (t->pid) {
			tk_swtpm_stop(t);
			snprintf(why, whylen, "swtpm did not listen within 10 s");
		}
		if (strstr(why, "not found"))
			return -1;
	}
	return -1;
}

void tk_swtpm_stop(struct tk_swtpm *t)
{
	int i, st;

	if (t->pid <= 0)
		return;
	kill(t->pid, SIGTERM);
	for (i = 0; i < 50; i++) {
		if (waitpid(t->pid, &st, WNOHANG) == t->pid) {
			t->pid = 0;
			return;
		}
		tk_sleep_ms(50);
	}
	kill(t->pid, SIGKILL);
	waitpid(t->pid, &st, 0);
	t->pid = 0;
}

static ESYS_CONTEXT *tk_esys_open(const char *conf, TSS2_TCTI_CONTEXT **tcti)
{
	ESYS_CONTEXT *e = NULL;

	assert_int_equal(Tss2_TctiLdr_Initialize(conf, tcti), TSS2_RC_SUCCESS);
	assert_int_equal(Esys_Initialize(&e, *tcti, NULL), TSS2_RC_SUCCESS);
	return e;
}

static void tk_esys_close(ESYS_CONTEXT *e, TSS2_TCTI_CONTEXT *tcti)
{
	Esys_Finalize(&e);
	Tss2_TctiLdr_Finalize(&tcti);
}

/*
 * PCRs 17..22 only take extends from the localities the PC Client profile
 * gives them (22: locality 2), so try the localities in turn; swtpm's
 * TCTI can set them.
 */
void tk_tpm_pcr_extend(const char *conf, int pcr)
{
	static const uint8_t localities[] = { 0, 2, 3, 4, 1 };
	TPML_DIGEST_VALUES v = {
		.count = 1,
		.digests[0] = { .hashAlg = TPM2_ALG_SHA256 },
	};
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *e = tk_esys_open(conf, &tcti);
	TSS2_RC rc = TPM2_RC_LOCALITY;
	size_t i;

	memset(v.digests[0].digest.sha256, 0x5a, 32);
	for (i = 0; i < sizeof(localities) && rc != TSS2_RC_SUCCESS; i++) {
		assert_int_equal(Tss2_Tcti_SetLocality(tcti, localities[i]), TSS2_RC_SUCCESS);
		rc = Esys_PCR_Extend(e, ESYS_TR_PCR0 + (ESYS_TR)pcr, ESYS_TR_PASSWORD,
				     ESYS_TR_NONE, ESYS_TR_NONE, &v);
	}
	Tss2_Tcti_SetLocality(tcti, 0);
	assert_int_equal(rc, TSS2_RC_SUCCESS);
	tk_esys_close(e, tcti);
}

void tk_tpm_da_reset(const char *conf)
{
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *e = tk_esys_open(conf, &tcti);

	assert_int_equal(Esys_DictionaryAttackLockReset(e, ESYS_TR_RH_LOCKOUT, ESYS_TR_PASSWORD,
							ESYS_TR_NONE, ESYS_TR_NONE),
			 TSS2_RC_SUCCESS);
	tk_esys_close(e, tcti);
}

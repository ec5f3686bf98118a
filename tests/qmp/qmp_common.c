// SPDX-License-Identifier: GPL-2.0-or-later
/* Shared pieces of the QMP scenarios' guest programs (qmp_common.h). */
#include "qmp_common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void vclient_init(struct vclient *v, unsigned int alg, uint64_t seed)
{
	memset(v, 0, sizeof(*v));
	v->alg = &aead_algs[alg];
	prng_init(&v->prng, seed);
}

static void vclient_note(struct vclient *v, enum case_verdict verdict, const char *msg)
{
	if (verdict == CASE_WRONG && !v->wrong)
		snprintf(v->problem, sizeof(v->problem), "%s", msg);
	else if (!v->problem[0])
		snprintf(v->problem, sizeof(v->problem), "%s", msg);
}

static int vclient_bind(struct vclient *v)
{
	int err = alg_aead_open(&v->sock, aead_driver_name(v->alg));

	if (err)
		return err;
	prng_fill(&v->prng, v->key, v->alg->keylen);
	err = alg_aead_setkey(&v->sock, v->key, v->alg->keylen);
	if (!err)
		err = alg_aead_setauthsize(&v->sock, 16);
	if (err) {
		alg_aead_close(&v->sock);
		return err;
	}
	v->open = true;
	return 0;
}

enum case_verdict vclient_run(struct vclient *v, size_t max_pt)
{
	enum case_verdict verdict;
	struct aead_case c;
	struct aead_op op;
	char msg[256];
	ssize_t n;
	int err;

	if (!v->open) {
		err = vclient_bind(v);
		if (err) {
			snprintf(msg, sizeof(msg), "%s: bind: %s", v->alg->label,
				 strerror(-err));
			vclient_note(v, CASE_ERROR, msg);
			v->errors++;
			return CASE_ERROR;
		}
	}
	err = aead_case_make(&c, v->alg, v->key, v->sock.authsize, &v->prng,
			     64, max_pt, prng_below(&v->prng, 2), false);
	if (err) {
		snprintf(msg, sizeof(msg), "making a case: %s", strerror(-err));
		vclient_note(v, CASE_ERROR, msg);
		v->errors++;
		return CASE_ERROR;
	}
	aead_case_op(&c, &op, ALG_IO_PLAIN, 0);
	n = alg_aead_run(&v->sock, &op);
	verdict = aead_case_check(&c, n, msg, sizeof(msg));
	aead_case_free(&c);
	if (verdict == CASE_OK) {
		v->ok++;
	} else {
		vclient_note(v, verdict, msg);
		if (verdict == CASE_WRONG)
			v->wrong++;
		else
			v->errors++;
		/* A fresh socket next time, as an application would retry. */
		alg_aead_close(&v->sock);
		v->open = false;
	}
	return verdict;
}

void vclient_close(struct vclient *v)
{
	if (v->open)
		alg_aead_close(&v->sock);
	v->open = false;
}

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);	/* only what comes after this */
	return fd < 0 ? -errno : fd;
}

int kmsg_complaints(int fd, unsigned int max_level)
{
	char rec[8192];
	int bad = 0;

	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		unsigned int pri;
		char *msg;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		if (sscanf(rec, "%u,", &pri) != 1 || !msg)
			continue;
		msg++;
		msg[strcspn(msg, "\n")] = 0;
		if ((pri & 7) <= max_level || strstr(msg, "WARNING") || strstr(msg, "BUG") ||
		    strstr(msg, "Call Trace")) {
			printf("# kernel (level %u): %s\n", pri & 7, msg);
			bad++;
		}
	}
	return bad;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vminfo-helper: what the vm-info guest tests need beyond busybox.
 *
 *   vminfo-helper aead DRIVER COUNT LEN
 *       COUNT encryptions of LEN bytes (16 bytes AAD) through the AEAD
 *       implementation DRIVER over AF_ALG, each decrypted again and
 *       compared, so the device's statistics have real work to show.
 *       Prints "ops N" (the operations done) and exits 0, or 1 on failure.
 *   vminfo-helper run-as UID PROG ARGS...
 *       run PROG as UID/GID UID with no supplementary groups (busybox has
 *       no setpriv --reuid), to check gmrk info without root.
 */
#include <errno.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "af_alg.h"

#define AAD_LEN		16
#define TAG_LEN		16

static size_t key_len_for(const char *driver)
{
	return strstr(driver, "chacha20") ? 32 : 16;
}

static int run_aead(const char *driver, long count, long len)
{
	uint8_t key[32], iv[AEAD_IV_LEN];
	size_t n = (size_t)len, total = AAD_LEN + n;
	uint8_t *pt = malloc(total), *ct = malloc(total + TAG_LEN), *back = malloc(total);
	struct alg_aead a;
	int rc = 1, err;
	long i;

	if (!pt || !ct || !back)
		goto out_free;
	for (i = 0; i < (long)sizeof(key); i++)
		key[i] = (uint8_t)(0x40 + i);
	err = alg_aead_open(&a, driver);
	if (err) {
		fprintf(stderr, "vminfo-helper: bind %s: %s\n", driver, strerror(-err));
		goto out_free;
	}
	err = alg_aead_setkey(&a, key, key_len_for(driver));
	if (err) {
		fprintf(stderr, "vminfo-helper: setkey %s: %s\n", driver, strerror(-err));
		goto out_close;
	}
	for (i = 0; i < count; i++) {
		struct aead_op enc = {
			.enc = true, .iv = iv, .assoclen = AAD_LEN, .in = pt, .inlen = total,
			.out = ct, .outlen = total + TAG_LEN, .io = ALG_IO_PLAIN,
		};
		struct aead_op dec = {
			.enc = false, .iv = iv, .assoclen = AAD_LEN, .in = ct,
			.inlen = total + TAG_LEN, .out = back, .outlen = total, .io = ALG_IO_PLAIN,
		};
		ssize_t got;
		size_t j;

		memset(iv, 0, sizeof(iv));
		memcpy(iv, &i, sizeof(i));
		for (j = 0; j < total; j++)
			pt[j] = (uint8_t)(i + j);
		got = alg_aead_run(&a, &enc);
		if (got != (ssize_t)enc.outlen) {
			fprintf(stderr, "vminfo-helper: encrypt %ld: %s\n", i,
				got < 0 ? strerror((int)-got) : "short result");
			goto out_close;
		}
		got = alg_aead_run(&a, &dec);
		if (got != (ssize_t)dec.outlen || memcmp(back + AAD_LEN, pt + AAD_LEN, n)) {
			fprintf(stderr, "vminfo-helper: decrypt %ld: %s\n", i,
				got < 0 ? strerror((int)-got) : "wrong plaintext");
			goto out_close;
		}
	}
	printf("ops %ld\n", 2 * count);
	rc = 0;
out_close:
	alg_aead_close(&a);
out_free:
	free(pt);
	free(ct);
	free(back);
	return rc;
}

static int run_as(const char *uid_s, char **argv)
{
	char *end;
	unsigned long uid = strtoul(uid_s, &end, 10);

	if (*end || !*uid_s || uid > 65535) {
		fprintf(stderr, "vminfo-helper: bad uid '%s'\n", uid_s);
		return 2;
	}
	if (setgroups(0, NULL) || setgid((gid_t)uid) || setuid((uid_t)uid)) {
		perror("vminfo-helper: dropping privileges");
		return 2;
	}
	/* setuid() made us non-dumpable, which hides /proc/self from us and
	 * breaks LeakSanitizer in the failure path below; exec resets it anyway. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	execv(argv[0], argv);
	fprintf(stderr, "vminfo-helper: exec %s: %s\n", argv[0], strerror(errno));
	return 127;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "aead")) {
		long count = atol(argv[3]), len = atol(argv[4]);

		if (count < 1 || len < 0 || len > (1 << 20)) {
			fputs("vminfo-helper: COUNT >= 1, 0 <= LEN <= 1 MiB\n", stderr);
			return 2;
		}
		return run_aead(argv[2], count, len);
	}
	if (argc >= 4 && !strcmp(argv[1], "run-as"))
		return run_as(argv[2], argv + 3);
	fputs("usage: vminfo-helper aead DRIVER COUNT LEN | run-as UID PROG ARGS...\n", stderr);
	return 2;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* In-VM tests of libgmrk's AF_ALG paths: helpers for sysfs and debugfs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmlib.h"

bool vm_sim(void)
{
	const char *m = getenv("GMRK_TEST_MODE");

	return m && !strcmp(m, "sim") && !access(SIM_DBG, F_OK);
}

bool vm_pci(void)
{
	const char *m = getenv("GMRK_TEST_MODE");

	return m && !strcmp(m, "pci");
}

int vm_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

long long vm_read_num(const char *path, const char *key)
{
	char line[256];
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t n = key ? strlen(key) : 0;

		if (!key) {
			v = strtoll(line, NULL, 0);
			break;
		}
		if (!strncmp(line, key, n) && line[n] == ' ') {
			v = strtoll(line + n + 1, NULL, 0);
			break;
		}
	}
	fclose(f);
	return v;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/* The driver's control surfaces for the selftests (gmrk_ctl.h). */
#include "gmrk_ctl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "test_algs.h"

#define BASELINE_SIM_ID		0
#define BASELINE_SIM_QUEUES	4

int file_write_str(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* One write() so that sysfs sees one store and reports its error. */
	n = write(fd, s, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

int file_read_str(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	return (int)n;
}

int file_read_u64(const char *path, uint64_t *v)
{
	char buf[64], *end;
	int n = file_read_str(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	errno = 0;
	*v = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

bool sim_bus_present(void)
{
	return path_exists(SIM_BUS "/new_device");
}

int sim_new_device_str(const char *line)
{
	return file_write_str(SIM_BUS "/new_device", line);
}

int sim_new_device(unsigned int id, unsigned int queues, unsigned int depth)
{
	char line[64];

	if (depth)
		snprintf(line, sizeof(line), "%u %u %u", id, queues, depth);
	else
		snprintf(line, sizeof(line), "%u %u", id, queues);
	return sim_new_device_str(line);
}

int sim_del_device(unsigned int id)
{
	char line[32];

	snprintf(line, sizeof(line), "%u", id);
	return file_write_str(SIM_BUS "/del_device", line);
}

bool sim_device_exists(unsigned int id)
{
	char path[128];

	snprintf(path, sizeof(path), SIM_BUS "/devices/gmrk_sim%u", id);
	return path_exists(path);
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

int sim_list(unsigned int *ids, int max)
{
	DIR *d = opendir(SIM_BUS "/devices");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < max) {
		unsigned int id;
		char tail;

		if (sscanf(e->d_name, "gmrk_sim%u%c", &id, &tail) == 1)
			ids[n++] = id;
	}
	closedir(d);
	qsort(ids, n, sizeof(*ids), cmp_uint);
	return n;
}

int sim_node_name(unsigned int id, char *name, size_t len)
{
	char path[128];
	struct dirent *e;
	DIR *d;
	int err = -ENOENT;

	snprintf(path, sizeof(path), SIM_BUS "/devices/gmrk_sim%u/gmrk", id);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!strncmp(e->d_name, "gmrk", 4) && e->d_name[4] >= '0' &&
		    e->d_name[4] <= '9') {
			snprintf(name, len, "%s", e->d_name);
			err = 0;
			break;
		}
	}
	closedir(d);
	return err;
}

int sim_restore_baseline(void)
{
	unsigned int ids[SIM_MAX_DEVICES];
	bool pci = test_mode_is_pci();
	int n, err = 0;

	if (!sim_bus_present())
		return pci ? 0 : -ENODEV;
	/* Baseline first, so the algorithms never lose their last device. */
	if (!pci && !sim_device_exists(BASELINE_SIM_ID))
		err = sim_new_device(BASELINE_SIM_ID, BASELINE_SIM_QUEUES, 0);
	n = sim_list(ids, SIM_MAX_DEVICES);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		int e;

		if (!pci && ids[i] == BASELINE_SIM_ID)
			continue;
		e = sim_del_device(ids[i]);
		if (e && !err)
			err = e;
	}
	return err;
}

int debugfs_ensure(void)
{
	if (path_exists("/sys/kernel/debug/gmrk_sim") ||
	    path_exists("/sys/kernel/debug/gmrk"))
		return 0;
	if (mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) < 0 &&
	    errno != EBUSY)
		return -errno;
	return 0;
}

static void knob_path(char *path, size_t len, unsigned int id, const char *knob)
{
	snprintf(path, len, SIM_DEBUGFS "/sim%u/%s", id, knob);
}

int sim_knob_write_str(unsigned int id, const char *knob, const char *s)
{
	char path[160];

	knob_path(path, sizeof(path), id, knob);
	return file_write_str(path, s);
}

int sim_knob_write(unsigned int id, const char *knob, uint64_t v)
{
	char s[32];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	return sim_knob_write_str(id, knob, s);
}

int sim_knob_read(unsigned int id, const char *knob, uint64_t *v)
{
	char path[160], buf[64];
	int n;

	knob_path(path, sizeof(path), id, knob);
	n = file_read_str(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	/* debugfs bools read "Y"/"N" */
	if (buf[0] == 'Y' || buf[0] == 'N') {
		*v = buf[0] == 'Y';
		return 0;
	}
	return file_read_u64(path, v);
}

int modparam_read(const char *name, uint64_t *v)
{
	char path[160];

	snprintf(path, sizeof(path), MODPARAMS "/%s", name);
	return file_read_u64(path, v);
}

int modparam_write(const char *name, uint64_t v)
{
	char path[160], s[32];

	snprintf(path, sizeof(path), MODPARAMS "/%s", name);
	snprintf(s, sizeof(s), "%" PRIu64, v);
	return file_write_str(path, s);
}

int gmrk_node_open(const char *name)
{
	char path[160], dev[32];
	unsigned int maj, min;
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd < 0 ? -errno : fd;

	/* No devtmpfs node: make one from the class device's numbers. */
	snprintf(path, sizeof(path), GMRK_CLASS "/%s/dev", name);
	if (file_read_str(path, dev, sizeof(dev)) < 0 ||
	    sscanf(dev, "%u:%u", &maj, &min) != 2)
		return -ENOENT;
	snprintf(path, sizeof(path), "/tmp/gmrk-selftest-%s", name);
	unlink(path);
	if (mknod(path, S_IFCHR | 0600, makedev(maj, min)) < 0)
		return -errno;
	fd = open(path, O_RDWR | O_CLOEXEC);
	unlink(path);
	return fd < 0 ? -errno : fd;
}

static int cmp_node(const void *a, const void *b)
{
	unsigned int x = (unsigned int)atoi((const char *)a + 4);
	unsigned int y = (unsigned int)atoi((const char *)b + 4);

	return x < y ? -1 : x > y;
}

int gmrk_list_nodes(char names[][16], int max)
{
	DIR *d = opendir(GMRK_CLASS);
	struct dirent *e;
	int n = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d)) && n < max) {
		size_t len = strlen(e->d_name);

		if (!strncmp(e->d_name, "gmrk", 4) && e->d_name[4] >= '0' &&
		    e->d_name[4] <= '9' && len < 16)
			memcpy(names[n++], e->d_name, len + 1);
	}
	closedir(d);
	qsort(names, n, 16, cmp_node);
	return n;
}

int gmrk_get_info(int fd, struct gmrk_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, GMRK_IOC_INFO, info) < 0 ? -errno : 0;
}

int gmrk_get_stats(int fd, struct gmrk_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return ioctl(fd, GMRK_IOC_STATS, st) < 0 ? -errno : 0;
}

int gmrk_reset_stats(int fd)
{
	return ioctl(fd, GMRK_IOC_RESET_STATS) < 0 ? -errno : 0;
}

int gmrk_stats_by_name(const char *name, struct gmrk_stats *st)
{
	int fd = gmrk_node_open(name), err;

	if (fd < 0)
		return fd;
	err = gmrk_get_stats(fd, st);
	close(fd);
	return err;
}

int gmrk_pci_node(char *name, size_t len)
{
	char names[32][16];
	int n = gmrk_list_nodes(names, 32);

	for (int i = 0; i < n; i++) {
		struct gmrk_info info;
		int fd = gmrk_node_open(names[i]), err;

		if (fd < 0)
			continue;
		err = gmrk_get_info(fd, &info);
		close(fd);
		if (!err && info.kind == GMRK_KIND_PCI) {
			snprintf(name, len, "%s", names[i]);
			return 0;
		}
	}
	return -ENODEV;
}

uint64_t stats_queue_busy(const struct gmrk_stats *st)
{
	uint64_t busy = 0;

	for (uint32_t q = 0; q < st->num_queues && q < GMRK_MAX_QUEUES_UAPI; q++)
		busy += st->queue[q].busy;
	return busy;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gmrk info (no FILE arguments): the gm-rk cards and emulation devices on
 * this machine, the driver and its algorithms, queues and statistics.
 * Documentation/gmrk/gmrk-info.rst describes the output.
 */
#ifndef GMRK_DEVINFO_H
#define GMRK_DEVINFO_H

/* Exit statuses of gmrk_cmd_devinfo() */
#define DEVINFO_EXIT_OK		0	/* healthy, or nothing there */
#define DEVINFO_EXIT_UNHEALTHY	1	/* a selftest failed, a device is FATAL, ... */
#define DEVINFO_EXIT_USAGE	2

/*
 * argv[0] is the subcommand name ("info"); options: --json, --help.
 * GMRK_INFO_ROOT, when set, is prepended to every /proc, /sys and /dev
 * path read (libpci included) so tests can present a fabricated machine.
 */
int gmrk_cmd_devinfo(int argc, char **argv);

#endif /* GMRK_DEVINFO_H */

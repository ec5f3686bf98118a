// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk-devinfo: `gmrk info` without FILE arguments as a program of its own,
 * for the vm-info tests (tests/vminfo/), so they exercise
 * tools/gmrk/cmd_devinfo.c exactly as the CLI links it but without
 * libgmrk. Usage as `gmrk info`: gmrk-devinfo [--json].
 */
#include "devinfo.h"

int main(int argc, char **argv)
{
	argv[0] = "info";
	return gmrk_cmd_devinfo(argc, argv);
}

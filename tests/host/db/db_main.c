// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk db on its own (argv[0] plays "db"), for the CLI tests until
 * tools/gmrk/main.c dispatches to it.
 */
#include "cmd_db.h"

int main(int argc, char **argv)
{
	return gmrk_cmd_db(argc, argv);
}

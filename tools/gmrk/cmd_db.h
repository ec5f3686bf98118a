/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gmrk db: the keystore's databases (tools/gmrk/cmd_db.c). */
#ifndef GMRK_CMD_DB_H
#define GMRK_CMD_DB_H

/* argv[0] is "db", argv[1] the subcommand; returns the exit status */
int gmrk_cmd_db(int argc, char **argv);

#endif /* GMRK_CMD_DB_H */

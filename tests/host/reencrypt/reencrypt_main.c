// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk reencrypt on its own (argv[0] plays "reencrypt"), built with ASan
 * and UBSan against the library's sources for the kill test.
 */
int gmrk_cmd_reencrypt(int argc, char **argv);

int main(int argc, char **argv)
{
	return gmrk_cmd_reencrypt(argc, argv);
}

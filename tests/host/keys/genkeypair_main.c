// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `gmrk genkeypair` as a program of its own, for tests/host/keys until
 * the gmrk CLI dispatches to gmrk_cmd_genkeypair.
 */
int gmrk_cmd_genkeypair(int argc, char **argv);

int main(int argc, char **argv)
{
	return gmrk_cmd_genkeypair(argc, argv);
}

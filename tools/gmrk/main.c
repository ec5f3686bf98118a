// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk: command-line tool of libgmrk.
 *
 *   gmrk aead    raw AEAD for interoperability and debugging
 *   gmrk seal    seal a file in the block format
 *   gmrk open    open a sealed file
 *   gmrk info    the cards, emulation devices, key slots and algorithms
 *   gmrk inspect what a file's blocks say (cipher, key, encrypted or not)
 *   gmrk keygen  print a new random master key (64 hex digits)
 *   gmrk genkeypair  a new SM2 master key pair, private key under a pincode
 *   gmrk cardkey the card's SM2 key slots: generate, show, destroy
 *   gmrk envelop master-key rotation: rewrap every asset key to a new master key
 *   gmrk reencrypt  re-seal files under a new cipher and/or asset key
 *   gmrk db      databases of a keystore, encrypted or not
 *   gmrk bench   throughput per backend and cipher
 *   gmrk version
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "cmd_db.h"
#include "devinfo.h"

/* tools/gmrk/cmd_envelop.c (its prototype belongs in cli.h, the lead's) */

static const char help[] =
	"usage: gmrk <command> [options]\n"
	"\n"
	"commands:\n"
	"  aead -e|-d --cipher C --key HEX --nonce HEX [--aad HEX] [--backend B]\n"
	"        raw AEAD: plaintext (-e) or ciphertext||tag (-d) on stdin, the\n"
	"        other on stdout; 16-byte tag; exit 1 on authentication failure\n"
	"  seal [--cipher C] [--key-file K] [--asset NAME] [--block-size N] INPUT [-o OUT]\n"
	"        seal a file in the gmrk block format (default OUT: INPUT.gmrk,\n"
	"        key file OUT.key, created when missing)\n"
	"  open [--key-file K] INPUT [-o OUT]\n"
	"        open a sealed file (default OUT: INPUT without .gmrk)\n"
	"  inspect FILE...   cipher, key and block count of sealed files (no key needed)\n"
	"  info [--json]     gm-rk cards, emulation devices, queues, key slots,\n"
	"                    statistics and the gmrk algorithms' selftest status\n"
	"  db create NAME [--encrypted] [--cipher C] [--store DIR]\n"
	"  db encrypt NAME [--cipher C] | db list [--json] | db show NAME [--verify]\n"
	"        databases of the keystore ($GMRK_STORE, default ./gmrk-store),\n"
	"        which are encrypted, their keys; exit 1 on key errors\n"
	"  keygen            print a new random 32-byte master key in hex\n"
	"  genkeypair [--out FILE]\n"
	"        a new SM2 master key pair: asks for a pincode twice (stdin when\n"
	"        not a terminal), prints the public key (04||X||Y hex) and the\n"
	"        pincode-encrypted private key, or writes it to FILE (mode 0600)\n"
	"  cardkey generate [--device gmrkN] --slot N | show [--slot N] |\n"
	"          destroy --slot N --yes\n"
	"        the gm-rk card's SM2 key slots, master key of GMRK_CARD_KEY=SLOT\n"
	"  envelop --to-key-env VAR|--to-key-file F|--to-sm2-...|--to-tpm-keys-file F|\n"
	"          --to-card-key SLOT\n"
	"          [--master-key-file F] KEYFILE...|--store DIR\n"
	"        master-key rotation: rewrap every asset key from the current master\n"
	"        key to the new one, crash-safe and resumable; exit 1 if some failed\n"
	"  reencrypt [--cipher C] [--new-key] [--drop-old] [--key-file K]\n"
	"          [--allow-plaintext] FILE...\n"
	"        re-seal sealed (or plaintext) files in place with cipher C and/or a\n"
	"        new asset key version, crash-safe and resumable; exit 1 if a file fails\n"
	"        authentication (named, left untouched)\n"
	"  bench [--cipher C] [--size N] [--time MS]\n"
	"        throughput of each backend for each cipher\n"
	"  version           versions of gmrk, libgmrk and OpenSSL\n"
	"\n"
	"ciphers: aes-gcm (aes), sm4-gcm (sm4), chacha20-poly1305 (chachapoly)\n"
	"backends: auto (default), card, kernel, soft; also $GMRK_BACKEND\n"
	"master key: $GMRK_KEY (64 hex digits or a passphrase), --master-key-file,\n"
	"  GMRK_SM2_*, GMRK_TPM_KEYS_FILE or GMRK_CARD_KEY (a card key slot)\n"
	"exit status: 0 ok, 1 authentication failed (wrong key, tampered or\n"
	"truncated data), 2 usage, unsupported or other errors\n";

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(help, cmd ? stdout : stderr);
		return cmd ? EXIT_OK : EXIT_USAGE;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("gmrk %s (libgmrk %s, %s)\n", GMRK_VERSION_STRING, gmrk_version(),
		       OpenSSL_version(OPENSSL_VERSION));
		return EXIT_OK;
	}
	if (!strcmp(cmd, "aead"))
		return cmd_aead(argc - 1, argv + 1);
	if (!strcmp(cmd, "seal"))
		return cmd_seal(argc - 1, argv + 1);
	if (!strcmp(cmd, "open"))
		return cmd_open(argc - 1, argv + 1);
	if (!strcmp(cmd, "info"))
		return gmrk_cmd_devinfo(argc - 1, argv + 1);
	if (!strcmp(cmd, "inspect"))
		return cmd_inspect(argc - 1, argv + 1);
	if (!strcmp(cmd, "cardkey"))
		return gmrk_cmd_cardkey(argc - 1, argv + 1);
	if (!strcmp(cmd, "keygen"))
		return cmd_keygen(argc - 1, argv + 1);
	if (!strcmp(cmd, "db"))
		return gmrk_cmd_db(argc - 1, argv + 1);
	if (!strcmp(cmd, "genkeypair"))
		return gmrk_cmd_genkeypair(argc - 1, argv + 1);
	if (!strcmp(cmd, "envelop"))
		return gmrk_cmd_envelop(argc - 1, argv + 1);
	if (!strcmp(cmd, "reencrypt"))
		return gmrk_cmd_reencrypt(argc - 1, argv + 1);
	if (!strcmp(cmd, "bench"))
		return cmd_bench(argc - 1, argv + 1);
	cli_fail(EXIT_USAGE, "unknown command '%s' (see gmrk --help)", cmd);
}

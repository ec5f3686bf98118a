// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk aead -e|-d --cipher C --key HEX --nonce HEX [--aad HEX]
 *           [--backend auto|card|kernel|soft]
 *
 * Raw AEAD for interoperability and debugging: plaintext (-e) or
 * ciphertext || 16-byte tag (-d) on stdin, the other on stdout. Exit 0 on
 * success, 1 when authentication fails (stdout stays empty), 2 on usage
 * errors and unsupported parameters; one line on stderr for each failure.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void aead_usage(void)
{
	cli_fail(EXIT_USAGE,
		 "usage: gmrk aead -e|-d --cipher aes-gcm|sm4-gcm|chacha20-poly1305 --key HEX --nonce HEX [--aad HEX] [--backend auto|card|kernel|soft]");
}

int cmd_aead(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "encrypt", no_argument, NULL, 'e' },
		{ "decrypt", no_argument, NULL, 'd' },
		{ "cipher", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "aad", required_argument, NULL, 'a' },
		{ "backend", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *cipher_name = NULL, *key_hex = NULL, *nonce_hex = NULL;
	const char *aad_hex = "", *backend = NULL;
	uint8_t *key, *nonce, *aad, *in = NULL, *out;
	size_t keylen, noncelen, aadlen, inlen, len;
	struct gmrk_config cfg;
	enum gmrk_cipher c;
	gmrk_error err;
	gmrk_ctx *ctx;
	int mode = 0, opt, rc;

	cli_cmd = "gmrk aead";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "edc:k:n:a:b:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'e':
		case 'd':
			if (mode && mode != opt)
				cli_fail(EXIT_USAGE, "-e and -d exclude each other");
			mode = opt;
			break;
		case 'c':
			cipher_name = optarg;
			break;
		case 'k':
			key_hex = optarg;
			break;
		case 'n':
			nonce_hex = optarg;
			break;
		case 'a':
			aad_hex = optarg;
			break;
		case 'b':
			backend = optarg;
			break;
		case 'h':
			aead_usage();
			break;
		default:
			cli_fail(EXIT_USAGE, "unknown option '%s' (see gmrk aead --help)",
				 argv[optind - 1]);
		}
	}
	if (optind != argc)
		cli_fail(EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	if (!mode || !cipher_name || !key_hex || !nonce_hex)
		aead_usage();
	c = cli_cipher(cipher_name);
	key = cli_hex(key_hex, "--key", &keylen);
	nonce = cli_hex(nonce_hex, "--nonce", &noncelen);
	aad = cli_hex(aad_hex, "--aad", &aadlen);

	gmrk_config_init(&cfg);
	cfg.flags |= GMRK_CFG_NO_MASTER_KEY;
	if (backend) {
		cfg.backend = cli_backend(backend);
		cfg.flags |= GMRK_CFG_IGNORE_ENV;
	}
	ctx = gmrk_ctx_new(&cfg, &err);
	if (!ctx)
		cli_fail(EXIT_USAGE, "%s", err.message);

	rc = cli_read_all(STDIN_FILENO, &in, &inlen);
	if (rc)
		cli_fail(EXIT_USAGE, "reading stdin: %s", strerror(-rc));
	if (mode == 'd' && inlen < GMRK_TAG_LEN)
		cli_fail(EXIT_AUTH, "%s: %s (input shorter than the %d-byte tag)",
			 gmrk_cipher_name(c), gmrk_strerror(GMRK_E_AUTH), GMRK_TAG_LEN);
	len = mode == 'e' ? inlen : inlen - GMRK_TAG_LEN;
	out = malloc(len + GMRK_TAG_LEN + 1);
	if (!out)
		cli_fail(EXIT_USAGE, "out of memory");
	if (mode == 'e')
		rc = gmrk_aead_encrypt(ctx, c, key, keylen, nonce, noncelen, aad, aadlen,
				       in, len, out, out + len, &err);
	else
		rc = gmrk_aead_decrypt(ctx, c, key, keylen, nonce, noncelen, aad, aadlen,
				       in, len, in + len, out, &err);
	memset(key, 0, keylen);
	gmrk_ctx_free(ctx);
	if (rc)
		cli_fail_gmrk(rc, &err);
	rc = cli_write_all(STDOUT_FILENO, out, mode == 'e' ? len + GMRK_TAG_LEN : len);
	if (rc)
		cli_fail(EXIT_USAGE, "writing stdout: %s", strerror(-rc));
	free(in);
	free(out);
	free(key);
	free(nonce);
	free(aad);
	return EXIT_OK;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk inspect FILE...: what the block headers of a file say, without a
 * key: encrypted or not, format version, cipher(s), key id and versions,
 * block and payload counts. (gmrk info reports the devices:
 * cmd_devinfo.c.) gmrk keygen: a new random master key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "cli.h"

static int info_one(const char *path)
{
	uint64_t blocks = 0, payload = 0, per_cipher[GMRK_CIPHER_COUNT] = { 0 };
	uint32_t vmin = UINT32_MAX, vmax = 0;
	uint8_t hdr[GMRK_HEADER_LEN], id[GMRK_KEY_ID_LEN];
	struct gmrk_block_info bi;
	gmrk_error err;
	long long n;
	int fd, c, i;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "gmrk inspect: '%s': %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	for (;;) {
		n = cli_read_full(fd, hdr, sizeof(hdr));
		if (n <= 0)
			break;
		if (gmrk_block_info(hdr, (size_t)n, &bi, &err)) {
			printf("%s: block %llu: %s\n", path, (unsigned long long)blocks, err.message);
			close(fd);
			return EXIT_AUTH;
		}
		if (!bi.encrypted) {
			if (!blocks) {
				printf("%s: not encrypted (no gmrk header)\n", path);
				close(fd);
				return EXIT_OK;
			}
			printf("%s: block %llu: no gmrk header\n", path, (unsigned long long)blocks);
			close(fd);
			return EXIT_AUTH;
		}
		if (!blocks)
			memcpy(id, bi.key_id, sizeof(id));
		per_cipher[bi.cipher]++;
		vmin = bi.key_version < vmin ? bi.key_version : vmin;
		vmax = bi.key_version > vmax ? bi.key_version : vmax;
		blocks++;
		payload += bi.payload_len;
		if (lseek(fd, (off_t)(bi.sealed_len - GMRK_HEADER_LEN), SEEK_CUR) < 0) {
			printf("%s: %s\n", path, strerror(errno));
			close(fd);
			return EXIT_USAGE;
		}
	}
	close(fd);
	if (!blocks) {
		printf("%s: empty\n", path);
		return EXIT_OK;
	}
	printf("%s: encrypted, gmrk format 1, %llu blocks, %llu payload bytes\n", path,
	       (unsigned long long)blocks, (unsigned long long)payload);
	printf("  key id ");
	for (i = 0; i < GMRK_KEY_ID_LEN; i++)
		printf("%02x", id[i]);
	printf(", key version %u", vmin);
	if (vmax != vmin)
		printf("..%u", vmax);
	printf("\n");
	for (c = 1; c < GMRK_CIPHER_COUNT; c++)
		if (per_cipher[c])
			printf("  %s: %llu blocks\n", gmrk_cipher_name((enum gmrk_cipher)c),
			       (unsigned long long)per_cipher[c]);
	return EXIT_OK;
}

int cmd_inspect(int argc, char **argv)
{
	int i, rc = EXIT_OK, r;

	cli_cmd = "gmrk inspect";
	if (argc < 2)
		cli_fail(EXIT_USAGE, "usage: gmrk inspect FILE...");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: gmrk inspect FILE...\n"
		       "  what the block headers of sealed files say, without a key: encrypted\n"
		       "  or not, cipher(s), key id and versions, blocks and payload bytes\n");
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		r = info_one(argv[i]);
		if (r > rc)
			rc = r;
	}
	return rc;
}

int cmd_keygen(int argc, char **argv)
{
	uint8_t key[32];
	int i;

	(void)argv;
	cli_cmd = "gmrk keygen";
	if (argc != 1)
		cli_fail(EXIT_USAGE, "usage: gmrk keygen");
	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		cli_fail(EXIT_USAGE, "getrandom: %s", strerror(errno));
	for (i = 0; i < 32; i++)
		printf("%02x", key[i]);
	printf("\n");
	explicit_bzero(key, sizeof(key));
	return EXIT_OK;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk cardkey: the SM2 key pairs a gm-rk card holds in its key slots,
 * the master key of the card provider (GMRK_CARD_KEY).
 *
 *   gmrk cardkey generate [--device gmrkN] --slot N
 *   gmrk cardkey show [--device gmrkN] [--slot N]
 *   gmrk cardkey destroy [--device gmrkN] --slot N --yes
 *
 * The private keys never leave the card; these commands only generate,
 * list (public keys) and erase. They go through the /dev/gmrkN ioctls of
 * uapi/linux/gmrk.h with lib/cardkey.c, linked into the CLI (as lib/keys
 * is: libgmrk.so keeps those names local). Generating and destroying need
 * CAP_SYS_ADMIN; showing only access to /dev/gmrkN.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cardkey.h"
#include "cli.h"

static const char ck_usage[] =
	"usage: gmrk cardkey generate [--device gmrkN] --slot N\n"
	"       gmrk cardkey show [--device gmrkN] [--slot N]\n"
	"       gmrk cardkey destroy [--device gmrkN] --slot N --yes\n"
	"  The SM2 key pairs a gm-rk card keeps in its key slots (the private key\n"
	"  never leaves the card), the master key of GMRK_CARD_KEY=SLOT or\n"
	"  GMRK_CARD_KEY=gmrkN:SLOT.\n"
	"  generate  a new key pair in an empty slot; prints its public key and\n"
	"            the configuration line (needs CAP_SYS_ADMIN)\n"
	"  show      every device's key slots and the public keys in them\n"
	"  destroy   erases a slot: every key file wrapped to it becomes\n"
	"            unreadable for good; refused without --yes (CAP_SYS_ADMIN)\n"
	"  --device  gmrkN (default: the only gm-rk device)\n"
	"exit status: 0 done, 2 usage or any error\n";

struct ck_opts {
	const char *device;
	long slot;		/* -1: not given */
	bool yes;
};

static void ck_parse(int argc, char **argv, struct ck_opts *o)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "slot", required_argument, NULL, 's' },
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int opt;

	memset(o, 0, sizeof(*o));
	o->slot = -1;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "d:s:yh", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			o->device = optarg;
			break;
		case 's':
			errno = 0;
			o->slot = strtol(optarg, &end, 10);
			if (errno || *end || !*optarg || o->slot < 0 ||
			    o->slot >= GMRK_CARD_SLOTS_MAX)
				cli_fail(EXIT_USAGE, "--slot '%s': expected a slot number, 0 to %d",
					 optarg, GMRK_CARD_SLOTS_MAX - 1);
			break;
		case 'y':
			o->yes = true;
			break;
		case 'h':
			fputs(ck_usage, stdout);
			exit(EXIT_OK);
		default:
			fputs(ck_usage, stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind < argc)
		cli_fail(EXIT_USAGE, "unexpected argument '%s' (see gmrk cardkey --help)",
			 argv[optind]);
}

/* the text of a key-slot errno of device @dev, slot @slot */
static const char *ck_strerror(int e, const char *dev, long slot, char *buf, size_t cap)
{
	switch (e) {
	case ENOKEY:
		snprintf(buf, cap, "slot %ld of %s is empty", slot, dev);
		break;
	case EEXIST:
		snprintf(buf, cap, "slot %ld of %s already holds a key", slot, dev);
		break;
	case EPERM:
		snprintf(buf, cap, "%s: generating or destroying a card key needs CAP_SYS_ADMIN (run as root)",
			 dev);
		break;
	case EACCES:
		snprintf(buf, cap, "permission denied on /dev/%s", dev);
		break;
	case EOPNOTSUPP:
		snprintf(buf, cap, "%s has no key slots", dev);
		break;
	case EINVAL:
		snprintf(buf, cap, "%s has no slot %ld", dev, slot);
		break;
	case ENODEV:
	case ENXIO:
		snprintf(buf, cap, "%s went away", dev);
		break;
	default:
		snprintf(buf, cap, "%s slot %ld: %s", dev, slot, strerror(e));
	}
	return buf;
}

static void ck_fail_errno(int e, const char *dev, long slot)
{
	char msg[200];

	cli_fail(EXIT_USAGE, "%s", ck_strerror(e, dev, slot, msg, sizeof(msg)));
}

/* every /dev/gmrkN; exits when there is none */
static int ck_list(struct gmrk_card_dev *devs)
{
	int n = gmrk_card_list(devs, GMRK_CARD_DEVS_MAX);

	if (n < 0)
		cli_fail(EXIT_USAGE, "/dev: %s", strerror(-n));
	if (!n)
		cli_fail(EXIT_USAGE, "no gm-rk device (/dev/gmrk*) found");
	return n;
}

/* the device --device names, else the only one; its fd */
static int ck_device(const struct ck_opts *o, struct gmrk_card_dev *dev)
{
	struct gmrk_card_dev devs[GMRK_CARD_DEVS_MAX];
	int n, fd;

	if (o->device) {
		const char *name = o->device;

		if (!strncmp(name, "/dev/", 5))
			name += 5;
		if (gmrk_card_dev_from_name(name, dev))
			cli_fail(EXIT_USAGE, "--device '%s': expected gmrkN", o->device);
	} else {
		n = ck_list(devs);
		if (n > 1) {
			char names[200] = "";

			for (int i = 0; i < n && strlen(names) < 150; i++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names),
					 "%s%s", i ? ", " : "", devs[i].name);
			cli_fail(EXIT_USAGE, "several gm-rk devices (%s): name one with --device",
				 names);
		}
		*dev = devs[0];
	}
	fd = gmrk_card_open(dev);
	if (fd == -ENOENT || fd == -ENXIO || fd == -ENODEV)
		cli_fail(EXIT_USAGE, "no device %s", dev->path);
	if (fd < 0)
		ck_fail_errno(-fd, dev->name, o->slot);
	return fd;
}

/* whether a device other than @dev holds a key in @slot */
static bool ck_slot_elsewhere(const struct gmrk_card_dev *dev, unsigned int slot)
{
	struct gmrk_card_dev devs[GMRK_CARD_DEVS_MAX];
	int n = gmrk_card_list(devs, GMRK_CARD_DEVS_MAX);
	bool found = false;

	for (int i = 0; i < n && !found; i++) {
		struct gmrk_card_info ci;
		int fd;

		if (devs[i].num == dev->num)
			continue;
		fd = gmrk_card_open(&devs[i]);
		if (fd < 0)
			continue;
		found = !gmrk_card_info(fd, &ci) && slot < ci.key_slots &&
			(ci.slot_map & (1u << slot));
		close(fd);
	}
	return found;
}

static int ck_generate(const struct ck_opts *o)
{
	uint8_t pub[GMRK_CARD_PUB_LEN];
	char hex[2 * GMRK_CARD_PUB_LEN + 1], spec[32];
	struct gmrk_card_dev dev;
	int fd, rc;

	if (o->slot < 0)
		cli_fail(EXIT_USAGE, "generate needs --slot N");
	if (o->yes)
		cli_fail(EXIT_USAGE, "--yes goes with destroy");
	fd = ck_device(o, &dev);
	rc = gmrk_card_gen(fd, (unsigned int)o->slot, pub);
	if (rc == -EEXIST && !gmrk_card_pub(fd, (unsigned int)o->slot, pub)) {
		gmrk_card_pub_hex(pub, hex);
		cli_fail(EXIT_USAGE,
			 "slot %ld of %s already holds a key (%.16s...); pick an empty slot (gmrk cardkey show)",
			 o->slot, dev.name, hex);
	}
	close(fd);
	if (rc)
		ck_fail_errno(-rc, dev.name, o->slot);
	gmrk_card_pub_hex(pub, hex);
	/* the slot alone is enough while no other device has a key in it */
	if (ck_slot_elsewhere(&dev, (unsigned int)o->slot))
		snprintf(spec, sizeof(spec), "%s:%ld", dev.name, o->slot);
	else
		snprintf(spec, sizeof(spec), "%ld", o->slot);
	printf("card key generated: %s slot %ld\n", dev.name, o->slot);
	printf("public key: %s\n", hex);
	printf("use it as the master key of new key files:\n");
	printf("  export GMRK_CARD_KEY=%s\n", spec);
	printf("or move existing key files to it:\n");
	printf("  gmrk envelop --to-card-key %s --store DIR\n", spec);
	printf("note: the private key exists only in this card; key files wrapped to it\n"
	       "open only where this card is\n");
	return EXIT_OK;
}

static int ck_show(const struct ck_opts *o)
{
	struct gmrk_card_dev devs[GMRK_CARD_DEVS_MAX];
	int n, i, status = EXIT_OK;
	char msg[200];

	if (o->yes)
		cli_fail(EXIT_USAGE, "--yes goes with destroy");
	if (o->device) {
		const char *name = o->device;

		if (!strncmp(name, "/dev/", 5))
			name += 5;
		if (gmrk_card_dev_from_name(name, &devs[0]))
			cli_fail(EXIT_USAGE, "--device '%s': expected gmrkN", o->device);
		n = 1;
	} else {
		n = ck_list(devs);
	}
	for (i = 0; i < n; i++) {
		struct gmrk_card_info ci;
		unsigned int s, used = 0;
		int fd = gmrk_card_open(&devs[i]);
		int rc = fd < 0 ? fd : gmrk_card_info(fd, &ci);

		if (rc) {
			printf("%s: %s\n", devs[i].name,
			       rc == -ENOENT ? "no such device" :
			       ck_strerror(-rc, devs[i].name, o->slot, msg, sizeof(msg)));
			status = EXIT_USAGE;
			if (fd >= 0)
				close(fd);
			continue;
		}
		for (s = 0; s < ci.key_slots; s++)
			used += !!(ci.slot_map & (1u << s));
		if (!ci.key_slots) {
			printf("%s (%s): no key slots\n", devs[i].name, ci.bus_id);
			close(fd);
			continue;
		}
		printf("%s (%s): %u key slots, %u in use\n", devs[i].name, ci.bus_id,
		       ci.key_slots, used);
		for (s = 0; s < ci.key_slots; s++) {
			uint8_t pub[GMRK_CARD_PUB_LEN];
			char hex[2 * GMRK_CARD_PUB_LEN + 1];

			if (o->slot >= 0 && s != (unsigned int)o->slot)
				continue;
			if (!(ci.slot_map & (1u << s))) {
				if (o->slot >= 0)
					printf("  slot %-3u empty\n", s);
				continue;
			}
			rc = gmrk_card_pub(fd, s, pub);
			if (rc) {
				printf("  slot %-3u %s\n", s,
				       ck_strerror(-rc, devs[i].name, s, msg, sizeof(msg)));
				if (rc != -ENOKEY)
					status = EXIT_USAGE;
				continue;
			}
			gmrk_card_pub_hex(pub, hex);
			printf("  slot %-3u %s\n", s, hex);
		}
		if (o->slot >= (long)ci.key_slots)
			printf("  slot %-3ld does not exist\n", o->slot);
		close(fd);
	}
	return status;
}

static int ck_destroy(const struct ck_opts *o)
{
	uint8_t pub[GMRK_CARD_PUB_LEN];
	char hex[2 * GMRK_CARD_PUB_LEN + 1];
	struct gmrk_card_dev dev;
	int fd, rc;

	if (o->slot < 0)
		cli_fail(EXIT_USAGE, "destroy needs --slot N");
	fd = ck_device(o, &dev);
	rc = gmrk_card_pub(fd, (unsigned int)o->slot, pub);
	if (rc) {
		close(fd);
		ck_fail_errno(-rc, dev.name, o->slot);
	}
	gmrk_card_pub_hex(pub, hex);
	if (!o->yes) {
		close(fd);
		cli_fail(EXIT_USAGE,
			 "not destroyed: %s slot %ld (public key %.16s...) is the only copy of its private key; every key file wrapped to it becomes unreadable for good. Rewrap them first (gmrk envelop), then run again with --yes",
			 dev.name, o->slot, hex);
	}
	rc = gmrk_card_destroy(fd, (unsigned int)o->slot);
	close(fd);
	if (rc)
		ck_fail_errno(-rc, dev.name, o->slot);
	printf("destroyed: %s slot %ld\n", dev.name, o->slot);
	printf("public key was: %s\n", hex);
	printf("warning: key files wrapped to this key can no longer be opened\n");
	return EXIT_OK;
}

int gmrk_cmd_cardkey(int argc, char **argv)
{
	struct ck_opts o;
	const char *sub = argc > 1 ? argv[1] : NULL;

	cli_cmd = "gmrk cardkey";
	if (!sub || !strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
		fputs(ck_usage, sub ? stdout : stderr);
		return sub ? EXIT_OK : EXIT_USAGE;
	}
	ck_parse(argc - 1, argv + 1, &o);
	if (!strcmp(sub, "generate"))
		return ck_generate(&o);
	if (!strcmp(sub, "show"))
		return ck_show(&o);
	if (!strcmp(sub, "destroy"))
		return ck_destroy(&o);
	cli_fail(EXIT_USAGE, "unknown subcommand '%s' (generate, show, destroy)", sub);
}

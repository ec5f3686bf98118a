// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk-bench-vm: the three paths of libgmrk side by side inside the test VM
 * (tools/bench/vm-bench.sh runs it there): the gm-rk card through AF_ALG
 * (gcm-*-gmrk), the kernel's own software algorithms through AF_ALG, and
 * userspace software, plus auto routing and raw OpenSSL EVP (raw lib/sm4
 * for SM4-GCM, which OpenSSL 3.0 lacks) as what a user would otherwise
 * call.
 *
 * The VM runs under TCG, some 100 times slower than the host and not
 * uniformly so (emulated vector instructions suffer most, a card emulated
 * in QEMU runs at host speed), so only ratios within one run are printed:
 * each path over libgmrk's software path. Timing only, never pass/fail.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <gmrk/gmrk.h>

#include "benchutil.h"
#include "sm4gcm.h"

#define AD_LEN 8
#define PEER_AAD_LEN (GMRK_HEADER_LEN + 8 + AD_LEN)
#define MAX_SIZE (1u << 20)

enum col { C_CARD, C_KERNEL, C_SOFT, C_AUTO, C_RAW, C_N };
static const char *const col_name[C_N] = { "card", "kernel", "soft", "auto", "raw-sw" };
static const enum gmrk_backend col_backend[C_RAW] = {
	GMRK_BACKEND_CARD, GMRK_BACKEND_KERNEL, GMRK_BACKEND_SOFT, GMRK_BACKEND_AUTO,
};

struct cipher {
	const char *name;
	enum gmrk_cipher gc;
	const EVP_CIPHER *(*evp)(void);
};

static const struct cipher ciphers[] = {
	{ "aes-256-gcm", GMRK_CIPHER_AES_GCM, EVP_aes_256_gcm },
	{ "chacha20-poly1305", GMRK_CIPHER_CHACHA20_POLY1305, EVP_chacha20_poly1305 },
	{ "sm4-gcm", GMRK_CIPHER_SM4_GCM, NULL },
};

struct run {
	size_t len;
	uint8_t *in, *out, nonce[12], aad[PEER_AAD_LEN], tag[16];
	uint64_t ctr;
	gmrk_ctx *ctx[C_RAW];
	gmrk_key *key[C_RAW];
	bool have[C_N];
	EVP_CIPHER_CTX *evp;
	gmrk_sm4gcm *sm4;
	enum col cur;
};

static void die(const char *what)
{
	fprintf(stderr, "gmrk-bench-vm: %s\n", what);
	exit(1);
}

static void op(void *arg)
{
	struct run *r = arg;
	gmrk_error err;
	size_t outlen;
	int n;

	if (r->cur != C_RAW) {
		if (gmrk_seal(r->ctx[r->cur], r->key[r->cur], r->ctr++, r->aad, AD_LEN,
			      r->in, r->len, r->out, r->len + GMRK_OVERHEAD, &outlen, &err))
			die(err.message);
		return;
	}
	r->ctr++;
	memcpy(r->nonce + 4, &r->ctr, 8);
	if (r->sm4) {
		if (gmrk_sm4gcm_seal(r->sm4, r->nonce, 12, r->aad, PEER_AAD_LEN, r->in,
				     r->len, r->out, r->tag, 16))
			die("gmrk_sm4gcm_seal failed");
		return;
	}
	if (!EVP_EncryptInit_ex(r->evp, NULL, NULL, NULL, r->nonce) ||
	    !EVP_EncryptUpdate(r->evp, NULL, &n, r->aad, PEER_AAD_LEN) ||
	    !EVP_EncryptUpdate(r->evp, r->out, &n, r->in, (int)r->len) ||
	    !EVP_EncryptFinal_ex(r->evp, r->out + n, &n) ||
	    !EVP_CIPHER_CTX_ctrl(r->evp, EVP_CTRL_AEAD_GET_TAG, 16, r->tag))
		die("OpenSSL EVP encrypt failed");
}

static void setup(struct run *r, const struct cipher *ci)
{
	uint8_t id[GMRK_KEY_ID_LEN] = "benchkey", aek[GMRK_KEY_LEN], key[32];
	struct gmrk_config cfg;
	gmrk_error err;
	size_t i;
	int c;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < sizeof(aek); i++)
		aek[i] = (uint8_t)(i * 13 + 5);
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	memset(r->aad, 0xa5, sizeof(r->aad));
	r->in = calloc(1, MAX_SIZE);
	r->out = malloc(MAX_SIZE + GMRK_OVERHEAD);
	if (!r->in || !r->out)
		die("out of memory");
	for (c = 0; c < C_RAW; c++) {
		gmrk_config_init(&cfg);
		cfg.cipher = ci->gc;
		cfg.backend = col_backend[c];
		cfg.flags = GMRK_CFG_IGNORE_ENV | GMRK_CFG_NO_MASTER_KEY;
		r->ctx[c] = gmrk_ctx_new(&cfg, &err);
		if (!r->ctx[c])
			die(err.message);
		r->have[c] = gmrk_backend_available(r->ctx[c], col_backend[c], ci->gc);
		r->key[c] = gmrk_key_from_bytes(r->ctx[c], aek, sizeof(aek), id, 1, &err);
		if (!r->key[c])
			die(err.message);
	}
	if (ci->evp) {
		r->evp = EVP_CIPHER_CTX_new();
		if (!r->evp || !EVP_EncryptInit_ex(r->evp, ci->evp(), NULL, key, NULL))
			die("OpenSSL EVP init failed");
	} else {
		r->sm4 = gmrk_sm4gcm_new(key);
		if (!r->sm4)
			die("gmrk_sm4gcm_new failed");
	}
	r->have[C_RAW] = true;
}

/* Each libgmrk path seals a block the software path opens, and back. */
static void cross_check(struct run *r)
{
	static uint8_t blk[4093 + GMRK_OVERHEAD], back[4093];
	size_t blen, olen, i;
	gmrk_error err;
	int c;

	for (i = 0; i < sizeof(back); i++)
		r->in[i] = (uint8_t)(i * 31);
	for (c = 0; c < C_RAW; c++) {
		if (!r->have[c])
			continue;
		if (gmrk_seal(r->ctx[c], r->key[c], 3, r->aad, AD_LEN, r->in, sizeof(back),
			      blk, sizeof(blk), &blen, &err) ||
		    gmrk_open(r->ctx[C_SOFT], r->key[C_SOFT], 3, r->aad, AD_LEN, blk, blen,
			      back, sizeof(back), &olen, NULL, &err))
			die(err.message);
		if (olen != sizeof(back) || memcmp(back, r->in, olen))
			die("a path does not give the block back");
		if (gmrk_seal(r->ctx[C_SOFT], r->key[C_SOFT], 4, r->aad, AD_LEN, r->in,
			      sizeof(back), blk, sizeof(blk), &blen, &err) ||
		    gmrk_open(r->ctx[c], r->key[c], 4, r->aad, AD_LEN, blk, blen,
			      back, sizeof(back), &olen, NULL, &err))
			die(err.message);
		if (olen != sizeof(back) || memcmp(back, r->in, olen))
			die("a path does not open the software path's block");
	}
}

static void teardown(struct run *r)
{
	int c;

	for (c = 0; c < C_RAW; c++) {
		gmrk_key_free(r->key[c]);
		gmrk_ctx_free(r->ctx[c]);
	}
	EVP_CIPHER_CTX_free(r->evp);
	gmrk_sm4gcm_free(r->sm4);
	free(r->in);
	free(r->out);
}

/* After timing a libgmrk path: its last block opens in software. */
static void check_last(struct run *r)
{
	uint8_t *back = malloc(r->len ? r->len : 1);
	gmrk_error err;
	size_t olen;

	if (!back)
		die("out of memory");
	if (gmrk_open(r->ctx[C_SOFT], r->key[C_SOFT], r->ctr - 1, r->aad, AD_LEN,
		      r->out, r->len + GMRK_OVERHEAD, back, r->len, &olen, NULL, &err))
		die(err.message);
	if (olen != r->len || memcmp(back, r->in, r->len))
		die("a path's last block does not open to its input");
	free(back);
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.runs = 12, .min_s = 0.05,
		.sizes = { 64, 256, 4096, 65536, 1 << 20 }, .nsizes = 5,
	};
	size_t ci, si;
	char when[64];
	int c;

	bench_parse(&o, argc, argv, MAX_SIZE, "gmrk-bench-vm");
	printf("VM (TCG) AEAD paths, single thread, %s; libgmrk %s, guest SM4-GCM path %s\n",
	       bench_now_str(when, sizeof(when)), gmrk_version(), gmrk_sm4gcm_impl());
	printf("throughput of each path / libgmrk soft (best of %d runs of >= %.0f ms, paths taking turns); - = not available\n",
	       o.runs, o.min_s * 1000);
	printf("raw-sw: OpenSSL EVP (AES, ChaCha), lib/sm4 (SM4; OpenSSL 3.0 has no SM4-GCM)\n\n");
	printf("%-18s %8s", "cipher", "size");
	for (c = 0; c < C_N; c++)
		printf(" %8s", col_name[c]);
	printf("\n");

	for (ci = 0; ci < sizeof(ciphers) / sizeof(ciphers[0]); ci++) {
		struct run r;

		if (o.cipher && strcmp(o.cipher, ciphers[ci].name))
			continue;
		setup(&r, &ciphers[ci]);
		cross_check(&r);
		for (si = 0; si < o.nsizes; si++) {
			double t[C_N];
			unsigned long batch[C_N];
			char sz[32];
			int i, j;

			r.len = o.sizes[si];
			for (c = 0; c < C_N; c++) {
				t[c] = 1e30;
				if (!r.have[c])
					continue;
				r.cur = c;
				batch[c] = bench_warm(&o, op, &r);
			}
			/*
			 * The paths take turns, round i starting with path i,
			 * so a slow spell of the host (the VM shares its cores)
			 * falls on all of them rather than on one.
			 */
			for (i = 0; i < o.runs; i++) {
				for (j = 0; j < C_N; j++) {
					double x;

					c = (i + j) % C_N;
					if (!r.have[c])
						continue;
					r.cur = c;
					x = bench_run(&o, op, &r, batch[c]);
					if (c != C_RAW)
						check_last(&r);
					if (x < t[c])
						t[c] = x;
				}
			}
			printf("%-18s %8s", ciphers[ci].name,
			       bench_size_str(r.len, sz, sizeof(sz)));
			for (c = 0; c < C_N; c++) {
				if (r.have[c])
					printf(" %8.2f", t[C_SOFT] / t[c]);
				else
					printf(" %8s", "-");
			}
			printf("\n");
			fflush(stdout);
		}
		teardown(&r);
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * gmrk-bench-host: single-thread AEAD throughput on this machine, libgmrk's
 * gmrk_seal (software path) against what a user would otherwise call: raw
 * OpenSSL EVP and raw libgcrypt, for AES-256-GCM, ChaCha20-Poly1305 and
 * SM4-GCM, at 64 B .. 1 MiB. For SM4-GCM also lib/sm4 called directly.
 *
 * Every contender does the same AEAD work per message: a fresh 12-byte
 * nonce, the same amount of associated data (what gmrk_seal authenticates:
 * its 40-byte header, the 8-byte position and the caller's 8 bytes) and a
 * 16-byte tag, on the same page-aligned input and output buffers. The raw
 * peers write their ciphertext to the start of the output buffer and keep
 * nonce and tag apart, where libgmrk's ciphertext necessarily starts 40
 * bytes in, after the block header: where the output lies matters to the
 * raw libraries by up to ~15% at small sizes (AES-GCM at 256 B), and this
 * is their best case. --peers-block lays their output out as a libgmrk
 * block instead (nonce in the 12 bytes before the ciphertext, ciphertext
 * 40 bytes in, tag right after it), as a storage engine keeping nonce and
 * tag with each block would: the same memory traffic as libgmrk's. A figure is the best
 * of --runs runs of at least --min-ms each (MB = 10^6 bytes); the
 * contenders take turns, one run each per round (after each has been
 * warmed up), so that a change in the machine's load hits all of them
 * alike rather than one contender's whole measurement. The ratio is
 * libgmrk over the faster peer. Before timing, each cipher's outputs are
 * checked to agree across libraries, so a broken path cannot post a figure.
 *
 * Timing only: nothing here passes or fails on speed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include <gmrk/gmrk.h>

#include "benchutil.h"
#include "sm4gcm.h"

#define AD_LEN 8
#define PEER_AAD_LEN (GMRK_HEADER_LEN + 8 + AD_LEN)
#define MAX_SIZE (1u << 20)

enum who { W_GMRK, W_SM4, W_OSSL, W_GCRY, W_N };
static const char *const who_name[W_N] = { "libgmrk", "lib/sm4", "OpenSSL", "libgcrypt" };

struct cipher {
	const char *name;
	enum gmrk_cipher gc;
	int gcry_algo, gcry_mode;
	const EVP_CIPHER *(*evp)(void);
	size_t keylen;
};

static const struct cipher ciphers[] = {
	{ "aes-256-gcm", GMRK_CIPHER_AES_GCM, GCRY_CIPHER_AES256,
	  GCRY_CIPHER_MODE_GCM, EVP_aes_256_gcm, 32 },
	{ "chacha20-poly1305", GMRK_CIPHER_CHACHA20_POLY1305, GCRY_CIPHER_CHACHA20,
	  GCRY_CIPHER_MODE_POLY1305, EVP_chacha20_poly1305, 32 },
	/* OpenSSL 3.0 has no SM4-GCM */
	{ "sm4-gcm", GMRK_CIPHER_SM4_GCM, GCRY_CIPHER_SM4, GCRY_CIPHER_MODE_GCM,
	  NULL, 16 },
};

struct run {
	const struct cipher *ci;
	size_t len;
	uint8_t key[32], nonce[12], aad[PEER_AAD_LEN], tag[16];
	uint8_t *in, *out;
	/* where the raw peers write nonce, ciphertext and tag (r->ct + r->len) */
	uint8_t *pnonce, *ct;
	bool apart;		/* tag in r->tag, nonce in r->nonce only */
	uint64_t ctr;
	gmrk_ctx *ctx;
	gmrk_key *gkey;
	gmrk_sm4gcm *sm4;
	EVP_CIPHER_CTX *evp;
	gcry_cipher_hd_t gcry;
};

static void die(const char *what)
{
	fprintf(stderr, "gmrk-bench-host: %s\n", what);
	exit(1);
}

/* a fresh nonce from a counter, stored with the block */
static void next_nonce(struct run *r)
{
	r->ctr++;
	memcpy(r->nonce + 4, &r->ctr, 8);
	if (r->pnonce != r->nonce)
		memcpy(r->pnonce, r->nonce, 12);
}

static uint8_t *peer_tag(struct run *r)
{
	return r->apart ? r->tag : r->ct + r->len;
}

static void op_gmrk(struct run *r)
{
	size_t outlen;
	gmrk_error err;

	if (gmrk_seal(r->ctx, r->gkey, r->ctr++, r->aad, AD_LEN, r->in, r->len,
		      r->out, r->len + GMRK_OVERHEAD, &outlen, &err))
		die(err.message);
}

static void op_sm4(struct run *r)
{
	next_nonce(r);
	if (gmrk_sm4gcm_seal(r->sm4, r->pnonce, 12, r->aad, PEER_AAD_LEN, r->in,
			     r->len, r->ct, peer_tag(r), 16))
		die("gmrk_sm4gcm_seal failed");
}

static void op_ossl(struct run *r)
{
	int n;

	next_nonce(r);
	if (!EVP_EncryptInit_ex(r->evp, NULL, NULL, NULL, r->pnonce) ||
	    !EVP_EncryptUpdate(r->evp, NULL, &n, r->aad, PEER_AAD_LEN) ||
	    !EVP_EncryptUpdate(r->evp, r->ct, &n, r->in, (int)r->len) ||
	    !EVP_EncryptFinal_ex(r->evp, r->ct + n, &n) ||
	    !EVP_CIPHER_CTX_ctrl(r->evp, EVP_CTRL_AEAD_GET_TAG, 16, peer_tag(r)))
		die("OpenSSL EVP encrypt failed");
}

static void op_gcry(struct run *r)
{
	next_nonce(r);
	if (gcry_cipher_setiv(r->gcry, r->pnonce, 12) ||
	    gcry_cipher_authenticate(r->gcry, r->aad, PEER_AAD_LEN) ||
	    gcry_cipher_final(r->gcry) ||
	    gcry_cipher_encrypt(r->gcry, r->ct, r->len, r->in, r->len) ||
	    gcry_cipher_gettag(r->gcry, peer_tag(r), 16))
		die("libgcrypt encrypt failed");
}

static void (*const ops[W_N])(struct run *) = { op_gmrk, op_sm4, op_ossl, op_gcry };

static bool have(const struct cipher *ci, enum who w)
{
	if (w == W_SM4)
		return ci->gc == GMRK_CIPHER_SM4_GCM;
	if (w == W_OSSL)
		return ci->evp != NULL;
	return true;
}

static void setup(struct run *r, const struct cipher *ci, bool apart)
{
	struct gmrk_config cfg;
	gmrk_error err;
	uint8_t id[GMRK_KEY_ID_LEN] = "benchkey", aek[GMRK_KEY_LEN];
	size_t i;

	memset(r, 0, sizeof(*r));
	r->ci = ci;
	for (i = 0; i < sizeof(r->key); i++)
		r->key[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < sizeof(aek); i++)
		aek[i] = (uint8_t)(i * 13 + 5);
	memset(r->aad, 0xa5, sizeof(r->aad));
	/* page-aligned, as a storage engine's block buffers (O_DIRECT) */
	r->in = aligned_alloc(4096, MAX_SIZE + 4096);
	r->out = aligned_alloc(4096, MAX_SIZE + 4096 + GMRK_OVERHEAD);
	if (!r->in || !r->out)
		die("out of memory");
	r->apart = apart;
	r->pnonce = apart ? r->nonce : r->out + GMRK_HEADER_LEN - 12;
	r->ct = apart ? r->out : r->out + GMRK_HEADER_LEN;
	for (i = 0; i < MAX_SIZE; i++)
		r->in[i] = (uint8_t)(i * 31);

	gmrk_config_init(&cfg);
	cfg.cipher = ci->gc;
	cfg.backend = GMRK_BACKEND_SOFT;
	cfg.flags = GMRK_CFG_IGNORE_ENV | GMRK_CFG_NO_MASTER_KEY;
	r->ctx = gmrk_ctx_new(&cfg, &err);
	if (!r->ctx)
		die(err.message);
	r->gkey = gmrk_key_from_bytes(r->ctx, aek, sizeof(aek), id, 1, &err);
	if (!r->gkey)
		die(err.message);
	OPENSSL_cleanse(aek, sizeof(aek));

	if (ci->gc == GMRK_CIPHER_SM4_GCM) {
		r->sm4 = gmrk_sm4gcm_new(r->key);
		if (!r->sm4)
			die("gmrk_sm4gcm_new failed");
	}
	if (ci->evp) {
		r->evp = EVP_CIPHER_CTX_new();
		if (!r->evp || !EVP_EncryptInit_ex(r->evp, ci->evp(), NULL, r->key, NULL))
			die("OpenSSL EVP init failed");
	}
	if (gcry_cipher_open(&r->gcry, ci->gcry_algo, ci->gcry_mode, 0) ||
	    gcry_cipher_setkey(r->gcry, r->key, ci->keylen))
		die("libgcrypt init failed");
}

static void teardown(struct run *r)
{
	gmrk_key_free(r->gkey);
	gmrk_ctx_free(r->ctx);
	gmrk_sm4gcm_free(r->sm4);
	EVP_CIPHER_CTX_free(r->evp);
	gcry_cipher_close(r->gcry);
	free(r->in);
	free(r->out);
}

/*
 * Same nonce, AAD and message through every raw peer: same ciphertext and
 * tag. (libgmrk seals under its own derived key and random nonce, so it is
 * checked by opening its block again.)
 */
static void cross_check(struct run *r)
{
	/* an odd length: partial last block */
	static uint8_t ref[4093 + 16], got[4093 + 16];
	size_t outlen, olen;
	gmrk_error err;
	bool first = true;
	int w;

	r->len = 4093;
	for (w = W_SM4; w < W_N; w++) {
		if (!have(r->ci, w))
			continue;
		r->ctr = 41;
		ops[w](r);
		memcpy(got, r->ct, r->len);
		memcpy(got + r->len, peer_tag(r), 16);
		if (!first && memcmp(ref, got, r->len + 16))
			die("peers disagree: refusing to benchmark");
		memcpy(ref, got, r->len + 16);
		first = false;
	}
	if (gmrk_seal(r->ctx, r->gkey, 7, r->aad, AD_LEN, r->in, r->len, r->out,
		      r->len + GMRK_OVERHEAD, &outlen, &err) ||
	    gmrk_open(r->ctx, r->gkey, 7, r->aad, AD_LEN, r->out, outlen, got,
		      sizeof(got), &olen, NULL, &err))
		die(err.message);
	if (olen != r->len || memcmp(got, r->in, r->len))
		die("libgmrk does not give its own block back");
}

/*
 * After timing libgmrk: the last block it sealed opens to the input, so a
 * figure never comes from a path that skipped the work.
 */
static void check_last(struct run *r)
{
	uint8_t *back = malloc(r->len ? r->len : 1);
	gmrk_error err;
	size_t olen;

	if (!back)
		die("out of memory");
	if (gmrk_open(r->ctx, r->gkey, r->ctr - 1, r->aad, AD_LEN, r->out,
		      r->len + GMRK_OVERHEAD, back, r->len, &olen, NULL, &err))
		die(err.message);
	if (olen != r->len || memcmp(back, r->in, r->len))
		die("libgmrk's last block does not open to its input");
	free(back);
}

/* bench_warm()/bench_run() take a void (*)(void *); one trampoline per contender. */
static enum who cur_who;

static void op_cur(void *arg)
{
	ops[cur_who](arg);
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		/* many short runs: a quiet moment on a shared machine is more likely caught */
		.runs = 100, .min_s = 0.003,
		.sizes = { 64, 256, 4096, 65536, 1 << 20 }, .nsizes = 5,
		/* every contender computes on this thread */
		.clock = CLOCK_THREAD_CPUTIME_ID,
	};
	size_t ci, si;
	char when[64];
	int w;

	bench_parse(&o, argc, argv, MAX_SIZE, "gmrk-bench-host");
	if (!gcry_check_version(GCRYPT_VERSION))
		die("libgcrypt version mismatch");
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);

	printf("Host software AEAD, single thread, %s\n", bench_now_str(when, sizeof(when)));
	printf("libgmrk %s (backend soft, SM4-GCM path %s), %s, libgcrypt %s\n",
	       gmrk_version(), gmrk_sm4gcm_impl(), OpenSSL_version(OPENSSL_VERSION),
	       gcry_check_version(NULL));
	printf("MB/s (10^6 bytes/s), best of %d runs of >= %.0f ms of this thread's CPU time,\n"
	       "contenders taking turns; ratio = libgmrk / best peer\n", o.runs, o.min_s * 1000);
	printf("%s\n\n", o.peers_block ?
	       "raw peers: nonce, ciphertext, tag laid out as a libgmrk block (ciphertext at +40)" :
	       "raw peers: ciphertext at the start of the output, nonce and tag apart");
	printf("%-18s %8s", "cipher", "size");
	for (w = 0; w < W_N; w++)
		printf(" %10s", who_name[w]);
	printf(" %7s\n", "ratio");

	for (ci = 0; ci < sizeof(ciphers) / sizeof(ciphers[0]); ci++) {
		struct run r;

		if (o.cipher && strcmp(o.cipher, ciphers[ci].name))
			continue;
		setup(&r, &ciphers[ci], !o.peers_block);
		cross_check(&r);
		for (si = 0; si < o.nsizes; si++) {
			double best[W_N], peer = 0;
			unsigned long batch[W_N];
			char sz[32];
			int i, j;

			r.len = o.sizes[si];
			printf("%-18s %8s", ciphers[ci].name, bench_size_str(r.len, sz, sizeof(sz)));
			fflush(stdout);
			for (w = 0; w < W_N; w++) {
				best[w] = 1e30;
				if (!have(&ciphers[ci], w))
					continue;
				cur_who = w;
				batch[w] = bench_warm(&o, op_cur, &r);
			}
			/* round i starts with contender i: nobody always follows the same one */
			for (i = 0; i < o.runs; i++) {
				for (j = 0; j < W_N; j++) {
					double t;

					w = (i + j) % W_N;
					if (!have(&ciphers[ci], w))
						continue;
					cur_who = w;
					t = bench_run(&o, op_cur, &r, batch[w]);
					if (w == W_GMRK)
						check_last(&r);
					if (t < best[w])
						best[w] = t;
				}
			}
			for (w = 0; w < W_N; w++) {
				double mbs = r.len / best[w] / 1e6;

				if (!have(&ciphers[ci], w)) {
					printf(" %10s", "-");
					continue;
				}
				printf(" %10.1f", mbs);
				if ((w == W_OSSL || w == W_GCRY) && mbs > peer)
					peer = mbs;
			}
			printf(" %7.2f\n", r.len / best[W_GMRK] / 1e6 / peer);
		}
		teardown(&r);
	}
	return 0;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TPM-sealed master key through tpm2-tss ESAPI.
 *
 *   SRK    primary ECC P-256 storage key under the owner hierarchy, from
 *          the TCG SRK template; re-created from the same template every
 *          time (a primary key is a function of the hierarchy seed and
 *          the template), so nothing is made persistent in the TPM. With
 *          an srk_password it is the SRK's auth value and, hashed, the
 *          template's unique field, so another password means another SRK
 *          under which the sealed key does not load at all.
 *   policy PolicyPCR(sha256: pcr, its value when the key is created)
 *          AND PolicyAuthValue (encryption_password). PolicyAuthValue
 *          rather than PolicyPassword: the password goes into an HMAC,
 *          never over the bus in clear.
 *   object KEYEDHASH sealed data: the 32 random bytes, fixedTPM,
 *          fixedParent, no userWithAuth (only the policy opens it), under
 *          dictionary-attack protection (no noDA).
 *
 * Every session that carries a secret (the new key into TPM2_Create, the
 * key out of TPM2_Unseal, the SRK's HMAC) is salted with the SRK and
 * AES-128-CFB parameter-encrypted, so a bus sniffer sees neither.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/evp.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "keyio.h"
#include "tpm.h"
#include "tpm_file.h"

struct gmrk_tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	ESYS_TR srk;
	ESYS_TR hmac;		/* salted HMAC session authorizing the SRK */
	const char *path;
	int pcr;
};

static const TPMT_SYM_DEF gmrk_tpm_aes128cfb = {
	.algorithm = TPM2_ALG_AES,
	.keyBits = { .aes = 128 },
	.mode = { .aes = TPM2_ALG_CFB },
};

void gmrk_tpm_config_init(struct gmrk_tpm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cipher = "chachapoly";
}

void gmrk_tpm_key_clear(struct gmrk_tpm_key *k)
{
	if (k)
		gmrk_keys__memzero(k, sizeof(*k));
}

enum gmrk_cipher gmrk_tpm_cipher_from_name(const char *name)
{
	static const struct {
		const char *name;
		enum gmrk_cipher c;
	} names[] = {
		{ "chachapoly", GMRK_CIPHER_CHACHA20_POLY1305 },
		{ "chacha", GMRK_CIPHER_CHACHA20_POLY1305 },
		{ "chacha20-poly1305", GMRK_CIPHER_CHACHA20_POLY1305 },
		{ "aes", GMRK_CIPHER_AES_GCM },
		{ "aes-gcm", GMRK_CIPHER_AES_GCM },
		{ "aes-256-gcm", GMRK_CIPHER_AES_GCM },
		{ "sm4", GMRK_CIPHER_SM4_GCM },
		{ "sm4-gcm", GMRK_CIPHER_SM4_GCM },
	};
	size_t i;

	for (i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcasecmp(name, names[i].name))
			return names[i].c;
	return GMRK_CIPHER_NONE;
}

static const char *gmrk_tpm_cipher_canon(enum gmrk_cipher c)
{
	switch (c) {
	case GMRK_CIPHER_AES_GCM:
		return "aes-gcm";
	case GMRK_CIPHER_SM4_GCM:
		return "sm4-gcm";
	case GMRK_CIPHER_CHACHA20_POLY1305:
		return "chacha20-poly1305";
	default:
		return NULL;
	}
}

/* The TPM's response code without the handle/session/parameter number. */
static TSS2_RC gmrk_tpm_rc_base(TSS2_RC rc)
{
	if (rc & TSS2_RC_LAYER_MASK)
		return rc;
	if (rc & TPM2_RC_FMT1)
		return rc & (TPM2_RC_FMT1 | 0x3f);
	return rc & 0xfff;
}

/*
 * An auth value from a password: its bytes when they fit the SHA-256 name
 * algorithm's 32, else SHA-256 of them; trailing zero bytes are dropped
 * the way the TPM drops them, so both sides agree.
 */
static void gmrk_tpm_auth(const char *pw, TPM2B_AUTH *a)
{
	size_t n = pw ? strlen(pw) : 0;
	unsigned int dl = 0;

	memset(a, 0, sizeof(*a));
	if (!n) {
		return;
	} else if (n <= 32) {
		memcpy(a->buffer, pw, n);
		a->size = (UINT16)n;
	} else if (EVP_Digest(pw, n, a->buffer, &dl, EVP_sha256(), NULL) == 1) {
		a->size = (UINT16)dl;
	}
	while (a->size && !a->buffer[a->size - 1])
		a->size--;
}

/*
 * Returned (never to the caller) when the TPM is out of object or session
 * slots or asks to retry: without a resource manager (/dev/tpmrm0,
 * tabrmd) processes share the TPM's few slots, and another process's
 * objects go away when it is done, so the whole operation is retried.
 */
#define GMRK_TPM_BUSY	(GMRK_E_MAX + 1)
#define GMRK_TPM_TRIES	30

static bool gmrk_tpm_busy(TSS2_RC base)
{
	switch (base) {
	case TPM2_RC_CONTEXT_GAP:
	case TPM2_RC_OBJECT_MEMORY:
	case TPM2_RC_SESSION_MEMORY:
	case TPM2_RC_MEMORY:
	case TPM2_RC_SESSION_HANDLES:
	case TPM2_RC_OBJECT_HANDLES:
	case TPM2_RC_YIELDED:
	case TPM2_RC_TESTING:
	case TPM2_RC_RETRY:
		return true;
	default:
		return false;
	}
}

static int gmrk_tpm_fail(gmrk_error *err, const char *what, TSS2_RC rc)
{
	int ret = gmrk_keys__err(err, GMRK_E_UNSUPPORTED, "tpm: %s failed: %s", what,
				 Tss2_RC_Decode(rc));

	return gmrk_tpm_busy(gmrk_tpm_rc_base(rc)) ? -GMRK_TPM_BUSY : ret;
}

/* 10 to 100 ms, random, so processes that collided do not collide again */
static void gmrk_tpm_backoff(void)
{
	uint8_t r = 0;
	struct timespec ts;

	if (getrandom(&r, 1, 0) != 1)
		r = 128;
	ts.tv_sec = 0;
	ts.tv_nsec = (10 + (long)r * 90 / 255) * 1000000L;
	nanosleep(&ts, NULL);
}

static void gmrk_tpm_close(struct gmrk_tpm *t)
{
	if (t->esys) {
		if (t->hmac != ESYS_TR_NONE)
			Esys_FlushContext(t->esys, t->hmac);
		if (t->srk != ESYS_TR_NONE)
			Esys_FlushContext(t->esys, t->srk);
		Esys_Finalize(&t->esys);
	}
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
}

static int gmrk_tpm_srk(struct gmrk_tpm *t, const char *srk_password,
			gmrk_error *err)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl = {
		.publicArea = {
			.type = TPM2_ALG_ECC,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
				TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED |
				TPMA_OBJECT_DECRYPT,
			.parameters.eccDetail = {
				.symmetric = {
					.algorithm = TPM2_ALG_AES,
					.keyBits = { .aes = 128 },
					.mode = { .aes = TPM2_ALG_CFB },
				},
				.scheme = { .scheme = TPM2_ALG_NULL },
				.curveID = TPM2_ECC_NIST_P256,
				.kdf = { .scheme = TPM2_ALG_NULL },
			},
			.unique.ecc = { .x = { .size = 32 }, .y = { .size = 32 } },
		},
	};
	TPM2B_DATA outside = { .size = 0 };
	TPML_PCR_SELECTION none = { .count = 0 };
	TSS2_RC rc;

	memset(&sens, 0, sizeof(sens));
	gmrk_tpm_auth(srk_password, &sens.sensitive.userAuth);
	if (srk_password && *srk_password) {
		static const char label[] = "gmrk-srk-v1";	/* hashed with its NUL */
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		unsigned int n = 0;
		int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
			 EVP_DigestUpdate(md, label, sizeof(label)) == 1 &&
			 EVP_DigestUpdate(md, srk_password, strlen(srk_password)) == 1 &&
			 EVP_DigestFinal_ex(md, tmpl.publicArea.unique.ecc.x.buffer, &n) == 1;

		EVP_MD_CTX_free(md);
		if (!ok) {
			gmrk_keys__memzero(&sens, sizeof(sens));
			return gmrk_keys__err(err, GMRK_E_UNSUPPORTED, "tpm: SHA-256 unavailable");
		}
	}
	rc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
				ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl, &outside,
				&none, &t->srk, NULL, NULL, NULL, NULL);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_TR_SetAuth(t->esys, t->srk, &sens.sensitive.userAuth);
	gmrk_keys__memzero(&sens, sizeof(sens));
	tmpl.publicArea.unique.ecc.x.size = 0;
	if (rc != TSS2_RC_SUCCESS) {
		t->srk = ESYS_TR_NONE;
		if (gmrk_tpm_rc_base(rc) == TPM2_RC_BAD_AUTH ||
		    gmrk_tpm_rc_base(rc) == TPM2_RC_AUTH_FAIL)
			return gmrk_keys__err(err, GMRK_E_PERM,
					      "tpm: cannot create the SRK: the owner hierarchy has a password");
		return gmrk_tpm_fail(err, "creating the SRK", rc);
	}
	rc = Esys_StartAuthSession(t->esys, t->srk, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, ESYS_TR_NONE, NULL, TPM2_SE_HMAC,
				   &gmrk_tpm_aes128cfb, TPM2_ALG_SHA256, &t->hmac);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_TRSess_SetAttributes(t->esys, t->hmac,
					       TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT |
					       TPMA_SESSION_CONTINUESESSION, 0xff);
	if (rc != TSS2_RC_SUCCESS) {
		t->hmac = ESYS_TR_NONE;
		return gmrk_tpm_fail(err, "starting a salted session", rc);
	}
	return 0;
}

static int gmrk_tpm_open(struct gmrk_tpm *t, const struct gmrk_tpm_config *cfg,
			 gmrk_error *err)
{
	TSS2_RC rc;

	memset(t, 0, sizeof(*t));
	t->srk = ESYS_TR_NONE;
	t->hmac = ESYS_TR_NONE;
	t->path = cfg->keys_file;
	rc = Tss2_TctiLdr_Initialize(cfg->tcti, &t->tcti);
	if (rc != TSS2_RC_SUCCESS) {
		t->tcti = NULL;
		return gmrk_keys__err(err, GMRK_E_UNSUPPORTED,
				      "tpm: no TPM reachable (tcti '%s'): %s",
				      cfg->tcti ? cfg->tcti : "default", Tss2_RC_Decode(rc));
	}
	rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		t->esys = NULL;
		gmrk_tpm_close(t);
		return gmrk_tpm_fail(err, "connecting to the TPM", rc);
	}
	rc = gmrk_tpm_srk(t, cfg->srk_password, err);
	if (rc)
		gmrk_tpm_close(t);
	return rc;
}

/* PolicyPCR(sha256: pcr, current value) then PolicyAuthValue on @sess */
static TSS2_RC gmrk_tpm_policy(struct gmrk_tpm *t, ESYS_TR sess, int pcr)
{
	TPML_PCR_SELECTION sel = {
		.count = 1,
		.pcrSelections[0] = { .hash = TPM2_ALG_SHA256, .sizeofSelect = 3 },
	};
	TPM2B_DIGEST current = { .size = 0 };	/* empty: the TPM's current value */
	TSS2_RC rc;

	sel.pcrSelections[0].pcrSelect[pcr / 8] = (BYTE)(1u << (pcr % 8));
	rc = Esys_PolicyPCR(t->esys, sess, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
			    &current, &sel);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_PolicyAuthValue(t->esys, sess, ESYS_TR_NONE, ESYS_TR_NONE,
					  ESYS_TR_NONE);
	return rc;
}

static int gmrk_tpm_unseal(struct gmrk_tpm *t, const struct gmrk_tpm_file *f,
			   const char *password, uint8_t key[GMRK_TPM_KEY_LEN],
			   gmrk_error *err)
{
	TPM2B_SENSITIVE_DATA *out = NULL;
	ESYS_TR obj = ESYS_TR_NONE, pol = ESYS_TR_NONE;
	TPM2B_AUTH auth;
	TSS2_RC rc, base;
	int ret = 0;

	rc = Esys_Load(t->esys, t->srk, t->hmac, ESYS_TR_NONE, ESYS_TR_NONE,
		       &f->priv, &f->pub, &obj);
	if (rc != TSS2_RC_SUCCESS && gmrk_tpm_busy(gmrk_tpm_rc_base(rc))) {
		obj = ESYS_TR_NONE;
		ret = gmrk_tpm_fail(err, "loading the sealed key", rc);
		goto out;
	}
	if (rc != TSS2_RC_SUCCESS) {
		obj = ESYS_TR_NONE;
		ret = gmrk_keys__err(err, GMRK_E_WRONG_KEY,
				     "tpm: keys_file '%s': the TPM refuses the sealed key (%s): sealed by another TPM or under another srk_password",
				     t->path, Tss2_RC_Decode(rc));
		goto out;
	}
	gmrk_tpm_auth(password, &auth);
	rc = Esys_TR_SetAuth(t->esys, obj, &auth);
	gmrk_keys__memzero(&auth, sizeof(auth));
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_StartAuthSession(t->esys, t->srk, ESYS_TR_NONE, ESYS_TR_NONE,
					   ESYS_TR_NONE, ESYS_TR_NONE, NULL, TPM2_SE_POLICY,
					   &gmrk_tpm_aes128cfb, TPM2_ALG_SHA256, &pol);
	if (rc != TSS2_RC_SUCCESS) {
		pol = ESYS_TR_NONE;
		ret = gmrk_tpm_fail(err, "starting a policy session", rc);
		goto out;
	}
	rc = Esys_TRSess_SetAttributes(t->esys, pol, TPMA_SESSION_ENCRYPT |
				       TPMA_SESSION_CONTINUESESSION, 0xff);
	if (rc == TSS2_RC_SUCCESS)
		rc = gmrk_tpm_policy(t, pol, f->pcr);
	if (rc != TSS2_RC_SUCCESS) {
		ret = gmrk_tpm_fail(err, "building the PCR and password policy", rc);
		goto out;
	}
	rc = Esys_Unseal(t->esys, obj, pol, ESYS_TR_NONE, ESYS_TR_NONE, &out);
	base = gmrk_tpm_rc_base(rc);
	if (base == TPM2_RC_POLICY_FAIL)
		ret = gmrk_keys__err(err, GMRK_E_WRONG_KEY,
				     "tpm: policy check failed: PCR %d changed since the key was sealed",
				     f->pcr);
	else if (base == TPM2_RC_AUTH_FAIL || base == TPM2_RC_BAD_AUTH)
		ret = gmrk_keys__err(err, GMRK_E_WRONG_KEY, "tpm: wrong encryption_password");
	else if (base == TPM2_RC_LOCKOUT)
		ret = gmrk_keys__err(err, GMRK_E_WRONG_KEY,
				     "tpm: the TPM is in dictionary-attack lockout after wrong passwords; wait for it to recover or reset it with the lockout authorization");
	else if (rc != TSS2_RC_SUCCESS)
		ret = gmrk_tpm_fail(err, "unsealing the key", rc);
	else if (!out || out->size != GMRK_TPM_KEY_LEN)
		ret = gmrk_keys__err(err, GMRK_E_CORRUPT,
				     "tpm: keys_file '%s': the sealed key is not %d bytes",
				     t->path, GMRK_TPM_KEY_LEN);
	else
		memcpy(key, out->buffer, GMRK_TPM_KEY_LEN);
out:
	if (out) {
		gmrk_keys__memzero(out, sizeof(*out));
		Esys_Free(out);
	}
	if (pol != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, pol);
	if (obj != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, obj);
	return ret;
}

/* the policy digest of gmrk_tpm_policy, from a trial session */
static int gmrk_tpm_policy_digest(struct gmrk_tpm *t, int pcr, TPM2B_DIGEST *d,
				  gmrk_error *err)
{
	static const TPMT_SYM_DEF none = { .algorithm = TPM2_ALG_NULL };
	TPM2B_DIGEST *got = NULL;
	ESYS_TR trial = ESYS_TR_NONE;
	TSS2_RC rc;

	rc = Esys_StartAuthSession(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, ESYS_TR_NONE, NULL, TPM2_SE_TRIAL,
				   &none, TPM2_ALG_SHA256, &trial);
	if (rc != TSS2_RC_SUCCESS)
		return gmrk_tpm_fail(err, "starting a trial session", rc);
	rc = gmrk_tpm_policy(t, trial, pcr);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_PolicyGetDigest(t->esys, trial, ESYS_TR_NONE, ESYS_TR_NONE,
					  ESYS_TR_NONE, &got);
	Esys_FlushContext(t->esys, trial);
	if (rc != TSS2_RC_SUCCESS)
		return gmrk_tpm_fail(err, "computing the PCR and password policy", rc);
	*d = *got;
	Esys_Free(got);
	return 0;
}

static int gmrk_tpm_create(struct gmrk_tpm *t, const struct gmrk_tpm_config *cfg,
			   int pcr, enum gmrk_cipher cipher, struct gmrk_tpm_key *k,
			   gmrk_error *err)
{
	uint8_t buf[GMRK_TPM_FILE_MAX];
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl = {
		.publicArea = {
			.type = TPM2_ALG_KEYEDHASH,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT,
			.parameters.keyedHashDetail.scheme = { .scheme = TPM2_ALG_NULL },
			.unique.keyedHash = { .size = 0 },
		},
	};
	TPM2B_DATA outside = { .size = 0 };
	TPML_PCR_SELECTION none = { .count = 0 };
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	struct gmrk_tpm_file f;
	uint8_t check[GMRK_TPM_KEY_LEN];
	size_t len;
	TSS2_RC rc;
	int ret;

	memset(&sens, 0, sizeof(sens));
	memset(&f, 0, sizeof(f));
	ret = gmrk_tpm_policy_digest(t, pcr, &tmpl.publicArea.authPolicy, err);
	if (ret)
		return ret;
	gmrk_tpm_auth(cfg->encryption_password, &sens.sensitive.userAuth);
	sens.sensitive.data.size = GMRK_TPM_KEY_LEN;
	if (getrandom(sens.sensitive.data.buffer, GMRK_TPM_KEY_LEN, 0) != GMRK_TPM_KEY_LEN) {
		ret = gmrk_keys__err_sys(err, errno, "tpm: getrandom");
		goto out;
	}
	rc = Esys_Create(t->esys, t->srk, t->hmac, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
			 &tmpl, &outside, &none, &priv, &pub, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		ret = gmrk_tpm_fail(err, "sealing a new key", rc);
		goto out;
	}
	f.pcr = pcr;
	f.bank = TPM2_ALG_SHA256;
	snprintf(f.cipher, sizeof(f.cipher), "%s", gmrk_tpm_cipher_canon(cipher));
	f.pub = *pub;
	f.priv = *priv;
	/* never store a key that cannot be unsealed: try it first */
	ret = gmrk_tpm_unseal(t, &f, cfg->encryption_password, check, err);
	if (!ret && memcmp(check, sens.sensitive.data.buffer, GMRK_TPM_KEY_LEN))
		ret = gmrk_keys__err(err, GMRK_E_UNSUPPORTED,
				     "tpm: the TPM unsealed another key than it sealed");
	gmrk_keys__memzero(check, sizeof(check));
	if (ret)
		goto out;
	len = gmrk_tpm__file_encode(&f, buf, sizeof(buf));
	if (!len) {
		ret = gmrk_keys__err(err, GMRK_E_UNSUPPORTED, "tpm: cannot encode keys_file");
		goto out;
	}
	ret = gmrk_keys__write_new(cfg->keys_file, buf, len, "tpm: keys_file", err);
	if (ret)
		goto out;
	memcpy(k->key, sens.sensitive.data.buffer, GMRK_TPM_KEY_LEN);
	k->created = 1;
	k->pcr = pcr;
	k->sealed_cipher = cipher;
out:
	gmrk_keys__memzero(&sens, sizeof(sens));
	Esys_Free(priv);
	Esys_Free(pub);
	return ret;
}

/* keys_file into @f: 0, -GMRK_E_NOENT, or a precise error */
static int gmrk_tpm_read(const char *path, struct gmrk_tpm_file *f, gmrk_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	rc = gmrk_keys__read_file(path, GMRK_TPM_FILE_MAX, "tpm: keys_file", &buf, &len, err);
	if (rc)
		return rc;
	rc = gmrk_tpm__file_parse(buf, len, path, f, err);
	gmrk_keys__memzero(buf, len);
	free(buf);
	return rc;
}

/* one try at load_or_create: -GMRK_TPM_BUSY when it should be retried */
static int gmrk_tpm_attempt(const struct gmrk_tpm_config *cfg, int pcr,
			    enum gmrk_cipher want, struct gmrk_tpm_key *k,
			    gmrk_error *err)
{
	struct gmrk_tpm_file f;
	struct gmrk_tpm t;
	int rc, orc;

	/* a damaged keys_file is reported without touching the TPM */
	rc = gmrk_tpm_read(cfg->keys_file, &f, err);
	if (rc && rc != -GMRK_E_NOENT)
		return rc;
	if (!rc && cfg->pcr && cfg->pcr != f.pcr)
		return gmrk_keys__err(err, GMRK_E_INVAL,
				      "tpm: keys_file '%s' is sealed to PCR %d, but pcr is %d",
				      cfg->keys_file, f.pcr, cfg->pcr);
	if (rc == -GMRK_E_NOENT)
		gmrk_keys__err_clear(err);
	orc = gmrk_tpm_open(&t, cfg, err);
	if (orc)
		return orc;
	if (rc == -GMRK_E_NOENT) {
		rc = gmrk_tpm_create(&t, cfg, pcr, want ? want : GMRK_CIPHER_CHACHA20_POLY1305,
				     k, err);
		/* another process created it between our look and our link(): use theirs */
		if (rc == -GMRK_E_EXISTS)
			rc = gmrk_tpm_read(cfg->keys_file, &f, err);
		else if (!rc)
			goto out;
	}
	if (!rc)
		rc = gmrk_tpm_unseal(&t, &f, cfg->encryption_password, k->key, err);
	if (!rc) {
		k->pcr = f.pcr;
		k->sealed_cipher = gmrk_tpm_cipher_from_name(f.cipher);
	}
out:
	gmrk_tpm_close(&t);
	return rc;
}

int gmrk_tpm_load_or_create(const struct gmrk_tpm_config *cfg,
			    struct gmrk_tpm_key *k, gmrk_error *err)
{
	enum gmrk_cipher want = GMRK_CIPHER_NONE;
	int pcr, rc, tries;

	gmrk_keys__err_clear(err);
	if (!k)
		return gmrk_keys__err(err, GMRK_E_INVAL, "tpm: no output");
	memset(k, 0, sizeof(*k));
	if (!cfg || !cfg->keys_file || !*cfg->keys_file)
		return gmrk_keys__err(err, GMRK_E_INVAL, "tpm: keys_file is required");
	if (!cfg->encryption_password || !*cfg->encryption_password)
		return gmrk_keys__err(err, GMRK_E_INVAL, "tpm: encryption_password is required");
	pcr = cfg->pcr ? cfg->pcr : GMRK_TPM_PCR_DEFAULT;
	if (pcr < GMRK_TPM_PCR_MIN || pcr > GMRK_TPM_PCR_MAX)
		return gmrk_keys__err(err, GMRK_E_INVAL,
				      "tpm: pcr must be %d to %d (0 to 16 are reserved), not %d",
				      GMRK_TPM_PCR_MIN, GMRK_TPM_PCR_MAX, cfg->pcr);
	if (cfg->cipher && *cfg->cipher) {
		want = gmrk_tpm_cipher_from_name(cfg->cipher);
		if (want == GMRK_CIPHER_NONE)
			return gmrk_keys__err(err, GMRK_E_INVAL,
					      "tpm: unknown cipher '%s' (chachapoly, aes or sm4)",
					      cfg->cipher);
	}
	for (tries = 1;; tries++) {
		rc = gmrk_tpm_attempt(cfg, pcr, want, k, err);
		if (rc != -GMRK_TPM_BUSY)
			break;
		if (tries == GMRK_TPM_TRIES) {
			rc = -GMRK_E_UNSUPPORTED;	/* err says why */
			break;
		}
		gmrk_tpm_backoff();
	}
	if (rc) {
		gmrk_keys__memzero(k, sizeof(*k));
		return rc;
	}
	k->cipher = want ? want : k->sealed_cipher;
	return 0;
}

/*
 * sign.c — ECDSA P-256 / SHA-256 keys, CSRs, signatures, on mbedTLS 2.28.
 *
 * Why here: DESIGN.md "TLS and keys" puts all of the gateway's own
 * cryptography in one module, so mbedTLS types and return codes never leak:
 * every mbedTLS `ret` is translated by from_mbedtls() into a GFI_E_* code.
 *
 * Invariants:
 *  - Every function follows programs/pkey/pk_sign.c: all contexts are
 *    initialised first, `ret` starts as a failure so a forgotten path fails
 *    closed, and one `cleanup:` label frees everything.
 *  - Buffers that held private key material are zeroized before they are
 *    freed or go out of scope (mbedtls_platform_zeroize).
 *  - Only P-256 EC keys are accepted, for signing and for verifying.
 *  - A key file is created 0600 with O_EXCL under a temporary name, fsynced,
 *    then linked (or renamed, with GFI_SIGN_FORCE) into place: a crash leaves
 *    either no key or a whole key, and never a key readable by others.
 *  - A private key file that group or others may access (any of the mode
 *    bits 077) is refused when loaded, as OpenSSH and PostgreSQL refuse
 *    one: a key others could read may already be someone else's.
 */
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <mbedtls/asn1.h>
#include <mbedtls/base64.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/x509_csr.h>

#include "error.h"
#include "jsonutil.h"

#define KEY_FILE_MAX 16384  /* a P-256 PEM key is ~250 bytes */
#define PEM_BUF 4096        /* key, CSR and public-key PEM output */
#define DRBG_PERS "gfi-sign"

struct gfi_signer {
	mbedtls_pk_context pk;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg; /* points at entropy: same allocation */
};

struct gfi_verifier {
	mbedtls_pk_context pk;
};

/* mbedTLS codes are a high-level part (bits 7..15) plus a low-level part
 * (bits 0..6) added together; either may say "out of memory". */
static int from_mbedtls(int ret)
{
	int high = -((-ret) & 0xFF80);
	int low = -((-ret) & 0x007F);

	if (ret == 0)
		return GFI_OK;
	if (high == MBEDTLS_ERR_PK_ALLOC_FAILED ||
	    high == MBEDTLS_ERR_X509_ALLOC_FAILED ||
	    high == MBEDTLS_ERR_PEM_ALLOC_FAILED ||
	    high == MBEDTLS_ERR_ECP_ALLOC_FAILED ||
	    low == MBEDTLS_ERR_MPI_ALLOC_FAILED ||
	    low == MBEDTLS_ERR_ASN1_ALLOC_FAILED)
		return GFI_E_NOMEM;
	if (high == MBEDTLS_ERR_PK_FILE_IO_ERROR ||
	    high == MBEDTLS_ERR_X509_FILE_IO_ERROR)
		return GFI_E_IO;
	if (low == MBEDTLS_ERR_ASN1_BUF_TOO_SMALL ||
	    low == MBEDTLS_ERR_BASE64_BUFFER_TOO_SMALL ||
	    high == MBEDTLS_ERR_ECP_BUFFER_TOO_SMALL)
		return GFI_E_FULL;
	return GFI_E_CRYPTO;
}

/* "<what>: <why>: <mbedTLS text>" into err. */
static void mbed_err(char *err, size_t errlen, const char *what,
		     const char *why, int ret)
{
	char text[160];

	if (err == NULL || errlen == 0)
		return;
	mbedtls_strerror(ret, text, sizeof(text));
	snprintf(err, errlen, "%s: %s: %s", what, why, text);
}

static void set_err(char *err, size_t errlen, const char *what,
		    const char *why)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", what, why);
}

static int seed_drbg(mbedtls_ctr_drbg_context *drbg,
		     mbedtls_entropy_context *entropy)
{
	return mbedtls_ctr_drbg_seed(drbg, mbedtls_entropy_func, entropy,
				     (const unsigned char *)DRBG_PERS,
				     sizeof(DRBG_PERS) - 1);
}

static int is_p256(mbedtls_pk_context *pk)
{
	return mbedtls_pk_get_type(pk) == MBEDTLS_PK_ECKEY &&
	       mbedtls_pk_ec(*pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1;
}

/* Refuse mode (of the key file at path) if group or others have any bit. */
static int mode_private(mode_t mode, const char *path, char *err, size_t errlen)
{
	char why[128];

	if ((mode & 077) == 0)
		return GFI_OK;
	snprintf(why, sizeof(why), "open to group or others (mode %04o): "
		 "a private key must be 0600 or stricter (chmod 600)",
		 (unsigned)(mode & 07777));
	set_err(err, errlen, path, why);
	return GFI_E_CRYPTO;
}

int gfi_key_file_private(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		set_err(err, errlen, path, strerror(errno));
		return GFI_E_IO;
	}
	return mode_private(st.st_mode, path, err, errlen);
}

/* Read the private key file at path into pk; must be P-256 and private to
 * its owner (checked on the open file). The file's bytes are zeroized
 * whatever happens. */
static int load_key(mbedtls_pk_context *pk, const char *path, char *err,
		    size_t errlen)
{
	unsigned char *buf = NULL;
	size_t n = 0;
	FILE *f = NULL;
	struct stat st;
	int mret;
	int ret = GFI_E_IO;

	f = fopen(path, "rb");
	if (f == NULL) {
		set_err(err, errlen, path, strerror(errno));
		goto cleanup;
	}
	if (fstat(fileno(f), &st) != 0) {
		set_err(err, errlen, path, strerror(errno));
		goto cleanup;
	}
	if ((ret = mode_private(st.st_mode, path, err, errlen)) != GFI_OK)
		goto cleanup;
	ret = GFI_E_IO;
	buf = malloc(KEY_FILE_MAX + 1);
	if (buf == NULL) {
		ret = GFI_E_NOMEM;
		set_err(err, errlen, path, "out of memory");
		goto cleanup;
	}
	n = fread(buf, 1, KEY_FILE_MAX + 1, f);
	if (ferror(f)) {
		set_err(err, errlen, path, "read failed");
		goto cleanup;
	}
	if (n > KEY_FILE_MAX) {
		ret = GFI_E_CRYPTO;
		set_err(err, errlen, path, "too large for a key file");
		goto cleanup;
	}
	buf[n] = '\0';
	/* PEM input must count its terminating NUL (pk.h). */
	mret = mbedtls_pk_parse_key(pk, buf, n + 1, NULL, 0);
	if (mret != 0) {
		ret = from_mbedtls(mret);
		if (ret == GFI_E_IO)
			ret = GFI_E_CRYPTO;
		mbed_err(err, errlen, path, "cannot parse private key", mret);
		goto cleanup;
	}
	if (!is_p256(pk)) {
		ret = GFI_E_CRYPTO;
		set_err(err, errlen, path, "not an EC P-256 key");
		goto cleanup;
	}
	ret = GFI_OK;
cleanup:
	if (buf != NULL) {
		mbedtls_platform_zeroize(buf, KEY_FILE_MAX + 1);
		free(buf);
	}
	if (f != NULL)
		fclose(f);
	return ret;
}

/* fsync the directory holding path, so a rename or link survives power
 * loss. */
static int sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;
	int ret = GFI_OK;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return GFI_E_IO;
	if (fsync(fd) != 0 && errno != EINVAL)
		ret = GFI_E_IO;
	close(fd);
	return ret;
}

/* Write data to path with mode: a temp file created O_EXCL with mode,
 * fsynced, then linked into place (refusing an existing path) or renamed
 * over it when replace is set. */
static int write_atomic(const char *path, const void *data, size_t len,
			mode_t mode, int replace, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	const unsigned char *p = data;
	size_t done = 0;
	int fd = -1;
	int tmp_made = 0;
	int ret = GFI_E_IO;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path,
			     (long)getpid()) >= sizeof(tmp)) {
		ret = GFI_E_INVAL;
		set_err(err, errlen, path, "path too long");
		goto cleanup;
	}
	if (!replace && access(path, F_OK) == 0) {
		ret = GFI_E_EXISTS;
		set_err(err, errlen, path, "already exists");
		goto cleanup;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0 && errno == EEXIST) {
		/* Left by a crashed run with our pid; O_EXCL never follows a
		 * symlink there, and unlink removes the link, not its target. */
		unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	}
	if (fd < 0) {
		set_err(err, errlen, tmp, strerror(errno));
		goto cleanup;
	}
	tmp_made = 1;
	/* The umask may only have removed bits; make the mode exact. */
	if (fchmod(fd, mode) != 0) {
		set_err(err, errlen, tmp, strerror(errno));
		goto cleanup;
	}
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			set_err(err, errlen, tmp, strerror(errno));
			goto cleanup;
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0) {
		set_err(err, errlen, tmp, strerror(errno));
		goto cleanup;
	}
	if (close(fd) != 0) {
		fd = -1;
		set_err(err, errlen, tmp, strerror(errno));
		goto cleanup;
	}
	fd = -1;
	if (replace) {
		if (rename(tmp, path) != 0) {
			set_err(err, errlen, path, strerror(errno));
			goto cleanup;
		}
		tmp_made = 0;
	} else if (link(tmp, path) != 0) {
		if (errno == EEXIST) {
			ret = GFI_E_EXISTS;
			set_err(err, errlen, path, "already exists");
			goto cleanup;
		}
		/* A file system without hard links: the access() check above
		 * is the best we can do there. */
		if (rename(tmp, path) != 0) {
			set_err(err, errlen, path, strerror(errno));
			goto cleanup;
		}
		tmp_made = 0;
	}
	if (sync_dir(path) != GFI_OK) {
		set_err(err, errlen, path, "cannot fsync its directory");
		goto cleanup;
	}
	ret = GFI_OK;
cleanup:
	if (fd >= 0)
		close(fd);
	if (tmp_made)
		unlink(tmp);
	return ret;
}

int gfi_sign_keygen(const char *path, int flags, char *err, size_t errlen)
{
	mbedtls_pk_context pk;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	unsigned char pem[PEM_BUF];
	int mret;
	int ret = GFI_E_CRYPTO;

	mbedtls_pk_init(&pk);
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	memset(pem, 0, sizeof(pem));

	if (!(flags & GFI_SIGN_FORCE) && access(path, F_OK) == 0) {
		ret = GFI_E_EXISTS;
		set_err(err, errlen, path, "already exists");
		goto cleanup;
	}
	mret = seed_drbg(&drbg, &entropy);
	if (mret != 0) {
		ret = from_mbedtls(mret);
		mbed_err(err, errlen, path, "cannot seed random generator", mret);
		goto cleanup;
	}
	mret = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
	if (mret == 0)
		mret = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1,
					   mbedtls_pk_ec(pk),
					   mbedtls_ctr_drbg_random, &drbg);
	if (mret != 0) {
		ret = from_mbedtls(mret);
		mbed_err(err, errlen, path, "key generation failed", mret);
		goto cleanup;
	}
	mret = mbedtls_pk_write_key_pem(&pk, pem, sizeof(pem));
	if (mret != 0) {
		ret = from_mbedtls(mret);
		mbed_err(err, errlen, path, "cannot encode key", mret);
		goto cleanup;
	}
	ret = write_atomic(path, pem, strlen((const char *)pem), 0600,
			   flags & GFI_SIGN_FORCE, err, errlen);
cleanup:
	mbedtls_platform_zeroize(pem, sizeof(pem));
	mbedtls_pk_free(&pk);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	return ret;
}

int gfi_sign_csr(const char *key_path, const char *cn, const char *out_path,
		 char *err, size_t errlen)
{
	mbedtls_pk_context pk;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509write_csr csr;
	unsigned char pem[PEM_BUF];
	char subject[8 + 32];
	int mret;
	int ret = GFI_E_CRYPTO;

	mbedtls_pk_init(&pk);
	mbedtls_entropy_init(&entropy);
	mbedtls_ctr_drbg_init(&drbg);
	mbedtls_x509write_csr_init(&csr);

	/* Only [A-Za-z0-9._-]: nothing mbedTLS would read as a separator or
	 * escape in a subject name string. */
	if (!gfi_id_valid(cn)) {
		ret = GFI_E_INVAL;
		set_err(err, errlen, "cn",
			"gateway id must be 1..31 of [A-Za-z0-9._-]");
		goto cleanup;
	}
	snprintf(subject, sizeof(subject), "CN=%s", cn);
	ret = load_key(&pk, key_path, err, errlen);
	if (ret != GFI_OK)
		goto cleanup;
	ret = GFI_E_CRYPTO;
	mret = seed_drbg(&drbg, &entropy);
	if (mret != 0) {
		ret = from_mbedtls(mret);
		mbed_err(err, errlen, out_path, "cannot seed random generator", mret);
		goto cleanup;
	}
	mbedtls_x509write_csr_set_md_alg(&csr, MBEDTLS_MD_SHA256);
	mbedtls_x509write_csr_set_key(&csr, &pk);
	mret = mbedtls_x509write_csr_set_subject_name(&csr, subject);
	if (mret == 0)
		mret = mbedtls_x509write_csr_pem(&csr, pem, sizeof(pem),
						 mbedtls_ctr_drbg_random, &drbg);
	if (mret != 0) {
		ret = from_mbedtls(mret);
		mbed_err(err, errlen, out_path, "cannot write CSR", mret);
		goto cleanup;
	}
	ret = write_atomic(out_path, pem, strlen((const char *)pem), 0644, 1,
			   err, errlen);
cleanup:
	mbedtls_x509write_csr_free(&csr);
	mbedtls_pk_free(&pk);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&entropy);
	return ret;
}

void gfi_signer_close(struct gfi_signer *s)
{
	if (s == NULL)
		return;
	mbedtls_pk_free(&s->pk);
	mbedtls_ctr_drbg_free(&s->drbg);
	mbedtls_entropy_free(&s->entropy);
	mbedtls_platform_zeroize(s, sizeof(*s));
	free(s);
}

int gfi_signer_open(const char *key_path, struct gfi_signer **out,
		    char *err, size_t errlen)
{
	struct gfi_signer *s = NULL;
	int mret;
	int ret = GFI_E_NOMEM;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		set_err(err, errlen, key_path, "out of memory");
		return ret;
	}
	mbedtls_pk_init(&s->pk);
	mbedtls_entropy_init(&s->entropy);
	mbedtls_ctr_drbg_init(&s->drbg);

	ret = load_key(&s->pk, key_path, err, errlen);
	if (ret != GFI_OK)
		goto cleanup;
	ret = GFI_E_CRYPTO;
	mret = seed_drbg(&s->drbg, &s->entropy);
	if (mret != 0) {
		ret = from_mbedtls(mret);
		mbed_err(err, errlen, key_path, "cannot seed random generator", mret);
		goto cleanup;
	}
	*out = s;
	s = NULL;
	ret = GFI_OK;
cleanup:
	gfi_signer_close(s);
	return ret;
}

int gfi_sign(struct gfi_signer *s, const void *data, size_t len,
	     uint8_t *sig, size_t sig_cap, size_t *sig_len)
{
	uint8_t hash[GFI_SHA256_LEN];

	gfi_sha256(data, len, hash);
	return gfi_sign_digest(s, hash, sig, sig_cap, sig_len);
}

int gfi_sign_digest(struct gfi_signer *s, const uint8_t hash[GFI_SHA256_LEN],
		    uint8_t *sig, size_t sig_cap, size_t *sig_len)
{
	unsigned char out[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t n = 0;
	int mret;
	int ret = GFI_E_CRYPTO;

	*sig_len = 0;
	/* mbedTLS 2.28 takes no output size: sign into a buffer of its own
	 * maximum, then copy what fits. */
	mret = mbedtls_pk_sign(&s->pk, MBEDTLS_MD_SHA256, hash, GFI_SHA256_LEN,
			       out, &n, mbedtls_ctr_drbg_random, &s->drbg);
	if (mret != 0) {
		ret = from_mbedtls(mret);
		goto cleanup;
	}
	if (n > sig_cap) {
		ret = GFI_E_FULL;
		goto cleanup;
	}
	memcpy(sig, out, n);
	*sig_len = n;
	ret = GFI_OK;
cleanup:
	mbedtls_platform_zeroize(out, sizeof(out));
	return ret;
}

static int pubkey_pem(mbedtls_pk_context *pk, char *buf, size_t cap)
{
	int mret;

	if (cap == 0)
		return GFI_E_FULL;
	buf[0] = '\0';
	mret = mbedtls_pk_write_pubkey_pem(pk, (unsigned char *)buf, cap);
	if (mret != 0) {
		buf[0] = '\0';
		return from_mbedtls(mret);
	}
	return GFI_OK;
}

int gfi_signer_pubkey_pem(struct gfi_signer *s, char *buf, size_t cap)
{
	return pubkey_pem(&s->pk, buf, cap);
}

int gfi_sign_pubkey_pem(const char *key_path, char *buf, size_t cap,
			char *err, size_t errlen)
{
	mbedtls_pk_context pk;
	int ret = GFI_E_CRYPTO;

	mbedtls_pk_init(&pk);
	ret = load_key(&pk, key_path, err, errlen);
	if (ret != GFI_OK)
		goto cleanup;
	ret = pubkey_pem(&pk, buf, cap);
	if (ret != GFI_OK)
		set_err(err, errlen, key_path, gfi_strerror(ret));
cleanup:
	mbedtls_pk_free(&pk);
	return ret;
}

/* Take the subject public key out of a certificate into pk, by writing it
 * as DER and parsing it back: the certificate need not outlive this call. */
static int key_from_cert(mbedtls_pk_context *pk, const unsigned char *text,
			 size_t len, char *err, size_t errlen)
{
	mbedtls_x509_crt crt;
	unsigned char der[512];
	int n;
	int mret;
	int ret = GFI_E_CRYPTO;

	mbedtls_x509_crt_init(&crt);
	mret = mbedtls_x509_crt_parse(&crt, text, len);
	if (mret != 0) {
		ret = from_mbedtls(mret);
		mbed_err(err, errlen, "certificate", "cannot parse", mret);
		goto cleanup;
	}
	/* pk_write_*_der writes at the end of the buffer. */
	n = mbedtls_pk_write_pubkey_der(&crt.pk, der, sizeof(der));
	if (n <= 0) {
		ret = n < 0 ? from_mbedtls(n) : GFI_E_CRYPTO;
		mbed_err(err, errlen, "certificate", "cannot take its key", n);
		goto cleanup;
	}
	mret = mbedtls_pk_parse_public_key(pk, der + sizeof(der) - (size_t)n,
					   (size_t)n);
	if (mret != 0) {
		ret = from_mbedtls(mret);
		mbed_err(err, errlen, "certificate", "cannot take its key", mret);
		goto cleanup;
	}
	ret = GFI_OK;
cleanup:
	mbedtls_x509_crt_free(&crt);
	return ret;
}

int gfi_verifier_new(const char *pem, size_t len, struct gfi_verifier **out,
		     char *err, size_t errlen)
{
	static const char cert_tag[] = "-----BEGIN CERTIFICATE-----";
	struct gfi_verifier *v = NULL;
	unsigned char *text = NULL;
	int mret;
	int ret = GFI_E_NOMEM;

	*out = NULL;
	v = calloc(1, sizeof(*v));
	if (v == NULL) {
		set_err(err, errlen, "public key", "out of memory");
		goto cleanup;
	}
	mbedtls_pk_init(&v->pk);
	ret = GFI_E_CRYPTO;
	/* Drop a counted NUL, then give mbedTLS the NUL-terminated copy PEM
	 * parsing requires. */
	if (pem != NULL && len > 0 && pem[len - 1] == '\0')
		len--;
	if (pem == NULL || len == 0 || memchr(pem, '\0', len) != NULL) {
		set_err(err, errlen, "public key", "empty, or a NUL byte inside");
		goto cleanup;
	}
	text = malloc(len + 1);
	if (text == NULL) {
		ret = GFI_E_NOMEM;
		set_err(err, errlen, "public key", "out of memory");
		goto cleanup;
	}
	memcpy(text, pem, len);
	text[len] = '\0';

	if (strstr((const char *)text, cert_tag) != NULL) {
		ret = key_from_cert(&v->pk, text, len + 1, err, errlen);
		if (ret != GFI_OK)
			goto cleanup;
	} else {
		mret = mbedtls_pk_parse_public_key(&v->pk, text, len + 1);
		if (mret != 0) {
			ret = from_mbedtls(mret);
			mbed_err(err, errlen, "public key", "cannot parse", mret);
			goto cleanup;
		}
	}
	if (!is_p256(&v->pk)) {
		ret = GFI_E_CRYPTO;
		set_err(err, errlen, "public key", "not an EC P-256 key");
		goto cleanup;
	}
	*out = v;
	v = NULL;
	ret = GFI_OK;
cleanup:
	gfi_verifier_free(v);
	free(text);
	return ret;
}

void gfi_verifier_free(struct gfi_verifier *v)
{
	if (v == NULL)
		return;
	mbedtls_pk_free(&v->pk);
	free(v);
}

int gfi_verify(struct gfi_verifier *v, const void *data, size_t len,
	       const uint8_t *sig, size_t siglen)
{
	unsigned char hash[GFI_SHA256_LEN];

	if (sig == NULL || siglen == 0 || siglen > GFI_SIG_MAX)
		return GFI_E_CRYPTO;
	gfi_sha256(data, len, hash);
	/* Any non-zero is a failure, including MBEDTLS_ERR_PK_SIG_LEN_MISMATCH
	 * (a valid signature followed by extra bytes): the stored bytes must be
	 * exactly the signature. */
	if (mbedtls_pk_verify(&v->pk, MBEDTLS_MD_SHA256, hash, sizeof(hash),
			      sig, siglen) != 0)
		return GFI_E_CRYPTO;
	return GFI_OK;
}

void gfi_sha256(const void *data, size_t len, uint8_t out[GFI_SHA256_LEN])
{
	/* Only fails with hardware acceleration hooks, which Debian's build
	 * lacks; a failure must still not leave a plausible hash behind. */
	if (mbedtls_sha256_ret(data, len, out, 0) != 0)
		memset(out, 0, GFI_SHA256_LEN);
}

char *gfi_hex(const uint8_t *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 0x0f];
	}
	out[2 * n] = '\0';
	return out;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int gfi_unhex(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (hex[2 * i] == '\0' || hex[2 * i + 1] == '\0')
			return GFI_E_PARSE;
		hi = hexval(hex[2 * i]);
		lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return GFI_E_PARSE;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return hex[2 * n] == '\0' ? GFI_OK : GFI_E_PARSE;
}

/*
 * sign.h — the gateway's own cryptography: ECDSA P-256 over SHA-256.
 *
 * Key generation, certificate signing requests, batch signatures and their
 * verification (DESIGN.md "TLS and keys"). This is the only module that
 * touches mbedTLS; its codes are translated here into GFI_E_*. Signatures are
 * DER (ASN.1 SEQUENCE of r, s), the form `openssl dgst -sha256 -sign/-verify`
 * reads and writes, so an auditor can verify a stored batch with openssl alone.
 *
 * Functions that read files or foreign text take `char *err, size_t errlen`
 * and write one line there on failure (err may be NULL). Never log keys.
 */
#ifndef GFI_SIGN_H
#define GFI_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define GFI_SHA256_LEN 32
#define GFI_SIG_MAX 72        /* largest DER ECDSA P-256 signature, bytes */
#define GFI_PUBKEY_PEM_MAX 256 /* P-256 "BEGIN PUBLIC KEY" PEM is 178 bytes + NUL */

/* gfi_sign_keygen flags. */
#define GFI_SIGN_FORCE 1 /* replace an existing key file */

struct gfi_signer;   /* a loaded private key with its random generator */
struct gfi_verifier; /* a loaded P-256 public key */

/* Whether the private key file at path is private to its owner: GFI_OK,
 * or GFI_E_CRYPTO with "PATH: open to group or others (mode 0640): ..."
 * when any of the mode bits 077 is set (as OpenSSH and PostgreSQL refuse);
 * GFI_E_IO when it cannot be stat'ed. Every key load checks this itself. */
int gfi_key_file_private(const char *path, char *err, size_t errlen);

/* Generate a fresh P-256 key and write it to path as SEC1 PEM ("BEGIN EC
 * PRIVATE KEY"), mode 0600, atomically (temp file, fsync, link/rename, fsync of
 * the directory). An existing path is never replaced unless flags has
 * GFI_SIGN_FORCE. Returns GFI_OK, GFI_E_EXISTS, GFI_E_IO, GFI_E_CRYPTO. */
int gfi_sign_keygen(const char *path, int flags, char *err, size_t errlen);

/* Write a PKCS#10 CSR (PEM, SHA-256, subject "CN=<cn>") for the key at
 * key_path to out_path (mode 0644, atomically, replacing out_path). cn must
 * pass gfi_id_valid: it is the gateway id. Returns GFI_OK, GFI_E_INVAL
 * (bad cn), GFI_E_IO, GFI_E_CRYPTO (unreadable or non-P-256 key). */
int gfi_sign_csr(const char *key_path, const char *cn, const char *out_path,
		 char *err, size_t errlen);

/* Load the P-256 private key at key_path (SEC1 or PKCS#8 PEM, unencrypted)
 * and seed a CTR-DRBG from the system entropy. On success *out is a signer
 * the caller closes with gfi_signer_close. GFI_E_IO, GFI_E_CRYPTO (not a
 * P-256 EC key), GFI_E_NOMEM. A signer is not thread-safe: one per thread. */
int gfi_signer_open(const char *key_path, struct gfi_signer **out,
		    char *err, size_t errlen);
/* Free a signer, zeroizing its key material. Accepts NULL. */
void gfi_signer_close(struct gfi_signer *s);

/* Sign SHA-256(data[0..len)) with ECDSA; the DER signature goes to
 * sig[0..*sig_len). sig_cap >= GFI_SIG_MAX is always enough.
 * Returns GFI_OK, GFI_E_FULL (sig_cap too small), GFI_E_CRYPTO. */
int gfi_sign(struct gfi_signer *s, const void *data, size_t len,
	     uint8_t *sig, size_t sig_cap, size_t *sig_len);

/* The same, for a SHA-256 digest already computed (the batch builder
 * needs the hash anyway for the chain; hashing twice costs). */
int gfi_sign_digest(struct gfi_signer *s, const uint8_t hash[GFI_SHA256_LEN],
		    uint8_t *sig, size_t sig_cap, size_t *sig_len);

/* The signer's public key as a NUL-terminated "BEGIN PUBLIC KEY" PEM
 * (SubjectPublicKeyInfo) in buf[0..cap). cap >= GFI_PUBKEY_PEM_MAX is
 * always enough. GFI_OK, GFI_E_FULL, GFI_E_CRYPTO. */
int gfi_signer_pubkey_pem(struct gfi_signer *s, char *buf, size_t cap);
/* The same for the private key file at key_path, without a signer. */
int gfi_sign_pubkey_pem(const char *key_path, char *buf, size_t cap,
			char *err, size_t errlen);

/* Load a P-256 public key from pem[0..len): a "BEGIN PUBLIC KEY" PEM, or a
 * "BEGIN CERTIFICATE" PEM whose subject key is taken (the certificate
 * itself is not validated here). len need not count a NUL. On success *out
 * is a verifier the caller frees with gfi_verifier_free. GFI_E_CRYPTO
 * (unparsable, not P-256), GFI_E_NOMEM. One verifier per thread. */
int gfi_verifier_new(const char *pem, size_t len, struct gfi_verifier **out,
		     char *err, size_t errlen);
/* Free a verifier. Accepts NULL. */
void gfi_verifier_free(struct gfi_verifier *v);

/* Whether sig[0..siglen) is a valid DER ECDSA signature of
 * SHA-256(data[0..len)) by v's key. Trailing bytes after the DER value are a
 * failure. Returns GFI_OK or GFI_E_CRYPTO. */
int gfi_verify(struct gfi_verifier *v, const void *data, size_t len,
	       const uint8_t *sig, size_t siglen);

/* SHA-256 of data[0..len) into out[0..32). */
void gfi_sha256(const void *data, size_t len, uint8_t out[GFI_SHA256_LEN]);

/* bytes[0..n) as lowercase hex into out[0..2n], NUL-terminated; returns out. */
char *gfi_hex(const uint8_t *bytes, size_t n, char *out);
/* Parse exactly 2n lowercase hex digits of hex (NUL after them) into
 * out[0..n). GFI_OK or GFI_E_PARSE (uppercase, wrong length, non-hex). */
int gfi_unhex(const char *hex, uint8_t *out, size_t n);

#endif

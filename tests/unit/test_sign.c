/*
 * test_sign.c — keys, CSRs and ECDSA P-256 signatures, checked against the
 * openssl command as an independent implementation: what gfi signs, openssl
 * verifies, and the other way round. Each test works in its own temporary
 * directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "sign.h"

struct fx {
	char dir[64];
	char key[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256] = "";

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gfi-sign-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->key, sizeof(f->key), "%s/key.pem", f->dir);
	assert_int_equal(gfi_sign_keygen(f->key, 0, err, sizeof(err)), GFI_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(f);
	return 0;
}

static const char *in_dir(const struct fx *f, const char *name, char *buf,
			  size_t len)
{
	snprintf(buf, len, "%s/%s", f->dir, name);
	return buf;
}

/* Run a shell command quietly; its exit status. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char inner[1024], cmd[1100];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(inner, sizeof(inner), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "( %s ) >/dev/null 2>&1", inner);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The whole output of a shell command into buf. */
static void capture(char *buf, size_t len, const char *cmd)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	assert_non_null(p);
	n = fread(buf, 1, len - 1, p);
	buf[n] = '\0';
	assert_int_equal(pclose(p), 0);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static size_t read_file(const char *path, void *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static struct gfi_verifier *verifier_for(const char *key)
{
	char pem[GFI_PUBKEY_PEM_MAX];
	char err[256] = "";
	struct gfi_verifier *v = NULL;

	assert_int_equal(gfi_sign_pubkey_pem(key, pem, sizeof(pem), err,
					     sizeof(err)), GFI_OK);
	assert_int_equal(gfi_verifier_new(pem, strlen(pem), &v, err,
					  sizeof(err)), GFI_OK);
	return v;
}

static const char message[] =
	"{\"v\":1,\"gateway\":\"gw-01\",\"seq\":1,\"readings\":[]}";

static void a_new_key_file_has_mode_0600_even_under_umask_0(void **state)
{
	struct fx *f = *state;
	char path[160];
	char err[256] = "";
	struct stat st;
	mode_t old = umask(0);

	in_dir(f, "open.pem", path, sizeof(path));
	assert_int_equal(gfi_sign_keygen(path, 0, err, sizeof(err)), GFI_OK);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(f->key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* openssl reads it as a P-256 key. */
	assert_int_equal(run("openssl ec -in '%s' -noout -check", path), 0);
	assert_int_equal(run("openssl ec -in '%s' -noout -text 2>/dev/null | "
			     "grep -q prime256v1", path), 0);
}

static void keygen_refuses_to_replace_a_key_unless_forced(void **state)
{
	struct fx *f = *state;
	char before[512], after[512], tmp[160];
	char err[256] = "";
	size_t n1, n2;

	n1 = read_file(f->key, before, sizeof(before));
	assert_int_equal(gfi_sign_keygen(f->key, 0, err, sizeof(err)),
			 GFI_E_EXISTS);
	assert_non_null(strstr(err, "already exists"));
	n2 = read_file(f->key, after, sizeof(after));
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);

	assert_int_equal(gfi_sign_keygen(f->key, GFI_SIGN_FORCE, err, sizeof(err)),
			 GFI_OK);
	n2 = read_file(f->key, after, sizeof(after));
	assert_false(n1 == n2 && memcmp(before, after, n1) == 0);
	/* No temporary file is left behind. */
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", f->key, (long)getpid());
	assert_int_not_equal(access(tmp, F_OK), 0);
}

static void a_signature_verifies_with_the_matching_public_key(void **state)
{
	struct fx *f = *state;
	struct gfi_signer *s = NULL;
	struct gfi_verifier *v;
	uint8_t sig[GFI_SIG_MAX];
	size_t sig_len = 0;
	char err[256] = "";

	assert_int_equal(gfi_signer_open(f->key, &s, err, sizeof(err)), GFI_OK);
	assert_int_equal(gfi_sign(s, message, strlen(message), sig, sizeof(sig),
				  &sig_len), GFI_OK);
	assert_true(sig_len >= 8 && sig_len <= GFI_SIG_MAX);
	assert_int_equal(sig[0], 0x30); /* DER SEQUENCE */
	v = verifier_for(f->key);
	assert_int_equal(gfi_verify(v, message, strlen(message), sig, sig_len),
			 GFI_OK);
	/* A too-small output buffer is reported, not overrun. */
	assert_int_equal(gfi_sign(s, message, strlen(message), sig, 8, &sig_len),
			 GFI_E_FULL);
	gfi_verifier_free(v);
	gfi_signer_close(s);
}

static void one_changed_byte_of_data_or_signature_fails(void **state)
{
	struct fx *f = *state;
	struct gfi_signer *s = NULL;
	struct gfi_verifier *v;
	uint8_t sig[GFI_SIG_MAX + 1];
	char data[sizeof(message)];
	size_t sig_len = 0;

	assert_int_equal(gfi_signer_open(f->key, &s, NULL, 0), GFI_OK);
	assert_int_equal(gfi_sign(s, message, strlen(message), sig, sizeof(sig),
				  &sig_len), GFI_OK);
	v = verifier_for(f->key);
	for (size_t i = 0; i < strlen(message); i += 7) {
		memcpy(data, message, sizeof(message));
		data[i] ^= 0x01;
		assert_int_equal(gfi_verify(v, data, strlen(message), sig, sig_len),
				 GFI_E_CRYPTO);
	}
	for (size_t i = 0; i < sig_len; i++) {
		sig[i] ^= 0x80;
		assert_int_equal(gfi_verify(v, message, strlen(message), sig,
					    sig_len), GFI_E_CRYPTO);
		sig[i] ^= 0x80;
	}
	/* Extra bytes after a valid DER signature are a failure too. */
	sig[sig_len] = 0;
	assert_int_equal(gfi_verify(v, message, strlen(message), sig, sig_len + 1),
			 GFI_E_CRYPTO);
	assert_int_equal(gfi_verify(v, message, strlen(message), sig, 0),
			 GFI_E_CRYPTO);
	gfi_verifier_free(v);
	gfi_signer_close(s);
}

static void a_signature_by_another_key_fails(void **state)
{
	struct fx *f = *state;
	struct gfi_signer *s = NULL;
	struct gfi_verifier *other;
	uint8_t sig[GFI_SIG_MAX];
	size_t sig_len = 0;
	char path[160];

	in_dir(f, "other.pem", path, sizeof(path));
	assert_int_equal(gfi_sign_keygen(path, 0, NULL, 0), GFI_OK);
	assert_int_equal(gfi_signer_open(f->key, &s, NULL, 0), GFI_OK);
	assert_int_equal(gfi_sign(s, message, strlen(message), sig, sizeof(sig),
				  &sig_len), GFI_OK);
	other = verifier_for(path);
	assert_int_equal(gfi_verify(other, message, strlen(message), sig, sig_len),
			 GFI_E_CRYPTO);
	gfi_verifier_free(other);
	gfi_signer_close(s);
}

static void the_csr_verifies_with_openssl_and_names_the_gateway(void **state)
{
	struct fx *f = *state;
	char csr[160], out[1024], pub[1024], cmd[512];
	char err[256] = "";

	in_dir(f, "gw.csr", csr, sizeof(csr));
	assert_int_equal(gfi_sign_csr(f->key, "gw-01.plant_7", csr, err,
				      sizeof(err)), GFI_OK);
	assert_int_equal(run("openssl req -in '%s' -noout -verify", csr), 0);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -in '%s' -noout -subject -nameopt RFC2253", csr);
	capture(out, sizeof(out), cmd);
	assert_string_equal(out, "subject=CN=gw-01.plant_7\n");
	/* The CSR carries the gateway's own public key. */
	snprintf(cmd, sizeof(cmd), "openssl req -in '%s' -noout -pubkey", csr);
	capture(out, sizeof(out), cmd);
	snprintf(cmd, sizeof(cmd), "openssl ec -in '%s' -pubout 2>/dev/null",
		 f->key);
	capture(pub, sizeof(pub), cmd);
	assert_string_equal(out, pub);
}

static void a_csr_for_an_id_with_a_slash_is_refused(void **state)
{
	struct fx *f = *state;
	char csr[160];
	char err[256] = "";

	in_dir(f, "bad.csr", csr, sizeof(csr));
	assert_int_equal(gfi_sign_csr(f->key, "gw/01", csr, err, sizeof(err)),
			 GFI_E_INVAL);
	assert_string_equal(err, "cn: gateway id must be 1..31 of [A-Za-z0-9._-]");
	assert_int_equal(gfi_sign_csr(f->key, "CN=x,O=y", csr, err, sizeof(err)),
			 GFI_E_INVAL);
	assert_int_not_equal(access(csr, F_OK), 0);
}

static void openssl_alone_verifies_a_gfi_signature(void **state)
{
	struct fx *f = *state;
	struct gfi_signer *s = NULL;
	uint8_t sig[GFI_SIG_MAX];
	size_t sig_len = 0;
	char pub[160], data[160], sigf[160], bad[160];
	char changed[sizeof(message)];

	in_dir(f, "pub.pem", pub, sizeof(pub));
	in_dir(f, "batch.json", data, sizeof(data));
	in_dir(f, "sig.der", sigf, sizeof(sigf));
	in_dir(f, "bad.json", bad, sizeof(bad));
	assert_int_equal(gfi_signer_open(f->key, &s, NULL, 0), GFI_OK);
	assert_int_equal(gfi_sign(s, message, strlen(message), sig, sizeof(sig),
				  &sig_len), GFI_OK);
	gfi_signer_close(s);
	write_file(data, message, strlen(message));
	write_file(sigf, sig, sig_len);
	memcpy(changed, message, sizeof(message));
	changed[10] ^= 0x20;
	write_file(bad, changed, strlen(changed));

	assert_int_equal(run("openssl ec -in '%s' -pubout -out '%s'", f->key, pub), 0);
	assert_int_equal(run("openssl dgst -sha256 -verify '%s' -signature '%s' '%s'",
			     pub, sigf, data), 0);
	assert_int_not_equal(run("openssl dgst -sha256 -verify '%s' -signature '%s' '%s'",
				 pub, sigf, bad), 0);
}

static void gfi_verifies_an_openssl_signature_made_with_a_pkcs8_key(void **state)
{
	struct fx *f = *state;
	struct gfi_signer *s = NULL;
	struct gfi_verifier *v;
	char k8[160], data[160], sigf[160];
	uint8_t sig[256];
	size_t n;
	char err[256] = "";

	in_dir(f, "k8.pem", k8, sizeof(k8));
	in_dir(f, "msg", data, sizeof(data));
	in_dir(f, "ossl.sig", sigf, sizeof(sigf));
	assert_int_equal(run("openssl genpkey -algorithm EC -pkeyopt "
			     "ec_paramgen_curve:P-256 -out '%s'", k8), 0);
	write_file(data, message, strlen(message));
	assert_int_equal(run("openssl dgst -sha256 -sign '%s' -out '%s' '%s'",
			     k8, sigf, data), 0);
	n = read_file(sigf, sig, sizeof(sig));
	/* gfi loads the PKCS#8 key too. */
	assert_int_equal(gfi_signer_open(k8, &s, err, sizeof(err)), GFI_OK);
	gfi_signer_close(s);
	v = verifier_for(k8);
	assert_int_equal(gfi_verify(v, message, strlen(message), sig, n), GFI_OK);
	gfi_verifier_free(v);
}

static void a_certificate_pem_gives_its_key_to_the_verifier(void **state)
{
	struct fx *f = *state;
	struct gfi_signer *s = NULL;
	struct gfi_verifier *v = NULL;
	char crt[160], pem[4096];
	uint8_t sig[GFI_SIG_MAX];
	size_t sig_len = 0, n;
	char err[256] = "";

	in_dir(f, "gw.crt", crt, sizeof(crt));
	assert_int_equal(run("openssl req -new -x509 -key '%s' -subj /CN=gw-01 "
			     "-days 2 -out '%s'", f->key, crt), 0);
	n = read_file(crt, pem, sizeof(pem) - 1);
	assert_int_equal(gfi_verifier_new(pem, n, &v, err, sizeof(err)), GFI_OK);
	assert_int_equal(gfi_signer_open(f->key, &s, NULL, 0), GFI_OK);
	assert_int_equal(gfi_sign(s, message, strlen(message), sig, sizeof(sig),
				  &sig_len), GFI_OK);
	assert_int_equal(gfi_verify(v, message, strlen(message), sig, sig_len),
			 GFI_OK);
	gfi_verifier_free(v);
	gfi_signer_close(s);
}

static void the_exported_public_key_is_what_openssl_derives(void **state)
{
	struct fx *f = *state;
	struct gfi_signer *s = NULL;
	char mine[GFI_PUBKEY_PEM_MAX], via_signer[GFI_PUBKEY_PEM_MAX];
	char theirs[1024], cmd[256];
	char err[256] = "";

	assert_int_equal(gfi_sign_pubkey_pem(f->key, mine, sizeof(mine), err,
					     sizeof(err)), GFI_OK);
	snprintf(cmd, sizeof(cmd), "openssl ec -in '%s' -pubout 2>/dev/null",
		 f->key);
	capture(theirs, sizeof(theirs), cmd);
	assert_string_equal(mine, theirs);
	assert_int_equal(gfi_signer_open(f->key, &s, NULL, 0), GFI_OK);
	assert_int_equal(gfi_signer_pubkey_pem(s, via_signer, sizeof(via_signer)),
			 GFI_OK);
	assert_string_equal(mine, via_signer);
	assert_int_equal(gfi_signer_pubkey_pem(s, via_signer, 40), GFI_E_FULL);
	gfi_signer_close(s);
}

static void keys_other_than_p256_are_refused(void **state)
{
	struct fx *f = *state;
	struct gfi_signer *s = NULL;
	struct gfi_verifier *v = NULL;
	char p384[160], rsa[160], pem[4096];
	char err[256] = "";
	size_t n;

	in_dir(f, "p384.pem", p384, sizeof(p384));
	in_dir(f, "rsa.pub", rsa, sizeof(rsa));
	assert_int_equal(run("openssl genpkey -algorithm EC -pkeyopt "
			     "ec_paramgen_curve:P-384 -out '%s'", p384), 0);
	assert_int_equal(gfi_signer_open(p384, &s, err, sizeof(err)),
			 GFI_E_CRYPTO);
	assert_null(s);
	assert_non_null(strstr(err, "not an EC P-256 key"));
	assert_int_equal(run("openssl genpkey -algorithm RSA -pkeyopt "
			     "rsa_keygen_bits:1024 2>/dev/null | openssl pkey "
			     "-pubout -out '%s'", rsa), 0);
	n = read_file(rsa, pem, sizeof(pem));
	assert_int_equal(gfi_verifier_new(pem, n, &v, err, sizeof(err)),
			 GFI_E_CRYPTO);
	assert_null(v);
	assert_string_equal(err, "public key: not an EC P-256 key");
	assert_int_equal(gfi_verifier_new("garbage", 7, &v, err, sizeof(err)),
			 GFI_E_CRYPTO);
	assert_non_null(strstr(err, "public key: cannot parse"));
	assert_null(strchr(err, '\n'));
}

/* Like OpenSSH and PostgreSQL: a key group or others may read is refused
 * at every load, naming the path and the mode; 0600 and 0400 load. */
static void a_key_open_to_group_or_others_is_refused(void **state)
{
	struct fx *f = *state;
	struct gfi_signer *s = NULL;
	char err[256] = "", want[256], pem[GFI_PUBKEY_PEM_MAX];
	const mode_t bad[] = { 0640, 0644, 0604, 0620 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(f->key, bad[i]), 0);
		snprintf(want, sizeof(want), "%s: open to group or others (mode %04o): "
			 "a private key must be 0600 or stricter (chmod 600)",
			 f->key, (unsigned)bad[i]);
		assert_int_equal(gfi_signer_open(f->key, &s, err, sizeof(err)),
				 GFI_E_CRYPTO);
		assert_null(s);
		assert_string_equal(err, want);
		assert_int_equal(gfi_key_file_private(f->key, err, sizeof(err)),
				 GFI_E_CRYPTO);
		assert_string_equal(err, want);
		assert_int_equal(gfi_sign_pubkey_pem(f->key, pem, sizeof(pem), err,
						     sizeof(err)), GFI_E_CRYPTO);
	}
	assert_int_equal(chmod(f->key, 0400), 0);
	assert_int_equal(gfi_key_file_private(f->key, err, sizeof(err)), GFI_OK);
	assert_int_equal(gfi_signer_open(f->key, &s, err, sizeof(err)), GFI_OK);
	gfi_signer_close(s);
	assert_int_equal(chmod(f->key, 0600), 0);
}

static void a_missing_key_file_is_an_io_error_naming_the_path(void **state)
{
	struct fx *f = *state;
	struct gfi_signer *s = NULL;
	char path[160], want[256];
	char err[256] = "";

	in_dir(f, "nope.pem", path, sizeof(path));
	assert_int_equal(gfi_signer_open(path, &s, err, sizeof(err)), GFI_E_IO);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
	gfi_signer_close(NULL);
	gfi_verifier_free(NULL);
}

static void sha256_and_hex_match_the_fips_vector(void **state)
{
	uint8_t h[GFI_SHA256_LEN], back[GFI_SHA256_LEN];
	char hex[2 * GFI_SHA256_LEN + 1];

	(void)state;
	/* FIPS 180-2, appendix B.1: SHA-256("abc"). */
	gfi_sha256("abc", 3, h);
	assert_string_equal(gfi_hex(h, sizeof(h), hex),
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(gfi_unhex(hex, back, sizeof(back)), GFI_OK);
	assert_memory_equal(h, back, sizeof(h));
	hex[5] = 'A';
	assert_int_equal(gfi_unhex(hex, back, sizeof(back)), GFI_E_PARSE);
	assert_int_equal(gfi_unhex("abc", back, 2), GFI_E_PARSE);
	assert_int_equal(gfi_unhex("abcdef", back, 2), GFI_E_PARSE);
	assert_int_equal(gfi_unhex("0g", back, 1), GFI_E_PARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(a_new_key_file_has_mode_0600_even_under_umask_0),
		T(keygen_refuses_to_replace_a_key_unless_forced),
		T(a_signature_verifies_with_the_matching_public_key),
		T(one_changed_byte_of_data_or_signature_fails),
		T(a_signature_by_another_key_fails),
		T(the_csr_verifies_with_openssl_and_names_the_gateway),
		T(a_csr_for_an_id_with_a_slash_is_refused),
		T(openssl_alone_verifies_a_gfi_signature),
		T(gfi_verifies_an_openssl_signature_made_with_a_pkcs8_key),
		T(a_certificate_pem_gives_its_key_to_the_verifier),
		T(the_exported_public_key_is_what_openssl_derives),
		T(keys_other_than_p256_are_refused),
		T(a_key_open_to_group_or_others_is_refused),
		T(a_missing_key_file_is_an_io_error_naming_the_path),
		cmocka_unit_test(sha256_and_hex_match_the_fips_vector),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_batch.c — the signed batch wire format: build -> parse round trips,
 * the hash chain, verification by openssl alone from the stored bytes, size
 * budgeting, and one expected one-line reason for each kind of bad payload.
 *
 * tests/data/batch/ ($GFI_TEST_DATA/batch) holds a committed payload signed
 * by a test-only key: it must keep parsing and verifying, and rebuilding its
 * readings must give the identical BATCH_JSON bytes, so a format change
 * cannot slip in unnoticed.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "batch.h"
#include "error.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define T0 1700000000

static const uint8_t zeros[GFI_SHA256_LEN];

struct fx {
	char dir[64];
	char key[128];
	struct gfi_signer *s;
	struct gfi_verifier *v;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char pem[GFI_PUBKEY_PEM_MAX];
	char err[256] = "";

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gfi-batch-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->key, sizeof(f->key), "%s/key.pem", f->dir);
	assert_int_equal(gfi_sign_keygen(f->key, 0, err, sizeof(err)), GFI_OK);
	assert_int_equal(gfi_signer_open(f->key, &f->s, err, sizeof(err)), GFI_OK);
	assert_int_equal(gfi_signer_pubkey_pem(f->s, pem, sizeof(pem)), GFI_OK);
	assert_int_equal(gfi_verifier_new(pem, strlen(pem), &f->v, err,
					  sizeof(err)), GFI_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	gfi_signer_close(f->s);
	gfi_verifier_free(f->v);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(f);
	return 0;
}

static struct gfi_reading rd(const char *meter, const char *point,
			     const char *qty, int64_t t, double value,
			     int status, int detail)
{
	struct gfi_reading r;

	memset(&r, 0, sizeof(r));
	snprintf(r.meter, sizeof(r.meter), "%s", meter);
	snprintf(r.point, sizeof(r.point), "%s", point);
	snprintf(r.quantity, sizeof(r.quantity), "%s", qty);
	r.time_s = t;
	r.value = value;
	r.status = status;
	r.detail = detail;
	return r;
}

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

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(GFI_BATCH_MAX_BYTES + 1);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, GFI_BATCH_MAX_BYTES, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

/* Build, asserting success. */
static char *build(struct fx *f, uint64_t seq, const uint8_t prev[32],
		   const struct gfi_reading *r, size_t n, size_t *len,
		   uint8_t hash[32])
{
	char *p = NULL;
	char err[256] = "";
	int ret = gfi_batch_build("gw-01", seq, prev, T0 + 60, r, n, f->s, &p,
				  len, hash, err, sizeof(err));
	if (ret != GFI_OK) {
		fail_msg("build: %s (%s)", gfi_strerror(ret), err);
		return NULL;
	}
	assert_non_null(p);
	return p;
}

static int same_double(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0 || (isnan(a) && isnan(b));
}

static void every_status_and_value_survives_build_and_parse(void **state)
{
	struct fx *f = *state;
	const struct gfi_reading in[] = {
		rd("E01", "import_kwh", "elec_import_kwh", T0, 12345.67, GFI_ST_OK, 0),
		rd("E01", "power_kw", "elec_power_kw", T0, NAN, GFI_ST_TIMEOUT, 0),
		rd("E01", "pf", "elec_power_factor", T0, NAN, GFI_ST_EXCEPTION, 2),
		rd("E02", "v", "elec_voltage_v", T0, NAN, GFI_ST_EXCEPTION, 255),
		rd("E02", "a", "elec_current_a", T0, NAN, GFI_ST_COMM, 0),
		rd("W.1", "flow", "water_flow_m3h", T0, NAN, GFI_ST_DECODE, 0),
		rd("W.1", "vol", "water_volume_m3", T0, 99.5, GFI_ST_BACKWARDS, 0),
		rd("W.1", "vol2", "water_volume_m3", T0, 1e9, GFI_ST_JUMP, 0),
		rd("G_1", "m3", "gas_volume_m3", T0, 3.0, GFI_ST_ROLLOVER, 0),
		rd("x", "tiny", "o2_pct", 1, 0.1, GFI_ST_OK, 0),
		rd("x", "negz", "o2_pct", GFI_BATCH_TIME_MAX - 1, -0.0, GFI_ST_OK, 0),
		rd("x", "max", "o2_pct", T0, DBL_MAX, GFI_ST_OK, 0),
		rd("x", "denorm", "o2_pct", T0, 5e-324, GFI_ST_OK, 0),
		rd("x", "third", "o2_pct", T0, 1.0 / 3.0, GFI_ST_OK, 0),
		rd("x", "neg", "o2_pct", T0, -123456789.000001, GFI_ST_OK, 0),
	};
	uint8_t hash[32];
	struct gfi_batch *b = NULL;
	char err[256] = "";
	size_t len;
	char *p = build(f, 1, zeros, in, NELEM(in), &len, hash);

	assert_int_equal(strlen(p), len);
	assert_int_equal(gfi_batch_parse(p, len, &b, err, sizeof(err)), GFI_OK);
	assert_string_equal(b->gateway, "gw-01");
	assert_int_equal(b->seq, 1);
	assert_memory_equal(b->prev, zeros, 32);
	assert_memory_equal(b->hash, hash, 32);
	assert_int_equal(b->sent_s, T0 + 60);
	assert_int_equal(b->n, NELEM(in));
	for (size_t i = 0; i < NELEM(in); i++) {
		const struct gfi_reading *r = &b->readings[i];
		assert_string_equal(r->meter, in[i].meter);
		assert_string_equal(r->point, in[i].point);
		assert_string_equal(r->quantity, in[i].quantity);
		assert_int_equal(r->time_s, in[i].time_s);
		assert_int_equal(r->status, in[i].status);
		assert_int_equal(r->detail, in[i].detail);
		if (!same_double(r->value, in[i].value))
			fail_msg("readings[%zu].value: %.17g != %.17g", i, r->value,
				 in[i].value);
	}
	/* The JSON is the first line, exactly; the signature covers it. */
	assert_ptr_not_equal(b->json, p);
	assert_memory_equal(b->json, p, b->json_len);
	assert_int_equal(p[b->json_len], '\n');
	assert_null(memchr(b->json, '\n', b->json_len));
	assert_non_null(strstr(b->json, "\"status\":\"exception-2\""));
	assert_non_null(strstr(b->json, "\"value\":null,\"status\":\"timeout\""));
	assert_non_null(strstr(b->json, "\"value\":0.1,"));
	assert_int_equal(gfi_batch_verify(b, f->v), GFI_OK);
	gfi_batch_free(b);
	free(p);
}

static void a_value_on_a_status_without_one_is_written_as_null(void **state)
{
	struct fx *f = *state;
	const struct gfi_reading in[] = {
		rd("E01", "p", "elec_power_kw", T0, 42.0, GFI_ST_TIMEOUT, 0),
	};
	uint8_t hash[32];
	size_t len;
	char *p = build(f, 1, zeros, in, 1, &len, hash);

	assert_non_null(strstr(p, "\"value\":null"));
	free(p);
}

static void the_hash_chain_links_seq_2_to_seq_1(void **state)
{
	struct fx *f = *state;
	const struct gfi_reading in[] = {
		rd("E01", "import_kwh", "elec_import_kwh", T0, 1.5, GFI_ST_OK, 0),
	};
	uint8_t h1[32], h2[32], direct[32];
	struct gfi_batch *b1 = NULL, *b2 = NULL;
	size_t l1, l2;
	char *p1 = build(f, 1, zeros, in, 1, &l1, h1);
	char *p2 = build(f, 2, h1, in, 1, &l2, h2);
	char hex[65];

	assert_int_equal(gfi_batch_parse(p1, l1, &b1, NULL, 0), GFI_OK);
	assert_int_equal(gfi_batch_parse(p2, l2, &b2, NULL, 0), GFI_OK);
	assert_int_equal(b2->seq, b1->seq + 1);
	assert_memory_equal(b2->prev, b1->hash, 32);
	/* The hash is of the JSON line alone, as documented. */
	gfi_sha256(p1, (size_t)(strchr(p1, '\n') - p1), direct);
	assert_memory_equal(direct, h1, 32);
	assert_non_null(strstr(b2->json, gfi_hex(h1, 32, hex)));
	assert_memory_not_equal(h1, h2, 32);
	gfi_batch_free(b1);
	gfi_batch_free(b2);
	free(p1);
	free(p2);
}

static void openssl_alone_verifies_the_stored_payload(void **state)
{
	struct fx *f = *state;
	const struct gfi_reading in[] = {
		rd("E01", "import_kwh", "elec_import_kwh", T0, 12345.67, GFI_ST_OK, 0),
		rd("E01", "p", "elec_power_kw", T0, NAN, GFI_ST_TIMEOUT, 0),
	};
	char path[160];
	uint8_t hash[32];
	size_t len;
	char *p = build(f, 1, zeros, in, NELEM(in), &len, hash);

	/* Exactly the auditor's recipe in docs/wire-format.md. */
	snprintf(path, sizeof(path), "%s/batch.payload", f->dir);
	write_file(path, p, len);
	assert_int_equal(run("cd '%s' && openssl ec -in key.pem -pubout -out pub.pem"
			     " && head -n 1 batch.payload | tr -d '\\n' > batch.json"
			     " && sed -n 2p batch.payload | base64 -d > sig.der"
			     " && openssl dgst -sha256 -verify pub.pem"
			     " -signature sig.der batch.json", f->dir), 0);
	/* One changed byte in the stored JSON: openssl refuses. */
	assert_int_equal(run("cd '%s' && sed -i 's/12345.67/12345.68/' batch.json"
			     " && grep -q 12345.68 batch.json", f->dir), 0);
	assert_int_not_equal(run("cd '%s' && openssl dgst -sha256 -verify pub.pem"
				 " -signature sig.der batch.json", f->dir), 0);
	free(p);
}

static void a_changed_byte_parses_but_fails_verification(void **state)
{
	struct fx *f = *state;
	const struct gfi_reading in[] = {
		rd("E01", "import_kwh", "elec_import_kwh", T0, 12345.67, GFI_ST_OK, 0),
	};
	struct gfi_batch *b = NULL;
	uint8_t hash[32];
	size_t len;
	char *p = build(f, 1, zeros, in, 1, &len, hash);
	char *digit = strstr(p, "12345.67");

	digit[0] = '2';
	assert_int_equal(gfi_batch_parse(p, len, &b, NULL, 0), GFI_OK);
	assert_int_equal(gfi_batch_verify(b, f->v), GFI_E_CRYPTO);
	gfi_batch_free(b);
	free(p);
}

static void build_refuses_what_parse_would_refuse(void **state)
{
	struct fx *f = *state;
	struct gfi_reading r = rd("E01", "p", "elec_power_kw", T0, 1, GFI_ST_OK, 0);
	uint8_t one[32] = { 1 }, hash[32];
	char *p = NULL;
	size_t len = 0;
	char err[256];
	struct {
		const char *gateway;
		uint64_t seq;
		const uint8_t *prev;
		struct gfi_reading r;
		int ret;
		const char *why;
	} cases[] = {
		{ "gw/1", 1, zeros, r, GFI_E_INVAL,
		  "gateway: must be 1..31 of [A-Za-z0-9._-]" },
		{ "gw", 0, zeros, r, GFI_E_RANGE,
		  "seq: 0 out of range 1..9007199254740991" },
		{ "gw", 1, one, r, GFI_E_INVAL, "prev: must be 64 zeros for seq 1" },
		{ "gw", 2, one, rd("E#1", "p", "o2_pct", T0, 1, 0, 0), GFI_E_INVAL,
		  "readings[0].meter: must be 1..31 of [A-Za-z0-9._-]" },
		{ "gw", 2, one, rd("E1", "p", "kwh", T0, 1, 0, 0), GFI_E_INVAL,
		  "readings[0].quantity: unknown quantity" },
		{ "gw", 2, one, rd("E1", "p", "o2_pct", 0, 1, 0, 0), GFI_E_RANGE,
		  "readings[0].time: 0 out of range 1..1099511627775" },
		{ "gw", 2, one, rd("E1", "p", "o2_pct", T0, NAN, 0, 0), GFI_E_RANGE,
		  "readings[0].value: must be finite for status ok" },
		{ "gw", 2, one, rd("E1", "p", "o2_pct", T0, INFINITY, GFI_ST_JUMP, 0),
		  GFI_E_RANGE, "readings[0].value: must be finite for status jump" },
		{ "gw", 2, one, rd("E1", "p", "o2_pct", T0, 1, GFI_ST_EXCEPTION, 0),
		  GFI_E_INVAL, "readings[0].status: invalid status 2 detail 0" },
		{ "gw", 2, one, rd("E1", "p", "o2_pct", T0, 1, 99, 0),
		  GFI_E_INVAL, "readings[0].status: invalid status 99 detail 0" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		err[0] = '\0';
		int ret = gfi_batch_build(cases[i].gateway, cases[i].seq,
					  cases[i].prev, T0, &cases[i].r, 1, f->s,
					  &p, &len, hash, err, sizeof(err));
		if (ret != cases[i].ret || strcmp(err, cases[i].why) != 0)
			fail_msg("case %zu: got %d \"%s\", want %d \"%s\"", i, ret,
				 err, cases[i].ret, cases[i].why);
		assert_null(p);
	}
	assert_int_equal(gfi_batch_build("gw", 1, zeros, T0, &r, 0, f->s, &p,
					 &len, hash, err, sizeof(err)),
			 GFI_E_INVAL);
	assert_string_equal(err, "readings: must not be empty");
}

static void fit_tells_how_many_readings_a_budget_holds(void **state)
{
	struct fx *f = *state;
	enum { N = 6000 };
	struct gfi_reading *r = calloc(N, sizeof(*r));
	uint8_t one[32] = { 1 }, hash[32];
	size_t count = 0, len = 0;
	char *p = NULL;
	char err[256] = "";

	assert_non_null(r);
	for (size_t i = 0; i < N; i++)
		r[i] = rd("meter-0123456789", "point-0123456789",
			  "elec_import_kwh", T0 + (int64_t)i, 1.0 / 7.0 * (double)i,
			  GFI_ST_OK, 0);
	/* A small budget: build exactly that many, and it fits. */
	assert_int_equal(gfi_batch_fit("gw-01", r, N, 4096, &count, err,
				       sizeof(err)), GFI_OK);
	assert_true(count > 10 && count < 40);
	assert_int_equal(gfi_batch_build("gw-01", GFI_BATCH_SEQ_MAX, one,
					 GFI_BATCH_TIME_MAX - 1, r, count, f->s,
					 &p, &len, hash, err, sizeof(err)), GFI_OK);
	assert_true(len <= 4096);
	free(p);
	/* The whole budget: the byte limit binds before the count limit. */
	assert_int_equal(gfi_batch_fit("gw-01", r, N, SIZE_MAX, &count, err,
				       sizeof(err)), GFI_OK);
	assert_true(count > 1000 && count < GFI_BATCH_MAX_READINGS);
	assert_int_equal(gfi_batch_build("gw-01", 7, one, T0, r, count, f->s, &p,
					 &len, hash, err, sizeof(err)), GFI_OK);
	assert_true(len <= GFI_BATCH_MAX_BYTES);
	free(p);
	p = NULL;
	/* One more than fits in the largest payload: GFI_E_FULL, so halve. */
	assert_int_equal(gfi_batch_build("gw-01", 7, one, T0, r, count + 60, f->s,
					 &p, &len, hash, err, sizeof(err)),
			 GFI_E_FULL);
	assert_string_equal(err, "batch: payload would exceed 262144 bytes");
	assert_int_equal(gfi_batch_build("gw-01", 7, one, T0, r, N, f->s, &p,
					 &len, hash, err, sizeof(err)),
			 GFI_E_FULL);
	assert_null(p);
	/* Too small for one reading; an invalid reading is named. */
	assert_int_equal(gfi_batch_fit("gw-01", r, N, 300, &count, err,
				       sizeof(err)), GFI_OK);
	assert_int_equal(count, 0);
	r[3].time_s = 0;
	assert_int_equal(gfi_batch_fit("gw-01", r, N, SIZE_MAX, &count, err,
				       sizeof(err)), GFI_E_RANGE);
	assert_string_equal(err, "readings[3].time: 0 out of range 1..1099511627775");
	free(r);
}

/* ---- parser rejections ------------------------------------------------ */

#define PREV0 "0000000000000000000000000000000000000000000000000000000000000000"
#define HEAD "{\"v\":1,\"gateway\":\"gw-01\",\"seq\":1,\"prev\":\"" PREV0 \
	     "\",\"sent\":1700000060,\"readings\":["
#define R_OK "{\"meter\":\"E01\",\"point\":\"import_kwh\",\"quantity\":" \
	     "\"elec_import_kwh\",\"time\":1700000000,\"value\":1.5,\"status\":\"ok\"}"
#define SIG "\nMEQCIB4=\n"
#define GOOD HEAD R_OK "]}" SIG
#define A32 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

struct reject {
	const char *payload;
	const char *why;
};

static const struct reject rejects[] = {
	/* The baseline passes: every case below differs from it in one thing. */
	{ GOOD, NULL },
	{ "{\"v\":1,\"gateway\":\"gw-01\"" SIG, "batch: invalid JSON near byte 23" },
	{ HEAD R_OK "]} x" SIG, "batch: trailing data at byte 249" },
	{ "[1]" SIG, "batch: must be a JSON object" },
	{ HEAD "{\"meter\":\"E01\",\"point\":\"import_kwh\",\"quantity\":"
	  "\"elec_import_kwh\",\"time\":1700000000,\"value\":NaN,\"status\":\"ok\"}]}"
	  SIG, "batch: invalid JSON near byte 228" },
	{ HEAD R_OK "]}", "signature: missing (no line after the JSON)" },
	{ HEAD R_OK "]}\n", "signature: missing (no line after the JSON)" },
	{ HEAD R_OK "]}\n\n", "signature: missing (empty line)" },
	{ HEAD R_OK "]}\nMEQCIB4=", "signature: must end with a newline" },
	{ HEAD R_OK "]}\nMEQC\nIB4=\n", "signature: invalid base64" },
	{ HEAD R_OK "]}\nMEQ*IB4=\n", "signature: invalid base64" },
	{ HEAD R_OK "]}\nMEQCIB=\n", "signature: invalid base64" },
	{ HEAD R_OK "]}\nMEQCIB5=\n", "signature: invalid base64" },
	{ HEAD R_OK "]}\nMEQCIB4=\r\n", "signature: invalid base64" },
	/* 96 base64 characters are 72 bytes, the most; 100 are too many. */
	{ HEAD R_OK "]}\n" A32 A32 A32 "\n", NULL },
	{ HEAD R_OK "]}\n" A32 A32 A32 "AAAA\n", "signature: longer than 72 bytes" },
	{ "{\"v\":1,\"gateway\":\"gw-01\",\"seq\":\"1\",\"prev\":\"" PREV0
	  "\",\"sent\":1700000060,\"readings\":[" R_OK "]}" SIG,
	  "seq: must be an integer" },
	{ "{\"v\":1,\"gateway\":\"gw-01\",\"seq\":0,\"prev\":\"" PREV0
	  "\",\"sent\":1700000060,\"readings\":[" R_OK "]}" SIG,
	  "seq: 0 out of range 1..9007199254740991" },
	{ "{\"v\":1,\"gateway\":\"gw-01\",\"seq\":1.5,\"prev\":\"" PREV0
	  "\",\"sent\":1700000060,\"readings\":[" R_OK "]}" SIG,
	  "seq: must be an integer" },
	{ "{\"v\":2,\"gateway\":\"gw-01\",\"seq\":1,\"prev\":\"" PREV0
	  "\",\"sent\":1700000060,\"readings\":[" R_OK "]}" SIG,
	  "v: unsupported version 2 (expected 1)" },
	{ "{\"v\":1,\"gateway\":\"gw/01\",\"seq\":1,\"prev\":\"" PREV0
	  "\",\"sent\":1700000060,\"readings\":[" R_OK "]}" SIG,
	  "gateway: must be 1..31 of [A-Za-z0-9._-]" },
	{ "{\"v\":1,\"gateway\":\"gw-01\",\"seq\":1,\"prev\":\"" PREV0
	  "\",\"sent\":1700000060,\"readings\":[" R_OK "],\"extra\":1}" SIG,
	  "extra: unknown key" },
	{ "{\"v\":1,\"Gateway\":\"gw-01\",\"seq\":1,\"prev\":\"" PREV0
	  "\",\"sent\":1700000060,\"readings\":[" R_OK "]}" SIG,
	  "Gateway: unknown key" },
	{ "{\"v\":1,\"gateway\":\"gw-01\",\"seq\":1,\"seq\":1,\"prev\":\"" PREV0
	  "\",\"sent\":1700000060,\"readings\":[" R_OK "]}" SIG,
	  "seq: duplicate key" },
	{ "{\"v\":1,\"gateway\":\"gw-01\",\"seq\":1,\"prev\":\"" PREV0
	  "\",\"readings\":[" R_OK "]}" SIG, "sent: missing" },
	{ "{\"v\":1,\"gateway\":\"gw-01\",\"seq\":1,\"prev\":\"00\","
	  "\"sent\":1700000060,\"readings\":[" R_OK "]}" SIG,
	  "prev: must be 64 lowercase hex digits" },
	{ "{\"v\":1,\"gateway\":\"gw-01\",\"seq\":2,\"prev\":\"" PREV0 "0"
	  "\",\"sent\":1700000060,\"readings\":[" R_OK "]}" SIG,
	  "prev: must be 64 lowercase hex digits" },
	{ "{\"v\":1,\"gateway\":\"gw-01\",\"seq\":2,\"prev\":\"A"
	  "000000000000000000000000000000000000000000000000000000000000000"
	  "\",\"sent\":1700000060,\"readings\":[" R_OK "]}" SIG,
	  "prev: must be 64 lowercase hex digits" },
	{ "{\"v\":1,\"gateway\":\"gw-01\",\"seq\":1,\"prev\":\"1"
	  "000000000000000000000000000000000000000000000000000000000000000"
	  "\",\"sent\":1700000060,\"readings\":[" R_OK "]}" SIG,
	  "prev: must be 64 zeros for seq 1" },
	{ "{\"v\":1,\"gateway\":\"gw-01\",\"seq\":1,\"prev\":\"" PREV0
	  "\",\"sent\":1099511627776,\"readings\":[" R_OK "]}" SIG,
	  "sent: 1099511627776 out of range 1..1099511627775" },
	{ HEAD "]}" SIG, "readings: must not be empty" },
	{ "{\"v\":1,\"gateway\":\"gw-01\",\"seq\":1,\"prev\":\"" PREV0
	  "\",\"sent\":1700000060,\"readings\":{}}" SIG,
	  "readings: must be an array" },
	{ HEAD "7]}" SIG, "readings[0]: must be an object" },
	{ HEAD R_OK ",{\"meter\":\"E/01\",\"point\":\"p\",\"quantity\":\"o2_pct\","
	  "\"time\":1,\"value\":1,\"status\":\"ok\"}]}" SIG,
	  "readings[1].meter: must be 1..31 of [A-Za-z0-9._-]" },
	{ HEAD "{\"meter\":\"E01\",\"point\":\"p\",\"quantity\":\"kwh\","
	  "\"time\":1,\"value\":1,\"status\":\"ok\"}]}" SIG,
	  "readings[0].quantity: unknown quantity \"kwh\"" },
	{ HEAD "{\"meter\":\"E01\",\"point\":\"p\",\"quantity\":\"o2_pct\","
	  "\"time\":1,\"value\":\"1\",\"status\":\"ok\"}]}" SIG,
	  "readings[0].value: must be a number or null" },
	{ HEAD "{\"meter\":\"E01\",\"point\":\"p\",\"quantity\":\"o2_pct\","
	  "\"time\":1,\"value\":1e999,\"status\":\"ok\"}]}" SIG,
	  "readings[0].value: must be finite" },
	{ HEAD "{\"meter\":\"E01\",\"point\":\"p\",\"quantity\":\"o2_pct\","
	  "\"time\":1,\"value\":null,\"status\":\"ok\"}]}" SIG,
	  "readings[0].value: null, but status ok carries a value" },
	{ HEAD "{\"meter\":\"E01\",\"point\":\"p\",\"quantity\":\"o2_pct\","
	  "\"time\":1,\"value\":2,\"status\":\"timeout\"}]}" SIG,
	  "readings[0].value: must be null for status timeout" },
	{ HEAD "{\"meter\":\"E01\",\"point\":\"p\",\"quantity\":\"o2_pct\","
	  "\"time\":1,\"status\":\"timeout\"}]}" SIG,
	  "readings[0].value: missing" },
	{ HEAD "{\"meter\":\"E01\",\"point\":\"p\",\"quantity\":\"o2_pct\","
	  "\"time\":1,\"value\":null,\"status\":\"exception-0\"}]}" SIG,
	  "readings[0].status: unknown status \"exception-0\"" },
	{ HEAD "{\"meter\":\"E01\",\"point\":\"p\",\"quantity\":\"o2_pct\","
	  "\"time\":0,\"value\":1,\"status\":\"ok\"}]}" SIG,
	  "readings[0].time: 0 out of range 1..1099511627775" },
	{ HEAD "{\"meter\":\"E01\",\"point\":\"p\",\"quantity\":\"o2_pct\","
	  "\"time\":1,\"value\":1,\"status\":\"ok\",\"unit\":\"%\"}]}" SIG,
	  "readings[0].unit: unknown key" },
	{ HEAD "{\"meter\":\"E01\",\"point\":\"p\",\"quantity\":\"o2_pct\","
	  "\"time\":1,\"value\":1,\"Status\":\"ok\"}]}" SIG,
	  "readings[0].Status: unknown key" },
	{ HEAD "{\"meter\":\"E\\u0030\",\"point\":\"p\",\"quantity\":\"o2_pct\","
	  "\"time\":1,\"value\":1,\"status\":\"ok\"}]}" SIG,
	  "batch: byte 148: only printable ASCII without escapes" },
	{ HEAD "{\"meter\":\"E\t\",\"point\":\"p\",\"quantity\":\"o2_pct\","
	  "\"time\":1,\"value\":1,\"status\":\"ok\"}]}" SIG,
	  "batch: byte 148: only printable ASCII without escapes" },
};

static void each_bad_payload_is_refused_with_its_reason(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < NELEM(rejects); i++) {
		struct gfi_batch *b = NULL;
		char err[256] = "";
		int ret = gfi_batch_parse(rejects[i].payload,
					  strlen(rejects[i].payload), &b, err,
					  sizeof(err));
		if (rejects[i].why == NULL) {
			if (ret != GFI_OK)
				fail_msg("case %zu: refused: %s", i, err);
			gfi_batch_free(b);
			continue;
		}
		if (ret == GFI_OK || strcmp(err, rejects[i].why) != 0) {
			print_error("case %zu: got %d \"%s\", want \"%s\"\n", i,
				    ret, err, rejects[i].why);
			failed++;
		}
		gfi_batch_free(b);
		if (ret == GFI_OK)
			continue;
		assert_true(ret < 0);
		assert_null(b);
		assert_null(strchr(err, '\n'));
	}
	assert_int_equal(failed, 0);
}

/* A payload made of n copies of item between HEAD and "]}". */
static char *repeat_payload(const char *item, size_t n, size_t *len)
{
	size_t il = strlen(item);
	size_t cap = strlen(HEAD) + n * (il + 1) + strlen("]}" SIG) + 1;
	char *p = malloc(cap);
	size_t o;

	assert_non_null(p);
	o = (size_t)sprintf(p, "%s", HEAD);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			p[o++] = ',';
		memcpy(p + o, item, il);
		o += il;
	}
	o += (size_t)sprintf(p + o, "]}" SIG);
	*len = o;
	return p;
}

static void oversize_and_overlong_payloads_are_refused(void **state)
{
	struct gfi_batch *b = NULL;
	char err[256] = "";
	size_t len;
	char *p;

	(void)state;
	/* More readings than allowed, yet under the byte limit. */
	p = repeat_payload("{}", GFI_BATCH_MAX_READINGS + 1, &len);
	assert_true(len < GFI_BATCH_MAX_BYTES);
	assert_int_equal(gfi_batch_parse(p, len, &b, err, sizeof(err)),
			 GFI_E_RANGE);
	assert_string_equal(err, "readings: 5001 readings exceed 5000");
	free(p);
	/* Exactly at the count limit the readings themselves are judged. */
	p = repeat_payload("{}", GFI_BATCH_MAX_READINGS, &len);
	assert_int_equal(gfi_batch_parse(p, len, &b, err, sizeof(err)),
			 GFI_E_INVAL);
	assert_string_equal(err, "readings[0].meter: missing");
	free(p);
	/* Over the byte limit, before anything else is looked at. */
	p = repeat_payload(R_OK, 2500, &len);
	assert_true(len > GFI_BATCH_MAX_BYTES);
	assert_int_equal(gfi_batch_parse(p, len, &b, err, sizeof(err)),
			 GFI_E_RANGE);
	snprintf(p, 64, "batch: %zu bytes exceed 262144", len);
	assert_string_equal(err, p);
	free(p);
	assert_null(b);
}

/* ---- the committed vector --------------------------------------------- */

static void the_committed_vector_parses_verifies_and_rebuilds_identically(
	void **state)
{
	struct fx *f = *state;
	const char *data = getenv("GFI_TEST_DATA");
	char path[512], pem[1024];
	struct gfi_batch *b = NULL;
	struct gfi_verifier *v = NULL;
	uint8_t hash[32];
	char err[256] = "";
	size_t len, plen, blen;
	char *payload, *pub, *again = NULL;

	if (data == NULL)
		data = "tests/data";
	snprintf(path, sizeof(path), "%s/batch/golden.payload", data);
	payload = read_all(path, &len);
	snprintf(path, sizeof(path), "%s/batch/pub.pem", data);
	pub = read_all(path, &plen);
	assert_int_equal(gfi_verifier_new(pub, plen, &v, err, sizeof(err)), GFI_OK);
	assert_int_equal(gfi_batch_parse(payload, len, &b, err, sizeof(err)),
			 GFI_OK);
	assert_int_equal(gfi_batch_verify(b, v), GFI_OK);
	/* Not with another key. */
	assert_int_equal(gfi_batch_verify(b, f->v), GFI_E_CRYPTO);
	/* Same readings, same head: the same JSON bytes (the signature differs:
	 * another key). */
	assert_int_equal(gfi_batch_build(b->gateway, b->seq, b->prev, b->sent_s,
					 b->readings, b->n, f->s, &again, &blen,
					 hash, err, sizeof(err)), GFI_OK);
	assert_memory_equal(again, b->json, b->json_len);
	assert_int_equal(again[b->json_len], '\n');
	assert_memory_equal(hash, b->hash, 32);
	/* And openssl agrees with the committed files alone. */
	snprintf(path, sizeof(path), "%s/batch", data);
	snprintf(pem, sizeof(pem), "%s/batch/golden.payload", data);
	assert_int_equal(run("cd '%s' && head -n 1 '%s' | tr -d '\\n' > g.json && "
			     "sed -n 2p '%s' | base64 -d > g.der && openssl dgst "
			     "-sha256 -verify '%s/pub.pem' -signature g.der g.json",
			     f->dir, pem, pem, path), 0);
	free(again);
	gfi_batch_free(b);
	gfi_verifier_free(v);
	free(payload);
	free(pub);
}

static void a_31_character_gateway_id_builds_and_a_budget_is_kept(void **state)
{
	struct fx *f = *state;
	const char *gw = "gw-0123456789abcdefghijklmnopqr"; /* 31 characters */
	struct gfi_reading in[50];
	uint8_t hash[32];
	struct gfi_batch *b = NULL;
	char *p = NULL, err[256] = "";
	size_t len = 0, used = 0, fit = 0;

	assert_int_equal(strlen(gw), 31);
	for (int i = 0; i < 50; i++)
		in[i] = rd("E01", "import_kwh", "elec_import_kwh", T0 + i, 1000.25 + i,
			   GFI_ST_OK, 0);
	assert_int_equal(gfi_batch_fit(gw, in, 50, 4096, &fit, err, sizeof(err)), GFI_OK);
	assert_true(fit > 0 && fit < 50);
	assert_int_equal(gfi_batch_build_upto(gw, 1, zeros, T0 + 60, in, 50, 4096, f->s,
					      &p, &len, hash, &used, err, sizeof(err)),
			 GFI_OK);
	/* One pass takes at least what the conservative fit promised. */
	assert_true(used >= fit && used < 50);
	assert_true(len <= 4096);
	assert_int_equal(gfi_batch_parse(p, len, &b, err, sizeof(err)), GFI_OK);
	assert_string_equal(b->gateway, gw);
	assert_int_equal(b->n, used);
	assert_int_equal(gfi_batch_verify(b, f->v), GFI_OK);
	assert_memory_equal(b->hash, hash, 32);
	gfi_batch_free(b);
	free(p);
	/* A budget too small for one reading is GFI_E_FULL, nothing built. */
	assert_int_equal(gfi_batch_build_upto(gw, 1, zeros, T0 + 60, in, 50, 300, f->s,
					      &p, &len, hash, &used, err, sizeof(err)),
			 GFI_E_FULL);
	assert_null(p);
	assert_int_equal(used, 0);
}

/* A signed payload of our own JSON text (for parser-only refusals). */
static char *signed_json(struct fx *f, const char *json, size_t *len)
{
	uint8_t h[32], sig[GFI_SIG_MAX];
	size_t sl = 0, n = strlen(json);
	char *p = malloc(n + 200);

	assert_non_null(p);
	gfi_sha256(json, n, h);
	assert_int_equal(gfi_sign_digest(f->s, h, sig, sizeof(sig), &sl), GFI_OK);
	memcpy(p, json, n);
	p[n] = '\n';
	/* base64 by hand: the batch module's encoder is static. */
	{
		static const char a[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		size_t o = n + 1;
		for (size_t i = 0; i < sl; i += 3) {
			uint32_t v = (uint32_t)sig[i] << 16;
			if (i + 1 < sl)
				v |= (uint32_t)sig[i + 1] << 8;
			if (i + 2 < sl)
				v |= sig[i + 2];
			p[o++] = a[(v >> 18) & 63];
			p[o++] = a[(v >> 12) & 63];
			p[o++] = i + 1 < sl ? a[(v >> 6) & 63] : '=';
			p[o++] = i + 2 < sl ? a[v & 63] : '=';
		}
		p[o++] = '\n';
		p[o] = '\0';
		*len = o;
	}
	return p;
}

static void gap_events_travel_in_the_signed_batch_and_parse_back(void **state)
{
	struct fx *f = *state;
	const struct gfi_reading in[] = {
		rd("E01", "import_kwh", "elec_import_kwh", T0, 1.5, GFI_ST_OK, 0),
	};
	struct gfi_batch_gap gaps[2];
	struct gfi_batch *b = NULL;
	uint8_t hash[32];
	char *p = NULL, err[256] = "";
	size_t len = 0, used = 0;

	memset(gaps, 0, sizeof(gaps));
	gaps[0] = (struct gfi_batch_gap){ .id = 3, .from_s = T0 - 600, .to_s = T0 - 60,
					  .count = 450 };
	snprintf(gaps[0].meter, sizeof(gaps[0].meter), "E01");
	gaps[1] = (struct gfi_batch_gap){ .id = 4, .from_s = T0 - 30, .to_s = T0 - 30,
					  .count = 1 };
	snprintf(gaps[1].meter, sizeof(gaps[1].meter), "W-2");
	assert_int_equal(gfi_batch_build_gaps("gw-1", 1, zeros, T0, in, 1, gaps, 2,
					      GFI_BATCH_MAX_BYTES, f->s, &p, &len,
					      hash, &used, err, sizeof(err)), GFI_OK);
	assert_int_equal(used, 1);
	assert_non_null(strstr(p, "],\"gaps\":[{\"id\":3,\"meter\":\"E01\","));
	assert_int_equal(gfi_batch_parse(p, len, &b, err, sizeof(err)), GFI_OK);
	assert_int_equal(gfi_batch_verify(b, f->v), GFI_OK);
	assert_int_equal(b->ngaps, 2);
	assert_int_equal(b->gaps[0].id, 3);
	assert_string_equal(b->gaps[0].meter, "E01");
	assert_int_equal(b->gaps[0].from_s, T0 - 600);
	assert_int_equal(b->gaps[0].to_s, T0 - 60);
	assert_int_equal(b->gaps[0].count, 450);
	assert_string_equal(b->gaps[1].meter, "W-2");
	gfi_batch_free(b);
	free(p);
}

static void counter_events_travel_in_the_signed_batch_and_parse_back(void **state)
{
	struct fx *f = *state;
	const struct gfi_reading in[] = {
		rd("E01", "import_kwh", "elec_import_kwh", T0, 24000, GFI_ST_OK, 0),
	};
	const struct gfi_batch_event ev = { .id = 7, .meter = "E01",
					    .point = "import_kwh", .time_s = T0,
					    .old_final = 120.25, .new_initial = 24050 };
	struct gfi_batch *b = NULL;
	uint8_t hash[32];
	char *p = NULL, err[256] = "";
	size_t len = 0, used = 0;

	assert_int_equal(gfi_batch_build_epoch("gw-1", NULL, 1, zeros, T0, in, 1, NULL, 0,
						&ev, 1, GFI_BATCH_MAX_BYTES, f->s, &p,
						&len, hash, &used, err, sizeof(err)), GFI_OK);
	assert_non_null(strstr(p, "],\"events\":[{\"id\":7,\"kind\":\"multiplier\","
			       "\"meter\":\"E01\",\"point\":\"import_kwh\",\"time\":"));
	assert_int_equal(gfi_batch_parse(p, len, &b, err, sizeof(err)), GFI_OK);
	assert_int_equal(gfi_batch_verify(b, f->v), GFI_OK);
	assert_int_equal(b->nevents, 1);
	assert_int_equal(b->events[0].id, 7);
	assert_string_equal(b->events[0].point, "import_kwh");
	assert_int_equal(b->events[0].time_s, T0);
	assert_true(b->events[0].old_final == 120.25);
	assert_true(b->events[0].new_initial == 24050);
	gfi_batch_free(b);
	free(p);
}

static void a_batch_without_gaps_is_byte_identical_to_before(void **state)
{
	struct fx *f = *state;
	const struct gfi_reading in[] = {
		rd("E01", "import_kwh", "elec_import_kwh", T0, 1.5, GFI_ST_OK, 0),
	};
	struct gfi_batch *b = NULL;
	uint8_t h1[32], h2[32];
	char *p1 = NULL, *p2 = NULL, err[256] = "";
	size_t l1 = 0, l2 = 0, used = 0;

	assert_int_equal(gfi_batch_build_upto("gw-1", 1, zeros, T0, in, 1,
					      GFI_BATCH_MAX_BYTES, f->s, &p1, &l1, h1,
					      &used, err, sizeof(err)), GFI_OK);
	assert_int_equal(gfi_batch_build_gaps("gw-1", 1, zeros, T0, in, 1, NULL, 0,
					      GFI_BATCH_MAX_BYTES, f->s, &p2, &l2, h2,
					      &used, err, sizeof(err)), GFI_OK);
	/* Signatures differ (ECDSA is randomised); the JSON and hash do not. */
	assert_memory_equal(h1, h2, 32);
	assert_null(strstr(p1, "gaps"));
	assert_int_equal(gfi_batch_parse(p1, l1, &b, err, sizeof(err)), GFI_OK);
	assert_int_equal(b->ngaps, 0);
	assert_null(b->gaps);
	gfi_batch_free(b);
	free(p1);
	free(p2);
}

static void bad_gap_events_are_refused_with_their_field(void **state)
{
	struct fx *f = *state;
	static const struct {
		const char *gaps, *why;
	} cases[] = {
		{ "\"gaps\":{}", "gaps: must be an array" },
		{ "\"gaps\":[]", "gaps: must not be empty when present" },
		{ "\"gaps\":[{\"id\":1,\"meter\":\"E01\",\"from\":5,\"to\":4,\"count\":1}]",
		  "gaps[0].to" },
		{ "\"gaps\":[{\"id\":1,\"meter\":\"E01\",\"from\":5,\"to\":6,\"count\":0}]",
		  "gaps[0].count" },
		{ "\"gaps\":[{\"id\":1,\"meter\":\"E/1\",\"from\":5,\"to\":6,\"count\":1}]",
		  "gaps[0].meter" },
		{ "\"gaps\":[{\"id\":1,\"meter\":\"E01\",\"from\":5,\"to\":6,\"count\":1,"
		  "\"x\":1}]", "gaps[0].x: unknown key" },
		{ "\"gaps\":[{\"meter\":\"E01\",\"from\":5,\"to\":6,\"count\":1}]",
		  "gaps[0].id" },
		/* counter events (issue 19), refused the same way */
		{ "\"events\":[]", "events: must not be empty when present" },
		{ "\"events\":[{\"id\":1,\"kind\":\"swap\",\"meter\":\"E01\",\"point\":\"p\","
		  "\"time\":5,\"old_final\":1,\"new_initial\":2}]", "events[0].kind" },
		{ "\"events\":[{\"id\":1,\"kind\":\"multiplier\",\"meter\":\"E01\",\"point\":\"p\","
		  "\"time\":5,\"old_final\":-1,\"new_initial\":2}]", "events[0].old_final" },
		{ "\"events\":[{\"id\":1,\"kind\":\"multiplier\",\"meter\":\"E01\",\"point\":\"p/q\","
		  "\"time\":5,\"old_final\":1,\"new_initial\":2}]", "events[0].point" },
		{ "\"events\":[{\"id\":1,\"kind\":\"multiplier\",\"meter\":\"E01\",\"point\":\"p\","
		  "\"old_final\":1,\"new_initial\":2}]", "events[0].time" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		char json[512], err[256] = "";
		struct gfi_batch *b = NULL;
		size_t len = 0;
		char *p;

		snprintf(json, sizeof(json),
			 "{\"v\":1,\"gateway\":\"gw-1\",\"seq\":1,\"prev\":\"%064d\","
			 "\"sent\":%d,\"readings\":[{\"meter\":\"E01\",\"point\":\"p\","
			 "\"quantity\":\"elec_power_kw\",\"time\":%d,\"value\":1,"
			 "\"status\":\"ok\"}],%s}", 0, T0, T0, cases[i].gaps);
		p = signed_json(f, json, &len);
		assert_int_not_equal(gfi_batch_parse(p, len, &b, err, sizeof(err)), GFI_OK);
		assert_null(b);
		if (strncmp(err, cases[i].why, strlen(cases[i].why)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err, cases[i].why);
		free(p);
	}
}

static void the_epoch_travels_signed_and_its_absence_reads_as_empty(void **state)
{
	struct fx *f = *state;
	const struct gfi_reading in[] = {
		rd("E01", "import_kwh", "elec_import_kwh", T0, 24000, GFI_ST_OK, 0),
	};
	static const char epoch[] = "00ff00ff00ff00ff00ff00ff00ff00ff";
	struct gfi_batch *b = NULL;
	uint8_t hash[32];
	char *p = NULL, err[256] = "";
	size_t len = 0, used = 0;

	assert_int_equal(gfi_batch_build_epoch("gw-1", epoch, 1, zeros, T0, in, 1,
					       NULL, 0, NULL, 0, GFI_BATCH_MAX_BYTES,
					       f->s, &p, &len, hash, &used, err,
					       sizeof(err)), GFI_OK);
	assert_non_null(strstr(p, "{\"v\":1,\"gateway\":\"gw-1\",\"epoch\":\""
			       "00ff00ff00ff00ff00ff00ff00ff00ff\",\"seq\":1,"));
	assert_int_equal(gfi_batch_parse(p, len, &b, err, sizeof(err)), GFI_OK);
	assert_int_equal(gfi_batch_verify(b, f->v), GFI_OK);
	assert_string_equal(b->epoch, epoch);
	gfi_batch_free(b);
	free(p);
	assert_int_equal(gfi_batch_build_epoch("gw-1", "", 1, zeros, T0, in, 1, NULL,
					       0, NULL, 0, GFI_BATCH_MAX_BYTES, f->s,
					       &p, &len, hash, &used, err,
					       sizeof(err)), GFI_OK);
	assert_null(strstr(p, "epoch"));
	assert_int_equal(gfi_batch_parse(p, len, &b, err, sizeof(err)), GFI_OK);
	assert_string_equal(b->epoch, "");
	gfi_batch_free(b);
	free(p);
	p = NULL;
	assert_int_equal(gfi_batch_build_epoch("gw-1", "ABC", 1, zeros, T0, in, 1,
					       NULL, 0, NULL, 0, GFI_BATCH_MAX_BYTES,
					       f->s, &p, &len, hash, &used, err,
					       sizeof(err)), GFI_E_INVAL);
	assert_string_equal(err, "epoch: must be 32 lowercase hex digits");
	assert_null(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(every_status_and_value_survives_build_and_parse),
		T(a_value_on_a_status_without_one_is_written_as_null),
		T(the_hash_chain_links_seq_2_to_seq_1),
		T(openssl_alone_verifies_the_stored_payload),
		T(a_changed_byte_parses_but_fails_verification),
		T(build_refuses_what_parse_would_refuse),
		T(fit_tells_how_many_readings_a_budget_holds),
		cmocka_unit_test(each_bad_payload_is_refused_with_its_reason),
		cmocka_unit_test(oversize_and_overlong_payloads_are_refused),
		T(the_committed_vector_parses_verifies_and_rebuilds_identically),
		T(a_31_character_gateway_id_builds_and_a_budget_is_kept),
		T(gap_events_travel_in_the_signed_batch_and_parse_back),
		T(a_batch_without_gaps_is_byte_identical_to_before),
		T(counter_events_travel_in_the_signed_batch_and_parse_back),
		T(bad_gap_events_are_refused_with_their_field),
		T(the_epoch_travels_signed_and_its_absence_reads_as_empty),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_spotcheck.c — on-site spot checks (aggregator/calc/spotcheck.c) against a
 * real store holding real signed batches (acceptance 5).
 *
 * Each test gets a temporary directory with a store, a gateway key made by
 * gfi_sign_keygen, and one counter point gw-a/E1/kwh whose readings arrive
 * as batches built by gfi_batch_build and accepted by verify_one, exactly as
 * ingest stores them: a reading every 900 s from T0, 1000 kWh rising by 10
 * each step. Tampering is done directly in SQLite, as an attacker with the
 * file would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "error.h"
#include "fixture.h"
#include "sign.h"
#include "spotcheck.h"
#include "store.h"
#include "verify.h"

#define T0 1748707200              /* 2025-06-01 00:00 Asia/Shanghai */
#define STEP_S 900
#define NBATCH 6
#define GW "gw-a"
#define UNIT "91350100M000100Y43"

struct fx {
	struct fixture fixture;
	struct store *s;                /* fixture.s */
	struct gfi_signer *signer;
};

static void registry(struct fx *f, double accuracy_pct)
{
	struct fixture_unit u = { .code = UNIT, .name = "Test Works",
				  .sector = "C3130" };
	struct fixture_gateway g = { .id = GW, .unit = UNIT, .signer = f->signer,
				     .registered_s = T0 - 86400 };

	fixture_county(f->s, "350102", "Gulou");
	fixture_plant(f->s, &u, &g, accuracy_pct);
}

/* NBATCH batches of one reading each, accepted by the real pipeline. */
static void ingest(struct fx *f)
{
	uint8_t prev[GFI_SHA256_LEN] = { 0 }, hash[GFI_SHA256_LEN];
	struct verify *v = NULL;
	char err[256];

	assert_int_equal(verify_new(f->s, 300, &v), GFI_OK);
	for (int i = 0; i < NBATCH; i++) {
		struct gfi_reading r = { .meter = "E1", .point = "kwh",
					 .quantity = "elec_import_kwh",
					 .time_s = T0 + (int64_t)i * STEP_S,
					 .value = 1000.0 + 10.0 * i, .status = GFI_ST_OK };
		struct verify_decision d;
		char *p = NULL;
		size_t len = 0;
		assert_int_equal(gfi_batch_build(GW, (uint64_t)i + 1, prev, r.time_s, &r, 1,
						 f->signer, &p, &len, hash, err,
						 sizeof(err)), GFI_OK);
		assert_int_equal(verify_one(v, "gfi/v1/" GW "/batch", p, len,
					    r.time_s + 5, &d), GFI_OK);
		assert_int_equal(d.outcome, VERIFY_ACCEPTED);
		memcpy(prev, hash, sizeof(prev));
		free(p);
	}
	verify_free(v);
}

static int setup_acc(void **state, double accuracy_pct)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fixture_open(&f->fixture, "spot");
	f->s = f->fixture.s;
	fixture_key(&f->fixture, "gw.key", &f->signer);
	registry(f, accuracy_pct);
	ingest(f);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_acc(state, 0);   /* accuracy class unknown */
}

static int setup_class1(void **state)
{
	return setup_acc(state, 1.0);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	gfi_signer_close(f->signer);
	fixture_close(&f->fixture);
	free(f);
	return 0;
}

static struct store_spotcheck judge(struct fx *f, int64_t at, double reading)
{
	struct spotcheck_input in = { .gateway = GW, .meter = "E1", .point = "kwh",
				      .at_s = at, .reading = reading,
				      .inspector = "Li Wei", .note = "",
				      .now_s = T0 + 86400, .display_resolution = NAN,
				      .register_step = NAN, .clock_uncertainty_s = NAN };
	struct store_spotcheck c;

	assert_int_equal(spotcheck_judge(f->s, &in, &c), GFI_OK);
	return c;
}

/* Run SQL with one blob parameter on the store file, as an attacker would. */
static void tamper(struct fx *f, const char *sql, const void *blob, int len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_open(f->fixture.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (blob != NULL)
		sqlite3_bind_blob(st, 1, blob, len, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The fixture's tolerance halfway between two readings 900 s apart that
 * moved 10 kWh, by hand: display 1 (the default) + register: a float32 at
 * 1015 (512..1024) resolves 2^-14 = 0.00006103515625 + clock: 10/900 kWh/s
 * x 60 s = 0.666... + interpolation 10 = 11.66672770182... */
#define FIXTURE_TOL (1.0 + 0.00006103515625 + 60.0 / 90.0 + 10.0)

static void a_reading_within_tolerance_is_consistent(void **state)
{
	struct fx *f = *state;
	/* Halfway between 1010 (T0+900) and 1020: reported 1015. */
	struct store_spotcheck c = judge(f, T0 + STEP_S + STEP_S / 2, 1015.5);

	assert_string_equal(c.verdict, "consistent");
	assert_true(c.chain_ok);
	assert_true(fabs(c.reported - 1015.0) < 1e-9);
	assert_true(fabs(c.diff - 0.5) < 1e-9);
	assert_true(fabs(c.diff_pct - 0.5 / 1015.0 * 100.0) < 1e-9);
	assert_true(fabs(c.tol.display - 1.0) < 1e-12);
	assert_true(fabs(c.tol.reg - 0.00006103515625) < 1e-12);
	assert_true(fabs(c.tol.clock - 60.0 / 90.0) < 1e-9);
	assert_true(fabs(c.tol.interp - 10.0) < 1e-9);
	assert_true(fabs(c.tol.classes) < 1e-12);
	assert_true(fabs(c.tolerance - FIXTURE_TOL) < 1e-9);
	assert_true(fabs(c.tolerance_pct - FIXTURE_TOL / 1015.0 * 100.0) < 1e-9);
	assert_non_null(strstr(c.reason, "interpolation 10"));
}

static void a_reading_beyond_tolerance_is_inconsistent(void **state)
{
	struct fx *f = *state;
	/* |1100 - 1015| = 85 > 11.67. */
	struct store_spotcheck c = judge(f, T0 + STEP_S + STEP_S / 2, 1100.0);

	assert_string_equal(c.verdict, "inconsistent");
	assert_true(c.chain_ok);
	assert_true(fabs(c.diff - 85.0) < 1e-9);
}

static void the_accuracy_class_plays_no_part_in_a_display_check(void **state)
{
	struct fx *f = *state;
	/* Class 1 registered, yet the tolerance stays 11.67: 1026 (diff 11)
	 * is consistent and 1027 (diff 12) is not; the old 1 % of the reading
	 * (10.27 more) would have passed both. */
	struct store_spotcheck c = judge(f, T0 + STEP_S + STEP_S / 2, 1026.0);

	assert_string_equal(c.verdict, "consistent");
	assert_true(fabs(c.tolerance - FIXTURE_TOL) < 1e-9);
	c = judge(f, T0 + STEP_S + STEP_S / 2, 1027.0);
	assert_string_equal(c.verdict, "inconsistent");
}

static void no_readings_around_the_time_cannot_be_judged(void **state)
{
	struct fx *f = *state;
	struct store_spotcheck c = judge(f, T0 - 3600, 1000.0);

	assert_string_equal(c.verdict, "cannot_judge");
	assert_true(isnan(c.reported));
	assert_true(c.chain_ok);
	assert_non_null(strstr(c.reason, "no readings around the time"));
	c = judge(f, T0 + (NBATCH - 1) * STEP_S + 60, 1050.0);   /* after the last */
	assert_string_equal(c.verdict, "cannot_judge");
}

static void a_tampered_stored_batch_cannot_be_judged(void **state)
{
	struct fx *f = *state;
	char *payload = NULL, *at;
	size_t len = 0;
	struct store_spotcheck c;

	c = judge(f, T0 + STEP_S + STEP_S / 2, 1015.5);
	assert_string_equal(c.verdict, "consistent");   /* before the change */
	/* One byte of batch 2's JSON: its value 1010 becomes 1011. */
	assert_int_equal(store_batch_get(f->s, GW, 2, &payload, &len), GFI_OK);
	at = strstr(payload, "1010");
	assert_non_null(at);
	at[3] = '1';
	tamper(f, "UPDATE batches SET payload = ?1 WHERE gateway = 'gw-a' AND seq = 2",
	       payload, (int)len);
	free(payload);
	c = judge(f, T0 + STEP_S + STEP_S / 2, 1015.5);
	assert_string_equal(c.verdict, "cannot_judge");
	assert_false(c.chain_ok);
	assert_non_null(strstr(c.reason, "signature invalid: batch 2"));
}

static void a_tampered_signature_cannot_be_judged(void **state)
{
	struct fx *f = *state;
	char *payload = NULL, *nl;
	size_t len = 0;
	struct store_spotcheck c;

	assert_int_equal(store_batch_get(f->s, GW, 4, &payload, &len), GFI_OK);
	nl = strchr(payload, '\n');
	assert_non_null(nl);
	nl[10] = nl[10] == 'A' ? 'B' : 'A';   /* a base64 character of the signature */
	tamper(f, "UPDATE batches SET payload = ?1 WHERE gateway = 'gw-a' AND seq = 4",
	       payload, (int)len);
	free(payload);
	c = judge(f, T0 + STEP_S / 2, 1005.0);
	assert_string_equal(c.verdict, "cannot_judge");
	assert_false(c.chain_ok);
	assert_non_null(strstr(c.reason, "batch 4"));
}

static void a_deleted_batch_breaks_the_chain(void **state)
{
	struct fx *f = *state;
	struct store_spotcheck c;

	tamper(f, "DELETE FROM batches WHERE gateway = 'gw-a' AND seq = 3", NULL, 0);
	c = judge(f, T0 + STEP_S / 2, 1005.0);
	assert_string_equal(c.verdict, "cannot_judge");
	assert_non_null(strstr(c.reason, "chain broken: batch 3 missing"));
}

static int count_row(void *ctx, const void *row)
{
	(void)row;
	(*(int *)ctx)++;
	return 0;
}

static void spot_checks_are_stored_and_listed(void **state)
{
	struct fx *f = *state;
	struct store_spotcheck c = judge(f, T0 + STEP_S / 2, 1005.0);
	int64_t id1 = 0, id2 = 0;
	int n = 0;

	snprintf(c.note, sizeof(c.note), "display photographed");
	assert_int_equal(store_spotcheck_add(f->s, &c, &id1), GFI_OK);
	c = judge(f, T0 - 3600, 1000.0);    /* NULL numbers stored as such */
	assert_int_equal(store_spotcheck_add(f->s, &c, &id2), GFI_OK);
	assert_true(id2 > id1);
	assert_int_equal(store_spotcheck_list(f->s, GW, "E1", "kwh", count_row, &n), GFI_OK);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(store_spotcheck_list(f->s, "gw-b", NULL, NULL, count_row, &n), GFI_OK);
	assert_int_equal(n, 0);
}

static void an_unregistered_point_is_refused(void **state)
{
	struct fx *f = *state;
	struct spotcheck_input in = { .gateway = GW, .meter = "E1", .point = "kvarh",
				      .at_s = T0, .reading = 1, .inspector = "x",
				      .note = "", .now_s = T0 };
	struct store_spotcheck c;

	assert_int_equal(spotcheck_judge(f->s, &in, &c), GFI_E_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_reading_within_tolerance_is_consistent, setup, teardown),
		cmocka_unit_test_setup_teardown(a_reading_beyond_tolerance_is_inconsistent, setup, teardown),
		cmocka_unit_test_setup_teardown(the_accuracy_class_plays_no_part_in_a_display_check, setup_class1, teardown),
		cmocka_unit_test_setup_teardown(no_readings_around_the_time_cannot_be_judged, setup, teardown),
		cmocka_unit_test_setup_teardown(a_tampered_stored_batch_cannot_be_judged, setup, teardown),
		cmocka_unit_test_setup_teardown(a_tampered_signature_cannot_be_judged, setup, teardown),
		cmocka_unit_test_setup_teardown(a_deleted_batch_breaks_the_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(spot_checks_are_stored_and_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(an_unregistered_point_is_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_spotcheck.c — on-site spot checks (aggregator/calc/spotcheck.c) against a
 * real store holding real signed batches (acceptance 5).
 *
 * Each test gets a temporary directory with a store, a gateway key made by
 * gfi_sign_keygen, and one counter point gw-a/E1/kwh whose readings arrive
 * as batches built by gfi_batch_build and accepted by verify_one, exactly as
 * ingest stores them: by default a reading every 900 s from T0, 1000 kWh
 * rising by 10 each step, a batch each. Issue 16's acceptance cases use two
 * more histories: live-like float32 data read every 5 s, and a meter read
 * every minute; each case is computed by hand in its comments. Tampering is
 * done directly in SQLite, as an attacker with the file would.
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
#define FOUNDRY_KWH 15352442.0     /* the demo's E01 */
#define BATCH_MAX 60

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

/* The default counter: 1000 kWh, + 10 each STEP_S. */
static double step_value(int64_t t)
{
	return 1000.0 + 10.0 * (double)((t - T0) / STEP_S);
}

/* The live-like counter: 25 kWh a minute from FOUNDRY_KWH, as the
 * simulator's float32 register holds it. */
static double true_kwh(int64_t t)
{
	return FOUNDRY_KWH + 25.0 / 60.0 * (double)(t - T0);
}

static double live_value(int64_t t)
{
	return (double)(float)true_kwh(t);
}

/* The minute meter: 10 kWh a minute from 500,000 (exact in float32). */
static double minute_value(int64_t t)
{
	return 500000.0 + 10.0 * (double)((t - T0) / 60);
}

/* n readings every step_s from T0, per_batch to a batch, accepted. */
static void ingest(struct fx *f, int n, int64_t step_s, int per_batch,
		   double (*value)(int64_t))
{
	uint8_t prev[GFI_SHA256_LEN] = { 0 }, hash[GFI_SHA256_LEN];
	struct gfi_reading r[BATCH_MAX];
	struct verify *v = NULL;
	char err[256];
	uint64_t seq = 0;

	assert_int_equal(verify_new(f->s, 300, &v), GFI_OK);
	for (int i = 0; i < n; i += per_batch) {
		int k = n - i < per_batch ? n - i : per_batch;
		struct verify_decision d;
		char *p = NULL;
		size_t len = 0;

		for (int j = 0; j < k; j++) {
			int64_t t = T0 + (int64_t)(i + j) * step_s;
			r[j] = (struct gfi_reading){ .meter = "E1", .point = "kwh",
						     .quantity = "elec_import_kwh", .time_s = t,
						     .value = value(t), .status = GFI_ST_OK };
		}
		assert_int_equal(gfi_batch_build(GW, ++seq, prev, r[k - 1].time_s, r, (size_t)k,
						 f->signer, &p, &len, hash, err, sizeof(err)),
				 GFI_OK);
		assert_int_equal(verify_one(v, "gfi/v1/" GW "/batch", p, len,
					    r[k - 1].time_s + 5, &d), GFI_OK);
		assert_int_equal(d.outcome, VERIFY_ACCEPTED);
		memcpy(prev, hash, sizeof(prev));
		free(p);
	}
	verify_free(v);
}

static int setup_with(void **state, double accuracy_pct, int n, int64_t step_s,
		      int per_batch, double (*value)(int64_t))
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fixture_open(&f->fixture, "spot");
	f->s = f->fixture.s;
	fixture_key(&f->fixture, "gw.key", &f->signer);
	registry(f, accuracy_pct);
	ingest(f, n, step_s, per_batch, value);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, 0, NBATCH, STEP_S, 1, step_value);   /* class unknown */
}

static int setup_class1(void **state)
{
	return setup_with(state, 1.0, NBATCH, STEP_S, 1, step_value);
}

/* Two hours read every 5 s, a batch a minute: 1440 readings, 120 batches
 * (a checkpoint every STORE_CHECKPOINT_EVERY = 8: 8, 16, ..., 120). */
static int setup_live(void **state)
{
	return setup_with(state, 1.0, 1440, 5, 12, live_value);
}

/* 25 hours read every minute, a batch an hour: 1500 readings, 25 batches;
 * gfi's meter of class 1. */
static int setup_minute(void **state)
{
	return setup_with(state, 1.0, 1500, 60, 60, minute_value);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	gfi_signer_close(f->signer);
	fixture_close(&f->fixture);
	free(f);
	return 0;
}

static struct spotcheck_input input(int64_t at, double reading)
{
	return (struct spotcheck_input){ .gateway = GW, .meter = "E1", .point = "kwh",
					 .at_s = at, .reading = reading,
					 .display_resolution = NAN, .register_step = NAN,
					 .clock_uncertainty_s = NAN, .inspector = "Li Wei",
					 .note = "", .now_s = T0 + 86400 };
}

static struct store_spotcheck judge_in(struct fx *f, const struct spotcheck_input *in)
{
	struct store_spotcheck c;

	assert_int_equal(spotcheck_judge(f->s, in, &c), GFI_OK);
	return c;
}

static void near(double got, double want)
{
	if (fabs(got - want) > 1e-6)
		fail_msg("%.9f is not %.9f", got, want);
}

/* c as computed by hand: verdict, reported, diff, tolerance (NaN: not
 * checked). */
static void expect(const struct store_spotcheck *c, const char *verdict,
		   double reported, double diff, double tolerance)
{
	assert_string_equal(c->verdict, verdict);
	if (!isnan(reported))
		near(c->reported, reported);
	if (!isnan(diff))
		near(c->diff, diff);
	if (!isnan(tolerance))
		near(c->tolerance, tolerance);
}

/* c's tolerance parts as computed by hand. */
static void expect_parts(const struct store_spotcheck *c, double display, double reg,
			 double clock, double interp, double classes)
{
	near(c->tol.display, display);
	near(c->tol.reg, reg);
	near(c->tol.clock, clock);
	near(c->tol.interp, interp);
	near(c->tol.classes, classes);
}

static struct store_spotcheck judge(struct fx *f, int64_t at, double reading)
{
	struct spotcheck_input in = input(at, reading);

	return judge_in(f, &in);
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

static void the_register_resolution_is_the_float32_ulp_or_the_scale(void **state)
{
	(void)state;
	/* float32 resolves 1 from 2^23 = 8,388,608 and 2 from 2^24. */
	near(spotcheck_register_resolution(SPOTCHECK_FLOAT32, FOUNDRY_KWH), 1.0);
	near(spotcheck_register_resolution(SPOTCHECK_FLOAT32, 16777216.0), 2.0);
	near(spotcheck_register_resolution(SPOTCHECK_FLOAT32, 501005.0), 0.03125);
	near(spotcheck_register_resolution(0.01, FOUNDRY_KWH), 0.01);
}

/* A check and what it must give, computed by hand. */
struct hand_case {
	const char *kind;
	int64_t at_s, from_s;
	double reading, from_reading, ref_class, display_res;
	const char *verdict;
	double reported, diff, tolerance;
	struct spotcheck_tolerance parts;
};

static void run_cases(struct fx *f, const struct hand_case *k, size_t n)
{
	for (size_t i = 0; i < n; i++, k++) {
		struct spotcheck_input in = input(k->at_s, k->reading);
		struct store_spotcheck c;

		in.kind = k->kind;
		in.from_s = k->from_s;
		in.from_reading = k->from_reading;
		in.ref_accuracy_pct = k->ref_class;
		in.display_resolution = k->display_res;
		c = judge_in(f, &in);
		assert_string_equal(c.kind, k->kind);
		assert_true(c.chain_ok);
		expect(&c, k->verdict, k->reported, k->diff, k->tolerance);
		expect_parts(&c, k->parts.display, k->parts.reg, k->parts.clock,
			     k->parts.interp, k->parts.classes);
	}
}

static const struct hand_case live_cases[] = {
	/* At T0+3617, between the readings of T0+3615 and T0+3620:
	 * true(3615) = 15352442 + 25/60 x 3615 = 15353948.25 -> float32 15353948;
	 * true(3620) = 15353950.33 -> float32 15353950; moved 2 in 5 s.
	 * reported = 15353948 + 2 x 2/5 = 15353948.8.
	 * tolerance = display 0.01 (entered) + register 1 (float32 ulp at 15.35 M)
	 *           + clock 2/5 kWh/s x 60 s = 24 + interpolation 2 = 27.01.
	 * The display shows true(3617) = 15353949.083 as 15353949.08:
	 * diff 0.28 -> consistent. */
	{ "display", T0 + 3617, 0, 15353949.08, NAN, NAN, 0.01, "consistent",
	  15353948.8, 0.28, 27.01, { 0.01, 1.0, 24.0, 2.0, 0.0 } },
	/* The true value + 100 kWh: diff 100.28 -> inconsistent. */
	{ "display", T0 + 3617, 0, 15353949.08 + 100.0, NAN, NAN, 0.01, "inconsistent",
	  15353948.8, 100.28, 27.01, { 0.01, 1.0, 24.0, 2.0, 0.0 } },
	/* The display read at T0+3617 but written down as T0+3657 (a clock
	 * 40 s off): true(3655) = 15353964.92 -> 15353965, true(3660) =
	 * 15353967; reported = 15353965 + 2 x 2/5 = 15353965.8; diff -16.72,
	 * within the same 27.01 (25 kWh/min x 40 s = 16.7: what 60 s allows). */
	{ "display", T0 + 3657, 0, 15353949.08, NAN, NAN, 0.01, "consistent",
	  15353965.8, -16.72, 27.01, { 0.01, 1.0, 24.0, 2.0, 0.0 } },
};

static const struct hand_case minute_cases[] = {
	/* Between minute 100 (501000) and 101 (501010): reported 501005.
	 * tolerance = display 1 (default) + register 2^-5 = 0.03125 (float32
	 * at 2^18..2^19) + clock 10/60 x 60 = 10 + interpolation 10 = 21.03125.
	 * One reading's movement off (501015, diff 10) is consistent; ten
	 * (501105, diff 100) is not. The registered class 1 plays no part. */
	{ "display", T0 + 100 * 60 + 30, 0, 501015.0, NAN, NAN, NAN, "consistent",
	  501005.0, 10.0, 21.03125, { 1.0, 0.03125, 10.0, 10.0, 0.0 } },
	{ "display", T0 + 100 * 60 + 30, 0, 501105.0, NAN, NAN, NAN, "inconsistent",
	  501005.0, 100.0, 21.03125, { 1.0, 0.03125, 10.0, 10.0, 0.0 } },
	/* A reference meter over a day: from T0+30 (reported 500005) to
	 * T0+86430 (between minute 1440 = 514400 and 1441: reported 514405),
	 * gfi used 14400 kWh. A class 0.5 reference meter read 2000 then 16688:
	 * it used 14688 (2 % more). tolerance = classes (1 + 0.5) % x 14688 =
	 * 220.32 + display 2 x 1 + register 2 x 0.03125 + clock 2 x 10 +
	 * interpolation 2 x 10 = 262.3825 < diff 288 -> inconsistent. */
	{ "reference", T0 + 86430, T0 + 30, 16688.0, 2000.0, 0.5, NAN, "inconsistent",
	  14400.0, 288.0, 262.3825, { 2.0, 0.0625, 20.0, 20.0, 220.32 } },
	/* 1 % more (16544, used 14544): classes 1.5 % x 14544 = 218.16,
	 * tolerance 260.2225 >= diff 144 -> consistent. */
	{ "reference", T0 + 86430, T0 + 30, 16544.0, 2000.0, 0.5, NAN, "consistent",
	  14400.0, 144.0, 260.2225, { 2.0, 0.0625, 20.0, 20.0, 218.16 } },
};

/* Live-like data read every 5 s with ±60 s clock uncertainty: the true
 * display value is consistent, true + 100 kWh is not. */
static void the_live_data_cases_computed_by_hand(void **state)
{
	run_cases(*state, live_cases, sizeof(live_cases) / sizeof(live_cases[0]));
}

/* A meter read every minute: one reading's movement off passes, ten do
 * not; a reference meter over a day. */
static void the_minute_meter_cases_computed_by_hand(void **state)
{
	run_cases(*state, minute_cases, sizeof(minute_cases) / sizeof(minute_cases[0]));
}

static void the_increase_between_two_spot_checks(void **state)
{
	struct fx *f = *state;
	/* First check at T0+30: reported 500005, display 500020 (diff 15 <=
	 * 21.03125: consistent), stored. An hour later (T0+3630, reported
	 * 500605) the display shows 500650: it rose 630, gfi 600, diff 30;
	 * tolerance both ends' parts: 2 x (1 + 0.03125 + 10 + 10) = 42.0625 ->
	 * consistent. Showing 500680 (rose 660, diff 60) -> inconsistent. */
	struct spotcheck_input in = input(T0 + 30, 500020.0);
	struct store_spotcheck c = judge_in(f, &in);
	int64_t first = 0;

	assert_string_equal(c.verdict, "consistent");
	assert_int_equal(store_spotcheck_add(f->s, &c, &first), GFI_OK);
	in = input(T0 + 3630, 500650.0);
	in.kind = "increase";
	in.since_id = first;
	c = judge_in(f, &in);
	assert_int_equal(c.since_id, first);
	assert_int_equal(c.from_s, T0 + 30);
	expect(&c, "consistent", 600.0, 30.0, 42.0625);
	in.reading = 500680.0;
	c = judge_in(f, &in);
	expect(&c, "inconsistent", 600.0, 60.0, 42.0625);
	in.since_id = first + 1;      /* no such check */
	assert_int_equal(spotcheck_judge(f->s, &in, &c), GFI_E_NOTFOUND);
	assert_string_equal(c.reason, "since: 2 is not a display spot check of this point");
	in = input(T0 + 30, 500020.0);  /* not after the first */
	in.kind = "increase";
	in.since_id = first;
	assert_int_equal(spotcheck_judge(f->s, &in, &c), GFI_E_INVAL);
	assert_string_equal(c.reason, "since: spot check 1 is not before at");
	in.kind = "reference";          /* a period running backwards */
	in.from_s = T0 + 60;
	assert_int_equal(spotcheck_judge(f->s, &in, &c), GFI_E_INVAL);
	assert_string_equal(c.reason, "from: must be before at");
}

static void an_altered_stored_reading_cannot_be_judged(void **state)
{
	struct fx *f = *state;
	struct spotcheck_input in = input(T0 + 100 * 60 + 30, 501105.0);
	struct store_spotcheck c;

	/* The readings table says 501100 where the signed batch says 501000:
	 * the display 501105 would look consistent with the altered data. */
	tamper(f, "UPDATE readings SET value = 501100 WHERE time_s = 1748713200", NULL, 0);
	c = judge_in(f, &in);
	assert_string_equal(c.verdict, "cannot_judge");
	assert_false(c.chain_ok);
	assert_non_null(strstr(c.reason, "signed batch 2 says 501000"));
}

static void only_the_segment_around_the_readings_is_re_verified(void **state)
{
	struct fx *f = *state;
	/* T0+3617 lies in batch 61 (minute 60); checkpoints 56 and 64 bound
	 * its segment 57..64. Batch 10 is outside: changed, the check still
	 * stands; batch 58 is inside: cannot_judge. */
	struct spotcheck_input in = input(T0 + 3617, 15353949.08);
	struct store_spotcheck c;

	tamper(f, "UPDATE batches SET payload = replace(payload, '\"seq\":10', "
	       "'\"seq\":11') WHERE seq = 10", NULL, 0);
	c = judge_in(f, &in);
	assert_string_equal(c.verdict, "consistent");
	in = input(T0 + 9 * 60 + 17, live_value(T0 + 9 * 60 + 17));   /* batch 10's */
	c = judge_in(f, &in);
	assert_string_equal(c.verdict, "cannot_judge");
	assert_non_null(strstr(c.reason, "batch 10"));
	in = input(T0 + 3617, 15353949.08);
	tamper(f, "DELETE FROM batches WHERE seq = 58", NULL, 0);
	c = judge_in(f, &in);
	assert_string_equal(c.verdict, "cannot_judge");
	assert_non_null(strstr(c.reason, "chain broken: batch 58 missing"));
}

static void a_checkpoint_batch_is_checked_against_its_own_checkpoint(void **state)
{
	struct fx *f = *state;
	/* T0+3810 is a reading of batch 64 (minute 63, a checkpoint): its
	 * segment is batch 64 alone, checked against its own checkpoint's hash;
	 * the segment of T0+3617 is 57..64, which checkpoint 64 closes. A
	 * changed checkpoint 64 fails both; restored, a deleted batch 60 fails
	 * only the second: the first does not walk it. */
	struct spotcheck_input own = input(T0 + 3810, live_value(T0 + 3810));
	struct spotcheck_input closed = input(T0 + 3617, 15353949.08);
	struct store_spotcheck c;

	tamper(f, "UPDATE chain_checkpoints SET hash = zeroblob(32) WHERE seq = 64", NULL, 0);
	c = judge_in(f, &own);
	assert_string_equal(c.verdict, "cannot_judge");
	assert_non_null(strstr(c.reason, "batch 64 does not hash to its checkpoint"));
	c = judge_in(f, &closed);
	assert_string_equal(c.verdict, "cannot_judge");
	assert_non_null(strstr(c.reason, "batch 64 does not hash to its checkpoint"));
	tamper(f, "UPDATE chain_checkpoints SET hash = (SELECT hash FROM batches WHERE "
	       "seq = 64) WHERE seq = 64", NULL, 0);
	tamper(f, "DELETE FROM batches WHERE seq = 60", NULL, 0);
	c = judge_in(f, &own);
	assert_string_equal(c.verdict, "consistent");
	c = judge_in(f, &closed);
	assert_string_equal(c.verdict, "cannot_judge");
	assert_non_null(strstr(c.reason, "chain broken: batch 60 missing"));
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
		cmocka_unit_test(the_register_resolution_is_the_float32_ulp_or_the_scale),
		cmocka_unit_test_setup_teardown(the_live_data_cases_computed_by_hand, setup_live, teardown),
		cmocka_unit_test_setup_teardown(the_minute_meter_cases_computed_by_hand, setup_minute, teardown),
		cmocka_unit_test_setup_teardown(the_increase_between_two_spot_checks, setup_minute, teardown),
		cmocka_unit_test_setup_teardown(an_altered_stored_reading_cannot_be_judged, setup_minute, teardown),
		cmocka_unit_test_setup_teardown(only_the_segment_around_the_readings_is_re_verified, setup_live, teardown),
		cmocka_unit_test_setup_teardown(a_checkpoint_batch_is_checked_against_its_own_checkpoint, setup_live, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

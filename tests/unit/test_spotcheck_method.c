/*
 * test_spotcheck_method.c — issue 16's acceptance cases for spot checks
 * (aggregator/calc/spotcheck.c, spotcheck_chain.c), each computed by hand
 * in the comments: a display against the reported counter on live-like
 * float32 data read every 5 s and on a meter read every minute; a reference
 * meter over a day; the increase between two spot checks; and the chain
 * re-verified only between the checkpoints around the readings.
 *
 * The readings arrive as signed batches accepted by verify_one, exactly as
 * ingest stores them; tampering is done directly in SQLite.
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
#define GW "gw-a"
#define UNIT "91350100M000100Y43"
#define FOUNDRY_KWH 15352442.0     /* the demo's E01 */
#define BATCH_MAX 60

struct fx {
	struct fixture fixture;
	struct store *s;
	struct gfi_signer *signer;
};

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

static struct fx *open_fx(void)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct fixture_unit u = { .code = UNIT, .name = "Foundry", .sector = "C3391" };
	struct fixture_gateway g = { .id = GW, .unit = UNIT, .registered_s = T0 - 86400 };

	assert_non_null(f);
	fixture_open(&f->fixture, "spotm");
	f->s = f->fixture.s;
	fixture_key(&f->fixture, "gw.key", &f->signer);
	g.signer = f->signer;
	fixture_county(f->s, "350102", "Gulou");
	fixture_plant(f->s, &u, &g, 1.0);    /* gfi's meter: class 1 */
	return f;
}

/* Two hours read every 5 s, a batch a minute: 1440 readings, 120 batches
 * (a checkpoint every STORE_CHECKPOINT_EVERY = 8: 8, 16, ..., 120). */
static int setup_live(void **state)
{
	struct fx *f = open_fx();

	ingest(f, 1440, 5, 12, live_value);
	*state = f;
	return 0;
}

/* 25 hours read every minute, a batch an hour: 1500 readings, 25 batches. */
static int setup_minute(void **state)
{
	struct fx *f = open_fx();

	ingest(f, 1500, 60, 60, minute_value);
	*state = f;
	return 0;
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
					 .clock_uncertainty_s = NAN, .inspector = "gulou",
					 .note = "", .now_s = T0 + 2 * 86400 };
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

/* Run SQL on the store file, as an attacker would. */
static void tamper(struct fx *f, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(f->fixture.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
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

static void live_data_true_display_is_consistent_plus_100_is_not(void **state)
{
	struct fx *f = *state;
	/* At T0+3617, between the readings of T0+3615 and T0+3620:
	 * true(3615) = 15352442 + 25/60 x 3615 = 15353948.25 -> float32 15353948;
	 * true(3620) = 15353950.33 -> float32 15353950; moved 2 in 5 s.
	 * reported = 15353948 + 2 x 2/5 = 15353948.8.
	 * tolerance = display 0.01 (entered) + register 1 (float32 ulp at 15.35 M)
	 *           + clock 2/5 kWh/s x 60 s = 24 + interpolation 2 = 27.01.
	 * The display shows true(3617) = 15353949.083 as 15353949.08:
	 * diff 0.28 -> consistent; + 100 kWh: diff 100.28 -> inconsistent. */
	struct spotcheck_input in = input(T0 + 3617, 15353949.08);
	struct store_spotcheck c;

	in.display_resolution = 0.01;
	c = judge_in(f, &in);
	near(c.reported, 15353948.8);
	near(c.tol.display, 0.01);
	near(c.tol.reg, 1.0);
	near(c.tol.clock, 24.0);
	near(c.tol.interp, 2.0);
	near(c.tolerance, 27.01);
	near(c.diff, 0.28);
	assert_string_equal(c.verdict, "consistent");
	assert_true(c.chain_ok);
	in.reading += 100.0;
	c = judge_in(f, &in);
	near(c.diff, 100.28);
	assert_string_equal(c.verdict, "inconsistent");
}

static void live_data_a_clock_40_s_off_is_within_the_60_s(void **state)
{
	struct fx *f = *state;
	/* The display read at T0+3617 (15353949.08) but written down as
	 * T0+3657: true(3655) = 15353964.92 -> 15353965, true(3660) = 15353967;
	 * reported = 15353965 + 2 x 2/5 = 15353965.8; diff -16.72, within the
	 * same 27.01 (25 kWh/min x 40 s = 16.7 is what 60 s allows for). */
	struct spotcheck_input in = input(T0 + 3657, 15353949.08);
	struct store_spotcheck c;

	in.display_resolution = 0.01;
	c = judge_in(f, &in);
	near(c.reported, 15353965.8);
	near(c.diff, -16.72);
	near(c.tolerance, 27.01);
	assert_string_equal(c.verdict, "consistent");
}

static void a_minute_meter_one_reading_off_passes_ten_do_not(void **state)
{
	struct fx *f = *state;
	/* Between minute 100 (501000) and 101 (501010): reported 501005.
	 * tolerance = display 1 (default) + register 2^-5 = 0.03125 (float32
	 * at 2^18..2^19) + clock 10/60 x 60 = 10 + interpolation 10 = 21.03125.
	 * One reading's movement off (501015, diff 10) is consistent; ten
	 * (501105, diff 100) is not. The registered class 1 plays no part. */
	struct spotcheck_input in = input(T0 + 100 * 60 + 30, 501015.0);
	struct store_spotcheck c = judge_in(f, &in);

	near(c.reported, 501005.0);
	near(c.tolerance, 21.03125);
	near(c.tol.classes, 0.0);
	assert_string_equal(c.verdict, "consistent");
	in.reading = 501105.0;
	c = judge_in(f, &in);
	near(c.diff, 100.0);
	assert_string_equal(c.verdict, "inconsistent");
}

static void a_reference_meter_over_a_day(void **state)
{
	struct fx *f = *state;
	/* From T0+30 (reported 500005) to T0+86430 (between minute 1440 =
	 * 514400 and 1441: reported 514405): gfi used 14400 kWh. A class 0.5
	 * reference meter read 2000 then 16688: it used 14688 (2 % more).
	 * tolerance = classes (1 + 0.5) % x 14688 = 220.32 + display 2 x 1
	 *           + register 2 x 0.03125 + clock 2 x 10 + interpolation 2 x 10
	 *           = 262.3825 < diff 288 -> inconsistent.
	 * 1 % more (16544, used 14544): classes 1.5 % x 14544 = 218.16,
	 * tolerance 260.2225 >= diff 144 -> consistent. */
	struct spotcheck_input in = input(T0 + 86430, 16688.0);
	struct store_spotcheck c;

	in.kind = "reference";
	in.from_s = T0 + 30;
	in.from_reading = 2000.0;
	in.ref_accuracy_pct = 0.5;
	c = judge_in(f, &in);
	assert_string_equal(c.kind, "reference");
	near(c.reported, 14400.0);
	near(c.diff, 288.0);
	near(c.tol.classes, 220.32);
	near(c.tol.display, 2.0);
	near(c.tol.reg, 0.0625);
	near(c.tol.clock, 20.0);
	near(c.tol.interp, 20.0);
	near(c.tolerance, 262.3825);
	assert_string_equal(c.verdict, "inconsistent");
	in.reading = 16544.0;
	c = judge_in(f, &in);
	near(c.tolerance, 260.2225);
	assert_string_equal(c.verdict, "consistent");
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
	near(c.reported, 600.0);
	near(c.diff, 30.0);
	near(c.tolerance, 42.0625);
	assert_string_equal(c.verdict, "consistent");
	in.reading = 500680.0;
	c = judge_in(f, &in);
	near(c.diff, 60.0);
	assert_string_equal(c.verdict, "inconsistent");
	in.since_id = first + 1;      /* no such check */
	assert_int_equal(spotcheck_judge(f->s, &in, &c), GFI_E_NOTFOUND);
}

static void an_altered_stored_reading_cannot_be_judged(void **state)
{
	struct fx *f = *state;
	struct spotcheck_input in = input(T0 + 100 * 60 + 30, 501105.0);
	struct store_spotcheck c;

	/* The readings table says 501100 where the signed batch says 501000:
	 * the display 501105 would look consistent with the altered data. */
	tamper(f, "UPDATE readings SET value = 501100 WHERE time_s = 1748713200");
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
	       "'\"seq\":11') WHERE seq = 10");
	c = judge_in(f, &in);
	assert_string_equal(c.verdict, "consistent");
	in = input(T0 + 9 * 60 + 17, live_value(T0 + 9 * 60 + 17));   /* batch 10's */
	c = judge_in(f, &in);
	assert_string_equal(c.verdict, "cannot_judge");
	assert_non_null(strstr(c.reason, "batch 10"));
	in = input(T0 + 3617, 15353949.08);
	tamper(f, "DELETE FROM batches WHERE seq = 58");
	c = judge_in(f, &in);
	assert_string_equal(c.verdict, "cannot_judge");
	assert_non_null(strstr(c.reason, "chain broken: batch 58 missing"));
}

static void a_changed_checkpoint_batch_cannot_be_judged(void **state)
{
	struct fx *f = *state;
	struct spotcheck_input in = input(T0 + 3617, 15353949.08);
	struct store_spotcheck c;

	/* Batch 64 closes the segment: its hash must be the checkpoint's. */
	tamper(f, "UPDATE chain_checkpoints SET hash = zeroblob(32) WHERE seq = 64");
	c = judge_in(f, &in);
	assert_string_equal(c.verdict, "cannot_judge");
	assert_non_null(strstr(c.reason, "batch 64 does not hash to its checkpoint"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_register_resolution_is_the_float32_ulp_or_the_scale),
		cmocka_unit_test_setup_teardown(live_data_true_display_is_consistent_plus_100_is_not, setup_live, teardown),
		cmocka_unit_test_setup_teardown(live_data_a_clock_40_s_off_is_within_the_60_s, setup_live, teardown),
		cmocka_unit_test_setup_teardown(a_minute_meter_one_reading_off_passes_ten_do_not, setup_minute, teardown),
		cmocka_unit_test_setup_teardown(a_reference_meter_over_a_day, setup_minute, teardown),
		cmocka_unit_test_setup_teardown(the_increase_between_two_spot_checks, setup_minute, teardown),
		cmocka_unit_test_setup_teardown(an_altered_stored_reading_cannot_be_judged, setup_minute, teardown),
		cmocka_unit_test_setup_teardown(only_the_segment_around_the_readings_is_re_verified, setup_live, teardown),
		cmocka_unit_test_setup_teardown(a_changed_checkpoint_batch_cannot_be_judged, setup_live, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

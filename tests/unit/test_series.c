/*
 * test_series.c — period totals of one meter point (aggregator/calc/series.c).
 *
 * Each case puts readings into a fresh store with store_reading_add (no
 * batches, no signatures) and states the total worked out by hand:
 * interpolation at a month and a year boundary (Asia/Shanghai midnight,
 * 16:00 UTC), a rollover at the register maximum, a registered replacement,
 * a reset, a silence of ten days, and gauge trapezoids. Then random series
 * check that the rollup path equals the raw path (the reference).
 * GFI_TEST_SEED replays a random run; the seed used is printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "fixture.h"
#include "period.h"
#include "series.h"
#include "store.h"

#define JAN2025 1735660800   /* 2025-01-01 00:00 +08 = 2024-12-31 16:00 UTC */
#define FEB2025 1738339200
#define H 3600
#define DAY 86400
#define UNIT "91350100M000100Y43"

static void registry(struct store *s)
{
	struct fixture_unit u = { .code = UNIT, .name = "Plant" };
	struct fixture_gateway g = { .id = "gw-a", .unit = UNIT, .pubkey_pem = "test" };

	fixture_county(s, "350102", "Gulou");
	fixture_plant(s, &u, &g, 0);
}

static int setup(void **state)
{
	struct fixture *f;

	fixture_setup(state);
	f = *state;
	registry(f->s);
	return 0;
}

static const struct series_key KWH = { "gw-a", "E1", "kwh" };
static const struct series_key KW = { "gw-a", "E1", "kw" };

static void add_status(struct fixture *f, const char *point, int64_t t, double v,
		       int status)
{
	struct gfi_reading r;
	int inserted = 0;

	memset(&r, 0, sizeof(r));
	snprintf(r.meter, sizeof(r.meter), "E1");
	snprintf(r.point, sizeof(r.point), "%s", point);
	snprintf(r.quantity, sizeof(r.quantity), "%s",
		 strcmp(point, "kw") == 0 ? "elec_power_kw" : "elec_import_kwh");
	r.time_s = t;
	r.value = status == GFI_ST_TIMEOUT ? NAN : v;
	r.status = status;
	assert_int_equal(store_reading_add(f->s, "gw-a", &r, &inserted), GFI_OK);
	assert_int_equal(inserted, 1);
}

static void add(struct fixture *f, int64_t t, double v)
{
	add_status(f, "kwh", t, v, GFI_ST_OK);
}

/* Both paths, which must agree, and return the rollup path's total. */
static struct series_total total(struct fixture *f, int64_t t0, int64_t t1,
				 double counter_max, int64_t interval)
{
	struct series_total a, b;

	assert_int_equal(series_counter_total(f->s, &KWH, t0, t1, counter_max,
					      interval, &a), GFI_OK);
	assert_int_equal(series_counter_total_raw(f->s, &KWH, t0, t1, counter_max,
						  interval, &b), GFI_OK);
	assert_float_equal(a.value, b.value, 1e-9 * fmax(1, fabs(b.value)));
	assert_int_equal(a.has_value, b.has_value);
	assert_int_equal(a.extrapolated, b.extrapolated);
	assert_int_equal(a.resets, b.resets);
	assert_int_equal(a.rollovers, b.rollovers);
	assert_int_equal(a.replacements, b.replacements);
	assert_float_equal(a.completeness, b.completeness, 1e-12);
	assert_int_equal(a.split_gap, b.split_gap);
	return a;
}

/* Hourly readings at :30, 20 kWh each hour, except the hour straddling the
 * end of January, 40 kWh: the counter is 110 at 2025-01-01 00:00 +08
 * (halfway from 100 to 120) and v744 + 20 = 15000 at 02-01 00:00. */
static void month_total_interpolates_at_shanghai_midnight(void **state)
{
	struct fixture *f = *state;
	struct series_total t;
	int64_t t0, t1;

	assert_int_equal(period_bounds(2025, 1, &t0, &t1), GFI_OK);
	assert_int_equal(t0, JAN2025);
	assert_int_equal(store_begin(f->s), GFI_OK);
	for (int k = 0; k <= 744; k++)
		add(f, t0 - 1800 + (int64_t)k * H, 100 + 20.0 * k);
	add(f, t0 - 1800 + 745 * H, 100 + 20.0 * 744 + 40);
	assert_int_equal(store_commit(f->s), GFI_OK);

	t = total(f, t0, t1, 0, H);
	assert_true(t.has_value);
	assert_float_equal(t.value, 15000 - 110, 1e-9);
	assert_false(t.extrapolated);
	assert_float_equal(t.completeness, 1.0, 1e-12);   /* 744 of 744 */
	assert_int_equal(t.resets + t.rollovers + t.replacements, 0);
}

/* Two readings around the new year: 1000 at 2024-12-31 22:30 +08 and 1400
 * at 2025-01-01 00:30 +08, so 1300 at midnight: 2024 gets 300, 2025 gets
 * 100, both extrapolated (nothing on the far side). */
static void year_boundary_splits_the_step_across_midnight(void **state)
{
	struct fixture *f = *state;
	struct series_total t;
	int64_t y0, y1, before = 0, after = 0;
	double v = 0;

	assert_int_equal(store_begin(f->s), GFI_OK);
	add(f, JAN2025 - 5400, 1000);
	add(f, JAN2025 + 1800, 1400);
	assert_int_equal(store_commit(f->s), GFI_OK);

	assert_int_equal(period_bounds(2024, 0, &y0, &y1), GFI_OK);
	t = total(f, y0, y1, 0, H);
	assert_float_equal(t.value, 300, 1e-9);
	assert_true(t.extrapolated);
	assert_int_equal(period_bounds(2025, 0, &y0, &y1), GFI_OK);
	t = total(f, y0, y1, 0, H);
	assert_float_equal(t.value, 100, 1e-9);
	assert_true(t.extrapolated);

	assert_int_equal(series_counter_at(f->s, &KWH, JAN2025, 0, &v, &before,
					   &after), GFI_OK);
	assert_float_equal(v, 1300, 1e-9);
	assert_int_equal(before, JAN2025 - 5400);
	assert_int_equal(after, JAN2025 + 1800);
	assert_int_equal(series_counter_at(f->s, &KWH, JAN2025 + 7200, 0, &v,
					   &before, &after), GFI_E_NOTFOUND);
}

/* 99800, 99900, 99980, 30 (rollover), 130 with counter_max 100000:
 * 100 + 80 + (30 + 100000 - 99980 = 50) + 100 = 330. */
static void rollover_adds_the_register_maximum(void **state)
{
	struct fixture *f = *state;
	static const double v[] = { 99800, 99900, 99980, 30, 130 };
	struct series_total t;
	int64_t t0 = JAN2025 + 10 * H, at, before, after;
	double val = 0;

	assert_int_equal(store_begin(f->s), GFI_OK);
	for (int k = 0; k < 5; k++)
		add_status(f, "kwh", t0 + k * H, v[k],
			   k == 3 ? GFI_ST_ROLLOVER : GFI_ST_OK);
	assert_int_equal(store_commit(f->s), GFI_OK);

	t = total(f, t0, t0 + 4 * H, 100000, H);
	assert_float_equal(t.value, 330, 1e-9);
	assert_int_equal(t.rollovers, 1);
	assert_int_equal(t.resets, 0);
	assert_false(t.extrapolated);
	/* Halfway through the wrap: 99980 + 25 = 100005 shows as 5. */
	at = t0 + 2 * H + 1800;
	assert_int_equal(series_counter_at(f->s, &KWH, at, 100000, &val, &before,
					   &after), GFI_OK);
	assert_float_equal(val, 5, 1e-9);
	/* Without a known maximum the drop is a reset. */
	t = total(f, t0, t0 + 4 * H, 0, H);
	assert_float_equal(t.value, 280, 1e-9);
	assert_int_equal(t.resets, 1);
}

/* 500, 600; swapped at +1.5 h (old final 650, new initial 10); 40, 140:
 * 100 + (650 - 600) + (40 - 10) + 100 = 280. */
static void replacement_splits_the_series(void **state)
{
	struct fixture *f = *state;
	struct reg_replacement r = { .gateway = "gw-a", .meter = "E1",
				     .point = "kwh", .old_final = 650,
				     .new_initial = 10 };
	struct series_total t;
	int64_t t0 = JAN2025 + 5 * DAY, before, after;
	double v = 0;

	r.time_s = t0 + H + 1800;
	assert_int_equal(store_replacement_add(f->s, &r), GFI_OK);
	assert_int_equal(store_begin(f->s), GFI_OK);
	add(f, t0, 500);
	add(f, t0 + H, 600);
	add_status(f, "kwh", t0 + 2 * H, 40, GFI_ST_BACKWARDS);
	add(f, t0 + 3 * H, 140);
	assert_int_equal(store_commit(f->s), GFI_OK);

	t = total(f, t0, t0 + 3 * H, 0, H);
	assert_float_equal(t.value, 280, 1e-9);
	assert_int_equal(t.replacements, 1);
	assert_int_equal(t.resets, 0);
	/* The display: old meter at 600 + 50 x 0.5 before the swap, new one
	 * at 10 + 30 x 0.5 after it. */
	assert_int_equal(series_counter_at(f->s, &KWH, t0 + H + 900, 0, &v, &before,
					   &after), GFI_OK);
	assert_float_equal(v, 625, 1e-9);
	assert_int_equal(series_counter_at(f->s, &KWH, t0 + H + 2700, 0, &v, &before,
					   &after), GFI_OK);
	assert_float_equal(v, 25, 1e-9);
}

/* 500, 600, 5 (unexplained drop), 105: 100 + 0 + 100 = 200, never less. */
static void reset_counts_zero_never_negative(void **state)
{
	struct fixture *f = *state;
	struct series_total t;
	int64_t t0 = JAN2025 + 3 * DAY + 4 * H;

	assert_int_equal(store_begin(f->s), GFI_OK);
	add(f, t0, 500);
	add(f, t0 + H, 600);
	add_status(f, "kwh", t0 + 2 * H, 5, GFI_ST_BACKWARDS);
	add(f, t0 + 3 * H, 105);
	assert_int_equal(store_commit(f->s), GFI_OK);

	t = total(f, t0, t0 + 3 * H, 0, H);
	assert_float_equal(t.value, 200, 1e-9);
	assert_int_equal(t.resets, 1);
	assert_true(t.value >= 0);
}

/* Hourly for one day (0..240), silent ten days, hourly for a day from 1000:
 * over twelve days the counter still spans the gap, 1240 - 0; 49 of 288
 * hourly readings are present. */
static void ten_day_gap_is_spanned_and_completeness_drops(void **state)
{
	struct fixture *f = *state;
	struct series_total t;
	int64_t t0 = JAN2025 + 2 * DAY;

	assert_int_equal(store_begin(f->s), GFI_OK);
	for (int k = 0; k <= 24; k++)
		add(f, t0 + k * H, 10.0 * k);
	for (int k = 0; k <= 24; k++)
		add(f, t0 + 11 * DAY + k * H, 1000 + 10.0 * k);
	add_status(f, "kwh", t0 + 5 * DAY, 0, GFI_ST_TIMEOUT);
	assert_int_equal(store_commit(f->s), GFI_OK);

	t = total(f, t0, t0 + 12 * DAY, 0, H);
	assert_float_equal(t.value, 1240, 1e-9);
	assert_float_equal(t.completeness, 49.0 / 288.0, 1e-12);
	assert_false(t.extrapolated);
	/* The silence alone: 760 spread over ten days and one hour. */
	t = total(f, t0 + 2 * DAY, t0 + 7 * DAY, 0, H);
	assert_float_equal(t.value, 760.0 * 5 * DAY / (10 * DAY + 0 * H), 1e-9);
	assert_float_equal(t.completeness, 0, 0);
	/* After the last reading, or before the first, nothing is known:
	 * no value, not 0. */
	t = total(f, t0 + 13 * DAY, t0 + 14 * DAY, 0, H);
	assert_false(t.has_value);
	t = total(f, t0 - 3 * DAY, t0 - 2 * DAY, 0, H);
	assert_false(t.has_value);
}

/* kW 10 at 0, 20 at 600, 20 at 1200, 40 at 5000; max gap 900; over
 * [300, 5000): (15+20)/2 x 300 + 20 x 600 = 17250, 3800 s missing. */
static void gauge_trapezoids_clip_and_leave_holes(void **state)
{
	struct fixture *f = *state;
	struct series_total t;
	int64_t b = JAN2025 + 7 * H;

	assert_int_equal(store_begin(f->s), GFI_OK);
	add_status(f, "kw", b, 10, GFI_ST_OK);
	add_status(f, "kw", b + 600, 20, GFI_ST_OK);
	add_status(f, "kw", b + 1200, 20, GFI_ST_OK);
	add_status(f, "kw", b + 5000, 40, GFI_ST_OK);
	assert_int_equal(store_commit(f->s), GFI_OK);
	assert_int_equal(series_gauge_integral(f->s, &KW, b + 300, b + 5000, 900,
					       600, &t), GFI_OK);
	assert_true(t.has_value);
	assert_float_equal(t.value, 17250, 1e-9);
	assert_int_equal(t.missing_s, 3800);
}

/* Random counters over forty days: irregular polls, bad readings, flagged
 * resets and rollovers, late readings; every random period must give the
 * same total by the rollup path as by the raw path. */
static void rollup_path_equals_raw_path_on_random_data(void **state)
{
	struct fixture *f = *state;
	const char *env = getenv("GFI_TEST_SEED");
	unsigned seed = env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
	double v = 1000, cmax = 50000;
	int64_t t = JAN2025 - 3 * DAY;

	printf("seed %u\n", seed);
	srand(seed);
	assert_int_equal(store_begin(f->s), GFI_OK);
	while (t < JAN2025 + 37 * DAY) {
		int status = GFI_ST_OK, r = rand() % 200;
		t += 300 + rand() % 3000;
		if (rand() % 500 == 0)
			t += (int64_t)(rand() % 5) * DAY;   /* a silence */
		if (r == 0) {
			v = rand() % 50;                       /* a reset */
			status = GFI_ST_BACKWARDS;
		} else if (r == 1 || v > cmax) {
			v = fmod(v + rand() % 100, cmax);     /* a wrap */
			status = GFI_ST_ROLLOVER;
		} else if (r == 2) {
			status = GFI_ST_TIMEOUT;
		} else {
			v += (rand() % 10000) / 100.0;
		}
		add_status(f, "kwh", t, v, status);
	}
	assert_int_equal(store_commit(f->s), GFI_OK);
	for (int i = 0; i < 60; i++) {
		int64_t t0 = JAN2025 - 5 * DAY + rand() % (45 * DAY);
		int64_t len = i % 3 == 0 ? (1 + rand() % 20) * DAY
					 : 1 + rand() % (30 * DAY);
		if (i % 4 == 0)   /* whole local days, the usual period */
			t0 = JAN2025 + (t0 - JAN2025) / DAY * DAY;
		(void)total(f, t0, t0 + len, i % 2 ? cmax : 0, 1800);
	}
}

/* Hourly to Jan 31 20:00, silent until Feb 1 04:00, hourly again: the
 * eight-hour gap across the month boundary is interpolated on both sides,
 * so January and February are each marked split_gap; a two-hour step (one
 * missed poll) across a bound is not a gap, nor is a silence inside the
 * period, nor are periods the silence does not touch. */
static void gap_across_a_month_boundary_marks_both_months(void **state)
{
	struct fixture *f = *state;
	struct series_total t;
	int64_t mid = JAN2025 + 15 * DAY;

	assert_int_equal(store_begin(f->s), GFI_OK);
	for (int64_t x = JAN2025 - DAY; x <= FEB2025 + 2 * DAY; x += H) {
		int in_gap = x > FEB2025 - 4 * H && x < FEB2025 + 4 * H;
		int missed = x == mid;   /* one missed poll at Jan 16 00:00 */
		if (!in_gap && !missed)
			add(f, x, (double)(x - JAN2025) / H);
	}
	assert_int_equal(store_commit(f->s), GFI_OK);

	t = total(f, JAN2025, FEB2025, 0, H);
	assert_true(t.split_gap);
	assert_float_equal(t.value, 31 * 24, 1e-9);   /* linear: still exact */
	t = total(f, FEB2025, FEB2025 + DAY, 0, H);
	assert_true(t.split_gap);
	t = total(f, JAN2025, mid, 0, H);               /* one missed poll */
	assert_false(t.split_gap);
	t = total(f, FEB2025 - DAY, FEB2025 + DAY, 0, H); /* gap inside */
	assert_false(t.split_gap);
	t = total(f, JAN2025 + 2 * DAY, JAN2025 + 3 * DAY, 0, H);
	assert_false(t.split_gap);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(month_total_interpolates_at_shanghai_midnight),
		T(year_boundary_splits_the_step_across_midnight),
		T(rollover_adds_the_register_maximum),
		T(replacement_splits_the_series),
		T(reset_counts_zero_never_negative),
		T(ten_day_gap_is_spanned_and_completeness_drops),
		T(gap_across_a_month_boundary_marks_both_months),
		T(gauge_trapezoids_clip_and_leave_holes),
		T(rollup_path_equals_raw_path_on_random_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

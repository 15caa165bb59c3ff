/*
 * test_rollup.c — the daily rollups kept at ingest (aggregator/store/store_ingest.c)
 * against a simple reference model.
 *
 * Readings go into a real store through store_reading_add, in time order,
 * out of order, with duplicates, bad readings (no value), silences longer
 * than ROLLUP_MAX_GAP_S (900 s) and days cut at Asia/Shanghai midnight
 * (16:00 UTC). After each step every rollup row is compared with one the
 * test recomputes from the raw readings it inserted: count, bad, first and
 * last (value and time), min, max and the gauge integral (trapezoids between
 * consecutive valid readings of the day at most 900 s apart).
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

#include "error.h"
#include "fixture.h"
#include "store.h"

#define MIDNIGHT 1764518400   /* 2025-11-30 16:00 UTC = 2025-12-01 00:00 +08 */
#define MAX_GAP_S 900
#define MAXR 4096

struct raw {
	int64_t t;
	double v;      /* NaN: no value */
	int point;     /* 0 counter, 1 gauge */
};

struct fx {
	struct fixture fixture;
	struct store *s;       /* fixture.s */
	struct raw r[MAXR];    /* unique (point, time) inserted */
	size_t n;
};

static const char *const points[2] = { "kwh", "kw" };
static const char *const quantities[2] = { "elec_import_kwh", "elec_power_kw" };

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	fixture_open(&f->fixture, "rollup");
	f->s = f->fixture.s;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	fixture_close(&f->fixture);
	free(f);
	return 0;
}

/* Insert one reading; the model remembers it when the store says new. */
static void add(struct fx *f, int point, int64_t t, double v)
{
	struct gfi_reading r;
	int inserted = -1, known = 0;

	memset(&r, 0, sizeof(r));
	snprintf(r.meter, sizeof(r.meter), "E1");
	snprintf(r.point, sizeof(r.point), "%s", points[point]);
	snprintf(r.quantity, sizeof(r.quantity), "%s", quantities[point]);
	r.time_s = t;
	r.value = v;
	r.status = isnan(v) ? GFI_ST_TIMEOUT : GFI_ST_OK;
	for (size_t i = 0; i < f->n; i++)
		known |= f->r[i].point == point && f->r[i].t == t;
	assert_int_equal(store_begin(f->s), GFI_OK);
	assert_int_equal(store_reading_add(f->s, "gw-a", &r, &inserted), GFI_OK);
	assert_int_equal(store_commit(f->s), GFI_OK);
	assert_int_equal(inserted, !known);
	if (!known) {
		assert_true(f->n < MAXR);
		f->r[f->n++] = (struct raw){ t, v, point };
	}
}

/* The reference: Asia/Shanghai day of t, computed independently. */
static int64_t ref_day(int64_t t)
{
	int64_t local = t + 8 * 3600;
	int64_t d = local / 86400 - (local % 86400 < 0);
	return d * 86400 - 8 * 3600;
}

static int by_time(const void *a, const void *b)
{
	const struct raw *x = a, *y = b;
	return (x->t > y->t) - (x->t < y->t);
}

/* The rollup of (point, day) recomputed from the model's raw readings. */
static struct rollup reference(const struct fx *f, int point, int64_t day)
{
	struct raw sorted[MAXR];
	struct rollup ro;
	size_t m = 0;
	int have = 0;

	memset(&ro, 0, sizeof(ro));
	for (size_t i = 0; i < f->n; i++)
		if (f->r[i].point == point && ref_day(f->r[i].t) == day)
			sorted[m++] = f->r[i];
	qsort(sorted, m, sizeof(sorted[0]), by_time);
	for (size_t i = 0; i < m; i++) {
		if (isnan(sorted[i].v)) {
			ro.bad++;
			continue;
		}
		if (!have) {
			ro.first_s = sorted[i].t;
			ro.first_v = ro.min_v = ro.max_v = sorted[i].v;
		} else {
			if (point == 1 && sorted[i].t - ro.last_s <= MAX_GAP_S)
				ro.integral += (ro.last_v + sorted[i].v) / 2 *
					       (double)(sorted[i].t - ro.last_s);
			ro.min_v = fmin(ro.min_v, sorted[i].v);
			ro.max_v = fmax(ro.max_v, sorted[i].v);
		}
		ro.last_s = sorted[i].t;
		ro.last_v = sorted[i].v;
		ro.count++;
		have = 1;
	}
	return ro;
}

struct seen {
	const struct fx *f;
	size_t rows;
};

static int compare_row(void *ctx, const void *row)
{
	struct seen *sn = ctx;
	const struct rollup *got = row;
	int point = strcmp(got->point, "kw") == 0;
	struct rollup want = reference(sn->f, point, got->day_s);

	sn->rows++;
	assert_int_equal(got->day_s, ref_day(got->day_s));
	assert_int_equal(got->count, want.count);
	assert_int_equal(got->bad, want.bad);
	if (want.count > 0) {
		assert_int_equal(got->first_s, want.first_s);
		assert_int_equal(got->last_s, want.last_s);
		assert_true(got->first_v == want.first_v);
		assert_true(got->last_v == want.last_v);
		assert_true(got->min_v == want.min_v);
		assert_true(got->max_v == want.max_v);
	}
	if (fabs(got->integral - want.integral) > 1e-9 * fmax(1.0, fabs(want.integral)))
		fail_msg("integral %.17g, reference %.17g (day %lld, point %s)",
			 got->integral, want.integral, (long long)got->day_s, got->point);
	return 0;
}

/* Every stored rollup equals the reference, and there is one per
 * (point, day) the model has. */
static void check_all(const struct fx *f)
{
	struct seen sn = { f, 0 };
	int64_t days[2][64];
	size_t nd[2] = { 0, 0 }, want = 0;

	assert_int_equal(store_rollups(f->s, "gw-a", NULL, NULL, MIDNIGHT - 30 * 86400,
				       MIDNIGHT + 30 * 86400, compare_row, &sn), GFI_OK);
	for (size_t i = 0; i < f->n; i++) {
		int p = f->r[i].point, dup = 0;
		int64_t d = ref_day(f->r[i].t);
		for (size_t k = 0; k < nd[p]; k++)
			dup |= days[p][k] == d;
		if (!dup && nd[p] < 64)
			days[p][nd[p]++] = d;
	}
	want = nd[0] + nd[1];
	assert_int_equal(sn.rows, want);
}

/* ---- tests ---- */

static void the_day_starts_at_shanghai_midnight(void **state)
{
	struct fx *f = *state;
	struct seen sn = { f, 0 };

	add(f, 0, MIDNIGHT - 1, 10.0);   /* 23:59:59 local, the day before */
	add(f, 0, MIDNIGHT, 11.0);       /* 00:00:00 local */
	add(f, 1, MIDNIGHT - 1, 4.0);
	add(f, 1, MIDNIGHT + 1, 6.0);    /* no trapezoid across midnight */
	check_all(f);
	assert_int_equal(store_rollups(f->s, "gw-a", NULL, NULL, MIDNIGHT, MIDNIGHT + 86400,
				       compare_row, &sn), GFI_OK);
	assert_int_equal(sn.rows, 2);    /* only the new day's rows */
}

static void a_counter_keeps_first_and_last_also_when_late(void **state)
{
	struct fx *f = *state;

	add(f, 0, MIDNIGHT + 3600, 100.0);
	add(f, 0, MIDNIGHT + 7200, 110.0);
	check_all(f);
	add(f, 0, MIDNIGHT + 1800, 95.0);     /* late, earlier than first */
	add(f, 0, MIDNIGHT + 5400, 105.0);    /* late, in the middle */
	add(f, 0, MIDNIGHT + 9000, 120.0);    /* after last */
	add(f, 0, MIDNIGHT + 5400, 999.0);    /* duplicate: ignored */
	add(f, 0, MIDNIGHT + 600, NAN);       /* no value: bad */
	check_all(f);
}

static void a_gauge_integrates_trapezoids_and_skips_long_silences(void **state)
{
	struct fx *f = *state;
	struct seen sn = { f, 0 };

	add(f, 1, MIDNIGHT + 0, 10.0);
	add(f, 1, MIDNIGHT + 60, 20.0);          /* 900 */
	add(f, 1, MIDNIGHT + 960, 20.0);         /* gap exactly 900: 18000 */
	add(f, 1, MIDNIGHT + 1861, 30.0);        /* gap 901: not integrated */
	add(f, 1, MIDNIGHT + 1921, NAN);         /* bad: no effect on trapezoids */
	add(f, 1, MIDNIGHT + 1981, 40.0);        /* 120 s from 30: 4200 */
	check_all(f);
	assert_int_equal(store_rollups(f->s, "gw-a", NULL, NULL, MIDNIGHT, MIDNIGHT + 1,
				       compare_row, &sn), GFI_OK);
	assert_int_equal(sn.rows, 1);
	{
		struct rollup want = reference(f, 1, MIDNIGHT);
		assert_true(fabs(want.integral - (900.0 + 18000.0 + 4200.0)) < 1e-9);
	}
	add(f, 1, MIDNIGHT + 30, 0.0);           /* out of order: recomputed */
	add(f, 1, MIDNIGHT + 1400, 25.0);        /* splits the long silence */
	check_all(f);
}

static void random_out_of_order_readings_over_three_days_match_the_reference(void **state)
{
	struct fx *f = *state;
	unsigned seed = (unsigned)strtoul(getenv("GFI_TEST_SEED") ? getenv("GFI_TEST_SEED")
								    : "4242", NULL, 10);
	int64_t t0 = MIDNIGHT - 6 * 3600;

	printf("seed %u\n", seed);
	srand(seed);
	for (int i = 0; i < 1500; i++) {
		int point = rand() % 2;
		int64_t t = t0 + (int64_t)(rand() % (3 * 86400 / 60)) * 60 + rand() % 3;
		double v = rand() % 10 == 0 ? NAN : (double)(rand() % 100000) / 100.0;
		add(f, point, t, v);
		if (i % 250 == 249)
			check_all(f);
	}
	check_all(f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(the_day_starts_at_shanghai_midnight),
		T(a_counter_keeps_first_and_last_also_when_late),
		T(a_gauge_integrates_trapezoids_and_skips_long_silences),
		T(random_out_of_order_readings_over_three_days_match_the_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_ingest_fold.c — store_readings_add (a batch's readings in one call,
 * each (series, day) rollup read and written once) against
 * store_reading_add one reading at a time (the rollup row read and rewritten
 * for every reading), on two stores fed the same readings.
 *
 * The readings are random: a counter and a gauge over three Asia/Shanghai
 * days, in order and out of order, duplicates (in one call and across
 * calls), readings without a value, flagged statuses (backwards, jump,
 * rollover), silences longer than the 900 s trapezoid limit. Calls are cut
 * at random sizes, some rolled back and repeated. Every rollup row must be
 * equal bit for bit (count, bad, flagged, first/last, min/max, integral),
 * and so must the readings each store reports as new.
 * GFI_TEST_SEED replays a run; the seed used is printed.
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
#include "store.h"

#define MIDNIGHT 1764518400   /* 2025-11-30 16:00 UTC = 2025-12-01 00:00 +08 */
#define NREAD 3000
#define MAXROWS 64

struct fx {
	struct fixture fixture;      /* its store is the per-reading one */
	struct store *one, *batch;   /* per reading; per call */
	struct gfi_reading held[NREAD];  /* the model: readings committed */
	size_t nheld;
};

static const char *const points[2] = { "kwh", "kw" };
static const char *const quantities[2] = { "elec_import_kwh", "elec_power_kw" };

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char p[FIXTURE_PATH_MAX];

	assert_non_null(f);
	fixture_open(&f->fixture, "fold");
	f->one = f->fixture.s;
	fixture_path(&f->fixture, "batch.db", p, sizeof(p));
	assert_int_equal(store_open(p, &f->batch), GFI_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->batch);
	fixture_close(&f->fixture);
	free(f);
	return 0;
}

static double rnd(void)
{
	return (double)rand() / ((double)RAND_MAX + 1.0);
}

/* Reading i of the run: mostly marching forward, sometimes back. */
static struct gfi_reading make(int64_t *clock)
{
	static const int statuses[] = { GFI_ST_OK, GFI_ST_OK, GFI_ST_OK, GFI_ST_OK,
		GFI_ST_OK, GFI_ST_OK, GFI_ST_TIMEOUT, GFI_ST_BACKWARDS, GFI_ST_JUMP,
		GFI_ST_ROLLOVER, GFI_ST_DECODE };
	struct gfi_reading r;
	int point = rand() % 2;
	double u = rnd();

	memset(&r, 0, sizeof(r));
	snprintf(r.meter, sizeof(r.meter), "E1");
	snprintf(r.point, sizeof(r.point), "%s", points[point]);
	snprintf(r.quantity, sizeof(r.quantity), "%s", quantities[point]);
	if (u < 0.80)
		*clock += 30 + rand() % 60;
	else if (u < 0.85)
		*clock += 901 + rand() % 3000;   /* a silence: no trapezoid */
	r.time_s = u < 0.90 ? *clock : *clock - rand() % 7200; /* late or dup */
	r.status = statuses[rand() % (int)(sizeof(statuses) / sizeof(statuses[0]))];
	r.value = gfi_status_has_value(r.status) ? 1000.0 * rnd() + 0.1 * (double)(rand() % 7)
						 : NAN;
	return r;
}

struct rows {
	struct rollup r[MAXROWS];
	size_t n;
};

static int collect(void *ctx, const void *row)
{
	struct rows *x = ctx;
	assert_true(x->n < MAXROWS);
	x->r[x->n++] = *(const struct rollup *)row;
	return 0;
}

static void same_double(double a, double b)
{
	if (isnan(a) || isnan(b))
		assert_true(isnan(a) && isnan(b));
	else
		assert_memory_equal(&a, &b, sizeof(a));
}

static int by_time(const void *a, const void *b)
{
	const struct gfi_reading *x = a, *y = b;
	return (x->time_s > y->time_s) - (x->time_s < y->time_s);
}

static int flagged(int status)
{
	return status == GFI_ST_BACKWARDS || status == GFI_ST_JUMP ||
	       status == GFI_ST_ROLLOVER;
}

/* The rollup of x's (point, day) from the model's raw readings, written
 * independently: trapezoids of the gauge between consecutive valid readings
 * at most 900 s apart, added in time order. */
static void assert_matches_model(const struct fx *f, const struct rollup *x)
{
	static struct gfi_reading day[NREAD];
	size_t n = 0;
	int64_t count = 0, bad = 0, flags = 0, last_s = 0;
	double integral = 0, last_v = 0, min_v = 0, max_v = 0, first_v = 0;

	for (size_t i = 0; i < f->nheld; i++) {
		if (strcmp(f->held[i].point, x->point) == 0 && f->held[i].time_s >= x->day_s &&
		    f->held[i].time_s < x->day_s + 86400)
			day[n++] = f->held[i];
	}
	qsort(day, n, sizeof(day[0]), by_time);
	for (size_t i = 0; i < n; i++) {
		double v = day[i].value;
		flags += flagged(day[i].status);
		if (!gfi_status_has_value(day[i].status)) {
			bad++;
			continue;
		}
		if (count == 0) {
			first_v = min_v = max_v = v;
		} else {
			if (strcmp(x->point, "kw") == 0 && day[i].time_s - last_s <= 900)
				integral += (last_v + v) / 2.0 * (double)(day[i].time_s - last_s);
			min_v = v < min_v ? v : min_v;
			max_v = v > max_v ? v : max_v;
		}
		last_s = day[i].time_s;
		last_v = v;
		count++;
	}
	assert_int_equal(x->count, count);
	assert_int_equal(x->bad, bad);
	assert_int_equal(x->flagged, flags);
	if (count > 0) {
		assert_int_equal(x->last_s, last_s);
		same_double(x->first_v, first_v);
		same_double(x->last_v, last_v);
		same_double(x->min_v, min_v);
		same_double(x->max_v, max_v);
	}
	same_double(x->integral, integral);
}

static void assert_same_rollups(struct fx *f)
{
	struct rows a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(store_rollups(f->one, "gw-a", NULL, NULL, MIDNIGHT - 86400,
				       MIDNIGHT + 10 * 86400, collect, &a), GFI_OK);
	assert_int_equal(store_rollups(f->batch, "gw-a", NULL, NULL, MIDNIGHT - 86400,
				       MIDNIGHT + 10 * 86400, collect, &b), GFI_OK);
	assert_true(a.n >= 1);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		const struct rollup *x = &a.r[i], *y = &b.r[i];
		assert_string_equal(x->point, y->point);
		assert_int_equal(x->day_s, y->day_s);
		assert_int_equal(x->count, y->count);
		assert_int_equal(x->bad, y->bad);
		assert_int_equal(x->flagged, y->flagged);
		assert_int_equal(x->first_s, y->first_s);
		assert_int_equal(x->last_s, y->last_s);
		same_double(x->first_v, y->first_v);
		same_double(x->last_v, y->last_v);
		same_double(x->min_v, y->min_v);
		same_double(x->max_v, y->max_v);
		same_double(x->integral, y->integral);
		assert_matches_model(f, y);
	}
}

/* Feed rs[0..n) to both stores; the batch store in one call. */
static void feed(struct fx *f, const struct gfi_reading *rs, size_t n, int commit)
{
	const struct gfi_reading *p[NREAD];
	unsigned char ins[NREAD], got[NREAD];
	size_t stored = 0, one = 0;

	assert_int_equal(store_begin(f->one), GFI_OK);
	assert_int_equal(store_begin(f->batch), GFI_OK);
	for (size_t i = 0; i < n; i++) {
		int inserted = -1;
		p[i] = &rs[i];
		assert_int_equal(store_reading_add(f->one, "gw-a", &rs[i], &inserted), GFI_OK);
		ins[i] = (unsigned char)inserted;
		one += (size_t)inserted;
	}
	assert_int_equal(store_readings_add(f->batch, "gw-a", p, n, got, &stored), GFI_OK);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i], ins[i]);
	assert_int_equal(stored, one);
	if (commit) {
		for (size_t i = 0; i < n; i++) {
			if (ins[i]) {
				assert_true(f->nheld < NREAD);
				f->held[f->nheld++] = rs[i];
			}
		}
		assert_int_equal(store_commit(f->one), GFI_OK);
		assert_int_equal(store_commit(f->batch), GFI_OK);
	} else {
		store_rollback(f->one);
		store_rollback(f->batch);
	}
}

static void batch_fold_equals_reading_by_reading(void **state)
{
	struct fx *f = *state;
	static struct gfi_reading rs[NREAD];
	const char *env = getenv("GFI_TEST_SEED");
	unsigned seed = env != NULL ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
	int64_t clock = MIDNIGHT - 3600;
	size_t done = 0;

	printf("GFI_TEST_SEED=%u\n", seed);
	srand(seed);
	for (size_t i = 0; i < NREAD; i++)
		rs[i] = make(&clock);
	assert_true(clock > MIDNIGHT + 2 * 86400);  /* three days at least */
	while (done < NREAD) {
		size_t n = 1 + (size_t)(rand() % 400);
		if (n > NREAD - done)
			n = NREAD - done;
		if (rand() % 8 == 0)  /* rolled back: nothing of it may stay */
			feed(f, rs + done, n, 0);
		feed(f, rs + done, n, 1);
		assert_same_rollups(f);
		done += n;
	}
	/* The whole run again, out of order: every reading is a duplicate. */
	feed(f, rs + NREAD / 2, NREAD / 2, 1);
	assert_same_rollups(f);
}

/* A late reading into a day that already has a rollup, in a call of its
 * own and with later ones of the same day: the day is recomputed once. */
static void late_reading_recomputes_the_day(void **state)
{
	struct fx *f = *state;
	struct gfi_reading rs[4];
	int64_t t[4] = { MIDNIGHT + 600, MIDNIGHT + 1200, MIDNIGHT + 900, MIDNIGHT + 1500 };
	double v[4] = { 10.0, 20.0, 15.0, 30.0 };
	struct rows b;

	for (int i = 0; i < 4; i++) {
		memset(&rs[i], 0, sizeof(rs[i]));
		snprintf(rs[i].meter, sizeof(rs[i].meter), "E1");
		snprintf(rs[i].point, sizeof(rs[i].point), "kw");
		snprintf(rs[i].quantity, sizeof(rs[i].quantity), "elec_power_kw");
		rs[i].time_s = t[i];
		rs[i].value = v[i];
	}
	feed(f, rs, 2, 1);
	feed(f, rs + 2, 2, 1);
	assert_same_rollups(f);
	memset(&b, 0, sizeof(b));
	assert_int_equal(store_rollups(f->batch, "gw-a", "E1", "kw", MIDNIGHT,
				       MIDNIGHT + 86400, collect, &b), GFI_OK);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.r[0].count, 4);
	/* 600..900 at (10+15)/2, 900..1200 at (15+20)/2, 1200..1500 at 25 */
	assert_true(b.r[0].integral == 300.0 * 12.5 + 300.0 * 17.5 + 300.0 * 25.0);
	assert_int_equal(b.r[0].last_s, MIDNIGHT + 1500);
	assert_true(b.r[0].min_v == 10.0 && b.r[0].max_v == 30.0);
}

/* A valued status without a finite value refuses the whole call. */
static void non_finite_value_stores_nothing(void **state)
{
	struct fx *f = *state;
	struct gfi_reading rs[2];
	const struct gfi_reading *p[2] = { &rs[0], &rs[1] };
	size_t stored = 9;
	struct rows b;

	memset(rs, 0, sizeof(rs));
	for (int i = 0; i < 2; i++) {
		snprintf(rs[i].meter, sizeof(rs[i].meter), "E1");
		snprintf(rs[i].point, sizeof(rs[i].point), "kw");
		snprintf(rs[i].quantity, sizeof(rs[i].quantity), "elec_power_kw");
		rs[i].time_s = MIDNIGHT + 60 * i;
	}
	rs[0].value = 1.0;
	rs[1].value = INFINITY;
	assert_int_equal(store_begin(f->batch), GFI_OK);
	assert_int_equal(store_readings_add(f->batch, "gw-a", p, 2, NULL, &stored),
			 GFI_E_RANGE);
	assert_int_equal(stored, 0);
	assert_int_equal(store_commit(f->batch), GFI_OK);
	memset(&b, 0, sizeof(b));
	assert_int_equal(store_rollups(f->batch, "gw-a", NULL, NULL, MIDNIGHT - 86400,
				       MIDNIGHT + 86400, collect, &b), GFI_OK);
	assert_int_equal(b.n, 0);
}

static void add_one(struct store *s, const char *point, const char *quantity,
		    int64_t t, int commit)
{
	struct gfi_reading r;
	int inserted = 0;

	memset(&r, 0, sizeof(r));
	snprintf(r.meter, sizeof(r.meter), "E1");
	snprintf(r.point, sizeof(r.point), "%s", point);
	snprintf(r.quantity, sizeof(r.quantity), "%s", quantity);
	r.time_s = t;
	r.value = 5.0;
	assert_int_equal(store_begin(s), GFI_OK);
	assert_int_equal(store_reading_add(s, "gw-a", &r, &inserted), GFI_OK);
	assert_int_equal(inserted, 1);
	if (commit)
		assert_int_equal(store_commit(s), GFI_OK);
	else
		store_rollback(s);
}

/* A series created in a rolled-back transaction is forgotten: its id is
 * taken by the next new series, which must not receive its readings. */
static void rolled_back_series_is_forgotten(void **state)
{
	struct fx *f = *state;
	struct rows b;

	add_one(f->batch, "kwh", "elec_import_kwh", MIDNIGHT + 60, 0);
	add_one(f->batch, "kw", "elec_power_kw", MIDNIGHT + 120, 1);
	add_one(f->batch, "kwh", "elec_import_kwh", MIDNIGHT + 180, 1);
	memset(&b, 0, sizeof(b));
	assert_int_equal(store_rollups(f->batch, "gw-a", NULL, NULL, MIDNIGHT,
				       MIDNIGHT + 86400, collect, &b), GFI_OK);
	assert_int_equal(b.n, 2);
	assert_string_equal(b.r[0].point, "kw");
	assert_int_equal(b.r[0].count, 1);
	assert_int_equal(b.r[0].first_s, MIDNIGHT + 120);
	assert_string_equal(b.r[1].point, "kwh");
	assert_int_equal(b.r[1].count, 1);
	assert_int_equal(b.r[1].first_s, MIDNIGHT + 180);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(batch_fold_equals_reading_by_reading,
						setup, teardown),
		cmocka_unit_test_setup_teardown(late_reading_recomputes_the_day, setup,
						teardown),
		cmocka_unit_test_setup_teardown(non_finite_value_stores_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(rolled_back_series_is_forgotten, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

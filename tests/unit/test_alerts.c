/*
 * test_alerts.c — alert rules (aggregator/calc/alerts.c) on a real store
 * (acceptance 4): each rule fires on a crafted state and stays quiet on its
 * control; evaluating again never duplicates; ack and resolve record who.
 *
 * Two units of sector C3011: A ("bad") and B (its control), each with a
 * gateway and a counter point. Indicator values come through the
 * alerts_evaluate seam from crafted periods (A deteriorates, B does not), so
 * the rules are tested on exact numbers; the store rules (silence, counter
 * anomalies, missing table) run on real store rows. One test runs the real
 * indicators_compute end to end. The clock is passed in.
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

#include "alerts.h"
#include "error.h"
#include "fixture.h"
#include "indicators.h"
#include "store.h"

#define NOW 1746028800             /* 2025-05-01 00:00 Asia/Shanghai */
#define APRIL15_NOON 1744689600    /* 2025-04-15 12:00 Asia/Shanghai */
#define UNIT_A "91350100M000100Y43"
#define UNIT_B "91350100M000200X19"  /* valid check digit not needed here */
#define GW_A "gw-a"
#define GW_B "gw-b"

struct fx {
	struct fixture fixture;
	struct store *s;                /* fixture.s */
	struct alert_rules rules;
};

/* A batch row received at received_s (alerts read only received_s) and
 * readings of E1/kwh with the given statuses, one an hour from t. */
static void put_data(struct fx *f, const char *gw, int64_t received_s, int64_t t,
		     const int *status, int n)
{
	uint8_t hash[32] = { 1 };
	int inserted;

	assert_int_equal(store_begin(f->s), GFI_OK);
	assert_int_equal(store_batch_add(f->s, gw, 1, hash, "x", 1, received_s), GFI_OK);
	for (int i = 0; i < n; i++) {
		struct gfi_reading r = { .meter = "E1", .point = "kwh",
					 .quantity = "elec_import_kwh",
					 .time_s = t + i * 3600, .value = 100.0 + i,
					 .status = status[i] };
		if (status[i] == GFI_ST_BACKWARDS)
			r.value = 50.0;
		assert_int_equal(store_reading_add(f->s, gw, &r, &inserted), GFI_OK);
	}
	assert_int_equal(store_commit(f->s), GFI_OK);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	static const int clean[4] = { 0, 0, 0, 0 };
	static const int flagged[4] = { 0, GFI_ST_BACKWARDS, 0, GFI_ST_JUMP };

	assert_non_null(f);
	fixture_open(&f->fixture, "alerts");
	f->s = f->fixture.s;
	fixture_county(f->s, "350102", "Gulou");
	fixture_works(f->s, UNIT_A, "350102", "C3011", GW_A, NOW - 400 * 86400);
	fixture_works(f->s, UNIT_B, "350102", "C3011", GW_B, NOW - 400 * 86400);
	/* A: silent for 2 h, counter flagged backwards and jump this year.
	 * B: heard a minute ago, clean counter. */
	put_data(f, GW_A, NOW - 7200, NOW - 10 * 86400, flagged, 4);
	put_data(f, GW_B, NOW - 60, NOW - 10 * 86400, clean, 4);
	/* B filed its 2024 table; A did not. */
	assert_int_equal(store_filing_put(f->s, UNIT_B, 2024, "Chen", NOW - 86400), GFI_OK);
	alerts_rules_default(&f->rules);
	f->rules.nlimits = 1;
	snprintf(f->rules.limits[0].sector, sizeof(f->rules.limits[0].sector), "C3011");
	f->rules.limits[0].indicator = IND_ENERGY_EQUIV_TCE;
	f->rules.limits[0].max = 1000;
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

static void set(struct ind_value *v, double value, double completeness)
{
	v->value = value;
	v->has_value = 1;
	v->completeness = completeness;
	v->provenance = PROV_METERED;
}

/* Crafted indicators. Unit A: energy per product up 12 % on the year and
 * 10 % over the rolling 12 months, 1500 tce (limit 1000), completeness 80 %
 * in the year and in March 2025. Unit B: +1 %, flat, 500 tce, 99 %. */
static int crafted(void *ctx, struct store *s, const char *unit, int year,
		   int month, struct ind_period *p)
{
	int bad = strcmp(unit, UNIT_A) == 0;
	/* Months from May 2024 on are the recent 12. */
	int recent = year * 12 + month >= 2024 * 12 + 5;

	(void)ctx;
	(void)s;
	memset(p, 0, sizeof(*p));
	snprintf(p->unit, sizeof(p->unit), "%s", unit);
	p->year = year;
	p->month = month;
	set(&p->v[IND_OUTPUT], month ? 100.0 : 1200.0, 1);
	if (month == 0) {
		set(&p->v[IND_ENERGY_PER_PRODUCT], bad ? 112.0 : 101.0, 1);
		p->v[IND_ENERGY_PER_PRODUCT].has_yoy = 1;
		p->v[IND_ENERGY_PER_PRODUCT].yoy_pct = bad ? 12.0 : 1.0;
		set(&p->v[IND_ENERGY_EQUIV_TCE], bad ? 1500.0 : 500.0, 1);
		set(&p->v[IND_COMPLETENESS_PCT], bad ? 80.0 : 99.0, 1);
		return GFI_OK;
	}
	set(&p->v[IND_ENERGY_PER_PRODUCT], bad && recent ? 110.0 : 100.0, 1);
	set(&p->v[IND_COMPLETENESS_PCT],
	    bad && year == 2025 && month == 3 ? 80.0 : 99.5, 1);
	return GFI_OK;
}

struct found {
	const char *unit, *rule, *state;
	int n;
	struct store_alert last;
};

static int match(void *ctx, const void *row)
{
	struct found *f = ctx;
	const struct store_alert *a = row;

	if ((f->unit == NULL || strcmp(a->unit, f->unit) == 0) &&
	    (f->rule == NULL || strcmp(a->rule, f->rule) == 0) &&
	    (f->state == NULL || strcmp(a->state, f->state) == 0)) {
		f->n++;
		f->last = *a;
	}
	return 0;
}

static struct found alerts_of(struct fx *f, const char *unit, const char *rule,
			      const char *state)
{
	struct found r = { unit, rule, state, 0, { 0 } };
	assert_int_equal(store_alert_list(f->s, NULL, match, &r), GFI_OK);
	return r;
}

static struct alerts_summary evaluate(struct fx *f, int64_t now)
{
	struct alerts_summary sum;
	assert_int_equal(alerts_evaluate(f->s, &f->rules, now, crafted, NULL, &sum), GFI_OK);
	return sum;
}

static void every_rule_fires_on_the_bad_unit_and_not_on_its_control(void **state)
{
	struct fx *f = *state;
	static const char *const rules[] = { "deterioration_yoy", "deterioration_12m",
					     "sector_limit", "gateway_silent",
					     "counter_anomaly", "table_missing" };
	struct alerts_summary sum = evaluate(f, NOW);
	struct found a;

	assert_int_equal(sum.units, 2);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		assert_int_equal(alerts_of(f, UNIT_A, rules[i], "open").n, 1);
		assert_int_equal(alerts_of(f, UNIT_B, rules[i], NULL).n, 0);
	}
	/* Completeness: the year 2024 and March 2025. */
	assert_int_equal(alerts_of(f, UNIT_A, "completeness", "open").n, 2);
	assert_int_equal(alerts_of(f, UNIT_B, "completeness", NULL).n, 0);
	a = alerts_of(f, UNIT_A, "deterioration_yoy", NULL);
	assert_string_equal(a.last.subject, ind_def(IND_ENERGY_PER_PRODUCT)->key);
	assert_string_equal(a.last.period, "2024");
	assert_true(fabs(a.last.value - 12.0) < 1e-9);
	assert_true(fabs(a.last.threshold - 5.0) < 1e-9);
	a = alerts_of(f, UNIT_A, "deterioration_12m", NULL);
	assert_true(fabs(a.last.value - 10.0) < 1e-9);
	a = alerts_of(f, UNIT_A, "gateway_silent", NULL);
	assert_string_equal(a.last.subject, GW_A);
	assert_true(fabs(a.last.value - 7200.0) < 1e-9);
	a = alerts_of(f, UNIT_A, "counter_anomaly", NULL);
	assert_string_equal(a.last.subject, "gw-a/E1/kwh");
	assert_true(a.last.value >= 2.0);
	a = alerts_of(f, UNIT_A, "table_missing", NULL);
	assert_string_equal(a.last.period, "2024");
	assert_int_equal(a.last.first_seen_s, NOW);
}

/* Unit A's figures as crafted(), but its gas meter is silent in 2024 and in
 * March 2025: energy per product lacks that input there (missing bit 0). */
static int crafted_silent_gas(void *ctx, struct store *s, const char *unit,
			      int year, int month, struct ind_period *p)
{
	int ret = crafted(ctx, s, unit, year, month, p);
	int silent = strcmp(unit, UNIT_A) == 0 &&
		     ((year == 2024 && month == 0) || (year == 2025 && month == 3));

	if (ret == GFI_OK && silent) {
		struct ind_missing *m = &p->missing[0];
		snprintf(m->unit, sizeof(m->unit), "%s", unit);
		snprintf(m->point, sizeof(m->point), "gw-a/G1/m3");
		snprintf(m->carrier, sizeof(m->carrier), "natural_gas");
		m->kind = MISSING_NO_READINGS;
		p->nmissing = 1;
		p->v[IND_ENERGY_PER_PRODUCT].missing = 1u;
		p->v[IND_ENERGY_PER_PRODUCT].estimated = 1;
	}
	return ret;
}

static void a_missing_input_is_a_data_alert_never_a_change(void **state)
{
	struct fx *f = *state;
	struct alerts_summary sum;
	struct found a;

	assert_int_equal(alerts_evaluate(f->s, &f->rules, NOW, crafted_silent_gas,
					 NULL, &sum), GFI_OK);
	/* The same figures fire both deterioration rules without the silence
	 * (every_rule_fires_...); with it, neither reads them. */
	assert_int_equal(alerts_of(f, UNIT_A, "deterioration_yoy", NULL).n, 0);
	assert_int_equal(alerts_of(f, UNIT_A, "deterioration_12m", NULL).n, 0);
	assert_int_equal(alerts_of(f, UNIT_A, "missing_input", "open").n, 2);
	assert_int_equal(alerts_of(f, UNIT_B, "missing_input", NULL).n, 0);
	a = alerts_of(f, UNIT_A, "missing_input", NULL);
	assert_string_equal(a.last.subject, "gw-a/G1/m3");
	assert_non_null(strstr(a.last.detail, "natural_gas"));
	assert_non_null(strstr(a.last.detail, "no_readings"));
	/* The meter reports again: the missing_input alerts are resolved. */
	evaluate(f, NOW + 600);
	assert_int_equal(alerts_of(f, UNIT_A, "missing_input", "open").n, 0);
	assert_int_equal(alerts_of(f, UNIT_A, "missing_input", "resolved").n, 2);
}

static void thresholds_come_from_the_rules(void **state)
{
	struct fx *f = *state;

	f->rules.threshold_pct = 15.0;       /* 12 % and 10 % are now fine */
	f->rules.max_silence_s = 3 * 3600;
	f->rules.completeness_pct = 70.0;
	f->rules.limits[0].max = 2000;
	evaluate(f, NOW);
	assert_int_equal(alerts_of(f, UNIT_A, "deterioration_yoy", NULL).n, 0);
	assert_int_equal(alerts_of(f, UNIT_A, "deterioration_12m", NULL).n, 0);
	assert_int_equal(alerts_of(f, UNIT_A, "gateway_silent", NULL).n, 0);
	assert_int_equal(alerts_of(f, UNIT_A, "completeness", NULL).n, 0);
	assert_int_equal(alerts_of(f, UNIT_A, "sector_limit", NULL).n, 0);
}

static void evaluating_again_never_duplicates(void **state)
{
	struct fx *f = *state;
	struct alerts_summary first = evaluate(f, NOW), again;
	int total = alerts_of(f, NULL, NULL, NULL).n;

	assert_int_equal(first.created, first.raised);
	again = evaluate(f, NOW + 600);
	assert_int_equal(again.created, 0);
	assert_int_equal(again.raised, first.raised);
	assert_int_equal(again.resolved, 0);
	assert_int_equal(alerts_of(f, NULL, NULL, NULL).n, total);
	/* last_seen moves, first_seen stays. */
	assert_int_equal(alerts_of(f, UNIT_A, "table_missing", NULL).last.first_seen_s, NOW);
	assert_int_equal(alerts_of(f, UNIT_A, "table_missing", NULL).last.last_seen_s,
			 NOW + 600);
}

static void the_table_is_missing_only_after_april_15(void **state)
{
	struct fx *f = *state;

	evaluate(f, APRIL15_NOON);
	assert_int_equal(alerts_of(f, UNIT_A, "table_missing", NULL).n, 0);
	evaluate(f, NOW);
	assert_int_equal(alerts_of(f, UNIT_A, "table_missing", "open").n, 1);
}

static void a_cleared_condition_is_resolved_by_gfi(void **state)
{
	struct fx *f = *state;
	struct found a;

	evaluate(f, NOW);
	assert_int_equal(store_filing_put(f->s, UNIT_A, 2024, "Zhang", NOW + 60), GFI_OK);
	assert_int_equal(store_filing_held(f->s, UNIT_A, 2024), 1);
	assert_int_equal(evaluate(f, NOW + 120).resolved, 1);
	a = alerts_of(f, UNIT_A, "table_missing", NULL);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.last.state, "resolved");
	assert_string_equal(a.last.changed_by, "gfi");
	assert_int_equal(a.last.changed_s, NOW + 120);
	/* Still resolved, and not raised again, on the next evaluation. */
	assert_int_equal(evaluate(f, NOW + 180).resolved, 0);
	assert_int_equal(alerts_of(f, UNIT_A, "table_missing", NULL).n, 1);
}

static void ack_and_resolve_record_who_and_when(void **state)
{
	struct fx *f = *state;
	struct found a;
	struct store_alert got;
	int64_t id;

	evaluate(f, NOW);
	a = alerts_of(f, UNIT_A, "gateway_silent", NULL);
	id = a.last.id;
	assert_int_equal(store_alert_set_state(f->s, id, "acknowledged", "Li Wei", NOW + 10),
			 GFI_OK);
	assert_int_equal(store_alert_get(f->s, id, &got), GFI_OK);
	assert_string_equal(got.state, "acknowledged");
	assert_string_equal(got.changed_by, "Li Wei");
	assert_int_equal(got.changed_s, NOW + 10);
	assert_int_equal(store_alert_set_state(f->s, id, "acknowledged", "x", NOW),
			 GFI_E_STATE);
	/* An acknowledged alert still blocks a duplicate and is kept fresh. */
	assert_int_equal(evaluate(f, NOW + 20).created, 0);
	assert_int_equal(alerts_of(f, UNIT_A, "gateway_silent", NULL).n, 1);
	assert_int_equal(store_alert_set_state(f->s, id, "resolved", "Wang Fang", NOW + 30),
			 GFI_OK);
	assert_int_equal(store_alert_get(f->s, id, &got), GFI_OK);
	assert_string_equal(got.state, "resolved");
	assert_string_equal(got.changed_by, "Wang Fang");
	assert_int_equal(got.changed_s, NOW + 30);
	assert_int_equal(store_alert_set_state(f->s, id, "acknowledged", "x", NOW),
			 GFI_E_STATE);
	assert_int_equal(store_alert_set_state(f->s, 9999, "resolved", "x", NOW),
			 GFI_E_NOTFOUND);
	/* Resolved by hand while it still holds: the next evaluation opens a
	 * new alert, the resolved one stays as history. */
	assert_int_equal(evaluate(f, NOW + 40).created, 1);
	assert_int_equal(alerts_of(f, UNIT_A, "gateway_silent", NULL).n, 2);
	assert_int_equal(alerts_of(f, UNIT_A, "gateway_silent", "open").n, 1);
}

static void rules_files_are_parsed_strictly(void **state)
{
	struct alert_rules r;
	char err[256];
	static const char good[] =
		"{\"threshold_pct\":7.5,\"max_silence_s\":600,\"sector_limits\":"
		"[{\"sector\":\"C3011\",\"indicator\":\"energy_equiv_tce\",\"max\":90}]}";

	(void)state;
	assert_int_equal(alerts_rules_parse(good, strlen(good), &r, err, sizeof(err)), GFI_OK);
	assert_true(fabs(r.threshold_pct - 7.5) < 1e-12);
	assert_true(fabs(r.completeness_pct - 90.0) < 1e-12);   /* default kept */
	assert_int_equal(r.max_silence_s, 600);
	assert_int_equal(r.nlimits, 1);
	assert_int_equal(r.limits[0].indicator, IND_ENERGY_EQUIV_TCE);
	assert_int_not_equal(alerts_rules_parse("{\"treshold_pct\":5}", 18, &r, err,
						sizeof(err)), GFI_OK);
	assert_non_null(strstr(err, "treshold_pct"));
	assert_int_not_equal(alerts_rules_parse("{\"threshold_pct\":\"5\"}", 21, &r, err,
						sizeof(err)), GFI_OK);
	assert_non_null(strstr(err, "threshold_pct"));
	static const char bad_ind[] =
		"{\"sector_limits\":[{\"sector\":\"C\",\"indicator\":\"nope\",\"max\":1}]}";
	assert_int_not_equal(alerts_rules_parse(bad_ind, strlen(bad_ind), &r, err,
						sizeof(err)), GFI_OK);
	assert_non_null(strstr(err, "sector_limits[0].indicator"));
	assert_int_not_equal(alerts_rules_parse("{\"max_silence_s\":5}", 19, &r, err,
						sizeof(err)), GFI_OK);
	assert_non_null(strstr(err, "max_silence_s"));
}

static void the_real_indicators_run_end_to_end(void **state)
{
	struct fx *f = *state;
	struct alerts_summary sum;

	/* Whatever the indicators say of this sparse store, the store rules
	 * still fire on A and not on B, and a second pass adds nothing. */
	assert_int_equal(alerts_evaluate(f->s, &f->rules, NOW, NULL, NULL, &sum), GFI_OK);
	assert_int_equal(sum.units, 2);
	assert_int_equal(alerts_of(f, UNIT_A, "gateway_silent", "open").n, 1);
	assert_int_equal(alerts_of(f, UNIT_B, "gateway_silent", NULL).n, 0);
	assert_int_equal(alerts_of(f, UNIT_A, "counter_anomaly", "open").n, 1);
	assert_int_equal(alerts_of(f, UNIT_B, "counter_anomaly", NULL).n, 0);
	assert_int_equal(alerts_evaluate(f->s, &f->rules, NOW, NULL, NULL, &sum), GFI_OK);
	assert_int_equal(sum.created, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_rule_fires_on_the_bad_unit_and_not_on_its_control, setup, teardown),
		cmocka_unit_test_setup_teardown(a_missing_input_is_a_data_alert_never_a_change, setup, teardown),
		cmocka_unit_test_setup_teardown(thresholds_come_from_the_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(evaluating_again_never_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(the_table_is_missing_only_after_april_15, setup, teardown),
		cmocka_unit_test_setup_teardown(a_cleared_condition_is_resolved_by_gfi, setup, teardown),
		cmocka_unit_test_setup_teardown(ack_and_resolve_record_who_and_when, setup, teardown),
		cmocka_unit_test(rules_files_are_parsed_strictly),
		cmocka_unit_test_setup_teardown(the_real_indicators_run_end_to_end, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

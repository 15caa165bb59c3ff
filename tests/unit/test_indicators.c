/*
 * test_indicators.c — indicators against golden data sets computed by hand
 * (tests/data/golden/, README.md there).
 *
 * One test function per set, all through golden(): a fresh store gets the
 * set's registry, facts and factors (setup.csv, which may include other
 * sets) with the store_* calls, and its readings (readings.csv) with
 * store_reading_add inside a transaction — no batches or signatures. Then
 * every row of expected.csv is compared: the value to a relative 1e-9 (or
 * "none": no value), the provenance when given, and `key.yoy` rows against
 * the year-on-year change.
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
#include "indicators.h"
#include "reading.h"
#include "registry.h"
#include "store.h"

#define MAXF 16
#define LINE_MAX_LEN 1024

/* Split line at commas into at most max fields (the last keeps the rest:
 * formulas hold commas). */
static int split(char *line, char **fld, int max)
{
	int n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		fld[n++] = p;
		if ((p = strchr(p, ',')) == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

static FILE *open_data(const char *set, const char *name)
{
	const char *base = getenv("GFI_TEST_DATA");
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/golden/%s/%s", base ? base : "tests/data",
		 set, name);
	fp = fopen(path, "r");
	if (fp == NULL)
		fail_msg("cannot open %s", path);
	return fp;
}

static double num(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end != '\0')
		fail_msg("not a number: %s", s);
	return v;
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

static enum unit_kind kind_of(const char *s)
{
	return strcmp(s, "park") == 0 ? UNIT_PARK
	       : strcmp(s, "supply_chain") == 0 ? UNIT_SUPPLY_CHAIN : UNIT_FACTORY;
}

static enum unit_level level_of(const char *s)
{
	return strcmp(s, "national") == 0 ? LEVEL_NATIONAL
	       : strcmp(s, "provincial") == 0 ? LEVEL_PROVINCIAL : LEVEL_CITY;
}

static void load_readings(struct store *s, const char *set);

static void put_meter(struct store *s, char **v)
{
	struct reg_meter m = { 0 };

	copy(m.gateway, sizeof(m.gateway), v[1]);
	copy(m.meter, sizeof(m.meter), v[2]);
	copy(m.point, sizeof(m.point), v[3]);
	copy(m.quantity, sizeof(m.quantity), v[4]);
	assert_int_equal(registry_role_parse(v[5], &m.role), GFI_OK);
	assert_true(registry_role_fits(m.role, m.quantity));
	copy(m.carrier, sizeof(m.carrier), v[6]);
	m.counter_max = num(v[7]);
	copy(m.product, sizeof(m.product), v[8]);
	copy(m.product_unit, sizeof(m.product_unit), v[9]);
	assert_int_equal(store_meter_put(s, &m, 1), GFI_OK);
}

static void put_registry(struct store *s, char **v, int n)
{
	if (strcmp(v[0], "county") == 0 && n == 3) {
		struct reg_county c = { 0 };
		copy(c.code, sizeof(c.code), v[1]);
		copy(c.name, sizeof(c.name), v[2]);
		int rc = store_county_put(s, &c, 1);   /* sets share counties */
		assert_true(rc == GFI_OK || rc == GFI_E_EXISTS);
	} else if (strcmp(v[0], "unit") == 0 && n == 7) {
		struct reg_unit u = { 0 };
		assert_true(registry_credit_code_valid(v[1]));
		copy(u.code, sizeof(u.code), v[1]);
		copy(u.name, sizeof(u.name), v[2]);
		u.kind = kind_of(v[3]);
		copy(u.county, sizeof(u.county), v[4]);
		u.level = level_of(v[5]);
		u.year_listed = (int)num(v[6]);
		assert_int_equal(store_unit_put(s, &u, 1), GFI_OK);
	} else if (strcmp(v[0], "gateway") == 0 && n == 3) {
		struct reg_gateway g = { .active = 1 };
		copy(g.id, sizeof(g.id), v[1]);
		copy(g.unit, sizeof(g.unit), v[2]);
		copy(g.pubkey_pem, sizeof(g.pubkey_pem), "golden: never verified");
		assert_int_equal(store_gateway_put(s, &g, 1), GFI_OK);
	} else if (strcmp(v[0], "meter") == 0 && n == 10) {
		put_meter(s, v);
	} else if (strcmp(v[0], "member") == 0 && n == 3) {
		assert_int_equal(store_member_put(s, v[1], v[2]), GFI_OK);
	} else if (strcmp(v[0], "supplier") == 0 && n == 3) {
		assert_int_equal(store_supplier_put(s, v[1], v[2]), GFI_OK);
	} else {
		fail_msg("setup: bad record %s with %d fields", v[0], n);
	}
}

static void put_fact(struct store *s, char **v)
{
	struct reg_fact f = { 0 };

	assert_non_null(registry_fact_key_find(v[4]));
	copy(f.unit, sizeof(f.unit), v[1]);
	f.year = (int)num(v[2]);
	f.month = (int)num(v[3]);
	copy(f.key, sizeof(f.key), v[4]);
	f.value = num(v[5]);
	copy(f.entered_by, sizeof(f.entered_by), "golden");
	assert_int_equal(store_fact_put(s, &f), GFI_OK);
}

static void put_factor(struct store *s, char **v)
{
	struct store_factor f = { 0 };

	copy(f.kind, sizeof(f.kind), v[1]);
	copy(f.carrier, sizeof(f.carrier), v[2]);
	f.year = (int)num(v[3]);
	copy(f.unit, sizeof(f.unit), v[4]);
	f.value = num(v[5]);
	copy(f.value_unit, sizeof(f.value_unit), v[6]);
	copy(f.source, sizeof(f.source), v[7]);
	assert_int_equal(store_factor_set(s, &f), GFI_OK);
}

static void load_setup(struct store *s, const char *set)
{
	FILE *fp = open_data(set, "setup.csv");
	char line[LINE_MAX_LEN], *v[MAXF] = { 0 };

	while (fgets(line, sizeof(line), fp) != NULL) {
		int n;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		n = split(line, v, MAXF);
		if (strcmp(v[0], "include") == 0) {
			load_setup(s, v[1]);
			load_readings(s, v[1]);
		} else if (strcmp(v[0], "fact") == 0 && n == 6) {
			put_fact(s, v);
		} else if (strcmp(v[0], "factor") == 0 && n == 8) {
			put_factor(s, v);
		} else {
			put_registry(s, v, n);
		}
	}
	fclose(fp);
}

static void load_readings(struct store *s, const char *set)
{
	FILE *fp = open_data(set, "readings.csv");
	char line[LINE_MAX_LEN], *v[MAXF] = { 0 };
	int inserted, first = 1;

	assert_int_equal(store_begin(s), GFI_OK);
	while (fgets(line, sizeof(line), fp) != NULL) {
		struct gfi_reading r = { 0 };
		if (first) {      /* header */
			first = 0;
			continue;
		}
		assert_int_equal(split(line, v, MAXF), 7);
		copy(r.meter, sizeof(r.meter), v[1]);
		copy(r.point, sizeof(r.point), v[2]);
		copy(r.quantity, sizeof(r.quantity), v[3]);
		r.time_s = (int64_t)num(v[4]);
		assert_int_equal(gfi_status_parse(v[6], &r.status, &r.detail), GFI_OK);
		r.value = gfi_status_has_value(r.status) ? num(v[5]) : NAN;
		assert_int_equal(store_reading_add(s, v[0], &r, &inserted), GFI_OK);
		assert_int_equal(inserted, 1);
	}
	assert_int_equal(store_commit(s), GFI_OK);
	fclose(fp);
}

static const char *prov_name(enum ind_provenance p)
{
	static const char *const names[] = { "none", "metered", "imported",
					     "manual", "derived" };
	return names[p];
}

/* Compare one expected row; returns 1 when it fails (after printing). */
static int check_row(struct store *s, char **v)
{
	struct ind_period p;
	char key[64], *dot;
	const struct ind_def *d;
	const struct ind_value *x;
	int yoy, rc;

	copy(key, sizeof(key), v[1]);
	yoy = (dot = strstr(key, ".yoy")) != NULL;
	if (yoy)
		*dot = '\0';
	d = ind_def_find(key);
	if (d == NULL) {
		printf("unknown indicator %s\n", key);
		return 1;
	}
	rc = indicators_compute(s, v[0], (int)num(v[2]), (int)num(v[3]), &p);
	if (rc != GFI_OK) {
		printf("%s: compute failed: %s\n", v[0], gfi_strerror(rc));
		return 1;
	}
	x = &p.v[d->id];
	if (strcmp(v[4], "none") == 0) {
		if (!x->has_value)
			return 0;
		printf("%s %s: expected none, got %.12g\n", v[0], v[1], x->value);
		return 1;
	}
	double want = num(v[4]), got = yoy ? x->yoy_pct : x->value;
	int has = yoy ? x->has_yoy : x->has_value;
	if (!has || fabs(got - want) > 1e-9 * fmax(1.0, fabs(want))) {
		printf("%s %s: expected %.15g, got %s%.15g (%s)\n", v[0], v[1], want,
		       has ? "" : "no value ", got, v[6]);
		return 1;
	}
	if (!yoy && v[5][0] != '\0' && strcmp(v[5], prov_name(x->provenance)) != 0) {
		printf("%s %s: provenance %s, expected %s\n", v[0], v[1],
		       prov_name(x->provenance), v[5]);
		return 1;
	}
	return 0;
}

static void golden(struct fixture *f, const char *set)
{
	FILE *fp;
	char line[LINE_MAX_LEN], *v[MAXF] = { 0 };
	int failed = 0, rows = 0, first = 1;

	load_setup(f->s, set);
	load_readings(f->s, set);
	fp = open_data(set, "expected.csv");
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (first) {
			first = 0;
			continue;
		}
		assert_int_equal(split(line, v, 7), 7);
		failed += check_row(f->s, v);
		rows++;
	}
	fclose(fp);
	printf("%s: %d rows, %d failed\n", set, rows, failed);
	assert_true(rows > 0);
	assert_int_equal(failed, 0);
}

static void factory_a_matches_hand_computation(void **state)
{
	golden(*state, "factory_a");
}

static void factory_b_with_cems_matches_hand_computation(void **state)
{
	golden(*state, "factory_b");
}

static void park_and_supply_chain_match_hand_computation(void **state)
{
	golden(*state, "park_c");
}

static void definitions_are_indexed_by_id(void **state)
{
	(void)state;
	for (int i = 0; i < IND_N; i++) {
		const struct ind_def *d = ind_def((enum ind_id)i);
		assert_non_null(d);
		assert_int_equal(d->id, i);
		assert_ptr_equal(ind_def_find(d->key), d);
	}
	assert_null(ind_def_find("no_such_indicator"));
}

static void unknown_unit_is_not_found(void **state)
{
	struct fixture *f = *state;
	struct ind_period p;

	assert_int_equal(indicators_compute(f->s, "91350100M000100Y43", 2025, 1, &p),
			 GFI_E_NOTFOUND);
}

/* The 可再生能源利用率 bands by annual 综合能耗 (DOMAIN.md, key indicators
 * row 3): >= 10,000 tce; 5,000-10,000; 3,000-5,000; < 3,000. */
static void renewable_bands_split_at_their_thresholds(void **state)
{
	(void)state;
	assert_int_equal(indicators_renewable_band(25000), 1);
	assert_int_equal(indicators_renewable_band(10000), 1);
	assert_int_equal(indicators_renewable_band(9999.99), 2);
	assert_int_equal(indicators_renewable_band(5000), 2);
	assert_int_equal(indicators_renewable_band(4999.99), 3);
	assert_int_equal(indicators_renewable_band(3000), 3);
	assert_int_equal(indicators_renewable_band(2999.99), 4);
	assert_int_equal(indicators_renewable_band(0), 4);
	assert_int_equal(indicators_renewable_band(-1), 0);
	assert_int_equal(indicators_renewable_band(NAN), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(definitions_are_indexed_by_id),
		cmocka_unit_test(renewable_bands_split_at_their_thresholds),
		T(unknown_unit_is_not_found),
		T(factory_a_matches_hand_computation),
		T(factory_b_with_cems_matches_hand_computation),
		T(park_and_supply_chain_match_hand_computation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

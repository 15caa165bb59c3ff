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

/* A row "energy_per_product.PRODUCT": that product's own figure (its
 * share of energy over its qualified output); 1 when it fails. */
static int check_product_row(struct store *s, char **v, const char *product)
{
	struct ind_period p;
	double want = num(v[4]);

	assert_int_equal(indicators_compute(s, v[0], (int)num(v[2]), (int)num(v[3]), &p),
			 GFI_OK);
	for (int i = 0; i < p.nproducts; i++) {
		const struct ind_product *x = &p.products[i];
		if (strcmp(x->name, product) != 0)
			continue;
		if (x->has_energy && fabs(x->energy_per_unit - want) <= 1e-9 * fmax(1.0, fabs(want)))
			return 0;
		printf("%s %s: expected %.15g, got %s%.15g\n", v[0], v[1], want,
		       x->has_energy ? "" : "no value ", x->energy_per_unit);
		return 1;
	}
	printf("%s %s: no such product\n", v[0], v[1]);
	return 1;
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
	if (strncmp(key, "energy_per_product.", 19) == 0)
		return check_product_row(s, v, key + 19);
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

/* Acceptance 3 of issue 14: every corrected indicator against a separate
 * Python model of DOMAIN.md's definitions (factory_d/model.py, checked to
 * match its files by integration.test_golden_model). */
static void factory_d_matches_the_standard_model(void **state)
{
	golden(*state, "factory_d");
}

/* Without its registered pressure and temperature the same steam falls
 * back to the 0.1286 kgce/kg table value and says it is estimated. */
static void steam_without_state_is_estimated(void **state)
{
	struct fixture *f = *state;
	struct ind_period p;

	golden(f, "factory_a");
	assert_int_equal(indicators_compute(f->s, "91350100M000100Y43", 2025, 1, &p), GFI_OK);
	assert_true(p.v[IND_HEAT_PURCHASED_GJ].estimated);
	assert_true(p.v[IND_ENERGY_EQUIV_TCE].estimated);
	/* 0.5 t/h x 744 h x 128.6 kgce/t / 34.12 kgce/GJ */
	assert_true(fabs(p.v[IND_HEAT_PURCHASED_GJ].value - 0.5 * 744 * 128.6 / 34.12) < 1e-9);
	assert_int_equal(p.grid.year, 2023);
	assert_true(p.grid.fallback);
	assert_true(fabs(p.grid.value - 0.5306) < 1e-12);
}

/* GB/T 36132-2025 B.1: with a second product and no energy shares there is
 * no energy per product (never plant total over the main product); with
 * the main product's share registered, its figure is its share of energy
 * over its output. */
static void several_products_need_their_energy_shares(void **state)
{
	struct fixture *f = *state;
	char *meter[10] = { "meter", "gw-a", "P2", "pcs", "product_count", "production",
			    "", "0", "阀门", "pcs" };
	struct reg_fact share = { .unit = "91350100M000100Y43", .year = 2025,
				  .key = "energy_share_pct.铸件", .value = 60,
				  .entered_by = "golden" };
	const int64_t jan = 1735660800;   /* 2025-01-01 00:00 Asia/Shanghai */
	struct ind_period p;
	int inserted;

	golden(f, "factory_a");
	put_meter(f->s, meter);
	assert_int_equal(store_begin(f->s), GFI_OK);
	for (int k = -1; k < 250; k++) {
		struct gfi_reading r = { .meter = "P2", .point = "pcs",
					 .quantity = "product_count",
					 .time_s = jan + 3 * 3600 * (int64_t)k,
					 .value = 1000 + 300.0 * k, .status = GFI_ST_OK };
		assert_int_equal(store_reading_add(f->s, "gw-a", &r, &inserted), GFI_OK);
	}
	assert_int_equal(store_commit(f->s), GFI_OK);
	assert_int_equal(indicators_compute(f->s, share.unit, 2025, 1, &p), GFI_OK);
	assert_int_equal(p.nproducts, 2);
	assert_string_equal(p.products[1].name, "阀门");
	assert_true(p.products[1].output == 100.0 * 744);
	assert_false(p.v[IND_ENERGY_PER_PRODUCT].has_value);
	assert_false(p.products[0].has_energy || p.products[1].has_energy);
	assert_true(p.v[IND_ENERGY_EQUIV_TCE].has_value);

	assert_int_equal(store_fact_put(f->s, &share), GFI_OK);
	assert_int_equal(indicators_compute(f->s, share.unit, 2025, 1, &p), GFI_OK);
	assert_true(p.v[IND_ENERGY_PER_PRODUCT].has_value);
	assert_true(fabs(p.v[IND_ENERGY_PER_PRODUCT].value -
			 p.v[IND_ENERGY_EQUIV_TCE].value * 1000 * 0.60 / (2 * 744)) < 1e-9);
	assert_int_equal(p.v[IND_ENERGY_PER_PRODUCT].provenance, PROV_DERIVED);
	assert_false(p.products[1].has_energy);
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
		T(factory_d_matches_the_standard_model),
		T(steam_without_state_is_estimated),
		T(several_products_need_their_energy_shares),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

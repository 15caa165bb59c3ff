/*
 * test_model.c — the simulator's consumption model and configuration.
 *
 * The model is checked against itself and against a plain reference: the
 * same inputs give the same values, counters never decrease, the cached sum
 * equals the hour-by-hour sum exactly, rollover and replacement behave at
 * their boundary second, and the daily shape is visible. Configuration errors
 * each give their one expected line. Profiles come from GFI_PROFILES (set by
 * CTest) or the source tree.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "model.h"
#include "server.h"
#include "simconfig.h"

#define DAY 86400
#define WEEK (7 * DAY)
/* 2025-03-03T00:00+08:00, a Monday */
#define MONDAY (MODEL_ORIGIN_S + 61 * DAY)

/* $var, else the source tree's dir (CTest sets the variables; this file's
 * path gives the tree when run by hand). */
static const char *source_path(const char *var, const char *rel)
{
	static char buf[2][1024];
	static int which;
	const char *v = getenv(var);
	const char *tail = strstr(__FILE__, "tests/unit/test_model.c");
	char *out = buf[which++ % 2];

	if (v != NULL)
		return v;
	snprintf(out, sizeof(buf[0]), "%.*s%s",
		 tail ? (int)(tail - __FILE__) : 0, __FILE__, rel);
	return out;
}

static const char *profiles_dir(void)
{
	return source_path("GFI_PROFILES", "firmware-config/profiles");
}

/* A config with one TCP line; meters_json is the "meters" array's body. */
static struct sim_config *config_with(unsigned seed, const char *meters_json)
{
	char json[4096], err[512] = "";
	struct sim_config *cfg = NULL;

	snprintf(json, sizeof(json),
		 "{\"seed\":%u,\"profiles_dir\":\"%s\",\"tcp\":[{\"id\":\"t1\","
		 "\"port\":0,\"meters\":[%s]}]}",
		 seed, profiles_dir(), meters_json);
	if (sim_config_parse(json, strlen(json), NULL, &cfg, err,
			     sizeof(err)) != GFI_OK)
		fail_msg("config rejected: %s", err);
	return cfg;
}

static const struct gfi_point *point(const struct sim_config *cfg,
				     const char *meter, const char *name)
{
	const struct sim_meter *m = sim_config_meter(cfg, meter);

	assert_non_null(m);
	assert_non_null(gfi_profile_point(m->profile, name));
	return gfi_profile_point(m->profile, name);
}

static void same_inputs_give_same_values_and_seeds_differ(void **state)
{
	const char *meters = "{\"id\":\"E01\",\"slave\":1,\"profile\":"
			     "\"eastron-sdm630\"}";
	struct sim_config *a = config_with(42, meters);
	struct sim_config *b = config_with(42, meters);
	struct sim_config *c = config_with(43, meters);
	const struct sim_meter *ma = sim_config_meter(a, "E01");
	const struct sim_meter *mb = sim_config_meter(b, "E01");
	const struct sim_meter *mc = sim_config_meter(c, "E01");
	int differ = 0;

	(void)state;
	for (int64_t t = MONDAY; t < MONDAY + 2 * DAY; t += 997) {
		for (size_t i = 0; i < ma->profile->npoints; i++) {
			const struct gfi_point *pt = &ma->profile->points[i];
			double va = model_value(ma, pt, t);
			assert_true(isfinite(va));
			assert_true(va == model_value(mb, pt, t));
			if (va != model_value(mc, pt, t))
				differ = 1;
		}
	}
	/* A later call for an earlier time gives the same answer. */
	const struct gfi_point *imp = point(a, "E01", "import_kwh");
	double early = model_value(ma, imp, MONDAY);
	(void)model_value(ma, imp, MONDAY + 300 * DAY);
	assert_true(early == model_value(ma, imp, MONDAY));
	assert_true(differ);
	sim_config_free(a);
	sim_config_free(b);
	sim_config_free(c);
}

static void counters_never_decrease_over_a_week(void **state)
{
	struct sim_config *cfg = config_with(
		7, "{\"id\":\"E01\",\"slave\":1,\"profile\":\"eastron-sdm630\","
		   "\"initial\":1000}");
	const struct sim_meter *m = sim_config_meter(cfg, "E01");
	static const int steps[] = { 1, 7, 60, 599, 3600 };

	(void)state;
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		for (size_t i = 0; i < m->profile->npoints; i++) {
			const struct gfi_point *pt = &m->profile->points[i];
			if (pt->quantity->kind != GFI_COUNTER)
				continue;
			/* Every counter at 1 s would be slow under ASan: the
			 * first one takes every second, the others 7 s on. */
			if (steps[s] == 1 && strcmp(pt->name, "import_kwh"))
				continue;
			double prev = model_value(m, pt, MONDAY);
			for (int64_t t = MONDAY; t <= MONDAY + WEEK;
			     t += steps[s]) {
				double v = model_value(m, pt, t);
				if (v < prev)
					fail_msg("%s decreased at %lld step %d",
						 pt->name, (long long)t,
						 steps[s]);
				prev = v;
			}
			assert_true(prev > 1000.0);
		}
	}
	sim_config_free(cfg);
}

static void cached_sum_equals_hour_by_hour_reference(void **state)
{
	struct sim_config *cfg = config_with(
		3, "{\"id\":\"W01\",\"slave\":1,\"profile\":\"siemens-mag6000\"}");
	const struct sim_meter *m = sim_config_meter(cfg, "W01");
	const struct gfi_point *pt = point(cfg, "W01", "total1_m3");
	int64_t ref = 0;
	uint64_t x = 12345;

	(void)state;
	/* Jump to the end first so the cache grows in one go, then visit
	 * times in order while summing hour by hour. */
	(void)model_counter_micro(m, pt, MODEL_ORIGIN_S + 366 * DAY);
	for (int64_t h = 0; h < 366 * 24; h++) {
		int64_t micro = model_hour_micro(m, pt, h);
		int64_t off;
		assert_true(micro >= 0);
		x = model_splitmix64(x);
		off = (int64_t)(x % 3600);
		int64_t t = MODEL_ORIGIN_S + h * 3600 + off;
		assert_int_equal(model_counter_micro(m, pt, t),
				 ref + micro * off / 3600);
		ref += micro;
	}
	/* Before the origin a counter holds its initial value. */
	assert_int_equal(model_counter_micro(m, pt, MODEL_ORIGIN_S - 5000), 0);
	sim_config_free(cfg);
}

static void counter_wraps_at_rollover_max(void **state)
{
	struct sim_config *cfg = config_with(
		1, "{\"id\":\"E02\",\"slave\":2,\"profile\":\"acrel-adl400\","
		   "\"initial\":99990,\"rollover_max\":100000}");
	const struct sim_meter *m = sim_config_meter(cfg, "E02");
	const struct gfi_point *pt = point(cfg, "E02", "import_kwh");
	int wrapped = 0;

	(void)state;
	assert_true(model_value(m, pt, MODEL_ORIGIN_S) == 99990.0);
	double prev = model_value(m, pt, MODEL_ORIGIN_S);
	for (int64_t t = MODEL_ORIGIN_S + 60; t < MODEL_ORIGIN_S + 3 * DAY;
	     t += 60) {
		double v = model_value(m, pt, t);
		double expect = fmod(99990.0 +
			(double)model_counter_micro(m, pt, t) / 1e6, 100000.0);
		assert_true(v >= 0.0 && v < 100000.0);
		if (gfi_point_representable(pt, expect) < 100000.0)
			assert_true(v == expect);
		if (v < prev) {
			wrapped++;
			assert_true(prev > 99900.0 && v < 100.0);
		}
		prev = v;
	}
	assert_int_equal(wrapped, 1);
	sim_config_free(cfg);
}

static void register_maximum_wraps_without_rollover_max(void **state)
{
	/* ADL400 import_kwh is u32 x 0.01: it wraps at 42949672.96. */
	struct sim_config *cfg = config_with(
		1, "{\"id\":\"E02\",\"slave\":2,\"profile\":\"acrel-adl400\","
		   "\"initial\":42949672}");
	const struct sim_meter *m = sim_config_meter(cfg, "E02");
	const struct gfi_point *pt = point(cfg, "E02", "import_kwh");
	double v = model_value(m, pt, MODEL_ORIGIN_S + 30 * DAY);

	(void)state;
	assert_true(v < 42949672.0);
	assert_true(gfi_point_representable(pt, v) < 42949672.96);
	sim_config_free(cfg);
}

static void replacement_restarts_from_its_initial(void **state)
{
	const int64_t at = MONDAY + 10 * 3600 + 17;
	char meters[256];
	struct sim_config *cfg;

	(void)state;
	snprintf(meters, sizeof(meters),
		 "{\"id\":\"W01\",\"slave\":1,\"profile\":\"siemens-mag6000\","
		 "\"initial\":5000,\"replacement\":{\"at\":%lld,\"initial\":"
		 "12.5}}", (long long)at);
	cfg = config_with(9, meters);
	const struct sim_meter *m = sim_config_meter(cfg, "W01");
	const struct gfi_point *pt = point(cfg, "W01", "total1_m3");

	assert_true(model_value(m, pt, at - 1) > 5000.0);
	assert_true(model_value(m, pt, at) == 12.5);
	double later = model_value(m, pt, at + 3600);
	double expect = 12.5 + (double)(model_counter_micro(m, pt, at + 3600) -
					model_counter_micro(m, pt, at)) / 1e6;
	assert_true(later == expect);
	assert_true(later > 12.5);
	sim_config_free(cfg);
}

static void working_hours_count_more_than_night(void **state)
{
	struct sim_config *cfg = config_with(
		5, "{\"id\":\"E01\",\"slave\":1,\"profile\":\"eastron-sdm630\"}");
	const struct sim_meter *m = sim_config_meter(cfg, "E01");
	const struct gfi_point *pt = point(cfg, "E01", "import_kwh");
	const struct gfi_point *kw = point(cfg, "E01", "p_total");
	int64_t monday_h = (MONDAY - MODEL_ORIGIN_S) / 3600;

	(void)state;
	assert_true(model_daily_shape(10) > model_daily_shape(3));
	assert_true(model_weekly_shape(0) < model_weekly_shape(1));
	for (int d = 0; d < 5; d++) { /* Monday to Friday */
		int64_t h0 = monday_h + d * 24;
		int64_t work = 0, night = 0;
		for (int h = 9; h < 12; h++)
			work += model_hour_micro(m, pt, h0 + h);
		for (int h = 1; h < 4; h++)
			night += model_hour_micro(m, pt, h0 + h);
		assert_true(work > 2 * night);
	}
	/* Sunday's working hours count less than Monday's. */
	int64_t sun = 0, mon = 0;
	for (int h = 9; h < 17; h++) {
		sun += model_hour_micro(m, pt, monday_h - 24 + h);
		mon += model_hour_micro(m, pt, monday_h + h);
	}
	assert_true(sun < mon);
	/* Power follows the hour's energy rate: kW = kWh per hour, +-3%. */
	int64_t t = MONDAY + 10 * 3600 + 120;
	double rate = (double)model_hour_micro(m, pt, monday_h + 10) / 1e6;
	assert_true(fabs(model_value(m, kw, t) - rate) <= 0.031 * rate);
	sim_config_free(cfg);
}

static void gauges_sit_near_their_nominal(void **state)
{
	struct sim_config *cfg = config_with(
		5, "{\"id\":\"S01\",\"slave\":1,\"profile\":\"sick-marsic300\"},"
		   "{\"id\":\"E01\",\"slave\":2,\"profile\":\"eastron-sdm630\"}");
	const struct sim_meter *s = sim_config_meter(cfg, "S01");
	const struct sim_meter *e = sim_config_meter(cfg, "E01");

	(void)state;
	for (int64_t t = MONDAY; t < MONDAY + DAY; t += 600) {
		double so2 = model_value(s, point(cfg, "S01", "so2"), t);
		double o2 = model_value(s, point(cfg, "S01", "o2"), t);
		double v = model_value(e, point(cfg, "E01", "v_l1"), t);
		assert_true(so2 > 30.0 && so2 < 40.0);
		assert_true(o2 > 8.0 && o2 < 10.0);
		assert_true(v > 225.0 && v < 235.0);
		assert_true(model_value(s, point(cfg, "S01", "fault"), t) == 0.0);
	}
	sim_config_free(cfg);
}

static void small_registers_lower_the_default_rate(void **state)
{
	/* ADL400 power is i16 x 0.001 kW: at most 32.767 kW. */
	struct sim_config *cfg = config_with(
		5, "{\"id\":\"E02\",\"slave\":1,\"profile\":\"acrel-adl400\"}");
	const struct sim_meter *m = sim_config_meter(cfg, "E02");
	const struct gfi_point *kw = point(cfg, "E02", "p_total");
	uint16_t words[4];

	(void)state;
	for (int64_t t = MONDAY; t < MONDAY + WEEK; t += 60)
		assert_int_equal(gfi_point_encode(kw, model_value(m, kw, t),
						  words), GFI_OK);
	sim_config_free(cfg);
}

/* ---- configuration errors ------------------------------------------- */

struct bad_config {
	const char *json; /* @P@ stands for the profiles dir */
	const char *err;
};

/* Copy tmpl to out with "@P@" replaced by the profiles dir. */
static void expand(const char *tmpl, char *out, size_t len)
{
	const char *at = strstr(tmpl, "@P@");

	if (at == NULL)
		snprintf(out, len, "%s", tmpl);
	else
		snprintf(out, len, "%.*s%s%s", (int)(at - tmpl), tmpl,
			 profiles_dir(), at + 3);
}

static void config_errors_name_their_field(void **state)
{
	static const struct bad_config cases[] = {
		{ "{\"profiles_dir\":\"@P@\"}", "tcp: no lines: give at least "
		  "one tcp or rtu line" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[],\"extra\":1}",
		  "config.extra: unknown key" },
		{ "{\"tcp\":[]}", "profiles_dir: missing" },
		{ "{\"seed\":-1,\"profiles_dir\":\"@P@\"}",
		  "seed: -1 out of range 0..9007199254740991" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":{}}", "tcp: must be an array" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":"
		  "70000,\"meters\":[]}]}", "tcp[0].port: 70000 out of range "
		  "0..65535" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"host\":"
		  "\"localhost\",\"port\":0}]}", "tcp[0].host: \"localhost\" is "
		  "not an IPv4 address" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0}]}",
		  "tcp[0].meters: must list 1..247 meters" },
		{ "{\"profiles_dir\":\"@P@\",\"rtu\":[{\"id\":\"r/1\",\"device\":"
		  "\"/dev/x\"}]}", "rtu[0].id: \"r/1\" is not 1..31 characters "
		  "of A-Z a-z 0-9 . _ -" },
		{ "{\"profiles_dir\":\"@P@\",\"rtu\":[{\"id\":\"r1\",\"device\":"
		  "\"/dev/x\",\"baud\":1234}]}", "rtu[0].baud: 1234 is not one "
		  "of 1200 2400 4800 9600 19200 38400 57600 115200" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"a\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		  "\"eastron-sdm630\"}]}],\"rtu\":[{\"id\":\"a\",\"device\":"
		  "\"/dev/x\"}]}", "rtu[0].id: duplicate line id a" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":248,\"profile\":\"x\"}]}]}",
		  "tcp[0].meters[0].slave: 248 out of range 1..247" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		  "\"eastron-sdm630\"},{\"id\":\"E2\",\"slave\":1,\"profile\":"
		  "\"eastron-sdm630\"}]}]}", "tcp[0].meters[1].slave: 1 already "
		  "used by meter E1 on line t1" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		  "\"eastron-sdm630\"},{\"id\":\"E1\",\"slave\":2,\"profile\":"
		  "\"eastron-sdm630\"}]}]}", "tcp[0].meters[1].id: duplicate "
		  "meter id E1" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		  "\"../etc\"}]}]}", "tcp[0].meters[0].profile: \"../etc\" is "
		  "not a profile id" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		  "\"eastron-sdm630\",\"base_rate\":-1}]}]}",
		  "tcp[0].meters[0].base_rate: -1 out of range 0..1e+06" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		  "\"acrel-adl400\",\"initial\":100,\"rollover_max\":100}]}]}",
		  "tcp[0].meters[0].initial: 100 not below the wrap value 100 of "
		  "point import_kwh" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		  "\"acrel-adl400\",\"rollover_max\":0}]}]}",
		  "tcp[0].meters[0].rollover_max: must be > 0" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		  "\"eastron-sdm630\",\"replacement\":{\"at\":5}}]}]}",
		  "tcp[0].meters[0].replacement.initial: missing" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		  "\"eastron-sdm630\",\"faults\":[{\"kind\":\"boom\"}]}]}]}",
		  "tcp[0].meters[0].faults[0].kind: \"boom\" is not timeout, "
		  "exception or slow" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		  "\"eastron-sdm630\",\"faults\":[{\"kind\":\"exception\","
		  "\"code\":12}]}]}]}", "tcp[0].meters[0].faults[0].code: 12 out "
		  "of range 1..11" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		  "\"eastron-sdm630\",\"faults\":[{\"kind\":\"timeout\","
		  "\"delay_ms\":5}]}]}]}", "tcp[0].meters[0].faults[0].delay_ms: "
		  "only for kind slow" },
		/* DL/T 645 lines (issue 19) */
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"protocol\":\"iec\",\"meters\":[]}]}",
		  "tcp[0].protocol: must be modbus or dlt645" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"protocol\":\"dlt645\",\"meters\":[{\"id\":\"E1\",\"slave\":1,"
		  "\"profile\":\"generic-dlt645\"}]}]}",
		  "tcp[0].meters[0].slave: only for meters on modbus lines" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"protocol\":\"dlt645\",\"meters\":[{\"id\":\"E1\",\"address\":"
		  "\"12345\",\"profile\":\"generic-dlt645\"}]}]}",
		  "tcp[0].meters[0].address: must be 12 decimal digits" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"protocol\":\"dlt645\",\"meters\":[{\"id\":\"E1\",\"address\":"
		  "\"000000000001\",\"profile\":\"eastron-sdm630\"}]}]}",
		  "tcp[0].meters[0].profile: eastron-sdm630 is a modbus profile, the "
		  "line speaks dlt645" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		  "\"eastron-sdm630\",\"faults\":[{\"kind\":\"garbage\"}]}]}]}",
		  "tcp[0].meters[0].faults[0].kind: \"garbage\" is not timeout, "
		  "exception or slow" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"protocol\":\"dlt645\",\"meters\":[{\"id\":\"E1\",\"address\":"
		  "\"000000000001\",\"profile\":\"generic-dlt645\"},{\"id\":\"E2\","
		  "\"address\":\"000000000001\",\"profile\":\"generic-dlt645\"}]}]}",
		  "tcp[0].meters[1].address: already used by meter E1 on line t1" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		  "\"eastron-sdm630\",\"faults\":[{\"kind\":\"slow\","
		  "\"delay_ms\":5,\"from\":10,\"to\":10}]}]}]}",
		  "tcp[0].meters[0].faults[0].to: 10 not after from 10" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		  "\"eastron-sdm630\",\"faults\":[{\"kind\":\"timeout\","
		  "\"points\":[\"import_kwh\",\"nope\"]}]}]}]}",
		  "tcp[0].meters[0].faults[0].points[1]: no point \"nope\" in "
		  "profile eastron-sdm630" },
		{ "{\"profiles_dir\":\"@P@\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		  "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		  "\"acrel-adl400\",\"base_rate\":1000}]}]}",
		  "tcp[0].meters[0].base_rate: 1000 too large for profile "
		  "acrel-adl400: its gauges overflow their registers above "
		  "26.2454" },
		{ "[1,", "config: invalid JSON near byte 2" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char json[2048], err[512] = "";
		struct sim_config *cfg = NULL;
		expand(cases[i].json, json, sizeof(json));
		int rc = sim_config_parse(json, strlen(json), NULL, &cfg, err,
					  sizeof(err));
		if (rc == GFI_OK || strcmp(err, cases[i].err) != 0)
			fail_msg("case %zu: rc %d, got \"%s\", want \"%s\"", i,
				 rc, err, cases[i].err);
		assert_null(cfg);
	}
}

static void unknown_profile_names_the_meter(void **state)
{
	char json[1024], err[512] = "";
	struct sim_config *cfg = NULL;
	const char *prefix = "tcp[0].meters[0].profile: ";

	(void)state;
	snprintf(json, sizeof(json),
		 "{\"profiles_dir\":\"%s\",\"tcp\":[{\"id\":\"t1\",\"port\":0,"
		 "\"meters\":[{\"id\":\"E1\",\"slave\":1,\"profile\":"
		 "\"no-such-meter\"}]}]}", profiles_dir());
	assert_int_not_equal(sim_config_parse(json, strlen(json), NULL, &cfg,
					      err, sizeof(err)), GFI_OK);
	assert_int_equal(strncmp(err, prefix, strlen(prefix)), 0);
	assert_null(strchr(err, '\n'));
}

static void example_config_loads(void **state)
{
	char path[1024];
	struct sim_config *cfg = NULL;
	char err[512] = "";

	(void)state;
	snprintf(path, sizeof(path), "%s/sim-example.json",
		 source_path("GFI_TEST_DATA", "tests/data"));
	if (sim_config_load(path, &cfg, err, sizeof(err)) != GFI_OK)
		fail_msg("%s", err);
	assert_int_equal(cfg->nlines, 2);
	assert_non_null(sim_config_meter(cfg, "E12"));
	sim_config_free(cfg);
}

/* ---- RTU framing helpers --------------------------------------------- */

static void rtu_crc_and_lengths_match_the_spec(void **state)
{
	/* Modbus over serial line V1.02, 6.2.2: 01 03 00 00 00 0A -> C5 CD */
	static const uint8_t req[] = { 0x01, 0x03, 0x00, 0x00, 0x00, 0x0A };
	static const uint8_t wr[] = { 0x01, 0x10, 0x00, 0x01, 0x00, 0x02, 0x04 };

	(void)state;
	assert_int_equal(sim_crc16(req, sizeof(req)), 0xCDC5);
	assert_int_equal(sim_rtu_request_length(req, 1), 0);
	assert_int_equal(sim_rtu_request_length(req, 2), 8);
	assert_int_equal(sim_rtu_request_length(wr, 2), 0);
	assert_int_equal(sim_rtu_request_length(wr, 7), 7 + 4 + 2);
	static const uint8_t odd[] = { 0x01, 0x2B };
	assert_int_equal(sim_rtu_request_length(odd, 2), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_inputs_give_same_values_and_seeds_differ),
		cmocka_unit_test(counters_never_decrease_over_a_week),
		cmocka_unit_test(cached_sum_equals_hour_by_hour_reference),
		cmocka_unit_test(counter_wraps_at_rollover_max),
		cmocka_unit_test(register_maximum_wraps_without_rollover_max),
		cmocka_unit_test(replacement_restarts_from_its_initial),
		cmocka_unit_test(working_hours_count_more_than_night),
		cmocka_unit_test(gauges_sit_near_their_nominal),
		cmocka_unit_test(small_registers_lower_the_default_rate),
		cmocka_unit_test(config_errors_name_their_field),
		cmocka_unit_test(unknown_profile_names_the_meter),
		cmocka_unit_test(example_config_loads),
		cmocka_unit_test(rtu_crc_and_lengths_match_the_spec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

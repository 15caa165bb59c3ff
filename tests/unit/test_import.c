/*
 * test_import.c — the history CSV importer (aggregator/ingest/import.c,
 * aggregator/store/store_import.c).
 *
 * The parser is driven over buffers with a lookup that knows gateway gw-a
 * of unit U1 with points E1/kwh (counter) and E1/kw (gauge), and refuses
 * the rest; every refusal is checked for its line and field. import_run
 * goes into a real store: all or nothing, skip-bad, idempotent re-import,
 * collisions with gateway-signed readings, and rollups that equal what
 * ingest (store_reading_add) keeps for the same readings.
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
#include <unistd.h>

#include "error.h"
#include "fixture.h"
#include "import.h"
#include "store.h"

#define NOW 1767225600          /* 2026-01-01 00:00 UTC */
#define T0 1735660800           /* 2025-01-01 00:00 +08 (2024-12-31 16:00 UTC) */

static int lookups;

static int lookup(void *ctx, const char *gateway, const char *meter,
		  const char *point, struct import_target *out, char *why,
		  size_t whylen)
{
	(void)ctx;
	lookups++;
	if (strcmp(gateway, "gw-a") != 0) {
		snprintf(why, whylen, "gateway: %s is not registered", gateway);
		return 1;
	}
	if (strcmp(meter, "E1") == 0 && strcmp(point, "kwh") == 0)
		snprintf(out->quantity, sizeof(out->quantity), "elec_import_kwh");
	else if (strcmp(meter, "E1") == 0 && strcmp(point, "kw") == 0)
		snprintf(out->quantity, sizeof(out->quantity), "elec_power_kw");
	else {
		snprintf(why, whylen, "point: %s/%s is not registered on gateway %s",
			 meter, point, gateway);
		return 1;
	}
	snprintf(out->unit, sizeof(out->unit), "U1");
	return 0;
}

static int parse(const char *csv, struct import_result *res, char *err,
		 size_t errlen)
{
	return import_parse("h.csv", (const uint8_t *)csv, strlen(csv), NOW, lookup,
			    NULL, res, err, errlen);
}

/* The kept error of line, or NULL. */
static const char *error_of(const struct import_result *res, uint32_t line)
{
	for (size_t i = 0; i < res->nerrors; i++)
		if (res->errors[i].line == line)
			return res->errors[i].text;
	return NULL;
}

static size_t good_rows(const struct import_result *res)
{
	size_t n = 0;
	for (size_t i = 0; i < res->nrows; i++)
		n += !res->rows[i].bad;
	return n;
}

static void assert_error(const struct import_result *res, uint32_t line,
			 const char *text)
{
	const char *e = error_of(res, line);
	if (e == NULL || strcmp(e, text) != 0)
		fail_msg("line %u: want \"%s\", got \"%s\"", line, text, e ? e : "(none)");
}

/* ---- parsing ---- */

static void columns_in_any_order_with_bom_crlf_and_quotes(void **state)
{
	struct import_result res;
	char err[256];
	(void)state;

	assert_int_equal(parse("\xEF\xBB\xBFvalue,time,point,\"meter\",gateway,status\r\n"
			       "12.5,2025-01-01 00:15,kwh,E1,gw-a,ok\r\n"
			       "\"13.25\",2025-01-01T00:30:00,kwh,\"E1\",gw-a,\r\n"
			       ",2025-01-01 00:45,kwh,E1,gw-a,timeout\r\n"
			       "\r\n",
			       &res, err, sizeof(err)), GFI_OK);
	assert_int_equal(res.data_rows, 3);
	assert_int_equal(res.bad_rows, 0);
	assert_int_equal(good_rows(&res), 3);
	assert_int_equal(res.rows[0].time_s, T0 + 900);
	assert_true(res.rows[0].value == 12.5);
	assert_int_equal(res.rows[1].status, GFI_ST_OK);
	assert_true(res.rows[1].value == 13.25);
	assert_int_equal(res.rows[2].status, GFI_ST_TIMEOUT);
	assert_true(isnan(res.rows[2].value));
	assert_int_equal(res.nseries, 1);
	import_result_free(&res);
}

static void time_formats_and_zones(void **state)
{
	static const struct { const char *in; int64_t want; } ok[] = {
		{ "2025-01-01 00:00", T0 },
		{ "2025-01-01T00:00:59", T0 + 59 },
		{ "2024-12-31 16:00Z", T0 },
		{ "2024-12-31T16:00:00Z", T0 },
		{ "2025-01-01 01:00+09:00", T0 },
		{ "2024-12-31 11:00-05:00", T0 },
		{ "2024-02-29 08:00", 1709164800 },
		{ "1735660800", T0 },
	};
	static const char *const bad[] = {
		"", "2025-02-29 00:00", "2025-01-01 24:00", "2025-01-01 8:00",
		"2025-1-01 08:00", "2025-01-01 00:00+15:00", "2025-01-01 00:00 ",
		"2025-01-01 00:00:60", "2025-01-01", "2025/01/01 00:00",
		"2025-01-01 00:00.5", "99999999999999", "-5", "2025-01-01 00:00+08",
	};
	char why[96];
	int64_t t;
	(void)state;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (import_parse_time(ok[i].in, &t, why, sizeof(why)) != GFI_OK)
			fail_msg("%s refused: %s", ok[i].in, why);
		assert_int_equal(t, ok[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (import_parse_time(bad[i], &t, why, sizeof(why)) == GFI_OK)
			fail_msg("%s accepted", bad[i]);
	}
}

static void each_bad_row_is_named_by_line_and_field(void **state)
{
	struct import_result res;
	char err[256];
	(void)state;

	assert_int_equal(parse("gateway,meter,point,time,value,unit,status\n"
			       "gw-a,E1,kwh,2025-01-01 00:15,1,U1,ok\n"          /* 2 */
			       "gw-x,E1,kwh,2025-01-01 00:15,1,,\n"              /* 3 */
			       "gw-a,E9,kwh,2025-01-01 00:15,1,,\n"              /* 4 */
			       "gw-a,E1,kwh,2025-01-01 00:30,abc,,\n"            /* 5 */
			       "gw-a,E1,kwh,2025-01-01 00:45,,,\n"               /* 6 */
			       "gw-a,E1,kwh,2025-01-01 01:00,5,,timeout\n"       /* 7 */
			       "gw-a,E1,kwh,2025-01-01 01:15,-5,,\n"             /* 8 */
			       "gw-a,E1,kw,2025-01-01 01:15,-5,,\n"              /* 9: gauge, fine */
			       "gw-a,E1,kwh,2025-01-01 01:30,2,U2,\n"            /* 10 */
			       "gw-a,E1,kwh,2027-01-01 00:00,2,,\n"              /* 11 */
			       "gw-a,E1,kwh,2025-01-01 01:45,2,,sleepy\n"        /* 12 */
			       "gw-a,E1,kwh,2025-01-01 02:00,2\n"                /* 13 */
			       "gw-a,E1,kwh,2025-01-01 00:15,1,,ok\n"            /* 14: dup of 2 */
			       "gw/a,E1,kwh,2025-01-01 02:15,2,,\n"              /* 15 */
			       "gw-a,E1,kwh,1999-12-31 23:59,2,,\n"              /* 16 */
			       "gw-a,E1,kwh,2025-01-01 02:30,0x10,,\n"           /* 17 */
			       "gw-a,E1,kwh,2025-01-01 02:45,inf,,\n",           /* 18 */
			       &res, err, sizeof(err)), GFI_OK);
	assert_int_equal(res.data_rows, 17);
	assert_int_equal(res.bad_rows, 15);
	assert_int_equal(good_rows(&res), 2);
	assert_error(&res, 3, "h.csv:3: gateway: gw-x is not registered");
	assert_error(&res, 4, "h.csv:4: point: E9/kwh is not registered on gateway gw-a");
	assert_error(&res, 5, "h.csv:5: value: \"abc\" is not a decimal number");
	assert_error(&res, 6, "h.csv:6: value: empty (status ok needs a value)");
	assert_error(&res, 7, "h.csv:7: value: must be empty for a status without a value");
	assert_error(&res, 8, "h.csv:8: value: -5 is negative for counter elec_import_kwh");
	assert_null(error_of(&res, 9));
	assert_error(&res, 10, "h.csv:10: unit: U2 is not the unit of gateway gw-a (U1)");
	assert_error(&res, 11, "h.csv:11: time: in the future");
	assert_error(&res, 12, "h.csv:12: status: \"sleepy\" is not a reading status (ok, "
		     "timeout, exception-N, comm-error, decode-error, backwards, jump, rollover)");
	assert_error(&res, 13, "h.csv:13: record: 5 fields, the header has 7");
	assert_error(&res, 14, "h.csv:14: time: same gateway, meter, point and time as line 2");
	assert_error(&res, 15, "h.csv:15: gateway: \"gw/a\" is not an id (1..31 of letters, "
		     "digits, '.', '_', '-')");
	assert_error(&res, 16, "h.csv:16: time: before 2000-01-01");
	assert_error(&res, 17, "h.csv:17: value: \"0x10\" is not a decimal number");
	assert_error(&res, 18, "h.csv:18: value: \"inf\" is not a decimal number");
	/* One lookup per distinct series: gw-x/E1/kwh, gw-a/E9/kwh, E1/kwh,
	 * E1/kw (gw/a fails before its lookup). */
	assert_int_equal(res.nseries, 4);
	import_result_free(&res);
}

/* Issue 14: a counter exported by Excel from a narrow column (3.46E+06)
 * has lost its digits; the row is refused with the fix, a gauge is not. */
static void counters_in_scientific_notation_are_refused(void **state)
{
	struct import_result res;
	char err[256];
	(void)state;

	assert_int_equal(parse("gateway,meter,point,time,value,unit,status\n"
			       "gw-a,E1,kwh,2025-01-01 00:15,3.46E+06,,\n"       /* 2 */
			       "gw-a,E1,kwh,2025-01-01 00:30,1.2e3,,\n"          /* 3 */
			       "gw-a,E1,kwh,2025-01-01 00:45,3460000,,\n"        /* 4 */
			       "gw-a,E1,kw,2025-01-01 00:45,1.5E+02,,\n",        /* 5: gauge */
			       &res, err, sizeof(err)), GFI_OK);
	assert_int_equal(res.bad_rows, 2);
	assert_error(&res, 2, "h.csv:2: value: \"3.46E+06\" is in scientific notation; "
		     "format the column as a number with no exponent");
	assert_error(&res, 3, "h.csv:3: value: \"1.2e3\" is in scientific notation; "
		     "format the column as a number with no exponent");
	assert_null(error_of(&res, 4));
	assert_null(error_of(&res, 5));
	import_result_free(&res);
}

static void line_numbers_follow_quoted_newlines(void **state)
{
	struct import_result res;
	char err[256];
	(void)state;

	assert_int_equal(parse("gateway,meter,point,time,value\n"
			       "gw-a,E1,kwh,2025-01-01 00:15,1\n"          /* 2 */
			       "\"gw-a\nx\",E1,kwh,2025-01-01 00:30,1\n"   /* 3-4 */
			       "gw-a,E1,kwh,2025-01-01 00:45,\"1\"\"\"\n" /* 5 */
			       "gw-a,E1,kwh,2025-01-01 01:00,1\"\n"        /* 6 */
			       "gw-a,E1,kwh,2025-01-01 01:15,\"2\"x\n"     /* 7 */
			       "gw-a,E1,kwh,2025-01-01 01:30,\"3\n",       /* 8 */
			       &res, err, sizeof(err)), GFI_OK);
	assert_int_equal(res.data_rows, 6);
	assert_int_equal(good_rows(&res), 1);
	assert_error(&res, 3, "h.csv:3: gateway: not UTF-8 text without control characters");
	assert_error(&res, 5, "h.csv:5: value: \"1\"\" is not a decimal number");
	assert_error(&res, 6, "h.csv:6: record: quote inside an unquoted field");
	assert_error(&res, 7, "h.csv:7: record: text after a closing quote");
	assert_error(&res, 8, "h.csv:8: record: quoted field not closed at the end of the file");
	import_result_free(&res);
}

static void nul_bytes_bad_utf8_and_long_records_are_refused(void **state)
{
	static const char csv[] = "gateway,meter,point,time,value\n"
				  "gw-a,E1,kwh,2025-01-01 00:15,1\0\n"
				  "gw-a,E\xC3\x28,kwh,2025-01-01 00:30,1\n"
				  "gw-a,E\xC0\xAF,kwh,2025-01-01 00:30,1\n"
				  "gw-a,E1,kwh,2025-01-01 00:45,1\rx\n";
	struct import_result res;
	char err[256], big[2200];
	size_t n;
	(void)state;

	assert_int_equal(import_parse("h.csv", (const uint8_t *)csv, sizeof(csv) - 1,
				      NOW, lookup, NULL, &res, err, sizeof(err)), GFI_OK);
	assert_int_equal(res.bad_rows, 4);
	assert_error(&res, 2, "h.csv:2: record: NUL byte");
	assert_error(&res, 3, "h.csv:3: meter: not UTF-8 text without control characters");
	assert_error(&res, 4, "h.csv:4: meter: not UTF-8 text without control characters");
	assert_error(&res, 5, "h.csv:5: record: carriage return without line feed");
	import_result_free(&res);

	n = (size_t)snprintf(big, sizeof(big), "gateway,meter,point,time,value\n"
			     "gw-a,E1,kwh,2025-01-01 00:15,");
	memset(big + n, '1', 1100);
	snprintf(big + n + 1100, sizeof(big) - n - 1100, "\n");
	assert_int_equal(parse(big, &res, err, sizeof(err)), GFI_OK);
	assert_error(&res, 2, "h.csv:2: record: record longer than 1024 bytes");
	import_result_free(&res);
}

static void header_problems_refuse_the_file(void **state)
{
	static const struct { const char *csv, *want; } cases[] = {
		{ "", "h.csv:1: header: missing (the first line names the columns)" },
		{ "\n", "h.csv:1: header: missing (the first line names the columns)" },
		{ "gateway,meter,point,time,value,kwh\n",
		  "h.csv:1: header: unknown column \"kwh\" (columns: gateway, meter, point, "
		  "time, value, unit, status)" },
		{ "gateway,meter,point,time\n", "h.csv:1: header: column value missing" },
		{ "gateway,meter,point,time,value,time\n",
		  "h.csv:1: header: column time given twice" },
		{ "Gateway,meter,point,time,value\n",
		  "h.csv:1: header: unknown column \"Gateway\" (columns: gateway, meter, "
		  "point, time, value, unit, status)" },
	};
	struct import_result res;
	char err[256];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].csv, &res, err, sizeof(err)), GFI_E_PARSE);
		assert_string_equal(err, cases[i].want);
		import_result_free(&res);
	}
}

static void only_the_lowest_lines_are_kept_but_all_counted(void **state)
{
	char *csv = malloc(64 * 40 + 64);
	struct import_result res;
	char err[256];
	size_t n;
	(void)state;

	assert_non_null(csv);
	n = (size_t)sprintf(csv, "gateway,meter,point,time,value\n");
	for (int i = 0; i < 40; i++)
		n += (size_t)sprintf(csv + n, "gw-a,E1,kwh,2025-01-01 00:%02d,x\n", i);
	assert_int_equal(parse(csv, &res, err, sizeof(err)), GFI_OK);
	assert_int_equal(res.bad_rows, 40);
	assert_int_equal(res.nerrors, IMPORT_ERRORS_KEPT);
	for (size_t i = 0; i < IMPORT_ERRORS_KEPT; i++)
		assert_int_equal(res.errors[i].line, i + 2);
	import_result_free(&res);
	free(csv);
}

/* ---- into a store ---- */

static int run(struct fixture *f, const char *csv, int skip_bad, int dry_run,
	       struct import_summary *sum, struct import_result *res)
{
	struct import_opts o = { .by = "tester", .skip_bad = skip_bad,
				 .dry_run = dry_run, .now_s = NOW };
	char err[256];
	int ret;

	assert_int_equal(parse(csv, res, err, sizeof(err)), GFI_OK);
	ret = import_run(f->s, res, "00", &o, sum);
	return ret;
}

static int64_t readings(struct fixture *f)
{
	struct store_counts c;
	assert_int_equal(store_counts(f->s, &c), GFI_OK);
	return c.readings;
}

static const char good_csv[] =
	"gateway,meter,point,time,value\n"
	"gw-a,E1,kwh,2025-01-01 00:00,100\n"
	"gw-a,E1,kwh,2025-01-01 12:00,112\n"
	"gw-a,E1,kwh,2025-01-02 00:00,124\n";

static void a_bad_row_imports_nothing_unless_skipped(void **state)
{
	struct fixture *f = *state;
	struct import_result res;
	struct import_summary sum;
	int64_t n, imported;

	assert_int_equal(run(f, "gateway,meter,point,time,value\n"
			     "gw-a,E1,kwh,2025-01-01 00:00,100\n"
			     "gw-a,E1,kwh,2025-01-01 12:00,oops\n", 0, 0, &sum, &res),
			 GFI_E_INVAL);
	import_result_free(&res);
	assert_int_equal(readings(f), 0);
	assert_int_equal(sum.id, 0);

	assert_int_equal(run(f, good_csv, 0, 1, &sum, &res), GFI_OK);
	import_result_free(&res);
	assert_int_equal(sum.inserted, 3);
	assert_int_equal(sum.id, 0);
	assert_int_equal(readings(f), 0);       /* dry run */

	assert_int_equal(run(f, "gateway,meter,point,time,value\n"
			     "gw-a,E1,kwh,2025-01-01 00:00,100\n"
			     "gw-a,E1,kwh,2025-01-01 12:00,oops\n", 1, 0, &sum, &res),
			 GFI_OK);
	import_result_free(&res);
	assert_int_equal(sum.inserted, 1);
	assert_int_equal(sum.bad, 1);
	assert_true(sum.id > 0);
	assert_int_equal(readings(f), 1);
	assert_int_equal(store_import_share(f->s, "gw-a", "E1", "kwh", T0, T0 + 86400,
					    &n, &imported), GFI_OK);
	assert_int_equal(n, 1);
	assert_int_equal(imported, 1);
}

static void reimport_is_harmless_and_collisions_are_bad_rows(void **state)
{
	struct fixture *f = *state;
	struct import_result res;
	struct import_summary sum;
	struct gfi_reading r;
	int inserted;

	/* A gateway-signed reading already at 12:00, another value. */
	memset(&r, 0, sizeof(r));
	snprintf(r.meter, sizeof(r.meter), "E1");
	snprintf(r.point, sizeof(r.point), "kwh");
	snprintf(r.quantity, sizeof(r.quantity), "elec_import_kwh");
	r.time_s = T0 + 12 * 3600;
	r.value = 111;
	assert_int_equal(store_begin(f->s), GFI_OK);
	assert_int_equal(store_reading_add(f->s, "gw-a", &r, &inserted), GFI_OK);
	assert_int_equal(store_commit(f->s), GFI_OK);

	assert_int_equal(run(f, good_csv, 0, 0, &sum, &res), GFI_E_INVAL);
	assert_int_equal(res.bad_rows, 1);
	assert_string_equal(res.errors[0].text, "h.csv:3: time: collides with a stored "
			    "reading (value 111, ok) signed by the gateway");
	import_result_free(&res);
	assert_int_equal(readings(f), 1);

	assert_int_equal(run(f, good_csv, 1, 0, &sum, &res), GFI_OK);
	import_result_free(&res);
	assert_int_equal(sum.inserted, 2);
	assert_int_equal(sum.bad, 1);
	assert_int_equal(readings(f), 3);

	/* Again: everything present or colliding, nothing recorded. */
	assert_int_equal(run(f, good_csv, 1, 0, &sum, &res), GFI_OK);
	import_result_free(&res);
	assert_int_equal(sum.inserted, 0);
	assert_int_equal(sum.present, 2);
	assert_int_equal(sum.id, 0);
	assert_int_equal(readings(f), 3);
}

struct rollups {
	struct rollup r[64];
	size_t n;
};

static int rollup_row(void *ctx, const void *row)
{
	struct rollups *a = ctx;
	if (a->n < 64)
		a->r[a->n++] = *(const struct rollup *)row;
	return 0;
}

static int import_count(void *ctx, const void *row)
{
	(void)row;
	(*(int *)ctx)++;
	return 0;
}

/* The same readings imported in shuffled order into one store and ingested
 * in time order into another give identical rollups. */
static void rollups_equal_what_ingest_keeps(void **state)
{
	struct fixture *f = *state, g;
	struct import_result res;
	struct import_summary sum;
	struct rollups a = { .n = 0 }, b = { .n = 0 };
	char *csv = malloc(200000);
	size_t n, order[600];
	int nimports = 0;

	assert_non_null(csv);
	g.s = NULL;
	snprintf(g.dir, sizeof(g.dir), "%s", f->dir);
	snprintf(g.db, sizeof(g.db), "%s/ingest.db", f->dir);
	assert_int_equal(store_open(g.db, &g.s), GFI_OK);
	for (size_t i = 0; i < 600; i++)
		order[i] = i;
	srand(7);
	for (size_t i = 599; i > 0; i--) {
		size_t j = (size_t)rand() % (i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	n = (size_t)sprintf(csv, "time,gateway,meter,point,value,status\n");
	assert_int_equal(store_begin(g.s), GFI_OK);
	for (size_t k = 0; k < 600; k++) {
		size_t i = order[k];
		/* 300 times over two days, every 10 minutes with silences; a
		 * counter and a gauge; some timeouts and a backwards. */
		int64_t t = T0 + (int64_t)(i / 2) * 600 + ((i / 2) % 17 == 0 ? 1500 : 0);
		int gauge = i % 2;
		int timeout = (i / 2) % 23 == 5;
		int backwards = !gauge && (i / 2) == 40;
		double v = gauge ? 50 + (double)((i * 7) % 13) : 1000 + (double)i * 1.5;
		struct gfi_reading r;
		int ins;

		memset(&r, 0, sizeof(r));
		snprintf(r.meter, sizeof(r.meter), "E1");
		snprintf(r.point, sizeof(r.point), "%s", gauge ? "kw" : "kwh");
		snprintf(r.quantity, sizeof(r.quantity), "%s",
			 gauge ? "elec_power_kw" : "elec_import_kwh");
		r.time_s = t;
		r.value = timeout ? NAN : v;
		r.status = timeout ? GFI_ST_TIMEOUT : backwards ? GFI_ST_BACKWARDS : GFI_ST_OK;
		if (timeout)
			n += (size_t)sprintf(csv + n, "%lld,gw-a,E1,%s,,timeout\n",
					     (long long)t, r.point);
		else
			n += (size_t)sprintf(csv + n, "%lld,gw-a,E1,%s,%.17g,%s\n",
					     (long long)t, r.point, v,
					     backwards ? "backwards" : "ok");
		assert_int_equal(store_reading_add(g.s, "gw-a", &r, &ins), GFI_OK);
	}
	assert_int_equal(store_commit(g.s), GFI_OK);
	assert_int_equal(run(f, csv, 0, 0, &sum, &res), GFI_OK);
	import_result_free(&res);
	assert_int_equal(sum.inserted, 600);
	assert_int_equal(store_rollups(f->s, "gw-a", NULL, NULL, T0 - 86400,
				       T0 + 4 * 86400, rollup_row, &a), GFI_OK);
	assert_int_equal(store_rollups(g.s, "gw-a", NULL, NULL, T0 - 86400,
				       T0 + 4 * 86400, rollup_row, &b), GFI_OK);
	assert_int_equal(a.n, b.n);
	assert_true(a.n >= 4);
	for (size_t i = 0; i < a.n; i++) {
		assert_string_equal(a.r[i].point, b.r[i].point);
		assert_int_equal(a.r[i].day_s, b.r[i].day_s);
		assert_int_equal(a.r[i].count, b.r[i].count);
		assert_int_equal(a.r[i].bad, b.r[i].bad);
		assert_int_equal(a.r[i].first_s, b.r[i].first_s);
		assert_int_equal(a.r[i].last_s, b.r[i].last_s);
		assert_true(a.r[i].first_v == b.r[i].first_v);
		assert_true(a.r[i].last_v == b.r[i].last_v);
		assert_true(a.r[i].min_v == b.r[i].min_v);
		assert_true(a.r[i].max_v == b.r[i].max_v);
		assert_true(fabs(a.r[i].integral - b.r[i].integral) <=
			    1e-9 * fabs(b.r[i].integral));
		assert_int_equal(a.r[i].flagged, b.r[i].flagged);
	}
	assert_int_equal(store_import_list(f->s, import_count, &nimports), GFI_OK);
	assert_int_equal(nimports, 1);
	store_close(g.s);
	unlink(g.db);
	snprintf(g.db, sizeof(g.db), "%s/ingest.db-wal", f->dir);
	unlink(g.db);
	snprintf(g.db, sizeof(g.db), "%s/ingest.db-shm", f->dir);
	unlink(g.db);
	free(csv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(columns_in_any_order_with_bom_crlf_and_quotes),
		cmocka_unit_test(time_formats_and_zones),
		cmocka_unit_test(each_bad_row_is_named_by_line_and_field),
		cmocka_unit_test(counters_in_scientific_notation_are_refused),
		cmocka_unit_test(line_numbers_follow_quoted_newlines),
		cmocka_unit_test(nul_bytes_bad_utf8_and_long_records_are_refused),
		cmocka_unit_test(header_problems_refuse_the_file),
		cmocka_unit_test(only_the_lowest_lines_are_kept_but_all_counted),
		cmocka_unit_test_setup_teardown(a_bad_row_imports_nothing_unless_skipped,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(reimport_is_harmless_and_collisions_are_bad_rows,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(rollups_equal_what_ingest_keeps, fixture_setup,
						fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

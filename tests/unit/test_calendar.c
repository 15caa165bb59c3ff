/*
 * test_calendar.c — the Asia/Shanghai calendar (common/calendar.c).
 *
 * Every expected epoch second and day number below was computed
 * independently, with Python's standard library only: datetime with
 * zoneinfo.ZoneInfo("Asia/Shanghai") for local times, fixed
 * timezone(timedelta(...)) offsets for zoned strings, and
 * (date(y, m, d) - date(1970, 1, 1)).days for day numbers, e.g.
 *   int(datetime(2024, 2, 29, 12, 34, 56, tzinfo=ZoneInfo("Asia/Shanghai"))
 *       .timestamp()) == 1709181296
 * Local midnight is 16:00 UTC of the day before: boundaries are asserted at
 * the last second of one period and the first of the next.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "error.h"

static void days_from_civil_counts_leap_days_like_python(void **state)
{
	static const struct { int y, m, d; int64_t days; } v[] = {
		{ 1970, 1, 1, 0 },        { 1969, 12, 31, -1 },
		{ 1600, 3, 1, -135080 },  { 2000, 2, 29, 11016 },
		{ 2000, 3, 1, 11017 },    { 2024, 2, 29, 19782 },
		{ 2100, 2, 28, 47540 },   { 2100, 3, 1, 47541 },
		{ 2200, 12, 31, 84370 },  { 1, 1, 1, -719162 },
	};
	int y, m, d;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(calendar_days_from_civil(v[i].y, v[i].m, v[i].d), v[i].days);
		calendar_civil_from_days(v[i].days, &y, &m, &d);
		assert_int_equal(y, v[i].y);
		assert_int_equal(m, v[i].m);
		assert_int_equal(d, v[i].d);
	}
}

static void february_has_29_days_in_leap_years_only(void **state)
{
	(void)state;
	assert_int_equal(calendar_days_in_month(2024, 2), 29);
	assert_int_equal(calendar_days_in_month(2000, 2), 29);   /* 400 divides */
	assert_int_equal(calendar_days_in_month(2100, 2), 28);   /* 100 divides */
	assert_int_equal(calendar_days_in_month(2025, 2), 28);
	assert_int_equal(calendar_days_in_month(2025, 4), 30);
	assert_int_equal(calendar_days_in_month(2025, 12), 31);
}

static void assert_bounds(int y, int m, int d, int64_t start, int64_t end)
{
	int64_t s = 0, e = 0;

	assert_int_equal(calendar_bounds(y, m, d, &s, &e), GFI_OK);
	assert_int_equal(s, start);
	assert_int_equal(e, end);
}

static void bounds_of_years_months_and_days(void **state)
{
	(void)state;
	assert_bounds(1970, 0, 0, -28800, 31507200);
	assert_bounds(2024, 0, 0, 1704038400, 1735660800);
	assert_bounds(2100, 0, 0, 4102416000, 4133952000);
	assert_bounds(2200, 0, 0, 7258089600, 7289625600);
	assert_bounds(2024, 2, 0, 1706716800, 1709222400);
	assert_bounds(2025, 2, 0, 1738339200, 1740758400);
	assert_bounds(2100, 2, 0, 4105094400, 4107513600);
	assert_bounds(2000, 2, 0, 949334400, 951840000);
	assert_bounds(2025, 12, 0, 1764518400, 1767196800);
	assert_bounds(2024, 2, 29, 1709136000, 1709222400);
	assert_bounds(2100, 2, 28, 4107427200, 4107513600);
	assert_bounds(2024, 12, 31, 1735574400, 1735660800);
}

static void bounds_refuse_what_is_not_a_period(void **state)
{
	int64_t s = 0, e = 0;

	(void)state;
	assert_int_equal(calendar_bounds(1969, 12, 0, &s, &e), GFI_E_RANGE);
	assert_int_equal(calendar_bounds(2201, 1, 0, &s, &e), GFI_E_RANGE);
	assert_int_equal(calendar_bounds(2025, 13, 0, &s, &e), GFI_E_RANGE);
	assert_int_equal(calendar_bounds(2025, -1, 0, &s, &e), GFI_E_RANGE);
	assert_int_equal(calendar_bounds(2100, 2, 29, &s, &e), GFI_E_RANGE);
	assert_int_equal(calendar_bounds(2025, 0, 1, &s, &e), GFI_E_RANGE);
	assert_int_equal(calendar_bounds(2025, 1, -1, &s, &e), GFI_E_RANGE);
	assert_int_equal(calendar_bounds(2024, 2, 29, &s, &e), GFI_OK);
}

static void days_turn_at_16_utc_also_before_the_epoch(void **state)
{
	static const struct { int64_t t; int y, m, d; int64_t start; const char *text; } v[] = {
		{ 0, 1970, 1, 1, -28800, "1970-01-01 08:00:00" },
		{ -1, 1970, 1, 1, -28800, "1970-01-01 07:59:59" },
		{ -28800, 1970, 1, 1, -28800, "1970-01-01 00:00:00" },
		{ -28801, 1969, 12, 31, -115200, "1969-12-31 23:59:59" },
		{ 1735660799, 2024, 12, 31, 1735574400, "2024-12-31 23:59:59" },
		{ 1735660800, 2025, 1, 1, 1735660800, "2025-01-01 00:00:00" },
		{ 1709164799, 2024, 2, 29, 1709136000, "2024-02-29 07:59:59" },
		{ 1709222399, 2024, 2, 29, 1709136000, "2024-02-29 23:59:59" },
		{ 1709222400, 2024, 3, 1, 1709222400, "2024-03-01 00:00:00" },
		{ 4107513599, 2100, 2, 28, 4107427200, "2100-02-28 23:59:59" },
		{ 4107513600, 2100, 3, 1, 4107513600, "2100-03-01 00:00:00" },
		{ 951753599, 2000, 2, 28, 951667200, "2000-02-28 23:59:59" },
		{ 951753600, 2000, 2, 29, 951753600, "2000-02-29 00:00:00" },
	};
	char text[32];
	int y, m, d;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		calendar_date_of(v[i].t, &y, &m, &d);
		assert_int_equal(y, v[i].y);
		assert_int_equal(m, v[i].m);
		assert_int_equal(d, v[i].d);
		assert_int_equal(calendar_day_start(v[i].t), v[i].start);
		assert_int_equal(calendar_midnight(y, m, d), v[i].start);
		calendar_format(v[i].t, text, sizeof(text));
		assert_string_equal(text, v[i].text);
	}
}

#define PERIOD_FLAGS (CALENDAR_DATE_ONLY_OK | CALENDAR_EPOCH_OK | CALENDAR_NEGATIVE_EPOCH_OK)
#define IMPORT_FLAGS (CALENDAR_EPOCH_OK | CALENDAR_ZONE_OK)

static void expect_time(const char *s, unsigned flags, int64_t want)
{
	char why[96] = "";
	int64_t t = 0;

	if (calendar_parse_time(s, flags, &t, why, sizeof(why)) != GFI_OK)
		fail_msg("\"%s\" (flags %#x) refused: %s", s, flags, why);
	assert_int_equal(t, want);
}

static void expect_refusal(const char *s, unsigned flags, const char *reason)
{
	char why[96] = "";
	int64_t t = 0;

	if (calendar_parse_time(s, flags, &t, why, sizeof(why)) != GFI_E_PARSE)
		fail_msg("\"%s\" (flags %#x) accepted", s, flags);
	assert_string_equal(why, reason);
}

static void parser_reads_local_times_zones_and_epochs(void **state)
{
	(void)state;
	expect_time("2024-02-29 12:34:56", 0, 1709181296);
	expect_time("2024-02-29T12:34", 0, 1709181296 - 56);
	expect_time("2100-02-28T23:59:59", 0, 4107513599);
	expect_time("2000-01-01", CALENDAR_DATE_ONLY_OK, 946656000);
	expect_time("2024-12-31 16:00Z", CALENDAR_ZONE_OK, 1735660800);
	expect_time("2024-12-31T16:00:00Z", CALENDAR_ZONE_OK, 1735660800);
	expect_time("2025-01-01 01:00+09:00", CALENDAR_ZONE_OK, 1735660800);
	expect_time("2024-12-31 11:00-05:00", CALENDAR_ZONE_OK, 1735660800);
	expect_time("2025-01-01 00:00+14:59", CALENDAR_ZONE_OK, 1735635660);
	expect_time("2025-01-01 00:00", CALENDAR_ZONE_OK, 1735660800);
	expect_time("1735660800", CALENDAR_EPOCH_OK, 1735660800);
	expect_time("999999999999", CALENDAR_EPOCH_OK, 999999999999);
	expect_time("-5", PERIOD_FLAGS, -5);
	expect_time("0", PERIOD_FLAGS, 0);
}

static void parser_refuses_what_its_flags_exclude(void **state)
{
	(void)state;
	expect_refusal("2000-01-01", 0, "not YYYY-MM-DD HH:MM[:SS]");
	expect_refusal("2000-01-01", IMPORT_FLAGS,
		       "not YYYY-MM-DD HH:MM[:SS][Z|+HH:MM] or epoch seconds");
	expect_refusal("1735660800", CALENDAR_DATE_ONLY_OK, "not YYYY-MM-DD[ HH:MM[:SS]]");
	expect_refusal("-5", IMPORT_FLAGS,
		       "not YYYY-MM-DD HH:MM[:SS][Z|+HH:MM] or epoch seconds");
	expect_refusal("2024-12-31 16:00Z", PERIOD_FLAGS,
		       "not YYYY-MM-DD[ HH:MM[:SS]] or epoch seconds");
	expect_refusal("2025-01-01Z", CALENDAR_DATE_ONLY_OK | CALENDAR_ZONE_OK,
		       "not YYYY-MM-DD[ HH:MM[:SS]][Z|+HH:MM]");
	expect_refusal("2025-01-01 00:00+08", IMPORT_FLAGS,
		       "not YYYY-MM-DD HH:MM[:SS][Z|+HH:MM] or epoch seconds");
	expect_refusal("2025-01-01 00:00+15:00", IMPORT_FLAGS, "offset +15:00 out of range");
	expect_refusal("2025-01-01 00:00-14:60", IMPORT_FLAGS, "offset -14:60 out of range");
	expect_refusal("9999999999999", IMPORT_FLAGS, "epoch seconds out of range");
	expect_refusal("-9999999999999", PERIOD_FLAGS, "epoch seconds out of range");
	expect_refusal("", PERIOD_FLAGS, "empty");
}

static void parser_refuses_impossible_dates_and_clocks(void **state)
{
	static const char *const bad[] = {
		"2023-02-29", "2100-02-29", "2024-13-01", "2024-00-10", "2024-01-32",
		"2024-01-01 24:00", "2024-01-01 12:60", "2024-01-01 12:00:60",
		"1969-12-31", "2201-01-01",
	};
	static const char *const shapeless[] = {
		"2024-1-01", "2024-01-01x", "12abc", "2024-01-01 12", "2024-01-01 ",
		"2024/01/01", "2024-01-01 00:00.5", "+5", " 5", "--5", "-",
	};
	char want[96];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "%s is not a valid date and time", bad[i]);
		expect_refusal(bad[i], PERIOD_FLAGS, want);
	}
	for (size_t i = 0; i < sizeof(shapeless) / sizeof(shapeless[0]); i++)
		expect_refusal(shapeless[i], PERIOD_FLAGS,
			       "not YYYY-MM-DD[ HH:MM[:SS]] or epoch seconds");
}

static void parser_needs_no_reason_buffer(void **state)
{
	int64_t t = 7;

	(void)state;
	assert_int_equal(calendar_parse_time("2024-13-01", PERIOD_FLAGS, &t, NULL, 0),
			 GFI_E_PARSE);
	assert_int_equal(calendar_parse_time(NULL, PERIOD_FLAGS, &t, NULL, 0), GFI_E_PARSE);
	assert_int_equal(t, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(days_from_civil_counts_leap_days_like_python),
		cmocka_unit_test(february_has_29_days_in_leap_years_only),
		cmocka_unit_test(bounds_of_years_months_and_days),
		cmocka_unit_test(bounds_refuse_what_is_not_a_period),
		cmocka_unit_test(days_turn_at_16_utc_also_before_the_epoch),
		cmocka_unit_test(parser_reads_local_times_zones_and_epochs),
		cmocka_unit_test(parser_refuses_what_its_flags_exclude),
		cmocka_unit_test(parser_refuses_impossible_dates_and_clocks),
		cmocka_unit_test(parser_needs_no_reason_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

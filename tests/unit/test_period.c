/*
 * test_period.c — Asia/Shanghai months and years (aggregator/calc/period.c).
 *
 * Expected epoch seconds were computed independently (Python datetime with a
 * fixed +08:00 offset). Boundaries are asserted at the exact second: local
 * midnight is 16:00 UTC of the day before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "error.h"
#include "period.h"

static void assert_bounds(int year, int month, int64_t start, int64_t end)
{
	int64_t s = 0, e = 0;

	assert_int_equal(period_bounds(year, month, &s, &e), GFI_OK);
	assert_int_equal(s, start);
	assert_int_equal(e, end);
}

static void months_start_at_local_midnight(void **state)
{
	(void)state;
	/* 2025-01-01 00:00 +08 = 2024-12-31 16:00 UTC */
	assert_bounds(2025, 1, 1735660800, 1738339200);
	assert_bounds(2024, 12, 1732982400, 1735660800);
}

static void february_of_a_leap_year_has_29_days(void **state)
{
	(void)state;
	assert_bounds(2024, 2, 1706716800, 1709222400);
	assert_int_equal(1709222400 - 1706716800, 29 * 86400);
	assert_bounds(2025, 2, 1738339200, 1738339200 + 28 * 86400);
	/* 1900 is not a leap year, 2000 is; only 2000 is in range. */
	assert_bounds(2000, 2, 949334400, 949334400 + 29 * 86400);
}

static void years_run_from_january_to_january(void **state)
{
	(void)state;
	assert_bounds(2025, 0, 1735660800, 1767196800);
	assert_bounds(2024, 0, 1704038400, 1735660800);
	assert_int_equal(1735660800 - 1704038400, 366 * 86400);
	assert_bounds(1970, 0, -28800, 31507200);
}

static void out_of_range_is_refused(void **state)
{
	int64_t s, e;

	(void)state;
	assert_int_equal(period_bounds(1969, 1, &s, &e), GFI_E_RANGE);
	assert_int_equal(period_bounds(2201, 1, &s, &e), GFI_E_RANGE);
	assert_int_equal(period_bounds(2025, 13, &s, &e), GFI_E_RANGE);
	assert_int_equal(period_bounds(2025, -1, &s, &e), GFI_E_RANGE);
}

static void assert_of(int64_t t, int year, int month)
{
	int y = 0, m = 0;

	period_of(t, &y, &m);
	assert_int_equal(y, year);
	assert_int_equal(m, month);
}

static void period_of_changes_at_the_boundary_second(void **state)
{
	(void)state;
	assert_of(1735660800 - 1, 2024, 12);   /* 2024-12-31 23:59:59 +08 */
	assert_of(1735660800, 2025, 1);
	assert_of(1709222400 - 1, 2024, 2);    /* 2024-02-29 23:59:59 +08 */
	assert_of(1709222400, 2024, 3);
	assert_of(-28800, 1970, 1);
	assert_of(-28801, 1969, 12);
}

static void every_month_round_trips(void **state)
{
	(void)state;
	for (int y = 1971; y <= 2199; y += 7) {
		for (int m = 1; m <= 12; m++) {
			int64_t s, e;
			assert_int_equal(period_bounds(y, m, &s, &e), GFI_OK);
			assert_of(s, y, m);
			assert_of(e - 1, y, m);
			assert_true(e - s >= 28 * 86400 && e - s <= 31 * 86400);
		}
	}
}

static void parse_accepts_local_dates_and_epochs(void **state)
{
	int64_t t = 0;

	(void)state;
	assert_int_equal(period_parse_time("2024-01-01", &t), GFI_OK);
	assert_int_equal(t, 1704038400);
	assert_int_equal(period_parse_time("2024-02-29 12:34:56", &t), GFI_OK);
	assert_int_equal(t, 1709181296);
	assert_int_equal(period_parse_time("2024-02-29T12:34", &t), GFI_OK);
	assert_int_equal(t, 1709181296 - 56);
	assert_int_equal(period_parse_time("1704038400", &t), GFI_OK);
	assert_int_equal(t, 1704038400);
	assert_int_equal(period_parse_time("-5", &t), GFI_OK);
	assert_int_equal(t, -5);
}

static void parse_refuses_what_is_not_a_time(void **state)
{
	static const char *const bad[] = {
		"", "2023-02-29", "2024-13-01", "2024-00-10", "2024-01-32",
		"2024-01-01 24:00", "2024-01-01 12:60", "2024-01-01 12:00:60",
		"2024-1-01", "2024-01-01x", "12abc", "2024-01-01 12", "1969-12-31",
	};
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(period_parse_time(bad[i], &t), GFI_E_PARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(months_start_at_local_midnight),
		cmocka_unit_test(february_of_a_leap_year_has_29_days),
		cmocka_unit_test(years_run_from_january_to_january),
		cmocka_unit_test(out_of_range_is_refused),
		cmocka_unit_test(period_of_changes_at_the_boundary_second),
		cmocka_unit_test(every_month_round_trips),
		cmocka_unit_test(parse_accepts_local_dates_and_epochs),
		cmocka_unit_test(parse_refuses_what_is_not_a_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

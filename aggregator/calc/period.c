/*
 * period.c — months and years of the aggregator's indicators, as the
 * calendar (common/calendar.c) cuts them.
 *
 * Why: the indicators, alerts, report and API ask for "year Y" or "month M
 * of Y" and read times typed by people; the calendar owns the arithmetic
 * and the parser, this file only fixes what the aggregator's callers get:
 * months 0 (the year) and 1..12, and times as local dates, local times
 * without a zone or (possibly negative) epoch seconds.
 * Invariant: period_bounds(y, m) is half open and period_of(start) == (y, m)
 * while period_of(end - 1) == (y, m) too.
 */
#include "period.h"

#include "calendar.h"

int period_bounds(int year, int month, int64_t *start, int64_t *end)
{
	return calendar_bounds(year, month, 0, start, end);
}

int period_registry_at(int year, int64_t now_s, int64_t *at_s)
{
	int64_t start = 0, end = 0;
	int ret = period_bounds(year, 0, &start, &end);

	*at_s = now_s < start ? start : now_s < end ? now_s : end - 1;
	return ret;
}

void period_of(int64_t t, int *year, int *month)
{
	int day;

	calendar_date_of(t, year, month, &day);
}

int period_parse_time(const char *s, int64_t *out)
{
	return calendar_parse_time(s, CALENDAR_DATE_ONLY_OK | CALENDAR_EPOCH_OK |
				   CALENDAR_NEGATIVE_EPOCH_OK, out, NULL, 0);
}

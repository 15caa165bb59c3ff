/*
 * period.c — Asia/Shanghai months and years as UTC epoch second bounds.
 *
 * Why: every period total of gfi (DESIGN.md "Time") is cut at local
 * midnight, 16:00 UTC of the day before. Asia/Shanghai has been UTC+8
 * without daylight saving since 1991, so no time zone database is needed:
 * civil dates convert to days since the epoch by the proleptic Gregorian
 * calendar (days_from_civil below), then shift by eight hours.
 * Invariant: period_bounds(y, m) is half open and period_of(start) == (y, m)
 * while period_of(end - 1) == (y, m) too.
 */
#include "period.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define SHANGHAI_OFFSET_S (8 * 3600)
#define YEAR_MIN 1970
#define YEAR_MAX 2200

/* Days from 1970-01-01 to y-m-d (Gregorian; m 1..12, d 1..31). The month is
 * shifted so that February ends the computational year, which makes the
 * leap day the last day of a year and the month lengths a simple formula. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil. */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp, yy;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

static int64_t local_midnight(int year, int month, int day)
{
	return days_from_civil(year, month, day) * 86400 - SHANGHAI_OFFSET_S;
}

int period_bounds(int year, int month, int64_t *start, int64_t *end)
{
	if (year < YEAR_MIN || year > YEAR_MAX || month < 0 || month > 12)
		return GFI_E_RANGE;
	if (month == 0) {
		*start = local_midnight(year, 1, 1);
		*end = local_midnight(year + 1, 1, 1);
	} else {
		*start = local_midnight(year, month, 1);
		*end = month == 12 ? local_midnight(year + 1, 1, 1)
				   : local_midnight(year, month + 1, 1);
	}
	return GFI_OK;
}

void period_of(int64_t t, int *year, int *month)
{
	int64_t local = t + SHANGHAI_OFFSET_S;
	/* Floor division: times before the epoch still land in their day. */
	int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	int d;

	civil_from_days(days, year, month, &d);
}

/* Read exactly n digits at *p into *out, advancing *p. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return GFI_E_PARSE;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return GFI_OK;
}

static int days_in_month(int y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 ? 28 + leap : len[m - 1];
}

/* Epoch seconds as a plain (possibly negative) integer. */
static int parse_epoch(const char *s, int64_t *out)
{
	char *end = NULL;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE)
		return GFI_E_PARSE;
	*out = (int64_t)v;
	return GFI_OK;
}

int period_parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	const char *p = s;

	if (s == NULL || *s == '\0')
		return GFI_E_PARSE;
	if (strchr(s, '-') == NULL || s[0] == '-')
		return parse_epoch(s, out);
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return GFI_E_PARSE;
	if (*p == ' ' || *p == 'T') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return GFI_E_PARSE;
		if (*p == ':' && (p++, digits(&p, 2, &sec)))
			return GFI_E_PARSE;
	}
	if (*p != '\0' || y < YEAR_MIN || y > YEAR_MAX || mo < 1 || mo > 12 ||
	    d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
		return GFI_E_PARSE;
	*out = local_midnight(y, mo, d) + h * 3600 + mi * 60 + sec;
	return GFI_OK;
}

/*
 * calendar.c — the Asia/Shanghai calendar: civil dates, local days, months
 * and years, and the one parser of time strings (calendar.h).
 *
 * Why: every period total of gfi (DESIGN.md "Time") is cut at local
 * midnight, 16:00 UTC of the day before, and agent, aggregator and
 * simulator must cut at the same second. Asia/Shanghai has been UTC+8
 * without daylight saving since 1991, so no time zone database is needed:
 * civil dates convert to days since the epoch by the proleptic Gregorian
 * calendar (H. Hinnant's days_from_civil), then shift by eight hours.
 *
 * Invariants: calendar_bounds is half open, and calendar_date_of(start) and
 * calendar_date_of(end - 1) both fall inside the period asked; day numbers
 * are floored, so a time before the epoch still lands in its own day; the
 * parser reads only s and refuses, with one line, what its flags exclude.
 */
#include "calendar.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define EPOCH_DIGITS_MAX 12    /* epoch seconds up to year ~33658 */
#define ZONE_HOURS_MAX 14      /* the widest offset in use, +14:00 */

int64_t calendar_days_from_civil(int64_t year, int month, int day)
{
	int64_t era, yoe, doy, doe;

	/* Count years from March, so the leap day ends the computational year
	 * and the month lengths follow (153 * m + 2) / 5. */
	year -= month <= 2;
	era = (year >= 0 ? year : year - 399) / 400;
	yoe = year - era * 400;
	doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void calendar_civil_from_days(int64_t days, int *year, int *month, int *day)
{
	int64_t era, doe, yoe, doy, mp, z = days + 719468;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = (int)(mp < 10 ? mp + 3 : mp - 9);
	*year = (int)(yoe + era * 400 + (*month <= 2));
}

int calendar_days_in_month(int year, int month)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 ? 28 + leap : len[month - 1];
}

int64_t calendar_midnight(int year, int month, int day)
{
	return calendar_days_from_civil(year, month, day) * CALENDAR_DAY_S -
	       CALENDAR_OFFSET_S;
}

/* The local day number of t: days since 1970-01-01 local, floored. */
static int64_t local_day(int64_t t)
{
	int64_t local = t + CALENDAR_OFFSET_S;
	int64_t q = local / CALENDAR_DAY_S;

	return local % CALENDAR_DAY_S < 0 ? q - 1 : q;
}

int64_t calendar_day_start(int64_t t)
{
	return local_day(t) * CALENDAR_DAY_S - CALENDAR_OFFSET_S;
}

void calendar_date_of(int64_t t, int *year, int *month, int *day)
{
	calendar_civil_from_days(local_day(t), year, month, day);
}

int calendar_bounds(int year, int month, int day, int64_t *start, int64_t *end)
{
	if (year < CALENDAR_YEAR_MIN || year > CALENDAR_YEAR_MAX || month < 0 ||
	    month > 12 || day < 0 || (month == 0 && day != 0) ||
	    (month > 0 && day > calendar_days_in_month(year, month)))
		return GFI_E_RANGE;
	if (month == 0) {
		*start = calendar_midnight(year, 1, 1);
		*end = calendar_midnight(year + 1, 1, 1);
	} else if (day == 0) {
		*start = calendar_midnight(year, month, 1);
		*end = month == 12 ? calendar_midnight(year + 1, 1, 1)
				   : calendar_midnight(year, month + 1, 1);
	} else {
		*start = calendar_midnight(year, month, day);
		*end = *start + CALENDAR_DAY_S;
	}
	return GFI_OK;
}

void calendar_format(int64_t t, char *out, size_t size)
{
	int64_t second = t - calendar_day_start(t);
	int y, mo, d;

	calendar_date_of(t, &y, &mo, &d);
	snprintf(out, size, "%04d-%02d-%02d %02d:%02d:%02d", y, mo, d,
		 (int)(second / 3600), (int)(second / 60 % 60), (int)(second % 60));
}

/* ---- the parser ---- */

/* A local time string as read, before any range check. */
struct stamp {
	int year, month, day, hour, minute, second;
	int has_time;
	int zone_sign;             /* 0: no zone given (+08:00) */
	int zone_hours, zone_minutes;
	const char *zone;          /* where "Z" or "±HH:MM" starts, or NULL */
};

__attribute__((format(printf, 3, 4)))
static void whyf(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* Exactly n decimal digits at *p into *out, advancing *p; 0 if not. */
static int take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return 0;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 1;
}

/* The character c at *p, advancing *p; 0 if another one (or the end). */
static int take_char(const char **p, char c)
{
	if (**p != c)
		return 0;
	(*p)++;
	return 1;
}

/* "HH:MM[:SS]" then, when zones are allowed, "Z" or "±HH:MM". */
static int read_clock(const char **p, unsigned flags, struct stamp *st)
{
	st->has_time = 1;
	if (!take_digits(p, 2, &st->hour) || !take_char(p, ':') ||
	    !take_digits(p, 2, &st->minute))
		return 0;
	if (take_char(p, ':') && !take_digits(p, 2, &st->second))
		return 0;
	if (!(flags & CALENDAR_ZONE_OK))
		return 1;
	st->zone = *p;
	if (take_char(p, 'Z')) {
		st->zone_sign = 1;
		return 1;
	}
	if (**p != '+' && **p != '-') {
		st->zone = NULL;
		return 1;
	}
	st->zone_sign = *(*p)++ == '-' ? -1 : 1;
	return take_digits(p, 2, &st->zone_hours) && take_char(p, ':') &&
	       take_digits(p, 2, &st->zone_minutes);
}

/* The shape "YYYY-MM-DD[( |T)clock]" of s, fields unchecked; 0 if not. */
static int read_stamp(const char *s, unsigned flags, struct stamp *st)
{
	const char *p = s;

	memset(st, 0, sizeof(*st));
	if (!take_digits(&p, 4, &st->year) || !take_char(&p, '-') ||
	    !take_digits(&p, 2, &st->month) || !take_char(&p, '-') ||
	    !take_digits(&p, 2, &st->day))
		return 0;
	if (take_char(&p, ' ') || take_char(&p, 'T')) {
		if (!read_clock(&p, flags, st))
			return 0;
	} else if (!(flags & CALENDAR_DATE_ONLY_OK)) {
		return 0;
	}
	return *p == '\0';
}

static int stamp_valid(const struct stamp *st)
{
	return st->year >= CALENDAR_YEAR_MIN && st->year <= CALENDAR_YEAR_MAX &&
	       st->month >= 1 && st->month <= 12 && st->day >= 1 &&
	       st->day <= calendar_days_in_month(st->year, st->month) &&
	       st->hour <= 23 && st->minute <= 59 && st->second <= 59;
}

/* Digits only, after a '-' when the flags allow one. */
static int epoch_shaped(const char *s, unsigned flags)
{
	if (!(flags & CALENDAR_EPOCH_OK))
		return 0;
	if (*s == '-' && (flags & CALENDAR_NEGATIVE_EPOCH_OK))
		s++;
	return *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

static int parse_epoch(const char *s, int64_t *out, char *why, size_t whylen)
{
	char *end = NULL;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (strlen(s) - (*s == '-') > EPOCH_DIGITS_MAX || errno != 0 || *end != '\0') {
		whyf(why, whylen, "epoch seconds out of range");
		return GFI_E_PARSE;
	}
	*out = (int64_t)v;
	return GFI_OK;
}

static void why_shape(unsigned flags, char *why, size_t whylen)
{
	whyf(why, whylen, "not YYYY-MM-DD%s%s%s",
	     flags & CALENDAR_DATE_ONLY_OK ? "[ HH:MM[:SS]]" : " HH:MM[:SS]",
	     flags & CALENDAR_ZONE_OK ? "[Z|+HH:MM]" : "",
	     flags & CALENDAR_EPOCH_OK ? " or epoch seconds" : "");
}

int calendar_parse_time(const char *s, unsigned flags, int64_t *out, char *why,
			size_t whylen)
{
	struct stamp st;
	int offset_s = CALENDAR_OFFSET_S;

	if (s == NULL || *s == '\0') {
		whyf(why, whylen, "empty");
		return GFI_E_PARSE;
	}
	if (epoch_shaped(s, flags))
		return parse_epoch(s, out, why, whylen);
	if (!read_stamp(s, flags, &st)) {
		why_shape(flags, why, whylen);
		return GFI_E_PARSE;
	}
	if (st.zone_sign != 0 && (st.zone_hours > ZONE_HOURS_MAX || st.zone_minutes > 59)) {
		whyf(why, whylen, "offset %.6s out of range", st.zone);
		return GFI_E_PARSE;
	}
	if (!stamp_valid(&st)) {
		whyf(why, whylen, "%.19s is not a valid date and time", s);
		return GFI_E_PARSE;
	}
	if (st.zone_sign != 0)
		offset_s = st.zone_sign * (st.zone_hours * 3600 + st.zone_minutes * 60);
	*out = calendar_days_from_civil(st.year, st.month, st.day) * CALENDAR_DAY_S +
	       st.hour * 3600 + st.minute * 60 + st.second - offset_s;
	return GFI_OK;
}

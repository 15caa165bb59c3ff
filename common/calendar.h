/*
 * calendar.h — the Asia/Shanghai calendar of gfi (UTC+8, no daylight saving
 * since 1991): civil dates, local days, months and years as UTC epoch
 * second bounds [start, end), and the one parser of time strings.
 */
#ifndef GFI_CALENDAR_H
#define GFI_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#define CALENDAR_OFFSET_S (8 * 3600)   /* local time = UTC + 8 h */
#define CALENDAR_DAY_S 86400
#define CALENDAR_YEAR_MIN 1970         /* years calendar_bounds and the parser */
#define CALENDAR_YEAR_MAX 2200         /* accept */

/* Days from 1970-01-01 to year-month-day, proleptic Gregorian (month 1..12,
 * day 1..31; no range check). Negative before 1970. */
int64_t calendar_days_from_civil(int64_t year, int month, int day);

/* The inverse of calendar_days_from_civil: the date of day number days. */
void calendar_civil_from_days(int64_t days, int *year, int *month, int *day);

/* Days in month 1..12 of year (28..31). */
int calendar_days_in_month(int year, int month);

/* Epoch second of local midnight starting year-month-day (no range check). */
int64_t calendar_midnight(int year, int month, int day);

/* Epoch second of the local midnight starting the day that contains t
 * (t before the epoch too); the day numbering of the rollups. */
int64_t calendar_day_start(int64_t t);

/* The local year, month 1..12 and day 1..31 containing t. */
void calendar_date_of(int64_t t, int *year, int *month, int *day);

/* [start, end) of a local year (month 0, day 0), month (day 0) or day.
 * GFI_E_RANGE for a year outside CALENDAR_YEAR_MIN..MAX, a month outside
 * 0..12, a day outside 0..days of the month, or a day without a month. */
int calendar_bounds(int year, int month, int day, int64_t *start, int64_t *end);

/* t as "YYYY-MM-DD HH:MM:SS" local time into out (size >= 20; shorter is
 * truncated, always terminated). Years 0..9999. */
void calendar_format(int64_t t, char *out, size_t size);

/* What calendar_parse_time accepts besides "YYYY-MM-DD( |T)HH:MM[:SS]",
 * local time, years CALENDAR_YEAR_MIN..MAX. */
#define CALENDAR_DATE_ONLY_OK 0x1u     /* "YYYY-MM-DD" alone: its midnight */
#define CALENDAR_EPOCH_OK 0x2u         /* 1..12 digits: epoch seconds */
#define CALENDAR_NEGATIVE_EPOCH_OK 0x4u /* ... also after a '-' */
#define CALENDAR_ZONE_OK 0x8u          /* "Z" or "±HH:MM" (<= 14:59) after
					  the time, instead of +08:00 */

/* Parse s (hostile) as the flags allow into *out, UTC epoch seconds.
 * GFI_E_PARSE with a one-line reason in why (may be NULL) that does not
 * name the field: the caller does. */
int calendar_parse_time(const char *s, unsigned flags, int64_t *out, char *why,
			size_t whylen);

#endif

/*
 * period.h — months and years in Asia/Shanghai (UTC+8, no daylight saving
 * since 1991), as UTC epoch second bounds [start, end). The arithmetic is
 * common/calendar.h's; these are the aggregator's shorthands for it.
 */
#ifndef GFI_AGG_PERIOD_H
#define GFI_AGG_PERIOD_H

#include <stdint.h>

/* [start, end) of year (month 0) or of month 1..12 of year, Asia/Shanghai.
 * GFI_E_RANGE for years outside 1970..2200 or months outside 0..12. */
int period_bounds(int year, int month, int64_t *start, int64_t *end);

/* The instant the registry is read at for year (dated unit versions,
 * store_moves.h): the year's last second, or now_s while it runs (a year
 * not begun: its first second). GFI_E_RANGE as period_bounds. */
int period_registry_at(int year, int64_t now_s, int64_t *at_s);

/* The Asia/Shanghai year and month (1..12) containing t. */
void period_of(int64_t t, int *year, int *month);

/* Parse "YYYY-MM-DD[( |T)HH:MM[:SS]]" as Asia/Shanghai local time, or an
 * integer of at most 12 digits, '-' allowed, as epoch seconds. GFI_E_PARSE. */
int period_parse_time(const char *s, int64_t *out);

#endif

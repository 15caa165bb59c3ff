/*
 * series.h — period totals from one meter point's stored readings.
 *
 * Counters (kWh, m3, t, pcs): consumption over [t0, t1) from the counter
 * values at t0 and t1, each interpolated linearly between the nearest
 * readings on either side; rollover at the point's counter maximum;
 * registered replacement events (old final, new initial) split the series;
 * an unexplained drop is a reset: flagged, never negative consumption.
 * Gauges (flows, concentrations): the time integral by trapezoids across
 * gaps no longer than max_gap_s; the rest is reported missing, never filled.
 * Daily rollups carry whole days; raw readings are read only for the days
 * at the edges and for days holding an anomaly (DESIGN.md "Store").
 * Times are UTC epoch seconds; callers pass Asia/Shanghai period bounds
 * (period.h).
 */
#ifndef GFI_AGG_SERIES_H
#define GFI_AGG_SERIES_H

#include <stdint.h>

#include "store.h"

struct series_key {
	const char *gateway;
	const char *meter;
	const char *point;
};

struct series_total {
	double value;            /* counters: consumption in the quantity's unit;
				    gauges: integral in unit x seconds */
	int has_value;           /* enough readings to state one */
	double completeness;     /* readings present / readings expected, 0..1 */
	int extrapolated;        /* an end had readings on one side only */
	int resets;              /* unexplained drops found (each counted 0) */
	int rollovers;           /* wraps at counter_max added */
	int replacements;        /* registered replacements applied */
	int64_t missing_s;       /* gauges: seconds not covered by trapezoids */
	int split_gap;           /* counters: a silence of 3 or more poll
				    intervals spans t0 or t1, so the share on
				    this side is interpolated (estimated) */
};

/* Consumption of a counter point over [t0, t1). expected_interval_s is the
 * poll interval completeness is measured against (60 when unknown); it
 * counts readings expected in [t0, t1) only, so a period in progress is
 * passed with t1 = now (indicators.c), never its end.
 * counter_max as registered (0: none). GFI_OK (possibly !has_value when no
 * reading lies within reach), GFI_E_DB. */
int series_counter_total(struct store *s, const struct series_key *k,
			 int64_t t0, int64_t t1, double counter_max,
			 int64_t expected_interval_s, struct series_total *out);

/* The same from raw readings only, never rollups: the reference the rollup
 * path must equal (tests, audits). */
int series_counter_total_raw(struct store *s, const struct series_key *k,
			     int64_t t0, int64_t t1, double counter_max,
			     int64_t expected_interval_s, struct series_total *out);

/* Integral of a gauge point over [t0, t1); max_gap_s bounds a trapezoid.
 * Reads raw readings (a rollup cannot tell which seconds its trapezoids
 * cover, so missing_s would be unknown). */
int series_gauge_integral(struct store *s, const struct series_key *k,
			  int64_t t0, int64_t t1, int64_t max_gap_s,
			  int64_t expected_interval_s, struct series_total *out);

/* Integral over [t0, t1) of the product a(t) x b(t) of two gauge points of
 * one meter (e.g. concentration mg/m3 x flue flow m3/h, HJ 75): samples of
 * a with status ok are paired with the nearest b sample (status ok) at most
 * pair_tol_s apart; when flag is not NULL, a pair whose nearest flag sample
 * (within pair_tol_s) is non-zero is excluded (HJ 212 data flags other than
 * N). Trapezoids between consecutive pairs at most max_gap_s apart, clipped
 * at the bounds; value in (a unit x b unit x s); completeness counts the
 * usable pairs in [t0, t1). GFI_OK, GFI_E_NOMEM, GFI_E_DB. */
int series_gauge_product_integral(struct store *s, const struct series_key *a,
				  const struct series_key *b,
				  const struct series_key *flag, int64_t t0,
				  int64_t t1, int64_t max_gap_s,
				  int64_t pair_tol_s, int64_t expected_interval_s,
				  struct series_total *out);

/* The poll interval of a series over [t0, t1) as its daily rollups show it:
 * the median over days with two or more readings of (last - first) /
 * (count - 1), rounded to a second; 60 when no day tells. GFI_OK, GFI_E_DB. */
int series_interval_estimate(struct store *s, const struct series_key *k,
			     int64_t t0, int64_t t1, int64_t *interval_s);

/* The reported counter at instant t, interpolated between the readings just
 * before and just after (for on-site spot checks). *before_s, *after_s get
 * their times; GFI_E_NOTFOUND when t is not between two readings. */
int series_counter_at(struct store *s, const struct series_key *k, int64_t t,
		      double counter_max, double *value, int64_t *before_s,
		      int64_t *after_s);

#endif

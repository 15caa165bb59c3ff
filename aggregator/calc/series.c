/*
 * series.c — period totals of one meter point (series.h).
 *
 * Counters. The counter is taken as linear between consecutive valid
 * readings, so the consumption of a step (p, q) is spread evenly over
 * [p.t, q.t] and the period [t0, t1) takes the share of each step that it
 * overlaps: this is exactly "interpolate the counter at t0 and t1 and sum the
 * positive steps in between", and it keeps an anomaly at the edge of a
 * period inside the one step where it happened. A step's consumption is:
 *   - with registered replacements in (p.t, q.t]: (old_final - p.v) +
 *     (next old_final - new_initial) ... + (q.v - last new_initial);
 *   - q.v - p.v when the counter did not drop;
 *   - q.v + counter_max - p.v for a plausible wrap (p.v in the top 10 % of
 *     counter_max, or q carries the rollover status);
 *   - 0 otherwise: an unexplained drop is a reset, never negative.
 * Beyond the first and the last reading the counter is held flat (nothing
 * is counted) and the total is marked extrapolated.
 *
 * Rollups (DESIGN.md "Store"): a whole day inside [t0, t1) whose rollup has
 * no flagged reading, no replacement and last_v >= first_v contributes
 * last_v - first_v and enters the walk as its first and last readings; the
 * steps between days are checked like any other. Only the days at the edges,
 * anomalous days and flagged neighbour days are read raw. This equals the raw
 * path whenever every drop inside a day is flagged by the agent (backwards
 * or rollover), which the agent does for every drop it sees.
 *
 * Gauges are integrated from raw readings by trapezoids; see series.h.
 */
#include "series.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "error.h"
#include "grow.h"

#define DAY_S 86400
/* How far before t0 and after t1 a neighbour reading is sought: a counter
 * still spans a silence of weeks (the difference is what was consumed). */
#define REACH_S (62 * DAY_S)
/* A drop from within this top share of counter_max is taken as a wrap. */
#define WRAP_TOP_SHARE 0.10
#define DEFAULT_INTERVAL_S 60
/* A step of more than this many poll intervals across a bound is a gap. */
#define SPLIT_GAP_INTERVALS 3

struct pt {
	int64_t t;
	double v;
	int status;
};

/* ---- growable arrays filled by store listings ---- */

struct pts {
	struct pt *p;
	size_t n, cap;
	int ok_only;          /* keep only readings with status ok */
	int err;
};

static int pts_row(void *ctx, const void *row)
{
	struct pts *a = ctx;
	const struct gfi_reading *r = row;
	struct pt *p;

	if (isnan(r->value) || (a->ok_only && r->status != GFI_ST_OK))
		return 0;
	if ((p = gfi_grow(a->p, &a->cap, a->n, sizeof(*p), 64)) == NULL) {
		a->err = GFI_E_NOMEM;
		return 1;
	}
	a->p = p;
	a->p[a->n++] = (struct pt){ r->time_s, r->value, r->status };
	return 0;
}

/* Valid readings of k in [from, to), time order, appended to a. */
static int pts_load(struct store *s, const struct series_key *k, int64_t from,
		    int64_t to, struct pts *a)
{
	int ret = store_readings(s, k->gateway, k->meter, k->point, from, to,
				 pts_row, a);
	return ret != GFI_OK ? ret : a->err;
}

/* Rows of one point k (its rollups, or its replacements) kept from a
 * listing of its gateway; rows.v owned. */
struct point_rows {
	struct gfi_rows rows;
	const struct series_key *k;
};

static int same_point(const struct series_key *k, const char *meter,
		      const char *point)
{
	return strcmp(meter, k->meter) == 0 && strcmp(point, k->point) == 0;
}

static int days_row(void *ctx, const void *row)
{
	struct point_rows *d = ctx;
	const struct rollup *r = row;

	if (!same_point(d->k, r->meter, r->point) || r->count == 0)
		return 0;
	return gfi_rows_push(&d->rows, r);
}

/* Rollups of k with at least one valid reading, days in [from, to). */
static int days_load(struct store *s, const struct series_key *k, int64_t from,
		     int64_t to, struct point_rows *d)
{
	int ret;

	*d = (struct point_rows){ GFI_ROWS(struct rollup), k };
	ret = store_rollups(s, k->gateway, k->meter, k->point, from, to, days_row, d);
	return ret != GFI_OK ? ret : d->rows.err;
}

static int reps_row(void *ctx, const void *row)
{
	struct point_rows *a = ctx;
	const struct reg_replacement *r = row;

	if (!same_point(a->k, r->meter, r->point))
		return 0;
	return gfi_rows_push(&a->rows, r);
}

/* Replacements of k, in time order (store_replacement_list's order). */
static int reps_load(struct store *s, const struct series_key *k,
		     struct point_rows *a)
{
	int ret;

	*a = (struct point_rows){ GFI_ROWS(struct reg_replacement), k };
	ret = store_replacement_list(s, k->gateway, reps_row, a);
	return ret != GFI_OK ? ret : a->rows.err;
}

static int reps_in(const struct point_rows *a, int64_t from, int64_t to)
{
	const struct reg_replacement *rep = a->rows.v;

	for (size_t i = 0; i < a->rows.n; i++) {
		if (rep[i].time_s > from && rep[i].time_s <= to)
			return 1;
	}
	return 0;
}

/* ---- counters: the walk over readings and whole days ---- */

struct walk {
	int64_t t0, t1;
	double counter_max;
	const struct point_rows *reps;  /* the point's replacements */
	int have_prev;
	struct pt prev;
	int64_t first_t, last_t;
	int64_t present;         /* valid readings in [t0, t1) */
	int64_t split_gap_s;     /* a step this long or longer across t0 or t1
				    is an interpolated gap (0: none) */
	double value;
	struct series_total *out;
};

/* The consumption of step (p, q), counting the anomaly it resolves. */
static double step_consumption(struct walk *w, const struct pt *p, const struct pt *q)
{
	double from = p->v, c = 0;
	int replaced = 0;

	const struct reg_replacement *rep = w->reps->rows.v;

	for (size_t i = 0; i < w->reps->rows.n; i++) {
		const struct reg_replacement *r = &rep[i];
		if (r->time_s <= p->t || r->time_s > q->t)
			continue;
		/* Each meter's part is clamped: a registered final below the last
		 * reading is a typing error, not negative consumption. */
		c += fmax(0, r->old_final - from);
		from = r->new_initial;
		replaced++;
	}
	if (replaced) {
		w->out->replacements += replaced;
		return c + fmax(0, q->v - from);
	}
	if (q->v >= p->v)
		return q->v - p->v;
	if (w->counter_max > 0 &&
	    (p->v >= (1.0 - WRAP_TOP_SHARE) * w->counter_max ||
	     q->status == GFI_ST_ROLLOVER)) {
		w->out->rollovers++;
		return q->v + w->counter_max - p->v;
	}
	w->out->resets++;
	return 0;
}

/* Whether step (p, q) is a gap that a bound of the period cuts: the share
 * on each side is interpolated, not measured (a month boundary inside a
 * silence marks both months estimated). */
static int crosses_bound(const struct walk *w, const struct pt *p, const struct pt *q)
{
	if (w->split_gap_s <= 0 || q->t - p->t < w->split_gap_s)
		return 0;
	return (p->t < w->t0 && q->t > w->t0) || (p->t < w->t1 && q->t > w->t1);
}

static void walk_seen(struct walk *w, int64_t t)
{
	if (w->first_t == INT64_MAX || t < w->first_t)
		w->first_t = t;
	if (w->last_t == INT64_MIN || t > w->last_t)
		w->last_t = t;
}

/* One valid reading q, later than every one walked before. */
static void walk_point(struct walk *w, const struct pt *q)
{
	if (w->have_prev && q->t > w->prev.t) {
		int64_t lo = w->prev.t > w->t0 ? w->prev.t : w->t0;
		int64_t hi = q->t < w->t1 ? q->t : w->t1;
		if (hi > lo) {
			double c = step_consumption(w, &w->prev, q);
			w->value += c * (double)(hi - lo) / (double)(q->t - w->prev.t);
		}
		if (crosses_bound(w, &w->prev, q))
			w->out->split_gap = 1;
	}
	if (q->t >= w->t0 && q->t < w->t1)
		w->present++;
	walk_seen(w, q->t);
	w->prev = *q;
	w->have_prev = 1;
}

/* A whole day inside [t0, t1) taken from its rollup. */
static void walk_day(struct walk *w, const struct rollup *r)
{
	struct pt first = { r->first_s, r->first_v, GFI_ST_OK };
	struct pt last = { r->last_s, r->last_v, GFI_ST_OK };

	walk_point(w, &first);
	if (r->count > 1) {
		w->value += r->last_v - r->first_v;
		w->present += r->count - 1;
		walk_seen(w, last.t);
		w->prev = last;
	}
}

static int walk_raw(struct store *s, const struct series_key *k, struct walk *w,
		    int64_t from, int64_t to)
{
	struct pts a = { 0 };
	int ret = pts_load(s, k, from, to, &a);

	for (size_t i = 0; ret == GFI_OK && i < a.n; i++)
		walk_point(w, &a.p[i]);
	free(a.p);
	return ret;
}

static int whole_day(const struct walk *w, const struct rollup *r)
{
	return r->day_s >= w->t0 && r->day_s + DAY_S <= w->t1 && r->flagged == 0 &&
	       r->last_v >= r->first_v &&
	       !reps_in(w->reps, r->day_s - 1, r->day_s + DAY_S - 1);
}

/* A neighbour day outside the window: only its last (before) or first
 * (after) reading matters; its status only when the day is flagged. */
static int walk_neighbour(struct store *s, const struct series_key *k,
			  struct walk *w, const struct rollup *r, int before)
{
	struct pt p;

	if (r->flagged > 0)
		return walk_raw(s, k, w, r->day_s, r->day_s + DAY_S);
	p = before ? (struct pt){ r->last_s, r->last_v, GFI_ST_OK }
		   : (struct pt){ r->first_s, r->first_v, GFI_ST_OK };
	walk_point(w, &p);
	return GFI_OK;
}

static int walk_rollups(struct store *s, const struct series_key *k,
			struct walk *w, int64_t d0, int64_t dend)
{
	struct point_rows d;
	const struct rollup *day;
	size_t i = 0, before = SIZE_MAX;
	int ret = days_load(s, k, d0 - REACH_S, dend + REACH_S, &d);

	day = d.rows.v;
	for (i = 0; ret == GFI_OK && i < d.rows.n && day[i].day_s < d0; i++)
		before = i;
	if (ret == GFI_OK && before != SIZE_MAX)
		ret = walk_neighbour(s, k, w, &day[before], 1);
	for (; ret == GFI_OK && i < d.rows.n && day[i].day_s < dend; i++) {
		if (whole_day(w, &day[i]))
			walk_day(w, &day[i]);
		else
			ret = walk_raw(s, k, w, day[i].day_s, day[i].day_s + DAY_S);
	}
	if (ret == GFI_OK && i < d.rows.n)
		ret = walk_neighbour(s, k, w, &day[i], 0);
	free(d.rows.v);
	return ret;
}

/* Reference path: neighbours found in raw readings too. */
struct edge {
	struct pt p;
	int found;
	int want_last;
};

static int edge_row(void *ctx, const void *row)
{
	struct edge *e = ctx;
	const struct gfi_reading *r = row;

	if (isnan(r->value))
		return 0;
	e->p = (struct pt){ r->time_s, r->value, r->status };
	e->found = 1;
	return !e->want_last;
}

static int walk_readings(struct store *s, const struct series_key *k,
			 struct walk *w, int64_t d0, int64_t dend)
{
	struct edge before = { .want_last = 1 }, after = { .want_last = 0 };
	int ret = store_readings(s, k->gateway, k->meter, k->point, d0 - REACH_S,
				 d0, edge_row, &before);

	if (ret == GFI_OK && before.found)
		walk_point(w, &before.p);
	if (ret == GFI_OK)
		ret = walk_raw(s, k, w, d0, dend);
	if (ret == GFI_OK)
		ret = store_readings(s, k->gateway, k->meter, k->point, dend,
				     dend + REACH_S, edge_row, &after);
	if (ret == GFI_OK && after.found)
		walk_point(w, &after.p);
	return ret;
}

static double completeness(int64_t present, int64_t t0, int64_t t1,
			   int64_t interval_s)
{
	double expected;

	if (interval_s <= 0)
		interval_s = DEFAULT_INTERVAL_S;
	expected = (double)(t1 - t0) / (double)interval_s;
	if (expected <= 0)
		return 1;
	return fmin(1.0, (double)present / expected);
}

static int counter_total(struct store *s, const struct series_key *k, int64_t t0,
			 int64_t t1, double counter_max, int64_t interval_s,
			 int use_rollups, struct series_total *out)
{
	struct point_rows reps = { .rows = GFI_ROWS(struct reg_replacement) };
	struct walk w = { .t0 = t0, .t1 = t1, .counter_max = counter_max,
			  .reps = &reps, .first_t = INT64_MAX, .last_t = INT64_MIN,
			  .out = out, .split_gap_s = SPLIT_GAP_INTERVALS *
				(interval_s > 0 ? interval_s : DEFAULT_INTERVAL_S) };
	int64_t d0, dend;
	int ret;

	memset(out, 0, sizeof(*out));
	if (t1 <= t0)
		return GFI_E_INVAL;
	d0 = calendar_day_start(t0);
	dend = calendar_day_start(t1 - 1) + DAY_S;
	ret = reps_load(s, k, &reps);
	if (ret == GFI_OK)
		ret = use_rollups ? walk_rollups(s, k, &w, d0, dend)
				  : walk_readings(s, k, &w, d0, dend);
	free(reps.rows.v);
	if (ret != GFI_OK) {
		memset(out, 0, sizeof(*out));
		return ret;
	}
	/* Readings on one side of the whole period only (a meter that stopped
	 * before it, or started after it) say nothing about its consumption:
	 * no value, rather than a flat 0. */
	out->has_value = w.first_t != INT64_MAX && w.last_t > t0 && w.first_t < t1;
	out->value = out->has_value ? w.value : 0;
	out->extrapolated = out->has_value && (w.first_t > t0 || w.last_t < t1);
	out->completeness = completeness(w.present, t0, t1, interval_s);
	return GFI_OK;
}

int series_counter_total(struct store *s, const struct series_key *k,
			 int64_t t0, int64_t t1, double counter_max,
			 int64_t expected_interval_s, struct series_total *out)
{
	return counter_total(s, k, t0, t1, counter_max, expected_interval_s, 1, out);
}

int series_counter_total_raw(struct store *s, const struct series_key *k,
			     int64_t t0, int64_t t1, double counter_max,
			     int64_t expected_interval_s, struct series_total *out)
{
	return counter_total(s, k, t0, t1, counter_max, expected_interval_s, 0, out);
}

/* ---- gauges ---- */

/* Trapezoids between consecutive samples at most max_gap_s apart, each
 * clipped to [t0, t1) by interpolating its ends. */
static void integrate(const struct pt *p, size_t n, int64_t t0, int64_t t1,
		      int64_t max_gap_s, struct series_total *out)
{
	int64_t covered = 0, present = 0;
	double sum = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i].t >= t0 && p[i].t < t1)
			present++;
		if (i == 0 || p[i].t - p[i - 1].t > max_gap_s)
			continue;
		const struct pt *a = &p[i - 1], *b = &p[i];
		int64_t lo = a->t > t0 ? a->t : t0, hi = b->t < t1 ? b->t : t1;
		if (hi <= lo)
			continue;
		double slope = (b->v - a->v) / (double)(b->t - a->t);
		double vlo = a->v + slope * (double)(lo - a->t);
		double vhi = a->v + slope * (double)(hi - a->t);
		sum += (vlo + vhi) / 2.0 * (double)(hi - lo);
		covered += hi - lo;
	}
	out->value = sum;
	out->has_value = covered > 0;
	out->missing_s = (t1 - t0) - covered;
	out->completeness = (double)present; /* the caller divides */
}

int series_gauge_integral(struct store *s, const struct series_key *k,
			  int64_t t0, int64_t t1, int64_t max_gap_s,
			  int64_t expected_interval_s, struct series_total *out)
{
	struct pts a = { 0 };
	int ret;

	memset(out, 0, sizeof(*out));
	if (t1 <= t0 || max_gap_s < 0)
		return GFI_E_INVAL;
	ret = pts_load(s, k, t0 - max_gap_s, t1 + max_gap_s + 1, &a);
	if (ret == GFI_OK) {
		integrate(a.p, a.n, t0, t1, max_gap_s, out);
		out->completeness = completeness((int64_t)out->completeness, t0, t1,
						 expected_interval_s);
	}
	free(a.p);
	return ret;
}

/* The sample of a (sorted by time) nearest to t within tol, or NULL. */
static const struct pt *nearest(const struct pts *a, int64_t t, int64_t tol)
{
	size_t lo = 0, hi = a->n;
	const struct pt *best = NULL;

	while (lo < hi) {   /* first sample at or after t */
		size_t mid = lo + (hi - lo) / 2;
		if (a->p[mid].t < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < a->n && a->p[lo].t - t <= tol)
		best = &a->p[lo];
	if (lo > 0 && t - a->p[lo - 1].t <= tol &&
	    (best == NULL || t - a->p[lo - 1].t < best->t - t))
		best = &a->p[lo - 1];
	return best;
}

/* Pair a's samples with b's (and drop flagged ones) into a->p, in place. */
static void pair_samples(struct pts *a, const struct pts *b, const struct pts *f,
			 int64_t tol)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n; i++) {
		const struct pt *q = nearest(b, a->p[i].t, tol);
		const struct pt *fl = f != NULL ? nearest(f, a->p[i].t, tol) : NULL;
		if (q == NULL || (fl != NULL && fl->v != 0))
			continue;
		a->p[n] = a->p[i];
		a->p[n].v *= q->v;
		n++;
	}
	a->n = n;
}

int series_gauge_product_integral(struct store *s, const struct series_key *a,
				  const struct series_key *b,
				  const struct series_key *flag, int64_t t0,
				  int64_t t1, int64_t max_gap_s,
				  int64_t pair_tol_s, int64_t expected_interval_s,
				  struct series_total *out)
{
	struct pts pa = { .ok_only = 1 }, pb = { .ok_only = 1 }, pf = { 0 };
	int64_t from = t0 - max_gap_s - pair_tol_s, to = t1 + max_gap_s + pair_tol_s + 1;
	int ret;

	memset(out, 0, sizeof(*out));
	if (t1 <= t0 || max_gap_s < 0 || pair_tol_s < 0)
		return GFI_E_INVAL;
	ret = pts_load(s, a, from, to, &pa);
	if (ret == GFI_OK)
		ret = pts_load(s, b, from, to, &pb);
	if (ret == GFI_OK && flag != NULL)
		ret = pts_load(s, flag, from, to, &pf);
	if (ret == GFI_OK) {
		pair_samples(&pa, &pb, flag != NULL ? &pf : NULL, pair_tol_s);
		integrate(pa.p, pa.n, t0, t1, max_gap_s, out);
		out->completeness = completeness((int64_t)out->completeness, t0, t1,
						 expected_interval_s);
	}
	free(pa.p);
	free(pb.p);
	free(pf.p);
	return ret;
}

/* ---- poll interval ---- */

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

int series_interval_estimate(struct store *s, const struct series_key *k,
			     int64_t t0, int64_t t1, int64_t *interval_s)
{
	struct point_rows d;
	const struct rollup *days;
	double *iv = NULL;
	size_t n = 0;
	int ret = days_load(s, k, calendar_day_start(t0), t1, &d);

	*interval_s = DEFAULT_INTERVAL_S;
	if (ret == GFI_OK && d.rows.n > 0 && (iv = malloc(d.rows.n * sizeof(*iv))) == NULL)
		ret = GFI_E_NOMEM;
	days = d.rows.v;
	for (size_t i = 0; ret == GFI_OK && i < d.rows.n; i++) {
		if (days[i].count >= 2)
			iv[n++] = (double)(days[i].last_s - days[i].first_s) /
				  (double)(days[i].count - 1);
	}
	if (ret == GFI_OK && n > 0) {
		qsort(iv, n, sizeof(*iv), cmp_double);
		*interval_s = (int64_t)llround(iv[n / 2]);
		if (*interval_s < 1)
			*interval_s = 1;
	}
	free(iv);
	free(d.rows.v);
	return ret;
}

/* ---- the counter at an instant ---- */

struct around {
	int64_t t;
	struct pt before, after;
	int has_before, has_after;
};

static int around_row(void *ctx, const void *row)
{
	struct around *a = ctx;
	const struct gfi_reading *r = row;
	struct pt p = { r->time_s, r->value, r->status };

	if (isnan(r->value))
		return 0;
	if (r->time_s <= a->t) {
		a->before = p;
		a->has_before = 1;
	}
	if (r->time_s >= a->t && !a->has_after) {
		a->after = p;
		a->has_after = 1;
	}
	return 0;
}

/* Fill the missing side from the nearest day with readings (rollups). */
static int around_neighbours(struct store *s, const struct series_key *k,
			     struct around *a, int64_t day)
{
	struct point_rows d;
	const struct rollup *days;
	int ret = days_load(s, k, day - REACH_S, day + DAY_S + REACH_S, &d);

	days = d.rows.v;
	for (size_t i = 0; ret == GFI_OK && i < d.rows.n; i++) {
		if (days[i].day_s < day && !a->has_before) {
			if (i + 1 == d.rows.n || days[i + 1].day_s >= day) {
				a->before = (struct pt){ days[i].last_s, days[i].last_v, 0 };
				a->has_before = 1;
			}
		} else if (days[i].day_s > day && !a->has_after) {
			a->after = (struct pt){ days[i].first_s, days[i].first_v, 0 };
			a->has_after = 1;
		}
	}
	free(d.rows.v);
	return ret;
}

int series_counter_at(struct store *s, const struct series_key *k, int64_t t,
		      double counter_max, double *value, int64_t *before_s,
		      int64_t *after_s)
{
	struct around a = { .t = t };
	int64_t day = calendar_day_start(t);
	struct point_rows reps = { .rows = GFI_ROWS(struct reg_replacement) };
	struct series_total tot = { 0 };
	struct walk w = { .counter_max = counter_max, .reps = &reps, .out = &tot };
	int ret = store_readings(s, k->gateway, k->meter, k->point, day, day + DAY_S,
				 around_row, &a);

	if (ret == GFI_OK && (!a.has_before || !a.has_after))
		ret = around_neighbours(s, k, &a, day);
	if (ret != GFI_OK)
		return ret;
	if (!a.has_before || !a.has_after)
		return GFI_E_NOTFOUND;
	*before_s = a.before.t;
	*after_s = a.after.t;
	if (a.before.t == a.after.t) {
		*value = a.before.v;
		return GFI_OK;
	}
	if ((ret = reps_load(s, k, &reps)) != GFI_OK) {
		free(reps.rows.v);
		return ret;
	}
	for (size_t i = 0; i < reps.rows.n; i++) {
		const struct reg_replacement *r = (const struct reg_replacement *)reps.rows.v + i;
		if (r->time_s <= a.before.t || r->time_s > a.after.t)
			continue;
		/* The display showed the old meter before the swap, the new one
		 * after it: interpolate within the part holding t. */
		*value = t < r->time_s
			? a.before.v + (r->old_final - a.before.v) *
				  (double)(t - a.before.t) / (double)(r->time_s - a.before.t)
			: r->new_initial + (a.after.v - r->new_initial) *
				  (double)(t - r->time_s) / (double)(a.after.t - r->time_s);
		free(reps.rows.v);
		return GFI_OK;
	}
	*value = a.before.v + step_consumption(&w, &a.before, &a.after) *
				      (double)(t - a.before.t) /
				      (double)(a.after.t - a.before.t);
	if (counter_max > 0 && *value >= counter_max)
		*value -= counter_max;
	free(reps.rows.v);
	return GFI_OK;
}

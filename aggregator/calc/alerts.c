/*
 * alerts.c — alert rules, their configuration and evaluation (alerts.h has
 * the rules; docs/report.md the method; the commands are cmd/alerts.c).
 *
 * Why: county and city staff cannot read every unit's table; they follow
 * alerts to spot checks and, in the end, removal decisions (第二十二条).
 *
 * Invariants: evaluation works in scopes, one (unit, rule, period) at a
 * time: it raises the alerts that hold in the scope, then resolves (as
 * "gfi") every active alert of exactly that scope it did not raise. Alerts
 * of scopes it no longer evaluates (a month more than 12 months back) stay
 * as they are, so moving time never silently resolves an unreviewed alert.
 * At most one alert per (unit, rule, subject, period) is active (store).
 */
#include "alerts.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "grow.h"
#include "jsonutil.h"
#include "log.h"
#include "period.h"
#include "quantity.h"
#include "reconcile.h"
#include "series.h"
#include "store_gaps.h"

#define RULES_MAX_BYTES (1 << 20)
#define ROLLING_MONTHS 12
#define ROLLING_MIN_MONTHS 9     /* months with a value a window needs */
#define DEFAULT_INTERVAL_S 60    /* poll interval for series completeness */

void alerts_rules_default(struct alert_rules *r)
{
	memset(r, 0, sizeof(*r));
	r->threshold_pct = 5.0;
	r->completeness_pct = 90.0;
	r->max_silence_s = 3600;
}

/* ---- configuration ---- */

static int parse_limit(const cJSON *o, size_t i, struct alert_limit *l,
		       char *err, size_t errlen)
{
	static const char *const keys[] = { "sector", "indicator", "max", NULL };
	char path[48], key[64];
	const struct ind_def *d;
	int ret;

	snprintf(path, sizeof(path), "sector_limits[%zu]", i);
	if (!cJSON_IsObject(o)) {
		gfi_field_err(err, errlen, path, "", "must be an object");
		return GFI_E_INVAL;
	}
	if ((ret = gfi_json_check_keys(o, path, keys, err, errlen)) != GFI_OK ||
	    (ret = gfi_json_string(o, "sector", path, 1, "", l->sector,
				   sizeof(l->sector), err, errlen)) != GFI_OK ||
	    (ret = gfi_json_string(o, "indicator", path, 1, "", key, sizeof(key),
				   err, errlen)) != GFI_OK ||
	    (ret = gfi_json_double(o, "max", path, 1, 0, 1e15, 0, &l->max, err,
				   errlen)) != GFI_OK)
		return ret;
	if (l->sector[0] == '\0') {
		gfi_field_err(err, errlen, path, "sector", "empty");
		return GFI_E_INVAL;
	}
	if ((d = ind_def_find(key)) == NULL) {
		gfi_field_err(err, errlen, path, "indicator", "unknown indicator %s", key);
		return GFI_E_INVAL;
	}
	l->indicator = d->id;
	return GFI_OK;
}

int alerts_rules_parse(const char *text, size_t len, struct alert_rules *r,
		       char *err, size_t errlen)
{
	static const char *const keys[] = { "threshold_pct", "completeness_pct",
					    "max_silence_s", "sector_limits", NULL };
	cJSON *root = gfi_json_parse(text, len, "rules", err, errlen);
	const cJSON *lim;
	long long silence = 0;
	int ret = GFI_E_PARSE;

	alerts_rules_default(r);
	if (root == NULL)
		return GFI_E_PARSE;
	if (!cJSON_IsObject(root)) {
		gfi_field_err(err, errlen, "rules", "", "must be a JSON object");
		ret = GFI_E_INVAL;
		goto cleanup;
	}
	if ((ret = gfi_json_check_keys(root, "", keys, err, errlen)) != GFI_OK ||
	    (ret = gfi_json_double(root, "threshold_pct", "", 0, 0, 1000, 5.0,
				   &r->threshold_pct, err, errlen)) != GFI_OK ||
	    (ret = gfi_json_double(root, "completeness_pct", "", 0, 0, 100, 90.0,
				   &r->completeness_pct, err, errlen)) != GFI_OK ||
	    (ret = gfi_json_int(root, "max_silence_s", "", 0, 60, 31536000, 3600,
				&silence, err, errlen)) != GFI_OK)
		goto cleanup;
	r->max_silence_s = silence;
	lim = cJSON_GetObjectItemCaseSensitive(root, "sector_limits");
	if (lim != NULL) {
		const cJSON *e;
		if (!cJSON_IsArray(lim)) {
			gfi_field_err(err, errlen, "", "sector_limits", "must be an array");
			ret = GFI_E_INVAL;
			goto cleanup;
		}
		if (cJSON_GetArraySize(lim) > ALERT_LIMITS_MAX) {
			gfi_field_err(err, errlen, "", "sector_limits", "more than %d entries",
				      ALERT_LIMITS_MAX);
			ret = GFI_E_RANGE;
			goto cleanup;
		}
		cJSON_ArrayForEach(e, lim) {
			ret = parse_limit(e, r->nlimits, &r->limits[r->nlimits], err, errlen);
			if (ret != GFI_OK)
				goto cleanup;
			r->nlimits++;
		}
	}
	ret = GFI_OK;
cleanup:
	cJSON_Delete(root);
	return ret;
}

int alerts_rules_load(const char *path, struct alert_rules *r, char *err,
		      size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int ret = gfi_read_file(path, RULES_MAX_BYTES, &text, &len, err, errlen);

	if (ret == GFI_OK)
		ret = alerts_rules_parse(text, len, r, err, errlen);
	free(text);
	return ret;
}

/* ---- growable lists ---- */

/* Append the size bytes at item to *v (n of cap elements), doubling.
 * GFI_OK or GFI_E_NOMEM (v unchanged). */
static int list_push(void **v, size_t *n, size_t *cap, const void *item, size_t size)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *nv = realloc(*v, nc * size);
		if (nv == NULL)
			return GFI_E_NOMEM;
		*v = nv;
		*cap = nc;
	}
	memcpy((char *)*v + *n * size, item, size);
	(*n)++;
	return GFI_OK;
}

/* ---- evaluation scopes ---- */

struct eval {
	struct store *s;
	const struct alert_rules *r;
	int64_t now_s;
	alerts_compute_fn compute;
	void *ctx;
	struct alerts_summary *sum;
	/* the scope under evaluation */
	const char *unit, *rule;
	char period[32];
	int64_t *fired;           /* ids raised in the scope; owned */
	size_t nfired, cap;
	int deadline_mmdd;        /* setting: the filing deadline, e.g. 415 */
	double reconcile_pct;     /* setting: the reconciliation tolerance */
	const char *gap_gateway;  /* rule data_gap: the gateway being listed */
	int gap_ret;              /* rule data_gap: fire's result in the listing */
};

static void scope_begin(struct eval *e, const char *unit, const char *rule,
			const char *period)
{
	e->unit = unit;
	e->rule = rule;
	snprintf(e->period, sizeof(e->period), "%s", period);
	e->nfired = 0;
}

__attribute__((format(printf, 5, 6)))
static int fire(struct eval *e, const char *subject, double value,
		double threshold, const char *fmt, ...)
{
	struct store_alert a;
	int64_t id = 0;
	int created = 0, ret;
	va_list ap;

	memset(&a, 0, sizeof(a));
	snprintf(a.unit, sizeof(a.unit), "%s", e->unit);
	snprintf(a.rule, sizeof(a.rule), "%s", e->rule);
	snprintf(a.subject, sizeof(a.subject), "%s", subject);
	snprintf(a.period, sizeof(a.period), "%.15s", e->period);
	a.value = value;
	a.threshold = threshold;
	va_start(ap, fmt);
	vsnprintf(a.detail, sizeof(a.detail), fmt, ap);
	va_end(ap);
	if ((ret = store_alert_raise(e->s, &a, e->now_s, &id, &created)) != GFI_OK)
		return ret;
	if ((ret = list_push((void **)&e->fired, &e->nfired, &e->cap, &id,
			     sizeof(id))) != GFI_OK)
		return ret;
	e->sum->raised++;
	e->sum->created += created;
	return GFI_OK;
}

struct id_list {
	int64_t *v;
	size_t n, cap;
	int nomem;
};

static int collect_id(void *ctx, const void *row)
{
	struct id_list *l = ctx;
	int64_t id = ((const struct store_alert *)row)->id;

	l->nomem = list_push((void **)&l->v, &l->n, &l->cap, &id, sizeof(id)) != GFI_OK;
	return l->nomem;
}

/* Resolve the scope's active alerts that this evaluation did not raise:
 * their condition cleared. Collected first: no writes under a listing. */
static int scope_end(struct eval *e)
{
	struct store_alert_filter f = { .unit = e->unit, .rule = e->rule,
					.period = e->period, .state = "active" };
	struct id_list l = { 0 };
	int ret = store_alert_list(e->s, &f, collect_id, &l);

	if (ret == GFI_OK && l.nomem)
		ret = GFI_E_NOMEM;
	for (size_t i = 0; ret == GFI_OK && i < l.n; i++) {
		size_t k = 0;
		while (k < e->nfired && e->fired[k] != l.v[i])
			k++;
		if (k < e->nfired)
			continue;
		ret = store_alert_set_state(e->s, l.v[i], "resolved", "gfi", e->now_s);
		if (ret == GFI_E_STATE)
			ret = GFI_OK;   /* resolved meanwhile by someone else */
		else if (ret == GFI_OK)
			e->sum->resolved++;
	}
	free(l.v);
	return ret;
}

/* ---- indicator rules ---- */

/* What an intensity indicator is divided by, so that 12 months of it can be
 * combined as sum(value x denominator) / sum(denominator) = sum(numerator) /
 * sum(denominator), not a mean of ratios. IND_N: none known (plain mean). */
static enum ind_id denominator_of(enum ind_id id)
{
	switch (id) {
	case IND_ENERGY_PER_VALUE: return IND_OUTPUT_VALUE;
	case IND_ENERGY_PER_VALUE_ADDED: return IND_VALUE_ADDED;
	case IND_ENERGY_PER_PRODUCT: case IND_WATER_PER_PRODUCT:
	case IND_WASTEWATER_PER_PRODUCT: case IND_WASTEWATER_DISCHARGED_PER_PRODUCT:
	case IND_CO2_PER_PRODUCT:
	case IND_SO2_PER_PRODUCT: case IND_NOX_PER_PRODUCT:
	case IND_DUST_PER_PRODUCT:
		return IND_OUTPUT;
	default:
		return IND_N;
	}
}

/* Indicator id over months m[from..from+12): 1 and *out when at least
 * ROLLING_MIN_MONTHS months have a value (and a positive denominator). */
static int window_value(const struct ind_period *m, int from, enum ind_id id,
			double *out)
{
	enum ind_id den = denominator_of(id);
	double num = 0, sum_w = 0;
	int months = 0;

	for (int i = from; i < from + ROLLING_MONTHS; i++) {
		const struct ind_value *v = &m[i].v[id];
		double w = 1.0;
		if (v->missing != 0)
			return 0;   /* a missing input is no change at all */
		if (!v->has_value || !isfinite(v->value))
			continue;
		if (den != IND_N) {
			const struct ind_value *d = &m[i].v[den];
			if (!d->has_value || !isfinite(d->value) || d->value <= 0)
				continue;
			w = d->value;
		}
		num += v->value * w;
		sum_w += w;
		months++;
	}
	if (months < ROLLING_MIN_MONTHS || sum_w <= 0)
		return 0;
	*out = num / sum_w;
	return 1;
}

static int rule_yoy(struct eval *e, const struct ind_period *yr, int year)
{
	char period[32];
	int ret;

	snprintf(period, sizeof(period), "%d", year);
	scope_begin(e, yr->unit, "deterioration_yoy", period);
	for (int i = 0; i < IND_N; i++) {
		const struct ind_def *d = ind_def((enum ind_id)i);
		const struct ind_value *v = &yr->v[i];
		if (d->lower_is_better != 1 || !v->has_value || !v->has_yoy ||
		    v->missing != 0 || !isfinite(v->yoy_pct) ||
		    v->yoy_pct <= e->r->threshold_pct)
			continue;
		ret = fire(e, d->key, v->yoy_pct, e->r->threshold_pct,
			   "%s %d: %+.2f %% against %d (threshold %g %%)", d->key, year,
			   v->yoy_pct, year - 1, e->r->threshold_pct);
		if (ret != GFI_OK)
			return ret;
	}
	return scope_end(e);
}

/* m[0..24): the 24 complete months up to end_label, oldest first. */
static int rule_rolling(struct eval *e, const struct ind_period *m,
			const char *end_label)
{
	int ret;

	scope_begin(e, m[0].unit, "deterioration_12m", "12m");
	for (int i = 0; i < IND_N; i++) {
		const struct ind_def *d = ind_def((enum ind_id)i);
		double prev, cur, pct;
		if (d->lower_is_better != 1 || !window_value(m, 0, (enum ind_id)i, &prev) ||
		    !window_value(m, ROLLING_MONTHS, (enum ind_id)i, &cur) || prev <= 0)
			continue;
		pct = (cur / prev - 1.0) * 100.0;
		if (pct <= e->r->threshold_pct)
			continue;
		ret = fire(e, d->key, pct, e->r->threshold_pct,
			   "%s: 12 months to %s %.6g against %.6g the 12 before, %+.2f %% "
			   "(threshold %g %%)", d->key, end_label, cur, prev, pct,
			   e->r->threshold_pct);
		if (ret != GFI_OK)
			return ret;
	}
	return scope_end(e);
}

static int rule_sector(struct eval *e, const struct reg_unit *u,
		       const struct ind_period *yr, int year)
{
	char period[32];
	int ret;

	snprintf(period, sizeof(period), "%d", year);
	scope_begin(e, u->code, "sector_limit", period);
	for (size_t i = 0; i < e->r->nlimits; i++) {
		const struct alert_limit *l = &e->r->limits[i];
		const struct ind_value *v = &yr->v[l->indicator];
		const struct ind_def *d = ind_def(l->indicator);
		if (strcmp(l->sector, u->sector) != 0 || !v->has_value ||
		    !isfinite(v->value) || v->value <= l->max)
			continue;
		ret = fire(e, d->key, v->value, l->max, "%s %d: %.6g %s above the limit "
			   "%.6g of sector %s", d->key, year, v->value, d->unit, l->max,
			   l->sector);
		if (ret != GFI_OK)
			return ret;
	}
	return scope_end(e);
}

static int rule_completeness(struct eval *e, const struct ind_period *p,
			     const char *period)
{
	const struct ind_value *v = &p->v[IND_COMPLETENESS_PCT];
	int ret;

	scope_begin(e, p->unit, "completeness", period);
	if (v->has_value && isfinite(v->value) && v->value < e->r->completeness_pct) {
		ret = fire(e, "data", v->value, e->r->completeness_pct,
			   "data completeness %s: %.1f %% below %g %%", period, v->value,
			   e->r->completeness_pct);
		if (ret != GFI_OK)
			return ret;
	}
	return scope_end(e);
}

/* missing_input: each registered input a period lacks (no reading, too
 * little coverage, a gap cut by its bound) is a data-quality alert; the
 * indicators it feeds are estimated and no deterioration rule reads them. */
static int rule_missing(struct eval *e, const struct ind_period *p,
			const char *period)
{
	const double min_pct = indicators_min_coverage() * 100.0;
	int ret = GFI_OK;

	scope_begin(e, p->unit, "missing_input", period);
	for (int i = 0; ret == GFI_OK && i < p->nmissing && i < IND_MISSING_MAX; i++) {
		const struct ind_missing *m = &p->missing[i];
		ret = fire(e, m->point, m->coverage * 100.0, min_pct,
			   "%s: %s meter %s of unit %s: %s (readings cover %.1f %%)",
			   period, m->carrier, m->point, m->unit,
			   ind_missing_kind_names[m->kind], m->coverage * 100.0);
	}
	return ret == GFI_OK ? scope_end(e) : ret;
}

/* The data-quality rules of one evaluated period. */
static int rule_data_quality(struct eval *e, const struct ind_period *p,
			     const char *period)
{
	int ret = rule_completeness(e, p, period);

	return ret != GFI_OK ? ret : rule_missing(e, p, period);
}

/* ---- store rules ---- */

struct gw_list {
	const char *unit;
	struct reg_gateway *v;   /* owned */
	size_t n, cap;
	int nomem;
};

static int collect_gateway(void *ctx, const void *row)
{
	struct gw_list *l = ctx;
	const struct reg_gateway *g = row;

	if (!g->active || strcmp(g->unit, l->unit) != 0)
		return 0;
	l->nomem = list_push((void **)&l->v, &l->n, &l->cap, g, sizeof(*g)) != GFI_OK;
	return l->nomem;
}

static int rule_silence(struct eval *e, const char *unit, const struct gw_list *g)
{
	int ret;

	scope_begin(e, unit, "gateway_silent", "current");
	for (size_t i = 0; i < g->n; i++) {
		int64_t last = 0, silent;
		int has = 0;
		if ((ret = store_batch_last_received(e->s, g->v[i].id, &last, &has)) != GFI_OK)
			return ret;
		/* Never heard from: silent since it was registered. */
		silent = e->now_s - (has ? last : g->v[i].registered_s);
		if (silent <= e->r->max_silence_s)
			continue;
		ret = fire(e, g->v[i].id, (double)silent, (double)e->r->max_silence_s,
			   "gateway %s: %s %" PRId64 " s ago (limit %" PRId64 " s)",
			   g->v[i].id, has ? "last batch received" : "no batch since registration",
			   silent, e->r->max_silence_s);
		if (ret != GFI_OK)
			return ret;
	}
	return scope_end(e);
}

/* Keeps the live counter points of a listing in a struct gfi_rows. */
static int collect_counter(void *ctx, const void *row)
{
	const struct reg_meter *m = row;
	const struct gfi_quantity *q = gfi_quantity_find(m->quantity);

	if (m->retired || q == NULL || q->kind != GFI_COUNTER)
		return 0;
	return gfi_rows_push(ctx, m);
}

/* Flagged readings and series resets of one counter point in [t0, t1). */
static int point_anomalies(struct eval *e, const struct reg_meter *m, int64_t t0,
			   int64_t t1)
{
	struct series_key k = { m->gateway, m->meter, m->point };
	struct series_total t;
	int64_t back = 0, jumps = 0;
	char subject[96];
	int ret;

	if ((ret = store_flagged_count(e->s, m->gateway, m->meter, m->point, t0, t1,
				       &back, &jumps)) != GFI_OK)
		return ret;
	memset(&t, 0, sizeof(t));
	if ((ret = series_counter_total(e->s, &k, t0, t1, m->counter_max,
					DEFAULT_INTERVAL_S, &t)) != GFI_OK)
		return ret;
	if (back + jumps + t.resets == 0)
		return GFI_OK;
	snprintf(subject, sizeof(subject), "%s/%s/%s", m->gateway, m->meter, m->point);
	return fire(e, subject, (double)(back + jumps + t.resets), 0,
		    "%s: %" PRId64 " backwards, %" PRId64 " jumps, %d resets in %s",
		    subject, back, jumps, t.resets, e->period);
}

/* Begin the scope (unit, rule, year) and get the year's bounds. */
static int year_scope(struct eval *e, const char *unit, const char *rule, int year,
		      int64_t *t0, int64_t *t1)
{
	char period[32];

	snprintf(period, sizeof(period), "%d", year);
	scope_begin(e, unit, rule, period);
	return period_bounds(year, 0, t0, t1);
}

typedef int (*gateway_rule_fn)(struct eval *e, const struct reg_gateway *gw,
			       int64_t t0, int64_t t1);

/* A rule judged gateway by gateway over year: its scope begun, fn run on
 * each of g's gateways with the year's bounds [t0, t1) (t1 cut at now when
 * until_now), the scope ended. The first error stops it. */
static int gateway_year_rule(struct eval *e, const char *unit, const char *rule,
			     const struct gw_list *g, int year, int until_now,
			     gateway_rule_fn fn)
{
	int64_t t0, t1;
	int ret;

	if ((ret = year_scope(e, unit, rule, year, &t0, &t1)) != GFI_OK)
		return ret;
	if (until_now && t1 > e->now_s)
		t1 = e->now_s;
	for (size_t i = 0; i < g->n; i++)
		if ((ret = fn(e, &g->v[i], t0, t1)) != GFI_OK)
			return ret;
	return scope_end(e);
}

/* counter_anomaly for one gateway: its live counter points' anomalies. */
static int gateway_anomalies(struct eval *e, const struct reg_gateway *gw,
			     int64_t t0, int64_t t1)
{
	struct gfi_rows l = GFI_ROWS(struct reg_meter);
	const struct reg_meter *counters;
	int ret = store_meter_list(e->s, gw->id, collect_counter, &l);

	if (ret == GFI_OK)
		ret = l.err;
	counters = l.v;
	for (size_t k = 0; ret == GFI_OK && k < l.n; k++)
		ret = point_anomalies(e, &counters[k], t0, t1);
	free(l.v);
	return ret;
}

static int fire_gap(void *ctx, const void *row)
{
	struct eval *e = ctx;
	const struct store_queue_gap_sum *g = row;
	char subject[2 * GFI_ID_MAX + 2];

	snprintf(subject, sizeof(subject), "%s/%s", e->gap_gateway, g->meter);
	/* fire's own error ends the listing; the caller reads it back. */
	e->gap_ret = fire(e, subject, (double)g->count, 0.0,
			  "gateway %s meter %s: %" PRId64 " readings read between %" PRId64
			  " and %" PRId64 " were dropped by the gateway's queue (full "
			  "queue or disk) in %" PRId64 " gap events: never received",
			  e->gap_gateway, g->meter, g->count, g->from_s, g->to_s,
			  g->events);
	return e->gap_ret != GFI_OK;
}

/* data_gap: readings a gateway read but its queue dropped (reported in the
 * batches' gap events) in the current year so far. A hole in a series that
 * no timeout explains must reach the county, with who and when. */
static int gateway_gaps(struct eval *e, const struct reg_gateway *gw,
			int64_t t0, int64_t t1)
{
	int ret;

	e->gap_gateway = gw->id;
	e->gap_ret = GFI_OK;
	ret = store_queue_gaps_sum(e->s, gw->id, t0, t1, fire_gap, e);
	return ret == GFI_OK ? e->gap_ret : ret;
}

/* The yearly table of year - 1 is due by the deadline of year (the store
 * setting, April 15 by default; Asia/Shanghai): missing once the day after
 * has begun. */
static int rule_table(struct eval *e, const struct reg_unit *u, int year)
{
	int month = e->deadline_mmdd / 100, day = e->deadline_mmdd % 100;
	int64_t start, end;
	char period[32];
	int ret, filed;

	snprintf(period, sizeof(period), "%d", year - 1);
	scope_begin(e, u->code, "table_missing", period);
	if ((ret = period_bounds(year, month, &start, &end)) != GFI_OK)
		return ret;
	if (e->now_s >= start + day * 86400 && u->year_listed <= year - 1) {
		if ((filed = store_filing_held(e->s, u->code, year - 1)) < 0)
			return filed;
		if (!filed && (ret = fire(e, "yearly_table", NAN, NAN,
					  "no dynamic management table filed for %d "
					  "(due %d-%02d-%02d)", year - 1, year, month,
					  day)) != GFI_OK)
			return ret;
	}
	return scope_end(e);
}

/* The meters' totals of year - 1 against the stated figures. */
static int rule_reconcile(struct eval *e, const struct reg_unit *u, int year)
{
	struct reconcile_item it[REC_N];
	char period[32];
	int ret;

	snprintf(period, sizeof(period), "%d", year - 1);
	scope_begin(e, u->code, "reconcile", period);
	if ((ret = reconcile_unit(e->s, u->code, year - 1, it)) != GFI_OK)
		return ret;
	for (int i = 0; i < REC_N; i++) {
		if (!it[i].has_diff || !(fabs(it[i].diff_pct) > e->reconcile_pct))
			continue;
		ret = fire(e, it[i].carrier, it[i].diff_pct, e->reconcile_pct,
			   "meters %.10g %s against %.10g stated (%s): %+.2f %%",
			   it[i].metered, it[i].unit, it[i].stated, it[i].fact, it[i].diff_pct);
		if (ret != GFI_OK)
			return ret;
	}
	return scope_end(e);
}

/* ---- one unit ---- */

static int compute(struct eval *e, const char *unit, int year, int month,
		   struct ind_period *p)
{
	memset(p, 0, sizeof(*p));
	if (e->compute != NULL)
		return e->compute(e->ctx, e->s, unit, year, month, p);
	return indicators_compute_at(e->s, unit, year, month, e->now_s, p);
}

/* The indicator rules: last complete year, and 24 complete months. */
static int unit_indicator_rules(struct eval *e, const struct reg_unit *u, int year,
				int month)
{
	struct ind_period *m = calloc(2 * ROLLING_MONTHS + 1, sizeof(*m));
	struct ind_period *yr = m ? &m[2 * ROLLING_MONTHS] : NULL;
	char label[32] = "";
	int ret = GFI_E_NOMEM;

	if (m == NULL)
		return ret;
	if ((ret = compute(e, u->code, year - 1, 0, yr)) != GFI_OK)
		goto cleanup;
	/* Month index 23 is the last complete one, the month before now's. */
	for (int i = 2 * ROLLING_MONTHS - 1, y = year, mo = month; i >= 0; i--) {
		if (--mo == 0) {
			mo = 12;
			y--;
		}
		if ((ret = compute(e, u->code, y, mo, &m[i])) != GFI_OK)
			goto cleanup;
		if (i == 2 * ROLLING_MONTHS - 1)
			snprintf(label, sizeof(label), "%04d-%02d", y, mo);
	}
	if ((ret = rule_yoy(e, yr, year - 1)) != GFI_OK ||
	    (ret = rule_rolling(e, m, label)) != GFI_OK ||
	    (ret = rule_sector(e, u, yr, year - 1)) != GFI_OK)
		goto cleanup;
	snprintf(label, sizeof(label), "%d", year - 1);
	if ((ret = rule_data_quality(e, yr, label)) != GFI_OK)
		goto cleanup;
	for (int i = ROLLING_MONTHS; i < 2 * ROLLING_MONTHS; i++) {
		snprintf(label, sizeof(label), "%04d-%02d", m[i].year, m[i].month);
		if ((ret = rule_data_quality(e, &m[i], label)) != GFI_OK)
			goto cleanup;
	}
cleanup:
	free(m);
	return ret;
}

static int unit_store_rules(struct eval *e, const struct reg_unit *u, int year)
{
	struct gw_list g = { .unit = u->code };
	int ret = store_gateway_list_unit(e->s, u->code, collect_gateway, &g);

	if (ret == GFI_OK && g.nomem)
		ret = GFI_E_NOMEM;
	if (ret == GFI_OK)
		ret = rule_silence(e, u->code, &g);
	if (ret == GFI_OK)
		ret = gateway_year_rule(e, u->code, "counter_anomaly", &g, year, 1,
					gateway_anomalies);
	if (ret == GFI_OK)
		ret = gateway_year_rule(e, u->code, "data_gap", &g, year, 0, gateway_gaps);
	if (ret == GFI_OK)
		ret = rule_table(e, u, year);
	if (ret == GFI_OK)
		ret = rule_reconcile(e, u, year);
	free(g.v);
	return ret;
}

/* Keeps the units not retired of a listing in a struct gfi_rows. */
static int collect_unit(void *ctx, const void *row)
{
	const struct reg_unit *u = row;

	return u->retired ? 0 : gfi_rows_push(ctx, u);
}

int alerts_evaluate(struct store *s, const struct alert_rules *r, int64_t now_s,
		    alerts_compute_fn fn, void *ctx, struct alerts_summary *out)
{
	struct eval e = { .s = s, .r = r, .now_s = now_s, .compute = fn, .ctx = ctx,
			  .sum = out };
	struct gfi_rows units = GFI_ROWS(struct reg_unit);
	const struct reg_unit *unit;
	int year, month, ret;

	double deadline = STORE_SETTING_DEADLINE_DEFAULT;

	memset(out, 0, sizeof(*out));
	period_of(now_s, &year, &month);
	ret = store_setting_get(s, STORE_SETTING_DEADLINE, STORE_SETTING_DEADLINE_DEFAULT,
				&deadline);
	if (ret == GFI_OK)
		ret = store_setting_get(s, STORE_SETTING_RECONCILE,
					STORE_SETTING_RECONCILE_DEFAULT, &e.reconcile_pct);
	e.deadline_mmdd = (int)deadline;
	if (ret == GFI_OK)
		ret = store_unit_list(s, collect_unit, &units);
	if (ret == GFI_OK)
		ret = units.err;
	unit = units.v;
	for (size_t i = 0; ret == GFI_OK && i < units.n; i++) {
		ret = unit_indicator_rules(&e, &unit[i], year, month);
		if (ret == GFI_E_NOTFOUND || ret == GFI_E_RANGE) {
			/* One unit's indicators cannot be computed (e.g. no
			 * registry data): its store rules still run. */
			log_warn("alert rules skipped: unit=%s: indicators: %s",
				 unit[i].code, gfi_strerror(ret));
			ret = GFI_OK;
		}
		if (ret == GFI_OK)
			ret = unit_store_rules(&e, &unit[i], year);
		out->units++;
	}
	free(units.v);
	free(e.fired);
	return ret;
}

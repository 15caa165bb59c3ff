/*
 * json.c — the one JSON writer of each stored thing (json.h): the HTTP
 * API's answers, the `--json` lines of the commands and the yearly
 * report's indicators are all built here, so their shapes cannot drift.
 *
 * Invariants: field names and order are those of docs/api.md; a number
 * that is not finite (NaN for "none", an infinite ratio) is null, never a
 * bare NaN; enum names come from the tables beside their enums (store.h,
 * indicators.h), with "" (kind, level) or "none" (provenance) out of range.
 * Builders only read their argument; they never touch the store.
 */
#include "json.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "error.h"
#include "registry.h"

const char *json_name(const char *const *names, int n, int i, const char *fallback)
{
	return i >= 0 && i < n ? names[i] : fallback;
}

void json_add_number(cJSON *o, const char *k, double v)
{
	if (isfinite(v))
		cJSON_AddNumberToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

cJSON *json_unit(const struct reg_unit *u)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "code", u->code);
	cJSON_AddStringToObject(o, "name", u->name);
	cJSON_AddStringToObject(o, "kind", json_name(unit_kind_names, 3, (int)u->kind, ""));
	cJSON_AddStringToObject(o, "county", u->county);
	cJSON_AddStringToObject(o, "level", json_name(unit_level_names, 3, (int)u->level, ""));
	cJSON_AddNumberToObject(o, "year_listed", u->year_listed);
	cJSON_AddStringToObject(o, "sector", u->sector);
	cJSON_AddBoolToObject(o, "retired", u->retired != 0);
	return o;
}

cJSON *json_county(const struct reg_county *k)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "code", k->code);
	cJSON_AddStringToObject(o, "name", k->name);
	return o;
}

cJSON *json_indicator(const struct ind_def *d, const struct ind_value *v,
		      const char *product_unit)
{
	cJSON *o = cJSON_CreateObject();
	int per_product = strstr(d->key, "per_product") != NULL || d->id == IND_OUTPUT;

	if (o == NULL)
		return NULL;
	json_add_number(o, "value", v->has_value ? v->value : NAN);
	cJSON_AddStringToObject(o, "unit", d->unit ? d->unit : "");
	if (per_product && product_unit[0] != '\0')
		cJSON_AddStringToObject(o, "product_unit", product_unit);
	cJSON_AddStringToObject(o, "zh", d->zh ? d->zh : "");
	cJSON_AddStringToObject(o, "en", d->en ? d->en : "");
	json_add_number(o, "completeness", v->completeness);
	cJSON_AddStringToObject(o, "provenance",
				json_name(ind_provenance_names, PROV_DERIVED + 1,
					  (int)v->provenance, "none"));
	cJSON_AddBoolToObject(o, "estimated", v->estimated != 0);
	json_add_number(o, "yoy_pct", v->has_yoy ? v->yoy_pct : NAN);
	return o;
}

/* One missing input: kind, unit, point, carrier, coverage and a line. */
static cJSON *json_missing(const struct ind_missing *m)
{
	cJSON *o = cJSON_CreateObject();
	const char *kind = json_name(ind_missing_kind_names, MISSING_SPLIT_GAP + 1,
				     (int)m->kind, "");
	char text[320];

	if (o == NULL)
		return NULL;
	if (m->kind == MISSING_COVERAGE)
		snprintf(text, sizeof(text), "%s meter %s: readings cover %.1f %% of "
			 "the period", m->carrier, m->point, m->coverage * 100.0);
	else if (m->kind == MISSING_SPLIT_GAP)
		snprintf(text, sizeof(text), "%s meter %s: a gap spans the period's "
			 "bound, its share is interpolated", m->carrier, m->point);
	else
		snprintf(text, sizeof(text), "%s meter %s: no reading in the period",
			 m->carrier, m->point);
	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddStringToObject(o, "unit", m->unit);
	cJSON_AddStringToObject(o, "point", m->point);
	cJSON_AddStringToObject(o, "carrier", m->carrier);
	json_add_number(o, "coverage", m->coverage);
	cJSON_AddStringToObject(o, "text", text);
	return o;
}

/* The missing inputs in mask (bits into p->missing) as an array. */
static cJSON *json_missing_list(const struct ind_period *p, unsigned mask)
{
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; a != NULL && i < p->nmissing && i < IND_MISSING_MAX; i++) {
		cJSON *m = (mask & (1u << i)) ? json_missing(&p->missing[i]) : NULL;
		if (m != NULL && !cJSON_AddItemToArray(a, m))
			cJSON_Delete(m);
	}
	return a;
}

/* What depends on the period rather than the value: the year-on-year
 * label (a period in progress compares to the same day) and the reasons. */
static void add_period_fields(cJSON *e, const struct ind_period *p,
			      const struct ind_value *v, const char *zh,
			      const char *en, const char *to)
{
	if (to[0] != '\0')
		cJSON_AddStringToObject(e, "yoy_to", to);
	else
		cJSON_AddNullToObject(e, "yoy_to");
	cJSON_AddStringToObject(e, "yoy_label", zh);
	cJSON_AddStringToObject(e, "yoy_label_en", en);
	cJSON_AddItemToObject(e, "reasons", json_missing_list(p, v->missing));
}

/* The instant a period in progress is measured to, local ISO text. */
static void measured_to(const struct ind_period *p, char *buf, size_t size)
{
	buf[0] = '\0';
	if (p->in_progress)
		calendar_format(p->to_s, buf, size);
}

int json_add_indicators(cJSON *o, const struct ind_period *p)
{
	cJSON *ind = cJSON_AddObjectToObject(o, "indicators");
	char zh[64], en[64], to[32];

	indicators_yoy_label(p, zh, sizeof(zh), en, sizeof(en));
	measured_to(p, to, sizeof(to));
	for (int i = 0; ind != NULL && i < IND_N; i++) {
		const struct ind_def *d = ind_def((enum ind_id)i);
		cJSON *e = d ? json_indicator(d, &p->v[i], p->product_unit) : NULL;

		if (e != NULL)
			add_period_fields(e, p, &p->v[i], zh, en, to);
		if (e == NULL || !cJSON_AddItemToObject(ind, d->key, e)) {
			cJSON_Delete(e);
			return GFI_E_NOMEM;
		}
	}
	return ind != NULL ? GFI_OK : GFI_E_NOMEM;
}

/* in_progress, measured_to, missing (the inputs lacking, at most
 * IND_MISSING_MAX), missing_more (those beyond) and the renewable band of a
 * period (docs/api.md). */
static void json_add_progress(cJSON *o, const struct ind_period *p)
{
	char to[32];
	cJSON *band;

	measured_to(p, to, sizeof(to));
	cJSON_AddBoolToObject(o, "in_progress", p->in_progress != 0);
	if (to[0] != '\0')
		cJSON_AddStringToObject(o, "measured_to", to);
	else
		cJSON_AddNullToObject(o, "measured_to");
	cJSON_AddItemToObject(o, "missing", json_missing_list(p, ~0u));
	cJSON_AddNumberToObject(o, "missing_more", p->missing_more);
	if (p->renewable_band <= 0) {
		cJSON_AddNullToObject(o, "renewable_band");
		return;
	}
	band = cJSON_AddObjectToObject(o, "renewable_band");
	if (band == NULL)
		return;
	cJSON_AddNumberToObject(band, "band", p->renewable_band);
	cJSON_AddNumberToObject(band, "from_year", p->band_year);
	cJSON_AddStringToObject(band, "source", "综合能耗 of from_year (当量值), "
				"bands >= 10000, 5000-10000, 3000-5000, < 3000 tce");
}

cJSON *json_period(const struct ind_period *p)
{
	cJSON *o = cJSON_CreateObject();
	double share = 0;

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "unit", p->unit);
	cJSON_AddNumberToObject(o, "year", p->year);
	if (p->month > 0)
		cJSON_AddNumberToObject(o, "month", p->month);
	else
		cJSON_AddNullToObject(o, "month");
	cJSON_AddStringToObject(o, "product_unit", p->product_unit);
	if (json_add_indicators(o, p) != GFI_OK) {
		cJSON_Delete(o);
		return NULL;
	}
	/* Whether the figures rest on imported history (docs/import.md). */
	cJSON_AddStringToObject(o, "provenance", indicators_provenance(p, &share));
	cJSON_AddNumberToObject(o, "imported_share", share);
	cJSON_AddNumberToObject(o, "readings", (double)p->readings);
	cJSON_AddNumberToObject(o, "imported_readings", (double)p->imported_readings);
	json_add_progress(o, p);
	return o;
}

/* A struct's fields written in order from a table (offsets into it), so
 * the row writers are data: strings, numbers (null when not finite),
 * int64 numbers and booleans from int. */
enum field_kind { F_STR, F_NUM, F_I64, F_BOOL };

struct field {
	const char *key;
	enum field_kind kind;
	size_t off;
};

static cJSON *json_fields(const void *row, const struct field *f, size_t n)
{
	cJSON *o = cJSON_CreateObject();
	const char *base = row;

	for (size_t i = 0; o != NULL && i < n; i++) {
		const void *p = base + f[i].off;
		switch (f[i].kind) {
		case F_STR: cJSON_AddStringToObject(o, f[i].key, p); break;
		case F_NUM: json_add_number(o, f[i].key, *(const double *)p); break;
		case F_I64:
			cJSON_AddNumberToObject(o, f[i].key, (double)*(const int64_t *)p);
			break;
		case F_BOOL: cJSON_AddBoolToObject(o, f[i].key, *(const int *)p != 0); break;
		}
	}
	return o;
}

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
#define A(key, kind) { #key, kind, offsetof(struct store_alert, key) }

static const struct field alert_fields[] = {
	A(id, F_I64), A(unit, F_STR), A(rule, F_STR), A(subject, F_STR), A(period, F_STR),
	A(value, F_NUM), A(threshold, F_NUM), A(detail, F_STR), A(state, F_STR),
	A(first_seen_s, F_I64), A(last_seen_s, F_I64), A(changed_by, F_STR),
	A(changed_s, F_I64),
};

#undef A

cJSON *json_alert(const struct store_alert *a)
{
	return json_fields(a, alert_fields, NFIELDS(alert_fields));
}

/* A spot check's tolerance in its parts (store_review.h). */
static cJSON *json_tolerance_parts(const struct spotcheck_tolerance *t)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	json_add_number(o, "display", t->display);
	json_add_number(o, "register", t->reg);
	json_add_number(o, "clock", t->clock);
	json_add_number(o, "interpolation", t->interp);
	json_add_number(o, "classes", t->classes);
	return o;
}

cJSON *json_spotcheck(const struct store_spotcheck *k)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)k->id);
	cJSON_AddStringToObject(o, "kind", k->kind[0] ? k->kind : "display");
	cJSON_AddStringToObject(o, "gateway", k->gateway);
	cJSON_AddStringToObject(o, "meter", k->meter);
	cJSON_AddStringToObject(o, "point", k->point);
	cJSON_AddNumberToObject(o, "at_s", (double)k->at_s);
	json_add_number(o, "reading", k->reading);
	if (k->from_s != 0)
		cJSON_AddNumberToObject(o, "from_s", (double)k->from_s);
	else
		cJSON_AddNullToObject(o, "from_s");
	json_add_number(o, "from_reading", k->from_reading);
	if (k->since_id != 0)
		cJSON_AddNumberToObject(o, "since", (double)k->since_id);
	else
		cJSON_AddNullToObject(o, "since");
	json_add_number(o, "reported", k->reported);
	json_add_number(o, "diff", k->diff);
	json_add_number(o, "diff_pct", k->diff_pct);
	json_add_number(o, "tolerance", k->tolerance);
	cJSON_AddItemToObject(o, "tolerance_parts", json_tolerance_parts(&k->tol));
	json_add_number(o, "tolerance_pct", k->tolerance_pct);
	cJSON_AddBoolToObject(o, "chain_ok", k->chain_ok != 0);
	cJSON_AddStringToObject(o, "verdict", k->verdict);
	cJSON_AddStringToObject(o, "reason", k->reason);
	cJSON_AddStringToObject(o, "inspector", k->inspector);
	cJSON_AddStringToObject(o, "note", k->note);
	cJSON_AddNumberToObject(o, "recorded_s", (double)k->recorded_s);
	return o;
}

cJSON *json_gateway(const struct reg_gateway *g, const char *county, int has_last,
		    int64_t last_batch_s)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "id", g->id);
	cJSON_AddStringToObject(o, "unit", g->unit);
	cJSON_AddStringToObject(o, "county", county);
	cJSON_AddBoolToObject(o, "active", g->active != 0);
	cJSON_AddNumberToObject(o, "registered_s", (double)g->registered_s);
	if (has_last)
		cJSON_AddNumberToObject(o, "last_batch_s", (double)last_batch_s);
	else
		cJSON_AddNullToObject(o, "last_batch_s");
	return o;
}

cJSON *json_gateway_status(const struct gw_status *st)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "state", st->state);
	cJSON_AddNumberToObject(o, "queue_depth", (double)st->queue_depth);
	cJSON_AddNumberToObject(o, "oldest_queued_s", (double)st->oldest_queued_s);
	cJSON_AddNumberToObject(o, "head_seq", (double)st->head_seq);
	cJSON_AddNumberToObject(o, "acked_seq", (double)st->acked_seq);
	cJSON_AddStringToObject(o, "version", st->version);
	cJSON_AddNumberToObject(o, "received_s", (double)st->received_s);
	return o;
}

cJSON *json_meter(const struct reg_meter *m, const struct gfi_reading *last)
{
	cJSON *o = cJSON_CreateObject();
	char st[32];

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "gateway", m->gateway);
	cJSON_AddStringToObject(o, "meter", m->meter);
	cJSON_AddStringToObject(o, "point", m->point);
	cJSON_AddStringToObject(o, "quantity", m->quantity);
	cJSON_AddStringToObject(o, "role", registry_role_name(m->role));
	cJSON_AddStringToObject(o, "carrier", m->carrier);
	cJSON_AddStringToObject(o, "product", m->product);
	cJSON_AddStringToObject(o, "product_unit", m->product_unit);
	json_add_number(o, "accuracy_pct", m->accuracy_pct);
	cJSON_AddNumberToObject(o, "registered_s", (double)m->registered_s);
	cJSON_AddBoolToObject(o, "retired", m->retired != 0);
	if (last == NULL) {
		cJSON_AddNullToObject(o, "last_time_s");
		cJSON_AddNullToObject(o, "last_value");
		cJSON_AddNullToObject(o, "last_status");
		return o;
	}
	cJSON_AddNumberToObject(o, "last_time_s", (double)last->time_s);
	json_add_number(o, "last_value", last->value);
	cJSON_AddStringToObject(o, "last_status",
				gfi_status_format(last->status, last->detail, st, sizeof(st)));
	return o;
}

cJSON *json_import(const struct store_import *im)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)im->id);
	cJSON_AddStringToObject(o, "file", im->file);
	cJSON_AddStringToObject(o, "sha256", im->sha256);
	cJSON_AddNumberToObject(o, "rows", (double)im->rows);
	cJSON_AddNumberToObject(o, "inserted", (double)im->inserted);
	cJSON_AddNumberToObject(o, "present", (double)im->present);
	cJSON_AddNumberToObject(o, "skipped", (double)im->skipped);
	cJSON_AddStringToObject(o, "by", im->by);
	cJSON_AddNumberToObject(o, "imported_s", (double)im->imported_s);
	return o;
}

cJSON *json_rollup(const struct rollup *r)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "gateway", r->gateway);
	cJSON_AddStringToObject(o, "meter", r->meter);
	cJSON_AddStringToObject(o, "point", r->point);
	cJSON_AddStringToObject(o, "quantity", r->quantity);
	cJSON_AddNumberToObject(o, "day_s", (double)r->day_s);
	cJSON_AddNumberToObject(o, "count", (double)r->count);
	cJSON_AddNumberToObject(o, "bad", (double)r->bad);
	if (r->count > 0) {
		cJSON_AddNumberToObject(o, "first_s", (double)r->first_s);
		json_add_number(o, "first_v", r->first_v);
		cJSON_AddNumberToObject(o, "last_s", (double)r->last_s);
		json_add_number(o, "last_v", r->last_v);
		json_add_number(o, "min_v", r->min_v);
		json_add_number(o, "max_v", r->max_v);
	}
	json_add_number(o, "integral", r->integral);
	cJSON_AddNumberToObject(o, "flagged", (double)r->flagged);
	return o;
}

/* ---- the filing section ---- */

static cJSON *filing_row(const struct score_row *r)
{
	cJSON *o = cJSON_CreateObject();
	const struct store_benchmark *b = r->has_bench ? &r->bench : NULL;

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "no", r->def->no);
	cJSON_AddStringToObject(o, "aim", score_aim_zh[r->def->aim]);
	cJSON_AddStringToObject(o, "key", r->key);
	cJSON_AddStringToObject(o, "zh", r->zh);
	cJSON_AddStringToObject(o, "en", r->en);
	cJSON_AddStringToObject(o, "unit", r->unit);
	json_add_number(o, "value", r->has_value ? r->value : NAN);
	json_add_number(o, "baseline", b ? b->baseline : NAN);
	json_add_number(o, "leading", b ? b->leading : NAN);
	json_add_number(o, "weight", b ? b->weight : NAN);
	cJSON_AddStringToObject(o, "direction", r->def->higher_is_better ? "higher" : "lower");
	json_add_number(o, "score", b ? r->score : NAN);
	cJSON_AddBoolToObject(o, "applicable", b != NULL);
	cJSON_AddStringToObject(o, "benchmark_source", b ? b->source : "");
	json_add_number(o, "benchmark_year", b ? b->year : NAN);
	cJSON_AddStringToObject(o, "provenance",
				json_name(ind_provenance_names, PROV_DERIVED + 1,
					  (int)r->provenance, "none"));
	json_add_number(o, "completeness", r->has_value ? r->completeness : NAN);
	cJSON_AddStringToObject(o, "proof", r->def->proof);
	cJSON_AddStringToObject(o, "note", r->note);
	return o;
}

static cJSON *filing_outlook(const struct score_outlook *ol)
{
	cJSON *o = cJSON_CreateObject(), *a, *w;

	if (o == NULL)
		return NULL;
	json_add_number(o, "rank", ol->rank ? ol->rank : NAN);
	cJSON_AddNumberToObject(o, "of", ol->of);
	cJSON_AddStringToObject(o, "grade", score_grade_names[ol->grade]);
	json_add_number(o, "sector_rank", ol->sector_rank ? ol->sector_rank : NAN);
	cJSON_AddNumberToObject(o, "sector_of", ol->sector_of);
	cJSON_AddStringToObject(o, "sector_grade", score_grade_names[ol->sector_grade]);
	if ((a = cJSON_AddArrayToObject(o, "bottom5_years")) == NULL ||
	    (w = cJSON_AddArrayToObject(o, "window")) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	for (int i = 0; i < ol->nbottom; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(ol->bottom_years[i]));
	for (int i = 0; i < 3; i++)
		cJSON_AddItemToArray(w, cJSON_CreateNumber(ol->window[i]));
	cJSON_AddBoolToObject(o, "warning", ol->warning != 0);
	return o;
}

/* The year's subtotals per aim and the rows that cost the most. */
static void filing_totals(cJSON *o, const struct score_unit *su)
{
	cJSON *subs = cJSON_AddArrayToObject(o, "subtotals");
	cJSON *cost = cJSON_AddArrayToObject(o, "costliest");
	int idx[3], n = score_costliest(su, idx);

	for (int a = 0; subs != NULL && a < AIM_N; a++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "aim", score_aim_zh[a]);
		cJSON_AddStringToObject(s, "en", score_aim_en[a]);
		cJSON_AddNumberToObject(s, "score", su->subtotal[a]);
		cJSON_AddNumberToObject(s, "max", su->max[a]);
		cJSON_AddItemToArray(subs, s);
	}
	for (int i = 0; cost != NULL && i < n; i++) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddNumberToObject(c, "no", su->rows[idx[i]].def->no);
		cJSON_AddStringToObject(c, "key", su->rows[idx[i]].key);
		cJSON_AddNumberToObject(c, "lost", su->rows[idx[i]].lost);
		cJSON_AddItemToArray(cost, c);
	}
	json_add_number(o, "total", su->scored ? su->total : NAN);
	cJSON_AddNumberToObject(o, "max_total", su->max_total);
}

/* The three years ending at the table's year, oldest first: each row's
 * value and score, and the total. */
static cJSON *filing_trend(const struct score_entry *e)
{
	cJSON *t = cJSON_CreateArray();

	for (int k = 2; t != NULL && k >= 0; k--) {
		const struct score_unit *su = &e->y[k];
		cJSON *y = cJSON_CreateObject(), *rows;
		cJSON_AddNumberToObject(y, "year", su->year);
		json_add_number(y, "total", su->scored ? su->total : NAN);
		rows = cJSON_AddObjectToObject(y, "rows");
		for (int i = 0; rows != NULL && i < SCORE_ROWS; i++) {
			const struct score_row *r = &su->rows[i];
			cJSON *c;
			if (r->def->kind != ROW_VALUE)
				continue;
			c = cJSON_AddObjectToObject(rows, r->key);
			json_add_number(c, "value", r->has_value ? r->value : NAN);
			json_add_number(c, "score", r->has_bench ? r->score : NAN);
		}
		cJSON_AddItemToArray(t, y);
	}
	return t;
}

/* Each carrier: stated, metered, diff_pct, over. */
static cJSON *filing_reconcile(const struct score_entry *e, double pct)
{
	cJSON *a = cJSON_CreateArray();

	for (int i = 0; a != NULL && i < REC_N; i++) {
		const struct reconcile_item *it = &e->rec[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "carrier", it->carrier);
		cJSON_AddStringToObject(o, "unit", it->unit);
		json_add_number(o, "stated", it->has_stated ? it->stated : NAN);
		json_add_number(o, "metered", it->has_metered ? it->metered : NAN);
		json_add_number(o, "diff_pct", it->has_diff ? it->diff_pct : NAN);
		cJSON_AddBoolToObject(o, "over", it->has_diff && fabs(it->diff_pct) > pct);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

cJSON *json_filing(const struct score_entry *e, double reconcile_pct)
{
	const struct score_unit *su = &e->y[0];
	cJSON *o = cJSON_CreateObject(), *rows;

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "year", su->year);
	rows = cJSON_AddArrayToObject(o, "rows");
	for (int i = 0; rows != NULL && i < SCORE_ROWS; i++)
		cJSON_AddItemToArray(rows, filing_row(&su->rows[i]));
	filing_totals(o, su);
	cJSON_AddItemToObject(o, "outlook", filing_outlook(&e->o));
	cJSON_AddItemToObject(o, "trend", filing_trend(e));
	cJSON_AddItemToObject(o, "reconciliation", filing_reconcile(e, reconcile_pct));
	json_add_number(o, "reconcile_diff_pct", reconcile_pct);
	return o;
}

cJSON *json_statement(const struct store_statement *t)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)t->id);
	cJSON_AddStringToObject(o, "unit", t->unit);
	cJSON_AddNumberToObject(o, "year", t->year);
	cJSON_AddStringToObject(o, "kind", t->kind);
	json_add_number(o, "row", t->row ? t->row : NAN);
	cJSON_AddStringToObject(o, "date", t->date);
	cJSON_AddStringToObject(o, "text", t->text);
	cJSON_AddStringToObject(o, "evidence", t->evidence);
	cJSON_AddStringToObject(o, "by", t->by);
	cJSON_AddNumberToObject(o, "entered_s", (double)t->entered_s);
	cJSON_AddStringToObject(o, "statement_of", "unit");
	cJSON_AddStringToObject(o, "state", t->state);
	cJSON_AddStringToObject(o, "reviewed_by", t->reviewed_by);
	json_add_number(o, "reviewed_s", t->reviewed_s ? (double)t->reviewed_s : NAN);
	return o;
}

/* The latest statement of kind on platform row no, or NULL. */
static const struct store_statement *latest(const struct store_statement *v, size_t n,
					     const char *kind, int no)
{
	const struct store_statement *last = NULL;

	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].kind, kind) == 0 && v[i].row == no)
			last = &v[i];
	return last;
}

static cJSON *statement_or_null(const struct store_statement *t)
{
	return t != NULL ? json_statement(t) : cJSON_CreateNull();
}

int json_filing_statements(cJSON *filing, const struct store_statement *v, size_t n)
{
	static const char *const kinds[] = { "remark", "qualitative", "major_change", "compliance" };
	static const char *const keys[] = { "remarks", "qualitative", "major_changes", "compliance" };
	cJSON *rows = cJSON_GetObjectItemCaseSensitive(filing, "rows"), *row;

	cJSON_ArrayForEach(row, rows) {
		int no = cJSON_GetObjectItemCaseSensitive(row, "no")->valueint;
		if (!cJSON_AddItemToObject(row, "remark",
					   statement_or_null(latest(v, n, "remark", no))) ||
		    !cJSON_AddItemToObject(row, "entry",
					   statement_or_null(latest(v, n, "qualitative", no))))
			return GFI_E_NOMEM;
	}
	for (int k = 0; k < 4; k++) {
		cJSON *arr = cJSON_AddArrayToObject(filing, keys[k]);
		if (arr == NULL)
			return GFI_E_NOMEM;
		for (size_t i = 0; i < n; i++)
			if (strcmp(v[i].kind, kinds[k]) == 0 &&
			    !cJSON_AddItemToArray(arr, json_statement(&v[i])))
				return GFI_E_NOMEM;
	}
	return GFI_OK;
}

int json_print_line(cJSON *o, FILE *out)
{
	char *t = o ? cJSON_PrintUnformatted(o) : NULL;
	int rc = GFI_E_NOMEM;

	cJSON_Delete(o);
	if (t != NULL)
		rc = fprintf(out, "%s\n", t) < 0 ? GFI_E_IO : GFI_OK;
	free(t);
	return rc;
}

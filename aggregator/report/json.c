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
#include <stdlib.h>
#include <string.h>

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

int json_add_indicators(cJSON *o, const struct ind_period *p)
{
	cJSON *ind = cJSON_AddObjectToObject(o, "indicators");

	for (int i = 0; ind != NULL && i < IND_N; i++) {
		const struct ind_def *d = ind_def((enum ind_id)i);
		cJSON *e = d ? json_indicator(d, &p->v[i], p->product_unit) : NULL;

		if (e == NULL || !cJSON_AddItemToObject(ind, d->key, e)) {
			cJSON_Delete(e);
			return GFI_E_NOMEM;
		}
	}
	return ind != NULL ? GFI_OK : GFI_E_NOMEM;
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
	return o;
}

cJSON *json_alert(const struct store_alert *a)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "id", (double)a->id);
	cJSON_AddStringToObject(o, "unit", a->unit);
	cJSON_AddStringToObject(o, "rule", a->rule);
	cJSON_AddStringToObject(o, "subject", a->subject);
	cJSON_AddStringToObject(o, "period", a->period);
	json_add_number(o, "value", a->value);
	json_add_number(o, "threshold", a->threshold);
	cJSON_AddStringToObject(o, "detail", a->detail);
	cJSON_AddStringToObject(o, "state", a->state);
	cJSON_AddNumberToObject(o, "first_seen_s", (double)a->first_seen_s);
	cJSON_AddNumberToObject(o, "last_seen_s", (double)a->last_seen_s);
	cJSON_AddStringToObject(o, "changed_by", a->changed_by);
	cJSON_AddNumberToObject(o, "changed_s", (double)a->changed_s);
	return o;
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

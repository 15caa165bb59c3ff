/*
 * api_units.c — the API's units, counties, indicators and meter points
 * (docs/api.md): GET /api/v1/units, /counties, /units/{code}/indicators,
 * /units/{code}/indicators/monthly and /units/{code}/meters.
 *
 * Invariants: only what the token may see is listed (auth.c); a unit out
 * of scope answers like one that does not exist; the JSON is json.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "api-private.h"
#include "error.h"
#include "indicators.h"
#include "json.h"

/* Append o to arr for a listing callback: 0, or 1 (stop) when o is NULL
 * (out of memory). */
static int append(cJSON *arr, cJSON *o)
{
	if (o == NULL)
		return 1;
	cJSON_AddItemToArray(arr, o);
	return 0;
}

struct unit_walk {
	struct api_ctx *c;
	cJSON *arr;
	const char *county, *kind, *level;
};

static int unit_row(void *ctx, const void *row)
{
	struct unit_walk *w = ctx;
	const struct reg_unit *u = row;
	const char *kind = json_name(unit_kind_names, 3, (int)u->kind, NULL);
	const char *level = json_name(unit_level_names, 3, (int)u->level, NULL);

	if (!api_unit_visible(w->c, u) || (w->county && strcmp(w->county, u->county) != 0) ||
	    (w->kind && (kind == NULL || strcmp(w->kind, kind) != 0)) ||
	    (w->level && (level == NULL || strcmp(w->level, level) != 0)))
		return 0;
	return append(w->arr, json_unit(u));
}

int api_get_units(struct api_ctx *c)
{
	static const char *const allowed[] = { "county", "kind", "level", NULL };
	struct unit_walk w = { c, NULL, NULL, NULL, NULL };
	cJSON *o;

	if (api_params_check(c, allowed) || api_param_county(c, "county") ||
	    api_param_choice(c, "kind", unit_kind_names, "factory, park or supply_chain") ||
	    api_param_choice(c, "level", unit_level_names, "national, provincial or city"))
		return -1;
	w.county = api_param(c, "county");
	w.kind = api_param(c, "kind");
	w.level = api_param(c, "level");
	o = cJSON_CreateObject();
	w.arr = cJSON_AddArrayToObject(o, "units");
	if (w.arr == NULL) {
		cJSON_Delete(o);
		return api_fail(c, 500, "out of memory");
	}
	return api_reply_list(c, o, store_unit_list(c->s, unit_row, &w), GFI_OK);
}

struct county_walk {
	cJSON *arr;
	const char *only;          /* this county only, or "" for all */
};

static int county_row(void *ctx, const void *row)
{
	struct county_walk *w = ctx;
	const struct reg_county *k = row;

	if (w->only[0] != '\0' && strcmp(w->only, k->code) != 0)
		return 0;
	return append(w->arr, json_county(k));
}

/* GET /api/v1/counties: code and name of every county the token may see
 * (a city all, a county itself, a unit its own county). */
int api_get_counties(struct api_ctx *c)
{
	char only[sizeof(c->tok.scope)];
	struct county_walk w = { NULL, only };
	cJSON *o;
	int rc;

	if (api_params_check(c, NULL))
		return -1;
	if ((rc = api_county_scope(c, only, sizeof(only))) != GFI_OK)
		return api_fail_store(c, rc);
	o = cJSON_CreateObject();
	w.arr = cJSON_AddArrayToObject(o, "counties");
	rc = w.arr ? store_county_list(c->s, county_row, &w) : GFI_E_NOMEM;
	return api_reply_list(c, o, rc, GFI_OK);
}

static int indicators_of(struct api_ctx *c, int monthly)
{
	static const char *const allowed_m[] = { "year", "month", NULL };
	static const char *const allowed_y[] = { "year", NULL };
	const char *code = c->arg[0];
	struct ind_period *p = NULL;
	struct reg_unit u;
	long year = 0, month = 0;
	cJSON *o = NULL, *arr;
	int rc = GFI_OK;

	if (api_params_check(c, monthly ? allowed_y : allowed_m) ||
	    api_param_int(c, "year", 2000, 2100, 1, &year) ||
	    api_param_int(c, "month", 1, 12, 0, &month) || api_visible_unit(c, code, &u))
		return -1;
	if ((p = malloc(sizeof(*p))) == NULL)
		return api_fail(c, 500, "out of memory");
	if (!monthly) {
		rc = indicators_compute(c->s, code, (int)year, (int)month, p);
		if (rc == GFI_OK)
			o = json_period(p);
		free(p);
		return rc != GFI_OK ? api_fail_store(c, rc) : api_reply_json(c, 200, o);
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "unit", code);
	cJSON_AddNumberToObject(o, "year", (double)year);
	arr = cJSON_AddArrayToObject(o, "months");
	for (int m = 1; m <= 12 && arr != NULL && rc == GFI_OK; m++)
		if ((rc = indicators_compute(c->s, code, (int)year, m, p)) == GFI_OK)
			cJSON_AddItemToArray(arr, json_period(p));
	free(p);
	return api_reply_list(c, o, rc, GFI_OK);
}

int api_get_indicators(struct api_ctx *c)
{
	return indicators_of(c, 0);
}

int api_get_indicators_monthly(struct api_ctx *c)
{
	return indicators_of(c, 1);
}

struct gw_walk {
	struct api_ctx *c;
	const char *unit;          /* only this unit's gateways */
	cJSON *arr;
	char (*ids)[GFI_ID_MAX];
	size_t n, cap;
};

static int gw_row(void *ctx, const void *row)
{
	struct gw_walk *w = ctx;
	const struct reg_gateway *g = row;

	if (strcmp(g->unit, w->unit) != 0)
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;
		void *p = realloc(w->ids, cap * sizeof(*w->ids));
		if (p == NULL)
			return 1;
		w->ids = p;
		w->cap = cap;
	}
	snprintf(w->ids[w->n++], GFI_ID_MAX, "%s", g->id);
	return 0;
}

static int meter_row(void *ctx, const void *row)
{
	struct gw_walk *w = ctx;
	const struct reg_meter *m = row;
	struct gfi_reading r;
	int rc = store_last_reading(w->c->s, m->gateway, m->meter, m->point, &r);

	if (rc != GFI_OK && rc != GFI_E_NOTFOUND)
		return 1;
	return append(w->arr, json_meter(m, rc == GFI_OK ? &r : NULL));
}

int api_get_meters(struct api_ctx *c)
{
	struct gw_walk w = { c, c->arg[0], NULL, NULL, 0, 0 };
	struct reg_unit u;
	cJSON *o;
	int rc;

	if (api_params_check(c, NULL) || api_visible_unit(c, w.unit, &u))
		return -1;
	o = cJSON_CreateObject();
	w.arr = cJSON_AddArrayToObject(o, "meters");
	rc = w.arr ? store_gateway_list(c->s, gw_row, &w) : GFI_E_NOMEM;
	for (size_t i = 0; rc == GFI_OK && i < w.n; i++)
		rc = store_meter_list(c->s, w.ids[i], meter_row, &w);
	free(w.ids);
	return api_reply_list(c, o, rc, GFI_OK);
}

/*
 * api.c — the HTTP API's routing, authorisation and JSON (api.h,
 * docs/api.md), separate from the transport so tests drive it directly.
 *
 * Why a module of its own: every rule about who sees what lives here, in
 * one place, testable without sockets. Invariants: a request is answered
 * only after its token is found, not revoked, and every unit, gateway,
 * alert or spot check it names is checked against the token's scope
 * (visible_unit); what is out of scope answers 404 exactly like what does
 * not exist (the JSON of each stored thing is json.c's), so a county cannot probe another county's registry. Query
 * parameters are strict like the config: unknown or repeated ones are 400.
 * No SQL here: everything goes through store.h and the modules above it.
 */
#include "api.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "indicators.h"
#include "json.h"
#include "jsonutil.h"
#include "log.h"
#include "period.h"
#include "registry.h"
#include "report.h"
#include "sign.h"
#include "spotcheck.h"

#ifndef GFI_VERSION
#define GFI_VERSION "0"
#endif

#define JSON_TYPE "application/json; charset=utf-8"
#define REPORT_MAX_BYTES (64L * 1024 * 1024)
#define SERIES_MAX_DAYS 400

enum role { ROLE_ANON, ROLE_CITY, ROLE_COUNTY, ROLE_UNIT };

struct ctx {
	struct store *s;
	const struct api_request *req;
	struct api_response *resp;
	struct store_token tok;
	enum role role;
	const char *seg[8];        /* path segments after /api/v1/ */
	char segbuf[512];
	int nseg;
};

/* ---- answers ---- */

static void set_body(struct ctx *c, int status, const char *type, char *body,
		     size_t len)
{
	free(c->resp->body);
	c->resp->status = status;
	c->resp->content_type = type;
	c->resp->body = body;
	c->resp->len = len;
}

static int reply_json(struct ctx *c, int status, cJSON *o)
{
	char *t = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	if (t == NULL) {
		set_body(c, 500, JSON_TYPE, NULL, 0);
		return GFI_E_NOMEM;
	}
	set_body(c, status, JSON_TYPE, t, strlen(t));
	return GFI_OK;
}

__attribute__((format(printf, 3, 4)))
static int fail(struct ctx *c, int status, const char *fmt, ...)
{
	char msg[384];
	cJSON *o = cJSON_CreateObject();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Messages echo what the client sent: keep the error one line. */
	for (char *p = msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	if (o != NULL)
		cJSON_AddStringToObject(o, "error", msg);
	reply_json(c, status, o);
	return -1;
}

static int fail_store(struct ctx *c, int rc)
{
	if (rc == GFI_E_NOTFOUND)
		return fail(c, 404, "not found");
	return fail(c, 500, "store: %s", gfi_strerror(rc));
}

/* ---- parameters ---- */

static const char *param(const struct ctx *c, const char *key)
{
	for (size_t i = 0; i < c->req->nparams; i++)
		if (strcmp(c->req->params[i].key, key) == 0)
			return c->req->params[i].value;
	return NULL;
}

/* Refuse unknown and repeated parameters. */
static int params_check(struct ctx *c, const char *const *allowed)
{
	for (size_t i = 0; i < c->req->nparams; i++) {
		const char *k = c->req->params[i].key;
		int known = 0;
		for (int j = 0; allowed != NULL && allowed[j] != NULL; j++)
			known |= strcmp(allowed[j], k) == 0;
		if (!known)
			return fail(c, 400, "%.64s: unknown parameter", k);
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->req->params[j].key, k) == 0)
				return fail(c, 400, "%.64s: given twice", k);
		if (c->req->params[i].value == NULL)
			return fail(c, 400, "%.64s: missing value", k);
	}
	return 0;
}

static int param_int(struct ctx *c, const char *key, long min, long max,
		     int required, long *out)
{
	const char *v = param(c, key);
	char *end = NULL;
	long n;

	if (v == NULL) {
		if (required)
			return fail(c, 400, "%s: missing", key);
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || errno != 0)
		return fail(c, 400, "%s: \"%.32s\" is not an integer", key, v);
	if (n < min || n > max)
		return fail(c, 400, "%s: %ld out of range %ld..%ld", key, n, min, max);
	*out = n;
	return 0;
}

static int param_id(struct ctx *c, const char *key, int required)
{
	const char *v = param(c, key);

	if (v == NULL)
		return required ? fail(c, 400, "%s: missing", key) : 0;
	if (!gfi_id_valid(v))
		return fail(c, 400, "%s: must be 1..31 of [A-Za-z0-9._-]", key);
	return 0;
}

static int param_county(struct ctx *c, const char *key)
{
	const char *v = param(c, key);
	size_t n = v ? strlen(v) : 0;

	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)v[i]))
			n = 0;
	if (v != NULL && (n == 0 || n > 12))
		return fail(c, 400, "%s: must be an administrative division code (digits)",
			    key);
	return 0;
}

/* ---- tokens and scope ---- */

static int hex_value(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int api_token_new(char *hex, uint8_t hash[32])
{
	uint8_t raw[API_TOKEN_BYTES];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return GFI_E_IO;
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	gfi_sha256(hex, API_TOKEN_HEX, hash);
	/* The token is a secret; leave no copy of its bytes behind. */
	memset(raw, 0, sizeof(raw));
	__asm__ __volatile__("" : : "r"(raw) : "memory");
	return GFI_OK;
}

static int authenticate(struct ctx *c)
{
	const char *h = c->req->authorization, *t;
	uint8_t hash[32];
	int rc;

	if (h == NULL)
		return fail(c, 401, "authorization: missing bearer token");
	if (strncasecmp(h, "Bearer ", 7) != 0)
		return fail(c, 401, "authorization: not a bearer token");
	t = h + 7;
	while (*t == ' ')
		t++;
	if (strlen(t) != API_TOKEN_HEX)
		return fail(c, 401, "authorization: invalid token");
	for (size_t i = 0; i < API_TOKEN_HEX; i++)
		if (hex_value((unsigned char)t[i]) < 0)
			return fail(c, 401, "authorization: invalid token");
	/* Tokens are printed lowercase; hash what was printed. */
	{
		char low[API_TOKEN_HEX];
		for (size_t i = 0; i < API_TOKEN_HEX; i++)
			low[i] = (char)tolower((unsigned char)t[i]);
		gfi_sha256(low, API_TOKEN_HEX, hash);
	}
	rc = store_token_find(c->s, hash, &c->tok);
	if (rc == GFI_E_NOTFOUND)
		return fail(c, 401, "authorization: invalid token");
	if (rc != GFI_OK)
		return fail_store(c, rc);
	if (c->tok.revoked_s != 0)
		return fail(c, 401, "authorization: token revoked");
	if (strcmp(c->tok.role, "city") == 0)
		c->role = ROLE_CITY;
	else if (strcmp(c->tok.role, "county") == 0)
		c->role = ROLE_COUNTY;
	else if (strcmp(c->tok.role, "unit") == 0)
		c->role = ROLE_UNIT;
	else
		return fail(c, 401, "authorization: token has an unknown role");
	return 0;
}

static int unit_visible(const struct ctx *c, const struct reg_unit *u)
{
	switch (c->role) {
	case ROLE_CITY:
		return 1;
	case ROLE_COUNTY:
		return strcmp(u->county, c->tok.scope) == 0;
	case ROLE_UNIT:
		return strcmp(u->code, c->tok.scope) == 0;
	default:
		return 0;
	}
}

/* The unit code, when this token may see it; else a 404 answer. */
static int visible_unit(struct ctx *c, const char *code, struct reg_unit *u)
{
	int rc;

	if (!registry_credit_code_valid(code))
		return fail(c, 404, "unit: %.32s not found", code);
	rc = store_unit_get(c->s, code, u);
	if (rc == GFI_E_NOTFOUND || (rc == GFI_OK && !unit_visible(c, u)))
		return fail(c, 404, "unit: %.32s not found", code);
	return rc == GFI_OK ? 0 : fail_store(c, rc);
}

static int visible_gateway(struct ctx *c, const char *id, struct reg_gateway *g)
{
	struct reg_unit u;
	int rc = store_gateway_get(c->s, id, g);

	if (rc == GFI_OK)
		rc = store_unit_get(c->s, g->unit, &u);
	if (rc == GFI_E_NOTFOUND || (rc == GFI_OK && !unit_visible(c, &u)))
		return fail(c, 404, "gateway: %.32s not found", id);
	return rc == GFI_OK ? 0 : fail_store(c, rc);
}

static void audit(struct ctx *c, const char *action, const char *object,
		  int status, const char *detail)
{
	struct store_audit a;

	memset(&a, 0, sizeof(a));
	a.time_s = c->req->now_s;
	snprintf(a.who, sizeof(a.who), "%s", c->tok.name);
	snprintf(a.action, sizeof(a.action), "%s", action);
	snprintf(a.object, sizeof(a.object), "%s", object);
	a.status = status;
	snprintf(a.detail, sizeof(a.detail), "%s", detail ? detail : "");
	if (store_audit_add(c->s, &a) != GFI_OK)
		log_err("audit write failed: who=%s action=%s object=%s", a.who,
			action, object);
}

/* ---- handlers ---- */

static int get_health(struct ctx *c)
{
	cJSON *o = cJSON_CreateObject();

	if (o != NULL) {
		cJSON_AddStringToObject(o, "status", "ok");
		cJSON_AddStringToObject(o, "version", GFI_VERSION);
	}
	return reply_json(c, 200, o);
}

struct unit_walk {
	struct ctx *c;
	cJSON *arr;
	const char *county, *kind, *level;
};

static int unit_row(void *ctx, const void *row)
{
	struct unit_walk *w = ctx;
	const struct reg_unit *u = row;
	cJSON *o;

	const char *kind = json_name(unit_kind_names, 3, (int)u->kind, NULL);
	const char *level = json_name(unit_level_names, 3, (int)u->level, NULL);

	if (!unit_visible(w->c, u) || (w->county && strcmp(w->county, u->county) != 0) ||
	    (w->kind && (kind == NULL || strcmp(w->kind, kind) != 0)) ||
	    (w->level && (level == NULL || strcmp(w->level, level) != 0)))
		return 0;
	if ((o = json_unit(u)) == NULL)
		return 1;
	cJSON_AddItemToArray(w->arr, o);
	return 0;
}

static int in_names(const char *v, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return 1;
	return 0;
}

static int get_units(struct ctx *c)
{
	static const char *const allowed[] = { "county", "kind", "level", NULL };
	struct unit_walk w = { c, NULL, NULL, NULL, NULL };
	cJSON *o;
	int rc;

	if (params_check(c, allowed) || param_county(c, "county"))
		return -1;
	w.county = param(c, "county");
	w.kind = param(c, "kind");
	w.level = param(c, "level");
	if (w.kind && !in_names(w.kind, unit_kind_names, 3))
		return fail(c, 400, "kind: must be factory, park or supply_chain");
	if (w.level && !in_names(w.level, unit_level_names, 3))
		return fail(c, 400, "level: must be national, provincial or city");
	o = cJSON_CreateObject();
	w.arr = cJSON_AddArrayToObject(o, "units");
	if (w.arr == NULL) {
		cJSON_Delete(o);
		return fail(c, 500, "out of memory");
	}
	if ((rc = store_unit_list(c->s, unit_row, &w)) != GFI_OK) {
		cJSON_Delete(o);
		return fail_store(c, rc);
	}
	return reply_json(c, 200, o);
}

static int get_indicators(struct ctx *c, const char *code, int monthly)
{
	static const char *const allowed_m[] = { "year", "month", NULL };
	static const char *const allowed_y[] = { "year", NULL };
	struct ind_period *p = NULL;
	struct reg_unit u;
	long year = 0, month = 0;
	cJSON *o = NULL, *arr;
	int rc;

	if (params_check(c, monthly ? allowed_y : allowed_m) ||
	    param_int(c, "year", 2000, 2100, 1, &year) ||
	    param_int(c, "month", 1, 12, 0, &month) || visible_unit(c, code, &u))
		return -1;
	if ((p = malloc(sizeof(*p))) == NULL)
		return fail(c, 500, "out of memory");
	if (!monthly) {
		rc = indicators_compute(c->s, code, (int)year, (int)month, p);
		if (rc == GFI_OK)
			o = json_period(p);
		free(p);
		if (rc != GFI_OK)
			return fail_store(c, rc);
		return reply_json(c, 200, o);
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "unit", code);
	cJSON_AddNumberToObject(o, "year", (double)year);
	arr = cJSON_AddArrayToObject(o, "months");
	for (int m = 1; m <= 12 && arr != NULL; m++) {
		if ((rc = indicators_compute(c->s, code, (int)year, m, p)) != GFI_OK) {
			free(p);
			cJSON_Delete(o);
			return fail_store(c, rc);
		}
		cJSON_AddItemToArray(arr, json_period(p));
	}
	free(p);
	return reply_json(c, 200, o);
}

struct gw_walk {
	struct ctx *c;
	const char *unit;          /* only this unit's gateways, or NULL */
	cJSON *arr;
	char (*ids)[GFI_ID_MAX];
	size_t n, cap;
};

static int gw_row(void *ctx, const void *row)
{
	struct gw_walk *w = ctx;
	const struct reg_gateway *g = row;

	if (w->unit != NULL && strcmp(g->unit, w->unit) != 0)
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
	cJSON *o;

	if (rc != GFI_OK && rc != GFI_E_NOTFOUND)
		return 1;
	if ((o = json_meter(m, rc == GFI_OK ? &r : NULL)) == NULL)
		return 1;
	cJSON_AddItemToArray(w->arr, o);
	return 0;
}

static int get_meters(struct ctx *c, const char *code)
{
	struct gw_walk w = { c, code, NULL, NULL, 0, 0 };
	struct reg_unit u;
	cJSON *o;
	int rc;

	if (params_check(c, NULL) || visible_unit(c, code, &u))
		return -1;
	o = cJSON_CreateObject();
	w.arr = cJSON_AddArrayToObject(o, "meters");
	rc = w.arr ? store_gateway_list(c->s, gw_row, &w) : GFI_E_NOMEM;
	for (size_t i = 0; rc == GFI_OK && i < w.n; i++)
		rc = store_meter_list(c->s, w.ids[i], meter_row, &w);
	free(w.ids);
	if (rc != GFI_OK) {
		cJSON_Delete(o);
		return fail_store(c, rc);
	}
	return reply_json(c, 200, o);
}

struct gwlist_walk {
	struct ctx *c;
	cJSON *arr;
	int rc;
};

/* The gateway's last reported status, or null when it never reported. */
static int add_status(struct ctx *c, cJSON *o, const char *gateway)
{
	struct gw_status st;
	cJSON *so;
	int rc = store_status_get(c->s, gateway, &st);

	if (rc == GFI_E_NOTFOUND) {
		cJSON_AddNullToObject(o, "status");
		return GFI_OK;
	}
	if (rc != GFI_OK)
		return rc;
	if ((so = json_gateway_status(&st)) == NULL || !cJSON_AddItemToObject(o, "status", so)) {
		cJSON_Delete(so);
		return GFI_E_NOMEM;
	}
	return GFI_OK;
}

static int gateway_row(void *ctx, const void *row)
{
	struct gwlist_walk *w = ctx;
	const struct reg_gateway *g = row;
	struct reg_unit u;
	int64_t last = 0;
	int has = 0;
	cJSON *o;

	if ((w->rc = store_unit_get(w->c->s, g->unit, &u)) != GFI_OK)
		return 1;
	if (!unit_visible(w->c, &u))
		return 0;
	if ((w->rc = store_batch_last_received(w->c->s, g->id, &last, &has)) != GFI_OK)
		return 1;
	if ((o = json_gateway(g, u.county, has, last)) == NULL) {
		w->rc = GFI_E_NOMEM;
		return 1;
	}
	if ((w->rc = add_status(w->c, o, g->id)) != GFI_OK) {
		cJSON_Delete(o);
		return 1;
	}
	cJSON_AddItemToArray(w->arr, o);
	return 0;
}

static int get_gateways(struct ctx *c)
{
	struct gwlist_walk w = { c, NULL, GFI_OK };
	cJSON *o;
	int rc;

	if (params_check(c, NULL))
		return -1;
	o = cJSON_CreateObject();
	w.arr = cJSON_AddArrayToObject(o, "gateways");
	rc = w.arr ? store_gateway_list(c->s, gateway_row, &w) : GFI_E_NOMEM;
	if (rc == GFI_OK)
		rc = w.rc;
	if (rc != GFI_OK) {
		cJSON_Delete(o);
		return fail_store(c, rc);
	}
	return reply_json(c, 200, o);
}

static int import_row(void *ctx, const void *row)
{
	cJSON *o = json_import(row);

	if (o == NULL || !cJSON_AddItemToArray(ctx, o)) {
		cJSON_Delete(o);
		return 1;
	}
	return 0;
}

/* GET /api/v1/imports: every history import (docs/import.md). City tokens
 * only: a file may hold several units' readings. */
static int get_imports(struct ctx *c)
{
	cJSON *o, *arr;
	int rc;

	if (params_check(c, NULL))
		return -1;
	if (c->role != ROLE_CITY)
		return fail(c, 404, "not found");
	o = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(o, "imports");
	rc = arr ? store_import_list(c->s, import_row, arr) : GFI_E_NOMEM;
	if (rc != GFI_OK) {
		cJSON_Delete(o);
		return fail_store(c, rc);
	}
	return reply_json(c, 200, o);
}

static int64_t day_of(int64_t t)
{
	const int64_t off = 8 * 3600;   /* Asia/Shanghai, no DST since 1991 */
	int64_t local = t + off;
	int64_t day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	return day * 86400 - off;
}

static int rollup_row(void *ctx, const void *row)
{
	cJSON *o = json_rollup(row);

	if (o == NULL)
		return 1;
	cJSON_AddItemToArray(ctx, o);
	return 0;
}

static int param_time(struct ctx *c, const char *key, int64_t *out)
{
	const char *v = param(c, key);

	if (v == NULL)
		return fail(c, 400, "%s: missing", key);
	if (period_parse_time(v, out) != GFI_OK)
		return fail(c, 400, "%s: \"%.32s\" is not a time (epoch s or "
			    "YYYY-MM-DD[ HH:MM[:SS]])", key, v);
	return 0;
}

static int get_series(struct ctx *c)
{
	static const char *const allowed[] = { "gateway", "meter", "point", "from",
					       "to", NULL };
	const char *meter, *point;
	struct reg_gateway g;
	int64_t from = 0, to = 0;
	cJSON *o, *arr;
	int rc;

	if (params_check(c, allowed) || param_id(c, "gateway", 1) ||
	    param_id(c, "meter", 0) || param_id(c, "point", 0) ||
	    param_time(c, "from", &from) || param_time(c, "to", &to))
		return -1;
	meter = param(c, "meter");
	point = param(c, "point");
	if ((meter == NULL) != (point == NULL))
		return fail(c, 400, "%s: give meter and point together", meter ? "point" : "meter");
	if (to <= from)
		return fail(c, 400, "to: must be after from");
	if (to - from > (int64_t)SERIES_MAX_DAYS * 86400)
		return fail(c, 400, "to: at most %d days after from", SERIES_MAX_DAYS);
	if (visible_gateway(c, param(c, "gateway"), &g))
		return -1;
	o = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(o, "rollups");
	rc = arr ? store_rollups(c->s, g.id, meter, point, day_of(from),
				 day_of(to - 1) + 86400, rollup_row, arr)
		 : GFI_E_NOMEM;
	if (rc != GFI_OK) {
		cJSON_Delete(o);
		return fail_store(c, rc);
	}
	return reply_json(c, 200, o);
}

struct alert_walk {
	struct ctx *c;
	cJSON *arr;
	int rc;
};

static int alert_row(void *ctx, const void *row)
{
	struct alert_walk *w = ctx;
	const struct store_alert *a = row;
	struct reg_unit u;
	int rc = store_unit_get(w->c->s, a->unit, &u);

	if (rc == GFI_E_NOTFOUND || (rc == GFI_OK && !unit_visible(w->c, &u)))
		return 0;
	if (rc != GFI_OK) {
		w->rc = rc;
		return 1;
	}
	cJSON_AddItemToArray(w->arr, json_alert(a));
	return 0;
}

static int get_alerts(struct ctx *c)
{
	static const char *const allowed[] = { "state", "county", "unit", NULL };
	static const char *const states[] = { "open", "acknowledged", "resolved",
					      "active" };
	struct store_alert_filter f = { 0 };
	struct alert_walk w = { c, NULL, GFI_OK };
	cJSON *o;
	int rc;

	if (params_check(c, allowed) || param_county(c, "county"))
		return -1;
	f.state = param(c, "state");
	f.county = param(c, "county");
	f.unit = param(c, "unit");
	if (f.state && !in_names(f.state, states, 4))
		return fail(c, 400, "state: must be open, acknowledged, resolved or active");
	if (f.unit && !registry_credit_code_valid(f.unit))
		return fail(c, 400, "unit: not a valid unified social credit code");
	o = cJSON_CreateObject();
	w.arr = cJSON_AddArrayToObject(o, "alerts");
	rc = w.arr ? store_alert_list(c->s, &f, alert_row, &w) : GFI_E_NOMEM;
	if (rc == GFI_OK)
		rc = w.rc;
	if (rc != GFI_OK) {
		cJSON_Delete(o);
		return fail_store(c, rc);
	}
	return reply_json(c, 200, o);
}

/* Whether a JSON text holds the escape \u0000: cJSON decodes it into a
 * NUL that ends the C string, so "x\u0000' OR 1=1" would be taken, and
 * stored, as "x". Refused rather than silently cut. */
static int has_nul_escape(const char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] != '\\')
			continue;
		if (p[i + 1] == 'u' && i + 5 < n && memcmp(p + i + 2, "0000", 4) == 0)
			return 1;
		i++; /* the escaped character: "\\\\u0000" is text */
	}
	return 0;
}

/* The request body as a JSON object with only allowed keys; NULL (with the
 * answer set) on refusal. An empty body is an empty object when
 * empty_ok. */
static cJSON *body_object(struct ctx *c, const char *const *allowed, int empty_ok)
{
	const char *end = NULL;
	char err[256] = "";
	cJSON *o;

	if (c->req->body_len == 0) {
		if (empty_ok)
			return cJSON_CreateObject();
		fail(c, 400, "body: missing");
		return NULL;
	}
	if (has_nul_escape(c->req->body, c->req->body_len)) {
		fail(c, 400, "body: \\u0000 not allowed");
		return NULL;
	}
	o = cJSON_ParseWithLengthOpts(c->req->body, c->req->body_len, &end, 0);
	/* The body is not NUL-terminated: what follows the value must be
	 * white space up to its end. */
	for (const char *p = end; o != NULL && p < c->req->body + c->req->body_len; p++)
		if (!isspace((unsigned char)*p)) {
			cJSON_Delete(o);
			o = NULL;
		}
	if (o == NULL) {
		fail(c, 400, "body: not JSON");
		return NULL;
	}
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		fail(c, 400, "body: must be a JSON object");
		return NULL;
	}
	if (gfi_json_check_keys(o, "", allowed, err, sizeof(err)) != GFI_OK) {
		cJSON_Delete(o);
		fail(c, 400, "%s", err);
		return NULL;
	}
	return o;
}

/* UTF-8 text without control characters, 1..size-1 bytes. */
static int body_text(struct ctx *c, const cJSON *o, const char *key, size_t size,
		     int required, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	size_t n;

	*out = NULL;
	if (v == NULL)
		return required ? fail(c, 400, "%s: missing", key) : 0;
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return fail(c, 400, "%s: must be a string", key);
	n = strlen(v->valuestring);
	if (n == 0 || n >= size)
		return fail(c, 400, "%s: must be 1..%zu bytes", key, size - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v->valuestring[i] < 0x20 || v->valuestring[i] == 0x7f)
			return fail(c, 400, "%s: control characters not allowed", key);
	*out = v->valuestring;
	return 0;
}

static int post_alert(struct ctx *c, const char *idtext, const char *verb)
{
	static const char *const allowed[] = { "by", NULL };
	const char *state = strcmp(verb, "ack") == 0 ? "acknowledged" : "resolved";
	char object[48], detail[128] = "", *end = NULL;
	struct store_alert a;
	struct reg_unit u;
	const char *by = NULL;
	long long id;
	cJSON *body;
	int rc;

	errno = 0;
	id = strtoll(idtext, &end, 10);
	if (end == idtext || *end != '\0' || errno != 0 || id < 1)
		return fail(c, 404, "alert: %.24s not found", idtext);
	if (params_check(c, NULL))
		return -1;
	if ((body = body_object(c, allowed, 1)) == NULL)
		return -1;
	if (body_text(c, body, "by", 64, 0, &by)) {
		cJSON_Delete(body);
		return -1;
	}
	if (by != NULL)
		snprintf(detail, sizeof(detail), "by=%s", by);
	cJSON_Delete(body);
	snprintf(object, sizeof(object), "alert %lld", id);
	rc = store_alert_get(c->s, (int64_t)id, &a);
	if (rc == GFI_OK)
		rc = store_unit_get(c->s, a.unit, &u);
	if (rc == GFI_E_NOTFOUND || (rc == GFI_OK && !unit_visible(c, &u)))
		return fail(c, 404, "alert: %lld not found", id);
	if (rc != GFI_OK)
		return fail_store(c, rc);
	/* The token's name is who changed it: a person named in the body is
	 * only a claim, kept in the audit detail. */
	rc = store_alert_set_state(c->s, (int64_t)id, state, c->tok.name, c->req->now_s);
	if (rc == GFI_E_STATE) {
		audit(c, strcmp(verb, "ack") == 0 ? "alert.ack" : "alert.resolve", object,
		      409, detail);
		return fail(c, 409, "state: alert %lld is already %s", id, a.state);
	}
	if (rc != GFI_OK)
		return fail_store(c, rc);
	audit(c, strcmp(verb, "ack") == 0 ? "alert.ack" : "alert.resolve", object, 200,
	      detail);
	if ((rc = store_alert_get(c->s, (int64_t)id, &a)) != GFI_OK)
		return fail_store(c, rc);
	return reply_json(c, 200, json_alert(&a));
}

struct spot_walk {
	struct ctx *c;
	cJSON *arr;
	int rc;
};

static int spot_row(void *ctx, const void *row)
{
	struct spot_walk *w = ctx;
	const struct store_spotcheck *k = row;
	struct reg_gateway g;
	struct reg_unit u;
	int rc = store_gateway_get(w->c->s, k->gateway, &g);

	if (rc == GFI_OK)
		rc = store_unit_get(w->c->s, g.unit, &u);
	if (rc == GFI_E_NOTFOUND || (rc == GFI_OK && !unit_visible(w->c, &u)))
		return 0;
	if (rc != GFI_OK) {
		w->rc = rc;
		return 1;
	}
	cJSON_AddItemToArray(w->arr, json_spotcheck(k));
	return 0;
}

static int get_spotchecks(struct ctx *c)
{
	static const char *const allowed[] = { "gateway", "meter", "point", NULL };
	struct spot_walk w = { c, NULL, GFI_OK };
	cJSON *o;
	int rc;

	if (params_check(c, allowed) || param_id(c, "gateway", 0) ||
	    param_id(c, "meter", 0) || param_id(c, "point", 0))
		return -1;
	o = cJSON_CreateObject();
	w.arr = cJSON_AddArrayToObject(o, "spotchecks");
	rc = w.arr ? store_spotcheck_list(c->s, param(c, "gateway"), param(c, "meter"),
					  param(c, "point"), spot_row, &w)
		   : GFI_E_NOMEM;
	if (rc == GFI_OK)
		rc = w.rc;
	if (rc != GFI_OK) {
		cJSON_Delete(o);
		return fail_store(c, rc);
	}
	return reply_json(c, 200, o);
}

static int body_id(struct ctx *c, const cJSON *o, const char *key, const char **out)
{
	if (body_text(c, o, key, GFI_ID_MAX, 1, out))
		return -1;
	if (!gfi_id_valid(*out))
		return fail(c, 400, "%s: must be 1..31 of [A-Za-z0-9._-]", key);
	return 0;
}

static int post_spotcheck(struct ctx *c)
{
	static const char *const allowed[] = { "gateway", "meter", "point", "at",
					       "reading", "inspector", "note", NULL };
	struct spotcheck_input in;
	struct store_spotcheck k;
	struct reg_gateway g;
	const cJSON *at, *reading;
	char object[128];
	cJSON *body = NULL;
	int64_t id = 0;
	int rc, ret = -1;

	memset(&in, 0, sizeof(in));
	if (params_check(c, NULL) || (body = body_object(c, allowed, 0)) == NULL)
		return -1;
	at = cJSON_GetObjectItemCaseSensitive(body, "at");
	reading = cJSON_GetObjectItemCaseSensitive(body, "reading");
	if (body_id(c, body, "gateway", &in.gateway) || body_id(c, body, "meter", &in.meter) ||
	    body_id(c, body, "point", &in.point) ||
	    body_text(c, body, "inspector", 64, 1, &in.inspector) ||
	    body_text(c, body, "note", STORE_ALERT_TEXT_MAX, 0, &in.note))
		goto cleanup;
	if (at == NULL) {
		fail(c, 400, "at: missing");
		goto cleanup;
	}
	if (cJSON_IsNumber(at) && isfinite(at->valuedouble) && at->valuedouble >= 0 &&
	    at->valuedouble < 7258118400.0 && at->valuedouble == floor(at->valuedouble)) {
		in.at_s = (int64_t)at->valuedouble;
	} else if (!cJSON_IsString(at) ||
		   period_parse_time(at->valuestring, &in.at_s) != GFI_OK) {
		fail(c, 400, "at: must be epoch seconds or \"YYYY-MM-DD HH:MM[:SS]\"");
		goto cleanup;
	}
	if (!cJSON_IsNumber(reading) || !isfinite(reading->valuedouble) ||
	    reading->valuedouble < 0) {
		fail(c, 400, "reading: %s", reading ? "must be a number >= 0" : "missing");
		goto cleanup;
	}
	in.reading = reading->valuedouble;
	if (in.note == NULL)
		in.note = "";
	in.now_s = c->req->now_s;
	if (visible_gateway(c, in.gateway, &g))
		goto cleanup;
	snprintf(object, sizeof(object), "spotcheck %s/%s/%s", in.gateway, in.meter,
		 in.point);
	rc = spotcheck_judge(c->s, &in, &k);
	if (rc == GFI_E_NOTFOUND) {
		fail(c, 404, "point: %s/%s/%s is not registered", in.gateway, in.meter,
		     in.point);
		goto cleanup;
	}
	if (rc == GFI_OK)
		rc = store_spotcheck_add(c->s, &k, &id);
	if (rc != GFI_OK) {
		fail_store(c, rc);
		goto cleanup;
	}
	k.id = id;
	snprintf(object, sizeof(object), "spotcheck %" PRId64, id);
	audit(c, "spotcheck.add", object, 201, k.verdict);
	reply_json(c, 201, json_spotcheck(&k));
	ret = 0;
cleanup:
	cJSON_Delete(body);
	return ret;
}

static int get_report(struct ctx *c)
{
	static const char *const allowed[] = { "year", "format", "county", NULL };
	struct report_filter f = { NULL, NULL };
	enum report_format fmt = REPORT_JSON;
	const char *format, *type = JSON_TYPE;
	char path[] = "/tmp/gfi-report-XXXXXX", err[256] = "", *text = NULL;
	size_t len = 0;
	long year = 0;
	int fd, rc;

	if (params_check(c, allowed) || param_int(c, "year", 2000, 2100, 1, &year) ||
	    param_county(c, "county"))
		return -1;
	format = param(c, "format");
	if (format == NULL || strcmp(format, "json") == 0) {
		fmt = REPORT_JSON;
	} else if (strcmp(format, "csv") == 0) {
		fmt = REPORT_CSV;
		type = "text/csv; charset=utf-8";
	} else if (strcmp(format, "xlsx") == 0) {
		fmt = REPORT_XLSX;
		type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	} else {
		return fail(c, 400, "format: must be json, csv or xlsx");
	}
	f.county = param(c, "county");
	if (c->role == ROLE_COUNTY) {
		if (f.county != NULL && strcmp(f.county, c->tok.scope) != 0)
			return fail(c, 404, "county: %s not found", f.county);
		f.county = c->tok.scope;
	} else if (c->role == ROLE_UNIT) {
		if (f.county != NULL)
			return fail(c, 400, "county: not for a unit token");
		f.unit = c->tok.scope;
	}
	if ((fd = mkstemp(path)) < 0)
		return fail(c, 500, "report: cannot create a temporary file");
	close(fd);
	rc = report_write(c->s, (int)year, &f, fmt, path, err, sizeof(err));
	if (rc == GFI_OK)
		rc = gfi_read_file(path, (size_t)REPORT_MAX_BYTES, &text, &len, err,
				   sizeof(err));
	unlink(path);
	if (rc == GFI_E_NOTFOUND)
		return fail(c, 404, "report: no listed unit to report");
	if (rc != GFI_OK) {
		free(text);
		log_err("report failed: year=%ld: %s", year, err);
		return fail(c, 500, "report: %s", gfi_strerror(rc));
	}
	set_body(c, 200, type, text, len);
	if (fmt != REPORT_JSON)
		snprintf(c->resp->filename, sizeof(c->resp->filename), "gfi-report-%ld.%s",
			 year, fmt == REPORT_CSV ? "csv" : "xlsx");
	return 0;
}

/* Per-gateway lines and totals for /metrics, built while listing. */
struct metrics_walk {
	struct ctx *c;
	char *buf;
	size_t len, cap;
	int64_t gateways, online;
	int64_t now;
	int rc;
};

static void mw_printf(struct metrics_walk *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void mw_printf(struct metrics_walk *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->rc != GFI_OK)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(w->buf + w->len, w->cap - w->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			w->rc = GFI_E_INVAL;
			return;
		}
		if ((size_t)n < w->cap - w->len)
			break;
		char *p = realloc(w->buf, w->cap * 2 + (size_t)n);
		if (p == NULL) {
			w->rc = GFI_E_NOMEM;
			return;
		}
		w->buf = p;
		w->cap = w->cap * 2 + (size_t)n;
	}
	w->len += (size_t)n;
}

static int metrics_gateway(void *ctx, const void *row)
{
	struct metrics_walk *w = ctx;
	const struct reg_gateway *g = row;
	struct gw_status st;
	int rc = store_status_get(w->c->s, g->id, &st);

	w->gateways++;
	if (rc == GFI_E_NOTFOUND)
		return 0;
	if (rc != GFI_OK) {
		w->rc = rc;
		return 1;
	}
	if (strcmp(st.state, "online") == 0)
		w->online++;
	mw_printf(w, "gfi_agent_queue_depth{gateway=\"%s\"} %" PRId64 "\n", g->id,
		  st.queue_depth);
	/* Lag: how old the oldest reading still on the gateway is. */
	mw_printf(w, "gfi_agent_lag_seconds{gateway=\"%s\"} %" PRId64 "\n", g->id,
		  st.queue_depth > 0 && st.oldest_queued_s > 0 && w->now > st.oldest_queued_s
			  ? w->now - st.oldest_queued_s : 0);
	return 0;
}

static int metrics_reason(void *ctx, const void *row)
{
	struct metrics_walk *w = ctx;
	const struct reason_count *r = row;
	char cls[48];
	size_t j = 0;

	/* Label values: keep [a-z0-9 _-] only, so no quote can break out. */
	for (size_t i = 0; r->reason[i] != '\0' && j + 1 < sizeof(cls); i++) {
		char ch = r->reason[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		    ch == '-' || ch == ' ')
			cls[j++] = ch == ' ' ? '_' : ch;
	}
	cls[j] = '\0';
	mw_printf(w, "gfi_quarantined_batches_by_reason{reason=\"%s\"} %" PRId64 "\n",
		  cls, r->n);
	return 0;
}

static int get_metrics(struct ctx *c)
{
	struct metrics_walk w = { .c = c, .cap = 4096, .now = (int64_t)time(NULL) };
	struct store_counts n;
	int rc;

	if (params_check(c, NULL))
		return -1;
	if ((rc = store_counts(c->s, &n)) != GFI_OK)
		return fail_store(c, rc);
	if ((w.buf = malloc(w.cap)) == NULL)
		return fail(c, 500, "out of memory");
	mw_printf(&w,
		"# HELP gfi_readings_total Readings stored.\n"
		"# TYPE gfi_readings_total counter\n"
		"gfi_readings_total %" PRId64 "\n"
		"# HELP gfi_batches_total Verified batches stored.\n"
		"# TYPE gfi_batches_total counter\n"
		"gfi_batches_total %" PRId64 "\n"
		"# HELP gfi_quarantined_batches_total Batches refused and quarantined.\n"
		"# TYPE gfi_quarantined_batches_total counter\n"
		"gfi_quarantined_batches_total %" PRId64 "\n"
		"# HELP gfi_quarantined_batches_by_reason Batches refused, by reason.\n"
		"# TYPE gfi_quarantined_batches_by_reason counter\n",
		n.readings, n.batches, n.quarantined_batches);
	if (w.rc == GFI_OK)
		rc = store_quarantine_reasons(c->s, metrics_reason, &w);
	mw_printf(&w, "# HELP gfi_agent_queue_depth Readings queued on the gateway "
		  "(its last status).\n# TYPE gfi_agent_queue_depth gauge\n"
		  "# HELP gfi_agent_lag_seconds Age of the oldest reading queued on "
		  "the gateway.\n# TYPE gfi_agent_lag_seconds gauge\n");
	if (rc == GFI_OK && w.rc == GFI_OK)
		rc = store_gateway_list(c->s, metrics_gateway, &w);
	mw_printf(&w,
		"# HELP gfi_gateways Gateways registered.\n"
		"# TYPE gfi_gateways gauge\n"
		"gfi_gateways %" PRId64 "\n"
		"# HELP gfi_gateways_online Gateways whose last status is online.\n"
		"# TYPE gfi_gateways_online gauge\n"
		"gfi_gateways_online %" PRId64 "\n", w.gateways, w.online);
	if (rc == GFI_OK)
		rc = w.rc;
	if (rc != GFI_OK) {
		free(w.buf);
		return fail_store(c, rc);
	}
	set_body(c, 200, "text/plain; version=0.0.4; charset=utf-8", w.buf, w.len);
	return 0;
}

/* ---- routing ---- */

static int split(struct ctx *c, const char *rest)
{
	char *p, *save = NULL;

	if (strlen(rest) >= sizeof(c->segbuf))
		return -1;
	snprintf(c->segbuf, sizeof(c->segbuf), "%s", rest);
	for (p = strtok_r(c->segbuf, "/", &save); p != NULL;
	     p = strtok_r(NULL, "/", &save)) {
		if (c->nseg == (int)(sizeof(c->seg) / sizeof(c->seg[0])))
			return -1;
		c->seg[c->nseg++] = p;
	}
	return 0;
}

static int seg_is(const struct ctx *c, int i, const char *s)
{
	return i < c->nseg && strcmp(c->seg[i], s) == 0;
}

enum route {
	R_NONE, R_HEALTH, R_UNITS, R_INDICATORS, R_MONTHLY, R_METERS, R_SERIES,
	R_GATEWAYS, R_ALERTS, R_ALERT_ACK, R_ALERT_RESOLVE, R_SPOTCHECKS, R_REPORT,
	R_IMPORTS,
};

static enum route match(const struct ctx *c, const char **allow)
{
	*allow = "GET";
	switch (c->nseg) {
	case 1:
		if (seg_is(c, 0, "health"))
			return R_HEALTH;
		if (seg_is(c, 0, "units"))
			return R_UNITS;
		if (seg_is(c, 0, "series"))
			return R_SERIES;
		if (seg_is(c, 0, "gateways"))
			return R_GATEWAYS;
		if (seg_is(c, 0, "alerts"))
			return R_ALERTS;
		if (seg_is(c, 0, "report"))
			return R_REPORT;
		if (seg_is(c, 0, "imports"))
			return R_IMPORTS;
		if (seg_is(c, 0, "spotchecks")) {
			*allow = "GET, POST";
			return R_SPOTCHECKS;
		}
		break;
	case 3:
		if (seg_is(c, 0, "units") && seg_is(c, 2, "indicators"))
			return R_INDICATORS;
		if (seg_is(c, 0, "units") && seg_is(c, 2, "meters"))
			return R_METERS;
		*allow = "POST";
		if (seg_is(c, 0, "alerts") && seg_is(c, 2, "ack"))
			return R_ALERT_ACK;
		if (seg_is(c, 0, "alerts") && seg_is(c, 2, "resolve"))
			return R_ALERT_RESOLVE;
		break;
	case 4:
		if (seg_is(c, 0, "units") && seg_is(c, 2, "indicators") &&
		    seg_is(c, 3, "monthly"))
			return R_MONTHLY;
		break;
	}
	return R_NONE;
}

static int method_allowed(const char *method, const char *allow)
{
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return strstr(allow, "GET") != NULL;
	return strcmp(method, "POST") == 0 && strstr(allow, "POST") != NULL;
}

static int dispatch(struct ctx *c)
{
	const char *path = c->req->path, *allow = "GET";
	int post = strcmp(c->req->method, "POST") == 0;
	enum route r;

	if (strcmp(path, "/metrics") == 0) {
		c->resp->allow = "GET";
		if (!method_allowed(c->req->method, "GET"))
			return fail(c, 405, "method: %.16s not allowed", c->req->method);
		/* Without a token only from this host (a local Prometheus);
		 * from elsewhere only with a city token. */
		if (!c->req->loopback &&
		    (authenticate(c) || (c->role != ROLE_CITY && fail(c, 404, "not found"))))
			return -1;
		return get_metrics(c);
	}
	if (strncmp(path, "/api/v1/", 8) != 0 || split(c, path + 8) != 0 ||
	    (r = match(c, &allow)) == R_NONE)
		return fail(c, 404, "path: %.64s not found", path);
	c->resp->allow = allow;
	if (!method_allowed(c->req->method, allow))
		return fail(c, 405, "method: %.16s not allowed", c->req->method);
	if (r == R_HEALTH)
		return params_check(c, NULL) ? -1 : get_health(c);
	if (authenticate(c))
		return -1;
	switch (r) {
	case R_UNITS:
		return get_units(c);
	case R_INDICATORS:
		return get_indicators(c, c->seg[1], 0);
	case R_MONTHLY:
		return get_indicators(c, c->seg[1], 1);
	case R_METERS:
		return get_meters(c, c->seg[1]);
	case R_SERIES:
		return get_series(c);
	case R_GATEWAYS:
		return get_gateways(c);
	case R_ALERTS:
		return get_alerts(c);
	case R_ALERT_ACK:
		return post_alert(c, c->seg[1], "ack");
	case R_ALERT_RESOLVE:
		return post_alert(c, c->seg[1], "resolve");
	case R_SPOTCHECKS:
		return post ? post_spotcheck(c) : get_spotchecks(c);
	case R_REPORT:
		return get_report(c);
	case R_IMPORTS:
		return get_imports(c);
	default:
		return fail(c, 404, "path: not found");
	}
}

int api_handle(struct store *s, const struct api_request *req,
	       struct api_response *resp)
{
	struct ctx *c = calloc(1, sizeof(*c));

	memset(resp, 0, sizeof(*resp));
	resp->status = 500;
	resp->content_type = JSON_TYPE;
	if (c == NULL)
		return GFI_E_NOMEM;
	c->s = s;
	c->req = req;
	c->resp = resp;
	dispatch(c);
	free(c);
	return resp->body != NULL || resp->status == 200 ? GFI_OK : GFI_E_NOMEM;
}

void api_response_free(struct api_response *r)
{
	if (r == NULL)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

/* ---- `gfi-aggregator token` ---- */

static int token_row(void *ctx, const void *row)
{
	const struct store_token *t = row;

	fprintf(ctx, "%" PRId64 "\t%s\t%s\t%s\t%" PRId64 "\t%" PRId64 "\n", t->id, t->name,
		t->role, t->scope[0] ? t->scope : "-", t->created_s, t->revoked_s);
	return 0;
}

static int token_add(const struct report_opts *o, FILE *out, FILE *err)
{
	const char *role = report_opt(o, "role"), *scope = report_opt(o, "scope"),
		   *name = report_opt(o, "name");
	char hex[API_TOKEN_HEX + 1];
	struct store_token t;
	struct store *s = NULL;
	struct reg_county cty;
	struct reg_unit u;
	uint8_t hash[32];
	int rc, ret;

	if ((rc = report_opt_required("role", role, err)) != 0 ||
	    (rc = report_opt_required("name", name, err)) != 0 ||
	    (rc = report_opt_text("name", name, sizeof(t.name), err)) != 0)
		return rc;
	if (strcmp(role, "city") != 0 && strcmp(role, "county") != 0 &&
	    strcmp(role, "unit") != 0) {
		fprintf(err, "--role: %s is not city, county or unit\n", role);
		return 2;
	}
	if (strcmp(role, "city") == 0 && scope != NULL) {
		fprintf(err, "--scope: a city token has no scope\n");
		return 2;
	}
	if (strcmp(role, "city") != 0 &&
	    ((rc = report_opt_required("scope", scope, err)) != 0 ||
	     (rc = report_opt_text("scope", scope, sizeof(t.scope), err)) != 0))
		return rc;
	if ((rc = report_open_store(report_opt(o, "store"), &s, err)) != 0)
		return rc;
	ret = GFI_OK;
	if (strcmp(role, "county") == 0)
		ret = store_county_get(s, scope, &cty);
	else if (strcmp(role, "unit") == 0)
		ret = registry_credit_code_valid(scope) ? store_unit_get(s, scope, &u)
							: GFI_E_NOTFOUND;
	if (ret != GFI_OK) {
		store_close(s);
		fprintf(err, "--scope: no %s %s\n", role, scope);
		return ret == GFI_E_NOTFOUND ? 2 : 1;
	}
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.role, sizeof(t.role), "%s", role);
	snprintf(t.scope, sizeof(t.scope), "%s", scope ? scope : "");
	t.created_s = (int64_t)time(NULL);
	ret = api_token_new(hex, hash);
	if (ret == GFI_OK)
		ret = store_token_add(s, hash, &t, NULL);
	store_close(s);
	if (ret == GFI_E_EXISTS) {
		fprintf(err, "--name: a token called %s exists\n", name);
		return 2;
	}
	if (ret != GFI_OK) {
		fprintf(err, "token add failed: %s\n", gfi_strerror(ret));
		return 1;
	}
	fprintf(out, "%s\n", hex);
	memset(hex, 0, sizeof(hex));
	__asm__ __volatile__("" : : "r"(hex) : "memory");
	return 0;
}

int api_token_cli(int argc, char **argv, FILE *out, FILE *err)
{
	static const char *const allowed[] = { "store", "role", "scope", "name", NULL };
	const char *verb = argc > 1 ? argv[1] : "";
	struct report_opts o;
	struct store *s = NULL;
	int rc, ret;

	if (strcmp(verb, "add") != 0 && strcmp(verb, "list") != 0 &&
	    strcmp(verb, "revoke") != 0) {
		fprintf(err, "token: verb must be add, list or revoke\n");
		return 2;
	}
	if ((rc = report_opts_parse(argc, argv, 2, allowed, NULL, 0, &o, err)) != 0)
		return rc;
	if (strcmp(verb, "add") == 0)
		return token_add(&o, out, err);
	if (strcmp(verb, "revoke") == 0 &&
	    (rc = report_opt_required("name", report_opt(&o, "name"), err)) != 0)
		return rc;
	if ((rc = report_open_store(report_opt(&o, "store"), &s, err)) != 0)
		return rc;
	if (strcmp(verb, "list") == 0) {
		fprintf(out, "id\tname\trole\tscope\tcreated_s\trevoked_s\n");
		ret = store_token_list(s, token_row, out);
	} else {
		ret = store_token_revoke(s, report_opt(&o, "name"), (int64_t)time(NULL));
	}
	store_close(s);
	if (ret == GFI_E_NOTFOUND || ret == GFI_E_STATE) {
		fprintf(err, "--name: %s\n", ret == GFI_E_NOTFOUND ? "no such token"
								   : "already revoked");
		return 2;
	}
	if (ret != GFI_OK) {
		fprintf(err, "token %s failed: %s\n", verb, gfi_strerror(ret));
		return 1;
	}
	if (strcmp(verb, "revoke") == 0)
		fprintf(out, "revoked: %s\n", report_opt(&o, "name"));
	return 0;
}

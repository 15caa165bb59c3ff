/*
 * api-private.h — what the files of api/ share and nothing outside reads:
 * the request context, the roles, the answer and parameter helpers
 * (reply.c, params.c), authorisation and scope (auth.c) and the handlers
 * the route table (routes.c) names.
 *
 * Every helper that refuses something has already answered (the JSON
 * error is in c->resp) and returns -1; a handler returns that on, or 0.
 */
#ifndef GFI_AGG_API_PRIVATE_H
#define GFI_AGG_API_PRIVATE_H

#include <cjson/cJSON.h>

#include "api.h"

#define JSON_TYPE "application/json; charset=utf-8"

/* Who a token is, in order of what it may see: a route's min_role is the
 * least it needs. API_LOCAL_OR_CITY: no token from this host, else city. */
enum api_role { API_ANON, API_UNIT, API_COUNTY, API_CITY, API_LOCAL_OR_CITY };

#define API_ARGS_MAX 2             /* '*' segments of a route pattern */

struct api_ctx {
	struct store *s;
	const struct api_request *req;
	struct api_response *resp;
	struct store_token tok;    /* the token, once authenticated */
	enum api_role role;
	const char *arg[API_ARGS_MAX];  /* the path's '*' segments, in order */
};

typedef int (*api_handler_fn)(struct api_ctx *c);

/* A store list walked into a JSON array: the callback's store error in rc. */
struct api_walk {
	struct api_ctx *c;
	cJSON *arr;
	int rc;
};

/* ---- answers (reply.c) ---- */
void api_set_body(struct api_ctx *c, int status, const char *type, char *body,
		  size_t len);
/* Answer o (owned; NULL: out of memory, a 500) with status. */
int api_reply_json(struct api_ctx *c, int status, cJSON *o);
/* Answer {"error": "..."} with status; control characters become '?'. */
int api_fail(struct api_ctx *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* 404 for GFI_E_NOTFOUND, else 500 naming the store error. */
int api_fail_store(struct api_ctx *c, int rc);
/* Answer {"<key>": [rows]} after walking a store list whose callback
 * fills arr; walk_rc is the callback's own error (GFI_OK when none). */
int api_reply_list(struct api_ctx *c, cJSON *o, int rc, int walk_rc);

/* ---- query parameters and bodies (params.c) ---- */
const char *api_param(const struct api_ctx *c, const char *key);
/* Refuse unknown (not in NULL-terminated allowed), repeated and empty ones. */
int api_params_check(struct api_ctx *c, const char *const *allowed);
int api_param_int(struct api_ctx *c, const char *key, long min, long max,
		  int required, long *out);
int api_param_id(struct api_ctx *c, const char *key, int required);
int api_param_county(struct api_ctx *c, const char *key);
int api_param_time(struct api_ctx *c, const char *key, int64_t *out);
/* The path's row id (c->arg[0]), a whole number >= 1, into *id: 0, else a
 * 404 "<what>: ... not found" (no row can have that id). */
int api_path_id(struct api_ctx *c, const char *what, long long *id);
/* Refuse key unless absent or one of names (NULL-terminated), listed in
 * the error as list. */
int api_param_choice(struct api_ctx *c, const char *key, const char *const *names,
		     const char *list);
/* The body as a JSON object with only allowed keys (owned), or NULL when
 * refused; an empty body is {} when empty_ok. */
cJSON *api_body_object(struct api_ctx *c, const char *const *allowed, int empty_ok);
/* Text field key: UTF-8 without control characters, 1..size-1 bytes. */
int api_body_text(struct api_ctx *c, const cJSON *o, const char *key, size_t size,
		  int required, const char **out);
int api_body_id(struct api_ctx *c, const cJSON *o, const char *key, const char **out);

/* ---- tokens, scope, audit (auth.c) ---- */
/* Find the bearer token of the request, set c->tok and c->role. */
int api_authenticate(struct api_ctx *c);
int api_unit_visible(const struct api_ctx *c, const struct reg_unit *u);
/* Fill *u when the token may see unit code, else answer 404. */
int api_visible_unit(struct api_ctx *c, const char *code, struct reg_unit *u);
int api_visible_gateway(struct api_ctx *c, const char *id, struct reg_gateway *g);
/* After reading row id of unit (rc: the read's result): 0 when the row
 * exists and the token may see unit, else a 404 "<what>: <id> not found"
 * or the store failure. */
int api_visible_row(struct api_ctx *c, int rc, const char *unit, const char *what,
		    long long id);
/* Whether the token may see unit code (*visible 0 also when it does not
 * exist): GFI_OK, or a store error. For lists, which skip what is hidden. */
int api_unit_code_visible(struct api_ctx *c, const char *code, int *visible);
/* A listing's row: item goes into w->arr when unit is visible to the
 * token, else it is freed. Non-zero (w->rc set) on a store failure. */
int api_walk_visible(struct api_walk *w, const char *unit, cJSON *item);
/* The one county code the token is limited to (a county's own, a unit's
 * county), or "" for a city token (every county). GFI_OK or a store error. */
int api_county_scope(struct api_ctx *c, char *code, size_t size);
void api_audit(struct api_ctx *c, const char *action, const char *object,
	       int status, const char *detail);

/* ---- handlers (one file per resource) ---- */
int api_get_health(struct api_ctx *c);
int api_get_metrics(struct api_ctx *c);
int api_get_units(struct api_ctx *c);
int api_get_counties(struct api_ctx *c);
int api_get_indicators(struct api_ctx *c);
int api_get_indicators_monthly(struct api_ctx *c);
int api_get_meters(struct api_ctx *c);
int api_get_gateways(struct api_ctx *c);
int api_get_series(struct api_ctx *c);
int api_get_alerts(struct api_ctx *c);
int api_post_alert_ack(struct api_ctx *c);
int api_post_alert_resolve(struct api_ctx *c);
int api_get_spotchecks(struct api_ctx *c);
int api_post_spotcheck(struct api_ctx *c);
int api_get_report(struct api_ctx *c);
int api_get_imports(struct api_ctx *c);
int api_get_filing(struct api_ctx *c);
int api_get_scores(struct api_ctx *c);
int api_post_statement(struct api_ctx *c);
int api_post_statement_confirm(struct api_ctx *c);
int api_post_statement_reject(struct api_ctx *c);

#endif

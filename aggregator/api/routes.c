/*
 * routes.c — the API's one route table, its matcher and its dispatcher
 * (api.h, docs/api.md). Adding a route is one row here and one handler.
 *
 * A row is {method, pattern, min_role, handler}. A pattern under /api/v1/
 * is matched segment by segment ('*' takes any one segment and hands it to
 * the handler in c->arg); any other pattern is an exact path. HEAD is GET.
 * Invariants: a path no row matches is 404; a path some row matches with
 * another method is 405 with the Allow header; a handler runs only after
 * its row's min_role is met (a token below it gets 404, as if the route
 * did not exist for it). Oversight writes (alert state changes, spot
 * checks) are county and city actions: the inspected unit's own token
 * cannot record them. No handler reads the path itself.
 */
#include <stdlib.h>
#include <string.h>

#include "api-private.h"
#include "error.h"

#define API_PREFIX "/api/v1/"
#define PATH_SEGS_MAX 8

struct route {
	const char *method;        /* "GET" or "POST" */
	const char *pattern;
	enum api_role min_role;
	api_handler_fn handler;
};

static const struct route routes[] = {
	{ "GET",  "/metrics",                           API_LOCAL_OR_CITY, api_get_metrics },
	{ "GET",  "/api/v1/health",                     API_ANON,   api_get_health },
	{ "GET",  "/api/v1/units",                      API_UNIT,   api_get_units },
	{ "GET",  "/api/v1/units/*/indicators",         API_UNIT,   api_get_indicators },
	{ "GET",  "/api/v1/units/*/indicators/monthly", API_UNIT,   api_get_indicators_monthly },
	{ "GET",  "/api/v1/units/*/meters",             API_UNIT,   api_get_meters },
	{ "GET",  "/api/v1/counties",                   API_UNIT,   api_get_counties },
	{ "GET",  "/api/v1/series",                     API_UNIT,   api_get_series },
	{ "GET",  "/api/v1/gateways",                   API_UNIT,   api_get_gateways },
	{ "GET",  "/api/v1/alerts",                     API_UNIT,   api_get_alerts },
	{ "POST", "/api/v1/alerts/*/ack",               API_COUNTY, api_post_alert_ack },
	{ "POST", "/api/v1/alerts/*/resolve",           API_COUNTY, api_post_alert_resolve },
	{ "GET",  "/api/v1/spotchecks",                 API_UNIT,   api_get_spotchecks },
	{ "POST", "/api/v1/spotchecks",                 API_COUNTY, api_post_spotcheck },
	{ "GET",  "/api/v1/report",                     API_UNIT,   api_get_report },
	{ "GET",  "/api/v1/imports",                    API_CITY,   api_get_imports },
	{ "GET",  "/api/v1/units/*/filing",             API_UNIT,   api_get_filing },
	{ "POST", "/api/v1/units/*/statements",         API_UNIT,   api_post_statement },
	{ "POST", "/api/v1/statements/*/confirm",       API_COUNTY, api_post_statement_confirm },
	{ "POST", "/api/v1/statements/*/reject",        API_COUNTY, api_post_statement_reject },
	{ "GET",  "/api/v1/scores",                     API_UNIT,   api_get_scores },
};

/* The request path under /api/v1/ in segments (empty ones skipped). */
struct path {
	const char *seg[PATH_SEGS_MAX];
	int n;
	int ok;                    /* under /api/v1/ and split */
	char buf[512];
};

static void split_path(const char *path, struct path *p)
{
	char *s, *save = NULL;

	p->n = 0;
	p->ok = 0;
	if (strncmp(path, API_PREFIX, strlen(API_PREFIX)) != 0 ||
	    strlen(path + strlen(API_PREFIX)) >= sizeof(p->buf))
		return;
	snprintf(p->buf, sizeof(p->buf), "%s", path + strlen(API_PREFIX));
	for (s = strtok_r(p->buf, "/", &save); s != NULL; s = strtok_r(NULL, "/", &save)) {
		if (p->n == PATH_SEGS_MAX)
			return;
		p->seg[p->n++] = s;
	}
	p->ok = 1;
}

/* Whether route r's pattern matches; its '*' segments go to args. */
static int route_matches(const struct route *r, const char *path, const struct path *p,
			 const char **args)
{
	const char *pat = r->pattern;
	int i = 0, nargs = 0;

	if (strncmp(pat, API_PREFIX, strlen(API_PREFIX)) != 0)
		return strcmp(pat, path) == 0;
	if (!p->ok)
		return 0;
	for (pat += strlen(API_PREFIX); *pat != '\0'; i++) {
		size_t len = strcspn(pat, "/");

		if (i == p->n)
			return 0;
		if (len == 1 && *pat == '*') {
			if (nargs < API_ARGS_MAX)
				args[nargs++] = p->seg[i];
		} else if (strlen(p->seg[i]) != len || strncmp(p->seg[i], pat, len) != 0) {
			return 0;
		}
		pat += len;
		pat += *pat == '/';
	}
	return i == p->n;
}

/* Let the request through to a route needing role need, or answer. */
static int admit(struct api_ctx *c, enum api_role need)
{
	if (need == API_ANON)
		return 0;
	if (need == API_LOCAL_OR_CITY) {
		/* Without a token only from this host (a local Prometheus). */
		if (c->req->loopback)
			return 0;
		need = API_CITY;
	}
	if (api_authenticate(c))
		return -1;
	return c->role >= need ? 0 : api_fail(c, 404, "not found");
}

static int dispatch(struct api_ctx *c)
{
	static const char *const allow[] = { "", "GET", "POST", "GET, POST" };
	const char *method = strcmp(c->req->method, "HEAD") == 0 ? "GET" : c->req->method;
	const struct route *hit = NULL;
	unsigned methods = 0;
	struct path p;

	split_path(c->req->path, &p);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const char *args[API_ARGS_MAX] = { NULL };

		if (!route_matches(&routes[i], c->req->path, &p, args))
			continue;
		methods |= strcmp(routes[i].method, "GET") == 0 ? 1u : 2u;
		if (hit == NULL && strcmp(routes[i].method, method) == 0) {
			hit = &routes[i];
			memcpy(c->arg, args, sizeof(c->arg));
		}
	}
	if (methods == 0)
		return api_fail(c, 404, "path: %.64s not found", c->req->path);
	c->resp->allow = allow[methods];
	if (hit == NULL)
		return api_fail(c, 405, "method: %.16s not allowed", c->req->method);
	if (admit(c, hit->min_role))
		return -1;
	return hit->handler(c);
}

int api_handle(struct store *s, const struct api_request *req,
	       struct api_response *resp)
{
	struct api_ctx *c = calloc(1, sizeof(*c));

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

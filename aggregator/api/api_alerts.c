/*
 * api_alerts.c — GET /api/v1/alerts and POST /api/v1/alerts/{id}/ack|resolve
 * (docs/api.md, docs/report.md "alerts").
 *
 * Invariants: an alert is listed only when its unit is visible to the
 * token, and changed only by a county or city token (routes.c: a unit's
 * token gets 404) that sees it; the token's name, not the body's "by", is
 * who changed it (the claim goes to the audit detail); every change is
 * audited, a refused one too. The JSON is json.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "api-private.h"
#include "error.h"
#include "json.h"
#include "registry.h"

static int alert_row(void *ctx, const void *row)
{
	struct api_walk *w = ctx;
	const struct store_alert *a = row;

	return api_walk_visible(w, a->unit, json_alert(a));
}

int api_get_alerts(struct api_ctx *c)
{
	static const char *const allowed[] = { "state", "county", "unit", NULL };
	static const char *const states[] = { "open", "acknowledged", "resolved",
					      "active", NULL };
	struct store_alert_filter f = { 0 };
	struct api_walk w = { c, NULL, GFI_OK };
	cJSON *o;
	int rc;

	if (api_params_check(c, allowed) || api_param_county(c, "county") ||
	    api_param_choice(c, "state", states, "open, acknowledged, resolved or active"))
		return -1;
	f.state = api_param(c, "state");
	f.county = api_param(c, "county");
	f.unit = api_param(c, "unit");
	if (f.unit && !registry_credit_code_valid(f.unit))
		return api_fail(c, 400, "unit: not a valid unified social credit code");
	o = cJSON_CreateObject();
	w.arr = cJSON_AddArrayToObject(o, "alerts");
	rc = w.arr ? store_alert_list(c->s, &f, alert_row, &w) : GFI_E_NOMEM;
	return api_reply_list(c, o, rc, w.rc);
}

/* The body's optional "by" as the audit detail "by=<name>" ("" without). */
static int by_detail(struct api_ctx *c, char *detail, size_t size)
{
	static const char *const allowed[] = { "by", NULL };
	const char *by = NULL;
	cJSON *body;
	int ret;

	if ((body = api_body_object(c, allowed, 1)) == NULL)
		return -1;
	ret = api_body_text(c, body, "by", 64, 0, &by);
	if (ret == 0 && by != NULL)
		snprintf(detail, size, "by=%s", by);
	cJSON_Delete(body);
	return ret;
}

static int post_alert(struct api_ctx *c, const char *state, const char *action)
{
	char object[48], detail[128] = "";
	struct store_alert a;
	long long id;
	int rc;

	if (api_path_id(c, "alert", &id) || api_params_check(c, NULL) ||
	    by_detail(c, detail, sizeof(detail)))
		return -1;
	snprintf(object, sizeof(object), "alert %lld", id);
	rc = store_alert_get(c->s, (int64_t)id, &a);
	if (api_visible_row(c, rc, a.unit, "alert", id))
		return -1;
	/* The token's name is who changed it: a person named in the body is
	 * only a claim, kept in the audit detail. */
	rc = store_alert_set_state(c->s, (int64_t)id, state, c->tok.name, c->req->now_s);
	if (rc == GFI_E_STATE) {
		api_audit(c, action, object, 409, detail);
		return api_fail(c, 409, "state: alert %lld is already %s", id, a.state);
	}
	if (rc != GFI_OK)
		return api_fail_store(c, rc);
	api_audit(c, action, object, 200, detail);
	if ((rc = store_alert_get(c->s, (int64_t)id, &a)) != GFI_OK)
		return api_fail_store(c, rc);
	return api_reply_json(c, 200, json_alert(&a));
}

int api_post_alert_ack(struct api_ctx *c)
{
	return post_alert(c, "acknowledged", "alert.ack");
}

int api_post_alert_resolve(struct api_ctx *c)
{
	return post_alert(c, "resolved", "alert.resolve");
}

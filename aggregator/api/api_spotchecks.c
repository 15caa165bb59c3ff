/*
 * api_spotchecks.c — GET and POST /api/v1/spotchecks: on-site spot checks
 * listed, and recorded with their verdict (docs/api.md, spotcheck.h).
 *
 * Invariants: a spot check is listed or recorded only for a gateway whose
 * unit the token may see; the verdict is spotcheck_judge's, never the
 * client's; a recorded check is audited. The JSON is json.c's.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "api-private.h"
#include "error.h"
#include "json.h"
#include "period.h"
#include "spotcheck.h"

static int spot_row(void *ctx, const void *row)
{
	struct api_walk *w = ctx;
	const struct store_spotcheck *k = row;
	struct reg_gateway g;
	int visible = 0, rc = store_gateway_get(w->c->s, k->gateway, &g);

	if (rc == GFI_OK)
		rc = api_unit_code_visible(w->c, g.unit, &visible);
	if (rc != GFI_OK && rc != GFI_E_NOTFOUND) {
		w->rc = rc;
		return 1;
	}
	if (visible)
		cJSON_AddItemToArray(w->arr, json_spotcheck(k));
	return 0;
}

int api_get_spotchecks(struct api_ctx *c)
{
	static const char *const allowed[] = { "gateway", "meter", "point", NULL };
	struct api_walk w = { c, NULL, GFI_OK };
	cJSON *o;
	int rc;

	if (api_params_check(c, allowed) || api_param_id(c, "gateway", 0) ||
	    api_param_id(c, "meter", 0) || api_param_id(c, "point", 0))
		return -1;
	o = cJSON_CreateObject();
	w.arr = cJSON_AddArrayToObject(o, "spotchecks");
	rc = w.arr ? store_spotcheck_list(c->s, api_param(c, "gateway"), api_param(c, "meter"),
					  api_param(c, "point"), spot_row, &w)
		   : GFI_E_NOMEM;
	return api_reply_list(c, o, rc, w.rc);
}

/* The body's fields into in (borrowing from body), or an answer. */
static int spotcheck_fields(struct api_ctx *c, const cJSON *body,
			    struct spotcheck_input *in)
{
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(body, "at");
	const cJSON *reading = cJSON_GetObjectItemCaseSensitive(body, "reading");

	if (api_body_id(c, body, "gateway", &in->gateway) ||
	    api_body_id(c, body, "meter", &in->meter) ||
	    api_body_id(c, body, "point", &in->point) ||
	    api_body_text(c, body, "inspector", 64, 1, &in->inspector) ||
	    api_body_text(c, body, "note", STORE_ALERT_TEXT_MAX, 0, &in->note))
		return -1;
	if (at == NULL)
		return api_fail(c, 400, "at: missing");
	if (cJSON_IsNumber(at) && isfinite(at->valuedouble) && at->valuedouble >= 0 &&
	    at->valuedouble < 7258118400.0 && at->valuedouble == floor(at->valuedouble)) {
		in->at_s = (int64_t)at->valuedouble;
	} else if (!cJSON_IsString(at) ||
		   period_parse_time(at->valuestring, &in->at_s) != GFI_OK) {
		return api_fail(c, 400, "at: must be epoch seconds or \"YYYY-MM-DD HH:MM[:SS]\"");
	}
	if (!cJSON_IsNumber(reading) || !isfinite(reading->valuedouble) ||
	    reading->valuedouble < 0)
		return api_fail(c, 400, "reading: %s",
				reading ? "must be a number >= 0" : "missing");
	in->reading = reading->valuedouble;
	if (in->note == NULL)
		in->note = "";
	in->now_s = c->req->now_s;
	return 0;
}

/* Judge and store in; answer 201 with the recorded check. */
static int record(struct api_ctx *c, const struct spotcheck_input *in)
{
	struct store_spotcheck k;
	char object[128];
	int64_t id = 0;
	int rc = spotcheck_judge(c->s, in, &k);

	if (rc == GFI_E_NOTFOUND)
		return api_fail(c, 404, "point: %s/%s/%s is not registered", in->gateway,
				in->meter, in->point);
	if (rc == GFI_OK)
		rc = store_spotcheck_add(c->s, &k, &id);
	if (rc != GFI_OK)
		return api_fail_store(c, rc);
	k.id = id;
	snprintf(object, sizeof(object), "spotcheck %" PRId64, id);
	api_audit(c, "spotcheck.add", object, 201, k.verdict);
	api_reply_json(c, 201, json_spotcheck(&k));
	return 0;
}

int api_post_spotcheck(struct api_ctx *c)
{
	static const char *const allowed[] = { "gateway", "meter", "point", "at",
					       "reading", "inspector", "note", NULL };
	struct spotcheck_input in;
	struct reg_gateway g;
	cJSON *body = NULL;
	int ret = -1;

	memset(&in, 0, sizeof(in));
	if (api_params_check(c, NULL) || (body = api_body_object(c, allowed, 0)) == NULL)
		return -1;
	if (spotcheck_fields(c, body, &in) == 0 && api_visible_gateway(c, in.gateway, &g) == 0)
		ret = record(c, &in);
	cJSON_Delete(body);
	return ret;
}

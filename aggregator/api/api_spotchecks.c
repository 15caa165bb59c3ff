/*
 * api_spotchecks.c — GET and POST /api/v1/spotchecks: on-site spot checks
 * listed, and recorded with their verdict (docs/api.md, spotcheck.h).
 *
 * Invariants: a spot check is listed only for a gateway whose unit the token
 * may see, and recorded only by a county or city token (routes.c: a unit's
 * token gets 404, it cannot inspect itself) that sees the gateway; the
 * inspector recorded is the token's holder (its name), never a body field;
 * the verdict is spotcheck_judge's, never the client's; a recorded check is
 * audited. The JSON is json.c's.
 *
 * Threads: the judgement runs on the HTTP thread that asked. It is cheap by
 * design (spotcheck_chain.c re-verifies about one checkpoint segment of
 * the chain, 8 batches, whatever the history: ~14 ms in Release), so no
 * worker queue is needed; bench/spotcheck_concurrent.py holds it to that.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "api-private.h"
#include "error.h"
#include "json.h"
#include "period.h"
#include "spotcheck.h"

#define TIME_MAX_S 7258118400.0            /* 2200-01-01 */

static int spot_row(void *ctx, const void *row)
{
	struct api_walk *w = ctx;
	const struct store_spotcheck *k = row;
	struct reg_gateway g;
	int rc = store_gateway_get(w->c->s, k->gateway, &g);

	if (rc == GFI_E_NOTFOUND)
		return 0;
	if (rc != GFI_OK) {
		w->rc = rc;
		return 1;
	}
	return api_walk_visible(w, g.unit, json_spotcheck(k));
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

/* Time field key: epoch seconds or "YYYY-MM-DD HH:MM[:SS]". */
static int body_time(struct api_ctx *c, const cJSON *body, const char *key, int64_t *out)
{
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(body, key);

	if (at == NULL)
		return api_fail(c, 400, "%s: missing", key);
	if (cJSON_IsNumber(at) && isfinite(at->valuedouble) && at->valuedouble >= 0 &&
	    at->valuedouble < TIME_MAX_S && at->valuedouble == floor(at->valuedouble)) {
		*out = (int64_t)at->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(at) || period_parse_time(at->valuestring, out) != GFI_OK)
		return api_fail(c, 400, "%s: must be epoch seconds or \"YYYY-MM-DD HH:MM[:SS]\"",
				key);
	return 0;
}

/* Number field key in [min, max] into *out; absent: *out kept, or refused
 * when required. */
static int body_number(struct api_ctx *c, const cJSON *body, const char *key,
		       double min, double max, int required, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);

	if (v == NULL && !required)
		return 0;
	if (v == NULL)
		return api_fail(c, 400, "%s: missing", key);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < min ||
	    v->valuedouble > max)
		return api_fail(c, 400, "%s: must be a number %g..%g", key, min, max);
	*out = v->valuedouble;
	return 0;
}

/* "register": "f32" or the integer register's scale. */
static int body_register(struct api_ctx *c, const cJSON *body, double *step)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "register");

	if (cJSON_IsString(v) && strcmp(v->valuestring, "f32") == 0) {
		*step = SPOTCHECK_FLOAT32;
		return 0;
	}
	if (v != NULL && !cJSON_IsNumber(v))
		return api_fail(c, 400, "register: must be \"f32\" or a scale 1e-09..1e+06");
	return body_number(c, body, "register", 1e-9, 1e6, 0, step);
}

/* The kind and its fields: reference needs from, from_reading, ref_class;
 * increase needs since; the others are refused with a kind they do not
 * belong to. */
static int kind_fields(struct api_ctx *c, const cJSON *body, struct spotcheck_input *in)
{
	static const char *const ref_only[] = { "from", "from_reading", "ref_class", NULL };
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(body, "kind");
	double since = 0;
	int ref, inc;

	in->kind = cJSON_IsString(kind) ? kind->valuestring : "display";
	ref = strcmp(in->kind, "reference") == 0;
	inc = strcmp(in->kind, "increase") == 0;
	if ((kind != NULL && !cJSON_IsString(kind)) ||
	    (!ref && !inc && strcmp(in->kind, "display") != 0))
		return api_fail(c, 400, "kind: must be display, reference or increase");
	for (size_t i = 0; !ref && ref_only[i] != NULL; i++)
		if (cJSON_GetObjectItemCaseSensitive(body, ref_only[i]) != NULL)
			return api_fail(c, 400, "%s: only with kind reference", ref_only[i]);
	if (!inc && cJSON_GetObjectItemCaseSensitive(body, "since") != NULL)
		return api_fail(c, 400, "since: only with kind increase");
	if (ref && (body_time(c, body, "from", &in->from_s) ||
		    body_number(c, body, "from_reading", 0, 1e15, 1, &in->from_reading) ||
		    body_number(c, body, "ref_class", 0.01, 10, 1, &in->ref_accuracy_pct)))
		return -1;
	if (inc && body_number(c, body, "since", 1, 9007199254740991.0, 1, &since))
		return -1;
	if (since != floor(since))
		return api_fail(c, 400, "since: must be a spot check id");
	in->since_id = (int64_t)since;
	return 0;
}

/* The body's fields into in (borrowing from body), or an answer. */
static int spotcheck_fields(struct api_ctx *c, const cJSON *body,
			    struct spotcheck_input *in)
{
	in->from_reading = in->ref_accuracy_pct = in->display_resolution = NAN;
	in->register_step = in->clock_uncertainty_s = NAN;
	if (api_body_id(c, body, "gateway", &in->gateway) ||
	    api_body_id(c, body, "meter", &in->meter) ||
	    api_body_id(c, body, "point", &in->point) ||
	    api_body_text(c, body, "note", STORE_ALERT_TEXT_MAX, 0, &in->note) ||
	    body_time(c, body, "at", &in->at_s) ||
	    body_number(c, body, "reading", 0, 1e15, 1, &in->reading) ||
	    kind_fields(c, body, in) ||
	    body_number(c, body, "display_resolution", 1e-9, 1e6, 0,
			&in->display_resolution) ||
	    body_number(c, body, "clock_uncertainty_s", 0, 86400, 0,
			&in->clock_uncertainty_s) ||
	    body_register(c, body, &in->register_step))
		return -1;
	if (in->note == NULL)
		in->note = "";
	/* Who inspects is who holds the token: a name in the body would let
	 * anyone record a check under anyone's name. */
	in->inspector = c->tok.name;
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

	/* The period's start or the increase's earlier check: the reason
	 * names the field. */
	if (rc == GFI_E_INVAL)
		return api_fail(c, 400, "%s", k.reason);
	if (rc == GFI_E_NOTFOUND && strncmp(k.reason, "since: ", 7) == 0)
		return api_fail(c, 404, "%s", k.reason);
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
					       "reading", "note", "kind", "from",
					       "from_reading", "ref_class", "since",
					       "display_resolution", "register",
					       "clock_uncertainty_s", NULL };
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

/*
 * api_gateways.c — GET /api/v1/gateways: every gateway the token may see,
 * with its unit's county, its last batch and its last reported status
 * (docs/api.md).
 *
 * Invariants: a gateway is listed only when its unit is visible
 * (auth.c); the JSON is json.c's.
 */
#include "api-private.h"
#include "error.h"
#include "json.h"

/* The gateway's last reported status, or null when it never reported. */
static int add_status(struct api_ctx *c, cJSON *o, const char *gateway)
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
	struct api_walk *w = ctx;
	const struct reg_gateway *g = row;
	struct reg_unit u;
	int64_t last = 0;
	int has = 0;
	cJSON *o;

	if ((w->rc = store_unit_get(w->c->s, g->unit, &u)) != GFI_OK)
		return 1;
	if (!api_unit_visible(w->c, &u))
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

int api_get_gateways(struct api_ctx *c)
{
	struct api_walk w = { c, NULL, GFI_OK };
	cJSON *o;
	int rc;

	if (api_params_check(c, NULL))
		return -1;
	o = cJSON_CreateObject();
	w.arr = cJSON_AddArrayToObject(o, "gateways");
	rc = w.arr ? store_gateway_list(c->s, gateway_row, &w) : GFI_E_NOMEM;
	return api_reply_list(c, o, rc, w.rc);
}

/*
 * api_series.c — GET /api/v1/series: a meter point's daily rollups over a
 * span of at most SERIES_MAX_DAYS days (docs/api.md).
 *
 * Invariants: the gateway is checked against the token's scope before the
 * store is read; days are Asia/Shanghai days; the JSON is json.c's.
 */
#include "api-private.h"
#include "calendar.h"
#include "error.h"
#include "json.h"

#define SERIES_MAX_DAYS 400

static int rollup_row(void *ctx, const void *row)
{
	cJSON *o = json_rollup(row);

	if (o == NULL)
		return 1;
	cJSON_AddItemToArray(ctx, o);
	return 0;
}

int api_get_series(struct api_ctx *c)
{
	static const char *const allowed[] = { "gateway", "meter", "point", "from",
					       "to", NULL };
	const char *meter, *point;
	struct reg_gateway g;
	int64_t from = 0, to = 0;
	cJSON *o, *arr;
	int rc;

	if (api_params_check(c, allowed) || api_param_id(c, "gateway", 1) ||
	    api_param_id(c, "meter", 0) || api_param_id(c, "point", 0) ||
	    api_param_time(c, "from", &from) || api_param_time(c, "to", &to))
		return -1;
	meter = api_param(c, "meter");
	point = api_param(c, "point");
	if ((meter == NULL) != (point == NULL))
		return api_fail(c, 400, "%s: give meter and point together",
				meter ? "point" : "meter");
	if (to <= from)
		return api_fail(c, 400, "to: must be after from");
	if (to - from > (int64_t)SERIES_MAX_DAYS * 86400)
		return api_fail(c, 400, "to: at most %d days after from", SERIES_MAX_DAYS);
	if (api_visible_gateway(c, api_param(c, "gateway"), &g))
		return -1;
	o = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(o, "rollups");
	rc = arr ? store_rollups(c->s, g.id, meter, point, calendar_day_start(from),
				 calendar_day_start(to - 1) + CALENDAR_DAY_S, rollup_row, arr)
		 : GFI_E_NOMEM;
	return api_reply_list(c, o, rc, GFI_OK);
}

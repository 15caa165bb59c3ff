/*
 * history.c — export the model's past as an import CSV (history.h).
 */
#include "history.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "calendar.h"
#include "error.h"
#include "model.h"
#include "quantity.h"

static int add_point(const struct sim_config *cfg, const char *item,
		     struct history_request *req, char *err, size_t errlen)
{
	char meter[GFI_ID_MAX];
	const char *colon = strchr(item, ':');
	const struct sim_meter *m;
	const struct gfi_point *pt;
	const struct gfi_quantity *q;
	size_t n = colon ? (size_t)(colon - item) : 0;

	if (colon == NULL || n == 0 || n >= sizeof(meter)) {
		snprintf(err, errlen, "--points: \"%s\" is not METER:POINT", item);
		return GFI_E_INVAL;
	}
	memcpy(meter, item, n);
	meter[n] = '\0';
	m = sim_config_meter(cfg, meter);
	pt = m ? gfi_profile_point(m->profile, colon + 1) : NULL;
	q = pt ? pt->quantity : NULL;
	if (q == NULL || q->kind != GFI_COUNTER) {
		snprintf(err, errlen, "--points: %s is %s", item,
			 m == NULL ? "not a configured meter" :
			 pt == NULL ? "not a point of the meter's profile" :
				      "not a counter");
		return GFI_E_INVAL;
	}
	if (req->npoints == HISTORY_POINTS_MAX) {
		snprintf(err, errlen, "--points: more than %d", HISTORY_POINTS_MAX);
		return GFI_E_RANGE;
	}
	req->points[req->npoints].meter = m;
	req->points[req->npoints].point = pt;
	req->npoints++;
	return GFI_OK;
}

int history_parse_points(const struct sim_config *cfg, const char *list,
			 struct history_request *req, char *err, size_t errlen)
{
	char buf[4096];
	char *save = NULL;

	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "--points: longer than %zu bytes",
			 sizeof(buf) - 1);
		return GFI_E_RANGE;
	}
	memcpy(buf, list, strlen(list) + 1);
	req->npoints = 0;
	for (char *it = strtok_r(buf, ",", &save); it != NULL;
	     it = strtok_r(NULL, ",", &save)) {
		int rc = add_point(cfg, it, req, err, errlen);
		if (rc != GFI_OK)
			return rc;
	}
	if (req->npoints == 0) {
		snprintf(err, errlen, "--points: empty");
		return GFI_E_INVAL;
	}
	return GFI_OK;
}

int history_write_csv(const struct history_request *req, FILE *out)
{
	char when[32];

	if (fputs("gateway,meter,point,time,value\n", out) == EOF)
		return GFI_E_IO;
	for (int64_t t = req->from_s; t < req->to_s; t += req->step_s) {
		/* local time without a zone, as a Chinese plant's EMS exports it */
		calendar_format(t, when, sizeof(when));
		for (size_t i = 0; i < req->npoints; i++) {
			const struct history_point *hp = &req->points[i];
			double v = model_value(hp->meter, hp->point, t);

			if (!isfinite(v))
				continue;
			v = gfi_point_representable(hp->point, v);
			if (fprintf(out, "%s,%s,%s,%s,%.3f\n", req->gateway,
				    hp->meter->id, hp->point->name, when, v) < 0)
				return GFI_E_IO;
		}
	}
	return fflush(out) == 0 ? GFI_OK : GFI_E_IO;
}

/*
 * history.h — a meter's past as the factory's energy management system
 * would have exported it: counter readings at a fixed step, in the CSV
 * format `gfi-aggregator import --csv` reads (docs/import.md).
 *
 * The values are the simulator's own model, so a history exported for
 * last year joins the live readings of the same meters without a jump.
 */
#ifndef GFI_SIM_HISTORY_H
#define GFI_SIM_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "simconfig.h"

#define HISTORY_POINTS_MAX 64

struct history_point {
	const struct sim_meter *meter;
	const struct gfi_point *point;
};

struct history_request {
	const char *gateway;          /* the gateway column, a valid id */
	int64_t from_s, to_s;         /* [from, to) UTC epoch seconds */
	int64_t step_s;               /* 60..86400 */
	struct history_point points[HISTORY_POINTS_MAX];
	size_t npoints;
};

/* Resolve "METER:POINT,METER:POINT" against cfg into req->points; every
 * point must be a counter. GFI_OK, or GFI_E_INVAL with one line in err
 * naming --points. */
int history_parse_points(const struct sim_config *cfg, const char *list,
			 struct history_request *req, char *err, size_t errlen);

/* Write the header and one row per point per step, times in Asia/Shanghai
 * local time, values as the register shows them. GFI_OK or GFI_E_IO. */
int history_write_csv(const struct history_request *req, FILE *out);

#endif

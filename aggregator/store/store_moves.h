/*
 * store_moves.h — the dated registry (issue 17): a gateway's or a meter's
 * move to another unit, and a unit's own changes (name, county, level,
 * retirement, ...), take effect from a date; readings before it stay with
 * the old assignment and a year is named as the unit was then. Each is a
 * span [from_s, to_s) with who changed it and when (tables gateway_units of
 * migration 18, meter_units and unit_versions of migration 20). An entry
 * without spans is its registry row for all time (gateways.unit and units.*
 * always hold the current one). Part of the store (store_moves.c); included
 * by store.h.
 */
#ifndef GFI_AGG_STORE_MOVES_H
#define GFI_AGG_STORE_MOVES_H

#include <stdint.h>

#include "store.h"
#include "store_registry.h"

#define STORE_SPAN_OPEN INT64_MAX   /* to_s of the current assignment */
#define STORE_SPAN_START INT64_MIN  /* from_s of the first one */

/* One assignment of a gateway to a unit. */
struct store_gateway_span {
	struct reg_gateway g;          /* g.unit: the unit of this span */
	int64_t from_s, to_s;          /* [from_s, to_s) */
	char changed_by[64];
	int64_t changed_s;
};

/* Move gateway to unit from from_s on: its current span ends at from_s and
 * a new one begins; the registry's current unit becomes unit. GFI_E_NOTFOUND
 * (gateway or unit), GFI_E_STATE (from_s not after the current span's
 * start), GFI_E_DB. */
int store_gateway_move(struct store *s, const char *gateway, const char *unit,
		       int64_t from_s, const char *by, int64_t now_s);

/* Whether gateway has moved with a date (has spans): 1, 0, or GFI_E_DB. */
int store_gateway_dated(struct store *s, const char *gateway);

/* The gateways that belonged to unit at some time in [t0, t1), one row per
 * span clipped to [t0, t1) (a gateway moved away and back has two), by
 * gateway id. Rows: struct store_gateway_span. GFI_E_DB. */
int store_gateway_list_unit_spans(struct store *s, const char *unit, int64_t t0,
				  int64_t t1, store_row_fn fn, void *ctx);

/* Every span of gateway, oldest first (one open span from the start when it
 * never moved). Rows: struct store_gateway_span. GFI_E_DB. */
int store_gateway_spans(struct store *s, const char *gateway, store_row_fn fn,
			void *ctx);

/* ---- meters: a meter (all its points) moved on its own ---- */

/* One span of a meter's own assignment; unit "" = it follows its gateway. */
struct store_meter_span {
	char gateway[GFI_ID_MAX], meter[GFI_ID_MAX];
	char unit[STORE_CODE_LEN + 1];
	int64_t from_s, to_s;
	char changed_by[64];
	int64_t changed_s;
};

/* Move meter (every point of gateway/meter) to unit from from_s on; unit
 * NULL: it follows its gateway's unit again. GFI_E_NOTFOUND (meter or
 * unit), GFI_E_STATE (from_s not after its current span's start), GFI_E_DB. */
int store_meter_move(struct store *s, const char *gateway, const char *meter,
		     const char *unit, int64_t from_s, const char *by, int64_t now_s);

/* Every span of a meter, oldest first (one following its gateway over all
 * time when it never moved on its own). Rows: struct store_meter_span. */
int store_meter_spans(struct store *s, const char *gateway, const char *meter,
		      store_row_fn fn, void *ctx);

/* A meter point and when in a period it was a unit's. */
struct store_point_span {
	struct reg_meter m;
	int64_t from_s, to_s;          /* [from_s, to_s) */
};

/* Every meter point that belonged to unit at some time in [t0, t1): through
 * its gateway's spans, or a move of its own; one row per span clipped to
 * [t0, t1), by gateway, span start, meter and point. Rows: struct
 * store_point_span. GFI_E_DB. */
int store_point_list_unit_spans(struct store *s, const char *unit, int64_t t0,
				int64_t t1, store_row_fn fn, void *ctx);

/* ---- units: their own attributes from a date ---- */

struct store_unit_version {
	struct reg_unit u;             /* the attributes in force */
	int64_t from_s, to_s;
	char changed_by[64];
	int64_t changed_s;             /* 0 for the registry's first version */
};

/* u's attributes (found by u->code; the county must exist) in force from
 * from_s on; before it the unit stays as it was. GFI_E_NOTFOUND,
 * GFI_E_STATE (from_s not after the current version's start), GFI_E_DB. */
int store_unit_change_from(struct store *s, const struct reg_unit *u,
			   int64_t from_s, const char *by, int64_t now_s);

/* Whether the unit has dated versions: 1, 0, or GFI_E_DB. */
int store_unit_dated(struct store *s, const char *code);

/* Every version of unit code, oldest first (one over all time when it never
 * changed with a date). Rows: struct store_unit_version. GFI_E_DB. */
int store_unit_versions(struct store *s, const char *code, store_row_fn fn, void *ctx);

/* Every unit as it was at at_s, by code (rows: struct reg_unit), and one
 * unit: GFI_OK or GFI_E_NOTFOUND. */
int store_unit_list_at(struct store *s, int64_t at_s, store_row_fn fn, void *ctx);
int store_unit_get_at(struct store *s, const char *code, int64_t at_s,
		      struct reg_unit *out);

#endif

/*
 * store_moves.h — the dated registry (issue 17): a gateway's move to another
 * unit takes effect from a date; readings before it stay with the old unit.
 * Each assignment is a span [from_s, to_s) of one unit, with who changed it
 * and when (table gateway_units of migration 13). A gateway without spans
 * belongs to its registered unit for all time (gateways.unit, which always
 * names the current unit). Part of the store (store_moves.c); included by
 * store.h.
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

#endif

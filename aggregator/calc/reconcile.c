/*
 * reconcile.c — meter totals against stated annual figures (reconcile.h).
 *
 * Why apart from the indicators: the indicators convert and combine (tce,
 * conventional water only), while a utility bill states the raw quantity
 * its own meter counted; the comparison must be of like with like, so it
 * sums the raw counter consumption of the points of each kind.
 *
 * Invariants: a carrier with no registered point has no metered figure
 * (not 0); a difference needs both figures and a stated figure > 0.
 */
#include "reconcile.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "grow.h"
#include "period.h"
#include "series.h"

struct walk {
	struct store *s;
	int64_t t0, t1;
	struct reconcile_item *it;
	struct gfi_rows meters;   /* the unit's points (struct reg_meter), owned */
};

static int collect_gateway(void *ctx, const void *row)
{
	struct walk *w = ctx;
	const struct reg_gateway *g = row;

	return store_meter_list(w->s, g->id, gfi_rows_collect, &w->meters) != GFI_OK ||
	       w->meters.err;
}

/* Which item a point counts in, or -1. */
static int item_of(const struct reg_meter *m)
{
	if (m->retired)
		return -1;
	if (m->role == ROLE_ELEC_PURCHASED)
		return REC_ELECTRICITY;
	if (m->role == ROLE_FUEL && strcmp(m->carrier, "natural_gas") == 0)
		return REC_GAS;
	return m->role == ROLE_WATER_INTAKE ? REC_WATER : -1;
}

static int metered(struct walk *w)
{
	const struct reg_meter *points = w->meters.v;

	for (size_t i = 0; i < w->meters.n; i++) {
		const struct reg_meter *m = &points[i];
		struct series_key k = { m->gateway, m->meter, m->point };
		struct series_total t;
		int64_t interval = 60;
		int item = item_of(m), ret;

		if (item < 0)
			continue;
		if ((ret = series_interval_estimate(w->s, &k, w->t0, w->t1, &interval)) ||
		    (ret = series_counter_total(w->s, &k, w->t0, w->t1, m->counter_max,
						interval, &t)))
			return ret;
		if (t.has_value) {
			w->it[item].metered += t.value;
			w->it[item].has_metered = 1;
		}
	}
	return GFI_OK;
}

/* The stated figures: whole-year entries, and the months' sums apart. */
struct stated {
	struct reconcile_item *it;
	double months[REC_N];
	int has_whole[REC_N], has_months[REC_N];
};

static int stated_fact(void *ctx, const void *row)
{
	struct stated *st = ctx;
	const struct reg_fact *f = row;

	for (int i = 0; i < REC_N; i++) {
		if (strcmp(f->key, st->it[i].fact) != 0)
			continue;
		if (f->month == 0) {
			st->it[i].stated = f->value;
			st->has_whole[i] = 1;
		} else {
			st->months[i] += f->value;
			st->has_months[i] = 1;
		}
	}
	return 0;
}

int reconcile_unit(struct store *s, const char *unit, int year,
		   struct reconcile_item out[REC_N])
{
	static const struct reconcile_item init[REC_N] = {
		{ .carrier = "electricity", .fact = "stat_electricity_kwh", .unit = "kWh" },
		{ .carrier = "natural_gas", .fact = "stat_gas_m3", .unit = "m3" },
		{ .carrier = "water", .fact = "stat_water_m3", .unit = "m3" },
	};
	struct walk w = { .s = s, .it = out, .meters = GFI_ROWS(struct reg_meter) };
	struct stated st = { .it = out };
	int ret;

	memcpy(out, init, sizeof(init));
	if ((ret = period_bounds(year, 0, &w.t0, &w.t1)) != GFI_OK)
		return ret;
	ret = store_gateway_list_unit(s, unit, collect_gateway, &w);
	if (ret == GFI_OK)
		ret = w.meters.err;
	if (ret == GFI_OK)
		ret = metered(&w);
	free(w.meters.v);
	if (ret == GFI_OK)
		ret = store_fact_list(s, unit, year, stated_fact, &st);
	for (int i = 0; ret == GFI_OK && i < REC_N; i++) {
		/* A whole-year entry wins over the months' sum. */
		out[i].has_stated = st.has_whole[i] || st.has_months[i];
		if (!st.has_whole[i])
			out[i].stated = st.months[i];
		out[i].has_diff = out[i].has_stated && out[i].has_metered && out[i].stated > 0;
		if (out[i].has_diff)
			out[i].diff_pct = (out[i].metered - out[i].stated) / out[i].stated * 100;
	}
	return ret;
}

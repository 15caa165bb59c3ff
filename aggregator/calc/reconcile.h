/*
 * reconcile.h — the meters' annual totals against the unit's own figures
 * from statistical returns or utility bills (electricity kWh, natural gas
 * m3, water m3), entered as facts stat_electricity_kwh, stat_gas_m3,
 * stat_water_m3 (docs/report.md "Reconciliation"). The filing view shows
 * both; the alert rule reconcile (alerts.c) fires beyond the city's
 * setting reconcile_diff_pct (5 % by default).
 */
#ifndef GFI_AGG_RECONCILE_H
#define GFI_AGG_RECONCILE_H

#include "store.h"

enum reconcile_carrier { REC_ELECTRICITY = 0, REC_GAS, REC_WATER, REC_N };

struct reconcile_item {
	const char *carrier;     /* "electricity", "natural_gas", "water" */
	const char *fact;        /* the fact key of the stated figure */
	const char *unit;        /* "kWh", "m3" */
	double stated, metered;
	int has_stated, has_metered;
	double diff_pct;         /* (metered - stated) / stated x 100 */
	int has_diff;
};

/* The unit's three items for year: the stated fact (whole year, else the
 * sum of its months) and the sum of its meter points' consumption over the
 * year (purchased electricity; fuel points of carrier natural_gas; water
 * intake points). GFI_OK, GFI_E_NOMEM, GFI_E_DB. */
int reconcile_unit(struct store *s, const char *unit, int year,
		   struct reconcile_item out[REC_N]);

#endif

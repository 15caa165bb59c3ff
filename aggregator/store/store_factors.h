/*
 * store_factors.h — conversion and emission factors (store_factors.c,
 * table factors of migration 2). Included by store.h.
 */
#ifndef GFI_AGG_STORE_FACTORS_H
#define GFI_AGG_STORE_FACTORS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* A conversion or emission factor (migration 2, store_factors.c): kind is
 * "tce" (equivalent value, GB/T 2589-2020), "tce_equal" (equal-value
 * method), "tce_media" (equal value of a purchased 耗能工质), "co2", "grid",
 * "grid_excl_green", "grid_fossil"; carrier as registered
 * ("electricity", "natural_gas", "steam", "heat" ...); year the first year it
 * applies to (0: every year); unit a credit code for a unit's own measured
 * factor, "" for the city's. value_unit names what the value converts, e.g.
 * "kgce/kWh", "tCO2/t", and is what the indicators convert quantities by. */
#define STORE_FACTOR_TEXT_MAX 160
struct store_factor {
	char kind[24];
	char carrier[32];
	int year;                       /* 0, or 1970..2200 */
	char unit[STORE_CODE_LEN + 1];  /* "" for every unit */
	double value;
	char value_unit[24];
	char source[STORE_FACTOR_TEXT_MAX];
};

/* Migration 9 (store.c runs it): the 2023 grid emission factors of MEE/NBS
 * 2025 No. 47 (national 0.5306, excluding market-traded non-fossil power
 * 0.6096, fossil 0.8273 kgCO2/kWh) and the fossil factor of 2022; the
 * equal value of purchased new water as the setting 'tce_media' (GB/T
 * 2589, *confirm*); the steam table value named as the fallback it is.
 * The city replaces any of them with `factor set`. */
#define STORE_FACTORS_SEED_2023                                                \
	"INSERT OR REPLACE INTO factors (kind, carrier, year, value, value_unit, source) VALUES" \
	" ('grid', 'electricity', 2023, 0.5306, 'kgCO2/kWh', 'MEE/NBS 2025 No. 47, national average 2023')," \
	" ('grid_excl_green', 'electricity', 2023, 0.6096, 'kgCO2/kWh', 'MEE/NBS 2025 No. 47, national excluding market-traded non-fossil power 2023')," \
	" ('grid_fossil', 'electricity', 2022, 0.8325, 'kgCO2/kWh', 'MEE/NBS announcement 2024-12-20, fossil power 2022')," \
	" ('grid_fossil', 'electricity', 2023, 0.8273, 'kgCO2/kWh', 'MEE/NBS 2025 No. 47, fossil power 2023')," \
	" ('tce_media', 'new_water', 0, 0.2571, 'kgce/t', 'GB/T 2589 equal value of new water (7.54 MJ/t), setting, confirm');" \
	"UPDATE factors SET source = 'MEE/NBS announcement 2024-12-20, national average 2022'" \
	" WHERE kind = 'grid' AND carrier = 'electricity' AND year = 2022 AND unit = '';" \
	"UPDATE factors SET source = 'MEE/NBS announcement 2024-12-20, national excluding market-traded non-fossil power 2022'" \
	" WHERE kind = 'grid_excl_green' AND carrier = 'electricity' AND year = 2022 AND unit = '';" \
	"UPDATE factors SET source = 'GB/T 2589-2008 table value, fallback only (estimated): steam goes by enthalpy from its pressure and temperature'" \
	" WHERE kind = 'tce' AND carrier = 'steam' AND year = 0 AND unit = '';"

/* The factor of (kind, carrier) in force for year and unit: the unit's own
 * row first, else the city's; within each the latest year <= year (a row of
 * year 0 applies to every year). *fallback (may be NULL) is 1 when the row
 * found is of an earlier, non-zero year (a year without its own published
 * factor). unit may be NULL. GFI_OK, GFI_E_NOTFOUND, GFI_E_DB. */
int store_factor_get(struct store *s, const char *kind, const char *carrier,
		     int year, const char *unit, struct store_factor *out,
		     int *fallback);
/* Insert or replace the row (kind, carrier, year, unit). GFI_E_INVAL for an
 * empty kind, carrier or value_unit, a non-finite value or a year outside
 * 0 and 1970..2200. Its own transaction or part of the caller's. */
int store_factor_set(struct store *s, const struct store_factor *f);
/* Every row, ordered by kind, carrier, unit, year; rows are struct
 * store_factor. */
int store_factor_list(struct store *s, store_row_fn fn, void *ctx);

#endif

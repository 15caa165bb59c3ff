/*
 * store_factors.c — conversion and emission factors (store_factors.h).
 *
 * Why a table: the GB/T 2589-2020 reference values and the yearly grid
 * emission factors are figures the city must be able to replace without a
 * new build (../shared/DOMAIN.md marks several "confirm"), each with its
 * source, so a filed table can say which figure it used. Migration 2 seeds
 * the defaults.
 *
 * Invariants: one row per (kind, carrier, year, unit); a unit's own row
 * (e.g. a measured calorific value) always wins over the city's; a year
 * without its own row takes the latest earlier one and says so (fallback),
 * except rows of year 0, which apply to every year by definition.
 */
#include "store-private.h"

#include <math.h>
#include <string.h>

#include "error.h"

#define FACTOR_COLS "kind, carrier, year, unit, value, value_unit, source"

static void factor_row(sqlite3_stmt *st, void *row)
{
	struct store_factor *f = row;

	DB_ROW(st, f, DB_COL_TEXT(f->kind), DB_COL_TEXT(f->carrier),
	       DB_COL_INT(f->year), DB_COL_TEXT(f->unit), DB_COL_REAL(f->value),
	       DB_COL_TEXT(f->value_unit), DB_COL_TEXT(f->source));
}

int store_factor_get(struct store *s, const char *kind, const char *carrier,
		     int year, const char *unit, struct store_factor *out,
		     int *fallback)
{
	/* unit = '' sorts after the unit's own rows; then the latest year. */
	int ret = db_select_one(s->db,
		"SELECT " FACTOR_COLS " FROM factors WHERE kind = ?1 AND carrier = ?2 "
		"AND year <= ?3 AND (unit = ?4 OR unit = '') "
		"ORDER BY unit = '', year DESC LIMIT 1",
		DB_ARGS(DB_TEXT(kind), DB_TEXT(carrier), DB_INT(year),
			DB_TEXT(unit != NULL ? unit : "")),
		factor_row, out, "factor read");

	if (fallback != NULL)
		*fallback = ret == GFI_OK && out->year != 0 && out->year != year;
	return ret;
}

int store_factor_set(struct store *s, const struct store_factor *f)
{
	if (f->kind[0] == '\0' || f->carrier[0] == '\0' || f->value_unit[0] == '\0' ||
	    !isfinite(f->value) || (f->year != 0 && (f->year < 1970 || f->year > 2200)))
		return GFI_E_INVAL;
	return db_run(s->db,
		"INSERT OR REPLACE INTO factors (" FACTOR_COLS ") "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		DB_ARGS(DB_FIELD(f->kind), DB_FIELD(f->carrier), DB_INT(f->year),
			DB_FIELD(f->unit), DB_REAL(f->value), DB_FIELD(f->value_unit),
			DB_FIELD(f->source)),
		"factor write");
}

int store_factor_list(struct store *s, store_row_fn fn, void *ctx)
{
	struct store_factor f;

	return db_query(s->db,
			"SELECT " FACTOR_COLS " FROM factors "
			"ORDER BY kind, carrier, unit, year",
			factor_row, &f, fn, ctx, "factor list");
}

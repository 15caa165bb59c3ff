/*
 * store_filing.c — benchmarks and filing settings (store_filing.h).
 *
 * Why a table: the 基准值 and 引领值 of each sector come from sector
 * requirements the city receives as documents, and change by year; they are
 * figures with a source, entered with `benchmark set`, never constants.
 * gfi ships the table empty (docs/report.md has sample rows).
 *
 * A unit's statements (revision remarks, major changes, compliance
 * entries) are kept with who wrote them and who reviewed them, when.
 *
 * Invariants: one row per (sector, indicator, band, year); a sector's own
 * row wins over the 通则's, a band's own over band 0, and within those the
 * latest year not after the one asked; a setting never set reads as its
 * default; a statement is reviewed once (stated -> confirmed | rejected).
 */
#include "store-private.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "grow.h"

#define BENCH_COLS "sector, indicator, band, year, baseline, leading, weight, " \
	"direction, source"

static void bench_row(sqlite3_stmt *st, void *row)
{
	struct store_benchmark *b = row;
	char dir[16];

	DB_ROW(st, b, DB_COL_TEXT(b->sector), DB_COL_TEXT(b->indicator),
	       DB_COL_INT(b->band), DB_COL_INT(b->year), DB_COL_REAL(b->baseline),
	       DB_COL_REAL(b->leading), DB_COL_REAL(b->weight), DB_COL_TEXT(dir),
	       DB_COL_TEXT(b->source));
	b->higher_is_better = strcmp(dir, "higher") == 0;
}

int store_benchmark_set(struct store *s, const struct store_benchmark *b)
{
	if (b->indicator[0] == '\0' || b->band < 0 || b->band > 4 || b->year < 2000 ||
	    b->year > 2100 || !isfinite(b->baseline) || !isfinite(b->leading) ||
	    !isfinite(b->weight) || b->weight <= 0 || b->baseline == b->leading)
		return GFI_E_INVAL;
	return db_run(s->db, "INSERT OR REPLACE INTO benchmarks (" BENCH_COLS ") "
		      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
		      DB_ARGS(DB_FIELD(b->sector), DB_FIELD(b->indicator), DB_INT(b->band),
			      DB_INT(b->year), DB_REAL(b->baseline), DB_REAL(b->leading),
			      DB_REAL(b->weight),
			      DB_TEXT(b->higher_is_better ? "higher" : "lower"),
			      DB_FIELD(b->source)),
		      "benchmark write");
}

int store_benchmark_get(struct store *s, const char *sector, const char *indicator,
			int band, int year, struct store_benchmark *out)
{
	return db_select_one(s->db,
		"SELECT " BENCH_COLS " FROM benchmarks WHERE indicator = ?2 "
		"AND (sector = ?1 OR sector = '') AND (band = ?3 OR band = 0) "
		"AND year <= ?4 ORDER BY sector = '', band = 0, year DESC LIMIT 1",
		DB_ARGS(DB_TEXT(sector != NULL ? sector : ""), DB_TEXT(indicator),
			DB_INT(band), DB_INT(year)),
		bench_row, out, "benchmark read");
}

int store_benchmark_list(struct store *s, store_row_fn fn, void *ctx)
{
	struct store_benchmark b;

	return db_query(s->db, "SELECT " BENCH_COLS " FROM benchmarks "
			"ORDER BY sector, indicator, band, year",
			bench_row, &b, fn, ctx, "benchmark list");
}

static void setting_row(sqlite3_stmt *st, void *row)
{
	*(double *)row = sqlite3_column_double(st, 0);
}

int store_setting_get(struct store *s, const char *key, double def, double *out)
{
	int ret = db_select_one(s->db, "SELECT value FROM settings WHERE key = ?1",
				DB_ARGS(DB_TEXT(key)), setting_row, out, "setting read");

	if (ret == GFI_E_NOTFOUND) {
		*out = def;
		ret = GFI_OK;
	}
	return ret;
}

int store_setting_set(struct store *s, const char *key, double value)
{
	if (key == NULL || key[0] == '\0' || !isfinite(value))
		return GFI_E_INVAL;
	return db_run(s->db, "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)",
		      DB_ARGS(DB_TEXT(key), DB_REAL(value)), "setting write");
}

/* ---- statements ---- */

#define STMT_COLS "id, unit, year, kind, row, date, text, evidence, by, entered_s, " \
	"state, reviewed_by, reviewed_s"

static void stmt_row(sqlite3_stmt *st, void *row)
{
	struct store_statement *t = row;

	DB_ROW(st, t, DB_COL_INT(t->id), DB_COL_TEXT(t->unit), DB_COL_INT(t->year),
	       DB_COL_TEXT(t->kind), DB_COL_INT(t->row), DB_COL_TEXT(t->date),
	       DB_COL_TEXT(t->text), DB_COL_TEXT(t->evidence), DB_COL_TEXT(t->by),
	       DB_COL_INT(t->entered_s), DB_COL_TEXT(t->state),
	       DB_COL_TEXT(t->reviewed_by), DB_COL_INT(t->reviewed_s));
}

int store_statement_add(struct store *s, const struct store_statement *t, int64_t *id)
{
	int ret;

	if ((strcmp(t->kind, "remark") != 0 && strcmp(t->kind, "qualitative") != 0 &&
	     strcmp(t->kind, "major_change") != 0 && strcmp(t->kind, "compliance") != 0) ||
	    t->text[0] == '\0')
		return GFI_E_INVAL;
	ret = db_run(s->db, "INSERT INTO statements (unit, year, kind, row, date, text, "
		     "evidence, by, entered_s, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
		     "?7, ?8, ?9, 'stated')",
		     DB_ARGS(DB_FIELD(t->unit), DB_INT(t->year), DB_FIELD(t->kind),
			     DB_INT(t->row), DB_FIELD(t->date), DB_FIELD(t->text),
			     DB_FIELD(t->evidence), DB_FIELD(t->by), DB_INT(t->entered_s)),
		     "statement write");
	if (ret == GFI_OK)
		*id = sqlite3_last_insert_rowid(s->db);
	return ret;
}

int store_statement_get(struct store *s, int64_t id, struct store_statement *out)
{
	return db_select_one(s->db, "SELECT " STMT_COLS " FROM statements WHERE id = ?1",
			     DB_ARGS(DB_INT(id)), stmt_row, out, "statement read");
}

int store_statement_review(struct store *s, int64_t id, const char *state,
			   const char *by, int64_t at_s)
{
	int ret;

	if (strcmp(state, "confirmed") != 0 && strcmp(state, "rejected") != 0)
		return GFI_E_INVAL;
	/* Only a stated row changes; when none did, it is absent
	 * (GFI_E_NOTFOUND) or reviewed already (GFI_E_STATE). */
	ret = db_run(s->db, "UPDATE statements SET state = ?2, reviewed_by = ?3, "
		     "reviewed_s = ?4 WHERE id = ?1 AND state = 'stated'",
		     DB_ARGS(DB_INT(id), DB_TEXT(state), DB_TEXT(by), DB_INT(at_s)),
		     "statement review");
	if (ret != GFI_OK || sqlite3_changes(s->db) > 0)
		return ret;
	ret = db_exists(s->db, "SELECT 1 FROM statements WHERE id = ?1",
			DB_ARGS(DB_INT(id)), "statement read");
	return ret == 1 ? GFI_E_STATE : ret == 0 ? GFI_E_NOTFOUND : ret;
}

int store_statement_list(struct store *s, const char *unit, int year,
			 store_row_fn fn, void *ctx)
{
	struct store_statement t;

	return db_select(s->db, "SELECT " STMT_COLS " FROM statements WHERE unit = ?1 "
			 "AND year = ?2 ORDER BY id", DB_ARGS(DB_TEXT(unit), DB_INT(year)),
			 stmt_row, &t, fn, ctx, "statement list");
}

int store_statement_load(struct store *s, const char *unit, int year,
			 struct store_statement **v, size_t *n)
{
	struct gfi_rows w = GFI_ROWS(struct store_statement);
	int ret = gfi_rows_finish(&w, store_statement_list(s, unit, year,
							   gfi_rows_collect, &w));

	*v = w.v;
	*n = w.n;
	return ret;
}

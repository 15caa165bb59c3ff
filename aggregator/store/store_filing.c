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

	memset(b, 0, sizeof(*b));
	db_column_text(st, 0, b->sector, sizeof(b->sector));
	db_column_text(st, 1, b->indicator, sizeof(b->indicator));
	b->band = sqlite3_column_int(st, 2);
	b->year = sqlite3_column_int(st, 3);
	b->baseline = sqlite3_column_double(st, 4);
	b->leading = sqlite3_column_double(st, 5);
	b->weight = sqlite3_column_double(st, 6);
	db_column_text(st, 7, dir, sizeof(dir));
	b->higher_is_better = strcmp(dir, "higher") == 0;
	db_column_text(st, 8, b->source, sizeof(b->source));
}

int store_benchmark_set(struct store *s, const struct store_benchmark *b)
{
	sqlite3_stmt *st = NULL;
	int ret;

	if (b->indicator[0] == '\0' || b->band < 0 || b->band > 4 || b->year < 2000 ||
	    b->year > 2100 || !isfinite(b->baseline) || !isfinite(b->leading) ||
	    !isfinite(b->weight) || b->weight <= 0 || b->baseline == b->leading)
		return GFI_E_INVAL;
	ret = store_prepare(s, "INSERT OR REPLACE INTO benchmarks (" BENCH_COLS ") "
			    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &st);
	if (ret != GFI_OK)
		return ret;
	db_bind_field(st, 1, b->sector, sizeof(b->sector));
	db_bind_field(st, 2, b->indicator, sizeof(b->indicator));
	db_bind_int64(st, 3, b->band);
	db_bind_int64(st, 4, b->year);
	db_bind_double(st, 5, b->baseline);
	db_bind_double(st, 6, b->leading);
	db_bind_double(st, 7, b->weight);
	db_bind_text(st, 8, b->higher_is_better ? "higher" : "lower");
	db_bind_field(st, 9, b->source, sizeof(b->source));
	ret = db_step_done(s->db, st, "benchmark write");
	sqlite3_finalize(st);
	return ret;
}

int store_benchmark_get(struct store *s, const char *sector, const char *indicator,
			int band, int year, struct store_benchmark *out)
{
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s,
		"SELECT " BENCH_COLS " FROM benchmarks WHERE indicator = ?2 "
		"AND (sector = ?1 OR sector = '') AND (band = ?3 OR band = 0) "
		"AND year <= ?4 ORDER BY sector = '', band = 0, year DESC LIMIT 1", &st);

	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, sector != NULL ? sector : "");
	db_bind_text(st, 2, indicator);
	db_bind_int64(st, 3, band);
	db_bind_int64(st, 4, year);
	ret = db_get(s->db, st, bench_row, out, "benchmark read");
	sqlite3_finalize(st);
	return ret;
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
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s, "SELECT value FROM settings WHERE key = ?1", &st);

	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, key);
	ret = db_get(s->db, st, setting_row, out, "setting read");
	sqlite3_finalize(st);
	if (ret == GFI_E_NOTFOUND) {
		*out = def;
		ret = GFI_OK;
	}
	return ret;
}

int store_setting_set(struct store *s, const char *key, double value)
{
	sqlite3_stmt *st = NULL;
	int ret;

	if (key == NULL || key[0] == '\0' || !isfinite(value))
		return GFI_E_INVAL;
	ret = store_prepare(s, "INSERT OR REPLACE INTO settings (key, value) "
			    "VALUES (?1, ?2)", &st);
	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, key);
	db_bind_double(st, 2, value);
	ret = db_step_done(s->db, st, "setting write");
	sqlite3_finalize(st);
	return ret;
}

/* ---- statements ---- */

#define STMT_COLS "id, unit, year, kind, row, date, text, evidence, by, entered_s, " \
	"state, reviewed_by, reviewed_s"

static void stmt_row(sqlite3_stmt *st, void *row)
{
	struct store_statement *t = row;

	memset(t, 0, sizeof(*t));
	t->id = sqlite3_column_int64(st, 0);
	db_column_text(st, 1, t->unit, sizeof(t->unit));
	t->year = sqlite3_column_int(st, 2);
	db_column_text(st, 3, t->kind, sizeof(t->kind));
	t->row = sqlite3_column_int(st, 4);
	db_column_text(st, 5, t->date, sizeof(t->date));
	db_column_text(st, 6, t->text, sizeof(t->text));
	db_column_text(st, 7, t->evidence, sizeof(t->evidence));
	db_column_text(st, 8, t->by, sizeof(t->by));
	t->entered_s = sqlite3_column_int64(st, 9);
	db_column_text(st, 10, t->state, sizeof(t->state));
	db_column_text(st, 11, t->reviewed_by, sizeof(t->reviewed_by));
	t->reviewed_s = sqlite3_column_int64(st, 12);
}

int store_statement_add(struct store *s, const struct store_statement *t, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int ret;

	if ((strcmp(t->kind, "remark") != 0 && strcmp(t->kind, "qualitative") != 0 &&
	     strcmp(t->kind, "major_change") != 0 && strcmp(t->kind, "compliance") != 0) ||
	    t->text[0] == '\0')
		return GFI_E_INVAL;
	ret = store_prepare(s, "INSERT INTO statements (unit, year, kind, row, date, text, "
			    "evidence, by, entered_s, state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
			    "?7, ?8, ?9, 'stated')", &st);
	if (ret != GFI_OK)
		return ret;
	db_bind_field(st, 1, t->unit, sizeof(t->unit));
	db_bind_int64(st, 2, t->year);
	db_bind_field(st, 3, t->kind, sizeof(t->kind));
	db_bind_int64(st, 4, t->row);
	db_bind_field(st, 5, t->date, sizeof(t->date));
	db_bind_field(st, 6, t->text, sizeof(t->text));
	db_bind_field(st, 7, t->evidence, sizeof(t->evidence));
	db_bind_field(st, 8, t->by, sizeof(t->by));
	db_bind_int64(st, 9, t->entered_s);
	ret = db_step_done(s->db, st, "statement write");
	if (ret == GFI_OK)
		*id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return ret;
}

int store_statement_get(struct store *s, int64_t id, struct store_statement *out)
{
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s, "SELECT " STMT_COLS " FROM statements WHERE id = ?1", &st);

	if (ret != GFI_OK)
		return ret;
	db_bind_int64(st, 1, id);
	ret = db_get(s->db, st, stmt_row, out, "statement read");
	sqlite3_finalize(st);
	return ret;
}

int store_statement_review(struct store *s, int64_t id, const char *state,
			   const char *by, int64_t at_s)
{
	sqlite3_stmt *st = NULL;
	struct store_statement t;
	int ret;

	if (strcmp(state, "confirmed") != 0 && strcmp(state, "rejected") != 0)
		return GFI_E_INVAL;
	if ((ret = store_statement_get(s, id, &t)) != GFI_OK)
		return ret;
	if (strcmp(t.state, "stated") != 0)
		return GFI_E_STATE;
	ret = store_prepare(s, "UPDATE statements SET state = ?2, reviewed_by = ?3, "
			    "reviewed_s = ?4 WHERE id = ?1 AND state = 'stated'", &st);
	if (ret != GFI_OK)
		return ret;
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, state);
	db_bind_text(st, 3, by);
	db_bind_int64(st, 4, at_s);
	ret = db_step_done(s->db, st, "statement review");
	if (ret == GFI_OK && sqlite3_changes(s->db) == 0)
		ret = GFI_E_STATE;
	sqlite3_finalize(st);
	return ret;
}

int store_statement_list(struct store *s, const char *unit, int year,
			 store_row_fn fn, void *ctx)
{
	struct store_statement t;
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s, "SELECT " STMT_COLS " FROM statements WHERE unit = ?1 "
				"AND year = ?2 ORDER BY id", &st);

	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, unit);
	db_bind_int64(st, 2, year);
	ret = db_list(s->db, st, stmt_row, &t, fn, ctx, "statement list");
	sqlite3_finalize(st);
	return ret;
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

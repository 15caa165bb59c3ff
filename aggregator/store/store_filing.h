/*
 * store_filing.h — the platform table's benchmarks (基准值, 引领值, weight
 * per sector and indicator) and the city's filing settings (store_filing.c,
 * tables of migration 11). Included by store.h.
 */
#ifndef GFI_AGG_STORE_FILING_H
#define GFI_AGG_STORE_FILING_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* One benchmark row (docs/report.md, "Benchmarks and scores"): sector a
 * GB/T 4754 code as registered on units ("" for the 通则 rows every sector
 * falls back to); indicator a platform row key (score.h); band 1..4 for the
 * renewable-share bands of row 3, else 0; year the first year it applies
 * to. A row scores full at or beyond leading (引领值), zero at or beyond
 * baseline (基准值), linearly between; weight is its full score. */
#define STORE_BENCH_SECTOR_MAX 64
#define STORE_BENCH_KEY_MAX 32
struct store_benchmark {
	char sector[STORE_BENCH_SECTOR_MAX];
	char indicator[STORE_BENCH_KEY_MAX];
	int band;                   /* 0, or 1..4 */
	int year;                   /* 2000..2100 */
	double baseline, leading;   /* 基准值, 引领值 in the row's unit */
	double weight;              /* > 0 */
	int higher_is_better;       /* direction: 1 higher, 0 lower */
	char source[160];
};

/* Insert or replace the row (sector, indicator, band, year). GFI_E_INVAL
 * for an empty indicator, a band outside 0..4, a year outside 2000..2100,
 * non-finite numbers, a weight <= 0 or baseline == leading. */
int store_benchmark_set(struct store *s, const struct store_benchmark *b);
/* The row in force for (sector, indicator, band, year): the sector's own
 * before the 通则's (""), the band's own before band 0, then the latest
 * year <= year. GFI_OK, GFI_E_NOTFOUND, GFI_E_DB. */
int store_benchmark_get(struct store *s, const char *sector, const char *indicator,
			int band, int year, struct store_benchmark *out);
/* Every row by sector, indicator, band, year; rows are struct
 * store_benchmark. */
int store_benchmark_list(struct store *s, store_row_fn fn, void *ctx);

/* The city's filing settings (table settings, one number per key):
 * "filing_deadline_mmdd" (415: April 15) and "reconcile_diff_pct" (5).
 * store_setting_get gives def when the key was never set. */
#define STORE_SETTING_DEADLINE "filing_deadline_mmdd"
#define STORE_SETTING_DEADLINE_DEFAULT 415
#define STORE_SETTING_RECONCILE "reconcile_diff_pct"
#define STORE_SETTING_RECONCILE_DEFAULT 5.0
int store_setting_get(struct store *s, const char *key, double def, double *out);
int store_setting_set(struct store *s, const char *key, double value);

/* A unit's statement on its table (docs/report.md "Who writes what"):
 * kind "remark" (a revision remark on platform row `row`), "qualitative"
 * (the entered text of a qualitative row `row`), "major_change" or
 * "compliance" (row 0), with its date, text and evidence reference,
 * written by the unit's own token (by: the token's name) and then
 * confirmed or rejected once by a county or city token (state "stated",
 * "confirmed", "rejected"; reviewed_by, reviewed_s). */
#define STORE_STATEMENT_TEXT_MAX 512
struct store_statement {
	int64_t id;
	char unit[STORE_CODE_LEN + 1];
	int year;
	char kind[16];
	int row;                    /* 1..18 for a remark or a qualitative
				       entry, else 0 */
	char date[11];              /* YYYY-MM-DD */
	char text[STORE_STATEMENT_TEXT_MAX];
	char evidence[160];
	char by[64];
	int64_t entered_s;
	char state[12];
	char reviewed_by[64];
	int64_t reviewed_s;
};
/* Add st (its id, state and review ignored) as "stated"; *id gets its id.
 * GFI_E_INVAL for an unknown kind or an empty text. */
int store_statement_add(struct store *s, const struct store_statement *st, int64_t *id);
int store_statement_get(struct store *s, int64_t id, struct store_statement *out);
/* Confirm or reject statement id (state "confirmed" or "rejected"), by
 * whom and when: GFI_E_NOTFOUND, GFI_E_STATE when it was reviewed
 * already, GFI_E_INVAL for another state. */
int store_statement_review(struct store *s, int64_t id, const char *state,
			   const char *by, int64_t at_s);
/* The statements of unit for year, oldest first (struct store_statement). */
int store_statement_list(struct store *s, const char *unit, int year,
			 store_row_fn fn, void *ctx);

/* The same into a new array *v (free it) of *n statements. GFI_OK,
 * GFI_E_NOMEM, GFI_E_DB. */
int store_statement_load(struct store *s, const char *unit, int year,
			 struct store_statement **v, size_t *n);

/* The SQL of migration 12: the statements. */
#define STORE_STATEMENTS_SCHEMA                                                \
	"CREATE TABLE statements ("                                            \
	"  id INTEGER PRIMARY KEY, unit TEXT NOT NULL REFERENCES units(code),"  \
	"  year INTEGER NOT NULL, kind TEXT NOT NULL, row INTEGER NOT NULL,"   \
	"  date TEXT NOT NULL, text TEXT NOT NULL, evidence TEXT NOT NULL,"    \
	"  by TEXT NOT NULL, entered_s INTEGER NOT NULL, state TEXT NOT NULL," \
	"  reviewed_by TEXT NOT NULL DEFAULT '', reviewed_s INTEGER NOT NULL DEFAULT 0" \
	");"                                                                   \
	"CREATE INDEX statements_unit ON statements (unit, year, id);"

/* The SQL of migration 11 (store.c runs it). */
#define STORE_FILING_SCHEMA                                                    \
	"CREATE TABLE benchmarks ("                                            \
	"  sector TEXT NOT NULL, indicator TEXT NOT NULL, band INTEGER NOT NULL," \
	"  year INTEGER NOT NULL, baseline REAL NOT NULL, leading REAL NOT NULL," \
	"  weight REAL NOT NULL, direction TEXT NOT NULL, source TEXT NOT NULL," \
	"  PRIMARY KEY (sector, indicator, band, year)"                        \
	") WITHOUT ROWID;"                                                     \
	"CREATE TABLE settings ("                                              \
	"  key TEXT PRIMARY KEY, value REAL NOT NULL"                          \
	") WITHOUT ROWID;"

#endif

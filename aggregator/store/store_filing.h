/*
 * store_filing.h — the platform table's benchmarks (基准值, 引领值, weight
 * per sector and indicator) and the city's filing settings (store_filing.c,
 * tables of migration 10). Included by store.h.
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

/* The SQL of migration 10 (store.c runs it). */
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

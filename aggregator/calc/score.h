/*
 * score.h — the yearly table in the platform's terms (GB/T 36132-2025, the
 * 通则 table of ../shared/DOMAIN.md "The key indicators as the platform
 * asks them"): one row per platform indicator in the form's unit, scored
 * linearly between the sector's 基准值 and 引领值 (store_filing.h), with
 * subtotals per aim, a total, a three-year trend, and the city's outlook of
 * the green code (A+ / A / B) with the bottom-5 % warning (docs/report.md).
 */
#ifndef GFI_AGG_SCORE_H
#define GFI_AGG_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "indicators.h"
#include "reconcile.h"
#include "store.h"

enum score_aim { AIM_ENERGY = 0, AIM_RESOURCES, AIM_CLEAN, AIM_PRODUCTS, AIM_LAND,
		 AIM_N };
/* 能源低碳化 ... 用地集约化 and their English names, indexed by the enum. */
extern const char *const score_aim_zh[AIM_N];
extern const char *const score_aim_en[AIM_N];

enum score_row_kind {
	ROW_VALUE = 0,     /* a number gfi computes or reads from facts */
	ROW_MONITORING,    /* row 13: needs online monitoring data */
	ROW_TEXT,          /* qualitative: entered text, not scored */
};

/* A platform row: its number on the form, aim, key (the benchmark table's
 * indicator), names, the form's unit, direction and the proof documents
 * the form names for it. Rows 1 and 7 have a per-product variant (key
 * alt_key) used where the sector has a benchmark for it (a 能耗限额 or a
 * water quota registered). */
struct score_row_def {
	int no;
	enum score_aim aim;
	enum score_row_kind kind;
	const char *key, *zh, *en, *unit;
	const char *alt_key, *alt_zh, *alt_en, *alt_unit;
	int higher_is_better;
	const char *proof;
};

#define SCORE_ROWS 18
/* The platform rows in form order (SCORE_ROWS of them). */
const struct score_row_def *score_rows(void);

struct score_row {
	const struct score_row_def *def;
	const char *key, *zh, *en, *unit;   /* the variant used */
	double value;
	int has_value;
	int has_bench;                      /* a benchmark applies: scored */
	struct store_benchmark bench;
	double score;                       /* 0..weight; 0 without a value */
	double lost;                        /* weight - score */
	double completeness;                /* 0..1 */
	enum ind_provenance provenance;
	const char *note;                   /* "", or why no value */
};

struct score_unit {
	char unit[STORE_CODE_LEN + 1];
	int year;
	int band;                           /* row 3's band, 1..4, 0 unknown */
	struct score_row rows[SCORE_ROWS];
	double subtotal[AIM_N], max[AIM_N]; /* score and weights per aim */
	double total, max_total;
	int scored;                         /* some row has a benchmark */
};

/* The score of value v on a row from baseline (0 points) to leading
 * (weight points), linear between, clamped at both ends; either direction
 * (leading above or below baseline). */
double score_linear(double v, double baseline, double leading, double weight);

/* Fill out from p (the unit's indicators of the year), the unit's facts and
 * the benchmarks of sector for p->year. GFI_OK or GFI_E_DB. */
int score_unit_compute(struct store *s, const char *sector,
		       const struct ind_period *p, struct score_unit *out);

/* The three rows that cost the most points (lost > 0), best first in
 * idx[0..]; returns how many (0..3). */
int score_costliest(const struct score_unit *su, int idx[3]);

enum score_grade { GRADE_NONE = 0, GRADE_A_PLUS, GRADE_A, GRADE_B };
extern const char *const score_grade_names[]; /* "", "A+", "A", "B" */

/* Rank n totals (competition ranking: 1 + how many are strictly higher, so
 * ties share the better rank) into rank[], and grade them: A+ for ranks
 * within ceil(5 % n), A within the next ceil(35 % n), B the rest. */
void score_grade(const double *totals, size_t n, int *rank, enum score_grade *grade);
/* Whether rank (of n) lies in the bottom ceil(5 % n) places. */
int score_in_bottom(int rank, size_t n);

/* The outlook of one unit within its city for the table's year. */
#define SCORE_YEARS 4
#define SCORE_SECTOR_MIN 10   /* a sector grades apart from 10 units */
struct score_outlook {
	int rank, of;
	enum score_grade grade;
	int sector_rank, sector_of;         /* 0 when the sector has < 10 */
	enum score_grade sector_grade;
	int bottom_years[3];                /* complete years in the bottom 5 % */
	int nbottom;
	int window[3];                      /* the last three complete years */
	int warning;                        /* bottom 5 % in each of them */
};

/* Every scored factory of the city for year and the years before it. */
struct score_entry {
	struct reg_unit u;
	struct score_unit y[SCORE_YEARS];   /* y[0] is year, y[k] year - k */
	struct score_outlook o;
	struct reconcile_item rec[REC_N];   /* the year's meters against the
					       stated figures */
};
struct score_city {
	int year, nyears;
	double reconcile_pct;               /* setting reconcile_diff_pct */
	struct score_entry *e;              /* owned */
	size_t n, cap;
	int nomem;
};

/* Score every listed, not retired factory of the store for year and the
 * years the trend and the bottom-5 % window need, measured at now_s, and
 * grade them. GFI_OK, GFI_E_NOMEM, GFI_E_DB. Free with score_city_free. */
int score_city_compute(struct store *s, int year, int64_t now_s, struct score_city *out);
void score_city_free(struct score_city *c);
/* The entry of unit, or NULL. */
const struct score_entry *score_city_find(const struct score_city *c, const char *unit);

#endif

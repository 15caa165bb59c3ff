/*
 * indicators.h — a unit's key green-manufacturing indicators for a month or
 * a year (../shared/DOMAIN.md, "Indicators of the yearly table").
 *
 * Computed from the registry (meter roles, carriers, products, manual facts),
 * the series totals of the unit's meters (series.h) and the conversion and
 * emission factors stored with their source and year (factors table,
 * changeable without recompiling). Each value carries its unit,
 * completeness and provenance; a month or year also gets its change against
 * the same period a year before. A period that contains now is measured up
 * to now and compared with the same elapsed span of the prior period; a
 * registered input without (enough) readings marks what it feeds estimated
 * and names itself (struct ind_missing).
 */
#ifndef GFI_AGG_INDICATORS_H
#define GFI_AGG_INDICATORS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

enum ind_id {
	/* output and value */
	IND_OUTPUT = 0,            /* main product output (product unit) */
	IND_OUTPUT_VALUE,          /* 工业总产值, 10^4 CNY (fact) */
	IND_VALUE_ADDED,           /* 工业增加值, 10^4 CNY (fact) */
	/* energy: the boundary's carriers, then the balance */
	IND_ELEC_PURCHASED_KWH,    /* purchased electricity, kWh */
	IND_RENEWABLE_GEN_KWH,     /* on-site renewable generated, kWh */
	IND_ELEC_EXPORTED_KWH,     /* electricity exported, kWh */
	IND_HEAT_PURCHASED_GJ,     /* purchased steam and heat, GJ (steam by
				      enthalpy) */
	IND_FEEDSTOCK_TCE,         /* energy used as feedstock, tce (fact) */
	IND_ENERGY_EQUIV_TCE,      /* 综合能耗, equivalent value (当量值), tce */
	IND_ENERGY_EQUAL_TCE,      /* 综合能耗, equal-value method (等价值), tce */
	IND_ENERGY_WITH_MEDIA_TCE, /* 综合能耗 with purchased 耗能工质, tce */
	IND_ENERGY_PER_PRODUCT,    /* 单位产品综合能耗 of the main product on its
				      qualified output, kgce per product unit */
	IND_ENERGY_PER_VALUE,      /* 单位产值综合能耗, tce / 10^4 CNY */
	IND_ENERGY_PER_VALUE_ADDED,/* tce / 10^4 CNY value added */
	IND_ELEC_KWH,              /* electricity consumed, kWh */
	/* water */
	IND_WATER_INTAKE_M3,       /* 取水量, m3 */
	IND_WATER_PER_PRODUCT,     /* 单位产品取水量, m3 per product unit */
	IND_WATER_REUSE_PCT,       /* 水重复利用率, % */
	IND_WASTEWATER_PER_PRODUCT,/* 单位产品废水产生量, m3 per product unit */
	IND_WASTEWATER_DISCHARGED_PER_PRODUCT, /* 单位产品废水排放量 */
	/* carbon */
	IND_CO2_T,                 /* 二氧化碳排放量, tCO2 (direct + indirect) */
	IND_CO2_DIRECT_T,
	IND_CO2_INDIRECT_T,
	IND_CO2_GREEN_DEDUCTED_T,  /* green power bought at zero, the rest at
				      the excluding-green factor */
	IND_CO2_PER_PRODUCT,       /* 单位产品碳排放量, kgCO2 per product unit */
	IND_RENEWABLE_PCT,         /* renewable share of electricity, % (a
				      secondary figure) */
	IND_RENEWABLE_SHARE_PCT,   /* 可再生能源利用率: renewable energy over
				      综合能耗 without feedstock, both tce, % */
	/* pollutants (HJ 75 / HJ 212 practice), t */
	IND_SO2_T, IND_NOX_T, IND_DUST_T, IND_COD_T, IND_NH3N_T,
	IND_SO2_PER_PRODUCT,       /* kg per product unit */
	IND_NOX_PER_PRODUCT,
	IND_DUST_PER_PRODUCT,
	/* waste (facts) */
	IND_SOLID_WASTE_T,         /* 一般工业固体废物产生量, t */
	IND_SOLID_WASTE_USED_T,    /* 综合利用量, t */
	IND_SOLID_WASTE_USE_PCT,   /* 综合利用率, % */
	IND_HAZ_WASTE_T,
	IND_HAZ_WASTE_DISPOSED_T,
	/* land (facts) */
	IND_PLOT_RATIO,            /* 容积率 */
	IND_BUILDING_COEFF_PCT,    /* 建筑系数, % */
	IND_OUTPUT_PER_LAND,       /* 单位用地面积产值, 10^4 CNY / m2 */
	/* parks and supply chains */
	IND_MEMBER_GREEN_PCT,      /* parks: members listed as green factories
				      or supply-chain enterprises, % */
	IND_SUPPLIERS,             /* supply chain: suppliers covered */
	IND_SUPPLIER_GREEN_PCT,    /* supply chain: suppliers listed, % */
	/* gfi's own */
	IND_COMPLETENESS_PCT,      /* data completeness, worst of the meters, % */
	IND_N
};

enum ind_provenance {
	PROV_NONE = 0,     /* no value */
	PROV_METERED,      /* from signed gateway readings */
	PROV_IMPORTED,     /* from imported history (not signed by a gateway) */
	PROV_MANUAL,       /* entered by hand (who and when in the facts) */
	PROV_DERIVED,      /* computed from values of several provenances */
};
/* Their names in JSON, CSV and the CLI, indexed by the enum; NULL ends. */
static const char *const ind_provenance_names[] = { "none", "metered", "imported",
						    "manual", "derived", NULL };

struct ind_def {
	enum ind_id id;
	const char *key;        /* stable machine name, e.g. "energy_equiv_tce" */
	const char *zh;         /* Chinese name as in the table */
	const char *en;
	const char *unit;       /* e.g. "tce", "kgce/t", "%" */
	int lower_is_better;    /* for deterioration: 1 intensity, 0 share, -1 n/a */
};

struct ind_value {
	double value;
	int has_value;
	double completeness;    /* 0..1 of the metered inputs; 1 for facts */
	enum ind_provenance provenance;
	int estimated;          /* an input was extrapolated or had a reset */
	double yoy_pct;         /* change against the same period a year before */
	int has_yoy;
	unsigned missing;       /* bit i: ind_period.missing[i] is an input of
				   this value (then estimated, and no yoy) */
};

/* A factor a table used, to be named beside it (which year's, and whether
 * it is the latest published one standing in for the period's year). */
struct ind_factor_used {
	int has;
	int year;               /* the factor's year (0: every year) */
	int fallback;           /* the period's year has no factor of its own */
	double value;
	char value_unit[24];
	char source[160];
};

/* One product's own figures (GB/T 36132-2025 B.1): its energy over its
 * qualified (合格) output. */
#define IND_PRODUCTS_MAX 8
struct ind_product {
	char name[64];
	char unit[16];
	double output;          /* metered */
	double qualified;       /* qualified output (fact, else metered) */
	double energy_per_unit; /* kgce per unit */
	int has_output, has_qualified, has_energy;
};
/* A registered input of the balance that the period lacks (docs/api.md,
 * "reasons"): a meter point with a role, no or too few readings. */
#define IND_MISSING_MAX 16
/* The share of a period's expected readings a meter must have before its
 * total counts as measured (aggregator config "min_coverage"). */
#define IND_MIN_COVERAGE_DEFAULT 0.9

enum ind_missing_kind {
	MISSING_NO_READINGS = 0,   /* no reading of the point in the period */
	MISSING_COVERAGE,          /* readings cover less than min_coverage */
	MISSING_SPLIT_GAP,         /* a silence spans a bound of the period */
};
static const char *const ind_missing_kind_names[] = { "no_readings", "coverage",
						      "split_gap", NULL };

struct ind_missing {
	char unit[STORE_CODE_LEN + 1]; /* the unit owning the point (a park's
					  member) */
	char point[3 * GFI_ID_MAX]; /* gateway/meter/point */
	char carrier[32];         /* its carrier, else its role name */
	enum ind_missing_kind kind;
	double coverage;          /* readings present / expected, 0..1 */
};

/* The renewable-share band of a unit (DOMAIN.md, key indicators row 3:
 * thresholds by annual 综合能耗, >= 10,000 tce; 5,000-10,000; 3,000-5,000;
 * < 3,000; 工业和信息化部 绿色工厂评价要求, 动态管理表): 1..4, 0 unknown. */
int indicators_renewable_band(double energy_tce);

struct ind_period {
	char unit[STORE_CODE_LEN + 1];
	int year;
	int month;              /* 1..12, or 0 for the whole year */
	char product_unit[16];  /* unit of IND_OUTPUT and the per-product ones */
	struct ind_value v[IND_N];
	/* Readings of the metered points that went in (from their rollups),
	 * and how many of them were imported history rather than signed by
	 * a gateway (docs/import.md); a park counts its members'. Counted
	 * only when the store holds imported history (else both 0). */
	int64_t readings;
	int64_t imported_readings;
	int metered;            /* some metered point had a value */
	struct ind_factor_used grid;      /* CO2 of purchased electricity */
	struct ind_factor_used grid_excl; /* the same without market-traded
					     non-fossil power */
	struct ind_product products[IND_PRODUCTS_MAX];
	int nproducts;
	/* The period measured: [t0, to_s), to_s = now for a period in
	 * progress (in_progress 1), else its end; the year-on-year change
	 * compares [prior start, prior start + (to_s - t0)). */
	int64_t t0, to_s;
	int in_progress;
	struct ind_missing missing[IND_MISSING_MAX];
	int nmissing;
	int missing_more;       /* inputs lacking beyond the list (their bit is
				   the last entry's) */
	/* Year periods: the 可再生能源利用率 band from the 综合能耗 of
	 * band_year (the last complete year for a year in progress). */
	int renewable_band;
	int band_year;
};

/* The table of definitions, indexed by enum ind_id. */
const struct ind_def *ind_def(enum ind_id id);
/* Find a definition by key; NULL when unknown. */
const struct ind_def *ind_def_find(const char *key);

/* Whether p's figures rest on imported history: "none" (no readings),
 * "measured" (gateway-signed only), "imported" (imported only) or "mixed";
 * *share (may be NULL) gets imported / readings, 0 when none. */
const char *indicators_provenance(const struct ind_period *p, double *share);

/* Compute every indicator of unit for year (month 0) or one month, with the
 * year-on-year change. For a park, sums and shares over its members. Uses
 * the factors in force for that year. GFI_OK, GFI_E_NOTFOUND (unit),
 * GFI_E_DB. */
int indicators_compute(struct store *s, const char *unit, int year, int month,
		       struct ind_period *out);

/* The same with now passed in (indicators_compute uses agg_now_s()): a
 * period containing now_s is measured up to now_s, and compared with the
 * same elapsed duration from the start of the period a year before. */
int indicators_compute_at(struct store *s, const char *unit, int year, int month,
			  int64_t now_s, struct ind_period *out);

/* The setting min_coverage (0..1, default IND_MIN_COVERAGE_DEFAULT): a
 * meter whose readings cover less of a period marks the indicators it feeds
 * estimated, with a reason. Set once, before any thread starts. */
void indicators_set_min_coverage(double share);
double indicators_min_coverage(void);

/* "同比(截至12月7日)" and "YoY to Dec 7" for a period in progress measured
 * to to_s, "同比" and "YoY" for a complete one, into zh and en. */
void indicators_yoy_label(const struct ind_period *p, char *zh, size_t zhlen,
			  char *en, size_t enlen);

#endif

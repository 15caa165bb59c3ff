/*
 * balance.h — the balance of one unit and period, private to calc/.
 *
 * indicators.c derives every indicator from a balance; balance.c builds it:
 * the metered totals of every role (series.h) converted per meter point with
 * the factors in force for that unit and year, and the facts entered by
 * hand. Each entry is an accumulator (struct acc) carrying its worst
 * completeness, whether any input was estimated, and which provenances went
 * into it.
 */
#ifndef GFI_AGG_BALANCE_H
#define GFI_AGG_BALANCE_H

#include <stddef.h>
#include <stdint.h>

#include "indicators.h"
#include "store.h"

#define PROV_BIT(p) (1u << (p))

/* A sum with what a value needs to say about itself. */
struct acc {
	double v;
	int has;            /* some input had a value */
	double compl;       /* worst completeness of the metered inputs, 0..1 */
	int est;            /* an input was extrapolated, reset, or used a
			       fallback factor */
	unsigned prov;      /* PROV_BIT of each provenance that went in */
	unsigned missing;   /* bit i: balance.missing[i] went in (a missing
			       input; est is then set too) */
};

extern const struct acc ACC0;

enum pollutant { POL_SO2, POL_NOX, POL_DUST, POL_COD, POL_NH3N, POL_N };

/* The metered entries of a balance. Units: elec_* and ren kWh; *_kgce
 * kgce; *_co2_kg kgCO2; heat_gj the GJ of purchased heat and steam;
 * steam_t purchased steam (t, counted in 取水量 as m3); water_in
 * conventional intake only (water_nonconv the non-conventional sources it
 * leaves out); wastewater discharged, wastewater_gen generated (m3);
 * pollutants t. output is not additive across units (members make
 * different products). */
#define BALANCE_METERED(X)                                                   \
	X(elec_p) X(elec_x) X(ren) X(fuel_kgce) X(fuel_co2_kg) X(heat_kgce)      \
	X(heat_co2_kg) X(heat_gj) X(steam_t) X(water_in) X(water_nonconv)       \
	X(water_re) X(wastewater) X(wastewater_gen) X(pol_so2) X(pol_nox)        \
	X(pol_dust) X(pol_cod) X(pol_nh3n) X(all)

/* The entries entered by hand: (member, fact key, flow or stock), in
 * their registry units (docs/registry.md). A park's own entry replaces
 * its members' sum. */
#define BALANCE_FACTS(F)                                                      \
	F(out_value, "output_value_10k_cny", FLOW)                               \
	F(value_added, "value_added_10k_cny", FLOW)                              \
	F(green_kwh, "green_electricity_kwh", FLOW)                              \
	F(green_traded_mwh, "green_power_traded_mwh", FLOW)                      \
	F(green_direct_mwh, "green_power_direct_mwh", FLOW)                      \
	F(green_cert_mwh, "green_certificates_mwh", FLOW)                        \
	F(ren_heat_gj, "renewable_heat_gj", FLOW)                                \
	F(feedstock_tce, "feedstock_energy_tce", FLOW)                           \
	F(solid_gen, "solid_waste_generated_t", FLOW)                            \
	F(solid_used, "solid_waste_used_t", FLOW)                                \
	F(solid_stock_used, "solid_waste_stock_used_t", FLOW)                    \
	F(haz_gen, "hazardous_waste_generated_t", FLOW)                          \
	F(haz_disp, "hazardous_waste_disposed_t", FLOW)                          \
	F(land, "land_area_m2", STOCK)                                           \
	F(floor, "floor_area_m2", STOCK)                                         \
	F(floor_tall, "floor_area_over_8m_m2", STOCK)                            \
	F(footprint, "building_footprint_m2", STOCK)                             \
	F(structures, "structures_footprint_m2", STOCK)                          \
	F(yards, "open_yard_m2", STOCK)

/* Every additive entry (one list, so init and the park sum can never miss
 * one); the caller's per-entry macro must be named X. */
#define BALANCE_FACT_ACC(n, key, kind) X(n)
#define BALANCE_ACCS(X) BALANCE_METERED(X) BALANCE_FACTS(BALANCE_FACT_ACC)

/* The products of a unit, in registry order of their first production
 * point; several points of one product add up (several lines). */
#define BALANCE_PRODUCTS_MAX IND_PRODUCTS_MAX
struct balance_product {
	char name[64];
	char unit[16];
	struct acc out;          /* metered output, in unit */
};

struct balance {
#define X(n) struct acc n;
	BALANCE_ACCS(X)
#undef X
	struct acc output;       /* main product (the first), in product_unit */
	int64_t readings;        /* readings of the points that went in */
	int64_t imported;        /* of which imported history */
	char product[64];
	char product_unit[16];
	struct balance_product prod[BALANCE_PRODUCTS_MAX];
	int nprod;               /* products registered (beyond the max: not
				    kept, and no per-product figure) */
	struct ind_missing missing[IND_MISSING_MAX]; /* inputs lacking */
	int nmissing;
	int missing_more;        /* lacking beyond the list's room */
};

struct ctx {
	struct store *s;
	const char *unit;
	int year, month;
	int64_t t0, t1;
	int any_imports;          /* the store holds imported history */
	struct reg_meter *m;      /* the unit's registered points */
	size_t nm, cap;
	/* per point: the part of [t0, t1) its gateway was the unit's (SPAN) */
	struct point_span { int64_t t0, t1; } *span;
	size_t span_cap;
	struct reg_fact *f;       /* the unit's facts, every year */
	size_t nf, fcap;
	int err;
};

/* The span of c's point m (balance_ctx_load fills one per point). */
#define SPAN(c, m) ((c)->span[(m) - (c)->m])

/* a += b, values and quality. */
void acc_merge(struct acc *a, const struct acc *b);
/* The quality of a and b together, with a's value. */
struct acc acc_with(const struct acc *a, const struct acc *b);
/* One provenance for a set of PROV_BITs (PROV_DERIVED for a mix). */
enum ind_provenance acc_provenance(unsigned bits);
/* A value entered by hand. */
struct acc acc_manual(double v);

void balance_init(struct balance *b);
/* Sum a member's balance into a park's (facts too: the park's own facts
 * replace those sums afterwards). */
void balance_add(struct balance *b, const struct balance *m);
struct acc *pollutant_acc(struct balance *b, enum pollutant p);
/* Grow *buf (of *cap elements of size bytes) to hold index n. */
int balance_grow(void **buf, size_t *cap, size_t n, size_t size);
/* Append the size bytes at row to *buf (*n elements, *cap allocated). */
int balance_append(void **buf, size_t *cap, size_t *n, size_t size,
		   const void *row);
/* The latest entry of a stock fact (key may carry a ".METER" or
 * ".PRODUCT" suffix) for c's period: the month's, else the year's, else
 * the latest earlier year's. No value when none. */
struct acc balance_fact_stock(const struct ctx *c, const char *key);
/* A flow fact for c's period: its own entry, else for a year the sum of
 * its months (estimated when fewer than twelve). */
struct acc balance_fact_flow(const struct ctx *c, const char *key);
/* Load the unit's points (registry order) and facts into c; free with
 * balance_ctx_free. */
int balance_ctx_load(struct ctx *c);
void balance_ctx_free(struct ctx *c);
/* The facts of c's period into b. */
void balance_facts(const struct ctx *c, struct balance *b);
/* Replace b's facts by those of own that have a value (a park's own). */
void balance_facts_override(struct balance *b, const struct balance *own);
/* Factor of (kind, carrier) for c's year and unit; a missing or fallback
 * factor marks a as estimated. GFI_E_NOTFOUND passes on. */
int balance_factor(const struct ctx *c, const char *kind, const char *carrier,
		   struct store_factor *f, struct acc *a);
/* The whole metered and entered balance of c's unit and period. */
int balance_unit(struct ctx *c, struct balance *b);

#endif

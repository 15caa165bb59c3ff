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

/* The additive entries of a balance (one list, so init and the park sum
 * can never miss one). Units: elec_* and ren kWh; *_kgce kgce; *_co2_kg
 * kgCO2; water m3; pollutants t; facts in their registry units; areas m2.
 * output is not additive across units (members make different products). */
#define BALANCE_ACCS(X)                                                      \
	X(elec_p) X(elec_x) X(ren) X(fuel_kgce) X(fuel_co2_kg) X(heat_kgce)      \
	X(heat_co2_kg) X(water_in) X(water_re) X(wastewater) X(pol_so2)          \
	X(pol_nox) X(pol_dust) X(pol_cod) X(pol_nh3n) X(out_value)               \
	X(value_added) X(green_kwh) X(solid_gen) X(solid_used) X(haz_gen)        \
	X(haz_disp) X(land) X(floor) X(footprint) X(all)

struct balance {
#define X(n) struct acc n;
	BALANCE_ACCS(X)
#undef X
	struct acc output;       /* main product, in product_unit */
	int64_t readings;        /* readings of the points that went in */
	int64_t imported;        /* of which imported history */
	int products;            /* production points counted */
	char product[64];
	char product_unit[16];
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
	struct reg_fact *f;       /* the unit's facts, every year */
	size_t nf, fcap;
	int err;
};

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
/* Load the unit's points (registry order) and facts into c; free with
 * balance_ctx_free. */
int balance_ctx_load(struct ctx *c);
void balance_ctx_free(struct ctx *c);
/* The facts of c's period into b. */
void balance_facts(const struct ctx *c, struct balance *b);
/* Factor of (kind, carrier) for c's year and unit; a missing or fallback
 * factor marks a as estimated. GFI_E_NOTFOUND passes on. */
int balance_factor(const struct ctx *c, const char *kind, const char *carrier,
		   struct store_factor *f, struct acc *a);
/* The whole metered and entered balance of c's unit and period. */
int balance_unit(struct ctx *c, struct balance *b);

#endif

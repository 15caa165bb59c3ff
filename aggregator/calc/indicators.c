/*
 * indicators.c — a unit's key green-manufacturing indicators for a month or
 * a year (indicators.h; formulas in docs/indicators.md and
 * ../shared/DOMAIN.md).
 *
 * Two stages. First a balance (balance.c): per unit and period, the metered
 * totals of every role converted with the factors in force, and the facts
 * entered by hand, each entry an accumulator that carries its quality.
 * Second, here, derive: every indicator from the balance. A park's balance is the sum of its members'
 * balances, so a park's intensities are recomputed from sums, never averaged.
 *
 * Invariants: sub-meters and roles without a balance never enter a total;
 * no indicator divides by a zero or missing denominator (it has no value);
 * the year-on-year change compares with the same period a year before,
 * computed the same way, once (never recursively further); for a period in
 * progress both are measured over the same elapsed span from their starts,
 * and a value lacking an input (ind_missing) has no change at all.
 */
#include "indicators.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balance.h"
#include "calendar.h"
#include "error.h"
#include "now.h"
#include "period.h"
#include "series.h"

static const struct ind_def defs[IND_N] = {
	{ IND_OUTPUT, "output", "主要产品产量", "main product output", "unit", -1 },
	{ IND_OUTPUT_VALUE, "output_value_10k_cny", "工业总产值", "industrial output value", "10^4 CNY", -1 },
	{ IND_VALUE_ADDED, "value_added_10k_cny", "工业增加值", "industrial value added", "10^4 CNY", -1 },
	{ IND_ENERGY_EQUIV_TCE, "energy_equiv_tce", "综合能耗(当量值)", "comprehensive energy consumption, equivalent value", "tce", -1 },
	{ IND_ENERGY_EQUAL_TCE, "energy_equal_tce", "综合能耗(等价值)", "comprehensive energy consumption, equal-value method", "tce", -1 },
	{ IND_ENERGY_PER_PRODUCT, "energy_per_product", "单位产品综合能耗", "energy per unit of product", "kgce/unit", 1 },
	{ IND_ENERGY_PER_VALUE, "energy_per_value", "单位产值综合能耗", "energy per output value", "tce/10^4 CNY", 1 },
	{ IND_ENERGY_PER_VALUE_ADDED, "energy_per_value_added", "单位工业增加值综合能耗", "energy per value added", "tce/10^4 CNY", 1 },
	{ IND_ELEC_KWH, "elec_kwh", "用电量", "electricity consumed", "kWh", -1 },
	{ IND_WATER_INTAKE_M3, "water_intake_m3", "取水量", "water intake", "m3", -1 },
	{ IND_WATER_PER_PRODUCT, "water_per_product", "单位产品取水量", "water intake per unit of product", "m3/unit", 1 },
	{ IND_WATER_REUSE_PCT, "water_reuse_pct", "水重复利用率", "water reuse rate", "%", 0 },
	{ IND_WASTEWATER_PER_PRODUCT, "wastewater_per_product", "单位产品废水产生量", "wastewater per unit of product", "m3/unit", 1 },
	{ IND_CO2_T, "co2_t", "二氧化碳排放量", "CO2 emissions", "tCO2", -1 },
	{ IND_CO2_DIRECT_T, "co2_direct_t", "直接排放量", "CO2 direct emissions", "tCO2", -1 },
	{ IND_CO2_INDIRECT_T, "co2_indirect_t", "间接排放量", "CO2 indirect emissions", "tCO2", -1 },
	{ IND_CO2_GREEN_DEDUCTED_T, "co2_green_deducted_t", "二氧化碳排放量(扣除绿电)", "CO2 emissions, green power deducted", "tCO2", -1 },
	{ IND_CO2_PER_PRODUCT, "co2_per_product", "单位产品碳排放量", "CO2 per unit of product", "kgCO2/unit", 1 },
	{ IND_RENEWABLE_PCT, "renewable_pct", "可再生能源使用比例", "renewable share of electricity", "%", 0 },
	{ IND_RENEWABLE_ENERGY_PCT, "renewable_energy_pct", "可再生能源占综合能耗比例", "renewable share of energy", "%", 0 },
	{ IND_SO2_T, "so2_t", "二氧化硫排放量", "SO2 load", "t", -1 },
	{ IND_NOX_T, "nox_t", "氮氧化物排放量", "NOx load", "t", -1 },
	{ IND_DUST_T, "dust_t", "颗粒物排放量", "particulate load", "t", -1 },
	{ IND_COD_T, "cod_t", "化学需氧量排放量", "COD load", "t", -1 },
	{ IND_NH3N_T, "nh3n_t", "氨氮排放量", "NH3-N load", "t", -1 },
	{ IND_SO2_PER_PRODUCT, "so2_per_product", "单位产品二氧化硫排放量", "SO2 per unit of product", "kg/unit", 1 },
	{ IND_NOX_PER_PRODUCT, "nox_per_product", "单位产品氮氧化物排放量", "NOx per unit of product", "kg/unit", 1 },
	{ IND_DUST_PER_PRODUCT, "dust_per_product", "单位产品颗粒物排放量", "particulates per unit of product", "kg/unit", 1 },
	{ IND_SOLID_WASTE_T, "solid_waste_t", "一般工业固体废物产生量", "general industrial solid waste generated", "t", -1 },
	{ IND_SOLID_WASTE_USED_T, "solid_waste_used_t", "一般工业固体废物综合利用量", "general industrial solid waste used", "t", -1 },
	{ IND_SOLID_WASTE_USE_PCT, "solid_waste_use_pct", "一般工业固体废物综合利用率", "solid waste use rate", "%", 0 },
	{ IND_HAZ_WASTE_T, "haz_waste_t", "危险废物产生量", "hazardous waste generated", "t", -1 },
	{ IND_HAZ_WASTE_DISPOSED_T, "haz_waste_disposed_t", "危险废物安全处置量", "hazardous waste safely disposed", "t", -1 },
	{ IND_PLOT_RATIO, "plot_ratio", "容积率", "plot ratio", "1", 0 },
	{ IND_BUILDING_DENSITY_PCT, "building_density_pct", "建筑密度", "building density", "%", 0 },
	{ IND_OUTPUT_PER_LAND, "output_per_land", "单位用地面积产值", "output value per land area", "10^4 CNY/ha", 0 },
	{ IND_MEMBER_GREEN_PCT, "member_green_pct", "园区绿色工厂及绿色供应链企业占比", "members listed green", "%", 0 },
	{ IND_SUPPLIERS, "suppliers", "供应商数量", "suppliers covered", "1", -1 },
	{ IND_SUPPLIER_GREEN_PCT, "supplier_green_pct", "绿色工厂供应商占比", "suppliers listed as green factories", "%", 0 },
	{ IND_COMPLETENESS_PCT, "completeness_pct", "数据完整率", "data completeness", "%", 0 },
};

const struct ind_def *ind_def(enum ind_id id)
{
	return (int)id >= 0 && id < IND_N ? &defs[id] : NULL;
}

const struct ind_def *ind_def_find(const char *key)
{
	for (int i = 0; key != NULL && i < IND_N; i++) {
		if (strcmp(defs[i].key, key) == 0)
			return &defs[i];
	}
	return NULL;
}

/* ---- from the balance to the indicators ---- */

static void put(struct ind_period *p, enum ind_id id, double v, const struct acc *q)
{
	struct ind_value *x = &p->v[id];

	if (!isfinite(v))
		return;
	x->value = v;
	x->has_value = 1;
	x->completeness = q->compl;
	x->provenance = acc_provenance(q->prov);
	x->estimated = q->est || q->missing != 0;
	x->missing = q->missing;
}

/* num / den x k, when both have values and den > 0. */
static void put_ratio(struct ind_period *p, enum ind_id id, const struct acc *num,
		      const struct acc *den, double k)
{
	struct acc q = acc_with(num, den);

	if (num->has && den->has && den->v > 0)
		put(p, id, num->v / den->v * k, &q);
}

struct electricity {
	struct acc use;          /* consumed: purchased + generated - exported */
	struct acc ren_used;     /* on-site renewable consumed */
	double f_equiv, f_equal; /* kgce/kWh */
	struct acc q_equiv, q_equal; /* quality of the factor lookups */
};

/* Exports are attributed to on-site generation first: a plant exports only
 * what its own generation leaves over (docs/indicators.md). */
static int electricity(const struct ctx *c, const struct balance *b,
		       struct electricity *e)
{
	struct store_factor f;
	int ret;

	e->use = b->elec_p;
	acc_merge(&e->use, &b->ren);
	e->use = acc_with(&e->use, &b->elec_x);
	e->use.v -= b->elec_x.v;
	e->ren_used = acc_with(&b->ren, &b->elec_x);
	e->ren_used.v = fmax(0, b->ren.v - b->elec_x.v);
	e->q_equiv = e->q_equal = ACC0;
	/* GB/T 2589-2020 A.1: 0.1229 kgce/kWh (3600 kJ/kWh). */
	ret = balance_factor(c, "tce", "electricity", &f, &e->q_equiv);
	if (ret != GFI_OK)
		return ret;
	e->f_equiv = f.value;
	ret = balance_factor(c, "tce_equal", "electricity", &f, &e->q_equal);
	if (ret != GFI_OK)
		return ret;
	e->f_equal = f.value;
	return GFI_OK;
}

static void derive_energy(const struct ctx *c, const struct balance *b,
			  const struct electricity *e, struct ind_period *p)
{
	struct acc eq = e->use, el;

	(void)c;
	acc_merge(&eq, &b->fuel_kgce);
	acc_merge(&eq, &b->heat_kgce);
	el = acc_with(&eq, &e->q_equal);
	eq = acc_with(&eq, &e->q_equiv);
	/* GB/T 2589-2020 3.1: 综合能耗 = sum of every carrier consumed x its
	 * conversion factor, exported energy subtracted (in e->use). */
	eq.v = (e->use.v * e->f_equiv + b->fuel_kgce.v + b->heat_kgce.v) / 1000.0;
	el.v = (e->use.v * e->f_equal + b->fuel_kgce.v + b->heat_kgce.v) / 1000.0;
	if (!eq.has)
		return;
	put(p, IND_ENERGY_EQUIV_TCE, eq.v, &eq);
	put(p, IND_ENERGY_EQUAL_TCE, el.v, &el);
	if (e->use.has)
		put(p, IND_ELEC_KWH, e->use.v, &e->use);
	eq.v *= 1000.0;   /* kgce per product unit */
	put_ratio(p, IND_ENERGY_PER_PRODUCT, &eq, &b->output, 1);
	eq.v /= 1000.0;
	put_ratio(p, IND_ENERGY_PER_VALUE, &eq, &b->out_value, 1);
	put_ratio(p, IND_ENERGY_PER_VALUE_ADDED, &eq, &b->value_added, 1);
}

/* Renewable share of electricity and of 综合能耗 (equivalent value): on-site
 * renewable consumed plus certified green power bought. */
static void derive_renewable(const struct balance *b, const struct electricity *e,
			     struct ind_period *p)
{
	struct acc ren = e->ren_used, en;

	if (b->green_kwh.has)
		acc_merge(&ren, &b->green_kwh);
	ren.has = 1;
	put_ratio(p, IND_RENEWABLE_PCT, &ren, &e->use, 100);
	if (!p->v[IND_ENERGY_EQUIV_TCE].has_value)
		return;
	en = e->use;
	en.v = p->v[IND_ENERGY_EQUIV_TCE].value;
	en.has = 1;
	ren = acc_with(&ren, &e->q_equiv);
	ren.v = ren.v * e->f_equiv / 1000.0;
	en.compl = p->v[IND_ENERGY_EQUIV_TCE].completeness;
	en.est = p->v[IND_ENERGY_EQUIV_TCE].estimated;
	en.missing = p->v[IND_ENERGY_EQUIV_TCE].missing;
	put_ratio(p, IND_RENEWABLE_ENERGY_PCT, &ren, &en, 100);
}

/* CO2 (GB/T 32150-2015): direct from fuels; indirect from purchased
 * electricity at the year's grid factor and purchased heat. The
 * green-deducted variant takes certified green power off purchased
 * electricity and prices the rest at the factor excluding market-traded
 * non-fossil power (MEE/NBS), when green power was bought. */
static int derive_co2(const struct ctx *c, const struct balance *b,
		      struct ind_period *p)
{
	struct store_factor grid, excl;
	struct acc dir = b->fuel_co2_kg, ind = b->heat_co2_kg, tot, green;
	int ret = balance_factor(c, "grid", "electricity", &grid, &ind);

	if (ret != GFI_OK && ret != GFI_E_NOTFOUND)
		return ret;
	if (ret == GFI_E_NOTFOUND)
		return GFI_OK;   /* no grid factor at all: no CO2 stated */
	acc_merge(&ind, &b->elec_p);
	ind.v = b->heat_co2_kg.v + b->elec_p.v * grid.value;
	if (dir.has)
		put(p, IND_CO2_DIRECT_T, dir.v / 1000.0, &dir);
	if (ind.has)
		put(p, IND_CO2_INDIRECT_T, ind.v / 1000.0, &ind);
	tot = dir;
	acc_merge(&tot, &ind);
	if (!tot.has)
		return GFI_OK;
	put(p, IND_CO2_T, tot.v / 1000.0, &tot);
	green = tot;
	if (b->green_kwh.has && b->green_kwh.v > 0) {
		ret = balance_factor(c, "grid_excl_green", "electricity", &excl, &green);
		if (ret == GFI_E_NOTFOUND)
			excl = grid;
		else if (ret != GFI_OK)
			return ret;
		green = acc_with(&green, &b->green_kwh);
		green.v = dir.v + b->heat_co2_kg.v +
			  fmax(0, b->elec_p.v - b->green_kwh.v) * excl.value;
	}
	put(p, IND_CO2_GREEN_DEDUCTED_T, green.v / 1000.0, &green);
	/* tot is in kgCO2, the per-product unit. */
	put_ratio(p, IND_CO2_PER_PRODUCT, &tot, &b->output, 1);
	return GFI_OK;
}

static void derive_water(const struct balance *b, struct ind_period *p)
{
	struct acc all = b->water_in;

	if (b->water_in.has)
		put(p, IND_WATER_INTAKE_M3, b->water_in.v, &b->water_in);
	put_ratio(p, IND_WATER_PER_PRODUCT, &b->water_in, &b->output, 1);
	/* GB/T 7119: R = Vr / (Vr + Vi) x 100. */
	acc_merge(&all, &b->water_re);
	if (b->water_re.has)
		put_ratio(p, IND_WATER_REUSE_PCT, &b->water_re, &all, 100);
	put_ratio(p, IND_WASTEWATER_PER_PRODUCT, &b->wastewater, &b->output, 1);
}

static void derive_pollutants(struct balance *b, struct ind_period *p)
{
	static const enum ind_id load[POL_N] = { IND_SO2_T, IND_NOX_T, IND_DUST_T,
						 IND_COD_T, IND_NH3N_T };
	static const enum ind_id per[3] = { IND_SO2_PER_PRODUCT, IND_NOX_PER_PRODUCT,
					    IND_DUST_PER_PRODUCT };

	for (int i = 0; i < POL_N; i++) {
		const struct acc *a = pollutant_acc(b, (enum pollutant)i);
		struct acc kg = *a;
		if (!a->has)
			continue;
		put(p, load[i], a->v, a);
		kg.v *= 1000.0;
		if (i < 3)
			put_ratio(p, per[i], &kg, &b->output, 1);
	}
}

static void put_fact(struct ind_period *p, enum ind_id id, const struct acc *a)
{
	if (a->has)
		put(p, id, a->v, a);
}

static void derive_facts(const struct balance *b, struct ind_period *p)
{
	struct acc land_ha = b->land;

	put_fact(p, IND_OUTPUT_VALUE, &b->out_value);
	put_fact(p, IND_VALUE_ADDED, &b->value_added);
	put_fact(p, IND_SOLID_WASTE_T, &b->solid_gen);
	put_fact(p, IND_SOLID_WASTE_USED_T, &b->solid_used);
	put_fact(p, IND_HAZ_WASTE_T, &b->haz_gen);
	put_fact(p, IND_HAZ_WASTE_DISPOSED_T, &b->haz_disp);
	put_ratio(p, IND_SOLID_WASTE_USE_PCT, &b->solid_used, &b->solid_gen, 100);
	/* GB/T 36132 land indicators: floor / land, footprint / land. */
	put_ratio(p, IND_PLOT_RATIO, &b->floor, &b->land, 1);
	put_ratio(p, IND_BUILDING_DENSITY_PCT, &b->footprint, &b->land, 100);
	land_ha.v /= 10000.0;   /* m2 -> ha */
	put_ratio(p, IND_OUTPUT_PER_LAND, &b->out_value, &land_ha, 1);
}

static int derive(const struct ctx *c, struct balance *b, struct ind_period *p)
{
	struct electricity e;
	int ret = electricity(c, b, &e);

	if (ret != GFI_OK)
		return ret;
	snprintf(p->product_unit, sizeof(p->product_unit), "%s", b->product_unit);
	if (b->output.has)
		put(p, IND_OUTPUT, b->output.v, &b->output);
	derive_facts(b, p);
	derive_energy(c, b, &e, p);
	derive_renewable(b, &e, p);
	derive_water(b, p);
	derive_pollutants(b, p);
	if ((ret = derive_co2(c, b, p)) != GFI_OK)
		return ret;
	if (b->all.prov) {
		struct acc all = b->all;
		all.est = 0;
		put(p, IND_COMPLETENESS_PCT, b->all.compl * 100.0, &all);
	}
	return GFI_OK;
}

/* ---- parks and supply chains ---- */

struct pairs {
	struct reg_pair *p;
	size_t n, cap;
	int err;
};

static int pair_row(void *ctx, const void *row)
{
	struct pairs *a = ctx;

	if ((a->err = balance_grow((void **)&a->p, &a->cap, a->n, sizeof(*a->p))) != GFI_OK)
		return 1;
	a->p[a->n++] = *(const struct reg_pair *)row;
	return 0;
}

/* Whether u is a listed unit in year: on the list since year_listed (a
 * level is always set in the registry) and not retired. */
static int listed(const struct reg_unit *u, int year)
{
	return !u->retired && u->year_listed <= year;
}

/* Members' balances summed; the park's own facts (output value, value
 * added, areas, waste, green power entered for the park as a whole)
 * replace the members' sums. */
static int balance_park(struct ctx *c, struct balance *b, int *green, size_t *n)
{
	struct pairs m = { 0 };
	struct balance own;
	int ret = store_member_list(c->s, c->unit, pair_row, &m);

	balance_init(b);
	*green = 0;
	*n = 0;
	if (ret == GFI_OK)
		ret = m.err;
	for (size_t i = 0; ret == GFI_OK && i < m.n; i++) {
		struct ctx mc = { .s = c->s, .unit = m.p[i].second, .year = c->year,
				  .month = c->month, .t0 = c->t0, .t1 = c->t1,
				  .any_imports = c->any_imports };
		struct balance mb;
		struct reg_unit u;
		if ((ret = store_unit_get(c->s, mc.unit, &u)) != GFI_OK)
			break;
		*green += (u.kind == UNIT_FACTORY || u.kind == UNIT_SUPPLY_CHAIN) &&
			  listed(&u, c->year);
		(*n)++;
		ret = balance_unit(&mc, &mb);
		balance_ctx_free(&mc);
		if (ret == GFI_OK)
			balance_add(b, &mb);
	}
	free(m.p);
	if (ret != GFI_OK)
		return ret;
	ret = balance_ctx_load(c);
	if (ret == GFI_OK) {
		balance_init(&own);
		balance_facts(c, &own);
		struct acc *dst[] = { &b->out_value, &b->value_added, &b->green_kwh,
			&b->solid_gen, &b->solid_used, &b->haz_gen, &b->haz_disp,
			&b->land, &b->floor, &b->footprint };
		const struct acc *src[] = { &own.out_value, &own.value_added,
			&own.green_kwh, &own.solid_gen, &own.solid_used, &own.haz_gen,
			&own.haz_disp, &own.land, &own.floor, &own.footprint };
		for (size_t i = 0; i < sizeof(dst) / sizeof(dst[0]); i++) {
			if (src[i]->has)
				*dst[i] = *src[i];
		}
	}
	return ret;
}

static int suppliers(const struct ctx *c, struct ind_period *p)
{
	struct pairs sp = { 0 };
	int ret = store_supplier_list(c->s, c->unit, pair_row, &sp), green = 0;
	struct acc q = acc_manual(0);

	if (ret == GFI_OK)
		ret = sp.err;
	for (size_t i = 0; ret == GFI_OK && i < sp.n; i++) {
		struct reg_unit u;
		if ((ret = store_unit_get(c->s, sp.p[i].second, &u)) == GFI_OK)
			green += u.kind == UNIT_FACTORY && listed(&u, c->year);
	}
	if (ret == GFI_OK) {
		put(p, IND_SUPPLIERS, (double)sp.n, &q);
		if (sp.n > 0)
			put(p, IND_SUPPLIER_GREEN_PCT, green * 100.0 / (double)sp.n, &q);
	}
	free(sp.p);
	return ret;
}

/* ---- the entry point ---- */

static double min_coverage = IND_MIN_COVERAGE_DEFAULT;

void indicators_set_min_coverage(double share)
{
	if (isfinite(share) && share >= 0 && share <= 1)
		min_coverage = share;
}

double indicators_min_coverage(void)
{
	return min_coverage;
}

static void copy_missing(const struct balance *b, struct ind_period *out)
{
	out->nmissing = b->nmissing;
	out->missing_more = b->missing_more;
	memcpy(out->missing, b->missing, sizeof(out->missing));
}

/* The indicators of (year, month) measured over [t0, t1). */
static int compute(struct store *s, const char *unit, int year, int month,
		   int64_t t0, int64_t t1, struct ind_period *out)
{
	struct ctx c = { .s = s, .unit = unit, .year = year, .month = month,
			 .t0 = t0, .t1 = t1 };
	struct balance b;
	struct reg_unit u;
	int ret;

	memset(out, 0, sizeof(*out));
	snprintf(out->unit, sizeof(out->unit), "%s", unit);
	out->year = year;
	out->month = month;
	out->t0 = t0;
	out->to_s = t1;
	if ((ret = store_unit_get(s, unit, &u)) != GFI_OK ||
	    (ret = store_import_any(s, &c.any_imports)) != GFI_OK)
		return ret;
	if (u.kind == UNIT_PARK) {
		int green = 0;
		size_t n = 0;
		ret = balance_park(&c, &b, &green, &n);
		if (ret == GFI_OK && n > 0) {
			struct acc q = acc_manual(0);
			put(out, IND_MEMBER_GREEN_PCT, green * 100.0 / (double)n, &q);
		}
	} else {
		ret = balance_unit(&c, &b);
		if (ret == GFI_OK && u.kind == UNIT_SUPPLY_CHAIN)
			ret = suppliers(&c, out);
	}
	if (ret == GFI_OK)
		ret = derive(&c, &b, out);
	out->readings = b.readings;
	out->imported_readings = b.imported;
	out->metered = b.all.has;
	copy_missing(&b, out);
	balance_ctx_free(&c);
	return ret;
}

const char *indicators_provenance(const struct ind_period *p, double *share)
{
	if (share != NULL)
		*share = p->readings > 0
			? (double)p->imported_readings / (double)p->readings : 0;
	if (p->imported_readings <= 0)
		return p->metered ? "measured" : "none";
	return p->imported_readings >= p->readings ? "imported" : "mixed";
}

int indicators_renewable_band(double energy_tce)
{
	if (!isfinite(energy_tce) || energy_tce < 0)
		return 0;
	return energy_tce >= 10000 ? 1 : energy_tce >= 5000 ? 2
	     : energy_tce >= 3000 ? 3 : 4;
}

/* The year-on-year change of every indicator against last; none where
 * either side lacks an input (a silent meter is no improvement). */
static void yoy_changes(struct ind_period *out, const struct ind_period *last)
{
	for (int i = 0; i < IND_N; i++) {
		const struct ind_value *l = &last->v[i];
		struct ind_value *v = &out->v[i];
		if (v->has_value && l->has_value && l->value != 0 &&
		    v->missing == 0 && l->missing == 0) {
			v->yoy_pct = (v->value - l->value) / fabs(l->value) * 100.0;
			v->has_yoy = 1;
		}
	}
}

/* The band of a year: from its own 综合能耗 when complete, else from the
 * last complete year's (last: that year, whole, when in progress). */
static void renewable_band(struct ind_period *out, const struct ind_period *whole)
{
	const struct ind_value *e = &whole->v[IND_ENERGY_EQUIV_TCE];

	if (out->month != 0 || !e->has_value)
		return;
	out->renewable_band = indicators_renewable_band(e->value);
	out->band_year = whole->year;
}

int indicators_compute_at(struct store *s, const char *unit, int year, int month,
			  int64_t now_s, struct ind_period *out)
{
	struct ind_period *last = NULL;
	int64_t t0, t1, p0, p1;
	int ret = period_bounds(year, month, &t0, &t1), in_progress;

	if (ret != GFI_OK)
		return ret;
	in_progress = t0 < now_s && now_s < t1;
	ret = compute(s, unit, year, month, t0, in_progress ? now_s : t1, out);
	out->in_progress = in_progress;
	if (ret != GFI_OK || year <= 1970)
		return ret;
	if ((ret = period_bounds(year - 1, month, &p0, &p1)) != GFI_OK)
		return ret;
	if ((last = malloc(sizeof(*last))) == NULL)
		return GFI_E_NOMEM;
	/* In progress: the same elapsed duration from the prior start. */
	ret = compute(s, unit, year - 1, month, p0,
		      out->in_progress ? p0 + (out->to_s - t0) : p1, last);
	if (ret == GFI_OK)
		yoy_changes(out, last);
	if (ret == GFI_OK && out->in_progress && month == 0)
		ret = compute(s, unit, year - 1, 0, p0, p1, last);
	if (ret == GFI_OK)
		renewable_band(out, out->in_progress ? last : out);
	free(last);
	return ret;
}

int indicators_compute(struct store *s, const char *unit, int year, int month,
		       struct ind_period *out)
{
	return indicators_compute_at(s, unit, year, month, agg_now_s(), out);
}

void indicators_yoy_label(const struct ind_period *p, char *zh, size_t zhlen,
			  char *en, size_t enlen)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int y, m, d;

	if (!p->in_progress) {
		snprintf(zh, zhlen, "同比");
		snprintf(en, enlen, "YoY");
		return;
	}
	calendar_date_of(p->to_s, &y, &m, &d);
	snprintf(zh, zhlen, "同比(截至%d月%d日)", m, d);
	snprintf(en, enlen, "YoY to %s %d", mon[(m + 11) % 12], d);
}

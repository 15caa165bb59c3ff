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
#include "grow.h"
#include "now.h"
#include "period.h"
#include "registry.h"
#include "series.h"

static const struct ind_def defs[IND_N] = {
	{ IND_OUTPUT, "output", "主要产品产量", "main product output", "unit", -1 },
	{ IND_OUTPUT_VALUE, "output_value_10k_cny", "工业总产值", "industrial output value", "10^4 CNY", -1 },
	{ IND_VALUE_ADDED, "value_added_10k_cny", "工业增加值", "industrial value added", "10^4 CNY", -1 },
	{ IND_ELEC_PURCHASED_KWH, "elec_purchased_kwh", "外购电力", "purchased electricity", "kWh", -1 },
	{ IND_RENEWABLE_GEN_KWH, "renewable_gen_kwh", "自发可再生电力", "on-site renewable generated", "kWh", -1 },
	{ IND_ELEC_EXPORTED_KWH, "elec_exported_kwh", "上网电量", "electricity exported", "kWh", -1 },
	{ IND_HEAT_PURCHASED_GJ, "heat_purchased_gj", "外购蒸汽和热力", "purchased steam and heat", "GJ", -1 },
	{ IND_FEEDSTOCK_TCE, "feedstock_tce", "用作原料的能源", "energy used as feedstock", "tce", -1 },
	{ IND_ENERGY_EQUIV_TCE, "energy_equiv_tce", "综合能耗(当量值)", "comprehensive energy consumption, equivalent value", "tce", -1 },
	{ IND_ENERGY_EQUAL_TCE, "energy_equal_tce", "综合能耗(等价值)", "comprehensive energy consumption, equal-value method", "tce", -1 },
	{ IND_ENERGY_WITH_MEDIA_TCE, "energy_with_media_tce", "综合能耗(含外购耗能工质)", "comprehensive energy consumption with purchased energy-consuming media", "tce", -1 },
	{ IND_ENERGY_PER_PRODUCT, "energy_per_product", "单位产品综合能耗", "energy per unit of product", "kgce/unit", 1 },
	{ IND_ENERGY_PER_VALUE, "energy_per_value", "单位产值综合能耗", "energy per output value", "tce/10^4 CNY", 1 },
	{ IND_ENERGY_PER_VALUE_ADDED, "energy_per_value_added", "单位工业增加值综合能耗", "energy per value added", "tce/10^4 CNY", 1 },
	{ IND_ELEC_KWH, "elec_kwh", "用电量", "electricity consumed", "kWh", -1 },
	{ IND_WATER_INTAKE_M3, "water_intake_m3", "取水量", "water intake", "m3", -1 },
	{ IND_WATER_PER_PRODUCT, "water_per_product", "单位产品取水量", "water intake per unit of product", "m3/unit", 1 },
	{ IND_WATER_REUSE_PCT, "water_reuse_pct", "水重复利用率", "water reuse rate", "%", 0 },
	{ IND_WASTEWATER_PER_PRODUCT, "wastewater_generated_per_product", "单位产品废水产生量", "wastewater generated per unit of product", "m3/unit", 1 },
	{ IND_WASTEWATER_DISCHARGED_PER_PRODUCT, "wastewater_discharged_per_product", "单位产品废水排放量", "wastewater discharged per unit of product", "m3/unit", 1 },
	{ IND_CO2_T, "co2_t", "二氧化碳排放量", "CO2 emissions", "tCO2", -1 },
	{ IND_CO2_DIRECT_T, "co2_direct_t", "直接排放量", "CO2 direct emissions", "tCO2", -1 },
	{ IND_CO2_INDIRECT_T, "co2_indirect_t", "间接排放量", "CO2 indirect emissions", "tCO2", -1 },
	{ IND_CO2_GREEN_DEDUCTED_T, "co2_green_deducted_t", "二氧化碳排放量(扣除绿电)", "CO2 emissions, green power deducted", "tCO2", -1 },
	{ IND_CO2_PER_PRODUCT, "co2_per_product", "单位产品碳排放量", "CO2 per unit of product", "kgCO2/unit", 1 },
	{ IND_RENEWABLE_PCT, "renewable_pct", "可再生电力占用电量比例", "renewable share of electricity (secondary)", "%", 0 },
	{ IND_RENEWABLE_SHARE_PCT, "renewable_share_pct", "可再生能源利用率", "renewable energy share", "%", 0 },
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
	{ IND_BUILDING_COEFF_PCT, "building_coefficient_pct", "建筑系数", "building coefficient", "%", 0 },
	{ IND_OUTPUT_PER_LAND, "output_per_land_m2", "单位用地面积产值", "output value per land area", "10^4 CNY/m2", 0 },
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
	double f_heat_gj;        /* kgce/GJ */
	struct acc q_equiv, q_equal, q_heat; /* quality of the factor lookups */
};

/* kgce per GJ of heat (the heat factor, 34.12 kgce/GJ). */
static int heat_kgce_per_gj(const struct ctx *c, struct acc *q, double *k)
{
	struct store_factor f;
	int ret = balance_factor(c, "tce", "heat", &f, q);

	*k = 0;
	if (ret == GFI_OK && strcmp(f.value_unit, "kgce/MJ") == 0)
		*k = f.value * 1000.0;
	else if (ret == GFI_OK && strcmp(f.value_unit, "kgce/GJ") == 0)
		*k = f.value;
	return ret == GFI_E_NOTFOUND ? GFI_OK : ret;
}

/* The boundary balance of electricity, on-site generation counted once:
 * use = purchased + generated - exported; exports are attributed to
 * on-site generation first, so a plant exports only what its own
 * generation leaves over (docs/indicators.md). */
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
	e->q_equiv = e->q_equal = e->q_heat = ACC0;
	/* GB/T 2589-2020 A.1: 0.1229 kgce/kWh (3600 kJ/kWh). */
	ret = balance_factor(c, "tce", "electricity", &f, &e->q_equiv);
	if (ret != GFI_OK)
		return ret;
	e->f_equiv = f.value;
	ret = balance_factor(c, "tce_equal", "electricity", &f, &e->q_equal);
	if (ret != GFI_OK)
		return ret;
	e->f_equal = f.value;
	return heat_kgce_per_gj(c, &e->q_heat, &e->f_heat_gj);
}

static void put_fact(struct ind_period *p, enum ind_id id, const struct acc *a)
{
	if (a->has)
		put(p, id, a->v, a);
}

/* Purchased 耗能工质 at their equal value (新水, by the setting 'tce_media'
 * of carrier new_water): shown beside 综合能耗, never in it (statistical
 * return 205-1 leaves them out). */
static int derive_media(const struct ctx *c, const struct balance *b,
			struct ind_period *p, const struct acc *eq)
{
	struct store_factor f;
	struct acc q = acc_with(eq, &b->water_in);
	double kg = 0;
	int ret = balance_factor(c, "tce_media", "new_water", &f, &q);

	if (ret == GFI_E_NOTFOUND || !b->water_in.has)
		return GFI_OK;
	if (ret != GFI_OK)
		return ret;
	if (strcmp(f.value_unit, "kgce/t") == 0 || strcmp(f.value_unit, "kgce/m3") == 0)
		kg = b->water_in.v * f.value;
	put(p, IND_ENERGY_WITH_MEDIA_TCE, eq->v + kg / 1000.0, &q);
	return GFI_OK;
}

/* Each product's energy over its qualified output (GB/T 36132-2025 B.1,
 * 4.4.2): the product's share of 综合能耗 without feedstock (fact
 * energy_share_pct.PRODUCT; a single product takes it all) over its
 * qualified output (fact qualified_output.PRODUCT, else its metered output).
 * Several products without shares get no figure: never plant total over
 * the main product. */
static void derive_products(const struct ctx *c, const struct balance *b,
			    const struct acc *energy, struct ind_period *p)
{
	char key[128];   /* longer than a fact key: then no match */

	p->nproducts = b->nprod < IND_PRODUCTS_MAX ? b->nprod : IND_PRODUCTS_MAX;
	for (int i = 0; i < p->nproducts; i++) {
		const struct balance_product *bp = &b->prod[i];
		struct ind_product *ip = &p->products[i];
		struct acc share, qual, e;
		snprintf(ip->name, sizeof(ip->name), "%s", bp->name);
		snprintf(ip->unit, sizeof(ip->unit), "%s", bp->unit);
		ip->output = bp->out.v;
		ip->has_output = bp->out.has;
		snprintf(key, sizeof(key), "qualified_output.%s", bp->name);
		qual = c != NULL ? balance_fact_flow(c, key) : ACC0;
		if (!qual.has)
			qual = bp->out;
		snprintf(key, sizeof(key), "energy_share_pct.%s", bp->name);
		share = c != NULL ? balance_fact_stock(c, key) : ACC0;
		if (!share.has && b->nprod == 1) {
			share = ACC0;     /* a single product takes it all */
			share.v = 100;
			share.has = 1;
		}
		ip->qualified = qual.v;
		ip->has_qualified = qual.has;
		if (!share.has || !energy->has || !qual.has || qual.v <= 0)
			continue;
		e = acc_with(energy, &share);
		e = acc_with(&e, &qual);
		ip->energy_per_unit = energy->v * 1000.0 * share.v / 100.0 / qual.v;
		ip->has_energy = isfinite(ip->energy_per_unit);
		if (i == 0 && ip->has_energy)
			put(p, IND_ENERGY_PER_PRODUCT, ip->energy_per_unit, &e);
	}
}

/* 综合能耗 (GB/T 2589-2020 3.1, 4): the boundary balance, every carrier
 * once at its factor: electricity used (purchased + generated - exported),
 * fuels, purchased heat and steam (by enthalpy); feedstock energy is
 * shown apart and left out of the per-product and renewable figures. */
static int derive_energy(const struct ctx *c, const struct balance *b,
			 const struct electricity *e, struct ind_period *p)
{
	struct acc eq = e->use, el, net;

	acc_merge(&eq, &b->fuel_kgce);
	acc_merge(&eq, &b->heat_kgce);
	el = acc_with(&eq, &e->q_equal);
	eq = acc_with(&eq, &e->q_equiv);
	eq.v = (e->use.v * e->f_equiv + b->fuel_kgce.v + b->heat_kgce.v) / 1000.0;
	el.v = (e->use.v * e->f_equal + b->fuel_kgce.v + b->heat_kgce.v) / 1000.0;
	put_fact(p, IND_ELEC_PURCHASED_KWH, &b->elec_p);
	put_fact(p, IND_RENEWABLE_GEN_KWH, &b->ren);
	put_fact(p, IND_ELEC_EXPORTED_KWH, &b->elec_x);
	put_fact(p, IND_HEAT_PURCHASED_GJ, &b->heat_gj);
	put_fact(p, IND_FEEDSTOCK_TCE, &b->feedstock_tce);
	if (!eq.has)
		return GFI_OK;
	put(p, IND_ENERGY_EQUIV_TCE, eq.v, &eq);
	put(p, IND_ENERGY_EQUAL_TCE, el.v, &el);
	if (e->use.has)
		put(p, IND_ELEC_KWH, e->use.v, &e->use);
	net = acc_with(&eq, &b->feedstock_tce);
	net.v = eq.v - b->feedstock_tce.v;
	derive_products(c, b, &net, p);
	put_ratio(p, IND_ENERGY_PER_VALUE, &eq, &b->out_value, 1);
	put_ratio(p, IND_ENERGY_PER_VALUE_ADDED, &eq, &b->value_added, 1);
	return derive_media(c, b, p, &eq);
}

/* Renewable electricity counted for the unit, kWh: self-generated and
 * self-used, market-traded green power (and the old green_electricity_kwh
 * entries), a dedicated line with settlement, certificates bought apart;
 * each kWh once, so never more than the electricity used. */
static struct acc renewable_electricity(const struct balance *b,
					const struct electricity *e)
{
	struct acc r = e->ren_used;
	const struct acc *bought[] = { &b->green_kwh, &b->green_traded_mwh,
				       &b->green_direct_mwh, &b->green_cert_mwh };
	const double kwh[] = { 1, 1000, 1000, 1000 };

	for (size_t i = 0; i < sizeof(kwh) / sizeof(kwh[0]); i++) {
		if (!bought[i]->has)
			continue;
		r = acc_with(&r, bought[i]);
		r.v += bought[i]->v * kwh[i];
	}
	r.has = 1;
	if (e->use.has)
		r.v = fmin(r.v, fmax(0, e->use.v));
	return r;
}

/* 可再生能源利用率 (GB/T 36132-2025 B.5): R = E_re / E x 100, both tce; E
 * the 综合能耗 without feedstock, E_re renewable electricity at the
 * equivalent factor plus renewable heat used. The share of electricity
 * stays as a secondary figure. */
static void derive_renewable(const struct balance *b, const struct electricity *e,
			     struct ind_period *p)
{
	const struct ind_value *eq = &p->v[IND_ENERGY_EQUIV_TCE];
	struct acc ren = renewable_electricity(b, e), re, en = e->use;

	put_ratio(p, IND_RENEWABLE_PCT, &ren, &e->use, 100);
	if (!eq->has_value)
		return;
	re = acc_with(&ren, &e->q_equiv);
	re.v = ren.v * e->f_equiv / 1000.0;
	if (b->ren_heat_gj.has) {
		re = acc_with(&re, &b->ren_heat_gj);
		re = acc_with(&re, &e->q_heat);
		re.v += b->ren_heat_gj.v * e->f_heat_gj / 1000.0;
	}
	en = acc_with(&en, &b->feedstock_tce);
	en.v = eq->value - b->feedstock_tce.v;
	en.has = 1;
	en.compl = fmin(en.compl, eq->completeness);
	en.est |= eq->estimated;
	en.missing |= eq->missing;
	put_ratio(p, IND_RENEWABLE_SHARE_PCT, &re, &en, 100);
}

/* The factor f as a table names it. */
static void factor_used(struct ind_factor_used *u, const struct store_factor *f,
			int year)
{
	u->has = 1;
	u->year = f->year;
	u->fallback = f->year != 0 && f->year != year;
	u->value = f->value;
	snprintf(u->value_unit, sizeof(u->value_unit), "%s", f->value_unit);
	snprintf(u->source, sizeof(u->source), "%s", f->source);
}

/* CO2 with green power deducted: market-traded and dedicated-line green
 * power at zero only when the rest of purchased electricity takes the
 * national factor excluding market-traded non-fossil power; certificates
 * bought apart count toward the renewable share, not here. No such
 * factor: no value. */
static int derive_co2_green(const struct ctx *c, const struct balance *b,
			    const struct acc *tot, struct ind_period *p)
{
	struct store_factor excl;
	struct acc green = *tot;
	double kwh = b->green_kwh.v + 1000.0 * (b->green_traded_mwh.v +
						b->green_direct_mwh.v);
	int ret;

	if (kwh > 0) {
		ret = balance_factor(c, "grid_excl_green", "electricity", &excl, &green);
		if (ret == GFI_E_NOTFOUND)
			return GFI_OK;
		if (ret != GFI_OK)
			return ret;
		factor_used(&p->grid_excl, &excl, c->year);
		green = acc_with(&green, &b->green_kwh);
		green = acc_with(&green, &b->green_traded_mwh);
		green = acc_with(&green, &b->green_direct_mwh);
		green.v = b->fuel_co2_kg.v + b->heat_co2_kg.v +
			  fmax(0, b->elec_p.v - kwh) * excl.value;
	}
	put(p, IND_CO2_GREEN_DEDUCTED_T, green.v / 1000.0, &green);
	return GFI_OK;
}

/* CO2 (GB/T 32150-2015): direct from fuels; indirect from purchased
 * electricity at the year's grid factor (the latest published one for a
 * year without its own, said in grid.fallback) and purchased heat. */
static int derive_co2(const struct ctx *c, const struct balance *b,
		      struct ind_period *p)
{
	struct store_factor grid;
	struct acc dir = b->fuel_co2_kg, ind = b->heat_co2_kg, tot;
	int ret = balance_factor(c, "grid", "electricity", &grid, &ind);

	if (ret != GFI_OK && ret != GFI_E_NOTFOUND)
		return ret;
	if (ret == GFI_E_NOTFOUND)
		return GFI_OK;   /* no grid factor at all: no CO2 stated */
	factor_used(&p->grid, &grid, c->year);
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
	/* tot is in kgCO2, the per-product unit. */
	put_ratio(p, IND_CO2_PER_PRODUCT, &tot, &b->output, 1);
	return derive_co2_green(c, b, &tot, p);
}

/* 取水量 (GB/T 18820-2023, GB/T 36132-2025 B.8): conventional intake plus
 * purchased steam (t as m3); non-conventional water left out. Reuse rate
 * GB/T 7119: Vr / (Vr + Vi) x 100. Wastewater generated and discharged
 * per product apart (B.12, B.14). */
static void derive_water(const struct balance *b, struct ind_period *p)
{
	struct acc in = b->water_in, all;

	acc_merge(&in, &b->steam_t);
	all = in;
	if (in.has)
		put(p, IND_WATER_INTAKE_M3, in.v, &in);
	put_ratio(p, IND_WATER_PER_PRODUCT, &in, &b->output, 1);
	acc_merge(&all, &b->water_re);
	if (b->water_re.has)
		put_ratio(p, IND_WATER_REUSE_PCT, &b->water_re, &all, 100);
	put_ratio(p, IND_WASTEWATER_PER_PRODUCT, &b->wastewater_gen, &b->output, 1);
	put_ratio(p, IND_WASTEWATER_DISCHARGED_PER_PRODUCT, &b->wastewater,
		  &b->output, 1);
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

/* Facts, waste and land (GB/T 36132-2025 B.11, B.25-B.27): K = Z_r /
 * (Z + Z_w) x 100 with Z_w earlier years' stock used; 容积率 = (floor area
 * + the floor area of storeys over 8 m once more) / land; 建筑系数 =
 * (buildings + structures + open yards) / land x 100; output value per m2
 * of land. */
static void derive_facts(const struct balance *b, struct ind_period *p)
{
	struct acc solid = b->solid_gen, floor = b->floor, cover = b->footprint;

	put_fact(p, IND_OUTPUT_VALUE, &b->out_value);
	put_fact(p, IND_VALUE_ADDED, &b->value_added);
	put_fact(p, IND_SOLID_WASTE_T, &b->solid_gen);
	put_fact(p, IND_SOLID_WASTE_USED_T, &b->solid_used);
	put_fact(p, IND_HAZ_WASTE_T, &b->haz_gen);
	put_fact(p, IND_HAZ_WASTE_DISPOSED_T, &b->haz_disp);
	acc_merge(&solid, &b->solid_stock_used);
	solid.has = b->solid_gen.has;
	put_ratio(p, IND_SOLID_WASTE_USE_PCT, &b->solid_used, &solid, 100);
	acc_merge(&floor, &b->floor_tall);
	floor.has = b->floor.has;
	put_ratio(p, IND_PLOT_RATIO, &floor, &b->land, 1);
	acc_merge(&cover, &b->structures);
	acc_merge(&cover, &b->yards);
	cover.has = b->footprint.has;
	put_ratio(p, IND_BUILDING_COEFF_PCT, &cover, &b->land, 100);
	put_ratio(p, IND_OUTPUT_PER_LAND, &b->out_value, &b->land, 1);
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
	if ((ret = derive_energy(c, b, &e, p)) != GFI_OK)
		return ret;
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
	struct gfi_rows m = GFI_ROWS(struct reg_pair);
	const struct reg_pair *member;
	struct balance own;
	int ret = store_member_list(c->s, c->unit, gfi_rows_collect, &m);

	balance_init(b);
	*green = 0;
	*n = 0;
	if (ret == GFI_OK)
		ret = m.err;
	member = m.v;
	for (size_t i = 0; ret == GFI_OK && i < m.n; i++) {
		struct ctx mc = { .s = c->s, .unit = member[i].second, .year = c->year,
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
	free(m.v);
	if (ret != GFI_OK)
		return ret;
	ret = balance_ctx_load(c);
	if (ret == GFI_OK) {
		balance_init(&own);
		balance_facts(c, &own);
		balance_facts_override(b, &own);
	}
	return ret;
}

static int suppliers(const struct ctx *c, struct ind_period *p)
{
	struct gfi_rows sp = GFI_ROWS(struct reg_pair);
	int ret = store_supplier_list(c->s, c->unit, gfi_rows_collect, &sp), green = 0;
	const struct reg_pair *supplier = sp.v;
	struct acc q = acc_manual(0);

	if (ret == GFI_OK)
		ret = sp.err;
	for (size_t i = 0; ret == GFI_OK && i < sp.n; i++) {
		struct reg_unit u;
		if ((ret = store_unit_get(c->s, supplier[i].second, &u)) == GFI_OK)
			green += u.kind == UNIT_FACTORY && listed(&u, c->year);
	}
	if (ret == GFI_OK) {
		put(p, IND_SUPPLIERS, (double)sp.n, &q);
		if (sp.n > 0)
			put(p, IND_SUPPLIER_GREEN_PCT, green * 100.0 / (double)sp.n, &q);
	}
	free(sp.v);
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

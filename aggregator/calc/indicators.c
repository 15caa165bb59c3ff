/*
 * indicators.c — a unit's key green-manufacturing indicators for a month or
 * a year (indicators.h; formulas in docs/indicators.md and
 * ../shared/DOMAIN.md).
 *
 * Two stages. First a balance: per unit and period, the metered totals of
 * every role (series.h), converted per meter point with the factors in force
 * for that unit and year (store_factor_get; a unit's measured calorific
 * value wins), and the facts entered by hand. Each entry of the balance is
 * an accumulator carrying its worst completeness, whether any input was
 * estimated, and which provenances went into it. Second, derive: every
 * indicator from the balance. A park's balance is the sum of its members'
 * balances, so a park's intensities are recomputed from sums, never averaged.
 *
 * Invariants: sub-meters and roles without a balance never enter a total;
 * no indicator divides by a zero or missing denominator (it has no value);
 * the year-on-year change compares with the same period a year before,
 * computed the same way, once (never recursively further).
 */
#include "indicators.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
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

/* ---- accumulators ---- */

#define PROV_BIT(p) (1u << (p))

/* A sum with what a value needs to say about itself. */
struct acc {
	double v;
	int has;            /* some input had a value */
	double compl;       /* worst completeness of the metered inputs, 0..1 */
	int est;            /* an input was extrapolated, reset, or used a
			       fallback factor */
	unsigned prov;      /* PROV_BIT of each provenance that went in */
};

static const struct acc ACC0 = { 0, 0, 1.0, 0, 0 };

static void acc_merge(struct acc *a, const struct acc *b)
{
	a->v += b->v;
	a->has |= b->has;
	a->compl = fmin(a->compl, b->compl);
	a->est |= b->est;
	a->prov |= b->prov;
}

/* The quality of a and b together, without their values. */
static struct acc acc_with(const struct acc *a, const struct acc *b)
{
	struct acc r = *a;
	r.compl = fmin(a->compl, b->compl);
	r.est |= b->est;
	r.prov |= b->prov;
	return r;
}

/* prov: PROV_BIT(PROV_METERED) and/or PROV_BIT(PROV_IMPORTED), as the
 * point's readings in the period were signed or imported (meter_prov). */
static void acc_metered(struct acc *a, double v, const struct series_total *t,
			unsigned prov)
{
	if (t->has_value)
		a->v += v;
	a->has |= t->has_value;
	a->compl = fmin(a->compl, t->completeness);
	a->est |= t->extrapolated || t->resets > 0;
	a->prov |= prov;
}

static enum ind_provenance prov_of(unsigned bits)
{
	if (bits == PROV_BIT(PROV_METERED))
		return PROV_METERED;
	if (bits == PROV_BIT(PROV_MANUAL))
		return PROV_MANUAL;
	if (bits == PROV_BIT(PROV_IMPORTED))
		return PROV_IMPORTED;
	return bits ? PROV_DERIVED : PROV_NONE;
}

/* ---- the balance of one unit and period ---- */

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
};

static void balance_init(struct balance *b)
{
	memset(b, 0, sizeof(*b));
#define X(n) b->n = ACC0;
	BALANCE_ACCS(X)
#undef X
	b->output = ACC0;
}

/* Sum a member's balance into a park's (facts too: the park's own facts
 * replace those sums afterwards). */
static void balance_add(struct balance *b, const struct balance *m)
{
#define X(n) acc_merge(&b->n, &m->n);
	BALANCE_ACCS(X)
#undef X
	b->readings += m->readings;
	b->imported += m->imported;
}

static struct acc *pollutant_acc(struct balance *b, enum pollutant p)
{
	struct acc *a[POL_N] = { &b->pol_so2, &b->pol_nox, &b->pol_dust,
				 &b->pol_cod, &b->pol_nh3n };
	return a[p];
}

/* ---- what one computation needs ---- */

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

static int grow(void **buf, size_t *cap, size_t n, size_t size)
{
	void *nb;
	size_t nc;

	if (n < *cap)
		return GFI_OK;
	nc = *cap ? *cap * 2 : 32;
	if ((nb = realloc(*buf, nc * size)) == NULL)
		return GFI_E_NOMEM;
	*buf = nb;
	*cap = nc;
	return GFI_OK;
}

static int meter_row(void *p, const void *row)
{
	struct ctx *c = p;

	if ((c->err = grow((void **)&c->m, &c->cap, c->nm, sizeof(*c->m))) != GFI_OK)
		return 1;
	c->m[c->nm++] = *(const struct reg_meter *)row;
	return 0;
}

struct gw_list {
	char (*id)[GFI_ID_MAX];
	size_t n, cap;
	const char *unit;
	int err;
};

static int gateway_row(void *p, const void *row)
{
	struct gw_list *g = p;
	const struct reg_gateway *gw = row;

	if (strcmp(gw->unit, g->unit) != 0)
		return 0;
	if ((g->err = grow((void **)&g->id, &g->cap, g->n, sizeof(*g->id))) != GFI_OK)
		return 1;
	memcpy(g->id[g->n++], gw->id, GFI_ID_MAX);
	return 0;
}

static int fact_row(void *p, const void *row)
{
	struct ctx *c = p;

	if ((c->err = grow((void **)&c->f, &c->fcap, c->nf, sizeof(*c->f))) != GFI_OK)
		return 1;
	c->f[c->nf++] = *(const struct reg_fact *)row;
	return 0;
}

/* The unit's points in registry order (gateway, meter, point) and facts. */
static int ctx_load(struct ctx *c)
{
	struct gw_list g = { .unit = c->unit };
	int ret = store_gateway_list_unit(c->s, c->unit, gateway_row, &g);

	if (ret == GFI_OK)
		ret = g.err;
	for (size_t i = 0; ret == GFI_OK && i < g.n; i++) {
		ret = store_meter_list(c->s, g.id[i], meter_row, c);
		if (ret == GFI_OK)
			ret = c->err;
	}
	free(g.id);
	if (ret == GFI_OK)
		ret = store_fact_list(c->s, c->unit, 0, fact_row, c);
	return ret != GFI_OK ? ret : c->err;
}

static void ctx_free(struct ctx *c)
{
	free(c->m);
	free(c->f);
}

/* ---- facts ---- */

static struct acc manual(double v)
{
	struct acc a = ACC0;
	a.v = v;
	a.has = 1;
	a.prov = PROV_BIT(PROV_MANUAL);
	return a;
}

/* A flow (output value, waste, green power): the period's own entry; for a
 * year without a yearly entry, the sum of its monthly entries. */
static struct acc fact_flow(const struct ctx *c, const char *key)
{
	struct acc a = ACC0, months = ACC0;
	int nmonths = 0;

	for (size_t i = 0; i < c->nf; i++) {
		const struct reg_fact *f = &c->f[i];
		if (f->year != c->year || strcmp(f->key, key) != 0)
			continue;
		if (f->month == c->month)
			return manual(f->value);
		if (c->month == 0) {
			months.v += f->value;
			nmonths++;
		}
	}
	if (nmonths > 0) {
		a = manual(months.v);
		/* Fewer than twelve months entered: a partial year. */
		a.est = nmonths < 12;
	}
	return a;
}

/* A stock (areas, measured calorific value): the period's entry, else the
 * year's, else the latest earlier year's; land does not change monthly. */
static struct acc fact_stock(const struct ctx *c, const char *key)
{
	const struct reg_fact *best = NULL;

	for (size_t i = 0; i < c->nf; i++) {
		const struct reg_fact *f = &c->f[i];
		if (strcmp(f->key, key) != 0 || f->year > c->year)
			continue;
		if (f->year == c->year && c->month != 0 && f->month == c->month)
			return manual(f->value);
		if (f->month == 0 && (best == NULL || f->year > best->year))
			best = f;
	}
	return best != NULL ? manual(best->value) : ACC0;
}

static void balance_facts(const struct ctx *c, struct balance *b)
{
	b->out_value = fact_flow(c, "output_value_10k_cny");
	b->value_added = fact_flow(c, "value_added_10k_cny");
	b->green_kwh = fact_flow(c, "green_electricity_kwh");
	b->solid_gen = fact_flow(c, "solid_waste_generated_t");
	b->solid_used = fact_flow(c, "solid_waste_used_t");
	b->haz_gen = fact_flow(c, "hazardous_waste_generated_t");
	b->haz_disp = fact_flow(c, "hazardous_waste_disposed_t");
	b->land = fact_stock(c, "land_area_m2");
	b->floor = fact_stock(c, "floor_area_m2");
	b->footprint = fact_stock(c, "building_footprint_m2");
}

/* ---- factors ---- */

/* Multiplier taking a quantity in unit `from` to unit `to`. */
static int unit_scale(const char *from, const char *to, double *k)
{
	static const struct { const char *from, *to; double k; } t[] = {
		{ "t", "kg", 1000 }, { "kg", "t", 0.001 },
		{ "GJ", "MJ", 1000 }, { "MJ", "GJ", 0.001 },
		{ "kWh", "MWh", 0.001 }, { "MWh", "kWh", 1000 },
		{ "kWh", "MJ", 3.6 }, { "MJ", "kWh", 1 / 3.6 },
	};

	if (strcmp(from, to) == 0) {
		*k = 1;
		return GFI_OK;
	}
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (strcmp(t[i].from, from) == 0 && strcmp(t[i].to, to) == 0) {
			*k = t[i].k;
			return GFI_OK;
		}
	}
	return GFI_E_INVAL;
}

/* amount (in qunit) x factor, in kg of the factor's numerator (kgce or
 * kgCO2): the factor's value_unit says what it converts ("tCO2/t",
 * "kgce/MJ"), so a factor entered per GJ or per t needs no code change. */
static int apply_factor(double amount, const char *qunit,
			const struct store_factor *f, double *kg)
{
	char num[24], *den;
	double knum, kden;

	snprintf(num, sizeof(num), "%s", f->value_unit);
	if ((den = strchr(num, '/')) == NULL)
		return GFI_E_INVAL;
	*den++ = '\0';
	if (strcmp(num, "kgce") == 0 || strcmp(num, "kgCO2") == 0)
		knum = 1;
	else if (strcmp(num, "tce") == 0 || strcmp(num, "tCO2") == 0)
		knum = 1000;
	else
		return GFI_E_INVAL;
	if (unit_scale(qunit, den, &kden) != GFI_OK)
		return GFI_E_INVAL;
	*kg = amount * kden * f->value * knum;
	return GFI_OK;
}

/* Factor of (kind, carrier) for the computation's year and unit; a missing
 * or fallback factor marks a as estimated. GFI_E_NOTFOUND passes on. */
static int factor(const struct ctx *c, const char *kind, const char *carrier,
		  struct store_factor *f, struct acc *a)
{
	int fallback = 0;
	int ret = store_factor_get(c->s, kind, carrier, c->year, c->unit, f, &fallback);

	if (ret == GFI_OK && fallback)
		a->est = 1;
	else if (ret == GFI_E_NOTFOUND)
		a->est = 1;
	return ret;
}

/* ---- metered inputs ---- */

static const char *qunit(const char *quantity)
{
	if (strcmp(quantity, "gas_volume_m3") == 0)
		return "m3";
	if (strcmp(quantity, "heat_energy_gj") == 0)
		return "GJ";
	if (strstr(quantity, "_kwh") != NULL)
		return "kWh";
	return "t";    /* fuel_mass_t, steam_mass_t, product_mass_t */
}

/* Provenance bits of point m's readings in the period (from its rollups
 * and the imported counts beside them, never raw readings), counted into
 * b: metered, imported, or both. */
static int meter_prov(const struct ctx *c, const struct reg_meter *m,
		      struct balance *b, unsigned *prov)
{
	int64_t n = 0, imported = 0;
	int ret;

	*prov = PROV_BIT(PROV_METERED);
	if (!c->any_imports)     /* no query at all for a store without imports */
		return GFI_OK;
	ret = store_import_share(c->s, m->gateway, m->meter, m->point, c->t0,
				 c->t1, &n, &imported);
	if (ret != GFI_OK)
		return ret;
	b->readings += n;
	b->imported += imported;
	*prov = 0;
	if (imported > 0)
		*prov |= PROV_BIT(PROV_IMPORTED);
	if (imported < n || n == 0)
		*prov |= PROV_BIT(PROV_METERED);
	return GFI_OK;
}

/* Consumption of counter point m over the period. */
static int meter_total(const struct ctx *c, const struct reg_meter *m,
		       struct series_total *t)
{
	struct series_key k = { m->gateway, m->meter, m->point };
	int64_t interval = 0;
	int ret = series_interval_estimate(c->s, &k, c->t0, c->t1, &interval);

	if (ret == GFI_OK)
		ret = series_counter_total(c->s, &k, c->t0, c->t1, m->counter_max,
					   interval, t);
	return ret;
}

/* A fuel point: energy at its tce factor (a unit's measured calorific value
 * of natural gas overrides the reference, GB/T 2589-2020 4.2), CO2 at its
 * emission factor. */
static int add_fuel(const struct ctx *c, const struct reg_meter *m,
		    const struct series_total *t, unsigned prov, struct balance *b)
{
	struct store_factor f;
	struct acc ncv = strcmp(m->carrier, "natural_gas") == 0
		? fact_stock(c, "measured_ncv_gas_kgce_m3") : ACC0;
	const char *qu = qunit(m->quantity);
	double kg = 0;
	int ret;

	if (ncv.has) {
		memset(&f, 0, sizeof(f));
		f.value = ncv.v;
		snprintf(f.value_unit, sizeof(f.value_unit), "kgce/m3");
		ret = GFI_OK;
	} else {
		ret = factor(c, "tce", m->carrier, &f, &b->fuel_kgce);
	}
	if (ret == GFI_OK && apply_factor(t->value, qu, &f, &kg) == GFI_OK)
		acc_metered(&b->fuel_kgce, kg, t, prov);
	else if (ret != GFI_E_NOTFOUND && ret != GFI_OK)
		return ret;
	else
		b->fuel_kgce.est = 1;
	ret = factor(c, "co2", m->carrier, &f, &b->fuel_co2_kg);
	if (ret == GFI_OK && apply_factor(t->value, qu, &f, &kg) == GFI_OK)
		acc_metered(&b->fuel_co2_kg, kg, t, prov);
	else if (ret != GFI_E_NOTFOUND && ret != GFI_OK)
		return ret;
	else
		b->fuel_co2_kg.est = 1;
	return GFI_OK;
}

/* Purchased steam or heat. Steam (t) converts by the steam factor; its CO2
 * goes through its heat content: kgce / 0.03412 kgce/MJ = MJ, times the
 * purchased-heat factor, unless a 'co2' factor for steam is registered. */
static int add_heat(const struct ctx *c, const struct reg_meter *m,
		    const struct series_total *t, unsigned prov, struct balance *b)
{
	const char *qu = qunit(m->quantity);
	const char *carrier = m->carrier[0] ? m->carrier
				: strcmp(qu, "GJ") == 0 ? "heat" : "steam";
	struct store_factor f, fh;
	double kgce = 0, kgco2 = 0, mj = t->value;
	int ret = factor(c, "tce", carrier, &f, &b->heat_kgce);

	if (ret == GFI_OK && apply_factor(t->value, qu, &f, &kgce) == GFI_OK)
		acc_metered(&b->heat_kgce, kgce, t, prov);
	else if (ret != GFI_OK && ret != GFI_E_NOTFOUND)
		return ret;
	else
		b->heat_kgce.est = 1;
	ret = factor(c, "co2", carrier, &f, &b->heat_co2_kg);
	if (ret == GFI_OK && apply_factor(t->value, qu, &f, &kgco2) == GFI_OK) {
		acc_metered(&b->heat_co2_kg, kgco2, t, prov);
		return GFI_OK;
	}
	if (ret != GFI_OK && ret != GFI_E_NOTFOUND)
		return ret;
	/* Through heat content: GJ directly, steam by its tce equivalent. */
	if (strcmp(qu, "GJ") != 0) {
		if (factor(c, "tce", "heat", &fh, &b->heat_co2_kg) != GFI_OK ||
		    fh.value <= 0 || strcmp(fh.value_unit, "kgce/MJ") != 0) {
			b->heat_co2_kg.est = 1;
			return GFI_OK;
		}
		mj = kgce / fh.value;
		qu = "MJ";
	}
	if (factor(c, "co2", "heat", &f, &b->heat_co2_kg) == GFI_OK &&
	    apply_factor(mj, qu, &f, &kgco2) == GFI_OK)
		acc_metered(&b->heat_co2_kg, kgco2, t, prov);
	else
		b->heat_co2_kg.est = 1;
	return GFI_OK;
}

static int add_counter(const struct ctx *c, const struct reg_meter *m,
		       struct balance *b)
{
	struct series_total t;
	struct acc *dst = NULL;
	unsigned prov = 0;
	int ret = meter_total(c, m, &t);

	if (ret == GFI_OK)
		ret = meter_prov(c, m, b, &prov);
	if (ret != GFI_OK)
		return ret;
	acc_metered(&b->all, 0, &t, prov);
	switch (m->role) {
	case ROLE_ELEC_PURCHASED: dst = &b->elec_p; break;
	case ROLE_ELEC_EXPORTED: dst = &b->elec_x; break;
	case ROLE_RENEWABLE_GEN: dst = &b->ren; break;
	case ROLE_WATER_INTAKE: dst = &b->water_in; break;
	case ROLE_WATER_RECYCLED: dst = &b->water_re; break;
	case ROLE_WASTEWATER: dst = &b->wastewater; break;
	case ROLE_PRODUCTION: dst = &b->output; break;
	case ROLE_FUEL: return add_fuel(c, m, &t, prov, b);
	case ROLE_HEAT_PURCHASED: return add_heat(c, m, &t, prov, b);
	default: return GFI_OK;
	}
	acc_metered(dst, t.value, &t, prov);
	return GFI_OK;
}

/* ---- pollutants (HJ 75-2017 / HJ 212-2017 practice) ---- */

static const struct {
	const char *conc, *flow;
	enum pollutant pol;
	double to_t;     /* (conc unit x flow unit x s) -> t */
} pollutants[] = {
	/* mg/m3 x m3/h x s = mg x s/h: / 3600 s/h / 1e9 mg/t */
	{ "so2_mgm3", "flue_flow_m3h", POL_SO2, 1.0 / 3.6e12 },
	{ "nox_mgm3", "flue_flow_m3h", POL_NOX, 1.0 / 3.6e12 },
	{ "dust_mgm3", "flue_flow_m3h", POL_DUST, 1.0 / 3.6e12 },
	/* mg/L = g/m3; g/m3 x m3/h x s: / 3600 s/h / 1e6 g/t */
	{ "cod_mgl", "wastewater_flow_m3h", POL_COD, 1.0 / 3.6e9 },
	{ "nh3n_mgl", "wastewater_flow_m3h", POL_NH3N, 1.0 / 3.6e9 },
};

/* The stack point of the same meter measuring quantity, or NULL. */
static const struct reg_meter *same_meter(const struct ctx *c,
					  const struct reg_meter *m,
					  const char *quantity)
{
	for (size_t i = 0; i < c->nm; i++) {
		const struct reg_meter *o = &c->m[i];
		if (o->role == ROLE_STACK && strcmp(o->gateway, m->gateway) == 0 &&
		    strcmp(o->meter, m->meter) == 0 && strcmp(o->quantity, quantity) == 0)
			return o;
	}
	return NULL;
}

/* Load of one concentration point: the time integral of concentration x
 * flow, both sampled together (pairs within half a poll interval), over
 * valid data only: readings with status ok, and no non-zero cems_flag of
 * the same meter at that time. Trapezoids bridge at most 1.5 poll
 * intervals (at least 900 s): a missed poll is a hole, not a line. */
static int add_pollutant(const struct ctx *c, const struct reg_meter *m,
			 struct balance *b)
{
	for (size_t i = 0; i < sizeof(pollutants) / sizeof(pollutants[0]); i++) {
		const struct reg_meter *flow, *flag;
		struct series_key kc = { m->gateway, m->meter, m->point }, kf, kg;
		struct series_total t;
		int64_t interval = 0, gap;
		unsigned prov = 0, flow_prov = 0;
		int ret;

		if (strcmp(m->quantity, pollutants[i].conc) != 0)
			continue;
		flow = same_meter(c, m, pollutants[i].flow);
		flag = same_meter(c, m, "cems_flag");
		if (flow == NULL) {     /* a load needs a flow */
			pollutant_acc(b, pollutants[i].pol)->est = 1;
			return GFI_OK;
		}
		kf = (struct series_key){ flow->gateway, flow->meter, flow->point };
		if (flag != NULL)
			kg = (struct series_key){ flag->gateway, flag->meter, flag->point };
		ret = series_interval_estimate(c->s, &kc, c->t0, c->t1, &interval);
		gap = interval * 3 / 2 > 900 ? interval * 3 / 2 : 900;
		if (ret == GFI_OK)
			ret = series_gauge_product_integral(c->s, &kc, &kf,
							    flag ? &kg : NULL, c->t0, c->t1,
							    gap, interval / 2, interval, &t);
		if (ret == GFI_OK)
			ret = meter_prov(c, m, b, &prov);
		if (ret == GFI_OK)
			ret = meter_prov(c, flow, b, &flow_prov);
		if (ret != GFI_OK)
			return ret;
		prov |= flow_prov;
		acc_metered(pollutant_acc(b, pollutants[i].pol),
			    t.value * pollutants[i].to_t, &t, prov);
		acc_metered(&b->all, 0, &t, prov);
		return GFI_OK;
	}
	return GFI_OK;
}

/* The balance of one factory-like unit: its own points and facts. */
static int balance_unit(struct ctx *c, struct balance *b)
{
	int ret = ctx_load(c);

	balance_init(b);
	for (size_t i = 0; ret == GFI_OK && i < c->nm; i++) {
		const struct reg_meter *m = &c->m[i];
		if (m->role == ROLE_PRODUCTION) {
			/* The main product is the first production point by
			 * registry order; other points of that product add up
			 * (several lines), other products stay out of the table. */
			if (b->products == 0) {
				snprintf(b->product, sizeof(b->product), "%s", m->product);
				snprintf(b->product_unit, sizeof(b->product_unit), "%s",
					 m->product_unit);
			} else if (strcmp(b->product, m->product) != 0) {
				continue;
			}
			b->products++;
		}
		if (m->role == ROLE_STACK)
			ret = add_pollutant(c, m, b);
		else if (m->role != ROLE_SUBMETER && m->role != ROLE_NONE)
			ret = add_counter(c, m, b);
	}
	if (ret == GFI_OK)
		balance_facts(c, b);
	return ret;
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
	x->provenance = prov_of(q->prov);
	x->estimated = q->est;
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
	ret = factor(c, "tce", "electricity", &f, &e->q_equiv);
	if (ret != GFI_OK)
		return ret;
	e->f_equiv = f.value;
	ret = factor(c, "tce_equal", "electricity", &f, &e->q_equal);
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
	int ret = factor(c, "grid", "electricity", &grid, &ind);

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
		ret = factor(c, "grid_excl_green", "electricity", &excl, &green);
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

	if ((a->err = grow((void **)&a->p, &a->cap, a->n, sizeof(*a->p))) != GFI_OK)
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
		ctx_free(&mc);
		if (ret == GFI_OK)
			balance_add(b, &mb);
	}
	free(m.p);
	if (ret != GFI_OK)
		return ret;
	ret = ctx_load(c);
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
	struct acc q = manual(0);

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

static int compute(struct store *s, const char *unit, int year, int month,
		   struct ind_period *out)
{
	struct ctx c = { .s = s, .unit = unit, .year = year, .month = month };
	struct balance b;
	struct reg_unit u;
	int ret;

	memset(out, 0, sizeof(*out));
	snprintf(out->unit, sizeof(out->unit), "%s", unit);
	out->year = year;
	out->month = month;
	if ((ret = period_bounds(year, month, &c.t0, &c.t1)) != GFI_OK)
		return ret;
	if ((ret = store_unit_get(s, unit, &u)) != GFI_OK ||
	    (ret = store_import_any(s, &c.any_imports)) != GFI_OK)
		return ret;
	if (u.kind == UNIT_PARK) {
		int green = 0;
		size_t n = 0;
		ret = balance_park(&c, &b, &green, &n);
		if (ret == GFI_OK && n > 0) {
			struct acc q = manual(0);
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
	ctx_free(&c);
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

int indicators_compute(struct store *s, const char *unit, int year, int month,
		       struct ind_period *out)
{
	struct ind_period *last = NULL;
	int ret = compute(s, unit, year, month, out);

	if (ret != GFI_OK || year <= 1970)
		return ret;
	if ((last = malloc(sizeof(*last))) == NULL)
		return GFI_E_NOMEM;
	ret = compute(s, unit, year - 1, month, last);
	for (int i = 0; ret == GFI_OK && i < IND_N; i++) {
		const struct ind_value *l = &last->v[i];
		struct ind_value *v = &out->v[i];
		if (v->has_value && l->has_value && l->value != 0) {
			v->yoy_pct = (v->value - l->value) / fabs(l->value) * 100.0;
			v->has_yoy = 1;
		}
	}
	free(last);
	return ret;
}

/*
 * balance.c — the balance of one unit and period (balance.h).
 *
 * Per meter point, the period total (series.h) times the factor in force
 * for the unit and year (store_factor_get; a unit's measured calorific value
 * wins), summed by role; then the facts entered by hand. Purchased steam
 * goes by its enthalpy from the pressure and temperature registered for its
 * meter (steam.h), the table value only as an estimated fallback; a water
 * intake point's carrier says whether it is 取水量; each product keeps its
 * own output (docs/indicators.md).
 *
 * Invariants: sub-meters and roles without a balance never enter a total;
 * every carrier enters once at the unit's boundary.
 */
#include "balance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "period.h"
#include "registry.h"
#include "series.h"
#include "steam.h"

/* ---- accumulators ---- */

const struct acc ACC0 = { 0, 0, 1.0, 0, 0, 0 };



void acc_merge(struct acc *a, const struct acc *b)
{
	a->v += b->v;
	a->has |= b->has;
	a->compl = fmin(a->compl, b->compl);
	a->est |= b->est;
	a->prov |= b->prov;
	a->missing |= b->missing;
}

/* The quality of a and b together, without their values. */
struct acc acc_with(const struct acc *a, const struct acc *b)
{
	struct acc r = *a;
	r.compl = fmin(a->compl, b->compl);
	r.est |= b->est;
	r.prov |= b->prov;
	r.missing |= b->missing;
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
	a->est |= t->extrapolated || t->resets > 0 || t->split_gap;
	/* A point without a reading in the period provides nothing of its
	 * own: no provenance (its total, if any, spans the silence). */
	if (t->has_value && t->completeness > 0)
		a->prov |= prov;
}

enum ind_provenance acc_provenance(unsigned bits)
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





void balance_init(struct balance *b)
{
	memset(b, 0, sizeof(*b));
#define X(n) b->n = ACC0;
	BALANCE_ACCS(X)
#undef X
	b->output = ACC0;
}

/* a += a member's m, its missing bits moved up by shift (the member's
 * list follows the park's); bits past the list's end fold into the last. */
static void merge_member(struct acc *a, const struct acc *m, int shift)
{
	struct acc moved = *m;

	moved.missing = 0;
	for (int i = 0; i < IND_MISSING_MAX; i++) {
		if (m->missing & (1u << i))
			moved.missing |= 1u << (i + shift < IND_MISSING_MAX
						? i + shift : IND_MISSING_MAX - 1);
	}
	acc_merge(a, &moved);
}

/* Sum a member's balance into a park's (facts too: the park's own facts
 * replace those sums afterwards). */
void balance_add(struct balance *b, const struct balance *m)
{
	int shift = b->nmissing;

	for (int i = 0; i < m->nmissing; i++) {
		if (b->nmissing < IND_MISSING_MAX)
			b->missing[b->nmissing++] = m->missing[i];
		else
			b->missing_more++;
	}
	b->missing_more += m->missing_more;
#define X(n) merge_member(&b->n, &m->n, shift);
	BALANCE_ACCS(X)
#undef X
	b->readings += m->readings;
	b->imported += m->imported;
}

struct acc *pollutant_acc(struct balance *b, enum pollutant p)
{
	struct acc *a[POL_N] = { &b->pol_so2, &b->pol_nox, &b->pol_dust,
				 &b->pol_cod, &b->pol_nh3n };
	return a[p];
}

/* ---- what one computation needs ---- */



int balance_grow(void **buf, size_t *cap, size_t n, size_t size)
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

int balance_append(void **buf, size_t *cap, size_t *n, size_t size,
		   const void *row)
{
	int ret = balance_grow(buf, cap, *n, size);

	if (ret == GFI_OK)
		memcpy((char *)*buf + (*n)++ * size, row, size);
	return ret;
}

/* One point span: the meter into c->m, its span beside it in c->span. */
static int point_row(void *p, const void *row)
{
	const struct store_point_span *ps = row;
	struct ctx *c = p;

	c->err = balance_grow((void **)&c->span, &c->span_cap, c->nm, sizeof(*c->span));
	if (c->err == GFI_OK)
		c->err = balance_append((void **)&c->m, &c->cap, &c->nm, sizeof(*c->m),
					&ps->m);
	if (c->err == GFI_OK)
		c->span[c->nm - 1] = (struct point_span){ ps->from_s, ps->to_s };
	return c->err != GFI_OK;
}

static int fact_row(void *p, const void *row)
{
	struct ctx *c = p;

	c->err = balance_append((void **)&c->f, &c->fcap, &c->nf, sizeof(*c->f), row);
	return c->err != GFI_OK;
}

/* The unit's points in registry order (gateway, meter, point) and facts;
 * each point's span: when in the period it was the unit's, through its
 * gateway or on its own (store_moves.h). */
int balance_ctx_load(struct ctx *c)
{
	int ret = store_point_list_unit_spans(c->s, c->unit, c->t0, c->t1, point_row, c);

	if (ret == GFI_OK)
		ret = c->err;
	if (ret == GFI_OK)
		ret = store_fact_list(c->s, c->unit, 0, fact_row, c);
	return ret != GFI_OK ? ret : c->err;
}

void balance_ctx_free(struct ctx *c)
{
	free(c->span);
	free(c->m);
	free(c->f);
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
int balance_factor(const struct ctx *c, const char *kind, const char *carrier,
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
	ret = store_import_share(c->s, m->gateway, m->meter, m->point, SPAN(c, m).t0,
				 SPAN(c, m).t1, &n, &imported);
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
	int64_t interval = 0, t0 = SPAN(c, m).t0, t1 = SPAN(c, m).t1;
	int ret = series_interval_estimate(c->s, &k, t0, t1, &interval);

	if (ret == GFI_OK)
		ret = series_counter_total(c->s, &k, t0, t1, m->counter_max, interval, t);
	return ret;
}

/* amount (in qu, point total t's) converted by f (looked up with result
 * ret) into a; a missing factor marks a estimated, a store failure passes
 * on. */
static int add_converted(int ret, const struct store_factor *f, double amount,
			 const char *qu, const struct series_total *t,
			 unsigned prov, struct acc *a)
{
	double kg = 0;

	if (ret == GFI_OK && apply_factor(amount, qu, f, &kg) == GFI_OK)
		acc_metered(a, kg, t, prov);
	else if (ret != GFI_E_NOTFOUND && ret != GFI_OK)
		return ret;
	else
		a->est = 1;
	return GFI_OK;
}

/* A fuel point: energy at its tce factor (a unit's measured calorific value
 * of natural gas overrides the reference, GB/T 2589-2020 4.2), CO2 at its
 * emission factor. */
static int add_fuel(const struct ctx *c, const struct reg_meter *m,
		    const struct series_total *t, unsigned prov, struct balance *b)
{
	struct store_factor f;
	struct acc ncv = strcmp(m->carrier, "natural_gas") == 0
		? balance_fact_stock(c, "measured_ncv_gas_kgce_m3") : ACC0;
	const char *qu = qunit(m->quantity);
	int ret;

	if (ncv.has) {
		memset(&f, 0, sizeof(f));
		f.value = ncv.v;
		snprintf(f.value_unit, sizeof(f.value_unit), "kgce/m3");
		ret = GFI_OK;
	} else {
		ret = balance_factor(c, "tce", m->carrier, &f, &b->fuel_kgce);
	}
	if ((ret = add_converted(ret, &f, t->value, qu, t, prov, &b->fuel_kgce)) != GFI_OK)
		return ret;
	ret = balance_factor(c, "co2", m->carrier, &f, &b->fuel_co2_kg);
	return add_converted(ret, &f, t->value, qu, t, prov, &b->fuel_co2_kg);
}

/* The GJ of purchased steam (t) by its enthalpy: GJ = t x (h - 83.74
 * kJ/kg) / 1000, h from the pressure and temperature registered for the
 * point (facts steam_pressure_mpa.METER, steam_temperature_c.METER;
 * IAPWS-IF97 region 2, steam.h). GFI_E_NOTFOUND without both facts,
 * GFI_E_RANGE for a state outside region 2. */
static int steam_gj(const struct ctx *c, const struct reg_meter *m, double t,
		    double *gj)
{
	char kp[96], kt[96];  /* longer than a fact key: then no match */
	struct acc p, temp;
	double h;
	int ret;

	snprintf(kp, sizeof(kp), "steam_pressure_mpa.%s", m->meter);
	snprintf(kt, sizeof(kt), "steam_temperature_c.%s", m->meter);
	p = balance_fact_stock(c, kp);
	temp = balance_fact_stock(c, kt);
	if (!p.has || !temp.has)
		return GFI_E_NOTFOUND;
	if ((ret = steam_enthalpy_kj_kg(p.v, temp.v, &h)) != GFI_OK)
		return ret;
	*gj = t * (h - STEAM_FEEDWATER_KJ_KG) / 1000.0;
	return GFI_OK;
}

/* The GJ and kgce of purchased heat or steam. Heat in GJ is itself; steam
 * by its enthalpy, kgce = GJ x the heat factor (34.12 kgce/GJ); without a
 * registered pressure and temperature, steam falls back to the steam
 * factor (0.1286 kgce/kg, the 2008 table value), marked estimated, and its
 * GJ is kgce / the heat factor. */
static int heat_content(const struct ctx *c, const struct reg_meter *m,
			const struct series_total *t, struct balance *b,
			double *gj, double *kgce)
{
	const char *qu = qunit(m->quantity);
	struct store_factor fh, fs;
	double per_gj = 0;
	int ret = balance_factor(c, "tce", "heat", &fh, &b->heat_kgce);

	if (ret == GFI_OK && (ret = apply_factor(1.0, "GJ", &fh, &per_gj)) == GFI_OK &&
	    per_gj <= 0)
		ret = GFI_E_INVAL;
	if (ret != GFI_OK)
		return ret;
	if (strcmp(qu, "GJ") == 0) {
		*gj = t->value;
		*kgce = *gj * per_gj;
		return GFI_OK;
	}
	if (steam_gj(c, m, t->value, gj) == GFI_OK) {
		*kgce = *gj * per_gj;
		return GFI_OK;
	}
	b->heat_kgce.est = 1;
	b->heat_co2_kg.est = 1;
	b->heat_gj.est = 1;
	ret = balance_factor(c, "tce", m->carrier[0] ? m->carrier : "steam", &fs,
			     &b->heat_kgce);
	if (ret == GFI_OK && (ret = apply_factor(t->value, qu, &fs, kgce)) == GFI_OK)
		*gj = *kgce / per_gj;
	return ret;
}

/* Purchased steam or heat: its GJ (heat_content), energy at the heat
 * factor, CO2 at the purchased-heat factor per GJ (the same GJ, DOMAIN.md);
 * the mass of steam also counts in 取水量 (steam_t). */
static int add_heat(const struct ctx *c, const struct reg_meter *m,
		    const struct series_total *t, unsigned prov, struct balance *b)
{
	struct store_factor f;
	double gj = 0, kgce = 0;
	int ret = heat_content(c, m, t, b, &gj, &kgce);

	if (strcmp(qunit(m->quantity), "t") == 0)
		acc_metered(&b->steam_t, t->value, t, prov);
	if (ret == GFI_E_NOTFOUND || ret == GFI_E_INVAL) {
		b->heat_kgce.est = b->heat_co2_kg.est = b->heat_gj.est = 1;
		return GFI_OK;
	}
	if (ret != GFI_OK)
		return ret;
	acc_metered(&b->heat_kgce, kgce, t, prov);
	acc_metered(&b->heat_gj, gj, t, prov);
	ret = balance_factor(c, "co2", "heat", &f, &b->heat_co2_kg);
	return add_converted(ret, &f, gj, "GJ", t, prov, &b->heat_co2_kg);
}

/* Water sources that are not 取水量 (GB/T 18820-2023, GB/T 36132-2025
 * B.8): non-conventional water, by the intake point's carrier. */
static const char *const nonconventional_water[] = {
	"recycled", "reclaimed", "recycled_municipal", "reclaimed_water",
	"seawater", "brackish", "brackish_water", "mine_water", "rain",
	"rainwater", NULL,
};

static int water_is_conventional(const char *carrier)
{
	for (const char *const *w = nonconventional_water; *w != NULL; w++) {
		if (strcmp(*w, carrier) == 0)
			return 0;
	}
	return 1;
}

/* The product entry of production point m (added in registry order), or
 * NULL beyond BALANCE_PRODUCTS_MAX. */
static struct balance_product *product_of(struct balance *b,
					  const struct reg_meter *m)
{
	struct balance_product *p;

	for (int i = 0; i < b->nprod && i < BALANCE_PRODUCTS_MAX; i++) {
		if (strcmp(b->prod[i].name, m->product) == 0)
			return &b->prod[i];
	}
	if (b->nprod++ >= BALANCE_PRODUCTS_MAX)
		return NULL;
	p = &b->prod[b->nprod - 1];
	snprintf(p->name, sizeof(p->name), "%s", m->product);
	snprintf(p->unit, sizeof(p->unit), "%s", m->product_unit);
	p->out = ACC0;
	return p;
}

/* Where a counter point's consumption goes in b, by role (and carrier for
 * water intake and wastewater); NULL: nowhere. */
static struct acc *counter_dst(struct balance *b, const struct reg_meter *m)
{
	struct balance_product *p;

	switch (m->role) {
	case ROLE_ELEC_PURCHASED: return &b->elec_p;
	case ROLE_ELEC_EXPORTED: return &b->elec_x;
	case ROLE_RENEWABLE_GEN: return &b->ren;
	case ROLE_WATER_INTAKE:
		return water_is_conventional(m->carrier) ? &b->water_in : &b->water_nonconv;
	case ROLE_WATER_RECYCLED: return &b->water_re;
	case ROLE_WASTEWATER:
		return strcmp(m->carrier, "generated") == 0 ? &b->wastewater_gen
							    : &b->wastewater;
	case ROLE_PRODUCTION:
		p = product_of(b, m);
		return p != NULL ? &p->out : NULL;
	default: return NULL;
	}
}

/* Whether point m's total t is a missing input of c's period: no value or
 * no reading in it, readings covering less than the min_coverage setting,
 * or a silence a bound cuts. Listed in b with meter and carrier; the bit
 * of its entry returned (0: measured). A retired point, or one registered
 * after the period with no readings around it, was not in use: not missing. */
static unsigned missing_input(const struct ctx *c, const struct reg_meter *m,
			      const struct series_total *t, struct balance *b)
{
	struct ind_missing *x;
	enum ind_missing_kind kind;
	int i;

	/* Not in use: retired (its successor carries the series), or
	 * registered after the period with no history around it (a silence
	 * spanned by imported readings is a silence, not absence). */
	if (m->retired || (!t->has_value && m->registered_s >= c->t1))
		return 0;
	if (!t->has_value || t->completeness <= 0)
		kind = MISSING_NO_READINGS;
	else if (t->completeness < indicators_min_coverage())
		kind = MISSING_COVERAGE;
	else if (t->split_gap)
		kind = MISSING_SPLIT_GAP;
	else
		return 0;
	if (b->nmissing == IND_MISSING_MAX) {   /* listed ones stay as they are */
		b->missing_more++;
		return 1u << (IND_MISSING_MAX - 1);
	}
	i = b->nmissing++;
	x = &b->missing[i];
	memset(x, 0, sizeof(*x));
	snprintf(x->unit, sizeof(x->unit), "%s", c->unit);
	snprintf(x->point, sizeof(x->point), "%s/%s/%s", m->gateway, m->meter, m->point);
	snprintf(x->carrier, sizeof(x->carrier), "%s",
		 m->carrier[0] ? m->carrier : registry_role_name(m->role));
	x->kind = kind;
	x->coverage = t->has_value ? t->completeness : 0;
	return 1u << i;
}

/* The accumulators counter point m feeds, NULL-terminated: one for a plain
 * quantity (counter_dst); fuels and heat feed energy (kgce) and CO2, heat
 * its GJ and steam mass too. */
static void role_accs(struct balance *b, const struct reg_meter *m, struct acc *out[5])
{
	out[0] = out[1] = out[2] = out[3] = out[4] = NULL;
	switch (m->role) {
	case ROLE_FUEL: out[0] = &b->fuel_kgce; out[1] = &b->fuel_co2_kg; break;
	case ROLE_HEAT_PURCHASED:
		out[0] = &b->heat_kgce;
		out[1] = &b->heat_co2_kg;
		out[2] = &b->heat_gj;
		out[3] = &b->steam_t;
		break;
	default: out[0] = counter_dst(b, m); break;
	}
}

/* Mark what point m feeds as estimated by the missing input bit. */
static void mark_missing(struct balance *b, const struct reg_meter *m, unsigned bit)
{
	struct acc *dst[5];

	role_accs(b, m, dst);
	for (int i = 0; bit != 0 && dst[i] != NULL; i++) {
		dst[i]->missing |= bit;
		dst[i]->est = 1;
	}
}

static int add_counter(const struct ctx *c, const struct reg_meter *m,
		       struct balance *b)
{
	struct series_total t;
	struct acc *dst;
	unsigned prov = 0;
	int ret = meter_total(c, m, &t);

	if (ret == GFI_OK)
		ret = meter_prov(c, m, b, &prov);
	if (ret != GFI_OK)
		return ret;
	acc_metered(&b->all, 0, &t, prov);
	mark_missing(b, m, missing_input(c, m, &t, b));
	if (m->role == ROLE_FUEL)
		return add_fuel(c, m, &t, prov, b);
	if (m->role == ROLE_HEAT_PURCHASED)
		return add_heat(c, m, &t, prov, b);
	if ((dst = counter_dst(b, m)) != NULL)
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
		int64_t interval = 0, gap, t0 = SPAN(c, m).t0, t1 = SPAN(c, m).t1;
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
		ret = series_interval_estimate(c->s, &kc, t0, t1, &interval);
		gap = interval * 3 / 2 > 900 ? interval * 3 / 2 : 900;
		if (ret == GFI_OK)
			ret = series_gauge_product_integral(c->s, &kc, &kf,
							    flag ? &kg : NULL, t0, t1,
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
int balance_unit(struct ctx *c, struct balance *b)
{
	int ret = balance_ctx_load(c);

	balance_init(b);
	for (size_t i = 0; ret == GFI_OK && i < c->nm; i++) {
		const struct reg_meter *m = &c->m[i];
		if (m->role == ROLE_STACK)
			ret = add_pollutant(c, m, b);
		else if (m->role != ROLE_SUBMETER && m->role != ROLE_NONE)
			ret = add_counter(c, m, b);
	}
	if (ret == GFI_OK)
		balance_facts(c, b);
	/* The main product is the first by registry order; every product
	 * keeps its own output for its own per-product figure. */
	if (b->nprod > 0) {
		b->output = b->prod[0].out;
		snprintf(b->product, sizeof(b->product), "%s", b->prod[0].name);
		snprintf(b->product_unit, sizeof(b->product_unit), "%s", b->prod[0].unit);
	}
	return ret;
}

/*
 * score.c — the platform rows, their scores and the city's outlook
 * (score.h, docs/report.md "The platform's table").
 *
 * Why here: the rows are the indicators of indicators.c converted to the
 * form's units (tce to kgce, a per-value figure over 工业总产值), plus a few
 * rows read from facts; scoring them needs the sector's benchmarks, and the
 * outlook needs every factory of the city, so it is one pass over the city
 * (score_city_compute) that the report, the API and the benchmark share.
 *
 * Invariants: a row is scored only when a benchmark applies to it; a scored
 * row without a value scores 0 (it costs its whole weight); ranks are
 * competition ranks (ties share the better rank, hence the better grade);
 * the grade shares are ceil(5 %) and ceil(35 %) of the ranked units, in
 * integer arithmetic.
 */
#include "score.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balance.h"
#include "error.h"
#include "grow.h"
#include "period.h"

const char *const score_aim_zh[AIM_N] = { "能源低碳化", "资源高效化", "生产洁净化",
					  "产品绿色化", "用地集约化" };
const char *const score_aim_en[AIM_N] = { "low-carbon energy", "efficient resources",
					  "clean production", "green products",
					  "intensive land use" };
const char *const score_grade_names[] = { "", "A+", "A", "B", NULL };

#define QUAL(n, aim) { n, aim, ROW_TEXT, "qualitative_" #n, "定性指标(第" #n "行)", \
	"qualitative row " #n " (entered by hand)", "", NULL, NULL, NULL, NULL, 1, \
	"企业提供的证明材料 the unit's evidence" }

static const struct score_row_def rows[SCORE_ROWS] = {
	{ 1, AIM_ENERGY, ROW_VALUE, "energy_per_value", "单位产值综合能耗",
	  "energy per output value", "kgce/10^4 CNY", "energy_per_product",
	  "单位产品综合能耗", "energy per product (能耗限额)", "kgce/unit", 0,
	  "统计报表 B204-1 (产量、产值), 205-1 (能源购进、消费与库存)" },
	{ 2, AIM_ENERGY, ROW_VALUE, "co2_per_value", "单位产值碳排放量",
	  "CO2 per output value", "kgCO2/10^4 CNY", NULL, NULL, NULL, NULL, 0,
	  "温室气体排放报告 GHG report, B204-1" },
	{ 3, AIM_ENERGY, ROW_VALUE, "renewable_share_pct", "可再生能源利用率",
	  "renewable share", "%", NULL, NULL, NULL, NULL, 1,
	  "205-1, 绿电交易合同与结算单 green-power contracts and settlements, 绿证" },
	{ 4, AIM_ENERGY, ROW_VALUE, "energy_mgmt_functions", "能碳管理系统功能数",
	  "functions of the energy and carbon management system", "count", NULL,
	  NULL, NULL, NULL, 1, "系统截图 screenshots" },
	QUAL(5, AIM_ENERGY),
	QUAL(6, AIM_ENERGY),
	{ 7, AIM_RESOURCES, ROW_VALUE, "water_per_value", "单位产值取水量",
	  "water intake per output value", "m3/10^4 CNY", "water_per_product",
	  "单位产品取水量", "water intake per product (取水定额)", "m3/unit", 0,
	  "205-4 (工业用水)" },
	{ 8, AIM_RESOURCES, ROW_VALUE, "water_reuse_pct", "工业用水重复利用率",
	  "industrial water reuse rate", "%", NULL, NULL, NULL, NULL, 1,
	  "205-4, 循环和回用水计量记录 metered recirculated and reused volumes" },
	{ 9, AIM_RESOURCES, ROW_VALUE, "solid_waste_use_pct",
	  "一般工业固体废物综合利用率", "general solid waste use rate", "%", NULL,
	  NULL, NULL, NULL, 1, "固废台账 ledger, 基101" },
	QUAL(10, AIM_RESOURCES),
	QUAL(11, AIM_RESOURCES),
	{ 12, AIM_CLEAN, ROW_VALUE, "green_investment_pct",
	  "近三年绿色化改造投资占产值比例", "three-year green-retrofit investment over "
	  "output value", "%", NULL, NULL, NULL, NULL, 1,
	  "投资凭证 investment records, B204-1" },
	{ 13, AIM_CLEAN, ROW_MONITORING, "permit_margin_pct",
	  "废气主要污染物年均排放浓度优于许可限值的最低比例",
	  "lowest margin of annual mean concentration below the permit limit", "%",
	  NULL, NULL, NULL, NULL, 1,
	  "排污许可证 permit, 在线监测记录 online monitoring records" },
	QUAL(14, AIM_CLEAN),
	{ 15, AIM_PRODUCTS, ROW_VALUE, "footprint_share_pct",
	  "开展碳足迹核算的产品类别占比", "share of product categories with a carbon "
	  "footprint", "%", NULL, NULL, NULL, NULL, 1, "碳足迹报告 footprint reports" },
	{ 16, AIM_LAND, ROW_VALUE, "output_per_land", "单位用地面积产值",
	  "output value per m2 of land", "10^4 CNY/m2", NULL, NULL, NULL, NULL, 1,
	  "总平面图 site plan, B204-1" },
	{ 17, AIM_LAND, ROW_VALUE, "building_coeff_pct", "建筑系数",
	  "building coefficient", "%", NULL, NULL, NULL, NULL, 1, "总平面图 site plan" },
	{ 18, AIM_LAND, ROW_VALUE, "plot_ratio", "容积率", "plot ratio", "", NULL,
	  NULL, NULL, NULL, 1, "总平面图 site plan, 不动产权证 land title" },
};

const struct score_row_def *score_rows(void)
{
	return rows;
}

double score_linear(double v, double baseline, double leading, double weight)
{
	double frac = (v - baseline) / (leading - baseline);

	if (!(frac > 0))
		return 0;
	return frac >= 1 ? weight : weight * frac;
}

/* ---- facts ---- */

/* The year's figure of a flow fact: its whole-year entry, else the sum of
 * its months; *has 0 when neither exists. */
static double fact_year(const struct gfi_rows *f, const char *key, int year, int *has)
{
	const struct reg_fact *v = f->v;
	double whole = 0, months = 0;
	int has_whole = 0, has_months = 0;

	for (size_t i = 0; i < f->n; i++) {
		if (v[i].year != year || strcmp(v[i].key, key) != 0)
			continue;
		if (v[i].month == 0) {
			whole = v[i].value;
			has_whole = 1;
		} else {
			months += v[i].value;
			has_months = 1;
		}
	}
	*has = has_whole || has_months;
	return has_whole ? whole : months;
}

/* ---- the rows ---- */

static void from_ind(struct score_row *r, const struct ind_value *v, double scale)
{
	r->has_value = v->has_value;
	r->value = v->value * scale;
	r->completeness = v->completeness;
	r->provenance = v->provenance;
}

/* value = num / den of two indicators, scaled: worst completeness, derived. */
static void ratio_of(struct score_row *r, const struct ind_value *num,
		     const struct ind_value *den, double scale)
{
	r->has_value = num->has_value && den->has_value && den->value > 0;
	r->value = r->has_value ? num->value * scale / den->value : 0;
	r->completeness = fmin(num->completeness, den->completeness);
	r->provenance = r->has_value ? PROV_DERIVED : PROV_NONE;
	if (!r->has_value)
		r->note = "needs both inputs (工业总产值 output value)";
}

/* value = Σ num / Σ den over the years [year - span + 1, year], in %. */
static void fact_share(struct score_row *r, const struct gfi_rows *f, const char *num,
		       const char *den, int year, int span)
{
	double n = 0, d = 0;
	int any_num = 0, all_den = 1;

	for (int y = year - span + 1; y <= year; y++) {
		int hn, hd;
		n += fact_year(f, num, y, &hn);
		d += fact_year(f, den, y, &hd);
		any_num |= hn;
		all_den &= hd;
	}
	r->has_value = any_num && all_den && d > 0;
	r->value = r->has_value ? n / d * 100 : 0;
	r->completeness = 1;
	r->provenance = r->has_value ? PROV_MANUAL : PROV_NONE;
	if (!r->has_value)
		r->note = "needs entered facts (admin fact set)";
}

static void row_value(struct score_row *r, int alt, const struct ind_period *p,
		      const struct gfi_rows *f)
{
	const struct ind_value *v = p->v;
	const char *k = r->def->key;

	if (alt && r->def->no == 1)
		from_ind(r, &v[IND_ENERGY_PER_PRODUCT], 1);
	else if (alt && r->def->no == 7)
		from_ind(r, &v[IND_WATER_PER_PRODUCT], 1);
	else if (r->def->no == 1)
		from_ind(r, &v[IND_ENERGY_PER_VALUE], 1000);
	else if (r->def->no == 7)
		ratio_of(r, &v[IND_WATER_INTAKE_M3], &v[IND_OUTPUT_VALUE], 1);
	else if (strcmp(k, "co2_per_value") == 0)
		ratio_of(r, &v[IND_CO2_T], &v[IND_OUTPUT_VALUE], 1000);
	else if (strcmp(k, "renewable_share_pct") == 0)
		from_ind(r, &v[IND_RENEWABLE_SHARE_PCT], 1);
	else if (strcmp(k, "water_reuse_pct") == 0)
		from_ind(r, &v[IND_WATER_REUSE_PCT], 1);
	else if (strcmp(k, "solid_waste_use_pct") == 0)
		from_ind(r, &v[IND_SOLID_WASTE_USE_PCT], 1);
	else if (strcmp(k, "output_per_land") == 0)
		from_ind(r, &v[IND_OUTPUT_PER_LAND], 1);
	else if (strcmp(k, "building_coeff_pct") == 0)
		from_ind(r, &v[IND_BUILDING_COEFF_PCT], 1);
	else if (strcmp(k, "plot_ratio") == 0)
		from_ind(r, &v[IND_PLOT_RATIO], 1);
	else if (strcmp(k, "green_investment_pct") == 0)
		fact_share(r, f, "green_investment_10k_cny", "output_value_10k_cny", p->year, 3);
	else if (strcmp(k, "footprint_share_pct") == 0)
		fact_share(r, f, "footprint_products", "product_categories", p->year, 1);
	else if (strcmp(k, "energy_mgmt_functions") == 0) {
		r->value = fact_year(f, k, p->year, &r->has_value);
		r->completeness = 1;
		r->provenance = r->has_value ? PROV_MANUAL : PROV_NONE;
	}
	if (!r->has_value && r->note[0] == '\0')
		r->note = "no value";
}

/* Pick the row's variant and benchmark: the per-product variant where the
 * sector has a benchmark for it. */
static int row_bench(struct store *s, const char *sector, const struct ind_period *p,
		     struct score_row *r, int *alt)
{
	const struct score_row_def *d = r->def;
	int band = d->no == 3 ? p->renewable_band : 0, ret = GFI_E_NOTFOUND;

	*alt = 0;
	if (d->alt_key != NULL) {
		ret = store_benchmark_get(s, sector, d->alt_key, band, p->year, &r->bench);
		*alt = ret == GFI_OK;
	}
	if (ret == GFI_E_NOTFOUND)
		ret = store_benchmark_get(s, sector, d->key, band, p->year, &r->bench);
	r->has_bench = ret == GFI_OK;
	r->key = *alt ? d->alt_key : d->key;
	r->zh = *alt ? d->alt_zh : d->zh;
	r->en = *alt ? d->alt_en : d->en;
	r->unit = *alt ? d->alt_unit : d->unit;
	return ret == GFI_E_NOTFOUND ? GFI_OK : ret;
}

static void row_score(struct score_unit *su, struct score_row *r)
{
	if (!r->has_bench)
		return;
	r->score = r->has_value ? score_linear(r->value, r->bench.baseline,
					       r->bench.leading, r->bench.weight) : 0;
	r->lost = r->bench.weight - r->score;
	su->subtotal[r->def->aim] += r->score;
	su->max[r->def->aim] += r->bench.weight;
	su->total += r->score;
	su->max_total += r->bench.weight;
	su->scored = 1;
}

int score_unit_compute(struct store *s, const char *sector,
		       const struct ind_period *p, struct score_unit *out)
{
	struct gfi_rows f = GFI_ROWS(struct reg_fact);
	int ret;

	memset(out, 0, sizeof(*out));
	snprintf(out->unit, sizeof(out->unit), "%s", p->unit);
	out->year = p->year;
	out->band = p->renewable_band;
	ret = store_fact_list(s, p->unit, 0, gfi_rows_collect, &f);
	if (ret == GFI_OK)
		ret = f.err;
	for (int i = 0; ret == GFI_OK && i < SCORE_ROWS; i++) {
		struct score_row *r = &out->rows[i];
		int alt = 0;

		r->def = &rows[i];
		r->note = "";
		if ((ret = row_bench(s, sector, p, r, &alt)) != GFI_OK)
			break;
		if (r->def->kind == ROW_MONITORING)
			r->note = "needs online monitoring data";
		else if (r->def->kind == ROW_TEXT)
			r->note = "entered by hand";
		else
			row_value(r, alt, p, &f);
		row_score(out, r);
	}
	free(f.v);
	return ret;
}

int score_costliest(const struct score_unit *su, int idx[3])
{
	int n = 0;

	while (n < 3) {
		int best = -1;
		for (int i = 0; i < SCORE_ROWS; i++) {
			const struct score_row *r = &su->rows[i];
			int taken = 0;
			for (int k = 0; k < n; k++)
				taken |= idx[k] == i;
			if (r->has_bench && r->lost > 0 && !taken &&
			    (best < 0 || r->lost > su->rows[best].lost))
				best = i;
		}
		if (best < 0)
			break;
		idx[n++] = best;
	}
	return n;
}

/* ---- outlook ---- */

/* ceil(pct % of n) in integers. */
static int share_of(size_t n, int pct)
{
	return (int)(((size_t)pct * n + 99) / 100);
}

void score_grade(const double *totals, size_t n, int *rank, enum score_grade *grade)
{
	int top = share_of(n, 5), next = share_of(n, 35);

	for (size_t i = 0; i < n; i++) {
		int r = 1;
		for (size_t j = 0; j < n; j++)
			r += totals[j] > totals[i];
		rank[i] = r;
		grade[i] = r <= top ? GRADE_A_PLUS : r <= top + next ? GRADE_A : GRADE_B;
	}
}

int score_in_bottom(int rank, size_t n)
{
	return n > 0 && rank > (int)n - share_of(n, 5);
}

/* ---- the city ---- */

static int collect_factory(void *ctx, const void *row)
{
	struct score_city *c = ctx;
	const struct reg_unit *u = row;

	if (u->retired || u->kind != UNIT_FACTORY)
		return 0;
	/* An entry is tens of kB: grown in place, never copied from the stack. */
	if (balance_grow((void **)&c->e, &c->cap, c->n, sizeof(*c->e)) != GFI_OK) {
		c->nomem = 1;
		return 1;
	}
	memset(&c->e[c->n], 0, sizeof(c->e[c->n]));
	c->e[c->n++].u = *u;
	return 0;
}

/* Rank the entries scored in year index k (those of sector when not NULL)
 * into rank[] and grade[] (0 / GRADE_NONE for the others); returns how many
 * were ranked, or -1 out of memory. */
static int rank_year(const struct score_city *c, int k, const char *sector,
		     int *rank, enum score_grade *grade)
{
	double *totals = malloc((c->n + 1) * sizeof(*totals));
	size_t *idx = malloc((c->n + 1) * sizeof(*idx)), m = 0;
	int *r = malloc((c->n + 1) * sizeof(*r));
	enum score_grade *g = malloc((c->n + 1) * sizeof(*g));

	if (totals == NULL || idx == NULL || r == NULL || g == NULL) {
		free(totals), free(idx), free(r), free(g);
		return -1;
	}
	for (size_t i = 0; i < c->n; i++) {
		rank[i] = 0;
		grade[i] = GRADE_NONE;
		if (c->e[i].y[k].scored &&
		    (sector == NULL || strcmp(c->e[i].u.sector, sector) == 0)) {
			idx[m] = i;
			totals[m++] = c->e[i].y[k].total;
		}
	}
	score_grade(totals, m, r, g);
	for (size_t j = 0; j < m; j++) {
		rank[idx[j]] = r[j];
		grade[idx[j]] = g[j];
	}
	free(totals), free(idx), free(r), free(g);
	return (int)m;
}

/* Whether an entry before i has i's sector (graded with it already). */
static int sector_seen(const struct score_city *c, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(c->e[j].u.sector, c->e[i].u.sector) == 0)
			return 1;
	return 0;
}

/* The city's grades of the table's year, each sector's where it has ten
 * scored units, and the bottom 5 % of the last three complete years
 * (first_complete: 0 when the year itself is complete, else 1). */
static int outlook(struct score_city *c, int first_complete)
{
	int *rank = malloc((c->n + 1) * sizeof(*rank)), of;
	enum score_grade *grade = malloc((c->n + 1) * sizeof(*grade));
	int ret = GFI_E_NOMEM;

	if (rank == NULL || grade == NULL || (of = rank_year(c, 0, NULL, rank, grade)) < 0)
		goto done;
	for (size_t i = 0; i < c->n; i++) {
		c->e[i].o.rank = rank[i];
		c->e[i].o.of = rank[i] ? of : 0;
		c->e[i].o.grade = grade[i];
	}
	for (size_t i = 0; i < c->n; i++) {
		if (sector_seen(c, i))
			continue;
		int m = rank_year(c, 0, c->e[i].u.sector, rank, grade);
		if (m < 0)
			goto done;
		for (size_t t = i; m >= SCORE_SECTOR_MIN && t < c->n; t++) {
			if (rank[t] == 0)
				continue;
			c->e[t].o.sector_rank = rank[t];
			c->e[t].o.sector_of = m;
			c->e[t].o.sector_grade = grade[t];
		}
	}
	for (int w = 0; w < 3; w++) {
		int k = first_complete + w;
		if ((of = rank_year(c, k, NULL, rank, grade)) < 0)
			goto done;
		for (size_t i = 0; i < c->n; i++) {
			struct score_outlook *o = &c->e[i].o;
			o->window[w] = c->year - k;
			if (rank[i] && score_in_bottom(rank[i], (size_t)of))
				o->bottom_years[o->nbottom++] = c->year - k;
		}
	}
	for (size_t i = 0; i < c->n; i++)
		c->e[i].o.warning = c->e[i].o.nbottom == 3;
	ret = GFI_OK;
done:
	free(rank);
	free(grade);
	return ret;
}

/* Score entry e for the years c needs. */
static int score_entry(struct store *s, const struct score_city *c, int64_t now_s,
		       struct score_entry *e, struct ind_period *p)
{
	for (int k = 0; k < c->nyears; k++) {
		int ret = indicators_compute_at(s, e->u.code, c->year - k, 0, now_s, p);
		if (ret == GFI_OK)
			ret = score_unit_compute(s, e->u.sector, p, &e->y[k]);
		if (ret != GFI_OK)
			return ret;
	}
	return reconcile_unit(s, e->u.code, c->year, e->rec);
}

int score_city_compute(struct store *s, int year, int64_t now_s, struct score_city *out)
{
	struct ind_period *p = malloc(sizeof(*p));
	int64_t start = 0, end = 0, at = 0;
	int ret, first_complete;

	memset(out, 0, sizeof(*out));
	out->year = year;
	if (p == NULL)
		return GFI_E_NOMEM;
	ret = period_bounds(year, 0, &start, &end);
	first_complete = ret == GFI_OK && now_s < end;
	out->nyears = 3 + first_complete;
	if (ret == GFI_OK)
		ret = store_setting_get(s, STORE_SETTING_RECONCILE, STORE_SETTING_RECONCILE_DEFAULT,
					&out->reconcile_pct);
	if (ret == GFI_OK)      /* the factories as they were in the year */
		ret = period_registry_at(year, now_s, &at);
	if (ret == GFI_OK)
		ret = store_unit_list_at(s, at, collect_factory, out);
	if (ret == GFI_OK && out->nomem)
		ret = GFI_E_NOMEM;
	for (size_t i = 0; ret == GFI_OK && i < out->n; i++)
		ret = score_entry(s, out, now_s, &out->e[i], p);
	if (ret == GFI_OK)
		ret = outlook(out, first_complete);
	free(p);
	if (ret != GFI_OK)
		score_city_free(out);
	return ret;
}

void score_city_free(struct score_city *c)
{
	free(c->e);
	c->e = NULL;
	c->n = c->cap = 0;
}

const struct score_entry *score_city_find(const struct score_city *c, const char *unit)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->e[i].u.code, unit) == 0)
			return &c->e[i];
	return NULL;
}

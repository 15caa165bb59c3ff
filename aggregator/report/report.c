/*
 * report.c — the yearly dynamic management table of the listed units as
 * CSV, XLSX or JSON (report.h, docs/report.md); the commands `report` and
 * `filing` are in cmd/report.c.
 *
 * Why one module: the three formats must carry the same numbers cell for
 * cell (acceptance 3), so they are written from one list of rows and one
 * column table. Numbers are never recomputed or rounded here: each cell is
 * the double indicators_compute gave; CSV prints it with %.15g (15
 * significant digits: every double prints back to itself at that width
 * unless it carries noise beyond it), JSON through cJSON (%.15g, %.17g when
 * needed to round-trip; each indicator written by json.c, as the API
 * writes it), XLSX as a numeric cell.
 *
 * Invariants: the column order is the order of enum ind_id, so a new
 * indicator appears in every format at once; a unit's row is computed once;
 * the same data gives the same bytes in every format (the XLSX carries fixed
 * document properties, see xlsx_properties).
 */
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <xlsxwriter.h>

#include "error.h"
#include "grow.h"
#include "indicators.h"
#include "json.h"
#include "now.h"
#include "period.h"
#include "score.h"

#define STATUS_BAD 2
#define STATUS_FAIL 1
#define QUALITY_MAX 2048   /* estimates, provenance, 16 missing inputs, a year in progress */
#define NOTE_MAX 512

/* ---- the rows ---- */

struct row {
	struct reg_unit u;
	struct ind_period p;
	char quality[QUALITY_MAX];
	char factor[NOTE_MAX];     /* which grid factor, of which year */
	char products[NOTE_MAX];   /* each product's energy per unit */
	struct store_statement *stmts; /* the unit's statements of the year, owned */
	size_t nstmts;
};

struct rows {
	const struct report_filter *f;
	struct row *v;            /* owned */
	struct score_city city;   /* the platform's table of every factory */
	size_t n, cap;
	int nomem;
};

static const char *name_of(const char *const *names, size_t n, int i)
{
	return i >= 0 && (size_t)i < n ? names[i] : "?";
}
/* The tables beside the enums end with NULL: not a name. */
#define NAME_OF(arr, i) name_of((arr), sizeof(arr) / sizeof((arr)[0]) - 1, (int)(i))

static int collect_unit(void *ctx, const void *row)
{
	struct rows *r = ctx;
	const struct reg_unit *u = row;
	struct row *v;

	if (u->retired || (r->f->unit != NULL && strcmp(u->code, r->f->unit) != 0) ||
	    (r->f->county != NULL && strcmp(u->county, r->f->county) != 0))
		return 0;
	if ((v = gfi_grow(r->v, &r->cap, r->n, sizeof(*v), 16)) == NULL) {
		r->nomem = 1;
		return 1;
	}
	r->v = v;
	memset(&r->v[r->n], 0, sizeof(r->v[r->n]));
	r->v[r->n++].u = *u;
	return 0;
}

/* Append printf output to buf (size bytes, *n used), truncating. */
__attribute__((format(printf, 4, 5)))
static void note_append(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(buf + *n, size - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n = (size_t)k < size - *n ? *n + (size_t)k : size - 1;
}

/* "completeness 97.5 %; estimated: a, b; provenance: metered, manual",
 * then imported history, missing inputs and a year in progress. */
static void quality_note(const struct ind_period *p, char *buf, size_t size)
{
	const struct ind_value *c = &p->v[IND_COMPLETENESS_PCT];
	int seen[5] = { 0 }, est = 0;
	size_t n = 0;

	buf[0] = '\0';
	if (c->has_value)
		note_append(buf, size, &n, "completeness %.1f %%", c->value);
	else
		note_append(buf, size, &n, "completeness: no metered data");
	for (int i = 0; i < IND_N; i++) {
		const struct ind_value *v = &p->v[i];
		if (!v->has_value)
			continue;
		if ((unsigned)v->provenance < 5)
			seen[v->provenance] = 1;
		if (v->estimated) {
			note_append(buf, size, &n, "%s%s", est ? ", " : "; estimated: ",
				    ind_def((enum ind_id)i)->key);
			est = 1;
		}
	}
	note_append(buf, size, &n, "; provenance:");
	for (int k = 1, first = 1; k < 5; k++) {
		if (seen[k]) {
			note_append(buf, size, &n, "%s%s", first ? " " : ", ",
				    ind_provenance_names[k]);
			first = 0;
		}
	}
	if (p->imported_readings > 0)
		note_append(buf, size, &n, "; 含导入历史数据 includes imported history "
			    "(not gateway-signed): %.1f %% of readings", p->readings > 0
			    ? (double)p->imported_readings * 100.0 / (double)p->readings : 0.0);
	for (int i = 0; i < p->nmissing && i < IND_MISSING_MAX; i++)
		note_append(buf, size, &n, "%s%s %s", i ? ", " : "; 缺少输入 missing inputs: ",
			    p->missing[i].carrier, p->missing[i].point);
	if (p->in_progress) {
		char zh[64], en[64];
		indicators_yoy_label(p, zh, sizeof(zh), en, sizeof(en));
		note_append(buf, size, &n, "; 年度未完 year in progress: %s %s", zh, en);
	}
}

/* One factor: "0.5306 kgCO2/kWh of 2023 (source); 2025 has none
 * published: the latest is used". */
static void factor_text(const struct ind_factor_used *f, int year, char *buf,
			size_t size, size_t *n)
{
	note_append(buf, size, n, "%.15g %s of %d (%s)", f->value, f->value_unit,
		    f->year, f->source);
	if (f->fallback)
		note_append(buf, size, n, "; %d年无公布值, 采用最新 none published "
			    "for %d: the latest is used", year, year);
}

/* Which grid factors the row's CO2 used (DOMAIN.md: a table says which
 * year's factor it used). */
static void factor_note(const struct ind_period *p, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	if (!p->grid.has)
		return;
	factor_text(&p->grid, p->year, buf, size, &n);
	if (p->grid_excl.has) {
		note_append(buf, size, &n, "; 扣除绿电 green power deducted with ");
		factor_text(&p->grid_excl, p->year, buf, size, &n);
	}
}

/* "钢管 69.09 kgce/t (qualified 1100 t); 法兰 ..." */
static void products_note(const struct ind_period *p, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < p->nproducts; i++) {
		const struct ind_product *x = &p->products[i];
		note_append(buf, size, &n, "%s%s ", i ? "; " : "", x->name);
		if (x->has_energy)
			note_append(buf, size, &n, "%.15g kgce/%s", x->energy_per_unit, x->unit);
		else
			note_append(buf, size, &n, "no figure (energy_share_pct.%s)", x->name);
		if (x->has_qualified)
			note_append(buf, size, &n, " (合格 qualified %.15g %s)", x->qualified,
				    x->unit);
	}
}

/* The units the filter selects, each with its indicators for year. */
static int rows_load(struct store *s, int year, const struct report_filter *f,
		     struct rows *r, char *err, size_t errlen)
{
	int ret;
	int64_t at = 0;

	memset(r, 0, sizeof(*r));
	r->f = f;
	/* Each unit as it was in the year (its name, county, retirement). */
	ret = period_registry_at(year, agg_now_s(), &at);
	if (ret == GFI_OK)
		ret = store_unit_list_at(s, at, collect_unit, r);
	if (ret == GFI_OK && r->nomem)
		ret = GFI_E_NOMEM;
	if (ret != GFI_OK) {
		snprintf(err, errlen, "store: unit list failed: %s", gfi_strerror(ret));
		return ret;
	}
	if (r->n == 0) {
		snprintf(err, errlen, "%s: no listed unit matches",
			 f->unit ? "--unit" : f->county ? "--county" : "report");
		return GFI_E_NOTFOUND;
	}
	for (size_t i = 0; i < r->n; i++) {
		ret = indicators_compute(s, r->v[i].u.code, year, 0, &r->v[i].p);
		if (ret != GFI_OK) {
			snprintf(err, errlen, "indicators: unit %s year %d: %s",
				 r->v[i].u.code, year, gfi_strerror(ret));
			return ret;
		}
		quality_note(&r->v[i].p, r->v[i].quality, sizeof(r->v[i].quality));
		factor_note(&r->v[i].p, r->v[i].factor, sizeof(r->v[i].factor));
		products_note(&r->v[i].p, r->v[i].products, sizeof(r->v[i].products));
		ret = store_statement_load(s, r->v[i].u.code, year, &r->v[i].stmts,
					   &r->v[i].nstmts);
		if (ret != GFI_OK) {
			snprintf(err, errlen, "statements: unit %s: %s", r->v[i].u.code,
				 gfi_strerror(ret));
			return ret;
		}
	}
	ret = score_city_compute(s, year, agg_now_s(), &r->city);
	if (ret != GFI_OK)
		snprintf(err, errlen, "scores: year %d: %s", year, gfi_strerror(ret));
	return ret;
}

/* ---- columns ---- */

enum { COL_CODE, COL_NAME, COL_KIND, COL_COUNTY, COL_LEVEL, COL_PRODUCT_UNIT,
       COL_FIXED };
/* After the indicators: whether the figures rest on imported history
 * (docs/import.md), as a word and as the imported share of readings. */
#define COL_PROVENANCE (COL_FIXED + IND_N)
#define COL_IMPORTED_PCT (COL_PROVENANCE + 1)
/* Then the factors the table used and each product's own figure (GB/T
 * 36132-2025 B.1); the data-quality note stays last. */
#define COL_FACTOR (COL_IMPORTED_PCT + 1)
#define COL_PRODUCTS (COL_FACTOR + 1)
#define COL_QUALITY (COL_PRODUCTS + 1)
#define NCOLS (COL_QUALITY + 1)

/* The note under a table with imported figures. */
#define IMPORTED_NOTE "注 Note: 含导入历史数据 includes imported history (not " \
	"gateway-signed): rows whose 数据来源 Provenance is imported or mixed"

static const char *const fixed_headers[COL_FIXED] = {
	"统一社会信用代码 Unit code", "单位名称 Name", "类型 Kind",
	"所在县区 County", "级别 Level", "产品单位 Product unit",
};

/* The headers of the columns after the indicators. */
static const struct {
	int col;
	const char *header;
} text_headers[] = {
	{ COL_PROVENANCE, "数据来源 Provenance (measured, imported, mixed)" },
	{ COL_IMPORTED_PCT, "导入数据占比 Imported share of readings [%]" },
	{ COL_FACTOR, "电网排放因子 Grid emission factor used (year, source)" },
	{ COL_PRODUCTS, "各产品单位产品综合能耗 Energy per product on its qualified "
	  "output [kgce/unit]" },
	{ COL_QUALITY, "数据质量 Data quality (completeness, estimates, provenance)" },
};

/* The header of column col: "综合能耗(当量值) ... [tce]". */
static void header_of(int col, char *buf, size_t size)
{
	const struct ind_def *d;

	if (col < COL_FIXED) {
		snprintf(buf, size, "%s", fixed_headers[col]);
		return;
	}
	for (size_t i = 0; i < sizeof(text_headers) / sizeof(text_headers[0]); i++) {
		if (text_headers[i].col == col) {
			snprintf(buf, size, "%s", text_headers[i].header);
			return;
		}
	}
	d = ind_def((enum ind_id)(col - COL_FIXED));
	if (d->unit != NULL && d->unit[0] != '\0')
		snprintf(buf, size, "%s %s [%s]", d->zh, d->en, d->unit);
	else
		snprintf(buf, size, "%s %s", d->zh, d->en);
}

/* Text of a non-numeric cell of r. */
static const char *text_of(const struct row *r, int col)
{
	switch (col) {
	case COL_CODE: return r->u.code;
	case COL_NAME: return r->u.name;
	case COL_KIND: return NAME_OF(unit_kind_names, r->u.kind);
	case COL_COUNTY: return r->u.county;
	case COL_LEVEL: return NAME_OF(unit_level_names, r->u.level);
	case COL_PRODUCT_UNIT: return r->p.product_unit;
	case COL_PROVENANCE: return indicators_provenance(&r->p, NULL);
	case COL_FACTOR: return r->factor;
	case COL_PRODUCTS: return r->products;
	default: return r->quality;
	}
}

static int col_is_number(int col)
{
	return (col >= COL_FIXED && col < COL_PROVENANCE) || col == COL_IMPORTED_PCT;
}

/* The number in column col of r: an indicator, or the imported share in %
 * (none without readings). 1 when there is one. */
static int number_of(const struct row *r, int col, double *v)
{
	double share = 0;

	if (col == COL_IMPORTED_PCT) {
		indicators_provenance(&r->p, &share);
		*v = share * 100.0;
		return r->p.readings > 0;
	}
	*v = r->p.v[col - COL_FIXED].value;
	return r->p.v[col - COL_FIXED].has_value && isfinite(*v);
}

static int any_imported(const struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].p.imported_readings > 0)
			return 1;
	return 0;
}

/* ---- CSV (RFC 4180, UTF-8 with BOM so Excel reads Chinese right) ---- */

static void csv_field(FILE *f, const char *t)
{
	if (strpbrk(t, ",\"\r\n") == NULL) {
		fputs(t, f);
		return;
	}
	fputc('"', f);
	for (; *t != '\0'; t++) {
		if (*t == '"')
			fputc('"', f);
		fputc(*t, f);
	}
	fputc('"', f);
}

static void write_csv(FILE *f, const struct rows *r)
{
	char h[256];

	fputs("\xEF\xBB\xBF", f);
	for (int c = 0; c < NCOLS; c++) {
		header_of(c, h, sizeof(h));
		if (c > 0)
			fputc(',', f);
		csv_field(f, h);
	}
	fputs("\r\n", f);
	for (size_t i = 0; i < r->n; i++) {
		for (int c = 0; c < NCOLS; c++) {
			if (c > 0)
				fputc(',', f);
			if (!col_is_number(c)) {
				csv_field(f, text_of(&r->v[i], c));
				continue;
			}
			double v;
			if (number_of(&r->v[i], c, &v))
				fprintf(f, "%.15g", v);
		}
		fputs("\r\n", f);
	}
	if (any_imported(r)) {
		csv_field(f, IMPORTED_NOTE);
		fputs("\r\n", f);
	}
}

/* ---- JSON ---- */

/* The unit's filing section with its statements. */
static cJSON *filing_json(const struct row *r, const struct score_entry *e,
			  double reconcile_pct)
{
	cJSON *o = json_filing(e, reconcile_pct);

	if (o != NULL && json_filing_statements(o, r->stmts, r->nstmts) != GFI_OK) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *unit_json(const struct row *r, const struct score_city *city)
{
	const struct score_entry *e = score_city_find(city, r->u.code);
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "code", r->u.code);
	cJSON_AddStringToObject(o, "name", r->u.name);
	cJSON_AddStringToObject(o, "kind", NAME_OF(unit_kind_names, r->u.kind));
	cJSON_AddStringToObject(o, "county", r->u.county);
	cJSON_AddStringToObject(o, "level", NAME_OF(unit_level_names, r->u.level));
	cJSON_AddStringToObject(o, "product_unit", r->p.product_unit);
	cJSON_AddStringToObject(o, "data_quality", r->quality);
	cJSON_AddStringToObject(o, "grid_factor", r->factor);
	cJSON_AddStringToObject(o, "products", r->products);
	{
		double share = 0;
		const char *prov = indicators_provenance(&r->p, &share);
		cJSON_AddStringToObject(o, "provenance", prov);
		cJSON_AddNumberToObject(o, "imported_share", share);
	}
	if (json_add_indicators(o, &r->p) != GFI_OK ||
	    (e != NULL && !cJSON_AddItemToObject(o, "filing", filing_json(r, e, city->reconcile_pct)))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int write_json(FILE *f, int year, const struct rows *r)
{
	cJSON *root = cJSON_CreateObject(), *units;
	char *text = NULL;
	int ret = GFI_E_NOMEM;

	if (root == NULL || cJSON_AddNumberToObject(root, "year", year) == NULL ||
	    (units = cJSON_AddArrayToObject(root, "units")) == NULL)
		goto cleanup;
	for (size_t i = 0; i < r->n; i++) {
		cJSON *u = unit_json(&r->v[i], &r->city);
		if (u == NULL || !cJSON_AddItemToArray(units, u)) {
			cJSON_Delete(u);
			goto cleanup;
		}
	}
	if ((text = cJSON_PrintUnformatted(root)) == NULL)
		goto cleanup;
	fputs(text, f);
	fputc('\n', f);
	ret = GFI_OK;
cleanup:
	free(text);
	cJSON_Delete(root);
	return ret;
}

/* ---- XLSX ---- */

/* Fixed document properties: libxlsxwriter stamps the file (docProps and
 * every zip entry) with `created`, the wall clock when 0; a time derived
 * from the year (1 January of the next year, 00:00 Asia/Shanghai, when the
 * year's table is complete) makes the same data give the same bytes. */
static void xlsx_properties(lxw_workbook *wb, int year)
{
	lxw_doc_properties p = { 0 };
	int64_t start = 0, end = 0;
	char title[64];

	snprintf(title, sizeof(title), "动态管理表 %d", year);
	if (period_bounds(year, 0, &start, &end) != GFI_OK)
		end = 0;
	p.title = title;
	p.author = "gfi-aggregator";
	p.created = (time_t)end;
	workbook_set_properties(wb, &p);
}

/* The filing sheet's columns (docs/report.md "The filing view"). */
static const char *const filing_headers[] = {
	"序号 No", "目标 Aim", "指标 Indicator", "Indicator (en)", "单位 Unit", "数值 Value",
	"基准值 Baseline", "引领值 Leading", "权重 Weight", "得分 Score",
	"适用 Applicable", "数据来源 Provenance", "数据完整率 Completeness",
	"证明材料 Proof documents", "修订说明 Revision remark", "说明 Note",
};
#define FILING_COLS (sizeof(filing_headers) / sizeof(filing_headers[0]))

static void xlsx_number(lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, int has,
			double v)
{
	if (has && isfinite(v))
		worksheet_write_number(ws, row, col, v, NULL);
}

/* The latest statement of kind on platform row no, or NULL. */
static const struct store_statement *latest_of(const struct row *u, const char *kind, int no)
{
	const struct store_statement *last = NULL;

	for (size_t i = 0; i < u->nstmts; i++)
		if (strcmp(u->stmts[i].kind, kind) == 0 && u->stmts[i].row == no)
			last = &u->stmts[i];
	return last;
}

static void filing_sheet_row(lxw_worksheet *ws, lxw_row_t row, const struct score_row *r,
			     const struct row *u)
{
	const struct store_statement *remark = latest_of(u, "remark", r->def->no);
	const struct store_statement *entry = latest_of(u, "qualitative", r->def->no);

	const struct store_benchmark *b = &r->bench;

	worksheet_write_number(ws, row, 0, r->def->no, NULL);
	worksheet_write_string(ws, row, 1, score_aim_zh[r->def->aim], NULL);
	worksheet_write_string(ws, row, 2, r->zh, NULL);
	worksheet_write_string(ws, row, 3, r->en, NULL);
	worksheet_write_string(ws, row, 4, r->unit, NULL);
	xlsx_number(ws, row, 5, r->has_value, r->value);
	if (entry != NULL)
		worksheet_write_string(ws, row, 5, entry->text, NULL);
	xlsx_number(ws, row, 6, r->has_bench, b->baseline);
	xlsx_number(ws, row, 7, r->has_bench, b->leading);
	xlsx_number(ws, row, 8, r->has_bench, b->weight);
	xlsx_number(ws, row, 9, r->has_bench, r->score);
	worksheet_write_string(ws, row, 10, r->has_bench ? "是 yes" : "否 no", NULL);
	worksheet_write_string(ws, row, 11, NAME_OF(ind_provenance_names, r->provenance), NULL);
	xlsx_number(ws, row, 12, r->has_value, r->completeness);
	worksheet_write_string(ws, row, 13, r->def->proof, NULL);
	if (remark != NULL)
		worksheet_write_string(ws, row, 14, remark->text, NULL);
	worksheet_write_string(ws, row, 15, r->note, NULL);
}

/* One sheet per factory, named by its credit code: the platform rows, then
 * the total and the outlook. */
/* The major changes and compliance entries under the rows: kind, date,
 * text, evidence, state. */
static void statements_rows(lxw_worksheet *ws, lxw_row_t row, const struct row *u)
{
	for (size_t i = 0; i < u->nstmts; i++) {
		const struct store_statement *t = &u->stmts[i];
		if (strcmp(t->kind, "remark") == 0 || strcmp(t->kind, "qualitative") == 0)
			continue;
		worksheet_write_string(ws, row, 1, strcmp(t->kind, "major_change") == 0 ?
				       "重大事项变更 Major change" : "合规性信息 Compliance", NULL);
		worksheet_write_string(ws, row, 2, t->date, NULL);
		worksheet_write_string(ws, row, 3, t->text, NULL);
		worksheet_write_string(ws, row, 13, t->evidence, NULL);
		worksheet_write_string(ws, row++, 14, t->state, NULL);
	}
}

static void filing_sheet(lxw_workbook *wb, lxw_format *bold, const struct score_entry *e,
			 const struct row *u)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, e->u.code);
	const struct score_unit *su = &e->y[0];
	lxw_row_t row = 1 + SCORE_ROWS;

	if (ws == NULL)
		return;
	for (size_t c = 0; c < FILING_COLS; c++)
		worksheet_write_string(ws, 0, (lxw_col_t)c, filing_headers[c], bold);
	worksheet_set_column(ws, 0, FILING_COLS - 1, 16, NULL);
	worksheet_freeze_panes(ws, 1, 3);
	for (int i = 0; i < SCORE_ROWS; i++)
		filing_sheet_row(ws, (lxw_row_t)(i + 1), &su->rows[i], u);
	worksheet_write_string(ws, row, 2, "总分 Total", bold);
	xlsx_number(ws, row, 8, 1, su->max_total);
	xlsx_number(ws, row, 9, su->scored, su->total);
	worksheet_write_string(ws, row + 1, 2, "绿码预期 Outlook", bold);
	worksheet_write_string(ws, row + 1, 5, score_grade_names[e->o.grade], NULL);
	xlsx_number(ws, row + 1, 6, e->o.rank != 0, e->o.rank);
	xlsx_number(ws, row + 1, 7, e->o.rank != 0, e->o.of);
	worksheet_write_string(ws, row + 2, 2, "末位5%预警 Bottom-5 % warning", bold);
	worksheet_write_string(ws, row + 2, 5, e->o.warning ? "是 yes" : "否 no", NULL);
	statements_rows(ws, row + 4, u);
}

static int write_xlsx(const char *path, int year, const struct rows *r,
		      char *err, size_t errlen)
{
	lxw_workbook *wb = workbook_new(path);
	lxw_worksheet *ws;
	lxw_format *bold;
	char h[256], sheet[16];
	lxw_error e;

	if (wb == NULL) {
		snprintf(err, errlen, "--out: cannot create %s", path);
		return GFI_E_IO;
	}
	xlsx_properties(wb, year);
	snprintf(sheet, sizeof(sheet), "%d", year);
	ws = workbook_add_worksheet(wb, sheet);
	bold = workbook_add_format(wb);
	format_set_bold(bold);
	format_set_text_wrap(bold);
	for (int c = 0; c < NCOLS; c++) {
		header_of(c, h, sizeof(h));
		worksheet_write_string(ws, 0, (lxw_col_t)c, h, bold);
	}
	worksheet_set_column(ws, 0, COL_FIXED - 1, 20, NULL);
	worksheet_set_column(ws, COL_FIXED, NCOLS - 1, 16, NULL);
	/* Header row and the code and name columns stay in view. */
	worksheet_freeze_panes(ws, 1, 2);
	for (size_t i = 0; i < r->n; i++) {
		lxw_row_t row = (lxw_row_t)(i + 1);
		for (int c = 0; c < NCOLS; c++) {
			if (!col_is_number(c)) {
				worksheet_write_string(ws, row, (lxw_col_t)c,
						       text_of(&r->v[i], c), NULL);
				continue;
			}
			double v;
			if (number_of(&r->v[i], c, &v))
				worksheet_write_number(ws, row, (lxw_col_t)c, v, NULL);
		}
	}
	if (any_imported(r))
		worksheet_write_string(ws, (lxw_row_t)(r->n + 2), 0, IMPORTED_NOTE, NULL);
	for (size_t i = 0; i < r->n; i++) {
		const struct score_entry *f = score_city_find(&r->city, r->v[i].u.code);
		if (f != NULL)
			filing_sheet(wb, bold, f, &r->v[i]);
	}
	e = workbook_close(wb);
	if (e != LXW_NO_ERROR) {
		snprintf(err, errlen, "--out: writing %s failed: %s", path, lxw_strerror(e));
		return GFI_E_IO;
	}
	return GFI_OK;
}

/* ---- writing ---- */

/* CSV and JSON go to a temporary file renamed over path, so a reader never
 * sees half a table. */
static int write_text(const char *path, enum report_format fmt, int year,
		      const struct rows *r, char *err, size_t errlen)
{
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	FILE *f = NULL;
	int ret = GFI_E_IO;

	if (tmp == NULL)
		return GFI_E_NOMEM;
	snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
	if ((f = fopen(tmp, "wb")) == NULL) {
		snprintf(err, errlen, "--out: cannot create %s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (fmt == REPORT_CSV)
		write_csv(f, r);
	else if ((ret = write_json(f, year, r)) != GFI_OK)
		goto cleanup;
	ret = GFI_E_IO;
	if (ferror(f) || fclose(f) != 0) {
		f = NULL;
		snprintf(err, errlen, "--out: writing %s failed", path);
		goto cleanup;
	}
	f = NULL;
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "--out: cannot write %s: %s", path, strerror(errno));
		goto cleanup;
	}
	ret = GFI_OK;
cleanup:
	if (f != NULL)
		fclose(f);
	if (ret != GFI_OK) {
		unlink(tmp);
		if (err[0] == '\0')
			snprintf(err, errlen, "--out: %s", gfi_strerror(ret));
	}
	free(tmp);
	return ret;
}

/* What rows_load made: the rows, their statements, the city's scores. */
static void rows_free(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].stmts);
	free(r->v);
	score_city_free(&r->city);
}

int report_write(struct store *s, int year, const struct report_filter *f,
		 enum report_format fmt, const char *path, char *err,
		 size_t errlen)
{
	struct rows r;
	int ret;

	err[0] = '\0';
	ret = rows_load(s, year, f, &r, err, errlen);
	if (ret == GFI_OK) {
		if (fmt == REPORT_XLSX) {
			ret = write_xlsx(path, year, &r, err, errlen);
			if (ret != GFI_OK)
				unlink(path);
		} else {
			ret = write_text(path, fmt, year, &r, err, errlen);
		}
	}
	rows_free(&r);
	return ret;
}

/* ---- the filing snapshot (issue 17) ---- */

int report_filing_snapshot(struct store *s, const char *unit, int year,
			   int64_t filed_s, char *err, size_t errlen)
{
	const struct report_filter f = { .unit = unit };
	double energy = NAN;
	char *bytes = NULL;
	size_t len = 0;
	struct rows r;
	FILE *mem;
	int ret;

	err[0] = '\0';
	ret = rows_load(s, year, &f, &r, err, errlen);
	if (ret == GFI_OK && (mem = open_memstream(&bytes, &len)) == NULL)
		ret = GFI_E_NOMEM;
	if (ret == GFI_OK) {
		ret = write_json(mem, year, &r);
		if (fclose(mem) != 0 && ret == GFI_OK)
			ret = GFI_E_NOMEM;
	}
	if (ret == GFI_OK && r.n == 1 && r.v[0].p.v[IND_ENERGY_EQUIV_TCE].has_value)
		energy = r.v[0].p.v[IND_ENERGY_EQUIV_TCE].value;
	if (ret == GFI_OK)
		ret = store_filing_snapshot_put(s, unit, year, filed_s, "json", bytes, len,
						energy);
	free(bytes);
	rows_free(&r);
	return ret;
}


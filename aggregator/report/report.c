/*
 * report.c — the yearly dynamic management table of the listed units as
 * CSV, XLSX or JSON, filed-table records, and the option parser the review
 * commands share (report.h, docs/report.md).
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
 * indicator appears in every format at once; a unit's row is computed once.
 */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <xlsxwriter.h>

#include "error.h"
#include "indicators.h"
#include "json.h"
#include "period.h"
#include "registry.h"

#define STATUS_BAD 2
#define STATUS_FAIL 1
#define QUALITY_MAX 512

/* ---- shared option parsing ---- */

static int in_list(const char *const *list, const char *name)
{
	for (; list != NULL && *list != NULL; list++) {
		if (strcmp(*list, name) == 0)
			return 1;
	}
	return 0;
}

/* Print "--name: why" with control characters of echoed input replaced. */
__attribute__((format(printf, 3, 4)))
static int refuse(FILE *err, const char *name, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = snprintf(line, sizeof(line), "--%s: ", name);

	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	for (char *p = line; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	fprintf(err, "%s\n", line);
	return STATUS_BAD;
}

int report_opts_parse(int argc, char **argv, int first,
		      const char *const *allowed, const char *const *flags,
		      int allow_word, struct report_opts *o, FILE *err)
{
	memset(o, 0, sizeof(*o));
	for (int i = first; i < argc; i++) {
		const char *a = argv[i], *name = a + 2;

		if (strncmp(a, "--", 2) != 0) {
			if (!allow_word || o->word != NULL) {
				fprintf(err, "%s: unexpected argument\n", a);
				return STATUS_BAD;
			}
			o->word = a;
			continue;
		}
		if (!in_list(allowed, name) && !in_list(flags, name))
			return refuse(err, name, "unknown option");
		if (report_opt(o, name) != NULL)
			return refuse(err, name, "given twice");
		if (o->n == REPORT_OPTS_MAX)
			return refuse(err, name, "too many options");
		o->name[o->n] = name;
		if (in_list(flags, name)) {
			o->value[o->n++] = "";
			continue;
		}
		if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)
			return refuse(err, name, "missing value");
		o->value[o->n++] = argv[++i];
	}
	return 0;
}

const char *report_opt(const struct report_opts *o, const char *name)
{
	for (int i = 0; i < o->n; i++) {
		if (strcmp(o->name[i], name) == 0)
			return o->value[i];
	}
	return NULL;
}

int report_opt_required(const char *name, const char *value, FILE *err)
{
	return value == NULL ? refuse(err, name, "missing") : 0;
}

int report_opt_int(const char *name, const char *value, long min, long max,
		   long *out, FILE *err)
{
	char *end = NULL;
	long v;

	if (value == NULL)
		return 0;
	errno = 0;
	v = strtol(value, &end, 10);
	if (end == value || *end != '\0' || errno != 0)
		return refuse(err, name, "%s is not an integer", value);
	if (v < min || v > max)
		return refuse(err, name, "%s out of range %ld..%ld", value, min, max);
	*out = v;
	return 0;
}

int report_opt_double(const char *name, const char *value, double min,
		      double max, double *out, FILE *err)
{
	char *end = NULL;
	double v;

	if (value == NULL)
		return 0;
	errno = 0;
	v = strtod(value, &end);
	if (end == value || *end != '\0' || errno != 0 || !isfinite(v))
		return refuse(err, name, "%s is not a finite number", value);
	if (v < min || v > max)
		return refuse(err, name, "%s out of range %g..%g", value, min, max);
	*out = v;
	return 0;
}

/* Valid UTF-8 (structure only) without control characters. */
static int text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 :
			(*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0 || *p < 0x20 || *p == 0x7f)
			return 0;
		p++;
		for (int i = 0; i < n; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
		}
	}
	return 1;
}

int report_opt_text(const char *name, const char *value, size_t size,
		    FILE *err)
{
	if (value == NULL)
		return 0;
	if (value[0] == '\0')
		return refuse(err, name, "empty");
	if (strlen(value) >= size)
		return refuse(err, name, "longer than %zu bytes", size - 1);
	if (!text_ok(value))
		return refuse(err, name, "not UTF-8 text without control characters");
	return 0;
}

int report_opt_time(const char *name, const char *value, int64_t *out,
		    FILE *err)
{
	if (value == NULL)
		return 0;
	if (period_parse_time(value, out) != GFI_OK)
		return refuse(err, name, "%s is not epoch seconds or YYYY-MM-DD[ HH:MM[:SS]]",
			      value);
	return 0;
}

int report_open_store(const char *path, struct store **s, FILE *err)
{
	struct stat sb;
	int ret;

	*s = NULL;
	if (path == NULL)
		return refuse(err, "store", "missing");
	if (stat(path, &sb) != 0)
		return refuse(err, "store", "%s does not exist", path);
	if ((ret = store_open(path, s)) != GFI_OK) {
		fprintf(err, "store: open failed: %s\n", gfi_strerror(ret));
		return STATUS_FAIL;
	}
	return 0;
}

/* ---- the rows ---- */

struct row {
	struct reg_unit u;
	struct ind_period p;
	char quality[QUALITY_MAX];
};

struct rows {
	const struct report_filter *f;
	struct row *v;            /* owned */
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

	if (u->retired || (r->f->unit != NULL && strcmp(u->code, r->f->unit) != 0) ||
	    (r->f->county != NULL && strcmp(u->county, r->f->county) != 0))
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct row *v = realloc(r->v, cap * sizeof(*v));
		if (v == NULL) {
			r->nomem = 1;
			return 1;
		}
		r->v = v;
		r->cap = cap;
	}
	memset(&r->v[r->n], 0, sizeof(r->v[r->n]));
	r->v[r->n++].u = *u;
	return 0;
}

/* "completeness 97.5 %; estimated: a, b; provenance: metered, manual". */
static void quality_note(const struct ind_period *p, char *buf, size_t size)
{
	const struct ind_value *c = &p->v[IND_COMPLETENESS_PCT];
	int seen[5] = { 0 }, est = 0;
	size_t n = 0;

#define APPEND(...) do { \
		int k_ = snprintf(buf + n, size - n, __VA_ARGS__); \
		if (k_ > 0) n = (size_t)k_ < size - n ? n + (size_t)k_ : size - 1; \
	} while (0)
	buf[0] = '\0';
	if (c->has_value)
		APPEND("completeness %.1f %%", c->value);
	else
		APPEND("completeness: no metered data");
	for (int i = 0; i < IND_N; i++) {
		const struct ind_value *v = &p->v[i];
		if (!v->has_value)
			continue;
		if ((unsigned)v->provenance < 5)
			seen[v->provenance] = 1;
		if (v->estimated) {
			APPEND("%s%s", est ? ", " : "; estimated: ", ind_def((enum ind_id)i)->key);
			est = 1;
		}
	}
	APPEND("; provenance:");
	for (int k = 1, first = 1; k < 5; k++) {
		if (seen[k]) {
			APPEND("%s%s", first ? " " : ", ", ind_provenance_names[k]);
			first = 0;
		}
	}
	if (p->imported_readings > 0)
		APPEND("; 含导入历史数据 includes imported history (not gateway-signed): "
		       "%.1f %% of readings", p->readings > 0
		       ? (double)p->imported_readings * 100.0 / (double)p->readings : 0.0);
#undef APPEND
}

/* The units the filter selects, each with its indicators for year. */
static int rows_load(struct store *s, int year, const struct report_filter *f,
		     struct rows *r, char *err, size_t errlen)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->f = f;
	ret = store_unit_list(s, collect_unit, r);
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
	}
	return GFI_OK;
}

/* ---- columns ---- */

enum { COL_CODE, COL_NAME, COL_KIND, COL_COUNTY, COL_LEVEL, COL_PRODUCT_UNIT,
       COL_FIXED };
/* After the indicators: whether the figures rest on imported history
 * (docs/import.md), as a word and as the imported share of readings. */
#define COL_PROVENANCE (COL_FIXED + IND_N)
#define COL_IMPORTED_PCT (COL_PROVENANCE + 1)
#define COL_QUALITY (COL_IMPORTED_PCT + 1)
#define NCOLS (COL_QUALITY + 1)

/* The note under a table with imported figures. */
#define IMPORTED_NOTE "注 Note: 含导入历史数据 includes imported history (not " \
	"gateway-signed): rows whose 数据来源 Provenance is imported or mixed"

static const char *const fixed_headers[COL_FIXED] = {
	"统一社会信用代码 Unit code", "单位名称 Name", "类型 Kind",
	"所在县区 County", "级别 Level", "产品单位 Product unit",
};

/* The header of column col: "综合能耗(当量值) ... [tce]". */
static void header_of(int col, char *buf, size_t size)
{
	const struct ind_def *d;

	if (col < COL_FIXED) {
		snprintf(buf, size, "%s", fixed_headers[col]);
		return;
	}
	if (col == COL_QUALITY) {
		snprintf(buf, size, "数据质量 Data quality (completeness, estimates, provenance)");
		return;
	}
	if (col == COL_PROVENANCE) {
		snprintf(buf, size, "数据来源 Provenance (measured, imported, mixed)");
		return;
	}
	if (col == COL_IMPORTED_PCT) {
		snprintf(buf, size, "导入数据占比 Imported share of readings [%%]");
		return;
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

static cJSON *unit_json(const struct row *r)
{
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
	{
		double share = 0;
		const char *prov = indicators_provenance(&r->p, &share);
		cJSON_AddStringToObject(o, "provenance", prov);
		cJSON_AddNumberToObject(o, "imported_share", share);
	}
	if (json_add_indicators(o, &r->p) != GFI_OK) {
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
		cJSON *u = unit_json(&r->v[i]);
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
	free(r.v);
	return ret;
}

/* ---- commands ---- */

static int take_code(const char *name, const char *v, FILE *err)
{
	if (v != NULL && !registry_credit_code_valid(v))
		return refuse(err, name, "%s is not a valid unified social credit code", v);
	return 0;
}

static int take_county(const char *v, FILE *err)
{
	size_t n = v ? strlen(v) : 0;

	if (v == NULL)
		return 0;
	if (n != 6 || strspn(v, "0123456789") != n)
		return refuse(err, "county", "%s is not a 6-digit division code", v);
	return 0;
}

int report_cli(int argc, char **argv, FILE *out, FILE *err)
{
	static const char *const allowed[] = { "store", "year", "unit", "county",
					       "format", "out", NULL };
	static const char *const formats[] = { "csv", "xlsx", "json" };
	struct report_filter f = { 0 };
	struct report_opts o;
	struct store *s = NULL;
	const char *fmt_s;
	char msg[512] = "";
	long year = 0;
	int rc, fmt = -1, ret;

	if ((rc = report_opts_parse(argc, argv, 1, allowed, NULL, 0, &o, err)) != 0)
		return rc;
	f.unit = report_opt(&o, "unit");
	f.county = report_opt(&o, "county");
	fmt_s = report_opt(&o, "format");
	if ((rc = report_opt_required("year", report_opt(&o, "year"), err)) ||
	    (rc = report_opt_int("year", report_opt(&o, "year"), 2000, 2100, &year, err)) ||
	    (rc = take_code("unit", f.unit, err)) || (rc = take_county(f.county, err)) ||
	    (rc = report_opt_required("format", fmt_s, err)) ||
	    (rc = report_opt_required("out", report_opt(&o, "out"), err)))
		return rc;
	if (f.unit != NULL && f.county != NULL)
		return refuse(err, "county", "give --unit or --county, not both");
	for (int i = 0; i < 3; i++) {
		if (strcmp(fmt_s, formats[i]) == 0)
			fmt = i;
	}
	if (fmt < 0)
		return refuse(err, "format", "%s is not csv, xlsx or json", fmt_s);
	if ((rc = report_open_store(report_opt(&o, "store"), &s, err)) != 0)
		return rc;
	ret = report_write(s, (int)year, &f, (enum report_format)fmt,
			   report_opt(&o, "out"), msg, sizeof(msg));
	store_close(s);
	if (ret != GFI_OK) {
		fprintf(err, "%s\n", msg[0] ? msg : gfi_strerror(ret));
		return ret == GFI_E_NOTFOUND ? STATUS_BAD : STATUS_FAIL;
	}
	fprintf(out, "report written: year=%ld format=%s out=%s\n", year, fmt_s,
		report_opt(&o, "out"));
	return 0;
}

int report_filing_cli(int argc, char **argv, FILE *out, FILE *err)
{
	static const char *const allowed[] = { "store", "unit", "year", "by", "at", NULL };
	struct report_opts o;
	struct store *s = NULL;
	const char *unit, *by;
	int64_t at = (int64_t)time(NULL);
	long year = 0;
	int rc, ret;

	if ((rc = report_opts_parse(argc, argv, 1, allowed, NULL, 0, &o, err)) != 0)
		return rc;
	unit = report_opt(&o, "unit");
	by = report_opt(&o, "by");
	if ((rc = report_opt_required("unit", unit, err)) || (rc = take_code("unit", unit, err)) ||
	    (rc = report_opt_required("year", report_opt(&o, "year"), err)) ||
	    (rc = report_opt_int("year", report_opt(&o, "year"), 2000, 2100, &year, err)) ||
	    (rc = report_opt_required("by", by, err)) ||
	    (rc = report_opt_text("by", by, 64, err)) ||
	    (rc = report_opt_time("at", report_opt(&o, "at"), &at, err)))
		return rc;
	if ((rc = report_open_store(report_opt(&o, "store"), &s, err)) != 0)
		return rc;
	ret = store_filing_put(s, unit, (int)year, by, at);
	store_close(s);
	if (ret == GFI_E_NOTFOUND)
		return refuse(err, "unit", "%s is not a registered unit", unit);
	if (ret != GFI_OK) {
		fprintf(err, "store: filing failed: %s\n", gfi_strerror(ret));
		return STATUS_FAIL;
	}
	fprintf(out, "filed: unit=%s year=%ld by=%s\n", unit, year, by);
	return 0;
}

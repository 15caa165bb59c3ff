/*
 * import.c — history imported from a factory's energy management system
 * (import.h, docs/import.md).
 *
 * Why: a unit listed before its gateway was installed has years of
 * readings in its own system; the indicators of those years (and the
 * year-on-year change of the first metered year) need them. They are kept
 * apart from what gateways signed: every imported reading carries its
 * import's id, and reports, the API and spot checks say so.
 *
 * Invariants:
 *  - import_parse reads only the buffer it is given and what the lookup
 *    callback answers; every byte of the file is hostile: records are
 *    bounded (IMPORT_RECORD_MAX), text must be UTF-8 without NUL or control
 *    characters, numbers are parsed with an end pointer and range checked;
 *  - a record gets at most one error, so bad_rows counts records;
 *  - import_run changes the store only by committing its one transaction,
 *    and only when no row is bad or skip_bad was asked; an import that adds
 *    nothing leaves no trace (re-importing a file is harmless).
 */
#include "import.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "calendar.h"
#include "error.h"
#include "grow.h"
#include "jsonutil.h"
#include "quantity.h"
#include "registry.h"
#include "sign.h"
#include "text.h"

#define FIELD_MAX 256            /* bytes of one cell, as read */
#define CELLS_MAX 16             /* cells of a record kept (the header may name
				    unknown columns; they are refused by name) */

enum col { COL_GATEWAY, COL_METER, COL_POINT, COL_TIME, COL_VALUE, COL_UNIT,
	   COL_STATUS, COL_N };

static const char *const col_names[COL_N] = {
	"gateway", "meter", "point", "time", "value", "unit", "status",
};

/* ---- errors ---- */

static void add_error(struct import_result *res, uint32_t line, const char *what)
{
	size_t at;

	res->bad_rows++;
	if (res->nerrors == IMPORT_ERRORS_KEPT &&
	    line >= res->errors[IMPORT_ERRORS_KEPT - 1].line)
		return;
	for (at = res->nerrors; at > 0 && res->errors[at - 1].line > line; at--)
		;
	if (res->nerrors < IMPORT_ERRORS_KEPT)
		res->nerrors++;
	memmove(&res->errors[at + 1], &res->errors[at],
		(res->nerrors - 1 - at) * sizeof(res->errors[0]));
	res->errors[at].line = line;
	snprintf(res->errors[at].text, sizeof(res->errors[at].text), "%s:%u: %s",
		 res->name, line, what);
}

void import_refuse_row(struct import_result *res, size_t i, const char *what)
{
	res->rows[i].bad = 1;
	add_error(res, res->rows[i].line, what);
}

__attribute__((format(printf, 3, 4)))
static void whyf(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* ---- one CSV record (RFC 4180) ---- */

struct record {
	uint32_t line;                  /* line the record starts on */
	size_t nfields;
	char field[CELLS_MAX][FIELD_MAX]; /* the first CELLS_MAX cells */
	size_t flen[CELLS_MAX];
	int long_field;                 /* index of a cell over FIELD_MAX - 1, or -1 */
	const char *error;              /* first structural problem, or NULL */
	int blank;                      /* an empty line */
};

enum { ST_START, ST_PLAIN, ST_QUOTED, ST_QUOTE };

static void cell_put(struct record *r, unsigned char c)
{
	size_t f = r->nfields;

	if (f >= CELLS_MAX)
		return;
	if (r->flen[f] + 1 >= FIELD_MAX) {
		if (r->long_field < 0)
			r->long_field = (int)f;
		return;
	}
	r->field[f][r->flen[f]++] = (char)c;
}

static void cell_end(struct record *r)
{
	if (r->nfields < CELLS_MAX)
		r->field[r->nfields][r->flen[r->nfields]] = '\0';
	r->nfields++;
}

static void problem(struct record *r, const char *what)
{
	if (r->error == NULL)
		r->error = what;
}

/* One character c of a record in state st (RFC 4180): the next state.
 * A line feed inside a quoted field counts in *line. */
static int csv_step(struct record *r, int st, unsigned char c, uint32_t *line,
		    int *quoted_any)
{
	switch (st) {
	case ST_START:
		if (c == '"') {
			*quoted_any = 1;
			return ST_QUOTED;
		}
		if (c == ',') {
			cell_end(r);
			return ST_START;
		}
		cell_put(r, c);
		return ST_PLAIN;
	case ST_PLAIN:
		if (c == ',') {
			cell_end(r);
			return ST_START;
		}
		if (c == '"')
			problem(r, "quote inside an unquoted field");
		cell_put(r, c);
		return ST_PLAIN;
	case ST_QUOTED:
		if (c == '"')
			return ST_QUOTE;
		if (c == '\n')
			(*line)++;
		cell_put(r, c);
		return ST_QUOTED;
	default: /* ST_QUOTE: a quote inside a quoted field */
		if (c == '"') {
			cell_put(r, c);
			return ST_QUOTED;
		}
		if (c == ',') {
			cell_end(r);
			return ST_START;
		}
		problem(r, "text after a closing quote");
		cell_put(r, c);
		return ST_PLAIN;
	}
}

/* Read the record at data[pos..len) into r; *line counts lines. Returns
 * the position after the record's line end. */
static size_t read_record(const uint8_t *data, size_t len, size_t pos,
			  uint32_t *line, struct record *r)
{
	size_t start = pos;
	int st = ST_START, quoted_any = 0;

	memset(r->flen, 0, sizeof(r->flen));
	r->nfields = 0;
	r->long_field = -1;
	r->error = NULL;
	r->blank = 0;
	r->line = *line;
	while (pos < len) {
		unsigned char c = data[pos++];
		int eol = 0;

		if (c == '\0')
			problem(r, "NUL byte");
		if (pos - start > IMPORT_RECORD_MAX && c != '\n' && c != '\r')
			problem(r, "record longer than 1024 bytes");
		if (st != ST_QUOTED && c == '\r') {
			if (pos < len && data[pos] == '\n') {
				pos++;
				eol = 1;
			} else {
				problem(r, "carriage return without line feed");
			}
		} else if (st != ST_QUOTED && c == '\n') {
			eol = 1;
		}
		if (eol) {
			(*line)++;
			break;
		}
		st = csv_step(r, st, c, line, &quoted_any);
	}
	if (pos >= len && st == ST_QUOTED)
		problem(r, "quoted field not closed at the end of the file");
	r->blank = r->nfields == 0 && r->flen[0] == 0 && !quoted_any && st == ST_START;
	cell_end(r);
	return pos;
}

/* ---- cells ---- */

static int id_ok(const char *s)
{
	return gfi_id_valid(s);
}

int import_parse_time(const char *s, int64_t *out, char *why, size_t whylen)
{
	return calendar_parse_time(s, CALENDAR_EPOCH_OK | CALENDAR_ZONE_OK, out,
				   why, whylen);
}

/* A plain decimal: [+-]digits[.digits][e[+-]digits], finite. */
static int decimal(const char *s, double *out)
{
	const char *p = s;
	char *end = NULL;
	int nd = 0;

	if (*p == '+' || *p == '-')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		nd++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			nd++;
	if (nd == 0)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != '\0')
		return 0;
	errno = 0;
	*out = strtod(s, &end);
	return end != NULL && *end == '\0' && errno == 0 && isfinite(*out);
}

/* ---- series ---- */

static uint32_t fnv(uint32_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h ^ 0xff) * 16777619u;
}

/* The index of (g, m, p) in res->series, interned and looked up on first
 * sight; -1 when too many; a negative GFI_E_* (minus 1) from lookup. */
static int series_find(struct import_result *res, const char *g, const char *m,
		       const char *p, import_lookup_fn lookup, void *lctx,
		       int *fatal)
{
	uint32_t h = fnv(fnv(fnv(2166136261u, g), m), p);
	size_t slot = h & (res->nslots - 1);
	struct import_series *x, *ns;
	int rc;

	for (; res->slots[slot] >= 0; slot = (slot + 1) & (res->nslots - 1)) {
		x = &res->series[res->slots[slot]];
		if (strcmp(x->gateway, g) == 0 && strcmp(x->meter, m) == 0 &&
		    strcmp(x->point, p) == 0)
			return res->slots[slot];
	}
	if (res->nseries == IMPORT_SERIES_MAX)
		return -1;
	ns = gfi_grow(res->series, &res->series_cap, res->nseries, sizeof(*ns), 16);
	if (ns == NULL) {
		*fatal = GFI_E_NOMEM;
		return -1;
	}
	res->series = ns;
	x = &res->series[res->nseries];
	memset(x, 0, sizeof(*x));
	snprintf(x->gateway, sizeof(x->gateway), "%s", g);
	snprintf(x->meter, sizeof(x->meter), "%s", m);
	snprintf(x->point, sizeof(x->point), "%s", p);
	rc = lookup(lctx, g, m, p, &x->t, x->why, sizeof(x->why));
	if (rc < 0) {
		*fatal = rc;
		return -1;
	}
	if (rc == 0 && gfi_quantity_find(x->t.quantity) == NULL) {
		whyf(x->why, sizeof(x->why), "point: registered quantity %.31s is unknown",
		     x->t.quantity);
		rc = 1;
	}
	x->refused = rc != 0;
	res->slots[slot] = (int32_t)res->nseries;
	return (int)res->nseries++;
}

/* ---- rows ---- */

struct header {
	int col[COL_N];      /* position of each column in the file, or -1 */
	size_t ncols;
};

static const char *cell(const struct record *r, const struct header *h, enum col c)
{
	int at = h->col[c];
	return at < 0 ? "" : r->field[at];
}

/* The shape of record r: a complete record with the header's fields, none
 * too long, text valid, ids well formed. 1 and "FIELD: reason" in why when
 * refused, else 0. */
static int record_shape(const struct record *r, const struct header *h,
			char *why, size_t wl)
{
	static const enum col ids[3] = { COL_GATEWAY, COL_METER, COL_POINT };
	char e[80];

	if (r->error != NULL) {
		whyf(why, wl, "record: %s", r->error);
		return 1;
	}
	if (r->nfields != h->ncols) {
		whyf(why, wl, "record: %zu fields, the header has %zu", r->nfields, h->ncols);
		return 1;
	}
	if (r->long_field >= 0) {
		for (int c = 0; c < COL_N; c++)
			if (h->col[c] == r->long_field)
				whyf(why, wl, "%s: longer than %d bytes", col_names[c],
				     FIELD_MAX - 1);
		return 1;
	}
	for (int c = 0; c < COL_N; c++) {
		if (h->col[c] >= 0 && !text_valid_n(r->field[h->col[c]], r->flen[h->col[c]])) {
			whyf(why, wl, "%s: not UTF-8 text without control characters",
			     col_names[c]);
			return 1;
		}
	}
	for (int i = 0; i < 3; i++) {
		const char *v = cell(r, h, ids[i]);
		if (!id_ok(v)) {
			text_echo(v, 40, e, sizeof(e));
			whyf(why, wl, "%s: \"%s\" is not an id (1..31 of letters, digits, "
			     "'.', '_', '-')", col_names[ids[i]], e);
			return 1;
		}
	}
	return 0;
}

/* The row's time: parsed, from 2000 on, not in the future. 1 when refused. */
static int row_time(const char *v, int64_t now_s, struct import_row *row,
		    char *why, size_t wl)
{
	char e[80];

	if (import_parse_time(v, &row->time_s, e, sizeof(e)) != GFI_OK) {
		char shown[48];
		text_echo(v, 32, shown, sizeof(shown));
		whyf(why, wl, "time: \"%s\" %s", shown, e);
		return 1;
	}
	if (row->time_s < IMPORT_TIME_MIN) {
		whyf(why, wl, "time: before 2000-01-01");
		return 1;
	}
	if (row->time_s > now_s + IMPORT_FUTURE_TOLERANCE_S) {
		whyf(why, wl, "time: in the future");
		return 1;
	}
	return 0;
}

/* The row's status st (may be empty: ok) and value v for quantity q (may
 * be NULL). 1 when refused. */
static int row_value(const char *st, const char *v, const struct gfi_quantity *q,
		     struct import_row *row, char *why, size_t wl)
{
	char e[80];

	if (st[0] != '\0' && gfi_status_parse(st, &row->status, &row->detail) != GFI_OK) {
		text_echo(st, 24, e, sizeof(e));
		whyf(why, wl, "status: \"%s\" is not a reading status (ok, timeout, "
		     "exception-N, comm-error, decode-error, backwards, jump, rollover)", e);
		return 1;
	}
	if (!gfi_status_has_value(row->status)) {
		if (v[0] == '\0')
			return 0;
		whyf(why, wl, "value: must be empty for a status without a value");
		return 1;
	}
	if (v[0] == '\0') {
		whyf(why, wl, "value: empty (status %s needs a value)",
		     row->status == GFI_ST_OK ? "ok" : "with a value");
		return 1;
	}
	if (strlen(v) > 64 || !decimal(v, &row->value)) {
		text_echo(v, 32, e, sizeof(e));
		whyf(why, wl, "value: \"%s\" is not a decimal number", e);
		return 1;
	}
	if (q != NULL && q->kind == GFI_COUNTER && strpbrk(v, "eE") != NULL) {
		/* Excel writes 3.46E+06 for a narrow column: the digits a
		 * counter's consumption is the difference of are gone. */
		text_echo(v, 24, e, sizeof(e));
		whyf(why, wl, "value: \"%s\" is in scientific notation; format the "
		     "column as a number with no exponent", e);
		return 1;
	}
	if (q != NULL && q->kind == GFI_COUNTER && row->value < 0) {
		whyf(why, wl, "value: %.32s is negative for counter %s", v, q->name);
		return 1;
	}
	return 0;
}

/* Check one data record; on success append it to res->rows. "FIELD:
 * reason" goes to why when refused (returns 1); 0 taken; < 0 fatal. */
static int take_row(struct import_result *res, const struct record *r,
		    const struct header *h, int64_t now_s, import_lookup_fn lookup,
		    void *lctx, char *why, size_t wl)
{
	struct import_row row = { .line = r->line, .value = NAN }, *nr;
	const struct import_series *x;
	const char *v;
	char e[80];
	int fatal = 0, idx;

	if (record_shape(r, h, why, wl))
		return 1;
	idx = series_find(res, cell(r, h, COL_GATEWAY), cell(r, h, COL_METER),
			  cell(r, h, COL_POINT), lookup, lctx, &fatal);
	if (fatal < 0)
		return fatal;
	if (idx < 0) {
		whyf(why, wl, "point: more than %d distinct gateway, meter, point in one "
		     "file", IMPORT_SERIES_MAX);
		return 1;
	}
	x = &res->series[idx];
	if (x->refused) {
		whyf(why, wl, "%s", x->why);
		return 1;
	}
	v = cell(r, h, COL_UNIT);
	if (v[0] != '\0' && strcmp(v, x->t.unit) != 0) {
		text_echo(v, 40, e, sizeof(e));
		whyf(why, wl, "unit: %s is not the unit of gateway %s (%s)", e, x->gateway,
		     x->t.unit);
		return 1;
	}
	if (row_time(cell(r, h, COL_TIME), now_s, &row, why, wl) ||
	    row_value(cell(r, h, COL_STATUS), cell(r, h, COL_VALUE),
		      gfi_quantity_find(x->t.quantity), &row, why, wl))
		return 1;
	nr = gfi_grow(res->rows, &res->cap, res->nrows, sizeof(*nr), 1024);
	if (nr == NULL)
		return GFI_E_NOMEM;
	res->rows = nr;
	row.series = (uint32_t)idx;
	res->rows[res->nrows++] = row;
	return 0;
}

static int header_read(const struct record *r, struct header *h, char *why,
		       size_t wl)
{
	char e[48];

	for (int c = 0; c < COL_N; c++)
		h->col[c] = -1;
	h->ncols = r->nfields;
	if (r->error != NULL) {
		whyf(why, wl, "header: %s", r->error);
		return GFI_E_PARSE;
	}
	if (r->blank) {
		whyf(why, wl, "header: missing (the first line names the columns)");
		return GFI_E_PARSE;
	}
	if (r->long_field >= 0) {
		whyf(why, wl, "header: a column name longer than %d bytes", FIELD_MAX - 1);
		return GFI_E_PARSE;
	}
	for (size_t i = 0; i < r->nfields && i < CELLS_MAX; i++) {
		int found = -1;
		for (int c = 0; c < COL_N; c++)
			if (strcmp(r->field[i], col_names[c]) == 0)
				found = c;
		if (found < 0) {
			text_echo(r->field[i], 32, e, sizeof(e));
			whyf(why, wl, "header: unknown column \"%s\" (columns: gateway, "
			     "meter, point, time, value, unit, status)", e);
			return GFI_E_PARSE;
		}
		if (h->col[found] >= 0) {
			whyf(why, wl, "header: column %s given twice", col_names[found]);
			return GFI_E_PARSE;
		}
		h->col[found] = (int)i;
	}
	if (r->nfields > COL_N) {
		whyf(why, wl, "header: more than %d columns", COL_N);
		return GFI_E_PARSE;
	}
	for (int c = COL_GATEWAY; c <= COL_VALUE; c++) {
		if (h->col[c] < 0) {
			whyf(why, wl, "header: column %s missing", col_names[c]);
			return GFI_E_PARSE;
		}
	}
	return GFI_OK;
}

static int row_cmp(const void *a, const void *b)
{
	const struct import_row *x = a, *y = b;

	if (x->series != y->series)
		return x->series < y->series ? -1 : 1;
	if (x->time_s != y->time_s)
		return x->time_s < y->time_s ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Sort by (series, time) and refuse every later row of the same key. */
static void refuse_duplicates(struct import_result *res)
{
	char why[96];

	if (res->nrows > 1)
		qsort(res->rows, res->nrows, sizeof(res->rows[0]), row_cmp);
	for (size_t i = 1, first = 0; i < res->nrows; i++) {
		const struct import_row *a = &res->rows[first], *b = &res->rows[i];
		if (a->series == b->series && a->time_s == b->time_s) {
			whyf(why, sizeof(why), "time: same gateway, meter, point and time "
			     "as line %u", a->line);
			import_refuse_row(res, i, why);
		} else {
			first = i;
		}
	}
}

void import_result_free(struct import_result *res)
{
	if (res == NULL)
		return;
	free(res->series);
	free(res->rows);
	free(res->slots);
	res->series = NULL;
	res->rows = NULL;
	res->slots = NULL;
}

int import_parse(const char *name, const uint8_t *data, size_t len,
		 int64_t now_s, import_lookup_fn lookup, void *lctx,
		 struct import_result *res, char *err, size_t errlen)
{
	struct record *r = NULL;
	struct header h;
	uint32_t line = 1;
	size_t pos = 0;
	char why[IMPORT_ERROR_LEN - 32];
	int ret = GFI_E_NOMEM;

	memset(res, 0, sizeof(*res));
	snprintf(res->name, sizeof(res->name), "%s", name);
	err[0] = '\0';
	if (len > IMPORT_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %u bytes; split the file",
			 res->name, IMPORT_FILE_MAX);
		return GFI_E_RANGE;
	}
	res->nslots = 2 * IMPORT_SERIES_MAX;
	if ((r = malloc(sizeof(*r))) == NULL ||
	    (res->slots = malloc(res->nslots * sizeof(*res->slots))) == NULL)
		goto cleanup;
	memset(res->slots, 0xff, res->nslots * sizeof(*res->slots));
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	pos = read_record(data, len, pos, &line, r);
	if ((ret = header_read(r, &h, why, sizeof(why))) != GFI_OK) {
		snprintf(err, errlen, "%s:1: %s", res->name, why);
		goto cleanup;
	}
	while (pos < len) {
		pos = read_record(data, len, pos, &line, r);
		if (r->blank)
			continue;
		if (++res->data_rows > IMPORT_ROWS_MAX) {
			snprintf(err, errlen, "%s:%u: more than %d data rows; split the file",
				 res->name, r->line, IMPORT_ROWS_MAX);
			ret = GFI_E_RANGE;
			goto cleanup;
		}
		ret = take_row(res, r, &h, now_s, lookup, lctx, why, sizeof(why));
		if (ret < 0)
			goto cleanup;
		if (ret > 0)
			add_error(res, r->line, why);
	}
	refuse_duplicates(res);
	ret = GFI_OK;
cleanup:
	if (ret == GFI_E_NOMEM && err[0] == '\0')
		snprintf(err, errlen, "%s: out of memory", res->name);
	free(r);
	return ret;
}

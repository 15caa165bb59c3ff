/*
 * report.c — `gfi-aggregator report` (the yearly table as CSV, XLSX or
 * JSON, report/report.c) and `gfi-aggregator filing` (record that a unit's
 * table was filed).
 *
 * Why here: the table module only writes tables; reading and checking the
 * options is the command's. Invariants: nothing is written before every
 * option is accepted; `--now` pins the aggregator's now (now.h) for the
 * whole run, so a report can be reproduced byte for byte.
 */
#include <string.h>

#include "cmd.h"
#include "error.h"
#include "now.h"
#include "opts.h"
#include "report.h"

static int take_county(const char *v, FILE *err)
{
	size_t n = v ? strlen(v) : 0;

	if (v == NULL)
		return 0;
	if (n != 6 || strspn(v, "0123456789") != n)
		return opts_refuse(err, "county", "%s is not a 6-digit division code", v);
	return 0;
}

static int take_format(const char *v, enum report_format *fmt, FILE *err)
{
	static const char *const formats[] = { "csv", "xlsx", "json" };

	for (int i = 0; i < 3; i++) {
		if (strcmp(v, formats[i]) == 0) {
			*fmt = (enum report_format)i;
			return 0;
		}
	}
	return opts_refuse(err, "format", "%s is not csv, xlsx or json", v);
}

static int report_options(const struct opts *o, long *year, struct report_filter *f,
			  enum report_format *fmt, FILE *err)
{
	const char *fmt_s = opts_get(o, "format");
	int rc;

	f->unit = opts_get(o, "unit");
	f->county = opts_get(o, "county");
	if ((rc = opts_required("year", opts_get(o, "year"), err)) ||
	    (rc = opts_int("year", opts_get(o, "year"), 2000, 2100, year, err)) ||
	    (rc = opts_credit_code("unit", f->unit, err)) || (rc = take_county(f->county, err)) ||
	    (rc = opts_required("format", fmt_s, err)) ||
	    (rc = opts_required("out", opts_get(o, "out"), err)) ||
	    (rc = opts_pin_now(o, err)))
		return rc;
	if (f->unit != NULL && f->county != NULL)
		return opts_refuse(err, "county", "give --unit or --county, not both");
	return take_format(fmt_s, fmt, err);
}

int cmd_report(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = {
		.options = "store year unit county format out now" };
	struct report_filter f = { 0 };
	enum report_format fmt = REPORT_CSV;
	struct opts o;
	struct store *s = NULL;
	char msg[512] = "";
	long year = 0;
	int rc, ret;

	if ((rc = opts_parse(argc, argv, 1, &spec, &o, err)) != 0 ||
	    (rc = report_options(&o, &year, &f, &fmt, err)) != 0 ||
	    (rc = opts_open_store(opts_get(&o, "store"), &s, err)) != 0)
		return rc;
	ret = report_write(s, (int)year, &f, fmt, opts_get(&o, "out"), msg, sizeof(msg));
	store_close(s);
	if (ret != GFI_OK) {
		fprintf(err, "%s\n", msg[0] ? msg : gfi_strerror(ret));
		return ret == GFI_E_NOTFOUND ? OPTS_BAD : OPTS_FAIL;
	}
	fprintf(out, "report written: year=%ld format=%s out=%s\n", year,
		opts_get(&o, "format"), opts_get(&o, "out"));
	return 0;
}

int cmd_filing(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = { .options = "store unit year by at" };
	struct opts o;
	struct store *s = NULL;
	const char *unit, *by;
	char msg[512] = "";
	int64_t at = agg_now_s();
	long year = 0;
	int rc, ret;

	if ((rc = opts_parse(argc, argv, 1, &spec, &o, err)) != 0)
		return rc;
	unit = opts_get(&o, "unit");
	by = opts_get(&o, "by");
	if ((rc = opts_required("unit", unit, err)) || (rc = opts_credit_code("unit", unit, err)) ||
	    (rc = opts_required("year", opts_get(&o, "year"), err)) ||
	    (rc = opts_int("year", opts_get(&o, "year"), 2000, 2100, &year, err)) ||
	    (rc = opts_required("by", by, err)) ||
	    (rc = opts_text("by", by, 64, 0, err)) ||
	    (rc = opts_time("at", opts_get(&o, "at"), &at, err)) ||
	    (rc = opts_open_store(opts_get(&o, "store"), &s, err)) != 0)
		return rc;
	/* The filing and its snapshot in one transaction: a filing is never
	 * recorded without the table it filed (BEGIN IMMEDIATE: the table is
	 * computed from what the store holds when the filing lands). */
	ret = store_begin(s);
	if (ret == GFI_OK)
		ret = store_filing_put(s, unit, (int)year, by, at);
	if (ret == GFI_OK)
		ret = report_filing_snapshot(s, unit, (int)year, at, msg, sizeof(msg));
	if (ret == GFI_OK)
		ret = store_commit(s);
	if (ret != GFI_OK)
		store_rollback(s);
	store_close(s);
	if (ret == GFI_E_NOTFOUND)
		return opts_refuse(err, "unit", "%s is not a registered unit", unit);
	if (ret != GFI_OK) {
		fprintf(err, "store: filing failed: %s\n", msg[0] ? msg : gfi_strerror(ret));
		return OPTS_FAIL;
	}
	fprintf(out, "filed: unit=%s year=%ld by=%s\n", unit, year, by);
	return 0;
}

/*
 * api_reports.c — GET /api/v1/report (the yearly table as JSON, CSV or
 * XLSX, report.h) and GET /api/v1/imports (history imports, city only;
 * the route table holds that rule) (docs/api.md).
 *
 * Invariants: a county token's report is its county's, a unit token's its
 * unit's, whatever the query asks; the report is written by report.c to a
 * temporary file that is removed before answering.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api-private.h"
#include "error.h"
#include "json.h"
#include "jsonutil.h"
#include "log.h"
#include "report.h"

#define REPORT_MAX_BYTES (64L * 1024 * 1024)

/* The filter a token's report is limited to, from the query's county. */
static int report_scope(struct api_ctx *c, struct report_filter *f)
{
	f->county = api_param(c, "county");
	if (c->role == API_COUNTY) {
		if (f->county != NULL && strcmp(f->county, c->tok.scope) != 0)
			return api_fail(c, 404, "county: %s not found", f->county);
		f->county = c->tok.scope;
	} else if (c->role == API_UNIT) {
		if (f->county != NULL)
			return api_fail(c, 400, "county: not for a unit token");
		f->unit = c->tok.scope;
	}
	return 0;
}

static int report_format(struct api_ctx *c, enum report_format *fmt, const char **type)
{
	const char *format = api_param(c, "format");

	*type = JSON_TYPE;
	if (format == NULL || strcmp(format, "json") == 0) {
		*fmt = REPORT_JSON;
	} else if (strcmp(format, "csv") == 0) {
		*fmt = REPORT_CSV;
		*type = "text/csv; charset=utf-8";
	} else if (strcmp(format, "xlsx") == 0) {
		*fmt = REPORT_XLSX;
		*type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	} else {
		return api_fail(c, 400, "format: must be json, csv or xlsx");
	}
	return 0;
}

int api_get_report(struct api_ctx *c)
{
	static const char *const allowed[] = { "year", "format", "county", NULL };
	struct report_filter f = { NULL, NULL };
	enum report_format fmt = REPORT_JSON;
	const char *type = JSON_TYPE;
	char path[] = "/tmp/gfi-report-XXXXXX", err[256] = "", *text = NULL;
	size_t len = 0;
	long year = 0;
	int fd, rc;

	if (api_params_check(c, allowed) || api_param_int(c, "year", 2000, 2100, 1, &year) ||
	    api_param_county(c, "county") || report_format(c, &fmt, &type) ||
	    report_scope(c, &f))
		return -1;
	if ((fd = mkstemp(path)) < 0)
		return api_fail(c, 500, "report: cannot create a temporary file");
	close(fd);
	rc = report_write(c->s, (int)year, &f, fmt, path, err, sizeof(err));
	if (rc == GFI_OK)
		rc = gfi_read_file(path, (size_t)REPORT_MAX_BYTES, &text, &len, err,
				   sizeof(err));
	unlink(path);
	if (rc == GFI_E_NOTFOUND)
		return api_fail(c, 404, "report: no listed unit to report");
	if (rc != GFI_OK) {
		free(text);
		log_err("report failed: year=%ld: %s", year, err);
		return api_fail(c, 500, "report: %s", gfi_strerror(rc));
	}
	api_set_body(c, 200, type, text, len);
	if (fmt != REPORT_JSON)
		snprintf(c->resp->filename, sizeof(c->resp->filename), "gfi-report-%ld.%s",
			 year, fmt == REPORT_CSV ? "csv" : "xlsx");
	return 0;
}

static int import_row(void *ctx, const void *row)
{
	cJSON *o = json_import(row);

	if (o == NULL || !cJSON_AddItemToArray(ctx, o)) {
		cJSON_Delete(o);
		return 1;
	}
	return 0;
}

/* GET /api/v1/imports: every history import (docs/import.md). City tokens
 * only (routes.c): a file may hold several units' readings. */
int api_get_imports(struct api_ctx *c)
{
	cJSON *o, *arr;
	int rc;

	if (api_params_check(c, NULL))
		return -1;
	o = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(o, "imports");
	rc = arr ? store_import_list(c->s, import_row, arr) : GFI_E_NOMEM;
	return api_reply_list(c, o, rc, GFI_OK);
}

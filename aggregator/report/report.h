/*
 * report.h — the yearly dynamic management table (动态管理表) of the listed
 * units, as CSV, XLSX or JSON, and the record that a unit's table was filed
 * (docs/report.md).
 *
 * One row per unit: its registry fields, every indicator of indicators.h for
 * the year exactly as indicators_compute gives it, and a data-quality note
 * (completeness, estimates, provenance). The same numbers in every format:
 * the API later shows them too. The commands are in cmd/report.c.
 */
#ifndef GFI_AGG_REPORT_H
#define GFI_AGG_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "store.h"

enum report_format { REPORT_CSV, REPORT_XLSX, REPORT_JSON };

/* Which units: all listed, not retired units when both are NULL. */
struct report_filter {
	const char *unit;      /* one credit code */
	const char *county;    /* the units of one county */
};

/* Write the table of year to path in fmt. GFI_OK; GFI_E_NOTFOUND when the
 * filter matches no unit; GFI_E_IO (cannot write path); GFI_E_DB; with one
 * line in err. A failed write leaves no partial file behind. */
int report_write(struct store *s, int year, const struct report_filter *f,
		 enum report_format fmt, const char *path, char *err,
		 size_t errlen);

/* Snapshot the filed table of unit for year (filing at filed_s): the JSON
 * of report_write for the unit, kept in the store byte for byte with the
 * filed 综合能耗 (store_filing_snapshot_put), so the filing stays
 * reproducible and late readings are told against it. GFI_OK,
 * GFI_E_NOTFOUND, GFI_E_NOMEM, GFI_E_DB; one line in err. */
int report_filing_snapshot(struct store *s, const char *unit, int year,
			   int64_t filed_s, char *err, size_t errlen);

#endif

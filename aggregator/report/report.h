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

#include "opts.h"
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

/* ---- the token command's old option parser names ----
 * Kept only until `token` (api/api.c, moving to cmd/token.c) is ported to
 * the one option parser, cmd/opts.h; they are thin wrappers over it
 * (cmd/opts_compat.c). Do not use in new code. */

struct report_opts {
	struct opts o;
};

int report_opts_parse(int argc, char **argv, int first,
		      const char *const *allowed, const char *const *flags,
		      int allow_word, struct report_opts *o, FILE *err);
const char *report_opt(const struct report_opts *o, const char *name);
int report_opt_required(const char *name, const char *value, FILE *err);
int report_opt_text(const char *name, const char *value, size_t size,
		    FILE *err);
int report_open_store(const char *path, struct store **s, FILE *err);

#endif

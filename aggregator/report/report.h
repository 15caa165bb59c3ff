/*
 * report.h — the yearly dynamic management table (动态管理表) of the listed
 * units, as CSV, XLSX or JSON, and the record that a unit's table was filed
 * (docs/report.md).
 *
 * One row per unit: its registry fields, every indicator of indicators.h for
 * the year exactly as indicators_compute gives it, and a data-quality note
 * (completeness, estimates, provenance). The same numbers in every format:
 * the API later shows them too.
 *
 * Also the small option parser the review commands (report, filing, alerts,
 * spotcheck) share, so their refusals read alike: one line on err starting
 * with the option ("--year: 1999 out of range 2000..2100"), exit status 2.
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

/* `gfi-aggregator report ...` and `gfi-aggregator filing ...`; argv[0] is
 * the command word. Return the exit status: 0, 1 (store or I/O failure),
 * 2 (bad input). */
int report_cli(int argc, char **argv, FILE *out, FILE *err);
int report_filing_cli(int argc, char **argv, FILE *out, FILE *err);

/* ---- options shared by the review commands ---- */

#define REPORT_OPTS_MAX 16

struct report_opts {
	const char *name[REPORT_OPTS_MAX];   /* without the leading "--" */
	const char *value[REPORT_OPTS_MAX];  /* "" for a flag */
	int n;
	const char *word;                    /* the one bare word, or NULL */
};

/* Parse argv[first..argc) into o: "--name value" pairs whose names are in
 * allowed (NULL-terminated), flags (no value) in flags, and at most one bare
 * word when allow_word. On a refusal writes one line on err and returns 2;
 * else 0. Values are borrowed from argv. */
int report_opts_parse(int argc, char **argv, int first,
		      const char *const *allowed, const char *const *flags,
		      int allow_word, struct report_opts *o, FILE *err);
/* The value of option name, or NULL when absent. */
const char *report_opt(const struct report_opts *o, const char *name);

/* Field checks: each returns 0, or writes "--name: why" on err and returns
 * 2. A NULL value is "missing" when required, else left alone (0). */
int report_opt_required(const char *name, const char *value, FILE *err);
int report_opt_int(const char *name, const char *value, long min, long max,
		   long *out, FILE *err);
int report_opt_double(const char *name, const char *value, double min,
		      double max, double *out, FILE *err);
/* UTF-8 text without control characters, 1..size-1 bytes. */
int report_opt_text(const char *name, const char *value, size_t size,
		    FILE *err);
/* A time: epoch seconds or "YYYY-MM-DD[ HH:MM[:SS]]" Asia/Shanghai. */
int report_opt_time(const char *name, const char *value, int64_t *out,
		    FILE *err);

/* Open the store at path for a review command, refusing a path that does
 * not exist (a mistyped path must not leave an empty store behind). 0, 2
 * (--store missing), 1 (cannot open). */
int report_open_store(const char *path, struct store **s, FILE *err);

#endif

/*
 * benchmark.c — `gfi-aggregator benchmark set|list`: the 基准值 and 引领值
 * per sector and platform indicator the yearly table scores against
 * (store_filing.h, docs/report.md "Benchmarks and scores").
 *
 *   benchmark set --store F --indicator KEY [--sector CODE] [--band 1..4]
 *                 --year Y --baseline B --leading L --weight W
 *                 --direction higher|lower --source TEXT
 *   benchmark list --store F
 *   benchmark settings --store F [--deadline MM-DD] [--reconcile-pct P]
 *                 (the filing deadline, April 15 by default, and the
 *                 reconciliation tolerance, 5 %; prints both)
 *
 * Invariants: the indicator is a platform row's key (score.h), its
 * direction the row's, and the 引领值 lies beyond the 基准值 in that
 * direction; a band only on the renewable share (row 3). A refusal is one
 * line naming the option (exit 2), a store failure exit 1.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "error.h"
#include "opts.h"
#include "score.h"
#include "store.h"

#define SET_OPTIONS "store indicator sector band year baseline leading weight " \
	"direction source"

/* The row whose key or per-product key is key, *alt set by which; NULL. */
static const struct score_row_def *row_of(const char *key, int *alt)
{
	const struct score_row_def *d = score_rows();

	for (int i = 0; i < SCORE_ROWS; i++) {
		*alt = d[i].alt_key != NULL && strcmp(d[i].alt_key, key) == 0;
		if (d[i].kind == ROW_VALUE && (*alt || strcmp(d[i].key, key) == 0))
			return &d[i];
	}
	return NULL;
}

static int bench_numbers(const struct opts *o, const struct score_row_def *d,
			 struct store_benchmark *b, FILE *err)
{
	const char *dir = opts_get(o, "direction");
	long year = 0, band = 0;
	int rc;

	if ((rc = opts_int("year", opts_get(o, "year"), 2000, 2100, &year, err)) ||
	    (rc = opts_int("band", opts_get(o, "band"), 1, 4, &band, err)) ||
	    (rc = opts_double("baseline", opts_get(o, "baseline"), -1e15, 1e15, &b->baseline, err)) ||
	    (rc = opts_double("leading", opts_get(o, "leading"), -1e15, 1e15, &b->leading, err)) ||
	    (rc = opts_double("weight", opts_get(o, "weight"), 1e-9, 1e6, &b->weight, err)))
		return rc;
	if (band != 0 && d->no != 3)
		return opts_refuse(err, "band", "only the renewable share (row 3) has bands");
	if (strcmp(dir, "higher") != 0 && strcmp(dir, "lower") != 0)
		return opts_refuse(err, "direction", "%s is not one of higher, lower", dir);
	b->higher_is_better = strcmp(dir, "higher") == 0;
	if (b->higher_is_better != d->higher_is_better)
		return opts_refuse(err, "direction", "%s, but row %d (%s) is %s is better", dir,
				   d->no, d->key, d->higher_is_better ? "higher" : "lower");
	if (b->higher_is_better ? !(b->leading > b->baseline) : !(b->leading < b->baseline))
		return opts_refuse(err, "leading", "%g must be %s than the baseline %g",
				   b->leading, b->higher_is_better ? "higher" : "lower",
				   b->baseline);
	b->year = (int)year;
	b->band = (int)band;
	return 0;
}

static int bench_fields(const struct opts *o, struct store_benchmark *b, FILE *err)
{
	static const char *const required[] = { "indicator", "year", "baseline", "leading",
						"weight", "direction", "source" };
	const char *key = opts_get(o, "indicator"), *sector = opts_get(o, "sector");
	const struct score_row_def *d;
	int rc, alt = 0;

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if ((rc = opts_required(required[i], opts_get(o, required[i]), err)))
			return rc;
	if ((rc = opts_text("indicator", key, sizeof(b->indicator), 0, err)) ||
	    (rc = opts_text("sector", sector, sizeof(b->sector), 1, err)) ||
	    (rc = opts_text("source", opts_get(o, "source"), sizeof(b->source), 0, err)))
		return rc;
	if ((d = row_of(key, &alt)) == NULL)
		return opts_refuse(err, "indicator", "%s is not a scored platform row "
				   "(docs/report.md)", key);
	if ((rc = bench_numbers(o, d, b, err)))
		return rc;
	snprintf(b->indicator, sizeof(b->indicator), "%s", key);
	snprintf(b->sector, sizeof(b->sector), "%s", sector ? sector : "");
	snprintf(b->source, sizeof(b->source), "%s", opts_get(o, "source"));
	return 0;
}

static int bench_row(void *ctx, const void *row)
{
	const struct store_benchmark *b = row;

	fprintf(ctx, "%s\t%s\t%d\t%d\t%.10g\t%.10g\t%.10g\t%s\t%s\n", b->sector[0] ? b->sector : "*",
		b->indicator, b->band, b->year, b->baseline, b->leading, b->weight,
		b->higher_is_better ? "higher" : "lower", b->source);
	return 0;
}

/* --deadline MM-DD into 100 * month + day (February at most 28: a
 * deadline every year has). */
static int deadline_of(const char *v, double *mmdd, FILE *err)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int m = 0, d = 0, n = 0;

	if (v == NULL)
		return 0;
	if (sscanf(v, "%2d-%2d%n", &m, &d, &n) != 2 || n != 5 || v[n] != '\0' || v[2] != '-' ||
	    m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return opts_refuse(err, "deadline", "%s is not a day MM-DD (e.g. 04-15)", v);
	*mmdd = 100 * m + d;
	return 0;
}

static int settings(struct store *s, const struct opts *o, FILE *out, FILE *err)
{
	double mmdd = -1, pct = -1;
	int rc;

	if ((rc = deadline_of(opts_get(o, "deadline"), &mmdd, err)) ||
	    (rc = opts_double("reconcile-pct", opts_get(o, "reconcile-pct"), 0, 100, &pct, err)))
		return rc;
	if ((mmdd >= 0 && (rc = store_setting_set(s, STORE_SETTING_DEADLINE, mmdd))) ||
	    (pct >= 0 && (rc = store_setting_set(s, STORE_SETTING_RECONCILE, pct))) ||
	    (rc = store_setting_get(s, STORE_SETTING_DEADLINE, STORE_SETTING_DEADLINE_DEFAULT,
				    &mmdd)) ||
	    (rc = store_setting_get(s, STORE_SETTING_RECONCILE,
				    STORE_SETTING_RECONCILE_DEFAULT, &pct)))
		return rc;
	fprintf(out, "filing_deadline\t%02d-%02d\nreconcile_diff_pct\t%.10g\n",
		(int)mmdd / 100, (int)mmdd % 100, pct);
	return GFI_OK;
}

int cmd_benchmark(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = { .options = "store indicator sector band year "
					       "baseline leading weight direction source deadline reconcile-pct" };
	struct store_benchmark b = { 0 };
	struct store *s = NULL;
	struct opts o;
	const char *verb = argc > 1 ? argv[1] : NULL;
	int rc, set = verb != NULL && strcmp(verb, "set") == 0;
	int sets = verb != NULL && strcmp(verb, "settings") == 0;

	if (verb == NULL || (!set && !sets && strcmp(verb, "list") != 0)) {
		fprintf(err, "verb: %s is not one of set, list, settings\n",
			verb ? verb : "(missing)");
		return OPTS_BAD;
	}
	if ((rc = opts_parse(argc, argv, 2, &spec, &o, err)) ||
	    (rc = opts_only(&o, set ? SET_OPTIONS : sets ? "store deadline reconcile-pct" : "store",
			    set ? "benchmark set" : sets ? "benchmark settings" : "benchmark list",
			    err)) ||
	    (sets && ((rc = deadline_of(opts_get(&o, "deadline"), &(double){ 0 }, err)) ||
		      (rc = opts_double("reconcile-pct", opts_get(&o, "reconcile-pct"), 0, 100,
					&(double){ 0 }, err)))) ||
	    (set && (rc = bench_fields(&o, &b, err))) ||
	    (rc = opts_open_store(opts_get(&o, "store"), &s, err)))
		return rc;
	if (sets) {
		rc = settings(s, &o, out, err);
	} else if (set) {
		rc = store_benchmark_set(s, &b);
	} else {
		fprintf(out, "sector\tindicator\tband\tyear\tbaseline\tleading\tweight\t"
			"direction\tsource\n");
		rc = store_benchmark_list(s, bench_row, out);
	}
	return opts_store_done(s, rc, "benchmark", verb, err);
}

/*
 * factors_cli.c — the command line for conversion/emission factors and for
 * computing a unit's indicators (factors_cli.h).
 *
 * Why its own module: main.c stays a dispatcher, and registry.c's admin
 * table is about the registry; factors are figures with sources, the
 * indicators a read-only computation. Every input is checked here (numbers
 * whole with strtod/strtol and a range) before the store sees it.
 */
#include "factors_cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "indicators.h"
#include "json.h"
#include "registry.h"
#include "store.h"

#define MAXOPT 10

struct opts {
	const char *name[MAXOPT];
	const char *value[MAXOPT];
	int n;
	int json;
};

/* --name value pairs (and the flag --json); 2 and a message on error. */
static int parse(int argc, char **argv, int from, struct opts *o, FILE *err)
{
	memset(o, 0, sizeof(*o));
	for (int i = from; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			o->json = 1;
			continue;
		}
		if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc ||
		    strncmp(argv[i + 1], "--", 2) == 0 || o->n == MAXOPT) {
			fprintf(err, "%s: unknown argument or missing value\n", argv[i]);
			return 2;
		}
		o->name[o->n] = argv[i] + 2;
		o->value[o->n++] = argv[++i];
	}
	return 0;
}

static const char *opt(const struct opts *o, const char *name)
{
	for (int i = 0; i < o->n; i++) {
		if (strcmp(o->name[i], name) == 0)
			return o->value[i];
	}
	return NULL;
}

/* Only the options listed in allowed (space separated) may appear. */
static int only(const struct opts *o, const char *allowed, FILE *err)
{
	for (int i = 0; i < o->n; i++) {
		const char *p = strstr(allowed, o->name[i]);
		size_t len = strlen(o->name[i]);
		if (p == NULL || (p != allowed && p[-1] != ' ') ||
		    (p[len] != ' ' && p[len] != '\0')) {
			fprintf(err, "--%s: unknown option\n", o->name[i]);
			return 2;
		}
	}
	return 0;
}

static int need(const struct opts *o, const char *name, const char **v, FILE *err)
{
	if ((*v = opt(o, name)) == NULL || **v == '\0') {
		fprintf(err, "--%s: missing\n", name);
		return 2;
	}
	return 0;
}

static int int_in(const char *name, const char *s, long lo, long hi, int *out,
		  FILE *err)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
		fprintf(err, "--%s: %s out of range %ld..%ld\n", name, s, lo, hi);
		return 2;
	}
	*out = (int)v;
	return 0;
}

static int fits(const char *name, const char *v, size_t size, FILE *err)
{
	if (strlen(v) >= size) {
		fprintf(err, "--%s: longer than %zu bytes\n", name, size - 1);
		return 2;
	}
	return 0;
}

static int open_store(const char *path, struct store **s, FILE *err)
{
	int rc = store_open(path, s);

	if (rc != GFI_OK) {
		fprintf(err, "--store: %s: %s\n", path, gfi_strerror(rc));
		return 1;
	}
	return 0;
}

/* ---- factor set / list ---- */

static int factor_fields(const struct opts *o, struct store_factor *f, FILE *err)
{
	const char *kind, *carrier, *year, *value, *vu, *src, *unit = opt(o, "unit");
	char *end = NULL;
	int rc;

	if ((rc = need(o, "kind", &kind, err)) || (rc = need(o, "carrier", &carrier, err)) ||
	    (rc = need(o, "year", &year, err)) || (rc = need(o, "value", &value, err)) ||
	    (rc = need(o, "value-unit", &vu, err)) || (rc = need(o, "source", &src, err)))
		return rc;
	if ((rc = fits("kind", kind, sizeof(f->kind), err)) ||
	    (rc = fits("carrier", carrier, sizeof(f->carrier), err)) ||
	    (rc = fits("value-unit", vu, sizeof(f->value_unit), err)) ||
	    (rc = fits("source", src, sizeof(f->source), err)))
		return rc;
	if (strchr(vu, '/') == NULL) {
		fprintf(err, "--value-unit: %s is not of the form NUM/DEN (e.g. kgce/kWh)\n", vu);
		return 2;
	}
	if (unit != NULL && !registry_credit_code_valid(unit)) {
		fprintf(err, "--unit: %s is not a valid unified social credit code\n", unit);
		return 2;
	}
	if ((rc = int_in("year", year, 0, 2200, &f->year, err)) != 0)
		return rc;
	if (f->year != 0 && f->year < 1970) {
		fprintf(err, "--year: %d out of range 0, 1970..2200\n", f->year);
		return 2;
	}
	errno = 0;
	f->value = strtod(value, &end);
	if (end == value || *end != '\0' || !isfinite(f->value) || f->value < 0) {
		fprintf(err, "--value: %s is not a finite number >= 0\n", value);
		return 2;
	}
	snprintf(f->kind, sizeof(f->kind), "%s", kind);
	snprintf(f->carrier, sizeof(f->carrier), "%s", carrier);
	snprintf(f->unit, sizeof(f->unit), "%s", unit ? unit : "");
	snprintf(f->value_unit, sizeof(f->value_unit), "%s", vu);
	snprintf(f->source, sizeof(f->source), "%s", src);
	return 0;
}

static int factor_row(void *ctx, const void *row)
{
	const struct store_factor *f = row;

	fprintf(ctx, "%s\t%s\t%d\t%s\t%.10g\t%s\t%s\n", f->kind, f->carrier, f->year,
		f->unit, f->value, f->value_unit, f->source);
	return 0;
}

int factors_cli(int argc, char **argv, FILE *out, FILE *err)
{
	struct store_factor f = { 0 };
	struct store *s = NULL;
	struct opts o;
	const char *path;
	int rc, set = argc > 0 && strcmp(argv[0], "set") == 0;

	if (argc < 1 || (!set && strcmp(argv[0], "list") != 0)) {
		fprintf(err, "verb: %s is not one of set, list\n", argc ? argv[0] : "(missing)");
		return 2;
	}
	if ((rc = parse(argc, argv, 1, &o, err)) ||
	    (rc = only(&o, set ? "store kind carrier year unit value value-unit source"
			       : "store", err)) ||
	    (rc = need(&o, "store", &path, err)) ||
	    (set && (rc = factor_fields(&o, &f, err))))
		return rc;
	if ((rc = open_store(path, &s, err)) != 0)
		return rc;
	if (set) {
		rc = store_factor_set(s, &f);
	} else {
		fprintf(out, "kind\tcarrier\tyear\tunit\tvalue\tvalue_unit\tsource\n");
		rc = store_factor_list(s, factor_row, out);
	}
	store_close(s);
	if (rc != GFI_OK) {
		fprintf(err, "factor %s failed: %s\n", argv[0], gfi_strerror(rc));
		return 1;
	}
	return 0;
}

/* ---- indicators ---- */

static const char *prov_name(enum ind_provenance p)
{
	return (int)p >= 0 && p <= PROV_DERIVED ? ind_provenance_names[p] : "unknown";
}

/* The unit of d for this period: "unit" stands for the product unit. */
static void unit_text(const struct ind_def *d, const struct ind_period *p,
		      char *buf, size_t size)
{
	const char *u = strstr(d->unit, "unit");

	if (u == NULL || p->product_unit[0] == '\0')
		snprintf(buf, size, "%s", d->unit);
	else
		snprintf(buf, size, "%.*s%s", (int)(u - d->unit), d->unit,
			 p->product_unit);
}

static void print_tsv(const struct ind_period *p, FILE *out)
{
	fprintf(out, "key\tvalue\tunit\tcompleteness_pct\tprovenance\testimated\tyoy_pct\n");
	for (int i = 0; i < IND_N; i++) {
		const struct ind_def *d = ind_def((enum ind_id)i);
		const struct ind_value *v = &p->v[i];
		char unit[48];
		unit_text(d, p, unit, sizeof(unit));
		if (!v->has_value) {
			fprintf(out, "%s\t-\t%s\t-\tnone\t0\t-\n", d->key, unit);
			continue;
		}
		fprintf(out, "%s\t%.10g\t%s\t%.4g\t%s\t%d\t", d->key, v->value, unit,
			v->completeness * 100.0, prov_name(v->provenance), v->estimated);
		if (v->has_yoy)
			fprintf(out, "%.4g\n", v->yoy_pct);
		else
			fprintf(out, "-\n");
	}
}

int indicators_cli(int argc, char **argv, FILE *out, FILE *err)
{
	struct ind_period *p = NULL;
	struct store *s = NULL;
	const char *path, *unit, *year_s, *month_s;
	struct opts o;
	int rc, year = 0, month = 0;

	if ((rc = parse(argc, argv, 0, &o, err)) ||
	    (rc = only(&o, "store unit year month", err)) ||
	    (rc = need(&o, "store", &path, err)) || (rc = need(&o, "unit", &unit, err)) ||
	    (rc = need(&o, "year", &year_s, err)) ||
	    (rc = int_in("year", year_s, 1971, 2200, &year, err)))
		return rc;
	if ((month_s = opt(&o, "month")) != NULL &&
	    (rc = int_in("month", month_s, 0, 12, &month, err)))
		return rc;
	if (!registry_credit_code_valid(unit)) {
		fprintf(err, "--unit: %s is not a valid unified social credit code\n", unit);
		return 2;
	}
	if ((p = malloc(sizeof(*p))) == NULL) {
		fprintf(err, "indicators: out of memory\n");
		return 1;
	}
	if ((rc = open_store(path, &s, err)) == 0) {
		int ret = indicators_compute(s, unit, year, month, p);
		if (ret == GFI_E_NOTFOUND) {
			fprintf(err, "--unit: %s is not registered\n", unit);
			rc = 2;
		} else if (ret != GFI_OK) {
			fprintf(err, "indicators failed: unit=%s: %s\n", unit, gfi_strerror(ret));
			rc = 1;
		} else if (o.json) {
			json_print_line(json_period(p), out);
		} else {
			print_tsv(p, out);
		}
	}
	store_close(s);
	free(p);
	return rc;
}

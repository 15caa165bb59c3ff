/*
 * factor.c — `gfi-aggregator factor set|list`: the conversion and emission
 * factors (figures with a source) the indicators use.
 *
 *   factor set --store F --kind K --carrier C --year Y [--unit CODE]
 *              --value V --value-unit U --source TEXT
 *   factor list --store F
 *
 * Invariants: every input is checked (numbers whole with strtod/strtol and
 * a range) before the store sees it; a refusal is one line naming the
 * option (exit 2), a store failure exit 1 (docs/indicators.md).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "error.h"
#include "opts.h"
#include "store.h"

static int fits(const char *name, const char *v, size_t size, FILE *err)
{
	if (strlen(v) >= size)
		return opts_refuse(err, name, "longer than %zu bytes", size - 1);
	return 0;
}

static int need(const struct opts *o, const char *name, const char **v, FILE *err)
{
	if ((*v = opts_get(o, name)) == NULL || **v == '\0')
		return opts_refuse(err, name, "missing");
	return 0;
}

static int factor_numbers(const struct opts *o, struct store_factor *f, FILE *err)
{
	const char *value = opts_get(o, "value");
	char *end = NULL;
	long year = 0;
	int rc;

	if ((rc = opts_int("year", opts_get(o, "year"), 0, 2200, &year, err)) != 0)
		return rc;
	if (year != 0 && year < 1970)
		return opts_refuse(err, "year", "%ld out of range 0, 1970..2200", year);
	f->year = (int)year;
	errno = 0;
	f->value = strtod(value, &end);
	if (end == value || *end != '\0' || !isfinite(f->value) || f->value < 0)
		return opts_refuse(err, "value", "%s is not a finite number >= 0", value);
	return 0;
}

static int factor_fields(const struct opts *o, struct store_factor *f, FILE *err)
{
	const char *kind, *carrier, *year, *value, *vu, *src, *unit = opts_get(o, "unit");
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
	if (strchr(vu, '/') == NULL)
		return opts_refuse(err, "value-unit", "%s is not of the form NUM/DEN (e.g. kgce/kWh)", vu);
	if ((rc = opts_credit_code("unit", unit, err)) || (rc = factor_numbers(o, f, err)))
		return rc;
	snprintf(f->kind, sizeof(f->kind), "%s", kind);
	snprintf(f->carrier, sizeof(f->carrier), "%s", carrier);
	snprintf(f->unit, sizeof(f->unit), "%s", unit ? unit : "");
	snprintf(f->value_unit, sizeof(f->value_unit), "%s", vu);
	snprintf(f->source, sizeof(f->source), "%s", src);
	return 0;
}

/* factor set may create the store (a fresh city starts with its factors). */
static int open_store(const char *path, struct store **s, FILE *err)
{
	int rc = store_open(path, s);

	if (rc != GFI_OK) {
		fprintf(err, "--store: %s: %s\n", path, gfi_strerror(rc));
		return OPTS_FAIL;
	}
	return 0;
}

static int factor_row(void *ctx, const void *row)
{
	const struct store_factor *f = row;

	fprintf(ctx, "%s\t%s\t%d\t%s\t%.10g\t%s\t%s\n", f->kind, f->carrier, f->year,
		f->unit, f->value, f->value_unit, f->source);
	return 0;
}

int cmd_factor(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = { .options = "store kind carrier year unit "
					       "value value-unit source" };
	struct store_factor f = { 0 };
	struct store *s = NULL;
	struct opts o;
	const char *path, *verb = argc > 1 ? argv[1] : NULL;
	int rc, set = verb != NULL && strcmp(verb, "set") == 0;

	if (verb == NULL || (!set && strcmp(verb, "list") != 0)) {
		fprintf(err, "verb: %s is not one of set, list\n", verb ? verb : "(missing)");
		return OPTS_BAD;
	}
	if ((rc = opts_parse(argc, argv, 2, &spec, &o, err)) ||
	    (rc = opts_only(&o, set ? "store kind carrier year unit value value-unit source"
				    : "store", set ? "factor set" : "factor list", err)) ||
	    (rc = need(&o, "store", &path, err)) ||
	    (set && (rc = factor_fields(&o, &f, err))) ||
	    (rc = open_store(path, &s, err)))
		return rc;
	if (set) {
		rc = store_factor_set(s, &f);
	} else {
		fprintf(out, "kind\tcarrier\tyear\tunit\tvalue\tvalue_unit\tsource\n");
		rc = store_factor_list(s, factor_row, out);
	}
	return opts_store_done(s, rc, "factor", verb, err);
}

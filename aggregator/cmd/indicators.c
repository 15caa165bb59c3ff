/*
 * indicators.c — `gfi-aggregator indicators --store F --unit CODE --year Y
 * [--month M] [--json] [--now TIME]`: compute one unit's indicators for a
 * year or month (calc/indicators.c) and print every one with its value,
 * unit, completeness, provenance, estimate flag, year-on-year change and
 * the missing inputs behind an estimate (a period in progress ends with a
 * "# yoy_pct: 同比(截至12月7日) ..." line).
 *
 * Invariants: read-only; `--now` pins the aggregator's now (now.h) so a
 * period in progress gives a reproducible answer; a refusal is one line
 * naming the option (exit 2), a store failure exit 1.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "error.h"
#include "json.h"
#include "indicators.h"
#include "opts.h"
#include "store.h"

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

/* The missing inputs of v ("carrier point kind; ..."), "-" when none. */
static void print_reasons(const struct ind_period *p, const struct ind_value *v,
			  FILE *out)
{
	const char *sep = "";

	for (int i = 0; i < p->nmissing && i < IND_MISSING_MAX; i++) {
		if (!(v->missing & (1u << i)))
			continue;
		fprintf(out, "%s%s %s %s", sep, p->missing[i].carrier, p->missing[i].point,
			ind_missing_kind_names[p->missing[i].kind]);
		sep = "; ";
	}
	fprintf(out, "%s\n", sep[0] ? "" : "-");
}

static void print_tsv(const struct ind_period *p, FILE *out)
{
	char zh[64], en[64];

	fprintf(out, "key\tvalue\tunit\tcompleteness_pct\tprovenance\testimated\tyoy_pct\treasons\n");
	for (int i = 0; i < IND_N; i++) {
		const struct ind_def *d = ind_def((enum ind_id)i);
		const struct ind_value *v = &p->v[i];
		char unit[48];
		unit_text(d, p, unit, sizeof(unit));
		if (!v->has_value) {
			fprintf(out, "%s\t-\t%s\t-\tnone\t%d\t-\t", d->key, unit,
				v->estimated);
			print_reasons(p, v, out);
			continue;
		}
		fprintf(out, "%s\t%.10g\t%s\t%.4g\t%s\t%d\t", d->key, v->value, unit,
			v->completeness * 100.0, prov_name(v->provenance), v->estimated);
		if (v->has_yoy)
			fprintf(out, "%.4g\t", v->yoy_pct);
		else
			fprintf(out, "-\t");
		print_reasons(p, v, out);
	}
	indicators_yoy_label(p, zh, sizeof(zh), en, sizeof(en));
	if (p->in_progress)   /* the period is measured to now: say so */
		fprintf(out, "# yoy_pct: %s (%s)\n", zh, en);
}

/* The indicators of the period o names, into p; 0, 1 or 2. */
static int compute(const struct opts *o, struct ind_period *p, FILE *err)
{
	const char *unit = opts_get(o, "unit");
	struct store *s = NULL;
	long year = 0, month = 0;
	int rc, ret;

	if ((rc = opts_required("unit", unit, err)) ||
	    (rc = opts_required("year", opts_get(o, "year"), err)) ||
	    (rc = opts_int("year", opts_get(o, "year"), 1971, 2200, &year, err)) ||
	    (rc = opts_int("month", opts_get(o, "month"), 0, 12, &month, err)) ||
	    (rc = opts_credit_code("unit", unit, err)) || (rc = opts_pin_now(o, err)) ||
	    (rc = opts_open_store(opts_get(o, "store"), &s, err)))
		return rc;
	ret = indicators_compute(s, unit, (int)year, (int)month, p);
	store_close(s);
	if (ret == GFI_E_NOTFOUND)
		return opts_refuse(err, "unit", "%s is not registered", unit);
	if (ret != GFI_OK) {
		fprintf(err, "indicators failed: unit=%s: %s\n", unit, gfi_strerror(ret));
		return OPTS_FAIL;
	}
	return 0;
}

int cmd_indicators(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = { .options = "store unit year month now",
					       .flags = "json" };
	struct ind_period *p = NULL;
	struct opts o;
	int rc;

	if ((rc = opts_parse(argc, argv, 1, &spec, &o, err)) != 0)
		return rc;
	if ((p = malloc(sizeof(*p))) == NULL) {
		fprintf(err, "indicators: out of memory\n");
		return OPTS_FAIL;
	}
	if ((rc = compute(&o, p, err)) == 0) {
		if (opts_get(&o, "json") != NULL)
			json_print_line(json_period(p), out);
		else
			print_tsv(p, out);
	}
	free(p);
	return rc;
}

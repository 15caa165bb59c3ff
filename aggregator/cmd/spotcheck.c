/*
 * spotcheck.c — `gfi-aggregator spotcheck` (judge an inspector's display
 * reading against the reported series and store the verdict, method in
 * calc/spotcheck.c) and `gfi-aggregator spotchecks` (list them as JSON
 * lines).
 *
 * A meter point is named either as --meter GATEWAY/METER/POINT or as
 * --gateway G --meter M --point P; --kind reference takes --from,
 * --from-reading and --ref-class, --kind increase --since; the tolerance's
 * entered parts are --display-resolution, --register and
 * --clock-uncertainty (spotcheck.h). The command is the city operator's on
 * the server: --inspector names the person, as --by does elsewhere.
 * Invariants: `--now` pins the aggregator's now (now.h); a refusal is one
 * line naming the option (exit 2), a store failure exit 1.
 */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


#include "cmd.h"
#include "error.h"
#include "json.h"
#include "jsonutil.h"
#include "now.h"
#include "opts.h"
#include "spotcheck.h"

#define STATUS_FAIL OPTS_FAIL
#define STATUS_BAD OPTS_BAD

/* GATEWAY/METER/POINT into its three parts, each a valid id. */
static int split_meter(const char *v, char *gw, char *meter, char *point, FILE *err)
{
	const char *a = strchr(v, '/'), *b = a ? strchr(a + 1, '/') : NULL;
	size_t l1, l2, l3;

	if (a == NULL || b == NULL || strchr(b + 1, '/') != NULL) {
		fprintf(err, "--meter: %s is not GATEWAY/METER/POINT\n", v);
		return STATUS_BAD;
	}
	l1 = (size_t)(a - v);
	l2 = (size_t)(b - a - 1);
	l3 = strlen(b + 1);
	if (l1 >= GFI_ID_MAX || l2 >= GFI_ID_MAX || l3 >= GFI_ID_MAX) {
		fprintf(err, "--meter: an id of %s is longer than %d characters\n", v,
			GFI_ID_MAX - 1);
		return STATUS_BAD;
	}
	memcpy(gw, v, l1);
	gw[l1] = '\0';
	memcpy(meter, a + 1, l2);
	meter[l2] = '\0';
	memcpy(point, b + 1, l3 + 1);
	return 0;
}

/* A valid id from v (NULL: absent) into dst (GFI_ID_MAX bytes). */
static int take_id(const char *name, const char *v, char *dst, FILE *err)
{
	int rc;

	if (v == NULL)
		return 0;
	if ((rc = opts_id(name, v, err)) != 0)
		return rc;
	if (dst != v)
		snprintf(dst, GFI_ID_MAX, "%s", v);
	return 0;
}

/* --meter G/M/P, or --gateway G --meter M --point P. all: every part
 * required (spotcheck); else each may be absent (listing). */
static int take_series(const struct opts *o, int all, char *gw, char *meter,
		       char *point, FILE *err)
{
	const char *m = opts_get(o, "meter");
	int rc;

	gw[0] = meter[0] = point[0] = '\0';
	if (m != NULL && strchr(m, '/') != NULL) {
		if (opts_get(o, "gateway") || opts_get(o, "point")) {
			fprintf(err, "--meter: GATEWAY/METER/POINT excludes --gateway and --point\n");
			return STATUS_BAD;
		}
		if ((rc = split_meter(m, gw, meter, point, err)) != 0)
			return rc;
		if ((rc = take_id("meter", gw, gw, err)) || (rc = take_id("meter", meter, meter, err)) ||
		    (rc = take_id("meter", point, point, err)))
			return rc;
		return 0;
	}
	if (all && ((rc = opts_required("gateway", opts_get(o, "gateway"), err)) ||
		    (rc = opts_required("meter", m, err)) ||
		    (rc = opts_required("point", opts_get(o, "point"), err))))
		return rc;
	if ((rc = take_id("gateway", opts_get(o, "gateway"), gw, err)) ||
	    (rc = take_id("meter", m, meter, err)) ||
	    (rc = take_id("point", opts_get(o, "point"), point, err)))
		return rc;
	return 0;
}

static void num_text(FILE *f, const char *name, double v)
{
	if (isnan(v))
		fprintf(f, "%s: -\n", name);
	else
		fprintf(f, "%s: %.10g\n", name, v);
}

/* Options that only one kind takes, refused with any other. */
static int kind_only(const struct opts *o, const char *kind, FILE *err)
{
	static const struct { const char *option, *kind; } only[] = {
		{ "from", "reference" }, { "from-reading", "reference" },
		{ "ref-class", "reference" }, { "since", "increase" } };

	for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++)
		if (opts_get(o, only[i].option) && strcmp(kind, only[i].kind) != 0)
			return opts_refuse(err, only[i].option, "only with --kind %s",
					   only[i].kind);
	return 0;
}

/* --kind and its options, and the tolerance's entered parts, into in. */
static int take_kind(const struct opts *o, struct spotcheck_input *in, FILE *err)
{
	const char *reg = opts_get(o, "register");
	long since = 0;
	int rc, ref, inc;

	in->kind = opts_get(o, "kind") ? opts_get(o, "kind") : "display";
	in->from_reading = in->ref_accuracy_pct = in->display_resolution = NAN;
	in->register_step = in->clock_uncertainty_s = NAN;
	if (!opts_word_in("display reference increase", in->kind))
		return opts_refuse(err, "kind", "%s is not display, reference or increase",
				   in->kind);
	ref = strcmp(in->kind, "reference") == 0;
	inc = strcmp(in->kind, "increase") == 0;
	if ((rc = kind_only(o, in->kind, err)) ||
	    (ref && ((rc = opts_required("from", opts_get(o, "from"), err)) ||
		     (rc = opts_time("from", opts_get(o, "from"), &in->from_s, err)) ||
		     (rc = opts_required("from-reading", opts_get(o, "from-reading"), err)) ||
		     (rc = opts_double("from-reading", opts_get(o, "from-reading"), 0, 1e15,
				       &in->from_reading, err)) ||
		     (rc = opts_required("ref-class", opts_get(o, "ref-class"), err)) ||
		     (rc = opts_double("ref-class", opts_get(o, "ref-class"), 0.01, 10,
				       &in->ref_accuracy_pct, err)))) ||
	    (inc && ((rc = opts_required("since", opts_get(o, "since"), err)) ||
		     (rc = opts_int("since", opts_get(o, "since"), 1, LONG_MAX, &since, err)))) ||
	    (rc = opts_double("display-resolution", opts_get(o, "display-resolution"),
			      1e-9, 1e6, &in->display_resolution, err)) ||
	    (rc = opts_double("clock-uncertainty", opts_get(o, "clock-uncertainty"), 0,
			      86400, &in->clock_uncertainty_s, err)))
		return rc;
	in->since_id = since;
	if (reg != NULL && strcmp(reg, "f32") == 0)
		in->register_step = SPOTCHECK_FLOAT32;
	else if (reg != NULL) {
		char *end = NULL;

		in->register_step = strtod(reg, &end);
		if (end == reg || *end != '\0' || !(in->register_step >= 1e-9 &&
						    in->register_step <= 1e6))
			return opts_refuse(err, "register", "%s is not f32 or a scale "
					   "1e-09..1e+06", reg);
	}
	return 0;
}

static void print_check(FILE *out, const struct store_spotcheck *c, int64_t id)
{
	fprintf(out, "spotcheck: %" PRId64 "\nkind: %s\nverdict: %s\n", id, c->kind,
		c->verdict);
	num_text(out, "reading", c->reading);
	num_text(out, "reported", c->reported);
	num_text(out, "difference", c->diff);
	num_text(out, "difference_pct", c->diff_pct);
	num_text(out, "tolerance", c->tolerance);
	num_text(out, "tolerance_display", c->tol.display);
	num_text(out, "tolerance_register", c->tol.reg);
	num_text(out, "tolerance_clock", c->tol.clock);
	num_text(out, "tolerance_interpolation", c->tol.interp);
	num_text(out, "tolerance_classes", c->tol.classes);
	num_text(out, "tolerance_pct", c->tolerance_pct);
	fprintf(out, "chain_ok: %d\nreason: %s\n", c->chain_ok, c->reason);
}

/* Judge in, store it, print it. */
static int judge_and_store(const char *path, struct spotcheck_input *in, FILE *out,
			   FILE *err)
{
	struct store_spotcheck c;
	struct store *s = NULL;
	int64_t id = 0;
	int rc, ret;

	if ((rc = opts_open_store(path, &s, err)) != 0)
		return rc;
	ret = spotcheck_judge(s, in, &c);
	if (ret == GFI_OK)
		ret = store_spotcheck_add(s, &c, &id);
	store_close(s);
	/* The period's start or the increase's earlier check: the reason
	 * names the field and says what is wrong. */
	if (ret == GFI_E_INVAL || (ret == GFI_E_NOTFOUND && strncmp(c.reason, "since: ", 7) == 0)) {
		fprintf(err, "--%s\n", c.reason);
		return STATUS_BAD;
	}
	if (ret == GFI_E_NOTFOUND) {
		fprintf(err, "--meter: %s/%s/%s is not a registered meter point\n",
			in->gateway, in->meter, in->point);
		return STATUS_BAD;
	}
	if (ret != GFI_OK) {
		fprintf(err, "spotcheck: failed: %s\n", gfi_strerror(ret));
		return STATUS_FAIL;
	}
	print_check(out, &c, id);
	return 0;
}

int cmd_spotcheck(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = {
		.options = "store meter gateway point at reading inspector note now kind "
			   "from from-reading ref-class since display-resolution register "
			   "clock-uncertainty" };
	char gw[GFI_ID_MAX], meter[GFI_ID_MAX], point[GFI_ID_MAX];
	struct spotcheck_input in = { 0 };
	struct opts o;
	int rc;

	if ((rc = opts_parse(argc, argv, 1, &spec, &o, err)) ||
	    (rc = take_series(&o, 1, gw, meter, point, err)) ||
	    (rc = opts_required("at", opts_get(&o, "at"), err)) ||
	    (rc = opts_time("at", opts_get(&o, "at"), &in.at_s, err)) ||
	    (rc = opts_required("reading", opts_get(&o, "reading"), err)) ||
	    (rc = opts_double("reading", opts_get(&o, "reading"), 0, 1e15,
				    &in.reading, err)) ||
	    (rc = take_kind(&o, &in, err)) ||
	    (rc = opts_required("inspector", opts_get(&o, "inspector"), err)) ||
	    (rc = opts_text("inspector", opts_get(&o, "inspector"), 64, 0, err)) ||
	    (rc = opts_text("note", opts_get(&o, "note"), STORE_ALERT_TEXT_MAX, 0, err)) ||
	    (rc = opts_pin_now(&o, err)))
		return rc;
	in.now_s = agg_now_s();
	in.gateway = gw;
	in.meter = meter;
	in.point = point;
	/* The command runs on the city's server by its operator: the person
	 * named, like every command's --by, is recorded as the inspector. */
	in.inspector = opts_get(&o, "inspector");
	in.note = opts_get(&o, "note") ? opts_get(&o, "note") : "";
	return judge_and_store(opts_get(&o, "store"), &in, out, err);
}

static int list_row(void *ctx, const void *row)
{
	json_print_line(json_spotcheck(row), ctx);
	return 0;
}

int cmd_spotchecks(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = { .options = "store meter gateway point" };
	char gw[GFI_ID_MAX], meter[GFI_ID_MAX], point[GFI_ID_MAX];
	struct opts o;
	struct store *s = NULL;
	int rc, ret;

	if ((rc = opts_parse(argc, argv, 1, &spec, &o, err)) ||
	    (rc = take_series(&o, 0, gw, meter, point, err)))
		return rc;
	if ((rc = opts_open_store(opts_get(&o, "store"), &s, err)) != 0)
		return rc;
	ret = store_spotcheck_list(s, gw[0] ? gw : NULL, meter[0] ? meter : NULL,
				   point[0] ? point : NULL, list_row, out);
	store_close(s);
	if (ret != GFI_OK) {
		fprintf(err, "store: spot check list failed: %s\n", gfi_strerror(ret));
		return STATUS_FAIL;
	}
	return 0;
}

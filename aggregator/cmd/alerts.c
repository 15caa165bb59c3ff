/*
 * alerts.c — `gfi-aggregator alerts evaluate` (run the alert rules of
 * calc/alerts.c over the store), `gfi-aggregator alerts` (list them, TSV or
 * JSON lines) and `gfi-aggregator alert ack|resolve` (change one's state).
 *
 * Invariants: `--now` pins the aggregator's now (now.h) before anything is
 * evaluated, so a run is reproducible; a refusal is one line naming the
 * option (exit 2), a store failure exit 1.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>


#include "alerts.h"
#include "cmd.h"
#include "error.h"
#include "json.h"
#include "now.h"
#include "opts.h"

#define STATUS_FAIL OPTS_FAIL
#define STATUS_BAD OPTS_BAD

static int cmd_evaluate(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = { .options = "store rules now" };
	struct alert_rules *rules = malloc(sizeof(*rules));
	struct alerts_summary sum;
	struct opts o;
	struct store *s = NULL;
	char msg[512];
	int rc, ret;

	if (rules == NULL)
		return STATUS_FAIL;
	alerts_rules_default(rules);
	if ((rc = opts_parse(argc, argv, 2, &spec, &o, err)) != 0 ||
	    (rc = opts_pin_now(&o, err)) != 0)
		goto done;
	if (opts_get(&o, "rules") != NULL &&
	    alerts_rules_load(opts_get(&o, "rules"), rules, msg, sizeof(msg)) != GFI_OK) {
		fprintf(err, "--rules: %s\n", msg);
		rc = STATUS_BAD;
		goto done;
	}
	if ((rc = opts_open_store(opts_get(&o, "store"), &s, err)) != 0)
		goto done;
	ret = alerts_evaluate(s, rules, agg_now_s(), NULL, NULL, &sum);
	if (ret != GFI_OK) {
		fprintf(err, "alerts: evaluation failed: %s\n", gfi_strerror(ret));
		rc = STATUS_FAIL;
		goto done;
	}
	fprintf(out, "evaluated: units=%d raised=%d new=%d resolved=%d\n", sum.units,
		sum.raised, sum.created, sum.resolved);
done:
	store_close(s);
	free(rules);
	return rc;
}

static void num_field(FILE *f, double v)
{
	if (!isnan(v))
		fprintf(f, "%.15g", v);
}

struct lister {
	FILE *out;
	int json;
};

static int list_row(void *ctx, const void *row)
{
	const struct lister *l = ctx;
	const struct store_alert *a = row;

	if (l->json) {
		json_print_line(json_alert(a), l->out);
		return 0;
	}
	fprintf(l->out, "%" PRId64 "\t%s\t%s\t%s\t%s\t", a->id, a->unit, a->rule,
		a->subject, a->period);
	num_field(l->out, a->value);
	fputc('\t', l->out);
	num_field(l->out, a->threshold);
	fprintf(l->out, "\t%s\t%" PRId64 "\t%" PRId64 "\t%s\t%" PRId64 "\t%s\n", a->state,
		a->first_seen_s, a->last_seen_s, a->changed_by, a->changed_s, a->detail);
	return 0;
}

static int cmd_list(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = {
		.options = "store county unit rule state", .flags = "json" };
	static const char *const states[] = { "open", "acknowledged", "resolved",
					      "active", NULL };
	struct store_alert_filter f = { 0 };
	struct lister l = { out, 0 };
	struct opts o;
	struct store *s = NULL;
	int rc, ret, known = 0;

	if ((rc = opts_parse(argc, argv, 1, &spec, &o, err)) != 0)
		return rc;
	f.county = opts_get(&o, "county");
	f.unit = opts_get(&o, "unit");
	f.rule = opts_get(&o, "rule");
	f.state = opts_get(&o, "state");
	l.json = opts_get(&o, "json") != NULL;
	for (int i = 0; f.state != NULL && states[i] != NULL; i++)
		known |= strcmp(f.state, states[i]) == 0;
	if (f.state != NULL && !known) {
		fprintf(err, "--state: %s is not open, acknowledged, resolved or active\n",
			f.state);
		return STATUS_BAD;
	}
	if ((rc = opts_open_store(opts_get(&o, "store"), &s, err)) != 0)
		return rc;
	if (!l.json)
		fprintf(out, "id\tunit\trule\tsubject\tperiod\tvalue\tthreshold\tstate\t"
			"first_seen_s\tlast_seen_s\tchanged_by\tchanged_s\tdetail\n");
	ret = store_alert_list(s, &f, list_row, &l);
	store_close(s);
	if (ret != GFI_OK) {
		fprintf(err, "store: alert list failed: %s\n", gfi_strerror(ret));
		return STATUS_FAIL;
	}
	return 0;
}

int cmd_alerts(int argc, char **argv, FILE *out, FILE *err)
{
	if (argc > 1 && strcmp(argv[1], "evaluate") == 0)
		return cmd_evaluate(argc, argv, out, err);
	return cmd_list(argc, argv, out, err);
}

int cmd_alert(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = { .options = "store id by now" };
	struct opts o;
	struct store *s = NULL;
	const char *verb = argc > 1 ? argv[1] : "", *state;
	long id = 0;
	int rc, ret;

	if (strcmp(verb, "ack") == 0)
		state = "acknowledged";
	else if (strcmp(verb, "resolve") == 0)
		state = "resolved";
	else {
		fprintf(err, "alert: verb must be ack or resolve\n");
		return STATUS_BAD;
	}
	if ((rc = opts_parse(argc, argv, 2, &spec, &o, err)) != 0 ||
	    (rc = opts_required("id", opts_get(&o, "id"), err)) != 0 ||
	    (rc = opts_int("id", opts_get(&o, "id"), 1, 0x7fffffffL, &id, err)) != 0 ||
	    (rc = opts_required("by", opts_get(&o, "by"), err)) != 0 ||
	    (rc = opts_text("by", opts_get(&o, "by"), 64, 0, err)) != 0 ||
	    (rc = opts_pin_now(&o, err)) != 0)
		return rc;
	if ((rc = opts_open_store(opts_get(&o, "store"), &s, err)) != 0)
		return rc;
	ret = store_alert_set_state(s, id, state, opts_get(&o, "by"), agg_now_s());
	store_close(s);
	if (ret == GFI_E_NOTFOUND) {
		fprintf(err, "--id: no alert %ld\n", id);
		return STATUS_BAD;
	}
	if (ret == GFI_E_STATE) {
		fprintf(err, "--id: alert %ld is already %s\n", id,
			strcmp(verb, "ack") == 0 ? "acknowledged or resolved" : "resolved");
		return STATUS_BAD;
	}
	if (ret != GFI_OK) {
		fprintf(err, "store: alert %s failed: %s\n", verb, gfi_strerror(ret));
		return STATUS_FAIL;
	}
	fprintf(out, "alert %ld %s by %s\n", id, state, opts_get(&o, "by"));
	return 0;
}

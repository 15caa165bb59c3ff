/*
 * quarantine.c — the `gfi-aggregator quarantine list|purge` command: what
 * the bounded quarantine holds per gateway (rows, bytes, repeats, refusals
 * over the cap or throttled; store_quarantine.h) and deleting it.
 *
 * Invariants: list is read-only; purge deletes rows last seen before
 * --before (or every row and counter with --all), of one gateway or all;
 * a refusal is one line naming the option (exit 2), a store failure exit 1.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "error.h"
#include "opts.h"

static int summary_text(void *ctx, const void *row)
{
	const struct quarantine_summary *q = row;

	fprintf(ctx, "%s\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64
		"\t%" PRId64 "\n", q->gateway, q->rows, q->bytes, q->repeats,
		q->over_cap, q->throttled, q->last_s);
	return 0;
}

struct json_list {
	FILE *out;
	int n;
};

static int summary_json(void *ctx, const void *row)
{
	const struct quarantine_summary *q = row;
	struct json_list *l = ctx;

	/* Gateway ids are [A-Za-z0-9._-] (verify.c keeps "" for any other). */
	fprintf(l->out, "%s{\"gateway\":\"%s\",\"rows\":%" PRId64 ",\"bytes\":%" PRId64
		",\"repeats\":%" PRId64 ",\"over_cap\":%" PRId64 ",\"throttled\":%" PRId64
		",\"last_s\":%" PRId64 "}", l->n++ ? "," : "", q->gateway, q->rows,
		q->bytes, q->repeats, q->over_cap, q->throttled, q->last_s);
	return 0;
}

static int quarantine_list(struct store *s, const struct opts *o, FILE *out)
{
	const char *gw = opts_get(o, "gateway");
	struct json_list l = { out, 0 };
	int ret;

	if (opts_get(o, "json") == NULL) {
		fprintf(out, "gateway\trows\tbytes\trepeats\tover_cap\tthrottled\tlast_s\n");
		return store_quarantine_summaries(s, gw, summary_text, out);
	}
	fprintf(out, "[");
	ret = store_quarantine_summaries(s, gw, summary_json, &l);
	fprintf(out, "]\n");
	return ret;
}

static int quarantine_purge(struct store *s, const struct opts *o, int64_t before,
			    FILE *out)
{
	int all = opts_get(o, "all") != NULL;
	int64_t deleted = 0;
	int ret = store_begin(s);

	if (ret == GFI_OK)
		ret = store_quarantine_purge(s, opts_get(o, "gateway"),
					     all ? INT64_MAX : before, all, &deleted);
	if (ret == GFI_OK)
		ret = store_commit(s);
	if (ret != GFI_OK) {
		store_rollback(s);
		return ret;
	}
	fprintf(out, "purged: rows=%" PRId64 "%s\n", deleted, all ? " counters=yes" : "");
	return GFI_OK;
}

/* The options of verb, checked: --gateway an id, purge needs exactly one
 * of --before and --all. */
static int check_options(const char *verb, const struct opts *o, int64_t *before,
			 FILE *err)
{
	const char *gw = opts_get(o, "gateway"), *b = opts_get(o, "before");
	int rc;

	if (gw != NULL && (rc = opts_id("gateway", gw, err)) != 0)
		return rc;
	if (strcmp(verb, "list") == 0)
		return opts_only(o, "gateway json", "quarantine list", err);
	if ((rc = opts_only(o, "gateway before all", "quarantine purge", err)) != 0)
		return rc;
	if ((b == NULL) == (opts_get(o, "all") == NULL))
		return opts_refuse(err, "before", "give either --before TIME or --all");
	return b != NULL ? opts_time("before", b, before, err) : 0;
}

int cmd_quarantine(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = { .options = "store gateway before",
					       .flags = "json all" };
	const char *verb = argc > 1 ? argv[1] : "";
	struct store *s = NULL;
	int64_t before = 0;
	struct opts o;
	int rc, ret;

	if (strcmp(verb, "list") != 0 && strcmp(verb, "purge") != 0) {
		fprintf(err, "quarantine: verb must be list or purge\n");
		return OPTS_BAD;
	}
	if ((rc = opts_parse(argc, argv, 2, &spec, &o, err)) != 0 ||
	    (rc = check_options(verb, &o, &before, err)) != 0 ||
	    (rc = opts_open_store(opts_get(&o, "store"), &s, err)) != 0)
		return rc;
	if (strcmp(verb, "list") == 0)
		ret = quarantine_list(s, &o, out);
	else
		ret = quarantine_purge(s, &o, before, out);
	store_close(s);
	if (ret != GFI_OK) {
		fprintf(err, "quarantine %s failed: %s\n", verb, gfi_strerror(ret));
		return OPTS_FAIL;
	}
	return 0;
}

/*
 * store.c — the store's own commands: `gfi-aggregator counts` (how many
 * batches, readings, quarantined items, gaps and rollups it holds, as one
 * JSON line) and `gfi-aggregator verify-batch` (check one stored batch's
 * signature and hash link again, ingest/verify.c).
 *
 * Invariants: read-only; a refusal is one line naming the option (exit 2),
 * a store or verification failure exit 1.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "error.h"
#include "opts.h"
#include "store.h"
#include "verify.h"

/* Open the store at path as the daemon does (creating it when absent, so
 * `counts` on a fresh deployment answers zeros). 0, 1 or 2. */
static int open_store(const char *path, struct store **s, FILE *err)
{
	int rc;

	if (path == NULL)
		return opts_refuse(err, "store", "missing");
	if ((rc = store_open(path, s)) != GFI_OK) {
		fprintf(err, "store: %s\n", gfi_strerror(rc));
		return OPTS_FAIL;
	}
	return 0;
}

int cmd_counts(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = { .options = "store" };
	struct store_counts c;
	struct store *s = NULL;
	struct opts o;
	int rc;

	if ((rc = opts_parse(argc, argv, 1, &spec, &o, err)) != 0 ||
	    (rc = open_store(opts_get(&o, "store"), &s, err)) != 0)
		return rc;
	rc = store_counts(s, &c);
	store_close(s);
	if (rc != GFI_OK) {
		fprintf(err, "store: %s\n", gfi_strerror(rc));
		return OPTS_FAIL;
	}
	fprintf(out, "{\"batches\":%" PRId64 ",\"readings\":%" PRId64
		",\"quarantined_batches\":%" PRId64 ",\"quarantined_readings\":%" PRId64
		",\"gaps\":%" PRId64 ",\"rollups\":%" PRId64 "}\n", c.batches,
		c.readings, c.quarantined_batches, c.quarantined_readings, c.gaps,
		c.rollups);
	return 0;
}

int cmd_verify_batch(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = { .options = "store gateway seq epoch" };
	const char *gateway, *seq_s, *epoch;
	struct store *s = NULL;
	char why[512] = "", *end = NULL;
	unsigned long long seq;
	struct opts o;
	int rc;

	if ((rc = opts_parse(argc, argv, 1, &spec, &o, err)) != 0)
		return rc;
	gateway = opts_get(&o, "gateway");
	seq_s = opts_get(&o, "seq");
	if ((rc = opts_required("gateway", gateway, err)) ||
	    (rc = opts_required("seq", seq_s, err)))
		return rc;
	seq = strtoull(seq_s, &end, 10);
	if (end == seq_s || *end != '\0' || seq == 0)
		return opts_refuse(err, "seq", "\"%s\" is not a sequence number", seq_s);
	/* --epoch E: a batch of an ended chain epoch ("-": the chain of an
	 * agent before epochs); without it the gateway's current epoch. */
	epoch = opts_get(&o, "epoch");
	if (epoch != NULL && strcmp(epoch, "-") == 0)
		epoch = "";
	if (epoch != NULL && strlen(epoch) > GFI_BATCH_EPOCH_LEN)
		return opts_refuse(err, "epoch", "longer than %d characters", GFI_BATCH_EPOCH_LEN);
	if ((rc = open_store(opts_get(&o, "store"), &s, err)) != 0)
		return rc;
	rc = epoch != NULL ? verify_stored_in(s, gateway, epoch, seq, why, sizeof(why))
			   : verify_stored(s, gateway, seq, why, sizeof(why));
	store_close(s);
	if (rc != GFI_OK) {
		fprintf(err, "verify failed: gateway=%s seq=%llu: %s\n", gateway, seq,
			why[0] ? why : gfi_strerror(rc));
		return OPTS_FAIL;
	}
	fprintf(out, "verified: gateway=%s seq=%llu\n", gateway, seq);
	return 0;
}

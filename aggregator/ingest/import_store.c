/*
 * import_store.c — a parsed history import against the store (import.h):
 * the registry lookup import_parse asks for each series, and import_run,
 * which stores the good rows in one transaction.
 *
 * Why apart from import.c: import.c reads hostile bytes and knows nothing of
 * SQLite; this file holds what the store answers.
 *
 * An import never holds the write lock for long: it records itself as
 * pending, stages its readings IMPORT_CHUNK_ROWS per transaction (other
 * writers interleave; readers skip a pending import's readings,
 * STORE_READING_PUBLISHED), then publishes in one short transaction (its
 * rollups rebuilt, the flag cleared). Invariants: readers see all of an
 * import or nothing; it is published only when no row is bad or skip_bad
 * was asked, else its staged rows are deleted (store_import_discard); a
 * dry run reads one snapshot and takes no write lock.
 */
#include "import.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "reading.h"
#include "store.h"

int import_store_lookup(void *store, const char *gateway, const char *meter,
			const char *point, struct import_target *out, char *why,
			size_t whylen)
{
	struct store *s = store;
	struct reg_gateway g;
	struct reg_meter m;
	int ret = store_gateway_get(s, gateway, &g);

	if (ret == GFI_E_NOTFOUND) {
		snprintf(why, whylen, "gateway: %s is not registered", gateway);
		return 1;
	}
	if (ret != GFI_OK)
		return ret;
	ret = store_meter_get(s, gateway, meter, point, &m);
	if (ret == GFI_E_NOTFOUND) {
		snprintf(why, whylen, "point: %s/%s is not registered on gateway %s", meter,
		     point, gateway);
		return 1;
	}
	if (ret != GFI_OK)
		return ret;
	if (m.retired) {
		snprintf(why, whylen, "point: %s/%s on gateway %s is retired", meter, point,
		     gateway);
		return 1;
	}
	snprintf(out->quantity, sizeof(out->quantity), "%s", m.quantity);
	snprintf(out->unit, sizeof(out->unit), "%s", g.unit);
	return 0;
}

static void collision(struct import_result *res, size_t i,
		      const struct gfi_reading *held, int64_t held_import)
{
	char why[160], val[40], st[24];

	if (isnan(held->value))
		snprintf(val, sizeof(val), "no value");
	else
		snprintf(val, sizeof(val), "value %.15g", held->value);
	gfi_status_format(held->status, held->detail, st, sizeof(st));
	if (held_import != 0)
		snprintf(why, sizeof(why), "time: collides with a stored reading (%s, %s) "
		     "of import %lld", val, st, (long long)held_import);
	else
		snprintf(why, sizeof(why), "time: collides with a stored reading (%s, %s) "
		     "signed by the gateway", val, st);
	import_refuse_row(res, i, why);
}

typedef int (*import_put_fn)(struct store_importer *im, const char *gateway,
			     const struct gfi_reading *r, int *outcome,
			     struct gfi_reading *held, int64_t *held_import);

/* Each good row of res in [from, to) through put (store or only check),
 * counted in sum; a collision marks its row bad. GFI_OK or the store's
 * error. */
static int import_rows(struct store_importer *im, struct import_result *res,
		       size_t from, size_t to, import_put_fn put,
		       struct import_summary *sum)
{
	for (size_t i = from; i < to; i++) {
		const struct import_row *row = &res->rows[i];
		const struct import_series *x = &res->series[row->series];
		struct gfi_reading r, held;
		int64_t held_import = 0;
		int outcome = 0, ret;

		if (row->bad)
			continue;
		memset(&r, 0, sizeof(r));
		snprintf(r.meter, sizeof(r.meter), "%s", x->meter);
		snprintf(r.point, sizeof(r.point), "%s", x->point);
		snprintf(r.quantity, sizeof(r.quantity), "%s", x->t.quantity);
		r.time_s = row->time_s;
		r.value = row->value;
		r.status = row->status;
		r.detail = row->detail;
		if ((ret = put(im, x->gateway, &r, &outcome, &held, &held_import)) != GFI_OK)
			return ret;
		if (outcome == STORE_IMPORT_INSERTED)
			sum->inserted++;
		else if (outcome == STORE_IMPORT_PRESENT)
			sum->present++;
		else
			collision(res, i, &held, held_import);
	}
	return GFI_OK;
}

/* --dry-run: every check against one read snapshot, no write lock taken,
 * so other writers go on meanwhile. */
static int import_dry_run(struct store *s, struct import_result *res,
			  const struct import_opts *o, struct import_summary *sum)
{
	struct store_importer *im = NULL;
	int ret = store_import_snapshot(s);

	if (ret == GFI_OK && (ret = store_importer_new(s, 0, &im)) == GFI_OK)
		ret = import_rows(im, res, 0, res->nrows, store_importer_check, sum);
	store_importer_free(im);
	store_rollback(s);
	sum->bad = res->bad_rows;
	if (ret == GFI_OK && sum->bad > 0 && !o->skip_bad)
		ret = GFI_E_INVAL;
	if (ret != GFI_OK)
		sum->inserted = sum->present = 0;
	return ret;
}

/* The pending import's readings, staged in transactions of at most
 * IMPORT_HOLD_MS (checked every IMPORT_STEP_ROWS rows), each followed by a
 * pause of IMPORT_YIELD_MS (store_import.h): a writer waiting in SQLite's
 * busy handler polls at least every 100 ms, so it gets the lock in time. */
static int stage_rows(struct store *s, struct store_importer *im,
		      struct import_result *res, struct import_summary *sum)
{
	size_t i = 0;
	int ret = GFI_OK;

	while (ret == GFI_OK && i < res->nrows) {
		int64_t t0 = store_import_clock_ms();

		if ((ret = store_begin(s)) != GFI_OK)
			break;
		while (ret == GFI_OK && i < res->nrows &&
		       store_import_clock_ms() - t0 < IMPORT_HOLD_MS) {
			size_t end = i + IMPORT_STEP_ROWS < res->nrows ? i + IMPORT_STEP_ROWS
								       : res->nrows;
			ret = import_rows(im, res, i, end, store_importer_add, sum);
			i = end;
		}
		if (ret == GFI_OK)
			ret = store_commit(s);
		if (ret != GFI_OK)
			store_rollback(s);
		else if (i < res->nrows)
			store_import_yield();
	}
	return ret;
}

/* Make import rec (id) visible at once: its staged rollups made live, its
 * counts recorded and its pending flag cleared, in one short transaction. */
static int publish(struct store *s, struct store_import *rec)
{
	int ret = store_begin(s);

	if (ret == GFI_OK &&
	    (ret = store_import_publish(s, rec->id)) == GFI_OK &&
	    (ret = store_import_finish(s, rec->id, NULL)) == GFI_OK &&
	    (ret = store_import_update(s, rec)) == GFI_OK)
		return store_commit(s);
	store_rollback(s);
	return ret;
}

/* Record the pending import rec in its own short transaction. */
static int begin_import(struct store *s, struct store_import *rec)
{
	int ret = store_begin(s);

	if (ret == GFI_OK && (ret = store_import_add(s, rec, &rec->id)) == GFI_OK)
		return store_commit(s);
	store_rollback(s);
	return ret;
}

int import_run(struct store *s, struct import_result *res,
	       const char *sha256_hex, const struct import_opts *o,
	       struct import_summary *sum)
{
	struct store_importer *im = NULL;
	struct store_import rec;
	int ret;

	memset(sum, 0, sizeof(*sum));
	sum->rows = res->data_rows;
	if (o->dry_run)
		return import_dry_run(s, res, o, sum);
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.file, sizeof(rec.file), "%s", res->name);
	snprintf(rec.sha256, sizeof(rec.sha256), "%s", sha256_hex);
	snprintf(rec.by, sizeof(rec.by), "%s", o->by != NULL ? o->by : "");
	rec.imported_s = o->now_s;
	if ((ret = begin_import(s, &rec)) != GFI_OK)
		return ret;
	if ((ret = store_importer_new(s, rec.id, &im)) == GFI_OK)
		ret = stage_rows(s, im, res, sum);
	sum->bad = res->bad_rows;
	if (ret == GFI_OK && sum->bad > 0 && !o->skip_bad)
		ret = GFI_E_INVAL;
	if (ret == GFI_OK && sum->inserted > 0) {
		rec.rows = (int64_t)sum->rows;
		rec.inserted = (int64_t)sum->inserted;
		rec.present = (int64_t)sum->present;
		rec.skipped = (int64_t)sum->bad;
		ret = store_import_stage_rollups(s, rec.id, NULL);
		if (ret == GFI_OK)
			ret = publish(s, &rec);
	}
	if (ret != GFI_OK || sum->inserted == 0) {
		/* Nothing of it was ever visible: take the staged rows away. */
		int dret = store_import_discard(s, im, rec.id);
		if (ret == GFI_OK)
			ret = dret;
		if (ret != GFI_OK)
			sum->inserted = sum->present = 0;
	} else {
		sum->id = rec.id;
	}
	store_importer_free(im);
	return ret;
}

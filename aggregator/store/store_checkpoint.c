/*
 * store_checkpoint.c — batch spans and chain checkpoints
 * (store_checkpoint.h), the store's part of spot checks that cost
 * milliseconds (calc/spotcheck_chain.c).
 *
 * Why: a spot check must know that the readings it judges come from signed,
 * linked batches. Re-verifying a gateway's whole history per check grows
 * with the history; instead ingest, which verifies every batch once, notes
 * where each batch's readings lie in time (batch_spans) and the hash of every
 * STORE_CHECKPOINT_EVERY-th batch (chain_checkpoints). A check then finds the
 * batches holding its readings by time and re-verifies only the chain
 * between the two checkpoints around them.
 *
 * Invariants: rows are written only inside ingest's transaction for an
 * accepted batch, so a span or checkpoint never names a batch that is not
 * held; every statement binds its values.
 */
#include "store-private.h"

#include <string.h>

#include "error.h"

static int span_put(struct store *s, const char *gateway, uint64_t seq,
		    const struct gfi_reading *r, size_t n)
{
	sqlite3_stmt *st = NULL;
	int64_t first = INT64_MAX, last = INT64_MIN;
	int ret;

	for (size_t i = 0; i < n; i++) {
		first = r[i].time_s < first ? r[i].time_s : first;
		last = r[i].time_s > last ? r[i].time_s : last;
	}
	if (n == 0)
		return GFI_OK;
	ret = store_prepare(s, "INSERT OR REPLACE INTO batch_spans (gateway, seq, "
			    "first_s, last_s) VALUES (?1, ?2, ?3, ?4)", &st);
	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, gateway);
	db_bind_int64(st, 2, (int64_t)seq);
	db_bind_int64(st, 3, first);
	db_bind_int64(st, 4, last);
	ret = db_step_done(s->db, st, "batch span");
	sqlite3_finalize(st);
	return ret;
}

int store_checkpoint_note(struct store *s, const char *gateway, uint64_t seq,
			  const uint8_t hash[32], const struct gfi_reading *r,
			  size_t n, int64_t now_s)
{
	sqlite3_stmt *st = NULL;
	int ret = span_put(s, gateway, seq, r, n);

	if (ret != GFI_OK || seq % STORE_CHECKPOINT_EVERY != 0)
		return ret;
	ret = store_prepare(s, "INSERT OR REPLACE INTO chain_checkpoints (gateway, seq, "
			    "hash, verified_s) VALUES (?1, ?2, ?3, ?4)", &st);
	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, gateway);
	db_bind_int64(st, 2, (int64_t)seq);
	db_bind_blob(st, 3, hash, 32);
	db_bind_int64(st, 4, now_s);
	ret = db_step_done(s->db, st, "chain checkpoint");
	sqlite3_finalize(st);
	return ret;
}

/* The one checkpoint sql selects for (gateway, seq); *has 0 when none. */
static int checkpoint_get(struct store *s, const char *sql, const char *gateway,
			  uint64_t seq, uint64_t *cseq, uint8_t hash[32], int *has)
{
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s, sql, &st), rc;

	*has = 0;
	*cseq = 0;
	memset(hash, 0, 32);
	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, gateway);
	db_bind_int64(st, 2, (int64_t)seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) == 32) {
		*has = 1;
		*cseq = (uint64_t)sqlite3_column_int64(st, 0);
		memcpy(hash, sqlite3_column_blob(st, 1), 32);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? GFI_OK
						      : store_fail(s, "checkpoint read", rc);
}

int store_checkpoint_below(struct store *s, const char *gateway, uint64_t seq,
			   uint64_t *cseq, uint8_t hash[32])
{
	int has = 0;

	return checkpoint_get(s, "SELECT seq, hash FROM chain_checkpoints WHERE "
			      "gateway = ?1 AND seq <= ?2 ORDER BY seq DESC LIMIT 1",
			      gateway, seq, cseq, hash, &has);
}

int store_checkpoint_above(struct store *s, const char *gateway, uint64_t seq,
			   uint64_t *cseq, uint8_t hash[32], int *has)
{
	return checkpoint_get(s, "SELECT seq, hash FROM chain_checkpoints WHERE "
			      "gateway = ?1 AND seq >= ?2 ORDER BY seq LIMIT 1",
			      gateway, seq, cseq, hash, has);
}

static void span_seq(sqlite3_stmt *st, void *row)
{
	*(uint64_t *)row = (uint64_t)sqlite3_column_int64(st, 0);
}

int store_batch_spans_at(struct store *s, const char *gateway, int64_t t,
			 store_row_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	uint64_t seq;
	/* The index (gateway, first_s) finds the latest starts at or before t
	 * in O(log n); of those, the ones still running at t hold it. */
	int ret = store_prepare(s, "SELECT seq FROM (SELECT seq, last_s FROM batch_spans "
				"WHERE gateway = ?1 AND first_s <= ?2 ORDER BY first_s DESC "
				"LIMIT ?3) WHERE last_s >= ?2", &st);

	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, gateway);
	db_bind_int64(st, 2, t);
	db_bind_int64(st, 3, STORE_SPANS_AT_MAX);
	ret = db_list(s->db, st, span_seq, &seq, fn, ctx, "batch spans");
	sqlite3_finalize(st);
	return ret;
}

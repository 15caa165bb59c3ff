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

/* sql run with gateway, k, a, b bound to ?1..?4 (as many as it has): a
 * write when decode is NULL, else its first row decoded into row
 * (GFI_E_NOTFOUND when none). */
static int run(struct store *s, const char *sql, const char *gateway, int64_t k,
	       int64_t a, int64_t b, db_decode_fn decode, void *row, const char *what)
{
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s, sql, &st), params;

	if (ret != GFI_OK)
		return ret;
	params = sqlite3_bind_parameter_count(st);
	db_bind_text(st, 1, gateway);
	db_bind_int64(st, 2, k);
	if (params >= 3)
		db_bind_int64(st, 3, a);
	if (params >= 4)
		db_bind_int64(st, 4, b);
	ret = decode ? db_get(s->db, st, decode, row, what) : db_step_done(s->db, st, what);
	sqlite3_finalize(st);
	return ret;
}

int store_checkpoint_note(struct store *s, const char *gateway, uint64_t seq,
			  const struct gfi_reading *r, size_t n, int64_t now_s)
{
	int64_t first = INT64_MAX, last = INT64_MIN;
	int ret = GFI_OK;

	for (size_t i = 0; i < n; i++) {
		first = r[i].time_s < first ? r[i].time_s : first;
		last = r[i].time_s > last ? r[i].time_s : last;
	}
	if (n > 0)
		ret = run(s, "INSERT OR REPLACE INTO batch_spans (gateway, seq, first_s, "
			  "last_s) VALUES (?1, ?2, ?3, ?4)", gateway, (int64_t)seq, first,
			  last, NULL, NULL, "batch span");
	if (ret != GFI_OK || seq % STORE_CHECKPOINT_EVERY != 0)
		return ret;
	/* The hash store_batch_add just kept, verified by the caller. */
	return run(s, "INSERT OR REPLACE INTO chain_checkpoints (gateway, seq, hash, "
		   "verified_s) SELECT gateway, seq, hash, ?3 FROM batches "
		   "WHERE gateway = ?1 AND seq = ?2", gateway, (int64_t)seq, now_s, 0,
		   NULL, NULL, "chain checkpoint");
}

struct checkpoint {
	uint64_t seq;
	uint8_t hash[32];
};

static void checkpoint_row(sqlite3_stmt *st, void *row)
{
	struct checkpoint *c = row;

	c->seq = (uint64_t)sqlite3_column_int64(st, 0);
	memset(c->hash, 0, sizeof(c->hash));
	if (sqlite3_column_bytes(st, 1) == (int)sizeof(c->hash))
		memcpy(c->hash, sqlite3_column_blob(st, 1), sizeof(c->hash));
}

/* The one checkpoint sql selects for (gateway, seq); *has 0 when none. */
static int checkpoint_get(struct store *s, const char *sql, const char *gateway,
			  uint64_t seq, uint64_t *cseq, uint8_t hash[32], int *has)
{
	struct checkpoint c = { 0, { 0 } };
	int ret = run(s, sql, gateway, (int64_t)seq, 0, 0, checkpoint_row, &c,
		      "checkpoint read");

	*has = ret == GFI_OK;
	*cseq = c.seq;
	memcpy(hash, c.hash, sizeof(c.hash));
	return ret == GFI_E_NOTFOUND ? GFI_OK : ret;
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

struct range {
	uint64_t lo, hi;
	int has;
};

static void range_row(sqlite3_stmt *st, void *row)
{
	struct range *r = row;

	r->has = sqlite3_column_type(st, 0) != SQLITE_NULL;
	r->lo = (uint64_t)sqlite3_column_int64(st, 0);
	r->hi = (uint64_t)sqlite3_column_int64(st, 1);
}

int store_batch_span_range(struct store *s, const char *gateway, int64_t t,
			   uint64_t *lo, uint64_t *hi, int *has)
{
	struct range r = { 0, 0, 0 };
	/* The index (gateway, first_s) finds the latest starts at or before t
	 * in O(log n); of those, the ones still running at t hold it. An
	 * aggregate: always one row, NULLs when none. */
	int ret = run(s, "SELECT min(seq), max(seq) FROM (SELECT seq, last_s FROM "
		      "batch_spans WHERE gateway = ?1 AND first_s <= ?2 ORDER BY first_s "
		      "DESC LIMIT ?3) WHERE last_s >= ?2", gateway, t, STORE_SPANS_AT_MAX, 0,
		      range_row, &r, "batch spans");

	*lo = r.lo;
	*hi = r.hi;
	*has = ret == GFI_OK && r.has;
	return ret;
}

/*
 * store_gaps.c — the gap events gateways report (store_gaps.h).
 *
 * Why: a series with a hole must say why. A meter that stopped answering
 * leaves timeout readings; a gateway whose queue overflowed (the bound, or
 * a full disk during a long outage) leaves no readings at all, only these
 * events, which the alert rule data_gap (alerts.c) shows to the county.
 * Invariant: (gateway, gap_id) is unique; the first copy received is kept,
 * so resent batches and replays change nothing.
 */
#include "store_gaps.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "store-private.h"

int store_queue_gaps_add(struct store *s, const char *gateway, uint64_t seq,
			 const struct gfi_batch_gap *g, size_t n,
			 int64_t received_s)
{
	sqlite3_stmt *st = NULL;
	int ret, rc = SQLITE_DONE;

	if (n == 0)
		return GFI_OK;
	/* Gap ids are per chain epoch: the batch's, the current one. */
	ret = store_prepare(s, "INSERT OR IGNORE INTO queue_gaps (gateway, epoch, gap_id, "
			    "meter, from_s, to_s, count, seq, received_s) VALUES (?1, "
			    "coalesce((SELECT epoch FROM chain WHERE gateway = ?1), ''), "
			    "?2, ?3, ?4, ?5, ?6, ?7, ?8)", &st);
	if (ret != GFI_OK)
		return ret;
	for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_reset(st);
		db_bind_text(st, 1, gateway);
		db_bind_int64(st, 2, g[i].id);
		db_bind_text(st, 3, g[i].meter);
		db_bind_int64(st, 4, g[i].from_s);
		db_bind_int64(st, 5, g[i].to_s);
		db_bind_int64(st, 6, g[i].count);
		db_bind_int64(st, 7, (sqlite3_int64)seq);
		db_bind_int64(st, 8, received_s);
		rc = sqlite3_step(st);
	}
	ret = rc == SQLITE_DONE ? GFI_OK : store_fail(s, "queue gap insert", rc);
	sqlite3_finalize(st);
	return ret;
}

static void queue_gaps_sum_decode(sqlite3_stmt *st, void *row)
{
	struct store_queue_gap_sum *g = row;
	const unsigned char *m = sqlite3_column_text(st, 0);
	memset(g, 0, sizeof(*g));
	snprintf(g->meter, sizeof(g->meter), "%s", m ? (const char *)m : "");
	g->events = sqlite3_column_int64(st, 1);
	g->count = sqlite3_column_int64(st, 2);
	g->from_s = sqlite3_column_int64(st, 3);
	g->to_s = sqlite3_column_int64(st, 4);
}

int store_queue_gaps_sum(struct store *s, const char *gateway, int64_t from_s,
			 int64_t to_s, store_row_fn fn, void *ctx)
{
	struct store_queue_gap_sum g;

	return db_select(s->db,
		"SELECT meter, count(*), sum(count), min(from_s), max(to_s) "
		"FROM queue_gaps WHERE gateway = ?1 AND to_s >= ?2 AND from_s < ?3 "
		"GROUP BY meter ORDER BY meter",
		DB_ARGS(DB_TEXT(gateway), DB_INT(from_s), DB_INT(to_s)),
		queue_gaps_sum_decode, &g, fn, ctx, "queue gaps");
}

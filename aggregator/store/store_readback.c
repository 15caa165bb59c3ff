/*
 * store_readback.c — reading ingested data back (store_readback.h): a
 * gateway's daily rollups, one series' raw readings and its last one,
 * gateway status (kept and read), quarantine reasons and row counts.
 *
 * Why its own file: store_ingest.c keeps the write path (batches,
 * readings, rollups folded at ingest); these are the reads indicators, the
 * API and the CLI make, each preparing its own statement, so a row callback
 * may call the store again.
 * Invariants: every statement binds its values; no SQL is built from input.
 */
#include "store-private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static void rollup_row(sqlite3_stmt *st, void *row)
{
	struct rollup *r = row;

	memset(r, 0, sizeof(*r));
	db_column_text(st, 0, r->gateway, sizeof(r->gateway));
	db_column_text(st, 1, r->meter, sizeof(r->meter));
	db_column_text(st, 2, r->point, sizeof(r->point));
	db_column_text(st, 3, r->quantity, sizeof(r->quantity));
	r->day_s = sqlite3_column_int64(st, 4);
	r->count = sqlite3_column_int64(st, 5);
	r->bad = sqlite3_column_int64(st, 6);
	r->first_s = sqlite3_column_int64(st, 7);
	r->first_v = db_column_double(st, 8);
	r->last_s = sqlite3_column_int64(st, 9);
	r->last_v = db_column_double(st, 10);
	r->min_v = db_column_double(st, 11);
	r->max_v = db_column_double(st, 12);
	r->integral = sqlite3_column_double(st, 13);
	r->flagged = sqlite3_column_int64(st, 14);
}

/* Days in [from_day_s, to_day_s), ordered by meter, point, day. */
int store_rollups(struct store *s, const char *gateway, const char *meter,
		  const char *point, int64_t from_day_s, int64_t to_day_s,
		  store_row_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	struct rollup r;
	/* One series when meter and point are given: a year's total must not
	 * walk every other point of the gateway (26x the rows at 30 points). */
	int ret = store_prepare(s,
		"SELECT s.gateway, s.meter, s.point, s.quantity, r.day_s, r.count, "
		"r.bad, r.first_s, r.first_v, r.last_s, r.last_v, r.min_v, r.max_v, "
		"r.integral, r.flagged FROM rollups r JOIN series s ON s.id = r.series "
		"WHERE s.gateway = ?1 AND r.day_s >= ?2 AND r.day_s < ?3 "
		"AND (?4 IS NULL OR (s.meter = ?4 AND s.point = ?5)) "
		"ORDER BY s.meter, s.point, r.day_s", &st);

	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, gateway);
	db_bind_int64(st, 2, from_day_s);
	db_bind_int64(st, 3, to_day_s);
	if (meter != NULL && point != NULL) {
		db_bind_text(st, 4, meter);
		db_bind_text(st, 5, point);
	}
	ret = db_list(s->db, st, rollup_row, &r, fn, ctx, "rollup list");
	sqlite3_finalize(st);
	return ret;
}

/* A reading row of one series; meter and point are the caller's, set once. */
static void reading_decode(sqlite3_stmt *st, void *row)
{
	struct gfi_reading *r = row;

	db_column_text(st, 0, r->quantity, sizeof(r->quantity));
	r->time_s = sqlite3_column_int64(st, 1);
	r->value = db_column_double(st, 2);
	r->status = sqlite3_column_int(st, 3);
	r->detail = sqlite3_column_int(st, 4);
}

int store_readings(struct store *s, const char *gateway, const char *meter,
		   const char *point, int64_t from_s, int64_t to_s,
		   store_row_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	struct gfi_reading r;
	int ret = store_prepare(s,
		"SELECT s.quantity, r.time_s, r.value, r.status, r.detail "
		"FROM readings r JOIN series s ON s.id = r.series "
		"WHERE s.gateway = ?1 AND s.meter = ?2 AND s.point = ?3 "
		"AND r.time_s >= ?4 AND r.time_s < ?5 ORDER BY r.time_s", &st);

	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, gateway);
	db_bind_text(st, 2, meter);
	db_bind_text(st, 3, point);
	db_bind_int64(st, 4, from_s);
	db_bind_int64(st, 5, to_s);
	memset(&r, 0, sizeof(r));
	snprintf(r.meter, sizeof(r.meter), "%s", meter);
	snprintf(r.point, sizeof(r.point), "%s", point);
	ret = db_list(s->db, st, reading_decode, &r, fn, ctx, "reading list");
	sqlite3_finalize(st);
	return ret;
}

static int count_rows(struct store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s, sql, &st), rc;

	if (ret != GFI_OK)
		return ret;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		ret = store_fail(s, "count", rc);
	sqlite3_finalize(st);
	return ret;
}

int store_counts(struct store *s, struct store_counts *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = count_rows(s, "SELECT count(*) FROM batches", &out->batches)) ||
	    (ret = count_rows(s, "SELECT count(*) FROM readings", &out->readings)) ||
	    (ret = count_rows(s, "SELECT count(*) FROM quarantine",
			      &out->quarantined_batches)) ||
	    (ret = count_rows(s, "SELECT count(*) FROM quarantined_readings",
			      &out->quarantined_readings)) ||
	    (ret = count_rows(s, "SELECT count(*) FROM gaps", &out->gaps)) ||
	    (ret = count_rows(s, "SELECT count(*) FROM rollups", &out->rollups)))
		return ret;
	return GFI_OK;
}

int store_status_put(struct store *s, const struct gw_status *st)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(s,
		"INSERT OR REPLACE INTO gateway_status (gateway, state, queue_depth, "
		"oldest_queued_s, head_seq, acked_seq, version, reported_s, received_s) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &q);
	int rc;

	if (ret != GFI_OK)
		return ret;
	db_bind_text(q, 1, st->gateway);
	db_bind_text(q, 2, st->state);
	db_bind_int64(q, 3, st->queue_depth);
	db_bind_int64(q, 4, st->oldest_queued_s);
	db_bind_int64(q, 5, st->head_seq);
	db_bind_int64(q, 6, st->acked_seq);
	db_bind_text(q, 7, st->version);
	db_bind_int64(q, 8, st->reported_s);
	db_bind_int64(q, 9, st->received_s);
	rc = sqlite3_step(q);
	ret = rc == SQLITE_DONE ? GFI_OK : store_fail(s, "status put", rc);
	sqlite3_finalize(q);
	return ret;
}

static void status_decode(sqlite3_stmt *q, void *row)
{
	struct gw_status *out = row;

	memset(out, 0, sizeof(*out));
	db_column_text(q, 0, out->gateway, sizeof(out->gateway));
	db_column_text(q, 1, out->state, sizeof(out->state));
	out->queue_depth = sqlite3_column_int64(q, 2);
	out->oldest_queued_s = sqlite3_column_int64(q, 3);
	out->head_seq = sqlite3_column_int64(q, 4);
	out->acked_seq = sqlite3_column_int64(q, 5);
	db_column_text(q, 6, out->version, sizeof(out->version));
	out->reported_s = sqlite3_column_int64(q, 7);
	out->received_s = sqlite3_column_int64(q, 8);
}

int store_status_get(struct store *s, const char *gateway, struct gw_status *out)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(s,
		"SELECT gateway, state, queue_depth, oldest_queued_s, head_seq, "
		"acked_seq, version, reported_s, received_s FROM gateway_status "
		"WHERE gateway = ?1", &q);

	if (ret != GFI_OK)
		return ret;
	db_bind_text(q, 1, gateway);
	ret = db_get(s->db, q, status_decode, out, "status get");
	sqlite3_finalize(q);
	return ret;
}

static void reason_decode(sqlite3_stmt *st, void *row)
{
	struct reason_count *r = row;

	db_column_text(st, 0, r->reason, sizeof(r->reason));
	r->n = sqlite3_column_int64(st, 1);
}

int store_quarantine_reasons(struct store *s, store_row_fn fn, void *ctx)
{
	struct reason_count r;

	/* "parse: readings[3].value: ..." -> "parse"; "broken chain" stays. */
	return db_query(s->db,
			"SELECT CASE WHEN instr(reason, ':') > 0 "
			"THEN substr(reason, 1, instr(reason, ':') - 1) ELSE reason END AS cls, "
			"count(*) FROM quarantine GROUP BY cls ORDER BY cls",
			reason_decode, &r, fn, ctx, "quarantine reasons");
}

int store_last_reading(struct store *s, const char *gateway, const char *meter,
		       const char *point, struct gfi_reading *out)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(s,
		"SELECT r.time_s, r.value, r.status, r.detail, s.quantity "
		"FROM readings r JOIN series s ON s.id = r.series "
		"WHERE s.gateway = ?1 AND s.meter = ?2 AND s.point = ?3 "
		"ORDER BY r.time_s DESC LIMIT 1", &q);
	int rc;

	if (ret != GFI_OK)
		return ret;
	db_bind_text(q, 1, gateway);
	db_bind_text(q, 2, meter);
	db_bind_text(q, 3, point);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		memset(out, 0, sizeof(*out));
		snprintf(out->meter, sizeof(out->meter), "%s", meter);
		snprintf(out->point, sizeof(out->point), "%s", point);
		out->time_s = sqlite3_column_int64(q, 0);
		out->value = sqlite3_column_type(q, 1) == SQLITE_NULL
				     ? NAN : sqlite3_column_double(q, 1);
		out->status = sqlite3_column_int(q, 2);
		out->detail = sqlite3_column_int(q, 3);
		db_column_text(q, 4, out->quantity, sizeof(out->quantity));
		ret = GFI_OK;
	} else {
		ret = rc == SQLITE_DONE ? GFI_E_NOTFOUND : store_fail(s, "last reading", rc);
	}
	sqlite3_finalize(q);
	return ret;
}

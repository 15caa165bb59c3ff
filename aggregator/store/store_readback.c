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

	DB_ROW(st, r, DB_COL_TEXT(r->gateway), DB_COL_TEXT(r->meter),
	       DB_COL_TEXT(r->point), DB_COL_TEXT(r->quantity), DB_COL_INT(r->day_s),
	       DB_COL_INT(r->count), DB_COL_INT(r->bad), DB_COL_INT(r->first_s),
	       DB_COL_NREAL(r->first_v), DB_COL_INT(r->last_s), DB_COL_NREAL(r->last_v),
	       DB_COL_NREAL(r->min_v), DB_COL_NREAL(r->max_v), DB_COL_REAL(r->integral),
	       DB_COL_INT(r->flagged));
}

/* Days in [from_day_s, to_day_s), ordered by meter, point, day. */
int store_rollups(struct store *s, const char *gateway, const char *meter,
		  const char *point, int64_t from_day_s, int64_t to_day_s,
		  store_row_fn fn, void *ctx)
{
	struct rollup r;
	int one = meter != NULL && point != NULL;

	/* One series when meter and point are given: a year's total must not
	 * walk every other point of the gateway (26x the rows at 30 points). */
	return db_select(s->db,
		"SELECT s.gateway, s.meter, s.point, s.quantity, r.day_s, r.count, "
		"r.bad, r.first_s, r.first_v, r.last_s, r.last_v, r.min_v, r.max_v, "
		"r.integral, r.flagged FROM rollups r JOIN series s ON s.id = r.series "
		"WHERE s.gateway = ?1 AND r.day_s >= ?2 AND r.day_s < ?3 "
		"AND (?4 IS NULL OR (s.meter = ?4 AND s.point = ?5)) "
		"ORDER BY s.meter, s.point, r.day_s",
		DB_ARGS(DB_TEXT(gateway), DB_INT(from_day_s), DB_INT(to_day_s),
			DB_TEXT(one ? meter : NULL), DB_TEXT(one ? point : NULL)),
		rollup_row, &r, fn, ctx, "rollup list");
}

/* A reading row of one series; meter and point are the caller's, set once. */
static void reading_decode(sqlite3_stmt *st, void *row)
{
	struct gfi_reading *r = row;

	DB_COLUMNS(st, DB_COL_TEXT(r->quantity), DB_COL_INT(r->time_s),
	           DB_COL_NREAL(r->value), DB_COL_INT(r->status),
	           DB_COL_INT(r->detail));
}

int store_readings(struct store *s, const char *gateway, const char *meter,
		   const char *point, int64_t from_s, int64_t to_s,
		   store_row_fn fn, void *ctx)
{
	struct gfi_reading r;

	memset(&r, 0, sizeof(r));
	snprintf(r.meter, sizeof(r.meter), "%s", meter);
	snprintf(r.point, sizeof(r.point), "%s", point);
	return db_select(s->db,
		"SELECT s.quantity, r.time_s, r.value, r.status, r.detail "
		"FROM readings r JOIN series s ON s.id = r.series "
		"WHERE s.gateway = ?1 AND s.meter = ?2 AND s.point = ?3 "
		"AND r.time_s >= ?4 AND r.time_s < ?5 AND " STORE_READING_PUBLISHED("r")
		" ORDER BY r.time_s",
		DB_ARGS(DB_TEXT(gateway), DB_TEXT(meter), DB_TEXT(point),
			DB_INT(from_s), DB_INT(to_s)),
		reading_decode, &r, fn, ctx, "reading list");
}

static int count_rows(struct store *s, const char *sql, int64_t *out)
{
	return db_scalar(s->db, sql, NULL, 0, out, "count");
}

int store_counts(struct store *s, struct store_counts *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if ((ret = count_rows(s, "SELECT count(*) FROM batches", &out->batches)) ||
	    (ret = count_rows(s, "SELECT count(*) FROM readings r WHERE "
				   STORE_READING_PUBLISHED("r"), &out->readings)) ||
	    (ret = count_rows(s, "SELECT coalesce(sum(repeats), 0) FROM quarantine",
			      &out->quarantined_batches)) ||
	    (ret = count_rows(s, "SELECT count(*) FROM quarantined_readings",
			      &out->quarantined_readings)) ||
	    (ret = count_rows(s, "SELECT count(*) FROM gaps", &out->gaps)) ||
	    (ret = count_rows(s, "SELECT count(*) FROM rollups", &out->rollups)))
		return ret;
	return GFI_OK;
}

#define STATUS_COLS "gateway, state, queue_depth, oldest_queued_s, head_seq, " \
	"acked_seq, version, reported_s, received_s"

int store_status_put(struct store *s, const struct gw_status *st)
{
	return db_run(s->db, "INSERT OR REPLACE INTO gateway_status (" STATUS_COLS ") "
		      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
		      DB_ARGS(DB_TEXT(st->gateway), DB_TEXT(st->state),
			      DB_INT(st->queue_depth), DB_INT(st->oldest_queued_s),
			      DB_INT(st->head_seq), DB_INT(st->acked_seq),
			      DB_TEXT(st->version), DB_INT(st->reported_s),
			      DB_INT(st->received_s)),
		      "status put");
}

static void status_decode(sqlite3_stmt *q, void *row)
{
	struct gw_status *out = row;

	DB_ROW(q, out, DB_COL_TEXT(out->gateway), DB_COL_TEXT(out->state),
	       DB_COL_INT(out->queue_depth), DB_COL_INT(out->oldest_queued_s),
	       DB_COL_INT(out->head_seq), DB_COL_INT(out->acked_seq),
	       DB_COL_TEXT(out->version), DB_COL_INT(out->reported_s),
	       DB_COL_INT(out->received_s));
}

int store_status_get(struct store *s, const char *gateway, struct gw_status *out)
{
	return db_select_one(s->db, "SELECT " STATUS_COLS " FROM gateway_status "
			     "WHERE gateway = ?1", DB_ARGS(DB_TEXT(gateway)), status_decode,
			     out, "status get");
}

static void reason_decode(sqlite3_stmt *st, void *row)
{
	struct reason_count *r = row;

	DB_COLUMNS(st, DB_COL_TEXT(r->reason), DB_COL_INT(r->n));
}

int store_quarantine_reasons(struct store *s, store_row_fn fn, void *ctx)
{
	struct reason_count r;

	/* "parse: readings[3].value: ..." -> "parse"; "broken chain" stays. */
	return db_query(s->db,
			"SELECT CASE WHEN instr(reason, ':') > 0 "
			"THEN substr(reason, 1, instr(reason, ':') - 1) ELSE reason END AS cls, "
			"sum(repeats) FROM quarantine GROUP BY cls ORDER BY cls",
			reason_decode, &r, fn, ctx, "quarantine reasons");
}

int store_last_reading(struct store *s, const char *gateway, const char *meter,
		       const char *point, struct gfi_reading *out)
{
	struct gfi_reading r;
	int ret;

	/* Decoded into a copy: out is untouched when there is no reading. */
	memset(&r, 0, sizeof(r));
	snprintf(r.meter, sizeof(r.meter), "%s", meter);
	snprintf(r.point, sizeof(r.point), "%s", point);
	ret = db_select_one(s->db,
		"SELECT s.quantity, r.time_s, r.value, r.status, r.detail "
		"FROM readings r JOIN series s ON s.id = r.series "
		"WHERE s.gateway = ?1 AND s.meter = ?2 AND s.point = ?3 AND "
		STORE_READING_PUBLISHED("r") " ORDER BY r.time_s DESC LIMIT 1",
		DB_ARGS(DB_TEXT(gateway), DB_TEXT(meter), DB_TEXT(point)),
		reading_decode, &r, "last reading");
	if (ret == GFI_OK)
		*out = r;
	return ret;
}

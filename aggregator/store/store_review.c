/*
 * store_review.c — the review part of the store (store_review.h): alerts,
 * on-site spot checks, filed yearly tables, and the few read-backs of
 * batches and flagged readings that alerts and spot checks need.
 *
 * Why here: all SQL of the aggregator stays in the store files, so a
 * PostgreSQL backend replaces these functions and nothing else.
 *
 * Invariants: every statement binds its values (no SQL is built from input;
 * optional filters are "?n IS NULL OR column = ?n"); at most one alert per
 * (unit, rule, subject, period) is not resolved — the unique partial index
 * alerts_open of migration 3 enforces it, and store_alert_raise is an upsert
 * on that index, so a repeated evaluation never duplicates an alert.
 */
#include "store-private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

/* ---- alerts ---- */

#define ALERT_COLS "a.id, a.unit, a.rule, a.subject, a.period, a.value, " \
	"a.threshold, a.detail, a.first_seen_s, a.last_seen_s, a.state, " \
	"a.changed_by, a.changed_s"

static void alert_row(sqlite3_stmt *st, void *row)
{
	struct store_alert *a = row;

	DB_ROW(st, a, DB_COL_INT(a->id), DB_COL_TEXT(a->unit), DB_COL_TEXT(a->rule),
	       DB_COL_TEXT(a->subject), DB_COL_TEXT(a->period), DB_COL_NREAL(a->value),
	       DB_COL_NREAL(a->threshold), DB_COL_TEXT(a->detail),
	       DB_COL_INT(a->first_seen_s), DB_COL_INT(a->last_seen_s),
	       DB_COL_TEXT(a->state), DB_COL_TEXT(a->changed_by),
	       DB_COL_INT(a->changed_s));
}

/* The id of the alert of a's key that is not resolved; 0 when none. */
static int alert_active_id(struct store *s, const struct store_alert *a, int64_t *id)
{
	int ret = db_select_one(s->db, "SELECT id FROM alerts WHERE unit = ?1 AND rule = ?2 "
				"AND subject = ?3 AND period = ?4 AND state != 'resolved'",
				DB_ARGS(DB_TEXT(a->unit), DB_TEXT(a->rule),
					DB_TEXT(a->subject), DB_TEXT(a->period)),
				db_decode_int64, id, "alert find");

	if (ret == GFI_E_NOTFOUND)
		*id = 0;
	return ret == GFI_E_NOTFOUND ? GFI_OK : ret;
}

int store_alert_raise(struct store *s, const struct store_alert *a,
		      int64_t now_s, int64_t *id, int *created)
{
	int64_t before = 0;
	int ret;

	if ((ret = alert_active_id(s, a, &before)) != GFI_OK)
		return ret;
	/* An upsert on the partial index rather than "insert unless found":
	 * even a second evaluator racing this one cannot add a duplicate. A
	 * resolved alert of the same key never blocks a new one. SQLite makes
	 * all of a RETURNING statement's changes at its first step. */
	ret = db_select_one(s->db,
		"INSERT INTO alerts (unit, rule, subject, period, value, threshold, "
		"detail, first_seen_s, last_seen_s, state) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 'open') "
		"ON CONFLICT (unit, rule, subject, period) WHERE state != 'resolved' "
		"DO UPDATE SET value = excluded.value, threshold = excluded.threshold, "
		"detail = excluded.detail, last_seen_s = excluded.last_seen_s "
		"RETURNING id",
		DB_ARGS(DB_TEXT(a->unit), DB_TEXT(a->rule), DB_TEXT(a->subject),
			DB_TEXT(a->period), DB_REAL(a->value), DB_REAL(a->threshold),
			DB_TEXT(a->detail), DB_INT(now_s)),
		db_decode_int64, id, "alert raise");
	if (ret != GFI_OK && ret != GFI_E_NOTFOUND)
		return ret;
	*created = before == 0;
	return GFI_OK;
}

int store_alert_get(struct store *s, int64_t id, struct store_alert *out)
{
	return db_select_one(s->db, "SELECT " ALERT_COLS " FROM alerts a WHERE a.id = ?1",
			     DB_ARGS(DB_INT(id)), alert_row, out, "alert read");
}

int store_alert_set_state(struct store *s, int64_t id, const char *state,
			  const char *who, int64_t now_s)
{
	struct store_alert a;
	int ret;

	if (strcmp(state, "acknowledged") != 0 && strcmp(state, "resolved") != 0)
		return GFI_E_INVAL;
	if ((ret = store_alert_get(s, id, &a)) != GFI_OK)
		return ret;
	if (strcmp(a.state, "resolved") == 0 || strcmp(a.state, state) == 0)
		return GFI_E_STATE;
	/* The state test in the WHERE makes a concurrent change lose cleanly. */
	ret = db_run(s->db, "UPDATE alerts SET state = ?2, changed_by = ?3, "
		     "changed_s = ?4 WHERE id = ?1 AND state != 'resolved'",
		     DB_ARGS(DB_INT(id), DB_TEXT(state), DB_TEXT(who), DB_INT(now_s)),
		     "alert state");
	if (ret != GFI_OK)
		return ret;
	return sqlite3_changes(s->db) == 1 ? GFI_OK : GFI_E_STATE;
}

int store_alert_list(struct store *s, const struct store_alert_filter *f,
		     store_row_fn fn, void *ctx)
{
	static const struct store_alert_filter none;
	struct store_alert a;

	if (f == NULL)
		f = &none;
	return db_select(s->db,
		"SELECT " ALERT_COLS " FROM alerts a LEFT JOIN units u ON u.code = a.unit "
		"WHERE (?1 IS NULL OR a.unit = ?1) AND (?2 IS NULL OR u.county = ?2) "
		"AND (?3 IS NULL OR a.rule = ?3) AND (?4 IS NULL OR a.period = ?4) "
		"AND (?5 IS NULL OR a.state = ?5 OR "
		"     (?5 = 'active' AND a.state != 'resolved')) "
		"ORDER BY a.id",
		DB_ARGS(DB_TEXT(f->unit), DB_TEXT(f->county), DB_TEXT(f->rule),
			DB_TEXT(f->period), DB_TEXT(f->state)),
		alert_row, &a, fn, ctx, "alert list");
}

/* ---- spot checks ---- */

int store_spotcheck_add(struct store *s, const struct store_spotcheck *c,
			int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s,
		"INSERT INTO spotchecks (gateway, meter, point, at_s, reading, reported, "
		"diff, diff_pct, tolerance_pct, chain_ok, verdict, reason, inspector, "
		"note, recorded_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
		"?11, ?12, ?13, ?14, ?15)", &st);

	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, c->gateway);
	db_bind_text(st, 2, c->meter);
	db_bind_text(st, 3, c->point);
	db_bind_int64(st, 4, c->at_s);
	db_bind_double(st, 5, c->reading);
	db_bind_double(st, 6, c->reported);
	db_bind_double(st, 7, c->diff);
	db_bind_double(st, 8, c->diff_pct);
	db_bind_double(st, 9, c->tolerance_pct);
	db_bind_int64(st, 10, c->chain_ok);
	db_bind_text(st, 11, c->verdict);
	db_bind_text(st, 12, c->reason);
	db_bind_text(st, 13, c->inspector);
	db_bind_text(st, 14, c->note);
	db_bind_int64(st, 15, c->recorded_s);
	if ((ret = db_step_done(s->db, st, "spot check insert")) == GFI_OK)
		*id = sqlite3_last_insert_rowid(s->db);
	sqlite3_finalize(st);
	return ret;
}

static void spotcheck_row(sqlite3_stmt *st, void *row)
{
	struct store_spotcheck *c = row;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	db_column_text(st, 1, c->gateway, sizeof(c->gateway));
	db_column_text(st, 2, c->meter, sizeof(c->meter));
	db_column_text(st, 3, c->point, sizeof(c->point));
	c->at_s = sqlite3_column_int64(st, 4);
	c->reading = sqlite3_column_double(st, 5);
	c->reported = db_column_double(st, 6);
	c->diff = db_column_double(st, 7);
	c->diff_pct = db_column_double(st, 8);
	c->tolerance_pct = db_column_double(st, 9);
	c->chain_ok = sqlite3_column_int(st, 10);
	db_column_text(st, 11, c->verdict, sizeof(c->verdict));
	db_column_text(st, 12, c->reason, sizeof(c->reason));
	db_column_text(st, 13, c->inspector, sizeof(c->inspector));
	db_column_text(st, 14, c->note, sizeof(c->note));
	c->recorded_s = sqlite3_column_int64(st, 15);
}

int store_spotcheck_list(struct store *s, const char *gateway,
			 const char *meter, const char *point,
			 store_row_fn fn, void *ctx)
{
	struct store_spotcheck c;
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s,
		"SELECT id, gateway, meter, point, at_s, reading, reported, diff, "
		"diff_pct, tolerance_pct, chain_ok, verdict, reason, inspector, note, "
		"recorded_s FROM spotchecks WHERE (?1 IS NULL OR gateway = ?1) "
		"AND (?2 IS NULL OR meter = ?2) AND (?3 IS NULL OR point = ?3) "
		"ORDER BY id", &st);

	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, gateway);
	db_bind_text(st, 2, meter);
	db_bind_text(st, 3, point);
	ret = db_list(s->db, st, spotcheck_row, &c, fn, ctx, "spot check list");
	sqlite3_finalize(st);
	return ret;
}

/* ---- filings ---- */

int store_filing_put(struct store *s, const char *unit, int year,
		     const char *by, int64_t filed_s)
{
	struct reg_unit u;
	int ret = store_unit_get(s, unit, &u);

	if (ret != GFI_OK)
		return ret;
	return db_run(s->db, "INSERT OR REPLACE INTO filings (unit, year, filed_s, "
		      "filed_by) VALUES (?1, ?2, ?3, ?4)",
		      DB_ARGS(DB_TEXT(unit), DB_INT(year), DB_INT(filed_s), DB_TEXT(by)),
		      "filing");
}

int store_filing_held(struct store *s, const char *unit, int year)
{
	return db_exists(s->db, "SELECT 1 FROM filings WHERE unit = ?1 AND year = ?2",
			 DB_ARGS(DB_TEXT(unit), DB_INT(year)), "filing read");
}

/* ---- read-backs for alerts and spot checks ---- */

/* A maximum's row: NULL when the table had no row for it. */
struct max_row {
	int has;
	int64_t v;
};

static void max_decode(sqlite3_stmt *st, void *row)
{
	struct max_row *m = row;

	m->has = sqlite3_column_type(st, 0) != SQLITE_NULL;
	m->v = m->has ? sqlite3_column_int64(st, 0) : 0;
}

int store_batch_last_received(struct store *s, const char *gateway,
			      int64_t *received_s, int *has)
{
	struct max_row m = { 0, 0 };
	int ret = db_select_one(s->db, "SELECT max(received_s) FROM batches WHERE gateway = ?1",
				DB_ARGS(DB_TEXT(gateway)), max_decode, &m, "last batch");

	*has = m.has;
	*received_s = m.v;
	return ret;
}

static void seq_decode(sqlite3_stmt *st, void *row)
{
	*(uint64_t *)row = (uint64_t)sqlite3_column_int64(st, 0);
}

int store_batch_seqs(struct store *s, const char *gateway, int64_t from_s,
		     store_row_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	uint64_t seq;
	int ret = store_prepare(s, "SELECT seq FROM batches WHERE gateway = ?1 "
				"AND received_s >= ?2 AND epoch = coalesce((SELECT "
				"epoch FROM chain WHERE gateway = ?1), '') ORDER BY seq",
				&st);

	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, gateway);
	db_bind_int64(st, 2, from_s);
	ret = db_list(s->db, st, seq_decode, &seq, fn, ctx, "batch list");
	sqlite3_finalize(st);
	return ret;
}

struct flagged_row {
	int64_t backwards, jumps;
};

static void flagged_decode(sqlite3_stmt *st, void *row)
{
	struct flagged_row *f = row;

	f->backwards = sqlite3_column_int64(st, 0);
	f->jumps = sqlite3_column_int64(st, 1);
}

int store_flagged_count(struct store *s, const char *gateway,
			const char *meter, const char *point, int64_t from_s,
			int64_t to_s, int64_t *backwards, int64_t *jumps)
{
	struct flagged_row f = { 0, 0 };
	int ret = db_select_one(s->db,
		"SELECT coalesce(sum(r.status = ?5), 0), coalesce(sum(r.status = ?6), 0) "
		"FROM readings r JOIN series x ON x.id = r.series "
		"WHERE x.gateway = ?1 AND x.meter = ?2 AND x.point = ?3 "
		"AND r.time_s >= ?4 AND r.time_s < ?7",
		DB_ARGS(DB_TEXT(gateway), DB_TEXT(meter), DB_TEXT(point), DB_INT(from_s),
			DB_INT(GFI_ST_BACKWARDS), DB_INT(GFI_ST_JUMP), DB_INT(to_s)),
		flagged_decode, &f, "flagged readings");

	*backwards = f.backwards;
	*jumps = f.jumps;
	/* An aggregate always has its row. */
	return ret == GFI_E_NOTFOUND ? store_fail(s, "flagged readings", SQLITE_DONE) : ret;
}

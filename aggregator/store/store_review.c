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

	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	db_column_text(st, 1, a->unit, sizeof(a->unit));
	db_column_text(st, 2, a->rule, sizeof(a->rule));
	db_column_text(st, 3, a->subject, sizeof(a->subject));
	db_column_text(st, 4, a->period, sizeof(a->period));
	a->value = db_column_double(st, 5);
	a->threshold = db_column_double(st, 6);
	db_column_text(st, 7, a->detail, sizeof(a->detail));
	a->first_seen_s = sqlite3_column_int64(st, 8);
	a->last_seen_s = sqlite3_column_int64(st, 9);
	db_column_text(st, 10, a->state, sizeof(a->state));
	db_column_text(st, 11, a->changed_by, sizeof(a->changed_by));
	a->changed_s = sqlite3_column_int64(st, 12);
}

/* The id of the alert of a's key that is not resolved; 0 when none. */
static int alert_active_id(struct store *s, const struct store_alert *a, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s, "SELECT id FROM alerts WHERE unit = ?1 AND rule = ?2 "
				"AND subject = ?3 AND period = ?4 AND state != 'resolved'",
				&st), rc;

	*id = 0;
	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, a->unit);
	db_bind_text(st, 2, a->rule);
	db_bind_text(st, 3, a->subject);
	db_bind_text(st, 4, a->period);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? GFI_OK
						      : store_fail(s, "alert find", rc);
}

int store_alert_raise(struct store *s, const struct store_alert *a,
		      int64_t now_s, int64_t *id, int *created)
{
	sqlite3_stmt *st = NULL;
	int64_t before = 0;
	int ret, rc;

	if ((ret = alert_active_id(s, a, &before)) != GFI_OK)
		return ret;
	/* An upsert on the partial index rather than "insert unless found":
	 * even a second evaluator racing this one cannot add a duplicate. A
	 * resolved alert of the same key never blocks a new one. */
	ret = store_prepare(s,
		"INSERT INTO alerts (unit, rule, subject, period, value, threshold, "
		"detail, first_seen_s, last_seen_s, state) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 'open') "
		"ON CONFLICT (unit, rule, subject, period) WHERE state != 'resolved' "
		"DO UPDATE SET value = excluded.value, threshold = excluded.threshold, "
		"detail = excluded.detail, last_seen_s = excluded.last_seen_s "
		"RETURNING id", &st);
	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, a->unit);
	db_bind_text(st, 2, a->rule);
	db_bind_text(st, 3, a->subject);
	db_bind_text(st, 4, a->period);
	db_bind_double(st, 5, a->value);
	db_bind_double(st, 6, a->threshold);
	db_bind_text(st, 7, a->detail);
	db_bind_int64(st, 8, now_s);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, "alert raise", rc);
	*created = before == 0;
	return GFI_OK;
}

/* The row sql selects by its one parameter, id, decoded into out. */
static int get_by_id(struct store *s, const char *sql, int64_t id,
		     db_decode_fn decode, void *out, const char *what)
{
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s, sql, &st);

	if (ret != GFI_OK)
		return ret;
	db_bind_int64(st, 1, id);
	ret = db_get(s->db, st, decode, out, what);
	sqlite3_finalize(st);
	return ret;
}

int store_alert_get(struct store *s, int64_t id, struct store_alert *out)
{
	return get_by_id(s, "SELECT " ALERT_COLS " FROM alerts a WHERE a.id = ?1", id,
			 alert_row, out, "alert read");
}

int store_alert_set_state(struct store *s, int64_t id, const char *state,
			  const char *who, int64_t now_s)
{
	struct store_alert a;
	sqlite3_stmt *st = NULL;
	int ret;

	if (strcmp(state, "acknowledged") != 0 && strcmp(state, "resolved") != 0)
		return GFI_E_INVAL;
	if ((ret = store_alert_get(s, id, &a)) != GFI_OK)
		return ret;
	if (strcmp(a.state, "resolved") == 0 || strcmp(a.state, state) == 0)
		return GFI_E_STATE;
	/* The state test in the WHERE makes a concurrent change lose cleanly. */
	ret = store_prepare(s, "UPDATE alerts SET state = ?2, changed_by = ?3, "
			    "changed_s = ?4 WHERE id = ?1 AND state != 'resolved'", &st);
	if (ret != GFI_OK)
		return ret;
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, state);
	db_bind_text(st, 3, who);
	db_bind_int64(st, 4, now_s);
	ret = db_step_done(s->db, st, "alert state");
	sqlite3_finalize(st);
	if (ret != GFI_OK)
		return ret;
	return sqlite3_changes(s->db) == 1 ? GFI_OK : GFI_E_STATE;
}

int store_alert_list(struct store *s, const struct store_alert_filter *f,
		     store_row_fn fn, void *ctx)
{
	static const struct store_alert_filter none;
	sqlite3_stmt *st = NULL;
	struct store_alert a;
	int ret;

	if (f == NULL)
		f = &none;
	ret = store_prepare(s,
		"SELECT " ALERT_COLS " FROM alerts a LEFT JOIN units u ON u.code = a.unit "
		"WHERE (?1 IS NULL OR a.unit = ?1) AND (?2 IS NULL OR u.county = ?2) "
		"AND (?3 IS NULL OR a.rule = ?3) AND (?4 IS NULL OR a.period = ?4) "
		"AND (?5 IS NULL OR a.state = ?5 OR "
		"     (?5 = 'active' AND a.state != 'resolved')) "
		"ORDER BY a.id", &st);
	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, f->unit);
	db_bind_text(st, 2, f->county);
	db_bind_text(st, 3, f->rule);
	db_bind_text(st, 4, f->period);
	db_bind_text(st, 5, f->state);
	ret = db_list(s->db, st, alert_row, &a, fn, ctx, "alert list");
	sqlite3_finalize(st);
	return ret;
}

/* ---- spot checks ---- */

#define SPOTCHECK_COLS "id, gateway, meter, point, at_s, reading, reported, diff, " \
	"diff_pct, tolerance_pct, chain_ok, verdict, reason, inspector, note, " \
	"recorded_s, kind, from_s, from_reading, since_id, tolerance, tol_display, " \
	"tol_register, tol_clock, tol_interp, tol_class"

int store_spotcheck_add(struct store *s, const struct store_spotcheck *c,
			int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s,
		"INSERT INTO spotchecks (gateway, meter, point, at_s, reading, reported, "
		"diff, diff_pct, tolerance_pct, chain_ok, verdict, reason, inspector, "
		"note, recorded_s, kind, from_s, from_reading, since_id, tolerance, "
		"tol_display, tol_register, tol_clock, tol_interp, tol_class) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
		"?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)", &st);

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
	db_bind_text(st, 16, c->kind[0] ? c->kind : "display");
	db_bind_int64(st, 17, c->from_s);
	db_bind_double(st, 18, c->from_reading);
	db_bind_int64(st, 19, c->since_id);
	db_bind_double(st, 20, c->tolerance);
	db_bind_double(st, 21, c->tol.display);
	db_bind_double(st, 22, c->tol.reg);
	db_bind_double(st, 23, c->tol.clock);
	db_bind_double(st, 24, c->tol.interp);
	db_bind_double(st, 25, c->tol.classes);
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
	db_column_text(st, 16, c->kind, sizeof(c->kind));
	c->from_s = sqlite3_column_int64(st, 17);
	c->from_reading = db_column_double(st, 18);
	c->since_id = sqlite3_column_int64(st, 19);
	c->tolerance = db_column_double(st, 20);
	c->tol.display = db_column_double(st, 21);
	c->tol.reg = db_column_double(st, 22);
	c->tol.clock = db_column_double(st, 23);
	c->tol.interp = db_column_double(st, 24);
	c->tol.classes = db_column_double(st, 25);
}

int store_spotcheck_list(struct store *s, const char *gateway,
			 const char *meter, const char *point,
			 store_row_fn fn, void *ctx)
{
	struct store_spotcheck c;
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s,
		"SELECT " SPOTCHECK_COLS " FROM spotchecks WHERE (?1 IS NULL OR gateway = ?1) "
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

int store_spotcheck_get(struct store *s, int64_t id, struct store_spotcheck *out)
{
	return get_by_id(s, "SELECT " SPOTCHECK_COLS " FROM spotchecks WHERE id = ?1", id,
			 spotcheck_row, out, "spot check read");
}

/* ---- filings ---- */

int store_filing_put(struct store *s, const char *unit, int year,
		     const char *by, int64_t filed_s)
{
	struct reg_unit u;
	sqlite3_stmt *st = NULL;
	int ret = store_unit_get(s, unit, &u);

	if (ret != GFI_OK)
		return ret;
	ret = store_prepare(s, "INSERT OR REPLACE INTO filings (unit, year, filed_s, "
			    "filed_by) VALUES (?1, ?2, ?3, ?4)", &st);
	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, unit);
	db_bind_int64(st, 2, year);
	db_bind_int64(st, 3, filed_s);
	db_bind_text(st, 4, by);
	ret = db_step_done(s->db, st, "filing");
	sqlite3_finalize(st);
	return ret;
}

int store_filing_held(struct store *s, const char *unit, int year)
{
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s, "SELECT 1 FROM filings WHERE unit = ?1 AND year = ?2",
				&st), rc;

	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, unit);
	db_bind_int64(st, 2, year);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : store_fail(s, "filing read", rc);
}

/* ---- read-backs for alerts and spot checks ---- */

int store_batch_last_received(struct store *s, const char *gateway,
			      int64_t *received_s, int *has)
{
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s, "SELECT max(received_s) FROM batches WHERE gateway = ?1",
				&st), rc;

	*has = 0;
	*received_s = 0;
	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, gateway);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*has = 1;
		*received_s = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? GFI_OK : store_fail(s, "last batch", rc);
}

int store_flagged_count(struct store *s, const char *gateway,
			const char *meter, const char *point, int64_t from_s,
			int64_t to_s, int64_t *backwards, int64_t *jumps)
{
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s,
		"SELECT coalesce(sum(r.status = ?5), 0), coalesce(sum(r.status = ?6), 0) "
		"FROM readings r JOIN series x ON x.id = r.series "
		"WHERE x.gateway = ?1 AND x.meter = ?2 AND x.point = ?3 "
		"AND r.time_s >= ?4 AND r.time_s < ?7", &st), rc;

	*backwards = *jumps = 0;
	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, gateway);
	db_bind_text(st, 2, meter);
	db_bind_text(st, 3, point);
	db_bind_int64(st, 4, from_s);
	db_bind_int64(st, 5, GFI_ST_BACKWARDS);
	db_bind_int64(st, 6, GFI_ST_JUMP);
	db_bind_int64(st, 7, to_s);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*backwards = sqlite3_column_int64(st, 0);
		*jumps = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? GFI_OK : store_fail(s, "flagged readings", rc);
}

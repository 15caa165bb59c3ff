/*
 * store_moves.c — the dated registry (store_moves.h): gateway and meter
 * assignments to units, and units' own versions, each in force from a date.
 *
 * Why spans: a change of boundary or ownership (重大事项变更) takes effect
 * from a date, so a unit's indicators for a period take each point's
 * readings only for the part of the period it belonged to the unit, and a
 * year's table names the unit as it was that year.
 *
 * Invariants: an entry's spans do not overlap and tile time from its first
 * to its open one; the registry's current row (gateways.unit, units.*) is
 * the open span's; spans are only added and closed, in one savepoint with
 * that update. An entry without spans is its registry row for all time.
 */
#include "store-private.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

/* ---- one move, for any of the three tables ---- */

/* The SQL of a dated change, binding ?1 key, ?2 second key (meter; unused
 * by the others), ?3 first span's start, ?4 open end, ?5 from_s, and for
 * the new span itself the values after. */
struct move_sql {
	const char *start;   /* the first span (the registry row), if none yet */
	const char *open;    /* SELECT 1: the open span starts before ?5 */
	const char *close;   /* end the open span at ?5 */
	const char *insert;  /* the new open span from ?5 */
	const char *current; /* the registry's current row, or NULL */
};

/* The statements share one argument list: each binds the ?N it names
 * (db.h: arguments past a statement's parameters are not bound). */
static int move_rows(struct store *s, const struct move_sql *q,
		     const struct db_arg *args, size_t n)
{
	int ret = db_run(s->db, q->start, args, n, "move start");

	if (ret == GFI_OK && (ret = db_exists(s->db, q->open, args, n, "move open")) == 0)
		return GFI_E_STATE;
	if (ret == 1)
		ret = db_run(s->db, q->close, args, n, "move close");
	if (ret == GFI_OK)
		ret = db_run(s->db, q->insert, args, n, "move open");
	if (ret == GFI_OK && q->current != NULL)
		ret = db_run(s->db, q->current, args, n, "move current");
	return ret;
}

/* The writes of q in one savepoint: all or nothing. */
static int move(struct store *s, const struct move_sql *q,
		const struct db_arg *args, size_t n)
{
	int ret;

	s->registry_writes++;
	if ((ret = db_exec(s->db, "SAVEPOINT registry_move", "move")) != GFI_OK)
		return ret;
	ret = move_rows(s, q, args, n);
	if (ret != GFI_OK)
		db_exec(s->db, "ROLLBACK TO registry_move", "move");
	db_exec(s->db, "RELEASE registry_move", "move");
	return ret;
}

/* ---- gateways ---- */

#define SPAN_COLS "g.id, u.unit, g.pubkey_pem, g.active, g.registered_s, " \
	"u.from_s, u.to_s, u.changed_by, u.changed_s"
/* A gateway that never moved, as one span over all time. */
#define WHOLE_SPAN "SELECT g.id, g.unit, g.pubkey_pem, g.active, g.registered_s, " \
	"-9223372036854775808, 9223372036854775807, 'registry', g.registered_s " \
	"FROM gateways g WHERE NOT EXISTS (SELECT 1 FROM gateway_units x WHERE " \
	"x.gateway = g.id)"

static void span_decode(sqlite3_stmt *st, void *row)
{
	struct store_gateway_span *p = row;

	DB_ROW(st, p, DB_COL_TEXT(p->g.id), DB_COL_TEXT(p->g.unit),
	       DB_COL_TEXT(p->g.pubkey_pem), DB_COL_INT(p->g.active),
	       DB_COL_INT(p->g.registered_s), DB_COL_INT(p->from_s),
	       DB_COL_INT(p->to_s), DB_COL_TEXT(p->changed_by),
	       DB_COL_INT(p->changed_s));
}

int store_gateway_move(struct store *s, const char *gateway, const char *unit,
		       int64_t from_s, const char *by, int64_t now_s)
{
	static const struct move_sql q = {
		"INSERT INTO gateway_units (gateway, unit, from_s, to_s, changed_by, "
		"changed_s) SELECT id, unit, ?3, ?4, 'registry', registered_s FROM "
		"gateways WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM gateway_units "
		"WHERE gateway = ?1)",
		"SELECT 1 FROM gateway_units WHERE gateway = ?1 AND to_s = ?4 AND "
		"from_s < ?5",
		"UPDATE gateway_units SET to_s = ?5 WHERE gateway = ?1 AND to_s = ?4",
		"INSERT INTO gateway_units (gateway, unit, from_s, to_s, changed_by, "
		"changed_s) VALUES (?1, ?6, ?5, ?4, ?7, ?8)",
		"UPDATE gateways SET unit = ?6 WHERE id = ?1",
	};
	int ret = db_exists(s->db, "SELECT 1 FROM gateways g, units u WHERE g.id = ?1 "
			    "AND u.code = ?2", DB_ARGS(DB_TEXT(gateway), DB_TEXT(unit)),
			    "move check");

	if (ret < 0)
		return ret;
	if (ret == 0)
		return GFI_E_NOTFOUND;
	return move(s, &q, DB_ARGS(DB_TEXT(gateway), DB_TEXT(""), DB_INT(STORE_SPAN_START),
				   DB_INT(STORE_SPAN_OPEN), DB_INT(from_s), DB_TEXT(unit),
				   DB_TEXT(by), DB_INT(now_s)));
}

int store_gateway_dated(struct store *s, const char *gateway)
{
	return db_exists(s->db, "SELECT 1 FROM gateway_units WHERE gateway = ?1",
			 DB_ARGS(DB_TEXT(gateway)), "gateway dated");
}

int store_gateway_list_unit_spans(struct store *s, const char *unit, int64_t t0,
				  int64_t t1, store_row_fn fn, void *ctx)
{
	struct store_gateway_span row;

	return db_select(s->db, "SELECT g.id, u.unit, g.pubkey_pem, g.active, "
			 "g.registered_s, max(u.from_s, ?2), min(u.to_s, ?3), "
			 "u.changed_by, u.changed_s FROM gateway_units u JOIN gateways g "
			 "ON g.id = u.gateway WHERE u.unit = ?1 AND u.from_s < ?3 AND "
			 "u.to_s > ?2 UNION ALL SELECT id, unit, pubkey_pem, active, "
			 "registered_s, ?2, ?3, 'registry', registered_s FROM gateways g "
			 "WHERE unit = ?1 AND NOT EXISTS (SELECT 1 FROM gateway_units x "
			 "WHERE x.gateway = g.id) ORDER BY 1, 6",
			 DB_ARGS(DB_TEXT(unit), DB_INT(t0), DB_INT(t1)), span_decode, &row,
			 fn, ctx, "unit spans");
}

int store_gateway_spans(struct store *s, const char *gateway, store_row_fn fn,
			void *ctx)
{
	struct store_gateway_span row;

	return db_select(s->db, "SELECT " SPAN_COLS " FROM gateway_units u JOIN "
			 "gateways g ON g.id = u.gateway WHERE u.gateway = ?1 UNION ALL "
			 WHOLE_SPAN " AND g.id = ?1 ORDER BY 6",
			 DB_ARGS(DB_TEXT(gateway)), span_decode, &row, fn, ctx,
			 "gateway spans");
}

/* ---- meters ---- */

int store_meter_move(struct store *s, const char *gateway, const char *meter,
		     const char *unit, int64_t from_s, const char *by, int64_t now_s)
{
	static const struct move_sql q = {
		"INSERT INTO meter_units (gateway, meter, unit, from_s, to_s, "
		"changed_by, changed_s) SELECT gateway, meter, NULL, ?3, ?4, "
		"'registry', min(registered_s) FROM meters WHERE gateway = ?1 AND "
		"meter = ?2 AND NOT EXISTS (SELECT 1 FROM meter_units WHERE gateway "
		"= ?1 AND meter = ?2) GROUP BY gateway, meter",
		"SELECT 1 FROM meter_units WHERE gateway = ?1 AND meter = ?2 AND "
		"to_s = ?4 AND from_s < ?5",
		"UPDATE meter_units SET to_s = ?5 WHERE gateway = ?1 AND meter = ?2 "
		"AND to_s = ?4",
		"INSERT INTO meter_units (gateway, meter, unit, from_s, to_s, "
		"changed_by, changed_s) VALUES (?1, ?2, ?6, ?5, ?4, ?7, ?8)",
		NULL,
	};
	int ret = store_meter_known(s, gateway, meter);

	if (ret == 1 && unit != NULL)
		ret = db_exists(s->db, "SELECT 1 FROM units WHERE code = ?1",
				DB_ARGS(DB_TEXT(unit)), "move check");
	if (ret < 0)
		return ret;
	if (ret == 0)
		return GFI_E_NOTFOUND;
	return move(s, &q, DB_ARGS(DB_TEXT(gateway), DB_TEXT(meter),
				   DB_INT(STORE_SPAN_START), DB_INT(STORE_SPAN_OPEN),
				   DB_INT(from_s), DB_TEXT(unit),
				   DB_TEXT(by), DB_INT(now_s)));
}

static void meter_span_decode(sqlite3_stmt *st, void *row)
{
	struct store_meter_span *p = row;

	DB_ROW(st, p, DB_COL_TEXT(p->gateway), DB_COL_TEXT(p->meter),
	       DB_COL_TEXT(p->unit), DB_COL_INT(p->from_s), DB_COL_INT(p->to_s),
	       DB_COL_TEXT(p->changed_by), DB_COL_INT(p->changed_s));
}

int store_meter_spans(struct store *s, const char *gateway, const char *meter,
		      store_row_fn fn, void *ctx)
{
	struct store_meter_span row;

	return db_select(s->db, "SELECT gateway, meter, coalesce(unit, ''), from_s, "
			 "to_s, changed_by, changed_s FROM meter_units WHERE gateway = ?1 "
			 "AND meter = ?2 UNION ALL SELECT gateway, meter, '', ?3, ?4, "
			 "'registry', min(registered_s) FROM meters WHERE gateway = ?1 AND "
			 "meter = ?2 AND NOT EXISTS (SELECT 1 FROM meter_units WHERE "
			 "gateway = ?1 AND meter = ?2) GROUP BY gateway, meter ORDER BY 4",
			 DB_ARGS(DB_TEXT(gateway), DB_TEXT(meter), DB_INT(STORE_SPAN_START),
				 DB_INT(STORE_SPAN_OPEN)), meter_span_decode, &row, fn, ctx,
			 "meter spans");
}

static void point_span_decode(sqlite3_stmt *st, void *row)
{
	struct store_point_span *p = row;

	store_meter_decode(st, &p->m);
	p->from_s = sqlite3_column_int64(st, 12);
	p->to_s = sqlite3_column_int64(st, 13);
}

/* gs: the unit's gateway spans clipped to [?2, ?3); sp: its meters' spans,
 * those following their gateway (no spans of their own, or a span of
 * their own with unit NULL) within the gateway's, and those moved to the
 * unit themselves. */
#define UNIT_POINT_SPANS \
	"WITH gs (gateway, f, t) AS (SELECT gateway, max(from_s, ?2), " \
	"min(to_s, ?3) FROM gateway_units WHERE unit = ?1 AND from_s < ?3 AND " \
	"to_s > ?2 UNION ALL SELECT id, ?2, ?3 FROM gateways g WHERE unit = ?1 " \
	"AND NOT EXISTS (SELECT 1 FROM gateway_units x WHERE x.gateway = g.id)), " \
	"sp (gateway, meter, f, t) AS (SELECT DISTINCT x.gateway, x.meter, gs.f, " \
	"gs.t FROM gs JOIN meters x ON x.gateway = gs.gateway WHERE NOT EXISTS " \
	"(SELECT 1 FROM meter_units y WHERE y.gateway = x.gateway AND y.meter = " \
	"x.meter) UNION ALL SELECT y.gateway, y.meter, max(gs.f, y.from_s), " \
	"min(gs.t, y.to_s) FROM gs JOIN meter_units y ON y.gateway = gs.gateway " \
	"AND y.unit IS NULL AND y.from_s < gs.t AND y.to_s > gs.f UNION ALL " \
	"SELECT gateway, meter, max(from_s, ?2), min(to_s, ?3) FROM meter_units " \
	"WHERE unit = ?1 AND from_s < ?3 AND to_s > ?2) "

int store_point_list_unit_spans(struct store *s, const char *unit, int64_t t0,
				int64_t t1, store_row_fn fn, void *ctx)
{
	struct store_point_span row;

	return db_select(s->db, UNIT_POINT_SPANS "SELECT " STORE_METER_COLS ", f, t "
			 "FROM sp JOIN meters USING (gateway, meter) ORDER BY gateway, f, "
			 "meter, point, t", DB_ARGS(DB_TEXT(unit), DB_INT(t0), DB_INT(t1)),
			 point_span_decode, &row, fn, ctx, "unit point spans");
}

/* ---- units ---- */

#define VERSION_COLS STORE_UNIT_COLS ", from_s, to_s, changed_by, changed_s"

int store_unit_change_from(struct store *s, const struct reg_unit *u,
			   int64_t from_s, const char *by, int64_t now_s)
{
	static const struct move_sql q = {
		"INSERT INTO unit_versions (" VERSION_COLS ") SELECT " STORE_UNIT_COLS
		", ?3, ?4, 'registry', 0 FROM units WHERE code = ?1 AND NOT EXISTS "
		"(SELECT 1 FROM unit_versions WHERE code = ?1)",
		"SELECT 1 FROM unit_versions WHERE code = ?1 AND to_s = ?4 AND from_s < ?5",
		"UPDATE unit_versions SET to_s = ?5 WHERE code = ?1 AND to_s = ?4",
		"INSERT INTO unit_versions (" VERSION_COLS ") VALUES (?1, ?6, ?7, ?8, "
		"?9, ?10, ?11, ?12, ?5, ?4, ?13, ?14)",
		"UPDATE units SET name = ?6, kind = ?7, county = ?8, level = ?9, "
		"year_listed = ?10, sector = ?11, retired = ?12 WHERE code = ?1",
	};
	int ret = db_exists(s->db, "SELECT 1 FROM units u, counties c WHERE u.code = ?1 "
			    "AND c.code = ?2", DB_ARGS(DB_FIELD(u->code), DB_FIELD(u->county)),
			    "unit check");

	if (ret < 0)
		return ret;
	if (ret == 0)
		return GFI_E_NOTFOUND;
	return move(s, &q, DB_ARGS(DB_FIELD(u->code), DB_TEXT(""), DB_INT(STORE_SPAN_START),
				   DB_INT(STORE_SPAN_OPEN), DB_INT(from_s), DB_FIELD(u->name),
				   DB_INT(u->kind), DB_FIELD(u->county), DB_INT(u->level),
				   DB_INT(u->year_listed), DB_FIELD(u->sector),
				   DB_INT(u->retired != 0), DB_TEXT(by), DB_INT(now_s)));
}

int store_unit_version_correct(struct store *s, const struct reg_unit *u)
{
	return db_run(s->db, "UPDATE unit_versions SET name = ?2, kind = ?3, county = ?4, "
		      "level = ?5, year_listed = ?6, sector = ?7, retired = ?8 WHERE "
		      "code = ?1 AND to_s = ?9", DB_ARGS(DB_FIELD(u->code),
		      DB_FIELD(u->name), DB_INT(u->kind), DB_FIELD(u->county),
		      DB_INT(u->level), DB_INT(u->year_listed), DB_FIELD(u->sector),
		      DB_INT(u->retired != 0), DB_INT(STORE_SPAN_OPEN)), "unit version");
}

int store_unit_dated(struct store *s, const char *code)
{
	return db_exists(s->db, "SELECT 1 FROM unit_versions WHERE code = ?1",
			 DB_ARGS(DB_TEXT(code)), "unit dated");
}

static void version_decode(sqlite3_stmt *st, void *row)
{
	struct store_unit_version *v = row;

	store_unit_decode(st, &v->u);
	v->from_s = sqlite3_column_int64(st, 8);
	v->to_s = sqlite3_column_int64(st, 9);
	db_column_text(st, 10, v->changed_by, sizeof(v->changed_by));
	v->changed_s = sqlite3_column_int64(st, 11);
}

int store_unit_versions(struct store *s, const char *code, store_row_fn fn, void *ctx)
{
	struct store_unit_version row;

	return db_select(s->db, "SELECT " VERSION_COLS " FROM unit_versions WHERE code "
			 "= ?1 UNION ALL SELECT " STORE_UNIT_COLS ", ?2, ?3, 'registry', 0 "
			 "FROM units WHERE code = ?1 AND NOT EXISTS (SELECT 1 FROM "
			 "unit_versions WHERE code = ?1) ORDER BY 9",
			 DB_ARGS(DB_TEXT(code), DB_INT(STORE_SPAN_START),
				 DB_INT(STORE_SPAN_OPEN)), version_decode, &row, fn, ctx,
			 "unit versions");
}

int store_unit_list_at(struct store *s, int64_t at_s, store_row_fn fn, void *ctx)
{
	struct reg_unit row;

	return db_select(s->db, "SELECT " STORE_UNIT_COLS " FROM unit_versions WHERE "
			 "from_s <= ?1 AND to_s > ?1 UNION ALL SELECT " STORE_UNIT_COLS
			 " FROM units u WHERE NOT EXISTS (SELECT 1 FROM unit_versions v "
			 "WHERE v.code = u.code) ORDER BY 1", DB_ARGS(DB_INT(at_s)),
			 store_unit_decode, &row, fn, ctx, "units at");
}

int store_unit_get_at(struct store *s, const char *code, int64_t at_s,
		      struct reg_unit *out)
{
	return db_select_one(s->db, "SELECT " STORE_UNIT_COLS " FROM unit_versions WHERE "
			     "code = ?1 AND from_s <= ?2 AND to_s > ?2 UNION ALL SELECT "
			     STORE_UNIT_COLS " FROM units u WHERE code = ?1 AND NOT EXISTS "
			     "(SELECT 1 FROM unit_versions v WHERE v.code = ?1)",
			     DB_ARGS(DB_TEXT(code), DB_INT(at_s)), store_unit_decode, out,
			     "unit at");
}

/*
 * store_moves.c — the dated registry of gateway assignments (store_moves.h).
 *
 * Why spans: a change of boundary or ownership (重大事项变更) takes effect
 * from a date, so a unit's indicators for a period take each gateway's
 * readings only for the part of the period it belonged to the unit.
 *
 * Invariants: a gateway's spans do not overlap and tile time from its first
 * to its open one; gateways.unit is the open span's unit; spans are only
 * added and closed, in one transaction with that update.
 */
#include "store-private.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

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

/* The writes of a move, inside its savepoint. */
static int move_rows(struct store *s, const char *gateway, const char *unit,
		     int64_t from_s, const char *by, int64_t now_s)
{
	int ret = db_run(s->db, "INSERT INTO gateway_units (gateway, unit, from_s, "
			 "to_s, changed_by, changed_s) SELECT id, unit, ?2, ?3, "
			 "'registry', registered_s FROM gateways WHERE id = ?1 AND NOT "
			 "EXISTS (SELECT 1 FROM gateway_units WHERE gateway = ?1)",
			 DB_ARGS(DB_TEXT(gateway), DB_INT(STORE_SPAN_START),
				 DB_INT(STORE_SPAN_OPEN)), "move start");

	if (ret == GFI_OK &&
	    db_exists(s->db, "SELECT 1 FROM gateway_units WHERE gateway = ?1 AND "
		      "to_s = ?2 AND from_s < ?3", DB_ARGS(DB_TEXT(gateway),
		      DB_INT(STORE_SPAN_OPEN), DB_INT(from_s)), "move open") != 1)
		return GFI_E_STATE;
	if (ret == GFI_OK)
		ret = db_run(s->db, "UPDATE gateway_units SET to_s = ?2 WHERE gateway "
			     "= ?1 AND to_s = ?3", DB_ARGS(DB_TEXT(gateway),
			     DB_INT(from_s), DB_INT(STORE_SPAN_OPEN)), "move close");
	if (ret == GFI_OK)
		ret = db_run(s->db, "INSERT INTO gateway_units (gateway, unit, from_s, "
			     "to_s, changed_by, changed_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			     DB_ARGS(DB_TEXT(gateway), DB_TEXT(unit), DB_INT(from_s),
				     DB_INT(STORE_SPAN_OPEN), DB_TEXT(by), DB_INT(now_s)),
			     "move open");
	if (ret == GFI_OK)
		ret = db_run(s->db, "UPDATE gateways SET unit = ?2 WHERE id = ?1",
			     DB_ARGS(DB_TEXT(gateway), DB_TEXT(unit)), "move current");
	return ret;
}

int store_gateway_move(struct store *s, const char *gateway, const char *unit,
		       int64_t from_s, const char *by, int64_t now_s)
{
	int ret = db_exists(s->db, "SELECT 1 FROM gateways g, units u WHERE g.id = ?1 "
			    "AND u.code = ?2", DB_ARGS(DB_TEXT(gateway), DB_TEXT(unit)),
			    "move check");

	if (ret < 0)
		return ret;
	if (ret == 0)
		return GFI_E_NOTFOUND;
	s->registry_writes++;
	if ((ret = db_exec(s->db, "SAVEPOINT gateway_move", "move")) != GFI_OK)
		return ret;
	ret = move_rows(s, gateway, unit, from_s, by, now_s);
	if (ret != GFI_OK)
		db_exec(s->db, "ROLLBACK TO gateway_move", "move");
	db_exec(s->db, "RELEASE gateway_move", "move");
	return ret;
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

/*
 * store_registry.c — the registry part of the store (store_registry.h):
 * counties, units, park members, suppliers, gateways, meters, replacement
 * events and manual facts.
 *
 * Why here: all SQL of the aggregator stays in the store files, so a
 * PostgreSQL backend replaces these functions and nothing else.
 *
 * Invariants: every statement binds its values (no SQL is ever built from
 * input); each put runs its reference checks, existence check and write in
 * one transaction (its own, or the caller's when one is open), so two admin
 * processes cannot both create the same key; a missing reference is reported
 * as GFI_E_NOTFOUND by an explicit lookup, never inferred from a foreign-key
 * failure; an existing key on create is GFI_E_EXISTS. Format validation
 * (credit codes, ids, roles) is registry.c's job; this file only keeps the
 * references and keys consistent, plus two kind rules (a park's members, an
 * enterprise's suppliers) that the schema cannot express.
 */
#include "store-private.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "log.h"

/* ---- small helpers ---- */

/* Begin a transaction unless the caller already holds one. */
static int tx_begin(struct store *s, int *own)
{
	int rc;

	/* Every registry write starts here: store_registry_version moves. */
	s->registry_writes++;
	*own = sqlite3_get_autocommit(s->db);
	if (!*own)
		return GFI_OK;
	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	return rc == SQLITE_OK ? GFI_OK : store_fail(s, "registry begin", rc);
}

/* Commit our own transaction when ret is GFI_OK, else roll it back. */
static int tx_end(struct store *s, int own, int ret)
{
	int rc;

	if (!own)
		return ret;
	if (ret != GFI_OK) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return ret;
	}
	rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		ret = store_fail(s, "registry commit", rc);
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	}
	return ret;
}

/* Whether the query sql with args yields a row: GFI_OK (yes),
 * GFI_E_NOTFOUND (no) or GFI_E_DB. */
static int row_exists(struct store *s, const char *sql, const struct db_arg *args,
		      size_t n)
{
	int yes = db_exists(s->db, sql, args, n, "registry lookup");

	if (yes < 0)
		return yes;
	return yes ? GFI_OK : GFI_E_NOTFOUND;
}

/* The create/change rule: exists is the result of row_exists for the key. */
static int key_rule(int exists, int create)
{
	if (exists != GFI_OK && exists != GFI_E_NOTFOUND)
		return exists;
	if (create)
		return exists == GFI_OK ? GFI_E_EXISTS : GFI_OK;
	return exists == GFI_OK ? GFI_OK : GFI_E_NOTFOUND;
}

/* The SQL of one table's put: the row it refers to (NULL: none), its key
 * lookup, and the insert and the update, which bind the same values in the
 * same order, the key's last. */
struct put_sql {
	const char *parent;     /* SELECT 1 ... WHERE <parent key> = ? */
	const char *key;        /* SELECT 1 ... WHERE <key columns> = ? ... */
	const char *insert, *update;
	const char *what;
};

/* Create (create) or change a row in one transaction: the parent
 * (parent_key) must exist, the key follows key_rule, then the write binds
 * args[0..n), whose last nkey are the key. */
static int put_row(struct store *s, const struct put_sql *q, int create,
		   const char *parent_key, const struct db_arg *args, size_t n,
		   size_t nkey)
{
	int own, ret;

	if ((ret = tx_begin(s, &own)) != GFI_OK)
		return ret;
	if (q->parent != NULL)
		ret = row_exists(s, q->parent, DB_ARGS(DB_TEXT(parent_key)));
	if (ret == GFI_OK)
		ret = key_rule(row_exists(s, q->key, args + n - nkey, nkey), create);
	if (ret == GFI_OK)
		ret = db_run(s->db, create ? q->insert : q->update, args, n, q->what);
	return tx_end(s, own, ret);
}

static int unit_kind_of(struct store *s, const char *code, int *kind)
{
	int64_t k = 0;
	int ret = db_select_one(s->db, "SELECT kind FROM units WHERE code = ?",
				DB_ARGS(DB_TEXT(code)), db_decode_int64, &k, "unit kind");

	*kind = (int)k;
	return ret;
}

/* ---- counties ---- */

#define COUNTY_COLS "code, name, retired"

static void county_decode(sqlite3_stmt *st, void *row)
{
	struct reg_county *c = row;

	DB_ROW(st, c, DB_COL_TEXT(c->code), DB_COL_TEXT(c->name),
	       DB_COL_INT(c->retired));
}

int store_county_put(struct store *s, const struct reg_county *c, int create)
{
	static const struct put_sql q = {
		NULL, "SELECT 1 FROM counties WHERE code = ?",
		"INSERT INTO counties (name, retired, code) VALUES (?, ?, ?)",
		"UPDATE counties SET name = ?, retired = ? WHERE code = ?", "county put",
	};

	return put_row(s, &q, create, NULL, DB_ARGS(DB_FIELD(c->name),
			DB_INT(c->retired != 0), DB_FIELD(c->code)), 1);
}

int store_county_get(struct store *s, const char *code, struct reg_county *out)
{
	return db_select_one(s->db, "SELECT " COUNTY_COLS " FROM counties WHERE code = ?",
			     DB_ARGS(DB_TEXT(code)), county_decode, out, "registry get");
}

int store_county_list(struct store *s, store_row_fn fn, void *ctx)
{
	struct reg_county row;

	return db_query(s->db,
			"SELECT " COUNTY_COLS " FROM counties ORDER BY code",
			county_decode, &row, fn, ctx, "registry list");
}

/* ---- units ---- */

void store_unit_decode(sqlite3_stmt *st, void *row)
{
	struct reg_unit *u = row;

	DB_ROW(st, u, DB_COL_TEXT(u->code), DB_COL_TEXT(u->name), DB_COL_INT(u->kind),
	       DB_COL_TEXT(u->county), DB_COL_INT(u->level), DB_COL_INT(u->year_listed),
	       DB_COL_TEXT(u->sector), DB_COL_INT(u->retired));
}

int store_unit_put(struct store *s, const struct reg_unit *u, int create)
{
	static const struct put_sql q = {
		"SELECT 1 FROM counties WHERE code = ?", "SELECT 1 FROM units WHERE code = ?",
		"INSERT INTO units (name, kind, county, level, year_listed, sector,"
		" retired, code) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		"UPDATE units SET name = ?, kind = ?, county = ?, level = ?,"
		" year_listed = ?, sector = ?, retired = ? WHERE code = ?", "unit put",
	};
	char county[sizeof(u->county)];

	int ret;

	/* Bounded copy: the lookup binds a NUL-terminated string. */
	snprintf(county, sizeof(county), "%.*s", (int)sizeof(u->county) - 1, u->county);
	if ((ret = db_exec(s->db, "SAVEPOINT unit_put", "unit put")) != GFI_OK)
		return ret;
	ret = put_row(s, &q, create, county,
		      DB_ARGS(DB_FIELD(u->name), DB_INT(u->kind), DB_FIELD(u->county),
			      DB_INT(u->level), DB_INT(u->year_listed), DB_FIELD(u->sector),
			      DB_INT(u->retired != 0), DB_FIELD(u->code)), 1);
	/* A correction in place corrects the current version too. */
	if (ret == GFI_OK && !create)
		ret = store_unit_version_correct(s, u);
	if (ret != GFI_OK)
		db_exec(s->db, "ROLLBACK TO unit_put", "unit put");
	db_exec(s->db, "RELEASE unit_put", "unit put");
	return ret;
}

int store_unit_get(struct store *s, const char *code, struct reg_unit *out)
{
	return db_select_one(s->db, "SELECT " STORE_UNIT_COLS " FROM units WHERE code = ?",
			     DB_ARGS(DB_TEXT(code)), store_unit_decode, out, "registry get");
}

int store_unit_list(struct store *s, store_row_fn fn, void *ctx)
{
	struct reg_unit row;

	return db_query(s->db, "SELECT " STORE_UNIT_COLS " FROM units ORDER BY code",
			store_unit_decode, &row, fn, ctx, "registry list");
}

/* ---- memberships: a pair of units, the first of a required kind ---- */

static int pair_put(struct store *s, const char *table_sql_exists,
		    const char *insert_sql, int first_kind, const char *first,
		    const char *second)
{
	int own, ret, kind = -1;

	if (strcmp(first, second) == 0)
		return GFI_E_INVAL;
	if ((ret = tx_begin(s, &own)) != GFI_OK)
		return ret;
	ret = unit_kind_of(s, first, &kind);
	if (ret == GFI_OK)
		ret = row_exists(s, "SELECT 1 FROM units WHERE code = ?",
				 DB_ARGS(DB_TEXT(second)));
	if (ret == GFI_OK && kind != first_kind)
		ret = GFI_E_INVAL;
	if (ret == GFI_OK)
		ret = key_rule(row_exists(s, table_sql_exists,
					  DB_ARGS(DB_TEXT(first), DB_TEXT(second))), 1);
	if (ret == GFI_OK)
		ret = db_run(s->db, insert_sql, DB_ARGS(DB_TEXT(first), DB_TEXT(second)),
			     "membership put");
	return tx_end(s, own, ret);
}

int store_member_put(struct store *s, const char *park, const char *member)
{
	return pair_put(s, "SELECT 1 FROM members WHERE park = ? AND member = ?",
			"INSERT INTO members (park, member) VALUES (?, ?)",
			UNIT_PARK, park, member);
}

int store_supplier_put(struct store *s, const char *enterprise,
		       const char *supplier)
{
	return pair_put(s, "SELECT 1 FROM suppliers WHERE enterprise = ? AND supplier = ?",
			"INSERT INTO suppliers (enterprise, supplier) VALUES (?, ?)",
			UNIT_SUPPLY_CHAIN, enterprise, supplier);
}

/* ---- gateways ---- */

#define GATEWAY_COLS "id, unit, pubkey_pem, active, registered_s"

static void gateway_decode(sqlite3_stmt *st, void *row)
{
	struct reg_gateway *g = row;

	DB_ROW(st, g, DB_COL_TEXT(g->id), DB_COL_TEXT(g->unit),
	       DB_COL_TEXT(g->pubkey_pem), DB_COL_INT(g->active),
	       DB_COL_INT(g->registered_s));
}

int store_gateway_put(struct store *s, const struct reg_gateway *g, int create)
{
	static const struct put_sql q = {
		"SELECT 1 FROM units WHERE code = ?", "SELECT 1 FROM gateways WHERE id = ?",
		"INSERT INTO gateways (unit, pubkey_pem, active, registered_s, id)"
		" VALUES (?, ?, ?, ?, ?)",
		"UPDATE gateways SET unit = ?, pubkey_pem = ?, active = ?,"
		" registered_s = ? WHERE id = ?", "gateway put",
	};
	char unit[sizeof(g->unit)], id[sizeof(g->id)];

	snprintf(unit, sizeof(unit), "%.*s", (int)sizeof(g->unit) - 1, g->unit);
	snprintf(id, sizeof(id), "%.*s", (int)sizeof(g->id) - 1, g->id);
	return put_row(s, &q, create, unit,
		       DB_ARGS(DB_FIELD(g->unit), DB_FIELD(g->pubkey_pem),
			       DB_INT(g->active != 0), DB_INT(g->registered_s), DB_TEXT(id)), 1);
}

int store_gateway_get(struct store *s, const char *id, struct reg_gateway *out)
{
	return db_select_one(s->db, "SELECT " GATEWAY_COLS " FROM gateways WHERE id = ?",
			     DB_ARGS(DB_TEXT(id)), gateway_decode, out, "registry get");
}

int store_gateway_list(struct store *s, store_row_fn fn, void *ctx)
{
	struct reg_gateway row;

	return db_query(s->db,
			"SELECT " GATEWAY_COLS " FROM gateways ORDER BY id",
			gateway_decode, &row, fn, ctx, "registry list");
}

int store_gateway_list_unit(struct store *s, const char *unit,
			    store_row_fn fn, void *ctx)
{
	struct reg_gateway row;

	return db_select(s->db, "SELECT " GATEWAY_COLS " FROM gateways"
			 " WHERE unit = ? ORDER BY id", DB_ARGS(DB_TEXT(unit)),
			 gateway_decode, &row, fn, ctx, "registry list");
}

/* ---- meters ---- */

void store_meter_decode(sqlite3_stmt *st, void *row)
{
	struct reg_meter *m = row;

	DB_ROW(st, m, DB_COL_TEXT(m->gateway), DB_COL_TEXT(m->meter),
	       DB_COL_TEXT(m->point), DB_COL_TEXT(m->quantity), DB_COL_INT(m->role),
	       DB_COL_TEXT(m->carrier), DB_COL_REAL(m->counter_max),
	       DB_COL_TEXT(m->product), DB_COL_TEXT(m->product_unit),
	       DB_COL_REAL(m->accuracy_pct), DB_COL_INT(m->registered_s),
	       DB_COL_INT(m->retired));
}

int store_meter_put(struct store *s, const struct reg_meter *m, int create)
{
	static const struct put_sql q = {
		"SELECT 1 FROM gateways WHERE id = ?",
		"SELECT 1 FROM meters WHERE gateway = ? AND meter = ? AND point = ?",
		"INSERT INTO meters (quantity, role, carrier, counter_max, product,"
		" product_unit, accuracy_pct, registered_s, retired, gateway, meter,"
		" point) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		"UPDATE meters SET quantity = ?, role = ?, carrier = ?, counter_max = ?,"
		" product = ?, product_unit = ?, accuracy_pct = ?, registered_s = ?,"
		" retired = ? WHERE gateway = ? AND meter = ? AND point = ?", "meter put",
	};
	char gw[GFI_ID_MAX], meter[GFI_ID_MAX], point[GFI_ID_MAX];

	snprintf(gw, sizeof(gw), "%.*s", GFI_ID_MAX - 1, m->gateway);
	snprintf(meter, sizeof(meter), "%.*s", GFI_ID_MAX - 1, m->meter);
	snprintf(point, sizeof(point), "%.*s", GFI_ID_MAX - 1, m->point);
	return put_row(s, &q, create, gw,
		       DB_ARGS(DB_FIELD(m->quantity), DB_INT(m->role), DB_FIELD(m->carrier),
			       DB_REAL(m->counter_max), DB_FIELD(m->product),
			       DB_FIELD(m->product_unit), DB_REAL(m->accuracy_pct),
			       DB_INT(m->registered_s), DB_INT(m->retired != 0),
			       DB_TEXT(gw), DB_TEXT(meter), DB_TEXT(point)), 3);
}

int store_meter_get(struct store *s, const char *gateway, const char *meter,
		    const char *point, struct reg_meter *out)
{
	sqlite3_stmt *st = NULL;
	/* Verify asks this for points it has not seen: preparing it each time
	 * was half of the verify path (BENCHMARKS.md, "Aggregator ingest"). */
	int ret = store_cached(s, STORE_CACHE_METER_GET, "SELECT " STORE_METER_COLS
			       " FROM meters WHERE gateway = ? AND meter = ? AND point = ?",
			       &st);

	if (ret == GFI_OK) {
		db_bind_text(st, 1, gateway);
		db_bind_text(st, 2, meter);
		db_bind_text(st, 3, point);
		ret = db_get(s->db, st, store_meter_decode, out, "registry get");
	}
	return ret;
}

int store_meter_known(struct store *s, const char *gateway, const char *meter)
{
	return db_exists(s->db, "SELECT 1 FROM meters WHERE gateway = ? AND meter = ?"
			 " LIMIT 1", DB_ARGS(DB_TEXT(gateway), DB_TEXT(meter)),
			 "registry lookup");
}

int store_meter_list(struct store *s, const char *gateway, store_row_fn fn,
		     void *ctx)
{
	struct reg_meter row;

	/* Two statements, not "?1 IS NULL OR gateway = ?1": SQLite cannot
	 * answer that from the primary key and scans every meter. */
	if (gateway == NULL)
		return db_query(s->db, "SELECT " STORE_METER_COLS " FROM meters"
				" ORDER BY gateway, meter, point",
				store_meter_decode, &row, fn, ctx, "registry list");
	return db_select(s->db, "SELECT " STORE_METER_COLS " FROM meters WHERE gateway = ?1"
			 " ORDER BY gateway, meter, point", DB_ARGS(DB_TEXT(gateway)),
			 store_meter_decode, &row, fn, ctx, "registry list");
}

/* ---- replacements ---- */

int store_replacement_add(struct store *s, const struct reg_replacement *r)
{
	int own, ret;
	char gw[GFI_ID_MAX], meter[GFI_ID_MAX], point[GFI_ID_MAX];

	snprintf(gw, sizeof(gw), "%.*s", GFI_ID_MAX - 1, r->gateway);
	snprintf(meter, sizeof(meter), "%.*s", GFI_ID_MAX - 1, r->meter);
	snprintf(point, sizeof(point), "%.*s", GFI_ID_MAX - 1, r->point);
	if ((ret = tx_begin(s, &own)) != GFI_OK)
		return ret;
	ret = row_exists(s, "SELECT 1 FROM meters WHERE gateway = ? AND meter = ?"
			 " AND point = ?", DB_ARGS(DB_TEXT(gw), DB_TEXT(meter), DB_TEXT(point)));
	if (ret == GFI_OK) {
		ret = row_exists(s, "SELECT 1 FROM replacements WHERE gateway = ?"
				 " AND meter = ? AND point = ? AND time_s = ?",
				 DB_ARGS(DB_TEXT(gw), DB_TEXT(meter), DB_TEXT(point),
					 DB_INT(r->time_s)));
		ret = ret == GFI_OK ? GFI_E_EXISTS : ret == GFI_E_NOTFOUND ? GFI_OK : ret;
	}
	if (ret == GFI_OK)
		ret = db_run(s->db, "INSERT INTO replacements (gateway, meter, point,"
			     " time_s, old_final, new_initial) VALUES (?, ?, ?, ?, ?, ?)",
			     DB_ARGS(DB_TEXT(gw), DB_TEXT(meter), DB_TEXT(point),
				     DB_INT(r->time_s), DB_REAL(r->old_final),
				     DB_REAL(r->new_initial)),
			     "replacement add");
	return tx_end(s, own, ret);
}

static void replacement_decode(sqlite3_stmt *st, void *row)
{
	struct reg_replacement *r = row;

	DB_ROW(st, r, DB_COL_TEXT(r->gateway), DB_COL_TEXT(r->meter),
	       DB_COL_TEXT(r->point), DB_COL_INT(r->time_s), DB_COL_REAL(r->old_final),
	       DB_COL_REAL(r->new_initial));
}

int store_replacement_list(struct store *s, const char *gateway,
			   store_row_fn fn, void *ctx)
{
	struct reg_replacement row;

	/* No gateway: the whole city's, and the statement has no ?1 to bind. */
	return db_select(s->db, gateway != NULL ?
			 "SELECT gateway, meter, point, time_s, old_final,"
			 " new_initial FROM replacements WHERE gateway = ?1"
			 " ORDER BY gateway, meter, point, time_s" :
			 "SELECT gateway, meter, point, time_s, old_final,"
			 " new_initial FROM replacements"
			 " ORDER BY gateway, meter, point, time_s",
			 DB_ARGS(DB_TEXT(gateway)), replacement_decode, &row, fn, ctx,
			 "registry list");
}

/* ---- facts ---- */

int store_fact_put(struct store *s, const struct reg_fact *f)
{
	int own, ret;
	char unit[sizeof(f->unit)];

	snprintf(unit, sizeof(unit), "%.*s", (int)sizeof(f->unit) - 1, f->unit);
	if ((ret = tx_begin(s, &own)) != GFI_OK)
		return ret;
	ret = row_exists(s, "SELECT 1 FROM units WHERE code = ?", DB_ARGS(DB_TEXT(unit)));
	/* A fact is set, not created: a later entry replaces the earlier one,
	 * and who entered it and when travel with the value. */
	if (ret == GFI_OK)
		ret = db_run(s->db, "INSERT INTO facts (unit, year, month, key, value,"
			     " entered_by, entered_s) VALUES (?, ?, ?, ?, ?, ?, ?)"
			     " ON CONFLICT (unit, year, month, key) DO UPDATE SET"
			     " value = excluded.value, entered_by = excluded.entered_by,"
			     " entered_s = excluded.entered_s",
			     DB_ARGS(DB_TEXT(unit), DB_INT(f->year), DB_INT(f->month),
				     DB_FIELD(f->key), DB_REAL(f->value),
				     DB_FIELD(f->entered_by), DB_INT(f->entered_s)),
			     "fact put");
	return tx_end(s, own, ret);
}

static void fact_decode(sqlite3_stmt *st, void *row)
{
	struct reg_fact *f = row;

	DB_ROW(st, f, DB_COL_TEXT(f->unit), DB_COL_INT(f->year), DB_COL_INT(f->month),
	       DB_COL_TEXT(f->key), DB_COL_REAL(f->value), DB_COL_TEXT(f->entered_by),
	       DB_COL_INT(f->entered_s));
}

int store_fact_list(struct store *s, const char *unit, int year,
		    store_row_fn fn, void *ctx)
{
	struct reg_fact row;

	/* A unit's facts through the primary key: "?1 IS NULL OR unit = ?1"
	 * would scan the whole city's facts for every unit. */
	return db_select(s->db, unit != NULL ?
			 "SELECT unit, year, month, key, value, entered_by,"
			 " entered_s FROM facts WHERE unit = ?1"
			 " AND (?2 = 0 OR year = ?2)"
			 " ORDER BY unit, year, month, key" :
			 "SELECT unit, year, month, key, value, entered_by,"
			 " entered_s FROM facts WHERE (?2 = 0 OR year = ?2)"
			 " ORDER BY unit, year, month, key",
			 DB_ARGS(DB_TEXT(unit), DB_INT(year)), fact_decode, &row, fn, ctx,
			 "registry list");
}

/* ---- memberships listing ---- */

static void pair_decode(sqlite3_stmt *st, void *row)
{
	struct reg_pair *p = row;

	DB_COLUMNS(st, DB_COL_TEXT(p->first), DB_COL_TEXT(p->second));
}

static int pair_list(struct store *s, const char *sql, const char *first,
		     store_row_fn fn, void *ctx)
{
	struct reg_pair row;

	return db_select(s->db, sql, DB_ARGS(DB_TEXT(first)), pair_decode, &row, fn,
			 ctx, "membership list");
}

int store_member_list(struct store *s, const char *park, store_row_fn fn,
		      void *ctx)
{
	return pair_list(s, "SELECT park, member FROM members WHERE ?1 IS NULL"
			 " OR park = ?1 ORDER BY park, member", park, fn, ctx);
}

int store_supplier_list(struct store *s, const char *enterprise,
			store_row_fn fn, void *ctx)
{
	return pair_list(s, "SELECT enterprise, supplier FROM suppliers WHERE ?1 IS NULL"
			 " OR enterprise = ?1 ORDER BY enterprise, supplier",
			 enterprise, fn, ctx);
}

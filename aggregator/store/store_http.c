/*
 * store_http.c — the HTTP API's part of the store (store_http.h): bearer
 * tokens and the audit log.
 *
 * Why here: all SQL of the aggregator stays in the store files. A token is
 * kept only as its SHA-256 (a stolen store file gives no usable token); a
 * token name is unique so an operator can revoke it by name. The audit log
 * only grows: nothing in gfi updates or deletes its rows.
 * Invariants: every statement binds its values; no SQL is built from input.
 */
#include "store-private.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

int store_token_add(struct store *s, const uint8_t hash[32],
		    const struct store_token *t, int64_t *id)
{
	int ret = db_run(s->db,
		"INSERT INTO api_tokens (hash, name, role, scope, created_s) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
		DB_ARGS(DB_BLOB(hash, 32), DB_TEXT(t->name), DB_TEXT(t->role),
			DB_TEXT(t->scope), DB_INT(t->created_s)),
		"token add");

	if (ret == GFI_OK && id != NULL)
		*id = sqlite3_last_insert_rowid(s->db);
	return ret;
}

static void token_row(sqlite3_stmt *st, void *row)
{
	struct store_token *t = row;

	DB_ROW(st, t, DB_COL_INT(t->id), DB_COL_TEXT(t->name), DB_COL_TEXT(t->role),
	       DB_COL_TEXT(t->scope), DB_COL_INT(t->created_s),
	       DB_COL_INT(t->revoked_s));
}

#define TOKEN_COLS "id, name, role, scope, created_s, revoked_s"

int store_token_find(struct store *s, const uint8_t hash[32],
		     struct store_token *out)
{
	return db_select_one(s->db, "SELECT " TOKEN_COLS " FROM api_tokens WHERE hash = ?1",
			     DB_ARGS(DB_BLOB(hash, 32)), token_row, out, "token find");
}

int store_token_revoke(struct store *s, const char *name, int64_t now_s)
{
	int64_t revoked_s = 0;
	int ret = db_select_one(s->db, "SELECT revoked_s FROM api_tokens WHERE name = ?1",
				DB_ARGS(DB_TEXT(name)), db_decode_int64, &revoked_s,
				"token revoke");

	if (ret == GFI_OK && revoked_s != 0)
		ret = GFI_E_STATE;
	if (ret != GFI_OK)
		return ret;
	return db_run(s->db, "UPDATE api_tokens SET revoked_s = ?2 WHERE name = ?1",
		      DB_ARGS(DB_TEXT(name), DB_INT(now_s > 0 ? now_s : 1)), "token revoke");
}

int store_token_list(struct store *s, store_row_fn fn, void *ctx)
{
	struct store_token t;

	return db_query(s->db,
			"SELECT " TOKEN_COLS " FROM api_tokens ORDER BY id",
			token_row, &t, fn, ctx, "token list");
}

int store_audit_add(struct store *s, const struct store_audit *a)
{
	return db_run(s->db,
		"INSERT INTO audit (time_s, who, action, object, status, detail) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
		DB_ARGS(DB_INT(a->time_s), DB_TEXT(a->who), DB_TEXT(a->action),
			DB_TEXT(a->object), DB_INT(a->status), DB_TEXT(a->detail)),
		"audit add");
}

#define AUDIT_COLS "id, time_s, who, action, object, status, detail"

static void audit_list_decode(sqlite3_stmt *st, void *row)
{
	struct store_audit *a = row;

	DB_ROW(st, a, DB_COL_INT(a->id), DB_COL_INT(a->time_s), DB_COL_TEXT(a->who),
	       DB_COL_TEXT(a->action), DB_COL_TEXT(a->object), DB_COL_INT(a->status),
	       DB_COL_TEXT(a->detail));
}

int store_audit_list(struct store *s, store_row_fn fn, void *ctx)
{
	struct store_audit a;

	return db_query(s->db, "SELECT " AUDIT_COLS " FROM audit ORDER BY id",
			audit_list_decode, &a, fn, ctx, "audit list");
}

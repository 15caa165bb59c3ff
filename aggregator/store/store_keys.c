/*
 * store_keys.c — a gateway's key history (store_keys.h).
 *
 * Why places, not times: a key signs from a place in the gateway's chains,
 * (epoch, seq). Epochs are ordered by their start at the city (table
 * chain_epochs; epoch "" first), and an epoch the city has not seen yet
 * lies after every known one, so a key registered for a replaced gateway
 * box covers the new box's first chain before its first batch arrives.
 *
 * Invariants: gateways.pubkey_pem is always the newest key (the registry's
 * current key, what older readers of the registry see); key rows are only
 * added, never changed but for the revocation of the key a newer one
 * replaced, in the same transaction; key 1 of a history is the key the
 * gateway was registered or last changed with before histories existed.
 */
#include "store-private.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

/* The order of epoch e of gateway ?1 among its chains (SQL). */
#define EPOCH_ORDER(e) "(CASE WHEN " e " = '' THEN 0 ELSE coalesce((SELECT " \
	"started_s FROM chain_epochs WHERE gateway = ?1 AND epoch = " e "), " \
	"9223372036854775807) END)"

#define KEY_COLS "gateway, n, pubkey_pem, from_epoch, from_seq, revoked_epoch, " \
	"revoked_seq, added_s, added_by"

static void key_decode(sqlite3_stmt *st, void *row)
{
	struct store_gateway_key *k = row;

	DB_ROW(st, k, DB_COL_TEXT(k->gateway), DB_COL_INT(k->n),
	       DB_COL_TEXT(k->pubkey_pem), DB_COL_TEXT(k->from_epoch),
	       DB_COL_INT(k->from_seq), DB_COL_TEXT(k->revoked_epoch),
	       DB_COL_INT(k->revoked_seq), DB_COL_INT(k->added_s),
	       DB_COL_TEXT(k->added_by));
}

/* The writes of store_gateway_key_add, inside its savepoint. */
static int key_add_rows(struct store *s, const char *gateway, const char *pem,
			const char *from_epoch, uint64_t from_seq, int64_t now_s,
			const char *by)
{
	int ret = db_run(s->db, "INSERT INTO gateway_keys (" KEY_COLS ") SELECT id, 1, "
			 "pubkey_pem, '', 1, '', 0, registered_s, 'registry' FROM "
			 "gateways WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM "
			 "gateway_keys WHERE gateway = ?1)", DB_ARGS(DB_TEXT(gateway)),
			 "key history start");

	if (ret == GFI_OK &&
	    db_exists(s->db, "SELECT 1 FROM gateway_keys WHERE gateway = ?1 AND "
		      "pubkey_pem = ?2 AND n = (SELECT max(n) FROM gateway_keys WHERE "
		      "gateway = ?1)", DB_ARGS(DB_TEXT(gateway), DB_TEXT(pem)),
		      "key newest") == 1)
		return GFI_E_EXISTS;
	if (ret == GFI_OK)
		ret = db_run(s->db, "UPDATE gateway_keys SET revoked_epoch = ?2, "
			     "revoked_seq = ?3 WHERE gateway = ?1 AND revoked_seq = 0",
			     DB_ARGS(DB_TEXT(gateway), DB_TEXT(from_epoch),
				     DB_INT(from_seq)), "key revoke");
	if (ret == GFI_OK)
		ret = db_run(s->db, "INSERT INTO gateway_keys (" KEY_COLS ") SELECT ?1, "
			     "max(n) + 1, ?2, ?3, ?4, '', 0, ?5, ?6 FROM gateway_keys "
			     "WHERE gateway = ?1", DB_ARGS(DB_TEXT(gateway), DB_TEXT(pem),
			     DB_TEXT(from_epoch), DB_INT(from_seq), DB_INT(now_s),
			     DB_TEXT(by)), "key add");
	if (ret == GFI_OK)
		ret = db_run(s->db, "UPDATE gateways SET pubkey_pem = ?2 WHERE id = ?1",
			     DB_ARGS(DB_TEXT(gateway), DB_TEXT(pem)), "key current");
	return ret;
}

int store_gateway_key_add(struct store *s, const char *gateway, const char *pem,
			  const char *from_epoch, uint64_t from_seq,
			  int64_t now_s, const char *by)
{
	int ret = db_exists(s->db, "SELECT 1 FROM gateways WHERE id = ?1",
			    DB_ARGS(DB_TEXT(gateway)), "key gateway");

	if (ret < 0)
		return ret;
	if (ret == 0)
		return GFI_E_NOTFOUND;
	s->registry_writes++;
	ret = db_exec(s->db, "SAVEPOINT key_add", "key add");
	if (ret != GFI_OK)
		return ret;
	ret = key_add_rows(s, gateway, pem, from_epoch, from_seq, now_s, by);
	if (ret != GFI_OK)
		db_exec(s->db, "ROLLBACK TO key_add", "key add");
	db_exec(s->db, "RELEASE key_add", "key add");
	return ret;
}

static void pem_decode(sqlite3_stmt *st, void *row)
{
	struct store_gateway_key *k = row;

	db_column_text(st, 0, k->pubkey_pem, sizeof(k->pubkey_pem));
}

int store_gateway_key_for(struct store *s, const char *gateway, const char *epoch,
			  uint64_t seq, char *pem, size_t size)
{
	struct store_gateway_key k;
	int ret = db_select_one(s->db, "SELECT pubkey_pem FROM gateway_keys WHERE "
				"gateway = ?1 AND (" EPOCH_ORDER("from_epoch") " < "
				EPOCH_ORDER("?2") " OR (" EPOCH_ORDER("from_epoch")
				" = " EPOCH_ORDER("?2") " AND from_seq <= ?3)) "
				"ORDER BY n DESC LIMIT 1",
				DB_ARGS(DB_TEXT(gateway), DB_TEXT(epoch), DB_INT(seq)),
				pem_decode, &k, "key for batch");

	if (ret == GFI_E_NOTFOUND)
		ret = db_select_one(s->db, "SELECT pubkey_pem FROM gateways WHERE id = ?1",
				    DB_ARGS(DB_TEXT(gateway)), pem_decode, &k,
				    "key for batch");
	if (ret == GFI_OK)
		snprintf(pem, size, "%s", k.pubkey_pem);
	return ret;
}

int store_gateway_key_list(struct store *s, const char *gateway, store_row_fn fn,
			   void *ctx)
{
	struct store_gateway_key k;

	return db_select(s->db, "SELECT " KEY_COLS " FROM gateway_keys WHERE gateway = ?1 "
			 "UNION ALL SELECT id, 1, pubkey_pem, '', 1, '', 0, registered_s, "
			 "'registry' FROM gateways WHERE id = ?1 AND NOT EXISTS (SELECT 1 "
			 "FROM gateway_keys WHERE gateway = ?1) ORDER BY 2",
			 DB_ARGS(DB_TEXT(gateway)), key_decode, &k, fn, ctx, "key list");
}

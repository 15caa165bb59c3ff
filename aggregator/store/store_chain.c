/*
 * store_chain.c — chain epochs of the store (store_chain.h): which epoch a
 * gateway's chain is in, its restarts, and the held batches' places.
 *
 * Why its own file: a chain restart is the one place where the chain row
 * moves other than by one seq (store_ingest.c keeps that invariant for
 * the steps inside an epoch).
 *
 * Invariants: a restart row is written in the same transaction that makes
 * its epoch current; an epoch is never made current twice (verify refuses
 * a batch of a known, ended epoch that is not held), so the restarts of a
 * gateway read in started_s order are its epochs in order.
 */
#include "store-private.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

static void epoch_decode(sqlite3_stmt *st, void *row)
{
	db_column_text(st, 0, row, GFI_BATCH_EPOCH_LEN + 1);
}

int store_chain_epoch(struct store *s, const char *gateway,
		      char epoch[GFI_BATCH_EPOCH_LEN + 1])
{
	int ret = db_select_one(s->db, "SELECT epoch FROM chain WHERE gateway = ?1",
				DB_ARGS(DB_TEXT(gateway)), epoch_decode, epoch,
				"chain epoch");

	if (ret == GFI_E_NOTFOUND) {
		epoch[0] = '\0';
		ret = GFI_OK;
	}
	return ret;
}

int store_epoch_known(struct store *s, const char *gateway, const char *epoch)
{
	return db_exists(s->db, "SELECT 1 FROM chain_epochs WHERE gateway = ?1 AND "
			 "epoch = ?2 UNION ALL SELECT 1 FROM batches WHERE "
			 "gateway = ?1 AND epoch = ?2", DB_ARGS(DB_TEXT(gateway),
			 DB_TEXT(epoch)), "epoch known");
}

int store_chain_restart(struct store *s, const char *gateway, const char *epoch,
			int64_t now_s, uint64_t *after_seq)
{
	static const uint8_t zeros[32];
	char old[GFI_BATCH_EPOCH_LEN + 1];
	uint8_t hash[32];
	int ret;

	if ((ret = store_chain_epoch(s, gateway, old)) != GFI_OK ||
	    (ret = store_chain_get(s, gateway, after_seq, hash)) != GFI_OK)
		return ret;
	ret = db_run(s->db, "INSERT INTO chain_epochs (gateway, epoch, started_s, "
		     "after_epoch, after_seq) VALUES (?1, ?2, ?3, ?4, ?5)",
		     DB_ARGS(DB_TEXT(gateway), DB_TEXT(epoch), DB_INT(now_s),
			     DB_TEXT(old), DB_INT(*after_seq)), "chain restart");
	if (ret != GFI_OK)
		return ret;
	return db_run(s->db, "INSERT INTO chain (gateway, seq, hash, epoch) "
		      "VALUES (?1, 0, ?2, ?3) ON CONFLICT (gateway) DO UPDATE SET "
		      "seq = 0, hash = excluded.hash, epoch = excluded.epoch",
		      DB_ARGS(DB_TEXT(gateway), DB_BLOB(zeros, 32), DB_TEXT(epoch)),
		      "chain restart");
}

static void hash_decode(sqlite3_stmt *st, void *row)
{
	memset(row, 0, 32);
	if (sqlite3_column_bytes(st, 0) == 32)
		memcpy(row, sqlite3_column_blob(st, 0), 32);
}

int store_batch_hash(struct store *s, const char *gateway, const char *epoch,
		     uint64_t seq, uint8_t hash[32])
{
	return db_select_one(s->db, "SELECT hash FROM batches WHERE gateway = ?1 "
			     "AND epoch = ?2 AND seq = ?3",
			     DB_ARGS(DB_TEXT(gateway), DB_TEXT(epoch), DB_INT(seq)),
			     hash_decode, hash, "batch hash");
}

static void ref_decode(sqlite3_stmt *st, void *row)
{
	struct store_batch_ref *r = row;

	DB_ROW(st, r, DB_COL_TEXT(r->epoch), DB_COL_INT(r->seq),
	       DB_COL_INT(r->received_s));
}

int store_batch_refs(struct store *s, const char *gateway, store_row_fn fn,
		     void *ctx)
{
	struct store_batch_ref r;

	return db_select(s->db, "SELECT b.epoch, b.seq, b.received_s FROM batches b "
			 "LEFT JOIN chain_epochs e ON e.gateway = b.gateway AND "
			 "e.epoch = b.epoch WHERE b.gateway = ?1 ORDER BY "
			 "coalesce(e.started_s, 0), b.epoch, b.seq",
			 DB_ARGS(DB_TEXT(gateway)), ref_decode, &r, fn, ctx,
			 "batch refs");
}

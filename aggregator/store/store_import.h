/*
 * store_import.h — history imports (store_import.c, migration 6;
 * docs/import.md): the imports table, readings an import brings, and the
 * rollups of the days they touch. Included by store.h.
 */
#ifndef GFI_AGG_STORE_IMPORT_H
#define GFI_AGG_STORE_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "reading.h"
#include "store.h"

/* SQL condition on a readings row aliased a: it is not of a pending import
 * (one still staging its rows; store_import_add). Every reader of raw
 * readings uses it, so an import appears whole or not at all. */
#define STORE_READING_PUBLISHED(a) \
	"(" a ".import_id = 0 OR " a ".import_id NOT IN " \
	"(SELECT id FROM imports WHERE pending = 1))"

/* An import's write transactions last at most about IMPORT_HOLD_MS, each
 * followed by IMPORT_YIELD_MS without the lock (a writer waiting in
 * SQLite's busy handler polls at least every 100 ms). */
#define IMPORT_HOLD_MS 100
#define IMPORT_YIELD_MS 120
#define IMPORT_STEP_ROWS 256

/* A monotonic clock, ms; and the pause between an import's transactions. */
int64_t store_import_clock_ms(void);
void store_import_yield(void);

/* One `gfi-aggregator import`: the file as named and its SHA-256 (hex),
 * its data rows, the readings it added, those already held, the bad rows
 * skipped, who ran it and when. */
struct store_import {
	int64_t id;
	char file[128];
	char sha256[65];
	int64_t rows, inserted, present, skipped;
	char by[64];
	int64_t imported_s;
};

/* Record import rec (id ignored) as pending; *id gets its id, which every
 * reading it brings carries (0 stays "signed by a gateway"). Readers skip
 * a pending import's readings until store_import_publish clears the flag
 * (in the transaction that rebuilds its rollups: store_import_finish);
 * store_import_discard deletes them instead. store_import_update rewrites
 * the counts of rec->id. GFI_E_DB. */
int store_import_add(struct store *s, const struct store_import *rec,
		     int64_t *id);
int store_import_update(struct store *s, const struct store_import *rec);
int store_import_publish(struct store *s, int64_t id);

struct store_importer;
/* Outside a transaction: delete pending import id, its readings in bounded
 * transactions (other writers go on between them) and the series im
 * created that hold nothing. GFI_E_DB / GFI_E_BUSY / GFI_E_FULL. */
int store_import_discard(struct store *s, struct store_importer *im, int64_t id);

enum { STORE_IMPORT_INSERTED, STORE_IMPORT_PRESENT, STORE_IMPORT_COLLIDES };
/* Writes the readings of import id, inside the caller's transaction (its
 * statements prepared once); free it before commit or rollback. */
struct store_importer;
int store_importer_new(struct store *s, int64_t id, struct store_importer **out);
void store_importer_free(struct store_importer *im);
/* Store reading r of gateway as brought by the import (series created with
 * r->quantity on first sight). When (series, time) is already held nothing
 * changes: *outcome is STORE_IMPORT_PRESENT for the same value and status,
 * else STORE_IMPORT_COLLIDES with the stored reading in *held and its
 * import id in *held_import (0: gateway-signed). Rollups are left to
 * store_import_finish. GFI_E_RANGE for a valued status without a finite
 * value, GFI_E_DB. */
int store_importer_add(struct store_importer *im, const char *gateway,
		       const struct gfi_reading *r, int *outcome,
		       struct gfi_reading *held, int64_t *held_import);

/* A read transaction (BEGIN DEFERRED: one snapshot, no write lock) for a
 * dry run; end it with store_rollback. GFI_E_DB. */
int store_import_snapshot(struct store *s);

/* What store_importer_add would do with r, without writing: *outcome as
 * there (a series not yet held: STORE_IMPORT_INSERTED). For --dry-run,
 * which so takes no write lock. GFI_E_RANGE, GFI_E_DB. */
int store_importer_check(struct store_importer *im, const char *gateway,
			 const struct gfi_reading *r, int *outcome,
			 struct gfi_reading *held, int64_t *held_import);

/* Outside a transaction: build the rollup and imported count of every
 * (series, day) pending import id brought readings to, exactly as ingest
 * keeps rollups, into rollup_staged, in transactions of IMPORT_HOLD_MS.
 * *days (may be NULL) gets how many. */
int store_import_stage_rollups(struct store *s, int64_t id, int64_t *days);

/* Inside the publishing transaction (after store_import_publish): the
 * staged rollups of import id made live; a day whose live rollup changed
 * since it was staged is rebuilt from raw readings instead. *days (may be
 * NULL) gets how many were rebuilt. */
int store_import_finish(struct store *s, int64_t id, int64_t *days);

/* Every import by id; rows are struct store_import. */
int store_import_list(struct store *s, store_row_fn fn, void *ctx);

/* Readings of one series on days [from_day_s, to_day_s) from its rollups,
 * and how many of them were imported; no raw reading is read. */
int store_import_share(struct store *s, const char *gateway, const char *meter,
		       const char *point, int64_t from_day_s, int64_t to_day_s,
		       int64_t *readings, int64_t *imported);

/* Whether the store holds any imported reading (*any 1 or 0): when it does
 * not, nobody needs to ask store_import_share. */
int store_import_any(struct store *s, int *any);

/* Imported readings of one series with time in [from_s, to_s] (closed). */
int store_imported_count(struct store *s, const char *gateway,
			 const char *meter, const char *point, int64_t from_s,
			 int64_t to_s, int64_t *n);

#endif

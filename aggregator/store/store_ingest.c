/*
 * store_ingest.c — the write path of the store (store_ingest.h): verified
 * batches as received, readings, daily rollups, quarantine, chain and gaps;
 * reading them back is store_readback.c's.
 *
 * Why here: all SQL of the aggregator lives in the store files, so the rest
 * sees no SQLite (a PostgreSQL backend replaces these functions).
 *
 * Invariants:
 *  - the chain row of a gateway only moves from seq - 1 to seq, together
 *    with the batch row of seq (store_batch_add, inside the caller's
 *    transaction), so chain.seq is always a contiguous head of held batches;
 *  - a reading is stored once per (series, time) (INSERT OR IGNORE on the
 *    primary key) and folded into its rollup only when it was inserted, so
 *    a resent batch never counts twice;
 *  - a rollup row always equals what rollup_recompute would compute from the
 *    day's raw readings: a reading after the day's last one adds one
 *    trapezoid (gauges) incrementally; any other valid reading (late, out of
 *    order) makes the whole day of that series be recomputed from raw,
 *    bounded by one day of one series. Trapezoids span only consecutive
 *    valid readings at most ROLLUP_MAX_GAP_S apart: a longer silence is a
 *    hole, not a straight line (docs/aggregator.md, "Rollups").
 *  - rollups.flagged counts the day's readings with status backwards, jump
 *    or rollover (recounted from raw on a recompute): series.c takes a day
 *    whole from first/last only when it is 0 (docs/indicators.md).
 * Statements run per reading are prepared once into s->cache[] (enum below).
 * Per batch, store_readings_add reads and writes each (series, day) rollup
 * once, folding the batch's readings in memory in between (the row written
 * is the one the per-reading rewrite gave); series ids are remembered in a
 * table that the rollback hook empties.
 */
#include "store-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "calendar.h"
#include "error.h"
#include "log.h"
#include "quantity.h"

/* Longest silence between two valid gauge readings that is still integrated
 * as one trapezoid, seconds (15 min, the usual demand interval). */
#define ROLLUP_MAX_GAP_S 900

enum {
	ST_CHAIN_GET,
	ST_CHAIN_PUT,
	ST_BATCH_HELD,
	ST_BATCH_ADD,
	ST_SERIES_GET,
	ST_SERIES_ADD,
	ST_READING_ADD,
	ST_ROLLUP_GET,
	ST_ROLLUP_PUT,
	ST_DAY_READINGS,
	ST_QUAR_READING,
	ST_GAP_ADD,
	ST_BATCH_GET,
	ST_DATA_VERSION,
	ST_COUNT
};

/* A rollup row's columns as store_day holds them (day_decode's order). */
#define DAY_COLS "count, bad, first_s, first_v, last_s, last_v, min_v, max_v, " \
	"integral, flagged"

/* The gateway ?1's current chain epoch ('' before any). */
#define CURRENT_EPOCH "coalesce((SELECT epoch FROM chain WHERE gateway = ?1), '')"

static const char *const sql_text[ST_COUNT] = {
	[ST_CHAIN_GET] = "SELECT seq, hash FROM chain WHERE gateway = ?1",
	[ST_CHAIN_PUT] = "INSERT INTO chain (gateway, seq, hash) VALUES (?1, ?2, ?3) "
			 "ON CONFLICT (gateway) DO UPDATE SET seq = excluded.seq, "
			 "hash = excluded.hash",
	/* Batches are those of the gateway's current epoch (store_chain.h). */
	[ST_BATCH_HELD] = "SELECT 1 FROM batches WHERE gateway = ?1 AND seq = ?2 "
			  "AND epoch = " CURRENT_EPOCH,
	[ST_BATCH_ADD] = "INSERT INTO batches (gateway, epoch, seq, hash, payload, "
			 "received_s) VALUES (?1, " CURRENT_EPOCH ", ?2, ?3, ?4, ?5)",
	[ST_SERIES_GET] = "SELECT id, quantity FROM series "
			  "WHERE gateway = ?1 AND meter = ?2 AND point = ?3",
	[ST_SERIES_ADD] = "INSERT INTO series (gateway, meter, point, quantity) "
			  "VALUES (?1, ?2, ?3, ?4)",
	[ST_READING_ADD] = "INSERT OR IGNORE INTO readings (series, time_s, value, "
			   "status, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_ROLLUP_GET] = "SELECT " DAY_COLS " FROM rollups WHERE series = ?1 AND day_s = ?2",
	[ST_ROLLUP_PUT] = "INSERT OR REPLACE INTO rollups (series, day_s, " DAY_COLS ") "
			  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_DAY_READINGS] = "SELECT time_s, value, status FROM readings r WHERE series = ?1 "
			    "AND time_s >= ?2 AND time_s < ?3 AND "
			    STORE_READING_PUBLISHED("r") " ORDER BY time_s",
	[ST_QUAR_READING] = "INSERT INTO quarantined_readings (received_s, gateway, "
			    "meter, point, quantity, time_s, value, status, reason) "
			    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_GAP_ADD] = "INSERT INTO gaps (gateway, head, got, received_s) "
		       "VALUES (?1, ?2, ?3, ?4)",
	[ST_BATCH_GET] = "SELECT payload FROM batches WHERE gateway = ?1 AND seq = ?2 "
			 "AND epoch = " CURRENT_EPOCH,
	[ST_DATA_VERSION] = "PRAGMA data_version",
};

_Static_assert((int)ST_COUNT <= (int)STORE_CACHE_METER_GET, "store cache too small");

/* The cached statement idx, reset and unbound, ready to bind. */
static int cached(struct store *s, int idx, sqlite3_stmt **st)
{
	return store_cached(s, idx, sql_text[idx], st);
}

/* Bind args to the cached statement idx and step it once (a write). */
static int cached_run(struct store *s, int idx, const struct db_arg *args,
		      size_t n, const char *what)
{
	sqlite3_stmt *st;
	int ret = cached(s, idx, &st);

	if (ret != GFI_OK)
		return ret;
	db_bind_args(st, args, n);
	return db_step_done(s->db, st, what);
}

/* ---- chain and batches ---- */

int store_chain_get(struct store *s, const char *gateway, uint64_t *seq,
		    uint8_t hash[32])
{
	sqlite3_stmt *st;
	int ret = cached(s, ST_CHAIN_GET, &st), rc;

	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, gateway);
	*seq = 0;
	memset(hash, 0, 32);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = (uint64_t)sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) == 32)
			memcpy(hash, sqlite3_column_blob(st, 1), 32);
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? GFI_OK : store_fail(s, "chain read", rc);
}

int store_batch_held(struct store *s, const char *gateway, uint64_t seq)
{
	sqlite3_stmt *st;
	int ret = cached(s, ST_BATCH_HELD, &st), rc;

	if (ret != GFI_OK)
		return 0;
	db_bind_text(st, 1, gateway);
	db_bind_int64(st, 2, (sqlite3_int64)seq);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW;
}

int store_batch_add(struct store *s, const char *gateway, uint64_t seq,
		    const uint8_t hash[32], const char *payload, size_t len,
		    int64_t received_s)
{
	uint8_t head_hash[32];
	uint64_t head = 0;
	int ret;

	if (len > (size_t)INT32_MAX)
		return GFI_E_RANGE;
	if ((ret = store_chain_get(s, gateway, &head, head_hash)) != GFI_OK)
		return ret;
	if (seq != head + 1)
		return GFI_E_STATE;
	ret = cached_run(s, ST_BATCH_ADD, DB_ARGS(DB_TEXT(gateway), DB_INT(seq),
						  DB_BLOB(hash, 32), DB_BLOB(payload, len),
						  DB_INT(received_s)), "batch insert");
	if (ret != GFI_OK)
		return ret;
	return cached_run(s, ST_CHAIN_PUT, DB_ARGS(DB_TEXT(gateway), DB_INT(seq),
						   DB_BLOB(hash, 32)), "chain advance");
}

/* The payload column of bound statement st's one row into a NUL-terminated
 * copy; st is reset afterwards. */
static int payload_read(struct store *s, sqlite3_stmt *st, char **payload,
			size_t *len)
{
	int ret = GFI_OK, rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		char *p = malloc(n + 1);
		if (p == NULL) {
			ret = GFI_E_NOMEM;
		} else {
			if (n > 0)
				memcpy(p, sqlite3_column_blob(st, 0), n);
			p[n] = '\0';
			*payload = p;
			*len = n;
		}
	} else {
		ret = rc == SQLITE_DONE ? GFI_E_NOTFOUND : store_fail(s, "batch read", rc);
	}
	sqlite3_reset(st);
	return ret;
}

int store_batch_get(struct store *s, const char *gateway, uint64_t seq,
		    char **payload, size_t *len)
{
	sqlite3_stmt *st;
	int ret = cached(s, ST_BATCH_GET, &st);

	*payload = NULL;
	*len = 0;
	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, gateway);
	db_bind_int64(st, 2, (sqlite3_int64)seq);
	return payload_read(s, st, payload, len);
}

int store_batch_get_in(struct store *s, const char *gateway, const char *epoch,
		       uint64_t seq, char **payload, size_t *len)
{
	sqlite3_stmt *st = NULL;
	int ret = store_prepare(s, "SELECT payload FROM batches WHERE gateway = ?1 "
				"AND epoch = ?2 AND seq = ?3", &st);

	*payload = NULL;
	*len = 0;
	if (ret != GFI_OK)
		return ret;
	db_bind_args(st, DB_ARGS(DB_TEXT(gateway), DB_TEXT(epoch), DB_INT(seq)));
	ret = payload_read(s, st, payload, len);
	sqlite3_finalize(st);
	return ret;
}

int store_registry_version(struct store *s, uint64_t v[2])
{
	sqlite3_stmt *st;
	int ret = cached(s, ST_DATA_VERSION, &st), rc;

	if (ret != GFI_OK)
		return ret;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v[0] = (uint64_t)sqlite3_column_int64(st, 0);
		v[1] = s->registry_writes;
		rc = SQLITE_DONE;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? GFI_OK : store_fail(s, "data version", rc);
}

/* ---- series ---- */

/* Series ids are remembered across transactions in a direct-mapped table:
 * a (gateway, meter, point) -> (id, kind) pair never changes once committed
 * (series rows are never updated or deleted), so an entry stays true until
 * a rollback may undo the insert that made it; the rollback hook then
 * empties the table. A slot whose key does not fit is never filled. */
#define SERIES_CACHE_SLOTS 8192 /* power of two; about 0.9 MiB */

struct series_slot {
	char gateway[GFI_ID_MAX], meter[GFI_ID_MAX], point[GFI_ID_MAX];
	int64_t id;              /* 0: empty */
	enum gfi_qkind kind;
};

static void series_forget(void *ctx)
{
	struct store *s = ctx;

	memset(s->series_cache, 0, SERIES_CACHE_SLOTS * sizeof(*s->series_cache));
}

static uint32_t fnv1a(uint32_t h, const char *t)
{
	for (; *t != '\0'; t++)
		h = (h ^ (uint8_t)*t) * 16777619u;
	return (h ^ 0xff) * 16777619u;
}

/* The slot (gateway, r's meter, point) maps to, or NULL when the key is too
 * long to keep or the table cannot be had (then every lookup asks SQL). */
static struct series_slot *series_slot(struct store *s, const char *gateway,
				       const struct gfi_reading *r)
{
	uint32_t h;

	if (strlen(gateway) >= GFI_ID_MAX || strlen(r->meter) >= GFI_ID_MAX ||
	    strlen(r->point) >= GFI_ID_MAX)
		return NULL;
	if (s->series_cache == NULL) {
		s->series_cache = calloc(SERIES_CACHE_SLOTS, sizeof(*s->series_cache));
		if (s->series_cache == NULL)
			return NULL;
		sqlite3_rollback_hook(s->db, series_forget, s);
	}
	h = fnv1a(fnv1a(fnv1a(2166136261u, gateway), r->meter), r->point);
	return &s->series_cache[h & (SERIES_CACHE_SLOTS - 1)];
}

static int slot_holds(const struct series_slot *e, const char *gateway,
		      const struct gfi_reading *r)
{
	return e->id != 0 && strcmp(e->point, r->point) == 0 &&
	       strcmp(e->meter, r->meter) == 0 && strcmp(e->gateway, gateway) == 0;
}

static int series_lookup(struct store *s, const char *gateway,
			 const struct gfi_reading *r, int64_t *id,
			 enum gfi_qkind *kind);

/* The series id of (gateway, meter, point), created with quantity on first
 * sight; *kind is the quantity kind recorded for the series. */
static int series_id(struct store *s, const char *gateway,
		     const struct gfi_reading *r, int64_t *id, enum gfi_qkind *kind)
{
	struct series_slot *e = series_slot(s, gateway, r);
	int ret;

	if (e != NULL && slot_holds(e, gateway, r)) {
		*id = e->id;
		*kind = e->kind;
		return GFI_OK;
	}
	if ((ret = series_lookup(s, gateway, r, id, kind)) != GFI_OK || e == NULL)
		return ret;
	snprintf(e->gateway, sizeof(e->gateway), "%s", gateway);
	snprintf(e->meter, sizeof(e->meter), "%s", r->meter);
	snprintf(e->point, sizeof(e->point), "%s", r->point);
	e->id = *id;
	e->kind = *kind;
	return GFI_OK;
}

/* series_id without the table: SQL, and the insert on first sight. */
static int series_lookup(struct store *s, const char *gateway,
			 const struct gfi_reading *r, int64_t *id,
			 enum gfi_qkind *kind)
{
	char quantity[GFI_QNAME_MAX] = "";
	const struct gfi_quantity *q;
	sqlite3_stmt *st;
	int ret = cached(s, ST_SERIES_GET, &st), rc;

	if (ret != GFI_OK)
		return ret;
	db_bind_text(st, 1, gateway);
	db_bind_text(st, 2, r->meter);
	db_bind_text(st, 3, r->point);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		db_column_text(st, 1, quantity, sizeof(quantity));
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE) {
		ret = cached_run(s, ST_SERIES_ADD, DB_ARGS(DB_TEXT(gateway), DB_TEXT(r->meter),
							   DB_TEXT(r->point), DB_TEXT(r->quantity)),
				 "series insert");
		if (ret != GFI_OK)
			return ret;
		*id = sqlite3_last_insert_rowid(s->db);
		snprintf(quantity, sizeof(quantity), "%s", r->quantity);
	} else if (rc != SQLITE_ROW) {
		return store_fail(s, "series read", rc);
	}
	q = gfi_quantity_find(quantity);
	if (q == NULL)
		return GFI_E_INVAL;
	*kind = q->kind;
	return GFI_OK;
}

/* ---- rollups ---- */


static void day_decode(sqlite3_stmt *st, void *row)
{
	struct store_day *d = row;

	DB_ROW(st, d, DB_COL_INT(d->count), DB_COL_INT(d->bad), DB_COL_INT(d->first_s),
	       DB_COL_NREAL(d->first_v), DB_COL_INT(d->last_s), DB_COL_NREAL(d->last_v),
	       DB_COL_NREAL(d->min_v), DB_COL_NREAL(d->max_v), DB_COL_REAL(d->integral),
	       DB_COL_INT(d->flagged));
}

static int day_get(struct store *s, int64_t series, int64_t day_s,
		   struct store_day *d, int *found)
{
	sqlite3_stmt *st;
	int ret = cached(s, ST_ROLLUP_GET, &st);

	if (ret != GFI_OK)
		return ret;
	memset(d, 0, sizeof(*d));
	db_bind_args(st, DB_ARGS(DB_INT(series), DB_INT(day_s)));
	ret = db_get(s->db, st, day_decode, d, "rollup read");
	*found = ret == GFI_OK;
	return ret == GFI_E_NOTFOUND ? GFI_OK : ret;
}

static int day_put(struct store *s, int64_t series, int64_t day_s,
		   const struct store_day *d)
{
	sqlite3_stmt *st;
	int ret = cached(s, ST_ROLLUP_PUT, &st);

	if (ret != GFI_OK)
		return ret;
	store_day_bind(st, series, day_s, d);
	return db_step_done(s->db, st, "rollup write");
}

void store_day_bind(sqlite3_stmt *st, int64_t series, int64_t day_s,
		    const struct store_day *d)
{
	db_bind_int64(st, 1, series);
	db_bind_int64(st, 2, day_s);
	db_bind_int64(st, 3, d->count);
	db_bind_int64(st, 4, d->bad);
	if (d->count > 0) {
		db_bind_int64(st, 5, d->first_s);
		db_bind_double(st, 6, d->first_v);
		db_bind_int64(st, 7, d->last_s);
		db_bind_double(st, 8, d->last_v);
		db_bind_double(st, 9, d->min_v);
		db_bind_double(st, 10, d->max_v);
	} /* else: unbound parameters are NULL */
	db_bind_double(st, 11, d->integral);
	db_bind_int64(st, 12, d->flagged);
}

/* Fold the valid reading (t, v), later than every valid reading of d, into d. */
void store_day_append(struct store_day *d, enum gfi_qkind kind, int64_t t, double v)
{
	if (d->count == 0) {
		d->first_s = d->last_s = t;
		d->first_v = d->last_v = d->min_v = d->max_v = v;
		d->count = 1;
		return;
	}
	if (kind == GFI_GAUGE && t - d->last_s <= ROLLUP_MAX_GAP_S)
		d->integral += (d->last_v + v) / 2.0 * (double)(t - d->last_s);
	d->last_s = t;
	d->last_v = v;
	if (v < d->min_v)
		d->min_v = v;
	if (v > d->max_v)
		d->max_v = v;
	d->count++;
}

/* Whether a reading's status marks a counter anomaly: such a day's first and
 * last values do not give its consumption, so series.c reads it raw. */
int store_status_flagged(int status)
{
	return status == GFI_ST_BACKWARDS || status == GFI_ST_JUMP ||
	       status == GFI_ST_ROLLOVER;
}

/* Recompute the rollup of one series' day from its raw readings. */
static int day_recompute(struct store *s, int64_t series, int64_t day_s,
			 enum gfi_qkind kind, struct store_day *d)
{
	sqlite3_stmt *st;
	int ret = cached(s, ST_DAY_READINGS, &st), rc;

	if (ret != GFI_OK)
		return ret;
	memset(d, 0, sizeof(*d));
	db_bind_int64(st, 1, series);
	db_bind_int64(st, 2, day_s);
	db_bind_int64(st, 3, day_s + 86400);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		d->flagged += store_status_flagged(sqlite3_column_int(st, 2));
		if (sqlite3_column_type(st, 1) == SQLITE_NULL)
			d->bad++;
		else
			store_day_append(d, kind, sqlite3_column_int64(st, 0),
				   sqlite3_column_double(st, 1));
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? GFI_OK : store_fail(s, "rollup recompute", rc);
}

/* One (series, day) touched by a store_readings_add call: its rollup row,
 * read once, folded in memory, written once at the end of the call. */
struct fold {
	int64_t series, day_s;
	enum gfi_qkind kind;
	int stale;              /* a valid reading landed at or before the day's
				   last: recompute from raw once, at the end */
	struct store_day d;
};

/* The folds of one call: n of cap used, found through nslot hash slots
 * (a power of two, at least twice cap) holding index + 1 (0: empty). */
struct folds {
	struct fold *v;
	size_t n, cap, nslot;
	uint32_t *slot;
};

static int folds_init(struct folds *f, size_t cap)
{
	memset(f, 0, sizeof(*f));
	f->nslot = 16;
	while (f->nslot < 2 * cap)
		f->nslot *= 2;
	f->v = malloc((cap > 0 ? cap : 1) * sizeof(*f->v));
	f->slot = calloc(f->nslot, sizeof(*f->slot));
	f->cap = cap;
	if (f->v == NULL || f->slot == NULL) {
		free(f->v);
		free(f->slot);
		return GFI_E_NOMEM;
	}
	return GFI_OK;
}

static void folds_free(struct folds *f)
{
	free(f->v);
	free(f->slot);
}

/* The fold of (series, day_s), its row read from the store on first touch. */
static int fold_get(struct store *s, struct folds *f, int64_t series,
		    enum gfi_qkind kind, int64_t day_s, struct fold **out)
{
	uint64_t h = ((uint64_t)series * 0x9E3779B97F4A7C15u) ^ (uint64_t)day_s;
	size_t i = (size_t)(h ^ (h >> 29)) & (f->nslot - 1);
	struct fold *e;
	int found, ret;

	for (; f->slot[i] != 0; i = (i + 1) & (f->nslot - 1)) {
		e = &f->v[f->slot[i] - 1];
		if (e->series == series && e->day_s == day_s) {
			*out = e;
			return GFI_OK;
		}
	}
	if (f->n == f->cap)
		return GFI_E_STATE; /* more days than readings: a bug */
	e = &f->v[f->n];
	if ((ret = day_get(s, series, day_s, &e->d, &found)) != GFI_OK)
		return ret;
	e->series = series;
	e->day_s = day_s;
	e->kind = kind;
	e->stale = 0;
	f->slot[i] = (uint32_t)++f->n;
	*out = e;
	return GFI_OK;
}

/* Fold the just-inserted reading r into fold e. Exactly what rewriting the
 * row per reading did: a valid reading after the day's last adds one
 * trapezoid; any other valid one makes the day be recomputed from raw,
 * which recounts everything, so once stale, later readings of the day need
 * nothing until the end (the row always equals the recompute of its raw
 * readings, so recomputing once after the last insert gives the row that
 * recomputing after each of them, then appending, gave). */
static void fold_reading(struct fold *e, const struct gfi_reading *r, int has_value)
{
	e->d.flagged += store_status_flagged(r->status);
	if (!has_value)
		e->d.bad++;
	else if (e->stale)
		return;
	else if (e->d.count == 0 || r->time_s > e->d.last_s)
		store_day_append(&e->d, e->kind, r->time_s, r->value);
	else
		e->stale = 1;
}

/* Write every fold of f: recomputed from raw when stale. */
static int folds_write(struct store *s, struct folds *f)
{
	int ret;

	for (size_t i = 0; i < f->n; i++) {
		struct fold *e = &f->v[i];
		if (e->stale &&
		    (ret = day_recompute(s, e->series, e->day_s, e->kind, &e->d)) != GFI_OK)
			return ret;
		if ((ret = day_put(s, e->series, e->day_s, &e->d)) != GFI_OK)
			return ret;
	}
	return GFI_OK;
}

/* ---- readings ---- */

/* Insert reading r of gateway; *series, *kind and *inserted describe it. */
static int reading_insert(struct store *s, const char *gateway,
			  const struct gfi_reading *r, int has_value,
			  int64_t *series, enum gfi_qkind *kind, int *inserted)
{
	int ret;

	*inserted = 0;
	if ((ret = series_id(s, gateway, r, series, kind)) != GFI_OK)
		return ret;
	ret = cached_run(s, ST_READING_ADD,
			 DB_ARGS(DB_INT(*series), DB_INT(r->time_s),
				 DB_REAL(has_value ? r->value : NAN), DB_INT(r->status),
				 DB_INT(r->detail)), "reading insert");
	if (ret != GFI_OK)
		return ret;
	*inserted = sqlite3_changes(s->db) > 0;
	return GFI_OK;
}

int store_readings_add(struct store *s, const char *gateway,
		       const struct gfi_reading *const *rs, size_t n,
		       unsigned char *inserted, size_t *stored)
{
	struct folds f;
	int ret;

	*stored = 0;
	for (size_t i = 0; i < n; i++) {
		if (gfi_status_has_value(rs[i]->status) && !isfinite(rs[i]->value))
			return GFI_E_RANGE;
	}
	if ((ret = folds_init(&f, n)) != GFI_OK)
		return ret;
	for (size_t i = 0; i < n && ret == GFI_OK; i++) {
		const struct gfi_reading *r = rs[i];
		int has_value = gfi_status_has_value(r->status) && isfinite(r->value);
		enum gfi_qkind kind = GFI_COUNTER;
		int64_t series = 0;
		struct fold *e;
		int ins;

		ret = reading_insert(s, gateway, r, has_value, &series, &kind, &ins);
		if (inserted != NULL)
			inserted[i] = (unsigned char)ins;
		if (ret != GFI_OK || !ins)
			continue;
		(*stored)++;
		ret = fold_get(s, &f, series, kind, calendar_day_start(r->time_s), &e);
		if (ret == GFI_OK)
			fold_reading(e, r, has_value);
	}
	if (ret == GFI_OK)
		ret = folds_write(s, &f);
	folds_free(&f);
	return ret;
}

int store_reading_add(struct store *s, const char *gateway,
		      const struct gfi_reading *r, int *inserted)
{
	size_t stored = 0;
	int ret = store_readings_add(s, gateway, &r, 1, NULL, &stored);

	*inserted = stored == 1;
	return ret;
}

/* ---- quarantine and gaps ---- */

int store_quarantine_reading(struct store *s, const char *gateway,
			     const struct gfi_reading *r, const char *reason,
			     int64_t received_s)
{
	return cached_run(s, ST_QUAR_READING,
			  DB_ARGS(DB_INT(received_s), DB_TEXT(gateway), DB_TEXT(r->meter),
				  DB_TEXT(r->point), DB_TEXT(r->quantity), DB_INT(r->time_s),
				  DB_REAL(isfinite(r->value) ? r->value : NAN),
				  DB_INT(r->status), DB_TEXT(reason)),
			  "quarantine reading");
}

int store_gap_record(struct store *s, const char *gateway, uint64_t head,
		     uint64_t got, int64_t received_s)
{
	return cached_run(s, ST_GAP_ADD, DB_ARGS(DB_TEXT(gateway), DB_INT(head), DB_INT(got),
						 DB_INT(received_s)), "gap record");
}

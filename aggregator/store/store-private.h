/*
 * store-private.h — what the store's files share: the struct behind struct
 * store, the statement cache, and the day fold ingest and import both use.
 * Included by every file of aggregator/store/ (store.c, store_registry.c,
 * store_ingest.c, store_readback.c, store_review.c, store_import.c,
 * store_http.c, store_factors.c, store_gaps.c, store_checkpoint.c,
 * store_chain.c, store_keys.c, store_history.c, store_moves.c) and by
 * bench/city_year.c, which loads a synthetic year with its own SQL. Not
 * for other modules: they use store.h.
 * SQLite itself is reached through common/db.h.
 */
#ifndef GFI_AGG_STORE_PRIVATE_H
#define GFI_AGG_STORE_PRIVATE_H

#include <sqlite3.h>

#include "db.h"
#include "quantity.h"
#include "store.h"

#define STORE_CACHE_MAX 32

struct store {
	sqlite3 *db;           /* this thread's connection; owned */
	/* Statements run per reading, prepared once by store_ingest.c (its
	 * own index enum) and finalized by store_close. */
	sqlite3_stmt *cache[STORE_CACHE_MAX];
	/* Series ids seen by ingest, a direct-mapped table allocated on first
	 * use and emptied on rollback by store_ingest.c; freed by store_close. */
	struct series_slot *series_cache;
	/* Registry writes begun on this connection (store_registry.c), for
	 * store_registry_version. */
	uint64_t registry_writes;
};

/* s->cache slots named outside store_ingest.c (whose enum takes the low
 * slots): statements other store files run once per reading. */
enum { STORE_CACHE_METER_GET = STORE_CACHE_MAX - 1 };

/* The statement of slot idx (store.c), prepared from sql on first use and
 * kept until store_close; returned reset and unbound. Never finalize it.
 * GFI_E_DB. */
int store_cached(struct store *s, int idx, const char *sql, sqlite3_stmt **st);

/* db_fail on s's connection: log what failed, return the GFI_E_* for rc. */
static inline int store_fail(struct store *s, const char *what, int rc)
{
	return db_fail(s->db, what, rc);
}

/* db_prepare on s's connection; the caller finalizes *st. Statements run
 * per reading are kept in the cache instead (store_cached). */
static inline int store_prepare(struct store *s, const char *sql,
				sqlite3_stmt **st)
{
	return db_prepare(s->db, sql, 0, st);
}

/* A (series, day) rollup row as kept: the columns of table rollups. Ingest
 * folds readings into it batch by batch, import rebuilds it from raw; both
 * with store_day_append (store_ingest.c), so the two cannot drift apart. */
struct store_day {
	int64_t count, bad;
	int64_t flagged;        /* readings marked backwards, jump or rollover */
	int64_t first_s, last_s;
	double first_v, last_v, min_v, max_v, integral;
};

/* Fold the valid reading (t, v), later than every valid reading of d. */
void store_day_append(struct store_day *d, enum gfi_qkind kind, int64_t t,
		      double v);
/* Bind (series, day_s, d's columns in the order of table rollups) as
 * ?1..?12 of st; a day without a valid reading leaves ?5..?10 NULL. */
void store_day_bind(sqlite3_stmt *st, int64_t series, int64_t day_s,
		    const struct store_day *d);
/* Whether a status marks a counter anomaly (backwards, jump, rollover). */
int store_status_flagged(int status);

/* The columns of a registry row as selected, and their decoders
 * (store_registry.c), shared with the dated registry (store_moves.c):
 * struct reg_unit from units or unit_versions, struct reg_meter from meters. */
#define STORE_UNIT_COLS "code, name, kind, county, level, year_listed, sector, retired"
#define STORE_METER_COLS "gateway, meter, point, quantity, role, carrier, " \
	"counter_max, product, product_unit, accuracy_pct, registered_s, retired"
void store_unit_decode(sqlite3_stmt *st, void *row);
void store_meter_decode(sqlite3_stmt *st, void *row);

/* The open version of a dated unit (store_moves.c) rewritten with u's
 * attributes: store_unit_put's correction in place. GFI_E_DB. */
int store_unit_version_correct(struct store *s, const struct reg_unit *u);

#endif

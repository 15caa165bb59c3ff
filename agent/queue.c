/*
 * queue.c — the agent's durable reading queue, on SQLite in WAL mode.
 *
 * Every reading the poller takes is committed here before anything else
 * happens to it; the uplink places unbatched readings (queue_unbatched) in
 * signed batches stored here (queue_batch_add_gaps) and removes them with
 * queue_ack once the city has acknowledged them (docs/queue.md).
 * queue_peek, queue_delete_upto and queue_gaps are test seams: only tests
 * call them, to see the rows and the bound without batches.
 *
 * Invariants, each kept inside the one transaction that changes the rows:
 *  - readings.id grows with every insert and is never reused, even after the
 *    newest rows are deleted (AUTOINCREMENT keeps its high-water mark in
 *    sqlite_sequence); peek order is id order is push order.
 *  - meta('count') equals the number of rows in readings. Every insert and
 *    delete (push, bound, ack) updates it in the same transaction,
 *    so queue_count and the bound never scan the table.
 *  - after a committed push, count <= max_readings of the pushing connection;
 *    every reading dropped to get there and in no batch is accounted for by
 *    a gap row written in the same transaction: a new row per meter, or the
 *    meter's latest row extended while it is not reported yet.
 *  - value is NULL exactly when the status carries no value (or the value was
 *    NaN); NULL reads back as NaN.
 *
 * All SQL is constant text; data only ever travels through bound parameters.
 * Opening, migrations, binding and the translation of SQLite's codes to
 * GFI_E_* (with its message logged once) are common/db.c's.
 */
#include "queue.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "error.h"
#include "log.h"

/* How long a writer waits for another connection's write lock before giving
 * up with SQLITE_BUSY. Pushes are short (one batch of one poll), so several
 * seconds means something is wrong, not merely contended. */
#define BUSY_TIMEOUT_MS 10000

/*
 * Numbered migrations, applied in order at open inside one BEGIN IMMEDIATE
 * transaction together with the PRAGMA user_version bump, so a crash or a
 * second connection opening at the same moment never sees half a schema.
 * Never edit a migration that has shipped; append a new one.
 */
static const struct db_migration migrations[] = {
	/* 1: readings, gap events, and a meta table holding the exact count. */
	{ 1, "CREATE TABLE readings ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  meter TEXT NOT NULL,"
	"  point TEXT NOT NULL,"
	"  quantity TEXT NOT NULL,"
	"  time_s INTEGER NOT NULL,"
	"  value REAL,"
	"  status INTEGER NOT NULL,"
	"  detail INTEGER NOT NULL"
	");"
	"CREATE TABLE gaps ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  meter TEXT NOT NULL,"
	"  from_s INTEGER NOT NULL,"
	"  to_s INTEGER NOT NULL,"
	"  count INTEGER NOT NULL CHECK (count > 0),"
	"  recorded_s INTEGER NOT NULL"
	");"
	"CREATE TABLE meta ("
	"  key TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"INSERT INTO meta (key, value) VALUES ('count', 0);" },
	/* 2: signed batches awaiting the city's ack (the outbox), the hash
	 * chain's head, and each reading's batch. A reading with batch_seq NULL
	 * is not in any batch yet; the partial index finds those without
	 * scanning a deep backlog of batched ones. */
	{ 2, "ALTER TABLE readings ADD COLUMN batch_seq INTEGER;"
	"CREATE INDEX readings_unbatched ON readings (id) WHERE batch_seq IS NULL;"
	"CREATE INDEX readings_batch ON readings (batch_seq) WHERE batch_seq IS NOT NULL;"
	"CREATE TABLE batches ("
	"  seq INTEGER PRIMARY KEY,"
	"  hash BLOB NOT NULL,"
	"  payload BLOB NOT NULL,"
	"  nreadings INTEGER NOT NULL,"
	"  created_s INTEGER NOT NULL"
	");"
	"CREATE TABLE chain ("
	"  id INTEGER PRIMARY KEY CHECK (id = 1),"
	"  seq INTEGER NOT NULL,"
	"  hash BLOB NOT NULL,"
	"  acked_seq INTEGER NOT NULL"
	");"
	"INSERT INTO chain (id, seq, hash, acked_seq) VALUES (1, 0, zeroblob(32), 0);" },
	/* 3: the batch each gap event went out in (NULL: not yet reported), so
	 * a gap is reported once, in the same transaction as its batch. */
	{ 3, "ALTER TABLE gaps ADD COLUMN batch_seq INTEGER;"
	"CREATE INDEX gaps_unbatched ON gaps (id) WHERE batch_seq IS NULL;" },
	/* 4: the chain's epoch, made with the queue (issue 17): 16 random
	 * bytes as hex, carried in every batch, so a reinstalled agent (a new
	 * queue) starts a new chain the city tells apart from the old one. A
	 * queue that already made batches keeps the epoch '' its chain has
	 * at the city (batches without "epoch"). */
	{ 4, "ALTER TABLE chain ADD COLUMN epoch TEXT NOT NULL DEFAULT '';"
	"UPDATE chain SET epoch = lower(hex(randomblob(16))) WHERE seq = 0;" },
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

/* Cached statements, prepared once per connection after migration. */
enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_INSERT,
	ST_COUNT_GET,
	ST_COUNT_ADD,
	ST_CUT_ID,
	ST_GAP_MERGE,
	ST_GAP_INSERT,
	ST_DELETE_UPTO,
	ST_PEEK,
	ST_GAPS,
	ST_UNBATCHED_OLD,
	ST_UNBATCHED_NEW,
	ST_MARK,
	ST_BATCH_INSERT,
	ST_CHAIN_GET,
	ST_CHAIN_SET,
	ST_BATCH_NEXT,
	ST_ACK_READINGS,
	ST_ACK_BATCHES,
	ST_ACK_SET,
	ST_OLDEST,
	ST_GAPS_UNBATCHED,
	ST_GAP_MARK,
	ST_GAP_NEW,
	ST_N
};

/* The columns reading_decode and gap_decode read, in their order. */
#define READING_COLS "id, meter, point, quantity, time_s, value, status, detail"
#define GAP_COLS "id, meter, from_s, to_s, count, recorded_s"

static const char *const stmt_sql[ST_N] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_INSERT] = "INSERT INTO readings "
		      "(meter, point, quantity, time_s, value, status, detail) "
		      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_COUNT_GET] = "SELECT value FROM meta WHERE key = 'count'",
	[ST_COUNT_ADD] = "UPDATE meta SET value = value + ?1 WHERE key = 'count'",
	/* The id of the newest reading to drop: the ?1-th oldest. Walks ?1
	 * entries of the rowid b-tree, i.e. only what is being dropped. */
	[ST_CUT_ID] = "SELECT id FROM readings ORDER BY id LIMIT 1 OFFSET ?1",
	/* Only readings in no batch are lost: a batched one still travels in
	 * its stored batch, which the bound does not touch. A meter whose
	 * latest gap event is not reported yet has it extended (ST_GAP_MERGE)
	 * rather than a new row per push: a full queue drops at every poll,
	 * and a row per poll would grow without bound on a full disk. */
	[ST_GAP_MERGE] = "UPDATE gaps SET from_s = min(gaps.from_s, d.lo), "
			 "to_s = max(gaps.to_s, d.hi), count = gaps.count + d.n, "
			 "recorded_s = ?2 "
			 "FROM (SELECT meter, min(time_s) AS lo, max(time_s) AS hi, "
			 "count(*) AS n FROM readings WHERE id <= ?1 AND batch_seq IS NULL "
			 "GROUP BY meter) AS d "
			 "WHERE gaps.meter = d.meter AND gaps.id = (SELECT max(g.id) "
			 "FROM gaps g WHERE g.meter = d.meter AND g.batch_seq IS NULL)",
	[ST_GAP_INSERT] = "INSERT INTO gaps (meter, from_s, to_s, count, recorded_s) "
			  "SELECT meter, min(time_s), max(time_s), count(*), ?2 "
			  "FROM readings r WHERE id <= ?1 AND batch_seq IS NULL "
			  "AND NOT EXISTS (SELECT 1 FROM gaps g WHERE g.meter = r.meter "
			  "AND g.batch_seq IS NULL) "
			  "GROUP BY meter ORDER BY min(id)",
	[ST_DELETE_UPTO] = "DELETE FROM readings WHERE id <= ?1",
	[ST_PEEK] = "SELECT " READING_COLS " FROM readings WHERE id > ?1 ORDER BY id LIMIT ?2",
	[ST_GAPS] = "SELECT " GAP_COLS " FROM gaps WHERE id > ?1 ORDER BY id LIMIT ?2",
	[ST_UNBATCHED_OLD] = "SELECT " READING_COLS " FROM readings WHERE batch_seq IS NULL "
			     "ORDER BY id LIMIT ?1",
	[ST_UNBATCHED_NEW] = "SELECT " READING_COLS " FROM readings WHERE batch_seq IS NULL "
			     "ORDER BY id DESC LIMIT ?1",
	[ST_MARK] = "UPDATE readings SET batch_seq = ?1 "
		    "WHERE id BETWEEN ?2 AND ?3 AND batch_seq IS NULL",
	[ST_BATCH_INSERT] = "INSERT INTO batches (seq, hash, payload, nreadings, created_s) "
			    "VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_CHAIN_GET] = "SELECT seq, hash, acked_seq FROM chain WHERE id = 1",
	[ST_CHAIN_SET] = "UPDATE chain SET seq = ?1, hash = ?2 WHERE id = 1 AND seq = ?1 - 1",
	[ST_BATCH_NEXT] = "SELECT seq, payload FROM batches WHERE seq > ?1 ORDER BY seq LIMIT 1",
	[ST_ACK_READINGS] = "DELETE FROM readings WHERE batch_seq <= ?1",
	[ST_ACK_BATCHES] = "DELETE FROM batches WHERE seq <= ?1",
	[ST_ACK_SET] = "UPDATE chain SET acked_seq = ?1 WHERE id = 1 AND acked_seq < ?1",
	[ST_OLDEST] = "SELECT time_s FROM readings ORDER BY id LIMIT 1",
	[ST_GAPS_UNBATCHED] = "SELECT " GAP_COLS " FROM gaps WHERE batch_seq IS NULL "
			      "ORDER BY id LIMIT ?1",
	/* One gap event, only while it is exactly what the batch reports: a
	 * push on another connection may have extended it (coalescing) after
	 * the uplink read it. A merge always adds to count; an event's meter
	 * never changes. */
	[ST_GAP_MARK] = "UPDATE gaps SET batch_seq = ?1 WHERE id = ?2 AND batch_seq IS NULL "
			"AND from_s = ?3 AND to_s = ?4 AND count = ?5",
	[ST_GAP_NEW] = "INSERT INTO gaps (meter, from_s, to_s, count, recorded_s) "
		       "VALUES (?1, ?2, ?3, ?4, ?5)",
};

struct queue {
	sqlite3 *db;               /* this thread's connection; owned */
	sqlite3_stmt *st[ST_N];    /* cached statements, NULL until prepared */
	int64_t max_readings;      /* bound, in readings; >= 1 */
	char *path;                /* database file, for messages; owned */
};

/* Step cached statement id to completion (db_step_done: reset, unbound). */
static int run(struct queue *q, enum stmt_id id, const char *what)
{
	return db_step_done(q->db, q->st[id], what);
}

/* Bind args to cached statement id, then run it. */
static int run_with(struct queue *q, enum stmt_id id, const struct db_arg *args,
		    size_t n, const char *what)
{
	db_bind_args(q->st[id], args, n);
	return run(q, id, what);
}

static int begin(struct queue *q)
{
	return run(q, ST_BEGIN, "queue begin");
}

static int commit(struct queue *q)
{
	return run(q, ST_COMMIT, "queue commit");
}

/* Roll back after a failure; the transaction may already be gone (SQLite
 * rolls back by itself on some errors), which is not a second error. */
static void rollback(struct queue *q)
{
	if (!sqlite3_get_autocommit(q->db))
		(void)run(q, ST_ROLLBACK, "queue rollback");
}

static void int64_decode(sqlite3_stmt *st, void *row)
{
	*(int64_t *)row = sqlite3_column_int64(st, 0);
}

/* The one row a statement that must answer gives; none is corruption. */
static int get_int64(struct queue *q, enum stmt_id id, int64_t *v,
		     const char *what)
{
	int ret = db_get(q->db, q->st[id], int64_decode, v, what);
	return ret == GFI_E_NOTFOUND ? db_fail(q->db, what, SQLITE_CORRUPT) : ret;
}

static int count_get(struct queue *q, int64_t *n)
{
	/* The meta row is never deleted: only corruption removes it. */
	return get_int64(q, ST_COUNT_GET, n, "queue count");
}

static int count_add(struct queue *q, int64_t delta)
{
	db_bind_int64(q->st[ST_COUNT_ADD], 1, delta);
	return run(q, ST_COUNT_ADD, "queue count update");
}

/* The queue's file: created 0600 (the readings are the factory's), WAL,
 * synchronous=FULL and a busy timeout (db.h), at schema NMIGRATIONS. */
static const struct db_spec queue_db = {
	.name = "queue",
	.file_mode = 0600,
	.busy_timeout_ms = BUSY_TIMEOUT_MS,
	.migrations = migrations,
	.nmigrations = NMIGRATIONS,
};

void queue_close(struct queue *q)
{
	if (q == NULL)
		return;
	db_finalize_all(q->st, ST_N);
	db_close(q->db);
	free(q->path);
	free(q);
}

int queue_open(const char *path, int64_t max_readings, struct queue **out)
{
	struct queue *q = NULL;
	int ret;

	if (path == NULL || out == NULL || max_readings < 1)
		return GFI_E_INVAL;
	*out = NULL;

	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return GFI_E_NOMEM;
	q->max_readings = max_readings;
	q->path = strdup(path);
	if (q->path == NULL) {
		ret = GFI_E_NOMEM;
		goto cleanup;
	}

	/*
	 * WAL: readers (the uplink) never block the pollers' writers, and a
	 * commit is one append to the -wal file. After kill -9 the next open
	 * replays or discards the WAL by itself: we never delete it.
	 *
	 * synchronous=FULL (db_open): in WAL mode NORMAL skips the fsync of the
	 * WAL at each commit, so a power loss could roll back commits that
	 * queue_push already reported done, and a reading the poller believes
	 * collected would vanish. The cost is one fsync per poll batch, which
	 * the gateway's poll rate (seconds) easily affords.
	 */
	ret = db_open(path, &queue_db, &q->db);
	if (ret != GFI_OK)
		goto cleanup;
	ret = db_prepare_all(q->db, stmt_sql, ST_N, q->st);
	if (ret != GFI_OK)
		goto cleanup;

	*out = q;
	q = NULL;
	ret = GFI_OK;
cleanup:
	queue_close(q);
	return ret;
}

/* A text field must be NUL-terminated within its array. */
static int field_ok(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int insert_one(struct queue *q, const struct gfi_reading *r)
{
	int has_value = gfi_status_has_value(r->status);

	/* run clears the bindings, so no pointer into the caller's array
	 * outlives this call. NaN binds NULL. */
	return run_with(q, ST_INSERT,
			DB_ARGS(DB_TEXT(r->meter), DB_TEXT(r->point), DB_TEXT(r->quantity),
				DB_INT(r->time_s), DB_REAL(has_value ? r->value : NAN),
				DB_INT(r->status), DB_INT(r->detail)),
			"queue push insert");
}

/* Drop the oldest readings beyond the bound, recording gap events first.
 * Called inside the push transaction with the new exact count. */
static int enforce_bound(struct queue *q, int64_t count)
{
	int64_t excess = count - q->max_readings;
	int64_t cut = 0;
	int ret;

	if (excess <= 0)
		return GFI_OK;

	/* No row means meta('count') lied: corruption. */
	db_bind_int64(q->st[ST_CUT_ID], 1, excess - 1);
	ret = get_int64(q, ST_CUT_ID, &cut, "queue bound cut");
	if (ret != GFI_OK)
		return ret;

	for (int st = ST_GAP_MERGE; st <= ST_GAP_INSERT; st++) {
		db_bind_int64(q->st[st], 1, cut);
		db_bind_int64(q->st[st], 2, (int64_t)time(NULL));
		ret = run(q, (enum stmt_id)st, "queue gap insert");
		if (ret != GFI_OK)
			return ret;
	}

	db_bind_int64(q->st[ST_DELETE_UPTO], 1, cut);
	ret = run(q, ST_DELETE_UPTO, "queue bound delete");
	if (ret != GFI_OK)
		return ret;
	if (sqlite3_changes64(q->db) != excess)
		return db_fail(q->db, "queue bound delete", SQLITE_CORRUPT);
	ret = count_add(q, -excess);
	if (ret != GFI_OK)
		return ret;
	log_warn("queue full: path=%s dropped=%lld oldest readings, gap events "
		 "recorded", q->path, (long long)excess);
	return GFI_OK;
}

/* One attempt: insert r[0..n), enforce the bound, commit; or nothing. */
static int push_once(struct queue *q, const struct gfi_reading *r, size_t n,
		     int64_t bound)
{
	int64_t count = 0;
	int64_t saved = q->max_readings;
	int ret;

	ret = begin(q);
	if (ret != GFI_OK)
		return ret;
	for (size_t i = 0; i < n; i++) {
		ret = insert_one(q, &r[i]);
		if (ret != GFI_OK)
			goto fail;
	}
	ret = count_add(q, (int64_t)n);
	if (ret != GFI_OK)
		goto fail;
	ret = count_get(q, &count);
	if (ret != GFI_OK)
		goto fail;
	q->max_readings = bound;
	ret = enforce_bound(q, count);
	q->max_readings = saved;
	if (ret != GFI_OK)
		goto fail;
	ret = commit(q);
	if (ret != GFI_OK)
		goto fail;
	return GFI_OK;
fail:
	rollback(q);
	return ret;
}

/* Copy the WAL into the database and truncate it: after SQLITE_FULL the
 * WAL cannot grow, and only a checkpoint (into pages the database already
 * has, or freed ones) gives it room again. Failure here is not an error of
 * its own: the retry that follows reports what still fails. */
static void checkpoint(struct queue *q)
{
	(void)sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
					NULL, NULL);
}

/* Record readings r[0..n), which could not be stored, as gap events (one
 * per meter run): they were read, and the city must learn they are lost. */
static int gap_for_unstored(struct queue *q, const struct gfi_reading *r, size_t n)
{
	int ret = begin(q);

	for (size_t i = 0; ret == GFI_OK && i < n;) {
		size_t k = i;
		int64_t lo = r[i].time_s, hi = r[i].time_s;
		while (k < n && strcmp(r[k].meter, r[i].meter) == 0) {
			lo = r[k].time_s < lo ? r[k].time_s : lo;
			hi = r[k].time_s > hi ? r[k].time_s : hi;
			k++;
		}
		ret = run_with(q, ST_GAP_NEW, DB_ARGS(DB_TEXT(r[i].meter), DB_INT(lo), DB_INT(hi),
						      DB_INT(k - i), DB_INT(time(NULL))),
			       "queue gap insert");
		i = k;
	}
	if (ret == GFI_OK)
		ret = commit(q);
	if (ret != GFI_OK)
		rollback(q);
	return ret;
}

int queue_push(struct queue *q, const struct gfi_reading *r, size_t n)
{
	int64_t count = 0;
	int ret;

	if (q == NULL || (r == NULL && n > 0))
		return GFI_E_INVAL;
	if (n == 0)
		return GFI_OK;
	for (size_t i = 0; i < n; i++) {
		if (!field_ok(r[i].meter, sizeof(r[i].meter)) ||
		    !field_ok(r[i].point, sizeof(r[i].point)) ||
		    !field_ok(r[i].quantity, sizeof(r[i].quantity)))
			return GFI_E_INVAL;
	}
	ret = push_once(q, r, n, q->max_readings);
	if (ret != GFI_E_FULL)
		return ret;
	/* The disk is full before the bound is: make room by dropping the
	 * oldest eighth of the queue (recorded as gaps, like the bound does)
	 * in the same transaction as the push, so the freed pages take the
	 * new readings without growing the file. */
	checkpoint(q);
	if (count_get(q, &count) == GFI_OK && count > 0) {
		int64_t keep = count - (count / 8 > (int64_t)n ? count / 8 : (int64_t)n);
		ret = push_once(q, r, n, keep + (int64_t)n > 0 ? keep + (int64_t)n : 1);
		checkpoint(q);
		if (ret == GFI_OK) {
			log_warn("queue disk full: path=%s: dropped the oldest readings "
				 "to store the new ones (gap events recorded)", q->path);
			return GFI_OK;
		}
	}
	/* Still no room: the new readings are lost, but not silently. */
	ret = gap_for_unstored(q, r, n);
	checkpoint(q);
	log_err("queue disk full: path=%s: %zu new readings not stored%s", q->path,
		n, ret == GFI_OK ? ", gap events recorded" : " and no gap event either");
	return GFI_E_FULL;
}

int queue_count(struct queue *q, int64_t *n)
{
	if (q == NULL || n == NULL)
		return GFI_E_INVAL;
	return count_get(q, n);
}

/* ---- reading rows back into the caller's arrays ---- */

/* A reading row: its queue id and the reading (columns in peek order). */
struct reading_row {
	int64_t id;
	struct gfi_reading r;
};

static void reading_decode(sqlite3_stmt *s, void *row)
{
	struct reading_row *e = row;
	struct gfi_reading *r = &e->r;

	/* NREAL: a NULL value reads back as NaN. */
	DB_ROW(s, e, DB_COL_INT(e->id), DB_COL_TEXT(r->meter), DB_COL_TEXT(r->point),
	       DB_COL_TEXT(r->quantity), DB_COL_INT(r->time_s), DB_COL_NREAL(r->value),
	       DB_COL_INT(r->status), DB_COL_INT(r->detail));
}

static void gap_decode(sqlite3_stmt *s, void *row)
{
	struct queue_gap *g = row;

	DB_ROW(s, g, DB_COL_INT(g->id), DB_COL_TEXT(g->meter), DB_COL_INT(g->from_s),
	       DB_COL_INT(g->to_s), DB_COL_INT(g->count), DB_COL_INT(g->recorded_s));
}

/* The caller's arrays, filled up to max rows. */
struct sink {
	struct gfi_reading *readings;   /* reading rows (ids in ids) ... */
	int64_t *ids;
	struct queue_gap *gaps;         /* ... or gap rows */
	size_t max, got;
};

static int sink_reading(void *ctx, const void *row)
{
	struct sink *k = ctx;
	const struct reading_row *e = row;

	k->ids[k->got] = e->id;
	k->readings[k->got++] = e->r;
	return k->got == k->max;
}

static int sink_gap(void *ctx, const void *row)
{
	struct sink *k = ctx;

	k->gaps[k->got++] = *(const struct queue_gap *)row;
	return k->got == k->max;
}

/* A LIMIT parameter for max rows. */
static int64_t row_limit(size_t max)
{
	return (int64_t)(max > INT32_MAX ? INT32_MAX : max);
}

/* Bind p1 (and p2 when nbind is 2) to cached statement id and hand its
 * rows to the sink k: readings when k->readings is set, else gap events.
 * The shared path of peek, unbatched, gaps and gaps_unbatched. */
static int select_rows(struct queue *q, enum stmt_id id, int nbind, int64_t p1,
		       int64_t p2, struct sink *k, size_t *n, const char *what)
{
	struct reading_row reading;
	struct queue_gap gap;
	int ret;

	*n = 0;
	if (k->max == 0)
		return GFI_OK;
	db_bind_int64(q->st[id], 1, p1);
	if (nbind > 1)
		db_bind_int64(q->st[id], 2, p2);
	if (k->readings != NULL)
		ret = db_list(q->db, q->st[id], reading_decode, &reading,
			      sink_reading, k, what);
	else
		ret = db_list(q->db, q->st[id], gap_decode, &gap, sink_gap, k, what);
	if (ret == GFI_OK)
		*n = k->got;
	return ret;
}

/* select_rows into readings out[] and their ids[], after checking them. */
static int select_readings(struct queue *q, enum stmt_id id, int nbind,
			   int64_t p1, int64_t p2, struct gfi_reading *out,
			   int64_t *ids, size_t max, size_t *n, const char *what)
{
	struct sink k = { out, ids, NULL, max, 0 };

	if (q == NULL || n == NULL || (max > 0 && (out == NULL || ids == NULL)))
		return GFI_E_INVAL;
	return select_rows(q, id, nbind, p1, p2, &k, n, what);
}

/* select_rows into gap events out[], after checking them. */
static int select_gaps(struct queue *q, enum stmt_id id, int nbind, int64_t p1,
		       int64_t p2, struct queue_gap *out, size_t max, size_t *n,
		       const char *what)
{
	struct sink k = { NULL, NULL, out, max, 0 };

	if (q == NULL || n == NULL || (max > 0 && out == NULL))
		return GFI_E_INVAL;
	return select_rows(q, id, nbind, p1, p2, &k, n, what);
}

int queue_peek(struct queue *q, int64_t after_id, struct gfi_reading *out,
	       int64_t *ids, size_t max, size_t *n)
{
	return select_readings(q, ST_PEEK, 2, after_id, row_limit(max), out, ids,
			       max, n, "queue peek");
}

/* Inside a transaction: run the readings delete `id` with arg bound, and
 * keep meta('count') exact. *deleted gets the rows removed. */
static int delete_counted(struct queue *q, enum stmt_id id, int64_t arg,
			  const char *what, int64_t *deleted)
{
	int ret;

	*deleted = 0;
	db_bind_int64(q->st[id], 1, arg);
	ret = run(q, id, what);
	if (ret != GFI_OK)
		return ret;
	*deleted = sqlite3_changes64(q->db);
	return *deleted > 0 ? count_add(q, -*deleted) : GFI_OK;
}

int queue_delete_upto(struct queue *q, int64_t id)
{
	int64_t deleted;
	int ret;

	if (q == NULL)
		return GFI_E_INVAL;
	ret = begin(q);
	if (ret != GFI_OK)
		return ret;
	ret = delete_counted(q, ST_DELETE_UPTO, id, "queue delete", &deleted);
	if (ret == GFI_OK)
		ret = commit(q);
	if (ret != GFI_OK)
		rollback(q);
	return ret;
}

int queue_gaps(struct queue *q, int64_t after_id, struct queue_gap *out,
	       size_t max, size_t *n)
{
	return select_gaps(q, ST_GAPS, 2, after_id, row_limit(max), out, max, n,
			   "queue gaps");
}

/* ---- the outbox: signed batches awaiting the city's ack ---- */

int queue_unbatched(struct queue *q, int newest_first, struct gfi_reading *out,
		    int64_t *ids, size_t max, size_t *n)
{
	return select_readings(q, newest_first ? ST_UNBATCHED_NEW : ST_UNBATCHED_OLD,
			       1, row_limit(max), 0, out, ids, max, n,
			       "queue unbatched");
}

/* The chain row: seq, hash (32 bytes, else corruption), acked seq. */
struct chain_row {
	int64_t seq, acked_seq;
	uint8_t hash[32];
	int hash_ok;
};

static void chain_decode(sqlite3_stmt *s, void *row)
{
	struct chain_row *c = row;

	c->seq = sqlite3_column_int64(s, 0);
	c->hash_ok = sqlite3_column_bytes(s, 1) == 32;
	if (c->hash_ok)
		memcpy(c->hash, sqlite3_column_blob(s, 1), 32);
	c->acked_seq = sqlite3_column_int64(s, 2);
}

static void epoch_decode(sqlite3_stmt *st, void *row)
{
	db_column_text(st, 0, row, GFI_BATCH_EPOCH_LEN + 1);
}

int queue_epoch(struct queue *q, char epoch[GFI_BATCH_EPOCH_LEN + 1])
{
	if (q == NULL)
		return GFI_E_INVAL;
	return db_select_one(q->db, "SELECT epoch FROM chain WHERE id = 1", NULL, 0,
			     epoch_decode, epoch, "queue epoch");
}

int queue_chain_head(struct queue *q, uint64_t *seq, uint8_t hash[32],
		     uint64_t *acked_seq)
{
	struct chain_row c;
	int ret;

	if (q == NULL)
		return GFI_E_INVAL;
	ret = db_get(q->db, q->st[ST_CHAIN_GET], chain_decode, &c, "queue chain head");
	if (ret == GFI_E_NOTFOUND || (ret == GFI_OK && !c.hash_ok))
		return db_fail(q->db, "queue chain head", SQLITE_CORRUPT);
	if (ret != GFI_OK)
		return ret;
	if (seq)
		*seq = (uint64_t)c.seq;
	if (hash)
		memcpy(hash, c.hash, 32);
	if (acked_seq)
		*acked_seq = (uint64_t)c.acked_seq;
	return GFI_OK;
}

/* Mark ids[0..n) as in batch seq with one range update: they are a run of
 * consecutive unbatched readings (queue.h), so no other unbatched reading
 * lies between the smallest and the largest. */
static int mark_batched(struct queue *q, uint64_t seq, const int64_t *ids,
			size_t n)
{
	sqlite3_stmt *s = q->st[ST_MARK];
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	int ret;

	if (n == 0)
		return GFI_OK;
	for (size_t i = 0; i < n; i++) {
		if (ids[i] < lo)
			lo = ids[i];
		if (ids[i] > hi)
			hi = ids[i];
	}
	db_bind_int64(s, 1, (int64_t)seq);
	db_bind_int64(s, 2, lo);
	db_bind_int64(s, 3, hi);
	ret = run(q, ST_MARK, "queue batch mark");
	/* Fewer rows than n means the bound (or a full disk) dropped some
	 * since they were read, and counted them in a gap event: the batch
	 * would deliver readings the city is told are lost. Refuse it; the
	 * caller builds the batch again from what is left. More rows would
	 * break the precondition. */
	if (ret == GFI_OK && sqlite3_changes64(q->db) < (int64_t)n) {
		log_info("batch refused: seq=%llu: %lld of its readings were dropped "
			 "meanwhile", (unsigned long long)seq,
			 (long long)((int64_t)n - sqlite3_changes64(q->db)));
		return GFI_E_STATE;
	}
	if (ret == GFI_OK && sqlite3_changes64(q->db) > (int64_t)n)
		return db_fail(q->db, "queue batch mark", SQLITE_CONSTRAINT);
	return ret;
}

int queue_gaps_unbatched(struct queue *q, struct queue_gap *out, size_t max,
			 size_t *n)
{
	return select_gaps(q, ST_GAPS_UNBATCHED, 1, row_limit(max), 0, out, max, n,
			   "queue gaps unbatched");
}

/* Inside the batch transaction: the gap events gaps[0..ngaps), exactly as
 * the batch carries them, go out in seq. GFI_E_STATE when one is no longer
 * that (a push merged a later drop into it after it was read, or it was
 * already reported): marking it would tell the city fewer readings were
 * lost than were, and the readings merged in would be lost silently. */
static int mark_gaps(struct queue *q, uint64_t seq, const struct queue_gap *gaps,
		     size_t ngaps)
{
	for (size_t i = 0; i < ngaps; i++) {
		const struct queue_gap *g = &gaps[i];
		int ret;

		ret = run_with(q, ST_GAP_MARK, DB_ARGS(DB_INT(seq), DB_INT(g->id),
						       DB_INT(g->from_s), DB_INT(g->to_s),
						       DB_INT(g->count)), "queue gap mark");
		if (ret != GFI_OK)
			return ret;
		if (sqlite3_changes64(q->db) != 1) {
			log_info("batch refused: seq=%llu: gap event %lld changed "
				 "since it was read", (unsigned long long)seq,
				 (long long)g->id);
			return GFI_E_STATE;
		}
	}
	return GFI_OK;
}

/* Inside the batch transaction: advance the chain row from seq - 1 to seq
 * (GFI_E_STATE when it is not at seq - 1) and store the batch. */
static int batch_store(struct queue *q, uint64_t seq, const uint8_t hash[32],
		       const char *payload, size_t len, size_t n,
		       int64_t created_s)
{
	/* The chain row moves only from seq-1 to seq: a second writer, or a
	 * caller that lost track, changes nothing. */
	int ret = run_with(q, ST_CHAIN_SET, DB_ARGS(DB_INT(seq), DB_BLOB(hash, 32)),
			   "queue chain advance");

	if (ret != GFI_OK)
		return ret;
	if (sqlite3_changes64(q->db) != 1)
		return GFI_E_STATE;
	return run_with(q, ST_BATCH_INSERT,
			DB_ARGS(DB_INT(seq), DB_BLOB(hash, 32), DB_BLOB(payload, len),
				DB_INT(n), DB_INT(created_s)), "queue batch insert");
}

int queue_batch_add_gaps(struct queue *q, uint64_t seq, const uint8_t hash[32],
			 const char *payload, size_t len, const int64_t *ids,
			 size_t n, const struct queue_gap *gaps, size_t ngaps,
			 int64_t created_s)
{
	int ret;

	if (q == NULL || hash == NULL || payload == NULL || len > INT32_MAX ||
	    (n > 0 && ids == NULL) || (ngaps > 0 && gaps == NULL) || seq == 0 ||
	    seq > INT64_MAX)
		return GFI_E_INVAL;
	/* A stored batch must survive a power loss before it is sent (seq and
	 * chain): FULL whatever queue_ack left behind. */
	ret = db_exec(q->db, "PRAGMA synchronous = FULL", "queue synchronous");
	if (ret == GFI_OK)
		ret = begin(q);
	if (ret != GFI_OK)
		return ret;
	ret = batch_store(q, seq, hash, payload, len, n, created_s);
	if (ret == GFI_OK)
		ret = mark_batched(q, seq, ids, n);
	if (ret == GFI_OK)
		ret = mark_gaps(q, seq, gaps, ngaps);
	if (ret == GFI_OK)
		ret = commit(q);
	if (ret != GFI_OK)
		rollback(q);
	return ret;
}

/* A batch row: seq, and its payload as a NUL-terminated copy (NULL when
 * out of memory). */
struct batch_row {
	int64_t seq;
	char *payload;
	size_t len;
};

static void batch_decode(sqlite3_stmt *s, void *row)
{
	struct batch_row *b = row;
	int n = sqlite3_column_bytes(s, 1);
	const void *blob = sqlite3_column_blob(s, 1);

	b->seq = sqlite3_column_int64(s, 0);
	b->len = (size_t)n;
	b->payload = malloc((size_t)n + 1);
	if (b->payload == NULL)
		return;
	if (n > 0)
		memcpy(b->payload, blob, (size_t)n);
	b->payload[n] = '\0';
}

int queue_batch_next(struct queue *q, uint64_t after, uint64_t *seq,
		     char **payload, size_t *len)
{
	struct batch_row b = { 0, NULL, 0 };
	int ret;

	if (q == NULL || seq == NULL || payload == NULL || len == NULL ||
	    after > INT64_MAX)
		return GFI_E_INVAL;
	*payload = NULL;
	db_bind_int64(q->st[ST_BATCH_NEXT], 1, (int64_t)after);
	ret = db_get(q->db, q->st[ST_BATCH_NEXT], batch_decode, &b, "queue batch next");
	if (ret != GFI_OK)
		return ret;
	if (b.payload == NULL)
		return GFI_E_NOMEM;
	*payload = b.payload;
	*len = b.len;
	*seq = (uint64_t)b.seq;
	return GFI_OK;
}

static int queue_ack_tx(struct queue *q, uint64_t seq, int64_t *deleted);

int queue_ack(struct queue *q, uint64_t seq, int64_t *deleted)
{
	int ret;

	if (q == NULL || seq > INT64_MAX)
		return GFI_E_INVAL;
	/* The ack's delete needs no fsync of its own: losing it to a power
	 * loss only brings acked batches back, which are resent and which the
	 * aggregator acks again as replays; the WAL is one file written in
	 * order, so the next FULL commit (a batch or a poll) syncs it too.
	 * One fsync per batch instead of two (BENCHMARKS.md, backlog drain). */
	ret = db_exec(q->db, "PRAGMA synchronous = NORMAL", "queue synchronous");
	if (ret == GFI_OK)
		ret = queue_ack_tx(q, seq, deleted);
	if (ret == GFI_E_FULL) {
		/* The delete frees pages, but its commit needs room in the WAL
		 * first: checkpoint (as queue_push does), retry once, and
		 * checkpoint again so the freed pages are reused. */
		checkpoint(q);
		ret = queue_ack_tx(q, seq, deleted);
		checkpoint(q);
	}
	if (db_exec(q->db, "PRAGMA synchronous = FULL", "queue synchronous") != GFI_OK)
		ret = GFI_E_DB;
	return ret;
}

/* queue_ack's transaction. */
static int queue_ack_tx(struct queue *q, uint64_t seq, int64_t *deleted)
{
	int64_t n = 0;
	int ret;

	ret = begin(q);
	if (ret != GFI_OK)
		return ret;
	/* Only forward: an old or repeated ack changes nothing. */
	db_bind_int64(q->st[ST_ACK_SET], 1, (int64_t)seq);
	ret = run(q, ST_ACK_SET, "queue ack");
	if (ret == GFI_OK && sqlite3_changes64(q->db) == 1) {
		ret = delete_counted(q, ST_ACK_READINGS, (int64_t)seq,
				     "queue ack readings", &n);
		if (ret == GFI_OK) {
			db_bind_int64(q->st[ST_ACK_BATCHES], 1, (int64_t)seq);
			ret = run(q, ST_ACK_BATCHES, "queue ack batches");
		}
	}
	if (ret == GFI_OK)
		ret = commit(q);
	if (ret != GFI_OK) {
		rollback(q);
		return ret;
	}
	if (deleted)
		*deleted = n;
	return GFI_OK;
}

int queue_oldest_time(struct queue *q, int64_t *time_s)
{
	int ret;

	if (q == NULL || time_s == NULL)
		return GFI_E_INVAL;
	ret = db_get(q->db, q->st[ST_OLDEST], int64_decode, time_s, "queue oldest");
	if (ret == GFI_E_NOTFOUND) {
		*time_s = 0;
		ret = GFI_OK;
	}
	return ret;
}

/*
 * queue.c — the agent's durable reading queue, on SQLite in WAL mode.
 *
 * Every reading the poller takes is committed here before anything else
 * happens to it; the uplink reads it back with queue_peek and removes it with
 * queue_delete_upto once the city has acknowledged it (docs/queue.md).
 *
 * Invariants, each kept inside the one transaction that changes the rows:
 *  - readings.id grows with every insert and is never reused, even after the
 *    newest rows are deleted (AUTOINCREMENT keeps its high-water mark in
 *    sqlite_sequence); peek order is id order is push order.
 *  - meta('count') equals the number of rows in readings. queue_push and
 *    queue_delete_upto update it in the transaction that inserts or deletes,
 *    so queue_count and the bound never scan the table.
 *  - after a committed push, count <= max_readings of the pushing connection;
 *    every reading dropped to get there and in no batch is accounted for by
 *    a gap row written in the same transaction: a new row per meter, or the
 *    meter's latest row extended while it is not reported yet.
 *  - value is NULL exactly when the status carries no value (or the value was
 *    NaN); NULL reads back as NaN.
 *
 * All SQL is constant text; data only ever travels through bound parameters.
 * SQLite result codes are translated to GFI_E_DB here and nowhere else, and
 * logged once, here, since only this module still has SQLite's message.
 */
#include "queue.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

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
static const char *const migrations[] = {
	/* 1: readings, gap events, and a meta table holding the exact count. */
	"CREATE TABLE readings ("
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
	"INSERT INTO meta (key, value) VALUES ('count', 0);",
	/* 2: signed batches awaiting the city's ack (the outbox), the hash
	 * chain's head, and each reading's batch. A reading with batch_seq NULL
	 * is not in any batch yet; the partial index finds those without
	 * scanning a deep backlog of batched ones. */
	"ALTER TABLE readings ADD COLUMN batch_seq INTEGER;"
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
	"INSERT INTO chain (id, seq, hash, acked_seq) VALUES (1, 0, zeroblob(32), 0);",
	/* 3: the batch each gap event went out in (NULL: not yet reported), so
	 * a gap is reported once, in the same transaction as its batch. */
	"ALTER TABLE gaps ADD COLUMN batch_seq INTEGER;"
	"CREATE INDEX gaps_unbatched ON gaps (id) WHERE batch_seq IS NULL;",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

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
	[ST_PEEK] = "SELECT id, meter, point, quantity, time_s, value, status, detail "
		    "FROM readings WHERE id > ?1 ORDER BY id LIMIT ?2",
	[ST_GAPS] = "SELECT id, meter, from_s, to_s, count, recorded_s "
		    "FROM gaps WHERE id > ?1 ORDER BY id LIMIT ?2",
	[ST_UNBATCHED_OLD] = "SELECT id, meter, point, quantity, time_s, value, status, detail "
			     "FROM readings WHERE batch_seq IS NULL ORDER BY id LIMIT ?1",
	[ST_UNBATCHED_NEW] = "SELECT id, meter, point, quantity, time_s, value, status, detail "
			     "FROM readings WHERE batch_seq IS NULL ORDER BY id DESC LIMIT ?1",
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
	[ST_GAPS_UNBATCHED] = "SELECT id, meter, from_s, to_s, count, recorded_s "
			      "FROM gaps WHERE batch_seq IS NULL ORDER BY id LIMIT ?1",
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

/* The single translation point: log SQLite's own message, return GFI_E_DB. */
static int db_fail(const struct queue *q, const char *what, int rc)
{
	log_err("queue %s failed: path=%s: %s (%s, code %d, errno %d)", what,
		q->path, q->db ? sqlite3_errmsg(q->db) : "no connection",
		sqlite3_errstr(rc), rc, q->db ? sqlite3_system_errno(q->db) : 0);
	/* A full disk (or a file size limit) is the one failure the caller
	 * can act on: queue_push makes room and retries. SQLite says FULL only
	 * for ENOSPC or a short write; a write refused whole with EFBIG (the
	 * file size limit) comes back as SQLITE_IOERR_WRITE, and its errno is
	 * not reliably kept. Making room and retrying is harmless after any
	 * failed write: if the disk is broken instead, the retry fails too. */
	if ((rc & 0xff) == SQLITE_FULL || rc == SQLITE_IOERR_WRITE)
		return GFI_E_FULL;
	return GFI_E_DB;
}

/* Step a statement that returns no rows (or whose rows we ignore), then
 * reset it so it holds no read snapshot and no locks. */
static int step_done(struct queue *q, enum stmt_id id, const char *what)
{
	sqlite3_stmt *s = q->st[id];
	int rc = sqlite3_step(s);
	int ret = GFI_OK;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = db_fail(q, what, rc); /* before reset: keep the message */
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

static int begin(struct queue *q)
{
	return step_done(q, ST_BEGIN, "begin");
}

static int commit(struct queue *q)
{
	return step_done(q, ST_COMMIT, "commit");
}

/* Roll back after a failure; the transaction may already be gone (SQLite
 * rolls back by itself on some errors), which is not a second error. */
static void rollback(struct queue *q)
{
	if (!sqlite3_get_autocommit(q->db))
		(void)step_done(q, ST_ROLLBACK, "rollback");
}

static int count_get(struct queue *q, int64_t *n)
{
	sqlite3_stmt *s = q->st[ST_COUNT_GET];
	int rc = sqlite3_step(s);
	int ret = GFI_OK;
	if (rc == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	else /* DONE: the meta row is gone, which only corruption does */
		ret = db_fail(q, "count", rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
	sqlite3_reset(s);
	return ret;
}

static int count_add(struct queue *q, int64_t delta)
{
	int rc = sqlite3_bind_int64(q->st[ST_COUNT_ADD], 1, delta);
	if (rc != SQLITE_OK)
		return db_fail(q, "count update", rc);
	return step_done(q, ST_COUNT_ADD, "count update");
}

static int exec_const(struct queue *q, const char *sql, const char *what)
{
	int rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_fail(q, what, rc);
	return GFI_OK;
}

/* Switch to WAL and check it took: SQLite answers with the mode in force,
 * and silently keeps another one (e.g. "memory") when WAL is impossible. */
static int set_wal(struct queue *q)
{
	sqlite3_stmt *s = NULL;
	int ret = GFI_OK;
	int rc = sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1, &s,
				    NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		ret = db_fail(q, "journal mode", rc);
	} else {
		const unsigned char *mode = sqlite3_column_text(s, 0);
		if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
			log_err("queue open failed: path=%s: journal mode is %s, "
				"not wal", q->path, mode ? (const char *)mode : "?");
			ret = GFI_E_DB;
		}
	}
	sqlite3_finalize(s);
	return ret;
}

/* Read PRAGMA user_version (schema version) into *v. */
static int user_version(struct queue *q, int *v)
{
	sqlite3_stmt *s = NULL;
	int ret = GFI_OK;
	int rc = sqlite3_prepare_v2(q->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	else
		ret = db_fail(q, "schema version read", rc);
	sqlite3_finalize(s);
	return ret;
}

/* Bring the schema to NMIGRATIONS. The version is read again inside the
 * write transaction: another connection may have migrated meanwhile. */
static int migrate(struct queue *q)
{
	int v = 0;
	int ret = user_version(q, &v);
	if (ret != GFI_OK)
		return ret;
	if (v == NMIGRATIONS)
		return GFI_OK;

	ret = exec_const(q, "BEGIN IMMEDIATE", "migration begin");
	if (ret != GFI_OK)
		return ret;
	ret = user_version(q, &v);
	if (ret != GFI_OK)
		goto fail;
	if (v > NMIGRATIONS) {
		log_err("queue open failed: path=%s: schema version %d is newer "
			"than this agent's %d", q->path, v, NMIGRATIONS);
		ret = GFI_E_DB;
		goto fail;
	}
	for (; v < NMIGRATIONS; v++) {
		char pragma[48];
		ret = exec_const(q, migrations[v], "migration");
		if (ret != GFI_OK)
			goto fail;
		/* PRAGMA takes no bound parameters; the text is our own integer. */
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		ret = exec_const(q, pragma, "migration version");
		if (ret != GFI_OK)
			goto fail;
		log_info("queue migrated: path=%s version=%d", q->path, v + 1);
	}
	ret = exec_const(q, "COMMIT", "migration commit");
	if (ret != GFI_OK)
		goto fail;
	return GFI_OK;
fail:
	if (!sqlite3_get_autocommit(q->db))
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

int queue_open(const char *path, int64_t max_readings, struct queue **out)
{
	struct queue *q = NULL;
	int ret = GFI_E_DB;
	int rc;

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

	/* NOMUTEX: a struct queue belongs to one thread (queue.h), so SQLite's
	 * per-connection mutex would only cost. Files are shared by opening
	 * one connection per thread. */
	rc = sqlite3_open_v2(path, &q->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		ret = db_fail(q, "open", rc);
		goto cleanup;
	}
	sqlite3_extended_result_codes(q->db, 1);
	rc = sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK) {
		ret = db_fail(q, "busy timeout", rc);
		goto cleanup;
	}

	/*
	 * WAL: readers (the uplink's peek) never block the pollers' writers,
	 * and a commit is one append to the -wal file. After kill -9 the next
	 * open replays or discards the WAL by itself: we never delete it.
	 *
	 * synchronous=FULL: in WAL mode NORMAL skips the fsync of the WAL at
	 * each commit (it syncs only at checkpoints), so a power loss can roll
	 * back the last commits that queue_push already reported as done, and a
	 * reading the poller believes collected would vanish. FULL syncs the
	 * WAL on every commit; the cost is one fsync per poll batch, which the
	 * gateway's poll rate (seconds) easily affords.
	 */
	ret = set_wal(q);
	if (ret != GFI_OK)
		goto cleanup;
	ret = exec_const(q, "PRAGMA synchronous = FULL", "synchronous");
	if (ret != GFI_OK)
		goto cleanup;

	ret = migrate(q);
	if (ret != GFI_OK)
		goto cleanup;

	for (int i = 0; i < ST_N; i++) {
		rc = sqlite3_prepare_v3(q->db, stmt_sql[i], -1,
					SQLITE_PREPARE_PERSISTENT, &q->st[i], NULL);
		if (rc != SQLITE_OK) {
			ret = db_fail(q, "prepare", rc);
			goto cleanup;
		}
	}

	*out = q;
	q = NULL;
	ret = GFI_OK;
cleanup:
	queue_close(q);
	return ret;
}

void queue_close(struct queue *q)
{
	if (q == NULL)
		return;
	for (int i = 0; i < ST_N; i++)
		sqlite3_finalize(q->st[i]);
	/* sqlite3_close (not _v2) fails loudly if a statement were left
	 * unfinalized; all are finalized above, so this always closes. */
	if (q->db != NULL && sqlite3_close(q->db) != SQLITE_OK)
		log_err("queue close failed: path=%s: %s", q->path,
			sqlite3_errmsg(q->db));
	free(q->path);
	free(q);
}

/* A text field must be NUL-terminated within its array. */
static int field_ok(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int insert_one(struct queue *q, const struct gfi_reading *r)
{
	sqlite3_stmt *s = q->st[ST_INSERT];
	int rc = sqlite3_bind_text(s, 1, r->meter, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 2, r->point, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 3, r->quantity, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 4, r->time_s);
	if (rc == SQLITE_OK) {
		if (!gfi_status_has_value(r->status) || isnan(r->value))
			rc = sqlite3_bind_null(s, 5);
		else
			rc = sqlite3_bind_double(s, 5, r->value);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(s, 6, r->status);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int(s, 7, r->detail);
	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(s);
		return db_fail(q, "push bind", rc);
	}
	/* step_done also clears the bindings, so no pointer into the caller's
	 * array outlives this call. */
	return step_done(q, ST_INSERT, "push insert");
}

/* Drop the oldest readings beyond the bound, recording gap events first.
 * Called inside the push transaction with the new exact count. */
static int enforce_bound(struct queue *q, int64_t count)
{
	int64_t excess = count - q->max_readings;
	sqlite3_stmt *s = q->st[ST_CUT_ID];
	int64_t cut = 0;
	int rc, ret;

	if (excess <= 0)
		return GFI_OK;

	rc = sqlite3_bind_int64(s, 1, excess - 1);
	if (rc != SQLITE_OK)
		return db_fail(q, "bound bind", rc);
	rc = sqlite3_step(s);
	ret = GFI_OK;
	if (rc == SQLITE_ROW)
		cut = sqlite3_column_int64(s, 0);
	else /* DONE means meta('count') lied: corruption */
		ret = db_fail(q, "bound cut", rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (ret != GFI_OK)
		return ret;

	for (int st = ST_GAP_MERGE; st <= ST_GAP_INSERT; st++) {
		rc = sqlite3_bind_int64(q->st[st], 1, cut);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(q->st[st], 2, (int64_t)time(NULL));
		if (rc != SQLITE_OK)
			return db_fail(q, "gap bind", rc);
		ret = step_done(q, (enum stmt_id)st, "gap insert");
		if (ret != GFI_OK)
			return ret;
	}

	rc = sqlite3_bind_int64(q->st[ST_DELETE_UPTO], 1, cut);
	if (rc != SQLITE_OK)
		return db_fail(q, "bound bind", rc);
	ret = step_done(q, ST_DELETE_UPTO, "bound delete");
	if (ret != GFI_OK)
		return ret;
	if (sqlite3_changes64(q->db) != excess)
		return db_fail(q, "bound delete", SQLITE_CORRUPT);
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
	sqlite3_stmt *s = q->st[ST_GAP_NEW];
	int ret = begin(q);

	for (size_t i = 0; ret == GFI_OK && i < n;) {
		size_t k = i;
		int64_t lo = r[i].time_s, hi = r[i].time_s;
		while (k < n && strcmp(r[k].meter, r[i].meter) == 0) {
			lo = r[k].time_s < lo ? r[k].time_s : lo;
			hi = r[k].time_s > hi ? r[k].time_s : hi;
			k++;
		}
		sqlite3_bind_text(s, 1, r[i].meter, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, lo);
		sqlite3_bind_int64(s, 3, hi);
		sqlite3_bind_int64(s, 4, (int64_t)(k - i));
		sqlite3_bind_int64(s, 5, (int64_t)time(NULL));
		ret = step_done(q, ST_GAP_NEW, "gap insert");
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

/* Copy a TEXT column into a fixed field, truncating what a foreign writer
 * may have made too long rather than overflowing. */
static void column_text(sqlite3_stmt *s, int col, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	size_t len = t ? (size_t)sqlite3_column_bytes(s, col) : 0;
	if (len >= size)
		len = size - 1;
	if (len > 0)
		memcpy(dst, t, len);
	dst[len] = '\0';
}

/* Step s (bound, selecting the reading columns in peek order) into out. */
static int read_readings(struct queue *q, sqlite3_stmt *s, struct gfi_reading *out,
			 int64_t *ids, size_t max, size_t *n, const char *what)
{
	size_t got = 0;
	int rc = SQLITE_DONE;

	while (got < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct gfi_reading *r = &out[got];
		memset(r, 0, sizeof(*r));
		ids[got] = sqlite3_column_int64(s, 0);
		column_text(s, 1, r->meter, sizeof(r->meter));
		column_text(s, 2, r->point, sizeof(r->point));
		column_text(s, 3, r->quantity, sizeof(r->quantity));
		r->time_s = sqlite3_column_int64(s, 4);
		r->value = sqlite3_column_type(s, 5) == SQLITE_NULL
				   ? NAN
				   : sqlite3_column_double(s, 5);
		r->status = sqlite3_column_int(s, 6);
		r->detail = sqlite3_column_int(s, 7);
		got++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		int ret = db_fail(q, what, rc);
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return ret;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	*n = got;
	return GFI_OK;
}

/* Bind up to two int64 parameters of s (nbind of them) and read its rows
 * of readings: the shared path of peek and unbatched. */
static int select_readings(struct queue *q, sqlite3_stmt *s, int nbind,
			   int64_t p1, int64_t p2, struct gfi_reading *out,
			   int64_t *ids, size_t max, size_t *n, const char *what)
{
	int rc;

	if (q == NULL || n == NULL || (max > 0 && (out == NULL || ids == NULL)))
		return GFI_E_INVAL;
	*n = 0;
	if (max == 0)
		return GFI_OK;
	if (max > (uint64_t)INT32_MAX)
		max = (size_t)INT32_MAX;
	rc = sqlite3_bind_int64(s, 1, p1);
	if (rc == SQLITE_OK && nbind > 1)
		rc = sqlite3_bind_int64(s, 2, p2);
	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(s);
		return db_fail(q, what, rc);
	}
	return read_readings(q, s, out, ids, max, n, what);
}

int queue_peek(struct queue *q, int64_t after_id, struct gfi_reading *out,
	       int64_t *ids, size_t max, size_t *n)
{
	if (q == NULL)
		return GFI_E_INVAL;
	return select_readings(q, q->st[ST_PEEK], 2, after_id,
			       (int64_t)(max > INT32_MAX ? INT32_MAX : max), out,
			       ids, max, n, "peek");
}

/* Inside a transaction: run the readings delete `id` with arg bound, and
 * keep meta('count') exact. *deleted gets the rows removed. */
static int delete_counted(struct queue *q, enum stmt_id id, int64_t arg,
			  const char *what, int64_t *deleted)
{
	int rc = sqlite3_bind_int64(q->st[id], 1, arg);
	int ret;

	*deleted = 0;
	if (rc != SQLITE_OK)
		return db_fail(q, what, rc);
	ret = step_done(q, id, what);
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
	ret = delete_counted(q, ST_DELETE_UPTO, id, "delete", &deleted);
	if (ret == GFI_OK)
		ret = commit(q);
	if (ret != GFI_OK)
		rollback(q);
	return ret;
}

int queue_gaps(struct queue *q, int64_t after_id, struct queue_gap *out,
	       size_t max, size_t *n)
{
	sqlite3_stmt *s;
	size_t got = 0;
	int rc;

	if (q == NULL || n == NULL || (max > 0 && out == NULL))
		return GFI_E_INVAL;
	*n = 0;
	if (max == 0)
		return GFI_OK;
#if SIZE_MAX > INT64_MAX /* a 32-bit gateway's size_t never exceeds it */
	if (max > (size_t)INT64_MAX)
		max = (size_t)INT64_MAX;
#endif

	s = q->st[ST_GAPS];
	rc = sqlite3_bind_int64(s, 1, after_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 2, (int64_t)max);
	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(s);
		return db_fail(q, "gaps bind", rc);
	}
	while (got < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct queue_gap *g = &out[got];
		memset(g, 0, sizeof(*g));
		g->id = sqlite3_column_int64(s, 0);
		column_text(s, 1, g->meter, sizeof(g->meter));
		g->from_s = sqlite3_column_int64(s, 2);
		g->to_s = sqlite3_column_int64(s, 3);
		g->count = sqlite3_column_int64(s, 4);
		g->recorded_s = sqlite3_column_int64(s, 5);
		got++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		int ret = db_fail(q, "gaps", rc);
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return ret;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	*n = got;
	return GFI_OK;
}

/* ---- the outbox: signed batches awaiting the city's ack ---- */

int queue_unbatched(struct queue *q, int newest_first, struct gfi_reading *out,
		    int64_t *ids, size_t max, size_t *n)
{
	if (q == NULL)
		return GFI_E_INVAL;
	return select_readings(q, q->st[newest_first ? ST_UNBATCHED_NEW : ST_UNBATCHED_OLD],
			       1, (int64_t)(max > INT32_MAX ? INT32_MAX : max), 0,
			       out, ids, max, n, "unbatched");
}

int queue_chain_head(struct queue *q, uint64_t *seq, uint8_t hash[32],
		     uint64_t *acked_seq)
{
	sqlite3_stmt *s;
	int rc, ret = GFI_OK;

	if (q == NULL)
		return GFI_E_INVAL;
	s = q->st[ST_CHAIN_GET];
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 1) == 32) {
		if (seq)
			*seq = (uint64_t)sqlite3_column_int64(s, 0);
		if (hash)
			memcpy(hash, sqlite3_column_blob(s, 1), 32);
		if (acked_seq)
			*acked_seq = (uint64_t)sqlite3_column_int64(s, 2);
	} else {
		ret = db_fail(q, "chain head", rc == SQLITE_ROW || rc == SQLITE_DONE
						       ? SQLITE_CORRUPT : rc);
	}
	sqlite3_reset(s);
	return ret;
}

/* Mark ids[0..n) as in batch seq with one range update: they are a run of
 * consecutive unbatched readings (queue.h), so no other unbatched reading
 * lies between the smallest and the largest. */
static int mark_batched(struct queue *q, uint64_t seq, const int64_t *ids,
			size_t n)
{
	sqlite3_stmt *s = q->st[ST_MARK];
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	int rc;

	if (n == 0)
		return GFI_OK;
	for (size_t i = 0; i < n; i++) {
		if (ids[i] < lo)
			lo = ids[i];
		if (ids[i] > hi)
			hi = ids[i];
	}
	rc = sqlite3_bind_int64(s, 1, (int64_t)seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 2, lo);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 3, hi);
	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(s);
		return db_fail(q, "batch mark bind", rc);
	}
	rc = step_done(q, ST_MARK, "batch mark");
	/* Fewer rows than n means the bound (or a full disk) dropped some
	 * since they were read, and counted them in a gap event: the batch
	 * would deliver readings the city is told are lost. Refuse it; the
	 * caller builds the batch again from what is left. More rows would
	 * break the precondition. */
	if (rc == GFI_OK && sqlite3_changes64(q->db) < (int64_t)n) {
		log_info("batch refused: seq=%llu: %lld of its readings were dropped "
			 "meanwhile", (unsigned long long)seq,
			 (long long)((int64_t)n - sqlite3_changes64(q->db)));
		return GFI_E_STATE;
	}
	if (rc == GFI_OK && sqlite3_changes64(q->db) > (int64_t)n)
		return db_fail(q, "batch mark", SQLITE_CONSTRAINT);
	return rc;
}

int queue_gaps_unbatched(struct queue *q, struct queue_gap *out, size_t max,
			 size_t *n)
{
	sqlite3_stmt *s;
	size_t got = 0;
	int rc;

	if (q == NULL || n == NULL || (max > 0 && out == NULL))
		return GFI_E_INVAL;
	*n = 0;
	if (max == 0)
		return GFI_OK;
	s = q->st[ST_GAPS_UNBATCHED];
	rc = sqlite3_bind_int64(s, 1, (int64_t)(max > INT32_MAX ? INT32_MAX : max));
	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(s);
		return db_fail(q, "gaps bind", rc);
	}
	while (got < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct queue_gap *g = &out[got++];
		memset(g, 0, sizeof(*g));
		g->id = sqlite3_column_int64(s, 0);
		column_text(s, 1, g->meter, sizeof(g->meter));
		g->from_s = sqlite3_column_int64(s, 2);
		g->to_s = sqlite3_column_int64(s, 3);
		g->count = sqlite3_column_int64(s, 4);
		g->recorded_s = sqlite3_column_int64(s, 5);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		int ret = db_fail(q, "gaps unbatched", rc);
		sqlite3_reset(s);
		return ret;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	*n = got;
	return GFI_OK;
}

/* Inside the batch transaction: the gap events gaps[0..ngaps), exactly as
 * the batch carries them, go out in seq. GFI_E_STATE when one is no longer
 * that (a push merged a later drop into it after it was read, or it was
 * already reported): marking it would tell the city fewer readings were
 * lost than were, and the readings merged in would be lost silently. */
static int mark_gaps(struct queue *q, uint64_t seq, const struct queue_gap *gaps,
		     size_t ngaps)
{
	sqlite3_stmt *s = q->st[ST_GAP_MARK];

	for (size_t i = 0; i < ngaps; i++) {
		const struct queue_gap *g = &gaps[i];
		int rc = sqlite3_bind_int64(s, 1, (int64_t)seq);
		int ret;
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(s, 2, g->id);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(s, 3, g->from_s);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(s, 4, g->to_s);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(s, 5, g->count);
		if (rc != SQLITE_OK) {
			sqlite3_clear_bindings(s);
			return db_fail(q, "gap mark bind", rc);
		}
		ret = step_done(q, ST_GAP_MARK, "gap mark");
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

int queue_batch_add(struct queue *q, uint64_t seq, const uint8_t hash[32],
		    const char *payload, size_t len, const int64_t *ids, size_t n,
		    int64_t created_s)
{
	return queue_batch_add_gaps(q, seq, hash, payload, len, ids, n, NULL, 0,
				    created_s);
}

int queue_batch_add_gaps(struct queue *q, uint64_t seq, const uint8_t hash[32],
			 const char *payload, size_t len, const int64_t *ids,
			 size_t n, const struct queue_gap *gaps, size_t ngaps,
			 int64_t created_s)
{
	sqlite3_stmt *s;
	int rc, ret;

	if (q == NULL || hash == NULL || payload == NULL || len > INT32_MAX ||
	    (n > 0 && ids == NULL) || (ngaps > 0 && gaps == NULL) || seq == 0 ||
	    seq > INT64_MAX)
		return GFI_E_INVAL;
	/* A stored batch must survive a power loss before it is sent (seq and
	 * chain): FULL whatever queue_ack left behind. */
	ret = exec_const(q, "PRAGMA synchronous = FULL", "synchronous");
	if (ret == GFI_OK)
		ret = begin(q);
	if (ret != GFI_OK)
		return ret;
	/* The chain row moves only from seq-1 to seq: a second writer, or a
	 * caller that lost track, changes nothing. */
	s = q->st[ST_CHAIN_SET];
	rc = sqlite3_bind_int64(s, 1, (int64_t)seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(s, 2, hash, 32, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(s);
		ret = db_fail(q, "chain bind", rc);
		goto fail;
	}
	ret = step_done(q, ST_CHAIN_SET, "chain advance");
	if (ret != GFI_OK)
		goto fail;
	if (sqlite3_changes64(q->db) != 1) {
		ret = GFI_E_STATE;
		goto fail;
	}
	s = q->st[ST_BATCH_INSERT];
	rc = sqlite3_bind_int64(s, 1, (int64_t)seq);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(s, 2, hash, 32, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(s, 3, payload, (int)len, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 4, (int64_t)n);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(s, 5, created_s);
	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(s);
		ret = db_fail(q, "batch bind", rc);
		goto fail;
	}
	ret = step_done(q, ST_BATCH_INSERT, "batch insert");
	if (ret != GFI_OK)
		goto fail;
	ret = mark_batched(q, seq, ids, n);
	if (ret != GFI_OK)
		goto fail;
	ret = mark_gaps(q, seq, gaps, ngaps);
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

int queue_batch_next(struct queue *q, uint64_t after, uint64_t *seq,
		     char **payload, size_t *len)
{
	sqlite3_stmt *s;
	int rc, ret = GFI_E_NOTFOUND;

	if (q == NULL || seq == NULL || payload == NULL || len == NULL ||
	    after > INT64_MAX)
		return GFI_E_INVAL;
	*payload = NULL;
	s = q->st[ST_BATCH_NEXT];
	rc = sqlite3_bind_int64(s, 1, (int64_t)after);
	if (rc != SQLITE_OK) {
		sqlite3_clear_bindings(s);
		return db_fail(q, "batch next bind", rc);
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		int n = sqlite3_column_bytes(s, 1);
		const void *b = sqlite3_column_blob(s, 1);
		*payload = malloc((size_t)n + 1);
		if (*payload == NULL) {
			ret = GFI_E_NOMEM;
		} else {
			if (n > 0)
				memcpy(*payload, b, (size_t)n);
			(*payload)[n] = '\0';
			*len = (size_t)n;
			*seq = (uint64_t)sqlite3_column_int64(s, 0);
			ret = GFI_OK;
		}
	} else if (rc != SQLITE_DONE) {
		ret = db_fail(q, "batch next", rc);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
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
	ret = exec_const(q, "PRAGMA synchronous = NORMAL", "synchronous");
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
	if (exec_const(q, "PRAGMA synchronous = FULL", "synchronous") != GFI_OK)
		ret = GFI_E_DB;
	return ret;
}

/* queue_ack's transaction. */
static int queue_ack_tx(struct queue *q, uint64_t seq, int64_t *deleted)
{
	int64_t n = 0;
	int rc, ret;

	ret = begin(q);
	if (ret != GFI_OK)
		return ret;
	/* Only forward: an old or repeated ack changes nothing. */
	rc = sqlite3_bind_int64(q->st[ST_ACK_SET], 1, (int64_t)seq);
	if (rc != SQLITE_OK) {
		ret = db_fail(q, "ack bind", rc);
		goto fail;
	}
	ret = step_done(q, ST_ACK_SET, "ack");
	if (ret != GFI_OK)
		goto fail;
	if (sqlite3_changes64(q->db) == 1) {
		ret = delete_counted(q, ST_ACK_READINGS, (int64_t)seq, "ack readings", &n);
		if (ret != GFI_OK)
			goto fail;
		rc = sqlite3_bind_int64(q->st[ST_ACK_BATCHES], 1, (int64_t)seq);
		if (rc != SQLITE_OK) {
			ret = db_fail(q, "ack bind", rc);
			goto fail;
		}
		ret = step_done(q, ST_ACK_BATCHES, "ack batches");
		if (ret != GFI_OK)
			goto fail;
	}
	ret = commit(q);
	if (ret != GFI_OK)
		goto fail;
	if (deleted)
		*deleted = n;
	return GFI_OK;
fail:
	rollback(q);
	return ret;
}

int queue_oldest_time(struct queue *q, int64_t *time_s)
{
	sqlite3_stmt *s;
	int rc, ret = GFI_OK;

	if (q == NULL || time_s == NULL)
		return GFI_E_INVAL;
	s = q->st[ST_OLDEST];
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*time_s = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		*time_s = 0;
	else
		ret = db_fail(q, "oldest", rc);
	sqlite3_reset(s);
	return ret;
}

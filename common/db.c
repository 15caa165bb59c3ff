/*
 * db.c — the one SQLite toolkit of gfi (db.h): open, migrate, step, bind,
 * list. The agent's queue and the aggregator's store used to carry a copy
 * each of the migration runner, of "step a write", and six bind helpers;
 * this module is the only one left. A statement's whole life (prepare,
 * bind a list, step or list, finalize) is one call (db_run, db_select,
 * db_select_one, db_exists, db_scalar), and a row is read by a column
 * list (db_columns), so callers write only their SQL and their values.
 *
 * Invariants:
 *  - a file db_open created has exactly spec->file_mode (created O_EXCL
 *    first, then fchmod, so the umask cannot widen or narrow it); SQLite
 *    gives its -wal and -shm files the same mode;
 *  - the schema is at the table's last version after db_open, or the file
 *    is unchanged: every pending migration and its user_version bump run in
 *    one BEGIN IMMEDIATE transaction, and the version is read again inside
 *    it (another connection may have migrated meanwhile);
 *  - SQLite codes become GFI_E_* only in db_fail.
 * All SQL here is constant text; data only travels through bound parameters.
 */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "log.h"

static const char *db_path(sqlite3 *db)
{
	const char *p = db ? sqlite3_db_filename(db, "main") : NULL;
	return p != NULL && p[0] != '\0' ? p : "?";
}

int db_fail(sqlite3 *db, const char *what, int rc)
{
	if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return GFI_E_EXISTS;
	log_err("%s failed: path=%s: %s (%s, code %d, errno %d)", what,
		db_path(db), db ? sqlite3_errmsg(db) : "no connection",
		sqlite3_errstr(rc), rc, db ? sqlite3_system_errno(db) : 0);
	/* A full disk (or a file size limit) is the one failure a caller can
	 * act on: the queue makes room and retries. SQLite says FULL only for
	 * ENOSPC or a short write; a write refused whole with EFBIG (the file
	 * size limit) comes back as SQLITE_IOERR_WRITE, and its errno is not
	 * reliably kept. Making room and retrying is harmless after any failed
	 * write: if the disk is broken instead, the retry fails too. */
	if ((rc & 0xff) == SQLITE_FULL || rc == SQLITE_IOERR_WRITE)
		return GFI_E_FULL;
	/* Past the busy timeout: a caller may wait and retry (503, a CLI
	 * retry), unlike a broken store. */
	if ((rc & 0xff) == SQLITE_BUSY)
		return GFI_E_BUSY;
	return GFI_E_DB;
}

int db_exec(sqlite3 *db, const char *sql, const char *what)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? GFI_OK : db_fail(db, what, rc);
}

int db_prepare(sqlite3 *db, const char *sql, int persistent, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v3(db, sql, -1,
				    persistent ? SQLITE_PREPARE_PERSISTENT : 0,
				    st, NULL);
	return rc == SQLITE_OK ? GFI_OK : db_fail(db, "prepare", rc);
}

int db_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int ret = GFI_OK;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = db_fail(db, what, rc); /* before reset: keep the message */
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

/* ---- binding and columns ---- */

int db_bind_text(sqlite3_stmt *st, int i, const char *text)
{
	if (text == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
}

int db_bind_field(sqlite3_stmt *st, int i, const char *field, size_t size)
{
	return sqlite3_bind_text(st, i, field, (int)strnlen(field, size),
				 SQLITE_STATIC);
}

int db_bind_int64(sqlite3_stmt *st, int i, int64_t v)
{
	return sqlite3_bind_int64(st, i, v);
}

int db_bind_double(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_double(st, i, v);
}

int db_bind_blob(sqlite3_stmt *st, int i, const void *data, size_t len)
{
	if (len > INT32_MAX)
		return SQLITE_TOOBIG;
	return sqlite3_bind_blob(st, i, data, (int)len, SQLITE_STATIC);
}

int db_bind_args(sqlite3_stmt *st, const struct db_arg *args, size_t n)
{
	int rc, first = SQLITE_OK;

	for (size_t k = 0; k < n; k++) {
		const struct db_arg *a = &args[k];
		int i = (int)k + 1;

		switch (a->type) {
		case DB_ARG_TEXT: rc = db_bind_text(st, i, a->p); break;
		case DB_ARG_FIELD: rc = db_bind_field(st, i, a->p, a->size); break;
		case DB_ARG_INT: rc = db_bind_int64(st, i, a->i); break;
		case DB_ARG_REAL: rc = db_bind_double(st, i, a->d); break;
		default: rc = db_bind_blob(st, i, a->p, a->size); break;
		}
		if (first == SQLITE_OK)
			first = rc;
	}
	return first;
}

void db_column_text(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t len = t ? (size_t)sqlite3_column_bytes(st, col) : 0;

	if (len >= size)
		len = size - 1;
	if (len > 0)
		memcpy(dst, t, len);
	dst[len] = '\0';
}

double db_column_double(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL
		       ? NAN : sqlite3_column_double(st, col);
}

/* An INTEGER column into an integer (or enum) of size bytes, truncated as
 * a cast to that size would. */
static void column_int(sqlite3_stmt *st, int col, void *dst, size_t size)
{
	int64_t v = sqlite3_column_int64(st, col);
	int32_t v32 = (int32_t)v;
	int16_t v16 = (int16_t)v;
	int8_t v8 = (int8_t)v;

	switch (size) {
	case sizeof(v): memcpy(dst, &v, sizeof(v)); break;
	case sizeof(v32): memcpy(dst, &v32, sizeof(v32)); break;
	case sizeof(v16): memcpy(dst, &v16, sizeof(v16)); break;
	default: memcpy(dst, &v8, sizeof(v8)); break;
	}
}

void db_columns(sqlite3_stmt *st, const struct db_col *cols, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const struct db_col *c = &cols[k];
		int col = (int)k;

		switch (c->type) {
		case DB_COL_TEXT_T: db_column_text(st, col, c->dst, c->size); break;
		case DB_COL_INT_T: column_int(st, col, c->dst, c->size); break;
		case DB_COL_REAL_T: *(double *)c->dst = sqlite3_column_double(st, col); break;
		default: *(double *)c->dst = db_column_double(st, col); break;
		}
	}
}

/* ---- rows ---- */

int db_list(sqlite3 *db, sqlite3_stmt *st, db_decode_fn decode, void *row,
	    db_row_fn fn, void *ctx, const char *what)
{
	int rc, ret = GFI_OK;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		decode(st, row);
		if (fn(ctx, row) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = db_fail(db, what, rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

int db_query(sqlite3 *db, const char *sql, db_decode_fn decode, void *row,
	     db_row_fn fn, void *ctx, const char *what)
{
	return db_select(db, sql, NULL, 0, decode, row, fn, ctx, what);
}

/* Prepare sql, bind args, run it and finalize it: as a write when decode
 * is NULL, as a listing when fn is set, else as a single-row read. */
static int run_bound(sqlite3 *db, const char *sql, const struct db_arg *args,
		     size_t n, db_decode_fn decode, void *row, db_row_fn fn,
		     void *ctx, const char *what)
{
	sqlite3_stmt *st = NULL;
	int ret = db_prepare(db, sql, 0, &st);

	if (ret == GFI_OK) {
		db_bind_args(st, args, n);
		if (decode == NULL)
			ret = db_step_done(db, st, what);
		else if (fn != NULL)
			ret = db_list(db, st, decode, row, fn, ctx, what);
		else
			ret = db_get(db, st, decode, row, what);
	}
	sqlite3_finalize(st);
	return ret;
}

int db_run(sqlite3 *db, const char *sql, const struct db_arg *args, size_t n,
	   const char *what)
{
	return run_bound(db, sql, args, n, NULL, NULL, NULL, NULL, what);
}

int db_select(sqlite3 *db, const char *sql, const struct db_arg *args,
	      size_t n, db_decode_fn decode, void *row, db_row_fn fn, void *ctx,
	      const char *what)
{
	return run_bound(db, sql, args, n, decode, row, fn, ctx, what);
}

int db_select_one(sqlite3 *db, const char *sql, const struct db_arg *args,
		  size_t n, db_decode_fn decode, void *row, const char *what)
{
	return run_bound(db, sql, args, n, decode, row, NULL, NULL, what);
}

static void decode_nothing(sqlite3_stmt *st, void *row)
{
	(void)st;
	(void)row;
}

int db_exists(sqlite3 *db, const char *sql, const struct db_arg *args,
	      size_t n, const char *what)
{
	int ret = run_bound(db, sql, args, n, decode_nothing, NULL, NULL, NULL, what);

	if (ret == GFI_OK)
		return 1;
	return ret == GFI_E_NOTFOUND ? 0 : ret;
}

void db_decode_int64(sqlite3_stmt *st, void *row)
{
	*(int64_t *)row = sqlite3_column_int64(st, 0);
}

int db_scalar(sqlite3 *db, const char *sql, const struct db_arg *args,
	      size_t n, int64_t *out, const char *what)
{
	int ret;

	*out = 0;
	ret = run_bound(db, sql, args, n, db_decode_int64, out, NULL, NULL, what);
	return ret == GFI_E_NOTFOUND ? db_fail(db, what, SQLITE_DONE) : ret;
}

int db_get(sqlite3 *db, sqlite3_stmt *st, db_decode_fn decode, void *row,
	   const char *what)
{
	int rc = sqlite3_step(st), ret = GFI_OK;

	if (rc == SQLITE_ROW)
		decode(st, row);
	else if (rc == SQLITE_DONE)
		ret = GFI_E_NOTFOUND;
	else
		ret = db_fail(db, what, rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

/* ---- opening ---- */

/* The one-column answer of a PRAGMA, as text into buf or as an int. */
static int pragma_read(sqlite3 *db, const char *sql, char *buf, size_t size,
		       int *v)
{
	sqlite3_stmt *st = NULL;
	int ret = db_prepare(db, sql, 0, &st), rc;

	if (ret != GFI_OK)
		return ret;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		ret = db_fail(db, sql, rc);
	} else {
		if (buf != NULL)
			db_column_text(st, 0, buf, size);
		if (v != NULL)
			*v = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	return ret;
}

static int user_version(sqlite3 *db, int *v)
{
	return pragma_read(db, "PRAGMA user_version", NULL, 0, v);
}

/* Apply migrations above *v inside the caller's transaction. */
static int migrate_from(sqlite3 *db, const struct db_spec *spec, int v)
{
	int last = (int)spec->nmigrations;

	if (v > last) {
		log_err("%s open failed: path=%s: schema version %d is newer "
			"than this program's %d", spec->name, db_path(db), v, last);
		return GFI_E_DB;
	}
	for (; v < last; v++) {
		const struct db_migration *m = &spec->migrations[v];
		char pragma[48];
		int ret;

		if (m->version != v + 1) {
			log_err("%s migration table: entry %d has version %d", spec->name,
				v, m->version);
			return GFI_E_INVAL;
		}
		if ((ret = db_exec(db, m->sql, "migration")) != GFI_OK)
			return ret;
		/* PRAGMA takes no bound parameters; the text is our own integer. */
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m->version);
		if ((ret = db_exec(db, pragma, "migration version")) != GFI_OK)
			return ret;
		log_info("%s migrated: path=%s version=%d", spec->name, db_path(db),
			 m->version);
	}
	return GFI_OK;
}

/* Bring the schema to the table's last version, or leave it unchanged. */
static int migrate(sqlite3 *db, const struct db_spec *spec)
{
	int v = 0;
	int ret = user_version(db, &v);

	if (ret != GFI_OK || v == (int)spec->nmigrations)
		return ret;
	if ((ret = db_exec(db, "BEGIN IMMEDIATE", "migration begin")) != GFI_OK)
		return ret;
	if ((ret = user_version(db, &v)) == GFI_OK &&
	    (ret = migrate_from(db, spec, v)) == GFI_OK &&
	    (ret = db_exec(db, "COMMIT", "migration commit")) == GFI_OK)
		return GFI_OK;
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

/* Create path with exactly mode unless it exists. */
static int create_file(const char *path, const char *name, mode_t mode)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd < 0) {
		if (errno == EEXIST)
			return GFI_OK;
		log_err("%s open failed: path=%s: %s", name, path, strerror(errno));
		return GFI_E_DB;
	}
	if (fchmod(fd, mode) != 0) {
		log_err("%s open failed: path=%s: chmod: %s", name, path,
			strerror(errno));
		close(fd);
		return GFI_E_DB;
	}
	close(fd);
	return GFI_OK;
}

/* WAL, checked: SQLite answers with the mode in force and silently keeps
 * another one (e.g. "memory") when WAL is impossible. */
static int set_wal(sqlite3 *db, const char *name)
{
	char mode[16] = "";
	int ret = pragma_read(db, "PRAGMA journal_mode = WAL", mode, sizeof(mode),
			      NULL);

	if (ret == GFI_OK && strcmp(mode, "wal") != 0) {
		log_err("%s open failed: path=%s: journal mode is %s, not wal", name,
			db_path(db), mode);
		ret = GFI_E_DB;
	}
	return ret;
}

/* The settings of an open connection, then the schema. */
static int configure(sqlite3 *db, const struct db_spec *spec)
{
	int rc, ret;

	sqlite3_extended_result_codes(db, 1);
	rc = sqlite3_busy_timeout(db, spec->busy_timeout_ms);
	if (rc != SQLITE_OK)
		return db_fail(db, "busy timeout", rc);
	/* synchronous=FULL: in WAL mode NORMAL skips the fsync of the WAL at
	 * each commit, so a power loss could roll back commits already
	 * reported done (a queued reading, an acknowledged batch). */
	if ((ret = set_wal(db, spec->name)) != GFI_OK ||
	    (ret = db_exec(db, "PRAGMA synchronous = FULL", "synchronous")) != GFI_OK)
		return ret;
	if (spec->pragmas != NULL &&
	    (ret = db_exec(db, spec->pragmas, "pragmas")) != GFI_OK)
		return ret;
	return migrate(db, spec);
}

int db_open(const char *path, const struct db_spec *spec, sqlite3 **out)
{
	sqlite3 *db = NULL;
	int ret, rc;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || spec == NULL || out == NULL || spec->name == NULL ||
	    (spec->nmigrations > 0 && spec->migrations == NULL))
		return GFI_E_INVAL;
	if ((ret = create_file(path, spec->name, spec->file_mode)) != GFI_OK)
		return ret;
	/* NOMUTEX: a connection belongs to one thread (db.h). */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_NOMEM && db == NULL)
		return GFI_E_NOMEM;
	ret = rc == SQLITE_OK ? configure(db, spec) : db_fail(db, "open", rc);
	if (ret != GFI_OK) {
		sqlite3_close(db);
		return ret;
	}
	*out = db;
	return GFI_OK;
}

void db_close(sqlite3 *db)
{
	/* sqlite3_close (not _v2) fails loudly if a statement were left
	 * unfinalized. */
	if (db != NULL && sqlite3_close(db) != SQLITE_OK)
		log_err("close failed: path=%s: %s", db_path(db), sqlite3_errmsg(db));
}

void db_finalize_all(sqlite3_stmt **st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sqlite3_finalize(st[i]);
		st[i] = NULL;
	}
}

int db_prepare_all(sqlite3 *db, const char *const *sql, size_t n,
		   sqlite3_stmt **st)
{
	int ret = GFI_OK;

	for (size_t i = 0; i < n && ret == GFI_OK; i++)
		ret = db_prepare(db, sql[i], 1, &st[i]);
	return ret;
}

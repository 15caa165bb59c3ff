/*
 * db.h — the one SQLite toolkit of gfi: opening a file the way every SQLite
 * file we own is opened (WAL, synchronous=FULL, busy timeout, the file's
 * mode), numbered schema migrations, and the step/bind/list helpers the
 * agent's queue (agent/queue.c) and the aggregator's store
 * (aggregator/store/) are written with.
 *
 * SQLite result codes become GFI_E_* here and nowhere else (db_fail), and
 * are logged once, here, while SQLite's own message still exists.
 * Threads: a connection belongs to one thread (opened NOMUTEX); share a
 * file by opening one connection per thread.
 */
#ifndef GFI_COMMON_DB_H
#define GFI_COMMON_DB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <sqlite3.h>

/* One schema step: after sql has run, PRAGMA user_version is version. A
 * table of them is numbered 1, 2, 3 ... in order; never edit a shipped one,
 * append. */
struct db_migration {
	int version;
	const char *sql;        /* constant text, one or more statements */
};

/* How a file is opened. */
struct db_spec {
	const char *name;                   /* "queue", "store": for messages */
	mode_t file_mode;                   /* of a file db_open creates, e.g. 0600 */
	int busy_timeout_ms;                /* wait for another writer's lock */
	const char *pragmas;                /* run before migrating; may be NULL */
	const struct db_migration *migrations;
	size_t nmigrations;
};

/* Open (creating with spec->file_mode, exactly, whatever the umask) the
 * database at path: WAL (checked: SQLite keeps another mode silently when
 * WAL is impossible), synchronous=FULL, busy timeout, extended result codes,
 * spec->pragmas, then every migration above the file's user_version in one
 * BEGIN IMMEDIATE transaction with the version bump. A file newer than the
 * table is refused. GFI_E_INVAL, GFI_E_NOMEM, GFI_E_DB; *out NULL on error. */
int db_open(const char *path, const struct db_spec *spec, sqlite3 **out);

/* Close db (NULL is fine); every statement must be finalized already. */
void db_close(sqlite3 *db);

/* Prepare sql[0..n) into st[0..n) for the connection's life
 * (persistent); on error the ones prepared stay in st for
 * db_finalize_all. */
int db_prepare_all(sqlite3 *db, const char *const *sql, size_t n,
		   sqlite3_stmt **st);

/* Finalize the n statements of st (NULL ones are fine) and set them NULL:
 * a statement cache's teardown, before db_close. */
void db_finalize_all(sqlite3_stmt **st, size_t n);

/* The single translation point: log "what failed" with SQLite's message for
 * rc and return GFI_E_FULL (a full disk or file size limit: SQLITE_FULL, or
 * a write refused whole, SQLITE_IOERR_WRITE), GFI_E_EXISTS (a UNIQUE or
 * PRIMARY KEY conflict, not logged: it is an answer), else GFI_E_DB. */
int db_fail(sqlite3 *db, const char *what, int rc);

/* Run constant SQL (no parameters, rows ignored). */
int db_exec(sqlite3 *db, const char *sql, const char *what);

/* Prepare sql; the caller finalizes *st. persistent hints that it is kept
 * for the connection's life. */
int db_prepare(sqlite3 *db, const char *sql, int persistent, sqlite3_stmt **st);

/* Step st once (a write, or a query whose rows are ignored), then reset it
 * and clear its bindings, so it holds no snapshot, lock or borrowed
 * pointer. sqlite3_changes() and the last rowid stay readable. */
int db_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what);

/*
 * Binding: one family, index i from 1. Text is borrowed until the next
 * db_step_done/reset (SQLITE_STATIC); a NULL text binds SQL NULL, a NaN
 * double binds NULL. db_bind_field binds a fixed-size char array and never
 * reads past size, terminator or not. Each returns SQLite's rc, which a
 * failing step reports again; callers may ignore it.
 */
int db_bind_text(sqlite3_stmt *st, int i, const char *text);
int db_bind_field(sqlite3_stmt *st, int i, const char *field, size_t size);
int db_bind_int64(sqlite3_stmt *st, int i, int64_t v);
int db_bind_double(sqlite3_stmt *st, int i, double v);
int db_bind_blob(sqlite3_stmt *st, int i, const void *data, size_t len);

/*
 * Bind lists: one value per parameter, bound in order from index 1, so a
 * statement's whole life (prepare, bind, step, finalize) is one call below.
 * Build a list with DB_ARGS(DB_TEXT(a), DB_INT(b), ...), which expands to
 * the two arguments (array, count) the runners take. The values follow the
 * db_bind_* rules above (NULL text and NaN bind SQL NULL; a field is a
 * fixed-size char array, read up to its size).
 */
enum db_arg_type { DB_ARG_TEXT, DB_ARG_FIELD, DB_ARG_INT, DB_ARG_REAL, DB_ARG_BLOB };

struct db_arg {
	enum db_arg_type type;
	const void *p;          /* text, field or blob; borrowed for the call */
	size_t size;            /* field or blob size */
	int64_t i;
	double d;
};

#define DB_TEXT(s)      { .type = DB_ARG_TEXT, .p = (s) }
#define DB_FIELD(a)     { .type = DB_ARG_FIELD, .p = (a), .size = sizeof(a) }
#define DB_INT(v)       { .type = DB_ARG_INT, .i = (int64_t)(v) }
#define DB_REAL(v)      { .type = DB_ARG_REAL, .d = (v) }
#define DB_BLOB(b, n)   { .type = DB_ARG_BLOB, .p = (b), .size = (n) }
#define DB_ARGS(...) (const struct db_arg[]){ __VA_ARGS__ }, \
	(sizeof((const struct db_arg[]){ __VA_ARGS__ }) / sizeof(struct db_arg))

/* Bind args[0..n) to parameters 1..n of st: SQLite's first failing rc, or
 * SQLITE_OK. */
int db_bind_args(sqlite3_stmt *st, const struct db_arg *args, size_t n);

/* Column readers: a TEXT column copied into dst[size] (truncated safely,
 * always terminated); a REAL column with NULL read back as NaN. */
void db_column_text(sqlite3_stmt *st, int col, char *dst, size_t size);
double db_column_double(sqlite3_stmt *st, int col);

/*
 * Column lists, the mirror of bind lists: one destination per column of the
 * current row, in the SELECT's order, read with db_columns. Build one with
 * DB_COLUMNS(st, DB_COL_TEXT(r->name), DB_COL_INT(r->id), ...). TEXT is a
 * fixed-size char array (db_column_text); INT an integer or enum of 4 or 8
 * bytes; REAL a double (NULL reads 0); NREAL a double with NULL read as NaN
 * (db_column_double).
 */
enum db_col_type { DB_COL_TEXT_T, DB_COL_INT_T, DB_COL_REAL_T, DB_COL_NREAL_T };

struct db_col {
	enum db_col_type type;
	void *dst;
	size_t size;
};

#define DB_COL_TEXT(x)  { .type = DB_COL_TEXT_T, .dst = (x), .size = sizeof(x) }
#define DB_COL_INT(x)   { .type = DB_COL_INT_T, .dst = &(x), .size = sizeof(x) }
#define DB_COL_REAL(x)  { .type = DB_COL_REAL_T, .dst = &(x), .size = sizeof(x) }
#define DB_COL_NREAL(x) { .type = DB_COL_NREAL_T, .dst = &(x), .size = sizeof(x) }
#define DB_COLUMNS(st, ...) db_columns((st), (const struct db_col[]){ __VA_ARGS__ }, \
	sizeof((const struct db_col[]){ __VA_ARGS__ }) / sizeof(struct db_col))

/* The whole of a row decoder: zero *r, then read the columns listed. */
#define DB_ROW(st, r, ...) do { \
	memset((r), 0, sizeof(*(r))); \
	DB_COLUMNS(st, __VA_ARGS__); \
} while (0)

/* Read columns 0..n-1 of st's current row into cols[i].dst. */
void db_columns(sqlite3_stmt *st, const struct db_col *cols, size_t n);

/* Decode the current row of st into row. */
typedef void (*db_decode_fn)(sqlite3_stmt *st, void *row);
/* Takes one decoded row; non-zero stops the listing (not an error). */
typedef int (*db_row_fn)(void *ctx, const void *row);

/* Step the bound statement st to its end: each row is decoded into row (a
 * caller's buffer) and given to fn. st is reset afterwards, not finalized.
 * GFI_OK (also when fn stopped), or db_fail's code. */
int db_list(sqlite3 *db, sqlite3_stmt *st, db_decode_fn decode, void *row,
	    db_row_fn fn, void *ctx, const char *what);

/* db_list over constant sql without parameters, prepared and finalized
 * here: the whole of a plain listing. */
int db_query(sqlite3 *db, const char *sql, db_decode_fn decode, void *row,
	     db_row_fn fn, void *ctx, const char *what);

/* The runners below bind args[i] to ?(i+1) for every i up to the
 * statement's largest parameter; arguments past it are not bound, so
 * several statements may share one list, each naming the ?N it needs.
 *
 * Prepare sql, bind args, step it once (a write, or a query whose rows
 * are ignored) and finalize it: the whole of a one-shot write. GFI_OK or
 * db_fail's code (GFI_E_EXISTS for a key conflict). sqlite3_changes() and
 * the last rowid stay readable. */
int db_run(sqlite3 *db, const char *sql, const struct db_arg *args, size_t n,
	   const char *what);

/* db_list over sql with args bound, prepared and finalized here. */
int db_select(sqlite3 *db, const char *sql, const struct db_arg *args,
	      size_t n, db_decode_fn decode, void *row, db_row_fn fn, void *ctx,
	      const char *what);

/* db_get over sql with args bound, prepared and finalized here: GFI_OK,
 * GFI_E_NOTFOUND (no row), or db_fail's code. */
int db_select_one(sqlite3 *db, const char *sql, const struct db_arg *args,
		  size_t n, db_decode_fn decode, void *row, const char *what);

/* Whether sql with args yields a row: 1, 0, or db_fail's code. */
int db_exists(sqlite3 *db, const char *sql, const struct db_arg *args,
	      size_t n, const char *what);

/* The one INTEGER answer of sql with args (an aggregate: count, sum,
 * exists) into *out, 0 on error; a query without a row is an error here. */
int db_scalar(sqlite3 *db, const char *sql, const struct db_arg *args,
	      size_t n, int64_t *out, const char *what);

/* A db_decode_fn for the commonest row: one INTEGER column into an
 * int64_t. */
void db_decode_int64(sqlite3_stmt *st, void *row);

/* The first row of the bound statement st decoded into row: GFI_OK,
 * GFI_E_NOTFOUND (no row), or db_fail's code. st is reset afterwards. */
int db_get(sqlite3 *db, sqlite3_stmt *st, db_decode_fn decode, void *row,
	   const char *what);

#endif

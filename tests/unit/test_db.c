/*
 * test_db.c — unit tests of common/db.c, the SQLite toolkit, on real files.
 *
 * Each test works in its own temporary directory. Migrations are checked
 * by what they leave in the file (rows each one inserts, user_version),
 * not by the log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "error.h"
#include "log.h"

/* A temporary directory and the database path in it. */
struct tmpdb {
	char dir[64];
	char path[96];
};

static int tmpdb_setup(void **state)
{
	struct tmpdb *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	snprintf(t->dir, sizeof(t->dir), "/tmp/gfi-test-db-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/t.db", t->dir);
	*state = t;
	return 0;
}

/* Remove whatever SQLite left in the directory (-wal, -shm ...), then it. */
static int tmpdb_teardown(void **state)
{
	struct tmpdb *t = *state;
	DIR *d = opendir(t->dir);
	struct dirent *e;
	char p[384];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", t->dir, e->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(t->dir);
	free(t);
	return 0;
}

/* Each migration appends its own number to table steps: the rows show
 * which ran, in which order, and how often. */
static const struct db_migration steps[] = {
	{ 1, "CREATE TABLE steps (n INTEGER NOT NULL); INSERT INTO steps VALUES (1);" },
	{ 2, "INSERT INTO steps VALUES (2);" },
	{ 3, "INSERT INTO steps VALUES (3);" },
	{ 4, "INSERT INTO steps VALUES (4); CREATE TABLE four (x);" },
};

static struct db_spec spec_of(const struct db_migration *m, size_t n)
{
	struct db_spec spec = { "test", 0600, 1000, NULL, m, n };
	return spec;
}

static sqlite3 *open_ok(const char *path, const struct db_migration *m, size_t n)
{
	struct db_spec spec = spec_of(m, n);
	sqlite3 *db = NULL;

	assert_int_equal(db_open(path, &spec, &db), GFI_OK);
	assert_non_null(db);
	return db;
}

/* db_open of path with migrations m[0..n) fails with want, quietly. */
static void open_fails(const char *path, const struct db_migration *m, size_t n,
		       int want)
{
	struct db_spec spec = spec_of(m, n);
	sqlite3 *db = NULL;
	int saved = gfi_log_threshold;

	gfi_log_set_level(-1); /* the expected error need not be printed */
	assert_int_equal(db_open(path, &spec, &db), want);
	gfi_log_set_level(saved);
	assert_null(db);
}

static int int_query(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The steps rows as one number, oldest first: 1, 2, 3 reads 123. */
static int steps_seen(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int v = 0;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT n FROM steps ORDER BY rowid",
					    -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		v = v * 10 + sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void migrations_run_once_each_in_order(void **state)
{
	struct tmpdb *t = *state;
	sqlite3 *db = open_ok(t->path, steps, 3);

	assert_int_equal(int_query(db, "PRAGMA user_version"), 3);
	assert_int_equal(steps_seen(db), 123);
	db_close(db);

	/* Reopening applies nothing again; a longer table applies only the new. */
	db = open_ok(t->path, steps, 3);
	assert_int_equal(steps_seen(db), 123);
	db_close(db);
	db = open_ok(t->path, steps, 4);
	assert_int_equal(int_query(db, "PRAGMA user_version"), 4);
	assert_int_equal(steps_seen(db), 1234);
	db_close(db);
}

static void a_failing_migration_rolls_back_all_pending_ones(void **state)
{
	struct tmpdb *t = *state;
	const struct db_migration broken[] = {
		steps[0], steps[1],
		{ 3, "INSERT INTO steps VALUES (3); INSERT INTO nowhere VALUES (1);" },
	};
	sqlite3 *db = open_ok(t->path, steps, 1);

	db_close(db);
	open_fails(t->path, broken, 3, GFI_E_DB);

	/* Migration 2 ran before 3 failed, yet neither is left. */
	db = open_ok(t->path, steps, 1);
	assert_int_equal(int_query(db, "PRAGMA user_version"), 1);
	assert_int_equal(steps_seen(db), 1);
	db_close(db);
}

static void a_schema_newer_than_the_table_is_refused(void **state)
{
	struct tmpdb *t = *state;
	sqlite3 *db = open_ok(t->path, steps, 4);

	db_close(db);
	open_fails(t->path, steps, 2, GFI_E_DB);
	/* and left as it was */
	db = open_ok(t->path, steps, 4);
	assert_int_equal(steps_seen(db), 1234);
	db_close(db);
}

static void a_misnumbered_migration_table_is_refused(void **state)
{
	struct tmpdb *t = *state;
	const struct db_migration skips[] = { steps[0], steps[2] };

	open_fails(t->path, skips, 2, GFI_E_INVAL);
}

static void a_new_file_gets_exactly_its_mode_and_wal(void **state)
{
	struct tmpdb *t = *state;
	struct db_spec spec = spec_of(steps, 1);
	char wal[128];
	struct stat st;
	sqlite3 *db = NULL;
	mode_t old = umask(077); /* would narrow 0640 to 0600 */

	spec.file_mode = 0640;
	assert_int_equal(db_open(t->path, &spec, &db), GFI_OK);
	umask(old);
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	/* The write made the WAL file, with the database's mode. */
	snprintf(wal, sizeof(wal), "%s-wal", t->path);
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(int_query(db, "PRAGMA synchronous"), 2); /* FULL */
	db_close(db);

	/* An existing file keeps its mode. */
	assert_int_equal(chmod(t->path, 0644), 0);
	db = open_ok(t->path, steps, 1);
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	db_close(db);
}

struct row {
	char name[8];
	int64_t n;
	double x;
	char blob[4];
	int name_null;
};

static void row_decode(sqlite3_stmt *st, void *p)
{
	struct row *r = p;

	memset(r, 0, sizeof(*r));
	r->name_null = sqlite3_column_type(st, 0) == SQLITE_NULL;
	db_column_text(st, 0, r->name, sizeof(r->name));
	r->n = sqlite3_column_int64(st, 1);
	r->x = db_column_double(st, 2);
	if (sqlite3_column_bytes(st, 3) == 4)
		memcpy(r->blob, sqlite3_column_blob(st, 3), 4);
}

/* Keeps the rows it is given; stops after ctx->stop_after of them. */
struct collected {
	struct row rows[4];
	int n, stop_after;
};

static int collect(void *ctx, const void *row)
{
	struct collected *c = ctx;

	c->rows[c->n++] = *(const struct row *)row;
	return c->n == c->stop_after;
}

static void insert_row(sqlite3 *db, sqlite3_stmt *ins, const char *name,
		       int64_t n, double x, const char *blob)
{
	db_bind_text(ins, 1, name);
	db_bind_int64(ins, 2, n);
	db_bind_double(ins, 3, x);
	db_bind_blob(ins, 4, blob, 4);
	assert_int_equal(db_step_done(db, ins, "insert"), GFI_OK);
}

static void binds_round_trip_through_list_and_get(void **state)
{
	struct tmpdb *t = *state;
	const struct db_migration m[] = {
		{ 1, "CREATE TABLE r (name TEXT, n INTEGER, x REAL, b BLOB);" },
	};
	sqlite3 *db = open_ok(t->path, m, 1);
	sqlite3_stmt *ins = NULL, *sel = NULL;
	const char unterminated[4] = { 'a', 'b', 'c', 'd' };
	struct collected c = { .stop_after = 0 };
	struct row one;

	assert_int_equal(db_prepare(db, "INSERT INTO r VALUES (?1, ?2, ?3, ?4)", 1,
				    &ins), GFI_OK);
	insert_row(db, ins, "first", INT64_MAX, 2.5, "\1\2\3\4");
	insert_row(db, ins, NULL, -7, NAN, "wxyz");
	db_bind_field(ins, 1, unterminated, 3); /* never past the array */
	assert_int_equal(db_step_done(db, ins, "insert"), GFI_OK);
	sqlite3_finalize(ins);

	assert_int_equal(db_prepare(db, "SELECT name, n, x, b FROM r WHERE n < ?1 "
				    "OR n IS NULL ORDER BY rowid", 0, &sel), GFI_OK);
	db_bind_int64(sel, 1, INT64_MAX);
	assert_int_equal(db_list(db, sel, row_decode, &one, collect, &c, "list"),
			 GFI_OK);
	assert_int_equal(c.n, 2);
	assert_true(c.rows[0].name_null);
	assert_int_equal(c.rows[0].n, -7);
	assert_true(isnan(c.rows[0].x));
	assert_memory_equal(c.rows[0].blob, "wxyz", 4);
	assert_string_equal(c.rows[1].name, "abc");
	assert_int_equal(c.rows[1].n, 0);

	/* The callback stops a listing without an error; bindings were
	 * cleared, so the statement is bound again. */
	c.n = 0;
	c.stop_after = 1;
	db_bind_int64(sel, 1, INT64_MAX);
	assert_int_equal(db_list(db, sel, row_decode, &one, collect, &c, "list"),
			 GFI_OK);
	assert_int_equal(c.n, 1);
	sqlite3_finalize(sel);

	/* A plain listing in one call: every row, in order. */
	c.n = 0;
	c.stop_after = 0;
	assert_int_equal(db_query(db, "SELECT name, n, x, b FROM r ORDER BY n DESC",
				  row_decode, &one, collect, &c, "query"), GFI_OK);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.rows[0].name, "first");
	assert_int_equal(c.rows[1].n, -7);
	assert_string_equal(c.rows[2].name, "abc"); /* NULL n sorts last */

	assert_int_equal(db_prepare(db, "SELECT name, n, x, b FROM r WHERE name = ?1",
				    0, &sel), GFI_OK);
	db_bind_text(sel, 1, "first");
	assert_int_equal(db_get(db, sel, row_decode, &one, "get"), GFI_OK);
	assert_string_equal(one.name, "first");
	assert_true(one.n == INT64_MAX);
	assert_true(one.x == 2.5);
	assert_memory_equal(one.blob, "\1\2\3\4", 4);
	db_bind_text(sel, 1, "nobody");
	assert_int_equal(db_get(db, sel, row_decode, &one, "get"), GFI_E_NOTFOUND);
	sqlite3_finalize(sel);
	db_close(db);
}

static void sqlite_codes_become_gfi_codes_in_one_place(void **state)
{
	struct tmpdb *t = *state;
	const struct db_migration m[] = { { 1, "CREATE TABLE u (k TEXT PRIMARY KEY);" } };
	sqlite3 *db = open_ok(t->path, m, 1);
	sqlite3_stmt *ins = NULL;
	int saved = gfi_log_threshold;

	gfi_log_set_level(-1);
	assert_int_equal(db_fail(db, "x", SQLITE_FULL), GFI_E_FULL);
	assert_int_equal(db_fail(db, "x", SQLITE_IOERR_WRITE), GFI_E_FULL);
	assert_int_equal(db_fail(db, "x", SQLITE_IOERR_READ), GFI_E_DB);
	assert_int_equal(db_fail(db, "x", SQLITE_CORRUPT), GFI_E_DB);
	assert_int_equal(db_fail(NULL, "x", SQLITE_CANTOPEN), GFI_E_DB);
	assert_int_equal(db_exec(db, "SELECT * FROM nowhere", "x"), GFI_E_DB);
	gfi_log_set_level(saved);

	/* A key taken is an answer, GFI_E_EXISTS, and the statement is
	 * reusable at once. */
	assert_int_equal(db_prepare(db, "INSERT INTO u VALUES (?1)", 0, &ins), GFI_OK);
	db_bind_text(ins, 1, "k");
	assert_int_equal(db_step_done(db, ins, "insert"), GFI_OK);
	db_bind_text(ins, 1, "k");
	assert_int_equal(db_step_done(db, ins, "insert"), GFI_E_EXISTS);
	db_bind_text(ins, 1, "other");
	assert_int_equal(db_step_done(db, ins, "insert"), GFI_OK);
	sqlite3_finalize(ins);
	assert_int_equal(int_query(db, "SELECT count(*) FROM u"), 2);
	db_close(db);
}

#define T(f) cmocka_unit_test_setup_teardown(f, tmpdb_setup, tmpdb_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(migrations_run_once_each_in_order),
		T(a_failing_migration_rolls_back_all_pending_ones),
		T(a_schema_newer_than_the_table_is_refused),
		T(a_misnumbered_migration_table_is_refused),
		T(a_new_file_gets_exactly_its_mode_and_wal),
		T(binds_round_trip_through_list_and_get),
		T(sqlite_codes_become_gfi_codes_in_one_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * store_import.c — the store's half of history imports (store_import.h;
 * docs/import.md): the imports table, readings brought by an
 * import, and the rollups of the days they touch.
 *
 * Why its own file: ingest's hot path (store_ingest.c) stays as it is; an
 * import inserts its readings marked with its id, then rebuilds each
 * touched (series, day) from raw readings, which is exact whatever order
 * the file had, bounded by one day of one series per rebuild.
 *
 * Invariants:
 *  - readings.import_id is 0 for a gateway-signed reading and the id of the
 *    import otherwise; an import never replaces a stored reading;
 *  - after store_import_finish, every rollup row of a touched day equals
 *    what ingest's own recompute gives from the day's raw readings (the
 *    same fold, store_day_append, and store_status_flagged), and
 *    rollup_imports.imported counts that day's readings with import_id != 0.
 */
#include "store-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "error.h"
#include "grow.h"
#include "quantity.h"

/* ---- the imports table ---- */

int store_import_add(struct store *s, const struct store_import *rec,
		     int64_t *id)
{
	int ret = db_run(s->db,
		"INSERT INTO imports (file, sha256, rows, inserted, present, skipped, "
		"by, imported_s, pending) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1)",
		DB_ARGS(DB_TEXT(rec->file), DB_TEXT(rec->sha256), DB_INT(rec->rows),
			DB_INT(rec->inserted), DB_INT(rec->present), DB_INT(rec->skipped),
			DB_TEXT(rec->by), DB_INT(rec->imported_s)),
		"import record");

	if (ret == GFI_OK)
		*id = sqlite3_last_insert_rowid(s->db);
	return ret;
}

int store_import_update(struct store *s, const struct store_import *rec)
{
	return db_run(s->db,
		"UPDATE imports SET rows = ?2, inserted = ?3, present = ?4, "
		"skipped = ?5 WHERE id = ?1",
		DB_ARGS(DB_INT(rec->id), DB_INT(rec->rows), DB_INT(rec->inserted),
			DB_INT(rec->present), DB_INT(rec->skipped)),
		"import update");
}

int store_import_publish(struct store *s, int64_t id)
{
	return db_run(s->db, "UPDATE imports SET pending = 0 WHERE id = ?1",
		      DB_ARGS(DB_INT(id)), "import publish");
}

static void import_list_decode(sqlite3_stmt *st, void *row)
{
	struct store_import *r = row;

	DB_ROW(st, r, DB_COL_INT(r->id), DB_COL_TEXT(r->file), DB_COL_TEXT(r->sha256),
	       DB_COL_INT(r->rows), DB_COL_INT(r->inserted), DB_COL_INT(r->present),
	       DB_COL_INT(r->skipped), DB_COL_TEXT(r->by), DB_COL_INT(r->imported_s));
}

int store_import_list(struct store *s, store_row_fn fn, void *ctx)
{
	struct store_import r;

	return db_query(s->db,
			"SELECT id, file, sha256, rows, inserted, present, skipped, by, "
			"imported_s FROM imports WHERE pending = 0 ORDER BY id",
			import_list_decode, &r, fn, ctx, "import list");
}

/* ---- readings ---- */

/* The importer's statements, prepared once per import. */
enum importer_stmt { IM_SERIES_ADD, IM_SERIES_GET, IM_INSERT, IM_HELD, IM_N };

static const char *const importer_sql[IM_N] = {
	[IM_SERIES_ADD] = "INSERT INTO series (gateway, meter, point, quantity) "
			  "VALUES (?1, ?2, ?3, ?4) "
			  "ON CONFLICT (gateway, meter, point) DO NOTHING",
	[IM_SERIES_GET] = "SELECT id FROM series WHERE gateway = ?1 AND "
			  "meter = ?2 AND point = ?3",
	[IM_INSERT] = "INSERT OR IGNORE INTO readings (series, time_s, "
		      "value, status, detail, import_id) "
		      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[IM_HELD] = "SELECT value, status, detail, import_id FROM "
		    "readings WHERE series = ?1 AND time_s = ?2",
};

struct store_importer {
	struct store *s;
	int64_t id;
	sqlite3_stmt *st[IM_N];
	/* The series of the last reading, so a file of one series after
	 * another does not look it up per row; valid for this transaction. */
	int has_memo;
	char gateway[GFI_ID_MAX], meter[GFI_ID_MAX], point[GFI_ID_MAX];
	int64_t series;
	int64_t *created;         /* series this import created */
	size_t ncreated, created_cap;
};

void store_importer_free(struct store_importer *im)
{
	if (im == NULL)
		return;
	db_finalize_all(im->st, IM_N);
	free(im->created);
	free(im);
}

int store_importer_new(struct store *s, int64_t id, struct store_importer **out)
{
	struct store_importer *im = calloc(1, sizeof(*im));
	int ret;

	*out = NULL;
	if (im == NULL)
		return GFI_E_NOMEM;
	im->s = s;
	im->id = id;
	ret = db_prepare_all(s->db, importer_sql, IM_N, im->st);
	if (ret == GFI_OK)
		*out = im;
	else
		store_importer_free(im);
	return ret;
}

/* Remember that im->series was created by this import (for discard). */
static int note_created(struct store_importer *im)
{
	int64_t *nv = gfi_grow(im->created, &im->created_cap, im->ncreated,
			       sizeof(*nv), 16);

	if (nv == NULL)
		return GFI_E_NOMEM;
	im->created = nv;
	im->created[im->ncreated++] = im->series;
	return GFI_OK;
}

/* The series id of (gateway, meter, point), created with r's quantity. */
static int series_of(struct store_importer *im, const char *gateway,
		     const struct gfi_reading *r)
{
	sqlite3_stmt *st = im->st[IM_SERIES_ADD];
	int ret, rc, created;

	if (im->has_memo && strcmp(im->gateway, gateway) == 0 &&
	    strcmp(im->meter, r->meter) == 0 && strcmp(im->point, r->point) == 0)
		return GFI_OK;
	im->has_memo = 0;
	sqlite3_reset(st);
	db_bind_text(st, 1, gateway);
	db_bind_text(st, 2, r->meter);
	db_bind_text(st, 3, r->point);
	db_bind_text(st, 4, r->quantity);
	if ((ret = db_step_done(im->s->db, st, "series insert")) != GFI_OK)
		return ret;
	created = sqlite3_changes(im->s->db) == 1;
	st = im->st[IM_SERIES_GET];
	sqlite3_reset(st);
	db_bind_text(st, 1, gateway);
	db_bind_text(st, 2, r->meter);
	db_bind_text(st, 3, r->point);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return store_fail(im->s, "series read", rc);
	im->series = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (created && (ret = note_created(im)) != GFI_OK)
		return ret;
	snprintf(im->gateway, sizeof(im->gateway), "%s", gateway);
	snprintf(im->meter, sizeof(im->meter), "%s", r->meter);
	snprintf(im->point, sizeof(im->point), "%s", r->point);
	im->has_memo = 1;
	return GFI_OK;
}

/* The reading held at (series, time): 1 found, 0 none, or GFI_E_DB. */
static int held_reading(struct store_importer *im, int64_t time_s,
			struct gfi_reading *held, int64_t *held_import)
{
	sqlite3_stmt *st = im->st[IM_HELD];
	int rc;

	sqlite3_reset(st);
	db_bind_int64(st, 1, im->series);
	db_bind_int64(st, 2, time_s);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		held->time_s = time_s;
		held->value = sqlite3_column_type(st, 0) == SQLITE_NULL
				      ? NAN : sqlite3_column_double(st, 0);
		held->status = sqlite3_column_int(st, 1);
		held->detail = sqlite3_column_int(st, 2);
		*held_import = sqlite3_column_int64(st, 3);
		sqlite3_reset(st);
		return 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : store_fail(im->s, "reading read", rc);
}

static int same_reading(const struct gfi_reading *a, const struct gfi_reading *b)
{
	if (a->status != b->status || a->detail != b->detail)
		return 0;
	if (isnan(a->value) || isnan(b->value))
		return isnan(a->value) && isnan(b->value);
	return a->value == b->value;
}

/* r as stored into *mine (no value: NaN); GFI_E_RANGE for a valued status
 * without a finite value. */
static int as_stored(const struct gfi_reading *r, struct gfi_reading *mine)
{
	*mine = *r;
	if (!gfi_status_has_value(r->status))
		mine->value = NAN;
	else if (!isfinite(r->value))
		return GFI_E_RANGE;
	return GFI_OK;
}

int store_importer_add(struct store_importer *im, const char *gateway,
		       const struct gfi_reading *r, int *outcome,
		       struct gfi_reading *held, int64_t *held_import)
{
	int has_value = gfi_status_has_value(r->status);
	struct gfi_reading mine;
	sqlite3_stmt *st = im->st[IM_INSERT];
	int ret;

	if ((ret = as_stored(r, &mine)) != GFI_OK ||
	    (ret = series_of(im, gateway, r)) != GFI_OK)
		return ret;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	db_bind_int64(st, 1, im->series);
	db_bind_int64(st, 2, r->time_s);
	if (has_value)
		db_bind_double(st, 3, r->value);
	db_bind_int64(st, 4, r->status);
	db_bind_int64(st, 5, r->detail);
	db_bind_int64(st, 6, im->id);
	if ((ret = db_step_done(im->s->db, st, "import reading insert")) != GFI_OK)
		return ret;
	if (sqlite3_changes(im->s->db) == 1) {
		*outcome = STORE_IMPORT_INSERTED;
		return GFI_OK;
	}
	*held = mine;
	*held_import = 0;
	ret = held_reading(im, r->time_s, held, held_import);
	if (ret < 0)
		return ret;
	if (ret == 0)     /* ignored yet not held: cannot happen in a transaction */
		return store_fail(im->s, "import reading insert", SQLITE_INTERNAL);
	*outcome = same_reading(&mine, held) ? STORE_IMPORT_PRESENT
					     : STORE_IMPORT_COLLIDES;
	return GFI_OK;
}

/* Rows deleted per transaction by store_import_discard. */
#define DISCARD_CHUNK 5000
#define SQL_NUM_(x) #x
#define SQL_NUM(x) SQL_NUM_(x)

/* One write in its own transaction (store_begin .. commit). */
static int run_alone(struct store *s, const char *sql, int64_t v, const char *what)
{
	int ret = store_begin(s);

	if (ret == GFI_OK)
		ret = db_run(s->db, sql, DB_ARGS(DB_INT(v)), what);
	if (ret == GFI_OK)
		return store_commit(s);
	store_rollback(s);
	return ret;
}

int store_import_discard(struct store *s, struct store_importer *im, int64_t id)
{
	int ret;

	do {
		ret = run_alone(s, "DELETE FROM readings WHERE (series, time_s) IN "
				"(SELECT series, time_s FROM readings WHERE import_id = ?1 "
				"AND import_id != 0 LIMIT " SQL_NUM(DISCARD_CHUNK) ")", id, "import discard");
	} while (ret == GFI_OK && sqlite3_changes(s->db) == DISCARD_CHUNK);
	for (size_t i = 0; ret == GFI_OK && im != NULL && i < im->ncreated; i++)
		ret = run_alone(s, "DELETE FROM series WHERE id = ?1 AND NOT EXISTS "
				"(SELECT 1 FROM readings WHERE series = ?1)", im->created[i],
				"import discard series");
	if (ret == GFI_OK)
		ret = run_alone(s, "DELETE FROM rollup_staged WHERE import_id = ?1", id,
				"import discard");
	if (ret == GFI_OK)
		ret = run_alone(s, "DELETE FROM imports WHERE id = ?1 AND pending = 1", id,
				"import discard");
	return ret;
}

int store_import_snapshot(struct store *s)
{
	return db_exec(s->db, "BEGIN DEFERRED", "import snapshot");
}

/* The id of (gateway, r's meter, point) into im->series without creating
 * it: 1 held, 0 not. */
static int series_held(struct store_importer *im, const char *gateway,
		       const struct gfi_reading *r)
{
	sqlite3_stmt *st = im->st[IM_SERIES_GET];
	int rc;

	sqlite3_reset(st);
	db_bind_text(st, 1, gateway);
	db_bind_text(st, 2, r->meter);
	db_bind_text(st, 3, r->point);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		im->series = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(im->s, "series read", rc);
	return rc == SQLITE_ROW;
}

int store_importer_check(struct store_importer *im, const char *gateway,
			 const struct gfi_reading *r, int *outcome,
			 struct gfi_reading *held, int64_t *held_import)
{
	struct gfi_reading mine;
	int ret;

	*outcome = STORE_IMPORT_INSERTED;
	if ((ret = as_stored(r, &mine)) != GFI_OK ||
	    (ret = series_held(im, gateway, r)) <= 0)
		return ret;
	*held = mine;
	*held_import = 0;
	if ((ret = held_reading(im, r->time_s, held, held_import)) <= 0)
		return ret;
	*outcome = same_reading(&mine, held) ? STORE_IMPORT_PRESENT
					     : STORE_IMPORT_COLLIDES;
	return GFI_OK;
}

/* ---- rollups of the days an import touched ---- */

struct day_key {
	int64_t series, day_s;
};

static void text_decode(sqlite3_stmt *st, void *row)
{
	db_column_text(st, 0, row, GFI_QNAME_MAX);
}

static int series_kind(struct store *s, int64_t series, enum gfi_qkind *kind)
{
	char quantity[GFI_QNAME_MAX] = "";
	const struct gfi_quantity *q;
	int ret = db_select_one(s->db, "SELECT quantity FROM series WHERE id = ?1",
				DB_ARGS(DB_INT(series)), text_decode, quantity,
				"series kind");

	if (ret == GFI_E_NOTFOUND)
		ret = store_fail(s, "series kind", SQLITE_DONE);
	if (ret != GFI_OK)
		return ret;
	if ((q = gfi_quantity_find(quantity)) == NULL)
		return GFI_E_INVAL;
	*kind = q->kind;
	return GFI_OK;
}

/* The statements of a rollup rebuild for import id: rd reads a day's raw
 * readings (published ones and id's own), then either put and imp write
 * the live rollup and its imported count, or staged writes rollup_staged
 * with the live row's count and bad as its base. */
struct rebuild {
	int64_t id;
	sqlite3_stmt *rd, *put, *imp, *staged;
};

#define DAY_COLS_SQL "count, bad, first_s, first_v, last_s, last_v, min_v, " \
	"max_v, integral, flagged"

static void rebuild_free(struct rebuild *b)
{
	sqlite3_finalize(b->rd);
	sqlite3_finalize(b->put);
	sqlite3_finalize(b->imp);
	sqlite3_finalize(b->staged);
	memset(b, 0, sizeof(*b));
}

static int rebuild_prepare(struct store *s, int64_t id, int staged,
			   struct rebuild *b)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->id = id;
	ret = store_prepare(s, "SELECT time_s, value, status, import_id FROM readings r "
			    "WHERE series = ?1 AND time_s >= ?2 AND time_s < ?3 AND "
			    "(r.import_id = ?4 OR " STORE_READING_PUBLISHED("r") ") "
			    "ORDER BY time_s", &b->rd);
	if (ret == GFI_OK && staged)
		ret = store_prepare(s, "INSERT OR REPLACE INTO rollup_staged (series, "
			"day_s, " DAY_COLS_SQL ", import_id, imported, base_count, "
			"base_bad) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
			"?12, ?13, ?14, (SELECT count FROM rollups WHERE series = ?1 AND "
			"day_s = ?2), (SELECT bad FROM rollups WHERE series = ?1 AND "
			"day_s = ?2))", &b->staged);
	if (ret == GFI_OK && !staged)
		ret = store_prepare(s, "INSERT OR REPLACE INTO rollups (series, day_s, "
			DAY_COLS_SQL ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
			"?11, ?12)", &b->put);
	if (ret == GFI_OK && !staged)
		ret = store_prepare(s, "INSERT OR REPLACE INTO rollup_imports (series, "
				    "day_s, imported) VALUES (?1, ?2, ?3)", &b->imp);
	if (ret != GFI_OK)
		rebuild_free(b);
	return ret;
}

/* Fold day k's raw readings into *d; *imported counts the imported ones. */
static int day_fold(struct store *s, sqlite3_stmt *rd, int64_t id,
		    const struct day_key *k, enum gfi_qkind kind, struct store_day *d,
		    int64_t *imported)
{
	int rc;

	memset(d, 0, sizeof(*d));
	*imported = 0;
	sqlite3_reset(rd);
	db_bind_int64(rd, 1, k->series);
	db_bind_int64(rd, 2, k->day_s);
	db_bind_int64(rd, 3, k->day_s + 86400);
	db_bind_int64(rd, 4, id);
	while ((rc = sqlite3_step(rd)) == SQLITE_ROW) {
		d->flagged += store_status_flagged(sqlite3_column_int(rd, 2));
		*imported += sqlite3_column_int64(rd, 3) != 0;
		if (sqlite3_column_type(rd, 1) == SQLITE_NULL)
			d->bad++;
		else
			store_day_append(d, kind, sqlite3_column_int64(rd, 0),
					 sqlite3_column_double(rd, 1));
	}
	if (rc != SQLITE_DONE)
		return store_fail(s, "import rollup read", rc);
	return GFI_OK;
}

static int day_rebuild(struct store *s, struct rebuild *b, const struct day_key *k,
		       enum gfi_qkind kind)
{
	sqlite3_stmt *st = b->staged ? b->staged : b->put;
	struct store_day d;
	int64_t imported = 0;
	int rc, ret = day_fold(s, b->rd, b->id, k, kind, &d, &imported);

	if (ret != GFI_OK)
		return ret;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	store_day_bind(st, k->series, k->day_s, &d);
	if (b->staged != NULL) {
		db_bind_int64(b->staged, 13, b->id);
		db_bind_int64(b->staged, 14, imported);
		rc = sqlite3_step(b->staged);
		return rc == SQLITE_DONE ? GFI_OK : store_fail(s, "import rollup stage", rc);
	}
	if ((rc = sqlite3_step(b->put)) != SQLITE_DONE)
		return store_fail(s, "import rollup write", rc);
	sqlite3_reset(b->imp);
	db_bind_int64(b->imp, 1, k->series);
	db_bind_int64(b->imp, 2, k->day_s);
	db_bind_int64(b->imp, 3, imported);
	if ((rc = sqlite3_step(b->imp)) != SQLITE_DONE)
		return store_fail(s, "import count write", rc);
	return GFI_OK;
}

/* day_rebuild over v[from..to), each series' kind looked up once. */
static int rebuild_days(struct store *s, struct rebuild *b, const struct day_key *v,
			size_t from, size_t to)
{
	enum gfi_qkind kind = GFI_COUNTER;
	int64_t kind_of = -1;
	int ret = GFI_OK;

	for (size_t i = from; ret == GFI_OK && i < to; i++) {
		if (v[i].series != kind_of) {
			if ((ret = series_kind(s, v[i].series, &kind)) != GFI_OK)
				break;
			kind_of = v[i].series;
		}
		ret = day_rebuild(s, b, &v[i], kind);
	}
	return ret;
}

/* The touched days collected so far (touched_days). */
struct day_list {
	struct day_key *v;
	size_t n, cap;
	int ret;
};

static void day_key_decode(sqlite3_stmt *st, void *row)
{
	struct day_key *d = row;

	d->series = sqlite3_column_int64(st, 0);
	d->day_s = calendar_day_start(sqlite3_column_int64(st, 1));
}

/* Append d unless it repeats the last day: rows come in series, time order. */
static int day_append(void *ctx, const void *row)
{
	struct day_list *l = ctx;
	const struct day_key *d = row;
	struct day_key *nv;

	if (l->n > 0 && l->v[l->n - 1].series == d->series &&
	    l->v[l->n - 1].day_s == d->day_s)
		return 0;
	nv = gfi_grow(l->v, &l->cap, l->n, sizeof(*nv), 256);
	if (nv == NULL) {
		l->ret = GFI_E_NOMEM;
		return 1;
	}
	l->v = nv;
	l->v[l->n++] = *d;
	return 0;
}

/* The (series, day) pairs import id touched, in series and day order. */
static int touched_days(struct store *s, int64_t id, struct day_key **out,
			size_t *n)
{
	struct day_list l = { NULL, 0, 0, GFI_OK };
	struct day_key row;
	/* "import_id != 0" lets SQLite use the partial index (it cannot
	 * tell that ?1 is not 0); without it this scans every reading. */
	int ret = db_select(s->db, "SELECT series, time_s FROM readings WHERE import_id = ?1 "
			    "AND import_id != 0 ORDER BY series, time_s", DB_ARGS(DB_INT(id)),
			    day_key_decode, &row, day_append, &l, "import days");

	if (ret == GFI_OK)
		ret = l.ret;
	if (ret != GFI_OK) {
		free(l.v);
		l.v = NULL;
		l.n = 0;
	}
	*out = l.v;
	*n = l.n;
	return ret;
}

/* Days rebuilt between two looks at the clock. */
#define STAGE_STEP_DAYS 16

int64_t store_import_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void store_import_yield(void)
{
	struct timespec ts = { 0, IMPORT_YIELD_MS * 1000000L };

	nanosleep(&ts, NULL);
}

/* v[*i..n) staged in one transaction of at most IMPORT_HOLD_MS. */
static int stage_some(struct store *s, struct rebuild *b, const struct day_key *v,
		      size_t *i, size_t n)
{
	int64_t t0 = store_import_clock_ms();
	int ret = store_begin(s);

	while (ret == GFI_OK && *i < n && store_import_clock_ms() - t0 < IMPORT_HOLD_MS) {
		size_t end = *i + STAGE_STEP_DAYS < n ? *i + STAGE_STEP_DAYS : n;
		ret = rebuild_days(s, b, v, *i, end);
		*i = end;
	}
	if (ret == GFI_OK)
		return store_commit(s);
	store_rollback(s);
	return ret;
}

int store_import_stage_rollups(struct store *s, int64_t id, int64_t *days)
{
	struct rebuild b;
	struct day_key *v = NULL;
	size_t n = 0, i = 0;
	int ret = touched_days(s, id, &v, &n);

	if (ret == GFI_OK)
		ret = rebuild_prepare(s, id, 1, &b);
	while (ret == GFI_OK && i < n) {
		if ((ret = stage_some(s, &b, v, &i, n)) == GFI_OK && i < n)
			store_import_yield();
	}
	if (ret == GFI_OK && days != NULL)
		*days = (int64_t)n;
	rebuild_free(&b);
	free(v);
	return ret;
}

/* The staged days of import id whose live rollup changed since staging
 * (ingest stored a reading of that day meanwhile). */
static int changed_days(struct store *s, int64_t id, struct day_key **out, size_t *n)
{
	struct day_list l = { NULL, 0, 0, GFI_OK };
	struct day_key row;
	int ret = db_select(s->db, "SELECT st.series, st.day_s FROM rollup_staged st "
		"LEFT JOIN rollups r ON r.series = st.series AND r.day_s = st.day_s "
		"WHERE st.import_id = ?1 AND (r.count IS NOT st.base_count OR "
		"r.bad IS NOT st.base_bad) ORDER BY st.series, st.day_s",
		DB_ARGS(DB_INT(id)), day_key_decode, &row, day_append, &l, "import changed days");

	if (ret == GFI_OK)
		ret = l.ret;
	*out = l.v;
	*n = ret == GFI_OK ? l.n : 0;
	return ret;
}

int store_import_finish(struct store *s, int64_t id, int64_t *days)
{
	struct rebuild b;
	struct day_key *v = NULL;
	size_t n = 0;
	int ret = changed_days(s, id, &v, &n);

	if (ret == GFI_OK)
		ret = db_run(s->db, "INSERT OR REPLACE INTO rollups (series, day_s, "
			     DAY_COLS_SQL ") SELECT series, day_s, " DAY_COLS_SQL
			     " FROM rollup_staged WHERE import_id = ?1",
			     DB_ARGS(DB_INT(id)), "import rollup publish");
	if (ret == GFI_OK)
		ret = db_run(s->db, "INSERT OR REPLACE INTO rollup_imports (series, "
			     "day_s, imported) SELECT series, day_s, imported FROM "
			     "rollup_staged WHERE import_id = ?1", DB_ARGS(DB_INT(id)),
			     "import count publish");
	if (ret == GFI_OK && n > 0 && (ret = rebuild_prepare(s, id, 0, &b)) == GFI_OK) {
		ret = rebuild_days(s, &b, v, 0, n);
		rebuild_free(&b);
	}
	if (ret == GFI_OK)
		ret = db_run(s->db, "DELETE FROM rollup_staged WHERE import_id = ?1",
			     DB_ARGS(DB_INT(id)), "import staged delete");
	if (ret == GFI_OK && days != NULL)
		*days = (int64_t)n;
	free(v);
	return ret;
}

/* ---- reading back ---- */

/* One sum over a series' days: sql binds gateway, meter, point, from, to. */
static int series_sum(struct store *s, const char *sql, const char *gateway,
		      const char *meter, const char *point, int64_t from_day_s,
		      int64_t to_day_s, int64_t *out)
{
	return db_scalar(s->db, sql, DB_ARGS(DB_TEXT(gateway), DB_TEXT(meter),
					     DB_TEXT(point), DB_INT(from_day_s),
					     DB_INT(to_day_s)), out, "import share");
}

int store_import_share(struct store *s, const char *gateway, const char *meter,
		       const char *point, int64_t from_day_s, int64_t to_day_s,
		       int64_t *readings, int64_t *imported)
{
	/* Two range scans on primary keys; rollup_imports only has rows for
	 * days an import touched. */
	int ret = series_sum(s,
		"SELECT coalesce(sum(r.count + r.bad), 0) FROM series s "
		"JOIN rollups r ON r.series = s.id WHERE s.gateway = ?1 AND "
		"s.meter = ?2 AND s.point = ?3 AND r.day_s >= ?4 AND r.day_s < ?5",
		gateway, meter, point, from_day_s, to_day_s, readings);

	*imported = 0;
	if (ret == GFI_OK)
		ret = series_sum(s,
			"SELECT coalesce(sum(i.imported), 0) FROM series s "
			"JOIN rollup_imports i ON i.series = s.id WHERE s.gateway = ?1 "
			"AND s.meter = ?2 AND s.point = ?3 AND i.day_s >= ?4 AND "
			"i.day_s < ?5", gateway, meter, point, from_day_s, to_day_s,
			imported);
	return ret;
}

int store_import_any(struct store *s, int *any)
{
	int64_t yes = 0;
	int ret = db_scalar(s->db, "SELECT EXISTS (SELECT 1 FROM rollup_imports)",
			    NULL, 0, &yes, "import any");

	*any = yes != 0;
	return ret;
}

int store_imported_count(struct store *s, const char *gateway,
			 const char *meter, const char *point, int64_t from_s,
			 int64_t to_s, int64_t *n)
{
	return db_scalar(s->db,
		"SELECT count(*) FROM readings r JOIN series s ON s.id = r.series "
		"WHERE s.gateway = ?1 AND s.meter = ?2 AND s.point = ?3 "
		"AND r.time_s >= ?4 AND r.time_s <= ?5 AND r.import_id != 0 AND "
		STORE_READING_PUBLISHED("r"),
		DB_ARGS(DB_TEXT(gateway), DB_TEXT(meter), DB_TEXT(point),
			DB_INT(from_s), DB_INT(to_s)), n, "imported count");
}

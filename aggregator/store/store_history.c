/*
 * store_history.c — filing snapshots, late marks and batch time flags
 * (store_history.h).
 *
 * Why here: a filed table is the city's statement of a year; what arrives
 * later must neither change it silently nor be lost. The snapshot keeps the
 * filed bytes; the late marks and the flags are the trail of what came
 * after or looked wrong.
 *
 * Invariants: snapshots are only added (one per filing, by filed_s), never
 * changed; a reading is marked late at most once (its key).
 */
#include "store-private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "sign.h"

int store_filing_snapshot_put(struct store *s, const char *unit, int year,
			      int64_t filed_s, const char *format,
			      const void *bytes, size_t len, double energy_tce)
{
	char hex[2 * GFI_SHA256_LEN + 1];
	uint8_t h[GFI_SHA256_LEN];

	gfi_sha256(bytes, len, h);
	return db_run(s->db, "INSERT OR REPLACE INTO filing_snapshots (unit, year, "
		      "filed_s, format, bytes, sha256, energy_tce) VALUES "
		      "(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
		      DB_ARGS(DB_TEXT(unit), DB_INT(year), DB_INT(filed_s),
			      DB_TEXT(format), DB_BLOB(bytes, len),
			      DB_TEXT(gfi_hex(h, sizeof(h), hex)), DB_REAL(energy_tce)),
		      "filing snapshot");
}

struct snap_row {
	char *bytes;
	size_t len;
	int64_t filed_s;
	double energy;
	int nomem;
};

static void snap_decode(sqlite3_stmt *st, void *row)
{
	struct snap_row *r = row;
	size_t n = (size_t)sqlite3_column_bytes(st, 0);

	r->bytes = malloc(n + 1);
	if (r->bytes == NULL) {
		r->nomem = 1;
		return;
	}
	if (n > 0)
		memcpy(r->bytes, sqlite3_column_blob(st, 0), n);
	r->bytes[n] = '\0';
	r->len = n;
	r->filed_s = sqlite3_column_int64(st, 1);
	r->energy = db_column_double(st, 2);
}

int store_filing_snapshot_get(struct store *s, const char *unit, int year,
			      char **bytes, size_t *len, int64_t *filed_s,
			      double *energy_tce)
{
	struct snap_row r = { .energy = NAN };
	int ret = db_select_one(s->db, "SELECT bytes, filed_s, energy_tce FROM "
				"filing_snapshots WHERE unit = ?1 AND year = ?2 "
				"ORDER BY filed_s DESC LIMIT 1",
				DB_ARGS(DB_TEXT(unit), DB_INT(year)), snap_decode, &r,
				"filing snapshot");

	if (ret == GFI_OK && r.nomem)
		ret = GFI_E_NOMEM;
	if (ret != GFI_OK) {
		free(r.bytes);
		return ret;
	}
	*bytes = r.bytes;
	*len = r.len;
	*filed_s = r.filed_s;
	*energy_tce = r.energy;
	return GFI_OK;
}

struct filed_row {
	char unit[STORE_CODE_LEN + 1];
	int64_t filed_s;
};

static void filed_decode(sqlite3_stmt *st, void *row)
{
	struct filed_row *r = row;

	DB_ROW(st, r, DB_COL_TEXT(r->unit), DB_COL_INT(r->filed_s));
}

int store_filed_for_gateway(struct store *s, const char *gateway, int year,
			    char *unit, size_t unit_size, int64_t *filed_s)
{
	struct filed_row r;
	int ret = db_select_one(s->db, "SELECT f.unit, f.filed_s FROM filings f JOIN "
				"gateways g ON g.unit = f.unit WHERE g.id = ?1 AND "
				"f.year = ?2", DB_ARGS(DB_TEXT(gateway), DB_INT(year)),
				filed_decode, &r, "filed year");

	if (ret == GFI_E_NOTFOUND)
		return 0;
	if (ret != GFI_OK)
		return ret;
	snprintf(unit, unit_size, "%s", r.unit);
	*filed_s = r.filed_s;
	return 1;
}

int store_late_mark(struct store *s, const char *gateway, const struct gfi_reading *r,
		    const char *unit, int year, int64_t received_s)
{
	return db_run(s->db, "INSERT OR IGNORE INTO late_readings (gateway, meter, "
		      "point, time_s, unit, year, received_s) VALUES (?1, ?2, ?3, ?4, "
		      "?5, ?6, ?7)", DB_ARGS(DB_TEXT(gateway), DB_TEXT(r->meter),
		      DB_TEXT(r->point), DB_INT(r->time_s), DB_TEXT(unit), DB_INT(year),
		      DB_INT(received_s)), "late mark");
}

int store_late_count(struct store *s, const char *unit, int year, int64_t *n)
{
	return db_scalar(s->db, "SELECT count(*) FROM late_readings WHERE unit = ?1 "
			 "AND year = ?2", DB_ARGS(DB_TEXT(unit), DB_INT(year)), n,
			 "late count");
}

int store_batch_flag(struct store *s, const char *gateway, const char *epoch,
		     uint64_t seq, const char *reason, int64_t received_s)
{
	return db_run(s->db, "INSERT INTO batch_flags (gateway, epoch, seq, reason, "
		      "received_s) VALUES (?1, ?2, ?3, ?4, ?5)",
		      DB_ARGS(DB_TEXT(gateway), DB_TEXT(epoch), DB_INT(seq),
			      DB_TEXT(reason), DB_INT(received_s)), "batch flag");
}

int store_batch_flag_count(struct store *s, const char *gateway, int64_t *n)
{
	return db_scalar(s->db, "SELECT count(*) FROM batch_flags WHERE gateway = ?1",
			 DB_ARGS(DB_TEXT(gateway)), n, "flag count");
}

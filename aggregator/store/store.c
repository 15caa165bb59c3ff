/*
 * store.c — the core of the aggregator's SQLite store (store.h): its schema
 * migrations, opening (common/db.c: WAL, synchronous=FULL, busy timeout,
 * created 0600), transactions and the statement cache. Each part of the
 * store lives in its store_<part>.c with its header; all SQL of the
 * aggregator is in aggregator/store/ (DESIGN.md, "Store").
 *
 * Invariants kept by the schema itself: readings are unique by (series,
 * time); a series is one (gateway, meter, point); batches are unique by
 * (gateway, epoch, seq); chain.seq only moves to seq + 1 with a held batch.
 */
#include "store-private.h"

#include <stdlib.h>

#include "error.h"

#define BUSY_TIMEOUT_MS 10000

/*
 * Numbered migrations, applied in order at open inside one transaction with
 * the PRAGMA user_version bump. Never edit a shipped one; append.
 */
static const struct db_migration migrations[] = {
	/* 1: registry, batches, readings, rollups, quarantine, chain, gaps. */
	{ 1, "CREATE TABLE counties ("
	"  code TEXT PRIMARY KEY, name TEXT NOT NULL, retired INTEGER NOT NULL DEFAULT 0"
	") WITHOUT ROWID;"
	"CREATE TABLE units ("
	"  code TEXT PRIMARY KEY, name TEXT NOT NULL, kind INTEGER NOT NULL,"
	"  county TEXT NOT NULL REFERENCES counties(code), level INTEGER NOT NULL,"
	"  year_listed INTEGER NOT NULL, sector TEXT NOT NULL,"
	"  retired INTEGER NOT NULL DEFAULT 0"
	") WITHOUT ROWID;"
	"CREATE TABLE members ("
	"  park TEXT NOT NULL REFERENCES units(code),"
	"  member TEXT NOT NULL REFERENCES units(code),"
	"  PRIMARY KEY (park, member)"
	") WITHOUT ROWID;"
	"CREATE TABLE suppliers ("
	"  enterprise TEXT NOT NULL REFERENCES units(code),"
	"  supplier TEXT NOT NULL REFERENCES units(code),"
	"  PRIMARY KEY (enterprise, supplier)"
	") WITHOUT ROWID;"
	"CREATE TABLE gateways ("
	"  id TEXT PRIMARY KEY, unit TEXT NOT NULL REFERENCES units(code),"
	"  pubkey_pem TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1,"
	"  registered_s INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE TABLE meters ("
	"  gateway TEXT NOT NULL REFERENCES gateways(id), meter TEXT NOT NULL,"
	"  point TEXT NOT NULL, quantity TEXT NOT NULL, role INTEGER NOT NULL,"
	"  carrier TEXT NOT NULL DEFAULT '', counter_max REAL NOT NULL DEFAULT 0,"
	"  product TEXT NOT NULL DEFAULT '', product_unit TEXT NOT NULL DEFAULT '',"
	"  accuracy_pct REAL NOT NULL DEFAULT 0, registered_s INTEGER NOT NULL,"
	"  retired INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (gateway, meter, point)"
	") WITHOUT ROWID;"
	"CREATE TABLE replacements ("
	"  id INTEGER PRIMARY KEY, gateway TEXT NOT NULL, meter TEXT NOT NULL,"
	"  point TEXT NOT NULL, time_s INTEGER NOT NULL, old_final REAL NOT NULL,"
	"  new_initial REAL NOT NULL,"
	"  FOREIGN KEY (gateway, meter, point) REFERENCES meters(gateway, meter, point)"
	");"
	"CREATE TABLE facts ("
	"  unit TEXT NOT NULL REFERENCES units(code), year INTEGER NOT NULL,"
	"  month INTEGER NOT NULL, key TEXT NOT NULL, value REAL NOT NULL,"
	"  entered_by TEXT NOT NULL, entered_s INTEGER NOT NULL,"
	"  PRIMARY KEY (unit, year, month, key)"
	") WITHOUT ROWID;"
	"CREATE TABLE chain ("
	"  gateway TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash BLOB NOT NULL"
	") WITHOUT ROWID;"
	"CREATE TABLE batches ("
	"  gateway TEXT NOT NULL, seq INTEGER NOT NULL, hash BLOB NOT NULL,"
	"  payload BLOB NOT NULL, received_s INTEGER NOT NULL,"
	"  PRIMARY KEY (gateway, seq)"
	");"
	"CREATE TABLE series ("
	"  id INTEGER PRIMARY KEY, gateway TEXT NOT NULL, meter TEXT NOT NULL,"
	"  point TEXT NOT NULL, quantity TEXT NOT NULL,"
	"  UNIQUE (gateway, meter, point)"
	");"
	"CREATE TABLE readings ("
	"  series INTEGER NOT NULL REFERENCES series(id), time_s INTEGER NOT NULL,"
	"  value REAL, status INTEGER NOT NULL, detail INTEGER NOT NULL,"
	"  PRIMARY KEY (series, time_s)"
	") WITHOUT ROWID;"
	"CREATE TABLE rollups ("
	"  series INTEGER NOT NULL REFERENCES series(id), day_s INTEGER NOT NULL,"
	"  count INTEGER NOT NULL, bad INTEGER NOT NULL,"
	"  first_s INTEGER, first_v REAL, last_s INTEGER, last_v REAL,"
	"  min_v REAL, max_v REAL, integral REAL NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (series, day_s)"
	") WITHOUT ROWID;"
	"CREATE TABLE quarantine ("
	"  id INTEGER PRIMARY KEY, received_s INTEGER NOT NULL, topic TEXT NOT NULL,"
	"  gateway TEXT NOT NULL, reason TEXT NOT NULL, payload BLOB NOT NULL"
	");"
	"CREATE TABLE quarantined_readings ("
	"  id INTEGER PRIMARY KEY, received_s INTEGER NOT NULL, gateway TEXT NOT NULL,"
	"  meter TEXT NOT NULL, point TEXT NOT NULL, quantity TEXT NOT NULL,"
	"  time_s INTEGER NOT NULL, value REAL, status INTEGER NOT NULL,"
	"  reason TEXT NOT NULL"
	");"
	"CREATE TABLE gaps ("
	"  id INTEGER PRIMARY KEY, gateway TEXT NOT NULL, head INTEGER NOT NULL,"
	"  got INTEGER NOT NULL, received_s INTEGER NOT NULL"
	");" },
	/* 2: conversion and emission factors with their source and the year
	 * from which they apply (0: every year), per unit when measured; and
	 * a count of flagged readings (backwards, jump, rollover) per rollup
	 * so series.c knows which days need their raw readings. Defaults are
	 * GB/T 2589-2020 appendix A reference values and published CO2
	 * factors (../shared/DOMAIN.md); the city replaces them with `factor
	 * set` when official figures change. */
	{ 2, "CREATE TABLE factors ("
	"  kind TEXT NOT NULL, carrier TEXT NOT NULL, year INTEGER NOT NULL,"
	"  unit TEXT NOT NULL DEFAULT '', value REAL NOT NULL,"
	"  value_unit TEXT NOT NULL, source TEXT NOT NULL,"
	"  PRIMARY KEY (kind, carrier, year, unit)"
	") WITHOUT ROWID;"
	"ALTER TABLE rollups ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;"
	"INSERT INTO factors (kind, carrier, year, value, value_unit, source) VALUES"
	" ('tce', 'electricity', 0, 0.1229, 'kgce/kWh', 'GB/T 2589-2020 A.1 equivalent value'),"
	" ('tce_equal', 'electricity', 0, 0.300, 'kgce/kWh', 'average coal use of power supply, confirm yearly'),"
	" ('tce', 'raw_coal', 0, 0.7143, 'kgce/kg', 'GB/T 2589-2020 A.1'),"
	" ('tce', 'coke', 0, 0.9714, 'kgce/kg', 'GB/T 2589-2020 A.1'),"
	" ('tce', 'fuel_oil', 0, 1.4286, 'kgce/kg', 'GB/T 2589-2020 A.1'),"
	" ('tce', 'gasoline', 0, 1.4714, 'kgce/kg', 'GB/T 2589-2020 A.1'),"
	" ('tce', 'kerosene', 0, 1.4714, 'kgce/kg', 'GB/T 2589-2020 A.1'),"
	" ('tce', 'diesel', 0, 1.4571, 'kgce/kg', 'GB/T 2589-2020 A.1'),"
	" ('tce', 'lpg', 0, 1.7143, 'kgce/kg', 'GB/T 2589-2020 A.1'),"
	" ('tce', 'natural_gas', 0, 1.2143, 'kgce/m3', 'GB/T 2589-2020 A.1 (1.1000-1.3300), confirm'),"
	" ('tce', 'heat', 0, 0.03412, 'kgce/MJ', 'GB/T 2589-2020 A.1'),"
	" ('tce', 'steam', 0, 0.1286, 'kgce/kg', 'low-pressure steam, confirm'),"
	" ('co2', 'natural_gas', 0, 2.16, 'kgCO2/m3', '389.31 GJ/10^4m3 x 15.32 tC/TJ x 99% x 44/12'),"
	" ('co2', 'diesel', 0, 3.10, 'tCO2/t', 'sector guide default, confirm'),"
	" ('co2', 'gasoline', 0, 2.93, 'tCO2/t', 'sector guide default, confirm'),"
	" ('co2', 'lpg', 0, 3.10, 'tCO2/t', 'sector guide default, confirm'),"
	" ('co2', 'heat', 0, 0.11, 'tCO2/GJ', 'purchased heat default'),"
	" ('grid', 'electricity', 2021, 0.5568, 'kgCO2/kWh', 'MEE/NBS national average 2021'),"
	" ('grid', 'electricity', 2022, 0.5366, 'kgCO2/kWh', 'MEE/NBS national average 2022'),"
	" ('grid_excl_green', 'electricity', 2022, 0.5856, 'kgCO2/kWh', 'MEE/NBS 2022 excluding market-traded non-fossil power');" },
	/* 3: deterioration alerts, on-site spot checks, filed yearly tables. */
	{ 3, "CREATE TABLE alerts ("
	"  id INTEGER PRIMARY KEY, unit TEXT NOT NULL, rule TEXT NOT NULL,"
	"  subject TEXT NOT NULL, period TEXT NOT NULL, value REAL, threshold REAL,"
	"  detail TEXT NOT NULL, first_seen_s INTEGER NOT NULL,"
	"  last_seen_s INTEGER NOT NULL, state TEXT NOT NULL,"
	"  changed_by TEXT NOT NULL DEFAULT '', changed_s INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE UNIQUE INDEX alerts_open ON alerts (unit, rule, subject, period)"
	"  WHERE state != 'resolved';"
	"CREATE TABLE spotchecks ("
	"  id INTEGER PRIMARY KEY, gateway TEXT NOT NULL, meter TEXT NOT NULL,"
	"  point TEXT NOT NULL, at_s INTEGER NOT NULL, reading REAL NOT NULL,"
	"  reported REAL, diff REAL, diff_pct REAL, tolerance_pct REAL,"
	"  chain_ok INTEGER NOT NULL, verdict TEXT NOT NULL, reason TEXT NOT NULL,"
	"  inspector TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',"
	"  recorded_s INTEGER NOT NULL"
	");"
	"CREATE TABLE filings ("
	"  unit TEXT NOT NULL, year INTEGER NOT NULL, filed_s INTEGER NOT NULL,"
	"  filed_by TEXT NOT NULL, PRIMARY KEY (unit, year)"
	") WITHOUT ROWID;" },
	/* 4: HTTP API bearer tokens (only their SHA-256 is kept) and the
	 * audit log of every state change made through the API. */
	{ 4, "CREATE TABLE api_tokens ("
	"  id INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE, name TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL, scope TEXT NOT NULL DEFAULT '',"
	"  created_s INTEGER NOT NULL, revoked_s INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY, time_s INTEGER NOT NULL, who TEXT NOT NULL,"
	"  action TEXT NOT NULL, object TEXT NOT NULL, status INTEGER NOT NULL,"
	"  detail TEXT NOT NULL DEFAULT ''"
	");" },
	/* 5: the last status each gateway reported (online/offline, queue
	 * depth, oldest queued reading), for the API and /metrics. */
	{ 5, "CREATE TABLE gateway_status ("
	"  gateway TEXT PRIMARY KEY, state TEXT NOT NULL,"
	"  queue_depth INTEGER NOT NULL, oldest_queued_s INTEGER NOT NULL,"
	"  head_seq INTEGER NOT NULL, acked_seq INTEGER NOT NULL,"
	"  version TEXT NOT NULL, reported_s INTEGER NOT NULL,"
	"  received_s INTEGER NOT NULL"
	") WITHOUT ROWID;" },
	/* 6: history imported from a factory's own energy management system
	 * (`gfi-aggregator import`, docs/import.md). Each import is one row;
	 * a reading keeps which import brought it (0: signed by a gateway).
	 * The imported readings per (series, day) live beside the rollups,
	 * not in them: ingest rewrites a rollup row whole (INSERT OR
	 * REPLACE), which would silently reset a column it does not know,
	 * while only an import ever changes this count. */
	{ 6, "CREATE TABLE imports ("
	"  id INTEGER PRIMARY KEY, file TEXT NOT NULL, sha256 TEXT NOT NULL,"
	"  rows INTEGER NOT NULL, inserted INTEGER NOT NULL,"
	"  present INTEGER NOT NULL, skipped INTEGER NOT NULL,"
	"  by TEXT NOT NULL, imported_s INTEGER NOT NULL"
	");"
	"ALTER TABLE readings ADD COLUMN import_id INTEGER NOT NULL DEFAULT 0;"
	/* Partial: gateway readings (import_id 0) cost ingest nothing. */
	"CREATE INDEX readings_import ON readings (import_id, series, time_s)"
	"  WHERE import_id != 0;"
	"CREATE TABLE rollup_imports ("
	"  series INTEGER NOT NULL REFERENCES series(id), day_s INTEGER NOT NULL,"
	"  imported INTEGER NOT NULL, PRIMARY KEY (series, day_s)"
	") WITHOUT ROWID;" },
	/* 7: gap events gateways report: readings their queue dropped (the
	 * bound, a full disk) before sending, from a batch's optional "gaps"
	 * (store_gaps.c; the alert rule data_gap reads them). */
	{ 7, "CREATE TABLE queue_gaps ("
	"  gateway TEXT NOT NULL, gap_id INTEGER NOT NULL, meter TEXT NOT NULL,"
	"  from_s INTEGER NOT NULL, to_s INTEGER NOT NULL, count INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL, received_s INTEGER NOT NULL,"
	"  PRIMARY KEY (gateway, gap_id)"
	") WITHOUT ROWID;" },
	/* 8: a unit's gateways by unit: a unit's indicators list only its
	 * own gateways, so a province's year is not quadratic in units. */
	{ 8, "CREATE INDEX gateways_unit ON gateways (unit, id);" },
	/* 9: the factor seed of store_factors.c (the 2023 grid factors, the
	 * settings for 耗能工质, the steam fallback's source). */
	{ 9, STORE_FACTORS_SEED_2023 },
	/* 10: spot checks that re-verify little (store_checkpoint.c): the
	 * reading-time span of each accepted batch and a checkpoint of each
	 * chain every STORE_CHECKPOINT_EVERY (8) batches; batches held before
	 * this migration were verified at their ingest, so their hashes seed
	 * the checkpoints (their spans are unknown: spot checks of that time
	 * cannot be judged). Spot checks gain their kind (display, reference,
	 * increase), the start of a period, and the tolerance in its parts. */
	{ 10, "CREATE TABLE batch_spans ("
	"  gateway TEXT NOT NULL, seq INTEGER NOT NULL, first_s INTEGER NOT NULL,"
	"  last_s INTEGER NOT NULL, PRIMARY KEY (gateway, seq)"
	") WITHOUT ROWID;"
	"CREATE INDEX batch_spans_first ON batch_spans (gateway, first_s);"
	"CREATE TABLE chain_checkpoints ("
	"  gateway TEXT NOT NULL, seq INTEGER NOT NULL, hash BLOB NOT NULL,"
	"  verified_s INTEGER NOT NULL, PRIMARY KEY (gateway, seq)"
	") WITHOUT ROWID;"
	"INSERT INTO chain_checkpoints (gateway, seq, hash, verified_s)"
	"  SELECT gateway, seq, hash, received_s FROM batches WHERE seq % 8 = 0;"
	"ALTER TABLE spotchecks ADD COLUMN kind TEXT NOT NULL DEFAULT 'display';"
	"ALTER TABLE spotchecks ADD COLUMN from_s INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE spotchecks ADD COLUMN from_reading REAL;"
	"ALTER TABLE spotchecks ADD COLUMN since_id INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE spotchecks ADD COLUMN tolerance REAL;"
	"ALTER TABLE spotchecks ADD COLUMN tol_display REAL;"
	"ALTER TABLE spotchecks ADD COLUMN tol_register REAL;"
	"ALTER TABLE spotchecks ADD COLUMN tol_clock REAL;"
	"ALTER TABLE spotchecks ADD COLUMN tol_interp REAL;"
	"ALTER TABLE spotchecks ADD COLUMN tol_class REAL;" },
	/* 11: the platform table's benchmarks per sector and indicator, and
	 * the city's filing settings (store_filing.c). */
	{ 11, STORE_FILING_SCHEMA },
	/* 12: the units' statements on their tables (store_filing.c). */
	{ 12, STORE_STATEMENTS_SCHEMA },
	/* 13: the bounded quarantine (store_quarantine.c): a row per distinct
	 * refused payload of a gateway (its hash, size received, repeats,
	 * last seen, whether its signature verified) and, per gateway, the
	 * refusals only counted (over its cap, or throttled by ingest). */
	{ 13, "ALTER TABLE quarantine ADD COLUMN hash BLOB;"
	"ALTER TABLE quarantine ADD COLUMN size INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE quarantine ADD COLUMN repeats INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE quarantine ADD COLUMN last_s INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE quarantine ADD COLUMN signed INTEGER NOT NULL DEFAULT 0;"
	"UPDATE quarantine SET size = length(payload), last_s = received_s;"
	"CREATE INDEX quarantine_gateway ON quarantine (gateway, hash);"
	"CREATE INDEX quarantine_last ON quarantine (last_s);"
	"CREATE TABLE quarantine_refused ("
	"  gateway TEXT PRIMARY KEY, over_cap INTEGER NOT NULL DEFAULT 0,"
	"  throttled INTEGER NOT NULL DEFAULT 0, last_s INTEGER NOT NULL DEFAULT 0"
	") WITHOUT ROWID;" },
	/* 14: an import stages its readings in bounded transactions while
	 * pending (readers skip them: STORE_READING_PUBLISHED) and is
	 * published by clearing the flag (store_import.c). */
	{ 14, "ALTER TABLE imports ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;"
	/* The rollups of the days a pending import touched, built before it
	 * is published; base_*: the live row's when built. */
	"CREATE TABLE rollup_staged ("
	"  import_id INTEGER NOT NULL, series INTEGER NOT NULL, day_s INTEGER NOT NULL,"
	"  count INTEGER NOT NULL, bad INTEGER NOT NULL,"
	"  first_s INTEGER, first_v REAL, last_s INTEGER, last_v REAL,"
	"  min_v REAL, max_v REAL, integral REAL NOT NULL, flagged INTEGER NOT NULL,"
	"  imported INTEGER NOT NULL, base_count INTEGER, base_bad INTEGER,"
	"  PRIMARY KEY (import_id, series, day_s)"
	") WITHOUT ROWID;" },
	/* 15: chain epochs (issue 17). A chain is (gateway, epoch): batches are
	 * unique by (gateway, epoch, seq), the chain row holds the gateway's
	 * current epoch ('' for agents before epochs), and chain_epochs keeps
	 * each restart ("chain restarted at T after seq N of epoch E"). */
	{ 15, "CREATE TABLE batches_e ("
	"  gateway TEXT NOT NULL, epoch TEXT NOT NULL DEFAULT '',"
	"  seq INTEGER NOT NULL, hash BLOB NOT NULL,"
	"  payload BLOB NOT NULL, received_s INTEGER NOT NULL,"
	"  PRIMARY KEY (gateway, epoch, seq)"
	");"
	"INSERT INTO batches_e (gateway, seq, hash, payload, received_s)"
	"  SELECT gateway, seq, hash, payload, received_s FROM batches;"
	"DROP TABLE batches;"
	"ALTER TABLE batches_e RENAME TO batches;"
	"ALTER TABLE chain ADD COLUMN epoch TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE chain_epochs ("
	"  gateway TEXT NOT NULL, epoch TEXT NOT NULL, started_s INTEGER NOT NULL,"
	"  after_epoch TEXT NOT NULL, after_seq INTEGER NOT NULL,"
	"  PRIMARY KEY (gateway, epoch)"
	") WITHOUT ROWID;" },
	/* 16: key history (issue 17, store_keys.c): every key a gateway has
	 * had, the place (epoch, seq) from which it signs, its revocation. */
	{ 16, "CREATE TABLE gateway_keys ("
	"  gateway TEXT NOT NULL REFERENCES gateways(id), n INTEGER NOT NULL,"
	"  pubkey_pem TEXT NOT NULL, from_epoch TEXT NOT NULL,"
	"  from_seq INTEGER NOT NULL, revoked_epoch TEXT NOT NULL DEFAULT '',"
	"  revoked_seq INTEGER NOT NULL DEFAULT 0, added_s INTEGER NOT NULL,"
	"  added_by TEXT NOT NULL, PRIMARY KEY (gateway, n)"
	") WITHOUT ROWID;" },
	/* 17: closed periods (issue 17, store_history.c): the bytes of each
	 * filed table, readings that arrived for a filed year (late), and
	 * batches whose times lie far from their receive time (flags). */
	{ 17, "CREATE TABLE filing_snapshots ("
	"  unit TEXT NOT NULL, year INTEGER NOT NULL, filed_s INTEGER NOT NULL,"
	"  format TEXT NOT NULL, bytes BLOB NOT NULL, sha256 TEXT NOT NULL,"
	"  energy_tce REAL, PRIMARY KEY (unit, year, filed_s)"
	");"
	"CREATE TABLE late_readings ("
	"  gateway TEXT NOT NULL, meter TEXT NOT NULL, point TEXT NOT NULL,"
	"  time_s INTEGER NOT NULL, unit TEXT NOT NULL, year INTEGER NOT NULL,"
	"  received_s INTEGER NOT NULL,"
	"  PRIMARY KEY (gateway, meter, point, time_s)"
	") WITHOUT ROWID;"
	"CREATE TABLE batch_flags ("
	"  id INTEGER PRIMARY KEY, gateway TEXT NOT NULL, epoch TEXT NOT NULL,"
	"  seq INTEGER NOT NULL, reason TEXT NOT NULL, received_s INTEGER NOT NULL"
	");" },
	/* 18: the dated registry (issue 17, store_moves.c): each gateway's
	 * spans [from_s, to_s) in a unit, with who changed it and when. */
	{ 18, "CREATE TABLE gateway_units ("
	"  gateway TEXT NOT NULL REFERENCES gateways(id),"
	"  unit TEXT NOT NULL REFERENCES units(code), from_s INTEGER NOT NULL,"
	"  to_s INTEGER NOT NULL, changed_by TEXT NOT NULL,"
	"  changed_s INTEGER NOT NULL, PRIMARY KEY (gateway, from_s)"
	") WITHOUT ROWID;"
	"CREATE INDEX gateway_units_unit ON gateway_units (unit, gateway);" },
	/* 19: gap events per chain epoch (issue 17): a reinstalled agent's
	 * queue numbers its gap events from 1 again, which must not be taken
	 * for the old queue's. */
	{ 19, "CREATE TABLE queue_gaps_e ("
	"  gateway TEXT NOT NULL, epoch TEXT NOT NULL DEFAULT '',"
	"  gap_id INTEGER NOT NULL, meter TEXT NOT NULL,"
	"  from_s INTEGER NOT NULL, to_s INTEGER NOT NULL, count INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL, received_s INTEGER NOT NULL,"
	"  PRIMARY KEY (gateway, epoch, gap_id)"
	") WITHOUT ROWID;"
	"INSERT INTO queue_gaps_e (gateway, gap_id, meter, from_s, to_s, count, seq,"
	"  received_s) SELECT gateway, gap_id, meter, from_s, to_s, count, seq,"
	"  received_s FROM queue_gaps;"
	"DROP TABLE queue_gaps;"
	"ALTER TABLE queue_gaps_e RENAME TO queue_gaps;" },
	/* 20: the rest of the dated registry (issue 17, store_moves.c): a
	 * meter's own spans in a unit (unit NULL: it follows its gateway) and
	 * a unit's own versions (name, county, ... from a date), each with who
	 * changed it and when. */
	{ 20, "CREATE TABLE meter_units ("
	"  gateway TEXT NOT NULL, meter TEXT NOT NULL,"
	"  unit TEXT REFERENCES units(code), from_s INTEGER NOT NULL,"
	"  to_s INTEGER NOT NULL, changed_by TEXT NOT NULL,"
	"  changed_s INTEGER NOT NULL, PRIMARY KEY (gateway, meter, from_s)"
	") WITHOUT ROWID;"
	"CREATE INDEX meter_units_unit ON meter_units (unit, gateway, meter);"
	"CREATE TABLE unit_versions ("
	"  code TEXT NOT NULL REFERENCES units(code), from_s INTEGER NOT NULL,"
	"  to_s INTEGER NOT NULL, name TEXT NOT NULL, kind INTEGER NOT NULL,"
	"  county TEXT NOT NULL REFERENCES counties(code), level INTEGER NOT NULL,"
	"  year_listed INTEGER NOT NULL, sector TEXT NOT NULL,"
	"  retired INTEGER NOT NULL, changed_by TEXT NOT NULL,"
	"  changed_s INTEGER NOT NULL, PRIMARY KEY (code, from_s)"
	") WITHOUT ROWID;" },
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

int store_cached(struct store *s, int idx, const char *sql, sqlite3_stmt **st)
{
	if (s->cache[idx] == NULL) {
		int ret = db_prepare(s->db, sql, 1, &s->cache[idx]);
		if (ret != GFI_OK)
			return ret;
	}
	sqlite3_reset(s->cache[idx]);
	sqlite3_clear_bindings(s->cache[idx]);
	*st = s->cache[idx];
	return GFI_OK;
}

/* The store's file: created 0600 (a city's registry, readings and API
 * token hashes), WAL so the HTTP readers never block ingest, and
 * synchronous=FULL (db.h): a batch is acknowledged to its gateway only
 * after its commit, and the gateway then deletes it, so the commit must
 * survive a power loss. */
static const struct db_spec store_db = {
	.name = "store",
	.file_mode = 0600,
	.busy_timeout_ms = BUSY_TIMEOUT_MS,
	.pragmas = "PRAGMA foreign_keys = ON",
	.migrations = migrations,
	.nmigrations = NMIGRATIONS,
};

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	free(s->series_cache);
	db_finalize_all(s->cache, STORE_CACHE_MAX);
	db_close(s->db);
	free(s);
}

int store_open(const char *path, struct store **out)
{
	struct store *s = calloc(1, sizeof(*s));
	int ret;

	*out = NULL;
	if (s == NULL)
		return GFI_E_NOMEM;
	ret = db_open(path, &store_db, &s->db);
	if (ret == GFI_OK)
		*out = s;
	else
		store_close(s);
	return ret;
}

int store_begin(struct store *s)
{
	return db_exec(s->db, "BEGIN IMMEDIATE", "store begin");
}

int store_commit(struct store *s)
{
	return db_exec(s->db, "COMMIT", "store commit");
}

void store_rollback(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * store.h — the aggregator's one narrow store (DESIGN.md, "Store").
 *
 * Everything the city keeps goes through these functions: the registry
 * (counties, units, memberships, gateways, meters, replacements, manual
 * facts), the verified batches as received (raw signed bytes), readings
 * unique by (gateway, meter, point, time), per-series daily rollups kept at
 * ingest, the quarantine, and chain state per gateway. SQLite (WAL) now; the
 * functions are the seam where a PostgreSQL backend would go, so callers see
 * no SQL and no sqlite3 types.
 *
 * Implementation is split like libmodbus's: store.c (open, migrations,
 * transactions), store_registry.c (registry), store_ingest.c (batches,
 * readings, rollups, quarantine), sharing store-private.h.
 *
 * Threads: a struct store is one connection, used by one thread. Several
 * processes or threads may open the same file (WAL, busy timeout).
 * Times are UTC epoch seconds; days are Asia/Shanghai (UTC+8) calendar days,
 * numbered as the epoch second of their local midnight (gfi_day_start).
 * All text arguments are borrowed; output structs are filled by copy.
 */
#ifndef GFI_AGG_STORE_H
#define GFI_AGG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "reading.h"

struct store;

/* Open (creating and migrating) the store at path. GFI_E_DB. */
int store_open(const char *path, struct store **out);
void store_close(struct store *s);

/* One write transaction (BEGIN IMMEDIATE .. COMMIT). Ingest wraps each
 * batch (or group of batches) in one; registry calls are each their own. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* ---- registry ---- */

#define STORE_CODE_LEN 18        /* unified social credit code, characters */
#define STORE_NAME_MAX 128

enum unit_kind { UNIT_FACTORY, UNIT_PARK, UNIT_SUPPLY_CHAIN };
enum unit_level { LEVEL_NATIONAL, LEVEL_PROVINCIAL, LEVEL_CITY };
/* Their names in JSON, CSV and options, indexed by the enum; NULL ends. */
static const char *const unit_kind_names[] = { "factory", "park", "supply_chain", NULL };
static const char *const unit_level_names[] = { "national", "provincial", "city", NULL };

/* The role of a meter point in its unit's balance (DESIGN.md "Meter roles"). */
enum meter_role {
	ROLE_NONE = 0,            /* not part of any balance (e.g. voltage) */
	ROLE_ELEC_PURCHASED,      /* purchased electricity */
	ROLE_ELEC_EXPORTED,       /* electricity exported to the grid */
	ROLE_RENEWABLE_GEN,       /* on-site renewable generation (PV, wind) */
	ROLE_FUEL,                /* fuel: natural gas, diesel, coal ... (carrier) */
	ROLE_HEAT_PURCHASED,      /* purchased steam or heat (carrier) */
	ROLE_WATER_INTAKE,        /* fresh water intake (carrier: source) */
	ROLE_WATER_RECYCLED,      /* recycled / reused water */
	ROLE_WASTEWATER,          /* wastewater discharged */
	ROLE_PRODUCTION,          /* production output (product, product unit) */
	ROLE_STACK,               /* stack emissions, CEMS gauges */
	ROLE_SUBMETER,            /* breakdown only, never added to totals */
};

struct reg_county {
	char code[16];                  /* administrative division code, digits */
	char name[64];                  /* UTF-8 */
	int retired;
};

struct reg_unit {
	char code[STORE_CODE_LEN + 1];  /* 统一社会信用代码, check digit valid */
	char name[STORE_NAME_MAX];      /* UTF-8 */
	enum unit_kind kind;
	char county[16];                /* a registered county code */
	enum unit_level level;
	int year_listed;                /* 2000..2100 */
	char sector[64];                /* industry sector (e.g. GB/T 4754 code) */
	int retired;
};

struct reg_gateway {
	char id[GFI_ID_MAX];
	char unit[STORE_CODE_LEN + 1];
	char pubkey_pem[512];           /* "BEGIN PUBLIC KEY" PEM, P-256 */
	int active;                     /* retired gateways' batches are refused */
	int64_t registered_s;
};

struct reg_meter {
	char gateway[GFI_ID_MAX];
	char meter[GFI_ID_MAX];
	char point[GFI_ID_MAX];         /* the profile point this entry is about */
	char quantity[GFI_QNAME_MAX];   /* must match the readings' quantity */
	enum meter_role role;
	char carrier[32];               /* energy carrier / water source, e.g.
					   "electricity", "natural_gas", "tap_water" */
	double counter_max;             /* rollover value; 0 = none known */
	char product[64];               /* ROLE_PRODUCTION: product name */
	char product_unit[16];          /* ROLE_PRODUCTION: t, pcs, ... */
	double accuracy_pct;            /* meter accuracy class in %, 0 = unknown */
	int64_t registered_s;           /* readings before this are refused */
	int retired;
};

struct reg_replacement {
	char gateway[GFI_ID_MAX];
	char meter[GFI_ID_MAX];
	char point[GFI_ID_MAX];
	int64_t time_s;                 /* when the new meter started counting */
	double old_final;               /* last reading of the old meter */
	double new_initial;             /* first reading of the new meter */
};

struct reg_fact {
	char unit[STORE_CODE_LEN + 1];
	int year;                       /* 2000..2100 */
	int month;                      /* 1..12, or 0 for the whole year */
	char key[32];                   /* e.g. "output_value_10k_cny" */
	double value;
	char entered_by[64];
	int64_t entered_s;
};

/* Each add/change returns GFI_OK, GFI_E_EXISTS (add of an existing key),
 * GFI_E_NOTFOUND (change of a missing one, or a reference to a missing
 * county/unit/gateway/meter point), GFI_E_INVAL, or GFI_E_DB. Validation of
 * formats is the registry module's job (registry.h); the store checks
 * references. Members and suppliers: GFI_E_INVAL when the first unit is not
 * a park (resp. a supply-chain enterprise) or both are the same unit;
 * GFI_E_EXISTS for a pair already held. A replacement is unique by (gateway,
 * meter, point, time). A fact is set: it replaces one with the same (unit,
 * year, month, key). Each call is one transaction, or part of the caller's. */
int store_county_put(struct store *s, const struct reg_county *c, int create);
int store_unit_put(struct store *s, const struct reg_unit *u, int create);
int store_member_put(struct store *s, const char *park, const char *member);
int store_supplier_put(struct store *s, const char *enterprise,
		       const char *supplier);
int store_gateway_put(struct store *s, const struct reg_gateway *g, int create);
int store_meter_put(struct store *s, const struct reg_meter *m, int create);
int store_replacement_add(struct store *s, const struct reg_replacement *r);
int store_fact_put(struct store *s, const struct reg_fact *f);

/* Lookups: GFI_OK or GFI_E_NOTFOUND. */
int store_county_get(struct store *s, const char *code, struct reg_county *out);
int store_unit_get(struct store *s, const char *code, struct reg_unit *out);
int store_gateway_get(struct store *s, const char *id, struct reg_gateway *out);
int store_meter_get(struct store *s, const char *gateway, const char *meter,
		    const char *point, struct reg_meter *out);
/* Whether any point of (gateway, meter) is registered: 1, 0, or GFI_E_DB. */
int store_meter_known(struct store *s, const char *gateway, const char *meter);

/* Listings: call fn once per row, in key order; fn returning non-zero stops. */
typedef int (*store_row_fn)(void *ctx, const void *row);
int store_county_list(struct store *s, store_row_fn fn, void *ctx);
int store_unit_list(struct store *s, store_row_fn fn, void *ctx);
int store_gateway_list(struct store *s, store_row_fn fn, void *ctx);
/* The gateways of one unit, by id (index gateways_unit). */
int store_gateway_list_unit(struct store *s, const char *unit,
			    store_row_fn fn, void *ctx);
int store_meter_list(struct store *s, const char *gateway, store_row_fn fn,
		     void *ctx);

/* Further listings, same rules; a NULL gateway/park/enterprise/unit (or a
 * year of 0) lists all. Rows: struct reg_replacement, struct reg_pair
 * (first = park or enterprise, second = member or supplier), struct reg_fact. */
struct reg_pair {
	char first[STORE_CODE_LEN + 1];
	char second[STORE_CODE_LEN + 1];
};
int store_replacement_list(struct store *s, const char *gateway,
			   store_row_fn fn, void *ctx);
int store_member_list(struct store *s, const char *park, store_row_fn fn,
		      void *ctx);
int store_supplier_list(struct store *s, const char *enterprise,
			store_row_fn fn, void *ctx);
int store_fact_list(struct store *s, const char *unit, int year,
		    store_row_fn fn, void *ctx);

/* ---- factors ---- */

/* A conversion or emission factor (migration 2, store_factors.c): kind is
 * "tce" (equivalent value, GB/T 2589-2020), "tce_equal" (equal-value
 * method), "co2", "grid", "grid_excl_green"; carrier as registered
 * ("electricity", "natural_gas", "steam", "heat" ...); year the first year it
 * applies to (0: every year); unit a credit code for a unit's own measured
 * factor, "" for the city's. value_unit names what the value converts, e.g.
 * "kgce/kWh", "tCO2/t", and is what the indicators convert quantities by. */
#define STORE_FACTOR_TEXT_MAX 160
struct store_factor {
	char kind[24];
	char carrier[32];
	int year;                       /* 0, or 1970..2200 */
	char unit[STORE_CODE_LEN + 1];  /* "" for every unit */
	double value;
	char value_unit[24];
	char source[STORE_FACTOR_TEXT_MAX];
};

/* The factor of (kind, carrier) in force for year and unit: the unit's own
 * row first, else the city's; within each the latest year <= year (a row of
 * year 0 applies to every year). *fallback (may be NULL) is 1 when the row
 * found is of an earlier, non-zero year (a year without its own published
 * factor). unit may be NULL. GFI_OK, GFI_E_NOTFOUND, GFI_E_DB. */
int store_factor_get(struct store *s, const char *kind, const char *carrier,
		     int year, const char *unit, struct store_factor *out,
		     int *fallback);
/* Insert or replace the row (kind, carrier, year, unit). GFI_E_INVAL for an
 * empty kind, carrier or value_unit, a non-finite value or a year outside
 * 0 and 1970..2200. Its own transaction or part of the caller's. */
int store_factor_set(struct store *s, const struct store_factor *f);
/* Every row, ordered by kind, carrier, unit, year; rows are struct
 * store_factor. */
int store_factor_list(struct store *s, store_row_fn fn, void *ctx);

/* ---- ingest ---- */

/* Chain state of a gateway: the highest seq up to which every batch is held
 * (0: none), and that batch's hash (zeros for 0). */
int store_chain_get(struct store *s, const char *gateway, uint64_t *seq,
		    uint8_t hash[32]);

/* Whether batch (gateway, seq) is held. */
int store_batch_held(struct store *s, const char *gateway, uint64_t seq);

/* Inside a transaction: keep the raw signed payload of an accepted batch and
 * advance the gateway's chain to seq (must be chain seq + 1). */
int store_batch_add(struct store *s, const char *gateway, uint64_t seq,
		    const uint8_t hash[32], const char *payload, size_t len,
		    int64_t received_s);

/* Inside a transaction: store one reading of gateway and fold it into its
 * series' daily rollup. A reading already held (same gateway, meter, point,
 * time) changes nothing: *inserted = 0. */
int store_reading_add(struct store *s, const char *gateway,
		      const struct gfi_reading *r, int *inserted);

/* A pair of numbers that moves whenever the registry may have changed: another
 * connection committed to the store (PRAGMA data_version) or this one began
 * a registry write. Equal pairs mean registry lookups made in between are
 * still true, so verify keeps them across batches. GFI_E_DB. */
int store_registry_version(struct store *s, uint64_t v[2]);

/* Inside a transaction: store readings rs[0..n) of gateway in that order,
 * with the same outcome as store_reading_add on each, but each (series,
 * day) rollup is read and written once for the call. inserted (may be
 * NULL) gets 1 per new reading, 0 per one already held; *stored counts the
 * new ones. GFI_E_RANGE (a valued status without a finite value: nothing
 * stored), GFI_E_NOMEM, GFI_E_DB (the caller rolls back). */
int store_readings_add(struct store *s, const char *gateway,
		       const struct gfi_reading *const *rs, size_t n,
		       unsigned char *inserted, size_t *stored);

/* Quarantine: a refused batch (whole payload, up to a bound) or a refused
 * reading, with its reason. Its own transaction when called outside one. */
int store_quarantine_batch(struct store *s, const char *topic,
			   const char *gateway, const char *reason,
			   const void *payload, size_t len, int64_t received_s);
int store_quarantine_reading(struct store *s, const char *gateway,
			     const struct gfi_reading *r, const char *reason,
			     int64_t received_s);

/* A gap: a batch beyond the chain head arrived (seq > head + 1). */
int store_gap_record(struct store *s, const char *gateway, uint64_t head,
		     uint64_t got, int64_t received_s);

/* ---- reading back ---- */

/* One day's rollup of one series (gateway, meter, point). Counters: first and
 * last value with their times. Gauges: min, max and the time integral
 * (value x seconds, trapezoids between consecutive valid readings of the
 * day). count counts readings with a value; bad counts those without. */
struct rollup {
	char gateway[GFI_ID_MAX];
	char meter[GFI_ID_MAX];
	char point[GFI_ID_MAX];
	char quantity[GFI_QNAME_MAX];
	int64_t day_s;                  /* Asia/Shanghai midnight, epoch s */
	int64_t count;
	int64_t bad;
	int64_t first_s, last_s;
	double first_v, last_v;
	double min_v, max_v;
	double integral;                /* gauges: value-seconds; counters: 0 */
	int64_t flagged;                /* readings of the day with status
					   backwards, jump or rollover */
};
/* Rollups of gateway's series for days in [from_day_s, to_day_s) (half
 * open, like store_readings), ordered by meter, point, day: every series of
 * the gateway when meter or point is NULL, else that one series. */
int store_rollups(struct store *s, const char *gateway, const char *meter,
		  const char *point, int64_t from_day_s, int64_t to_day_s,
		  store_row_fn fn, void *ctx);

/* The raw signed payload of held batch (gateway, seq), as received, for
 * re-verification by auditors (`gfi-aggregator verify-batch`). On success
 * *payload is a NUL-terminated copy the caller frees with free(), *len its
 * length without the NUL. GFI_OK, GFI_E_NOTFOUND, GFI_E_NOMEM, GFI_E_DB. */
int store_batch_get(struct store *s, const char *gateway, uint64_t seq,
		    char **payload, size_t *len);

/* Readings of one series in [from_s, to_s), time order. */
int store_readings(struct store *s, const char *gateway, const char *meter,
		   const char *point, int64_t from_s, int64_t to_s,
		   store_row_fn fn, void *ctx);

/* The last status message of a gateway (gfi/v1/<gateway>/status: the
 * agent's retained status, or its will). */
struct gw_status {
	char gateway[GFI_ID_MAX];
	char state[16];                 /* "online" or "offline" */
	int64_t queue_depth;            /* readings held on the gateway */
	int64_t oldest_queued_s;        /* read time of the oldest, 0 if none */
	int64_t head_seq, acked_seq;    /* last batch made, last acked */
	char version[32];               /* agent version */
	int64_t reported_s;             /* the agent's clock, 0 for a will */
	int64_t received_s;             /* the aggregator's clock */
};
/* Keep st as gateway's last status (replacing the previous one). */
int store_status_put(struct store *s, const struct gw_status *st);
/* Gateway's last status; GFI_E_NOTFOUND when it never reported. */
int store_status_get(struct store *s, const char *gateway, struct gw_status *out);

/* Quarantined batches per reason class (the reason up to its first ':'):
 * fn gets a struct reason_count per class, in class order. */
struct reason_count {
	char reason[48];
	int64_t n;
};
int store_quarantine_reasons(struct store *s, store_row_fn fn, void *ctx);

/* The latest stored reading of one series (time, value, status);
 * GFI_E_NOTFOUND when it has none. */
int store_last_reading(struct store *s, const char *gateway, const char *meter,
		       const char *point, struct gfi_reading *out);

/* Counts for tests and metrics. */
struct store_counts {
	int64_t batches, readings, quarantined_batches, quarantined_readings,
		gaps, rollups;
};
int store_counts(struct store *s, struct store_counts *out);

/* ---- review: alerts, spot checks, filings (store_review.c) ---- */

#define STORE_ALERT_TEXT_MAX 256

/* One alert (migration 3, table alerts). At most one alert per (unit, rule,
 * subject, period) is not resolved (unique partial index). state is
 * "open", "acknowledged" or "resolved"; changed_by/changed_s say who moved
 * it there and when (0 and "" while never changed). */
struct store_alert {
	int64_t id;
	char unit[STORE_CODE_LEN + 1];
	char rule[32];                  /* e.g. "deterioration_yoy" */
	char subject[96];               /* indicator key, gateway, series ... */
	char period[16];                /* "2025", "2025-03", "current" */
	double value;                   /* the observed value; NaN when none */
	double threshold;               /* the limit it crossed; NaN when none */
	char detail[STORE_ALERT_TEXT_MAX];
	int64_t first_seen_s, last_seen_s;
	char state[16];
	char changed_by[64];
	int64_t changed_s;
};

/* Raise alert a (unit, rule, subject, period, value, threshold, detail) at
 * now_s: a new open alert (first_seen = last_seen = now_s), or, when one is
 * already open or acknowledged, its values and last_seen updated. *id gets
 * its id, *created 1 for a new one. GFI_OK, GFI_E_DB. */
int store_alert_raise(struct store *s, const struct store_alert *a,
		      int64_t now_s, int64_t *id, int *created);

/* Move alert id to state ("acknowledged" or "resolved") by who at now_s.
 * GFI_E_NOTFOUND (no such id), GFI_E_STATE (already resolved, or ack of an
 * acknowledged one), GFI_E_INVAL (unknown state), GFI_E_DB. */
int store_alert_set_state(struct store *s, int64_t id, const char *state,
			  const char *who, int64_t now_s);

/* Alerts matching every non-NULL filter, by id. state "active" matches
 * open and acknowledged. Rows: struct store_alert. */
struct store_alert_filter {
	const char *unit, *county, *rule, *period, *state;
};
int store_alert_list(struct store *s, const struct store_alert_filter *f,
		     store_row_fn fn, void *ctx);
int store_alert_get(struct store *s, int64_t id, struct store_alert *out);

/* An on-site spot check (table spotchecks). Optional numbers are NaN when
 * they could not be computed. */
struct store_spotcheck {
	int64_t id;
	char gateway[GFI_ID_MAX];
	char meter[GFI_ID_MAX];
	char point[GFI_ID_MAX];
	int64_t at_s;                   /* when the inspector read the display */
	double reading;                 /* what the display showed */
	double reported;                /* counter interpolated at at_s */
	double diff;                    /* reading - reported */
	double diff_pct;                /* diff / reported x 100 */
	double tolerance_pct;           /* allowed |diff|, % of reported */
	int chain_ok;                   /* every batch verified and linked */
	char verdict[16];               /* consistent, inconsistent, cannot_judge */
	char reason[STORE_ALERT_TEXT_MAX];
	char inspector[64];
	char note[STORE_ALERT_TEXT_MAX];
	int64_t recorded_s;
};
int store_spotcheck_add(struct store *s, const struct store_spotcheck *c,
			int64_t *id);
/* Spot checks of one series (NULL parts match all), by id. */
int store_spotcheck_list(struct store *s, const char *gateway,
			 const char *meter, const char *point,
			 store_row_fn fn, void *ctx);

/* The yearly dynamic management table of unit for year was filed (table
 * filings): set, replacing an earlier record of the same (unit, year).
 * GFI_E_NOTFOUND for an unknown unit. */
int store_filing_put(struct store *s, const char *unit, int year,
		     const char *by, int64_t filed_s);
/* Whether (unit, year) was filed: 1, 0, or a negative GFI_E_*. */
int store_filing_held(struct store *s, const char *unit, int year);

/* The latest received_s of gateway's stored batches; *has 0 when none. */
int store_batch_last_received(struct store *s, const char *gateway,
			      int64_t *received_s, int *has);
/* Sequence numbers of gateway's stored batches received at or after
 * from_s, ascending. Rows: const uint64_t *. */
int store_batch_seqs(struct store *s, const char *gateway, int64_t from_s,
		     store_row_fn fn, void *ctx);
/* Readings of one series in [from_s, to_s) flagged by the agent as a
 * counter going backwards (*backwards) or jumping (*jumps). */
int store_flagged_count(struct store *s, const char *gateway,
			const char *meter, const char *point, int64_t from_s,
			int64_t to_s, int64_t *backwards, int64_t *jumps);

/* ---- http: API tokens and the audit log (store_http.c, migration 4) ---- */

/* A bearer token of the HTTP API. Only the SHA-256 of the token is stored;
 * the token itself is shown once, when made. role is "city", "county" or
 * "unit"; scope the county code (county), the credit code (unit) or ""
 * (city). revoked_s is 0 while the token is valid. */
struct store_token {
	int64_t id;
	char name[64];
	char role[8];
	char scope[STORE_CODE_LEN + 1];
	int64_t created_s;
	int64_t revoked_s;
};

/* Add token t (id ignored) with hash; *id (may be NULL) gets its id.
 * GFI_E_EXISTS when the name or hash is taken, GFI_E_DB. */
int store_token_add(struct store *s, const uint8_t hash[32],
		    const struct store_token *t, int64_t *id);
/* The token whose SHA-256 is hash, revoked or not. GFI_OK, GFI_E_NOTFOUND,
 * GFI_E_DB. */
int store_token_find(struct store *s, const uint8_t hash[32],
		     struct store_token *out);
/* Revoke the token called name at now_s. GFI_E_NOTFOUND (no such name),
 * GFI_E_STATE (already revoked), GFI_E_DB. */
int store_token_revoke(struct store *s, const char *name, int64_t now_s);
/* Every token by id; rows are struct store_token. */
int store_token_list(struct store *s, store_row_fn fn, void *ctx);

/* One audit row: who (a token name) did action ("alert.ack") on object
 * ("alert 12") at time_s, answered with HTTP status; detail may be "". */
struct store_audit {
	int64_t id;
	int64_t time_s;
	char who[64];
	char action[32];
	char object[96];
	int status;
	char detail[STORE_ALERT_TEXT_MAX];
};
int store_audit_add(struct store *s, const struct store_audit *a);
/* Every audit row by id; rows are struct store_audit. */
int store_audit_list(struct store *s, store_row_fn fn, void *ctx);

/* ---- history imports (store_import.c, migration 6; docs/import.md) ---- */

/* One `gfi-aggregator import`: the file as named and its SHA-256 (hex),
 * its data rows, the readings it added, those already held, the bad rows
 * skipped, who ran it and when. */
struct store_import {
	int64_t id;
	char file[128];
	char sha256[65];
	int64_t rows, inserted, present, skipped;
	char by[64];
	int64_t imported_s;
};

/* Inside a transaction: record import rec (id ignored); *id gets its id,
 * which every reading it brings carries (0 stays "signed by a gateway").
 * store_import_update rewrites the counts of rec->id. GFI_E_DB. */
int store_import_add(struct store *s, const struct store_import *rec,
		     int64_t *id);
int store_import_update(struct store *s, const struct store_import *rec);

enum { STORE_IMPORT_INSERTED, STORE_IMPORT_PRESENT, STORE_IMPORT_COLLIDES };
/* Writes the readings of import id, inside the caller's transaction (its
 * statements prepared once); free it before commit or rollback. */
struct store_importer;
int store_importer_new(struct store *s, int64_t id, struct store_importer **out);
void store_importer_free(struct store_importer *im);
/* Store reading r of gateway as brought by the import (series created with
 * r->quantity on first sight). When (series, time) is already held nothing
 * changes: *outcome is STORE_IMPORT_PRESENT for the same value and status,
 * else STORE_IMPORT_COLLIDES with the stored reading in *held and its
 * import id in *held_import (0: gateway-signed). Rollups are left to
 * store_import_finish. GFI_E_RANGE for a valued status without a finite
 * value, GFI_E_DB. */
int store_importer_add(struct store_importer *im, const char *gateway,
		       const struct gfi_reading *r, int *outcome,
		       struct gfi_reading *held, int64_t *held_import);

/* Inside the transaction: rebuild from raw readings the rollup and the
 * imported count of every (series, day) that import id brought readings
 * to, exactly as ingest keeps rollups. *days (may be NULL) gets how many. */
int store_import_finish(struct store *s, int64_t id, int64_t *days);

/* Every import by id; rows are struct store_import. */
int store_import_list(struct store *s, store_row_fn fn, void *ctx);

/* Readings of one series on days [from_day_s, to_day_s) from its rollups,
 * and how many of them were imported; no raw reading is read. */
int store_import_share(struct store *s, const char *gateway, const char *meter,
		       const char *point, int64_t from_day_s, int64_t to_day_s,
		       int64_t *readings, int64_t *imported);

/* Whether the store holds any imported reading (*any 1 or 0): when it does
 * not, nobody needs to ask store_import_share. */
int store_import_any(struct store *s, int *any);

/* Imported readings of one series with time in [from_s, to_s] (closed). */
int store_imported_count(struct store *s, const char *gateway,
			 const char *meter, const char *point, int64_t from_s,
			 int64_t to_s, int64_t *n);

#endif

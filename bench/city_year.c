/*
 * city_year.c — the time to compute a whole city's year of indicators from
 * the daily rollups, against the time to merely read the same rollup rows.
 *
 * Builds a store shaped like a city (default 300 units x 30 meter points,
 * 15-minute readings): counties, units (valid credit codes), one gateway per
 * unit with a real P-256 key, meter points with realistic roles (purchased
 * electricity, PV generation, natural gas, steam, water intake, recycled
 * water, wastewater, production, sub-meters) and two manual facts per unit.
 * The year's data is written straight into the series and rollups tables, one
 * row per series per Asia/Shanghai day (96 readings a day: count 96, first_s
 * = midnight, last_s = midnight + 85500, counters rising consistently across
 * days), for 2025 plus the neighbour days 2024-12-31 and 2026-01-01 that a
 * counter total interpolates against at the year's edges. No raw readings:
 * series.c reads raw readings only for edge days cut by a period bound (a
 * year and a month start at midnight, so none), for flagged days (none here)
 * and for gauges (no role used here is a gauge). All of it is one
 * transaction, checkpointed before timing.
 *
 * Then timed, in ROUNDS rounds (default 1) whose order is reversed every
 * other round (bench/abab.py's ABAB: a drift of the machine's speed during
 * the run loads the baseline and the rest alike), each side's seconds
 * printed per round for bench/city_year.py to take the ratios and medians:
 *   city_year  indicators_compute(unit, 2025, 0) for every unit;
 *   series     series_counter_total over 2025 for every registered point,
 *              the series layer alone;
 *   scan       the baseline: the year's rollup rows read with one plain
 *              SELECT over rollups, every column, summed so nothing is
 *              skipped; and the same rows joined to series (the text columns
 *              store_rollups returns); and per point, the rows each
 *              point's total needs, one query per point (series in the
 *              WHERE clause).
 * After the rounds, once and optional: months, indicators_compute for months
 * 1..12 of every unit.
 * Finally a profiled pass over a few units (sqlite3_trace_v2) says which
 * statements the computation ran, how often, how many rows they stepped and
 * how long they took. Prints one JSON object.
 * usage: bench-city-year [UNITS [METERS [MONTHS [ROUNDS]]]]   (default 300 30 1 1)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "error.h"
#include "indicators.h"
#include "log.h"
#include "period.h"
#include "registry.h"
#include "series.h"
#include "sign.h"
#include "store-private.h"
#include "store.h"

#define YEAR 2025
#define DAY_S 86400
#define READ_INTERVAL_S 900
#define READS_PER_DAY (DAY_S / READ_INTERVAL_S)
#define PROFILE_UNITS 5

/* A Fuzhou-like city: six districts and counties. */
static const struct reg_county counties[] = {
	{ "350102", "鼓楼区", 0 }, { "350104", "仓山区", 0 }, { "350105", "马尾区", 0 },
	{ "350111", "晋安区", 0 }, { "350112", "长乐区", 0 }, { "350181", "福清市", 0 },
};
#define NCOUNTIES (sizeof(counties) / sizeof(counties[0]))

static const char *const sectors[] = { "C3130", "C2614", "C3311", "C3982", "C2211",
	"C3670", "C1713", "C2927" };
#define NSECTORS (sizeof(sectors) / sizeof(sectors[0]))

/* One meter point of a unit's template: the first twelve carry the balance,
 * the rest are sub-meters (workshop feeders, a few water branches). daily is
 * a typical day's consumption at unit size 1. */
struct point_def {
	const char *meter, *point, *quantity;
	enum meter_role role;
	const char *carrier;
	double daily;
	int shape;              /* 0 plant load, 1 PV, 2 steady */
};

static const struct point_def template[] = {
	{ "E01", "import_kwh", "elec_import_kwh", ROLE_ELEC_PURCHASED, "electricity", 24000, 0 },
	{ "G01", "volume_m3", "gas_volume_m3", ROLE_FUEL, "natural_gas", 2600, 0 },
	{ "W01", "volume_m3", "water_volume_m3", ROLE_WATER_INTAKE, "tap_water", 320, 0 },
	{ "P01", "mass_t", "product_mass_t", ROLE_PRODUCTION, "", 110, 0 },
	{ "PV1", "export_kwh", "elec_export_kwh", ROLE_RENEWABLE_GEN, "electricity", 3200, 1 },
	{ "S01", "mass_t", "steam_mass_t", ROLE_HEAT_PURCHASED, "steam", 38, 0 },
	{ "W02", "volume_m3", "water_volume_m3", ROLE_WATER_RECYCLED, "recycled", 950, 0 },
	{ "WW1", "volume_m3", "wastewater_volume_m3", ROLE_WASTEWATER, "", 240, 0 },
	{ "E02", "import_kwh", "elec_import_kwh", ROLE_ELEC_PURCHASED, "electricity", 9000, 0 },
	{ "P02", "mass_t", "product_mass_t", ROLE_PRODUCTION, "", 45, 0 },
	{ "G02", "volume_m3", "gas_volume_m3", ROLE_FUEL, "natural_gas", 700, 2 },
	{ "W03", "volume_m3", "water_volume_m3", ROLE_WATER_INTAKE, "groundwater", 60, 2 },
};
#define NTEMPLATE (sizeof(template) / sizeof(template[0]))

struct city {
	int units, meters;
	int64_t y0, y1;              /* 2025 bounds, Asia/Shanghai */
	int64_t series;              /* series rows written */
	int64_t rows, year_rows;     /* rollup rows written; of them in 2025 */
	char (*code)[STORE_CODE_LEN + 1];
	double check_intake_m3;      /* unit 0's 取水量 (intake and purchased
					steam), as generated */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench-city-year: %s failed: %s\n", what, gfi_strerror(rc));
	exit(1);
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
}

/* Deterministic noise in [0, 1) for (a, b): splitmix64. */
static double noise(uint64_t a, uint64_t b)
{
	uint64_t z = a * 0x9e3779b97f4a7c15ULL + b + 0x632be59bd9b4e019ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) / 9007199254740992.0;
}

/* A valid unified social credit code (GB 32100-2015): 9 (工商) 1 (企业),
 * the county, an organisation code, the check character. */
static void credit_code(char out[STORE_CODE_LEN + 1], const char *county, int i)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	static const int weights[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13,
					 8, 24, 10, 30, 28 };
	char buf[32];
	int sum = 0, check;

	snprintf(buf, sizeof(buf), "91%.6sMA%07d", county, i % 10000000);
	for (int k = 0; k < 17; k++)
		sum += (int)(strchr(alphabet, buf[k]) - alphabet) * weights[k];
	check = (31 - sum % 31) % 31;
	memcpy(out, buf, 17);
	out[17] = alphabet[check];
	out[18] = '\0';
}

/* The day's consumption of a point of shape at unit size, day d of 2025
 * (d = 0 is Wednesday 1 January; -1 and 365 are the neighbour days). */
static double day_use(const struct point_def *p, double size, int64_t series, int d)
{
	int dow = ((d % 7) + 7 + 2) % 7;      /* 0 Monday */
	double f = 0.9 + 0.2 * noise((uint64_t)series, (uint64_t)(d + 10));

	if (p->shape == 1) {
		/* PV: summer peak, cloudy days. */
		double season = 1.0 + 0.35 * cos(2.0 * M_PI * (double)(d - 172) / 365.0);
		return p->daily * size * season * (0.3 + 0.7 * noise((uint64_t)series, (uint64_t)d));
	}
	if (p->shape == 0) {
		if (dow == 6)
			f *= 0.45;
		if (d >= 27 && d <= 35)   /* Spring Festival 2025: 28 Jan .. 4 Feb */
			f *= 0.2;
	}
	return p->daily * size * f;
}

static void point_of(int m, struct point_def *out, char meter[GFI_ID_MAX])
{
	if ((size_t)m < NTEMPLATE) {
		*out = template[m];
		snprintf(meter, GFI_ID_MAX, "%s", out->meter);
		return;
	}
	/* Sub-meters: electricity feeders, every sixth a water branch. */
	if (m % 6 == 5)
		*out = (struct point_def){ NULL, "volume_m3", "water_volume_m3", ROLE_SUBMETER,
					   "tap_water", 25, 0 };
	else
		*out = (struct point_def){ NULL, "import_kwh", "elec_import_kwh", ROLE_SUBMETER,
					   "electricity", 1400, 0 };
	snprintf(meter, GFI_ID_MAX, "SM%02d", m - (int)NTEMPLATE + 1);
	out->meter = meter;
}

static void registry(struct city *c, struct store *s, const char *pem)
{
	int rc;

	for (size_t i = 0; i < NCOUNTIES; i++) {
		if ((rc = store_county_put(s, &counties[i], 1)) != GFI_OK)
			die("county", rc);
	}
	for (int u = 0; u < c->units; u++) {
		const char *county = counties[(size_t)u % NCOUNTIES].code;
		struct reg_unit ru = { .kind = UNIT_FACTORY, .level = LEVEL_CITY,
				       .year_listed = 2019 + u % 6 };
		struct reg_gateway g = { .active = 1, .registered_s = c->y0 - 400 * DAY_S };

		credit_code(c->code[u], county, u + 1);
		if (!registry_credit_code_valid(c->code[u]))
			die("credit code", GFI_E_INVAL);
		memcpy(ru.code, c->code[u], sizeof(ru.code));
		snprintf(ru.name, sizeof(ru.name), "福州绿色制造样例厂 %04d", u + 1);
		snprintf(ru.county, sizeof(ru.county), "%s", county);
		snprintf(ru.sector, sizeof(ru.sector), "%s", sectors[(size_t)u % NSECTORS]);
		if ((rc = store_unit_put(s, &ru, 1)) != GFI_OK)
			die("unit", rc);
		snprintf(g.id, sizeof(g.id), "gw-%05d", u + 1);
		memcpy(g.unit, ru.code, sizeof(g.unit));
		snprintf(g.pubkey_pem, sizeof(g.pubkey_pem), "%s", pem);
		if ((rc = store_gateway_put(s, &g, 1)) != GFI_OK)
			die("gateway", rc);
		for (int m = 0; m < c->meters; m++) {
			struct point_def p;
			char meter[GFI_ID_MAX];
			struct reg_meter rm = { .registered_s = g.registered_s, .accuracy_pct = 0.5 };

			point_of(m, &p, meter);
			memcpy(rm.gateway, g.id, sizeof(rm.gateway));
			snprintf(rm.meter, sizeof(rm.meter), "%s", p.meter);
			snprintf(rm.point, sizeof(rm.point), "%s", p.point);
			snprintf(rm.quantity, sizeof(rm.quantity), "%s", p.quantity);
			rm.role = p.role;
			snprintf(rm.carrier, sizeof(rm.carrier), "%s", p.carrier);
			if (p.role == ROLE_PRODUCTION) {
				snprintf(rm.product, sizeof(rm.product), "castings");
				snprintf(rm.product_unit, sizeof(rm.product_unit), "t");
			}
			if (!registry_role_fits(rm.role, rm.quantity))
				die("role fits quantity", GFI_E_INVAL);
			if ((rc = store_meter_put(s, &rm, 1)) != GFI_OK)
				die("meter", rc);
		}
		{
			double size = exp(3.0 * noise((uint64_t)u, 1) - 1.5);
			struct reg_fact f = { .year = YEAR, .month = 0, .entered_s = c->y1 };
			memcpy(f.unit, ru.code, sizeof(f.unit));
			snprintf(f.entered_by, sizeof(f.entered_by), "bench");
			snprintf(f.key, sizeof(f.key), "output_value_10k_cny");
			f.value = round(52000.0 * size);
			if ((rc = store_fact_put(s, &f)) != GFI_OK)
				die("fact", rc);
			snprintf(f.key, sizeof(f.key), "value_added_10k_cny");
			f.value = round(13000.0 * size);
			if ((rc = store_fact_put(s, &f)) != GFI_OK)
				die("fact", rc);
		}
	}
}

/* Series and rollups straight into SQL, in primary key order. */
static void rollups(struct city *c, struct store *s)
{
	sqlite3_stmt *ser = NULL, *ins = NULL;
	int64_t id = 0;
	int ndays = (int)((c->y1 - c->y0) / DAY_S);

	if (store_prepare(s, "INSERT INTO series (id, gateway, meter, point, quantity)"
			  " VALUES (?1, ?2, ?3, ?4, ?5)", &ser) != GFI_OK ||
	    store_prepare(s, "INSERT INTO rollups (series, day_s, count, bad, first_s,"
			  " first_v, last_s, last_v, min_v, max_v, integral, flagged)"
			  " VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7, ?5, ?7, 0, 0)", &ins) != GFI_OK)
		die("prepare", GFI_E_DB);
	for (int u = 0; u < c->units; u++) {
		double size = exp(3.0 * noise((uint64_t)u, 1) - 1.5);
		char gw[GFI_ID_MAX];

		snprintf(gw, sizeof(gw), "gw-%05d", u + 1);
		for (int m = 0; m < c->meters; m++) {
			struct point_def p;
			char meter[GFI_ID_MAX];
			double v;

			point_of(m, &p, meter);
			id++;
			v = floor(1e5 * noise((uint64_t)id, 7)) / 10.0;
			sqlite3_bind_int64(ser, 1, id);
			sqlite3_bind_text(ser, 2, gw, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(ser, 3, p.meter, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(ser, 4, p.point, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(ser, 5, p.quantity, -1, SQLITE_STATIC);
			if (sqlite3_step(ser) != SQLITE_DONE)
				die("series insert", store_fail(s, "series insert", 0));
			sqlite3_reset(ser);
			for (int d = -1; d <= ndays; d++) {
				int64_t day = c->y0 + (int64_t)d * DAY_S;
				double use = day_use(&p, size, id, d);
				/* Readings every 15 min from midnight; the counter
				 * rises evenly through the day. Values rounded to
				 * the meter's 0.01 resolution. */
				double first = round(v * 100.0) / 100.0;
				double last = round((v + use * (READS_PER_DAY - 1) /
						     READS_PER_DAY) * 100.0) / 100.0;

				/* 取水量 counts purchased steam (t as m3). */
				if (u == 0 && (p.role == ROLE_WATER_INTAKE ||
					       strcmp(p.quantity, "steam_mass_t") == 0) &&
				    (d == 0 || d == ndays))
					c->check_intake_m3 += d == 0 ? -first : first;
				sqlite3_bind_int64(ins, 1, id);
				sqlite3_bind_int64(ins, 2, day);
				sqlite3_bind_int64(ins, 3, READS_PER_DAY);
				sqlite3_bind_int64(ins, 4, day);
				sqlite3_bind_double(ins, 5, first);
				sqlite3_bind_int64(ins, 6, day + DAY_S - READ_INTERVAL_S);
				sqlite3_bind_double(ins, 7, last);
				if (sqlite3_step(ins) != SQLITE_DONE)
					die("rollup insert", store_fail(s, "rollup insert", 0));
				sqlite3_reset(ins);
				c->rows++;
				c->year_rows += d >= 0 && d < ndays;
				v += use;
			}
		}
	}
	c->series = id;
	sqlite3_finalize(ser);
	sqlite3_finalize(ins);
}

static double generate(struct city *c, struct store *s, const char *pem)
{
	double t = now_s();
	int rc;

	if ((rc = store_begin(s)) != GFI_OK)
		die("begin", rc);
	registry(c, s, pem);
	rollups(c, s);
	if ((rc = store_commit(s)) != GFI_OK)
		die("commit", rc);
	exec_ok(s->db, "PRAGMA wal_checkpoint(TRUNCATE)");
	exec_ok(s->db, "ANALYZE");
	return now_s() - t;
}

static double compute(const struct city *c, struct store *s, int month, int nunits,
		      struct ind_period *keep)
{
	struct ind_period out;
	double t = now_s();
	int rc;

	for (int u = 0; u < nunits; u++) {
		for (int m = month < 0 ? 1 : month; m <= (month < 0 ? 12 : month); m++) {
			if ((rc = indicators_compute(s, c->code[u], YEAR, m, &out)) != GFI_OK)
				die("indicators_compute", rc);
			if (u == 0 && m == 0 && keep != NULL)
				*keep = out;
		}
	}
	return now_s() - t;
}

/* Every registered point's total over the year: the series layer alone. */
static double series_all(const struct city *c, struct store *s, double *sum)
{
	double t = now_s();

	*sum = 0;
	for (int u = 0; u < c->units; u++) {
		char gw[GFI_ID_MAX];
		snprintf(gw, sizeof(gw), "gw-%05d", u + 1);
		for (int m = 0; m < c->meters; m++) {
			struct point_def p;
			char meter[GFI_ID_MAX];
			struct series_total tot;
			struct series_key k = { gw, meter, NULL };
			int rc;

			point_of(m, &p, meter);
			k.meter = p.meter;
			k.point = p.point;
			rc = series_counter_total(s, &k, c->y0, c->y1, 0, READ_INTERVAL_S, &tot);
			if (rc != GFI_OK)
				die("series_counter_total", rc);
			*sum += tot.value;
		}
	}
	return now_s() - t;
}

/* The baseline: the year's rollup rows, every column read. */
static double scan(const struct city *c, struct store *s, int joined, double *sum,
		   int64_t *rows)
{
	static const char *const sql[2] = {
		"SELECT series, day_s, count, bad, first_s, first_v, last_s, last_v,"
		" min_v, max_v, integral, flagged FROM rollups"
		" WHERE day_s >= ?1 AND day_s < ?2",
		"SELECT s.gateway, s.meter, s.point, s.quantity, r.day_s, r.count, r.bad,"
		" r.first_s, r.first_v, r.last_s, r.last_v, r.min_v, r.max_v, r.integral,"
		" r.flagged FROM rollups r JOIN series s ON s.id = r.series"
		" WHERE r.day_s >= ?1 AND r.day_s < ?2",
	};
	sqlite3_stmt *st = NULL;
	double t = now_s();
	int rc;

	*sum = 0;
	*rows = 0;
	if (store_prepare(s, sql[joined], &st) != GFI_OK)
		die("scan prepare", GFI_E_DB);
	sqlite3_bind_int64(st, 1, c->y0);
	sqlite3_bind_int64(st, 2, c->y1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int n = sqlite3_column_count(st);
		for (int i = 0; i < n; i++) {
			if (sqlite3_column_type(st, i) == SQLITE_TEXT)
				*sum += (double)sqlite3_column_bytes(st, i);
			else
				*sum += sqlite3_column_double(st, i) * 1e-9;
		}
		(*rows)++;
	}
	if (rc != SQLITE_DONE)
		die("scan", store_fail(s, "scan", rc));
	sqlite3_finalize(st);
	return now_s() - t;
}

/* The rows series_counter_total needs for each point (its window of 62
 * days either side of the year), read one series at a time with the series
 * in the WHERE clause: what the series layer would cost if store_rollups
 * filtered by point in SQL rather than returning the gateway's every point. */
static double scan_per_series(const struct city *c, struct store *s, double *sum)
{
	sqlite3_stmt *st = NULL;
	double t = now_s();
	int rc = SQLITE_DONE;

	*sum = 0;
	if (store_prepare(s, "SELECT s.quantity, r.day_s, r.count, r.bad, r.first_s,"
			  " r.first_v, r.last_s, r.last_v, r.min_v, r.max_v, r.integral,"
			  " r.flagged FROM rollups r JOIN series s ON s.id = r.series"
			  " WHERE s.gateway = ?1 AND s.meter = ?2 AND s.point = ?3"
			  " AND r.day_s >= ?4 AND r.day_s < ?5 ORDER BY r.day_s", &st) != GFI_OK)
		die("per-series prepare", GFI_E_DB);
	for (int u = 0; u < c->units; u++) {
		char gw[GFI_ID_MAX];
		snprintf(gw, sizeof(gw), "gw-%05d", u + 1);
		for (int m = 0; m < c->meters; m++) {
			struct point_def p;
			char meter[GFI_ID_MAX];

			point_of(m, &p, meter);
			sqlite3_bind_text(st, 1, gw, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 2, p.meter, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(st, 3, p.point, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(st, 4, c->y0 - 62 * DAY_S);
			sqlite3_bind_int64(st, 5, c->y1 + 62 * DAY_S);
			while ((rc = sqlite3_step(st)) == SQLITE_ROW)
				*sum += sqlite3_column_double(st, 7) - sqlite3_column_double(st, 5);
			if (rc != SQLITE_DONE)
				die("per-series scan", store_fail(s, "per-series scan", rc));
			sqlite3_reset(st);
		}
	}
	sqlite3_finalize(st);
	return now_s() - t;
}

/* ---- the profiled pass ---- */

#define PROF_MAX 64
#define NOPEN 16
struct prof_entry {
	char sql[96];           /* the statement's text, cut */
	int64_t runs, rows;     /* completed runs, rows stepped */
	double ms;              /* time in its runs */
};
struct prof {
	struct prof_entry e[PROF_MAX];
	int n;
	/* Statements running now, their entry and when each run started (the
	 * entry is found once per run, not per row, so that tracing costs
	 * little; SQLite's own profile times have millisecond resolution). */
	struct {
		void *st;
		int slot;
		double t;
	} open[NOPEN];
};

static int prof_slot(struct prof *p, sqlite3_stmt *st)
{
	const char *sql = sqlite3_sql(st);
	char key[96];

	snprintf(key, sizeof(key), "%s", sql != NULL ? sql : "?");
	for (char *q = key; *q; q++) {
		if (*q == '"' || *q == '\\' || (unsigned char)*q < 0x20)
			*q = ' ';
	}
	for (int i = 0; i < p->n; i++) {
		if (strcmp(p->e[i].sql, key) == 0)
			return i;
	}
	if (p->n == PROF_MAX)
		return PROF_MAX - 1;
	snprintf(p->e[p->n].sql, sizeof(p->e[p->n].sql), "%s", key);
	return p->n++;
}

static int prof_cb(unsigned type, void *ctx, void *pst, void *x)
{
	struct prof *p = ctx;
	size_t k;

	(void)x;
	for (k = 0; k < NOPEN && p->open[k].st != pst; k++)
		;
	if (type == SQLITE_TRACE_STMT) {
		if (k == NOPEN) {
			for (k = 0; k < NOPEN && p->open[k].st != NULL; k++)
				;
			if (k == NOPEN)
				return 0;     /* more than NOPEN at once: not timed */
		}
		p->open[k].st = pst;
		p->open[k].slot = prof_slot(p, pst);
		p->open[k].t = now_s();
		return 0;
	}
	if (k == NOPEN)
		return 0;
	if (type == SQLITE_TRACE_ROW) {
		p->e[p->open[k].slot].rows++;
	} else if (type == SQLITE_TRACE_PROFILE) {
		p->e[p->open[k].slot].runs++;
		p->e[p->open[k].slot].ms += (now_s() - p->open[k].t) * 1e3;
		p->open[k].st = NULL;
	}
	return 0;
}

static int prof_cmp(const void *a, const void *b)
{
	const struct prof_entry *x = a, *y = b;
	return (x->ms < y->ms) - (x->ms > y->ms);
}

static void profile(const struct city *c, struct store *s, int nunits, FILE *out)
{
	struct prof *p = calloc(1, sizeof(*p));
	int64_t rows = 0, runs = 0;

	if (p == NULL)
		die("alloc", GFI_E_NOMEM);
	sqlite3_trace_v2(s->db, SQLITE_TRACE_STMT | SQLITE_TRACE_PROFILE | SQLITE_TRACE_ROW,
			 prof_cb, p);
	compute(c, s, 0, nunits, NULL);
	sqlite3_trace_v2(s->db, 0, NULL, NULL);
	qsort(p->e, (size_t)p->n, sizeof(p->e[0]), prof_cmp);
	for (int i = 0; i < p->n; i++) {
		rows += p->e[i].rows;
		runs += p->e[i].runs;
	}
	fprintf(out, "\"profile_units\":%d,\"profile_statements_per_unit\":%.0f,"
		"\"profile_rows_stepped_per_unit\":%.0f,\"profile_own_rollup_rows_per_unit\":%d,"
		"\"profile\":[", nunits, (double)runs / nunits, (double)rows / nunits,
		c->meters * (int)((c->y1 - c->y0) / DAY_S));
	for (int i = 0; i < p->n && i < 8; i++)
		fprintf(out, "%s{\"sql\":\"%s\",\"runs_per_unit\":%.1f,\"rows_per_unit\":%.0f,"
			"\"ms_per_unit\":%.3f}", i ? "," : "", p->e[i].sql,
			(double)p->e[i].runs / nunits, (double)p->e[i].rows / nunits,
			p->e[i].ms / nunits);
	fprintf(out, "]");
	free(p);
}

/* The timed sides of a round; the plain scan is the baseline of every
 * ratio (bench/city_year.py divides each side by it, round by round). */
enum side { SIDE_SCAN, SIDE_JOINED, SIDE_PER_SERIES, SIDE_SERIES, SIDE_YEAR, NSIDES };
static const char *const side_key[NSIDES] = { "scan_s", "scan_joined_s",
	"scan_per_series_s", "series_totals_s", "city_year_s" };
#define MAX_ROUNDS 99

struct rounds {
	int n;                          /* rounds run, 1..MAX_ROUNDS */
	double t[NSIDES][MAX_ROUNDS];   /* seconds per side per round */
	int64_t scan_rows, join_rows;   /* rows the last scans stepped */
	struct ind_period first;        /* unit 0's year, for the check */
};

static double time_side(const struct city *c, struct store *s, int side, struct rounds *r)
{
	double sum;

	switch (side) {
	case SIDE_SCAN: return scan(c, s, 0, &sum, &r->scan_rows);
	case SIDE_JOINED: return scan(c, s, 1, &sum, &r->join_rows);
	case SIDE_PER_SERIES: return scan_per_series(c, s, &sum);
	case SIDE_SERIES: return series_all(c, s, &sum);
	default: return compute(c, s, 0, c->units, &r->first);
	}
}

/* r->n rounds of every side, in order on even rounds and reversed on odd
 * ones (bench/abab.py's order), so that a drift of the machine's speed
 * during the run loads the baseline and the computation alike. */
static void run_rounds(const struct city *c, struct store *s, struct rounds *r)
{
	for (int i = 0; i < r->n; i++) {
		for (int k = 0; k < NSIDES; k++) {
			int side = i % 2 == 0 ? k : NSIDES - 1 - k;
			r->t[side][i] = time_side(c, s, side, r);
		}
	}
}

/* "rounds":{"scan_s":[...],...}, each side's seconds in round order. */
static void print_rounds(const struct rounds *r)
{
	printf("\"rounds\":{");
	for (int k = 0; k < NSIDES; k++) {
		printf("%s\"%s\":[", k ? "," : "", side_key[k]);
		for (int i = 0; i < r->n; i++)
			printf("%s%.6f", i ? "," : "", r->t[k][i]);
		printf("]");
	}
	printf("},");
}

static int arg(const char *s, long lo, long hi, int *out)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);

	if (end == s || *end != '\0' || v < lo || v > hi)
		return GFI_E_RANGE;
	*out = (int)v;
	return GFI_OK;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/gfi-bench-city-XXXXXX", key[96], db[96], err[256];
	char pem[GFI_PUBKEY_PEM_MAX];
	struct city c = { 300, 30, 0, 0, 0, 0, 0, NULL, 0 };
	struct store *s = NULL;
	static struct rounds r = { .n = 1 };
	double tgen, tmonths = 0, sum;
	struct stat sb;
	int months = 1, rc;

	if ((argc > 1 && arg(argv[1], 1, 100000, &c.units) != GFI_OK) ||
	    (argc > 2 && arg(argv[2], 1, 99, &c.meters) != GFI_OK) ||
	    (argc > 3 && arg(argv[3], 0, 1, &months) != GFI_OK) ||
	    (argc > 4 && arg(argv[4], 1, MAX_ROUNDS, &r.n) != GFI_OK) || argc > 5) {
		fprintf(stderr, "usage: bench-city-year [UNITS 1..100000 [METERS 1..99"
			" [MONTHS 0|1 [ROUNDS 1..%d]]]]\n", MAX_ROUNDS);
		return 2;
	}
	gfi_log_set_level(GFI_LOG_WARNING);
	if ((rc = period_bounds(YEAR, 0, &c.y0, &c.y1)) != GFI_OK)
		die("period", rc);
	if ((c.code = calloc((size_t)c.units, sizeof(*c.code))) == NULL)
		die("alloc", GFI_E_NOMEM);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", GFI_E_IO);
	snprintf(key, sizeof(key), "%s/gw.key", dir);
	snprintf(db, sizeof(db), "%s/gfi.db", dir);
	if (gfi_sign_keygen(key, 0, err, sizeof(err)) != GFI_OK ||
	    gfi_sign_pubkey_pem(key, pem, sizeof(pem), err, sizeof(err)) != GFI_OK) {
		fprintf(stderr, "key: %s\n", err);
		return 1;
	}
	if ((rc = store_open(db, &s)) != GFI_OK)
		die("store_open", rc);
	tgen = generate(&c, s, pem);
	if (stat(db, &sb) != 0)
		die("stat", GFI_E_IO);

	/* Warm the page cache with one untimed scan, so neither side pays for
	 * the first read from disk. */
	scan(&c, s, 0, &sum, &r.scan_rows);
	run_rounds(&c, s, &r);
	if (months)
		tmonths = compute(&c, s, -1, c.units, NULL);

	printf("{\"units\":%d,\"meters\":%d,\"series\":%lld,\"rollup_rows\":%lld,"
	       "\"rollup_rows_2025\":%lld,\"store_mb\":%.1f,\"gen_s\":%.2f,"
	       "\"city_months_s\":%.3f,\"ms_per_unit_month\":%.3f,\"scan_rows\":%lld,"
	       "\"check_water_intake_m3\":{\"generated\":%.2f,\"computed\":%.2f,"
	       "\"has_value\":%d,\"completeness\":%.4f},",
	       c.units, c.meters, (long long)c.series, (long long)c.rows,
	       (long long)c.year_rows, (double)sb.st_size / 1048576.0, tgen, tmonths,
	       months ? tmonths * 1e3 / (12.0 * c.units) : 0.0, (long long)r.scan_rows,
	       c.check_intake_m3, r.first.v[IND_WATER_INTAKE_M3].value,
	       r.first.v[IND_WATER_INTAKE_M3].has_value,
	       r.first.v[IND_WATER_INTAKE_M3].completeness);
	print_rounds(&r);
	profile(&c, s, c.units < PROFILE_UNITS ? c.units : PROFILE_UNITS, stdout);
	printf("}\n");
	if (r.scan_rows != c.year_rows || r.join_rows != c.year_rows)
		fprintf(stderr, "bench-city-year: scanned %lld rows, expected %lld\n",
			(long long)r.scan_rows, (long long)c.year_rows);

	store_close(s);
	free(c.code);
	{
		static const char *const names[] = { "gw.key", "gfi.db", "gfi.db-wal",
			"gfi.db-shm" };
		char p[160];
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
			unlink(p);
		}
		rmdir(dir);
	}
	return r.scan_rows == c.year_rows && r.join_rows == c.year_rows ? 0 : 1;
}

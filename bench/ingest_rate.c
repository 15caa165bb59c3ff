/*
 * ingest_rate.c — the aggregator's sustained ingest rate, without MQTT.
 *
 * Pre-builds N signed, chained batches of R readings (100 meters x 5 points,
 * shaped like a real gateway's) with gfi_batch_build, then times:
 *   verify   verify_one per batch through the aggregator's verify module:
 *            parse, registry lookups, ECDSA signature check, chain, raw
 *            payload, readings, rollups, one committed transaction per batch
 *            (WAL, synchronous=FULL, as the aggregator runs);
 *   sigonly  gfi_batch_parse + gfi_batch_verify alone, the crypto floor;
 *   plain    a plain SQLite baseline: the same rows inserted into one
 *            readings table (series, time, value, status) with the same
 *            pragmas, one transaction per batch of R, no checks, no rollups.
 * Then the store's bytes per reading: the store file's size after a WAL
 * checkpoint (TRUNCATE) divided by the readings held (raw signed batches,
 * readings, rollups and indexes included). Prints one JSON object; the
 * figures of a side not run are 0.
 * usage: bench-ingest-rate [N [R [SIDE]]]   (default 40 batches of 500, all)
 * SIDE verify, sigonly or plain times that side alone (the batches are built
 * untimed in every invocation), so that bench/ingest.py can alternate the
 * sides in rounds (bench/abab.py); all times the three in turn.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "batch.h"
#include "error.h"
#include "log.h"
#include "sign.h"
#include "store.h"
#include "verify.h"

#define GW "gw-bench"
#define NMETERS 100
#define T0 1764547200
#define UNIT "91350100M000100Y43"

static const char *const points[][2] = {
	{ "import_kwh", "elec_import_kwh" }, { "p_total", "elec_power_kw" },
	{ "v_l1", "elec_voltage_v" }, { "i_l1", "elec_current_a" },
	{ "pf_total", "elec_power_factor" },
};
#define NPOINTS (sizeof(points) / sizeof(points[0]))

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process: on a loaded machine the wall clock also
 * counts other processes' turns, so both are printed. */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_mark, cpu_verify, cpu_plain;

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench-ingest-rate: %s failed: %s\n", what, gfi_strerror(rc));
	exit(1);
}

static void registry(struct store *s, struct gfi_signer *sg)
{
	struct reg_county c = { .code = "350102", .name = "Gulou" };
	struct reg_unit u = { .code = UNIT, .name = "Bench Works", .kind = UNIT_FACTORY,
			      .county = "350102", .level = LEVEL_CITY,
			      .year_listed = 2024, .sector = "C3130" };
	struct reg_gateway g = { .id = GW, .unit = UNIT, .active = 1, .registered_s = 0 };
	int rc;

	if ((rc = store_county_put(s, &c, 1)) || (rc = store_unit_put(s, &u, 1)))
		die("registry", rc);
	if ((rc = gfi_signer_pubkey_pem(sg, g.pubkey_pem, sizeof(g.pubkey_pem))) ||
	    (rc = store_gateway_put(s, &g, 1)))
		die("gateway", rc);
	for (int m = 0; m < NMETERS; m++) {
		for (size_t p = 0; p < NPOINTS; p++) {
			struct reg_meter rm = { .gateway = GW, .role = ROLE_NONE };
			snprintf(rm.meter, sizeof(rm.meter), "E%03d", m);
			snprintf(rm.point, sizeof(rm.point), "%s", points[p][0]);
			snprintf(rm.quantity, sizeof(rm.quantity), "%s", points[p][1]);
			if ((rc = store_meter_put(s, &rm, 1)) != GFI_OK)
				die("meter", rc);
		}
	}
}

/* Reading k of the whole run (time-major: every point of every meter per
 * 60 s poll), so batches cover consecutive polls. */
static struct gfi_reading reading_at(long k)
{
	struct gfi_reading r;
	long per_poll = NMETERS * (long)NPOINTS;
	long poll = k / per_poll, within = k % per_poll;
	int m = (int)(within / (long)NPOINTS);
	size_t p = (size_t)(within % (long)NPOINTS);

	memset(&r, 0, sizeof(r));
	snprintf(r.meter, sizeof(r.meter), "E%03d", m);
	snprintf(r.point, sizeof(r.point), "%s", points[p][0]);
	snprintf(r.quantity, sizeof(r.quantity), "%s", points[p][1]);
	r.time_s = T0 + poll * 60;
	r.value = p == 0 ? 1000.0 + (double)poll * 0.25 : 230.0 + (double)(k % 97) * 0.1;
	r.value = (double)(float)r.value;
	r.status = GFI_ST_OK;
	return r;
}

struct batches {
	long n, r;
	char **payload;
	size_t *len;
};

static void build_all(struct batches *b, struct gfi_signer *sg)
{
	struct gfi_reading *rs = calloc((size_t)b->r, sizeof(*rs));
	uint8_t prev[GFI_SHA256_LEN] = { 0 }, hash[GFI_SHA256_LEN];
	char err[256];

	b->payload = calloc((size_t)b->n, sizeof(char *));
	b->len = calloc((size_t)b->n, sizeof(size_t));
	if (rs == NULL || b->payload == NULL || b->len == NULL)
		die("alloc", GFI_E_NOMEM);
	for (long i = 0; i < b->n; i++) {
		for (long j = 0; j < b->r; j++)
			rs[j] = reading_at(i * b->r + j);
		int rc = gfi_batch_build(GW, (uint64_t)i + 1, prev, T0, rs, (size_t)b->r, sg,
					 &b->payload[i], &b->len[i], hash, err, sizeof(err));
		if (rc != GFI_OK) {
			fprintf(stderr, "build: %s\n", err);
			exit(1);
		}
		memcpy(prev, hash, sizeof(prev));
	}
	free(rs);
}

static double run_verify(const struct batches *b, struct store *s)
{
	struct verify *v = NULL;
	struct verify_decision d;
	double t;
	int rc;

	if ((rc = verify_new(s, 300, &v)) != GFI_OK)
		die("verify_new", rc);
	t = now_s();
	cpu_mark = cpu_s();
	for (long i = 0; i < b->n; i++) {
		rc = verify_one(v, "gfi/v1/" GW "/batch", b->payload[i], b->len[i],
				T0 + 86400L * 30, &d);
		if (rc != GFI_OK || d.outcome != VERIFY_ACCEPTED || d.stored != (size_t)b->r) {
			fprintf(stderr, "batch %ld: %s %s\n", i + 1,
				verify_outcome_name(d.outcome), d.reason);
			exit(1);
		}
	}
	t = now_s() - t;
	cpu_verify = cpu_s() - cpu_mark;
	verify_free(v);
	return t;
}

static double run_sigonly(const struct batches *b, struct gfi_signer *sg)
{
	struct gfi_verifier *key = NULL;
	char pem[GFI_PUBKEY_PEM_MAX], err[256];
	double t;

	if (gfi_signer_pubkey_pem(sg, pem, sizeof(pem)) != GFI_OK ||
	    gfi_verifier_new(pem, strlen(pem), &key, err, sizeof(err)) != GFI_OK)
		die("verifier", GFI_E_CRYPTO);
	t = now_s();
	for (long i = 0; i < b->n; i++) {
		struct gfi_batch *pb = NULL;
		if (gfi_batch_parse(b->payload[i], b->len[i], &pb, err, sizeof(err)) != GFI_OK ||
		    gfi_batch_verify(pb, key) != GFI_OK)
			die("sigonly", GFI_E_CRYPTO);
		gfi_batch_free(pb);
	}
	t = now_s() - t;
	gfi_verifier_free(key);
	return t;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s: %s\n", sql, sqlite3_errmsg(db));
		exit(1);
	}
}

/* The baseline: the same rows, one plain table, one transaction per batch. */
static double run_plain(const struct batches *b, const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	double t;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("plain open", GFI_E_DB);
	exec_ok(db, "PRAGMA journal_mode = WAL");
	exec_ok(db, "PRAGMA synchronous = FULL");
	exec_ok(db, "CREATE TABLE readings (series INTEGER NOT NULL, time_s INTEGER NOT NULL,"
		    " value REAL, status INTEGER NOT NULL, PRIMARY KEY (series, time_s))"
		    " WITHOUT ROWID");
	if (sqlite3_prepare_v2(db, "INSERT INTO readings VALUES (?1, ?2, ?3, ?4)", -1, &st,
			       NULL) != SQLITE_OK)
		die("plain prepare", GFI_E_DB);
	t = now_s();
	cpu_mark = cpu_s();
	for (long i = 0; i < b->n; i++) {
		exec_ok(db, "BEGIN IMMEDIATE");
		for (long j = 0; j < b->r; j++) {
			long k = i * b->r + j;
			struct gfi_reading r = reading_at(k);
			sqlite3_bind_int64(st, 1, k % (NMETERS * (long)NPOINTS));
			sqlite3_bind_int64(st, 2, r.time_s);
			sqlite3_bind_double(st, 3, r.value);
			sqlite3_bind_int(st, 4, r.status);
			if (sqlite3_step(st) != SQLITE_DONE)
				die("plain insert", GFI_E_DB);
			sqlite3_reset(st);
		}
		exec_ok(db, "COMMIT");
	}
	t = now_s() - t;
	cpu_plain = cpu_s() - cpu_mark;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return t;
}

static long long checkpointed_size(const char *path)
{
	sqlite3 *db = NULL;
	struct stat sb;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("size open", GFI_E_DB);
	exec_ok(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(db);
	return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* Which sides one invocation times; bench/ingest.py runs one at a time and
 * alternates them (bench/abab.py), "all" runs the three in turn. */
struct sides {
	int verify, sigonly, plain;
};

static int parse_side(const char *arg, struct sides *out)
{
	int all = strcmp(arg, "all") == 0;

	out->verify = all || strcmp(arg, "verify") == 0;
	out->sigonly = all || strcmp(arg, "sigonly") == 0;
	out->plain = all || strcmp(arg, "plain") == 0;
	return out->verify || out->sigonly || out->plain ? GFI_OK : GFI_E_INVAL;
}

/* Seconds and sizes of one invocation; 0 for a side not run. readings is
 * what the gfi store holds after the verify side (every reading: run_verify
 * exits unless all are stored). */
struct result {
	double tv, ts, tp;
	long long readings, bytes, pbytes;
};

/* Figures of a side not run print as 0. */
static double per(double num, double den)
{
	return den > 0 ? num / den : 0.0;
}

static void print_result(const struct batches *b, const struct result *r)
{
	double n = (double)(b->n * b->r);

	printf("{\"batches\":%ld,\"readings_per_batch\":%ld,\"readings\":%lld,"
	       "\"verify_commit_readings_per_s\":%.0f,\"verify_commit_batches_per_s\":%.1f,"
	       "\"parse_sig_only_readings_per_s\":%.0f,\"plain_sqlite_readings_per_s\":%.0f,"
	       "\"store_bytes_per_reading\":%.1f,\"plain_bytes_per_reading\":%.1f,"
	       "\"payload_bytes_per_reading\":%.1f,"
	       "\"verify_commit_cpu_us_per_reading\":%.2f,\"plain_cpu_us_per_reading\":%.2f}\n",
	       b->n, b->r, (long long)n, per(n, r->tv), per((double)b->n, r->tv),
	       per(n, r->ts), per(n, r->tp), per((double)r->bytes, (double)r->readings),
	       r->tp > 0 ? (double)r->pbytes / n : 0.0, (double)b->len[0] / (double)b->r,
	       cpu_verify * 1e6 / n, cpu_plain * 1e6 / n);
}

static void remove_dir(const char *dir)
{
	static const char *const names[] = { "gw.key", "gfi.db", "gfi.db-wal",
		"gfi.db-shm", "plain.db", "plain.db-wal", "plain.db-shm" };
	char p[160];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* The verify side into a fresh store at db: seconds, readings held and the
 * store's bytes after a checkpoint. */
static void time_verify(const struct batches *b, struct gfi_signer *sg, const char *db,
			struct result *r)
{
	struct store *s = NULL;
	struct store_counts c;
	int rc;

	if ((rc = store_open(db, &s)) != GFI_OK)
		die("store_open", rc);
	registry(s, sg);
	r->tv = run_verify(b, s);
	if ((rc = store_counts(s, &c)) != GFI_OK)
		die("counts", rc);
	store_close(s);
	r->readings = (long long)c.readings;
	r->bytes = checkpointed_size(db);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/gfi-bench-ingest-XXXXXX", key[96], db[96], plain[96], err[256];
	struct batches b = { 40, 500, NULL, NULL };
	struct gfi_signer *sg = NULL;
	struct sides sd;
	struct result r = { 0 };

	if (argc > 1)
		b.n = strtol(argv[1], NULL, 10);
	if (argc > 2)
		b.r = strtol(argv[2], NULL, 10);
	if (b.n < 1 || b.n > 100000 || b.r < 1 || b.r > 2000 || argc > 4 ||
	    parse_side(argc > 3 ? argv[3] : "all", &sd) != GFI_OK) {
		fprintf(stderr, "usage: bench-ingest-rate [N 1..100000 [R 1..2000"
			" [verify|sigonly|plain|all]]]\n");
		return 2;
	}
	gfi_log_set_level(GFI_LOG_WARNING);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", GFI_E_IO);
	snprintf(key, sizeof(key), "%s/gw.key", dir);
	snprintf(db, sizeof(db), "%s/gfi.db", dir);
	snprintf(plain, sizeof(plain), "%s/plain.db", dir);
	if (gfi_sign_keygen(key, 0, err, sizeof(err)) != GFI_OK ||
	    gfi_signer_open(key, &sg, err, sizeof(err)) != GFI_OK) {
		fprintf(stderr, "key: %s\n", err);
		return 1;
	}
	build_all(&b, sg);
	if (sd.verify)
		time_verify(&b, sg, db, &r);
	if (sd.sigonly)
		r.ts = run_sigonly(&b, sg);
	if (sd.plain) {
		r.tp = run_plain(&b, plain);
		r.pbytes = checkpointed_size(plain);
	}
	print_result(&b, &r);
	for (long i = 0; i < b.n; i++)
		free(b.payload[i]);
	free(b.payload);
	free(b.len);
	gfi_signer_close(sg);
	remove_dir(dir);
	return 0;
}

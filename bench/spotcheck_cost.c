/*
 * spotcheck_cost.c — bench-spotcheck: a store of one-minute signed batches
 * and the cost of a spot check on it (issue 16: milliseconds, flat from a
 * day to a year of batches).
 *
 * usage: bench-spotcheck build STORE MINUTES KEY
 *          a fresh store: one gateway (gw-bench, key KEY, made when
 *          missing) of unit UNIT in county 350102, its counter E1/kwh
 *          registered, and MINUTES batches, one a minute, each holding
 *          E1/kwh (1000 + 25 kWh a minute: 1000 + 25 i at minute i) and
 *          NOTHER unregistered points (kept in the raw batch only), as a
 *          gateway's one-minute batch is; accepted by verify_message, a
 *          transaction per 1000 batches. Prints {"batches": N, "build_s": s}.
 *        bench-spotcheck judge STORE CHECKS
 *          CHECKS display spot checks (spotcheck_judge, not stored) at
 *          instants spread evenly over the history, the display on the
 *          line (consistent expected: anything else exits 1). Prints
 *          {"checks", "batches", "median_ms", "max_ms"}.
 * bench/spotcheck_flat.py alternates judge on a day's and a year's store;
 * bench/spotcheck_concurrent.py serves a month's store over HTTP.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "error.h"
#include "log.h"
#include "sign.h"
#include "spotcheck.h"
#include "store.h"
#include "verify.h"

#define GW "gw-bench"
#define UNIT "91350100M000100Y43"
#define T0 1735660800            /* 2025-01-01 00:00 Asia/Shanghai */
#define NOTHER 19                /* other points of the gateway, per minute */
#define PER_TX 1000

static void die(const char *what, int rc)
{
	fprintf(stderr, "bench-spotcheck: %s failed: %s\n", what, gfi_strerror(rc));
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void registry(struct store *s, struct gfi_signer *sg)
{
	struct reg_county c = { .code = "350102", .name = "Gulou" };
	struct reg_unit u = { .code = UNIT, .name = "Bench Foundry", .kind = UNIT_FACTORY,
			      .county = "350102", .level = LEVEL_CITY,
			      .year_listed = 2024, .sector = "C3391" };
	struct reg_gateway g = { .id = GW, .unit = UNIT, .active = 1, .registered_s = 0 };
	struct reg_meter m = { .gateway = GW, .meter = "E1", .point = "kwh",
			       .quantity = "elec_import_kwh", .role = ROLE_ELEC_PURCHASED,
			       .carrier = "electricity", .accuracy_pct = 1 };
	int rc;

	if ((rc = store_county_put(s, &c, 1)) || (rc = store_unit_put(s, &u, 1)) ||
	    (rc = gfi_signer_pubkey_pem(sg, g.pubkey_pem, sizeof(g.pubkey_pem))) ||
	    (rc = store_gateway_put(s, &g, 1)) || (rc = store_meter_put(s, &m, 1)))
		die("registry", rc);
}

/* The readings of minute i: E1/kwh first, then the other points. */
static void minute(long i, struct gfi_reading *r)
{
	memset(r, 0, (NOTHER + 1) * sizeof(*r));
	for (int k = 0; k <= NOTHER; k++) {
		snprintf(r[k].meter, sizeof(r[k].meter), k == 0 ? "E1" : "X%02d", k);
		snprintf(r[k].point, sizeof(r[k].point), "%s", k == 0 ? "kwh" : "p_total");
		snprintf(r[k].quantity, sizeof(r[k].quantity), "%s",
			 k == 0 ? "elec_import_kwh" : "elec_power_kw");
		r[k].time_s = T0 + i * 60;
		r[k].value = k == 0 ? 1000.0 + 25.0 * (double)i : 100.0 + (double)(k % 7);
		r[k].status = GFI_ST_OK;
	}
}

static int build(const char *path, long minutes, const char *key)
{
	uint8_t prev[GFI_SHA256_LEN] = { 0 }, hash[GFI_SHA256_LEN];
	struct gfi_reading r[NOTHER + 1];
	struct gfi_signer *sg = NULL;
	struct verify *v = NULL;
	struct store *s = NULL;
	char err[256];
	double t = now_s();
	int rc;

	if (access(key, F_OK) != 0 && (rc = gfi_sign_keygen(key, 0, err, sizeof(err))))
		die(err, rc);
	if ((rc = gfi_signer_open(key, &sg, err, sizeof(err))) || (rc = store_open(path, &s)) ||
	    (rc = verify_new(s, 300, &v)))
		die("open", rc);
	registry(s, sg);
	for (long i = 0; i < minutes; i++) {
		struct verify_decision d;
		char *p = NULL;
		size_t len = 0;

		minute(i, r);
		if (i % PER_TX == 0 && (rc = store_begin(s)) != GFI_OK)
			die("begin", rc);
		if ((rc = gfi_batch_build(GW, (uint64_t)i + 1, prev, r[0].time_s, r, NOTHER + 1,
					  sg, &p, &len, hash, err, sizeof(err))) ||
		    (rc = verify_message(v, "gfi/v1/" GW "/batch", p, len, r[0].time_s + 5, &d)))
			die("batch", rc);
		free(p);
		if (d.outcome != VERIFY_ACCEPTED)
			die(d.reason, GFI_E_CRYPTO);
		memcpy(prev, hash, sizeof(prev));
		if ((i % PER_TX == PER_TX - 1 || i == minutes - 1) && (rc = store_commit(s)))
			die("commit", rc);
	}
	printf("{\"batches\": %ld, \"build_s\": %.3f}\n", minutes, now_s() - t);
	verify_free(v);
	store_close(s);
	gfi_signer_close(sg);
	return 0;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int judge(const char *path, long checks)
{
	struct store *s = NULL;
	uint64_t head = 0;
	uint8_t hash[GFI_SHA256_LEN];
	double *ms = calloc((size_t)checks, sizeof(*ms));
	int rc;

	if (ms == NULL || (rc = store_open(path, &s)) || (rc = store_chain_get(s, GW, &head, hash)))
		die("open", ms == NULL ? GFI_E_NOMEM : rc);
	for (long k = 0; k < checks; k++) {
		/* Minute i + 30 s: reported 1000 + 25 i + 12.5, the display too. */
		long i = (long)((double)(head - 2) * ((double)k + 0.5) / (double)checks);
		struct spotcheck_input in = { .gateway = GW, .meter = "E1", .point = "kwh",
					      .at_s = T0 + i * 60 + 30,
					      .reading = 1000.0 + 25.0 * (double)i + 12.5,
					      .display_resolution = NAN, .register_step = NAN,
					      .clock_uncertainty_s = NAN, .inspector = "bench",
					      .note = "", .now_s = T0 };
		struct store_spotcheck c;
		double t = now_s();

		if ((rc = spotcheck_judge(s, &in, &c)) != GFI_OK)
			die("judge", rc);
		ms[k] = (now_s() - t) * 1000.0;
		if (strcmp(c.verdict, "consistent") != 0) {
			fprintf(stderr, "bench-spotcheck: minute %ld: %s: %s\n", i, c.verdict,
				c.reason);
			return 1;
		}
	}
	qsort(ms, (size_t)checks, sizeof(*ms), by_value);
	printf("{\"checks\": %ld, \"batches\": %llu, \"median_ms\": %.3f, \"max_ms\": %.3f}\n",
	       checks, (unsigned long long)head, ms[checks / 2], ms[checks - 1]);
	free(ms);
	store_close(s);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 3 ? strtol(argv[3], NULL, 10) : 0;

	gfi_log_set_level(GFI_LOG_WARNING);
	if (argc == 5 && strcmp(argv[1], "build") == 0 && n > 2)
		return build(argv[2], n, argv[4]);
	if (argc == 4 && strcmp(argv[1], "judge") == 0 && n > 0)
		return judge(argv[2], n);
	fprintf(stderr, "usage: bench-spotcheck build STORE MINUTES KEY | judge STORE CHECKS\n");
	return 2;
}

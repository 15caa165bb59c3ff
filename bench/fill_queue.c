/*
 * fill_queue.c — a backlog for the drain benchmark: N readings shaped like
 * real ones, pushed into <dir>/queue.db through the agent's own queue_push.
 *
 * 100 meters M000..M099, each with the points of one profile (default
 * eastron-sdm630, the 45-point SDM630), polled in turn so the N readings
 * cover one week; status ok; values near what a three-phase meter reads
 * (230 V, tens of amperes, counters that only rise), rounded through float
 * as the f32 registers deliver them. Deterministic (fixed PRNG seed), so
 * every run drains the same bytes. Pushes in chunks of 5000 readings, one
 * transaction each. Prints one JSON object: readings, seconds, readings/s.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "profile.h"
#include "quantity.h"
#include "queue.h"

#define NMETERS 100
#define CHUNK 5000
#define WEEK_S (7 * 86400)
#define T0_S 1764547200LL  /* 2025-12-01T00:00:00Z */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: uniform in [0, 1). */
static double rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A plausible value for quantity q at poll number k of one meter; counters
 * rise with k from a per-meter base. */
static double value_for(const char *q, int meter, int64_t k)
{
	double base = 1000.0 + 137.0 * meter;
	double v;

	if (strcmp(q, "elec_voltage_v") == 0)
		v = 230.0 + 6.0 * (rnd() - 0.5);
	else if (strcmp(q, "elec_current_a") == 0)
		v = 5.0 + 60.0 * rnd();
	else if (strcmp(q, "elec_power_kw") == 0)
		v = 1.0 + 40.0 * rnd();
	else if (strcmp(q, "elec_power_factor") == 0)
		v = 0.85 + 0.14 * rnd();
	else if (strcmp(q, "elec_frequency_hz") == 0)
		v = 50.0 + 0.1 * (rnd() - 0.5);
	else if (strstr(q, "export") != NULL)
		v = base * 0.1 + 0.7 * (double)k + rnd() * 0.1;
	else if (strstr(q, "reactive") != NULL)
		v = base * 0.3 + 2.1 * (double)k + rnd() * 0.1;
	else
		v = base + 11.3 * (double)k + rnd() * 0.1;
	return (double)(float)v; /* as an f32 register delivers it */
}

int main(int argc, char **argv)
{
	struct gfi_profile *prof = NULL;
	struct queue *q = NULL;
	struct gfi_reading *buf = NULL;
	char path[1024], err[256], *end = NULL;
	long long n;
	int64_t polls_per_meter, step_s, done = 0;
	double t0, dt;
	int ret = 1;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: bench-fill-queue DIR READINGS PROFILES_DIR [PROFILE]\n");
		return 2;
	}
	n = strtoll(argv[2], &end, 10);
	if (end == argv[2] || *end != '\0' || n < 1 || n > 100000000) {
		fprintf(stderr, "READINGS: %s not in 1..100000000\n", argv[2]);
		return 2;
	}
	if (gfi_profile_load(argv[3], argc == 5 ? argv[4] : "eastron-sdm630", &prof,
			     err, sizeof(err)) != GFI_OK) {
		fprintf(stderr, "profile: %s\n", err);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/queue.db", argv[1]);
	buf = calloc(CHUNK, sizeof(*buf));
	if (buf == NULL || queue_open(path, 1000000000, &q) != GFI_OK) {
		fprintf(stderr, "queue open failed: %s\n", path);
		goto cleanup;
	}
	/* Poll p (one meter's whole profile) is meter p % 100 at its
	 * (p / 100)-th poll; polls spread evenly over one week. */
	polls_per_meter = ((n + (int64_t)prof->npoints - 1) / (int64_t)prof->npoints +
			   NMETERS - 1) / NMETERS;
	step_s = WEEK_S / (polls_per_meter > 0 ? polls_per_meter : 1);
	if (step_s < 1)
		step_s = 1;
	t0 = now_s();
	while (done < n) {
		size_t k = 0;
		while (k < CHUNK && done + (int64_t)k < n) {
			int64_t i = done + (int64_t)k;
			int64_t poll = i / (int64_t)prof->npoints;
			size_t pt = (size_t)(i % (int64_t)prof->npoints);
			int meter = (int)(poll % NMETERS);
			int64_t kth = poll / NMETERS;
			struct gfi_reading *r = &buf[k];

			memset(r, 0, sizeof(*r));
			snprintf(r->meter, sizeof(r->meter), "M%03d", meter);
			snprintf(r->point, sizeof(r->point), "%s", prof->points[pt].name);
			snprintf(r->quantity, sizeof(r->quantity), "%s",
				 prof->points[pt].quantity->name);
			r->time_s = T0_S + kth * step_s;
			r->value = value_for(r->quantity, meter, kth);
			r->status = GFI_ST_OK;
			k++;
		}
		if (queue_push(q, buf, k) != GFI_OK) {
			fprintf(stderr, "queue_push failed at reading %lld\n", (long long)done);
			goto cleanup;
		}
		done += (int64_t)k;
	}
	dt = now_s() - t0;
	printf("{\"readings\":%lld,\"points\":%zu,\"step_s\":%lld,\"seconds\":%.3f,"
	       "\"readings_s\":%.0f}\n", (long long)done, prof->npoints,
	       (long long)step_s, dt, (double)done / dt);
	ret = 0;
cleanup:
	queue_close(q);
	free(buf);
	gfi_profile_free(prof);
	return ret;
}

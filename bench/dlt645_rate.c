/*
 * dlt645_rate.c — DL/T 645-2007 poll rate of gfi's 645 line: the meter's
 * every point read as the agent reads it (line645_poll_meter: one request
 * per identifier, decode, judge) in a loop for a given time.
 *
 *   bench-dlt645-rate CONFIG METER SECONDS
 *
 * Prints one JSON object: polls, seconds, polls_s, requests, bytes_per_poll
 * (the wire bytes of one poll, agent/wiretime.c) and readings_ok;
 * bench/dlt645_rate.py runs it through a baud-rate relay and compares it
 * with the wire limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "error.h"
#include "line645.h"
#include "poller.h"
#include "wiretime.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Poll m through l until seconds have passed; counts into the totals. */
static int run(struct line645 *l, const struct meter_cfg *m, double seconds,
	       unsigned long long *polls, unsigned long long *ok,
	       unsigned long long *requests)
{
	struct poll_meter pm;
	struct gfi_reading *rs = calloc(m->npoints, sizeof(*rs));
	double end = now_s() + seconds;

	if (rs == NULL || poll_meter_init(&pm, m) != GFI_OK) {
		free(rs);
		return 1;
	}
	while (now_s() < end) {
		if (line645_poll_meter(&pm, l, (int64_t)time(NULL), rs) == GFI_E_IO)
			break;
		(*polls)++;
		for (size_t i = 0; i < m->npoints; i++)
			*ok += rs[i].status == GFI_ST_OK;
	}
	*requests = pm.requests;
	poll_meter_free(&pm);
	free(rs);
	return 0;
}

int main(int argc, char **argv)
{
	struct agent_config *cfg = NULL;
	const struct meter_cfg *m;
	struct line645 *l = NULL;
	unsigned long long polls = 0, ok = 0, requests = 0;
	double seconds, t0, took;
	char err[256];
	int status = 1;

	if (argc != 4 || (seconds = strtod(argv[3], NULL)) <= 0) {
		fprintf(stderr, "usage: bench-dlt645-rate CONFIG METER SECONDS\n");
		return 2;
	}
	if (config_load(argv[1], &cfg, NULL, NULL) != GFI_OK ||
	    (m = config_meter(cfg, argv[2])) == NULL ||
	    !cfg->lines[m->line].dlt645) {
		fprintf(stderr, "%s: no dlt645 meter %s\n", argv[1], argv[2]);
		config_free(cfg);
		return 2;
	}
	l = line645_new(&cfg->lines[m->line]);
	if (l == NULL || line645_connect(l, err, sizeof(err)) != GFI_OK) {
		fprintf(stderr, "%s\n", l ? err : "out of memory");
		goto cleanup;
	}
	t0 = now_s();
	status = run(l, m, seconds, &polls, &ok, &requests);
	took = now_s() - t0;
	printf("{\"polls\":%llu,\"seconds\":%.3f,\"polls_s\":%.4f,\"requests\":%llu,"
	       "\"points\":%zu,\"bytes_per_poll\":%zu,\"readings_ok\":%llu}\n", polls,
	       took, (double)polls / took, requests, m->npoints,
	       wiretime_meter_bytes(m), ok);
cleanup:
	line645_free(l);
	config_free(cfg);
	return status;
}

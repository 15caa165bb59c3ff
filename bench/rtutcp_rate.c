/*
 * rtutcp_rate.c — one meter polled for SECONDS through gfi's poller on
 * whatever line the config gives it: Modbus TCP (libmodbus) or RTU over
 * TCP (rtulink.c, gfi's own framer). The caller (bench/rtutcp_rate.py)
 * runs both against one simulator in alternating rounds (bench/abab.py).
 * Prints one JSON object: requests/s, polls/s, readings/s, and the polls
 * that failed (must be 0: a rate of errors is no rate).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <modbus.h>

#include "config.h"
#include "error.h"
#include "poller.h"
#include "rtulink.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Poll until the time is up; returns the polls done, *failed those that
 * did not answer in full. */
static long poll_loop(struct poll_meter *pm, modbus_t *ctx, struct rtulink *rl,
		      double seconds, long *failed)
{
	struct gfi_reading *rs = calloc(pm->cfg->npoints, sizeof(*rs));
	double end = now_s() + seconds;
	long polls = 0;

	while (rs != NULL && now_s() < end) {
		int rc = rl ? rtulink_poll_meter(pm, rl, 0, rs)
			    : poll_meter_read(pm, ctx, 0, rs);
		*failed += rc != GFI_OK;
		polls++;
	}
	free(rs);
	return polls;
}

int main(int argc, char **argv)
{
	struct agent_config *cfg = NULL;
	const struct meter_cfg *m;
	struct poll_meter pm;
	struct rtulink *rl = NULL;
	modbus_t *ctx = NULL;
	char err[256];
	long polls, failed = 0;
	double seconds, t0;

	if (argc != 4 || config_load(argv[1], &cfg, NULL, NULL) != GFI_OK ||
	    (m = config_meter(cfg, argv[2])) == NULL ||
	    (seconds = strtod(argv[3], NULL)) <= 0) {
		fprintf(stderr, "usage: bench-rtutcp-rate CONFIG METER SECONDS\n");
		return 2;
	}
	if (cfg->lines[m->line].type == LINE_RTU_TCP) {
		rl = rtulink_new(&cfg->lines[m->line]);
		if (rl == NULL || rtulink_connect(rl, err, sizeof(err)) != GFI_OK)
			return fprintf(stderr, "%s\n", err), 1;
	} else if ((ctx = poll_line_new(&cfg->lines[m->line], err, sizeof(err))) == NULL ||
		   modbus_connect(ctx) != 0) {
		return fprintf(stderr, "connect failed\n"), 1;
	}
	if (poll_meter_init(&pm, m) != GFI_OK)
		return 1;
	t0 = now_s();
	polls = poll_loop(&pm, ctx, rl, seconds, &failed);
	t0 = now_s() - t0;
	printf("{\"line\":\"%s\",\"requests_per_s\":%.1f,\"polls_per_s\":%.1f,"
	       "\"readings_per_s\":%.1f,\"failed_polls\":%ld}\n",
	       rl ? "rtu-tcp" : "tcp", (double)pm.requests / t0, (double)polls / t0,
	       (double)polls * (double)m->npoints / t0, failed);
	poll_meter_free(&pm);
	rtulink_free(rl);
	if (ctx != NULL) {
		modbus_close(ctx);
		modbus_free(ctx);
	}
	config_free(cfg);
	return failed == 0 ? 0 : 1;
}

/*
 * poll_rate.c — Modbus TCP poll rate of gfi's poller against a plain
 * libmodbus loop, same simulator, same meter, same run.
 *
 * One side per invocation, for SECONDS on one connection:
 *   baseline  modbus_read_*_registers over exactly the blocks gfi's planner
 *             chose, nothing else;
 *   gfi       poll_meter_read (plan, read, decode, judge), as the agent does;
 *   queued    the same plus the durable commit of every poll (one fsync'd
 *             SQLite transaction each), what durability costs on top.
 * Prints one JSON object (requests/s, registers/s, polls/s, readings/s) and a
 * second line listing the blocks read (function, start, count). The caller
 * (bench/poll_rate.py, bench/rtu_rate.py) alternates the sides in rounds
 * (bench/abab.py) so that each ratio is taken between neighbouring runs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <modbus.h>

#include "config.h"
#include "error.h"
#include "poller.h"
#include "queue.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static modbus_t *connect_line(const struct agent_config *cfg,
			      const struct meter_cfg *m)
{
	char err[256];
	modbus_t *ctx = poll_line_new(&cfg->lines[m->line], err, sizeof(err));

	if (ctx == NULL || modbus_connect(ctx) != 0) {
		fprintf(stderr, "connect failed: %s\n", ctx ? modbus_strerror(errno) : err);
		if (ctx)
			modbus_free(ctx);
		return NULL;
	}
	modbus_set_slave(ctx, m->slave);
	/* The meter's own response timeout, as the gfi side uses (poller.c):
	 * libmodbus's 0.5 s default failed a baseline run on a loaded machine. */
	modbus_set_response_timeout(ctx, (uint32_t)(m->timeout_ms / 1000),
				    (uint32_t)(m->timeout_ms % 1000) * 1000);
	return ctx;
}

/* Plain loop over the same blocks; returns requests done. */
static int run_baseline(modbus_t *ctx, const struct poll_meter *pm,
			double seconds, unsigned long long *reqs,
			unsigned long long *regs)
{
	uint16_t buf[POLL_MAX_REGS];
	uint8_t bits[POLL_MAX_BITS];
	double end = now_s() + seconds;
	unsigned long long failed = 0;

	while (now_s() < end) {
		for (size_t i = 0; i < pm->nblocks; i++) {
			const struct read_block *b = &pm->blocks[i];
			int rc;
			switch (b->function) {
			case GFI_FN_HOLDING: rc = modbus_read_registers(ctx, b->start, b->count, buf); break;
			case GFI_FN_INPUT: rc = modbus_read_input_registers(ctx, b->start, b->count, buf); break;
			case GFI_FN_COIL: rc = modbus_read_bits(ctx, b->start, b->count, bits); break;
			default: rc = modbus_read_input_bits(ctx, b->start, b->count, bits); break;
			}
			if (rc != b->count) {
				/* As the gfi side does (a failed point, the next
				 * request after a flush): a loaded machine can
				 * delay one reply past its timeout. Many failures
				 * mean the line is broken, not slow. */
				fprintf(stderr, "baseline read failed: block %zu: %s\n", i,
					modbus_strerror(errno));
				modbus_flush(ctx);
				if (++failed > 3 + *reqs / 10)
					return GFI_E_PROTO;
				continue;
			}
			(*reqs)++;
			*regs += (unsigned long long)b->count;
		}
	}
	return GFI_OK;
}

/* q NULL: the poller alone; else every poll is also committed. */
static int run_gfi(modbus_t *ctx, struct poll_meter *pm, struct queue *q,
		   double seconds, unsigned long long *polls)
{
	struct gfi_reading *rs = calloc(pm->cfg->npoints, sizeof(*rs));
	double end = now_s() + seconds;
	int64_t t = (int64_t)time(NULL);
	int ret = GFI_E_PROTO;

	if (rs == NULL)
		return GFI_E_NOMEM;
	while (now_s() < end) {
		/* Distinct times keep the counters' judgement on its normal path. */
		if (poll_meter_read(pm, ctx, t++, rs) != GFI_OK)
			goto cleanup;
		if (q != NULL && queue_push(q, rs, pm->cfg->npoints) != GFI_OK)
			goto cleanup;
		(*polls)++;
	}
	ret = GFI_OK;
cleanup:
	free(rs);
	return ret;
}

/* The planner's blocks on a second line, so that another client (mbpoll in
 * bench/poll_rate.py) reads exactly the same registers. */
static void print_blocks(const struct poll_meter *pm)
{
	printf("[");
	for (size_t i = 0; i < pm->nblocks; i++)
		printf("%s{\"function\":%d,\"start\":%u,\"count\":%u}", i ? "," : "",
		       (int)pm->blocks[i].function, (unsigned)pm->blocks[i].start,
		       (unsigned)pm->blocks[i].count);
	printf("]\n");
}

/* One timed side: requests, registers and polls over the time it took. */
struct side_result {
	unsigned long long requests, registers, polls;
	double seconds;
};

static int run_side(const char *side, modbus_t *ctx, struct poll_meter *pm,
		    struct queue *q, double seconds, struct side_result *out)
{
	unsigned long long req0 = pm->requests, reg0 = pm->registers;
	double t0 = now_s();
	int rc;

	memset(out, 0, sizeof(*out));
	if (strcmp(side, "baseline") == 0)
		rc = run_baseline(ctx, pm, seconds, &out->requests, &out->registers);
	else if (strcmp(side, "gfi") == 0 || strcmp(side, "queued") == 0)
		rc = run_gfi(ctx, pm, side[0] == 'q' ? q : NULL, seconds, &out->polls);
	else
		return GFI_E_INVAL;
	out->seconds = now_s() - t0;
	if (side[0] != 'b') {
		out->requests = pm->requests - req0;
		out->registers = pm->registers - reg0;
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct agent_config *cfg = NULL;
	const struct meter_cfg *m;
	struct poll_meter pm;
	struct queue *q = NULL;
	modbus_t *ctx = NULL;
	struct side_result r;
	double seconds;
	char qpath[512];
	int ret = 1;

	if (argc != 6) {
		fprintf(stderr, "usage: bench-poll-rate CONFIG METER SECONDS QUEUE_DIR"
			" baseline|gfi|queued\n");
		return 2;
	}
	if (strcmp(argv[5], "baseline") != 0 && strcmp(argv[5], "gfi") != 0 &&
	    strcmp(argv[5], "queued") != 0) {
		fprintf(stderr, "SIDE: %s is not baseline, gfi or queued\n", argv[5]);
		return 2;
	}
	seconds = strtod(argv[3], NULL);
	if (config_load(argv[1], &cfg, NULL, NULL) != GFI_OK ||
	    (m = config_meter(cfg, argv[2])) == NULL || seconds <= 0) {
		fprintf(stderr, "bad config, meter or seconds\n");
		config_free(cfg);
		return 2;
	}
	snprintf(qpath, sizeof(qpath), "%s/bench-queue.db", argv[4]);
	if (poll_meter_init(&pm, m) != GFI_OK)
		goto cleanup;
	if (queue_open(qpath, 100000000, &q) != GFI_OK || (ctx = connect_line(cfg, m)) == NULL)
		goto cleanup_pm;
	if (run_side(argv[5], ctx, &pm, q, seconds, &r) != GFI_OK) {
		fprintf(stderr, "side %s failed\n", argv[5]);
		goto cleanup_pm;
	}
	printf("{\"meter\":\"%s\",\"points\":%zu,\"blocks\":%zu,\"side\":\"%s\","
	       "\"requests_s\":%.1f,\"registers_s\":%.1f,\"polls_s\":%.1f,"
	       "\"readings_s\":%.1f}\n",
	       m->id, m->npoints, pm.nblocks, argv[5], (double)r.requests / r.seconds,
	       (double)r.registers / r.seconds, (double)r.polls / r.seconds,
	       (double)r.polls * (double)m->npoints / r.seconds);
	print_blocks(&pm);
	ret = 0;
cleanup_pm:
	poll_meter_free(&pm);
cleanup:
	if (ctx) {
		modbus_close(ctx);
		modbus_free(ctx);
	}
	queue_close(q);
	config_free(cfg);
	return ret;
}

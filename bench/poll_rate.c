/*
 * poll_rate.c — Modbus TCP poll rate of gfi's poller against a plain
 * libmodbus loop, same simulator, same meter, same run.
 *
 * Baseline: modbus_read_*_registers over exactly the blocks gfi's planner
 * chose, nothing else. gfi: poll_meter_read (plan, read, decode, judge), as
 * the agent does. Both run
 * for the same time on one connection each, one after the other. Prints one
 * JSON object; bench/poll_rate.py starts the simulator and reports the ratio.
 * A third run adds the durable commit of every poll (one fsync'd SQLite
 * transaction each), to show what durability costs on top of polling.
 * A second line lists the blocks read (function, start, count).
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
			if (rc != b->count)
				return GFI_E_PROTO;
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

int main(int argc, char **argv)
{
	struct agent_config *cfg = NULL;
	const struct meter_cfg *m;
	struct poll_meter pm;
	struct queue *q = NULL;
	modbus_t *ctx = NULL;
	unsigned long long breq = 0, breg = 0, polls = 0, qpolls = 0, preq, preg;
	double seconds, t0, tb, tg, tq;
	char qpath[512];
	int ret = 1;

	if (argc != 5) {
		fprintf(stderr, "usage: bench-poll-rate CONFIG METER SECONDS QUEUE_DIR\n");
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
	t0 = now_s();
	if (run_baseline(ctx, &pm, seconds, &breq, &breg) != GFI_OK)
		goto cleanup_pm;
	tb = now_s() - t0;
	t0 = now_s();
	if (run_gfi(ctx, &pm, NULL, seconds, &polls) != GFI_OK)
		goto cleanup_pm;
	tg = now_s() - t0;
	preq = pm.requests;
	preg = pm.registers;
	t0 = now_s();
	if (run_gfi(ctx, &pm, q, seconds, &qpolls) != GFI_OK)
		goto cleanup_pm;
	tq = now_s() - t0;
	printf("{\"meter\":\"%s\",\"points\":%zu,\"blocks\":%zu,"
	       "\"baseline_req_s\":%.1f,\"baseline_reg_s\":%.1f,"
	       "\"gfi_req_s\":%.1f,\"gfi_reg_s\":%.1f,\"gfi_polls_s\":%.1f,"
	       "\"ratio\":%.3f,\"queued_polls_s\":%.1f,\"queued_readings_s\":%.1f}\n",
	       m->id, m->npoints, pm.nblocks, (double)breq / tb, (double)breg / tb,
	       (double)preq / tg, (double)preg / tg, (double)polls / tg,
	       ((double)preq / tg) / ((double)breq / tb), (double)qpolls / tq,
	       (double)qpolls * (double)m->npoints / tq);
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

/*
 * poller.h — reading one meter over Modbus: plan, read, decode, judge.
 *
 * A meter's points are planned once into read blocks: points of one function
 * sorted by address and coalesced greedily into as few requests as Modbus
 * allows (at most 125 registers, 2000 bits a read), spanning at most the
 * profile's max_gap unused registers. Greedy left-to-right merging is optimal
 * for this: each block starts at the first point not yet covered and reaches
 * as far as the limits allow, so no plan has fewer blocks.
 *
 * Each poll yields one reading per point with its own status: a block that
 * fails with a Modbus exception is retried point by point, so one bad
 * register does not cost the others their values.
 */
#ifndef GFI_AGENT_POLLER_H
#define GFI_AGENT_POLLER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <modbus.h>

#include "config.h"
#include "reading.h"

#define POLL_MAX_REGS 125   /* registers per read (Modbus spec, FC 03/04) */
#define POLL_MAX_BITS 2000  /* bits per read (FC 01/02) */

struct read_block {
	enum gfi_function function;
	uint16_t start;        /* first address read */
	uint16_t count;        /* registers (or bits) read, 1..125 (2000) */
	size_t first;          /* index into the plan's order[] */
	size_t n;              /* points covered: order[first .. first+n) */
};

/* Plan npoints points into blocks. order[] (npoints entries) receives the
 * point indices sorted by function and address; blocks[] (at most npoints
 * entries) the reads. Returns the number of blocks. */
size_t poll_plan(const struct meter_point *points, size_t npoints,
		 unsigned max_gap, size_t *order, struct read_block *blocks);

/* Runtime state of one polled meter. */
struct poll_meter {
	const struct meter_cfg *cfg;  /* borrowed */
	size_t *order;                /* npoints */
	struct read_block *blocks;    /* nblocks */
	size_t nblocks;
	double *last_value;           /* per point: last value read, NaN if none */
	int64_t *last_time_s;         /* per point: when it was read */
	int fail_streak;              /* polls in a row where nothing answered */
	const atomic_int *stop;       /* non-zero: stop between transactions
					 (the agent's shutdown); NULL: never */
	uint64_t requests;            /* Modbus requests sent, for tests/benchmarks */
	uint64_t registers;           /* registers (or bits) received */
};

/* Prepare pm for cfg (borrowed; must outlive pm). GFI_E_NOMEM. */
int poll_meter_init(struct poll_meter *pm, const struct meter_cfg *cfg);
void poll_meter_free(struct poll_meter *pm);

/* The per-transaction deadline on a libmodbus line (deadline.h's rule):
 * every reply, however slowly it drips, ends within timeout_ms of its
 * request; libmodbus's byte timeout is switched off because it would
 * restart the clock on every byte. */
void poll_set_deadline(modbus_t *ctx, int timeout_ms);

/* Whether the poll of pm should end now (pm->stop set): checked before
 * each transaction by every line type, so a shutdown waits for at most
 * one transaction's deadline. */
int poll_stopping(const struct poll_meter *pm);

/* Read every point of the meter once through ctx (connected, its response
 * timeout set by the caller or here from cfg). Writes cfg->npoints readings
 * to out, in the meter's point order, all stamped now_s. Returns GFI_OK when
 * at least one point answered, GFI_E_TIMEOUT when the meter did not answer
 * at all, GFI_E_IO when the connection broke (the caller reconnects). */
int poll_meter_read(struct poll_meter *pm, modbus_t *ctx, int64_t now_s,
		    struct gfi_reading *out);

/* A Modbus master other than libmodbus (rtulink.h: RTU framing on a TCP
 * socket or a DTU's connection), addressed to the meter being polled. read
 * returns count, or -1 with errno as libmodbus sets it: ETIMEDOUT silence,
 * MODBUS_ENOBASE + code an exception, ECONNRESET a broken link, anything
 * else a damaged reply. flush drops whatever arrived unasked. */
struct poll_io {
	int (*read)(void *link, enum gfi_function fn, uint16_t start,
		    uint16_t count, uint16_t *regs, uint8_t *bits);
	int (*flush)(void *link);    /* 0, or an errno: the link is gone */
	void *link;
};

/* poll_meter_read through io (already addressed to pm's slave, with its
 * timeout). Same readings and return codes. */
int poll_meter_read_io(struct poll_meter *pm, const struct poll_io *io,
		       int64_t now_s, struct gfi_reading *out);

/* Every reading of the meter's points named, stamped now_s and marked
 * TIMEOUT (not answered yet): the start of any protocol's poll. */
void poll_init_readings(struct poll_meter *pm, int64_t now_s,
			struct gfi_reading *out);
/* Mark r failed with status (and detail, e.g. the exception code). */
void poll_set_failed(struct gfi_reading *r, int status, int detail);
/* Take point idx's decoded value v (decoded: the decoder's return code) into
 * r: a decode error, or v times the point's multiplier factor, judged
 * against the previous value for counters, which it then replaces. The one
 * place every protocol's values pass through. */
void poll_accept_value(struct poll_meter *pm, size_t idx, int decoded,
		       double v, struct gfi_reading *r);

/* End a poll of any protocol: with the link down, points not answered
 * become COMM and GFI_E_IO; a meter that answered nothing counts a silent
 * poll (fail_streak) and GFI_E_TIMEOUT; else GFI_OK and the streak ends. */
int poll_finish(struct poll_meter *pm, int link_down, int answered,
		struct gfi_reading *out);

/* Judge a counter value against the previous one (implausible, rollover).
 * Pure: returns the status to give value v1 read at t1 after v0 at t0.
 * counter_max 0 = unknown; max_rate_per_h 0 = no limit. */
int poll_judge_counter(double v0, int64_t t0, double v1, int64_t t1,
		       double counter_max, double max_rate_per_h);

/* A libmodbus context for the line (not connected). NULL and an error line
 * naming the line on failure. */
modbus_t *poll_line_new(const struct line_cfg *line, char *err, size_t errlen);

#endif

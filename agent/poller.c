/*
 * poller.c — plan, read, decode and judge one meter's points over Modbus.
 *
 * This is the only module that talks to libmodbus on the agent side; libmodbus
 * errno values are translated here into reading statuses and GFI_E_* codes.
 * Invariants: a poll writes exactly cfg->npoints readings; a value is only
 * stored with a status that carries one (gfi_status_has_value); counters are
 * never altered, only flagged (the aggregator interprets rollovers and resets).
 *
 * Deadlines (deadline.h): every libmodbus transaction ends within the
 * meter's timeout_ms whatever the slave does (poll_set_deadline); after a
 * timeout on Modbus TCP the connection is reopened, since the late reply
 * may still be arriving and TCP has no gap to resynchronise on. A stop
 * request (pm->stop) is honoured between transactions.
 */
#include "poller.h"

#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"

#define MBAP_HEADER_LEN 7   /* Modbus TCP: libmodbus's header length */

static unsigned block_limit(enum gfi_function fn)
{
	return (fn == GFI_FN_COIL || fn == GFI_FN_DISCRETE) ? POLL_MAX_BITS
							    : POLL_MAX_REGS;
}

static int point_before(const struct gfi_point *a, const struct gfi_point *b)
{
	if (a->function != b->function)
		return a->function < b->function;
	return a->address < b->address;
}

size_t poll_plan(const struct meter_point *points, size_t npoints,
		 unsigned max_gap, size_t *order, struct read_block *blocks)
{
	size_t nblocks = 0;

	/* Insertion sort: a profile has at most a few hundred points. */
	for (size_t i = 0; i < npoints; i++) {
		size_t j = i;
		order[i] = i;
		while (j > 0 && point_before(points[order[j]].pt,
					     points[order[j - 1]].pt)) {
			size_t t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
			j--;
		}
	}
	for (size_t i = 0; i < npoints; i++) {
		const struct gfi_point *pt = points[order[i]].pt;
		uint32_t start = pt->address;
		uint32_t end = start + gfi_point_width(pt);
		struct read_block *b = nblocks ? &blocks[nblocks - 1] : NULL;

		if (b != NULL && b->function == pt->function) {
			uint32_t bend = (uint32_t)b->start + b->count;
			uint32_t gap = start > bend ? start - bend : 0;
			uint32_t nend = end > bend ? end : bend;
			if (gap <= max_gap && nend - b->start <= block_limit(pt->function)) {
				b->count = (uint16_t)(nend - b->start);
				b->n++;
				continue;
			}
		}
		blocks[nblocks].function = pt->function;
		blocks[nblocks].start = (uint16_t)start;
		blocks[nblocks].count = (uint16_t)(end - start);
		blocks[nblocks].first = i;
		blocks[nblocks].n = 1;
		nblocks++;
	}
	return nblocks;
}

int poll_meter_init(struct poll_meter *pm, const struct meter_cfg *cfg)
{
	size_t n = cfg->npoints;

	memset(pm, 0, sizeof(*pm));
	pm->cfg = cfg;
	pm->order = calloc(n ? n : 1, sizeof(*pm->order));
	pm->blocks = calloc(n ? n : 1, sizeof(*pm->blocks));
	pm->last_value = calloc(n ? n : 1, sizeof(*pm->last_value));
	pm->last_time_s = calloc(n ? n : 1, sizeof(*pm->last_time_s));
	if (!pm->order || !pm->blocks || !pm->last_value || !pm->last_time_s) {
		poll_meter_free(pm);
		return GFI_E_NOMEM;
	}
	for (size_t i = 0; i < n; i++)
		pm->last_value[i] = NAN;
	pm->nblocks = poll_plan(cfg->points, n, cfg->profile->max_gap, pm->order,
				pm->blocks);
	return GFI_OK;
}

void poll_meter_free(struct poll_meter *pm)
{
	if (pm == NULL)
		return;
	free(pm->order);
	free(pm->blocks);
	free(pm->last_value);
	free(pm->last_time_s);
	memset(pm, 0, sizeof(*pm));
}

int poll_judge_counter(double v0, int64_t t0, double v1, int64_t t1,
		       double counter_max, double max_rate_per_h)
{
	double dt_h = (double)(t1 - t0) / 3600.0;

	if (isnan(v0))
		return GFI_ST_OK;
	if (v1 < v0) {
		/* A wrap at the register maximum is a rollover only when the
		 * rise it implies is plausible: otherwise a meter swap or reset
		 * (the aggregator splits the series on registered swaps). */
		if (counter_max > 0 && v0 <= counter_max) {
			double rise = counter_max - v0 + v1;
			int plausible = max_rate_per_h > 0
				? rise <= max_rate_per_h * (dt_h > 0 ? dt_h : 0) + 1e-9
				: rise < 0.01 * counter_max;
			if (plausible)
				return GFI_ST_ROLLOVER;
		}
		return GFI_ST_BACKWARDS;
	}
	if (max_rate_per_h > 0 && v1 - v0 > max_rate_per_h * dt_h + 1e-9)
		return GFI_ST_JUMP;
	return GFI_ST_OK;
}

/* Classify a failed libmodbus call by errno. */
enum failure { FAIL_TIMEOUT, FAIL_EXCEPTION, FAIL_COMM, FAIL_LINK };

static enum failure classify(int e, int *code)
{
	*code = 0;
	if (e == ETIMEDOUT)
		return FAIL_TIMEOUT;
	if (e > MODBUS_ENOBASE && e <= MODBUS_ENOBASE + 11) {
		*code = e - MODBUS_ENOBASE;
		return FAIL_EXCEPTION;
	}
	if (e == ECONNRESET || e == EPIPE || e == EBADF || e == ENOTCONN ||
	    e == ECONNREFUSED || e == EIO)
		return FAIL_LINK;
	return FAIL_COMM;
}

static int read_raw(void *link, enum gfi_function fn, uint16_t start,
		    uint16_t count, uint16_t *regs, uint8_t *bits)
{
	modbus_t *ctx = link;

	switch (fn) {
	case GFI_FN_COIL: return modbus_read_bits(ctx, start, count, bits);
	case GFI_FN_DISCRETE: return modbus_read_input_bits(ctx, start, count, bits);
	case GFI_FN_HOLDING: return modbus_read_registers(ctx, start, count, regs);
	case GFI_FN_INPUT: return modbus_read_input_registers(ctx, start, count, regs);
	}
	errno = EINVAL;
	return -1;
}

void poll_set_deadline(modbus_t *ctx, int timeout_ms)
{
	/* With the byte timeout off, libmodbus does not restart the clock on
	 * each byte: select() counts down what is left of the response
	 * timeout, so the whole reply must arrive within it. */
	modbus_set_response_timeout(ctx, (uint32_t)(timeout_ms / 1000),
				    (uint32_t)(timeout_ms % 1000) * 1000);
	modbus_set_byte_timeout(ctx, 0, 0);
}

int poll_stopping(const struct poll_meter *pm)
{
	return pm->stop != NULL && atomic_load(pm->stop);
}

/* After a timeout: drop a late reply before the next request. On Modbus TCP
 * (its 7-byte MBAP header) reconnect: a reply cut by the deadline may still
 * be arriving, byte by byte. Returns 0, or ECONNRESET when the link is gone. */
static int resync_after_timeout(modbus_t *ctx)
{
	if (modbus_get_header_length(ctx) != MBAP_HEADER_LEN) {
		modbus_flush(ctx);
		return 0;
	}
	modbus_close(ctx);
	return modbus_connect(ctx) == 0 ? 0 : ECONNRESET;
}

/* One read with the meter's retries. Returns 0 or the errno of the last try. */
static int flush_raw(void *link)
{
	return resync_after_timeout(link);
}

static int read_with_retries(struct poll_meter *pm, const struct poll_io *io,
			     enum gfi_function fn, uint16_t start, uint16_t count,
			     uint16_t *regs, uint8_t *bits)
{
	int tries = pm->fail_streak >= 3 ? 1 : 1 + pm->cfg->retries;
	int e = 0;

	for (int i = 0; i < tries && !poll_stopping(pm); i++) {
		pm->requests++;
		if (io->read(io->link, fn, start, count, regs, bits) == (int)count) {
			pm->registers += count;
			return 0;
		}
		e = errno;
		int code;
		enum failure f = classify(e, &code);
		if (f == FAIL_EXCEPTION || f == FAIL_LINK)
			break;  /* a retry would get the same answer */
		if (f == FAIL_TIMEOUT && io->flush(io->link) != 0)
			return ECONNRESET;  /* the late reply dropped, or the link is gone */
	}
	return e ? e : poll_stopping(pm) ? ETIMEDOUT : EIO;
}

void poll_set_failed(struct gfi_reading *r, int status, int detail)
{
	r->value = NAN;
	r->status = status;
	r->detail = detail;
}

void poll_accept_value(struct poll_meter *pm, size_t idx, int decoded,
		       double v, struct gfi_reading *r)
{
	const struct meter_point *mp = &pm->cfg->points[idx];

	if (decoded != GFI_OK) {
		poll_set_failed(r, GFI_ST_DECODE, 0);
		return;
	}
	/* The plant's value: the meter shows the transformers' secondary. */
	v *= mp->factor;
	r->value = v;
	r->status = GFI_ST_OK;
	r->detail = 0;
	if (mp->pt->quantity->kind == GFI_COUNTER) {
		r->status = poll_judge_counter(pm->last_value[idx], pm->last_time_s[idx],
					       v, r->time_s,
					       mp->pt->counter_max * mp->factor,
					       mp->max_rate_per_h);
	}
	pm->last_value[idx] = v;
	pm->last_time_s[idx] = r->time_s;
}

static void decode_point(struct poll_meter *pm, size_t idx, const uint16_t *words,
			 struct gfi_reading *r)
{
	double v = NAN;
	int rc = gfi_point_decode(pm->cfg->points[idx].pt, words, &v);

	poll_accept_value(pm, idx, rc, v, r);
}

/* Decode the points of block b from a successful read. */
static void decode_block(struct poll_meter *pm, const struct read_block *b,
			 const uint16_t *regs, const uint8_t *bits,
			 struct gfi_reading *out)
{
	for (size_t k = 0; k < b->n; k++) {
		size_t idx = pm->order[b->first + k];
		const struct gfi_point *pt = pm->cfg->points[idx].pt;
		size_t off = pt->address - b->start;
		uint16_t bit;

		if (pt->type == GFI_T_BOOL) {
			bit = bits[off] ? 1 : 0;
			decode_point(pm, idx, &bit, &out[idx]);
		} else {
			decode_point(pm, idx, regs + off, &out[idx]);
		}
	}
}

/* A block refused with an exception: read its points one by one so each
 * gets its own status. Returns the failure class of the last failed point. */
static enum failure read_points_singly(struct poll_meter *pm,
				       const struct poll_io *io,
				       const struct read_block *b,
				       struct gfi_reading *out)
{
	enum failure last = FAIL_EXCEPTION;

	for (size_t k = 0; k < b->n; k++) {
		size_t idx = pm->order[b->first + k];
		const struct gfi_point *pt = pm->cfg->points[idx].pt;
		uint16_t regs[4];
		uint8_t bits[1];
		unsigned w = gfi_point_width(pt);
		int e = read_with_retries(pm, io, pt->function, pt->address,
					  (uint16_t)w, regs, bits);
		if (e == 0) {
			uint16_t bit = bits[0] ? 1 : 0;
			decode_point(pm, idx, pt->type == GFI_T_BOOL ? &bit : regs,
				     &out[idx]);
			continue;
		}
		int code;
		last = classify(e, &code);
		poll_set_failed(&out[idx],
			   last == FAIL_EXCEPTION ? GFI_ST_EXCEPTION
			   : last == FAIL_TIMEOUT ? GFI_ST_TIMEOUT : GFI_ST_COMM,
			   code);
		if (last == FAIL_TIMEOUT || last == FAIL_LINK)
			break;
	}
	return last;
}

void poll_init_readings(struct poll_meter *pm, int64_t now_s,
			struct gfi_reading *out)
{
	for (size_t i = 0; i < pm->cfg->npoints; i++) {
		const struct gfi_point *pt = pm->cfg->points[i].pt;
		struct gfi_reading *r = &out[i];
		memset(r, 0, sizeof(*r));
		snprintf(r->meter, sizeof(r->meter), "%s", pm->cfg->id);
		snprintf(r->point, sizeof(r->point), "%s", pt->name);
		snprintf(r->quantity, sizeof(r->quantity), "%s", pt->quantity->name);
		r->time_s = now_s;
		/* Until read, a point counts as not answered. */
		poll_set_failed(r, GFI_ST_TIMEOUT, 0);
	}
}

int poll_meter_read(struct poll_meter *pm, modbus_t *ctx, int64_t now_s,
		    struct gfi_reading *out)
{
	struct poll_io io = { read_raw, flush_raw, ctx };

	modbus_set_slave(ctx, pm->cfg->slave);
	poll_set_deadline(ctx, pm->cfg->timeout_ms);
	return poll_meter_read_io(pm, &io, now_s, out);
}

int poll_meter_read_io(struct poll_meter *pm, const struct poll_io *io,
		       int64_t now_s, struct gfi_reading *out)
{
	uint16_t regs[POLL_MAX_REGS];
	uint8_t bits[POLL_MAX_BITS];
	int answered = 0;
	int link_down = 0;
	int silent = 0;

	poll_init_readings(pm, now_s, out);
	for (size_t bi = 0; bi < pm->nblocks && !link_down && !silent &&
			    !poll_stopping(pm); bi++) {
		const struct read_block *b = &pm->blocks[bi];
		int e = read_with_retries(pm, io, b->function, b->start, b->count,
					  regs, bits);
		int code;
		enum failure f;

		if (e == 0) {
			decode_block(pm, b, regs, bits, out);
			answered = 1;
			continue;
		}
		f = classify(e, &code);
		if (f == FAIL_EXCEPTION) {
			answered = 1;  /* the slave is alive, it refused */
			f = b->n > 1 ? read_points_singly(pm, io, b, out) : f;
			if (b->n == 1)
				poll_set_failed(&out[pm->order[b->first]], GFI_ST_EXCEPTION, code);
		} else {
			for (size_t k = 0; k < b->n; k++)
				poll_set_failed(&out[pm->order[b->first + k]],
					   f == FAIL_TIMEOUT ? GFI_ST_TIMEOUT : GFI_ST_COMM, 0);
		}
		/* A silent slave would cost a timeout per block: stop here, the
		 * remaining points keep their TIMEOUT status. */
		if (f == FAIL_TIMEOUT)
			silent = 1;
		if (f == FAIL_LINK)
			link_down = 1;
	}
	return poll_finish(pm, link_down, answered, out);
}

int poll_finish(struct poll_meter *pm, int link_down, int answered,
		struct gfi_reading *out)
{
	if (link_down) {
		for (size_t i = 0; i < pm->cfg->npoints; i++)
			if (out[i].status == GFI_ST_TIMEOUT)
				out[i].status = GFI_ST_COMM;
		pm->fail_streak++;
		return GFI_E_IO;
	}
	if (!answered) {
		pm->fail_streak++;
		return GFI_E_TIMEOUT;
	}
	pm->fail_streak = 0;
	return GFI_OK;
}

modbus_t *poll_line_new(const struct line_cfg *line, char *err, size_t errlen)
{
	modbus_t *ctx = NULL;
	char port[8];

	if (line->type == LINE_TCP) {
		snprintf(port, sizeof(port), "%d", line->port);
		ctx = modbus_new_tcp_pi(line->host, port);
	} else {
		ctx = modbus_new_rtu(line->device, line->baud, line->parity,
				     line->data_bits, line->stop_bits);
	}
	if (ctx == NULL) {
		snprintf(err, errlen, "line %s: cannot create modbus context: %s",
			 line->id, modbus_strerror(errno));
		return NULL;
	}
	/* Flush on protocol errors so a late or garbled reply cannot be
	 * taken for the answer to the next request. Links are reconnected by
	 * the caller, not by libmodbus behind its back. */
	modbus_set_error_recovery(ctx, MODBUS_ERROR_RECOVERY_PROTOCOL);
	return ctx;
}

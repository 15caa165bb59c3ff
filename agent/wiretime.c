/*
 * wiretime.c — a serial line's wire time per poll, and check-config's
 * warning when it exceeds the meters' interval.
 *
 * Frame sizes: Modbus RTU (Modbus over serial line v1.02, 2.5.1) a read
 * request is 8 bytes (slave, function, address, count, CRC) and its reply
 * 5 bytes plus the data (2 a register, 1 per 8 bits); DL/T 645-2007 (4.1) a
 * read request is 4 wake-up bytes and 12 + 4 (identifier) of frame, its
 * reply the same 4 + 12 + 4 plus the value's bytes (a meter may omit the
 * wake-up bytes: counting them keeps the figure an upper bound). Silences
 * between frames are left out; the Modbus planner is poller.c's own, so the
 * count is of the requests the agent really sends.
 */
#include "wiretime.h"

#include <stdio.h>
#include <stdlib.h>

#include "dlt645.h"
#include "poller.h"

#define RTU_REQUEST_BYTES 8
#define RTU_REPLY_OVERHEAD 5
#define DLT645_READ_BYTES (DLT645_PREAMBLE_LEN + DLT645_OVERHEAD + 4)

static size_t modbus_bytes(const struct meter_cfg *m)
{
	size_t n = m->npoints ? m->npoints : 1, bytes = 0;
	size_t *order = calloc(n, sizeof(*order));
	struct read_block *blocks = calloc(n, sizeof(*blocks));
	size_t nblocks;

	if (order == NULL || blocks == NULL) {
		free(order);
		free(blocks);
		return 0;
	}
	nblocks = poll_plan(m->points, m->npoints, m->profile->max_gap, order,
			    blocks);
	for (size_t i = 0; i < nblocks; i++) {
		int bits = blocks[i].function == GFI_FN_COIL ||
			   blocks[i].function == GFI_FN_DISCRETE;
		size_t data = bits ? (blocks[i].count + 7u) / 8u
				   : 2u * blocks[i].count;
		bytes += RTU_REQUEST_BYTES + RTU_REPLY_OVERHEAD + data;
	}
	free(order);
	free(blocks);
	return bytes;
}

size_t wiretime_meter_bytes(const struct meter_cfg *m)
{
	size_t bytes = 0;

	if (m->profile == NULL)
		return 0;
	if (m->profile->protocol != GFI_PROTO_DLT645)
		return modbus_bytes(m);
	for (size_t i = 0; i < m->npoints; i++)
		bytes += 2 * DLT645_READ_BYTES + m->points[i].pt->format.bytes;
	return bytes;
}

int wiretime_char_bits(const struct line_cfg *l)
{
	return 1 + l->data_bits + (l->parity != 'N') + l->stop_bits;
}

double wiretime_line_s(const struct agent_config *cfg, size_t line)
{
	const struct line_cfg *l = &cfg->lines[line];
	size_t bytes = 0;

	if (l->type != LINE_RTU || l->baud <= 0)
		return 0;
	for (size_t i = 0; i < cfg->nmeters; i++)
		if (cfg->meters[i].line == line)
			bytes += wiretime_meter_bytes(&cfg->meters[i]);
	return (double)bytes * wiretime_char_bits(l) / l->baud;
}

int wiretime_check(const struct agent_config *cfg, config_report_fn report,
		   void *ctx)
{
	int warnings = 0;

	for (size_t li = 0; li < cfg->nlines; li++) {
		const struct line_cfg *l = &cfg->lines[li];
		double wire_s = wiretime_line_s(cfg, li);
		int shortest = 0;
		size_t n = 0;
		char line[320];

		for (size_t i = 0; i < cfg->nmeters; i++) {
			const struct meter_cfg *m = &cfg->meters[i];
			if (m->line != li)
				continue;
			n++;
			if (shortest == 0 || m->interval_s < shortest)
				shortest = m->interval_s;
		}
		if (n == 0 || wire_s <= shortest)
			continue;
		snprintf(line, sizeof(line), "warning: lines[%zu]: wire time %.2f s "
			 "per poll of its %zu meters (frames x bytes x %d bits / %d "
			 "baud) exceeds their shortest interval %d s: polls will be "
			 "late or skipped", li, wire_s, n, wiretime_char_bits(l),
			 l->baud, shortest);
		if (report != NULL)
			report(ctx, line);
		warnings++;
	}
	return warnings;
}

/*
 * wiretime.h — how long a serial line is busy per poll of its meters.
 *
 * check-config warns when the bytes a line must carry each time its meters
 * are due (frames x bytes x bits per character / baud) take longer than
 * their interval: those polls would be late or skipped, which no per-meter
 * setting reveals. The figure is an upper bound of the wire alone (no
 * meter turnaround), counted from the frames the agent really sends:
 * Modbus RTU blocks as poller.c plans them, one DL/T 645 request per point.
 */
#ifndef GFI_AGENT_WIRETIME_H
#define GFI_AGENT_WIRETIME_H

#include <stddef.h>

#include "config.h"

/* Bytes on the wire for one poll of meter m: requests and replies. */
size_t wiretime_meter_bytes(const struct meter_cfg *m);

/* Bits per character of the line: start, data, parity, stop (8E1: 11). */
int wiretime_char_bits(const struct line_cfg *l);

/* Seconds line `line` of cfg is busy polling all its meters once; 0 for a
 * TCP line (no baud rate to count with). */
double wiretime_line_s(const struct agent_config *cfg, size_t line);

/* Report one warning line per serial line whose wire time exceeds the
 * shortest interval of its meters (through report, like config errors).
 * Returns the number of warnings. */
int wiretime_check(const struct agent_config *cfg, config_report_fn report,
		   void *ctx);

#endif

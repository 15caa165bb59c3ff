/*
 * now.h — the one "now" of the aggregator.
 *
 * Every computation that depends on the present (a period in progress, the
 * API's answers, an alert's age, a report's "as of") asks here, so a command
 * run with `--now` and the HTTP server started with it give pinned, testable
 * outputs. Unpinned, it is the wall clock.
 */
#ifndef GFI_AGG_NOW_H
#define GFI_AGG_NOW_H

#include <stdint.h>

/* The time treated as now: the pinned instant if agg_now_pin() was called,
 * else the wall clock (UTC epoch seconds). Thread-safe to read. */
int64_t agg_now_s(void);

/* Pin now to t (UTC epoch seconds) for the rest of the process; called once,
 * by a command's `--now`, before any thread starts. */
void agg_now_pin(int64_t t);

#endif

/*
 * deadline.h — the one per-transaction deadline of every agent line type.
 *
 * The rule (docs/polling.md, "Deadlines"): a transaction — one request and
 * its reply — ends at the latest timeout_ms (the meter's) after it began,
 * whatever the slave does; once the reply has begun, byte_timeout_ms (the
 * line's) of silence between two bytes ends it sooner. A slave that drips
 * its reply one byte at a time, each under the byte timeout, still ends at
 * the overall bound, so it never takes another meter's slot.
 *
 * Stream lines (DL/T 645, RTU over TCP, DTUs) wait for bytes through
 * txn_wait_readable; libmodbus lines get the same overall bound from
 * poll_set_deadline (poller.h).
 */
#ifndef GFI_AGENT_DEADLINE_H
#define GFI_AGENT_DEADLINE_H

#include <stdint.h>

struct txn_deadline {
	int64_t end_ms;          /* CLOCK_MONOTONIC ms: the overall bound */
	int byte_timeout_ms;     /* longest pause once the reply began; 0: none */
	int began;               /* a byte of the reply has arrived */
};

/* CLOCK_MONOTONIC in milliseconds. */
int64_t txn_mono_ms(void);

/* Start a transaction's deadline now: timeout_ms overall, byte_timeout_ms
 * between reply bytes (0: no byte rule). */
void txn_deadline_start(struct txn_deadline *d, int timeout_ms,
			int byte_timeout_ms);

/* A byte (or more) of the reply arrived: the byte rule applies from now. */
void txn_deadline_got_bytes(struct txn_deadline *d);

/* How long to wait now for the next bytes, in ms: the time left to the
 * overall bound, cut to the byte timeout once the reply began. 0 when the
 * transaction is over (time is up). */
int txn_wait_ms(const struct txn_deadline *d);

/* Wait until fd is readable or the deadline (txn_wait_ms) passes: 1
 * readable (or hung up: the read says which), 0 time is up, -1 poll
 * failed (errno). EINTR is retried with the time left. */
int txn_wait_readable(int fd, const struct txn_deadline *d);

/* Whether the overall bound has passed. */
int txn_expired(const struct txn_deadline *d);

#endif

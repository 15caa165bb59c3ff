/*
 * deadline.c — the per-transaction deadline of every agent line type.
 *
 * What: the overall bound (the meter's timeout_ms from the request) and the
 * byte rule (the line's byte_timeout_ms of silence once a reply began), in
 * one place that every stream line calls (line645.c, and the RTU-over-TCP
 * and DTU links). Why: a bound on the gap between bytes alone lets a slave
 * that drips its reply stretch one read without end; the overall bound is
 * what keeps one slave out of the others' slots and keeps SIGTERM prompt.
 * Invariants: every wait is computed from CLOCK_MONOTONIC, never the wall
 * clock; no wait ever goes past end_ms; an interrupted wait resumes with
 * the time left, not a fresh timeout.
 */
#include "deadline.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

int64_t txn_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void txn_deadline_start(struct txn_deadline *d, int timeout_ms,
			int byte_timeout_ms)
{
	d->end_ms = txn_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	d->byte_timeout_ms = byte_timeout_ms > 0 ? byte_timeout_ms : 0;
	d->began = 0;
}

void txn_deadline_got_bytes(struct txn_deadline *d)
{
	d->began = 1;
}

int txn_wait_ms(const struct txn_deadline *d)
{
	int64_t left = d->end_ms - txn_mono_ms();

	if (left <= 0)
		return 0;
	if (d->began && d->byte_timeout_ms > 0 && left > d->byte_timeout_ms)
		left = d->byte_timeout_ms;
	return (int)left;
}

int txn_expired(const struct txn_deadline *d)
{
	return txn_mono_ms() >= d->end_ms;
}

int txn_wait_readable(int fd, const struct txn_deadline *d)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int wait = txn_wait_ms(d);
		int rc;

		if (wait <= 0)
			return 0;
		rc = poll(&p, 1, wait);
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

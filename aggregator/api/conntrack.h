/*
 * conntrack.h — the HTTP connections the server holds, and the deadline by
 * which each must have sent its whole request (docs/security.md, "HTTP").
 *
 * libmicrohttpd has only an idle timeout, restarted by every byte, so a
 * client sending one byte a second holds a connection for ever. Here each
 * connection is stamped when it is accepted (and again when an answer has
 * gone out, for the next request on it); until its request is complete it
 * is "waiting". A watchdog thread shuts down (shutdown(2), so the server's
 * own thread sees end of file and closes it) every connection waiting
 * longer than the deadline. The limit of connections is kept here: a
 * connection beyond it makes room by shutting down the one that has waited
 * longest for its request, or, when none is waiting, is itself refused; so the slots go to clients that send their requests
 * and slow ones cannot hold them all. Thread-safe: every
 * call holds one mutex; an entry's socket is shut down only under that
 * mutex and conntrack_close is called before the socket is closed, so a
 * reused descriptor is never touched.
 */
#ifndef GFI_AGG_CONNTRACK_H
#define GFI_AGG_CONNTRACK_H

#include <stdint.h>

#define CONNTRACK_TICK_MS 100      /* the watchdog's period */

struct conntrack;
struct conn_entry;

/* A table for up to limit connections (the server's own limit) whose
 * requests must arrive within deadline_ms. GFI_OK or GFI_E_NOMEM. */
int conntrack_new(int limit, int64_t deadline_ms, struct conntrack **out);
/* Stop the watchdog (if started) and free; entries left are freed. */
void conntrack_free(struct conntrack *t);
/* Start the watchdog thread. GFI_OK or GFI_E_NOMEM. */
int conntrack_start(struct conntrack *t);

/* A connection accepted at now_ms on socket fd from addr (copied): its
 * entry, or NULL (no memory: the connection is then not tracked). Beyond
 * the limit it evicts the longest waiting or is shut down itself. */
struct conn_entry *conntrack_open(struct conntrack *t, int fd, const char *addr,
				  int64_t now_ms);
/* Its request has fully arrived: no deadline until the answer is sent. */
void conntrack_request_in(struct conntrack *t, struct conn_entry *e);
/* The answer went out at now_ms: the next request's deadline starts. */
void conntrack_answered(struct conntrack *t, struct conn_entry *e, int64_t now_ms);
/* The connection is closing (its socket still open): forget and free e. */
void conntrack_close(struct conntrack *t, struct conn_entry *e);

/* One watchdog pass at now_ms (also called by tests): shut down every
 * connection whose request is overdue. Returns how many. */
int conntrack_sweep(struct conntrack *t, int64_t now_ms);

/* The monotonic clock in ms, the one every now_ms here is read from. */
int64_t conntrack_now_ms(void);

/* The client address of e (for log lines), valid until conntrack_close. */
const char *conntrack_addr(const struct conn_entry *e);

#endif

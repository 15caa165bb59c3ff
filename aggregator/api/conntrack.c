/*
 * conntrack.c — connection deadlines and eviction for the HTTP server
 * (conntrack.h).
 *
 * Invariants: every entry is in the one list between conntrack_open and
 * conntrack_close; count is the list's length and shut how many of them
 * were shut down but not yet closed (their slots are as good as free);
 * an entry is shut down at most once. The list is walked linearly: it is
 * at most the server's connection limit long and walked ten times a
 * second.
 */
#include "conntrack.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "error.h"
#include "log.h"

struct conn_entry {
	struct conn_entry *prev, *next;
	int fd;
	char addr[64];
	int64_t since_ms;              /* accepted, or the last answer sent */
	int waiting;                   /* the request is not complete yet */
	int shut;                      /* shut down, waiting for its close */
};

struct conntrack {
	pthread_mutex_t mu;
	pthread_cond_t wake;
	pthread_t thread;
	int running, stop;
	int limit;                     /* connections at most */
	int64_t deadline_ms;
	int count, shut;
	struct conn_entry *head;
};

int64_t conntrack_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int conntrack_new(int limit, int64_t deadline_ms, struct conntrack **out)
{
	struct conntrack *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;

	*out = NULL;
	if (t == NULL)
		return GFI_E_NOMEM;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&t->mu, NULL) != 0 ||
	    pthread_cond_init(&t->wake, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		free(t);
		return GFI_E_NOMEM;
	}
	pthread_condattr_destroy(&ca);
	t->limit = limit;
	t->deadline_ms = deadline_ms;
	*out = t;
	return GFI_OK;
}

void conntrack_free(struct conntrack *t)
{
	struct conn_entry *e, *next;

	if (t == NULL)
		return;
	if (t->running) {
		pthread_mutex_lock(&t->mu);
		t->stop = 1;
		pthread_cond_signal(&t->wake);
		pthread_mutex_unlock(&t->mu);
		pthread_join(t->thread, NULL);
	}
	for (e = t->head; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/* Shut e's socket down (under the mutex); the server's thread closes it. */
static void shut_down(struct conntrack *t, struct conn_entry *e, int level,
		      const char *why, int64_t now_ms)
{
	e->shut = 1;
	t->shut++;
	shutdown(e->fd, SHUT_RDWR);
	GFI_LOG(level, "http connection closed: client=%s %s after %lld ms", e->addr, why,
		(long long)(now_ms - e->since_ms));
}

/* While more than the limit are open (those shut down not counted), shut
 * down the connection that has waited longest for its request; when none
 * is waiting (all are being answered), the newcomer e is refused. A client
 * that sends its request at once is marked in as soon as its head is read,
 * long before as many newer connections come to make it the oldest. No
 * grace period: one would let clients that reconnect in step keep every
 * slot younger than it, and so refuse every newcomer. */
static void make_room(struct conntrack *t, struct conn_entry *e, int64_t now_ms)
{
	while (t->count - t->shut > t->limit) {
		struct conn_entry *oldest = NULL;

		for (struct conn_entry *o = t->head; o != NULL; o = o->next)
			if (o != e && o->waiting && !o->shut &&
			    (oldest == NULL || o->since_ms < oldest->since_ms))
				oldest = o;
		if (oldest == NULL) {
			shut_down(t, e, GFI_LOG_WARNING,
				  "refused: connection limit reached", now_ms);
			return;
		}
		shut_down(t, oldest, GFI_LOG_INFO, "evicted at the connection limit", now_ms);
	}
}

int conntrack_sweep(struct conntrack *t, int64_t now_ms)
{
	int n = 0;

	pthread_mutex_lock(&t->mu);
	for (struct conn_entry *e = t->head; e != NULL; e = e->next) {
		if (e->waiting && !e->shut && now_ms - e->since_ms >= t->deadline_ms) {
			shut_down(t, e, GFI_LOG_INFO, "request not complete", now_ms);
			n++;
		}
	}
	pthread_mutex_unlock(&t->mu);
	return n;
}

static void *watchdog(void *arg)
{
	struct conntrack *t = arg;
	struct timespec ts;

	pthread_mutex_lock(&t->mu);
	while (!t->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += CONNTRACK_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&t->wake, &t->mu, &ts) == ETIMEDOUT) {
			pthread_mutex_unlock(&t->mu);
			conntrack_sweep(t, conntrack_now_ms());
			pthread_mutex_lock(&t->mu);
		}
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

int conntrack_start(struct conntrack *t)
{
	if (pthread_create(&t->thread, NULL, watchdog, t) != 0)
		return GFI_E_NOMEM;
	t->running = 1;
	return GFI_OK;
}

struct conn_entry *conntrack_open(struct conntrack *t, int fd, const char *addr,
				  int64_t now_ms)
{
	struct conn_entry *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->fd = fd;
	snprintf(e->addr, sizeof(e->addr), "%s", addr);
	e->since_ms = now_ms;
	e->waiting = 1;
	pthread_mutex_lock(&t->mu);
	e->next = t->head;
	if (t->head != NULL)
		t->head->prev = e;
	t->head = e;
	t->count++;
	make_room(t, e, now_ms);
	pthread_mutex_unlock(&t->mu);
	return e;
}

void conntrack_request_in(struct conntrack *t, struct conn_entry *e)
{
	pthread_mutex_lock(&t->mu);
	e->waiting = 0;
	pthread_mutex_unlock(&t->mu);
}

void conntrack_answered(struct conntrack *t, struct conn_entry *e, int64_t now_ms)
{
	pthread_mutex_lock(&t->mu);
	e->waiting = 1;
	e->since_ms = now_ms;
	pthread_mutex_unlock(&t->mu);
}

void conntrack_close(struct conntrack *t, struct conn_entry *e)
{
	pthread_mutex_lock(&t->mu);
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		t->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	t->count--;
	if (e->shut)
		t->shut--;
	pthread_mutex_unlock(&t->mu);
	free(e);
}

const char *conntrack_addr(const struct conn_entry *e)
{
	return e->addr;
}

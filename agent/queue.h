/*
 * queue.h — the agent's durable reading queue (SQLite, WAL).
 *
 * A reading counts as collected once queue_push has returned: it is committed
 * and survives kill -9 and power loss. Readings leave only through
 * queue_delete_upto, which the uplink calls for what the city acknowledged.
 * The queue holds at most max_readings; pushing past the bound deletes the
 * oldest readings and records, in the same transaction, one gap event per
 * meter (meter, first and last time dropped, count): never silently.
 *
 * One struct queue per thread (one SQLite connection each); several may be
 * open on the same file, writes are serialised by SQLite.
 */
#ifndef GFI_AGENT_QUEUE_H
#define GFI_AGENT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "reading.h"

struct queue;

struct queue_gap {
	int64_t id;          /* gap event id: grows, never reused */
	char meter[GFI_ID_MAX]; /* meter whose readings were dropped */
	int64_t from_s;      /* time of the oldest dropped reading */
	int64_t to_s;        /* time of the newest dropped reading */
	int64_t count;       /* readings dropped */
	int64_t recorded_s;  /* when the drop happened */
};

/* Open (creating and migrating) the queue at path. max_readings >= 1. */
int queue_open(const char *path, int64_t max_readings, struct queue **out);
void queue_close(struct queue *q);

/* Commit n readings in one transaction, enforcing the bound. Returns GFI_OK
 * or GFI_E_DB (nothing committed). */
int queue_push(struct queue *q, const struct gfi_reading *r, size_t n);

/* Readings currently held. */
int queue_count(struct queue *q, int64_t *n);

/* Up to max readings with id > after_id, oldest first; ids[i] is each one's
 * queue id (grows with every push, never reused). */
int queue_peek(struct queue *q, int64_t after_id, struct gfi_reading *out,
	       int64_t *ids, size_t max, size_t *n);

/* Delete every reading with id <= id (delivered). */
int queue_delete_upto(struct queue *q, int64_t id);

/* Gap events, oldest first, with id > after_id. */
int queue_gaps(struct queue *q, int64_t after_id, struct queue_gap *out,
	       size_t max, size_t *n);

#endif

/*
 * queue.h — the agent's durable reading queue (SQLite, WAL).
 *
 * A reading counts as collected once queue_push has returned: it is committed
 * and survives kill -9 and power loss. Readings leave through queue_ack,
 * which the uplink calls for the batches the city acknowledged, or through
 * the bound: the queue holds at most max_readings, and pushing past it
 * deletes the oldest readings and records, in the same transaction, one gap
 * event per meter (meter, first and last time dropped, count): never
 * silently. The file is created 0600.
 *
 * One struct queue per thread (one SQLite connection each); several may be
 * open on the same file, writes are serialised by SQLite.
 */
#ifndef GFI_AGENT_QUEUE_H
#define GFI_AGENT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
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

/* Open (creating 0600 and migrating, common/db.h) the queue at path.
 * max_readings >= 1. GFI_E_INVAL, GFI_E_NOMEM, GFI_E_DB. */
int queue_open(const char *path, int64_t max_readings, struct queue **out);
void queue_close(struct queue *q);

/* Commit n readings in one transaction, enforcing the bound. Returns GFI_OK
 * or GFI_E_DB (nothing committed). When the disk is full (SQLITE_FULL) it
 * drops the oldest eighth of the queue (gap events) and retries once; if
 * that fails too the new readings are recorded as gap events and
 * GFI_E_FULL is returned (docs/queue.md, "A full disk"). */
int queue_push(struct queue *q, const struct gfi_reading *r, size_t n);

/* Readings currently held. */
int queue_count(struct queue *q, int64_t *n);

/* Test seams (only tests call queue_peek, queue_delete_upto and
 * queue_gaps: they show the rows and the bound without batches). */

/* Up to max readings with id > after_id, oldest first, batched or not;
 * ids[i] is each one's queue id (grows with every push, never reused). */
int queue_peek(struct queue *q, int64_t after_id, struct gfi_reading *out,
	       int64_t *ids, size_t max, size_t *n);

/* Delete every reading with id <= id, keeping the count exact. */
int queue_delete_upto(struct queue *q, int64_t id);

/* Gap events, oldest first, with id > after_id. */
int queue_gaps(struct queue *q, int64_t after_id, struct queue_gap *out,
	       size_t max, size_t *n);

/*
 * The outbox (used by the uplink). Readings are placed in signed batches;
 * a batch is stored with its exact bytes before it is first published, so
 * the sequence number and the hash chain survive restarts, and a resend is
 * the same bytes. The city's ack of seq N deletes every batch <= N and the
 * readings in them (DESIGN.md, "Delivery").
 */

/* Up to max gap events not yet in any batch, oldest first. */
int queue_gaps_unbatched(struct queue *q, struct queue_gap *out, size_t max,
			 size_t *n);

/* Up to max readings not yet in any batch, oldest first, or newest first
 * (so fresh readings are not starved behind a deep backlog). */
int queue_unbatched(struct queue *q, int newest_first, struct gfi_reading *out,
		    int64_t *ids, size_t max, size_t *n);

/* The chain epoch made with the queue (GFI_BATCH_EPOCH_LEN hex digits), or
 * "" for a queue whose chain began before epochs (migration 4). */
int queue_epoch(struct queue *q, char epoch[GFI_BATCH_EPOCH_LEN + 1]);

/* The chain head: seq of the last batch made (0: none yet), its hash
 * (32 zero bytes before the first), and the highest seq the city acked.
 * Any pointer may be NULL. */
int queue_chain_head(struct queue *q, uint64_t *seq, uint8_t hash[32],
		     uint64_t *acked_seq);

/* In one transaction: store batch seq (must be head + 1, else GFI_E_STATE
 * and nothing changes) with its hash and payload bytes (copied), advance
 * the chain head, and mark readings ids[0..n) as in this batch. ids must be
 * a run of consecutive unbatched readings (a prefix of what
 * queue_unbatched returned, after reversing a newest-first answer): they
 * are marked by id range. GFI_E_STATE, nothing changed, also when some of
 * them were dropped by the bound since they were read (they are counted in
 * a gap event): build the batch again.
 * In the same transaction the gap events gaps[0..ngaps) (may be NULL, 0;
 * as queue_gaps_unbatched returned them, and as the batch reports them)
 * are marked as reported in seq. GFI_E_STATE, nothing changed, also when
 * one of them is no longer exactly that: a push merged a later drop into
 * it after it was read (docs/queue.md, "Coalescing"), so the batch would
 * under-report the loss: build the batch again. */
int queue_batch_add_gaps(struct queue *q, uint64_t seq, const uint8_t hash[32],
			 const char *payload, size_t len, const int64_t *ids,
			 size_t n, const struct queue_gap *gaps, size_t ngaps,
			 int64_t created_s);

/* The stored batch with the smallest seq > after: *seq and its payload
 * (NUL-terminated copy the caller frees). GFI_E_NOTFOUND when none. */
int queue_batch_next(struct queue *q, uint64_t after, uint64_t *seq,
		     char **payload, size_t *len);

/* The city holds every batch up to seq: delete those batches and their
 * readings. An ack not above the last one changes nothing. *deleted (may be
 * NULL) gets the number of readings removed. Committed without an fsync of
 * its own (a power loss may bring the batches back, to be resent and acked
 * again); every other commit of the queue is synced. */
int queue_ack(struct queue *q, uint64_t seq, int64_t *deleted);

/* Read time of the oldest reading held (0 when empty). */
int queue_oldest_time(struct queue *q, int64_t *time_s);

#endif

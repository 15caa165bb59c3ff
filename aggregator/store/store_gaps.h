/*
 * store_gaps.h — gap events a gateway reported: readings its queue dropped
 * (the queue's bound, or a full disk) before they could be sent, carried in
 * the optional "gaps" array of a signed batch (docs/wire-format.md). Part
 * of the store (store_gaps.c, table queue_gaps of migration 7); included
 * by store.h.
 */
#ifndef GFI_AGG_STORE_GAPS_H
#define GFI_AGG_STORE_GAPS_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "store.h"

/* Inside the batch's transaction: keep gap events g[0..n) of gateway, which
 * arrived in batch seq of its current chain epoch. A gap id already held in
 * that epoch is kept as first received (a resent batch carries the same
 * events). GFI_E_DB. */
int store_queue_gaps_add(struct store *s, const char *gateway, uint64_t seq,
			 const struct gfi_batch_gap *g, size_t n,
			 int64_t received_s);

/* One meter's reported drops over a time range. */
struct store_queue_gap_sum {
	char meter[GFI_ID_MAX];
	int64_t events;      /* gap events */
	int64_t count;       /* readings dropped, summed */
	int64_t from_s;      /* oldest dropped reading's time */
	int64_t to_s;        /* newest dropped reading's time */
};

/* Per meter of gateway, the gap events whose dropped readings overlap
 * [from_s, to_s), by meter. Rows: const struct store_queue_gap_sum *. */
int store_queue_gaps_sum(struct store *s, const char *gateway, int64_t from_s,
			 int64_t to_s, store_row_fn fn, void *ctx);

#endif

/*
 * store_chain.h — chain epochs (issue 17): a gateway's batches form one
 * hash chain per epoch, the id an agent's queue made when it was created
 * ("" for agents before epochs). The gateway's chain row holds its current
 * epoch; a batch of a new epoch restarts the chain there, recorded as
 * "chain restarted at T after seq N of epoch E" (table chain_epochs of
 * migration 10). Older epochs' batches stay held and verifiable. Part of
 * the store (store_chain.c); included by store.h.
 */
#ifndef GFI_AGG_STORE_CHAIN_H
#define GFI_AGG_STORE_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "store.h"

/* The gateway's current epoch into epoch ("" before any). GFI_E_DB. */
int store_chain_epoch(struct store *s, const char *gateway,
		      char epoch[GFI_BATCH_EPOCH_LEN + 1]);

/* Whether the gateway ever held a batch of epoch, or restarted into it:
 * 1, 0, or a negative GFI_E_*. */
int store_epoch_known(struct store *s, const char *gateway, const char *epoch);

/* Inside the batch's transaction: restart gateway's chain in epoch (not
 * known) at now_s: record the restart after the current epoch's head and
 * make epoch current with head 0. *after_seq gets that old head. GFI_E_DB. */
int store_chain_restart(struct store *s, const char *gateway, const char *epoch,
			int64_t now_s, uint64_t *after_seq);

/* The hash of held batch (gateway, epoch, seq) into hash. GFI_OK,
 * GFI_E_NOTFOUND, GFI_E_DB. */
int store_batch_hash(struct store *s, const char *gateway, const char *epoch,
		     uint64_t seq, uint8_t hash[32]);

/* store_batch_get in the given epoch rather than the current one. */
int store_batch_get_in(struct store *s, const char *gateway, const char *epoch,
		       uint64_t seq, char **payload, size_t *len);

/* One held batch's place: its epoch, seq and receive time. */
struct store_batch_ref {
	char epoch[GFI_BATCH_EPOCH_LEN + 1];
	uint64_t seq;
	int64_t received_s;
};

/* Every held batch of gateway, by epoch (in the order they started) and
 * seq. Rows: struct store_batch_ref. GFI_E_DB. */
int store_batch_refs(struct store *s, const char *gateway, store_row_fn fn,
		     void *ctx);

#endif

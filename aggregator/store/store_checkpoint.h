/*
 * store_checkpoint.h — what ingest leaves behind so a spot check can
 * re-verify little (store_checkpoint.c): the reading-time span of each
 * accepted batch, and a verified checkpoint of each gateway's chain every
 * STORE_CHECKPOINT_EVERY batches (migration 10). Included by store.h.
 */
#ifndef GFI_AGG_STORE_CHECKPOINT_H
#define GFI_AGG_STORE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "reading.h"
#include "store.h"

/* A checkpoint is kept at every seq divisible by this; migration 10 uses the
 * same number for the batches held before it. */
#define STORE_CHECKPOINT_EVERY 8
/* At most this many batches are offered as holding one instant. */
#define STORE_SPANS_AT_MAX 16

/* Inside ingest's transaction, for batch (gateway, seq) just accepted (and
 * kept by store_batch_add) after its signature and link verified: keep the
 * span of its readings' times r[0..n), and when seq is a multiple of
 * STORE_CHECKPOINT_EVERY its hash as a checkpoint verified at now_s.
 * GFI_OK, GFI_E_DB. */
int store_checkpoint_note(struct store *s, const char *gateway, uint64_t seq,
			  const struct gfi_reading *r, size_t n, int64_t now_s);

/* The checkpoint of gateway nearest seq: at or below it (*cseq 0 and hash
 * zeros when none: the chain's start), or at or above it (*has 0 when
 * none). GFI_OK, GFI_E_DB. */
int store_checkpoint_below(struct store *s, const char *gateway, uint64_t seq,
			   uint64_t *cseq, uint8_t hash[32]);
int store_checkpoint_above(struct store *s, const char *gateway, uint64_t seq,
			   uint64_t *cseq, uint8_t hash[32], int *has);

/* The lowest and highest seq of gateway's batches whose readings' span
 * holds instant t, among the STORE_SPANS_AT_MAX latest to start at or
 * before it; *has 0 when none. GFI_OK, GFI_E_DB. */
int store_batch_span_range(struct store *s, const char *gateway, int64_t t,
			   uint64_t *lo, uint64_t *hi, int *has);

#endif

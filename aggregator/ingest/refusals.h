/*
 * refusals.h — ingest's per-gateway budget for refused batches
 * (refusals.c): a token bucket per gateway, the messages it throttled,
 * and the quarantine_spike alert when a gateway starts being throttled.
 * Ingest thread only.
 */
#ifndef GFI_AGG_REFUSALS_H
#define GFI_AGG_REFUSALS_H

#include <stdint.h>

#include "store.h"

struct refusals;

/* A budget of per_min refused batches a minute per gateway, bursts of up
 * to burst. GFI_OK or GFI_E_NOMEM. */
int refusals_new(long long per_min, long long burst, struct refusals **out);
void refusals_free(struct refusals *r);

/* Whether a message of gateway may be verified at now_ms (its bucket holds
 * a token). When not, it is counted as throttled and must be dropped
 * unverified. */
int refusals_allow(struct refusals *r, const char *gateway, int64_t now_ms);

/* A message of gateway was verified and refused: take a token. */
void refusals_charge(struct refusals *r, const char *gateway, int64_t now_ms);

/* Inside the ingest transaction, at most once a second: add the throttled
 * counts to the store (store_quarantine_count) and raise quarantine_spike for a gateway newly
 * throttled (at most once per window). GFI_OK or the store's error. */
int refusals_flush(struct refusals *r, struct store *s, int64_t now_s,
		   int64_t now_ms);

/* Whether counts wait for refusals_flush. */
int refusals_pending(const struct refusals *r);

/* The transaction that flushed committed: forget the flushed counts. */
void refusals_flushed(struct refusals *r);

#endif

/*
 * store_ingest.h — the ingest part of the store (store_ingest.c): verified
 * batches as received (raw signed bytes), chain state per gateway,
 * readings unique by (gateway, meter, point, time) with their daily
 * rollups, the quarantine, gateway status, and reading all of it back.
 * Included by store.h.
 */
#ifndef GFI_AGG_STORE_INGEST_H
#define GFI_AGG_STORE_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "reading.h"
#include "store.h"

/* Chain state of a gateway's current epoch (store_chain.h): the highest seq up to which every batch is held
 * (0: none), and that batch's hash (zeros for 0). */
int store_chain_get(struct store *s, const char *gateway, uint64_t *seq,
		    uint8_t hash[32]);

/* Whether batch (gateway, seq) of the current epoch is held. */
int store_batch_held(struct store *s, const char *gateway, uint64_t seq);

/* Inside a transaction: keep the raw signed payload of an accepted batch and
 * advance the gateway's chain to seq (must be chain seq + 1). */
int store_batch_add(struct store *s, const char *gateway, uint64_t seq,
		    const uint8_t hash[32], const char *payload, size_t len,
		    int64_t received_s);

/* Inside a transaction: store one reading of gateway and fold it into its
 * series' daily rollup. A reading already held (same gateway, meter, point,
 * time) changes nothing: *inserted = 0. */
int store_reading_add(struct store *s, const char *gateway,
		      const struct gfi_reading *r, int *inserted);

/* A pair of numbers that moves whenever the registry may have changed: another
 * connection committed to the store (PRAGMA data_version) or this one began
 * a registry write. Equal pairs mean registry lookups made in between are
 * still true, so verify keeps them across batches. GFI_E_DB. */
int store_registry_version(struct store *s, uint64_t v[2]);

/* Inside a transaction: store readings rs[0..n) of gateway in that order,
 * with the same outcome as store_reading_add on each, but each (series,
 * day) rollup is read and written once for the call. inserted (may be
 * NULL) gets 1 per new reading, 0 per one already held; *stored counts the
 * new ones. GFI_E_RANGE (a valued status without a finite value: nothing
 * stored), GFI_E_NOMEM, GFI_E_DB (the caller rolls back). */
int store_readings_add(struct store *s, const char *gateway,
		       const struct gfi_reading *const *rs, size_t n,
		       unsigned char *inserted, size_t *stored);

/* Quarantine a refused reading, with its reason (refused batches:
 * store_quarantine.h). Its own transaction when called outside one. */
int store_quarantine_reading(struct store *s, const char *gateway,
			     const struct gfi_reading *r, const char *reason,
			     int64_t received_s);

/* A gap: a batch beyond the chain head arrived (seq > head + 1). */
int store_gap_record(struct store *s, const char *gateway, uint64_t head,
		     uint64_t got, int64_t received_s);

/* The raw signed payload of held batch (gateway, seq) of the gateway's
 * current epoch (store_batch_get_in: any epoch), as received, for
 * re-verification by auditors (`gfi-aggregator verify-batch`). On success
 * *payload is a NUL-terminated copy the caller frees with free(), *len its
 * length without the NUL. GFI_OK, GFI_E_NOTFOUND, GFI_E_NOMEM, GFI_E_DB. */
int store_batch_get(struct store *s, const char *gateway, uint64_t seq,
		    char **payload, size_t *len);

#endif

/*
 * store_history.h — what keeps a closed period's meaning (issue 17): the
 * snapshot of each filed yearly table (the bytes as filed, so the filing
 * is reproducible byte for byte), readings that arrived for a filed
 * period (marked late), and batches whose `sent` or reading times lie far
 * from when they were received (flagged, not refused). Part of the store
 * (store_history.c, tables of migration 12); included by store.h.
 */
#ifndef GFI_AGG_STORE_HISTORY_H
#define GFI_AGG_STORE_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "reading.h"
#include "store.h"

/* Keep the snapshot of (unit, year)'s table filed at filed_s: its bytes in
 * format ("json"), their SHA-256, and the filed 综合能耗 (NaN when none).
 * GFI_E_DB. */
int store_filing_snapshot_put(struct store *s, const char *unit, int year,
			      int64_t filed_s, const char *format,
			      const void *bytes, size_t len, double energy_tce);

/* The latest snapshot of (unit, year): *bytes a copy the caller frees (NUL
 * after len bytes), *filed_s, *energy_tce (NaN when none). GFI_OK,
 * GFI_E_NOTFOUND (not filed), GFI_E_NOMEM, GFI_E_DB. */
int store_filing_snapshot_get(struct store *s, const char *unit, int year,
			      char **bytes, size_t *len, int64_t *filed_s,
			      double *energy_tce);

/* Whether the year of gateway's unit was filed: 1 (then *filed_s and the
 * unit's code), 0, or a negative GFI_E_*. */
int store_filed_for_gateway(struct store *s, const char *gateway, int year,
			    char *unit, size_t unit_size, int64_t *filed_s);

/* Inside the batch's transaction: mark reading r of gateway, stored for
 * filed (unit, year), late (received at received_s). GFI_E_DB. */
int store_late_mark(struct store *s, const char *gateway, const struct gfi_reading *r,
		    const char *unit, int year, int64_t received_s);

/* Readings marked late for (unit, year) into *n. GFI_E_DB. */
int store_late_count(struct store *s, const char *unit, int year, int64_t *n);

/* Inside the batch's transaction: flag batch (gateway, epoch, seq) with
 * reason (a time far from its receive time). GFI_E_DB. */
int store_batch_flag(struct store *s, const char *gateway, const char *epoch,
		     uint64_t seq, const char *reason, int64_t received_s);

/* Flags of gateway's batches into *n. GFI_E_DB. */
int store_batch_flag_count(struct store *s, const char *gateway, int64_t *n);

#endif

/*
 * periods.h — what ingest does for closed periods and clocks (issue 17):
 * readings stored for a filed year are marked late and alerted with the
 * filed and the current value; an accepted batch whose `sent` or reading
 * times lie far from its receipt is flagged (verify.h has the tolerance).
 * Called by verify.c inside the batch's transaction.
 */
#ifndef GFI_AGG_PERIODS_H
#define GFI_AGG_PERIODS_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "store.h"
#include "verify.h"

/* The last late_for_filed alert raised, to raise it at most once a minute
 * per (unit, year). Zeroed to start. */
struct late_cache {
	char unit[STORE_CODE_LEN + 1];
	int year;
	int64_t at_s;
};

/* Mark the newly stored readings rs[i] (where inserted[i]) of gateway that
 * fall in a filed year of its unit late, and raise late_for_filed for each
 * such year. GFI_OK, GFI_E_NOMEM, GFI_E_DB. */
int periods_late_marks(struct store *s, struct late_cache *c, const char *gateway,
		       const struct gfi_reading *const *rs,
		       const unsigned char *inserted, size_t n, int64_t now_s);

/* Raise alert rule for (unit, year) with the filed 综合能耗 (the filing
 * snapshot's, threshold) beside the current one (value); detail "<cause>:
 * 综合能耗 filed X tce, now Y tce". An upsert per (unit, rule, year); with
 * if_changed, nothing when the two are the same figure. GFI_E_DB,
 * GFI_E_NOMEM. */
int periods_filed_alert(struct store *s, const char *unit, int year, const char *rule,
			const char *cause, int if_changed, int64_t now_s);

/* After a dated registry change from from_s (a gateway's, meter's or
 * unit's; what says which, by whom): registry_after_filing for every filed
 * year of units[0..n) from from_s's year to now's (NULL or "" skipped),
 * the filed and the current 综合能耗 beside each other. A move (moved)
 * alerts only the years whose 综合能耗 it changed, so units listed as
 * candidates it did not touch stay quiet; a unit's own change (its name,
 * county: its table) alerts every filed year it reaches. The snapshot
 * itself is never touched. */
int periods_registry_changed(struct store *s, const char *const *units, size_t n,
			     int64_t from_s, const char *what, int moved, int64_t now_s);

/* Flag accepted batch b when its `sent` or a reading time lies far from
 * its receipt now_s (the tolerance in verify.h): a clock never set, one
 * running ahead, or a backlog older than a year. GFI_OK, GFI_E_DB. */
int periods_time_flags(struct store *s, const struct gfi_batch *b,
		       int64_t future_tolerance_s, int64_t now_s);

#endif

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

/* Flag accepted batch b when its `sent` or a reading time lies far from
 * its receipt now_s (the tolerance in verify.h): a clock never set, one
 * running ahead, or a backlog older than a year. GFI_OK, GFI_E_DB. */
int periods_time_flags(struct store *s, const struct gfi_batch *b,
		       int64_t future_tolerance_s, int64_t now_s);

#endif

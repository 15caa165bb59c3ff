/*
 * store.h — the aggregator's one narrow store (DESIGN.md, "Store"): its
 * core, and (included at the end) the header of each part.
 *
 * Everything the city keeps goes through the store's functions: the
 * registry (store_registry.h), conversion and emission factors
 * (store_factors.h), verified batches as received, readings, daily rollups,
 * the quarantine and chain state (store_ingest.h), reading those back and
 * gateway status (store_readback.h), gap events gateways report
 * (store_gaps.h), alerts, spot checks and filings (store_review.h), batch
 * spans and chain checkpoints for spot checks (store_checkpoint.h), API
 * tokens and the audit log (store_http.h), history imports
 * (store_import.h). SQLite (WAL) now, through common/db.h; the functions
 * are the seam where a PostgreSQL backend would go, so callers see no SQL
 * and no sqlite3 types.
 *
 * Implementation is split like libmodbus's: store.c (open, migrations,
 * transactions, the statement cache) and one store_<part>.c per header
 * above, sharing store-private.h.
 *
 * Threads: a struct store is one connection, used by one thread. Several
 * processes or threads may open the same file (WAL, busy timeout).
 * Times are UTC epoch seconds; days are Asia/Shanghai (UTC+8) calendar days,
 * numbered as the epoch second of their local midnight.
 * All text arguments are borrowed; output structs are filled by copy.
 */
#ifndef GFI_AGG_STORE_H
#define GFI_AGG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "reading.h"

struct store;

#define STORE_CODE_LEN 18        /* unified social credit code, characters */
#define STORE_NAME_MAX 128

/* Open (creating it 0600 and migrating) the store at path. GFI_E_INVAL,
 * GFI_E_NOMEM, GFI_E_DB. */
int store_open(const char *path, struct store **out);
void store_close(struct store *s);

/* One write transaction (BEGIN IMMEDIATE .. COMMIT). Ingest wraps each
 * batch (or group of batches) in one; registry calls are each their own. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* Listings call fn once per row, in their stated order, with a pointer to
 * the row (valid during the call only); fn returning non-zero stops the
 * listing, which is not an error. */
typedef int (*store_row_fn)(void *ctx, const void *row);

#include "store_registry.h"
#include "store_factors.h"
#include "store_ingest.h"
#include "store_quarantine.h"
#include "store_readback.h"
#include "store_gaps.h"
#include "store_chain.h"
#include "store_keys.h"
#include "store_history.h"
#include "store_moves.h"
#include "store_review.h"
#include "store_checkpoint.h"
#include "store_http.h"
#include "store_import.h"
#include "store_filing.h"

#endif

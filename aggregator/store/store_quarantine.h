/*
 * store_quarantine.h — the bounded quarantine (store_quarantine.c):
 * refused batches kept per gateway under a cap in rows and bytes, repeats
 * folded into one row (hash, count, first/last seen), unauthenticated
 * content kept only as a prefix, refusals beyond the cap or the ingest
 * throttle counted per gateway; listed, purged and aged out.
 */
#ifndef GFI_AGG_STORE_QUARANTINE_H
#define GFI_AGG_STORE_QUARANTINE_H

#include <stddef.h>
#include <stdint.h>

/* The bounds (config "quarantine", docs/aggregator.md). */
struct quarantine_limits {
	int64_t max_rows;        /* rows per gateway, default 1000 */
	int64_t max_bytes;       /* payload+topic+reason bytes per gateway,
				    default 8 MiB */
	int64_t prefix_bytes;    /* of an unauthenticated payload, default 512 */
	int64_t retention_s;     /* rows last seen longer ago go, default 30 d */
};

#define QUARANTINE_MAX_ROWS_DEFAULT 1000
#define QUARANTINE_MAX_BYTES_DEFAULT (8LL * 1024 * 1024)
#define QUARANTINE_PREFIX_DEFAULT 512
#define QUARANTINE_RETENTION_DAYS_DEFAULT 30
#define QUARANTINE_LIMITS_DEFAULT { QUARANTINE_MAX_ROWS_DEFAULT, \
	QUARANTINE_MAX_BYTES_DEFAULT, QUARANTINE_PREFIX_DEFAULT, \
	QUARANTINE_RETENTION_DAYS_DEFAULT * 86400LL }

/* One refused batch. signed_ok: its signature verified with its gateway's
 * key (a chain or sequence refusal), so its payload is kept whole (up to
 * the batch bound); else only lim->prefix_bytes of it. */
struct quarantine_item {
	const char *topic, *gateway, *reason;
	const void *payload;
	size_t len;
	int signed_ok;
	int64_t received_s;
};

/* What store_quarantine_put did with an item. */
enum quarantine_fate { QUARANTINE_KEPT, QUARANTINE_REPEAT, QUARANTINE_OVER_CAP };

/* Keep item under lim: a payload already held for its gateway (same hash)
 * only counts again; a new one is stored while the gateway is under its
 * caps, else counted as over the cap. *fate says which. GFI_E_DB/FULL. */
int store_quarantine_put(struct store *s, const struct quarantine_limits *lim,
			 const struct quarantine_item *item,
			 enum quarantine_fate *fate);

/* Add to gateway's refusal counters: over_cap refused beyond the caps,
 * throttled not even verified (ingest's throttle), at now_s. */
int store_quarantine_count(struct store *s, const char *gateway, int64_t over_cap,
			   int64_t throttled, int64_t now_s);

/* One gateway's quarantine: rows held, their bytes, refusals folded as
 * repeats, over the cap and throttled, last seen. */
struct quarantine_summary {
	char gateway[32];
	int64_t rows, bytes, repeats, over_cap, throttled, last_s;
};

/* Per gateway (gateway NULL: all), by gateway. Rows: struct
 * quarantine_summary. */
int store_quarantine_summaries(struct store *s, const char *gateway,
			       store_row_fn fn, void *ctx);

/* Totals over every gateway into *out (gateway ""). */
int store_quarantine_totals(struct store *s, struct quarantine_summary *out);

/* Delete the rows last seen before before_s (of gateway, or all when NULL)
 * and, when all_counters, their gateways' counters; *deleted gets the
 * rows. Its own transaction when called outside one. */
int store_quarantine_purge(struct store *s, const char *gateway, int64_t before_s,
			   int all_counters, int64_t *deleted);

#endif

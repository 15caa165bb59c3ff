/*
 * store_readback.h — reading the ingested data back (store_readback.c):
 * daily rollups, raw readings, the last reading of a series, gateway
 * status, quarantine reasons and row counts, for indicators, the API and
 * the CLI. Included by store.h.
 */
#ifndef GFI_AGG_STORE_READBACK_H
#define GFI_AGG_STORE_READBACK_H

#include <stddef.h>
#include <stdint.h>

#include "reading.h"
#include "store.h"

/* One day's rollup of one series (gateway, meter, point). Counters: first and
 * last value with their times. Gauges: min, max and the time integral
 * (value x seconds, trapezoids between consecutive valid readings of the
 * day). count counts readings with a value; bad counts those without. */
struct rollup {
	char gateway[GFI_ID_MAX];
	char meter[GFI_ID_MAX];
	char point[GFI_ID_MAX];
	char quantity[GFI_QNAME_MAX];
	int64_t day_s;                  /* Asia/Shanghai midnight, epoch s */
	int64_t count;
	int64_t bad;
	int64_t first_s, last_s;
	double first_v, last_v;
	double min_v, max_v;
	double integral;                /* gauges: value-seconds; counters: 0 */
	int64_t flagged;                /* readings of the day with status
					   backwards, jump or rollover */
};
/* Rollups of gateway's series for days in [from_day_s, to_day_s) (half
 * open, like store_readings), ordered by meter, point, day: every series of
 * the gateway when meter or point is NULL, else that one series. */
int store_rollups(struct store *s, const char *gateway, const char *meter,
		  const char *point, int64_t from_day_s, int64_t to_day_s,
		  store_row_fn fn, void *ctx);

/* Readings of one series in [from_s, to_s), time order. */
int store_readings(struct store *s, const char *gateway, const char *meter,
		   const char *point, int64_t from_s, int64_t to_s,
		   store_row_fn fn, void *ctx);

/* The last status message of a gateway (gfi/v1/<gateway>/status: the
 * agent's retained status, or its will). */
struct gw_status {
	char gateway[GFI_ID_MAX];
	char state[16];                 /* "online" or "offline" */
	int64_t queue_depth;            /* readings held on the gateway */
	int64_t oldest_queued_s;        /* read time of the oldest, 0 if none */
	int64_t head_seq, acked_seq;    /* last batch made, last acked */
	char version[32];               /* agent version */
	int64_t reported_s;             /* the agent's clock, 0 for a will */
	int64_t received_s;             /* the aggregator's clock */
};
/* Keep st as gateway's last status (replacing the previous one). */
int store_status_put(struct store *s, const struct gw_status *st);
/* Gateway's last status; GFI_E_NOTFOUND when it never reported. */
int store_status_get(struct store *s, const char *gateway, struct gw_status *out);

/* Quarantined batches per reason class (the reason up to its first ':'):
 * fn gets a struct reason_count per class, in class order. */
struct reason_count {
	char reason[48];
	int64_t n;
};
int store_quarantine_reasons(struct store *s, store_row_fn fn, void *ctx);

/* The latest stored reading of one series (time, value, status);
 * GFI_E_NOTFOUND when it has none. */
int store_last_reading(struct store *s, const char *gateway, const char *meter,
		       const char *point, struct gfi_reading *out);

/* Counts for tests and metrics. */
struct store_counts {
	int64_t batches, readings, quarantined_batches, quarantined_readings,
		gaps, rollups;
};
int store_counts(struct store *s, struct store_counts *out);

#endif

/*
 * store_review.h — the review part of the store (store_review.c): alerts,
 * on-site spot checks, filed yearly tables, and the read-backs of batches
 * and flagged readings they need. Included by store.h.
 */
#ifndef GFI_AGG_STORE_REVIEW_H
#define GFI_AGG_STORE_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define STORE_ALERT_TEXT_MAX 256

/* One alert (migration 3, table alerts). At most one alert per (unit, rule,
 * subject, period) is not resolved (unique partial index). state is
 * "open", "acknowledged" or "resolved"; changed_by/changed_s say who moved
 * it there and when (0 and "" while never changed). */
struct store_alert {
	int64_t id;
	char unit[STORE_CODE_LEN + 1];
	char rule[32];                  /* e.g. "deterioration_yoy" */
	char subject[96];               /* indicator key, gateway, series ... */
	char period[16];                /* "2025", "2025-03", "current" */
	double value;                   /* the observed value; NaN when none */
	double threshold;               /* the limit it crossed; NaN when none */
	char detail[STORE_ALERT_TEXT_MAX];
	int64_t first_seen_s, last_seen_s;
	char state[16];
	char changed_by[64];
	int64_t changed_s;
};

/* Raise alert a (unit, rule, subject, period, value, threshold, detail) at
 * now_s: a new open alert (first_seen = last_seen = now_s), or, when one is
 * already open or acknowledged, its values and last_seen updated. *id gets
 * its id, *created 1 for a new one. GFI_OK, GFI_E_DB. */
int store_alert_raise(struct store *s, const struct store_alert *a,
		      int64_t now_s, int64_t *id, int *created);

/* Move alert id to state ("acknowledged" or "resolved") by who at now_s.
 * GFI_E_NOTFOUND (no such id), GFI_E_STATE (already resolved, or ack of an
 * acknowledged one), GFI_E_INVAL (unknown state), GFI_E_DB. */
int store_alert_set_state(struct store *s, int64_t id, const char *state,
			  const char *who, int64_t now_s);

/* Alerts matching every non-NULL filter, by id. state "active" matches
 * open and acknowledged. Rows: struct store_alert. */
struct store_alert_filter {
	const char *unit, *county, *rule, *period, *state;
};
int store_alert_list(struct store *s, const struct store_alert_filter *f,
		     store_row_fn fn, void *ctx);
int store_alert_get(struct store *s, int64_t id, struct store_alert *out);

/* An on-site spot check (table spotchecks). Optional numbers are NaN when
 * they could not be computed. */
struct store_spotcheck {
	int64_t id;
	char gateway[GFI_ID_MAX];
	char meter[GFI_ID_MAX];
	char point[GFI_ID_MAX];
	int64_t at_s;                   /* when the inspector read the display */
	double reading;                 /* what the display showed */
	double reported;                /* counter interpolated at at_s */
	double diff;                    /* reading - reported */
	double diff_pct;                /* diff / reported x 100 */
	double tolerance_pct;           /* allowed |diff|, % of reported */
	int chain_ok;                   /* every batch verified and linked */
	char verdict[16];               /* consistent, inconsistent, cannot_judge */
	char reason[STORE_ALERT_TEXT_MAX];
	char inspector[64];
	char note[STORE_ALERT_TEXT_MAX];
	int64_t recorded_s;
};
int store_spotcheck_add(struct store *s, const struct store_spotcheck *c,
			int64_t *id);
/* Spot checks of one series (NULL parts match all), by id. */
int store_spotcheck_list(struct store *s, const char *gateway,
			 const char *meter, const char *point,
			 store_row_fn fn, void *ctx);

/* The yearly dynamic management table of unit for year was filed (table
 * filings): set, replacing an earlier record of the same (unit, year).
 * GFI_E_NOTFOUND for an unknown unit. */
int store_filing_put(struct store *s, const char *unit, int year,
		     const char *by, int64_t filed_s);
/* Whether (unit, year) was filed: 1, 0, or a negative GFI_E_*. */
int store_filing_held(struct store *s, const char *unit, int year);

/* The latest received_s of gateway's stored batches; *has 0 when none. */
int store_batch_last_received(struct store *s, const char *gateway,
			      int64_t *received_s, int *has);
/* Sequence numbers of gateway's stored batches of its current chain epoch
 * received at or after from_s, ascending. Rows: const uint64_t *. */
int store_batch_seqs(struct store *s, const char *gateway, int64_t from_s,
		     store_row_fn fn, void *ctx);
/* Readings of one series in [from_s, to_s) flagged by the agent as a
 * counter going backwards (*backwards) or jumping (*jumps). */
int store_flagged_count(struct store *s, const char *gateway,
			const char *meter, const char *point, int64_t from_s,
			int64_t to_s, int64_t *backwards, int64_t *jumps);

#endif

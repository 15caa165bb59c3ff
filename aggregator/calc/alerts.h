/*
 * alerts.h — the rules that tell a county or the city which listed unit
 * needs a look, their configuration, and the alert CLI (docs/report.md,
 * "Alerts").
 *
 * Rules (the rule name is what the alerts table stores):
 *   deterioration_yoy  an intensity indicator (ind_def lower_is_better 1) of
 *                      the last complete year worse than the year before by
 *                      more than threshold_pct
 *   deterioration_12m  the same over the last 12 complete months against the
 *                      12 before (period "12m")
 *   sector_limit       a yearly value above its sector's limit (table)
 *   completeness       data completeness below completeness_pct in one of
 *                      the last 12 complete months or the last complete year
 *   missing_input      a registered input (a meter with a role in the
 *                      balance) without readings, or covering less than
 *                      min_coverage, in one of those periods; subject the
 *                      point: a data-quality alert. An indicator that lacks
 *                      an input never enters the deterioration rules.
 *   gateway_silent     no batch received for more than max_silence_s
 *   counter_anomaly    readings flagged backwards or jump, or series resets,
 *                      in the current year so far
 *   data_gap           readings a gateway read but its queue dropped (full
 *                      queue or disk), reported as gap events, in the
 *                      current year so far; subject gateway/meter
 *   table_missing      no filed yearly table for Y-1 once the filing
 *                      deadline of Y (store setting filing_deadline_mmdd,
 *                      April 15 by default; Asia/Shanghai) has passed
 *   reconcile          the meters' total of Y-1 differs from the unit's
 *                      stated figure (statistical return or utility bill:
 *                      electricity, natural gas, water) by more than the
 *                      setting reconcile_diff_pct (5 %); subject the carrier
 * Evaluation raises each alert that holds (never a duplicate of an open or
 * acknowledged one) and resolves, as "gfi", every active alert of a (unit,
 * rule, period) it evaluated whose condition no longer holds.
 */
#ifndef GFI_AGG_ALERTS_H
#define GFI_AGG_ALERTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "indicators.h"
#include "store.h"

#define ALERT_LIMITS_MAX 256

struct alert_limit {
	char sector[64];              /* a unit's sector, e.g. "C3011" */
	enum ind_id indicator;
	double max;                   /* in the indicator's unit */
};

struct alert_rules {
	double threshold_pct;         /* deterioration, % worse; default 5 */
	double completeness_pct;      /* below this alerts; default 90 */
	int64_t max_silence_s;        /* gateway silence; default 3600 */
	struct alert_limit limits[ALERT_LIMITS_MAX];
	size_t nlimits;               /* default: none (the city sets them) */
};

/* The built-in defaults. */
void alerts_rules_default(struct alert_rules *r);

/* Parse a rules file (JSON, strict: unknown keys refused):
 * {"threshold_pct":5, "completeness_pct":90, "max_silence_s":3600,
 *  "sector_limits":[{"sector":"C3011","indicator":"energy_per_product",
 *  "max":110}]}. Absent keys keep the defaults. GFI_OK, or GFI_E_IO /
 * GFI_E_PARSE / GFI_E_INVAL / GFI_E_RANGE with one line in err naming the
 * field ("sector_limits[2].indicator: unknown indicator foo"). */
int alerts_rules_load(const char *path, struct alert_rules *r, char *err,
		      size_t errlen);
int alerts_rules_parse(const char *text, size_t len, struct alert_rules *r,
		       char *err, size_t errlen);

/* Where indicator values come from: indicators_compute normally; tests pass
 * crafted periods through this seam. */
typedef int (*alerts_compute_fn)(void *ctx, struct store *s, const char *unit,
				 int year, int month, struct ind_period *out);

struct alerts_summary {
	int units;                    /* units evaluated */
	int raised;                   /* alerts that hold now */
	int created;                  /* of which new */
	int resolved;                 /* resolved because the condition cleared */
};

/* Evaluate every rule for every listed, not retired unit at now_s (UTC
 * epoch s, passed in so tests drive the calendar). compute NULL means
 * indicators_compute. GFI_OK, GFI_E_DB, GFI_E_NOMEM. Repeatable. */
int alerts_evaluate(struct store *s, const struct alert_rules *r, int64_t now_s,
		    alerts_compute_fn compute, void *ctx,
		    struct alerts_summary *out);

#endif

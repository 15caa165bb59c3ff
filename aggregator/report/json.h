/*
 * json.h — one JSON writer per stored thing, used by the HTTP API, the
 * `--json` commands and the yearly report (docs/api.md), so that a unit,
 * an indicator period, an alert or a spot check has one shape everywhere.
 *
 * Every json_* builder returns a new cJSON object the caller owns (free
 * with cJSON_Delete, or hand it to a parent), or NULL when out of memory.
 * Numbers are cJSON numbers; a non-finite double is written as null.
 */
#ifndef GFI_AGG_JSON_H
#define GFI_AGG_JSON_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "indicators.h"
#include "score.h"
#include "store.h"

/* The name at i of a NULL-terminated names table with n entries, or
 * fallback when i is out of range. */
const char *json_name(const char *const *names, int n, int i, const char *fallback);

/* Add v to o under key k, or null when v is not finite. */
void json_add_number(cJSON *o, const char *k, double v);

/* A registered unit: code, name, kind, county, level, year_listed, sector,
 * retired. */
cJSON *json_unit(const struct reg_unit *u);

/* A county as the API lists it: code and name. */
cJSON *json_county(const struct reg_county *k);

/* One indicator of a period: value, unit, product_unit (per-product
 * indicators, when the unit has a product unit), zh, en, completeness,
 * provenance, estimated, yoy_pct. */
cJSON *json_indicator(const struct ind_def *d, const struct ind_value *v,
		      const char *product_unit);

/* Add "indicators": {key: json_indicator, ...} for every indicator of p to
 * o, each with the period's yoy_to, yoy_label, yoy_label_en and its
 * reasons (the missing inputs behind it). GFI_OK or GFI_E_NOMEM. */
int json_add_indicators(cJSON *o, const struct ind_period *p);

/* A unit's indicators for a year or a month: unit, year, month (null for
 * the year), product_unit, indicators, provenance, imported_share,
 * readings, imported_readings, in_progress, measured_to, missing,
 * renewable_band (docs/api.md). */
cJSON *json_period(const struct ind_period *p);

/* An alert: id, unit, rule, subject, period, value, threshold, detail,
 * state, first_seen_s, last_seen_s, changed_by, changed_s. */
cJSON *json_alert(const struct store_alert *a);

/* A spot check: id, kind, gateway, meter, point, at_s, reading, from_s,
 * from_reading, since, reported, diff, diff_pct, tolerance,
 * tolerance_parts {display, register, clock, interpolation, classes},
 * tolerance_pct, chain_ok, verdict, reason, inspector, note, recorded_s. */
cJSON *json_spotcheck(const struct store_spotcheck *k);

/* A gateway with its unit's county and last batch time (has_last 0: null);
 * the caller adds "status" (json_gateway_status or null). */
cJSON *json_gateway(const struct reg_gateway *g, const char *county, int has_last,
		    int64_t last_batch_s);

/* A gateway's last reported status. */
cJSON *json_gateway_status(const struct gw_status *st);

/* A meter point with its latest reading (last NULL: the last_* are null). */
cJSON *json_meter(const struct reg_meter *m, const struct gfi_reading *last);

/* A history import (docs/import.md). */
cJSON *json_import(const struct store_import *im);

/* A meter point's daily rollup. */
cJSON *json_rollup(const struct rollup *r);

/* A unit's filing section (docs/report.md "The platform's table"): year,
 * rows (one per platform row: no, aim, key, zh, en, unit, value, baseline,
 * leading, weight, direction, score, applicable, provenance, completeness,
 * proof, note), subtotals per aim, total, max_total, outlook, costliest
 * the three-year trend (years[] of e, y[0] the table's year) and the
 * reconciliation of the meters against the stated figures (over: the
 * difference exceeds reconcile_pct). */
cJSON *json_filing(const struct score_entry *e, double reconcile_pct);

/* A unit's statement: id, unit, year, kind, row, date, text, evidence,
 * by, entered_s, statement_of ("unit"), state, reviewed_by, reviewed_s. */
cJSON *json_statement(const struct store_statement *t);

/* Add the unit's statements v[0..n) to a json_filing object: each row's
 * "remark" (its latest revision remark, or null) and "entry" (a
 * qualitative row's latest entered text, or null), and the arrays
 * "remarks", "qualitative", "major_changes" and "compliance". GFI_OK or
 * GFI_E_NOMEM. */
int json_filing_statements(cJSON *filing, const struct store_statement *v, size_t n);

/* Print o unformatted and a newline to out, then free o (o may be NULL:
 * out of memory). GFI_OK, GFI_E_NOMEM or GFI_E_IO. */
int json_print_line(cJSON *o, FILE *out);

#endif

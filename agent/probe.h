/*
 * probe.h — internals of `gfi-agent probe` shared with its unit test: how
 * plausible a profile's values are in one word order.
 *
 * The command itself is agent_probe (agent.h). A fit is one shipped
 * profile decoded in one word order from two reads of a responder; each
 * point is judged by what it measures (docs/polling.md, "Probe"): a voltage
 * 180-260 V or 342-456 V, a frequency 45-65 Hz, a power factor within
 * +-1, a counter non-negative and not decreasing between the two reads,
 * any other value finite with a magnitude between 1e-6 and 1e9. A zero
 * proves nothing either way (registers between points read 0).
 */
#ifndef GFI_AGENT_PROBE_H
#define GFI_AGENT_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "profile.h"

#define PROBE_MAX_WORDS 4        /* words of the widest point (f64) */

/* +1 plausible, -1 not, 0 no evidence: pt's value v1 (first read) and v2
 * (second read), decoded with status rc1/rc2. */
int probe_judge(const struct gfi_point *pt, int rc1, double v1, int rc2,
		double v2);

/* Decode pt's words as if its registers were in order o (single-register
 * points ignore it). As gfi_point_decode. */
int probe_decode(const struct gfi_point *pt, enum gfi_order o,
		 const uint16_t *words, double *v);

/* The probe of a DL/T 645 line (probe645.c): the one meter's address and
 * the best of the np dlt645 profiles, all before deadline_ms (monotonic).
 * Returns the entries printed (0 or 1), -1 when the line cannot open. */
int probe_dlt645(const struct line_cfg *line, struct gfi_profile **profiles,
		 size_t np, int64_t deadline_ms, FILE *out, FILE *err);

#endif

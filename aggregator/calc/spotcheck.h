/*
 * spotcheck.h — on-site spot checks (现场抽查复核): an inspector reads a
 * meter's display at a known time; gfi compares it with the counter the
 * gateway reported, and says whether the stored data can be trusted
 * (docs/report.md, "Spot checks"; ../shared/DOMAIN.md, "Meters and data
 * quality").
 *
 * Method. Display and register are the same counter, so a display reading
 * must equal the reported counter interpolated at the instant within what
 * cannot be known exactly (struct spotcheck_tolerance): the display's
 * resolution, the register's resolution at that magnitude (float32: its ulp
 * there; an integer register: its scale), the counter's rate x the
 * inspector's clock uncertainty, and what the counter moved between the two
 * reported readings around the instant. No accuracy class applies there.
 * Kinds:
 *   display    the reading against the reported counter at at_s;
 *   reference  a reference meter's consumption over [from_s, at_s] against
 *              gfi's, within the two accuracy classes combined (% of the
 *              reference's consumption) plus the parts above at both ends;
 *   increase   the display's increase since an earlier display check of the
 *              same point against the reported increase, within the parts
 *              above at both ends.
 * Every reading a verdict uses must come from a stored batch that still
 * verifies and links to the chain's checkpoints (spotcheck_chain); else,
 * like without readings around an instant, the verdict is cannot_judge.
 */
#ifndef GFI_AGG_SPOTCHECK_H
#define GFI_AGG_SPOTCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "series.h"
#include "store.h"

#define SPOTCHECK_DEFAULT_ACCURACY_PCT 2.0   /* gfi's meter, class unknown */
#define SPOTCHECK_DEFAULT_CLOCK_S 60.0       /* inspector's clock, ± s */
#define SPOTCHECK_DEFAULT_DISPLAY_RES 1.0    /* one unit: an integer display */
#define SPOTCHECK_FLOAT32 0.0                /* register_step: a float32 */

struct spotcheck_input {
	const char *kind;                     /* display (also NULL), reference,
						 increase */
	const char *gateway, *meter, *point;  /* a registered counter point */
	int64_t at_s;                         /* when the display was read */
	double reading;                       /* what it showed, >= 0 */
	int64_t from_s;                       /* reference: the period's start */
	double from_reading;                  /* reference: its reading there */
	int64_t since_id;                     /* increase: the earlier check */
	double ref_accuracy_pct;              /* reference: its class, % */
	double display_resolution;            /* NaN: the default */
	double register_step;                 /* SPOTCHECK_FLOAT32, a scale, or
						 NaN: from the registration */
	double clock_uncertainty_s;           /* NaN: the default */
	const char *inspector;                /* who: the token holder, --by */
	const char *note;                     /* "" when none */
	int64_t now_s;                        /* recorded at */
};

/* Whether the stored readings of k at times t[0..n) with values v[0..n)
 * each come from a held batch that still parses, names its gateway and seq,
 * verifies with the registry's key and links by hash, through every batch
 * between the chain checkpoints around them (store_checkpoint.h). GFI_OK,
 * or GFI_E_CRYPTO with one line in why ("signature invalid: ...", "chain
 * broken: ..."); GFI_E_NOTFOUND (gateway unknown), GFI_E_DB, GFI_E_NOMEM. */
int spotcheck_chain(struct store *s, const struct series_key *k, const int64_t *t,
		    const double *v, size_t n, char *why, size_t whylen);

/* The resolution of a register holding value: the float32 ulp there when
 * step is SPOTCHECK_FLOAT32, else step (the integer register's scale). */
double spotcheck_register_resolution(double step, double value);

/* Judge one spot check and fill *out (not stored). GFI_OK whatever the
 * verdict; GFI_E_NOTFOUND when the point is not registered, or the
 * increase's earlier check is not a display check of it (out->reason
 * "since: ..."); GFI_E_INVAL for an unknown kind, a period that does not
 * run forward (out->reason "from: ..." or "since: ..."); GFI_E_DB. */
int spotcheck_judge(struct store *s, const struct spotcheck_input *in,
		    struct store_spotcheck *out);

#endif

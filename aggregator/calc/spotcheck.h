/*
 * spotcheck.h — on-site spot checks (现场抽查复核): an inspector reads a
 * meter's display at a known time; gfi compares it with the counter the
 * gateway reported, and says whether the stored data can be trusted
 * (docs/report.md, "Spot checks").
 *
 * Method: the reported counter at the instant (series_counter_at,
 * interpolated between the readings just before and after); tolerance =
 * the meter's accuracy class (registry accuracy_pct, 2 % when unknown) of
 * the display reading plus |after - before| (what the counter can move
 * between the two reported readings); and every stored batch of the
 * gateway received since the start of the check's year must verify with
 * the registry's public key and link to the previous one by its hash.
 * Verdicts: consistent, inconsistent, cannot_judge (no readings around the
 * instant, chain broken, signature invalid).
 */
#ifndef GFI_AGG_SPOTCHECK_H
#define GFI_AGG_SPOTCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

#define SPOTCHECK_DEFAULT_ACCURACY_PCT 2.0

struct spotcheck_input {
	const char *gateway, *meter, *point;  /* a registered counter point */
	int64_t at_s;                         /* when the display was read */
	double reading;                       /* what it showed, >= 0 */
	const char *inspector;
	const char *note;                     /* "" when none */
	int64_t now_s;                        /* recorded at */
};

/* Check every stored batch of gateway received at or after from_s: each
 * parses, verifies with the registry's key, and its prev is the hash of
 * the held batch seq - 1 (zeros for seq 1), seqs contiguous. GFI_OK, or
 * GFI_E_CRYPTO with "signature invalid: ..." / "chain broken: ..." in why;
 * GFI_E_NOTFOUND (gateway unknown), GFI_E_DB, GFI_E_NOMEM. */
int spotcheck_chain(struct store *s, const char *gateway, int64_t from_s,
		    char *why, size_t whylen);

/* Judge one spot check and fill *out (not stored). GFI_OK whatever the
 * verdict; GFI_E_NOTFOUND when the point is not registered; GFI_E_DB. */
int spotcheck_judge(struct store *s, const struct spotcheck_input *in,
		    struct store_spotcheck *out);

#endif

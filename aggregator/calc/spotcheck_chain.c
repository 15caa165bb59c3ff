/*
 * spotcheck_chain.c — whether the readings a spot check judges still come
 * from signed, linked batches (spotcheck_chain in spotcheck.h), at a cost
 * that does not grow with the history.
 *
 * Why: a spot check is evidence in a removal decision (第二十二条). A display
 * that agrees with stored data proves nothing if the stored data could have
 * been altered. Ingest verified every batch once and left two things
 * (store_checkpoint.h): the time span of each batch's readings, and the
 * hash of every STORE_CHECKPOINT_EVERY-th batch. So a check finds the
 * batches holding its readings by time, and re-verifies only the segment
 * of the chain between the checkpoint at or below them and the one at or
 * above them (or the head): each batch parsed, its signature verified with
 * the registry's key, its prev the previous batch's hash, the segment's
 * first prev the lower checkpoint (or, when that checkpoint's batch holds
 * a reading, that batch's own hash the checkpoint) and its last hash the
 * upper one. About STORE_CHECKPOINT_EVERY batches, never more than twice
 * that plus the readings' spread, whatever the history (cheap by design,
 * so it runs on the HTTP thread that asked; bench/spotcheck_*).
 *
 * Invariants: GFI_OK only when every wanted reading was found with its
 * stored value in a batch of a fully verified segment; a missing, altered or
 * unlinked batch in the segment is GFI_E_CRYPTO with the seq named.
 */
#include "spotcheck.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "error.h"
#include "sign.h"
#include "verify.h"

#define WANT_MAX 8

struct want {
	int64_t t;
	double v;
	int found;
};

struct walk {
	struct store *s;
	const struct series_key *k;
	struct gfi_verifier *key;          /* owned */
	struct want w[WANT_MAX];
	size_t nw;
	uint64_t lo, hi;                   /* the candidate batches' seqs */
	int any;
	char *why;
	size_t whylen;
};

/* Stored batch seq parsed, or GFI_E_CRYPTO: missing or no longer parsing. */
static int load_batch(struct walk *w, uint64_t seq, struct gfi_batch **b)
{
	char *payload = NULL, err[256];
	size_t len = 0;
	int ret = store_batch_get(w->s, w->k->gateway, seq, &payload, &len);

	if (ret == GFI_E_NOTFOUND) {
		snprintf(w->why, w->whylen, "chain broken: batch %" PRIu64 " missing", seq);
		return GFI_E_CRYPTO;
	}
	if (ret != GFI_OK)
		return ret;
	ret = gfi_batch_parse(payload, len, b, err, sizeof(err));
	free(payload);
	if (ret == GFI_E_NOMEM || ret == GFI_OK)
		return ret;
	/* A stored batch passed this parser when it arrived: a change. */
	snprintf(w->why, w->whylen, "signature invalid: stored batch %" PRIu64
		 " no longer parses: %s", seq, err);
	return GFI_E_CRYPTO;
}

/* Mark the wanted readings batch b holds; an altered value is a refusal. */
static int match_readings(struct walk *w, const struct gfi_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct gfi_reading *r = &b->readings[i];

		if (strcmp(r->meter, w->k->meter) != 0 || strcmp(r->point, w->k->point) != 0)
			continue;
		for (size_t j = 0; j < w->nw; j++) {
			if (r->time_s != w->w[j].t)
				continue;
			if (isnan(r->value) || fabs(r->value - w->w[j].v) > 0.0) {
				snprintf(w->why, w->whylen, "stored reading at %" PRId64
					 " is %.10g, signed batch %" PRIu64 " says %.10g",
					 r->time_s, w->w[j].v, b->seq, r->value);
				return GFI_E_CRYPTO;
			}
			w->w[j].found = 1;
		}
	}
	return GFI_OK;
}

/* Verify batch seq: names it, signature, and (link) its prev is prev;
 * prev becomes its hash. */
static int check_one(struct walk *w, uint64_t seq, uint8_t prev[GFI_SHA256_LEN], int link)
{
	struct gfi_batch *b = NULL;
	char err[256];
	int ret = load_batch(w, seq, &b);

	if (ret != GFI_OK)
		return ret;
	if (strcmp(b->gateway, w->k->gateway) != 0 || b->seq != seq)
		snprintf(w->why, w->whylen, "chain broken: stored batch %" PRIu64
			 " names %s seq %" PRIu64, seq, b->gateway, b->seq);
	else if (gfi_batch_verify(b, w->key) != GFI_OK &&
		 verify_batch_key(w->s, b, err, sizeof(err)) != GFI_OK)
		/* Not the current key, nor the one the key history gives for
		 * this batch's place (issue 17: keys are never replaced). */
		snprintf(w->why, w->whylen, "signature invalid: batch %" PRIu64
			 " does not verify with %s's key", seq, w->k->gateway);
	else if (link && memcmp(b->prev, prev, GFI_SHA256_LEN) != 0)
		snprintf(w->why, w->whylen, "chain broken: prev of batch %" PRIu64
			 " is not the hash of batch %" PRIu64, seq, seq - 1);
	ret = w->why[0] != '\0' ? GFI_E_CRYPTO : match_readings(w, b);
	memcpy(prev, b->hash, GFI_SHA256_LEN);
	gfi_batch_free(b);
	return ret;
}

/* Whether batch seq's hash got is its checkpoint's, want. */
static int at_checkpoint(struct walk *w, uint64_t seq, const uint8_t got[GFI_SHA256_LEN],
			 const uint8_t want[GFI_SHA256_LEN])
{
	if (memcmp(got, want, GFI_SHA256_LEN) == 0)
		return GFI_OK;
	snprintf(w->why, w->whylen, "chain broken: batch %" PRIu64
		 " does not hash to its checkpoint", seq);
	return GFI_E_CRYPTO;
}

/* The segment from the checkpoint at or below w->lo to the one at or above
 * w->hi (or the chain head), every batch checked. A checkpoint batch that
 * holds a reading is checked against its own checkpoint (no walk from the
 * one before); otherwise the walk starts after the lower checkpoint. */
static int walk_segment(struct walk *w)
{
	uint8_t prev[GFI_SHA256_LEN], bottom[GFI_SHA256_LEN], top[GFI_SHA256_LEN];
	uint64_t from = 0, to = 0;
	int has_top = 0;
	int ret = store_checkpoint_below(w->s, w->k->gateway, w->lo, &from, bottom);

	memcpy(prev, bottom, sizeof(prev));
	if (ret == GFI_OK)
		ret = store_checkpoint_above(w->s, w->k->gateway, w->hi, &to, top, &has_top);
	if (ret == GFI_OK && !has_top)
		ret = store_chain_get(w->s, w->k->gateway, &to, top);
	if (ret == GFI_OK && from > 0 && from == w->lo &&
	    (ret = check_one(w, from, prev, 0)) == GFI_OK)
		ret = at_checkpoint(w, from, prev, bottom);
	for (uint64_t seq = from + 1; ret == GFI_OK && seq <= to; seq++)
		ret = check_one(w, seq, prev, 1);
	return ret == GFI_OK ? at_checkpoint(w, to, prev, top) : ret;
}

/* Candidates for every wanted reading, then the segment, then whether each
 * reading was met. */
static int walk_readings(struct walk *w)
{
	int ret = GFI_OK;

	for (size_t i = 0; ret == GFI_OK && i < w->nw; i++) {
		uint64_t lo = 0, hi = 0;
		int has = 0;

		ret = store_batch_span_range(w->s, w->k->gateway, w->w[i].t, &lo, &hi, &has);
		w->lo = has && (!w->any || lo < w->lo) ? lo : w->lo;
		w->hi = has && (!w->any || hi > w->hi) ? hi : w->hi;
		w->any |= has;
	}
	if (ret != GFI_OK)
		return ret;
	if (w->any && (ret = walk_segment(w)) != GFI_OK)
		return ret;
	for (size_t i = 0; i < w->nw; i++) {
		if (!w->w[i].found) {
			snprintf(w->why, w->whylen, "chain broken: no verified batch holds "
				 "the reading at %" PRId64, w->w[i].t);
			return GFI_E_CRYPTO;
		}
	}
	return GFI_OK;
}

int spotcheck_chain(struct store *s, const struct series_key *k, const int64_t *t,
		    const double *v, size_t n, char *why, size_t whylen)
{
	struct walk w = { .s = s, .k = k, .why = why, .whylen = whylen };
	struct reg_gateway g;
	char err[256];
	int ret;

	why[0] = '\0';
	if (n > WANT_MAX)
		return GFI_E_INVAL;
	if ((ret = store_gateway_get(s, k->gateway, &g)) != GFI_OK)
		return ret;
	if (gfi_verifier_new(g.pubkey_pem, strlen(g.pubkey_pem), &w.key, err,
			     sizeof(err)) != GFI_OK) {
		snprintf(why, whylen, "signature invalid: registry key of %s unusable: %s",
			 k->gateway, err);
		return GFI_E_CRYPTO;
	}
	for (size_t i = 0; i < n; i++)
		w.w[w.nw++] = (struct want){ t[i], v[i], 0 };
	ret = walk_readings(&w);
	gfi_verifier_free(w.key);
	return ret;
}

/*
 * spotcheck.c — on-site spot checks: the display reading against the
 * reported counter, and the integrity of what was reported (spotcheck.h has
 * the method; the commands are cmd/spotcheck.c).
 *
 * Why the chain matters here: a spot check is evidence in a removal
 * decision (第二十二条). A display reading that agrees with stored data proves
 * nothing if the stored data could have been altered, so a verdict needs
 * every batch of the gateway since the start of the year to verify from the
 * gateway's public key and to link to its predecessor by hash; otherwise the
 * verdict is cannot_judge, never consistent.
 *
 * Invariants: a verdict is consistent only when readings surround the
 * instant and the chain and signatures check; the tolerance used is written
 * into the reason, so the record explains itself years later.
 */
#include "spotcheck.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "batch.h"
#include "error.h"
#include "jsonutil.h"
#include "period.h"
#include "series.h"
#include "sign.h"
#include "verify.h"


/* ---- the hash chain and signatures ---- */

struct seqs {
	uint64_t *v;             /* owned */
	size_t n, cap;
	int nomem;
};

static int collect_seq(void *ctx, const void *row)
{
	struct seqs *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		uint64_t *v = realloc(l->v, cap * sizeof(*v));
		if (v == NULL) {
			l->nomem = 1;
			return 1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *(const uint64_t *)row;
	return 0;
}

/* The hash of held batch (gateway, seq)'s JSON, from its stored bytes. */
static int held_hash(struct store *s, const char *gateway, uint64_t seq,
		     uint8_t hash[GFI_SHA256_LEN], char *why, size_t whylen)
{
	struct gfi_batch *b = NULL;
	char *payload = NULL, err[256];
	size_t len = 0;
	int ret = store_batch_get(s, gateway, seq, &payload, &len);

	if (ret == GFI_E_NOTFOUND) {
		snprintf(why, whylen, "chain broken: batch %" PRIu64 " is not held", seq);
		return GFI_E_CRYPTO;
	}
	if (ret != GFI_OK)
		return ret;
	ret = gfi_batch_parse(payload, len, &b, err, sizeof(err));
	free(payload);
	if (ret == GFI_E_NOMEM)
		return ret;
	if (ret != GFI_OK) {
		snprintf(why, whylen, "chain broken: stored batch %" PRIu64 " unreadable: %s",
			 seq, err);
		return GFI_E_CRYPTO;
	}
	memcpy(hash, b->hash, GFI_SHA256_LEN);
	gfi_batch_free(b);
	return GFI_OK;
}

/* Parse and verify held batch seq; its prev must equal prev. *hash gets
 * its own hash for the next link. */
static int check_one(struct store *s, struct gfi_verifier *key, const char *gateway,
		     uint64_t seq, const uint8_t prev[GFI_SHA256_LEN],
		     uint8_t hash[GFI_SHA256_LEN], char *why, size_t whylen)
{
	struct gfi_batch *b = NULL;
	char *payload = NULL, err[256];
	size_t len = 0;
	int ret = store_batch_get(s, gateway, seq, &payload, &len);

	if (ret != GFI_OK)
		return ret;
	ret = gfi_batch_parse(payload, len, &b, err, sizeof(err));
	free(payload);
	if (ret == GFI_E_NOMEM)
		return ret;
	if (ret != GFI_OK) {
		/* A stored batch passed this parser when it arrived: a change. */
		snprintf(why, whylen, "signature invalid: stored batch %" PRIu64
			 " no longer parses: %s", seq, err);
		return GFI_E_CRYPTO;
	}
	if (strcmp(b->gateway, gateway) != 0 || b->seq != seq)
		snprintf(why, whylen, "chain broken: stored batch %" PRIu64
			 " names %s seq %" PRIu64, seq, b->gateway, b->seq);
	else if (gfi_batch_verify(b, key) != GFI_OK &&
		 verify_batch_key(s, b, err, sizeof(err)) != GFI_OK)
		snprintf(why, whylen, "signature invalid: batch %" PRIu64
			 " does not verify with %s's key", seq, gateway);
	else if (memcmp(b->prev, prev, GFI_SHA256_LEN) != 0)
		snprintf(why, whylen, "chain broken: prev of batch %" PRIu64
			 " is not the hash of batch %" PRIu64, seq, seq - 1);
	else
		why[0] = '\0';
	memcpy(hash, b->hash, GFI_SHA256_LEN);
	gfi_batch_free(b);
	return why[0] != '\0' ? GFI_E_CRYPTO : GFI_OK;
}

int spotcheck_chain(struct store *s, const char *gateway, int64_t from_s,
		    char *why, size_t whylen)
{
	struct gfi_verifier *key = NULL;
	struct reg_gateway g;
	struct seqs l = { 0 };
	uint8_t prev[GFI_SHA256_LEN] = { 0 };
	char err[256];
	int ret;

	why[0] = '\0';
	if ((ret = store_gateway_get(s, gateway, &g)) != GFI_OK)
		return ret;
	if (gfi_verifier_new(g.pubkey_pem, strlen(g.pubkey_pem), &key, err,
			     sizeof(err)) != GFI_OK) {
		snprintf(why, whylen, "signature invalid: registry key of %s unusable: %s",
			 gateway, err);
		return GFI_E_CRYPTO;
	}
	ret = store_batch_seqs(s, gateway, from_s, collect_seq, &l);
	if (ret == GFI_OK && l.nomem)
		ret = GFI_E_NOMEM;
	/* The first batch of the range links to the one before it, which may
	 * lie before from_s: fetch its hash (zeros before seq 1). */
	if (ret == GFI_OK && l.n > 0 && l.v[0] > 1)
		ret = held_hash(s, gateway, l.v[0] - 1, prev, why, whylen);
	for (size_t i = 0; ret == GFI_OK && i < l.n; i++) {
		if (i > 0 && l.v[i] != l.v[i - 1] + 1) {
			snprintf(why, whylen, "chain broken: batch %" PRIu64 " missing",
				 l.v[i - 1] + 1);
			ret = GFI_E_CRYPTO;
			break;
		}
		ret = check_one(s, key, gateway, l.v[i], prev, prev, why, whylen);
	}
	free(l.v);
	gfi_verifier_free(key);
	return ret;
}

/* ---- the comparison ---- */

/* The value of the reading of the series at exactly t. */
struct at_value {
	double v;
	int found;
};

static int take_value(void *ctx, const void *row)
{
	struct at_value *a = ctx;
	const struct gfi_reading *r = row;

	if (!isnan(r->value)) {
		a->v = r->value;
		a->found = 1;
	}
	return 0;
}

static int value_at(struct store *s, const struct spotcheck_input *in, int64_t t,
		    double *v)
{
	struct at_value a = { 0, 0 };
	int ret = store_readings(s, in->gateway, in->meter, in->point, t, t + 1,
				 take_value, &a);

	if (ret == GFI_OK && !a.found)
		ret = GFI_E_NOTFOUND;
	*v = a.v;
	return ret;
}

__attribute__((format(printf, 3, 4)))
static void add_reason(struct store_spotcheck *c, size_t *n, const char *fmt, ...)
{
	size_t size = sizeof(c->reason);
	va_list ap;
	int k;

	if (*n >= size - 1)
		return;
	if (*n > 0) {
		k = snprintf(c->reason + *n, size - *n, "; ");
		*n += k > 0 ? (size_t)k : 0;
		if (*n >= size - 1) {
			*n = size - 1;
			return;
		}
	}
	va_start(ap, fmt);
	k = vsnprintf(c->reason + *n, size - *n, fmt, ap);
	va_end(ap);
	if (k > 0)
		*n = *n + (size_t)k < size ? *n + (size_t)k : size - 1;
}

/* Reported counter at in->at_s and the allowance; fills the numbers of c.
 * 1 when they could be computed. */
static int compare(struct store *s, const struct spotcheck_input *in,
		   const struct reg_meter *m, struct store_spotcheck *c, size_t *n,
		   double *tol_abs, int *imported)
{
	int64_t nimported = 0;
	struct series_key k = { in->gateway, in->meter, in->point };
	double reported = 0, before_v = 0, after_v = 0, acc = m->accuracy_pct, moved;
	int64_t before_s = 0, after_s = 0;
	int ret = series_counter_at(s, &k, in->at_s, m->counter_max, &reported,
				    &before_s, &after_s);

	if (ret == GFI_E_NOTFOUND) {
		add_reason(c, n, "no readings around the time: no reported reading on "
			   "both sides of %" PRId64, in->at_s);
		return 0;
	}
	if (ret != GFI_OK)
		return ret;
	if ((ret = value_at(s, in, before_s, &before_v)) != GFI_OK ||
	    (ret = value_at(s, in, after_s, &after_v)) != GFI_OK)
		return ret == GFI_E_NOTFOUND ? GFI_E_DB : ret;
	/* Imported history (docs/import.md) was never signed by the gateway:
	 * no chain vouches for it, so it cannot back a verdict. */
	if ((ret = store_imported_count(s, in->gateway, in->meter, in->point,
					before_s, after_s, &nimported)) != GFI_OK)
		return ret;
	*imported = nimported > 0;
	if (*imported)
		add_reason(c, n, "imported history: the readings around the time are "
			   "imported, not signed by the gateway");
	/* What the counter may have moved between the two reported readings
	 * it is interpolated from (a wrap adds counter_max). */
	moved = fabs(after_v - before_v);
	if (m->counter_max > 0 && after_v < before_v)
		moved = after_v + m->counter_max - before_v;
	if (acc <= 0) {
		acc = SPOTCHECK_DEFAULT_ACCURACY_PCT;
		add_reason(c, n, "accuracy class unknown: %g %% assumed", acc);
	}
	*tol_abs = fabs(in->reading) * acc / 100.0 + moved;
	c->reported = reported;
	c->diff = in->reading - reported;
	c->diff_pct = reported != 0 ? c->diff / reported * 100.0 : NAN;
	c->tolerance_pct = reported != 0 ? *tol_abs / fabs(reported) * 100.0 : NAN;
	add_reason(c, n, "reported %.10g at %" PRId64 " (between %" PRId64 " and %"
		   PRId64 "), difference %.6g, tolerance %.6g = %g %% of the reading "
		   "+ %.6g moved between readings", reported, in->at_s, before_s,
		   after_s, c->diff, *tol_abs, acc, moved);
	return 1;
}

int spotcheck_judge(struct store *s, const struct spotcheck_input *in,
		    struct store_spotcheck *c)
{
	struct reg_meter m;
	char why[STORE_ALERT_TEXT_MAX];
	double tol_abs = 0;
	int64_t year_start, year_end;
	int year, month, ret, numbers, imported = 0;
	size_t n = 0;

	memset(c, 0, sizeof(*c));
	snprintf(c->gateway, sizeof(c->gateway), "%s", in->gateway);
	snprintf(c->meter, sizeof(c->meter), "%s", in->meter);
	snprintf(c->point, sizeof(c->point), "%s", in->point);
	snprintf(c->inspector, sizeof(c->inspector), "%s", in->inspector);
	snprintf(c->note, sizeof(c->note), "%s", in->note ? in->note : "");
	c->at_s = in->at_s;
	c->reading = in->reading;
	c->recorded_s = in->now_s;
	c->reported = c->diff = c->diff_pct = c->tolerance_pct = NAN;
	if ((ret = store_meter_get(s, in->gateway, in->meter, in->point, &m)) != GFI_OK)
		return ret;
	if ((numbers = compare(s, in, &m, c, &n, &tol_abs, &imported)) < 0)
		return numbers;
	period_of(in->at_s, &year, &month);
	if ((ret = period_bounds(year, 0, &year_start, &year_end)) != GFI_OK)
		return ret;
	ret = spotcheck_chain(s, in->gateway, year_start, why, sizeof(why));
	if (ret != GFI_OK && ret != GFI_E_CRYPTO)
		return ret;
	c->chain_ok = ret == GFI_OK && !imported;
	if (ret != GFI_OK)
		add_reason(c, &n, "%s", why);
	if (!numbers || !c->chain_ok)
		snprintf(c->verdict, sizeof(c->verdict), "cannot_judge");
	else if (fabs(c->diff) <= tol_abs)
		snprintf(c->verdict, sizeof(c->verdict), "consistent");
	else
		snprintf(c->verdict, sizeof(c->verdict), "inconsistent");
	return GFI_OK;
}

/*
 * refusals.c — the per-gateway budget for refused batches (refusals.h).
 *
 * Why: verifying a batch costs a signature check and a refused one a
 * quarantine row; a gateway (or a stolen certificate) sending nothing but
 * refusals must not take the ingest thread from the others. Each gateway
 * has a token bucket (per_min tokens a minute, at most burst); a refused
 * batch takes a token; with none left a message of that gateway is only
 * counted. Counts reach the store at most once per FLUSH_MS, so a flood
 * costs one row update a second, not one per message or group.
 * Invariants: at most BUCKETS_MAX gateways are tracked (the idlest one is
 * reused: its bucket would be full anyway); tokens never exceed burst.
 */
#include "refusals.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"

#define BUCKETS_MAX 512
#define SPIKE_WINDOW_MS 60000
#define FLUSH_MS 1000

struct bucket {
	char gateway[GFI_ID_MAX];
	double tokens;
	int64_t at_ms;            /* last refill */
	int64_t throttled;        /* counted, not yet in the store */
	int64_t flushing;         /* written in the open transaction */
	int64_t spike_ms;         /* last spike alert; 0 = never */
};

struct refusals {
	double per_ms, burst;
	struct bucket b[BUCKETS_MAX];
	size_t n;
	int64_t flushed_ms;       /* last flush that wrote */
};

int refusals_new(long long per_min, long long burst, struct refusals **out)
{
	struct refusals *r = calloc(1, sizeof(*r));

	*out = r;
	if (r == NULL)
		return GFI_E_NOMEM;
	r->per_ms = (double)per_min / 60000.0;
	r->burst = (double)burst;
	return GFI_OK;
}

void refusals_free(struct refusals *r)
{
	free(r);
}

/* gateway's bucket, refilled to now_ms; a new or reused slot when absent. */
static struct bucket *bucket_of(struct refusals *r, const char *gateway,
				int64_t now_ms)
{
	struct bucket *b = NULL, *idlest = &r->b[0];

	for (size_t i = 0; i < r->n && b == NULL; i++) {
		if (strcmp(r->b[i].gateway, gateway) == 0)
			b = &r->b[i];
		else if (r->b[i].at_ms < idlest->at_ms && r->b[i].throttled == 0)
			idlest = &r->b[i];
	}
	if (b == NULL) {
		b = r->n < BUCKETS_MAX ? &r->b[r->n++] : idlest;
		memset(b, 0, sizeof(*b));
		snprintf(b->gateway, sizeof(b->gateway), "%s", gateway);
		b->tokens = r->burst;
		b->at_ms = now_ms;
	}
	b->tokens += (double)(now_ms - b->at_ms) * r->per_ms;
	if (b->tokens > r->burst)
		b->tokens = r->burst;
	b->at_ms = now_ms;
	return b;
}

int refusals_allow(struct refusals *r, const char *gateway, int64_t now_ms)
{
	struct bucket *b = bucket_of(r, gateway, now_ms);

	if (b->tokens >= 1.0)
		return 1;
	b->throttled++;
	return 0;
}

void refusals_charge(struct refusals *r, const char *gateway, int64_t now_ms)
{
	bucket_of(r, gateway, now_ms)->tokens -= 1.0;
}

/* The quarantine_spike alert for b's gateway (unit "" when unregistered). */
static int raise_spike(struct store *s, const struct bucket *b, int64_t now_s)
{
	struct store_alert a = { .value = (double)b->throttled, .threshold = NAN };
	struct reg_gateway g;
	int64_t id = 0;
	int created = 0;

	if (store_gateway_get(s, b->gateway, &g) == GFI_OK)
		snprintf(a.unit, sizeof(a.unit), "%s", g.unit);
	snprintf(a.rule, sizeof(a.rule), "quarantine_spike");
	snprintf(a.subject, sizeof(a.subject), "%s", b->gateway);
	snprintf(a.period, sizeof(a.period), "current");
	snprintf(a.detail, sizeof(a.detail), "gateway %s sends refused batches "
		 "faster than its budget; the rest are counted, not verified",
		 b->gateway);
	log_warn("refused batches throttled: gateway=%s throttled=%" PRId64
		 " (only counted; alert quarantine_spike)", b->gateway, b->throttled);
	return store_alert_raise(s, &a, now_s, &id, &created);
}

int refusals_flush(struct refusals *r, struct store *s, int64_t now_s,
		   int64_t now_ms)
{
	int ret = GFI_OK;

	if (r->flushed_ms != 0 && now_ms - r->flushed_ms < FLUSH_MS)
		return GFI_OK;
	for (size_t i = 0; i < r->n && ret == GFI_OK; i++) {
		struct bucket *b = &r->b[i];

		b->flushing = b->throttled;
		if (b->flushing == 0)
			continue;
		r->flushed_ms = now_ms;
		ret = store_quarantine_count(s, b->gateway, 0, b->flushing, now_s);
		if (ret == GFI_OK &&
		    (b->spike_ms == 0 || now_ms - b->spike_ms >= SPIKE_WINDOW_MS)) {
			b->spike_ms = now_ms;
			ret = raise_spike(s, b, now_s);
		}
	}
	return ret;
}

int refusals_pending(const struct refusals *r)
{
	for (size_t i = 0; i < r->n; i++) {
		if (r->b[i].throttled > 0)
			return 1;
	}
	return 0;
}

void refusals_flushed(struct refusals *r)
{
	for (size_t i = 0; i < r->n; i++) {
		r->b[i].throttled -= r->b[i].flushing;
		r->b[i].flushing = 0;
	}
}

/*
 * verify.c — the pipeline one batch message goes through before anything of
 * it is stored (verify.h has the order and the outcomes).
 *
 * Why one module: the order of the checks is the security argument. Nothing
 * is trusted before its signature verifies with the key the registry holds
 * for the gateway the topic names (the broker's ACL already tied the topic
 * to the certificate's CN), and nothing is stored twice, because the chain
 * head is read and moved inside the caller's write transaction
 * (BEGIN IMMEDIATE), which also serialises several aggregator instances on
 * one store.
 *
 * Invariants: every message ends in exactly one decision recorded in the
 * store (accepted, replay, gap, quarantined) or in a store failure the
 * caller rolls back; a batch is accepted only when seq == head + 1 and its
 * prev is the head's hash; verifiers are cached per gateway together with
 * the PEM they were made from, so a re-keyed gateway gets a fresh one.
 * Payloads are never logged.
 */
#include "verify.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "calendar.h"
#include "error.h"
#include "grow.h"
#include "jsonutil.h"
#include "log.h"
#include "periods.h"
#include "sign.h"
#include "store_gaps.h"

/* Hash slots for (gateway, meter, point) lookups, 2.4 MiB: half of them
 * holds a city gateway's 100 meters x 45 points between two clears. */
#define POINT_CACHE_MAX 16384

struct key_entry {
	char gateway[GFI_ID_MAX];
	char pem[sizeof(((struct reg_gateway *)0)->pubkey_pem)];
	struct gfi_verifier *v;   /* owned */
};

/* One registry lookup of (gateway, meter, point), remembered while the
 * registry stays as it was (store_registry_version). */
struct point_entry {
	char gateway[GFI_ID_MAX];
	char meter[GFI_ID_MAX];
	char point[GFI_ID_MAX];
	uint32_t batch;           /* generation that filled the slot; 0 = never */
	int rc;                   /* store_meter_get's result */
	int meter_known;          /* when rc is NOTFOUND */
	/* What reading_check needs of the registry entry, when rc is OK. */
	char quantity[GFI_QNAME_MAX];
	int64_t registered_s;
	int retired;
};

struct verify {
	struct store *s;                  /* borrowed */
	int64_t future_tolerance_s;
	struct key_entry *keys;           /* owned, nkeys of cap */
	size_t nkeys, cap;
	struct point_entry *points;       /* POINT_CACHE_MAX slots, open addressing */
	uint32_t batch;                   /* generation: slots of older ones are free */
	size_t used;                      /* slots filled in this generation */
	uint64_t reg_version[2];          /* the registry they were read from */
	struct quarantine_limits qlim;    /* max_rows 0: the defaults */
	struct late_cache late;           /* the last late_for_filed alert */
};

const char *verify_outcome_name(enum verify_outcome o)
{
	switch (o) {
	case VERIFY_ACCEPTED: return "accepted";
	case VERIFY_REPLAY: return "replay";
	case VERIFY_GAP: return "gap";
	case VERIFY_QUARANTINED: return "quarantined";
	}
	return "?";
}

int verify_new(struct store *s, int64_t future_tolerance_s, struct verify **out)
{
	struct verify *v = calloc(1, sizeof(*v));

	*out = NULL;
	if (v == NULL)
		return GFI_E_NOMEM;
	v->points = calloc(POINT_CACHE_MAX, sizeof(*v->points));
	if (v->points == NULL) {
		free(v);
		return GFI_E_NOMEM;
	}
	v->s = s;
	v->future_tolerance_s = future_tolerance_s;
	*out = v;
	return GFI_OK;
}

void verify_free(struct verify *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->nkeys; i++)
		gfi_verifier_free(v->keys[i].v);
	free(v->keys);
	free(v->points);
	free(v);
}

/* ---- helpers ---- */

/* The gateway id a batch topic names ("gfi/v1/<id>/batch"), or "". */
static void topic_gateway(const char *topic, char *out, size_t size)
{
	static const char pre[] = "gfi/v1/", suf[] = "/batch";
	size_t tl = strlen(topic), pl = sizeof(pre) - 1, sl = sizeof(suf) - 1;

	out[0] = '\0';
	if (tl <= pl + sl || strncmp(topic, pre, pl) != 0 ||
	    strcmp(topic + tl - sl, suf) != 0 || tl - pl - sl >= size)
		return;
	memcpy(out, topic + pl, tl - pl - sl);
	out[tl - pl - sl] = '\0';
	if (!gfi_id_valid(out))
		out[0] = '\0';
}

static int quarantine(struct verify *v, const char *topic, const void *payload,
		      size_t len, int64_t now_s, struct verify_decision *d,
		      const char *fmt, ...) __attribute__((format(printf, 7, 8)));

void verify_set_quarantine_limits(struct verify *v,
				  const struct quarantine_limits *lim)
{
	v->qlim = *lim;
}

/* Record the batch in the bounded quarantine with the reason fmt. d->ack
 * is set only once the signature verified (chain_step): before that the
 * payload is unauthenticated and only its prefix is kept. */
static int quarantine(struct verify *v, const char *topic, const void *payload,
		      size_t len, int64_t now_s, struct verify_decision *d,
		      const char *fmt, ...)
{
	static const struct quarantine_limits defaults = QUARANTINE_LIMITS_DEFAULT;
	struct quarantine_item it = { .topic = topic, .gateway = d->gateway,
		.reason = d->reason, .payload = payload, .len = len,
		.signed_ok = d->ack, .received_s = now_s };
	enum quarantine_fate fate;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
	d->outcome = VERIFY_QUARANTINED;
	return store_quarantine_put(v->s, v->qlim.max_rows > 0 ? &v->qlim : &defaults,
				    &it, &fate);
}

/* The cached verifier of gateway's key pem, made (again) when the PEM is
 * new or another than the last one of the gateway. */
static int key_for(struct verify *v, const char *gateway, const char *pem,
		   struct gfi_verifier **out, char *err, size_t errlen)
{
	struct key_entry *e = NULL;
	int ret;

	for (size_t i = 0; i < v->nkeys; i++) {
		if (strcmp(v->keys[i].gateway, gateway) == 0) {
			e = &v->keys[i];
			break;
		}
	}
	if (e != NULL && strcmp(e->pem, pem) == 0) {
		*out = e->v;
		return GFI_OK;
	}
	if (e == NULL) {
		struct key_entry *k = gfi_grow(v->keys, &v->cap, v->nkeys, sizeof(*k), 16);

		if (k == NULL)
			return GFI_E_NOMEM;
		v->keys = k;
		e = &v->keys[v->nkeys++];
		memset(e, 0, sizeof(*e));
		snprintf(e->gateway, sizeof(e->gateway), "%s", gateway);
	}
	gfi_verifier_free(e->v);
	e->v = NULL;
	e->pem[0] = '\0';
	ret = gfi_verifier_new(pem, strlen(pem), &e->v, err, errlen);
	if (ret != GFI_OK)
		return ret;
	snprintf(e->pem, sizeof(e->pem), "%s", pem);
	*out = e->v;
	return GFI_OK;
}

static uint32_t fnv1a(uint32_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return (h ^ 0xff) * 16777619u;
}

/* The registry entry of (gateway, r's meter, point), looked up once while
 * the registry is unchanged (a hash table whose slots are freed by bumping
 * v->batch). When the table is full the lookup goes to scratch. */
static const struct point_entry *point_lookup(struct verify *v,
					      const char *gateway,
					      const struct gfi_reading *r,
					      struct point_entry *scratch)
{
	uint32_t h = fnv1a(fnv1a(fnv1a(2166136261u, gateway), r->meter), r->point);
	struct point_entry *e = scratch;
	struct reg_meter m;

	for (size_t i = 0; i < POINT_CACHE_MAX; i++) {
		struct point_entry *slot = &v->points[(h + i) % POINT_CACHE_MAX];
		if (slot->batch != v->batch) {
			e = slot;
			break;
		}
		if (strcmp(slot->meter, r->meter) == 0 && strcmp(slot->point, r->point) == 0 &&
		    strcmp(slot->gateway, gateway) == 0)
			return slot;
	}
	if (e != scratch)
		v->used++;
	memset(e, 0, sizeof(*e));
	e->batch = v->batch;
	snprintf(e->gateway, sizeof(e->gateway), "%s", gateway);
	snprintf(e->meter, sizeof(e->meter), "%s", r->meter);
	snprintf(e->point, sizeof(e->point), "%s", r->point);
	memset(&m, 0, sizeof(m));
	e->rc = store_meter_get(v->s, gateway, r->meter, r->point, &m);
	snprintf(e->quantity, sizeof(e->quantity), "%s", m.quantity);
	e->registered_s = m.registered_s;
	e->retired = m.retired;
	if (e->rc != GFI_OK)
		e->meter_known = store_meter_known(v->s, gateway, r->meter);
	return e;
}

/* Empty the point table when the registry may have changed since it was
 * filled, or when it is half full (probes stay short). Asking SQLite per
 * point of every batch cost the aggregator most of its 20 ms per batch in
 * the backlog drain (BENCHMARKS.md). */
static int points_fresh(struct verify *v)
{
	uint64_t ver[2];
	int ret = store_registry_version(v->s, ver);

	if (ret != GFI_OK)
		return ret;
	if (v->batch != 0 && v->used < POINT_CACHE_MAX / 2 &&
	    memcmp(ver, v->reg_version, sizeof(ver)) == 0)
		return GFI_OK;
	memcpy(v->reg_version, ver, sizeof(ver));
	v->used = 0;
	/* A new generation empties the table; on wrap, clear it for real. */
	if (++v->batch == 0) {
		memset(v->points, 0, POINT_CACHE_MAX * sizeof(*v->points));
		v->batch = 1;
	}
	return GFI_OK;
}

/* Why reading r of gateway is refused, or "" when it is sane. */
static int reading_check(struct verify *v, const char *gateway,
			 const struct gfi_reading *r, int64_t now_s,
			 char *why, size_t size)
{
	struct point_entry scratch;
	const struct point_entry *e = point_lookup(v, gateway, r, &scratch);

	why[0] = '\0';
	if (e->rc == GFI_E_NOTFOUND && !e->meter_known)
		snprintf(why, size, "unknown meter: %s", r->meter);
	else if (e->rc == GFI_E_NOTFOUND)
		return GFI_E_NOTFOUND;  /* an unregistered point of a known meter */
	else if (e->rc != GFI_OK)
		return e->rc;
	else if (e->retired)
		snprintf(why, size, "point retired: %s.%s", r->meter, r->point);
	else if (strcmp(e->quantity, r->quantity) != 0)
		snprintf(why, size, "quantity: %s, registered %s", r->quantity,
			 e->quantity);
	else if (r->time_s > now_s + v->future_tolerance_s)
		snprintf(why, size, "time: %" PRId64 " s in the future",
			 r->time_s - now_s);
	else if (r->time_s < e->registered_s)
		snprintf(why, size, "time: before the point's registration");
	else if (gfi_status_has_value(r->status) && !isfinite(r->value))
		snprintf(why, size, "value: not finite");
	return GFI_OK;
}

/* Store the readings of accepted batch b, quarantining the insane ones. */
static int store_readings_of(struct verify *v, const struct gfi_batch *b,
			     int64_t now_s, struct verify_decision *d)
{
	char why[VERIFY_REASON_MAX];
	const struct gfi_reading **keep = NULL;
	unsigned char *inserted = NULL;
	size_t nkeep = 0, stored = 0;
	int ret;

	if ((ret = points_fresh(v)) != GFI_OK)
		return ret;
	/* The sane readings go to the store in one call, so each day's
	 * rollup of a series is written once per batch, not per reading. */
	if (b->n > 0 && (keep = malloc(b->n * sizeof(*keep))) == NULL)
		return GFI_E_NOMEM;
	ret = GFI_OK;
	for (size_t i = 0; i < b->n && ret == GFI_OK; i++) {
		const struct gfi_reading *r = &b->readings[i];
		ret = reading_check(v, b->gateway, r, now_s, why, sizeof(why));
		if (ret == GFI_E_NOTFOUND) {
			/* A meter sends all its profile's points; the city
			 * registers those its balances need. The others stay
			 * in the stored raw batch, out of the readings. */
			d->unregistered++;
			ret = GFI_OK;
			continue;
		}
		if (ret != GFI_OK)
			break;
		if (why[0] != '\0') {
			ret = store_quarantine_reading(v->s, b->gateway, r, why, now_s);
			if (ret != GFI_OK)
				break;
			d->bad_readings++;
			log_info("reading quarantined: gateway=%s seq=%" PRIu64
				 " meter=%s point=%s time=%" PRId64 ": %s", b->gateway,
				 b->seq, r->meter, r->point, r->time_s, why);
			continue;
		}
		keep[nkeep++] = r;
	}
	if (ret == GFI_OK && nkeep > 0 && (inserted = malloc(nkeep)) == NULL)
		ret = GFI_E_NOMEM;
	if (ret == GFI_OK && nkeep > 0)
		ret = store_readings_add(v->s, b->gateway, keep, nkeep, inserted, &stored);
	if (ret == GFI_OK && nkeep > 0)
		ret = periods_late_marks(v->s, &v->late, b->gateway, keep, inserted,
					 nkeep, now_s);
	free(inserted);
	free(keep);
	if (ret != GFI_OK)
		return ret;
	d->stored += stored;
	d->duplicates += nkeep - stored;
	return GFI_OK;
}

/* The batch's counter events (a meter's multiplier changed) registered as
 * replacements, so the series splits there as at a meter swap (issue 19).
 * An event of a point the registry lacks is ignored like its readings, one
 * already held (sent again in a new epoch) too. */
static int register_counter_events(struct verify *v, const struct gfi_batch *b)
{
	for (size_t i = 0; i < b->nevents; i++) {
		const struct gfi_batch_event *e = &b->events[i];
		struct reg_replacement r = { .time_s = e->time_s,
					     .old_final = e->old_final,
					     .new_initial = e->new_initial };
		int ret;

		snprintf(r.gateway, sizeof(r.gateway), "%s", b->gateway);
		snprintf(r.meter, sizeof(r.meter), "%s", e->meter);
		snprintf(r.point, sizeof(r.point), "%s", e->point);
		ret = store_replacement_add(v->s, &r);
		if (ret == GFI_E_EXISTS || ret == GFI_E_NOTFOUND)
			continue;
		if (ret != GFI_OK)
			return ret;
		log_notice("multiplier change registered: gateway=%s meter=%s point=%s "
			   "time=%" PRId64, b->gateway, e->meter, e->point, e->time_s);
	}
	return GFI_OK;
}

/* ---- chain epochs and held batches (issue 17) ---- */

static int chain_alert(struct verify *v, const char *gateway, const char *rule,
		       int64_t now_s, double value, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Raise alert rule about gateway on its unit (period: the UTC day of
 * now_s), with the detail fmt and value (NaN when none). */
static int chain_alert(struct verify *v, const char *gateway, const char *rule,
		       int64_t now_s, double value, const char *fmt, ...)
{
	struct store_alert a = { .value = value, .threshold = NAN };
	struct reg_gateway g;
	int64_t id = 0;
	int created = 0, y, m, dd;
	va_list ap;
	int ret = store_gateway_get(v->s, gateway, &g);

	if (ret != GFI_OK)
		return ret;
	calendar_date_of(now_s, &y, &m, &dd);
	snprintf(a.unit, sizeof(a.unit), "%s", g.unit);
	snprintf(a.rule, sizeof(a.rule), "%s", rule);
	snprintf(a.subject, sizeof(a.subject), "%s", gateway);
	snprintf(a.period, sizeof(a.period), "%04d-%02d-%02d", y, m, dd);
	va_start(ap, fmt);
	vsnprintf(a.detail, sizeof(a.detail), fmt, ap);
	va_end(ap);
	return store_alert_raise(v->s, &a, now_s, &id, &created);
}

/* A batch at held seq b->seq of its epoch: a replay when its hash is the
 * held one (re-acked when the epoch is current), else a conflict: kept in
 * the quarantine, alerted, never acked (DESIGN.md, "Delivery"). */
static int held_seq(struct verify *v, const char *topic, const struct gfi_batch *b,
		    const void *payload, size_t len, int64_t now_s,
		    struct verify_decision *d, int current)
{
	uint8_t held[GFI_SHA256_LEN];
	int ret = store_batch_hash(v->s, b->gateway, b->epoch, b->seq, held);

	d->ack = current;
	if (ret == GFI_OK && memcmp(held, b->hash, sizeof(held)) == 0) {
		d->outcome = VERIFY_REPLAY;
		return GFI_OK;
	}
	if (ret == GFI_E_NOTFOUND && current)
		return quarantine(v, topic, payload, len, now_s, d,
				  "sequence: %" PRIu64 " below head %" PRIu64
				  " but not held", b->seq, d->head);
	d->ack = 0;
	if (ret == GFI_E_NOTFOUND)
		return quarantine(v, topic, payload, len, now_s, d,
				  "sequence: %" PRIu64 " of ended epoch '%s' not held",
				  b->seq, b->epoch);
	if (ret != GFI_OK)
		return ret;
	ret = quarantine(v, topic, payload, len, now_s, d,
			 "conflict: seq %" PRIu64 " of epoch '%s' is held with "
			 "another hash", b->seq, b->epoch);
	if (ret != GFI_OK)
		return ret;
	log_warn("batch conflict: gateway=%s epoch='%s' seq=%" PRIu64 " differs "
		 "from the held batch: quarantined, not acked", b->gateway,
		 b->epoch, b->seq);
	return chain_alert(v, b->gateway, "batch_conflict", now_s, (double)b->seq,
			   "a different batch at held seq %" PRIu64 " of epoch '%s' "
			   "(reinstalled gateway without epochs?): quarantined",
			   b->seq, b->epoch);
}

/* A batch of an epoch that is not the gateway's current one: one never
 * seen restarts the chain there (recorded and alerted); one of an ended
 * epoch is only a replay or refused. *done is set when d is decided. */
static int epoch_step(struct verify *v, const char *topic, const struct gfi_batch *b,
		      const void *payload, size_t len, int64_t now_s,
		      struct verify_decision *d, int *done)
{
	char cur[GFI_BATCH_EPOCH_LEN + 1];
	uint64_t after = 0;
	int ret = store_chain_epoch(v->s, b->gateway, cur), known;

	*done = 0;
	if (ret != GFI_OK || strcmp(cur, b->epoch) == 0)
		return ret;
	known = store_epoch_known(v->s, b->gateway, b->epoch);
	if (known < 0)
		return known;
	if (known) {
		*done = 1;
		return held_seq(v, topic, b, payload, len, now_s, d, 0);
	}
	ret = store_chain_restart(v->s, b->gateway, b->epoch, now_s, &after);
	if (ret != GFI_OK || (after == 0 && cur[0] == '\0'))
		return ret;   /* a gateway's first chain is no restart */
	log_warn("chain restarted: gateway=%s epoch=%s after seq %" PRIu64
		 " of epoch '%s'", b->gateway, b->epoch, after, cur);
	return chain_alert(v, b->gateway, "chain_restarted", now_s, (double)after,
			   "chain restarted at %" PRId64 " after seq %" PRIu64
			   " of epoch '%s': new epoch %s (new queue: reinstall or "
			   "new storage)", now_s, after, cur, b->epoch);
}

/* Sequence and chain of a verified batch b against the head. */
static int chain_step(struct verify *v, const char *topic, const struct gfi_batch *b,
		      const void *payload, size_t len, int64_t now_s,
		      struct verify_decision *d)
{
	uint8_t head_hash[GFI_SHA256_LEN];
	uint64_t head = 0;
	int done = 0;
	int ret = epoch_step(v, topic, b, payload, len, now_s, d, &done);

	if (ret != GFI_OK || done)
		return ret;
	ret = store_chain_get(v->s, b->gateway, &head, head_hash);
	if (ret != GFI_OK)
		return ret;
	memcpy(d->epoch, b->epoch, sizeof(d->epoch));
	d->ack = 1;
	d->head = head;
	if (b->seq <= head)
		return held_seq(v, topic, b, payload, len, now_s, d, 1);
	if (b->seq > head + 1) {
		snprintf(d->reason, sizeof(d->reason), "gap: head %" PRIu64
			 ", got %" PRIu64, head, b->seq);
		d->outcome = VERIFY_GAP;
		return store_gap_record(v->s, b->gateway, head, b->seq, now_s);
	}
	if (memcmp(b->prev, head_hash, GFI_SHA256_LEN) != 0)
		return quarantine(v, topic, payload, len, now_s, d,
				  "broken chain: prev of seq %" PRIu64
				  " is not the hash of seq %" PRIu64, b->seq, head);
	ret = store_batch_add(v->s, b->gateway, b->seq, b->hash, payload, len, now_s);
	/* Verified once, here: what spot checks re-verify starts from it. */
	if (ret == GFI_OK)
		ret = store_checkpoint_note(v->s, b->gateway, b->seq, b->readings,
					    b->n, now_s);
	if (ret != GFI_OK)
		return ret;
	d->outcome = VERIFY_ACCEPTED;
	d->head = b->seq;
	if ((ret = periods_time_flags(v->s, b, v->future_tolerance_s, now_s)) != GFI_OK)
		return ret;
	ret = store_queue_gaps_add(v->s, b->gateway, b->seq, b->gaps, b->ngaps, now_s);
	if (ret != GFI_OK)
		return ret;
	if (b->ngaps > 0)
		log_warn("gateway reported dropped readings: gateway=%s seq=%" PRIu64
			 " gap events=%zu", b->gateway, b->seq, b->ngaps);
	ret = register_counter_events(v, b);
	if (ret != GFI_OK)
		return ret;
	return store_readings_of(v, b, now_s, d);
}

/* Registry, topic and signature of parsed batch b; then its chain. */
static int check_batch(struct verify *v, const char *topic, const struct gfi_batch *b,
		       const void *payload, size_t len, int64_t now_s,
		       struct verify_decision *d)
{
	char want[GFI_ID_MAX + 16], err[256];
	char pem[sizeof(((struct reg_gateway *)0)->pubkey_pem)];
	struct reg_gateway g;
	struct gfi_verifier *key = NULL;
	int ret;

	snprintf(d->gateway, sizeof(d->gateway), "%s", b->gateway);
	d->seq = b->seq;
	d->readings = b->n;
	snprintf(want, sizeof(want), "gfi/v1/%s/batch", b->gateway);
	if (strcmp(topic, want) != 0)
		return quarantine(v, topic, payload, len, now_s, d,
				  "topic: does not match gateway %s", b->gateway);
	ret = store_gateway_get(v->s, b->gateway, &g);
	if (ret == GFI_E_NOTFOUND)
		return quarantine(v, topic, payload, len, now_s, d,
				  "gateway: %s not registered", b->gateway);
	if (ret != GFI_OK)
		return ret;
	if (!g.active)
		return quarantine(v, topic, payload, len, now_s, d,
				  "gateway: %s retired", b->gateway);
	/* The key valid for this batch's place (store_keys.h): an old key
	 * signs nothing after its revocation. */
	ret = store_gateway_key_for(v->s, b->gateway, b->epoch, b->seq, pem, sizeof(pem));
	if (ret != GFI_OK)
		return ret;
	ret = key_for(v, b->gateway, pem, &key, err, sizeof(err));
	if (ret == GFI_E_NOMEM)
		return ret;
	if (ret != GFI_OK)
		return quarantine(v, topic, payload, len, now_s, d,
				  "registry: public key of %s unusable: %s",
				  b->gateway, err);
	if (gfi_batch_verify(b, key) != GFI_OK)
		return quarantine(v, topic, payload, len, now_s, d,
				  "signature: does not verify with %s's key "
				  "valid at seq %" PRIu64, b->gateway, b->seq);
	return chain_step(v, topic, b, payload, len, now_s, d);
}

int verify_message(struct verify *v, const char *topic, const void *payload,
		   size_t len, int64_t now_s, struct verify_decision *d)
{
	struct gfi_batch *b = NULL;
	char err[256];
	int ret;

	memset(d, 0, sizeof(*d));
	topic_gateway(topic, d->gateway, sizeof(d->gateway));
	if (len > GFI_BATCH_MAX_BYTES)
		return quarantine(v, topic, payload, len, now_s, d,
				  "size: %zu bytes exceed %d", len, GFI_BATCH_MAX_BYTES);
	ret = gfi_batch_parse(payload, len, &b, err, sizeof(err));
	if (ret == GFI_E_NOMEM)
		return ret;
	if (ret != GFI_OK)
		return quarantine(v, topic, payload, len, now_s, d, "parse: %s", err);
	ret = check_batch(v, topic, b, payload, len, now_s, d);
	gfi_batch_free(b);
	return ret;
}

int verify_one(struct verify *v, const char *topic, const void *payload,
	       size_t len, int64_t now_s, struct verify_decision *d)
{
	int ret = store_begin(v->s);

	if (ret != GFI_OK)
		return ret;
	ret = verify_message(v, topic, payload, len, now_s, d);
	if (ret == GFI_OK)
		ret = store_commit(v->s);
	if (ret != GFI_OK)
		store_rollback(v->s);
	return ret;
}

/* ---- auditors ---- */

/* Whether stored batch seq - 1 of (gateway, epoch) hashes to prev (seq 1:
 * prev is zeros). */
static int link_ok(struct store *s, const char *gateway, const char *epoch,
		   uint64_t seq, const uint8_t prev[GFI_SHA256_LEN], char *err,
		   size_t errlen)
{
	static const uint8_t zeros[GFI_SHA256_LEN];
	uint8_t h[GFI_SHA256_LEN];
	char *payload = NULL;
	const char *lf;
	size_t len = 0;
	int ret;

	if (seq == 1) {
		if (memcmp(prev, zeros, sizeof(zeros)) == 0)
			return GFI_OK;
		snprintf(err, errlen, "chain: prev of seq 1 is not zeros");
		return GFI_E_CRYPTO;
	}
	ret = store_batch_get_in(s, gateway, epoch, seq - 1, &payload, &len);
	if (ret != GFI_OK) {
		snprintf(err, errlen, "chain: batch %" PRIu64 " not held", seq - 1);
		return ret;
	}
	lf = memchr(payload, '\n', len);
	gfi_sha256(payload, lf ? (size_t)(lf - payload) : len, h);
	free(payload);
	if (memcmp(h, prev, sizeof(h)) != 0) {
		snprintf(err, errlen, "chain: prev is not the hash of batch %" PRIu64,
			 seq - 1);
		return GFI_E_CRYPTO;
	}
	return GFI_OK;
}

int verify_batch_key(struct store *s, const struct gfi_batch *b, char *err,
		     size_t errlen)
{
	char pem[sizeof(((struct reg_gateway *)0)->pubkey_pem)];
	struct gfi_verifier *key = NULL;
	int ret = store_gateway_key_for(s, b->gateway, b->epoch, b->seq, pem,
					sizeof(pem));

	if (ret == GFI_E_NOTFOUND)
		snprintf(err, errlen, "gateway: %s not registered", b->gateway);
	if (ret != GFI_OK)
		return ret;
	ret = gfi_verifier_new(pem, strlen(pem), &key, err, errlen);
	if (ret == GFI_OK && gfi_batch_verify(b, key) != GFI_OK) {
		snprintf(err, errlen, "signature: does not verify with %s's key valid "
			 "at seq %" PRIu64, b->gateway, b->seq);
		ret = GFI_E_CRYPTO;
	}
	gfi_verifier_free(key);
	return ret;
}

int verify_stored_in(struct store *s, const char *gateway, const char *epoch,
		     uint64_t seq, char *err, size_t errlen)
{
	struct gfi_batch *b = NULL;
	char *payload = NULL;
	size_t len = 0;
	int ret = store_batch_get_in(s, gateway, epoch, seq, &payload, &len);

	if (ret != GFI_OK) {
		snprintf(err, errlen, "batch: %s seq %" PRIu64 " of epoch '%s' not held",
			 gateway, seq, epoch);
		return ret;
	}
	if ((ret = gfi_batch_parse(payload, len, &b, err, errlen)) != GFI_OK)
		goto cleanup;
	if (strcmp(b->gateway, gateway) != 0 || b->seq != seq ||
	    strcmp(b->epoch, epoch) != 0) {
		snprintf(err, errlen, "batch: names %s seq %" PRIu64 " epoch '%s'",
			 b->gateway, b->seq, b->epoch);
		ret = GFI_E_CRYPTO;
		goto cleanup;
	}
	if ((ret = verify_batch_key(s, b, err, errlen)) == GFI_OK)
		ret = link_ok(s, gateway, epoch, seq, b->prev, err, errlen);
cleanup:
	gfi_batch_free(b);
	free(payload);
	return ret;
}

int verify_stored(struct store *s, const char *gateway, uint64_t seq,
		  char *err, size_t errlen)
{
	char epoch[GFI_BATCH_EPOCH_LEN + 1];
	struct reg_gateway g;
	int ret = store_gateway_get(s, gateway, &g);

	if (ret != GFI_OK) {
		snprintf(err, errlen, "gateway: %s not registered", gateway);
		return ret;
	}
	if ((ret = store_chain_epoch(s, gateway, epoch)) != GFI_OK)
		return ret;
	return verify_stored_in(s, gateway, epoch, seq, err, errlen);
}

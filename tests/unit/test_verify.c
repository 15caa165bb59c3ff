/*
 * test_verify.c — unit tests of aggregator/ingest/verify.c against a real store.
 *
 * Each test gets a fresh temporary directory with a store, a gateway key
 * made by gfi_sign_keygen and the registry entries the batch needs (county,
 * unit, gateway gw-a with its public key, meter E1 with a counter point and
 * a gauge point). Batches are built with gfi_batch_build exactly as the
 * agent builds them. The clock is passed in (NOW), so the future-tolerance
 * boundary is tested at its second.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "error.h"
#include "fixture.h"
#include "series.h"
#include "sign.h"
#include "store.h"
#include "verify.h"

#define NOW 1764547200            /* 2025-12-01 08:00 Asia/Shanghai */
#define REGISTERED (NOW - 86400)
#define GW "gw-a"
#define TOPIC "gfi/v1/gw-a/batch"

struct fx {
	struct fixture fixture;
	struct store *s;                 /* fixture.s */
	struct verify *v;
	struct gfi_signer *signer, *forger;
	uint64_t seq;                    /* last built */
	uint8_t hash[GFI_SHA256_LEN];    /* of the last built */
};

static void put_meter(struct fx *f, const char *point, const char *quantity)
{
	struct fixture_meter m = { .gateway = GW, .point = point, .quantity = quantity,
				   .role = ROLE_NONE, .registered_s = REGISTERED };

	fixture_meter(f->s, &m);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct fixture_unit u = { .code = "91350100M000100Y43", .name = "Test Works",
				  .sector = "C3130", .year_listed = 2024 };
	struct fixture_gateway g = { .id = GW, .unit = u.code,
				     .registered_s = REGISTERED };

	assert_non_null(f);
	fixture_open(&f->fixture, "verify");
	f->s = f->fixture.s;
	fixture_key(&f->fixture, "gw.key", &f->signer);
	fixture_key(&f->fixture, "other.key", &f->forger);
	fixture_county(f->s, "350102", "Gulou");
	fixture_unit(f->s, &u);
	g.signer = f->signer;
	fixture_gateway(f->s, &g);
	put_meter(f, "kwh", "elec_import_kwh");
	put_meter(f, "kw", "elec_power_kw");
	assert_int_equal(verify_new(f->s, VERIFY_FUTURE_TOLERANCE_S, &f->v), GFI_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	verify_free(f->v);
	gfi_signer_close(f->signer);
	gfi_signer_close(f->forger);
	fixture_close(&f->fixture);
	free(f);
	return 0;
}

static struct gfi_reading rd(const char *point, const char *quantity,
			     int64_t t, double v)
{
	struct gfi_reading r;
	memset(&r, 0, sizeof(r));
	snprintf(r.meter, sizeof(r.meter), "E1");
	snprintf(r.point, sizeof(r.point), "%s", point);
	snprintf(r.quantity, sizeof(r.quantity), "%s", quantity);
	r.time_s = t;
	r.value = v;
	r.status = GFI_ST_OK;
	return r;
}

/* A payload for the given readings; advances the fixture's chain unless
 * seq/prev are forced. Caller frees. */
static char *build(struct fx *f, const char *gateway, uint64_t seq,
		   const uint8_t *prev, struct gfi_signer *s,
		   const struct gfi_reading *r, size_t n, size_t *len)
{
	uint8_t hash[GFI_SHA256_LEN];
	char *payload = NULL, err[256];

	assert_int_equal(gfi_batch_build(gateway, seq, prev, NOW, r, n, s, &payload,
					 len, hash, err, sizeof(err)), GFI_OK);
	f->seq = seq;
	memcpy(f->hash, hash, sizeof(hash));
	return payload;
}

/* The next batch of the honest chain with two readings at time t. */
static char *next_batch(struct fx *f, int64_t t, size_t *len)
{
	struct gfi_reading r[2] = { rd("kwh", "elec_import_kwh", t, 100.0 + (double)t / 1e6),
				    rd("kw", "elec_power_kw", t, 5.5) };
	uint8_t prev[GFI_SHA256_LEN];
	memcpy(prev, f->hash, sizeof(prev));
	return build(f, GW, f->seq + 1, prev, f->signer, r, 2, len);
}

static struct verify_decision run_ok(struct fx *f, const char *topic,
				     const char *payload, size_t len)
{
	struct verify_decision d;
	assert_int_equal(verify_one(f->v, topic, payload, len, NOW, &d), GFI_OK);
	return d;
}

static struct store_counts counts(struct fx *f)
{
	struct store_counts c;
	assert_int_equal(store_counts(f->s, &c), GFI_OK);
	return c;
}

static void accept_n(struct fx *f, int n)
{
	for (int i = 0; i < n; i++) {
		size_t len;
		char *p = next_batch(f, NOW - 600 + (int64_t)f->seq * 60, &len);
		struct verify_decision d = run_ok(f, TOPIC, p, len);
		assert_int_equal(d.outcome, VERIFY_ACCEPTED);
		free(p);
	}
}

/* Quarantined with a reason starting with prefix, and nothing else changed. */
static void assert_quarantined(struct fx *f, const char *topic, const char *p,
			       size_t len, const char *prefix)
{
	struct store_counts before = counts(f), after;
	struct verify_decision d = run_ok(f, topic, p, len);

	assert_int_equal(d.outcome, VERIFY_QUARANTINED);
	if (strncmp(d.reason, prefix, strlen(prefix)) != 0)
		fail_msg("reason \"%s\" does not start with \"%s\"", d.reason, prefix);
	after = counts(f);
	assert_int_equal(after.quarantined_batches, before.quarantined_batches + 1);
	before.quarantined_batches++;
	assert_memory_equal(&before, &after, sizeof(before));
}

/* ---- tests ---- */

static void accepts_seq_1_to_3_and_moves_the_chain(void **state)
{
	struct fx *f = *state;
	uint8_t hash[32];
	uint64_t head;

	accept_n(f, 3);
	assert_int_equal(store_chain_get(f->s, GW, &head, hash), GFI_OK);
	assert_int_equal(head, 3);
	assert_memory_equal(hash, f->hash, 32);
	assert_int_equal(counts(f).batches, 3);
	assert_int_equal(counts(f).readings, 6);
	assert_int_equal(counts(f).rollups, 2);
	assert_true(store_batch_held(f->s, GW, 2));
	assert_int_equal(verify_stored(f->s, GW, 3, NULL, 0), GFI_OK);
}

static void a_replay_is_ignored_and_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct store_counts before, after;
	struct verify_decision d;
	size_t len;
	char *p;

	accept_n(f, 1);
	p = next_batch(f, NOW - 30, &len);
	d = run_ok(f, TOPIC, p, len);
	assert_int_equal(d.outcome, VERIFY_ACCEPTED);
	before = counts(f);
	d = run_ok(f, TOPIC, p, len);
	assert_int_equal(d.outcome, VERIFY_REPLAY);
	assert_true(d.ack);
	assert_int_equal(d.head, 2);
	after = counts(f);
	assert_memory_equal(&before, &after, sizeof(before));
	free(p);
}

static void a_batch_beyond_the_head_is_a_gap(void **state)
{
	struct fx *f = *state;
	struct verify_decision d;
	size_t len;
	char *p;

	accept_n(f, 1);
	free(next_batch(f, NOW - 100, &len));     /* seq 2, never delivered */
	p = next_batch(f, NOW - 50, &len);         /* seq 3 */
	d = run_ok(f, TOPIC, p, len);
	assert_int_equal(d.outcome, VERIFY_GAP);
	assert_true(d.ack);
	assert_int_equal(d.head, 1);
	assert_int_equal(counts(f).gaps, 1);
	assert_int_equal(counts(f).batches, 1);
	assert_int_equal(counts(f).readings, 2);
	free(p);
}

static void a_broken_chain_is_quarantined(void **state)
{
	struct fx *f = *state;
	struct gfi_reading r = rd("kwh", "elec_import_kwh", NOW - 10, 1.0);
	uint8_t wrong[GFI_SHA256_LEN];
	size_t len;
	char *p;

	accept_n(f, 1);
	memset(wrong, 0xab, sizeof(wrong));
	p = build(f, GW, 2, wrong, f->signer, &r, 1, &len);
	assert_quarantined(f, TOPIC, p, len, "broken chain");
	free(p);
}

static void a_forged_signature_is_quarantined(void **state)
{
	struct fx *f = *state;
	struct gfi_reading r = rd("kwh", "elec_import_kwh", NOW - 10, 1.0);
	uint8_t zeros[GFI_SHA256_LEN] = { 0 };
	size_t len;
	char *p = build(f, GW, 1, zeros, f->forger, &r, 1, &len);

	assert_quarantined(f, TOPIC, p, len, "signature:");
	free(p);
}

static void an_unknown_gateway_is_quarantined(void **state)
{
	struct fx *f = *state;
	struct gfi_reading r = rd("kwh", "elec_import_kwh", NOW - 10, 1.0);
	uint8_t zeros[GFI_SHA256_LEN] = { 0 };
	size_t len;
	char *p = build(f, "gw-x", 1, zeros, f->signer, &r, 1, &len);

	assert_quarantined(f, "gfi/v1/gw-x/batch", p, len, "gateway: gw-x not registered");
	free(p);
}

static void a_retired_gateway_is_quarantined(void **state)
{
	struct fx *f = *state;
	struct gfi_reading r = rd("kwh", "elec_import_kwh", NOW - 10, 1.0);
	uint8_t zeros[GFI_SHA256_LEN] = { 0 };
	struct reg_gateway g;
	size_t len;
	char *p;

	assert_int_equal(store_gateway_get(f->s, GW, &g), GFI_OK);
	g.active = 0;
	assert_int_equal(store_gateway_put(f->s, &g, 0), GFI_OK);
	p = build(f, GW, 1, zeros, f->signer, &r, 1, &len);
	assert_quarantined(f, TOPIC, p, len, "gateway: gw-a retired");
	free(p);
}

static void a_payload_under_another_gateways_topic_is_quarantined(void **state)
{
	struct fx *f = *state;
	struct gfi_reading r = rd("kwh", "elec_import_kwh", NOW - 10, 1.0);
	uint8_t zeros[GFI_SHA256_LEN] = { 0 };
	size_t len;
	char *p = build(f, GW, 1, zeros, f->signer, &r, 1, &len);

	assert_quarantined(f, "gfi/v1/gw-b/batch", p, len, "topic:");
	assert_quarantined(f, "gfi/v1/gw-a/batch/x", p, len, "topic:");
	free(p);
}

static void an_oversize_payload_is_quarantined(void **state)
{
	struct fx *f = *state;
	size_t len = GFI_BATCH_MAX_BYTES + 1;
	char *p = malloc(len);

	assert_non_null(p);
	memset(p, 'x', len);
	assert_quarantined(f, TOPIC, p, len, "size:");
	free(p);
}

static void malformed_json_is_quarantined(void **state)
{
	struct fx *f = *state;
	static const char p[] = "{\"v\":1,\"gateway\":\n"
				"MEUCIQDsAAAA\n";

	assert_quarantined(f, TOPIC, p, sizeof(p) - 1, "parse:");
	assert_quarantined(f, TOPIC, "", 0, "parse:");
}

static void a_future_reading_is_quarantined_while_the_batch_is_accepted(void **state)
{
	struct fx *f = *state;
	struct gfi_reading r[3] = {
		rd("kwh", "elec_import_kwh", NOW + 300, 1.0),  /* at the bound: sane */
		rd("kwh", "elec_import_kwh", NOW + 301, 2.0),  /* one second beyond */
		rd("kw", "elec_power_kw", NOW - 5, 3.0),
	};
	uint8_t zeros[GFI_SHA256_LEN] = { 0 };
	struct verify_decision d;
	size_t len;
	char *p = build(f, GW, 1, zeros, f->signer, r, 3, &len);

	d = run_ok(f, TOPIC, p, len);
	assert_int_equal(d.outcome, VERIFY_ACCEPTED);
	assert_int_equal(d.stored, 2);
	assert_int_equal(d.bad_readings, 1);
	assert_int_equal(counts(f).quarantined_readings, 1);
	assert_int_equal(counts(f).batches, 1);
	free(p);
}

static void readings_before_registration_wrong_quantity_or_unknown_meter_are_quarantined(void **state)
{
	struct fx *f = *state;
	struct gfi_reading r[4] = {
		rd("kwh", "elec_import_kwh", REGISTERED - 1, 1.0),
		rd("kwh", "water_volume_m3", NOW - 5, 2.0),
		rd("kwh", "elec_import_kwh", NOW - 5, 3.0),
		rd("kwh", "elec_import_kwh", NOW - 5, 4.0),
	};
	uint8_t zeros[GFI_SHA256_LEN] = { 0 };
	struct verify_decision d;
	size_t len;
	char *p;

	snprintf(r[3].meter, sizeof(r[3].meter), "E9");
	p = build(f, GW, 1, zeros, f->signer, r, 4, &len);
	d = run_ok(f, TOPIC, p, len);
	assert_int_equal(d.outcome, VERIFY_ACCEPTED);
	assert_int_equal(d.stored, 1);
	assert_int_equal(d.bad_readings, 3);
	assert_int_equal(counts(f).quarantined_readings, 3);
	assert_int_equal(counts(f).readings, 1);
	free(p);
}

static void an_unregistered_point_of_a_known_meter_is_counted_not_stored(void **state)
{
	struct fx *f = *state;
	struct gfi_reading r[2] = {
		rd("kwh", "elec_import_kwh", NOW - 5, 1.0),
		rd("v_l1", "elec_voltage_v", NOW - 5, 230.0),  /* not registered */
	};
	uint8_t zeros[GFI_SHA256_LEN] = { 0 };
	struct verify_decision d;
	size_t len;
	char *p = build(f, GW, 1, zeros, f->signer, r, 2, &len);

	d = run_ok(f, TOPIC, p, len);
	assert_int_equal(d.outcome, VERIFY_ACCEPTED);
	assert_int_equal(d.stored, 1);
	assert_int_equal(d.unregistered, 1);
	assert_int_equal(d.bad_readings, 0);
	assert_int_equal(counts(f).quarantined_readings, 0);
	assert_int_equal(counts(f).readings, 1);
	assert_int_equal(counts(f).batches, 1);  /* the raw batch keeps it */
	free(p);
}

static void a_reading_without_value_counts_as_bad_in_its_rollup(void **state)
{
	struct fx *f = *state;
	struct gfi_reading r[2] = { rd("kw", "elec_power_kw", NOW - 60, NAN),
				    rd("kw", "elec_power_kw", NOW - 30, 7.0) };
	uint8_t zeros[GFI_SHA256_LEN] = { 0 };
	size_t len;
	char *p;

	r[0].status = GFI_ST_TIMEOUT;
	p = build(f, GW, 1, zeros, f->signer, r, 2, &len);
	assert_int_equal(run_ok(f, TOPIC, p, len).outcome, VERIFY_ACCEPTED);
	assert_int_equal(counts(f).readings, 2);
	assert_int_equal(counts(f).rollups, 1);
	free(p);
}

/* Registry lookups are kept across batches, but not across a registry
 * change: one made on the same connection (a point retired), nor one
 * committed by another (a point registered by the admin CLI). */
static void a_registry_change_between_batches_is_seen(void **state)
{
	struct fx *f = *state;
	struct gfi_reading r[3] = { rd("kwh", "elec_import_kwh", NOW - 300, 1.0),
				    rd("kw", "elec_power_kw", NOW - 300, 2.0),
				    rd("v_l1", "elec_voltage_v", NOW - 300, 230.0) };
	struct verify_decision d;
	struct reg_meter m;
	struct store *other = NULL;
	uint8_t prev[GFI_SHA256_LEN] = { 0 };
	size_t len;
	char *p = build(f, GW, 1, prev, f->signer, r, 3, &len);

	d = run_ok(f, TOPIC, p, len);
	free(p);
	assert_int_equal(d.stored, 2);
	assert_int_equal(d.unregistered, 1);

	assert_int_equal(store_meter_get(f->s, GW, "E1", "kw", &m), GFI_OK);
	m.retired = 1;
	assert_int_equal(store_meter_put(f->s, &m, 0), GFI_OK);
	for (int i = 0; i < 3; i++)
		r[i].time_s += 60;
	memcpy(prev, f->hash, sizeof(prev));
	p = build(f, GW, 2, prev, f->signer, r, 3, &len);
	d = run_ok(f, TOPIC, p, len);
	free(p);
	assert_int_equal(d.stored, 1);
	assert_int_equal(d.bad_readings, 1);   /* point retired */
	assert_int_equal(d.unregistered, 1);

	assert_int_equal(store_open(f->fixture.db, &other), GFI_OK);
	memset(&m, 0, sizeof(m));
	snprintf(m.gateway, sizeof(m.gateway), GW);
	snprintf(m.meter, sizeof(m.meter), "E1");
	snprintf(m.point, sizeof(m.point), "v_l1");
	snprintf(m.quantity, sizeof(m.quantity), "elec_voltage_v");
	m.registered_s = REGISTERED;
	assert_int_equal(store_meter_put(other, &m, 1), GFI_OK);
	store_close(other);
	for (int i = 0; i < 3; i++)
		r[i].time_s += 60;
	memcpy(prev, f->hash, sizeof(prev));
	p = build(f, GW, 3, prev, f->signer, r, 3, &len);
	d = run_ok(f, TOPIC, p, len);
	free(p);
	assert_int_equal(d.stored, 2);          /* kwh and the new v_l1 */
	assert_int_equal(d.unregistered, 0);
	assert_int_equal(d.bad_readings, 1);
}

/* Issue 19: a meter's multiplier goes from 1 to 200 at T (register 120).
 * The batch after the change carries the counter event (old_final 120,
 * new_initial 120 x 200); the city registers it as a replacement, so the
 * period total is, by hand: (110 - 100) + (120 - 110) + (26000 - 24000) =
 * 2020 kWh, not the 25 900 a jump from 100 to 26 000 would give. */
static void a_multiplier_event_splits_the_period_total(void **state)
{
	struct fx *f = *state;
	const int64_t t0 = REGISTERED + 600, t1 = t0 + 28800, T = t1 + 28800;
	const int64_t t3 = NOW - 600;
	struct gfi_reading before[2] = { rd("kwh", "elec_import_kwh", t0, 100.0),
					 rd("kwh", "elec_import_kwh", t1, 110.0) };
	struct gfi_reading after[2] = { rd("kwh", "elec_import_kwh", T, 24000.0),
					rd("kwh", "elec_import_kwh", t3, 26000.0) };
	struct gfi_batch_event ev = { .id = 1, .meter = "E1", .point = "kwh",
				      .time_s = T, .old_final = 120.0,
				      .new_initial = 24000.0 };
	const struct series_key k = { GW, "E1", "kwh" };
	struct series_total tot;
	uint8_t prev[GFI_SHA256_LEN] = { 0 }, hash[GFI_SHA256_LEN];
	char *p1, *p2 = NULL, err[256];
	size_t len1, len2, used = 0;

	p1 = build(f, GW, 1, prev, f->signer, before, 2, &len1);
	assert_int_equal(gfi_batch_build_epoch(GW, NULL, 2, f->hash, NOW, after, 2, NULL, 0,
						&ev, 1, GFI_BATCH_MAX_BYTES, f->signer,
						&p2, &len2, hash, &used, err,
						sizeof(err)), GFI_OK);
	assert_int_equal(used, 2);
	assert_int_equal(run_ok(f, TOPIC, p1, len1).outcome, VERIFY_ACCEPTED);
	assert_int_equal(run_ok(f, TOPIC, p2, len2).outcome, VERIFY_ACCEPTED);
	assert_int_equal(series_counter_total(f->s, &k, REGISTERED, NOW, 0, 3600, &tot),
			 GFI_OK);
	assert_int_equal(tot.replacements, 1);
	assert_true(tot.has_value && fabs(tot.value - 2020.0) < 1e-9);
	assert_int_equal(series_counter_total_raw(f->s, &k, REGISTERED, NOW, 0, 3600,
						  &tot), GFI_OK);
	assert_true(fabs(tot.value - 2020.0) < 1e-9);
	/* A replay registers nothing twice. */
	assert_int_equal(run_ok(f, TOPIC, p2, len2).outcome, VERIFY_REPLAY);
	assert_int_equal(series_counter_total(f->s, &k, REGISTERED, NOW, 0, 3600, &tot),
			 GFI_OK);
	assert_int_equal(tot.replacements, 1);
	free(p1);
	free(p2);
}

/* ---- chain epochs and held batches (issue 17) ---- */

#define EPOCH_B "0123456789abcdef0123456789abcdef"

static int count_row(void *ctx, const void *row)
{
	(void)row;
	(*(int *)ctx)++;
	return 0;
}

static int alerts_of(struct fx *f, const char *rule)
{
	struct store_alert_filter flt = { .rule = rule };
	int n = 0;

	assert_int_equal(store_alert_list(f->s, &flt, count_row, &n), GFI_OK);
	return n;
}

/* Batch seq of epoch EPOCH_B with one reading at t, chained on f's hash. */
static char *epoch_batch(struct fx *f, uint64_t seq, int64_t t, size_t *len)
{
	struct gfi_reading r = rd("kw", "elec_power_kw", t, 7.25);
	uint8_t prev[GFI_SHA256_LEN] = { 0 };
	char *payload = NULL, err[256];
	size_t used = 0;

	if (seq > 1)
		memcpy(prev, f->hash, sizeof(prev));
	assert_int_equal(gfi_batch_build_epoch(GW, EPOCH_B, seq, prev, NOW, &r, 1,
					       NULL, 0, NULL, 0, GFI_BATCH_MAX_BYTES,
					       f->signer, &payload, len, f->hash,
					       &used, err, sizeof(err)), GFI_OK);
	f->seq = seq;
	return payload;
}

static void a_different_batch_at_a_held_seq_is_refused_not_acked(void **state)
{
	struct fx *f = *state;
	struct gfi_reading other = rd("kw", "elec_power_kw", NOW - 7, 1.5);
	uint8_t zeros[GFI_SHA256_LEN] = { 0 };
	struct verify_decision d;
	size_t len;
	char *p;

	accept_n(f, 2);
	/* A reinstalled agent without epochs: its own seq 1. */
	p = build(f, GW, 1, zeros, f->signer, &other, 1, &len);
	assert_quarantined(f, TOPIC, p, len, "conflict: seq 1");
	d = run_ok(f, TOPIC, p, len);
	assert_int_equal(d.outcome, VERIFY_QUARANTINED);
	assert_int_equal(d.ack, 0);
	assert_int_equal(alerts_of(f, "batch_conflict"), 1);
	assert_int_equal(counts(f).batches, 2);
	assert_int_equal(verify_stored(f->s, GW, 2, NULL, 0), GFI_OK);
	free(p);
}

static void a_new_epoch_restarts_the_chain_and_keeps_the_old(void **state)
{
	struct fx *f = *state;
	char epoch[GFI_BATCH_EPOCH_LEN + 1], *old3 = NULL, *p, *q;
	uint8_t old_hash[GFI_SHA256_LEN];
	struct verify_decision d;
	size_t len, qlen, old3_len = 0;

	accept_n(f, 3);
	memcpy(old_hash, f->hash, sizeof(old_hash));
	p = epoch_batch(f, 1, NOW - 50, &len);
	d = run_ok(f, TOPIC, p, len);
	assert_int_equal(d.outcome, VERIFY_ACCEPTED);
	assert_int_equal(d.ack, 1);
	assert_int_equal(d.head, 1);
	assert_string_equal(d.epoch, EPOCH_B);
	assert_int_equal(alerts_of(f, "chain_restarted"), 1);
	assert_int_equal(store_chain_epoch(f->s, GW, epoch), GFI_OK);
	assert_string_equal(epoch, EPOCH_B);
	free(p);
	p = epoch_batch(f, 2, NOW - 40, &len);
	assert_int_equal(run_ok(f, TOPIC, p, len).outcome, VERIFY_ACCEPTED);
	assert_int_equal(counts(f).batches, 5);
	assert_int_equal(counts(f).readings, 8);
	/* The old chain stays held and its hash is what it was. */
	assert_int_equal(store_batch_get_in(f->s, GW, "", 3, &old3, &old3_len), GFI_OK);
	assert_true(old3_len > 0);
	free(old3);
	assert_int_equal(store_batch_hash(f->s, GW, "", 3, f->hash), GFI_OK);
	assert_memory_equal(f->hash, old_hash, sizeof(old_hash));
	/* A batch of the ended epoch beyond its head is refused, not acked. */
	f->seq = 3;
	memcpy(f->hash, old_hash, sizeof(old_hash));
	q = next_batch(f, NOW - 30, &qlen);
	d = run_ok(f, TOPIC, q, qlen);
	assert_int_equal(d.outcome, VERIFY_QUARANTINED);
	assert_int_equal(d.ack, 0);
	assert_true(strstr(d.reason, "ended epoch") != NULL);
	/* The restart was alerted once, not per batch. */
	assert_int_equal(alerts_of(f, "chain_restarted"), 1);
	free(p);
	free(q);
}

static int take_key(void *ctx, const void *row)
{
	struct store_gateway_key *out = ctx;
	const struct store_gateway_key *k = row;

	out[k->n - 1] = *k;
	return 0;
}

/* After a key rotation from seq 3 on, seq 1-2 still verify with the old
 * key, seq 3 signed with the old key is refused, with the new one taken;
 * the history keeps both keys, the old one revoked at seq 3. */
static void a_rotated_key_keeps_the_past_verifiable(void **state)
{
	struct fx *f = *state;
	char pem[GFI_PUBKEY_PEM_MAX], err[256] = "";
	struct store_gateway_key keys[3];
	uint8_t prev[GFI_SHA256_LEN];
	struct verify_decision d;
	size_t len;
	char *p;

	accept_n(f, 2);
	assert_int_equal(gfi_signer_pubkey_pem(f->forger, pem, sizeof(pem)), GFI_OK);
	assert_int_equal(store_gateway_key_add(f->s, GW, pem, "", 3, NOW, "tester"), GFI_OK);
	assert_int_equal(store_gateway_key_add(f->s, GW, pem, "", 3, NOW, "tester"),
			 GFI_E_EXISTS);
	assert_int_equal(verify_stored(f->s, GW, 1, err, sizeof(err)), GFI_OK);
	assert_int_equal(verify_stored(f->s, GW, 2, err, sizeof(err)), GFI_OK);
	memcpy(prev, f->hash, sizeof(prev));
	p = next_batch(f, NOW - 20, &len);      /* seq 3, the old key */
	d = run_ok(f, TOPIC, p, len);
	assert_int_equal(d.outcome, VERIFY_QUARANTINED);
	assert_string_equal(d.reason, "signature: does not verify with gw-a's key "
			    "valid at seq 3");
	free(p);
	{
		struct gfi_reading r = rd("kw", "elec_power_kw", NOW - 20, 3.0);
		p = build(f, GW, 3, prev, f->forger, &r, 1, &len);
	}
	assert_int_equal(run_ok(f, TOPIC, p, len).outcome, VERIFY_ACCEPTED);
	assert_int_equal(verify_stored(f->s, GW, 3, err, sizeof(err)), GFI_OK);
	assert_int_equal(verify_stored(f->s, GW, 1, err, sizeof(err)), GFI_OK);
	free(p);
	memset(keys, 0, sizeof(keys));
	assert_int_equal(store_gateway_key_list(f->s, GW, take_key, keys), GFI_OK);
	assert_int_equal(keys[0].n, 1);
	assert_int_equal(keys[0].from_seq, 1);
	assert_int_equal(keys[0].revoked_seq, 3);
	assert_int_equal(keys[1].n, 2);
	assert_int_equal(keys[1].from_seq, 3);
	assert_int_equal(keys[1].revoked_seq, 0);
	assert_string_equal(keys[1].added_by, "tester");
	assert_string_equal(keys[1].pubkey_pem, pem);
	assert_int_equal(keys[2].n, 0);
}

/* A batch from a gateway whose clock was never set (sent in 1970) is
 * accepted and flagged; one with a sane clock is not flagged. */
static void a_batch_sent_by_an_unset_clock_is_flagged_not_refused(void **state)
{
	struct fx *f = *state;
	struct gfi_reading r = rd("kw", "elec_power_kw", NOW - 5, 2.0);
	uint8_t hash[GFI_SHA256_LEN];
	char *p = NULL, err[256];
	int64_t flags = -1;
	size_t len = 0;

	accept_n(f, 1);
	assert_int_equal(store_batch_flag_count(f->s, GW, &flags), GFI_OK);
	assert_int_equal(flags, 0);
	assert_int_equal(gfi_batch_build(GW, 2, f->hash, 1000, &r, 1, f->signer, &p,
					 &len, hash, err, sizeof(err)), GFI_OK);
	assert_int_equal(run_ok(f, TOPIC, p, len).outcome, VERIFY_ACCEPTED);
	assert_int_equal(store_batch_flag_count(f->s, GW, &flags), GFI_OK);
	assert_int_equal(flags, 1);
	free(p);
}

static int sum_gaps(void *ctx, const void *row)
{
	*(int64_t *)ctx += ((const struct store_queue_gap_sum *)row)->events;
	return 0;
}

/* Gap event 1 of a reinstalled agent's new queue is its own, not taken for
 * gap event 1 of the queue before it. */
static void gap_ids_count_per_epoch(void **state)
{
	struct fx *f = *state;
	struct gfi_reading r = rd("kw", "elec_power_kw", NOW - 9, 1.0);
	struct gfi_batch_gap gap = { .id = 1, .meter = "E1", .from_s = NOW - 900,
				     .to_s = NOW - 600, .count = 5 };
	uint8_t zeros[GFI_SHA256_LEN] = { 0 }, hash[GFI_SHA256_LEN];
	const char *epochs[2] = { NULL, EPOCH_B };
	char *p, err[256];
	int64_t events = 0;
	size_t len, used;

	for (int i = 0; i < 2; i++) {
		p = NULL;
		assert_int_equal(gfi_batch_build_epoch(GW, epochs[i], 1, zeros, NOW, &r, 1,
						       &gap, 1, NULL, 0, GFI_BATCH_MAX_BYTES,
						       f->signer, &p, &len, hash, &used,
						       err, sizeof(err)), GFI_OK);
		assert_int_equal(run_ok(f, TOPIC, p, len).outcome, VERIFY_ACCEPTED);
		free(p);
	}
	assert_int_equal(store_queue_gaps_sum(f->s, GW, 0, NOW + 1, sum_gaps, &events),
			 GFI_OK);
	assert_int_equal(events, 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(accepts_seq_1_to_3_and_moves_the_chain),
		T(a_replay_is_ignored_and_changes_nothing),
		T(a_batch_beyond_the_head_is_a_gap),
		T(a_broken_chain_is_quarantined),
		T(a_forged_signature_is_quarantined),
		T(an_unknown_gateway_is_quarantined),
		T(a_retired_gateway_is_quarantined),
		T(a_payload_under_another_gateways_topic_is_quarantined),
		T(an_oversize_payload_is_quarantined),
		T(malformed_json_is_quarantined),
		T(a_future_reading_is_quarantined_while_the_batch_is_accepted),
		T(readings_before_registration_wrong_quantity_or_unknown_meter_are_quarantined),
		T(an_unregistered_point_of_a_known_meter_is_counted_not_stored),
		T(a_reading_without_value_counts_as_bad_in_its_rollup),
		T(a_registry_change_between_batches_is_seen),
		T(a_multiplier_event_splits_the_period_total),
		T(a_different_batch_at_a_held_seq_is_refused_not_acked),
		T(a_new_epoch_restarts_the_chain_and_keeps_the_old),
		T(a_rotated_key_keeps_the_past_verifiable),
		T(a_batch_sent_by_an_unset_clock_is_flagged_not_refused),
		T(gap_ids_count_per_epoch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_store_quarantine.c — unit tests of aggregator/store/store_quarantine.c
 * on a real temporary store: a gateway's rows and bytes stay under their
 * caps (the rest counted over the cap), a repeated payload is one row with
 * its count and last seen, an unauthenticated payload keeps only its
 * prefix while a signed one is kept whole, gateways are capped apart, and
 * purge deletes by age and gateway (counters only with --all).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "fixture.h"
#include "store.h"

static const struct quarantine_limits LIM = { 3, 4096, 16, 86400 };

static enum quarantine_fate put(struct store *s, const char *gw, const char *payload,
				int signed_ok, int64_t at)
{
	struct quarantine_item it = { .topic = "gfi/v1/x/batch", .gateway = gw,
		.reason = "signature: no", .payload = payload, .len = strlen(payload),
		.signed_ok = signed_ok, .received_s = at };
	enum quarantine_fate fate;

	assert_int_equal(store_quarantine_put(s, &LIM, &it, &fate), GFI_OK);
	return fate;
}

static int keep_first(void *ctx, const void *row)
{
	memcpy(ctx, row, sizeof(struct quarantine_summary));
	return 1;
}

static struct quarantine_summary listed(struct store *s, const char *gw)
{
	struct quarantine_summary q;

	memset(&q, 0, sizeof(q));
	assert_int_equal(store_quarantine_summaries(s, gw, keep_first, &q), GFI_OK);
	return q;
}

static void rows_are_capped_and_the_rest_counted(void **state)
{
	struct fixture *fx = *state;
	struct quarantine_summary q;
	char p[32];

	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "payload %d", i);
		assert_int_equal(put(fx->s, "gw-a", p, 0, 100 + i), QUARANTINE_KEPT);
	}
	assert_int_equal(put(fx->s, "gw-a", "payload 3", 0, 200), QUARANTINE_OVER_CAP);
	assert_int_equal(put(fx->s, "gw-a", "payload 4", 0, 201), QUARANTINE_OVER_CAP);
	/* Another gateway has its own cap. */
	assert_int_equal(put(fx->s, "gw-b", "payload 3", 0, 202), QUARANTINE_KEPT);
	q = listed(fx->s, "gw-a");
	assert_string_equal(q.gateway, "gw-a");
	assert_int_equal(q.rows, 3);
	assert_int_equal(q.over_cap, 2);
	assert_int_equal(q.last_s, 201);
	q = listed(fx->s, "gw-b");
	assert_int_equal(q.rows, 1);
	assert_int_equal(q.over_cap, 0);
}

static void bytes_are_capped(void **state)
{
	struct fixture *fx = *state;
	static const struct quarantine_limits small = { 100, 200, 4096, 86400 };
	struct quarantine_item it = { .topic = "t", .gateway = "gw-a", .reason = "r",
		.signed_ok = 1, .received_s = 5 };
	enum quarantine_fate fate;
	char big[150];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	it.payload = big;
	it.len = strlen(big);
	assert_int_equal(store_quarantine_put(fx->s, &small, &it, &fate), GFI_OK);
	assert_int_equal(fate, QUARANTINE_KEPT);
	big[0] = 'b';    /* a new payload: 151 more bytes would pass 200 */
	assert_int_equal(store_quarantine_put(fx->s, &small, &it, &fate), GFI_OK);
	assert_int_equal(fate, QUARANTINE_OVER_CAP);
	assert_int_equal(listed(fx->s, "gw-a").bytes, 151);
}

static void a_repeat_is_one_row_with_its_count(void **state)
{
	struct fixture *fx = *state;
	struct store_counts c;
	struct quarantine_summary q;

	assert_int_equal(put(fx->s, "gw-a", "same", 0, 100), QUARANTINE_KEPT);
	assert_int_equal(put(fx->s, "gw-a", "same", 0, 150), QUARANTINE_REPEAT);
	assert_int_equal(put(fx->s, "gw-a", "same", 0, 120), QUARANTINE_REPEAT);
	q = listed(fx->s, "gw-a");
	assert_int_equal(q.rows, 1);
	assert_int_equal(q.repeats, 2);
	assert_int_equal(q.last_s, 150);
	/* counts still says how many batches were refused. */
	assert_int_equal(store_counts(fx->s, &c), GFI_OK);
	assert_int_equal(c.quarantined_batches, 3);
}

static void unauthenticated_content_keeps_only_a_prefix(void **state)
{
	struct fixture *fx = *state;
	const char *p = "0123456789abcdefghijklmnopqrstuvwxyz";

	put(fx->s, "gw-a", p, 0, 100);                   /* 36 bytes, prefix 16 */
	assert_int_equal(listed(fx->s, "gw-a").bytes,
			 16 + (int64_t)strlen("gfi/v1/x/batch") + (int64_t)strlen("signature: no"));
	put(fx->s, "gw-b", p, 1, 100);                   /* signed: whole */
	assert_int_equal(listed(fx->s, "gw-b").bytes,
			 36 + (int64_t)strlen("gfi/v1/x/batch") + (int64_t)strlen("signature: no"));
}

static void purge_goes_by_age_and_gateway(void **state)
{
	struct fixture *fx = *state;
	struct quarantine_summary t;
	int64_t deleted = -1;

	put(fx->s, "gw-a", "old", 0, 100);
	put(fx->s, "gw-a", "new", 0, 300);
	put(fx->s, "gw-b", "old b", 0, 100);
	assert_int_equal(store_quarantine_count(fx->s, "gw-a", 0, 7, 300), GFI_OK);
	assert_int_equal(store_quarantine_purge(fx->s, "gw-a", 200, 0, &deleted), GFI_OK);
	assert_int_equal(deleted, 1);
	assert_int_equal(listed(fx->s, "gw-a").rows, 1);
	assert_int_equal(listed(fx->s, "gw-a").throttled, 7);
	assert_int_equal(listed(fx->s, "gw-b").rows, 1);
	assert_int_equal(store_quarantine_totals(fx->s, &t), GFI_OK);
	assert_int_equal(t.rows, 2);
	assert_int_equal(t.throttled, 7);
	assert_int_equal(store_quarantine_purge(fx->s, NULL, INT64_MAX, 1, &deleted), GFI_OK);
	assert_int_equal(deleted, 2);
	assert_int_equal(store_quarantine_totals(fx->s, &t), GFI_OK);
	assert_int_equal(t.rows, 0);
	assert_int_equal(t.throttled, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rows_are_capped_and_the_rest_counted,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(bytes_are_capped, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(a_repeat_is_one_row_with_its_count,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(unauthenticated_content_keeps_only_a_prefix,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(purge_goes_by_age_and_gateway,
						fixture_setup, fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

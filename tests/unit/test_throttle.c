/*
 * test_throttle.c — aggregator/api/throttle.c: failed authentications per
 * address, with the clock driven by hand. 10 a minute refill one every
 * 6 s: the 11th failure in a burst waits 6 s, at the boundary millisecond.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "error.h"
#include "throttle.h"

static void ten_failures_then_a_wait_of_six_seconds(void **state)
{
	struct throttle *t = NULL;

	(void)state;
	assert_int_equal(throttle_new(10, 8, &t), GFI_OK);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(throttle_wait_s(t, "127.0.0.2", 1000), 0);
		throttle_fail(t, "127.0.0.2", 1000);
	}
	assert_int_equal(throttle_wait_s(t, "127.0.0.2", 1000), 6);
	assert_int_equal(throttle_wait_s(t, "127.0.0.2", 6999), 1);
	assert_int_equal(throttle_wait_s(t, "127.0.0.2", 7000), 0);
	/* Another address is not touched by the first one's failures. */
	assert_int_equal(throttle_wait_s(t, "127.0.0.3", 1000), 0);
	throttle_fail(t, "127.0.0.2", 7000);
	assert_int_equal(throttle_wait_s(t, "127.0.0.2", 7000), 6);
	/* A quiet minute forgives everything. */
	assert_int_equal(throttle_wait_s(t, "127.0.0.2", 67000), 0);
	throttle_free(t);
}

static void the_table_stays_bounded_forgetting_the_least_recent(void **state)
{
	struct throttle *t = NULL;

	(void)state;
	assert_int_equal(throttle_new(1, 2, &t), GFI_OK);
	throttle_fail(t, "a", 0);
	throttle_fail(t, "b", 10);
	throttle_fail(t, "c", 30);         /* takes a's slot, the older */
	assert_int_equal(throttle_wait_s(t, "b", 40), 60);
	assert_int_equal(throttle_wait_s(t, "c", 40), 60);
	/* a is forgotten: it may try again (its lookup takes no slot). */
	assert_int_equal(throttle_wait_s(t, "a", 40), 0);
	assert_int_equal(throttle_wait_s(t, "b", 40), 60);
	throttle_free(t);
	assert_int_equal(throttle_new(0, 2, &t), GFI_E_INVAL);
	assert_null(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ten_failures_then_a_wait_of_six_seconds),
		cmocka_unit_test(the_table_stays_bounded_forgetting_the_least_recent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_deadline.c — the per-transaction deadline (agent/deadline.c): the
 * overall bound holds against a writer that drips a byte every 60 ms
 * (under a 100 ms byte timeout), the byte rule ends a stalled reply
 * early, and a reply that is simply there is seen at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"

static void a_wait_is_the_time_left_cut_to_the_byte_timeout(void **state)
{
	struct txn_deadline d;

	(void)state;
	txn_deadline_start(&d, 1000, 100);
	assert_in_range(txn_wait_ms(&d), 990, 1000);
	txn_deadline_got_bytes(&d);
	assert_int_equal(txn_wait_ms(&d), 100);
	txn_deadline_start(&d, 50, 100);
	txn_deadline_got_bytes(&d);
	assert_in_range(txn_wait_ms(&d), 40, 50);  /* never past the bound */
	txn_deadline_start(&d, 0, 100);
	assert_int_equal(txn_wait_ms(&d), 0);
	assert_true(txn_expired(&d));
}

struct drip {
	int fd;
	int bytes;
};

static void *drip_main(void *arg)
{
	struct drip *dr = arg;
	struct timespec gap = { 0, 60 * 1000000L };

	for (int i = 0; i < dr->bytes; i++) {
		nanosleep(&gap, NULL);
		if (write(dr->fd, "x", 1) != 1)
			break;
	}
	return NULL;
}

/* Read as a stream line does until the deadline says stop; ms it took. */
static int64_t read_until_deadline(int fd, int timeout_ms, int byte_ms,
				   int *got)
{
	struct txn_deadline d;
	int64_t t0 = txn_mono_ms();
	char c;

	*got = 0;
	txn_deadline_start(&d, timeout_ms, byte_ms);
	while (txn_wait_readable(fd, &d) == 1 && read(fd, &c, 1) == 1) {
		(*got)++;
		txn_deadline_got_bytes(&d);
	}
	return txn_mono_ms() - t0;
}

static void a_dripping_reply_ends_at_the_overall_bound(void **state)
{
	int p[2];
	pthread_t t;
	struct drip dr;
	int got;
	int64_t took;

	(void)state;
	assert_int_equal(pipe(p), 0);
	dr.fd = p[1];
	dr.bytes = 20;  /* 1.2 s of dripping, each gap under the byte timeout */
	assert_int_equal(pthread_create(&t, NULL, drip_main, &dr), 0);
	took = read_until_deadline(p[0], 400, 100, &got);
	assert_in_range(took, 390, 800);  /* the drip lasts 1.2 s */
	assert_in_range(got, 2, 7);  /* bytes at 60, 120, ... 360 ms */
	pthread_join(t, NULL);
	close(p[0]);
	close(p[1]);
}

static void a_stalled_reply_ends_at_the_byte_timeout(void **state)
{
	int p[2];
	int got;
	int64_t took;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "ab", 2), 2);
	took = read_until_deadline(p[0], 2000, 100, &got);
	assert_int_equal(got, 2);
	assert_in_range(took, 90, 700);  /* not the 2 s bound */
	/* Silence from the start waits for the whole bound. */
	took = read_until_deadline(p[0], 150, 100, &got);
	assert_int_equal(got, 0);
	assert_in_range(took, 140, 700);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_wait_is_the_time_left_cut_to_the_byte_timeout),
		cmocka_unit_test(a_dripping_reply_ends_at_the_overall_bound),
		cmocka_unit_test(a_stalled_reply_ends_at_the_byte_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

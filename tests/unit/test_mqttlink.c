/*
 * test_mqttlink.c — the MQTT link's reconnect schedule: the exact bounds of
 * the backoff per attempt, an exact sequence from a fixed random source (the
 * seam), and the fleet property the jitter exists for: two links in two
 * processes forked at the same instant (same memory, same clock) draw
 * different delays. With rand() unseeded they drew the same ones. No broker:
 * a link is created but never stepped, so nothing connects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "mqttlink.h"

#define DRAWS 8

/* The agent's defaults (docs/agent-config.md): 1000 ms doubling to 60000. */
#define AGENT_MIN_MS 1000
#define AGENT_MAX_MS 60000

struct bounds {
	int lo, hi;
};

/* attempt → [lo, hi] for min 1000, max 60000: base/2 .. base. */
static const struct bounds agent_bounds[] = {
	{ 500, 1000 }, { 1000, 2000 }, { 2000, 4000 }, { 4000, 8000 },
	{ 8000, 16000 }, { 16000, 32000 }, { 30000, 60000 }, { 30000, 60000 },
};

/* A seam source: the words of a list, in turn. */
struct words {
	const uint32_t *w;
	size_t n, next;
};

static uint32_t draw_word(void *ctx)
{
	struct words *s = ctx;
	uint32_t w = s->w[s->next % s->n];
	s->next++;
	return w;
}

static int backoff_with_word(int attempt, int min_ms, int max_ms, uint32_t word)
{
	struct words s = { &word, 1, 0 };
	struct mqttlink_random src = { draw_word, &s };
	return mqttlink_backoff_ms(attempt, min_ms, max_ms, &src);
}

static void each_attempt_spans_exactly_half_the_base_to_the_base(void **state)
{
	(void)state;
	for (int a = 0; a < (int)(sizeof(agent_bounds) / sizeof(agent_bounds[0])); a++) {
		const struct bounds *b = &agent_bounds[a];
		uint32_t span = (uint32_t)(b->hi - b->lo);

		assert_int_equal(backoff_with_word(a, AGENT_MIN_MS, AGENT_MAX_MS, 0), b->lo);
		assert_int_equal(backoff_with_word(a, AGENT_MIN_MS, AGENT_MAX_MS, span),
				 b->hi);
		/* One past the span wraps to the bottom: never above hi. */
		assert_int_equal(backoff_with_word(a, AGENT_MIN_MS, AGENT_MAX_MS, span + 1),
				 b->lo);
	}
}

static void the_cap_holds_for_any_attempt_and_odd_bases(void **state)
{
	(void)state;
	assert_int_equal(backoff_with_word(40, AGENT_MIN_MS, AGENT_MAX_MS, 0), 30000);
	assert_int_equal(backoff_with_word(1000, AGENT_MIN_MS, AGENT_MAX_MS, 30000),
			 60000);
	/* The aggregator's 500..30000: attempt 6 would be 32000, capped. */
	assert_int_equal(backoff_with_word(6, 500, 30000, 0), 15000);
	assert_int_equal(backoff_with_word(5, 500, 30000, 8000), 16000);
	/* An odd base: 101 → 50 .. 100 (half rounded down, twice). */
	assert_int_equal(backoff_with_word(0, 101, 1000, 0), 50);
	assert_int_equal(backoff_with_word(0, 101, 1000, 50), 100);
}

static void the_os_source_stays_within_the_bounds(void **state)
{
	(void)state;
	for (int a = 0; a < (int)(sizeof(agent_bounds) / sizeof(agent_bounds[0])); a++) {
		for (int i = 0; i < 500; i++) {
			int d = mqttlink_backoff_ms(a, AGENT_MIN_MS, AGENT_MAX_MS, NULL);
			assert_in_range(d, agent_bounds[a].lo, agent_bounds[a].hi);
		}
	}
}

struct link_fx {
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static int ignore_message(void *ctx, char *topic, int len, MQTTAsync_message *m)
{
	(void)ctx;
	(void)len;
	MQTTAsync_freeMessage(&m);
	MQTTAsync_free(topic);
	return 1;
}

/* A link to a port nothing listens on; it is never stepped. */
static int make_link(struct link_fx *fx, const struct mqttlink_random *src,
		     struct mqttlink **out)
{
	struct mqttlink_options o = {
		.host = "127.0.0.1", .port = 1, .client_id = "gw-test",
		.ca_file = "ca.pem", .cert_file = "gw.pem", .key_file = "gw.key",
		.keepalive_s = 30, .cleansession = 1,
		.backoff_min_ms = AGENT_MIN_MS, .backoff_max_ms = AGENT_MAX_MS,
		.mu = &fx->mu, .cv = &fx->cv, .on_message = ignore_message,
	};
	if (src != NULL)
		o.random = *src;
	return mqttlink_create(&o, out);
}

static void a_fixed_source_gives_the_exact_sequence(void **state)
{
	static const uint32_t w[DRAWS] = { 7, 123456, 0, 999999, 42, 4000000000u,
					   5, 77777 };
	/* min 1000: bases 1000 2000 4000 8000 16000 32000 60000 60000, so
	 * half + word % (half + 1), e.g. 1000 + 123456 % 1001 = 1333. */
	static const int want[DRAWS] = { 507, 1333, 2000, 7750, 8042, 22016,
					 30005, 47775 };
	struct words s = { w, DRAWS, 0 };
	struct mqttlink_random src = { draw_word, &s };
	struct link_fx fx = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };
	struct mqttlink *l = NULL;

	(void)state;
	assert_int_equal(make_link(&fx, &src, &l), GFI_OK);
	for (int i = 0; i < DRAWS; i++)
		assert_int_equal(mqttlink_next_delay_ms(l), want[i]);
	assert_string_equal(mqttlink_uri(l), "ssl://127.0.0.1:1");
	assert_false(mqttlink_is_connected(l));
	mqttlink_destroy(l);
}

/* In a child: a link with the OS source draws DRAWS delays into fd. */
static void child_draws(int fd)
{
	struct link_fx fx = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };
	struct mqttlink *l = NULL;
	int d[DRAWS];

	if (make_link(&fx, NULL, &l) != GFI_OK)
		_exit(2);
	for (int i = 0; i < DRAWS; i++)
		d[i] = mqttlink_next_delay_ms(l);
	mqttlink_destroy(l);
	_exit(write(fd, d, sizeof(d)) == (ssize_t)sizeof(d) ? 0 : 3);
}

static void fork_and_read(int out[2][DRAWS])
{
	int fds[2][2];
	pid_t pid[2];

	for (int c = 0; c < 2; c++)
		assert_int_equal(pipe(fds[c]), 0);
	/* Both children start from the same memory at the same moment: what
	 * two gateways booted together by one power cut look like. */
	for (int c = 0; c < 2; c++) {
		pid[c] = fork();
		assert_true(pid[c] >= 0);
		if (pid[c] == 0)
			child_draws(fds[c][1]);
	}
	for (int c = 0; c < 2; c++) {
		int status = -1;
		close(fds[c][1]);
		assert_int_equal(waitpid(pid[c], &status, 0), pid[c]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		assert_int_equal(read(fds[c][0], out[c], sizeof(out[c])),
				 (ssize_t)sizeof(out[c]));
		close(fds[c][0]);
	}
}

static void two_links_forked_at_the_same_moment_draw_different_delays(void **state)
{
	int d[2][DRAWS];

	(void)state;
	fork_and_read(d);
	for (int c = 0; c < 2; c++) {
		for (int i = 0; i < DRAWS; i++)
			assert_in_range(d[c][i], agent_bounds[i].lo, agent_bounds[i].hi);
	}
	/* Equal by chance: below 1 in 10^30 (the product of 1/(span+1)). */
	assert_memory_not_equal(d[0], d[1], sizeof(d[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_attempt_spans_exactly_half_the_base_to_the_base),
		cmocka_unit_test(the_cap_holds_for_any_attempt_and_odd_bases),
		cmocka_unit_test(the_os_source_stays_within_the_bounds),
		cmocka_unit_test(a_fixed_source_gives_the_exact_sequence),
		cmocka_unit_test(two_links_forked_at_the_same_moment_draw_different_delays),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_conntrack.c — aggregator/api/conntrack.c with the clock driven by
 * hand and socket pairs for connections: a connection shut down is seen as
 * end of file on the pair's other end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "conntrack.h"
#include "error.h"

struct pair {
	int server, client;
};

static void make_pair(struct pair *p)
{
	int fds[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	p->server = fds[0];
	p->client = fds[1];
}

/* Whether the server end was shut down: the client reads end of file. */
static int was_shut(const struct pair *p)
{
	char c;

	return recv(p->client, &c, 1, MSG_DONTWAIT) == 0;
}

static void close_pair(const struct pair *p)
{
	close(p->server);
	close(p->client);
}

static void a_request_not_complete_at_the_deadline_is_shut(void **state)
{
	struct conntrack *t = NULL;
	struct conn_entry *slow, *quick;
	struct pair a, b;

	(void)state;
	make_pair(&a);
	make_pair(&b);
	assert_int_equal(conntrack_new(8, 3000, &t), GFI_OK);
	slow = conntrack_open(t, a.server, "127.0.0.2", 0);
	quick = conntrack_open(t, b.server, "127.0.0.1", 0);
	conntrack_request_in(t, quick);
	assert_int_equal(conntrack_sweep(t, 2999), 0);
	assert_false(was_shut(&a));
	assert_int_equal(conntrack_sweep(t, 3000), 1);
	assert_true(was_shut(&a));
	assert_false(was_shut(&b));
	/* Answered at 5000: the next request's deadline is 8000. */
	conntrack_answered(t, quick, 5000);
	assert_int_equal(conntrack_sweep(t, 7999), 0);
	assert_int_equal(conntrack_sweep(t, 8000), 1);
	assert_true(was_shut(&b));
	conntrack_close(t, slow);
	conntrack_close(t, quick);
	conntrack_free(t);
	close_pair(&a);
	close_pair(&b);
}

static void beyond_the_limit_the_longest_waiting_goes(void **state)
{
	struct conntrack *t = NULL;
	struct conn_entry *e[3];
	struct pair p[3];

	(void)state;
	for (int i = 0; i < 3; i++)
		make_pair(&p[i]);
	assert_int_equal(conntrack_new(2, 10000, &t), GFI_OK);
	e[0] = conntrack_open(t, p[0].server, "127.0.0.2", 0);
	e[1] = conntrack_open(t, p[1].server, "127.0.0.3", 10);
	e[2] = conntrack_open(t, p[2].server, "127.0.0.1", 20);
	assert_true(was_shut(&p[0]));
	assert_false(was_shut(&p[1]));
	assert_false(was_shut(&p[2]));
	conntrack_close(t, e[0]);
	/* Both being answered: a newcomer is refused, nobody evicted. */
	conntrack_request_in(t, e[1]);
	conntrack_request_in(t, e[2]);
	close_pair(&p[0]);
	make_pair(&p[0]);
	e[0] = conntrack_open(t, p[0].server, "127.0.0.4", 30);
	assert_true(was_shut(&p[0]));
	assert_false(was_shut(&p[1]));
	assert_false(was_shut(&p[2]));
	for (int i = 0; i < 3; i++) {
		conntrack_close(t, e[i]);
		close_pair(&p[i]);
	}
	conntrack_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_request_not_complete_at_the_deadline_is_shut),
		cmocka_unit_test(beyond_the_limit_the_longest_waiting_goes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_queue.c — unit tests of agent/queue.c on real SQLite files.
 *
 * Each test works in its own temporary directory. The crash test forks a
 * child that pushes in a loop and reports, with write(), every id it saw
 * committed; the parent kills it with SIGKILL at random moments and checks
 * that the reopened file holds every reported reading, unchanged, in order.
 * Set GFI_TEST_SEED to replay a run; the seed used is printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "error.h"
#include "log.h"
#include "queue.h"
#include "reading.h"

/* A temporary directory holding queue.db and its -wal and -shm files. */
struct tmpdb {
	char dir[64];   /* directory made by mkdtemp */
	char path[96];  /* dir + "/queue.db" */
};

static int tmpdb_setup(void **state)
{
	struct tmpdb *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	snprintf(t->dir, sizeof(t->dir), "/tmp/gfi-test-queue-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/queue.db", t->dir);
	*state = t;
	return 0;
}

static int tmpdb_teardown(void **state)
{
	struct tmpdb *t = *state;
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	char p[128];
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, suffix[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/reports", t->dir);
	unlink(p);
	rmdir(t->dir);
	free(t);
	return 0;
}

static struct gfi_reading reading(const char *meter, int64_t time_s,
				  double value, int status)
{
	struct gfi_reading r;
	memset(&r, 0, sizeof(r));
	snprintf(r.meter, sizeof(r.meter), "%s", meter);
	snprintf(r.point, sizeof(r.point), "p");
	snprintf(r.quantity, sizeof(r.quantity), "energy_kwh");
	r.time_s = time_s;
	r.value = value;
	r.status = status;
	return r;
}

static struct queue *open_ok(const char *path, int64_t max)
{
	struct queue *q = NULL;
	assert_int_equal(queue_open(path, max, &q), GFI_OK);
	assert_non_null(q);
	return q;
}

static int64_t count_of(struct queue *q)
{
	int64_t n = -1;
	assert_int_equal(queue_count(q, &n), GFI_OK);
	return n;
}

static void push_meter(struct queue *q, const char *meter, int64_t from_s,
		       int n)
{
	struct gfi_reading r[64];
	assert_true(n <= 64);
	for (int i = 0; i < n; i++)
		r[i] = reading(meter, from_s + i, (double)(from_s + i), GFI_ST_OK);
	assert_int_equal(queue_push(q, r, (size_t)n), GFI_OK);
}

static void pushed_readings_are_peeked_back_oldest_first(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = open_ok(t->path, 1000);
	struct gfi_reading out[10];
	int64_t ids[10];
	size_t n = 99;

	assert_int_equal(queue_peek(q, 0, out, ids, 10, &n), GFI_OK);
	assert_int_equal(n, 0);
	assert_int_equal(count_of(q), 0);

	push_meter(q, "E01", 100, 3);
	push_meter(q, "E02", 200, 2);
	assert_int_equal(count_of(q), 5);

	assert_int_equal(queue_peek(q, 0, out, ids, 10, &n), GFI_OK);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			assert_true(ids[i] > ids[i - 1]);
		assert_string_equal(out[i].meter, i < 3 ? "E01" : "E02");
		assert_int_equal(out[i].time_s, i < 3 ? 100 + (int64_t)i
						      : 200 + (int64_t)i - 3);
	}

	/* Paging: after_id continues where the last page stopped. */
	assert_int_equal(queue_peek(q, 0, out, ids, 2, &n), GFI_OK);
	assert_int_equal(n, 2);
	assert_int_equal(out[1].time_s, 101);
	assert_int_equal(queue_peek(q, ids[1], out, ids, 2, &n), GFI_OK);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].time_s, 102);
	assert_int_equal(out[1].time_s, 200);

	/* Peeking takes nothing away. */
	assert_int_equal(count_of(q), 5);
	queue_close(q);
}

static void values_and_statuses_survive_and_nan_means_no_value(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = open_ok(t->path, 1000);
	struct gfi_reading in[5], out[5];
	int64_t ids[5];
	size_t n;

	in[0] = reading("E01", 1700000000, 12345.678901234, GFI_ST_OK);
	in[1] = reading("E01", 1700000001, NAN, GFI_ST_TIMEOUT);
	in[2] = reading("E01", 1700000002, NAN, GFI_ST_EXCEPTION);
	in[2].detail = 2;
	in[3] = reading("E01", 1700000003, -0.5, GFI_ST_BACKWARDS);
	/* A status without a value stores none, whatever the field held. */
	in[4] = reading("E01", 1700000004, 42.0, GFI_ST_COMM);
	snprintf(in[4].point, sizeof(in[4].point), "%s", "energy.import_total");
	snprintf(in[4].quantity, sizeof(in[4].quantity), "%s", "active_energy");
	assert_int_equal(queue_push(q, in, 5), GFI_OK);

	assert_int_equal(queue_peek(q, 0, out, ids, 5, &n), GFI_OK);
	assert_int_equal(n, 5);
	assert_true(out[0].value == 12345.678901234);
	assert_int_equal(out[0].status, GFI_ST_OK);
	assert_true(isnan(out[1].value));
	assert_int_equal(out[1].status, GFI_ST_TIMEOUT);
	assert_true(isnan(out[2].value));
	assert_int_equal(out[2].status, GFI_ST_EXCEPTION);
	assert_int_equal(out[2].detail, 2);
	assert_true(out[3].value == -0.5);
	assert_int_equal(out[3].status, GFI_ST_BACKWARDS);
	assert_true(isnan(out[4].value));
	assert_string_equal(out[4].point, "energy.import_total");
	assert_string_equal(out[4].quantity, "active_energy");
	for (int i = 0; i < 5; i++) {
		assert_string_equal(out[i].meter, "E01");
		assert_int_equal(out[i].time_s, 1700000000 + i);
	}
	queue_close(q);
}

static void delete_upto_removes_exactly_the_acknowledged_readings(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = open_ok(t->path, 1000);
	struct gfi_reading out[10];
	int64_t ids[10];
	size_t n;

	push_meter(q, "E01", 100, 6);
	assert_int_equal(queue_peek(q, 0, out, ids, 10, &n), GFI_OK);
	assert_int_equal(n, 6);

	assert_int_equal(queue_delete_upto(q, ids[3]), GFI_OK);
	assert_int_equal(count_of(q), 2);
	assert_int_equal(queue_peek(q, 0, out, ids, 10, &n), GFI_OK);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].time_s, 104);
	assert_int_equal(out[1].time_s, 105);

	/* An ack already applied, or below everything, changes nothing. */
	assert_int_equal(queue_delete_upto(q, 0), GFI_OK);
	assert_int_equal(count_of(q), 2);
	/* An id beyond everything empties the queue. */
	assert_int_equal(queue_delete_upto(q, ids[1] + 100), GFI_OK);
	assert_int_equal(count_of(q), 0);
	assert_int_equal(queue_peek(q, 0, out, ids, 10, &n), GFI_OK);
	assert_int_equal(n, 0);
	queue_close(q);
}

static void reopening_keeps_readings_count_and_gaps(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = open_ok(t->path, 4);
	struct gfi_reading out[10];
	struct queue_gap g[4];
	int64_t ids[10];
	size_t n;

	push_meter(q, "E01", 100, 6); /* 2 dropped: one gap */
	queue_close(q);

	q = open_ok(t->path, 4);
	assert_int_equal(count_of(q), 4);
	assert_int_equal(queue_peek(q, 0, out, ids, 10, &n), GFI_OK);
	assert_int_equal(n, 4);
	assert_int_equal(out[0].time_s, 102);
	assert_int_equal(out[3].time_s, 105);
	assert_int_equal(queue_gaps(q, 0, g, 4, &n), GFI_OK);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].count, 2);
	queue_close(q);
}

static void pushing_past_the_bound_drops_the_oldest_and_records_gaps(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = open_ok(t->path, 10);
	struct gfi_reading out[20];
	struct queue_gap g[8];
	int64_t ids[20];
	size_t n;
	int64_t before = (int64_t)time(NULL), after;

	push_meter(q, "A", 100, 8);  /* ids 1..8 */
	push_meter(q, "B", 200, 5);  /* ids 9..13: 3 over, A 100..102 go */
	assert_int_equal(count_of(q), 10);
	assert_int_equal(queue_gaps(q, 0, g, 8, &n), GFI_OK);
	assert_int_equal(n, 1);
	assert_string_equal(g[0].meter, "A");
	assert_int_equal(g[0].from_s, 100);
	assert_int_equal(g[0].to_s, 102);
	assert_int_equal(g[0].count, 3);

	/* One push that drops from two meters: A's gap, not reported yet, is
	 * extended (no row per push); B gets its own, after it. */
	push_meter(q, "C", 300, 7);  /* 7 over: A 103..107 and B 200..201 */
	after = (int64_t)time(NULL);
	assert_int_equal(count_of(q), 10);
	assert_int_equal(queue_gaps(q, 0, g + 1, 7, &n), GFI_OK);
	assert_int_equal(n, 2);
	assert_true(g[1].id == g[0].id && g[2].id > g[1].id);
	assert_string_equal(g[1].meter, "A");
	assert_int_equal(g[1].from_s, 100);
	assert_int_equal(g[1].to_s, 107);
	assert_int_equal(g[1].count, 8);
	assert_string_equal(g[2].meter, "B");
	assert_int_equal(g[2].from_s, 200);
	assert_int_equal(g[2].to_s, 201);
	assert_int_equal(g[2].count, 2);
	for (int i = 0; i < 3; i++) {
		assert_true(g[i].recorded_s >= before);
		assert_true(g[i].recorded_s <= after);
	}

	/* Exactly the newest ten remain: B 202..204 then C 300..306. */
	assert_int_equal(queue_peek(q, 0, out, ids, 20, &n), GFI_OK);
	assert_int_equal(n, 10);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(ids[i], 11 + i);
		assert_string_equal(out[i].meter, i < 3 ? "B" : "C");
		assert_int_equal(out[i].time_s, i < 3 ? 202 + i : 300 + i - 3);
	}
	queue_close(q);
}

static void one_push_larger_than_the_bound_keeps_its_newest_readings(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = open_ok(t->path, 3);
	struct gfi_reading out[8];
	struct queue_gap g[4];
	int64_t ids[8];
	size_t n;

	push_meter(q, "A", 100, 8);
	assert_int_equal(count_of(q), 3);
	assert_int_equal(queue_peek(q, 0, out, ids, 8, &n), GFI_OK);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].time_s, 105);
	assert_int_equal(out[2].time_s, 107);
	assert_int_equal(queue_gaps(q, 0, g, 4, &n), GFI_OK);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].from_s, 100);
	assert_int_equal(g[0].to_s, 104);
	assert_int_equal(g[0].count, 5);
	queue_close(q);
}

static void ids_keep_growing_after_every_reading_is_deleted(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = open_ok(t->path, 100);
	struct gfi_reading out[4];
	int64_t ids[4];
	int64_t last;
	size_t n;

	push_meter(q, "A", 100, 4);
	assert_int_equal(queue_peek(q, 0, out, ids, 4, &n), GFI_OK);
	assert_int_equal(n, 4);
	last = ids[3];
	/* Deleting the newest rows is what lets plain rowids be reused. */
	assert_int_equal(queue_delete_upto(q, last), GFI_OK);
	queue_close(q);

	q = open_ok(t->path, 100);
	push_meter(q, "A", 200, 1);
	assert_int_equal(queue_peek(q, 0, out, ids, 4, &n), GFI_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], last + 1);
	queue_close(q);
}

static void a_batch_with_an_unterminated_id_is_refused_whole(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = open_ok(t->path, 100);
	struct gfi_reading r[2];

	r[0] = reading("A", 100, 1.0, GFI_ST_OK);
	r[1] = reading("A", 101, 2.0, GFI_ST_OK);
	memset(r[1].meter, 'x', sizeof(r[1].meter));
	assert_int_equal(queue_push(q, r, 2), GFI_E_INVAL);
	assert_int_equal(count_of(q), 0);
	assert_int_equal(queue_push(q, r, 0), GFI_OK);
	assert_int_equal(count_of(q), 0);
	queue_close(q);
}

static void bad_arguments_are_refused(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = NULL;

	assert_int_equal(queue_open(t->path, 0, &q), GFI_E_INVAL);
	assert_null(q);
	assert_int_equal(queue_open(NULL, 10, &q), GFI_E_INVAL);
	queue_close(NULL);
}

static void a_schema_newer_than_the_agent_is_refused(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = open_ok(t->path, 100);
	sqlite3 *db = NULL;
	int saved = gfi_log_threshold;

	queue_close(q);
	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	gfi_log_set_level(-1); /* the expected error need not be printed */
	assert_int_equal(queue_open(t->path, 100, &q), GFI_E_DB);
	gfi_log_set_level(saved);
	assert_null(q);
}

static void a_file_that_is_not_a_database_is_refused(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = NULL;
	int saved = gfi_log_threshold;
	int fd = open(t->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(write(fd, "not a database, ", 16), 16);
	close(fd);
	gfi_log_set_level(-1);
	assert_int_equal(queue_open(t->path, 100, &q), GFI_E_DB);
	gfi_log_set_level(saved);
	assert_null(q);
}

/* One pusher thread of the two-connection test. */
struct pusher {
	const char *path;  /* shared database file */
	char meter[8];     /* this thread's meter id */
	int batches;       /* pushes to make */
	int per_batch;     /* readings per push, <= 16 */
	int ret;           /* first failure, GFI_OK if none */
};

static void *pusher_run(void *arg)
{
	struct pusher *p = arg;
	struct queue *q = NULL;
	struct gfi_reading r[16];
	int seq = 0;

	p->ret = queue_open(p->path, 1000000, &q);
	for (int b = 0; p->ret == GFI_OK && b < p->batches; b++) {
		for (int i = 0; i < p->per_batch; i++, seq++)
			r[i] = reading(p->meter, seq, (double)seq, GFI_ST_OK);
		p->ret = queue_push(q, r, (size_t)p->per_batch);
	}
	queue_close(q);
	return NULL;
}

static void two_threads_pushing_on_two_connections_store_each_reading_once(
	void **state)
{
	enum { NT = 2, BATCHES = 40, PER = 10, TOTAL = BATCHES * PER };
	struct tmpdb *t = *state;
	struct pusher p[NT];
	pthread_t th[NT];
	static unsigned char seen[NT][TOTAL];
	struct gfi_reading out[128];
	int64_t ids[128], after = 0;
	struct queue *q;
	size_t n;

	memset(seen, 0, sizeof(seen));
	/* Create the file first, so the threads race on pushes, not on the
	 * first migration (which migrate() also handles). */
	queue_close(open_ok(t->path, 1000000));
	for (int i = 0; i < NT; i++) {
		p[i] = (struct pusher){ .path = t->path, .batches = BATCHES,
					.per_batch = PER, .ret = GFI_E_STATE };
		snprintf(p[i].meter, sizeof(p[i].meter), "T%d", i);
		assert_int_equal(pthread_create(&th[i], NULL, pusher_run, &p[i]), 0);
	}
	for (int i = 0; i < NT; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(p[i].ret, GFI_OK);
	}

	q = open_ok(t->path, 1000000);
	assert_int_equal(count_of(q), NT * TOTAL);
	do {
		assert_int_equal(queue_peek(q, after, out, ids, 128, &n), GFI_OK);
		for (size_t i = 0; i < n; i++) {
			int th_i = out[i].meter[1] - '0';
			int seq = (int)out[i].value;
			assert_true(ids[i] > after);
			after = ids[i];
			assert_true(th_i >= 0 && th_i < NT);
			assert_true(seq >= 0 && seq < TOTAL);
			assert_int_equal(out[i].time_s, seq);
			assert_int_equal(seen[th_i][seq], 0);
			seen[th_i][seq] = 1;
		}
	} while (n > 0);
	for (int i = 0; i < NT; i++)
		for (int s = 0; s < TOTAL; s++)
			assert_int_equal(seen[i][s], 1);
	queue_close(q);
}

/*
 * Crash test. The child's readings: meter "K", point "p<i>" for the i-th of
 * a batch, time_s = T0 + seq, value = seq, where seq counts every reading
 * ever committed to the file (0, 1, 2 ...). After each queue_push returns,
 * the child peeks its own batch back (it is the only writer) and write()s
 * { last id, last seq } to the report file: a claim that these are
 * committed. write() reaches the page cache before SIGKILL can land, which
 * is all a kill -9 (unlike a power cut) can take from the parent's view.
 */
enum { CRASH_BATCH = 4, CRASH_ROUNDS = 20 };
#define CRASH_T0 1700000000

struct crash_report {
	int64_t id;   /* queue id of the batch's last reading */
	int64_t seq;  /* that reading's sequence number */
};

static void crash_expect(struct gfi_reading *r, int64_t seq)
{
	*r = reading("K", CRASH_T0 + seq, (double)seq, GFI_ST_OK);
	snprintf(r->point, sizeof(r->point), "p%d", (int)(seq % CRASH_BATCH));
}

/* The child: never returns. Exit codes say where it failed. */
static void crash_child(const char *path, int fd)
{
	struct queue *q = NULL;
	struct gfi_reading r[128];
	int64_t ids[128], last_id = 0, next_seq = 0;
	size_t n;
	time_t give_up = time(NULL) + 10;

	if (queue_open(path, INT64_MAX, &q) != GFI_OK)
		_exit(10);
	/* Find where the file ends: the last committed id and seq. */
	do {
		if (queue_peek(q, last_id, r, ids, 128, &n) != GFI_OK)
			_exit(11);
		if (n > 0) {
			last_id = ids[n - 1];
			next_seq = (int64_t)r[n - 1].value + 1;
		}
	} while (n > 0);

	while (time(NULL) < give_up) {
		struct crash_report rep;
		for (int i = 0; i < CRASH_BATCH; i++)
			crash_expect(&r[i], next_seq + i);
		if (queue_push(q, r, CRASH_BATCH) != GFI_OK)
			_exit(12);
		if (queue_peek(q, last_id, r, ids, CRASH_BATCH, &n) != GFI_OK ||
		    n != CRASH_BATCH)
			_exit(13);
		next_seq += CRASH_BATCH;
		last_id = ids[n - 1];
		rep.id = last_id;
		rep.seq = next_seq - 1;
		if (write(fd, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
			_exit(14);
	}
	_exit(15); /* never killed: the parent is broken */
}

/* Parent side: check the whole file; return the number of readings. */
static int64_t crash_verify(const char *path, int64_t **ids_by_seq,
			    size_t *cap)
{
	struct queue *q = open_ok(path, INT64_MAX);
	struct gfi_reading out[256], want;
	int64_t ids[256], after = 0, total = 0;
	size_t n;

	do {
		assert_int_equal(queue_peek(q, after, out, ids, 256, &n), GFI_OK);
		for (size_t i = 0; i < n; i++, total++) {
			assert_true(ids[i] > after); /* strictly increasing */
			after = ids[i];
			crash_expect(&want, total);
			assert_string_equal(out[i].meter, want.meter);
			assert_string_equal(out[i].point, want.point);
			assert_string_equal(out[i].quantity, want.quantity);
			assert_int_equal(out[i].time_s, want.time_s);
			assert_true(out[i].value == want.value);
			assert_int_equal(out[i].status, GFI_ST_OK);
			if ((size_t)total >= *cap) {
				*cap = *cap ? *cap * 2 : 1024;
				*ids_by_seq = realloc(*ids_by_seq,
						      *cap * sizeof(**ids_by_seq));
				assert_non_null(*ids_by_seq);
			}
			(*ids_by_seq)[total] = ids[i];
		}
	} while (n > 0);
	/* Batches are atomic, and the kept count is exact after a crash. */
	assert_int_equal(total % CRASH_BATCH, 0);
	assert_int_equal(count_of(q), total);
	queue_close(q);
	return total;
}

static void a_queue_killed_at_random_moments_keeps_every_committed_reading(
	void **state)
{
	struct tmpdb *t = *state;
	char reports[128];
	const char *env = getenv("GFI_TEST_SEED");
	unsigned seed = env ? (unsigned)strtoul(env, NULL, 10)
			    : (unsigned)time(NULL) ^ (unsigned)getpid();
	int64_t *ids_by_seq = NULL, total = 0, reported = 0;
	size_t cap = 0;

	print_message("crash test seed %u (GFI_TEST_SEED to replay)\n", seed);
	srand(seed);
	snprintf(reports, sizeof(reports), "%s/reports", t->dir);

	for (int round = 0; round < CRASH_ROUNDS; round++) {
		struct crash_report rep[1024];
		long delay_ms = 5 + rand() % 196;
		struct timespec ts = { 0, delay_ms * 1000000L };
		int fd = open(reports, O_RDWR | O_CREAT | O_TRUNC, 0600);
		int status = 0;
		ssize_t got;
		int64_t before = total;
		pid_t pid;

		assert_true(fd >= 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			crash_child(t->path, fd);
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		/* Killed by us, not dead on its own with a failure code. */
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);

		total = crash_verify(t->path, &ids_by_seq, &cap);
		assert_true(total >= before); /* nothing committed went away */

		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		while ((got = read(fd, rep, sizeof(rep))) > 0) {
			/* write() of 16 bytes is never split by SIGKILL. */
			assert_int_equal(got % (ssize_t)sizeof(rep[0]), 0);
			for (ssize_t i = 0; i < got / (ssize_t)sizeof(rep[0]); i++) {
				assert_true(rep[i].seq >= 0 && rep[i].seq < total);
				assert_int_equal(ids_by_seq[rep[i].seq], rep[i].id);
				reported++;
			}
		}
		assert_int_equal(got, 0);
		close(fd);
	}
	print_message("crash test: %lld readings, %lld reported batches\n",
		      (long long)total, (long long)reported);
	assert_true(reported > 0);
	free(ids_by_seq);
}

static void batches_take_unbatched_readings_and_advance_the_chain(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = open_ok(t->path, 1000);
	struct gfi_reading out[16];
	int64_t ids[16];
	uint8_t h[32], h1[32];
	uint64_t seq = 99, acked = 99;
	size_t n = 0;

	assert_int_equal(queue_chain_head(q, &seq, h, &acked), GFI_OK);
	assert_int_equal(seq, 0);
	assert_int_equal(acked, 0);
	for (int i = 0; i < 32; i++)
		assert_int_equal(h[i], 0);
	push_meter(q, "E1", 100, 10);
	/* Oldest first and newest first see the ends of the backlog. */
	assert_int_equal(queue_unbatched(q, 1, out, ids, 2, &n), GFI_OK);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].time_s, 109);
	assert_int_equal(queue_unbatched(q, 0, out, ids, 4, &n), GFI_OK);
	assert_int_equal(n, 4);
	assert_int_equal(out[0].time_s, 100);
	memset(h1, 0xab, sizeof(h1));
	/* Only head + 1 is accepted. */
	assert_int_equal(queue_batch_add_gaps(q, 2, h1, "x", 1, ids, n, NULL, 0, 5), GFI_E_STATE);
	assert_int_equal(queue_batch_add_gaps(q, 1, h1, "batch-1", 7, ids, n, NULL, 0, 5), GFI_OK);
	assert_int_equal(queue_chain_head(q, &seq, h, NULL), GFI_OK);
	assert_int_equal(seq, 1);
	assert_memory_equal(h, h1, 32);
	/* Batched readings are no longer offered. */
	assert_int_equal(queue_unbatched(q, 0, out, ids, 16, &n), GFI_OK);
	assert_int_equal(n, 6);
	assert_int_equal(out[0].time_s, 104);
	assert_int_equal(count_of(q), 10);
	queue_close(q);
}

static void an_ack_deletes_its_batches_and_their_readings_only(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = open_ok(t->path, 1000);
	struct gfi_reading out[16];
	int64_t ids[16], deleted = -1;
	uint8_t h[32] = { 1 };
	uint64_t seq = 0, acked = 0;
	char *payload = NULL;
	size_t n = 0, len = 0;

	push_meter(q, "E1", 100, 9);
	for (uint64_t b = 1; b <= 3; b++) {
		char text[16];
		assert_int_equal(queue_unbatched(q, 0, out, ids, 3, &n), GFI_OK);
		assert_int_equal(n, 3);
		snprintf(text, sizeof(text), "payload-%llu", (unsigned long long)b);
		assert_int_equal(queue_batch_add_gaps(q, b, h, text, strlen(text), ids, n, NULL, 0, 7), GFI_OK);
	}
	assert_int_equal(queue_batch_next(q, 0, &seq, &payload, &len), GFI_OK);
	assert_int_equal(seq, 1);
	assert_string_equal(payload, "payload-1");
	free(payload);
	assert_int_equal(queue_ack(q, 2, &deleted), GFI_OK);
	assert_int_equal(deleted, 6);
	assert_int_equal(count_of(q), 3);
	assert_int_equal(queue_batch_next(q, 0, &seq, &payload, &len), GFI_OK);
	assert_int_equal(seq, 3);
	assert_int_equal(len, 9);
	free(payload);
	/* An old or repeated ack changes nothing. */
	assert_int_equal(queue_ack(q, 1, &deleted), GFI_OK);
	assert_int_equal(deleted, 0);
	assert_int_equal(count_of(q), 3);
	queue_close(q);
	/* The chain and the ack survive a reopen. */
	q = open_ok(t->path, 1000);
	assert_int_equal(queue_chain_head(q, &seq, NULL, &acked), GFI_OK);
	assert_int_equal(seq, 3);
	assert_int_equal(acked, 2);
	assert_int_equal(queue_ack(q, 3, &deleted), GFI_OK);
	assert_int_equal(deleted, 3);
	assert_int_equal(queue_batch_next(q, 0, &seq, &payload, &len), GFI_E_NOTFOUND);
	assert_null(payload);
	assert_int_equal(count_of(q), 0);
	queue_close(q);
}

static void gap_events_are_reported_once_with_their_batch(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = open_ok(t->path, 10);
	struct gfi_reading out[16];
	struct queue_gap g[4];
	int64_t ids[16];
	uint8_t h[32] = { 7 };
	size_t n = 0, ng = 0;

	push_meter(q, "A", 100, 12);   /* 2 over: A 100..101 dropped, unbatched */
	assert_int_equal(queue_gaps_unbatched(q, g, 4, &ng), GFI_OK);
	assert_int_equal(ng, 1);
	assert_int_equal(g[0].count, 2);
	assert_int_equal(queue_unbatched(q, 0, out, ids, 3, &n), GFI_OK);
	assert_int_equal(queue_batch_add_gaps(q, 1, h, "b1", 2, ids, n, g, ng, 9), GFI_OK);
	/* Reported in batch 1: not offered again; a later drop is a new event,
	 * not merged into the reported one. */
	assert_int_equal(queue_gaps_unbatched(q, g, 4, &ng), GFI_OK);
	assert_int_equal(ng, 0);
	push_meter(q, "A", 200, 3);    /* 3 over: the oldest 3 are batched */
	assert_int_equal(queue_gaps_unbatched(q, g, 4, &ng), GFI_OK);
	assert_int_equal(ng, 0);       /* batched readings travel: no gap */
	push_meter(q, "A", 300, 2);    /* drops A 105..106, unbatched */
	assert_int_equal(queue_gaps_unbatched(q, g, 4, &ng), GFI_OK);
	assert_int_equal(ng, 1);
	assert_int_equal(g[0].from_s, 105);
	assert_int_equal(g[0].to_s, 106);
	assert_int_equal(g[0].count, 2);
	queue_close(q);
}

/* The uplink reads the unreported gap events, builds and signs its batch,
 * then stores it; a push on the poller's connection in between may merge a
 * new drop into one of those events (coalescing). Marking the grown event
 * as reported would tell the city the old count while the readings merged
 * in are gone: lost silently (seen in test_faults_disk: agent 76, city 18).
 * The batch is refused instead and made again with the grown event. */
static void a_batch_whose_gap_event_grew_meanwhile_is_refused(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = open_ok(t->path, 10);
	struct gfi_reading out[16];
	struct queue_gap g[4];
	int64_t ids[16];
	uint8_t h[32] = { 7 };
	uint64_t seq = 9;
	size_t n = 0, ng = 0;

	push_meter(q, "A", 100, 12);   /* drops A 100..101: gap A count 2 */
	assert_int_equal(queue_gaps_unbatched(q, g, 4, &ng), GFI_OK);
	assert_int_equal(ng, 1);
	assert_int_equal(g[0].count, 2);
	/* The newest readings, as the uplink's fresh turn takes them: the
	 * next drop touches none of them, so only the gap event tells. */
	assert_int_equal(queue_unbatched(q, 1, out, ids, 3, &n), GFI_OK);
	assert_int_equal(n, 3);
	assert_int_equal(out[0].time_s, 111);
	push_meter(q, "B", 200, 2);    /* drops A 102..103: merged, count 4 */
	assert_int_equal(queue_batch_add_gaps(q, 1, h, "b1", 2, ids, n, g, ng, 9),
			 GFI_E_STATE);
	assert_int_equal(queue_chain_head(q, &seq, NULL, NULL), GFI_OK);
	assert_int_equal(seq, 0);      /* nothing changed */
	assert_int_equal(queue_gaps_unbatched(q, g, 4, &ng), GFI_OK);
	assert_int_equal(ng, 1);       /* still unreported, with the full count */
	assert_int_equal(g[0].from_s, 100);
	assert_int_equal(g[0].to_s, 103);
	assert_int_equal(g[0].count, 4);
	assert_int_equal(queue_unbatched(q, 1, out, ids, 3, &n), GFI_OK);
	assert_int_equal(n, 3);        /* the readings are still unbatched */
	assert_int_equal(queue_batch_add_gaps(q, 1, h, "b1", 2, ids, n, g, ng, 9),
			 GFI_OK);
	assert_int_equal(queue_gaps_unbatched(q, g, 4, &ng), GFI_OK);
	assert_int_equal(ng, 0);
	/* An event already reported is not reported again either. */
	push_meter(q, "B", 300, 1);
	assert_int_equal(queue_gaps(q, 0, g, 4, &ng), GFI_OK);
	assert_int_equal(ng, 2);
	assert_int_equal(queue_unbatched(q, 0, out, ids, 1, &n), GFI_OK);
	assert_int_equal(queue_batch_add_gaps(q, 2, h, "b2", 2, ids, n, g, 1, 9),
			 GFI_E_STATE);
	queue_close(q);
}

static void a_batch_whose_readings_were_dropped_meanwhile_is_refused(void **state)
{
	struct tmpdb *t = *state;
	struct queue *q = open_ok(t->path, 10);
	struct gfi_reading out[16];
	int64_t ids[16];
	uint8_t h[32] = { 7 };
	uint64_t seq = 9;
	size_t n = 0;

	push_meter(q, "A", 100, 10);
	assert_int_equal(queue_unbatched(q, 0, out, ids, 4, &n), GFI_OK);
	push_meter(q, "B", 200, 2);    /* the bound drops A 100..101, read above */
	assert_int_equal(queue_batch_add_gaps(q, 1, h, "b1", 2, ids, n, NULL, 0, 9), GFI_E_STATE);
	assert_int_equal(queue_chain_head(q, &seq, NULL, NULL), GFI_OK);
	assert_int_equal(seq, 0);      /* nothing changed */
	assert_int_equal(queue_unbatched(q, 0, out, ids, 4, &n), GFI_OK);
	assert_int_equal(out[0].time_s, 102);
	assert_int_equal(queue_batch_add_gaps(q, 1, h, "b1", 2, ids, n, NULL, 0, 9), GFI_OK);
	queue_close(q);
}

/* A new queue makes its chain epoch once: 32 hex digits, the same after a
 * reopen, and another queue (a reinstall) makes another one. */
static void a_new_queue_makes_its_own_chain_epoch(void **state)
{
	struct tmpdb *t = *state;
	char other_path[sizeof(t->path) + 8];
	char e1[GFI_BATCH_EPOCH_LEN + 1], e2[GFI_BATCH_EPOCH_LEN + 1];
	char e3[GFI_BATCH_EPOCH_LEN + 1];
	struct queue *q = open_ok(t->path, 1000);

	assert_int_equal(queue_epoch(q, e1), GFI_OK);
	assert_true(gfi_batch_epoch_valid(e1));
	queue_close(q);
	q = open_ok(t->path, 1000);
	assert_int_equal(queue_epoch(q, e2), GFI_OK);
	assert_string_equal(e1, e2);
	queue_close(q);
	snprintf(other_path, sizeof(other_path), "%s.new", t->path);
	q = open_ok(other_path, 1000);
	assert_int_equal(queue_epoch(q, e3), GFI_OK);
	assert_true(gfi_batch_epoch_valid(e3));
	assert_string_not_equal(e1, e3);
	queue_close(q);
	for (int i = 0; i < 3; i++) {
		char p[sizeof(other_path) + 8];
		snprintf(p, sizeof(p), "%s%s", other_path, (const char *[]){ "", "-wal", "-shm" }[i]);
		unlink(p);
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tmpdb_setup, tmpdb_teardown)
	const struct CMUnitTest tests[] = {
		T(a_new_queue_makes_its_own_chain_epoch),
		T(pushed_readings_are_peeked_back_oldest_first),
		T(values_and_statuses_survive_and_nan_means_no_value),
		T(delete_upto_removes_exactly_the_acknowledged_readings),
		T(reopening_keeps_readings_count_and_gaps),
		T(pushing_past_the_bound_drops_the_oldest_and_records_gaps),
		T(one_push_larger_than_the_bound_keeps_its_newest_readings),
		T(ids_keep_growing_after_every_reading_is_deleted),
		T(gap_events_are_reported_once_with_their_batch),
		T(a_batch_whose_gap_event_grew_meanwhile_is_refused),
		T(a_batch_whose_readings_were_dropped_meanwhile_is_refused),
		T(a_batch_with_an_unterminated_id_is_refused_whole),
		T(bad_arguments_are_refused),
		T(a_schema_newer_than_the_agent_is_refused),
		T(a_file_that_is_not_a_database_is_refused),
		T(two_threads_pushing_on_two_connections_store_each_reading_once),
		T(a_queue_killed_at_random_moments_keeps_every_committed_reading),
		T(batches_take_unbatched_readings_and_advance_the_chain),
		T(an_ack_deletes_its_batches_and_their_readings_only),
	};
#undef T
	/* The bound tests drop readings on purpose; keep their warnings out. */
	gfi_log_set_level(GFI_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

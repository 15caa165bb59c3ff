/*
 * throttle.c — the per-address token bucket of failed authentications
 * (throttle.h).
 *
 * Invariants: at most `slots` addresses are tracked; a bucket's level is in
 * 0..capacity, counted in 1/60,000 of a failure so that per_min failures a
 * minute refill exactly per_min units a millisecond (no rounding lost
 * between calls, no floating point); a slot is found by linear search, which is cheap for the few
 * thousand slots an API needs and keeps the table free of hashing that an
 * attacker could aim at. Every access holds the mutex.
 */
#include "throttle.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define UNIT 60000                 /* one failure, in bucket units */

struct bucket {
	char addr[THROTTLE_ADDR_MAX];  /* "" = free slot */
	int64_t level;                 /* failures left, x UNIT */
	int64_t last_ms;               /* last refill, also for LRU */
};

struct throttle {
	pthread_mutex_t mu;
	int64_t capacity;              /* per_min x UNIT */
	int per_min;
	size_t n;
	struct bucket b[];
};

int throttle_new(int per_min, size_t slots, struct throttle **out)
{
	struct throttle *t;

	*out = NULL;
	if (per_min < 1 || slots < 1)
		return GFI_E_INVAL;
	t = calloc(1, sizeof(*t) + slots * sizeof(t->b[0]));
	if (t == NULL)
		return GFI_E_NOMEM;
	if (pthread_mutex_init(&t->mu, NULL) != 0) {
		free(t);
		return GFI_E_NOMEM;
	}
	t->per_min = per_min;
	t->capacity = (int64_t)per_min * UNIT;
	t->n = slots;
	*out = t;
	return GFI_OK;
}

void throttle_free(struct throttle *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/* Refill b up to now: per_min units a millisecond. */
static void refill(const struct throttle *t, struct bucket *b, int64_t now_ms)
{
	int64_t dt = now_ms - b->last_ms;

	if (dt <= 0)
		return;
	b->last_ms = now_ms;
	b->level = dt >= UNIT ? t->capacity : b->level + dt * t->per_min;
	if (b->level > t->capacity)
		b->level = t->capacity;
}

/* addr's bucket, or NULL when it has none and create is 0. */
static struct bucket *find(struct throttle *t, const char *addr, int create,
			   int64_t now_ms)
{
	struct bucket *lru = &t->b[0];

	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->b[i].addr, addr) == 0 && t->b[i].addr[0] != '\0')
			return &t->b[i];
		if (t->b[i].addr[0] == '\0' ||
		    (lru->addr[0] != '\0' && t->b[i].last_ms < lru->last_ms))
			lru = &t->b[i];
	}
	if (!create)
		return NULL;
	snprintf(lru->addr, sizeof(lru->addr), "%s", addr);
	lru->level = t->capacity;
	lru->last_ms = now_ms;
	return lru;
}

int throttle_wait_s(struct throttle *t, const char *addr, int64_t now_ms)
{
	struct bucket *b;
	int64_t wait_ms = 0;

	pthread_mutex_lock(&t->mu);
	if ((b = find(t, addr, 0, now_ms)) != NULL) {
		refill(t, b, now_ms);
		if (b->level < UNIT)
			wait_ms = (UNIT - b->level + t->per_min - 1) / t->per_min;
	}
	pthread_mutex_unlock(&t->mu);
	return wait_ms == 0 ? 0 : (int)((wait_ms + 999) / 1000);
}

void throttle_fail(struct throttle *t, const char *addr, int64_t now_ms)
{
	struct bucket *b;

	pthread_mutex_lock(&t->mu);
	b = find(t, addr, 1, now_ms);
	refill(t, b, now_ms);
	b->level = b->level >= UNIT ? b->level - UNIT : 0;
	pthread_mutex_unlock(&t->mu);
}

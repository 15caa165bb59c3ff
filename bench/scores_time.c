/*
 * scores_time.c — bench-scores-time STORE YEAR ROUNDS: the time to compute
 * a city's scores and outlook (score_city_compute: the platform rows of
 * every factory for the year and the two before, their scores, subtotals,
 * the reconciliation and the grades) against computing the same factories'
 * indicators of the year alone (indicators_compute_at per unit), in the
 * same run, alternating per bench/abab.py (baseline first on even rounds).
 * The store is bench/scores.py's. Prints one JSON object: units, scored,
 * rounds {indicators_s: [...], scores_s: [...]}, and a check (the first
 * unit's total and grade).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "balance.h"
#include "error.h"
#include "indicators.h"
#include "period.h"
#include "score.h"
#include "store.h"

#define ROUNDS_MAX 100

/* Exit naming what failed. */
static void die(const char *what, int rc)
{
	fprintf(stderr, "bench-scores-time: %s failed: %s\n", what, gfi_strerror(rc));
	exit(1);
}

struct codes {
	struct reg_unit *v;
	size_t n, cap;
};

static int collect(void *ctx, const void *row)
{
	struct codes *c = ctx;
	const struct reg_unit *u = row;

	if (u->retired || u->kind != UNIT_FACTORY)
		return 0;
	if (balance_append((void **)&c->v, &c->cap, &c->n, sizeof(*u), u) != GFI_OK)
		die("unit list", GFI_E_NOMEM);
	return 0;
}

/* Monotonic seconds. */
static double seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The baseline: every factory's indicators of the year. */
static double indicators_alone(struct store *s, const struct codes *c, int year, int64_t now)
{
	struct ind_period *p = malloc(sizeof(*p));
	double t0 = seconds();

	if (p == NULL)
		die("malloc", GFI_E_NOMEM);
	for (size_t i = 0; i < c->n; i++) {
		int rc = indicators_compute_at(s, c->v[i].code, year, 0, now, p);
		if (rc != GFI_OK)
			die("indicators_compute_at", rc);
	}
	free(p);
	return seconds() - t0;
}

/* The subject: the whole city's scores and outlook. */
static double scores(struct store *s, int year, int64_t now, struct score_city *keep)
{
	double t0 = seconds(), t;
	int rc = score_city_compute(s, year, now, keep);

	t = seconds() - t0;
	if (rc != GFI_OK)
		die("score_city_compute", rc);
	return t;
}

int main(int argc, char **argv)
{
	double ind[ROUNDS_MAX], sc[ROUNDS_MAX];
	struct codes c = { 0 };
	struct score_city city = { 0 };
	struct store *s = NULL;
	int64_t start, end;
	int year, rounds, rc, scored = 0;

	if (argc != 4 || (year = atoi(argv[2])) < 2000 || (rounds = atoi(argv[3])) < 1 ||
	    rounds > ROUNDS_MAX) {
		fprintf(stderr, "usage: bench-scores-time STORE YEAR ROUNDS(1..%d)\n", ROUNDS_MAX);
		return 2;
	}
	if ((rc = store_open(argv[1], &s)) != GFI_OK)
		die("store_open", rc);
	if ((rc = store_unit_list(s, collect, &c)) != GFI_OK || c.n == 0)
		die("unit list", rc != GFI_OK ? rc : GFI_E_NOTFOUND);
	if ((rc = period_bounds(year, 0, &start, &end)) != GFI_OK)
		die("period_bounds", rc);
	for (int i = 0; i < rounds; i++) {
		/* A year complete a day before now: its window is itself and the
		 * two years before. */
		score_city_free(&city);
		if (i % 2 == 0) {
			ind[i] = indicators_alone(s, &c, year, end + 86400);
			sc[i] = scores(s, year, end + 86400, &city);
		} else {
			sc[i] = scores(s, year, end + 86400, &city);
			ind[i] = indicators_alone(s, &c, year, end + 86400);
		}
	}
	for (size_t i = 0; i < city.n; i++)
		scored += city.e[i].y[0].scored;
	printf("{\"units\":%zu,\"scored\":%d,\"check_total\":%.10g,\"check_grade\":\"%s\","
	       "\"rounds\":{\"indicators_s\":[", c.n, scored, city.n ? city.e[0].y[0].total : 0,
	       city.n ? score_grade_names[city.e[0].o.grade] : "");
	for (int i = 0; i < rounds; i++)
		printf("%s%.6f", i ? "," : "", ind[i]);
	printf("],\"scores_s\":[");
	for (int i = 0; i < rounds; i++)
		printf("%s%.6f", i ? "," : "", sc[i]);
	printf("]}}\n");
	score_city_free(&city);
	free(c.v);
	store_close(s);
	return 0;
}

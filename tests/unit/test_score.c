/*
 * test_score.c — the platform's scoring and grading (aggregator/calc/
 * score.c) and the benchmarks and statements of the store
 * (aggregator/store/store_filing.c).
 *
 * Expected values are worked by hand here: a linear score between 基准值
 * and 引领值 in both directions and clamped at both ends; competition
 * ranks with ties; the A+ / A / B cut at ceil(5 %) and ceil(35 %) of n
 * for n = 1, 20, 21, 40; the bottom ceil(5 %); the benchmark in force by
 * sector, band and year; a statement reviewed once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "fixture.h"
#include "score.h"
#include "store.h"

static void linear_scores_clamp_in_both_directions(void **state)
{
	(void)state;
	/* lower is better: 基准值 500, 引领值 300, weight 10 */
	assert_float_equal(score_linear(400, 500, 300, 10), 5.0, 1e-12);
	assert_float_equal(score_linear(350, 500, 300, 10), 7.5, 1e-12);
	assert_float_equal(score_linear(300, 500, 300, 10), 10.0, 0);
	assert_float_equal(score_linear(120, 500, 300, 10), 10.0, 0);
	assert_float_equal(score_linear(500, 500, 300, 10), 0.0, 0);
	assert_float_equal(score_linear(900, 500, 300, 10), 0.0, 0);
	/* higher is better: 50 % .. 90 %, weight 8 */
	assert_float_equal(score_linear(60, 50, 90, 8), 2.0, 1e-12);
	assert_float_equal(score_linear(95, 50, 90, 8), 8.0, 0);
	assert_float_equal(score_linear(10, 50, 90, 8), 0.0, 0);
}

static void grades_cut_at_5_and_35_percent_ties_take_the_better(void **state)
{
	double t40[40], t20[20], t21[21], one[1] = { 3 };
	int rank[40];
	enum score_grade g[40];

	(void)state;
	for (int i = 0; i < 40; i++)
		t40[i] = 100 - i;
	t40[2] = t40[1];             /* a tie at rank 2: both A+ (top is 2) */
	t40[16] = t40[15];           /* a tie at rank 16, the last A: both A */
	score_grade(t40, 40, rank, g);
	assert_int_equal(rank[0], 1);
	assert_int_equal(rank[1], 2);
	assert_int_equal(rank[2], 2);
	assert_int_equal(g[2], GRADE_A_PLUS);
	assert_int_equal(rank[3], 4);
	assert_int_equal(g[3], GRADE_A);
	assert_int_equal(rank[15], 16);
	assert_int_equal(rank[16], 16);
	assert_int_equal(g[16], GRADE_A);
	assert_int_equal(rank[17], 18);
	assert_int_equal(g[17], GRADE_B);
	/* n = 20: 1 A+, 7 A; n = 21: 2 A+ (ceil 1.05), 8 A (ceil 7.35). */
	for (int i = 0; i < 21; i++) {
		t21[i] = -i;
		if (i < 20)
			t20[i] = -i;
	}
	score_grade(t20, 20, rank, g);
	assert_int_equal(g[0], GRADE_A_PLUS);
	assert_int_equal(g[1], GRADE_A);
	assert_int_equal(g[7], GRADE_A);
	assert_int_equal(g[8], GRADE_B);
	score_grade(t21, 21, rank, g);
	assert_int_equal(g[1], GRADE_A_PLUS);
	assert_int_equal(g[2], GRADE_A);
	assert_int_equal(g[9], GRADE_A);
	assert_int_equal(g[10], GRADE_B);
	score_grade(one, 1, rank, g);
	assert_int_equal(g[0], GRADE_A_PLUS);
	/* The bottom ceil(5 %): ranks 39, 40 of 40; 20 of 20; 20, 21 of 21. */
	assert_false(score_in_bottom(38, 40));
	assert_true(score_in_bottom(39, 40));
	assert_true(score_in_bottom(20, 20));
	assert_false(score_in_bottom(19, 20));
	assert_true(score_in_bottom(20, 21));
}

static struct store_benchmark bench(const char *sector, const char *key, int band, int year,
				    double base)
{
	struct store_benchmark b = { .band = band, .year = year, .baseline = base,
				     .leading = base + 10, .weight = 5, .higher_is_better = 1 };

	snprintf(b.sector, sizeof(b.sector), "%s", sector);
	snprintf(b.indicator, sizeof(b.indicator), "%s", key);
	snprintf(b.source, sizeof(b.source), "test");
	return b;
}

static void benchmark_in_force_by_sector_band_and_year(void **state)
{
	struct fixture *fx = *state;
	struct store_benchmark b, bad = bench("", "plot_ratio", 0, 2025, 1);

	/* (sector, band, year, 基准值) of four renewable-share rows */
	static const struct { const char *sector; int band, year; double base; } rows[] = {
		{ "", 0, 2023, 1 }, { "", 2, 2023, 2 }, { "C3130", 0, 2024, 3 }, { "C3130", 2, 2026, 4 },
	};
	/* asked (sector, band, year) -> the 基准值 in force: the sector's own
	 * before the 通则's, then the band's, then the latest year */
	static const struct { const char *sector; int band, year; double want; } asks[] = {
		{ "C3130", 2, 2025, 3 }, { "C3130", 2, 2026, 4 }, { "C2211", 2, 2025, 2 },
		{ "C2211", 1, 2025, 1 }, { "C3130", 0, 2023, 1 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		b = bench(rows[i].sector, "renewable_share_pct", rows[i].band, rows[i].year,
			  rows[i].base);
		assert_int_equal(store_benchmark_set(fx->s, &b), GFI_OK);
	}
	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		assert_int_equal(store_benchmark_get(fx->s, asks[i].sector, "renewable_share_pct",
						     asks[i].band, asks[i].year, &b), GFI_OK);
		assert_float_equal(b.baseline, asks[i].want, 0);
	}
	assert_int_equal(store_benchmark_get(fx->s, "", "plot_ratio", 0, 2025, &b), GFI_E_NOTFOUND);
	bad.leading = bad.baseline;
	assert_int_equal(store_benchmark_set(fx->s, &bad), GFI_E_INVAL);
	bad = bench("", "plot_ratio", 5, 2025, 1);
	assert_int_equal(store_benchmark_set(fx->s, &bad), GFI_E_INVAL);
}

static void statement_reviewed_once(void **state)
{
	struct fixture *fx = *state;
	struct store_statement t = { .year = 2025, .row = 16, .entered_s = 100 }, got;
	int64_t id = 0;

	fixture_county(fx->s, "350102", "鼓楼区");
	fixture_works(fx->s, "91350100MA00000011", "350102", "C3130", "gw-1", 0);
	snprintf(t.unit, sizeof(t.unit), "91350100MA00000011");
	snprintf(t.kind, sizeof(t.kind), "remark");
	snprintf(t.date, sizeof(t.date), "2026-03-01");
	snprintf(t.text, sizeof(t.text), "更正 corrected");
	snprintf(t.by, sizeof(t.by), "unit-token");
	assert_int_equal(store_statement_add(fx->s, &t, &id), GFI_OK);
	assert_int_equal(store_statement_review(fx->s, id, "confirmed", "gulou", 200), GFI_OK);
	assert_int_equal(store_statement_review(fx->s, id, "rejected", "city", 300), GFI_E_STATE);
	assert_int_equal(store_statement_get(fx->s, id, &got), GFI_OK);
	assert_string_equal(got.state, "confirmed");
	assert_string_equal(got.reviewed_by, "gulou");
	assert_int_equal(got.reviewed_s, 200);
	assert_string_equal(got.by, "unit-token");
	assert_int_equal(store_statement_review(fx->s, id + 1, "confirmed", "x", 1), GFI_E_NOTFOUND);
	snprintf(t.kind, sizeof(t.kind), "gossip");
	assert_int_equal(store_statement_add(fx->s, &t, &id), GFI_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linear_scores_clamp_in_both_directions),
		cmocka_unit_test(grades_cut_at_5_and_35_percent_ties_take_the_better),
		cmocka_unit_test_setup_teardown(benchmark_in_force_by_sector_band_and_year,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(statement_reviewed_once, fixture_setup,
						fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

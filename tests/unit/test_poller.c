/*
 * test_poller.c — the read planner (coalescing) and the counter judge.
 *
 * The planner is checked against a brute-force reference: the fewest reads
 * that cover the points, found by trying every split (dynamic programming).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "poller.h"
#include "quantity.h"

#define MAXP 64

struct fixture {
	struct gfi_point pts[MAXP];
	struct meter_point mps[MAXP];
	size_t n;
};

static void add(struct fixture *f, enum gfi_function fn, uint16_t addr,
		enum gfi_regtype t)
{
	struct gfi_point *p = &f->pts[f->n];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "p%zu", f->n);
	p->quantity = gfi_quantity_find("elec_power_kw");
	p->function = fn;
	p->address = addr;
	p->type = t;
	p->scale = 1;
	f->mps[f->n].pt = p;
	f->n++;
}

/* Fewest reads of one function's sorted [start,end) spans. */
static size_t reference_min(const struct fixture *f, enum gfi_function fn,
			    unsigned gap, unsigned limit)
{
	uint32_t s[MAXP], e[MAXP];
	size_t n = 0, best[MAXP + 1];

	for (size_t i = 0; i < f->n; i++) {
		if (f->pts[i].function != fn)
			continue;
		size_t j = n++;
		s[j] = f->pts[i].address;
		e[j] = s[j] + gfi_point_width(&f->pts[i]);
		while (j > 0 && s[j] < s[j - 1]) {
			uint32_t ts = s[j], te = e[j];
			s[j] = s[j - 1]; e[j] = e[j - 1];
			s[j - 1] = ts; e[j - 1] = te;
			j--;
		}
	}
	best[0] = 0;
	for (size_t j = 1; j <= n; j++) {
		best[j] = SIZE_MAX;
		for (size_t i = 0; i < j; i++) {
			uint32_t end = 0;
			int ok = 1;
			for (size_t k = i; k < j; k++) {
				if (k > i && s[k] > end && s[k] - end > gap)
					ok = 0;
				if (e[k] > end)
					end = e[k];
			}
			if (ok && end - s[i] <= limit && best[i] + 1 < best[j])
				best[j] = best[i] + 1;
		}
	}
	return best[n];
}

static size_t plan(struct fixture *f, unsigned gap, struct read_block *blocks)
{
	size_t order[MAXP];
	return poll_plan(f->mps, f->n, gap, order, blocks);
}

static void forty_points_in_three_ranges_take_three_reads(void **state)
{
	struct fixture f = { .n = 0 };
	struct read_block b[MAXP];
	(void)state;
	for (uint16_t i = 0; i < 15; i++)
		add(&f, GFI_FN_INPUT, (uint16_t)(0 + 2 * i), GFI_T_F32);
	for (uint16_t i = 0; i < 15; i++)
		add(&f, GFI_FN_INPUT, (uint16_t)(200 + 2 * i), GFI_T_F32);
	for (uint16_t i = 0; i < 10; i++)
		add(&f, GFI_FN_INPUT, (uint16_t)(342 + 4 * i), GFI_T_F64);
	size_t n = plan(&f, 8, b);
	assert_int_equal(f.n, 40);
	assert_int_equal(n, 3);
	assert_int_equal(n, reference_min(&f, GFI_FN_INPUT, 8, 125));
	assert_int_equal(b[0].start, 0);
	assert_int_equal(b[0].count, 30);
	assert_int_equal(b[1].start, 200);
	assert_int_equal(b[2].start, 342);
	assert_int_equal(b[2].count, 40);
	assert_int_equal(b[0].n + b[1].n + b[2].n, 40);
}

static void a_range_longer_than_125_registers_is_split(void **state)
{
	struct fixture f = { .n = 0 };
	struct read_block b[MAXP];
	(void)state;
	for (uint16_t i = 0; i < 64; i++)
		add(&f, GFI_FN_HOLDING, (uint16_t)(1000 + 2 * i), GFI_T_U32);
	size_t n = plan(&f, 0, b);
	assert_int_equal(n, 2);
	assert_int_equal(b[0].count, 124);  /* 62 u32 fit, the 63rd would need 126 */
	assert_int_equal(b[1].start, 1124);
	assert_int_equal(n, reference_min(&f, GFI_FN_HOLDING, 0, 125));
}

static void gaps_beyond_max_gap_split_and_functions_never_mix(void **state)
{
	struct fixture f = { .n = 0 };
	struct read_block b[MAXP];
	(void)state;
	add(&f, GFI_FN_HOLDING, 10, GFI_T_U16);
	add(&f, GFI_FN_HOLDING, 14, GFI_T_U16);  /* gap 3 */
	add(&f, GFI_FN_INPUT, 11, GFI_T_U16);   /* other function */
	add(&f, GFI_FN_HOLDING, 30, GFI_T_U16);  /* gap 15 */
	add(&f, GFI_FN_COIL, 5, GFI_T_BOOL);
	add(&f, GFI_FN_COIL, 7, GFI_T_BOOL);
	assert_int_equal(plan(&f, 3, b), 4);  /* coils 5-7, holding 10-14, 30, input 11 */
	assert_int_equal(plan(&f, 2, b), 5);
	assert_int_equal(plan(&f, 16, b), 3);
}

static void random_layouts_match_the_reference_minimum(void **state)
{
	(void)state;
	srand(12345);
	for (int round = 0; round < 300; round++) {
		struct fixture f = { .n = 0 };
		struct read_block b[MAXP];
		unsigned gap = (unsigned)(rand() % 12);
		size_t np = 1 + (size_t)(rand() % 40);
		uint16_t addr = (uint16_t)(rand() % 100);
		for (size_t i = 0; i < np; i++) {
			enum gfi_regtype t = (rand() % 3 == 0) ? GFI_T_F64
					     : (rand() % 2 ? GFI_T_U32 : GFI_T_U16);
			add(&f, GFI_FN_HOLDING, addr, t);
			addr = (uint16_t)(addr + gfi_regtype_words(t) + (unsigned)(rand() % 20));
		}
		size_t n = plan(&f, gap, b);
		assert_int_equal(n, reference_min(&f, GFI_FN_HOLDING, gap, 125));
		for (size_t i = 0; i < n; i++)
			assert_true(b[i].count >= 1 && b[i].count <= 125);
	}
}

static void counter_judge_flags_backwards_jump_and_rollover(void **state)
{
	(void)state;
	/* First reading: nothing to compare with. */
	assert_int_equal(poll_judge_counter(NAN, 0, 5.0, 60, 0, 0), GFI_ST_OK);
	assert_int_equal(poll_judge_counter(100, 0, 100, 60, 0, 0), GFI_ST_OK);
	assert_int_equal(poll_judge_counter(100, 0, 99.99, 60, 0, 0), GFI_ST_BACKWARDS);
	/* 10 kWh in 60 s is 600 kWh/h: at a 600 limit exactly, ok; above, jump. */
	assert_int_equal(poll_judge_counter(100, 0, 110, 60, 0, 600), GFI_ST_OK);
	assert_int_equal(poll_judge_counter(100, 0, 110.01, 60, 0, 600), GFI_ST_JUMP);
	/* u32 at 0.01 kWh wraps at 42949672.96. */
	assert_int_equal(poll_judge_counter(42949672.50, 0, 0.30, 60, 42949672.96, 0),
			 GFI_ST_ROLLOVER);
	/* Far from the top, a drop is a swap or reset, not a rollover. */
	assert_int_equal(poll_judge_counter(1000.0, 0, 3.0, 60, 42949672.96, 0),
			 GFI_ST_BACKWARDS);
	/* With a rate limit, the wrapped rise must fit it. */
	assert_int_equal(poll_judge_counter(65530, 0, 10, 60, 65536, 1000), GFI_ST_ROLLOVER);
	assert_int_equal(poll_judge_counter(65530, 0, 100, 60, 65536, 1000), GFI_ST_BACKWARDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forty_points_in_three_ranges_take_three_reads),
		cmocka_unit_test(a_range_longer_than_125_registers_is_split),
		cmocka_unit_test(gaps_beyond_max_gap_split_and_functions_never_mix),
		cmocka_unit_test(random_layouts_match_the_reference_minimum),
		cmocka_unit_test(counter_judge_flags_backwards_jump_and_rollover),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

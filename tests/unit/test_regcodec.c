/*
 * test_regcodec.c — register words <-> numbers, against a table of vectors.
 *
 * tests/data/decode_vectors.csv ($GFI_TEST_DATA) holds words produced by an
 * independent reference model (Python struct) for every type and order; one
 * test reads it, decodes every row, and encodes every exactly representable
 * value back to the same words. The other tests cover what a table cannot
 * say well: rounding and range checks on encode, names, and 2^53.
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

#include "error.h"
#include "regcodec.h"

#define TWO_53 9007199254740992.0

static const enum gfi_regtype all_types[] = {
	GFI_T_U16, GFI_T_I16, GFI_T_U32, GFI_T_I32, GFI_T_U64, GFI_T_I64,
	GFI_T_F32, GFI_T_F64, GFI_T_BOOL,
};
static const enum gfi_order all_orders[] = {
	GFI_ORDER_ABCD, GFI_ORDER_CDAB, GFI_ORDER_BADC, GFI_ORDER_DCBA,
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Parse "1234 ABCD ..." into words; returns the count. */
static unsigned parse_words(const char *s, uint16_t *words, unsigned max)
{
	unsigned n = 0;
	char *end;

	while (*s != '\0' && n < max) {
		unsigned long v = strtoul(s, &end, 16);
		if (end == s)
			break;
		assert_true(v <= 0xffff);
		words[n++] = (uint16_t)v;
		s = end;
		while (*s == ' ')
			s++;
	}
	return n;
}

struct vector {
	enum gfi_regtype type;
	enum gfi_order order;
	uint16_t words[4];
	unsigned nwords;
	int want_range_error;
	double expected;
};

/* One CSV line into v; 0 for a comment or the header, 1 for a vector. */
static int parse_vector(char *line, unsigned lineno, struct vector *v)
{
	char *fields[4];
	char *save = NULL;
	char *end;

	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '#' || line[0] == '\0' || strncmp(line, "type,", 5) == 0)
		return 0;
	for (int i = 0; i < 4; i++) {
		fields[i] = strtok_r(i == 0 ? line : NULL, ",", &save);
		if (fields[i] == NULL)
			fail_msg("decode_vectors.csv:%u: needs 4 fields", lineno);
	}
	if (gfi_regtype_parse(fields[0], &v->type) != GFI_OK ||
	    gfi_order_parse(fields[1], &v->order) != GFI_OK)
		fail_msg("decode_vectors.csv:%u: bad type or order", lineno);
	v->nwords = parse_words(fields[2], v->words, 4);
	if (v->nwords != gfi_regtype_words(v->type))
		fail_msg("decode_vectors.csv:%u: %u words for %s", lineno,
			 v->nwords, fields[0]);
	v->want_range_error = strcmp(fields[3], "range-error") == 0;
	if (!v->want_range_error) {
		v->expected = strtod(fields[3], &end);
		if (*end != '\0')
			fail_msg("decode_vectors.csv:%u: bad value", lineno);
	}
	return 1;
}

static void check_vector(const struct vector *v, unsigned lineno)
{
	double got = 0;
	uint16_t back[4] = { 0 };
	int ret = gfi_reg_decode(v->type, v->order, v->words, &got);

	if (v->want_range_error) {
		if (ret != GFI_E_RANGE)
			fail_msg("line %u: want range error, got %d (%.17g)",
				 lineno, ret, got);
		return;
	}
	if (ret != GFI_OK || got != v->expected ||
	    signbit(got) != signbit(v->expected))
		fail_msg("line %u: decoded %.17g (ret %d), want %.17g", lineno,
			 got, ret, v->expected);
	/* Below 2^53 the words are the only ones that decode to the value
	 * (rows above it share values), so encode must give them back. */
	if (fabs(v->expected) < TWO_53) {
		assert_int_equal(gfi_reg_encode(v->type, v->order, v->expected,
						 back), GFI_OK);
		if (memcmp(back, v->words, v->nwords * sizeof(uint16_t)) != 0)
			fail_msg("line %u: %.17g encodes to other words", lineno,
				 v->expected);
	}
}

static void every_vector_in_the_csv_decodes_and_encodes_back(void **state)
{
	const char *dir = getenv("GFI_TEST_DATA");
	char path[1024];
	char line[256];
	unsigned lineno = 0, nvectors = 0;
	unsigned seen[NELEM(all_types)][NELEM(all_orders)] = { { 0 } };
	FILE *f;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/decode_vectors.csv", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		struct vector v;
		lineno++;
		if (!parse_vector(line, lineno, &v))
			continue;
		check_vector(&v, lineno);
		seen[v.type][v.order]++;
		nvectors++;
	}
	fclose(f);
	assert_true(nvectors > 100);
	/* Every multi-register type appears under every order. */
	for (size_t t = 0; t < NELEM(all_types); t++) {
		if (all_types[t] == GFI_T_BOOL) {
			assert_true(seen[t][GFI_ORDER_ABCD] > 0);
			continue;
		}
		for (size_t o = 0; o < NELEM(all_orders); o++)
			assert_true(seen[t][o] > 0);
	}
}

static void names_parse_back_to_the_same_type_and_order(void **state)
{
	(void)state;
	for (size_t i = 0; i < NELEM(all_types); i++) {
		enum gfi_regtype t;
		assert_int_equal(gfi_regtype_parse(gfi_regtype_name(all_types[i]),
						   &t), GFI_OK);
		assert_int_equal(t, all_types[i]);
	}
	for (size_t i = 0; i < NELEM(all_orders); i++) {
		enum gfi_order o;
		assert_int_equal(gfi_order_parse(gfi_order_name(all_orders[i]),
						 &o), GFI_OK);
		assert_int_equal(o, all_orders[i]);
	}
}

static void unknown_names_are_rejected(void **state)
{
	enum gfi_regtype t;
	enum gfi_order o;

	(void)state;
	assert_int_equal(gfi_regtype_parse("f16", &t), GFI_E_INVAL);
	assert_int_equal(gfi_regtype_parse("U16", &t), GFI_E_INVAL);
	assert_int_equal(gfi_regtype_parse("", &t), GFI_E_INVAL);
	assert_int_equal(gfi_regtype_parse(NULL, &t), GFI_E_INVAL);
	assert_int_equal(gfi_order_parse("abcd", &o), GFI_E_INVAL);
	assert_int_equal(gfi_order_parse("DCAB", &o), GFI_E_INVAL);
	assert_int_equal(gfi_order_parse(NULL, &o), GFI_E_INVAL);
}

static void word_counts_and_maxima_match_the_types(void **state)
{
	(void)state;
	assert_int_equal(gfi_regtype_words(GFI_T_U16), 1);
	assert_int_equal(gfi_regtype_words(GFI_T_I32), 2);
	assert_int_equal(gfi_regtype_words(GFI_T_F32), 2);
	assert_int_equal(gfi_regtype_words(GFI_T_U64), 4);
	assert_int_equal(gfi_regtype_words(GFI_T_F64), 4);
	assert_int_equal(gfi_regtype_words(GFI_T_BOOL), 1);
	assert_true(gfi_regtype_max(GFI_T_U16) == 65535.0);
	assert_true(gfi_regtype_max(GFI_T_I16) == 32767.0);
	assert_true(gfi_regtype_max(GFI_T_U32) == 4294967295.0);
	assert_true(gfi_regtype_max(GFI_T_I32) == 2147483647.0);
	assert_true(gfi_regtype_max(GFI_T_U64) == 18446744073709551616.0);
	assert_true(gfi_regtype_max(GFI_T_F32) == 0.0);
	assert_true(gfi_regtype_max(GFI_T_BOOL) == 0.0);
}

/* Round trip at values every type holds exactly, under every order. */
static void exact_values_survive_encode_then_decode_in_every_order(void **state)
{
	static const double values[] = { 0, 1, 2, 100, 255, 256, 4660, 32767 };
	static const double negatives[] = { -1, -2, -255, -32768 };

	(void)state;
	for (size_t t = 0; t < NELEM(all_types); t++) {
		if (all_types[t] == GFI_T_BOOL)
			continue;
		for (size_t o = 0; o < NELEM(all_orders); o++) {
			int is_unsigned = all_types[t] == GFI_T_U16 ||
					  all_types[t] == GFI_T_U32 ||
					  all_types[t] == GFI_T_U64;
			for (size_t i = 0; i < NELEM(values) + NELEM(negatives); i++) {
				double v = i < NELEM(values) ? values[i] :
					   negatives[i - NELEM(values)];
				uint16_t w[4];
				double got = NAN;
				if (v < 0 && is_unsigned)
					continue;
				assert_int_equal(gfi_reg_encode(all_types[t],
						 all_orders[o], v, w), GFI_OK);
				assert_int_equal(gfi_reg_decode(all_types[t],
						 all_orders[o], w, &got), GFI_OK);
				assert_true(got == v);
			}
		}
	}
}

static void integer_encode_rounds_to_nearest(void **state)
{
	uint16_t w[4];
	double got;

	(void)state;
	assert_int_equal(gfi_reg_encode(GFI_T_U16, GFI_ORDER_ABCD, 1.4, w), GFI_OK);
	assert_int_equal(w[0], 1);
	assert_int_equal(gfi_reg_encode(GFI_T_U16, GFI_ORDER_ABCD, 1.5, w), GFI_OK);
	assert_int_equal(w[0], 2);
	assert_int_equal(gfi_reg_encode(GFI_T_U16, GFI_ORDER_ABCD, -0.4, w), GFI_OK);
	assert_int_equal(w[0], 0);
	assert_int_equal(gfi_reg_encode(GFI_T_U16, GFI_ORDER_ABCD, 65535.4, w), GFI_OK);
	assert_int_equal(w[0], 65535);
	assert_int_equal(gfi_reg_encode(GFI_T_I32, GFI_ORDER_CDAB, -2.6, w), GFI_OK);
	assert_int_equal(gfi_reg_decode(GFI_T_I32, GFI_ORDER_CDAB, w, &got), GFI_OK);
	assert_true(got == -3.0);
}

static void integer_encode_refuses_values_the_type_cannot_hold(void **state)
{
	static const struct {
		enum gfi_regtype t;
		double v;
	} bad[] = {
		{ GFI_T_U16, 65535.5 }, { GFI_T_U16, -0.5 }, { GFI_T_U16, -1 },
		{ GFI_T_I16, 32767.5 }, { GFI_T_I16, -32768.5 },
		{ GFI_T_U32, 4294967296.0 }, { GFI_T_U32, -1 },
		{ GFI_T_I32, 2147483648.0 }, { GFI_T_I32, -2147483649.0 },
		{ GFI_T_U64, 18446744073709551616.0 }, { GFI_T_U64, -1 },
		{ GFI_T_I64, 9223372036854775808.0 },
		{ GFI_T_I64, -9223372036854777856.0 },
		{ GFI_T_U32, NAN }, { GFI_T_I64, INFINITY }, { GFI_T_U16, -INFINITY },
		{ GFI_T_BOOL, 2 }, { GFI_T_BOOL, 0.5 }, { GFI_T_BOOL, NAN },
	};
	uint16_t w[4];

	(void)state;
	for (size_t i = 0; i < NELEM(bad); i++) {
		if (gfi_reg_encode(bad[i].t, GFI_ORDER_ABCD, bad[i].v, w) !=
		    GFI_E_RANGE)
			fail_msg("%s %.17g: want range error",
				 gfi_regtype_name(bad[i].t), bad[i].v);
	}
}

static void the_largest_64_bit_values_encode_and_decode(void **state)
{
	uint16_t w[4];
	double got;
	/* the largest doubles below 2^64 and 2^63 */
	const double u64_top = 18446744073709549568.0;
	const double i64_top = 9223372036854774784.0;

	(void)state;
	assert_int_equal(gfi_reg_encode(GFI_T_U64, GFI_ORDER_DCBA, u64_top, w), GFI_OK);
	assert_int_equal(gfi_reg_decode(GFI_T_U64, GFI_ORDER_DCBA, w, &got), GFI_OK);
	assert_true(got == u64_top);
	assert_int_equal(gfi_reg_encode(GFI_T_I64, GFI_ORDER_BADC, i64_top, w), GFI_OK);
	assert_int_equal(gfi_reg_decode(GFI_T_I64, GFI_ORDER_BADC, w, &got), GFI_OK);
	assert_true(got == i64_top);
	assert_int_equal(gfi_reg_encode(GFI_T_I64, GFI_ORDER_CDAB,
					 -9223372036854775808.0, w), GFI_OK);
	assert_int_equal(w[0], 0x0000);
	assert_int_equal(w[3], 0x8000);
}

static void a_counter_above_2_53_reads_within_one_part_in_2_53(void **state)
{
	/* 2^60 + 12345: the double cannot hold it; its spacing there is
	 * 2^(60-52) = 256, so the error must be at most half of that. */
	const uint64_t raw = (UINT64_C(1) << 60) + 12345;
	uint16_t w[4] = {
		(uint16_t)(raw >> 48), (uint16_t)(raw >> 32),
		(uint16_t)(raw >> 16), (uint16_t)raw,
	};
	double got;

	(void)state;
	assert_int_equal(gfi_reg_decode(GFI_T_U64, GFI_ORDER_ABCD, w, &got), GFI_OK);
	assert_true(fabs(got - 1152921504606846976.0 - 12345.0) <= 128.0);
	assert_true(got == 1152921504606859264.0); /* 2^60 + 48 * 256 */
}

static void float_encode_stores_the_nearest_float(void **state)
{
	uint16_t w[4];
	double got;

	(void)state;
	assert_int_equal(gfi_reg_encode(GFI_T_F32, GFI_ORDER_ABCD, 0.1, w), GFI_OK);
	assert_int_equal(w[0], 0x3DCC);
	assert_int_equal(w[1], 0xCCCD);
	assert_int_equal(gfi_reg_decode(GFI_T_F32, GFI_ORDER_ABCD, w, &got), GFI_OK);
	assert_true(got == (double)0.1f);
	assert_int_equal(gfi_reg_encode(GFI_T_F64, GFI_ORDER_CDAB, 0.1, w), GFI_OK);
	assert_int_equal(gfi_reg_decode(GFI_T_F64, GFI_ORDER_CDAB, w, &got), GFI_OK);
	assert_true(got == 0.1);
}

static void float_encode_refuses_finite_values_beyond_float_range(void **state)
{
	uint16_t w[4];

	(void)state;
	assert_int_equal(gfi_reg_encode(GFI_T_F32, GFI_ORDER_ABCD, 1e39, w),
			 GFI_E_RANGE);
	assert_int_equal(gfi_reg_encode(GFI_T_F32, GFI_ORDER_ABCD, -1e39, w),
			 GFI_E_RANGE);
	assert_int_equal(gfi_reg_encode(GFI_T_F64, GFI_ORDER_ABCD, 1e39, w),
			 GFI_OK);
}

static void nan_and_infinity_encode_for_the_simulator_but_never_decode(void **state)
{
	const double specials[] = { NAN, INFINITY, -INFINITY };
	uint16_t w[4];
	double got = 42;

	(void)state;
	for (size_t i = 0; i < NELEM(specials); i++) {
		for (size_t o = 0; o < NELEM(all_orders); o++) {
			assert_int_equal(gfi_reg_encode(GFI_T_F32, all_orders[o],
							specials[i], w), GFI_OK);
			assert_int_equal(gfi_reg_decode(GFI_T_F32, all_orders[o],
							w, &got), GFI_E_RANGE);
			assert_int_equal(gfi_reg_encode(GFI_T_F64, all_orders[o],
							specials[i], w), GFI_OK);
			assert_int_equal(gfi_reg_decode(GFI_T_F64, all_orders[o],
							w, &got), GFI_E_RANGE);
		}
	}
	assert_true(got == 42); /* untouched on error */
}

static void a_bool_is_one_bit_and_any_set_value_reads_as_one(void **state)
{
	uint16_t w[1] = { 0 };
	double got;

	(void)state;
	assert_int_equal(gfi_reg_encode(GFI_T_BOOL, GFI_ORDER_ABCD, 1, w), GFI_OK);
	assert_int_equal(w[0], 1);
	w[0] = 0xff;
	assert_int_equal(gfi_reg_decode(GFI_T_BOOL, GFI_ORDER_DCBA, w, &got), GFI_OK);
	assert_true(got == 1.0);
	w[0] = 0;
	assert_int_equal(gfi_reg_decode(GFI_T_BOOL, GFI_ORDER_ABCD, w, &got), GFI_OK);
	assert_true(got == 0.0);
}

static void invalid_arguments_are_refused(void **state)
{
	uint16_t w[4] = { 0 };
	double got;

	(void)state;
	assert_int_equal(gfi_reg_decode((enum gfi_regtype)99, GFI_ORDER_ABCD, w,
					&got), GFI_E_INVAL);
	assert_int_equal(gfi_reg_decode(GFI_T_U16, (enum gfi_order)7, w, &got),
			 GFI_E_INVAL);
	assert_int_equal(gfi_reg_decode(GFI_T_U16, GFI_ORDER_ABCD, NULL, &got),
			 GFI_E_INVAL);
	assert_int_equal(gfi_reg_encode(GFI_T_U16, GFI_ORDER_ABCD, 1, NULL),
			 GFI_E_INVAL);
	assert_string_equal(gfi_regtype_name((enum gfi_regtype)99), "?");
	assert_string_equal(gfi_order_name((enum gfi_order)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_vector_in_the_csv_decodes_and_encodes_back),
		cmocka_unit_test(names_parse_back_to_the_same_type_and_order),
		cmocka_unit_test(unknown_names_are_rejected),
		cmocka_unit_test(word_counts_and_maxima_match_the_types),
		cmocka_unit_test(exact_values_survive_encode_then_decode_in_every_order),
		cmocka_unit_test(integer_encode_rounds_to_nearest),
		cmocka_unit_test(integer_encode_refuses_values_the_type_cannot_hold),
		cmocka_unit_test(the_largest_64_bit_values_encode_and_decode),
		cmocka_unit_test(a_counter_above_2_53_reads_within_one_part_in_2_53),
		cmocka_unit_test(float_encode_stores_the_nearest_float),
		cmocka_unit_test(float_encode_refuses_finite_values_beyond_float_range),
		cmocka_unit_test(nan_and_infinity_encode_for_the_simulator_but_never_decode),
		cmocka_unit_test(a_bool_is_one_bit_and_any_set_value_reads_as_one),
		cmocka_unit_test(invalid_arguments_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

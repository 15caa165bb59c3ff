/*
 * test_text.c — common/text.c (strict UTF-8, scrubbing, echo) and the
 * strict JSON object keys of common/jsonutil.c.
 *
 * The UTF-8 verdicts were computed outside gfi: Python's strict decoder
 * (bytes.decode("utf-8"), which refuses overlong forms, surrogates and code
 * points above U+10FFFF) and then "no character below U+0020 nor U+007F".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "error.h"
#include "jsonutil.h"
#include "text.h"

struct utf8_case {
	const char *bytes;
	size_t len;
	int valid;
};

static const struct utf8_case utf8_cases[] = {
	{ "", 0, 1 },
	{ "\x70\x6c\x61\x69\x6e\x20\x61\x73\x63\x69\x69", 11, 1 },
	{ "\xe7\xbb\xbf\xe8\x89\xb2\xe5\xb7\xa5\xe5\x8e\x82", 12, 1 }, /* 绿色工厂 */
	{ "\xce\xa9\x6d\x65\x67\x61", 6, 1 },
	{ "\xf0\x9f\x98\x80", 4, 1 },
	{ "\xc0\xaf", 2, 0 },          /* overlong '/' */
	{ "\xc1\xbf", 2, 0 },
	{ "\xe0\x80\xaf", 3, 0 },
	{ "\xed\xa0\x80", 3, 0 },      /* surrogate U+D800 */
	{ "\xed\x9f\xbf", 3, 1 },
	{ "\xf4\x8f\xbf\xbf", 4, 1 },  /* U+10FFFF */
	{ "\xf4\x90\x80\x80", 4, 0 },  /* above U+10FFFF */
	{ "\xf5\x80\x80\x80", 4, 0 },
	{ "\xe7\xbb", 2, 0 },          /* cut short */
	{ "\x80", 1, 0 },
	{ "\x61\xff\x62", 3, 0 },
	{ "\x74\x61\x62\x09\x68\x65\x72\x65", 8, 0 },
	{ "\x6e\x65\x77\x0a\x6c\x69\x6e\x65", 8, 0 },
	{ "\x64\x65\x6c\x7f", 4, 0 },
	{ "\xc2\x85", 2, 1 },          /* U+0085 is C1: allowed */
};

static void utf8_verdicts_match_pythons_strict_decoder(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		const struct utf8_case *c = &utf8_cases[i];
		if (text_valid_n(c->bytes, c->len) != c->valid)
			fail_msg("case %zu: expected %d", i, c->valid);
	}
}

static void a_nul_inside_the_length_is_a_control_character(void **state)
{
	(void)state;
	assert_int_equal(text_valid_n("a\0b", 3), 0);
	assert_int_equal(text_valid("a"), 1);
}

static void scrub_turns_every_control_character_into_a_question_mark(void **state)
{
	char s[] = "a\nb\rc\x7f" "d\te";

	(void)state;
	text_scrub(s);
	assert_string_equal(s, "a?b?c?d?e");
}

static void echo_cuts_marks_and_scrubs(void **state)
{
	char out[32];

	(void)state;
	text_echo("abcdef", 3, out, sizeof(out));
	assert_string_equal(out, "abc...");
	text_echo("a\nb", 10, out, sizeof(out));
	assert_string_equal(out, "a?b");
	text_echo("abcdefghij", 100, out, 8);
	assert_string_equal(out, "abcd...");
	assert_int_equal(strlen(out), 7);
}

static const char *const keys[] = { "a", "b", NULL };

static int check(const char *json, char *err, size_t errlen)
{
	cJSON *o = cJSON_Parse(json);
	int rc;

	assert_non_null(o);
	rc = gfi_json_check_keys(o, "x", keys, err, errlen);
	cJSON_Delete(o);
	return rc;
}

static void json_keys_refuse_unknown_and_repeated_keys(void **state)
{
	char err[128];

	(void)state;
	assert_int_equal(check("{\"a\":1,\"b\":2}", err, sizeof(err)), GFI_OK);
	assert_int_equal(check("{\"a\":1,\"c\":2}", err, sizeof(err)), GFI_E_INVAL);
	assert_string_equal(err, "x.c: unknown key");
	assert_int_equal(check("{\"a\":1,\"b\":2,\"a\":3}", err, sizeof(err)), GFI_E_INVAL);
	assert_string_equal(err, "x.a: duplicate key");
}

static void count_bad(void *ctx, const char *key, int duplicate)
{
	int *n = ctx;

	(void)key;
	n[duplicate]++;
}

static void json_bad_keys_reports_each_one(void **state)
{
	cJSON *o = cJSON_Parse("{\"a\":1,\"z\":1,\"a\":2,\"a\":3,\"y\":0}");
	int n[2] = { 0, 0 };

	(void)state;
	assert_int_equal(gfi_json_bad_keys(o, keys, count_bad, n), 4);
	assert_int_equal(n[0], 2);
	assert_int_equal(n[1], 2);
	cJSON_Delete(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(utf8_verdicts_match_pythons_strict_decoder),
		cmocka_unit_test(a_nul_inside_the_length_is_a_control_character),
		cmocka_unit_test(scrub_turns_every_control_character_into_a_question_mark),
		cmocka_unit_test(echo_cuts_marks_and_scrubs),
		cmocka_unit_test(json_keys_refuse_unknown_and_repeated_keys),
		cmocka_unit_test(json_bad_keys_reports_each_one),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

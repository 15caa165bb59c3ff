/*
 * test_log.c — common/log.c: every control character of a message is
 * escaped as \xNN, so one message is one line whatever it carries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static void newline_and_friends_become_hex(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(gfi_log_escape("GET /a\nforged\r\t\x1b[31m\x7f", out,
					sizeof(out)), 36);
	assert_string_equal(out, "GET /a\\x0aforged\\x0d\\x09\\x1b[31m\\x7f");
}

static void utf8_and_printable_text_pass_unchanged(void **state)
{
	const char *text = "unit=\xe7\xbb\xbf\xe8\x89\xb2 path=/api/v1/units?x=1 \\n";
	char out[64];

	(void)state;
	gfi_log_escape(text, out, sizeof(out));
	assert_string_equal(out, text);
}

static void a_cut_never_splits_an_escape(void **state)
{
	char out[8];

	(void)state;
	/* "ab" + "\x0a" would need 6 bytes and the NUL: 7 fit, the next
	 * escape does not, so the output stops before it. */
	assert_int_equal(gfi_log_escape("ab\n\n", out, sizeof(out)), 6);
	assert_string_equal(out, "ab\\x0a");
	assert_int_equal(gfi_log_escape("abc", out, 1), 0);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(newline_and_friends_become_hex),
		cmocka_unit_test(utf8_and_printable_text_pass_unchanged),
		cmocka_unit_test(a_cut_never_splits_an_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

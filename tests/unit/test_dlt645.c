/*
 * test_dlt645.c — the DL/T 645-2007 codec against the standard's model.
 *
 * tests/data/dlt645_vectors.csv is written by tests/tools/dlt645_model.py,
 * an independent Python model of the standard; one test reads every row
 * (requests, normal, address and error replies, BCD formats with the sign
 * bit, byte streams with garbage) and checks the C codec builds the same
 * bytes and decodes the same values. The other tests cover what rows say
 * badly: encode ranges, address and identifier text, a frame cut anywhere.
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

#include "dlt645.h"
#include "error.h"
#include "fixture.h"

#define MAX_FIELDS 8

static void assert_frame_bytes(const uint8_t *got, size_t n, const char *hex,
			       unsigned lineno)
{
	uint8_t want[DLT645_FRAME_MAX];
	size_t wn = fixture_unhex(hex, want, sizeof(want));

	if (n != wn || memcmp(got, want, n) != 0)
		fail_msg("line %u: built frame differs from %s", lineno, hex);
}

/* Scan a whole wire frame and return it, checking nothing is left over. */
static void scan_whole(const char *hex, struct dlt645_frame *f, unsigned lineno)
{
	uint8_t buf[DLT645_FRAME_MAX];
	size_t n = fixture_unhex(hex, buf, sizeof(buf)), used = 0;

	if (dlt645_scan(buf, n, f, &used, NULL) != DLT645_SCAN_FRAME || used != n)
		fail_msg("line %u: frame %s not scanned whole", lineno, hex);
}

static void check_read(char **v, unsigned lineno)
{
	uint8_t addr[DLT645_ADDR_LEN], out[DLT645_FRAME_MAX];
	uint32_t di;

	assert_int_equal(dlt645_addr_parse(v[1], addr), GFI_OK);
	assert_int_equal(dlt645_di_parse(v[2], &di), GFI_OK);
	assert_frame_bytes(out, dlt645_build_read(addr, di, out, sizeof(out)),
			   v[3], lineno);
}

static void check_reply(char **v, unsigned lineno)
{
	struct dlt645_format fmt;
	struct dlt645_frame f;
	uint8_t addr[DLT645_ADDR_LEN], data[4 + 8], out[DLT645_FRAME_MAX];
	uint32_t di;
	double want = strtod(v[5], NULL), got;

	assert_int_equal(dlt645_addr_parse(v[1], addr), GFI_OK);
	assert_int_equal(dlt645_di_parse(v[2], &di), GFI_OK);
	assert_int_equal(dlt645_format_parse(v[3], atoi(v[4]), &fmt), GFI_OK);
	scan_whole(v[6], &f, lineno);
	assert_memory_equal(f.addr, addr, DLT645_ADDR_LEN);
	assert_int_equal(f.control, DLT645_C_READ | DLT645_C_REPLY);
	assert_int_equal(f.len, 4 + fmt.bytes);
	assert_int_equal(f.data[0] | f.data[1] << 8 | f.data[2] << 16 |
			 (uint32_t)f.data[3] << 24, di);
	assert_int_equal(dlt645_bcd_decode(&fmt, f.data + 4, &got), GFI_OK);
	if (got != want)
		fail_msg("line %u: decoded %.17g, want %s", lineno, got, v[5]);
	/* The simulator's side: encoding the value gives the same frame. */
	memcpy(data, f.data, 4);
	assert_int_equal(dlt645_bcd_encode(&fmt, want, data + 4), GFI_OK);
	assert_frame_bytes(out, dlt645_build(addr, f.control, data, f.len, out,
					     sizeof(out)), v[6], lineno);
	assert_true(dlt645_representable(&fmt, want) == want);
}

static void check_addr_reply(char **v, unsigned lineno)
{
	struct dlt645_frame f;
	char text[DLT645_ADDR_DIGITS + 1];

	scan_whole(v[2], &f, lineno);
	assert_int_equal(f.control, DLT645_C_READ_ADDR | DLT645_C_REPLY);
	assert_int_equal(f.len, DLT645_ADDR_LEN);
	dlt645_addr_format(f.data, text);
	assert_string_equal(text, v[1]);
	dlt645_addr_format(f.addr, text);
	assert_string_equal(text, v[1]);
}

static void check_error(char **v, unsigned lineno)
{
	struct dlt645_frame f;
	char text[DLT645_ADDR_DIGITS + 1];

	scan_whole(v[3], &f, lineno);
	assert_int_equal(f.control, DLT645_C_READ | DLT645_C_REPLY | DLT645_C_ERROR);
	assert_int_equal(f.len, 1);
	assert_int_equal(f.data[0], strtoul(v[2], NULL, 16));
	dlt645_addr_format(f.addr, text);
	assert_string_equal(text, v[1]);
}

static void check_bcd(char **v, unsigned lineno)
{
	struct dlt645_format fmt;
	uint8_t data[8];
	double got = 0;
	size_t n = fixture_unhex(v[3], data, sizeof(data));
	int rc;

	assert_int_equal(dlt645_format_parse(v[1], atoi(v[2]), &fmt), GFI_OK);
	assert_int_equal(n, fmt.bytes);
	rc = dlt645_bcd_decode(&fmt, data, &got);
	if (strcmp(v[4], "error") == 0) {
		if (rc != GFI_E_RANGE)
			fail_msg("line %u: %s decoded to %g, want an error", lineno,
				 v[3], got);
	} else if (rc != GFI_OK || got != strtod(v[4], NULL)) {
		fail_msg("line %u: %s decoded to %.17g (rc %d), want %s", lineno,
			 v[3], got, rc, v[4]);
	}
}

static void check_scan(char **v, unsigned lineno)
{
	uint8_t buf[512];
	struct dlt645_frame f;
	size_t n = fixture_unhex(v[1], buf, sizeof(buf)), used = 0, want_used;
	char addr[DLT645_ADDR_DIGITS + 1], data[64];
	unsigned control;
	int rc = dlt645_scan(buf, n, &f, &used, NULL);

	if (strncmp(v[2], "need ", 5) == 0) {
		assert_int_equal(rc, DLT645_SCAN_NEED);
		assert_int_equal(used, strtoul(v[2] + 5, NULL, 10));
		return;
	}
	if (sscanf(v[2], "frame %12s %x %63s %zu", addr, &control, data,
		   &want_used) != 4)
		fail_msg("line %u: bad scan row", lineno);
	assert_int_equal(rc, DLT645_SCAN_FRAME);
	assert_int_equal(used, want_used);
	assert_int_equal(f.control, control);
	{
		uint8_t want[64];
		size_t wn = fixture_unhex(data, want, sizeof(want));
		char text[DLT645_ADDR_DIGITS + 1];
		assert_int_equal(f.len, wn);
		assert_memory_equal(f.data, want, wn);
		dlt645_addr_format(f.addr, text);
		assert_string_equal(text, addr);
	}
}

static void every_vector_of_the_python_model_matches(void **state)
{
	static const char *const kinds[] = { "read", "reply", "addrreply",
					     "error", "bcd", "scan" };
	FILE *fp = fixture_test_data("dlt645_vectors.csv");
	unsigned lineno = 0, counts[6] = { 0 };
	char line[1024];

	(void)state;
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *v[MAX_FIELDS] = { 0 }, *save = NULL;
		size_t nf = 0;
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (char *t = strtok_r(line, ",", &save); t && nf < MAX_FIELDS;
		     t = strtok_r(NULL, ",", &save))
			v[nf++] = t;
		if (strcmp(v[0], "readaddr") == 0) {
			uint8_t out[DLT645_FRAME_MAX];
			assert_frame_bytes(out, dlt645_build_read_addr(out, sizeof(out)),
					   v[1], lineno);
			continue;
		}
		void (*const fns[6])(char **, unsigned) = {
			check_read, check_reply, check_addr_reply, check_error,
			check_bcd, check_scan,
		};
		size_t k = 0;
		while (k < 6 && strcmp(v[0], kinds[k]) != 0)
			k++;
		if (k == 6)
			fail_msg("line %u: unknown row kind %s", lineno, v[0]);
		fns[k](v, lineno);
		counts[k]++;
	}
	fclose(fp);
	for (size_t k = 0; k < 6; k++)
		if (counts[k] == 0)
			fail_msg("no %s rows", kinds[k]);
	assert_true(counts[1] >= 15);
}

static void a_frame_arriving_byte_by_byte_is_found_only_when_whole(void **state)
{
	uint8_t addr[DLT645_ADDR_LEN], buf[DLT645_FRAME_MAX];
	struct dlt645_frame f;
	size_t n, used;

	(void)state;
	assert_int_equal(dlt645_addr_parse("000000000042", addr), GFI_OK);
	n = dlt645_build_read(addr, 0x02030000, buf, sizeof(buf));
	for (size_t have = 0; have < n; have++) {
		assert_int_equal(dlt645_scan(buf, have, &f, &used, NULL),
				 DLT645_SCAN_NEED);
		/* The preamble is garbage; the frame start is kept. */
		assert_true(used <= DLT645_PREAMBLE_LEN);
	}
	assert_int_equal(dlt645_scan(buf, n, &f, &used, NULL), DLT645_SCAN_FRAME);
	assert_int_equal(used, n);
	assert_int_equal(f.control, DLT645_C_READ);
}

static void a_wrong_checksum_is_counted_and_skipped(void **state)
{
	uint8_t addr[DLT645_ADDR_LEN], buf[DLT645_FRAME_MAX];
	struct dlt645_frame f;
	size_t n, used = 99;
	unsigned bad = 0;

	(void)state;
	assert_int_equal(dlt645_addr_parse("000000000001", addr), GFI_OK);
	n = dlt645_build_read(addr, 0x00010000, buf, sizeof(buf));
	buf[n - 2] ^= 0x10;
	assert_int_equal(dlt645_scan(buf, n, &f, &used, &bad), DLT645_SCAN_NEED);
	assert_int_equal(bad, 1);
	assert_int_equal(used, n);
}

static void encoding_refuses_what_the_format_cannot_hold(void **state)
{
	struct dlt645_format fmt;
	uint8_t data[8];

	(void)state;
	assert_int_equal(dlt645_format_parse("XX.XXXX", 1, &fmt), GFI_OK);
	assert_int_equal(dlt645_bcd_encode(&fmt, 79.9999, data), GFI_OK);
	assert_int_equal(dlt645_bcd_encode(&fmt, 80.0, data), GFI_E_RANGE);
	assert_int_equal(dlt645_bcd_encode(&fmt, NAN, data), GFI_E_RANGE);
	assert_true(dlt645_representable(&fmt, 95.0) == 79.9999);
	assert_true(dlt645_representable(&fmt, -95.0) == -79.9999);
	assert_int_equal(dlt645_format_parse("XXXXXX.XX", 0, &fmt), GFI_OK);
	assert_int_equal(dlt645_bcd_encode(&fmt, -0.01, data), GFI_E_RANGE);
	assert_int_equal(dlt645_bcd_encode(&fmt, 1000000.0, data), GFI_E_RANGE);
	assert_true(dlt645_representable(&fmt, 12.345) == 12.35);
	assert_true(dlt645_representable(&fmt, -3) == 0);
}

static void texts_are_checked(void **state)
{
	struct dlt645_format fmt;
	uint8_t addr[DLT645_ADDR_LEN];
	uint32_t di;

	(void)state;
	assert_int_equal(dlt645_format_parse("XXX.X", 0, &fmt), GFI_OK);
	assert_int_equal(fmt.bytes, 2);
	assert_int_equal(fmt.decimals, 1);
	assert_int_equal(dlt645_format_parse("XXX", 0, &fmt), GFI_E_INVAL);
	assert_int_equal(dlt645_format_parse("XX..XX", 0, &fmt), GFI_E_INVAL);
	assert_int_equal(dlt645_format_parse("XX.", 0, &fmt), GFI_E_INVAL);
	assert_int_equal(dlt645_format_parse(".XX", 0, &fmt), GFI_E_INVAL);
	assert_int_equal(dlt645_format_parse("XXXXXXXXXXXXXXXXXX", 0, &fmt),
			 GFI_E_INVAL);
	assert_int_equal(dlt645_addr_parse("12345678901", addr), GFI_E_INVAL);
	assert_int_equal(dlt645_addr_parse("1234567890123", addr), GFI_E_INVAL);
	assert_int_equal(dlt645_addr_parse("12345678901A", addr), GFI_E_INVAL);
	assert_int_equal(dlt645_di_parse("0001000", &di), GFI_E_INVAL);
	assert_int_equal(dlt645_di_parse("0001000G", &di), GFI_E_INVAL);
	assert_int_equal(dlt645_di_parse("0201ff00", &di), GFI_OK);
	assert_int_equal(di, 0x0201FF00);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_vector_of_the_python_model_matches),
		cmocka_unit_test(a_frame_arriving_byte_by_byte_is_found_only_when_whole),
		cmocka_unit_test(a_wrong_checksum_is_counted_and_skipped),
		cmocka_unit_test(encoding_refuses_what_the_format_cannot_hold),
		cmocka_unit_test(texts_are_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

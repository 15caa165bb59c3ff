/*
 * test_rtuframe.c — the RTU stream framer against an independent model.
 *
 * tests/data/rtuframe_vectors.csv is written by tests/tools/rtu_model.py
 * (Python stdlib, table-driven CRC, written from the Modbus serial line
 * spec); one test reads every row (CRCs, read requests, byte streams with
 * garbage, cut frames, stale replies, bad CRCs, exceptions, heartbeats)
 * and checks the C framer gives the same bytes and the same findings.
 * The others pin what rows say badly: a reply arriving byte by byte, and
 * a stale reply to an earlier request never taken for the current one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "rtuframe.h"

#define MAX_FIELDS 8

static void tohex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

static void check_crc(char **v, unsigned lineno)
{
	uint8_t buf[128];
	size_t n = fixture_unhex(v[1], buf, sizeof(buf));
	unsigned want;

	assert_int_equal(sscanf(v[2], "%x", &want), 1);
	if (rtu_crc16(buf, n) != want)
		fail_msg("line %u: crc %04x, model %04x", lineno, rtu_crc16(buf, n), want);
}

static void check_read(char **v, unsigned lineno)
{
	uint8_t req[RTU_REQ_LEN];
	char hex[2 * RTU_REQ_LEN + 1];

	rtu_build_read(req, (uint8_t)atoi(v[1]), (uint8_t)atoi(v[2]),
		       (uint16_t)atoi(v[3]), (uint16_t)atoi(v[4]));
	tohex(req, sizeof(req), hex);
	if (strcmp(hex, v[5]) != 0)
		fail_msg("line %u: request %s, model %s", lineno, hex, v[5]);
}

static void check_scan(char **v, unsigned lineno)
{
	uint8_t buf[2 * RTU_ADU_MAX];
	char got[2 * RTU_ADU_MAX + 32], hex[2 * RTU_ADU_MAX + 1];
	size_t n = fixture_unhex(v[4], buf, sizeof(buf));
	struct rtu_reply r;
	enum rtu_scan_result rc = rtu_scan_reply(buf, n, (uint8_t)atoi(v[1]),
						 (uint8_t)atoi(v[2]),
						 (uint16_t)atoi(v[3]), &r);

	if (rc == RTU_SCAN_REPLY) {
		tohex(r.data, r.ndata, hex);
		snprintf(got, sizeof(got), "reply %s %zu", hex, r.used);
	} else if (rc == RTU_SCAN_EXCEPTION) {
		snprintf(got, sizeof(got), "exception %d %zu", r.code, r.used);
	} else {
		snprintf(got, sizeof(got), "need %zu", r.drop);
	}
	if (strcmp(got, v[5]) != 0)
		fail_msg("line %u: scanned \"%s\", model \"%s\"", lineno, got, v[5]);
}

static void check_strip(char **v, unsigned lineno)
{
	uint8_t pat[64], buf[256];
	char hex[513];
	size_t pn = fixture_unhex(v[1], pat, sizeof(pat));
	size_t n = fixture_unhex(v[2] ? v[2] : "", buf, sizeof(buf));

	n = rtu_strip(buf, n, pat, pn);
	tohex(buf, n, hex);
	if (strcmp(hex, v[3] ? v[3] : "") != 0)
		fail_msg("line %u: stripped %s, model %s", lineno, hex, v[3]);
}

/* Split a CSV row keeping empty fields (strtok would merge them). */
static size_t split(char *line, char **v)
{
	size_t nf = 0;

	v[nf++] = line;
	for (char *c = line; *c != '\0' && nf < MAX_FIELDS; c++) {
		if (*c == ',') {
			*c = '\0';
			v[nf++] = c + 1;
		}
	}
	return nf;
}

static void every_vector_of_the_python_model_matches(void **state)
{
	static const char *const kinds[] = { "crc", "read", "scan", "strip" };
	void (*const fns[4])(char **, unsigned) = { check_crc, check_read,
						     check_scan, check_strip };
	FILE *fp = fixture_test_data("rtuframe_vectors.csv");
	unsigned lineno = 0, counts[4] = { 0 };
	char line[2048];

	(void)state;
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *v[MAX_FIELDS] = { 0 };
		size_t k = 0;
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		split(line, v);
		while (k < 4 && strcmp(v[0], kinds[k]) != 0)
			k++;
		if (k == 4)
			fail_msg("line %u: unknown row kind %s", lineno, v[0]);
		fns[k](v, lineno);
		counts[k]++;
	}
	fclose(fp);
	for (size_t k = 0; k < 4; k++)
		if (counts[k] == 0)
			fail_msg("no %s rows", kinds[k]);
	assert_true(counts[2] >= 50);
}

/* A reply with its CRC: 1 3 4 00 01 00 02. */
static size_t sample_reply(uint8_t *buf, uint8_t slave)
{
	uint8_t b[] = { slave, 3, 4, 0, 1, 0, 2, 0, 0 };
	uint16_t crc = rtu_crc16(b, 7);

	b[7] = (uint8_t)crc;
	b[8] = (uint8_t)(crc >> 8);
	memcpy(buf, b, sizeof(b));
	return sizeof(b);
}

static void a_reply_arriving_byte_by_byte_is_found_only_when_whole(void **state)
{
	uint8_t buf[16];
	size_t n = sample_reply(buf, 5);
	struct rtu_reply r;

	(void)state;
	for (size_t have = 0; have < n; have++) {
		assert_int_equal(rtu_scan_reply(buf, have, 5, 3, 2, &r), RTU_SCAN_NEED);
		assert_int_equal(r.drop, 0);
	}
	assert_int_equal(rtu_scan_reply(buf, n, 5, 3, 2, &r), RTU_SCAN_REPLY);
	assert_int_equal(r.used, n);
	assert_int_equal(r.ndata, 4);
	assert_int_equal(r.data[1], 1);
	assert_int_equal(r.data[3], 2);
}

static void a_reply_of_another_size_or_slave_is_never_the_answer(void **state)
{
	uint8_t buf[16];
	size_t n = sample_reply(buf, 5);
	struct rtu_reply r;

	(void)state;
	/* The stale reply of a 2-register read, asked now for 3 registers. */
	assert_int_equal(rtu_scan_reply(buf, n, 5, 3, 3, &r), RTU_SCAN_NEED);
	assert_int_equal(r.drop, n);
	/* Another slave's, or another function's. */
	assert_int_equal(rtu_scan_reply(buf, n, 6, 3, 2, &r), RTU_SCAN_NEED);
	assert_int_equal(rtu_scan_reply(buf, n, 5, 4, 2, &r), RTU_SCAN_NEED);
	/* A flipped data bit: the CRC refuses it and counts the refusal. */
	buf[4] ^= 0x10;
	assert_int_equal(rtu_scan_reply(buf, n, 5, 3, 2, &r), RTU_SCAN_NEED);
	assert_int_equal(r.rejected, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_vector_of_the_python_model_matches),
		cmocka_unit_test(a_reply_arriving_byte_by_byte_is_found_only_when_whole),
		cmocka_unit_test(a_reply_of_another_size_or_slave_is_never_the_answer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

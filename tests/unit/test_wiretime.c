/*
 * test_wiretime.c — a serial line's wire time per poll against hand counts,
 * and check-config's warning when it exceeds the meters' interval.
 *
 * Hand counts (frame sizes in agent/wiretime.c):
 *  - generic-dlt645, 14 points: each read is 20 bytes out and 20 + the
 *    value's bytes back; the values are 2x4 (energy) + 3x2 (voltage) +
 *    3x3 (current) + 4x3 (power) + 2 (power factor) + 2 (frequency) = 39
 *    bytes, so 14 x 40 + 39 = 599 bytes a poll; two meters at 2400 baud
 *    8E1 (11 bits): 1198 x 11 / 2400 = 5.4908 s.
 *  - eastron-sdm630 over RTU: 3 reads of 88, 26 and 38 registers
 *    (docs/profiles.md): 3 x (8 + 5) + 2 x 152 = 343 bytes; at 9600 8N1:
 *    343 x 10 / 9600 = 0.35729 s.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "wiretime.h"

static char path[] = "/tmp/gfi-test-wiretime-XXXXXX";
static char lines_seen[4][320];
static int nseen;

static void collect(void *ctx, const char *line)
{
	(void)ctx;
	if (nseen < 4)
		snprintf(lines_seen[nseen], sizeof(lines_seen[0]), "%s", line);
	nseen++;
}

/* Load a config with two generic-dlt645 meters at interval_s on a 2400
 * baud 645 line and one SDM630 on a 9600 baud Modbus line. */
static struct agent_config *load(int interval_s)
{
	const char *profiles = getenv("GFI_PROFILES");
	struct agent_config *cfg = NULL;
	int fd = mkstemp(path);
	FILE *f;

	assert_non_null(profiles);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "{\"gateway_id\": \"gw\", \"data_dir\": \"/tmp\", \"profiles_dir\": \"%s\","
		"\"lines\": [{\"id\": \"grid\", \"type\": \"rtu\", \"protocol\": \"dlt645\","
		" \"device\": \"/dev/ttyS8\"},"
		" {\"id\": \"bus\", \"type\": \"rtu\", \"device\": \"/dev/ttyS9\"}],"
		"\"meters\": ["
		"{\"id\": \"G1\", \"line\": \"grid\", \"address\": \"000000000001\","
		" \"profile\": \"generic-dlt645\", \"interval_s\": %d},"
		"{\"id\": \"G2\", \"line\": \"grid\", \"address\": \"000000000002\","
		" \"profile\": \"generic-dlt645\", \"interval_s\": 60},"
		"{\"id\": \"M1\", \"line\": \"bus\", \"slave\": 1,"
		" \"profile\": \"eastron-sdm630\", \"interval_s\": 1}]}", profiles, interval_s);
	fclose(f);
	assert_int_equal(config_load(path, &cfg, NULL, NULL), GFI_OK);
	unlink(path);
	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	return cfg;
}

static void wire_times_equal_the_hand_counts(void **state)
{
	struct agent_config *cfg = load(60);

	(void)state;
	assert_int_equal(wiretime_meter_bytes(&cfg->meters[0]), 599);
	assert_int_equal(wiretime_meter_bytes(&cfg->meters[2]), 343);
	assert_int_equal(wiretime_char_bits(&cfg->lines[0]), 11);  /* 8E1 */
	assert_int_equal(wiretime_char_bits(&cfg->lines[1]), 10);  /* 8N1 */
	assert_true(fabs(wiretime_line_s(cfg, 0) - 1198.0 * 11 / 2400) < 1e-9);
	assert_true(fabs(wiretime_line_s(cfg, 1) - 343.0 * 10 / 9600) < 1e-9);
	config_free(cfg);
}

static void a_line_slower_than_its_shortest_interval_is_warned_about(void **state)
{
	struct agent_config *cfg = load(5);   /* 5.49 s of wire > 5 s */

	(void)state;
	nseen = 0;
	assert_int_equal(wiretime_check(cfg, collect, NULL), 1);
	assert_string_equal(lines_seen[0], "warning: lines[0]: wire time 5.49 s per "
			    "poll of its 2 meters (frames x bytes x 11 bits / 2400 baud) "
			    "exceeds their shortest interval 5 s: polls will be late or "
			    "skipped");
	config_free(cfg);
	cfg = load(6);                        /* 5.49 s fits in 6 s */
	nseen = 0;
	assert_int_equal(wiretime_check(cfg, collect, NULL), 0);
	assert_int_equal(nseen, 0);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wire_times_equal_the_hand_counts),
		cmocka_unit_test(a_line_slower_than_its_shortest_interval_is_warned_about),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

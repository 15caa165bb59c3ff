/*
 * test_config_streams.c — the configuration of RTU-over-TCP and DTU lines
 * and of a meter's word order (issue 20).
 *
 * tests/data/configs/good/rtu-streams.json loads with every field where it
 * belongs: rtu-tcp host and port (DL/T 645 on one too), dtu-listen bind,
 * port, registration and heartbeat bytes from text and from hex, and a
 * word_order that changes the order of the meter's multi-register points
 * only (its profile, shared, keeps its own). The broken cases are rows of
 * tests/data/configs/bad/50-rtu-stream-lines.json (test_config).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "error.h"

static struct agent_config *load_good(void)
{
	char path[PATH_MAX];
	const char *src = getenv("GFI_SOURCE_DIR");
	struct agent_config *cfg = NULL;

	snprintf(path, sizeof(path), "%s/tests/data/configs/good/rtu-streams.json",
		 src ? src : ".");
	assert_int_equal(config_load(path, &cfg, NULL, NULL), GFI_OK);
	assert_non_null(cfg);
	return cfg;
}

static void stream_lines_load_with_their_fields(void **state)
{
	struct agent_config *cfg = load_good();
	const struct line_cfg *l = cfg->lines;

	(void)state;
	assert_int_equal(cfg->nlines, 4);
	assert_int_equal(l[0].type, LINE_RTU_TCP);
	assert_string_equal(l[0].host, "192.0.2.20");
	assert_int_equal(l[0].port, 4001);
	assert_int_equal(l[0].dlt645, 0);
	assert_int_equal(l[1].type, LINE_RTU_TCP);
	assert_int_equal(l[1].dlt645, 1);
	assert_int_equal(l[2].type, LINE_DTU);
	assert_string_equal(l[2].bind, "0.0.0.0");
	assert_int_equal(l[2].port, 9000);
	assert_int_equal(l[2].registration_len, 5);
	assert_memory_equal(l[2].registration, "DTU-A", 5);
	assert_int_equal(l[2].heartbeat_len, 3);
	assert_memory_equal(l[2].heartbeat, "\xfe\x00\xff", 3);
	assert_int_equal(l[3].registration_len, 2);
	assert_memory_equal(l[3].registration, "\x80\x01", 2);
	assert_int_equal(l[3].heartbeat_len, 0);
	assert_int_equal(cfg->meters[0].slave, 247);
	config_free(cfg);
}

static void word_order_changes_the_meters_points_not_the_profile(void **state)
{
	struct agent_config *cfg = load_good();
	const struct meter_cfg *m = config_meter(cfg, "S1");

	(void)state;
	assert_non_null(m);
	assert_non_null(m->own_points);
	assert_int_equal(m->npoints, 2);
	for (size_t i = 0; i < m->npoints; i++) {
		const struct gfi_point *orig = gfi_profile_point(m->profile,
								 m->points[i].pt->name);
		assert_true(m->points[i].pt != orig);
		assert_int_equal(m->points[i].pt->order, GFI_ORDER_CDAB);
		assert_int_equal(orig->order, GFI_ORDER_ABCD);
		assert_int_equal(m->points[i].pt->address, orig->address);
	}
	assert_null(config_meter(cfg, "A1")->own_points);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stream_lines_load_with_their_fields),
		cmocka_unit_test(word_order_changes_the_meters_points_not_the_profile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

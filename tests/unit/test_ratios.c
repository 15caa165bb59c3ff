/*
 * test_ratios.c — a meter's multiplier change becomes one counter event
 * per multiplied counter point, once, and survives restarts.
 *
 * A config with an ADL400 (energy points marked ct_pt, voltage pt) is
 * loaded with multiplier 1, then 200: the first poll after the change
 * with import_kwh = 24000 (the register 120 x 200) makes the event
 * old_final 120, new_initial 24000 at the reading's time; export_kwh,
 * which did not answer, makes none (logged); voltage is no counter.
 * Reopening with the same config makes nothing again.
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
#include "ratios.h"

#define T0 1767225600

static char dir[] = "/tmp/gfi-test-ratios-XXXXXX";
static char cfg_path[64];

static struct agent_config *load(const char *multiplier)
{
	struct agent_config *cfg = NULL;
	FILE *f = fopen(cfg_path, "w");

	assert_non_null(f);
	fprintf(f, "{\"gateway_id\": \"gw\", \"data_dir\": \"%s\", \"profiles_dir\": \"%s\","
		"\"lines\": [{\"id\": \"lan\", \"type\": \"tcp\", \"host\": \"192.0.2.1\"}],"
		"\"meters\": [{\"id\": \"E1\", \"line\": \"lan\", \"slave\": 1,"
		" \"profile\": \"acrel-adl400\", \"points\": [\"import_kwh\", \"export_kwh\","
		" \"v_l1\"]%s}]}", dir, getenv("GFI_PROFILES"), multiplier);
	fclose(f);
	assert_int_equal(config_load(cfg_path, &cfg, NULL, NULL), GFI_OK);
	return cfg;
}

static struct gfi_reading reading(const char *point, double v, int status)
{
	struct gfi_reading r = { .time_s = T0, .value = v, .status = status };

	snprintf(r.meter, sizeof(r.meter), "E1");
	snprintf(r.point, sizeof(r.point), "%s", point);
	return r;
}

static void a_change_of_multiplier_makes_one_event_per_counter(void **state)
{
	struct agent_config *cfg;
	struct ratios *r = NULL;
	struct gfi_batch_event ev[4];
	struct gfi_reading out[3];
	char err[256] = "";
	size_t n = 9;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cfg_path, sizeof(cfg_path), "%s/agent.json", dir);
	cfg = load("");                              /* first start, multiplier 1 */
	assert_int_equal(ratios_open(cfg, &r, err, sizeof(err)), GFI_OK);
	assert_false(ratios_pending(r, 0));
	out[0] = reading("import_kwh", 120, GFI_ST_OK);
	out[1] = reading("export_kwh", 3, GFI_ST_OK);
	out[2] = reading("v_l1", 230, GFI_ST_OK);
	assert_int_equal(ratios_after_poll(r, 0, out), 0);
	ratios_close(r);
	config_free(cfg);

	cfg = load(", \"multiplier\": 200");         /* the CTs were changed */
	assert_int_equal(ratios_open(cfg, &r, err, sizeof(err)), GFI_OK);
	assert_true(ratios_pending(r, 0));
	out[0] = reading("import_kwh", 24000, GFI_ST_OK);
	out[1] = reading("export_kwh", NAN, GFI_ST_TIMEOUT);
	out[2] = reading("v_l1", 230, GFI_ST_OK);
	assert_int_equal(ratios_after_poll(r, 0, out), 1);
	assert_false(ratios_pending(r, 0));
	assert_int_equal(ratios_events(r, ev, 4, &n), GFI_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].id, 1);
	assert_string_equal(ev[0].meter, "E1");
	assert_string_equal(ev[0].point, "import_kwh");
	assert_int_equal(ev[0].time_s, T0);
	assert_true(ev[0].old_final == 120);
	assert_true(ev[0].new_initial == 24000);
	ratios_close(r);

	/* A restart with the same config: the change is not made again. */
	assert_int_equal(ratios_open(cfg, &r, err, sizeof(err)), GFI_OK);
	assert_false(ratios_pending(r, 0));
	assert_int_equal(ratios_after_poll(r, 0, out), 0);
	assert_int_equal(ratios_events(r, ev, 4, &n), GFI_OK);
	assert_int_equal(n, 1);
	assert_true(ev[0].old_final == 120);
	ratios_close(r);
	config_free(cfg);
	cfg = load("");                              /* and back to 1: id 2 */
	assert_int_equal(ratios_open(cfg, &r, err, sizeof(err)), GFI_OK);
	out[0] = reading("import_kwh", 130, GFI_ST_OK);
	assert_int_equal(ratios_after_poll(r, 0, out), 1);
	assert_int_equal(ratios_events(r, ev, 4, &n), GFI_OK);
	assert_int_equal(n, 2);
	assert_int_equal(ev[1].id, 2);
	assert_true(ev[1].old_final == 26000 && ev[1].new_initial == 130);
	/* The uplink stored event 1 in a batch: only 2 stays, also on disk. */
	assert_int_equal(ratios_events_taken(r, 1), GFI_OK);
	ratios_close(r);
	assert_int_equal(ratios_open(cfg, &r, err, sizeof(err)), GFI_OK);
	assert_int_equal(ratios_events(r, ev, 4, &n), GFI_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].id, 2);
	ratios_close(r);
	config_free(cfg);
	unlink(cfg_path);
	snprintf(cfg_path, sizeof(cfg_path), "%s/multipliers.json", dir);
	unlink(cfg_path);
	rmdir(dir);
}

static void a_damaged_state_file_is_named(void **state)
{
	char d[] = "/tmp/gfi-test-ratios-XXXXXX", f[64], c[64];
	struct agent_config *cfg;
	struct ratios *r = NULL;
	char err[512] = "";
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(d));
	memcpy(dir, d, sizeof(d));
	snprintf(cfg_path, sizeof(cfg_path), "%s/agent.json", dir);
	snprintf(f, sizeof(f), "%s/multipliers.json", dir);
	fp = fopen(f, "w");
	assert_non_null(fp);
	fputs("{\"meters\": 3}", fp);
	fclose(fp);
	cfg = load("");
	assert_int_equal(ratios_open(cfg, &r, err, sizeof(err)), GFI_E_PARSE);
	assert_null(r);
	assert_non_null(strstr(err, "multipliers.json"));
	config_free(cfg);
	snprintf(c, sizeof(c), "%s", cfg_path);
	unlink(c);
	unlink(f);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_change_of_multiplier_makes_one_event_per_counter),
		cmocka_unit_test(a_damaged_state_file_is_named),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

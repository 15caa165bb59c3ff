/*
 * test_config.c — the agent's config loader: good files load with the values
 * and defaults they promise; every broken file gives exactly its expected
 * error lines, kept as data in tests/data/configs/bad/expected.txt:
 *
 *   <file><TAB><expected line>      one row per line, in report order
 *
 * A file with several errors has several rows. In an expected line '*'
 * matches any run of characters (machine paths, errno text). Every *.json in
 * bad/ must have rows, and every row must name an existing file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "log.h"

/* ---- helpers ------------------------------------------------------------ */

struct lines {
	size_t n;
	char **v;
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));

	assert_non_null(v);
	l->v = v;
	l->v[l->n] = strdup(line);
	assert_non_null(l->v[l->n]);
	l->n++;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static const char *source_dir(void)
{
	const char *d = getenv("GFI_SOURCE_DIR");

	return d ? d : ".";
}

/* path = GFI_SOURCE_DIR/rel */
static void src_path(char *path, size_t len, const char *rel)
{
	int n = snprintf(path, len, "%s/%s", source_dir(), rel);

	assert_true(n > 0 && (size_t)n < len);
}

/* Load rel (under the source tree), expecting success and no report. */
static struct agent_config *load_ok(const char *rel)
{
	char path[PATH_MAX];
	struct agent_config *cfg = NULL;
	struct lines rep = { 0 };
	int rc;

	src_path(path, sizeof(path), rel);
	rc = config_load(path, &cfg, collect, &rep);
	for (size_t i = 0; i < rep.n; i++)
		print_error("%s: unexpected: %s\n", rel, rep.v[i]);
	assert_int_equal(rep.n, 0);
	assert_int_equal(rc, GFI_OK);
	assert_non_null(cfg);
	lines_free(&rep);
	return cfg;
}

/* Whether text matches pattern, where '*' matches any run of characters. */
static int glob_match(const char *pat, const char *text)
{
	const char *star = NULL, *resume = NULL;

	while (*text != '\0') {
		if (*pat == '*') {
			star = pat++;
			resume = text;
		} else if (*pat == *text) {
			pat++;
			text++;
		} else if (star != NULL) {
			pat = star + 1;
			text = ++resume;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const struct line_cfg *line_named(const struct agent_config *cfg,
					 const char *id)
{
	for (size_t i = 0; i < cfg->nlines; i++) {
		if (strcmp(cfg->lines[i].id, id) == 0)
			return &cfg->lines[i];
	}
	fail_msg("no line %s", id);
	return NULL;
}

static const struct meter_cfg *meter_named(const struct agent_config *cfg,
					   const char *id)
{
	const struct meter_cfg *m = config_meter(cfg, id);

	if (m == NULL)
		fail_msg("no meter %s", id);
	return m;
}

/* The meter's polled point named name, or NULL. */
static const struct meter_point *polled(const struct meter_cfg *m,
					const char *name)
{
	for (size_t i = 0; i < m->npoints; i++) {
		if (strcmp(m->points[i].pt->name, name) == 0)
			return &m->points[i];
	}
	return NULL;
}

/* Every profile a meter uses is one of cfg->profiles, none twice. */
static void assert_profiles_shared(const struct agent_config *cfg)
{
	for (size_t i = 0; i < cfg->nprofiles; i++) {
		for (size_t j = i + 1; j < cfg->nprofiles; j++)
			assert_string_not_equal(cfg->profiles[i]->id,
						cfg->profiles[j]->id);
	}
	for (size_t m = 0; m < cfg->nmeters; m++) {
		int found = 0;
		for (size_t i = 0; i < cfg->nprofiles; i++)
			found |= cfg->meters[m].profile == cfg->profiles[i];
		assert_true(found);
		assert_true(cfg->meters[m].line < cfg->nlines);
	}
}

/* Points in profile order: their addresses in the profile's points array
 * only grow. */
static void assert_profile_order(const struct meter_cfg *m)
{
	for (size_t i = 1; i < m->npoints; i++)
		assert_true(m->points[i - 1].pt < m->points[i].pt);
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Load path expecting failure rc and exactly the one line pattern. */
static void assert_one_error(const char *path, int rc_want, const char *pat)
{
	struct agent_config *cfg = (struct agent_config *)1;
	struct lines rep = { 0 };
	int rc = config_load(path, &cfg, collect, &rep);

	assert_int_equal(rc, rc_want);
	assert_null(cfg);
	assert_int_equal(rep.n, 1);
	if (!glob_match(pat, rep.v[0]))
		fail_msg("got \"%s\", want \"%s\"", rep.v[0], pat);
	lines_free(&rep);
}

/* ---- good configs ------------------------------------------------------- */

static void the_electricity_and_water_example_loads(void **state)
{
	struct agent_config *cfg =
		load_ok("firmware-config/examples/electricity-water.json");
	const struct line_cfg *lan, *rs;
	const struct meter_cfg *e01, *w01;
	const struct meter_point *imp;

	(void)state;
	assert_string_equal(cfg->gateway_id, "gw-acme-01");
	assert_string_equal(cfg->data_dir, "/var/lib/gfi-agent");
	assert_true(ends_with(cfg->profiles_dir, "/examples/../profiles"));
	assert_int_equal(cfg->profiles_dir[0], '/');
	assert_int_equal(cfg->log_level, GFI_LOG_NOTICE);
	assert_int_equal(cfg->queue_max_readings, 2000000);

	lan = line_named(cfg, "lan");
	assert_int_equal(lan->type, LINE_TCP);
	assert_string_equal(lan->host, "192.0.2.10");
	assert_int_equal(lan->port, 502);
	rs = line_named(cfg, "rs485-1");
	assert_int_equal(rs->type, LINE_RTU);
	assert_string_equal(rs->device, "/dev/ttyS1");
	assert_int_equal(rs->baud, 9600);
	assert_int_equal(rs->parity, 'N');
	assert_int_equal(rs->data_bits, 8);
	assert_int_equal(rs->stop_bits, 1);

	e01 = meter_named(cfg, "E01");
	assert_ptr_equal(&cfg->lines[e01->line], lan);
	assert_int_equal(e01->slave, 1);
	assert_string_equal(e01->profile->id, "eastron-sdm630");
	assert_int_equal(e01->interval_s, 60);
	assert_int_equal(e01->timeout_ms, 500);
	assert_int_equal(e01->retries, 1);
	assert_int_equal(e01->npoints, 4);
	assert_profile_order(e01);
	imp = polled(e01, "import_kwh");
	assert_non_null(imp);
	assert_true(imp->max_rate_per_h == 5000);
	assert_true(polled(e01, "p_total")->max_rate_per_h == 0);

	w01 = meter_named(cfg, "W01");
	assert_ptr_equal(&cfg->lines[w01->line], rs);
	assert_string_equal(w01->profile->id, "siemens-mag6000");
	assert_int_equal(w01->interval_s, 300);
	assert_int_equal(w01->npoints, w01->profile->npoints);
	assert_true(polled(w01, "total1_m3")->max_rate_per_h == 200);
	assert_profiles_shared(cfg);
	config_free(cfg);
}

static void the_gas_and_steam_example_loads(void **state)
{
	struct agent_config *cfg =
		load_ok("firmware-config/examples/gas-steam.json");
	const struct meter_cfg *s01;

	(void)state;
	assert_string_equal(cfg->gateway_id, "gw-dyeworks-01");
	assert_int_equal(cfg->log_level, GFI_LOG_INFO);
	assert_int_equal(cfg->queue_max_readings, 5000000);
	s01 = meter_named(cfg, "S01");
	assert_string_equal(s01->profile->id, "tactical-tfmvt222");
	assert_true(polled(s01, "total_t")->max_rate_per_h == 30);
	assert_profiles_shared(cfg);
	config_free(cfg);
}

/* Issue 19: DL/T 645 lines with their defaults, addresses, and the
 * multiplier as each point's factor (ct, pt or both, as the profile marks). */
static void the_dlt645_and_multiplier_example_loads(void **state)
{
	struct agent_config *cfg =
		load_ok("firmware-config/examples/dlt645-multiplier.json");
	const struct meter_cfg *inc, *dye, *cmp;
	const struct line_cfg *grid;

	(void)state;
	inc = meter_named(cfg, "INCOMER");
	dye = meter_named(cfg, "DYEHOUSE");
	cmp = meter_named(cfg, "COMPRESSOR");
	grid = &cfg->lines[inc->line];
	assert_true(grid->dlt645);
	assert_int_equal(grid->baud, 2400);
	assert_int_equal(grid->parity, 'E');
	assert_int_equal(grid->byte_timeout_ms, 500);
	assert_int_equal(inc->address[0], 0x01);   /* A0: last two digits */
	assert_int_equal(inc->address[5], 0x20);   /* A5: first two */
	assert_int_equal(inc->slave, -1);
	assert_true(polled(inc, "import_kwh")->factor == 8000);   /* ct 80 x pt 100 */
	assert_true(polled(inc, "p_total")->factor == 8000);
	assert_true(polled(inc, "i_l1")->factor == 80);
	assert_true(polled(inc, "v_l1")->factor == 100);
	assert_true(polled(dye, "import_kwh")->factor == 60);    /* multiplier = ct */
	assert_true(polled(cmp, "import_kwh")->factor == 30);    /* Modbus alike */
	assert_true(polled(cmp, "i_l1")->factor == 30);
	assert_false(cfg->lines[cmp->line].dlt645);
	assert_profiles_shared(cfg);
	config_free(cfg);
}

static void the_cems_example_loads(void **state)
{
	struct agent_config *cfg = load_ok("firmware-config/examples/cems.json");
	const struct meter_cfg *c01;
	const struct line_cfg *l;

	(void)state;
	assert_string_equal(cfg->gateway_id, "gw-cement-01");
	c01 = meter_named(cfg, "CEMS1");
	assert_string_equal(c01->profile->id, "sick-marsic300");
	assert_int_equal(c01->npoints, c01->profile->npoints);
	l = &cfg->lines[c01->line];
	assert_int_equal(l->type, LINE_TCP);
	assert_int_equal(l->port, 502);
	for (size_t i = 0; i < c01->npoints; i++)
		assert_true(c01->points[i].max_rate_per_h == 0);
	assert_profiles_shared(cfg);
	config_free(cfg);
}

static void a_minimal_config_gets_every_default(void **state)
{
	struct agent_config *cfg =
		load_ok("tests/data/configs/good/minimal.json");
	const struct line_cfg *tcp, *rtu;
	const struct meter_cfg *m;

	(void)state;
	assert_string_equal(cfg->data_dir, "/var/lib/gfi-agent");
	assert_int_equal(cfg->log_level, GFI_LOG_NOTICE);
	assert_int_equal(cfg->queue_max_readings, 2000000);
	tcp = line_named(cfg, "lan");
	assert_int_equal(tcp->port, 502);
	rtu = line_named(cfg, "bus");
	assert_int_equal(rtu->baud, 9600);
	assert_int_equal(rtu->parity, 'N');
	assert_int_equal(rtu->data_bits, 8);
	assert_int_equal(rtu->stop_bits, 1);
	m = meter_named(cfg, "M1");
	assert_int_equal(m->interval_s, 60);
	assert_int_equal(m->timeout_ms, 1000);
	assert_int_equal(m->retries, 1);
	/* No "points": every point of the profile, in its order. */
	assert_int_equal(m->npoints, m->profile->npoints);
	for (size_t i = 0; i < m->npoints; i++) {
		assert_ptr_equal(m->points[i].pt, &m->profile->points[i]);
		assert_true(m->points[i].max_rate_per_h == 0);
	}
	config_free(cfg);
}

static void relative_dirs_resolve_against_the_config_file(void **state)
{
	char dir[PATH_MAX], cwd[PATH_MAX], want[PATH_MAX + 32];
	struct agent_config *cfg = NULL;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	src_path(dir, sizeof(dir), "tests/data/configs");
	assert_int_equal(chdir(dir), 0);
	/* Loaded by a relative path from elsewhere: still absolute. */
	assert_int_equal(config_load("good/subset.json", &cfg, NULL, NULL),
			 GFI_OK);
	assert_int_equal(chdir(cwd), 0);
	snprintf(want, sizeof(want), "%s/good/state", dir);
	assert_string_equal(cfg->data_dir, want);
	assert_int_equal(cfg->profiles_dir[0], '/');
	assert_true(ends_with(cfg->profiles_dir,
			      "/good/../../../../firmware-config/profiles"));
	assert_string_equal(cfg->path, "good/subset.json");
	config_free(cfg);
}

static void a_profile_used_by_several_meters_is_loaded_once(void **state)
{
	struct agent_config *cfg =
		load_ok("tests/data/configs/good/subset.json");

	(void)state;
	assert_int_equal(cfg->nmeters, 3);
	assert_int_equal(cfg->nprofiles, 1);
	assert_ptr_equal(cfg->meters[0].profile, cfg->profiles[0]);
	assert_ptr_equal(cfg->meters[1].profile, cfg->profiles[0]);
	assert_ptr_equal(cfg->meters[2].profile, cfg->profiles[0]);
	config_free(cfg);
}

static void a_points_subset_is_polled_in_profile_order(void **state)
{
	struct agent_config *cfg =
		load_ok("tests/data/configs/good/subset.json");
	const struct meter_cfg *m = meter_named(cfg, "A1");

	(void)state;
	/* Listed as p_total, export_kwh, import_kwh. */
	assert_int_equal(m->npoints, 3);
	assert_string_equal(m->points[0].pt->name, "import_kwh");
	assert_string_equal(m->points[1].pt->name, "export_kwh");
	assert_string_equal(m->points[2].pt->name, "p_total");
	assert_true(m->points[0].max_rate_per_h == 800);
	assert_true(m->points[1].max_rate_per_h == 0.5);
	assert_true(m->points[2].max_rate_per_h == 0);
	/* A TCP unit id may be 0 or 255. */
	assert_int_equal(meter_named(cfg, "A2")->slave, 0);
	assert_int_equal(meter_named(cfg, "A3")->slave, 255);
	assert_int_equal(cfg->log_level, GFI_LOG_DEBUG);
	assert_int_equal(cfg->queue_max_readings, 1000);
	config_free(cfg);
}

static void config_meter_finds_a_meter_by_id(void **state)
{
	struct agent_config *cfg =
		load_ok("tests/data/configs/good/subset.json");

	(void)state;
	assert_ptr_equal(config_meter(cfg, "A2"), &cfg->meters[1]);
	assert_null(config_meter(cfg, "a2"));
	assert_null(config_meter(cfg, ""));
	assert_null(config_meter(NULL, "A2"));
	config_free(cfg);
}

static void config_free_accepts_null(void **state)
{
	(void)state;
	config_free(NULL);
}

/* ---- broken configs ----------------------------------------------------- */

struct expect {
	char file[128];
	struct lines want;
};

struct expect_set {
	size_t n;
	struct expect *v;
};

static void expect_set_free(struct expect_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		lines_free(&s->v[i].want);
	free(s->v);
}

/* Read expected.txt: rows of one file are consecutive. */
static void read_expected(const char *path, struct expect_set *set)
{
	FILE *f = fopen(path, "r");
	char row[1024];

	assert_non_null(f);
	while (fgets(row, sizeof(row), f) != NULL) {
		char *tab, *nl = strchr(row, '\n');
		struct expect *e;

		assert_non_null(nl);  /* no row longer than the buffer */
		*nl = '\0';
		if (row[0] == '\0' || row[0] == '#')
			continue;
		tab = strchr(row, '\t');
		if (tab == NULL)
			fail_msg("expected.txt: no tab in \"%s\"", row);
		*tab = '\0';
		e = set->n ? &set->v[set->n - 1] : NULL;
		if (e == NULL || strcmp(e->file, row) != 0) {
			for (size_t i = 0; i < set->n; i++) {
				if (strcmp(set->v[i].file, row) == 0)
					fail_msg("expected.txt: rows of %s are "
						 "not together", row);
			}
			e = realloc(set->v, (set->n + 1) * sizeof(*e));
			assert_non_null(e);
			set->v = e;
			e = &set->v[set->n++];
			memset(e, 0, sizeof(*e));
			assert_true(strlen(row) < sizeof(e->file));
			strcpy(e->file, row);
		}
		collect(&e->want, tab + 1);
	}
	fclose(f);
}

/* Load one broken file; print and count each mismatch. */
static int check_broken(const char *dir, const struct expect *e)
{
	char path[PATH_MAX];
	struct agent_config *cfg = NULL;
	struct lines got = { 0 };
	int bad = 0, rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, e->file) >= (int)sizeof(path)) {
		print_error("%s: path too long\n", e->file);
		return 1;
	}
	rc = config_load(path, &cfg, collect, &got);
	if (rc != GFI_E_INVAL || cfg != NULL) {
		print_error("%s: returned %d\n", e->file, rc);
		bad = 1;
	}
	for (size_t i = 0; i < got.n || i < e->want.n; i++) {
		const char *g = i < got.n ? got.v[i] : "(nothing)";
		const char *w = i < e->want.n ? e->want.v[i] : "(nothing)";
		if (i >= got.n || i >= e->want.n || !glob_match(w, g)) {
			print_error("%s: line %zu:\n  got  %s\n  want %s\n",
				    e->file, i + 1, g, w);
			bad = 1;
		}
	}
	config_free(cfg);
	lines_free(&got);
	return bad;
}

static void every_broken_config_gives_exactly_its_expected_errors(void **st)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct expect_set set = { 0 };
	int bad = 0;

	(void)st;
	src_path(dir, sizeof(dir), "tests/data/configs/bad");
	snprintf(path, sizeof(path), "%s/expected.txt", dir);
	read_expected(path, &set);
	assert_true(set.n >= 15);
	for (size_t i = 0; i < set.n; i++)
		bad += check_broken(dir, &set.v[i]);
	expect_set_free(&set);
	assert_int_equal(bad, 0);
}

static void every_broken_config_file_has_expected_lines(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct expect_set set = { 0 };
	struct dirent *de;
	size_t files = 0;
	DIR *d;

	(void)state;
	src_path(dir, sizeof(dir), "tests/data/configs/bad");
	snprintf(path, sizeof(path), "%s/expected.txt", dir);
	read_expected(path, &set);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		int found = 0;
		if (!ends_with(de->d_name, ".json"))
			continue;
		files++;
		for (size_t i = 0; i < set.n; i++)
			found |= strcmp(set.v[i].file, de->d_name) == 0;
		if (!found)
			fail_msg("%s has no rows in expected.txt", de->d_name);
	}
	closedir(d);
	assert_int_equal(files, set.n);
	expect_set_free(&set);
}

static void a_missing_file_is_an_io_error(void **state)
{
	char path[PATH_MAX];

	(void)state;
	src_path(path, sizeof(path), "tests/data/configs/no-such-file.json");
	assert_one_error(path, GFI_E_IO,
			 "*/no-such-file.json: cannot open: No such file or "
			 "directory");
}

static void a_file_over_one_mebibyte_is_refused(void **state)
{
	char path[] = "/tmp/gfi-test-config-XXXXXX";
	size_t len = CONFIG_MAX_BYTES + 1;
	char *big = malloc(len);
	int fd = mkstemp(path);

	(void)state;
	assert_non_null(big);
	assert_true(fd >= 0);
	close(fd);
	/* Valid JSON up to the limit: only the size is wrong. */
	memset(big, ' ', len);
	big[0] = '{';
	big[len - 1] = '}';
	write_file(path, big, len);
	free(big);
	assert_one_error(path, GFI_E_INVAL, "*: larger than 1048576 bytes");
	unlink(path);
}

static void a_path_longer_than_the_limit_is_refused(void **state)
{
	char path[CONFIG_PATH_MAX + 8];

	(void)state;
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_one_error(path, GFI_E_INVAL, "aaa*: path longer than 255 "
			 "characters");
}

static void a_config_cut_short_anywhere_fails_with_one_line(void **state)
{
	char src[PATH_MAX], tmp[] = "/tmp/gfi-test-config-XXXXXX";
	char *text = NULL;
	size_t len = 0, end;
	FILE *f;
	int fd;

	(void)state;
	src_path(src, sizeof(src), "firmware-config/examples/cems.json");
	f = fopen(src, "rb");
	assert_non_null(f);
	text = malloc(CONFIG_MAX_BYTES);
	assert_non_null(text);
	len = fread(text, 1, CONFIG_MAX_BYTES, f);
	fclose(f);
	end = len;
	while (end > 0 && text[end - 1] != '}')
		end--;
	assert_true(end > 0);
	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	close(fd);
	/* Every proper prefix of the object is broken JSON. */
	for (size_t n = 0; n < end; n++) {
		struct agent_config *cfg = NULL;
		struct lines rep = { 0 };

		write_file(tmp, text, n);
		assert_int_equal(config_load(tmp, &cfg, collect, &rep),
				 GFI_E_INVAL);
		assert_null(cfg);
		assert_int_equal(rep.n, 1);
		lines_free(&rep);
	}
	unlink(tmp);
	free(text);
}

static void a_broken_config_fails_without_a_report_function(void **state)
{
	char path[PATH_MAX];
	struct agent_config *cfg = NULL;

	(void)state;
	src_path(path, sizeof(path),
		 "tests/data/configs/bad/40-many-errors.json");
	assert_int_equal(config_load(path, &cfg, NULL, NULL), GFI_E_INVAL);
	assert_null(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_electricity_and_water_example_loads),
		cmocka_unit_test(the_gas_and_steam_example_loads),
		cmocka_unit_test(the_cems_example_loads),
		cmocka_unit_test(the_dlt645_and_multiplier_example_loads),
		cmocka_unit_test(a_minimal_config_gets_every_default),
		cmocka_unit_test(relative_dirs_resolve_against_the_config_file),
		cmocka_unit_test(a_profile_used_by_several_meters_is_loaded_once),
		cmocka_unit_test(a_points_subset_is_polled_in_profile_order),
		cmocka_unit_test(config_meter_finds_a_meter_by_id),
		cmocka_unit_test(config_free_accepts_null),
		cmocka_unit_test(every_broken_config_gives_exactly_its_expected_errors),
		cmocka_unit_test(every_broken_config_file_has_expected_lines),
		cmocka_unit_test(a_missing_file_is_an_io_error),
		cmocka_unit_test(a_file_over_one_mebibyte_is_refused),
		cmocka_unit_test(a_path_longer_than_the_limit_is_refused),
		cmocka_unit_test(a_config_cut_short_anywhere_fails_with_one_line),
		cmocka_unit_test(a_broken_config_fails_without_a_report_function),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz_agent_config.c — config_load on arbitrary bytes. config_load takes a
 * path, so each input is written to one file in a directory made once per
 * process ($TMPDIR/gfi-fuzz-config-XXXXXX) and removed at exit. That directory
 * also holds "profiles", a symlink to the firmware's profiles
 * (GFI_FUZZ_PROFILES, set by CMake), so a config with
 * "profiles_dir": "profiles" loads real profiles and reaches the meter
 * checks. Every error line reported must be a printable, bounded string.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

#ifndef GFI_FUZZ_PROFILES
#define GFI_FUZZ_PROFILES "/nonexistent"
#endif

static char dir[200], file[240], link_path[240];

static void cleanup_dir(void)
{
	unlink(file);
	unlink(link_path);
	rmdir(dir);
}

static int setup(void)
{
	if (fuzz_tmpdir(dir, sizeof(dir), "config") != 0)
		return -1;
	snprintf(file, sizeof(file), "%s/agent.json", dir);
	snprintf(link_path, sizeof(link_path), "%s/profiles", dir);
	if (symlink(GFI_FUZZ_PROFILES, link_path) != 0) {
		rmdir(dir);
		return -1;
	}
	atexit(cleanup_dir);
	return 0;
}

static void report(void *ctx, const char *line)
{
	size_t *n = ctx;

	if (strlen(line) > 4096)
		__builtin_trap();
	if (fuzz_verbose() && *n == 0)
		printf("%s\n", line);
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct agent_config *cfg = NULL;
	size_t nerr = 0;
	FILE *f;
	int rc;

	if (!ready) {
		if (setup() != 0)
			abort();
		ready = 1;
	}
	f = fopen(file, "wb");
	if (f == NULL)
		abort();
	if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	rc = config_load(file, &cfg, report, &nerr);
	if (rc == 0) {
		if (cfg == NULL || nerr != 0)
			__builtin_trap();
		if (fuzz_verbose())
			printf("ok: %zu meters\n", cfg->nmeters);
		(void)config_meter(cfg, "M1");
		config_free(cfg);
	} else if (cfg != NULL) {
		__builtin_trap();
	}
	return 0;
}

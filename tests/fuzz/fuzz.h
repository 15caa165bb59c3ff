/*
 * fuzz.h — the one entry point every fuzz target defines. libFuzzer calls
 * it with each generated input; replay.c calls it with each file of a
 * committed corpus, so every target also runs as a plain CTest test.
 * A target must never crash, hang, leak or keep state that changes how a
 * later input is handled (apart from caches set up once per process).
 */
#ifndef GFI_FUZZ_H
#define GFI_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* GFI_FUZZ_VERBOSE=1 in the environment: targets print what each input
 * got (status, first error line), to check that a seed reaches the code it
 * is meant for. */
static inline int fuzz_verbose(void)
{
	static int v = -1;

	if (v < 0)
		v = getenv("GFI_FUZZ_VERBOSE") != NULL;
	return v;
}

/* Make a fresh directory $TMPDIR/gfi-fuzz-<name>-XXXXXX (/tmp without
 * TMPDIR) into dir[0..n). libFuzzer ends a time-limited run without atexit
 * handlers, so runners point TMPDIR at a directory of their own and remove
 * it afterwards (run_fuzzer.cmake, bench/fuzz_long.sh). 0 or -1. */
static inline int fuzz_tmpdir(char *dir, size_t n, const char *name)
{
	const char *t = getenv("TMPDIR");
	int len;

	if (t == NULL || t[0] == '\0')
		t = "/tmp";
	len = snprintf(dir, n, "%s/gfi-fuzz-%s-XXXXXX", t, name);
	if (len < 0 || (size_t)len >= n)
		return -1;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

#endif

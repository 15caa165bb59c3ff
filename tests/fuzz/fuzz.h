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

#endif

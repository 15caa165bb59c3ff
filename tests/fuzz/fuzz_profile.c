/*
 * fuzz_profile.c — gfi_profile_parse on arbitrary bytes. Profiles ship with
 * the firmware, but an installer may drop their own into profiles_dir, and
 * the simulator loads them too. A parsed profile is exercised the way the
 * poller uses it: every point's width, a decode of zero words and a lookup
 * by name, then freed.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t words[4] = { 0, 0, 0, 0 };
	struct gfi_profile *p = NULL;
	char err[256];
	double v;
	size_t i;

	if (gfi_profile_parse((const char *)data, size, "fuzz", &p, err,
			      sizeof(err)) != 0) {
		if (fuzz_verbose())
			printf("%s\n", err);
		return 0;
	}
	if (fuzz_verbose())
		printf("ok: %zu points\n", p->npoints);
	for (i = 0; i < p->npoints; i++) {
		const struct gfi_point *pt = &p->points[i];

		if (gfi_point_width(pt) > 4)
			__builtin_trap();
		(void)gfi_point_decode(pt, words, &v);
		if (gfi_profile_point(p, pt->name) != pt)
			__builtin_trap();
	}
	gfi_profile_free(p);
	return 0;
}

/*
 * grow.c — array growth by doubling (grow.h). Invariant: on failure the
 * caller's array and capacity are untouched, so an append that runs out of
 * memory leaves what was appended before intact.
 */
#include "grow.h"

#include <stdint.h>
#include <stdlib.h>

void *gfi_grow(void *v, size_t *cap, size_t n, size_t elem, size_t first)
{
	size_t nc;
	void *nv;

	if (n < *cap)
		return v;
	nc = *cap ? *cap * 2 : first;
	if (nc <= n || elem == 0 || nc > SIZE_MAX / elem)
		return NULL;
	nv = realloc(v, nc * elem);
	if (nv != NULL)
		*cap = nc;
	return nv;
}

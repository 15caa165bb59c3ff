/*
 * grow.c — array growth by doubling (grow.h). Invariant: on failure the
 * caller's array and capacity are untouched, so an append that runs out of
 * memory leaves what was appended before intact; a struct gfi_rows is that
 * array with its row size and the error a listing callback cannot return.
 */
#include "grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

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

int gfi_rows_push(struct gfi_rows *r, const void *row)
{
	void *nv = gfi_grow(r->v, &r->cap, r->n, r->size, 16);

	if (nv == NULL) {
		r->err = GFI_E_NOMEM;
		return 1;
	}
	r->v = nv;
	memcpy((char *)nv + r->n++ * r->size, row, r->size);
	return 0;
}

int gfi_rows_collect(void *ctx, const void *row)
{
	return gfi_rows_push(ctx, row);
}

int gfi_rows_finish(struct gfi_rows *r, int ret)
{
	if (ret == GFI_OK)
		ret = r->err;
	if (ret != GFI_OK) {
		free(r->v);
		r->v = NULL;
		r->n = r->cap = 0;
	}
	return ret;
}

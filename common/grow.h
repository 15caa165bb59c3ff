/*
 * grow.h — the one way gfi grows an array it appends to: capacity doubles
 * (from a first size) when the array is full, so n appends cost O(n).
 */
#ifndef GFI_GROW_H
#define GFI_GROW_H

#include <stddef.h>

/* Room for element n of the array v (elem bytes each, *cap of them
 * allocated): v itself while n < *cap, else v reallocated to twice *cap
 * (first when *cap is 0) with *cap updated. NULL when out of memory or the
 * size would overflow; then v and *cap are unchanged and v still owned by
 * the caller. */
void *gfi_grow(void *v, size_t *cap, size_t n, size_t elem, size_t first);

/* Whole rows of size bytes collected from a listing: v holds n of them
 * (cap allocated, owned by the holder: free(v)); err is GFI_E_NOMEM once an
 * append failed. Start as GFI_ROWS(type) and read v as a type pointer. */
struct gfi_rows {
	void *v;
	size_t n, cap, size;
	int err;
};
#define GFI_ROWS(type) ((struct gfi_rows){ .size = sizeof(type) })

/* Append a copy of row to r: 0, or 1 with r->err set when out of memory
 * (a listing callback's "stop"). */
int gfi_rows_push(struct gfi_rows *r, const void *row);
/* A listing callback (ctx a struct gfi_rows) keeping every row. */
int gfi_rows_collect(void *ctx, const void *row);
/* The end of a listing into r that returned ret: ret, else r->err; when
 * that is an error the rows are freed and r left empty (v NULL, n 0). */
int gfi_rows_finish(struct gfi_rows *r, int ret);

#endif

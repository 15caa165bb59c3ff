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

#endif

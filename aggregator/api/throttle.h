/*
 * throttle.h — failed authentications counted per client address, so a
 * token cannot be guessed at network speed (docs/security.md, "HTTP").
 *
 * A token bucket per address: it holds per_min failures and refills at
 * per_min a minute; while it is empty the address is answered 429 with
 * Retry-After and its tokens are not even looked at. The table has a fixed
 * number of slots: a new address takes a free slot or the one used least
 * recently, so memory stays bounded whatever the number of addresses.
 * Thread-safe (one mutex); the clock is passed in (ms, any epoch).
 */
#ifndef GFI_AGG_THROTTLE_H
#define GFI_AGG_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define THROTTLE_ADDR_MAX 64       /* textual address with its NUL */

struct throttle;

/* A table of slots addresses allowing per_min failures a minute each
 * (both >= 1). GFI_OK or GFI_E_NOMEM; free with throttle_free. */
int throttle_new(int per_min, size_t slots, struct throttle **out);
void throttle_free(struct throttle *t);

/* 0 when addr may try a token now, else the whole seconds until it may
 * (for Retry-After, >= 1). */
int throttle_wait_s(struct throttle *t, const char *addr, int64_t now_ms);

/* Count one failed authentication from addr at now_ms. */
void throttle_fail(struct throttle *t, const char *addr, int64_t now_ms);

#endif

/*
 * api.h — the HTTP API's requests and answers, without the transport
 * (docs/api.md). http.c turns a libmicrohttpd request into a struct
 * api_request and sends back the struct api_response; tests call
 * api_handle directly with a store of their own. Inside api/: routes.c
 * (the route table), auth.c (tokens, scope, audit), reply.c and params.c
 * (answers, parameters, bodies), metrics.c and one api_*.c per resource.
 *
 * Every answer is JSON (except /metrics, CSV and XLSX downloads); every
 * refusal is {"error":"<field>: why"}. Authorisation: a bearer token whose
 * SHA-256 is in the store (store.h, "http"); a city token sees every unit,
 * a county token the units of its county, a unit token itself only; what a
 * token may not see does not exist for it (404, never 403).
 * Also the `gfi-aggregator token add|list|revoke` command (cmd/token.c).
 */
#ifndef GFI_AGG_API_H
#define GFI_AGG_API_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

#define API_PARAMS_MAX 16          /* query parameters per request */
#define API_TOKEN_BYTES 32         /* random bytes of a token */
#define API_TOKEN_HEX (2 * API_TOKEN_BYTES)

struct api_param {
	const char *key, *value;   /* decoded; borrowed */
};

struct api_request {
	const char *method;        /* "GET", "POST", ... */
	const char *path;          /* decoded path without the query */
	const struct api_param *params;
	size_t nparams;
	const char *authorization; /* the Authorization header, or NULL */
	const char *body;          /* request body (not NUL-terminated) */
	size_t body_len;
	int loopback;              /* the peer is 127.0.0.0/8 or ::1 */
	int64_t now_s;             /* the clock, UTC epoch s */
};

struct api_response {
	int status;                /* HTTP status */
	const char *content_type;  /* static string */
	char *body;                /* malloc'd; the caller frees with
				      api_response_free */
	size_t len;
	char filename[64];         /* non-empty: a download (Content-Disposition) */
	const char *allow;         /* 405: the methods allowed (Allow header) */
};

/* Answer req from store s (this thread's connection). Always fills *resp
 * (status 200..599); returns GFI_OK, or GFI_E_NOMEM when not even an error
 * body could be built (the transport then answers 500 by itself). */
int api_handle(struct store *s, const struct api_request *req,
	       struct api_response *resp);
void api_response_free(struct api_response *r);

/* A new random token as hex (hex[API_TOKEN_HEX + 1]) and its SHA-256 (what
 * the store keeps). GFI_OK or GFI_E_IO (no randomness). */
int api_token_new(char *hex, uint8_t hash[32]);

#endif

/*
 * store_http.h — the HTTP API's part of the store (store_http.c, migration
 * 4): bearer tokens (only their SHA-256 is kept) and the audit log.
 * Included by store.h.
 */
#ifndef GFI_AGG_STORE_HTTP_H
#define GFI_AGG_STORE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* A bearer token of the HTTP API. Only the SHA-256 of the token is stored;
 * the token itself is shown once, when made. role is "city", "county" or
 * "unit"; scope the county code (county), the credit code (unit) or ""
 * (city). revoked_s is 0 while the token is valid. */
struct store_token {
	int64_t id;
	char name[64];
	char role[8];
	char scope[STORE_CODE_LEN + 1];
	int64_t created_s;
	int64_t revoked_s;
};

/* Add token t (id ignored) with hash; *id (may be NULL) gets its id.
 * GFI_E_EXISTS when the name or hash is taken, GFI_E_DB. */
int store_token_add(struct store *s, const uint8_t hash[32],
		    const struct store_token *t, int64_t *id);
/* The token whose SHA-256 is hash, revoked or not. GFI_OK, GFI_E_NOTFOUND,
 * GFI_E_DB. */
int store_token_find(struct store *s, const uint8_t hash[32],
		     struct store_token *out);
/* Revoke the token called name at now_s. GFI_E_NOTFOUND (no such name),
 * GFI_E_STATE (already revoked), GFI_E_DB. */
int store_token_revoke(struct store *s, const char *name, int64_t now_s);
/* Every token by id; rows are struct store_token. */
int store_token_list(struct store *s, store_row_fn fn, void *ctx);

/* One audit row: who (a token name) did action ("alert.ack") on object
 * ("alert 12") at time_s, answered with HTTP status; detail may be "". */
struct store_audit {
	int64_t id;
	int64_t time_s;
	char who[64];
	char action[32];
	char object[96];
	int status;
	char detail[STORE_ALERT_TEXT_MAX];
};
int store_audit_add(struct store *s, const struct store_audit *a);
/* Every audit row by id; rows are struct store_audit. */
int store_audit_list(struct store *s, store_row_fn fn, void *ctx);

#endif

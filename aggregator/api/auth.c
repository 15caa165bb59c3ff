/*
 * auth.c — who asks and what they may see (api-private.h): bearer tokens,
 * their roles and scopes, and the audit of every change made through the
 * API.
 *
 * Invariants: a request is answered only after its token is found and not
 * revoked; every unit, gateway, alert, spot check or county it names is
 * checked against the token's scope here, and what is out of scope answers
 * 404 exactly like what does not exist, so a county cannot probe another
 * county's registry. Only the SHA-256 of a token is ever stored.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "api-private.h"
#include "error.h"
#include "log.h"
#include "registry.h"
#include "sign.h"

static int hex_value(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int api_token_new(char *hex, uint8_t hash[32])
{
	uint8_t raw[API_TOKEN_BYTES];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return GFI_E_IO;
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	gfi_sha256(hex, API_TOKEN_HEX, hash);
	/* The token is a secret; leave no copy of its bytes behind. */
	memset(raw, 0, sizeof(raw));
	__asm__ __volatile__("" : : "r"(raw) : "memory");
	return GFI_OK;
}

/* The SHA-256 of the token in header h, or a 401 answer. */
static int token_hash(struct api_ctx *c, const char *h, uint8_t hash[32])
{
	char low[API_TOKEN_HEX];
	const char *t;

	if (h == NULL)
		return api_fail(c, 401, "authorization: missing bearer token");
	if (strncasecmp(h, "Bearer ", 7) != 0)
		return api_fail(c, 401, "authorization: not a bearer token");
	t = h + 7;
	while (*t == ' ')
		t++;
	if (strlen(t) != API_TOKEN_HEX)
		return api_fail(c, 401, "authorization: invalid token");
	for (size_t i = 0; i < API_TOKEN_HEX; i++)
		if (hex_value((unsigned char)t[i]) < 0)
			return api_fail(c, 401, "authorization: invalid token");
	/* Tokens are printed lowercase; hash what was printed. */
	for (size_t i = 0; i < API_TOKEN_HEX; i++)
		low[i] = (char)tolower((unsigned char)t[i]);
	gfi_sha256(low, API_TOKEN_HEX, hash);
	return 0;
}

int api_authenticate(struct api_ctx *c)
{
	uint8_t hash[32];
	int rc;

	if (token_hash(c, c->req->authorization, hash))
		return -1;
	rc = store_token_find(c->s, hash, &c->tok);
	if (rc == GFI_E_NOTFOUND)
		return api_fail(c, 401, "authorization: invalid token");
	if (rc != GFI_OK)
		return api_fail_store(c, rc);
	if (c->tok.revoked_s != 0)
		return api_fail(c, 401, "authorization: token revoked");
	if (strcmp(c->tok.role, "city") == 0)
		c->role = API_CITY;
	else if (strcmp(c->tok.role, "county") == 0)
		c->role = API_COUNTY;
	else if (strcmp(c->tok.role, "unit") == 0)
		c->role = API_UNIT;
	else
		return api_fail(c, 401, "authorization: token has an unknown role");
	return 0;
}

int api_unit_visible(const struct api_ctx *c, const struct reg_unit *u)
{
	switch (c->role) {
	case API_CITY:
		return 1;
	case API_COUNTY:
		return strcmp(u->county, c->tok.scope) == 0;
	case API_UNIT:
		return strcmp(u->code, c->tok.scope) == 0;
	default:
		return 0;
	}
}

int api_visible_unit(struct api_ctx *c, const char *code, struct reg_unit *u)
{
	int rc;

	if (!registry_credit_code_valid(code))
		return api_fail(c, 404, "unit: %.32s not found", code);
	rc = store_unit_get(c->s, code, u);
	if (rc == GFI_E_NOTFOUND || (rc == GFI_OK && !api_unit_visible(c, u)))
		return api_fail(c, 404, "unit: %.32s not found", code);
	return rc == GFI_OK ? 0 : api_fail_store(c, rc);
}

int api_visible_gateway(struct api_ctx *c, const char *id, struct reg_gateway *g)
{
	struct reg_unit u;
	int rc = store_gateway_get(c->s, id, g);

	if (rc == GFI_OK)
		rc = store_unit_get(c->s, g->unit, &u);
	if (rc == GFI_E_NOTFOUND || (rc == GFI_OK && !api_unit_visible(c, &u)))
		return api_fail(c, 404, "gateway: %.32s not found", id);
	return rc == GFI_OK ? 0 : api_fail_store(c, rc);
}

int api_visible_row(struct api_ctx *c, int rc, const char *unit, const char *what,
		    long long id)
{
	struct reg_unit u;

	if (rc == GFI_OK)
		rc = store_unit_get(c->s, unit, &u);
	if (rc == GFI_E_NOTFOUND || (rc == GFI_OK && !api_unit_visible(c, &u)))
		return api_fail(c, 404, "%s: %lld not found", what, id);
	return rc == GFI_OK ? 0 : api_fail_store(c, rc);
}

int api_unit_code_visible(struct api_ctx *c, const char *code, int *visible)
{
	struct reg_unit u;
	int rc = store_unit_get(c->s, code, &u);

	*visible = rc == GFI_OK && api_unit_visible(c, &u);
	return rc == GFI_E_NOTFOUND ? GFI_OK : rc;
}

int api_walk_visible(struct api_walk *w, const char *unit, cJSON *item)
{
	int visible = 0;

	if ((w->rc = api_unit_code_visible(w->c, unit, &visible)) != GFI_OK || !visible) {
		cJSON_Delete(item);
		return w->rc != GFI_OK;
	}
	cJSON_AddItemToArray(w->arr, item);
	return 0;
}

int api_county_scope(struct api_ctx *c, char *code, size_t size)
{
	struct reg_unit u;
	int rc;

	switch (c->role) {
	case API_CITY:
		snprintf(code, size, "%s", "");
		return GFI_OK;
	case API_COUNTY:
		snprintf(code, size, "%s", c->tok.scope);
		return GFI_OK;
	case API_UNIT:
		/* A unit sees the county it is in, and only that one. */
		if ((rc = store_unit_get(c->s, c->tok.scope, &u)) != GFI_OK)
			return rc;
		snprintf(code, size, "%s", u.county);
		return GFI_OK;
	default:
		return GFI_E_NOTFOUND;
	}
}

void api_audit(struct api_ctx *c, const char *action, const char *object,
	       int status, const char *detail)
{
	struct store_audit a;

	memset(&a, 0, sizeof(a));
	a.time_s = c->req->now_s;
	snprintf(a.who, sizeof(a.who), "%s", c->tok.name);
	snprintf(a.action, sizeof(a.action), "%s", action);
	snprintf(a.object, sizeof(a.object), "%s", object);
	a.status = status;
	snprintf(a.detail, sizeof(a.detail), "%s", detail ? detail : "");
	if (store_audit_add(c->s, &a) != GFI_OK)
		log_err("audit write failed: who=%s action=%s object=%s", a.who,
			action, object);
}

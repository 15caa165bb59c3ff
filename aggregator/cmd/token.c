/*
 * token.c — the `gfi-aggregator token add|list|revoke` command: the HTTP
 * API's bearer tokens made, listed and revoked in the store (api.h,
 * docs/api.md). A token is printed once, when made; the store keeps only
 * its SHA-256 (api_token_new), and the printed copy is wiped after use.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "cmd.h"
#include "error.h"
#include "registry.h"
#include "now.h"
#include "opts.h"

static int token_row(void *ctx, const void *row)
{
	const struct store_token *t = row;

	fprintf(ctx, "%" PRId64 "\t%s\t%s\t%s\t%" PRId64 "\t%" PRId64 "\n", t->id, t->name,
		t->role, t->scope[0] ? t->scope : "-", t->created_s, t->revoked_s);
	return 0;
}

static int token_add(const struct opts *o, FILE *out, FILE *err)
{
	const char *role = opts_get(o, "role"), *scope = opts_get(o, "scope"),
		   *name = opts_get(o, "name");
	char hex[API_TOKEN_HEX + 1];
	struct store_token t;
	struct store *s = NULL;
	struct reg_county cty;
	struct reg_unit u;
	uint8_t hash[32];
	int rc, ret;

	if ((rc = opts_required("role", role, err)) != 0 ||
	    (rc = opts_required("name", name, err)) != 0 ||
	    (rc = opts_text("name", name, sizeof(t.name), 0, err)) != 0)
		return rc;
	if (strcmp(role, "city") != 0 && strcmp(role, "county") != 0 &&
	    strcmp(role, "unit") != 0) {
		fprintf(err, "--role: %s is not city, county or unit\n", role);
		return 2;
	}
	if (strcmp(role, "city") == 0 && scope != NULL) {
		fprintf(err, "--scope: a city token has no scope\n");
		return 2;
	}
	if (strcmp(role, "city") != 0 &&
	    ((rc = opts_required("scope", scope, err)) != 0 ||
	     (rc = opts_text("scope", scope, sizeof(t.scope), 0, err)) != 0))
		return rc;
	if ((rc = opts_open_store(opts_get(o, "store"), &s, err)) != 0)
		return rc;
	ret = GFI_OK;
	if (strcmp(role, "county") == 0)
		ret = store_county_get(s, scope, &cty);
	else if (strcmp(role, "unit") == 0)
		ret = registry_credit_code_valid(scope) ? store_unit_get(s, scope, &u)
							: GFI_E_NOTFOUND;
	if (ret != GFI_OK) {
		store_close(s);
		fprintf(err, "--scope: no %s %s\n", role, scope);
		return ret == GFI_E_NOTFOUND ? 2 : 1;
	}
	memset(&t, 0, sizeof(t));
	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.role, sizeof(t.role), "%s", role);
	snprintf(t.scope, sizeof(t.scope), "%s", scope ? scope : "");
	t.created_s = agg_now_s();
	ret = api_token_new(hex, hash);
	if (ret == GFI_OK)
		ret = store_token_add(s, hash, &t, NULL);
	store_close(s);
	if (ret == GFI_E_EXISTS) {
		fprintf(err, "--name: a token called %s exists\n", name);
		return 2;
	}
	if (ret != GFI_OK) {
		fprintf(err, "token add failed: %s\n", gfi_strerror(ret));
		return 1;
	}
	fprintf(out, "%s\n", hex);
	memset(hex, 0, sizeof(hex));
	__asm__ __volatile__("" : : "r"(hex) : "memory");
	return 0;
}

int cmd_token(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = { .options = "store role scope name" };
	const char *verb = argc > 1 ? argv[1] : "";
	struct opts o;
	struct store *s = NULL;
	int rc, ret;

	if (strcmp(verb, "add") != 0 && strcmp(verb, "list") != 0 &&
	    strcmp(verb, "revoke") != 0) {
		fprintf(err, "token: verb must be add, list or revoke\n");
		return 2;
	}
	if ((rc = opts_parse(argc, argv, 2, &spec, &o, err)) != 0)
		return rc;
	if (strcmp(verb, "add") == 0)
		return token_add(&o, out, err);
	if (strcmp(verb, "revoke") == 0 &&
	    (rc = opts_required("name", opts_get(&o, "name"), err)) != 0)
		return rc;
	if ((rc = opts_open_store(opts_get(&o, "store"), &s, err)) != 0)
		return rc;
	if (strcmp(verb, "list") == 0) {
		fprintf(out, "id\tname\trole\tscope\tcreated_s\trevoked_s\n");
		ret = store_token_list(s, token_row, out);
	} else {
		ret = store_token_revoke(s, opts_get(&o, "name"), agg_now_s());
	}
	store_close(s);
	if (ret == GFI_E_NOTFOUND || ret == GFI_E_STATE) {
		fprintf(err, "--name: %s\n", ret == GFI_E_NOTFOUND ? "no such token"
								   : "already revoked");
		return 2;
	}
	if (ret != GFI_OK) {
		fprintf(err, "token %s failed: %s\n", verb, gfi_strerror(ret));
		return 1;
	}
	if (strcmp(verb, "revoke") == 0)
		fprintf(out, "revoked: %s\n", opts_get(&o, "name"));
	return 0;
}

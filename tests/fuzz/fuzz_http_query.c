/*
 * fuzz_http_query.c — api_handle (aggregator/api/api.h) on arbitrary requests,
 * without sockets: what libmicrohttpd hands over after decoding. One store
 * per process in $TMPDIR/gfi-fuzz-api-XXXXXX (removed at exit) holds a county,
 * a unit with a gateway, a meter and an open alert, and a city, a county
 * and a unit token, so requests reach the handlers behind authorisation.
 *
 * Input, split at the first four '\n':
 *   line 1  method; a leading '!' marks the peer as loopback
 *   line 2  path
 *   line 3  query: key=value pairs joined by '&' (at most API_PARAMS_MAX)
 *   line 4  Authorization header; "@city", "@county", "@unit" stand for
 *           "Bearer <that token>"; empty means no header
 *   rest    body
 * Bytes after a NUL in a line are cut, as a C string would be.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "fuzz.h"
#include "sign.h"
#include "store.h"

#define NOW 1746028800 /* 2025-05-01 00:00 Asia/Shanghai */
#define UNIT "91350100M000100Y43"

static char dir[200], db[240];
static struct store *store;
static const char *const tok_name[3] = { "@city", "@county", "@unit" };
static char tok_auth[3][API_TOKEN_HEX + 8];

static void cleanup_store(void)
{
	static const char *const ext[] = { "", "-wal", "-shm", "-journal" };
	char path[256];
	size_t i;

	store_close(store);
	store = NULL;
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db, ext[i]);
		unlink(path);
	}
	rmdir(dir);
}

static int add_token(int i, const char *name, const char *role,
		     const char *scope)
{
	struct store_token t = { .created_s = NOW };
	char hex[API_TOKEN_HEX + 1];
	uint8_t hash[32];

	/* Fixed tokens: a run is repeatable, and the corpus stays valid. */
	memset(hex, 'a' + i, API_TOKEN_HEX);
	hex[API_TOKEN_HEX] = '\0';
	gfi_sha256(hex, API_TOKEN_HEX, hash);
	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.role, sizeof(t.role), "%s", role);
	snprintf(t.scope, sizeof(t.scope), "%s", scope);
	snprintf(tok_auth[i], sizeof(tok_auth[i]), "Bearer %s", hex);
	return store_token_add(store, hash, &t, NULL);
}

static int setup(void)
{
	struct reg_county c = { .code = "350102", .name = "Gulou" };
	struct reg_unit u = { .kind = UNIT_FACTORY, .level = LEVEL_CITY,
			      .year_listed = 2020, .sector = "C3011",
			      .code = UNIT, .name = "Works", .county = "350102" };
	struct reg_gateway g = { .active = 1, .registered_s = NOW - 86400,
				 .pubkey_pem = "-", .id = "gw-a", .unit = UNIT };
	struct reg_meter m = { .meter = "E1", .point = "kwh",
			       .quantity = "elec_import_kwh", .gateway = "gw-a",
			       .role = ROLE_ELEC_PURCHASED, .carrier = "electricity",
			       .registered_s = NOW - 86400 };
	struct store_alert a = { .value = 50, .threshold = 90, .unit = UNIT,
				 .rule = "completeness", .subject = "data",
				 .period = "2025" };
	int64_t id;
	int created;

	if (fuzz_tmpdir(dir, sizeof(dir), "api") != 0)
		return -1;
	snprintf(db, sizeof(db), "%s/gfi.db", dir);
	atexit(cleanup_store);
	if (store_open(db, &store) != 0 ||
	    store_county_put(store, &c, 1) != 0 ||
	    store_unit_put(store, &u, 1) != 0 ||
	    store_gateway_put(store, &g, 1) != 0 ||
	    store_meter_put(store, &m, 1) != 0 ||
	    store_alert_raise(store, &a, NOW, &id, &created) != 0 ||
	    add_token(0, "city-ops", "city", "") != 0 ||
	    add_token(1, "gulou", "county", "350102") != 0 ||
	    add_token(2, "works", "unit", UNIT) != 0)
		return -1;
	return 0;
}

/* The next line of [*p, end) as a new C string (cut at a NUL); *p moves
 * past its '\n'. NULL when out of memory. */
static char *next_line(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t len = (size_t)((nl ? nl : end) - *p);
	char *s = malloc(len + 1);

	if (s != NULL) {
		memcpy(s, *p, len);
		s[len] = '\0';
	}
	*p = nl ? nl + 1 : end;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	const char *p = (const char *)data, *end = p + size;
	char *method = NULL, *path = NULL, *query = NULL, *auth = NULL, *save;
	struct api_param params[API_PARAMS_MAX];
	struct api_request req = { .now_s = NOW, .params = params };
	struct api_response resp;
	char *kv, *eq;
	int i;

	if (!ready) {
		if (setup() != 0)
			abort();
		ready = 1;
	}
	if (size == 0)
		return 0;
	method = next_line(&p, end);
	path = next_line(&p, end);
	query = next_line(&p, end);
	auth = next_line(&p, end);
	if (method == NULL || path == NULL || query == NULL || auth == NULL)
		goto cleanup;
	req.method = method;
	if (method[0] == '!') {
		req.loopback = 1;
		req.method = method + 1;
	}
	req.path = path;
	for (kv = strtok_r(query, "&", &save);
	     kv != NULL && req.nparams < API_PARAMS_MAX;
	     kv = strtok_r(NULL, "&", &save)) {
		eq = strchr(kv, '=');
		if (eq != NULL)
			*eq++ = '\0';
		params[req.nparams].key = kv;
		params[req.nparams++].value = eq ? eq : "";
	}
	req.authorization = auth[0] ? auth : NULL;
	for (i = 0; i < 3; i++)
		if (strcmp(auth, tok_name[i]) == 0)
			req.authorization = tok_auth[i];
	req.body = p;
	req.body_len = (size_t)(end - p);
	api_handle(store, &req, &resp);
	if (fuzz_verbose())
		printf("%d %.*s\n", resp.status, resp.body && resp.len < 160 ? (int)resp.len : 160,
		       resp.body ? resp.body : "");
	if (resp.status < 200 || resp.status > 599)
		__builtin_trap();
	api_response_free(&resp);
cleanup:
	free(method);
	free(path);
	free(query);
	free(auth);
	return 0;
}

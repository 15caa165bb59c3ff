/*
 * test_api.c — the HTTP API's rules (aggregator/api/) without sockets:
 * api_handle is called directly on a temporary store.
 *
 * Two counties, one unit in each (A in 350102, B in 350104), a gateway and a
 * counter point per unit, an open alert per unit, and tokens of every role.
 * Checked: who may see what (out of scope is 404, like what does not exist),
 * 401 for missing, malformed, unknown and revoked tokens, 400 naming the
 * field, 404/405 routing, the JSON shapes, and that a state change records
 * the token's name in the alert and in the audit log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "error.h"
#include "fixture.h"
#include "store.h"

#define NOW 1746028800             /* 2025-05-01 00:00 Asia/Shanghai */
#define UNIT_A "91350100M000100Y43"
#define UNIT_B "91350100MA0000020N"

enum tok { T_CITY, T_GULOU, T_CANGSHAN, T_UNIT_A, T_REVOKED, T_N };

struct fx {
	struct fixture fixture;
	struct store *s;                /* fixture.s */
	char tok[T_N][API_TOKEN_HEX + 1];
	char auth[T_N][API_TOKEN_HEX + 8];
	int64_t alert_a, alert_b;
};

static void put_token(struct fx *f, enum tok i, const char *name, const char *role,
		      const char *scope)
{
	struct store_token t = { .created_s = NOW };
	uint8_t hash[32];

	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.role, sizeof(t.role), "%s", role);
	snprintf(t.scope, sizeof(t.scope), "%s", scope);
	assert_int_equal(api_token_new(f->tok[i], hash), GFI_OK);
	assert_int_equal(strlen(f->tok[i]), API_TOKEN_HEX);
	assert_int_equal(store_token_add(f->s, hash, &t, NULL), GFI_OK);
	/* memcpy, not snprintf: GCC's -Wrestrict sees both in *f. */
	memcpy(f->auth[i], "Bearer ", 7);
	memcpy(f->auth[i] + 7, f->tok[i], API_TOKEN_HEX + 1);
}

static int64_t put_alert(struct fx *f, const char *unit)
{
	struct store_alert a = { .value = 50, .threshold = 90 };
	int64_t id = 0;
	int created = 0;

	snprintf(a.unit, sizeof(a.unit), "%s", unit);
	snprintf(a.rule, sizeof(a.rule), "completeness");
	snprintf(a.subject, sizeof(a.subject), "data");
	snprintf(a.period, sizeof(a.period), "2025");
	assert_int_equal(store_alert_raise(f->s, &a, NOW, &id, &created), GFI_OK);
	assert_int_equal(created, 1);
	return id;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fixture_open(&f->fixture, "api");
	f->s = f->fixture.s;
	fixture_county(f->s, "350102", "Gulou");
	fixture_county(f->s, "350104", "Cangshan");
	fixture_works(f->s, UNIT_A, "350102", "C3011", "gw-a", NOW - 86400);
	fixture_works(f->s, UNIT_B, "350104", "C3011", "gw-b", NOW - 86400);
	put_token(f, T_CITY, "city-ops", "city", "");
	put_token(f, T_GULOU, "gulou", "county", "350102");
	put_token(f, T_CANGSHAN, "cangshan", "county", "350104");
	put_token(f, T_UNIT_A, "works-a", "unit", UNIT_A);
	put_token(f, T_REVOKED, "old", "city", "");
	assert_int_equal(store_token_revoke(f->s, "old", NOW), GFI_OK);
	f->alert_a = put_alert(f, UNIT_A);
	f->alert_b = put_alert(f, UNIT_B);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fixture_close(&f->fixture);
	free(f);
	return 0;
}

/* One request; the answer's status, and its body parsed into *doc (NULL
 * when not JSON; the caller deletes it). params: "key", "value", ..., NULL. */
static int call(struct fx *f, const char *method, const char *path,
		const char *auth, const char *body, cJSON **doc, ...)
{
	struct api_param p[API_PARAMS_MAX];
	struct api_request req = { .method = method, .path = path,
				   .authorization = auth, .body = body,
				   .body_len = body ? strlen(body) : 0,
				   .now_s = NOW, .params = p };
	struct api_response resp;
	const char *k;
	va_list ap;
	int status;

	va_start(ap, doc);
	while ((k = va_arg(ap, const char *)) != NULL) {
		assert_true(req.nparams < API_PARAMS_MAX);
		p[req.nparams].key = k;
		p[req.nparams++].value = va_arg(ap, const char *);
	}
	va_end(ap);
	assert_int_equal(api_handle(f->s, &req, &resp), GFI_OK);
	status = resp.status;
	if (doc != NULL)
		*doc = resp.body ? cJSON_ParseWithLength(resp.body, resp.len) : NULL;
	api_response_free(&resp);
	return status;
}

static const char *error_of(const cJSON *doc)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");
	return cJSON_IsString(e) ? e->valuestring : "";
}

static int count_of(const cJSON *doc, const char *key)
{
	return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, key));
}

static void health_needs_no_token(void **state)
{
	struct fx *f = *state;
	cJSON *d = NULL;

	assert_int_equal(call(f, "GET", "/api/v1/health", NULL, NULL, &d, NULL), 200);
	assert_string_equal(cJSON_GetObjectItem(d, "status")->valuestring, "ok");
	assert_true(cJSON_IsString(cJSON_GetObjectItem(d, "version")));
	cJSON_Delete(d);
}

static void missing_bad_unknown_and_revoked_tokens_are_401(void **state)
{
	struct fx *f = *state;
	char unknown[API_TOKEN_HEX + 8];
	cJSON *d = NULL;

	memset(unknown, 0, sizeof(unknown));
	snprintf(unknown, sizeof(unknown), "Bearer %064d", 0);
	assert_int_equal(call(f, "GET", "/api/v1/units", NULL, NULL, &d, NULL), 401);
	assert_string_equal(error_of(d), "authorization: missing bearer token");
	cJSON_Delete(d);
	assert_int_equal(call(f, "GET", "/api/v1/units", "Basic abc", NULL, NULL, NULL), 401);
	assert_int_equal(call(f, "GET", "/api/v1/units", "Bearer zz", NULL, NULL, NULL), 401);
	assert_int_equal(call(f, "GET", "/api/v1/units", unknown, NULL, NULL, NULL), 401);
	assert_int_equal(call(f, "GET", "/api/v1/units", f->auth[T_REVOKED], NULL, &d,
			      NULL), 401);
	assert_string_equal(error_of(d), "authorization: token revoked");
	cJSON_Delete(d);
	assert_int_equal(call(f, "GET", "/api/v1/units", f->auth[T_CITY], NULL, NULL,
			      NULL), 200);
}

static void each_role_sees_only_its_scope(void **state)
{
	struct fx *f = *state;
	cJSON *d = NULL;

	assert_int_equal(call(f, "GET", "/api/v1/units", f->auth[T_CITY], NULL, &d, NULL), 200);
	assert_int_equal(count_of(d, "units"), 2);
	cJSON_Delete(d);
	assert_int_equal(call(f, "GET", "/api/v1/units", f->auth[T_GULOU], NULL, &d, NULL), 200);
	assert_int_equal(count_of(d, "units"), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(
		cJSON_GetObjectItem(d, "units"), 0), "code")->valuestring, UNIT_A);
	cJSON_Delete(d);
	assert_int_equal(call(f, "GET", "/api/v1/units", f->auth[T_UNIT_A], NULL, &d, NULL), 200);
	assert_int_equal(count_of(d, "units"), 1);
	cJSON_Delete(d);
	/* Another county's unit does not exist for a county token. */
	assert_int_equal(call(f, "GET", "/api/v1/units/" UNIT_B "/meters",
			      f->auth[T_GULOU], NULL, &d, NULL), 404);
	assert_string_equal(error_of(d), "unit: " UNIT_B " not found");
	cJSON_Delete(d);
	assert_int_equal(call(f, "GET", "/api/v1/units/" UNIT_B "/indicators",
			      f->auth[T_UNIT_A], NULL, NULL, "year", "2025", NULL), 404);
	assert_int_equal(call(f, "GET", "/api/v1/units/" UNIT_B "/meters",
			      f->auth[T_CANGSHAN], NULL, &d, NULL), 200);
	assert_int_equal(count_of(d, "meters"), 1);
	cJSON_Delete(d);
	assert_int_equal(call(f, "GET", "/api/v1/series", f->auth[T_GULOU], NULL, NULL,
			      "gateway", "gw-b", "from", "2025-04-01", "to", "2025-04-02",
			      NULL), 404);
	assert_int_equal(call(f, "GET", "/api/v1/gateways", f->auth[T_CANGSHAN], NULL, &d,
			      NULL), 200);
	assert_int_equal(count_of(d, "gateways"), 1);
	cJSON_Delete(d);
	assert_int_equal(call(f, "GET", "/api/v1/alerts", f->auth[T_GULOU], NULL, &d,
			      NULL), 200);
	assert_int_equal(count_of(d, "alerts"), 1);
	cJSON_Delete(d);
}

static void bad_queries_are_400_naming_the_field(void **state)
{
	struct fx *f = *state;
	const char *a = f->auth[T_CITY];
	cJSON *d = NULL;

	assert_int_equal(call(f, "GET", "/api/v1/units/" UNIT_A "/indicators", a, NULL,
			      &d, NULL), 400);
	assert_string_equal(error_of(d), "year: missing");
	cJSON_Delete(d);
	assert_int_equal(call(f, "GET", "/api/v1/units/" UNIT_A "/indicators", a, NULL,
			      &d, "year", "2025", "month", "13", NULL), 400);
	assert_string_equal(error_of(d), "month: 13 out of range 1..12");
	cJSON_Delete(d);
	assert_int_equal(call(f, "GET", "/api/v1/units", a, NULL, &d, "kind", "factory",
			      "kind", "park", NULL), 400);
	assert_string_equal(error_of(d), "kind: given twice");
	cJSON_Delete(d);
	assert_int_equal(call(f, "GET", "/api/v1/units", a, NULL, &d, "sort", "x", NULL),
			 400);
	assert_string_equal(error_of(d), "sort: unknown parameter");
	cJSON_Delete(d);
	assert_int_equal(call(f, "GET", "/api/v1/series", a, NULL, &d, "gateway", "gw-a",
			      "from", "yesterday", "to", "2025-04-02", NULL), 400);
	assert_true(strncmp(error_of(d), "from: ", 6) == 0);
	cJSON_Delete(d);
	assert_int_equal(call(f, "POST", "/api/v1/spotchecks", a, "{\"gateway\":\"gw-a\"}",
			      &d, NULL), 400);
	assert_string_equal(error_of(d), "meter: missing");
	cJSON_Delete(d);
	assert_int_equal(call(f, "POST", "/api/v1/spotchecks", a, "[1]", &d, NULL), 400);
	assert_string_equal(error_of(d), "body: must be a JSON object");
	cJSON_Delete(d);
}

static void unknown_paths_are_404_and_wrong_methods_405(void **state)
{
	struct fx *f = *state;
	struct api_request req = { .method = "DELETE", .path = "/api/v1/units",
				   .authorization = f->auth[T_CITY], .now_s = NOW };
	struct api_response resp;

	assert_int_equal(call(f, "GET", "/api/v1/nope", f->auth[T_CITY], NULL, NULL,
			      NULL), 404);
	assert_int_equal(call(f, "GET", "/api/v2/units", f->auth[T_CITY], NULL, NULL,
			      NULL), 404);
	assert_int_equal(call(f, "GET", "/api/v1/alerts/1/ack", f->auth[T_CITY], NULL,
			      NULL, NULL), 405);
	assert_int_equal(api_handle(f->s, &req, &resp), GFI_OK);
	assert_int_equal(resp.status, 405);
	assert_string_equal(resp.allow, "GET");
	api_response_free(&resp);
}

static int audit_row(void *ctx, const void *row)
{
	const struct store_audit *a = row;
	int *found = ctx;

	if (strcmp(a->who, "gulou") == 0 && strcmp(a->action, "alert.ack") == 0 &&
	    a->status == 200 && strcmp(a->detail, "by=Li") == 0)
		(*found)++;
	return 0;
}

static void an_ack_records_the_token_name_and_an_audit_row(void **state)
{
	struct fx *f = *state;
	char path[64];
	cJSON *d = NULL;
	int found = 0;

	snprintf(path, sizeof(path), "/api/v1/alerts/%lld/ack", (long long)f->alert_b);
	assert_int_equal(call(f, "POST", path, f->auth[T_GULOU], NULL, NULL, NULL), 404);
	snprintf(path, sizeof(path), "/api/v1/alerts/%lld/ack", (long long)f->alert_a);
	assert_int_equal(call(f, "POST", path, f->auth[T_GULOU], "{\"by\":\"Li\"}", &d,
			      NULL), 200);
	assert_string_equal(cJSON_GetObjectItem(d, "state")->valuestring, "acknowledged");
	assert_string_equal(cJSON_GetObjectItem(d, "changed_by")->valuestring, "gulou");
	cJSON_Delete(d);
	assert_int_equal(call(f, "POST", path, f->auth[T_GULOU], NULL, &d, NULL), 409);
	cJSON_Delete(d);
	assert_int_equal(store_audit_list(f->s, audit_row, &found), GFI_OK);
	assert_int_equal(found, 1);
}

/* Issue 16: spot checks and alert state changes are county and city
 * actions; the inspector recorded is the token's holder. */
static void a_unit_token_gets_404_on_every_oversight_write(void **state)
{
	static const char body[] = "{\"gateway\":\"gw-a\",\"meter\":\"E1\","
		"\"point\":\"kwh\",\"at\":1700000000,\"reading\":5}";
	struct fx *f = *state;
	char ack[64], resolve[64];
	cJSON *d = NULL;

	snprintf(ack, sizeof(ack), "/api/v1/alerts/%lld/ack", (long long)f->alert_a);
	snprintf(resolve, sizeof(resolve), "/api/v1/alerts/%lld/resolve",
		 (long long)f->alert_a);
	assert_int_equal(call(f, "POST", ack, f->auth[T_UNIT_A], NULL, NULL, NULL), 404);
	assert_int_equal(call(f, "POST", resolve, f->auth[T_UNIT_A], NULL, NULL, NULL), 404);
	assert_int_equal(call(f, "POST", "/api/v1/spotchecks", f->auth[T_UNIT_A], body,
			      NULL, NULL), 404);
	/* Its own unit's spot checks it still reads. */
	assert_int_equal(call(f, "GET", "/api/v1/spotchecks", f->auth[T_UNIT_A], NULL,
			      NULL, NULL), 200);
	assert_int_equal(call(f, "POST", "/api/v1/spotchecks", f->auth[T_GULOU],
			      "{\"gateway\":\"gw-a\",\"meter\":\"E1\",\"point\":\"kwh\","
			      "\"at\":1700000000,\"reading\":5,\"inspector\":\"Li\"}",
			      &d, NULL), 400);
	assert_true(strncmp(error_of(d), "inspector", 9) == 0);
	cJSON_Delete(d);
	assert_int_equal(call(f, "POST", "/api/v1/spotchecks", f->auth[T_GULOU], body, &d,
			      NULL), 201);
	assert_string_equal(cJSON_GetObjectItem(d, "inspector")->valuestring, "gulou");
	cJSON_Delete(d);
}

static void indicators_have_the_documented_shape(void **state)
{
	struct fx *f = *state;
	const cJSON *e;
	cJSON *d = NULL;

	assert_int_equal(call(f, "GET", "/api/v1/units/" UNIT_A "/indicators",
			      f->auth[T_UNIT_A], NULL, &d, "year", "2025", "month", "4",
			      NULL), 200);
	assert_string_equal(cJSON_GetObjectItem(d, "unit")->valuestring, UNIT_A);
	assert_int_equal(cJSON_GetObjectItem(d, "year")->valueint, 2025);
	assert_int_equal(cJSON_GetObjectItem(d, "month")->valueint, 4);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(d, "product_unit")));
	e = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "indicators"), "energy_equiv_tce");
	assert_non_null(e);
	for (const char *const *k = (const char *const[]){ "value", "unit", "zh", "en",
		"completeness", "provenance", "estimated", "yoy_pct", NULL }; *k; k++)
		assert_non_null(cJSON_GetObjectItemCaseSensitive(e, *k));
	cJSON_Delete(d);
}

/* The county codes and names of GET /api/v1/counties, "code=name;..." */
static void counties_of(struct fx *f, enum tok who, char *out, size_t size)
{
	const cJSON *k;
	cJSON *d = NULL;
	size_t n = 0;

	out[0] = '\0';
	assert_int_equal(call(f, "GET", "/api/v1/counties", f->auth[who], NULL, &d, NULL),
			 200);
	cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(d, "counties")) {
		assert_int_equal(cJSON_GetArraySize(k), 2);
		n += (size_t)snprintf(out + n, size - n, "%s=%s;",
				      cJSON_GetObjectItem(k, "code")->valuestring,
				      cJSON_GetObjectItem(k, "name")->valuestring);
		assert_true(n < size);
	}
	cJSON_Delete(d);
}

static void counties_are_listed_by_scope(void **state)
{
	struct fx *f = *state;
	char got[128];
	cJSON *d = NULL;

	counties_of(f, T_CITY, got, sizeof(got));
	assert_string_equal(got, "350102=Gulou;350104=Cangshan;");
	counties_of(f, T_GULOU, got, sizeof(got));
	assert_string_equal(got, "350102=Gulou;");
	counties_of(f, T_CANGSHAN, got, sizeof(got));
	assert_string_equal(got, "350104=Cangshan;");
	/* A unit token sees the county its unit is in. */
	counties_of(f, T_UNIT_A, got, sizeof(got));
	assert_string_equal(got, "350102=Gulou;");
	assert_int_equal(call(f, "GET", "/api/v1/counties", NULL, NULL, NULL, NULL), 401);
	assert_int_equal(call(f, "GET", "/api/v1/counties", f->auth[T_CITY], NULL, &d,
			      "county", "350104", NULL), 400);
	assert_string_equal(error_of(d), "county: unknown parameter");
	cJSON_Delete(d);
	assert_int_equal(call(f, "POST", "/api/v1/counties", f->auth[T_CITY], "{}", NULL,
			      NULL), 405);
}

static void metrics_need_loopback_or_a_city_token(void **state)
{
	struct fx *f = *state;
	struct api_request req = { .method = "GET", .path = "/metrics", .now_s = NOW,
				   .loopback = 1 };
	struct api_response resp;

	assert_int_equal(api_handle(f->s, &req, &resp), GFI_OK);
	assert_int_equal(resp.status, 200);
	assert_non_null(strstr(resp.body, "gfi_gateways 2\n"));
	api_response_free(&resp);
	req.loopback = 0;
	assert_int_equal(api_handle(f->s, &req, &resp), GFI_OK);
	assert_int_equal(resp.status, 401);
	api_response_free(&resp);
	req.authorization = f->auth[T_GULOU];
	assert_int_equal(api_handle(f->s, &req, &resp), GFI_OK);
	assert_int_equal(resp.status, 404);
	api_response_free(&resp);
	req.authorization = f->auth[T_CITY];
	assert_int_equal(api_handle(f->s, &req, &resp), GFI_OK);
	assert_int_equal(resp.status, 200);
	api_response_free(&resp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(health_needs_no_token, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_bad_unknown_and_revoked_tokens_are_401,
						setup, teardown),
		cmocka_unit_test_setup_teardown(each_role_sees_only_its_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_queries_are_400_naming_the_field, setup,
						teardown),
		cmocka_unit_test_setup_teardown(unknown_paths_are_404_and_wrong_methods_405,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_unit_token_gets_404_on_every_oversight_write,
						setup, teardown),
		cmocka_unit_test_setup_teardown(an_ack_records_the_token_name_and_an_audit_row,
						setup, teardown),
		cmocka_unit_test_setup_teardown(indicators_have_the_documented_shape, setup,
						teardown),
		cmocka_unit_test_setup_teardown(counties_are_listed_by_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(metrics_need_loopback_or_a_city_token, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

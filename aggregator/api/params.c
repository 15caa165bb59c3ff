/*
 * params.c — the API's query parameters and JSON bodies (api-private.h),
 * as strict as the config: an unknown or repeated parameter, an unknown
 * body key, a value of the wrong type or range is a 400 naming the field.
 *
 * Invariants: every value a handler reads went through one of these
 * checks first; a body is parsed with its length (it is not
 * NUL-terminated) and "\u0000" is refused, never cut.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api-private.h"
#include "error.h"
#include "jsonutil.h"
#include "period.h"
#include "text.h"

const char *api_param(const struct api_ctx *c, const char *key)
{
	for (size_t i = 0; i < c->req->nparams; i++)
		if (strcmp(c->req->params[i].key, key) == 0)
			return c->req->params[i].value;
	return NULL;
}

int api_params_check(struct api_ctx *c, const char *const *allowed)
{
	for (size_t i = 0; i < c->req->nparams; i++) {
		const char *k = c->req->params[i].key;
		int known = 0;
		for (int j = 0; allowed != NULL && allowed[j] != NULL; j++)
			known |= strcmp(allowed[j], k) == 0;
		if (!known)
			return api_fail(c, 400, "%.64s: unknown parameter", k);
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->req->params[j].key, k) == 0)
				return api_fail(c, 400, "%.64s: given twice", k);
		if (c->req->params[i].value == NULL)
			return api_fail(c, 400, "%.64s: missing value", k);
	}
	return 0;
}

int api_param_int(struct api_ctx *c, const char *key, long min, long max,
		  int required, long *out)
{
	const char *v = api_param(c, key);
	char *end = NULL;
	long n;

	if (v == NULL) {
		if (required)
			return api_fail(c, 400, "%s: missing", key);
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || errno != 0)
		return api_fail(c, 400, "%s: \"%.32s\" is not an integer", key, v);
	if (n < min || n > max)
		return api_fail(c, 400, "%s: %ld out of range %ld..%ld", key, n, min, max);
	*out = n;
	return 0;
}

int api_param_id(struct api_ctx *c, const char *key, int required)
{
	const char *v = api_param(c, key);

	if (v == NULL)
		return required ? api_fail(c, 400, "%s: missing", key) : 0;
	if (!gfi_id_valid(v))
		return api_fail(c, 400, "%s: must be 1..31 of [A-Za-z0-9._-]", key);
	return 0;
}

int api_path_id(struct api_ctx *c, const char *what, long long *id)
{
	const char *v = c->arg[0];
	char *end = NULL;

	errno = 0;
	*id = strtoll(v, &end, 10);
	if (end == v || *end != '\0' || errno != 0 || *id < 1)
		return api_fail(c, 404, "%s: %.24s not found", what, v);
	return 0;
}

int api_param_county(struct api_ctx *c, const char *key)
{
	const char *v = api_param(c, key);
	size_t n = v ? strlen(v) : 0;

	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)v[i]))
			n = 0;
	if (v != NULL && (n == 0 || n > 12))
		return api_fail(c, 400, "%s: must be an administrative division code (digits)",
				key);
	return 0;
}

int api_param_time(struct api_ctx *c, const char *key, int64_t *out)
{
	const char *v = api_param(c, key);

	if (v == NULL)
		return api_fail(c, 400, "%s: missing", key);
	if (period_parse_time(v, out) != GFI_OK)
		return api_fail(c, 400, "%s: \"%.32s\" is not a time (epoch s or "
				"YYYY-MM-DD[ HH:MM[:SS]])", key, v);
	return 0;
}

int api_param_choice(struct api_ctx *c, const char *key, const char *const *names,
		     const char *list)
{
	const char *v = api_param(c, key);

	for (int i = 0; v != NULL && names[i] != NULL; i++)
		if (strcmp(v, names[i]) == 0)
			return 0;
	return v == NULL ? 0 : api_fail(c, 400, "%s: must be %s", key, list);
}

/* Whether a JSON text holds the escape \u0000: cJSON decodes it into a
 * NUL that ends the C string, so "x\u0000' OR 1=1" would be taken, and
 * stored, as "x". Refused rather than silently cut. */
static int has_nul_escape(const char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (p[i] != '\\')
			continue;
		if (p[i + 1] == 'u' && i + 5 < n && memcmp(p + i + 2, "0000", 4) == 0)
			return 1;
		i++; /* the escaped character: "\\\\u0000" is text */
	}
	return 0;
}

/* The body parsed as one JSON value followed by white space only, or NULL. */
static cJSON *parse_body(const struct api_request *req)
{
	const char *end = NULL;
	cJSON *o = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, 0);

	for (const char *p = end; o != NULL && p < req->body + req->body_len; p++)
		if (!isspace((unsigned char)*p)) {
			cJSON_Delete(o);
			o = NULL;
		}
	return o;
}

cJSON *api_body_object(struct api_ctx *c, const char *const *allowed, int empty_ok)
{
	char err[256] = "";
	cJSON *o;

	if (c->req->body_len == 0) {
		if (empty_ok)
			return cJSON_CreateObject();
		api_fail(c, 400, "body: missing");
		return NULL;
	}
	if (has_nul_escape(c->req->body, c->req->body_len)) {
		api_fail(c, 400, "body: \\u0000 not allowed");
		return NULL;
	}
	if ((o = parse_body(c->req)) == NULL) {
		api_fail(c, 400, "body: not JSON");
		return NULL;
	}
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		api_fail(c, 400, "body: must be a JSON object");
		return NULL;
	}
	if (gfi_json_check_keys(o, "", allowed, err, sizeof(err)) != GFI_OK) {
		cJSON_Delete(o);
		api_fail(c, 400, "%s", err);
		return NULL;
	}
	return o;
}

int api_body_text(struct api_ctx *c, const cJSON *o, const char *key, size_t size,
		  int required, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	size_t n;

	*out = NULL;
	if (v == NULL)
		return required ? api_fail(c, 400, "%s: missing", key) : 0;
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return api_fail(c, 400, "%s: must be a string", key);
	n = strlen(v->valuestring);
	if (n == 0 || n >= size)
		return api_fail(c, 400, "%s: must be 1..%zu bytes", key, size - 1);
	if (!text_valid(v->valuestring))
		return api_fail(c, 400, "%s: not UTF-8 text without control characters", key);
	*out = v->valuestring;
	return 0;
}

int api_body_id(struct api_ctx *c, const cJSON *o, const char *key, const char **out)
{
	if (api_body_text(c, o, key, GFI_ID_MAX, 1, out))
		return -1;
	if (!gfi_id_valid(*out))
		return api_fail(c, 400, "%s: must be 1..31 of [A-Za-z0-9._-]", key);
	return 0;
}

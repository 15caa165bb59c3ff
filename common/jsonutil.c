/*
 * jsonutil.c — strict JSON field access with field-naming errors.
 *
 * Integers arrive as JSON numbers (doubles in cJSON); a value with a fraction
 * or beyond 2^53 is refused rather than silently truncated.
 */
#include "jsonutil.h"

#include <assert.h>
#include <stdint.h>

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

void gfi_field_err(char *err, size_t errlen, const char *path,
		   const char *key, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (path == NULL)
		path = "";
	if (path[0] != '\0' && key[0] != '\0')
		snprintf(err, errlen, "%s.%s: %s", path, key, why);
	else
		snprintf(err, errlen, "%s: %s", path[0] ? path : key, why);
}

int gfi_read_file(const char *path, size_t max_bytes, char **out, size_t *len,
		  char *err, size_t errlen)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t n = 0;
	int ret = GFI_E_IO;

	*out = NULL;
	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto cleanup;
	}
	buf = malloc(max_bytes + 1);
	if (buf == NULL) {
		ret = GFI_E_NOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto cleanup;
	}
	n = fread(buf, 1, max_bytes + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read failed", path);
		goto cleanup;
	}
	if (n > max_bytes) {
		ret = GFI_E_RANGE;
		snprintf(err, errlen, "%s: larger than %zu bytes", path, max_bytes);
		goto cleanup;
	}
	buf[n] = '\0';
	*out = buf;
	buf = NULL;
	if (len)
		*len = n;
	ret = GFI_OK;
cleanup:
	free(buf);
	if (f)
		fclose(f);
	return ret;
}

cJSON *gfi_json_parse(const char *text, size_t len, const char *what,
		      char *err, size_t errlen)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);

	if (root == NULL) {
		size_t off = end ? (size_t)(end - text) : 0;
		snprintf(err, errlen, "%s: invalid JSON near byte %zu", what, off);
		return NULL;
	}
	/* Only white space may follow the value. */
	for (size_t i = (size_t)(end - text); i < len; i++) {
		if (text[i] != ' ' && text[i] != '\n' && text[i] != '\r' &&
		    text[i] != '\t' && text[i] != '\0') {
			snprintf(err, errlen, "%s: trailing data at byte %zu", what, i);
			cJSON_Delete(root);
			return NULL;
		}
	}
	return root;
}

size_t gfi_json_bad_keys(const cJSON *obj, const char *const *allowed,
			 gfi_bad_key_fn bad, void *ctx)
{
	uint64_t seen = 0;
	size_t nbad = 0;
	const cJSON *item;

	cJSON_ArrayForEach(item, obj) {
		const char *key = item->string != NULL ? item->string : "";
		size_t i;
		for (i = 0; allowed[i] != NULL; i++) {
			if (strcmp(key, allowed[i]) == 0)
				break;
		}
		assert(i < 64);   /* a list of allowed keys is the program's own */
		if (allowed[i] != NULL && !(seen & (UINT64_C(1) << i))) {
			seen |= UINT64_C(1) << i;
			continue;
		}
		nbad++;
		if (bad != NULL)
			bad(ctx, key, allowed[i] != NULL);
	}
	return nbad;
}

struct first_bad {
	char *err;
	size_t errlen;
	const char *path;
	int found;
};

static void note_first(void *ctx, const char *key, int duplicate)
{
	struct first_bad *f = ctx;
	char cut[48];

	if (f->found++)
		return;
	snprintf(cut, sizeof(cut), "%.40s", key);
	gfi_field_err(f->err, f->errlen, f->path, cut,
		      duplicate ? "duplicate key" : "unknown key");
}

int gfi_json_check_keys(const cJSON *obj, const char *path,
			const char *const *allowed, char *err, size_t errlen)
{
	struct first_bad f = { err, errlen, path, 0 };

	return gfi_json_bad_keys(obj, allowed, note_first, &f) ? GFI_E_INVAL : GFI_OK;
}

static const cJSON *get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* Find key in obj for a getter: 1 when present and of the type is_type
 * accepts (*it set), 0 when absent and optional (the getter stores its
 * default), or GFI_E_INVAL with "missing" (absent, required) or
 * type_msg (another type). */
static int member(const cJSON *obj, const char *key, const char *path,
		  int required, cJSON_bool (*is_type)(const cJSON *),
		  const char *type_msg, const cJSON **it, char *err, size_t errlen)
{
	*it = get(obj, key);
	if (*it == NULL && !required)
		return 0;
	if (*it == NULL || !is_type(*it)) {
		gfi_field_err(err, errlen, path, key, "%s", *it ? type_msg : "missing");
		return GFI_E_INVAL;
	}
	return 1;
}

static cJSON_bool is_string(const cJSON *it)
{
	return cJSON_IsString(it) && it->valuestring != NULL;
}

static cJSON_bool is_finite_number(const cJSON *it)
{
	return cJSON_IsNumber(it) && isfinite(it->valuedouble);
}

int gfi_json_string(const cJSON *obj, const char *key, const char *path,
		    int required, const char *def, char *dst, size_t dstlen,
		    char *err, size_t errlen)
{
	const cJSON *it;
	int ret = member(obj, key, path, required, is_string, "must be a string",
			 &it, err, errlen);

	if (ret == 0)
		snprintf(dst, dstlen, "%s", def ? def : "");
	if (ret <= 0)
		return ret;
	if (strlen(it->valuestring) >= dstlen) {
		gfi_field_err(err, errlen, path, key, "longer than %zu characters",
			  dstlen - 1);
		return GFI_E_RANGE;
	}
	memcpy(dst, it->valuestring, strlen(it->valuestring) + 1);
	return GFI_OK;
}

int gfi_json_int(const cJSON *obj, const char *key, const char *path,
		 int required, long long min, long long max, long long def,
		 long long *out, char *err, size_t errlen)
{
	const cJSON *it;
	int ret = member(obj, key, path, required, cJSON_IsNumber,
			 "must be an integer", &it, err, errlen);
	double v = ret > 0 ? it->valuedouble : 0;

	if (ret == 0)
		*out = def;
	if (ret <= 0)
		return ret;
	if (!isfinite(v) || v != floor(v) || fabs(v) > 9007199254740992.0) {
		gfi_field_err(err, errlen, path, key, "must be an integer");
		return GFI_E_INVAL;
	}
	if (v < (double)min || v > (double)max) {
		gfi_field_err(err, errlen, path, key, "%.0f out of range %lld..%lld",
			  v, min, max);
		return GFI_E_RANGE;
	}
	*out = (long long)v;
	return GFI_OK;
}

int gfi_json_double(const cJSON *obj, const char *key, const char *path,
		    int required, double min, double max, double def,
		    double *out, char *err, size_t errlen)
{
	const cJSON *it;
	int ret = member(obj, key, path, required, is_finite_number,
			 "must be a number", &it, err, errlen);

	if (ret == 0)
		*out = def;
	if (ret <= 0)
		return ret;
	if (it->valuedouble < min || it->valuedouble > max) {
		gfi_field_err(err, errlen, path, key, "%g out of range %g..%g",
			  it->valuedouble, min, max);
		return GFI_E_RANGE;
	}
	*out = it->valuedouble;
	return GFI_OK;
}

int gfi_json_bool(const cJSON *obj, const char *key, const char *path,
		  int required, int def, int *out, char *err, size_t errlen)
{
	const cJSON *it;
	int ret = member(obj, key, path, required, cJSON_IsBool,
			 "must be true or false", &it, err, errlen);

	if (ret < 0)
		return ret;
	*out = ret == 0 ? def : cJSON_IsTrue(it) != 0;
	return GFI_OK;
}

int gfi_id_valid(const char *s)
{
	size_t n = 0;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (; s[n] != '\0'; n++) {
		char c = s[n];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
		if (!ok || n >= 31)
			return 0;
	}
	return 1;
}

cJSON *gfi_json_object(const struct gfi_json_field *f, size_t n)
{
	cJSON *j = cJSON_CreateObject();

	/* cJSON_Add* return NULL on allocation failure; cJSON_Delete frees a
	 * partial object. */
	for (size_t i = 0; j != NULL && i < n; i++) {
		const cJSON *added = f[i].is_num
			? cJSON_AddNumberToObject(j, f[i].key, f[i].num)
			: cJSON_AddStringToObject(j, f[i].key, f[i].str ? f[i].str : "");
		if (added == NULL) {
			cJSON_Delete(j);
			j = NULL;
		}
	}
	return j;
}

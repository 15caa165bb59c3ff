/*
 * jsonutil.h — strict reading of JSON from hostile files and messages.
 *
 * Every getter names the field in its one-line error as "<path>.<key>: why",
 * e.g. "meters[3].address: 70000 out of range 0..65535". Keys are matched
 * case-sensitively; types are checked before use.
 */
#ifndef GFI_JSONUTIL_H
#define GFI_JSONUTIL_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Write "<path>.<key>: why" to err (or "<key>: why" when path is empty,
 * "<path>: why" when key is empty). err may be NULL. */
void gfi_field_err(char *err, size_t errlen, const char *path, const char *key,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Read a whole file of at most max_bytes into a NUL-terminated buffer the
 * caller frees. GFI_E_IO (unreadable), GFI_E_RANGE (too large). */
int gfi_read_file(const char *path, size_t max_bytes, char **out, size_t *len,
		  char *err, size_t errlen);

/* Parse text[0..len) as one JSON value; NULL and a one-line error naming
 * `what` and the byte offset on failure. The caller frees with cJSON_Delete. */
cJSON *gfi_json_parse(const char *text, size_t len, const char *what,
		      char *err, size_t errlen);

/* Called for each key of an object that is not allowed (duplicate 0) or
 * repeats an allowed one (duplicate 1): cJSON keeps repeated keys and the
 * getters see only the first, so a second value would be silently lost. */
typedef void (*gfi_bad_key_fn)(void *ctx, const char *key, int duplicate);

/* Call bad (may be NULL) for every key of obj not in allowed (NULL-terminated,
 * at most 64 names) or given twice; returns how many there were. Linear in
 * the keys. */
size_t gfi_json_bad_keys(const cJSON *obj, const char *const *allowed,
			 gfi_bad_key_fn bad, void *ctx);

/* Reject any key of obj not in allowed (NULL-terminated) or given twice:
 * GFI_E_INVAL and "<path>.<key>: unknown key" / "duplicate key" (the key cut
 * to 40 bytes) for the first one. */
int gfi_json_check_keys(const cJSON *obj, const char *path,
			const char *const *allowed, char *err, size_t errlen);

/* Field getters. When the key is absent: a required field is an error,
 * otherwise *out gets def and GFI_OK is returned. path names obj ("" for
 * the top level). Return GFI_OK, GFI_E_INVAL (wrong type, missing) or
 * GFI_E_RANGE (out of bounds, too long). */
int gfi_json_string(const cJSON *obj, const char *key, const char *path,
		    int required, const char *def, char *dst, size_t dstlen,
		    char *err, size_t errlen);
int gfi_json_int(const cJSON *obj, const char *key, const char *path,
		 int required, long long min, long long max, long long def,
		 long long *out, char *err, size_t errlen);
int gfi_json_double(const cJSON *obj, const char *key, const char *path,
		    int required, double min, double max, double def,
		    double *out, char *err, size_t errlen);
int gfi_json_bool(const cJSON *obj, const char *key, const char *path,
		  int required, int def, int *out, char *err, size_t errlen);

/*
 * Writing: an object built from a field list, in order, e.g.
 * GFI_JSON_OBJECT(GFI_JSON_STR("code", u->code), GFI_JSON_NUM("year", y)).
 * A string field with a NULL value is written as "". The object, or NULL
 * when out of memory (nothing is left allocated then); the caller frees
 * it with cJSON_Delete.
 */
struct gfi_json_field {
	const char *key;
	const char *str;        /* a string field; NULL for a number */
	double num;
	int is_num;
};

#define GFI_JSON_STR(k, s) { .key = (k), .str = (s) }
#define GFI_JSON_NUM(k, v) { .key = (k), .num = (double)(v), .is_num = 1 }
#define GFI_JSON_OBJECT(...) gfi_json_object( \
	(const struct gfi_json_field[]){ __VA_ARGS__ }, \
	sizeof((const struct gfi_json_field[]){ __VA_ARGS__ }) / \
	sizeof(struct gfi_json_field))

cJSON *gfi_json_object(const struct gfi_json_field *f, size_t n);

/* Whether s is a valid gateway/meter/point id: 1..31 chars of [A-Za-z0-9._-]
 * (DESIGN.md "Identity": an ACL pattern must never see '/', '+' or '#'). */
int gfi_id_valid(const char *s);

#endif

/*
 * profile.c — loading and checking a meter model's register map.
 *
 * A profile is hostile input (a file an installer may edit), so parsing is
 * strict: unknown keys, wrong types, out-of-range numbers, unknown quantities,
 * units that disagree with the quantity table, duplicate names and
 * overlapping registers are all errors, each reported as one line naming the
 * field ("profile x: points[3].type: ..."). A profile that loads can be
 * polled and simulated without further checks.
 *
 * Invariants of a loaded profile: 1 <= npoints <= GFI_PROFILE_MAX_POINTS;
 * every point's name is a valid id and unique; quantity is non-NULL and its
 * unit equals the point's unit; scale is finite and non-zero (positive for
 * counters); address + width - 1 <= 65535; BOOL if and only if the function
 * is coil or discrete; no two points of one function share a register (bit);
 * counter_max > 0 exactly for counters of integer type or with an explicit
 * "counter_max".
 *
 * A profile with "protocol": "dlt645" describes a DL/T 645-2007 meter: its
 * points name a data identifier ("di") and a BCD data format ("format",
 * "signed") instead of function, address, type and order; no two points
 * share an identifier, and a counter wraps where its digits end
 * (XXXXXX.XX: at 1 000 000 × scale). Either protocol may mark a point with
 * "ratio" (ct, pt, ct_pt): the meter's multiplier applies to it.
 */
#include "profile.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jsonutil.h"

static const char *const top_keys[] = {
	"id", "vendor", "model", "source", "notes", "protocol", "max_gap",
	"points", NULL,
};
static const char *const point_keys[] = {
	"name", "quantity", "function", "address", "type", "order", "scale",
	"offset", "unit", "counter_max", "ratio", "notes", NULL,
};
static const char *const dlt645_point_keys[] = {
	"name", "quantity", "di", "format", "signed", "scale", "offset", "unit",
	"counter_max", "ratio", "notes", NULL,
};

static const char *const ratio_names[] = { "none", "ct", "pt", "ct_pt" };

static const struct {
	const char *name;
	enum gfi_function fn;
} functions[] = {
	{ "coil", GFI_FN_COIL },
	{ "discrete", GFI_FN_DISCRETE },
	{ "holding", GFI_FN_HOLDING },
	{ "input", GFI_FN_INPUT },
};

#define NFUNCTIONS (sizeof(functions) / sizeof(functions[0]))

static const char *function_name(enum gfi_function fn)
{
	for (size_t i = 0; i < NFUNCTIONS; i++) {
		if (functions[i].fn == fn)
			return functions[i].name;
	}
	return "?";
}

static int is_bit_function(enum gfi_function fn)
{
	return fn == GFI_FN_COIL || fn == GFI_FN_DISCRETE;
}

static int is_float(enum gfi_regtype t)
{
	return t == GFI_T_F32 || t == GFI_T_F64;
}

/* An optional free-text string field, checked for type and discarded. */
static int check_notes(const cJSON *obj, const char *path, char *err,
		       size_t errlen)
{
	char buf[1024];

	return gfi_json_string(obj, "notes", path, 0, "", buf, sizeof(buf),
			       err, errlen);
}

static int parse_function(const cJSON *obj, const char *path,
			  enum gfi_function *out, char *err, size_t errlen)
{
	char s[16];
	int ret = gfi_json_string(obj, "function", path, 1, NULL, s, sizeof(s),
				  err, errlen);

	if (ret == GFI_E_RANGE) {
		snprintf(err, errlen, "%s.function: is not one of "
			 "coil,discrete,holding,input", path);
		return GFI_E_INVAL;
	}
	if (ret != GFI_OK)
		return ret;
	for (size_t i = 0; i < NFUNCTIONS; i++) {
		if (strcmp(s, functions[i].name) == 0) {
			*out = functions[i].fn;
			return GFI_OK;
		}
	}
	snprintf(err, errlen, "%s.function: \"%s\" is not one of "
		 "coil,discrete,holding,input", path, s);
	return GFI_E_INVAL;
}

/* The answer for a text field key that read as ret and is not one of
 * choices: ret itself when the text could not be read (missing, not a
 * string), else GFI_E_INVAL with the text (or "..." when too long). */
static int not_a_choice(int ret, const char *path, const char *key,
			const char *s, const char *choices, char *err,
			size_t errlen)
{
	if (ret != GFI_OK && ret != GFI_E_RANGE)
		return ret;
	snprintf(err, errlen, "%s.%s: \"%s\" is not one of %s", path, key,
		 ret == GFI_OK ? s : "...", choices);
	return GFI_E_INVAL;
}

static int parse_type(const cJSON *obj, const char *path,
		      enum gfi_regtype *out, char *err, size_t errlen)
{
	char s[16];
	int ret = gfi_json_string(obj, "type", path, 1, NULL, s, sizeof(s),
				  err, errlen);

	if (ret == GFI_OK && gfi_regtype_parse(s, out) == GFI_OK)
		return GFI_OK;
	return not_a_choice(ret, path, "type", s,
			    "u16,i16,u32,i32,u64,i64,f32,f64,bool", err, errlen);
}

/* "order" is required for multi-word types (getting it wrong gives
 * plausible-looking garbage) and defaults to ABCD for one word or bit. */
static int parse_order(const cJSON *obj, const char *path,
		       enum gfi_regtype t, enum gfi_order *out, char *err,
		       size_t errlen)
{
	char s[16];
	int required = gfi_regtype_words(t) > 1;
	int ret = gfi_json_string(obj, "order", path, required, "ABCD", s,
				  sizeof(s), err, errlen);

	if (ret == GFI_OK && gfi_order_parse(s, out) == GFI_OK)
		return GFI_OK;
	return not_a_choice(ret, path, "order", s, "ABCD,CDAB,BADC,DCBA", err,
			    errlen);
}

static int parse_name(const cJSON *obj, const char *path,
		      struct gfi_point *pt, char *err, size_t errlen)
{
	int ret = gfi_json_string(obj, "name", path, 1, NULL, pt->name,
				  sizeof(pt->name), err, errlen);

	if (ret != GFI_OK)
		return ret;
	if (!gfi_id_valid(pt->name)) {
		snprintf(err, errlen, "%s.name: \"%s\" must be 1..31 of "
			 "[A-Za-z0-9._-]", path, pt->name);
		return GFI_E_INVAL;
	}
	return GFI_OK;
}

static int parse_quantity_unit(const cJSON *obj, const char *path,
			       struct gfi_point *pt, char *err, size_t errlen)
{
	char q[GFI_QNAME_MAX];
	int ret = gfi_json_string(obj, "quantity", path, 1, NULL, q, sizeof(q),
				  err, errlen);

	if (ret != GFI_OK)
		return ret;
	pt->quantity = gfi_quantity_find(q);
	if (pt->quantity == NULL) {
		snprintf(err, errlen, "%s.quantity: \"%s\" is not a known "
			 "quantity (see common/quantity.c)", path, q);
		return GFI_E_INVAL;
	}
	ret = gfi_json_string(obj, "unit", path, 1, NULL, pt->unit,
			      sizeof(pt->unit), err, errlen);
	if (ret != GFI_OK)
		return ret;
	if (strcmp(pt->unit, pt->quantity->unit) != 0) {
		snprintf(err, errlen, "%s.unit: \"%s\" does not match quantity "
			 "%s, whose unit is \"%s\" (convert with scale)", path,
			 pt->unit, pt->quantity->name, pt->quantity->unit);
		return GFI_E_INVAL;
	}
	return GFI_OK;
}

static int parse_address(const cJSON *obj, const char *path,
			 struct gfi_point *pt, char *err, size_t errlen)
{
	long long addr;
	unsigned width = gfi_point_width(pt);
	int ret = gfi_json_int(obj, "address", path, 1, 0, 65535, 0, &addr,
			       err, errlen);

	if (ret != GFI_OK)
		return ret;
	if (addr + (long long)width - 1 > 65535) {
		snprintf(err, errlen, "%s.address: %lld..%lld runs past 65535",
			 path, addr, addr + (long long)width - 1);
		return GFI_E_RANGE;
	}
	pt->address = (uint16_t)addr;
	return GFI_OK;
}

static int check_function_type(const char *path, const struct gfi_point *pt,
			       char *err, size_t errlen)
{
	int bit_fn = is_bit_function(pt->function);

	if (bit_fn && pt->type != GFI_T_BOOL) {
		snprintf(err, errlen, "%s.type: %s needs function holding or "
			 "input, not %s", path, gfi_regtype_name(pt->type),
			 function_name(pt->function));
		return GFI_E_INVAL;
	}
	if (!bit_fn && pt->type == GFI_T_BOOL) {
		snprintf(err, errlen, "%s.type: bool needs function coil or "
			 "discrete, not %s", path, function_name(pt->function));
		return GFI_E_INVAL;
	}
	return GFI_OK;
}

static int parse_scale(const cJSON *obj, const char *path,
		       struct gfi_point *pt, char *err, size_t errlen)
{
	int ret = gfi_json_double(obj, "scale", path, 0, -DBL_MAX, DBL_MAX,
				  1.0, &pt->scale, err, errlen);

	if (ret != GFI_OK)
		return ret;
	if (pt->scale == 0.0) {
		snprintf(err, errlen, "%s.scale: must not be 0", path);
		return GFI_E_RANGE;
	}
	if (pt->quantity->kind == GFI_COUNTER && pt->scale < 0.0) {
		snprintf(err, errlen, "%s.scale: %g must be positive for "
			 "counter %s", path, pt->scale, pt->quantity->name);
		return GFI_E_RANGE;
	}
	return gfi_json_double(obj, "offset", path, 0, -DBL_MAX, DBL_MAX, 0.0,
			       &pt->offset, err, errlen);
}

/* counter_max: where a counter wraps to 0. Integer registers wrap at
 * (type max + 1) * scale; a meter whose display wraps earlier (99999999.9
 * kWh) says so with "counter_max". Floats and gauges: 0 (no wrap known). */
static int parse_counter_max(const cJSON *obj, const char *path,
			     struct gfi_point *pt, char *err, size_t errlen)
{
	int given = cJSON_GetObjectItemCaseSensitive(obj, "counter_max") != NULL;

	pt->counter_max = 0.0;
	if (pt->quantity->kind != GFI_COUNTER) {
		if (given) {
			snprintf(err, errlen, "%s.counter_max: only for "
				 "counters; %s is a gauge", path,
				 pt->quantity->name);
			return GFI_E_INVAL;
		}
		return GFI_OK;
	}
	if (given)
		return gfi_json_double(obj, "counter_max", path, 1, DBL_MIN,
				       DBL_MAX, 0.0, &pt->counter_max, err,
				       errlen);
	if (pt->format.bytes > 0)  /* DL/T 645: where the digits end */
		pt->counter_max = pow(10.0, 2 * pt->format.bytes -
					    pt->format.decimals) * pt->scale;
	else if (!is_float(pt->type) && pt->type != GFI_T_BOOL)
		pt->counter_max = (gfi_regtype_max(pt->type) + 1.0) * pt->scale;
	return GFI_OK;
}

static int parse_ratio(const cJSON *obj, const char *path,
		       struct gfi_point *pt, char *err, size_t errlen)
{
	char s[16];
	int ret = gfi_json_string(obj, "ratio", path, 0, "none", s, sizeof(s),
				  err, errlen);

	if (ret != GFI_OK && ret != GFI_E_RANGE)
		return ret;
	for (size_t i = 0; ret == GFI_OK && i < 4; i++) {
		if (strcmp(s, ratio_names[i]) == 0) {
			pt->ratio = (enum gfi_ratio)i;
			return GFI_OK;
		}
	}
	snprintf(err, errlen, "%s.ratio: must be ct, pt or ct_pt", path);
	return GFI_E_INVAL;
}

/* A DL/T 645 point: "di" (8 hex digits) and "format" with "signed". */
static int parse_dlt645(const cJSON *obj, const char *path,
			struct gfi_point *pt, char *err, size_t errlen)
{
	char di[16], fmt[24];
	int is_signed = 0;
	int ret;

	if ((ret = gfi_json_string(obj, "di", path, 1, NULL, di, sizeof(di),
				   err, errlen)) != GFI_E_RANGE && ret != GFI_OK)
		return ret;
	if (ret != GFI_OK || dlt645_di_parse(di, &pt->di) != GFI_OK) {
		snprintf(err, errlen, "%s.di: must be 8 hex digits DI3..DI0, "
			 "e.g. \"00010000\"", path);
		return GFI_E_INVAL;
	}
	if ((ret = gfi_json_bool(obj, "signed", path, 0, 0, &is_signed, err,
				 errlen)) ||
	    ((ret = gfi_json_string(obj, "format", path, 1, NULL, fmt,
				    sizeof(fmt), err, errlen)) != GFI_OK &&
	     ret != GFI_E_RANGE))
		return ret;
	if (ret != GFI_OK ||
	    dlt645_format_parse(fmt, is_signed, &pt->format) != GFI_OK) {
		snprintf(err, errlen, "%s.format: must be a DL/T 645 data format "
			 "of 1..8 bytes, e.g. \"XXXXXX.XX\"", path);
		return GFI_E_INVAL;
	}
	return GFI_OK;
}

/* Function, type, order and address of a Modbus point. */
static int parse_modbus(const cJSON *obj, const char *path,
			struct gfi_point *pt, char *err, size_t errlen)
{
	int ret;

	if ((ret = parse_function(obj, path, &pt->function, err, errlen)) ||
	    (ret = parse_type(obj, path, &pt->type, err, errlen)) ||
	    (ret = check_function_type(path, pt, err, errlen)) ||
	    (ret = parse_order(obj, path, pt->type, &pt->order, err, errlen)) ||
	    (ret = parse_address(obj, path, pt, err, errlen)))
		return ret;
	return GFI_OK;
}

static int parse_point(const cJSON *obj, const char *path,
		       enum gfi_protocol protocol, struct gfi_point *pt,
		       char *err, size_t errlen)
{
	int dlt645 = protocol == GFI_PROTO_DLT645;
	int ret;

	if (!cJSON_IsObject(obj)) {
		snprintf(err, errlen, "%s: must be an object", path);
		return GFI_E_INVAL;
	}
	if ((ret = gfi_json_check_keys(obj, path, dlt645 ? dlt645_point_keys
						      : point_keys, err, errlen)) ||
	    (ret = parse_name(obj, path, pt, err, errlen)) ||
	    (ret = parse_quantity_unit(obj, path, pt, err, errlen)) ||
	    (ret = (dlt645 ? parse_dlt645 : parse_modbus)(obj, path, pt, err,
							   errlen)) ||
	    (ret = parse_scale(obj, path, pt, err, errlen)) ||
	    (ret = parse_ratio(obj, path, pt, err, errlen)) ||
	    (ret = parse_counter_max(obj, path, pt, err, errlen)) ||
	    (ret = check_notes(obj, path, err, errlen)))
		return ret;
	return GFI_OK;
}

static int overlaps(const struct gfi_point *a, const struct gfi_point *b)
{
	if (a->format.bytes > 0)  /* DL/T 645: one request per identifier */
		return a->di == b->di;

	unsigned a_end = a->address + gfi_point_width(a);
	unsigned b_end = b->address + gfi_point_width(b);

	return a->function == b->function && a->address < b_end &&
	       b->address < a_end;
}

/* Point i against the points before it: unique name, no shared register.
 * Quadratic, but npoints <= 256. */
static int check_against_earlier(const struct gfi_profile *p, size_t i,
				 char *err, size_t errlen)
{
	const struct gfi_point *pt = &p->points[i];

	for (size_t j = 0; j < i; j++) {
		const struct gfi_point *q = &p->points[j];
		if (strcmp(pt->name, q->name) == 0) {
			snprintf(err, errlen, "points[%zu].name: \"%s\" "
				 "duplicates points[%zu]", i, pt->name, j);
			return GFI_E_INVAL;
		}
		if (overlaps(pt, q) && pt->format.bytes > 0) {
			snprintf(err, errlen, "points[%zu].di: %08X is already "
				 "read by points[%zu] (%s)", i, (unsigned)pt->di,
				 j, q->name);
			return GFI_E_INVAL;
		}
		if (overlaps(pt, q)) {
			snprintf(err, errlen, "points[%zu].address: %s %u..%u "
				 "overlaps points[%zu] (%s, %u..%u)", i,
				 function_name(pt->function), pt->address,
				 pt->address + gfi_point_width(pt) - 1, j,
				 q->name, q->address,
				 q->address + gfi_point_width(q) - 1);
			return GFI_E_INVAL;
		}
	}
	return GFI_OK;
}

static int parse_points(const cJSON *root, struct gfi_profile *p, char *err,
			size_t errlen)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "points");
	int n;
	int ret;

	if (arr == NULL) {
		snprintf(err, errlen, "points: missing");
		return GFI_E_INVAL;
	}
	if (!cJSON_IsArray(arr)) {
		snprintf(err, errlen, "points: must be an array");
		return GFI_E_INVAL;
	}
	n = cJSON_GetArraySize(arr);
	if (n < 1 || n > GFI_PROFILE_MAX_POINTS) {
		snprintf(err, errlen, "points: %d points, must be 1..%d", n,
			 GFI_PROFILE_MAX_POINTS);
		return GFI_E_RANGE;
	}
	p->points = calloc((size_t)n, sizeof(*p->points));
	if (p->points == NULL) {
		snprintf(err, errlen, "points: out of memory");
		return GFI_E_NOMEM;
	}
	for (int i = 0; i < n; i++) {
		char path[32];
		snprintf(path, sizeof(path), "points[%d]", i);
		ret = parse_point(cJSON_GetArrayItem(arr, i), path, p->protocol,
				  &p->points[i], err, errlen);
		if (ret == GFI_OK)
			ret = check_against_earlier(p, (size_t)i, err, errlen);
		if (ret != GFI_OK)
			return ret;
		p->npoints = (size_t)i + 1;
	}
	return GFI_OK;
}

static int parse_protocol(const cJSON *root, struct gfi_profile *p,
			  char *err, size_t errlen)
{
	char s[16];
	int ret = gfi_json_string(root, "protocol", "", 0, "modbus", s,
				  sizeof(s), err, errlen);

	if (ret == GFI_OK && strcmp(s, "modbus") == 0)
		p->protocol = GFI_PROTO_MODBUS;
	else if (ret == GFI_OK && strcmp(s, "dlt645") == 0)
		p->protocol = GFI_PROTO_DLT645;
	else if (ret == GFI_OK || ret == GFI_E_RANGE) {
		snprintf(err, errlen, "protocol: must be modbus or dlt645");
		return GFI_E_INVAL;
	}
	return ret;
}

static int parse_header(const cJSON *root, struct gfi_profile *p, char *err,
			size_t errlen)
{
	long long gap;
	int ret;

	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "top level: must be an object");
		return GFI_E_INVAL;
	}
	if ((ret = gfi_json_check_keys(root, "", top_keys, err, errlen)) ||
	    (ret = gfi_json_string(root, "id", "", 1, NULL, p->id,
				   sizeof(p->id), err, errlen)))
		return ret;
	if (!gfi_id_valid(p->id)) {
		snprintf(err, errlen, "id: \"%s\" must be 1..31 of "
			 "[A-Za-z0-9._-]", p->id);
		return GFI_E_INVAL;
	}
	if ((ret = gfi_json_string(root, "vendor", "", 1, NULL, p->vendor,
				   sizeof(p->vendor), err, errlen)) ||
	    (ret = gfi_json_string(root, "model", "", 1, NULL, p->model,
				   sizeof(p->model), err, errlen)) ||
	    (ret = gfi_json_string(root, "source", "", 1, NULL, p->source,
				   sizeof(p->source), err, errlen)) ||
	    (ret = check_notes(root, "", err, errlen)) ||
	    (ret = gfi_json_int(root, "max_gap", "", 0, 0, 125, 0, &gap, err,
				errlen)))
		return ret;
	if ((ret = parse_protocol(root, p, err, errlen)))
		return ret;
	if (p->source[0] == '\0') {
		snprintf(err, errlen, "source: must name the manual and section");
		return GFI_E_INVAL;
	}
	p->max_gap = (unsigned)gap;
	return GFI_OK;
}

/* Prefix a field error with `what` ("profile x: points[3].type: ..."). */
static void prefix_err(const char *what, char *err, size_t errlen)
{
	char inner[512];

	if (what == NULL || what[0] == '\0' || err == NULL || errlen == 0)
		return;
	snprintf(inner, sizeof(inner), "%s", err);
	snprintf(err, errlen, "%s: %s", what, inner);
}

void gfi_profile_free(struct gfi_profile *p)
{
	if (p == NULL)
		return;
	free(p->points);
	free(p);
}

int gfi_profile_parse(const char *json, size_t len, const char *what,
		      struct gfi_profile **out, char *err, size_t errlen)
{
	struct gfi_profile *p = NULL;
	cJSON *root = NULL;
	char inner[512] = "";
	int ret = GFI_E_PARSE;

	*out = NULL;
	/* gfi_json_parse names `what` itself. */
	root = gfi_json_parse(json, len, what ? what : "profile", err, errlen);
	if (root == NULL)
		return GFI_E_PARSE;
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		ret = GFI_E_NOMEM;
		snprintf(inner, sizeof(inner), "out of memory");
		goto cleanup;
	}
	ret = parse_header(root, p, inner, sizeof(inner));
	if (ret == GFI_OK)
		ret = parse_points(root, p, inner, sizeof(inner));
	if (ret == GFI_OK) {
		*out = p;
		p = NULL;
	}
cleanup:
	if (ret != GFI_OK) {
		snprintf(err, errlen, "%s", inner);
		prefix_err(what, err, errlen);
	}
	gfi_profile_free(p);
	cJSON_Delete(root);
	return ret;
}

int gfi_profile_load(const char *dir, const char *id,
		     struct gfi_profile **out, char *err, size_t errlen)
{
	struct gfi_profile *p = NULL;
	char *text = NULL;
	char path[4096];
	char what[96];
	size_t len = 0;
	int ret;

	*out = NULL;
	if (!gfi_id_valid(id)) {
		snprintf(err, errlen, "profile id \"%s\": must be 1..31 of "
			 "[A-Za-z0-9._-]", id ? id : "");
		return GFI_E_INVAL;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.json", dir, id) >=
	    sizeof(path)) {
		snprintf(err, errlen, "profile %s: directory path too long", id);
		return GFI_E_RANGE;
	}
	ret = gfi_read_file(path, GFI_PROFILE_MAX_BYTES, &text, &len, err,
			    errlen);
	if (ret != GFI_OK)
		return ret;
	snprintf(what, sizeof(what), "profile %s", id);
	ret = gfi_profile_parse(text, len, what, &p, err, errlen);
	free(text);
	if (ret != GFI_OK)
		return ret;
	if (strcmp(p->id, id) != 0) {
		snprintf(err, errlen, "profile %s: id: \"%s\" does not match "
			 "the file name %s.json", id, p->id, id);
		gfi_profile_free(p);
		return GFI_E_INVAL;
	}
	*out = p;
	return GFI_OK;
}

const struct gfi_point *gfi_profile_point(const struct gfi_profile *p,
					  const char *name)
{
	if (p == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < p->npoints; i++) {
		if (strcmp(p->points[i].name, name) == 0)
			return &p->points[i];
	}
	return NULL;
}

unsigned gfi_point_width(const struct gfi_point *pt)
{
	if (pt->format.bytes > 0)
		return (pt->format.bytes + 1u) / 2u;
	return gfi_regtype_words(pt->type);
}

int gfi_point_decode_bcd(const struct gfi_point *pt, const uint8_t *data,
			 double *value)
{
	double raw;
	int ret = dlt645_bcd_decode(&pt->format, data, &raw);

	if (ret != GFI_OK)
		return ret;
	*value = raw * pt->scale + pt->offset;
	return isfinite(*value) ? GFI_OK : GFI_E_RANGE;
}

int gfi_point_encode_bcd(const struct gfi_point *pt, double value,
			 uint8_t *data)
{
	return dlt645_bcd_encode(&pt->format, (value - pt->offset) / pt->scale,
				 data);
}

/* A DL/T 645 point's bytes packed in words, two a word, first byte low. */
static void bytes_to_words(const uint8_t *b, size_t n, uint16_t *words)
{
	for (size_t i = 0; i < n; i += 2)
		words[i / 2] = (uint16_t)(b[i] | (i + 1 < n ? b[i + 1] << 8 : 0));
}

static void words_to_bytes(const uint16_t *words, size_t n, uint8_t *b)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(words[i / 2] >> (i % 2 ? 8 : 0));
}

int gfi_point_decode(const struct gfi_point *pt, const uint16_t *words,
		     double *value)
{
	double raw;
	int ret;

	if (pt->format.bytes > 0) {
		uint8_t b[8];
		words_to_bytes(words, pt->format.bytes, b);
		return gfi_point_decode_bcd(pt, b, value);
	}
	ret = gfi_reg_decode(pt->type, pt->order, words, &raw);

	if (ret != GFI_OK)
		return ret;
	*value = raw * pt->scale + pt->offset;
	if (!isfinite(*value))
		return GFI_E_RANGE;
	return GFI_OK;
}

int gfi_point_encode(const struct gfi_point *pt, double value, uint16_t *words)
{
	double raw = (value - pt->offset) / pt->scale;

	if (pt->format.bytes > 0) {
		uint8_t b[8];
		int ret = gfi_point_encode_bcd(pt, value, b);
		if (ret == GFI_OK)
			bytes_to_words(b, pt->format.bytes, words);
		return ret;
	}
	/* A float point keeps NaN/Inf so a simulator can send "no value". */
	if (!isfinite(value) && !is_float(pt->type))
		return GFI_E_RANGE;
	return gfi_reg_encode(pt->type, pt->order, raw, words);
}

/* The raw range the type can carry, as doubles a cast can take. */
static void raw_limits(enum gfi_regtype t, double *lo, double *hi)
{
	switch (t) {
	case GFI_T_U16: *lo = 0; *hi = 65535.0; break;
	case GFI_T_I16: *lo = -32768.0; *hi = 32767.0; break;
	case GFI_T_U32: *lo = 0; *hi = 4294967295.0; break;
	case GFI_T_I32: *lo = -2147483648.0; *hi = 2147483647.0; break;
	/* largest doubles below 2^64 and 2^63 */
	case GFI_T_U64: *lo = 0; *hi = 18446744073709549568.0; break;
	case GFI_T_I64:
		*lo = -9223372036854775808.0;
		*hi = 9223372036854774784.0;
		break;
	case GFI_T_F32: *lo = -FLT_MAX; *hi = FLT_MAX; break;
	case GFI_T_BOOL: *lo = 0; *hi = 1; break;
	default: *lo = -DBL_MAX; *hi = DBL_MAX; break;
	}
}

/* What a reader decodes after the simulator encodes value. A value beyond
 * the type's range is clamped to the nearest end (as a saturating display
 * would show it); a BOOL value is 1 if non-zero; NaN stays NaN. */
double gfi_point_representable(const struct gfi_point *pt, double value)
{
	uint16_t words[4];
	double raw, lo, hi, out;

	if (isnan(value))
		return value;
	raw = (value - pt->offset) / pt->scale;
	if (pt->format.bytes > 0)
		return dlt645_representable(&pt->format, raw) * pt->scale +
		       pt->offset;
	raw_limits(pt->type, &lo, &hi);
	if (pt->type == GFI_T_BOOL)
		raw = raw != 0.0 ? 1.0 : 0.0;
	if (!(raw >= lo))
		raw = lo;
	if (!(raw <= hi))
		raw = hi;
	if (gfi_reg_encode(pt->type, pt->order, raw, words) != GFI_OK ||
	    gfi_reg_decode(pt->type, pt->order, words, &out) != GFI_OK)
		return NAN; /* not reached: raw is within the type */
	return out * pt->scale + pt->offset;
}

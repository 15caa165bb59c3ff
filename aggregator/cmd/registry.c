/*
 * registry.c — what a valid registry entry is, and the admin command line
 * (`gfi-aggregator admin --store FILE OBJECT VERB [--field value ...]`).
 *
 * Why: the registry decides which gateway may speak for which unit and what
 * each meter point means in the unit's balance; a wrong entry silently skews
 * a year's indicators, so every input is checked here before the store sees
 * it: credit codes by their GB 32100-2015 check character, ids by the
 * broker-safe alphabet, roles against the quantity table, keys against the
 * registered counties, units, gateways and meter points.
 *
 * Invariants: a command changes the store only after every field has been
 * accepted; a refusal writes exactly one line on err, starting with the
 * field ("--code: ..."), with control characters of echoed input replaced,
 * and exits 2; a store failure exits 1; nothing here reads past argv or
 * trusts a number that strtol/strtod did not consume whole.
 */
#include "registry.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "calendar.h"
#include "error.h"
#include "jsonutil.h"
#include "quantity.h"
#include "sign.h"

/* ---- unified social credit code, GB 32100-2015 ---- */

/* The code's alphabet (GB 32100-2015 §4.2): digits and capitals without
 * I, O, Z, S, V. A character's value is its index here. */
static const char credit_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
/* Weights of positions 1..17 for the check character (§5.2): 3^(i-1) mod 31. */
static const int credit_weights[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20,
					29, 25, 13, 8, 24, 10, 30, 28 };
/* Registration authorities of §4.1 table 1 and its amendments: 1 机构编制,
 * 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会, 9 工商,
 * A 中央军委改革和编制办公室, N 农业, Y 其他. */
static const char credit_authorities[] = "123456789ANY";

static int credit_value(char c)
{
	const char *p = c != '\0' ? strchr(credit_alphabet, c) : NULL;
	return p != NULL ? (int)(p - credit_alphabet) : -1;
}

/* What is wrong with code, or NULL when it is valid. */
static const char *credit_code_problem(const char *code)
{
	int sum = 0, check;

	if (code == NULL || strnlen(code, STORE_CODE_LEN + 1) != STORE_CODE_LEN)
		return "length, 18 characters";
	for (int i = 0; i < STORE_CODE_LEN; i++) {
		if (credit_value(code[i]) < 0)
			return "character outside 0-9 A-Z without I O Z S V";
	}
	if (strchr(credit_authorities, code[0]) == NULL)
		return "registration authority, position 1";
	if (code[1] < '1' || code[1] > '9')
		return "organisation category, position 2";
	for (int i = 2; i < 8; i++) {
		if (code[i] < '0' || code[i] > '9')
			return "administrative division code, positions 3-8";
	}
	for (int i = 0; i < 17; i++)
		sum += credit_value(code[i]) * credit_weights[i];
	check = 31 - sum % 31;
	if (check == 31)
		check = 0;
	return code[17] == credit_alphabet[check] ? NULL : "check character";
}

int registry_credit_code_valid(const char *code)
{
	return credit_code_problem(code) == NULL;
}

/* ---- roles ---- */

static const char *const q_elec[] = { "elec_import_kwh", "elec_export_kwh", NULL };
static const char *const q_fuel[] = { "gas_volume_m3", "fuel_mass_t", "heat_energy_gj", NULL };
static const char *const q_heat[] = { "steam_mass_t", "heat_energy_gj", NULL };
static const char *const q_water[] = { "water_volume_m3", NULL };
static const char *const q_wastewater[] = { "wastewater_volume_m3", NULL };
static const char *const q_production[] = { "product_count", "product_mass_t", NULL };
static const char *const q_stack[] = { "flue_flow_m3h", "so2_mgm3", "nox_mgm3",
	"dust_mgm3", "o2_pct", "cems_flag", "cod_mgl", "nh3n_mgl",
	"wastewater_flow_m3h", NULL };

/* Which quantities each role accepts; NULL: any known quantity. Indexed by
 * enum meter_role. */
static const struct {
	const char *name;
	const char *const *quantities;
} roles[] = {
	[ROLE_NONE] = { "none", NULL },
	[ROLE_ELEC_PURCHASED] = { "elec_purchased", q_elec },
	[ROLE_ELEC_EXPORTED] = { "elec_exported", q_elec },
	[ROLE_RENEWABLE_GEN] = { "renewable_gen", q_elec },
	[ROLE_FUEL] = { "fuel", q_fuel },
	[ROLE_HEAT_PURCHASED] = { "heat_purchased", q_heat },
	[ROLE_WATER_INTAKE] = { "water_intake", q_water },
	[ROLE_WATER_RECYCLED] = { "water_recycled", q_water },
	[ROLE_WASTEWATER] = { "wastewater", q_wastewater },
	[ROLE_PRODUCTION] = { "production", q_production },
	[ROLE_STACK] = { "stack", q_stack },
	[ROLE_SUBMETER] = { "submeter", NULL },
};
#define NROLES ((int)(sizeof(roles) / sizeof(roles[0])))

int registry_role_fits(enum meter_role role, const char *quantity)
{
	const char *const *q;

	if ((int)role < 0 || (int)role >= NROLES || gfi_quantity_find(quantity) == NULL)
		return 0;
	if (roles[role].quantities == NULL)
		return 1;
	for (q = roles[role].quantities; *q != NULL; q++) {
		if (strcmp(*q, quantity) == 0)
			return 1;
	}
	return 0;
}

int registry_role_parse(const char *s, enum meter_role *out)
{
	for (int i = 0; s != NULL && i < NROLES; i++) {
		if (strcmp(roles[i].name, s) == 0) {
			*out = (enum meter_role)i;
			return GFI_OK;
		}
	}
	return GFI_E_INVAL;
}

const char *registry_role_name(enum meter_role r)
{
	return (int)r >= 0 && (int)r < NROLES ? roles[r].name : "unknown";
}

/* ---- manual facts ---- */

static const struct registry_fact_key fact_keys[] = {
	{ "output_value_10k_cny", "10^4 CNY", "工业总产值", 0, 1e12 },
	{ "value_added_10k_cny", "10^4 CNY", "工业增加值", -1e12, 1e12 },
	{ "solid_waste_generated_t", "t", "一般工业固体废物产生量", 0, 1e12 },
	{ "solid_waste_used_t", "t", "一般工业固体废物综合利用量", 0, 1e12 },
	{ "hazardous_waste_generated_t", "t", "危险废物产生量", 0, 1e12 },
	{ "hazardous_waste_disposed_t", "t", "危险废物安全处置量", 0, 1e12 },
	{ "vocs_t", "t", "挥发性有机物排放量", 0, 1e12 },
	{ "land_area_m2", "m2", "用地面积", 0, 1e12 },
	{ "floor_area_m2", "m2", "总建筑面积", 0, 1e12 },
	{ "building_footprint_m2", "m2", "建筑物基底面积", 0, 1e12 },
	{ "green_electricity_kwh", "kWh", "绿色电力购入量(绿证)", 0, 1e13 },
	{ "measured_ncv_gas_kgce_m3", "kgce/m3", "天然气实测折标系数", 0.5, 2.5 },
};
#define NFACT_KEYS (sizeof(fact_keys) / sizeof(fact_keys[0]))

const struct registry_fact_key *registry_fact_key_find(const char *key)
{
	for (size_t i = 0; key != NULL && i < NFACT_KEYS; i++) {
		if (strcmp(fact_keys[i].key, key) == 0)
			return &fact_keys[i];
	}
	return NULL;
}

/* ---- the command line: arguments and refusals ---- */

#define OPTS_MAX 24
#define STATUS_BAD 2
#define STATUS_FAIL 1

struct opt {
	const char *name;   /* without the leading "--" */
	const char *value;  /* "" for --json */
};

struct cli {
	FILE *out, *err;
	struct store *s;
	const char *object, *verb;
	struct opt opts[OPTS_MAX];
	int nopts;
	int json;
	int status;         /* 0, or the exit status of the first problem */
	int64_t now_s;
};

/* Write one line "<prefix>: <message>" on err, control characters of the
 * echoed input replaced, and remember status. Only the first problem is
 * reported, so a refusal is always exactly one line. */
static void problem(struct cli *c, int status, const char *prefix,
		    const char *fmt, va_list ap)
{
	char line[512];
	int n;

	if (c->status != 0)
		return;
	c->status = status;
	n = snprintf(line, sizeof(line), "%s: ", prefix);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	for (char *p = line; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	fprintf(c->err, "%s\n", line);
}

/* Refuse input: "--flag: why", exit 2. */
__attribute__((format(printf, 3, 4)))
static void refuse(struct cli *c, const char *flag, const char *fmt, ...)
{
	char prefix[48];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "--%s", flag);
	va_start(ap, fmt);
	problem(c, STATUS_BAD, prefix, fmt, ap);
	va_end(ap);
}

/* Refuse a word of the command itself ("object", "verb", "admin"). */
__attribute__((format(printf, 3, 4)))
static void refuse_word(struct cli *c, const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	problem(c, STATUS_BAD, what, fmt, ap);
	va_end(ap);
}

/* A store failure: exit 1. The store has logged SQLite's reason. */
static void failed(struct cli *c, const char *what, int ret)
{
	if (c->status != 0)
		return;
	c->status = STATUS_FAIL;
	fprintf(c->err, "store: %s failed: %s\n", what, gfi_strerror(ret));
}

static const char *opt(const struct cli *c, const char *name)
{
	for (int i = 0; i < c->nopts; i++) {
		if (strcmp(c->opts[i].name, name) == 0)
			return c->opts[i].value;
	}
	return NULL;
}

/* Whether word is one of the space-separated words of list. */
static int word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

static void parse_args(struct cli *c, int argc, char **argv)
{
	for (int i = 0; i < argc && c->status == 0; i++) {
		const char *a = argv[i];

		if (strncmp(a, "--", 2) != 0) {
			if (c->object == NULL)
				c->object = a;
			else if (c->verb == NULL)
				c->verb = a;
			else
				refuse_word(c, "admin", "unexpected argument %s", a);
			continue;
		}
		if (a[2] == '\0' || opt(c, a + 2) != NULL) {
			refuse(c, a + 2, a[2] ? "given twice" : "empty option name");
			continue;
		}
		if (c->nopts == OPTS_MAX) {
			refuse(c, a + 2, "too many options");
			continue;
		}
		if (strcmp(a + 2, "json") == 0) {
			c->json = 1;
			c->opts[c->nopts++] = (struct opt){ a + 2, "" };
			continue;
		}
		if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0) {
			refuse(c, a + 2, "missing value");
			continue;
		}
		c->opts[c->nopts++] = (struct opt){ a + 2, argv[++i] };
	}
}

/* ---- field parsers: each leaves dst alone when the flag is absent ---- */

/* Valid UTF-8 without control characters (they would break a listing). */
static int text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 :
			(*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0 || *p < 0x20 || *p == 0x7f || (n == 1 && *p < 0xc2))
			return 0;
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		}
		p += n + 1;
	}
	return 1;
}

static void take_text(struct cli *c, const char *name, char *dst, size_t size,
		      int may_be_empty)
{
	const char *v = opt(c, name);

	if (v == NULL || c->status != 0)
		return;
	if (v[0] == '\0' && !may_be_empty)
		refuse(c, name, "empty");
	else if (strlen(v) >= size)
		refuse(c, name, "longer than %zu bytes", size - 1);
	else if (!text_ok(v))
		refuse(c, name, "not UTF-8 text without control characters");
	else
		snprintf(dst, size, "%s", v);
}

/* Lowercase words such as "natural_gas": [a-z0-9_], 1..size-1. */
static void take_word(struct cli *c, const char *name, char *dst, size_t size)
{
	const char *v = opt(c, name);

	if (v == NULL || c->status != 0)
		return;
	if (v[0] == '\0' || strlen(v) >= size || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(v))
		refuse(c, name, "%s is not a word of 1..%zu characters of a-z 0-9 _",
		       v, size - 1);
	else
		snprintf(dst, size, "%s", v);
}

static void take_id(struct cli *c, const char *name, char *dst)
{
	const char *v = opt(c, name);

	if (v == NULL || c->status != 0)
		return;
	if (!gfi_id_valid(v))
		refuse(c, name, "%s is not a valid id (1..31 characters of A-Z a-z 0-9 . _ -)", v);
	else
		snprintf(dst, GFI_ID_MAX, "%s", v);
}

static void take_credit_code(struct cli *c, const char *name, char *dst)
{
	const char *v = opt(c, name), *why;

	if (v == NULL || c->status != 0)
		return;
	if ((why = credit_code_problem(v)) != NULL)
		refuse(c, name, "%s is not a valid unified social credit code (%s)", v, why);
	else
		snprintf(dst, STORE_CODE_LEN + 1, "%s", v);
}

/* Administrative division code (GB/T 2260): six digits. */
static void take_county_code(struct cli *c, const char *name, char *dst, size_t size)
{
	const char *v = opt(c, name);

	if (v == NULL || c->status != 0)
		return;
	if (strlen(v) != 6 || strspn(v, "0123456789") != 6)
		refuse(c, name, "%s is not a 6-digit administrative division code", v);
	else
		snprintf(dst, size, "%s", v);
}

static void take_int(struct cli *c, const char *name, long min, long max, int *dst)
{
	const char *v = opt(c, name);
	char *end = NULL;
	long n;

	if (v == NULL || c->status != 0)
		return;
	errno = 0;
	n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || errno != 0)
		refuse(c, name, "%s is not an integer", v);
	else if (n < min || n > max)
		refuse(c, name, "%s out of range %ld..%ld", v, min, max);
	else
		*dst = (int)n;
}

static void take_double(struct cli *c, const char *name, double min, double max,
			double *dst)
{
	const char *v = opt(c, name);
	char *end = NULL;
	double d;

	if (v == NULL || c->status != 0)
		return;
	errno = 0;
	d = strtod(v, &end);
	if (end == v || *end != '\0' || errno == ERANGE || !isfinite(d))
		refuse(c, name, "%s is not a finite number", v);
	else if (d < min || d > max)
		refuse(c, name, "%s out of range %g..%g", v, min, max);
	else
		*dst = d;
}

static int take_choice(struct cli *c, const char *name, const char *const *names,
		       const char *all, int *dst)
{
	const char *v = opt(c, name);

	if (v == NULL || c->status != 0)
		return 0;
	for (int i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], v) == 0) {
			*dst = i;
			return 1;
		}
	}
	refuse(c, name, "%s is not one of %s", v, all);
	return 0;
}

#define TIME_YEAR_MIN 2000
#define TIME_YEAR_MAX 2100

/* Epoch seconds, or a local date or time (calendar_parse_time), within the
 * years TIME_YEAR_MIN..MAX. */
static void take_time(struct cli *c, const char *name, int64_t *dst)
{
	const int64_t min = calendar_midnight(TIME_YEAR_MIN, 1, 1);
	const int64_t max = calendar_midnight(TIME_YEAR_MAX + 1, 1, 1) - 1;
	const char *v = opt(c, name);
	int64_t t = 0;
	int ok;

	if (v == NULL || c->status != 0)
		return;
	ok = calendar_parse_time(v, CALENDAR_DATE_ONLY_OK | CALENDAR_EPOCH_OK, &t,
				 NULL, 0) == GFI_OK && t >= min && t <= max;
	if (!ok && v[0] != '\0' && strspn(v, "0123456789") == strlen(v))
		refuse(c, name, "%s out of range %" PRId64 "..%" PRId64
		       " (epoch seconds, years %d..%d)", v, min, max,
		       TIME_YEAR_MIN, TIME_YEAR_MAX);
	else if (!ok)
		refuse(c, name, "%s is not a time (epoch seconds, or YYYY-MM-DD "
		       "[HH:MM[:SS]] Asia/Shanghai, years %d..%d)", v,
		       TIME_YEAR_MIN, TIME_YEAR_MAX);
	else
		*dst = t;
}

#define PUBKEY_FILE_MAX 8192

/* A "BEGIN PUBLIC KEY" PEM file holding a P-256 key. */
static void take_pubkey(struct cli *c, const char *name, char *dst, size_t size)
{
	const char *path = opt(c, name);
	char *text = NULL, why[256] = "";
	size_t len = 0, lead;
	struct gfi_verifier *v = NULL;

	if (path == NULL || c->status != 0)
		return;
	if (gfi_read_file(path, PUBKEY_FILE_MAX, &text, &len, why, sizeof(why)) != GFI_OK) {
		refuse(c, name, "%s", why);
		return;
	}
	lead = strspn(text, " \t\r\n");
	if (strncmp(text + lead, "-----BEGIN PUBLIC KEY-----", 26) != 0)
		refuse(c, name, "%s is not a \"BEGIN PUBLIC KEY\" PEM file", path);
	else if (gfi_verifier_new(text, len, &v, why, sizeof(why)) != GFI_OK)
		refuse(c, name, "%s is not a P-256 public key (%s)", path, why);
	else if (len - lead >= size)
		refuse(c, name, "%s is longer than a P-256 public key PEM", path);
	else
		snprintf(dst, size, "%s", text + lead);
	gfi_verifier_free(v);
	free(text);
}

/* ---- references: refuse naming the flag that carries the key ---- */

static int county_usable(struct cli *c, const char *flag, const char *code)
{
	struct reg_county k;
	int ret;

	if (c->status != 0)
		return 0;
	ret = store_county_get(c->s, code, &k);
	if (ret == GFI_E_NOTFOUND)
		refuse(c, flag, "%s is not a registered county", code);
	else if (ret != GFI_OK)
		failed(c, "county lookup", ret);
	else if (k.retired)
		refuse(c, flag, "%s is a retired county", code);
	return c->status == 0;
}

static int unit_usable(struct cli *c, const char *flag, const char *code,
		       struct reg_unit *u)
{
	int ret;

	if (c->status != 0)
		return 0;
	ret = store_unit_get(c->s, code, u);
	if (ret == GFI_E_NOTFOUND)
		refuse(c, flag, "%s is not a registered unit", code);
	else if (ret != GFI_OK)
		failed(c, "unit lookup", ret);
	else if (u->retired)
		refuse(c, flag, "%s is a retired unit", code);
	return c->status == 0;
}

static int gateway_usable(struct cli *c, const char *flag, const char *id)
{
	struct reg_gateway g;
	int ret;

	if (c->status != 0)
		return 0;
	ret = store_gateway_get(c->s, id, &g);
	if (ret == GFI_E_NOTFOUND)
		refuse(c, flag, "%s is not a registered gateway", id);
	else if (ret != GFI_OK)
		failed(c, "gateway lookup", ret);
	else if (!g.active)
		refuse(c, flag, "%s is a retired gateway", id);
	return c->status == 0;
}

/* The result of a put: key names the flag of the object's key, ref what
 * kind of thing it refers to (checked before, so only a concurrent retire
 * or removal gets here). */
static void put_result(struct cli *c, int ret, const char *key, const char *val,
		       const char *ref)
{
	if (ret == GFI_OK || c->status != 0)
		return;
	if (ret == GFI_E_EXISTS)
		refuse(c, key, "%s already exists", val);
	else if (ret == GFI_E_NOTFOUND)
		refuse(c, key, "%s: the %s it refers to is not registered", val, ref);
	else if (ret == GFI_E_INVAL)
		refuse(c, key, "%s refused by the store", val);
	else
		failed(c, "write", ret);
}

/* ---- listings ---- */

struct lister {
	struct cli *c;
	const char *const *cols;   /* TSV columns, NULL-terminated */
	int header_done;
	cJSON *(*build)(const void *row);
	int (*keep)(const struct lister *l, const void *row);
	const char *filter;        /* unit list: county; gateway list: unit */
	int filter_kind;           /* unit list: kind or -1 */
};

static void tsv_value(FILE *f, const cJSON *v)
{
	if (cJSON_IsString(v))
		fputs(v->valuestring, f);
	else if (cJSON_IsBool(v))
		fputs(cJSON_IsTrue(v) ? "1" : "0", f);
	else if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
		 fabs(v->valuedouble) < 9007199254740992.0)
		fprintf(f, "%lld", (long long)v->valuedouble);
	else if (cJSON_IsNumber(v))
		fprintf(f, "%.15g", v->valuedouble);
}

static int list_row(void *ctx, const void *row)
{
	struct lister *l = ctx;
	cJSON *j;

	if (l->keep != NULL && !l->keep(l, row))
		return 0;
	if ((j = l->build(row)) == NULL) {
		failed(l->c, "listing", GFI_E_NOMEM);
		return 1;
	}
	if (l->c->json) {
		char *text = cJSON_PrintUnformatted(j);
		if (text != NULL)
			fprintf(l->c->out, "%s\n", text);
		cJSON_free(text);
	} else {
		for (int i = 0; l->cols[i] != NULL; i++) {
			fputs(i ? "\t" : "", l->c->out);
			tsv_value(l->c->out, cJSON_GetObjectItemCaseSensitive(j, l->cols[i]));
		}
		fputc('\n', l->c->out);
	}
	cJSON_Delete(j);
	return 0;
}

static void list_header(struct lister *l)
{
	if (l->c->json)
		return;
	for (int i = 0; l->cols[i] != NULL; i++)
		fprintf(l->c->out, "%s%s", i ? "\t" : "", l->cols[i]);
	fputc('\n', l->c->out);
}

static void list_done(struct cli *c, int ret)
{
	if (ret != GFI_OK)
		failed(c, "listing", ret);
}

static const char *const *const unit_kinds = unit_kind_names;   /* store.h */
static const char *const *const unit_levels = unit_level_names;

/* cJSON_Add* return NULL on allocation failure; one check at the end of
 * each builder is enough because cJSON_Delete frees a partial object. */
static cJSON *county_json(const void *row)
{
	const struct reg_county *k = row;
	cJSON *j = cJSON_CreateObject();

	if (j == NULL || !cJSON_AddStringToObject(j, "code", k->code) ||
	    !cJSON_AddStringToObject(j, "name", k->name) ||
	    !cJSON_AddNumberToObject(j, "retired", k->retired)) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static const char *choice_name(const char *const *names, int n, int i)
{
	return i >= 0 && i < n ? names[i] : "unknown";
}

static cJSON *unit_json(const void *row)
{
	const struct reg_unit *u = row;
	cJSON *j = cJSON_CreateObject();

	if (j == NULL || !cJSON_AddStringToObject(j, "code", u->code) ||
	    !cJSON_AddStringToObject(j, "name", u->name) ||
	    !cJSON_AddStringToObject(j, "kind", choice_name(unit_kinds, 3, (int)u->kind)) ||
	    !cJSON_AddStringToObject(j, "county", u->county) ||
	    !cJSON_AddStringToObject(j, "level", choice_name(unit_levels, 3, (int)u->level)) ||
	    !cJSON_AddNumberToObject(j, "year", u->year_listed) ||
	    !cJSON_AddStringToObject(j, "sector", u->sector) ||
	    !cJSON_AddNumberToObject(j, "retired", u->retired)) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static cJSON *gateway_json(const void *row)
{
	const struct reg_gateway *g = row;
	uint8_t sum[GFI_SHA256_LEN];
	char hex[2 * GFI_SHA256_LEN + 1];
	cJSON *j = cJSON_CreateObject();

	/* The PEM spans lines; a listing shows its SHA-256 (of the PEM text)
	 * to compare with the gateway's file, the JSON also the PEM itself. */
	gfi_sha256(g->pubkey_pem, strlen(g->pubkey_pem), sum);
	gfi_hex(sum, sizeof(sum), hex);
	if (j == NULL || !cJSON_AddStringToObject(j, "id", g->id) ||
	    !cJSON_AddStringToObject(j, "unit", g->unit) ||
	    !cJSON_AddNumberToObject(j, "active", g->active) ||
	    !cJSON_AddNumberToObject(j, "registered_s", (double)g->registered_s) ||
	    !cJSON_AddStringToObject(j, "pubkey_sha256", hex) ||
	    !cJSON_AddStringToObject(j, "pubkey_pem", g->pubkey_pem)) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static cJSON *meter_json(const void *row)
{
	const struct reg_meter *m = row;
	cJSON *j = cJSON_CreateObject();

	if (j == NULL || !cJSON_AddStringToObject(j, "gateway", m->gateway) ||
	    !cJSON_AddStringToObject(j, "meter", m->meter) ||
	    !cJSON_AddStringToObject(j, "point", m->point) ||
	    !cJSON_AddStringToObject(j, "quantity", m->quantity) ||
	    !cJSON_AddStringToObject(j, "role", registry_role_name(m->role)) ||
	    !cJSON_AddStringToObject(j, "carrier", m->carrier) ||
	    !cJSON_AddNumberToObject(j, "counter_max", m->counter_max) ||
	    !cJSON_AddStringToObject(j, "product", m->product) ||
	    !cJSON_AddStringToObject(j, "product_unit", m->product_unit) ||
	    !cJSON_AddNumberToObject(j, "accuracy_pct", m->accuracy_pct) ||
	    !cJSON_AddNumberToObject(j, "registered_s", (double)m->registered_s) ||
	    !cJSON_AddNumberToObject(j, "retired", m->retired)) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static cJSON *replacement_json(const void *row)
{
	const struct reg_replacement *r = row;
	cJSON *j = cJSON_CreateObject();

	if (j == NULL || !cJSON_AddStringToObject(j, "gateway", r->gateway) ||
	    !cJSON_AddStringToObject(j, "meter", r->meter) ||
	    !cJSON_AddStringToObject(j, "point", r->point) ||
	    !cJSON_AddNumberToObject(j, "time_s", (double)r->time_s) ||
	    !cJSON_AddNumberToObject(j, "old_final", r->old_final) ||
	    !cJSON_AddNumberToObject(j, "new_initial", r->new_initial)) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static cJSON *pair_json(const void *row, const char *first, const char *second)
{
	const struct reg_pair *p = row;
	cJSON *j = cJSON_CreateObject();

	if (j == NULL || !cJSON_AddStringToObject(j, first, p->first) ||
	    !cJSON_AddStringToObject(j, second, p->second)) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static cJSON *member_json(const void *row)
{
	return pair_json(row, "park", "member");
}

static cJSON *supplier_json(const void *row)
{
	return pair_json(row, "enterprise", "supplier");
}

static cJSON *fact_json(const void *row)
{
	const struct reg_fact *f = row;
	const struct registry_fact_key *k = registry_fact_key_find(f->key);
	cJSON *j = cJSON_CreateObject();

	if (j == NULL || !cJSON_AddStringToObject(j, "unit", f->unit) ||
	    !cJSON_AddNumberToObject(j, "year", f->year) ||
	    !cJSON_AddNumberToObject(j, "month", f->month) ||
	    !cJSON_AddStringToObject(j, "key", f->key) ||
	    !cJSON_AddNumberToObject(j, "value", f->value) ||
	    !cJSON_AddStringToObject(j, "value_unit", k != NULL ? k->unit : "") ||
	    !cJSON_AddStringToObject(j, "entered_by", f->entered_by) ||
	    !cJSON_AddNumberToObject(j, "entered_s", (double)f->entered_s)) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

/* ---- counties ---- */

static int county_find(struct cli *c, struct reg_county *k)
{
	int ret;

	k->code[0] = '\0';
	take_county_code(c, "code", k->code, sizeof(k->code));
	if (c->status != 0)
		return 0;
	ret = store_county_get(c->s, k->code, k);
	if (ret == GFI_E_NOTFOUND)
		refuse(c, "code", "%s is not a registered county", opt(c, "code"));
	else if (ret != GFI_OK)
		failed(c, "county lookup", ret);
	return c->status == 0;
}

static void county_add(struct cli *c)
{
	struct reg_county k = { 0 };

	take_county_code(c, "code", k.code, sizeof(k.code));
	take_text(c, "name", k.name, sizeof(k.name), 0);
	if (c->status == 0)
		put_result(c, store_county_put(c->s, &k, 1), "code", k.code, "county");
}

static void county_change(struct cli *c)
{
	struct reg_county k;

	if (!county_find(c, &k))
		return;
	take_text(c, "name", k.name, sizeof(k.name), 0);
	if (strcmp(c->verb, "retire") == 0)
		k.retired = 1;
	if (c->status == 0)
		put_result(c, store_county_put(c->s, &k, 0), "code", k.code, "county");
}

static void county_list(struct cli *c)
{
	static const char *const cols[] = { "code", "name", "retired", NULL };
	struct lister l = { .c = c, .cols = cols, .build = county_json };

	list_header(&l);
	list_done(c, store_county_list(c->s, list_row, &l));
}

/* ---- units ---- */

static void unit_fields(struct cli *c, struct reg_unit *u)
{
	int kind = (int)u->kind, level = (int)u->level;

	take_text(c, "name", u->name, sizeof(u->name), 0);
	if (take_choice(c, "kind", unit_kinds, "factory, park, supply_chain", &kind))
		u->kind = (enum unit_kind)kind;
	take_county_code(c, "county", u->county, sizeof(u->county));
	if (take_choice(c, "level", unit_levels, "national, provincial, city", &level))
		u->level = (enum unit_level)level;
	take_int(c, "year", 2000, 2100, &u->year_listed);
	take_text(c, "sector", u->sector, sizeof(u->sector), 1);
	if (opt(c, "county") != NULL)
		county_usable(c, "county", u->county);
}

static void unit_add(struct cli *c)
{
	struct reg_unit u = { 0 };

	take_credit_code(c, "code", u.code);
	unit_fields(c, &u);
	if (c->status == 0)
		put_result(c, store_unit_put(c->s, &u, 1), "code", u.code, "county");
}

static void unit_change(struct cli *c)
{
	struct reg_unit u = { 0 };
	int ret;

	take_credit_code(c, "code", u.code);
	if (c->status != 0)
		return;
	ret = store_unit_get(c->s, u.code, &u);
	if (ret == GFI_E_NOTFOUND)
		refuse(c, "code", "%s is not a registered unit", opt(c, "code"));
	else if (ret != GFI_OK)
		failed(c, "unit lookup", ret);
	unit_fields(c, &u);
	if (strcmp(c->verb, "retire") == 0)
		u.retired = 1;
	if (c->status == 0)
		put_result(c, store_unit_put(c->s, &u, 0), "code", u.code, "county");
}

static int unit_keep(const struct lister *l, const void *row)
{
	const struct reg_unit *u = row;

	return (l->filter == NULL || strcmp(l->filter, u->county) == 0) &&
	       (l->filter_kind < 0 || l->filter_kind == (int)u->kind);
}

static void unit_list(struct cli *c)
{
	static const char *const cols[] = { "code", "name", "kind", "county",
		"level", "year", "sector", "retired", NULL };
	struct lister l = { .c = c, .cols = cols, .build = unit_json,
			    .keep = unit_keep, .filter_kind = -1 };
	char county[16] = "";

	take_county_code(c, "county", county, sizeof(county));
	take_choice(c, "kind", unit_kinds, "factory, park, supply_chain", &l.filter_kind);
	if (c->status != 0)
		return;
	l.filter = county[0] ? county : NULL;
	list_header(&l);
	list_done(c, store_unit_list(c->s, list_row, &l));
}

/* ---- members and suppliers ---- */

/* first must be a unit of kind want; second any registered unit. */
static void pair_add(struct cli *c, const char *first_flag, const char *second_flag,
		     enum unit_kind want, const char *want_name,
		     int (*put)(struct store *, const char *, const char *))
{
	char first[STORE_CODE_LEN + 1] = "", second[STORE_CODE_LEN + 1] = "";
	struct reg_unit u1, u2;
	int ret;

	take_credit_code(c, first_flag, first);
	take_credit_code(c, second_flag, second);
	if (!unit_usable(c, first_flag, first, &u1))
		return;
	if (u1.kind != want) {
		refuse(c, first_flag, "%s is a %s, not a %s", first,
		       choice_name(unit_kinds, 3, (int)u1.kind), want_name);
		return;
	}
	if (!unit_usable(c, second_flag, second, &u2))
		return;
	if (strcmp(first, second) == 0) {
		refuse(c, second_flag, "%s cannot be its own %s", second, second_flag);
		return;
	}
	ret = put(c->s, first, second);
	if (ret == GFI_E_EXISTS)
		refuse(c, second_flag, "%s is already a %s of %s", second, second_flag, first);
	else
		put_result(c, ret, second_flag, second, "unit");
}

static void member_add(struct cli *c)
{
	pair_add(c, "park", "member", UNIT_PARK, "park", store_member_put);
}

static void supplier_add(struct cli *c)
{
	pair_add(c, "enterprise", "supplier", UNIT_SUPPLY_CHAIN,
		 "supply_chain enterprise", store_supplier_put);
}

static void pair_list(struct cli *c, const char *flag, const char *const *cols,
		      cJSON *(*build)(const void *),
		      int (*list)(struct store *, const char *, store_row_fn, void *))
{
	struct lister l = { .c = c, .cols = cols, .build = build };
	char first[STORE_CODE_LEN + 1] = "";

	take_credit_code(c, flag, first);
	if (c->status != 0)
		return;
	list_header(&l);
	list_done(c, list(c->s, first[0] ? first : NULL, list_row, &l));
}

static void member_list(struct cli *c)
{
	static const char *const cols[] = { "park", "member", NULL };

	pair_list(c, "park", cols, member_json, store_member_list);
}

static void supplier_list(struct cli *c)
{
	static const char *const cols[] = { "enterprise", "supplier", NULL };

	pair_list(c, "enterprise", cols, supplier_json, store_supplier_list);
}

/* ---- gateways ---- */

static void gateway_add(struct cli *c)
{
	struct reg_gateway g = { 0 };
	struct reg_unit u;

	take_id(c, "id", g.id);
	take_credit_code(c, "unit", g.unit);
	take_pubkey(c, "pubkey", g.pubkey_pem, sizeof(g.pubkey_pem));
	g.active = 1;
	g.registered_s = c->now_s;
	if (unit_usable(c, "unit", g.unit, &u))
		put_result(c, store_gateway_put(c->s, &g, 1), "id", g.id, "unit");
}

static void gateway_change(struct cli *c)
{
	struct reg_gateway g = { 0 };
	struct reg_unit u;
	int ret;

	take_id(c, "id", g.id);
	if (c->status != 0)
		return;
	ret = store_gateway_get(c->s, g.id, &g);
	if (ret == GFI_E_NOTFOUND)
		refuse(c, "id", "%s is not a registered gateway", g.id);
	else if (ret != GFI_OK)
		failed(c, "gateway lookup", ret);
	take_credit_code(c, "unit", g.unit);
	take_pubkey(c, "pubkey", g.pubkey_pem, sizeof(g.pubkey_pem));
	if (opt(c, "unit") != NULL)
		unit_usable(c, "unit", g.unit, &u);
	if (strcmp(c->verb, "retire") == 0)
		g.active = 0;
	if (c->status == 0)
		put_result(c, store_gateway_put(c->s, &g, 0), "id", g.id, "unit");
}

static int gateway_keep(const struct lister *l, const void *row)
{
	return l->filter == NULL || strcmp(l->filter, ((const struct reg_gateway *)row)->unit) == 0;
}

static void gateway_list(struct cli *c)
{
	static const char *const cols[] = { "id", "unit", "active", "registered_s",
		"pubkey_sha256", NULL };
	struct lister l = { .c = c, .cols = cols, .build = gateway_json,
			    .keep = gateway_keep };
	char unit[STORE_CODE_LEN + 1] = "";

	take_credit_code(c, "unit", unit);
	if (c->status != 0)
		return;
	l.filter = unit[0] ? unit : NULL;
	list_header(&l);
	list_done(c, store_gateway_list(c->s, list_row, &l));
}

/* ---- meters ---- */

static void meter_keys(struct cli *c, struct reg_meter *m)
{
	take_id(c, "gateway", m->gateway);
	take_id(c, "meter", m->meter);
	take_id(c, "point", m->point);
}

static void meter_fields(struct cli *c, struct reg_meter *m)
{
	const char *q = opt(c, "quantity"), *r = opt(c, "role");

	if (q != NULL && c->status == 0) {
		if (gfi_quantity_find(q) == NULL)
			refuse(c, "quantity", "%s is not a known quantity", q);
		else
			snprintf(m->quantity, sizeof(m->quantity), "%s", q);
	}
	if (r != NULL && c->status == 0 && registry_role_parse(r, &m->role) != GFI_OK)
		refuse(c, "role", "%s is not a role (elec_purchased, elec_exported, "
		       "renewable_gen, fuel, heat_purchased, water_intake, "
		       "water_recycled, wastewater, production, stack, submeter, none)", r);
	take_word(c, "carrier", m->carrier, sizeof(m->carrier));
	take_double(c, "counter-max", 0, 1e15, &m->counter_max);
	take_text(c, "product", m->product, sizeof(m->product), 1);
	take_text(c, "product-unit", m->product_unit, sizeof(m->product_unit), 1);
	take_double(c, "accuracy", 0, 10, &m->accuracy_pct);
	take_time(c, "registered", &m->registered_s);
}

/* Rules across fields, checked on the merged entry of an add or change. */
static void meter_rules(struct cli *c, struct reg_meter *m)
{
	const struct gfi_quantity *q = gfi_quantity_find(m->quantity);

	if (c->status != 0)
		return;
	if (!registry_role_fits(m->role, m->quantity))
		refuse(c, "role", "%s does not fit quantity %s",
		       registry_role_name(m->role), m->quantity);
	else if (m->role == ROLE_PRODUCTION && m->product[0] == '\0')
		refuse(c, "product", "required for role production");
	else if (m->role != ROLE_PRODUCTION && (m->product[0] || opt(c, "product-unit")))
		refuse(c, m->product[0] ? "product" : "product-unit",
		       "only for role production, not %s", registry_role_name(m->role));
	else if (m->counter_max > 0 && q != NULL && q->kind != GFI_COUNTER)
		refuse(c, "counter-max", "only for counters; %s is a gauge", m->quantity);
	else if (m->role == ROLE_FUEL && m->carrier[0] == '\0')
		refuse(c, "carrier", "required for role fuel (e.g. natural_gas, diesel, coal)");
	if (c->status != 0)
		return;
	if (m->role == ROLE_PRODUCTION && m->product_unit[0] == '\0' && q != NULL)
		snprintf(m->product_unit, sizeof(m->product_unit), "%s", q->unit);
	if (m->role != ROLE_PRODUCTION)
		m->product_unit[0] = '\0';
	if (m->carrier[0] == '\0' && (m->role == ROLE_ELEC_PURCHASED ||
				      m->role == ROLE_ELEC_EXPORTED))
		snprintf(m->carrier, sizeof(m->carrier), "electricity");
}

static void meter_put(struct cli *c, struct reg_meter *m, int create)
{
	char key[3 * GFI_ID_MAX + 2];

	snprintf(key, sizeof(key), "%s/%s/%s", m->gateway, m->meter, m->point);
	put_result(c, store_meter_put(c->s, m, create), "point", key, "gateway");
}

static void meter_add(struct cli *c)
{
	struct reg_meter m = { 0 };

	m.registered_s = c->now_s;
	meter_keys(c, &m);
	meter_fields(c, &m);
	meter_rules(c, &m);
	if (gateway_usable(c, "gateway", m.gateway))
		meter_put(c, &m, 1);
}

/* Load the registered point named by --gateway --meter --point into m. */
static int meter_find(struct cli *c, struct reg_meter *m)
{
	struct reg_meter k = { 0 };
	int ret;

	meter_keys(c, &k);
	if (c->status != 0)
		return 0;
	ret = store_meter_get(c->s, k.gateway, k.meter, k.point, m);
	if (ret == GFI_E_NOTFOUND)
		refuse(c, "point", "%s/%s/%s is not a registered meter point",
		       k.gateway, k.meter, k.point);
	else if (ret != GFI_OK)
		failed(c, "meter lookup", ret);
	return c->status == 0;
}

static void meter_change(struct cli *c)
{
	struct reg_meter m;

	if (!meter_find(c, &m))
		return;
	meter_fields(c, &m);
	meter_rules(c, &m);
	if (strcmp(c->verb, "retire") == 0)
		m.retired = 1;
	if (c->status == 0)
		meter_put(c, &m, 0);
}

static void meter_list(struct cli *c)
{
	static const char *const cols[] = { "gateway", "meter", "point", "quantity",
		"role", "carrier", "counter_max", "product", "product_unit",
		"accuracy_pct", "registered_s", "retired", NULL };
	struct lister l = { .c = c, .cols = cols, .build = meter_json };
	char gw[GFI_ID_MAX] = "";

	take_id(c, "gateway", gw);
	if (c->status != 0)
		return;
	list_header(&l);
	list_done(c, store_meter_list(c->s, gw[0] ? gw : NULL, list_row, &l));
}

/* ---- replacements ---- */

static void replacement_add(struct cli *c)
{
	struct reg_replacement r = { 0 };
	struct reg_meter m;
	int ret;

	if (!meter_find(c, &m))
		return;
	memcpy(r.gateway, m.gateway, sizeof(r.gateway));
	memcpy(r.meter, m.meter, sizeof(r.meter));
	memcpy(r.point, m.point, sizeof(r.point));
	take_time(c, "time", &r.time_s);
	take_double(c, "old-final", 0, 1e15, &r.old_final);
	take_double(c, "new-initial", 0, 1e15, &r.new_initial);
	if (c->status != 0)
		return;
	if (gfi_quantity_find(m.quantity) == NULL ||
	    gfi_quantity_find(m.quantity)->kind != GFI_COUNTER) {
		refuse(c, "point", "%s/%s/%s measures %s, a gauge: only counters are "
		       "replaced", r.gateway, r.meter, r.point, m.quantity);
		return;
	}
	ret = store_replacement_add(c->s, &r);
	if (ret == GFI_E_EXISTS)
		refuse(c, "time", "a replacement of %s/%s/%s at %" PRId64 " is already recorded",
		       r.gateway, r.meter, r.point, r.time_s);
	else
		put_result(c, ret, "point", r.point, "meter point");
}

static void replacement_list(struct cli *c)
{
	static const char *const cols[] = { "gateway", "meter", "point", "time_s",
		"old_final", "new_initial", NULL };
	struct lister l = { .c = c, .cols = cols, .build = replacement_json };
	char gw[GFI_ID_MAX] = "";

	take_id(c, "gateway", gw);
	if (c->status != 0)
		return;
	list_header(&l);
	list_done(c, store_replacement_list(c->s, gw[0] ? gw : NULL, list_row, &l));
}

/* ---- facts ---- */

static void fact_set(struct cli *c)
{
	struct reg_fact f = { 0 };
	const struct registry_fact_key *k;
	struct reg_unit u;
	const char *key = opt(c, "key");

	take_credit_code(c, "unit", f.unit);
	take_int(c, "year", 2000, 2100, &f.year);
	take_int(c, "month", 0, 12, &f.month);
	if (c->status == 0 && (k = registry_fact_key_find(key)) == NULL) {
		char all[640] = "";
		for (size_t i = 0; i < NFACT_KEYS; i++)
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s",
				 i ? ", " : "", fact_keys[i].key);
		refuse(c, "key", "%s is not a fact key (%s)", key, all);
		return;
	}
	if (c->status != 0)
		return;
	snprintf(f.key, sizeof(f.key), "%s", k->key);
	take_double(c, "value", k->min, k->max, &f.value);
	take_text(c, "by", f.entered_by, sizeof(f.entered_by), 0);
	f.entered_s = c->now_s;
	if (unit_usable(c, "unit", f.unit, &u))
		put_result(c, store_fact_put(c->s, &f), "unit", f.unit, "unit");
}

static void fact_list(struct cli *c)
{
	static const char *const cols[] = { "unit", "year", "month", "key", "value",
		"value_unit", "entered_by", "entered_s", NULL };
	struct lister l = { .c = c, .cols = cols, .build = fact_json };
	char unit[STORE_CODE_LEN + 1] = "";
	int year = 0;

	take_credit_code(c, "unit", unit);
	take_int(c, "year", 2000, 2100, &year);
	if (c->status != 0)
		return;
	list_header(&l);
	list_done(c, store_fact_list(c->s, unit[0] ? unit : NULL, year, list_row, &l));
}

/* ---- the command table ---- */

struct command {
	const char *object, *verb;
	const char *flags;     /* accepted, besides --store */
	const char *required;
	void (*run)(struct cli *c);
};

static const struct command commands[] = {
	{ "county", "add", "code name", "code name", county_add },
	{ "county", "change", "code name", "code name", county_change },
	{ "county", "retire", "code", "code", county_change },
	{ "county", "list", "json", "", county_list },
	{ "unit", "add", "code name kind county level year sector",
	  "code name kind county level year", unit_add },
	{ "unit", "change", "code name kind county level year sector", "code", unit_change },
	{ "unit", "retire", "code", "code", unit_change },
	{ "unit", "list", "county kind json", "", unit_list },
	{ "member", "add", "park member", "park member", member_add },
	{ "member", "list", "park json", "", member_list },
	{ "supplier", "add", "enterprise supplier", "enterprise supplier", supplier_add },
	{ "supplier", "list", "enterprise json", "", supplier_list },
	{ "gateway", "add", "id unit pubkey", "id unit pubkey", gateway_add },
	{ "gateway", "change", "id unit pubkey", "id", gateway_change },
	{ "gateway", "retire", "id", "id", gateway_change },
	{ "gateway", "list", "unit json", "", gateway_list },
	{ "meter", "add", "gateway meter point quantity role carrier counter-max "
	  "product product-unit accuracy registered",
	  "gateway meter point quantity role", meter_add },
	{ "meter", "change", "gateway meter point quantity role carrier counter-max "
	  "product product-unit accuracy registered", "gateway meter point", meter_change },
	{ "meter", "retire", "gateway meter point", "gateway meter point", meter_change },
	{ "meter", "list", "gateway json", "", meter_list },
	{ "replacement", "add", "gateway meter point time old-final new-initial",
	  "gateway meter point time old-final new-initial", replacement_add },
	{ "replacement", "list", "gateway json", "", replacement_list },
	{ "fact", "set", "unit year month key value by", "unit year key value by", fact_set },
	{ "fact", "list", "unit year json", "", fact_list },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(struct cli *c)
{
	int object_known = 0;

	if (c->object == NULL) {
		refuse_word(c, "admin", "usage: admin --store FILE OBJECT VERB [--field value ...]");
		return NULL;
	}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].object, c->object) != 0)
			continue;
		object_known = 1;
		if (c->verb != NULL && strcmp(commands[i].verb, c->verb) == 0)
			return &commands[i];
	}
	if (!object_known)
		refuse_word(c, "object", "%s is not one of county, unit, member, supplier, "
			    "gateway, meter, replacement, fact", c->object);
	else
		refuse_word(c, "verb", "%s %s is not a command", c->object,
			    c->verb != NULL ? c->verb : "(missing)");
	return NULL;
}

/* Every option known to the command, every required one given. */
static void check_options(struct cli *c, const struct command *cmd)
{
	char word[40];
	const char *p = cmd->required;

	for (int i = 0; i < c->nopts; i++) {
		if (strcmp(c->opts[i].name, "store") != 0 && !word_in(cmd->flags, c->opts[i].name))
			refuse(c, c->opts[i].name, "unknown option for %s %s",
			       cmd->object, cmd->verb);
	}
	if (opt(c, "store") == NULL)
		refuse(c, "store", "missing (required)");
	while (c->status == 0 && *p != '\0') {
		size_t n = strcspn(p, " ");
		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		if (opt(c, word) == NULL)
			refuse(c, word, "missing (required for %s %s)", cmd->object, cmd->verb);
		p += n + (p[n] == ' ');
	}
}

static void open_store(struct cli *c, const struct command *cmd)
{
	const char *path = opt(c, "store");
	struct stat st;
	int ret;

	/* Only an add or set may create the store: a mistyped path for a
	 * listing should not leave a fresh empty store behind. */
	if (strcmp(cmd->verb, "add") != 0 && strcmp(cmd->verb, "set") != 0 &&
	    stat(path, &st) != 0) {
		refuse(c, "store", "%s: %s", path, strerror(errno));
		return;
	}
	ret = store_open(path, &c->s);
	if (ret != GFI_OK) {
		c->status = STATUS_FAIL;
		fprintf(c->err, "--store: cannot open %s: %s\n", path, gfi_strerror(ret));
	}
}

int registry_cli(int argc, char **argv, FILE *out, FILE *err)
{
	struct cli c = { .out = out, .err = err, .now_s = (int64_t)time(NULL) };
	const struct command *cmd = NULL;

	if (argc < 0 || (argc > 0 && argv == NULL))
		return STATUS_BAD;
	parse_args(&c, argc, argv);
	if (c.status == 0)
		cmd = find_command(&c);
	if (cmd != NULL)
		check_options(&c, cmd);
	if (c.status == 0)
		open_store(&c, cmd);
	if (c.status == 0)
		cmd->run(&c);
	if (c.status == 0 && (fflush(out) != 0 || ferror(out))) {
		c.status = STATUS_FAIL;
		fprintf(err, "output: write failed\n");
	}
	store_close(c.s);
	return c.status;
}

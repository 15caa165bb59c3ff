/*
 * admin_fields.c — how the `admin` command takes its fields (admin.h):
 * refusals, field parsers over the one option parser's checks (opts.h),
 * references to registered entries and the result of a store write.
 *
 * Why apart from admin.c: the handlers read as "take these fields, check
 * these references, put"; the how of each step lives here. Invariants: only
 * the first problem is reported, so a refusal is exactly one line on err
 * starting with the field, control characters of echoed input replaced;
 * every parser leaves its destination alone when the field is absent.
 */
#include "admin.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jsonutil.h"
#include "registry.h"
#include "sign.h"

/* ---- refusals ---- */

#define STATUS_BAD 2
#define STATUS_FAIL 1

/* Write one line "<prefix>: <message>" on err and remember status. Only
 * the first problem is reported, so a refusal is always exactly one line. */
__attribute__((format(printf, 4, 0)))
static void problem(struct cli *c, int status, const char *prefix,
		    const char *fmt, va_list ap)
{
	if (c->status != 0)
		return;
	opts_vrefuse(c->err, prefix, fmt, ap);
	c->status = status;
}

void admin_refuse(struct cli *c, const char *flag, const char *fmt, ...)
{
	char prefix[48];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "--%s", flag);
	va_start(ap, fmt);
	problem(c, STATUS_BAD, prefix, fmt, ap);
	va_end(ap);
}

void admin_refuse_word(struct cli *c, const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	problem(c, STATUS_BAD, what, fmt, ap);
	va_end(ap);
}

void admin_failed(struct cli *c, const char *what, int ret)
{
	if (c->status != 0)
		return;
	c->status = STATUS_FAIL;
	fprintf(c->err, "store: %s failed: %s\n", what, gfi_strerror(ret));
}

const char *admin_opt(const struct cli *c, const char *name)
{
	return opts_get(&c->o, name);
}

/* ---- field parsers ---- */

/* The value of option name still to be taken: NULL when it is absent or
 * an earlier field was already refused (one error per run). */
static const char *pending(const struct cli *c, const char *name)
{
	return c->status == 0 ? admin_opt(c, name) : NULL;
}

/* Copy option name into dst[size] when check accepts it (check reports
 * the refusal itself, naming the flag). */
static void take_checked(struct cli *c, const char *name, char *dst, size_t size,
			 int (*check)(const char *name, const char *value, FILE *err))
{
	const char *v = pending(c, name);

	if (v != NULL && (c->status = check(name, v, c->err)) == 0)
		snprintf(dst, size, "%s", v);
}

void admin_take_text(struct cli *c, const char *name, char *dst, size_t size,
		     int may_be_empty)
{
	const char *v = pending(c, name);

	if (v == NULL)
		return;
	if ((c->status = opts_text(name, v, size, may_be_empty, c->err)) == 0)
		snprintf(dst, size, "%s", v);
}

/* Lowercase words such as "natural_gas": [a-z0-9_], 1..size-1. */
void admin_take_word(struct cli *c, const char *name, char *dst, size_t size)
{
	const char *v = pending(c, name);

	if (v == NULL)
		return;
	if (v[0] == '\0' || strlen(v) >= size || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(v))
		admin_refuse(c, name, "%s is not a word of 1..%zu characters of a-z 0-9 _",
			     v, size - 1);
	else
		snprintf(dst, size, "%s", v);
}

void admin_take_id(struct cli *c, const char *name, char *dst)
{
	take_checked(c, name, dst, GFI_ID_MAX, opts_id);
}

void admin_take_credit_code(struct cli *c, const char *name, char *dst)
{
	take_checked(c, name, dst, STORE_CODE_LEN + 1, opts_credit_code);
}

/* Administrative division code (GB/T 2260): six digits. */
void admin_take_county_code(struct cli *c, const char *name, char *dst, size_t size)
{
	const char *v = pending(c, name);

	if (v == NULL)
		return;
	if (strlen(v) != 6 || strspn(v, "0123456789") != 6)
		admin_refuse(c, name, "%s is not a 6-digit administrative division code", v);
	else
		snprintf(dst, size, "%s", v);
}

void admin_take_int(struct cli *c, const char *name, long min, long max, int *dst)
{
	const char *v = pending(c, name);
	long n = 0;

	if (v == NULL)
		return;
	if ((c->status = opts_int(name, v, min, max, &n, c->err)) == 0)
		*dst = (int)n;
}

void admin_take_double(struct cli *c, const char *name, double min, double max,
		       double *dst)
{
	const char *v = pending(c, name);

	if (v == NULL)
		return;
	c->status = opts_double(name, v, min, max, dst, c->err);
}

int admin_take_choice(struct cli *c, const char *name, const char *const *names,
		      const char *all, int *dst)
{
	const char *v = pending(c, name);

	if (v == NULL)
		return 0;
	for (int i = 0; names[i] != NULL; i++) {
		if (strcmp(names[i], v) == 0) {
			*dst = i;
			return 1;
		}
	}
	admin_refuse(c, name, "%s is not one of %s", v, all);
	return 0;
}

void admin_take_time(struct cli *c, const char *name, int64_t *dst)
{
	const char *v = pending(c, name);
	char why[256];

	if (v == NULL)
		return;
	if (registry_time_parse(v, dst, why, sizeof(why)) != GFI_OK)
		admin_refuse(c, name, "%s", why);
}

#define PUBKEY_FILE_MAX 8192

/* A "BEGIN PUBLIC KEY" PEM file holding a P-256 key. */
void admin_take_pubkey(struct cli *c, const char *name, char *dst, size_t size)
{
	const char *path = pending(c, name);
	char *text = NULL, why[256] = "";
	size_t len = 0, lead;
	struct gfi_verifier *v = NULL;

	if (path == NULL)
		return;
	if (gfi_read_file(path, PUBKEY_FILE_MAX, &text, &len, why, sizeof(why)) != GFI_OK) {
		admin_refuse(c, name, "%s", why);
		return;
	}
	lead = strspn(text, " \t\r\n");
	if (strncmp(text + lead, "-----BEGIN PUBLIC KEY-----", 26) != 0)
		admin_refuse(c, name, "%s is not a \"BEGIN PUBLIC KEY\" PEM file", path);
	else if (gfi_verifier_new(text, len, &v, why, sizeof(why)) != GFI_OK)
		admin_refuse(c, name, "%s is not a P-256 public key (%s)", path, why);
	else if (len - lead >= size)
		admin_refuse(c, name, "%s is longer than a P-256 public key PEM", path);
	else
		snprintf(dst, size, "%s", text + lead);
	gfi_verifier_free(v);
	free(text);
}

/* ---- references: refuse naming the flag that carries the key ---- */

int admin_found(struct cli *c, const char *flag, const char *key,
		const char *kind, int ret, int retired)
{
	char what[32];

	snprintf(what, sizeof(what), "%s lookup", kind);
	if (ret == GFI_E_NOTFOUND)
		admin_refuse(c, flag, "%s is not a registered %s", key, kind);
	else if (ret != GFI_OK)
		admin_failed(c, what, ret);
	else if (retired)
		admin_refuse(c, flag, "%s is a retired %s", key, kind);
	return c->status == 0;
}

/* The *_usable checks look nothing up once a field was refused: their
 * lookup then answers GFI_E_STATE, which admin_found leaves unreported. */
int admin_county_usable(struct cli *c, const char *flag, const char *code)
{
	struct reg_county k = { .retired = 0 };
	int ret = c->status == 0 ? store_county_get(c->s, code, &k) : GFI_E_STATE;

	return admin_found(c, flag, code, "county", ret, k.retired);
}

int admin_unit_usable(struct cli *c, const char *flag, const char *code,
		       struct reg_unit *u)
{
	int ret = c->status == 0 ? store_unit_get(c->s, code, u) : GFI_E_STATE;

	return admin_found(c, flag, code, "unit", ret, ret == GFI_OK && u->retired);
}

int admin_gateway_usable(struct cli *c, const char *flag, const char *id)
{
	struct reg_gateway g = { .active = 1 };
	int ret = c->status == 0 ? store_gateway_get(c->s, id, &g) : GFI_E_STATE;

	return admin_found(c, flag, id, "gateway", ret, !g.active);
}

/* The result of a put: key names the flag of the object's key, ref what
 * kind of thing it refers to (checked before, so only a concurrent retire
 * or removal gets here). */
void admin_put_result(struct cli *c, int ret, const char *key, const char *val,
		       const char *ref)
{
	if (ret == GFI_OK || c->status != 0)
		return;
	if (ret == GFI_E_EXISTS)
		admin_refuse(c, key, "%s already exists", val);
	else if (ret == GFI_E_NOTFOUND)
		admin_refuse(c, key, "%s: the %s it refers to is not registered", val, ref);
	else if (ret == GFI_E_INVAL)
		admin_refuse(c, key, "%s refused by the store", val);
	else
		admin_failed(c, "write", ret);
}


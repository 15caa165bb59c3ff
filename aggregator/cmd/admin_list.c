/*
 * admin_list.c — the `admin ... list` output (admin.h): each row of a
 * registry listing as one JSON object, printed as a JSON line (--json) or
 * as a TSV line of chosen columns under a header line.
 *
 * Why one path for both: the TSV columns are read from the JSON object, so
 * the two forms cannot disagree. Invariants: a row that cannot be built
 * (out of memory) stops the listing with exit status 1.
 */
#include "admin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "jsonutil.h"
#include "registry.h"
#include "sign.h"

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

int admin_list_row(void *ctx, const void *row)
{
	struct lister *l = ctx;
	cJSON *j;

	if (l->keep != NULL && !l->keep(l, row))
		return 0;
	if ((j = l->build(row)) == NULL) {
		admin_failed(l->c, "listing", GFI_E_NOMEM);
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

void admin_list_header(struct lister *l)
{
	if (l->c->json)
		return;
	for (int i = 0; l->cols[i] != NULL; i++)
		fprintf(l->c->out, "%s%s", i ? "\t" : "", l->cols[i]);
	fputc('\n', l->c->out);
}

void admin_list_done(struct cli *c, int ret)
{
	if (ret != GFI_OK)
		admin_failed(c, "listing", ret);
}

cJSON *admin_county_json(const void *row)
{
	const struct reg_county *k = row;

	return GFI_JSON_OBJECT(GFI_JSON_STR("code", k->code),
			       GFI_JSON_STR("name", k->name),
			       GFI_JSON_NUM("retired", k->retired));
}

const char *admin_choice_name(const char *const *names, int n, int i)
{
	return i >= 0 && i < n ? names[i] : "unknown";
}

cJSON *admin_unit_json(const void *row)
{
	const struct reg_unit *u = row;

	return GFI_JSON_OBJECT(GFI_JSON_STR("code", u->code),
			       GFI_JSON_STR("name", u->name),
			       GFI_JSON_STR("kind", admin_choice_name(unit_kind_names, 3, (int)u->kind)),
			       GFI_JSON_STR("county", u->county),
			       GFI_JSON_STR("level", admin_choice_name(unit_level_names, 3, (int)u->level)),
			       GFI_JSON_NUM("year", u->year_listed),
			       GFI_JSON_STR("sector", u->sector),
			       GFI_JSON_NUM("retired", u->retired));
}

/* The SHA-256 of a PEM's text as hex into hex; hex returned. */
static const char *pem_sha256(const char *pem, char hex[2 * GFI_SHA256_LEN + 1])
{
	uint8_t sum[GFI_SHA256_LEN];

	gfi_sha256(pem, strlen(pem), sum);
	return gfi_hex(sum, sizeof(sum), hex);
}

cJSON *admin_gateway_json(const void *row)
{
	const struct reg_gateway *g = row;
	char hex[2 * GFI_SHA256_LEN + 1];

	/* The PEM spans lines; a listing shows its SHA-256 (of the PEM text)
	 * to compare with the gateway's file, the JSON also the PEM itself. */
	pem_sha256(g->pubkey_pem, hex);
	return GFI_JSON_OBJECT(GFI_JSON_STR("id", g->id), GFI_JSON_STR("unit", g->unit),
			       GFI_JSON_NUM("active", g->active),
			       GFI_JSON_NUM("registered_s", g->registered_s),
			       GFI_JSON_STR("pubkey_sha256", hex),
			       GFI_JSON_STR("pubkey_pem", g->pubkey_pem));
}

/* A span's bound as JSON: null for the open ends. */
static cJSON *span_bound(int64_t t)
{
	return t == STORE_SPAN_OPEN || t == STORE_SPAN_START ? cJSON_CreateNull()
							     : cJSON_CreateNumber((double)t);
}

/* j with a span's bounds and who changed it (NULL passes through). */
static cJSON *span_fields(cJSON *j, int64_t from_s, int64_t to_s, const char *by,
			  int64_t changed_s)
{
	if (j != NULL) {
		cJSON_AddItemToObject(j, "from_s", span_bound(from_s));
		cJSON_AddItemToObject(j, "to_s", span_bound(to_s));
		cJSON_AddStringToObject(j, "changed_by", by);
		cJSON_AddNumberToObject(j, "changed_s", (double)changed_s);
	}
	return j;
}

cJSON *admin_span_json(const void *row)
{
	const struct store_gateway_span *p = row;

	return span_fields(GFI_JSON_OBJECT(GFI_JSON_STR("id", p->g.id),
					   GFI_JSON_STR("unit", p->g.unit)),
			   p->from_s, p->to_s, p->changed_by, p->changed_s);
}

cJSON *admin_meter_span_json(const void *row)
{
	const struct store_meter_span *p = row;
	cJSON *j = GFI_JSON_OBJECT(GFI_JSON_STR("gateway", p->gateway),
				   GFI_JSON_STR("meter", p->meter));

	/* unit null: the meter follows its gateway's unit then. */
	if (j != NULL)
		cJSON_AddItemToObject(j, "unit", p->unit[0] ? cJSON_CreateString(p->unit)
							    : cJSON_CreateNull());
	return span_fields(j, p->from_s, p->to_s, p->changed_by, p->changed_s);
}

cJSON *admin_unit_version_json(const void *row)
{
	const struct store_unit_version *v = row;

	return span_fields(admin_unit_json(&v->u), v->from_s, v->to_s, v->changed_by,
			   v->changed_s);
}

cJSON *admin_key_json(const void *row)
{
	const struct store_gateway_key *k = row;
	char hex[2 * GFI_SHA256_LEN + 1];

	return GFI_JSON_OBJECT(GFI_JSON_STR("id", k->gateway), GFI_JSON_NUM("n", k->n),
			       GFI_JSON_STR("from_epoch", k->from_epoch),
			       GFI_JSON_NUM("from_seq", (double)k->from_seq),
			       GFI_JSON_STR("revoked_epoch", k->revoked_epoch),
			       GFI_JSON_NUM("revoked_seq", (double)k->revoked_seq),
			       GFI_JSON_NUM("added_s", k->added_s),
			       GFI_JSON_STR("added_by", k->added_by),
			       GFI_JSON_STR("pubkey_sha256", pem_sha256(k->pubkey_pem, hex)));
}

cJSON *admin_meter_json(const void *row)
{
	const struct reg_meter *m = row;

	return GFI_JSON_OBJECT(GFI_JSON_STR("gateway", m->gateway),
			       GFI_JSON_STR("meter", m->meter),
			       GFI_JSON_STR("point", m->point),
			       GFI_JSON_STR("quantity", m->quantity),
			       GFI_JSON_STR("role", registry_role_name(m->role)),
			       GFI_JSON_STR("carrier", m->carrier),
			       GFI_JSON_NUM("counter_max", m->counter_max),
			       GFI_JSON_STR("product", m->product),
			       GFI_JSON_STR("product_unit", m->product_unit),
			       GFI_JSON_NUM("accuracy_pct", m->accuracy_pct),
			       GFI_JSON_NUM("registered_s", m->registered_s),
			       GFI_JSON_NUM("retired", m->retired));
}

cJSON *admin_replacement_json(const void *row)
{
	const struct reg_replacement *r = row;

	return GFI_JSON_OBJECT(GFI_JSON_STR("gateway", r->gateway),
			       GFI_JSON_STR("meter", r->meter),
			       GFI_JSON_STR("point", r->point),
			       GFI_JSON_NUM("time_s", r->time_s),
			       GFI_JSON_NUM("old_final", r->old_final),
			       GFI_JSON_NUM("new_initial", r->new_initial));
}

static cJSON *pair_json(const void *row, const char *first, const char *second)
{
	const struct reg_pair *p = row;

	return GFI_JSON_OBJECT(GFI_JSON_STR(first, p->first),
			       GFI_JSON_STR(second, p->second));
}

cJSON *admin_member_json(const void *row)
{
	return pair_json(row, "park", "member");
}

cJSON *admin_supplier_json(const void *row)
{
	return pair_json(row, "enterprise", "supplier");
}

cJSON *admin_fact_json(const void *row)
{
	const struct reg_fact *f = row;
	const struct registry_fact_key *k = registry_fact_key_find(f->key);

	return GFI_JSON_OBJECT(GFI_JSON_STR("unit", f->unit),
			       GFI_JSON_NUM("year", f->year),
			       GFI_JSON_NUM("month", f->month),
			       GFI_JSON_STR("key", f->key),
			       GFI_JSON_NUM("value", f->value),
			       GFI_JSON_STR("value_unit", k != NULL ? k->unit : ""),
			       GFI_JSON_STR("entered_by", f->entered_by),
			       GFI_JSON_NUM("entered_s", f->entered_s));
}


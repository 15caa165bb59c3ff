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


/* cJSON_Add* return NULL on allocation failure; one check at the end of
 * each builder is enough because cJSON_Delete frees a partial object. */
cJSON *admin_county_json(const void *row)
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

const char *admin_choice_name(const char *const *names, int n, int i)
{
	return i >= 0 && i < n ? names[i] : "unknown";
}

cJSON *admin_unit_json(const void *row)
{
	const struct reg_unit *u = row;
	cJSON *j = cJSON_CreateObject();

	if (j == NULL || !cJSON_AddStringToObject(j, "code", u->code) ||
	    !cJSON_AddStringToObject(j, "name", u->name) ||
	    !cJSON_AddStringToObject(j, "kind", admin_choice_name(unit_kind_names, 3, (int)u->kind)) ||
	    !cJSON_AddStringToObject(j, "county", u->county) ||
	    !cJSON_AddStringToObject(j, "level", admin_choice_name(unit_level_names, 3, (int)u->level)) ||
	    !cJSON_AddNumberToObject(j, "year", u->year_listed) ||
	    !cJSON_AddStringToObject(j, "sector", u->sector) ||
	    !cJSON_AddNumberToObject(j, "retired", u->retired)) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

cJSON *admin_gateway_json(const void *row)
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

cJSON *admin_meter_json(const void *row)
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

cJSON *admin_replacement_json(const void *row)
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


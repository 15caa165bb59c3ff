/*
 * api_filing.c — the yearly table in the platform's terms over HTTP
 * (docs/api.md "Filing and scores"): a unit's filing view, the city's
 * scores and outlook, and the units' statements with their review.
 *
 *   GET  /api/v1/units/{code}/filing?year=Y    rows, scores, outlook, trend,
 *                                              statements
 *   GET  /api/v1/scores?year=Y                 units ranked, grades, falls
 *   POST /api/v1/units/{code}/statements       the unit's own token only
 *   POST /api/v1/statements/{id}/confirm|reject  county (in scope) or city
 *
 * Invariants: the outlook ranks the whole city whatever the token sees, but
 * a token lists only the units it may see; a statement is written only by
 * the token of its unit and is marked as the unit's; its review names the
 * reviewing token and the time, and every write is audited.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-private.h"
#include "error.h"
#include "json.h"
#include "score.h"

/* The city's scores for ?year= (required), or an answer. */
static int city_of(struct api_ctx *c, const char *const *allowed, struct score_city *city,
		   long *year)
{
	int rc;

	if (api_params_check(c, allowed) || api_param_int(c, "year", 2000, 2100, 1, year))
		return -1;
	rc = score_city_compute(c->s, (int)*year, c->req->now_s, city);
	return rc != GFI_OK ? api_fail_store(c, rc) : 0;
}

int api_get_filing(struct api_ctx *c)
{
	static const char *const allowed[] = { "year", NULL };
	struct score_city city;
	struct store_statement *v = NULL;
	const struct score_entry *e;
	struct reg_unit u;
	size_t n = 0;
	long year = 0;
	cJSON *o;
	int rc;

	if (api_visible_unit(c, c->arg[0], &u) || city_of(c, allowed, &city, &year))
		return -1;
	if ((e = score_city_find(&city, u.code)) == NULL) {
		score_city_free(&city);
		return api_fail(c, 404, "unit: %s is not a listed factory", u.code);
	}
	o = json_filing(e, city.reconcile_pct);
	score_city_free(&city);
	rc = store_statement_load(c->s, u.code, (int)year, &v, &n);
	if (rc == GFI_OK && o != NULL) {
		cJSON_AddStringToObject(o, "unit", u.code);
		cJSON_AddStringToObject(o, "name", u.name);
		rc = json_filing_statements(o, v, n);
	}
	free(v);
	if (rc != GFI_OK) {
		cJSON_Delete(o);
		return api_fail_store(c, rc);
	}
	return api_reply_json(c, 200, o);
}

/* One unit of the overview: its total, grade, last year's total. */
static cJSON *score_item(const struct score_entry *e)
{
	cJSON *o = cJSON_CreateObject();
	const struct score_unit *now = &e->y[0], *before = &e->y[1];

	cJSON_AddStringToObject(o, "code", e->u.code);
	cJSON_AddStringToObject(o, "name", e->u.name);
	cJSON_AddStringToObject(o, "county", e->u.county);
	cJSON_AddStringToObject(o, "sector", e->u.sector);
	json_add_number(o, "total", now->scored ? now->total : NAN);
	cJSON_AddNumberToObject(o, "max_total", now->max_total);
	json_add_number(o, "rank", e->o.rank ? e->o.rank : NAN);
	cJSON_AddStringToObject(o, "grade", score_grade_names[e->o.grade]);
	cJSON_AddStringToObject(o, "sector_grade", score_grade_names[e->o.sector_grade]);
	json_add_number(o, "previous_total", before->scored ? before->total : NAN);
	json_add_number(o, "change", now->scored && before->scored ?
			now->total - before->total : NAN);
	cJSON_AddBoolToObject(o, "warning", e->o.warning != 0);
	return o;
}

/* "units" by rank (unscored last), "distribution" of grades, "fell_most":
 * up to five units whose total fell most since the year before. */
static int scores_body(struct api_ctx *c, const struct score_city *city, cJSON *o)
{
	cJSON *units = cJSON_AddArrayToObject(o, "units");
	cJSON *dist = cJSON_AddObjectToObject(o, "distribution");
	cJSON *fell = cJSON_AddArrayToObject(o, "fell_most");
	int count[4] = { 0 }, taken[5] = { -1, -1, -1, -1, -1 };
	int *visible = calloc(city->n + 1, sizeof(*visible));

	if (units == NULL || dist == NULL || fell == NULL || visible == NULL) {
		free(visible);
		return GFI_E_NOMEM;
	}
	for (size_t i = 0; i < city->n; i++) {
		int rc = api_unit_code_visible(c, city->e[i].u.code, &visible[i]);
		if (rc != GFI_OK) {
			free(visible);
			return rc;
		}
	}
	/* By rank 1..n, then the unranked (rank 0). */
	for (int rank = 1; rank <= (int)city->n + 1; rank++)
		for (size_t i = 0; i < city->n; i++) {
			const struct score_entry *e = &city->e[i];
			if (visible[i] && e->o.rank == (rank > (int)city->n ? 0 : rank)) {
				cJSON_AddItemToArray(units, score_item(e));
				count[e->o.grade]++;
			}
		}
	free(visible);
	for (int g = GRADE_A_PLUS; g <= GRADE_B; g++)
		cJSON_AddNumberToObject(dist, score_grade_names[g], count[g]);
	for (int k = 0; k < 5; k++) {
		cJSON *best = NULL, *u;
		int at = 0, best_at = -1;
		cJSON_ArrayForEach(u, units) {
			double ch = cJSON_GetNumberValue(cJSON_GetObjectItem(u, "change"));
			int used = 0;
			for (int j = 0; j < k; j++)
				used |= taken[j] == at;
			if (!used && ch < 0 && (best == NULL ||
			    ch < cJSON_GetNumberValue(cJSON_GetObjectItem(best, "change")))) {
				best = u;
				best_at = at;
			}
			at++;
		}
		if (best == NULL)
			break;
		taken[k] = best_at;
		cJSON_AddItemToArray(fell, cJSON_Duplicate(best, 1));
	}
	return GFI_OK;
}

int api_get_scores(struct api_ctx *c)
{
	static const char *const allowed[] = { "year", NULL };
	struct score_city city;
	long year = 0;
	cJSON *o;
	int rc;

	if (city_of(c, allowed, &city, &year))
		return -1;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "year", (double)year);
	rc = o != NULL ? scores_body(c, &city, o) : GFI_E_NOMEM;
	score_city_free(&city);
	if (rc != GFI_OK) {
		cJSON_Delete(o);
		return api_fail_store(c, rc);
	}
	return api_reply_json(c, 200, o);
}

/* A date YYYY-MM-DD (digits where they belong; the calendar is the unit's
 * claim, checked by its reviewer). */
static int is_date(const char *d)
{
	static const char shape[] = "dddd-dd-dd";

	for (int i = 0; i < 10; i++)
		if (d[i] == '\0' || (shape[i] == 'd' ? d[i] < '0' || d[i] > '9' : d[i] != '-'))
			return 0;
	return d[10] == '\0';
}

/* Whether kind is a statement's kind. */
static int statement_kind(const char *kind)
{
	return strcmp(kind, "remark") == 0 || strcmp(kind, "qualitative") == 0 ||
	       strcmp(kind, "major_change") == 0 || strcmp(kind, "compliance") == 0;
}

/* Why row does not fit kind, or NULL: a remark names a platform row, a
 * qualitative entry one of the qualitative rows, the others none. */
static const char *row_misfit(const char *kind, const cJSON *row)
{
	int named = cJSON_IsNumber(row) && row->valuedouble == row->valueint &&
		    row->valueint >= 1 && row->valueint <= SCORE_ROWS;

	if (strcmp(kind, "remark") == 0)
		return named ? NULL : "a remark names its platform row 1..18";
	if (strcmp(kind, "qualitative") == 0)
		return named && score_rows()[row->valueint - 1].kind == ROW_TEXT ? NULL :
		       "a qualitative entry names a qualitative row (5, 6, 10, 11, 14)";
	return row == NULL ? NULL : "only a remark or a qualitative entry names a row";
}

/* The body of a statement into t, or an answer. */
static int statement_body(struct api_ctx *c, struct store_statement *t)
{
	static const char *const allowed[] = { "year", "kind", "row", "date", "text",
					       "evidence", NULL };
	const char *kind = NULL, *date = NULL, *text = NULL, *ev = NULL, *misfit;
	cJSON *b = api_body_object(c, allowed, 0), *year, *row;
	int bad = -1;

	if (b == NULL)
		return -1;
	year = cJSON_GetObjectItemCaseSensitive(b, "year");
	row = cJSON_GetObjectItemCaseSensitive(b, "row");
	if (!cJSON_IsNumber(year) || year->valuedouble != (int)year->valuedouble ||
	    year->valueint < 2000 || year->valueint > 2100)
		api_fail(c, 400, "year: not a whole number 2000..2100");
	else if (api_body_text(c, b, "kind", sizeof(t->kind), 1, &kind) ||
		 api_body_text(c, b, "date", sizeof(t->date), 1, &date) ||
		 api_body_text(c, b, "text", sizeof(t->text), 1, &text) ||
		 api_body_text(c, b, "evidence", sizeof(t->evidence), 0, &ev))
		;
	else if (!statement_kind(kind))
		api_fail(c, 400, "kind: %s is not one of remark, qualitative, major_change, "
			 "compliance", kind);
	else if (!is_date(date))
		api_fail(c, 400, "date: %s is not YYYY-MM-DD", date);
	else if ((misfit = row_misfit(kind, row)) != NULL)
		api_fail(c, 400, "row: %s", misfit);
	else {
		t->year = year->valueint;
		t->row = row != NULL ? row->valueint : 0;
		snprintf(t->kind, sizeof(t->kind), "%s", kind);
		snprintf(t->date, sizeof(t->date), "%s", date);
		snprintf(t->text, sizeof(t->text), "%s", text);
		snprintf(t->evidence, sizeof(t->evidence), "%s", ev ? ev : "");
		bad = 0;
	}
	cJSON_Delete(b);
	return bad;
}

int api_post_statement(struct api_ctx *c)
{
	struct store_statement t = { 0 };
	struct reg_unit u;
	char object[64];
	int64_t id = 0;
	int rc;

	if (api_params_check(c, NULL) || api_visible_unit(c, c->arg[0], &u))
		return -1;
	snprintf(object, sizeof(object), "unit %s statement", u.code);
	if (c->role != API_UNIT) {
		api_audit(c, "statement.add", object, 403, "not the unit's token");
		return api_fail(c, 403, "token: only the unit's own token writes its statements");
	}
	if (statement_body(c, &t))
		return -1;
	snprintf(t.unit, sizeof(t.unit), "%s", u.code);
	snprintf(t.by, sizeof(t.by), "%s", c->tok.name);
	t.entered_s = c->req->now_s;
	if ((rc = store_statement_add(c->s, &t, &id)) != GFI_OK)
		return api_fail_store(c, rc);
	api_audit(c, "statement.add", object, 201, t.kind);
	if ((rc = store_statement_get(c->s, id, &t)) != GFI_OK)
		return api_fail_store(c, rc);
	return api_reply_json(c, 201, json_statement(&t));
}

static int review(struct api_ctx *c, const char *state, const char *action)
{
	struct store_statement t;
	char object[48];
	long long id;
	int rc;

	if (api_path_id(c, "statement", &id) || api_params_check(c, NULL))
		return -1;
	snprintf(object, sizeof(object), "statement %lld", id);
	rc = store_statement_get(c->s, (int64_t)id, &t);
	if (api_visible_row(c, rc, t.unit, "statement", id))
		return -1;
	rc = store_statement_review(c->s, (int64_t)id, state, c->tok.name, c->req->now_s);
	api_audit(c, action, object, rc == GFI_OK ? 200 : rc == GFI_E_STATE ? 409 : 500, "");
	if (rc == GFI_E_STATE)
		return api_fail(c, 409, "state: statement %lld is already %s", id, t.state);
	if (rc != GFI_OK || (rc = store_statement_get(c->s, (int64_t)id, &t)) != GFI_OK)
		return api_fail_store(c, rc);
	return api_reply_json(c, 200, json_statement(&t));
}

int api_post_statement_confirm(struct api_ctx *c)
{
	return review(c, "confirmed", "statement.confirm");
}

int api_post_statement_reject(struct api_ctx *c)
{
	return review(c, "rejected", "statement.reject");
}

/*
 * admin_dated.c — the dated registry's admin commands (issue 17): a unit's
 * own change from a date (`unit change/retire --from`), a gateway's move
 * (`gateway change --unit --from`), a meter's own move (`meter move`), and
 * the histories with who changed them (`unit history`, `gateway history`,
 * `gateway keys`, `meter history`). Beside admin.c, whose command table
 * names them (admin.h).
 *
 * Why together: every dated change runs in one transaction with the
 * registry_after_filing alerts of the filed years it reaches (periods.h),
 * so a filed table never changes unseen.
 */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "periods.h"

/* The units a dated change may touch, each once. */
#define UNIT_SET_MAX 16
struct unit_set {
	const char *v[UNIT_SET_MAX];
	char code[UNIT_SET_MAX][STORE_CODE_LEN + 1];
	size_t n;
	int64_t from_s;          /* spans ending by then are not touched */
};

static void unit_set_add(struct unit_set *u, const char *code)
{
	if (code == NULL || code[0] == '\0' || u->n == UNIT_SET_MAX)
		return;
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->v[i], code) == 0)
			return;
	snprintf(u->code[u->n], sizeof(u->code[u->n]), "%s", code);
	u->v[u->n] = u->code[u->n];
	u->n++;
}

/* Listing callbacks: the unit of each gateway span, or each meter span of
 * its own, still running at u->from_s. */
static int gateway_span_unit(void *ctx, const void *row)
{
	const struct store_gateway_span *p = row;
	struct unit_set *u = ctx;

	if (p->to_s > u->from_s)
		unit_set_add(u, p->g.unit);
	return 0;
}

static int meter_span_unit(void *ctx, const void *row)
{
	const struct store_meter_span *p = row;
	struct unit_set *u = ctx;

	if (p->to_s > u->from_s)
		unit_set_add(u, p->unit);
	return 0;
}

/* One dated registry change: begun by dated_begin, its write's result ret
 * ended here (also when the begin failed). Every filed year of the units
 * it may touch, from --from on, gets a registry_after_filing alert
 * (periods.h) in the same transaction; then commit, or roll everything
 * back. */
struct dated_change {
	struct unit_set units;   /* the units it may touch */
	char by[64];             /* --by, default "admin" */
	int64_t from_s;          /* --from */
};

/* Read --from and --by into d (refusals on c). */
static void dated_take(struct cli *c, struct dated_change *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->by, sizeof(d->by), "admin");
	admin_take_time(c, "from", &d->from_s);
	admin_take_text(c, "by", d->by, sizeof(d->by), 0);
	d->units.from_s = d->from_s;
}

static int dated_begin(struct cli *c)
{
	return store_begin(c->s);
}

static int dated_end(struct cli *c, int ret, const char *subject,
		     const struct dated_change *d)
{
	char what[256];

	snprintf(what, sizeof(what), "%s %s %s from %s by %s after the filing", c->object,
		 subject, c->verb, admin_opt(c, "from"), d->by);
	if (ret == GFI_OK)
		ret = periods_registry_changed(c->s, d->units.v, d->units.n, d->from_s, what,
					       strcmp(c->object, "unit") != 0, c->now_s);
	if (ret == GFI_OK)
		ret = store_commit(c->s);
	if (ret != GFI_OK)
		store_rollback(c->s);
	return ret;
}

/* `unit change/retire --from DATE`: the change takes effect from that
 * date; before it the unit stays as it was (store_moves.h). Without --from
 * admin.c corrects the entry in place (a typo), its current version with
 * it. */
void admin_unit_change_from(struct cli *c, const struct reg_unit *u)
{
	struct dated_change d;
	int ret;

	dated_take(c, &d);
	if (c->status != 0)
		return;
	unit_set_add(&d.units, u->code);
	if ((ret = dated_begin(c)) == GFI_OK)
		ret = store_unit_change_from(c->s, u, d.from_s, d.by, c->now_s);
	ret = dated_end(c, ret, u->code, &d);
	if (ret == GFI_E_STATE)
		admin_refuse(c, "from", "must be after the start of %s's current version",
			     u->code);
	else
		admin_put_result(c, ret, "code", u->code, "county");
}

/* `unit history --code C`: its versions with who changed them. */
void admin_unit_history(struct cli *c)
{
	static const char *const cols[] = { "code", "name", "kind", "county", "level",
		"year", "sector", "retired", "from_s", "to_s", "changed_by", "changed_s",
		NULL };
	struct lister l = { .c = c, .cols = cols, .build = admin_unit_version_json };
	struct reg_unit u;
	char code[STORE_CODE_LEN + 1] = "";

	admin_take_credit_code(c, "code", code);
	if (c->status != 0 ||
	    !admin_found(c, "code", code, "unit", store_unit_get(c->s, code, &u), 0))
		return;
	admin_list_header(&l);
	admin_list_done(c, store_unit_versions(c->s, code, admin_list_row, &l));
}

/* --unit with --from DATE: the move takes effect from that date; readings
 * before it stay with the old unit (store_moves.h). */
void admin_gateway_move(struct cli *c, const struct reg_gateway *g)
{
	struct dated_change d;
	int ret;

	dated_take(c, &d);
	if (c->status == 0 && admin_opt(c, "unit") == NULL)
		admin_refuse(c, "from", "needs --unit (the unit it moves to)");
	if (c->status != 0)
		return;
	/* The units it leaves from then on, the one it joins. */
	unit_set_add(&d.units, g->unit);
	if ((ret = dated_begin(c)) == GFI_OK)
		ret = store_gateway_spans(c->s, g->id, gateway_span_unit, &d.units);
	if (ret == GFI_OK)
		ret = store_gateway_move(c->s, g->id, g->unit, d.from_s, d.by, c->now_s);
	ret = dated_end(c, ret, g->id, &d);
	if (ret == GFI_E_STATE)
		admin_refuse(c, "from", "must be after the start of %s's current unit", g->id);
	else
		admin_put_result(c, ret, "id", g->id, "unit");
}

/* `gateway history --id G`: its units over time; `gateway keys --id G`:
 * its key history. Both with who changed them. */
void admin_gateway_history(struct cli *c)
{
	static const char *const span_cols[] = { "id", "unit", "from_s", "to_s",
		"changed_by", "changed_s", NULL };
	static const char *const key_cols[] = { "id", "n", "from_epoch", "from_seq",
		"revoked_epoch", "revoked_seq", "added_s", "added_by", "pubkey_sha256",
		NULL };
	int keys = strcmp(c->verb, "keys") == 0;
	struct lister l = { .c = c, .cols = keys ? key_cols : span_cols,
			    .build = keys ? admin_key_json : admin_span_json };
	char id[GFI_ID_MAX] = "";

	admin_take_id(c, "id", id);
	if (c->status != 0)
		return;
	admin_list_header(&l);
	admin_list_done(c, keys ? store_gateway_key_list(c->s, id, admin_list_row, &l)
				: store_gateway_spans(c->s, id, admin_list_row, &l));
}

/* `meter move --gateway G --meter M --unit U --from DATE`: every point of
 * the meter is U's from DATE on, whatever its gateway's unit (a tenant's
 * sub-meter on a shared gateway); --unit gateway: it follows its gateway
 * again. Readings before DATE stay where they were (store_moves.h). */
void admin_meter_move(struct cli *c)
{
	char gw[GFI_ID_MAX] = "", meter[GFI_ID_MAX] = "", unit[STORE_CODE_LEN + 1] = "";
	const char *to = admin_opt(c, "unit");
	int follow = to != NULL && strcmp(to, "gateway") == 0;
	char subject[2 * GFI_ID_MAX + 1];
	struct dated_change d;
	struct reg_unit u;
	int ret;

	admin_take_id(c, "gateway", gw);
	admin_take_id(c, "meter", meter);
	if (!follow)
		admin_take_credit_code(c, "unit", unit);
	dated_take(c, &d);
	if (!follow)
		admin_unit_usable(c, "unit", unit, &u);
	if (c->status == 0 && store_meter_known(c->s, gw, meter) == 0)
		admin_refuse(c, "meter", "%s/%s has no registered point", gw, meter);
	if (c->status != 0)
		return;
	/* The units it may leave from then on (its own spans', and its
	 * gateway's while it follows it), the one it joins. */
	unit_set_add(&d.units, unit);
	snprintf(subject, sizeof(subject), "%s/%s", gw, meter);
	if ((ret = dated_begin(c)) == GFI_OK)
		ret = store_meter_spans(c->s, gw, meter, meter_span_unit, &d.units);
	if (ret == GFI_OK)
		ret = store_gateway_spans(c->s, gw, gateway_span_unit, &d.units);
	if (ret == GFI_OK)
		ret = store_meter_move(c->s, gw, meter, follow ? NULL : unit, d.from_s, d.by,
				       c->now_s);
	ret = dated_end(c, ret, subject, &d);
	if (ret == GFI_E_STATE)
		admin_refuse(c, "from", "must be after the start of %s/%s's current unit",
			     gw, meter);
	else
		admin_put_result(c, ret, "meter", meter, "unit");
}

/* `meter history --gateway G --meter M`: its own units over time. */
void admin_meter_history(struct cli *c)
{
	static const char *const cols[] = { "gateway", "meter", "unit", "from_s", "to_s",
		"changed_by", "changed_s", NULL };
	struct lister l = { .c = c, .cols = cols, .build = admin_meter_span_json };
	char gw[GFI_ID_MAX] = "", meter[GFI_ID_MAX] = "";

	admin_take_id(c, "gateway", gw);
	admin_take_id(c, "meter", meter);
	if (c->status == 0 && store_meter_known(c->s, gw, meter) == 0)
		admin_refuse(c, "meter", "%s/%s has no registered point", gw, meter);
	if (c->status != 0)
		return;
	admin_list_header(&l);
	admin_list_done(c, store_meter_spans(c->s, gw, meter, admin_list_row, &l));
}

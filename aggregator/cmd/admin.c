/*
 * admin.c — `gfi-aggregator admin --store FILE OBJECT VERB [--field value
 * ...]`: add, change, list and retire counties, units, park members,
 * suppliers, gateways, meters, replacement events and manual facts.
 *
 * One table row per OBJECT VERB: the options it accepts, those it requires,
 * and its handler; the dated changes and histories are in admin_dated.c.
 * Every input is checked (admin_fields.c, against the registry's rules in
 * registry.h) before the store sees it; references are checked against the
 * registered entries.
 *
 * Invariants: a command changes the store only after every field has been
 * accepted; a refusal writes exactly one line on err, starting with the
 * field ("--code: ..."), and exits 2; a store failure exits 1.
 */
#include "admin.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "jsonutil.h"
#include "now.h"
#include "quantity.h"
#include "registry.h"

#define STATUS_BAD 2
#define STATUS_FAIL 1

/* ---- counties ---- */

static int county_find(struct cli *c, struct reg_county *k)
{
	int ret;

	k->code[0] = '\0';
	admin_take_county_code(c, "code", k->code, sizeof(k->code));
	if (c->status != 0)
		return 0;
	ret = store_county_get(c->s, k->code, k);
	return admin_found(c, "code", admin_opt(c, "code"), "county", ret, 0);
}

static void county_add(struct cli *c)
{
	struct reg_county k = { 0 };

	admin_take_county_code(c, "code", k.code, sizeof(k.code));
	admin_take_text(c, "name", k.name, sizeof(k.name), 0);
	if (c->status == 0)
		admin_put_result(c, store_county_put(c->s, &k, 1), "code", k.code, "county");
}

static void county_change(struct cli *c)
{
	struct reg_county k;

	if (!county_find(c, &k))
		return;
	admin_take_text(c, "name", k.name, sizeof(k.name), 0);
	if (strcmp(c->verb, "retire") == 0)
		k.retired = 1;
	if (c->status == 0)
		admin_put_result(c, store_county_put(c->s, &k, 0), "code", k.code, "county");
}

static void county_list(struct cli *c)
{
	static const char *const cols[] = { "code", "name", "retired", NULL };
	struct lister l = { .c = c, .cols = cols, .build = admin_county_json };

	admin_list_header(&l);
	admin_list_done(c, store_county_list(c->s, admin_list_row, &l));
}

/* ---- units ---- */

static void unit_fields(struct cli *c, struct reg_unit *u)
{
	int kind = (int)u->kind, level = (int)u->level;

	admin_take_text(c, "name", u->name, sizeof(u->name), 0);
	if (admin_take_choice(c, "kind", unit_kind_names, "factory, park, supply_chain", &kind))
		u->kind = (enum unit_kind)kind;
	admin_take_county_code(c, "county", u->county, sizeof(u->county));
	if (admin_take_choice(c, "level", unit_level_names, "national, provincial, city", &level))
		u->level = (enum unit_level)level;
	admin_take_int(c, "year", 2000, 2100, &u->year_listed);
	admin_take_text(c, "sector", u->sector, sizeof(u->sector), 1);
	if (admin_opt(c, "county") != NULL)
		admin_county_usable(c, "county", u->county);
}

static void unit_add(struct cli *c)
{
	struct reg_unit u = { 0 };

	admin_take_credit_code(c, "code", u.code);
	unit_fields(c, &u);
	if (c->status == 0)
		admin_put_result(c, store_unit_put(c->s, &u, 1), "code", u.code, "county");
}

static void unit_change(struct cli *c)
{
	struct reg_unit u = { 0 };
	int ret;

	admin_take_credit_code(c, "code", u.code);
	if (c->status != 0)
		return;
	ret = store_unit_get(c->s, u.code, &u);
	admin_found(c, "code", admin_opt(c, "code"), "unit", ret, 0);
	unit_fields(c, &u);
	if (strcmp(c->verb, "retire") == 0)
		u.retired = 1;
	if (c->status == 0 && admin_opt(c, "from") != NULL)
		admin_unit_change_from(c, &u);
	else if (c->status == 0)
		admin_put_result(c, store_unit_put(c->s, &u, 0), "code", u.code, "county");
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
	struct lister l = { .c = c, .cols = cols, .build = admin_unit_json,
			    .keep = unit_keep, .filter_kind = -1 };
	char county[16] = "";

	admin_take_county_code(c, "county", county, sizeof(county));
	admin_take_choice(c, "kind", unit_kind_names, "factory, park, supply_chain", &l.filter_kind);
	if (c->status != 0)
		return;
	l.filter = county[0] ? county : NULL;
	admin_list_header(&l);
	admin_list_done(c, store_unit_list(c->s, admin_list_row, &l));
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

	admin_take_credit_code(c, first_flag, first);
	admin_take_credit_code(c, second_flag, second);
	if (!admin_unit_usable(c, first_flag, first, &u1))
		return;
	if (u1.kind != want) {
		admin_refuse(c, first_flag, "%s is a %s, not a %s", first,
		       admin_choice_name(unit_kind_names, 3, (int)u1.kind), want_name);
		return;
	}
	if (!admin_unit_usable(c, second_flag, second, &u2))
		return;
	if (strcmp(first, second) == 0) {
		admin_refuse(c, second_flag, "%s cannot be its own %s", second, second_flag);
		return;
	}
	ret = put(c->s, first, second);
	if (ret == GFI_E_EXISTS)
		admin_refuse(c, second_flag, "%s is already a %s of %s", second, second_flag, first);
	else
		admin_put_result(c, ret, second_flag, second, "unit");
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

	admin_take_credit_code(c, flag, first);
	if (c->status != 0)
		return;
	admin_list_header(&l);
	admin_list_done(c, list(c->s, first[0] ? first : NULL, admin_list_row, &l));
}

static void member_list(struct cli *c)
{
	static const char *const cols[] = { "park", "member", NULL };

	pair_list(c, "park", cols, admin_member_json, store_member_list);
}

static void supplier_list(struct cli *c)
{
	static const char *const cols[] = { "enterprise", "supplier", NULL };

	pair_list(c, "enterprise", cols, admin_supplier_json, store_supplier_list);
}

/* ---- gateways ---- */

static void gateway_add(struct cli *c)
{
	struct reg_gateway g = { 0 };
	struct reg_unit u;

	admin_take_id(c, "id", g.id);
	admin_take_credit_code(c, "unit", g.unit);
	admin_take_pubkey(c, "pubkey", g.pubkey_pem, sizeof(g.pubkey_pem));
	g.active = 1;
	g.registered_s = c->now_s;
	if (admin_unit_usable(c, "unit", g.unit, &u))
		admin_put_result(c, store_gateway_put(c->s, &g, 1), "id", g.id, "unit");
}

/* A new key for gateway g (the PEM in new_pem): added to its key history,
 * signing from --from-seq of its current epoch (default: the batch after
 * the city's head), never overwriting the keys before it. */
static int gateway_key_add(struct cli *c, const struct reg_gateway *g,
			   const char *new_pem)
{
	char epoch[GFI_BATCH_EPOCH_LEN + 1], by[64] = "admin";
	uint8_t hash[32];
	uint64_t head = 0;
	int from = 0;
	int ret = store_chain_epoch(c->s, g->id, epoch);

	if (ret == GFI_OK)
		ret = store_chain_get(c->s, g->id, &head, hash);
	admin_take_int(c, "from-seq", 1, INT32_MAX, &from);
	admin_take_text(c, "by", by, sizeof(by), 0);
	if (c->status != 0 || ret != GFI_OK)
		return ret;
	return store_gateway_key_add(c->s, g->id, new_pem, epoch,
				     from > 0 ? (uint64_t)from : head + 1, c->now_s, by);
}

static void gateway_change(struct cli *c)
{
	struct reg_gateway g = { 0 };
	char old_pem[sizeof(g.pubkey_pem)];
	struct reg_unit u;
	int ret;

	admin_take_id(c, "id", g.id);
	if (c->status != 0)
		return;
	ret = store_gateway_get(c->s, g.id, &g);
	admin_found(c, "id", g.id, "gateway", ret, 0);
	memcpy(old_pem, g.pubkey_pem, sizeof(old_pem));
	admin_take_credit_code(c, "unit", g.unit);
	admin_take_pubkey(c, "pubkey", g.pubkey_pem, sizeof(g.pubkey_pem));
	if (admin_opt(c, "unit") != NULL)
		admin_unit_usable(c, "unit", g.unit, &u);
	if (strcmp(c->verb, "retire") == 0)
		g.active = 0;
	if (c->status == 0 && admin_opt(c, "from") != NULL)
		admin_gateway_move(c, &g);
	else if (c->status == 0 && admin_opt(c, "unit") != NULL &&
		 store_gateway_dated(c->s, g.id) == 1)
		admin_refuse(c, "unit", "%s has a dated history: give --from", g.id);
	if (c->status == 0 && strcmp(old_pem, g.pubkey_pem) != 0) {
		ret = gateway_key_add(c, &g, g.pubkey_pem);
		if (c->status != 0)
			return;
		if (ret != GFI_OK) {
			admin_put_result(c, ret, "pubkey", g.id, "gateway");
			return;
		}
	}
	if (c->status == 0)
		admin_put_result(c, store_gateway_put(c->s, &g, 0), "id", g.id, "unit");
}

static int gateway_keep(const struct lister *l, const void *row)
{
	return l->filter == NULL || strcmp(l->filter, ((const struct reg_gateway *)row)->unit) == 0;
}

static void gateway_list(struct cli *c)
{
	static const char *const cols[] = { "id", "unit", "active", "registered_s",
		"pubkey_sha256", NULL };
	struct lister l = { .c = c, .cols = cols, .build = admin_gateway_json,
			    .keep = gateway_keep };
	char unit[STORE_CODE_LEN + 1] = "";

	admin_take_credit_code(c, "unit", unit);
	if (c->status != 0)
		return;
	l.filter = unit[0] ? unit : NULL;
	admin_list_header(&l);
	admin_list_done(c, store_gateway_list(c->s, admin_list_row, &l));
}

/* ---- meters ---- */

static void meter_keys(struct cli *c, struct reg_meter *m)
{
	admin_take_id(c, "gateway", m->gateway);
	admin_take_id(c, "meter", m->meter);
	admin_take_id(c, "point", m->point);
}

static void meter_fields(struct cli *c, struct reg_meter *m)
{
	const char *q = admin_opt(c, "quantity"), *r = admin_opt(c, "role");

	if (q != NULL && c->status == 0) {
		if (gfi_quantity_find(q) == NULL)
			admin_refuse(c, "quantity", "%s is not a known quantity", q);
		else
			snprintf(m->quantity, sizeof(m->quantity), "%s", q);
	}
	if (r != NULL && c->status == 0 && registry_role_parse(r, &m->role) != GFI_OK)
		admin_refuse(c, "role", "%s is not a role (elec_purchased, elec_exported, "
		       "renewable_gen, fuel, heat_purchased, water_intake, "
		       "water_recycled, wastewater, production, stack, submeter, none)", r);
	admin_take_word(c, "carrier", m->carrier, sizeof(m->carrier));
	admin_take_double(c, "counter-max", 0, 1e15, &m->counter_max);
	admin_take_text(c, "product", m->product, sizeof(m->product), 1);
	admin_take_text(c, "product-unit", m->product_unit, sizeof(m->product_unit), 1);
	admin_take_double(c, "accuracy", 0, 10, &m->accuracy_pct);
	admin_take_time(c, "registered", &m->registered_s);
}

/* A counter maximum of 10^n - 1 (99999999, 999999.99) is what a display
 * shows last, not where it returns to 0: warn and name the modulus. The
 * entry is kept (a register may really wrap there). */
static void counter_max_warning(struct cli *c, double counter_max)
{
	double modulus = 0;

	if (registry_counter_max_looks_displayed(counter_max, &modulus))
		fprintf(c->err, "--counter-max: warning: %.15g looks like the largest "
			"value the display shows; the maximum is the modulus at which "
			"the register returns to 0 (%.15g) (docs/registry.md)\n",
			counter_max, modulus);
}

/* Rules across fields, checked on the merged entry of an add or change. */
static void meter_rules(struct cli *c, struct reg_meter *m)
{
	const struct gfi_quantity *q = gfi_quantity_find(m->quantity);

	if (c->status != 0)
		return;
	if (!registry_role_fits(m->role, m->quantity))
		admin_refuse(c, "role", "%s does not fit quantity %s",
		       registry_role_name(m->role), m->quantity);
	else if (m->role == ROLE_PRODUCTION && m->product[0] == '\0')
		admin_refuse(c, "product", "required for role production");
	else if (m->role != ROLE_PRODUCTION && (m->product[0] || admin_opt(c, "product-unit")))
		admin_refuse(c, m->product[0] ? "product" : "product-unit",
		       "only for role production, not %s", registry_role_name(m->role));
	else if (m->counter_max > 0 && q != NULL && q->kind != GFI_COUNTER)
		admin_refuse(c, "counter-max", "only for counters; %s is a gauge", m->quantity);
	else if (m->role == ROLE_FUEL && m->carrier[0] == '\0')
		admin_refuse(c, "carrier", "required for role fuel (e.g. natural_gas, diesel, coal)");
	if (c->status != 0)
		return;
	if (m->role == ROLE_PRODUCTION && m->product_unit[0] == '\0' && q != NULL)
		snprintf(m->product_unit, sizeof(m->product_unit), "%s", q->unit);
	if (m->role != ROLE_PRODUCTION)
		m->product_unit[0] = '\0';
	if (m->carrier[0] == '\0' && (m->role == ROLE_ELEC_PURCHASED ||
				      m->role == ROLE_ELEC_EXPORTED))
		snprintf(m->carrier, sizeof(m->carrier), "electricity");
	counter_max_warning(c, m->counter_max);
}

static void meter_put(struct cli *c, struct reg_meter *m, int create)
{
	char key[3 * GFI_ID_MAX + 2];

	snprintf(key, sizeof(key), "%s/%s/%s", m->gateway, m->meter, m->point);
	admin_put_result(c, store_meter_put(c->s, m, create), "point", key, "gateway");
}

static void meter_add(struct cli *c)
{
	struct reg_meter m = { 0 };

	m.registered_s = c->now_s;
	meter_keys(c, &m);
	meter_fields(c, &m);
	meter_rules(c, &m);
	if (admin_gateway_usable(c, "gateway", m.gateway))
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
		admin_refuse(c, "point", "%s/%s/%s is not a registered meter point",
		       k.gateway, k.meter, k.point);
	else if (ret != GFI_OK)
		admin_failed(c, "meter lookup", ret);
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

/* A listing filtered by the optional --gateway (meters, replacements). */
static void gateway_list_of(struct cli *c, const char *const *cols,
			    cJSON *(*build)(const void *),
			    int (*list)(struct store *, const char *, store_row_fn, void *))
{
	struct lister l = { .c = c, .cols = cols, .build = build };
	char gw[GFI_ID_MAX] = "";

	admin_take_id(c, "gateway", gw);
	if (c->status != 0)
		return;
	admin_list_header(&l);
	admin_list_done(c, list(c->s, gw[0] ? gw : NULL, admin_list_row, &l));
}

static void meter_list(struct cli *c)
{
	static const char *const cols[] = { "gateway", "meter", "point", "quantity",
		"role", "carrier", "counter_max", "product", "product_unit",
		"accuracy_pct", "registered_s", "retired", NULL };

	gateway_list_of(c, cols, admin_meter_json, store_meter_list);
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
	admin_take_time(c, "time", &r.time_s);
	admin_take_double(c, "old-final", 0, 1e15, &r.old_final);
	admin_take_double(c, "new-initial", 0, 1e15, &r.new_initial);
	if (c->status != 0)
		return;
	if (gfi_quantity_find(m.quantity) == NULL ||
	    gfi_quantity_find(m.quantity)->kind != GFI_COUNTER) {
		admin_refuse(c, "point", "%s/%s/%s measures %s, a gauge: only counters are "
		       "replaced", r.gateway, r.meter, r.point, m.quantity);
		return;
	}
	ret = store_replacement_add(c->s, &r);
	if (ret == GFI_E_EXISTS)
		admin_refuse(c, "time", "a replacement of %s/%s/%s at %" PRId64 " is already recorded",
		       r.gateway, r.meter, r.point, r.time_s);
	else
		admin_put_result(c, ret, "point", r.point, "meter point");
}

static void replacement_list(struct cli *c)
{
	static const char *const cols[] = { "gateway", "meter", "point", "time_s",
		"old_final", "new_initial", NULL };

	gateway_list_of(c, cols, admin_replacement_json, store_replacement_list);
}

/* ---- facts ---- */

static void fact_set(struct cli *c)
{
	struct reg_fact f = { 0 };
	const struct registry_fact_key *k, *keys;
	struct reg_unit u;
	size_t nkeys;
	const char *key = admin_opt(c, "key");

	admin_take_credit_code(c, "unit", f.unit);
	admin_take_int(c, "year", 2000, 2100, &f.year);
	admin_take_int(c, "month", 0, 12, &f.month);
	if (c->status == 0 && (k = registry_fact_key_find(key)) == NULL) {
		char all[1024] = "";
		keys = registry_fact_keys(&nkeys);
		for (size_t i = 0; i < nkeys; i++)
			snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s%s",
				 i ? ", " : "", keys[i].key, keys[i].per == FACT_PER_METER
				 ? ".METER" : keys[i].per == FACT_PER_PRODUCT ? ".PRODUCT" : "");
		admin_refuse(c, "key", "%s is not a fact key (%s)", key, all);
		return;
	}
	if (c->status != 0)
		return;
	snprintf(f.key, sizeof(f.key), "%s", key);
	admin_take_double(c, "value", k->min, k->max, &f.value);
	admin_take_text(c, "by", f.entered_by, sizeof(f.entered_by), 0);
	f.entered_s = c->now_s;
	if (admin_unit_usable(c, "unit", f.unit, &u))
		admin_put_result(c, store_fact_put(c->s, &f), "unit", f.unit, "unit");
}

static void fact_list(struct cli *c)
{
	static const char *const cols[] = { "unit", "year", "month", "key", "value",
		"value_unit", "entered_by", "entered_s", NULL };
	struct lister l = { .c = c, .cols = cols, .build = admin_fact_json };
	char unit[STORE_CODE_LEN + 1] = "";
	int year = 0;

	admin_take_credit_code(c, "unit", unit);
	admin_take_int(c, "year", 2000, 2100, &year);
	if (c->status != 0)
		return;
	admin_list_header(&l);
	admin_list_done(c, store_fact_list(c->s, unit[0] ? unit : NULL, year, admin_list_row, &l));
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
	{ "unit", "change", "code name kind county level year sector from by", "code",
	  unit_change },
	{ "unit", "retire", "code from by", "code", unit_change },
	{ "unit", "history", "code json", "code", admin_unit_history },
	{ "unit", "list", "county kind json", "", unit_list },
	{ "member", "add", "park member", "park member", member_add },
	{ "member", "list", "park json", "", member_list },
	{ "supplier", "add", "enterprise supplier", "enterprise supplier", supplier_add },
	{ "supplier", "list", "enterprise json", "", supplier_list },
	{ "gateway", "add", "id unit pubkey", "id unit pubkey", gateway_add },
	{ "gateway", "change", "id unit pubkey from-seq from by", "id", gateway_change },
	{ "gateway", "history", "id json", "id", admin_gateway_history },
	{ "gateway", "keys", "id json", "id", admin_gateway_history },
	{ "gateway", "retire", "id", "id", gateway_change },
	{ "gateway", "list", "unit json", "", gateway_list },
	{ "meter", "add", "gateway meter point quantity role carrier counter-max "
	  "product product-unit accuracy registered",
	  "gateway meter point quantity role", meter_add },
	{ "meter", "change", "gateway meter point quantity role carrier counter-max "
	  "product product-unit accuracy registered", "gateway meter point", meter_change },
	{ "meter", "retire", "gateway meter point", "gateway meter point", meter_change },
	{ "meter", "move", "gateway meter unit from by", "gateway meter unit from", admin_meter_move },
	{ "meter", "history", "gateway meter json", "gateway meter", admin_meter_history },
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
		admin_refuse_word(c, "admin", "usage: admin --store FILE OBJECT VERB [--field value ...]");
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
		admin_refuse_word(c, "object", "%s is not one of county, unit, member, supplier, "
			    "gateway, meter, replacement, fact", c->object);
	else
		admin_refuse_word(c, "verb", "%s %s is not a command", c->object,
			    c->verb != NULL ? c->verb : "(missing)");
	return NULL;
}

/* Every option known to the command, every required one given. */
static void check_options(struct cli *c, const struct command *cmd)
{
	char word[40];
	const char *p = cmd->required;

	snprintf(word, sizeof(word), "%s %s", cmd->object, cmd->verb);
	if (c->status == 0)
		c->status = opts_only(&c->o, cmd->flags, word, c->err);
	if (admin_opt(c, "store") == NULL)
		admin_refuse(c, "store", "missing (required)");
	while (c->status == 0 && *p != '\0') {
		size_t n = strcspn(p, " ");
		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		if (admin_opt(c, word) == NULL)
			admin_refuse(c, word, "missing (required for %s %s)", cmd->object, cmd->verb);
		p += n + (p[n] == ' ');
	}
}

static void open_store(struct cli *c, const struct command *cmd)
{
	const char *path = admin_opt(c, "store");
	struct stat st;
	int ret;

	/* Only an add or set may create the store: a mistyped path for a
	 * listing should not leave a fresh empty store behind. */
	if (strcmp(cmd->verb, "add") != 0 && strcmp(cmd->verb, "set") != 0 &&
	    stat(path, &st) != 0) {
		admin_refuse(c, "store", "%s: %s", path, strerror(errno));
		return;
	}
	ret = store_open(path, &c->s);
	if (ret != GFI_OK) {
		c->status = STATUS_FAIL;
		fprintf(c->err, "--store: cannot open %s: %s\n", path, gfi_strerror(ret));
	}
}

int cmd_admin(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct opts_spec spec = { .flags = "json", .words = 2,
					       .owner = "admin" };
	struct cli c = { .out = out, .err = err, .now_s = agg_now_s() };
	const struct command *cmd = NULL;

	if (argc < 1 || argv == NULL)
		return STATUS_BAD;
	c.status = opts_parse(argc, argv, 1, &spec, &c.o, err);
	c.object = c.o.word[0];
	c.verb = c.o.word[1];
	c.json = opts_get(&c.o, "json") != NULL;
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

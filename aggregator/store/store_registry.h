/*
 * store_registry.h — the registry part of the store (store_registry.c):
 * counties, units, park members, suppliers, gateways, meter points with
 * their roles, meter replacements and manual facts. Included by store.h;
 * the store's core (opening, transactions, store_row_fn) is there.
 */
#ifndef GFI_AGG_STORE_REGISTRY_H
#define GFI_AGG_STORE_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "reading.h"
#include "store.h"

enum unit_kind { UNIT_FACTORY, UNIT_PARK, UNIT_SUPPLY_CHAIN };
enum unit_level { LEVEL_NATIONAL, LEVEL_PROVINCIAL, LEVEL_CITY };
/* Their names in JSON, CSV and options, indexed by the enum; NULL ends. */
static const char *const unit_kind_names[] = { "factory", "park", "supply_chain", NULL };
static const char *const unit_level_names[] = { "national", "provincial", "city", NULL };

/* The role of a meter point in its unit's balance (DESIGN.md "Meter roles"). */
enum meter_role {
	ROLE_NONE = 0,            /* not part of any balance (e.g. voltage) */
	ROLE_ELEC_PURCHASED,      /* purchased electricity */
	ROLE_ELEC_EXPORTED,       /* electricity exported to the grid */
	ROLE_RENEWABLE_GEN,       /* on-site renewable generation (PV, wind) */
	ROLE_FUEL,                /* fuel: natural gas, diesel, coal ... (carrier) */
	ROLE_HEAT_PURCHASED,      /* purchased steam or heat (carrier) */
	ROLE_WATER_INTAKE,        /* fresh water intake (carrier: source) */
	ROLE_WATER_RECYCLED,      /* recycled / reused water */
	ROLE_WASTEWATER,          /* wastewater discharged */
	ROLE_PRODUCTION,          /* production output (product, product unit) */
	ROLE_STACK,               /* stack emissions, CEMS gauges */
	ROLE_SUBMETER,            /* breakdown only, never added to totals */
};

struct reg_county {
	char code[16];                  /* administrative division code, digits */
	char name[64];                  /* UTF-8 */
	int retired;
};

struct reg_unit {
	char code[STORE_CODE_LEN + 1];  /* 统一社会信用代码, check digit valid */
	char name[STORE_NAME_MAX];      /* UTF-8 */
	enum unit_kind kind;
	char county[16];                /* a registered county code */
	enum unit_level level;
	int year_listed;                /* 2000..2100 */
	char sector[64];                /* industry sector (e.g. GB/T 4754 code) */
	int retired;
};

struct reg_gateway {
	char id[GFI_ID_MAX];
	char unit[STORE_CODE_LEN + 1];
	char pubkey_pem[512];           /* "BEGIN PUBLIC KEY" PEM, P-256 */
	int active;                     /* retired gateways' batches are refused */
	int64_t registered_s;
};

struct reg_meter {
	char gateway[GFI_ID_MAX];
	char meter[GFI_ID_MAX];
	char point[GFI_ID_MAX];         /* the profile point this entry is about */
	char quantity[GFI_QNAME_MAX];   /* must match the readings' quantity */
	enum meter_role role;
	char carrier[32];               /* energy carrier / water source, e.g.
					   "electricity", "natural_gas", "tap_water" */
	double counter_max;             /* rollover value; 0 = none known */
	char product[64];               /* ROLE_PRODUCTION: product name */
	char product_unit[16];          /* ROLE_PRODUCTION: t, pcs, ... */
	double accuracy_pct;            /* meter accuracy class in %, 0 = unknown */
	int64_t registered_s;           /* readings before this are refused */
	int retired;
};

struct reg_replacement {
	char gateway[GFI_ID_MAX];
	char meter[GFI_ID_MAX];
	char point[GFI_ID_MAX];
	int64_t time_s;                 /* when the new meter started counting */
	double old_final;               /* last reading of the old meter */
	double new_initial;             /* first reading of the new meter */
};

struct reg_fact {
	char unit[STORE_CODE_LEN + 1];
	int year;                       /* 2000..2100 */
	int month;                      /* 1..12, or 0 for the whole year */
	char key[32];                   /* e.g. "output_value_10k_cny" */
	double value;
	char entered_by[64];
	int64_t entered_s;
};

/* Each add/change returns GFI_OK, GFI_E_EXISTS (add of an existing key),
 * GFI_E_NOTFOUND (change of a missing one, or a reference to a missing
 * county/unit/gateway/meter point), GFI_E_INVAL, or GFI_E_DB. Validation of
 * formats is the registry module's job (registry.h); the store checks
 * references. Members and suppliers: GFI_E_INVAL when the first unit is not
 * a park (resp. a supply-chain enterprise) or both are the same unit;
 * GFI_E_EXISTS for a pair already held. A replacement is unique by (gateway,
 * meter, point, time). A fact is set: it replaces one with the same (unit,
 * year, month, key). Each call is one transaction, or part of the caller's. */
int store_county_put(struct store *s, const struct reg_county *c, int create);
int store_unit_put(struct store *s, const struct reg_unit *u, int create);
int store_member_put(struct store *s, const char *park, const char *member);
int store_supplier_put(struct store *s, const char *enterprise,
		       const char *supplier);
int store_gateway_put(struct store *s, const struct reg_gateway *g, int create);
int store_meter_put(struct store *s, const struct reg_meter *m, int create);
int store_replacement_add(struct store *s, const struct reg_replacement *r);
int store_fact_put(struct store *s, const struct reg_fact *f);

/* Lookups: GFI_OK or GFI_E_NOTFOUND. */
int store_county_get(struct store *s, const char *code, struct reg_county *out);
int store_unit_get(struct store *s, const char *code, struct reg_unit *out);
int store_gateway_get(struct store *s, const char *id, struct reg_gateway *out);
int store_meter_get(struct store *s, const char *gateway, const char *meter,
		    const char *point, struct reg_meter *out);
/* Whether any point of (gateway, meter) is registered: 1, 0, or GFI_E_DB. */
int store_meter_known(struct store *s, const char *gateway, const char *meter);

/* Listings: call fn once per row, in key order; fn returning non-zero stops
 * (store_row_fn, store.h). */
int store_county_list(struct store *s, store_row_fn fn, void *ctx);
int store_unit_list(struct store *s, store_row_fn fn, void *ctx);
int store_gateway_list(struct store *s, store_row_fn fn, void *ctx);
/* The gateways of one unit, by id (index gateways_unit). */
int store_gateway_list_unit(struct store *s, const char *unit,
			    store_row_fn fn, void *ctx);
int store_meter_list(struct store *s, const char *gateway, store_row_fn fn,
		     void *ctx);

/* Further listings, same rules; a NULL gateway/park/enterprise/unit (or a
 * year of 0) lists all. Rows: struct reg_replacement, struct reg_pair
 * (first = park or enterprise, second = member or supplier), struct reg_fact. */
struct reg_pair {
	char first[STORE_CODE_LEN + 1];
	char second[STORE_CODE_LEN + 1];
};
int store_replacement_list(struct store *s, const char *gateway,
			   store_row_fn fn, void *ctx);
int store_member_list(struct store *s, const char *park, store_row_fn fn,
		      void *ctx);
int store_supplier_list(struct store *s, const char *enterprise,
			store_row_fn fn, void *ctx);
int store_fact_list(struct store *s, const char *unit, int year,
		    store_row_fn fn, void *ctx);

#endif

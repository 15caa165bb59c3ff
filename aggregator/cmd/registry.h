/*
 * registry.h — the city's registry: what is valid, and the admin CLI.
 *
 * `gfi-aggregator admin --store FILE OBJECT VERB [--field value ...]` adds,
 * changes, lists and retires counties, units, park members, suppliers,
 * gateways, meters, replacement events and manual facts. Every input is
 * validated here (formats, check digits, roles against quantities) and every
 * refusal is one line naming the field; references are checked by the store.
 */
#ifndef GFI_AGG_REGISTRY_H
#define GFI_AGG_REGISTRY_H

#include <stdio.h>

#include "store.h"

/* Run one admin command; argv[0] is the first word after "admin". Returns
 * the exit status: 0, 1 (runtime/store failure), 2 (bad input). */
int registry_cli(int argc, char **argv, FILE *out, FILE *err);

/* Whether code is a valid 18-character unified social credit code
 * (统一社会信用代码, GB 32100-2015), check digit included. */
int registry_credit_code_valid(const char *code);

/* Whether a point of this quantity may have this role (e.g. ROLE_FUEL needs
 * a counter of gas, fuel mass or heat; ROLE_STACK a gauge). */
int registry_role_fits(enum meter_role role, const char *quantity);

/* Parse / name roles: "elec_purchased", "elec_exported", "renewable_gen",
 * "fuel", "heat_purchased", "water_intake", "water_recycled", "wastewater",
 * "production", "stack", "submeter", "none". */
int registry_role_parse(const char *s, enum meter_role *out);
const char *registry_role_name(enum meter_role r);

/* Facts entered by hand (DESIGN.md "Meter roles"): the fixed list of keys,
 * each with its unit, Chinese label and accepted range. */
struct registry_fact_key {
	const char *key;    /* e.g. "output_value_10k_cny" */
	const char *unit;   /* e.g. "10^4 CNY", "t", "m2", "kWh" */
	const char *zh;     /* e.g. "工业总产值" */
	double min, max;    /* accepted values, inclusive */
};
/* The entry for key, or NULL when key is not a fact key. */
const struct registry_fact_key *registry_fact_key_find(const char *key);

#endif

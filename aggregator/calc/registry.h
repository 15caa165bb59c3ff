/*
 * registry.h — the city's registry: what a valid entry is.
 *
 * The admin commands (cmd/admin*.c: counties, units, park members,
 * suppliers, gateways, meters, replacement events, manual facts) check their
 * input against these rules: credit codes and their check character, roles
 * against quantities, fact keys and their ranges, operator times.
 */
#ifndef GFI_AGG_REGISTRY_H
#define GFI_AGG_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* What is wrong with code as a unified social credit code (e.g. "check
 * character"), or NULL when it is valid. */
const char *registry_credit_code_problem(const char *code);

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

/* Facts entered by hand (DESIGN.md "Meter roles", docs/registry.md): the
 * fixed list of keys, each with its unit, Chinese label and accepted range.
 * Some keys belong to one meter point or product: "key.METER" or
 * "key.PRODUCT" (e.g. "steam_pressure_mpa.S1", "qualified_output.铸件"). */
enum fact_per { FACT_PER_UNIT, FACT_PER_METER, FACT_PER_PRODUCT };
#define REGISTRY_FACT_KEY_MAX 32    /* bytes of a whole key with its NUL */
struct registry_fact_key {
	const char *key;    /* e.g. "output_value_10k_cny" */
	const char *unit;   /* e.g. "10^4 CNY", "t", "m2", "kWh" */
	const char *zh;     /* e.g. "工业总产值" */
	double min, max;    /* accepted values, inclusive */
	enum fact_per per;  /* whether the key takes a ".METER"/".PRODUCT" */
};
/* The entry for key (for "base.SUFFIX", base's entry when base takes a
 * suffix), or NULL when key is not a fact key or too long to store. */
const struct registry_fact_key *registry_fact_key_find(const char *key);
/* All fact keys, *n of them, in a fixed order. */
const struct registry_fact_key *registry_fact_keys(size_t *n);

/* Whether counter_max looks like a display's largest value (10^n - 1 at
 * the display's resolution, e.g. 99999999 or 999999.99) rather than the
 * modulus at which the register returns to 0 (10^n); *modulus gets 10^n. */
int registry_counter_max_looks_displayed(double counter_max, double *modulus);

/* An operator's time: epoch seconds or "YYYY-MM-DD[( |T)HH:MM[:SS]]"
 * Asia/Shanghai, years 2000..2100, into *out. GFI_OK; GFI_E_RANGE or
 * GFI_E_PARSE with why (without the option name) written. */
int registry_time_parse(const char *v, int64_t *out, char *why, size_t whylen);

#endif

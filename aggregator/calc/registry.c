/*
 * registry.c — what a valid registry entry is (registry.h): unified social
 * credit codes, meter roles against quantities, the keys of facts entered
 * by hand, and the times an operator may give.
 *
 * Why: the registry decides which gateway may speak for which unit and what
 * each meter point means in the unit's balance; a wrong entry silently skews
 * a year's indicators, so the admin commands (cmd/admin*.c) check every
 * input against these rules before the store sees it: credit codes by their
 * GB 32100-2015 check character, roles against the quantity table.
 *
 * Invariants: pure functions of their arguments; nothing here touches the
 * store, argv or a stream.
 */
#include "registry.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "error.h"
#include "quantity.h"
#include "text.h"

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
const char *registry_credit_code_problem(const char *code)
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
	return registry_credit_code_problem(code) == NULL;
}

/* ---- roles ---- */

#define Q_ELEC "elec_import_kwh elec_export_kwh"
#define Q_WATER "water_volume_m3"

/* Role names, indexed by enum meter_role. */
static const char *const role_names[] = {
	"none", "elec_purchased", "elec_exported", "renewable_gen", "fuel",
	"heat_purchased", "water_intake", "water_recycled", "wastewater",
	"production", "stack", "submeter",
};
#define NROLES ((int)(sizeof(role_names) / sizeof(role_names[0])))

/* The quantities each role accepts, space-separated; NULL: any known
 * quantity. Indexed by enum meter_role. */
static const char *const role_quantities[NROLES] = {
	NULL, Q_ELEC, Q_ELEC, Q_ELEC, "gas_volume_m3 fuel_mass_t heat_energy_gj",
	"steam_mass_t heat_energy_gj", Q_WATER, Q_WATER, "wastewater_volume_m3",
	"product_count product_mass_t", "flue_flow_m3h so2_mgm3 nox_mgm3 dust_mgm3 "
	"o2_pct cems_flag cod_mgl nh3n_mgl wastewater_flow_m3h", NULL,
};
_Static_assert(NROLES == ROLE_SUBMETER + 1, "a name for every role");

int registry_role_fits(enum meter_role role, const char *quantity)
{
	const char *list, *hit;
	size_t n = quantity != NULL ? strlen(quantity) : 0;

	if ((int)role < 0 || (int)role >= NROLES || gfi_quantity_find(quantity) == NULL)
		return 0;
	if ((list = role_quantities[role]) == NULL)
		return 1;
	for (hit = strstr(list, quantity); hit != NULL; hit = strstr(hit + 1, quantity)) {
		if ((hit == list || hit[-1] == ' ') && (hit[n] == ' ' || hit[n] == '\0'))
			return 1;
	}
	return 0;
}

int registry_role_parse(const char *s, enum meter_role *out)
{
	for (int i = 0; s != NULL && i < NROLES; i++) {
		if (strcmp(role_names[i], s) == 0) {
			*out = (enum meter_role)i;
			return GFI_OK;
		}
	}
	return GFI_E_INVAL;
}

const char *registry_role_name(enum meter_role r)
{
	return (int)r >= 0 && (int)r < NROLES ? role_names[r] : "unknown";
}

/* ---- manual facts ---- */

/* Flows (per month or year) and stocks (valid until replaced) alike; a key
 * with a `per` takes a suffix naming its meter or product, e.g.
 * "steam_pressure_mpa.S1", "qualified_output.铸件" (docs/registry.md). */
static const struct registry_fact_key fact_keys[] = {
	{ "output_value_10k_cny", "10^4 CNY", "工业总产值", 0, 1e12, FACT_PER_UNIT },
	{ "value_added_10k_cny", "10^4 CNY", "工业增加值", -1e12, 1e12, FACT_PER_UNIT },
	{ "solid_waste_generated_t", "t", "一般工业固体废物产生量", 0, 1e12, FACT_PER_UNIT },
	{ "solid_waste_used_t", "t", "一般工业固体废物综合利用量", 0, 1e12, FACT_PER_UNIT },
	{ "solid_waste_stock_used_t", "t", "利用往年贮存量", 0, 1e12, FACT_PER_UNIT },
	{ "hazardous_waste_generated_t", "t", "危险废物产生量", 0, 1e12, FACT_PER_UNIT },
	{ "hazardous_waste_disposed_t", "t", "危险废物安全处置量", 0, 1e12, FACT_PER_UNIT },
	{ "vocs_t", "t", "挥发性有机物排放量", 0, 1e12, FACT_PER_UNIT },
	{ "land_area_m2", "m2", "用地面积", 0, 1e12, FACT_PER_UNIT },
	{ "floor_area_m2", "m2", "总建筑面积", 0, 1e12, FACT_PER_UNIT },
	{ "floor_area_over_8m_m2", "m2", "层高超过8米的建筑面积", 0, 1e12, FACT_PER_UNIT },
	{ "building_footprint_m2", "m2", "建筑物基底面积", 0, 1e12, FACT_PER_UNIT },
	{ "structures_footprint_m2", "m2", "构筑物占地面积", 0, 1e12, FACT_PER_UNIT },
	{ "open_yard_m2", "m2", "露天堆场和露天操作场地面积", 0, 1e12, FACT_PER_UNIT },
	{ "green_electricity_kwh", "kWh", "绿色电力交易电量(旧键)", 0, 1e13, FACT_PER_UNIT },
	{ "green_power_traded_mwh", "MWh", "绿色电力交易电量", 0, 1e10, FACT_PER_UNIT },
	{ "green_power_direct_mwh", "MWh", "专线直供可再生电力(有结算)", 0, 1e10, FACT_PER_UNIT },
	{ "green_certificates_mwh", "MWh", "单独购买的绿证电量", 0, 1e10, FACT_PER_UNIT },
	{ "renewable_heat_gj", "GJ", "可再生能源供热自用量", 0, 1e12, FACT_PER_UNIT },
	{ "feedstock_energy_tce", "tce", "用作原料的能源", 0, 1e12, FACT_PER_UNIT },
	{ "measured_ncv_gas_kgce_m3", "kgce/m3", "天然气实测折标系数", 0.5, 2.5, FACT_PER_UNIT },
	{ "steam_pressure_mpa", "MPa", "蒸汽绝对压力", 0.001, 100, FACT_PER_METER },
	{ "steam_temperature_c", "°C", "蒸汽温度", 0, 800, FACT_PER_METER },
	{ "energy_mgmt_functions", "count", "能碳管理系统功能数", 0, 100, FACT_PER_UNIT },
	{ "green_investment_10k_cny", "10^4 CNY", "绿色化改造投资", 0, 1e12, FACT_PER_UNIT },
	{ "footprint_products", "count", "开展碳足迹核算的产品类别数", 0, 1e6, FACT_PER_UNIT },
	{ "product_categories", "count", "产品类别数", 0, 1e6, FACT_PER_UNIT },
	{ "stat_electricity_kwh", "kWh", "统计报表或电费单电量", 0, 1e13, FACT_PER_UNIT },
	{ "stat_gas_m3", "m3", "统计报表或燃气账单用气量", 0, 1e13, FACT_PER_UNIT },
	{ "stat_water_m3", "m3", "统计报表或水费单用水量", 0, 1e13, FACT_PER_UNIT },
	{ "qualified_output", "product unit", "合格产品产量", 0, 1e13, FACT_PER_PRODUCT },
	{ "energy_share_pct", "%", "产品能耗分摊比例", 0, 100, FACT_PER_PRODUCT },
};
#define NFACT_KEYS (sizeof(fact_keys) / sizeof(fact_keys[0]))

/* The entry of key: its own, or of its part before '.' when that takes a
 * meter or product suffix (non-empty UTF-8 text without control
 * characters, and the whole key fits a fact). */
const struct registry_fact_key *registry_fact_key_find(const char *key)
{
	const char *dot = key != NULL ? strchr(key, '.') : NULL;
	size_t n = dot != NULL ? (size_t)(dot - key) : (key != NULL ? strlen(key) : 0);

	if (key == NULL || strlen(key) >= REGISTRY_FACT_KEY_MAX ||
	    (dot != NULL && (dot[1] == '\0' || !text_valid(dot + 1))))
		return NULL;
	for (size_t i = 0; i < NFACT_KEYS; i++) {
		if (strncmp(fact_keys[i].key, key, n) == 0 && fact_keys[i].key[n] == '\0' &&
		    (dot != NULL) == (fact_keys[i].per != FACT_PER_UNIT))
			return &fact_keys[i];
	}
	return NULL;
}

const struct registry_fact_key *registry_fact_keys(size_t *n)
{
	*n = NFACT_KEYS;
	return fact_keys;
}

/* ---- counter maxima ---- */

/* 10^n - counter_max is one step of 1, 0.1 or 0.01 (the resolutions of a
 * display), for counters of at least two digits. */
int registry_counter_max_looks_displayed(double counter_max, double *modulus)
{
	static const double steps[] = { 1, 0.1, 0.01 };
	double p = 10;

	if (!(counter_max >= 9) || counter_max > 1e15)
		return 0;
	while (p <= counter_max)
		p *= 10;
	*modulus = p;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (fabs(p - steps[i] - counter_max) < steps[i] * 1e-6)
			return 1;
	}
	return 0;
}

/* ---- times ---- */

#define TIME_YEAR_MIN 2000
#define TIME_YEAR_MAX 2100

/* Epoch seconds, or a local date or time (calendar_parse_time), within the
 * years TIME_YEAR_MIN..MAX. */
int registry_time_parse(const char *v, int64_t *out, char *why, size_t whylen)
{
	const int64_t min = calendar_midnight(TIME_YEAR_MIN, 1, 1);
	const int64_t max = calendar_midnight(TIME_YEAR_MAX + 1, 1, 1) - 1;
	int64_t t = 0;

	if (calendar_parse_time(v, CALENDAR_DATE_ONLY_OK | CALENDAR_EPOCH_OK, &t,
				NULL, 0) == GFI_OK && t >= min && t <= max) {
		*out = t;
		return GFI_OK;
	}
	if (v[0] != '\0' && strspn(v, "0123456789") == strlen(v)) {
		snprintf(why, whylen, "%s out of range %" PRId64 "..%" PRId64
			 " (epoch seconds, years %d..%d)", v, min, max,
			 TIME_YEAR_MIN, TIME_YEAR_MAX);
		return GFI_E_RANGE;
	}
	snprintf(why, whylen, "%s is not a time (epoch seconds, or YYYY-MM-DD "
		 "[HH:MM[:SS]] Asia/Shanghai, years %d..%d)", v,
		 TIME_YEAR_MIN, TIME_YEAR_MAX);
	return GFI_E_PARSE;
}

/*
 * test_registry.c — the registry: credit codes, roles against quantities,
 * store round trips of every registry object, and the admin command line's
 * refusals (one line naming the field, exit 2, nothing changed).
 *
 * Each test gets a fresh store in its own temporary directory; the CLI is
 * driven in-process through cmd_admin with memory streams, so the
 * sanitizers see every path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "admin.h"
#include "error.h"
#include "fixture.h"
#include "registry.h"
#include "sign.h"
#include "store.h"

#define FACTORY "91350100M000100Y43"
#define FACTORY2 "91110108551385082Q"
#define PARK "12350000E111111114"
#define CHAIN "91350181MA31TTGX15"

struct fx {
	struct fixture fixture;          /* the CLI's --store is fixture.db */
	char pubkey[FIXTURE_PATH_MAX];   /* a gateway's public key PEM file */
	char *out, *err;      /* last CLI run's streams */
	struct store *s;                 /* fixture.s */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct gfi_signer *signer;
	char pem[GFI_PUBKEY_PEM_MAX];
	FILE *fp;

	assert_non_null(f);
	fixture_open(&f->fixture, "registry");
	f->s = f->fixture.s;
	fixture_key(&f->fixture, "gw.key", &signer);
	assert_int_equal(gfi_signer_pubkey_pem(signer, pem, sizeof(pem)), GFI_OK);
	gfi_signer_close(signer);
	fixture_path(&f->fixture, "gw.pub", f->pubkey, sizeof(f->pubkey));
	fp = fopen(f->pubkey, "w");
	assert_non_null(fp);
	fputs(pem, fp);
	fclose(fp);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fixture_close(&f->fixture);
	free(f->out);
	free(f->err);
	free(f);
	return 0;
}

/* Run `admin` argv... through cmd_admin (argv[0] the command word, as
 * main.c passes it); keep what it wrote on out and err. */
static int run_argv(struct fx *f, int argc, char **argv)
{
	size_t olen, elen;
	FILE *out, *err;
	char *full[48];
	int rc;

	assert_true(argc < 47);
	full[0] = "admin";
	for (int i = 0; i < argc; i++)
		full[i + 1] = argv[i];
	full[argc + 1] = NULL;
	free(f->out);
	free(f->err);
	out = open_memstream(&f->out, &olen);
	err = open_memstream(&f->err, &elen);
	assert_non_null(out);
	assert_non_null(err);
	rc = cmd_admin(argc + 1, full, out, err);
	fclose(out);
	fclose(err);
	return rc;
}

/* Run `admin --store <fx store> args... NULL`. */
static int admin(struct fx *f, ...)
{
	char *argv[40];
	int argc = 0;
	va_list ap;

	argv[argc++] = "--store";
	argv[argc++] = f->fixture.db;
	va_start(ap, f);
	for (char *a; (a = va_arg(ap, char *)) != NULL;) {
		assert_true(argc < 39);
		argv[argc++] = a;
	}
	va_end(ap);
	argv[argc] = NULL;
	return run_argv(f, argc, argv);
}

static int lines_of(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A refusal: exit 2 and exactly the one line want on err. */
static void assert_refused(struct fx *f, int rc, const char *want)
{
	char line[600];

	snprintf(line, sizeof(line), "%s\n", want);
	if (rc != 2 || strcmp(f->err, line) != 0)
		fail_msg("want exit 2 and \"%s\", got %d and \"%s\"", want, rc, f->err);
}

/* Everything the store holds, as the listings show it. */
static char *dump(struct fx *f)
{
	static const char *const objects[] = { "county", "unit", "member", "supplier",
		"gateway", "meter", "replacement", "fact" };
	size_t cap = 1, len = 0;
	char *all = calloc(1, 1);

	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
		assert_int_equal(admin(f, objects[i], "list", "--json", NULL), 0);
		cap = len + strlen(f->out) + 1;
		all = realloc(all, cap);
		assert_non_null(all);
		memcpy(all + len, f->out, strlen(f->out) + 1);
		len += strlen(f->out);
	}
	return all;
}

/* County 350102, a factory, a park, a supply-chain enterprise, gateway gw-1
 * with meter E1 point imp (elec_import_kwh, elec_purchased). */
static void seed(struct fx *f)
{
	assert_int_equal(admin(f, "county", "add", "--code", "350102", "--name", "鼓楼区", NULL), 0);
	assert_int_equal(admin(f, "unit", "add", "--code", FACTORY, "--name", "厂一",
			       "--kind", "factory", "--county", "350102", "--level", "city",
			       "--year", "2022", "--sector", "C3130", NULL), 0);
	assert_int_equal(admin(f, "unit", "add", "--code", PARK, "--name", "园区",
			       "--kind", "park", "--county", "350102", "--level",
			       "provincial", "--year", "2021", NULL), 0);
	assert_int_equal(admin(f, "unit", "add", "--code", CHAIN, "--name", "链主",
			       "--kind", "supply_chain", "--county", "350102", "--level",
			       "national", "--year", "2023", NULL), 0);
	assert_int_equal(admin(f, "gateway", "add", "--id", "gw-1", "--unit", FACTORY,
			       "--pubkey", f->pubkey, NULL), 0);
	assert_int_equal(admin(f, "meter", "add", "--gateway", "gw-1", "--meter", "E1",
			       "--point", "imp", "--quantity", "elec_import_kwh", "--role",
			       "elec_purchased", "--registered", "2024-01-01", NULL), 0);
}

/* ---- credit codes ---- */

static void credit_codes_are_valid_only_with_the_gb32100_check_character(void **state)
{
	static const struct {
		const char *code;
		int valid;
	} t[] = {
		{ "91350100M000100Y43", 1 },   /* commonly cited example */
		{ "91110108551385082Q", 1 },   /* a real Beijing enterprise */
		{ "91440300MA5EQ4U8XN", 1 },   /* check characters computed by hand */
		{ "93350102MA2Y0K0L29", 1 },
		{ "513501005000123459", 1 },
		{ "12350000E111111114", 1 },
		{ "Y1350105MA00000007", 1 },
		{ "91350100000000000H", 1 },
		{ "913501000000000240", 1 },   /* 31 - sum mod 31 = 31 → '0' */
		{ "91350100M000100Y44", 0 },   /* wrong check character */
		{ "91110108551385082R", 0 },
		{ "91350100m000100Y43", 0 },   /* lowercase */
		{ "91350100I000100Y43", 0 },   /* I, O, Z, S, V are not in the alphabet */
		{ "91350100O000100Y43", 0 },
		{ "91350100Z000100Y43", 0 },
		{ "91350100S000100Y43", 0 },
		{ "91350100V000100Y43", 0 },
		{ "91350100M000100Y4", 0 },    /* 17 characters */
		{ "91350100M000100Y430", 0 },  /* 19 characters */
		{ "", 0 },
		{ "B1350100M000100Y43", 0 },   /* no such registration authority */
		{ "90350100M000100Y43", 0 },   /* category 0 */
		{ "9135A100M000100Y43", 0 },   /* division code not digits */
		{ "91350100M000100Y4 ", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (registry_credit_code_valid(t[i].code) != t[i].valid)
			fail_msg("%s: want %d", t[i].code, t[i].valid);
	}
	assert_false(registry_credit_code_valid(NULL));
}

/* ---- roles ---- */

static void roles_fit_only_the_quantities_that_measure_them(void **state)
{
	static const struct {
		enum meter_role role;
		const char *quantity;
		int fits;
	} t[] = {
		{ ROLE_ELEC_PURCHASED, "elec_import_kwh", 1 },
		{ ROLE_ELEC_PURCHASED, "elec_export_kwh", 1 },
		{ ROLE_ELEC_PURCHASED, "elec_power_kw", 0 },
		{ ROLE_ELEC_EXPORTED, "elec_export_kwh", 1 },
		{ ROLE_RENEWABLE_GEN, "elec_import_kwh", 1 },
		{ ROLE_RENEWABLE_GEN, "heat_energy_gj", 0 },
		{ ROLE_FUEL, "gas_volume_m3", 1 },
		{ ROLE_FUEL, "fuel_mass_t", 1 },
		{ ROLE_FUEL, "heat_energy_gj", 1 },
		{ ROLE_FUEL, "gas_flow_m3h", 0 },
		{ ROLE_FUEL, "elec_import_kwh", 0 },
		{ ROLE_HEAT_PURCHASED, "steam_mass_t", 1 },
		{ ROLE_HEAT_PURCHASED, "heat_energy_gj", 1 },
		{ ROLE_HEAT_PURCHASED, "steam_flow_th", 0 },
		{ ROLE_WATER_INTAKE, "water_volume_m3", 1 },
		{ ROLE_WATER_INTAKE, "water_flow_m3h", 0 },
		{ ROLE_WATER_RECYCLED, "water_volume_m3", 1 },
		{ ROLE_WASTEWATER, "wastewater_volume_m3", 1 },
		{ ROLE_WASTEWATER, "water_volume_m3", 0 },
		{ ROLE_PRODUCTION, "product_count", 1 },
		{ ROLE_PRODUCTION, "product_mass_t", 1 },
		{ ROLE_PRODUCTION, "fuel_mass_t", 0 },
		{ ROLE_STACK, "so2_mgm3", 1 },
		{ ROLE_STACK, "flue_flow_m3h", 1 },
		{ ROLE_STACK, "cems_flag", 1 },
		{ ROLE_STACK, "cod_mgl", 1 },
		{ ROLE_STACK, "wastewater_flow_m3h", 1 },
		{ ROLE_STACK, "wastewater_volume_m3", 0 },
		{ ROLE_SUBMETER, "elec_import_kwh", 1 },
		{ ROLE_SUBMETER, "temperature_c", 1 },
		{ ROLE_NONE, "elec_voltage_v", 1 },
		{ ROLE_NONE, "no_such_quantity", 0 },
		{ ROLE_SUBMETER, "", 0 },
		{ ROLE_ELEC_PURCHASED, NULL, 0 },
		{ (enum meter_role)99, "elec_import_kwh", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (registry_role_fits(t[i].role, t[i].quantity) != t[i].fits)
			fail_msg("role %d, %s: want %d", (int)t[i].role,
				 t[i].quantity ? t[i].quantity : "(null)", t[i].fits);
	}
}

static void role_names_parse_back_to_their_roles(void **state)
{
	enum meter_role r;

	(void)state;
	for (int i = ROLE_NONE; i <= ROLE_SUBMETER; i++) {
		assert_int_equal(registry_role_parse(registry_role_name((enum meter_role)i), &r), GFI_OK);
		assert_int_equal((int)r, i);
	}
	assert_int_equal(registry_role_parse("Fuel", &r), GFI_E_INVAL);
	assert_int_equal(registry_role_parse(NULL, &r), GFI_E_INVAL);
	assert_string_equal(registry_role_name((enum meter_role)-1), "unknown");
}

/* ---- store round trips ---- */

static int count_row(void *ctx, const void *row)
{
	(void)row;
	(*(int *)ctx)++;
	return 0;
}

static void counties_and_units_round_trip_through_the_store(void **state)
{
	struct fx *f = *state;
	struct reg_county k = { "350102", "鼓楼区", 0 }, kg;
	struct reg_unit u = { 0 }, ug;
	int n = 0;

	assert_int_equal(store_county_put(f->s, &k, 0), GFI_E_NOTFOUND);
	assert_int_equal(store_county_put(f->s, &k, 1), GFI_OK);
	assert_int_equal(store_county_put(f->s, &k, 1), GFI_E_EXISTS);
	assert_int_equal(store_county_get(f->s, "350102", &kg), GFI_OK);
	assert_string_equal(kg.name, "鼓楼区");
	assert_int_equal(store_county_get(f->s, "350199", &kg), GFI_E_NOTFOUND);

	snprintf(u.code, sizeof(u.code), FACTORY);
	snprintf(u.name, sizeof(u.name), "厂一");
	u.kind = UNIT_FACTORY;
	snprintf(u.county, sizeof(u.county), "350199");
	u.level = LEVEL_CITY;
	u.year_listed = 2022;
	assert_int_equal(store_unit_put(f->s, &u, 1), GFI_E_NOTFOUND);  /* county */
	snprintf(u.county, sizeof(u.county), "350102");
	assert_int_equal(store_unit_put(f->s, &u, 0), GFI_E_NOTFOUND);  /* unit */
	assert_int_equal(store_unit_put(f->s, &u, 1), GFI_OK);
	assert_int_equal(store_unit_put(f->s, &u, 1), GFI_E_EXISTS);
	u.level = LEVEL_NATIONAL;
	u.retired = 1;
	assert_int_equal(store_unit_put(f->s, &u, 0), GFI_OK);
	assert_int_equal(store_unit_get(f->s, FACTORY, &ug), GFI_OK);
	assert_memory_equal(&ug, &u, sizeof(u));
	assert_int_equal(store_unit_list(f->s, count_row, &n), GFI_OK);
	assert_int_equal(n, 1);
	k.retired = 1;
	assert_int_equal(store_county_put(f->s, &k, 0), GFI_OK);
	assert_int_equal(store_county_get(f->s, "350102", &kg), GFI_OK);
	assert_int_equal(kg.retired, 1);
	n = 0;
	assert_int_equal(store_county_list(f->s, count_row, &n), GFI_OK);
	assert_int_equal(n, 1);
}

static void gateways_meters_replacements_and_facts_check_their_references(void **state)
{
	struct fx *f = *state;
	struct reg_gateway g = { .id = "gw-1", .unit = FACTORY, .pubkey_pem = "PEM",
				 .active = 1, .registered_s = 1700000000 }, gg;
	struct reg_meter m = { .gateway = "gw-1", .meter = "E1", .point = "imp",
			       .quantity = "elec_import_kwh", .role = ROLE_ELEC_PURCHASED,
			       .carrier = "electricity", .counter_max = 99999999.99,
			       .accuracy_pct = 0.5, .registered_s = 1704038400 }, mg;
	struct reg_replacement r = { .gateway = "gw-1", .meter = "E1", .point = "imp",
				     .time_s = 1710000000, .old_final = 1234.5,
				     .new_initial = 0.5 };
	struct reg_fact fa = { .unit = FACTORY, .year = 2024, .month = 0,
			       .key = "output_value_10k_cny", .value = 12000,
			       .entered_by = "alice", .entered_s = 1 };
	int n = 0;

	assert_int_equal(store_gateway_put(f->s, &g, 1), GFI_E_NOTFOUND);  /* unit */
	assert_int_equal(store_fact_put(f->s, &fa), GFI_E_NOTFOUND);
	seed(f);   /* also adds gw-1 and gw-1/E1/imp through the CLI */
	assert_int_equal(store_gateway_put(f->s, &g, 1), GFI_E_EXISTS);
	g.active = 0;
	assert_int_equal(store_gateway_put(f->s, &g, 0), GFI_OK);
	assert_int_equal(store_gateway_get(f->s, "gw-1", &gg), GFI_OK);
	assert_memory_equal(&gg, &g, sizeof(g));
	assert_int_equal(store_gateway_get(f->s, "gw-2", &gg), GFI_E_NOTFOUND);
	snprintf(g.id, sizeof(g.id), "gw-2");
	assert_int_equal(store_gateway_put(f->s, &g, 0), GFI_E_NOTFOUND);

	assert_int_equal(store_meter_put(f->s, &m, 1), GFI_E_EXISTS);
	assert_int_equal(store_meter_put(f->s, &m, 0), GFI_OK);
	assert_int_equal(store_meter_get(f->s, "gw-1", "E1", "imp", &mg), GFI_OK);
	assert_memory_equal(&mg, &m, sizeof(m));
	assert_int_equal(store_meter_known(f->s, "gw-1", "E1"), 1);
	assert_int_equal(store_meter_known(f->s, "gw-1", "E2"), 0);
	snprintf(m.point, sizeof(m.point), "exp");
	assert_int_equal(store_meter_put(f->s, &m, 0), GFI_E_NOTFOUND);
	assert_int_equal(store_meter_put(f->s, &m, 1), GFI_OK);
	snprintf(m.gateway, sizeof(m.gateway), "gw-9");
	assert_int_equal(store_meter_put(f->s, &m, 1), GFI_E_NOTFOUND);
	assert_int_equal(store_meter_list(f->s, "gw-1", count_row, &n), GFI_OK);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(store_meter_list(f->s, "gw-9", count_row, &n), GFI_OK);
	assert_int_equal(n, 0);

	assert_int_equal(store_replacement_add(f->s, &r), GFI_OK);
	assert_int_equal(store_replacement_add(f->s, &r), GFI_E_EXISTS);
	snprintf(r.point, sizeof(r.point), "nope");
	assert_int_equal(store_replacement_add(f->s, &r), GFI_E_NOTFOUND);
	n = 0;
	assert_int_equal(store_replacement_list(f->s, NULL, count_row, &n), GFI_OK);
	assert_int_equal(n, 1);

	assert_int_equal(store_fact_put(f->s, &fa), GFI_OK);
	fa.value = 13000;
	assert_int_equal(store_fact_put(f->s, &fa), GFI_OK);   /* replaces */
	n = 0;
	assert_int_equal(store_fact_list(f->s, FACTORY, 2024, count_row, &n), GFI_OK);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(store_fact_list(f->s, NULL, 2023, count_row, &n), GFI_OK);
	assert_int_equal(n, 0);
}

static void members_and_suppliers_need_the_right_kind_of_unit(void **state)
{
	struct fx *f = *state;
	int n = 0;

	seed(f);
	assert_int_equal(store_member_put(f->s, PARK, FACTORY), GFI_OK);
	assert_int_equal(store_member_put(f->s, PARK, FACTORY), GFI_E_EXISTS);
	assert_int_equal(store_member_put(f->s, FACTORY, PARK), GFI_E_INVAL);
	assert_int_equal(store_member_put(f->s, PARK, PARK), GFI_E_INVAL);
	assert_int_equal(store_member_put(f->s, PARK, FACTORY2), GFI_E_NOTFOUND);
	assert_int_equal(store_supplier_put(f->s, CHAIN, FACTORY), GFI_OK);
	assert_int_equal(store_supplier_put(f->s, PARK, FACTORY), GFI_E_INVAL);
	assert_int_equal(store_member_list(f->s, PARK, count_row, &n), GFI_OK);
	assert_int_equal(n, 1);

	/* Through the command line: one line naming the field, exit 2. */
	assert_refused(f, admin(f, "member", "add", "--park", FACTORY, "--member", CHAIN, NULL),
		       "--park: " FACTORY " is a factory, not a park");
	assert_refused(f, admin(f, "supplier", "add", "--enterprise", PARK, "--supplier",
				FACTORY, NULL),
		       "--enterprise: " PARK " is a park, not a supply_chain enterprise");
	assert_refused(f, admin(f, "member", "add", "--park", PARK, "--member", FACTORY, NULL),
		       "--member: " FACTORY " is already a member of " PARK);
	assert_refused(f, admin(f, "member", "add", "--park", PARK, "--member", FACTORY2, NULL),
		       "--member: " FACTORY2 " is not a registered unit");
	assert_int_equal(admin(f, "member", "add", "--park", PARK, "--member", CHAIN, NULL), 0);
	assert_int_equal(admin(f, "member", "list", "--park", PARK, NULL), 0);
	assert_string_equal(f->out, "park\tmember\n" PARK "\t" FACTORY "\n" PARK "\t" CHAIN "\n");
}

/* ---- the command line ---- */

static void the_command_line_adds_changes_lists_and_retires(void **state)
{
	struct fx *f = *state;
	struct reg_meter m;

	seed(f);
	assert_int_equal(admin(f, "county", "list", NULL), 0);
	assert_string_equal(f->out, "code\tname\tretired\n350102\t鼓楼区\t0\n");
	assert_int_equal(admin(f, "county", "change", "--code", "350102", "--name", "鼓楼", NULL), 0);
	assert_int_equal(admin(f, "county", "list", "--json", NULL), 0);
	assert_string_equal(f->out, "{\"code\":\"350102\",\"name\":\"鼓楼\",\"retired\":0}\n");

	assert_int_equal(admin(f, "unit", "list", "--kind", "park", NULL), 0);
	assert_int_equal(lines_of(f->out), 2);
	assert_non_null(strstr(f->out, PARK "\t园区\tpark\t350102\tprovincial\t2021\t\t0\n"));
	assert_int_equal(admin(f, "unit", "change", "--code", FACTORY, "--level",
			       "provincial", NULL), 0);
	assert_int_equal(admin(f, "unit", "list", "--county", "350102", NULL), 0);
	assert_non_null(strstr(f->out, FACTORY "\t厂一\tfactory\t350102\tprovincial\t2022\tC3130\t0\n"));

	/* 2024-01-01 00:00 Asia/Shanghai is 2023-12-31 16:00 UTC. */
	assert_int_equal(store_meter_get(f->s, "gw-1", "E1", "imp", &m), GFI_OK);
	assert_int_equal(m.registered_s, 1704038400);
	assert_string_equal(m.carrier, "electricity");
	assert_int_equal(admin(f, "meter", "add", "--gateway", "gw-1", "--meter", "P1",
			       "--point", "out", "--quantity", "product_mass_t", "--role",
			       "production", "--product", "钢板", "--registered",
			       "2024-02-29 08:30", "--counter-max", "1e9", NULL), 0);
	assert_int_equal(store_meter_get(f->s, "gw-1", "P1", "out", &m), GFI_OK);
	assert_int_equal(m.registered_s, 1709166600);
	assert_string_equal(m.product_unit, "t");
	assert_int_equal(admin(f, "meter", "change", "--gateway", "gw-1", "--meter", "E1",
			       "--point", "imp", "--accuracy", "0.5", "--registered",
			       "1704000000", NULL), 0);
	assert_int_equal(store_meter_get(f->s, "gw-1", "E1", "imp", &m), GFI_OK);
	assert_true(m.accuracy_pct == 0.5);
	assert_int_equal(m.registered_s, 1704000000);
	assert_int_equal(admin(f, "meter", "list", "--gateway", "gw-1", NULL), 0);
	assert_int_equal(lines_of(f->out), 3);

	assert_int_equal(admin(f, "replacement", "add", "--gateway", "gw-1", "--meter", "E1",
			       "--point", "imp", "--time", "2024-03-01 10:00:00",
			       "--old-final", "12345.6", "--new-initial", "0", NULL), 0);
	assert_int_equal(admin(f, "replacement", "list", NULL), 0);
	assert_string_equal(f->out, "gateway\tmeter\tpoint\ttime_s\told_final\tnew_initial\n"
			    "gw-1\tE1\timp\t1709258400\t12345.6\t0\n");

	assert_int_equal(admin(f, "fact", "set", "--unit", FACTORY, "--year", "2024",
			       "--key", "output_value_10k_cny", "--value", "12000.5",
			       "--by", "张三", NULL), 0);
	assert_int_equal(admin(f, "fact", "set", "--unit", FACTORY, "--year", "2024",
			       "--month", "3", "--key", "land_area_m2", "--value", "50000",
			       "--by", "张三", NULL), 0);
	assert_int_equal(admin(f, "fact", "list", "--unit", FACTORY, "--year", "2024", NULL), 0);
	assert_int_equal(lines_of(f->out), 3);
	assert_non_null(strstr(f->out, FACTORY "\t2024\t0\toutput_value_10k_cny\t12000.5\t10^4 CNY\t张三\t"));

	assert_int_equal(admin(f, "gateway", "list", NULL), 0);
	assert_int_equal(lines_of(f->out), 2);
	assert_non_null(strstr(f->out, "gw-1\t" FACTORY "\t1\t"));
	assert_int_equal(admin(f, "gateway", "change", "--id", "gw-1", "--pubkey", f->pubkey, NULL), 0);
	assert_int_equal(admin(f, "gateway", "retire", "--id", "gw-1", NULL), 0);
	assert_int_equal(admin(f, "gateway", "list", "--json", NULL), 0);
	assert_non_null(strstr(f->out, "\"active\":0"));
	assert_non_null(strstr(f->out, "BEGIN PUBLIC KEY"));
	assert_int_equal(admin(f, "meter", "retire", "--gateway", "gw-1", "--meter", "E1",
			       "--point", "imp", NULL), 0);
	assert_int_equal(store_meter_get(f->s, "gw-1", "E1", "imp", &m), GFI_OK);
	assert_int_equal(m.retired, 1);
	assert_int_equal(admin(f, "unit", "retire", "--code", PARK, NULL), 0);
	assert_int_equal(admin(f, "county", "retire", "--code", "350102", NULL), 0);
	assert_int_equal(admin(f, "county", "list", NULL), 0);
	assert_string_equal(f->out, "code\tname\tretired\n350102\t鼓楼\t1\n");
	assert_string_equal(f->err, "");
}

static void refusals_are_one_line_naming_the_field_and_change_nothing(void **state)
{
	struct fx *f = *state;
	char *before, *after, longname[300];
	static const struct {
		const char *argv[16];
		const char *line;
	} t[] = {
		{ { "unit", "add", "--code", "91350100M000100Y44", "--name", "x", "--kind",
		    "factory", "--county", "350102", "--level", "city", "--year", "2022" },
		  "--code: 91350100M000100Y44 is not a valid unified social credit code (check character)" },
		{ { "unit", "add", "--code", "91350100m000100Y43", "--name", "x", "--kind",
		    "factory", "--county", "350102", "--level", "city", "--year", "2022" },
		  "--code: 91350100m000100Y43 is not a valid unified social credit code "
		  "(character outside 0-9 A-Z without I O Z S V)" },
		{ { "unit", "add", "--code", FACTORY2, "--name", "x", "--kind", "factory",
		    "--county", "350199", "--level", "city", "--year", "2022" },
		  "--county: 350199 is not a registered county" },
		{ { "unit", "add", "--code", FACTORY2, "--name", "x", "--kind", "factory",
		    "--county", "350102", "--level", "city", "--year", "1999" },
		  "--year: 1999 out of range 2000..2100" },
		{ { "unit", "add", "--code", FACTORY2, "--name", "x", "--kind", "farm",
		    "--county", "350102", "--level", "city", "--year", "2022" },
		  "--kind: farm is not one of factory, park, supply_chain" },
		{ { "unit", "add", "--code", FACTORY, "--name", "x", "--kind", "factory",
		    "--county", "350102", "--level", "city", "--year", "2022" },
		  "--code: " FACTORY " already exists" },
		{ { "unit", "add", "--code", FACTORY2, "--name", "x", "--kind", "factory",
		    "--county", "350102", "--level", "city" },
		  "--year: missing (required for unit add)" },
		{ { "unit", "add", "--code", FACTORY2, "--name", "x", "--colour", "red" },
		  "--colour: unknown option for unit add" },
		{ { "unit", "change", "--code", FACTORY2, "--name", "y" },
		  "--code: " FACTORY2 " is not a registered unit" },
		{ { "county", "add", "--code", "350102", "--name", "again" },
		  "--code: 350102 already exists" },
		{ { "county", "add", "--code", "3501", "--name", "short" },
		  "--code: 3501 is not a 6-digit administrative division code" },
		{ { "county", "add", "--code", "350103", "--name", "a\nb" },
		  "--name: not UTF-8 text without control characters" },
		{ { "county", "add", "--code", "350103", "--name" },
		  "--name: missing value" },
		{ { "county", "add", "--code", "350103", "--code", "350104", "--name", "x" },
		  "--code: given twice" },
		{ { "gateway", "add", "--id", "gw-1", "--unit", FACTORY, "--pubkey", "@PUB" },
		  "--id: gw-1 already exists" },
		{ { "gateway", "add", "--id", "gw/2", "--unit", FACTORY, "--pubkey", "@PUB" },
		  "--id: gw/2 is not a valid id (1..31 characters of A-Z a-z 0-9 . _ -)" },
		{ { "gateway", "add", "--id", "gw-2", "--unit", FACTORY2, "--pubkey", "@PUB" },
		  "--unit: " FACTORY2 " is not a registered unit" },
		{ { "gateway", "add", "--id", "gw-2", "--unit", FACTORY, "--pubkey", "@DB" },
		  "--pubkey: @DB is not a \"BEGIN PUBLIC KEY\" PEM file" },
		{ { "meter", "add", "--gateway", "gw-1", "--meter", "E2", "--point", "imp",
		    "--quantity", "elec_import_kwh", "--role", "fuel", "--carrier", "natural_gas" },
		  "--role: fuel does not fit quantity elec_import_kwh" },
		{ { "meter", "add", "--gateway", "gw-1", "--meter", "E2", "--point", "imp",
		    "--quantity", "elec_kwh", "--role", "submeter" },
		  "--quantity: elec_kwh is not a known quantity" },
		{ { "meter", "add", "--gateway", "gw-1", "--meter", "P2", "--point", "out",
		    "--quantity", "product_count", "--role", "production" },
		  "--product: required for role production" },
		{ { "meter", "add", "--gateway", "gw-1", "--meter", "E2", "--point", "imp",
		    "--quantity", "elec_import_kwh", "--role", "submeter", "--product", "x" },
		  "--product: only for role production, not submeter" },
		{ { "meter", "add", "--gateway", "gw-1", "--meter", "E1", "--point", "imp",
		    "--quantity", "elec_import_kwh", "--role", "elec_purchased" },
		  "--point: gw-1/E1/imp already exists" },
		{ { "meter", "add", "--gateway", "gw-9", "--meter", "E1", "--point", "imp",
		    "--quantity", "elec_import_kwh", "--role", "elec_purchased" },
		  "--gateway: gw-9 is not a registered gateway" },
		{ { "meter", "add", "--gateway", "gw-1", "--meter", "E2", "--point", "imp",
		    "--quantity", "elec_import_kwh", "--role", "submeter", "--registered",
		    "2023-02-29" },
		  "--registered: 2023-02-29 is not a time (epoch seconds, or YYYY-MM-DD "
		  "[HH:MM[:SS]] Asia/Shanghai, years 2000..2100)" },
		{ { "meter", "add", "--gateway", "gw-1", "--meter", "E2", "--point", "imp",
		    "--quantity", "elec_import_kwh", "--role", "submeter", "--accuracy", "0.5x" },
		  "--accuracy: 0.5x is not a finite number" },
		{ { "meter", "add", "--gateway", "gw-1", "--meter", "E2", "--point", "imp",
		    "--quantity", "elec_import_kwh", "--role", "submeter", "--counter-max", "nan" },
		  "--counter-max: nan is not a finite number" },
		{ { "meter", "change", "--gateway", "gw-1", "--meter", "E1", "--point", "imp",
		    "--role", "stack" },
		  "--role: stack does not fit quantity elec_import_kwh" },
		{ { "replacement", "add", "--gateway", "gw-1", "--meter", "E1", "--point", "x",
		    "--time", "1709258400", "--old-final", "1", "--new-initial", "0" },
		  "--point: gw-1/E1/x is not a registered meter point" },
		{ { "fact", "set", "--unit", FACTORY, "--year", "2024", "--key", "land_area_m2",
		    "--value", "-1", "--by", "x" },
		  "--value: -1 out of range 0..1e+12" },
		{ { "fact", "set", "--unit", FACTORY, "--year", "2024", "--month", "13",
		    "--key", "land_area_m2", "--value", "1", "--by", "x" },
		  "--month: 13 out of range 0..12" },
		{ { "frobnicate", "add" },
		  "object: frobnicate is not one of county, unit, member, supplier, gateway, "
		  "meter, replacement, fact" },
		{ { "county", "delete", "--code", "350102" },
		  "verb: county delete is not a command" },
		{ { "county", "list", "extra" }, "admin: unexpected argument extra" },
		{ { "county", "list", "--" }, "--: empty option name" },
	};

	seed(f);
	before = dump(f);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *argv[20], want[300];
		int argc = 0;

		argv[argc++] = "--store";
		argv[argc++] = f->fixture.db;
		for (int j = 0; j < 16 && t[i].argv[j] != NULL; j++) {
			const char *a = t[i].argv[j];
			argv[argc++] = strcmp(a, "@PUB") == 0 ? f->pubkey :
				       strcmp(a, "@DB") == 0 ? f->fixture.db : (char *)a;
		}
		/* "@DB" in the expected line stands for the store's path. */
		if (strstr(t[i].line, "@DB") != NULL)
			snprintf(want, sizeof(want), "%.*s%s%s",
				 (int)(strstr(t[i].line, "@DB") - t[i].line), t[i].line,
				 f->fixture.db, strstr(t[i].line, "@DB") + 3);
		else
			snprintf(want, sizeof(want), "%s", t[i].line);
		assert_refused(f, run_argv(f, argc, argv), want);
		assert_string_equal(f->out, "");
	}
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_refused(f, admin(f, "county", "add", "--code", "350103", "--name", longname, NULL),
		       "--name: longer than 63 bytes");
	assert_refused(f, run_argv(f, 0, NULL),
		       "admin: usage: admin --store FILE OBJECT VERB [--field value ...]");
	after = dump(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* Issue 14: a counter maximum of 10^n - 1 is a display's largest value;
 * admin keeps it but warns naming the modulus (docs/registry.md). */
static void display_like_counter_maxima_warn_and_are_kept(void **state)
{
	struct fx *f = *state;
	struct reg_meter m;
	double mod = 0;

	assert_true(registry_counter_max_looks_displayed(99999999, &mod));
	assert_true(mod == 1e8);
	assert_true(registry_counter_max_looks_displayed(999999.99, &mod));
	assert_true(mod == 1e6);
	assert_false(registry_counter_max_looks_displayed(100000000, &mod));
	assert_false(registry_counter_max_looks_displayed(42949672.96, &mod));
	assert_false(registry_counter_max_looks_displayed(0, &mod));
	seed(f);
	assert_int_equal(admin(f, "meter", "add", "--gateway", "gw-1", "--meter", "G1",
			       "--point", "vol", "--quantity", "gas_volume_m3", "--role",
			       "fuel", "--carrier", "natural_gas", "--counter-max",
			       "99999999", NULL), 0);
	assert_string_equal(f->err, "--counter-max: warning: 99999999 looks like the "
			    "largest value the display shows; the maximum is the modulus "
			    "at which the register returns to 0 (100000000) "
			    "(docs/registry.md)\n");
	assert_int_equal(store_meter_get(f->s, "gw-1", "G1", "vol", &m), GFI_OK);
	assert_true(m.counter_max == 99999999);
	assert_int_equal(admin(f, "meter", "change", "--gateway", "gw-1", "--meter", "G1",
			       "--point", "vol", "--counter-max", "100000000", NULL), 0);
	assert_string_equal(f->err, "");
}

/* Keys of one meter or product carry its name after a dot; the others
 * take none. */
static void per_meter_and_per_product_fact_keys(void **state)
{
	(void)state;
	assert_non_null(registry_fact_key_find("steam_pressure_mpa.S1"));
	assert_string_equal(registry_fact_key_find("qualified_output.钢管")->key,
			    "qualified_output");
	assert_null(registry_fact_key_find("steam_pressure_mpa"));
	assert_null(registry_fact_key_find("steam_pressure_mpa."));
	assert_null(registry_fact_key_find("land_area_m2.S1"));
	assert_null(registry_fact_key_find("qualified_output.a\nb"));
	assert_null(registry_fact_key_find("qualified_output.\xff"));
	assert_null(registry_fact_key_find("qualified_output.a_product_name_far_too_long"));
	assert_non_null(registry_fact_key_find("structures_footprint_m2"));
}

static void a_missing_store_is_refused_and_not_created_by_a_listing(void **state)
{
	struct fx *f = *state;
	char *argv[] = { "--store", "/nonexistent/dir/x.db", "county", "list", NULL };
	char *argv2[] = { "county", "list", NULL };

	assert_refused(f, run_argv(f, 4, argv),
		       "--store: /nonexistent/dir/x.db: No such file or directory");
	assert_int_equal(access("/nonexistent/dir/x.db", F_OK), -1);
	assert_refused(f, run_argv(f, 2, argv2), "--store: missing (required)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(credit_codes_are_valid_only_with_the_gb32100_check_character),
		cmocka_unit_test(roles_fit_only_the_quantities_that_measure_them),
		cmocka_unit_test(role_names_parse_back_to_their_roles),
		cmocka_unit_test_setup_teardown(counties_and_units_round_trip_through_the_store,
						setup, teardown),
		cmocka_unit_test_setup_teardown(gateways_meters_replacements_and_facts_check_their_references,
						setup, teardown),
		cmocka_unit_test_setup_teardown(members_and_suppliers_need_the_right_kind_of_unit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(the_command_line_adds_changes_lists_and_retires,
						setup, teardown),
		cmocka_unit_test_setup_teardown(refusals_are_one_line_naming_the_field_and_change_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(display_like_counter_maxima_warn_and_are_kept,
						setup, teardown),
		cmocka_unit_test(per_meter_and_per_product_fact_keys),
		cmocka_unit_test_setup_teardown(a_missing_store_is_refused_and_not_created_by_a_listing,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

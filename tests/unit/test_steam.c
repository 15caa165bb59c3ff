/*
 * test_steam.c — the enthalpy of steam (calc/steam.c) against IAPWS-IF97's
 * own verification values (IAPWS R7-97(2012), table 15 for region 2 and
 * table 35 for the saturation pressure), and the states it refuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>

#include "error.h"
#include "steam.h"

static void region2_matches_if97_table_15(void **state)
{
	double h = 0;

	(void)state;
	assert_int_equal(steam_enthalpy_kj_kg(0.0035, 300 - 273.15, &h), GFI_OK);
	assert_true(fabs(h - 0.254991145e4) < 1e-5);
	assert_int_equal(steam_enthalpy_kj_kg(0.0035, 700 - 273.15, &h), GFI_OK);
	assert_true(fabs(h - 0.333568375e4) < 1e-5);
}

static void saturation_matches_if97_table_35(void **state)
{
	(void)state;
	assert_true(fabs(steam_saturation_mpa(300) - 0.353658941e-2) < 1e-11);
	assert_true(fabs(steam_saturation_mpa(500) - 0.263889776e1) < 1e-8);
	assert_true(fabs(steam_saturation_mpa(600) - 0.123443146e2) < 1e-7);
	assert_true(isnan(steam_saturation_mpa(700)));
}

/* Water below its boiling point, supercritical pressures and nonsense are
 * not region 2: the caller falls back to the table value, estimated. */
static void states_outside_region_2_are_refused(void **state)
{
	double h = 0;

	(void)state;
	assert_int_equal(steam_enthalpy_kj_kg(1.0, 150, &h), GFI_E_RANGE);
	assert_int_equal(steam_enthalpy_kj_kg(30, 427, &h), GFI_E_RANGE);
	assert_int_equal(steam_enthalpy_kj_kg(0, 250, &h), GFI_E_RANGE);
	assert_int_equal(steam_enthalpy_kj_kg(1.0, 900, &h), GFI_E_RANGE);
	assert_int_equal(steam_enthalpy_kj_kg(NAN, 250, &h), GFI_E_RANGE);
	/* saturated steam read off gauges (1.0 MPa, 179.9 °C) is accepted */
	assert_int_equal(steam_enthalpy_kj_kg(1.0, 179.9, &h), GFI_OK);
	assert_true(h > 2770 && h < 2780);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(region2_matches_if97_table_15),
		cmocka_unit_test(saturation_matches_if97_table_35),
		cmocka_unit_test(states_outside_region_2_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

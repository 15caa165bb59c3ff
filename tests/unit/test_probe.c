/*
 * test_probe.c — how `gfi-agent probe` judges a profile's values.
 *
 * probe_judge on each kind of evidence at and beyond its bounds (voltage
 * bands, frequency, power factor, counters over two reads, other values'
 * magnitude, zeros, decode errors), and probe_decode reading one float in
 * each of the four word orders.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "probe.h"

static struct gfi_point point(const char *quantity, enum gfi_regtype t)
{
	struct gfi_point p;

	memset(&p, 0, sizeof(p));
	p.quantity = gfi_quantity_find(quantity);
	assert_non_null(p.quantity);
	p.type = t;
	p.order = GFI_ORDER_ABCD;
	p.scale = 1;
	p.function = GFI_FN_INPUT;
	return p;
}

static int judge1(const struct gfi_point *p, double v)
{
	return probe_judge(p, GFI_OK, v, GFI_OK, v);
}

static void voltage_frequency_and_power_factor_have_their_bands(void **state)
{
	struct gfi_point v = point("elec_voltage_v", GFI_T_F32);
	struct gfi_point f = point("elec_frequency_hz", GFI_T_F32);
	struct gfi_point pf = point("elec_power_factor", GFI_T_F32);

	(void)state;
	assert_int_equal(judge1(&v, 180), 1);
	assert_int_equal(judge1(&v, 260), 1);
	assert_int_equal(judge1(&v, 261), -1);
	assert_int_equal(judge1(&v, 341), -1);
	assert_int_equal(judge1(&v, 400), 1);
	assert_int_equal(judge1(&v, 456.5), -1);
	assert_int_equal(judge1(&f, 50.02), 1);
	assert_int_equal(judge1(&f, 44.9), -1);
	assert_int_equal(judge1(&f, 65.1), -1);
	assert_int_equal(judge1(&pf, -0.98), 1);
	assert_int_equal(judge1(&pf, 1.01), -1);
}

static void counters_must_not_fall_nor_be_negative(void **state)
{
	struct gfi_point c = point("elec_import_kwh", GFI_T_U32);

	(void)state;
	assert_int_equal(probe_judge(&c, GFI_OK, 100, GFI_OK, 100.5), 1);
	assert_int_equal(probe_judge(&c, GFI_OK, 100, GFI_OK, 100), 1);
	assert_int_equal(probe_judge(&c, GFI_OK, 100, GFI_OK, 99.9), -1);
	assert_int_equal(probe_judge(&c, GFI_OK, -5, GFI_OK, -4), -1);
}

static void zeros_prove_nothing_and_garbage_is_implausible(void **state)
{
	struct gfi_point v = point("elec_voltage_v", GFI_T_F32);
	struct gfi_point p = point("elec_power_kw", GFI_T_F32);

	(void)state;
	assert_int_equal(judge1(&v, 0), 0);
	assert_int_equal(judge1(&p, 0), 0);
	assert_int_equal(judge1(&p, -120.5), 1);
	assert_int_equal(judge1(&p, 2.3e-41), -1);
	assert_int_equal(judge1(&p, 3e12), -1);
	assert_int_equal(judge1(&p, NAN), -1);
	assert_int_equal(probe_judge(&p, GFI_E_RANGE, 1, GFI_OK, 1), -1);
}

static void a_float_decodes_right_only_in_its_order(void **state)
{
	struct gfi_point v = point("elec_voltage_v", GFI_T_F32);
	/* 230.5f = 0x43668000 in each order's register layout. */
	const uint16_t abcd[2] = { 0x4366, 0x8000 }, cdab[2] = { 0x8000, 0x4366 };
	const uint16_t badc[2] = { 0x6643, 0x0080 }, dcba[2] = { 0x0080, 0x6643 };
	const uint16_t *layouts[4] = { abcd, cdab, badc, dcba };
	const enum gfi_order orders[4] = { GFI_ORDER_ABCD, GFI_ORDER_CDAB,
					   GFI_ORDER_BADC, GFI_ORDER_DCBA };
	double x;

	(void)state;
	for (int k = 0; k < 4; k++) {
		for (int o = 0; o < 4; o++) {
			int rc = probe_decode(&v, orders[o], layouts[k], &x);
			if (o == k) {
				assert_int_equal(rc, GFI_OK);
				assert_true(x == 230.5);
			} else {
				assert_true(rc != GFI_OK || x != 230.5);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(voltage_frequency_and_power_factor_have_their_bands),
		cmocka_unit_test(counters_must_not_fall_nor_be_negative),
		cmocka_unit_test(zeros_prove_nothing_and_garbage_is_implausible),
		cmocka_unit_test(a_float_decodes_right_only_in_its_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

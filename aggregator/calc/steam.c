/*
 * steam.c — the enthalpy of purchased steam from its pressure and
 * temperature (steam.h), so steam is converted by its real heat content
 * rather than the 2008 table value of 0.1286 kgce/kg, which runs about 35 %
 * high for low-pressure steam (../shared/DOMAIN.md).
 *
 * The formulation is IAPWS-IF97 (the IAPWS revised release of 2007):
 * region 2, h = R T tau (gamma0_tau + gammar_tau) with pi = p / 1 MPa and
 * tau = 540 K / T, the coefficients of its tables 10 and 11; region 4 for
 * the saturation line that bounds region 2 from below. Checked in
 * tests/unit/test_steam.c against the release's own verification values
 * (table 15) and, independently, by tests/data/golden/steam_if97.py.
 *
 * Invariants: pure functions; a state outside region 2 is refused, never
 * extrapolated.
 */
#include "steam.h"

#include <math.h>
#include <stddef.h>

#include "error.h"

#define IF97_R 0.461526          /* kJ/(kg K), specific gas constant */
#define KELVIN 273.15

/* Table 10: the ideal-gas part, gamma0 = ln pi + sum n0_i tau^J0_i. */
static const struct { int j; double n; } ideal[] = {
	{ 0, -0.96927686500217e+01 }, { 1, 0.10086655968018e+02 },
	{ -5, -0.56087911283020e-02 }, { -4, 0.71452738081455e-01 },
	{ -3, -0.40710498223928e+00 }, { -2, 0.14240819171444e+01 },
	{ -1, -0.43839511319450e+01 }, { 2, -0.28408632460772e+00 },
	{ 3, 0.21268463753307e-01 },
};

/* Table 11: the residual part, gammar = sum n_i pi^I_i (tau - 0.5)^J_i. */
static const struct { int i, j; double n; } residual[] = {
	{ 1, 0, -0.17731742473213e-02 }, { 1, 1, -0.17834862292358e-01 },
	{ 1, 2, -0.45996013696365e-01 }, { 1, 3, -0.57581259083432e-01 },
	{ 1, 6, -0.50325278727930e-01 }, { 2, 1, -0.33032641670203e-04 },
	{ 2, 2, -0.18948987516315e-03 }, { 2, 4, -0.39392777243355e-02 },
	{ 2, 7, -0.43797295650573e-01 }, { 2, 36, -0.26674547914087e-04 },
	{ 3, 0, 0.20481737692309e-07 }, { 3, 1, 0.43870667284435e-06 },
	{ 3, 3, -0.32277677238570e-04 }, { 3, 6, -0.15033924542148e-02 },
	{ 3, 35, -0.40668253562649e-01 }, { 4, 1, -0.78847309559367e-09 },
	{ 4, 2, 0.12790717852285e-07 }, { 4, 3, 0.48225372718507e-06 },
	{ 5, 7, 0.22922076337661e-05 }, { 6, 3, -0.16714766451061e-10 },
	{ 6, 16, -0.21171472321355e-02 }, { 6, 35, -0.23895741934104e+02 },
	{ 7, 0, -0.59059564324270e-17 }, { 7, 11, -0.12621808899101e-05 },
	{ 7, 25, -0.38946842435739e-01 }, { 8, 8, 0.11256211360459e-10 },
	{ 8, 36, -0.82311340897998e+01 }, { 9, 13, 0.19809712802088e-07 },
	{ 10, 4, 0.10406965210174e-18 }, { 10, 10, -0.10234747095929e-12 },
	{ 10, 14, -0.10018179379511e-08 }, { 16, 29, -0.80882908646985e-10 },
	{ 16, 50, 0.10693031879409e+00 }, { 18, 57, -0.33662250574171e+00 },
	{ 20, 20, 0.89185845355421e-24 }, { 20, 35, 0.30629316876232e-12 },
	{ 20, 48, -0.42002467698208e-05 }, { 21, 21, -0.59056029685639e-25 },
	{ 22, 53, 0.37826947613457e-05 }, { 23, 39, -0.12768608934681e-14 },
	{ 24, 26, 0.73087610595061e-28 }, { 24, 40, 0.55414715350778e-16 },
	{ 24, 58, -0.94369707241210e-06 },
};

/* Table 34: the saturation-pressure equation's coefficients n1..n10. */
static const double sat[10] = {
	0.11670521452767e+04, -0.72421316703206e+06, -0.17073846940092e+02,
	0.12020824702470e+05, -0.32325550322333e+07, 0.14915108613530e+02,
	-0.48232657361591e+04, 0.40511340542057e+06, -0.23855557567849e+00,
	0.65017534844798e+03,
};

double steam_saturation_mpa(double t_k)
{
	double v, a, b, c, x;

	if (!(t_k >= 273.15 && t_k <= 647.096))
		return NAN;
	v = t_k + sat[8] / (t_k - sat[9]);
	a = v * v + sat[0] * v + sat[1];
	b = sat[2] * v * v + sat[3] * v + sat[4];
	c = sat[5] * v * v + sat[6] * v + sat[7];
	x = 2 * c / (-b + sqrt(b * b - 4 * a * c));
	return x * x * x * x;
}

/* d gamma / d tau of region 2, ideal and residual parts together. */
static double gamma_tau(double pi, double tau)
{
	double g = 0;

	for (size_t k = 0; k < sizeof(ideal) / sizeof(ideal[0]); k++)
		g += ideal[k].n * ideal[k].j * pow(tau, ideal[k].j - 1);
	for (size_t k = 0; k < sizeof(residual) / sizeof(residual[0]); k++)
		g += residual[k].n * pow(pi, residual[k].i) * residual[k].j *
		     pow(tau - 0.5, residual[k].j - 1);
	return g;
}

int steam_enthalpy_kj_kg(double p_mpa, double t_c, double *h)
{
	double t_k = t_c + KELVIN, tau = 540.0 / t_k;

	if (!(p_mpa > 0) || !(t_c > 0) || t_c > 800)
		return GFI_E_RANGE;
	if (t_k <= 623.15 ? p_mpa > steam_saturation_mpa(t_k) * 1.02 : p_mpa > 16.5)
		return GFI_E_RANGE;
	*h = IF97_R * t_k * tau * gamma_tau(p_mpa, tau);
	return GFI_OK;
}

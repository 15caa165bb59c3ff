/*
 * steam.h — the specific enthalpy of superheated steam from its pressure
 * and temperature (IAPWS-IF97 region 2), for purchased steam by enthalpy
 * (GB/T 2589-2020; ../shared/DOMAIN.md "Conversion factors").
 */
#ifndef GFI_AGG_STEAM_H
#define GFI_AGG_STEAM_H

/* Enthalpy of the feed water the steam's heat is counted from (20 °C), in
 * kJ/kg: GJ = t x (h - STEAM_FEEDWATER_KJ_KG) / 1000. */
#define STEAM_FEEDWATER_KJ_KG 83.74

/* Saturation pressure at t_k kelvin (IAPWS-IF97 region 4, eq. 30), MPa;
 * 273.15..647.096 K, else NAN. */
double steam_saturation_mpa(double t_k);

/* Specific enthalpy in kJ/kg of steam at p_mpa (absolute) and t_c °C, by
 * the IAPWS-IF97 region 2 basic equation (eq. 15). GFI_OK, or GFI_E_RANGE
 * when (p, T) is outside region 2 as gfi accepts it: up to 800 °C, above
 * the saturation line (2 % of pressure allowed for saturated steam read off
 * gauges), at most 16.5 MPa above 350 °C. */
int steam_enthalpy_kj_kg(double p_mpa, double t_c, double *h);

#endif

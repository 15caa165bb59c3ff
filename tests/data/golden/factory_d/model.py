#!/usr/bin/env python3
"""factory_d: every corrected indicator from ../../../shared/DOMAIN.md's
definition (GB/T 36132-2025 annex B, GB/T 2589-2020, GB/T 18820-2023,
GB/T 7119, MEE/NBS 2025 No. 47), computed here with the Python standard
library only, independently of gfi's C code.

The unit has a PV plant that exports, two products (pipes in t, flanges in
pieces) with their qualified output and energy shares, purchased steam at
1.0 MPa and 250 °C (enthalpy by IAPWS-IF97 region 2, written out below and
checked against IF97's verification values), feedstock energy, stored waste used
in the year, a tall single-storey workshop, green power under contract and
certificates bought apart, renewable heat used, reclaimed water (not 取水量) and wastewater
generated and discharged on separate meters.

  python3 model.py          write setup.csv, readings.csv and expected.csv
  python3 model.py --check  exit 1 when the committed files differ from
                            what this model writes (CTest: unit.golden_model)

tests/unit/test_indicators.c then loads setup.csv and readings.csv into a
store and compares gfi's figures with expected.csv to a relative 1e-9.
"""
import datetime as dt
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
UNIT = "91350100M00050012X"
YEAR, MONTH = 2025, 1
HOURS = 744                      # January
TZ = dt.timezone(dt.timedelta(hours=8))

# meter point quantity role carrier product product-unit rate-per-hour
# ("-": none)
POINT_TABLE = """
E1 kwh elec_import_kwh elec_purchased electricity - - 300
PV1 kwh elec_import_kwh renewable_gen electricity - - 80
E2 kwh elec_export_kwh elec_exported electricity - - 20
G1 m3 gas_volume_m3 fuel natural_gas - - 25
S1 t steam_mass_t heat_purchased steam - - 0.8
W1 m3 water_volume_m3 water_intake tap_water - - 12
W3 m3 water_volume_m3 water_intake reclaimed_water - - 4
W2 m3 water_volume_m3 water_recycled recycled - - 50
WW1 m3 wastewater_volume_m3 wastewater generated - - 9
WW2 m3 wastewater_volume_m3 wastewater discharged - - 7
P1 t product_mass_t production - 钢管 t 1.5
P2 pcs product_count production - 法兰 pcs 40
"""

def _point(line):
    f = ["" if x == "-" else x for x in line.split()]
    return tuple(f[:7]) + ((float if "." in f[7] else int)(f[7]),)


POINTS = [_point(line) for line in POINT_TABLE.strip().splitlines()]
RATE = {p[0]: p[7] for p in POINTS}

# (year, month, key, value): month 0 = the year (stocks)
FACTS = [
    (2025, 1, "output_value_10k_cny", 2000),
    (2025, 1, "value_added_10k_cny", 500),
    (2025, 1, "qualified_output.钢管", 1100),
    (2025, 1, "qualified_output.法兰", 29000),
    (2025, 0, "energy_share_pct.钢管", 70),
    (2025, 0, "energy_share_pct.法兰", 30),
    (2025, 1, "feedstock_energy_tce", 5),
    (2025, 1, "green_power_traded_mwh", 60),
    (2025, 1, "green_certificates_mwh", 10),
    (2025, 1, "renewable_heat_gj", 150),      # solar water heating, self-used
    (2025, 1, "solid_waste_generated_t", 200),
    (2025, 1, "solid_waste_used_t", 170),
    (2025, 1, "solid_waste_stock_used_t", 30),
    (2025, 0, "land_area_m2", 40000),
    (2025, 0, "floor_area_m2", 30000),
    # the workshop: one storey 12 m high, 12000 m2
    (2025, 0, "floor_area_over_8m_m2", 12000),
    (2025, 0, "building_footprint_m2", 18000),
    (2025, 0, "structures_footprint_m2", 2000),
    (2025, 0, "open_yard_m2", 3000),
    (2025, 0, "steam_pressure_mpa.S1", 1.0),
    (2025, 0, "steam_temperature_c.S1", 250),
]
FACT = {k: v for _, _, k, v in FACTS}

# Factors of DOMAIN.md (the store's seed): GB/T 2589-2020, MEE/NBS 2025 No. 47
ELEC_KGCE_KWH = 0.1229
ELEC_EQUAL_KGCE_KWH = 0.300
GAS_KGCE_M3 = 1.2143
HEAT_KGCE_GJ = 34.12
FEEDWATER_KJ_KG = 83.74
GAS_KGCO2_M3 = 2.16
HEAT_TCO2_GJ = 0.11
GRID_2023 = 0.5306               # 2025 has none published: the latest
GRID_EXCL_GREEN_2023 = 0.6096
NEW_WATER_KGCE_T = 0.2571

# ---- IAPWS-IF97 region 2 (IAPWS R7-97(2012), tables 10 and 11) ----
R = 0.461526                     # kJ/(kg K)
J0 = (0, 1, -5, -4, -3, -2, -1, 2, 3)
N0 = (-0.96927686500217e1, 0.10086655968018e2, -0.56087911283020e-2,
      0.71452738081455e-1, -0.40710498223928, 0.14240819171444e1,
      -0.43839511319450e1, -0.28408632460772, 0.21268463753307e-1)
IJN = """1 0 -0.17731742473213e-2  1 1 -0.17834862292358e-1  1 2 -0.45996013696365e-1
1 3 -0.57581259083432e-1  1 6 -0.50325278727930e-1  2 1 -0.33032641670203e-4
2 2 -0.18948987516315e-3  2 4 -0.39392777243355e-2  2 7 -0.43797295650573e-1
2 36 -0.26674547914087e-4  3 0 0.20481737692309e-7  3 1 0.43870667284435e-6
3 3 -0.32277677238570e-4  3 6 -0.15033924542148e-2  3 35 -0.40668253562649e-1
4 1 -0.78847309559367e-9  4 2 0.12790717852285e-7  4 3 0.48225372718507e-6
5 7 0.22922076337661e-5  6 3 -0.16714766451061e-10  6 16 -0.21171472321355e-2
6 35 -0.23895741934104e2  7 0 -0.59059564324270e-17  7 11 -0.12621808899101e-5
7 25 -0.38946842435739e-1  8 8 0.11256211360459e-10  8 36 -0.82311340897998e1
9 13 0.19809712802088e-7  10 4 0.10406965210174e-18  10 10 -0.10234747095929e-12
10 14 -0.10018179379511e-8  16 29 -0.80882908646985e-10  16 50 0.10693031879409
18 57 -0.33662250574171  20 20 0.89185845355421e-24  20 35 0.30629316876232e-12
20 48 -0.42002467698208e-5  21 21 -0.59056029685639e-25  22 53 0.37826947613457e-5
23 39 -0.12768608934681e-14  24 26 0.73087610595061e-28  24 40 0.55414715350778e-16
24 58 -0.94369707241210e-6""".split()
RESIDUAL = [(int(IJN[k]), int(IJN[k + 1]), float(IJN[k + 2]))
            for k in range(0, len(IJN), 3)]
assert len(RESIDUAL) == 43


def enthalpy_region2(p_mpa, t_c):
    """h = R T tau (d gamma0/d tau + d gammar/d tau), kJ/kg."""
    t = t_c + 273.15
    tau, pi = 540.0 / t, p_mpa
    g0 = sum(n * j * tau ** (j - 1) for j, n in zip(J0, N0))
    gr = sum(n * pi ** i * j * (tau - 0.5) ** (j - 1) for i, j, n in RESIDUAL)
    return R * t * tau * (g0 + gr)


# IF97's own verification values (table 15), and the order of a steam
# table's value for 1 MPa, 250 °C (about 2943 kJ/kg; IF97 gives 2943.22).
assert abs(enthalpy_region2(0.0035, 300 - 273.15) - 0.254991145e4) < 1e-5
assert abs(enthalpy_region2(0.0035, 700 - 273.15) - 0.333568375e4) < 1e-5
assert abs(enthalpy_region2(1.0, 250) - 2943.0) < 1.0


def used(meter):
    return RATE[meter] * HOURS


def model():
    """Every indicator of the unit for January 2025, by its definition."""
    x = {}
    e_use = used("E1") + used("PV1") - used("E2")       # PV once, export once
    h = enthalpy_region2(FACT["steam_pressure_mpa.S1"], FACT["steam_temperature_c.S1"])
    steam_gj = used("S1") * (h - FEEDWATER_KJ_KG) / 1000.0
    gas_kgce = used("G1") * GAS_KGCE_M3
    energy = (e_use * ELEC_KGCE_KWH + gas_kgce + steam_gj * HEAT_KGCE_GJ) / 1000.0
    energy_net = energy - FACT["feedstock_energy_tce"]
    x["elec_purchased_kwh"] = used("E1")
    x["renewable_gen_kwh"] = used("PV1")
    x["elec_exported_kwh"] = used("E2")
    x["elec_kwh"] = e_use
    x["heat_purchased_gj"] = steam_gj
    x["feedstock_tce"] = FACT["feedstock_energy_tce"]
    x["energy_equiv_tce"] = energy
    x["energy_equal_tce"] = (e_use * ELEC_EQUAL_KGCE_KWH + gas_kgce +
                             steam_gj * HEAT_KGCE_GJ) / 1000.0
    x["energy_with_media_tce"] = energy + used("W1") * NEW_WATER_KGCE_T / 1000.0
    # each product: its share of energy without feedstock / qualified output
    x["energy_per_product"] = (energy_net * 1000 * FACT["energy_share_pct.钢管"] / 100
                               / FACT["qualified_output.钢管"])
    x["energy_per_product.法兰"] = (energy_net * 1000 * FACT["energy_share_pct.法兰"] / 100
                                   / FACT["qualified_output.法兰"])
    x["energy_per_value"] = energy / FACT["output_value_10k_cny"]
    x["energy_per_value_added"] = energy / FACT["value_added_10k_cny"]
    intake = used("W1") + used("S1")          # W3 reclaimed water is not 取水量
    x["water_intake_m3"] = intake
    x["water_per_product"] = intake / used("P1")
    x["water_reuse_pct"] = used("W2") / (used("W2") + intake) * 100
    x["wastewater_generated_per_product"] = used("WW1") / used("P1")
    x["wastewater_discharged_per_product"] = used("WW2") / used("P1")
    direct = used("G1") * GAS_KGCO2_M3
    heat_co2 = steam_gj * HEAT_TCO2_GJ * 1000
    indirect = used("E1") * GRID_2023 + heat_co2
    x["co2_direct_t"] = direct / 1000
    x["co2_indirect_t"] = indirect / 1000
    x["co2_t"] = (direct + indirect) / 1000
    green = FACT["green_power_traded_mwh"] * 1000      # certificates: not here
    x["co2_green_deducted_t"] = (direct + heat_co2 + (used("E1") - green)
                                 * GRID_EXCL_GREEN_2023) / 1000
    x["co2_per_product"] = (direct + indirect) / used("P1")
    ren_kwh = min(e_use, (used("PV1") - used("E2")) + green
                  + FACT["green_certificates_mwh"] * 1000)
    x["renewable_pct"] = ren_kwh / e_use * 100
    ren_tce = ren_kwh * ELEC_KGCE_KWH / 1000 + FACT["renewable_heat_gj"] * HEAT_KGCE_GJ / 1000
    x["renewable_share_pct"] = ren_tce / energy_net * 100
    x["solid_waste_use_pct"] = FACT["solid_waste_used_t"] / (
        FACT["solid_waste_generated_t"] + FACT["solid_waste_stock_used_t"]) * 100
    land = FACT["land_area_m2"]
    x["plot_ratio"] = (FACT["floor_area_m2"] + FACT["floor_area_over_8m_m2"]) / land
    x["building_coefficient_pct"] = (FACT["building_footprint_m2"] +
                                     FACT["structures_footprint_m2"] +
                                     FACT["open_yard_m2"]) / land * 100
    x["output_per_land_m2"] = FACT["output_value_10k_cny"] / land
    x["output"] = used("P1")
    return x


def setup_text():
    lines = ["# factory_d: written by model.py (see its docstring); do not edit",
             "county,350102,鼓楼区",
             f"unit,{UNIT},管件厂D,factory,350102,city,2020",
             f"gateway,gw-d,{UNIT}"]
    for m, pt, q, role, carrier, prod, pu, _ in POINTS:
        lines.append(f"meter,gw-d,{m},{pt},{q},{role},{carrier},0,{prod},{pu}")
    for y, mo, k, v in FACTS:
        lines.append(f"fact,{UNIT},{y},{mo},{k},{v}")
    return "\n".join(lines) + "\n"


def readings_text():
    """Counters at a whole rate per hour, read every 3 hours from 3 h
    before to 3 h after January (Asia/Shanghai)."""
    t0 = int(dt.datetime(YEAR, MONTH, 1, tzinfo=TZ).timestamp())
    out = ["gateway,meter,point,quantity,time,value,status"]
    for m, pt, q, *_ in POINTS:
        for k in range(-1, 250):
            v = 10000 + RATE[m] * 3 * k
            out.append(f"gw-d,{m},{pt},{q},{t0 + 3 * 3600 * k},{v!r},ok")
    return "\n".join(out) + "\n"


def expected_text():
    out = ["unit,indicator,year,month,expected,provenance,formula"]
    for key, v in model().items():
        out.append(f"{UNIT},{key},{YEAR},{MONTH},{v!r},,model.py")
    return "\n".join(out) + "\n"


def main():
    files = {"setup.csv": setup_text(), "readings.csv": readings_text(),
             "expected.csv": expected_text()}
    check = "--check" in sys.argv[1:]
    bad = 0
    for name, text in files.items():
        path = os.path.join(HERE, name)
        if check:
            with open(path, encoding="utf-8") as f:
                if f.read() != text:
                    print(f"{name}: differs from what model.py writes")
                    bad = 1
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    return bad


if __name__ == "__main__":
    sys.exit(main())

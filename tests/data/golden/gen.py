#!/usr/bin/env python3
"""Write the readings of the golden data sets (readings.csv in each set).

The readings are designed so every indicator can be worked out by hand:
counters grow linearly at a whole rate per hour, read every 3 hours, so a
period's consumption is rate x hours whether the readings hit the period
bounds (factory_a: at 00:00, 03:00 ... Asia/Shanghai) or straddle them
(factory_b: at 01:00, 04:00 ..., so the counter at midnight is interpolated
between 22:00 and 01:00). Gauges are constant, so a load is concentration x
flow x valid hours; factory_b has one sample excluded by its CEMS flag and
one NOx sample with a timeout, each leaving a six-hour hole (the two
three-hour trapezoids touching it). Run from this directory; the output is
committed, this script documents it.
"""
import datetime as dt

TZ = dt.timezone(dt.timedelta(hours=8))
H = 3600


def jan(year):
    return int(dt.datetime(year, 1, 1, tzinfo=TZ).timestamp())


# factory_a: gateway gw-a; (meter, point, quantity, base, rate per hour by year)
A_POINTS = [
    ("E1", "kwh", "elec_import_kwh", 1_000_000, {2024: 400, 2025: 500}),
    ("E2", "kwh", "elec_export_kwh", 20_000, {2024: 0, 2025: 5}),
    ("PV1", "kwh", "elec_import_kwh", 300_000, {2024: 0, 2025: 50}),
    ("G1", "m3", "gas_volume_m3", 500_000, {2024: 40, 2025: 40}),
    ("S1", "t", "steam_mass_t", 10_000, {2024: 0.5, 2025: 0.5}),
    ("W1", "m3", "water_volume_m3", 80_000, {2024: 10, 2025: 10}),
    ("W2", "m3", "water_volume_m3", 200_000, {2024: 30, 2025: 30}),
    ("WW1", "m3", "wastewater_volume_m3", 40_000, {2024: 6, 2025: 6}),
    ("P1", "t", "product_mass_t", 5_000, {2024: 2, 2025: 2}),
]


def factory_a():
    rows = []
    for year in (2024, 2025):
        t0 = jan(year)
        for meter, point, q, base, rate in A_POINTS:
            for k in range(-1, 250):       # 3 h before to 3 h after January
                t = t0 + 3 * H * k
                v = base + rate[year] * 3 * k
                rows.append(("gw-a", meter, point, q, t, v, "ok"))
    return rows


B_COUNTERS = [
    ("E1", "kwh", "elec_import_kwh", 2_000_000, 200),
    ("C1", "t", "fuel_mass_t", 30_000, 1),
    ("P1", "pcs", "product_count", 9_000_000, 1000),
]
B_GAUGES = [("so2", "so2_mgm3", 50), ("nox", "nox_mgm3", 100),
            ("dust", "dust_mgm3", 10), ("flow", "flue_flow_m3h", 100_000),
            ("flag", "cems_flag", 0)]


def factory_b():
    rows = []
    t0 = jan(2025)
    for k in range(0, 250):                # 22:00 the day before, then 01:00 ...
        t = t0 - 2 * H + 3 * H * k
        for meter, point, q, base, rate in B_COUNTERS:
            # value at t0 is base; 2 h before it base - 2 x rate
            rows.append(("gw-b", meter, point, q, t, base + rate * (3 * k - 2), "ok"))
        for point, q, v in B_GAUGES:
            status = "ok"
            if point == "flag" and k == 100:
                v = 1                      # HJ 212 flag other than N
            if point == "nox" and k == 200:
                v, status = "", "timeout"
            rows.append(("gw-b", "CEMS1", point, q, t, v, status))
    return rows


def write(path, rows):
    with open(path, "w") as f:
        f.write("gateway,meter,point,quantity,time,value,status\n")
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")


if __name__ == "__main__":
    write("factory_a/readings.csv", factory_a())
    write("factory_b/readings.csv", factory_b())

"""The platform's scores and outlook for a city, against its indicators
alone, in the same run (issue 15). Builds a store of GFI_BENCH_UNITS
factories (default 300) in five sectors with the command line (registry,
benchmarks of two sector tables and the 通则) and SQL (facts of three
years; per unit an electricity and a water-intake counter with a daily
rollup of 96 readings a day for the three years, which is what the
indicators read), then runs bench-scores-time, which alternates
score_city_compute (rows of the year and the two before, scores, outlook,
reconciliation) with indicators_compute_at of the year for every unit,
GFI_BENCH_PAIRS rounds (default 5), and prints the medians and the ratio
(bench/abab.py). The lead copies the figures into BENCHMARKS.md."""
import abab
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

AGG = os.environ.get("GFI_AGGREGATOR", "gfi-aggregator")
BIN = os.environ.get("GFI_BENCH_SCORES", "bench-scores-time")
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
SECTORS = ["C3130", "C2614", "C3311", "C3982", "C2211"]
YEAR = 2025
DAY0 = 1672502400          # 2023-01-01 00:00 Asia/Shanghai
DAYS = 365 + 366 + 365     # 2023, 2024, 2025
PEM = ("-----BEGIN PUBLIC KEY-----\n"
       "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEpq7J8JZ5m0p3WqQ7mQm3s6A9V7oS\n"
       "0yQfGgqjqY3bXqJv6Jm0kzq5H3J6b3ZV1xqY1yS3cM1y8wQ9Jq2y7j6v1w==\n"
       "-----END PUBLIC KEY-----\n")


def code_of(i):
    body = "91350100MA%07d" % i
    s = sum(ALPHABET.index(ch) * w for ch, w in zip(body, WEIGHTS))
    c = 31 - s % 31
    return body + ALPHABET[0 if c == 31 else c]


def agg(*args):
    r = subprocess.run([AGG] + list(args), capture_output=True, text=True)
    if r.returncode != 0:
        print("%s failed: %s" % (" ".join(args[:2]), r.stderr))
        sys.exit(1)


def build(store, units):
    agg("admin", "--store", store, "county", "add", "--code", "350102", "--name", "鼓楼区")
    bench = [("", "energy_per_value", 2000, 200, 10, "lower"),
             ("", "water_per_value", 60, 5, 10, "lower"),
             ("", "output_per_land", 0.5, 2.0, 5, "higher"),
             ("", "building_coeff_pct", 30, 60, 5, "higher"),
             ("", "solid_waste_use_pct", 50, 95, 10, "higher"),
             ("C3130", "energy_per_value", 3000, 400, 12, "lower"),
             ("C2614", "plot_ratio", 0.6, 1.5, 5, "higher")]
    for sector, key, base, lead, w, d in bench:
        agg(*(["benchmark", "set", "--store", store, "--indicator", key, "--year", "2023",
               "--baseline", str(base), "--leading", str(lead), "--weight", str(w),
               "--direction", d, "--source", "bench"] + (["--sector", sector] if sector else [])))
    db = sqlite3.connect(store)
    for u in range(units):
        code, gw = code_of(u + 1), "gw-%05d" % (u + 1)
        db.execute("INSERT INTO units (code, name, kind, county, level, year_listed, sector) "
                   "VALUES (?, ?, 0, '350102', 2, 2020, ?)", (code, "工厂 %d" % u,
                                                             SECTORS[u % len(SECTORS)]))
        db.execute("INSERT INTO gateways (id, unit, pubkey_pem, registered_s) VALUES (?, ?, ?, 0)",
                   (gw, code, PEM))
        size = 1 + (u * 7919) % 97 / 10.0
        for meter, point, q, role, carrier, per_day in [
                ("E1", "kwh", "elec_import_kwh", 1, "electricity", 20000.0),
                ("W1", "m3", "water_volume_m3", 6, "tap_water", 300.0)]:
            db.execute("INSERT INTO meters (gateway, meter, point, quantity, role, carrier, "
                       "registered_s) VALUES (?, ?, ?, ?, ?, ?, 0)", (gw, meter, point, q, role, carrier))
            sid = db.execute("INSERT INTO series (gateway, meter, point, quantity) VALUES "
                             "(?, ?, ?, ?)", (gw, meter, point, q)).lastrowid
            rows, v = [], 1000.0
            for d in range(DAYS):
                day, use = DAY0 + d * 86400, per_day * size * (1 + (d % 7) / 20.0)
                rows.append((sid, day, 96, day, v, day + 86400 - 900, v + use * 95 / 96, v,
                             v + use * 95 / 96))
                v += use
            db.executemany("INSERT INTO rollups (series, day_s, count, bad, first_s, first_v, "
                           "last_s, last_v, min_v, max_v) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
                           rows)
        for y in (2023, 2024, 2025):
            for key, value in [("output_value_10k_cny", 20000 * size * (1 + (y - 2023) * 0.05)),
                               ("land_area_m2", 50000.0), ("building_footprint_m2", 15000 + 900 * size),
                               ("solid_waste_generated_t", 1000.0),
                               ("solid_waste_used_t", 500 + 40 * size),
                               ("stat_electricity_kwh", 20000 * size * 370)]:
                db.execute("INSERT INTO facts (unit, year, month, key, value, entered_by, "
                           "entered_s) VALUES (?, ?, 0, ?, ?, 'bench', 0)", (code, y, key, value))
    db.commit()
    db.close()


def main():
    units = int(os.environ.get("GFI_BENCH_UNITS", "300"))
    n = abab.pairs()
    with tempfile.TemporaryDirectory(prefix="gfi-bench-scores-") as tmp:
        store = os.path.join(tmp, "city.db")
        build(store, units)
        load = abab.Load()
        r = subprocess.run([BIN, store, str(YEAR), str(n)], capture_output=True, text=True,
                           timeout=3600 * n)
        if r.returncode != 0:
            print("bench-scores-time failed (%d): %s" % (r.returncode, r.stderr))
            sys.exit(1)
        o = json.loads(r.stdout)
    ind, sc = o["rounds"]["indicators_s"], o["rounds"]["scores_s"]
    rs = abab.ratios(sc, ind)
    print("run: %s" % r.stdout.strip())
    print("%d rounds, %d factories (%d scored), year %d:" % (n, o["units"], o["scored"], YEAR))
    print("  indicators of the year alone (baseline)  %9.3f s  (%.2f ms/unit)"
          % (abab.median(ind), abab.median(ind) * 1e3 / o["units"]))
    print("  scores and outlook (3 years, rows, grades) %7.3f s  (%.2f ms/unit)  %s"
          % (abab.median(sc), abab.median(sc) * 1e3 / o["units"], abab.ratio_line(rs, "%.2f")))
    print("  " + load.end().line())
    if o["scored"] != o["units"] or not o["check_grade"] or not abab.check(rs, n):
        print("check failed: every factory scored and graded, %d finite ratios" % n)
        sys.exit(1)


if __name__ == "__main__":
    main()

"""A whole city's year of indicators from the daily rollups, against a plain
read of the same rollup rows from SQLite in the same run. Runs
bench-city-year (bench/city_year.c) with GFI_BENCH_UNITS units (default 300)
of GFI_BENCH_METERS meter points each (default 30), 15-minute readings, year
2025; the program times every side in GFI_BENCH_PAIRS rounds (default 5),
the order reversed every other round (bench/abab.py), and this script prints
the medians and each side's ratio to the plain scan as the median of the
rounds' ratios with its spread, and the load average. With
GFI_BENCH_PROVINCE=1 it then runs at province size (same rounds),
GFI_BENCH_PROVINCE_UNITS units (default 10,000; about 110 M rollup rows, a
store of several GB in /tmp and a long generation), months skipped. The
lead copies the figures into BENCHMARKS.md."""
import abab
import json
import os
import subprocess
import sys

BIN = os.environ.get("GFI_BENCH_CITY", "bench-city-year")


def run(units, meters, months, rounds, timeout):
    """One bench-city-year run; its JSON object with "med" (each side's
    median seconds) and "ratios" (each side's per-round ratio to the scan)
    added, and its output line."""
    r = subprocess.run([BIN, str(units), str(meters), str(months), str(rounds)],
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        print("bench-city-year failed (%d): %s" % (r.returncode, r.stderr))
        sys.exit(1)
    o = json.loads(r.stdout)
    o["med"] = {k: abab.median(v) for k, v in o["rounds"].items()}
    o["ratios"] = {k: abab.ratios(v, o["rounds"]["scan_s"]) for k, v in o["rounds"].items()
                   if k != "scan_s"}
    return o, r.stdout.strip()


def show(label, o):
    med, rs = o["med"], o["ratios"]
    print(label)
    print("  store: %d units x %d points = %d series, %d rollup rows (%d in 2025),"
          " %.0f MB, generated in %.1f s"
          % (o["units"], o["meters"], o["series"], o["rollup_rows"],
             o["rollup_rows_2025"], o["store_mb"], o["gen_s"]))
    print("  plain scan of the year's rollups (baseline) %9.3f s" % med["scan_s"])
    print("  same rows joined to series                  %9.3f s  %s"
          % (med["scan_joined_s"], abab.ratio_line(rs["scan_joined_s"], "%.2f")))
    print("  per point, the rows its total needs        %9.3f s  %s (one query per point,"
          " %d points)" % (med["scan_per_series_s"],
                           abab.ratio_line(rs["scan_per_series_s"], "%.2f"), o["series"]))
    print("  city year, indicators_compute per unit      %9.3f s  (%.2f ms/unit) %s"
          % (med["city_year_s"], med["city_year_s"] * 1e3 / o["units"],
             abab.ratio_line(rs["city_year_s"], "%.2f")))
    if o["city_months_s"] > 0:
        print("  city months, 12 x indicators_compute        %9.3f s  (%.2f ms/unit-month;"
              " once, after the rounds)" % (o["city_months_s"], o["ms_per_unit_month"]))
    print("  series totals alone, every point             %9.3f s  %s"
          % (med["series_totals_s"], abab.ratio_line(rs["series_totals_s"], "%.2f")))
    print("  (each ratio: the side's time over the plain scan's, round by round)")
    c = o["check_water_intake_m3"]
    print("  check, unit 1 water intake: generated %.2f m3, computed %.2f"
          " (completeness %.4f)" % (c["generated"], c["computed"], c["completeness"]))
    print("  profile of %d units, per unit: %.0f statements, %.0f rows stepped"
          " (the unit's own year: %d rollup rows)"
          % (o["profile_units"], o["profile_statements_per_unit"],
             o["profile_rows_stepped_per_unit"], o["profile_own_rollup_rows_per_unit"]))
    for p in o["profile"]:
        print("    %8.3f ms %7.1f runs %9.0f rows  %s"
              % (p["ms_per_unit"], p["runs_per_unit"], p["rows_per_unit"], p["sql"][:90]))


def checked(o, n):
    """Exit unless the check value is as generated and every side has n
    finite positive ratios."""
    check = o["check_water_intake_m3"]
    if abs(check["generated"] - check["computed"]) > 1e-6 * max(1.0, check["generated"]):
        print("check failed: water intake generated %.3f, computed %.3f"
              % (check["generated"], check["computed"]))
        sys.exit(1)
    bad = [k for k, rs in o["ratios"].items() if not abab.check(rs, n)]
    if bad:
        print("not %d finite positive ratios: %s" % (n, bad))
        sys.exit(1)


def main():
    units = int(os.environ.get("GFI_BENCH_UNITS", "300"))
    meters = int(os.environ.get("GFI_BENCH_METERS", "30"))
    n = abab.pairs()
    load = abab.Load()
    o, line = run(units, meters, 1, n, 1800 * n)
    print("run: %s" % line)
    checked(o, n)
    show("%d rounds (%d units x %d points, 15-min readings, 2025):" % (n, units, meters), o)
    print("  " + load.end().line())
    if os.environ.get("GFI_BENCH_PROVINCE") == "1":
        punits = int(os.environ.get("GFI_BENCH_PROVINCE_UNITS", "10000"))
        # The store grows with units: estimate it from the city's and refuse
        # a run the disk under /tmp cannot hold (with room for the WAL).
        need = o["store_mb"] * 1048576.0 * punits / units
        st = os.statvfs("/tmp")
        free = st.f_bavail * st.f_frsize
        print("province store estimate %.1f GB, free under /tmp %.1f GB"
              % (need / 1e9, free / 1e9))
        if free < 1.5 * need:
            print("not enough disk for the province store")
            sys.exit(1)
        load = abab.Load()
        po, line = run(punits, meters, 0, n, 6 * 3600 * n)
        print("province: %s" % line)
        checked(po, n)
        show("province, %d rounds (%d units x %d points):" % (n, punits, meters), po)
        print("  " + load.end().line())


if __name__ == "__main__":
    main()

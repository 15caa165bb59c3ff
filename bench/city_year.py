"""A whole city's year of indicators from the daily rollups, against a plain
read of the same rollup rows from SQLite in the same run. Runs
bench-city-year (bench/city_year.c) GFI_BENCH_RUNS times (default 3) with
GFI_BENCH_UNITS units (default 300) of GFI_BENCH_METERS meter points each
(default 30), 15-minute readings, year 2025, and prints each run and the
median. With GFI_BENCH_PROVINCE=1 it then runs once at province size,
GFI_BENCH_PROVINCE_UNITS units (default 10,000; about 110 M rollup rows, a
store of several GB in /tmp and a long generation), months skipped. The
lead copies the figures into BENCHMARKS.md."""
import json
import os
import statistics
import subprocess
import sys

BIN = os.environ.get("GFI_BENCH_CITY", "bench-city-year")


def run(units, meters, months, timeout):
    r = subprocess.run([BIN, str(units), str(meters), str(months)],
                       capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        print("bench-city-year failed (%d): %s" % (r.returncode, r.stderr))
        sys.exit(1)
    return json.loads(r.stdout), r.stdout.strip()


def show(label, med, o):
    print(label)
    print("  store: %d units x %d points = %d series, %d rollup rows (%d in 2025),"
          " %.0f MB, generated in %.1f s"
          % (o["units"], o["meters"], o["series"], o["rollup_rows"],
             o["rollup_rows_2025"], o["store_mb"], med["gen_s"]))
    print("  plain scan of the year's rollups (baseline) %9.3f s"
          % med["scan_s"])
    print("  same rows joined to series                  %9.3f s"
          % med["scan_joined_s"])
    print("  per point, the rows its total needs        %9.3f s  (one query per point,"
          " %d points)" % (med["scan_per_series_s"], o["series"]))
    print("  city year, indicators_compute per unit      %9.3f s  (%.2f ms/unit,"
          " %.1fx the plain scan, %.1fx the joined scan)"
          % (med["city_year_s"], med["ms_per_unit"], med["compute_over_scan"],
             med["compute_over_scan_joined"]))
    if med["city_months_s"] > 0:
        print("  city months, 12 x indicators_compute        %9.3f s  (%.2f ms/unit-month)"
              % (med["city_months_s"], med["ms_per_unit_month"]))
    print("  series totals alone, every point             %9.3f s"
          % med["series_totals_s"])
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


def main():
    units = int(os.environ.get("GFI_BENCH_UNITS", "300"))
    meters = int(os.environ.get("GFI_BENCH_METERS", "30"))
    runs = int(os.environ.get("GFI_BENCH_RUNS", "3"))
    results = []
    for i in range(runs):
        o, line = run(units, meters, 1, 1800)
        results.append(o)
        print("run %d: %s" % (i + 1, line))
    med = {k: statistics.median(o[k] for o in results)
           for k in results[0] if isinstance(results[0][k], (int, float))}
    check = results[0]["check_water_intake_m3"]
    if abs(check["generated"] - check["computed"]) > 1e-6 * max(1.0, check["generated"]):
        print("check failed: water intake generated %.3f, computed %.3f"
              % (check["generated"], check["computed"]))
        sys.exit(1)
    show("median of %d runs (%d units x %d points, 15-min readings, 2025):"
         % (runs, units, meters), med, results[0])
    if os.environ.get("GFI_BENCH_PROVINCE") == "1":
        punits = int(os.environ.get("GFI_BENCH_PROVINCE_UNITS", "10000"))
        # The store grows with units: estimate it from the city's and refuse
        # a run the disk under /tmp cannot hold (with room for the WAL).
        need = results[0]["store_mb"] * 1048576.0 * punits / units
        st = os.statvfs("/tmp")
        free = st.f_bavail * st.f_frsize
        print("province store estimate %.1f GB, free under /tmp %.1f GB"
              % (need / 1e9, free / 1e9))
        if free < 1.5 * need:
            print("not enough disk for the province store")
            sys.exit(1)
        o, line = run(punits, meters, 0, 6 * 3600)
        print("province: %s" % line)
        show("province, one run (%d units x %d points):" % (punits, meters), o, o)


if __name__ == "__main__":
    main()

"""How cost grows with data: the aggregator's ingest and a city year's
indicator computation at 1x, 10x and 100x data (GFI_BENCH_SCALE_FACTORS,
default 1,10,100), one run each, printed as a table with the growth factor
of time against 1x (linear growth = the data factor; the cost per unit of
data is the last column: 1.00 means it does not grow with data).

  ingest  bench-ingest-rate N R: N signed batches of R readings verified
          and committed into one fresh store (and the plain SQLite insert of
          the same rows as its baseline), N = GFI_BENCH_SCALE_BATCHES
          (default 20, i.e. 10,000 readings) x the factor, R =
          GFI_BENCH_SCALE_READINGS (default 500); the store grows to the full
          data while it runs.
  report  bench-city-year U M 0: a city of U units x M meter points
          (15-minute readings, a year of daily rollups) and indicators_compute
          for every unit, U = GFI_BENCH_SCALE_UNITS (default 30) x the factor,
          M = GFI_BENCH_SCALE_METERS (default 30); the plain scan of the
          year's rollup rows is its baseline.

  python3 bench/scaling.py      (after building; see BENCHMARKS.md)
"""
import json
import os
import subprocess

import gfitest as g

INGEST = os.environ.get("GFI_BENCH_INGEST", "bench-ingest-rate")
CITY = os.environ.get("GFI_BENCH_CITY", "bench-city-year")
FACTORS = [int(f) for f in os.environ.get("GFI_BENCH_SCALE_FACTORS", "1,10,100").split(",")]
BATCHES = int(os.environ.get("GFI_BENCH_SCALE_BATCHES", "20"))
UNITS = int(os.environ.get("GFI_BENCH_SCALE_UNITS", "30"))
METERS = int(os.environ.get("GFI_BENCH_SCALE_METERS", "30"))
READINGS = int(os.environ.get("GFI_BENCH_SCALE_READINGS", "500"))


def run_json(args, timeout):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    g.ok(r.returncode == 0, "%s: rc %d: %s" % (" ".join(args), r.returncode, r.stderr[-300:]))
    if r.returncode != 0:
        return None
    return json.loads(r.stdout.strip().split("\n")[0])


def main():
    ingest, city = [], []
    for f in FACTORS:
        o = run_json([INGEST, str(BATCHES * f), str(READINGS)], 3600)
        if o is not None:
            n = o["readings"]
            t = n / o["verify_commit_readings_per_s"]
            tp = n / o["plain_sqlite_readings_per_s"]
            ingest.append((f, n, t, tp, o["store_bytes_per_reading"]))
            print("ingest %4dx: %s" % (f, json.dumps(o)), flush=True)
        o = run_json([CITY, str(UNITS * f), str(METERS), "0"], 6 * 3600)
        if o is not None:
            city.append((f, o["units"], o["rollup_rows_2025"], o["city_year_s"],
                         o["scan_s"], o["store_mb"], o["gen_s"]))
            c = o["check_water_intake_m3"]
            g.ok(abs(c["generated"] - c["computed"]) <= 1e-6 * max(1.0, c["generated"]),
                 "city %dx: check value computed as generated" % f)
            print("city   %4dx: units %d, rows %d, year %.3f s, scan %.3f s"
                  % (f, o["units"], o["rollup_rows_2025"], o["city_year_s"], o["scan_s"]),
                  flush=True)

    print("\ningest: signed batches of %d readings verified and committed into one store"
          % READINGS)
    print("| data | readings | verify+commit | readings/s | time growth | cost per reading"
          " vs 1x | plain insert | plain growth | store B/reading |")
    print("|---|---|---|---|---|---|---|---|---|")
    base = ingest[0] if ingest else None
    for f, n, t, tp, bpr in ingest:
        print("| %dx | %d | %.3f s | %.0f | %.1fx | %.2f | %.3f s | %.1fx | %.1f |"
              % (f, n, t, n / t, t / base[2], (t / n) / (base[2] / base[1]), tp,
                 tp / base[3], bpr))
    print("\nreport: a city year of indicators, %d meter points per unit" % METERS)
    print("| data | units | rollup rows (2025) | store | city year | ms/unit | time growth |"
          " cost per unit vs 1x | plain scan | scan growth |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    cb = city[0] if city else None
    for f, u, rows, t, ts, mb, _ in city:
        growth = "%.1fx" % (ts / cb[4]) if cb[4] > 0 else "—"
        print("| %dx | %d | %d | %.0f MB | %.3f s | %.2f | %.1fx | %.2f | %.3f s | %s |"
              % (f, u, rows, mb, t, t * 1e3 / u, t / max(cb[3], 1e-9),
                 (t / u) / max(cb[3] / cb[1], 1e-12), ts, growth))
    g.ok(len(ingest) == len(FACTORS) and len(city) == len(FACTORS), "every size ran")
    g.finish("bench.scaling")


if __name__ == "__main__":
    main()

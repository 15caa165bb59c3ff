"""How cost grows with data: the aggregator's ingest and a city year's
indicator computation at 1x, 10x and 100x data (GFI_BENCH_SCALE_FACTORS,
default 1,10,100), printed as a table with the growth factor
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

At each size the subject and its baseline alternate in GFI_BENCH_PAIRS rounds
(default 5, bench/abab.py: bench-ingest-rate's plain and verify sides, and
bench-city-year's own rounds); times are medians, and the ratios gfi/plain
(readings/s) and year/scan (time) are printed as the median of the rounds'
ratios with their spread, with the load average.

Up to GFI_BENCH_SCALE_SPLIT_UP_TO (default 10x) the city's rounds come from
GFI_BENCH_PAIRS separate bench-city-year processes of CITY_SPLIT_ROUNDS
rounds each, every one with its own freshly built store: within one process
year/scan hardly moves (IQR 1.90-1.90), but from one process to the next it
moved between 1.71 and 1.90 at 300 units, so rounds from one process gave
spreads that two runs could not agree within. Above it (the 100x store of
2.3 GB takes minutes to build) one process runs all the rounds.

  python3 bench/scaling.py      (after building; see BENCHMARKS.md)
"""
import abab
import city_year
import ingest
import os

import gfitest as g

INGEST = os.environ.get("GFI_BENCH_INGEST", "bench-ingest-rate")
CITY = os.environ.get("GFI_BENCH_CITY", "bench-city-year")
FACTORS = [int(f) for f in os.environ.get("GFI_BENCH_SCALE_FACTORS", "1,10,100").split(",")]
BATCHES = int(os.environ.get("GFI_BENCH_SCALE_BATCHES", "20"))
UNITS = int(os.environ.get("GFI_BENCH_SCALE_UNITS", "30"))
METERS = int(os.environ.get("GFI_BENCH_SCALE_METERS", "30"))
READINGS = int(os.environ.get("GFI_BENCH_SCALE_READINGS", "500"))
SPLIT_UP_TO = int(os.environ.get("GFI_BENCH_SCALE_SPLIT_UP_TO", "10"))
CITY_SPLIT_ROUNDS = 2   # rounds per process where split: scan first, then year first


def ingest_rounds(f, n):
    """n rounds of plain insert and verify + commit at factor f: (readings,
    median verify time, median plain time, store bytes per reading, per-round
    ratios of readings/s)."""
    plain, verify = abab.rounds([ingest.side(str(BATCHES * f), str(READINGS), "plain"),
                                 ingest.side(str(BATCHES * f), str(READINGS), "verify")], n)
    count = verify[0]["readings"]
    t = abab.median([count / o["verify_commit_readings_per_s"] for o in verify])
    tp = abab.median([count / o["plain_sqlite_readings_per_s"] for o in plain])
    rs = abab.ratios([o["verify_commit_readings_per_s"] for o in verify],
                     [o["plain_sqlite_readings_per_s"] for o in plain])
    bpr = abab.median([o["store_bytes_per_reading"] for o in verify])
    return count, t, tp, bpr, rs


def main():
    n = abab.pairs()
    load = abab.Load()
    ingest_rows, city = [], []
    for f in FACTORS:
        count, t, tp, bpr, rs = ingest_rounds(f, n)
        ingest_rows.append((f, count, t, tp, bpr, rs))
        print("ingest %4dx: %d readings, verify %.3f s, plain %.3f s (medians), gfi/plain %s"
              % (f, count, t, tp, abab.ratio_line(rs)), flush=True)
        o = city_rounds(f, n)
        city.append((f, o["units"], o["rollup_rows_2025"], o["med"]["city_year_s"],
                     o["med"]["scan_s"], o["store_mb"], o["gen_s"], o["ratios"]["city_year_s"]))
        c = o["check_water_intake_m3"]
        g.ok(abs(c["generated"] - c["computed"]) <= 1e-6 * max(1.0, c["generated"]),
             "city %dx: check value computed as generated" % f)
        print("city   %4dx: units %d, rows %d, year %.3f s, scan %.3f s (medians), year/scan %s;"
              " %d process%s"
              % (f, o["units"], o["rollup_rows_2025"], o["med"]["city_year_s"],
                 o["med"]["scan_s"], abab.ratio_line(o["ratios"]["city_year_s"], "%.2f"),
                 o["processes"], "" if o["processes"] == 1 else "es"), flush=True)
    load.end()
    ingest_table(ingest_rows)
    city_table(city)
    for f, _, _, _, _, rs in ingest_rows:
        g.ok(abab.check(rs, n), "ingest %dx: %d finite positive ratios" % (f, n))
    for row in city:
        want = n * CITY_SPLIT_ROUNDS if row[0] <= SPLIT_UP_TO else n
        g.ok(abab.check(row[7], want), "city %dx: %d finite positive ratios" % (row[0], want))
    print(load.line())
    g.ok(len(ingest_rows) == len(FACTORS) and len(city) == len(FACTORS), "every size ran")
    g.finish("bench.scaling")


def city_rounds(f, n):
    """bench-city-year at factor f: one process of n rounds, or, up to
    SPLIT_UP_TO, n processes of CITY_SPLIT_ROUNDS rounds whose rounds are
    pooled (the first process's output otherwise, with "med", "ratios"
    and "gen_s" over all of them)."""
    if f > SPLIT_UP_TO:
        o = city_year.run(UNITS * f, METERS, 0, n, 6 * 3600 * n)[0]
        o["processes"] = 1
        return o
    runs = [city_year.run(UNITS * f, METERS, 0, CITY_SPLIT_ROUNDS, 3600)[0]
            for _ in range(n)]
    o = runs[0]
    o["rounds"] = {k: [t for r in runs for t in r["rounds"][k]] for k in o["rounds"]}
    o["med"] = {k: abab.median(v) for k, v in o["rounds"].items()}
    o["ratios"] = {k: [x for r in runs for x in r["ratios"][k]] for k in o["ratios"]}
    o["gen_s"] = abab.median([r["gen_s"] for r in runs])
    o["processes"] = n
    return o


def ingest_table(ingest_rows):
    """The ingest table (medians; the gfi/plain ratio with its spread)."""
    print("\ningest: signed batches of %d readings verified and committed into one store"
          % READINGS)
    print("| data | readings | verify+commit | readings/s | time growth | cost per reading"
          " vs 1x | plain insert | plain growth | store B/reading | gfi/plain |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    base = ingest_rows[0] if ingest_rows else None
    for f, n, t, tp, bpr, rs in ingest_rows:
        med = abab.median(rs)
        print("| %dx | %d | %.3f s | %.0f | %.1fx | %.2f | %.3f s | %.1fx | %.1f |"
              " %.2f (%.2f–%.2f) |"
              % (f, n, t, n / t, t / base[2], (t / n) / (base[2] / base[1]), tp,
                 tp / base[3], bpr, med, min(rs), max(rs)))


def city_table(city):
    """The report table (medians; year/scan with its spread)."""
    print("\nreport: a city year of indicators, %d meter points per unit" % METERS)
    print("| data | units | rollup rows (2025) | store | city year | ms/unit | time growth |"
          " cost per unit vs 1x | plain scan | scan growth | year/scan |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    cb = city[0] if city else None
    for f, u, rows, t, ts, mb, _, rs in city:
        growth = "%.1fx" % (ts / cb[4]) if cb[4] > 0 else "—"
        med = abab.median(rs)
        print("| %dx | %d | %d | %.0f MB | %.3f s | %.2f | %.1fx | %.2f | %.3f s | %s |"
              " %.2f (%.2f–%.2f) |"
              % (f, u, rows, mb, t, t * 1e3 / u, t / max(cb[3], 1e-9),
                 (t / u) / max(cb[3] / cb[1], 1e-12), ts, growth, med, min(rs), max(rs)))


if __name__ == "__main__":
    main()

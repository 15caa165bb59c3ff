"""Fault suite (issue 18): an import of 300,000 rows never blocks an ingest
commit for more than 1 s.

A real broker and gfi-aggregator; gw-a sends a good batch every 0.2 s
(test_ingest_reject.Gateway) and each one's publish-to-stored time is
measured while `gfi-aggregator import` loads 300,000 rows of history for
another of gw-a's points. The import stages its rows in bounded
transactions and publishes them in one short one, so every batch is stored
within 1 s; the import is then whole (every row readable, its rollups
built), and readers never saw part of it. Before issue 18 the import held the write lock for its whole run
and batches waited for it."""
import subprocess
import threading
import time

import gfitest as g
import issue18

ROWS = 300000
T0 = 1420041600          # 2015-01-01 00:00 Asia/Shanghai


def visible(agg):
    """(readings, rollup count) of H1 as readers see them: pending imports
    filtered as the store's readers do (STORE_READING_PUBLISHED)."""
    # One statement, so both counts come from one snapshot: two queries
    # could straddle the import's publishing and see (0, all) by timing.
    n, c = agg.query(
        "SELECT (SELECT count(*) FROM readings r JOIN series s ON s.id = r.series "
        "WHERE s.meter = 'H1' AND (r.import_id = 0 OR r.import_id NOT IN "
        "(SELECT id FROM imports WHERE pending = 1))), "
        "(SELECT coalesce(sum(count), 0) FROM rollups r JOIN series s "
        "ON s.id = r.series WHERE s.meter = 'H1')")[0]
    return (n, c)


def main():
    with g.Procs() as P:
        agg, gws = issue18.city_with(P, ("gw-a",), [("E1", "import_kwh", "elec_import_kwh"),
                                                     ("H1", "kwh", "elec_import_kwh")])
        gw = gws["gw-a"]
        csv = P.path("history.csv")
        with open(csv, "w") as f:
            f.write("gateway,meter,point,time,value\n")
            for i in range(ROWS):
                f.write("gw-a,H1,kwh,%d,%d.25\n" % (T0 + 900 * i, i))
        gw.publish(gw.next_good())
        g.wait_for(lambda: agg.head("gw-a") == 1, 15, "first batch stored")

        result = {}

        def run_import():
            t = time.monotonic()
            result["p"] = subprocess.run([g.AGGREGATOR, "import", "--store", agg.store,
                                          "--csv", csv, "--by", "Zhang"],
                                         capture_output=True, text=True, timeout=600)
            result["s"] = time.monotonic() - t
        t = threading.Thread(target=run_import)
        t.start()
        waits, seen = [], set()
        while t.is_alive() or len(waits) < 5:
            waits.append(issue18.store_time(agg, gw))
            seen.add(visible(agg))
            time.sleep(0.2)
        t.join()
        p = result["p"]
        print("import took %.1f s; %d batches meanwhile, slowest stored after %.2f s"
              % (result["s"], len(waits), max(waits)), flush=True)
        g.ok(p.returncode == 0 and p.stdout.startswith("imported %d readings" % ROWS),
             "the import went through (%r %r)" % (p.stdout.strip(), p.stderr.strip()[:200]))
        g.ok(seen <= {(0, 0), (ROWS, ROWS)}, "readers saw the import whole or not at "
             "all: (readings, rollup count) of H1 seen %r" % sorted(seen))
        g.ok(max(waits) <= 1.0, "every batch stored within 1 s during the import "
             "(%d batches, slowest %.2f s)" % (len(waits), max(waits)))
        n = agg.query("SELECT count(*) FROM readings r JOIN series s ON s.id = r.series "
                      "WHERE s.meter = 'H1'")[0][0]
        days = agg.query("SELECT count(*), sum(count) FROM rollups r JOIN series s "
                         "ON s.id = r.series WHERE s.meter = 'H1'")[0]
        g.ok(n == ROWS and days[1] == ROWS,
             "the import is whole: %d readings, rollups over %d days count %d"
             % (n, days[0], days[1]))
        pending = agg.query("SELECT count(*) FROM imports WHERE pending = 1")[0][0]
        g.ok(pending == 0, "no import left pending (%d)" % pending)
        gw.close()
    g.finish("faults_import_ingest")


if __name__ == "__main__":
    main()

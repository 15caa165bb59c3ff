"""History import against a concurrent writer (issue 18): how long does
`gfi-aggregator import` of N rows (GFI_BENCH_IMPORT_ROWS, default
3,000,000: GFI_BENCH_IMPORT_POINTS points, default 30, at 15-minute
steps) keep another writer of the same store waiting?

While the import runs, a second connection commits one small write every
20 ms (BEGIN IMMEDIATE, an insert, COMMIT: the lock an ingest commit
takes) and each commit's latency is recorded. Printed: the import's wall
time and rows/s, the commits made meanwhile, their median, p99 and max
latency. The import stages in bounded transactions (docs/import.md), so
the max must stay under 1 s; the run fails otherwise."""
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

AGG = os.environ.get("GFI_AGGREGATOR", "gfi-aggregator")
ROWS = int(os.environ.get("GFI_BENCH_IMPORT_ROWS", "3000000"))
POINTS = int(os.environ.get("GFI_BENCH_IMPORT_POINTS", "30"))
T0 = 1420041600          # 2015-01-01 00:00 Asia/Shanghai
UNIT = "91350100M000100Y43"


def admin(store, *args):
    subprocess.run([AGG, "admin", "--store", store] + list(args), check=True,
                   capture_output=True)


def registry(tmp, store):
    key, pub = os.path.join(tmp, "gw.key"), os.path.join(tmp, "gw.pub")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                    "-out", key], check=True)
    subprocess.run(["openssl", "ec", "-in", key, "-pubout", "-out", pub], check=True,
                   capture_output=True)
    admin(store, "county", "add", "--code", "350102", "--name", "Gulou")
    admin(store, "unit", "add", "--code", UNIT, "--name", "Works", "--kind", "factory",
          "--county", "350102", "--level", "city", "--year", "2020", "--sector", "C3011")
    admin(store, "gateway", "add", "--id", "gw-a", "--unit", UNIT, "--pubkey", pub)
    for p in range(POINTS):
        admin(store, "meter", "add", "--gateway", "gw-a", "--meter", "M%d" % p, "--point",
              "kwh", "--quantity", "elec_import_kwh", "--role", "none",
              "--registered", "2024-12-01")


def write_csv(path):
    per = (ROWS + POINTS - 1) // POINTS
    n = 0
    with open(path, "w") as f:
        f.write("gateway,meter,point,time,value\n")
        for p in range(POINTS):
            for i in range(min(per, ROWS - n)):
                f.write("gw-a,M%d,kwh,%d,%d.5\n" % (p, T0 + 900 * i, i))
            n += min(per, ROWS - n)


def probe(store, stop, lat):
    con = sqlite3.connect(store, timeout=30, isolation_level=None)
    con.execute("CREATE TABLE IF NOT EXISTS bench_probe (t REAL)")
    while not stop.is_set():
        t = time.monotonic()
        con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT INTO bench_probe VALUES (?)", (t,))
        con.execute("COMMIT")
        lat.append(time.monotonic() - t)
        time.sleep(0.02)
    con.close()


def main():
    with tempfile.TemporaryDirectory(prefix="gfi-bench-import-") as tmp:
        store = os.path.join(tmp, "city.db")
        registry(tmp, store)
        csv = os.path.join(tmp, "history.csv")
        write_csv(csv)
        stop, lat = threading.Event(), []
        t = threading.Thread(target=probe, args=(store, stop, lat))
        t.start()
        t0 = time.monotonic()
        p = subprocess.run([AGG, "import", "--store", store, "--csv", csv, "--by", "bench"],
                           capture_output=True, text=True)
        took = time.monotonic() - t0
        stop.set()
        t.join()
        if p.returncode != 0 or not p.stdout.startswith("imported %d readings" % ROWS):
            print("import failed: %r %r" % (p.stdout, p.stderr))
            return 1
        lat.sort()
        print("import of %d rows (%d points): %.1f s, %.0f rows/s" % (ROWS, POINTS, took,
                                                                    ROWS / took))
        print("concurrent commits: %d, median %.1f ms, p99 %.1f ms, max %.1f ms"
              % (len(lat), 1000 * lat[len(lat) // 2], 1000 * lat[int(len(lat) * 0.99)],
                 1000 * lat[-1]))
        print("load average: %.2f" % os.getloadavg()[0])
        if lat[-1] > 1.0:
            print("FAIL: a concurrent commit waited %.2f s (> 1 s)" % lat[-1])
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

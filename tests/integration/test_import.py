"""Integration test of `gfi-aggregator import --csv` (docs/import.md).

The registry is built with `gfi-aggregator admin`: a factory with gateway
gw-a, an electricity counter E1/kwh, a production counter P1/t and a
retired point E2/kwh. The gateway "was installed" on 2024-12-01: its hourly
readings from then on are written straight into the store (as
test_report.py does). The factory's own history, January to November 2024,
hourly, is then imported from a CSV in the documented format.

Checked: the summary line and counts; the 2024 table's values (electricity
and output from the counters, across the import / gateway boundary) and its
provenance (mixed, with the imported share; per month imported or mixed);
a dry run, a re-import and every refused file leave the store's dump
unchanged; bad rows are named by line and field; --skip-bad imports only
the good rows; a spot check on imported history cannot judge.
"""
import csv
import io
import json
import os
import sqlite3
import subprocess

import gfitest
from gfitest import ok

AGG = os.environ.get("GFI_AGGREGATOR", "gfi-aggregator")
DATA = os.path.join(os.environ.get("GFI_TEST_DATA", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "data")), "import")
TZ = 8 * 3600
Y2024 = 1704038400            # 2024-01-01 00:00 Asia/Shanghai
DEC1 = 1732982400             # 2024-12-01 00:00 Asia/Shanghai
Y2025 = 1735660800            # 2025-01-01 00:00 Asia/Shanghai
FACTORY = gfitest.credit_code("91350100M000100Y4")
HIST_HOURS = (DEC1 - Y2024) // 3600 + 1        # 00:00 of Jan 1 .. Dec 1
GW_HOURS = (Y2025 - DEC1) // 3600              # Dec 1 01:00 .. Jan 1 00:00
SERIES = [("E1", "kwh", "elec_import_kwh", 1000.0, 103.7),
          ("P1", "t", "product_mass_t", 50.0, 1.37)]


def run(args, expect=0):
    p = subprocess.run([AGG] + args, capture_output=True, text=True)
    if p.returncode != expect:
        gfitest.check(False, "%s: rc %d (want %d): %s%s" % (
            " ".join(args[:3]), p.returncode, expect, p.stdout, p.stderr))
    return p


def admin(store, *args):
    return run(["admin", "--store", store] + list(args))


def build_registry(tmp, store):
    key, pub = os.path.join(tmp, "gw.key"), os.path.join(tmp, "gw.pub")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey",
                    "-noout", "-out", key], check=True)
    subprocess.run(["openssl", "ec", "-in", key, "-pubout", "-out", pub],
                   check=True, capture_output=True)
    admin(store, "county", "add", "--code", "350102", "--name", "鼓楼区")
    admin(store, "unit", "add", "--code", FACTORY, "--name", "榕城水泥",
          "--kind", "factory", "--county", "350102", "--level", "city",
          "--year", "2020", "--sector", "C3011")
    admin(store, "gateway", "add", "--id", "gw-a", "--unit", FACTORY,
          "--pubkey", pub)
    admin(store, "meter", "add", "--gateway", "gw-a", "--meter", "E1",
          "--point", "kwh", "--quantity", "elec_import_kwh", "--role",
          "elec_purchased", "--carrier", "electricity", "--accuracy", "1",
          "--registered", "2024-12-01")
    admin(store, "meter", "add", "--gateway", "gw-a", "--meter", "P1",
          "--point", "t", "--quantity", "product_mass_t", "--role",
          "production", "--product", "cement", "--product-unit", "t",
          "--registered", "2024-12-01")
    admin(store, "meter", "add", "--gateway", "gw-a", "--meter", "E2",
          "--point", "kwh", "--quantity", "elec_import_kwh", "--role",
          "submeter", "--registered", "2024-12-01")
    admin(store, "meter", "retire", "--gateway", "gw-a", "--meter", "E2",
          "--point", "kwh")


_TABLES = {}


def value(start, rate, h):
    """The counter after h hours from 2024-01-01 00:00, as the CSV prints it
    (3 decimals)."""
    key = (start, rate)
    if key not in _TABLES:
        v, t = start, []
        for i in range(367 * 24):
            t.append(float("%.3f" % v))
            v += rate * (1 + 0.1 * ((i * 7) % 5))
        _TABLES[key] = t
    return _TABLES[key][h]


def day_of(t):
    return (t + TZ) // 86400 * 86400 - TZ


def write_gateway_readings(store):
    """Hourly readings signed by the gateway from 2024-12-01 01:00 local
    through 2025-01-01 00:00, with rollups as ingest keeps them."""
    db = sqlite3.connect(store)
    for meter, point, quantity, start, rate in SERIES:
        sid = db.execute("INSERT INTO series (gateway, meter, point, quantity) "
                         "VALUES ('gw-a', ?, ?, ?)",
                         (meter, point, quantity)).lastrowid
        days = {}
        base = (DEC1 - Y2024) // 3600
        for k in range(1, GW_HOURS + 1):
            t = DEC1 + k * 3600
            v = value(start, rate, base + k)
            db.execute("INSERT INTO readings (series, time_s, value, status, "
                       "detail) VALUES (?, ?, ?, 0, 0)", (sid, t, v))
            days.setdefault(day_of(t), []).append((t, v))
        for d, rows in days.items():
            vals = [x[1] for x in rows]
            db.execute("INSERT INTO rollups (series, day_s, count, bad, first_s, "
                       "first_v, last_s, last_v, min_v, max_v, integral) VALUES "
                       "(?, ?, ?, 0, ?, ?, ?, ?, ?, ?, 0)",
                       (sid, d, len(rows), rows[0][0], rows[0][1], rows[-1][0],
                        rows[-1][1], min(vals), max(vals)))
    db.commit()
    db.close()


def write_history(path):
    """The factory's export: Jan 1 00:00 .. Dec 1 00:00 2024, local time."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("gateway,meter,point,time,value\n")
        values = {}
        for meter, point, _, start, rate in SERIES:
            v = start
            values[meter] = []
            for i in range(HIST_HOURS):
                values[meter].append("%.3f" % v)
                v += rate * (1 + 0.1 * ((i * 7) % 5))
        for h in range(HIST_HOURS):
            t = Y2024 + h * 3600 + TZ
            when = "%04d-%02d-%02d %02d:00" % gmtime_ymdh(t)
            for meter, point, _, _, _ in SERIES:
                f.write("gw-a,%s,%s,%s,%s\n" % (meter, point, when,
                                                  values[meter][h]))


def gmtime_ymdh(t):
    import time
    g = time.gmtime(t)
    return (g.tm_year, g.tm_mon, g.tm_mday, g.tm_hour)


def dump(store):
    """Every row of every table, canonically ordered."""
    db = sqlite3.connect(store)
    out = []
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = "
                              "'table' ORDER BY name"):
        rows = db.execute('SELECT * FROM "%s"' % name).fetchall()
        out.append((name, sorted(repr(r) for r in rows)))
    db.close()
    return out


def counts(store):
    return json.loads(run(["counts", "--store", store]).stdout)


def report(tmp, store, fmt):
    path = os.path.join(tmp, "t2024." + fmt)
    run(["report", "--store", store, "--year", "2024", "--format", fmt,
         "--out", path])
    with open(path, "rb") as f:
        return f.read()


def indicators(store, month=None):
    args = ["indicators", "--store", store, "--unit", FACTORY, "--year", "2024",
            "--json"]
    if month:
        args += ["--month", str(month)]
    d = json.loads(run(args).stdout)
    d["by_key"] = d["indicators"]   # {key: indicator}, as the API writes it
    return d


def near(a, b):
    return a is not None and abs(a - b) <= 1e-9 * max(1.0, abs(b))


def check_history(tmp, store):
    hist = os.path.join(tmp, "history-2024.csv")
    write_history(hist)
    before = dump(store)
    ok(json.loads(report(tmp, store, "json"))["units"][0]["provenance"] ==
       "measured", "before the import 2024 rests on gateway readings only")

    p = run(["import", "--store", store, "--csv", hist, "--by", "Zhang",
             "--dry-run"])
    n = 2 * HIST_HOURS
    ok(p.stdout.strip() == "dry run: would import %d readings from "
       "history-2024.csv (0 bad rows skipped, 0 already present)" % n,
       "dry run: " + p.stdout + p.stderr)
    ok(dump(store) == before, "a dry run changes nothing")

    c0 = counts(store)
    p = run(["import", "--store", store, "--csv", hist, "--by", "Zhang"])
    ok(p.stdout.strip() == "imported %d readings from history-2024.csv as "
       "import 1 (0 bad rows skipped, 0 already present)" % n,
       "summary line: " + p.stdout + p.stderr)
    c1 = counts(store)
    ok(c1["readings"] - c0["readings"] == n, "readings stored: %d" % (
        c1["readings"] - c0["readings"]))
    ok(c1["batches"] == c0["batches"], "an import adds no batch")
    db = sqlite3.connect(store)
    imp = db.execute("SELECT file, rows, inserted, present, skipped, by, "
                     "length(sha256) FROM imports").fetchall()
    marked = db.execute("SELECT count(*) FROM readings WHERE import_id = 1"
                        ).fetchone()[0]
    dec1 = db.execute("SELECT r.count FROM rollups r JOIN series s ON "
                      "s.id = r.series WHERE s.meter = 'E1' AND r.day_s = ?",
                      (DEC1,)).fetchone()[0]
    db.close()
    ok(imp == [("history-2024.csv", n, n, 0, 0, "Zhang", 64)],
       "the import is recorded: %r" % imp)
    ok(marked == n, "every imported reading carries the import's id")
    ok(dec1 == 24, "the day shared with the gateway is rolled up whole: %d" % dec1)

    # The year's table: counters across the import / gateway boundary.
    doc = json.loads(report(tmp, store, "json"))
    u = doc["units"][0]
    e = u["indicators"]["elec_kwh"]["value"]
    out = u["indicators"]["output"]["value"]
    ok(near(e, value(1000.0, 103.7, 366 * 24) - 1000.0),
       "2024 electricity from imported + signed readings: %r" % e)
    ok(near(out, value(50.0, 1.37, 366 * 24) - 50.0), "2024 output: %r" % out)
    share = HIST_HOURS / (366 * 24)
    ok(u["provenance"] == "mixed" and near(u["imported_share"], share),
       "provenance mixed, imported share %r (want %r)" % (
           u["imported_share"], share))
    ok("含导入历史数据" in u["data_quality"], "the data-quality note says so: " +
       u["data_quality"])
    rows = list(csv.reader(io.StringIO(report(tmp, store, "csv")[3:].decode(
        "utf-8"), newline="")))
    head = rows[0]
    pcol = next(i for i, h in enumerate(head) if h.startswith("数据来源"))
    scol = next(i for i, h in enumerate(head) if h.startswith("导入数据占比"))
    ok(rows[1][pcol] == "mixed" and near(float(rows[1][scol]), share * 100),
       "CSV provenance columns: %s %s" % (rows[1][pcol], rows[1][scol]))
    ok(len(rows) == 3 and "含导入历史数据" in rows[2][0],
       "CSV note line under the table: %r" % rows[-1])
    ok(report(tmp, store, "xlsx")[:2] == b"PK", "the XLSX is written too")

    jan, dec = indicators(store, 1), indicators(store, 12)
    ok(jan["provenance"] == "imported" and jan["imported_share"] == 1,
       "January 2024 rests on imported history only")
    ok(jan["by_key"]["elec_kwh"]["provenance"] == "imported",
       "January electricity is marked imported")
    ok(dec["provenance"] == "mixed" and 0 < dec["imported_share"] < 0.01,
       "December 2024: mixed (%r)" % dec["imported_share"])
    return hist


def check_reimport(store, hist):
    before = dump(store)
    p = run(["import", "--store", store, "--csv", hist, "--by", "Zhang"])
    ok(p.stdout.strip() == "imported 0 readings from history-2024.csv (0 bad "
       "rows skipped, %d already present)" % (2 * HIST_HOURS),
       "re-import: " + p.stdout + p.stderr)
    ok(dump(store) == before, "re-importing the same file changes nothing")


def check_bad_rows(tmp, store):
    bad = os.path.join(DATA, "sample-bad.csv")
    before = dump(store)
    p = run(["import", "--store", store, "--csv", bad, "--by", "Zhang"],
            expect=2)
    want = [
        "sample-bad.csv:3: point: E9/kwh is not registered on gateway gw-a",
        "sample-bad.csv:4: value: \"12,5\" is not a decimal number",
        "sample-bad.csv:5: time: same gateway, meter, point and time as line 2",
        "sample-bad.csv:6: point: E2/kwh on gateway gw-a is retired",
        "sample-bad.csv:7: time: collides with a stored reading (value %.15g, "
        "ok) signed by the gateway" % value(
            1000.0, 103.7, (DEC1 + 14 * 86400 + 10 * 3600 - Y2024) // 3600),
        "nothing imported: 5 bad rows of 7 (give --skip-bad to import the "
        "good rows)",
    ]
    got = p.stderr.splitlines()
    ok(got == want, "bad rows by line and field:\n" + p.stderr)
    ok(p.stdout == "", "no summary on stdout when refused")
    ok(dump(store) == before, "a file with bad rows imports nothing")

    c0 = counts(store)
    p = run(["import", "--store", store, "--csv", bad, "--by", "Zhang",
             "--skip-bad"])
    ok(p.stdout.strip() == "imported 2 readings from sample-bad.csv as import "
       "2 (5 bad rows skipped, 0 already present)", "skip-bad: " + p.stdout)
    ok(p.stderr.splitlines() == want[:5], "skip-bad still names the bad rows")
    ok(counts(store)["readings"] - c0["readings"] == 2, "only the good rows")

    # Only the first 20 errors are printed, then how many more.
    many = os.path.join(tmp, "many.csv")
    with open(many, "w") as f:
        f.write("gateway,meter,point,time,value\n")
        for i in range(25):
            f.write("gw-a,E1,kwh,2023-06-01 00:%02d,x\n" % i)
    p = run(["import", "--store", store, "--csv", many, "--by", "Zhang"],
            expect=2)
    lines = p.stderr.splitlines()
    ok(len(lines) == 22 and lines[0].startswith("many.csv:2: value:") and
       lines[19].startswith("many.csv:21: value:") and
       lines[20] == "... 5 more", "errors capped at 20: %r" % lines[18:])

    # The whole file refused: an unknown column.
    path = os.path.join(tmp, "cols.csv")
    with open(path, "w") as f:
        f.write("gateway,meter,point,time,value,kvar\ngw-a,E1,kwh,"
                "2023-06-01 00:00,1,2\n")
    before = dump(store)
    p = run(["import", "--store", store, "--csv", path, "--by", "Zhang",
             "--skip-bad"], expect=2)
    ok(p.stderr.startswith("cols.csv:1: header: unknown column \"kvar\""),
       "unknown column named: " + p.stderr)
    with open(path, "wb") as f:
        f.write(b"gateway,meter,point,time,value\ngw-a,E1,kwh,2023-06-01 "
                b"00:00,1\x00\n")
    p = run(["import", "--store", store, "--csv", path, "--by", "Zhang"],
            expect=2)
    ok(p.stderr.startswith("cols.csv:2: record: NUL byte"), "NUL refused: " +
       p.stderr)
    ok(dump(store) == before, "refused files change nothing")


def check_sample(store):
    """The documented example: BOM, CRLF, quotes, unit and status columns,
    local, T, Z, +08:00 and epoch times."""
    p = run(["import", "--store", store, "--csv", os.path.join(DATA,
             "sample.csv"), "--by", "Zhang"])
    ok(p.stdout.strip() == "imported 6 readings from sample.csv as import 3 "
       "(0 bad rows skipped, 0 already present)", "sample: " + p.stdout +
       p.stderr)
    db = sqlite3.connect(store)
    got = db.execute("SELECT r.time_s, r.value, r.status FROM readings r JOIN "
                     "series s ON s.id = r.series WHERE s.meter = 'E1' AND "
                     "r.import_id = 3 ORDER BY r.time_s").fetchall()
    db.close()
    t0 = 1698768000   # 2023-11-01 00:00 local
    ok(got == [(t0, 500.0, 0), (t0 + 3600, 503.25, 0), (t0 + 7200, 506.5, 0),
               (t0 + 10800, None, 1)], "sample times and values: %r" % got)


def check_refusals(tmp, store):
    p = run(["import", "--store", store, "--csv", "x.csv"], expect=2)
    ok(p.stderr.strip() == "--by: missing", "--by required: " + p.stderr)
    missing = os.path.join(tmp, "no.db")
    p = run(["import", "--store", missing, "--csv", os.path.join(DATA,
             "sample.csv"), "--by", "x"], expect=2)
    ok(p.stderr.startswith("--store:") and not os.path.exists(missing),
       "a mistyped store is not created: " + p.stderr)
    p = run(["import", "--store", store, "--csv", os.path.join(tmp, "none.csv"),
             "--by", "x"], expect=2)
    ok(p.stderr.startswith("--csv: cannot open"), "missing file: " + p.stderr)


def check_spotcheck(store):
    p = run(["spotcheck", "--store", store, "--meter", "gw-a/E1/kwh", "--at",
             "2024-06-01 00:30", "--reading", "1000", "--inspector", "Li Wei"])
    ok("verdict: cannot_judge" in p.stdout and "imported history" in p.stdout
       and "chain_ok: 0" in p.stdout,
       "a spot check on imported history cannot judge: " + p.stdout)


def http_get(base, path, token):
    import urllib.error
    import urllib.request
    r = urllib.request.Request(base + path, headers={
        "Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, None


def check_api(procs, store):
    """The API says which figures rest on imported history and lists the
    imports to city tokens only."""
    city = run(["token", "add", "--store", store, "--role", "city", "--name",
                "city-ops"]).stdout.strip().split()[-1]
    unit = run(["token", "add", "--store", store, "--role", "unit", "--scope",
                FACTORY, "--name", "factory"]).stdout.strip().split()[-1]
    port = gfitest.free_port()
    cfg = os.path.join(procs.tmp, "agg.json")
    with open(cfg, "w") as f:
        json.dump({"store": store, "log_level": "warning",
                   "http": {"bind": "127.0.0.1", "port": port}}, f)
    procs.start([AGG, "http", "--config", cfg], "http.log")
    base = "http://127.0.0.1:%d" % port

    def up():
        try:
            return http_get(base, "/api/v1/health", "")[0] == 200
        except OSError:
            return False
    gfitest.wait_for(up, 20, "the http server")
    st, d = http_get(base, "/api/v1/units/%s/indicators?year=2024" % FACTORY,
                     unit)
    ok(st == 200 and d["provenance"] == "mixed" and
       near(d["imported_share"], HIST_HOURS / (366 * 24)) and
       d["imported_readings"] == 2 * HIST_HOURS,
       "API indicators carry the provenance: %r" % (
           d and {k: d[k] for k in d if k != "indicators"}))
    st, d = http_get(base, "/api/v1/units/%s/indicators/monthly?year=2024" %
                     FACTORY, unit)
    ok(st == 200 and [m["provenance"] for m in d["months"]] ==
       ["imported"] * 11 + ["mixed"], "monthly provenance")
    st, d = http_get(base, "/api/v1/imports", city)
    ok(st == 200 and [(i["id"], i["file"], i["inserted"], i["by"])
                      for i in d["imports"]] ==
       [(1, "history-2024.csv", 2 * HIST_HOURS, "Zhang"),
        (2, "sample-bad.csv", 2, "Zhang"), (3, "sample.csv", 6, "Zhang")],
       "GET /api/v1/imports lists them: %r" % d)
    st, _ = http_get(base, "/api/v1/imports", unit)
    ok(st == 404, "a unit token does not see the imports: %d" % st)


def main():
    with gfitest.Procs() as procs:
        store = os.path.join(procs.tmp, "city.db")
        build_registry(procs.tmp, store)
        write_gateway_readings(store)
        hist = check_history(procs.tmp, store)
        check_reimport(store, hist)
        check_bad_rows(procs.tmp, store)
        check_sample(store)
        check_refusals(procs.tmp, store)
        check_spotcheck(store)
        check_api(procs, store)
    gfitest.finish("import")


if __name__ == "__main__":
    main()

"""Integration test of the yearly table, filings, alerts and spot checks
through the gfi-aggregator command line (acceptance 3).

The registry is built with `gfi-aggregator admin` (three units: a factory, a
park holding it, a supply-chain enterprise; a gateway with a real P-256 key;
an electricity and a production counter; manual facts). A year of hourly
counter readings is then written straight into the store's series, readings
and rollups tables, rollups computed exactly as ingest keeps them (count,
first/last, min/max, integral 0 for counters): the report is about tables,
not transport, which the ingest tests cover.

Acceptance 3: the XLSX opens in another program (openpyxl) and every cell
carries the same number as the CSV and the JSON.
"""
import csv
import io
import json
import math
import os
import sqlite3
import subprocess
import time

import gfitest
from gfitest import signed as signing
from gfitest import ok

AGG = os.environ.get("GFI_AGGREGATOR", "gfi-aggregator")
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
TZ = 8 * 3600
DAY0 = 1735574400          # 2024-12-31 00:00 Asia/Shanghai
HOURS = (365 + 2) * 24     # through 2026-01-01 23:00


def credit_code(body17):
    """A unified social credit code with its GB 32100 check character."""
    s = sum(ALPHABET.index(c) * w for c, w in zip(body17, WEIGHTS))
    c = 31 - s % 31
    return body17 + ALPHABET[0 if c == 31 else c]


FACTORY = credit_code("91350100M000100Y4")
PARK = credit_code("12350100MB0000010")
CHAIN = credit_code("91350100MA0000020")


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
    admin(store, "county", "add", "--code", "350104", "--name", "仓山区")
    admin(store, "unit", "add", "--code", FACTORY, "--name", "榕城水泥, \"一厂\"",
          "--kind", "factory", "--county", "350102", "--level", "city",
          "--year", "2020", "--sector", "C3011")
    admin(store, "unit", "add", "--code", PARK, "--name", "闽江工业园区",
          "--kind", "park", "--county", "350102", "--level", "provincial",
          "--year", "2021")
    admin(store, "unit", "add", "--code", CHAIN, "--name", "海峡供应链",
          "--kind", "supply_chain", "--county", "350104", "--level",
          "national", "--year", "2022")
    admin(store, "member", "add", "--park", PARK, "--member", FACTORY)
    admin(store, "gateway", "add", "--id", "gw-a", "--unit", FACTORY,
          "--pubkey", pub)
    admin(store, "meter", "add", "--gateway", "gw-a", "--meter", "E1",
          "--point", "kwh", "--quantity", "elec_import_kwh", "--role",
          "elec_purchased", "--carrier", "electricity", "--accuracy", "1",
          "--registered", "2024-01-01")
    admin(store, "meter", "add", "--gateway", "gw-a", "--meter", "P1",
          "--point", "t", "--quantity", "product_mass_t", "--role",
          "production", "--product", "cement", "--product-unit", "t",
          "--registered", "2024-01-01")
    for unit, key_, value in [
            (FACTORY, "output_value_10k_cny", "12345.678"),
            (FACTORY, "value_added_10k_cny", "3456.789"),
            (FACTORY, "solid_waste_generated_t", "812.5"),
            (FACTORY, "solid_waste_used_t", "777.25"),
            (FACTORY, "land_area_m2", "98765.4"),
            (FACTORY, "floor_area_m2", "123456.7"),
            (FACTORY, "building_footprint_m2", "45678.9"),
            (CHAIN, "output_value_10k_cny", "999.9")]:
        admin(store, "fact", "set", "--unit", unit, "--year", "2025", "--key",
              key_, "--value", value, "--by", "Zhang")


def day_of(t):
    return (t + TZ) // 86400 * 86400 - TZ


def write_readings(store):
    """Hourly counters for the year, with rollups as ingest keeps them."""
    db = sqlite3.connect(store)
    series = [("E1", "kwh", "elec_import_kwh", 1000.0, 103.7),
              ("P1", "t", "product_mass_t", 50.0, 1.37)]
    signed = {}   # day -> the readings of its signed batch
    for meter, point, quantity, v, rate in series:
        cur = db.execute("INSERT INTO series (gateway, meter, point, quantity) "
                         "VALUES ('gw-a', ?, ?, ?)", (meter, point, quantity))
        sid = cur.lastrowid
        days = {}
        for h in range(HOURS):
            t = DAY0 + h * 3600
            v += rate * (1 + 0.1 * ((h * 7) % 5))
            db.execute("INSERT INTO readings (series, time_s, value, status, "
                       "detail) VALUES (?, ?, ?, 0, 0)", (sid, t, v))
            days.setdefault(day_of(t), []).append((t, v))
            signed.setdefault(day_of(t), []).append((meter, point, quantity, t, v))
        for d, rows in days.items():
            vals = [x[1] for x in rows]
            db.execute("INSERT INTO rollups (series, day_s, count, bad, first_s, "
                       "first_v, last_s, last_v, min_v, max_v, integral) VALUES "
                       "(?, ?, ?, 0, ?, ?, ?, ?, ?, ?, 0)",
                       (sid, d, len(rows), rows[0][0], rows[0][1], rows[-1][0],
                        rows[-1][1], min(vals), max(vals)))
    # A signed batch a day holds them, so that spot checks can trust them;
    # received at registration, so the gateway's silence is as without.
    signing.write_batches(db, "gw-a", os.path.join(os.path.dirname(store), "gw.key"),
                                [signed[d] for d in sorted(signed)], DAY0)
    # Registered long before the evaluation clock below, so its silence
    # does not depend on the day the test runs.
    db.execute("UPDATE gateways SET registered_s = ? WHERE id = 'gw-a'",
               (DAY0,))
    db.commit()
    db.close()


def read_csv(path):
    with open(path, "rb") as f:
        raw = f.read()
    ok(raw.startswith(b"\xef\xbb\xbf"), "CSV starts with a UTF-8 BOM")
    ok(b"\r\n" in raw, "CSV lines end in CRLF (RFC 4180)")
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


def same(a, b):
    """The same number: equal when printed with 15 significant digits."""
    return "%.15g" % a == "%.15g" % b


def compare_formats(csv_rows, doc, xlsx_rows):
    import_ok = True
    header = csv_rows[0]
    ok(len(header) == len(xlsx_rows[0]), "CSV and XLSX have the same columns")
    ok([str(h) for h in xlsx_rows[0]] == header, "CSV and XLSX headers are equal")
    ok(any("综合能耗" in h and "[tce]" in h for h in header),
       "headers carry the Chinese name and the unit")
    ok(len(csv_rows) - 1 == len(doc["units"]) == len(xlsx_rows) - 1,
       "one row per unit in every format")
    keys = None
    numbers = 0
    for r, unit in enumerate(doc["units"]):
        crow, xrow = csv_rows[r + 1], xlsx_rows[r + 1]
        ok(crow[0] == unit["code"] == xrow[0], "row %d: the same unit" % r)
        ok(crow[1] == unit["name"] == xrow[1], "row %d: the same name" % r)
        keys = list(unit["indicators"].keys())
        for i, k in enumerate(keys):
            col = 6 + i
            jv = unit["indicators"][k]["value"]
            cv, xv = crow[col], xrow[col]
            if jv is None:
                import_ok &= ok(cv == "" and xv is None,
                                "%s %s: empty everywhere" % (unit["code"], k))
                continue
            numbers += 1
            import_ok &= ok(isinstance(xv, (int, float)),
                            "%s %s: XLSX cell is numeric" % (unit["code"], k))
            import_ok &= ok(same(float(cv), jv) and same(float(xv), jv),
                            "%s %s: csv %s xlsx %r json %r" % (
                                unit["code"], k, cv, xv, jv))
        ok(crow[-1] == unit["data_quality"] == xrow[-1],
           "row %d: the same data-quality note" % r)
    ok(numbers >= 10, "the table holds numbers to compare (%d)" % numbers)
    return import_ok


def check_report(tmp, store):
    out = {f: os.path.join(tmp, "t2025." + f) for f in ("csv", "json", "xlsx")}
    for f, path in out.items():
        p = run(["report", "--store", store, "--year", "2025", "--format", f,
                 "--out", path])
        ok(p.returncode == 0 and os.path.exists(path), "report --format " + f)
    with open(out["json"], encoding="utf-8") as f:
        doc = json.load(f)
    ok(doc["year"] == 2025, "JSON carries the year")
    codes = [u["code"] for u in doc["units"]]
    ok(sorted(codes) == sorted([FACTORY, PARK, CHAIN]), "every listed unit")
    fac = next(u for u in doc["units"] if u["code"] == FACTORY)
    ok(fac["kind"] == "factory" and fac["county"] == "350102" and
       fac["level"] == "city", "registry fields of the factory")
    e = fac["indicators"].get("energy_equiv_tce", {})
    ok(isinstance(e.get("value"), float) and e["value"] > 0 and
       e.get("unit") == "tce" and e.get("provenance") in ("metered", "derived"),
       "the factory's energy is metered: %r" % e)
    ok(set(e) >= {"value", "unit", "completeness", "provenance", "estimated",
                  "yoy_pct"}, "indicator objects carry their fields")
    ok("completeness" in fac["data_quality"], "data quality names completeness")
    import openpyxl
    wb = openpyxl.load_workbook(out["xlsx"])
    ws = wb.active
    ok(ws.title == "2025", "the sheet is named for the year")
    ok(ws.freeze_panes not in (None, "A1"), "panes are frozen")
    ok(ws.cell(1, 1).font.b, "the header row is bold")
    xlsx_rows = [list(r) for r in ws.iter_rows(values_only=True)]
    compare_formats(read_csv(out["csv"]), doc, xlsx_rows)

    # Filters: one unit, one county.
    one = os.path.join(tmp, "one.json")
    run(["report", "--store", store, "--year", "2025", "--unit", CHAIN,
         "--format", "json", "--out", one])
    with open(one, encoding="utf-8") as f:
        ok([u["code"] for u in json.load(f)["units"]] == [CHAIN], "--unit filter")
    run(["report", "--store", store, "--year", "2025", "--county", "350102",
         "--format", "json", "--out", one])
    with open(one, encoding="utf-8") as f:
        ok(sorted(u["code"] for u in json.load(f)["units"]) ==
           sorted([FACTORY, PARK]), "--county filter")


def check_xlsx_reproducible(tmp, store):
    """The same data gives the same XLSX bytes: two writes a second apart
    (now pinned by --now, the wall clock moved on) are equal, and the
    document's created time is the year's end (2026-01-01 00:00 +08:00),
    not the moment of writing."""
    import zipfile
    paths = [os.path.join(tmp, "same%d.xlsx" % i) for i in (1, 2)]
    for i, path in enumerate(paths):
        if i:
            time.sleep(1.1)   # a later wall-clock second must not show
        p = run(["report", "--store", store, "--year", "2025", "--format", "xlsx",
                 "--out", path, "--now", "2026-03-01 09:00"])
        ok(p.returncode == 0, "report --format xlsx --now (%d)" % i)
    with open(paths[0], "rb") as a, open(paths[1], "rb") as b:
        first, second = a.read(), b.read()
    ok(len(first) > 1000 and first == second,
       "the same data gives the same XLSX bytes (%d and %d bytes)" % (len(first), len(second)))
    with zipfile.ZipFile(paths[0]) as z:
        core = z.read("docProps/core.xml").decode("utf-8")
    ok("2025-12-31T16:00:00Z" in core, "created is the year's end: %s" % core[-300:])


def check_refusals(tmp, store):
    out = os.path.join(tmp, "x.csv")
    cases = [
        (["--year", "1999", "--format", "csv"], "--year: 1999 out of range"),
        (["--year", "2025", "--format", "pdf"], "--format: pdf is not"),
        (["--year", "2025", "--format", "csv", "--unit", "123"], "--unit:"),
        (["--year", "2025", "--format", "csv", "--colour", "red"],
         "--colour: unknown option"),
        (["--format", "csv"], "--year: missing"),
    ]
    for args, want in cases:
        p = run(["report", "--store", store, "--out", out] + args, expect=2)
        ok(p.stderr.startswith(want) and p.stderr.count("\n") == 1,
           "refusal %r: %r" % (want, p.stderr))
    p = run(["report", "--store", os.path.join(tmp, "nope.db"), "--year",
             "2025", "--format", "csv", "--out", out], expect=2)
    ok(p.stderr.startswith("--store:") and
       not os.path.exists(os.path.join(tmp, "nope.db")),
       "a missing store is refused, not created")
    ok(not os.path.exists(out), "no partial output after refusals")


def check_filing_and_alerts(tmp, store):
    p = run(["filing", "--store", store, "--unit", FACTORY, "--year", "2024",
             "--by", "Zhang"])
    ok(p.stdout.startswith("filed:"), "filing recorded")
    run(["filing", "--store", store, "--unit", credit_code("91350100M00009999"),
         "--year", "2024", "--by", "Zhang"], expect=2)
    rules = os.path.join(tmp, "rules.json")
    with open(rules, "w") as f:
        json.dump({"threshold_pct": 5, "max_silence_s": 3600,
                   "sector_limits": [{"sector": "C3011",
                                      "indicator": "energy_equiv_tce",
                                      "max": 1}]}, f)
    now = "2026-05-01"
    p = run(["alerts", "evaluate", "--store", store, "--rules", rules,
             "--now", now])
    ok(p.stdout.startswith("evaluated: units=3"), "alerts evaluate: " + p.stdout)
    p = run(["alerts", "--store", store, "--state", "open", "--json"])
    alerts = [json.loads(line) for line in p.stdout.splitlines()]
    rules_seen = {(a["unit"], a["rule"]) for a in alerts}
    ok((FACTORY, "gateway_silent") in rules_seen, "silent gateway alert")
    ok((FACTORY, "table_missing") in rules_seen and
       (PARK, "table_missing") in rules_seen, "missing 2025 tables alerted")
    ok((FACTORY, "sector_limit") in rules_seen, "sector limit alert")
    p2 = run(["alerts", "evaluate", "--store", store, "--rules", rules,
              "--now", now])
    ok(" new=0 " in p2.stdout, "re-evaluation adds nothing: " + p2.stdout)
    p = run(["alerts", "--store", store, "--county", "350104", "--json"])
    ok(all(json.loads(line)["unit"] == CHAIN for line in p.stdout.splitlines()),
       "alerts listed by county")
    aid = str(alerts[0]["id"])
    run(["alert", "ack", "--store", store, "--id", aid, "--by", "Li Wei"])
    p = run(["alerts", "--store", store, "--state", "acknowledged", "--json"])
    acked = [json.loads(line) for line in p.stdout.splitlines()]
    ok(len(acked) == 1 and acked[0]["changed_by"] == "Li Wei", "ack records who")
    p = run(["alert", "resolve", "--store", store, "--id", "99999", "--by", "x"],
            expect=2)
    ok(p.stderr.startswith("--id:"), "unknown alert refused")
    with open(rules, "w") as f:
        f.write('{"threshold_pct": "5"}')
    p = run(["alerts", "evaluate", "--store", store, "--rules", rules], expect=2)
    ok("threshold_pct" in p.stderr, "bad rules name the field: " + p.stderr)


def check_spotcheck(store):
    # The readings are hourly from DAY0; 2025-06-01 00:30 lies between two.
    p = run(["spotcheck", "--store", store, "--meter", "gw-a/E1/kwh", "--at",
             "2025-06-01 00:30", "--reading", "1", "--inspector", "Li Wei"])
    ok("verdict: inconsistent" in p.stdout, "a far-off display reading: " + p.stdout)
    p = run(["spotcheck", "--store", store, "--gateway", "gw-a", "--meter",
             "E1", "--point", "kwh", "--at", "2020-01-01", "--reading", "1",
             "--inspector", "Li Wei", "--note", "display dim"])
    ok("verdict: cannot_judge" in p.stdout and "no readings around" in p.stdout,
       "no readings around the time: " + p.stdout)
    p = run(["spotcheck", "--store", store, "--meter", "gw-a/E9/kwh", "--at",
             "2025-06-01", "--reading", "1", "--inspector", "x"], expect=2)
    ok(p.stderr.startswith("--meter:"), "unknown point refused")
    p = run(["spotcheck", "--store", store, "--meter", "gw-a/E1/kwh", "--at",
             "2025-06-01", "--reading", "-3", "--inspector", "x"], expect=2)
    ok(p.stderr.startswith("--reading:"), "negative reading refused")
    p = run(["spotchecks", "--store", store, "--meter", "gw-a/E1/kwh"])
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    ok(len(rows) == 2 and rows[1]["note"] == "display dim",
       "spot checks listed")


def check_http_now(procs, store):
    """`gfi-aggregator http --now` answers as of the pinned instant: an alert
    acknowledged through the API records that instant, not the clock."""
    from test_http_api import Client
    token = run(["token", "add", "--store", store, "--role", "city", "--name",
                 "ops-now"]).stdout.strip()
    p = run(["alerts", "--store", store, "--state", "open", "--json"])
    opened = [json.loads(line) for line in p.stdout.splitlines()]
    ok(len(opened) > 0, "an open alert to acknowledge")
    pinned = 1777680000    # 2026-05-02 08:00 Asia/Shanghai
    port = gfitest.free_port()
    cfg = procs.write_json("http-now.json", {
        "store": store, "http": {"bind": "127.0.0.1", "port": port}})
    procs.start([AGG, "http", "--config", cfg, "--now", "2026-05-02 08:00"],
                "http-now.log")
    c = Client(port)

    def up():
        try:
            return c.req("/api/v1/health")[0] == 200
        except OSError:
            return False
    gfitest.wait_for(up, 20, "the http server")
    st, d = c.json("/api/v1/alerts/%d/ack" % opened[0]["id"], token, "POST", {})
    ok(st == 200, "alert acknowledged through the API: %s" % d)
    p = run(["alerts", "--store", store, "--state", "acknowledged", "--json"])
    got = [json.loads(line) for line in p.stdout.splitlines()
           if json.loads(line)["id"] == opened[0]["id"]]
    ok(len(got) == 1 and got[0]["changed_s"] == pinned,
       "the API's now is the pinned --now: %s" % got)


def main():
    with gfitest.Procs() as procs:
        store = os.path.join(procs.tmp, "city.db")
        build_registry(procs.tmp, store)
        write_readings(store)
        check_report(procs.tmp, store)
        check_xlsx_reproducible(procs.tmp, store)
        check_refusals(procs.tmp, store)
        check_filing_and_alerts(procs.tmp, store)
        check_spotcheck(store)
        check_http_now(procs, store)
    gfitest.finish("report")


if __name__ == "__main__":
    main()

"""Integration test of periods in progress and missing inputs (issue 14 A).

Golden values come from a plain Python model (stdlib datetime in UTC+8),
never from gfi's code. Stores are built with `gfi-aggregator admin` and
`gfi-aggregator import` (docs/import.md), then read with `indicators
--json --now`.

1. A year and a month in progress, on ten pinned nows (Asia/Shanghai):
   a factory whose one electricity counter runs at a constant 60 kWh/h
   (1 kWh a minute), read every hour from the start of the year before
   and once more at now (its readings complete up to now). The period is
   measured to now: elec_kwh = 60 x the hours elapsed, completeness 100 %,
   year-on-year 0 (the same elapsed span from the prior start) within
   1e-9, and the label names the day ("同比(截至12月7日)").
2. The silent-carrier month: electricity keeps running while gas, steam,
   PV and the production counter stay silent from 2026-06-01. With now in
   June, 综合能耗 is estimated with a reason naming each silent meter and
   its carrier, has no year-on-year change, and no silent meter is
   counted as `metered`; the plain table and the yearly table's note name
   them too. When they come back on July 1, June is still
   estimated (its readings are a silence spanned), `alerts evaluate`
   raises a missing_input alert per silent point for 2026-06 and no rule
   reads the silence as a change of an energy indicator.
"""
import datetime
import json
import os
import subprocess

import gfitest
from gfitest import ok

AGG = os.environ.get("GFI_AGGREGATOR", "gfi-aggregator")
CST = datetime.timezone(datetime.timedelta(hours=8))
FACTORY = gfitest.credit_code("91350100M000140Y4")
RATE_KWH_H = 60.0

# Ten nows: Jan 1 00:30, Feb 29 12:00 of a leap year, Mar 1 00:30 (leap),
# Jun 30 23:59, Dec 31 23:30, a month's first hour, 2026-12-07, the last
# half hour of a leap year, Mar 1 after a leap February, an ordinary day.
NOWS = [(2025, 1, 1, 0, 30), (2024, 2, 29, 12, 0), (2024, 3, 1, 0, 30),
        (2026, 6, 30, 23, 59), (2026, 12, 31, 23, 30), (2026, 7, 1, 0, 15),
        (2026, 12, 7, 10, 0), (2024, 12, 31, 23, 30), (2025, 3, 1, 0, 30),
        (2025, 11, 15, 8, 20)]


def run(args, expect=0):
    p = subprocess.run([AGG] + args, capture_output=True, text=True)
    gfitest.check(p.returncode == expect, "%s: rc %d (want %d): %s%s" % (
        " ".join(args[:4]), p.returncode, expect, p.stdout, p.stderr))
    return p


def admin(store, *args):
    return run(["admin", "--store", store] + list(args))


def make_key(tmp):
    key, pub = os.path.join(tmp, "gw.key"), os.path.join(tmp, "gw.pub")
    if not os.path.exists(pub):
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey",
                        "-noout", "-out", key], check=True)
        subprocess.run(["openssl", "ec", "-in", key, "-pubout", "-out", pub],
                       check=True, capture_output=True)
    return pub


def registry(tmp, store, meters):
    """The factory, gateway gw-a and meters [(meter, point, quantity, role,
    carrier, extra args)]."""
    admin(store, "county", "add", "--code", "350102", "--name", "鼓楼区")
    admin(store, "unit", "add", "--code", FACTORY, "--name", "恒速机械",
          "--kind", "factory", "--county", "350102", "--level", "city",
          "--year", "2020")
    admin(store, "gateway", "add", "--id", "gw-a", "--unit", FACTORY,
          "--pubkey", make_key(tmp))
    for meter, point, quantity, role, carrier, extra in meters:
        args = ["meter", "add", "--gateway", "gw-a", "--meter", meter,
                "--point", point, "--quantity", quantity, "--role", role] + extra
        if "--registered" not in extra:
            args += ["--registered", "2020-01-01"]
        if carrier:
            args += ["--carrier", carrier]
        admin(store, *args)


def local(y, mo, d, h=0, mi=0):
    return datetime.datetime(y, mo, d, h, mi, tzinfo=CST)


def text(t):
    return t.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def import_rows(tmp, store, name, rows, now):
    """rows: (meter, point, datetime, value) into a CSV, imported at now."""
    path = os.path.join(tmp, name)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("gateway,meter,point,time,value\n")
        for meter, point, t, v in rows:
            f.write("gw-a,%s,%s,%s,%.6f\n" % (meter, point, text(t), v))
    run(["import", "--store", store, "--csv", path, "--by", "Test", "--now",
         text(now)])


def indicators(store, year, month, now):
    args = ["indicators", "--store", store, "--unit", FACTORY, "--year",
            str(year), "--now", text(now), "--json"]
    if month:
        args += ["--month", str(month)]
    return json.loads(run(args).stdout)


def near(a, b, tol):
    return a is not None and abs(a - b) <= tol


# ---- 1. periods in progress ----

def hours_between(a, b):
    return (b - a).total_seconds() / 3600.0


def check_in_progress(tmp, i, now_tuple):
    now = local(*now_tuple)
    store = os.path.join(tmp, "progress-%d.db" % i)
    registry(tmp, store, [("E1", "kwh", "elec_import_kwh", "elec_purchased",
                           "electricity", [])])
    origin = local(now.year - 1, 1, 1)
    rows, t = [], origin
    while t < now:
        rows.append(("E1", "kwh", t, RATE_KWH_H * hours_between(origin, t)))
        t += datetime.timedelta(hours=1)
    rows.append(("E1", "kwh", now, RATE_KWH_H * hours_between(origin, now)))
    import_rows(tmp, store, "progress-%d.csv" % i, rows, now)
    label = "同比(截至%d月%d日)" % (now.month, now.day)
    for month in (0, now.month):
        start = local(now.year, month or 1, 1)
        what = "%s %s" % (text(now), "month" if month else "year")
        p = indicators(store, now.year, month, now)
        ind = p["indicators"]
        want = RATE_KWH_H * hours_between(start, now)
        ok(p["in_progress"] is True and p["measured_to"].startswith(text(now)),
           "%s: in progress, measured to now: %s" % (what, p["measured_to"]))
        ok(near(ind["elec_kwh"]["value"], want, 1e-9 * want),
           "%s: elec_kwh %s = %.6f (to now)" % (what, ind["elec_kwh"]["value"],
                                                 want))
        ok(near(ind["completeness_pct"]["value"], 100.0, 1e-9),
           "%s: completeness %s %%" % (what, ind["completeness_pct"]["value"]))
        if not month:
            # The band of a year in progress: from the last complete year's
            # 综合能耗 (0.1229 kgce/kWh, GB/T 2589-2020): bands at 10,000,
            # 5,000 and 3,000 tce.
            prior = hours_between(local(now.year - 1, 1, 1), local(now.year, 1, 1))
            tce = RATE_KWH_H * prior * 0.1229 / 1000.0
            band = 1 if tce >= 10000 else 2 if tce >= 5000 else 3 if tce >= 3000 else 4
            ok(p["renewable_band"] is not None and
               p["renewable_band"]["band"] == band and
               p["renewable_band"]["from_year"] == now.year - 1,
               "%s: renewable band %s from %d (%.1f tce)" % (
                   what, p["renewable_band"], now.year - 1, tce))
        for key in ("elec_kwh", "energy_equiv_tce"):
            e = ind[key]
            ok(near(e["yoy_pct"], 0.0, 1e-9),
               "%s: %s year-on-year %s" % (what, key, e["yoy_pct"]))
            ok(e["yoy_label"] == label and e["yoy_label_en"].startswith("YoY to "),
               "%s: %s label %s / %s" % (what, key, e["yoy_label"],
                                          e["yoy_label_en"]))
            ok(e["estimated"] is False and e["reasons"] == [],
               "%s: %s measured, no reasons: %s" % (what, key, e["reasons"]))


# ---- 2. the silent-carrier month ----

SILENT = [("G1", "m3", "gas_volume_m3", "fuel", "natural_gas", [], 25.0),
          ("S1", "t", "steam_mass_t", "heat_purchased", "steam", [], 0.5),
          ("PV", "kwh", "elec_import_kwh", "renewable_gen", "solar", [], 20.0),
          ("P1", "t", "product_mass_t", "production", "",
           ["--product", "gear", "--product-unit", "t"], 2.0)]
SILENT_FROM = local(2026, 6, 1)


def silent_store(tmp, name, until, back, registered=None):
    """History from 2025-01-01, every 2 hours, to until; the silent meters
    read nothing in [SILENT_FROM, back). registered: when they were
    registered, if after their imported history (as the demo's are)."""
    store = os.path.join(tmp, name + ".db")
    meters = [("E1", "kwh", "elec_import_kwh", "elec_purchased",
               "electricity", [], RATE_KWH_H)] + SILENT
    late = ["--registered", registered] if registered else []
    registry(tmp, store, [m[:5] + (m[5] + (late if m[0] != "E1" else []),)
                          for m in meters])
    # The steam's state, so its energy goes by enthalpy and is not the
    # estimated 0.1286 kgce/kg fallback (DOMAIN.md, conversion factors).
    for key, value in (("steam_pressure_mpa.S1", "0.8"), ("steam_temperature_c.S1", "200")):
        admin(store, "fact", "set", "--unit", FACTORY, "--year", "2025", "--key", key,
              "--value", value, "--by", "Test")
    origin, rows = local(2025, 1, 1), []
    t = origin
    while t <= until:
        for meter, point, _, role, _, _, rate in meters:
            if role == "elec_purchased" or not SILENT_FROM <= t < back:
                rows.append((meter, point, t, rate * hours_between(origin, t)))
        t += datetime.timedelta(hours=2)
    import_rows(tmp, store, name + ".csv", rows, until)
    return store


def check_reasons(what, e):
    named = {(r["point"], r["carrier"]) for r in e["reasons"]}
    for meter, point, _, role, carrier, _, _ in SILENT:
        if role == "production":
            continue
        ok(("gw-a/%s/%s" % (meter, point), carrier) in named,
           "%s: a reason names %s (%s): %s" % (what, meter, carrier,
                                               e["reasons"]))
    ok(all(r["kind"] == "no_readings" and r["text"] for r in e["reasons"]),
       "%s: reasons say no readings: %s" % (what, e["reasons"]))


def check_silent_in_progress(tmp):
    now = local(2026, 6, 25, 10, 0)
    store = silent_store(tmp, "silent-now", now, now + datetime.timedelta(days=1))
    p = indicators(store, 2026, 6, now)
    e = p["indicators"]["energy_equiv_tce"]
    ok(e["estimated"] is True and e["yoy_pct"] is None,
       "silent June in progress: 综合能耗 estimated, no year-on-year: %s %s" %
       (e["estimated"], e["yoy_pct"]))
    check_reasons("silent June in progress", e)
    missing = {m["point"] for m in p["missing"]}
    ok(missing == {"gw-a/%s/%s" % (m[0], m[1]) for m in SILENT},
       "the period lists every silent point: %s" % sorted(missing))
    out = p["indicators"]["output"]
    ok(out["value"] is None and out["provenance"] != "metered",
       "a silent production counter is no metered output: %s" % out)
    elec = p["indicators"]["elec_kwh"]
    ok(elec["estimated"] is True and elec["provenance"] == "imported",
       "electricity (with the silent PV) estimated, from E1 only: %s" % elec)
    tsv = run(["indicators", "--store", store, "--unit", FACTORY, "--year",
               "2026", "--month", "6", "--now", text(now)]).stdout.splitlines()
    row = [r.split("\t") for r in tsv if r.startswith("energy_equiv_tce\t")][0]
    ok(tsv[0].endswith("\treasons") and row[5] == "1" and
       "natural_gas gw-a/G1/m3 no_readings" in row[7] and "steam" in row[7],
       "the table names the silent meters: %s" % row)
    ok(tsv[-1] == "# yoy_pct: 同比(截至6月25日) (YoY to Jun 25)",
       "the table says up to which day it compares: %s" % tsv[-1])
    out = os.path.join(tmp, "report-2026.json")
    run(["report", "--store", store, "--year", "2026", "--format", "json",
         "--out", out, "--now", text(now)])
    with open(out, encoding="utf-8") as f:
        unit = json.load(f)["units"][0]
    note = unit["data_quality"]
    ok("missing inputs: natural_gas gw-a/G1/m3" in note and
       "year in progress: 同比(截至6月25日)" in note,
       "the yearly table's note names the silence and the day: %s" % note)
    ok(unit["indicators"]["energy_equiv_tce"]["yoy_label"] == "同比(截至6月25日)",
       "the yearly table's JSON carries the label")


def check_silent_month(tmp):
    now = local(2026, 7, 20)
    # Registered after June: a silence spanned by readings is still one.
    store = silent_store(tmp, "silent-back", now, local(2026, 7, 1), "2026-07-15")
    p = indicators(store, 2026, 6, now)
    e = p["indicators"]["energy_equiv_tce"]
    ok(p["in_progress"] is False and e["estimated"] is True and
       e["yoy_pct"] is None, "June spanned by a silence: estimated, no "
       "year-on-year: %s" % e)
    check_reasons("June spanned", e)
    ok(p["indicators"]["output"]["provenance"] != "metered",
       "output spanning a silence is not metered: %s" % p["indicators"]["output"])
    p = indicators(store, 2026, 4, now)
    e = p["indicators"]["energy_equiv_tce"]
    ok(e["estimated"] is False and e["reasons"] == [] and p["missing"] == [],
       "April, every meter read: measured: %s" % e)
    p = run(["alerts", "evaluate", "--store", store, "--now", text(now)])
    p = run(["alerts", "--store", store, "--json"])
    alerts = [json.loads(line) for line in p.stdout.splitlines()]
    miss = {a["subject"] for a in alerts
            if a["rule"] == "missing_input" and a["period"] == "2026-06"}
    ok(miss == {"gw-a/%s/%s" % (m[0], m[1]) for m in SILENT},
       "a missing_input alert per silent point for 2026-06: %s" % sorted(miss))
    energy = [a for a in alerts if a["subject"].startswith(("energy", "renewable"))]
    ok(energy == [], "no alert reads the silence as a change: %s" % energy)


def main():
    with gfitest.Procs() as procs:
        for i, now in enumerate(NOWS):
            check_in_progress(procs.tmp, i, now)
        check_silent_in_progress(procs.tmp)
        check_silent_month(procs.tmp)
    gfitest.finish("period_progress")


if __name__ == "__main__":
    main()

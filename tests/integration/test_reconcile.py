"""The filing deadline and the reconciliation (issue 15, build 5), through
the command line.

A factory with an electricity, a natural-gas and a water-intake counter
whose 2025 history is imported (`gfi-aggregator import`, readings every
six hours at a constant rate, so each year total is known here exactly),
and its stated annual figures entered as facts (statistical returns or
bills): electricity 3 % above the meters, gas 8 % below, water not stated.
Checked: the report's filing section shows each meter total against its
stated figure with the difference (computed here from the CSV); the alert
rule reconcile fires for gas only at the default 5 %, and resolves when the
city sets 10 %; table_missing uses the deadline setting (April 15 by
default: due at 2026-06-01; a June 15 deadline: not yet).
"""
import csv
import json
import subprocess

import gfitest
from gfitest import ok
from test_scores import run

UNIT = gfitest.credit_code("91350100M00007770")
T0 = 1735574400            # 2024-12-31 00:00 Asia/Shanghai
Y0, Y1 = 1735660800, 1767196800   # 2025-01-01 and 2026-01-01 00:00 Shanghai
STEP = 6 * 3600
POINTS = [("E1", "kwh", "elec_import_kwh", "elec_purchased", "electricity", 1000.0, 250.0),
          ("G1", "m3", "gas_volume_m3", "fuel", "natural_gas", 50.0, 12.5),
          ("W1", "m3", "water_volume_m3", "water_intake", "tap_water", 7.0, 3.25)]
NOW = "2026-06-01"


def build(P):
    store, key, pub = P.path("city.db"), P.path("gw.key"), P.path("gw.pub")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                    "-out", key], check=True)
    subprocess.run(["openssl", "ec", "-in", key, "-pubout", "-out", pub], check=True,
                   capture_output=True)
    admin = ["admin", "--store", store]
    run(admin + ["county", "add", "--code", "350102", "--name", "鼓楼区"])
    run(admin + ["unit", "add", "--code", UNIT, "--name", "榕城电机", "--kind", "factory",
                 "--county", "350102", "--level", "city", "--year", "2020",
                 "--sector", "C3811"])
    run(admin + ["gateway", "add", "--id", "gw-r", "--unit", UNIT, "--pubkey", pub])
    for meter, point, quantity, role, carrier, _, _ in POINTS:
        run(admin + ["meter", "add", "--gateway", "gw-r", "--meter", meter, "--point", point,
                     "--quantity", quantity, "--role", role, "--carrier", carrier,
                     "--registered", "2024-12-01"])
    totals = {}
    with open(P.path("history.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["gateway", "meter", "point", "time", "value"])
        for meter, point, _, role, carrier, v0, rate in POINTS:
            at = {}
            for k in range((Y1 + 86400 - T0) // STEP + 1):
                t = T0 + k * STEP
                at[t] = v0 + rate * k
                w.writerow(["gw-r", meter, point, t, "%.3f" % at[t]])
            totals["water" if role == "water_intake" else carrier] = \
                round(at[Y1], 3) - round(at[Y0], 3)
    run(["import", "--store", store, "--csv", P.path("history.csv"), "--by", "test",
         "--now", NOW])
    stated = {"electricity": totals["electricity"] * 1.03, "natural_gas": totals["natural_gas"] / 1.08}
    for key_, carrier in [("stat_electricity_kwh", "electricity"), ("stat_gas_m3", "natural_gas")]:
        run(admin + ["fact", "set", "--unit", UNIT, "--year", "2025", "--key", key_,
                     "--value", repr(stated[carrier]), "--by", "统计报表"])
    return store, totals, stated


def active(store, rule):
    out = run(["alerts", "--store", store, "--rule", rule, "--json"]).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [a for a in rows if a["state"] in ("open", "acknowledged")]


def main():
    with gfitest.Procs() as P:
        store, totals, stated = build(P)
        out = P.path("t.json")
        run(["report", "--store", store, "--year", "2025", "--format", "json", "--out", out,
             "--now", NOW])
        with open(out, encoding="utf-8") as f:
            rec = {r["carrier"]: r for r in json.load(f)["units"][0]["filing"]["reconciliation"]}
        for carrier, total in totals.items():
            r = rec[carrier]
            ok(abs(r["metered"] - total) <= 1e-6 * total, "%s metered %r == %r" % (
                carrier, r["metered"], total))
            if carrier in stated:
                diff = (r["metered"] - stated[carrier]) / stated[carrier] * 100
                ok(abs(r["stated"] - stated[carrier]) <= 1e-9 * total and
                   abs(r["diff_pct"] - diff) <= 1e-9 and r["over"] == (abs(diff) > 5),
                   "%s stated %r diff %r (%r)" % (carrier, r["stated"], r["diff_pct"], diff))
            else:
                ok(r["stated"] is None and r["diff_pct"] is None and not r["over"],
                   "%s not stated: no difference" % carrier)
        ok(rec["natural_gas"]["over"] and not rec["electricity"]["over"],
           "gas over 5 %, electricity within")
        run(["alerts", "evaluate", "--store", store, "--now", NOW])
        gas = active(store, "reconcile")
        ok([a["subject"] for a in gas] == ["natural_gas"] and abs(gas[0]["value"] - 8) < 1e-6
           and gas[0]["threshold"] == 5, "reconcile alert for gas only: %r" % gas)
        tab = active(store, "table_missing")
        ok(len(tab) == 1 and "(due 2026-04-15)" in tab[0]["detail"],
           "table missing after April 15: %r" % tab)
        p = run(["benchmark", "settings", "--store", store, "--deadline", "06-15",
                 "--reconcile-pct", "10"])
        ok(p.stdout == "filing_deadline\t06-15\nreconcile_diff_pct\t10\n", "settings: %r" % p.stdout)
        run(["benchmark", "settings", "--store", store, "--deadline", "02-29"], expect=2)
        run(["alerts", "evaluate", "--store", store, "--now", NOW])
        ok(active(store, "reconcile") == [], "10 %: the gas alert resolves")
        ok(active(store, "table_missing") == [], "deadline June 15: not yet missing")
        run(["alerts", "evaluate", "--store", store, "--now", "2026-06-16 00:00"])
        tab = active(store, "table_missing")
        ok(len(tab) == 1 and "(due 2026-06-15)" in tab[0]["detail"],
           "missing once June 16 begins: %r" % tab)
    gfitest.finish("reconcile")


if __name__ == "__main__":
    main()

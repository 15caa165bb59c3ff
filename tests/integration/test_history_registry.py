"""Issue 17 acceptance 3, real binaries (gfi-aggregator admin, import,
indicators): a gateway moved to another unit on a date.

Unit A owns gateway gw-a with a purchased-electricity counter E1/kwh; its
2025 history is imported hourly (the counter grows 10 kWh an hour before
2025-07-01 00:00 local, 25 kWh an hour from then on). Before the move, A's
2025 electricity and 综合能耗 are the whole year's and B has none; after
`admin gateway change --id gw-a --unit B --from 2025-07-01 --by Li`, A
keeps January-June and B gets July-December, each equal to the hand
computation below (kWh from the counter at the bounds, tce at GB/T 2589's
0.1229 kgce/kWh), and both add up to the year. A had filed 2025 before the
move: the move is alerted (registry_after_filing, the filed and the current
综合能耗) and A's filed snapshot stays as it was. The registry lists the
history with who changed it; a plain --unit on a dated gateway is refused;
a --from not after the current span is refused.

Then a meter's own move: gw-a's second counter E2 (4 kWh an hour) is
tenant C's from 2025-04-01 (`admin meter move`) and follows its gateway
again from 2025-10-01, so E2 is A's for January-March, C's for April-
September and B's (the gateway's unit by then) for October-December; the
three units' indicators equal the hand computation and add up to both
counters' year. And a unit's own changes from a date: B renamed and moved
to county 350103 from 2026-01-01, C retired from then on; the 2025 table
still names B as it was, in 350102, and lists C; the 2026 table has the new
B and no C; `unit history` and `meter history` list every version with who
changed it; C's evidence pack trails E2 over C's part of the year only."""
import json
import os
import sqlite3
import subprocess

import gfitest as g

TZ = 8 * 3600
Y2025 = 1735660800            # 2025-01-01 00:00 Asia/Shanghai
APR1 = 1743436800             # 2025-04-01 00:00 Asia/Shanghai
JUL1 = 1751299200             # 2025-07-01 00:00 Asia/Shanghai
OCT1 = 1759248000             # 2025-10-01 00:00 Asia/Shanghai
Y2026 = 1767196800            # 2026-01-01 00:00 Asia/Shanghai
A = g.credit_code("91350100M000100Y4")
B = g.credit_code("91350100M000200Y4")
C = g.credit_code("91350100M000300Y4")
KGCE_PER_KWH = 0.1229


def counter(t):
    """The counter at t (hour-aligned), kWh."""
    h = (t - Y2025) // 3600
    before = min(h, (JUL1 - Y2025) // 3600)
    return 1000.0 + 10.0 * before + 25.0 * (h - before)


def e2(t):
    """The second counter E2 at t (hour-aligned), kWh."""
    return 500.0 + 4.0 * ((t - Y2025) // 3600)


def run(args, expect=0):
    p = subprocess.run([g.AGGREGATOR] + args, capture_output=True, text=True)
    g.check(p.returncode == expect, "%s: rc %d (want %d): %s%s"
            % (" ".join(args[:4]), p.returncode, expect, p.stdout, p.stderr))
    return p


def query(store, sql, args=()):
    con = sqlite3.connect("file:%s?mode=ro" % store, uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def snapshot(store, unit):
    return query(store, "SELECT bytes, sha256 FROM filing_snapshots WHERE unit = ?", (unit,))


def after_filing(store):
    """registry_after_filing alerts: (unit, period, value, threshold, detail)."""
    return query(store, "SELECT unit, period, value, threshold, detail FROM alerts "
                 "WHERE rule = 'registry_after_filing' ORDER BY unit")


def indicators(store, unit):
    p = run(["indicators", "--store", store, "--unit", unit, "--year", "2025", "--json",
             "--now", "2026-03-01"])
    d = json.loads(p.stdout)
    ind = d.get("indicators", d)
    return {k: (ind.get(k) or {}).get("value") for k in ("elec_kwh", "energy_equiv_tce")}


def close(a, b):
    return a is not None and abs(a - b) <= 1e-9 * max(1.0, abs(b))


def main():
    with g.Procs() as P:
        store = P.path("s.db")
        adm = ["admin", "--store", store]
        key, pub = P.path("gw.key"), P.path("gw.pub")
        g.run_ok(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                  "-out", key])
        g.run_ok(["openssl", "ec", "-in", key, "-pubout", "-out", pub])
        run(adm + ["county", "add", "--code", "350102", "--name", "鼓楼区"])
        for code, name in ((A, "甲厂"), (B, "乙厂")):
            run(adm + ["unit", "add", "--code", code, "--name", name, "--kind", "factory",
                       "--county", "350102", "--level", "city", "--year", "2020",
                       "--sector", "C3011"])
        run(adm + ["gateway", "add", "--id", "gw-a", "--unit", A, "--pubkey", pub])
        run(adm + ["meter", "add", "--gateway", "gw-a", "--meter", "E1", "--point", "kwh",
                   "--quantity", "elec_import_kwh", "--role", "elec_purchased",
                   "--carrier", "electricity", "--registered", "2024-12-01"])
        csv = P.path("hist.csv")
        with open(csv, "w") as f:
            f.write("gateway,meter,point,time,value\n")
            for t in range(Y2025, Y2026 + 1, 3600):
                f.write("gw-a,E1,kwh,%d,%.3f\n" % (t, counter(t)))
        run(["import", "--store", store, "--csv", csv, "--by", "Li Wei"])

        year_kwh = counter(Y2026) - counter(Y2025)
        h1_kwh = counter(JUL1) - counter(Y2025)
        h2_kwh = counter(Y2026) - counter(JUL1)
        a0, b0 = indicators(store, A), indicators(store, B)
        g.ok(close(a0["elec_kwh"], year_kwh) and
             close(a0["energy_equiv_tce"], year_kwh * KGCE_PER_KWH / 1000),
             "before the move A has the whole year: %s (hand %.3f kWh)" % (a0, year_kwh))
        g.ok(not b0["elec_kwh"], "before the move B has none: %s" % b0)
        run(["filing", "--store", store, "--unit", A, "--year", "2025", "--by", "Li Wei",
             "--at", "2026-03-01"])
        snap = snapshot(store, A)

        run(adm + ["gateway", "change", "--id", "gw-a", "--unit", B, "--from",
                   "2025-07-01", "--by", "Li Wei"])
        a1, b1 = indicators(store, A), indicators(store, B)
        g.ok(close(a1["elec_kwh"], h1_kwh) and
             close(a1["energy_equiv_tce"], h1_kwh * KGCE_PER_KWH / 1000),
             "after the move A keeps January-June: %s (hand %.3f kWh)" % (a1, h1_kwh))
        g.ok(close(b1["elec_kwh"], h2_kwh) and
             close(b1["energy_equiv_tce"], h2_kwh * KGCE_PER_KWH / 1000),
             "after the move B has July-December: %s (hand %.3f kWh)" % (b1, h2_kwh))
        g.ok(close(a1["elec_kwh"] + b1["elec_kwh"], year_kwh), "together the year")
        al = after_filing(store)
        g.ok(len(al) == 1 and al[0][0] == A and al[0][1] == "2025" and
             close(al[0][3], year_kwh * KGCE_PER_KWH / 1000) and
             close(al[0][2], h1_kwh * KGCE_PER_KWH / 1000) and "gw-a" in al[0][4] and
             "Li Wei" in al[0][4],
             "the move into A's filed 2025 is alerted with the filed and the current "
             "综合能耗 (B filed nothing): %s" % al)
        g.ok(snapshot(store, A) == snap, "A's filed snapshot is unchanged")

        hist = [json.loads(l) for l in run(adm + ["gateway", "history", "--id", "gw-a",
                                                  "--json"]).stdout.splitlines()]
        g.ok([(h["unit"], h["from_s"], h["to_s"], h["changed_by"]) for h in hist] ==
             [(A, None, JUL1, "registry"), (B, JUL1, None, "Li Wei")],
             "the registry lists the history with who changed it: %s" % hist)
        gw = json.loads(run(adm + ["gateway", "list", "--json"]).stdout.splitlines()[0])
        g.ok(gw["unit"] == B, "the gateway's current unit is B")
        p = run(adm + ["gateway", "change", "--id", "gw-a", "--unit", A], expect=2)
        g.ok(p.stderr.startswith("--unit:"), "a plain --unit on a dated gateway is "
             "refused: %s" % p.stderr.strip())
        p = run(adm + ["gateway", "change", "--id", "gw-a", "--unit", A, "--from",
                       "2025-03-01"], expect=2)
        g.ok(p.stderr.startswith("--from:"), "a --from before the current span is "
             "refused: %s" % p.stderr.strip())
        g.ok(indicators(store, A) == a1 and indicators(store, B) == b1 and
             len(after_filing(store)) == 1, "and changes nothing")
        meter_moves(P, store, adm)
        unit_versions(P, store, adm)
    g.finish("history_registry")


def lines(p):
    return [json.loads(l) for l in p.stdout.splitlines()]


def expect_units(store, want, what):
    """Each unit's 2025 electricity and 综合能耗 against the hand kWh."""
    for unit, kwh in want.items():
        got = indicators(store, unit)
        g.ok(close(got["elec_kwh"], kwh) and
             close(got["energy_equiv_tce"], kwh * KGCE_PER_KWH / 1000),
             "%s: %s has %s (hand %.3f kWh)" % (what, unit, got, kwh))


def meter_moves(P, store, adm):
    """E2 on gw-a: A's, then tenant C's on its own, then its gateway's (B)."""
    run(adm + ["unit", "add", "--code", C, "--name", "丙厂", "--kind", "factory",
               "--county", "350102", "--level", "city", "--year", "2021"])
    run(adm + ["meter", "add", "--gateway", "gw-a", "--meter", "E2", "--point", "kwh",
               "--quantity", "elec_import_kwh", "--role", "elec_purchased",
               "--registered", "2024-12-01"])
    csv = P.path("e2.csv")
    with open(csv, "w") as f:
        f.write("gateway,meter,point,time,value\n")
        for t in range(Y2025, Y2026 + 1, 3600):
            f.write("gw-a,E2,kwh,%d,%.3f\n" % (t, e2(t)))
    run(["import", "--store", store, "--csv", csv, "--by", "Li Wei"])
    e1_h1 = counter(JUL1) - counter(Y2025)
    e1_h2 = counter(Y2026) - counter(JUL1)
    expect_units(store, {A: e1_h1 + e2(JUL1) - e2(Y2025), B: e1_h2 + e2(Y2026) - e2(JUL1)},
                 "E2 follows its gateway")
    g.ok(not indicators(store, C)["elec_kwh"], "and C has none")

    run(adm + ["meter", "move", "--gateway", "gw-a", "--meter", "E2", "--unit", C,
               "--from", "2025-04-01", "--by", "Wang Fang"])
    expect_units(store, {A: e1_h1 + e2(APR1) - e2(Y2025), B: e1_h2,
                         C: e2(Y2026) - e2(APR1)}, "E2 is C's from April")
    al = after_filing(store)
    g.ok(len(al) == 1 and al[0][0] == A and
         close(al[0][2], (e1_h1 + e2(APR1) - e2(Y2025)) * KGCE_PER_KWH / 1000) and
         "gw-a/E2" in al[0][4],
         "the meter's move out of A's filed year updates A's alert: %s" % al)
    run(adm + ["meter", "move", "--gateway", "gw-a", "--meter", "E2", "--unit", "gateway",
               "--from", "2025-10-01", "--by", "Wang Fang"])
    want = {A: e1_h1 + e2(APR1) - e2(Y2025), B: e1_h2 + e2(Y2026) - e2(OCT1),
            C: e2(OCT1) - e2(APR1)}
    expect_units(store, want, "E2 follows its gateway again from October")
    g.ok(close(sum(want.values()), counter(Y2026) - counter(Y2025) + e2(Y2026) - e2(Y2025)),
         "the three units add up to both counters' year")

    hist = lines(run(adm + ["meter", "history", "--gateway", "gw-a", "--meter", "E2",
                            "--json"]))
    g.ok([(h["unit"], h["from_s"], h["to_s"], h["changed_by"]) for h in hist] ==
         [(None, None, APR1, "registry"), (C, APR1, OCT1, "Wang Fang"),
          (None, OCT1, None, "Wang Fang")],
         "meter history lists its own units with who changed them: %s" % hist)
    for args, field in ((["--meter", "E2", "--unit", C, "--from", "2025-08-01"], "--from:"),
                        (["--meter", "E9", "--unit", C, "--from", "2025-12-01"], "--meter:"),
                        (["--meter", "E2", "--unit", g.credit_code("91350100M000900Y4"),
                          "--from", "2025-12-01"], "--unit:")):
        p = run(adm + ["meter", "move", "--gateway", "gw-a"] + args, expect=2)
        g.ok(p.stderr.startswith(field) and len(p.stderr.splitlines()) == 1,
             "meter move %s refused on %s: %s" % (" ".join(args), field, p.stderr.strip()))
    expect_units(store, want, "refusals change nothing")

    pack = P.path("pack-c")
    run(["evidence", "--store", store, "--unit", C, "--year", "2025", "--out", pack])
    with open(os.path.join(pack, "trail.csv")) as f:
        trail = [l.split(",") for l in f.read().splitlines()[1:]]
    g.ok([(r[0], r[1], int(r[5]), int(r[6]), float(r[13])) for r in trail] ==
         [("gw-a", "E2", APR1, OCT1, e2(OCT1) - e2(APR1))],
         "C's evidence trail holds E2 over C's part of the year: %s" % trail)


def report_units(P, store, year, county=None, expect=0):
    out = P.path("report-%d-%s.json" % (year, county))
    args = ["report", "--store", store, "--year", str(year), "--format", "json",
            "--out", out, "--now", "2026-03-01"]
    p = run(args + (["--county", county] if county else []), expect=expect)
    if expect != 0:
        return p
    with open(out) as f:
        return {u["code"]: (u["name"], u["county"]) for u in json.load(f)["units"]}


def unit_versions(P, store, adm):
    """B renamed and moved to 350103 from 2026; C retired from 2026."""
    run(adm + ["county", "add", "--code", "350103", "--name", "台江区"])
    before = report_units(P, store, 2025)
    run(adm + ["unit", "change", "--code", B, "--name", "乙厂（新）", "--county", "350103",
               "--from", "2026-01-01", "--by", "Zhang Min"])
    run(adm + ["unit", "retire", "--code", C, "--from", "2026-01-01", "--by", "Zhang Min"])
    r2025, r2026 = report_units(P, store, 2025), report_units(P, store, 2026)
    g.ok(r2025 == before == {A: ("甲厂", "350102"), B: ("乙厂", "350102"),
                             C: ("丙厂", "350102")},
         "the 2025 table names every unit as it was in 2025: %s" % r2025)
    g.ok(r2026 == {A: ("甲厂", "350102"), B: ("乙厂（新）", "350103")},
         "the 2026 table has the new B and no C: %s" % r2026)
    g.ok(report_units(P, store, 2026, "350103") == {B: ("乙厂（新）", "350103")},
         "B is in 350103's 2026 table")
    p = report_units(P, store, 2025, "350103", expect=2)
    g.ok(p.stderr.startswith("--county:"), "and not in its 2025 one: %s" % p.stderr.strip())
    hist = lines(run(adm + ["unit", "history", "--code", B, "--json"]))
    g.ok([(h["name"], h["county"], h["from_s"], h["to_s"], h["changed_by"]) for h in hist] ==
         [("乙厂", "350102", None, Y2026, "registry"),
          ("乙厂（新）", "350103", Y2026, None, "Zhang Min")],
         "unit history lists B's versions with who changed them: %s" % hist)
    now = {u["code"]: (u["name"], u["county"], u["retired"])
           for u in lines(run(adm + ["unit", "list", "--json"]))}
    g.ok(now[B] == ("乙厂（新）", "350103", 0) and now[C][2] == 1,
         "the registry's current entries are the new ones: %s" % now)
    p = run(adm + ["unit", "change", "--code", B, "--name", "x", "--from", "2025-06-01"],
            expect=2)
    g.ok(p.stderr.startswith("--from:"), "a --from before the current version is "
         "refused: %s" % p.stderr.strip())
    g.ok(report_units(P, store, 2025) == r2025, "and changes nothing")


if __name__ == "__main__":
    main()

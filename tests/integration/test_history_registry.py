"""Issue 17 acceptance 3, real binaries (gfi-aggregator admin, import,
indicators): a gateway moved to another unit on a date.

Unit A owns gateway gw-a with a purchased-electricity counter E1/kwh; its
2025 history is imported hourly (the counter grows 10 kWh an hour before
2025-07-01 00:00 local, 25 kWh an hour from then on). Before the move, A's
2025 electricity and 综合能耗 are the whole year's and B has none; after
`admin gateway change --id gw-a --unit B --from 2025-07-01 --by Li`, A
keeps January-June and B gets July-December, each equal to the hand
computation below (kWh from the counter at the bounds, tce at GB/T 2589's
0.1229 kgce/kWh), and both add up to the year. The registry lists the
history with who changed it; a plain --unit on a dated gateway is refused;
a --from not after the current span is refused."""
import json
import os
import subprocess

import gfitest as g

TZ = 8 * 3600
Y2025 = 1735660800            # 2025-01-01 00:00 Asia/Shanghai
JUL1 = 1751299200             # 2025-07-01 00:00 Asia/Shanghai
Y2026 = 1767196800            # 2026-01-01 00:00 Asia/Shanghai
A = g.credit_code("91350100M000100Y4")
B = g.credit_code("91350100M000200Y4")
KGCE_PER_KWH = 0.1229


def counter(t):
    """The counter at t (hour-aligned), kWh."""
    h = (t - Y2025) // 3600
    before = min(h, (JUL1 - Y2025) // 3600)
    return 1000.0 + 10.0 * before + 25.0 * (h - before)


def run(args, expect=0):
    p = subprocess.run([g.AGGREGATOR] + args, capture_output=True, text=True)
    g.check(p.returncode == expect, "%s: rc %d (want %d): %s%s"
            % (" ".join(args[:4]), p.returncode, expect, p.stdout, p.stderr))
    return p


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
        g.ok(indicators(store, A) == a1 and indicators(store, B) == b1,
             "and changes nothing")
    g.finish("history_registry")


if __name__ == "__main__":
    main()

"""The yearly table in the platform's terms (issue 15, acceptance 1): every
platform row and every score of a city of 40 factories in two sectors,
computed here by hand (a stdlib model that never calls gfi's code) from the
facts and benchmark tables the test enters, to 1e-9; the outlook (A+ / A /
B, ties taking the better grade, within the city and within each sector of
at least ten units) and the bottom-5 % warning over three complete years.

The registry is built with `gfi-aggregator admin` and `benchmark set`; the
facts (three years, ~20 keys per unit) go straight into the store's facts
table (the admin path for facts is tested by test_registry_cli). Units 1 and
2 are identical (a tie at the A+ boundary: both take A+); unit 38 is in the
bottom 5 % in 2023, 2024 and 2025 (a warning); unit 39 is not in 2023.

Then the same over HTTP (`gfi-aggregator http` on a free 127.0.0.1 port):
a unit's filing view equals the report's section, the overview ranks the
city, and a unit token writes a revision remark, a major change and a
compliance entry that a county token confirms or rejects (409 the second
time; city tokens cannot write them); the report then carries them (JSON
and the XLSX sheet's remark column).
"""
import json
import math
import os
import sqlite3
import subprocess
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import zipfile

import gfitest
from gfitest import ok

AGG = os.environ.get("GFI_AGGREGATOR", "gfi-aggregator")
YEARS = (2023, 2024, 2025)
N = 40


def run(args, expect=0):
    """gfi-aggregator with args, checked to exit with expect; its result."""
    p = subprocess.run([AGG] + args, capture_output=True, text=True)
    ok(p.returncode == expect, "gfi-aggregator %s: exit %d (want %d) %s" % (
        " ".join(args[:3]), p.returncode, expect, p.stderr.strip()[:300]))
    return p


CODES = [gfitest.credit_code("91350100M%08d" % (1000 + i)) for i in range(N)]
SECTOR = ["C3130" if i < 25 else "C2211" for i in range(N)]

# (sector, indicator, year, baseline, leading, weight, direction)
BENCH = [
    ("", "output_per_land", 2023, 0.02, 0.1, 5, "higher"),
    ("", "building_coeff_pct", 2023, 25, 40, 5, "higher"),
    ("", "plot_ratio", 2023, 0.6, 1.2, 5, "higher"),
    ("", "solid_waste_use_pct", 2023, 50, 90, 10, "higher"),
    ("", "green_investment_pct", 2023, 0.5, 1.5, 5, "higher"),
    ("", "energy_per_value", 2023, 500, 300, 10, "lower"),
    ("", "energy_mgmt_functions", 2023, 0, 8, 4, "higher"),
    ("C3130", "plot_ratio", 2024, 0.8, 1.5, 6, "higher"),
    ("C3130", "solid_waste_use_pct", 2024, 60, 95, 8, "higher"),
    ("C2211", "output_per_land", 2023, 0.03, 0.12, 7, "higher"),
    ("C2211", "footprint_share_pct", 2023, 0, 100, 3, "higher"),
]
AIMS = {4: 0, 1: 0, 2: 0, 3: 0, 7: 1, 8: 1, 9: 1, 12: 2, 13: 2, 15: 3,
        16: 4, 17: 4, 18: 4}
ROW_NO = {"energy_per_value": 1, "co2_per_value": 2, "renewable_share_pct": 3,
          "energy_mgmt_functions": 4, "water_per_value": 7,
          "water_reuse_pct": 8, "solid_waste_use_pct": 9,
          "green_investment_pct": 12, "footprint_share_pct": 15,
          "output_per_land": 16, "building_coeff_pct": 17, "plot_ratio": 18}


def quality(i, y):
    """The unit's standing: unit 0 best, 1 and 2 tied, 39 good in 2023."""
    if i == 39 and y == 2023:
        return 35.5
    return 40.0 - (1 if i == 2 else i) + (0.25 if i % 3 == 0 else 0)


def facts_of(i, y):
    q = quality(i, y)
    out = 100 + 37.5 * q
    return {
        "output_value_10k_cny": out, "land_area_m2": 10000.0,
        "floor_area_m2": 5000 + 300 * q, "floor_area_over_8m_m2": 100 * q,
        "building_footprint_m2": 2000 + 100 * q,
        "structures_footprint_m2": 500.0, "open_yard_m2": 50 * q,
        "solid_waste_generated_t": 100.0, "solid_waste_used_t": 40 + 1.3 * q,
        "green_investment_10k_cny": out * q / 2000,
        "footprint_products": float(min(5, int(q) // 8)),
        "product_categories": 5.0,
        "energy_mgmt_functions": float(min(8, int(q) // 5)),
    }


def model_values(i, y):
    """Each row's value in the form's unit, by GB/T 36132-2025's formulas."""
    f = facts_of(i, y)
    land = f["land_area_m2"]
    inv = sum(facts_of(i, yy)["green_investment_10k_cny"] for yy in range(y - 2, y + 1)
              if yy in YEARS)
    outs = [facts_of(i, yy)["output_value_10k_cny"] for yy in range(y - 2, y + 1)
            if yy in YEARS]
    v = {
        "output_per_land": f["output_value_10k_cny"] / land,
        "building_coeff_pct": (f["building_footprint_m2"] + f["structures_footprint_m2"]
                               + f["open_yard_m2"]) / land * 100,
        "plot_ratio": (f["floor_area_m2"] + f["floor_area_over_8m_m2"]) / land,
        "solid_waste_use_pct": f["solid_waste_used_t"] / f["solid_waste_generated_t"] * 100,
        "footprint_share_pct": f["footprint_products"] / f["product_categories"] * 100,
        "energy_mgmt_functions": f["energy_mgmt_functions"],
    }
    # Row 12 needs the output value of all three years.
    if len(outs) == 3:
        v["green_investment_pct"] = inv / sum(outs) * 100
    return v


def bench_for(sector, key, y):
    best = None
    for b in BENCH:
        if b[1] != key or b[2] > y or b[0] not in ("", sector):
            continue
        rank = (b[0] == "", -b[2])
        if best is None or rank < best[0]:
            best = (rank, b)
    return best[1] if best else None


def model_scores(i, y):
    vals = model_values(i, y)
    rows, total, subs, scored = {}, 0.0, [0.0] * 5, False
    for key, no in ROW_NO.items():
        b = bench_for(SECTOR[i], key, y)
        if b is None:
            continue
        base, lead, w = b[3], b[4], b[5]
        s = 0.0
        if key in vals:
            frac = (vals[key] - base) / (lead - base)
            s = 0.0 if not frac > 0 else (w if frac >= 1 else w * frac)
        rows[key] = (s, b)
        total += s
        subs[AIMS[no]] += s
        scored = True
    return vals, rows, total, subs, scored


def grades(totals):
    """Competition ranks; A+ within ceil(5 %), A within the next ceil(35 %)."""
    n = len(totals)
    top, nxt = (5 * n + 99) // 100, (35 * n + 99) // 100
    out = {}
    for k, t in totals.items():
        r = 1 + sum(1 for u in totals.values() if u > t)
        out[k] = (r, "A+" if r <= top else "A" if r <= top + nxt else "B")
    return out


def in_bottom(r, n):
    return r > n - (5 * n + 99) // 100


def build(tmp):
    store = os.path.join(tmp, "city.db")
    run(["admin", "--store", store, "county", "add", "--code", "350102",
         "--name", "鼓楼区"])
    for i in range(N):
        run(["admin", "--store", store, "unit", "add", "--code", CODES[i],
             "--name", "工厂%02d" % i, "--kind", "factory", "--county", "350102",
             "--level", "city", "--year", "2020", "--sector", SECTOR[i]])
    for sector, key, y, base, lead, w, d in BENCH:
        args = ["benchmark", "set", "--store", store, "--indicator", key, "--year",
                str(y), "--baseline", repr(base), "--leading", repr(lead),
                "--weight", repr(w), "--direction", d, "--source", "test table"]
        run(args + (["--sector", sector] if sector else []))
    db = sqlite3.connect(store)
    for i in range(N):
        for y in YEARS:
            for k, v in facts_of(i, y).items():
                db.execute("INSERT INTO facts (unit, year, month, key, value, "
                           "entered_by, entered_s) VALUES (?, ?, 0, ?, ?, 'test', 0)",
                           (CODES[i], y, k, v))
    db.commit()
    db.close()
    return store


def close(a, b):
    return a is not None and b is not None and abs(a - b) <= 1e-9 * max(1.0, abs(b))


def check_rows(i, filing):
    vals, rows, total, subs, _ = model_scores(i, 2025)
    got = {r["key"]: r for r in filing["rows"]}
    for key, no in ROW_NO.items():
        r = got.get(key)
        ok(r is not None and r["no"] == no, "unit %d row %s present as no %d" % (i, key, no))
        if r is None:
            continue
        want = vals.get(key)
        ok((want is None and r["value"] is None) or close(r["value"], want),
           "unit %d %s value %r == %r" % (i, key, r["value"], want))
        if key in rows:
            s, b = rows[key]
            ok(r["applicable"] and close(r["score"], s) and close(r["baseline"], b[3])
               and close(r["leading"], b[4]) and close(r["weight"], b[5]),
               "unit %d %s score %r == %r (bench %r)" % (i, key, r["score"], s, b))
        else:
            ok(not r["applicable"] and r["score"] is None,
               "unit %d %s not scored" % (i, key))
    ok(close(filing["total"], total), "unit %d total %r == %r" % (i, filing["total"], total))
    for a, sub in enumerate(filing["subtotals"]):
        ok(close(sub["score"], subs[a]), "unit %d subtotal %s %r == %r" % (
            i, sub["aim"], sub["score"], subs[a]))
    r13 = [r for r in filing["rows"] if r["no"] == 13]
    ok(r13 and r13[0]["note"] == "needs online monitoring data" and r13[0]["value"] is None,
       "row 13 needs online monitoring data")
    trend = filing["trend"]
    ok([t["year"] for t in trend] == list(YEARS), "trend years %r" % [t["year"] for t in trend])
    for t in trend:
        _, _, ty, _, _ = model_scores(i, t["year"])
        ok(close(t["total"], ty), "unit %d trend %d total %r == %r" % (i, t["year"], t["total"], ty))


def check_outlook(units):
    city = {y: grades({i: model_scores(i, y)[2] for i in range(N)}) for y in YEARS}
    for i in range(N):
        o = units[CODES[i]]["filing"]["outlook"]
        r, g = city[2025][i]
        ok(o["rank"] == r and o["grade"] == g and o["of"] == N,
           "unit %d rank %r grade %r == %r %r" % (i, o["rank"], o["grade"], r, g))
        sec = grades({k: model_scores(k, 2025)[2] for k in range(N) if SECTOR[k] == SECTOR[i]})
        ok(o["sector_rank"] == sec[i][0] and o["sector_grade"] == sec[i][1],
           "unit %d sector rank %r == %r" % (i, o["sector_rank"], sec[i]))
        bottom = [y for y in reversed(YEARS) if in_bottom(city[y][i][0], N)]
        ok(o["bottom5_years"] == bottom and o["warning"] == (len(bottom) == 3),
           "unit %d bottom %r == %r" % (i, o["bottom5_years"], bottom))
    # The designed cases, so the model itself cannot drift unseen.
    ok(city[2025][1] == city[2025][2] == (2, "A+"), "tie at rank 2 takes A+: %r %r" % (
        city[2025][1], city[2025][2]))
    ok(units[CODES[38]]["filing"]["outlook"]["warning"], "unit 38 warned (3 years)")
    ok(not units[CODES[39]]["filing"]["outlook"]["warning"], "unit 39 not warned (2023 good)")
    dist, want = {}, {}
    for i in range(N):
        g = units[CODES[i]]["filing"]["outlook"]["grade"]
        dist[g] = dist.get(g, 0) + 1
        want[city[2025][i][1]] = want.get(city[2025][i][1], 0) + 1
    ok(dist == want and dist["A+"] == 3, "distribution %r == %r" % (dist, want))


NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def cell_index(ref):
    """(row, column) from 0 of a reference like \"B7\"."""
    n = 0
    for ch in ref:
        if not ch.isalpha():
            break
        n = n * 26 + ord(ch) - 64
    return int(ref[len([c for c in ref if c.isalpha()]):]) - 1, n - 1


def read_xlsx(path):
    """{sheet name: {(row, col): str or float}} with zipfile and ElementTree."""
    z = zipfile.ZipFile(path)
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
            shared.append("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
    rels = {r.get("Id"): r.get("Target") for r in
            ET.fromstring(z.read("xl/_rels/workbook.xml.rels")).iter(REL + "Relationship")}
    sheets = {}
    for sh in ET.fromstring(z.read("xl/workbook.xml")).iter("{%s}sheet" % NS["m"]):
        target = rels[sh.get("{%s}id" % NS["r"])]
        cells = {}
        for c in ET.fromstring(z.read("xl/" + target)).iter("{%s}c" % NS["m"]):
            v = c.find("m:v", NS)
            if c.get("t") == "s":
                val = shared[int(v.text)]
            elif c.get("t") == "inlineStr":
                val = "".join(t.text or "" for t in c.iter("{%s}t" % NS["m"]))
            else:
                val = float(v.text) if v is not None else None
            cells[cell_index(c.get("r"))] = val
        sheets[sh.get("name")] = cells
    return sheets


def same(cell, json_value):
    """A cell equals its JSON value: text exactly; a number to the 15
    significant digits cJSON prints (it writes %.15g when that reads back
    within DBL_EPSILON)."""
    if isinstance(cell, float) and isinstance(json_value, (int, float)):
        return abs(cell - json_value) <= 1e-14 * max(1.0, abs(cell))
    return cell == json_value


def check_xlsx(path, units):
    """Acceptance 2: each unit's filing sheet equals its JSON section."""
    sheets = read_xlsx(path)
    for i in range(N):
        f = units[CODES[i]]["filing"]
        cells = sheets.get(CODES[i])
        ok(cells is not None, "sheet of unit %d" % i)
        if cells is None:
            continue
        for k, r in enumerate(f["rows"]):
            row = k + 1
            got = [cells.get((row, c)) for c in (0, 2, 5, 6, 7, 8, 9, 12, 13, 15)]
            value = r["entry"]["text"] if r["entry"] else r["value"]
            want = [float(r["no"]), r["zh"], value, r["baseline"], r["leading"],
                    r["weight"], r["score"], r["completeness"], r["proof"],
                    r["note"] or None]
            ok(all(same(a, b) for a, b in zip(got, want)),
               "unit %d sheet row %d %r == %r" % (i, row, got, want))
            ok(cells.get((row, 10)) == ("是 yes" if r["applicable"] else "否 no"),
               "unit %d row %d applicable" % (i, row))
        tot = len(f["rows"]) + 1
        ok(same(cells.get((tot, 9)), f["total"]) and same(cells.get((tot, 8)), f["max_total"]),
           "unit %d sheet total %r == %r" % (i, cells.get((tot, 9)), f["total"]))
        ok(cells.get((tot + 1, 5)) == f["outlook"]["grade"]
           and cells.get((tot + 1, 6)) == f["outlook"]["rank"],
           "unit %d sheet outlook" % i)


def api(port, path, token, method="GET", body=None):
    h = {"Authorization": "Bearer " + token}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    r = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data,
                               headers=h, method=method)
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode("utf-8") or "{}")


def start_http(P, store):
    tokens = {}
    run(["admin", "--store", store, "county", "add", "--code", "350104", "--name", "仓山区"])
    for name, role, scope in [("city-ops", "city", None), ("gulou", "county", "350102"),
                              ("cangshan", "county", "350104"), ("unit5", "unit", CODES[5])]:
        args = ["token", "add", "--store", store, "--role", role, "--name", name]
        tokens[name] = run(args + (["--scope", scope] if scope else [])).stdout.strip()
    port = gfitest.free_port()
    cfg = P.write_json("agg.json", {"store": store, "http": {"bind": "127.0.0.1",
                                                              "port": port}})
    P.start([AGG, "http", "--config", cfg], "http.log")

    def up():
        try:
            return api(port, "/api/v1/health", "x")[0] == 200
        except OSError:
            return False
    gfitest.wait_for(up, 20, "the http server")
    return port, tokens


def check_api(P, store, units):
    port, T = start_http(P, store)
    path = "/api/v1/units/%s/filing?year=2025" % CODES[5]
    st, f = api(port, path, T["unit5"])
    want = units[CODES[5]]["filing"]
    ok(st == 200 and f["rows"] == want["rows"] and f["outlook"] == want["outlook"]
       and f["total"] == want["total"] and f["trend"] == want["trend"],
       "filing view over HTTP equals the report's: %s" % st)
    st, _ = api(port, "/api/v1/units/%s/filing?year=2025" % CODES[6], T["unit5"])
    ok(st == 404, "another unit's filing: 404 (%s)" % st)
    st, d = api(port, "/api/v1/scores?year=2025", T["city-ops"])
    ranks = [u["rank"] for u in d.get("units", [])]
    dist = {}
    for u in units.values():
        g = u["filing"]["outlook"]["grade"]
        dist[g] = dist.get(g, 0) + 1
    ok(st == 200 and len(ranks) == N and ranks == sorted(ranks) and d["distribution"] == dist,
       "scores: 40 units by rank, distribution %r" % d.get("distribution"))
    st, d = api(port, "/api/v1/scores?year=2025", T["cangshan"])
    ok(st == 200 and d["units"] == [], "another county's token sees no unit")
    base = "/api/v1/units/%s/statements" % CODES[5]
    remark = {"year": 2025, "kind": "remark", "row": 16, "date": "2026-03-01",
              "text": "用地面积按新不动产权证更正 land area from the new title",
              "evidence": "不动产权证 2026-0012"}
    for bad, field in [(dict(remark, kind="x"), "kind:"), (dict(remark, date="2026-3-1"), "date:"),
                       ({k: v for k, v in remark.items() if k != "row"}, "row:"),
                       (dict(remark, row=19), "row:"), (dict(remark, year="2025"), "year:")]:
        st, d = api(port, base, T["unit5"], "POST", bad)
        ok(st == 400 and d.get("error", "").startswith(field), "refused %s: %s %s" % (field, st, d))
    st, d = api(port, base, T["city-ops"], "POST", remark)
    ok(st == 403, "a city token does not write a unit's statement: %s" % st)
    st, r = api(port, base, T["unit5"], "POST", remark)
    ok(st == 201 and r["state"] == "stated" and r["by"] == "unit5" and r["statement_of"] == "unit"
       and r["row"] == 16, "remark written by the unit: %s %s" % (st, r))
    st, m = api(port, base, T["unit5"], "POST", {"year": 2025, "kind": "major_change",
                                                "date": "2025-09-30", "text": "更名 renamed",
                                                "evidence": "营业执照"})
    ok(st == 201, "major change written: %s" % st)
    entry = {"year": 2025, "kind": "qualitative", "row": 5, "date": "2026-03-02",
             "text": "已建立能源管理体系 energy management system certified"}
    st, d = api(port, base, T["unit5"], "POST", dict(entry, row=16))
    ok(st == 400 and d.get("error", "").startswith("row:"), "a qualitative entry on row 16: %s" % d)
    st, d = api(port, base, T["unit5"], "POST", entry)
    ok(st == 201 and d["kind"] == "qualitative", "qualitative row 5 entered: %s" % st)
    st, d = api(port, "/api/v1/statements/%d/confirm" % r["id"], T["unit5"], "POST")
    ok(st == 404, "a unit token cannot confirm: %s" % st)
    st, d = api(port, "/api/v1/statements/%d/confirm" % r["id"], T["cangshan"], "POST")
    ok(st == 404, "another county cannot confirm: %s" % st)
    st, d = api(port, "/api/v1/statements/%d/confirm" % r["id"], T["gulou"], "POST")
    ok(st == 200 and d["state"] == "confirmed" and d["reviewed_by"] == "gulou"
       and d["reviewed_s"] > 0, "county confirms: %s %s" % (st, d))
    st, d = api(port, "/api/v1/statements/%d/reject" % r["id"], T["city-ops"], "POST")
    ok(st == 409, "reviewed once: %s" % st)
    st, d = api(port, "/api/v1/statements/%d/reject" % m["id"], T["city-ops"], "POST")
    ok(st == 200 and d["state"] == "rejected" and d["reviewed_by"] == "city-ops",
       "city rejects: %s" % st)
    st, f = api(port, path, T["gulou"])
    row16 = [x for x in f["rows"] if x["no"] == 16][0]
    ok(row16["remark"]["text"] == remark["text"] and row16["remark"]["state"] == "confirmed"
       and len(f["major_changes"]) == 1 and f["compliance"] == []
       and f["rows"][4]["entry"]["text"] == entry["text"],
       "filing view shows the remark, the qualitative entry and the major change")
    db = sqlite3.connect(store)
    acts = [a for (a,) in db.execute("SELECT action FROM audit WHERE action LIKE 'statement.%'")]
    db.close()
    ok(acts.count("statement.add") == 4 and "statement.confirm" in acts
       and "statement.reject" in acts, "statements audited: %r" % acts)
    return remark["text"]


def main():
    with gfitest.Procs() as P:
        tmp = P.tmp
        store = build(tmp)
        p = run(["benchmark", "list", "--store", store])
        ok(len(p.stdout.splitlines()) == 1 + len(BENCH), "benchmark list rows")
        run(["benchmark", "set", "--store", store, "--indicator", "plot_ratio", "--year",
             "2025", "--baseline", "2", "--leading", "1", "--weight", "1", "--direction",
             "higher", "--source", "x"], expect=2)
        out = os.path.join(tmp, "t.json")
        run(["report", "--store", store, "--year", "2025", "--format", "json", "--out", out,
             "--now", "2026-06-01"])
        with open(out, encoding="utf-8") as f:
            units = {u["code"]: u for u in json.load(f)["units"]}
        for i in range(N):
            check_rows(i, units[CODES[i]]["filing"])
        check_outlook(units)
        xlsx = os.path.join(tmp, "t.xlsx")
        run(["report", "--store", store, "--year", "2025", "--format", "xlsx", "--out",
             xlsx, "--now", "2026-06-01"])
        check_xlsx(xlsx, units)
        text = check_api(P, store, units)
        run(["report", "--store", store, "--year", "2025", "--format", "json", "--out", out,
             "--now", "2026-06-01"])
        run(["report", "--store", store, "--year", "2025", "--format", "xlsx", "--out",
             xlsx, "--now", "2026-06-01"])
        with open(out, encoding="utf-8") as f:
            units = {u["code"]: u for u in json.load(f)["units"]}
        f5 = units[CODES[5]]["filing"]
        ok(len(f5["remarks"]) == 1 and f5["rows"][15]["remark"]["text"] == text,
           "the report carries the remark")
        sheet = read_xlsx(xlsx)[CODES[5]]
        ok(sheet.get((16, 14)) == text, "the sheet's remark column")
        ok(sheet.get((5, 5)) == f5["rows"][4]["entry"]["text"], "the qualitative row's text")
        check_xlsx(xlsx, units)
    gfitest.finish("scores")


if __name__ == "__main__":
    main()

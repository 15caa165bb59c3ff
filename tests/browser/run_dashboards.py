"""Browser test driver for the dashboards (dashboards/, docs/api.md).

Builds the dashboards (dashboards/build.sh) when dashboards/dist is missing
or was built from other sources, sets up a store like
tests/integration/test_http_api.py does (registry through `gfi-aggregator
admin`, tokens through `token add`, sixteen months of hourly counter
readings with their daily rollups, batches and alerts written with SQL;
facts and two sectors' benchmarks for the platform's table of 2024),
starts `gfi-aggregator http --config` on a free port with
static_dir = dashboards/dist, runs `node tests/browser/test_dashboards.mjs`
(playwright-core driving Debian's /usr/bin/chromium) with BASE_URL and the
tokens in the environment, stops the server by PID and prints
"dashboards: N passed, N failed".
"""
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time

import gfitest
from gfitest import ok
from gfitest import signed as signing

HERE = os.path.dirname(os.path.abspath(__file__))

SOURCE = os.environ.get("GFI_SOURCE_DIR", os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("GFI_BUILD_DIR", os.getcwd())
AGG = os.environ.get("GFI_AGGREGATOR", "gfi-aggregator")
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
TZ = 8 * 3600
T0 = 1704038400             # 2024-01-01 00:00 Asia/Shanghai
T1 = 1745942400             # 2025-04-30 00:00 Asia/Shanghai: 2025 has 4 months


def credit_code(body17):
    s = sum(ALPHABET.index(c) * w for c, w in zip(body17, WEIGHTS))
    c = 31 - s % 31
    return body17 + ALPHABET[0 if c == 31 else c]


# The pinned server's now: 2025 is a year in progress, its readings
# complete to now; the cards say up to which day they compare.
PINNED_NOW = "2025-04-20 12:00"
PINNED_LABEL = "同比(截至4月20日)"

FACTORY = credit_code("91350100M000100Y4")
FILING_YEAR = 2024
CHAIN = credit_code("91350100MA0000020")


def run(args):
    return gfitest.run_ok([AGG] + args)


def counter(db, gateway, meter, point, quantity, start_v, step):
    """Hourly readings from T0 to T1 and their daily rollups."""
    sid = db.execute("INSERT INTO series (gateway, meter, point, quantity) "
                     "VALUES (?, ?, ?, ?)", (gateway, meter, point, quantity)).lastrowid
    rows, days, v = [], {}, start_v
    for t in range(T0, T1 + 1, 3600):
        rows.append((sid, t, v))
        days.setdefault((t + TZ) // 86400 * 86400 - TZ, []).append((t, v))
        v += step
    db.executemany("INSERT INTO readings (series, time_s, value, status, detail) "
                   "VALUES (?, ?, ?, 0, 0)", rows)
    db.executemany(
        "INSERT INTO rollups (series, day_s, count, bad, first_s, first_v, last_s, "
        "last_v, min_v, max_v, integral) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, 0)",
        [(sid, d, len(r), r[0][0], r[0][1], r[-1][0], r[-1][1],
          min(x[1] for x in r), max(x[1] for x in r)) for d, r in days.items()])
    return {d: [(meter, point, quantity, t, x) for t, x in r] for d, r in days.items()}


def build_store(P, store):
    key, pub = P.path("gw.key"), P.path("gw.pub")
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey",
                    "-noout", "-out", key], check=True)
    subprocess.run(["openssl", "ec", "-in", key, "-pubout", "-out", pub],
                   check=True, capture_output=True)

    def admin(*a):
        run(["admin", "--store", store] + list(a))
    admin("county", "add", "--code", "350102", "--name", "鼓楼区")
    admin("county", "add", "--code", "350104", "--name", "仓山区")
    admin("unit", "add", "--code", FACTORY, "--name", "榕城水泥", "--kind",
          "factory", "--county", "350102", "--level", "city", "--year", "2020",
          "--sector", "C3011")
    admin("unit", "add", "--code", CHAIN, "--name", "海峡供应链", "--kind",
          "supply_chain", "--county", "350104", "--level", "national",
          "--year", "2022")
    for gw, unit in [("gw-a", FACTORY), ("gw-b", CHAIN)]:
        admin("gateway", "add", "--id", gw, "--unit", unit, "--pubkey", pub)
    for gw, meter, point, q, role, carrier in [
            ("gw-a", "E1", "kwh", "elec_import_kwh", "elec_purchased", "electricity"),
            ("gw-a", "W1", "m3", "water_volume_m3", "water_intake", "water"),
            ("gw-b", "E2", "kwh", "elec_import_kwh", "elec_purchased", "electricity")]:
        admin("meter", "add", "--gateway", gw, "--meter", meter, "--point",
              point, "--quantity", q, "--role", role, "--carrier", carrier,
              "--accuracy", "1", "--registered", "2023-12-01")
    db = sqlite3.connect(store)
    e1 = counter(db, "gw-a", "E1", "kwh", "elec_import_kwh", 1000.0, 10.0)
    w1 = counter(db, "gw-a", "W1", "m3", "water_volume_m3", 50.0, 0.5)
    # A signed batch a day holds them, so that the spot check can trust
    # them; received long ago, so gw-a is not among the reporting gateways.
    signing.write_batches(db, "gw-a", key, [e1[d] + w1[d] for d in sorted(e1)], T0)
    db.commit()
    db.close()
    # gw-b's history comes from its EMS export through the importer, so its
    # unit is marked imported (the dashboards show the 导入 badge) and
    # gw-a's stays measured.
    csv_path = P.path("gw-b-history.csv")
    with open(csv_path, "w") as f:
        f.write("gateway,meter,point,time,value\n")
        for i, t in enumerate(range(T0, T1 + 1, 3600)):
            f.write("gw-b,E2,kwh,%d,%.1f\n" % (t, 4.0 * i))
    run(["import", "--store", store, "--csv", csv_path, "--by", "browser-test"])
    db = sqlite3.connect(store)
    now = int(time.time())
    # gw-b reported ten minutes ago (its unit is reporting), gw-a long ago.
    db.execute("INSERT INTO batches (gateway, seq, hash, payload, received_s) "
               "VALUES ('gw-b', 1, zeroblob(32), 'x', ?)", (now - 600,))
    for unit, rule in [(FACTORY, "completeness"), (FACTORY, "energy_yoy"),
                       (CHAIN, "completeness")]:
        db.execute("INSERT INTO alerts (unit, rule, subject, period, value, "
                   "threshold, detail, first_seen_s, last_seen_s, state) VALUES "
                   "(?, ?, 'data', '2025', 50, 90, 'low', ?, ?, 'open')",
                   (unit, rule, now - 86400, now - 3600))
    db.commit()
    db.close()
    # The platform's table of 2024 (issue 15): facts and two sectors'
    # benchmarks (the 通则's and C3011's own).
    for key, value in [("output_value_10k_cny", "5000"), ("land_area_m2", "20000"),
                       ("floor_area_m2", "18000"), ("building_footprint_m2", "9000")]:
        admin("fact", "set", "--unit", FACTORY, "--year", str(FILING_YEAR), "--key", key,
              "--value", value, "--by", "browser-test")
    for sector, key, base, lead, w, d in [("", "energy_per_value", "200", "50", "10", "lower"),
                                          ("", "output_per_land", "0.1", "0.4", "5", "higher"),
                                          ("C3011", "plot_ratio", "0.6", "1.2", "5", "higher"),
                                          ("", "building_coeff_pct", "30", "60", "5", "higher")]:
        run(["benchmark", "set", "--store", store, "--indicator", key, "--year", "2020",
             "--baseline", base, "--leading", lead, "--weight", w, "--direction", d,
             "--source", "browser test"] + (["--sector", sector] if sector else []))
    tokens = {}
    for name, role, scope in [("city-ops", "city", None),
                              ("gulou", "county", "350102"),
                              ("factory", "unit", FACTORY)]:
        args = ["token", "add", "--store", store, "--role", role, "--name", name]
        if scope:
            args += ["--scope", scope]
        tokens[name] = run(args).strip()
    return tokens


def health(base):
    try:
        import urllib.request
        with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def dist_stale(dist):
    """dist/ is missing, or what it was built from (dist/.sources, the
    sha256sum of src/* and assemble.mjs that dashboards/build.sh writes)
    differs from the tree: the test must see the pages as they are in the
    tree, not as last built."""
    if not os.path.exists(os.path.join(dist, "echarts.min.js")):
        return True
    root = os.path.join(SOURCE, "dashboards")
    now = {"assemble.mjs"} | {"src/" + n for n in os.listdir(os.path.join(root, "src"))}
    try:
        with open(os.path.join(dist, ".sources")) as f:
            pairs = [line.split(None, 1) for line in f.read().splitlines()]
        built = {name: digest for digest, name in pairs}
    except (OSError, ValueError):
        return True
    if set(built) != now:
        return True
    for name, digest in built.items():
        with open(os.path.join(root, name), "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() != digest:
                return True
    return False


def main():
    dist = os.path.join(SOURCE, "dashboards", "dist")
    if dist_stale(dist):
        subprocess.run(["bash", os.path.join(SOURCE, "dashboards", "build.sh")],
                       check=True)
    shots = os.path.join(BUILD, "screenshots")
    os.makedirs(shots, exist_ok=True)
    with gfitest.Procs() as P:
        store = P.path("gfi.db")
        T = build_store(P, store)
        port = gfitest.free_port()
        cfg = P.write_json("agg.json", {
            "store": store, "log_level": "info",
            "http": {"bind": "127.0.0.1", "port": port, "static_dir": dist}})
        srv = P.start([AGG, "http", "--config", cfg], "http.log")
        base = "http://127.0.0.1:%d" % port

        def up():
            try:
                import urllib.request
                with urllib.request.urlopen(base + "/api/v1/health", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False
        gfitest.wait_for(up, 20, "the http server")
        # A second server pinned inside 2025 (--now): the year in progress
        # of the unit page's cards, compared to the same day of 2024.
        pinned_port = gfitest.free_port()
        pinned_cfg = P.write_json("agg-pinned.json", {
            "store": store, "log_level": "info",
            "http": {"bind": "127.0.0.1", "port": pinned_port, "static_dir": dist}})
        pinned = P.start([AGG, "http", "--config", pinned_cfg, "--now", PINNED_NOW],
                         "http-pinned.log")
        pinned_base = "http://127.0.0.1:%d" % pinned_port
        gfitest.wait_for(lambda: health(pinned_base), 20, "the pinned http server")
        env = dict(os.environ, BASE_URL=base, TOKEN=T["city-ops"], TOKEN_NAME="city-ops",
                   PINNED_URL=pinned_base, PINNED_LABEL=PINNED_LABEL,
                   TOKENS=json.dumps(T), SCREENSHOT_DIR=shots,
                   DOWNLOAD_DIR=P.path("downloads"), FACTORY=FACTORY, YEAR="2025",
                   FILING_YEAR=str(FILING_YEAR),
                   GFI_SOURCE_DIR=SOURCE)
        r = subprocess.run(["node", os.path.join(HERE, "test_dashboards.mjs")],
                           env=env, cwd=os.path.join(SOURCE, "dashboards"),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=120)
        sys.stdout.write(r.stdout)
        # the browser test prints "browser: N passed, N failed" last
        last = [x for x in r.stdout.splitlines() if x.startswith("browser: ")]
        n_pass = n_fail = 0
        if last:
            parts = last[-1].split()
            n_pass, n_fail = int(parts[1]), int(parts[3])
        for _ in range(n_pass):
            ok(True, "browser check")
        for _ in range(n_fail):
            gfitest.check(False, "browser check failed (see above)")
        ok(r.returncode == 0 and last, "node test exits 0 (rc=%d)" % r.returncode)
        rc = P.stop(srv)
        ok(rc == 0, "server exits 0 on SIGTERM (%s): %s" % (rc, P.log("http.log")[-2000:]))
        rc = P.stop(pinned)
        ok(rc == 0, "pinned server exits 0 on SIGTERM (%s): %s" % (
            rc, P.log("http-pinned.log")[-2000:]))
    gfitest.finish("dashboards")


if __name__ == "__main__":
    main()

"""Integration test of the HTTP API (docs/api.md) over real HTTP.

A store is built with the gfi-aggregator command line (`admin` for the
registry, `token add` for tokens of every role) plus a few days of hourly
counter readings (held by signed batches, gfitest.signed), their rollups, a
placeholder batch of gw-b and two alerts written straight
into the store with SQL (as test_report.py does: this test is about the API,
not transport). `gfi-aggregator http --config` is started on a free port on
127.0.0.1, waited for through /api/v1/health, and asked about every
endpoint with every role; it must stop on SIGTERM with exit status 0 (where
AddressSanitizer and LeakSanitizer report).
"""
import json
import os
import time
import re
import socket
import sqlite3
import subprocess
import urllib.error
import urllib.request

import gfitest
from gfitest import ok
from gfitest import signed as signing

AGG = os.environ.get("GFI_AGGREGATOR", "gfi-aggregator")
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
TZ = 8 * 3600
DAY0 = 1748707200          # 2025-06-01 00:00 Asia/Shanghai
GW_A_RECEIVED = 1749000000  # gw-a's signed batches (build)


def credit_code(body17):
    s = sum(ALPHABET.index(c) * w for c, w in zip(body17, WEIGHTS))
    c = 31 - s % 31
    return body17 + ALPHABET[0 if c == 31 else c]


FACTORY = credit_code("91350100M000100Y4")
CHAIN = credit_code("91350100MA0000020")


def run(args):
    return gfitest.run_ok([AGG] + args)


def build(P, store):
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
    for gw, unit, meter in [("gw-a", FACTORY, "E1"), ("gw-b", CHAIN, "E2")]:
        admin("gateway", "add", "--id", gw, "--unit", unit, "--pubkey", pub)
        admin("meter", "add", "--gateway", gw, "--meter", meter, "--point",
              "kwh", "--quantity", "elec_import_kwh", "--role",
              "elec_purchased", "--carrier", "electricity", "--accuracy", "1",
              "--registered", "2024-01-01")
    db = sqlite3.connect(store)
    sid = db.execute("INSERT INTO series (gateway, meter, point, quantity) "
                     "VALUES ('gw-a', 'E1', 'kwh', 'elec_import_kwh')").lastrowid
    v = 1000.0
    days = {}
    for h in range(3 * 24):
        t = DAY0 + h * 3600
        v += 10.0
        db.execute("INSERT INTO readings (series, time_s, value, status, detail) "
                   "VALUES (?, ?, ?, 0, 0)", (sid, t, v))
        days.setdefault((t + TZ) // 86400 * 86400 - TZ, []).append((t, v))
    # A signed batch a day holds them, so that spot checks can trust them.
    signing.write_batches(db, "gw-a", key, [
        [("E1", "kwh", "elec_import_kwh", t, x) for t, x in days[d]] for d in sorted(days)],
        GW_A_RECEIVED)
    for d, rows in days.items():
        vals = [x[1] for x in rows]
        db.execute("INSERT INTO rollups (series, day_s, count, bad, first_s, "
                   "first_v, last_s, last_v, min_v, max_v, integral) VALUES "
                   "(?, ?, ?, 0, ?, ?, ?, ?, ?, ?, 0)",
                   (sid, d, len(rows), rows[0][0], rows[0][1], rows[-1][0],
                    rows[-1][1], min(vals), max(vals)))
    db.execute("INSERT INTO batches (gateway, seq, hash, payload, received_s) "
               "VALUES ('gw-b', 1, zeroblob(32), 'x', 1750000000)")
    for unit in (FACTORY, CHAIN):
        db.execute("INSERT INTO alerts (unit, rule, subject, period, value, "
                   "threshold, detail, first_seen_s, last_seen_s, state) VALUES "
                   "(?, 'completeness', 'data', '2025', 50, 90, 'low', 1, 1, "
                   "'open')", (unit,))
    db.commit()
    db.close()
    tokens = {}
    for name, role, scope in [("city-ops", "city", None),
                              ("gulou", "county", "350102"),
                              ("cangshan", "county", "350104"),
                              ("factory", "unit", FACTORY),
                              ("old", "city", None)]:
        args = ["token", "add", "--store", store, "--role", role, "--name", name]
        if scope:
            args += ["--scope", scope]
        tokens[name] = run(args).strip()
    run(["token", "revoke", "--store", store, "--name", "old"])
    return tokens


class Client:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port

    def req(self, path, token=None, method="GET", body=None, headers=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        r = urllib.request.Request(self.base + path, data=data, headers=h,
                                   method=method)
        try:
            with urllib.request.urlopen(r, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()
        except ConnectionError as e:
            return 0, {}, str(e).encode()

    def json(self, path, token=None, method="GET", body=None):
        st, h, raw = self.req(path, token, method, body)
        try:
            return st, json.loads(raw.decode("utf-8"))
        except ValueError:
            return st, {"raw": raw[:200]}


def error_line(doc):
    e = doc.get("error", "")
    return isinstance(e, str) and e != "" and "\n" not in e


def main():
    with gfitest.Procs() as P:
        store = P.path("gfi.db")
        T = build(P, store)
        ok(all(len(T[k]) == 64 for k in T), "tokens are 64 hex characters")
        listing = run(["token", "list", "--store", store])
        ok(T["city-ops"] not in listing and "gulou\tcounty\t350102" in listing,
           "token list shows names and scopes, never tokens: %s" % listing)
        db = sqlite3.connect(store)
        ok(db.execute("SELECT count(*) FROM api_tokens WHERE revoked_s != 0")
           .fetchone()[0] == 1, "revoked token recorded")
        db.close()
        os.mkdir(P.path("www"))
        with open(P.path("www/index.html"), "w") as f:
            f.write("<!doctype html><title>gfi</title>")
        port = gfitest.free_port()
        cfg = P.write_json("agg.json", {
            "store": store, "log_level": "info",
            "http": {"bind": "127.0.0.1", "port": port, "max_body_bytes": 1024,
                     "max_connections": 8, "static_dir": "www"}})
        bad = P.write_json("bad.json", {"store": store, "http": {"port": 8080,
                                                                 "colour": 1}})
        r = subprocess.run([AGG, "http", "--config", bad], capture_output=True,
                           text=True)
        ok(r.returncode != 0 and r.stderr.startswith("http.colour"),
           "unknown http key refused naming it: %s" % r.stderr)
        srv = P.start([AGG, "http", "--config", cfg], "http.log")
        c = Client(port)

        def up():
            try:
                return c.json("/api/v1/health")[0] == 200
            except (OSError, ValueError):
                return False
        gfitest.wait_for(up, 20, "the http server")
        st, d = c.json("/api/v1/health")
        ok(st == 200 and d.get("status") == "ok" and d.get("version"),
           "health without a token: %s" % d)

        # authentication
        st, d = c.json("/api/v1/units")
        ok(st == 401 and error_line(d), "no token: 401 %s" % d)
        st, d = c.json("/api/v1/units", "0" * 64)
        ok(st == 401 and error_line(d), "unknown token: 401")
        st, d = c.json("/api/v1/units", "xyz")
        ok(st == 401, "malformed token: 401")
        st, d = c.json("/api/v1/units", T["old"])
        ok(st == 401 and "revoked" in d.get("error", ""), "revoked token: 401 %s" % d)

        # units and scope
        def codes(tok, q=""):
            st, d = c.json("/api/v1/units" + q, tok)
            return st, sorted(u["code"] for u in d.get("units", []))
        ok(codes(T["city-ops"]) == (200, sorted([FACTORY, CHAIN])), "city sees all units")
        ok(codes(T["gulou"]) == (200, [FACTORY]), "county sees its county")
        ok(codes(T["cangshan"]) == (200, [CHAIN]), "other county sees its own")
        ok(codes(T["factory"]) == (200, [FACTORY]), "unit sees itself")
        ok(codes(T["city-ops"], "?kind=supply_chain") == (200, [CHAIN]), "kind filter")
        ok(codes(T["city-ops"], "?county=350102&level=city") == (200, [FACTORY]),
           "county and level filter")
        st, d = c.json("/api/v1/units", T["city-ops"])
        u = [x for x in d["units"] if x["code"] == FACTORY][0]
        ok(u["name"] == "榕城水泥" and u["kind"] == "factory" and u["county"] == "350102"
           and u["level"] == "city" and u["year_listed"] == 2020, "unit fields: %s" % u)
        st, d = c.json("/api/v1/units?kind=mine", T["city-ops"])
        ok(st == 400 and d["error"].startswith("kind:"), "bad kind: 400 %s" % d)
        st, d = c.json("/api/v1/units?colour=red", T["city-ops"])
        ok(st == 400 and d["error"].startswith("colour:"), "unknown parameter: 400")

        # indicators
        path = "/api/v1/units/%s/indicators?year=2025&month=6" % FACTORY
        st, d = c.json(path, T["gulou"])
        ok(st == 200 and d.get("unit") == FACTORY and d.get("year") == 2025 and
           d.get("month") == 6 and "product_unit" in d, "indicators shape: %s" % str(d)[:200])
        e = d.get("indicators", {}).get("elec_kwh", {})
        ok(set(e) >= {"value", "unit", "zh", "en", "completeness", "provenance",
                      "estimated", "yoy_pct"}, "indicator fields: %s" % e)
        ok(isinstance(e.get("value"), (int, float)) and e["value"] > 0 and
           e.get("provenance") == "metered", "June electricity metered: %s" % e)
        st, d = c.json("/api/v1/units/%s/indicators?year=2025" % FACTORY, T["cangshan"])
        ok(st == 404 and error_line(d), "other county's unit: 404, not 403")
        st, d = c.json("/api/v1/units/%s/indicators?year=2025" % CHAIN, T["factory"])
        ok(st == 404, "another unit for a unit token: 404")
        st, d = c.json("/api/v1/units/%s/indicators?year=1999" % FACTORY, T["city-ops"])
        ok(st == 400 and d["error"].startswith("year:"), "bad year: 400 %s" % d)
        st, d = c.json("/api/v1/units/%s/indicators" % FACTORY, T["city-ops"])
        ok(st == 400 and d["error"] == "year: missing", "missing year: 400 %s" % d)
        st, d = c.json("/api/v1/units/%s/indicators/monthly?year=2025" % FACTORY,
                       T["factory"])
        ok(st == 200 and len(d.get("months", [])) == 12 and
           d["months"][5]["month"] == 6, "monthly: 12 months")

        # meters, series, gateways
        st, d = c.json("/api/v1/units/%s/meters" % FACTORY, T["factory"])
        ok(st == 200 and [(m["gateway"], m["meter"], m["point"], m["role"])
                          for m in d["meters"]] ==
           [("gw-a", "E1", "kwh", "elec_purchased")], "meters: %s" % d)
        db = sqlite3.connect(store)
        last = db.execute("SELECT r.time_s, r.value FROM readings r JOIN series s "
                          "ON s.id = r.series WHERE s.gateway = 'gw-a' AND s.meter = 'E1' "
                          "AND s.point = 'kwh' ORDER BY r.time_s DESC LIMIT 1").fetchone()
        db.close()
        ok(last is not None and d["meters"][0]["last_time_s"] == last[0]
           and d["meters"][0]["last_value"] == last[1]
           and d["meters"][0]["last_status"] == "ok",
           "meters carry their last reading: %s, stored %s" % (d["meters"][0], last))
        q = "/api/v1/series?gateway=gw-a&meter=E1&point=kwh&from=2025-06-01&to=2025-06-04"
        st, d = c.json(q, T["gulou"])
        ok(st == 200 and len(d.get("rollups", [])) == 3 and
           d["rollups"][0]["count"] == 24, "series: three days of rollups")
        st, d = c.json(q, T["cangshan"])
        ok(st == 404, "series of another county's gateway: 404")
        st, d = c.json("/api/v1/series?gateway=gw-a&from=2025-06-04&to=2025-06-01",
                       T["city-ops"])
        ok(st == 400 and d["error"].startswith("to:"), "series to before from: 400")
        st, d = c.json("/api/v1/series?gateway=gw/a&from=1&to=2", T["city-ops"])
        ok(st == 400 and d["error"].startswith("gateway:"), "bad gateway id: 400")
        st, d = c.json("/api/v1/gateways", T["city-ops"])
        gws = {g["id"]: g for g in d.get("gateways", [])}
        ok(st == 200 and set(gws) == {"gw-a", "gw-b"} and
           gws["gw-b"]["last_batch_s"] == 1750000000 and
           gws["gw-a"]["last_batch_s"] == GW_A_RECEIVED and gws["gw-a"]["active"] is True,
           "gateways with last batch: %s" % d)
        st, d = c.json("/api/v1/gateways", T["gulou"])
        ok([g["id"] for g in d.get("gateways", [])] == ["gw-a"], "county's gateways")

        # alerts
        st, d = c.json("/api/v1/alerts?state=open", T["gulou"])
        mine = d.get("alerts", [])
        ok(st == 200 and len(mine) == 1 and mine[0]["unit"] == FACTORY,
           "county sees its alert only")
        st, d = c.json("/api/v1/alerts", T["city-ops"])
        ok(len(d.get("alerts", [])) == 2, "city sees both alerts")
        st, d = c.json("/api/v1/alerts?state=closed", T["city-ops"])
        ok(st == 400 and d["error"].startswith("state:"), "bad state: 400")
        aid = mine[0]["id"] if mine else 0
        other = [a["id"] for a in c.json("/api/v1/alerts", T["city-ops"])[1]["alerts"]
                 if a["unit"] == CHAIN][0]
        st, d = c.json("/api/v1/alerts/%d/ack" % other, T["gulou"], "POST", {})
        ok(st == 404, "ack of another county's alert: 404")
        st, d = c.json("/api/v1/alerts/%d/ack" % aid, T["gulou"], "GET")
        ok(st == 405, "GET on ack: 405")
        st, d = c.json("/api/v1/alerts/%d/ack" % aid, T["gulou"], "POST",
                       {"by": "Li Wei"})
        ok(st == 200 and d.get("state") == "acknowledged" and
           d.get("changed_by") == "gulou", "ack recorded with the token name: %s" % d)
        st, d = c.json("/api/v1/alerts/%d/ack" % aid, T["gulou"], "POST", {})
        ok(st == 409 and error_line(d), "second ack: 409 %s" % d)
        st, d = c.json("/api/v1/alerts/%d/resolve" % aid, T["gulou"], "POST",
                       {"by": 7})
        ok(st == 400 and d["error"].startswith("by:"), "bad body field: 400")
        st, d = c.json("/api/v1/alerts/%d/resolve" % aid, T["gulou"], "POST",
                       b"{not json")
        ok(st == 400 and d["error"].startswith("body:"), "broken JSON: 400")
        st, d = c.json("/api/v1/alerts/%d/resolve" % aid, T["city-ops"], "POST")
        ok(st == 200 and d.get("state") == "resolved" and
           d.get("changed_by") == "city-ops", "resolve without a body")

        # spot checks
        body = {"gateway": "gw-a", "meter": "E1", "point": "kwh",
                "at": "2025-06-02 12:30", "reading": 1365.0,
                "note": "display photo 12"}
        st, d = c.json("/api/v1/spotchecks", T["cangshan"], "POST", body)
        ok(st == 404, "spot check on another county's gateway: 404")
        st, d = c.json("/api/v1/spotchecks", T["gulou"], "POST", body)
        ok(st == 201 and d.get("verdict") in ("consistent", "inconsistent",
                                              "cannot_judge") and
           d.get("inspector") == "gulou" and d.get("id", 0) > 0,
           "spot check recorded with a verdict: %s" % d)
        ok(d.get("verdict") == "consistent", "reading on the line is consistent: %s" % d)
        parts = d.get("tolerance_parts") or {}
        ok(set(parts) == {"display", "register", "clock", "interpolation", "classes"}
           and abs(sum(parts.values()) - d.get("tolerance", -1)) < 1e-6,
           "the tolerance is shown in its parts: %s" % d)
        st, d = c.json("/api/v1/spotchecks", T["gulou"], "POST", dict(body, inspector="Wang"))
        ok(st == 400 and d["error"].startswith("inspector"),
           "the inspector is the token's holder, not a body field: %s" % d)
        for path, b in (("/api/v1/spotchecks", body), ("/api/v1/alerts/%d/ack" % aid, {}),
                        ("/api/v1/alerts/%d/resolve" % aid, {})):
            st, d = c.json(path, T["factory"], "POST", b)
            ok(st == 404, "a unit token's oversight write %s: 404 (%d)" % (path, st))
        st, d = c.json("/api/v1/spotchecks", T["gulou"], "POST",
                       dict(body, reading=-1))
        ok(st == 400 and d["error"].startswith("reading:"), "negative reading: 400")
        st, d = c.json("/api/v1/spotchecks", T["gulou"], "POST",
                       dict(body, colour="red"))
        ok(st == 400 and "colour" in d["error"], "unknown body key: 400 %s" % d)
        st, d = c.json("/api/v1/spotchecks", T["gulou"])
        ok(st == 200 and len(d.get("spotchecks", [])) == 1, "spot check list")
        st, d = c.json("/api/v1/spotchecks", T["cangshan"])
        ok(st == 200 and d.get("spotchecks") == [], "other county sees none")

        # limits and methods
        st, h, raw = c.req("/api/v1/spotchecks", T["gulou"], "POST",
                           b"{" + b" " * 4096 + b"}")
        ok(st == 413, "oversize body: 413 (%d)" % st)
        st, h, raw = c.req("/api/v1/units?county=" + "1" * 5000, T["city-ops"])
        ok(st == 414, "long query: 414 (%d)" % st)
        st, h, raw = c.req("/api/v1/units", T["city-ops"], "DELETE")
        ok(st == 405 and "GET" in h.get("Allow", ""), "DELETE: 405 with Allow")
        st, d = c.json("/api/v1/nothing", T["city-ops"])
        ok(st == 404 and error_line(d), "unknown path: 404")
        st, d = c.json("/elsewhere")
        ok(st == 404, "path outside the API: 404")
        st, h, raw = c.req("/")
        ok(st == 200 and b"<title>gfi</title>" in raw and
           h.get("Content-Type", "").startswith("text/html"), "static index.html")
        st, h, raw = c.req("/%2e%2e/gfi.db")
        ok(st == 404, "no way out of static_dir: %d" % st)

        # report
        st, d = c.json("/api/v1/report?year=2025", T["gulou"])
        rows = d.get("units", d.get("rows", []))
        ok(st == 200 and isinstance(d, dict), "report JSON: %s" % str(d)[:200])
        text = json.dumps(d, ensure_ascii=False)
        ok(FACTORY in text and CHAIN not in text, "county report holds its units only")
        st, h, raw = c.req("/api/v1/report?year=2025&format=csv", T["city-ops"])
        ok(st == 200 and "attachment" in h.get("Content-Disposition", "") and
           FACTORY.encode() in raw and CHAIN.encode() in raw, "report CSV download")
        st, h, raw = c.req("/api/v1/report?year=2025&format=xlsx", T["factory"])
        ok(st == 200 and raw[:2] == b"PK" and
           h.get("Content-Disposition", "").endswith('.xlsx"'), "report XLSX download")
        st, d = c.json("/api/v1/report?year=2025&format=pdf", T["city-ops"])
        ok(st == 400 and d["error"].startswith("format:"), "bad format: 400")
        del rows

        # metrics from loopback without a token
        st, h, raw = c.req("/metrics")
        m = raw.decode()
        ok(st == 200 and "gfi_readings_total 72" in m and "gfi_batches_total 4" in m
           and "gfi_quarantined_batches_total 0" in m and "gfi_gateways 2" in m
           and "gfi_gateways_online 0" in m,
           "metrics: %s" % m)

        # an agent's last status (as ingest stores it) and a refused batch
        now = int(time.time())
        db = sqlite3.connect(store)
        db.execute("INSERT INTO gateway_status VALUES "
                   "('gw-a', 'online', 120, ?, 40, 38, '0.1.0', ?, ?)",
                   (now - 300, now, now))
        db.execute("INSERT INTO quarantine (received_s, topic, gateway, reason, payload) "
                   "VALUES (?, 'gfi/v1/gw-a/batch', 'gw-a', 'parse: not JSON', x'00')",
                   (now,))
        db.commit()
        db.close()
        st, d = c.json("/api/v1/gateways", T["city-ops"])
        gws = {g["id"]: g for g in d.get("gateways", [])}
        ok(st == 200 and gws["gw-a"]["status"]["state"] == "online"
           and gws["gw-a"]["status"]["queue_depth"] == 120
           and gws["gw-b"]["status"] is None,
           "gateways carry their last status: %s" % d)
        st, h, raw = c.req("/metrics")
        m = raw.decode()
        lag = re.search(r'gfi_agent_lag_seconds\{gateway="gw-a"\} (\d+)', m)
        ok("gfi_gateways_online 1" in m
           and 'gfi_agent_queue_depth{gateway="gw-a"} 120' in m
           and lag is not None and 300 <= int(lag.group(1)) <= 400
           and 'gfi_quarantined_batches_by_reason{reason="parse"} 1' in m,
           "metrics: queue depth, lag and refusals by reason: %s" % m)

        # the audit log
        db = sqlite3.connect(store)
        rows = db.execute("SELECT who, action, object, status FROM audit "
                          "ORDER BY id").fetchall()
        db.close()
        ok(("gulou", "alert.ack", "alert %d" % aid, 200) in rows and
           ("city-ops", "alert.resolve", "alert %d" % aid, 200) in rows and
           any(r[0] == "gulou" and r[1] == "spotcheck.add" for r in rows),
           "audit rows with token names: %s" % rows)

        # more idle connections than max_connections: the rest are refused,
        # and the server answers again once they are gone
        socks = []
        for _ in range(12):
            try:
                socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            except OSError:
                pass
        gfitest.wait_for(lambda: "connection limit" in P.log("http.log"), 10,
                         "the connection limit")
        ok(True, "connections beyond max_connections refused")
        for s in socks:
            s.close()
        gfitest.wait_for(up, 10, "answers after the idle connections close")
        ok(True, "answers again after idle connections close")

        rc = P.stop(srv)
        ok(rc == 0, "SIGTERM: exit 0 (%s): %s" % (rc, P.log("http.log")[-2000:]))
    gfitest.finish("http_api")


if __name__ == "__main__":
    main()

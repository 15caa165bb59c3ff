"""HTTP API security (issue 7): a county's token never reaches another
county, and SQL-injection and other hostile strings in every text field of
the API are refused or taken as plain data; nothing stored changes.

The store and tokens are test_http_api's (two counties: 350102 Gulou with
unit FACTORY, gateway gw-a, alert 1; 350104 Cangshan with unit CHAIN,
gateway gw-b, alert 2). `gfi-aggregator http` serves it on 127.0.0.1.

(1) Scope: the Gulou county token and the FACTORY unit token ask for
    Cangshan's units, gateway, alert and county through every endpoint that
    takes a unit, gateway, alert or county: the answer is 404 (or 200 with
    nothing of Cangshan in it), no byte of Cangshan's ids or names appears,
    and the whole store is unchanged (audit included).
(2) Injection: every query parameter, path segment and JSON body field of
    every endpoint gets each string of gfisec.INJECTIONS (plus NUL through
    %00 and \\u0000), with the county token so that an `OR 1=1` that
    worked would show Cangshan. No answer is a 5xx; nothing of Cangshan
    leaks; the store is unchanged, except where the field is free text the
    API stores (a spot check's note, an alert's "by"): then
    exactly the expected rows change and the text is stored verbatim.
(3) Coverage guard: the fields exercised are compared with the `allowed`
    parameter and body lists of every file of aggregator/api/ and the rows of
    its route table (routes.c), so a new field or route that this test does
    not feed fails it.
"""
import json
import os
import re
import sqlite3
import urllib.parse

from gfitest import security as gfisec
import gfitest
import test_http_api as H
from gfitest import ok

AGG = H.AGG
FOREIGN = [H.CHAIN, "gw-b", "海峡供应链", "E2", "仓山区"]   # Cangshan's, never to be seen
DAY0 = H.DAY0
NOBODY = H.credit_code("91350100MA0000099")   # valid, never registered

# Every endpoint: (method, path template, {query params}, {body fields}).
# {u} {a} in the path are path segments fed like fields ("path:u", "path:a").
# Values are valid for Gulou, so the one field replaced is the only bad one.
ENDPOINTS = [
    ("GET", "/api/v1/units", {"county": "350102", "kind": "factory", "level": "city"}, None),
    ("GET", "/api/v1/units/{u}/indicators", {"year": "2025", "month": "6"}, None),
    ("GET", "/api/v1/units/{u}/indicators/monthly", {"year": "2025"}, None),
    ("GET", "/api/v1/units/{u}/meters", {}, None),
    ("GET", "/api/v1/series", {"gateway": "gw-a", "meter": "E1", "point": "kwh",
                               "from": str(DAY0), "to": str(DAY0 + 86400)}, None),
    ("GET", "/api/v1/gateways", {}, None),
    ("GET", "/api/v1/alerts", {"state": "open", "county": "350102",
                               "unit": H.FACTORY}, None),
    ("POST", "/api/v1/alerts/{a}/ack", {}, {"by": "Li Wei"}),
    ("POST", "/api/v1/alerts/{a}/resolve", {}, {"by": "Li Wei"}),
    ("GET", "/api/v1/spotchecks", {"gateway": "gw-a", "meter": "E1", "point": "kwh"}, None),
    ("POST", "/api/v1/spotchecks", {}, {"gateway": "gw-a", "meter": "E1", "point": "kwh",
                                        "at": DAY0 + 7200, "reading": 1020,
                                        "note": "on site", "kind": "display",
                                        "display_resolution": 0.01, "register": "f32",
                                        "clock_uncertainty_s": 60}),
    ("POST", "/api/v1/spotchecks", {}, {"gateway": "gw-a", "meter": "E1", "point": "kwh",
                                        "kind": "reference", "from": DAY0 + 3600,
                                        "from_reading": 10, "at": DAY0 + 7200,
                                        "reading": 1020, "ref_class": 0.5}),
    ("POST", "/api/v1/spotchecks", {}, {"gateway": "gw-a", "meter": "E1", "point": "kwh",
                                        "kind": "increase", "since": 1,
                                        "at": DAY0 + 10800, "reading": 1020}),
    ("GET", "/api/v1/report", {"year": "2025", "format": "json", "county": "350102"}, None),
    ("GET", "/api/v1/imports", {}, None),
    ("GET", "/api/v1/counties", {}, None),
    ("GET", "/api/v1/health", {}, None),
    ("GET", "/metrics", {}, None),
    ("GET", "/api/v1/units/{u}/filing", {"year": "2025"}, None),
    ("GET", "/api/v1/scores", {"year": "2025"}, None),
    # Only the unit's own token writes its statements.
    ("POST", "/api/v1/units/{u}/statements", {}, {"year": 2025, "kind": "remark", "row": 16,
                                                 "date": "2026-03-01", "text": "更正 corrected",
                                                 "evidence": "权证 title"}, "factory"),
    ("POST", "/api/v1/statements/{a}/confirm", {}, None),
    ("POST", "/api/v1/statements/{a}/reject", {}, None),
]
PATH_VALUES = {"u": H.FACTORY, "a": "1"}
# Free-text fields the API stores as data: the table they land in, and how
# to read back what was stored.
STORED_TEXT = {
    ("/api/v1/spotchecks", "note"): ("SELECT note FROM spotchecks ORDER BY id DESC LIMIT 1",
                                     lambda v: v),
    ("/api/v1/alerts/{a}/ack", "by"): ("SELECT detail FROM audit ORDER BY id DESC LIMIT 1",
                                       lambda v: "by=" + v),
    ("/api/v1/alerts/{a}/resolve", "by"): ("SELECT detail FROM audit ORDER BY id DESC LIMIT 1",
                                           lambda v: "by=" + v),
    ("/api/v1/units/{u}/statements", "text"): (
        "SELECT text FROM statements ORDER BY id DESC LIMIT 1", lambda v: v),
    ("/api/v1/units/{u}/statements", "evidence"): (
        "SELECT evidence FROM statements ORDER BY id DESC LIMIT 1", lambda v: v),
}
CHANGES = {"/api/v1/spotchecks": {"spotchecks", "audit"},
           "/api/v1/alerts/{a}/ack": {"alerts", "audit"},
           "/api/v1/alerts/{a}/resolve": {"alerts", "audit"},
           "/api/v1/units/{u}/statements": {"statements", "audit"}}


def url(path, params):
    q = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    return path + ("?" + q if q else "")


def fill(path, seg):
    return path.replace("{u}", urllib.parse.quote(seg.get("u", PATH_VALUES["u"]), safe="")) \
               .replace("{a}", urllib.parse.quote(seg.get("a", PATH_VALUES["a"]), safe=""))


def leaks(raw):
    text = raw.decode("utf-8", "replace")
    return [f for f in FOREIGN if f in text]


def scope_checks(c, store, T):
    """(1) Gulou's county token and FACTORY's unit token against Cangshan."""
    C = H.CHAIN
    asks = [
        ("GET", "/api/v1/units?county=350104", None),
        ("GET", "/api/v1/units/%s/indicators?year=2025" % C, None),
        ("GET", "/api/v1/units/%s/indicators?year=2025&month=6" % C, None),
        ("GET", "/api/v1/units/%s/indicators/monthly?year=2025" % C, None),
        ("GET", "/api/v1/units/%s/meters" % C, None),
        ("GET", "/api/v1/series?gateway=gw-b&meter=E2&point=kwh&from=%d&to=%d"
         % (DAY0, DAY0 + 86400), None),
        ("GET", "/api/v1/gateways", None),
        ("GET", "/api/v1/alerts?county=350104", None),
        ("GET", "/api/v1/alerts?unit=%s" % C, None),
        ("GET", "/api/v1/alerts?state=open", None),
        ("POST", "/api/v1/alerts/2/ack", {"by": "intruder"}),
        ("POST", "/api/v1/alerts/2/resolve", {"by": "intruder"}),
        ("GET", "/api/v1/spotchecks?gateway=gw-b", None),
        ("GET", "/api/v1/spotchecks?gateway=gw-b&meter=E2&point=kwh", None),
        ("POST", "/api/v1/spotchecks", {"gateway": "gw-b", "meter": "E2", "point": "kwh",
                                        "at": DAY0 + 3600, "reading": 5,
                                        "note": "intruder"}),
        ("GET", "/api/v1/report?year=2025&format=json&county=350104", None),
        ("GET", "/api/v1/report?year=2025&format=csv&county=350104", None),
        ("GET", "/api/v1/report?year=2025&format=json", None),
        ("GET", "/metrics", None),
        ("GET", "/api/v1/imports", None),    # city tokens only
        ("GET", "/api/v1/counties", None),   # their own county only
        ("GET", "/api/v1/units/%s/filing?year=2025" % C, None),
        ("GET", "/api/v1/scores?year=2025", None),
        ("POST", "/api/v1/units/%s/statements" % C, {"year": 2025, "kind": "compliance",
                                                     "date": "2026-01-05", "text": "intruder"}),
        ("POST", "/api/v1/statements/1/confirm", None),   # Cangshan's statement
        ("POST", "/api/v1/statements/1/reject", None),
    ]
    # The same request about things that do not exist: an out-of-scope
    # answer must be indistinguishable from it (no probing).
    unknown = [(H.CHAIN, NOBODY), ("gw-b", "gw-zz"), ("E2", "E9"), ("350104", "350199"),
               ("alerts/2/", "alerts/999/"), ("statements/1/", "statements/999/")]

    echo = unknown + [("alert: 2 ", "alert: 999 "), ("statement: 1 ", "statement: 999 ")]

    def twin(text):
        for a, b in unknown:
            text = text.replace(a, b)
        return text

    def norm(raw, pairs):
        text = raw.decode("utf-8", "replace")
        for a, b in pairs:
            text = text.replace(a, "<id>").replace(b, "<id>")
        return text
    routes = set()
    for who in ("gulou", "factory"):
        before = gfisec.snapshot(store)
        for method, path, body in asks:
            routes.add(path.split("?")[0])
            st, _, raw = c.req(path, T[who], method, body)
            tbody = json.loads(twin(json.dumps(body))) if body else None
            st2, _, raw2 = c.req(twin(path), T[who], method, tbody)
            if st == 200:
                bad = leaks(raw)
                ok(not bad, "%s token: %s %s -> 200 with nothing of the other county "
                   "(leaked %s)" % (who, method, path, bad))
            else:
                same = st == st2 and norm(raw, echo) == norm(raw2, echo)
                ok(st in (400, 403, 404) and same,
                   "%s token: %s %s -> %d, the same answer as for an id that does not "
                   "exist (%d %r / %r)" % (who, method, path, st, st2, raw[:100], raw2[:100]))
            if method == "POST":
                ok(st in (403, 404), "%s token: %s %s refused (%d)" % (who, method, path, st))
        d = gfisec.diff(before, gfisec.snapshot(store))
        ok(d == {}, "%s token: after every cross-county request the store is unchanged %s"
           % (who, gfisec.short(d)))
    db = sqlite3.connect("file:%s?mode=ro" % store, uri=True)
    st = db.execute("SELECT state, changed_by FROM alerts WHERE id = 2").fetchone()
    db.close()
    ok(st == ("open", ""), "Cangshan's alert is still open, changed by nobody: %s" % (st,))
    return routes


def hostile_values():
    """(label, value as sent in a URL or path, value as sent in JSON)."""
    out = [(v[:24], v, v) for v in gfisec.INJECTIONS]
    out.append(("NUL", "x\x00' OR 1=1 --", "x\x00' OR 1=1 --"))
    out.append(("newline", "x\n' OR 1=1 --", "x\n' OR 1=1 --"))
    return out


def injection_checks(c, store, T):
    """(2) Every field of every endpoint, each hostile value."""
    fed = set()
    n = 0
    for method, path, params, body, *who in ENDPOINTS:
        token = T[who[0] if who else "gulou"]
        fields = [("q", k) for k in params] + [("b", k) for k in (body or {})]
        fields += [("p", s) for s in ("u", "a") if "{%s}" % s in path]
        for kind, field in fields:
            fed.add((path, kind, field))
            for label, value, jvalue in hostile_values():
                p, b, seg = dict(params), dict(body) if body is not None else None, {}
                if kind == "q":
                    p[field] = value
                elif kind == "b":
                    b[field] = jvalue
                else:
                    seg[field] = value
                before = gfisec.snapshot(store)
                st, h, raw = c.req(url(fill(path, seg), p), token, method, b)
                n += 1
                what = "%s %s %s=%r" % (method, path, field, label)
                bad = leaks(raw)
                ok(st in (200, 201, 400, 401, 404, 405, 409, 413, 414) and not bad,
                   "%s -> %d, no 5xx, nothing of the other county (leaked %s) %r"
                   % (what, st, bad, raw[:120]))
                if st >= 400:
                    try:
                        doc = json.loads(raw.decode("utf-8"))
                        ok(isinstance(doc.get("error"), str) and "\n" not in doc["error"],
                           "%s: the refusal is a one-line JSON error" % what)
                    except ValueError:
                        ok(st in (413, 414), "%s: %d refusal body is JSON: %r"
                           % (what, st, raw[:80]))
                d = gfisec.diff(before, gfisec.snapshot(store))
                if not d:
                    continue
                allowed = CHANGES.get(path, set())
                ok(st in (200, 201) and set(d) <= allowed
                   and all(not removed for t, (added, removed) in d.items() if t == "audit"),
                   "%s: only %s may change, and only on success (%d): %s"
                   % (what, sorted(allowed), st, gfisec.short(d)))
                key = (path, field)
                if key in STORED_TEXT:
                    sql, want = STORED_TEXT[key]
                    db = sqlite3.connect("file:%s?mode=ro" % store, uri=True)
                    got = db.execute(sql).fetchone()[0]
                    db.close()
                    ok(got == want(jvalue), "%s: stored verbatim (%r)" % (what, got[:40]))
                if path.startswith("/api/v1/alerts/"):
                    # Reopen alert 1 so the next value meets the same state.
                    db = sqlite3.connect(store)
                    db.execute("UPDATE alerts SET state = 'open', changed_by = '', "
                               "changed_s = 0 WHERE id = 1")
                    db.commit()
                    db.close()
    # The Authorization header itself.
    for label, value, _ in hostile_values():
        before = gfisec.snapshot(store)
        st, _, raw = c.req("/api/v1/units", None, "GET", None,
                           {"Authorization": ("Bearer " + value.replace("\x00", "").replace("\n", ""))
                            .encode("utf-8").decode("latin-1")})
        ok(st == 401 and not leaks(raw), "Authorization: Bearer %r -> 401 (%d)" % (label, st))
        ok(gfisec.diff(before, gfisec.snapshot(store)) == {},
           "Authorization %r: store unchanged" % label)
    return fed, n


def api_sources():
    """The text of every C file of aggregator/api/, one string."""
    d = os.path.join(gfisec.source_dir(), "aggregator", "api")
    return "\n".join(gfisec.source("aggregator/api/" + f)
                     for f in sorted(os.listdir(d)) if f.endswith(".c"))


def route_table(src):
    """The (method, pattern) rows of the route table in api/routes.c."""
    return re.findall(r'\{\s*"(GET|POST)",\s*"(/[^"]*)",', src)


def coverage_guard(fed, routes):
    """(3) What aggregator/api/ accepts is what this test feeds."""
    src = api_sources()
    fed_names = {f for _, kind, f in fed if kind in ("q", "b")}
    in_code = set()
    for arr in gfisec.c_string_arrays(src, "allowed") + gfisec.c_string_arrays(src, "allowed_m") \
            + gfisec.c_string_arrays(src, "allowed_y"):
        in_code |= set(arr)
    ok(in_code and in_code <= fed_names,
       "every parameter and body field in aggregator/api/ is fed hostile values (missing %s)"
       % sorted(in_code - fed_names))
    table = route_table(gfisec.source("aggregator/api/routes.c"))
    fed_routes = {(m, re.sub(r"\{[ua]\}", "*", p)) for m, p, *_ in ENDPOINTS}
    missing = sorted("%s %s" % r for r in table if r not in fed_routes)
    ok(table and not missing,
       "every row of the route table is in the injection table (missing %s)" % missing)

    def head(pattern):
        return pattern if not pattern.startswith("/api/v1/") else \
            "/api/v1/" + pattern[len("/api/v1/"):].split("/")[0]
    missing = sorted({head(p) for _, p in table if p != "/api/v1/health"
                      and not any(head(r) == head(p) for r in routes)})
    ok(not missing, "every scoped route is asked across counties (missing %s)" % missing)


def main():
    with gfitest.Procs() as P:
        store = P.path("gfi.db")
        T = H.build(P, store)
        # A statement of Cangshan's unit (statement 1), for the scope checks.
        db = sqlite3.connect(store)
        db.execute("INSERT INTO statements (unit, year, kind, row, date, text, evidence, by, "
                   "entered_s, state) VALUES (?, 2025, 'compliance', 0, '2026-01-05', "
                   "'无 none', '', 'cangshan-unit', 0, 'stated')", (H.CHAIN,))
        db.commit()
        db.close()
        port = gfitest.free_port()
        cfg = P.write_json("agg.json", {
            "store": store, "log_level": "info",
            "http": {"bind": "127.0.0.1", "port": port, "max_body_bytes": 8192,
                     "max_connections": 8,
                     # every hostile token must reach the token check (401),
                     # not the failure throttle (test_security_http.py)
                     "auth_failures_per_min": 10000}})
        P.start([AGG, "http", "--config", cfg], "http.log")
        c = H.Client(port)

        def up():
            try:
                return c.json("/api/v1/health")[0] == 200
            except (OSError, ValueError):
                return False
        gfitest.wait_for(up, 20, "the http server")
        # The other county's things exist and are visible to the city: a
        # 404 below means out of scope, not absent.
        st, d = c.json("/api/v1/units/%s/meters" % H.CHAIN, T["city-ops"])
        ok(st == 200, "the city token sees Cangshan's unit (%d)" % st)
        routes = scope_checks(c, store, T)
        fed, n = injection_checks(c, store, T)
        print("fed %d hostile requests" % n)
        coverage_guard(fed, routes)
    gfitest.finish("security_api")


if __name__ == "__main__":
    main()

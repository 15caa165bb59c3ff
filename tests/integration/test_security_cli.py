"""Command-line security (issue 7): SQL-injection and other hostile strings
in every --field of every gfi-aggregator command that touches the store,
and in the text fields of gfi-agent, are refused or taken as plain data.

The store is test_http_api's (two counties, FACTORY in 350102 with gw-a,
CHAIN in 350104 with gw-b, alerts, tokens) plus a park and a fact. Each
command of the table below first runs once as given (it must succeed, so
a refusal later is due to the one value replaced), then once per field and
per hostile string (see HOSTILE) on a fresh copy of the store:
  - refused (exit status != 0): the store is unchanged, byte for byte in
    every table and the schema;
  - accepted: only the tables the command writes changed, the hostile text
    is stored verbatim in a changed row, and a listing prints none of the
    registered units or gateways (a filter that became `OR 1=1` would).
A coverage guard compares the table with the options the code accepts
(the admin command table in cmd/admin.c, the `.options` of every other
command's opts_spec and its opts_only() strings, every file of
aggregator/cmd/), so a new option is never silently left
out. NUL cannot be passed in argv; the HTTP test feeds it.
"""
import concurrent.futures
import os
import re
import shutil
import sqlite3
import subprocess
import time

from gfitest import security as gfisec
import gfitest
import test_http_api as H
from gfitest import ok

AGG = H.AGG
AGENT = gfitest.AGENT
FACTORY, CHAIN = H.FACTORY, H.CHAIN
PARK = H.credit_code("91350100MA0000030")
NEWUNIT = H.credit_code("91350100MA0000040")
ADDUNIT = H.credit_code("91350100MA0000050")
MARKERS = [FACTORY, CHAIN, PARK, "gw-a", "gw-b", "榕城水泥", "海峡供应链"]

# (command words, {option: valid value}, tables the command may write).
# "{pub}", "{pub2}" and "{csv}" are files made in the test's directory; reports
# write to "out" files there. Every listing writes nothing.
CLI = [
    (["admin", "county", "add"], {"code": "350106", "name": "长乐区"}, {"counties"}),
    (["admin", "county", "change"], {"code": "350102", "name": "鼓楼"}, {"counties"}),
    (["admin", "county", "retire"], {"code": "350105"}, {"counties"}),
    (["admin", "county", "list"], {}, set()),
    (["admin", "unit", "add"], {"code": ADDUNIT, "name": "新厂", "kind": "factory",
                                "county": "350102", "level": "city", "year": "2021",
                                "sector": "C3011"}, {"units"}),
    (["admin", "unit", "change"], {"code": FACTORY, "name": "榕城水泥二", "kind": "factory",
                                   "county": "350102", "level": "city", "year": "2020",
                                   "sector": "C3011"}, {"units"}),
    (["admin", "unit", "change"], {"code": FACTORY, "name": "榕城水泥三", "county": "350102",
                                   "from": "2026-01-01", "by": "Li Wei"},
     {"units", "unit_versions"}),
    (["admin", "unit", "retire"], {"code": NEWUNIT}, {"units"}),
    (["admin", "unit", "retire"], {"code": NEWUNIT, "from": "2026-01-01", "by": "Li Wei"},
     {"units", "unit_versions"}),
    (["admin", "unit", "history"], {"code": FACTORY}, set()),
    (["admin", "unit", "list"], {"county": "350199", "kind": "park"}, set()),
    (["admin", "member", "add"], {"park": PARK, "member": FACTORY}, {"members"}),
    (["admin", "member", "list"], {"park": NEWUNIT}, set()),
    (["admin", "supplier", "add"], {"enterprise": CHAIN, "supplier": FACTORY}, {"suppliers"}),
    (["admin", "supplier", "list"], {"enterprise": NEWUNIT}, set()),
    (["admin", "gateway", "add"], {"id": "gw-new", "unit": FACTORY, "pubkey": "{pub}"},
     {"gateways"}),
    (["admin", "gateway", "change"], {"id": "gw-a", "unit": PARK, "pubkey": "{pub}"},
     {"gateways"}),
    (["admin", "gateway", "change"], {"id": "gw-a", "pubkey": "{pub2}", "from-seq": "2",
                                      "by": "Li Wei"}, {"gateways", "gateway_keys"}),
    (["admin", "gateway", "change"], {"id": "gw-a", "unit": PARK, "from": "2025-07-01",
                                      "by": "Li Wei"}, {"gateways", "gateway_units"}),
    (["admin", "gateway", "history"], {"id": "gw-a"}, set()),
    (["admin", "gateway", "keys"], {"id": "gw-a"}, set()),
    (["admin", "gateway", "retire"], {"id": "gw-a"}, {"gateways"}),
    (["admin", "gateway", "list"], {"unit": NEWUNIT}, set()),
    (["admin", "meter", "add"], {"gateway": "gw-a", "meter": "P2", "point": "tons",
                                 "quantity": "product_mass_t", "role": "production",
                                 "carrier": "cement", "counter-max": "1000000",
                                 "product": "cement", "product-unit": "t",
                                 "accuracy": "0.5", "registered": "2024-01-01"}, {"meters"}),
    (["admin", "meter", "change"], {"gateway": "gw-a", "meter": "P1", "point": "tons",
                                    "quantity": "product_mass_t", "role": "production",
                                    "carrier": "clinker", "counter-max": "2000000",
                                    "product": "clinker", "product-unit": "t",
                                    "accuracy": "0.2", "registered": "2024-02-01"}, {"meters"}),
    (["admin", "meter", "retire"], {"gateway": "gw-a", "meter": "E1", "point": "kwh"},
     {"meters"}),
    (["admin", "meter", "move"], {"gateway": "gw-a", "meter": "E1", "unit": PARK,
                                  "from": "2025-07-01", "by": "Li Wei"}, {"meter_units"}),
    (["admin", "meter", "history"], {"gateway": "gw-a", "meter": "E1"}, set()),
    (["admin", "meter", "list"], {"gateway": "gw-zz"}, set()),
    (["admin", "replacement", "add"], {"gateway": "gw-a", "meter": "E1", "point": "kwh",
                                       "time": "2025-06-02 12:00", "old-final": "1360",
                                       "new-initial": "0"}, {"replacements"}),
    (["admin", "replacement", "list"], {"gateway": "gw-zz"}, set()),
    (["admin", "fact", "set"], {"unit": FACTORY, "year": "2025", "month": "6",
                                "key": "solid_waste_generated_t", "value": "12.5",
                                "by": "Li Wei"}, {"facts"}),
    (["admin", "fact", "list"], {"unit": NEWUNIT, "year": "2025"}, set()),
    (["indicators"], {"unit": FACTORY, "year": "2025", "month": "6", "now": "1750000000"},
     set()),
    (["factor", "set"], {"kind": "grid", "carrier": "electricity", "year": "2025",
                         "unit": FACTORY, "value": "0.55", "value-unit": "kgCO2/kWh",
                         "source": "provincial grid 2025"}, {"factors"}),
    (["factor", "list"], {}, set()),
    (["benchmark", "set"], {"indicator": "renewable_share_pct", "sector": "C3011", "band": "2",
                            "year": "2025", "baseline": "5", "leading": "15", "weight": "8",
                            "direction": "higher", "source": "通则 2025"}, {"benchmarks"}),
    (["benchmark", "list"], {}, set()),
    (["benchmark", "settings"], {"deadline": "03-30", "reconcile-pct": "4"}, {"settings"}),
    (["report"], {"year": "2025", "county": "350102", "format": "json", "out": "out.json",
                  "now": "1750000000"}, set()),
    (["report"], {"year": "2025", "unit": FACTORY, "format": "csv", "out": "out.csv"}, set()),
    (["filing"], {"unit": FACTORY, "year": "2025", "by": "Li Wei",
                  "at": "2026-04-10 09:00"}, {"filings", "filing_snapshots"}),
    (["alerts", "evaluate"], {"rules": "{rules}", "now": "1750000000"}, {"alerts"}),
    (["alerts"], {"county": "350199", "unit": NEWUNIT, "rule": "completeness",
                  "state": "open"}, set()),
    (["alert", "ack"], {"id": "1", "by": "Li Wei", "now": "1750000000"}, {"alerts"}),
    (["alert", "resolve"], {"id": "1", "by": "Li Wei", "now": "1750000000"}, {"alerts"}),
    (["spotcheck"], {"gateway": "gw-a", "meter": "E1", "point": "kwh",
                     "at": "2025-06-02 10:00", "reading": "1350", "inspector": "Li Wei",
                     "note": "on site", "now": "1749000000", "kind": "display",
                     "display-resolution": "0.01", "register": "f32",
                     "clock-uncertainty": "60"}, {"spotchecks"}),
    (["spotcheck"], {"gateway": "gw-a", "meter": "E1", "point": "kwh", "kind": "reference",
                     "from": "2025-06-02 09:00", "from-reading": "10",
                     "at": "2025-06-02 10:00", "reading": "1350", "ref-class": "0.5",
                     "inspector": "Li Wei", "now": "1749000000"}, {"spotchecks"}),
    (["spotcheck"], {"gateway": "gw-a", "meter": "E1", "point": "kwh", "kind": "increase",
                     "since": "1", "at": "2025-06-02 11:00", "reading": "1360",
                     "inspector": "Li Wei", "now": "1749000000"}, {"spotchecks"}),
    (["spotchecks"], {"gateway": "gw-zz", "meter": "E1", "point": "kwh"}, set()),
    (["token", "add"], {"role": "county", "scope": "350102", "name": "new-token"},
     {"api_tokens"}),
    (["token", "revoke"], {"name": "gulou"}, {"api_tokens"}),
    (["token", "list"], {}, set()),
    (["verify-batch"], {"gateway": "gw-b", "seq": "1"}, set()),
    (["verify-batch"], {"gateway": "gw-b", "seq": "1", "epoch": "-"}, set()),
    (["quarantine", "list"], {"gateway": "gw-a"}, set()),
    # The fixture store holds no refused batch: purge changes nothing.
    (["quarantine", "purge"], {"gateway": "gw-a", "before": "1750000000"}, set()),
    (["evidence"], {"unit": FACTORY, "year": "2025", "out": "pack"}, set()),
]
# History import (aggregator/cmd/import.c).
CLI.append((["import"], {"csv": "{csv}", "by": "Li Wei", "now": "1750000000"},
            {"imports", "readings", "series", "rollups", "rollup_imports"}))
# Fields that are file names: a hostile name is just a file that does not
# exist (or, for --out, a new file in the test's directory).
PATHS = {"pubkey", "rules", "out", "csv"}
# Each process costs ~0.15 s of CPU under ASan+LSan, so the suite's run
# feeds every field the classic quote injection, and every text field one
# more of HOSTILE[1:] in turn (each reaches a third of them); GFI_SECURITY_FULL=1
# feeds every field all of gfisec.INJECTIONS. The HTTP test always feeds
# all of them.
HOSTILE = [gfisec.INJECTIONS[i] for i in (0, 1, 5, 8)]


def hostile_for(k, valid):
    """The hostile values for the k-th field of the table, whose valid
    value is valid. A number, time or date (digits and punctuation) is
    parsed, not stored: the quote injection alone shows that it is."""
    if os.environ.get("GFI_SECURITY_FULL"):
        return gfisec.INJECTIONS
    if re.fullmatch(r"[0-9.: -]+", valid):
        return HOSTILE[:1]
    return [HOSTILE[0], HOSTILE[1 + k % (len(HOSTILE) - 1)]]
BASE_SNAP = [None]   # the clean store's snapshot: every run starts from it
# Listings whose output may name what they list without a filter.
UNFILTERED = {("admin", "county", "list"), ("factor", "list"), ("token", "list"),
              ("benchmark", "list")}


def prepare(P):
    store = P.path("base.db")
    H.build(P, store)

    def admin(*a):
        gfitest.run_ok([AGG, "admin", "--store", store] + list(a))
    admin("unit", "add", "--code", PARK, "--name", "园区", "--kind", "park",
          "--county", "350102", "--level", "city", "--year", "2021")
    admin("county", "add", "--code", "350105", "--name", "马尾区")
    admin("unit", "add", "--code", NEWUNIT, "--name", "新厂", "--kind", "factory",
          "--county", "350105", "--level", "city", "--year", "2021")
    admin("meter", "add", "--gateway", "gw-a", "--meter", "P1", "--point", "tons",
          "--quantity", "product_mass_t", "--role", "production", "--carrier", "cement",
          "--product", "cement", "--product-unit", "t", "--registered", "2024-01-01")
    sign_batch(P, store)
    # Spot check 1, the display check `spotcheck --kind increase --since 1`
    # starts from.
    gfitest.run_ok([AGG, "spotcheck", "--store", store, "--meter", "gw-a/E1/kwh", "--at",
                    "2025-06-02 08:00", "--reading", "1330", "--inspector", "Li Wei"])
    # One clean file (no -wal): every run starts from a byte copy of it.
    src = sqlite3.connect(store)
    base = P.path("clean.db")
    dst = sqlite3.connect(base)
    src.backup(dst)
    src.close()
    dst.close()
    subprocess.run(["openssl", "ec", "-in", P.path("gw.key"), "-pubout", "-out",
                    P.path("pub.pem")], check=True, capture_output=True)
    # A second key: a rotation (`gateway change --pubkey`) adds it to gw-a's history.
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                    "-out", P.path("gw2.key")], check=True, capture_output=True)
    subprocess.run(["openssl", "ec", "-in", P.path("gw2.key"), "-pubout", "-out",
                    P.path("pub2.pem")], check=True, capture_output=True)
    with open(P.path("rules.json"), "w") as f:
        f.write('{}\n')
    with open(P.path("hist.csv"), "w") as f:
        f.write("gateway,meter,point,time,value\ngw-a,E1,kwh,2025-05-02 10:00,900.5\n")
    return base


def sign_batch(P, store):
    """Replace test_http_api's placeholder batch gw-b/1 with a real one,
    signed with gw-b's key, so `verify-batch` has something to verify."""
    import base64
    import hashlib
    body = ('{"v":1,"gateway":"gw-b","seq":1,"prev":"%s","sent":1749000000,"readings":'
            '[{"meter":"E2","point":"kwh","quantity":"elec_import_kwh","time":1748999990,'
            '"value":12.5,"status":"ok"}]}' % ("0" * 64)).encode()
    with open(P.path("b.json"), "wb") as f:
        f.write(body)
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", P.path("gw.key"),
                          P.path("b.json")], check=True, capture_output=True).stdout
    payload = body + b"\n" + base64.b64encode(sig) + b"\n"
    con = sqlite3.connect(store)
    con.execute("UPDATE batches SET payload = ?, hash = ? WHERE gateway = 'gw-b' AND seq = 1",
                (payload, hashlib.sha256(body).digest()))
    con.commit()
    con.close()


def argv_for(P, cmd, fields, store):
    args = [AGG] + cmd[:1]
    if cmd[0] == "admin":
        args += ["--store", store] + cmd[1:]
    else:
        args += cmd[1:] + ["--store", store]
    for k, v in fields.items():
        v = v.replace("{pub2}", P.path("pub2.pem")).replace("{pub}", P.path("pub.pem")) \
             .replace("{rules}", P.path("rules.json")) \
             .replace("{csv}", P.path("hist.csv"))
        args += ["--" + k, v]
    return args


def run_case(P, base, i, cmd, fields, field, value):
    """Run one command on a fresh copy; (rc, output, before, after, store)."""
    store = P.path("run-%d.db" % i)
    shutil.copyfile(base, store)
    wd = P.path("wd-%d" % i)
    os.makedirs(wd, exist_ok=True)
    f = dict(fields)
    if field is not None:
        f[field] = value
    before = BASE_SNAP[0]
    try:
        env = None
        if field is not None and not os.environ.get("GFI_SECURITY_FULL"):
            # LeakSanitizer's exit scan is half of each run's CPU: on for
            # every baseline run and in the full mode, off for the rest.
            env = dict(os.environ)
            env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
        r = subprocess.run(argv_for(P, cmd, f, store), cwd=wd, capture_output=True,
                           timeout=60, stdin=subprocess.DEVNULL, env=env)
        rc, out = r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        rc, out = None, "timeout"
    after = gfisec.snapshot(store)
    return rc, out, before, after, store


def stored_verbatim(store, tables, value):
    con = sqlite3.connect("file:%s?mode=ro" % store, uri=True)
    try:
        for t in tables:
            for row in con.execute('SELECT * FROM "%s"' % t):
                if value in row:
                    return True
    finally:
        con.close()
    return False


def judge(cmd, fields, writes, field, value, res):
    rc, out, before, after, store = res
    what = "%s --%s %r" % (" ".join(cmd), field, value[:24])
    d = gfisec.diff(before, after)
    ok(rc is not None and rc < 128 and "Sanitizer" not in out and "runtime error" not in out,
       "%s: exits normally (rc=%s) %s" % (what, rc, out[-300:] if rc is None or rc >= 128 else ""))
    if rc != 0:
        ok(d == {}, "%s: refused (rc=%s), store unchanged %s" % (what, rc, gfisec.short(d)))
        # 2 is bad input; 1 would be a failure inside (an SQL error is
        # what a half-working injection looks like).
        # verify-batch answers 1 for anything that does not verify.
        ok(rc == 2 or field in PATHS or cmd == ["verify-batch"],
           "%s: refused as bad input (rc=%s): %s"
           % (what, rc, out.strip()[-200:]))
        return
    ok(set(d) <= writes, "%s: accepted; only %s changed: %s"
       % (what, sorted(writes), gfisec.short(d)))
    if d and field not in PATHS:
        ok(stored_verbatim(store, set(d), value),
           "%s: accepted; the text is stored verbatim in %s" % (what, sorted(d)))
    if not writes and tuple(cmd) not in UNFILTERED and field not in PATHS:
        shown = [m for m in MARKERS if m in out]
        ok(not shown, "%s: a filtered listing shows nothing registered (shows %s)"
           % (what, shown))


def cmd_sources():
    """Every C file of aggregator/cmd/ (one file per command), by name."""
    d = os.path.join(gfisec.source_dir(), "aggregator", "cmd")
    return {f: gfisec.source("aggregator/cmd/" + f)
            for f in sorted(os.listdir(d)) if f.endswith(".c")}


def coverage_guard():
    """Every option the code accepts is in CLI (store and json aside)."""
    srcs = cmd_sources()
    adm = srcs["admin.c"]
    block = adm[adm.index("commands[] = {"):]
    block = block[:block.index("};")]
    want = {}
    for m in re.finditer(r'\{\s*"(\w+)",\s*"(\w+)",\s*((?:"[^"]*"\s*)+),', block):
        flags = "".join(re.findall(r'"([^"]*)"', m.group(3))).split()
        want[("admin", m.group(1), m.group(2))] = set(flags) - {"json"}
    have = {}
    for cmd, fields, _ in CLI:
        have.setdefault(tuple(cmd), set()).update(fields)
    missing = {k: sorted(v - have.get(k, set())) for k, v in want.items()
               if v - have.get(k, set())}
    ok(want and not missing, "every admin command and option is fed (missing %s)" % missing)
    # The other commands: the `.options` of their opts_spec (the one
    # parser, cmd/opts.h), their opts_only() strings, and the `allowed`
    # arrays of `token` while it still uses the old parser names.
    other = set()
    for f, src in srcs.items():
        if f.startswith("admin"):
            continue
        for m in re.finditer(r'\.options\s*=\s*((?:"[^"]*"\s*)+)', src):
            other |= set("".join(re.findall(r'"([^"]*)"', m.group(1))).split())
        for arr in gfisec.c_string_arrays(src, "allowed"):
            other |= set(arr)
        for m in re.finditer(r'opts_only\(&o,\s*((?:set \? )?"[^"]*"(?:\s*:\s*"[^"]*")?)', src):
            for t in re.findall(r'"([^"]*)"', m.group(1)):
                other |= set(t.split())
    other -= {"store", "json", "config", "log-level"}   # paths and flags
    fed = set()
    for cmd, fields, _ in CLI:
        if cmd[0] != "admin":
            fed |= set(fields)
    ok(other and not (other - fed), "every option of the other commands is fed (missing %s)"
       % sorted(other - fed))


def agent_checks(P):
    """gfi-agent's text options: the gateway id of a CSR, a meter to read
    (the others are file names and a log level)."""
    key = P.path("agent.key")
    gfitest.run_ok([AGENT, "keygen", "--key", key])
    for v in gfisec.INJECTIONS:
        out = P.path("x.csr")
        r = subprocess.run([AGENT, "csr", "--key", key, "--cn", v, "--out", out],
                           capture_output=True, timeout=30)
        ok(r.returncode not in (0, None) and r.returncode < 128 and not os.path.exists(out),
           "gfi-agent csr --cn %r refused, no CSR written (rc=%s)" % (v[:24], r.returncode))
    # read --meter: refused before any connection is tried (the queue and
    # the meters are never touched).
    cfg = os.path.join(gfisec.source_dir(), "firmware-config", "examples", "cems.json")
    for v in gfisec.INJECTIONS:
        r = subprocess.run([AGENT, "read", "--config", cfg, "--meter", v],
                           capture_output=True, timeout=30)
        err = r.stderr.decode("utf-8", "replace")
        ok(r.returncode == 2 and err.startswith("--meter:") and r.stdout == b"",
           "gfi-agent read --meter %r refused naming the option (rc=%s %s)"
           % (v[:24], r.returncode, err[:80]))


def main():
    with gfitest.Procs() as P:
        t0 = time.monotonic()
        base = prepare(P)
        print("store prepared in %.1fs" % (time.monotonic() - t0))
        BASE_SNAP[0] = gfisec.snapshot(base)
        # Each command as given works: a refusal below is the hostile value's.
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            first = [pool.submit(run_case, P, base, 1000 + i, cmd, fields, None, None)
                     for i, (cmd, fields, writes) in enumerate(CLI)]
        for (cmd, fields, writes), fut in zip(CLI, first):
            rc, out, before, after, _ = fut.result()
            d = gfisec.diff(before, after)
            ok(rc == 0 and set(d) <= writes and (d or not writes or cmd[-1] in ("evaluate",)),
               "baseline %s succeeds and writes %s (rc=%s, changed %s): %s"
               % (" ".join(cmd), sorted(writes), rc, sorted(d), out[-200:]))
        print("baselines done (%.1fs since start)" % (time.monotonic() - t0))
        jobs = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            n = k = 0
            for cmd, fields, writes in CLI:
                for field in fields:
                    k += 1
                    for v in hostile_for(k, fields[field]):
                        n += 1
                        jobs.append((cmd, fields, writes, field, v,
                                     pool.submit(run_case, P, base, n, cmd, fields, field, v)))
            for cmd, fields, writes, field, v, fut in jobs:
                judge(cmd, fields, writes, field, v, fut.result())
                os.unlink(fut.result()[4])
        print("ran %d hostile commands (%.1fs since start)" % (len(jobs), time.monotonic() - t0))
        agent_checks(P)
        print("agent checks done (%.1fs since start)" % (time.monotonic() - t0))
        coverage_guard()
    gfitest.finish("security_cli")


if __name__ == "__main__":
    main()

"""The README's first command, end to end: scripts/demo.sh on the test build.

Runs the demo (three factories in two counties, PKI, TLS broker, simulators,
agents, aggregator, dashboards) in its own process group, waits until every
gateway's live batches are stored, then presses Ctrl-C (SIGINT to the group)
and checks what it printed and stored:
- each factory's history since 2025-01-01 imported, every row, as imported;
- last year's table: three units, 2025 electricity of the motor works equal
  to the simulator's own counters (E01 + PV01 between the two new years);
- the alerts the demo is built to show (sector limit, incomplete May,
  tables not filed) and none it is not;
- the HTTP API with the printed tokens: the city sees three units, the
  Minhou county token one;
- after Ctrl-C nothing of the demo is left running.
"""
import calendar
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

SOURCE = os.environ["GFI_SOURCE_DIR"]
BUILD = os.environ["GFI_BUILD_DIR"]
SIM = os.path.join(BUILD, "sim", "gfi-meter-sim")
NEW_YEAR_2025 = 1735660800  # 2025-01-01T00:00+08:00
NEW_YEAR_2026 = 1767196800
passed, failed = 0, 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what, flush=True)
    return cond


def truth(cfg, meter, point, at):
    out = subprocess.run([SIM, "truth", "--config", cfg, "--meter", meter,
                          "--point", point, "--at", str(at)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["register"]


def api(port, path, token):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def run_demo(demo_dir, log_path):
    env = dict(os.environ, GFI_DEMO_BUILD=BUILD, GFI_DEMO_DIR=demo_dir)
    env.pop("GFI_DEMO_SECONDS", None)
    log = open(log_path, "wb")
    return subprocess.Popen(["bash", os.path.join(SOURCE, "scripts", "demo.sh")],
                            stdout=log, stderr=subprocess.STDOUT, env=env,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def live_batches(store):
    try:
        con = sqlite3.connect("file:%s?mode=ro" % store, uri=True, timeout=5)
        rows = con.execute("SELECT gateway, count(*) FROM batches GROUP BY gateway").fetchall()
        con.close()
        return dict(rows)
    except sqlite3.Error:
        return {}


def wait_live(proc, store, log_path, timeout_s=240):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        b = live_batches(store)
        if len(b) == 3 and min(b.values()) >= 2 and "-- " in open(log_path, errors="replace").read():
            return True
        time.sleep(1)
    return False


def check_imports(out, demo_dir):
    for gw in ("gw-motor-01", "gw-cast-01", "gw-dye-01"):
        m = re.search(r"%s: (\d+) rows, imported (\d+) readings" % gw, out)
        ok(m is not None, "%s: import line printed" % gw)
        if m:
            ok(m.group(1) == m.group(2) and int(m.group(1)) > 8760,
               "%s: every row imported (%s of %s)" % (gw, m.group(2), m.group(1)))


def check_table(demo_dir):
    with open(os.path.join(demo_dir, "table-2025.json"), encoding="utf-8") as f:
        table = json.load(f)
    units = {u["name"].split(" ")[0]: u for u in table["units"]}
    ok(len(units) == 3, "the 2025 table has 3 units: %s" % list(units))
    cfg = os.path.join(demo_dir, "gw-motor-01", "sim.json")
    want = sum(truth(cfg, m, "import_kwh", NEW_YEAR_2026) - truth(cfg, m, "import_kwh", NEW_YEAR_2025)
               for m in ("E01", "PV01"))
    motor = units.get("闽江示范电机有限公司", {}).get("indicators", {})
    got = motor.get("elec_kwh", {}).get("value")
    ok(got is not None and abs(got - want) < 0.01,
       "motor works 2025 electricity %r kWh = the meters' own %r" % (got, want))
    ok(motor.get("elec_kwh", {}).get("provenance") == "imported",
       "the motor works' 2025 electricity is marked imported: %r" % motor.get("elec_kwh"))
    for name, u in units.items():
        e = u["indicators"].get("energy_equiv_tce", {}).get("value")
        ok(e is not None and e > 0, "%s: 综合能耗 2025 > 0 (%r)" % (name, e))
        c = u["indicators"].get("completeness_pct", {}).get("value")
        ok(c is not None and c > 99.0, "%s: 2025 complete (%r %%)" % (name, c))
    for ext in ("csv", "xlsx"):
        p = os.path.join(demo_dir, "table-2025." + ext)
        ok(os.path.getsize(p) > 1000, "table-2025.%s written" % ext)


def check_alerts(out):
    sec = out.split("== alerts", 1)[-1].split("== the dashboards", 1)[0]
    ok("sector_limit" in sec and "energy_per_product" in sec,
       "the foundry's sector-limit alert is printed")
    ok(re.search(r"completeness.*2026-05", sec) is not None,
       "the dyeing mill's May 2026 completeness alert is printed")
    ok(sec.count("table_missing") == 2, "two tables not filed (%d)" % sec.count("table_missing"))
    ok("deterioration" not in sec, "no deterioration alert without a year to compare")
    ok("counter_anomaly" not in sec, "production counters wrap at their register maximum, no reset")


def check_api(out):
    port = re.search(r"dashboard: http://127\.0\.0\.1:(\d+)/", out)
    city = re.search(r"city token.*?:\s+(\S+)", out)
    county = re.search(r"county token.*?:\s+(\S+)", out)
    ok(port and city and county, "URL and tokens printed")
    if not (port and city and county):
        return
    p = int(port.group(1))
    ok(len(api(p, "/api/v1/units", city.group(1))["units"]) == 3, "city token sees 3 units")
    cu = api(p, "/api/v1/units", county.group(1))["units"]
    ok([u["county"] for u in cu] == ["350121"], "Minhou token sees its one unit: %r" % cu)


def main():
    tmp = tempfile.mkdtemp(prefix="gfi-e2e-")
    demo_dir, log_path = os.path.join(tmp, "demo"), os.path.join(tmp, "demo.log")
    proc = run_demo(demo_dir, log_path)
    try:
        live = wait_live(proc, os.path.join(demo_dir, "city.db"), log_path)
        out = open(log_path, encoding="utf-8", errors="replace").read()
        ok(live, "all three gateways' live batches stored")
        check_imports(out, demo_dir)
        check_table(demo_dir)
        check_alerts(out)
        check_api(out)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)   # Ctrl-C
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    out = open(log_path, encoding="utf-8", errors="replace").read()
    ok(proc.returncode == 0, "Ctrl-C ends the demo with status 0 (%r)" % proc.returncode)
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", demo_dir], capture_output=True, text=True).stdout.split()
    ok(not left, "nothing of the demo left running: %s" % left)
    if failed:
        print(out[-6000:])
    print("test_demo: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

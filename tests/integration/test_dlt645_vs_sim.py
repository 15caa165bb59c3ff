"""DL/T 645-2007 against the simulator (issue 19, acceptance 2 and 3).

1. Every shipped dlt645 profile, over TCP (a transparent serial server) and
   on a pty line paced at 2400 baud 8E1 (bench/rtu_rate.py's WireRelay at 11
   bits a character), several meters on each line: one reading per point,
   each ok and equal to the simulator's register value at a second the
   poll spanned (a 645 poll is one request per point, about 0.2 s each at
   2400 baud, and its readings carry the poll's start time).
2. The multiplier: a 645 meter and a Modbus meter with "multiplier": 200
   report 200 x the register for every point the profile marks (ct, ct_pt)
   and the register itself elsewhere (voltage: pt, power factor, frequency).
3. Statuses and isolation as test_faults_meters checks them for Modbus: a
   silent meter (timeout), an error reply (exception-2), a slow reply,
   garbage before the reply, a bad checksum and a reply from another address
   (comm-error), a byte-by-byte slow reply (ok within the byte timeout);
   a healthy meter on the same line and one on another line keep their 1 s
   schedule.
4. A multiplier changed while the agent runs (SIGHUP, 1 -> 200): the
   agent marks the instant with a counter event per multiplied counter
   point whose old_final and new_initial are the simulator's register at
   that second x 1 and x 200; readings before it are the register, after
   it 200 x the register.
5. Address discovery (`gfi-agent discover`): read address finds the one
   meter of a line; a search over an address range finds exactly the
   meters of a line with several."""
import json
import re
import signal
import os
import time

import gfitest as g

from gfitest.relay import WireRelay

RUN_S = 10


def address(i):
    return "2026%08d" % i


def check_truth(readings, meters, sim_cfg, span_s, label):
    """Every meter's readings: one per point, ok, equal to the truth at a
    second in [time, time + span_s]."""
    by = {}
    for r in readings:
        by.setdefault(r["meter"], []).append(r)
    for m in meters:
        prof = g.load_profile(m["profile"])
        rs = by.get(m["id"], [])
        g.ok(len(rs) == len(prof["points"]), "%s %s (%s): one reading per point (%d of %d)"
             % (label, m["id"], m["profile"], len(rs), len(prof["points"])))
        if not rs:
            continue
        t = rs[0]["time"]
        truths = [g.sim_truth(sim_cfg, m["id"], t + k) for k in range(span_s + 1)]
        bad = [(r["point"], r["value"], r["status"], truths[0].get(r["point"]))
               for r in rs if r["status"] != "ok" or
               all(r["value"] != tr.get(r["point"]) for tr in truths)]
        g.ok(not bad, "%s %s (%s): %d points equal the simulator (%d differ: %s)"
             % (label, m["id"], m["profile"], len(rs), len(bad), bad[:3]))


def profiles_on_tcp_and_paced_pty(P, pids):
    relay = WireRelay(2400, bits=11)
    sim_end, agent_end = relay.paths()
    tcp = [{"id": "T%d" % i, "address": address(i + 1), "profile": pid}
           for i, pid in enumerate(pids)]
    pty = [{"id": "S%d" % i, "address": address(i + 11), "profile": pid}
           for i, pid in enumerate(pids)]
    _, listeners, sim_cfg = P.start_sim({
        "seed": 19, "profiles_dir": g.PROFILES,
        "tcp": [{"id": "t1", "port": 0, "protocol": "dlt645", "meters": tcp}],
        "rtu": [{"id": "r1", "device": sim_end, "baud": 2400, "protocol": "dlt645",
                 "meters": pty}]}, name="sim-profiles")
    cfg = P.write_json("agent-profiles.json", {
        "gateway_id": "gw-645", "data_dir": P.path("data-profiles"),
        "profiles_dir": g.PROFILES,
        "lines": [{"id": "serial-server", "type": "tcp", "protocol": "dlt645",
                   "host": "127.0.0.1", "port": listeners["t1"]},
                  {"id": "bus", "type": "rtu", "protocol": "dlt645",
                   "device": agent_end}],
        "meters": [dict(m, line="serial-server", timeout_ms=1000) for m in tcp] +
                  [dict(m, line="bus", timeout_ms=2000) for m in pty]})
    t0 = time.monotonic()
    rc, readings, err = g.agent_read(cfg)
    took = time.monotonic() - t0
    relay.close()
    g.ok(rc == 0, "gfi-agent read over tcp and the 2400 baud line exits 0 (%d: %s)"
         % (rc, err[-300:]))
    points = sum(len(g.load_profile(p)["points"]) for p in pids)
    # 20 + 24 bytes a point at 11 bits, 2400 baud: the relay enforces it.
    wire_s = points * 44 * 11 / 2400
    g.ok(took >= wire_s, "the pty line is paced: %.1f s for %d points, wire time %.1f s"
         % (took, points, wire_s))
    check_truth([r for r in readings if r["meter"].startswith("T")], tcp, sim_cfg, 1, "tcp")
    # A meter's poll on the paced line takes its points x 0.2 s.
    check_truth([r for r in readings if r["meter"].startswith("S")], pty, sim_cfg, 4,
                "2400 baud")


def multiplier_200(P):
    mod = g.profile_ids()
    modbus_prof = "acrel-adl400" if "acrel-adl400" in mod else None
    g.ok(modbus_prof is not None, "a Modbus profile with ratio points ships")
    _, listeners, sim_cfg = P.start_sim({
        "seed": 20, "profiles_dir": g.PROFILES,
        "tcp": [{"id": "t645", "port": 0, "protocol": "dlt645", "meters": [
            {"id": "M645", "address": address(200), "profile": "generic-dlt645"}]},
                {"id": "tmb", "port": 0, "meters": [
                    {"id": "MMB", "slave": 1, "profile": modbus_prof}]}]},
        name="sim-mult")
    cfg = P.write_json("agent-mult.json", {
        "gateway_id": "gw-mult", "data_dir": P.path("data-mult"),
        "profiles_dir": g.PROFILES,
        "lines": [{"id": "a", "type": "tcp", "protocol": "dlt645", "host": "127.0.0.1",
                   "port": listeners["t645"]},
                  {"id": "b", "type": "tcp", "host": "127.0.0.1", "port": listeners["tmb"]}],
        "meters": [{"id": "M645", "line": "a", "address": address(200),
                    "profile": "generic-dlt645", "multiplier": 200},
                   {"id": "MMB", "line": "b", "slave": 1, "profile": modbus_prof,
                    "multiplier": 200}]})
    rc, readings, err = g.agent_read(cfg)
    g.ok(rc == 0, "read with multipliers exits 0 (%d: %s)" % (rc, err[-300:]))
    for mid, pid in (("M645", "generic-dlt645"), ("MMB", modbus_prof)):
        ratio = {p["name"]: p.get("ratio") for p in g.load_profile(pid)["points"]}
        rs = [r for r in readings if r["meter"] == mid]
        g.ok(len(rs) == len(ratio), "%s: every point read" % mid)
        if not rs:
            continue
        t = rs[0]["time"]
        truths = [g.sim_truth(sim_cfg, mid, t + k) for k in (0, 1)]
        bad, multiplied = [], 0
        for r in rs:
            factor = 200 if ratio[r["point"]] in ("ct", "ct_pt") else 1
            multiplied += factor == 200
            if r["status"] != "ok" or all(r["value"] != factor * tr[r["point"]]
                                          for tr in truths):
                bad.append((r["point"], r["value"], factor, truths[0][r["point"]]))
        g.ok(not bad and multiplied >= 5,
             "%s: %d points are 200 x the register, the rest the register (%d differ: %s)"
             % (mid, multiplied, len(bad), bad[:3]))


def statuses_and_isolation(P):
    pts = ["import_kwh", "p_total", "v_l1"]
    prof = "generic-dlt645"
    bus = [
        ("H1", []),
        ("DEAD", [{"kind": "timeout"}]),
        ("EXC", [{"kind": "exception", "code": 2}]),
        ("SLOW", [{"kind": "slow", "delay_ms": 150, "points": ["p_total"]}]),
        ("GARB", [{"kind": "garbage"}]),
        ("BADCS", [{"kind": "bad_checksum"}]),
        ("WADDR", [{"kind": "wrong_address"}]),
        ("BYTES", [{"kind": "byte_slow", "delay_ms": 3, "points": ["p_total"]}]),
    ]
    lan = [{"id": mid, "address": address(300 + i), "profile": prof, "faults": f}
           for i, (mid, f) in enumerate(bus)]
    _, listeners, _ = P.start_sim({
        "seed": 21, "profiles_dir": g.PROFILES,
        "tcp": [{"id": "t1", "port": 0, "protocol": "dlt645", "meters": lan},
                {"id": "t2", "port": 0, "protocol": "dlt645", "meters": [
                    {"id": "H2", "address": address(399), "profile": prof}]}]},
        name="sim-faults")
    meters = [{"id": m["id"], "line": "lan", "address": m["address"], "profile": prof,
               "points": pts, "interval_s": 1, "timeout_ms": 300, "retries": 0}
              for m in lan]
    meters.append({"id": "H2", "line": "lan2", "address": address(399), "profile": prof,
                   "points": pts, "interval_s": 1, "timeout_ms": 300})
    cfg = P.write_json("agent-faults.json", {
        "gateway_id": "gw-645-faults", "data_dir": P.path("data-faults"),
        "profiles_dir": g.PROFILES,
        "lines": [{"id": "lan", "type": "tcp", "protocol": "dlt645", "host": "127.0.0.1",
                   "port": listeners["t1"], "byte_timeout_ms": 100},
                  {"id": "lan2", "type": "tcp", "protocol": "dlt645", "host": "127.0.0.1",
                   "port": listeners["t2"]}],
        "meters": meters})
    agent = P.start([g.AGENT, "run", "--config", cfg], "agent-faults.log")
    time.sleep(RUN_S)  # the polling itself is what is under test
    g.ok(P.stop(agent) == 0, "agent stops cleanly on SIGTERM")
    by = {}
    for r in g.queue_rows(os.path.join(P.path("data-faults"), "queue.db")):
        by.setdefault(r["meter"], []).append(r)

    def statuses(mid):
        return {r["status"] for r in by.get(mid, [])}
    want = {"DEAD": {"timeout"}, "EXC": {"exception-2"}, "SLOW": {"ok"}, "GARB": {"ok"},
            "BADCS": {"comm-error"}, "WADDR": {"comm-error"}, "BYTES": {"ok"}}
    for mid, st in sorted(want.items()):
        g.ok(statuses(mid) == st, "%s: statuses %s, want %s" % (mid, statuses(mid), st))
    for mid in ("H1", "H2"):
        times = sorted({r["time"] for r in by.get(mid, [])})
        steps = {b - a for a, b in zip(times, times[1:])}
        g.ok(len(times) >= RUN_S - 2 and steps == {1},
             "%s keeps its 1 s schedule beside the faulty meters: %d polls, steps %s"
             % (mid, len(times), steps))
        g.ok(statuses(mid) == {"ok"}, "%s all ok %s" % (mid, statuses(mid)))


def multiplier_change(P):
    _, listeners, sim_cfg = P.start_sim({
        "seed": 23, "profiles_dir": g.PROFILES,
        "tcp": [{"id": "t1", "port": 0, "protocol": "dlt645", "meters": [
            {"id": "MC", "address": address(600), "profile": "generic-dlt645"}]}]},
        name="sim-change")
    conf = {"gateway_id": "gw-change", "data_dir": P.path("data-change"),
            "profiles_dir": g.PROFILES, "log_level": "info",
            "lines": [{"id": "l", "type": "tcp", "protocol": "dlt645",
                       "host": "127.0.0.1", "port": listeners["t1"]}],
            "meters": [{"id": "MC", "line": "l", "address": address(600),
                        "profile": "generic-dlt645", "interval_s": 1,
                        "points": ["import_kwh", "export_kwh", "v_l1"]}]}
    cfg = P.write_json("agent-change.json", conf)
    agent = P.start([g.AGENT, "run", "--config", cfg], "agent-change.log")
    time.sleep(3)
    conf["meters"][0]["multiplier"] = 200
    P.write_json("agent-change.json", conf)
    os.kill(agent.pid, signal.SIGHUP)
    g.wait_for(lambda: "multiplier changed: meter=MC point=export_kwh"
               in P.log("agent-change.log"), 20, "the change is marked")
    time.sleep(2)
    g.ok(P.stop(agent) == 0, "agent stops cleanly after the change")
    log = P.log("agent-change.log")
    events = {m.group(1): (int(m.group(2)), float(m.group(3)), float(m.group(4)))
              for m in re.finditer(r"multiplier changed: meter=MC point=(\w+) "
                                   r"time=(\d+) old_final=(\S+) new_initial=(\S+)", log)}
    g.ok(sorted(events) == ["export_kwh", "import_kwh"],
         "one event per multiplied counter (%s)" % sorted(events))
    rows = [r for r in g.queue_rows(os.path.join(P.path("data-change"), "queue.db"))
            if r["point"] == "import_kwh" and r["status"] == "ok"]
    t_change = events.get("import_kwh", (0,))[0]
    bad = []
    for r in rows:
        truth = [g.sim_truth(sim_cfg, "MC", r["time"] + k)["import_kwh"] for k in (0, 1)]
        factor = 200 if r["time"] >= t_change else 1
        if all(r["value"] != factor * v for v in truth):
            bad.append((r["time"], r["value"], factor, truth[0]))
    g.ok(rows and not bad and any(r["time"] < t_change for r in rows) and
         any(r["time"] > t_change for r in rows),
         "readings are the register before %d and 200 x it after (%d rows, bad %s)"
         % (t_change, len(rows), bad[:3]))
    for point, (t, old, new) in sorted(events.items()):
        truth = [g.sim_truth(sim_cfg, "MC", t + k)[point] for k in (0, 1)]
        g.ok(any(old == v and new == 200 * v for v in truth),
             "%s event at %d: old_final %r, new_initial %r = register %r x 1, x 200"
             % (point, t, old, new, truth))


def discovery(P):
    found = [address(500), address(502), address(505)]
    _, listeners, _ = P.start_sim({
        "seed": 22, "profiles_dir": g.PROFILES,
        "tcp": [{"id": "solo", "port": 0, "protocol": "dlt645", "meters": [
            {"id": "ONE", "address": address(42), "profile": "chint-dtsu666-dlt645"}]},
                {"id": "many", "port": 0, "protocol": "dlt645", "meters": [
                    {"id": "X%d" % i, "address": a, "profile": "generic-dlt645"}
                    for i, a in enumerate(found)]}]}, name="sim-discover")
    cfg = P.write_json("agent-discover.json", {
        "gateway_id": "gw-disc", "data_dir": P.path("data-disc"),
        "profiles_dir": g.PROFILES,
        "lines": [{"id": "solo", "type": "tcp", "protocol": "dlt645", "host": "127.0.0.1",
                   "port": listeners["solo"]},
                  {"id": "many", "type": "tcp", "protocol": "dlt645", "host": "127.0.0.1",
                   "port": listeners["many"]}],
        "meters": [{"id": "ONE", "line": "solo", "address": address(42),
                    "profile": "chint-dtsu666-dlt645"}]})

    def discover(*args):
        import subprocess
        r = subprocess.run([g.AGENT, "discover", "--config", cfg] + list(args),
                           capture_output=True, text=True, timeout=60)
        return r.returncode, [json.loads(l)["address"] for l in r.stdout.splitlines()]
    rc, got = discover("--line", "solo")
    g.ok(rc == 0 and got == [address(42)], "read address finds the one meter: %s" % got)
    rc, got = discover("--line", "many", "--from", address(500), "--to", address(505))
    g.ok(rc == 0 and got == found, "the range search finds %s: %s" % (found, got))
    rc, got = discover("--line", "many", "--from", address(506), "--to", address(507))
    g.ok(rc == 1 and got == [], "an empty range finds nothing and exits 1 (%d)" % rc)


def main():
    pids = g.profile_ids("dlt645")
    g.ok(len(pids) >= 3, "at least three dlt645 profiles ship (%s)" % pids)
    with g.Procs() as P:
        profiles_on_tcp_and_paced_pty(P, pids)
        multiplier_200(P)
        statuses_and_isolation(P)
        multiplier_change(P)
        discovery(P)
    g.finish("dlt645_vs_sim")


if __name__ == "__main__":
    main()

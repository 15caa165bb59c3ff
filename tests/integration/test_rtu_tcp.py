"""RTU over TCP (issue 20, acceptance 1): an rtu-tcp line read against an
independent peer, Debian's pymodbus serving with its RTU framer on a TCP
socket (three slaves, every value equal to what was put in its registers),
and against gfi's simulator with garbage before replies, replies cut in
half and replies with a broken CRC: the garbage is skipped (values equal
the simulator's truth), a cut or broken reply is comm-error for its point
only, and the next read of the same meter is right again (nothing stale
taken for its answer). DL/T 645 over an rtu-tcp line reads too. Last,
reconnect with backoff: the line's server
appears after the agent started and polls turn ok within the backoff."""
import os
import time

import gfitest as g
from gfitest.regs import image

PEER = os.path.join(g.SOURCE, "tests", "tools", "pymodbus_rtu_server.py")
PEER_METERS = (("P1", 1, "eastron-sdm630"), ("P2", 2, "acrel-adl400"),
               ("P3", 7, "microsensor-mfe600h"))


def values_for(profile):
    """A distinct value per point, small enough for every register type."""
    return {p["name"]: (i + 1) * 37 * p.get("scale", 1) + p.get("offset", 0)
            for i, p in enumerate(profile["points"])}


def agent_config(P, name, port, meters, **extra):
    return P.write_json(name, {
        "gateway_id": "gw-rtu-tcp", "data_dir": P.path("data-" + name),
        "profiles_dir": g.PROFILES,
        "lines": [{"id": "ser", "type": "rtu-tcp", "host": "127.0.0.1", "port": port}],
        "meters": [dict({"id": m, "line": "ser", "slave": s, "profile": prof,
                         "timeout_ms": 500, "retries": 0}, **extra)
                   for m, s, prof in meters]})


def against_pymodbus(P):
    spec, want = {"slaves": {}}, {}
    for m, slave, pid in PEER_METERS:
        prof = g.load_profile(pid)
        regs, want[m] = image(prof, values_for(prof))
        spec["slaves"][str(slave)] = regs
    port = g.free_port()
    P.start(["/usr/bin/python3", PEER, P.write_json("peer.json", spec), str(port)],
            "peer.log", clean_exit=False)   # pymodbus has no SIGTERM handler
    cfg = agent_config(P, "peer-agent.json", port, PEER_METERS)

    def answered():
        rc, rs, _ = g.agent_read(cfg, "P1")
        return rc == 0 and rs
    g.wait_for(answered, 20, "pymodbus peer answering", 0.2)
    rc, readings, err = g.agent_read(cfg)
    g.ok(rc == 0, "read against pymodbus exits 0 (%s)" % err.strip())
    bad = [(r["meter"], r["point"], r["value"], want[r["meter"]][r["point"]], r["status"])
           for r in readings if r["status"] != "ok" or
           r["value"] != want[r["meter"]][r["point"]]]
    n = sum(len(v) for v in want.values())
    g.ok(len(readings) == n and not bad,
         "pymodbus peer, 3 slaves: %d readings, every value equal (%d differ: %s)"
         % (len(readings), len(bad), bad[:3]))


def against_sim(P):
    healthy = "eastron-sdm630"
    sim, listeners, sim_cfg = P.start_sim({
        "seed": 20, "profiles_dir": g.PROFILES,
        "tcp": [{"id": "s1", "host": "127.0.0.1", "port": 0, "framing": "rtu", "meters": [
            {"id": "CLEAN", "slave": 1, "profile": healthy},
            {"id": "NOISY", "slave": 2, "profile": "acrel-adl400",
             "faults": [{"kind": "garbage"}]},
            {"id": "CUT", "slave": 3, "profile": healthy,
             "faults": [{"kind": "truncated", "points": ["v_l1"]}]},
            {"id": "CRC", "slave": 4, "profile": healthy,
             "faults": [{"kind": "bad_checksum", "points": ["v_l1"]}]}]}]})
    points = ["v_l1", "import_kwh", "freq"]
    meters = (("CLEAN", 1, healthy), ("NOISY", 2, "acrel-adl400"),
              ("CUT", 3, healthy), ("CRC", 4, healthy))
    cfg = agent_config(P, "sim-agent.json", listeners["s1"], meters, points=points)
    for _ in range(2):   # twice: a cut reply must not spoil the next read
        rc, readings, err = g.agent_read(cfg)
        by = {(r["meter"], r["point"]): r for r in readings}
        # v_l1 is a read of its own (freq and import_kwh share another).
        broken = {("CUT", "v_l1"), ("CRC", "v_l1")}
        st = {k: r["status"] for k, r in by.items() if k in broken}
        g.ok(st == {k: "comm-error" for k in broken},
             "a cut reply and a broken CRC are comm-error: %s" % st)
        wrong = []
        for (m, p), r in by.items():
            if (m, p) in broken:
                continue
            truth = [g.sim_truth(sim_cfg, m, r["time"] + d).get(p) for d in (0, 1)]
            if r["status"] != "ok" or r["value"] not in truth:
                wrong.append((m, p, r["status"], r["value"], truth))
        g.ok(len(by) == 4 * len(points) and not wrong,
             "every other point ok and equal to the truth, garbage skipped (%d: %s)"
             % (len(wrong), wrong[:2]))


def dlt645_over_rtu_tcp(P):
    """DL/T 645 through a serial server is an rtu-tcp line too."""
    _, listeners, sim_cfg = P.start_sim({"seed": 3, "profiles_dir": g.PROFILES, "tcp": [
        {"id": "g", "host": "127.0.0.1", "port": 0, "protocol": "dlt645", "meters": [
            {"id": "G1", "address": "202600000042", "profile": "generic-dlt645",
             "faults": [{"kind": "garbage"}]}]}]}, "sim-645")
    cfg = P.write_json("agent-645.json", {
        "gateway_id": "gw-rtu-tcp", "data_dir": P.path("data-645"),
        "profiles_dir": g.PROFILES,
        "lines": [{"id": "grid", "type": "rtu-tcp", "protocol": "dlt645",
                   "host": "127.0.0.1", "port": listeners["g"]}],
        "meters": [{"id": "G1", "line": "grid", "address": "202600000042",
                    "profile": "generic-dlt645", "points": ["import_kwh"]}]})
    rc, readings, err = g.agent_read(cfg)
    truth = [g.sim_truth(sim_cfg, "G1", readings[0]["time"] + d).get("import_kwh")
             for d in (0, 1)] if readings else []
    g.ok(rc == 0 and len(readings) == 1 and readings[0]["status"] == "ok" and
         readings[0]["value"] in truth,
         "DL/T 645 over an rtu-tcp line reads the truth: %s %s" % (readings, err))


def reconnects_with_backoff(P):
    port = g.free_port()
    cfg = agent_config(P, "late-agent.json", port, (("L1", 1, "eastron-sdm630"),),
                       points=["v_l1"], interval_s=1)
    agent = P.start([g.AGENT, "run", "--config", cfg, "--log-level", "debug"], "late.log")
    time.sleep(4)   # the server is away: attempts at 0, 0.5, 1.5, 3.5 s
    tries = P.log("late.log").count("line connect failed")
    g.ok(2 <= tries <= 5, "connect attempts back off while the server is away (%d)" % tries)
    P.start_sim({"seed": 1, "profiles_dir": g.PROFILES, "tcp": [
        {"id": "late", "host": "127.0.0.1", "port": port, "framing": "rtu",
         "meters": [{"id": "L1", "slave": 1, "profile": "eastron-sdm630"}]}]}, "late-sim")
    g.wait_for(lambda: "line connected: line=ser" in P.log("late.log"), 15,
               "the line reconnects within its backoff", 0.2)
    g.ok(P.stop(agent) == 0, "the agent stops cleanly")
    rows = g.queue_rows(os.path.join(P.path("data-late-agent.json"), "queue.db"))
    g.ok({r["status"] for r in rows} >= {"comm-error", "ok"},
         "comm-error while away, ok after (%s)" % {r["status"] for r in rows})


def main():
    with g.Procs() as P:
        against_pymodbus(P)
        against_sim(P)
        dlt645_over_rtu_tcp(P)
        reconnects_with_backoff(P)
    g.finish("rtu_tcp")


if __name__ == "__main__":
    main()

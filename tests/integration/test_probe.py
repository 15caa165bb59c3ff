"""gfi-agent probe (issue 20, acceptance 3): on a line with six Modbus
meters of different profiles, three of them keeping their registers in
another word order than their manual's, the probe proposes the right
profile and order for each; the entries it prints, pasted into a config,
read every value equal to the simulator's truth. On an empty RTU-over-TCP
line (nobody answers) it ends within its --seconds. A line the running
service holds is refused with one clear line. On a DL/T 645 line it finds
the one meter's address and a dlt645 profile whose identifiers it answers."""
import json
import subprocess
import time

import gfitest as g

SIX = (("M1", 1, "eastron-sdm630", "CDAB"), ("M2", 2, "acrel-adl400", None),
       ("M3", 3, "chint-dtsu666", "DCBA"), ("M4", 4, "microsensor-mfe600h", None),
       ("M5", 5, "tactical-tfmvt222", "BADC"), ("M6", 6, "siemens-mag6000", None))


def probe(cfg, line, *extra):
    t0 = time.monotonic()
    r = subprocess.run([g.AGENT, "probe", "--config", cfg, "--line", line] + list(extra),
                       capture_output=True, text=True, timeout=120)
    entries = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
    return r.returncode, entries, r.stdout + r.stderr, time.monotonic() - t0


def config(P, name, line, meters=()):
    return P.write_json(name, {
        "gateway_id": "gw-probe", "data_dir": P.path("data"), "profiles_dir": g.PROFILES,
        "lines": [line], "meters": list(meters) or [
            {"id": "X", "line": line["id"], "slave": 1, "profile": "eastron-sdm630"}]})


def six_meters(P):
    meters = []
    for mid, slave, pid, order in SIX:
        m = {"id": mid, "slave": slave, "profile": pid}
        if order:
            m["word_order"] = order
        meters.append(m)
    _, listeners, sim_cfg = P.start_sim({"seed": 7, "profiles_dir": g.PROFILES, "tcp": [
        {"id": "t1", "host": "127.0.0.1", "port": 0, "meters": meters}]})
    line = {"id": "lan", "type": "tcp", "host": "127.0.0.1", "port": listeners["t1"]}
    rc, entries, text, _ = probe(config(P, "probe.json", line), "lan",
                                 "--slaves", "1-12", "--seconds", "30")
    g.ok(rc == 0 and len(entries) == 6, "six meters proposed (rc %d):\n%s" % (rc, text))
    got = {e["slave"]: (e["profile"], e.get("word_order")) for e in entries}
    want = {slave: (pid, order) for _, slave, pid, order in SIX}
    g.ok(got == want, "the right profile and word order for each: %s" % got)
    g.ok(text.count("values plausible") == 6, "each with its evidence")
    # Pasted as they are, the entries read the truth.
    cfg = config(P, "pasted.json", line, entries)
    rc, readings, err = g.agent_read(cfg)
    wrong = [(r["meter"], r["point"], r["value"]) for r in readings
             if r["status"] != "ok" or r["value"] not in
             [g.sim_truth(sim_cfg, "M%d" % int(r["meter"].split("-")[1]),
                          r["time"] + d).get(r["point"]) for d in (0, 1)]]
    g.ok(rc == 0 and len(readings) > 6 * 2 and not wrong,
         "the pasted entries read the truth (%d readings, wrong: %s) %s"
         % (len(readings), wrong[:3], err.strip()))


def empty_line(P):
    _, listeners, _ = P.start_sim({"seed": 1, "profiles_dir": g.PROFILES, "tcp": [
        {"id": "e", "host": "127.0.0.1", "port": 0, "framing": "rtu",
         "meters": [{"id": "FAR", "slave": 247, "profile": "eastron-sdm630"}]}]}, "empty-sim")
    line = {"id": "ser", "type": "rtu-tcp", "host": "127.0.0.1", "port": listeners["e"]}
    rc, entries, text, took = probe(config(P, "empty.json", line), "ser",
                                    "--slaves", "1-246", "--seconds", "4")
    g.ok(rc == 1 and not entries and "0 responder(s)" in text,
         "an empty line: nothing proposed, exit 1 (rc %d): %s" % (rc, text.strip()))
    g.ok(took <= 4.5, "and it ends within its bound (%.2f s for --seconds 4)" % took)


def dlt645_line(P):
    _, listeners, sim_cfg = P.start_sim({"seed": 4, "profiles_dir": g.PROFILES, "tcp": [
        {"id": "g", "host": "127.0.0.1", "port": 0, "protocol": "dlt645", "meters": [
            {"id": "G1", "address": "202600000042", "profile": "chint-dtsu666-dlt645"}]}]},
        "sim-645")
    line = {"id": "grid", "type": "rtu-tcp", "protocol": "dlt645", "host": "127.0.0.1",
            "port": listeners["g"]}
    cfg = config(P, "probe-645.json", line, [
        {"id": "X", "line": "grid", "address": "000000000001", "profile": "generic-dlt645"}])
    rc, entries, text, _ = probe(cfg, "grid", "--protocol", "dlt645", "--seconds", "20")
    g.ok(rc == 0 and len(entries) == 1 and entries[0]["address"] == "202600000042"
         and entries[0]["profile"] == "generic-dlt645",
         "a DL/T 645 line: the meter's address and a profile that fits:\n%s" % text)
    rc, readings, err = g.agent_read(config(P, "pasted-645.json", line, entries))
    g.ok(rc == 0 and readings and all(r["status"] == "ok" for r in readings),
         "its pasted entry reads (%d readings) %s" % (len(readings), err.strip()))


def held_line(P):
    cfg = P.path("empty.json")
    agent = P.start([g.AGENT, "run", "--config", cfg], "held.log")
    g.wait_for(lambda: "polling:" in P.log("held.log"), 20, "the service runs", 0.1)
    rc, entries, text, _ = probe(cfg, "ser", "--seconds", "2")
    g.ok(rc == 1 and "held by the running gfi-agent (pid %d" % agent.pid in text
         and len(text.strip().splitlines()) == 1,
         "a line the service holds is refused in one line: %s" % text.strip())
    g.ok(P.stop(agent) == 0, "the service stops cleanly")


def main():
    with g.Procs() as P:
        six_meters(P)
        empty_line(P)
        dlt645_line(P)
        held_line(P)
    g.finish("probe")


if __name__ == "__main__":
    main()

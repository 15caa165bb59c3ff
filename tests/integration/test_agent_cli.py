"""gfi-agent's command line: check-config exit codes and field-naming lines,
read's argument errors, and SIGHUP: a good new config is taken up, a broken
one is refused while polling goes on."""
import json
import os
import re
import signal
import subprocess
import time

import gfitest as g

EXAMPLES = os.path.join(g.SOURCE, "firmware-config", "examples")


def run(args):
    return subprocess.run([g.AGENT] + args, capture_output=True, text=True,
                          timeout=60)


def cli_checks(P):
    for name in sorted(os.listdir(EXAMPLES)):
        r = run(["check-config", "--config", os.path.join(EXAMPLES, name)])
        g.ok(r.returncode == 0 and r.stderr == "",
             "check-config %s: exit 0, silent (%d %s)" % (name, r.returncode, r.stderr))
    bad = P.write_json("bad.json", {
        "gateway_id": "gw/1", "profiles_dir": g.PROFILES,
        "lines": [{"id": "lan", "type": "tcp", "host": "127.0.0.1", "port": 70000}],
        "meters": [{"id": "E1", "line": "lan", "slave": 1,
                    "profile": "eastron-sdm630", "interval_s": 0}]})
    r = run(["check-config", "--config", bad])
    lines = r.stderr.strip().split("\n")
    g.ok(r.returncode == 2, "check-config on a broken file exits 2 (%d)" % r.returncode)
    g.ok(len(lines) == 3, "three errors, three lines: %s" % lines)
    g.ok(any(l.startswith("gateway_id: ") for l in lines), "gateway_id named")
    g.ok("lines[0].port: 70000 out of range 1..65535" in lines, "port line: %s" % lines)
    g.ok(any(l.startswith("meters[0].interval_s: 0 out of range") for l in lines),
         "interval line")
    r = run(["read", "--config", os.path.join(EXAMPLES, sorted(os.listdir(EXAMPLES))[0]),
             "--meter", "NOPE"])
    g.ok(r.returncode == 2 and r.stderr.startswith("--meter: "),
         "read --meter unknown: exit 2 naming --meter (%s)" % r.stderr.strip())
    r = run(["run"])
    g.ok(r.returncode == 2 and "--config: missing" in r.stderr, "run without --config")
    r = run(["frobnicate", "--config", bad])
    g.ok(r.returncode == 2, "unknown command exits 2")


def reload_checks(P):
    meters = [{"id": "A", "slave": 1, "profile": "eastron-sdm630"},
              {"id": "B", "slave": 2, "profile": "eastron-sdm630"}]
    sim, listeners, _ = P.start_sim({"seed": 9, "profiles_dir": g.PROFILES,
                                     "tcp": [{"id": "t1", "host": "127.0.0.1",
                                              "port": 0, "meters": meters}]})
    conf = {"gateway_id": "gw-reload", "data_dir": P.path("data"),
            "profiles_dir": g.PROFILES,
            "lines": [{"id": "lan", "type": "tcp", "host": "127.0.0.1",
                       "port": listeners["t1"]}],
            "meters": [{"id": "A", "line": "lan", "slave": 1,
                        "profile": "eastron-sdm630", "interval_s": 1}]}
    path = P.write_json("agent.json", conf)
    agent = P.start([g.AGENT, "run", "--config", path], "agent.log")
    db = os.path.join(P.path("data"), "queue.db")

    def meters_seen():
        try:
            return {r["meter"] for r in g.queue_rows(db)}
        except Exception:
            return set()
    g.wait_for(lambda: "A" in meters_seen(), 15, "meter A polled")
    conf["meters"].append({"id": "B", "line": "lan", "slave": 2,
                           "profile": "eastron-sdm630", "interval_s": 1})
    P.write_json("agent.json", conf)
    os.kill(agent.pid, signal.SIGHUP)
    g.wait_for(lambda: "B" in meters_seen(), 15, "meter B polled after SIGHUP")
    g.ok(True, "SIGHUP took up a new meter")
    with open(path, "w") as f:
        f.write("{ this is not json")
    os.kill(agent.pid, signal.SIGHUP)
    n0 = len(g.queue_rows(db))
    g.wait_for(lambda: len(g.queue_rows(db)) > n0 + 40, 15, "polling goes on")
    g.ok(agent.poll() is None, "a broken config on SIGHUP does not stop the agent")
    g.ok("reload refused" in P.log("agent.log"), "the refusal is logged")
    g.ok(P.stop(agent) == 0, "SIGTERM stops it with exit 0")


def version_check():
    r = subprocess.run([g.AGENT, "--version"], capture_output=True, text=True, timeout=30)
    g.ok(r.returncode == 0 and re.fullmatch(r"gfi-agent \d+\.\d+\.\d+\n", r.stdout) is not None,
         "--version prints the version: %r" % r.stdout)


def main():
    version_check()
    with g.Procs() as P:
        cli_checks(P)
        reload_checks(P)
    g.finish("agent_cli")


if __name__ == "__main__":
    main()

"""Acceptance 6: kill -9 of gfi-agent during polling, 20 times at random
moments: the queue opens each time, and every reading the agent reported
committed before the kill is still there, once, in order."""
import os
import random
import re
import signal
import sqlite3
import time

import gfitest as g

KILLS = 20


def main():
    rnd = random.Random(int(os.environ.get("GFI_SEED", "1234")))
    pids = g.profile_ids()
    prof = "eastron-sdm630" if "eastron-sdm630" in pids else pids[0]
    with g.Procs() as P:
        meters = [{"id": "M%02d" % i, "slave": i + 1, "profile": prof}
                  for i in range(8)]
        sim, listeners, _ = P.start_sim({
            "seed": 11, "profiles_dir": g.PROFILES,
            "tcp": [{"id": "t1", "host": "127.0.0.1", "port": 0, "meters": meters}]})
        cfg = P.write_json("agent.json", {
            "gateway_id": "gw-kill", "data_dir": P.path("data"),
            "profiles_dir": g.PROFILES,
            "lines": [{"id": "lan", "type": "tcp", "host": "127.0.0.1",
                       "port": listeners["t1"]}],
            "meters": [dict(m, line="lan", interval_s=1) for m in meters]})
        db = os.path.join(P.path("data"), "queue.db")
        committed = set()
        for k in range(KILLS):
            log = "agent-%d.log" % k
            agent = P.start([g.AGENT, "run", "--config", cfg,
                             "--log-level", "debug"], log)
            g.wait_for(lambda: "queued meter=" in P.log(log), 20,
                       "first commit of run %d" % k)
            time.sleep(rnd.uniform(0.0, 1.5))
            os.kill(agent.pid, signal.SIGKILL)
            agent.wait()
            for m in re.finditer(r"queued meter=(\S+) time=(\d+)", P.log(log)):
                committed.add((m.group(1), int(m.group(2))))
            # The queue must open cleanly after the kill.
            con = sqlite3.connect(db, timeout=10)
            integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
            con.close()
            g.check(integrity == "ok", "run %d: integrity_check %s" % (k, integrity))
        rows = g.queue_rows(db)
        held = {}
        for r in rows:
            held.setdefault((r["meter"], r["time"]), []).append(r)
        missing = [c for c in committed if c not in held]
        g.ok(not missing, "all %d committed polls survive 20 kills (missing %d: %s)"
             % (len(committed), len(missing), sorted(missing)[:5]))
        npoints = len(g.load_profile(prof)["points"])
        dup = [k for k, v in held.items() if len(v) != npoints]
        g.ok(not dup, "each poll holds exactly one reading per point (%d bad)" % len(dup))
        order_ok = True
        last = {}
        for r in rows:
            key = (r["meter"], r["point"])
            if key in last and r["time"] <= last[key]:
                order_ok = False
            last[key] = r["time"]
        g.ok(order_ok, "queue order follows read time for every point")
        ids = [r["id"] for r in rows]
        g.ok(ids == sorted(set(ids)), "queue ids strictly increasing")
        g.ok(len(committed) >= KILLS * len(meters),
             "polls were committed in every run (%d)" % len(committed))
    g.finish("agent_kill9")


if __name__ == "__main__":
    main()

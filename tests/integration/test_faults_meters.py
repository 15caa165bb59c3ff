"""Acceptance 4: timeouts, exceptions and a dead slave give the right
statuses while other meters keep their schedule; a rollover and a meter
replacement are read as they are and flagged (rollover, backwards)."""
import os
import time

import gfitest as g

DURATION_S = 14


def main():
    pids = g.profile_ids()
    healthy = "eastron-sdm630" if "eastron-sdm630" in pids else pids[0]
    # The counter that wraps soonest: the smallest register maximum shipped.
    roll_prof, roll_point, roll_max = None, None, float("inf")
    for pid in pids:
        for point, mx in g.counter_points(g.load_profile(pid)):
            if mx < roll_max:
                roll_prof, roll_point, roll_max = pid, point, mx
    g.ok(roll_prof is not None, "a profile with an integer counter exists")
    now = int(time.time())
    t_repl = now + 7
    win = (now + 4, now + 8)
    with g.Procs() as P:
        lan = [
            {"id": "H1", "slave": 1, "profile": healthy},
            {"id": "DEAD", "slave": 2, "profile": healthy,
             "faults": [{"kind": "timeout"}]},
            {"id": "EXC", "slave": 3, "profile": healthy,
             "faults": [{"kind": "exception", "code": 2}]},
            {"id": "SLOW", "slave": 4, "profile": healthy,
             "faults": [{"kind": "slow", "delay_ms": 150}]},
            {"id": "ROLL", "slave": 5, "profile": roll_prof,
             "rollover_max": roll_max, "initial": 0,
             "base_rate": roll_max * 0.00001 * 3600},
            {"id": "REPL", "slave": 6, "profile": healthy, "initial": 50000,
             "replacement": {"at": t_repl, "initial": 12}},
            {"id": "TW", "slave": 7, "profile": healthy,
             "faults": [{"kind": "timeout", "from": win[0], "to": win[1]}]},
        ]
        sim_conf = {
            "seed": 3, "profiles_dir": g.PROFILES,
            "tcp": [{"id": "t1", "host": "127.0.0.1", "port": 0, "meters": lan},
                    {"id": "t2", "host": "127.0.0.1", "port": 0,
                     "meters": [{"id": "H2", "slave": 1, "profile": healthy}]}]}
        # The model counts from its origin: pick the initial value that puts
        # ROLL four seconds' consumption below its maximum at now+3, so it
        # wraps in the middle of the run.
        probe = P.write_json("probe.json", sim_conf)
        v3 = g.sim_truth(probe, "ROLL", now + 3)[roll_point]
        v4 = g.sim_truth(probe, "ROLL", now + 4)[roll_point]
        per_s = max((v4 - v3) % roll_max, 1)
        lan[4]["initial"] = (roll_max - 4 * per_s - v3) % roll_max
        sim, listeners, sim_cfg = P.start_sim(sim_conf)
        meters = [dict(id=m["id"], line="lan", slave=m["slave"],
                       profile=m["profile"], interval_s=1, timeout_ms=300,
                       retries=0) for m in lan]
        meters.append(dict(id="H2", line="lan2", slave=1, profile=healthy,
                           interval_s=1, timeout_ms=300))
        cfg = P.write_json("agent.json", {
            "gateway_id": "gw-faults", "data_dir": P.path("data"),
            "profiles_dir": g.PROFILES,
            "lines": [{"id": "lan", "type": "tcp", "host": "127.0.0.1",
                       "port": listeners["t1"]},
                      {"id": "lan2", "type": "tcp", "host": "127.0.0.1",
                       "port": listeners["t2"]}],
            "meters": meters})
        agent = P.start([g.AGENT, "run", "--config", cfg], "agent.log")
        time.sleep(DURATION_S)  # the polling itself is what is under test
        rc = P.stop(agent)
        g.ok(rc == 0, "agent stops cleanly on SIGTERM (rc=%s)" % rc)
        rows = g.queue_rows(os.path.join(P.path("data"), "queue.db"))
        by = {}
        for r in rows:
            by.setdefault(r["meter"], []).append(r)

        def statuses(mid):
            return {r["status"] for r in by.get(mid, [])}

        g.ok(statuses("DEAD") == {"timeout"}, "dead slave: only timeouts %s" % statuses("DEAD"))
        g.ok(statuses("EXC") == {"exception-2"}, "exception slave: exception-2 %s" % statuses("EXC"))
        g.ok(statuses("SLOW") == {"ok"}, "slow slave within timeout: ok %s" % statuses("SLOW"))
        for mid in ("H1", "H2"):
            times = sorted({r["time"] for r in by.get(mid, [])})
            steps = {b - a for a, b in zip(times, times[1:])}
            g.ok(len(times) >= DURATION_S - 2 and steps == {1},
                 "%s keeps its 1 s schedule beside a dead slave: %d polls, steps %s"
                 % (mid, len(times), steps))
            g.ok(statuses(mid) == {"ok"}, "%s all ok %s" % (mid, statuses(mid)))
        tw = by.get("TW", [])
        inside = {r["status"] for r in tw if win[0] + 1 <= r["time"] < win[1] - 1}
        outside = {r["status"] for r in tw if r["time"] < win[0] - 1 or r["time"] > win[1] + 1}
        g.ok(inside == {"timeout"} and outside == {"ok"},
             "timeout window: inside %s, outside %s" % (inside, outside))
        roll = [r for r in by.get("ROLL", []) if r["point"] == roll_point]
        rolled = [r for r in roll if r["status"] == "rollover"]
        g.ok(len(rolled) >= 1, "rollover flagged on %s.%s (%d readings)"
             % (roll_prof, roll_point, len(roll)))
        if rolled:
            i = roll.index(rolled[0])
            g.ok(i > 0 and roll[i - 1]["value"] > 0.99 * roll_max
                 and rolled[0]["value"] < 0.01 * roll_max,
                 "rollover read as it is: %r then %r" %
                 (roll[i - 1]["value"] if i else None, rolled[0]["value"]))
        repl = [r for r in by.get("REPL", []) if r["point"] == "import_kwh"]
        back = [r for r in repl if r["status"] == "backwards"]
        g.ok(len(back) == 1 and back[0]["time"] >= t_repl and back[0]["value"] < 100,
             "replacement flagged once as backwards at/after %d: %s" %
             (t_repl, [(r["time"], r["value"]) for r in back]))
        after = [r for r in repl if r["time"] > t_repl + 1]
        g.ok(after and all(r["status"] == "ok" for r in after),
             "after the replacement the new counter reads ok")
    g.finish("faults")


if __name__ == "__main__":
    main()

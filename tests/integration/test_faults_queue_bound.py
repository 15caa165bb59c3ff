"""Fault suite (issue 7): the gateway's queue reaches its bound during an
outage ("disk nearly full" by configuration: queue.max_readings, the
smallest allowed, 1000).

The broker is down from the start; the agent polls two simulated meters
every second, every point of their profiles (64 readings a second), so the
bound is passed after some 16 s. While it is down: the queue never holds
more than the bound, the agent keeps running and polling, the oldest
readings are dropped and recorded as gap events (the agent's `gaps` table).
Then the broker and aggregator come up: the backlog drains, the gap events
travel in the signed batches ("gaps", docs/wire-format.md), the aggregator
keeps them (queue_gaps) and `gfi-aggregator alerts evaluate` raises one
data_gap alert per meter whose value is the readings dropped. The store
ends exact: every registered reading is stored once and equals the
simulator's truth, except readings inside a reported gap event, and per
meter the gap events count exactly the readings read and never sent
(FaultRig.check_exact with gaps)."""
import json
import os
import sqlite3
import time

import gfitest as g

GW = "gw-fault-bound"
BOUND = 1000


def queue_state(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        n = con.execute("SELECT value FROM meta WHERE key = 'count'").fetchone()[0]
        real = con.execute("SELECT count(*) FROM readings").fetchone()[0]
        gaps = con.execute("SELECT meter, from_s, to_s, count FROM gaps ORDER BY id").fetchall()
    finally:
        con.close()
    return n, real, [tuple(x) for x in gaps]


def main():
    with g.Procs() as P:
        rig = g.FaultRig(P, GW, all_points=True, start_broker=False,
                         agent_extra={"queue": {"max_readings": BOUND}})
        rig.start_agent()
        rig.wait_polls(1)
        t_from = g.poll_runs(P, rig.agent_logs)[0][0]
        most, samples, t_full = 0, 0, None
        end = time.monotonic() + 40
        while time.monotonic() < end:
            n, real, gaps = queue_state(rig.queue_db)
            g.check(n == real, "the queue's count row is exact (%d, %d rows)" % (n, real))
            most = max(most, real)
            samples += 1
            if gaps and t_full is None:
                t_full = time.monotonic()
            if t_full is not None and time.monotonic() - t_full > 4:
                break
            time.sleep(0.2)
        n, real, agent_gaps = queue_state(rig.queue_db)
        g.ok(t_full is not None, "the bound was reached while the broker was down")
        g.ok(most <= BOUND, "the queue never held more than %d readings (most %d in %d samples)"
             % (BOUND, most, samples))
        g.ok(rig.agent.poll() is None and "queue full" in P.log(rig.agent_logs[-1]),
             "the agent keeps running and logged the drop")
        dropped = sum(x[3] for x in agent_gaps)
        g.ok(dropped > 0 and all(x[3] > 0 and x[1] <= x[2] for x in agent_gaps),
             "gap events recorded: %d readings dropped in %d events" % (dropped, len(agent_gaps)))
        rig.city.start_broker()
        rig.agg.start()
        t_to, lost = rig.stop_agent_and_drain()
        g.ok(not lost, "every committed poll not dropped reached the store (%d missing: %s)"
             % (len(lost), sorted(lost)[:3]))
        # Drops after the first samples are reported too: compare at the end.
        n, real, agent_gaps = queue_state(rig.queue_db)
        city_gaps = rig.queue_gaps()
        g.ok(city_gaps == agent_gaps,
             "the city holds exactly the gateway's gap events (%d, %d)"
             % (len(city_gaps), len(agent_gaps)))
        rig.check_exact(t_from, t_to, gaps=city_gaps)
        g.run_ok([g.AGGREGATOR, "alerts", "evaluate", "--store", rig.agg.store,
                  "--now", str(int(time.time()))])
        out = g.run_ok([g.AGGREGATOR, "alerts", "--store", rig.agg.store,
                        "--rule", "data_gap", "--json"])
        alerts = [json.loads(l) for l in out.splitlines() if l.strip()]
        if len(alerts) == 1 and isinstance(alerts[0], list):
            alerts = alerts[0]
        per_meter = {}
        for m, lo, hi, c in city_gaps:
            per_meter[m] = per_meter.get(m, 0) + c
        got = {a["subject"]: a["value"] for a in alerts}
        want = {"%s/%s" % (GW, m): float(c) for m, c in per_meter.items()}
        g.ok(got == want, "one data_gap alert per meter with the readings dropped: %s (want %s)"
             % (got, want))
        g.ok(all(a["state"] == "open" and a["unit"] == rig.agg.unit for a in alerts),
             "the alerts are open, on the gateway's unit")
        rig.close()
    g.finish("faults_queue_bound")


if __name__ == "__main__":
    main()

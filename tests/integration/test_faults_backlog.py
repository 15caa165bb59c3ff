"""Fault suite (issue 7): a week-long outage replayed as a backlog.

How the week is represented: the broker is unreachable (not started) while
the agent's queue holds a week of energy readings at an hourly poll schedule
for both meters (168 slots each, point import_kwh: the hours of the past
week), written into the agent's own queue file with the agent's schema and
count row (docs/queue.md, migration 1: readings + meta('count')), values
from the simulator's model at each hour, as the agent would have read them
(`gfi-meter-sim history`, one process for the week: its values are the
register values, checked against `gfi-meter-sim truth` on a sample); the
live agent meanwhile polls every second (the outage's last seconds). Then
the broker and the aggregator come up and the backlog drains (the uplink
alternates oldest and newest batches). The store must end with exactly the
week's readings and the live ones, once each, equal to the simulator's
truth (FaultRig.check_exact with the week's slots as expected extras)."""
import calendar
import sqlite3
import time

import gfitest as g

GW = "gw-fault-backlog"
WEEK_S = 7 * 86400
STEP_S = 3600


def main():
    now = int(time.time())
    # The 168 hour starts of the week before now (the last may be up to an
    # hour before the live window: the outage's last hour).
    week = list(range((now - WEEK_S) // STEP_S * STEP_S + STEP_S,
                      now // STEP_S * STEP_S + 1, STEP_S))
    with g.Procs() as P:
        rig = g.FaultRig(P, GW, registered=now - WEEK_S - 86400, start_broker=False)
        meters = [m for m, _, _ in g.FAULT_METERS]
        out = g.run_ok([g.SIM, "history", "--config", rig.sim_cfg, "--gateway", GW,
                        "--points", ",".join("%s:import_kwh" % m for m in meters),
                        "--from", str(week[0]), "--to", str(week[-1] + 1),
                        "--step", str(STEP_S)])
        hist = {}
        for line in out.splitlines()[1:]:
            gw, m, p, ts, v = line.split(",")
            t = calendar.timegm(time.strptime(ts, "%Y-%m-%d %H:%M:%S")) - 8 * 3600
            hist[(m, t)] = float(v)
        g.ok(set(hist) == {(m, t) for m in meters for t in week},
             "history gives every hour of the week (%d values)" % len(hist))
        sample = [(m, week[i]) for m in meters for i in (0, len(week) // 2, -1)]
        # history prints 3 decimals (its CSV is an import file); a register
        # value can be one ulp off its decimal (269154.72000000003), so
        # compare at the printed precision, which every register step
        # (0.01 kWh and coarser) survives exactly.
        bad = [(m, t, g.sim_truth(rig.sim_cfg, m, t)["import_kwh"], hist[(m, t)])
               for m, t in sample]
        bad = [x for x in bad if round(x[2], 3) != x[3]]
        g.ok(not bad, "history equals truth on a sample: %s" % bad)
        for (m, t), v in hist.items():
            rig.truth.cache[(m, t)] = {"import_kwh": v}
        rig.start_agent()
        rig.wait_polls(1)   # the queue exists, migrated, and the agent polls
        t_from = g.poll_runs(P, rig.agent_logs)[0][0]
        rows = [(m, "import_kwh", "elec_import_kwh", t, hist[(m, t)])
                for m in meters for t in week]
        con = sqlite3.connect(rig.queue_db, timeout=10, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        con.executemany("INSERT INTO readings (meter, point, quantity, time_s, value, "
                        "status, detail) VALUES (?, ?, ?, ?, ?, 0, 0)", rows)
        con.execute("UPDATE meta SET value = value + ? WHERE key = 'count'", (len(rows),))
        con.execute("COMMIT")
        con.close()
        g.ok(len(week) == 168, "a week of hourly slots per meter (%d)" % len(week))
        time.sleep(3)
        depth = g.queue_rows(rig.queue_db)
        g.ok(len(depth) >= len(rows), "the queue holds the week's backlog (%d readings)"
             % len(depth))
        rig.city.start_broker()
        rig.agg.start()
        t_up = time.monotonic()
        backlog = {(m, t) for m in meters for t in week}
        try:
            g.wait_for(lambda: backlog <= rig.stored_slots(), 50, "the week stored", 0.5)
        except RuntimeError:
            pass
        t_to, lost = rig.stop_agent_and_drain(timeout=30)
        print("backlog drained in %.1f s" % (time.monotonic() - t_up))
        g.ok(not lost, "every committed live poll reached the store (%d missing)" % len(lost))
        rig.check_exact(t_from, t_to, expect_extra=backlog, extra_points=["import_kwh"])
        rig.close()
    g.finish("faults_backlog")


if __name__ == "__main__":
    main()

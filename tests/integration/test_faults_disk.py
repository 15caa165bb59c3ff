"""Fault suite (issue 7): the gateway's disk nearly full.

How the full disk is made without root: the agent runs with RLIMIT_FSIZE
(set in preexec_fn) so no file it writes can grow past LIMIT bytes; write()
then fails with EFBIG (the agent ignores SIGXFSZ) and SQLite reports
SQLITE_FULL, exactly as on a full disk. The broker is down, so nothing is
acknowledged and the queue only grows; the meters send every point (64
readings a second). Expected (docs/queue.md, "A full disk"): the queue's
files stay within the limit, the agent keeps running and polling; on
SQLITE_FULL the queue checkpoints, drops its oldest eighth and records gap
events, and stores the new readings. Then the broker and the aggregator
come up: the backlog drains, the gap events reach the city and become
data_gap alerts, nothing else breaks, and the store is exact apart from
the reported gaps (FaultRig.check_exact with gaps)."""
import json
import os
import resource
import signal
import sqlite3
import time

import gfitest as g

GW = "gw-fault-disk"
LIMIT = 160 * 1024


def limit_files():
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def sizes(db):
    return {f: os.path.getsize(db + f) for f in ("", "-wal") if os.path.exists(db + f)}


def agent_gaps(db):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=10)
    try:
        return [tuple(r) for r in con.execute(
            "SELECT meter, from_s, to_s, count FROM gaps ORDER BY id").fetchall()]
    finally:
        con.close()


def main():
    with g.Procs() as P:
        rig = g.FaultRig(P, GW, all_points=True, start_broker=False)
        rig.start_agent(preexec_fn=limit_files)
        rig.wait_polls(1)
        t_from = g.poll_runs(P, rig.agent_logs)[0][0]
        biggest, full_at = {}, None
        end = time.monotonic() + 45
        while time.monotonic() < end:
            for f, n in sizes(rig.queue_db).items():
                biggest[f] = max(biggest.get(f, 0), n)
            if full_at is None and "queue disk full" in P.log(rig.agent_logs[-1]):
                full_at = time.monotonic()
            if full_at is not None and time.monotonic() - full_at > 5:
                break
            time.sleep(0.2)
        log = P.log(rig.agent_logs[-1])
        g.ok(full_at is not None, "the disk filled while the broker was down (%s)" % biggest)
        g.ok(all(n <= LIMIT for n in biggest.values()),
             "the queue's files stayed within %d bytes (%s)" % (LIMIT, biggest))
        g.ok(rig.agent.poll() is None, "the agent keeps running")
        n_before = g.P_count(P, rig.agent_logs[-1])
        time.sleep(2)
        g.ok(g.P_count(P, rig.agent_logs[-1]) > n_before,
             "and keeps polling and storing after the disk filled")
        gaps = agent_gaps(rig.queue_db)
        g.ok(gaps and sum(x[3] for x in gaps) > 0,
             "the dropped readings are gap events (%s)" % gaps[:4])
        rig.city.start_broker()
        rig.agg.start()
        t_to, lost = rig.stop_agent_and_drain(timeout=40)
        g.ok(not lost, "every committed poll not dropped reached the store (%d missing: %s)"
             % (len(lost), sorted(lost)[:3]))
        # The log is a file the agent writes, so under the same limit: a
        # retry loop that spins (an ack the full disk refused once made the
        # uplink log ~500 failed commits a second) would fill it and blind
        # the checks below, which read the committed polls from it.
        n_log = os.path.getsize(P.path(rig.agent_logs[-1]))
        g.ok(n_log < LIMIT // 4, "the agent's log stays small: no retry loop "
             "spins on the full disk (%d bytes)" % n_log)
        city = rig.queue_gaps()
        mine = agent_gaps(rig.queue_db)
        differ = [(c, m) for c, m in zip(city, mine) if c != m]
        g.ok(city == mine, "the city holds exactly the gateway's gap events "
             "(%d, %d; city vs gateway where they differ: %s)"
             % (len(city), len(mine), differ[:3]))
        rig.check_exact(t_from, t_to, gaps=city)
        g.run_ok([g.AGGREGATOR, "alerts", "evaluate", "--store", rig.agg.store,
                  "--now", str(int(time.time()))])
        out = g.run_ok([g.AGGREGATOR, "alerts", "--store", rig.agg.store,
                        "--rule", "data_gap", "--json"])
        alerts = [json.loads(l) for l in out.splitlines() if l.strip()]
        got = {a["subject"]: a["value"] for a in alerts}
        want = {}
        for m, lo, hi, c in city:
            want["%s/%s" % (GW, m)] = want.get("%s/%s" % (GW, m), 0.0) + c
        g.ok(got == want, "data_gap alerts carry the readings dropped: %s (want %s)"
             % (got, want))
        rig.close()
    g.finish("faults_disk")


if __name__ == "__main__":
    main()

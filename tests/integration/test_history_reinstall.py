"""Issue 17 acceptance 1, the reinstall case end to end: sim -> gfi-agent ->
Mosquitto (mutual TLS) -> gfi-aggregator.

An agent before epochs runs on data_dir A until the city holds a few batches; it stops and
a reinstalled agent (same gateway key, a fresh data_dir B: a new queue, so a
new chain epoch) runs. Checks: every poll the new queue committed is stored
(nothing lost, although the city's retained ack names the old head); the
city recorded "chain restarted after seq N" and raised the chain_restarted
alert; the old chain stays verifiable (each old batch's signature with
openssl, each prev the SHA-256 of the batch before). Then an agent whose
queue predates epochs (its epoch set to '' as an upgraded queue has) sends
its own seq 1: refused as a conflict, quarantined, alerted, never acked, and
its readings stay in its queue."""
import base64
import hashlib
import json
import os
import sqlite3
import subprocess
import time

import gfitest as g
import history_common
from history_common import run_agent

GW = "gw-reinst-1"
POINTS = ["import_kwh", "p_total"]
REGISTERED = [("E1", "import_kwh", "elec_import_kwh"), ("E1", "p_total", "elec_power_kw")]


def agent_config(P, city, key, crt, port, data):
    return history_common.agent_config(P, city, GW, key, crt, port, data, POINTS, data)


def queue_sql(P, data, sql, args=()):
    con = sqlite3.connect(os.path.join(P.path(data), "queue.db"), timeout=10)
    try:
        rows = con.execute(sql, args).fetchall()
        con.commit()
        return rows
    finally:
        con.close()


def check_old_chain(P, agg, key):
    """Every batch of epoch '' verifies with openssl and links to the one
    before: (count, problems)."""
    pub = P.path("pub-check.pem")
    g.run_ok(["openssl", "ec", "-in", key, "-pubout", "-out", pub])
    rows = agg.query("SELECT seq, payload FROM batches WHERE gateway = ? AND epoch = '' "
                     "ORDER BY seq", (GW,))
    prev, bad = "0" * 64, []
    for seq, payload in rows:
        body, sig = bytes(payload).split(b"\n")[:2]
        if json.loads(body)["prev"] != prev:
            bad.append("seq %d: prev" % seq)
        prev = hashlib.sha256(body).hexdigest()
        open(P.path("b.json"), "wb").write(body)
        open(P.path("b.sig"), "wb").write(base64.b64decode(sig))
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature",
                            P.path("b.sig"), P.path("b.json")], capture_output=True)
        if r.returncode != 0:
            bad.append("seq %d: signature" % seq)
    return len(rows), bad


def legacy_queue(P, city, key, crt, port, data):
    """A queue of an agent before epochs, with readings and nothing sent:
    made offline (a closed port), then rewound to epoch ''. Its config."""
    cfg_path = agent_config(P, city, key, crt, port, data)
    cfg = json.load(open(cfg_path))
    cfg["uplink"]["port"] = g.free_port()
    off = P.write_json("agent-%s-off.json" % data, cfg)
    log = "agent-%s-off.log" % data
    a = run_agent(P, off, log, lambda: len(g.committed_polls(P, [log])) >= 3,
                  "offline queue %s made" % data)
    P.stop(a)
    queue_sql(P, data, "DELETE FROM batches")
    queue_sql(P, data, "UPDATE readings SET batch_seq = NULL")
    queue_sql(P, data, "UPDATE chain SET seq = 0, hash = zeroblob(32), "
              "acked_seq = 0, epoch = ''")
    return cfg_path


def main():
    with g.Procs() as P:
        city, key, crt, agg = history_common.city_with_gateway(
            P, GW, REGISTERED)
        agg.start()
        port = history_common.start_sim(P, 7)

        # The first installation: an agent before epochs.
        a = run_agent(P, legacy_queue(P, city, key, crt, port, "dataA"), "agentA.log",
                      lambda: agg.head(GW) >= 4, "old chain of 4 batches")
        P.stop(a)
        old_head = agg.head(GW)

        # The reinstall: a fresh data_dir, the same key.
        b = run_agent(P, agent_config(P, city, key, crt, port, "dataB"), "agentB.log",
                      lambda: len(g.committed_polls(P, ["agentB.log"])) >= 12,
                      "new queue committed 12 polls")
        time.sleep(2)
        t_end = int(time.time()) - 1
        epoch_b = queue_sql(P, "dataB", "SELECT epoch FROM chain")[0][0]
        g.ok(len(epoch_b) == 32, "a new queue makes its epoch: %s" % epoch_b)

        def missing():
            held = {(m, t) for m, p, t in agg.readings(GW)}
            return [c for c in g.committed_polls(P, ["agentB.log"]) - held
                    if c[1] <= t_end]
        try:
            g.wait_for(lambda: not missing(), 30, "new queue's polls stored", step=0.5)
        except RuntimeError:
            pass
        P.stop(b)
        lost = missing()
        g.ok(not lost, "every poll the new queue committed is stored (%d missing)"
             % len(lost))
        restarts = agg.query("SELECT epoch, after_epoch, after_seq FROM chain_epochs "
                             "WHERE gateway = ?", (GW,))
        g.ok(restarts == [(epoch_b, "", old_head)],
             "chain restarted after seq %d of epoch '': %s" % (old_head, restarts))
        alerts = agg.query("SELECT rule, value FROM alerts WHERE subject = ?", (GW,))
        g.ok(("chain_restarted", float(old_head)) in alerts,
             "the restart is alerted: %s" % alerts)
        n_old, bad = check_old_chain(P, agg, key)
        g.ok(n_old == old_head and not bad,
             "the old chain stays verifiable (%d batches, %s)" % (n_old, bad))
        g.ok(agg.query("SELECT epoch FROM chain WHERE gateway = ?", (GW,))[0][0] == epoch_b,
             "the chain is in the new epoch")
        vb = [g.AGGREGATOR, "verify-batch", "--store", agg.store, "--gateway", GW]
        r = subprocess.run(vb + ["--seq", str(old_head), "--epoch", "-"],
                           capture_output=True, text=True)
        g.ok(r.returncode == 0 and r.stdout.startswith("verified:"),
             "verify-batch --epoch - checks the old chain's head: %s%s"
             % (r.stdout.strip(), r.stderr.strip()))
        r = subprocess.run(vb + ["--seq", "1"], capture_output=True, text=True)
        g.ok(r.returncode == 0, "and without --epoch the new epoch's seq 1: %s%s"
             % (r.stdout.strip(), r.stderr.strip()))
        r = subprocess.run(vb + ["--seq", str(old_head), "--epoch", "nosuchepoch"],
                           capture_output=True, text=True)
        g.ok(r.returncode != 0 and "not held" in r.stderr,
             "an unknown epoch holds nothing: %s" % r.stderr.strip())

        # An agent whose queue predates epochs: its seq 1 is not the held one.
        c_cfg = legacy_queue(P, city, key, crt, port, "dataC")
        q0 = agg.counts()["quarantined_batches"]
        c = run_agent(P, c_cfg, "agentC.log",
                      lambda: agg.counts()["quarantined_batches"] > q0,
                      "the old-style seq 1 quarantined")
        time.sleep(3)
        P.stop(c)
        reasons = [r for (r,) in agg.query("SELECT reason FROM quarantine WHERE gateway = ?",
                                           (GW,))]
        g.ok(reasons and all(r.startswith("conflict: seq") for r in reasons),
             "the different batch at a held seq is quarantined as a conflict: %s"
             % reasons[:2])
        acked, left = queue_sql(P, "dataC", "SELECT acked_seq, (SELECT count(*) FROM "
                                "readings) FROM chain")[0]
        g.ok(acked == 0 and left > 0,
             "it is never acked: acked_seq %d, %d readings kept" % (acked, left))
        alerts = agg.query("SELECT rule FROM alerts WHERE subject = ?", (GW,))
        g.ok(("batch_conflict",) in alerts, "the conflict is alerted: %s" % alerts)
    g.finish("history_reinstall")


if __name__ == "__main__":
    main()

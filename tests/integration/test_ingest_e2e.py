"""Issue 4 acceptance 1: sim -> gfi-agent -> Mosquitto (mutual TLS, ACL from
deploy/) -> gfi-aggregator, about a minute of 1 s polling of two meters.

Checks: every poll the agent committed ("queued meter=… time=…") is in the
aggregator's store; every reading of every stored batch is stored exactly
once with its value; nothing is quarantined; every daily rollup equals one
recomputed from the raw readings in Python; the agent's queue is acked up to
the aggregator's chain head; verify-batch re-verifies stored batches from the
registry's public key; the aggregator exits 0 on SIGTERM (sanitizers)."""
import json
import os
import sqlite3
import subprocess
import time

import gfitest as g

GW = "gw-e2e-1"
POINTS = ["import_kwh", "p_total", "v_l1"]
GAUGES = {"p_total", "v_l1"}
DURATION_S = int(os.environ.get("GFI_E2E_SECONDS", "60"))


def agent_config(P, city, key, crt, port):
    return P.write_json("agent.json", {
        "gateway_id": GW, "data_dir": P.path("data"), "profiles_dir": g.PROFILES,
        "lines": [{"id": "lan", "type": "tcp", "host": "127.0.0.1", "port": port}],
        "meters": [{"id": m, "line": "lan", "slave": s, "profile": prof, "interval_s": 1,
                    "points": POINTS}
                   for m, s, prof in (("E1", 1, "eastron-sdm630"), ("E2", 2, "acrel-adl400"))],
        "uplink": city.uplink_config(key, crt, batch_readings=60, max_inflight=4,
                                     ack_timeout_s=5, keepalive_s=5, status_interval_s=5,
                                     reconnect_min_ms=200, reconnect_max_ms=1000)})


def stored_batch_readings(agg, gw=GW):
    """Every reading of every stored batch payload: [(meter, point, time, value)]."""
    out = []
    for (payload,) in agg.query("SELECT payload FROM batches WHERE gateway = ? ORDER BY seq",
                                (gw,)):
        b = json.loads(bytes(payload).split(b"\n")[0])
        out.extend((r["meter"], r["point"], r["time"], r["value"]) for r in b["readings"])
    return out


def check_rollups(agg, gw=GW):
    raw = {}
    for m, p, t, v in agg.query(
            "SELECT s.meter, s.point, r.time_s, r.value FROM readings r "
            "JOIN series s ON s.id = r.series WHERE s.gateway = ?", (gw,)):
        raw.setdefault((m, p), []).append((t, v))
    rows = agg.query(
        "SELECT s.meter, s.point, r.day_s, r.count, r.bad, r.first_s, r.first_v, r.last_s, "
        "r.last_v, r.min_v, r.max_v, r.integral FROM rollups r "
        "JOIN series s ON s.id = r.series WHERE s.gateway = ?", (gw,))
    want_n = 0
    bad = []
    for key, rs in raw.items():
        ref = g.rollup_reference(rs, key[1] in GAUGES)
        want_n += len(ref)
        for row in rows:
            if (row[0], row[1]) != key:
                continue
            w = ref.get(row[2])
            got = row[3:]
            if w is None or got[:8] != w[:8] or abs(got[8] - w[8]) > 1e-6 * max(1.0, abs(w[8])):
                bad.append((key, row[2], got, w))
    g.ok(len(rows) == want_n and want_n > 0,
         "one rollup per series and day (%d rows, %d expected)" % (len(rows), want_n))
    g.ok(not bad, "every daily rollup equals the one recomputed from raw (%s)" % bad[:2])


def main():
    with g.Procs() as P:
        city = g.City(P)
        key, crt = city.enroll(GW)
        city.start_broker()
        agg = g.Aggregator(city)
        agg.register_unit()
        agg.register_gateway(GW, key, [(m, p, q) for m in ("E1", "E2") for p, q in
                                       (("import_kwh", "elec_import_kwh"),
                                        ("p_total", "elec_power_kw"),
                                        ("v_l1", "elec_voltage_v"))])
        agg.start()
        sim, listeners, _ = P.start_sim({
            "seed": 5, "profiles_dir": g.PROFILES,
            "tcp": [{"id": "t1", "host": "127.0.0.1", "port": 0, "meters": [
                {"id": "E1", "slave": 1, "profile": "eastron-sdm630"},
                {"id": "E2", "slave": 2, "profile": "acrel-adl400"}]}]})
        cfg = agent_config(P, city, key, crt, listeners["t1"])
        agent = P.start([g.AGENT, "run", "--config", cfg, "--log-level", "debug"], "agent.log")
        time.sleep(DURATION_S)
        t_end = int(time.time()) - 1

        def missing():
            held = {(m, t) for m, p, t in agg.readings(GW)}
            return [c for c in g.committed_polls(P, ["agent.log"]) - held if c[1] <= t_end]
        try:
            g.wait_for(lambda: not missing(), 30, "committed polls stored", step=0.5)
        except RuntimeError:
            pass
        lost = missing()
        polls = g.committed_polls(P, ["agent.log"])
        g.ok(len(polls) >= DURATION_S, "the agent committed %d polls" % len(polls))
        g.ok(not lost, "every committed poll is in the store (%d missing: %s)"
             % (len(lost), sorted(lost)[:4]))
        h0 = agg.head(GW)

        def acked():
            con = sqlite3.connect(os.path.join(P.path("data"), "queue.db"), timeout=10)
            try:
                return con.execute("SELECT acked_seq FROM chain").fetchone()[0]
            finally:
                con.close()
        try:
            g.wait_for(lambda: acked() >= h0, 20, "agent acked", step=0.2)
        except RuntimeError:
            pass
        g.ok(acked() >= h0, "the agent's queue is acked up to the head (%d of %d)"
             % (acked(), h0))
        st = agg.query("SELECT state, version FROM gateway_status WHERE gateway = ?", (GW,))
        g.ok(st and st[0][0] == "online" and st[0][1] != "",
             "the gateway's status is kept: %s" % st)
        P.stop(agent)
        # A clean stop publishes "offline" itself; the store follows.
        try:
            g.wait_for(lambda: agg.query("SELECT state FROM gateway_status WHERE gateway = ?",
                                         (GW,))[0][0] == "offline", 15, "offline status")
        except RuntimeError:
            pass
        st = agg.query("SELECT state FROM gateway_status WHERE gateway = ?", (GW,))
        g.ok(st and st[0][0] == "offline", "after the agent stops, its status is offline: %s" % st)

        held = agg.readings(GW)
        sent = stored_batch_readings(agg)
        keys = [(m, p, t) for m, p, t, v in sent]
        g.ok(len(keys) == len(set(keys)), "no reading in two stored batches")
        g.ok(len(held) == len(sent),
             "every stored batch reading is stored once (%d rows, %d in batches)"
             % (len(held), len(sent)))
        wrong = [(k, v) for m, p, t, v in sent for k in [(m, p, t)]
                 if k not in held or held[k][0] != v]
        g.ok(not wrong, "stored values are the batch values (%s)" % wrong[:2])
        c = agg.counts()
        g.ok(c["quarantined_batches"] == 0 and c["quarantined_readings"] == 0,
             "nothing quarantined (%s)" % c)
        g.ok(c["readings"] == len(held) and c["batches"] == agg.head(GW),
             "counts agree with the store: %s, head %d" % (c, agg.head(GW)))
        check_rollups(agg)

        head = agg.head(GW)
        for seq in (1, head):
            r = subprocess.run([g.AGGREGATOR, "verify-batch", "--store", agg.store,
                                "--gateway", GW, "--seq", str(seq)],
                               capture_output=True, text=True)
            g.ok(r.returncode == 0, "verify-batch seq %d: %s%s" % (seq, r.stdout, r.stderr))
        g.ok("batch accepted" in agg.log(), "the aggregator logged accepted batches")
    g.finish("ingest_e2e")


if __name__ == "__main__":
    main()

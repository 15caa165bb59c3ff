"""Issue 3 acceptance, against a real Mosquitto rendered from deploy/ with
mutual TLS and ACLs, real gfi-meter-sim and real gfi-agent; a small
stand-in aggregator (FakeAggregator) receives batches and acks.

 1. a batch signature verifies with the openssl command alone; one byte
    changed does not;
 3. broker stopped during polling, then started: every reading arrives, in
    sequence order, no seq missing; the queue keeps only unacked readings;
 4. kill -9 of the agent during publishing, 10 times: no reading lost, seq and
    hash chain continue without a break;
 5. an ack that never comes: the agent resends from the first unacked batch,
    and keeps nothing longer than needed once acks resume;
 6. status online, then offline (the will) within the keep-alive after a kill.
(2, the broker refusing strangers and cross-gateway publishing, is
test_security_broker.)"""
import base64
import os
import random
import re
import signal
import sqlite3
import subprocess
import time

import gfitest as g

GW = "gw-up-1"
KEEPALIVE_S = 5


def agent_config(P, city, key, crt, port):
    return P.write_json("agent.json", {
        "gateway_id": GW, "data_dir": P.path("data"), "profiles_dir": g.PROFILES,
        "lines": [{"id": "lan", "type": "tcp", "host": "127.0.0.1", "port": port}],
        "meters": [{"id": "E1", "line": "lan", "slave": 1, "profile": "eastron-sdm630",
                    "interval_s": 1},
                   {"id": "E2", "line": "lan", "slave": 2, "profile": "acrel-adl400",
                    "interval_s": 1}],
        "uplink": city.uplink_config(key, crt, batch_readings=40, max_inflight=4,
                                     ack_timeout_s=5, keepalive_s=KEEPALIVE_S,
                                     status_interval_s=5, reconnect_min_ms=200,
                                     reconnect_max_ms=1000)})


def committed(P, logs):
    """(meter, time) of every poll an agent run reported committed."""
    out = set()
    for log in logs:
        for m in re.finditer(r"queued meter=(\S+) time=(\d+)", P.log(log)):
            out.add((m.group(1), int(m.group(2))))
    return out


def held(agg):
    return {(r["meter"], r["time"]) for r in agg.readings(GW)}


def queue_state(db):
    con = sqlite3.connect(db, timeout=10)
    try:
        acked = con.execute("SELECT acked_seq FROM chain").fetchone()[0]
        stale = con.execute("SELECT count(*) FROM readings WHERE batch_seq <= ?",
                            (acked,)).fetchone()[0]
        total = con.execute("SELECT count(*) FROM readings").fetchone()[0]
    finally:
        con.close()
    return acked, stale, total


def check_openssl(P, agg, key):
    payload = agg.batches[(GW, 2)]
    body, sig_b64 = payload.split(b"\n")[:2]
    files = {n: P.path(n) for n in ("b.json", "b.sig", "pub.pem", "bad.json")}
    open(files["b.json"], "wb").write(body)
    open(files["b.sig"], "wb").write(base64.b64decode(sig_b64))
    bad = bytearray(body)
    bad[len(bad) // 2] ^= 0x01
    open(files["bad.json"], "wb").write(bytes(bad))
    g.run_ok(["openssl", "ec", "-in", key, "-pubout", "-out", files["pub.pem"]])

    def verify(path):
        return subprocess.run(["openssl", "dgst", "-sha256", "-verify", files["pub.pem"],
                               "-signature", files["b.sig"], path],
                              capture_output=True).returncode
    g.ok(verify(files["b.json"]) == 0, "openssl alone verifies a batch the agent signed")
    g.ok(verify(files["bad.json"]) != 0, "one byte changed: openssl refuses it")
    # The stored copy in the agent's outbox is the same bytes.
    con = sqlite3.connect(os.path.join(P.path("data"), "queue.db"))
    row = con.execute("SELECT payload FROM batches ORDER BY seq DESC LIMIT 1").fetchone()
    con.close()
    if row is not None:
        seq = int(re.search(rb'"seq":(\d+)', row[0]).group(1))
        g.wait_for(lambda: (GW, seq) in agg.batches, 15, "stored batch delivered")
        g.ok(agg.batches[(GW, seq)] == row[0], "the bytes sent are the bytes stored")


def main():
    rnd = random.Random(int(os.environ.get("GFI_SEED", "77")))
    with g.Procs() as P:
        city = g.City(P)
        key, crt = city.enroll(GW)
        city.start_broker()
        agg = g.FakeAggregator(city)
        agg.start()
        sim, listeners, _ = P.start_sim({
            "seed": 21, "profiles_dir": g.PROFILES,
            "tcp": [{"id": "t1", "host": "127.0.0.1", "port": 0, "meters": [
                {"id": "E1", "slave": 1, "profile": "eastron-sdm630"},
                {"id": "E2", "slave": 2, "profile": "acrel-adl400"}]}]})
        cfg = agent_config(P, city, key, crt, listeners["t1"])
        db = os.path.join(P.path("data"), "queue.db")
        logs = ["agent-0.log"]
        agent = P.start([g.AGENT, "run", "--config", cfg, "--log-level", "debug"], logs[0])

        # 6a: online status.
        g.wait_for(lambda: any(s[2]["state"] == "online" for s in agg.statuses),
                   20, "status online")
        g.ok(True, "status online seen")
        g.wait_for(lambda: agg.contig.get(GW, 0) >= 4, 30, "four batches acked")
        check_openssl(P, agg, key)

        # 3: broker down for a while during polling.
        city.stop_broker()
        time.sleep(6)
        city.start_broker()
        g.wait_for(lambda: agg.client.is_connected(), 20, "aggregator reconnected")
        t_mark = int(time.time())

        def lost_before(t):
            return [c for c in committed(P, logs) - held(agg) if c[1] <= t]
        try:
            g.wait_for(lambda: not lost_before(t_mark), 40, "backlog delivered")
        except RuntimeError:
            pass
        lost = lost_before(t_mark)
        g.ok(not lost, "broker outage: every committed poll arrived (%d missing: %s)"
             % (len(lost), sorted(lost)[:4]))
        with agg.lock:
            seqs = sorted(s for gw, s in agg.batches if gw == GW)
            first = []
            for gw, s in agg.received:
                if s not in first:
                    first.append(s)
        g.ok(seqs == list(range(1, len(seqs) + 1)), "no seq missing (1..%d)" % len(seqs))
        g.ok(first == sorted(first), "batches first arrive in sequence order")
        acked, stale, total = queue_state(db)
        g.ok(stale == 0, "the queue holds no acknowledged reading (%d of %d)" % (stale, total))

        # 5: the ack stalls, then resumes.
        agg.acking = False
        with agg.lock:
            n_before = len(agg.received)
            first_unacked = agg.contig.get(GW, 0) + 1
        time.sleep(9)
        with agg.lock:
            again = [s for gw, s in agg.received[n_before:] if s == first_unacked]
        g.ok(len(again) >= 2, "stalled ack: batch %d sent again (%d times)"
             % (first_unacked, len(again)))
        agg.acking = True
        agg.ack(GW)

        def drained():
            a, st, tot = queue_state(db)
            return st == 0 and tot <= 3 * 64 and a >= first_unacked
        g.wait_for(drained, 30, "queue drained once acks resume")
        g.ok(True, "acks resumed: the queue keeps only the last moments' readings")

        # 4: kill -9 during publishing, 10 times.
        for k in range(10):
            time.sleep(rnd.uniform(0.3, 1.8))
            os.kill(agent.pid, signal.SIGKILL)
            agent.wait()
            log = "agent-%d.log" % (k + 1)
            logs.append(log)
            agent = P.start([g.AGENT, "run", "--config", cfg, "--log-level", "debug"], log)
        t_mark = int(time.time()) + 1
        try:
            g.wait_for(lambda: not lost_before(t_mark) and
                       all((m, t_mark) in held(agg) for m in ("E1", "E2")),
                       40, "readings after the kills delivered")
        except RuntimeError:
            pass
        lost = lost_before(t_mark)
        g.ok(not lost, "10 kills: every committed poll arrived (%d missing: %s)"
             % (len(lost), sorted(lost)[:4]))
        with agg.lock:
            seqs = sorted(s for gw, s in agg.batches if gw == GW)
            errors = list(agg.chain_errors)
        g.ok(seqs == list(range(1, len(seqs) + 1)),
             "sequence continues without a break across kills (1..%d)" % len(seqs))
        g.ok(not errors, "hash chain unbroken across kills (%s)" % errors[:3])
        dup = {}
        for r in agg.readings(GW):
            key3 = (r["meter"], r["point"], r["time"])
            dup[key3] = dup.get(key3, 0) + 1
        twice = [k3 for k3, n in dup.items() if n > 1]
        g.ok(not twice, "no reading in two batches (%d)" % len(twice))

        # 6b: the will: offline within the keep-alive after kill -9.
        # Taken before the kill: the will can arrive before wait() returns.
        t_kill = time.time()
        os.kill(agent.pid, signal.SIGKILL)
        agent.wait()
        g.wait_for(lambda: any(s[0] > t_kill and s[2]["state"] == "offline"
                               for s in agg.statuses), KEEPALIVE_S * 2 + 5, "will")
        t_off = min(s[0] for s in agg.statuses if s[0] > t_kill and s[2]["state"] == "offline")
        g.ok(t_off - t_kill <= KEEPALIVE_S * 1.5 + 1,
             "offline %.1f s after the kill (keep-alive %d s)" % (t_off - t_kill, KEEPALIVE_S))
        agg.stop()
    g.finish("uplink")


if __name__ == "__main__":
    main()

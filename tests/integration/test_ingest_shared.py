"""Issue 4 acceptance 4: two gfi-aggregator instances, each with its own
certificate and CN (both in the broker's ACL: render-broker.sh --aggregator
twice), on one shared subscription group ($share/city/gfi/v1/+/batch) and
one store file, while two real agents send.

Together they store every committed poll, each reading exactly once (the
chain check runs inside BEGIN IMMEDIATE, which serialises the instances);
both took part (each logged accepted batches); nothing is quarantined (a
batch that overtakes its predecessor on the other instance is a recorded
gap, filled by the agent's resend); rollups equal those recomputed from raw;
both exit 0 on SIGTERM."""
import os
import time

import gfitest as g
from test_ingest_e2e import check_rollups, stored_batch_readings

GWS = ("gw-s1", "gw-s2")
POINTS = [("import_kwh", "elec_import_kwh"), ("p_total", "elec_power_kw")]
DURATION_S = int(os.environ.get("GFI_SHARED_SECONDS", "25"))


def agent_config(P, city, gw, key, crt, port):
    return P.write_json(gw + ".json", {
        "gateway_id": gw, "data_dir": P.path("data-" + gw), "profiles_dir": g.PROFILES,
        "lines": [{"id": "lan", "type": "tcp", "host": "127.0.0.1", "port": port}],
        "meters": [{"id": m, "line": "lan", "slave": s, "profile": "acrel-adl400",
                    "interval_s": 1, "points": [p for p, q in POINTS]}
                   for m, s in (("E1", 1), ("E2", 2))],
        "uplink": city.uplink_config(key, crt, batch_readings=8, max_inflight=4,
                                     ack_timeout_s=5, keepalive_s=5, status_interval_s=5,
                                     reconnect_min_ms=200, reconnect_max_ms=1000)})


def main():
    with g.Procs() as P:
        city = g.MultiCity(P, ["agg-1", "agg-2"])
        keys = {gw: city.enroll(gw) for gw in GWS}
        city.start_broker()
        store = P.path("shared.db")
        a1 = g.Aggregator(city, "agg-1", cn="agg-1", store=store, shared_group="city")
        a2 = g.Aggregator(city, "agg-2", cn="agg-2", store=store, shared_group="city")
        a1.register_unit()
        for gw in GWS:
            a1.register_gateway(gw, keys[gw][0], [(m, p, q) for m in ("E1", "E2")
                                                  for p, q in POINTS])
        a1.start()
        a2.start()
        sim, listeners, _ = P.start_sim({
            "seed": 3, "profiles_dir": g.PROFILES,
            "tcp": [{"id": "t1", "host": "127.0.0.1", "port": 0, "meters": [
                {"id": "E1", "slave": 1, "profile": "acrel-adl400"},
                {"id": "E2", "slave": 2, "profile": "acrel-adl400"}]}]})
        logs = {}
        for gw in GWS:
            cfg = agent_config(P, city, gw, keys[gw][0], keys[gw][1], listeners["t1"])
            logs[gw] = gw + ".log"
            P.start([g.AGENT, "run", "--config", cfg, "--log-level", "debug"], logs[gw])
        time.sleep(DURATION_S)
        t_end = int(time.time()) - 1

        def missing(gw):
            held = {(m, t) for m, p, t in a1.readings(gw)}
            return [c for c in g.committed_polls(P, [logs[gw]]) - held if c[1] <= t_end]
        try:
            g.wait_for(lambda: not any(missing(gw) for gw in GWS), 40,
                       "committed polls stored", step=0.5)
        except RuntimeError:
            pass
        for gw in GWS:
            lost = missing(gw)
            g.ok(not lost, "%s: every committed poll stored (%d missing: %s)"
                 % (gw, len(lost), sorted(lost)[:4]))
            held = a1.readings(gw)
            sent = stored_batch_readings(a1, gw)
            keys3 = [(m, p, t) for m, p, t, v in sent]
            g.ok(len(keys3) == len(set(keys3)) and len(held) == len(sent) > 0,
                 "%s: each reading stored once (%d rows, %d in batches)"
                 % (gw, len(held), len(sent)))
            seqs = [s for (s,) in a1.query("SELECT seq FROM batches WHERE gateway = ? "
                                           "ORDER BY seq", (gw,))]
            g.ok(seqs == list(range(1, a1.head(gw) + 1)), "%s: batches 1..head" % gw)
            check_rollups(a1, gw)
        n1 = a1.log().count("batch accepted")
        n2 = a2.log().count("batch accepted")
        g.ok(n1 > 0 and n2 > 0, "both instances took part (%d and %d batches accepted)"
             % (n1, n2))
        c = a1.counts()
        g.ok(c["quarantined_batches"] == 0 and c["quarantined_readings"] == 0,
             "nothing quarantined (%s)" % c)
        print("shared: accepted %d + %d, gaps recorded %d" % (n1, n2, c["gaps"]))
    g.finish("ingest_shared")


if __name__ == "__main__":
    main()

"""Issue 4 acceptance 3: kill -9 of gfi-aggregator during ingest, 10 times at
random moments, while a real agent polls two meters every second and sends.

After the last restart: every poll the agent committed is stored (none
lost), every reading of every stored batch is stored exactly once (none
twice), nothing is quarantined, the chain has no hole (batches 1..head), and
the daily rollups still equal those recomputed from raw (a killed
transaction left no half-applied rollup). GFI_SEED replays the kill times."""
import os
import random
import time

import gfitest as g
from test_ingest_e2e import agent_config, check_rollups, stored_batch_readings

GW = "gw-e2e-1"   # agent_config's gateway


def main():
    seed = int(os.environ.get("GFI_SEED", str(int(time.time()))))
    print("seed %d" % seed)
    rnd = random.Random(seed)
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
            "seed": 9, "profiles_dir": g.PROFILES,
            "tcp": [{"id": "t1", "host": "127.0.0.1", "port": 0, "meters": [
                {"id": "E1", "slave": 1, "profile": "eastron-sdm630"},
                {"id": "E2", "slave": 2, "profile": "acrel-adl400"}]}]})
        cfg = agent_config(P, city, key, crt, listeners["t1"])
        P.start([g.AGENT, "run", "--config", cfg, "--log-level", "debug"], "agent.log")
        g.wait_for(lambda: agg.head(GW) >= 2, 30, "first batches stored", 0.1)
        heads = []
        for k in range(10):
            time.sleep(rnd.uniform(0.2, 2.0))
            agg.kill9()
            heads.append(agg.head(GW))
            time.sleep(rnd.uniform(0.0, 1.0))
            agg.start()
        g.ok(True, "10 kills and restarts, heads %s" % heads)
        t_end = int(time.time())

        def missing():
            held = {(m, t) for m, p, t in agg.readings(GW)}
            return [c for c in g.committed_polls(P, ["agent.log"]) - held if c[1] <= t_end]
        try:
            g.wait_for(lambda: not missing(), 45, "committed polls stored", step=0.5)
        except RuntimeError:
            pass
        lost = missing()
        g.ok(not lost, "no committed poll lost across 10 kills (%d missing: %s)"
             % (len(lost), sorted(lost)[:4]))
        g.ok(heads[-1] <= agg.head(GW) and heads == sorted(heads),
             "the chain head never went back (%s then %d)" % (heads, agg.head(GW)))
        held = agg.readings(GW)
        sent = stored_batch_readings(agg, GW)
        keys = [(m, p, t) for m, p, t, v in sent]
        g.ok(len(keys) == len(set(keys)), "no reading in two stored batches")
        g.ok(len(held) == len(sent), "every stored reading once (%d rows, %d in batches)"
             % (len(held), len(sent)))
        seqs = [s for (s,) in agg.query("SELECT seq FROM batches WHERE gateway = ? "
                                        "ORDER BY seq", (GW,))]
        g.ok(seqs == list(range(1, agg.head(GW) + 1)), "batches 1..head, no hole")
        c = agg.counts()
        g.ok(c["quarantined_batches"] == 0 and c["quarantined_readings"] == 0,
             "nothing quarantined (%s)" % c)
        check_rollups(agg, GW)
    g.finish("ingest_kill9")


if __name__ == "__main__":
    main()

"""Fault suite (issue 7): gfi-aggregator killed with SIGKILL 10 times at
random moments (seeded; GFI_SEED replays), restarted each time, while a real
agent polls two simulated meters every second and sends through the broker.

The agent never stops, so no poll slot may be missing: the store ends with
exactly the readings the simulator says were read, once each, and the counts
agree (FaultRig.check_exact); the chain has no hole (batches 1..head)."""
import os
import random
import time

import gfitest as g

GW = "gw-fault-agg"
KILLS = 10


def main():
    seed = int(os.environ.get("GFI_SEED", str(int(time.time()))))
    print("seed %d" % seed)
    rnd = random.Random(seed)
    with g.Procs() as P:
        rig = g.FaultRig(P, GW)
        rig.agg.start()
        rig.start_agent()
        rig.wait_polls(1)
        t_from = g.poll_runs(P, rig.agent_logs)[0][0]
        g.wait_for(lambda: rig.agg.head(GW) >= 1, 20, "first batch stored", 0.1)
        heads = []
        for k in range(KILLS):
            time.sleep(rnd.uniform(0.2, 1.2))
            rig.agg.kill9()
            heads.append(rig.agg.head(GW))
            time.sleep(rnd.uniform(0.0, 0.5))
            rig.agg.start()
        g.ok(heads == sorted(heads), "10 kills; the chain head never went back (%s)" % heads)
        t_to, lost = rig.stop_agent_and_drain()
        g.ok(not lost, "every committed poll reached the store (%d missing)" % len(lost))
        seqs = [s for (s,) in rig.agg.query("SELECT seq FROM batches WHERE gateway = ? "
                                            "ORDER BY seq", (GW,))]
        g.ok(seqs == list(range(1, rig.agg.head(GW) + 1)), "batches 1..head, no hole")
        rig.check_exact(t_from, t_to)
        rig.close()
    g.finish("faults_aggregator_kill")


if __name__ == "__main__":
    main()

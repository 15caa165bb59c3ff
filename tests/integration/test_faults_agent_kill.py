"""Fault suite (issue 7): gfi-agent killed with SIGKILL 10 times at random
moments (seeded; GFI_SEED replays), restarted each time, while it polls two
simulated meters every second and sends to a real aggregator.

The store must end with exactly the readings the simulator says were read,
once each (FaultRig.check_exact). Poll slots may be missing only inside the
measured dead windows: from the last poll a run committed before its kill to
the first poll the next run committed, and that window must lie within
[kill time - 1 s, restart time + 2 s] (a dead agent reads nothing; a
restarted one takes the next aligned slot)."""
import os
import random
import time

import gfitest as g

GW = "gw-fault-agent"
KILLS = 10


def main():
    seed = int(os.environ.get("GFI_SEED", str(int(time.time()))))
    print("seed %d" % seed)
    rnd = random.Random(seed)
    with g.Procs() as P:
        rig = g.FaultRig(P, GW)
        rig.agg.start()
        kills, starts = [], []
        for k in range(KILLS):
            starts.append(time.time())
            rig.start_agent()
            rig.wait_polls(1)
            time.sleep(rnd.uniform(0.2, 2.0))
            kills.append(time.time())
            rig.kill_agent()
        starts.append(time.time())
        rig.start_agent()
        rig.wait_polls(3)
        t_to, lost = rig.stop_agent_and_drain()
        g.ok(not lost, "every committed poll reached the store (%d missing)" % len(lost))
        runs = g.poll_runs(P, rig.agent_logs)
        g.ok(all(runs), "every run committed polls (%s)" % [len(r) for r in runs])
        dead = []
        held = rig.stored_slots()
        for k in range(KILLS):
            # The last slot stored from run k (a commit may land after its
            # last log line), the first of run k+1.
            lo = max([t for m, t in held if t < runs[k + 1][0]] or [runs[k][-1]])
            hi = runs[k + 1][0]
            dead.append((lo, hi))
            g.check(lo >= int(kills[k]) - 1 and hi <= starts[k + 1] + 2,
                    "dead window %d (%d, %d) within kill %.1f .. restart %.1f"
                    % (k, lo, hi, kills[k], starts[k + 1]))
        g.ok(True, "dead windows %s" % [(lo % 1000, hi % 1000) for lo, hi in dead])
        rig.check_exact(runs[0][0], t_to, dead=dead)
        rig.close()
    g.finish("faults_agent_kill")


if __name__ == "__main__":
    main()

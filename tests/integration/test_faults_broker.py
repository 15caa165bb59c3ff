"""Fault suite (issue 7): the broker (Mosquitto) restarted 5 times during a
run, each time killed with SIGKILL and started again on the same port (it
keeps no persistence: retained acks and statuses are lost with it).

A real agent polls two simulated meters every second through the broker to a
real aggregator. After the restarts: every poll slot of the run window is
stored, each reading once, equal to `gfi-meter-sim truth` at its time, and
`gfi-aggregator counts` agrees (FaultRig.check_exact). GFI_SEED replays the
restart times."""
import os
import random
import signal
import time

import gfitest as g

GW = "gw-fault-broker"
RESTARTS = 5


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
        downs = []
        for k in range(RESTARTS):
            time.sleep(rnd.uniform(0.5, 2.5))
            t0 = time.time()
            P.stop(rig.city.broker, sig=signal.SIGKILL)
            time.sleep(rnd.uniform(0.2, 1.5))
            rig.city.start_broker()
            downs.append(round(time.time() - t0, 2))
        g.ok(len(downs) == RESTARTS, "broker killed and restarted %d times (down %s s)"
             % (RESTARTS, downs))
        time.sleep(2)
        t_to, lost = rig.stop_agent_and_drain()
        g.ok(not lost, "every committed poll reached the store (%d missing)" % len(lost))
        # The aggregator reconnected after each restart by itself.
        g.ok(rig.agg.proc.poll() is None, "the aggregator is still running")
        rig.check_exact(t_from, t_to)
        rig.close()
    g.finish("faults_broker")


if __name__ == "__main__":
    main()

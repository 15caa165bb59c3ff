"""Fault suite (issue 7): the link between agent and broker cut and restored
through a TCP proxy (gfitest.TcpProxy; the agent's uplink points at the
proxy, the aggregator talks to the broker directly).

Two cuts: "refuse" (every connection reset, new ones reset: a route gone)
for 4 s, then "blackhole" (bytes swallowed both ways, new connections never
answered: a silent link, noticed only by the keepalive) for 8 s. The agent
polls all along, so no slot may be missing: after the link is restored the
store ends with exactly the readings the simulator says were read, once each
(FaultRig.check_exact). The agent must have noticed each cut (it logs the
connection lost) and reconnected through the proxy."""
import time

import gfitest as g

GW = "gw-fault-link"


def main():
    with g.Procs() as P:
        rig = g.FaultRig(P, GW, proxy=True)
        rig.agg.start()
        rig.start_agent()
        rig.wait_polls(1)
        t_from = g.poll_runs(P, rig.agent_logs)[0][0]
        g.wait_for(lambda: rig.agg.head(GW) >= 1, 20, "first batch stored", 0.1)
        for mode, secs in (("refuse", 4), ("blackhole", 8)):
            h0 = rig.agg.head(GW)
            rig.proxy.cut(mode)
            time.sleep(secs)
            during = rig.agg.head(GW)
            rig.proxy.restore()
            g.ok(during <= h0 + 1, "%s: nothing crosses the cut link (head %d -> %d)"
                 % (mode, h0, during))
            g.wait_for(lambda: rig.agg.head(GW) > during, 30, "batches after the " + mode, 0.2)
        log = P.log(rig.agent_logs[-1])
        g.ok(log.count("broker connection lost") >= 2,
             "the agent noticed both cuts (%d connection lost)" % log.count("broker connection lost"))
        g.ok(log.count("broker connected") >= 3,
             "and reconnected after each (%d connects)" % log.count("broker connected"))
        t_to, lost = rig.stop_agent_and_drain()
        g.ok(not lost, "every committed poll reached the store (%d missing)" % len(lost))
        rig.check_exact(t_from, t_to)
        rig.close()
    g.finish("faults_link")


if __name__ == "__main__":
    main()

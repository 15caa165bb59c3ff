"""Fault suite on a DL/T 645-2007 line (issue 19, acceptance 4): the
suite's exact check (FaultRig.check_exact: every slot stored once, equal to
the simulator's truth) passes when the meters speak DL/T 645 and every reply
of theirs comes after noise on the line (the simulator's "garbage" fault:
stray 68, 16, FE-like bytes before the frame), so the agent must
resynchronise on every single read.

The rig is the Modbus one (gfitest.FaultRig) with its two meters swapped
for DL/T 645 meters: its simulator and agent configs are rewritten as they
are written (a 645 line, 12-digit addresses instead of slave ids)."""
import gfitest as g

GW = "gw-fault-645"
ADDRESSES = {"E1": "000000000001", "E2": "202600000042"}


def as_dlt645(P):
    """Make P's simulator and agent configs DL/T 645 ones, as FaultRig
    writes them."""
    start_sim, write_json = P.start_sim, P.write_json

    def sim(config, name="sim"):
        for line in config.get("tcp", []):
            line["protocol"] = "dlt645"
            for m in line["meters"]:
                del m["slave"]
                m["address"] = ADDRESSES[m["id"]]
                m["faults"] = [{"kind": "garbage"}]
        return start_sim(config, name)

    def agent(name, obj):
        if name == "agent.json":
            for line in obj["lines"]:
                line["protocol"] = "dlt645"
            for m in obj["meters"]:
                del m["slave"]
                m["address"] = ADDRESSES[m["id"]]
        return write_json(name, obj)
    P.start_sim, P.write_json = sim, agent


def main():
    meters = (("E1", 1, "generic-dlt645"), ("E2", 2, "acrel-adl400-dlt645"))
    with g.Procs() as P:
        as_dlt645(P)
        rig = g.FaultRig(P, GW, meters=meters)
        rig.agg.start()
        rig.start_agent()
        rig.wait_polls(1)
        t_from = g.poll_runs(P, rig.agent_logs)[0][0]
        rig.wait_polls(16, timeout=30)   # eight seconds of both meters
        g.wait_for(lambda: rig.agg.head(GW) >= 3, 30, "three batches stored", 0.2)
        t_to, lost = rig.stop_agent_and_drain()
        g.ok(not lost, "every committed poll reached the store (%d missing)" % len(lost))
        g.ok(t_to - t_from >= 4, "a window of polls to check (%d..%d)" % (t_from, t_to))
        rig.check_exact(t_from, t_to)
        rig.close()
    g.finish("faults_dlt645")


if __name__ == "__main__":
    main()

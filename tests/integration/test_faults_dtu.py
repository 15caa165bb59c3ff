"""Fault suite on DTU lines (issue 20, acceptance 2): two simulated 4G
DTUs dial into one agent port, each with its registration and heartbeats
(which arrive before, between and inside replies), each the link of one
meter's dtu-listen line. DTU A's connection is cut (its TcpProxy resets
it and refuses new ones) and restored: the suite's exact check
(FaultRig.check_exact) passes with A's slots comm-error only during its
outage (it redials and its new connection replaces the old), and DTU B's
line keeps exact 1 s steps throughout. A connection with an unknown
registration is logged and closed.

The rig is the Modbus one (gfitest.FaultRig) with its simulator and agent
configs rewritten as they are written (as test_faults_dlt645 does)."""
import socket
import time

import gfitest as g

GW = "gw-fault-dtu"
REG = {"E1": ("registration", "GFI-DTU-A"), "E2": ("registration_hex", "8001020304")}
BEAT = {"E1": ("heartbeat_hex", "fefe", 700), "E2": ("heartbeat", "HB-B", 400)}


def as_dtus(P, agent_port, proxies):
    """Make P's simulator and agent configs DTU ones, as FaultRig writes
    them: each meter behind its own DTU dialling agent_port through its
    proxy."""
    start_sim, write_json = P.start_sim, P.write_json

    def sim(config, name="sim"):
        meters = [m for line in config.pop("tcp") for m in line["meters"]]
        config["dtu"] = [{"id": "d" + m["id"], "port": proxies[m["id"]].port,
                          REG[m["id"]][0]: REG[m["id"]][1],
                          BEAT[m["id"]][0]: BEAT[m["id"]][1],
                          "heartbeat_ms": BEAT[m["id"]][2], "meters": [m]}
                         for m in meters]
        proc, listeners, cfg = start_sim(config, name)
        listeners["t1"] = agent_port     # FaultRig's tcp line, replaced below
        return proc, listeners, cfg

    def agent(name, obj):
        if name == "agent.json":
            obj["lines"] = [{"id": "d" + m["id"], "type": "dtu-listen",
                             "bind": "127.0.0.1", "port": agent_port,
                             REG[m["id"]][0]: REG[m["id"]][1],
                             BEAT[m["id"]][0]: BEAT[m["id"]][1]}
                            for m in obj["meters"]]
            for m in obj["meters"]:
                m["line"] = "d" + m["id"]
        return write_json(name, obj)
    P.start_sim, P.write_json = sim, agent


def unknown_registration_is_refused(port):
    s = socket.create_connection(("127.0.0.1", port), 5)
    s.sendall(b"WHO-AM-I")
    s.settimeout(8)
    try:
        closed = s.recv(16) == b""
    except ConnectionResetError:
        closed = True
    s.close()
    return closed


def main():
    port = g.free_port()
    with g.Procs() as P:
        proxies = {m: g.TcpProxy(port) for m in ("E1", "E2")}
        as_dtus(P, port, proxies)
        rig = g.FaultRig(P, GW)
        rig.agg.start()
        rig.start_agent()
        log = rig.agent_logs[-1]
        g.wait_for(lambda: P.log(log).count("dtu connected") >= 2, 20,
                   "both DTUs registered", 0.1)
        t_from = int(time.time()) + 2
        time.sleep(5)
        g.ok(unknown_registration_is_refused(port),
             "a connection with an unknown registration is closed")
        g.ok("unknown registration" in P.log(log), "and logged")
        # A poll of the second before may still be under way at the cut.
        t_cut = int(time.time()) - 1
        proxies["E1"].cut("refuse")
        time.sleep(3)
        proxies["E1"].restore()
        t_restore = time.time()
        g.wait_for(lambda: P.log(log).count("dtu connected: line=dE1") >= 2, 15,
                   "DTU A registered again", 0.1)
        t_back = int(time.time()) + 1
        g.ok(t_back - t_restore <= 3, "DTU A back %.1f s after the link" %
             (t_back - t_restore))
        time.sleep(4)
        g.wait_for(lambda: rig.agg.head(GW) >= 3, 30, "batches stored", 0.2)
        t_to, lost = rig.stop_agent_and_drain()
        g.ok(not lost, "every committed poll reached the store (%d missing)" % len(lost))
        held = rig.check_exact(t_from, t_to, outages=[("E1", t_cut, t_back)])
        # (Before t_from the DTUs were still dialling in: comm-error too.)
        comm = sorted({t for (m, p, t), (v, st) in held.items()
                       if m == "E1" and st == 3 and t_from <= t <= t_to})
        g.ok(comm and t_cut <= comm[0] and comm[-1] <= t_back,
             "DTU A's meter read comm-error only during its outage %d..%d (%s)"
             % (t_cut, t_back, comm[:1] + comm[-1:]))
        e2 = [st for (m, p, t), (v, st) in held.items() if m == "E2" and t_from <= t <= t_to]
        g.ok(e2 and set(e2) == {0}, "DTU B's line all ok throughout (%d readings)" % len(e2))
        rig.close()
        for p in proxies.values():
            p.close()
    g.finish("faults_dtu")


if __name__ == "__main__":
    main()

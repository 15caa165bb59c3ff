"""Fault suite on DTU lines (issue 20, acceptance 2): two simulated 4G
DTUs dial into one agent port, each with its registration and heartbeats
(which arrive before, between and inside replies), each the link of one
meter's dtu-listen line; a third meter is on an ordinary Modbus TCP line.
DTU A's connection is cut (its TcpProxy resets it and refuses new ones)
and restored: the suite's exact check (FaultRig.check_exact) passes with
A's slots comm-error only during its outage (it redials and its new
connection replaces the old), while DTU B's line and the TCP line keep
exact 1 s steps throughout. A connection with an unknown registration is
logged and closed.

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
        line = config["tcp"][0]
        meters = [m for m in line["meters"] if m["id"] in REG]
        line["meters"] = [m for m in line["meters"] if m["id"] not in REG]
        config["dtu"] = [{"id": "d" + m["id"], "port": proxies[m["id"]].port,
                          REG[m["id"]][0]: REG[m["id"]][1],
                          BEAT[m["id"]][0]: BEAT[m["id"]][1],
                          "heartbeat_ms": BEAT[m["id"]][2], "meters": [m]}
                         for m in meters]
        return start_sim(config, name)

    def agent(name, obj):
        if name == "agent.json":
            dtus = [m for m in obj["meters"] if m["id"] in REG]
            obj["lines"] += [{"id": "d" + m["id"], "type": "dtu-listen",
                              "bind": "127.0.0.1", "port": agent_port,
                              REG[m["id"]][0]: REG[m["id"]][1],
                              BEAT[m["id"]][0]: BEAT[m["id"]][1]} for m in dtus]
            for m in dtus:
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
        rig = g.FaultRig(P, GW, meters=g.FAULT_METERS + (("E3", 3, "eastron-sdm630"),))
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
        for m, what in (("E2", "DTU B's line"), ("E3", "the Modbus TCP line")):
            st = [s for (pm, p, t), (v, s) in held.items() if pm == m and t_from <= t <= t_to]
            times = sorted({t for (pm, p, t) in held if pm == m and t_from <= t <= t_to})
            g.ok(st and set(st) == {0} and {b - a for a, b in zip(times, times[1:])} == {1},
                 "%s: all ok in exact 1 s steps throughout (%d readings)" % (what, len(st)))
        rig.close()
        for p in proxies.values():
            p.close()
    g.finish("faults_dtu")


if __name__ == "__main__":
    main()

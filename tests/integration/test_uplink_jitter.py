"""Reconnect jitter across a fleet (the MQTT link, common/mqttlink.c): two
real gfi-agent processes started at the same moment, with the same config
but for their names, find no broker (nothing listens on the port) and log
each reconnect they schedule. Each delay lies within its attempt's bounds
(base/2 .. base, base = 100 ms doubling to 1000 ms), and the two agents draw
different sequences: with unseeded rand() they drew the same, so a city's
gateways came back in step after a broker restart. No broker, no PKI: the
certificate paths are never read, the connection is refused first."""
import re

import gfitest as g

DRAWS = 6
MIN_MS, MAX_MS = 100, 1000
LINE = re.compile(r"broker reconnect scheduled: uri=\S+ attempt=(\d+) delay_ms=(\d+)")


def agent_config(P, name, key, broker_port, meter_port):
    return P.write_json(name + ".json", {
        "gateway_id": name, "data_dir": P.path("data-" + name),
        "profiles_dir": g.PROFILES,
        "lines": [{"id": "lan", "type": "tcp", "host": "127.0.0.1", "port": meter_port}],
        "meters": [{"id": "E1", "line": "lan", "slave": 1, "profile": "eastron-sdm630",
                    "interval_s": 5}],
        "uplink": {"host": "127.0.0.1", "port": broker_port,
                   "ca_file": P.path("none-ca.crt"), "cert_file": P.path("none.crt"),
                   "key_file": key, "reconnect_min_ms": MIN_MS,
                   "reconnect_max_ms": MAX_MS}})


def delays(P, log_name):
    """The (attempt, delay_ms) pairs an agent logged, in order."""
    return [(int(a), int(d)) for a, d in LINE.findall(P.log(log_name))]


def bounds(attempt):
    base = min(MIN_MS << (attempt - 1), MAX_MS)
    return base // 2, base // 2 * 2


def main():
    with g.Procs() as P:
        key = P.path("gw.key")
        g.run_ok([g.AGENT, "keygen", "--key", key])
        broker_port, meter_port = g.free_port(), g.free_port()
        names = ["gw-jitter-a", "gw-jitter-b"]
        cfgs = [agent_config(P, n, key, broker_port, meter_port) for n in names]
        for n, cfg in zip(names, cfgs):
            P.start([g.AGENT, "run", "--config", cfg, "--log-level", "info"], n + ".log")
        for n in names:
            g.wait_for(lambda: len(delays(P, n + ".log")) >= DRAWS, 30,
                       "%d reconnects scheduled by %s" % (DRAWS, n), 0.1)
        seqs = [delays(P, n + ".log")[:DRAWS] for n in names]
        for n, seq in zip(names, seqs):
            g.ok([a for a, _ in seq] == list(range(1, DRAWS + 1)),
                 "%s: attempts count up from 1: %s" % (n, seq))
            out = [(a, d) for a, d in seq if not bounds(a)[0] <= d <= bounds(a)[1]]
            g.ok(not out, "%s: every delay within base/2..base (outside: %s)" % (n, out))
        g.ok([d for _, d in seqs[0]] != [d for _, d in seqs[1]],
             "the two agents drew different delays: %s vs %s"
             % ([d for _, d in seqs[0]], [d for _, d in seqs[1]]))
    g.finish("uplink_jitter")


if __name__ == "__main__":
    main()

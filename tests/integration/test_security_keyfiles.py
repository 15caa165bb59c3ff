"""Issue 18, files: a private key that group or others may read (0640,
0644) is refused, with one line naming the field, by gfi-agent
check-config and run and by gfi-aggregator check-config, as OpenSSH and
PostgreSQL refuse one; the files that hold secrets or data — keygen's key,
the agent's queue, the aggregator's store — are created 0600 whatever the
umask (the processes here run with umask 000)."""
import os
import stat
import subprocess

import gfitest as g


def umask0():
    os.umask(0)


def run(args, timeout=60):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                          preexec_fn=umask0)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def lines(text):
    return [l for l in text.splitlines() if l.strip()]


def agent_config(P, name, key, data, uplink=True):
    pids = g.profile_ids()
    prof = "eastron-sdm630" if "eastron-sdm630" in pids else pids[0]
    conf = {
        "gateway_id": "gw-keys", "data_dir": data, "profiles_dir": g.PROFILES,
        "lines": [{"id": "lan", "type": "tcp", "host": "127.0.0.1",
                   "port": g.free_port()}],
        "meters": [{"id": "E1", "line": "lan", "slave": 1, "profile": prof,
                    "interval_s": 1, "timeout_ms": 100}],
        "uplink": {"host": "localhost", "port": g.free_port(),
                   "ca_file": key, "cert_file": key, "key_file": key}}
    if not uplink:
        del conf["uplink"]
    return P.write_json(name, conf)


def check_agent_refuses(P, key, cfg, m):
    os.chmod(key, m)
    r = run([g.AGENT, "check-config", "--config", cfg])
    want = "uplink.key_file: %s: open to group or others (mode %04o)" % (key, m)
    g.ok(r.returncode == 2, "check-config refuses a %04o key (rc=%d)" % (m, r.returncode))
    g.ok(len(lines(r.stderr)) == 1 and r.stderr.startswith(want),
         "check-config says it in one line naming the field: %r" % r.stderr)
    r = run([g.AGENT, "run", "--config", cfg], timeout=20)
    g.ok(r.returncode == 2, "run refuses a %04o key (rc=%d)" % (m, r.returncode))
    g.ok(want in r.stderr, "run logs the same line: %r" % r.stderr[-400:])
    r = run([g.AGENT, "csr", "--key", key, "--cn", "gw-keys", "--out",
             P.path("gw.csr")])
    g.ok(r.returncode != 0 and "open to group or others" in r.stderr,
         "csr does not load a %04o key: %r" % (m, r.stderr))


def check_aggregator_refuses(P, key, m):
    cfg = P.write_json("agg.json", {
        "store": P.path("city.db"),
        "broker": {"host": "localhost", "port": g.free_port(), "ca_file": key,
                   "cert_file": key, "key_file": key},
        "client_id": "gfi-aggregator"})
    os.chmod(key, m)
    r = run([g.AGGREGATOR, "check-config", "--config", cfg])
    want = "broker.key_file: %s: open to group or others (mode %04o)" % (key, m)
    g.ok(r.returncode != 0, "aggregator check-config refuses a %04o key (rc=%d)"
         % (m, r.returncode))
    g.ok(len(lines(r.stderr)) == 1 and r.stderr.startswith(want),
         "aggregator says it in one line naming the field: %r" % r.stderr)
    os.chmod(key, 0o600)
    r = run([g.AGGREGATOR, "check-config", "--config", cfg])
    g.ok(r.returncode == 0, "aggregator check-config takes a 0600 key: %r" % r.stderr)


def main():
    with g.Procs() as P:
        key = P.path("gw.key")
        r = run([g.AGENT, "keygen", "--key", key])
        g.ok(r.returncode == 0, "keygen under umask 000: %r" % r.stderr)
        g.ok(mode(key) == 0o600, "keygen's key is 0600 (%04o)" % mode(key))

        data = P.path("data")
        cfg = agent_config(P, "agent.json", key, data)
        for m in (0o640, 0o644):
            check_agent_refuses(P, key, cfg, m)
            check_aggregator_refuses(P, key, m)
        os.chmod(key, 0o600)
        r = run([g.AGENT, "check-config", "--config", cfg])
        g.ok(r.returncode == 0, "check-config takes the 0600 key: %r" % r.stderr)

        # The queue: run without the uplink, under umask 000.
        cfg2 = agent_config(P, "agent2.json", key, data, uplink=False)
        old = os.umask(0)
        agent = P.start([g.AGENT, "run", "--config", cfg2], "agent.log")
        os.umask(old)
        queue = os.path.join(data, "queue.db")
        g.wait_for(lambda: os.path.exists(queue), 20, "queue.db created")
        P.stop(agent)
        g.ok(mode(queue) == 0o600, "the agent's queue is 0600 (%04o)" % mode(queue))
        g.ok(mode(data) == 0o700, "the agent's data_dir is 0700 (%04o)" % mode(data))

        store = P.path("store.db")
        r = run([g.AGGREGATOR, "admin", "--store", store, "county", "add",
                 "--code", "350102", "--name", "Gulou"])
        g.ok(r.returncode == 0, "admin creates a store: %r" % r.stderr)
        g.ok(mode(store) == 0o600, "the aggregator's store is 0600 (%04o)" % mode(store))
    g.finish("security")


if __name__ == "__main__":
    main()

"""Spot checks never freeze the API (issue 16): GFI_BENCH_SPOT_MINUTES
(default 43200, a month) one-minute signed batches built by
`bench-spotcheck build`, `gfi-aggregator http` serving the store on a free
port of 127.0.0.1, then GFI_BENCH_PAIRS rounds (default 5) of four
concurrent POST /api/v1/spotchecks with a county token while
GET /api/v1/health is timed every 20 ms. Each POST must answer 201 with
the verdict consistent within GFI_BENCH_SPOT_POST_MS (default 1000) and
every health check within GFI_BENCH_SPOT_HEALTH_MS (default 100): the
acceptance limits, for a Release build (the test command's tiny run
loosens them for Debug). Prints the slowest POST, the health checks'
median and maximum, and exits 1 when a limit is missed. The server is
stopped by its PID."""
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import abab
import gfitest

BIN = os.environ.get("GFI_BENCH_SPOT", "bench-spotcheck")
AGG = os.environ.get("GFI_AGGREGATOR", "gfi-aggregator")
T0 = 1735660800            # bench/spotcheck_cost.c


def request(base, path, token=None, body=None):
    """(status, JSON or None, seconds)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data:
        req.add_header("Content-Type", "application/json")
    t = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            raw, st = r.read(), r.status
    except urllib.error.HTTPError as e:
        raw, st = e.read(), e.code
    return st, (json.loads(raw) if raw else None), time.monotonic() - t


def one_round(base, token, minutes, rnd):
    """Four concurrent POSTs at four instants, health timed meanwhile."""
    posts, health, stop = [], [], threading.Event()

    def poll():
        while not stop.is_set():
            st, _, s = request(base, "/api/v1/health")
            health.append((st, s))
            time.sleep(0.02)

    def post(k):
        i = (minutes - 2) * (4 * rnd + k + 1) // (4 * abab.pairs() + 1)
        body = {"gateway": "gw-bench", "meter": "E1", "point": "kwh",
                "at": T0 + i * 60 + 30, "reading": 1000 + 25 * i + 12.5}
        posts.append(request(base, "/api/v1/spotchecks", token, body))

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.1)
    workers = [threading.Thread(target=post, args=(k,)) for k in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    time.sleep(0.1)
    stop.set()
    poller.join()
    return posts, health


def serve_and_ask(P, store, token, minutes):
    """gfi-aggregator http on the store, then the rounds: (posts, health,
    load)."""
    port = gfitest.free_port()
    cfg = P.write_json("agg.json", {"store": store, "log_level": "warning",
                                    "http": {"bind": "127.0.0.1", "port": port}})
    P.start([AGG, "http", "--config", cfg], "http.log")
    base = "http://127.0.0.1:%d" % port

    def up():
        try:
            return request(base, "/api/v1/health")[0] == 200
        except OSError:
            return False
    gfitest.wait_for(up, 30, "aggregator http up")
    load = abab.Load()
    posts, health = [], []
    for rnd in range(abab.pairs()):
        p, h = one_round(base, token, minutes, rnd)
        print("round %d: POSTs %s ms, %d health checks, max %.1f ms"
              % (rnd, ["%.1f" % (s * 1000) for _, _, s in p], len(h),
                 max(s for _, s in h) * 1000), flush=True)
        posts += p
        health += h
    return posts, health, load.end()


def main():
    minutes = int(os.environ.get("GFI_BENCH_SPOT_MINUTES", "43200"))
    post_ms = float(os.environ.get("GFI_BENCH_SPOT_POST_MS", "1000"))
    health_ms = float(os.environ.get("GFI_BENCH_SPOT_HEALTH_MS", "100"))
    with tempfile.TemporaryDirectory(prefix="gfi-bench-spotc-") as tmp:
        store, key = os.path.join(tmp, "month.db"), os.path.join(tmp, "gw.key")
        r = gfitest.run_ok([BIN, "build", store, str(minutes), key], timeout=7200)
        print("built: " + r.strip(), flush=True)
        token = gfitest.run_ok([AGG, "token", "add", "--store", store, "--role", "county",
                                "--scope", "350102", "--name", "gulou"]).strip()
        # The server's directory is made only now, after the long build.
        with gfitest.Procs() as P:
            posts, health, load = serve_and_ask(P, store, token, minutes)
    bad = [(st, d) for st, d, _ in posts if st != 201 or d.get("verdict") != "consistent"]
    slowest = max(s for _, _, s in posts) * 1000
    hs = [s * 1000 for st, s in health if st == 200]
    print("%d spot checks on %d batches, 4 at a time:" % (len(posts), minutes))
    print("  slowest POST %8.1f ms (limit %g)" % (slowest, post_ms))
    print("  health       %8.1f ms median, %.1f ms max over %d checks (limit %g)"
          % (statistics.median(hs), max(hs), len(hs), health_ms))
    print("  " + load.line())
    if bad or len(hs) != len(health) or slowest > post_ms or max(hs) > health_ms:
        print("FAILED: %d bad answers %s, %d health failures"
              % (len(bad), bad[:2], len(health) - len(hs)))
        sys.exit(1)


if __name__ == "__main__":
    main()

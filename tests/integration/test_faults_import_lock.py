"""Fault suite (issue 18): an import never takes the store from other
writers for longer than it must.

1. `import --dry-run` of 300,000 rows takes no write lock: while it runs,
   `admin` writes (a county added, one after another) each finish within
   1 s. Before issue 18 the dry run checked inside a write transaction and
   an admin write waited for it.
2. A store another writer holds past the busy timeout: `import` says "store
   busy", tries again by itself and imports once the writer is gone (exit
   0); a write through the HTTP API meanwhile answers 503 with Retry-After.
   Before issue 18 the import failed with exit 1 and the API with 500."""
import json
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.request

import gfitest as g
from test_import import build_registry

ROWS = 300000
T0 = 1704038400          # 2024-01-01 00:00 Asia/Shanghai


def write_csv(path, rows, start=T0):
    with open(path, "w") as f:
        f.write("gateway,meter,point,time,value\n")
        for i in range(rows):
            f.write("gw-a,E1,kwh,%d,%d.5\n" % (start + 60 * i, i))


def admin_ms(store, code):
    t = time.monotonic()
    g.run_ok([g.AGGREGATOR, "admin", "--store", store, "county", "add", "--code",
              code, "--name", "County %s" % code])
    return time.monotonic() - t


def api(port, path, token=None, body=None):
    """(status, headers) of a GET, or of a POST of body."""
    h = {"Authorization": "Bearer " + token} if token else {}
    data = json.dumps(body).encode() if body is not None else None
    if data:
        h["Content-Type"] = "application/json"
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data,
                                 headers=h, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers)
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers)
    except OSError:
        return 0, {}


def main():
    with g.Procs() as P:
        store = P.path("city.db")
        build_registry(P.path(""), store)
        big = P.path("big.csv")
        write_csv(big, ROWS)

        imp = subprocess.Popen([g.AGGREGATOR, "import", "--store", store, "--csv", big,
                                "--by", "Zhang", "--dry-run"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        waits, code = [], 360000
        while imp.poll() is None:
            code += 1
            waits.append(admin_ms(store, str(code)))
        out, err = imp.communicate()
        g.ok(imp.returncode == 0 and out.startswith("dry run: would import %d" % ROWS),
             "the dry run checked every row (%r %r)" % (out.strip(), err.strip()))
        g.ok(len(waits) >= 3 and max(waits) < 1.0,
             "admin writes during the dry run each done within 1 s (%d writes, "
             "slowest %.2f s)" % (len(waits), max(waits) if waits else -1))
        n = sqlite3.connect(store).execute("SELECT count(*) FROM readings").fetchone()[0]
        g.ok(n == 0, "the dry run stored nothing (%d readings)" % n)

        # Another writer holds the store for 12 s (past the 10 s busy timeout).
        small = P.path("small.csv")
        write_csv(small, 100)
        held = threading.Event()

        def hold():
            con = sqlite3.connect(store, isolation_level=None)
            con.execute("BEGIN IMMEDIATE")
            held.set()
            time.sleep(12)
            con.execute("ROLLBACK")
            con.close()
        port = g.free_port()
        # The default head_timeout_s (10 s) equals the store's busy
        # timeout: the deadline stops once the request is in, so the 503
        # made after the full busy wait still reaches the client.
        cfg = P.write_json("http.json", {"store": store, "http": {
            "bind": "127.0.0.1", "port": port}})
        token = g.run_ok([g.AGGREGATOR, "token", "add", "--store", store, "--role", "city",
                          "--name", "ops"]).strip()
        P.start([g.AGGREGATOR, "http", "--config", cfg], "http.log")
        g.wait_for(lambda: api(port, "/api/v1/health")[0] == 200, 20, "http up")
        t = threading.Thread(target=hold)
        t.start()
        held.wait(5)
        imp = subprocess.Popen([g.AGGREGATOR, "import", "--store", store, "--csv", small,
                                "--by", "Zhang"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        st, headers = api(port, "/api/v1/spotchecks", token, {
            "gateway": "gw-a", "meter": "E1", "point": "kwh", "at": "2025-01-02 12:30",
            "reading": 100.0})
        g.ok(st == 503 and headers.get("Retry-After") == "1",
             "a write to the busy store through the API: 503 with Retry-After "
             "(%d, %r)" % (st, headers.get("Retry-After")))
        out, err = imp.communicate(timeout=120)
        r = subprocess.CompletedProcess(imp.args, imp.returncode, out, err)
        t.join()
        g.ok(r.returncode == 0 and "store busy: trying again" in r.stderr and
             r.stdout.startswith("imported 100 readings"),
             "a busy store is tried again, then imported (exit %d, %r, %r)"
             % (r.returncode, r.stdout.strip(), r.stderr.strip()[:200]))
    g.finish("faults_import_lock")


if __name__ == "__main__":
    main()

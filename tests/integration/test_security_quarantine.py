"""Issue 18, the bounded quarantine: no gateway can fill the city's disk.

A real broker and gfi-aggregator; gw-f, a registered gateway with its own
valid certificate, publishes 10,000 refused batches (each distinct, with a
signature that does not verify, 2 kB each: 20 MB if all were kept) straight
to the broker, while the innocent gw-b sends good batches. Checks:
  - the store grows by at most gw-f's cap (rows, bytes; the logical size of
    the database, page_count * page_size, within the byte cap plus slack),
    each kept payload only as its unauthenticated prefix;
  - every good batch of gw-b is stored within 2 s of its publish;
  - the flood beyond the budget is counted as throttled, the alert
    quarantine_spike is open for gw-f, a repeated payload is one row;
  - `quarantine list --json` shows it, `quarantine purge --all` clears it.
Before issue 18 every refused payload was kept whole: 20 MB, and gw-b waited
behind 10,000 verifications."""
import base64
import json
import os
import subprocess
import threading
import time

import gfitest as g
import issue18

FLOOD = 10000
CAP_ROWS, CAP_BYTES, PREFIX = 40, 65536, 256


def store_bytes(agg):
    (pc,), = agg.query("PRAGMA page_count")
    (ps,), = agg.query("PRAGMA page_size")
    return pc * ps


def flood(F, sent):
    """FLOOD distinct batches of gw-f that do not verify, queued at once."""
    junk = "x" * 1800
    for i in range(FLOOD):
        body = ('{"v":1,"gateway":"gw-f","seq":%d,"prev":"%s","sent":%d,"readings":[],'
                '"pad":"%s"}' % (i + 1, "0" * 64, int(time.time()), junk)).encode()
        F.client.publish("gfi/v1/gw-f/batch",
                         body + b"\n" + base64.b64encode(os.urandom(70)) + b"\n", qos=1)
        sent[0] = i + 1


def main():
    with g.Procs() as P:
        agg, gws = issue18.city_with(
            P, ("gw-f", "gw-b"), [("E1", "import_kwh", "elec_import_kwh")],
            {"max_rows": CAP_ROWS, "max_bytes": CAP_BYTES, "prefix_bytes": PREFIX,
             "refused_per_min": 60, "refused_burst": 20})
        F, B = gws["gw-f"], gws["gw-b"]
        B.publish(B.next_good())
        g.wait_for(lambda: agg.head("gw-b") == 1, 15, "first good batch")
        size0 = store_bytes(agg)

        # A repeated refused payload is one row however often it comes.
        same = b"not a batch, sent three times\n"
        for _ in range(3):
            F.publish(same)
        g.wait_for(lambda: agg.counts()["quarantined_batches"] >= 3, 15, "repeats held")
        rows = agg.query("SELECT repeats FROM quarantine WHERE gateway = 'gw-f'")
        g.ok(rows == [(3,)], "a payload sent 3 times is one row with repeats 3 (%r)" % rows)

        sent = [0]
        t = threading.Thread(target=flood, args=(F, sent))
        t.start()
        waits = []
        while t.is_alive() or len(waits) < 5:
            time.sleep(0.3)
            waits.append(issue18.store_time(agg, B, 10))
        t.join()
        g.ok(sent[0] == FLOOD, "the flood was published (%d)" % sent[0])
        print("good batches during the flood: %d, slowest stored after %.2f s"
              % (len(waits), max(waits)), flush=True)
        g.ok(max(waits) <= 2.0, "every good batch of gw-b stored within 2 s during "
             "the flood (%d batches, slowest %.2f s)" % (len(waits), max(waits)))

        # Let the broker deliver the rest of the flood, then look.
        def drained():
            rows = agg.query("SELECT throttled + over_cap FROM quarantine_refused "
                             "WHERE gateway = 'gw-f'")
            held = agg.counts()["quarantined_batches"]
            return rows and rows[0][0] + held >= FLOOD + 3
        g.wait_for(drained, 120, "the flood counted")
        n, nbytes, longest = agg.query(
            "SELECT count(*), coalesce(sum(length(payload) + length(topic) + "
            "length(reason)), 0), coalesce(max(length(payload)), 0) FROM quarantine "
            "WHERE gateway = 'gw-f'")[0]
        g.ok(n <= CAP_ROWS and nbytes <= CAP_BYTES,
             "gw-f's quarantine within its cap: %d rows <= %d, %d bytes <= %d"
             % (n, CAP_ROWS, nbytes, CAP_BYTES))
        g.ok(longest <= PREFIX, "unauthenticated payloads kept as a prefix "
             "(longest %d <= %d)" % (longest, PREFIX))
        grown = store_bytes(agg) - size0
        print("gw-f kept %d rows, %d bytes; store grew %d bytes" % (n, nbytes, grown),
              flush=True)
        g.ok(grown <= 2 * CAP_BYTES + 131072, "the store grew by %d bytes (cap %d; "
             "the flood was %d bytes)" % (grown, CAP_BYTES, FLOOD * 2000))
        alerts = agg.query("SELECT subject FROM alerts WHERE rule = 'quarantine_spike' "
                           "AND state = 'open'")
        g.ok(alerts == [("gw-f",)], "alert quarantine_spike open for gw-f (%r)" % alerts)
        listed = json.loads(g.run_ok([g.AGGREGATOR, "quarantine", "list", "--store",
                                      agg.store, "--json", "--gateway", "gw-f"]))
        g.ok(len(listed) == 1 and listed[0]["rows"] == n and
             listed[0]["throttled"] >= FLOOD - 2 * CAP_ROWS - 200,
             "quarantine list shows gw-f's rows and throttled count (%r)" % listed)
        out = g.run_ok([g.AGGREGATOR, "quarantine", "purge", "--store", agg.store,
                        "--gateway", "gw-f", "--all"])
        left = agg.query("SELECT count(*) FROM quarantine WHERE gateway = 'gw-f'")[0][0]
        g.ok(out.startswith("purged: rows=%d" % n) and left == 0,
             "quarantine purge --all cleared gw-f (%r, %d left)" % (out, left))
        # The section's keys are checked, each error naming its field.
        for q, want in (({"max_rows": 0}, "quarantine.max_rows: 0 out of range"),
                        ({"prefix_bytes": 70000}, "quarantine.prefix_bytes: 70000 out"),
                        ({"max_rowz": 5}, "quarantine.max_rowz: unknown key")):
            with open(agg.config) as f:
                cfg = json.load(f)
            cfg["quarantine"] = q
            bad = P.write_json("bad.json", cfg)
            r = subprocess.run([g.AGGREGATOR, "check-config", "--config", bad],
                               capture_output=True, text=True)
            g.ok(r.returncode != 0 and r.stderr.startswith(want),
                 "config %r refused naming the field (%r)" % (q, r.stderr.strip()))
        F.close()
        B.close()
    g.finish("security_quarantine")


if __name__ == "__main__":
    main()

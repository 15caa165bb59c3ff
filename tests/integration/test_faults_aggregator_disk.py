"""Fault suite (issue 18): the city store's disk full.

How the full disk is made: a file-size limit (RLIMIT_FSIZE, set on the
running gfi-aggregator with prlimit) a little above its WAL's size, so the
next commits fail with EFBIG as they would with ENOSPC (the aggregator
ignores SIGXFSZ). A hand-made gateway (test_ingest_reject.Gateway, which
never resends) publishes N good batches. Expected: the aggregator stops
acking (the last ack is below N), logs "store full" once (not once per
retry), keeps answering reads, and when the limit is lifted it stores
every batch by itself: head N, the last ack N, every reading sent stored.
Before issue 18 the failed groups were rolled back and forgotten: a
gateway that did not resend lost them."""
import os
import resource
import time

import gfitest as g
import issue18

GW = "gw-d"
N = 40


def main():
    with g.Procs() as P:
        agg, gws = issue18.city_with(P, (GW,), [("E1", "import_kwh", "elec_import_kwh")])
        proc, gw = agg.proc, gws[GW]
        gw.publish(gw.next_good())
        g.wait_for(lambda: agg.head(GW) == 1, 15, "first batch stored")
        wal = os.path.getsize(agg.store + "-wal")
        limit = wal + 48 * 1024
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
        sent = {}
        t0 = int(time.time()) - 3000
        for i in range(2, N + 1):
            rs = gw.readings(t0 + 10 * i, 3)
            for m, p, q, t, v in rs:
                sent[(m, p, t)] = float(v)
            gw.publish(gw.next_good(rs))
        g.wait_for(lambda: "store full" in agg.log(), 30, "store full logged")
        time.sleep(3)
        head_full = agg.head(GW)
        with gw.lock:
            acked = max(gw.acks) if gw.acks else 0
        g.ok(head_full < N and acked < N,
             "while full: not every batch stored or acked (head %d, ack %d, sent %d)"
             % (head_full, acked, N))
        g.ok(agg.counts()["batches"] == head_full, "while full the store still reads")
        full_lines = agg.log().count("store full: ingest paused")
        g.ok(full_lines == 1, "store full logged once, not per retry (%d)" % full_lines)
        g.ok(proc.poll() is None, "the aggregator keeps running")
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE,
                         (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        g.wait_for(lambda: agg.head(GW) == N, 30, "every batch stored after the disk came back")
        g.wait_for(lambda: gw.acks and gw.acks[-1] == N, 15, "ack of the last batch")
        got = agg.readings(GW)
        lost = [k for k in sent if k not in got or got[k][0] != sent[k]]
        g.ok(not lost, "nothing lost: %d readings sent while full all stored (%d missing)"
             % (len(sent), len(lost)))
        g.ok("store writable again: ingest resumed" in agg.log(),
             "the aggregator says it resumed")
        gw.close()
    g.finish("faults_aggregator_disk")


if __name__ == "__main__":
    main()

"""Ingest security end to end (issue 7): with a real broker (deploy/) and a
real gfi-aggregator on its store, every way to push readings in that should
fail does fail, and nothing stored changes.

test_security_broker.py checks the broker's refusals at a stand-in
subscriber; this test sends each attack with a payload that would be
stored if it got through (a correctly signed batch of a registered
gateway), and checks the aggregator's store:
  (a) plaintext MQTT to the TLS port;
  (b) a client certificate from a foreign CA, CN gw-a;
  (c) gw-r's certificate after `pki.sh revoke` and a broker reload;
  (d) gw-a publishing gw-b's batch on gw-b's topic (the broker ACL drops it);
  (e) with the broker ACL opened to everyone (a misconfigured broker), gw-a
      on gw-b's topic: a payload naming gw-a (topic mismatch) and gw-b's
      name on a batch signed with gw-a's key (signature) are quarantined;
  (f) a forged signature: gw-a's batch signed with a key not registered;
  (g) a replay of a stored batch, also relayed by another gateway.
(a)-(d) never reach the aggregator: after each, a malformed marker on gw-a's
topic is quarantined, and then the store equals its snapshot from before
except for that one marker row. (e)-(f) leave exactly one quarantine row
with the reason; (g) leaves the store as it was. After all, a good batch
from each gateway is still stored (the aggregator kept running).
"""
import os
import shutil
import signal
import subprocess
import time

from gfitest import security as gfisec
import gfitest as g
import test_ingest_reject as R

VOLATILE = ("gateway_status",)   # status messages, not readings


def snap(agg, quarantine=True):
    skip = VOLATILE + (() if quarantine else ("quarantine",))
    return gfisec.snapshot(agg.store, skip)


def quarantine_rows(agg):
    return agg.query("SELECT id, gateway, reason FROM quarantine ORDER BY id")


def pub(city, args, payload_file, topic):
    """mosquitto_pub with the given connection args; (rc, output)."""
    r = subprocess.run(["mosquitto_pub", "-p", str(city.port), "-t", topic, "-f",
                        payload_file, "-q", "1"] + args,
                       capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
    return r.returncode, (r.stdout + r.stderr).decode(errors="replace")


def main():
    started = time.monotonic()
    with g.Procs() as P:
        city = g.City(P)
        key_a, crt_a = city.enroll("gw-a")
        key_b, crt_b = city.enroll("gw-b")
        key_r, crt_r = city.enroll("gw-r")
        # A foreign CA and a certificate claiming to be gw-a.
        foreign = P.path("foreign-ca")
        g.run_ok(["bash", g.PKI_SH, "init-ca", "--dir", foreign, "--days", "30"])
        g.run_ok(["bash", g.PKI_SH, "client", "--dir", foreign, "--cn", "gw-a"])
        fcrt = os.path.join(foreign, "clients", "gw-a.crt")
        fkey = os.path.join(foreign, "clients", "gw-a.key")
        stray = P.path("stray.key")
        g.run_ok([g.AGENT, "keygen", "--key", stray])
        city.start_broker()
        agg = g.Aggregator(city)
        agg.register_unit()
        pts = [("E1", "import_kwh", "elec_import_kwh")]
        for gw, key in (("gw-a", key_a), ("gw-b", key_b), ("gw-r", key_r)):
            agg.register_gateway(gw, key, pts)
        agg.start()
        A = R.Gateway(P, city, "gw-a", key_a, crt_a)
        B = R.Gateway(P, city, "gw-b", key_b, crt_b)

        def stored(gw, seq):
            g.wait_for(lambda: agg.head(gw.gw) >= seq, 15, "%s seq %d stored" % (gw.gw, seq),
                       0.05)

        # Something held for each gateway first, so a change would show.
        for gw in (A, B):
            gw.publish(gw.next_good())
            stored(gw, gw.seq)
        marker_n = [0]

        def unreached(what, attempt):
            """attempt() must not reach the store: the marker after it is the
            only change."""
            before = snap(agg, quarantine=False)
            q0 = quarantine_rows(agg)
            result = attempt()
            marker_n[0] += 1
            A.publish(b"marker %d\n" % marker_n[0])
            g.wait_for(lambda: len(quarantine_rows(agg)) > len(q0), 15, "marker quarantined",
                       0.05)
            time.sleep(0.2)   # anything sent before the marker is in by now
            q1 = quarantine_rows(agg)
            new = q1[len(q0):]
            g.ok(len(new) == 1 and new[0][2].startswith("parse:"),
                 "%s: only the marker reached the aggregator (new quarantine %r)" % (what, new))
            d = gfisec.diff(before, snap(agg, quarantine=False))
            g.ok(d == {}, "%s: nothing stored changed %s" % (what, gfisec.short(d)))
            return result

        def quarantined(what, send, reason, gateway):
            before = snap(agg, quarantine=False)
            q0 = quarantine_rows(agg)
            send()
            try:
                g.wait_for(lambda: len(quarantine_rows(agg)) > len(q0), 15,
                           what + " quarantined", 0.05)
            except RuntimeError:
                pass
            time.sleep(0.1)
            new = quarantine_rows(agg)[len(q0):]
            g.ok(len(new) == 1 and new[0][2].startswith(reason) and new[0][1] == gateway,
                 "%s: one quarantine row, %r for %s (got %r)" % (what, reason, gateway, new))
            d = gfisec.diff(before, snap(agg, quarantine=False))
            g.ok(d == {}, "%s: nothing else stored changed %s" % (what, gfisec.short(d)))

        def good_file(gw, name):
            """gw's next batch, correctly signed, in a file; not yet sent."""
            gw.seq += 1
            body = gw.body(gw.seq, gw.prev, gw.readings(int(time.time()) - 30))
            gw.seq -= 1    # only a batch that is stored moves the chain
            path = P.path(name)
            with open(path, "wb") as f:
                f.write(gw.sign(body))
            return path

        tls = ["-h", "localhost", "--cafile", city.cafile]

        # (a) plaintext, (b) foreign CA: each with a batch gw-a really signed.
        f = good_file(A, "a-next.payload")
        rc, out = unreached("(a) plaintext client", lambda: pub(
            city, ["-h", "127.0.0.1"], f, "gfi/v1/gw-a/batch"))
        g.ok(rc not in (0, None), "(a) plaintext client refused (rc=%s %s)" % (rc, out.strip()))
        rc, out = unreached("(b) foreign CA", lambda: pub(
            city, tls + ["--cert", fcrt, "--key", fkey], f, "gfi/v1/gw-a/batch"))
        g.ok(rc not in (0, None), "(b) foreign CA's gw-a refused (rc=%s %s)" % (rc, out.strip()))

        # (c) gw-r works, is revoked, then its next good batch is refused.
        Rg = R.Gateway(P, city, "gw-r", key_r, crt_r)
        Rg.publish(Rg.next_good())
        stored(Rg, 1)
        Rg.close()
        g.run_ok(["bash", g.PKI_SH, "revoke", "--dir", city.ca, "--cert", crt_r,
                  "--reason", "keyCompromise"])
        log = "mosquitto-%d.log" % city.starts
        n = P.log(log).count("Reloading config")
        os.kill(city.broker.pid, signal.SIGHUP)
        g.wait_for(lambda: P.log(log).count("Reloading config") > n, 10, "broker reload")
        fr = good_file(Rg, "r-next.payload")
        rc, out = unreached("(c) revoked gw-r", lambda: pub(
            city, tls + ["--cert", crt_r, "--key", key_r], fr, "gfi/v1/gw-r/batch"))
        g.ok(rc not in (0, None), "(c) revoked gw-r refused (rc=%s %s)" % (rc, out.strip()))
        g.ok(agg.head("gw-r") == 1, "(c) gw-r's head stays 1 (%d)" % agg.head("gw-r"))

        # (d) gw-a sends gw-b's next batch (correctly signed by gw-b) on gw-b's
        # topic: the ACL drops it (MQTT 3.1.1 still gives gw-a its PUBACK).
        fb = good_file(B, "b-next.payload")
        with open(fb, "rb") as fh:
            b_next = fh.read()
        unreached("(d) gw-a publishing on gw-b's topic",
                  lambda: A.publish(b_next, "gfi/v1/gw-b/batch"))
        g.ok(agg.head("gw-b") == B.seq, "(d) gw-b's head unchanged (%d)" % agg.head("gw-b"))

        # (e) a broker whose ACL lets anyone write anything.
        acl = os.path.join(city.broker_dir, "acl")
        shutil.copyfile(acl, acl + ".orig")
        with open(acl, "a") as fh:
            fh.write("\n# test: misconfigured\npattern write gfi/v1/+/batch\n")
        n = P.log(log).count("Reloading config")
        os.kill(city.broker.pid, signal.SIGHUP)
        g.wait_for(lambda: P.log(log).count("Reloading config") > n, 10, "broker reload")
        body = A.body(A.seq + 1, A.prev, A.readings(int(time.time()) - 20))
        quarantined("(e) gw-a's own batch on gw-b's topic",
                    lambda: A.publish(A.sign(body), "gfi/v1/gw-b/batch"), "topic:", "gw-a")
        body = B.body(B.seq + 1, B.prev, B.readings(int(time.time()) - 20))
        quarantined("(e) a batch naming gw-b signed with gw-a's key, on gw-b's topic",
                    lambda: A.publish(A.sign(body, key=key_a), "gfi/v1/gw-b/batch"),
                    "signature:", "gw-b")
        shutil.copyfile(acl + ".orig", acl)
        n = P.log(log).count("Reloading config")
        os.kill(city.broker.pid, signal.SIGHUP)
        g.wait_for(lambda: P.log(log).count("Reloading config") > n, 10, "broker reload")

        # (f) forged: gw-a's next batch signed with a key nobody registered.
        body = A.body(A.seq + 1, A.prev, A.readings(int(time.time()) - 10))
        quarantined("(f) forged signature", lambda: A.publish(A.sign(body, key=stray)),
                    "signature:", "gw-a")

        # (g) replay of gw-a's last stored batch; and of gw-b's, relayed by
        # gw-a (only possible with the ACL open, but then harmless too).
        last = A.next_good()
        A.publish(last)
        stored(A, A.seq)
        before = snap(agg)
        held = agg.log().count("batch already held")
        A.publish(last)
        g.wait_for(lambda: agg.log().count("batch already held") > held, 15, "replay noticed")
        d = gfisec.diff(before, snap(agg))
        g.ok(d == {}, "(g) replay: nothing stored changed, nothing quarantined %s"
             % gfisec.short(d))

        # Still working: the next good batch of gw-a and gw-b is stored.
        for gw in (A, B):
            gw.publish(gw.next_good())
            try:
                stored(gw, gw.seq)
            except RuntimeError:
                pass
            g.ok(agg.head(gw.gw) == gw.seq, "afterwards %s's good batch is stored (head %d)"
                 % (gw.gw, agg.head(gw.gw)))
        print("ran in %.1fs" % (time.monotonic() - started))
        A.close()
        B.close()
    g.finish("security_ingest")


if __name__ == "__main__":
    main()

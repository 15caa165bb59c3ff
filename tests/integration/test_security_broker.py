#!/usr/bin/env python3
"""Broker security: the city's Mosquitto, configured from deploy/, refuses
everyone it should and lets each gateway speak only under its own id.

What it does: builds a fresh PKI with deploy/pki.sh (city CA, broker cert for
localhost/127.0.0.1, gateways gw-a and gw-b from keys and CSRs made apart from
the CA as a gateway would, the aggregator's client cert, and a foreign CA with a
cert that claims to be gw-a), renders deploy/mosquitto.conf.in and deploy/acl.in
with a free port, runs mosquitto in the foreground, and checks with the real
mosquitto_pub/mosquitto_sub clients:
  (a) no plaintext access; no TLS access without a client cert; the broker
      opens no port but the TLS one
  (b) a cert from a foreign CA is refused, even with a valid-looking CN
  (c) gw-b works, then after `pki.sh revoke` + SIGHUP it is refused
  (d) gw-a's own batch reaches the aggregator
  (e) gw-a publishing as gw-b never reaches the aggregator (checked at the
      subscriber: MQTT 3.1.1 gives the publisher a PUBACK anyway), and an
      MQTT 5 publisher is told "not authorized"
  (f) gw-a cannot read gw-b's retained ack, even through wildcards, while its
      own ack is readable
plus: pki.sh refuses a gateway CSR claiming the aggregator's name or a bad id;
the broker's own cert (serverAuth only) is refused as a client cert; a user
name in CONNECT does not override the cert's CN; the aggregator's shared
subscription ($share/...) works under the plain ACL lines while a gateway's
plain or shared subscription to batches gets nothing.
Every undesired message carries a unique payload; a marker published last on
an allowed topic tells the subscriber that delivery has finished.

Only 127.0.0.1; servers are stopped by PID, also on failure. stdlib only.
"""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

NAME = "broker_security"
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("GFI_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
PKI = os.path.join(SOURCE, "deploy", "pki.sh")
RENDER = os.path.join(SOURCE, "deploy", "render-broker.sh")
HOST = "localhost"          # must match the broker cert's SAN
CMD_TIMEOUT_S = 15          # bound on any one client command

passed = 0
failed = []
running = []                # background subscribers, stopped by PID at the end


def check(cond, what, detail=""):
    """One assertion: counted, printed on failure with the values seen."""
    global passed
    if cond:
        passed += 1
        print("ok: " + what, flush=True)
    else:
        failed.append(what)
        print("FAIL: %s%s" % (what, (" -- " + detail) if detail else ""), flush=True)
    return cond


def run(args, timeout=CMD_TIMEOUT_S):
    """Run a command; return (rc, stdout+stderr). rc is None on timeout."""
    try:
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           stdin=subprocess.DEVNULL, timeout=timeout)
        return p.returncode, p.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if e.stdout else ""
        return None, out


def must(args):
    """Run a setup command that has to work; raise with its output if not."""
    rc, out = run(args, timeout=60)
    if rc != 0:
        raise RuntimeError("setup failed (rc=%s): %s\n%s" % (rc, " ".join(args), out))
    return out


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout_s, what):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise RuntimeError("timed out after %ss waiting for %s" % (timeout_s, what))


def read(path):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


class Pki:
    """Paths of the test PKI."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.ca = os.path.join(tmp, "city-ca")
        self.foreign = os.path.join(tmp, "foreign-ca")
        self.gw = os.path.join(tmp, "gateways")
        os.makedirs(self.gw)

    def cafile(self):
        return os.path.join(self.ca, "ca.crt")

    def gateway(self, gw_id):
        return (os.path.join(self.gw, gw_id + ".crt"), os.path.join(self.gw, gw_id + ".key"))

    def client(self, cn):
        d = os.path.join(self.ca, "clients")
        return (os.path.join(d, cn + ".crt"), os.path.join(d, cn + ".key"))

    def make_csr(self, cn, name):
        """A key and CSR made apart from the CA, as the gateway does (a later
        change makes them with `gfi-agent csr`)."""
        key = os.path.join(self.gw, name + ".key")
        csr = os.path.join(self.gw, name + ".csr")
        must(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
              "ec_paramgen_curve:P-256", "-out", key])
        must(["openssl", "req", "-new", "-key", key, "-subj", "/CN=" + cn, "-out", csr])
        return csr

    def build(self):
        must(["bash", PKI, "init-ca", "--dir", self.ca, "--days", "30"])
        must(["bash", PKI, "server", "--dir", self.ca, "--name", HOST, "--ip", "127.0.0.1"])
        must(["bash", PKI, "client", "--dir", self.ca, "--cn", "gfi-aggregator"])
        for gw in ("gw-a", "gw-b", "gw-c"):
            csr = self.make_csr(gw, gw)
            must(["bash", PKI, "sign", "--dir", self.ca, "--csr", csr,
                  "--out", os.path.join(self.gw, gw + ".crt")])
        # A foreign CA whose client claims to be gw-a: only the issuer differs.
        must(["bash", PKI, "init-ca", "--dir", self.foreign, "--days", "30",
              "--ca-name", "foreign CA"])
        must(["bash", PKI, "client", "--dir", self.foreign, "--cn", "gw-a"])


class Broker:
    """mosquitto -c FILE in the foreground, on a free port, stopped by PID."""

    def __init__(self, tmp, pki):
        self.tmp = tmp
        self.pki = pki
        self.dir = os.path.join(tmp, "broker")
        self.log = os.path.join(tmp, "mosquitto.log")
        self.proc = None
        self.port = None

    def render(self, port):
        must(["bash", RENDER, "--out", self.dir, "--port", str(port), "--bind", "127.0.0.1",
              "--ca", self.pki.cafile(),
              "--cert", os.path.join(self.pki.ca, "server", HOST + ".crt"),
              "--key", os.path.join(self.pki.ca, "server", HOST + ".key"),
              "--crl", os.path.join(self.pki.ca, "crl.pem"),
              # As root Mosquitto would drop to user "mosquitto", which cannot
              # read this private temp dir; as anyone else the option is moot.
              "--user", pwd.getpwuid(os.getuid()).pw_name])

    def start(self):
        for attempt in range(5):
            port = free_port()
            self.render(port)
            log = open(self.log, "wb")
            self.proc = subprocess.Popen(
                ["mosquitto", "-c", os.path.join(self.dir, "mosquitto.conf")],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
            log.close()
            self.port = port
            try:
                wait_for(self.ready, 10, "mosquitto to accept a TLS client on port %d" % port)
                return
            except RuntimeError:
                if self.proc.poll() is not None and "Address already in use" in read(self.log):
                    print("port %d taken meanwhile, retrying (attempt %d)" % (port, attempt + 1))
                    continue
                raise
        raise RuntimeError("no free port for mosquitto after 5 attempts")

    def ready(self):
        if self.proc.poll() is not None:
            if "Address already in use" in read(self.log):
                raise RuntimeError("port in use")
            raise RuntimeError("mosquitto exited rc=%s:\n%s" % (self.proc.returncode, read(self.log)))
        crt, key = self.pki.gateway("gw-a")
        rc, _ = run(sub_args(self, self.pki, crt, key, ["-t", "gfi/v1/gw-a/ack", "-E"]), timeout=5)
        return rc == 0

    def reload(self):
        """SIGHUP, then wait until the log says the config was reloaded."""
        before = read(self.log).count("Reloading config")
        os.kill(self.proc.pid, signal.SIGHUP)
        wait_for(lambda: read(self.log).count("Reloading config") > before, 10,
                 "mosquitto to log its reload")

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


def tls_args(broker, pki, crt, key, cafile=None):
    a = ["-h", HOST, "-p", str(broker.port), "--cafile", cafile or pki.cafile()]
    if crt:
        a += ["--cert", crt, "--key", key]
    return a


def sub_args(broker, pki, crt, key, extra):
    return ["mosquitto_sub"] + tls_args(broker, pki, crt, key) + extra


def pub(broker, pki, crt, key, topic, payload, extra=(), cafile=None):
    return run(["mosquitto_pub"] + tls_args(broker, pki, crt, key, cafile) +
               ["-t", topic, "-m", payload, "-q", "1"] + list(extra))


class Subscriber:
    """mosquitto_sub in the background, output to a file, ready once its
    SUBACK is in. The broker sets client id = CN, so a second connection with
    the same cert (even a mosquitto_pub) would replace this one: while it
    runs, nobody else may connect with its cert."""

    def __init__(self, tmp, broker, pki, crt, key, topics, name):
        self.out = os.path.join(tmp, name + ".out")
        args = []
        for t in topics:
            args += ["-t", t]
        f = open(self.out, "wb")
        # Line-buffered, so the SUBACK line (-d) and each message reach the
        # file as they happen rather than when the buffer fills.
        self.proc = subprocess.Popen(
            ["stdbuf", "-oL"] + sub_args(broker, pki, crt, key, args + ["-q", "1", "-v", "-d"]),
            stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        f.close()
        running.append(self)
        wait_for(lambda: "Subscribed (mid" in read(self.out), 10, name + "'s SUBACK")

    def messages(self):
        """(topic, payload) pairs received so far, in order."""
        got = []
        for line in read(self.out).splitlines():
            if line.startswith("gfi/v1/"):
                topic, _, payload = line.partition(" ")
                got.append((topic, payload))
        return got

    def wait_for_payload(self, payload, timeout_s=10):
        try:
            wait_for(lambda: any(p == payload for _, p in self.messages()), timeout_s,
                     "payload %r at the aggregator" % payload)
            return True
        except RuntimeError:
            return False

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


def test_pki_refusals(pki):
    csr = pki.make_csr("gfi-aggregator", "impostor")
    out = os.path.join(pki.gw, "impostor.crt")
    rc, text = run(["bash", PKI, "sign", "--dir", pki.ca, "--csr", csr, "--out", out])
    check(rc != 0 and not os.path.exists(out) and "reserved" in text,
          "pki.sh refuses a gateway CSR whose CN is the aggregator's",
          "rc=%s out_exists=%s output=%r" % (rc, os.path.exists(out), text.strip()))
    csr = pki.make_csr("gw\\+1", "plus")      # CN "gw+1": '+' is an MQTT wildcard
    out = os.path.join(pki.gw, "plus.crt")
    rc, text = run(["bash", PKI, "sign", "--dir", pki.ca, "--csr", csr, "--out", out])
    check(rc != 0 and not os.path.exists(out) and "gw+1" in text,
          "pki.sh refuses a CSR whose CN 'gw+1' is not a valid id",
          "rc=%s output=%r" % (rc, text.strip()))


def main():
    for tool in ("openssl", "mosquitto", "mosquitto_pub", "mosquitto_sub", "bash", "stdbuf"):
        if shutil.which(tool) is None and not os.path.exists("/usr/sbin/" + tool):
            print("%s: missing tool %s" % (NAME, tool))
            print("%s: 0 passed, 1 failed" % NAME)
            return 1
    started = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="gfi-broker-")
    pki = Pki(tmp)
    broker = Broker(tmp, pki)
    nonce = "%d-%d" % (os.getpid(), int(time.time()))
    try:
        pki.build()
        test_pki_refusals(pki)
        broker.start()
        port = broker.port
        gwa_crt, gwa_key = pki.gateway("gw-a")
        gwb_crt, gwb_key = pki.gateway("gw-b")
        agg_crt, agg_key = pki.client("gfi-aggregator")

        # Only the TLS listener: a listener option in the wrong place in
        # mosquitto.conf silently adds a plaintext one on 1883.
        opened = sorted({int(l.rsplit(" ", 1)[1].rstrip("."))
                         for l in read(broker.log).splitlines()
                         if "listen socket on port" in l})
        check(opened == [port], "broker listens on the TLS port only",
              "opened=%s expected=[%d]" % (opened, port))

        # Retained acks from the aggregator, before its subscriber runs (one
        # gfi-aggregator connection at a time).
        for gw in ("gw-a", "gw-b"):
            rc, text = pub(broker, pki, agg_crt, agg_key, "gfi/v1/%s/ack" % gw,
                           "ack-%s-%s" % (gw, nonce), ["-r"])
            check(rc == 0, "aggregator publishes the retained ack of %s" % gw,
                  "rc=%s output=%r" % (rc, text.strip()))

        sub = Subscriber(tmp, broker, pki, agg_crt, agg_key, ["gfi/v1/+/batch"], "aggregator")
        bad = []   # payloads that must never reach the aggregator

        # (a) plaintext MQTT to the TLS port; TLS without a client certificate.
        p = "plain-" + nonce
        bad.append(p)
        rc, text = run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port),
                        "-t", "gfi/v1/gw-a/batch", "-m", p, "-q", "1"])
        check(rc not in (0, None), "(a) plaintext client is refused",
              "rc=%s output=%r" % (rc, text.strip()))
        p = "nocert-" + nonce
        bad.append(p)
        rc, text = pub(broker, pki, None, None, "gfi/v1/gw-a/batch", p)
        check(rc not in (0, None), "(a) TLS client without a certificate is refused",
              "rc=%s output=%r" % (rc, text.strip()))

        # (b) a foreign CA's cert with CN gw-a (client trusts its own CA; the
        # broker must not trust the client).
        fcrt = os.path.join(pki.foreign, "clients", "gw-a.crt")
        fkey = os.path.join(pki.foreign, "clients", "gw-a.key")
        p = "foreign-" + nonce
        bad.append(p)
        rc, text = pub(broker, pki, fcrt, fkey, "gfi/v1/gw-a/batch", p)
        check(rc not in (0, None), "(b) foreign CA's client cert (CN gw-a) is refused",
              "rc=%s output=%r" % (rc, text.strip()))

        # The broker's own cert (EKU serverAuth only) cannot be used as a client.
        scrt = os.path.join(pki.ca, "server", HOST + ".crt")
        skey = os.path.join(pki.ca, "server", HOST + ".key")
        p = "servercert-" + nonce
        bad.append(p)
        rc, text = pub(broker, pki, scrt, skey, "gfi/v1/%s/batch" % HOST, p)
        check(rc not in (0, None), "the broker's serverAuth cert is refused as a client cert",
              "rc=%s output=%r" % (rc, text.strip()))

        # (c) gw-b works before revocation, so a refusal later means something.
        p = "gwb-before-" + nonce
        rc, text = pub(broker, pki, gwb_crt, gwb_key, "gfi/v1/gw-b/batch", p)
        check(rc == 0 and sub.wait_for_payload(p),
              "(c) gw-b's batch arrives before revocation",
              "rc=%s output=%r got=%r" % (rc, text.strip(), sub.messages()))
        must(["bash", PKI, "revoke", "--dir", pki.ca, "--cert", gwb_crt,
              "--reason", "keyCompromise"])
        broker.reload()
        p = "revoked-" + nonce
        bad.append(p)
        rc, text = pub(broker, pki, gwb_crt, gwb_key, "gfi/v1/gw-b/batch", p)
        check(rc not in (0, None), "(c) revoked gw-b is refused after CRL + SIGHUP",
              "rc=%s output=%r" % (rc, text.strip()))

        # (d) gw-a's own batch (after the reload: others are unaffected).
        p = "own-" + nonce
        rc, text = pub(broker, pki, gwa_crt, gwa_key, "gfi/v1/gw-a/batch", p)
        check(rc == 0 and sub.wait_for_payload(p),
              "(d) gw-a's batch on gfi/v1/gw-a/batch reaches gfi-aggregator",
              "rc=%s output=%r got=%r" % (rc, text.strip(), sub.messages()))

        # (e) gw-a publishing under gw-b's id: 3.1.1 says success, 5 says no.
        p = "cross-" + nonce
        bad.append(p)
        rc, text = pub(broker, pki, gwa_crt, gwa_key, "gfi/v1/gw-b/batch", p)
        check(rc == 0, "(e) MQTT 3.1.1 publisher gets a PUBACK for a denied topic (silent drop)",
              "rc=%s output=%r" % (rc, text.strip()))
        p = "cross5-" + nonce
        bad.append(p)
        rc, text = pub(broker, pki, gwa_crt, gwa_key, "gfi/v1/gw-b/batch", p,
                       ["-V", "mqttv5"])
        check("not authorized" in text.lower(),
              "(e) MQTT 5 publisher is told 'Not authorized' for gfi/v1/gw-b/batch",
              "rc=%s output=%r" % (rc, text.strip()))
        # Marker last, on an allowed topic: once it is in, everything sent
        # before it on this broker has been delivered or dropped.
        marker = "marker-" + nonce
        rc, text = pub(broker, pki, gwa_crt, gwa_key, "gfi/v1/gw-a/batch", marker)
        got_marker = rc == 0 and sub.wait_for_payload(marker)
        check(got_marker, "marker from gw-a reaches the aggregator",
              "rc=%s got=%r" % (rc, sub.messages()))
        got = sub.messages()
        leaked = [m for m in got if m[1] in bad]
        check(got_marker and not leaked,
              "(a,b,c,e) no refused or cross-id message reaches the aggregator",
              "leaked=%r" % leaked)
        check([p for _, p in got] == ["gwb-before-" + nonce, "own-" + nonce, marker]
              and got[1] == ("gfi/v1/gw-a/batch", "own-" + nonce),
              "aggregator received exactly gw-b's early batch, gw-a's batch, the marker",
              "got=%r" % got)
        sub.stop()

        # A user name in CONNECT changes nothing: the cert's CN is the user.
        # gw-a claiming to be the aggregator tries to overwrite its own ack
        # (only the aggregator may write acks); (f) then reads the original.
        rc, text = pub(broker, pki, gwa_crt, gwa_key, "gfi/v1/gw-a/ack", "spoof-" + nonce,
                       ["-r", "-u", "gfi-aggregator", "-P", "x", "-V", "mqttv5"])
        check("not authorized" in text.lower(),
              "gw-a connecting with user name gfi-aggregator still cannot write an ack",
              "rc=%s output=%r" % (rc, text.strip()))

        # (f) reading acks. Retained messages are sent right after the SUBACK,
        # in subscription order: gw-b's (first) would come before gw-a's.
        rc, text = run(sub_args(broker, pki, gwa_crt, gwa_key,
                                ["-t", "gfi/v1/gw-b/ack", "-t", "gfi/v1/gw-a/ack",
                                 "-v", "-C", "2", "-W", "2"]))
        lines = [l for l in text.splitlines() if l.startswith("gfi/v1/")]
        check(lines == ["gfi/v1/gw-a/ack ack-gw-a-" + nonce],
              "(f) gw-a reads its own retained ack and not gw-b's",
              "rc=%s lines=%r" % (rc, lines))
        rc, text = run(sub_args(broker, pki, gwa_crt, gwa_key,
                                ["-t", "gfi/v1/+/ack", "-t", "#", "-v", "-W", "2"]))
        lines = [l for l in text.splitlines() if l.startswith("gfi/v1/")]
        check(lines and all(l.startswith("gfi/v1/gw-a/ack ") for l in lines),
              "(f) gw-a's wildcard subscriptions (gfi/v1/+/ack, #) yield only its own ack",
              "rc=%s lines=%r" % (rc, lines))

        # Shared subscriptions (the scale path, DESIGN.md): Mosquitto checks
        # $share/<group>/<filter> against the ACL as <filter>, so the
        # aggregator's read lines cover it and a gateway gains nothing by it.
        spy = Subscriber(tmp, broker, pki, gwa_crt, gwa_key,
                         ["$share/spy/gfi/v1/+/batch", "gfi/v1/+/batch"], "gw-a-spy")
        sub = Subscriber(tmp, broker, pki, agg_crt, agg_key,
                         ["$share/city/gfi/v1/+/batch"], "aggregator-shared")
        gwc_crt, gwc_key = pki.gateway("gw-c")
        p = "shared-" + nonce
        rc, text = pub(broker, pki, gwc_crt, gwc_key, "gfi/v1/gw-c/batch", p)
        check(rc == 0 and sub.wait_for_payload(p),
              "aggregator's shared subscription $share/city/gfi/v1/+/batch gets gw-c's batch",
              "rc=%s output=%r got=%r" % (rc, text.strip(), sub.messages()))
        # The broker fans a message out to all subscribers in one pass; the
        # aggregator has it, so gw-a would have it by now. A short grace anyway.
        time.sleep(0.3)
        spy.stop()
        check(spy.messages() == [],
              "gw-a's subscriptions to others' batches (plain and $share) receive nothing",
              "got=%r" % spy.messages())
        sub.stop()
    except Exception as e:   # setup failure: report it as a failure, not a traceback
        check(False, "test ran to the end", "%s: %s" % (type(e).__name__, e))
    finally:
        for s in running:
            s.stop()
        broker.stop()
        if failed:
            print("--- mosquitto log (%s) ---" % broker.log)
            print(read(broker.log)[-4000:])
            print("(temp dir kept: %s)" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print("took %.1fs" % (time.monotonic() - started))
    print("%s: %d passed, %d failed" % (NAME, passed, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

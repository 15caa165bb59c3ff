"""The city side of a test: its PKI (deploy/pki.sh: CA, broker and client
certificates, gateways enrolled with gfi-agent keygen/csr), its Mosquitto
broker with mutual TLS rendered from deploy/ on a free port, and
FakeAggregator, a stand-in for gfi-aggregator that records and acks."""
import hashlib
import json
import os
import pwd
import socket
import threading
import time

from .paths import AGENT, PKI_SH, RENDER_SH
from .procs import free_port, run_ok, wait_for


class City:
    """The city's PKI (deploy/pki.sh) and its Mosquitto broker rendered from
    deploy/ on a free port; gateways enrolled with gfi-agent keygen/csr."""

    def __init__(self, P):
        self.P = P
        self.ca = P.path("city-ca")
        run_ok(["bash", PKI_SH, "init-ca", "--dir", self.ca, "--days", "30"])
        run_ok(["bash", PKI_SH, "server", "--dir", self.ca, "--name", "localhost",
                "--ip", "127.0.0.1"])
        run_ok(["bash", PKI_SH, "client", "--dir", self.ca, "--cn", "gfi-aggregator"])
        self.cafile = os.path.join(self.ca, "ca.crt")
        self.agg_cert = os.path.join(self.ca, "clients", "gfi-aggregator.crt")
        self.agg_key = os.path.join(self.ca, "clients", "gfi-aggregator.key")
        self.port = free_port()
        self.broker_dir = P.path("broker")
        run_ok(["bash", RENDER_SH, "--out", self.broker_dir, "--port", str(self.port),
                "--bind", "127.0.0.1", "--ca", self.cafile,
                "--cert", os.path.join(self.ca, "server", "localhost.crt"),
                "--key", os.path.join(self.ca, "server", "localhost.key"),
                "--crl", os.path.join(self.ca, "crl.pem"),
                "--user", pwd.getpwuid(os.getuid()).pw_name])
        self.broker = None
        self.starts = 0

    def enroll(self, gw):
        """Key and CSR made by gfi-agent, signed by the city: (key, cert)."""
        d = self.P.path("gw-" + gw)
        os.makedirs(d, exist_ok=True)
        key, csr, crt = (os.path.join(d, n) for n in ("gw.key", "gw.csr", "gw.crt"))
        run_ok([AGENT, "keygen", "--key", key])
        run_ok([AGENT, "csr", "--key", key, "--cn", gw, "--out", csr])
        run_ok(["bash", PKI_SH, "sign", "--dir", self.ca, "--csr", csr, "--out", crt])
        return key, crt

    def start_broker(self):
        self.starts += 1
        self.broker = self.P.start(["mosquitto", "-c",
                                    os.path.join(self.broker_dir, "mosquitto.conf")],
                                   "mosquitto-%d.log" % self.starts, clean_exit=False)

        def up():
            if self.broker.poll() is not None:
                raise RuntimeError("mosquitto exited: " +
                                   self.P.log("mosquitto-%d.log" % self.starts))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return True
            except OSError:
                return False
        wait_for(up, 15, "mosquitto listening")

    def stop_broker(self):
        self.P.stop(self.broker)
        self.broker = None

    def uplink_config(self, key, crt, **extra):
        u = {"host": "localhost", "port": self.port, "ca_file": self.cafile,
             "cert_file": crt, "key_file": key}
        u.update(extra)
        return u


class MultiCity(City):
    """A City whose broker ACL has a block for each aggregator CN (each
    instance needs its own certificate: the broker makes the CN the client
    id), with a client certificate for each: self.agg_certs[cn] = (crt, key)."""

    def __init__(self, P, cns):
        City.__init__(self, P)
        self.agg_certs = {"gfi-aggregator": (self.agg_cert, self.agg_key)}
        for cn in cns:
            if cn not in self.agg_certs:
                run_ok(["bash", PKI_SH, "client", "--dir", self.ca, "--cn", cn])
                self.agg_certs[cn] = (os.path.join(self.ca, "clients", cn + ".crt"),
                                      os.path.join(self.ca, "clients", cn + ".key"))
        args = ["bash", RENDER_SH, "--out", self.broker_dir, "--port", str(self.port),
                "--bind", "127.0.0.1", "--ca", self.cafile,
                "--cert", os.path.join(self.ca, "server", "localhost.crt"),
                "--key", os.path.join(self.ca, "server", "localhost.key"),
                "--crl", os.path.join(self.ca, "crl.pem"),
                "--user", pwd.getpwuid(os.getuid()).pw_name]
        for cn in cns:
            args += ["--aggregator", cn]
        run_ok(args)


class FakeAggregator:
    """Plays the city's aggregator for the agent's tests: one MQTT connection
    as gfi-aggregator (the broker allows one per certificate), records every
    batch payload and status, checks each gateway's hash chain, and acks the
    highest contiguous seq held (retained), unless told not to."""

    def __init__(self, city):
        import paho.mqtt.client as mqtt   # only tests that use it need paho
        self.lock = threading.Lock()
        self.batches = {}      # (gateway, seq) -> payload bytes (first copy)
        self.received = []     # (gateway, seq) in arrival order, duplicates too
        self.statuses = []     # (time, gateway, dict)
        self.contig = {}       # gateway -> highest contiguous seq held
        self.acking = True
        self.chain_errors = []
        c = mqtt.Client(client_id="gfi-aggregator", protocol=mqtt.MQTTv311)
        c.tls_set(ca_certs=city.cafile, certfile=city.agg_cert, keyfile=city.agg_key)
        c.on_message = self._on_message
        c.on_connect = lambda cl, u, f, rc: cl.subscribe(
            [("gfi/v1/+/batch", 1), ("gfi/v1/+/status", 1)])
        self.client = c
        self.connected_city = city

    def start(self):
        self.client.connect("localhost", self.connected_city.port, keepalive=10)
        self.client.loop_start()

    def stop(self):
        self.client.loop_stop()
        try:
            self.client.disconnect()
        except Exception:
            pass

    def _on_message(self, client, userdata, msg):
        parts = msg.topic.split("/")
        gw = parts[2]
        if parts[3] == "status":
            with self.lock:
                self.statuses.append((time.time(), gw, json.loads(msg.payload)))
            return
        body = msg.payload.split(b"\n")[0]
        b = json.loads(body)
        seq = b["seq"]
        with self.lock:
            self.received.append((gw, seq))
            if (gw, seq) not in self.batches:
                self.batches[(gw, seq)] = msg.payload
                prev = self.batches.get((gw, seq - 1))
                if prev is not None:
                    want = hashlib.sha256(prev.split(b"\n")[0]).hexdigest()
                    if b["prev"] != want:
                        self.chain_errors.append((gw, seq))
            acking = self._advance(gw)
        if acking:
            self.ack(gw)

    def _advance(self, gw):
        """With self.lock held: move gw's highest contiguous seq over the
        batches now held; whether to ack it."""
        n = self.contig.get(gw, 0)
        while (gw, n + 1) in self.batches:
            n += 1
        self.contig[gw] = n
        return self.acking

    def ack(self, gw):
        with self.lock:
            n = self.contig.get(gw, 0)
        if n:
            self.client.publish("gfi/v1/%s/ack" % gw, json.dumps({"seq": n}),
                                qos=1, retain=True)

    def readings(self, gw):
        """Every reading of gw's held batches, in seq order."""
        out = []
        with self.lock:
            seqs = sorted(s for g, s in self.batches if g == gw)
            for s in seqs:
                b = json.loads(self.batches[(gw, s)].split(b"\n")[0])
                out.extend(b["readings"])
        return out

"""Issue 4 acceptance 2: hostile and broken batches at a real gfi-aggregator,
published through the real broker with the gateway's own certificate
(python3-paho-mqtt), signed with openssl like the agent signs.

Each of: malformed JSON, oversize, a payload naming gw-b on gw-a's topic, an
unknown (enrolled but unregistered) gateway, a forged signature, a broken
chain, a literal NaN is quarantined with its reason; a replay is ignored; a
reading from the future is quarantined while its batch is accepted. After
each, nothing else in the store changed, and a good batch sent next is
stored (the process keeps running); the retained ack follows the head."""
import base64
import hashlib
import json
import os
import subprocess
import threading
import time

import gfitest as g

GW, GW_B, GW_U = "gw-a", "gw-b", "gw-u"


class Gateway:
    """A hand-made gateway: MQTT as its certificate, batches signed with
    openssl (the same bytes gfi_batch_build makes: compact, keys in order)."""

    def __init__(self, P, city, gw, key, crt):
        import paho.mqtt.client as mqtt
        self.P, self.gw, self.key = P, gw, key
        self.seq, self.prev = 0, "0" * 64
        self.acks = []
        self.lock = threading.Lock()
        c = mqtt.Client(client_id=gw, protocol=mqtt.MQTTv311)
        c.tls_set(ca_certs=city.cafile, certfile=crt, keyfile=key)
        c.on_connect = lambda cl, u, f, rc: cl.subscribe("gfi/v1/%s/ack" % gw, 1)
        c.on_message = self._on_message
        c.connect("localhost", city.port, keepalive=10)
        c.loop_start()
        g.wait_for(c.is_connected, 10, "gateway %s connected" % gw)
        self.client = c

    def _on_message(self, client, userdata, msg):
        with self.lock:
            self.acks.append(json.loads(msg.payload)["seq"])

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()

    def body(self, seq, prev, readings, gateway=None):
        rs = ",".join('{"meter":"%s","point":"%s","quantity":"%s","time":%d,"value":%s,'
                      '"status":"ok"}' % r for r in readings)
        return ('{"v":1,"gateway":"%s","seq":%d,"prev":"%s","sent":%d,"readings":[%s]}'
                % (gateway or self.gw, seq, prev, int(time.time()), rs)).encode()

    def sign(self, body, key=None):
        path = self.P.path("b.json")
        with open(path, "wb") as f:
            f.write(body)
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key or self.key, path],
                             check=True, capture_output=True).stdout
        return body + b"\n" + base64.b64encode(sig) + b"\n"

    def readings(self, t, n=2):
        return [("E1", "import_kwh", "elec_import_kwh", t + i, "%d.5" % (t + i))
                for i in range(n)]

    def next_good(self, readings=None):
        self.seq += 1
        body = self.body(self.seq, self.prev, readings or self.readings(int(time.time()) - 100))
        self.prev = hashlib.sha256(body).hexdigest()
        return self.sign(body)

    def publish(self, payload, topic=None):
        info = self.client.publish(topic or "gfi/v1/%s/batch" % self.gw, payload, qos=1)
        info.wait_for_publish()


def last_quarantine(agg):
    rows = agg.query("SELECT reason, gateway FROM quarantine ORDER BY id DESC LIMIT 1")
    return rows[0] if rows else ("", "")


def stored_state(agg):
    c = agg.counts()
    return (c["batches"], c["readings"], c["rollups"], agg.head(GW))


def main():
    with g.Procs() as P:
        city = g.City(P)
        key, crt = city.enroll(GW)
        key_u, crt_u = city.enroll(GW_U)
        city.start_broker()
        agg = g.Aggregator(city)
        agg.register_unit()
        agg.register_gateway(GW, key, [("E1", "import_kwh", "elec_import_kwh")])
        agg.start()
        gw = Gateway(P, city, GW, key, crt)
        gu = Gateway(P, city, GW_U, key_u, crt_u)
        n_held = [0]

        def good(what):
            """A good batch after a refusal is stored: the process runs on."""
            gw.publish(gw.next_good())
            try:
                g.wait_for(lambda: agg.head(GW) == gw.seq, 15, "good batch stored", 0.05)
            except RuntimeError:
                pass
            g.ok(agg.head(GW) == gw.seq and agg.proc.poll() is None,
                 "after %s a good batch is stored (head %d, want %d)"
                 % (what, agg.head(GW), gw.seq))

        def refused(what, payload, reason, gateway=GW, topic=None, sender=gw):
            before = stored_state(agg)
            nq = agg.counts()["quarantined_batches"]
            sender.publish(payload, topic)
            try:
                g.wait_for(lambda: agg.counts()["quarantined_batches"] > nq, 15,
                           what + " quarantined", 0.05)
            except RuntimeError:
                pass
            got = last_quarantine(agg)
            g.ok(got[0].startswith(reason) and got[1] == gateway,
                 "%s: quarantined as %r for %s (got %r)" % (what, reason, gateway, got))
            g.ok(stored_state(agg) == before, "%s: nothing stored changed" % what)
            good(what)

        good("start")
        refused("malformed JSON", b'{"v":1,"gateway":"gw-a",\nAAAA\n', "parse:")
        refused("oversize", b"x" * 270000, "size:")
        body = gw.body(gw.seq + 1, gw.prev, gw.readings(int(time.time()) - 50), gateway=GW_B)
        refused("payload of gw-b on gw-a's topic", gw.sign(body), "topic:", gateway=GW_B)
        body = gu.body(1, "0" * 64, gu.readings(int(time.time()) - 50))
        refused("unknown gateway", gu.sign(body), "gateway: gw-u not registered",
                gateway=GW_U, sender=gu)
        body = gw.body(gw.seq + 1, gw.prev, gw.readings(int(time.time()) - 40))
        refused("forged signature", gw.sign(body, key=key_u), "signature:")
        body = gw.body(gw.seq + 1, "ab" * 32, gw.readings(int(time.time()) - 30))
        refused("broken chain", gw.sign(body), "broken chain")
        t = int(time.time()) - 20
        body = gw.body(gw.seq + 1, gw.prev,
                       [("E1", "import_kwh", "elec_import_kwh", t, "NaN")])
        refused("literal NaN", gw.sign(body), "parse:")

        # Replay: the last good batch again. Ignored, nothing changes, acked.
        payload = gw.next_good()
        gw.publish(payload)
        g.wait_for(lambda: agg.head(GW) == gw.seq, 15, "batch stored")
        before, nq = stored_state(agg), agg.counts()["quarantined_batches"]
        n_held[0] = agg.log().count("batch already held")
        gw.publish(payload)
        g.wait_for(lambda: agg.log().count("batch already held") > n_held[0], 15,
                   "replay noticed")
        g.ok(stored_state(agg) == before and agg.counts()["quarantined_batches"] == nq,
             "replay: ignored, nothing stored changed, nothing quarantined")
        good("replay")

        # A reading from the future: quarantined, its batch accepted.
        now = int(time.time())
        nr = agg.counts()["quarantined_readings"]
        payload = gw.next_good([("E1", "import_kwh", "elec_import_kwh", now - 5, "1.5"),
                                ("E1", "import_kwh", "elec_import_kwh", now + 3600, "2.5")])
        gw.publish(payload)
        g.wait_for(lambda: agg.head(GW) == gw.seq, 15, "future batch accepted")
        rows = agg.query("SELECT reason, time_s FROM quarantined_readings ORDER BY id DESC")
        g.ok(agg.counts()["quarantined_readings"] == nr + 1 and rows[0][1] == now + 3600
             and rows[0][0].startswith("time:"),
             "future reading quarantined with its reason (%s), batch accepted" % rows[:1])
        g.ok(("E1", "import_kwh", now - 5) in agg.readings(GW)
             and ("E1", "import_kwh", now + 3600) not in agg.readings(GW),
             "the sane reading of that batch is stored, the future one is not")
        good("future reading")

        g.wait_for(lambda: gw.acks and gw.acks[-1] == gw.seq, 10, "ack")
        g.ok(gw.acks[-1] == gw.seq, "the retained ack follows the head (%d)" % gw.seq)
        g.ok(not gu.acks, "the unknown gateway gets no ack")
        gw.close()
        gu.close()
    g.finish("ingest_reject")


if __name__ == "__main__":
    main()

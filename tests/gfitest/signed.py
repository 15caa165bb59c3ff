"""Signed batches written straight into an aggregator store, as ingest
keeps them, for tests that write their readings by SQL (the report, the
HTTP API) and still need spot checks to find those readings in signed,
chained batches (aggregator/calc/spotcheck_chain.c).

write_batches signs each batch with the gateway's P-256 key exactly as
gfi_batch_build does (docs/wire-format.md: BATCH_JSON, newline, base64 DER
signature, newline; prev the SHA-256 of the previous BATCH_JSON), and keeps
what ingest keeps: the raw payload, the chain head, each batch's reading
span and a checkpoint every CHECKPOINT_EVERY batches (migration 10). The
readings themselves stay the caller's to write, with the same values.
"""
import base64
import hashlib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

CHECKPOINT_EVERY = 8   # aggregator/store/store_checkpoint.h


def batch_json(gateway, seq, prev, readings):
    """BATCH_JSON of readings [(meter, point, quantity, time, value)]."""
    rows = ",".join('{"meter":"%s","point":"%s","quantity":"%s","time":%d,'
                    '"value":%r,"status":"ok"}' % (m, p, q, t, float(v))
                    for m, p, q, t, v in readings)
    return ('{"v":1,"gateway":"%s","seq":%d,"prev":"%s","sent":%d,"readings":[%s]}'
            % (gateway, seq, prev.hex(), max(r[3] for r in readings), rows))


def write_batches(db, gateway, key_path, batches, received_s):
    """Sign and store batches (each a list of readings as batch_json takes
    them) as seq 1.. of gateway, received at received_s, in db (an open
    sqlite3 connection; the caller commits)."""
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    prev = bytes(32)
    for seq, readings in enumerate(batches, 1):
        js = batch_json(gateway, seq, prev, readings).encode()
        sig = base64.b64encode(key.sign(js, ec.ECDSA(hashes.SHA256())))
        h = hashlib.sha256(js).digest()
        db.execute("INSERT INTO batches (gateway, seq, hash, payload, received_s) "
                   "VALUES (?, ?, ?, ?, ?)", (gateway, seq, h, js + b"\n" + sig + b"\n",
                                              received_s))
        times = [r[3] for r in readings]
        db.execute("INSERT INTO batch_spans (gateway, seq, first_s, last_s) "
                   "VALUES (?, ?, ?, ?)", (gateway, seq, min(times), max(times)))
        if seq % CHECKPOINT_EVERY == 0:
            db.execute("INSERT INTO chain_checkpoints (gateway, seq, hash, verified_s) "
                       "VALUES (?, ?, ?, ?)", (gateway, seq, h, received_s))
        prev = h
    db.execute("INSERT OR REPLACE INTO chain (gateway, seq, hash) VALUES (?, ?, ?)",
               (gateway, len(batches), prev))

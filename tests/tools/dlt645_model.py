#!/usr/bin/env python3
"""dlt645_model.py -- an independent model of DL/T 645-2007 framing, written
from the standard (DL/T 645-2007 "Multi-function watt-hour meter
communication protocol", section 4 "frame format", 6.x data formats,
appendix A data identifiers), used to write tests/data/dlt645_vectors.csv
that the C codec (common/dlt645.c) is tested against.

Python stdlib only; it shares no code with the C side.

    python3 tests/tools/dlt645_model.py > tests/data/dlt645_vectors.csv

Frame: [FE FE FE FE] 68 A0..A5 68 C L DATA CS 16, address A0 (the least
significant two BCD digits) first, every DATA byte + 0x33 on the wire,
CS = sum of the bytes from the first 68 to the last DATA byte, mod 256.
Rows (one per line, '#' comments):
  read,ADDR,DI,FRAME                     a read request (control 0x11)
  readaddr,FRAME                         read address to AA..AA (0x13)
  reply,ADDR,DI,FORMAT,SIGNED,VALUE,FRAME   a normal reply (0x91)
  addrreply,ADDR,FRAME                   the read-address reply (0x93)
  error,ADDR,CODE,FRAME                  an error reply (0xD1)
  bcd,FORMAT,SIGNED,BYTES,VALUE          BYTES (data, offset removed, least
                                         significant first) -> VALUE or "error"
  scan,INPUT,RESULT                      a byte stream and what a resynchronising
                                         scanner finds first: "frame ADDR C DATA
                                         CONSUMED" or "need DROP"
ADDR is 12 digits most significant first (as printed on the nameplate); DI
is 8 hex digits DI3..DI0 (as the standard writes it); hex without spaces.
"""
import sys
from decimal import Decimal

PREAMBLE = bytes([0xFE] * 4)


def addr_bytes(addr):
    """'123456789012' -> A0..A5 = 12 90 78 56 34 12."""
    assert len(addr) == 12
    pairs = [addr[i:i + 2] for i in range(0, 12, 2)]
    if addr == "AAAAAAAAAAAA":
        return bytes([0xAA] * 6)
    return bytes(int(p, 16) for p in reversed(pairs))


def frame(addr, control, data, preamble=True):
    body = bytes([0x68]) + addr_bytes(addr) + bytes([0x68, control, len(data)])
    body += bytes((b + 0x33) & 0xFF for b in data)
    cs = sum(body) & 0xFF
    return (PREAMBLE if preamble else b"") + body + bytes([cs, 0x16])


def di_bytes(di):
    v = int(di, 16)
    return bytes([(v >> (8 * i)) & 0xFF for i in range(4)])  # DI0 first


def fmt_shape(fmt):
    digits = fmt.replace(".", "")
    assert set(digits) == {"X"} and len(digits) % 2 == 0
    decimals = len(fmt.split(".")[1]) if "." in fmt else 0
    return len(digits) // 2, decimals


def bcd_encode(fmt, signed, value):
    nbytes, dec = fmt_shape(fmt)
    v = Decimal(value)
    neg = v < 0
    n = int((abs(v) * (Decimal(10) ** dec)).to_integral_value())
    text = str(n).rjust(2 * nbytes, "0")
    assert len(text) == 2 * nbytes
    out = bytearray(int(text[i:i + 2], 16) for i in range(0, len(text), 2))
    out.reverse()  # least significant byte first
    if signed:
        assert out[-1] < 0x80
        if neg:
            out[-1] |= 0x80
    else:
        assert not neg
    return bytes(out)


def bcd_decode(fmt, signed, data):
    nbytes, dec = fmt_shape(fmt)
    if len(data) != nbytes:
        return None
    b = bytearray(data)
    neg = False
    if signed and b[-1] & 0x80:
        neg = True
        b[-1] &= 0x7F
    text = "".join("%02X" % x for x in reversed(b))
    if not text.isdigit():
        return None
    v = Decimal(int(text)) / (Decimal(10) ** dec)
    return -v if neg else v


def h(b):
    return b.hex().upper()


READS = [
    ("000000000001", "00010000"), ("123456789012", "00020000"),
    ("201907150001", "02010100"), ("999999999999", "02020100"),
    ("000011112222", "02030000"), ("410000123456", "0201FF00"),
    ("000000000042", "02800002"), ("000000000042", "02060000"),
]

# (identifier, format, signed, value): every data format the profiles use.
REPLIES = [
    ("00010000", "XXXXXX.XX", False, "123456.78"),
    ("00010000", "XXXXXX.XX", False, "0.00"),
    ("00010000", "XXXXXX.XX", False, "999999.99"),
    ("00020000", "XXXXXX.XX", False, "42.07"),
    ("00030000", "XXXXXX.XX", False, "10.5"),
    ("02010100", "XXX.X", False, "231.4"),
    ("02010200", "XXX.X", False, "0.1"),
    ("02020100", "XXX.XXX", True, "12.345"),
    ("02020100", "XXX.XXX", True, "-1.500"),
    ("02020100", "XXX.XXX", True, "799.999"),
    ("02030000", "XX.XXXX", True, "1.5"),
    ("02030000", "XX.XXXX", True, "-1.5"),
    ("02030000", "XX.XXXX", True, "-79.9999"),
    ("02030100", "XX.XXXX", True, "0.0001"),
    ("02060000", "X.XXX", True, "0.987"),
    ("02060000", "X.XXX", True, "-0.5"),
    ("02800002", "XX.XX", False, "50.01"),
]

BCD_ONLY = [
    ("XXXXXX.XX", False, "78563412", "123456.78"),
    ("XX.XXXX", True, "005081", "-1.5000"),   # the sign bit: not 81.5
    ("XX.XXXX", False, "005081", "81.5000"),  # unsigned, the same bytes are 81.5
    ("XXX.X", False, "3A02", "error"),        # A is not a decimal digit
    ("XXXXXX.XX", False, "FFFFFFFF", "error"),  # 'no data' filler
    ("XXX.XXX", True, "FF7F00", "error"),
    ("XXX.XXX", True, "8099F9", "-799.980"),
    ("XX.XX", False, "0150", "50.01"),
    ("X.XXX", True, "0080", "-0.000"),
]


def scan_rows():
    a = "000000000001"
    good = frame(a, 0x91, di_bytes("00010000") + bcd_encode("XXXXXX.XX", False, "1.00"))
    body = good[4:]
    rows = []
    # garbage, then a frame with its preamble
    inp = bytes([0x00, 0x13, 0x68, 0x16, 0xFF]) + good
    rows.append((inp, "frame", len(inp)))
    # a partial frame (cut before its checksum), then a whole one
    inp = body[:9] + good
    rows.append((inp, "frame", len(inp)))
    # a frame with a wrong checksum, then a good one
    bad = bytearray(body)
    bad[-2] ^= 0x01
    inp = bytes(bad) + good
    rows.append((inp, "frame", len(inp)))
    # only a partial frame: keep it, drop the garbage before it
    inp = bytes([0xFE, 0xFE, 0x01]) + body[:12]
    rows.append((inp, "need", 3))
    # stray 68s that look like a header
    inp = bytes([0x68, 0x68, 0x01, 0x68]) + body
    rows.append((inp, "frame", len(inp)))
    # nothing but garbage: all of it can go
    inp = bytes([0x01, 0x02, 0x16, 0xFE])
    rows.append((inp, "need", 4))
    out = []
    for inp, kind, n in rows:
        if kind == "frame":
            out.append("scan,%s,frame %s 91 %s %d" % (
                h(inp), a, h(di_bytes("00010000") + bcd_encode("XXXXXX.XX", False, "1.00")), n))
        else:
            out.append("scan,%s,need %d" % (h(inp), n))
    return out


def main():
    w = sys.stdout.write
    w("# DL/T 645-2007 vectors from tests/tools/dlt645_model.py; do not edit by hand\n")
    for addr, di in READS:
        w("read,%s,%s,%s\n" % (addr, di, h(frame(addr, 0x11, di_bytes(di)))))
    w("readaddr,%s\n" % h(frame("AAAAAAAAAAAA", 0x13, b"")))
    for i, (di, fmt, signed, value) in enumerate(REPLIES):
        addr = READS[i % len(READS)][0]
        data = di_bytes(di) + bcd_encode(fmt, signed, value)
        assert bcd_decode(fmt, signed, data[4:]) == Decimal(value)
        w("reply,%s,%s,%s,%d,%s,%s\n" % (addr, di, fmt, signed, value,
                                         h(frame(addr, 0x91, data))))
    for addr, _ in READS[:3]:
        w("addrreply,%s,%s\n" % (addr, h(frame(addr, 0x93, addr_bytes(addr)))))
    for addr, code in (("000000000001", 0x02), ("123456789012", 0x04)):
        w("error,%s,%02X,%s\n" % (addr, code, h(frame(addr, 0xD1, bytes([code])))))
    for fmt, signed, data, want in BCD_ONLY:
        got = bcd_decode(fmt, signed, bytes.fromhex(data))
        got = "error" if got is None else str(got)
        if want != "error":
            assert Decimal(got) == Decimal(want), (fmt, data, got, want)
        w("bcd,%s,%d,%s,%s\n" % (fmt, signed, data, got))
    for row in scan_rows():
        w(row + "\n")


if __name__ == "__main__":
    main()

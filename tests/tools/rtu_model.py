#!/usr/bin/env python3
"""rtu_model.py -- an independent model of Modbus RTU framing on a byte
stream, written from "MODBUS over serial line specification v1.02" (2.5.1
RTU frame, 6.2.2 CRC generation) and the application protocol v1.1b3
(6.1-6.4 read functions, 7 exception responses), used to write
tests/data/rtuframe_vectors.csv that common/rtuframe.c is tested against.

Python stdlib only; it shares no code with the C side (its CRC is the
table-driven form of the spec's appendix, the C one the bitwise loop).

    python3 tests/tools/rtu_model.py > tests/data/rtuframe_vectors.csv

Rows (one per line, '#' comments), hex without spaces:
  crc,BYTES,CRC            CRC-16/MODBUS as a number (4 hex digits)
  read,SLAVE,FN,START,COUNT,FRAME     a read request
  scan,SLAVE,FN,COUNT,INPUT,RESULT    what a scanner for the reply to that
        read finds first in INPUT: "reply DATA USED", "exception CODE USED"
        or "need DROP" (USED: bytes up to the frame's end; DROP: leading
        bytes that can never start the reply)
  strip,PATTERN,INPUT,OUTPUT          every complete PATTERN removed
"""
import random
import sys


def _table():
    t = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
        t.append(c)
    return t


TABLE = _table()


def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc = (crc >> 8) ^ TABLE[(crc ^ b) & 0xFF]
    return crc


def with_crc(body):
    c = crc16(body)
    return bytes(body) + bytes([c & 0xFF, c >> 8])


def read_request(slave, fn, start, count):
    return with_crc(bytes([slave, fn, start >> 8, start & 0xFF, count >> 8, count & 0xFF]))


def data_len(fn, count):
    return (count + 7) // 8 if fn in (1, 2) else 2 * count


def reply(slave, fn, data):
    return with_crc(bytes([slave, fn, len(data)]) + bytes(data))


def exception(slave, fn, code):
    return with_crc(bytes([slave, fn | 0x80, code]))


def scan(buf, slave, fn, count):
    """The first offset holding a whole matching frame; else the first
    offset that may still grow into one."""
    nd = data_len(fn, count)
    opened = None
    for i in range(len(buf)):
        if buf[i] != slave:
            continue
        rest = buf[i:]
        if len(rest) < 2:
            want = None
        elif rest[1] == fn | 0x80:
            want = 5
        elif rest[1] == fn and (len(rest) < 3 or rest[2] == nd):
            want = 5 + nd
        else:
            continue
        if want is None or len(rest) < want:
            opened = i if opened is None else opened
            continue
        frame = rest[:want]
        if crc16(frame[:-2]) != frame[-2] | frame[-1] << 8:
            continue
        if frame[1] & 0x80:
            return "exception %d %d" % (frame[2], i + want)
        return "reply %s %d" % (frame[3:-2].hex(), i + want)
    return "need %d" % (len(buf) if opened is None else opened)


def strip(buf, pat):
    out, i = bytearray(), 0
    while i < len(buf):
        if buf[i:i + len(pat)] == pat:
            i += len(pat)
        else:
            out.append(buf[i])
            i += 1
    return bytes(out)


def scan_cases(rng):
    """(slave, fn, count, input) streams: clean, garbage before, cut,
    a stale reply of another request first, bad CRC, exceptions."""
    cases = []
    for _ in range(60):
        slave = rng.choice([1, 2, 3, 17, 247])
        fn = rng.choice([1, 2, 3, 4])
        count = rng.choice([1, 2, 4, 10, 16]) if fn > 2 else rng.choice([1, 8, 9, 20])
        data = bytes(rng.randrange(256) for _ in range(data_len(fn, count)))
        good = reply(slave, fn, data)
        kind = rng.choice(["clean", "garbage", "cut", "stale", "badcrc",
                           "exception", "other-slave", "cut-then-good"])
        if kind == "clean":
            s = good
        elif kind == "garbage":
            s = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12))) + good
        elif kind == "cut":
            s = good[:rng.randrange(1, len(good))]
        elif kind == "stale":
            s = reply(slave, fn, bytes(data_len(fn, count) + 2)) + good
        elif kind == "badcrc":
            s = good[:-1] + bytes([good[-1] ^ 0x55])
        elif kind == "exception":
            s = exception(slave, fn, rng.choice([1, 2, 3, 4, 11]))
        elif kind == "other-slave":
            s = reply(slave % 247 + 1, fn, data) + good[:3]
        else:
            s = good[:rng.randrange(2, len(good))] + good
        cases.append((slave, fn, count, s))
    return cases


def main(out):
    rng = random.Random(20)
    w = out.write
    w("# written by tests/tools/rtu_model.py -- do not edit\n")
    w("crc,%s,%04x\n" % ("", crc16(b"")))
    for body in (b"\x01\x03\x00\x00\x00\x0a", b"\x11\x03\x00\x6b\x00\x03",
                 b"123456789", bytes(range(40))):
        w("crc,%s,%04x\n" % (body.hex(), crc16(body)))
    for slave, fn, start, count in ((1, 3, 0, 10), (17, 3, 107, 3), (247, 4, 0x7530, 125),
                                    (2, 1, 19, 37), (3, 2, 196, 22)):
        w("read,%d,%d,%d,%d,%s\n" % (slave, fn, start, count,
                                     read_request(slave, fn, start, count).hex()))
    for slave, fn, count, s in scan_cases(rng):
        w("scan,%d,%d,%d,%s,%s\n" % (slave, fn, count, s.hex(), scan(s, slave, fn, count)))
    hb = b"HB"
    for s in (b"HB" + reply(1, 3, b"\x00\x01") + b"H", reply(1, 3, b"\x00\x01")[:3] + hb +
              reply(1, 3, b"\x00\x01")[3:], b"HHBB", b""):
        w("strip,%s,%s,%s\n" % (hb.hex(), s.hex(), strip(s, hb).hex()))


if __name__ == "__main__":
    main(sys.stdout)

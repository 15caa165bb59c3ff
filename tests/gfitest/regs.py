"""Register images of profile points, written from the profile JSON alone
(no gfi code): what a meter holds for a value, in any word order. Used to
load an independent Modbus server (pymodbus) in test_rtu_tcp.py."""
import struct

FORMATS = {"u16": ">H", "i16": ">h", "u32": ">I", "i32": ">i", "f32": ">f", "f64": ">d"}


def reorder(words, order):
    """ABCD: high word first, high byte first; CDAB swaps words, BADC
    bytes within each word, DCBA both."""
    if order in ("CDAB", "DCBA"):
        words = list(reversed(words))
    if order in ("BADC", "DCBA"):
        words = [((w & 0xFF) << 8) | (w >> 8) for w in words]
    return list(words)


def encode(point, value, order=None):
    """(words, the value a reader decodes from them) for a point dict."""
    t = point["type"]
    scale, offset = point.get("scale", 1), point.get("offset", 0)
    raw = (value - offset) / scale
    if t[0] in "ui":
        raw = int(round(raw))
    data = struct.pack(FORMATS[t], raw)
    back = struct.unpack(FORMATS[t], data)[0] * scale + offset
    words = [data[i] << 8 | data[i + 1] for i in range(0, len(data), 2)]
    if len(words) > 1:
        words = reorder(words, order or point.get("order", "ABCD"))
    return words, back


def image(profile, values, order=None):
    """{function: {address: word}} holding every point of profile at
    values[name], and {name: decoded value}."""
    regs, decoded = {}, {}
    for p in profile["points"]:
        if p["type"] == "bool":
            continue
        words, decoded[p["name"]] = encode(p, values[p["name"]], order)
        fn = regs.setdefault(p["function"], {})
        for k, w in enumerate(words):
            fn[p["address"] + k] = w
    return regs, decoded

"""Helpers for the security tests (test_security_*.py): a canonical picture
of an aggregator store, to assert that a refused input changed nothing, and
the hostile strings every text field is fed.

snapshot(store) reads every table over a read-only connection and keeps,
per table, the sorted list of its rows (each row a repr of its values, so
blobs and NULLs compare exactly); the schema (sqlite_master) is part of it,
so a dropped or altered table shows. diff(a, b) names what differs.
"""
import os
import re
import sqlite3

# SQL injection and friends: quotes of every kind, comments, stacked
# statements, LIKE wildcards, unicode look-alike quotes, an overlong value.
# NUL is fed where the transport can carry it (URL %00, JSON \u0000); argv
# cannot, so CLI tests use the others.
INJECTIONS = [
    "' OR 1=1 --",
    "\"; DROP TABLE readings; --",
    "%' --",
    "x') OR ('1'='1",
    "1; DELETE FROM units",
    "\u2019 OR \u20191\u2019=\u20191",          # ’ OR ’1’=’1 (right single quotes)
    "\uff07 OR 1=1 \uff0d\uff0d",               # fullwidth ＇ and －－
    "*/ UNION SELECT * FROM api_tokens /*",
    "A" * 5000,
]


def snapshot(store, skip=()):
    """{table: sorted row reprs} plus '__schema__', read-only."""
    con = sqlite3.connect("file:%s?mode=ro" % store, uri=True, timeout=30)
    try:
        out = {"__schema__": sorted(repr(r) for r in con.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master"))}
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            if name in skip or name.startswith("sqlite_"):
                continue
            out[name] = sorted(repr(r) for r in con.execute('SELECT * FROM "%s"' % name))
        return out
    finally:
        con.close()


def diff(a, b):
    """{table: (rows only in b, rows only in a)} for every table that differs."""
    out = {}
    for t in sorted(set(a) | set(b)):
        ra, rb = set(a.get(t, [])), set(b.get(t, []))
        if ra != rb:
            out[t] = (sorted(rb - ra), sorted(ra - rb))
    return out


def short(d, n=300):
    """A diff, cut for a failure message."""
    s = repr(d)
    return s if len(s) <= n else s[:n] + "..."


def source_dir():
    return os.environ.get("GFI_SOURCE_DIR") or os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))


def source(path):
    """The text of a source file, path relative to the repository."""
    with open(os.path.join(source_dir(), path), encoding="utf-8") as f:
        return f.read()


def c_string_arrays(text, name="allowed"):
    """Every `static const char *const <name>[] = { "a", "b", NULL };` in C
    source text, in order, each as a list of its strings."""
    out = []
    for m in re.finditer(r"\b%s\[\]\s*=\s*\{([^}]*)\}" % re.escape(name), text):
        out.append(re.findall(r'"([^"]*)"', m.group(1)))
    return out

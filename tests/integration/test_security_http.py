"""Security test of the HTTP transport (issue 18, docs/security.md "HTTP"):
no client can stall the API, and nothing on the wire reaches what it must
not.

`gfi-aggregator http` runs on a free port on 127.0.0.1 with a static_dir
holding a page, a dotfile, a dot-directory and a symbolic link to a
directory outside it at depth 2. Clients bind their own loopback addresses
(127.0.0.2 and up) so the server sees them as different clients.
  - security headers on a page, an API answer and an error;
  - HEAD / answers exactly GET /'s status and headers, without the body;
  - no file through a symlinked directory at depth 2, no dotfile;
  - a %0A in a URL gives one log line, with \\x0a;
  - 50 wrong tokens from one address: 401 up to the limit, then 429 with
    Retry-After (a good token too, from there; not from another address),
    each failure logged with the address;
  - Content-Length with Transfer-Encoding, two different Content-Lengths:
    400;
  - max_connections_per_ip: the address's next connection is closed, another
    address is served;
  - a client sending its head one byte every 0.5 s is closed at
    head_timeout_s (libmicrohttpd's idle timeout alone never would);
  - 100 such clients from 127.0.0.2..127.0.0.101, reconnecting when closed,
    against the default limits (64 connections): at least 39 of 40 health
    checks from 127.0.0.1 answered within 1 s (2 s in the sanitizer build;
    bench/slow_clients.py measures the Release build).
The server must exit 0 on SIGTERM at the end (ASan/LSan report there).
"""
import http.client
import os
import re
import socket
import subprocess
import time

import gfitest
from gfitest import ok
from gfitest.slowhttp import (SlowFlood, exchange, health_checks, health_once,
                              start_http)

AGG = os.environ.get("GFI_AGGREGATOR", "gfi-aggregator")
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def sanitized():
    """Whether GFI_BUILD_DIR is the ASan/UBSan build (slower answers)."""
    cache = os.path.join(os.environ.get("GFI_BUILD_DIR", ""), "CMakeCache.txt")
    try:
        with open(cache) as f:
            return "GFI_SANITIZE:BOOL=ON" in f.read()
    except OSError:
        return False


def request(port, method, path, src="127.0.0.1", headers=None):
    """(status, {header: value}, body) over http.client from address src."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                   source_address=(src, 0))
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def raw_status(port, data, src="127.0.0.1"):
    """The status code the server answers bytes data with (0: none)."""
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", exchange(port, data, b"\r\n", 10, src))
    return int(m.group(1)) if m else 0


def make_static(P):
    """www/ with a page, a file at depth 2, a dotfile, a dot-directory and
    a/link -> a directory outside www holding a secret."""
    www, out = P.path("www"), P.path("outside")
    for d in (www, out, www + "/a", www + "/a/real", www + "/.git"):
        os.mkdir(d)
    files = {"www/index.html": "<!doctype html><title>gfi</title>",
             "www/a/real/f.txt": "depth two", "www/.env": "SECRET=1",
             "www/.git/config": "[core]", "outside/secret.txt": "outside"}
    for name, text in files.items():
        with open(P.path(name), "w") as f:
            f.write(text)
    os.symlink(out, www + "/a/link")
    os.symlink(out + "/secret.txt", www + "/top.txt")
    return www


def check_headers(port):
    for path, what in [("/", "a page"), ("/api/v1/health", "an API answer"),
                       ("/api/v1/units", "a 401")]:
        st, h, _ = request(port, "GET", path)
        missing = {k: h.get(k) for k, v in SECURITY_HEADERS.items() if h.get(k) != v}
        csp = [d.strip() for d in h.get("Content-Security-Policy", "").split(";")]
        ok(not missing and "default-src 'self'" in csp and
           "frame-ancestors 'none'" in csp and
           not any(d.startswith("script-src") for d in csp),
           "security headers on %s (%d): missing %s, CSP %s" % (what, st, missing, csp))


def check_head(port):
    gst, gh, gbody = request(port, "GET", "/")
    hst, hh, hbody = request(port, "HEAD", "/")
    gh.pop("Date", None)
    hh.pop("Date", None)
    ok(gst == 200 and hst == 200 and hh == gh and hbody == b"" and
       gbody.startswith(b"<!doctype html>"),
       "HEAD / = GET / minus the body: %d %s / %d %s" % (hst, hh, gst, gh))


def check_static(port):
    st, _, body = request(port, "GET", "/a/real/f.txt")
    ok(st == 200 and body == b"depth two", "a file at depth 2 is served: %d" % st)
    for path in ["/a/link/secret.txt", "/top.txt", "/.env", "/.git/config",
                 "/a/%2e%2e/.env", "/a/./real/f.txt"]:
        st, _, body = request(port, "GET", path)
        ok(st == 404 and b"outside" not in body and b"SECRET" not in body,
           "%s not served: %d %r" % (path, st, body[:60]))
        st, _, _ = request(port, "HEAD", path)
        ok(st == 404, "HEAD %s: 404 (%d)" % (path, st))


def check_log_escape(P, port, log):
    st, _, _ = request(port, "GET", "/api/v1/x%0Aforged%20line%0D%1B")
    ok(st == 404, "URL with %%0A: 404 (%d)" % st)
    text = gfitest.wait_for(lambda: (lambda t: t if "forged" in t else None)(
        P.log(log)), 10, "the log line")
    lines = [l for l in text.split("\n") if "forged" in l]
    ok(len(lines) == 1 and "/api/v1/x\\x0aforged line\\x0d\\x1b" in lines[0],
       "one log line, control characters as \\xNN: %r" % lines)


def check_throttle(P, port, token, log):
    bad = "Bearer " + "0" * 64
    seen = []
    for _ in range(50):
        st, h, _ = request(port, "GET", "/api/v1/units", "127.0.0.50",
                           {"Authorization": bad})
        seen.append((st, h.get("Retry-After")))
    n401 = sum(1 for st, _ in seen if st == 401)
    ok(10 <= n401 <= 11 and all(st == 401 for st, _ in seen[:10]) and
       all(st == 429 and ra is not None and int(ra) >= 1 for st, ra in seen[n401:]),
       "50 wrong tokens from one address: 401 x10 then 429 with Retry-After: %s" % seen)
    st, _, _ = request(port, "GET", "/api/v1/units", "127.0.0.50",
                       {"Authorization": "Bearer " + token})
    ok(st == 429, "a good token from the throttled address: 429, unchecked (%d)" % st)
    st, _, _ = request(port, "GET", "/api/v1/units", "127.0.0.51",
                       {"Authorization": "Bearer " + token})
    ok(st == 200, "another address is not throttled (%d)" % st)
    st, _, _ = request(port, "GET", "/api/v1/units", "127.0.0.51",
                       {"Authorization": bad})
    ok(st == 401, "another address's wrong token: 401 (%d)" % st)
    text = P.log(log)
    fails = re.findall(r"authentication failed: client=(\S+)", text)
    ok(fails.count("127.0.0.50") == n401 and fails.count("127.0.0.51") == 1,
       "each failure logged with its address: %s" % fails[:20])


def check_framing(port):
    head = b"POST /api/v1/spotchecks HTTP/1.1\r\nHost: gfi\r\n"
    st = raw_status(port, head + b"Content-Length: 5\r\nTransfer-Encoding: "
                    b"chunked\r\n\r\n0\r\n\r\n", "127.0.0.40")
    ok(st == 400, "Content-Length with Transfer-Encoding: 400 (%d)" % st)
    st = raw_status(port, head + b"Content-Length: 2\r\nContent-Length: 3\r\n"
                    b"\r\n{}x", "127.0.0.41")
    ok(st == 400, "two different Content-Lengths: 400 (%d)" % st)
    st = raw_status(port, head + b"Transfer-Encoding: chunked\r\n"
                    b"Content-Length: 2\r\n\r\n{}", "127.0.0.42")
    ok(st == 400, "Transfer-Encoding then Content-Length: 400 (%d)" % st)


def closed_within(sock, seconds):
    """Seconds until the server closed sock (it drips a byte every 0.5 s),
    or None when still open after seconds."""
    t0 = time.monotonic()
    sock.settimeout(0.5)
    while time.monotonic() - t0 < seconds:
        try:
            sock.send(b"a")
            if sock.recv(4096) == b"":
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - t0
    return None


def check_per_ip(port, cap):
    socks = [socket.create_connection(("127.0.0.1", port), timeout=5,
                                      source_address=("127.0.0.60", 0))
             for _ in range(cap + 1)]
    try:
        t = closed_within(socks[-1], 3)
        ok(t is not None, "connection %d from one address closed at once" % (cap + 1))
        ok(all(closed_within(s, 0.2) is None for s in socks[:cap]),
           "the first %d stay open" % cap)
        ok(health_once(port, 5, "127.0.0.61") is not None,
           "another address is served meanwhile")
    finally:
        for s in socks:
            s.close()


def check_head_deadline(port, deadline_s):
    with socket.create_connection(("127.0.0.1", port), timeout=5,
                                  source_address=("127.0.0.70", 0)) as s:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: gfi\r\nX-Slow: ")
        t = closed_within(s, deadline_s + 5)
    ok(t is not None and deadline_s - 0.5 <= t <= deadline_s + 2,
       "a head sent one byte every 0.5 s is closed at head_timeout_s=%d: %s"
       % (deadline_s, t))


def check_config(P, store):
    """The new keys are range-checked, each refusal naming its field."""
    for key, value in [("head_timeout_s", 0), ("max_connections_per_ip", 0),
                       ("auth_failures_per_min", 10001)]:
        cfg = P.write_json("bad-%s.json" % key, {"store": store,
                                                 "http": {"port": 8080, key: value}})
        r = subprocess.run([AGG, "http", "--config", cfg], capture_output=True,
                           text=True, timeout=30)
        ok(r.returncode != 0 and r.stderr.startswith("http.%s:" % key),
           "http.%s=%s refused naming it: %s" % (key, value, r.stderr.strip()))


def check_flood(P, store):
    bound = 2.0 if sanitized() else 1.0
    srv, port = start_http(P, "flood", store, {})
    flood = SlowFlood(port, 100, period=0.5, seconds=90).start()
    try:
        gfitest.wait_for(lambda: flood.connects >= 100, 10, "100 slow clients")
        # Let the flood fill every slot and its refused clients come back.
        time.sleep(2)
        took = health_checks(port, 40, bound)
    finally:
        flood.stop()
    answered = [t for t in took if t is not None]
    print("slow clients: %d of 40 health checks answered within %.0f s, slowest "
          "%.3f s" % (len(answered), bound, max(answered or [0])), flush=True)
    ok(len(answered) >= 39,
       "100 slow clients: %d of 40 health checks answered within %.0f s "
       "(slowest %.3f s, %d slow connections made)"
       % (len(answered), bound, max(answered or [0]), flood.connects))
    ok(gfitest.wait_for(lambda: health_once(port, 2) is not None, 10, "calm"),
       "answers after the flood")
    return srv


def main():
    with gfitest.Procs() as P:
        store = P.path("gfi.db")
        gfitest.run_ok([AGG, "admin", "--store", store, "county", "add",
                        "--code", "350102", "--name", "Gulou"])
        token = gfitest.run_ok([AGG, "token", "add", "--store", store, "--role",
                                "city", "--name", "ops"]).strip()
        check_config(P, store)
        www = make_static(P)
        srv, port = start_http(P, "http", store, {
            "static_dir": www, "max_connections_per_ip": 4, "head_timeout_s": 3,
            "auth_failures_per_min": 10})
        check_headers(port)
        check_head(port)
        check_static(port)
        check_log_escape(P, port, "http.log")
        check_throttle(P, port, token, "http.log")
        check_framing(port)
        check_per_ip(port, 4)
        check_head_deadline(port, 3)
        rc = P.stop(srv)
        ok(rc == 0, "SIGTERM: exit 0 (%s): %s" % (rc, P.log("http.log")[-1500:]))
        flood = check_flood(P, store)
        rc = P.stop(flood)
        ok(rc == 0, "SIGTERM after the flood: exit 0 (%s): %s"
           % (rc, P.log("flood.log")[-1500:]))
    gfitest.finish("security_http")


if __name__ == "__main__":
    main()

"""Helpers of issue 18's fault and security tests (not a test itself):
a City with its broker and a started gfi-aggregator whose gateways are
registered, and the publish-to-stored time of one good batch."""
import json
import time

import gfitest as g
import test_ingest_reject as R


def city_with(P, gateways, points, quarantine=None):
    """A City with its broker, an Aggregator (with the config section
    quarantine, if given) registering every gateway of gateways with points
    [(meter, point, quantity)], started; hand-made R.Gateway clients.
    Returns (agg, {gw: R.Gateway})."""
    city = g.City(P)
    certs = {gw: city.enroll(gw) for gw in gateways}
    city.start_broker()
    agg = g.Aggregator(city)
    if quarantine is not None:
        with open(agg.config) as f:
            cfg = json.load(f)
        cfg["quarantine"] = quarantine
        with open(agg.config, "w") as f:
            json.dump(cfg, f)
    agg.register_unit()
    for gw, (key, _) in certs.items():
        agg.register_gateway(gw, key, points)
    agg.start()
    return agg, {gw: R.Gateway(P, city, gw, key, crt) for gw, (key, crt) in certs.items()}


def store_time(agg, gw, timeout=20):
    """Publish gw's next good batch; seconds until it is stored (99: never)."""
    gw.publish(gw.next_good())
    t0 = time.monotonic()
    try:
        g.wait_for(lambda: agg.head(gw.gw) == gw.seq, timeout, "batch stored", 0.01)
    except RuntimeError:
        pass
    return time.monotonic() - t0 if agg.head(gw.gw) == gw.seq else 99

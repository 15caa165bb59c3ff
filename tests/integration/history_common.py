"""What the issue 17 tests (test_history_*.py) share: an agent of one
Eastron meter E1 on the simulator's TCP line, polled every second, with a
small batch so a few seconds give several batches."""
import gfitest as g


def agent_config(P, city, gw, key, crt, port, name, points, data="data"):
    """The agent's config file agent-<name>.json: gateway gw with key/crt,
    queue in data_dir P.path(data)."""
    return P.write_json("agent-%s.json" % name, {
        "gateway_id": gw, "data_dir": P.path(data), "profiles_dir": g.PROFILES,
        "lines": [{"id": "lan", "type": "tcp", "host": "127.0.0.1", "port": port}],
        "meters": [{"id": "E1", "line": "lan", "slave": 1, "profile": "eastron-sdm630",
                    "interval_s": 1, "points": points}],
        "uplink": city.uplink_config(key, crt, batch_readings=8, max_inflight=4,
                                     ack_timeout_s=5, keepalive_s=5, status_interval_s=5,
                                     reconnect_min_ms=200, reconnect_max_ms=1000)})


def run_agent(P, cfg, log, until, what):
    """Run gfi-agent on cfg until until() holds (60 s at most); running."""
    agent = P.start([g.AGENT, "run", "--config", cfg, "--log-level", "debug"], log)
    g.wait_for(until, 60, what, step=0.3)
    return agent


def start_sim(P, seed):
    """gfi-meter-sim with E1 on one TCP line: its port."""
    _, listeners, _ = P.start_sim({
        "seed": seed, "profiles_dir": g.PROFILES,
        "tcp": [{"id": "t1", "host": "127.0.0.1", "port": 0, "meters": [
            {"id": "E1", "slave": 1, "profile": "eastron-sdm630"}]}]})
    return listeners["t1"]


def city_with_gateway(P, gw, points):
    """The city's PKI and broker, gateway gw enrolled and registered with
    points [(meter, point, quantity)] in the aggregator's unit, the
    aggregator not yet started: (city, key, crt, agg)."""
    city = g.City(P)
    key, crt = city.enroll(gw)
    city.start_broker()
    agg = g.Aggregator(city)
    agg.register_unit()
    agg.register_gateway(gw, key, points)
    return city, key, crt, agg

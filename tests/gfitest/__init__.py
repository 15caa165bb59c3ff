"""Helpers for gfi's Python tests and benchmarks: real servers on free ports,
stopped by PID, and ordinary assertions.

Every test starts what it needs (gfi-meter-sim over TCP, over RTU on a socat
pty pair, Mosquitto with mutual TLS, gfi-aggregator, gfi-agent), waits for
readiness by polling (never a bare sleep), and stops each process by its PID
at the end, also when the test fails. Importable as `import gfitest` with
PYTHONPATH=<source>/tests, which CTest sets for every test and benchmark.

Modules, by concern: assertions (ok, check, finish), paths (the programs
under test), procs (Procs, wait_for, run_ok, free_port), sim (the
simulator's truth, profiles), agent (agent reads, its queue and log), city
(PKI, broker, FakeAggregator), aggregator (the real one, credit codes,
reference rollups), faults (TcpProxy, FaultRig), security (store snapshots
and hostile strings for test_security_*). The names below are the API the
tests use.
"""
from .agent import (STATUS_NAMES, P_count, agent_read, committed_polls,
                    poll_runs, queue_rows, status_text)
from .aggregator import Aggregator, credit_code, rollup_reference
from .assertions import check, checks_passed, finish, ok
from .city import City, FakeAggregator, MultiCity
from .faults import FAULT_METERS, FAULT_POINTS, FaultRig, TcpProxy
from .paths import (AGENT, AGGREGATOR, PKI_SH, PROFILES, RENDER_SH, SIM,
                    SOURCE)
from .procs import Procs, free_port, run_ok, wait_for
from .sim import Truth, counter_points, load_profile, profile_ids, sim_truth

__all__ = [
    "AGENT", "AGGREGATOR", "Aggregator", "City", "FAULT_METERS", "FAULT_POINTS",
    "FakeAggregator", "FaultRig", "MultiCity", "PKI_SH", "PROFILES", "P_count",
    "Procs", "RENDER_SH", "SIM", "SOURCE", "STATUS_NAMES", "TcpProxy", "Truth",
    "agent_read", "check", "checks_passed", "committed_polls", "counter_points",
    "credit_code", "finish", "free_port", "load_profile", "ok", "poll_runs",
    "profile_ids", "queue_rows", "rollup_reference", "run_ok", "sim_truth",
    "status_text", "wait_for",
]

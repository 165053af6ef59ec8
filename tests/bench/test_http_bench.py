"""The HTTP benchmark reads wrk's report rightly and refuses a run that an error page would have flattered.

The benchmark itself needs wrk, PostgreSQL and minutes of load; what it concludes rests on this parsing, which
is checked here without either.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

REPORT = """Running 3s test @ http://127.0.0.1:40000/admin/applications/
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    40.12ms   10.00ms 120.00ms   70.00%
    Req/Sec    100.00     10.00   120.00     70.00%
  Latency Distribution
     50%   38.50ms
     75%   45.00ms
     90%   55.00ms
     99%  100.00ms
  600 requests in 3.00s, 30.00MB read
Requests/sec:    199.80
Transfer/sec:     10.00MB
"""


@pytest.fixture(scope="module")
def http_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("http_bench_under_test", BENCH / "http_bench.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    saved = list(sys.path)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved  # the script puts the repository and bench/ first; the tests' path stays theirs
    return module


def test_reads_the_median_the_rate_and_the_bytes(http_bench: ModuleType) -> None:
    run = http_bench.parse_wrk(REPORT)
    assert run.requests == 600
    assert run.per_second == pytest.approx(199.8)
    assert run.median_ms == pytest.approx(38.5)
    assert run.bytes_per_request == pytest.approx(30 * 1024 * 1024 / 600)


def test_microseconds_are_read_as_such(http_bench: ModuleType) -> None:
    run = http_bench.parse_wrk(REPORT.replace("     50%   38.50ms", "     50%  412.00us"))
    assert run.median_ms == pytest.approx(0.412)


@pytest.mark.parametrize(
    "line", ["  Non-2xx or 3xx responses: 12", "  Socket errors: connect 0, read 3, write 0, timeout 0"]
)
def test_a_run_with_errors_is_refused(http_bench: ModuleType, line: str) -> None:
    with pytest.raises(RuntimeError, match="errors"):
        http_bench.parse_wrk(REPORT.replace("Requests/sec:", f"{line}\nRequests/sec:"))


def test_the_targets_point_the_right_way(http_bench: ModuleType) -> None:
    latency, throughput = http_bench.MEASURES[0], http_bench.MEASURES[1]
    assert latency.met(4.9) and not latency.met(5.1)
    assert throughput.met(0.26) and not throughput.met(0.24)

"""Every benchmark in ``bench/`` runs as ``docs/benchmarks.md`` says, on fresh databases, and cleans up after itself.

The figures are the benchmarks' business and are not checked here (a test on this shared machine cannot time
anything fairly); what is checked is what broke before without anyone noticing: a script that no longer ran
against the current schema (the scheduler's, after a migration made a column NOT NULL). Each script runs at a
tiny size, as its own process with the documented command line, and must finish, print its report and leave no
database of its own behind.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import unavailable

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]

#: script, its arguments at a tiny size, and a line of the report it must print (a regular expression).
SCRIPTS = [
    ("dstu_bench.py", ["--rounds", "1", "--megabytes", "0.05", "--verifications", "1"],
     r"DSTU 4145 m=257: verifications/s [\d.]+"),
    ("dstu_pdf_bench.py", ["--rounds", "1", "--files", "1"], r"DSTU / ECDSA: +[\d.]+×"),
    ("signatures_bench.py", ["--count", "3", "--rounds", "1"], r"Verifier, isolated worker +[\d.]+"),
    ("scheduler_bench.py", ["--sizes", "2000", "3000", "--rounds", "1"],
     r"ratio tick 3,000 / 2,000, paired rounds: [\d.]+"),
    ("intake_bench.py", ["--count", "20", "--backend", "both", "--rounds", "1", "--big-mb", "1"],
     r"postgresql +1 rounds: +[\d.]+ msg/s .*, poll and lanes together +[\d.]+ MB .*, "
     r"in memory, each page once(, +[\d.]+ MB|: not readable)"),
    ("redemption_bench.py", ["--rounds", "1", "--codes", "2", "--seconds", "0.5"], r"redemptions / bare: +[\d.]+"),
    ("registration_bench.py", ["--seconds", "0.5", "--codes", "2"], r"usual / bare hashes: +[\d.]+x"),
    ("queue_bench.py", ["--rows", "2000", "--repeat", "2", "--number", "1"], r"\| exact EDRPOU search \| [\d.]+"),
    ("scaling_bench.py", ["--rows", "1000", "--rounds", "1", "--seconds", "1", "--workers", "1", "--connections", "1"],
     r"\| customer: cabinet /account \| 1 \| 1 \| \d+"),
    ("worker_memory.py", ["--requests", "10"], r"worker \d+: VmRSS [\d.]+ MiB"),
]


@pytest.fixture(scope="module")
def server() -> str:
    """The PostgreSQL server the suite runs on, as the benchmarks' ``BACKOFFICE_TEST_PG_URL`` names one."""
    url = os.environ.get("BACKOFFICE_TEST_DATABASE_URL", "")
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def _bench_databases(server: str) -> set[str]:
    engine = create_engine(server)
    try:
        with engine.connect() as conn:
            names = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'backoffice_bench%'"))
            return set(names.scalars())
    finally:
        engine.dispose()


def _run(script: str, args: list[str], server: str) -> str:
    env = {**os.environ, "BACKOFFICE_TEST_PG_URL": server}
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _http_and_the_tools_that_reuse_its_fill(server: str) -> str:
    """``http_bench.py --keep`` leaves its fill for ``gc_bench.py``, ``http_profile.py`` (py-spy, from the test
    lock) and ``description_bench.py``, as the doc runs them; the fill is dropped here afterwards. Returns what
    went wrong, or ""."""
    try:
        out = _run("http_bench.py", ["--rows", "1000", "--rounds", "1", "--seconds", "1", "--keep"], server)
    except AssertionError as exc:
        return str(exc)
    kept = re.search(r"--database (backoffice_bench_\w+)", out)
    if not kept:
        return f"http_bench.py --keep named no database:\n{out[-2000:]}"
    try:
        if not re.search(r'\| queue page "my work", one client \| [\d.]+', out):
            return f"http_bench.py printed no figure for the queue page:\n{out[-2000:]}"
        served_floor = re.search(r"floor page /company: [\d,]+ bytes, a token and a session of its own", out)
        if not served_floor or not re.search(r"\| GET /company, 8 clients \| \d+ \(", out):
            return f"http_bench.py did not serve and measure the form's floor:\n{out[-2000:]}"
        if not re.search(r"\| worker \| [\d.]+", _run("gc_bench.py", ["--database", kept[1], "--pages", "20",
                                                                      "--rounds", "1"], server)):
            return "gc_bench.py printed no figure for the worker's setting"
        if not re.search(r"\d+\.\d %", _run("http_profile.py", ["--database", kept[1], "--seconds", "2", "--top", "5"],
                                              server)):
            return "http_profile.py printed no share"
        if not re.search(r"exact EDRPOU search: .* ratio [\d.]+", _run("description_bench.py", [
                "--database", kept[1], "--rounds", "4"], server)):
            return "description_bench.py printed no ratio"
        return ""
    except AssertionError as exc:
        return str(exc)
    finally:
        engine = create_engine(server, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{kept[1]}" WITH (FORCE)'))
        finally:
            engine.dispose()


def test_every_benchmark_runs_as_documented_and_drops_its_databases(server: str) -> None:
    """One after another in one test, so that no other benchmark's database is about while each is checked for
    leftovers (the suite's test workers would otherwise run two at once). Every script is run; the failures are
    reported together."""
    failures = []
    for script, args, report in SCRIPTS:
        before = _bench_databases(server)
        try:
            out = _run(script, args, server)
        except AssertionError as exc:
            failures.append(str(exc))
            continue
        if not re.search(report, out):
            failures.append(f"{script} printed no report line like {report!r}:\n{out[-2000:]}")
        if left := _bench_databases(server) - before:
            failures.append(f"{script} left its database behind: {sorted(left)}")
    if not shutil.which("wrk"):
        assert not failures, "\n\n".join(failures)
        unavailable("wrk (Debian's package), the HTTP benchmarks' load generator")
    before = _bench_databases(server)
    if problem := _http_and_the_tools_that_reuse_its_fill(server):
        failures.append(problem)
    if left := _bench_databases(server) - before:
        failures.append(f"the HTTP benchmarks left a database behind: {sorted(left)}")
    assert not failures, "\n\n".join(failures)

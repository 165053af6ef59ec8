"""Benchmark: requests per second of the product with 1, 2 and 4 web workers, and PostgreSQL's share of the CPU.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, or BACKOFFICE_TEST_PG_URL; ``wrk`` on the PATH):

    .venv/bin/python bench/scaling_bench.py [--rows 100000 | --database NAME] [--rounds 3] [--seconds 3]
        [--workers 1,2,4] [--connections 1,4,16]

* The product is served as ``backoffice serve`` serves it: gunicorn with ``deploy/gunicorn.conf.py`` and the
  ``[server]`` defaults (gthread workers of four threads, keep-alive, access log), rate limits on; only
  ``workers`` changes (``BACKOFFICE_SERVER_WORKERS``). A fresh server is started for each worker count in each
  round, and the order of the worker counts rotates from round to round.
* The data: ``bench/queue_bench.py``'s fill (``--rows``, default 100,000 applications), plus one customer who
  redeems a code over HTTP for the cabinet page.
* Three pages, each loaded by wrk at each of ``--connections`` keep-alive connections for ``--seconds``: a
  customer's page (``GET /company``, the form, no session), the operator's queue ("my work",
  ``/admin/applications/`` as operator ``op7``) and the customer's cabinet (``/account``, logged in). Every run
  is checked (no error answer, no socket error, at least the page's bytes a response).
* For each run: requests/s, median and 99th-percentile latency (wrk ``--latency``), the CPU the server used
  (master and workers, in cores: CPU seconds divided by the run's seconds) and the CPU of the PostgreSQL backends
  serving this database (from ``/proc/<pid>/stat`` of the backends ``pg_stat_activity`` lists for it), in cores
  and as a share of the two together. The client (wrk) runs on the same machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

TICK = os.sysconf("SC_CLK_TCK")
PAGES = (("customer: GET /company", "/company", "none"),
         ('operator: queue "my work"', "/admin/applications/", "operator"),
         ("customer: cabinet /account", "/account", "customer"))


def ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def backends(engine, name: str) -> set[int]:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with engine.connect() as conn:
        return set(conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :n AND pid <> "
                                     "pg_backend_pid()"), {"n": name}))


def wrk_run(port: int, pid: int, path: str, connections: int, seconds: int, cookie: str | None,
            engine, name: str, size: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from http_bench import cpu_seconds, parse_wrk

    command = ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s", "--latency",
               "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    pg_before = {p: ticks(p) for p in backends(engine, name)}
    cpu_before, started = cpu_seconds(pid), time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.monotonic() - started
    server = cpu_seconds(pid) - cpu_before
    pg = sum(ticks(p) - pg_before.get(p, 0) for p in backends(engine, name) | set(pg_before)) / TICK
    run = parse_wrk(done.stdout)
    if run.bytes_per_request < size:
        raise RuntimeError(f"{path}: {run.bytes_per_request:.0f} bytes a response, the page has {size}")
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", done.stdout, re.M)
    assert p99
    return {"rps": run.per_second, "p50": run.median_ms,
            "p99": float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[p99.group(2)],
            "server": server / wall, "pg": pg / wall}


def customer_cookie(url: str, folder: Path) -> tuple[str, str]:
    """One customer with an account: an application with a code, redeemed over HTTP; its session cookie."""
    from http_bench import CSRF, SECRET, fetch, gunicorn
    from registration_bench import PASSWORD
    from sqlalchemy import select, text

    from backoffice import settings as settings_module
    from backoffice.applications import codes
    from backoffice.applications.models import RegistrationCode
    from backoffice.database import Database
    from backoffice.staff.models import ServiceCenter
    from tests.factories import Factory
    from workflows.accession import AccessionState

    settings = settings_module.load(
        REPO / "config.toml",
        environ={"BACKOFFICE_SECRET_KEY": SECRET, "BACKOFFICE_CODE_KEY": SECRET},
        overrides={"database": {"url": url}, "site": {"instance_dir": str(folder / "instance")}},
    )
    db = Database(url)
    with db.sessions() as session:  # the fill writes its ids itself: move the sequences past them
        columns = session.execute(text(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND (column_default LIKE 'nextval%' OR is_identity = 'YES')")).all()
        for table, column in columns:
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                                 f"coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"))
        session.commit()
        center = session.scalars(select(ServiceCenter).order_by(ServiceCenter.id)).first()
        app = Factory(session, settings).application(AccessionState.CODE_ISSUED, center=center)
        row = session.scalars(select(RegistrationCode).where(RegistrationCode.application_id == app.id)).one()
        code, identifier = codes.derive(SECRET, row.nonce), app.identifier
        session.commit()
    db.dispose()
    with gunicorn("backoffice.wsgi:app", url, folder, "setup") as (port, _pid):
        status, page, cookie = fetch(port, "GET", "/company")
        token = CSRF.search(page.decode())
        assert status == 200 and token
        body = (f"csrf_token={token.group(1)}&code={code}&identifier={identifier}&login=scaling.customer"
                f"&password={PASSWORD}&password_again={PASSWORD}")
        status, _page, session = fetch(port, "POST", "/company", cookie, body)
        assert status == 302 and session, status
    return session, "scaling.customer"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--rows", type=int, default=100_000)
    group.add_argument("--database", help="a database filled before (queue_bench.py --keep)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--connections", default="1,4,16")
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    connections = [int(c) for c in args.connections.split(",")]
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    from http_bench import fetch, gunicorn, load, log_in, machine, spread
    from queue_bench import PASSWORD as STAFF_PASSWORD
    from queue_bench import bench_database
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    folder = Path(tempfile.mkdtemp(prefix="scaling-bench-"))
    results: dict[tuple[int, str, int], list[dict[str, float]]] = defaultdict(list)
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {machine()}, RAM {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB")
    try:
        with bench_database(args.database, args.rows) as url:
            name = make_url(url).database
            engine = create_engine(url)
            customer, _login = customer_cookie(url, folder)
            print(f"load average before: {load()}", flush=True)
            for turn in range(args.rounds):
                order = workers[turn % len(workers):] + workers[: turn % len(workers)]
                for count in order:
                    os.environ["BACKOFFICE_SERVER_WORKERS"] = str(count)
                    with gunicorn("backoffice.wsgi:app", url, folder, f"w{count}") as (port, pid):
                        cookies = {"none": None, "operator": log_in(port, STAFF_PASSWORD), "customer": customer}
                        for _label, path, who in PAGES:
                            status, page, _set = fetch(port, "GET", path, cookies[who] or "")
                            assert status == 200, (path, status)
                            wrk_run(port, pid, path, max(connections), 1, cookies[who], engine, name, len(page))
                            for c in connections:
                                results[(count, path, c)].append(
                                    wrk_run(port, pid, path, c, args.seconds, cookies[who], engine, name, len(page)))
                    print(f"  round {turn + 1}, {count} worker(s) done, load {load()}", flush=True)
            engine.dispose()
    finally:
        os.environ.pop("BACKOFFICE_SERVER_WORKERS", None)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"load average after: {load()}")
    print(f"{args.rounds} rounds of {args.seconds} s per run; median (lowest–highest) of the rounds; "
          "CPU in cores (the machine has {0})".format(os.cpu_count()))
    print("| page | workers | connections | requests/s | p50 ms | p99 ms | server CPU | PostgreSQL CPU | PG share |")
    print("|---|---:|---:|---|---|---|---|---|---|")
    for label, path, _who in PAGES:
        for count in workers:
            for c in connections:
                runs = results[(count, path, c)]
                share = [r["pg"] / (r["pg"] + r["server"]) * 100 for r in runs]
                print(f"| {label} | {count} | {c} | {spread([r['rps'] for r in runs], 0)} "
                      f"| {spread([r['p50'] for r in runs], 1)} | {spread([r['p99'] for r in runs], 1)} "
                      f"| {spread([r['server'] for r in runs], 2)} | {spread([r['pg'] for r in runs], 2)} "
                      f"| {statistics.median(share):.0f} % |")


if __name__ == "__main__":
    main()

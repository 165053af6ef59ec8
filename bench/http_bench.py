"""Benchmark: the product's pages over HTTP against a bare Flask page, both served by the production server.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, or BACKOFFICE_TEST_PG_URL; ``wrk`` on the PATH,
Debian's package ``wrk``):

    .venv/bin/python bench/http_bench.py [--rows 100000 | --database NAME] [--keep] [--rounds 5] [--seconds 3] \
        [--baseline DIR]      # DIR: git archive <commit> | tar -x -C DIR

What is compared with what, and why it is fair:

* **A, the product**: ``backoffice.wsgi:app`` served exactly as ``backoffice serve`` serves it: gunicorn with
  ``deploy/gunicorn.conf.py``, every value from ``[server]`` (by default two gthread workers of four threads,
  keep-alive, the access log and the product's log format), rate limits on and stored as configured (``memory://``
  by default). Nothing in the app is switched off or patched.
* **B, the baseline**: ``bench/bare_app.py``, one Flask route returning a small HTML page, served by the same
  gunicorn with the same configuration file, hence the same workers, threads, keep-alive and logging. Both
  servers run at the same time, on the same database settings, on ports of their own.
* **F, the floor**: ``bench/floor_app.py``, each page's own work and nothing else, served the same way: for the
  queue, the same "my work" statement in hand-written SQL through psycopg and the same fifty rows rendered by a
  small Jinja template (it must show the same applications as A's page, or the run stops); for ``/company``, A's
  own form page with a CSRF token of the visitor's own in a new signed session, as Flask-WTF makes one. It says
  how close to B any page doing this work can come, and how much of A's distance is the product's own machinery.
* **The load**: ``wrk``, a load generator outside Python, so that the client does not share the interpreter's
  limits with the server. The same request goes to A and to B: the same path and, for the queue, the same
  session cookie of a logged-in operator (logged in once over HTTP before the rounds).
* **Alternation**: every round runs each measure on A and on B (and F) one right after the other, each side
  taking each position in turn, so that the shared machine's busy moments fall on all alike. A ratio is taken
  within each round (the sides a few seconds apart) and the report gives the median and the range of the
  rounds' ratios, beside the medians and ranges of the absolute figures, which depend on the machine and are not
  the result.

* **P, the product before a change** (``--baseline DIR``, a checkout of another commit): that tree's product
  served by that tree's gunicorn configuration, in the same rounds and rotation, so that a change is measured
  against the code before it on the same machine at the same moments (after ÷ before, per round).

The measures: the operator's queue page ("my work", ``/admin/applications/``) at one client (median latency)
and at eight clients (requests per second); ``GET /company`` (the form the invitation links to, no session) at
eight clients and, for reference, at one. Each response is checked: wrk's count of non-2xx/3xx answers must be
nil, and the bytes read per request must match the page fetched before the rounds (a redirect to the login page
would otherwise pass as a fast answer).

The queue needs data: ``--rows N`` makes a throwaway database and fills it with ``bench/queue_bench.py``'s fill
(``--keep`` leaves it); ``--database NAME`` measures a database filled before, after migrating it.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

PG = os.environ.get("BACKOFFICE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-secret-key-" + "x" * 32
#: The operator of queue_bench's fill whose "my work" is measured (center 8), and the fill's password.
OPERATOR = "op7"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass(frozen=True)
class Measure:
    """One line of the report: a page, a number of clients, and the figure that counts for it."""

    name: str
    path: str
    clients: int
    logged_in: bool
    figure: str  # "latency" (median ms, lower is better) or "throughput" (requests/s, higher is better)
    target: float | None = None  # issue #20's bound on the ratio A/B, when it sets one
    floor: bool = False  # also served by bench/floor_app.py, the same page's work done plainly

    def met(self, ratio: float) -> bool:
        assert self.target is not None
        return ratio <= self.target if self.figure == "latency" else ratio >= self.target


MEASURES = (
    Measure('queue page "my work", one client', "/admin/applications/", 1, True, "latency", 5.0, floor=True),
    Measure('queue page "my work", 8 clients', "/admin/applications/", 8, True, "throughput", 0.25, floor=True),
    Measure("GET /company, 8 clients", "/company", 8, False, "throughput", 0.6, floor=True),
    Measure("GET /company, one client", "/company", 1, False, "latency", floor=True),
)


@dataclass
class Run:
    """What wrk said about one run."""

    requests: int
    per_second: float
    median_ms: float
    bytes_per_request: float
    cpu_ms: float = 0.0  # the server's CPU time (master and workers, user and system) per request


@dataclass
class Results:
    """Every run of one measure, by round, for A (the product), B (the bare page) and, for the queue, the floor."""

    product: list[Run] = field(default_factory=list)
    bare: list[Run] = field(default_factory=list)
    floor: list[Run] = field(default_factory=list)
    before: list[Run] = field(default_factory=list)  # the product of ``--baseline``


# -- wrk ---------------------------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def parse_wrk(output: str) -> Run:
    """The figures of wrk's ``--latency`` report; a run with error answers or socket errors is refused, since
    an error page is cheaper than the page and would flatter the product."""
    if "Non-2xx or 3xx responses" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk saw errors:\n{output}")
    median = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    total = re.search(r"^\s+(\d+) requests in [\d.]+\w+, ([\d.]+)(B|KB|MB|GB) read", output, re.M)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    if not (median and total and rate):
        raise RuntimeError(f"cannot read wrk's report:\n{output}")
    requests = int(total.group(1))
    return Run(
        requests=requests,
        per_second=float(rate.group(1)),
        median_ms=float(median.group(1)) * _UNITS[median.group(2)],
        bytes_per_request=float(total.group(2)) * _SIZES[total.group(3)] / max(requests, 1),
    )


def cpu_seconds(master: int) -> float:
    """CPU time used so far by a gunicorn master and its workers (``queue_bench.cpu_seconds``): on a shared
    machine it says whether a throughput ratio is the code's or the moment's."""
    from queue_bench import cpu_seconds as measured

    return measured(master)


def wrk(server: tuple[int, int], path: str, clients: int, seconds: int, cookie: str | None) -> Run:
    """Load one server: ``clients`` keep-alive connections for ``seconds``, one wrk thread per connection up to
    two (the machine this was written on has two cores, and a third thread would only take them from the
    server)."""
    command = ["wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    port, pid = server
    command.append(f"http://127.0.0.1:{port}{path}")
    before = cpu_seconds(pid)
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    run = parse_wrk(done.stdout)
    run.cpu_ms = (cpu_seconds(pid) - before) * 1000 / max(run.requests, 1)
    return run


# -- servers -----------------------------------------------------------------------------------------------------


def free_port() -> int:
    """A port nobody listens on, for a server of this run (several benchmarks may share the machine)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@contextmanager
def gunicorn(app: str, url: str, folder: Path, name: str, tree: Path = REPO) -> Iterator[tuple[int, int]]:
    """gunicorn as ``backoffice serve`` starts it (the same interpreter, ``deploy/gunicorn.conf.py``, the
    ``[server]`` settings) serving ``app``; yields its port and the master's pid, and stops it gracefully at the end.
    ``tree``: the checkout whose code and configuration file are served (another commit's, for ``--baseline``).

    Each server gets an instance folder of its own: the configuration empties the metrics folder in it at start,
    which would otherwise wipe the other server's files.
    """
    from backoffice.cli import GUNICORN_CONFIG

    config = tree / GUNICORN_CONFIG.relative_to(REPO)
    port = free_port()
    env = {
        **os.environ,
        "BACKOFFICE_SECRET_KEY": SECRET,
        "BACKOFFICE_CODE_KEY": SECRET,
        "BACKOFFICE_DATABASE_URL": url,
        "BACKOFFICE_SITE_INSTANCE_DIR": str(folder / f"instance-{name}"),
        "BACKOFFICE_SERVER_BIND": f"127.0.0.1:{port}",
        "PYTHONPATH": os.pathsep.join([str(tree), str(BENCH)]),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = (folder / f"gunicorn-{name}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(config), app],
        cwd=tree, env=env, stdout=log, stderr=log,
    )
    try:
        for _ in range(300):
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn {name} stopped: {folder / f'gunicorn-{name}.log'}")
            try:
                status, _body, _cookies = fetch(port, "GET", "/healthz")
                if status in (200, 404):  # the bare app has no /healthz, and any answer means it serves
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"gunicorn {name} did not start: {folder / f'gunicorn-{name}.log'}")
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def fetch(port: int, method: str, path: str, cookie: str = "", body: str | None = None) -> tuple[int, bytes, str]:
    """One request on a connection of its own: status, body and the cookies set, joined as a Cookie header."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        jar: SimpleCookie = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        return response.status, data, "; ".join(f"{k}={m.value}" for k, m in jar.items() if m.value)
    finally:
        connection.close()


def log_in(port: int, password: str) -> str:
    """The session cookie of the operator, got the way a browser gets it: the form, its CSRF token, the post."""
    status, page, cookie = fetch(port, "GET", "/staff/login")
    token = CSRF.search(page.decode())
    assert status == 200 and token, "no login form"
    form = urlencode({"login": OPERATOR, "password": password, "csrf_token": token.group(1)})
    status, _page, session = fetch(port, "POST", "/staff/login", cookie, form)
    assert status == 302 and session, f"bench login failed ({status})"
    return session


# -- the run -----------------------------------------------------------------------------------------------------


def spread(values: list[float], digits: int) -> str:
    """Median (lowest–highest), the form every figure of docs/benchmarks.md takes."""
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def machine() -> str:
    """The cores and the CPU model, for the report: absolute figures mean nothing without them."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model}"


def load() -> str:
    """The load average, before and after: the machine may be shared, and the reader must know how much."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def measure(url: str, rounds: int, seconds: int, baseline: Path | None = None) -> None:
    """The servers side by side, alternating, and the report."""
    from queue_bench import PASSWORD

    folder = Path(tempfile.mkdtemp(prefix="http-bench-"))
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"machine: {machine()}")
    print(f"load average before: {load()}")
    print(f"wrk: {subprocess.run(['wrk', '-v'], capture_output=True, text=True).stdout.splitlines()[0]}")
    try:
        with gunicorn("backoffice.wsgi:app", url, folder, "product") as product, \
                gunicorn("bare_app:app", url, folder, "bare") as bare, \
                gunicorn("floor_app:app", url, folder, "floor") as floor, \
                (gunicorn("backoffice.wsgi:app", url, folder, "before", baseline)
                 if baseline else nullcontext()) as before:
            cookie = log_in(product[0], PASSWORD)
            sizes: dict[tuple[str, str], int] = {}  # each side's own page, which a response must not fall short of
            for side, server in [("product", product), *([("before", before)] if baseline is not None else [])]:
                for path, logged_in in {(m.path, m.logged_in) for m in MEASURES}:
                    status, page, _set = fetch(server[0], "GET", path, cookie if logged_in else "")
                    assert status == 200, (side, path, status)
                    sizes[side, path] = len(page)
                    print(f"{side} page {path}: {len(page):,} bytes", flush=True)
            same_rows(product[0], floor[0], cookie)
            same_form(product[0], floor[0], folder)
            if baseline is not None:
                same_pages(product[0], before[0], cookie)
            for m in MEASURES:  # warm-up: every worker, its pool, caches and compiled statements
                extra = [before] if baseline is not None else []
                for server in [product, bare, *([floor] if m.floor else []), *extra]:
                    wrk(server, m.path, m.clients, 1, cookie if m.logged_in else None)
            results = {m: Results() for m in MEASURES}
            for turn in range(rounds):
                for i, m in enumerate(MEASURES):
                    sides = [("product", product), ("bare", bare)] + ([("floor", floor)] if m.floor else [])
                    sides += [("before", before)] if baseline is not None else []
                    # Each side in each position in turn: A B F, B F A, F A B, ...
                    shift = (turn + i) % len(sides)
                    for side, server in sides[shift:] + sides[:shift]:
                        run = wrk(server, m.path, m.clients, seconds, cookie if m.logged_in else None)
                        page = sizes.get((side, m.path))
                        if page is not None and run.bytes_per_request < page:
                            raise RuntimeError(f"{side} {m.path}: {run.bytes_per_request:.0f} bytes a response, "
                                               f"the page has {page} (a redirect or an error page?)")
                        getattr(results[m], side).append(run)
                print(f"  round {turn + 1}/{rounds} done, load {load()}", flush=True)
            status, _page, _set = fetch(product[0], "GET", "/admin/applications/", cookie)
            assert status == 200, f"the session did not last the run ({status})"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"load average after: {load()}")
    print(f"{rounds} rounds of {seconds} s per server and measure; median (lowest–highest) of the rounds")
    print("| measure | product | bare page | ratio product/bare | target | met |")
    print("|---|---|---|---|---|---|")
    for m, r in results.items():
        if m.figure == "latency":
            a, b = [x.median_ms for x in r.product], [x.median_ms for x in r.bare]
            unit, digits = "ms median latency", 2
        else:
            a, b = [x.per_second for x in r.product], [x.per_second for x in r.bare]
            unit, digits = "requests/s", 0
        ratios = [x / y for x, y in zip(a, b, strict=True)]
        if m.target is None:
            target, met = "—", "—"
        else:
            target = f"{'≤' if m.figure == 'latency' else '≥'} {m.target:g}×"
            met = "yes" if m.met(statistics.median(ratios)) else "**no**"
        print(f"| {m.name} ({unit}) | {spread(a, digits)} | {spread(b, digits)} | {spread(ratios, 2)}× "
              f"| {target} | {met} |")
    print("\nThe servers' CPU time per request (all processes, user and system), same rounds:")
    print("| measure | product, ms | bare page, ms | ratio product/bare |")
    print("|---|---|---|---|")
    for m, r in results.items():
        a, b = [x.cpu_ms for x in r.product], [x.cpu_ms for x in r.bare]
        ratios = [x / y for x, y in zip(a, b, strict=True)]
        print(f"| {m.name} | {spread(a, 2)} | {spread(b, 2)} | {spread(ratios, 1)}× |")
    print("\nThe floor (bench/floor_app.py: the same query and rows rendered plainly; the same form with its own "
          "session and token), same rounds:")
    print("| measure | floor | floor/bare | product/floor | floor CPU ms a request | product CPU / floor CPU |")
    print("|---|---|---|---|---|---|")
    for m, r in results.items():
        if not m.floor:
            continue
        figure = (lambda x: x.median_ms) if m.figure == "latency" else (lambda x: x.per_second)
        f, a, b = [figure(x) for x in r.floor], [figure(x) for x in r.product], [figure(x) for x in r.bare]
        over_bare = [x / y for x, y in zip(f, b, strict=True)]
        product_over = [x / y for x, y in zip(a, f, strict=True)]
        cpu = [x.cpu_ms for x in r.floor]
        cpu_ratio = [x.cpu_ms / y.cpu_ms for x, y in zip(r.product, r.floor, strict=True)]
        print(f"| {m.name} | {spread(f, 2 if m.figure == 'latency' else 0)} | {spread(over_bare, 2)}× "
              f"| {spread(product_over, 2)}× | {spread(cpu, 2)} | {spread(cpu_ratio, 1)}× |")
    if baseline is None:
        return
    print(f"\nThe product against the product before ({baseline}), same rounds:")
    print("| measure | before | after ÷ before | after ÷ bare | before ÷ bare | CPU a request, after ÷ before |")
    print("|---|---|---|---|---|---|")
    for m, r in results.items():
        figure = (lambda x: x.median_ms) if m.figure == "latency" else (lambda x: x.per_second)
        p, a, b = [figure(x) for x in r.before], [figure(x) for x in r.product], [figure(x) for x in r.bare]
        after_before = [x / y for x, y in zip(a, p, strict=True)]
        before_bare = [x / y for x, y in zip(p, b, strict=True)]
        after_bare = [x / y for x, y in zip(a, b, strict=True)]
        cpu_ratio = [x.cpu_ms / y.cpu_ms for x, y in zip(r.product, r.before, strict=True)]
        print(f"| {m.name} | {spread(p, 2 if m.figure == 'latency' else 0)} | {spread(after_before, 3)}× "
              f"| {spread(after_bare, 2)}× | {spread(before_bare, 2)}× | {spread(cpu_ratio, 3)}× |")


def same_rows(product: int, floor: int, cookie: str) -> None:
    """The floor must show the very applications the product's page shows, in the same order."""
    numbers = re.compile(r'<tr[^>]* data-number="([^"]+)"')
    status, ours, _set = fetch(product, "GET", "/admin/applications/", cookie)
    status_floor, plain, _set = fetch(floor, "GET", "/admin/applications/")
    assert status == status_floor == 200, (status, status_floor)
    shown, plainly = numbers.findall(ours.decode()), numbers.findall(plain.decode())
    assert shown and shown == plainly, ("the floor shows other rows", shown[:3], plainly[:3])
    print(f"floor page: {len(plain):,} bytes, the same {len(shown)} applications", flush=True)


def same_form(product: int, floor: int, folder: Path) -> None:
    """The floor's form is the product's page (saved for it, token left out), with a token and a session of its own."""
    _status, page, _set = fetch(product, "GET", "/company")
    text = page.decode()
    token = CSRF.search(text)
    assert token, "no CSRF token in the product's form"
    from floor_app import TOKEN

    (folder / "company.html").write_text(text.replace(token.group(1), TOKEN))
    status, plain, session = fetch(floor, "GET", "/company")
    mine = CSRF.search(plain.decode())
    assert status == 200 and session and mine and mine.group(1) != token.group(1), "the floor's form has no token"
    assert abs(len(plain) - len(page)) < 100, ("the floor's form is another page", len(plain), len(page))
    print(f"floor page /company: {len(plain):,} bytes, a token and a session of its own", flush=True)


def same_pages(product: int, before: int, cookie: str) -> None:
    """The tree before must serve the same queue (the same applications in the same order) to the same session."""
    numbers = re.compile(r'<tr[^>]* data-number="([^"]+)"')
    pages = [fetch(port, "GET", "/admin/applications/", cookie) for port in (product, before)]
    assert all(status == 200 for status, _page, _set in pages), [status for status, _page, _set in pages]
    after, earlier = (numbers.findall(page.decode()) for _status, page, _set in pages)
    assert after and after == earlier, ("the tree before shows other rows", after[:3], earlier[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--rows", type=int, default=100_000, help="fill a throwaway database with this many")
    group.add_argument("--database", help="measure a database filled before (queue_bench.py --keep, or --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the filled database afterwards")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    parser.add_argument("--baseline", type=Path, help="a checkout of another commit, served beside this one")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")

    from queue_bench import bench_database

    with bench_database(args.database, args.rows, keep=args.keep) as url:
        measure(url, args.rounds, args.seconds, args.baseline)


if __name__ == "__main__":
    main()

"""Benchmark: the resident memory of one ``backoffice serve`` worker once it has served every kind of page.

Run from the repository root:

    .venv/bin/python bench/worker_memory.py [--requests 400]

docs/deployment.md sizes a web host by the memory of its workers, so the figure must be a worker's as an
administrator runs it: ``backoffice serve`` (gunicorn, ``deploy/gunicorn.conf.py``, the ``[server]`` defaults of
two workers of four threads) on a fresh SQLite database, with a supervisor logged in over HTTP. The warm-up sends
``--requests`` requests from eight threads at once (so both workers take some), spread over the customer's form,
the staff login page, the supervisor's queue and dashboard, the health check and the metrics; a worker
imports and caches what a page needs the first time it serves it, so the figure is read only after that. Then
``VmRSS`` and ``VmHWM`` (the peak) of the master and of each worker are read from ``/proc/<pid>/status``.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BACKOFFICE = Path(sys.executable).with_name("backoffice")
PASSWORD = "Supervisor-Long-Password-2026"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def status_kib(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` figure in KiB (``VmRSS``: resident now, ``VmHWM``: the most it has been)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="worker-memory-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BACKOFFICE_")}
    env.update(
        BACKOFFICE_DATABASE_URL=f"sqlite:///{folder / 'bench.sqlite3'}",
        BACKOFFICE_SITE_INSTANCE_DIR=str(folder / "instance"),
        BACKOFFICE_SECRET_KEY="bench-secret-key-" + "x" * 32,
        BACKOFFICE_CODE_KEY="bench-code-key-" + "y" * 32,
        BACKOFFICE_SERVER_BIND=f"127.0.0.1:{port}",
    )

    def cli(*command: str, stdin: str | None = None) -> None:
        subprocess.run([str(BACKOFFICE), *command], env=env, input=stdin, text=True, check=True, capture_output=True)

    cli("db", "upgrade")
    cli(
        "operators", "create", "--login", "bench.supervisor", "--full-name", "Bench Supervisor",
        "--role", "supervisor", "--password-stdin", stdin=PASSWORD + "\n",
    )
    log = (folder / "serve.log").open("wb")
    server = subprocess.Popen([str(BACKOFFICE), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"backoffice serve did not start: {(folder / 'serve.log').read_text()}") from None
                time.sleep(0.2)

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(base + "/staff/login").read().decode()
        token = CSRF.search(page)
        assert token, "no login form"
        form = {"login": "bench.supervisor", "password": PASSWORD, "csrf_token": token.group(1) or token.group(2)}
        opener.open(base + "/staff/login", urllib.parse.urlencode(form).encode()).read()
        pages = ["/company", "/staff/login", "/admin/applications/", "/admin/", "/healthz", "/metrics"]

        def fetch(n: int) -> int:
            with opener.open(base + pages[n % len(pages)], timeout=30) as response:
                response.read()
                return int(response.status)

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(fetch, range(args.requests)))
        assert set(statuses) == {200}, sorted(set(statuses))
        time.sleep(1)
        master = server.pid
        print(f"requests: {len(statuses)}, all 200, over {', '.join(pages)}")
        print(f"master {master}: VmRSS {status_kib(master, 'VmRSS') / 1024:.1f} MiB")
        for worker in children(master):
            rss, peak = status_kib(worker, "VmRSS") / 1024, status_kib(worker, "VmHWM") / 1024
            print(f"worker {worker}: VmRSS {rss:.1f} MiB, VmHWM {peak:.1f} MiB")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


if __name__ == "__main__":
    main()

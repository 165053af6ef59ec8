"""Benchmark: the registration page under load, beside a bare Flask route and bare argon2id hashing.

Run from the repository root:

    .venv/bin/python bench/registration_bench.py [--seconds 5] [--codes 120] [--clients 8]

One run, one machine, everything on loopback:

* gunicorn, two sync workers, serves the product's app (PostgreSQL when it answers on 127.0.0.1:5432,
  else SQLite) with one extra route, ``/bench/bare``, that returns two bytes: the same server and settings.
* A load generator (one process, ``--clients`` keep-alive connections) asks for the form (``GET /company``)
  and the bare route for ``--seconds`` each: requests per second, and the form's share of the bare rate.
* It then redeems ``--codes`` registration codes (``POST /company``: code, EDRPOU, login, password), all
  clients at once: redemptions per second. Twice: for applications with a usual code word (shorter than a
  password may be, so "the password is not the code word" holds without a slow hash), and for applications whose
  code word is long enough to be a password (one extra argon2id verification), to show what that costs.
* Two processes hash with argon2id, the product's parameters, for ``--seconds``: bare hashes per second,
  measured just before and just after each redemption run and compared with the mean of the two.

Rate limits are switched off in the benchmark's app (every request comes from one address); a limit check is
one dictionary operation in memory storage and does not show in these figures.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PG = os.environ.get("BACKOFFICE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-secret-key-" + "x" * 32
PASSWORD = "Blue-Rivers-Sing-2026"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def create_bench_app() -> Any:
    """The product's app plus a bare route; gunicorn calls this in each worker (settings from the environment)."""
    from backoffice.app import create_app
    from backoffice.web import limiter

    app = create_app()
    limiter.enabled = False

    @app.route("/bench/bare")
    def bare() -> str:
        return "ok"

    return app


# -- set-up ---------------------------------------------------------------------------------------------------


def database(tmp: Path) -> tuple[str, Any]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    try:
        with create_engine(PG).connect() as conn:
            conn.execute(text("select 1"))
    except Exception:  # no PostgreSQL: SQLite it is
        return f"sqlite:///{tmp / 'bench.sqlite3'}", None
    name = f"backoffice_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(PG).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(PG).set(database=name).render_as_string(hide_password=False), drop


def prepare(url: str, tmp: Path, count: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``count`` applications in "code issued" with their clear codes; half without a code word."""
    from sqlalchemy import create_engine, select, update

    from backoffice import migrate
    from backoffice import settings as settings_module
    from backoffice.applications import codes
    from backoffice.applications.models import Application, RegistrationCode
    from backoffice.database import Database
    from tests.factories import Factory
    from workflows.accession import AccessionState

    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    settings = settings_module.load(
        REPO / "config.toml",
        environ={"BACKOFFICE_SECRET_KEY": SECRET, "BACKOFFICE_CODE_KEY": SECRET},
        overrides={"database": {"url": url}, "site": {"instance_dir": str(tmp / "instance")}},
    )
    db = Database(url)
    full: list[tuple[str, str]] = []  # usual (short) code words
    bare: list[tuple[str, str]] = []  # code words as long as a password
    with db.sessions() as session:
        make = Factory(session, settings)
        for n in range(2 * count):
            app = make.application(AccessionState.CODE_ISSUED)
            row = session.scalars(select(RegistrationCode).where(RegistrationCode.application_id == app.id)).one()
            pair = (codes.derive(SECRET, row.nonce), app.identifier)
            if n % 2:
                session.execute(update(Application).where(Application.id == app.id).values(code_word_long=True))
                bare.append(pair)
            else:
                full.append(pair)
        session.commit()
    db.dispose()
    return full, bare


def serve(url: str, tmp: Path) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "BACKOFFICE_SECRET_KEY": SECRET,
        "BACKOFFICE_CODE_KEY": SECRET,
        "BACKOFFICE_DATABASE_URL": url,
        "BACKOFFICE_SITE_INSTANCE_DIR": str(tmp / "instance"),
        "PYTHONPATH": str(REPO),
    }
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    proc = subprocess.Popen(
        [
            gunicorn,
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "bench.registration_bench:create_bench_app()",
        ],
        cwd=REPO,
        env=env,
    )
    from queue_bench import await_server

    await_server(proc, port, "/bench/bare", 300, "gunicorn did not start")
    return proc, port


# -- load ----------------------------------------------------------------------------------------------------


def rate(port: int, path: str, seconds: float, clients: int) -> float:
    """Requests per second for GET ``path`` from ``clients`` keep-alive connections."""
    stop = time.monotonic() + seconds
    counts = [0] * clients

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            conn.request("GET", path, headers={"Accept-Language": "uk"})
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status
            counts[i] += 1
        conn.close()

    elapsed = together(client, clients)  # first: the clients count while it runs
    return sum(counts) / elapsed


def redemptions(
    port: int, pairs: list[tuple[str, str]], clients: int, tag: str, first_address: int | None = None
) -> float:
    """Redeem every code, ``clients`` at a time; each client got its form (session and CSRF token) beforehand.

    With ``first_address``, each customer comes from an address and a /24 of their own (``X-Forwarded-For``, for
    a server that trusts one proxy), so the per-address limits are checked on every try and none refuses."""
    queue = list(enumerate(pairs))
    lock = threading.Lock()
    failures: list[int] = []
    sessions = []
    for _ in range(clients):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/company")
        response = conn.getresponse()
        token = CSRF.search(response.read().decode()).group(1)  # type: ignore[union-attr]
        cookie = _session_cookie(response)
        sessions.append((conn, token, cookie))

    def client(i: int) -> None:
        conn, token, cookie = sessions[i]
        while True:
            with lock:
                if not queue:
                    break
                n, (code, identifier) = queue.pop()
            body = (
                f"csrf_token={token}&code={code}&identifier={identifier}&login={tag}.{n}"
                f"&password={PASSWORD}&password_again={PASSWORD}"
            )
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
            if first_address is not None:
                k = first_address + n
                headers["X-Forwarded-For"] = f"10.{k // 250 % 250}.{k % 250}.7"
            conn.request("POST", "/company", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 302:
                failures.append(response.status)
            cookie = _session_cookie(response) or cookie
        conn.close()

    elapsed = together(client, clients)
    if failures:
        raise RuntimeError(f"{len(failures)} redemptions failed: {failures[:5]}")
    return len(pairs) / elapsed


def together(client: Callable[[int], None], clients: int) -> float:
    """Seconds from starting ``clients`` threads, each running ``client(i)``, until the last of them is done."""
    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - started


def _session_cookie(response: http.client.HTTPResponse) -> str:
    for header in response.msg.get_all("Set-Cookie") or []:
        if header.startswith("session="):
            return header.split(";", 1)[0]
    return ""


def _hash_for(seconds: float) -> int:
    from backoffice.passwords import hash_secret

    stop, n = time.monotonic() + seconds, 0
    while time.monotonic() < stop:
        hash_secret(PASSWORD)
        n += 1
    return n


def bare_hashes(seconds: float) -> float:
    started = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        counts = pool.map(_hash_for, [seconds, seconds])
    return sum(counts) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--codes", type=int, default=120, help="redemptions per variant")
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    from backoffice.passwords import _hasher

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url, drop = database(tmp)
        try:
            usual, long_code_word = prepare(url, tmp, args.codes)
            proc, port = serve(url, tmp)
            try:
                rate(port, "/company", 1, args.clients)  # warm both workers up
                form = rate(port, "/company", args.seconds, args.clients)
                bare = rate(port, "/bench/bare", args.seconds, args.clients)
                # Hashing rates just before and after each redemption run: the machine's load moves.
                hashes_before = bare_hashes(args.seconds)
                redeemed = redemptions(port, usual, args.clients, "usual")
                hashes_between = bare_hashes(args.seconds)
                redeemed_long = redemptions(port, long_code_word, args.clients, "long")
                hashes_after = bare_hashes(args.seconds)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        finally:
            if drop:
                drop()

    backend = url.split(":", 1)[0]
    print(f"backend: {backend}; gunicorn 2 sync workers; {args.clients} keep-alive clients; {os.cpu_count()} CPUs")
    print(
        f"argon2id: time_cost={_hasher.time_cost} memory_cost={_hasher.memory_cost} KiB "
        f"parallelism={_hasher.parallelism}"
    )
    print(f"GET /company (the form):      {form:8.1f} req/s")
    print(f"GET /bench/bare:              {bare:8.1f} req/s")
    print(f"  form / bare:                {form / bare:8.2f}x   (target >= 0.5)")
    print(f"redemptions, usual code word: {redeemed:8.1f} /s   ({args.codes} codes)")
    print(f"redemptions, long code word:  {redeemed_long:8.1f} /s   ({args.codes} codes)")
    print(f"bare argon2id hashes, 2 proc: {hashes_before:8.1f} / {hashes_between:.1f} / {hashes_after:.1f} per s")
    usual_ratio = redeemed / ((hashes_before + hashes_between) / 2)
    print(f"  usual / bare hashes:        {usual_ratio:8.2f}x   (target >= 0.95)")
    print(f"  long code word / bare:      {redeemed_long / ((hashes_between + hashes_after) / 2):8.2f}x")


if __name__ == "__main__":
    main()

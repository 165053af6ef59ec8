"""The product as docs/deployment.md runs it, under faults: Flow A from an email to the customer's login.

Everything is real and local:
- a PostgreSQL cluster of the test's own (so the test may restart it);
- Redis for the rate limits;
- an SMTP server that receives the letters;
- a Maildir the intake watches;
- the three processes of a deployment: ``backoffice serve`` (gunicorn, two workers), ``backoffice scheduler run``
  and ``backoffice intake watch``.

Midway the database is restarted and one web worker is killed. The walk must still end with the customer logged
in, ``/readyz`` must have gone red and come back green by itself, the metrics must have moved, nothing may be lost
or doubled, and the watcher must still be running and still take the mail that arrives after the restart.
"""

from __future__ import annotations

import email
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine

from backoffice.applications.models import Application
from backoffice.intake.models import IncomingMessage
from backoffice.letters.models import OutboxMessage
from tests.backoffice.intake import corpus
from tests.backoffice.intake.conftest import Maildir
from tests.backoffice.letters.smtpserver import SmtpServer
from tests.backoffice.monitoring.gunicorn import parse_metrics
from tests.browser.conftest import _browser  # noqa: F401 - fixture by name
from tests.browser.customer_fixtures import create_login, log_out_and_in
from tests.conftest import REPO, TEST_CODE_KEY, TEST_SECRET
from tests.factories import valid_edrpou
from tests.pgcluster import PgCluster
from tests.ports import free_port
from tests.services import redis_server  # noqa: F401 - fixture by name
from workflows.accession import AccessionState as S

pytestmark = [pytest.mark.postgres, pytest.mark.browser]

BACKOFFICE = REPO / ".venv" / "bin" / "backoffice"
STAFF_PASSWORD = "Supervisor-Long-Password-2026"
CUSTOMER_PASSWORD = "Blue-Rivers-Sing-2026"
CODE_WORD = "Кобзар"
DEADLINE = 120.0  # seconds: generous, the machine is small and shared


def _wait(what: str, check: Callable[[], Any], seconds: float = DEADLINE) -> Any:
    """Poll until ``check`` returns something truthy; fail naming what never happened."""
    end = time.monotonic() + seconds
    last: Any = None
    while time.monotonic() < end:
        try:
            last = check()
        except Exception as exc:  # a check that cannot run yet (database down) is "not yet"
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.25)
    pytest.fail(f"{what}: not within {seconds:.0f} s (last: {last!r})")


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


class Deployment:
    """The three processes, with the environment a deployment's systemd units would give them."""

    def __init__(self, tmp: Path, database_url: str, redis_url: str, smtp_port: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.maildir = Maildir(tmp / "maildir")
        self.logs = tmp / "logs"
        self.logs.mkdir()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp),
            "LANG": "C.UTF-8",
            "BACKOFFICE_SECRET_KEY": TEST_SECRET,
            "BACKOFFICE_CODE_KEY": TEST_CODE_KEY,
            "BACKOFFICE_DATABASE_URL": database_url,
            "BACKOFFICE_SITE_BASE_URL": self.base,
            "BACKOFFICE_SITE_INSTANCE_DIR": str(tmp / "instance"),
            "BACKOFFICE_SITE_RATE_LIMIT_STORAGE_URI": redis_url,
            "BACKOFFICE_STORAGE_BACKEND": "database",
            "BACKOFFICE_MAIL_TRANSPORT": "smtp",
            "BACKOFFICE_SMTP_HOST": "127.0.0.1",
            "BACKOFFICE_SMTP_PORT": str(smtp_port),
            "BACKOFFICE_SMTP_SECURITY": "none",
            "BACKOFFICE_INTAKE_MAILDIR": str(self.maildir.root),
            "BACKOFFICE_INTAKE_POLL_INTERVAL_SECONDS": "1",
            "BACKOFFICE_SCHEDULER_RUN_WITH_WEB": "false",
            "BACKOFFICE_SCHEDULER_INTAKE_ENABLED": "false",  # the watcher takes the mail
            "BACKOFFICE_SCHEDULER_DELIVER_INTERVAL_SECONDS": "1",
            "BACKOFFICE_SERVER_BIND": f"127.0.0.1:{self.port}",
            "BACKOFFICE_SERVER_WORKERS": "2",
            "BACKOFFICE_SERVER_THREADS": "2",
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.log_files: list[Any] = []

    def cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [str(BACKOFFICE), *args], env=self.env, input=stdin, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def start(self, name: str, *args: str) -> None:
        log = (self.logs / f"{name}.log").open("wb")
        self.log_files.append(log)
        self.processes[name] = subprocess.Popen(
            [str(BACKOFFICE), *args], env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO
        )

    def alive(self, name: str) -> bool:
        return self.processes[name].poll() is None

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.processes.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for log in self.log_files:
            log.close()


@pytest.fixture
def deployment(tmp_path: Path, pg_cluster: PgCluster, redis_server: str) -> Iterator[Deployment]:
    smtp = SmtpServer().start()
    deployment = Deployment(tmp_path, pg_cluster.url, redis_server, smtp.port)
    deployment.smtp = smtp  # type: ignore[attr-defined]
    try:
        yield deployment
    finally:
        deployment.stop()
        smtp.stop()


def _engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True)


def test_flow_a_end_to_end_through_a_database_restart_and_a_dead_worker(
    deployment: Deployment, pg_cluster: PgCluster, _browser: Any
) -> None:
    cluster = pg_cluster
    d = deployment
    d.cli("db", "upgrade")
    d.cli(
        "operators", "create", "--login", "supervisor.prod", "--full-name", "Оксана Наглядова",
        "--role", "supervisor", "--password-stdin", stdin=STAFF_PASSWORD + "\n",
    )
    d.start("web", "serve")
    d.start("scheduler", "scheduler", "run")
    d.start("intake", "intake", "watch")
    _wait("the web server answers /healthz", lambda: _get(d.base + "/healthz")[0] == 200)
    _wait("/readyz is green", lambda: _get(d.base + "/readyz")[0] == 200)
    metrics_before = parse_metrics(_get(d.base + "/metrics")[1])

    # 1. An application arrives by email: the customer's filled form and a scan.
    identifier = valid_edrpou(42)
    form = corpus.filled_form(
        {
            "consumer_name": "ТОВ «Виробнича Зоря»",
            "identifier": identifier,
            "email": "office@zorya.example.ua",
            "phones": "067 123 45 67",
            "code_word": CODE_WORD,
            "contact_name": "Петренко Іван Петрович",
        }
    )
    d.maildir.drop(corpus.with_attachments([
        ("application/pdf", form, 'Content-Disposition: attachment; filename="zayava.pdf"'),
        ("application/pdf", corpus.tiny_pdf("stamped scan"), 'Content-Disposition: attachment; filename="scan.pdf"'),
    ]))
    engine = _engine(cluster.url)
    try:
        def scalar(statement: Any) -> Any:
            with engine.connect() as conn:
                return conn.execute(statement).scalar()

        number = _wait(
            "the watcher turns the mail into an application",
            lambda: scalar(select(Application.number).where(Application.identifier == identifier)),
        )

        # 2. The supervisor works it in the back office, in a real browser.
        context = _browser.new_context(locale="uk-UA")
        context.set_default_timeout(30_000)
        page = context.new_page()
        page.goto(f"{d.base}/staff/login")
        page.fill("input[name=login]", "supervisor.prod")
        page.fill("input[name=password]", STAFF_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/admin"))
        page.goto(f"{d.base}/admin/applications/{number}")

        # Midway: the database goes away and comes back; the processes must ride it out.
        cluster.stop()
        _wait("/readyz turns red while the database is down", lambda: _get(d.base + "/readyz")[0] == 503)
        cluster.start()
        _wait("/readyz turns green again by itself", lambda: _get(d.base + "/readyz")[0] == 200)
        # The watcher still takes mail after the outage: a second customer's application arrives and becomes one.
        second = valid_edrpou(43)
        d.maildir.drop(corpus.with_attachments([
            ("application/pdf", corpus.filled_form({
                "consumer_name": "ТОВ «Степовий Вітер»",
                "identifier": second,
                "email": "office@viter.example.ua",
                "phones": "050 765 43 21",
                "code_word": "Полтава",
                "contact_name": "Коваленко Марія Іванівна",
            }), 'Content-Disposition: attachment; filename="zayava.pdf"'),
            ("application/pdf", corpus.tiny_pdf("second scan"), 'Content-Disposition: attachment; filename="scan.pdf"'),
        ], sender="Марія Коваленко <office@viter.example.ua>"))
        _wait(
            "the watcher turns a mail sent after the restart into an application",
            lambda: scalar(select(Application.number).where(Application.identifier == second)),
        )
        # And one web worker dies; gunicorn replaces it.
        workers = _children(d.processes["web"].pid)
        assert len(workers) == 2, workers
        os.kill(workers[0], signal.SIGKILL)
        _wait(
            "gunicorn replaces the dead worker",
            lambda: len(w := _children(d.processes["web"].pid)) == 2 and workers[0] not in w,
        )

        def state() -> S:
            with engine.connect() as conn:
                return S(conn.execute(select(Application.state).where(Application.number == number)).scalar_one())

        def press(testid: str) -> None:
            """Each click posts a form and reloads the page; the next button is looked for only on the new page.
            A missing button fails here, naming the page that was shown instead (an error page, a flash)."""
            button = page.locator(f"[data-testid={testid}]")
            assert button.count(), f"no {testid} button on {page.url}:\n{page.inner_text('body')[:3000]}"
            with page.expect_navigation():
                button.click()

        # The first page after the restart and the dead worker: whichever worker serves it works.
        page.goto(f"{d.base}/admin/applications/{number}")
        if page.locator("[data-testid=claim]").count():  # unless the application was routed to nobody yet
            press("claim")
        if state() == S.RECEIVED:  # unless the watcher already sent it to the check
            press("act-submit_for_check")
        press("act-accept_signature")
        assert state() == S.AWAITING_CONFIRMATION_CALL, page.inner_text("body")[:3000]
        page.fill("[data-testid=spoken-code-word]", CODE_WORD.lower())
        page.click("[data-testid=log-call]")
        _wait("the call confirms the application", lambda: state() == S.CONFIRMED)
        page.click("[data-testid=act-issue_code]")
        _wait("the code is issued", lambda: state() == S.CODE_ISSUED)
        context.close()

        # 3. The scheduler's process sends the code letter and the invitation over SMTP.
        smtp: SmtpServer = d.smtp  # type: ignore[attr-defined]

        def letters_to_customer() -> list[email.message.Message]:
            return [r.message for r in smtp.received if "office@zorya.example.ua" in r.rcpt_tos]

        letters = _wait("both letters reach the customer", lambda: (m := letters_to_customer()) and len(m) >= 2 and m)
        bodies = "\n".join(_text(m) for m in letters)
        code = re.search(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b", bodies)
        link = re.search(re.escape(d.base) + r"/company[^\s\"'<>]*", bodies)
        assert code and link, bodies

        # 4. The customer registers with the code and logs in.
        context = _browser.new_context(locale="uk-UA")
        context.set_default_timeout(30_000)
        page = context.new_page()
        page.goto(link.group(0) + ("&" if "?" in link.group(0) else "?") + "lang=en")
        create_login(page, code.group(0), identifier, "zorya.office", CUSTOMER_PASSWORD)
        page.wait_for_url(re.compile(r"/account"))
        log_out_and_in(page, "zorya.office", CUSTOMER_PASSWORD)
        assert page.locator("h1").inner_text() == "Cabinet"
        context.close()
        assert state() == S.COMPLETED

        # Nothing lost, nothing doubled: every letter written (the last one, "registration complete", a moment
        # ago) reaches the mail server, once.
        unsent = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        _wait("the scheduler sends every letter", lambda: scalar(unsent) == 0)
        written = scalar(select(func.count()).select_from(OutboxMessage))
        assert scalar(select(func.count()).select_from(Application)) == 2  # one per mail: none lost, none doubled
        assert scalar(select(func.count()).select_from(IncomingMessage)) == 2
        delivered = [r.message for r in smtp.received]
        assert len(delivered) == written == len({m["Message-ID"] for m in delivered})

        # The metrics moved, and every process is still running.
        metrics_after = parse_metrics(_get(d.base + "/metrics")[1])

        def total(samples: dict[Any, float], name: str, **labels: str) -> float:
            return sum(v for (n, got), v in samples.items() if n == name and set(labels.items()) <= got)

        assert total(metrics_after, "backoffice_applications", state="completed") == 1
        assert total(metrics_after, "backoffice_applications") == 2  # the second still waits for staff
        count = "backoffice_http_request_duration_seconds_count"
        assert total(metrics_after, count) > total(metrics_before, count) + 10
        for name in ("web", "scheduler", "intake"):
            assert d.alive(name), d.log(name)
    finally:
        engine.dispose()


def _text(message: email.message.Message) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    out = []
    for part in parts:
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            out.append(payload.decode(part.get_content_charset() or "utf-8") if isinstance(payload, bytes) else "")
    return "\n".join(out)

"""Structured logs: one line per request, job run and intake message; request ids in the audit trail; and never
a secret, code, code word or password in any line, even at DEBUG."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications.models import Application
from backoffice.audit.models import AuditEvent
from backoffice.cli import main
from backoffice.database import Database
from backoffice.intake.service import import_files
from backoffice.monitoring import logs
from backoffice.monitoring.jobs import observed
from backoffice.scheduler import jobs
from backoffice.settings import Settings
from backoffice.types import utcnow
from tests.backoffice.admin.conftest import csrf_token, log_in
from tests.backoffice.customers.conftest import CSRF, PASSWORD, Browser, Issued, clear_code, registration
from tests.factories import CODE_WORD, Factory
from tests.factories import PASSWORD as STAFF_PASSWORD
from workflows.accession import AccessionState
from workflows.roles import Role

METRICS_TOKEN = "metrics-token-" + "m" * 32
NEW_STAFF_PASSWORD = "Staff-Password-From-Stdin-77"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(server={"metrics_token": METRICS_TOKEN})


@pytest.fixture
def captured(settings: Settings) -> Iterator[io.StringIO]:
    """The process's log as `backoffice serve` sets it up, at DEBUG, written into a string.

    The libraries are let down to DEBUG as well: more than the product ever does, so nothing they might write
    escapes the test either.
    """
    stream = io.StringIO()
    handler = logs.configure(settings.replace(logging={"level": "DEBUG"}), stream=stream)
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.WARNING)
        for name in logs.PRODUCT_LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_no_secret_code_code_word_or_password_reaches_the_log(
    app: Flask, captured: io.StringIO, make: Factory, session: Session, settings: Settings, db: Database
) -> None:
    center = make.center(code="KR")
    issued = make.application(AccessionState.CODE_ISSUED, center=center)
    calling = make.application(AccessionState.AWAITING_CONFIRMATION_CALL, center=center)
    supervisor = make.operator(Role.SUPERVISOR, login="chief")
    session.commit()
    code = clear_code(session, settings, issued)

    # A customer: a wrong code, the right one with a password, then a login with that password.
    customer = Browser(app.test_client())
    wrong = "-".join(["ZZZZ"] * 3)
    assert customer.post("/company", {**_form(issued, code), "code": wrong}).status_code == 200
    assert customer.post("/company", _form(issued, code)).status_code == 302
    customer.client.post("/account/logout", data={"csrf_token": csrf_token(customer.client, "/account")})
    answer = customer.post("/account/login", {"login": "firma.one", "password": PASSWORD}, form_page="/account/login")
    assert answer.status_code == 302

    # Staff: a login with a password, and a confirmation call where the caller gives the code word.
    staff = log_in(app.test_client(), supervisor.login, STAFF_PASSWORD)
    assert staff.post(f"/admin/applications/{calling.number}/claim", data={
        "csrf_token": csrf_token(staff, "/admin/applications/"),
    }).status_code == 302
    version = session.scalar(select(Application.version).where(Application.id == calling.id))
    assert staff.post(f"/admin/applications/{calling.number}/call", data={
        "csrf_token": csrf_token(staff, "/admin/applications/"), "outcome": "confirmed",
        "spoken_code_word": CODE_WORD, "version": version,
    }).status_code == 302

    # Monitoring with the token; the command line with a password on standard input; the scheduler's letters.
    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    assert app.test_client().get("/metrics", headers=bearer).status_code == 200
    assert app.test_client().get("/readyz", headers=bearer).status_code in {200, 503}
    created = app.test_cli_runner().invoke(
        main, ["operators", "create", "--login", "new.admin", "--full-name", "Н", "--role", "admin",
               "--password-stdin"], input=NEW_STAFF_PASSWORD + "\n",
    )
    assert created.exit_code == 0, created.output
    observed("deliver_letters", jobs.deliver_letters)(db, settings, utcnow())
    logging.getLogger("backoffice.test").debug("settings: %r %s", settings, settings.server)

    text = captured.getvalue()
    lines = _lines(captured)
    assert any(line.get("endpoint") == "customers.register" and line["status"] == 302 for line in lines)
    assert any(line.get("job") == "deliver_letters" and line["items"]["sent"] >= 2 for line in lines)
    forbidden = {
        "registration code": code,
        "registration code as typed": code.replace("-", ""),
        "customer password": PASSWORD,
        "staff password": STAFF_PASSWORD,
        "password from stdin": NEW_STAFF_PASSWORD,
        "code word": CODE_WORD,
        "code word, lower case": CODE_WORD.lower(),
        "session key": settings.secret_key,
        "code key": settings.code_key,
        "metrics token": METRICS_TOKEN,
    }
    leaked = [what for what, secret in forbidden.items() if secret in text or json.dumps(secret)[1:-1] in text]
    assert leaked == []


def _form(issued: Application, code: str) -> dict[str, str]:
    return registration(Issued(issued, code))


def test_a_request_line_and_its_audit_rows_share_the_request_id(
    app: Flask, captured: io.StringIO, make: Factory, session: Session, settings: Settings
) -> None:
    issued = make.application(AccessionState.CODE_ISSUED)
    session.commit()
    client = app.test_client()
    browser = Browser(client)
    page = browser.get("/company")
    assert len(page.headers["X-Request-ID"]) == 32  # none given: one is made

    wrong = {**_form(issued, clear_code(session, settings, issued)), "code": "ZZZZ-ZZZZ-ZZZZ"}
    token = _token(browser)
    answer = client.post(
        "/company",
        data={"csrf_token": token, **wrong},
        headers={"X-Request-ID": "edge-7f3a.91", "Accept-Language": "en"},
    )
    assert answer.status_code == 200 and answer.headers["X-Request-ID"] == "edge-7f3a.91"
    session.expire_all()
    refused = session.scalars(select(AuditEvent).where(AuditEvent.action == "registration_refused")).one()
    assert refused.request_id == "edge-7f3a.91"
    line = next(line for line in _lines(captured) if line.get("request_id") == "edge-7f3a.91")
    assert line | {"duration_ms": 0} == line | {
        "endpoint": "customers.register", "method": "POST", "status": 200, "user": "anonymous", "duration_ms": 0,
    }

    # A header that could break a log line is not taken, nor echoed.
    odd = client.get("/healthz", headers={"X-Request-ID": "x" * 65})
    assert odd.headers["X-Request-ID"] != "x" * 65 and len(odd.headers["X-Request-ID"]) == 32


def _token(browser: Browser) -> str:
    match = CSRF.search(browser.get("/company").get_data(as_text=True))
    assert match
    return match.group(1) or match.group(2)


def test_staff_requests_name_the_staff_member(
    app: Flask, captured: io.StringIO, make: Factory, session: Session
) -> None:
    operator = make.operator(Role.SUPERVISOR)
    session.commit()
    client = log_in(app.test_client(), operator.login, STAFF_PASSWORD)
    client.get("/admin/applications/")
    line = [line for line in _lines(captured) if line.get("endpoint") == "applications.index"][-1]
    assert line["user"] == f"staff:{operator.id}"


def test_a_scheduler_run_leaves_a_line_and_a_heartbeat(captured: io.StringIO, db: Database, settings: Settings) -> None:
    observed("expire_codes", jobs.expire_codes)(db, settings, utcnow())
    line = next(line for line in _lines(captured) if line.get("job") == "expire_codes")
    assert line["outcome"] == "ok" and line["items"] == 0 and line["duration_ms"] >= 0

    def broken(db: Database, settings: Settings, now: Any) -> None:
        raise RuntimeError("the job broke")

    with pytest.raises(RuntimeError):
        observed("expire_codes", broken)(db, settings, utcnow())
    failed = [line for line in _lines(captured) if line.get("job") == "expire_codes"][-1]
    assert failed["outcome"] == "failed"
    from backoffice.monitoring import heartbeat

    with db.session() as s:
        beat = heartbeat.read(s)["job:expire_codes"]
        assert beat.outcome == "failed" and beat.succeeded_at is not None
        assert utcnow() - beat.beat_at < timedelta(minutes=1)


def test_each_intake_message_leaves_a_line(
    captured: io.StringIO, db: Database, settings: Settings, tmp_path: Path
) -> None:
    message = EmailMessage()
    message["From"] = "someone@example.com"
    message["To"] = "intake@example.org"
    message["Subject"] = "Hello"
    message["Message-ID"] = "<hello-1@example.com>"
    message.set_content("No form attached.")
    file = tmp_path / "hello.eml"
    file.write_bytes(message.as_bytes())
    import_files(db, settings, [file])
    line = next(line for line in _lines(captured) if "message_row" in line)
    assert line["outcome"] == "quarantined" and line["reason"]

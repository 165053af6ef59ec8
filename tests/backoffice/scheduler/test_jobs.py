"""The scheduler's jobs, with the clock injected: each does its work once, through the write path, audited."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.applications import codes
from backoffice.applications.models import Application, Document, DocumentKind, RegistrationCode
from backoffice.audit.models import AuditEvent
from backoffice.audit.trail import history
from backoffice.database import Database
from backoffice.documents.storage import open_storage
from backoffice.letters import mime
from backoffice.letters.models import OutboxMessage, OutboxStatus
from backoffice.scheduler import jobs
from backoffice.scheduler.runner import build, guarded, specs
from backoffice.scheduler.sender import deliver_due
from backoffice.settings import Settings
from tests.conftest import STORAGE_BACKENDS
from tests.factories import Factory
from workflows.accession import AccessionState
from workflows.roles import Role


def _code(db: Database, app_id: int) -> RegistrationCode:
    with db.session() as s:
        return s.scalars(
            select(RegistrationCode).where(
                RegistrationCode.application_id == app_id, RegistrationCode.revoked_at.is_(None)
            )
        ).one()


def _letters(db: Database, kind: str) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def _events(db: Database, action: str) -> list[AuditEvent]:
    with db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _state(db: Database, app_id: int) -> AccessionState:
    with db.session() as s:
        app = s.get(Application, app_id)
        assert app is not None
        return app.state


def test_a_code_is_reminded_twice_then_expired_each_once(
    make: Factory, session: Session, db: Database, settings: Settings
) -> None:
    app = make.application(AccessionState.CODE_ISSUED)
    session.commit()
    code = _code(db, app.id)
    issued, expires = code.issued_at, code.expires_at

    assert jobs.code_reminders(db, settings, issued + timedelta(days=2, hours=23)) == 0
    at = issued + timedelta(days=3, minutes=1)
    assert jobs.code_reminders(db, settings, at) == 1
    assert jobs.code_reminders(db, settings, at + timedelta(hours=1)) == 0  # every tick after: nothing new
    [reminder] = _letters(db, "code_reminder")
    assert reminder.recipient == app.email and reminder.context["link"] == "http://127.0.0.1:5000/company"
    deliver_due(db, settings, now=at)
    [eml] = settings.outbox_dir.glob(mime.message_id(reminder, settings).strip("<>").split("@")[0] + ".eml")
    body = message_from_bytes(eml.read_bytes(), policy=policy.default).get_body(("plain",))
    assert body is not None and "http://127.0.0.1:5000/company" in body.get_content()
    assert codes.derive(settings.code_key, code.nonce) not in body.get_content()  # a reminder has no code

    assert jobs.code_reminders(db, settings, expires - timedelta(hours=49)) == 0
    assert jobs.code_reminders(db, settings, expires - timedelta(hours=47)) == 1
    assert jobs.code_reminders(db, settings, expires - timedelta(hours=1)) == 0
    assert len(_letters(db, "code_expiring")) == 1

    assert jobs.expire_codes(db, settings, expires - timedelta(minutes=1)) == 0
    assert jobs.expire_codes(db, settings, expires + timedelta(minutes=1)) == 1
    assert jobs.expire_codes(db, settings, expires + timedelta(minutes=10)) == 0
    assert _state(db, app.id) == AccessionState.CODE_EXPIRED
    [expiry] = _events(db, "expire_code")
    assert (expiry.actor_role, expiry.actor_label) == (Role.SYSTEM, "scheduler")
    assert (expiry.from_state, expiry.to_state) == ("code_issued", "code_expired")
    assert [e.actor_label for e in _events(db, "code_reminder") + _events(db, "code_expiring")] == ["scheduler"] * 2
    # The last reminder, had it not left yet, is not sent for a code that has expired.
    report = deliver_due(db, settings, now=expires + timedelta(minutes=2))
    assert report.superseded == 1 and _letters(db, "code_expiring")[0].status == OutboxStatus.SUPERSEDED


def test_a_reissued_code_starts_its_own_reminders(
    make: Factory, session: Session, db: Database, settings: Settings
) -> None:
    app = make.application(AccessionState.CODE_ISSUED)
    session.commit()
    first = _code(db, app.id)
    assert jobs.code_reminders(db, settings, first.issued_at + timedelta(days=4)) == 1
    make.advance(session.get(Application, app.id), ["reissue_code"])  # type: ignore[arg-type]
    session.commit()
    second = _code(db, app.id)
    assert second.id != first.id
    assert jobs.code_reminders(db, settings, second.issued_at + timedelta(days=4)) == 1
    assert [r.context["registration_code_id"] for r in _letters(db, "code_reminder")] == [first.id, second.id]


def test_a_reminder_goes_stale_when_the_customer_finishes_first(
    make: Factory, session: Session, db: Database, settings: Settings
) -> None:
    app = make.application(AccessionState.CODE_ISSUED)
    session.commit()
    at = _code(db, app.id).issued_at + timedelta(days=4)
    assert jobs.code_reminders(db, settings, at) == 1
    make.advance(session.get(Application, app.id), ["complete"])  # type: ignore[arg-type]
    session.commit()
    assert jobs.code_reminders(db, settings, at + timedelta(days=9)) == 0  # completed: nothing more
    report = deliver_due(db, settings, now=at)
    assert report.superseded == 1
    [reminder] = _letters(db, "code_reminder")
    assert "completed" in reminder.last_error


def test_a_due_call_retry_returns_the_application_to_the_queue(
    make: Factory, session: Session, db: Database, settings: Settings
) -> None:
    app = make.application(AccessionState.CALL_RETRY_SCHEDULED)
    session.commit()
    assert app.next_call_at is not None
    assert jobs.retry_calls(db, settings, app.next_call_at - timedelta(minutes=1)) == 0
    assert jobs.retry_calls(db, settings, app.next_call_at + timedelta(minutes=1)) == 1
    assert jobs.retry_calls(db, settings, app.next_call_at + timedelta(minutes=2)) == 0
    assert _state(db, app.id) == AccessionState.AWAITING_CONFIRMATION_CALL
    [event] = _events(db, "retry_call")
    assert event.actor_label == "scheduler"


def test_the_morning_digest_counts_overdue_applications_per_center(
    make: Factory, session: Session, db: Database, settings: Settings
) -> None:
    kr, ol = make.center(), make.center()
    for center, count in ((kr, 3), (ol, 1)):
        for _ in range(count):
            make.application(AccessionState.AWAITING_SIGNATURE_CHECK, center=center)
    done = make.application(AccessionState.COMPLETED)  # finished work is not overdue
    session.commit()
    assert done.due_at is not None
    later = done.due_at + timedelta(hours=1)

    assert jobs.supervisor_digest(db, settings, later) == 0  # no recipients configured: no digest
    settings = settings.replace(scheduler={"digest_recipients": "head@example.org, deputy@example.org"})
    assert jobs.supervisor_digest(db, settings, done.due_at - timedelta(hours=1)) == 0  # nothing overdue yet
    assert jobs.supervisor_digest(db, settings, later) == 2
    assert jobs.supervisor_digest(db, settings, later + timedelta(minutes=5)) == 0  # once per day
    letters = _letters(db, "supervisor_digest")
    assert {m.recipient for m in letters} == {"head@example.org", "deputy@example.org"}
    context = letters[0].context
    assert context["total"] == 4
    assert [(c["name"], c["overdue"]) for c in context["centers"]] == [(kr.name, 3), (ol.name, 1)]
    deliver_due(db, settings, now=later)
    assert {m.status for m in _letters(db, "supervisor_digest")} == {OutboxStatus.SENT}


@pytest.mark.parametrize("storage_backend", STORAGE_BACKENDS)
def test_retention_removes_personal_data_and_keeps_the_audit_skeleton(
    make: Factory, session: Session, db: Database, settings: Settings
) -> None:
    rejected = make.application(AccessionState.REJECTED, email="old@example.com")
    withdrawn = make.application(AccessionState.WITHDRAWN)
    completed = make.application(AccessionState.COMPLETED)
    sharing = make.application(AccessionState.AWAITING_SIGNATURE_CHECK)
    storage = open_storage(settings, session)  # stored in the test's transaction, committed with the rows
    own, shared = storage.put_bytes(b"scan"), storage.put_bytes(b"scan2")
    for app, stored in ((rejected, own), (rejected, shared), (sharing, shared)):
        session.add(
            Document(
                application=app,
                kind=DocumentKind.SCAN,
                filename="ТОВ Тест.pdf",
                sha256=stored.sha256,
                storage_path=stored.path,
                size=stored.size,
            )
        )
    session.commit()
    before = [
        (e.action, e.from_state, e.to_state, e.actor_label, e.occurred_at)
        for e in history(session, "application", rejected.id)
    ]
    when = rejected.updated_at + timedelta(days=settings.scheduler.retention_days)

    assert jobs.retention(db, settings, when - timedelta(hours=1)) == 0
    assert jobs.retention(db, settings, when + timedelta(hours=1)) == 2
    assert jobs.retention(db, settings, when + timedelta(days=1)) == 0

    with db.session() as s:
        app = s.get(Application, rejected.id)
        assert app is not None
        assert (app.consumer_name, app.identifier, app.email, app.phones, app.contact_name) == ("", "", "", [], "")
        assert app.code_word_hash == "" and app.personal_data_removed_at is not None
        assert app.number == rejected.number and app.state == AccessionState.REJECTED
        assert all(d.filename == "" and d.storage_path == "" for d in app.documents)
        trail = history(s, "application", rejected.id)
        # The skeleton stays: every step, who did it, when, from which state to which.
        assert [(e.action, e.from_state, e.to_state, e.actor_label, e.occurred_at) for e in trail[:-1]] == before
        assert all(e.reason == "" and all(v is None for v in e.changes.values()) for e in trail[:-1])
        assert trail[-1].action == "remove_personal_data" and trail[-1].actor_label == "scheduler"
        [letter] = s.scalars(select(OutboxMessage).where(OutboxMessage.application_id == rejected.id)).all()
        assert letter.recipient == "" and letter.context == {}
        kept = s.get(Application, completed.id)
        assert kept is not None and kept.email == completed.email and kept.personal_data_removed_at is None
        other = s.get(Application, withdrawn.id)
        assert other is not None and other.email == ""
    storage = open_storage(settings, db)
    assert not storage.exists(own.path)
    assert storage.exists(shared.path)  # another application still has this file


def test_a_failing_job_is_logged_and_the_others_keep_running(
    db: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(db: Database, settings: Settings, now: datetime) -> None:
        raise RuntimeError("database went away")

    with caplog.at_level(logging.ERROR):
        guarded("broken", broken, db, settings)()  # does not raise
    assert "job broken failed; it runs again at its next tick" in caplog.text
    guarded("retry_calls", jobs.retry_calls, db, settings)()  # the next job runs as usual


def test_the_jobs_have_explicit_ids_and_the_intake_can_be_switched_off(db: Database, settings: Settings) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = build(BackgroundScheduler, db, settings)
    assert {j.id for j in scheduler.get_jobs()} == {
        "deliver_letters",
        "poll_intake",
        "code_reminders",
        "expire_codes",
        "retry_calls",
        "supervisor_digest",
        "retention",
        "request_deadlines",  # the default cabinet takes requests
        "request_expiry",
    }
    off = settings.replace(scheduler={"intake_enabled": False})
    assert "poll_intake" not in {s.id for s in specs(off)}
    assert jobs.poll_intake(db, off, datetime.now().astimezone()) is None
